#!/bin/sh
# soak.sh — `make soak`: the shipped Elasticsearch configuration follows
# 50 files written at 5,000 lines/s for 10 minutes, rotating, through
# four Elasticsearch outage windows (one long enough to fill the buffer,
# so that the tail stops reading until it drains). After a warm-up the
# shipper's resident memory (/proc/PID/status VmRSS) and open file
# descriptors (/proc/PID/fd) are sampled every few seconds.
#
# Asserted: nothing lost or doubled (the emulator against the manifest),
# VmRSS flat within 1 MiB, no descriptor left behind (the count once all
# is read equals the count after the warm-up, when the same live files
# were open). Not part of `make check`; timings are reported, never
# asserted. A report goes to stdout and to soak-report.txt.
#
# Environment: SOAK_SECONDS (600), SOAK_RATE (5000 lines/s), SOAK_FILES
# (50), SOAK_WARMUP (60 s), SOAK_SAMPLE (5 s), SOAK_REPORT (the report).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

SECONDS_=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-5000}
FILES=${SOAK_FILES:-50}
WARMUP=${SOAK_WARMUP:-60}
SAMPLE=${SOAK_SAMPLE:-5}
REPORT=${SOAK_REPORT:-$top_builddir/soak-report.txt}
# Every file rotates after 3,000 lines: at 100 lines/s per file, every
# 30 s, so some 1.7 rotations a second over the run.
ROTATE=3000

# The outage windows "START LENGTH", seconds from the start: four, one in
# each quarter of the time after the warm-up; the second, twice as long,
# outlasts the 16 MB buffer (the shipped queue_limit_length 8 x 2M).
period=$(( (SECONDS_ - WARMUP) / 4 ))
outages=$(awk -v w="$WARMUP" -v p="$period" 'BEGIN {
	for (k = 0; k < 4; k++) printf "%d %d\n", w + p / 8 + k * p, k == 1 ? p / 3 : p / 6 }')

CONF="$WORK/es.conf"
es_conf "$CONF"
es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }
state_use soak

# fds — the shipper's open descriptors: on log files, on buffer chunks,
# sockets, briefly open ones (the log directory, read for the siblings
# of a rotated file; the pos files and their fingerprints, rewritten
# through a temporary file now and then), and the others (inotify,
# epoll, signalfd, stdio).
fds() {
	find /proc/$SP/fd -mindepth 1 -printf '%l\n' 2>/dev/null |
	    awk -v logs="$STATE/logs" -v buf="$STATE/state/buffer/" \
		-v st="$STATE/state/" '
		index($0, logs "/") == 1 { l++; next }
		index($0, buf) == 1 { c++; next }
		$0 == logs || index($0, st) == 1 { p++; next }
		/^socket:/ { s++; next }
		{ o++ }
		END { printf "%d\t%d\t%d\t%d\t%d\n", l, c, s, p, o }'
}

# sample — one line of samples.tsv: seconds, VmRSS and RssAnon (KiB),
# the fds, buffer chunk files, ES up (1) or down (0).
sample() {
	_st=/proc/$SP/status
	[ -r "$_st" ] || return 1
	printf '%d\t%d\t%d\t%s\t%d\t%d\n' "$(( $(date +%s) - t0 ))" \
	    "$(awk '/^VmRSS:/ { print $2 }' "$_st")" \
	    "$(awk '/^RssAnon:/ { print $2 }' "$_st")" \
	    "$(fds)" "$(buffer_chunks)" "$es_up" >> "$WORK/samples.tsv"
}

commit=$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null || echo '?')
t0=$(date +%s)
shipper_start
gen_follow --seed 71 --duration "$SECONDS_" --rate "$RATE" --files "$FILES" \
    --format mixed --inner mixed --rotate-every $ROTATE --gzip
tap_diag "soak: ${SECONDS_} s, $RATE lines/s over $FILES files, outages (start, s):" $outages
printf 'seconds\tvmrss_kb\trssanon_kb\tlog_fds\tchunk_fds\tsocket_fds\tbrief_fds\tother_fds\tchunks\tes_up\n' \
    > "$WORK/samples.tsv"
es_up=1 downs=0
echo "$outages" > "$WORK/outages"
while kill -0 "$G" 2>/dev/null; do
	now=$(( $(date +%s) - t0 ))
	want_up=1
	while read -r s l; do
		[ "$now" -ge "$s" ] && [ "$now" -lt $((s + l)) ] && want_up=0
	done < "$WORK/outages"
	if [ $want_up != $es_up ]; then
		if [ $want_up = 0 ]; then
			kill -USR1 "$ES_PID"; downs=$((downs + 1))
		else
			kill -USR2 "$ES_PID"
		fi
		es_up=$want_up
	fi
	[ "$now" -ge "$WARMUP" ] && sample
	sleep "$SAMPLE"
done
[ $es_up = 1 ] || kill -USR2 "$ES_PID"
es_up=1
wait $G
t_gen=$(( $(date +%s) - t0 ))
want=$(kept_count "$STATE/logs")
lines=$(json_get "$STATE/logs/manifest.json" totals.logical_lines)
es_wait_count 300 "$want"
t_all=$(( $(date +%s) - t0 ))
got=$(es_count)
sleep 7			# past rotate_wait: nothing left to read
sample
find /proc/$SP/fd -mindepth 1 -printf '%f %l\n' > "$WORK/fds.end"
tap_is "$got" "$want" "soak: the indices hold the manifest's WARN/ERROR + audit count"
es_exact soak "$STATE/logs"
created=$($ESCTL "$ES_PORT" stats items_by_status.201)
updated=$($ESCTL "$ES_PORT" stats items_by_status.200)
tap_is "$created" "$want" "soak: every document was created once"
tap_is "$downs" 4 "soak: Elasticsearch went down four times"

# The samples after the warm-up; the last one once all is read. Memory
# is flat when the median of the last quarter of the samples is within
# 1 MiB of the first quarter's (a sample taken while a bulk request is
# built holds a chunk twice, mapped and copied into the body, which is
# no growth), and grows by no more than 256 KiB from the third quarter to
# the last (what a leak would show after the longest outage's backlog).
eval "$("$PYTHON3" - "$WORK/samples.tsv" <<'PY'
import statistics, sys
rows = [list(map(int, l.split("\t"))) for l in open(sys.argv[1]).readlines()[1:]]
names = ("t", "rss", "anon", "logfds", "chunkfds", "sockfds", "brieffds", "otherfds",
         "chunks")
q = max(1, len(rows) // 4)
for i, name in enumerate(names[1:], 1):
    v = [r[i] for r in rows]
    print("%s0=%d %s1=%d %smin=%d %smax=%d %sq1=%d %sq3=%d %sq4=%d" % (
        name, v[0], name, v[-1], name, min(v), name, max(v),
        name, statistics.median(v[:q]), name, statistics.median(v[-2 * q - 1:-q - 1] or v),
        name, statistics.median(v[-q - 1:-1] or v)))
    h = len(v) // 2
    print("%sh1=%d %sh2=%d" % (name, max(v[:h] or v), name, max(v[h:])))
print("nsamples=%d" % len(rows))
PY
)"
tap_ok "$(test $((rssq4 - rssq1)) -le 1024 && test $((rssq1 - rssq4)) -le 1024; echo $?)" \
    "soak: VmRSS flat within 1 MiB (median ${rssq1} KiB in the first quarter, ${rssq4} KiB in the last; $nsamples samples)"
tap_ok "$(test $((rssq4 - rssq3)) -le 256; echo $?)" \
    "soak: no growth at the end: VmRSS median ${rssq3} KiB in the third quarter, ${rssq4} KiB in the last"
tap_is "$logfds1" "$FILES" "soak: once all is read, the live files are the only log files open"
tap_is "$otherfdsmin $chunkfdsmax" "$otherfdsmax 1" \
    "soak: other fds constant ($otherfdsmax), at most one chunk file open"
tap_ok "$(test "$sockfdsh2" -le "$sockfdsh1"; echo $?)" \
    "soak: no more sockets in the second half than in the first (at most $sockfdsh2, then $sockfdsh1)"

kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "soak: the shipper stops with 0"
read_lines=$(sed -n 's/.*stopped: \([0-9]*\) lines read.*/\1/p' "$STATE/shipper.log" | tail -1)
rot=$(json_get "$STATE/logs/manifest.json" rotations | grep -o "'file'" | wc -l)
head -1 "$WORK/soak.count" > "$WORK/soak.count.json"
missing=$(json_get "$WORK/soak.count.json" missing 2>/dev/null || echo "?")
dups=$(json_get "$WORK/soak.count.json" duplicates 2>/dev/null || echo "?")

{
	echo "spire-shipper soak, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit"
	echo "  generator:  $lines lines in $t_gen s over $FILES files ($((lines / t_gen)) lines/s; asked $RATE), $rot rotations"
	echo "  shipper:    $read_lines lines read; all $want records indexed $((t_all - t_gen)) s after the generator stopped"
	echo "  records:    $want expected, $got indexed, $created created, $updated replays overwrote; missing $missing, duplicates $dups"
	echo "  outages:    $downs windows (start, length s):" $outages "; buffer chunks at most $chunksmax"
	echo "  VmRSS KiB:  start $rss0, end $rss1, min $rssmin, max $rssmax (spread $((rssmax - rssmin)))"
	echo "  RssAnon KiB: start $anon0, end $anon1, min $anonmin, max $anonmax"
	echo "  VmRSS medians KiB: first quarter $rssq1, third $rssq3, last $rssq4"
	echo "  open fds:   on log files: start $logfds0, end $logfds1, min $logfdsmin, max $logfdsmax; chunks: max $chunkfdsmax; sockets: $sockfdsmin..$sockfdsmax; briefly open (log directory, pos files): $brieffdsmin..$brieffdsmax; others: $otherfdsmin..$otherfdsmax"
	echo "  samples:    $nsamples, every $SAMPLE s after a $WARMUP s warm-up"
} > "$REPORT"
sed 's/^/# /' "$REPORT"
cp "$WORK/samples.tsv" "$REPORT.samples.tsv"

tap_done
