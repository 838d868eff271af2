#!/bin/sh
# update-readme.sh [SHIPPER] — puts `spire-shipper --reference` between
# the reference markers of the README (run after changing a parameter).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
shipper=${1:-$top/spire-shipper}
"$shipper" --reference > "$top/README.ref.tmp"
awk -v ref="$top/README.ref.tmp" '
	/^<!-- reference:begin/ { print; print ""; while ((getline l < ref) > 0) print l; skip = 1; next }
	/^<!-- reference:end/ { skip = 0 }
	!skip { print }' "$top/README" > "$top/README.tmp"
mv "$top/README.tmp" "$top/README"
rm -f "$top/README.ref.tmp"
