#!/bin/sh
# check-all.sh — README command (2): installs what is missing, builds,
# and runs the whole test suite: unit and integration tests, make
# distcheck, the fuzz targets (60 s each), the integration tests under
# valgrind, then the suite again built with ASan and UBSan. Ends with
# the line "N passed, N failed" (a test case each, from the TAP output).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
failed_steps=

step() {	# step NAME COMMAND...: runs it, logs it, remembers a failure
	name=$1; shift
	echo "== $name"
	if ! "$@"; then
		echo "== $name: FAILED"
		failed_steps="$failed_steps $name"
	fi
}

# missing VAR WHAT PKGS — true when configure did not find WHAT (VAR in
# the Makefile is not yes), and says so: on Debian, where deps.sh
# installs PKGS, the step fails (missing_fails=1); elsewhere it is
# skipped.
missing() {
	grep -q "^$1 = yes" Makefile && return 1
	missing_fails=0
	if command -v dpkg > /dev/null 2>&1; then
		echo "$2: configure found none although deps.sh installs $3"
		missing_fails=1
	else
		echo "$2: SKIPPED: none on this system"
	fi
	return 0
}

fuzz() {	# make fuzz: each libFuzzer target 60 s, two at a time
	missing HAVE_FUZZ "fuzz: clang with libFuzzer" \
	    "clang-14 libclang-rt-14-dev" && return $missing_fails
	make -j"$jobs" fuzz FUZZ_TIME=60 FUZZ_JOBS=2
}

kafka_mock() {	# without it kafka.sh and brokers.sh would only skip
	missing HAVE_KAFKA_MOCK "kafka mock: librdkafka's mock cluster" \
	    "librdkafka-dev (rdkafka_mock.h; see config.log)" &&
	    return $missing_fails
	return 0
}

count() {	# count RESULT DIR...: test cases with that result
	find "$@" -name '*.trs' -exec grep -h "^:test-result: $1" {} + 2>/dev/null |
	    wc -l
}

sh "$top/tests/deps.sh" || exit 1
cd "$top"
autoreconf -fi || exit 1
rm -rf _build/plain _build/asan
mkdir -p _build/plain _build/asan

cd "$top/_build/plain"
step configure ../../configure -q
step kafka-mock kafka_mock
step build make -j"$jobs"
step check make -j"$jobs" check
step distcheck make -j"$jobs" distcheck
step fuzz fuzz

# The integration tests once more with every shipper under valgrind
# memcheck: 0 errors, 0 bytes definitely lost (tests/valgrind-check.sh;
# its cases land in _build/plain/valgrind/*.trs and count with plain's).
step valgrind sh "$top/tests/valgrind-check.sh"

cd "$top/_build/asan"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
step configure-asan ../../configure -q --enable-sanitizers
step build-asan make -j"$jobs"
step check-asan make -j"$jobs" check

cd "$top/_build"
for f in plain/test-suite.log asan/test-suite.log; do
	[ -f "$f" ] && grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$f" &&
	    sed -n '/^FAIL\|^ERROR\|^not ok/p' "$f" | head -40
done
pass=$(count PASS plain asan)
fail=$(( $(count FAIL plain asan) + $(count ERROR plain asan) + \
    $(count XPASS plain asan) ))
# distcheck is a case of its own. A step that failed without a failed
# test case (a build that broke) makes the run fail all the same.
case " $failed_steps " in
*" distcheck "*) fail=$((fail + 1)) ;;
*) pass=$((pass + 1)) ;;
esac
[ -n "$failed_steps" ] && [ "$fail" -eq 0 ] && fail=1
[ -n "$failed_steps" ] && echo "failed steps:$failed_steps"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$failed_steps" ]
