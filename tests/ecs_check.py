#!/usr/bin/env python3
"""ecs_check.py - `<format> @type ecs` field by field, against the JSON run.

    ecs_check.py ECS.ndjson JSON.ndjson

Both are tests/kafka_mock's consumed.ndjson, of two backfills of one
corpus through one pipeline: one with `<format> @type json`, one with
`@type ecs`. Each ECS document is compared, whole, with what the
README's mapping table makes of its twin record (the JSON message with
the same source-id header): every ECS field, and spire.* holding exactly
the fields the table does not map, as they were. log.file.path, which
the JSON record does not carry, must name the record's pod's log file
(a rotated one: the file read, x.log.1 or x.log.2.gz).
A pair where only one run got the API's pod metadata in time is not
compared (at most half of them).
Prints what differs ("#   ..." lines), a summary, and exits 1 if
anything does.
"""

import collections
import json
import re
import sys

EVENTS = {"attestation_failure": ("authentication", "start"),
          "workload_attestation_failure": ("authentication", "denied"),
          "unauthorized": ("iam", "denied"),
          "certificate_violation": ("authentication", "denied"),
          "federation_failure": ("network", "error"),
          "ca_rotation_problem": ("configuration", "error"),
          "svid_rotation_failure": ("configuration", "error"),
          "datastore_error": ("database", "error"),
          "rate_limited": ("network", "denied"),
          "process_tracking_failure": ("process", "error"),
          "audit": ("iam", "info")}
MAPPED = ("@timestamp", "time", "msg", "level", "security_event",
          "component", "error", "spiffe_id", "kubernetes", "docker", "log")
KUBE_MAPPED = ("namespace_name", "pod_name", "pod_id", "host", "node_name",
               "container_name", "container_image")
DOCKER_MAPPED = ("container_id",)


def text(v):
    """A field as the encoder reads it: a non-empty scalar's text."""
    if v is None or isinstance(v, (dict, list)):
        return None
    s = v if isinstance(v, str) else json.dumps(v)
    return s or None


def put(d, path, v):
    """d[path...] = v, when v is not None."""
    if v is None:
        return
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = v


def event(r):
    word = text(r.get("security_event"))
    ev = {"kind": "event", "module": "spire"}
    if word in EVENTS:
        ev["kind"] = "event" if word == "audit" else "alert"
        ev["action"] = word
        ev["category"], ev["type"] = [EVENTS[word][0]], [EVENTS[word][1]]
        status = text(r.get("status"))
        ev["outcome"] = ("failure" if word != "audit" else
                         "unknown" if status is None else
                         "success" if status == "success" else "failure")
    if text(r.get("msg")) is not None:
        put(ev, ["original"], text(r.get("log")))
    return ev


def kubernetes(r, e):
    k = r.get("kubernetes") if isinstance(r.get("kubernetes"), dict) else {}
    ns, pod = text(k.get("namespace_name")), text(k.get("pod_name"))
    node = text(k.get("host")) or text(k.get("node_name"))
    put(e, ["host", "name"], node)
    if ns is not None or pod is not None:
        put(e, ["orchestrator", "type"], "kubernetes")
        put(e, ["orchestrator", "namespace"], ns)
        if pod is not None:
            put(e, ["orchestrator", "resource"], {"type": "pod", "name": pod})
        e["kubernetes"] = {}
        put(e, ["kubernetes", "namespace"], ns)
        if pod is not None:
            put(e, ["kubernetes", "pod", "name"], pod)
            put(e, ["kubernetes", "pod", "uid"], text(k.get("pod_id")))
        put(e, ["kubernetes", "node", "name"], node)
    d = r.get("docker") if isinstance(r.get("docker"), dict) else {}
    name, cid = text(k.get("container_name")), text(d.get("container_id"))
    image = text(k.get("container_image"))
    if name is not None or cid is not None or image is not None:
        e["container"] = {}
        put(e, ["container", "name"], name)
        put(e, ["container", "id"], cid)
        put(e, ["container", "image", "name"], image)


def rest(r):
    """spire.*: what the table does not map, as it was."""
    s = {k: v for k, v in r.items() if k not in MAPPED}
    for key, taken in (("kubernetes", KUBE_MAPPED), ("docker", DOCKER_MAPPED)):
        v = r.get(key)
        if isinstance(v, dict):
            left = {k: x for k, x in v.items() if k not in taken}
            if left:
                s[key] = left
        elif v is not None:
            s[key] = v
    return s


def expected(r):
    """The README's table applied to record r (log.file.path aside)."""
    e = {"@timestamp": r["@timestamp"], "ecs": {"version": "8.11.0"}}
    put(e, ["message"], text(r.get("msg")) or text(r.get("log")))
    e["log"] = {}
    lvl = text(r.get("level"))
    put(e, ["log", "level"], lvl and re.sub("[A-Z]", lambda m:
                                            m.group().lower(), lvl))
    e["event"] = event(r)
    e["service"] = {"type": "spire"}
    put(e, ["service", "name"], text(r.get("component")))
    put(e, ["error", "message"], text(r.get("error")))
    put(e, ["spiffe", "id"], text(r.get("spiffe_id")))
    kubernetes(r, e)
    e["spire"] = rest(r)
    return e


def diff(got, want, path, out):
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            diff(got.get(k), want.get(k), path + [k], out)
    elif got != want:
        out.append("%s: %r, the table says %r" % (".".join(path), got, want))


def by_source_id(path):
    docs = {}
    for line in open(path):
        m = json.loads(line)
        docs[m["headers"]["spire-shipper-source-id"]] = json.loads(m["value"])
    return docs


def main():
    ecs, recs = by_source_id(sys.argv[1]), by_source_id(sys.argv[2])
    bad, fields = collections.Counter(), collections.Counter()
    k8s = timing = 0
    for sid, d in ecs.items():
        r = recs.get(sid)
        if r is None:
            bad["ECS document without a JSON twin"] += 1
            continue
        # The filter waits 250 ms at most for a pod: in one run a record
        # may get the API's fields, its twin in the other not.
        if ("host" in d) != ("host" in (r.get("kubernetes") or {})):
            timing += 1
            continue
        path = d.get("log", {}).pop("file", {}).get("path", "")
        pod = (r.get("kubernetes") or {}).get("pod_name", "")
        if not re.search(r"/%s_[^/]*\.log(\.[0-9-]+)?(\.gz)?$" %
                         re.escape(pod), path):
            bad["log.file.path %r for pod %r" % (path, pod)] += 1
        out = []
        diff(d, expected(r), [], out)
        for o in out:
            bad[o] += 1
        k8s += "host" in d
        for k in ("host", "orchestrator", "container", "error", "spiffe"):
            fields[k] += k in d
    if len(ecs) != len(recs):
        bad["%d ECS documents, %d JSON records" % (len(ecs), len(recs))] += 1
    for b, n in sorted(bad.items())[:8]:
        print("#   %s (x%d)" % (b, n))
    print("# %d documents, %d with the API's pod metadata, %d not compared "
          "(metadata in one run only); with %s" % (
              len(ecs), k8s, timing,
              ", ".join("%s %d" % kv for kv in sorted(fields.items()))))
    sys.exit(1 if bad or k8s == 0 or timing > len(ecs) // 2 else 0)


if __name__ == "__main__":
    main()
