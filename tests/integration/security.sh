#!/bin/sh
# security.sh — secrets never leave the configuration: an Elasticsearch
# password (from the environment, as the DaemonSet gives it) and API key,
# a secret custom header, a Kafka SASL password and a Kubernetes bearer
# token, all with distinctive values, appear neither in --dry-run's
# output, nor in the logs (text and log_format json, at trace level, of
# live runs where every one of them fails: 401s from the emulator and
# the API fake, refused connections, a broker that cannot do SASL), nor
# in /metrics, /api/plugins.json (include_config), /live, /ready or the
# dead-letter file; neither as given, nor base64'd in a Basic header. A
# URL with user:password@ is refused without being quoted, and nothing
# turns on curl's verbose output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/peers.sh"

MOCK="$top_builddir/tests/kafka_mock"
ES_PW=esPW-q7Zx3
ES_KEY=esKEY-m4Rt9
HDR=hdrSECRET-w8Lc2
KAFKA_PW=kafkaPW-h2Vd8
KUBE_TOKEN=kubeTOK-p5Ns1
KEY_PASS=keyPASS-j6Tb4
BASIC=$(printf 'elastic:%s' "$ES_PW" | base64)
SECRETS="$ES_PW $ES_KEY $HDR $KAFKA_PW $KUBE_TOKEN $KEY_PASS $BASIC"

# leaks FILE... — the secrets found in the files, one "secret in file"
# line each (none: no output).
leaks() {
	for s in $SECRETS; do
		for f in "$@"; do
			[ -f "$f" ] && grep -qF -- "$s" "$f" &&
			    echo "$s in $(basename "$f")"
		done
	done
}
# no_leak DESCRIPTION FILE...
no_leak() {
	_l=$(leaks "$@")
	tap_is "$_l" "" "$1"
}

corpus 13 300

# --- the peers, each refusing the shipper in its own way -----------------------
es_start es --user elastic --password "$ES_PW" --api-key the-real-key ||
    tap_ok 1 "the emulator starts"
# Every item the password gets in is rejected: dead letters.
$ESCTL --user "elastic:$ES_PW" "$ES_PORT" faults '{"item_403_rate": 1.0}' > /dev/null
fake_start another-token
echo "$KUBE_TOKEN" > "$WORK/token"
KAFKA=
if [ -x "$MOCK" ]; then
	mkfifo "$WORK/mock.cmd"
	mkdir "$WORK/mock"
	"$MOCK" "$WORK/mock" < "$WORK/mock.cmd" 2> "$WORK/mock.log" &
	TAP_PIDS="$TAP_PIDS $!"
	exec 3> "$WORK/mock.cmd"
	wait_for 10 test -s "$WORK/mock/bootstrap" &&
	    KAFKA=$(cat "$WORK/mock/bootstrap")
fi
CLOSED=$(free_port)

# conf NAME LOG-FORMAT MONITOR-PORT — four tails of the corpus (a tag
# each) through the kubernetes filter: .ok to Elasticsearch with the
# password (from ES_PASSWORD) and a secret header, .key with a wrong API
# key, .down to a closed port, .kafka over SASL to the mock cluster.
conf() {
	for t in ok key down kafka; do
		tail_conf "$WORK/$1.$t.pos" "s.$t"
	done
	cat <<CONF
<system>
  <log>
    format $2
  </log>
</system>
<source>
  @type monitor_agent
  bind 127.0.0.1
  port $3
  include_config true
  include_retry true
</source>
<filter s.**>
  @type kubernetes_metadata
  kubernetes_url $KURL
  ca_file $WORK/ktls/ca.crt
  bearer_token_file $WORK/token
  watch_retry_interval 1
</filter>
<match s.ok>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  user elastic
  password "#{ENV['ES_PASSWORD']}"
  custom_headers {"X-Secret":"$HDR"}
  client_key_pass $KEY_PASS
  dead_letter_path $WORK/$1.dead.ndjson
  <buffer>
    @type file
    path $WORK/$1.ok.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
<match s.key>
  @type elasticsearch
  host 127.0.0.1
  port $ES_PORT
  api_key $ES_KEY
  <buffer>
    @type file
    path $WORK/$1.key.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
<match s.down>
  @type elasticsearch
  hosts 127.0.0.1:$CLOSED
  user elastic
  password $ES_PW
  <buffer>
    @type file
    path $WORK/$1.down.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
	if [ -n "$KAFKA" ]; then cat <<CONF
<match s.kafka>
  @type kafka2
  brokers $KAFKA
  default_topic spire
  username alice
  password $KAFKA_PW
  sasl_over_ssl false
  rdkafka_options {"debug":"security,broker,conf"}
  <buffer>
    @type file
    path $WORK/$1.kafka.buffer
    flush_interval 1s
    retry_max_interval 1
  </buffer>
</match>
CONF
	else cat <<CONF
<match s.kafka>
  @type null
</match>
CONF
	fi
}

# --- --dry-run -----------------------------------------------------------------
conf dry text "$(free_port)" > "$WORK/dry.conf"
ES_PASSWORD=$ES_PW "$SHIPPER" -c "$WORK/dry.conf" --dry-run \
    > "$WORK/dry.out" 2>&1
tap_is $? 0 "--dry-run of the configuration with every secret passes"
tap_grep 'password \(secret, not shown\)' "$WORK/dry.out" "--dry-run lists the password as a secret"
no_leak "--dry-run shows no secret" "$WORK/dry.out"
want=4; [ -n "$KAFKA" ] && want=5
tap_is "$(leaks "$WORK/dry.conf" | grep -c "in dry.conf")" $want \
    "(the check finds the secrets where they are: $want of them in the file)"

# --- live runs, failing everywhere ----------------------------------------------
# run NAME FORMAT — a shipper at trace level with conf NAME FORMAT.
run() {
	_mp=$(free_port)
	eval "MP_$1=$_mp"
	conf "$1" "$2" "$_mp" > "$WORK/$1.conf"
	ES_PASSWORD=$ES_PW K8S_NODE_NAME=node-1 "$SHIPPER" -c "$WORK/$1.conf" \
	    --log-level trace > "$WORK/$1.out" 2> "$WORK/$1.log" &
	eval "SP_$1=$!"
	TAP_PIDS="$TAP_PIDS $!"
}
# failed_everywhere NAME — NAME's log shows each peer refusing it.
failed_everywhere() {
	test -s "$WORK/$1.dead.ndjson" &&
	    grep -q "HTTP 401.*api_key" "$WORK/$1.log" &&
	    grep -q "127.0.0.1:$CLOSED/_bulk: no response" "$WORK/$1.log" &&
	    grep -q "kubernetes_metadata: .*401" "$WORK/$1.log" &&
	    { [ -z "$KAFKA" ] || grep -q "_AUTHENTICATION" "$WORK/$1.log"; }
}
# scrape NAME PATH — GET PATH of NAME's monitor_agent into NAME.PATH.
scrape() {
	eval "_p=\$MP_$1"
	"$PYTHON3" -c 'import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(sys.argv[1], timeout=10)
except urllib.error.HTTPError as e:
    r = e
sys.stdout.write(r.read().decode())' "http://127.0.0.1:$_p$2" \
	    > "$WORK/$1$(echo "$2" | tr / .)"
}

run text text
run json json
for n in text json; do
	wait_for 90 failed_everywhere $n
	tap_ok $? "$n log: the emulator's 401, a refused connection, a dead letter, the API's 401${KAFKA:+, SASL failing} all happened"
	for p in /metrics /api/plugins.json /live /ready; do
		scrape $n $p
	done
	tap_grep '"password":"\(secret, not shown\)"|secret' "$WORK/$n.api.plugins.json" \
	    "$n: /api/plugins.json lists the configuration, the password masked"
	eval "kill -TERM \$SP_$n; wait \$SP_$n"
	tap_is $? 0 "$n: the shipper stops cleanly"
done
tap_grep '^\{"time":"[^"]+","level":"[a-z]+","message":' "$WORK/json.log" \
    "log_format json: the log is JSON lines"
n401=$($ESCTL --user "elastic:$ES_PW" "$ES_PORT" stats auth_failures)
tap_ok "$(test "$n401" -gt 0; echo $?)" "the emulator refused the wrong API key ($n401 times)"
head -1 "$WORK/text.dead.ndjson" > "$WORK/dead1.json"
tap_is "$(json_get "$WORK/dead1.json" status 2> /dev/null)" 403 \
    "the password got in: the emulator's 403 items are dead letters"
fake_ctl /_fake/counts > "$WORK/counts.json"
tap_ok "$(test "$(json_get "$WORK/counts.json" classes.401)" -gt 0; echo $?)" \
    "the API fake refused the token"
for n in text json; do
	no_leak "$n log (trace level): no secret" "$WORK/$n.log" "$WORK/$n.out"
	no_leak "$n: /metrics, /api/plugins.json, /live, /ready: no secret" \
	    "$WORK/$n.metrics" "$WORK/$n.api.plugins.json" "$WORK/$n.live" \
	    "$WORK/$n.ready"
	no_leak "$n: the dead-letter file: no secret" "$WORK/$n.dead.ndjson"
done
[ -n "$KAFKA" ] && { echo quit >&3; exec 3>&-; }

# --- credentials in URLs, broken secret values ---------------------------------
# refused NAME PLUGIN LINES — a configuration that must be refused.
refused() {
	printf '<source>\n  @type tail\n  path %s/*.log\n  tag a\n</source>\n%s\n' \
	    "$LOGS" "$3" > "$WORK/$1.conf"
	"$SHIPPER" -c "$WORK/$1.conf" --dry-run > "$WORK/$1.out" 2>&1
	tap_is $? 1 "$2 is refused"
	no_leak "$2: and the message does not quote the secret" "$WORK/$1.out"
}
refused url "an Elasticsearch URL with user:password@" "<match a>
  @type elasticsearch
  hosts https://elastic:$ES_PW@127.0.0.1:9200
</match>"
tap_grep "hosts 'https://\*\*\*@127\.0\.0\.1:9200': credentials in a URL are not accepted" \
    "$WORK/url.out" "it names the host with the credentials masked"
refused kurl "a kubernetes_url with user:password@" "<filter a>
  @type kubernetes_metadata
  kubernetes_url https://admin:$KUBE_TOKEN@127.0.0.1:6443
</filter>
<match a>
  @type null
</match>"
refused brokers "Kafka brokers with user:password@" "<match a>
  @type kafka2
  default_topic t
  brokers alice:$KAFKA_PW@127.0.0.1:9092
</match>"
refused header "a custom_headers hash that is no JSON" "<match a>
  @type elasticsearch
  custom_headers {\"Authorization\": \"Bearer $HDR\",}
</match>"
refused rdkafka "an rdkafka_options property librdkafka refuses" "<match a>
  @type kafka2
  default_topic t
  rdkafka_options {\"sasl.passwordz\":\"$KAFKA_PW\"}
</match>"

# curl's verbose output would print every header, Authorization among
# them: nothing may turn it on.
grep -rlE --include='*.[ch]' 'CURLOPT_(VERBOSE|DEBUGFUNCTION)' \
    "$top_srcdir/shipper" "$top_srcdir/outputs" > "$WORK/verbose" 2>&1
tap_is "$(cat "$WORK/verbose")" "" "no source turns on curl's verbose output"

tap_done
