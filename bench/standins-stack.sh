#!/usr/bin/env bash
# Warm `labctl up -f tests/standins/course-stack/compose.yaml --offline`:
# the issue's course stack (10 containers: PostgreSQL, pgAdmin, ZooKeeper,
# Kafka, schema registry, MinIO, Spark master + 2 workers, Jupyter) on
# stand-ins that are already built, from no container to every service
# healthy (up returns), then `down --volumes`; REPS times (default 3), with
# the machine's load. See bench/README.md.
#
#   flock /tmp/labctl-integration.lock bench/standins-stack.sh
#
# The stand-ins must be built (the stand-in tests build them, or one
# `labctl up -f ... --offline`); a run that builds anything is reported
# and not counted. The project is labctl-bench-stack-<pid>, removed after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-standins-stack.XXXXXX")
bench_labctl
# bench_labctl runs a copy of labctl from $LOGDIR: the catalog is this checkout's
export LABCTL_IMAGES_DIR=${LABCTL_IMAGES_DIR:-$BENCH_ROOT/images}
REPS=${REPS:-3}
FILE=tests/standins/course-stack/compose.yaml
P=labctl-bench-stack-$$
KAFKA_HOST_PORT=$(free_port)
export KAFKA_HOST_PORT
cleanup() { "$LABCTL" down -f "$FILE" -p "$P" --volumes >/dev/null 2>&1 || true; rm -rf "$LOGDIR"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
times=
for i in $(seq 1 "$REPS"); do
	before=$(cut -d' ' -f1-3 /proc/loadavg)
	t0=$(now)
	"$LABCTL" up -f "$FILE" -p "$P" --offline >"$LOGDIR/up.out" 2>"$LOGDIR/up.err" || { cat "$LOGDIR/up.err" >&2; die "up failed"; }
	t1=$(now)
	after=$(cut -d' ' -f1-3 /proc/loadavg)
	if grep -q "building" "$LOGDIR/up.err"; then
		echo "run $i: built images (not warm), $(elapsed "$t0" "$t1") s: not counted"
	else
		printf 'run %d: warm up %6.1f s  (load before %s, after %s)\n' "$i" "$(elapsed "$t0" "$t1")" "$before" "$after"
		times="$times $(elapsed "$t0" "$t1")"
	fi
	"$LABCTL" down -f "$FILE" -p "$P" --volumes >/dev/null 2>&1 || die "down failed"
done
read -r med min max <<<"$(stats "$times")"
echo "warm up of the course stack (10 containers): median $med s, min $min s, max $max s over $(wc -w <<<"$times") runs"
