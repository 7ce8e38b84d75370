#!/usr/bin/env bash
# Cold build and warm ready time of the schema registry and the Kafka
# Connect worker (and the Python client image). See bench/README.md.
#
#   bench/schemas.sh            # cold builds (--no-cache), then module2 and module6 up twice
#   BUILD=0 bench/schemas.sh    # only the ready times (READY=0: only the builds)
#
# Cold build: `docker build --no-cache` of the image from the local
# debian:bookworm-slim, downloads included (Debian, Maven Central, PyPI as
# reached from here). Warm ready: the lab is up once (images built,
# volumes made), down, then `labctl up --json` again; a service's ready
# time is its seconds_to_ready - seconds_to_start (container started ->
# its x-ready probe passes), and for Connect also up's total (connectors
# created and RUNNING). Run under the shared lock: it brings labs up.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
LABCTL=${LABCTL:-build/labctl}
BUILD=${BUILD:-1}
READY=${READY:-1}
CA=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
echo "machine: $(nproc) cores, load average before: $(loadavg)"

if [ "$BUILD" = 1 ]; then
	for img in schema-registry:labctl/schema-registry:1 connect:labctl/connect:4.4.0 python:labctl/python:1; do
		dir=${img%%:*} tag=${img#*:}
		t0=$(date +%s.%N)
		docker build -q --no-cache --build-arg EXTRA_CA_CERTS="$CA" -t "$tag-bench" "images/$dir" >/dev/null
		t1=$(date +%s.%N)
		size=$(docker image inspect -f '{{.Size}}' "$tag-bench")
		docker rmi "$tag-bench" >/dev/null
		printf 'cold build %-16s %6.1f s  %4d MB  (load %s)\n' "$dir" "$(echo "$t1 - $t0" | bc)" $((size / 1000000)) "$(loadavg)"
	done
fi

ready() { # LAB SERVICE... : up twice, print each service's warm ready time
	local lab=$1; shift
	"$LABCTL" up "$lab" >/dev/null 2>&1 || die "up $lab failed"
	"$LABCTL" down "$lab" >/dev/null 2>&1
	local t0 t1 json
	t0=$(date +%s.%N)
	json=$("$LABCTL" up "$lab" --json 2>/dev/null) || die "second up $lab failed"
	t1=$(date +%s.%N)
	for s in "$@"; do
		printf 'warm ready %-16s %6.2f s  (container started -> probe passed; %s, load %s)\n' "$s" \
			"$(printf '%s' "$json" | jq -r --arg s "$s" '.services[] | select(.service == $s) | .seconds_to_ready - .seconds_to_start')" \
			"$lab" "$(loadavg)"
	done
	printf 'warm up    %-16s %6.2f s  (whole labctl up%s)\n' "$lab" "$(echo "$t1 - $t0" | bc)" \
		"$(printf '%s' "$json" | jq -r 'if (.connectors | length) > 0 then ", connectors " + ([.connectors[].state] | join("/")) else "" end')"
	"$LABCTL" down "$lab" --volumes >/dev/null 2>&1
}
if [ "$READY" = 1 ]; then
	ready module2 kafka schema-registry
	ready module6 kafka postgres connect
fi
echo "load average after: $(loadavg)"
