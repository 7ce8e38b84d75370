#!/bin/sh
# Print the steps a README marks for testing, in order, as one shell
# script: every fenced block whose opening fence follows a line
#   <!-- doc-test -->
# (blank lines between are allowed), with the block's indentation removed.
# Steps that need a terminal of their own or a Ctrl-C are marked with
#   <!-- doc-test: terminal NAME... -->   (before a fence: run it in the
#                                           background, once per NAME)
#   <!-- doc-test: wait NAME "RE" [within Ns] -->
#   <!-- doc-test: ctrl-c NAME [after Ns | after "RE" [within Ns]] -->
#   <!-- doc-test: ctrl-c after Ns | after "RE" [within Ns] -->  (before a
#                                           fence: run it, then interrupt it)
# and then the steps start with scripts/doc-test-lib.sh, which runs them
# (docs/AUTHORING.md says what each does).
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
if [ -z "$files" ] && grep -q '^[[:space:]]*<!-- doc-test: ' "$1"; then
	printf '# --- scripts/doc-test-lib.sh\n'
	cat "$(dirname "$0")/doc-test-lib.sh"
	printf '\n'
fi
awk -v files="$files" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	function emit(line) {
		if (out != "") print line > out
		else if (mode != "") body = body line "\n"
		else print line
	}
	function fail(msg) { printf "%s:%d: %s\n", FILENAME, NR, msg > "/dev/stderr"; bad = 1 }
	# a word or a "quoted string" (no quote inside) into tok[1..n]
	function tokens(s,   n, i) {
		n = 0
		while (1) {
			sub(/^[ \t]+/, "", s)
			if (s == "") return n
			if (substr(s, 1, 1) == "\"") {
				i = index(substr(s, 2), "\"")
				if (i == 0) return -1
				tok[++n] = substr(s, 2, i - 1); quoted[n] = 1
				s = substr(s, i + 2)
			} else {
				match(s, /^[^ \t"]+/)
				tok[++n] = substr(s, 1, RLENGTH); quoted[n] = 0
				s = substr(s, RLENGTH + 1)
			}
		}
	}
	function shq(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
	function name_ok(i) { return i <= ntok && !quoted[i] && tok[i] ~ /^[A-Za-z0-9_]+$/ }
	function seconds(i) { return i <= ntok && !quoted[i] && tok[i] ~ /^[0-9]+s$/ }
	# tok[i..]: "after Ns" | "after \"RE\" [within Ns]" | nothing, as
	# doctest_ctrl_c arguments (with a leading space), or "?" when malformed
	function after(i,   r) {
		if (i > ntok) return ""
		if (tok[i] != "after" || quoted[i] || i + 1 > ntok) return "?"
		if (seconds(i + 1)) return i + 2 > ntok ? " after " tok[i + 1] : "?"
		if (!quoted[i + 1]) return "?"
		r = " after " shq(tok[i + 1])
		if (i + 2 > ntok) return r
		if (tok[i + 2] == "within" && !quoted[i + 2] && seconds(i + 3) && i + 4 > ntok) return r " " substr(tok[i + 3], 1, length(tok[i + 3]) - 1)
		return "?"
	}
	function marker(m,   a, i) {
		ntok = tokens(m)
		if (ntok < 1) { fail("doc-test marker: expected terminal, wait or ctrl-c"); return }
		if (tok[1] == "terminal") {
			if (ntok < 2) { fail("doc-test: terminal needs a NAME"); return }
			for (i = 2; i <= ntok; i++) if (!name_ok(i)) { fail("doc-test: terminal NAME: letters, digits, _"); return }
			mode = "terminal"; names = ""
			for (i = 2; i <= ntok; i++) names = names " " tok[i]
			armed = 1; return
		}
		if (tok[1] == "wait") {
			if (!name_ok(2) || ntok < 3 || !quoted[3]) { fail("doc-test: wait NAME \"RE\" [within Ns]"); return }
			a = "doctest_wait " tok[2] " " shq(tok[3])
			if (ntok == 5 && tok[4] == "within" && seconds(5)) a = a " " substr(tok[5], 1, length(tok[5]) - 1)
			else if (ntok != 3) { fail("doc-test: wait NAME \"RE\" [within Ns]"); return }
			printf "# doc-test marker, line %d\n%s\n\n", NR, a
			return
		}
		if (tok[1] == "ctrl-c" && name_ok(2) && tok[2] != "after") {
			a = after(3)
			if (a == "?") { fail("doc-test: ctrl-c NAME [after Ns | after \"RE\" [within Ns]]"); return }
			printf "# doc-test marker, line %d\ndoctest_ctrl_c %s%s\n\n", NR, tok[2], a
			return
		}
		if (tok[1] == "ctrl-c") {
			a = after(2)
			if (a == "" || a == "?") { fail("doc-test: ctrl-c after Ns | after \"RE\" [within Ns], before a fence"); return }
			mode = "ctrl-c"; interrupt = a
			armed = 1; return
		}
		fail("doc-test marker: expected terminal, wait or ctrl-c, not " tok[1])
	}
	in_block {
		if (trim($0) ~ /^```/) {
			in_block = 0
			if (out != "") close(out)
			else if (mode == "terminal") {
				n = split(trim(names), nm, " ")
				for (i = 1; i <= n; i++) printf "doctest_terminal %s <<\047DOCTEST_BLOCK\047\n%sDOCTEST_BLOCK\n", nm[i], body
				print ""
			} else if (mode == "ctrl-c") {
				printf "doctest_terminal block%d <<\047DOCTEST_BLOCK\047\n%sDOCTEST_BLOCK\n", blocks, body
				printf "doctest_ctrl_c block%d%s\n\n", blocks, interrupt
			} else print ""
			mode = ""; body = ""
			next
		}
		line = $0
		if (substr(line, 1, length(indent)) == indent) line = substr(line, length(indent) + 1)
		if (mode != "" && line == "DOCTEST_BLOCK") { fail("a line DOCTEST_BLOCK in a terminal block"); next }
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
	files == "" && trim($0) == "<!-- doc-test -->" { if (armed) fail("two doc-test markers before one fence"); armed = 1; out = ""; mode = ""; next }
	files == "" && trim($0) ~ /^<!-- doc-test:.*-->$/ {
		if (armed) fail("two doc-test markers before one fence")
		m = trim($0); sub(/^<!-- doc-test:/, "", m); sub(/-->$/, "", m)
		out = ""; mode = ""
		marker(m)
		next
	}
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
	armed { fail("a doc-test or file comment not followed by a fenced block"); armed = 0; mode = "" }
	END {
		if (in_block) { printf "%s: a fenced block is not closed\n", FILENAME > "/dev/stderr"; exit 1 }
		if (bad) exit 1
	}
' "$1"
