#!/bin/sh
# es_emulator.sh — the Elasticsearch emulator the shipper's tests run
# against is as strict as ES 8 where a shipper could go wrong: framing and
# content types, _type, gzip, versions and conflicts, template mappings and
# dynamic mapping conflicts item by item, auth; its injected faults (item
# 429s, dropped connections, down) happen as configured; it keeps
# connections alive, honours Connection: close and stops on SIGTERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# req NAME ESCTL-ARGS... — one request; status in NAME.status, body in NAME.json.
req() {
	_n=$1; shift
	$ESCTL "$@" > "$WORK/$_n.out" 2> "$WORK/$_n.err"
	_rc=$?
	head -n 1 "$WORK/$_n.out" > "$WORK/$_n.status"
	tail -n +2 "$WORK/$_n.out" > "$WORK/$_n.json"
	return $_rc
}
status() { cat "$WORK/$1.status"; }
field() { json_get "$WORK/$1.json" "$2" 2>/dev/null; }
ndjson() { printf '%s\n' "$@"; }	# ndjson LINE... — a body with its final newline

es_start es || { tap_ok 1 "emulator starts"; tap_done; }
P=$ES_PORT

req root "$P" request GET /
tap_is "$(field root version.number):$(field root tagline)" "8.13.0:You Know, for Search" \
    "GET / answers as Elasticsearch 8.13.0"

# --- framing and content types ---------------------------------------------------
ndjson '{"index":{"_index":"frame-1","_id":"a"}}' '{"msg":"x"}' > "$WORK/one.ndjson"
req ct -H 'Content-Type: text/plain' "$P" request POST /_bulk "$WORK/one.ndjson"
tap_is "$(status ct):$(field ct error)" \
    "406:Content-Type header [text/plain] is not supported" "a text/plain bulk is refused (406)"
req noct -H 'Content-Type:' "$P" request POST /_bulk "$WORK/one.ndjson"
tap_is "$(status noct):$(field noct error)" "406:Content-Type header is missing" \
    "a bulk without Content-Type is refused (406)"
req jsonct -H 'Content-Type: application/json' "$P" request POST /_bulk "$WORK/one.ndjson"
tap_is "$(status jsonct):$(field jsonct errors)" "200:False" "application/json is accepted for _bulk"

printf '%s\n%s' '{"index":{"_index":"frame-1","_id":"b"}}' '{"msg":"y"}' > "$WORK/nonl.ndjson"
req nonl "$P" request POST /_bulk "$WORK/nonl.ndjson"
tap_is "$(status nonl):$(field nonl error.type):$(field nonl error.reason)" \
    '400:illegal_argument_exception:The bulk request must be terminated by a newline [\n]' \
    "a body without its final newline is refused as a whole"

ndjson '{"index":{"_index":"frame-1","_type":"_doc","_id":"c"}}' '{"msg":"z"}' > "$WORK/type.ndjson"
req type "$P" request POST /_bulk "$WORK/type.ndjson"
tap_is "$(status type):$(field type error.reason)" \
    "400:Action/metadata line [1] contains an unknown parameter [_type]" "_type is refused (ES 8)"

ndjson '{"index":{"_index":"frame-1"}}' '{"msg":"ok"}' '{"insert":{"_index":"frame-1"}}' '{}' \
    > "$WORK/badaction.ndjson"
req badaction "$P" request POST /_bulk "$WORK/badaction.ndjson"
tap_is "$(status badaction):$(field badaction error.reason)" \
    "400:Malformed action/metadata line [3], expected field [create], [delete], [index] or [update] but found [insert]" \
    "a malformed action line fails the whole request, naming its line"
req unparam "$P" request POST '/_bulk?type=_doc' "$WORK/one.ndjson"
tap_is "$(status unparam):$(field unparam error.reason)" \
    "400:request [/_bulk] contains unrecognized parameter: [type]" "an unknown URL parameter is refused"
req count0 "$P" request GET /frame-1/_count
tap_is "$(field count0 count)" 1 "refused requests indexed nothing"

awk 'BEGIN { for (i = 0; i < 50; i++)
	printf "{\"index\":{\"_index\":\"gz-1\",\"_id\":\"%d\"}}\n{\"msg\":\"compressible %d\"}\n", i, i }' \
    > "$WORK/gz.ndjson"
req gz --gzip "$P" request POST /_bulk "$WORK/gz.ndjson"
tap_is "$(status gz):$(field gz errors):$($ESCTL "$P" count gz-1)" "200:False:50" \
    "a gzip body (Content-Encoding: gzip) is decompressed and indexed"
tap_is "$($ESCTL "$P" stats gzip_requests)" 1 "stats count gzip requests"

# --- versions and conflicts -------------------------------------------------------------
ndjson '{"create":{"_index":"ver-1","_id":"k"}}' '{"msg":"first"}' \
       '{"create":{"_index":"ver-1","_id":"k"}}' '{"msg":"again"}' \
       '{"index":{"_index":"ver-1","_id":"k"}}' '{"msg":"overwrite"}' > "$WORK/ver.ndjson"
req ver "$P" request POST /_bulk "$WORK/ver.ndjson"
tap_is "$(field ver items.0.create.status):$(field ver items.1.create.status):$(field ver items.1.create.error.type)" \
    "201:409:version_conflict_engine_exception" "create of an existing _id is an item 409"
tap_is "$(field ver items.1.create.error.reason)" \
    "[k]: version conflict, document already exists (current version [1])" "with ES's reason"
tap_is "$(field ver items.2.index.status):$(field ver items.2.index.result):$(field ver items.2.index._version)" \
    "200:updated:2" "index over an existing _id updates it (version 2)"
tap_is "$($ESCTL "$P" count ver-1)" 1 "an overwrite keeps the count"
tap_is "$($ESCTL "$P" docs ver-1)" '{"k": {"msg": "overwrite"}}' "the document is the last one written"

# --- template mappings ----------------------------------------------------------------------
cat > "$WORK/template.json" <<'JSON'
{"index_patterns": ["spire-logs-*"], "priority": 200,
 "template": {
  "settings": {"number_of_shards": 3, "number_of_replicas": 1, "refresh_interval": "5s"},
  "mappings": {"dynamic": true, "properties": {
   "@timestamp": {"type": "date_nanos"}, "level": {"type": "keyword"},
   "msg": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
   "metrics": {"properties": {"count": {"type": "long"}}},
   "kubernetes": {"properties": {"pod_name": {"type": "keyword"},
                                 "labels": {"type": "flattened"}}}}}}}
JSON
req tpl "$P" request PUT /_index_template/spire-logs "$WORK/template.json"
tap_is "$(status tpl):$(field tpl acknowledged)" "200:True" "PUT _index_template is acknowledged"
req tplget "$P" request GET /_index_template/spire-logs
tap_is "$(field tplget index_templates.0.index_template.template.settings.index.number_of_shards)" 3 \
    "GET _index_template gives its settings back as ES stores them"
ndjson '{"index_patterns":["spire-*"],"settings":{"number_of_shards":1}}' > "$WORK/legacy-shape.json"
req legacy "$P" request PUT /_index_template/wrong "$WORK/legacy-shape.json"
tap_is "$(status legacy):$(field legacy error.type)" "400:x_content_parse_exception" \
    "a legacy-shaped body is refused by _index_template"
ndjson '{"index_patterns":["spire-logs-2*"],"priority":200,"template":{"mappings":{"properties":{"x":{"type":"keyword"}}}}}' \
    > "$WORK/overlap.json"
req overlap "$P" request PUT /_index_template/overlap "$WORK/overlap.json"
tap_is "$(status overlap):$(field overlap error.type)" "400:illegal_argument_exception" \
    "overlapping patterns at the same priority are refused"
ndjson '{"template":{"mappings":{"properties":{"x":{"type":"strnig"}}}},"index_patterns":["bad-*"]}' \
    > "$WORK/badtype.json"
req badtype "$P" request PUT /_index_template/badtype "$WORK/badtype.json"
tap_is "$(status badtype):$(field badtype error.caused_by.caused_by.reason)" \
    "400:No handler for type [strnig] declared on field [x]" "an unknown field type is refused"

ndjson '{"index":{"_index":"spire-logs-2024.01.01","_id":"1"}}' \
       '{"@timestamp":"2024-01-01T10:00:00.123456789Z","level":"ERROR","msg":"one","kubernetes":{"labels":{"app":"spire"}}}' \
       '{"index":{"_index":"spire-logs-2024.01.01","_id":"2"}}' \
       '{"@timestamp":"2024-01-01 10:00:00","level":"WARN","msg":"bad date"}' \
       '{"index":{"_index":"spire-logs-2024.01.01","_id":"3"}}' \
       '{"@timestamp":"2024-01-01T10:00:01Z","level":"WARN","metrics":{"count":"many"}}' \
       '{"index":{"_index":"spire-logs-2024.01.02","_id":"4"}}' \
       '{"@timestamp":1704189600000,"level":"WARN","msg":"epoch millis","kubernetes":{"labels":{"app.kubernetes.io/name":"spire"}}}' \
    > "$WORK/mapped.ndjson"
req mapped "$P" request POST /_bulk "$WORK/mapped.ndjson"
tap_is "$(field mapped errors):$(field mapped items.0.index.status):$(field mapped items.1.index.status):$(field mapped items.2.index.status):$(field mapped items.3.index.status)" \
    "True:201:400:400:201" "a bad date and a non-numeric long fail their items, the others succeed"
tap_is "$(field mapped items.1.index.error.type)" document_parsing_exception \
    "the bad date is a document_parsing_exception (ES 8.8+)"
tap_grep "^\[1:[0-9]+\] failed to parse field \[@timestamp\] of type \[date_nanos\] in document with id '2'\. Preview of field's value: '2024-01-01 10:00:00'$" \
    "$(field mapped items.1.index.error.reason > "$WORK/reason1"; echo "$WORK/reason1")" \
    "with ES's reason, located in the source"
tap_is "$(field mapped items.1.index.error.caused_by.reason)" \
    "failed to parse date field [2024-01-01 10:00:00] with format [strict_date_optional_time||epoch_millis]" \
    "and ES's cause"
tap_is "$(field mapped items.2.index.error.reason | sed 's/^\[1:[0-9]*\] //')" \
    "failed to parse field [metrics.count] of type [long] in document with id '3'. Preview of field's value: 'many'" \
    "a string that is no number fails a long field"
tap_is "$($ESCTL "$P" count 'spire-logs-*')" 2 "count over a wildcard sees both daily indices"
tap_is "$($ESCTL "$P" count 'spire-logs-*' '{"query":{"term":{"level":"WARN"}}}')" 1 \
    "count with a term query"
req spmap "$P" request GET /spire-logs-2024.01.02/_mapping
tap_is "$(field spmap spire-logs-2024.01.02/mappings/properties/kubernetes/properties/labels/type)" flattened \
    "the index got the template's mapping"
req cat "$P" request GET '/_cat/indices/spire-logs-*?format=json&s=index'
tap_is "$(field cat 0/index):$(field cat 0/docs.count):$(field cat 0/pri)" "spire-logs-2024.01.01:1:3" \
    "_cat/indices reports the docs and the template's shards"

# --- dynamic mappings -------------------------------------------------------------------------
ndjson '{"index":{"_index":"dyn-1","_id":"a"}}' '{"labels":{"app":"spire-agent"},"at":"2024-01-02T03:04:05Z"}' \
       '{"index":{"_index":"dyn-1","_id":"b"}}' '{"labels":{"app.kubernetes.io/name":"spire-server"}}' \
       '{"index":{"_index":"dyn-1","_id":"c"}}' '{"labels":"flat"}' \
       '{"index":{"_index":"dyn-1","_id":"d"}}' '{"at":"not a date"}' \
       '{"index":{"_index":"dyn-1","_id":"e"}}' '{"level":"x","level":"y"}' \
       '{"index":{"_index":"dyn-1","_id":"f"}}' '{"_id":"inside"}' \
    > "$WORK/dyn.ndjson"
req dyn "$P" request POST /_bulk "$WORK/dyn.ndjson"
tap_is "$(field dyn items.0.index.status):$(field dyn items.1.index.status):$(field dyn items.2.index.status):$(field dyn items.3.index.status):$(field dyn items.4.index.status):$(field dyn items.5.index.status)" \
    "201:400:400:400:400:400" "dynamic mapping: the classic conflicts fail their items"
tap_is "$(field dyn items.1.index.error.reason | sed 's/^\[1:[0-9]*\] //')" \
    "Could not dynamically add mapping for field [app.kubernetes.io/name]. Existing mapping for [labels.app] must be of type object but found [text]." \
    "labels.app as text, then app.kubernetes.io/name: ES's mapping conflict"
tap_is "$(field dyn items.2.index.error.reason | sed 's/^\[1:[0-9]*\] //')" \
    "object mapping for [labels] tried to parse field [labels] as object, but found a concrete value" \
    "a concrete value where an object is mapped"
tap_is "$(field dyn items.3.index.error.caused_by.reason)" \
    "failed to parse date field [not a date] with format [strict_date_optional_time||epoch_millis]" \
    "date detection mapped 'at' as a date"
tap_grep "Duplicate field 'level'" "$WORK/dyn.json" "duplicate keys in a document are refused"
tap_grep "Field \[_id\] is a metadata field and cannot be added inside a document" "$WORK/dyn.json" \
    "a metadata field inside a document is refused"
ndjson '{"index":{"_index":"dyn-1","_id":"g"}}' '{"code":"2024","ratio":0.5,"ok":true}' \
       '{"index":{"_index":"dyn-1","_id":"h"}}' '{"code":"not a year"}' > "$WORK/dyn2.ndjson"
req dyn2 "$P" request POST /_bulk "$WORK/dyn2.ndjson"
req dynmap "$P" request GET /dyn-1/_mapping
tap_is "$(field dynmap dyn-1.mappings.properties.labels.properties.app.fields.keyword.type)" keyword \
    "a new string field is text with a keyword subfield"
tap_is "$(field dynmap dyn-1.mappings.properties.code.type):$(field dynmap dyn-1.mappings.properties.ratio.type):$(field dynmap dyn-1.mappings.properties.ok.type):$(field dyn2 errors)" \
    "text:float:boolean:False" "numeric strings are not date-detected; floats map as float"

ndjson '{"mappings":{"dynamic":"strict","properties":{"a":{"type":"keyword"}}}}' > "$WORK/strict.json"
req strictidx "$P" request PUT /strict-1 "$WORK/strict.json"
ndjson '{"index":{"_index":"strict-1"}}' '{"a":"ok"}' '{"index":{"_index":"strict-1"}}' '{"a":"ok","b":1}' \
    '{"index":{"_index":"Strict-1"}}' '{"a":"ok"}' > "$WORK/strict.ndjson"
req strict "$P" request POST /_bulk "$WORK/strict.ndjson"
tap_is "$(status strictidx):$(field strict items.0.index.status):$(field strict items.1.index.error.type):$(field strict items.2.index.error.type)" \
    "200:201:strict_dynamic_mapping_exception:invalid_index_name_exception" \
    "dynamic strict refuses unknown fields; an upper-case index name is refused"

ndjson '{"settings":{"index.mapping.total_fields.limit":3},"mappings":{"properties":{"k":{"type":"keyword"}}}}' \
    > "$WORK/limits.json"
req limitsidx "$P" request PUT /limits-1 "$WORK/limits.json"
"$PYTHON3" -c 'import json; print(json.dumps({"index": {"_index": "limits-1"}}))
print(json.dumps({"k": "x" * 40000}))
print(json.dumps({"index": {"_index": "limits-1"}}))
print(json.dumps({"a": 1, "b": 2, "c": 3}))
print(json.dumps({"index": {"_index": "limits-1"}}))
print(json.dumps({"a": 1, "b": 2}))' > "$WORK/limits.ndjson"
req limits "$P" request POST /_bulk "$WORK/limits.ndjson"
tap_is "$(field limits items.0.index.error.caused_by.type):$(field limits items.1.index.error.reason):$(field limits items.2.index.status)" \
    "max_bytes_length_exceeded_exception:Limit of total fields [3] has been exceeded while adding new fields [3]:201" \
    "an immense keyword term and the total fields limit fail their items"

# --- update, delete, search ---------------------------------------------------------------------
ndjson '{"update":{"_index":"ver-1","_id":"k"}}' '{"doc":{"n":1}}' \
       '{"update":{"_index":"ver-1","_id":"k"}}' '{"doc":{"n":1}}' \
       '{"update":{"_index":"ver-1","_id":"none"}}' '{"doc":{"n":1}}' \
       '{"delete":{"_index":"ver-1","_id":"k"}}' '{"delete":{"_index":"ver-1","_id":"k"}}' \
    > "$WORK/upd.ndjson"
req upd "$P" request POST /_bulk "$WORK/upd.ndjson"
tap_is "$(field upd items.0.update.result):$(field upd items.1.update.result):$(field upd items.2.update.status):$(field upd items.3.delete.result):$(field upd items.4.delete.result):$(field upd errors)" \
    "updated:noop:404:deleted:not_found:True" "update, noop, a missing document, delete, not_found"
ndjson '{"query":{"bool":{"must":{"match":{"msg":"EPOCH"}},"filter":{"range":{"@timestamp":{"gte":"2024-01-02||/d","lt":"now"}}}}},"sort":[{"@timestamp":"desc"}],"_source":["level"]}' \
    > "$WORK/search.json"
req search "$P" request POST /spire-logs-*/_search "$WORK/search.json"
tap_is "$(field search hits.total.value):$(field search hits.hits.0._id):$(field search hits.hits.0._source):$(field search hits.hits.0.sort.0)" \
    '1:4:{'"'level': 'WARN'"'}:1704189600000000000' "_search with bool, match, range with date math, sort and _source"

# --- faults ------------------------------------------------------------------------------------
awk 'BEGIN { for (i = 0; i < 2000; i++)
	printf "{\"index\":{\"_index\":\"rate-1\",\"_id\":\"%d\"}}\n{\"n\":%d}\n", i, i }' > "$WORK/rate.ndjson"
n429() { "$PYTHON3" -c 'import json,sys
print(sum(1 for i in json.load(open(sys.argv[1]))["items"] if i["index"]["status"] == 429))' "$WORK/$1.json"; }
$ESCTL "$P" faults '{"item_429_rate":0.2,"seed":7}' > /dev/null
req rate "$P" request POST /_bulk "$WORK/rate.ndjson"
r1=$(n429 rate)
tap_ok "$([ "$r1" -ge 300 ] && [ "$r1" -le 500 ]; echo $?)" "item_429_rate 0.2: $r1 of 2000 items are 429"
tap_is "$($ESCTL "$P" count rate-1)" "$((2000 - r1))" "429 items were not indexed"
tap_grep "es_rejected_execution_exception" "$WORK/rate.json" "429 items carry es_rejected_execution_exception"
$ESCTL "$P" reset
$ESCTL "$P" faults '{"item_429_rate":0.2,"seed":7}' > /dev/null
req rate2 "$P" request POST /_bulk "$WORK/rate.ndjson"
tap_is "$(n429 rate2)" "$r1" "the same seed gives the same faults"

$ESCTL "$P" faults '{"item_429_rate":0,"drop_connection_rate":1.0}' > /dev/null
req drop "$P" request POST /_bulk "$WORK/one.ndjson"
tap_is $? 52 "drop_connection_rate 1: the connection closes without a response"
tap_is "$($ESCTL "$P" stats dropped_connections):$($ESCTL "$P" count frame-1)" "1:1" \
    "the dropped request was indexed first (its response is what was lost)"
$ESCTL "$P" faults '{"drop_connection_rate":0.0,"status_override":503}' > /dev/null
req override "$P" request POST /_bulk "$WORK/one.ndjson"
tap_is "$(status override):$(field override error.type)" "503:cluster_block_exception" \
    "status_override answers every bulk with that status"
$ESCTL "$P" faults '{"status_override":null,"down":true,"down_ms":1500}' > /dev/null
req down "$P" request GET /
tap_is $? 7 "down: connections are refused"
wait_for 10 $ESCTL "$P" request GET / > /dev/null
tap_is "$(status root):$($ESCTL "$P" request GET / | head -n 1)" "200:200" "back on the same port after down_ms"
kill -USR1 "$ES_PID"
sleep 0.3
req usr1 "$P" request GET /
tap_is $? 7 "SIGUSR1 takes it down"
kill -USR2 "$ES_PID"
wait_for 10 $ESCTL "$P" request GET / > /dev/null
tap_ok $? "SIGUSR2 brings it back"

# --- limits, keep-alive ------------------------------------------------------------------------
"$PYTHON3" - "$P" > "$WORK/keepalive.out" <<'PY'
import http.client, json, sys
port = int(sys.argv[1])
def stats():
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/_emulator/stats")
    return json.loads(c.getresponse().read())
before = stats()["connections_total"]
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(5):
    c.request("GET", "/")
    c.getresponse().read()
c.request("GET", "/", headers={"Connection": "close"})
r = c.getresponse()
r.read()
closing = r.getheader("Connection")
eof = c.sock is None or c.sock.recv(1) == b""
print(stats()["connections_total"] - before - 1, closing, eof)
PY
tap_is "$(cat "$WORK/keepalive.out")" "1 close True" \
    "six requests on one kept-alive connection; Connection: close is honoured"

es_start small --max-content-length 1kb
awk 'BEGIN { for (i = 0; i < 40; i++) printf "{\"index\":{\"_index\":\"big\"}}\n{\"m\":\"%040d\"}\n", i }' \
    > "$WORK/big.ndjson"
req big "$ES_PORT" request POST /_bulk "$WORK/big.ndjson"
tap_is "$(status big)" 413 "a body over --max-content-length is 413"
req biggz --gzip "$ES_PORT" request POST /_bulk "$WORK/big.ndjson"
tap_is "$(status biggz):$(wc -c < "$WORK/big.ndjson" | awk '{print ($1 > 1024)}')" "413:1" \
    "the limit applies to the decompressed body"
kill -TERM "$ES_PID"
wait "$ES_PID"
tap_is $? 0 "SIGTERM stops the emulator with status 0"

# --- auth ------------------------------------------------------------------------------------------
es_start auth --user elastic --password s3cret --api-key c2VjcmV0OmtleQ==
A=$ES_PORT A_PID=$ES_PID
req noauth -D "$WORK/noauth.headers" "$A" request GET /_cluster/health
tap_is "$(status noauth):$(field noauth error.type)" "401:security_exception" "no credentials: 401"
tap_grep '^WWW-Authenticate: Basic realm="security"' "$WORK/noauth.headers" "with WWW-Authenticate"
req badpw --user elastic:wrong "$A" request GET /
tap_is "$(status badpw):$(field badpw error.reason)" \
    "401:unable to authenticate user [elastic] for REST request [/]" "a wrong password: 401"
req goodpw --user elastic:s3cret "$A" request GET /
req apikey --api-key c2VjcmV0OmtleQ== "$A" request GET /
tap_is "$(status goodpw):$(status apikey)" "200:200" "basic auth and the API key are accepted"
tap_is "$($ESCTL "$A" stats auth_failures)" 2 "the control endpoints need no credentials"
tap_is "$($ESCTL "$A" stats auth_basic):$($ESCTL "$A" stats auth_api_key)" 1:1 \
    "stats count the requests that logged in, by scheme"
req setauth "$A" request GET /_emulator/auth
tap_is "$(status setauth):$(field setauth basic):$(field setauth api_key)" "200:True:True" \
    "GET /_emulator/auth says which kinds of credentials are set"
$ESCTL "$A" auth '{"password":"n3w","api_key":null}' > /dev/null
req oldpw --user elastic:s3cret "$A" request GET /
req newpw --user elastic:n3w "$A" request GET /
req nokey --api-key c2VjcmV0OmtleQ== "$A" request GET /
tap_is "$(status oldpw):$(status newpw):$(status nokey)" "401:200:401" \
    "POST /_emulator/auth changes the credentials at once (a password set, a key revoked)"
$ESCTL "$A" auth '{"password":"s3cret","api_key":"c2VjcmV0OmtleQ=="}' > /dev/null

if command -v openssl > /dev/null 2>&1; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.crt" \
	    > /dev/null 2>&1
	es_start tls --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key"
	req tls --cacert "$WORK/tls.crt" "https://127.0.0.1:$ES_PORT" request GET /
	tap_is "$(status tls):$(field tls version.number)" "200:8.13.0" "HTTPS with --tls-cert and --tls-key"
	kill -TERM "$ES_PID"
	wait "$ES_PID"
else
	tap_ok 0 "HTTPS with --tls-cert and --tls-key # SKIP openssl is not installed"
fi

# --- ILM --------------------------------------------------------------------------------------------
ndjson '{"policy":{"phases":{"hot":{"actions":{"rollover":{"max_age":"1d","max_primary_shard_size":"50gb"}}},"delete":{"min_age":"30d","actions":{"delete":{}}}}}}' \
    > "$WORK/ilm.json"
req ilm "$P" request PUT /_ilm/policy/spire-logs "$WORK/ilm.json"
ndjson '{"policy":{}}' > "$WORK/ilm-bad.json"
req ilmbad "$P" request PUT /_ilm/policy/bad "$WORK/ilm-bad.json"
req ilmget "$P" request GET /_ilm/policy/spire-logs
tap_is "$(status ilm):$(status ilmbad):$(field ilmget spire-logs.policy.phases.delete.min_age)" "200:400:30d" \
    "an ILM policy needs policy.phases; it is stored and read back"

# --- throughput --------------------------------------------------------------------------------------
"$PYTHON3" - "$P" 10000 > "$WORK/perf.out" <<'PY'
import http.client, json, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
lines = []
for i in range(n):
    lines.append(json.dumps({"index": {"_index": "spire-logs-2024.02.01", "_id": "p%08d" % i}}))
    lines.append(json.dumps({"@timestamp": "2024-02-01T00:00:%02d.%09dZ" % (i % 60, i),
                             "level": "WARN", "msg": "Failed to attest agent %d" % i,
                             "spiffe_id": "spiffe://example.org/agent/%d" % i,
                             "kubernetes": {"pod_name": "spire-agent-%d" % (i % 7),
                                            "labels": {"app": "spire-agent"}},
                             "metrics": {"count": i}}))
body = ("\n".join(lines) + "\n").encode()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
t = time.monotonic()
c.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
r = json.loads(c.getresponse().read())
dt = time.monotonic() - t
ok = sum(1 for i in r["items"] if i["index"]["status"] == 201)
print(ok, int(n / dt))
PY
read perf_ok perf_rate < "$WORK/perf.out"
tap_is "$perf_ok" 10000 "a 10000-document bulk is indexed"
tap_diag "emulator throughput: $perf_rate documents/s (one 10000-document bulk)"
tap_is "$($ESCTL "$P" count spire-logs-2024.02.01)" 10000 "and counted"

kill -TERM "$A_PID"
wait "$A_PID"
tap_is $? 0 "the emulator with auth stops on SIGTERM too"
tap_done
