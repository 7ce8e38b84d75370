#!/bin/bash
# The bitnami/spark stand-in's entrypoint (FLAVOR=bitnami): as Bitnami's
# /opt/bitnami/scripts/spark/entrypoint.sh, any command runs as given (with
# pyspark importable), and run.sh (the default command) starts what
# SPARK_MODE says. The Kubernetes `driver`/`executor` forms are not
# honoured. See README.md, "bitnami/spark".
set -euo pipefail

# uid 1001 has no passwd entry (Bitnami names it "spark" with nss_wrapper);
# Hadoop's UserGroupInformation wants a name
if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
	export HADOOP_USER_NAME=${HADOOP_USER_NAME:-${SPARK_USER:-spark}}
	export SPARK_USER=${SPARK_USER:-spark}
fi
exec "$@"
