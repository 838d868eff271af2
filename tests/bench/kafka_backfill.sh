#!/bin/sh
# kafka_backfill.sh [LINES [RUNS]] — `make bench-kafka`: messages/s that
# a backfill produces into librdkafka's mock cluster (tests/kafka_mock,
# 3 brokers, 6 partitions), with the configuration kafka.sh uses (the
# shipped pipeline, a kafka2 match, a file buffer). One generated corpus
# of LINES logical lines (200000), RUNS runs (3), each into a fresh
# cluster and buffer; prints each run and the median: the shipper's wall
# time from start to every message acknowledged, its CPU time (user +
# system), and messages per wall second and per CPU second. Each run
# must deliver exactly the corpus's WARN/ERROR and audit records.
# Timings are never test assertions.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SHIPPER:=$top_builddir/spire-shipper}"
: "${PYTHON3:=python3}"
LINES=${1:-200000}
RUNS=${2:-3}
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

[ -x "$MOCK" ] || { echo "bench-kafka: build tests/kafka_mock first" \
    "(make tests/kafka_mock)" >&2; exit 1; }
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 11 --files 8 --format mixed --inner mixed \
    --lines "$LINES" --gzip
want=$(kept_count "$C")
kafka_conf "$WORK/kafka.conf"
echo "# $LINES lines, $want messages to produce, $RUNS runs"
echo "run wall_s cpu_s msgs_per_s msgs_per_cpu_s"
i=0
while [ $i -lt "$RUNS" ]; do
	i=$((i + 1))
	mock_start "run$i"
	state_use "run$i"
	/usr/bin/time -f '%e %U %S' -o "$WORK/run$i.time" "$SHIPPER" \
	    -c "$WORK/kafka.conf" --backfill "$C" --no-progress \
	    > /dev/null 2> "$WORK/run$i.err" ||
	    { echo "bench-kafka: run $i failed:" >&2; tail -5 "$WORK/run$i.err" >&2; exit 1; }
	consumed_wait 30 "$want"
	got=$(consumed)
	mock_stop
	[ "$got" -eq "$want" ] ||
	    { echo "bench-kafka: run $i: $got messages consumed, want $want" >&2; exit 1; }
	read -r wall user sys < "$WORK/run$i.time"
	echo "$i $wall $(echo "$user + $sys" | bc) $want" | awk \
	    '{ printf "%d %.2f %.2f %.0f %.0f\n", $1, $2, $3, $4 / $2, $4 / $3 }'
done | tee "$WORK/runs"
"$PYTHON3" - "$WORK/runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l[0].isdigit()]
med = lambda i: statistics.median(float(r[i]) for r in rows)
print("median of %d: %.2f s wall, %.2f CPU-s, %.0f messages/s, "
      "%.0f messages per CPU-s" % (len(rows), med(1), med(2), med(3), med(4)))
PY
