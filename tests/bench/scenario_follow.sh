# scenario_follow.sh — sourced by bench.sh: scenarios 4 and 5, a node's
# 100 container logs followed by one shipper. 4: BENCH_FOLLOW_LINES lines of
# the corpus appended to the 100 files at once, timed from the last write
# to the last record out (and the shipper's CPU over the whole burst).
# 5: the same node idle for BENCH_IDLE_SECONDS, CPU scaled to a minute.
fresh
mkdir -p "$RUN/logs"
hex=$(printf '%064d' 0)
for i in $(seq 100); do
	: > "$RUN/logs/spire-agent-b$i-x_spire-system_spire-agent-$hex.log"
done
head -n "$FOLLOW_LINES" "$DOCKER_LOG" > "$RUN/slice"
want_f=$("$FLOOR" "$RUN/slice" | cut -d' ' -f4)
shipper_conf "$RUN/out.ndjson" "$RUN/logs" > "$RUN/c.conf"
/usr/bin/time -f '%U %S %e %M' -o "$RUN/t" "$SHIPPER" -c "$RUN/c.conf" \
    > /dev/null 2> "$RUN/err" &
tp=$!
sleep 3	# started, every file watched
if want 5; then
	spid=$(pgrep -P $tp)
	cpu=$($PYTHON3 "$B/follow.py" idle --pid "$spid" --seconds "$IDLE" |
	    cut -d' ' -f2)
	printf '5\tspire-shipper\t%s\t%s\t\t0\t0\tcpu_per_min %s\n' "$cpu" "$IDLE" \
	    "$(echo "scale=4; $cpu * 60 / $IDLE" | bc)" >> "$RAW"
fi
if want 4; then
	spid=$(pgrep -P $tp)
	c0=$($PYTHON3 "$B/follow.py" idle --pid "$spid" --seconds 0 | cut -d' ' -f2)
	lat=$($PYTHON3 "$B/follow.py" append --src "$RUN/slice" --dir "$RUN/logs" \
	    --files 100 --lines "$FOLLOW_LINES" --out "$RUN/out.ndjson" \
	    --expect "$want_f") || die "scenario 4: $lat"
	c1=$($PYTHON3 "$B/follow.py" idle --pid "$spid" --seconds 0 | cut -d' ' -f2)
	check_count "scenario 4 spire-shipper" "$(nlines "$RUN/out.ndjson")" "$want_f"
fi
kill -TERM "$spid" 2> /dev/null || true
wait $tp || true
if want 4; then
	read -r u s e m < "$RUN/t"
	printf '4\tspire-shipper\t%s\t\t%s\t%s\t%s\t%s\n' \
	    "$(echo "$c1 - $c0" | bc)" "$m" "$FOLLOW_LINES" \
	    "$(wc -c < "$RUN/slice")" "$lat" >> "$RAW"
fi
