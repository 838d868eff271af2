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

fuzz() {	# make fuzz: each libFuzzer target 60 s, two at a time
	if ! grep -q '^HAVE_FUZZ = yes' Makefile; then
		# deps.sh installs clang on Debian: missing there is a failure.
		command -v dpkg > /dev/null 2>&1 && {
			echo "fuzz: configure found no clang with libFuzzer" \
			    "although deps.sh installs clang-14" \
			    "libclang-rt-14-dev"
			return 1
		}
		echo "fuzz: SKIPPED: no clang with libFuzzer on this system"
		return 0
	fi
	make -j"$jobs" fuzz FUZZ_TIME=60 FUZZ_JOBS=2
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
