#!/bin/sh
# follow_rss.sh — `make bench-follow-rss`: is the shipper's resident
# memory flat while it follows a node for a long time? BENCH_FOLLOW_SECONDS
# (600) of appends, BENCH_FOLLOW_RATE (2000) lines a second spread over
# BENCH_FOLLOW_FILES (100) CRI container logs that the generator rotates
# the kubelet's way (renamed, a new file) every BENCH_FOLLOW_ROTATE (1000)
# lines each; VmRSS sampled every BENCH_FOLLOW_INTERVAL (5) s, the first
# BENCH_FOLLOW_WARMUP (60) s left out of the min/max. Writes
# tests/bench/follow-rss.md (report.py appends it to RESULTS.md) and the
# samples to BENCH_DIR/follow-rss.tsv.
#
# Not part of `make check`, and the memory figures are not asserted; what
# is asserted is that every warning/error record appended came out.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SHIPPER=${SHIPPER:-$top_builddir/spire-shipper}
PYTHON3=${PYTHON3:-python3}
SECONDS_=${BENCH_FOLLOW_SECONDS:-600}
RATE=${BENCH_FOLLOW_RATE:-2000}
FILES=${BENCH_FOLLOW_FILES:-100}
ROTATE=${BENCH_FOLLOW_ROTATE:-1000}
INTERVAL=${BENCH_FOLLOW_INTERVAL:-5}
WARMUP=${BENCH_FOLLOW_WARMUP:-60}
BENCH_DIR=${BENCH_DIR:-$top_builddir/tests/bench/work}
OUT_MD=${FOLLOW_RSS_RESULTS:-$top_srcdir/tests/bench/follow-rss.md}
B=$top_srcdir/tests/bench
RUN=$BENCH_DIR/follow-rss
. "$B/common.sh"

[ -x "$SHIPPER" ] || die "no $SHIPPER: run make first"
rm -rf "$RUN"; mkdir -p "$RUN/logs"
shipper_conf "$RUN/out.ndjson" "$RUN/logs" > "$RUN/c.conf"
"$SHIPPER" -c "$RUN/c.conf" > /dev/null 2> "$RUN/err" &
spid=$!
trap 'kill -TERM $spid 2> /dev/null || true' EXIT
sleep 2
kill -0 $spid 2> /dev/null || die "spire-shipper did not start: $(tail -3 "$RUN/err")"
echo "follow_rss.sh: ${SECONDS_} s of $RATE lines/s over $FILES files"
$PYTHON3 "$top_srcdir/tests/gen/spire_loggen.py" --out "$RUN/logs" --seed 7 \
    --files "$FILES" --format cri --inner json --bad-rate 0 --follow \
    --rate "$RATE" --duration "$SECONDS_" --rotate-every "$ROTATE" \
    --rotate-mode rename --rotate-naming kubelet --quiet &
gpid=$!
$PYTHON3 "$B/follow.py" rss --pid $spid --seconds "$SECONDS_" \
    --interval "$INTERVAL" --warmup "$WARMUP" \
    --series "$BENCH_DIR/follow-rss.tsv" > "$RUN/summary"
wait $gpid || die "the generator failed"
want=$(mjson "$RUN/logs/manifest.json" warn_error_records)
lines=$(mjson "$RUN/logs/manifest.json" logical_lines)
rotations=$($PYTHON3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rotations"]))' "$RUN/logs/manifest.json")
n=0
while [ "$(nlines "$RUN/out.ndjson")" -lt "$want" ] && [ $n -lt 1200 ]; do
	sleep 0.1; n=$((n + 1))
done
check_count "follow-rss spire-shipper" "$(nlines "$RUN/out.ndjson")" "$want"
kill -TERM $spid; wait $spid || true
trap - EXIT

set -- $(cat "$RUN/summary")	# samples N min_kb A max_kb B delta_kb C ...
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }
# Before the redirection below, which would make the tree look changed.
rev=$(git -C "$top_srcdir" describe --always --dirty 2> /dev/null || echo ?)
{
	echo "## Follow-mode RSS (make bench-follow-rss)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $($SHIPPER --version) ($rev):"
	echo "$SECONDS_ s of appends at $RATE lines/s over $FILES CRI files" \
	    "(the DESIGN pipeline with the spire filter, \`@type file\`), each"
	echo "file rotated the kubelet's way every $ROTATE lines: $lines lines," \
	    "$rotations rotations, $want records out, all of them."
	echo "VmRSS every $INTERVAL s after a ${WARMUP}-s warm-up ($2 samples):" \
	    "min $(mib "$4") MiB, max $(mib "$6") MiB,"
	echo "delta $(mib "$8") MiB (first $(mib "${10}"), last $(mib "${12}"));" \
	    "the shipper's CPU over those samples: ${14} s."
	echo "Samples (MiB, one a minute):"
	echo
	echo "    $(awk -v s="$INTERVAL" 'NR > 1 && int($1) % 60 < s { printf "%.2f ", $2 / 1024 }' \
	    "$BENCH_DIR/follow-rss.tsv")"
} > "$OUT_MD"
cat "$OUT_MD"
