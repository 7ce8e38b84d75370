# Helpers for the steps of a README that need a terminal of their own or a
# Ctrl-C; scripts/readme-steps.sh puts this file at the top of the steps it
# prints and turns the markers into calls (docs/AUTHORING.md):
#   <!-- doc-test: terminal NAME... -->          doctest_terminal NAME <<BLOCK
#   <!-- doc-test: wait NAME "RE" [within Ns] -->  doctest_wait NAME RE [N]
#   <!-- doc-test: ctrl-c NAME [after Ns | after "RE" [within Ns]] -->
#                                                 doctest_ctrl_c NAME [...]
#   <!-- doc-test: ctrl-c after Ns | after "RE" [within Ns] -->
#                                                 terminal + ctrl-c of one block
# RE: a Perl regular expression (an ERE is one, for what READMEs need).
# A terminal: the block runs in bash (-euo pipefail, as the steps) in the
# background on a pseudo-terminal of its own (util-linux's script(1), 120x40),
# so what runs there sees a terminal as a student's would (labctl exec gives
# the command a TTY, kcat's output is line-buffered); its output goes to
# $doctest_dir/NAME.out (the terminal's: CRLF, echoed ^C). Ctrl-C: the byte
# 0x03 typed into that terminal (its line discipline, or labctl exec's raw
# mode passing it on to the container's TTY, makes it SIGINT), then the
# terminal must end within 30 s. A wait sees only complete lines printed
# since the last wait that matched on that terminal and since the last
# Ctrl-C: what happens next, not what was already on the screen. At the end
# of the steps each terminal still running gets a Ctrl-C (then SIGKILL), and
# every terminal's output is printed to stderr, each line prefixed with its
# name. Needs bash, perl (perl-base), script (bsdutils), setsid and
# env --default-signal (coreutils 8.31+): bash makes what it starts in the
# background ignore SIGINT, a terminal's foreground job does not.

doctest_dir=$(mktemp -d "${TMPDIR:-/tmp}/doc-test-terminals-XXXXXX")
declare -A doctest_pid=() doctest_key=()
doctest_order=()

# NAME: the block on stdin, run as a terminal of its own.
doctest_terminal() {
	local name=$1 f=$doctest_dir/$1
	[[ -z ${doctest_pid[$name]:-} ]] || { echo "doc-test: terminal '$name' is already open" >&2; return 1; }
	{ echo 'stty cols 120 rows 40'; cat; } > "$f.sh"
	: > "$f.out"
	# its keyboard: a FIFO this shell holds open, so the terminal never
	# reads an end of input
	mkfifo "$f.in"
	exec {fd}<> "$f.in"
	doctest_key[$name]=$fd
	# script(1) runs the command with $SHELL -c: bash itself, and exec, so
	# bash is the terminal's process and its exit code the terminal's (with
	# SHELL unset or /bin/sh, as under CI, dash stayed in between and died of
	# the Ctrl-C: exit 130 where the block's trap exits 0)
	env --default-signal=INT,QUIT SHELL="$BASH" setsid script -qfec "exec bash -euo pipefail $(printf %q "$f.sh")" /dev/null < "$f.in" > "$f.out" 2>&1 &
	doctest_pid[$name]=$!
	echo 0 > "$f.mark"
	doctest_order+=("$name")
	echo "doc-test: terminal '$name' runs: $(tail -n +2 "$f.sh" | tr '\n' ' ')" >&2
}

# The first complete line at or after byte OFFSET of FILE matching the
# Perl regular expression RE: prints "END-OFFSET<TAB>LINE", or fails.
doctest_match_() {
	perl -e '
		my ($file, $off, $re) = @ARGV;
		open(my $f, "<", $file) or exit 2;
		seek($f, $off, 0);
		while (my $l = <$f>) {
			last unless $l =~ /\n\z/;
			$off += length($l);
			$l =~ s/\r?\n\z//;
			if ($l =~ /$re/) { print "$off\t$l\n"; exit 0 }
		}
		exit 1' "$1" "$2" "$3"
}

doctest_running_() { kill -0 "${doctest_pid[$1]}" 2> /dev/null && ! doctest_reaped_ "$1"; }
# a zombie is kill-able: ask ps whether it has ended
doctest_reaped_() { [[ $(ps -o stat= -p "${doctest_pid[$1]}" 2> /dev/null) == Z* ]]; }

doctest_show_() { # NAME: its output so far, on stderr
	sed "s/\r\$//; s/^/$1 | /" "$doctest_dir/$1.out" >&2
	[[ -z $(tail -c 1 "$doctest_dir/$1.out") ]] || echo >&2
}

doctest_known_() {
	[[ -n ${doctest_pid[$1]:-} ]] || { echo "doc-test: no terminal named '$1' (open it with <!-- doc-test: terminal $1 -->)" >&2; return 1; }
}

# NAME RE [SECONDS]: wait until the terminal prints a line matching RE
# (60 s by default); fails when it does not, or when the terminal ended first.
doctest_wait() (
	set +x
	name=$1 re=$2 within=${3:-60}
	doctest_known_ "$name" || exit 1
	deadline=$((SECONDS + within))
	while :; do
		ended=1
		doctest_running_ "$name" && ended=
		if hit=$(doctest_match_ "$doctest_dir/$name.out" "$(cat "$doctest_dir/$name.mark")" "$re"); then
			echo "${hit%%$'\t'*}" > "$doctest_dir/$name.mark"
			echo "doc-test: $name | ${hit#*$'\t'}" >&2
			exit 0
		fi
		if [[ -n $ended ]]; then
			echo "doc-test: terminal '$name' ended without printing a line matching /$re/; its output:" >&2
			doctest_show_ "$name"
			exit 1
		fi
		if ((SECONDS >= deadline)); then
			echo "doc-test: terminal '$name' printed no line matching /$re/ within ${within}s; its output:" >&2
			doctest_show_ "$name"
			exit 1
		fi
		sleep 0.2
	done
)

# NAME [after SECONDSs | after RE [SECONDS]]: Ctrl-C to the terminal, a
# second after the last wait (a student's reaction) or SECONDS after now; it
# must still be running then (the text says it has to be interrupted) and
# must end within 30 s.
doctest_ctrl_c() {
	doctest_ctrl_c_ "$@" || return 1
	local rc=0
	wait "${doctest_pid[$1]}" || rc=$?
	echo "doc-test: terminal '$1' ended after its Ctrl-C (exit $rc)" >&2
}

doctest_ctrl_c_() (
	set +x
	name=$1
	doctest_known_ "$name" || exit 1
	if [[ ${2:-} == after && $3 =~ ^([0-9]+)s$ ]]; then
		sleep "${BASH_REMATCH[1]}"
	else
		[[ ${2:-} != after ]] || doctest_wait "$name" "$3" "${4:-60}" || exit 1
		# a student's reaction: a block that ends by itself just after the
		# line it printed does not need the Ctrl-C the text asks for
		sleep 1
	fi
	if ! doctest_running_ "$name"; then
		echo "doc-test: terminal '$name' ended before its Ctrl-C; its output:" >&2
		doctest_show_ "$name"
		exit 1
	fi
	# what comes after the Ctrl-C is what the next waits look at
	for n in "${doctest_order[@]}"; do stat -c %s "$doctest_dir/$n.out" > "$doctest_dir/$n.mark"; done
	printf '\003' >&"${doctest_key[$name]}"
	for ((i = 0; i < 150; i++)); do doctest_running_ "$name" || exit 0; sleep 0.2; done
	echo "doc-test: terminal '$name' still runs 30 s after its Ctrl-C; its output:" >&2
	doctest_show_ "$name"
	exit 1
)

doctest_end_() {
	local rc=$? n i
	set +x
	for n in "${doctest_order[@]}"; do
		doctest_running_ "$n" || continue
		echo "doc-test: terminal '$n' still runs at the end of the steps: Ctrl-C" >&2
		printf '\003' >&"${doctest_key[$n]}"
		for ((i = 0; i < 50; i++)); do doctest_running_ "$n" || break; sleep 0.2; done
		# script's end hangs its terminal up: SIGHUP to what runs there
		! doctest_running_ "$n" || kill -KILL "${doctest_pid[$n]}" 2> /dev/null || true
	done
	for n in "${doctest_order[@]}"; do
		echo "doc-test: --- terminal '$n'" >&2
		doctest_show_ "$n"
	done
	rm -rf "$doctest_dir"
	exit "$rc"
}
trap doctest_end_ EXIT
# timeout(1) ends the steps with SIGTERM: the terminals are closed then too
trap 'exit 143' TERM
