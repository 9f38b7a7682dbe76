#!/usr/bin/env bash
# tests/run.sh: run every test and end with "N passed, N failed".
#  1. unit tests: one sanitizer-built binary per tests/unit/test_*.c (TAP);
#  2. integration tests (tests/integration/*.test.mjs) and browser tests
#     (tests/browser/*.test.mjs, headless Chromium) under node's test runner,
#     each starting the real (sanitizer-built) server on a loopback port.
# A binary that crashes or exits non-zero without a failed case counts as one
# more failure, so a sanitizer report is never lost.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export CT_SRC="$PWD"   # the source tree, for fixtures (tests run in a temp dir)
export CT_ARTIFACTS="${CT_ARTIFACTS:-$PWD/$BUILD/artifacts}"
export CITYTWIN_BIN="$PWD/$BUILD/citytwin-asan"
export CITYTWIN_REL_BIN="$PWD/$BUILD/citytwin"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ART="$CT_ARTIFACTS"   # logs, screenshots
rm -rf "$ART"; mkdir -p "$ART"
export CT_TEST_TMP=$(mktemp -d /tmp/citytwin-test.XXXXXX)
trap 'rm -rf "$CT_TEST_TMP"' EXIT

passed=0; failed=0
count_tap() {  # file -> adds to passed/failed; returns failures seen
  local f=$1 p q
  p=$(grep -cE '^ok [0-9]+' "$f" || true)
  q=$(grep -cE '^not ok [0-9]+' "$f" || true)
  passed=$((passed + p)); failed=$((failed + q))
  return $q
}

for t in "$BUILD"/asan/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  log="$ART/$name.log"
  (cd "$CT_TEST_TMP" && "$OLDPWD/$t") >"$log" 2>&1
  rc=$?
  count_tap "$log"; nf=$?
  grep -E '^(not ok|# )' "$log" | sed "s/^/[$name] /"
  if [ $rc -ne 0 ] && [ $nf -eq 0 ]; then
    echo "[$name] exited with status $rc (crash or sanitizer report):"
    tail -n 30 "$log" | sed "s/^/[$name] /"
    failed=$((failed + 1))
  fi
  echo "unit $name: done (exit $rc)"
done

shopt -s nullglob
itests=(tests/integration/*.test.mjs tests/browser/*.test.mjs)
if [ ${#itests[@]} -gt 0 ]; then
  log="$ART/integration.tap"
  node --test --test-concurrency=1 --test-timeout=240000 --test-reporter=tap "${itests[@]}" >"$log" 2>&1
  rc=$?
  # node's closing summary counts the tests (suites are not counted).
  p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -n1)
  q=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -n1)
  passed=$((passed + ${p:-0})); failed=$((failed + ${q:-0}))
  grep -B2 -A30 -E '^\s*not ok' "$log" | head -n 200
  if [ $rc -ne 0 ] && [ "${q:-0}" -eq 0 ]; then
    echo "integration: node exited with status $rc"; tail -n 40 "$log"
    failed=$((failed + 1))
  fi
  echo "integration: done (exit $rc)"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
