#!/usr/bin/env bash
# Where the time of `up` with N compute replicas goes: labctl's own CPU time
# against the whole machine's CPU time during the run (on an otherwise idle
# machine the difference is the engine: dockerd, containerd, the shims, runc,
# the kernel's namespace and cgroup work). Shows the floor any client has on
# this engine: (machine CPU - client CPU) / cores.
#
#   bench/replicas-profile.sh            # N = 1 8 32, 3 runs each
#   REPLICAS="32" RUNS=5 bench/replicas-profile.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

REPLICAS=${REPLICAS:-1 8 32}
RUNS=${RUNS:-3}
REPS=1
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-replicas-profile.XXXXXX")
bench_labctl
P=benchprof
trap '"$LABCTL" down -f "$LOGDIR/lab.yml" -p $P >/dev/null 2>&1 || true' EXIT

# jiffies the whole machine spent busy (all CPUs), from /proc/stat
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
HZ=$(getconf CLK_TCK)

echo "| replicas | wall s | labctl CPU s | machine CPU s | engine CPU s (machine - labctl) | engine CPU per replica ms | floor on $(nproc) cores s |"
echo "|---|---|---|---|---|---|---|"
for n in $REPLICAS; do
	printf 'services:\n  compute:\n    image: labctl/compute:1\n    deploy: { replicas: %d }\n' "$n" >"$LOGDIR/lab.yml"
	for r in $(seq 1 "$RUNS"); do
		"$LABCTL" down -f "$LOGDIR/lab.yml" -p $P >/dev/null 2>&1
		sleep 2
		b0=$(busy)
		/usr/bin/time -f '%e %U %S' -o "$LOGDIR/time" "$LABCTL" up -f "$LOGDIR/lab.yml" -p $P >/dev/null 2>"$LOGDIR/up.log" ||
			die "up failed: $(tail -3 "$LOGDIR/up.log")"
		b1=$(busy)
		read -r wall u s <"$LOGDIR/time"
		awk -v n="$n" -v w="$wall" -v u="$u" -v s="$s" -v j="$((b1 - b0))" -v hz="$HZ" -v c="$(nproc)" 'BEGIN {
			m = j / hz; own = u + s; eng = m - own
			printf "| %d | %.2f | %.2f | %.2f | %.2f | %.0f | %.2f |\n", n, w, own, m, eng, eng / n * 1000, eng / c }'
	done
done
