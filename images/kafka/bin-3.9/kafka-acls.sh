#!/bin/sh
# Kafka 3.9: still in core (kafka.admin) before 4.0
exec kafka-run-class.sh kafka.admin.AclCommand "$@"
