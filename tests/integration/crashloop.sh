#!/bin/sh
# crashloop.sh — kill -9 twenty times, at random moments, while the
# shipper follows logs that keep rotating into the Elasticsearch
# emulator; six of the kills while Elasticsearch is down and the (small)
# buffer is full, so that the tail has stopped reading. After the last
# restart the indices hold exactly the generator's WARN/ERROR and audit
# records, none lost and none twice, and the emulator's created/updated
# counts show that replays happened and overwrote (deterministic ids)
# instead of doubling.
#
# The moments come from CRASHLOOP_SEED (printed; set it to replay a run).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

KILLS=20
: "${CRASHLOOP_SEED:=$(date +%s)}"
tap_diag "CRASHLOOP_SEED=$CRASHLOOP_SEED"

CONF="$WORK/es.conf"
es_conf "$WORK/shipped.conf"
# A buffer of 4 x 32 KiB: full after a few seconds of outage.
sed -e 's/chunk_limit_size 2M/chunk_limit_size 32k/' \
    -e 's/queue_limit_length 8/queue_limit_length 4/' "$WORK/shipped.conf" \
    > "$CONF"
es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }
# Bulk answers come late, so that kills land while requests are in
# flight: ES has indexed them, the shipper has not heard it yet.
$ESCTL "$ES_PORT" faults '{"latency_ms":150}' > /dev/null

# The waits between kills, 0.1 to 2.2 s, and after three kills in ten a
# time down, up to 1 s, so that files rotate while no shipper runs; the
# generator runs until a second past the last restart.
awk -v s="$CRASHLOOP_SEED" -v n=$KILLS 'BEGIN { srand(s)
	for (i = 0; i < n; i++)
		printf "%.2f %.2f\n", 0.1 + 2.1 * rand(), rand() < 0.3 ? rand() : 0 }' \
    > "$WORK/waits"
duration=$(awk '{ t += $1 + $2 } END { printf "%d", t + 2 }' "$WORK/waits")

state_use crashloop
t0=$(date +%s)
shipper_start
gen_follow --seed 41 --duration "$duration" --rate 400 --files 4 \
    --format mixed --inner mixed --rotate-every 300 --gzip
kills=0 full=0
while read -r w down; do
	[ $kills = 7 ] && kill -USR1 "$ES_PID"	# down until kill 13
	sleep "$w"
	[ $kills -ge 7 ] && [ $kills -lt 13 ] &&
	    [ "$(cat "$STATE/state/buffer/"*.chunk 2>/dev/null | wc -c)" -ge 131072 ] &&
	    full=$((full + 1))
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	kills=$((kills + 1))
	[ $kills = 13 ] && kill -USR2 "$ES_PID"
	sleep "$down"
	shipper_start
done < "$WORK/waits"
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 60 "$want"
tap_is "$(es_count)" "$want" "kill -9 x$kills: the indices hold the manifest's WARN/ERROR + audit count"
es_exact crashloop "$STATE/logs"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "the last shipper stops with 0"
t1=$(date +%s)

rot=$(json_get "$STATE/logs/manifest.json" rotations | grep -o "'file'" | wc -l)
tap_ok "$(test "$rot" -ge 10; echo $?)" "the files rotated meanwhile ($rot times)"
created=$($ESCTL "$ES_PORT" stats items_by_status.201)
updated=$($ESCTL "$ES_PORT" stats items_by_status.200)
other=$($ESCTL "$ES_PORT" stats items_by_status | "$PYTHON3" -c '
import json, sys
print(sum(n for s, n in json.load(sys.stdin).items() if s not in ("200", "201")))')
tap_is "$created" "$want" "every document was created once"
tap_ok "$(test "$updated" -gt 0; echo $?)" "replays happened and overwrote ($updated index operations updated a document)"
tap_is "$other" 0 "no item failed"
tap_ok "$(test "$full" -ge 1; echo $?)" "the buffer was full at $full of the 6 kills while Elasticsearch was down"
tap_diag "kill -9 x$kills: $want records, $created created, $updated replayed, $rot rotations, $((t1 - t0)) s"

tap_done
