#!/bin/sh
# tls.sh — TLS is verified by default, against Elasticsearch (the
# emulator over HTTPS), the Kubernetes API (its HTTPS fake) and Kafka (a
# TLS listener standing in for a broker: librdkafka's mock cluster is
# plaintext only). With the right CA records flow; with a wrong CA, or
# none (the system's CAs), the shipper says which host, which CA file and
# what to change, and loses nothing: Elasticsearch and Kafka records wait
# in the buffer (and reach Elasticsearch once the CA is right), the
# kubernetes filter passes records on without metadata.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/peers.sh"

if ! command -v openssl > /dev/null 2>&1; then
	echo "1..0 # SKIP openssl not found (Debian: apt-get install openssl)"
	exit 0
fi
certs "$WORK/tls" && certs "$WORK/other"
tap_ok $? "two CAs, each with a server certificate for 127.0.0.1"
RIGHT=$WORK/tls/ca.crt
WRONG=$WORK/other/ca.crt
corpus 11 500

# source_conf NAME — the corpus with NAME's own pos file.
source_conf() {
	tail_conf "$WORK/$1.pos"
}

# start NAME — the shipper following with NAME.conf (pid SP), its log in
# NAME.log; stop — SIGTERM, and its exit status.
start() {
	K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/$1.conf" > /dev/null \
	    2> "$WORK/$1.log" &
	SP=$!
	TAP_PIDS="$TAP_PIDS $SP"
}
stop() {
	kill -TERM "$SP"
	wait "$SP"
}

# follow_until NAME PATTERN — runs the shipper on NAME.conf until its log
# matches PATTERN (60 s at most), then stops it: 0 if it did.
follow_until() {
	start "$1"
	wait_for 60 grep -Eq -- "$2" "$WORK/$1.log"
	_r=$?
	stop
	return $_r
}

# chunk_records DIR — records in the buffer chunks of DIR (frames after
# the 8-byte magic: u32 length, u32 CRC, payload).
chunk_records() {
	"$PYTHON3" - "$1" <<'PY'
import glob, os, struct, sys
n = 0
for f in glob.glob(os.path.join(sys.argv[1], "*.chunk")):
    b = open(f, "rb").read()
    i = 8
    while i + 8 <= len(b):
        i += 8 + struct.unpack_from("<I", b, i)[0]
        n += 1
print(n)
PY
}

# --- turning verification off is said out loud ----------------------------------
{ source_conf off; cat <<CONF
<filter kubernetes.**>
  @type kubernetes_metadata
  kubernetes_url https://127.0.0.1:1
  verify_ssl false
</filter>
<match kubernetes.spire.server>
  @type elasticsearch
  scheme https
  ssl_verify false
</match>
<match kubernetes.other>
  @type kafka2
  default_topic t
  ssl_ca_cert $RIGHT
  ssl_verify_hostname false
</match>
<match kubernetes.third>
  @type kafka2
  default_topic t
  ssl_ca_certs_from_system true
  rdkafka_options {"enable.ssl.certificate.verification":"false"}
</match>
CONF
} > "$WORK/off.conf"
"$SHIPPER" -c "$WORK/off.conf" --dry-run > "$WORK/off.out" 2>&1
tap_is $? 0 "verification off passes --dry-run"
tap_grep "warning: kubernetes_metadata: verify_ssl false: the API server's certificate is not checked" \
    "$WORK/off.out" "--dry-run warns about verify_ssl false"
tap_grep "warning: ssl_verify false: the server's certificate is not checked" \
    "$WORK/off.out" "--dry-run warns about ssl_verify false"
tap_grep "warning: ssl_verify_hostname false: the broker's host name is not checked" \
    "$WORK/off.out" "--dry-run warns about ssl_verify_hostname false"
tap_grep "warning: rdkafka_options enable.ssl.certificate.verification false: the brokers' certificates are not checked" \
    "$WORK/off.out" "--dry-run warns about certificate verification turned off in rdkafka_options"

# --- Elasticsearch -------------------------------------------------------------
es_start es --tls-cert "$WORK/tls/server.crt" --tls-key "$WORK/tls/server.key" ||
    tap_ok 1 "the emulator starts with HTTPS"
ES="$ESCTL --cacert $RIGHT https://127.0.0.1:$ES_PORT"

# es_conf NAME STATE [CA-LINE] — the corpus into the emulator over
# HTTPS, the buffer in STATE.
es_conf() {
	source_conf "$2"
	cat <<CONF
<match kubernetes.**>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  scheme https
  $3
  <buffer>
    @type file
    path $WORK/$2.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
}

es_conf es-wrong es "ca_file $WRONG" > "$WORK/es-wrong.conf"
follow_until es-wrong "could not be verified"
tap_ok $? "ES, wrong CA: the shipper reports a certificate that does not verify"
tap_grep "POST https://127\.0\.0\.1:$ES_PORT/_bulk: no response: TLS: the server's certificate could not be verified with ca_file $WRONG \(SSL certificate problem: [^)]+\): set ca_file to the CA certificate that signed" \
    "$WORK/es-wrong.log" "ES, wrong CA: the message names the host, the CA file and what to do"
tap_is "$($ES stats bulk_requests)" 0 "ES, wrong CA: no bulk request got through"
tap_is "$(chunk_records "$WORK/es.buffer")" "$LINES" \
    "ES, wrong CA: every record waits in the buffer"

es_conf es-right es "ca_file $RIGHT" > "$WORK/es-right.conf"
start es-right
es_count() { [ "$($ES count '*' 2> /dev/null)" = "$LINES" ]; }
wait_for 60 es_count
tap_ok $? "ES, right CA: the records the wrong CA held back are all indexed ($LINES)"
stop
tap_is $? 0 "ES, right CA: the shipper stops cleanly"
tap_is "$(chunk_records "$WORK/es.buffer")" 0 "ES, right CA: the buffer is empty"
$ES request POST /_refresh > /dev/null
tap_is "$($ES count '*')" "$LINES" "ES, right CA: none twice"

es_conf es-default es-default "" > "$WORK/es-default.conf"
follow_until es-default "could not be verified"
tap_ok $? "ES, no ca_file and no ssl_verify: verification is on (the system's CAs refuse)"
tap_grep "TLS: the server's certificate could not be verified with the system's CA certificates \(no ca_file\)" \
    "$WORK/es-default.log" "ES, no ca_file: the message says which CAs were used"

# --- the Kubernetes API ----------------------------------------------------------
fake_start tok
echo tok > "$WORK/token"

# kube_run NAME [CA-LINE] — a backfill through the kubernetes filter
# into NAME.ndjson; its log in NAME.log.
kube_run() {
	{ source_conf "$1"; cat <<CONF
<filter kubernetes.**>
  @type kubernetes_metadata
  kubernetes_url $KURL
  bearer_token_file $WORK/token
  secret_dir $WORK/no-such-dir
  watch false
  $2
</filter>
<match kubernetes.**>
  @type file
  path $WORK/$1.ndjson
</match>
CONF
	} > "$WORK/$1.conf"
	K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/$1.conf" --backfill "$LOGS" \
	    --no-progress > /dev/null 2> "$WORK/$1.log"
}
records() {
	if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi
}

kube_run kube-right "ca_file $WORK/ktls/ca.crt"
tap_is $? 0 "API, right CA: the backfill exits 0"
tap_grep "kubernetes_metadata: API requests: ok [0-9]+ \(" "$WORK/kube-right.log" \
    "API, right CA: the API server answers, and every request succeeds"
if [ -n "${SHIPPER_WRAPPER:-}" ]; then
	tap_skip "API, right CA: every record carries its pod's metadata" \
	    "a record waits 250 ms at most for it, less than a TLS handshake under $SHIPPER_WRAPPER"
else
	fake_complete "$WORK/kube-right.ndjson"
	tap_ok $? "API, right CA: every record carries its pod's metadata"
fi

kube_run kube-wrong "ca_file $WRONG"
tap_is $? 0 "API, wrong CA: the backfill exits 0"
tap_is "$(records "$WORK/kube-wrong.ndjson")" "$LINES" \
    "API, wrong CA: every record is passed on all the same"
tap_grep "GET $KURL/api/v1/[^ ]*: TLS: the server's certificate could not be verified with ca_file $WRONG \(SSL certificate problem: [^)]+\): set ca_file to the CA certificate that signed" \
    "$WORK/kube-wrong.log" "API, wrong CA: the message names the host, the CA file and what to do"
tap_grep " $LINES records without metadata" "$WORK/kube-wrong.log" \
    "API, wrong CA: the records are counted as without metadata"

kube_run kube-default ""
tap_grep "GET $KURL/api/v1/[^ ]*: TLS: the server's certificate could not be verified with the system's CA certificates" \
    "$WORK/kube-default.log" "API, no ca_file and no verify_ssl: verification is on"

# --- Kafka ---------------------------------------------------------------------
# peer NAME — a TLS listener with the right CA's certificate; NAME.peer
# has a line per connection.
peer() {
	"$PYTHON3" "$top_srcdir/tests/tls_peer.py" --cert "$WORK/tls/server.crt" \
	    --key "$WORK/tls/server.key" --port-file "$WORK/$1.port" \
	    --log "$WORK/$1.peer" 2> /dev/null &
	TAP_PIDS="$TAP_PIDS $!"
	wait_for 10 test -s "$WORK/$1.port"
}
# kafka_conf NAME PARAMS — kafka2 to the listener of NAME, with the
# TLS (or SASL) parameters PARAMS.
kafka_conf() {
	source_conf "$1"
	cat <<CONF
<match kubernetes.**>
  @type kafka2
  brokers 127.0.0.1:$(cat "$WORK/$1.port")
  default_topic spire
  $2
  <buffer>
    @type file
    path $WORK/$1.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
}

peer kafka-wrong
kafka_conf kafka-wrong "ssl_ca_cert $WRONG" > "$WORK/kafka-wrong.conf"
follow_until kafka-wrong "set ssl_ca_cert"
tap_ok $? "Kafka, wrong CA: the shipper reports a certificate that does not verify"
tap_grep "ssl://127\.0\.0\.1:$(cat "$WORK/kafka-wrong.port")/.*certificate verify failed.*\(the broker's certificate could not be verified with ssl_ca_cert $WRONG: set ssl_ca_cert to the CA certificate that signed it; the records wait in the buffer\)" \
    "$WORK/kafka-wrong.log" "Kafka, wrong CA: the message names the broker, the CA file and what to do"
tap_grep '"handshake": "failed".*unknown ca' "$WORK/kafka-wrong.peer" \
    "Kafka, wrong CA: the broker saw the handshake refused (unknown CA)"
if grep -q '"handshake": "ok"' "$WORK/kafka-wrong.peer"; then r=1; else r=0; fi
tap_ok $r "Kafka, wrong CA: and never completed"
tap_is "$(chunk_records "$WORK/kafka-wrong.buffer")" "$LINES" \
    "Kafka, wrong CA: every record waits in the buffer"

# No ssl_ca_cert: TLS still verified, with the system's CA certificates,
# which do not know the test CA. Asked for by ssl_ca_certs_from_system,
# or implied by SASL, which goes over TLS unless sasl_over_ssl is false.
for how in system sasl; do
	peer "kafka-$how"
	case $how in
	system)	params="ssl_ca_certs_from_system true" ;;
	sasl)	params="username spire
  password secret" ;;
	esac
	kafka_conf "kafka-$how" "$params" > "$WORK/kafka-$how.conf"
	follow_until "kafka-$how" "set ssl_ca_cert"
	tap_ok $? "Kafka, no ssl_ca_cert ($how): the shipper reports a certificate that does not verify"
	tap_grep "ssl://127\.0\.0\.1:$(cat "$WORK/kafka-$how.port")/.*certificate verify failed.*\(the broker's certificate could not be verified with the system's CA certificates \(no ssl_ca_cert\): set ssl_ca_cert to the CA certificate that signed it; the records wait in the buffer\)" \
	    "$WORK/kafka-$how.log" "Kafka, no ssl_ca_cert ($how): the message names the broker, the system's CAs and what to do"
	tap_grep '"handshake": "failed".*unknown ca' "$WORK/kafka-$how.peer" \
	    "Kafka, no ssl_ca_cert ($how): the broker saw the handshake refused (unknown CA)"
	if grep -q '"handshake": "ok"' "$WORK/kafka-$how.peer"; then r=1; else r=0; fi
	tap_ok $r "Kafka, no ssl_ca_cert ($how): and never completed"
	tap_is "$(chunk_records "$WORK/kafka-$how.buffer")" "$LINES" \
	    "Kafka, no ssl_ca_cert ($how): every record waits in the buffer"
done

peer kafka-right
kafka_conf kafka-right "ssl_ca_cert $RIGHT" > "$WORK/kafka-right.conf"
# ApiVersions (key 18) is a Kafka client's first request: 4 bytes of
# size, then the key.
start kafka-right
wait_for 60 grep -q '"handshake": "ok", "first_bytes": "........0012' \
    "$WORK/kafka-right.peer"
tap_ok $? "Kafka, right CA: the handshake completes and the first Kafka request follows"
stop

tap_done
