#!/bin/sh
# limits.sh — every size a peer or a log file decides is bounded. From
# Elasticsearch (the emulator's "oversize" faults) a body without end, a
# Content-Length of 1 TiB, headers without end, a bulk response nested
# 100000 deep and an error body nested 1000000 deep each fail that bulk
# request with a clear reason, in bounded memory, and the chunk is
# retried until Elasticsearch answers properly: then every record is
# indexed, once. From the API server (its fake) an endless body, an
# endless watch line, endless headers and a Pod nested 2000000 deep each
# fail that request clearly while records go on. A log line of 40 MB is
# cut at max_line_size, one nested 200000 deep is a bad line, and the
# shipper's own HTTP endpoint refuses 1 MiB of request headers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

. "$top_srcdir/tests/peers.sh"
MIB=1048576
corpus 17 400

source_conf() {	# source_conf NAME — the corpus, NAME's pos file
	tail_conf "$WORK/$1.pos"
}

# hwm PID — the process's peak resident memory in bytes.
hwm() {
	echo $(( $(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
	    "/proc/$1/status") * 1024 ))
}

# matches PATTERN FILE — how many lines of FILE match; reached PATTERN
# FILE N — at least N do.
matches() {
	grep -Ec -- "$1" "$2"
}
reached() {
	[ "$(matches "$1" "$2")" -ge "$3" ]
}

# --- Elasticsearch ---------------------------------------------------------------
es_start es || tap_ok 1 "the emulator starts"
{ source_conf es; cat <<CONF
<match kubernetes.**>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  request_timeout 30s
  <buffer>
    @type file
    path $WORK/es.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
} > "$WORK/es.conf"

$ESCTL "$ES_PORT" faults '{"oversize": "endless_body"}' > /dev/null
"$SHIPPER" -c "$WORK/es.conf" > /dev/null 2> "$WORK/es.log" &
SP=$!
TAP_PIDS="$TAP_PIDS $SP"

# fault MODE PATTERN — with that oversize fault on, the log gets two new
# failed attempts of the chunk whose reason matches PATTERN: each
# attempt failed, and was retried.
fault() {
	$ESCTL "$ES_PORT" faults "{\"oversize\": \"$1\"}" > /dev/null
	_p="failed to flush chunk .*: POST http://127\.0\.0\.1:$ES_PORT/_bulk: $2"
	_n=$(( $(matches "$_p" "$WORK/es.log") + 2 ))
	wait_for 120 reached "$_p" "$WORK/es.log" $_n
	tap_ok $? "ES $1: the bulk request fails with \"$2\", and is retried"
}
fault endless_body "no response: response larger than 64 MiB: refused"
# Under valgrind the peak is valgrind's; ASan keeps freed memory in
# quarantine.
if [ -n "${SHIPPER_WRAPPER:-}" ] || grep -q __asan_init "$SHIPPER" 2> /dev/null; then
	tap_skip "ES endless_body: memory stays bounded" "an instrumented shipper: its peak memory is not its own"
else
	peak=$(hwm $SP)
	tap_ok "$(test "$peak" -lt $((160 * MIB)); echo $?)" \
	    "ES endless_body: the shipper's peak memory stays bounded ($((peak / MIB)) MiB < 160)"
fi
$ESCTL "$ES_PORT" stats > "$WORK/es.stats"
"$PYTHON3" - "$WORK/es.stats" <<'PY' > "$WORK/es.per"
import json, sys
s = json.load(open(sys.argv[1]))
n = sum(r.get("oversize", 0) for r in s["requests"].values())
print("%d %d" % (s["oversize_bytes_sent"] // max(n, 1), n))
PY
read per n < "$WORK/es.per"
tap_ok "$(test "$per" -lt $((96 * MIB)); echo $?)" \
    "ES endless_body: read no further than the limit ($((per / MIB)) MiB sent per request on average, $n requests)"
fault huge_length "no response: response larger than 64 MiB: refused"
fault endless_headers "no response: response headers larger than 64 KiB: refused"
fault deep_items "HTTP 200 but not a bulk response: nested too deep"
fault deep_error "HTTP 500: JSON nested deeper than 200 levels \(refused unread\)"
$ESCTL "$ES_PORT" faults '{"oversize": null}' > /dev/null
es_all() { [ "$($ESCTL "$ES_PORT" count '*' 2> /dev/null)" = "$LINES" ]; }
wait_for 60 es_all
tap_ok $? "ES: once the answers are sane, every record is indexed ($LINES)"
kill -TERM $SP
wait $SP
tap_is $? 0 "ES: the shipper never crashed, and stops cleanly"
$ESCTL "$ES_PORT" request POST /_refresh > /dev/null
tap_is "$($ESCTL "$ES_PORT" count '*')" "$LINES" "ES: none twice"

# --- the API server ----------------------------------------------------------------
fake_start tok
echo tok > "$WORK/token"
ctl() {
	fake_ctl "$1"
}

# kube_conf MODE WATCH — the corpus through the filter, with the fake's
# oversize MODE on, into kube-MODE.ndjson.
kube_conf() {
	ctl "/_fake/oversize?mode=$1" > /dev/null
	ctl "/_fake/counts?reset=1" > /dev/null
	{ source_conf "kube-$1"; cat <<CONF
<filter kubernetes.**>
  @type kubernetes_metadata
  kubernetes_url $KURL
  ca_file $WORK/ktls/ca.crt
  bearer_token_file $WORK/token
  watch $2
  # 64 MiB over TLS take longer than the default 10 s under valgrind.
  read_timeout 120
</filter>
<match kubernetes.**>
  @type file
  path $WORK/kube-$1.ndjson
</match>
CONF
	} > "$WORK/kube-$1.conf"
}
# oversized — how many answers the fake made oversize since kube_conf.
oversized() {
	ctl /_fake/counts > "$WORK/counts.json"
	json_get "$WORK/counts.json" classes.oversize 2> /dev/null || echo 0
}
# kube MODE WATCH PATTERN — the shipper following with kube_conf MODE
# WATCH until PATTERN is in its log and every record is out; stopped.
kube() {
	kube_conf "$1" "$2"
	K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/kube-$1.conf" > /dev/null \
	    2> "$WORK/kube-$1.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
	wait_for 150 grep -Eq -- "$3" "$WORK/kube-$1.log"
	tap_ok $? "API $1: the request fails with \"$3\""
	wait_for 60 reached . "$WORK/kube-$1.ndjson" "$LINES"
	tap_ok $? "API $1: every record is passed on all the same"
}
stop() {	# stop NAME — SIGTERM: it stops cleanly
	kill -TERM $SP
	wait $SP
	tap_is $? 0 "API $1: the shipper stops cleanly"
}
kube body false "looking up pod [^:]*: GET $KURL/api/v1/[^ ]*: an answer larger than 64 MiB: refused; records go on"
ctl /_fake/counts > "$WORK/kube-body.counts"
stop body
"$PYTHON3" - "$WORK/kube-body.counts" <<'PY' > "$WORK/kube.per"
import json, sys
c = json.load(open(sys.argv[1]))
print(c["paths"].get("oversize bytes", 0) // max(c["classes"].get("oversize", 0), 1))
PY
per=$(cat "$WORK/kube.per")
tap_ok "$(test "$per" -lt $((96 * MIB)); echo $?)" \
    "API body: read no further than the limit ($((per / MIB)) MiB sent per request on average)"
kube watch_body true "watching pods: GET $KURL/api/v1/pods[^ ]*watch=true[^ ]*: a watch event larger than 16 MiB: refused; retrying with backoff"
retried() { [ "$(oversized)" -ge 3 ]; }
wait_for 60 retried
tap_ok $? "API watch_body: the watch is retried (and refused again: $(oversized) times)"
stop watch_body
kube headers false "GET $KURL/api/v1/[^ ]*: response headers larger than 64 KiB: refused"
stop headers
kube deep false "the answer is not a Pod: JSON nested deeper than 128 levels"
stop deep
kube off false "started"
stop off
if [ -n "${SHIPPER_WRAPPER:-}" ]; then
	tap_skip "API: once the answers are sane, every record gets its metadata" \
	    "a record waits 250 ms at most for it, less than a TLS handshake under $SHIPPER_WRAPPER"
else
	fake_complete "$WORK/kube-off.ndjson"
	tap_ok $? "API: once the answers are sane, every record gets its metadata"
fi

# --- log lines ---------------------------------------------------------------------
"$PYTHON3" - "$WORK/lines.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    cri = "2024-05-01T00:00:00.000000000Z stdout F "
    f.write(cri + '{"level":"error","msg":"before"}\n')
    f.write(cri + '{"msg":"' + "x" * (40 << 20) + '"}\n')
    f.write(cri + '{"msg":' + "[" * 200000 + "]" * 200000 + '}\n')
    f.write(cri + '{"level":"error","msg":"after"}\n')
PY
pipeline_conf "$WORK/lines.log" "$WORK/lines.pos" "$WORK/lines.ndjson" 0 \
    > "$WORK/lines.conf"
"$SHIPPER" -c "$WORK/lines.conf" --backfill "$WORK/lines.log" --no-progress \
    --summary-json "$WORK/lines.json" > /dev/null 2> "$WORK/lines.err"
tap_is $? 0 "a 40 MB line and a line nested 200000 deep: the backfill exits 0"
tap_is "$(json_get "$WORK/lines.json" truncated)" 1 "the 40 MB line is cut at max_line_size"
tap_is "$(json_get "$WORK/lines.json" bad.deep_nesting)" 1 "the deep line is a bad line (deep_nesting)"
grep -c '"msg":"before"\|"msg":"after"' "$WORK/lines.ndjson" > "$WORK/lines.n"
tap_is "$(cat "$WORK/lines.n")" 2 "the lines around them are records"
tap_ok "$(test "$(wc -c < "$WORK/lines.ndjson")" -lt $((4 * MIB)); echo $?)" \
    "no record holds the 40 MB"

# --- the shipper's own endpoint ----------------------------------------------------
PORT=$(free_port)
printf '<source>\n  @type prometheus\n  bind 127.0.0.1\n  port %s\n</source>\n' \
    "$PORT" > "$WORK/http.conf"
"$SHIPPER" -c "$WORK/http.conf" > /dev/null 2> "$WORK/http.log" &
SP=$!
TAP_PIDS="$TAP_PIDS $SP"
# get HEADER-BYTES — the status line of a GET /metrics with that many
# bytes of extra headers.
get() {
	"$PYTHON3" - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(int(sys.argv[2]) // 1012))
try:
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + pad + b"\r\n")
except OSError:
    pass
print(s.makefile("rb").readline().decode().strip())
PY
}
wait_for 30 get 0 > /dev/null
tap_is "$(get $MIB)" "HTTP/1.1 431 Request Header Fields Too Large" \
    "/metrics with 1 MiB of request headers: 431"
tap_is "$(get 0)" "HTTP/1.1 200 OK" "and the endpoint still answers"
kill -TERM $SP
wait $SP
tap_is $? 0 "the shipper stops cleanly"

tap_done
