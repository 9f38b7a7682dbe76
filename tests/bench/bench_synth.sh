#!/usr/bin/env bash
# tests/bench/bench_synth.sh: generation rate (buildings/s) and peak memory
# (max RSS from /usr/bin/time -v) of `citytwin synth` at the default scale
# and at --scale 10 (about 1.5 million buildings).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${CITYTWIN_REL_BIN:-$PWD/${BUILD:-build}/citytwin}
TMP=${BENCH_TMP:-$(mktemp -d /tmp/citytwin-bench.XXXXXX)}
[ -x "$BIN" ] || { echo "bench_synth: $BIN is not built"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_synth: /usr/bin/time is missing (apt-get install time)"; exit 1; }
printf '%-8s %12s %9s %14s %12s %10s\n' scale buildings seconds buildings/s "peak RSS MB" "file MB"
for scale in 1 10; do
  out="$TMP/synth-$scale.gpkg"
  log="$TMP/synth-$scale.log"
  /usr/bin/time -v "$BIN" synth --scale "$scale" --seed 20251127 --out "$out" >"$log" 2>&1
  n=$(sed -nE 's/^  buildings +([0-9]+)$/\1/p' "$log")
  s=$(sed -nE 's/.* in ([0-9.]+) s$/\1/p' "$log")
  rss=$(sed -nE 's/.*Maximum resident set size \(kbytes\): ([0-9]+)/\1/p' "$log")
  mb=$(( $(stat -c %s "$out") / 1048576 ))
  awk -v sc="$scale" -v n="$n" -v s="$s" -v rss="$rss" -v mb="$mb" \
    'BEGIN { printf "%-8s %12d %9.1f %14.0f %12.0f %10d\n", sc, n, s, n / s, rss / 1024, mb }'
  rm -f "$out"
done
