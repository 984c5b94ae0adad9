#!/usr/bin/env bash
# Runs every cmocka unit-test program of a build directory and adds up cmocka's own
# summaries. A program that dies before its summary (a crash, a sanitizer report)
# counts as one failure. Prints "unit[LABEL]: N passed, N failed, N skipped" last and
# exits non-zero if anything failed.
# Usage: run-unit-tests.sh BUILD_DIR LABEL [LOG_DIR]
set -u
build=$1
label=$2
logs=${3:-$build/test-logs}
mkdir -p "$logs"
passed=0 failed=0 skipped=0
for prog in "$build"/test/unit/*_tests; do
  [ -x "$prog" ] || continue
  name=$(basename "$prog")
  log="$logs/$name.log"
  "$prog" >"$log" 2>&1
  rc=$?
  p=$(grep -oE '\[  PASSED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  f=$(grep -oE '\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  s=$(grep -oE '\[  SKIPPED \] [0-9]+ test' "$log" | grep -oE '[0-9]+' | tail -1)
  p=${p:-0} f=${f:-0} s=${s:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 # died without a cmocka verdict
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  counts=$(grep -E ': [0-9]+ cases' "$log" | tr '\n' ';' | sed 's/;$//; s/;/; /g')
  if [ "$f" -gt 0 ]; then
    echo "  FAIL $name ($p passed, $f failed) — log: $log"
    grep -E 'FAILED|ERROR|error|Sanitizer|runtime error' "$log" | head -20 | sed 's/^/      /'
  else
    echo "  ok   $name ($p passed${s:+, $s skipped})${counts:+ [$counts]}"
    grep -iE 'skip' "$log" | grep -vE '^\[|SKIPPED TEST' | sed 's/^/      skipped: /'
  fi
done
echo "unit[$label]: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
