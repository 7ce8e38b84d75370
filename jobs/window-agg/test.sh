#!/bin/bash
# Integration test of window-agg against real PostgreSQL, Kafka and S3.
#
#   jobs/window-agg/test.sh            bring up a throw-away lab (unique name,
#                                      ports WAGG_PORT_BASE..+2), remove it after
#   WAGG_LAB=/path/to/lab test.sh      use a lab that is already up (postgres,
#                                      kafka, objectstore, bucket 'lake'); the
#                                      test DROPS flight_windows, window_offsets
#                                      and lake_hours in its database
# Env: N (events, default 40000), BIN, LABCTL, DATA, WAGG_KEEP=1 keeps the work dir.
# Ends with "N passed, M failed"; exit status 0 when nothing failed.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LABCTL=${LABCTL:-$ROOT/build/labctl}
BIN=${BIN:-$ROOT/jobs/build/window-agg}
DATA=${DATA:-$ROOT/../shared/data}
N=${N:-40000}
LATE=200
WORK=$(mktemp -d /tmp/wagg-test.XXXXXX)
pass=0 fail=0 own_lab=0

ok() { pass=$((pass + 1)); echo "ok   $*"; }
no() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else no "$name"; fi
}
die() { echo "test.sh: $*" >&2; exit 1; }

cleanup() {
	[ -n "${JOBPID:-}" ] && kill -9 "$JOBPID" 2>/dev/null
	if [ $own_lab = 1 ]; then "$LABCTL" down "$LAB_DIR" --volumes >/dev/null 2>&1; fi
	[ -n "${WAGG_KEEP:-}" ] && echo "# kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$BIN" ] || make -C "$ROOT/jobs" window-agg >/dev/null || die "cannot build window-agg"
if [ -n "${WAGG_LAB:-}" ]; then
	LAB_DIR=$WAGG_LAB
else
	own_lab=1
	LAB_DIR=$WORK/wagg$$
	base=${WAGG_PORT_BASE:-$((41000 + $$ % 8000 * 3))}
	mkdir -p "$LAB_DIR"
	cat >"$LAB_DIR/lab.yml" <<EOF
include: [$ROOT/labs/common/postgres.yml, $ROOT/labs/common/kafka.yml, $ROOT/labs/common/objectstore.yml]
buckets: [lake]
EOF
	LAB_PG_PORT=$base LAB_KAFKA_PORT=$((base + 1)) LAB_S3_PORT=$((base + 2)) \
		"$LABCTL" up "$LAB_DIR" >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; die "lab up failed"; }
fi
eval "$("$LABCTL" env "$LAB_DIR")" || die "labctl env failed"
LAB=$(basename "$LAB_DIR")
KAFKA_CT=$(docker ps --format '{{.Names}}' | grep -E "^${LAB}-kafka-[0-9]+$" | head -1)
[ -n "$KAFKA_CT" ] || die "no kafka container for lab '$LAB'"
export PGOPTIONS='-c client_min_messages=warning'

q() { psql -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
reset_tables() { q "DROP TABLE IF EXISTS flight_windows, window_offsets, lake_hours"; }
topic() { docker exec "$KAFKA_CT" /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:9092 \
	--create --topic "$1" --partitions 6 >/dev/null; }
produce() { kcat -P -b "$KAFKA_BOOTSTRAP_SERVERS" -t "$1" -K: -X enable.idempotence=true -l "$2"; }
s3get() { curl -sf --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" \
	--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
	"$AWS_ENDPOINT_URL/$1"; }
AGG=("$BIN" --airports "$DATA/airports.csv") # an array, not a function: $! must be the job's pid

# --- input and the independent expected counts ---
python3 "$HERE/gen-events.py" "$N" "$WORK/ev" --late $LATE --data "$DATA/flights-3m.csv.gz" ||
	die "cannot generate events"
cat "$WORK/ev" "$WORK/ev.late" >"$WORK/all"
TOTAL_MSGS=$(wc -l <"$WORK/all")
# epoch_s|state|flights|sum_delay per (hour, origin state), from airports.csv
# (quoted fields with commas) and the generated lines
expect() {
	awk -v OFS='|' '
	function csv(line, out,   n, i, c, f, q) {
		n = 0; f = ""; q = 0
		for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (q) {
				if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f c; i++ } else q = 0 }
				else f = f c
			} else if (c == "\"") q = 1
			else if (c == ",") { out[++n] = f; f = "" }
			else f = f c
		}
		out[++n] = f
		return n
	}
	FNR == NR { if (FNR > 1 && csv($0, a) == 7) st[a[1]] = a[4]; next }
	match($0, /"event_ms":-?[0-9]+/) {
		ms = substr($0, RSTART + 11, RLENGTH - 11)
		match($0, /"delay":-?[0-9]+/); d = substr($0, RSTART + 8, RLENGTH - 8)
		match($0, /"origin":"[^"]*"/); o = substr($0, RSTART + 10, RLENGTH - 11)
		s = (o in st && st[o] != "") ? st[o] : "unknown"
		k = sprintf("%.0f|%s", int(ms / 3600000) * 3600, s)
		n[k]++; sd[k] += d
	}
	END { for (k in n) printf "%s|%d|%d\n", k, n[k], sd[k] }' "$DATA/airports.csv" "$@" | LC_ALL=C sort
}
expect "$WORK/all" >"$WORK/expected"
expect "$WORK/ev.late" | cut -d'|' -f1,2 >"$WORK/late-keys"
pg_totals() { q "SELECT extract(epoch FROM window_start)::bigint, origin_state, flights, sum_delay_min
	FROM flight_windows" | LC_ALL=C sort; }
same_totals() { pg_totals >"$WORK/got" && diff -q "$WORK/expected" "$WORK/got" >/dev/null; }
# every lake object of every day equals PostgreSQL's rows
lake_matches_pg() {
	s3get "lake?list-type=2&prefix=flights%2F" | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g' >"$WORK/keys" ||
		return 1
	: >"$WORK/lake"
	while read -r k; do s3get "lake/$k" >>"$WORK/lake" || return 1; done <"$WORK/keys"
	sed -E 's/.*"window_start":"([^"]*)","origin_state":"([^"]*)","flights":([0-9]+),.*"late_events":([0-9]+)}/\1|\2|\3|\4/' \
		"$WORK/lake" | LC_ALL=C sort >"$WORK/lake.rows"
	q "SELECT to_char(window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), origin_state, flights,
		late_events FROM flight_windows" | LC_ALL=C sort >"$WORK/pg.rows"
	diff -q "$WORK/lake.rows" "$WORK/pg.rows" >/dev/null
}
days_in_lake() {
	cut -d'|' -f1 "$WORK/expected" | sort -u | while read -r s; do date -u -d "@$s" +%F; done | sort -u >"$WORK/days.want"
	grep -o 'dt=[0-9-]*' "$WORK/keys" | cut -c4- | sort -u >"$WORK/days.got"
	[ -s "$WORK/days.want" ] && diff -q "$WORK/days.want" "$WORK/days.got" >/dev/null
}
summary_ok() { grep -qE '^events [0-9]+ \(late [0-9]+\), windows [0-9]+ \(final [0-9]+\), lake objects [0-9]+, in [0-9]+\.[0-9]{2} s$' "$1"; }

echo "# input: $TOTAL_MSGS messages ($LATE far-late, 20 unknown origins, 1 malformed), $(wc -l <"$WORK/expected") windows"

# --- 1: shuffled input, then far-late events ---
reset_tables
T1=t1-$$
topic $T1 || die "cannot create topic"
produce $T1 "$WORK/ev" || die "kcat failed"
"${AGG[@]}" --topic $T1 --group g1 --until-end >"$WORK/r1.out" 2>"$WORK/r1.err"
rc1=$?
check "1 run on shuffled input exits 0 with a summary ($(cat "$WORK/r1.out"))" \
	[ $rc1 = 0 -a -n "$(summary_ok "$WORK/r1.out" && echo y)" ]
produce $T1 "$WORK/ev.late" || die "kcat failed"
"${AGG[@]}" --topic $T1 --group g1 --until-end >"$WORK/r1b.out" 2>"$WORK/r1b.err"
check "1 far-late events are all counted late ($(cat "$WORK/r1b.out"))" \
	grep -q "^events $LATE (late $LATE)," "$WORK/r1b.out"
check "1 totals per (window, state) equal the independent count" same_totals
nl=$(LC_ALL=C join -t'|' <(q "SELECT extract(epoch FROM window_start)::bigint || '_' || origin_state
	FROM flight_windows WHERE late_events > 0" | LC_ALL=C sort) <(tr '|' _ <"$WORK/late-keys" | LC_ALL=C sort) | wc -l)
check "1 late_events > 0 in every window of a far-late event ($nl of $(wc -l <"$WORK/late-keys"))" \
	[ "$nl" = "$(wc -l <"$WORK/late-keys")" ]
check "1 unknown origins in state 'unknown'" [ "$(q "SELECT sum(flights) FROM flight_windows WHERE origin_state = 'unknown'")" = 20 ]
check "1 every window final" [ "$(q "SELECT count(*) FROM flight_windows WHERE NOT final")" = 0 ]
check "1 lake objects equal PostgreSQL's rows" lake_matches_pg
days_in_lake
check "1 one dt= prefix per day ($(tr '\n' ' ' <"$WORK/days.got"))" cmp -s "$WORK/days.want" "$WORK/days.got"
one_object_per_day() { [ "$(wc -l <"$WORK/keys")" = "$(wc -l <"$WORK/days.want")" ] && ! grep -qv '^flights/dt=[0-9-]*/windows\.jsonl$' "$WORK/keys"; }
check "1 one object per day, dt=YYYY-MM-DD/windows.jsonl ($(wc -l <"$WORK/keys") objects)" one_object_per_day
check "1 no lake hour pending" [ "$(q "SELECT count(*) FROM lake_hours WHERE version > written_version")" = 0 ]

# --- 2: kill -9 midway, rerun ---
reset_tables
"${AGG[@]}" --topic $T1 --group g2 --until-end --batch 200 --linger-ms 50 >"$WORK/r2.out" 2>"$WORK/r2.err" &
JOBPID=$!
committed=0
for _ in $(seq 600); do
	committed=$(q "SELECT coalesce(sum(next_offset), 0) FROM window_offsets WHERE group_id = 'g2'" 2>/dev/null || echo 0)
	[ "${committed:-0}" -ge 5000 ] && break
	sleep 0.05
done
kill -9 $JOBPID 2>/dev/null
wait $JOBPID 2>/dev/null
JOBPID=
committed=$(q "SELECT coalesce(sum(next_offset), 0) FROM window_offsets WHERE group_id = 'g2'")
check "2 killed midway ($committed of $TOTAL_MSGS offsets committed)" \
	[ "$committed" -gt 0 -a "$committed" -lt "$TOTAL_MSGS" ]
"${AGG[@]}" --topic $T1 --group g2 --until-end >"$WORK/r2b.out" 2>"$WORK/r2b.err"
check "2 rerun after kill -9 exits 0 ($(cat "$WORK/r2b.out"))" [ $? = 0 ]
check "2 totals after kill -9 + rerun equal the independent count" same_totals
check "2 lake objects equal PostgreSQL's rows" lake_matches_pg

# --- 3: redelivery is a no-op ---
cp "$WORK/got" "$WORK/before3"
q "SELECT count(*), sum(late_events) FROM flight_windows" >"$WORK/late3.before"
"${AGG[@]}" --topic $T1 --group g2 --until-end >"$WORK/r3.out" 2>"$WORK/r3.err"
check "3 rerun after completion reads nothing ($(cat "$WORK/r3.out"))" grep -q '^events 0 (late 0),.* lake objects 0,' "$WORK/r3.out"
pg_totals >"$WORK/after3"
check "3 totals unchanged" cmp -s "$WORK/before3" "$WORK/after3"
check "3 late counts unchanged" [ "$(q "SELECT count(*), sum(late_events) FROM flight_windows")" = "$(cat "$WORK/late3.before")" ]

# --- 4: Kafka restarts while events stream in ---
reset_tables
T4=t4-$$
topic $T4 || die "cannot create topic"
"${AGG[@]}" --topic $T4 --group g4 --batch 500 >"$WORK/r4.out" 2>"$WORK/r4.err" &
JOBPID=$!
# kcat gives up when all brokers are down: produce the first half, restart
# Kafka while the job reads it, then the second half
half=$((TOTAL_MSGS / 2))
head -n $half "$WORK/all" >"$WORK/part1"
tail -n +$((half + 1)) "$WORK/all" >"$WORK/part2"
produce $T4 "$WORK/part1" 2>"$WORK/kcat4.err"
prod_rc=$?
sleep 1
docker restart "$KAFKA_CT" >/dev/null
for _ in $(seq 120); do
	kcat -L -b "$KAFKA_BOOTSTRAP_SERVERS" -t $T4 -m 2 2>/dev/null | grep -q 'leader 1,' && break
	sleep 1
done
produce $T4 "$WORK/part2" 2>>"$WORK/kcat4.err" || prod_rc=1
for _ in $(seq 240); do
	c=$(q "SELECT coalesce(sum(next_offset), 0) FROM window_offsets WHERE group_id = 'g4'" 2>/dev/null || echo 0)
	[ "${c:-0}" -ge "$TOTAL_MSGS" ] && break
	sleep 0.5
done
alive=$(kill -0 $JOBPID 2>/dev/null && echo y)
kill -TERM $JOBPID 2>/dev/null
wait $JOBPID
rc4=$?
JOBPID=
check "4 events produced before and after the restart" [ $prod_rc = 0 ]
check "4 job survived the Kafka restart and caught up ($c of $TOTAL_MSGS)" [ "$alive" = y -a "$c" -ge "$TOTAL_MSGS" ]
check "4 SIGTERM: clean exit 0 ($(cat "$WORK/r4.out"))" [ $rc4 = 0 ]
check "4 totals after the Kafka restart equal the independent count" same_totals
# --- 5: events the allocation-free parser hands to cJSON (escapes, nested
# values, fractions, exponents) or reads itself (whitespace, duplicate keys:
# the first wins, as in cJSON); not JSON, a trailing comma, no delay: skipped ---
reset_tables
T5=t5-$$
topic $T5 || die "cannot create topic"
cat >"$WORK/odd" <<'EOF'
k:{"event_ms":978307260000,"delay":10,"origin":"ATL"}
k:{"origin":"A\u0054L","delay":2.5e1,"event_time":"2001-01-01T00:30:00Z"}
k:{ "event_ms" : 978307260000 , "delay" : -5 , "origin" : "LAX" , "x" : {"a":[1,2]} }
k:{"event_ms":978307260000,"delay":7,"origin":"ORD","origin":"LAX"}
k:{"event_ms":978307260000,"delay":1.9,"origin":"ATL"}
k:{"event_ms":978307260000,"delay":3,"origin":"ATL",}
k:{"event_ms":978307260000,"origin":"ATL"}
k:not json
EOF
produce $T5 "$WORK/odd" 2>"$WORK/kcat5.err"
"${AGG[@]}" --topic $T5 --group g5 --until-end >"$WORK/r5.out" 2>"$WORK/r5.err"
rc5=$?
got5=$(q "SELECT origin_state || ':' || flights || ':' || sum_delay_min FROM flight_windows ORDER BY 1" | tr '\n' ' ')
skipped5() { [ $rc5 = 0 ] && grep -q 'skipped 3 malformed' "$WORK/r5.err"; }
check "5 odd events: exit 0, 3 skipped ($(grep -o 'skipped [0-9]* malformed' "$WORK/r5.err"))" skipped5
check "5 odd events read as cJSON reads them: $got5" [ "$got5" = "CA:1:-5 GA:3:36 IL:1:7 " ]
# --- 6: -X passes librdkafka properties; what librdkafka refuses is a usage
# error before anything connects ---
"$BIN" -X no.such.property=1 >"$WORK/r6.out" 2>"$WORK/r6.err"
rc6=$?
refused6() { [ $rc6 = 2 ] && grep -q 'No such configuration property: "no.such.property"' "$WORK/r6.err"; }
check "6 -X no.such.property=1: exit 2 ($(cat "$WORK/r6.err"))" refused6
"$BIN" -X queued.min.messages >/dev/null 2>"$WORK/r6b.err"
rc6=$?
check "6 -X without =VALUE: exit 2 ($(cat "$WORK/r6b.err"))" [ $rc6 = 2 ]

[ $fail = 0 ] || { echo "# logs of the last runs:"; tail -n 5 "$WORK"/r*.err; }
echo "$pass passed, $fail failed"
[ $fail = 0 ]
