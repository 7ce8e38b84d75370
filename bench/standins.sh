#!/usr/bin/env bash
# Cold build time of stand-ins (issue 15) with the machine's load: pgadmin,
# mongo (images/pgadmin, images/mongo), minio (images/minio, over
# labctl/objectstore) and apache-kafka (images/kafka/Dockerfile.apache, over
# labctl/kafka:4.4.0). See bench/README.md.
#
#   bench/standins.sh               # pgadmin and mongo
#   IMAGES="minio apache-kafka" bench/standins.sh
#
# minio and apache-kafka are measured on their own layers: the image they
# are FROM (labctl/objectstore:4.1.0, labctl/kafka:4.4.0) must be on the
# engine (labctl builds it first; bench/first-run.sh measures those).
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
for name in $IMAGES; do
	tag=labctl-bench/standin-$name:$$
	case $name in
	apache-kafka) dir=kafka file=Dockerfile.apache base=labctl/kafka:4.4.0 ;;
	minio) dir=minio file=Dockerfile base=labctl/objectstore:4.1.0 ;;
	*) dir=$name file=Dockerfile base= ;;
	esac
	[[ -z $base ]] || docker image inspect "$base" >/dev/null 2>&1 ||
		die "$name is built FROM $base, which is not on the engine: labctl up builds it (or docker build it first)"
	before=$(loadavg)
	t0=$(now)
	docker build -q --no-cache --build-arg EXTRA_CA_CERTS="$CA" -f "images/$dir/$file" -t "$tag" "images/$dir" >/dev/null ||
		die "build of images/$dir/$file failed"
	t1=$(now)
	size=$(docker image inspect -f '{{.Size}}' "$tag")
	docker rmi "$tag" >/dev/null
	printf 'cold build %-12s %7.1f s  %5d MB  load before %s / after %s\n' "$name" "$(elapsed "$t0" "$t1")" \
		$((size / 1000000)) "$before" "$(loadavg)"
done
