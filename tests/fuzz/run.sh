#!/bin/sh
# run.sh SECONDS JOBS TARGET... — runs each libFuzzer target for SECONDS,
# JOBS of them at a time, from its seeds (tests/fuzz/corpus/NAME, replayed
# first, so a committed reproducer is a regression test) into a working
# corpus (tests/fuzz/work/NAME). Prints cov, ft and exec/s per target; a
# target that fails has its report, its reproducer (tests/fuzz/crashes/)
# and the command to replay it printed, and the run exits 1.
# Called by `make fuzz` with top_srcdir and top_builddir set.
set -u
secs=$1 jobs=$2
shift 2
src=${top_srcdir:-.}/tests/fuzz
out=${top_builddir:-.}/tests/fuzz
# Stack traces with names and lines (Debian's llvm-14 has the symbolizer).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] &&
    [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
	export ASAN_SYMBOLIZER_PATH
fi

# Per target: the longest input (-max_len) and its dictionary. Lines and
# records are a few KiB; configurations and API answers more.
opts() {
	case $1 in
	fuzz_time)	echo "-max_len=256 -dict=$src/dict/time.dict" ;;
	fuzz_cri)	echo "-max_len=4096 -dict=$src/dict/time.dict" ;;
	fuzz_logfmt)	echo "-max_len=4096 -dict=$src/dict/logfmt.dict" ;;
	fuzz_posfile)	echo "-max_len=4096" ;;
	fuzz_chunk)	echo "-max_len=8192" ;;
	fuzz_regex)	echo "-max_len=1024" ;;
	fuzz_config)	echo "-max_len=16384 -dict=$src/dict/config.dict" ;;
	fuzz_es_bulk|fuzz_kube)
			echo "-max_len=16384 -dict=$src/dict/json.dict" ;;
	*)		echo "-max_len=4096 -dict=$src/dict/json.dict" ;;
	esac
}

run_one() {	# run_one BINARY: one target, its log and status in logs/
	name=$(basename "$1")
	seeds=$src/corpus/${name#fuzz_}
	mkdir -p "$out/work/$name" "$out/crashes" "$out/logs"
	# shellcheck disable=SC2046 # opts is words on purpose
	"$1" $(opts "$name") -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/$name-" \
	    "$out/work/$name" "$seeds" > "$out/logs/$name.log" 2>&1
	echo $? > "$out/logs/$name.rc"
}

lane() {	# lane K: the targets whose index is K modulo jobs, in turn
	k=$1 i=0
	shift
	for t in "$@"; do
		[ $((i % jobs)) -eq "$k" ] && run_one "$t"
		i=$((i + 1))
	done
}

for t in "$@"; do
	rm -f "$out/logs/$(basename "$t").rc"
	[ -x "$t" ] ||
	    { echo "run.sh: $t is not built (make fuzz-build)" >&2; exit 1; }
done
k=0
while [ "$k" -lt "$jobs" ]; do
	lane "$k" "$@" &
	k=$((k + 1))
done
wait

failed=0
for t in "$@"; do
	name=$(basename "$t")
	log=$out/logs/$name.log
	rc=$(cat "$out/logs/$name.rc" 2>/dev/null || echo 1)
	# "#N DONE cov: C ft: F corp: ... exec/s: E rss: RMb"
	stats=$(awk '$2 == "DONE" { for (i = 3; i < NF; i++) v[$i] = $(i + 1)
	    s = substr($1, 2) " runs, cov " v["cov:"] ", ft " v["ft:"] ", " \
	    v["exec/s:"] " exec/s, rss " v["rss:"] } END { print s }' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "$name: ${stats:-no stats (see $log)}"
		continue
	fi
	failed=1
	echo "$name: FAILED (exit $rc), log $log"
	# The finding: a broken invariant, a sanitizer's report (its first
	# frames), or libFuzzer's own (timeout, out of memory).
	grep -m 3 'invariant broken\|runtime error' "$log"
	sed -n '/^==[0-9]*== *ERROR/,/^SUMMARY/p' "$log" |
	    grep -v '^ *#[2-9][0-9]' | head -40
	for a in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
		echo "reproducer $a ($(wc -c < "$a") bytes):"
		od -A d -c "$a" | head -12
		echo "replay: $t $a"
	done
done
exit $failed
