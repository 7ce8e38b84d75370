#!/usr/bin/env bash
# Compose benchmark: labctl against Docker Compose v5 (the main anchor: the
# v5.6.0 that scripts/setup.sh builds into build/compose-v5/) and, as a second
# column when installed, Debian's docker-compose 1.29, on the same Docker
# Engine, same run, the tools alternating. See bench/README.md.
#
#   bench/compose.sh                         # all sections, REPS=5
#   REPS=2 bench/compose.sh noop status      # only some sections
#
# Sections (arguments; default all):
#   up        warm up of module0 until every service is ready (images and named
#             volumes present, containers absent)
#   noop      `up` again on the running lab
#   status    `labctl status` vs `docker compose ps` (STATUS_CALLS calls per run)
#   replicas  one compute service with 1, 8, 32 replicas, from nothing to all running
#             (labctl and Compose v5 only)
#
# Projects: labctl -p benchlc / benchrl, Compose v5 -p benchdc / benchrc,
# docker-compose 1.29 -p benchd1; no other lab is touched. The module0 sides
# publish the same host ports (free ones picked at start), so only one side
# is up at a time.
#
# Environment: REPS (5), LABCTL (build/labctl), COMPOSE (Docker Compose v5:
# build/compose-v5/docker-compose), COMPOSE1 (docker-compose 1.x, the second
# column; default docker-compose when installed, COMPOSE1= leaves it out),
# REPLICAS ("1 8 32"), STATUS_CALLS (20), POLL_TIMEOUT (300 s),
# LAB_PG_PORT / LAB_KAFKA_PORT / LAB_S3_PORT (free ports by default),
# COMPOSE_DIR (a directory with docker-compose.yml and .env to use instead of
# `labctl export compose -p benchdc module0`), KEEP=1 keeps the named volumes
# at the end.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac

LAB=module0
LC=benchlc DC=benchdc D1=benchd1 RL=benchrl RC=benchrc
REPO=$(cd "$(dirname "$0")/.." && pwd)
COMPOSE=${COMPOSE:-$REPO/build/compose-v5/docker-compose}
if [ -z "${COMPOSE1+x}" ]; then COMPOSE1=$(command -v docker-compose || true); fi
REPLICAS=${REPLICAS:-1 8 32}
STATUS_CALLS=${STATUS_CALLS:-20}
POLL_TIMEOUT=${POLL_TIMEOUT:-300}
ALL_SECTIONS="up noop status replicas"
SECTIONS=${*:-$ALL_SECTIONS}
for s in $SECTIONS; do
	case " $ALL_SECTIONS " in *" $s "*) ;; *) echo "unknown section '$s' (sections: $ALL_SECTIONS)" >&2; exit 2 ;; esac
done
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
MODULE=0
if want up || want noop || want status; then MODULE=1; fi
case $STATUS_CALLS in '' | *[!0-9]* | 0) echo "STATUS_CALLS must be a positive integer" >&2; exit 2 ;; esac
for n in $REPLICAS; do
	case $n in '' | *[!0-9]* | 0) echo "REPLICAS must be positive integers" >&2; exit 2 ;; esac
done

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-compose.XXXXXX")
bench_labctl
command -v "$COMPOSE" >/dev/null || die "$COMPOSE not found (scripts/setup.sh builds Docker Compose v5; COMPOSE=PATH)"
if [ -n "$COMPOSE1" ] && ! command -v "$COMPOSE1" >/dev/null; then die "COMPOSE1=$COMPOSE1 not found"; fi
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found"
command -v python3 >/dev/null || die "python3 not found"

DCDIR=$LOGDIR/compose DCF=$LOGDIR/compose/docker-compose.yml
RLDIR=$LOGDIR/replicas RCF=$LOGDIR/replicas/docker-compose.yml
POLLER_PID=

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$POLLER_PID" ]; then kill "$POLLER_PID" 2>/dev/null || true; fi
	local vol=--volumes
	if [ "${KEEP:-0}" = 1 ]; then vol=; fi
	log "cleaning up${vol:+ (volumes too)}"
	if [ $MODULE = 1 ]; then
		"$LABCTL" down -p $LC $LAB $vol >>"$LOGDIR/cleanup.log" 2>&1 || log "labctl down -p $LC failed, see $LOGDIR/cleanup.log"
		if [ -f "$DCF" ]; then
			"$COMPOSE" -p $DC -f "$DCF" down $vol >>"$LOGDIR/cleanup.log" 2>&1 || log "$COMPOSE -p $DC down failed, see $LOGDIR/cleanup.log"
			if [ -n "$COMPOSE1" ]; then
				"$COMPOSE1" -p $D1 -f "$DCF" down $vol >>"$LOGDIR/cleanup.log" 2>&1 || log "$COMPOSE1 -p $D1 down failed, see $LOGDIR/cleanup.log"
			fi
		fi
	fi
	if want replicas && [ -f "$RLDIR/lab.yml" ]; then
		"$LABCTL" down -f "$RLDIR/lab.yml" -p $RL >>"$LOGDIR/cleanup.log" 2>&1 || log "labctl down -p $RL failed, see $LOGDIR/cleanup.log"
		"$COMPOSE" -p $RC -f "$RCF" down >>"$LOGDIR/cleanup.log" 2>&1 || log "$COMPOSE -p $RC down failed, see $LOGDIR/cleanup.log"
	fi
	[ "${KEEP:-0}" != 1 ] || log "KEEP=1: named volumes of '$LC' and '$DC' kept"
	log "logs in $LOGDIR"
	exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------
# Readiness poller: one python3 process for the whole run (so a poll costs a
# request over the engine socket, not a process start). It reads requests
#   LABEL SERVICE_LABEL SVC=N,SVC=N ONESHOTS|- health|run
# on stdin and polls GET /containers/json?all=1 (filtered by LABEL) every
# 100 ms until every wanted service has N containers that are all ready:
# a one-shot exited 0; any other running and, in health mode, "(healthy)"
# when it has a healthcheck. It answers "ready|failed|timeout EPOCH POLLS
# DETAIL", EPOCH being the wall clock (date +%s.%N's) of the deciding poll.
cat >"$LOGDIR/poll.py" <<'EOF'
import http.client, json, os, socket, sys, time, urllib.parse

class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.unix_path = path
    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s

HOST = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"

def connection():
    if HOST.startswith("unix://"):
        return UnixHTTP(HOST[len("unix://"):])
    if HOST.startswith("tcp://") and not os.environ.get("DOCKER_TLS_VERIFY"):
        h, _, p = HOST[len("tcp://"):].rstrip("/").rpartition(":")
        return http.client.HTTPConnection(h, int(p), timeout=10)
    sys.exit("poll.py: unsupported DOCKER_HOST " + HOST)

def containers(label):
    q = urllib.parse.quote(json.dumps({"label": [label]}))
    c = connection()
    try:
        c.request("GET", "/v1.41/containers/json?all=1&filters=" + q)
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    if r.status != 200:
        raise RuntimeError("engine answered %d" % r.status)
    return json.loads(body)

def check(conts, svc_label, want, oneshots, mode):
    by = {}
    for c in conts:
        by.setdefault((c.get("Labels") or {}).get(svc_label, "?"), []).append(c)
    waiting = []
    for svc, n in want.items():
        cs = by.get(svc, [])
        if len(cs) < n:
            waiting.append("%s %d/%d" % (svc, len(cs), n))
            continue
        for c in cs:
            state, status = c.get("State", ""), c.get("Status", "")
            name = c["Names"][0].lstrip("/")
            if svc in oneshots:
                if state == "exited" and status.startswith("Exited (0)"):
                    continue
                if state in ("exited", "dead"):
                    return "failed", "%s: %s" % (name, status)
                waiting.append("%s %s" % (name, state))
            elif state in ("exited", "dead"):
                return "failed", "%s: %s" % (name, status)
            elif state != "running":
                waiting.append("%s %s" % (name, state))
            elif mode == "health" and "(health" in status and "(healthy)" not in status:
                if "(unhealthy)" in status:
                    return "failed", "%s: %s" % (name, status)
                waiting.append("%s %s" % (name, status))
    return ("wait" if waiting else "ready"), ("; ".join(waiting) or "-")

timeout = float(sys.argv[1])
for line in sys.stdin:
    label, svc_label, want_s, one_s, mode = line.split()
    want = {k: int(v) for k, v in (x.split("=") for x in want_s.split(","))}
    oneshots = set() if one_s == "-" else set(one_s.split(","))
    t_end = time.time() + timeout
    polls = 0
    while True:
        t = time.time()
        polls += 1
        try:
            state, detail = check(containers(label), svc_label, want, oneshots, mode)
        except Exception as e:
            state, detail = "wait", "error: %s" % e
        now = time.time()
        print("%.3f %s poll %d (%.1f ms): %s %s" % (now, label, polls, (now - t) * 1000, state, detail),
              file=sys.stderr, flush=True)
        if state == "wait" and now > t_end:
            state = "timeout"
        if state != "wait":
            print("%s %.6f %d %s" % (state, now, polls, detail.replace(" ", "_")), flush=True)
            break
        time.sleep(max(0.0, t + 0.1 - time.time()))
EOF
# Small parsers (python3's standard library).
#   compose-config FILE  (`compose config --format json` output) -> "SVC=N,... ONESHOTS HOSTPORTS"
#   labctl-up FILE       (labctl up --json output)      -> "SLOWEST_OWN NO_START_FIELD SVC=N,... ONESHOTS"
cat >"$LOGDIR/helper.py" <<'EOF'
import json, sys

def compose_config(path):
    svcs = (json.load(open(path)) or {}).get("services") or {}
    want, oneshots, ports = [], set(), set()
    for name, d in svcs.items():
        d = d or {}
        n = d.get("scale") or (d.get("deploy") or {}).get("replicas")
        want.append("%s=%d" % (name, 1 if n is None else int(n)))
        deps = d.get("depends_on") or {}
        if isinstance(deps, dict):
            for target, cond in deps.items():
                if (cond or {}).get("condition") == "service_completed_successfully":
                    oneshots.add(target)
        for p in d.get("ports") or []:
            ports.add(str(p["published"]) if isinstance(p, dict) else str(p).split(":")[-2])
    print(",".join(want), ",".join(sorted(oneshots)) or "-", ",".join(sorted(ports)) or "-")

def labctl_up(path):
    svcs = json.load(open(path))["services"]
    # a service's own time to ready: seconds_to_ready - seconds_to_start
    own = [s["seconds_to_ready"] - s.get("seconds_to_start", 0) for s in svcs]
    nostart = int(any("seconds_to_start" not in s for s in svcs))
    want = ",".join("%s=%d" % (s["service"], s["replicas"]) for s in svcs)
    oneshots = ",".join(s["service"] for s in svcs if s.get("state") == "completed") or "-"
    print("%.2f %d %s %s" % (max(own), nostart, want, oneshots))

{"compose-config": compose_config, "labctl-up": labctl_up}[sys.argv[1]](sys.argv[2])
EOF
coproc POLLER { exec python3 "$LOGDIR/poll.py" "$POLL_TIMEOUT" 2>>"$LOGDIR/poll.log"; }

# poll_ready LABEL SERVICE_LABEL WANT ONESHOTS MODE: sets T_READY (epoch) and
# POLLS; dies unless every wanted container got ready.
poll_ready() {
	local reply state detail
	printf '%s %s %s %s %s\n' "$1" "$2" "$3" "${4:--}" "$5" >&"${POLLER[1]}"
	read -r -u "${POLLER[0]}" reply || die "the readiness poller died (see $LOGDIR/poll.log)"
	read -r state T_READY POLLS detail <<<"$reply"
	[ "$state" = ready ] || die "$1: $state: ${detail//_/ } (see $LOGDIR/poll.log)"
}

# timed OUT CMD...: runs CMD under GNU time, stdout to OUT.out, stderr to
# OUT.err; sets T0, T1 (epoch around it), RSS_MIB (peak RSS of the process)
# and CPU_S (its user + system CPU time; the engine's is not included). Dies
# when CMD fails.
timed() {
	local out=$1
	shift
	T0=$(now)
	if ! /usr/bin/time -f '%M %U %S' -o "$out.rss" "$@" >"$out.out" 2>"$out.err"; then
		tail -n 20 "$out.err" >&2
		die "failed: $* (see $out.err)"
	fi
	T1=$(now)
	local kb user sys
	read -r kb user sys < <(tail -n 1 "$out.rss")
	RSS_MIB=$(kib_to_mib "$kb")
	CPU_S=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}

# record ARRAY VALUE, unless this is the warm-up
record() {
	[ "$TAG" != warmup ] || return 0
	local -n arr=$1
	arr+=("$2")
}

# quiet OUT CMD...: untimed step, output appended to OUT
quiet() {
	local out=$1
	shift
	"$@" >>"$out" 2>&1 || { tail -n 20 "$out" >&2; die "failed: $* (see $out)"; }
}

# containers_left LABEL: how many containers carry LABEL
containers_left() { docker ps -aq --filter "label=$1" | wc -l; }

# ---------------------------------------------------------------------------
# module0 on both sides

if [ $MODULE = 1 ]; then
	# the same host ports for both sides, none of them the defaults another
	# module0 may be using
	export LAB_PG_PORT=${LAB_PG_PORT:-$(free_port)}
	export LAB_KAFKA_PORT=${LAB_KAFKA_PORT:-$(free_port)}
	export LAB_S3_PORT=${LAB_S3_PORT:-$(free_port)}
	if [ "$LAB_PG_PORT" = "$LAB_KAFKA_PORT" ] || [ "$LAB_PG_PORT" = "$LAB_S3_PORT" ] ||
		[ "$LAB_KAFKA_PORT" = "$LAB_S3_PORT" ]; then
		die "host ports not distinct: $LAB_PG_PORT $LAB_KAFKA_PORT $LAB_S3_PORT"
	fi

	if [ -n "${COMPOSE_DIR:-}" ]; then
		[ -f "$COMPOSE_DIR/docker-compose.yml" ] || die "no docker-compose.yml in COMPOSE_DIR=$COMPOSE_DIR"
		mkdir -p "$DCDIR"
		cp "$COMPOSE_DIR/docker-compose.yml" "$DCF"
		if [ -f "$COMPOSE_DIR/.env" ]; then cp "$COMPOSE_DIR/.env" "$DCDIR/.env"; fi
		DC_SOURCE="$COMPOSE_DIR/docker-compose.yml (COMPOSE_DIR)"
	else
		# -p: the .env gets credentials of its own project, not module0's
		log "labctl export compose -p $DC $LAB -o $DCDIR"
		"$LABCTL" export compose -p $DC $LAB -o "$DCDIR" >"$LOGDIR/export.log" 2>&1 ||
			{ cat "$LOGDIR/export.log" >&2; die "labctl export compose failed (COMPOSE_DIR=DIR uses another file)"; }
		DC_SOURCE="labctl export compose -p $DC $LAB -o DIR"
	fi
	[ -f "$DCF" ] || die "no $DCF"
	# what the file asks for, as docker-compose reads it: the services, the
	# one-shots (targets of service_completed_successfully) and the host ports
	"$COMPOSE" -p $DC -f "$DCF" config --format json >"$LOGDIR/compose-config.json" 2>"$LOGDIR/compose-config.err" ||
		{ cat "$LOGDIR/compose-config.err" >&2; die "$COMPOSE config failed"; }
	read -r DC_WANT DC_ONESHOTS DC_PORTS < <(python3 "$LOGDIR/helper.py" compose-config "$LOGDIR/compose-config.json")
	[ -n "${DC_WANT:-}" ] || die "cannot read the services of $DCF"
	OUR_PORTS=$(printf '%s\n' "$LAB_PG_PORT" "$LAB_KAFKA_PORT" "$LAB_S3_PORT" | sort | paste -sd,)
	if [ "$DC_PORTS" != "$OUR_PORTS" ]; then
		log "warning: $DCF publishes host ports $DC_PORTS, labctl uses $OUR_PORTS"
		PORT_NOTE="compose file publishes $DC_PORTS, labctl $OUR_PORTS (not the same!)"
	else
		PORT_NOTE="$LAB_PG_PORT (PostgreSQL), $LAB_KAFKA_PORT (Kafka), $LAB_S3_PORT (S3), the same for both"
	fi
	log "compose services: $DC_WANT; one-shots: $DC_ONESHOTS; host ports: $DC_PORTS"

	# start from nothing of ours: the warm-up creates the named volumes
	log "removing leftovers of '$LC' and '$DC' (volumes included)"
	quiet "$LOGDIR/cleanup-start.log" "$LABCTL" down -p $LC $LAB --volumes
	quiet "$LOGDIR/cleanup-start.log" "$COMPOSE" -p $DC -f "$DCF" down --volumes
	if [ -n "$COMPOSE1" ]; then quiet "$LOGDIR/cleanup-start.log" "$COMPOSE1" -p $D1 -f "$DCF" down --volumes; fi
fi

UP_LC=() UP_DC=() UPRSS_LC=() UPRSS_DC=() UPCPU_LC=() UPCPU_DC=() OWN_LC=() OVER_LC=() UPD_DC=() POLLS_DC=()
NOOP_LC=() NOOP_DC=() NOOPRSS_LC=() NOOPRSS_DC=() NOOPCPU_LC=() NOOPCPU_DC=()
ST_LC=() ST_DC=() STRSS_LC=() STRSS_DC=()
UP_D1=() UPRSS_D1=() UPCPU_D1=() UPD_D1=() POLLS_D1=() NOOP_D1=() NOOPRSS_D1=() NOOPCPU_D1=() ST_D1=() STRSS_D1=()
NO_START_FIELD=0

# bring side $1 up (timed when section up is selected), run the other selected
# sections on it, take it down (named volumes kept)
module_lc() {
	local p=$LOGDIR/lc-$TAG
	timed "$p-up" "$LABCTL" up -p $LC $LAB --json
	local s own nostart lc_want lc_oneshots
	s=$(elapsed "$T0" "$T1")
	# overhead = wall - the slowest service's own time to ready
	read -r own nostart lc_want lc_oneshots < <(python3 "$LOGDIR/helper.py" labctl-up "$p-up.out")
	[ "$nostart" = 0 ] || NO_START_FIELD=1
	# labctl said ready: check that every container runs (one-shots exited 0)
	poll_ready "io.labctl.lab=$LC" io.labctl.service "$lc_want" "$lc_oneshots" run
	[ "$POLLS" = 1 ] || log "warning: $LC: containers not all running when labctl up returned ($POLLS polls)"
	if want up; then
		record UP_LC "$s"; record UPRSS_LC "$RSS_MIB"; record UPCPU_LC "$CPU_S"; record OWN_LC "$own"
		record OVER_LC "$(awk -v a="$s" -v b="$own" 'BEGIN { printf "%.2f", a - b }')"
		log "$TAG: labctl up $s s (slowest own $own s), peak RSS $RSS_MIB MiB"
	fi
	if want noop; then
		timed "$p-noop" "$LABCTL" up -p $LC $LAB
		record NOOP_LC "$(elapsed_ms "$T0" "$T1")"; record NOOPRSS_LC "$RSS_MIB"; record NOOPCPU_LC "$CPU_S"
		log "$TAG: labctl no-op up $(elapsed_ms "$T0" "$T1") ms, peak RSS $RSS_MIB MiB"
	fi
	if want status; then
		local i t0 t1 ms
		t0=$(now)
		for ((i = 0; i < STATUS_CALLS; i++)); do
			"$LABCTL" status -p $LC $LAB >>"$p-status.out" 2>&1 || die "labctl status failed (see $p-status.out)"
		done
		t1=$(now)
		ms=$(divide "$(elapsed_ms "$t0" "$t1")" "$STATUS_CALLS" 1)
		timed "$p-status-rss" "$LABCTL" status -p $LC $LAB
		record ST_LC "$ms"; record STRSS_LC "$RSS_MIB"
		log "$TAG: labctl status $ms ms per call, peak RSS $RSS_MIB MiB"
	fi
	quiet "$p-down.log" "$LABCTL" down -p $LC $LAB
	[ "$(containers_left "io.labctl.lab=$LC")" = 0 ] || die "containers of '$LC' left after down"
}

# module_dc [SIDE]: the same with a compose tool. SIDE DC (default): Compose
# v5 ($COMPOSE, project benchdc); D1: docker-compose 1.x ($COMPOSE1, benchd1).
# Values go to the arrays NAME_SIDE (UP_DC, UP_D1, ...).
module_dc() {
	local side=${1:-DC} tool proj name
	if [ "$side" = D1 ]; then tool=$COMPOSE1 proj=$D1 name="docker-compose 1.x"; else tool=$COMPOSE proj=$DC name="compose v5"; fi
	local p=$LOGDIR/${side,,}-$TAG
	timed "$p-up" "$tool" -p "$proj" -f "$DCF" up -d
	local upd
	upd=$(elapsed "$T0" "$T1")
	poll_ready "com.docker.compose.project=$proj" com.docker.compose.service "$DC_WANT" "$DC_ONESHOTS" health
	if want up; then
		local s
		s=$(elapsed "$T0" "$T_READY")
		record "UP_$side" "$s"; record "UPRSS_$side" "$RSS_MIB"; record "UPCPU_$side" "$CPU_S"; record "UPD_$side" "$upd"; record "POLLS_$side" "$POLLS"
		log "$TAG: $name up -d $upd s, all ready $s s ($POLLS polls), peak RSS $RSS_MIB MiB"
	fi
	if want noop; then
		timed "$p-noop" "$tool" -p "$proj" -f "$DCF" up -d
		record "NOOP_$side" "$(elapsed_ms "$T0" "$T1")"; record "NOOPRSS_$side" "$RSS_MIB"; record "NOOPCPU_$side" "$CPU_S"
		log "$TAG: $name no-op up -d $(elapsed_ms "$T0" "$T1") ms, peak RSS $RSS_MIB MiB"
		# compose 1.x starts stopped containers again (the exited one-shot):
		# wait until the lab is ready again before measuring status
		poll_ready "com.docker.compose.project=$proj" com.docker.compose.service "$DC_WANT" "$DC_ONESHOTS" health
	fi
	if want status; then
		local i t0 t1 ms
		t0=$(now)
		for ((i = 0; i < STATUS_CALLS; i++)); do
			"$tool" -p "$proj" -f "$DCF" ps >>"$p-status.out" 2>&1 || die "$name ps failed (see $p-status.out)"
		done
		t1=$(now)
		ms=$(divide "$(elapsed_ms "$t0" "$t1")" "$STATUS_CALLS" 1)
		timed "$p-status-rss" "$tool" -p "$proj" -f "$DCF" ps
		record "ST_$side" "$ms"; record "STRSS_$side" "$RSS_MIB"
		log "$TAG: $name ps $ms ms per call, peak RSS $RSS_MIB MiB"
	fi
	# rm -v first: `down` without -v keeps the anonymous volumes of images'
	# VOLUMEs (init's /var/lib/postgresql/data), one more per run
	quiet "$p-down.log" "$tool" -p "$proj" -f "$DCF" rm --stop --force -v
	quiet "$p-down.log" "$tool" -p "$proj" -f "$DCF" down
	[ "$(containers_left "com.docker.compose.project=$proj")" = 0 ] || die "containers of '$proj' left after down"
}

LOAD_BEFORE=$(loadavg)
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if [ $MODULE = 1 ]; then
	TAG=warmup
	log "warm-up (unmeasured): labctl up, creates the named volumes of '$LC'"
	module_lc
	log "warm-up (unmeasured): compose v5 up -d, creates the named volumes of '$DC'"
	module_dc DC
	if [ -n "$COMPOSE1" ]; then
		log "warm-up (unmeasured): docker-compose 1.x up -d, creates the named volumes of '$D1'"
		module_dc D1
	fi
	for i in $(seq 1 "$REPS"); do
		TAG=$i
		# the order rotates, so no tool always runs right after another
		if [ $((i % 2)) = 1 ]; then module_lc; module_dc DC; else module_dc DC; module_lc; fi
		if [ -n "$COMPOSE1" ]; then module_dc D1; fi
	done
fi

# ---------------------------------------------------------------------------
# replicas: one compute service, N replicas, from nothing to all running

declare -A RUP_LC RUP_DC RRSS_LC RRSS_DC RCPU_LC RCPU_DC   # N -> "v1 v2 ..."

replicas_lc() { # N
	local f=$RLDIR/$1/lab.yml
	timed "$LOGDIR/rl-$1-$TAG-up" "$LABCTL" up -f "$f" -p $RL
	local s
	s=$(elapsed "$T0" "$T1")
	poll_ready "io.labctl.lab=$RL" io.labctl.service "compute=$1" - run
	[ "$POLLS" = 1 ] || log "warning: $RL: not all $1 replicas running when labctl up returned ($POLLS polls)"
	if [ "$TAG" != warmup ]; then
		RUP_LC[$1]+="${RUP_LC[$1]:+ }$s"; RRSS_LC[$1]+="${RRSS_LC[$1]:+ }$RSS_MIB"; RCPU_LC[$1]+="${RCPU_LC[$1]:+ }$CPU_S"
	fi
	log "$TAG: labctl up, $1 replicas: $s s, peak RSS $RSS_MIB MiB"
	quiet "$LOGDIR/rl-$1-$TAG-down.log" "$LABCTL" down -f "$f" -p $RL
	[ "$(containers_left "io.labctl.lab=$RL")" = 0 ] || die "containers of '$RL' left after down"
}

replicas_dc() { # N
	timed "$LOGDIR/rc-$1-$TAG-up" "$COMPOSE" -p $RC -f "$RCF" up -d --scale "compute=$1"
	poll_ready "com.docker.compose.project=$RC" com.docker.compose.service "compute=$1" - health
	local s
	s=$(elapsed "$T0" "$T_READY")
	if [ "$TAG" != warmup ]; then
		RUP_DC[$1]+="${RUP_DC[$1]:+ }$s"; RRSS_DC[$1]+="${RRSS_DC[$1]:+ }$RSS_MIB"; RCPU_DC[$1]+="${RCPU_DC[$1]:+ }$CPU_S"
	fi
	log "$TAG: docker-compose up -d --scale compute=$1: all running $s s ($POLLS polls), peak RSS $RSS_MIB MiB"
	quiet "$LOGDIR/rc-$1-$TAG-down.log" "$COMPOSE" -p $RC -f "$RCF" down
	[ "$(containers_left "com.docker.compose.project=$RC")" = 0 ] || die "containers of '$RC' left after down"
}

if want replicas; then
	mkdir -p "$RLDIR"
	for n in $REPLICAS; do
		mkdir -p "$RLDIR/$n"
		printf 'services:\n  compute:\n    image: labctl/compute:1\n    deploy: { replicas: %d }\n' "$n" >"$RLDIR/$n/lab.yml"
	done
	cp "$RLDIR/$n/lab.yml" "$RLDIR/lab.yml"   # for the cleanup
	printf 'services:\n  compute:\n    image: labctl/compute:1\n' >"$RCF"
	quiet "$LOGDIR/cleanup-start.log" "$LABCTL" down -f "$RLDIR/lab.yml" -p $RL
	quiet "$LOGDIR/cleanup-start.log" "$COMPOSE" -p $RC -f "$RCF" down
	first=${REPLICAS%% *}
	TAG=warmup
	log "warm-up (unmeasured): $first replica(s) each side"
	replicas_lc "$first"
	replicas_dc "$first"
	for n in $REPLICAS; do
		for i in $(seq 1 "$REPS"); do
			TAG=$i
			if [ $((i % 2)) = 1 ]; then replicas_lc "$n"; replicas_dc "$n"; else replicas_dc "$n"; replicas_lc "$n"; fi
		done
	done
fi
LOAD_AFTER=$(loadavg)

# ---------------------------------------------------------------------------
# result

# "median (min-max, spread)"
summary() {
	local st med min max
	st=$(stats "$1")
	read -r med min max <<<"$st"
	printf '**%s** (%s-%s, %s)' "$med" "$min" "$max" "$(spread "$1")"
}
# row LABEL "labctl values" "compose v5 values" [TARGET_RATIO] ["compose 1.x values"]
row() {
	local r target= d1=- r1=-
	r=$(ratio "$(median "$2")" "$(median "$3")")
	[ -z "${4:-}" ] || target="≤ $4: $(meets "$r" "$4")"
	if [ -n "${5:-}" ]; then d1=$(summary "$5") r1=$(ratio "$(median "$2")" "$(median "$5")"); fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(summary "$2")" "$3" "$(summary "$3")" "$r" "$target" "$d1" "$r1"
}
# one-sided row: LABEL "labctl values" [NOTE]
row_lc() {
	printf '| %s | %s | %s | - | - | - | %s | - | - |\n' "$1" "$2" "$(summary "$2")" "${3:-}"
}
paired() { local pr; pr=$(paired_ratios "$1" "$2"); echo "$pr (median $(median "$pr"))"; }

{
	echo "compose benchmark: labctl vs Docker Compose v5${COMPOSE1:+ (and docker-compose 1.x)}, $REPS repetitions, sections: $SECTIONS, started $START"
	echo
	machine_summary
	echo "Docker Compose (main anchor): $("$COMPOSE" version 2>/dev/null | head -1)"
	if [ -n "$COMPOSE1" ]; then echo "second column: $("$COMPOSE1" version 2>/dev/null | head -1)"; fi
	echo "Docker Engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')"
	if [ $MODULE = 1 ]; then
		echo "compose file: $DC_SOURCE; host ports: $PORT_NOTE"
	fi
	echo "load average (1/5/15 min): before $LOAD_BEFORE, after $LOAD_AFTER"
	echo
	echo "| measurement | labctl runs | labctl median (min-max, spread) | compose v5 runs | compose v5 median (min-max, spread) | ratio labctl/v5 | target | compose 1.x median (min-max, spread) | ratio labctl/1.x |"
	echo "|---|---|---|---|---|---|---|---|---|"
	if want up; then
		row "warm up $LAB to all ready (s)" "${UP_LC[*]}" "${UP_DC[*]}" 0.5 "${UP_D1[*]}"
		row "warm up: peak RSS (MiB)" "${UPRSS_LC[*]}" "${UPRSS_DC[*]}" "" "${UPRSS_D1[*]}"
		row "warm up: CPU time of the tool, user + sys (s)" "${UPCPU_LC[*]}" "${UPCPU_DC[*]}" "" "${UPCPU_D1[*]}"
		row_lc "labctl: slowest service's own time to ready (s)" "${OWN_LC[*]}" \
			"$([ $NO_START_FIELD = 0 ] || echo 'seconds_to_start missing: own = seconds_to_ready')"
		row_lc "labctl: overhead = wall - slowest own (s)" "${OVER_LC[*]}"
		printf '| compose: up -d returned (s) | - | - | %s | %s | - | | %s | - |\n' "${UPD_DC[*]}" "$(summary "${UPD_DC[*]}")" \
			"$([ ${#UPD_D1[@]} = 0 ] && echo - || summary "${UPD_D1[*]}")"
	fi
	if want noop; then
		row "no-op up on the running lab (ms)" "${NOOP_LC[*]}" "${NOOP_DC[*]}" 0.1 "${NOOP_D1[*]}"
		row "no-op up: peak RSS (MiB)" "${NOOPRSS_LC[*]}" "${NOOPRSS_DC[*]}" "" "${NOOPRSS_D1[*]}"
		row "no-op up: CPU time of the tool, user + sys (s)" "${NOOPCPU_LC[*]}" "${NOOPCPU_DC[*]}" "" "${NOOPCPU_D1[*]}"
	fi
	if want status; then
		row "status / ps, per call, $STATUS_CALLS calls per run (ms)" "${ST_LC[*]}" "${ST_DC[*]}" 0.05 "${ST_D1[*]}"
		local_rss=$(median "${STRSS_LC[*]}")
		printf '| status / ps: peak RSS (MiB) | %s | %s | %s | %s | %s | labctl ≤ 10 MiB: %s | %s | - |\n' \
			"${STRSS_LC[*]}" "$(summary "${STRSS_LC[*]}")" "${STRSS_DC[*]}" "$(summary "${STRSS_DC[*]}")" \
			"$(ratio "$local_rss" "$(median "${STRSS_DC[*]}")")" "$(meets "$local_rss" 10)" \
			"$([ ${#STRSS_D1[@]} = 0 ] && echo - || summary "${STRSS_D1[*]}")"
	fi
	if want replicas; then
		last=${REPLICAS##* }
		for n in $REPLICAS; do
			t=
			[ "$n" != 32 ] || t=0.3
			row "compute × $n, nothing to all running (s)" "${RUP_LC[$n]}" "${RUP_DC[$n]}" "$t"
		done
		for n in $REPLICAS; do
			row "compute × $n: peak RSS (MiB)" "${RRSS_LC[$n]}" "${RRSS_DC[$n]}"
		done
		for n in $REPLICAS; do
			row "compute × $n: CPU time of the tool, user + sys (s)" "${RCPU_LC[$n]}" "${RCPU_DC[$n]}"
		done
	fi
	echo
	if want up; then
		echo "per-repetition ratios, warm up: $(paired "${UP_LC[*]}" "${UP_DC[*]}")"
		echo "docker-compose polls until all ready after up -d returned: ${POLLS_DC[*]}"
	fi
	if want noop; then echo "per-repetition ratios, no-op up: $(paired "${NOOP_LC[*]}" "${NOOP_DC[*]}")"; fi
	if want status; then echo "per-repetition ratios, status: $(paired "${ST_LC[*]}" "${ST_DC[*]}")"; fi
	if want replicas; then
		echo "per-repetition ratios, compute × $last: $(paired "${RUP_LC[$last]}" "${RUP_DC[$last]}")"
		echo
		echo "| replicas | labctl median (s) | labctl per replica (ms) | docker-compose median (s) | docker-compose per replica (ms) |"
		echo "|---|---|---|---|---|"
		for n in $REPLICAS; do
			ml=$(median "${RUP_LC[$n]}") md=$(median "${RUP_DC[$n]}")
			printf '| %s | %s | %s | %s | %s |\n' "$n" "$ml" "$(divide "$(awk -v s="$ml" 'BEGIN { print s * 1000 }')" "$n" 0)" \
				"$md" "$(divide "$(awk -v s="$md" 'BEGIN { print s * 1000 }')" "$n" 0)"
		done
	fi
} | tee "$LOGDIR/result.md"
