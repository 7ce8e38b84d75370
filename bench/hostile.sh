#!/usr/bin/env bash
# Hostile-input benchmark: `labctl validate` on generated lab files of at most
# 1 MiB each (bench/hostile-gen.py: nested interpolation, 49k keys, huge
# names for did-you-mean, alias bombs, 30k services/ports/..., 50k errors).
# Target (issue 11): every file validates, or is refused, in under 1 s and
# 64 MiB peak RSS. No engine needed. See bench/README.md.
#
#   bench/hostile.sh                     # every case, REPS=3
#   REPS=1 bench/hostile.sh keys-49k     # some cases
#
# Environment: REPS (3), LABCTL (build/labctl), LIMIT_S (30: a run is killed
# after it), LIMIT_MB (4096: address-space limit of a run, so that an
# unbounded case fails instead of taking the machine's memory).
# Prints a Markdown table (median wall time of REPS runs, peak RSS of the
# slowest, exit code, first line of stderr) to stdout and to result.md in the
# log directory it names.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

case ${1:-} in -h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0 ;;
esac

REPS=${REPS:-3}
LIMIT_S=${LIMIT_S:-30}
LIMIT_MB=${LIMIT_MB:-4096}
[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is needed: apt-get install time"
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-hostile.XXXXXX")
bench_labctl
CASES=$LOGDIR/cases
mapfile -t NAMES < <(python3 "$BENCH_ROOT/bench/hostile-gen.py" "$CASES" "$@")
[ ${#NAMES[@]} -gt 0 ] || die "no such case: $*"

log "labctl $("$LABCTL" version 2>/dev/null | head -1), ${#NAMES[@]} cases, REPS=$REPS, logs in $LOGDIR"
{
	echo "| case | lab.yml | exit | wall s (median, min-max) | peak RSS MiB | first line of stderr |"
	echo "|---|---|---|---|---|---|"
} >"$LOGDIR/result.md"

for name in "${NAMES[@]}"; do
	dir=$CASES/$name
	size=$(stat -c %s "$dir/lab.yml")
	walls="" rss=0 code=0
	for ((r = 1; r <= REPS; r++)); do
		set +e
		(
			ulimit -v $((LIMIT_MB * 1024))
			timeout -s KILL "$LIMIT_S" \
				/usr/bin/time -f '%e %M' -o "$LOGDIR/$name.time" \
				"$LABCTL" validate -f "$dir/lab.yml" >"$LOGDIR/$name.out" 2>"$LOGDIR/$name.err"
		)
		code=$?
		set -e
		if [ -s "$LOGDIR/$name.time" ] && ! grep -q "Command" "$LOGDIR/$name.time"; then
			read -r wall kib <"$LOGDIR/$name.time"
		else # killed (timeout) or died: GNU time wrote a note, or nothing
			wall=$(tail -1 "$LOGDIR/$name.time" 2>/dev/null | cut -d' ' -f1)
			kib=$(tail -1 "$LOGDIR/$name.time" 2>/dev/null | cut -d' ' -f2)
			[ "$code" = 137 ] && wall=">$LIMIT_S" kib=0
		fi
		walls="$walls $wall"
		[ "${kib:-0}" -gt "$rss" ] 2>/dev/null && rss=$kib
	done
	if [[ $walls == *">"* ]]; then
		summary=">$LIMIT_S (killed)"
	else
		read -r med lo hi <<<"$(stats "$walls")"
		summary="$med ($lo-$hi)"
	fi
	first=$(head -c 300 "$LOGDIR/$name.err" | head -1 | sed "s#$CASES/##g; s/|/\\\\|/g" | cut -c1-120)
	[ -n "$first" ] || first=$(head -1 "$LOGDIR/$name.out" | sed "s#$CASES/##g" | cut -c1-120)
	printf '| %s | %s KiB | %s | %s | %.1f | %s |\n' "$name" $((size / 1024)) "$code" "$summary" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$first" >>"$LOGDIR/result.md"
	log "$name: exit $code, ${summary}s, $((rss / 1024)) MiB"
done
cat "$LOGDIR/result.md"
log "done; logs in $LOGDIR"
