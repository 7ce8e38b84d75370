#!/bin/sh
# Print the steps a README marks for testing, in order, as one shell
# script: every fenced block whose opening fence follows a line
#   <!-- doc-test -->
# (blank lines between are allowed), with the block's indentation removed.
# With --files DIR, write instead every fenced block that follows a line
#   <!-- file: PATH -->
# to DIR/PATH (docs/AUTHORING.md's example lab).
# tests/integration/test_docs.c runs the steps against a fresh lab, then
# expects `labctl verify` to pass.
# Usage: scripts/readme-steps.sh README.md
#        scripts/readme-steps.sh --files DIR docs/AUTHORING.md
set -eu
files=
if [ "${1:-}" = --files ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --files DIR FILE.md" >&2; exit 2; }
	files=$2
	shift 2
fi
[ $# -eq 1 ] || { echo "usage: $0 [--files DIR] FILE.md" >&2; exit 2; }
awk -v files="$files" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	function emit(line) {
		if (out != "") print line > out
		else print line
	}
	in_block {
		if (trim($0) ~ /^```/) { in_block = 0; if (out == "") print ""; else close(out); next }
		line = $0
		if (substr(line, 1, length(indent)) == indent) line = substr(line, length(indent) + 1)
		emit(line)
		next
	}
	# a fence not marked: skipped whole, markers inside it included
	# (an example of the markers, in a ````markdown fence)
	other != "" {
		t = trim($0)
		if (substr(t, 1, length(other)) == other && t ~ /^`+$/) other = ""
		next
	}
	!armed && trim($0) ~ /^```/ { t = trim($0); match(t, /^`+/); other = substr(t, 1, RLENGTH); next }
	files == "" && trim($0) == "<!-- doc-test -->" { armed = 1; out = ""; next }
	files != "" && trim($0) ~ /^<!-- file: [^ ]+ -->$/ {
		path = trim($0); sub(/^<!-- file: /, "", path); sub(/ -->$/, "", path)
		if (path ~ /^\// || path ~ /\.\./) { printf "%s:%d: file path must stay below DIR\n", FILENAME, NR > "/dev/stderr"; exit 1 }
		out = files "/" path
		dir = out; sub(/\/[^\/]*$/, "", dir)
		system("mkdir -p \"" dir "\"")
		printf "" > out
		armed = 1; next
	}
	armed && trim($0) == "" { next }
	armed && trim($0) ~ /^```/ {
		match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
		in_block = 1; armed = 0; blocks++
		if (out == "") printf "# --- %s, block %d (line %d)\n", FILENAME, blocks, NR
		next
	}
	armed { printf "%s:%d: a doc-test or file comment not followed by a fenced block\n", FILENAME, NR > "/dev/stderr"; bad = 1; armed = 0 }
	END {
		if (in_block) { printf "%s: a fenced block is not closed\n", FILENAME > "/dev/stderr"; exit 1 }
		if (bad) exit 1
	}
' "$1"
