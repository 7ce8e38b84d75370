#!/bin/bash
# Entrypoint of labctl's pgadmin image: the environment interface of the
# dpage/pgadmin4 image's /entrypoint.sh (pgAdmin's container deployment
# docs, https://www.pgadmin.org/docs/pgadmin4/latest/container_deployment.html),
# written for Debian and the PyPI wheel. See README.md for what is and is
# not honoured.
set -eu

# VAR_FILE (Docker secrets) for VAR; both set is an error, as upstream
file_env() {
	local var=$1 file_var=${1}_FILE
	if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
		echo >&2 "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	if [[ -n ${!file_var:-} ]]; then
		if [[ ! -r ${!file_var} ]]; then
			echo >&2 "error: $file_var is set to \"${!file_var}\" but the file does not exist or is not readable"
			exit 1
		fi
		export "$var"="$(<"${!file_var}")"
	fi
	unset "$file_var"
}
file_env PGADMIN_DEFAULT_PASSWORD
file_env PGADMIN_CONFIG_CONFIG_DATABASE_URI

# The server binds a port below 1024 (80, 443) through python3-cap, which
# carries CAP_NET_BIND_SERVICE; where file capabilities are refused
# (no-new-privileges, --cap-drop ALL) the plain interpreter on 8080/8443,
# as upstream does.
python_bin=/venv/bin/python3-cap
cap_bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
if grep -q '^NoNewPrivs:[[:space:]]*1' /proc/self/status || (((16#$cap_bnd & 0x400) == 0)); then
	python_bin=/venv/bin/python3
	if [[ -z ${PGADMIN_LISTEN_PORT:-} ]]; then
		if [[ -n ${PGADMIN_ENABLE_TLS:-} ]]; then export PGADMIN_LISTEN_PORT=8443; else export PGADMIN_LISTEN_PORT=8080; fi
		echo "Restricted security context detected; defaulting PGADMIN_LISTEN_PORT to $PGADMIN_LISTEN_PORT."
	fi
fi

# config_distro.py: written on the first start only (an empty file), with
# upstream's defaults and then one line per PGADMIN_CONFIG_<KEY>=<value>,
# the value verbatim Python (strings quoted by the user: 'value'); true and
# false in any case become True and False.
distro=${PGADMIN_CUSTOM_CONFIG_DISTRO_FILE:-/pgadmin4/config_distro.py}
export CONFIG_DISTRO_FILE_PATH=$distro
if [[ ! -s $distro ]]; then
	cat >"$distro" <<-'EOF'
		CA_FILE = '/etc/ssl/certs/ca-certificates.crt'
		LOG_FILE = '/dev/null'
		HELP_PATH = '../../../docs/en_US/_build/html/'
		DEFAULT_BINARY_PATHS = {
		        'pg': '/usr/lib/postgresql/15/bin',
		        'pg-15': '/usr/lib/postgresql/15/bin'
		}
	EOF
	while IFS= read -r var; do
		val=${!var}
		case ${val,,} in
		true) val=True ;;
		false) val=False ;;
		esac
		printf '%s = %s\n' "${var#PGADMIN_CONFIG_}" "$val" >>"$distro"
	done < <(compgen -e | grep '^PGADMIN_CONFIG_' || true)
fi

load_servers() {
	export PGADMIN_SERVER_JSON_FILE=${PGADMIN_SERVER_JSON_FILE:-/pgadmin4/servers.json}
	local extra=()
	[[ ${PGADMIN_REPLACE_SERVERS_ON_STARTUP:-} == True ]] && extra=(--replace)
	[[ -f $PGADMIN_SERVER_JSON_FILE ]] || return 0
	if [[ ${PGADMIN_CONFIG_SERVER_MODE:-} == False ]]; then
		/venv/bin/python3 /pgadmin4/setup.py load-servers "$PGADMIN_SERVER_JSON_FILE" "${extra[@]}"
	else
		/venv/bin/python3 /pgadmin4/setup.py load-servers "$PGADMIN_SERVER_JSON_FILE" --user "$PGADMIN_DEFAULT_EMAIL" "${extra[@]}"
	fi
}

cd /pgadmin4
if [[ ! -f /var/lib/pgadmin/pgadmin4.db && -z ${PGADMIN_CONFIG_CONFIG_DATABASE_URI:-} ]]; then
	if [[ -z ${PGADMIN_DEFAULT_EMAIL:-} || -z ${PGADMIN_DEFAULT_PASSWORD:-} ]]; then
		echo 'You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE environment variables.'
		exit 1
	fi
	# the address is checked as upstream does, with pgAdmin's own validator
	if ! valid=$(cd /pgadmin4/pgadmin/utils && /venv/bin/python3 -c '
import os, sys
from validation_utils import validate_email
cfg = {"CHECK_EMAIL_DELIVERABILITY": os.environ.get("PGADMIN_CONFIG_CHECK_EMAIL_DELIVERABILITY", "False").lower() == "true",
       "ALLOW_SPECIAL_EMAIL_DOMAINS": eval(os.environ.get("PGADMIN_CONFIG_ALLOW_SPECIAL_EMAIL_DOMAINS", "[]")),
       "GLOBALLY_DELIVERABLE": os.environ.get("PGADMIN_CONFIG_GLOBALLY_DELIVERABLE", "True").lower() == "true"}
print(validate_email(os.environ["PGADMIN_DEFAULT_EMAIL"], cfg))') || [[ $valid == *False* ]]; then
		echo "'$PGADMIN_DEFAULT_EMAIL' does not appear to be a valid email address. Please reset the PGADMIN_DEFAULT_EMAIL environment variable and try again."
		echo "Validation output: $valid"
		exit 1
	fi
	# importing the application creates the configuration database and the
	# first user from PGADMIN_SETUP_EMAIL/PASSWORD (upstream's run_pgadmin.py)
	export PGADMIN_SETUP_EMAIL=$PGADMIN_DEFAULT_EMAIL PGADMIN_SETUP_PASSWORD=$PGADMIN_DEFAULT_PASSWORD
	/venv/bin/python3 -c 'import pgAdmin4'
	unset PGADMIN_SETUP_PASSWORD
	load_servers
	prefs=${PGADMIN_PREFERENCES_JSON_FILE:-/pgadmin4/preferences.json}
	if [[ -f $prefs ]]; then
		/venv/bin/python3 /pgadmin4/setup.py set-prefs "$PGADMIN_DEFAULT_EMAIL" --input-file "$prefs"
	fi
	if [[ -n ${PGPASS_FILE:-} && -f $PGPASS_FILE ]]; then
		dir=/var/lib/pgadmin/storage/${PGADMIN_DEFAULT_EMAIL//@/_}
		mkdir -p "$dir"
		cp "$PGPASS_FILE" "$dir/.pgpass"
		chmod 600 "$dir/.pgpass"
	fi
elif [[ ${PGADMIN_REPLACE_SERVERS_ON_STARTUP:-} == True ]]; then
	load_servers
fi

# gunicorn's worker timeout is the session expiry, as upstream; one worker
# (pgAdmin's sessions need it) with threads
timeout=$(/venv/bin/python3 -c 'import config; print(config.SESSION_EXPIRATION_TIME * 60 * 60 * 24)')
if [[ -n ${PGADMIN_ENABLE_SOCK:-} ]]; then
	bind=unix:/run/pgadmin/pgadmin.sock
elif [[ -n ${PGADMIN_ENABLE_TLS:-} ]]; then
	bind=${PGADMIN_LISTEN_ADDRESS:-[::]}:${PGADMIN_LISTEN_PORT:-443}
else
	bind=${PGADMIN_LISTEN_ADDRESS:-[::]}:${PGADMIN_LISTEN_PORT:-80}
fi
args=(--limit-request-line "${GUNICORN_LIMIT_REQUEST_LINE:-8190}"
	--limit-request-fields "${GUNICORN_LIMIT_REQUEST_FIELDS:-100}"
	--limit-request-field_size "${GUNICORN_LIMIT_REQUEST_FIELD_SIZE:-8190}"
	--timeout "$timeout" --bind "$bind" -w 1 --threads "${GUNICORN_THREADS:-25}"
	--access-logfile "${GUNICORN_ACCESS_LOGFILE:--}")
[[ -n ${PGADMIN_ENABLE_TLS:-} ]] && args+=(--keyfile /certs/server.key --certfile /certs/server.cert)
echo "pgAdmin 4 listening on $bind"
exec "$python_bin" /venv/bin/gunicorn "${args[@]}" pgAdmin4:app
