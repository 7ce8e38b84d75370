#!/bin/bash
# Entrypoint of labctl's mongo image: the mongo image's interface (its
# docker-entrypoint.sh: MONGO_INITDB_ROOT_USERNAME/PASSWORD,
# MONGO_INITDB_DATABASE, /docker-entrypoint-initdb.d, `mongod [options]`;
# https://hub.docker.com/_/mongo) served by FerretDB v1 on a PostgreSQL 15
# cluster in /data/db/postgresql that only FerretDB sees (unix socket, no
# TCP). See README.md for what is and is not honoured.
set -euo pipefail

# `mongod ...` (or only options) is the server; anything else runs as given
# (bash, mongosh, ...)
if [[ $# -gt 0 && ${1##*/} == mongod ]]; then
	shift
elif [[ $# -gt 0 && $1 != -* ]]; then
	exec "$@"
fi

# as root: hand the data directories to mongodb (uid 999, as upstream) and
# run as it; postgres and FerretDB both run as that user
if [[ $(id -u) == 0 ]]; then
	for d in /data/db /data/configdb /var/run/postgresql; do
		[[ $(stat -c %u "$d") == 999 ]] || chown -R mongodb:mongodb "$d"
	done
	exec env HOME=/data/db setpriv --reuid=mongodb --regid=mongodb --init-groups "$0" mongod "$@"
fi

# usage: file_env VAR: VAR_FILE (Docker secrets) fills VAR
file_env() {
	local var=$1 file_var=${1}_FILE
	if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
		echo >&2 "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	[[ -n ${!file_var:-} ]] && export "$var"="$(<"${!file_var}")"
	unset "$file_var"
}
file_env MONGO_INITDB_ROOT_USERNAME
file_env MONGO_INITDB_ROOT_PASSWORD
user=${MONGO_INITDB_ROOT_USERNAME:-} pass=${MONGO_INITDB_ROOT_PASSWORD:-}
if [[ -n $user && -z $pass ]] || [[ -z $user && -n $pass ]]; then
	cat >&2 <<-EOF
		error: missing MONGO_INITDB_ROOT_USERNAME or MONGO_INITDB_ROOT_PASSWORD
		       both must be specified for a user to be created
	EOF
	exit 1
fi

# mongod's options, as far as FerretDB has them
port=27017 bind=0.0.0.0 auth=0 replset=
[[ -n $user ]] && auth=1
while [[ $# -gt 0 ]]; do
	opt=$1 val=
	case $opt in
	--*=*) val=${opt#*=} opt=${opt%%=*} ;;
	esac
	case $opt in
	--port | --bind_ip | --replSet)
		if [[ -z $val ]]; then
			[[ $# -ge 2 ]] || { echo >&2 "error: mongod $opt needs a value"; exit 2; }
			val=$2
			shift
		fi
		case $opt in
		--port) port=$val ;;
		--bind_ip) bind=${val%%,*} ;; # FerretDB listens on one address: the first
		--replSet) replset=$val ;;
		esac
		;;
	--bind_ip_all) bind=0.0.0.0 ;;
	--auth) auth=1 ;;
	--noauth) auth=0 ;;
	*) echo >&2 "labctl mongo stand-in: mongod option $opt is not supported by FerretDB and is ignored" ;;
	esac
	shift
done
[[ $bind == localhost ]] && bind=127.0.0.1

export PGDATA=/data/db/postgresql PGHOST=/var/run/postgresql PGUSER=ferretdb
marker=/data/db/.labctl-initialized
pg_pid= fdb_pid=

start_postgres() {
	postgres -D "$PGDATA" -c listen_addresses= -c unix_socket_directories="$PGHOST" &
	pg_pid=$!
	for _ in $(seq 600); do
		pg_isready -q -d postgres && return 0
		kill -0 "$pg_pid" 2>/dev/null || { echo >&2 "error: PostgreSQL did not start"; exit 1; }
		sleep 0.1
	done
	echo >&2 "error: PostgreSQL not ready after 60 s"
	exit 1
}

# FerretDB on the cluster; $@: where it listens and the setup flags
start_ferretdb() {
	local args=(--handler=postgresql --postgresql-url="postgres://ferretdb@/ferretdb?host=$PGHOST"
		--state-dir=/data/configdb --telemetry=disable --log-level="${FERRETDB_LOG_LEVEL:-error}")
	((auth)) && args+=(--test-enable-new-auth)
	[[ -n $replset ]] && args+=(--repl-set-name="$replset")
	ferretdb "${args[@]}" "$@" &
	fdb_pid=$!
}

stop_all() {
	[[ -n $fdb_pid ]] && kill -TERM "$fdb_pid" 2>/dev/null && wait "$fdb_pid" 2>/dev/null || true
	fdb_pid=
	[[ -n $pg_pid ]] && pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
	[[ -n $pg_pid ]] && wait "$pg_pid" 2>/dev/null || true
	pg_pid=
}
trap 'stop_all; exit 0' TERM INT

rm -f /tmp/mongod.port
if [[ ! -s $PGDATA/PG_VERSION ]]; then
	echo "labctl mongo stand-in: initialising FerretDB's PostgreSQL cluster in $PGDATA"
	install -d -m 0700 "$PGDATA"
	initdb -D "$PGDATA" -U ferretdb --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	start_postgres
	createdb ferretdb

	# as upstream: a temporary server no client outside can reach (here a
	# unix socket) creates the root user in admin and runs the init scripts
	sock=/tmp/labctl-mongo-init.sock
	setup=()
	[[ -n $user ]] && setup=(--setup-database=admin --setup-username="$user" --setup-password="$pass")
	start_ferretdb --listen-addr= --listen-unix="$sock" "${setup[@]}"
	shell=(mongosh --quiet --norc)
	[[ -n $user ]] && shell+=(--username "$user" --password "$pass" --authenticationDatabase admin)
	url="mongodb://${sock//\//%2F}/${MONGO_INITDB_DATABASE:-test}"
	for i in $(seq 120); do
		"${shell[@]}" "$url" --eval 'quit(db.getSiblingDB("admin").runCommand({ listCollections: 1 }).ok === 1 ? 0 : 1)' \
			>/dev/null 2>&1 && break
		kill -0 "$fdb_pid" 2>/dev/null || { echo >&2 "error: FerretDB did not start"; exit 1; }
		((i < 120)) || { echo >&2 "error: FerretDB not ready after 120 s"; exit 1; }
		sleep 1
	done

	export MONGO_INITDB_DATABASE=${MONGO_INITDB_DATABASE:-test}
	for f in /docker-entrypoint-initdb.d/*; do
		case $f in
		*.sh) echo "$0: running $f"; . "$f" ;;
		*.js) echo "$0: running $f"; "${shell[@]}" "$url" "$f" ;;
		*/\*) ;;
		*) echo "$0: ignoring $f" ;;
		esac
	done
	stop_all
	touch "$marker"
	echo "labctl mongo stand-in: init process complete; ready for start up."
elif [[ ! -e $marker ]]; then
	echo >&2 "error: the first start of $PGDATA did not finish (an init script failed?): remove the volume and start again"
	exit 1
fi

start_postgres
start_ferretdb --listen-addr="$bind:$port" --listen-unix="/tmp/mongodb-$port.sock"
echo "$port" >/tmp/mongod.port
echo "labctl mongo stand-in: FerretDB (MongoDB wire protocol) listening on $bind:$port"

# both or neither: when one ends, stop the other and pass its status on
set +e
wait -n "$pg_pid" "$fdb_pid"
rc=$?
stop_all
exit "$rc"
