#!/usr/bin/env bash
# start-worker.sh for the pyspark distribution, which ships spark-daemon.sh
# but not Spark's start-*.sh: a standalone worker as Spark's own script
# starts it (sbin/start-worker.sh, Spark 3.4-4.x), through spark-daemon.sh
# (SPARK_NO_DAEMONIZE set: in the foreground).
#   usage: start-worker.sh <master URL> [options]
#   SPARK_WORKER_WEBUI_PORT (default 8081), SPARK_WORKER_PORT (default:
#   any); SPARK_WORKER_CORES and SPARK_WORKER_MEMORY are read by the Worker.
#   One instance (SPARK_WORKER_INSTANCES is not honoured: one container,
#   one worker).
if [ -z "${SPARK_HOME}" ]; then
	export SPARK_HOME="$(cd "$(dirname "$0")"/..; pwd)"
fi
CLASS="org.apache.spark.deploy.worker.Worker"
if [[ $# -lt 1 ]] || [[ "$*" = *--help ]] || [[ "$*" = *-h ]]; then
	echo "Usage: ./sbin/start-worker.sh <master> [options]"
	"${SPARK_HOME}"/bin/spark-class $CLASS --help
	[[ $# -lt 1 ]] && exit 1 || exit 0
fi
. "${SPARK_HOME}/sbin/spark-config.sh"
. "${SPARK_HOME}/bin/load-spark-env.sh"
MASTER=$1
shift
port=()
[ -n "${SPARK_WORKER_PORT:-}" ] && port=(--port "$SPARK_WORKER_PORT")
exec "${SPARK_HOME}/sbin"/spark-daemon.sh start $CLASS 1 \
	--webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" "${port[@]}" "$MASTER" "$@"
