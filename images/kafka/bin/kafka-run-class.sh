#!/bin/sh
# kafka-run-class.sh CLASS [ARG...]: run a Kafka main class from
# /opt/kafka/libs with settings for short-lived CLI tools: small heap, serial
# GC, C1 only (starts faster), warnings-only logging to stderr.
#   KAFKA_CLI_HEAP_OPTS  default -Xmx256m (KAFKA_HEAP_OPTS is the broker's)
#   KAFKA_CLI_JVM_OPTS   default -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
#   KAFKA_CLI_OPTS       extra JVM options (KAFKA_OPTS is the broker's)
#   KAFKA_CLI_LOG4J_CONFIG  log4j2 configuration file
exec java ${KAFKA_CLI_HEAP_OPTS:--Xmx256m} \
	${KAFKA_CLI_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} \
	-Djava.awt.headless=true -Dlog4j2.shutdownHookEnabled=false \
	"-Dlog4j2.configurationFile=${KAFKA_CLI_LOG4J_CONFIG:-/opt/kafka/config/tools-log4j2.properties}" \
	${KAFKA_CLI_OPTS:-} \
	-cp '/opt/kafka/libs/*' "$@"
