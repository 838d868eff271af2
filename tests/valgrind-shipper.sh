#!/bin/sh
# valgrind-shipper.sh — spire-shipper under valgrind memcheck, for the
# tests: SHIPPER_WRAPPER=tests/valgrind-shipper.sh makes every test's
# $SHIPPER this script (see TESTS_ENVIRONMENT in Makefile.am, and
# tests/valgrind-check.sh). It execs valgrind, so the pid a test holds,
# the signals it sends and the exit status it reads are the shipper's:
# 99 only when memcheck found an error or a definitely lost block.
#
# SHIPPER_BINARY: the program (default: ../spire-shipper from here);
# VALGRIND_LOG_DIR: one log per process there (%p), else stderr.
here=$(cd "$(dirname "$0")" && pwd)
: "${SHIPPER_BINARY:=$here/../spire-shipper}"
log=
[ -n "${VALGRIND_LOG_DIR:-}" ] && log="--log-file=$VALGRIND_LOG_DIR/%p.log"
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --num-callers=30 --suppressions="$here/valgrind.supp" $log \
    "$SHIPPER_BINARY" "$@"
