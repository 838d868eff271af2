#!/bin/sh
# fluentd_daemonset.sh — the official Fluentd Kubernetes DaemonSet
# configurations (tests/data/fluentd-configs/, as published) with the
# environment its manifest sets: --dry-run names exactly the directives
# the shipper lacks; with --skip-unsupported the Elasticsearch one runs
# and every container log line reaches the Elasticsearch emulator, with
# Kubernetes metadata from the API fake. The Kafka configuration is
# checked with --dry-run only (its run against the mock cluster: to do).
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
tap_done
