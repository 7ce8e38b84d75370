#!/bin/bash
# labctl kafka entrypoint. With the command "kafka" (the default): write
# /opt/kafka/config/server.properties from the environment, format the log
# directories on first start, and exec the broker+controller in the
# foreground. Any other command is run as is (a client container:
# `docker run IMAGE kafka-topics.sh --bootstrap-server k1:9092 --list`).
# The interface is described in README.md.
set -euo pipefail

KAFKA_HOME=${KAFKA_HOME:-/opt/kafka}
CONF=$KAFKA_HOME/config/server.properties

log() { printf 'kafka-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

if [ "${1:-kafka}" != kafka ]; then
	exec "$@"
fi

# ---------------------------------------------------------------- settings
declare -A P=()
set_prop() { P[$1]=$2; }

NODE_ID=${KAFKA_NODE_ID:-1}
[[ $NODE_ID =~ ^[0-9]+$ ]] || die "KAFKA_NODE_ID must be a number, got '$NODE_ID'"
INTERNAL_HOST=${KAFKA_INTERNAL_HOST:-$(hostname)}
INTERNAL_PORT=${KAFKA_INTERNAL_PORT:-9092}
EXTERNAL_HOST=${KAFKA_EXTERNAL_HOST:-localhost}
EXTERNAL_PORT=${KAFKA_EXTERNAL_PORT:-19092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}

set_prop process.roles "${KAFKA_PROCESS_ROLES:-broker,controller}"
set_prop node.id "$NODE_ID"
set_prop controller.quorum.voters "${KAFKA_CONTROLLER_QUORUM_VOTERS:-$NODE_ID@localhost:$CONTROLLER_PORT}"
set_prop listeners "${KAFKA_LISTENERS:-INTERNAL://:$INTERNAL_PORT,EXTERNAL://:19092,CONTROLLER://:$CONTROLLER_PORT}"
set_prop advertised.listeners "${KAFKA_ADVERTISED_LISTENERS:-INTERNAL://$INTERNAL_HOST:$INTERNAL_PORT,EXTERNAL://$EXTERNAL_HOST:$EXTERNAL_PORT}"
set_prop listener.security.protocol.map "${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:-INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT}"
set_prop inter.broker.listener.name "${KAFKA_INTER_BROKER_LISTENER_NAME:-INTERNAL}"
set_prop controller.listener.names "${KAFKA_CONTROLLER_LISTENER_NAMES:-CONTROLLER}"
set_prop log.dirs /var/lib/kafka/data
set_prop num.partitions 1
set_prop auto.create.topics.enable true
set_prop group.initial.rebalance.delay.ms 0
set_prop min.insync.replicas 1
set_prop default.replication.factor 1

# KAFKA_CFG_<NAME>=value -> <name>=value ('_' -> '.', lower case), as in
# the Bitnami image. Applied last: they override everything above.
declare -A FROM_CFG=()
while IFS= read -r var; do
	key=${var#KAFKA_CFG_}
	[ -n "$key" ] || continue
	key=${key,,}
	key=${key//_/.}
	set_prop "$key" "${!var}"
	FROM_CFG[$key]=1
done < <(compgen -e | grep '^KAFKA_CFG_' || true)

# Internal topics: replicated over up to 3 nodes by default, so that
# consumer-group offsets and transactions survive one broker of a 3-node
# lab being down; set explicitly (KAFKA_CFG_...) to override.
VOTERS=${P[controller.quorum.voters]:-}
IFS=, read -r -a voter_list <<<"$VOTERS"
NVOTERS=${#voter_list[@]}
(( NVOTERS >= 1 )) || NVOTERS=1
internal_rf=$(( NVOTERS < 3 ? NVOTERS : 3 ))
internal_isr=$(( internal_rf < 2 ? 1 : 2 ))
for k in offsets.topic.replication.factor transaction.state.log.replication.factor \
	share.coordinator.state.topic.replication.factor; do
	[ -n "${FROM_CFG[$k]:-}" ] || set_prop "$k" "$internal_rf"
done
for k in transaction.state.log.min.isr share.coordinator.state.topic.min.isr; do
	[ -n "${FROM_CFG[$k]:-}" ] || set_prop "$k" "$internal_isr"
done

# ---------------------------------------------------------------- cluster id
IFS=, read -r -a log_dirs <<<"${P[log.dirs]}"
[ -z "${P[metadata.log.dir]:-}" ] || log_dirs+=("${P[metadata.log.dir]}")

# -------------------------------------------------- privileges, directories
if [ "$(id -u)" = 0 ]; then
	for d in "${log_dirs[@]}"; do
		mkdir -p "$d"
		# only what is not kafka's yet (a fresh bind mount, an old volume)
		find "$d" \! -user kafka -exec chown kafka:kafka {} +
	done
	chown kafka:kafka "$KAFKA_HOME/config"
	exec setpriv --reuid=kafka --regid=kafka --init-groups "$0" "$@"
fi
for d in "${log_dirs[@]}"; do
	mkdir -p "$d" 2>/dev/null || true
	[ -w "$d" ] || die "log directory $d is not writable by uid $(id -u)"
done

META=${log_dirs[0]}/meta.properties
formatted_id=""
[ ! -f "$META" ] || formatted_id=$(sed -n 's/^cluster\.id=//p' "$META" | head -n 1)

# 16 bytes -> Kafka's Uuid text form (URL-safe base64, no padding, 22 chars);
# like Kafka's own Uuid.randomUuid(), never starting with '-' (reads as an option)
uuid_from_bytes() {
	local id
	id=$(base64 -w0 | tr '+/' '-_' | tr -d '=')
	[ "${id:0:1}" != - ] || id=A${id:1}
	printf '%s' "$id"
}
hex_to_bytes() { printf "$(sed 's/../\\x&/g')"; }

if [ -n "${KAFKA_CLUSTER_ID:-}" ]; then
	CLUSTER_ID=$KAFKA_CLUSTER_ID
	[[ $CLUSTER_ID =~ ^[A-Za-z0-9_-]{22}$ ]] ||
		die "KAFKA_CLUSTER_ID must be a Kafka UUID (22 characters of URL-safe base64, e.g. from kafka-storage.sh random-uuid), got '$CLUSTER_ID'"
	why="KAFKA_CLUSTER_ID"
elif [ -n "${KAFKA_CLUSTER_NAME:-}" ]; then
	CLUSTER_ID=$(printf '%s' "$KAFKA_CLUSTER_NAME" | sha256sum | cut -c1-32 | hex_to_bytes | uuid_from_bytes)
	why="derived from KAFKA_CLUSTER_NAME=$KAFKA_CLUSTER_NAME"
elif [ -n "$formatted_id" ]; then
	CLUSTER_ID=$formatted_id
	why="read from $META"
elif (( NVOTERS == 1 )); then
	CLUSTER_ID=$(head -c 16 /dev/urandom | uuid_from_bytes)
	why="random (single node, first start; kept in $META)"
else
	die "controller.quorum.voters has $NVOTERS nodes: set the same KAFKA_CLUSTER_ID (or KAFKA_CLUSTER_NAME) on all of them"
fi
if [ -n "$formatted_id" ] && [ "$formatted_id" != "$CLUSTER_ID" ]; then
	die "$META belongs to cluster $formatted_id, not $CLUSTER_ID ($why): another cluster's volume? Use a fresh volume or that cluster's id"
fi
log "node.id=${P[node.id]} cluster.id=$CLUSTER_ID ($why), controller.quorum.voters=$VOTERS"

# ---------------------------------------------------------------- write
umask 022
{
	echo "# written by kafka-entrypoint.sh from the environment; changes are lost on restart"
	for k in $(printf '%s\n' "${!P[@]}" | LC_ALL=C sort); do
		v=${P[$k]}
		v=${v//\\/\\\\}   # .properties escapes
		v=${v//$'\n'/ }
		printf '%s=%s\n' "$k" "$v"
	done
} >"$CONF.tmp"
mv -f "$CONF.tmp" "$CONF"

# the healthcheck's target: the inter-broker listener's port
hc_port=$INTERNAL_PORT
IFS=, read -r -a listeners <<<"${P[listeners]}"
for l in "${listeners[@]}"; do
	if [ "${l%%://*}" = "${P[inter.broker.listener.name]:-}" ]; then hc_port=${l##*:}; fi
done
printf '%s\n' "$hc_port" >"$KAFKA_HOME/config/healthcheck.port"

# ---------------------------------------------------------------- format
need_format=0
for d in "${log_dirs[@]}"; do
	[ -f "$d/meta.properties" ] || need_format=1
done
if (( need_format )); then
	log "formatting ${log_dirs[*]} for cluster $CLUSTER_ID"
	kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$CONF"
fi

# The image's class-data sharing archive of the broker's classes (made at
# build time): the JVM maps them instead of loading and verifying ~1 s worth
# of jars. A JDK that does not match the archive ignores it.
if [ -f /opt/kafka/kafka.jsa ] && [[ " ${KAFKA_OPTS:-} " != *" -XX:ArchiveClassesAtExit="* ]]; then
	export KAFKA_OPTS="-XX:SharedArchiveFile=/opt/kafka/kafka.jsa ${KAFKA_OPTS:-}"
fi

# exec: the JVM is PID 1 and gets SIGTERM -> controlled shutdown
exec kafka-server-start.sh "$CONF"
