#!/bin/sh
# valgrind-check.sh — the integration tests again, every spire-shipper
# they start under valgrind memcheck (tests/valgrind-shipper.sh): a test
# passes when its TAP does and no shipper process reported an error or a
# definitely lost block. Run from a configured and built tree (check-all's
# _build/plain). Results go to valgrind/ there: NAME.log (the TAP),
# NAME.trs (its cases, and one more for memcheck, in automake's format so
# that check-all.sh counts them), NAME.vg/ (a log per process) and
# summary.txt: per test its wall time, processes, errors, bytes
# definitely lost.
#
# VALGRIND_TESTS: the tests (names without .sh) to run instead of the
# default list below.
set -u
top_builddir=$(pwd)
top_srcdir=$(sed -n 's/^abs_top_srcdir = //p' Makefile)
[ -n "$top_srcdir" ] || { echo "valgrind-check.sh: run it in a configured build directory" >&2; exit 2; }
command -v valgrind > /dev/null 2>&1 || {
	echo "valgrind-check.sh: valgrind is not installed (Debian: apt-get install valgrind; tests/deps.sh does)" >&2
	exit 1
}
# The integration tests but these, so that the step stays within about
# 10 minutes on 2 cores and fails only for what memcheck finds:
# - es_emulator.sh starts no shipper;
# - follow.sh starts its generator as it starts the shipper, counting on
#   the shipper to be up before the first rotation (about 1.5 s); under
#   memcheck start-up takes longer and the first files rotate away
#   unseen (a start delayed 1.8 s without valgrind does the same): its
#   timing, not the shipper's fault;
# - kubernetes.sh wants every record with its metadata while a record
#   waits 250 ms at most for it, less than a TLS handshake under
#   memcheck; tls.sh, security.sh, limits.sh and fluentd_daemonset.sh
#   run the filter and its API client under memcheck instead;
# - kafka.sh kills the shipper every 2.5 s while its files rotate, about
#   the time a start takes under memcheck: once in two runs the records
#   of a file that rotated before any run had synced its position were
#   never read (the kill -9 cases of elasticsearch.sh do run here).
#   tls.sh, security.sh, health.sh and fluentd_daemonset.sh run the
#   kafka2 output under memcheck, and VALGRIND_TESTS=kafka runs this one;
# - faults.sh measures the shipper's peak RSS and descriptors and runs it
#   as nobody (under memcheck those are valgrind's), and faults_buffer.sh
#   gives a restart 60 s to drain a load a native shipper drains in a
#   few: 6.5 minutes together, failing on those measures, not on errors;
# - flapping.sh, crashloop.sh and brokers.sh are minutes of timed
#   outages and kill -9s each, mostly waiting.
: "${VALGRIND_TESTS:=cli dryrun backfill elasticsearch metrics deploy tls security limits multiline routing health fluentd_daemonset}"
out=$top_builddir/valgrind
rm -rf "$out"
mkdir -p "$out"
make -s spire-shipper tests/kafka_mock > /dev/null || exit 1
PYTHON3=$(sed -n 's/^PYTHON3 = //p' Makefile)
export top_srcdir top_builddir PYTHON3
SHIPPER_BINARY=$top_builddir/spire-shipper
SHIPPER_WRAPPER=$top_srcdir/tests/valgrind-shipper.sh
SHIPPER=$SHIPPER_WRAPPER
export SHIPPER_BINARY SHIPPER_WRAPPER SHIPPER

# memcheck DIR — "PROCESSES ERRORS DEFINITELY-LOST-BYTES UNFINISHED" over
# the logs of DIR (UNFINISHED: killed, e.g. by a test's kill -9, before
# valgrind could report).
memcheck() {
	_p=0 _e=0 _l=0 _u=0
	for _f in "$1"/*.log; do
		[ -f "$_f" ] || continue
		_p=$((_p + 1))
		if grep -q 'ERROR SUMMARY:' "$_f"; then
			_e=$((_e + $(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$_f" | tail -1)))
		else
			_u=$((_u + 1))
		fi
		_b=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$_f" | tr -d , | tail -1)
		_l=$((_l + ${_b:-0}))
	done
	echo "$_p $_e $_l $_u"
}

failed=0
printf '%-20s %8s %6s %7s %14s %11s %s\n' test seconds procs errors "definitely lost" unfinished result \
    > "$out/summary.txt"
for t in $VALGRIND_TESTS; do
	vg=$out/$t.vg
	mkdir -p "$vg"
	start=$(date +%s)
	VALGRIND_LOG_DIR=$vg sh "$top_srcdir/tests/integration/$t.sh" \
	    > "$out/$t.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	set -- $(memcheck "$vg")
	procs=$1 errors=$2 lost=$3 unfinished=$4
	awk '/^ok /{ print ":test-result: " ($0 ~ /# SKIP/ ? "SKIP" : "PASS") }
	    /^not ok /{ print ":test-result: FAIL" }' "$out/$t.log" > "$out/$t.trs"
	ok=1
	[ "$rc" -eq 0 ] && ! grep -q '^not ok' "$out/$t.log" || ok=0
	if [ "$errors" -eq 0 ] && [ "$lost" -eq 0 ]; then
		echo ":test-result: PASS" >> "$out/$t.trs"
	else
		echo ":test-result: FAIL" >> "$out/$t.trs"
		ok=0
	fi
	result=PASS
	[ $ok -eq 1 ] || { result=FAIL; failed=$((failed + 1)); }
	printf '%-20s %8d %6d %7d %14d %11d %s\n' "$t" "$secs" "$procs" \
	    "$errors" "$lost" "$unfinished" "$result" >> "$out/summary.txt"
	echo "valgrind: $t: $result (${secs}s, $procs processes, $errors errors, $lost bytes definitely lost)"
	if [ "$result" = FAIL ]; then
		grep '^not ok' "$out/$t.log" | head -5
		grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]' "$vg"/*.log 2> /dev/null |
		    head -3 | sed 's/^/  see /'
	fi
done
cat "$out/summary.txt"
[ "$failed" -eq 0 ]
