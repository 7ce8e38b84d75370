#!/usr/bin/env bash
# scripts/setup.sh — make this machine ready to build, test and run labctl:
#   1. build and test packages (Debian/Ubuntu, as root: installed with apt)
#   2. a Docker engine that answers (DOCKER_HOST, else /var/run/docker.sock;
#      on a machine with none, as root: install docker.io and start dockerd)
#   3. the base image debian:bookworm-slim (pulled, or built from Debian's
#      archive by images/base/build.sh when no registry is reachable)
#   4. Docker Compose v2 for the conformance test, built once from the Go
#      module proxy into build/compose-v5/docker-compose (needs go >= 1.21,
#      which fetches the Go release compose asks for)
#   5. as root on Debian: a second engine, Podman's Docker-compatible service
#      on unix:///run/podman/podman.sock (Debian's podman; the integration
#      tests run the module0 lifecycle against it), with the base image
#      copied into its store
#   6. labctl/swarm-node:1 (images/swarm-node: debian:bookworm-slim with
#      Debian's docker.io), the Docker-in-Docker node of the three-node Swarm
#      test (tests/integration/test_swarm.c), built once
# Idempotent; silent when there is nothing to do; one line per action taken.
# Changes nothing where an engine already answers and the packages are there.
#
# Environment:
#   DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH   as for the docker CLI
#   LABCTL_DOCKERD_LOG   dockerd's log when setup starts it
#                        (default /var/log/labctl-dockerd.log)
#   LABCTL_SETUP_LOG     where install/pull/build output goes
#                        (default /var/log/labctl-setup.log as root, else $TMPDIR)
#   LABCTL_SKIP_DOCKER=1 only the packages (for build-only machines)
#   LABCTL_SKIP_COMPOSE_V2=1  do not build Docker Compose v2
#   LABCTL_SKIP_PODMAN=1 no Podman (step 5)
#   LABCTL_SKIP_SWARM_NODE=1  do not build labctl/swarm-node:1 (step 6)
#   LABCTL_PODMAN_LOG    the Podman service's log when setup starts it
#                        (default /var/log/labctl-podman.log)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE=debian:bookworm-slim
SOCK=/var/run/docker.sock
DOCKERD_LOG=${LABCTL_DOCKERD_LOG:-/var/log/labctl-dockerd.log}
IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1
if [[ -n ${LABCTL_SETUP_LOG:-} ]]; then LOG=$LABCTL_SETUP_LOG
elif ((IS_ROOT)); then LOG=/var/log/labctl-setup.log
else LOG=${TMPDIR:-/tmp}/labctl-setup-$(id -u).log
fi

PACKAGES=(build-essential pkg-config libcurl4-openssl-dev libyaml-dev libcjson-dev
	libpq-dev libarchive-dev libssl-dev libcriterion-dev librdkafka-dev
	postgresql-client debootstrap debian-archive-keyring ca-certificates curl
	socat openssl kcat jq python3 python3-botocore docker-compose time clang libclang-rt-14-dev)
# (socat and openssl: the integration tests front the engine with TCP/TLS;
# kcat: Kafka clients on the host; jq: module6's README pipes CDC events through it; python3: JSON and JUnit XML parsed in tests;
# python3-botocore: the AWS CLI v1's signer, for the README's `aws s3 presign` (V2 unless s3v4 is set);
# docker-compose: the tests check `labctl export compose` with Debian's 1.29;
# time: GNU time, peak RSS in bench/; clang and libclang-rt-14-dev: `make
# fuzz`'s libFuzzer harnesses (bookworm's clang 14 finds -fsanitize=fuzzer's
# libclang_rt.fuzzer in libclang-rt-14-dev, which clang only recommends).)
# What the Makefile asks pkg-config for, plus Criterion for the tests.
PC_MODULES=(libcurl yaml-0.1 libcjson libpq libarchive libcrypto rdkafka criterion)

say() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# log_header TEXT: start a section of $LOG (made on first use only).
log_header() {
	[[ -d $(dirname "$LOG") ]] || mkdir -p "$(dirname "$LOG")"
	printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"
}

# run_logged WHAT CMD...: output to $LOG; on failure its tail and exit.
run_logged() {
	local what=$1; shift
	log_header "$*"
	if ! "$@" >>"$LOG" 2>&1 </dev/null 9>&-; then
		printf 'setup: error: %s failed; last lines of %s:\n' "$what" "$LOG" >&2
		tail -n 25 "$LOG" >&2
		exit 1
	fi
}

# --- 1. packages -------------------------------------------------------------
have_apt() { command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; }

missing_debs() { # prints the packages of "$@" that are not installed
	local p
	for p; do
		[[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || echo "$p"
	done
}

APT_UPDATED=0
apt_install() { # PKG...: update once (third-party sources may fail), install
	export DEBIAN_FRONTEND=noninteractive
	if ((!APT_UPDATED)); then
		say "apt-get update"
		log_header "apt-get update"
		if ! apt-get update -o DPkg::Lock::Timeout=120 >>"$LOG" 2>&1 </dev/null 9>&-; then
			warn "apt-get update reported errors (an unreachable extra source?); going on with what it got"
		fi
		APT_UPDATED=1
	fi
	say "installing $*"
	run_logged "apt-get install" apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=120 "$@"
}

setup_packages() {
	local -a missing=() pcmiss=() cmds=()
	local m c
	if have_apt; then
		mapfile -t missing < <(missing_debs "${PACKAGES[@]}")
		((${#missing[@]} == 0)) && return 0
		if ((IS_ROOT)); then
			apt_install "${missing[@]}"
			return 0
		fi
		warn "missing packages: ${missing[*]}"
		warn "install them with: sudo apt-get install --no-install-recommends ${missing[*]}"
	fi
	# Not root, or not Debian: can the build go on anyway?
	for c in cc make pkg-config curl; do
		command -v "$c" >/dev/null 2>&1 || cmds+=("$c")
	done
	if command -v pkg-config >/dev/null 2>&1; then
		for m in "${PC_MODULES[@]}"; do
			pkg-config --exists "$m" || pcmiss+=("$m")
		done
	fi
	if ((${#cmds[@]} + ${#pcmiss[@]})); then
		have_apt || warn "needed: a C11 compiler, make, pkg-config, curl, psql, and the development files of libcurl, libyaml, cJSON, libpq, libarchive, OpenSSL, Criterion and librdkafka (e.g. Homebrew: brew install pkg-config curl libyaml cjson libpq libarchive openssl criterion librdkafka)"
		((${#cmds[@]})) && warn "missing commands: ${cmds[*]}"
		((${#pcmiss[@]})) && warn "missing pkg-config modules: ${pcmiss[*]}"
		die "cannot build labctl until these are installed"
	fi
	return 0
}

# --- 2. Docker engine ----------------------------------------------------------
ping_unix() { # SOCKET [MAX_SECONDS]
	curl -sf --max-time "${2:-5}" --unix-socket "$1" http://localhost/_ping >/dev/null 2>&1
}

# engine_get PATH: GET from the engine labctl will use ($DOCKER_HOST, else
# $SOCK); 0 on a 2xx answer. Output discarded.
engine_get() {
	local path=$1 host=${DOCKER_HOST:-unix://$SOCK} rest certs
	case $host in
	unix://* | tcp://*) ;;
	*) die "DOCKER_HOST='$host': labctl speaks to unix:// and tcp:// engines only" ;;
	esac
	case $host in
	unix://*)
		curl -sf --max-time 10 --unix-socket "${host#unix://}" "http://localhost$path" ;;
	tcp://*)
		rest=${host#tcp://}
		rest=${rest%/}
		if [[ -n ${DOCKER_TLS_VERIFY:-} ]]; then
			certs=${DOCKER_CERT_PATH:-$HOME/.docker}
			curl -sf --max-time 10 --cacert "$certs/ca.pem" --cert "$certs/cert.pem" \
				--key "$certs/key.pem" "https://$rest$path"
		else
			curl -sf --max-time 10 "http://$rest$path"
		fi
		;;
	esac >/dev/null 2>&1
}

# live_pidfile FILE NAME: 0 if FILE names a running (not zombie) process
# called NAME. Otherwise removes FILE (saying so) when it exists; 1.
live_pidfile() {
	local file=$1 name=$2 pid stat
	[[ -f $file ]] || return 1
	pid=$(cat "$file" 2>/dev/null || true)
	if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]] &&
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) && [[ ${stat##*) } != Z* ]]; then
		return 0
	fi
	say "removing stale $file"
	rm -f "$file"
	return 1
}

# 0 if a dockerd runs already. Clears stale pid files, dockerd's and that of
# the containerd it supervises: a dockerd that died hard (or a pid reused
# after a reboot) leaves them, and the next dockerd then refuses to start or
# waits for a containerd that is not there.
# Start the daemon "$@" in its own session (it survives this script, and
# Ctrl-C on `make` does not reach it) holding no descriptor but 0-2, which
# the caller redirects: any other it inherited would live on in it, and a
# lock held on one never be released: setup's own (fd 9), or the one of
# `flock /tmp/labctl-integration.lock make test` (flock(1) leaves the lock's
# descriptor to its command): a dockerd started under it held the
# integration lock for as long as it ran. Sets DAEMON_PID.
start_daemon() {
	local fd
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
		done
		exec setsid "$@"
	) &
	DAEMON_PID=$!
	disown "$DAEMON_PID" 2>/dev/null || true
}

dockerd_running() {
	live_pidfile /var/run/docker.pid dockerd && return 0
	live_pidfile /var/run/docker/containerd/containerd.pid containerd || true
	return 1
}

wait_for_engine() { # PID-or-empty [HINT]: poll /_ping for up to 60 s
	local pid=$1 hint=${2:-} deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		ping_unix "$SOCK" 1 && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			# Lost a race with a dockerd someone else started? Wait for that one.
			if [[ -f /var/run/docker.pid && $(cat /var/run/docker.pid 2>/dev/null) != "$pid" ]] &&
				live_pidfile /var/run/docker.pid dockerd; then
				pid=
				continue
			fi
			printf 'setup: error: dockerd exited; last lines of %s:\n' "$DOCKERD_LOG" >&2
			tail -n 30 "$DOCKERD_LOG" >&2 || true
			exit 1
		fi
		sleep 0.2
	done
	if [[ -n $hint ]]; then
		die "the Docker engine did not answer on $SOCK within 60 s; $hint"
	fi
	printf 'setup: error: the Docker engine did not answer on %s within 60 s; last lines of %s:\n' \
		"$SOCK" "$DOCKERD_LOG" >&2
	tail -n 30 "$DOCKERD_LOG" >&2 || true
	exit 1
}

# Without systemd nothing may have mounted the cgroup hierarchies dockerd
# needs (cgroupfs-mount's job, which docker.io only recommends).
ensure_cgroups() {
	local ss
	[[ -e /sys/fs/cgroup/cgroup.controllers ]] && return 0
	mountpoint -q /sys/fs/cgroup/devices 2>/dev/null && return 0
	say "mounting the cgroup hierarchies"
	mountpoint -q /sys/fs/cgroup || mount -t tmpfs -o uid=0,gid=0,mode=0755 cgroup /sys/fs/cgroup
	while read -r ss; do
		mkdir -p "/sys/fs/cgroup/$ss"
		mountpoint -q "/sys/fs/cgroup/$ss" || mount -n -t cgroup -o "$ss" cgroup "/sys/fs/cgroup/$ss" 2>/dev/null || true
	done < <(awk '!/^#/ { if ($4 == 1) print $1 }' /proc/cgroups)
}

setup_engine() {
	local pid
	if [[ -n ${DOCKER_HOST:-} ]]; then
		engine_get /_ping && return 0
		die "DOCKER_HOST='$DOCKER_HOST' does not answer GET /_ping; start that engine, or unset DOCKER_HOST to use $SOCK (setup starts no local daemon for a DOCKER_HOST)"
	fi
	ping_unix "$SOCK" && return 0

	if ((!IS_ROOT)); then
		if [[ -S $SOCK && ! -w $SOCK ]]; then
			die "no permission on $SOCK: add yourself to the 'docker' group (sudo usermod -aG docker \$USER, then log in again), or set DOCKER_HOST"
		fi
		die "no Docker engine answers on $SOCK: start it (sudo systemctl start docker, or Docker Desktop), or set DOCKER_HOST; run setup as root to have it install and start one"
	fi
	if ! command -v dockerd >/dev/null 2>&1; then
		have_apt || die "no Docker engine answers on $SOCK and dockerd is not installed: install Docker Engine, or set DOCKER_HOST"
		apt_install docker.io
		# The package may have started one through its init script.
		ping_unix "$SOCK" && { say "Docker engine is up"; return 0; }
	fi
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
		say "starting docker.service"
		run_logged "systemctl start docker" systemctl start docker
		wait_for_engine "" "see: journalctl -u docker"
		return 0
	fi
	if dockerd_running; then
		say "waiting for the running dockerd (pid $(cat /var/run/docker.pid)) to answer"
		wait_for_engine "" "a dockerd runs (pid $(cat /var/run/docker.pid 2>/dev/null)) but does not answer: see its log, or stop it and run setup again"
		return 0
	fi
	ensure_cgroups
	mkdir -p "$(dirname "$DOCKERD_LOG")"
	say "starting dockerd (log: $DOCKERD_LOG)"
	printf '\n=== %s: labctl setup starts dockerd\n' "$(date -u +%FT%TZ)" >>"$DOCKERD_LOG"
	start_daemon dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null
	pid=$DAEMON_PID
	wait_for_engine "$pid"
	say "Docker engine is up"
}

# --- 3. base image -------------------------------------------------------------
setup_base_image() {
	engine_get "/images/$BASE_IMAGE/json" && return 0
	command -v docker >/dev/null 2>&1 ||
		die "$BASE_IMAGE is missing and the docker CLI, needed to make it, is not installed (Debian: apt-get install docker.io)"
	say "pulling $BASE_IMAGE"
	log_header "docker pull $BASE_IMAGE"
	if timeout 60 docker pull "$BASE_IMAGE" >>"$LOG" 2>&1 </dev/null 9>&-; then
		return 0
	fi
	say "pull failed (no registry?); building $BASE_IMAGE from Debian's archive"
	BASE_TAG=$BASE_IMAGE "$REPO/images/base/build.sh" </dev/null 9>&- ||
		die "could not build $BASE_IMAGE (images/base/build.sh failed)"
}

# --- 4. Docker Compose v2 ---------------------------------------------------------
# v5.6.0 is the newest release whose dependencies the Go module proxy serves:
# v5.7.0 and v5.7.1 need github.com/docker/secrets-engine/client v0.2.2 and
# .../x v0.8.5, for which proxy.golang.org answers 403 "This module version
# is not available". Its go.mod asks for go 1.26.8 (GOTOOLCHAIN=auto fetches
# it). On a 2-core machine the build takes about 3 minutes, once.
COMPOSE_V2_VERSION=v5.6.0
COMPOSE_V2_BIN=$REPO/build/compose-v5/docker-compose
setup_compose_v2() {
	[[ ${LABCTL_SKIP_COMPOSE_V2:-} == 1 ]] && return 0
	if [[ -x $COMPOSE_V2_BIN ]] && "$COMPOSE_V2_BIN" version 2>/dev/null | grep -q "$COMPOSE_V2_VERSION"; then
		return 0
	fi
	local go
	go=$(command -v go || echo /usr/local/go/bin/go)
	if [[ ! -x $go ]] || ! "$go" version | grep -Eq 'go1\.(2[1-9]|[3-9][0-9])'; then
		warn "no Go 1.21 or later: Docker Compose v2 not built, the conformance test will say so"
		return 0
	fi
	say "building Docker Compose $COMPOSE_V2_VERSION from the Go module proxy (once)"
	local dir src start=$SECONDS
	log_header "go mod download github.com/docker/compose/v5@$COMPOSE_V2_VERSION"
	dir=$(GOTOOLCHAIN=auto "$go" mod download -json "github.com/docker/compose/v5@$COMPOSE_V2_VERSION" 2>>"$LOG" |
		sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[[ -n $dir ]] || die "could not download github.com/docker/compose/v5@$COMPOSE_V2_VERSION (see $LOG)"
	src=$(mktemp -d)
	cp -r "$dir/." "$src" && chmod -R u+w "$src"
	mkdir -p "$(dirname "$COMPOSE_V2_BIN")"
	# its go.mod has exclude directives: built as the main module, not by `go install`
	run_logged "go build docker compose" env -C "$src" GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false \
		"$go" build -p 2 -trimpath \
		-ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_V2_VERSION" \
		-o "$COMPOSE_V2_BIN" ./cmd
	rm -rf "$src"
	say "Docker Compose $COMPOSE_V2_VERSION built in $((SECONDS - start)) s"
}

# --- 5. Podman (a second engine) ---------------------------------------------------
PODMAN_SOCK=/run/podman/podman.sock
PODMAN_LOG=${LABCTL_PODMAN_LOG:-/var/log/labctl-podman.log}

# Podman gives each container RLIMIT_NOFILE and RLIMIT_NPROC of 1048576
# unless containers.conf says otherwise; without CAP_SYS_RESOURCE (Podman in
# a container) runc cannot raise them and every start fails with "error
# setting rlimit type 7: operation not permitted". The service itself runs
# with RLIMIT_NPROC 32768. Written only when there is no containers.conf.
podman_ulimits() {
	local conf=/etc/containers/containers.conf capeff nproc
	[[ -e $conf ]] && return 0
	capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	(((16#$capeff >> 24) & 1)) && return 0 # CAP_SYS_RESOURCE
	nproc=$(ulimit -Hu)
	[[ $nproc == unlimited || $nproc -gt 32768 ]] && nproc=32768
	say "writing $conf (container ulimits this machine allows: nofile $(ulimit -Hn), nproc $nproc)"
	mkdir -p /etc/containers
	printf '# labctl scripts/setup.sh: ulimits runc may set here (no CAP_SYS_RESOURCE)\n[containers]\ndefault_ulimits = [\n  "nofile=%s:%s",\n  "nproc=%s:%s",\n]\n' \
		"$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >"$conf"
}

setup_podman() {
	local pid deadline
	((IS_ROOT)) && have_apt || return 0
	[[ ${LABCTL_SKIP_PODMAN:-} == 1 ]] && return 0
	command -v podman >/dev/null 2>&1 || apt_install podman
	# bookworm's podman 4.3 runs CNI networks; without the dnsname plugin
	# (not among podman's recommends) containers on a lab network cannot
	# resolve each other's service names ("could not translate host name")
	[[ -e /usr/lib/cni/dnsname ]] || apt_install golang-github-containernetworking-plugin-dnsname
	podman_ulimits
	if ! ping_unix "$PODMAN_SOCK" 2; then
		mkdir -p "$(dirname "$PODMAN_SOCK")" "$(dirname "$PODMAN_LOG")"
		say "starting the Podman service on $PODMAN_SOCK (log: $PODMAN_LOG)"
		printf '\n=== %s: labctl setup starts podman system service\n' "$(date -u +%FT%TZ)" >>"$PODMAN_LOG"
		start_daemon podman system service --time=0 "unix://$PODMAN_SOCK" >>"$PODMAN_LOG" 2>&1 </dev/null
		pid=$DAEMON_PID
		deadline=$((SECONDS + 30))
		until ping_unix "$PODMAN_SOCK" 1; do
			kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)) && { sleep 0.2; continue; }
			warn "the Podman service did not answer on $PODMAN_SOCK; its podman tests are skipped (see $PODMAN_LOG)"
			return 0
		done
	fi
	# No registry here: the base image comes from the Docker engine's store.
	if ! podman image exists "$BASE_IMAGE" 2>/dev/null; then
		say "copying $BASE_IMAGE into Podman's store"
		log_header "docker save $BASE_IMAGE | podman load"
		docker save "$BASE_IMAGE" 2>>"$LOG" | podman load >>"$LOG" 2>&1 ||
			warn "could not copy $BASE_IMAGE into Podman's store (see $LOG)"
	fi
}

# --- 6. the Swarm test's node image ---------------------------------------------
SWARM_NODE_IMAGE=labctl/swarm-node:1
setup_swarm_node() {
	[[ ${LABCTL_SKIP_SWARM_NODE:-} == 1 ]] && return 0
	engine_get "/images/$SWARM_NODE_IMAGE/json" && return 0
	command -v docker >/dev/null 2>&1 || { warn "no docker CLI: $SWARM_NODE_IMAGE not built"; return 0; }
	say "building $SWARM_NODE_IMAGE (images/swarm-node: Debian's docker.io)"
	log_header "docker build -t $SWARM_NODE_IMAGE images/swarm-node"
	docker build -t "$SWARM_NODE_IMAGE" "$REPO/images/swarm-node" >>"$LOG" 2>&1 </dev/null 9>&- ||
		warn "could not build $SWARM_NODE_IMAGE (see $LOG); the three-node Swarm test will fail"
}

# --- main ----------------------------------------------------------------------
# One setup at a time (two `make test` at once, say): only root installs
# packages or starts daemons. The lock lives on /run's tmpfs.
if ((IS_ROOT)) && command -v flock >/dev/null 2>&1 && [[ -d /run/lock ]]; then
	lock=/run/lock/labctl-setup.lock
	exec 9>>"$lock"
	flock -w 1800 9 || die "another setup still holds $lock after 30 minutes"
fi

setup_packages
[[ ${LABCTL_SKIP_DOCKER:-} == 1 ]] && exit 0
command -v curl >/dev/null 2>&1 || die "curl is needed to talk to the Docker engine"
setup_engine
setup_base_image
setup_compose_v2
setup_swarm_node
setup_podman
