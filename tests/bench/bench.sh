#!/bin/sh
# bench.sh — `make bench`: spire-shipper side by side with rsyslog and a
# yajl-only floor on the same 1,000,000-line corpus, each timed as a whole
# process over BENCH_RUNS runs; writes tests/bench/RESULTS.md.
#
# Not part of `make check`: timings are never assertions. What is asserted
# is correctness: every program must deliver exactly the corpus's
# warning/error records, or the run fails.
#
# Environment: BENCH_RUNS (5), BENCH_LINES (1000000), BENCH_DIR (the corpus
# cache, kept between runs: tests/bench/work), BENCH_IDLE_SECONDS (20, per run),
# BENCH_FOLLOW_LINES (200000), BENCH_FLOOR (the floor program),
# BENCH_ONLY (space-separated scenario numbers, default all), RESULTS.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
SHIPPER=${SHIPPER:-$top_builddir/spire-shipper}
FLOOR=${BENCH_FLOOR:-$top_builddir/tests/bench/floor}
PYTHON3=${PYTHON3:-python3}
RUNS=${BENCH_RUNS:-5}
LINES=${BENCH_LINES:-1000000}
IDLE=${BENCH_IDLE_SECONDS:-20}
FOLLOW_LINES=${BENCH_FOLLOW_LINES:-200000}
ONLY=${BENCH_ONLY:-1 2 3 4 5}
BENCH_DIR=${BENCH_DIR:-$top_builddir/tests/bench/work}
RESULTS=${RESULTS:-$top_srcdir/tests/bench/RESULTS.md}
B=$top_srcdir/tests/bench
GEN="$PYTHON3 $top_srcdir/tests/gen/spire_loggen.py"
RAW=$BENCH_DIR/results.tsv
RUN=$BENCH_DIR/run

. "$B/common.sh"
want() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }
now() { $PYTHON3 -c 'import time; print("%.3f" % time.monotonic())'; }

[ -x /usr/bin/time ] || die "needs GNU time (Debian package time)"
[ -x "$SHIPPER" ] || die "no $SHIPPER: run make first"
[ -x "$FLOOR" ] || die "no $FLOOR: run make bench"
# rsyslog is scenario 1's peer: not installed for the others alone.
if want 1 && ! command -v rsyslogd > /dev/null 2>&1 &&
    command -v apt-get > /dev/null; then
	echo "bench.sh: installing rsyslog (the peer)"
	SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends rsyslog time > /dev/null || true
fi
RSYSLOGD=$(command -v rsyslogd || true)

# --- corpus (generated once, kept in BENCH_DIR) ------------------------------
mkdir -p "$BENCH_DIR"
corpus() {	# corpus NAME FORMAT — 1 file, JSON inside, no bad lines
	[ -f "$BENCH_DIR/$1/manifest.json" ] && return 0
	echo "bench.sh: generating the $1 corpus ($LINES lines)"
	rm -rf "$BENCH_DIR/$1"
	$GEN --out "$BENCH_DIR/$1" --seed 1 --lines "$LINES" --files 1 \
	    --format "$2" --inner json --bad-rate 0 --quiet
}
corpus docker docker
corpus cri cri
DOCKER_LOG=$(ls "$BENCH_DIR"/docker/*.log)
if [ ! -f "$BENCH_DIR/gz/done" ]; then
	rm -rf "$BENCH_DIR/gz"; mkdir -p "$BENCH_DIR/gz"
	gzip -6 -c "$DOCKER_LOG" > "$BENCH_DIR/gz/$(basename "$DOCKER_LOG").1.gz"
	touch "$BENCH_DIR/gz/done"
fi
WANT=$(mjson "$BENCH_DIR/docker/manifest.json" warn_error_records)
WANT_CRI=$(mjson "$BENCH_DIR/cri/manifest.json" warn_error_records)
BYTES=$(wc -c < "$DOCKER_LOG")
BYTES_CRI=$(cat "$BENCH_DIR"/cri/*.log | wc -c)
warm() { cat "$@" > /dev/null; }	# the page cache, before every timing

# --- measuring -----------------------------------------------------------------
# record SCEN PROG LINES BYTES TIMEFILE WALL EXTRA — one row of results.tsv
record() {
	read -r u s e m < "$5"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" \
	    "$(echo "$u + $s" | bc)" "${6:-$e}" "$m" "$3" "$4" "${7:-}" >> "$RAW"
}
timed() {	# timed TIMEFILE CMD... — whole-process CPU, wall, peak RSS
	_t=$1; shift
	/usr/bin/time -f '%U %S %e %M' -o "$_t" "$@"
}
fresh() { rm -rf "$RUN"; mkdir -p "$RUN"; }

shipper_backfill() {	# shipper_backfill SCEN DIR LINES BYTES WANT [CONF]
	fresh
	[ -n "${6:-}" ] || shipper_conf "$RUN/out.ndjson" "$2" > "$RUN/c.conf"
	warm "$2"/*
	timed "$RUN/t" "$SHIPPER" -c "${6:-$RUN/c.conf}" --backfill "$2" \
	    --no-progress --summary-json "$RUN/s.json" > /dev/null 2> "$RUN/err" ||
	    die "scenario $1: spire-shipper failed: $(tail -3 "$RUN/err")"
	got=$($PYTHON3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records_out"])' "$RUN/s.json")
	check_count "scenario $1 spire-shipper" "$got" "$5"
	record "$1" spire-shipper "$3" "$4" "$RUN/t" "" "docs $5"
}

floor_run() {	# floor_run SCEN FILE LINES BYTES WANT
	fresh; warm "$2"
	timed "$RUN/t" "$FLOOR" "$2" > "$RUN/out"
	check_count "scenario $1 floor" "$(cut -d' ' -f4 < "$RUN/out")" "$5"
	record "$1" "floor (yajl only)" "$3" "$4" "$RUN/t"
}

rsyslog_run() {	# rsyslog_run SCEN FILE LINES BYTES WANT
	[ -n "$RSYSLOGD" ] || return 0
	fresh; warm "$2"
	sed -e "s|@WORK@|$RUN|" -e "s|@INPUT@|$2|" -e "s|@OUTPUT@|$RUN/out.ndjson|" \
	    "$B/rsyslog.conf.in" > "$RUN/rs.conf"
	t0=$(now)
	timed "$RUN/t" "$RSYSLOGD" -n -f "$RUN/rs.conf" -i "$RUN/rs.pid" \
	    > /dev/null 2> "$RUN/err" &
	tp=$!
	# rsyslog never ends by itself: done when the last record is out.
	n=0
	while [ "$(nlines "$RUN/out.ndjson")" -lt "$5" ]; do
		sleep 0.1; n=$((n + 1))
		[ $n -lt 6000 ] && kill -0 $tp 2> /dev/null ||
		    die "scenario $1 rsyslog: $(nlines "$RUN/out.ndjson") records, want $5"
	done
	wall=$(echo "$(now) - $t0" | bc)
	kill -TERM "$(cat "$RUN/rs.pid")"; wait $tp || true
	check_count "scenario $1 rsyslog" "$(nlines "$RUN/out.ndjson")" "$5"
	record "$1" "rsyslog $($RSYSLOGD -v | sed -n '1s/^rsyslogd *\([^ ]*\).*/\1/p')" \
	    "$3" "$4" "$RUN/t" "$wall"
}

: > "$RAW"
for r in $(seq "$RUNS"); do
	echo "bench.sh: run $r of $RUNS"
	if want 1; then
		shipper_backfill 1 "$BENCH_DIR/docker" "$LINES" "$BYTES" "$WANT"
		rsyslog_run 1 "$DOCKER_LOG" "$LINES" "$BYTES" "$WANT"
		floor_run 1 "$DOCKER_LOG" "$LINES" "$BYTES" "$WANT"
		shipper_backfill 1c "$BENCH_DIR/cri" "$LINES" "$BYTES_CRI" "$WANT_CRI"
	fi
	if want 2; then
		shipper_backfill 2 "$BENCH_DIR/gz" "$LINES" "$BYTES" "$WANT"
		fresh; warm "$BENCH_DIR"/gz/*.gz
		timed "$RUN/t" sh -c "zcat '$BENCH_DIR'/gz/*.gz > /dev/null"
		record 2 "zcat alone" "$LINES" "$BYTES" "$RUN/t"
	fi
	want 3 && . "$B/scenario_es.sh"
	{ want 4 || want 5; } && . "$B/scenario_follow.sh"
done

$PYTHON3 "$B/report.py" --raw "$RAW" --runs "$RUNS" --lines "$LINES" \
    --shipper "$SHIPPER" --rsyslogd "${RSYSLOGD:-}" \
    --profile "$BENCH_DIR/profile.txt" > "$RESULTS.new"
mv "$RESULTS.new" "$RESULTS"
echo "bench.sh: wrote $RESULTS"
