#!/bin/sh
# Print the steps a lab README marks for testing, in order, as one shell
# script: every fenced block whose opening fence follows a line
#   <!-- doc-test -->
# (blank lines between are allowed), with the block's indentation removed.
# tests/integration/test_docs.c runs them against a fresh lab, then expects
# `labctl verify` to pass. Usage: scripts/readme-steps.sh README.md
set -eu
[ $# -eq 1 ] || { echo "usage: $0 README.md" >&2; exit 2; }
awk '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	in_block {
		if (trim($0) ~ /^```/) { in_block = 0; print ""; next }
		line = $0
		if (substr(line, 1, length(indent)) == indent) line = substr(line, length(indent) + 1)
		print line
		next
	}
	trim($0) == "<!-- doc-test -->" { armed = 1; next }
	armed && trim($0) == "" { next }
	armed && trim($0) ~ /^```/ {
		match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
		in_block = 1; armed = 0; blocks++
		printf "# --- %s, block %d (line %d)\n", FILENAME, blocks, NR
		next
	}
	armed { printf "%s:%d: a doc-test comment not followed by a fenced block\n", FILENAME, NR > "/dev/stderr"; bad = 1; armed = 0 }
	END {
		if (in_block) { printf "%s: a fenced block is not closed\n", FILENAME > "/dev/stderr"; exit 1 }
		if (bad) exit 1
	}
' "$1"
