#!/bin/sh
# kafka-server-start.sh SERVER.PROPERTIES: the broker/controller in the
# foreground (the entrypoint execs this after writing the configuration).
#   KAFKA_HEAP_OPTS             default -Xms256m -Xmx512m
#   KAFKA_JVM_PERFORMANCE_OPTS  default: Kafka's G1 settings
#   KAFKA_OPTS                  extra JVM options (JMX agent, JAAS, ...)
#   KAFKA_LOG4J_CONFIG          log4j2 configuration file (stdout by default)
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} \
	${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError} \
	-Djava.awt.headless=true \
	"-Dlog4j2.configurationFile=${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/log4j2.properties}" \
	${KAFKA_OPTS:-} \
	-cp '/opt/kafka/libs/*' kafka.Kafka "$@"
