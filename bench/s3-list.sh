#!/usr/bin/env bash
# verify's s3 prefix check on many objects: an object store alone (the
# labs' objectstore fragment, S3Proxy with its filesystem backend), N small
# objects under flights/dt=YYYY-MM-DD/hour=HH.jsonl (the lake's layout, 24
# a day), then REPS runs of two checks through `labctl verify`:
#   count   { prefix: flights/dt=, count: N }        every page listed
#   lake    { prefix: flights/dt=, min_count: 181 }  module3's lake-days
# and, for comparison, one ListObjectsV2 page timed with curl. Durations are
# verify's own (duration_ms of --format json), with the load average at each;
# the checks get 120 s here so that a slow listing is measured, not cut at
# verify's default 10 s.
# See docs/BENCHMARKS.md.
#
#   bench/s3-list.sh                       # N=10000 REPS=5
#   N=3500 REPS=3 bench/s3-list.sh
#   LABCTL_B=/path/to/other/labctl bench/s3-list.sh   # also time another build
#
# Environment: N (10000), REPS (5), BENCH_PROJECT (benchs3), LABCTL
# (build/labctl), LABCTL_B (unset), KEEP=1 leaves the lab up. The host port
# is the engine's pick (LAB_S3_PORT=0). Needs the aws CLI or curl (>= 7.75,
# --aws-sigv4) and python3 for the upload.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${N:-10000}
P=${BENCH_PROJECT:-benchs3}
export LAB_S3_PORT=0
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-s3list.XXXXXX")
export LABCTL_STATE_DIR=$LOGDIR/state
bench_labctl
LAB=$LOGDIR/$P/lab.yml
mkdir -p "$LOGDIR/$P"
cat >"$LAB" <<EOF
lab: { name: $P }
include: ["$BENCH_ROOT/labs/common/objectstore.yml"]
buckets: [lake]
checks:
  - id: count
    timeout: 120s
    s3: { bucket: lake, prefix: flights/dt=, count: $N }
  - id: lake
    timeout: 120s
    s3: { bucket: lake, prefix: flights/dt=, min_count: 181 }
EOF

teardown() {
	local rc=$?
	if [ "${KEEP:-0}" = 1 ]; then
		log "KEEP=1: lab '$P' left up (LABCTL_STATE_DIR=$LABCTL_STATE_DIR labctl down -f $LAB --volumes)"
	else
		"$LABCTL" down -f "$LAB" --volumes >"$LOGDIR/down.log" 2>&1 || log "down failed, see $LOGDIR/down.log"
	fi
	log "logs in $LOGDIR"
	exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

log "bringing up an object store as '$P'"
flock /tmp/labctl-integration.lock "$LABCTL" up -f "$LAB" >"$LOGDIR/up.log" 2>&1 || { cat "$LOGDIR/up.log" >&2; die "up failed"; }
eval "$("$LABCTL" env -f "$LAB")"

log "writing $N objects"
python3 - "$LOGDIR/objects" "$N" <<'EOF'
import datetime, os, sys
root, n = sys.argv[1], int(sys.argv[2])
d0 = datetime.date(2023, 1, 1)
for i in range(n):
    day = d0 + datetime.timedelta(days=i // 24)
    p = f"{root}/flights/dt={day}/hour={i % 24:02d}.jsonl"
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write('{"origin_state":"TX","flights":1}\n')
EOF
t0=$(now)
if command -v aws >/dev/null; then
	aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp --recursive --only-show-errors "$LOGDIR/objects/" s3://lake/ \
		>"$LOGDIR/upload.log" 2>&1 || { cat "$LOGDIR/upload.log" >&2; die "upload failed"; }
else
	(cd "$LOGDIR/objects" && find flights -type f) |
		xargs -P 8 -I{} curl -sf -o /dev/null -X PUT --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
			--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
			--data-binary @"$LOGDIR/objects/{}" "$AWS_ENDPOINT_URL/lake/{}" || die "upload failed"
fi
log "uploaded in $(elapsed "$t0" "$(now)")s"

# run_checks LABCTL -> "COUNT_MS LAKE_MS" (dies unless both passed)
run_checks() {
	local out=$LOGDIR/verify.json
	"$1" verify -f "$LAB" --format json >"$out" 2>"$LOGDIR/verify.err" || {
		cat "$out" "$LOGDIR/verify.err" >&2
		die "verify failed: the count is not exact or the listing failed"
	}
	python3 -c 'import json, sys
d = {c["id"]: c for c in json.load(open(sys.argv[1]))["checks"]}
print(d["count"]["duration_ms"], d["lake"]["duration_ms"])' "$out"
}

machine_summary
run_checks "$LABCTL" >/dev/null # the store's first listing warms its JVM
declare -A count lake
for b in A ${LABCTL_B:+B}; do count[$b]=; lake[$b]=; done
loads=
for i in $(seq "$REPS"); do
	for b in A ${LABCTL_B:+B}; do
		bin=$LABCTL
		[ "$b" = B ] && bin=$LABCTL_B
		read -r c l < <(run_checks "$bin")
		count[$b]="${count[$b]} $c"
		lake[$b]="${lake[$b]} $l"
		log "rep $i $b: count ${c} ms, lake ${l} ms"
	done
	loads="$loads $(cut -d' ' -f1 /proc/loadavg)"
done
page=$(curl -s -o /dev/null -w '%{time_total}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
	--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	"$AWS_ENDPOINT_URL/lake?list-type=2&max-keys=1000&prefix=flights%2Fdt%3D")
echo
echo "objects: $N under lake/flights/dt=, reps: $REPS, load (1 min) at each rep:$loads"
echo "one ListObjectsV2 page (1000 keys) with curl: ${page}s"
for b in A ${LABCTL_B:+B}; do
	echo "labctl $b: count check (all pages) median/min/max ms: $(stats "${count[$b]}")"
	echo "labctl $b: lake-days check (min_count 181) median/min/max ms: $(stats "${lake[$b]}")"
done
