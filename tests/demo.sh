#!/bin/sh
# demo.sh — README command (1): installs what is missing, builds, and
# runs the shipper with its built-in configuration over the bundled
# sample SPIRE logs (Docker and CRI, JSON and text, rotated .gz files,
# some broken lines): the kept security events go to stdout as NDJSON,
# the summary to stderr.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/tests/deps.sh"
cd "$top"
[ -x ./configure ] || autoreconf -fi > /dev/null 2>&1
mkdir -p _build/plain
cd _build/plain
[ -f Makefile ] || ../../configure -q
make -j"$(nproc 2>/dev/null || echo 2)" > /dev/null
exec ./spire-shipper --backfill "$top/tests/sample"
