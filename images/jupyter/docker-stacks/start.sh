#!/bin/bash
# The jupyter/*-notebook stand-in's start.sh (the entrypoint, as in the
# Jupyter docker-stacks): runs the hooks, then the command.
#   /usr/local/bin/start-notebook.d/ and /usr/local/bin/before-notebook.d/:
#   *.sh files are sourced, other executable files run, in name order
#   started as root (user: root): the command runs as jovyan (uid 1000,
#   gid 100) unless NB_USER=root. NB_UID/NB_GID/NB_USER renames,
#   GRANT_SUDO, CHOWN_HOME and CHOWN_EXTRA are not honoured (README.md).
set -e

run_hooks() {
	local d=$1 f
	[ -d "$d" ] || return 0
	for f in "$d"/*; do
		case "$f" in
		*.sh)
			echo "Sourcing shell script: $f"
			# shellcheck disable=SC1090
			source "$f"
			;;
		*)
			if [ -x "$f" ]; then
				echo "Running executable: $f"
				"$f"
			fi
			;;
		esac
	done
}

run_hooks /usr/local/bin/start-notebook.d
run_hooks /usr/local/bin/before-notebook.d

if [ $# -eq 0 ]; then
	set -- bash
fi
if [ "$(id -u)" = 0 ] && [ "${NB_USER:-jovyan}" != root ]; then
	export HOME=/home/jovyan USER=jovyan
	cd /home/jovyan 2>/dev/null || true
	exec setpriv --reuid=1000 --regid=100 --init-groups "$@"
fi
exec "$@"
