#!/bin/sh
# health.sh — /ready and /live say what is wrong, and recover, live:
#   - an Elasticsearch output whose credentials the cluster refuses (a
#     401 while installing the template, then a 403 to a bulk request)
#     is not ready, saying why, until a request is accepted;
#   - a kafka2 output whose SASL handshake fails, or whose topic the
#     cluster refuses, is not ready until a record is delivered;
#   - an output nothing answers is ready, but not live once a record has
#     waited longer than liveness_max_unacked_age;
#   - a buffer chunk found damaged when it is read back for sending
#     fails /live until a restart, which sends its good records and sets
#     the damaged file aside as .corrupt; then /live is 200 again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"
. "$top_srcdir/tests/peers.sh"

mkdir -p "$WORK/logs"

# fetch PORT PATH — the status on the first line, then the body.
fetch() {
	"$PYTHON3" -c 'import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=5)
except urllib.error.HTTPError as e:
    r = e
except OSError:
    print("refused"); sys.exit(0)
print(r.status); sys.stdout.write(r.read().decode())' "http://127.0.0.1:$1$2"
}
# answers PORT PATH STATUS [PATTERN] — PATH answers STATUS (with a body
# matching PATTERN); the answer is kept in $WORK/answer.
answers() {
	fetch "$1" "$2" > "$WORK/answer"
	[ "$(head -1 "$WORK/answer")" = "$3" ] &&
	    { [ -z "$4" ] || grep -Eq -- "$4" "$WORK/answer"; }
}
# lines FILE N — N more CRI lines of a SPIRE error appended to FILE.
lines() {
	"$PYTHON3" -c 'import sys
with open(sys.argv[1], "a") as f:
    for i in range(int(sys.argv[2])):
        f.write("2024-05-01T08:00:00.%09dZ stderr F {\"level\":\"error\",'\
'\"msg\":\"Failed to attest\",\"n\":%d,\"pad\":\"%s\"}\n" % (i, i, "x" * 200))' "$1" "$2"
}
# conf NAME PORT AGE — $WORK/NAME.conf: a tail of $WORK/logs/NAME.log,
# the prometheus source on PORT, liveness_max_unacked_age AGE, and the
# output from stdin with a quick file buffer in $WORK/NAME.buffer.
conf() {
	{ cat <<CONF
<system>
  liveness_max_unacked_age $3
</system>
<source>
  @type tail
  path $WORK/logs/$1.log
  pos_file $WORK/$1.pos
  tag k.$1
  read_from_head true
  <parse>
    @type container
  </parse>
</source>
<source>
  @type prometheus
  bind 127.0.0.1
  port $2
</source>
<match k.**>
CONF
	cat
	cat <<CONF
  <buffer>
    @type file
    path $WORK/$1.buffer
    flush_interval 1s
    retry_wait 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
	} > "$WORK/$1.conf"
}
# start NAME — the shipper on $WORK/NAME.conf; its pid in SP_NAME.
start() {
	"$SHIPPER" -c "$WORK/$1.conf" >> "$WORK/$1.out" 2>> "$WORK/$1.log" &
	eval "SP_$1=$!"
	TAP_PIDS="$TAP_PIDS $!"
}
stop() {
	eval "kill -TERM \$SP_$1; wait \$SP_$1"
}
# expect PORT PATH STATUS PATTERN WHAT — within 60 s PATH answers STATUS
# with a body matching PATTERN.
expect() {
	wait_for 60 answers "$1" "$2" "$3" "$4"
	tap_ok $? "$5"
}

# --- Elasticsearch: refused credentials ----------------------------------------
es_start es --user elastic --password old-pw ||
    tap_ok 1 "the emulator starts"
P_ES=$(free_port)
lines "$WORK/logs/es.log" 20
conf es "$P_ES" 0 <<CONF
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  user elastic
  password new-pw
  logstash_format true
  logstash_prefix spire-logs
  template_name spire-logs
  template_file $top_srcdir/templates/spire-logs-template.json
CONF
start es
expect "$P_ES" /ready 503 "refuses its credentials" \
    "Elasticsearch answers 401 to the template's installation: /ready is 503"
tap_grep '<match k\.\*\*> at .*es\.conf:[0-9]+: Elasticsearch refuses its credentials or their privileges \(cannot check the (ILM policy|index template): http://127\.0\.0\.1:[0-9]+/_[a-z_/-]+: HTTP 401: security_exception: unable to authenticate user \[elastic\]' \
    "$WORK/answer" "the body names the output, the step, the status and Elasticsearch's reason"
answers "$P_ES" /live 200
tap_ok $? "/live stays 200: a restart would not fix credentials"
$ESCTL "$ES_PORT" auth '{"password": "new-pw"}' > /dev/null
expect "$P_ES" /ready 200 "" "once the cluster takes the credentials, /ready is 200 again"
wait_for 30 sh -c "[ \"\$($ESCTL --user elastic:new-pw $ES_PORT count 'spire-logs-*')\" = 20 ]"
tap_ok $? "and the records waiting in the buffer are indexed"

$ESCTL "$ES_PORT" faults '{"status_override": 403}' > /dev/null
lines "$WORK/logs/es.log" 5
expect "$P_ES" /ready 503 \
    'refuses its credentials or their privileges \(POST http://127\.0\.0\.1:[0-9]+/_bulk: HTTP 403: security_exception: action \[indices:data/write/bulk\] is unauthorized.*lack a privilege: index and create_index' \
    "a bulk request answered 403 as a whole: /ready is 503, saying what to check"
$ESCTL "$ES_PORT" faults '{"status_override": 0}' > /dev/null
expect "$P_ES" /ready 200 "" "the next bulk request accepted: /ready is 200"
stop es
tap_is $? 0 "the shipper stops cleanly"

# --- a buffer chunk damaged under the running shipper --------------------------
P_C=$(free_port)
lines "$WORK/logs/crc.log" 10
conf crc "$P_C" 0 <<CONF
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  user elastic
  password new-pw
  index_name crc-logs
CONF
$ESCTL "$ES_PORT" faults '{"status_override": 503}' > /dev/null
start crc
wait_for 30 sh -c "ls $WORK/crc.buffer/*.chunk" > "$WORK/crc.chunks"
tap_is "$(wc -l < "$WORK/crc.chunks")" 1 "Elasticsearch answers 503: the records wait in a chunk"
# The first entry's payload, 8 bytes of magic and 8 of header in.
printf 'X' | dd of="$(cat "$WORK/crc.chunks")" bs=1 seek=20 conv=notrunc 2> /dev/null
expect "$P_C" /live 503 "does not read as it was written" \
    "the chunk changed on disk: /live is 503 once it is read back for sending"
tap_grep 'the buffer of <match> at .*crc\.conf:[0-9]+: buffer chunk .*\.chunk: entry 1 of 10 \(at byte 8\) does not read as it was written \(its CRC\).*a restart recovers the chunk' \
    "$WORK/answer" "the body names the buffer, the chunk, the entry and the remedy"
fetch "$P_C" /metrics > "$WORK/crc.metrics"
tap_grep '^spire_shipper_buffer_damaged_chunks\{plugin_id="[^"]+",type="elasticsearch"\} 1$' \
    "$WORK/crc.metrics" "spire_shipper_buffer_damaged_chunks counts it"
answers "$P_C" /ready 200
tap_ok $? "/ready stays 200"
stop crc
$ESCTL "$ES_PORT" faults '{"status_override": 0}' > /dev/null
start crc
wait_for 30 sh -c "[ \"\$($ESCTL --user elastic:new-pw $ES_PORT count crc-logs)\" = 9 ]"
tap_ok $? "after the restart the 9 entries that check are indexed"
answers "$P_C" /live 200
tap_ok $? "and /live is 200: damage set aside at start is not for a restart to fix"
tap_is "$(ls "$WORK/crc.buffer/"*.corrupt | wc -l)" 1 "the damaged file is kept as .corrupt"
stop crc

# --- Kafka: SASL refused, a topic refused --------------------------------------
if [ -x "$MOCK" ] && mock_start kmock; then
	P_K=$(free_port)
	: > "$WORK/logs/sasl.log"
	lines "$WORK/logs/sasl.log" 5
	conf sasl "$P_K" 0 <<CONF
  @type kafka2
  brokers $KAFKA_BROKERS
  default_topic spire
  username alice
  password not-that
  sasl_over_ssl false
CONF
	start sasl
	expect "$P_K" /ready 503 "Kafka refuses its credentials" \
	    "a broker that fails the SASL handshake: /ready is 503"
	tap_grep 'at .*sasl\.conf:[0-9]+: Kafka refuses its credentials or their rights \(_AUTHENTICATION: .*check username, password and scram_mechanism' \
	    "$WORK/answer" "the body names the output, librdkafka's error and what to check"
	stop sasl

	P_T=$(free_port)
	lines "$WORK/logs/acl.log" 5
	conf acl "$P_T" 0 <<CONF
  @type kafka2
  brokers $KAFKA_BROKERS
  default_topic spire
CONF
	echo "errors 4 29" >&3	# TOPIC_AUTHORIZATION_FAILED
	start acl
	expect "$P_T" /ready 503 "TOPIC_AUTHORIZATION_FAILED|Topic authorization failed" \
	    "a topic the cluster refuses to this user: /ready is 503"
	expect "$P_T" /ready 200 "" "once a record is delivered, /ready is 200 again"
	consumed_wait 30 5
	tap_ok $? "and the records arrived"
	fetch "$P_T" /metrics > "$WORK/acl.metrics"
	tap_grep '^spire_shipper_kafka_delivery_duration_seconds_count\{plugin_id="[^"]+",type="kafka2"\} ([5-9]|[1-9][0-9]+)$' \
	    "$WORK/acl.metrics" "/metrics: the delivery reports' latency, one per record at least"
	tap_grep '^spire_shipper_kafka_producer_restarts_total\{plugin_id="[^"]+",type="kafka2"\} 0$' \
	    "$WORK/acl.metrics" "/metrics: no producer made anew"
	stop acl
	mock_stop
else
	tap_skip "kafka2 readiness" "no tests/kafka_mock (make check builds it)"
fi

# --- an output nothing answers ---------------------------------------------------
P_D=$(free_port)
lines "$WORK/logs/down.log" 3
conf down "$P_D" 2s <<CONF
  @type elasticsearch
  host 127.0.0.1
  port $(free_port)
  request_timeout 1s
CONF
start down
expect "$P_D" /live 503 "oldest unacknowledged record has waited" \
    "an output nothing answers: /live is 503 after liveness_max_unacked_age"
tap_grep 'the buffer of <match> at .*down\.conf:[0-9]+: the oldest unacknowledged record has waited [0-9]+ s \(liveness_max_unacked_age 2 s\)' \
    "$WORK/answer" "the body names the buffer, the age and the limit"
answers "$P_D" /ready 200
tap_ok $? "while /ready stays 200: the buffer takes records, no credentials are refused"
stop down

tap_done
