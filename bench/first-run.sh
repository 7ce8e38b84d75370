#!/usr/bin/env bash
# bench/first-run.sh — images from nothing: how long `labctl up` takes to
# build every image module3 needs (compute, postgres, kafka, objectstore,
# their shared base labctl/jre:17, and the job builder), with builds 1 at a
# time and 2 at a time (LABCTL_BUILD_JOBS); then the spark and jupyter
# images the same way.
#
# "From nothing" means an engine with only debian:bookworm-slim (what
# scripts/setup.sh makes) and no build cache. So that other people's labs
# and images on this machine are not touched, the script runs a private
# dockerd (its own data root, socket and bridge, under $BENCH_DIR) for each
# measurement, started empty; the downloads (Debian archive, Maven Central,
# PyPI) are real each time. The lab it brings up is a list of the images
# with deploy.replicas 0: nothing runs, no port is published.
#
#   bench/first-run.sh                  module3 images, jobs 1 and 2, then spark+jupyter (jobs 2)
#   REPS=2 SETS=module3 bench/first-run.sh
#
# Needs root (dockerd, ip, iptables). Prints a Markdown table; logs under
# $BENCH_DIR (default /var/tmp/labctl-bench-first-run).
set -euo pipefail
reps=${REPS:-1} # lib.sh's default is 5: too many for minutes-long builds
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPS=$reps
SETS=${SETS:-module3 spark}
BENCH_DIR=${BENCH_DIR:-/var/tmp/labctl-bench-first-run}
BRIDGE=lcbench0
SUBNET=10.213.7
SOCK=$BENCH_DIR/docker.sock
[[ $(id -u) == 0 ]] || die "needs root (a private dockerd)"
[[ -x $LABCTL ]] || make -C "$BENCH_ROOT" build/labctl >/dev/null
mkdir -p "$BENCH_DIR"

daemon_pid=
stop_daemon() {
	if [[ -n $daemon_pid ]]; then
		kill "$daemon_pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
		daemon_pid=
	fi
	# the data root holds overlay mounts of the daemon just stopped
	umount -R "$BENCH_DIR/root" 2>/dev/null || true
	rm -rf "$BENCH_DIR/root" "$BENCH_DIR/exec"
}
cleanup() {
	stop_daemon
	iptables -t nat -D POSTROUTING -s $SUBNET.0/24 ! -o $BRIDGE -j MASQUERADE 2>/dev/null || true
	iptables -D FORWARD -i $BRIDGE -j ACCEPT 2>/dev/null || true
	iptables -D FORWARD -o $BRIDGE -j ACCEPT 2>/dev/null || true
	ip link del $BRIDGE 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the private engine's bridge, NATed by hand (its dockerd runs with
# --iptables=false so that it leaves the host's docker chains alone)
ip link show $BRIDGE >/dev/null 2>&1 || {
	ip link add $BRIDGE type bridge
	ip addr add $SUBNET.1/24 dev $BRIDGE
	ip link set $BRIDGE up
}
iptables -t nat -C POSTROUTING -s $SUBNET.0/24 ! -o $BRIDGE -j MASQUERADE 2>/dev/null ||
	iptables -t nat -A POSTROUTING -s $SUBNET.0/24 ! -o $BRIDGE -j MASQUERADE
iptables -C FORWARD -i $BRIDGE -j ACCEPT 2>/dev/null || iptables -I FORWARD -i $BRIDGE -j ACCEPT
iptables -C FORWARD -o $BRIDGE -j ACCEPT 2>/dev/null || iptables -I FORWARD -o $BRIDGE -j ACCEPT

base_tar=$BENCH_DIR/debian-bookworm-slim.tar
docker save debian:bookworm-slim -o "$base_tar" || die "no debian:bookworm-slim on the main engine (scripts/setup.sh makes it)"

start_daemon() {
	stop_daemon
	mkdir -p "$BENCH_DIR/root" "$BENCH_DIR/exec"
	dockerd --data-root "$BENCH_DIR/root" --exec-root "$BENCH_DIR/exec" -H "unix://$SOCK" \
		--pidfile "$BENCH_DIR/dockerd.pid" --bridge $BRIDGE --iptables=false --ip-masq=false \
		>"$BENCH_DIR/dockerd.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 1 100); do DOCKER_HOST=unix://$SOCK docker version >/dev/null 2>&1 && break; sleep 0.2; done
	DOCKER_HOST=unix://$SOCK docker load -q -i "$base_tar" >/dev/null
}

# lab file: every image of set $1 as a service with replicas 0
images_of() {
	case $1 in
	module3) echo "jre compute postgres kafka objectstore builder" ;;
	spark) echo "jre spark jupyter" ;;
	esac
}
tag_of() {
	sed -n 's/^ *image: *"\{0,1\}\(labctl\/'"$1"':[^" ]*\)"\{0,1\}.*/\1/p' "$BENCH_ROOT"/labs/common/*.yml | head -1
}
write_lab() {
	local dir=$1 set=$2 img tag
	mkdir -p "$dir"
	{
		echo "lab: { name: bench-first-$set }"
		echo "services:"
		for img in $(images_of "$set"); do
			case $img in
			jre) tag=labctl/jre:17 ;;
			builder) tag=labctl/builder:1 ;;
			spark | jupyter) tag=labctl/$img:4.2.0 ;;
			*) tag=$(tag_of "$img") ;;
			esac
			echo "  $img: { build: $BENCH_ROOT/images/$img, image: \"$tag\", deploy: { replicas: 0 } }"
		done
	} >"$dir/lab.yml"
}

rows=()
measure() {
	local set=$1 jobs=$2 rep=$3 log t0 t1 built
	log=$BENCH_DIR/$set-jobs$jobs-$rep.log
	write_lab "$BENCH_DIR/lab-$set" "$set"
	start_daemon
	local load0
	load0=$(loadavg)
	log "$set: build from nothing, $jobs at a time (rep $rep)"
	t0=$(now)
	DOCKER_HOST=unix://$SOCK LABCTL_BUILD_JOBS=$jobs LABCTL_STATE_DIR=$BENCH_DIR/state \
		"$LABCTL" up -f "$BENCH_DIR/lab-$set/lab.yml" >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "up failed: $log"; }
	t1=$(now)
	built=$(grep -o '[0-9]* images built in [0-9.]*s' "$log" || true)
	local sizes
	sizes=$(DOCKER_HOST=unix://$SOCK docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^labctl/' | sort | tr '\n' ';' | sed 's/;$//; s/;/, /g')
	rows+=("| $set | $jobs | $(elapsed "$t0" "$t1") | ${built:-?} | $load0 / $(loadavg) | $sizes |")
	log "$set jobs=$jobs: $(elapsed "$t0" "$t1") s ($built)"
}

for set in $SETS; do
	jobs_list="2"
	[[ $set == module3 ]] && jobs_list="1 2"
	for rep in $(seq 1 "$REPS"); do
		for jobs in $jobs_list; do
			measure "$set" "$jobs" "$rep"
		done
	done
done
stop_daemon

{
	machine_summary
	echo
	echo "| images | at a time | up, s | labctl says | load before / after (1, 5, 15 min) | sizes |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$BENCH_DIR/result.md"
