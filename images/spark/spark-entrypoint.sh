#!/bin/bash
# labctl spark entrypoint. Any command runs as given, as in the official
# apache/spark image:
#   /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master
#   /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker spark://spark-master:7077
#   spark-submit --master spark://spark-master:7077 job.py
# and two short forms:
#   master            the standalone master (7077, web UI 8080)
#   worker [URL]      a worker of URL (default $SPARK_MASTER_URL, else
#                     spark://spark-master:7077); cores and memory from
#                     SPARK_WORKER_CORES and SPARK_WORKER_MEMORY (Spark reads them)
# With no command: the master.
set -euo pipefail

# a uid with no passwd entry (docker run --user 1234) still needs a name
# for Hadoop's UserGroupInformation
if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
	export HADOOP_USER_NAME=${HADOOP_USER_NAME:-spark}
	export SPARK_USER=${SPARK_USER:-spark}
fi

case "${1:-master}" in
master)
	shift || true
	exec /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master \
		--host "${SPARK_MASTER_HOST:-$(hostname)}" "$@"
	;;
worker)
	shift || true
	url=${1:-${SPARK_MASTER_URL:-spark://spark-master:7077}}
	[[ $# -gt 0 ]] && shift
	exec /opt/spark/bin/spark-class org.apache.spark.deploy.worker.Worker "$url" "$@"
	;;
*)
	exec "$@"
	;;
esac
