#!/usr/bin/env python3
"""k8s_api_fake.py - an HTTPS fake of the Kubernetes API server, for tests.

Serves real Pod and Namespace JSON for the pods of spire_loggen.py's
manifest.json (so names, namespaces and container ids agree with the
generated log files), the way the API server does:

  GET /api/v1/namespaces/NS/pods/NAME        one pod (404 Status if none)
  GET /api/v1/pods?fieldSelector=spec.nodeName%3DN[&watch=true&resourceVersion=V]
  GET /api/v1/namespaces/NS                  one namespace
  GET /api/v1/namespaces[?watch=true&resourceVersion=V]

Lists carry metadata.resourceVersion; a watch streams (chunked) one
{"type":"ADDED|MODIFIED|DELETED","object":{...}} line per change after V,
or an ERROR event with a 410 Status when V is older than the last compact.
Every API request needs "Authorization: Bearer TOKEN" (else 401).

Control endpoints (no auth), GET with query parameters, answer JSON:
  /_fake/state                    every pod and namespace as served
  /_fake/counts[?reset=1]         requests per path (+ " watch", + " " and
                                  the fieldSelector) and per answer (200,
                                  401, ..., dropped); reset
  /_fake/token?accept=T           accept only token T from now on
  /_fake/down?on=1|0              close connections without an answer
  /_fake/latency?ms=N             wait N ms before each API answer
  /_fake/oversize?mode=M          answer every API request (after auth) with
                                  M: body (200, a chunked body without end
                                  or newline: for a watch, an endless event
                                  line), watch_body (the same, for watches
                                  only), headers (header lines without end),
                                  deep (a Pod, or a watch event, nested
                                  2000000 deep), off; the bytes sent
                                  until the client gave up are counted as
                                  "oversize bytes" in /_fake/counts
  /_fake/label?ns=&pod=&key=&value=   set a pod label (MODIFIED event)
  /_fake/replace?ns=&pod=         the pod comes back with a new uid
  /_fake/delete?ns=&pod=          the pod is gone (404, DELETED event)
  /_fake/compact                  older versions expire (410), watches end
  /_fake/close-watches            end every watch stream

Subcommands:
  serve  --manifest M --tls-dir D --token T [--node N] --port 0 --port-file F
         (writes D/ca.crt, D/server.crt, D/server.key with openssl first)
  layout --manifest M --logs DIR --root R
         the kubelet's layout under R: var/log/pods/<ns>_<pod>_<uid>/<c>/0.log
         (-> the generated file) and var/log/containers/<file>.log ->
         ../pods/<ns>_<pod>_<uid>/<c>/0.log
  ctl    --url URL --ca CA.crt /_fake/...
         a control request; prints its JSON answer
  check  --state S.json --records OUT.ndjson --url MASTER
         [--annotation-match RX]
         every record's kubernetes/docker fields against S (the state);
         prints a JSON summary, exit 0 only if every record is complete

Python 3 standard library only; listens on 127.0.0.1 only.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

NODE = "node-1"
CREATED = "2024-05-01T07:00:00Z"


# ---------------------------------------------------------------------------
# The objects
# ---------------------------------------------------------------------------

def pod_uid(ns, pod, generation=0):
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, "%s/%s/%d" % (ns, pod, generation)))


def live_files(manifest_path):
    """The manifest's live (segment 0) files, in order."""
    with open(manifest_path) as f:
        m = json.load(f)
    return [f for f in m["files"] if f["segment"] == 0]


def image_of(component):
    return "ghcr.io/spiffe/%s:1.15.3" % component


def make_pod(f, index, node, generation=0):
    ns, pod, comp = f["namespace"], f["pod"], f["component"]
    server = comp == "spire-server"
    if server:   # a StatefulSet's pod: the plain `app` label
        labels = {"app": "spire-server", "controller-revision-hash": "spire-server-7c9f8d6b5",
                  "statefulset.kubernetes.io/pod-name": pod}
        owner = {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "spire-server"}
    else:        # a DaemonSet's pod: the recommended app.kubernetes.io labels
        labels = {"app.kubernetes.io/name": "spire-agent", "app.kubernetes.io/instance": "spire",
                  "controller-revision-hash": "6d4f9c8b7", "pod-template-generation": "1"}
        owner = {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "spire-agent"}
    owner.update({"uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, owner["name"])),
                  "controller": True, "blockOwnerDeletion": True})
    image = image_of(comp)
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": pod, "namespace": ns, "uid": pod_uid(ns, pod, generation),
            "resourceVersion": "0", "creationTimestamp": CREATED,
            "labels": labels,
            "annotations": {"kubectl.kubernetes.io/default-container": f["container"],
                            "spiffe.io/audit": "enabled",
                            "prometheus.io/scrape": "true"},
            "ownerReferences": [owner],
        },
        "spec": {
            "nodeName": node, "serviceAccountName": comp,
            "containers": [{"name": f["container"], "image": image}],
        },
        "status": {
            "phase": "Running", "hostIP": "192.168.0.11",
            "podIP": "10.244.1.%d" % (10 + index),
            "containerStatuses": [{
                "name": f["container"], "image": image,
                "imageID": "%s@sha256:%s" % (image.split(":")[0],
                                             hashlib.sha256(image.encode()).hexdigest()),
                "containerID": "containerd://" + f["container_id"],
                "ready": True, "restartCount": 0, "started": True,
                "state": {"running": {"startedAt": CREATED}},
            }],
        },
    }


def make_namespace(ns):
    return {
        "kind": "Namespace", "apiVersion": "v1",
        "metadata": {"name": ns, "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, "ns/" + ns)),
                     "resourceVersion": "0", "creationTimestamp": CREATED,
                     "labels": {"kubernetes.io/metadata.name": ns, "team": "identity"},
                     "annotations": {"owner": "security@example.org"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class State:
    """Everything the fake serves, its history (for watches) and its counters."""

    def __init__(self, files, node, token):
        self.cond = threading.Condition()
        self.rv = 0
        self.compacted = 0          # versions <= this are expired
        self.events = []            # (rv, kind, type, object)
        self.pods = {}              # (ns, name) -> pod
        self.namespaces = {}        # name -> namespace
        self.token = token
        self.down = False
        self.latency = 0.0
        self.oversize = None
        self.watch_epoch = 0        # bumping it ends every watch
        self.counts = {}
        self.classes = {}
        with self.cond:
            self._populate(files, node)

    def _populate(self, files, node):
        for i, f in enumerate(files):
            self._store("pod", "ADDED", make_pod(f, i, node))
            if f["namespace"] not in self.namespaces:
                self._store("namespace", "ADDED", make_namespace(f["namespace"]))
        other = make_pod({"namespace": "kube-system", "pod": "coredns-5d78c9869d-x2x8q",
                          "component": "coredns", "container": "coredns",
                          "container_id": "0" * 64}, 99, "node-2")
        self._store("pod", "ADDED", other)
        self._store("namespace", "ADDED", make_namespace("kube-system"))

    def _store(self, kind, typ, obj):
        """Under cond: a new version of obj, and its event."""
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        md = obj["metadata"]
        if kind == "pod":
            if typ == "DELETED":
                self.pods.pop((md["namespace"], md["name"]), None)
            else:
                self.pods[(md["namespace"], md["name"])] = obj
        else:
            self.namespaces[md["name"]] = obj
        self.events.append((self.rv, kind, typ, json.loads(json.dumps(obj))))
        self.cond.notify_all()

    def count(self, key, cls):
        self.counts[key] = self.counts.get(key, 0) + 1
        self.classes[cls] = self.classes.get(cls, 0) + 1


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-api-fake/1"
    disable_nagle_algorithm = True   # headers and body: no 40 ms stall

    def log_message(self, fmt, *args):   # quiet
        pass

    @property
    def st(self):
        return self.server.state

    def send_json(self, code, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        try:
            if u.path.startswith("/_fake/"):
                self.control(u.path[len("/_fake/"):], q)
            else:
                self.api(u.path, q)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    # --- the API ---

    def api(self, path, q):
        st = self.st
        watch = q.get("watch") in ("true", "1")
        key = path + (" watch" if watch else "")
        if q.get("fieldSelector"):
            key += " " + q["fieldSelector"]
        with st.cond:
            down, latency, token = st.down, st.latency, st.token
        if down:
            with st.cond:
                st.count(key, "dropped")
            self.close_connection = True
            self.connection.close()
            return
        if latency:
            time.sleep(latency)
        auth = self.headers.get("Authorization", "")
        with st.cond:
            if token and auth != "Bearer " + token:  # --token "": none needed
                st.count(key, "401")
                code = 401
            else:
                code = 0
        if code == 401:
            self.send_json(401, status_obj(401, "Unauthorized", "Unauthorized"))
            return
        with st.cond:
            oversize = st.oversize
        if oversize == "watch_body":
            oversize = "body" if watch else None
        if oversize:
            with st.cond:
                st.count(key, "oversize")
            return self.send_oversize(oversize, watch)
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return self.answer(key, 404, status_obj(404, "NotFound", "no such path"))
        rest = parts[2:]
        if rest == ["pods"]:
            return self.collection(key, "pod", q, watch)
        if rest == ["namespaces"]:
            return self.collection(key, "namespace", q, watch)
        if len(rest) == 2 and rest[0] == "namespaces":
            with st.cond:
                obj = st.namespaces.get(rest[1])
            return self.object(key, obj, 'namespaces "%s" not found' % rest[1])
        if len(rest) == 4 and rest[0] == "namespaces" and rest[2] == "pods":
            with st.cond:
                obj = st.pods.get((rest[1], rest[3]))
            return self.object(key, obj, 'pods "%s" not found' % rest[3])
        return self.answer(key, 404, status_obj(404, "NotFound", "no such path"))

    def send_oversize(self, mode, watch):
        """An answer no client should take whole; a cap (4 GiB) keeps a
        client that never gives up from making the fake run forever."""
        if mode == "deep":
            n = 2000000
            pod = b'{"kind":"Pod","apiVersion":"v1","metadata":{"name":"deep","namespace":' \
                  b'"spire-system","uid":"u"},"spec":{"x":' + b"[" * n + b"]" * n + b"}}"
            body = b'{"type":"ADDED","object":' + pod + b"}\n" if watch else pod
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        sent, cap = 0, 4 << 30
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        if mode == "headers":
            fill = (b"X-Padding: " + b"p" * 1000 + b"\r\n") * 64
        else:
            self.wfile.write(b"Transfer-Encoding: chunked\r\n\r\n")
            data = b"x" * 65536
            fill = b"%x\r\n%s\r\n" % (len(data), data)
        try:
            while sent < cap:
                self.wfile.write(fill)
                sent += len(fill)
        finally:
            with self.st.cond:
                self.st.counts["oversize bytes"] = self.st.counts.get("oversize bytes", 0) + sent

    def answer(self, key, code, obj):
        with self.st.cond:
            self.st.count(key, str(code))
        self.send_json(code, obj)

    def object(self, key, obj, missing):
        if obj is None:
            return self.answer(key, 404, status_obj(404, "NotFound", missing))
        return self.answer(key, 200, obj)

    def selected(self, kind, obj, q):
        sel = q.get("fieldSelector", "")
        if kind != "pod" or not sel:
            return True
        field, _, value = sel.partition("=")
        return field == "spec.nodeName" and obj["spec"].get("nodeName") == value

    def collection(self, key, kind, q, watch):
        st = self.st
        if watch:
            return self.watch(key, kind, q)
        with st.cond:
            objs = st.pods.values() if kind == "pod" else st.namespaces.values()
            items = [o for o in objs if self.selected(kind, o, q)]
            lst = {"kind": "PodList" if kind == "pod" else "NamespaceList", "apiVersion": "v1",
                   "metadata": {"resourceVersion": str(st.rv)}, "items": items}
            body = json.loads(json.dumps(lst))
        self.answer(key, 200, body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def watch(self, key, kind, q):
        st = self.st
        since = int(q.get("resourceVersion", "0") or 0)
        deadline = time.time() + int(q.get("timeoutSeconds", "300"))
        with st.cond:
            st.count(key, "200")
            epoch = st.watch_epoch
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        while True:
            with st.cond:
                if since and since < st.compacted:
                    ev = {"type": "ERROR", "object": status_obj(
                        410, "Expired", "too old resource version: %d (%d)" % (since, st.compacted))}
                    pending, gone = [ev], True
                else:
                    pending = [{"type": t, "object": o} for (rv, k, t, o) in st.events
                               if rv > since and k == kind and self.selected(kind, o, q)]
                    gone = False
                    if st.events:
                        since = max(since, st.events[-1][0])
                    if not pending and st.watch_epoch == epoch and not st.down \
                            and time.time() < deadline:
                        st.cond.wait(0.5)
                        continue
                ended = st.watch_epoch != epoch or time.time() >= deadline
                dropped = st.down
            if dropped:          # down: the stream breaks off
                self.close_connection = True
                self.connection.close()
                return
            for ev in pending:
                self.chunk((json.dumps(ev) + "\n").encode())
            if gone or ended:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return

    # --- control ---

    def control(self, what, q):
        st = self.st
        with st.cond:
            if what == "state":
                out = {"pods": list(st.pods.values()),
                       "namespaces": list(st.namespaces.values())}
            elif what == "counts":
                out = {"paths": dict(st.counts), "classes": dict(st.classes)}
                if q.get("reset") == "1":
                    st.counts, st.classes = {}, {}
            elif what == "token":
                st.token = q["accept"]
                out = {"ok": True}
            elif what == "down":
                st.down = q.get("on") == "1"
                st.cond.notify_all()
                out = {"down": st.down}
            elif what == "latency":
                st.latency = int(q.get("ms", "0")) / 1000.0
                out = {"latency_ms": int(st.latency * 1000)}
            elif what == "oversize":
                mode = q.get("mode", "off")
                if mode not in ("body", "watch_body", "headers", "deep", "off"):
                    out = {"error": "oversize: mode is body, watch_body, headers, deep or off"}
                else:
                    st.oversize = None if mode == "off" else mode
                    out = {"oversize": mode}
            elif what in ("label", "replace", "delete"):
                out = self.change(what, q)
            elif what == "compact":   # every version so far expires
                st.rv += 1
                st.compacted = st.rv
                st.watch_epoch += 1
                st.cond.notify_all()
                out = {"compacted": st.compacted}
            elif what == "close-watches":
                st.watch_epoch += 1
                st.cond.notify_all()
                out = {"ok": True}
            else:
                out = None
        if out is None:
            self.send_json(404, {"error": "unknown control " + what})
        else:
            self.send_json(200 if "error" not in out else 404, out)

    def change(self, what, q):
        """Under cond."""
        st = self.st
        pod = st.pods.get((q.get("ns"), q.get("pod")))
        if pod is None:
            return {"error": "no pod %s/%s" % (q.get("ns"), q.get("pod"))}
        pod = json.loads(json.dumps(pod))
        if what == "label":
            pod["metadata"]["labels"][q["key"]] = q["value"]
            st._store("pod", "MODIFIED", pod)
        elif what == "delete":
            st._store("pod", "DELETED", pod)
        else:
            st._store("pod", "DELETED", json.loads(json.dumps(pod)))
            gen = int(pod["metadata"].get("generation", 0)) + 1
            pod["metadata"]["generation"] = gen
            pod["metadata"]["uid"] = pod_uid(q["ns"], q["pod"], gen)
            st._store("pod", "ADDED", pod)
        return {"ok": True, "pod": pod}


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_tls(d):
    """A CA and a server certificate for 127.0.0.1 and localhost, by openssl."""
    os.makedirs(d, exist_ok=True)
    ca_key, ca, key, csr, crt = (os.path.join(d, n) for n in
                                 ("ca.key", "ca.crt", "server.key", "server.csr", "server.crt"))
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run(["openssl"] + list(a), check=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=k8s-api-fake CA", "-keyout", ca_key, "-out", ca)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-days", "2", "-extfile", ext, "-out", crt)
    return crt, key


def serve(a):
    state = State(live_files(a.manifest), a.node, a.token)
    crt, key = make_tls(a.tls_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    httpd = Server(("127.0.0.1", a.port), Handler)
    httpd.state = state
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                   do_handshake_on_connect=False)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % httpd.server_address[1])
    os.rename(tmp, a.port_file)
    httpd.serve_forever()


# ---------------------------------------------------------------------------
# The kubelet's layout, and checking records
# ---------------------------------------------------------------------------

def layout(a):
    logs = os.path.abspath(a.logs)
    cont = os.path.join(a.root, "var", "log", "containers")
    os.makedirs(cont, exist_ok=True)
    for f in live_files(a.manifest):
        d = "%s_%s_%s" % (f["namespace"], f["pod"], pod_uid(f["namespace"], f["pod"]))
        pdir = os.path.join(a.root, "var", "log", "pods", d, f["container"])
        os.makedirs(pdir, exist_ok=True)
        os.symlink(os.path.join(logs, f["path"]), os.path.join(pdir, "0.log"))
        os.symlink(os.path.join("..", "pods", d, f["container"], "0.log"),
                   os.path.join(cont, f["path"]))


def de_dot(m):
    return {k.replace(".", "_"): v for k, v in (m or {}).items()}


def expected(pod, ns, url, ann_rx):
    c = pod["status"]["containerStatuses"][0]
    k = {
        "container_name": c["name"], "namespace_name": pod["metadata"]["namespace"],
        "pod_name": pod["metadata"]["name"], "container_image": c["image"],
        "container_image_id": c["imageID"], "pod_id": pod["metadata"]["uid"],
        "pod_ip": pod["status"]["podIP"], "host": pod["spec"]["nodeName"],
        "node_name": pod["spec"]["nodeName"], "docker_id": c["containerID"].split("://")[1],
        "labels": de_dot(pod["metadata"]["labels"]), "master_url": url,
        "namespace_id": ns["metadata"]["uid"],
        "namespace_labels": de_dot(ns["metadata"]["labels"]),
    }
    if ann_rx:
        rx = re.compile(ann_rx)
        for key, src in (("annotations", pod), ("namespace_annotations", ns)):
            a = {n: v for n, v in src["metadata"]["annotations"].items() if rx.search(n)}
            if a:
                k[key] = de_dot(a)
    return {"docker": {"container_id": k["docker_id"]}, "kubernetes": k}


def check(a):
    with open(a.state) as f:
        st = json.load(f)
    pods = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in st["pods"]}
    nss = {n["metadata"]["name"]: n for n in st["namespaces"]}
    out = {"records": 0, "complete": 0, "incomplete": 0, "no_kubernetes": 0,
           "by_pod": {}, "first_problem": None}
    with open(a.records) as f:
        for line in f:
            r = json.loads(line)
            out["records"] += 1
            k = r.get("kubernetes")
            if not isinstance(k, dict):
                out["no_kubernetes"] += 1
                continue
            key = (k.get("namespace_name"), k.get("pod_name"))
            pod = pods.get(key)
            want = expected(pod, nss[key[0]], a.url, a.annotation_match) if pod else None
            got = {"docker": r.get("docker"), "kubernetes": k}
            name = "%s/%s" % key
            out["by_pod"][name] = out["by_pod"].get(name, 0) + 1
            if want == got:
                out["complete"] += 1
            else:
                out["incomplete"] += 1
                if out["first_problem"] is None:
                    out["first_problem"] = {"got": got, "want": want}
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0 if out["records"] > 0 and out["complete"] == out["records"] else 1


def ctl(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    with urllib.request.urlopen(a.url + a.path, context=ctx, timeout=10) as r:
        sys.stdout.write(r.read().decode())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--manifest", required=True)
    s.add_argument("--tls-dir", required=True)
    s.add_argument("--token", required=True)
    s.add_argument("--node", default=NODE)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file", required=True)
    lo = sub.add_parser("layout")
    lo.add_argument("--manifest", required=True)
    lo.add_argument("--logs", required=True)
    lo.add_argument("--root", required=True)
    c = sub.add_parser("check")
    c.add_argument("--state", required=True)
    c.add_argument("--records", required=True)
    c.add_argument("--url", required=True)
    c.add_argument("--annotation-match")
    t = sub.add_parser("ctl")
    t.add_argument("--url", required=True)
    t.add_argument("--ca", required=True)
    t.add_argument("path")
    a = ap.parse_args()
    if a.cmd == "ctl":
        ctl(a)
    elif a.cmd == "serve":
        serve(a)
    elif a.cmd == "layout":
        layout(a)
    else:
        sys.exit(check(a))


if __name__ == "__main__":
    main()
