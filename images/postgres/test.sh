#!/usr/bin/env bash
# images/postgres/test.sh — build the postgres image under a test tag, run it
# for real and check the entrypoint's promises; removes everything it made.
#
#   images/postgres/test.sh
#   BASE_IMAGE=some/base:tag images/postgres/test.sh   build FROM another base
#   IMAGE=labctl/postgres:15 images/postgres/test.sh   test an existing image
#
# Needs a Docker engine, the docker CLI and psql/pg_isready on the host.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN=labctl-test-pg-$$
LABEL=io.labctl.test=images
BUILT=
if [[ -z ${IMAGE:-} ]]; then
	IMAGE=labctl-test/postgres:dev-$$
	BUILT=$IMAGE
fi
pass=0 fail=0
containers=() volumes=()
tmp=$(mktemp -d)

cleanup() {
	local rc=$?
	((${#containers[@]})) && docker rm -f -v "${containers[@]}" >/dev/null 2>&1
	((${#volumes[@]})) && docker volume rm -f "${volumes[@]}" >/dev/null 2>&1
	[[ -n $BUILT ]] && docker rmi "$BUILT" >/dev/null 2>&1
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); printf 'ok   %s\n' "$*"; }
no() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else no "$what"; fi; }

health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1"; }
wait_healthy() { # NAME TIMEOUT_S -> 0 when healthy; prints the seconds taken
	local c=$1 limit=$(($2 * 10)) i s
	for ((i = 0; i < limit; i++)); do
		s=$(health "$c")
		[[ $s == healthy ]] && { echo "$((i / 10)).$((i % 10))"; return 0; }
		[[ $(docker inspect -f '{{.State.Running}}' "$c") == true ]] || return 1
		sleep 0.1
	done
	return 1
}
wait_exit() { # NAME TIMEOUT_S -> exit code
	docker inspect -f '{{.State.Running}}' "$1" >/dev/null
	timeout "$2" docker wait "$1"
}
hostport() { docker port "$1" 5432/tcp | sed -n 's/^127\.0\.0\.1://p' | head -n1; }
run() { # NAME ARGS... : detached container with the test label
	local name=$1; shift
	containers+=("$name")
	docker run -d --name "$name" --label "$LABEL" "$@" >/dev/null
}
volume() { volumes+=("$1"); docker volume create --label "$LABEL" "$1" >/dev/null; }

if [[ -n $BUILT ]]; then
	start=$SECONDS
	docker build -q --label "$LABEL" ${BASE_IMAGE:+--build-arg BASE_IMAGE="$BASE_IMAGE"} \
		-t "$IMAGE" "$HERE" >/dev/null
	echo "built $IMAGE in $((SECONDS - start)) s"
fi

# --- first start: password, user, database, init scripts ------------------
mkdir -p "$tmp/init"
cat >"$tmp/init/00-slow.sh" <<'EOF'
# sourced (not executable): runs while only the unix socket is open
sleep 4
EOF
cat >"$tmp/init/10-schema.sql" <<'EOF'
CREATE TABLE flights (id int PRIMARY KEY, origin text NOT NULL);
INSERT INTO flights VALUES (1, 'AMS'), (2, 'LHR');
EOF
cat >"$tmp/init/20-grant.sh" <<'EOF'
#!/bin/bash
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-c "CREATE TABLE from_script (who text); INSERT INTO from_script VALUES (current_user)"
EOF
chmod 0755 "$tmp" "$tmp/init" "$tmp/init/20-grant.sh"
chmod 0644 "$tmp/init/00-slow.sh" "$tmp/init/10-schema.sql"

pw='s3cret pass;word'
volume "$RUN-data"
t0=$(date +%s.%N)
run "$RUN-main" -e POSTGRES_PASSWORD="$pw" -e POSTGRES_USER=lab -e POSTGRES_DB=labdb \
	-v "$tmp/init:/docker-entrypoint-initdb.d:ro" -v "$RUN-data:/var/lib/postgresql/data" \
	-p 127.0.0.1::5432 "$IMAGE"
port=$(hostport "$RUN-main")
check "port published on 127.0.0.1 ($port)" test -n "$port"

# While init runs, nothing answers on TCP and the container is not healthy.
for _ in $(seq 1 100); do
	docker logs "$RUN-main" 2>&1 | grep -q 'sourcing.*00-slow.sh' && break
	sleep 0.1
done
check "no TCP connection during init" bash -c "! pg_isready -q -h 127.0.0.1 -p $port -t 1"
# the official docs' healthcheck (pg_isready on the default socket) is red too
check "the default socket does not answer during init" bash -c "! docker exec $RUN-main pg_isready -q -t 1"
check "health is 'starting' during init" test "$(health "$RUN-main")" = starting

if secs=$(wait_healthy "$RUN-main" 90); then
	ok "healthy ${secs}s after the health wait began (init includes a 4 s sleep)"
else
	no "container became healthy"; docker logs "$RUN-main" 2>&1 | tail -n 30
fi
echo "first start to healthy: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

q() { PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 psql -X -At -h 127.0.0.1 -p "$port" -U lab -d labdb -c "$1" 2>&1; }
check "psql over 127.0.0.1:$port with the password" test "$(q 'select 1')" = 1
check "init SQL ran (flights has 2 rows)" test "$(q 'select count(*) from flights')" = 2
check "executable init .sh ran as 'lab'" test "$(q 'select who from from_script')" = lab
check "wrong password is refused" bash -c \
	"! PGPASSWORD=wrong psql -X -h 127.0.0.1 -p $port -U lab -d labdb -c 'select 1' >/dev/null 2>&1"
check "auth is scram-sha-256" test "$(q "select count(*) from pg_hba_file_rules where auth_method <> 'scram-sha-256' and type = 'host'")" = 0
check "password stored as SCRAM" bash -c "[[ \$(PGPASSWORD='$pw' psql -X -At -h 127.0.0.1 -p $port -U lab -d labdb -c \"select left(rolpassword, 13) from pg_authid where rolname = 'lab'\") == SCRAM-SHA-256 ]]"
check "server is PostgreSQL 15" bash -c "[[ \$(PGPASSWORD='$pw' psql -X -At -h 127.0.0.1 -p $port -U lab -d labdb -c 'show server_version') == 15.* ]]"
check "postgres is PID 1 in the container" test "$(docker exec "$RUN-main" cat /proc/1/comm)" = postgres
check "docker exec psql works over the local socket" \
	test "$(docker exec -u postgres "$RUN-main" psql -X -At -U lab -d labdb -c 'select count(*) from flights')" = 2

# --- restart keeps data, init does not run again --------------------------
q "insert into flights values (3, 'CDG')" >/dev/null
t0=$SECONDS
docker restart "$RUN-main" >/dev/null
echo "docker restart (SIGINT fast shutdown + start) took $((SECONDS - t0)) s"
port=$(hostport "$RUN-main")
if secs=$(wait_healthy "$RUN-main" 60); then ok "healthy again ${secs}s after restart"; else no "healthy after restart"; fi
check "data kept across restart (3 rows)" test "$(q 'select count(*) from flights')" = 3
check "init ran once" test "$(docker logs "$RUN-main" 2>&1 | grep -c 'init done')" = 1

# --- stop signals ---------------------------------------------------------
t0=$(date +%s%N)
docker stop "$RUN-main" >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
check "docker stop (SIGINT) is quick (${ms} ms) and clean (exit 0)" \
	test "$(docker inspect -f '{{.State.ExitCode}}' "$RUN-main")" = 0 -a "$ms" -lt 8000
check "log shows a fast shutdown" bash -c "docker logs $RUN-main 2>&1 | grep -q 'fast shutdown request'"
docker start "$RUN-main" >/dev/null
wait_healthy "$RUN-main" 60 >/dev/null || true
docker kill -s TERM "$RUN-main" >/dev/null
code=$(wait_exit "$RUN-main" 20 || echo timeout)
check "SIGTERM: smart shutdown, exit 0" test "$code" = 0
check "log shows a smart shutdown" bash -c "docker logs $RUN-main 2>&1 | grep -q 'smart shutdown request'"

# --- refusals --------------------------------------------------------------
run "$RUN-nopw" "$IMAGE"
code=$(wait_exit "$RUN-nopw" 30 || echo timeout)
check "no POSTGRES_PASSWORD: exits 1" test "$code" = 1
check "no POSTGRES_PASSWORD: says so" bash -c "docker logs $RUN-nopw 2>&1 | grep -q 'POSTGRES_PASSWORD is not set'"

mkdir -p "$tmp/bad"
echo 'CREATE TABLE broken (;' >"$tmp/bad/10-bad.sql"
chmod 0755 "$tmp/bad"; chmod 0644 "$tmp/bad/10-bad.sql"
volume "$RUN-bad"
run "$RUN-bad" -e POSTGRES_PASSWORD=x -v "$tmp/bad:/docker-entrypoint-initdb.d:ro" \
	-v "$RUN-bad:/var/lib/postgresql/data" "$IMAGE"
code=$(wait_exit "$RUN-bad" 60 || echo timeout)
check "failing init script: container exits non-zero ($code)" bash -c "[[ $code != 0 && $code != timeout ]]"
docker start "$RUN-bad" >/dev/null
code=$(wait_exit "$RUN-bad" 30 || echo timeout)
check "half-initialised volume: refuses to start ($code)" bash -c "[[ $code == 1 ]] && docker logs $RUN-bad 2>&1 | grep -q 'did not finish'"

# --- defaults: user postgres, *_FILE secrets --------------------------------
echo 'from a file' >"$tmp/pwfile"; chmod 0644 "$tmp/pwfile"
run "$RUN-file" -e POSTGRES_PASSWORD_FILE=/run/pw -v "$tmp/pwfile:/run/pw:ro" \
	-e POSTGRES_INITDB_ARGS='--data-checksums --wal-segsize=32' -p 127.0.0.1::5432 "$IMAGE"
port=$(hostport "$RUN-file")
if wait_healthy "$RUN-file" 60 >/dev/null; then ok "defaults: healthy"; else no "defaults: healthy"; fi
check "POSTGRES_PASSWORD_FILE and default user/db 'postgres'" test \
	"$(PGPASSWORD='from a file' psql -X -At -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'select current_user' 2>&1)" = postgres

check "POSTGRES_INITDB_ARGS passed to initdb (checksums, 32MB WAL segments)" test \
	"$(PGPASSWORD='from a file' psql -X -At -h 127.0.0.1 -p "$port" -U postgres -c 'show data_checksums' -c 'show wal_segment_size' 2>&1 | tr '\n' ' ')" = "on 32MB "

echo
echo "postgres image: $pass passed, $fail failed"
((fail == 0))
