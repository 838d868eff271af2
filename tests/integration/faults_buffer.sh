#!/bin/sh
# faults_buffer.sh — faults around the disk buffer of the shipped
# Elasticsearch configuration, against the emulator: a full disk (an
# LD_PRELOAD shim) stops the tail with one clear error and a metric,
# leaves no torn chunk and resumes by itself; damaged chunk files keep
# their good entries and count the rest; a file deleted while the tail
# waits on a full buffer is read to its end; the wall clock stepping back
# an hour breaks no flush, retry or position; SIGTERM under load flushes
# a memory buffer and nothing is lost on the next start. Every count is
# exact: the emulator's documents against the generator's ground truth.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/faults/helpers.sh"

es_start emu || { tap_ok 1 "the emulator starts"; tap_done; }

# es_case NAME [SED...] — $D, its logs and state, and the shipped
# configuration (quicker to flush and retry; SED edits it further) with
# its metrics on $MPORT.
es_case() {
	fi_case "$1"
	shift
	mkdir -p "$D/state"
	SPIRE_LOG_DIR="$D/logs" SPIRE_SHIPPER_STATE="$D/state" ES_HOST=127.0.0.1
	SPIRE_SHIPPER_TEMPLATES="$top_srcdir/templates"
	export SPIRE_LOG_DIR SPIRE_SHIPPER_STATE ES_HOST ES_PORT \
	    SPIRE_SHIPPER_TEMPLATES
	sed -e 's/flush_interval 5s/flush_interval 1s/' \
	    -e 's/retry_max_interval 30/retry_max_interval 1/' \
	    -e 's/refresh_interval 60s/refresh_interval 1/' "$@" \
	    "$top_srcdir/templates/spire-shipper-elasticsearch.conf" \
	    > "$D/shipper.conf"
	fi_metrics_conf >> "$D/shipper.conf"
	$ESCTL "$ES_PORT" reset > /dev/null
	FI_ENV=""
}

count() {
	$ESCTL "$ES_PORT" count 'spire-logs-*' 2>/dev/null
}

expected() {	# expected DIR — WARN/ERROR + audit records of a corpus
	echo $(( $(json_get "$1/manifest.json" totals.warn_error_records) + \
	    $(json_get "$1/manifest.json" totals.audit_not_warn_error) ))
}

# exact NAME — the emulator holds exactly the generator's records of $D.
exact() {
	$LINES docs "$ES_PORT" 'spire-logs-*' > "$D/docs"
	$OUTCOUNT --expected "$D/logs/expected_kept.tsv" --audit "$D/docs" \
	    > "$D/count" 2>&1
	_rc=$?
	tap_ok $_rc "$1: exactly the expected records, none missing, none twice"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$D/count" | head -5
}

follow_gen() {	# follow_gen GEN-ARGS... — the generator in the background (G)
	$GEN --out "$D/logs" --quiet --follow --files 3 --format mixed \
	    --inner mixed --rotate-every 400 "$@" &
	G=$!
	TAP_PIDS="$TAP_PIDS $G"
}

lines_read() {
	metric spire_shipper_input_lines_total type=tail
}

# enospc_start NAME SEED DURATION — a shipper whose state directory is
# full while $D/full exists, and the generator.
enospc_start() {
	es_case "$1"
	FI_ENV="LD_PRELOAD=$SHIM FAULT_ENOSPC_DIR=$D/state \
FAULT_ENOSPC_FLAG=$D/full FAULT_ENOSPC_PARTIAL=1"
	fi_start
	follow_gen --seed "$2" --rate 400 --duration "$3"
}

# --- a full disk, and space again -------------------------------------------
enospc_start enospc 41 10
sleep 3
touch "$D/full"
wait_for 10 sh -c "[ \"\$($LINES metric $MPORT \
    spire_shipper_buffer_write_errors_total)\" -ge 1 ]"
tap_ok $? "full disk: the failed writes are counted"
r1=$(lines_read)
# A pod starts while the disk is full: its pos entry cannot be written.
newpod="$D/logs/spire-agent-newpod_spire-system_spire-agent-$(printf '%064d' 9).log"
for i in 1 2 3 4 5 6 7 8 9 10; do
	printf '2024-05-01T08:00:0%d.000000001Z stdout F {"level":"info","msg":"new %d","time":"2024-05-01T08:00:00Z"}\n' \
	    $((i % 10)) "$i"
done > "$newpod"
sleep 2
r2=$(lines_read)
tap_is "$r2" "$r1" "full disk: the tail stops reading (lines read stay at $r1)"
$LINES get "$MPORT" /ready > "$D/ready"
tap_grep "buffer chunk $D/state/buffer/.*No space left on device.*free space" \
    "$D/ready" "full disk: /ready says why, and what to do"
$LINES chunks "$D/state/buffer" --whole > "$D/chunks"
tap_ok $? "full disk: half-written appends were undone, no torn chunk"
rm "$D/full"
wait $G
want=$(expected "$D/logs")
lines=$(( $(json_get "$D/logs/manifest.json" totals.logical_lines) + 10 ))
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
tap_is "$(count)" "$want" "full disk: every record arrives once space is back"
wait_for 20 sh -c "[ \"\$($LINES metric $MPORT spire_shipper_input_lines_total \
    type=tail)\" = $lines ]"
tap_is "$(lines_read)" "$lines" "full disk: each line read once, none twice"
kept=$(metric spire_shipper_records_delivered_total)
drop=$(metric spire_shipper_records_dropped_total)
tap_is "$((kept + drop))" "$lines" "full disk: lines = delivered + dropped, exactly"
fi_stop
tap_is "$FI_RC" 0 "full disk: the shipper stops with 0"
tap_is "$(grep -c 'reading stops' "$D/shipper.log")" 1 \
    "full disk: one error for the whole outage"
tap_grep "No space left on device.*reading stops" "$D/shipper.log" \
    "full disk: the error says what happened"
tap_grep "delivered again after [0-9]+ failed attempts; reading resumes" \
    "$D/shipper.log" "full disk: and that it is over"
tap_grep "^$newpod	$(printf '%016x' $(wc -c < "$newpod"))	" \
    "$D/state/spire-agent.log.pos" \
    "full disk: the pod started meanwhile has its position saved once it can be"
exact "full disk"

# --- stopped while the disk is full -----------------------------------------
enospc_start enospc-stop 42 8
sleep 2
touch "$D/full"
sleep 2
fi_stop
tap_is "$FI_RC" 0 "full disk, stopped: exits 0"
$LINES chunks "$D/state/buffer" --whole > "$D/chunks"
tap_ok $? "full disk, stopped: every chunk left on disk is whole"
rm "$D/full"
fi_start
wait $G
want=$(expected "$D/logs")
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
fi_stop
if grep -Eq 'damaged|torn' "$D/shipper.log"; then r=1; else r=0; fi
tap_ok $r "full disk, stopped: the next start finds no damaged chunk"
exact "full disk, stopped"

# --- damaged chunk files ----------------------------------------------------
# With Elasticsearch down the records wait in small chunks; the shipper
# stops, four chunks are damaged (a flipped byte in a document, in a
# length, a file cut short, a damaged magic), and the next start sends
# all but the three entries damaged.
es_case chunks -e '/queue_limit_length/d' \
    -e 's/chunk_limit_size 2M/chunk_limit_size 16k\n    total_limit_size 64m/'
fi_start
wait_for 20 grep -q 'installed .*_index_template' "$D/shipper.log"
kill -USR1 "$ES_PID"	# down
$GEN --out "$D/logs" --quiet --seed 43 --files 3 --format mixed \
    --inner mixed --lines 6000
want=$(expected "$D/logs")
wait_metric 60 spire_shipper_buffer_records_total "$want"
tap_is "$(metric spire_shipper_buffer_records_total)" "$want" \
    "damaged chunks: every record is in the buffer"
fi_stop
$LINES damage "$D/state/buffer" "$D/damage.json"
tap_ok $? "damaged chunks: four chunk files damaged"
tap_is "$(json_get "$D/damage.json" ids | tr -cd , | wc -c)" "$((want - 1))" \
    "damaged chunks: the chunks held every record"
lost=$("$PYTHON3" -c 'import json, sys
print(len(json.load(open(sys.argv[1]))["lost"]))' "$D/damage.json")
kill -USR2 "$ES_PID"	# up
fi_start
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $((want - lost)) ]"
tap_is "$(count)" "$((want - lost))" \
    "damaged chunks: all but the $lost damaged entries are delivered"
$LINES docids "$ES_PORT" 'spire-logs-*' > "$D/have"
"$PYTHON3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for i in sorted(set(d["ids"]) - set(d["lost"])):
    print(i)' "$D/damage.json" > "$D/should"
cmp -s "$D/have" "$D/should"
tap_ok $? "damaged chunks: exactly the undamaged entries, each once"
tap_is "$(( $(metric spire_shipper_buffer_corrupt_records_total) + \
    $(metric spire_shipper_buffer_torn_records_total) ))" "$lost" \
    "damaged chunks: the lost entries are counted"
tap_is "$(metric spire_shipper_buffer_corrupt_chunks_total)" 3 \
    "damaged chunks: three damaged inside, one torn at its end"
tap_is "$(ls "$D/state/buffer/"*.corrupt 2>/dev/null | wc -l)" 3 \
    "damaged chunks: the damaged files are kept as .corrupt"
tap_grep 'is damaged .* good entries are kept and will be sent; the damaged file is kept as .*\.corrupt' \
    "$D/shipper.log" "damaged chunks: and the log says so"
tap_grep 'ended in a torn write .* entries lost' "$D/shipper.log" \
    "damaged chunks: the torn one too"
fi_stop
tap_is "$FI_RC" 0 "damaged chunks: the shipper stops with 0"

# --- a file deleted while the tail waits --------------------------------------
# No grep: every line is a document; a small buffer fills while the
# emulator is down, so the file is deleted half read.
es_case deleted
"$PYTHON3" - "$D/shipper.conf" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"<filter kubernetes\.spire\.\*\*>\n  @type grep\n.*?</filter>\n", "",
           s, flags=re.S)
s = s.replace("chunk_limit_size 2M", "chunk_limit_size 16k\n    total_limit_size 64k")
s = s.replace("    queue_limit_length 8\n", "")
open(p, "w").write(s)
PY
fi_start
wait_for 20 grep -q 'installed .*_index_template' "$D/shipper.log"
kill -USR1 "$ES_PID"
$LINES many "$D/logs" 1 3000 > /dev/null
r1=0 r2=-1 i=0
# until it has read, then stopped
while { [ "$r1" != "$r2" ] || [ "${r2:-0}" -le 0 ]; } && [ $i -lt 20 ]; do
	r1=$r2
	sleep 1
	r2=$(lines_read)
	i=$((i + 1))
done
[ "$r1" = "$r2" ] && [ "$r1" -gt 0 ] && [ "$r1" -lt 3000 ]
tap_ok $? "deleted: the tail waits on the full buffer half way ($r1 of 3000 lines)"
rm "$D/logs/"*.log
kill -USR2 "$ES_PID"
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = 3000 ]"
$LINES docs "$ES_PORT" 'spire-logs-*' > "$D/docs"
$LINES want 1 3000 > "$D/want"
$LINES compare "$D/docs" "$D/want" > "$D/compare"
tap_ok $? "deleted: the deleted file is read to its end, every line once"
wait_metric 20 spire_shipper_files_watched 0
tap_is "$(metric spire_shipper_files_watched)" 0 "deleted: and then let go"
fi_stop
tap_is "$FI_RC" 0 "deleted: the shipper stops with 0"

# --- the wall clock steps back an hour ------------------------------------
es_case clock
FI_ENV="LD_PRELOAD=$SHIM FAULT_CLOCK_FLAG=$D/stepped FAULT_CLOCK_STEP=-3600"
fi_start
follow_gen --seed 44 --rate 300 --duration 12
sleep 2
touch "$D/stepped"
sleep 1
c1=$(count); p1=$(metric spire_shipper_pos_file_writes_total)
wait_for 10 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" -gt $c1 ]"
tap_ok $? "clock back: the flush timer goes on ($c1, then $(count) documents)"
wait_for 10 sh -c "[ \"\$($LINES metric $MPORT \
    spire_shipper_pos_file_writes_total)\" -gt $p1 ]"
tap_ok $? "clock back: positions are written ($p1, then \
$(metric spire_shipper_pos_file_writes_total) writes)"
kill -USR1 "$ES_PID"
sleep 2
kill -USR2 "$ES_PID"
c3=$(count)
wait_for 10 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" -gt $c3 ]"
tap_ok $? "clock back: retries go on after an outage ($c3, then $(count) documents)"
rm "$D/stepped"	# and an hour forward again
wait $G
want=$(expected "$D/logs")
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
tap_is "$(count)" "$want" "clock back: every record arrives"
n=$(metric spire_shipper_output_retries_total)
[ "${n:-0}" -ge 1 ]
tap_ok $? "clock back: the outage was retried ($n failed attempts)"
fi_stop
tap_is "$FI_RC" 0 "clock back: the shipper stops with 0"
"$PYTHON3" -c 'import re, sys, calendar, time
ts = [calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
      for m in re.finditer(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z",
                           open(sys.argv[1]).read(), re.M)]
sys.exit(not any(b < a - 3000 for a, b in zip(ts, ts[1:])))' "$D/shipper.log"
tap_ok $? "clock back: the shipper did see its clock step back"
exact "clock back"

# --- SIGTERM under load --------------------------------------------------------
# A memory buffer holds five seconds of records: SIGTERM must send them
# before exiting (flush_at_shutdown), the restart goes on from there.
es_case sigterm -e 's/@type file/@type memory/' -e '/buffer"$/d' \
    -e 's/flush_interval 1s/flush_interval 5s/'
fi_start
follow_gen --seed 45 --rate 1500 --duration 10 --files 4
sleep 4
fi_stop
tap_is "$FI_RC" 0 "SIGTERM under load: exits 0"
tap_le "$FI_STOP_MS" 25000 "SIGTERM under load: within the shutdown time ($FI_STOP_MS ms)"
tap_grep 'Terminated: stopping' "$D/shipper.log" "SIGTERM under load: says it stops"
if grep -q 'were not delivered before exiting' "$D/shipper.log"; then r=1; else r=0; fi
tap_ok $r "SIGTERM under load: the memory buffer was flushed"
fi_start
wait $G
want=$(expected "$D/logs")
wait_for 60 sh -c "[ \"\$($ESCTL $ES_PORT count 'spire-logs-*')\" = $want ]"
fi_stop
exact "SIGTERM under load"

tap_done
