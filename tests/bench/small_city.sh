# tests/bench/small_city.sh: sourced by the benches that serve a small
# synthetic city (synth --scale 0.1: 2,388 road segments) with the real
# open layers. small_city BIN DIR: DIR/store.sqlite, built once.
small_city() {
  [ -f "$2/store.sqlite" ] && return 0
  "$1" synth --quiet --scale 0.1 --out "$2/synth.gpkg" &&
  "$1" import data/luoyang/luoyang_open.gpkg "$2/synth.gpkg" \
    --store "$2/store.sqlite" >/dev/null 2>&1 ||
    { echo "$(basename "$0"): synth/import failed"; return 1; }
}
