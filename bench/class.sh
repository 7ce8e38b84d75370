#!/usr/bin/env bash
# How many student instances of a lab fit on this machine, and how long
# `labctl class up` takes for 1, 4 and 8 of them.
#
#   bench/class.sh                          # module0, 1 4 8 instances, --parallel 2
#   COUNTS="1 2" PARALLEL=4 bench/class.sh
#   LAB_KAFKA_HEAP="-Xms128m -Xmx256m" bench/class.sh   # a smaller broker heap
#
# For each count N: a roster of N students (b01..bNN), `labctl class up LAB
# --roster R --parallel P` timed (wall clock), then `docker stats
# --no-stream` of every container of the instances 20 s after the last one
# was ready (memory per instance = the sum of its containers' usage, CPU
# the same), `labctl class verify` into one CSV gradebook (timed, rows
# counted), then `labctl class down --volumes`. A state directory of its
# own (credentials, allocated ports) is removed at the end. The result,
# in Markdown, goes to stdout; progress with the 1-minute load to stderr.
# It needs the lab's images (the first up builds them: run it once before).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

LAB=${LAB:-module0}
COUNTS=${COUNTS:-1 4 8}
PARALLEL=${PARALLEL:-2}
SETTLE=${SETTLE:-20}
STATE=$(mktemp -d /tmp/bench-class-XXXXXX)
LOGDIR=$STATE
export LABCTL_STATE_DIR=$STATE/state
bench_labctl
max=0
for n in $COUNTS; do [ "$n" -gt "$max" ] && max=$n; done
seq -f 'b%02g' 1 "$max" > "$STATE/all.txt"

cleanup() {
	"$LABCTL" class down "$LAB" --roster "$STATE/all.txt" --volumes >/dev/null 2>&1 || true
	rm -rf "$STATE"
}
trap cleanup EXIT

# MiB of a docker stats memory figure ("512.3MiB", "1.2GiB", "900KiB")
to_mib() {
	awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
	       if (u == "GiB") v *= 1024; else if (u == "KiB") v /= 1024; else if (u == "B") v /= 1048576
	       printf "%.0f\n", v }'
}

log "machine: $(machine_summary | head -1)"
log "lab $LAB, counts: $COUNTS, --parallel $PARALLEL, LAB_KAFKA_HEAP=${LAB_KAFKA_HEAP:-(lab default)}"
avail_before=$(awk '/MemAvailable/ { printf "%.0f", $2 / 1024 }' /proc/meminfo)
rows=()
for n in $COUNTS; do
	head -n "$n" "$STATE/all.txt" > "$STATE/roster.txt"
	load0=$(loadavg)
	log "class up: $n instances"
	t0=$(now)
	if ! "$LABCTL" class up "$LAB" --roster "$STATE/roster.txt" --parallel "$PARALLEL" > "$STATE/up-$n.txt" 2> "$STATE/up-$n.err"; then
		cat "$STATE/up-$n.err" >&2
		die "class up of $n failed"
	fi
	t1=$(now)
	secs=$(elapsed "$t0" "$t1")
	load1=$(loadavg)
	log "up in ${secs}s; waiting ${SETTLE}s before docker stats"
	sleep "$SETTLE"
	per=()
	cpus=()
	while read -r id; do
		names=$(docker ps --filter "label=io.labctl.lab=$LAB-$id" --format '{{.Names}}')
		[ -n "$names" ] || continue
		mib=$(docker stats --no-stream --format '{{.MemUsage}}' $names | awk '{ print $1 }' | to_mib | awk '{ s += $1 } END { print s }')
		cpu=$(docker stats --no-stream --format '{{.CPUPerc}}' $names | tr -d '%' | awk '{ s += $1 } END { printf "%.1f", s }')
		per+=("$mib")
		cpus+=("$cpu")
	done < "$STATE/roster.txt"
	mem_med=$(median "${per[*]}")
	mem_sum=$(printf '%s\n' "${per[@]}" | awk '{ s += $1 } END { print s }')
	cpu_med=$(median "${cpus[*]}")
	avail=$(awk '/MemAvailable/ { printf "%.0f", $2 / 1024 }' /proc/meminfo)
	rows+=("| $n | $PARALLEL | $secs | $(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", s / n }') | $mem_med | $mem_sum | $cpu_med | $avail | $load0 → $load1 |")
	log "$n instances: ${mem_med} MiB each (median), ${mem_sum} MiB in all, idle CPU ${cpu_med}% each, MemAvailable ${avail} MiB"
	# every instance graded into one gradebook (module0's checks want work
	# the students have not done: rows fail, but every row is there)
	t0=$(now)
	"$LABCTL" class verify "$LAB" --roster "$STATE/roster.txt" --format csv -o "$STATE/book-$n.csv" > /dev/null 2>&1 || true
	vsecs=$(elapsed "$t0" "$(now)")
	nrows=$(($(wc -l < "$STATE/book-$n.csv") - 1))
	nstud=$(tail -n +2 "$STATE/book-$n.csv" | cut -d, -f1 | sort -u | wc -l)
	log "class verify: $nrows rows for $nstud students in ${vsecs}s"
	rows[${#rows[@]} - 1]="${rows[${#rows[@]} - 1]} $vsecs ($nrows rows, $nstud students) |"
	log "class down"
	"$LABCTL" class down "$LAB" --roster "$STATE/roster.txt" --volumes > /dev/null 2>&1 || die "class down failed"
done

echo "### \`labctl class up $LAB\`: $COUNTS instances"
echo
machine_summary | sed 's/^/- /'
echo "- LAB_KAFKA_HEAP=${LAB_KAFKA_HEAP:-lab default -Xms256m -Xmx512m}, LAB_S3_JAVA_OPTS=${LAB_S3_JAVA_OPTS:-none}; MemAvailable before: $avail_before MiB"
echo
echo "| instances | --parallel | up (s) | s per instance | MiB per instance (median) | MiB in all | idle CPU % per instance | MemAvailable after (MiB) | load 1/5/15 before → after up | class verify (s) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
