# common.sh — sourced by bench.sh and follow_rss.sh: the helpers both
# use. Needs top_srcdir, PYTHON3 and RUN (the run's scratch directory).
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
nlines() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }
mjson() { $PYTHON3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"][sys.argv[2]])' "$1" "$2"; }
check_count() {	# check_count WHAT GOT WANT
	[ "$2" -eq "$3" ] || die "$1: $2 records, want $3"
}

# The DESIGN.md pipeline with the spire filter, as shipped, into OUT; the
# audit records are not kept so that every program keeps exactly the same
# warning/error records (keep_audit true keeps 43% of this corpus more).
shipper_conf() {	# shipper_conf OUT LOGDIR
	sed -e "s|path /var/log/spire-shipper/spire-security.ndjson|path $1|" \
	    -e "s|/var/log/containers|$2|" \
	    -e "s|pos_file /var/log/|pos_file $RUN/|" \
	    -e 's|keep_audit true|keep_audit false|' \
	    "$top_srcdir/templates/spire-shipper.conf"
}
