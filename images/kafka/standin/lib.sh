# Sourced by the stand-in entrypoints of Dockerfile.3.9 (bash). Helpers only:
# each convention's rules live in its own script.

standin_log() { printf '%s: %s\n' "${STANDIN_NAME:-standin}" "$*" >&2; }
standin_die() { standin_log "error: $*"; exit 1; }

# Properties, kept in order of first setting: prop_set KEY VALUE, prop_get KEY
declare -A PROPS=()
declare -a PROP_ORDER=()
prop_set() {
	[ -n "${PROPS[$1]+x}" ] || PROP_ORDER+=("$1")
	PROPS[$1]=$2
}
prop_get() { printf '%s' "${PROPS[$1]-}"; }
prop_unset() {
	local k new=()
	unset "PROPS[$1]"
	for k in "${PROP_ORDER[@]}"; do [ "$k" = "$1" ] || new+=("$k"); done
	PROP_ORDER=("${new[@]}")
}
# prop_write FILE: KEY=VALUE lines (.properties escaping of '\' and newlines)
prop_write() {
	local k v tmp="$1.tmp.$$"
	{
		echo "# written by the labctl stand-in (${STANDIN_NAME:-}) from the environment"
		for k in "${PROP_ORDER[@]}"; do
			v=${PROPS[$k]}
			v=${v//\\/\\\\}
			v=${v//$'\n'/ }
			printf '%s=%s\n' "$k" "$v"
		done
	} >"$tmp"
	mv -f "$tmp" "$1"
}
# prop_load FILE: KEY=VALUE lines of a file, comments and blanks skipped
prop_load() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'* | '!'*) continue ;; esac
		[[ $line == *=* ]] || continue
		prop_set "${line%%=*}" "${line#*=}"
	done <"$1"
}

# standin_as USER DIR...: when root, make DIRs and hand them (what is not
# USER's yet) to USER, then re-exec this script as USER, as the public images
# run their server (Confluent: appuser; Bitnami: 1001). Not root: check the
# DIRs are writable.
standin_as() {
	local user=$1 d
	shift
	if [ "$(id -u)" = 0 ]; then
		for d in "$@"; do
			mkdir -p "$d"
			find "$d" \! -user "$user" -exec chown "$user" {} + 2>/dev/null || true
		done
		exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups "$0" "${STANDIN_ARGS[@]}"
	fi
	for d in "$@"; do
		mkdir -p "$d" 2>/dev/null || true
		[ -w "$d" ] || standin_die "$d is not writable by uid $(id -u)"
	done
}

# standin_healthcheck_port LISTENERS PROTOCOL_MAP CONTROLLER_NAMES INTER_BROKER:
# the port kafka-healthcheck asks (an ApiVersions request, PLAINTEXT only):
# the inter-broker listener when it is PLAINTEXT, else the first PLAINTEXT
# listener that is not a controller's. Written to
# /opt/kafka/config/healthcheck.port, and the listener's host, when it binds
# one ("PLAINTEXT://kafka:9092"), to healthcheck.host.
standin_healthcheck_port() {
	local listeners=$1 map=${2:-} ctl=${3:-} ibl=${4:-PLAINTEXT} l name port proto best= host=
	local -A P=([PLAINTEXT]=PLAINTEXT [SSL]=SSL [SASL_PLAINTEXT]=SASL_PLAINTEXT [SASL_SSL]=SASL_SSL)
	local -a entries
	IFS=, read -r -a entries <<<"$map"
	for l in "${entries[@]}"; do
		l=${l// /}
		[ -n "$l" ] && P[${l%%:*}]=${l#*:}
	done
	IFS=, read -r -a entries <<<"$listeners"
	for l in "${entries[@]}"; do
		l=${l// /}
		name=${l%%://*}
		port=${l##*:}
		proto=${P[$name]:-}
		[ "$proto" = PLAINTEXT ] || continue
		[[ ",$ctl," != *",$name,"* ]] || continue
		local h=${l#*://}
		h=${h%:*}
		h=${h#[}
		h=${h%]}
		case $h in '' | 0.0.0.0 | ::) h=127.0.0.1 ;; esac
		if [ "$name" = "$ibl" ]; then best=$port host=$h; break; fi
		[ -n "$best" ] || { best=$port; host=$h; }
	done
	printf '%s\n' "${best:-9092}" >/opt/kafka/config/healthcheck.port
	printf '%s\n' "${host:-127.0.0.1}" >/opt/kafka/config/healthcheck.host
}

# standin_wait_tcp "HOST:PORT[,HOST:PORT...][/chroot]" SECONDS: until one of
# them accepts a TCP connection (cub zk-ready's job, without a ZooKeeper client)
standin_wait_tcp() {
	local spec=${1%%/*} secs=$2 hp i
	local -a hosts
	IFS=, read -r -a hosts <<<"$spec"
	for ((i = 0; i < secs * 2; i++)); do
		for hp in "${hosts[@]}"; do
			if timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${hp%:*}" "${hp##*:}" 2>/dev/null; then
				return 0
			fi
		done
		sleep 0.5
	done
	return 1
}
