# tests/peers.sh — what tls.sh, security.sh and limits.sh share, sourced
# after lib.sh: a corpus in the kubelet's layout, the tail that reads it,
# the Kubernetes API fake, certificates, free ports.

FAKE="$PYTHON3 $top_srcdir/tests/k8s_api_fake.py"

# corpus SEED LINES — 2 pods' logs under $WORK/root as the kubelet lays
# them out; sets LOGS (their /var/log/containers) and LINES (logical
# lines in all).
corpus() {
	$GEN --out "$WORK/gen" --seed "$1" --files 2 --lines "$2" --quiet &&
	    $FAKE layout --manifest "$WORK/gen/manifest.json" \
	    --logs "$WORK/gen" --root "$WORK/root"
	tap_ok $? "a corpus in the kubelet's layout"
	LOGS=$WORK/root/var/log/containers
	LINES=$(json_get "$WORK/gen/manifest.json" totals.logical_lines)
}

# tail_conf POS [TAG] — a <source> reading the corpus from its start,
# with the pos file POS.
tail_conf() {
	cat <<CONF
<source>
  @type tail
  path $LOGS/*.log
  pos_file $1
  tag ${2:-kubernetes.spire.server}
  read_from_head true
  <parse>
    @type container
  </parse>
</source>
CONF
}

# fake_start TOKEN — the API fake serving the corpus's pods over HTTPS
# (its CA in $WORK/ktls/ca.crt), wanting TOKEN; sets KURL. fake_ctl PATH
# — a control request to it.
fake_start() {
	$FAKE serve --manifest "$WORK/gen/manifest.json" --tls-dir "$WORK/ktls" \
	    --token "$1" --port-file "$WORK/kport" 2> "$WORK/fake.err" &
	TAP_PIDS="$TAP_PIDS $!"
	wait_for 30 test -s "$WORK/kport"
	tap_ok $? "the Kubernetes API fake listens (HTTPS, its own CA)"
	KURL=https://127.0.0.1:$(cat "$WORK/kport")
}
fake_ctl() {
	$FAKE ctl --url "$KURL" --ca "$WORK/ktls/ca.crt" "$1"
}

# fake_complete NDJSON — 0 if every record of NDJSON carries its pod's
# metadata as the fake serves it.
fake_complete() {
	fake_ctl /_fake/state > "$WORK/state.json"
	$FAKE check --state "$WORK/state.json" --records "$1" --url "$KURL" \
	    > "$1.check"
}

# certs DIR — a CA and its server certificate for 127.0.0.1 (DIR/ca.crt,
# server.crt, server.key), made as the API fake makes its own.
certs() {
	"$PYTHON3" -c 'import sys
sys.path.insert(0, sys.argv[1])
import k8s_api_fake
k8s_api_fake.make_tls(sys.argv[2])' "$top_srcdir/tests" "$1"
}

free_port() {
	"$PYTHON3" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
