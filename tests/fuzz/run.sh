#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS HARNESS...: run each libFuzzer harness
# (build/fuzz/HARNESS, made by `make fuzz`) for SECONDS, one after another,
# one process each (the machine has 2 cores). The corpus grows in
# build/fuzz/work/HARNESS, seeded from tests/fuzz/corpus/HARNESS; a crash,
# leak, UBSan report, timeout (10 s for one input) or out-of-memory (2 GiB)
# is kept as build/fuzz/artifacts/HARNESS-* and fails the run, after every
# harness has had its turn. Output of each run: build/fuzz/HARNESS.log.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

secs=${1:?usage: run.sh SECONDS HARNESS...}
shift
mkdir -p build/fuzz/artifacts
failed=()
for h in "$@"; do
	mkdir -p "build/fuzz/work/$h"
	dict=()
	maxlen=4096
	case $h in
	fuzz_lab | fuzz_lab_text) dict=(-dict=tests/fuzz/lab.dict) maxlen=16384 ;;
	fuzz_stream) maxlen=65536 ;;
	esac
	printf 'fuzz: %s for %s s\n' "$h" "$secs"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"build/fuzz/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$h-" "${dict[@]}" \
		"build/fuzz/work/$h" "tests/fuzz/corpus/$h" >"build/fuzz/$h.log" 2>&1 </dev/null
	rc=$?
	grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "build/fuzz/$h.log" | sed 's/^/  /'
	if ((rc != 0)); then
		failed+=("$h")
		printf 'fuzz: %s FAILED (exit %d); the end of build/fuzz/%s.log:\n' "$h" "$rc" "$h"
		tail -n 60 "build/fuzz/$h.log"
	fi
done
if ((${#failed[@]})); then
	printf 'fuzz: findings in: %s (inputs in build/fuzz/artifacts/; reproduce: build/fuzz/HARNESS FILE)\n' "${failed[*]}"
	exit 1
fi
printf 'fuzz: %d harnesses, %s s each: no findings\n' $# "$secs"
