#!/usr/bin/env bash
# Producer benchmark: flights-produce (job 'produce' of module3, both compute
# replicas, 1.5 M messages each) against Kafka's own kafka-producer-perf-test.sh
# run inside the kafka container, same broker, same message count, a fresh
# 6-partition topic per run. See bench/README.md.
#
#   bench/producer.sh               # REPS=5 alternating repetitions
#   REPS=3 BENCH_PROJECT=bench3x bench/producer.sh
#
# Environment: REPS (5), BENCH_PROJECT (bench301), LABCTL (build/labctl),
# LABCTL_DATA_DIR (/work/shared/data), LAB_KAFKA_PORT (a free port is picked;
# Kafka advertises it), LAB_PG_PORT / LAB_S3_PORT (0: the engine picks),
# RECORD_SIZE (162, our JSON messages average 161.9 bytes), PAYLOAD=0 skips the
# perf-test run with our JSON as payload, KEEP=1 leaves the lab up.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

P=${BENCH_PROJECT:-bench301}
export LAB_PG_PORT=${LAB_PG_PORT:-0} LAB_S3_PORT=${LAB_S3_PORT:-0}
export LAB_KAFKA_PORT=${LAB_KAFKA_PORT:-$(free_port)}
MSGS=3000000
RECORD_SIZE=${RECORD_SIZE:-162}
PAYLOAD=${PAYLOAD:-1}
PARTITIONS=6
# The perf-test settings compared with flights-produce's (acks=all, linger.ms=25,
# batch.size=1000000, lz4, idempotence on; see jobs/flights-produce/README.md).
# Kafka 4's producer has enable.idempotence=true by default when acks=all.
PERF_PROPS="acks=all linger.ms=20 compression.type=lz4 batch.size=1000000"

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-producer.XXXXXX")
bench_prereqs

teardown() {
	local rc=$?
	if [ "${KEEP:-0}" = 1 ]; then
		log "KEEP=1: lab '$P' left up (LAB_KAFKA_PORT=$LAB_KAFKA_PORT labctl down -p $P module3 --volumes)"
	else
		log "tearing down '$P'"
		"$LABCTL" down -p "$P" module3 --volumes >"$LOGDIR/down.log" 2>&1 || log "down failed, see $LOGDIR/down.log"
	fi
	log "logs in $LOGDIR"
	exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

kx() { "$LABCTL" exec -p "$P" module3 kafka -- "$@"; }

log "bringing up module3 as '$P' (Kafka host port $LAB_KAFKA_PORT)"
"$LABCTL" up -p "$P" module3 >"$LOGDIR/up.log" 2>&1 || { cat "$LOGDIR/up.log" >&2; die "up failed"; }

create_topic() {
	kx kafka-topics.sh --bootstrap-server kafka:9092 --create --topic "$1" \
		--partitions $PARTITIONS --replication-factor 1 >"$LOGDIR/topic-$1.log" 2>&1 ||
		{ cat "$LOGDIR/topic-$1.log" >&2; die "cannot create topic $1"; }
}

# labctl run of 'produce' on both replicas, topic $1 (created by the job with
# 6 partitions). Prints "TOTAL_RATE SLOWEST_SECONDS RATE_R1 RATE_R2": total =
# all delivered messages / the slowest replica's time; per replica its own
# "produced N messages ... in X s".
run_produce() {
	local out=$LOGDIR/produce-$1.log
	"$LABCTL" run -p "$P" module3 produce -- --topic "$1" --partitions $PARTITIONS >"$out" 2>&1 ||
		{ cat "$out" >&2; die "produce failed"; }
	awk -v want=$MSGS '
		/ produced [0-9]+ messages to / {
			for (i = 1; i <= NF; i++) {
				if ($i == "produced") n = $(i + 1)
				if ($i == "in") s = $(i + 1)
			}
			k++; tot += n; rr[$1] = n / s; if (s > max) max = s
		}
		END {
			if (k != 2 || tot != want) { print "bad"; exit }
			printf "%.0f %.2f %.0f %.0f\n", tot / max, max, rr["compute-1"], rr["compute-2"]
		}' "$out" | { read -r line; [ "$line" != bad ] || { cat "$out" >&2; die "produce did not deliver $MSGS messages"; }; echo "$line"; }
}

# kafka-producer-perf-test.sh in the kafka container; prints its final
# records/sec. $1 topic, $2 log name, rest: extra perf-test arguments.
run_perf() {
	local topic=$1 name=$2; shift 2
	local out=$LOGDIR/perf-$name.log
	create_topic "$topic"
	kx kafka-producer-perf-test.sh --topic "$topic" --num-records $MSGS --throughput -1 "$@" >"$out" 2>&1 ||
		{ cat "$out" >&2; die "perf-test failed"; }
	awk -v want=$MSGS '$1 == want && $2 == "records" && /50th/ { printf "%.0f\n", $4; ok = 1 }
		END { if (!ok) print "bad" }' "$out" |
		{ read -r r; [ "$r" != bad ] || { cat "$out" >&2; die "no final perf-test line"; }; echo "$r"; }
}

# warm-up (not measured): builds the job, copies the dataset into both
# replicas, warms the broker's JIT; its topic also gives the JSON payload file
log "warm-up: produce"
run_produce bench-warmup >/dev/null
if [ "$PAYLOAD" = 1 ]; then
	log "payload file: 100000 of our JSON messages from topic bench-warmup"
	kx bash -c 'kafka-console-consumer.sh --bootstrap-server kafka:9092 --topic bench-warmup --from-beginning \
		--max-messages 100000 >/tmp/flights-payload.txt 2>/dev/null; wc -l </tmp/flights-payload.txt; wc -c </tmp/flights-payload.txt' \
		>"$LOGDIR/payload.log" 2>&1 || { cat "$LOGDIR/payload.log" >&2; die "cannot make the payload file"; }
fi
log "warm-up: perf-test"
run_perf perf-warmup warmup --record-size "$RECORD_SIZE" --producer-props bootstrap.servers=kafka:9092 $PERF_PROPS >/dev/null

{ machine_summary; echo "broker: $(kx bash -c 'echo $KAFKA_VERSION') (one KRaft broker)"; } >"$LOGDIR/summary.txt"
LOAD_BEFORE=$(loadavg)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

J_TOTAL=() J_SECS=() J_R1=() J_R2=() PF=() PJ=()
for i in $(seq 1 "$REPS"); do
	if [ $((i % 2)) = 1 ]; then order="job perf json"; else order="json perf job"; fi
	for what in $order; do
		case $what in
		job) res=$(run_produce "bench-$i"); read -r t s r1 r2 <<<"$res"
			J_TOTAL+=("$t") J_SECS+=("$s") J_R1+=("$r1") J_R2+=("$r2")
			log "rep $i: flights-produce $t msg/s (slowest replica $s s; replicas $r1, $r2 msg/s)" ;;
		perf) r=$(run_perf "perf-$i" "$i" --record-size "$RECORD_SIZE" --producer-props bootstrap.servers=kafka:9092 $PERF_PROPS)
			PF+=("$r"); log "rep $i: perf-test --record-size $RECORD_SIZE $r msg/s" ;;
		json) [ "$PAYLOAD" = 1 ] || continue
			r=$(run_perf "perfjson-$i" "json-$i" --payload-file /tmp/flights-payload.txt --producer-props bootstrap.servers=kafka:9092 $PERF_PROPS)
			PJ+=("$r"); log "rep $i: perf-test --payload-file (our JSON) $r msg/s" ;;
		esac
	done
done
log "reference: perf-test with the producer's defaults"
PD=$(run_perf perf-defaults defaults --record-size "$RECORD_SIZE" --producer-props bootstrap.servers=kafka:9092)
LOAD_AFTER=$(loadavg)

row() { # label, values array name
	local -n v=$2
	[ ${#v[@]} -gt 0 ] || return 0
	local med min max
	read -r med min max <<<"$(stats "${v[*]}")"
	printf '| %s | %s | %.0f | %.0f-%.0f (%s) |\n' "$1" "${v[*]}" "$med" "$min" "$max" "$(spread "${v[*]}")"
}
{
	echo "producer benchmark, lab module3 as '$P', $REPS repetitions, started $START"
	cat "$LOGDIR/summary.txt"
	[ "$PAYLOAD" = 1 ] && echo "payload file: $(tr '\n' ' ' <"$LOGDIR/payload.log")(lines, bytes)"
	echo "load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER"
	echo "perf-test props: $PERF_PROPS; $MSGS records; fresh topic with $PARTITIONS partitions per run"
	echo
	echo "| $MSGS messages | runs (msg/s) | median | min-max (spread) |"
	echo "|---|---|---|---|"
	row "flights-produce, 2 replicas: total / slowest replica's time" J_TOTAL
	row "  replica compute-1 (1.5 M)" J_R1
	row "  replica compute-2 (1.5 M)" J_R2
	row "perf-test --record-size $RECORD_SIZE, props above" PF
	row "perf-test --payload-file (100 k of our JSON), props above" PJ
	echo "| perf-test --record-size $RECORD_SIZE, producer defaults (1 run) | $PD | $PD | - |"
	echo
	mj=$(median "${J_TOTAL[*]}") mp=$(median "${PF[*]}")
	echo "slowest replica's time, s: $(stats "${J_SECS[*]}" | awk '{ print "median " $1 ", min " $2 ", max " $3 }')"
	echo "ratio of medians, msg/s flights-produce/perf-test: $(ratio "$mj" "$mp") vs --record-size $RECORD_SIZE$(
		[ ${#PJ[@]} -gt 0 ] && echo ", $(ratio "$mj" "$(median "${PJ[*]}")") vs --payload-file"), $(ratio "$mj" "$PD") vs defaults"
	pr=$(paired_ratios "${J_TOTAL[*]}" "${PF[*]}")
	echo "per-repetition ratios vs --record-size $RECORD_SIZE: $pr (median $(median "$pr"))"
	if [ ${#PJ[@]} -gt 0 ]; then
		pr=$(paired_ratios "${J_TOTAL[*]}" "${PJ[*]}")
		echo "per-repetition ratios vs --payload-file: $pr (median $(median "$pr"))"
	fi
} | tee "$LOGDIR/result.md"
