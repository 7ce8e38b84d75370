#!/usr/bin/env bash
# Spark benchmark on module5: warm `up` to all-ready, memory of each
# service, and the flights-batch job's time on the full 3,000,000 flights
# with 1, 2 and 3 workers (up --scale spark-worker=N between runs). Prints
# the machine's load (1-minute average, /proc/loadavg) beside every number:
# on a shared machine the numbers mean little without it.
#
#   bench/spark.sh              # all: up, memory, job with WORKERS="1 2 3"
#   WORKERS="2" bench/spark.sh  # only the job with 2 workers
#
# Environment: LABCTL (build/labctl), LABCTL_DATA_DIR (../shared/data: the
# full flights file; without it the job runs on the 20,000-row sample and
# says so), WORKERS ("1 2 3"), LOCK (/tmp/labctl-integration.lock: every
# command that starts containers takes it, the job runs do not),
# KEEP=1 leaves module5 up at the end (else `down`, volumes kept).
set -euo pipefail
cd "$(dirname "$0")/.."
LABCTL=${LABCTL:-build/labctl}
WORKERS=${WORKERS:-1 2 3}
LOCK=${LOCK:-/tmp/labctl-integration.lock}
export LABCTL_DATA_DIR=${LABCTL_DATA_DIR:-$(realpath ../shared/data)}

load() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

echo "# bench/spark.sh $(date -u +%FT%TZ) on $(nproc) cores, labctl $($LABCTL version | head -1)"
echo "# data: $LABCTL_DATA_DIR"

# warm up: images built, named volumes (PostgreSQL, object store: the
# dataset already uploaded) kept, containers absent
flock "$LOCK" "$LABCTL" down module5 >/dev/null 2>&1 || true
l0=$(load); t0=$(now)
flock "$LOCK" "$LABCTL" up module5 >/dev/null 2>/tmp/bench-spark-up.err
t1=$(now)
echo "warm up to all-ready (2 workers): $(secs "$t0" "$t1") s  (load $l0 -> $(load))"

sleep 5
echo "memory after up (docker stats, no job running):"
docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' \
	$(docker ps -q --filter label=io.labctl.lab=module5) | sort | sed 's/^/  /'

for n in $WORKERS; do
	flock "$LOCK" "$LABCTL" up module5 --scale spark-worker="$n" >/dev/null 2>&1
	l0=$(load); t0=$(now)
	"$LABCTL" run module5 flights-batch >/tmp/bench-spark-run.out 2>/tmp/bench-spark-run.err
	t1=$(now)
	rows=$(grep -o 'input rows: [0-9]*' /tmp/bench-spark-run.out | head -1)
	app=$(grep -o "application app-[^;]*" /tmp/bench-spark-run.err | head -1)
	execs=$(grep -o "executors on .*" /tmp/bench-spark-run.err | head -1)
	echo "flights-batch, $n worker(s): $(secs "$t0" "$t1") s wall ($rows; $app; $execs)  (load $l0 -> $(load))"
	if [ "$n" = "$(echo "$WORKERS" | awk '{print $NF}')" ]; then
		echo "memory right after the job with $n workers:"
		docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' \
			$(docker ps -q --filter label=io.labctl.lab=module5) | sort | sed 's/^/  /'
	fi
done
[ "${KEEP:-}" = 1 ] || flock "$LOCK" "$LABCTL" down module5 >/dev/null 2>&1
