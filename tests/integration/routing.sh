#!/bin/sh
# routing.sh — <label> routing through the binary: a source's @label
# sends its records into that label only, following and backfilling
# alike; the parser filter's error events (lines that do not parse)
# reach <label @ERROR>'s own output, counted, and not the label's; a
# <label @FLUENT_LOG> is accepted and receives nothing; the documents
# Elasticsearch (the emulator) rejects for good go to @ERROR instead of
# the dead-letter file.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

GOOD=30
BAD=7
mkdir -p "$WORK/logs"
# log N — N Docker json-file lines, every (N/BAD)th one not JSON inside.
log() {
	"$PYTHON3" - "$1" "$GOOD" "$BAD" <<'PY'
import json, sys
path, good, bad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    for i in range(good + bad):
        inner = ("not json %d" % i if i % ((good + bad) // bad) == 0 and
                 i // ((good + bad) // bad) < bad else
                 json.dumps({"level": "error", "msg": "m%d" % i}))
        f.write(json.dumps({"log": inner + "\n", "stream": "stderr",
                            "time": "2024-05-01T08:00:02.%09dZ" % i}) + "\n")
PY
}
log "$WORK/logs/app.log"

json_parser() {	# json_parser TAGS — a parser filter reading log as JSON
	cat <<CONF
<filter $1>
  @type parser
  key_name log
  <parse>
    @type json
  </parse>
</filter>
CONF
}

conf() {	# conf DIR — the configuration, its outputs in DIR
	cat <<CONF
<source>
  @type tail
  path $WORK/logs/*.log
  pos_file $1/pos
  tag app.*
  read_from_head true
  refresh_interval 1
  @label @APP
  <parse>
    @type json
  </parse>
</source>
<match **>
  @type file
  path $1/top.ndjson
</match>
<label @FLUENT_LOG>
  <match fluent.**>
    @type null
  </match>
</label>
<label @APP>
$(json_parser 'app.**')
  <match app.**>
    @type file
    path $1/app.ndjson
  </match>
</label>
<label @ERROR>
  <match app.**>
    @type file
    path $1/error.ndjson
  </match>
</label>
CONF
}

# check NAME DIR — what each output of DIR holds.
check() {
	tap_is "$(wc -l < "$2/app.ndjson" 2>/dev/null)" "$GOOD" \
	    "$1: the label's output has every line that parsed"
	tap_is "$(grep -c '"parse_error":"foreign_text"' "$2/error.ndjson" \
	    2>/dev/null)" "$BAD" \
	    "$1: @ERROR's output has every line that did not, with parse_error"
	tap_is "$(grep -c '"log":"not json' "$2/error.ndjson" 2>/dev/null)" \
	    "$BAD" "$1: ... as the parser filter got it"
	tap_is "$(grep -c parse_error "$2/app.ndjson" 2>/dev/null)" 0 \
	    "$1: none of them in the label's output"
	tap_ok "$([ ! -e "$2/top.ndjson" ]; echo $?)" \
	    "$1: nothing reaches the top-level <match **>"
}

mkdir -p "$WORK/dry"
conf "$WORK/dry" > "$WORK/dry.conf"
"$SHIPPER" -c "$WORK/dry.conf" --dry-run > "$WORK/dry.out" 2>&1
tap_ok $? "--dry-run: the configuration is valid"
tap_grep '^  @APP app\.[^:]*: parser -> file$' "$WORK/dry.out" \
    "--dry-run: the source's route is inside its label"
tap_grep '^  @ERROR app\.[^:]*: file$' "$WORK/dry.out" \
    "--dry-run: and its error events' route inside @ERROR"

# --- backfill ----------------------------------------------------------------
B="$WORK/backfill"
mkdir -p "$B"
conf "$B" > "$B.conf"
"$SHIPPER" -c "$B.conf" --backfill "$WORK/logs" --no-progress \
    --summary-json "$B/summary.json" > /dev/null 2> "$B/err"
tap_is $? 0 "backfill: exits 0"
check backfill "$B"
tap_is "$(json_get "$B/summary.json" error_events)" "$BAD" \
    "backfill: the summary counts the error events"
tap_is "$(json_get "$B/summary.json" records_out)" $((GOOD + BAD)) \
    "backfill: every line delivered once, to one output or the other"

# --- follow ------------------------------------------------------------------
F="$WORK/follow"
mkdir -p "$F"
conf "$F" > "$F.conf"
"$SHIPPER" -c "$F.conf" > /dev/null 2> "$F/err" &
SPID=$!
TAP_PIDS="$TAP_PIDS $SPID"
wait_for 20 sh -c "[ \"\$(wc -l < $F/app.ndjson)\" = $GOOD ] &&
    [ \"\$(wc -l < $F/error.ndjson)\" = $BAD ]"
kill -TERM "$SPID"
wait "$SPID"
tap_is $? 0 "follow: SIGTERM, exit 0"
check follow "$F"

# --- what Elasticsearch rejects ------------------------------------------------
es_start es || { tap_ok 1 "the Elasticsearch emulator starts"; tap_done; }
E="$WORK/esrun"
mkdir -p "$E/logs"
"$PYTHON3" - "$E/logs/spire-server-0.log" <<'PY'
import json, sys
inner = [{"level": "error", "msg": "good %d" % i} for i in range(5)] + [
    {"level": "error", "msg": "bad metrics", "metrics": {"duration_ms": "slow"}},
    {"level": "warning", "msg": "bad kubernetes", "kubernetes": "node-1"}]
with open(sys.argv[1], "w") as f:
    for i, r in enumerate(inner):
        f.write(json.dumps({"log": json.dumps(r) + "\n", "stream": "stderr",
                            "time": "2024-05-01T08:00:0%dZ" % i}) + "\n")
PY
cat > "$E.conf" <<CONF
<source>
  @type tail
  path $E/logs/*.log
  tag spire.*
  read_from_head true
  <parse>
    @type json
  </parse>
</source>
$(json_parser 'spire.**')
<match spire.**>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  logstash_format true
  logstash_prefix spire-logs
  template_name spire-logs
  template_file $top_srcdir/templates/spire-logs-template.json
</match>
<label @ERROR>
  <match spire.**>
    @type file
    path $E/error.ndjson
  </match>
</label>
CONF
"$SHIPPER" -c "$E.conf" --backfill "$E/logs" --no-progress \
    --summary-json "$E/summary.json" > /dev/null 2> "$E/err"
tap_is $? 0 "elasticsearch: the backfill exits 0 (@ERROR took the rest)"
tap_is "$($ESCTL "$ES_PORT" count 'spire-logs-*' 2>/dev/null)" 5 \
    "elasticsearch: the documents it takes are indexed"
tap_is "$(grep -c '"msg":"bad ' "$E/error.ndjson" 2>/dev/null)" 2 \
    "elasticsearch: the two it rejects are in @ERROR's output"
tap_grep '"msg":"bad metrics","metrics":\{"duration_ms":"slow"\}' \
    "$E/error.ndjson" "elasticsearch: ... as they were sent"
tap_is "$(json_get "$E/summary.json" rejected_to_error)/$(json_get \
    "$E/summary.json" dead_letters)" 2/0 \
    "elasticsearch: counted as rejected to @ERROR, not dead letters"
tap_ok "$(grep -q 'bad metrics' "$E/err"; echo $((1 - $?)))" \
    "elasticsearch: no dead-letter line in the log"
tap_done
