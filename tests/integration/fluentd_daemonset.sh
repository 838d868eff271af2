#!/bin/sh
# fluentd_daemonset.sh — the official Fluentd Kubernetes DaemonSet
# configurations (tests/data/fluentd-configs/, as published) with the
# environment its manifest sets: --dry-run names exactly the directives
# the shipper lacks; with --skip-unsupported the Elasticsearch one runs
# over a node of Docker json-file logs with the image's default container
# parser (json), and over a node of CRI logs with the parser the image's
# README gives containerd and CRI-O (FLUENT_CONTAINER_TAIL_PARSER_TYPE
# cri, and the time format its manifests set); every container log line
# becomes one document in the Elasticsearch emulator with the line's own
# text in `log`, its stream and runtime time, no parse_error, and
# Kubernetes metadata from the API fake. The Kafka one runs over the CRI
# node against librdkafka's mock cluster (tests/kafka_mock), from a file
# that @includes it beside <system> skip_unsupported true, with
# FLUENT_KAFKA2_BROKERS and _DEFAULT_TOPIC and the image's <inject> knobs
# (FLUENT_KAFKA2_OUTPUT_TAG_KEY, _TIME_KEY) set: every line is consumed
# once, parsed the same way, with its tag and its time.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! command -v openssl > /dev/null 2>&1; then
	echo "1..0 # SKIP openssl not found (Debian: apt-get install openssl)"
	exit 0
fi
CONFS=$top_srcdir/tests/data/fluentd-configs
FAKE="$PYTHON3 $top_srcdir/tests/k8s_api_fake.py"
# Two nodes of the same 3 pods and lines: Docker's json-file and CRI.
for fmt in docker cri; do
	$GEN --out "$WORK/gen-$fmt" --seed 9 --files 3 --lines 400 \
	    --bad-rate 0 --format $fmt --quiet &&
	    $FAKE layout --manifest "$WORK/gen-$fmt/manifest.json" \
	    --logs "$WORK/gen-$fmt" --root "$WORK/root-$fmt" || break
done
tap_ok $? "a corpus of 3 pods in the kubelet's layout, Docker and CRI"
MANIFEST=$WORK/gen-cri/manifest.json
LINES=$(json_get "$MANIFEST" totals.logical_lines)
$FAKE serve --manifest "$MANIFEST" --tls-dir "$WORK/tls" --token "" \
    --port-file "$WORK/port" 2> "$WORK/fake.err" &
TAP_PIDS="$TAP_PIDS $!"
wait_for 30 test -s "$WORK/port"
tap_ok $? "the fake API server listens"
es_start es
tap_ok $? "the Elasticsearch emulator listens"

export FLUENT_ELASTICSEARCH_HOST=127.0.0.1 FLUENT_ELASTICSEARCH_PORT=$ES_PORT
export FLUENT_FILTER_KUBERNETES_URL=https://127.0.0.1:$(cat "$WORK/port")
export KUBERNETES_CA_FILE=$WORK/tls/ca.crt
export FLUENT_ELASTICSEARCH_BUFFER_FLUSH_INTERVAL=1s
export K8S_NODE_NAME=node-1
# The image's prometheus.conf listens on 0.0.0.0:24231: a free loopback
# port instead, from which the lines read are known.
export FLUENTD_PROMETHEUS_BIND=127.0.0.1
export FLUENTD_PROMETHEUS_PORT=$("$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# node FORMAT RUN — a run over the node of FORMAT, with a pos dir of its
# own. File.join('/var/log/', dir, name): a relative dir keeps /var/log
# clean.
node() {
	mkdir -p "$WORK/pos-$2"
	FLUENT_CONTAINER_TAIL_PATH="$WORK/root-$1/var/log/containers/*.log"
	FLUENT_POS_EXTRA_DIR="../..$WORK/pos-$2"
	export FLUENT_CONTAINER_TAIL_PATH FLUENT_POS_EXTRA_DIR
}
node cri dry

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


# lines_check FORMAT KIND DOCS — what reached an output (KIND es: the
# emulator's documents; kafka: the consumed messages) against the node's
# files: the multiset of (pod, stream, text, runtime time) must be the
# same, every document without parse_error and with Kubernetes metadata.
# Prints the number of lines found as written, then what is wrong.
lines_check() {
	"$PYTHON3" - "$WORK/gen-$1" "$2" "$3" <<'PY'
import collections, glob, json, os, sys
gendir, kind, docs_path = sys.argv[1:4]

def ns(t):
    """RFC 3339 (UTC, any fraction) to integer nanoseconds."""
    import calendar
    t = t.rstrip("Z")
    whole, _, frac = t.partition(".")
    secs = calendar.timegm(tuple(int(x) for x in
        whole.replace("T", "-").replace(":", "-").split("-")) + (0, 0, 0))
    return secs * 10**9 + int((frac + "000000000")[:9])

want = collections.Counter()
for path in sorted(glob.glob(os.path.join(gendir, "*.log"))):
    pod = os.path.basename(path).split("_")[0]
    for raw in open(path, encoding="utf-8"):
        raw = raw[:-1]
        if raw.startswith("{"):         # Docker: log keeps its newline
            d = json.loads(raw)
            text, stream, t = d["log"][:-1], d["stream"], d["time"]
        else:                           # CRI: time stream tag text
            t, stream, _, text = raw.split(" ", 3)
        want[(pod, stream, text, ns(t))] += 1

if kind == "es":
    docs = list(json.load(open(docs_path)).values())
else:
    docs = [json.loads(json.loads(m)["value"]) for m in open(docs_path)]
got, bad = collections.Counter(), []
for d in docs:
    k = d.get("kubernetes", {})
    if "parse_error" in d:
        bad.append("parse_error %r: %r" % (d["parse_error"], d.get("log")))
    if not k.get("pod_name") or not k.get("namespace_name"):
        bad.append("no Kubernetes metadata")
    if kind == "es":
        t = ns(d.get("@timestamp", "1970-01-01T00:00:00Z"))
    else:           # <inject> time_key: float seconds, to the microsecond
        t = ns(d.get("time", "1970-01-01T00:00:00Z"))
        if abs(d.get("fluentd_time", 0) - t / 1e9) > 2e-6:
            bad.append("fluentd_time %r for %r" % (d.get("fluentd_time"),
                                                   d.get("time")))
    got[(k.get("pod_name"), d.get("stream"), d.get("log"), t)] += 1
print(sum((want & got).values()))
for line in sorted(want - got)[:3]:
    bad.append("missing %r" % (line,))
for line in sorted(got - want)[:3]:
    bad.append("unexpected %r" % (line,))
for b in sorted(set(bad))[:8]:
    print(b)
PY
}

# es_run FORMAT [VAR=VALUE...] — the Elasticsearch configuration over a
# node, its documents under the index prefix FORMAT.
es_run() {
	fmt=$1
	shift
	node "$fmt" "es-$fmt"
	(cd "$CONFS/debian-elasticsearch8" &&
	    exec env FLUENT_ELASTICSEARCH_LOGSTASH_PREFIX="$fmt" "$@" \
	    "$SHIPPER" -c fluent.conf --skip-unsupported \
	    > "$WORK/run-$fmt.out" 2> "$WORK/run-$fmt.err") &
	SPID=$!
	TAP_PIDS="$TAP_PIDS $SPID"
	wait_for 40 sh -c "[ \"\$($ESCTL $ES_PORT count '$fmt-*' 2>/dev/null)\" = $LINES ]"
	tap_is "$($ESCTL "$ES_PORT" count "$fmt-*" 2>/dev/null)" "$LINES" \
	    "$fmt: every container log line reaches Elasticsearch"
	kill "$SPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
	$ESCTL "$ES_PORT" docs "$fmt-*" > "$WORK/docs-$fmt"
	tap_is "$(lines_check "$fmt" es "$WORK/docs-$fmt")" "$LINES" \
	    "$fmt: every document is its line, parsed: the text in log, its stream, @timestamp its runtime time; none with parse_error, all with Kubernetes metadata"
	# The runtime's time, not the reading's: the index of its day.
	tap_is "$($ESCTL "$ES_PORT" count "$fmt-2024.05.01" 2>/dev/null)" \
	    "$LINES" "$fmt: in the index of the lines' own day"
}

# The image's default container parser, json: Docker's json-file.
es_run docker
# containerd and CRI-O: the cri parser, as the image's README says, with
# the time format its manifests set beside it.
es_run cri FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri \
    FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT='%Y-%m-%dT%H:%M:%S.%N%:z'
# --- kafka2 ------------------------------------------------------------------
MOCK="$top_builddir/tests/kafka_mock"
if [ ! -x "$MOCK" ]; then
	tap_skip "the kafka2 configuration runs" "tests/kafka_mock not built"
	tap_done
fi
mkdir -p "$WORK/kafka"
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
export FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri
export FLUENT_CONTAINER_TAIL_PARSER_TIME_FORMAT='%Y-%m-%dT%H:%M:%S.%N%:z'
node cri kafka
# The published file as it is, @included beside <system> skip_unsupported.
cat > "$WORK/kafka.conf" <<C
<system>
  skip_unsupported true
</system>
@include $CONFS/debian-kafka2/fluent.conf
C
"$SHIPPER" -c "$WORK/kafka.conf" > "$WORK/krun.out" 2> "$WORK/krun.err" &
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
tap_is "$(grep -c 'is not supported by the shipper: skipped$' "$WORK/krun.err")" 3 \
    "kafka2: <system> skip_unsupported true skips the systemd sources, a warning each"
tap_is "$(lines_check cri kafka "$WORK/kafka/consumed.ndjson")" "$LINES" \
    "kafka2: every message is its line, parsed: the text in log, its stream, its runtime time (and <inject>'s fluentd_time); none with parse_error, all with Kubernetes metadata"
"$PYTHON3" - "$WORK/kafka/consumed.ndjson" <<'PY' > "$WORK/kcheck"
import json, sys
bad, ids = [], set()
for line in open(sys.argv[1]):
    m = json.loads(line)
    v = json.loads(m["value"])
    ids.add(m["headers"].get("spire-shipper-source-id"))
    k = v.get("kubernetes", {})
    if not v.get("fluentd_tag", "").startswith("kubernetes.") or \
            k.get("pod_name", "?") not in v["fluentd_tag"]:
        bad.append("tag %r" % v.get("fluentd_tag"))
    # default_message_key "#{... || nil}" is "", as in Fluentd.
    if m["key"] != "":
        bad.append("key %r" % m["key"])
print(len(ids))
for b in sorted(set(bad))[:5]:
    print(b)
PY
tap_is "$(cat "$WORK/kcheck")" "$LINES" "kafka2: every message has its tag (<inject>), the empty key Fluentd gives it, and its own source id"
echo quit >&3
exec 3>&-
tap_done
