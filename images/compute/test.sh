#!/usr/bin/env bash
# images/compute/test.sh — build the compute image under a test tag and check
# it: runtime libraries and lab tools present, no compilers, no healthcheck,
# idles and stops at once. The builder→compute ABI check is in
# images/builder/test.sh. Removes everything it made.
#
#   images/compute/test.sh
#   IMAGE=labctl/compute:dev images/compute/test.sh   test an existing image
#   BASE_IMAGE=some/base:tag images/compute/test.sh   build FROM another base
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=labctl-test-compute-$$
LABEL=io.labctl.test=images
BUILT=
if [[ -z ${IMAGE:-} ]]; then IMAGE=labctl-test/compute:dev-$$; BUILT=$IMAGE; fi
pass=0 fail=0
containers=()
cleanup() {
	local rc=$?
	((${#containers[@]})) && docker rm -f -v "${containers[@]}" >/dev/null 2>&1 || true
	[[ -n $BUILT ]] && docker rmi "$BUILT" >/dev/null 2>&1 || true
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
no() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

if [[ -n $BUILT ]]; then
	args=(--label "$LABEL" -t "$IMAGE")
	[[ -n ${BASE_IMAGE:-} ]] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
	t0=$(date +%s%N)
	docker build "${args[@]}" "$HERE" >/dev/null 2>&1 || { no "build"; docker build "${args[@]}" "$HERE" | tail -n 30; exit 1; }
	ok "build $IMAGE ($(($(ms_since "$t0") / 1000)) s, $(($(docker image inspect -f '{{.Size}}' "$IMAGE") / 1000000)) MB)"
fi

check "image has no HEALTHCHECK" test "$(docker image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE")" = null
containers+=("$RUN")
docker run -d --name "$RUN" --label "$LABEL" "$IMAGE" >/dev/null
sleep 1
check "default CMD keeps running" test "$(docker inspect -f '{{.State.Running}}' "$RUN")" = true
x() { docker exec "$RUN" "$@"; }
for lib in libpq.so.5 librdkafka.so.1 libcurl.so.4 libcjson.so.1 libyaml-0.so.2 libarchive.so.13 libz.so.1; do
	check "runtime library $lib" bash -c "docker exec $RUN ldconfig -p | grep -q '$lib '"
done
for tool in curl ps kcat psql jq; do
	check "tool $tool" x sh -c "command -v $tool >/dev/null"
done
check "kcat runs ($(x kcat -V 2>/dev/null | grep -o 'librdkafka [0-9.]*'))" x sh -c 'kcat -V >/dev/null'
check "psql runs ($(x psql --version))" x sh -c 'psql --version >/dev/null'
check "ps runs" x sh -c 'ps -e >/dev/null'
check "\$LANG is C.UTF-8" test "$(x sh -c 'echo $LANG')" = C.UTF-8
check "jq runs" test "$(x sh -c 'echo "{\"a\":1}" | jq .a')" = 1
check "CA certificates present" x test -s /etc/ssl/certs/ca-certificates.crt
check "no compiler (cc, gcc, make)" x sh -c '! command -v cc && ! command -v gcc && ! command -v make'
check "/opt/jobs is on PATH" x sh -c 'case ":$PATH:" in *:/opt/jobs:*) true ;; *) false ;; esac'
t0=$(date +%s%N)
docker stop "$RUN" >/dev/null
ms=$(ms_since "$t0")
check "docker stop: exit 0 in ${ms} ms" test "$(docker inspect -f '{{.State.ExitCode}}' "$RUN")" = 0 -a "$ms" -lt 2000

echo
echo "compute image: $pass passed, $fail failed"
((fail == 0))
