#!/bin/sh
# kubernetes.sh — the kubernetes_metadata filter against an HTTPS fake of
# the API server (tests/k8s_api_fake.py) that serves the generator's pods,
# laid out as the kubelet does (/var/log/containers symlinks into
# /var/log/pods/<ns>_<pod>_<uid>/): every record carries every field as
# served; a backfill asks once per pod, and with watch not at all; a
# label change reaches the records after it; a down or slow API loses
# nothing and holds nothing up, and the metadata comes back with the API;
# a rotated token is picked up without a restart. Also reports API
# requests per 1000 records, and with SHIPPER_BENCH=1 measures the
# filter's cost in records/s (best of 3, without and with it).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! command -v openssl > /dev/null 2>&1; then
	echo "1..0 # SKIP openssl not found (Debian: apt-get install openssl)"
	exit 0
fi
FAKE="$PYTHON3 $top_srcdir/tests/k8s_api_fake.py"
GENDIR=$WORK/gen
MANIFEST=$GENDIR/manifest.json
LOGS=$WORK/root/var/log/containers
ANN='^spiffe\.io/|^owner$'

$GEN --out "$GENDIR" --seed 21 --files 4 --lines 6000 --quiet &&
    $FAKE layout --manifest "$MANIFEST" --logs "$GENDIR" --root "$WORK/root"
tap_ok $? "a corpus of 4 pods in the kubelet's layout"
echo tok-1 > "$WORK/token"
$FAKE serve --manifest "$MANIFEST" --tls-dir "$WORK/tls" --token tok-1 \
    --port-file "$WORK/port" 2> "$WORK/fake.err" &
TAP_PIDS="$TAP_PIDS $!"
wait_for 30 test -s "$WORK/port"
tap_ok $? "the fake API server listens (HTTPS, its own CA)"
URL=https://127.0.0.1:$(cat "$WORK/port")
LINES=$(json_get "$MANIFEST" totals.logical_lines)

ctl() {
	$FAKE ctl --url "$URL" --ca "$WORK/tls/ca.crt" "$1"
}

# py FILE EXPR — EXPR of the JSON in FILE (as d).
py() {
	"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

# The kubernetes_metadata filter, asking the fake. kube_filter WATCH
kube_filter() {
	cat <<CONF
<filter kubernetes.**>
  @type kubernetes_metadata
  kubernetes_url $URL
  bearer_token_file $WORK/token
  ca_file $WORK/tls/ca.crt
  watch $1
  annotation_match ["^spiffe\\\\.io/", "^owner\$"]
  watch_retry_interval 1
  watch_retry_exponential_backoff_base 1
</filter>
CONF
}

# lib.sh's pipeline over $LOGS, with DESIGN.md's fixed tag (so the names
# come from the file), the kubernetes_metadata filter before its <match>
# (KUBE 1) and that <match> a file or null.
# k8s_conf OUT WATCH GREP(0|1) KUBE(0|1) [OUTPUT]
k8s_conf() {
	pipeline_conf "$LOGS/*.log" "$1.pos" "$1" "$3" |
	    KUBE=$([ "$4" = 1 ] && kube_filter "$2") OUTPUT=${5:-file} awk '
		/^  tag kubernetes\.\*$/ { print "  tag kubernetes.spire.server"; next }
		/^<match/ { if (ENVIRON["KUBE"] != "") print ENVIRON["KUBE"]; m = 1 }
		m && ENVIRON["OUTPUT"] == "null" && /^  path / { next }
		m && ENVIRON["OUTPUT"] == "null" { sub(/@type file/, "@type null") }
		{ print }'
}

# backfill NAME WATCH GREP [KUBE [OUTPUT]] — a backfill of $LOGS into
# NAME.ndjson.
backfill() {
	k8s_conf "$WORK/$1.ndjson" "$2" "$3" "${4:-1}" "${5:-file}" \
	    > "$WORK/$1.conf"
	rm -f "$WORK/$1.ndjson"
	K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/$1.conf" --backfill "$LOGS" \
	    --summary-json "$WORK/$1.json" > /dev/null 2> "$WORK/$1.err"
}

# check NAME — every record of NAME.ndjson against the fake's state.
check() {
	ctl /_fake/state > "$WORK/state.json"
	$FAKE check --state "$WORK/state.json" --records "$WORK/$1.ndjson" \
	    --url "$URL" --annotation-match "$ANN" > "$WORK/$1.check"
}

# The stop summary's count of records sent on without metadata.
missing() {
	sed -n 's/.* \([0-9]*\) records without metadata.*/\1/p' "$WORK/$1.err"
}

# has_record FILE PYTHON-CONDITION — some record r of FILE meets it (0),
# none does (1), FILE has no record (2). k is r's kubernetes object.
has_record() {
	"$PYTHON3" -c 'import json, sys
n = 0
for l in open(sys.argv[1]) if __import__("os").path.exists(sys.argv[1]) else []:
    n += 1
    r = json.loads(l)
    k = r.get("kubernetes") or {}
    if eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1 if n else 2)' "$1" "$2"
}

# records FILE — how many lines FILE has (0 if none).
records() {
	if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi
}

at_least() {
	[ "$(records "$1")" -ge "$2" ]
}

# Requests for single pods in a counts answer.
POD_GETS='sum(n for p, n in d["paths"].items() if "/pods/" in p)'

# --- every field, one request per pod ------------------------------------

ctl "/_fake/counts?reset=1" > /dev/null
backfill get false 0
tap_is $? 0 "backfill (watch false) exits 0"
check get
tap_ok $? "every record carries every field exactly as served (labels de-dotted, annotations matched)"
tap_is "$(json_get "$WORK/get.check" records)" "$LINES" "every line is a record"
ctl /_fake/counts > "$WORK/get.counts"
pods=$(py "$MANIFEST" 'len([f for f in d["files"] if f["segment"] == 0])')
tap_is "$(py "$WORK/get.counts" "$POD_GETS")" "$pods" \
    "one request per pod over the whole backfill"
tap_is "$(py "$WORK/get.counts" 'max(n for p, n in d["paths"].items() if "/pods/" in p)')" \
    1 "no pod is asked for twice"
tap_is "$(py "$WORK/get.counts" 'd["paths"].get("/api/v1/namespaces/spire-system")')" \
    1 "and the namespace once"
tap_is "$(missing get)" 0 "no record went without metadata"
get_reqs=$(py "$WORK/get.counts" 'sum(d["paths"].values())')
tap_diag "API requests per 1000 records, watch false: $(py "$WORK/get.counts" \
    "'%.2f' % (sum(d['paths'].values()) * 1000 / $LINES)") ($get_reqs for $LINES records)"

# --- watch: lists and watches, asks for no pod ----------------------------

ctl "/_fake/counts?reset=1" > /dev/null
backfill watch true 0
tap_is $? 0 "backfill (watch true) exits 0"
check watch
tap_ok $? "with watch, every record carries every field as served"
ctl /_fake/counts > "$WORK/watch.counts"
tap_is "$(py "$WORK/watch.counts" "$POD_GETS")" 0 "with watch, no request per pod"
tap_is "$(py "$WORK/watch.counts" 'd["paths"].get("/api/v1/pods spec.nodeName=node-1")')" \
    1 "the pods of this node are listed once (fieldSelector spec.nodeName)"
tap_diag "API requests per 1000 records, watch true: $(py "$WORK/watch.counts" \
    "'%.2f' % (sum(d['paths'].values()) * 1000 / $LINES)") (list and watch of pods and namespaces)"

# --- a pod and namespace the API does not know: orphans, asked for once ---

mkdir -p "$WORK/ghost"
first=$(py "$MANIFEST" '[f["path"] for f in d["files"] if f["segment"] == 0][0]')
cp "$GENDIR/$first" "$WORK/ghost/ghost-0_gone-ns_ghost-$(printf '%064d' 7).log"
ctl "/_fake/counts?reset=1" > /dev/null
live=$LOGS
LOGS=$WORK/ghost
backfill ghost false 0
tap_is $? 0 "backfill of a pod the API does not know exits 0"
LOGS=$live
has_record "$WORK/ghost.ndjson" "(k.get('namespace_name'), k.get('namespace_id'), k.get('orphaned_namespace'), k.get('pod_name')) != ('.orphaned', 'orphaned', 'gone-ns', 'ghost-0')"
tap_is $? 1 "its pod and namespace are 404: every record is an orphan (allow_orphans)"
ctl /_fake/counts > "$WORK/ghost.counts"
tap_is "$(py "$WORK/ghost.counts" '(d["paths"].get("/api/v1/namespaces/gone-ns/pods/ghost-0"), d["paths"].get("/api/v1/namespaces/gone-ns"))')" \
    "(1, 1)" "the 404s are remembered: each asked for once"

# --- the API down or slow: nothing lost, nothing held up -----------------

elapsed() {	# seconds of the backfill NAME
	json_get "$WORK/$1.json" seconds
}

ctl "/_fake/down?on=1" > /dev/null
backfill down false 1
tap_is $? 0 "API down: the backfill exits 0"
$OUTCOUNT --expected "$GENDIR/expected_kept.tsv" --audit "$WORK/down.ndjson" \
    > "$WORK/down.count"
tap_ok $? "API down: exactly the expected records, none lost"
tap_is "$(missing down)" "$(json_get "$WORK/down.json" records_out)" \
    "API down: every record is counted as without metadata"
has_record "$WORK/down.ndjson" "k.get('pod_name') is None"
tap_is $? 1 "API down: records keep the names from their file"
tap_is "$(py "$WORK/down.json" 'd["seconds"] < 3')" True \
    "API down: no record waits on it ($(elapsed down) s)"

ctl "/_fake/down?on=0" > /dev/null
ctl "/_fake/latency?ms=5000" > /dev/null
backfill slow false 1
tap_is $? 0 "5 s latency: the backfill exits 0"
$OUTCOUNT --expected "$GENDIR/expected_kept.tsv" --audit "$WORK/slow.ndjson" \
    > "$WORK/slow.count"
tap_ok $? "5 s latency: exactly the expected records, none lost"
tap_is "$(py "$WORK/slow.json" 'd["seconds"] < 4')" True \
    "5 s latency: a record waits 0.25 s at most, once per pod ($(elapsed slow) s)"
[ "$(missing slow)" -gt 0 ]
tap_ok $? "5 s latency: the records sent on without metadata are counted ($(missing slow))"
ctl "/_fake/latency?ms=0" > /dev/null

# --- following: label changes, token rotation, 410 Gone ------------------

SERVER_FILE=$(py "$MANIFEST" '[f["path"] for f in d["files"] if f["component"] == "spire-server" and f["segment"] == 0][0]')
SERVER_POD=$(py "$MANIFEST" '[f["pod"] for f in d["files"] if f["component"] == "spire-server"][0]')
seq=0

# append N TEXT — N CRI lines (an error each) to the spire-server's file.
append() {
	_i=0
	while [ $_i -lt "$1" ]; do
		seq=$((seq + 1))
		printf '2024-05-01T09:00:00.%09dZ stdout F {"level":"error","msg":"%s %d","time":"2024-05-01T09:00:00.%09dZ"}\n' \
		    "$seq" "$2" "$seq" "$seq" >> "$GENDIR/$SERVER_FILE"
		_i=$((_i + 1))
	done
}

# follow NAME WATCH — a shipper following $LOGS into $OUT (NAME.ndjson),
# its pid in $spid; 0 once it has shipped every line.
follow() {
	OUT=$WORK/$1.ndjson
	k8s_conf "$OUT" "$2" 0 1 > "$WORK/$1.conf"
	K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/$1.conf" > /dev/null \
	    2> "$WORK/$1.err" &
	spid=$!
	TAP_PIDS="$TAP_PIDS $spid"
	wait_for 30 at_least "$OUT" "$LINES"
}

# stop — stops it: its exit status.
stop() {
	kill -TERM "$spid"
	wait "$spid"
}

# appear_with TEXT CONDITION — append TEXT lines until a record with
# TEXT meets CONDITION (30 s at most).
appear_with() {
	_end=$(( $(date +%s) + 30 ))
	while [ "$(date +%s)" -lt "$_end" ]; do
		append 1 "$1"
		sleep 0.2
		has_record "$OUT" "str(r.get('msg', '')).startswith('$1') and ($2)" && return 0
	done
	return 1
}

follow follow true
tap_ok $? "following: every line is shipped"

ctl "/_fake/label?ns=spire-system&pod=$SERVER_POD&key=app&value=spire-server-v2" > /dev/null
appear_with "after label change" "k.get('labels', {}).get('app') == 'spire-server-v2'"
tap_ok $? "a label changed through the API reaches the records after it (watch)"
n=$(records "$OUT")
append 10 "final"
wait_for 15 at_least "$OUT" $((n + 10))
has_record "$OUT" "str(r.get('msg', '')).startswith('final') and k.get('labels', {}).get('app') != 'spire-server-v2'"
tap_is $? 1 "every record after it has the new label"

ctl "/_fake/token?accept=tok-2" > /dev/null
ctl "/_fake/counts?reset=1" > /dev/null
ctl /_fake/close-watches > /dev/null
wait_for 20 sh -c "$FAKE ctl --url $URL --ca $WORK/tls/ca.crt /_fake/counts | grep -q '\"401\"'"
tap_ok $? "the API server now refuses the old token (401)"
printf 'tok-2\n' > "$WORK/token.new" && mv "$WORK/token.new" "$WORK/token"
ctl "/_fake/label?ns=spire-system&pod=$SERVER_POD&key=app&value=spire-server-v3" > /dev/null
appear_with "after rotation" "k.get('labels', {}).get('app') == 'spire-server-v3'"
tap_ok $? "the rewritten token file is read and the watch goes on, without a restart"
kill -0 "$spid" 2> /dev/null
tap_ok $? "the shipper was not restarted"

ctl "/_fake/counts?reset=1" > /dev/null
ctl /_fake/compact > /dev/null
ctl "/_fake/label?ns=spire-system&pod=$SERVER_POD&key=app&value=spire-server-v4" > /dev/null
appear_with "after compaction" "k.get('labels', {}).get('app') == 'spire-server-v4'"
tap_ok $? "after 410 Gone the pods are listed again and the watch goes on"
ctl /_fake/counts > "$WORK/gone.counts"
tap_is "$(py "$WORK/gone.counts" 'd["paths"].get("/api/v1/pods spec.nodeName=node-1", 0) >= 1')" \
    True "(the list was asked for again)"
stop
tap_is $? 0 "the shipper stops cleanly (its API threads too)"
restarts=$(sed -n 's/.* \([0-9]*\) watch restarts.*/\1/p' "$WORK/follow.err")
[ "${restarts:-0}" -ge 2 ]
tap_ok $? "watch restarts are counted ($restarts)"
if grep -q 'tok-[12]' "$WORK/follow.err"; then r=1; else r=0; fi
tap_ok $r "the token is never logged"

# Following while the API is down, then back.
ctl "/_fake/down?on=1" > /dev/null
follow back false
tap_ok $? "API down, following: every line is shipped"
has_record "$OUT" "'pod_ip' in k"
tap_is $? 1 "API down, following: no record has the API's metadata"
ctl "/_fake/down?on=0" > /dev/null
appear_with "api back" "'pod_ip' in k and k.get('labels', {}).get('app') == 'spire-server-v4'"
tap_ok $? "once the API answers again the metadata comes back"
stop
tap_is $? 0 "and the shipper stops cleanly"

# --- spire-server-0 comes back as a new pod -------------------------------

ctl /_fake/state > "$WORK/state.json"
old_uid=$(py "$WORK/state.json" '[p["metadata"]["uid"] for p in d["pods"] if p["metadata"]["name"] == "'"$SERVER_POD"'"][0]')
ctl "/_fake/replace?ns=spire-system&pod=$SERVER_POD" > /dev/null
backfill replaced false 0
tap_is $? 0 "backfill after $SERVER_POD came back with a new UID exits 0"
has_record "$WORK/replaced.ndjson" "k.get('pod_name') == '$SERVER_POD' and (k.get('pod_id') != '$old_uid' or 'labels' in k)"
tap_is $? 1 "the old pod's lines (its UID from the symlink) get none of the new pod's metadata"
has_record "$WORK/replaced.ndjson" "k.get('pod_name') != '$SERVER_POD' and 'labels' not in k"
tap_is $? 1 "the other pods' lines still get theirs"

# --- the filter's cost ----------------------------------------------------

# best NAME GREP KUBE OUTPUT — the best of 3 backfills, in records/s.
best() {
	_b=0
	for _r in 1 2 3; do
		backfill "$1" false "$2" "$3" "$4"
		_v=$(py "$WORK/$1.json" 'int(d["lines"] / d["seconds"])')
		[ "$_v" -gt "$_b" ] && _b=$_v
	done
	echo "$_b"
}

# cost WHAT GREP OUTPUT — the same backfill without and with the filter.
cost() {
	_without=$(best without "$2" 0 "$3")
	_with=$(best with "$2" 1 "$3")
	tap_diag "records/s, $1: $_without without the filter, $_with with" \
	    "($(( (_without - _with) * 100 / _without ))% less)"
	[ "$_with" -gt 0 ]
}

# A measurement, not a test (timings are never asserted): it runs only
# with SHIPPER_BENCH=1 (some 8 s more) and is not a case of the suite.
[ -n "${SHIPPER_BENCH:-}" ] || tap_done
# The same pods (the same seed), ten times the lines.
LOGS=$WORK/big/var/log/containers
$GEN --out "$WORK/gen-big" --seed 21 --files 4 --lines 60000 --quiet &&
    $FAKE layout --manifest "$WORK/gen-big/manifest.json" \
    --logs "$WORK/gen-big" --root "$WORK/big"
cost "every line a record, null output (the filter alone)" 0 null &&
    cost "every line a record, file output (its fields encoded too)" 0 file &&
    cost "the shipped pipeline (grep first), file output" 1 file
tap_ok $? "the cost of the filter is measured"

tap_done
