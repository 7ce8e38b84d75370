#!/usr/bin/env bash
# labctl postgres entrypoint: on first start make the cluster and run
# /docker-entrypoint-initdb.d, then exec postgres in the foreground.
# Environment as in the official image: POSTGRES_PASSWORD (required),
# POSTGRES_USER (default postgres), POSTGRES_DB (default $POSTGRES_USER),
# PGDATA, POSTGRES_INITDB_ARGS, POSTGRES_INITDB_WALDIR,
# POSTGRES_HOST_AUTH_METHOD, and VAR_FILE for the secret ones.
# No -u: *.sh init scripts are sourced into this shell, as in the official image.
set -Eeo pipefail
shopt -s nullglob

log() { printf 'postgres-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
INCOMPLETE=.labctl-init-incomplete

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE.
file_env() {
	local var=$1 fvar="${1}_FILE" def=${2:-} val
	if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then
		die "both $var and $fvar are set; use one"
	fi
	val=$def
	if [[ -n ${!var:-} ]]; then
		val=${!var}
	elif [[ -n ${!fvar:-} ]]; then
		[[ -r ${!fvar} ]] || die "$fvar names '${!fvar}', which cannot be read"
		val=$(<"${!fvar}")
	fi
	export "$var=$val"
	unset "$fvar"
}

# As root: own the directories, then run this script again as postgres.
# setpriv execs (no fork), so postgres ends up as PID 1 and gets the signals.
prepare_as_root() {
	install -d -m 0700 "$PGDATA"
	chmod 0700 "$PGDATA"
	find "$PGDATA" -xdev \! -user postgres -exec chown postgres:postgres '{}' +
	install -d -o postgres -g postgres -m 3777 /var/run/postgresql
	if [[ -n ${POSTGRES_INITDB_WALDIR:-} ]]; then
		install -d -m 0700 "$POSTGRES_INITDB_WALDIR"
		find "$POSTGRES_INITDB_WALDIR" -xdev \! -user postgres -exec chown postgres:postgres '{}' +
	fi
}

# Temporary server for init: unix socket only, so no client can connect
# over the network (and the TCP healthcheck stays red) until init is done.
TEMP_LOG=
# The temporary server listens on a socket of its own, not TCP and not
# the usual /var/run/postgresql: a healthcheck such as the official docs'
# `pg_isready -U user -d db` (the default socket) stays red until the
# real server runs, where the official image answers it during init.
# Init scripts reach it through PGHOST, exported while they run.
temp_server_start() {
	TEMP_LOG=$(mktemp)
	INIT_SOCKET=$(mktemp -d /tmp/pg-init.XXXXXX)
	pg_ctl -D "$PGDATA" -w -t 120 -l "$TEMP_LOG" \
		-o "-c listen_addresses='' -c unix_socket_directories='$INIT_SOCKET' -p ${PGPORT:-5432}" start >/dev/null ||
		{ cat "$TEMP_LOG" >&2 || true; die "temporary server did not start"; }
	export PGHOST=$INIT_SOCKET
}
temp_server_stop() {
	pg_ctl -D "$PGDATA" -m fast -w -t 120 stop >/dev/null ||
		{ cat "$TEMP_LOG" >&2 || true; die "temporary server did not stop"; }
	unset PGHOST
	rm -rf "$TEMP_LOG" "$INIT_SOCKET"
}

# decompress TOOL FILE: the file's SQL on stdout.
decompress() {
	command -v "$1" >/dev/null 2>&1 || die "cannot run '$2': '$1' is not installed in this image"
	"$1" -dc "$2"
}

psql_init() {
	psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password \
		--username "$POSTGRES_USER" -p "${PGPORT:-5432}" "$@"
}

init_cluster() {
	local method=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256} f
	if [[ -z $POSTGRES_PASSWORD && $method != trust ]]; then
		cat >&2 <<'EOF'
postgres-entrypoint: error: POSTGRES_PASSWORD is not set, and the database is not initialised.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to the superuser's password,
  e.g. docker run -e POSTGRES_PASSWORD=... ; labctl generates one per lab.
  (POSTGRES_HOST_AUTH_METHOD=trust allows connections with no password at all:
  only for throwaway local tests.)
EOF
		exit 1
	fi
	if [[ $method == trust ]]; then
		log "warning: POSTGRES_HOST_AUTH_METHOD=trust: anyone who reaches the port connects without a password"
	fi
	if [[ -n $POSTGRES_PASSWORD && ${#POSTGRES_PASSWORD} -gt 1000 ]]; then
		die "POSTGRES_PASSWORD is longer than 1000 characters"
	fi

	log "initialising a new cluster in $PGDATA (user '$POSTGRES_USER', database '$POSTGRES_DB')"
	local -a args=(--username="$POSTGRES_USER" --auth-local=trust --auth-host="$method"
		--encoding=UTF8 --locale=C.UTF-8)
	[[ -n ${POSTGRES_INITDB_WALDIR:-} ]] && args+=(--waldir="$POSTGRES_INITDB_WALDIR")
	local initlog extra=()
	initlog=$(mktemp)
	# POSTGRES_INITDB_ARGS is a list of words (split, never globbed)
	read -r -a extra <<<"${POSTGRES_INITDB_ARGS:-}"
	initdb "${args[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
		"${extra[@]}" >"$initlog" 2>&1 ||
		{ cat "$initlog" >&2 || true; die "initdb failed"; }
	rm -f "$initlog"
	: >"$PGDATA/$INCOMPLETE"

	cat >>"$PGDATA/postgresql.conf" <<EOF

# --- set by labctl's docker-entrypoint.sh
listen_addresses = '*'
password_encryption = scram-sha-256
EOF
	cat >"$PGDATA/pg_hba.conf" <<EOF
# set by labctl's docker-entrypoint.sh
# TYPE  DATABASE     USER  ADDRESS     METHOD
local   all          all               trust
local   replication  all               trust
host    all          all   0.0.0.0/0   $method
host    all          all   ::/0        $method
host    replication  all   0.0.0.0/0   $method
host    replication  all   ::/0        $method
EOF

	INIT_STEP="starting the temporary server"
	trap 'rc=$?; ((rc == 0)) || log "error: first-start initialisation failed while ${INIT_STEP}; the data directory is left half-initialised"' EXIT
	temp_server_start
	INIT_STEP="creating database '$POSTGRES_DB'"
	if [[ $POSTGRES_DB != postgres ]]; then
		psql_init --dbname postgres --set db="$POSTGRES_DB" >/dev/null <<-'EOSQL'
			CREATE DATABASE :"db";
		EOSQL
	fi

	# Scripts see the same variables as the official image's do.
	export POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB PGDATA
	for f in /docker-entrypoint-initdb.d/*; do
		INIT_STEP="running $f"
		case $f in
		*.sh)
			if [[ -x $f ]]; then
				log "running $f"; "$f"
			else
				log "sourcing $f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql) log "running $f"; psql_init --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
		*.sql.gz) log "running $f"; decompress gzip "$f" | psql_init --dbname "$POSTGRES_DB" >/dev/null ;;
		*.sql.xz) log "running $f"; decompress xz "$f" | psql_init --dbname "$POSTGRES_DB" >/dev/null ;;
		*.sql.zst) log "running $f"; decompress zstd "$f" | psql_init --dbname "$POSTGRES_DB" >/dev/null ;;
		*) log "ignoring $f" ;;
		esac
	done
	INIT_STEP="stopping the temporary server"
	temp_server_stop
	rm -f "$PGDATA/$INCOMPLETE"
	trap - EXIT
	log "init done; starting postgres"
}

if [[ ${1:-} == -* ]]; then
	set -- postgres "$@"
fi

if [[ ${1:-} == postgres ]]; then
	if [[ $(id -u) == 0 ]]; then
		prepare_as_root
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH" "${BASH_SOURCE[0]}" "$@"
	fi
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS

	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		init_cluster
	elif [[ -e $PGDATA/$INCOMPLETE ]]; then
		die "$PGDATA holds a cluster whose first initialisation did not finish (an init script failed?); remove the volume and start again"
	fi
	unset POSTGRES_PASSWORD
	exec "$@"
fi

exec "$@"
