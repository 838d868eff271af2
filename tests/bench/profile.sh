#!/bin/sh
# profile.sh — `make bench-profile`: where scenario 1's time goes, as
# callgrind instruction counts (repeatable on a noisy machine, unlike
# timings) over the first BENCH_PROFILE_LINES (100000) lines of the bench
# corpus. Writes BENCH_DIR/profile.txt, which report.py appends to
# RESULTS.md, and prints it.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SHIPPER=${SHIPPER:-$top_builddir/spire-shipper}
BENCH_DIR=${BENCH_DIR:-$top_builddir/tests/bench/work}
N=${BENCH_PROFILE_LINES:-100000}
P=$BENCH_DIR/profile
command -v valgrind > /dev/null || { echo "profile.sh: needs valgrind" >&2; exit 1; }
[ -f "$BENCH_DIR/docker/manifest.json" ] ||
	{ echo "profile.sh: no corpus: run make bench first" >&2; exit 1; }
rm -rf "$P"; mkdir -p "$P/logs"
head -n "$N" "$BENCH_DIR"/docker/*.log > "$P/logs/spire-server-0_spire-system_spire-server-$(printf '%064d' 0).log"
sed -e "s|path /var/log/spire-shipper/spire-security.ndjson|path $P/out.ndjson|" \
    -e 's|keep_audit true|keep_audit false|' \
    "$top_srcdir/templates/spire-shipper.conf" > "$P/c.conf"
# The regex JIT as natively (shipper/regex.c uses PCRE2's interpreter
# under valgrind, for memcheck's sake).
SPIRE_SHIPPER_JIT_UNDER_VALGRIND=1 \
valgrind --tool=callgrind --callgrind-out-file="$P/callgrind.out" \
    "$SHIPPER" -c "$P/c.conf" --backfill "$P/logs" --no-progress \
    > /dev/null 2> "$P/valgrind.log"
total=$(sed -n 's/^summary: //p' "$P/callgrind.out")
{
	echo "## Where the time goes (scenario 1, callgrind)"
	echo
	echo "\`make bench-profile\`: valgrind --tool=callgrind over the first $N"
	echo "lines: $total instructions, $((total / N)) per line. Self cost of the"
	echo "top functions (inclusive in the second list):"
	echo
	echo '```'
	callgrind_annotate "$P/callgrind.out" 2> /dev/null |
	    sed -n '/^ *Ir /,$p' | sed -n '3,22p' | sed 's|/[^ ]*/||'
	echo '```'
	echo
	echo '```'
	callgrind_annotate --inclusive=yes "$P/callgrind.out" 2> /dev/null |
	    sed -n '/^ *Ir /,$p' | sed -n '3,22p' | sed 's|/[^ ]*/||'
	echo '```'
} > "$BENCH_DIR/profile.txt"
cat "$BENCH_DIR/profile.txt"
