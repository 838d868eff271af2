#!/bin/sh
# kafka.sh — the kafka2 output against librdkafka's mock cluster (3
# brokers, 6 partitions; tests/kafka_mock): a backfill produces exactly
# the generator's WARN/ERROR and audit records, keyed by SPIFFE ID (else
# pod), with the configured headers and the source-identity header, in
# order per key; a broker down for 20 s and injected produce errors
# while following lose nothing; kill -9 while following loses nothing
# and repeats only what the source-id header shows as a replay; what
# Kafka rejects for good is in the dead-letter file; <format> @type ecs
# is checked field by field on the corpus's security events.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

MOCK="$top_builddir/tests/kafka_mock"
[ -x "$MOCK" ] || { tap_skip "kafka" "tests/kafka_mock not built"; tap_done; }
CONF="$WORK/kafka.conf"
"$PYTHON3" - "$top_srcdir/templates/spire-shipper-elasticsearch.conf" \
    "$CONF" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s[:s.index("<match kubernetes.spire.**>")].replace(
    "refresh_interval 60s", "refresh_interval 1")
open(sys.argv[2], "w").write(s + """<match kubernetes.spire.**>
  @type kafka2
  brokers "#{ENV['KAFKA_BROKERS']}"
  default_topic spire
  headers {"x-team":"security"}
  headers_from_record {"x-event":"$.security_event"}
  <format>
    @type "#{ENV['KAFKA_FORMAT'] || 'json'}"
  </format>
  <buffer>
    @type file
    path "#{ENV['SPIRE_SHIPPER_STATE']}/buffer"
    flush_interval 1s
    chunk_limit_size 256k
    flush_thread_count 4
    retry_max_interval 2
    retry_forever true
  </buffer>
</match>
""")
PY

# mock_start NAME — a fresh cluster in $WORK/NAME; commands go to fd 3.
mock_start() {
	M="$WORK/$1"
	mkdir -p "$M"
	mkfifo "$M/cmd"
	"$MOCK" "$M" < "$M/cmd" 2> "$M/mock.log" &
	MP=$!
	TAP_PIDS="$TAP_PIDS $MP"
	exec 3> "$M/cmd"
	wait_for 10 test -s "$M/bootstrap" || return 1
	KAFKA_BROKERS=$(cat "$M/bootstrap")
	export KAFKA_BROKERS
}
mock_stop() {
	echo quit >&3
	exec 3>&-
	wait "$MP"
}
consumed() {
	cat "$M/consumed.count" 2>/dev/null
}
use_state() {
	STATE="$WORK/$1"
	mkdir -p "$STATE/logs" "$STATE/state"
	SPIRE_LOG_DIR="$STATE/logs" SPIRE_SHIPPER_STATE="$STATE/state"
	export SPIRE_LOG_DIR SPIRE_SHIPPER_STATE
}
expected() {	# expected DIR — WARN/ERROR + audit records of a corpus
	echo $(( $(json_get "$1/manifest.json" totals.warn_error_records) + \
	    $(json_get "$1/manifest.json" totals.audit_not_warn_error) ))
}

# check NAME DIR — the consumed messages against DIR's ground truth:
# values exactly the expected records once each after dropping repeats
# of a source-id header (how many: NAME.repeats), keys and headers as
# configured, one partition and increasing offsets per key and file.
check() {
	"$PYTHON3" - "$M/consumed.ndjson" "$WORK/$1" <<'PY'
import collections, json, re, sys
seen, out, bad = {}, open(sys.argv[2] + ".values", "w"), []
last = {}
part_of = {}
repeats = 0
for line in open(sys.argv[1]):
    m = json.loads(line)
    h, v = m["headers"], json.loads(m["value"])
    sid = h.get("spire-shipper-source-id", "")
    if not re.fullmatch(r"[0-9a-f]{32}", sid):
        bad.append("source-id header " + sid)
    if h.get("x-team") != "security":
        bad.append("x-team header")
    if h.get("x-event") != v.get("security_event"):
        bad.append("x-event header %r" % h.get("x-event"))
    want = v.get("spiffe_id")
    if want is None and not re.fullmatch(r"spire-(server|agent)-[^_/]+", m["key"] or ""):
        bad.append("pod key %r" % m["key"])
    elif want is not None and m["key"] != want:
        bad.append("key %r for spiffe_id %r" % (m["key"], want))
    if part_of.setdefault(m["key"], m["partition"]) != m["partition"]:
        bad.append("key %r in two partitions" % m["key"])
    if sid in seen:
        repeats += 1
        if seen[sid] != m["value"]:
            bad.append("source-id %s repeated with another value" % sid)
        continue
    seen[sid] = m["value"]
    k = (m["key"], sid[:16])
    if k in last and (last[k][0] == m["partition"] and last[k][1] > int(sid[16:], 16)):
        bad.append("order of key %r broken" % m["key"])
    last[k] = (m["partition"], int(sid[16:], 16))
    out.write(json.dumps(v) + "\n")
open(sys.argv[2] + ".repeats", "w").write("%d\n" % repeats)
for b in sorted(set(bad))[:5]:
    print("#   " + b)
sys.exit(1 if bad else 0)
PY
	tap_ok $? "$1: keys (SPIFFE ID, else pod), headers and source-id as configured, one partition per key, order kept per key"
	$OUTCOUNT --expected "$2/expected_kept.tsv" --audit "$WORK/$1.values" \
	    > "$WORK/$1.count" 2>&1
	_rc=$?
	tap_ok $_rc "$1: the values are exactly the expected WARN/ERROR and audit records"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$WORK/$1.count" | head -5
}

# --- backfill ----------------------------------------------------------------
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
want=$(expected "$C")
mock_start backfill || { tap_ok 1 "the mock cluster starts"; tap_done; }
use_state backfill
t0=$(date +%s.%N)
"$SHIPPER" -c "$CONF" --backfill "$C" --no-progress \
    --summary-json "$WORK/backfill.json" > /dev/null 2> "$WORK/backfill.err"
tap_is $? 0 "backfill: exits 0"
t1=$(date +%s.%N)
tap_diag "backfill: $want messages in $(echo "$t1 - $t0" | bc) s: $(echo "$want / ($t1 - $t0)" | bc) messages/s (shipper, start to all acknowledged)"
tap_is "$(json_get "$WORK/backfill.json" acked)" "$want" "backfill: every message acknowledged by a delivery report"
wait_for 10 sh -c "[ \"\$(cat $M/consumed.count)\" -ge $want ]"
tap_is "$(consumed)" "$want" "backfill: the cluster holds exactly the manifest's WARN/ERROR + audit count"
check backfill "$C"
tap_is "$(cat "$WORK/backfill.repeats")" 0 "backfill: no message twice"
mock_stop

# --- ECS ---------------------------------------------------------------------
mock_start ecs
use_state ecs
KAFKA_FORMAT=ecs "$SHIPPER" -c "$CONF" --backfill "$C" --no-progress \
    > /dev/null 2> "$WORK/ecs.err"
tap_is $? 0 "ecs: the backfill exits 0"
wait_for 10 sh -c "[ \"\$(cat $M/consumed.count)\" -ge $want ]"
"$PYTHON3" - "$M/consumed.ndjson" "$WORK/backfill/consumed.ndjson" <<'PY'
import collections, json, re, sys
TABLE = {"attestation_failure": ("authentication", "start"),
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
bad, events = [], collections.Counter()
for line in open(sys.argv[1]):
    d = json.loads(json.loads(line)["value"])
    ev = d["event"]
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", d.get("@timestamp", "")):
        bad.append("@timestamp")
    if d.get("ecs", {}).get("version", "").split(".")[0] != "8":
        bad.append("ecs.version")
    if d["log"].get("level") not in ("warn", "error", "info", "debug"):
        bad.append("log.level %r" % d["log"].get("level"))
    if ".log" not in d["log"].get("file", {}).get("path", ""):
        bad.append("log.file.path")
    if "message" not in d or ev.get("module") != "spire" or d["service"]["type"] != "spire":
        bad.append("message/event.module/service.type")
    if "security_event" in d.get("spire", {}) or "msg" in d.get("spire", {}):
        bad.append("mapped field left in spire.*")
    if "spiffe_id" in d.get("spire", {}) or ("spiffe" in d and not d["spiffe"]["id"].startswith("spiffe://")):
        bad.append("spiffe.id")
    act = ev.get("action")
    if act is None:
        if ev["kind"] != "event" or "category" in ev or "outcome" in ev:
            bad.append("plain record with event fields")
        continue
    events[act] += 1
    cat, typ = TABLE[act]
    if ev["category"] != [cat] or ev["type"] != [typ]:
        bad.append("category/type of " + act)
    if ev["kind"] != ("event" if act == "audit" else "alert"):
        bad.append("kind of " + act)
    want_oc = ("success" if d["spire"].get("status") == "success" else
               "failure" if "status" in d["spire"] else "unknown") if act == "audit" else "failure"
    if ev["outcome"] != want_oc:
        bad.append("outcome of %s: %s" % (act, ev["outcome"]))
    if "error" in d and not isinstance(d["error"].get("message"), str):
        bad.append("error.message")
# The spire filter's words, as the json backfill carried them.
want = collections.Counter()
for line in open(sys.argv[2]):
    w = json.loads(json.loads(line)["value"]).get("security_event")
    if w is not None:
        want[w] += 1
if events != want:
    bad.append("event.action counts %s, security_event %s" % (dict(events), dict(want)))
for b in sorted(set(bad))[:5]:
    print("#   " + b)
sys.exit(1 if bad else 0)
PY
tap_ok $? "ecs: every field as mapped; event.action counts equal the json run's security_event counts"
mock_stop

# --- dead letters: produce requests rejected for good ------------------------
S="$WORK/small"
$GEN --out "$S" --quiet --seed 7 --files 2 --format docker --inner json \
    --lines 3000
swant=$(expected "$S")
mock_start dead
use_state dead
echo "errors 2 10" >&3	# MESSAGE_TOO_LARGE, twice
sleep 0.3
"$SHIPPER" -c "$CONF" --backfill "$S" --no-progress \
    --summary-json "$WORK/dead.json" > /dev/null 2> "$WORK/dead.err"
tap_is $? 1 "dead letters: the backfill exits 1 (not everything was accepted)"
dl="$STATE/state/buffer/dead-letter.ndjson"
nd=$(wc -l < "$dl" 2>/dev/null || echo 0)
tap_ok "$(test "$nd" -gt 0; echo $?)" "dead letters: rejected messages are in the dead-letter file ($nd)"
tap_grep '"code":"MSG_SIZE_TOO_LARGE".*"value":\{' "$dl" "dead letters: with Kafka's error and the record"
wait_for 10 sh -c "[ \$((\$(cat $M/consumed.count) + $nd)) -ge $swant ]"
tap_is "$(( $(consumed) + nd ))" "$swant" "dead letters: consumed + dead-lettered = the expected count"
tap_is "$(json_get "$WORK/dead.json" dead_letters)" "$nd" "dead letters: counted in the summary"
mock_stop

# --- following: a broker down 20 s, produce errors ---------------------------
start_shipper() {
	"$SHIPPER" -c "$CONF" >> "$STATE/shipper.out" 2>> "$STATE/shipper.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}
follow_gen() {
	$GEN --out "$STATE/logs" --quiet --follow --rate 300 --files 3 \
	    --format mixed --inner mixed --rotate-every 500 "$@" &
	G=$!
	TAP_PIDS="$TAP_PIDS $G"
}
mock_start outage
use_state outage
start_shipper
follow_gen --seed 31 --duration 24
sleep 2
echo "down 1" >&3
sleep 6
echo "errors 8 6" >&3	# NOT_LEADER_OR_FOLLOWER
sleep 6
echo "errors 8 7" >&3	# REQUEST_TIMED_OUT
sleep 8
echo "up 1" >&3
wait $G
want=$(expected "$STATE/logs")
wait_for 30 sh -c "[ \"\$(cat $M/consumed.count)\" -ge $want ]"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "outage: the shipper stops with 0"
check outage "$STATE/logs"
mock_stop

# --- kill -9, three times ----------------------------------------------------
mock_start kill9
use_state kill9
start_shipper
follow_gen --seed 32 --duration 10
for i in 1 2 3; do
	sleep 2.5
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	start_shipper
done
wait $G
want=$(expected "$STATE/logs")
wait_for 30 sh -c "[ \"\$(cat $M/consumed.count)\" -ge $want ]"
sleep 2
kill -TERM "$SP"; wait "$SP"
check kill9 "$STATE/logs"
tap_diag "kill -9 x3: $(cat "$WORK/kill9.repeats") replays, each with its source-id header repeated"
mock_stop

tap_done
