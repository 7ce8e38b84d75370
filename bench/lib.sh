# Helpers shared by bench/loader.sh and bench/producer.sh (sourced, not run).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABCTL=${LABCTL:-$BENCH_ROOT/build/labctl}
export LABCTL_DATA_DIR=${LABCTL_DATA_DIR:-/work/shared/data}
REPS=${REPS:-5}

log() { printf '%s  %s  [load %s]\n' "$(date +%H:%M:%S)" "$*" "$(cut -d" " -f1 /proc/loadavg)" >&2; }
die() { log "error: $*"; exit 1; }

bench_prereqs() {
	bench_labctl
	[ -f "$LABCTL_DATA_DIR/flights-3m.csv.gz" ] ||
		die "$LABCTL_DATA_DIR/flights-3m.csv.gz not found (set LABCTL_DATA_DIR)"
}

# A TCP port nothing listens on right now, on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null && return
	local p
	for p in $(seq 29100 29900); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	die "no free port"
}

# Wall clock in seconds with ns resolution.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# stats "v1 v2 ...": prints "median min max" (median of an even count = mean of
# the two middle values).
stats() {
	printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "- - -"; exit }
		      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}
median() { stats "$1" | cut -d' ' -f1; }

# rate COUNT SECONDS -> per-second rate, rounded
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }
# ratio A B -> A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# spread "v1 v2 ...": (max - min) / median, in percent
spread() { stats "$1" | awk '{ if ($1 > 0) printf "%.0f%%", ($3 - $2) / $1 * 100; else print "-" }'; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

machine_summary() {
	echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
		"kernel $(uname -r), Docker Engine $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
	echo "labctl: $("$LABCTL" version 2>/dev/null | head -1), commit $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BENCH_ROOT" diff --quiet HEAD -- labctl jobs labs images 2>/dev/null || echo ' (+ local changes)')"
}

# paired_ratios "a1 a2 ..." "b1 b2 ...": a_i/b_i per repetition (2 decimals),
# space-separated; their median is less sensitive to load that changes
# between repetitions than the ratio of medians
paired_ratios() {
	local -a a=($1) b=($2)
	local i out=
	for i in "${!a[@]}"; do out="$out $(ratio "${a[$i]}" "${b[$i]}")"; done
	echo $out
}

# --- added for bench/compose.sh ---

# bench_labctl: build labctl if missing and switch $LABCTL to a private copy in
# $LOGDIR (bench_prereqs without the dataset check, for benchmarks that need no
# data).
bench_labctl() {
	if [ ! -x "$LABCTL" ]; then
		log "building $LABCTL"
		make -C "$BENCH_ROOT" build/labctl >&2 || die "cannot build labctl"
	fi
	local copy=$LOGDIR/labctl i
	for i in 1 2 3 4 5; do
		cp "$LABCTL" "$copy" 2>/dev/null && "$copy" version >/dev/null 2>&1 && break
		sleep 2
	done
	"$copy" version >/dev/null 2>&1 || die "cannot copy a working $LABCTL"
	LABCTL=$copy
	export LABCTL_LABS_DIR=${LABCTL_LABS_DIR:-$BENCH_ROOT/labs}
	# the benchmark labs' generated credentials stay in the log directory
	export LABCTL_STATE_DIR=${LABCTL_STATE_DIR:-$LOGDIR/state}
	case $REPS in '' | *[!0-9]* | 0) die "REPS must be a positive integer" ;; esac
}

# elapsed_ms START END -> milliseconds with 1 decimal
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
# kib_to_mib KB -> MiB with 1 decimal (GNU time's %M is in KiB)
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# divide A B [DECIMALS] -> A/B
divide() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b != 0) printf "%.*f", d, a / b; else print "-" }'; }
# meets VALUE LIMIT -> "yes" when VALUE <= LIMIT, "no" otherwise, "-" without a value
meets() { awk -v v="$1" -v l="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else print (v + 0 <= l + 0 ? "yes" : "no") }'; }
