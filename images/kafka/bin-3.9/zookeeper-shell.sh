#!/bin/sh
# zookeeper-shell.sh HOST:PORT [COMMAND...]: ZooKeeper's CLI, as Kafka 3.9 ships it
exec kafka-run-class.sh org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka -server "$@"
