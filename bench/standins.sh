#!/usr/bin/env bash
# Cold build time of the pgadmin and mongo stand-ins (images/pgadmin,
# images/mongo; issue 15), with the machine's load. See bench/README.md.
#
#   bench/standins.sh               # both
#   IMAGES="mongo" bench/standins.sh
#
# Cold build: `docker build --no-cache` from the local debian:bookworm-slim,
# downloads included (Debian's archive and bookworm-backports, PyPI, the Go
# module proxy and Go toolchain, npm, as reached from here). The images are
# tagged <name>-bench and removed afterwards; nothing else is touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-pgadmin mongo}
CA=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
echo "machine: $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
for dir in $IMAGES; do
	tag=labctl-bench/standin-$dir:$$
	before=$(loadavg)
	t0=$(now)
	docker build -q --no-cache --build-arg EXTRA_CA_CERTS="$CA" -t "$tag" "images/$dir" >/dev/null ||
		die "build of images/$dir failed"
	t1=$(now)
	size=$(docker image inspect -f '{{.Size}}' "$tag")
	docker rmi "$tag" >/dev/null
	printf 'cold build %-8s %7.1f s  %5d MB  load before %s / after %s\n' "$dir" "$(elapsed "$t0" "$t1")" \
		$((size / 1000000)) "$before" "$(loadavg)"
done
