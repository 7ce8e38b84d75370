#!/usr/bin/env bash
# Cold build time of the Kafka 3.9 / ZooKeeper stand-ins (images/kafka/
# Dockerfile.3.9, catalog entries cp-kafka, cp-zookeeper, bitnami-kafka,
# bitnami-zookeeper). See bench/README.md.
#
#   bench/standins-kafka.sh
#
# The first entry is built with --no-cache from the local labctl/jre:17
# (not counted: the shared JRE base, images/jre), downloads included (Debian
# netcat, Maven and Kafka 3.9's jars from Maven Central as reached from
# here); the other three are then built as `labctl up --offline` builds
# them after the first: from the build cache, only their metadata stage
# differing. Tags are labctl-bench-zk/*, removed at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
CA=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
docker image inspect labctl/jre:17 >/dev/null 2>&1 || die "labctl/jre:17 is not built (docker build -t labctl/jre:17 images/jre)"
echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
nocache=--no-cache
for s in cp-kafka cp-zookeeper bitnami-kafka bitnami-zookeeper; do
	t0=$(now)
	docker build -q $nocache -f images/kafka/Dockerfile.3.9 --build-arg STANDIN="$s" \
		--build-arg EXTRA_CA_CERTS="$CA" -t "labctl-bench-zk/$s" images/kafka >/dev/null 2>&1 ||
		die "build of $s failed"
	t1=$(now)
	size=$(docker image inspect -f '{{.Size}}' "labctl-bench-zk/$s")
	printf '%-18s %-10s %7s s  %4d MB  (load %s)\n' "$s" "${nocache:-cached}" "$(elapsed "$t0" "$t1")" \
		$((size / 1000000)) "$(cut -d' ' -f1 /proc/loadavg)"
	nocache=
done
for s in cp-kafka cp-zookeeper bitnami-kafka bitnami-zookeeper; do docker rmi "labctl-bench-zk/$s" >/dev/null; done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
