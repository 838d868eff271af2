#!/bin/sh
# fluentd_daemonset.sh — the official Fluentd Kubernetes DaemonSet
# configurations (tests/data/fluentd-configs/, as published) with the
# environment its manifest sets: --dry-run names exactly the directives
# the shipper lacks; with --skip-unsupported the Elasticsearch one runs
# and every container log line reaches the Elasticsearch emulator, with
# Kubernetes metadata from the API fake; and the Kafka one runs against
# librdkafka's mock cluster (tests/kafka_mock) with FLUENT_KAFKA2_BROKERS
# and _DEFAULT_TOPIC, and the image's <inject> knobs set
# (FLUENT_KAFKA2_OUTPUT_TAG_KEY, _TIME_KEY): every container log line is
# consumed once, with Kubernetes metadata, its tag and its time.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! command -v openssl > /dev/null 2>&1; then
	echo "1..0 # SKIP openssl not found (Debian: apt-get install openssl)"
	exit 0
fi
CONFS=$top_srcdir/tests/data/fluentd-configs
FAKE="$PYTHON3 $top_srcdir/tests/k8s_api_fake.py"
GENDIR=$WORK/gen
MANIFEST=$GENDIR/manifest.json

$GEN --out "$GENDIR" --seed 9 --files 3 --lines 400 --quiet &&
    $FAKE layout --manifest "$MANIFEST" --logs "$GENDIR" --root "$WORK/root"
tap_ok $? "a corpus of 3 pods in the kubelet's layout"
LINES=$(json_get "$MANIFEST" totals.logical_lines)
$FAKE serve --manifest "$MANIFEST" --tls-dir "$WORK/tls" --token "" \
    --port-file "$WORK/port" 2> "$WORK/fake.err" &
TAP_PIDS="$TAP_PIDS $!"
wait_for 30 test -s "$WORK/port"
tap_ok $? "the fake API server listens"
es_start es
tap_ok $? "the Elasticsearch emulator listens"

mkdir -p "$WORK/pos"
export FLUENT_ELASTICSEARCH_HOST=127.0.0.1 FLUENT_ELASTICSEARCH_PORT=$ES_PORT
export FLUENT_CONTAINER_TAIL_PATH="$WORK/root/var/log/containers/*.log"
# File.join('/var/log/', dir, name): a relative dir keeps /var/log clean.
export FLUENT_POS_EXTRA_DIR="../..$WORK/pos"
export FLUENT_FILTER_KUBERNETES_URL=https://127.0.0.1:$(cat "$WORK/port")
export KUBERNETES_CA_FILE=$WORK/tls/ca.crt
export FLUENT_ELASTICSEARCH_BUFFER_FLUSH_INTERVAL=1s
export K8S_NODE_NAME=node-1
# The image's prometheus.conf listens on 0.0.0.0:24231: a free loopback
# port instead, from which the lines read are known.
export FLUENTD_PROMETHEUS_BIND=127.0.0.1
export FLUENTD_PROMETHEUS_PORT=$("$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# unsupported FLAVOUR — the "file:line: what" lines of its --dry-run error.
unsupported() {
	(cd "$CONFS/$1" && "$SHIPPER" -c fluent.conf --dry-run 2>&1 |
	    sed -n 's/^  //p')
}
EXPECT='systemd.conf:6: <source> @type systemd
systemd.conf:23: <source> @type systemd
systemd.conf:40: <source> @type systemd'
tap_is "$(unsupported debian-elasticsearch8)" "$EXPECT" \
    "elasticsearch8 --dry-run lists exactly the unsupported directives"
tap_is "$(unsupported debian-kafka2)" "$(echo "$EXPECT" |
    sed 's/:23:/:20:/; s/:40:/:34:/')" \
    "kafka2 --dry-run lists the same, and not its kafka2 output"
(cd "$CONFS/debian-kafka2" && FLUENT_KAFKA2_BROKERS=127.0.0.1:9092 \
    FLUENT_KAFKA2_DEFAULT_TOPIC=spire-security \
    "$SHIPPER" -c fluent.conf --dry-run --skip-unsupported \
    > "$WORK/kdry.out" 2> "$WORK/kdry.err")
tap_ok $? "kafka2 --dry-run --skip-unsupported is valid"
(cd "$CONFS/debian-elasticsearch8" && "$SHIPPER" -c fluent.conf --dry-run \
    --skip-unsupported > "$WORK/dry.out" 2> "$WORK/dry.err")
tap_ok $? "elasticsearch8 --dry-run --skip-unsupported is valid"
tap_is "$(grep -c 'skipped$' "$WORK/dry.err")" 3 "one warning per skipped directive"

(cd "$CONFS/debian-elasticsearch8" && exec "$SHIPPER" -c fluent.conf \
    --skip-unsupported > "$WORK/run.out" 2> "$WORK/run.err") &
SPID=$!
TAP_PIDS="$TAP_PIDS $SPID"
count() {
	$ESCTL "$ES_PORT" count 'logstash-*' 2>/dev/null
}
wait_for 40 sh -c "[ \"\$($ESCTL $ES_PORT count 'logstash-*' 2>/dev/null)\" = $LINES ]"
tap_is "$(count)" "$LINES" "every container log line reaches Elasticsearch"
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
$ESCTL "$ES_PORT" docs 'logstash-*' | "$PYTHON3" -c '
import json, sys
n = k = 0
for line in sys.stdin:
    d = json.loads(line)
    if "log" not in d:
        continue
    n += 1
    if d.get("kubernetes", {}).get("pod_name"):
        k += 1
print(n - k)' > "$WORK/nometa"
tap_is "$(cat "$WORK/nometa")" 0 "every document has Kubernetes metadata"

# --- kafka2 ------------------------------------------------------------------
MOCK="$top_builddir/tests/kafka_mock"
if [ ! -x "$MOCK" ]; then
	tap_skip "the kafka2 configuration runs" "tests/kafka_mock not built"
	tap_done
fi
mkdir -p "$WORK/kafka" "$WORK/kpos"
mkfifo "$WORK/kafka/cmd"
"$MOCK" "$WORK/kafka" logs < "$WORK/kafka/cmd" 2> "$WORK/kafka/mock.log" &
TAP_PIDS="$TAP_PIDS $!"
exec 3> "$WORK/kafka/cmd"
wait_for 10 test -s "$WORK/kafka/bootstrap"
tap_ok $? "the Kafka mock cluster listens"
export FLUENT_KAFKA2_BROKERS=$(cat "$WORK/kafka/bootstrap")
export FLUENT_KAFKA2_DEFAULT_TOPIC=logs
export FLUENT_KAFKA2_OUTPUT_TAG_KEY=fluentd_tag
export FLUENT_KAFKA2_OUTPUT_TIME_KEY=fluentd_time
export FLUENT_POS_EXTRA_DIR="../..$WORK/kpos"
(cd "$CONFS/debian-kafka2" && exec "$SHIPPER" -c fluent.conf \
    --skip-unsupported > "$WORK/krun.out" 2> "$WORK/krun.err") &
SPID=$!
TAP_PIDS="$TAP_PIDS $SPID"
# lines_read — what the tail source read, from its metrics.
lines_read() {
	"$PYTHON3" -c 'import re, sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read()
print(sum(int(float(v)) for v in re.findall(
    rb"^spire_shipper_input_lines_total\{[^}]*\} (\S+)", t, re.M)))' \
	    "$FLUENTD_PROMETHEUS_PORT" 2>/dev/null
}
lines_are() {
	[ "$(lines_read)" = "$1" ]
}
wait_for 30 lines_are "$LINES"
tap_is "$(lines_read)" "$LINES" "kafka2: the tail source reads every line"
# kafka2's buffer is Fluentd's default (memory, flush_interval 60s): a
# SIGTERM flushes it, as it does in a pod that stops.
kill -TERM "$SPID"
wait "$SPID"
tap_is $? 0 "kafka2: SIGTERM flushes the buffer and exits 0"
wait_for 15 sh -c "[ \"\$(cat $WORK/kafka/consumed.count)\" -ge $LINES ]"
tap_is "$(cat "$WORK/kafka/consumed.count")" "$LINES" \
    "every container log line reaches the Kafka cluster, once"
"$PYTHON3" - "$WORK/kafka/consumed.ndjson" <<'PY' > "$WORK/kcheck"
import json, sys
bad, ids = [], set()
for line in open(sys.argv[1]):
    m = json.loads(line)
    v = json.loads(m["value"])
    ids.add(m["headers"].get("spire-shipper-source-id"))
    k = v.get("kubernetes", {})
    if not k.get("pod_name") or not k.get("namespace_name"):
        bad.append("no Kubernetes metadata")
    if not v.get("fluentd_tag", "").startswith("kubernetes.") or \
            k.get("pod_name", "?") not in v["fluentd_tag"]:
        bad.append("tag %r" % v.get("fluentd_tag"))
    if not isinstance(v.get("fluentd_time"), float) or \
            not 1e9 < v["fluentd_time"] < 1e10:
        bad.append("time %r" % v.get("fluentd_time"))
    # default_message_key "#{... || nil}" is "", as in Fluentd.
    if m["key"] != "":
        bad.append("key %r" % m["key"])
print(len(ids))
for b in sorted(set(bad))[:5]:
    print(b)
PY
tap_is "$(cat "$WORK/kcheck")" "$LINES" "kafka2: every message has Kubernetes metadata, its tag and time (<inject>), the empty key Fluentd gives it, and its own source id"
echo quit >&3
exec 3>&-
tap_done
