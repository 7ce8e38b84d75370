#!/bin/bash
# labctl connect entrypoint. With the command "connect" (the default): write
# /opt/connect/config/worker.properties from the environment and exec a
# Kafka Connect distributed worker in the foreground. Any other command runs
# as is. The interface is described in README.md.
set -euo pipefail

HOME_DIR=${CONNECT_HOME:-/opt/connect}
CONF=$HOME_DIR/config/worker.properties

log() { printf 'connect-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

if [ "${1:-connect}" != connect ]; then
	exec "$@"
fi

declare -A P=()
RF=${CONNECT_REPLICATION_FACTOR:-1}
[[ $RF =~ ^[0-9]+$ ]] || die "CONNECT_REPLICATION_FACTOR must be a number, got '$RF'"
GROUP=${CONNECT_GROUP_ID:-connect}

P[bootstrap.servers]=${CONNECT_BOOTSTRAP_SERVERS:-kafka:9092}
P[group.id]=$GROUP
P[config.storage.topic]=${CONNECT_CONFIG_STORAGE_TOPIC:-_connect-configs}
P[offset.storage.topic]=${CONNECT_OFFSET_STORAGE_TOPIC:-_connect-offsets}
P[status.storage.topic]=${CONNECT_STATUS_STORAGE_TOPIC:-_connect-status}
P[config.storage.replication.factor]=$RF
P[offset.storage.replication.factor]=$RF
P[status.storage.replication.factor]=$RF
P[key.converter]=org.apache.kafka.connect.json.JsonConverter
P[value.converter]=org.apache.kafka.connect.json.JsonConverter
P[key.converter.schemas.enable]=true
P[value.converter.schemas.enable]=true
P[listeners]=http://0.0.0.0:8083
P[rest.advertised.host.name]=${CONNECT_ADVERTISED_HOST:-$(hostname)}
P[rest.advertised.port]=8083
P[plugin.path]=$HOME_DIR/plugins
# every plugin here has ServiceLoader manifests: no reflective scan at start
# (KIP-898; hybrid_warn took ~15 s more on 2 cores)
P[plugin.discovery]=service_load
P[offset.flush.interval.ms]=5000
# ${file:...}-style placeholders in connector configs (KIP-297), for
# credentials kept in files or the environment
P[config.providers]=env
P[config.providers.env.class]=org.apache.kafka.common.config.provider.EnvVarConfigProvider

# CONNECT_CFG_<NAME>=value -> <name>=value ('_' -> '.', lower case), applied
# last, as images/kafka's KAFKA_CFG_*.
while IFS= read -r var; do
	key=${var#CONNECT_CFG_}
	[ -n "$key" ] || continue
	key=${key,,}
	P[${key//_/.}]=${!var}
done < <(compgen -e | grep '^CONNECT_CFG_' || true)

{
	echo "# written by connect-entrypoint.sh from the environment; edits are lost"
	for k in $(printf '%s\n' "${!P[@]}" | sort); do
		printf '%s=%s\n' "$k" "${P[$k]}"
	done
} >"$CONF"

CP="$HOME_DIR/libs/*"
exec java ${CONNECT_HEAP_OPTS:--Xms256m -Xmx768m} \
	-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
	-Dlog4j2.configurationFile="$HOME_DIR/config/log4j2.properties" \
	${CONNECT_OPTS:-} -cp "$CP" org.apache.kafka.connect.cli.ConnectDistributed "$CONF"
