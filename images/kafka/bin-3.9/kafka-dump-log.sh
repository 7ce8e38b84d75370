#!/bin/sh
# Kafka 3.9: still in core (kafka.tools) before 4.0
exec kafka-run-class.sh kafka.tools.DumpLogSegments "$@"
