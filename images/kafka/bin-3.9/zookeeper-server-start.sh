#!/bin/sh
# zookeeper-server-start.sh ZOOKEEPER.PROPERTIES: a ZooKeeper server (the one
# Kafka 3.9 depends on, org.apache.zookeeper:zookeeper 3.8.x) in the foreground.
#   KAFKA_HEAP_OPTS     default -Xmx256m (Kafka's script: -Xmx512M -Xms512M)
#   KAFKA_OPTS          extra JVM options
#   KAFKA_LOG4J_CONFIG  log4j2 configuration file (default: config/zookeeper-log4j2.properties)
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} \
	${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError} \
	-Djava.awt.headless=true \
	"-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/zookeeper-log4j2.properties}" \
	${KAFKA_OPTS:-} \
	-cp '/opt/kafka/libs/*' org.apache.zookeeper.server.quorum.QuorumPeerMain "$@"
