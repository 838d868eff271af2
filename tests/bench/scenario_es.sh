# scenario_es.sh — sourced by bench.sh: scenario 3, the backfill of the
# Docker corpus into the Elasticsearch emulator with the shipped
# Elasticsearch configuration (flushing every second, and chunks and a
# queue large enough that a 1M-line backfill is not paced by the flush
# interval). What is timed is the shipper's process, not the emulator's;
# then the emulator alone takes the same documents in as many bulks from
# a Python client (es_replay.py): its ceiling, to tell whether it, not
# the shipper, set the pace.
if [ -z "${ES_PID:-}" ]; then
	mkdir -p "$BENCH_DIR/es"; rm -f "$BENCH_DIR/es/port"
	$PYTHON3 "$top_srcdir/tests/es_emulator.py" --port 0 \
	    --port-file "$BENCH_DIR/es/port" 2> "$BENCH_DIR/es/emulator.log" &
	ES_PID=$!
	trap 'kill $ES_PID 2> /dev/null || true' EXIT
	n=0
	while [ ! -s "$BENCH_DIR/es/port" ]; do
		sleep 0.1; n=$((n + 1)); [ $n -lt 100 ] || die "no emulator"
	done
	ES_PORT=$(cat "$BENCH_DIR/es/port")
fi
$PYTHON3 "$top_srcdir/tests/esctl.py" "$ES_PORT" reset > /dev/null
sed -e 's/flush_interval 5s/flush_interval 1s/' \
    -e 's/chunk_limit_size 2M/chunk_limit_size 8M/' \
    -e 's/queue_limit_length 8/queue_limit_length 64/' \
    -e 's/keep_audit true/keep_audit false/' \
    "$top_srcdir/templates/spire-shipper-elasticsearch.conf" > "$BENCH_DIR/es/es.conf"
SPIRE_SHIPPER_STATE=$RUN ES_HOST=127.0.0.1 \
    ES_PORT=$ES_PORT SPIRE_SHIPPER_TEMPLATES=$top_srcdir/templates \
    shipper_backfill 3 "$BENCH_DIR/docker" "$LINES" "$BYTES" "$WANT" \
    "$BENCH_DIR/es/es.conf"
got=$($PYTHON3 "$top_srcdir/tests/esctl.py" "$ES_PORT" count 'spire-logs-*')
check_count "scenario 3 documents in the emulator" "$got" "$WANT"
$PYTHON3 "$B/es_replay.py" "$ES_PORT" "$top_srcdir/templates" > "$RUN/replay" ||
    die "scenario 3: the replay into the emulator failed"
read -r wall got < "$RUN/replay"
check_count "scenario 3 emulator replay" "$got" "$WANT"
printf '3\t%s\t\t%s\t\t%s\t\tdocs %s\n' "emulator alone (the same bulks)" \
    "$wall" "$LINES" "$got" >> "$RAW"
