#!/bin/sh
# elasticsearch.sh — the shipped Elasticsearch configuration against the
# strict ES 8 emulator: a backfill indexes exactly the generator's
# WARN/ERROR and audit records into daily indices under the installed
# template, and again gives the same documents; per-item 429s and dropped
# connections change nothing; a 30 s outage while following leaves the
# records in the file buffer (its chunk files and the live /metrics)
# until it ends; kill -9 five times while following loses and doubles
# nothing; what the mapping rejects ends in the dead-letter file with its
# index and Elasticsearch's reason; a line tailed live and backfilled
# later from its rotated .gz gets one _id; the shipped template takes
# both `app` and `app.kubernetes.io/name` pod labels.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"
. "$top_srcdir/tests/peers.sh"

CONF="$WORK/es.conf"
es_conf "$CONF"

backfill() {	# backfill DIR NAME — exit status; summary in $WORK/NAME.json
	"$SHIPPER" -c "$CONF" --backfill "$1" --no-progress \
	    --summary-json "$WORK/$2.json" > /dev/null 2> "$WORK/$2.err"
}

es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }

# --- backfill, twice ---------------------------------------------------------
state_use backfill
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
want=$(kept_count "$C")
backfill "$C" first
tap_is $? 0 "backfill: exits 0"
tap_is "$(es_count)" "$want" "backfill: the emulator holds the manifest's WARN/ERROR + audit count"
es_exact backfill "$C"
$ESCTL "$ES_PORT" request GET '/_cat/indices?format=json' | sed 1d |
    "$PYTHON3" -c '
import json, re, sys
names = [i["index"] for i in json.load(sys.stdin)]
sys.exit(not names or any(not re.fullmatch(r"spire-logs-\d{4}\.\d{2}\.\d{2}", n)
                          for n in names))'
tap_ok $? "backfill: only daily spire-logs-YYYY.MM.DD indices"
$ESCTL "$ES_PORT" request GET /_index_template/spire-logs | head -1 > "$WORK/tpl"
tap_is "$(cat "$WORK/tpl")" 200 "backfill: the index template is installed"
tap_is "$(json_get "$WORK/first.json" dead_letters)" 0 \
    "backfill: every document is valid against the template"
tap_is "$(json_get "$WORK/first.json" acked)" "$want" \
    "backfill: the summary counts every document acknowledged"
backfill "$C" second
tap_is $? 0 "backfill again: exits 0"
tap_is "$(es_count)" "$want" "backfill again: the count is unchanged"

# --- per-item 429s, then dropped connections ---------------------------------
# Small chunks make many bulk requests, for the faults to hit.
sed 's/chunk_limit_size 2M/chunk_limit_size 16k/' "$CONF" > "$WORK/small.conf"
S="$WORK/small"
$GEN --out "$S" --quiet --seed 7 --files 3 --format mixed --inner json \
    --lines 6000 --gzip
want=$(kept_count "$S")
fault_run() {	# fault_run NAME FAULTS — a backfill of S under FAULTS
	$ESCTL "$ES_PORT" reset > /dev/null
	$ESCTL "$ES_PORT" faults "$2" > /dev/null
	state_use "$1"
	"$SHIPPER" -c "$WORK/small.conf" --backfill "$S" --no-progress \
	    --summary-json "$WORK/$1.json" > /dev/null 2> "$WORK/$1.err"
	tap_is $? 0 "$1: backfill exits 0"
	tap_is "$(es_count)" "$want" "$1: still the exact count"
	es_exact "$1" "$S"
}
fault_run 429s '{"item_429_rate":0.2,"seed":1}'
tap_ok "$(test "$(json_get "$WORK/429s.json" resent)" -gt 0; echo $?)" \
    "429s: the rejected items were sent again ($(json_get "$WORK/429s.json" resent))"
fault_run drops '{"drop_connection_rate":0.05,"seed":2}'
d=$($ESCTL "$ES_PORT" stats dropped_connections)
tap_ok "$(test "$d" -gt 0; echo $?)" "drops: connections were dropped ($d)"
$ESCTL "$ES_PORT" reset > /dev/null

# --- following through a 30 s outage ----------------------------------------
follow_gen() {
	gen_follow --rate 200 --files 3 --format mixed --inner mixed \
	    --rotate-every 400 "$@"
}

# The shipper's own /metrics, for the buffer gauges.
MPORT=$(free_port)
{ cat "$CONF"; metrics_source "$MPORT"; } > "$WORK/metrics.conf"
METRIC="$PYTHON3 $top_srcdir/tests/faults/lines.py metric $MPORT"
# buffer_gauges — "BYTES CHUNKS QUEUE" of the live buffer (staged and
# queued bytes, chunks held, chunks queued), from /metrics.
buffer_gauges() {
	echo $(( $($METRIC spire_shipper_buffer_stage_bytes) + \
	    $($METRIC spire_shipper_buffer_queue_bytes) )) \
	    "$($METRIC spire_shipper_buffer_chunks)" \
	    "$($METRIC spire_shipper_buffer_queue_length)"
}
buffer_empty() {
	[ "$(buffer_gauges)" = "0 0 0" ]
}
positive() {	# positive "A B C" — three numbers, each more than 0
	set -- $1
	[ $# -eq 3 ] && [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ]
}
sleep_until() {	# sleep_until EPOCH-SECONDS
	while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done
}

$ESCTL "$ES_PORT" reset > /dev/null
state_use outage
shipper_start "$WORK/metrics.conf"
follow_gen --seed 31 --duration 40
sleep 4
kill -USR1 "$ES_PID"	# down: connections refused, control port too
down=$(date +%s)
sleep_until $((down + 15))
g1=$(buffer_gauges) n1=$(buffer_chunks)
sleep_until $((down + 29))
g2=$(buffer_gauges) n2=$(buffer_chunks)
sleep_until $((down + 30))
kill -USR2 "$ES_PID"	# up again
tap_diag "outage: $(( $(date +%s) - down )) s down; buffer bytes, chunks, queue: $g1 after 15 s, $g2 after 29 s"
tap_ok "$(positive "$g1" && positive "$g2"; echo $?)" \
    "outage: the records wait in the buffer (/metrics: bytes, chunks and queue above 0 throughout)"
tap_ok "$(test "$n2" -ge 1; echo $?)" "outage: in buffer chunks on disk ($n1, then $n2 chunks)"
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 40 "$want"
tap_is "$(es_count)" "$want" "outage: every record arrived after it"
wait_for 10 buffer_empty
tap_is "$(buffer_gauges)" "0 0 0" "outage: then the buffer is empty again (/metrics)"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "outage: the shipper stops with 0"
es_exact outage "$STATE/logs"

# --- kill -9, five times -----------------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
state_use kill9
shipper_start
follow_gen --seed 32 --duration 16
for i in 1 2 3 4 5; do
	sleep 2.5
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	shipper_start
done
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 40 "$want"
tap_is "$(es_count)" "$want" "kill -9 x5: the exact count after the last restart"
es_exact kill9 "$STATE/logs"
kill -TERM "$SP"; wait "$SP"

# --- documents the mapping rejects -------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
state_use dead
d="$STATE/logs"
f="$d/spire-server-0_spire-system_spire-server-$(printf '%064d' 7).log"
line() {	# line TIME INNER-JSON — a Docker json-file line
	printf '{"log":"%s\\n","stream":"stderr","time":"%s"}\n' \
	    "$(printf '%s' "$2" | sed 's/"/\\"/g')" "$1"
}
{
	line 2024-05-01T08:00:01.000000001Z '{"level":"error","msg":"good one","time":"2024-05-01T08:00:01Z"}'
	line 2024-05-01T08:00:02.000000001Z '{"level":"error","msg":"bad metrics","metrics":{"duration_ms":"slow"},"time":"2024-05-01T08:00:02Z"}'
	line 2024-05-01T08:00:03.000000001Z '{"level":"warning","msg":"bad kubernetes","kubernetes":"node-1","time":"2024-05-01T08:00:03Z"}'
	line 2024-05-01T08:00:04.000000001Z '{"level":"warning","msg":"good two","time":"2024-05-01T08:00:04Z"}'
} > "$f"
backfill "$d" dead
tap_is $? 1 "dead letters: the backfill exits 1 (not everything was indexed)"
tap_is "$(es_count)" 2 "dead letters: everything else is indexed"
dl="$STATE/state/buffer/dead-letter.ndjson"
tap_is "$(wc -l < "$dl" 2>/dev/null)" 2 "dead letters: the two rejected documents are in the dead-letter file"
tap_grep '"status":400.*(document|mapper)_parsing_exception.*"document":\{.*bad metrics' "$dl" \
    "dead letters: with Elasticsearch's error type and the document"
tap_grep 'bad kubernetes' "$dl" "dead letters: the object/value conflict too"
# Each line: the index it was meant for, its _id, and ES's own reason,
# located in the document and naming that _id.
"$PYTHON3" - "$dl" > "$WORK/dead.check" <<'PY'
import json, re, sys
want = {
    "bad metrics": r"\[1:\d+\] failed to parse field \[metrics\.duration_ms\] of type \[long\] "
                   r"in document with id '%s'\. Preview of field's value: 'slow'",
    "bad kubernetes": r"\[1:\d+\] object mapping for \[kubernetes\] tried to parse field "
                      r"\[kubernetes\] as object, but found a concrete value",
}
for line in open(sys.argv[1]):
    d = json.loads(line)
    rx = want.pop(d["document"].get("msg"), None)
    ok = (rx and d["index"] == "spire-logs-2024.05.01" and re.fullmatch(r"[0-9a-f]{32}", d["_id"])
          and re.fullmatch(rx.replace("%s", d["_id"]), d["error"]["reason"]))
    print("ok" if ok else "bad: %s %s %s" % (d["index"], d["_id"], d["error"]["reason"]))
for msg in want:
    print("missing: " + msg)
PY
tap_is "$(sort -u "$WORK/dead.check")" ok \
    "dead letters: each with its index, its _id and Elasticsearch's reason"
tap_is "$(json_get "$WORK/dead.json" dead_letters)" 2 "dead letters: counted in the summary"

# --- one _id per line: followed live, then backfilled from its .gz ------------
# A file is followed, rotated (x.log -> x.log.1, a new x.log) and
# compressed (x.log.1 -> x.log.1.gz); a backfill of the .gz must write
# the _ids the live tail wrote: every item an update (version 2), not a
# new document. Two identical lines each second stay two documents.
$ESCTL "$ES_PORT" reset > /dev/null
state_use ids
x="$STATE/logs/spire-agent-x7k2p_spire-system_spire-agent-$(printf '%064d' 9).log"
pairs() {	# pairs FROM TO — lines FROM..TO, each second's two identical
	_i=$1
	while [ "$_i" -le "$2" ]; do
		_t="2024-05-02T09:$(printf '%02d:%02d' $((_i / 120)) $((_i / 2 % 60)))"
		line "$_t.000000001Z" "{\"level\":\"warning\",\"msg\":\"Failed to attest agent\",\"time\":\"${_t}Z\"}"
		_i=$((_i + 1))
	done
}
pairs 1 40 > "$x"
shipper_start
es_wait_count 20 40
mv "$x" "$x.1"
pairs 41 60 > "$x"
es_wait_count 20 60
tap_is "$(es_count)" 60 "ids: the live tail indexed every line, identical ones too"
gzip "$x.1"
kill -TERM "$SP"; wait "$SP"
$ESCTL "$ES_PORT" docs 'spire-logs-*' > "$WORK/ids.live"
created=$($ESCTL "$ES_PORT" stats items_by_status.201)
state_use ids-backfill
"$SHIPPER" -c "$CONF" --backfill "$x.1.gz" --no-progress \
    --summary-json "$WORK/ids.json" > /dev/null 2> "$WORK/ids.err"
tap_is "$?:$(json_get "$WORK/ids.json" acked)" 0:40 "ids: the backfill of x.log.1.gz delivers its 40 lines"
tap_is "$(es_count)" 60 "ids: the count is unchanged"
$ESCTL "$ES_PORT" docs 'spire-logs-*' > "$WORK/ids.after"
tap_ok "$(cmp -s "$WORK/ids.live" "$WORK/ids.after"; echo $?)" \
    "ids: the same _ids with the same documents"
tap_is "$($ESCTL "$ES_PORT" stats items_by_status.201):$($ESCTL "$ES_PORT" stats items_by_status.200)" \
    "$created:40" "ids: the backfill's 40 items were all updates, none created"
echo '{"size":100,"version":true,"query":{"match_all":{}}}' > "$WORK/versions.json"
$ESCTL "$ES_PORT" request POST '/spire-logs-*/_search' "$WORK/versions.json" | sed 1d |
    "$PYTHON3" -c 'import collections, json, sys
hits = json.load(sys.stdin)["hits"]["hits"]
print(" ".join("%d:%d" % kv for kv in sorted(collections.Counter(h["_version"] for h in hits).items())))' \
    > "$WORK/versions"
tap_is "$(cat "$WORK/versions")" "1:20 2:40" \
    "ids: the 40 backfilled documents are at version 2, the 20 after the rotation at 1"

# --- app and app.kubernetes.io/name labels, through the shipped template -------
# The kubernetes_metadata filter with de_dot false gives a server pod's
# records kubernetes.labels.app and an agent pod's
# kubernetes.labels."app.kubernetes.io/name": a keyword and an object at
# the same path under dynamic mappings, the classic 400. The shipped
# template maps labels as flattened: both are indexed.
# labels_pair — one document with each label, as a bulk into an index
# no template covers (labels-check); fails if either is missing.
labels_pair() {
	$ESCTL "$ES_PORT" docs 'spire-logs-*' | "$PYTHON3" -c 'import json, sys
docs = json.load(sys.stdin).values()
def first(key):
    return next((d for d in docs if key in d.get("kubernetes", {}).get("labels", {})), None)
pair = [first("app"), first("app.kubernetes.io/name")]
if None in pair:
    sys.exit("labels: no document with %s" % ["app", "app.kubernetes.io/name"][pair.index(None)])
for d in pair:
    print(json.dumps({"index": {"_index": "labels-check"}}))
    print(json.dumps(d))'
}
if ! command -v openssl > /dev/null 2>&1; then
	tap_skip "labels: app and app.kubernetes.io/name both indexed" "openssl is not installed"
else
	$ESCTL "$ES_PORT" reset > /dev/null
	corpus 43 1500
	echo tok-1 > "$WORK/token"
	fake_start tok-1
	awk -v url="$KURL" -v tok="$WORK/token" -v ca="$WORK/ktls/ca.crt" '
	    /^<match / { print "<filter kubernetes.spire.**>\n  @type kubernetes_metadata"
		print "  kubernetes_url " url "\n  bearer_token_file " tok
		print "  ca_file " ca "\n  watch false\n  de_dot false\n</filter>\n" }
	    { print }' "$CONF" > "$WORK/labels.conf"
	state_use labels
	SPIRE_LOG_DIR=$LOGS
	"$SHIPPER" -c "$WORK/labels.conf" --backfill "$LOGS" --no-progress \
	    --summary-json "$WORK/labels.json" > /dev/null 2> "$WORK/labels.err"
	tap_is "$?:$(json_get "$WORK/labels.json" dead_letters)" 0:0 \
	    "labels: the backfill exits 0, nothing rejected"
	tap_is "$(es_count)" "$(kept_count "$WORK/gen")" "labels: the exact count arrives"
	if [ -n "${SHIPPER_WRAPPER:-}" ]; then
		tap_skip "labels: app and app.kubernetes.io/name both indexed" \
		    "a record waits 250 ms at most for its labels, less than a TLS handshake under $SHIPPER_WRAPPER"
	else
		labels_pair > "$WORK/labels.ndjson"
		tap_ok $? "labels: records of both pods indexed, with app and with app.kubernetes.io/name"
		# The same two where no template maps labels: the conflict.
		$ESCTL "$ES_PORT" request POST /_bulk "$WORK/labels.ndjson" |
		    sed 1d > "$WORK/labels.out"
		tap_grep '"status":400.*Could not dynamically add mapping for field \[app\.kubernetes\.io/[a-z]+\]\. Existing mapping for \[kubernetes\.labels\.app\] must be of type object' \
		    "$WORK/labels.out" "labels: without the template, the second of them is the mapping conflict"
	fi
fi

tap_done
