#!/usr/bin/env bash
# tests/bench/bench_tiles.sh: `citytwin tiles` throughput and size.
# For each city scale (TILES_BENCH_SCALES, default "1 10": the default city
# and the ~1M-building one) it makes a store with `citytwin synth` +
# `citytwin import` (cached in $VAR/bench/), then reports:
#   buildings/s store -> tiles on disk, single-threaded and on all cores,
#   bytes per building with meshopt and uncompressed, peak RSS
#   (/usr/bin/time -v), and the ratio of the build time to GDAL reading
#   every building of the same store (`ogrinfo -ro -al -q`) in this run.
# CPU seconds (user + system) are printed too: wall times on a shared
# machine move with its load, CPU times much less.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${CITYTWIN_REL_BIN:-$PWD/${BUILD:-build}/citytwin}
VAR=${VAR:-var}
if [ -n "${BENCH_TMP:-}" ]; then TMPD=$BENCH_TMP; else
  TMPD=$(mktemp -d /tmp/citytwin-bench.XXXXXX); trap 'rm -rf "$TMPD"' EXIT; fi
SCALES=${TILES_BENCH_SCALES:-1 10}
CORES=$(nproc)
mkdir -p "$VAR/bench"

if ! "$BIN" synth --help >/dev/null 2>&1 || ! "$BIN" import --help >/dev/null 2>&1; then
  echo "bench_tiles: needs 'citytwin synth' and 'citytwin import' to make a store"; exit 1
fi

# run LABEL CMD...: wall seconds and peak RSS (MiB) of CMD into $secs $rss
run() {
  local label=$1; shift
  /usr/bin/time -v -o "$TMPD/time.txt" "$@" >"$TMPD/$label.out" 2>"$TMPD/$label.err" || {
    echo "bench_tiles: $label failed:"; tail -5 "$TMPD/$label.err"; return 1; }
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,t,":"); s=0;
         for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$TMPD/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.0f", $2/1024}' "$TMPD/time.txt")
  cpu=$(awk -F': ' '/(User|System) time/{s+=$2} END{printf "%.2f", s}' "$TMPD/time.txt")
}

# a number from report.json (one key per line)
json() { sed -n "s/^ *\"$2\": \([0-9.e+-]*\).*/\1/p" "$1"; }
div() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}'; }

for s in $SCALES; do
  store="$VAR/bench/tiles-city-s$s.sqlite"
  if [ ! -f "$store" ]; then
    echo "making the scale-$s store (synth + import, once) ..."
    "$BIN" synth --out "$TMPD/synth-s$s.gpkg" --scale "$s" --quiet &&
      "$BIN" import "$TMPD/synth-s$s.gpkg" --store "$store.tmp" --quiet &&
      mv "$store.tmp" "$store" || { echo "bench_tiles: cannot make $store"; exit 1; }
    rm -f "$TMPD/synth-s$s.gpkg" "$store.tmp"-*
  fi
  n=$(sqlite3 "$store" "SELECT (SELECT count(*) FROM buildings) + (SELECT count(*) FROM building_parts)")
  echo "scale $s: $n buildings and parts in $store ($(du -m "$store" | cut -f1) MiB)"

  run gdal ogrinfo -ro -al -q "$store" buildings || exit 1
  gdal=$secs
  printf "  GDAL read (ogrinfo -ro -al -q, all buildings): %.2f s (cpu %.2f s), %.0f buildings/s\n" \
    "$gdal" "$cpu" "$(div "$n" "$gdal")"

  for cfg in "1 meshopt" "$CORES meshopt" "$CORES none"; do
    set -- $cfg
    out="$TMPD/tiles-s$s-$1-$2"
    rm -rf "$out"
    run "tiles-$1-$2" "$BIN" tiles --store "$store" --out "$out" --jobs "$1" \
        --compress "$2" --no-basemap --quiet || exit 1
    bytes=$(json "$out/report.json" bytes)
    tiles=$(json "$out/report.json" tiles)
    printf "  tiles --jobs %-2s --compress %-7s: %6.2f s (cpu %6.2f s)  %8.0f buildings/s  %5.0f bytes/building  %3d tiles  peak RSS %4d MiB  %.2fx GDAL read\n" \
      "$1" "$2" "$secs" "$cpu" "$(div "$n" "$secs")" "$(div "$bytes" "$n")" \
      "$tiles" "$rss" "$(div "$secs" "$gdal")"
    rm -rf "$out"
  done
done
