# tests/faults/helpers.sh — what the fault tests share, sourced after
# tests/lib.sh: a shipper run in a directory of its own, with its metrics
# on a free port, and the counts of /metrics.
#
# fi_case NAME         a fresh directory $D (logs in $D/logs)
# fi_conf GLOB [GREP]  $D/shipper.conf: lib.sh's pipeline into $D/out.ndjson,
#                      pos file $D/pos, plus /metrics on $MPORT
# fi_start [PREFIX...] runs the shipper on it (pid SP), after PREFIX (env,
#                      setpriv...); FI_ENV is put in its environment
# fi_stop              SIGTERM; FI_RC its exit status, FI_STOP_MS how long
#                      it took (never asserted: a bound is)
# metric NAME [L=V...] a counter or gauge, summed over matching labels
# wait_metric S NAME VALUE [L=V...]  until it reads VALUE, or S seconds
# peak_rss_mb PID      its peak resident memory (VmHWM), in MiB

FAULTS="$top_srcdir/tests/faults"
LINES="$PYTHON3 $FAULTS/lines.py"
SHIM="$top_builddir/tests/faults/faultinject.so"
# An ASan shipper accepts the shim only when told to, and its memory
# bounds allow for the shadow memory and redzones (the quarantine of
# freed memory is kept small).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:quarantine_size_mb=16"
export ASAN_OPTIONS
RSS_SCALE=1
if ldd "$SHIPPER" 2>/dev/null | grep -q libasan; then
	RSS_SCALE=4
fi

fi_case() {
	D="$WORK/$1"
	mkdir -p "$D/logs"
}

fi_metrics_conf() {
	MPORT=$($LINES port)
	metrics_source "$MPORT"
}

fi_conf() {
	pipeline_conf "$1" "$D/pos" "$D/out.ndjson" "${2:-0}" > "$D/shipper.conf"
	fi_metrics_conf >> "$D/shipper.conf"
}

fi_start() {
	env $FI_ENV "$@" "$SHIPPER" -c "$D/shipper.conf" >> "$D/shipper.out" \
	    2>> "$D/shipper.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
	wait_for 20 metric spire_shipper_ready > /dev/null
}

fi_stop() {
	_t0=$(date +%s%N)
	kill -TERM "$SP" 2>/dev/null
	wait "$SP"
	FI_RC=$?
	FI_STOP_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
}

metric() {
	$LINES metric "$MPORT" "$@" 2>/dev/null
}

wait_metric() {
	_s=$1 _name=$2 _want=$3
	shift 3
	wait_for "$_s" sh -c "[ \"\$($LINES metric $MPORT $_name $* \
	    2>/dev/null)\" = '$_want' ]"
}

peak_rss_mb() {
	awk '/^VmHWM:/ { printf "%d\n", $2 / 1024 }' "/proc/$1/status"
}

# tap_rss MB MAX DESCRIPTION — a peak RSS within MAX MiB (times RSS_SCALE).
tap_rss() {
	tap_le "$1" $(($2 * RSS_SCALE)) "$3"
}

# tap_le GOT MAX DESCRIPTION — a bound, not a timing.
tap_le() {
	if [ -n "$1" ] && [ "$1" -le "$2" ] 2>/dev/null; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		echo "#   got: $1, at most: $2"
	fi
}
