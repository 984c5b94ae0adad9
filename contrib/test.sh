#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test of iopd:
#   1. the cmocka unit tests (built with -Werror),
#   2. the same unit tests built with AddressSanitizer and UndefinedBehaviorSanitizer,
#   3. a short run of every libFuzzer harness over its seed corpus,
#   4. the functional tests (once test/functional has any).
# Ends with "N passed, N failed" and exits non-zero on any failure.
# FUZZ_SECONDS (default 10) sets how long each fuzz harness runs.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fuzz_seconds=${FUZZ_SECONDS:-10}

"$top/contrib/install-deps.sh" || { echo "test.sh: installing dependencies failed"; exit 1; }

total_passed=0 total_failed=0 total_skipped=0
add_counts() { # reads "...: N passed, N failed, N skipped" from the last line of $1
  local line
  line=$(tail -n 1 "$1")
  local p f s
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
  s=$(echo "$line" | grep -oE '[0-9]+ skipped' | grep -oE '[0-9]+')
  total_passed=$((total_passed + ${p:-0}))
  total_failed=$((total_failed + ${f:-0}))
  total_skipped=$((total_skipped + ${s:-0}))
}
step_failed() { echo "test.sh: $1"; total_failed=$((total_failed + 1)); }

echo "== build (-Werror)"
if contrib/build.sh _build --enable-werror &&
   make -s -C _build/test/unit -j"$(nproc)" check TESTS= >/dev/null; then
  echo "== unit tests"
  test/unit/run-unit-tests.sh _build plain | tee _build/unit-summary.txt
  add_counts _build/unit-summary.txt
else
  step_failed "the -Werror build failed"
fi

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if contrib/build.sh _build-asan --enable-werror CFLAGS="-O1 -g $san" LDFLAGS="$san" &&
   make -s -C _build-asan/test/unit -j"$(nproc)" check TESTS= >/dev/null; then
  echo "== unit tests under ASan/UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    test/unit/run-unit-tests.sh _build-asan sanitizers | tee _build-asan/unit-summary.txt
  add_counts _build-asan/unit-summary.txt
else
  step_failed "the sanitizer build failed"
fi

echo "== fuzz harnesses (${fuzz_seconds}s each)"
fsan="-fsanitize=address,undefined"
if contrib/build.sh _build-fuzz --enable-fuzz CC=clang CFLAGS="-O1 -g $fsan" LDFLAGS="-fsanitize=address,undefined"; then
  for h in _build-fuzz/test/fuzz/fuzz_*; do
    [ -x "$h" ] || continue
    name=$(basename "$h")
    work=$(mktemp -d)
    seeds=test/fuzz/corpus/$name
    mkdir -p "$work/corpus" "$work/artifacts"
    args=("$work/corpus")
    [ -d "$seeds" ] && args+=("$seeds")
    if "$h" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
         -artifact_prefix="$work/artifacts/" "${args[@]}" >"$work/log" 2>&1; then
      runs=$(grep -oE '#[0-9]+' "$work/log" | tail -1)
      echo "  ok   $name (${runs:-?} runs)"
      total_passed=$((total_passed + 1))
    else
      echo "  FAIL $name — crash input kept in $work/artifacts; add it to $seeds"
      tail -30 "$work/log" | sed 's/^/      /'
      total_failed=$((total_failed + 1))
      continue
    fi
    rm -rf "$work"
  done
else
  step_failed "the fuzz build failed"
fi

echo "== functional tests"
if [ -x test/functional/test_runner.py ]; then
  if python3 test/functional/test_runner.py --builddir "$top/_build" > _build/functional-summary.txt 2>&1; then :; fi
  cat _build/functional-summary.txt
  add_counts _build/functional-summary.txt
else
  echo "  none yet: the daemon and its RPC come with the daemon/RPC issue"
fi

echo
echo "${total_passed} passed, ${total_failed} failed, ${total_skipped} skipped"
[ "$total_failed" -eq 0 ]
