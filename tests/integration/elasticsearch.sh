#!/bin/sh
# elasticsearch.sh — the shipped Elasticsearch configuration against the
# strict ES 8 emulator: a backfill indexes exactly the generator's
# WARN/ERROR and audit records into daily indices under the installed
# template, and again gives the same documents; per-item 429s and dropped
# connections change nothing; an outage while following leaves the
# records in the file buffer until it ends; kill -9 five times while
# following loses and doubles nothing; what the mapping rejects ends in
# the dead-letter file with Elasticsearch's reason.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

CONF="$WORK/es.conf"
es_conf "$CONF"

backfill() {	# backfill DIR NAME — exit status; summary in $WORK/NAME.json
	"$SHIPPER" -c "$CONF" --backfill "$1" --no-progress \
	    --summary-json "$WORK/$2.json" > /dev/null 2> "$WORK/$2.err"
}

es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }

# --- backfill, twice ---------------------------------------------------------
state_use backfill
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
want=$(kept_count "$C")
backfill "$C" first
tap_is $? 0 "backfill: exits 0"
tap_is "$(es_count)" "$want" "backfill: the emulator holds the manifest's WARN/ERROR + audit count"
es_exact backfill "$C"
$ESCTL "$ES_PORT" request GET '/_cat/indices?format=json' | sed 1d |
    "$PYTHON3" -c '
import json, re, sys
names = [i["index"] for i in json.load(sys.stdin)]
sys.exit(not names or any(not re.fullmatch(r"spire-logs-\d{4}\.\d{2}\.\d{2}", n)
                          for n in names))'
tap_ok $? "backfill: only daily spire-logs-YYYY.MM.DD indices"
$ESCTL "$ES_PORT" request GET /_index_template/spire-logs | head -1 > "$WORK/tpl"
tap_is "$(cat "$WORK/tpl")" 200 "backfill: the index template is installed"
tap_is "$(json_get "$WORK/first.json" dead_letters)" 0 \
    "backfill: every document is valid against the template"
tap_is "$(json_get "$WORK/first.json" acked)" "$want" \
    "backfill: the summary counts every document acknowledged"
backfill "$C" second
tap_is $? 0 "backfill again: exits 0"
tap_is "$(es_count)" "$want" "backfill again: the count is unchanged"

# --- per-item 429s, then dropped connections ---------------------------------
# Small chunks make many bulk requests, for the faults to hit.
sed 's/chunk_limit_size 2M/chunk_limit_size 16k/' "$CONF" > "$WORK/small.conf"
S="$WORK/small"
$GEN --out "$S" --quiet --seed 7 --files 3 --format mixed --inner json \
    --lines 6000 --gzip
want=$(kept_count "$S")
fault_run() {	# fault_run NAME FAULTS — a backfill of S under FAULTS
	$ESCTL "$ES_PORT" reset > /dev/null
	$ESCTL "$ES_PORT" faults "$2" > /dev/null
	state_use "$1"
	"$SHIPPER" -c "$WORK/small.conf" --backfill "$S" --no-progress \
	    --summary-json "$WORK/$1.json" > /dev/null 2> "$WORK/$1.err"
	tap_is $? 0 "$1: backfill exits 0"
	tap_is "$(es_count)" "$want" "$1: still the exact count"
	es_exact "$1" "$S"
}
fault_run 429s '{"item_429_rate":0.2,"seed":1}'
tap_ok "$(test "$(json_get "$WORK/429s.json" resent)" -gt 0; echo $?)" \
    "429s: the rejected items were sent again ($(json_get "$WORK/429s.json" resent))"
fault_run drops '{"drop_connection_rate":0.05,"seed":2}'
d=$($ESCTL "$ES_PORT" stats dropped_connections)
tap_ok "$(test "$d" -gt 0; echo $?)" "drops: connections were dropped ($d)"
$ESCTL "$ES_PORT" reset > /dev/null

# --- following through a 30 s outage ----------------------------------------
follow_gen() {
	gen_follow --rate 200 --files 3 --format mixed --inner mixed \
	    --rotate-every 400 "$@"
}

$ESCTL "$ES_PORT" reset > /dev/null
state_use outage
shipper_start
follow_gen --seed 31 --duration 40
sleep 4
kill -USR1 "$ES_PID"	# down: connections refused, control port too
sleep 12
n1=$(buffer_chunks)
sleep 14
n2=$(buffer_chunks)
tap_ok "$(test "$n2" -ge 1; echo $?)" "outage: the records wait in buffer chunks on disk ($n1, then $n2 chunks)"
kill -USR2 "$ES_PID"	# up again
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 40 "$want"
tap_is "$(es_count)" "$want" "outage: every record arrived after it"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "outage: the shipper stops with 0"
es_exact outage "$STATE/logs"

# --- kill -9, five times -----------------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
state_use kill9
shipper_start
follow_gen --seed 32 --duration 16
for i in 1 2 3 4 5; do
	sleep 2.5
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	shipper_start
done
wait $G
want=$(kept_count "$STATE/logs")
es_wait_count 40 "$want"
tap_is "$(es_count)" "$want" "kill -9 x5: the exact count after the last restart"
es_exact kill9 "$STATE/logs"
kill -TERM "$SP"; wait "$SP"

# --- documents the mapping rejects -------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
state_use dead
d="$STATE/logs"
f="$d/spire-server-0_spire-system_spire-server-$(printf '%064d' 7).log"
line() {	# line TIME INNER-JSON — a Docker json-file line
	printf '{"log":"%s\\n","stream":"stderr","time":"%s"}\n' \
	    "$(printf '%s' "$2" | sed 's/"/\\"/g')" "$1"
}
{
	line 2024-05-01T08:00:01.000000001Z '{"level":"error","msg":"good one","time":"2024-05-01T08:00:01Z"}'
	line 2024-05-01T08:00:02.000000001Z '{"level":"error","msg":"bad metrics","metrics":{"duration_ms":"slow"},"time":"2024-05-01T08:00:02Z"}'
	line 2024-05-01T08:00:03.000000001Z '{"level":"warning","msg":"bad kubernetes","kubernetes":"node-1","time":"2024-05-01T08:00:03Z"}'
	line 2024-05-01T08:00:04.000000001Z '{"level":"warning","msg":"good two","time":"2024-05-01T08:00:04Z"}'
} > "$f"
backfill "$d" dead
tap_is $? 1 "dead letters: the backfill exits 1 (not everything was indexed)"
tap_is "$(es_count)" 2 "dead letters: everything else is indexed"
dl="$STATE/state/buffer/dead-letter.ndjson"
tap_is "$(wc -l < "$dl" 2>/dev/null)" 2 "dead letters: the two rejected documents are in the dead-letter file"
tap_grep '"status":400.*(document|mapper)_parsing_exception.*"document":\{.*bad metrics' "$dl" \
    "dead letters: with Elasticsearch's error type and the document"
tap_grep 'bad kubernetes' "$dl" "dead letters: the object/value conflict too"
tap_is "$(json_get "$WORK/dead.json" dead_letters)" 2 "dead letters: counted in the summary"

tap_done
