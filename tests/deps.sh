#!/bin/sh
# deps.sh — installs the Debian packages that building and testing
# spire-shipper need, when they are missing (apt-get; sudo if not root).
set -eu
# clang-14 and libclang-rt-14-dev (libFuzzer) build the fuzz targets,
# llvm-14 symbolizes their stack traces.
PKGS="build-essential autoconf automake pkg-config libyajl-dev
libcurl4-openssl-dev zlib1g-dev librdkafka-dev libpcre2-dev check python3
python3-yaml openssl valgrind clang-14 libclang-rt-14-dev llvm-14"

if ! command -v dpkg > /dev/null 2>&1; then
	echo "deps.sh: not a Debian system; install the equivalents of:" $PKGS >&2
	exit 0
fi
missing=
for p in $PKGS; do
	dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing"
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends $missing > /dev/null
