#!/bin/sh
# multiline.sh — <parse> @type multiline in a tail source that follows a
# file: events come out whole and exactly once, also when the shipper is
# killed while an event is pending (the pos file stays before it) and
# when it is stopped (the pending event comes out, as in Fluentd); a
# rotation ends the pending event; multiline_flush_interval ends an idle
# one; a CRI file's events are per stream; and the official
# kube-apiserver-audit.conf reads the lines its own comment shows.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

CONFS=$top_srcdir/tests/data/fluentd-configs

# conf DIR [MORE-TAIL-PARAMS] — tails DIR/*.log into DIR/out.ndjson.
conf() {
	cat <<CONF
<source>
  @type tail
  path $1/*.log
  pos_file $1/pos
  tag app
  read_from_head true
  refresh_interval 1
  rotate_wait 1
  $2
  <parse>
    @type multiline
    format_firstline /^\d{4}-\d\d-\d\d /
    format1 /^(?<time>\S+ \S+) (?<level>[A-Z]+) (?<message>.*)/
    time_format %Y-%m-%d %H:%M:%S
  </parse>
</source>
<match app>
  @type file
  path $1/out.ndjson
</match>
CONF
}

start() {
	"$SHIPPER" -c "$1/shipper.conf" >> "$1/shipper.out" 2>> "$1/shipper.err" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}

# stop DIR SIGNAL — the exit status goes to DIR/status.
stop() {
	kill -"$2" "$SP" 2>/dev/null
	{ wait "$SP"; } 2>/dev/null
	echo $? > "$1/status"
}

records() {
	[ -f "$1/out.ndjson" ] && wc -l < "$1/out.ndjson" | tr -d ' ' || echo 0
}

# has DIR N — the output has N records.
has() {
	[ "$(records "$1")" = "$2" ]
}

# pos DIR FILE — the offset the pos file holds for FILE, in decimal.
pos() {
	printf '%d\n' "0x$(awk -F '\t' -v p="$2" '$1 == p { print $2 }' "$1/pos")"
}

size() {
	wc -c < "$1" | tr -d ' '
}

rec() {
	printf '{"level":"%s","message":"%s"}\n' "$1" "$2"
}

# --- killed and stopped with an event pending --------------------------------
d=$WORK/follow
mkdir -p "$d"
conf "$d" > "$d/shipper.conf"
log=$d/app.log
printf '%s\n' '  at Orphan.before(Any.java:1)' \
    '2024-05-01 12:00:00 ERROR one' '  at A.a(A.java:1)' \
    '  at A.b(A.java:2)' > "$log"
e2=$(size "$log")
printf '%s\n' '2024-05-01 12:00:01 WARN two' '  at B.a(B.java:1)' >> "$log"
start "$d"
wait_for 10 has "$d" 2
tap_ok $? "the line before any first line and the first event come out"
sleep 1.5	# the once-a-second position sync
tap_is "$(pos "$d" "$log")" "$e2" \
    "the pos file stays at the start of the pending event"
stop "$d" KILL
printf '%s\n' '  at B.b(B.java:2)' '2024-05-01 12:00:02 INFO three' >> "$log"
start "$d"
wait_for 10 has "$d" 3
tap_ok $? "killed and restarted: the pending event comes out"
sleep 1.5
stop "$d" TERM
tap_is "$(cat "$d/status")" 0 "SIGTERM exits 0"
tap_is "$(pos "$d" "$log")" "$(size "$log")" \
    "stopped at the end of the file: the pending event came out, the pos file is past it"
start "$d"
printf '%s\n' '2024-05-01 12:00:03 ERROR four' '  caused by: x' >> "$log"
sleep 2
tap_is "$(records "$d")" 4 "restarted: nothing again, the new event pending"
# A rotation ends the rotated file's pending event.
mv "$log" "$log.1"
printf '%s\n' '2024-05-01 12:00:04 INFO five' > "$log"
wait_for 15 has "$d" 5
tap_ok $? "the rotated file's pending event comes out when it is let go"
stop "$d" TERM
{
	echo '{"log":"  at Orphan.before(Any.java:1)","parse_error":"pattern not matched"}'
	rec ERROR 'one\n  at A.a(A.java:1)\n  at A.b(A.java:2)'
	rec WARN 'two\n  at B.a(B.java:1)\n  at B.b(B.java:2)'
	rec INFO three
	rec ERROR 'four\n  caused by: x'
	rec INFO five
} > "$d/want"
tap_is "$(cat "$d/out.ndjson")" "$(cat "$d/want")" \
    "every event exactly once, whole, in order"
if grep -q '\[error\]' "$d/shipper.err"; then r=1; else r=0; fi
tap_ok $r "the shipper logged no error"
tap_grep 'a line before any line matching format_firstline' "$d/shipper.err" \
    "the line before any first line is logged"

# --- multiline_flush_interval ------------------------------------------------
d=$WORK/flush
mkdir -p "$d"
conf "$d" 'multiline_flush_interval 2s' > "$d/shipper.conf"
start "$d"
sleep 0.5
t0=$(date +%s.%N)
printf '%s\n' '2024-05-01 12:00:05 ERROR idle' '  the last line' > "$d/app.log"
sleep 1
tap_is "$(records "$d")" 0 "an idle event is not out before multiline_flush_interval"
wait_for 10 has "$d" 1
tap_ok $? "an idle event comes out after multiline_flush_interval"
t1=$(date +%s.%N)
tap_diag "written to out: $(awk "BEGIN { print $t1 - $t0 }") s after the lines (interval 2 s, checked every 1 s)"
tap_is "$(cat "$d/out.ndjson")" "$(rec ERROR 'idle\n  the last line')" \
    "the flushed event is whole"
sleep 1.5
tap_is "$(pos "$d" "$d/app.log")" "$(size "$d/app.log")" \
    "after the flush the pos file is past the event"
stop "$d" TERM

# --- a CRI file: per stream --------------------------------------------------
d=$WORK/cri
mkdir -p "$d"
conf "$d" > "$d/shipper.conf"
cat > "$d/pod.log" <<'LOG'
2024-05-01T08:00:00.1Z stdout F 2024-05-01 12:00:00 ERROR out
2024-05-01T08:00:00.2Z stderr F 2024-05-01 12:00:00 WARN err
2024-05-01T08:00:00.3Z stdout P   at Out.a(Out.ja
2024-05-01T08:00:00.4Z stdout F va:1)
2024-05-01T08:00:00.5Z stderr F   at Err.a(Err.java:1)
2024-05-01T08:00:00.6Z stdout F 2024-05-01 12:00:01 INFO next
LOG
start "$d"
wait_for 10 has "$d" 1
sleep 1
stop "$d" TERM
{
	printf '%s\n' '{"level":"ERROR","message":"out\n  at Out.a(Out.java:1)","stream":"stdout"}'
	printf '%s\n' '{"level":"WARN","message":"err\n  at Err.a(Err.java:1)","stream":"stderr"}'
	printf '%s\n' '{"level":"INFO","message":"next","stream":"stdout"}'
} > "$d/want"
tap_is "$(cat "$d/out.ndjson")" "$(cat "$d/want")" \
    "CRI: stdout and stderr each make their own events; P lines joined first"

# --- the official kube-apiserver-audit.conf ----------------------------------
d=$WORK/audit
mkdir -p "$d"
src=$CONFS/debian-elasticsearch8/kubernetes/kube-apiserver-audit.conf
{
	sed -e "s|^  path .*|  path $d/kube-apiserver-audit.log|" \
	    -e "s|^  pos_file .*|  pos_file $d/pos|" "$src"
	printf '<match kube-apiserver-audit>\n  @type file\n  path %s\n</match>\n' \
	    "$d/out.ndjson"
} > "$d/shipper.conf"
# The two lines of the example at the top of that file.
sed -n 's/^# \(2017-.*\)$/\1/p' "$src" > "$d/kube-apiserver-audit.log"
tap_is "$(wc -l < "$d/kube-apiserver-audit.log" | tr -d ' ')" 2 \
    "the configuration's own example lines"
"$SHIPPER" -c "$d/shipper.conf" --backfill "$d/kube-apiserver-audit.log" \
    --no-progress 2> "$d/backfill.log"
tap_ok $? "kube-apiserver-audit.conf backfills its example"
{
	printf '%s\n' '{"id":"90c73c7c-97d6-4b65-9461-f94606ff825f","ip":"104.132.1.72","method":"GET","user":"kubecfg","as":"<self>","asgroups":"<lookup>","namespace":"default","uri":"/api/v1/namespaces/default/pods"}'
	printf '%s\n' '{"id":"90c73c7c-97d6-4b65-9461-f94606ff825f","response":"200"}'
} > "$d/want"
tap_is "$(cat "$d/out.ndjson")" "$(cat "$d/want")" \
    "each AUDIT line is an event, its named groups the fields"

tap_done
