#!/usr/bin/env bash
# minio/minio's entrypoint conventions (dockerscripts/docker-entrypoint.sh in
# github.com/minio/minio): arguments that are not a command get `minio`
# prepended (`server /data` runs `minio server /data`); MINIO_CONFIG_ENV_FILE
# (a path, or a name under /run/secrets) is sourced; MINIO_ROOT_USER_FILE /
# MINIO_ROOT_PASSWORD_FILE and the older MINIO_ACCESS_KEY_FILE /
# MINIO_SECRET_KEY_FILE (a path, or a name under /run/secrets) set the
# credentials. Then the command runs as given.
set -euo pipefail

if [[ ${1:-} != minio && -n ${1:-} ]] && ! command -v -- "$1" >/dev/null 2>&1; then
	set -- minio "$@"
fi
[[ -n ${1:-} ]] || set -- minio

secret_path() { # NAME -> the file: itself when it exists, else /run/secrets/NAME
	if [[ -f $1 ]]; then printf '%s' "$1"; else printf '/run/secrets/%s' "$1"; fi
}

if [[ -n ${MINIO_CONFIG_ENV_FILE:-} ]]; then
	f=$(secret_path "$MINIO_CONFIG_ENV_FILE")
	if [[ -f $f ]]; then
		set -a
		# shellcheck source=/dev/null
		. "$f"
		set +a
	fi
fi

for pair in MINIO_ROOT_USER MINIO_ROOT_PASSWORD MINIO_ACCESS_KEY MINIO_SECRET_KEY; do
	file_var=${pair}_FILE
	if [[ -n ${!file_var:-} ]]; then
		f=$(secret_path "${!file_var}")
		[[ -r $f ]] || { printf 'ERROR %s=%s: no such file (nor /run/secrets/%s)\n' "$file_var" "${!file_var}" "${!file_var}" >&2; exit 1; }
		printf -v "$pair" '%s' "$(<"$f")"
		export "${pair?}"
	fi
done

exec "$@"
