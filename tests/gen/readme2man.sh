#!/bin/sh
# readme2man.sh README VERSION — the man page spire-shipper(1) from the
# README's reference section, so the two never say different things.
# The reference is the part of the README from "## Reference" on; its
# Markdown is simple enough for sed: ## and ### headings, `code`,
# indented code blocks and "- " lists.
set -eu
readme=$1
version=$2
cat <<HEAD
.TH SPIRE-SHIPPER 1 "" "spire-shipper $version" "User Commands"
.SH NAME
spire-shipper \- SPIRE log parser and shipper
HEAD
sed -n '/^## Reference/,$p' "$readme" | sed \
  -e '1d' \
  -e '/^<!--/d' \
  -e 's/\\/\\\\/g' \
  -e 's/^\./\\\&./' \
  -e 's/^### \(.*\)/.SS \1/' \
  -e 's/^## \(.*\)/.SH \1/' \
  -e 's/^- /.IP \\(bu 2\n/' \
  -e 's/`\([^`]*\)`/\\fB\1\\fR/g' \
  -e 's/^    \(.*\)/.nf\n\1\n.fi/' \
  -e 's/^$/.PP/' | awk '
    /^\.SH / { $0 = toupper($0) }
    { print }'
