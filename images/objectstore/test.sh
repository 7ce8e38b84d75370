#!/usr/bin/env bash
# images/objectstore/test.sh — build the objectstore image (and the compute
# image, as the in-network client) under test tags, run them for real and
# check the image's promises; removes everything it made.
#
#   images/objectstore/test.sh
#   IMAGE=labctl/objectstore:dev COMPUTE_IMAGE=labctl/compute:dev test.sh
#                                      test existing images instead
#   BASE_IMAGE=some/base:tag test.sh   build FROM another base
#   EXTRA_CA_CERTS="$(cat ca.pem)"     CA(s) of a TLS-intercepting proxy, for
#                                      the Maven Central download; defaults
#                                      to the host's /usr/local/share/ca-certificates/*.crt
#
# Needs a Docker engine, the docker CLI and curl >= 7.75 (--aws-sigv4) on the host.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=labctl-test-s3-$$
LABEL=io.labctl.test=images
AK=labuser
SK=labsecret-$$-x
REGION=us-east-1
built=()
if [[ -z ${IMAGE:-} ]]; then IMAGE=labctl-test/objectstore:dev-$$; build_os=1; else build_os=; fi
if [[ -z ${COMPUTE_IMAGE:-} ]]; then COMPUTE_IMAGE=labctl-test/compute:dev-$$; build_compute=1; else build_compute=; fi
pass=0 fail=0
containers=() volumes=() networks=()
tmp=$(mktemp -d)

cleanup() {
	local rc=$?
	((${#containers[@]})) && docker rm -f -v "${containers[@]}" >/dev/null 2>&1 || true
	((${#volumes[@]})) && docker volume rm -f "${volumes[@]}" >/dev/null 2>&1 || true
	((${#networks[@]})) && docker network rm "${networks[@]}" >/dev/null 2>&1 || true
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

health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1"; }
wait_healthy() { # NAME TIMEOUT_S
	local c=$1 limit=$(($2 * 10)) i
	for ((i = 0; i < limit; i++)); do
		[[ $(health "$c") == healthy ]] && return 0
		[[ $(docker inspect -f '{{.State.Running}}' "$c") == true ]] || return 1
		sleep 0.1
	done
	return 1
}
wait_exit() { timeout "$2" docker wait "$1"; }
hostport() { docker port "$1" 9000/tcp | sed -n 's/^127\.0\.0\.1://p' | head -n1; }
run() { local name=$1; shift; containers+=("$name"); docker run -d --name "$name" --label "$LABEL" "$@" >/dev/null; }
volume() { volumes+=("$1"); docker volume create --label "$LABEL" "$1" >/dev/null; }

# S3 over curl's SigV4 signer. curl 7.88 (bookworm) neither sends
# x-amz-content-sha256, which S3 (and S3Proxy) require, nor encodes the query
# string canonically: pass the header, and write query values percent-encoded.
s3() { curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

build() { # TAG DIR
	local t0 args=(--label "$LABEL" -t "$1")
	# the objectstore is FROM labctl/jre:17 (images/jre); labctl up builds
	# it first by itself, docker build does not
	if [[ $2 == */objectstore ]] && ! docker image inspect labctl/jre:17 >/dev/null 2>&1; then
		docker build -t labctl/jre:17 "$HERE/../jre" >"$tmp/build-jre.log" 2>&1 ||
			{ tail -n 30 "$tmp/build-jre.log"; no "build labctl/jre:17"; exit 1; }
	fi
	[[ -n ${BASE_IMAGE:-} ]] && args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
	[[ -n ${EXTRA_CA_CERTS:-} ]] && args+=(--build-arg "EXTRA_CA_CERTS=$EXTRA_CA_CERTS")
	t0=$(date +%s%N)
	built+=("$1")
	if docker build "${args[@]}" "$2" >"$tmp/build.log" 2>&1; then
		ok "build $1 ($(($(ms_since "$t0") / 1000)) s, $(($(docker image inspect -f '{{.Size}}' "$1") / 1000000)) MB)"
	else
		tail -n 30 "$tmp/build.log"; no "build $1"; exit 1
	fi
}

if [[ -z ${EXTRA_CA_CERTS+set} ]]; then
	shopt -s nullglob
	cas=(/usr/local/share/ca-certificates/*.crt)
	shopt -u nullglob
	((${#cas[@]})) && EXTRA_CA_CERTS=$(cat "${cas[@]}")
fi
[[ -n $build_os ]] && build "$IMAGE" "$HERE"
[[ -n $build_compute ]] && build "$COMPUTE_IMAGE" "$HERE/../compute"

# --- configuration errors
run "$RUN-nokey" "$IMAGE"
check "no credentials: exits 1" test "$(wait_exit "$RUN-nokey" 30 || echo timeout)" = 1
check "no credentials: says which variables" bash -c \
	"docker logs $RUN-nokey 2>&1 | grep -q 'S3_ACCESS_KEY and S3_SECRET_KEY not set'"
run "$RUN-nosecret" -e S3_ACCESS_KEY=x "$IMAGE"
check "no S3_SECRET_KEY: exits 1 and says so" bash -c \
	"[[ \$(timeout 30 docker wait $RUN-nosecret) == 1 ]] && docker logs $RUN-nosecret 2>&1 | grep -q 'S3_SECRET_KEY not set'"

# --- a real store on a named volume
volume "$RUN-data"
docker network create --label "$LABEL" "$RUN-net" >/dev/null
networks+=("$RUN-net")
start() {
	run "$RUN-main" --network "$RUN-net" -e S3_ACCESS_KEY="$AK" -e S3_SECRET_KEY="$SK" \
		-p 127.0.0.1::9000 -v "$RUN-data:/data" "$IMAGE"
	local t0; t0=$(date +%s%N)
	if wait_healthy "$RUN-main" 90; then ok "$1: healthy after $(ms_since "$t0") ms"
	else no "$1: healthy"; docker logs "$RUN-main" 2>&1 | tail -n 20; exit 1; fi
	U=http://127.0.0.1:$(hostport "$RUN-main")
}
start "first start"
check "runs as uid 999 (s3proxy), not root" test "$(docker top "$RUN-main" -o pid,user | awk 'NR == 2 { print $2 }')" = 999
check "unauthenticated GET /healthz: 200" test "$(code "$U/healthz")" = 200
check "unauthenticated GET /: 403" test "$(code "$U/")" = 403

check "create bucket (PUT /labbucket): 200" test "$(s3 -o /dev/null -w '%{http_code}' -X PUT "$U/labbucket")" = 200
echo "hello from the host $$" >"$tmp/obj.txt"
check "PUT object: 200" test "$(s3 -o /dev/null -w '%{http_code}' -T "$tmp/obj.txt" "$U/labbucket/dir/hello.txt")" = 200
check "GET object: same bytes" cmp -s "$tmp/obj.txt" <(s3 -f "$U/labbucket/dir/hello.txt")
head -c 5000000 /dev/urandom >"$tmp/blob"
sum=$(sha256sum "$tmp/blob" | cut -d' ' -f1)
check "PUT 5 MB object with its real payload hash: 200" test "$(curl -s -o /dev/null -w '%{http_code}' \
	--aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H "x-amz-content-sha256: $sum" \
	-T "$tmp/blob" "$U/labbucket/blob.bin")" = 200
check "GET 5 MB object: same bytes" cmp -s "$tmp/blob" <(s3 -f "$U/labbucket/blob.bin")
check "PUT with a wrong payload hash: refused (400)" test "$(curl -s -o /dev/null -w '%{http_code}' \
	--aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" -H "x-amz-content-sha256: $(printf x | sha256sum | cut -d' ' -f1)" \
	-T "$tmp/obj.txt" "$U/labbucket/bad.txt")" = 400
s3 "$U/labbucket?list-type=2" >"$tmp/list.xml"
check "LIST (GET /labbucket?list-type=2) has both keys" \
	bash -c "grep -q '<Key>dir/hello.txt</Key>' $tmp/list.xml && grep -q '<Key>blob.bin</Key>' $tmp/list.xml"
keys=$(s3 "$U/labbucket?list-type=2&prefix=dir%2F" | grep -o '<Key>[^<]*</Key>' || true)
check "LIST with prefix=dir%2F: only dir/hello.txt" test "$keys" = '<Key>dir/hello.txt</Key>'
check "unsigned GET object: 403" test "$(code "$U/labbucket/dir/hello.txt")" = 403
check "unsigned LIST: 403" test "$(code "$U/labbucket?list-type=2")" = 403
check "unsigned PUT object: 403" test "$(code -T "$tmp/obj.txt" "$U/labbucket/anon.txt")" = 403
check "wrong secret: 403" test "$(code --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:wrong-secret" \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$U/labbucket/dir/hello.txt")" = 403
check "unknown access key: 403" test "$(code --aws-sigv4 "aws:amz:$REGION:s3" --user "nobody:$SK" \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$U/labbucket/dir/hello.txt")" = 403
d=$(date -u '+%a, %d %b %Y %H:%M:%S GMT')
sig=$(printf 'GET\n\n\n%s\n/labbucket/dir/hello.txt' "$d" | openssl dgst -sha1 -hmac "$SK" -binary | base64)
check "correctly signed AWS V2 request: 403 (V4 only)" test \
	"$(code -H "Date: $d" -H "Authorization: AWS $AK:$sig" "$U/labbucket/dir/hello.txt")" = 403
check "no anonymous PUT landed (404)" test "$(s3 -o /dev/null -w '%{http_code}' "$U/labbucket/anon.txt")" = 404

# --- from another container on the same network, by name
run "$RUN-client" --network "$RUN-net" "$COMPUTE_IMAGE"
cs3() { docker exec "$RUN-client" curl -sS --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$@"; }
check "compute container: GET http://$RUN-main:9000/labbucket/dir/hello.txt" \
	cmp -s "$tmp/obj.txt" <(cs3 -f "http://$RUN-main:9000/labbucket/dir/hello.txt")
docker exec "$RUN-client" sh -c 'echo from compute >/tmp/c.txt'
check "compute container: PUT an object" test \
	"$(cs3 -o /dev/null -w '%{http_code}' -T /tmp/c.txt "http://$RUN-main:9000/labbucket/from-compute.txt")" = 200
check "compute container: unsigned GET is 403" test \
	"$(docker exec "$RUN-client" curl -s -o /dev/null -w '%{http_code}' "http://$RUN-main:9000/labbucket/dir/hello.txt")" = 403

# --- shutdown and persistence
t0=$(date +%s%N)
docker stop "$RUN-main" >/dev/null
ms=$(ms_since "$t0")
ec=$(docker inspect -f '{{.State.ExitCode}}' "$RUN-main")
check "docker stop (SIGTERM) is quick (${ms} ms; JVM exit $ec = 128+SIGTERM)" \
	test "$ec" = 143 -a "$ms" -lt 5000
check "log shows Jetty stopping" bash -c "docker logs $RUN-main 2>&1 | grep -q 'Stopped .*ServerConnector'"
docker rm "$RUN-main" >/dev/null
start "recreated on the same volume"
check "after recreation: object still there" cmp -s "$tmp/obj.txt" <(s3 -f "$U/labbucket/dir/hello.txt")
check "after recreation: compute's object still there" test "$(s3 -f "$U/labbucket/from-compute.txt")" = "from compute"
check "after recreation: 5 MB object intact" cmp -s "$tmp/blob" <(s3 -f "$U/labbucket/blob.bin")

# --- secrets from files, and a root-owned bind mount
printf '%s\n' "$SK" >"$tmp/sk"; chmod 0644 "$tmp/sk"
mkdir "$tmp/bind"
run "$RUN-file" -e S3_ACCESS_KEY="$AK" -e S3_SECRET_KEY_FILE=/run/sk -v "$tmp/sk:/run/sk:ro" \
	-e S3_BUCKETS="lake, raw-zone" -v "$tmp/bind:/data" -p 127.0.0.1::9000 "$IMAGE"
if wait_healthy "$RUN-file" 90; then ok "S3_SECRET_KEY_FILE + bind mount: healthy"; else no "S3_SECRET_KEY_FILE + bind mount: healthy"; fi
U=http://127.0.0.1:$(hostport "$RUN-file")
check "S3_SECRET_KEY_FILE (trailing newline dropped): signed PUT bucket 200" \
	test "$(s3 -o /dev/null -w '%{http_code}' -X PUT "$U/filebucket")" = 200
check "bucket is a directory in the bind mount" test -d "$tmp/bind/filebucket"
check "S3_BUCKETS: bucket lake exists at start (signed HEAD 200)" test "$(s3 -o /dev/null -w '%{http_code}' -I "$U/lake")" = 200
check "S3_BUCKETS: bucket raw-zone exists at start (signed HEAD 200)" test "$(s3 -o /dev/null -w '%{http_code}' -I "$U/raw-zone")" = 200
run "$RUN-badbucket" -e S3_ACCESS_KEY="$AK" -e S3_SECRET_KEY="$SK" -e S3_BUCKETS="Bad_Name" "$IMAGE"
check "S3_BUCKETS with an invalid name: exits 1 and names it" bash -c \
	"[[ \$(timeout 30 docker wait $RUN-badbucket) == 1 ]] && docker logs $RUN-badbucket 2>&1 | grep -q \"'Bad_Name' is not a bucket name\""
docker rm -f "$RUN-file" >/dev/null
rm -rf "$tmp/bind"   # owned by uid 999 now; we are root

echo
echo "objectstore image: $pass passed, $fail failed"
((fail == 0))
