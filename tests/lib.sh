# tests/lib.sh — what every integration test shares: TAP output, a
# scratch directory, the project's log generator and output checker.
#
# A test sources this, calls tap_ok / tap_is for each check, and ends
# with tap_done. Under `make check` the environment gives SHIPPER (the
# binary), PYTHON3 and top_srcdir; run by hand, sensible defaults apply.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SHIPPER:=$top_builddir/spire-shipper}"
: "${PYTHON3:=python3}"
GEN="$PYTHON3 $top_srcdir/tests/gen/spire_loggen.py"
OUTCOUNT="$PYTHON3 $top_srcdir/tests/gen/outcount.py"
ESCTL="$PYTHON3 $top_srcdir/tests/esctl.py"

tap_n=0
tap_failed=0
WORK=$(mktemp -d)	# under $TMPDIR, or /tmp
trap 'tap_cleanup' EXIT

tap_cleanup() {
	for p in $TAP_PIDS; do kill -9 "$p" 2>/dev/null; done
	if [ "$tap_failed" -eq 0 ] && [ -z "$KEEP_WORK" ]; then
		rm -rf "$WORK"
	else
		echo "# scratch directory kept: $WORK"
	fi
}

# tap_ok STATUS DESCRIPTION — STATUS is a command's exit status.
tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# tap_is GOT WANT DESCRIPTION
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		echo "#   got:  $1"
		echo "#   want: $2"
	fi
}

# tap_grep PATTERN FILE DESCRIPTION — FILE contains PATTERN (grep -E).
tap_grep() {
	if grep -Eq -- "$1" "$2"; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		echo "#   no match for /$1/ in $2:"
		sed 's/^/#     /' "$2" | head -20
	fi
}

# tap_skip DESCRIPTION REASON — a check that could not run here.
tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

tap_diag() {
	echo "# $*"
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# json_get FILE KEY[.SUB] — a number or string from a JSON file (a SUB
# that is a number indexes a list). Keys with dots in them (index names):
# separate them with / instead, KEY/SUB.
json_get() {
	"$PYTHON3" -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("/" if "/" in sys.argv[2] else "."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}

# wait_for SECONDS COMMAND... — polls COMMAND until it succeeds.
wait_for() {
	_t=$1; shift
	_end=$(( $(date +%s) + _t ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.2
	done
	return 0
}

# es_start NAME [EMULATOR-ARGS...] — starts the Elasticsearch emulator
# (tests/es_emulator.py) on a free port with $WORK/NAME as its directory
# (requests.log, emulator.log); sets ES_PORT, ES_URL and ES_PID, and has it
# killed at exit. Drive it with $ESCTL $ES_PORT ...
es_start() {
	_d="$WORK/$1"; shift
	mkdir -p "$_d"
	rm -f "$_d/port"
	"$PYTHON3" "$top_srcdir/tests/es_emulator.py" --port 0 --port-file "$_d/port" \
	    --data-dir "$_d" "$@" 2> "$_d/emulator.log" &
	ES_PID=$!
	TAP_PIDS="$TAP_PIDS $ES_PID"
	wait_for 10 test -s "$_d/port" || return 1
	ES_PORT=$(cat "$_d/port")
	ES_URL="http://127.0.0.1:$ES_PORT"
}

# metrics_source PORT — a <source> serving the shipper's /metrics on
# 127.0.0.1:PORT, to add to a configuration.
metrics_source() {
	cat <<CONF
<source>
  @type prometheus
  bind 127.0.0.1
  port $1
</source>
CONF
}

# A configuration for the pipeline under test, reading SRC (glob) with
# pos file POS into the NDJSON file OUT. GREP=0 leaves out the level grep.
pipeline_conf() {
	_src=$1; _pos=$2; _out=$3; _grep=${4:-1}
	cat <<CONF
<source>
  @type tail
  path $_src
  pos_file $_pos
  tag kubernetes.*
  read_from_head true
  refresh_interval 1
  rotate_wait 1
  <parse>
    @type container
  </parse>
</source>
<filter kubernetes.**>
  @type parser
  key_name log
  reserve_data true
  remove_key_name_field true
  <parse>
    @type multi_format
    <pattern>
      format json
    </pattern>
    <pattern>
      format logfmt
    </pattern>
  </parse>
</filter>
<filter kubernetes.**>
  @type spire
  keep_audit true
</filter>
CONF
	if [ "$_grep" = 1 ]; then
		cat <<CONF
<filter kubernetes.**>
  @type grep
  <regexp>
    key level
    pattern /^(ERROR|WARN)$/
  </regexp>
</filter>
CONF
	fi
	cat <<CONF
<match kubernetes.**>
  @type file
  path $_out
</match>
CONF
}
