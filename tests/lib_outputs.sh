# tests/lib_outputs.sh — what the tests that follow logs into
# Elasticsearch (the emulator) or Kafka (the mock cluster) share: the
# shipped configuration made quick, a fresh state directory per run, the
# shipper and the generator in the background, and the exact checks of
# what arrived against the generator's ground truth.
#
# Sourced after tests/lib.sh. The shipper reads $CONF; a run's logs,
# positions and buffer live under $STATE (state_use).

# es_conf FILE — the shipped Elasticsearch configuration, quicker to
# flush and to retry.
es_conf() {
	sed -e 's/flush_interval 5s/flush_interval 1s/' \
	    -e 's/retry_max_interval 30/retry_max_interval 2/' \
	    -e 's/refresh_interval 60s/refresh_interval 1/' \
	    "$top_srcdir/templates/spire-shipper-elasticsearch.conf" > "$1"
}

# kafka_conf FILE [PARAMS [FILTERS]] — the shipped pipeline ending in a
# kafka2 match on $KAFKA_BROKERS, with headers and a quick file buffer;
# PARAMS (lines) are added to the match, FILTERS before it.
kafka_conf() {
	"$PYTHON3" - "$top_srcdir/templates/spire-shipper-elasticsearch.conf" \
	    "$1" "${2:-}" "${3:-}" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s[:s.index("<match kubernetes.spire.**>")].replace(
    "refresh_interval 60s", "refresh_interval 1")
open(sys.argv[2], "w").write(s + sys.argv[4] + """
<match kubernetes.spire.**>
  @type kafka2
  brokers "#{ENV['KAFKA_BROKERS']}"
  default_topic spire
  headers {"x-team":"security"}
  headers_from_record {"x-event":"$.security_event"}
""" + sys.argv[3] + """
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
}

# state_use NAME — where the logs, pos files and buffer of a run live
# ($WORK/NAME), exported for the shipped configurations.
state_use() {
	STATE="$WORK/$1"
	mkdir -p "$STATE/logs" "$STATE/state"
	SPIRE_LOG_DIR="$STATE/logs" SPIRE_SHIPPER_STATE="$STATE/state"
	ES_HOST=127.0.0.1 SPIRE_SHIPPER_TEMPLATES="$top_srcdir/templates"
	export SPIRE_LOG_DIR SPIRE_SHIPPER_STATE ES_HOST ES_PORT \
	    SPIRE_SHIPPER_TEMPLATES
}

# shipper_start [FILE] — the shipper on FILE (default $CONF) in the
# background (SP), its output and log appended in $STATE.
shipper_start() {
	"$SHIPPER" -c "${1:-$CONF}" >> "$STATE/shipper.out" 2>> "$STATE/shipper.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}

# gen_follow GEN-ARGS... — the generator writing into $STATE/logs in
# real time, in the background (G).
gen_follow() {
	$GEN --out "$STATE/logs" --quiet --follow "$@" &
	G=$!
	TAP_PIDS="$TAP_PIDS $G"
}

# kept_count DIR — the WARN/ERROR and audit records of DIR's manifest.
kept_count() {
	echo $(( $(json_get "$1/manifest.json" totals.warn_error_records) + \
	    $(json_get "$1/manifest.json" totals.audit_not_warn_error) ))
}

# buffer_chunks — the chunk files in the run's buffer.
buffer_chunks() {
	ls "$STATE/state/buffer/"*.chunk 2>/dev/null | wc -l
}

# --- Elasticsearch -------------------------------------------------------------

es_count() {
	$ESCTL "$ES_PORT" count 'spire-logs-*' 2>/dev/null
}

# es_wait_count SECONDS N — until the indices hold N documents.
es_wait_count() {
	wait_for "$1" sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $2 ]"
}

# es_exact NAME DIR [PORT...] — the indexed documents are exactly DIR's
# expected WARN/ERROR and audit records: none missing, none twice. With
# ports, the union of those emulators' documents by _id (several nodes
# that are not one cluster), where an _id held twice must be the same
# document.
es_exact() {
	_name=$1 _dir=$2; shift 2
	: > "$WORK/$_name.union"
	_files=
	for _p in ${*:-$ES_PORT}; do
		_files="$_files $WORK/$_name.$_p"
		$ESCTL --timeout 600 "$_p" docs 'spire-logs-*' > "$WORK/$_name.$_p" ||
		    echo "cannot read the documents of port $_p" >> "$WORK/$_name.union"
	done
	"$PYTHON3" -c '
import json, os, sys
union = {}
for path in sys.argv[1:]:
    docs = json.load(open(path)) if os.path.getsize(path) else {}
    for doc_id, src in docs.items():
        if union.setdefault(doc_id, src) != src:
            print("_id %s: two different documents" % doc_id, file=sys.stderr)
for src in union.values():
    print(json.dumps(src))' $_files > "$WORK/$_name.docs" 2>> "$WORK/$_name.union"
	$OUTCOUNT --expected "$_dir/expected_kept.tsv" --audit "$WORK/$_name.docs" \
	    > "$WORK/$_name.count" 2>&1 && [ ! -s "$WORK/$_name.union" ]
	_rc=$?
	tap_ok $_rc "$_name: exactly the expected WARN/ERROR and audit records, none missing, none twice"
	[ $_rc -eq 0 ] || cat "$WORK/$_name.union" "$WORK/$_name.count" |
	    sed 's/^/# /' | head -5
}

# --- Kafka ---------------------------------------------------------------------

MOCK="$top_builddir/tests/kafka_mock"
# What configure found (make check exports it; by hand, from the Makefile).
: "${HAVE_KAFKA_MOCK:=$(sed -n 's/^HAVE_KAFKA_MOCK = //p' \
    "$top_builddir/Makefile" 2>/dev/null)}"

# mock_required NAME — the test needs tests/kafka_mock. It is skipped
# only when configure found no mock cluster in librdkafka; a mock that
# configure said could be built, but is not, fails the test.
mock_required() {
	[ -x "$MOCK" ] && return 0
	if [ "$HAVE_KAFKA_MOCK" = no ]; then
		tap_skip "$1" "configure found no librdkafka mock cluster (rdkafka_mock.h; Debian: librdkafka-dev)"
	else
		tap_ok 1 "$1: $MOCK is built (configure found librdkafka's mock cluster: run make check, or make tests/kafka_mock)"
	fi
	tap_done
}

# mock_start NAME [TOPIC,...] — a fresh cluster in $WORK/NAME (M, its
# pid MP) with those topics (default: spire); commands go to fd 3;
# exports KAFKA_BROKERS.
mock_start() {
	M="$WORK/$1"
	mkdir -p "$M"
	mkfifo "$M/cmd"
	"$MOCK" "$M" ${2:+"$2"} < "$M/cmd" 2> "$M/mock.log" &
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

# consumed_wait SECONDS N — until the cluster's consumer has N messages.
consumed_wait() {
	wait_for "$1" sh -c "[ \"\$(cat $M/consumed.count)\" -ge $2 ]"
}

# kafka_check NAME DIR [--routing] — the consumed messages against DIR's
# ground truth (tests/kafka_check.py): values exactly the expected
# records once each after dropping repeats of a source-id header (how
# many: $WORK/NAME.repeats), headers as configured; keys, one partition
# per key and order per key across a pod's rotated files, or with
# --routing the routing run's topics, keys and partitions.
kafka_check() {
	_name=$1 _dir=$2; shift 2
	"$PYTHON3" "$top_srcdir/tests/kafka_check.py" "$M/consumed.ndjson" \
	    "$WORK/$_name" "$@"
	_rc=$?
	if [ $# -gt 0 ]; then
		tap_ok $_rc "$_name: topics, keys and partitions as configured, per record; headers and source-id"
	else
		tap_ok $_rc "$_name: keys (SPIFFE ID, else pod), headers and source-id as configured, one partition per key, order per key across rotated files"
	fi
	$OUTCOUNT --expected "$_dir/expected_kept.tsv" --audit "$WORK/$_name.values" \
	    > "$WORK/$_name.count" 2>&1
	_rc=$?
	tap_ok $_rc "$_name: the values are exactly the expected WARN/ERROR and audit records"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$WORK/$_name.count" | head -5
}
