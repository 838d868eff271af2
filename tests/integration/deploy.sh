#!/bin/sh
# deploy.sh — deploy/ holds together: every YAML and JSON file parses;
# the manifests agree with each other and with the configuration they
# ship (ports, probe paths, mounts under which the configuration reads
# and writes, credentials it names, the service account, the shard
# count); the ConfigMap's configurations pass --dry-run for the plugins
# this build has (the others are named); the systemd unit verifies; and
# every metric the alert rules and the dashboard use is one a live
# shipper exports, or one listed in tests/metrics-pending.txt for the
# modules still being written, with the labels they group, select and
# label legends by.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

deploy="$top_srcdir/deploy"
pending="$top_srcdir/tests/metrics-pending.txt"

# YAML needs PyYAML: Debian's python3-yaml is for the system python3.
PY=
for p in "$PYTHON3" /usr/bin/python3; do
	if "$p" -c 'import yaml' 2> /dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	tap_ok 1 "PyYAML is missing: install the Debian package python3-yaml (tests/deps.sh does)"
	tap_done
fi

# results FILE — "ok|what" or "not ok|what|why" lines as TAP.
results() {
	while IFS='|' read -r st what why; do
		if [ "$st" = ok ]; then tap_ok 0 "$what"; else
			tap_ok 1 "$what"; [ -n "$why" ] && tap_diag "  $why"
		fi
	done < "$1"
}

for f in "$deploy"/*.yaml; do
	"$PY" -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
assert docs and all("kind" in d and "apiVersion" in d for d in docs)' "$f" 2> "$WORK/yaml.err"
	tap_ok $? "$(basename "$f") parses as YAML (Kubernetes objects)"
done
for f in "$deploy"/*.json; do
	"$PY" -m json.tool "$f" > /dev/null 2> "$WORK/json.err"
	tap_ok $? "$(basename "$f") parses as JSON"
done

# The ConfigMap's configurations, as files.
mkdir -p "$WORK/etc"
"$PY" - "$deploy/configmap.yaml" "$WORK/etc" <<'PY'
import os, sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
for name, text in cm["data"].items():
    open(os.path.join(sys.argv[2], name), "w").write(text)
PY

# The manifests against each other and against the configurations.
"$PY" - "$deploy" "$WORK/etc" > "$WORK/manifests" <<'PY'
import os, re, sys, yaml
deploy, etc = sys.argv[1], sys.argv[2]
def load(name):
    return list(yaml.safe_load_all(open(os.path.join(deploy, name))))
def check(ok, what, why=""):
    print("%s|%s|%s" % ("ok" if ok else "not ok", what, why if not ok else ""))
ds = load("daemonset.yaml")[0]
cm = load("configmap.yaml")[0]
rbac = {d["kind"]: d for d in load("rbac.yaml")}
job = load("backfill-job.yaml")[0]
pod = ds["spec"]["template"]["spec"]
c = pod["containers"][0]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
conf = "\n".join(open(os.path.join(etc, f)).read() for f in sorted(os.listdir(etc)))

def host(path):
    m = mounts.get(path)
    return m and vols[m["name"]].get("hostPath", {}).get("path") == path and m
pods, containers = host("/var/log/pods"), host("/var/log/containers")
state = host("/var/lib/spire-shipper")
check(pods and pods.get("readOnly") is True and containers and containers.get("readOnly") is True,
      "DaemonSet: hostPath /var/log/pods and /var/log/containers mounted read-only")
check(state and not state.get("readOnly"), "DaemonSet: hostPath /var/lib/spire-shipper mounted writable")
hostpaths = {vols[m["name"]]["hostPath"]["path"]: m for m in c["volumeMounts"]
             if "hostPath" in vols[m["name"]]}
check(sorted(hostpaths) == ["/var/lib/spire-shipper", "/var/log/containers", "/var/log/pods"],
      "DaemonSet: of the node, only the pod logs and its own state are mounted", "hostPaths: %s" % sorted(hostpaths))
check(all(m.get("readOnly") is True for p, m in hostpaths.items() if p != "/var/lib/spire-shipper"),
      "DaemonSet: every node path but its state is read-only")
for path in re.findall(r"^\s*path (/\S+)", conf, re.M):
    for p in path.split(","):
        under = [m for m in mounts if p.startswith(m + "/")]
        check(under, "the configuration's path %s is inside a mount" % p, "mounts: %s" % sorted(mounts))
for key, path in re.findall(r"^\s*(pos_file|path) (/var/lib/\S+)", conf, re.M):
    check(path.startswith("/var/lib/spire-shipper/"), "%s %s is on the node's state volume" % (key, path))
env = {e["name"]: e for e in c.get("env", [])}
check(env.get("K8S_NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
      "DaemonSet: K8S_NODE_NAME from the downward API")
for var in sorted(set(re.findall(r"ENV\['([A-Z0-9_]+)'\]", conf))):
    ref = env.get(var, {}).get("valueFrom", {}).get("secretKeyRef", {})
    check(ref.get("name") == "spire-shipper-credentials",
          "the configuration's ENV['%s'] comes from the Secret" % var, "env: %s" % env.get(var))
    check(re.search(r"password|token|secret", var, re.I) is None or "valueFrom" in env.get(var, {}),
          "and %s is not written into the manifest" % var)
port = int(re.search(r"@type prometheus\n(?:\s+\S.*\n)*?\s+port (\d+)", conf).group(1))
cport = [p for p in c["ports"] if p["name"] == "metrics"][0]["containerPort"]
ann = ds["spec"]["template"]["metadata"]["annotations"]
check(port == cport == int(ann["prometheus.io/port"]),
      "the prometheus source's port, containerPort and scrape annotation agree (%d)" % port)
check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/path") == "/metrics",
      "DaemonSet: Prometheus scrape annotations")
probe = lambda p: c[p]["httpGet"]
check(probe("livenessProbe")["path"] == "/live" and probe("livenessProbe")["port"] == "metrics",
      "DaemonSet: liveness on /live")
check(probe("readinessProbe")["path"] == "/ready" and probe("readinessProbe")["port"] == "metrics",
      "DaemonSet: readiness on /ready")
check({"requests", "limits"} <= set(c.get("resources", {})), "DaemonSet: resource requests and limits")
check({"operator": "Exists"} in pod.get("tolerations", []), "DaemonSet: tolerates every taint")
sc = c["securityContext"]
check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
      and sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc.get("capabilities", {}).get("add"),
      "DaemonSet: read-only root, no privilege escalation, every capability dropped")
check(not sc.get("privileged") and not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")),
      "DaemonSet: not privileged, no host network, PID or IPC namespace")
seccomp = sc.get("seccompProfile") or pod.get("securityContext", {}).get("seccompProfile") or {}
check(seccomp.get("type") == "RuntimeDefault", "DaemonSet: seccomp RuntimeDefault")
# uid 0 is the one uid that reads the runtime's root-owned 0600/0640 logs
# without a capability; the manifest must say so, and keep no capability.
check(sc.get("runAsUser") == 0 and sc.get("runAsNonRoot") is False,
      "DaemonSet: uid 0 (the logs' owner), explicitly")
ds_text = open(os.path.join(deploy, "daemonset.yaml")).read()
check(all(w in ds_text for w in ("0640 root:root", "0600 root:root", "CAP_DAC_READ_SEARCH", "ambient")),
      "DaemonSet: its comment gives the reasons for uid 0 without capabilities")
jsc = job["spec"]["template"]["spec"]
jcs = jsc["containers"][0]["securityContext"]
check(jsc.get("securityContext", {}).get("runAsNonRoot") is True
      and jsc["securityContext"].get("seccompProfile", {}).get("type") == "RuntimeDefault"
      and jcs.get("readOnlyRootFilesystem") is True and jcs.get("allowPrivilegeEscalation") is False
      and jcs.get("capabilities", {}).get("drop") == ["ALL"] and not jcs.get("capabilities", {}).get("add"),
      "backfill Job: not root, seccomp RuntimeDefault, read-only root, no escalation, no capability")
check(vols["config"]["configMap"]["name"] == cm["metadata"]["name"], "DaemonSet: mounts the ConfigMap")
args = c["args"]
check(os.path.basename(args[args.index("-c") + 1]) in cm["data"], "DaemonSet: runs a configuration of the ConfigMap")
sa = rbac["ServiceAccount"]
check(pod.get("serviceAccountName") == sa["metadata"]["name"], "DaemonSet: runs as the ServiceAccount")
rules = rbac["ClusterRole"]["rules"]
check(all(sorted(r["verbs"]) == ["get", "list", "watch"] and r.get("apiGroups") == [""] for r in rules)
      and sorted(x for r in rules for x in r["resources"]) == ["namespaces", "pods"],
      "ClusterRole: get, list and watch of pods and namespaces, nothing else")
crb = rbac["ClusterRoleBinding"]
check(crb["roleRef"]["name"] == rbac["ClusterRole"]["metadata"]["name"]
      and crb["subjects"] == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"],
                               "namespace": sa["metadata"]["namespace"]}],
      "ClusterRoleBinding: the role to the ServiceAccount")
js = job["spec"]
jc = js["template"]["spec"]["containers"][0]
shard = jc["args"][jc["args"].index("--shard") + 1]
check(js.get("completionMode") == "Indexed" and shard == "$(JOB_COMPLETION_INDEX)/%d" % js["completions"],
      "backfill Job: indexed, --shard $(JOB_COMPLETION_INDEX)/%d over its %d completions" % (js["completions"], js["completions"]))
jenv = {e["name"]: e for e in jc["env"]}
check("JOB_COMPLETION_INDEX" in jenv, "backfill Job: JOB_COMPLETION_INDEX is in its env, for $(...)")
jmounts = [m["mountPath"] for m in jc["volumeMounts"] if not m.get("readOnly")]
check("/var/lib/spire-shipper" in jmounts, "backfill Job: the buffer's directory is writable")
check(all(v in jenv for v in re.findall(r"ENV\['(ES_[A-Z_]+)'\]", conf)), "backfill Job: has the Elasticsearch credentials")
df = open(os.path.join(deploy, "Dockerfile")).read()
stages = re.findall(r"^FROM (\S+)", df, re.M)
check(len(stages) >= 2 and all(s.startswith("debian:12") for s in stages), "Dockerfile: multi-stage, Debian 12")
check('"/usr/bin/spire-shipper"' in df and "--prefix=/usr" in df, "Dockerfile: runs the spire-shipper it installs")
PY
results "$WORK/manifests"

# Each configuration with the plugins of this build: the others are
# named, taken out (a <match> becomes @type null) and the rest checked.
"$SHIPPER" --reference > "$WORK/reference"
"$PY" - "$WORK/etc" "$WORK/reference" "$WORK/checkable" > "$WORK/unavailable" <<'PY'
import os, re, sys
etc, ref, out = sys.argv[1:4]
have = set(re.findall(r"^### <(source|filter PATTERN|match PATTERN)> @type (\S+)",
                      open(ref).read(), re.M))
have = {(k.split()[0], t) for k, t in have}
os.makedirs(out, exist_ok=True)
for name in sorted(os.listdir(etc)):
    lines, kept, skip = open(os.path.join(etc, name)).read().split("\n"), [], None
    for i, line in enumerate(lines):
        m = re.match(r"\s*<(source|filter|match)\b", line)
        if m and skip is None:
            block = []
            for j in range(i + 1, len(lines)):
                if re.match(r"\s*</%s>" % m.group(1), lines[j]):
                    break
                block.append(lines[j])
            t = [re.match(r"\s*@type (\S+)", b) for b in block]
            t = [x.group(1) for x in t if x][0]
            if (m.group(1), t) not in have:
                print("%s:%d <%s> @type %s" % (name, i + 1, m.group(1), t))
                skip = m.group(1)
                if skip == "match":
                    kept += [line, "  @type null", "</match>"]
                continue
        if skip is not None:
            if re.match(r"\s*</%s>" % skip, line):
                skip = None
            continue
        kept.append(line)
    open(os.path.join(out, name), "w").write("\n".join(kept))
PY
while read -r what; do
	tap_diag "not checked (not in this build yet): $what"
done < "$WORK/unavailable"
# The image installs the templates in /usr/share/spire-shipper.
sed -i "s|/usr/share/spire-shipper/|$top_srcdir/templates/|" \
    "$WORK/checkable/"*.conf
for conf in spire-shipper.conf kafka.conf; do
	"$SHIPPER" -c "$WORK/checkable/$conf" --dry-run > "$WORK/$conf.dry" 2>&1
	tap_ok $? "configmap $conf passes --dry-run (with the plugins of this build)"
	tap_grep '^warnings: 0$' "$WORK/$conf.dry" "and draws no warning"
done
tap_grep 'parser \[1 test of the grep .* run while parsing\] -> spire -> grep' \
    "$WORK/spire-shipper.conf.dry" "its level grep runs inside the parser"

# The systemd unit, with the built binary in place of the installed one.
if command -v systemd-analyze > /dev/null 2>&1; then
	sed "s|/usr/bin/spire-shipper|$SHIPPER|g" "$deploy/spire-shipper.service" \
	    > "$WORK/spire-shipper.service"
	systemd-analyze verify --man=no "$WORK/spire-shipper.service" \
	    > "$WORK/unit.out" 2>&1
	r=$?
	[ -s "$WORK/unit.out" ] && { r=1; sed 's/^/#   /' "$WORK/unit.out"; }
	tap_ok $r "spire-shipper.service verifies (systemd-analyze), without a warning"
else
	tap_skip "spire-shipper.service verifies" "no systemd-analyze here"
fi
grep -q '^ExecStart=/usr/bin/spire-shipper -c ' "$deploy/spire-shipper.service"
tap_ok $? "spire-shipper.service runs the installed binary with a configuration"

# A live /metrics: a shipper with every module of this build.
PORT=$("$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/logs"
pipeline_conf "$WORK/logs/*.log" "$WORK/pos" "$WORK/out.ndjson" |
    sed '/^<match/,$d' > "$WORK/live.conf"
# Every kind of plugin whose metrics deploy/ uses: a buffered
# Elasticsearch output (to the emulator) and the kubernetes filter (its
# API server unreachable: its counters are there all the same).
es_start emu || tap_ok 1 "the Elasticsearch emulator starts"
cat >> "$WORK/live.conf" <<CONF
<filter kubernetes.**>
  @type kubernetes_metadata
  kubernetes_url https://127.0.0.1:1
  watch false
</filter>
<match kubernetes.**>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  <buffer>
    @type file
    path $WORK/buffer
  </buffer>
</match>
<source>
  @type prometheus
  bind 127.0.0.1
  port $PORT
</source>
CONF
"$SHIPPER" -c "$WORK/live.conf" > /dev/null 2> "$WORK/live.log" &
SP=$!
TAP_PIDS="$TAP_PIDS $SP"
scrape() {
	"$PYTHON3" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	    "http://127.0.0.1:$PORT/metrics" > "$WORK/metrics" 2> /dev/null
}
wait_for 10 scrape
tap_ok $? "a live shipper serves /metrics"
kill -TERM "$SP"
wait "$SP"

"$PY" - "$deploy" "$WORK/metrics" "$pending" > "$WORK/names" <<'PY'
import json, os, re, sys, yaml
deploy, metrics, pending = sys.argv[1:4]
exported, values = set(), {}
for line in open(metrics):
    # A family this build declares counts even with no instance here
    # (no Elasticsearch output or kubernetes filter in this shipper).
    t = re.match(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)", line)
    if t:
        exported.add(t.group(1))
        if t.group(2) == "histogram":
            exported.update(t.group(1) + s for s in ("_bucket", "_sum", "_count"))
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
    exported.add(m.group(1))
    for k, v in re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""):
        values.setdefault(k, set()).add(v)
listed = [l.strip() for l in open(pending) if l.strip() and not l.startswith("#")]
exprs = []
rules = yaml.safe_load(open(os.path.join(deploy, "prometheus-rules.yaml")))
for g in rules["spec"]["groups"]:
    exprs += [("prometheus-rules.yaml " + r["alert"], r["expr"]) for r in g["rules"]]
dash = json.load(open(os.path.join(deploy, "grafana-dashboard.json")))
for p in dash["panels"]:
    exprs += [("grafana-dashboard.json \"%s\"" % p["title"], t["expr"]) for t in p.get("targets", [])]
for v in dash["templating"]["list"]:
    if isinstance(v.get("query"), dict):
        exprs.append(("grafana-dashboard.json $%s" % v["name"], v["query"]["query"]))
# Prometheus makes `up` itself, for every target it scrapes.
SYNTHETIC = {"up"}
used, events = {}, {}
for where, e in exprs:
    for name in re.findall(r"\b((?:spire|process)_[a-z0-9_]+|up)\b(?!\s*\()", e):
        used.setdefault(name, where)
    for ev in re.findall(r'event!?=~?"([a-z_]+)"', e):
        events.setdefault(ev, where)
for ev, where in sorted(events.items()):
    print("%s|event \"%s\" (%s) is one the shipper counts|%s" % (
        "ok" if ev in values.get("event", set()) else "not ok", ev, where,
        "known: %s" % sorted(values.get("event", []))))
for name, where in sorted(used.items()):
    if name in SYNTHETIC:
        continue
    if name in exported:
        print("ok|%s (%s) is exported" % (name, where))
    elif name in listed:
        print("ok|%s (%s) is pending, in metrics-pending.txt" % (name, where))
    else:
        print("not ok|%s (%s) is exported|neither in a live /metrics nor in tests/metrics-pending.txt" % (name, where))
for name in listed:
    print("%s|metrics-pending.txt: %s is still pending and used|%s" % (
        "ok" if name not in exported and name in used else "not ok", name,
        "exported now: remove it" if name in exported else "not used by deploy/ any more: remove it"))
print("%s|the rules and the dashboard use %d metric names|" % ("ok" if len(used) >= 20 else "not ok", len(used)))
for panel in ("Failed attestations", "Unauthorized access", "Certificate violations", "Federation issues"):
    ps = [p for p in dash["panels"] if p["title"] == panel]
    ok = ps and all("spire_security_events_total" in t["expr"] for t in ps[0]["targets"])
    print("%s|dashboard panel \"%s\" is drawn from spire_security_events_total|" % ("ok" if ok else "not ok", panel))
PY
results "$WORK/names"

# Label names, not only metric names: every label a `by (...)` or
# `without (...)` clause groups by, a `{label=...}` selector matches on,
# or a legend prints must be one the live /metrics gives the metrics it
# applies to, or one Prometheus adds at scrape time (the comment at the
# top of prometheus-rules.yaml). A misspelt label silently draws one
# unlabelled line, or nothing.
"$PY" - "$deploy" "$WORK/metrics" > "$WORK/labels" <<'PY'
import json, os, re, sys, yaml
deploy, metrics = sys.argv[1:3]
SCRAPE = {"namespace", "pod", "job", "instance"}
NAME = r"\b((?:spire|process)_[a-z0-9_]+)\b(?!\s*\()"
labels = {}		# series name -> the label names of its samples
for line in open(metrics):
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
    if m and not line.startswith("#"):
        labels.setdefault(m.group(1), set()).update(
            re.findall(r'(\w+)="', m.group(2) or ""))
exprs = []
rules = yaml.safe_load(open(os.path.join(deploy, "prometheus-rules.yaml")))
for g in rules["spec"]["groups"]:
    exprs += [("prometheus-rules.yaml " + r["alert"], r["expr"], None) for r in g["rules"]]
dash = json.load(open(os.path.join(deploy, "grafana-dashboard.json")))
for p in dash["panels"]:
    exprs += [("grafana-dashboard.json \"%s\"" % p["title"], t["expr"], t.get("legendFormat"))
              for t in p.get("targets", [])]

def close(e, i, step):
    """The index of the parenthesis matching the one at i."""
    depth = 0
    while 0 <= i < len(e):
        depth += {"(": step, ")": -step}.get(e[i], 0)
        if depth == 0:
            return i
        i += step
    raise ValueError("unbalanced parentheses in %r" % e)

def grouped(e):
    """(labels, argument) of each by/without clause, before or after it."""
    for m in re.finditer(r"\b(?:by|without)\s*\(([^)]*)\)", e):
        names = [x.strip() for x in m.group(1).split(",") if x.strip()]
        j = m.end() + len(e[m.end():]) - len(e[m.end():].lstrip())
        if j < len(e) and e[j] == "(":
            yield names, e[j:close(e, j, 1) + 1]
        else:
            k = len(e[:m.start()].rstrip()) - 1
            yield names, e[close(e, k, -1):k + 1]

def uses(where, e, legend):
    """(label, the metrics it must be on, how it is used) in e."""
    for names, arg in grouped(e):
        for l in names:
            yield l, re.findall(NAME, arg), "by (%s)" % ", ".join(names)
    for m in re.finditer(NAME + r"\s*\{([^}]*)\}", e):
        for l in re.findall(r'(\w+)\s*(?:=~|!~|!=|=)\s*"', m.group(2)):
            yield l, [m.group(1)], "{%s=...}" % l
    for l in re.findall(r"\{\{\s*(\w+)\s*\}\}", legend or ""):
        yield l, re.findall(NAME, e), "legend {{%s}}" % l

seen = set()
for where, e, legend in exprs:
    for label, names, how in uses(where, e, legend):
        for n in names:
            if (where, label, n) in seen or label in SCRAPE:
                continue
            seen.add((where, label, n))
            have = labels.get(n)
            ok = have is not None and label in have
            print("%s|%s: %s: %s has label %s|%s" % (
                "ok" if ok else "not ok", where, how, n, label,
                "the live /metrics has no sample of it" if have is None else
                "its labels: %s (and %s, added at scrape)" % (
                    ", ".join(sorted(have)) or "none", ", ".join(sorted(SCRAPE)))))
print("%s|the rules and the dashboard use labels on %d metrics|" % (
    "ok" if len({n for _, _, n in seen}) >= 10 else "not ok", len({n for _, _, n in seen})))
PY
results "$WORK/labels"

tap_done
