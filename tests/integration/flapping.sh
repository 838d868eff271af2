#!/bin/sh
# flapping.sh — Elasticsearch flapping while the shipper follows logs
# that rotate: down 10 s, up 10 s, for two minutes; down is refusing
# connections (a node that died), and every other time accepting them
# but answering too late (a node stuck in GC: the bulk is indexed, the
# shipper times out and sends it again). Every down window leaves the
# records waiting in buffer chunks on disk; after the last one the
# indices hold exactly the generator's WARN/ERROR and audit records,
# none lost, none twice (the late replays overwrote), and the shipper
# stops cleanly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

CYCLES=6	# of 10 s down and 10 s up: two minutes
CONF="$WORK/es.conf"
es_conf "$CONF"
es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }

state_use flapping
t0=$(date +%s)
shipper_start
gen_follow --seed 51 --duration $((CYCLES * 20 + 2)) --rate 300 --files 4 \
    --format mixed --inner mixed --rotate-every 500 --gzip
flush_failures() {
	grep -c 'failed to flush chunk' "$STATE/shipper.log"
}
felt=0 down_chunks=
i=0
while [ $i -lt $CYCLES ]; do
	sleep 2
	f0=$(flush_failures)
	if [ $((i % 2)) = 0 ]; then
		kill -USR1 "$ES_PID"	# down: connections refused
	else			# stuck: answers after request_timeout (5 s)
		$ESCTL "$ES_PORT" faults '{"latency_ms":20000}' > /dev/null
	fi
	sleep 8
	n=$(buffer_chunks)	# the staged chunk, and queued ones that wait
	down_chunks="$down_chunks $n"
	sleep 2
	if [ $((i % 2)) = 0 ]; then
		kill -USR2 "$ES_PID"	# up again
	else
		$ESCTL "$ES_PORT" faults '{"latency_ms":0}' > /dev/null
	fi
	[ "$n" -ge 2 ] && [ "$(flush_failures)" -gt "$f0" ] && felt=$((felt + 1))
	sleep 8
	i=$((i + 1))
done
tap_is "$felt" $CYCLES "every down window failed flushes and left chunks waiting on disk (chunks:$down_chunks)"
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 60 "$want"
tap_is "$(es_count)" "$want" "flapping: the indices hold the manifest's WARN/ERROR + audit count"
es_exact flapping "$STATE/logs"
tap_is "$($ESCTL "$ES_PORT" stats items_by_status.201)" "$want" \
    "flapping: every document was created once"
updated=$($ESCTL "$ES_PORT" stats items_by_status.200)
tap_ok "$(test "$updated" -gt 0; echo $?)" "flapping: the bulks sent again after a timeout overwrote ($updated documents)"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "flapping: the shipper stops with 0"
t1=$(date +%s)
tap_is "$(buffer_chunks)" 0 "flapping: the buffer is empty at the end"
fails=$(flush_failures)
rot=$(json_get "$STATE/logs/manifest.json" rotations | grep -o "'file'" | wc -l)
tap_diag "flapping: $want records, $updated overwritten by replays, $rot rotations, $fails flush failures logged, $((t1 - t0)) s"

tap_done
