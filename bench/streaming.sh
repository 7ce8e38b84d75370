#!/usr/bin/env bash
# window-agg against the raw consume rate of the same topic, in one run
# (issue 13): module3 as a student instance of its own (own host ports),
# 3,000,000 flights produced once, then REPS rounds, alternated:
#   raw   kcat -C -e of the whole topic to /dev/null inside compute-1 (the limit)
#   agg1  job aggregate, 1 replica (its own "in X s": process start to exit,
#         group join, lake and final commit included)
#   agg2  the same with 2 replicas (a copy of lab.yml with replicas: 2; the
#         slower replica's time)
# Before each aggregate the job's three tables are dropped, so every run
# starts from nothing with a consumer group of its own.
#   spark aggregate-spark on the lab's Spark cluster (profile spark, 2
#         workers of 1 core, executors 512m, driver 512m), --no-tally (the
#         after-stream accounting read is a check, not the job): its own
#         "in X s" (SparkSession start to the last batch's writes); before
#         each run its tables are dropped and it gets a checkpoint of its own.
#         SPARK=0 leaves it out (and the lab comes up without the profile).
#
#   bench/streaming.sh                    # REPS=5, student instance 'bench', removed after
#   REPS=3 STUDENT=me KEEP=1 UP=0 bench/streaming.sh   # an instance already up, kept
#   ON=host bench/streaming.sh            # kcat and window-agg (jobs/build, made if
#                                         # missing) on the host against the lab's
#                                         # published ports, replicas as processes
#                                         # with LAB_RANK; the lab's containers only
#                                         # serve (Kafka, PostgreSQL, S3)
set -euo pipefail
# an instance already up (UP=0) keeps its credentials in the user's state
# directory; lib.sh would point labctl at a fresh one
[ "${UP:-1}" = 1 ] || export LABCTL_STATE_DIR=${LABCTL_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/labctl}
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

STUDENT=${STUDENT:-bench}
KEEP=${KEEP:-}
ON=${ON:-compute}
case $ON in compute | host) ;; *) echo "ON must be compute or host" >&2; exit 2 ;; esac
SPARK=${SPARK:-1}
PROFILE=
[ "$SPARK" = 1 ] && PROFILE="--profile spark"
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-streaming.XXXXXX")
bench_prereqs
LAB2=$BENCH_ROOT/labs/module3/.bench-2r.yml
sed 's/^    replicas: 1$/    replicas: 2/' "$BENCH_ROOT/labs/module3/lab.yml" >"$LAB2"
grep -q 'replicas: 2$' "$LAB2" || die "cannot make the 2-replica lab file"
cleanup() {
	rm -f "$LAB2"
	[ -n "$KEEP" ] || flock /tmp/labctl-integration.lock "$LABCTL" down module3 --student "$STUDENT" --volumes >/dev/null 2>&1 || true
}
trap cleanup EXIT

L() { "$LABCTL" "$@" --student "$STUDENT"; }
# CPU-seconds used so far by each of the instance's containers (cgroup v1
# cpuacct, or v2 cpu.stat) and by this script's children on the host
# ("host": labctl's exec/run clients, and kcat and the job with ON=host), one
# "name seconds" a line: the work a run made, which the load does not stretch
# as it does the wall time
lab_cpu() {
	local id name f ns
	docker ps --no-trunc --filter "name=^module3-$STUDENT-" --format '{{.ID}} {{.Names}}' | while read -r id name; do
		ns=0
		for f in /sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage /sys/fs/cgroup/cpuacct/system.slice/docker-$id.scope/cpuacct.usage; do
			[ -r "$f" ] && ns=$((ns + $(cat "$f")))
		done
		f=/sys/fs/cgroup/system.slice/docker-$id.scope/cpu.stat
		[ -r "$f" ] && ns=$((ns + $(awk '/^usage_usec/ { print $2 * 1000 }' "$f")))
		echo "${name#module3-$STUDENT-} $ns"
	done | awk '{ printf "%s %.3f\n", $1, $2 / 1e9 }'
	awk -v hz="$(getconf CLK_TCK)" '{ printf "host %.3f\n", ($14 + $15 + $16 + $17) / hz }' /proc/$$/stat
}
# cpu_of RUN BEFORE-FILE: appends "RUN total name=seconds ..." (CPU-s since
# BEFORE-FILE was written by lab_cpu) to $LOGDIR/cpu.txt
cpu_of() {
	lab_cpu >"$2.after"
	awk -v run="$1" 'NR == FNR { a[$1] = $2; next } { d[$1] = $2 - a[$1]; t += $2 - a[$1] }
		END { printf "%s %.2f", run, t; for (n in d) if (d[n] >= 0.05) printf " %s=%.2f", n, d[n]; printf "\n" }' \
		"$2" "$2.after" >>"$LOGDIR/cpu.txt"
}
psql_lab() { "$LABCTL" exec module3 postgres --student "$STUDENT" -- psql -U lab -d lab -X -qtA -c "$1"; }

if [ "${UP:-1}" = 1 ]; then
	log "up module3 --student $STUDENT"
	# shellcheck disable=SC2086
	flock /tmp/labctl-integration.lock "$LABCTL" up module3 $PROFILE --student "$STUDENT" >"$LOGDIR/up.log" 2>&1 ||
		die "up failed: $(tail -3 "$LOGDIR/up.log")"
fi
if [ "$ON" = host ]; then
	eval "$("$LABCTL" env module3 --student "$STUDENT")" || die "labctl env failed"
	[ -x "$BENCH_ROOT/jobs/build/window-agg" ] || make -C "$BENCH_ROOT/jobs" window-agg >&2 || die "cannot build window-agg"
	N=$(kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t flights -o beginning -e -q -f "x\n" 2>/dev/null | wc -l || echo 0)
else
	N=$("$LABCTL" exec module3 compute --student "$STUDENT" -- sh -c \
		'kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t flights -o beginning -e -q -f "x\n" 2>/dev/null | wc -l' || echo 0)
fi
if [ "$N" -lt 3000000 ]; then
	log "produce 3,000,000 flights"
	L run module3 produce >"$LOGDIR/produce.log" 2>&1 || die "produce failed: $(tail -3 "$LOGDIR/produce.log")"
	N=$("$LABCTL" exec module3 compute --student "$STUDENT" -- sh -c \
		'kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t flights -o beginning -e -q -f "x\n" | wc -l')
fi
PARTS=$("$LABCTL" exec module3 kafka --student "$STUDENT" -- kafka-topics.sh --bootstrap-server kafka:9092 \
	--describe --topic flights | grep -c 'Partition: ')
log "topic flights: $N events in $PARTS partitions"

raw() {
	if [ "$ON" = host ]; then
		local s e
		s=$(now)
		kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t flights -o beginning -e -q >/dev/null
		e=$(now)
		elapsed "$s" "$e"
		return
	fi
	"$LABCTL" exec module3 compute --student "$STUDENT" -- sh -c \
		's=$(date +%s.%N); kcat -C -b "$KAFKA_BOOTSTRAP_SERVERS" -t flights -o beginning -e -q >/dev/null; e=$(date +%s.%N); echo "$s $e"' |
		awk '{ printf "%.2f", $2 - $1 }'
}
# agg FILE-ARGS...: runs aggregate, prints the slowest replica's own time
agg() {
	psql_lab 'drop table if exists flight_windows, window_offsets, lake_hours' >/dev/null
	local g=bench-$RANDOM$RANDOM out=$LOGDIR/agg-$(date +%s%N).log
	if [ "$ON" = host ]; then # replicas: processes with LAB_RANK 0..n-1
		local n=1 i pids=
		[ "$1" = module3 ] || n=2
		for i in $(seq 0 $((n - 1))); do
			LAB_RANK=$i LAB_WORLD_SIZE=$n "$BENCH_ROOT/jobs/build/window-agg" --topic flights --until-end \
				--group "$g" --airports "$LABCTL_DATA_DIR/airports.csv" >>"$out" 2>&1 &
			pids="$pids $!"
		done
		for i in $pids; do wait "$i" || die "aggregate failed: $(tail -5 "$out")"; done
	else
		"$LABCTL" run "$@" --student "$STUDENT" aggregate -- --group "$g" >"$out" 2>&1 || die "aggregate failed: $(tail -5 "$out")"
	fi
	local total
	total=$(psql_lab 'select sum(flights) from flight_windows')
	[ "$total" = "$N" ] || die "aggregate counted $total of $N events ($out)"
	grep -o 'in [0-9.]* s$' "$out" | awk '{ if ($2 > m) m = $2 } END { printf "%.2f", m }'
	grep -h 'time in commits' "$out" >>"$LOGDIR/breakdown.txt"
}

# spark: runs aggregate-spark from nothing, prints the driver's own time
spark() {
	psql_lab 'drop table if exists flight_windows_spark, flight_windows_spark_stage, spark_batches, spark_progress, flight_input_spark' >/dev/null
	local ck=s3a://lake/checkpoints/bench-$RANDOM$RANDOM out=$LOGDIR/spark-$(date +%s%N).log
	"$LABCTL" run module3 --student "$STUDENT" aggregate-spark -- --checkpoint "$ck" --no-tally \
		>"$out" 2>&1 || die "aggregate-spark failed: $(tail -5 "$out")"
	local total
	total=$(psql_lab 'select sum(n) from (select sum(input_rows) n from spark_progress) s')
	[ "$total" = "$N" ] || die "aggregate-spark read $total of $N events ($out)"
	grep -o 'in [0-9.]* s$' "$out" | tail -1 | awk '{ printf "%.2f", $2 }'
	grep -ho 'stream: .*' "$out" >>"$LOGDIR/spark.txt" || true
}

raws= a1s= a2s= sps= loads=
: >"$LOGDIR/cpu.txt"
for r in $(seq 1 "$REPS"); do
	lab_cpu >"$LOGDIR/c0"; t=$(raw); cpu_of raw "$LOGDIR/c0"; raws="$raws $t"; log "rep $r raw consume $t s"
	lab_cpu >"$LOGDIR/c0"; t=$(agg module3); cpu_of agg1 "$LOGDIR/c0"; a1s="$a1s $t"; log "rep $r window-agg x1 $t s"
	if [ "$PARTS" -ge 2 ]; then
		lab_cpu >"$LOGDIR/c0"; t=$(agg -f "$LAB2"); cpu_of agg2 "$LOGDIR/c0"; a2s="$a2s $t"; log "rep $r window-agg x2 $t s"
	fi
	if [ "$SPARK" = 1 ]; then
		t=$(spark); sps="$sps $t"; log "rep $r aggregate-spark $t s"
	fi
	loads="$loads $(cut -d' ' -f1 /proc/loadavg)"
done

raw_m=$(median "$raws") a1_m=$(median "$a1s")
echo
machine_summary
echo "load (1-min average after each round): $loads"
echo "versions: $("$LABCTL" exec module3 kafka --student "$STUDENT" -- sh -c 'ls /opt/kafka/libs 2>/dev/null | grep -o "kafka-clients-[0-9.]*[0-9]" | head -1' || true)," \
	"$("$LABCTL" exec module3 postgres --student "$STUDENT" -- postgres --version 2>/dev/null || true)," \
	"kcat $("$LABCTL" exec module3 compute --student "$STUDENT" -- sh -c 'kcat -V 2>&1 | grep -o "Version [0-9.]* .*librdkafka [0-9.]*" | sed "s/ (.*librdkafka/, librdkafka/"' || true)"
echo "topic: $N events, $PARTS partitions; $REPS rounds, alternated; kcat and window-agg on: $ON"
echo
echo "| run | seconds (median, min, max) | events/s (median) | ratio to raw consume (rate) | paired ratios |"
echo "|---|---|---|---|---|"
row() { # name times
	local m
	m=$(median "$2")
	echo "| $1 | $(stats "$2" | tr ' ' ',' | sed 's/,/ (/; s/,/–/; s/$/)/') | $(rate "$N" "$m") | $(ratio "$raw_m" "$m") | $(paired_ratios "$raws" "$2") |"
}
row "raw consume (kcat -C -e, $([ "$ON" = host ] && echo host || echo compute-1))" "$raws"
row "window-agg, 1 replica" "$a1s"
[ -z "$a2s" ] || row "window-agg, 2 replicas" "$a2s"
[ -z "$sps" ] || row "aggregate-spark (Spark $(grep -ho 'Running Spark version [0-9.]*' "$LOGDIR"/spark-*.log | head -1 | awk '{ print $4 }'), 2 workers)" "$sps"
if [ -n "$sps" ]; then
	echo
	echo "window-agg (1 replica) ÷ aggregate-spark, events/s: $(ratio "$(median "$sps")" "$a1_m") (medians; goal >= 5), paired: $(paired_ratios "$sps" "$a1s")"
	echo "aggregate-spark, per run (the stream alone, from its query's start):"
	sed 's/^/    /' "$LOGDIR/spark.txt"
fi
echo
echo "CPU-seconds per run (the instance's containers, idle included, and the host's labctl/kcat/job processes):"
for n in raw agg1 agg2; do
	v=$(awk -v n=$n '$1 == n { print $2 }' "$LOGDIR/cpu.txt" | tr '\n' ' ')
	[ -z "$v" ] || echo "    $n: median $(median "$v") ($v)"
done
sed 's/^/    /' "$LOGDIR/cpu.txt"
echo
echo "window-agg's own breakdown (stderr at exit), per replica and run:"
sed 's/^/    /' "$LOGDIR/breakdown.txt"
echo "logs: $LOGDIR"
