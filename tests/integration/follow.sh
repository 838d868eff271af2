#!/bin/sh
# follow.sh — follow mode against the generator writing in real time and
# rotating (rename and copytruncate, several files at once): every
# WARN/ERROR and audit record arrives exactly once, also across restarts
# from the pos file, when the shipper was down while files rotated (more
# than once, and into .gz), and when the watched paths are symlinks to
# the files that rotate with the kubelet's names and compression, as
# /var/log/containers are.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DURATION=8

# start_shipper DIR — runs the shipper on DIR's configuration.
start_shipper() {
	"$SHIPPER" $SHIPPER_ARGS -c "$1/shipper.conf" >> "$1/shipper.out" 2>> "$1/shipper.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}

stop_shipper() {
	kill -TERM "$SP" 2>/dev/null
	wait "$SP"
	echo $? >> "$1/stop-status"
}

# Waits for the generator's files, then links them from DIR/containers.
link_files() {
	wait_for 10 sh -c "ls '$1/gen/'*.log > /dev/null 2>&1" || return 1
	sleep 0.3
	for f in "$1"/gen/*.log; do
		ln -s "../gen/$(basename "$f")" "$1/containers/$(basename "$f")"
	done
}

# follow NAME MODE RESTARTS DOWNTIME LINKS [GEN-ARGS...]
follow() {
	name=$1 mode=$2 restarts=$3 down=$4 links=$5
	shift 5
	d="$WORK/$name"
	mkdir -p "$d/gen" "$d/containers"
	watch="$d/gen/*.log"
	[ "$links" = 1 ] && watch="$d/containers/*.log"
	pipeline_conf "$watch" "$d/pos" "$d/out.ndjson" > "$d/shipper.conf"
	start_shipper "$d"		# before any file exists
	$GEN --out "$d/gen" --follow --rate 600 --duration $DURATION \
	    --rotate-every 250 --rotate-mode "$mode" --files 4 \
	    --format mixed --inner mixed --quiet "$@" &
	G=$!
	TAP_PIDS="$TAP_PIDS $G"
	[ "$links" = 1 ] && link_files "$d"
	i=0
	while [ $i -lt "$restarts" ]; do
		sleep $((DURATION / (restarts + 1)))
		stop_shipper "$d"
		sleep "$down"
		start_shipper "$d"
		i=$((i + 1))
	done
	wait $G
	sleep 3
	stop_shipper "$d"
	tap_is "$(sort -u "$d/stop-status")" 0 "$name: every stop exits 0"
	$OUTCOUNT --expected "$d/gen/expected_kept.tsv" --audit \
	    "$d/out.ndjson" > "$d/count" 2>&1
	tap_ok $? "$name: every WARN/ERROR and audit record exactly once"
	if [ -s "$d/count" ]; then sed 's/^/# /' "$d/count" | head -3; fi
	rot=$(json_get "$d/gen/manifest.json" rotations | grep -o "'file'" | wc -l)
	[ "$rot" -ge 8 ]
	tap_ok $? "$name: the files rotated ($rot times)"
	if grep -q '\[error\]' "$d/shipper.log"; then r=1; else r=0; fi
	tap_ok $r "$name: the shipper logged no error"
}

follow rename rename 2 0 0 --seed 21
follow copytruncate copytruncate 2 0 0 --seed 22
follow down-rename rename 1 3 0 --seed 23 --gzip
follow down-copytruncate copytruncate 1 3 0 --seed 25 --gzip
follow kubelet-symlinks rename 2 2 1 --seed 24 --rotate-naming kubelet --gzip

tap_done
