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

CONF="$WORK/es.conf"

# es_conf — the shipped configuration, quicker to flush and retry.
sed -e 's/flush_interval 5s/flush_interval 1s/' \
    -e 's/retry_max_interval 30/retry_max_interval 2/' \
    -e 's/refresh_interval 60s/refresh_interval 1/' \
    "$top_srcdir/templates/spire-shipper-elasticsearch.conf" > "$CONF"

# use_state NAME — where logs, pos files and the buffer of a run live.
use_state() {
	STATE="$WORK/$1"
	mkdir -p "$STATE/logs" "$STATE/state"
	SPIRE_LOG_DIR="$STATE/logs" SPIRE_SHIPPER_STATE="$STATE/state"
	ES_HOST=127.0.0.1 SPIRE_SHIPPER_TEMPLATES="$top_srcdir/templates"
	export SPIRE_LOG_DIR SPIRE_SHIPPER_STATE ES_HOST ES_PORT \
	    SPIRE_SHIPPER_TEMPLATES
}

backfill() {	# backfill DIR NAME — exit status; summary in $WORK/NAME.json
	"$SHIPPER" -c "$CONF" --backfill "$1" --no-progress \
	    --summary-json "$WORK/$2.json" > /dev/null 2> "$WORK/$2.err"
}

count() {
	$ESCTL "$ES_PORT" count 'spire-logs-*' 2>/dev/null
}

# exact NAME DIR — the indexed documents are exactly DIR's expected
# WARN/ERROR and audit records: none missing, none twice.
exact() {
	$ESCTL "$ES_PORT" docs 'spire-logs-*' | "$PYTHON3" -c '
import json, sys
for src in json.load(sys.stdin).values():
    print(json.dumps(src))' > "$WORK/$1.docs"
	$OUTCOUNT --expected "$2/expected_kept.tsv" --audit "$WORK/$1.docs" \
	    > "$WORK/$1.count" 2>&1
	_rc=$?
	tap_ok $_rc "$1: exactly the expected WARN/ERROR and audit records, none missing, none twice"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$WORK/$1.count" | head -5
}

expected() {	# expected DIR — WARN/ERROR + audit records of a corpus
	echo $(( $(json_get "$1/manifest.json" totals.warn_error_records) + \
	    $(json_get "$1/manifest.json" totals.audit_not_warn_error) ))
}

es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }

# --- backfill, twice ---------------------------------------------------------
use_state backfill
C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
want=$(expected "$C")
backfill "$C" first
tap_is $? 0 "backfill: exits 0"
tap_is "$(count)" "$want" "backfill: the emulator holds the manifest's WARN/ERROR + audit count"
exact backfill "$C"
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
tap_is "$(count)" "$want" "backfill again: the count is unchanged"

# --- per-item 429s, then dropped connections ---------------------------------
# Small chunks make many bulk requests, for the faults to hit.
sed 's/chunk_limit_size 2M/chunk_limit_size 16k/' "$CONF" > "$WORK/small.conf"
S="$WORK/small"
$GEN --out "$S" --quiet --seed 7 --files 3 --format mixed --inner json \
    --lines 6000 --gzip
want=$(expected "$S")
fault_run() {	# fault_run NAME FAULTS — a backfill of S under FAULTS
	$ESCTL "$ES_PORT" reset > /dev/null
	$ESCTL "$ES_PORT" faults "$2" > /dev/null
	use_state "$1"
	"$SHIPPER" -c "$WORK/small.conf" --backfill "$S" --no-progress \
	    --summary-json "$WORK/$1.json" > /dev/null 2> "$WORK/$1.err"
	tap_is $? 0 "$1: backfill exits 0"
	tap_is "$(count)" "$want" "$1: still the exact count"
	exact "$1" "$S"
}
fault_run 429s '{"item_429_rate":0.2,"seed":1}'
tap_ok "$(test "$(json_get "$WORK/429s.json" resent)" -gt 0; echo $?)" \
    "429s: the rejected items were sent again ($(json_get "$WORK/429s.json" resent))"
fault_run drops '{"drop_connection_rate":0.05,"seed":2}'
d=$($ESCTL "$ES_PORT" stats dropped_connections)
tap_ok "$(test "$d" -gt 0; echo $?)" "drops: connections were dropped ($d)"
$ESCTL "$ES_PORT" reset > /dev/null

# --- following through a 30 s outage ----------------------------------------
# follow NAME GEN-ARGS... — starts the generator (in the background, G)
# and the shipper (SP) on a fresh state.
start_shipper() {
	"$SHIPPER" -c "$CONF" >> "$STATE/shipper.out" 2>> "$STATE/shipper.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}
follow_gen() {
	$GEN --out "$STATE/logs" --quiet --follow --rate 200 --files 3 \
	    --format mixed --inner mixed --rotate-every 400 "$@" &
	G=$!
	TAP_PIDS="$TAP_PIDS $G"
}
chunks() {
	ls "$STATE/state/buffer/"*.chunk 2>/dev/null | wc -l
}

$ESCTL "$ES_PORT" reset > /dev/null
use_state outage
start_shipper
follow_gen --seed 31 --duration 40
sleep 4
kill -USR1 "$ES_PID"	# down: connections refused, control port too
sleep 12
n1=$(chunks)
sleep 14
n2=$(chunks)
tap_ok "$(test "$n2" -ge 1; echo $?)" "outage: the records wait in buffer chunks on disk ($n1, then $n2 chunks)"
kill -USR2 "$ES_PID"	# up again
wait $G
want=$(expected "$STATE/logs")
wait_for 40 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
tap_is "$(count)" "$want" "outage: every record arrived after it"
kill -TERM "$SP"; wait "$SP"
tap_is $? 0 "outage: the shipper stops with 0"
exact outage "$STATE/logs"

# --- kill -9, five times -----------------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
use_state kill9
start_shipper
follow_gen --seed 32 --duration 16
for i in 1 2 3 4 5; do
	sleep 2.5
	kill -KILL "$SP"; wait "$SP" 2>/dev/null
	start_shipper
done
wait $G
want=$(expected "$STATE/logs")
wait_for 40 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
tap_is "$(count)" "$want" "kill -9 x5: the exact count after the last restart"
exact kill9 "$STATE/logs"
kill -TERM "$SP"; wait "$SP"

# --- documents the mapping rejects -------------------------------------------
$ESCTL "$ES_PORT" reset > /dev/null
use_state dead
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
tap_is "$(count)" 2 "dead letters: everything else is indexed"
dl="$STATE/state/buffer/dead-letter.ndjson"
tap_is "$(wc -l < "$dl" 2>/dev/null)" 2 "dead letters: the two rejected documents are in the dead-letter file"
tap_grep '"status":400.*(document|mapper)_parsing_exception.*"document":\{.*bad metrics' "$dl" \
    "dead letters: with Elasticsearch's error type and the document"
tap_grep 'bad kubernetes' "$dl" "dead letters: the object/value conflict too"
tap_is "$(json_get "$WORK/dead.json" dead_letters)" 2 "dead letters: counted in the summary"

tap_done
