#!/bin/sh
# es_connection.sh — what the Elasticsearch output's requests meet on
# their way, against the strict ES 8 emulator, each case a backfill of
# one small corpus with the shipped configuration that must index its
# exact count: gzip bodies (compression_level); a 413 (a node's
# http.max_content_length) halves a bulk until it fits; `hosts` takes
# two nodes in turn, and goes on with one when the other goes away
# mid-run; a whole-request 401 or 403 is logged once per retry interval
# with Elasticsearch's reason, retried, and the records go as soon as
# the credentials or privileges are fixed; an API key logs in.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib_outputs.sh"

C="$WORK/corpus"
$GEN --out "$C" --quiet --seed 41 --files 3 --format mixed --inner mixed \
    --lines 3000 --bad-rate 0
want=$(kept_count "$C")
es_conf "$WORK/base.conf"

# conf NAME CHUNK-SIZE [PARAM-LINE...] — base.conf with that
# chunk_limit_size and those lines in its <match>, as $WORK/NAME.conf.
conf() {
	_n=$1 _size=$2; shift 2
	for _l in "$@"; do printf '  %s\n' "$_l"; done > "$WORK/$_n.params"
	sed -e "s/chunk_limit_size 2M/chunk_limit_size $_size/" \
	    -e "/^  write_operation index\$/r $WORK/$_n.params" \
	    "$WORK/base.conf" > "$WORK/$_n.conf"
}

# backfill NAME — the corpus through $WORK/NAME.conf, in a fresh state
# directory; exit status, summary in NAME.json, log in NAME.err.
backfill() {
	state_use "$1"
	"$SHIPPER" -c "$WORK/$1.conf" --backfill "$C" --no-progress \
	    --summary-json "$WORK/$1.json" > /dev/null 2> "$WORK/$1.err"
}

stat() {	# stat PORT KEY — a value of the emulator's stats (0: none)
	$ESCTL "$1" stats "$2"
}

count_at() {	# count_at PORT — the documents in that emulator's spire-logs-*
	$ESCTL "$1" count 'spire-logs-*'
}

# --- gzip ---------------------------------------------------------------------
es_start gz || { tap_ok 1 "the emulator starts"; tap_done; }
conf gz 32k "compression_level best_speed"
backfill gz
tap_is $? 0 "gzip: the backfill exits 0"
tap_is "$(es_count)" "$want" "gzip: the exact count arrives"
es_exact gzip "$C"
n=$(stat "$ES_PORT" bulk_requests)
tap_ok "$([ "$n" -gt 1 ]; echo $?)" "gzip: several bulk requests ($n)"
tap_is "$(stat "$ES_PORT" gzip_requests)" "$n" \
    "gzip: every bulk request came with Content-Encoding: gzip"
wire=$(stat "$ES_PORT" bytes_received) plain=$(stat "$ES_PORT" bytes_decoded)
tap_ok "$([ $((wire * 3)) -lt "$plain" ]; echo $?)" \
    "gzip: less than a third of the bytes on the wire ($wire of $plain)"

# --- 413: halves until a bulk fits ----------------------------------------------
# The largest documents of the corpus are about 45 KB: every one fits in
# 64 KB alone, and 512 KB chunks are 413 whole.
es_start small --max-content-length 64kb
conf small 512k
backfill small
tap_is $? 0 "413: the backfill exits 0"
tap_is "$(es_count)" "$want" "413: the exact count arrives"
es_exact 413 "$C"
n=$(stat "$ES_PORT" requests./_bulk.413)
tap_ok "$([ "$n" -gt 0 ]; echo $?)" "413: bulks were refused as too large ($n)"
tap_is "$(stat "$ES_PORT" bulk_items)" "$want" \
    "413: each document was indexed once (halves send only what was not answered)"
tap_is "$(json_get "$WORK/small.json" dead_letters)" 0 \
    "413: no document given up"

# --- hosts: round robin, failover -------------------------------------------------
# Two emulators are two clusters, not two nodes of one: each gets the
# template and the policy a real cluster would share.
es_start a; A=$ES_PORT AP=$ES_PID
es_start b; B=$ES_PORT
templates() {	# templates PORT — the shipped ILM policy and index template in
	$ESCTL "$1" request PUT /_ilm/policy/spire-logs \
	    "$top_srcdir/templates/spire-logs-ilm.json" > /dev/null &&
	$ESCTL "$1" request PUT /_index_template/spire-logs \
	    "$top_srcdir/templates/spire-logs-template.json" > /dev/null
}
templates "$A" && templates "$B"
conf hosts 16k "hosts 127.0.0.1:$A,127.0.0.1:$B"
sed -i -e '/^  host /d' -e '/^  port /d' "$WORK/hosts.conf"
backfill hosts
tap_is $? 0 "round robin: the backfill exits 0"
na=$(stat "$A" bulk_requests) nb=$(stat "$B" bulk_requests)
tap_ok "$([ $((na * 3)) -ge $((na + nb)) ] && [ $((nb * 3)) -ge $((na + nb)) ]; echo $?)" \
    "round robin: both nodes take a share of the bulk requests ($na and $nb)"
tap_is "$(( $(count_at "$A") + $(count_at "$B") ))" "$want" \
    "round robin: the exact count over both"
es_exact rr "$C" "$A" "$B"

# One node goes away (connections refused, those open cut) after its
# third bulk; a latency makes sure that is mid-run.
$ESCTL "$A" reset > /dev/null
$ESCTL "$B" reset > /dev/null
templates "$A" && templates "$B"
for p in $A $B; do $ESCTL "$p" faults '{"latency_ms":50}' > /dev/null; done
backfill hosts & BF=$!
wait_for 30 sh -c "[ \$($ESCTL $A stats bulk_requests) -ge 3 ]"
kill -USR1 "$AP"
before=$(stat "$B" bulk_requests)
wait "$BF"
tap_is $? 0 "failover: the backfill exits 0 with one node gone"
tap_ok "$([ "$(stat "$B" bulk_requests)" -gt "$before" ]; echo $?)" \
    "failover: the other node took the rest"
kill -USR2 "$AP"	# up again, to read what it holds
wait_for 10 $ESCTL "$A" stats > /dev/null
ca=$(count_at "$A") cb=$(count_at "$B")
tap_diag "failover: $ca documents on the node that went away, $cb on the other ($((ca + cb - want)) on both)"
es_exact failover "$C" "$A" "$B"

# --- 401 and 403 ----------------------------------------------------------------------
# The shipper has the new password, Elasticsearch the old one until the
# operator sets it (the test's own requests use the new one: the
# emulator's control endpoints take none).
es_start auth --user elastic --password old-pw
P=$ES_PORT
ESCTL_PLAIN=$ESCTL
ESCTL="$ESCTL_PLAIN --user elastic:new-pw"

# refused NAME STATUS FIX-COMMAND... — the backfill NAME is refused with
# STATUS for 8 s, then FIX-COMMAND runs: the backfill ends within 5 s,
# everything indexed; STATUS logged with its reason once per retry
# interval (retry_wait 1 s, retry_max_interval 2 s: 2 to 7 lines), not
# per refusal nor per chunk (some 35 chunks, each retried).
refused() {
	_n=$1 _s=$2; shift 2
	rm -f "$WORK/$_n.rc"
	(backfill "$_n"; echo $? > "$WORK/$_n.rc") & BF=$!
	sleep 8
	_no=$($ESCTL "$P" stats requests | "$PYTHON3" -c 'import json, sys
print(sum(v.get(sys.argv[1], 0) for v in json.load(sys.stdin).values()))' "$_s")
	"$@" > /dev/null
	wait_for 5 test -s "$WORK/$_n.rc"
	tap_ok $? "$_n: the records go as soon as it is fixed (within 5 s)"
	wait "$BF"
	tap_is "$(cat "$WORK/$_n.rc")" 0 "$_n: the backfill exits 0"
	tap_is "$(es_count)" "$want" "$_n: the exact count arrives"
	_lines=$(grep -c "HTTP $_s" "$WORK/$_n.err")
	tap_ok "$([ "$_lines" -ge 2 ] && [ "$_lines" -le 7 ] && [ "$_no" -ge 3 ]; echo $?)" \
	    "$_n: retried, logged once per retry interval: $_lines lines for $_no refused requests in 8 s"
}

conf 401 16k "user elastic" "password new-pw"
cp "$WORK/401.conf" "$WORK/403.conf"
refused 401 401 $ESCTL "$P" auth '{"password":"new-pw"}'
tap_grep "HTTP 401: security_exception: unable to authenticate user \[elastic\].*check user and password" \
    "$WORK/401.err" "401: with Elasticsearch's reason and what to check"

$ESCTL "$P" reset > /dev/null
$ESCTL "$P" faults '{"status_override":403}' > /dev/null
refused 403 403 $ESCTL "$P" faults '{"status_override":null}'
tap_grep "HTTP 403: security_exception: action \[indices:data/write/bulk\] is unauthorized for user \[elastic\].*lack a privilege" \
    "$WORK/403.err" "403: with Elasticsearch's reason and what to grant"

# --- an API key ---------------------------------------------------------------------
$ESCTL "$P" reset > /dev/null
$ESCTL "$P" auth '{"user":null,"api_key":"c3BpcmU6a2V5LTE="}' > /dev/null
conf apikey 32k "api_key c3BpcmU6a2V5LTE="
backfill apikey
tap_is $? 0 "api_key: the backfill exits 0"
tap_is "$(stat "$P" auth_failures):$(stat "$P" auth_basic):$([ "$(stat "$P" auth_api_key)" -gt 0 ]; echo $?)" \
    0:0:0 "api_key: every request logged in with Authorization: ApiKey"
ESCTL="$ESCTL_PLAIN --api-key c3BpcmU6a2V5LTE="
tap_is "$(es_count)" "$want" "api_key: the exact count arrives"

tap_done
