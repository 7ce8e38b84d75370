#!/usr/bin/env bash
# images/builder/test.sh — build the builder and compute images under test
# tags, compile a C program that links all the job libraries in the builder,
# copy the binary out (docker cp) and run it in the compute image: the ABI
# match between the two. Removes everything it made.
#
#   images/builder/test.sh
#   IMAGE=labctl/builder:dev COMPUTE_IMAGE=labctl/compute:dev test.sh
#                                      test existing images instead
#   BASE_IMAGE=some/base:tag test.sh   build FROM another base
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=labctl-test-builder-$$
LABEL=io.labctl.test=images
built=()
if [[ -z ${IMAGE:-} ]]; then IMAGE=labctl-test/builder:dev-$$; build_b=1; else build_b=; fi
if [[ -z ${COMPUTE_IMAGE:-} ]]; then COMPUTE_IMAGE=labctl-test/compute:dev-$$; build_c=1; else build_c=; fi
pass=0 fail=0
containers=()
tmp=$(mktemp -d)
cleanup() {
	local rc=$?
	((${#containers[@]})) && docker rm -f -v "${containers[@]}" >/dev/null 2>&1 || true
	((${#built[@]})) && docker rmi "${built[@]}" >/dev/null 2>&1 || true
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
no() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
build() { # TAG DIR
	local t0 args=(--label "$LABEL" -t "$1")
	[[ -n ${BASE_IMAGE:-} ]] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
	t0=$(date +%s%N)
	built+=("$1")
	if docker build "${args[@]}" "$2" >"$tmp/build.log" 2>&1; then
		ok "build $1 ($(($(ms_since "$t0") / 1000)) s, $(($(docker image inspect -f '{{.Size}}' "$1") / 1000000)) MB)"
	else
		tail -n 30 "$tmp/build.log"; no "build $1"; exit 1
	fi
}
[[ -n $build_b ]] && build "$IMAGE" "$HERE"
[[ -n $build_c ]] && build "$COMPUTE_IMAGE" "$HERE/../compute"

cat >"$tmp/abi.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <yaml.h>
#include <archive.h>
#include <zlib.h>

int main(void)
{
	printf("libpq %d\n", PQlibVersion());
	printf("librdkafka %s\n", rd_kafka_version_str());
	printf("libcurl %s\n", curl_version());
	printf("cjson %s\n", cJSON_Version());
	printf("libyaml %s\n", yaml_get_version_string());
	printf("libarchive %s\n", archive_version_string());
	printf("zlib %s\n", zlibVersion());
	/* a little real use, beyond resolving symbols */
	cJSON *o = cJSON_Parse("{\"ok\":true}");
	int good = o && cJSON_IsTrue(cJSON_GetObjectItem(o, "ok"));
	cJSON_Delete(o);
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	good = good && rd_kafka_conf_set(conf, "bootstrap.servers", "localhost:9092",
					 err, sizeof err) == RD_KAFKA_CONF_OK;
	rd_kafka_conf_destroy(conf);
	good = good && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	curl_global_cleanup();
	puts(good ? "ABI OK" : "ABI BROKEN");
	return good ? 0 : 1;
}
C
containers+=("$RUN-cc")
docker create --name "$RUN-cc" --label "$LABEL" "$IMAGE" sh -c \
	'cc -O2 -Wall -Wextra -Werror -o /src/abi /src/abi.c $(pkg-config --cflags --libs libpq rdkafka libcurl libcjson yaml-0.1 libarchive zlib)' >/dev/null
docker cp "$tmp/abi.c" "$RUN-cc:/src/abi.c"
check "builder: compiles and links libpq, librdkafka, libcurl, cjson, libyaml, libarchive, zlib" \
	docker start -a "$RUN-cc"
docker cp "$RUN-cc:/src/abi" "$tmp/abi"
containers+=("$RUN-run")
docker run -d --name "$RUN-run" --label "$LABEL" "$COMPUTE_IMAGE" >/dev/null
docker cp "$tmp/abi" "$RUN-run:/opt/jobs/abi"
check "compute: no unresolved libraries (ldd)" bash -c "! docker exec $RUN-run ldd /opt/jobs/abi | grep -q 'not found'"
if out=$(docker exec "$RUN-run" abi 2>&1) && grep -q '^ABI OK$' <<<"$out"; then
	ok "compute: the builder's binary runs"; sed 's/^/     /' <<<"$out"
else
	no "compute: the builder's binary runs"; printf '%s\n' "$out"
fi

echo
echo "builder image: $pass passed, $fail failed"
((fail == 0))
