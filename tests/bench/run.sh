#!/usr/bin/env bash
# tests/bench/run.sh: `make bench`. Runs every tests/bench/bench_*.sh in turn;
# each prints its figures. Results belong in docs/BENCHMARKS.md with the
# machine (printed here) and the command.
set -uo pipefail
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export VAR=${VAR:-var}
export CITYTWIN_REL_BIN="$PWD/$BUILD/citytwin"
export BENCH_TMP=$(mktemp -d /tmp/citytwin-bench.XXXXXX)
trap 'rm -rf "$BENCH_TMP"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)  date: $(date -u +%F)"
status=0
for b in tests/bench/bench_*.sh; do
  [ -x "$b" ] || continue
  echo; echo "== $b"
  "$b" || { echo "bench $b failed"; status=1; }
done
exit $status
