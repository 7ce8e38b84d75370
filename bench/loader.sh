#!/usr/bin/env bash
# Loader benchmark: flights-load's COPY phase against psql's \copy of the same
# file into an equivalent raw table, same PostgreSQL server, same network path
# (both run in module4's compute container and talk to postgres:5432 on the
# lab network). See bench/README.md.
#
#   bench/loader.sh                 # REPS=5 alternating repetitions
#   REPS=3 BENCH_PROJECT=bench4x bench/loader.sh
#
# Environment: REPS (5), BENCH_PROJECT (bench401), LABCTL (build/labctl),
# LABCTL_DATA_DIR (/work/shared/data), LAB_PG_PORT / LAB_S3_PORT (0: the
# engine picks), KEEP=1 leaves the lab up at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

P=${BENCH_PROJECT:-bench401}
export LAB_PG_PORT=${LAB_PG_PORT:-0} LAB_S3_PORT=${LAB_S3_PORT:-0}
ROWS=3000000
FILE=/lab/data/flights-3m.csv.gz   # where labctl run puts the dataset in compute
RAW=fact_flights_raw
COLS="flight_ts, delay_min, distance_mi, origin, destination"

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-loader.XXXXXX")
bench_prereqs

teardown() {
	local rc=$?
	if [ "${KEEP:-0}" = 1 ]; then
		log "KEEP=1: lab '$P' left up (labctl down -p $P module4 --volumes)"
	else
		log "tearing down '$P'"
		"$LABCTL" down -p "$P" module4 --volumes >"$LOGDIR/down.log" 2>&1 || log "down failed, see $LOGDIR/down.log"
	fi
	log "logs in $LOGDIR"
	exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

lx() { "$LABCTL" exec -p "$P" module4 compute -- "$@"; }
psql_q() { lx psql -v ON_ERROR_STOP=1 -qAt "$@"; }

log "bringing up module4 as '$P'"
"$LABCTL" up -p "$P" module4 >"$LOGDIR/up.log" 2>&1 || { cat "$LOGDIR/up.log" >&2; die "up failed"; }

# One labctl run: prints "COPY_SECONDS TOTAL_SECONDS".
run_loader() {
	local out=$LOGDIR/loader-$1.log
	"$LABCTL" run -p "$P" module4 flights-load >"$out" 2>&1 || { cat "$out" >&2; die "flights-load failed"; }
	local copy total
	copy=$(sed -n "s/.*copy phase: $ROWS rows in \([0-9.]*\) s.*/\1/p" "$out")
	total=$(sed -n "s/.*total: $ROWS rows in \([0-9.]*\) s.*/\1/p" "$out")
	[ -n "$copy" ] && [ -n "$total" ] || { cat "$out" >&2; die "no 'copy phase: $ROWS rows' line in $out"; }
	echo "$copy $total"
}

# psql \copy inside the compute container, timed there (wall time of the psql
# process, so connection setup included). $2 = plain | freeze.
# plain:  TRUNCATE (untimed), then  psql -c '\copy ... csv header'
# freeze: psql -c BEGIN -c TRUNCATE -c '\copy ... freeze' -c COMMIT  (all timed),
#         which is what flights-load does (COPY ... WITH (FREEZE) after TRUNCATE
#         in the same transaction).
run_psql() {
	local out=$LOGDIR/psql-$2-$1.log
	local copy="\\copy $RAW($COLS) from program 'zcat $FILE' with (format csv, header"
	local script
	if [ "$2" = freeze ]; then
		script="t0=\$(date +%s%N)
psql -v ON_ERROR_STOP=1 -c BEGIN -c 'TRUNCATE $RAW' -c \"$copy, freeze)\" -c COMMIT || exit 1
t1=\$(date +%s%N)"
	else
		script="psql -v ON_ERROR_STOP=1 -qc 'TRUNCATE $RAW' || exit 1
t0=\$(date +%s%N)
psql -v ON_ERROR_STOP=1 -c \"$copy)\" || exit 1
t1=\$(date +%s%N)"
	fi
	script="$script
echo \"psql_seconds \$(( (t1 - t0) / 1000000 ))\""
	lx bash -c "$script" >"$out" 2>&1 || { cat "$out" >&2; die "psql \\copy failed"; }
	grep -q "^COPY $ROWS\$" "$out" || { cat "$out" >&2; die "psql did not copy $ROWS rows"; }
	awk '/^psql_seconds/ { printf "%.2f\n", $2 / 1000 }' "$out"
}

# keeps dirty buffers of the previous run from being written during the next
checkpoint() { psql_q -c CHECKPOINT >/dev/null; }

# first run: builds the job (cached afterwards), copies the datasets into
# compute, creates the star schema; not measured
log "warm-up: flights-load (build, dataset copy, schema)"
run_loader warmup >/dev/null
psql_q -c "CREATE TABLE IF NOT EXISTS $RAW (flight_ts timestamp, delay_min int, distance_mi int, origin text, destination text)" \
	-c "ALTER TABLE $RAW SET (autovacuum_enabled = false)" 2>/dev/null
log "warm-up: psql \\copy"
run_psql warmup plain >/dev/null

echo "$(machine_summary)" >"$LOGDIR/summary.txt"
echo "server: $(psql_q -c 'show server_version')" >>"$LOGDIR/summary.txt"
LOAD_BEFORE=$(loadavg)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

L_COPY=() L_TOTAL=() Q_PLAIN=() Q_FREEZE=()
for i in $(seq 1 "$REPS"); do
	# alternate the order so neither side always runs right after the other
	if [ $((i % 2)) = 1 ]; then order="loader plain freeze"; else order="freeze plain loader"; fi
	for what in $order; do
		checkpoint
		case $what in
		loader) res=$(run_loader "$i"); c=${res% *} t=${res#* }; L_COPY+=("$c"); L_TOTAL+=("$t")
			log "rep $i: flights-load copy phase $c s (whole run $t s)" ;;
		plain) s=$(run_psql "$i" plain); Q_PLAIN+=("$s"); log "rep $i: psql \\copy $s s" ;;
		freeze) s=$(run_psql "$i" freeze); Q_FREEZE+=("$s"); log "rep $i: psql \\copy freeze $s s" ;;
		esac
	done
done
LOAD_AFTER=$(loadavg)

row() { # label, values array name
	local -n v=$2
	local st; st=$(stats "${v[*]}")
	read -r med min max <<<"$st"
	printf '| %s | %s | %s | %s-%s (%s) | %s |\n' "$1" "${v[*]}" "$med" "$min" "$max" "$(spread "${v[*]}")" "$(rate $ROWS "$med")"
}
{
	echo "loader benchmark, lab module4 as '$P', $REPS repetitions, started $START"
	cat "$LOGDIR/summary.txt"
	echo "load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER"
	echo
	echo "| $ROWS rows | runs (s) | median (s) | min-max (spread) | rows/s at median |"
	echo "|---|---|---|---|---|"
	row "flights-load, copy phase" L_COPY
	row "psql \\copy (after TRUNCATE)" Q_PLAIN
	row "psql \\copy freeze (BEGIN; TRUNCATE; \\copy; COMMIT)" Q_FREEZE
	row "flights-load, whole run (for reference)" L_TOTAL
	echo
	mc=$(median "${L_COPY[*]}") mp=$(median "${Q_PLAIN[*]}") mf=$(median "${Q_FREEZE[*]}")
	echo "ratio of medians, time loader/psql: $(ratio "$mc" "$mp") vs plain \\copy, $(ratio "$mc" "$mf") vs \\copy freeze (< 1: loader faster)"
	echo "ratio of medians, rows/s loader/psql: $(ratio "$mp" "$mc") vs plain \\copy, $(ratio "$mf" "$mc") vs \\copy freeze"
	pr=$(paired_ratios "${L_COPY[*]}" "${Q_PLAIN[*]}")
	echo "per-repetition time ratios loader/psql \\copy: $pr (median $(median "$pr"))"
	pr=$(paired_ratios "${L_COPY[*]}" "${Q_FREEZE[*]}")
	echo "per-repetition time ratios loader/psql \\copy freeze: $pr (median $(median "$pr"))"
} | tee "$LOGDIR/result.md"
