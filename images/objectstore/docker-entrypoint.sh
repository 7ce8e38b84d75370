#!/usr/bin/env bash
# labctl objectstore entrypoint: write S3Proxy's properties file from the
# environment, then exec java (PID 1, so docker stop's SIGTERM reaches the
# JVM and its shutdown hook stops Jetty). See README.md for the variables.
#
#   docker-entrypoint.sh s3proxy     (default CMD) configure and run S3Proxy
#   docker-entrypoint.sh CMD ...     run anything else as given
set -euo pipefail

DATA_DIR=/data
JAR=/opt/s3proxy/s3proxy.jar
RUN_USER=s3proxy

die() { printf 'objectstore: error: %s\n' "$*" >&2; exit 1; }
say() { printf 'objectstore: %s\n' "$*"; }

if [[ ${1:-s3proxy} != s3proxy ]]; then
	exec "$@"
fi

# VAR_FILE=/run/secrets/x reads VAR from a file (Docker/compose secrets); the
# file wins over the variable. A trailing newline is dropped.
for var in S3_ACCESS_KEY S3_SECRET_KEY; do
	file_var=${var}_FILE
	if [[ -n ${!file_var:-} ]]; then
		[[ -r ${!file_var} ]] || die "$file_var=${!file_var}: file not readable"
		printf -v "$var" '%s' "$(<"${!file_var}")"
	fi
done

missing=()
[[ -n ${S3_ACCESS_KEY:-} ]] || missing+=(S3_ACCESS_KEY)
[[ -n ${S3_SECRET_KEY:-} ]] || missing+=(S3_SECRET_KEY)
if ((${#missing[@]})); then
	missing=${missing[*]}
	die "${missing// / and } not set: the object store requires AWS Signature V4 credentials;" \
		"start it with e.g. -e S3_ACCESS_KEY=labuser -e S3_SECRET_KEY=\$(openssl rand -hex 20)" \
		"(or S3_ACCESS_KEY_FILE / S3_SECRET_KEY_FILE)."
fi
for var in S3_ACCESS_KEY S3_SECRET_KEY; do
	# printable ASCII, no spaces: what S3 clients accept as keys, and safe in
	# a Java properties file once backslashes are escaped
	[[ ${!var} =~ ^[!-~]+$ ]] || die "$var must be printable ASCII without spaces"
done
[[ ${#S3_SECRET_KEY} -ge 8 ]] || die "S3_SECRET_KEY must be at least 8 characters"

S3_REGION=${S3_REGION:-us-east-1}
[[ $S3_REGION =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "S3_REGION='$S3_REGION' is not a region name (like us-east-1)"
S3_PORT=${S3_PORT:-9000}
[[ $S3_PORT =~ ^[0-9]+$ ]] && ((S3_PORT >= 1 && S3_PORT <= 65535)) || die "S3_PORT='$S3_PORT' is not a port number"
LOG_LEVEL=${LOG_LEVEL:-info}

# Java properties: backslash is the only character of the allowed set that
# needs escaping in a value.
prop_escape() { local v=${1//\\/\\\\}; printf '%s' "$v"; }

uid=$(id -u)
if ((uid == 0)); then
	# Root: hand the data to the service user (a fresh named volume already
	# is; a bind mount may not be), then drop to it below.
	[[ -d $DATA_DIR ]] || install -d -o "$RUN_USER" -g "$RUN_USER" -m 0750 "$DATA_DIR"
	find "$DATA_DIR" \! -user "$RUN_USER" -exec chown "$RUN_USER:$RUN_USER" {} + ||
		die "cannot chown $DATA_DIR to $RUN_USER"
	run_as=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups --)
	owner=$RUN_USER
else
	# docker run --user UID: run as that user; it must be able to write /data.
	[[ -d $DATA_DIR && -w $DATA_DIR ]] || die "$DATA_DIR is not a writable directory for uid $uid"
	run_as=()
	owner=$uid
fi

# S3_BUCKETS="a b" (spaces or commas): buckets that exist when the server
# starts. The filesystem backend keeps a bucket as a directory of DATA_DIR,
# so an existing bucket and its objects are left as they are.
S3_BUCKETS=${S3_BUCKETS:-}
for bucket in ${S3_BUCKETS//,/ }; do
	[[ $bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] ||
		die "S3_BUCKETS: '$bucket' is not a bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)"
	[[ -d $DATA_DIR/$bucket ]] || install -d -o "$owner" -m 0750 "$DATA_DIR/$bucket" ||
		die "cannot create bucket directory $DATA_DIR/$bucket"
done

# The credentials go into a file readable by the service user only, not onto
# the java command line (visible in ps).
conf_dir=$(mktemp -d "${TMPDIR:-/tmp}/s3proxy.XXXXXX") || die "cannot create a directory under ${TMPDIR:-/tmp} (read-only? mount a tmpfs there)"
PROPERTIES=$conf_dir/s3proxy.properties
(
	umask 077
	cat >"$PROPERTIES" <<EOF
# written by docker-entrypoint.sh at $(date -u +%FT%TZ)
s3proxy.endpoint=http://0.0.0.0:$S3_PORT
s3proxy.authorization=aws-v4
s3proxy.identity=$(prop_escape "$S3_ACCESS_KEY")
s3proxy.credential=$(prop_escape "$S3_SECRET_KEY")
jclouds.provider=filesystem
jclouds.filesystem.basedir=$DATA_DIR
EOF
)
chown -R "$owner" "$conf_dir"

say "S3Proxy ${S3PROXY_VERSION:-?} on http://0.0.0.0:$S3_PORT (path-style, SigV4 required; clients sign for region $S3_REGION), data in $DATA_DIR, access key $S3_ACCESS_KEY"

# Defaults first so that S3PROXY_JAVA_OPTS can override them (the last -Xmx
# or -XX flag wins). Serial GC and a small heap suit a one-user lab service.
# shellcheck disable=SC2086 # S3PROXY_JAVA_OPTS is a list of words
exec "${run_as[@]}" java \
	-XX:+UseSerialGC -Xms16m -Xmx256m -XX:-UsePerfData \
	-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener \
	${S3PROXY_JAVA_OPTS:-} \
	-DLOG_LEVEL="$LOG_LEVEL" \
	-jar "$JAR" --properties "$PROPERTIES"
