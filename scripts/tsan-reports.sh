#!/usr/bin/env bash
# scripts/tsan-reports.sh DIR: print every ThreadSanitizer report that a
# run left in DIR/report.* (TSAN_OPTIONS=log_path=DIR/report) and fail when
# there is one; say so in one line when there is none.
set -euo pipefail
dir=$1
shopt -s nullglob
reports=("$dir"/report.*)
if ((${#reports[@]} == 0)); then
	echo "tsan: no ThreadSanitizer reports"
	exit 0
fi
for f in "${reports[@]}"; do
	echo "=== $f"
	cat "$f"
done
echo "tsan: ${#reports[@]} process(es) reported data races or other thread errors (above)" >&2
exit 1
