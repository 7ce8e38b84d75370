#!/usr/bin/env bash
# start-master.sh for the pyspark distribution, which ships spark-daemon.sh
# but not Spark's start-*.sh: the standalone master as Spark's own script
# starts it (sbin/start-master.sh, Spark 3.4-4.x), through spark-daemon.sh,
# so SPARK_NO_DAEMONIZE (set: foreground, as containers want) and the log
# and pid files behave the same.
#   SPARK_MASTER_HOST (default: hostname), SPARK_MASTER_PORT (7077),
#   SPARK_MASTER_WEBUI_PORT (8080); extra arguments go to the Master.
if [ -z "${SPARK_HOME}" ]; then
	export SPARK_HOME="$(cd "$(dirname "$0")"/..; pwd)"
fi
CLASS="org.apache.spark.deploy.master.Master"
if [[ "$*" = *--help ]] || [[ "$*" = *-h ]]; then
	echo "Usage: ./sbin/start-master.sh [options]"
	"${SPARK_HOME}"/bin/spark-class $CLASS --help
	exit 0
fi
. "${SPARK_HOME}/sbin/spark-config.sh"
. "${SPARK_HOME}/bin/load-spark-env.sh"
SPARK_MASTER_PORT=${SPARK_MASTER_PORT:-7077}
SPARK_MASTER_HOST=${SPARK_MASTER_HOST:-$(hostname -f 2>/dev/null || hostname)}
SPARK_MASTER_WEBUI_PORT=${SPARK_MASTER_WEBUI_PORT:-8080}
exec "${SPARK_HOME}/sbin"/spark-daemon.sh start $CLASS 1 \
	--host "$SPARK_MASTER_HOST" --port "$SPARK_MASTER_PORT" --webui-port "$SPARK_MASTER_WEBUI_PORT" \
	"$@"
