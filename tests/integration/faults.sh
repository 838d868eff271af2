#!/bin/sh
# faults.sh — what a node's input can throw at the tail source while it
# follows: NUL bytes, invalid UTF-8 and JSON nested 10,000 deep; lines of
# 100 MB; 10,000 files, and more files than file descriptors; a file it
# may not read; a damaged pos file. Nothing crashes or stops, memory stays
# bounded, and every line is accounted for: read, delivered, and counted
# by kind when bad, exactly. (The buffer's faults: faults_buffer.sh.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/faults/helpers.sh"

# --- hostile lines ----------------------------------------------------------
fi_case hostile
$LINES hostile "$D/logs"
fi_conf "$D/logs/*.log"
fi_start
n=$(json_get "$D/logs/expected.json" lines)
wait_metric 30 spire_shipper_records_delivered_total "$n"
tap_is "$(metric spire_shipper_input_lines_total type=tail)" "$n" \
    "hostile: every line is read"
tap_is "$(metric spire_shipper_records_delivered_total)" "$n" \
    "hostile: every line is delivered, as a record"
bad=0
for kind in embedded_nul invalid_utf8 foreign_text deep_nesting envelope; do
	want=$(json_get "$D/logs/expected.json" "kinds.$kind")
	bad=$((bad + want))
	tap_is "$(metric spire_shipper_parse_errors_total kind=$kind)" "$want" \
	    "hostile: $kind lines counted as such"
done
tap_is "$(metric spire_shipper_parse_errors_total)" "$bad" \
    "hostile: no other line counted bad"
rss=$(peak_rss_mb "$SP")
fi_stop
tap_is "$FI_RC" 0 "hostile: the shipper stops with 0"
tap_is "$($LINES valid "$D/out.ndjson")" "$n" \
    "hostile: the output is valid JSON in valid UTF-8"
tap_rss "$rss" 64 "hostile: JSON nested 10,000 deep is cut short (peak RSS $rss MiB)"

# --- lines of 100 MB ----------------------------------------------------------
fi_case huge
$LINES huge "$D/logs" 100
fi_conf "$D/logs/*.log"
fi_start
wait_metric 60 spire_shipper_records_delivered_total 9
tap_is "$(metric spire_shipper_input_lines_total type=tail)" 9 \
    "100 MB lines: each is one line, between the others"
phys=$(cat "$D/logs/"*.log | wc -l)
tap_is "$(metric spire_shipper_physical_lines_total)" "$phys" \
    "100 MB lines: every physical line read ($phys)"
tap_is "$(metric spire_shipper_partial_lines_total)" "$((phys - 9))" \
    "100 MB lines: the 16 KiB partials are joined"
tap_is "$(metric spire_shipper_truncated_lines_total)" 3 \
    "100 MB lines: the three are cut and counted truncated"
tap_is "$(metric spire_shipper_parse_errors_total kind=oversized)" 3 \
    "100 MB lines: and counted oversized"
rss=$(peak_rss_mb "$SP")
fi_stop
tap_is "$FI_RC" 0 "100 MB lines: the shipper stops with 0"
tap_rss "$rss" 64 "100 MB lines: never held whole (peak RSS $rss MiB)"
for w in cri docker split; do
	tap_is "$(grep -c "\"msg\":\"before $w\"" "$D/out.ndjson")$(grep -c \
	    "\"msg\":\"after $w\"" "$D/out.ndjson")" 11 \
	    "100 MB lines: the lines around the $w one arrive whole"
done
big=$(awk 'length($0) > m { m = length($0) } END { print m }' "$D/out.ndjson")
tap_le "$big" 1100000 "100 MB lines: records are cut at max_line_size (1M)"

# --- 10,000 files -------------------------------------------------------------
# With the common soft limit of 1024 descriptors: the shipper raises it.
fi_case many
$LINES many "$D/logs" 10000 5 > /dev/null
fi_conf "$D/logs/*.log"
fi_start sh -c 'ulimit -Hn 16384 2>/dev/null; ulimit -Sn 1024 && exec "$@"' sh
wait_metric 120 spire_shipper_records_delivered_total 50000
tap_is "$(metric spire_shipper_files_watched)" 10000 \
    "10,000 files: all followed, with a soft limit of 1024 descriptors"
rss=$(peak_rss_mb "$SP")
fi_stop
tap_is "$FI_RC" 0 "10,000 files: the shipper stops with 0"
$LINES want 10000 5 > "$D/want"
$LINES compare "$D/out.ndjson" "$D/want" > "$D/compare"
tap_ok $? "10,000 files: every line exactly once"
if grep -Eq '\[(warn|error)\]' "$D/shipper.log"; then r=1; else r=0; fi
tap_ok $r "10,000 files: nothing to warn about"
tap_rss "$rss" 160 "10,000 files: memory grows by the file, boundedly (peak RSS $rss MiB)"
tap_diag "10,000 files: stopped in $FI_STOP_MS ms"

# --- more files than descriptors ------------------------------------------
# A hard limit of 512: the tail keeps min(256, limit/4) for the outputs and
# listeners, follows the rest, and says so once.
fi_case fdlimit
$LINES many "$D/logs" 1000 2 > /dev/null
fi_conf "$D/logs/*.log"
fi_start sh -c 'ulimit -n 512 && exec "$@"' sh
open=$((512 - 512 / 4))
wait_metric 30 spire_shipper_records_delivered_total $((open * 2))
tap_is "$(metric spire_shipper_files_watched)" "$open" \
    "fd limit: as many files followed as the limit allows, less a reserve"
sleep 2.5	# rescans, once a second
tap_is "$(grep -c 'are not followed until some close' "$D/shipper.log")" 1 \
    "fd limit: said once, not per file and rescan"
tap_grep "open file limit \(512\).*$((1000 - open)) more.*raise the limit" \
    "$D/shipper.log" "fd limit: saying how many wait and what to raise"
fi_stop
tap_is "$FI_RC" 0 "fd limit: the listener and outputs kept their descriptors, stops with 0"
$LINES want 1000 2 > "$D/want"
$LINES compare "$D/out.ndjson" "$D/want" --whole-files 2 > "$D/compare"
tap_ok $? "fd limit: each file followed is delivered whole, once"

# --- a file it may not read -------------------------------------------------
# Root reads anything: the shipper runs as nobody, as a DaemonSet should.
fi_case eacces
$LINES many "$D/logs" 3 10 > /dev/null
locked="$D/logs/$(ls "$D/logs" | sed -n 2p)"
chmod 000 "$locked"
as=""
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$WORK"
	chown -R nobody "$D"
	as="setpriv --reuid=$(id -u nobody) --regid=$(id -g nobody) --clear-groups"
fi
fi_conf "$D/logs/*.log"
fi_start $as
wait_metric 20 spire_shipper_records_delivered_total 20
tap_is "$(awk '/^Uid:/ { print ($2 == 0) }' "/proc/$SP/status")" 0 \
    "unreadable: the shipper does not run as root"
tap_grep "cannot open $locked: Permission denied" "$D/shipper.log" \
    "unreadable: the file is named, with the reason"
n=$(metric spire_shipper_read_errors_total)
[ "${n:-0}" -ge 1 ]
tap_ok $? "unreadable: counted as a read error ($n)"
tap_is "$(metric spire_shipper_records_delivered_total)" 20 \
    "unreadable: the other files are delivered"
chmod 644 "$locked"
wait_metric 20 spire_shipper_records_delivered_total 30
fi_stop
tap_is "$FI_RC" 0 "unreadable: stops with 0"
$LINES want 3 10 > "$D/want"
$LINES compare "$D/out.ndjson" "$D/want" > "$D/compare"
tap_ok $? "unreadable: once readable, it is read; every line once"

# --- a damaged pos file -------------------------------------------------------
# Without read_from_head a file with no position is read from its end: a
# damaged line must not make its file one.
fi_case posfile
fi_conf "$D/logs/*.log"
sed -i 's/read_from_head true/read_from_head false/' "$D/shipper.conf"
fi_start
$LINES many "$D/logs" 4 100 > /dev/null
wait_metric 20 spire_shipper_records_delivered_total 400
fi_stop
$LINES many "$D/logs" 4 50 100 > /dev/null
hit=$($LINES posdamage "$D/pos")
cp "$D/pos" "$D/pos.damaged"
fi_start
wait_metric 20 spire_shipper_records_delivered_total 400
fi_stop
tap_is "$FI_RC" 0 "pos file: the shipper starts and stops with 0"
tap_grep "pos file $D/pos: 3 damaged lines .* kept as $D/pos.corrupt" \
    "$D/shipper.log" "pos file: the damage is reported, with where it is kept"
cmp -s "$D/pos.damaged" "$D/pos.corrupt"
tap_ok $? "pos file: the damaged file is kept as it was"
{
	$LINES want 4 100
	$LINES want 4 50 100
	$LINES want 4 100 0 1 $hit
} > "$D/want"
$LINES compare "$D/out.ndjson" "$D/want" > "$D/compare"
tap_ok $? "pos file: intact entries resume; damaged ones are read from the start, nothing lost"
sed 's/^/# /' "$D/compare" | head -2

tap_done
