#!/bin/sh
# Runs each libFuzzer harness for a while; prints its executions and findings.
# usage: run_fuzzers.sh BUILD_DIR SECONDS TARGET...
# New corpus entries go to BUILD_DIR/corpus/TARGET (the seeds in tests/fuzz/corpus/ stay as they
# are); a crashing input goes to BUILD_DIR/findings/, to be added under tests/fuzz/regressions/TARGET/
# as a regression test once fixed. Exit status 1 when any harness found something.
set -u
build=$1; seconds=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/findings"
status=0
for t in "$@"; do
  mkdir -p "$build/corpus/$t"
  log="$build/fuzz-$t.log"
  # -rss_limit_mb: a decoder may take a large but legal image (SPEC: 8192x8192); more is a finding.
  "$build/fuzz-$t" -max_total_time="$seconds" -rss_limit_mb=2560 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/findings/$t-" "$build/corpus/$t" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=$(ls "$build/findings" | grep -c "^$t-")
  printf '%-20s %10s executions in %ss, %s finding(s)\n' "$t" "${runs:-?}" "$seconds" "$found"
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    status=1
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
  fi
done
exit $status
