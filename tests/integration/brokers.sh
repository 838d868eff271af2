#!/bin/sh
# brokers.sh — the brokers of the 3-broker mock cluster fail one by one
# while the shipper follows logs that rotate into the kafka2 output:
# first each broker in turn, its partitions failing over to another and
# back when it returns; then one after the other with no failover until
# the whole cluster is gone, and back one by one. Nothing is lost; a
# message is repeated only as a replay with its source-id header.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

mock_required brokers
CONF="$WORK/kafka.conf"
kafka_conf "$CONF"
mock_start cluster || { tap_ok 1 "the mock cluster starts"; tap_done; }

mock() {	# mock SECONDS COMMAND... — to the cluster, then a pause
	_pause=$1; shift
	echo "$*" >&3
	sleep "$_pause"
}
spread() {	# spread SECONDS — partition p led by broker p % 3 + 1 again
	for p in 0 1 2 3 4 5; do echo "leader $p $((p % 3 + 1))" >&3; done
	sleep "$1"
}

state_use brokers
t0=$(date +%s)
shipper_start
gen_follow --seed 61 --duration 58 --rate 300 --files 4 --format mixed \
    --inner mixed --rotate-every 500 --gzip
sleep 3
# Each broker in turn: down, its partitions led by the next one; back.
for b in 1 2 3; do
	mock 1 "down $b"
	mock 6 "leader -1 $((b % 3 + 1))"
	mock 0 "up $b"
	spread 4
done
# One after the other, no failover, to a cluster with no broker; back.
mock 4 "down 1"
mock 4 "down 2"
mock 5 "down 3"
waiting=$(buffer_chunks)	# the staged chunk, and those that wait
sleep 1
mock 3 "up 1"
mock 3 "up 2"
mock 0 "up 3"
wait $G
want=$(kept_count "$STATE/logs")
consumed_wait 60 "$want"
got=$(consumed)
tap_ok "$(test "$got" -ge "$want"; echo $?)" "brokers: $got messages consumed for $want expected records"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "brokers: the shipper stops with 0"
felt=0
for b in 1 2 3; do
	grep -Eq "/$b: (Connect to .* failed|Disconnected)" "$STATE/shipper.log" &&
	    felt=$((felt + 1))
done
tap_is "$felt" 3 "brokers: the producer lost each of the three brokers"
if grep -q '\[error\]' "$STATE/shipper.log"; then r=1; else r=0; fi
tap_ok $r "brokers: no error logged (a broker out of reach is a warning)"
tap_grep 'reconnects by itself and the records wait in the buffer' \
    "$STATE/shipper.log" "brokers: the warning says what happens to the records"
tap_ok "$(test "$waiting" -ge 2; echo $?)" "brokers: with no broker left, the records waited in buffer chunks ($waiting)"
t1=$(date +%s)
tap_is "$(buffer_chunks)" 0 "brokers: the buffer is empty at the end"
kafka_check brokers "$STATE/logs"
tap_diag "brokers: $want records, $(cat "$WORK/brokers.repeats") replays with their source-id repeated, $((t1 - t0)) s"
mock_stop

tap_done
