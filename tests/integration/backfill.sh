#!/bin/sh
# backfill.sh — --backfill of generated SPIRE corpora (Docker, CRI and
# mixed envelopes, JSON and text inner lines, 1% bad lines of every kind,
# rotated .1 and .2.gz files) with the shipped configuration writes
# exactly the generator's WARN/ERROR records plus SPIRE's audit records,
# accounts for every line, and exits 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

conf_for() {	# conf_for OUT — the shipped configuration, writing to OUT
	sed "s|path /var/log/spire-shipper/spire-security.ndjson|path $1|" \
	    "$top_srcdir/templates/spire-shipper.conf"
}

# check_corpus NAME GEN-ARGS... — generate, backfill, compare.
check_corpus() {
	name=$1; shift
	$GEN --out "$WORK/$name" --quiet "$@" || { tap_ok 1 "$name: generate"; return; }
	conf_for "$WORK/$name.ndjson" > "$WORK/$name.conf"
	"$SHIPPER" -c "$WORK/$name.conf" --backfill "$WORK/$name" \
	    --summary-json "$WORK/$name.json" > /dev/null 2> "$WORK/$name.err"
	tap_is $? 0 "$name: backfill exits 0"
	$OUTCOUNT --expected "$WORK/$name/expected_kept.tsv" --audit \
	    "$WORK/$name.ndjson" > "$WORK/$name.count"
	tap_ok $? "$name: exactly the expected WARN/ERROR and audit records, no duplicate, none missing"
	m="$WORK/$name/manifest.json"; s="$WORK/$name.json"
	tap_is "$(json_get "$s" lines)" "$(json_get "$m" totals.logical_lines)" \
	    "$name: every logical line was read"
	tap_is "$(json_get "$s" physical_lines)" \
	    "$(json_get "$m" totals.physical_lines)" "$name: every physical line was read"
	tap_is "$(json_get "$s" partial_lines)" \
	    "$(json_get "$m" totals.partial_lines)" "$name: partial lines were joined"
	kept=$(json_get "$s" records_out); drop=$(json_get "$s" dropped.grep)
	tap_is "$((kept + drop))" "$(json_get "$s" lines)" \
	    "$name: lines = delivered + dropped"
	want=$(( $(json_get "$m" totals.warn_error_records) + \
	    $(json_get "$m" totals.audit_not_warn_error) ))
	tap_is "$kept" "$want" "$name: delivered = WARN/ERROR + audit records"
}

check_corpus mixed --seed 3 --files 6 --format mixed --inner mixed \
    --lines 20000 --bad-rate 0.01 --each-bad-kind --gzip
check_corpus docker --seed 4 --files 3 --format docker --inner json \
    --lines 6000 --bad-rate 0.01 --gzip --rotations 3
check_corpus cri --seed 5 --files 3 --format cri --inner text \
    --lines 6000 --bad-rate 0.01 --cri-tz-offset 120
check_corpus kubelet --seed 6 --files 3 --format mixed --inner json \
    --lines 6000 --bad-rate 0.01 --gzip --rotations 3 --rotate-naming kubelet

# The bundled sample (README command 1) is whole and ships exactly.
cp -r "$top_srcdir/tests/sample" "$WORK/sample"
chmod -R u+w "$WORK/sample"
conf_for "$WORK/sample.ndjson" > "$WORK/sample.conf"
"$SHIPPER" -c "$WORK/sample.conf" --backfill "$WORK/sample" \
    --summary-json "$WORK/sample.json" > /dev/null 2>&1
tap_is $? 0 "sample: backfill exits 0"
tap_is "$(json_get "$WORK/sample.json" files_read)" \
    "$(json_get "$WORK/sample/manifest.json" totals.files)" \
    "sample: every file of its manifest is there and read"
$OUTCOUNT --expected "$WORK/sample/expected_kept.tsv" --audit \
    "$WORK/sample.ndjson" > /dev/null
tap_ok $? "sample: exactly its WARN/ERROR and audit records"

# Without the grep every line is a record, and every bad one is counted
# by kind exactly as the generator made it.
pipeline_conf "/var/log/containers/*.log" "$WORK/unused.pos" \
    "$WORK/all.ndjson" 0 > "$WORK/all.conf"
"$SHIPPER" -c "$WORK/all.conf" --backfill "$WORK/mixed" \
    --summary-json "$WORK/all.json" > /dev/null 2>&1
tap_is $? 0 "no grep: backfill exits 0"
m="$WORK/mixed/manifest.json"
tap_is "$(json_get "$WORK/all.json" records_out)" \
    "$(json_get "$m" totals.logical_lines)" "no grep: every line is delivered"
for kind in empty oversized embedded_nul invalid_utf8 foreign_text \
    deep_nesting truncated; do
	tap_is "$(json_get "$WORK/all.json" bad.$kind)" \
	    "$(json_get "$m" totals.bad.$kind)" "no grep: bad lines of kind $kind"
done
n=$(grep -c '"parse_error":' "$WORK/all.ndjson")
tap_is "$n" "$(json_get "$m" totals.bad_total)" \
    "no grep: each bad line is kept with a parse_error field"
$OUTCOUNT "$WORK/all.ndjson" > "$WORK/all.count" 2>&1
tap_is "$(json_get "$WORK/all.count" invalid_lines)" 0 \
    "no grep: the output is valid JSON in valid UTF-8"

# The same backfill again gives the same records.
conf_for "$WORK/again.ndjson" > "$WORK/again.conf"
"$SHIPPER" -c "$WORK/again.conf" --backfill "$WORK/mixed" > /dev/null 2>&1
sort "$WORK/mixed.ndjson" > "$WORK/a.sorted"
sort "$WORK/again.ndjson" > "$WORK/b.sorted"
cmp -s "$WORK/a.sorted" "$WORK/b.sorted"
tap_ok $? "a repeated backfill writes the same records"

# Shards split the files: together they are the whole, each file once.
: > "$WORK/shards.ndjson"
for i in 0 1 2; do
	conf_for "$WORK/shard$i.ndjson" > "$WORK/shard$i.conf"
	"$SHIPPER" -c "$WORK/shard$i.conf" --backfill "$WORK/mixed" \
	    --shard $i/3 --summary-json "$WORK/shard$i.json" > /dev/null 2>&1
	tap_is $? 0 "shard $i/3 exits 0"
	[ -f "$WORK/shard$i.ndjson" ] && cat "$WORK/shard$i.ndjson" >> "$WORK/shards.ndjson"
done
sort "$WORK/shards.ndjson" > "$WORK/c.sorted"
cmp -s "$WORK/a.sorted" "$WORK/c.sorted"
tap_ok $? "three shards together write exactly the records of one backfill"
f=0; for i in 0 1 2; do f=$((f + $(json_get "$WORK/shard$i.json" files_read))); done
tap_is "$f" "$(json_get "$WORK/mixed.json" files_read)" "each file is read by one shard"

# A damaged archive fails the run (exit 1) but the rest is delivered.
mkdir "$WORK/damaged"
cp "$WORK/docker/"*.log "$WORK/damaged/"
gz=$(ls "$WORK/docker/"*.gz | head -1)
head -c 20000 "$gz" > "$WORK/damaged/$(basename "$gz")"
conf_for "$WORK/damaged.ndjson" > "$WORK/damaged.conf"
"$SHIPPER" -c "$WORK/damaged.conf" --backfill "$WORK/damaged" \
    --summary-json "$WORK/damaged.json" > /dev/null 2> "$WORK/damaged.err"
tap_is $? 1 "a truncated .gz makes the backfill exit 1"
tap_grep 'gzip data ends early' "$WORK/damaged.err" "and says which archive and why"
tap_is "$(json_get "$WORK/damaged.json" read_errors)" 1 "one read error is counted"
n=$(wc -l < "$WORK/damaged.ndjson")
[ "$n" -gt 0 ]
tap_ok $? "the readable files were still delivered ($n records)"

tap_done
