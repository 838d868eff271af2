#!/bin/sh
# dryrun.sh — --dry-run accepts DESIGN.md's configuration (its <match>
# switched to @type file), prints the pipeline, and warns about the traps
# it holds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

design="$top_srcdir/tests/data/design-file.conf"
"$SHIPPER" -c "$design" --dry-run > "$WORK/design.out" 2>&1
tap_is $? 0 "DESIGN.md's configuration passes --dry-run"
tap_grep 'configuration .* is valid' "$WORK/design.out" "it says it is valid"
tap_grep '<source> #2 @type tail' "$WORK/design.out" "both sources are listed"
tap_grep 'kubernetes.spire.server: parser .* -> grep -> kubernetes_metadata -> file' \
    "$WORK/design.out" "the server route is parser -> grep -> kubernetes_metadata -> file"
tap_grep '^      kubernetes_url https://kubernetes.default.svc$' \
    "$WORK/design.out" "the kubernetes_metadata filter is listed with its API server"
tap_grep "design-file.conf:33: warning: grep on level with pattern \^\(ERROR\|WARN\)\\$ can never match SPIRE's levels" \
    "$WORK/design.out" "it warns that the level grep can never match, at its line"
tap_grep "design-file.conf:10: warning: time_key timestamp: .*SPIRE writes" \
    "$WORK/design.out" "it warns that SPIRE writes no 'timestamp', at its line"
tap_grep "design-file.conf:4: warning: <parse> @type json reads only Docker" \
    "$WORK/design.out" "it warns that format json misses CRI nodes"
tap_grep '^warnings: 6$' "$WORK/design.out" "six warnings, no more"

fixed="$top_srcdir/templates/spire-shipper.conf"
"$SHIPPER" -c "$fixed" --dry-run > "$WORK/fixed.out" 2>&1
tap_is $? 0 "the corrected configuration passes --dry-run"
tap_grep '^warnings: 0$' "$WORK/fixed.out" "with no warnings"
tap_grep 'parser \[1 test of the grep .* run while parsing\] -> spire -> grep -> file' \
    "$WORK/fixed.out" "and its grep runs inside the parser"

"$SHIPPER" --dry-run > "$WORK/default.out" 2>&1
tap_is $? 0 "the built-in configuration passes --dry-run"
tap_grep '^warnings: 0$' "$WORK/default.out" "with no warnings"
tap_grep '@type stdout' "$WORK/default.out" "and prints to stdout"

# A grep whose pattern does match SPIRE's spelling draws no warning.
sed 's/\^(ERROR|WARN)\$/^(error|warning)$/' "$design" > "$WORK/lower.conf"
"$SHIPPER" -c "$WORK/lower.conf" --dry-run > "$WORK/lower.out" 2>&1
tap_is $? 0 "a lower-case level grep passes"
if grep -q "can never match" "$WORK/lower.out"; then r=1; else r=0; fi
tap_ok $r "and draws no level warning"

# A configuration without a pos_file is warned about.
cat > "$WORK/secret.conf" <<'C'
<source>
  @type tail
  path /tmp/x/*.log
  tag a
</source>
<match a>
  @type null
</match>
C
"$SHIPPER" -c "$WORK/secret.conf" --dry-run > "$WORK/secret.out" 2>&1
tap_is $? 0 "a minimal configuration passes"
tap_grep 'no pos_file' "$WORK/secret.out" "and is warned about its missing pos_file"

# DESIGN.md's configuration exactly as written (Elasticsearch match and
# kubernetes_metadata filter included), and without its filter.
for conf in design design-no-k8s; do
	"$SHIPPER" -c "$top_srcdir/tests/data/$conf.conf" --dry-run \
	    > "$WORK/$conf.out" 2>&1
	tap_is $? 0 "$conf.conf (DESIGN.md's configuration) passes --dry-run"
	tap_grep "$conf.conf:[0-9]+: warning: no template_file: the index this output writes \(spire-logs\)" \
	    "$WORK/$conf.out" "$conf.conf: it warns that no template covers index_name spire-logs"
	tap_grep "$conf.conf:[0-9]+: warning: type_name is ignored" \
	    "$WORK/$conf.out" "$conf.conf: it says type_name _doc is ignored"
done
tap_grep 'kubernetes.spire.server: parser .* -> grep -> kubernetes_metadata -> elasticsearch' \
    "$WORK/design.out" "design.conf: parser -> grep -> kubernetes_metadata -> elasticsearch"
tap_grep 'kubernetes.spire.agent: parser .* -> grep -> elasticsearch' \
    "$WORK/design-no-k8s.out" "design-no-k8s.conf: parser -> grep -> elasticsearch"

# <system> skip_unsupported true is --skip-unsupported: the directives of
# plugin types the shipper lacks are skipped, a warning each, and the rest
# is checked and listed; false lists them all in one error; a value that
# is no boolean is an error of its own.
cat > "$WORK/skip.conf" <<'C'
<system>
  skip_unsupported true
</system>
<source>
  @type systemd
  tag journal
</source>
<source>
  @type tail
  path /tmp/x/*.log
  pos_file /tmp/x.pos
  tag a
</source>
<match a>
  @type null
</match>
<match journal>
  @type kafka9
</match>
C
"$SHIPPER" -c "$WORK/skip.conf" --dry-run > "$WORK/skip.out" 2> "$WORK/skip.err"
tap_is $? 0 "<system> skip_unsupported true: --dry-run passes"
tap_is "$(grep -c 'is not supported by the shipper: skipped$' "$WORK/skip.err")" 2 \
    "skip_unsupported: one warning per skipped directive"
tap_grep 'skip.conf:4: <source> @type systemd is not supported by the shipper: skipped' \
    "$WORK/skip.err" "skip_unsupported: the systemd source, at its line"
tap_grep 'skip.conf:17: <match journal> @type kafka9 is not supported by the shipper: skipped' \
    "$WORK/skip.err" "skip_unsupported: the kafka9 match, at its line"
tap_grep '^  <match a> @type null' "$WORK/skip.out" "skip_unsupported: the rest is listed"
if grep -q 'systemd\|kafka9' "$WORK/skip.out"; then r=1; else r=0; fi
tap_ok $r "skip_unsupported: and the skipped directives are not"
sed 's/skip_unsupported true/skip_unsupported false/' "$WORK/skip.conf" \
    > "$WORK/noskip.conf"
"$SHIPPER" -c "$WORK/noskip.conf" --dry-run > /dev/null 2> "$WORK/noskip.err"
tap_is $? 1 "skip_unsupported false: --dry-run fails"
tap_is "$(sed -n 's/^  //p' "$WORK/noskip.err")" "$WORK/noskip.conf:4: <source> @type systemd
$WORK/noskip.conf:17: <match journal> @type kafka9" \
    "skip_unsupported false: listing every unsupported directive"
sed 's/skip_unsupported true/skip_unsupported maybe/' "$WORK/skip.conf" \
    > "$WORK/badskip.conf"
"$SHIPPER" -c "$WORK/badskip.conf" --dry-run > /dev/null 2> "$WORK/badskip.err"
tap_is $? 1 "skip_unsupported maybe: --dry-run fails"
tap_grep "badskip.conf:2: <system>, parameter 'skip_unsupported': 'maybe' is not true or false" \
    "$WORK/badskip.err" "skip_unsupported maybe: says the value is no boolean"

ES_PORT=9200 SPIRE_SHIPPER_TEMPLATES="$top_srcdir/templates" "$SHIPPER" \
    -c "$top_srcdir/templates/spire-shipper-elasticsearch.conf" --dry-run \
    > "$WORK/es.out" 2>&1
tap_is $? 0 "the shipped Elasticsearch configuration passes --dry-run"
tap_grep '^warnings: 0$' "$WORK/es.out" "with no warnings"

tap_done
