#!/bin/sh
# throughput matters more than start-up here: both JIT tiers, G1
KAFKA_CLI_JVM_OPTS=${KAFKA_CLI_JVM_OPTS:--XX:+UseG1GC -Xshare:auto}
export KAFKA_CLI_JVM_OPTS
exec kafka-run-class.sh org.apache.kafka.tools.ConsumerPerformance "$@"
