#!/bin/sh
# metrics.sh — the shipper's own endpoint, live: a shipper follows the
# generator writing and rotating SPIRE logs, with `<source> @type
# prometheus` and `@type monitor_agent` on free 127.0.0.1 ports. Once it
# has read everything, /metrics must be valid Prometheus text whose
# counters are the generator's manifest: lines, bytes, partial lines,
# bad lines by kind, rotations, records delivered and dropped, and the
# security events by component and event; /api/plugins.json has
# Fluentd's shape; /live and /ready answer 200, anything else 404; the
# port is released at SIGTERM and a second shipper on it fails clearly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

d="$WORK/m"
mkdir -p "$d/gen"

# Two free ports, from the kernel.
set -- $("$PYTHON3" -c 'import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
PROM=$1 AGENT=$2
BASE="http://127.0.0.1:$PROM"

# fetch.py METHOD URL — prints the status, then the body (or headers);
# "refused" when nothing listens.
cat > "$d/fetch.py" <<'PY'
import sys, urllib.request, urllib.error
method, url = sys.argv[1], sys.argv[2]
req = urllib.request.Request(url, method=method)
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        status, headers, body = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    status, headers, body = e.code, e.headers, e.read()
except urllib.error.URLError:
    print("refused")
    sys.exit(0)
print(status)
if method == "HEAD":
    print("".join("%s: %s\n" % kv for kv in headers.items()), end="")
else:
    sys.stdout.write(body.decode("utf-8"))
PY
get() {	# get PATH [METHOD] — status on the first line, then the body
	"$PYTHON3" "$d/fetch.py" "${2:-GET}" "$BASE$1"
}
status() {
	get "$@" 2>/dev/null | head -1
}

pipeline_conf "$d/gen/*.log" "$d/pos" "$d/out.ndjson" 0 |
    sed 's/^  keep_audit true$/  keep_audit true\n  audit_exclude_agent_sync true/' \
    > "$d/shipper.conf"
cat >> "$d/shipper.conf" <<CONF
<source>
  @type prometheus
  bind 127.0.0.1
  port $PROM
</source>
<source>
  @type monitor_agent
  bind 127.0.0.1
  port $AGENT
  include_config true
</source>
<source>
  @type prometheus_tail_monitor
</source>
CONF
grep -q 'audit_exclude_agent_sync true' "$d/shipper.conf"
tap_ok $? "the configuration drops routine agent-sync audit records"

ready() {
	[ "$(status /ready)" = 200 ]
}
lines_read() {
	get /metrics | awk '/^spire_shipper_input_lines_total\{/ { n += $2 }
	    END { print n + 0 }'
}
read_all() {
	[ "$(lines_read)" = "$want_lines" ]
}

"$SHIPPER" -c "$d/shipper.conf" > /dev/null 2> "$d/shipper.log" &
SP=$!
TAP_PIDS="$TAP_PIDS $SP"
wait_for 10 ready
tap_ok $? "/ready answers 200 once the pipeline runs"
tap_grep "prometheus: serving on 127.0.0.1:$PROM" "$d/shipper.log" \
    "the shipper says where it serves"

$GEN --out "$d/gen" --seed 41 --follow --rate 1500 --duration 4 \
    --rotate-every 500 --files 4 --format mixed --inner mixed \
    --bad-rate 0.01 --each-bad-kind --quiet
m="$d/gen/manifest.json"
want_lines=$(json_get "$m" totals.logical_lines)
wait_for 30 read_all
tap_ok $? "the shipper read the generator's $want_lines lines ($(lines_read) so far)"
sleep 2		# rotate_wait: rotated files are let go

get /metrics > "$d/metrics"
tap_is "$(head -1 "$d/metrics")" 200 "/metrics answers 200"
sed 1d "$d/metrics" > "$d/metrics.txt"
get /metrics HEAD > "$d/head"
tap_grep '^Content-Type: text/plain; version=0.0.4; charset=utf-8$' \
    "$d/head" "HEAD /metrics has Prometheus' content type"

# The exposition is well formed: every line a comment or a sample, one
# HELP and TYPE per family before its samples, samples of a family
# together, counters named _total, label values quoted.
"$PYTHON3" - "$d/metrics.txt" > "$d/format" 2>&1 <<'PY'
import re, sys
sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (?P<v>\S+)$')
types, helps, done, current, bad = {}, set(), set(), None, []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        name = line.split()[2]
        kind = helps if line[2] == "H" else types
        if name in kind or name in done:
            bad.append("%d: second %s for %s" % (n, line[2:6], name))
        if line[2] == "H":
            helps.add(name)
        else:
            types[name] = line.split()[3]
            if types[name] == "counter" and not name.endswith("_total"):
                bad.append("%d: counter %s is not _total" % (n, name))
        if current is not None and current != name:
            done.add(current)
        current = name
        continue
    m = sample.match(line)
    if not m:
        bad.append("%d: not a sample: %r" % (n, line))
        continue
    fam = m.group(1)
    for suffix in ("_bucket", "_sum", "_count"):
        if fam.endswith(suffix) and fam[:-len(suffix)] in types:
            fam = fam[:-len(suffix)]
    if fam != current:
        bad.append("%d: %s outside its family" % (n, m.group(1)))
    float(m.group("v").replace("Inf", "inf"))
if not types:
    bad.append("no families")
print("\n".join(bad) or "ok")
PY
tap_is "$(cat "$d/format")" ok "/metrics is well-formed text format 0.0.4"

# The counters against the manifest.
"$PYTHON3" - "$d/metrics.txt" "$m" "$d/out.ndjson" > "$d/compare" <<'PY'
import json, os, re, sys
samples = {}
for line in open(sys.argv[1], encoding="utf-8"):
    if line.startswith("#"):
        continue
    m = re.match(r'^([^{ ]+)(?:\{(.*)\})? (\S+)$', line.rstrip("\n"))
    labels = dict(re.findall(r'([a-zA-Z_]+)="((?:\\.|[^"\\])*)"', m.group(2) or ""))
    samples.setdefault(m.group(1), []).append((labels, float(m.group(3))))
def total(name, **want):
    return int(sum(v for l, v in samples.get(name, [])
                   if all(l.get(k) == w for k, w in want.items())))
man = json.load(open(sys.argv[2]))
t = man["totals"]
rows = [
    ("lines read", total("spire_shipper_input_lines_total", type="tail"), t["logical_lines"]),
    ("bytes read", total("spire_shipper_input_bytes_total", type="tail"), t["bytes_uncompressed"]),
    ("physical lines", total("spire_shipper_physical_lines_total"), t["physical_lines"]),
    ("partial lines joined", total("spire_shipper_partial_lines_total"), t["partial_lines"]),
    ("rotations", total("spire_shipper_rotations_total"), len(man["rotations"])),
    ("files watched", total("spire_shipper_files_watched"),
     len([f for f in man["files"] if f["segment"] == 0])),
    ("agent-sync audit records dropped",
     total("spire_shipper_records_dropped_total", reason="audit_agent_sync"), t["audit_agent_sync"]),
    ("the spire filter's drops",
     total("spire_shipper_filter_records_dropped_total", type="spire", reason="audit_agent_sync"),
     t["audit_agent_sync"]),
    ("records delivered", total("spire_shipper_records_delivered_total"),
     t["logical_lines"] - t["audit_agent_sync"]),
    ("records written by the output", total("spire_shipper_output_records_total", type="file"),
     t["logical_lines"] - t["audit_agent_sync"]),
    ("bytes written by the output", total("spire_shipper_output_bytes_total", type="file"),
     os.path.getsize(sys.argv[3])),
    ("grep drops", total("spire_shipper_records_dropped_total", reason="grep"), 0),
]
for kind, n in sorted(t["bad"].items()):
    rows.append(("parse errors of kind %s" % kind,
                 total("spire_shipper_parse_errors_total", kind=kind), n))
want = {}
for f in man["files"]:
    for ev, n in f["security_events"].items():
        key = (f["component"], ev)
        want[key] = want.get(key, 0) + n
for f in man["files"]:
    key = (f["component"], "audit")
    want[key] = want.get(key, 0) - f["audit_agent_sync"]
events = ["attestation_failure", "workload_attestation_failure", "unauthorized",
          "certificate_violation", "federation_failure", "ca_rotation_problem",
          "svid_rotation_failure", "datastore_error", "rate_limited",
          "process_tracking_failure", "audit"]
for comp in ("spire-server", "spire-agent"):
    for ev in events:
        rows.append(("%s %s events" % (comp, ev),
                     total("spire_security_events_total", component=comp, event=ev),
                     want.get((comp, ev), 0)))
rows.append(("resident memory is reported",
             int(total("process_resident_memory_bytes") > 1 << 20), 1))
rows.append(("CPU time is reported", int(total("process_cpu_seconds_total") >= 0 and
             "process_cpu_seconds_total" in samples), 1))
rows.append(("the build is described", len(samples.get("spire_shipper_build_info", [])), 1))
rows.append(("ready", total("spire_shipper_ready"), 1))
for name, got, exp in rows:
    print("%s|%d|%d" % (name, got, exp))
PY
while IFS='|' read -r what got want; do
	tap_is "$got" "$want" "/metrics: $what"
done < "$d/compare"
tap_ok "$([ "$(grep -c 'spire_security_events_total{.*} [1-9]' \
    "$d/metrics.txt")" -ge 10 ]; echo $?)" "there are events of most kinds"
n=$(wc -l < "$d/out.ndjson")
tap_is "$n" "$(( want_lines - $(json_get "$m" totals.audit_agent_sync) ))" \
    "and the output file has those records"

# /live, /ready, 404, and Fluentd's /api/plugins.json.
tap_is "$(get /live | tr '\n' ' ')" "200 ok " "/live answers 200 ok"
tap_is "$(get /ready | tr '\n' ' ')" "200 ok " "/ready answers 200 ok"
tap_is "$(status /nope)" 404 "an unknown path is 404"
tap_is "$(status /metricsx)" 404 "so is a path that only starts like one"
tap_is "$(status /aggregated_metrics)" 200 "/aggregated_metrics is served too"
"$PYTHON3" "$d/fetch.py" GET "http://127.0.0.1:$AGENT/api/plugins.json" > "$d/plugins"
"$PYTHON3" - "$d/plugins" "$want_lines" > "$d/plugins.check" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().split("\n", 1)
doc = json.loads(lines[1])
ps = doc["plugins"]
cats = [p["plugin_category"] for p in ps]
tail = [p for p in ps if p["type"] == "tail"][0]
out = [p for p in ps if p["plugin_category"] == "output"][0]
agent = [p for p in ps if p["type"] == "monitor_agent"][0]
checks = [
    lines[0] == "200",
    cats == ["input"] * 4 + ["filter"] * 2 + ["output"],
    all(set(p) >= {"plugin_id", "plugin_category", "type", "output_plugin",
                   "retry_count", "emit_records", "emit_size", "config"} for p in ps),
    tail["emit_records"] == int(sys.argv[2]) and tail["output_plugin"] is False
    and tail["retry_count"] is None and tail["plugin_id"] == "in_tail_0",
    out["output_plugin"] is True and out["retry_count"] == 0 and out["type"] == "file",
    agent["config"]["@type"] == "monitor_agent" and agent["config"]["bind"] == "127.0.0.1",
]
print(" ".join("ok" if c else "FAIL" for c in checks))
PY
tap_is "$(cat "$d/plugins.check")" "ok ok ok ok ok ok" \
    "monitor_agent: /api/plugins.json in Fluentd's shape, with the counters"
tap_is "$("$PYTHON3" "$d/fetch.py" GET "http://127.0.0.1:$AGENT/live" | head -1)" \
    200 "monitor_agent serves /live too"

# A second shipper cannot have the port, and says so.
cat > "$d/second.conf" <<CONF
<source>
  @type prometheus
  bind 127.0.0.1
  port $PROM
</source>
CONF
"$SHIPPER" -c "$d/second.conf" > /dev/null 2> "$d/second.log"
tap_is $? 1 "a second shipper on the same port exits 1"
tap_grep "second.conf:1: <source> @type prometheus: cannot listen on 127.0.0.1:$PROM: Address already in use" \
    "$d/second.log" "naming the <source> and the port"

# Configuration: Fluentd's own prometheus.conf loads; mistakes are
# named at their line.
"$SHIPPER" -c "$top_srcdir/tests/data/fluentd-configs/debian-elasticsearch8/prometheus.conf" \
    --dry-run > "$d/fluentd.dry" 2>&1
tap_is $? 0 "the Fluentd image's prometheus.conf passes --dry-run"
tap_grep '^warnings: 0$' "$d/fluentd.dry" "with no warning"
bad_conf() {	# bad_conf NAME REGEXP — the <source> body on stdin
	{ echo "<source>"; cat; echo "</source>"; } > "$d/$1.conf"
	"$SHIPPER" -c "$d/$1.conf" --dry-run > /dev/null 2> "$d/$1.err"
	tap_is $? 1 "$1: refused"
	tap_grep "$2" "$d/$1.err" "$1: says $2"
}
bad_conf port '\.conf:3: <source> @type prometheus port 70000: use 1 to 65535' <<'C'
  @type prometheus
  port 70000
C
bad_conf path "metrics_path 'metrics': a path starts with /" <<'C'
  @type prometheus
  metrics_path metrics
C
bad_conf tag '\.conf:3: <source> @type monitor_agent tag mon: emitting metrics as records is not supported' <<'C'
  @type monitor_agent
  tag mon
C
bad_conf tls '<transport> is not valid inside <source> @type prometheus' <<'C'
  @type prometheus
  <transport tls>
  </transport>
C

kill -TERM "$SP"
wait "$SP"
tap_is $? 0 "SIGTERM stops the shipper with 0"
tap_is "$(status /live)" refused "and the port is closed"
if grep -q '\[error\]' "$d/shipper.log"; then r=1; else r=0; fi
tap_ok $r "the shipper logged no error"

tap_done
