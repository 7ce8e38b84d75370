#!/usr/bin/env bash
# compose/<lab>/docker-compose.yml is `labctl export compose <lab>` of every
# lab under labs/ (make compose). With --check, change nothing and fail when
# one is missing, stale, or has no lab any more (the integration tests run
# this).
#
#   scripts/export-compose.sh            regenerate
#   scripts/export-compose.sh --check    compare; exit 1 and show a diff when stale
#
# LABCTL picks the binary (default build/labctl). The export runs with an
# empty environment, so a LAB_*_PORT set in your shell does not leak into the
# committed files; a lab's own .env still applies.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABCTL=${LABCTL:-$ROOT/build/labctl}
check=
[[ ${1:-} == --check ]] && check=1

stale=0
for labfile in "$ROOT"/labs/*/lab.yml; do
	lab=$(basename "$(dirname "$labfile")")
	dir=$ROOT/compose/$lab
	if [[ -n $check && ! -d $dir ]]; then
		echo "compose/$lab is missing: run make compose" >&2
		stale=1
		continue
	fi
	mkdir -p "$dir"
	# run from the output directory: paths in the file are relative to it
	new=$(cd "$dir" && env -i PATH="$PATH" HOME="${HOME:-/root}" "$LABCTL" export compose -f "$labfile")
	if [[ -n $check ]]; then
		if ! diff -u --label "compose/$lab/docker-compose.yml" --label "labctl export compose $lab" \
			"$dir/docker-compose.yml" <(printf '%s\n' "$new") 2>/dev/null; then
			echo "compose/$lab/docker-compose.yml is stale or missing: run make compose" >&2
			stale=1
		fi
	else
		printf '%s\n' "$new" >"$dir/docker-compose.yml"
		echo "compose/$lab/docker-compose.yml"
	fi
done
for dir in "$ROOT"/compose/*/; do
	lab=$(basename "$dir")
	if [[ ! -f $ROOT/labs/$lab/lab.yml ]]; then
		echo "compose/$lab has no lab labs/$lab/lab.yml: remove it" >&2
		stale=1
	fi
done
exit "$stale"
