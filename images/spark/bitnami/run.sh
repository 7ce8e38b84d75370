#!/bin/bash
# The bitnami/spark stand-in's run.sh: what Bitnami's run.sh starts, from
# the same variables (bitnami/spark README, "Environment variables"):
#   SPARK_MODE        master (default) or worker
#   SPARK_MASTER_URL  the worker's master (default spark://spark-master:7077)
#   SPARK_MASTER_HOST, SPARK_MASTER_PORT (7077), SPARK_MASTER_WEBUI_PORT
#   (8080), SPARK_WORKER_WEBUI_PORT (8081), SPARK_WORKER_PORT,
#   SPARK_WORKER_CORES, SPARK_WORKER_MEMORY, SPARK_DAEMON_MEMORY: read by
#   start-master.sh / start-worker.sh and Spark itself
# Always in the foreground (SPARK_NO_DAEMONIZE, as Bitnami sets it).
# The RPC authentication/encryption, local storage encryption and SSL
# switches are honoured only when "no" (their default): with "yes" this
# exits, saying so, instead of running a cluster without them.
set -euo pipefail

export SPARK_NO_DAEMONIZE=${SPARK_NO_DAEMONIZE:-true}
SPARK_MODE=${SPARK_MODE:-master}
SPARK_MASTER_URL=${SPARK_MASTER_URL:-spark://spark-master:7077}

for v in SPARK_RPC_AUTHENTICATION_ENABLED SPARK_RPC_ENCRYPTION_ENABLED \
	SPARK_LOCAL_STORAGE_ENCRYPTION_ENABLED SPARK_SSL_ENABLED; do
	case "${!v:-no}" in
	no | false | 0) ;;
	*)
		echo >&2 "error: $v=${!v}: the bitnami/spark stand-in (labctl images/spark) does not implement it; set it to no"
		exit 1
		;;
	esac
done

case "$SPARK_MODE" in
master)
	echo "** Starting Spark in master mode **"
	exec start-master.sh
	;;
worker)
	case "$SPARK_MASTER_URL" in
	spark://*) ;;
	*)
		echo >&2 "error: SPARK_MASTER_URL '$SPARK_MASTER_URL' must start with spark://"
		exit 1
		;;
	esac
	echo "** Starting Spark in worker mode **"
	exec start-worker.sh "$SPARK_MASTER_URL"
	;;
*)
	echo >&2 "error: invalid mode '$SPARK_MODE'; supported values are 'master' and 'worker'"
	exit 1
	;;
esac
