#!/usr/bin/env bash
# tests/bench/bench_import.sh: import throughput (features/s) and peak memory
# of `citytwin import` against `ogr2ogr -f SQLite -dsco SPATIALITE=YES` doing
# the same conversion of the same source, best of N runs each, and the ratio.
# Usage: BUILD=build tests/bench/bench_import.sh [SOURCE...] (default: the
# largest fixture, plus $VAR/synth.gpkg when `make run` has made it).
# Env: BENCH_RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$PWD/$BUILD/citytwin"
VAR=${VAR:-var}
if [ $# -gt 0 ]; then
  SOURCES=("$@")
else
  SOURCES=("$PWD/tests/fixtures/fallback_osm_shanghai_wuhan_tilezen.gpkg")
  [ -f "$VAR/synth.gpkg" ] && SOURCES+=("$PWD/$VAR/synth.gpkg")
fi
RUNS=${BENCH_RUNS:-5}
for tool in "$BIN" ogr2ogr /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench_import: $tool not found" >&2; exit 1; }
done
TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/citytwin-bench-import.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# One timed run: prints "seconds peak_kb cpu_seconds".
timed() {
  /usr/bin/time -f "%e %M %U %S" -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err" ||
    { echo "bench_import: failed: $*" >&2; cat "$TMP/err" >&2; exit 1; }
  awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$TMP/time"
}

# label command...: runs RUNS times; keeps the fastest wall time, the
# least CPU time (wall time suffers most from a busy machine), the max RSS.
best() {
  local label=$1; shift
  local bs=999999 bc=999999 bm=0 s m c
  for _ in $(seq "$RUNS"); do
    rm -f "$TMP"/out.sqlite*
    read -r s m c < <(timed "$@")
    if awk -v a="$s" -v b="$bs" 'BEGIN{exit !(a<b)}'; then bs=$s; fi
    if awk -v a="$c" -v b="$bc" 'BEGIN{exit !(a<b)}'; then bc=$c; fi
    [ "$m" -gt "$bm" ] && bm=$m
  done
  echo "$label $bs $bm $bc"
}

# Fixed costs (program start, creating the store and its schema) measured
# on a one-feature source, so the per-feature rate can be told apart.
cat > "$TMP/one.geojson" <<'ONE'
{"type":"FeatureCollection","name":"car_parks","features":[{"type":"Feature",
 "properties":{"id":"p1"},"geometry":{"type":"Point","coordinates":[112.45,34.62]}}]}
ONE
read -r _ c1 _ _ < <(best citytwin "$BIN" import "$TMP/one.geojson" --store "$TMP/out.sqlite" --quiet)
read -r _ o1 _ _ < <(best ogr2ogr ogr2ogr -f SQLite -dsco SPATIALITE=YES "$TMP/out.sqlite" "$TMP/one.geojson")
echo "import bench: fixed cost (one-feature source): citytwin ${c1} s, ogr2ogr ${o1} s"

bench_one() {
  local SRC=$1
  [ -e "$SRC" ] || { echo "bench_import: no source $SRC" >&2; exit 1; }
  # Features in the source, as citytwin reads them (the report's total.read).
  rm -f "$TMP"/count.sqlite*
  "$BIN" import "$SRC" --store "$TMP/count.sqlite" --report "$TMP/report.json" --quiet
  local FEATURES cs cm cc os om oc
  FEATURES=$(sed -nE 's/^ *"read": ([0-9]+),?$/\1/p' "$TMP/report.json" | tail -n1)
  read -r _ cs cm cc < <(best citytwin "$BIN" import "$SRC" --store "$TMP/out.sqlite" --quiet)
  read -r _ os om oc < <(best ogr2ogr ogr2ogr -f SQLite -dsco SPATIALITE=YES "$TMP/out.sqlite" "$SRC")
  awk -v n="$FEATURES" -v cs="$cs" -v cm="$cm" -v os="$os" -v om="$om" -v runs="$RUNS" \
      -v cc="$cc" -v oc="$oc" -v c1="$c1" -v o1="$o1" \
      -v src="$(basename "$SRC")" 'BEGIN {
    cs = cs > 0 ? cs : 0.001; os = os > 0 ? os : 0.001
    printf "import bench: %s, %d features, best of %d runs\n", src, n, runs
    cc = cc > 0 ? cc : 0.001; oc = oc > 0 ? oc : 0.001
    printf "  citytwin import      %6.2f s  %9.0f features/s  cpu %5.2f s  peak RSS %6.1f MB\n", cs, n / cs, cc, cm / 1024
    printf "  ogr2ogr (SpatiaLite) %6.2f s  %9.0f features/s  cpu %5.2f s  peak RSS %6.1f MB\n", os, n / os, oc, om / 1024
    printf "  throughput ratio citytwin/ogr2ogr: %.2f (target >= 1.00); cpu ratio %.2f; memory ratio %.2f\n", os / cs, oc / cc, cm / om
    mc = cs - c1; mo = os - o1
    if (mc > 0.01 && mo > 0.01)
      printf "  without the fixed cost: citytwin %.0f, ogr2ogr %.0f features/s (ratio %.2f)\n", n / mc, n / mo, mo / mc
  }'
}

for s in "${SOURCES[@]}"; do bench_one "$s"; done
