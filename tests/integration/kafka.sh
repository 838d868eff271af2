#!/bin/sh
# kafka.sh — the kafka2 output against librdkafka's mock cluster (3
# brokers, 6 partitions; tests/kafka_mock, required where configure
# found it): a backfill produces exactly the generator's WARN/ERROR and
# audit records, keyed by SPIFFE ID (else pod), with the configured
# headers and the source-identity header, in order per key across a
# pod's rotated files; each compression_codec on the wire; topic_key,
# message_key_key, default_message_key and partition_key_key per record;
# order kept when librdkafka's queue is full and after a fatal producer
# error; <format> @type ecs, with kubernetes metadata, field by field
# against the README's table; what Kafka rejects for good (too large, a
# refused topic) in the dead-letter file and the rest delivered; a
# broker down for 20 s and injected produce errors while following lose
# nothing; a restart after a backlog across rotations keeps order;
# kill -9 while following loses nothing and repeats only what the
# source-id header shows as a replay.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

mock_required kafka
CONF="$WORK/kafka.conf"
kafka_conf "$CONF"

# --- the mock is required where configure found it ------------------------------
# brokers.sh with a build directory that has no tests/kafka_mock.
mkdir -p "$WORK/nomock"
for have in yes no; do
	HAVE_KAFKA_MOCK=$have top_builddir="$WORK/nomock" \
	    sh "$top_srcdir/tests/integration/brokers.sh" > "$WORK/nomock.$have" 2>&1
	echo "rc $?" >> "$WORK/nomock.$have"
done
tap_grep '^not ok 1 - brokers: .*/kafka_mock is built \(configure found' \
    "$WORK/nomock.yes" "no mock although configure found one: brokers.sh fails, saying so"
tap_grep '^rc 1$' "$WORK/nomock.yes" "no mock although configure found one: brokers.sh exits 1"
tap_grep '^ok 1 - brokers # SKIP configure found no librdkafka mock cluster' \
    "$WORK/nomock.no" "configure found no mock: brokers.sh skips, and says why"

# --- backfill ----------------------------------------------------------------
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
want=$(kept_count "$C")
# As logrotate's compress leaves them: x.log.2.gz was written (compressed)
# after x.log.1, which holds newer lines. Order is by name, not mtime.
for f in "$C"/*.log.1; do touch -d '-1 min' "$f"; done
mock_start backfill || { tap_ok 1 "the mock cluster starts"; tap_done; }
state_use backfill
t0=$(date +%s.%N)
"$SHIPPER" -c "$CONF" --backfill "$C" --no-progress \
    --summary-json "$WORK/backfill.json" > /dev/null 2> "$WORK/backfill.err"
tap_is $? 0 "backfill: exits 0"
t1=$(date +%s.%N)
tap_diag "backfill: $want messages in $(echo "$t1 - $t0" | bc) s: $(echo "$want / ($t1 - $t0)" | bc) messages/s (shipper, start to all acknowledged)"
tap_is "$(json_get "$WORK/backfill.json" acked)" "$want" "backfill: every message acknowledged by a delivery report"
consumed_wait 10 "$want"
tap_is "$(consumed)" "$want" "backfill: the cluster holds exactly the manifest's WARN/ERROR + audit count"
kafka_check backfill "$C"
tap_is "$(cat "$WORK/backfill.repeats")" 0 "backfill: no message twice"
mock_stop

# --- compression_codec: each codec on the wire, the records intact ---------------
Z="$WORK/zcorpus"
$GEN --out "$Z" --quiet --seed 5 --files 3 --format mixed --inner mixed \
    --lines 4000 --gzip
zwant=$(kept_count "$Z")
features=$("$MOCK" --features)
for codec in gzip snappy lz4 zstd; do
	kafka_conf "$WORK/$codec.conf" "  compression_codec $codec"
	case ",$features," in
	*",$codec,"*) ;;
	*)	# This librdkafka lacks it: the configuration says so.
		"$SHIPPER" -c "$WORK/$codec.conf" --dry-run > "$WORK/$codec.err" 2>&1
		tap_is $? 1 "$codec: not in this librdkafka ($features): --dry-run fails"
		tap_grep "kafka.conf:[0-9]+: compression_codec $codec: librdkafka [^ ]+ was built without $codec \(its builtin.features: [^)]*\): choose a codec it has, or none" \
		    "$WORK/$codec.err" "$codec: --dry-run names the missing codec and what to do"
		continue ;;
	esac
	mock_start "$codec"
	state_use "$codec"
	"$SHIPPER" -c "$WORK/$codec.conf" --backfill "$Z" --no-progress \
	    > /dev/null 2> "$WORK/$codec.err"
	tap_is $? 0 "$codec: the backfill exits 0"
	consumed_wait 10 "$zwant"
	tap_is "$(cat "$M/codecs")" "$codec" "$codec: every message set the consumer fetched was $codec-compressed"
	kafka_check "$codec" "$Z"
	mock_stop
done

# --- routing: topic_key, message_key_key, default_message_key, partition_key_key --
WORDS="attestation_failure,workload_attestation_failure,unauthorized,certificate_violation,federation_failure,ca_rotation_problem,svid_rotation_failure,datastore_error,rate_limited,process_tracking_failure,audit"
kafka_conf "$WORK/routing.conf" "  topic_key security_event
  message_key_key caller_id
  default_message_key anonymous
  partition_key_key subsystem_name"
mock_start routing "spire,$WORDS"
state_use routing
"$SHIPPER" -c "$WORK/routing.conf" --backfill "$C" --no-progress \
    > /dev/null 2> "$WORK/routing.err"
tap_is $? 0 "routing: the backfill exits 0"
consumed_wait 10 "$want"
tap_is "$(consumed)" "$want" "routing: the topics hold exactly the expected count"
kafka_check routing "$C" --routing
r="$WORK/routing.routes"
tap_ok "$(test "$(json_get "$r" topics)" -ge 6; echo $?)" "routing: records went to $(json_get "$r" topics) topics by their security_event, the rest to default_topic"
tap_ok "$(test "$(json_get "$r" record_key)" -gt 0 && test "$(json_get "$r" default_key)" -gt 0; echo $?)" \
    "routing: keys from caller_id ($(json_get "$r" record_key)) and default_message_key ($(json_get "$r" default_key))"
tap_ok "$(test "$(json_get "$r" pkey_field)" -gt 0 && test "$(json_get "$r" pkey_key)" -gt 0; echo $?)" \
    "routing: partitions by subsystem_name ($(json_get "$r" pkey_field)), else by the key ($(json_get "$r" pkey_key))"
mock_stop

# --- order per key when producing must wait, or start again ----------------------
# librdkafka's queue holds 50 messages: each chunk's producing stops when
# it is full and goes on, in order, as delivery reports make room.
kafka_conf "$WORK/qfull.conf" \
    '  rdkafka_options {"queue.buffering.max.messages":"50"}'
mock_start qfull
state_use qfull
"$SHIPPER" -c "$WORK/qfull.conf" --backfill "$C" --no-progress \
    --summary-json "$WORK/qfull.json" > /dev/null 2> "$WORK/qfull.err"
tap_is $? 0 "queue full: the backfill exits 0"
tap_is "$(json_get "$WORK/qfull.json" resent)" 0 "queue full: producing waited for room; nothing went back to the buffer to be sent again"
consumed_wait 10 "$want"
kafka_check qfull "$C"
mock_stop

# A fatal idempotence error (an OUT_OF_ORDER_SEQUENCE_NUMBER answer,
# injected) fails every message in flight; a new producer sends them
# again, the oldest chunk first, none after it before it.
mock_start fatal
state_use fatal
( sleep 0.5; echo "errors 1 45" >&3 ) &
"$SHIPPER" -c "$CONF" --backfill "$C" --no-progress \
    --summary-json "$WORK/fatal.json" > /dev/null 2> "$WORK/fatal.err"
tap_is $? 0 "fatal: the backfill exits 0"
tap_grep 'fatal producer error: .*sequence.*\(the producer is made again' \
    "$WORK/fatal.err" "fatal: the producer failed for good, and was made again"
tap_ok "$(test "$(json_get "$WORK/fatal.json" resent)" -gt 0; echo $?)" \
    "fatal: the buffer sent the failed entries again ($(json_get "$WORK/fatal.json" resent))"
consumed_wait 10 "$want"
kafka_check fatal "$C"
mock_stop

# --- ECS ---------------------------------------------------------------------
# The corpus's pods served by the Kubernetes API fake, so that records
# carry the kubernetes_metadata filter's fields; a JSON and an ECS
# backfill of the corpus, each ECS document compared whole with the
# README's table applied to its JSON twin (tests/ecs_check.py).
$PYTHON3 "$top_srcdir/tests/k8s_api_fake.py" serve --manifest "$C/manifest.json" \
    --tls-dir "$WORK/ktls" --token tok --port-file "$WORK/kport" \
    2> "$WORK/fake.err" &
TAP_PIDS="$TAP_PIDS $!"
wait_for 30 test -s "$WORK/kport" || tap_ok 1 "ecs: the Kubernetes API fake listens"
echo tok > "$WORK/token"
kafka_conf "$WORK/ecs.conf" "" "<filter kubernetes.spire.**>
  @type kubernetes_metadata
  kubernetes_url https://127.0.0.1:$(cat "$WORK/kport")
  ca_file $WORK/ktls/ca.crt
  bearer_token_file $WORK/token
  secret_dir $WORK/no-such-dir
  watch false
</filter>"
for fmt in json ecs; do
	mock_start "k8s-$fmt"
	state_use "k8s-$fmt"
	KAFKA_FORMAT=$fmt "$SHIPPER" -c "$WORK/ecs.conf" --backfill "$C" \
	    --no-progress > /dev/null 2> "$WORK/k8s-$fmt.err"
	tap_is $? 0 "ecs: the $fmt backfill through the kubernetes_metadata filter exits 0"
	consumed_wait 10 "$want"
	tap_is "$(consumed)" "$want" "ecs: the $fmt backfill's messages all consumed"
	mock_stop
done
"$PYTHON3" "$top_srcdir/tests/ecs_check.py" "$WORK/k8s-ecs/consumed.ndjson" \
    "$WORK/k8s-json/consumed.ndjson" > "$WORK/ecs.check"
tap_ok $? "ecs: every document is, field by field, the README's table applied to its JSON twin (spire.*: the rest, as it was)"
cat "$WORK/ecs.check"

# --- dead letters: produce requests rejected for good ------------------------
S="$WORK/small"
$GEN --out "$S" --quiet --seed 7 --files 2 --format docker --inner json \
    --lines 3000
swant=$(kept_count "$S")
mock_start dead
state_use dead
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

# --- dead letters: topics the brokers refuse -----------------------------------
# security_event routes records to topics; the brokers answer for one as
# for an invalid name (17, TOPIC_EXCEPTION), for another as for one that
# does not exist (3, UNKNOWN_TOPIC_OR_PART; librdkafka waits
# topic.metadata.propagation.max.ms for it to appear: 1 s here). Once it
# knows, librdkafka refuses the topic's next messages itself
# (_UNKNOWN_TOPIC).
kafka_conf "$WORK/topics.conf" "  topic_key security_event
  rdkafka_options {\"topic.metadata.propagation.max.ms\":\"1000\"}"
mock_start topics "spire,$WORDS"
echo "topic_error unauthorized 17" >&3
echo "topic_error datastore_error 3" >&3
sleep 0.3
state_use topics
"$SHIPPER" -c "$WORK/topics.conf" --backfill "$C" --no-progress \
    --summary-json "$WORK/topics.json" > /dev/null 2> "$WORK/topics.err"
tap_is $? 1 "refused topics: the backfill exits 1 (not everything was accepted)"
dl="$STATE/state/buffer/dead-letter.ndjson"
# For each refused topic: its records in the plain backfill, those
# dead-lettered with the broker's error or librdkafka's, and whether the
# broker's came first; then the dead letters in all.
"$PYTHON3" - "$dl" "$WORK/backfill/consumed.ndjson" > "$WORK/topics.dl" <<'PY'
import collections, json, sys
codes = {"unauthorized": "TOPIC_EXCEPTION",
         "datastore_error": "UNKNOWN_TOPIC_OR_PART"}
dead, first, total = collections.Counter(), {}, 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    total += 1
    code, v = d["error"]["code"], d["value"]
    if (d["topic"] in codes and code in (codes[d["topic"]], "_UNKNOWN_TOPIC")
            and isinstance(v, dict) and v.get("security_event") == d["topic"]):
        dead[d["topic"]] += 1
        first.setdefault(d["topic"], code)
want = collections.Counter()   # what the plain backfill delivered
for line in open(sys.argv[2]):
    want[json.loads(json.loads(line)["value"]).get("security_event")] += 1
for t in codes:
    print(want[t], dead[t], first.get(t, "-"))
print(total)
PY
{ read n1 d1 c1; read n2 d2 c2; read nd; } < "$WORK/topics.dl"
tap_ok "$(test "$n1" -gt 0 && test "$d1" -eq "$n1" && test "$c1" = TOPIC_EXCEPTION; echo $?)" \
    "refused topics: every unauthorized record ($d1 of $n1) dead-lettered with its topic, the record and the broker's error ($c1), then librdkafka's"
tap_ok "$(test "$n2" -gt 0 && test "$d2" -eq "$n2" && test "$c2" = UNKNOWN_TOPIC_OR_PART; echo $?)" \
    "refused topics: every datastore_error record ($d2 of $n2) dead-lettered likewise ($c2)"
tap_is "$nd" "$((d1 + d2))" "refused topics: nothing else dead-lettered"
wait_for 10 sh -c "[ \$((\$(cat $M/consumed.count) + $nd)) -ge $want ]"
tap_is "$(( $(consumed) + nd ))" "$want" "refused topics: the rest is delivered (consumed + dead-lettered = the expected count)"
tap_is "$(json_get "$WORK/topics.json" dead_letters)" "$nd" "refused topics: counted in the summary"
mock_stop

# --- following: a broker down 20 s, produce errors ---------------------------
follow_gen() {
	gen_follow --rate 300 --files 3 --format mixed --inner mixed \
	    --rotate-every 500 "$@"
}
mock_start outage
state_use outage
shipper_start
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
want=$(kept_count "$STATE/logs")
consumed_wait 30 "$want"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "outage: the shipper stops with 0"
kafka_check outage "$STATE/logs"
mock_stop

# --- a restart after a backlog across rotations: order per key -------------------
# Stopped for 10 s while the logs rotate twice (3 MB files): at the start
# the rotated file is finished, the one rotated after it and the live
# file read, each after the other, not in turns.
mock_start restart
state_use restart
shipper_start
gen_follow --seed 42 --duration 14 --rate 2500 --files 2 --format mixed \
    --inner mixed --rotate-every 8000
sleep 2
kill -TERM "$SP"; wait "$SP"
sleep 10
shipper_start
wait $G
want=$(kept_count "$STATE/logs")
consumed_wait 30 "$want"
kill -TERM "$SP"; wait "$SP"
tap_grep 'rotated while the shipper was down: finishing .*\.log\.[0-9] from offset' \
    "$STATE/shipper.log" "restart: the files rotated meanwhile were found"
kafka_check restart "$STATE/logs"
mock_stop

# --- kill -9, three times ----------------------------------------------------
mock_start kill9
state_use kill9
shipper_start
follow_gen --seed 32 --duration 10
for i in 1 2 3; do
	sleep 2.5
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	shipper_start
done
wait $G
want=$(kept_count "$STATE/logs")
consumed_wait 30 "$want"
sleep 2
kill -TERM "$SP"; wait "$SP"
kafka_check kill9 "$STATE/logs"
tap_diag "kill -9 x3: $(cat "$WORK/kill9.repeats") replays, each with its source-id header repeated"
mock_stop

tap_done
