#!/usr/bin/env bash
# tests/bench/bench_dashboard.sh: a cold load of the wall (issue 7): time
# from navigation to the first frame with buildings and bytes transferred,
# then DASH_BENCH_WATCH_S (default 60) seconds of the live feed of the
# simulator (frames, bytes, reconnects, 4008 drops). Headless Debian
# Chromium with software WebGL (no GPU here): frame times are the CPU's.
# The city (synth --scale DASH_BENCH_SCALE, default 1 = the default city:
# ~22,700 road segments) with its tiles and base map is made once and
# cached in $VAR/bench/dash-sSCALE/.
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN=${CITYTWIN_REL_BIN:-$PWD/${BUILD:-build}/citytwin}
VAR=${VAR:-var}
SCALE=${DASH_BENCH_SCALE:-1}
WATCH=${DASH_BENCH_WATCH_S:-60}
if [ -n "${BENCH_TMP:-}" ]; then TMPD=$BENCH_TMP; else
  TMPD=$(mktemp -d /tmp/citytwin-bench.XXXXXX); trap 'rm -rf "$TMPD"' EXIT; fi
CITY="$VAR/bench/dash-s$SCALE"

[ -x /usr/bin/chromium ] || { echo "bench_dashboard: needs /usr/bin/chromium"; exit 1; }
[ -d tests/node_modules/playwright-core ] || (cd tests && npm ci --silent) ||
  { echo "bench_dashboard: needs playwright-core (cd tests && npm ci)"; exit 1; }
[ -f web/vendor/cesium/Cesium.js ] || { echo "bench_dashboard: web/vendor missing (scripts/deps.sh)"; exit 1; }

if [ ! -f "$CITY/done" ]; then
  echo "making the scale-$SCALE city with tiles and base map (once) ..."
  rm -rf "$CITY"; mkdir -p "$CITY"
  "$BIN" synth --scale "$SCALE" --quiet --out "$TMPD/city.gpkg" \
      --open data/luoyang/luoyang_open.gpkg &&
    "$BIN" import "$TMPD/city.gpkg" --store "$CITY/city.sqlite" --quiet &&
    "$BIN" tiles --store "$CITY/city.sqlite" --out "$CITY/tiles" --basemap-out "$CITY/basemap" --quiet &&
    touch "$CITY/done" || { echo "bench_dashboard: cannot make $CITY"; exit 1; }
  rm -f "$TMPD/city.gpkg"
fi
segs=$(sqlite3 "$CITY/city.sqlite" "SELECT count(*) FROM roads")
blds=$(sqlite3 "$CITY/city.sqlite" "SELECT count(*) FROM buildings")
echo "city: scale $SCALE, $blds buildings, $segs road segments"

# a fresh history each run: the simulator starts from an empty live state
rm -f "$TMPD/live.sqlite"*
"$BIN" serve --store "$CITY/city.sqlite" --tiles "$CITY/tiles" --basemap "$CITY/basemap" --web web \
  --port 0 --ws-port 0 --live "$TMPD/live.sqlite" --auth-db "$TMPD/auth.sqlite" --simulate --quiet \
  2>"$TMPD/serve.log" &
pid=$!
url=""
for _ in $(seq 1 120); do
  url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$TMPD/serve.log" | head -n1)
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.5
done
if [ -z "$url" ]; then echo "bench_dashboard: serve did not start:"; tail -5 "$TMPD/serve.log"; kill $pid 2>/dev/null; exit 1; fi
sleep 5   # the simulator's first reports
CT_SRC="$PWD" node tests/bench/dashboard_load.mjs "$url" "$WATCH"
rc=$?
grep -c '4008\|too slow' "$TMPD/serve.log" | sed 's/^/server log lines about slow clients: /'
kill $pid; wait $pid 2>/dev/null
exit $rc
