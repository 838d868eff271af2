#!/bin/sh
# cli.sh — the command line: options, exit codes, and the messages of
# configuration errors (each names file:line, the word, the choices).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

"$SHIPPER" --version > "$WORK/v" 2>&1
tap_ok $? "--version exits 0"
tap_grep '^spire-shipper [0-9]+\.[0-9]+' "$WORK/v" "--version prints the version"

"$SHIPPER" --help > "$WORK/h" 2>&1
tap_ok $? "--help exits 0"
tap_grep 'backfill PATH' "$WORK/h" "--help lists --backfill"

"$SHIPPER" --no-such-option > /dev/null 2>&1
tap_is $? 2 "an unknown option exits 2"
"$SHIPPER" --backfill > /dev/null 2> "$WORK/e"
tap_is $? 2 "--backfill without paths exits 2"
"$SHIPPER" --backfill x --shard 3/3 > /dev/null 2> "$WORK/e"
tap_is $? 2 "--shard 3/3 exits 2"
tap_grep 'expected I/N' "$WORK/e" "--shard explains its form"
"$SHIPPER" somefile > /dev/null 2> "$WORK/e"
tap_is $? 2 "a stray argument exits 2"

"$SHIPPER" -c "$WORK/missing.conf" --dry-run > /dev/null 2> "$WORK/e"
tap_is $? 1 "a missing configuration file exits 1"
tap_grep 'missing.conf' "$WORK/e" "and names the file"

# conf_error NAME EXPECTED-REGEXP — writes $WORK/NAME.conf from stdin.
conf_error() {
	cat > "$WORK/$1.conf"
	"$SHIPPER" -c "$WORK/$1.conf" --dry-run > /dev/null 2> "$WORK/$1.err"
	tap_is $? 1 "$1: exits 1"
	tap_grep "$2" "$WORK/$1.err" "$1: says $2"
}

conf_error unknown-directive '\.conf:2: unknown directive <sauce>; valid directives: source, filter, match, system' <<'C'

<sauce>
</sauce>
C

conf_error unknown-type "\.conf:1: unknown @type 'tial' in <source>; valid types: tail" <<'C'
<source>
  @type tial
</source>
C

conf_error unknown-param "\.conf:4: unknown parameter 'pos_fil' in <source> @type tail; did you mean 'pos_file'\?" <<'C'
<source>
  @type tail
  path /x/*.log
  pos_fil /x.pos
  tag a
</source>
C

conf_error bad-size "\.conf:5: .*max_line_size.*'2Q' is not a size" <<'C'
<source>
  @type tail
  path /x/*.log
  tag a
  max_line_size 2Q
</source>
C

conf_error missing-required "\.conf:1: <source> @type tail needs the parameter 'path'" <<'C'
<source>
  @type tail
  tag a
</source>
C

conf_error bad-section "\.conf:3: <buffer> is not valid inside <filter kubernetes.\*\*> @type grep" <<'C'
<filter kubernetes.**>
  @type grep
  <buffer>
  </buffer>
  <regexp>
    key level
    pattern x
  </regexp>
</filter>
C

conf_error bad-regexp "\.conf:5: <regexp> pattern: invalid regular expression /\(a/" <<'C'
<filter a>
  @type grep
  <regexp>
    key level
    pattern (a
  </regexp>
</filter>
C

conf_error bad-enum "\.conf:6: .*'zip' is not one of: text, gzip" <<'C'
<match a>
  @type file
  path /tmp/x
  <buffer>
  </buffer>
  compress zip
</match>
C

conf_error unclosed "unterminated|end of file|</source>" <<'C'
<source>
  @type tail
C

conf_error workers "workers 4: the shipper runs as one process" <<'C'
<system>
  workers 4
</system>
C

# The README's reference is what --reference prints (the tables').
"$SHIPPER" --reference > "$WORK/ref"
tap_ok $? "--reference exits 0"
awk '/^<!-- reference:begin/ { on = 1; getline; next } /^<!-- reference:end/ { on = 0 } on' \
    "$top_srcdir/README" > "$WORK/readme-ref"
cmp -s "$WORK/ref" "$WORK/readme-ref"
tap_ok $? "the README's reference is up to date (tests/gen/update-readme.sh)"

tap_done
