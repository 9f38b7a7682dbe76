#!/usr/bin/env bash
# tests/bench/bench_rescue.sh: the rescue map's query latency (issue 8):
# nearest resources, fastest route between random points, plan (3 stations
# by ETA), all-station coverage and one station's coverage with its area
# (GEOS buffer + union), p50/p99 over N sequential requests to a
# release `citytwin serve` (live engine on, no traffic fed: class speeds),
# plus the time of the first routed request (it builds the road graph).
# Cities: the generated city at each scale of BENCH_RESCUE_SCALES
# (default "1 10": the default city and the ~1M-building one), made with
# synth + import, or the stores given as arguments.
# Env: BENCH_RESCUE_N (default 300 requests per kind).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN="$PWD/$BUILD/citytwin"
N=${BENCH_RESCUE_N:-300}
[ -x "$BIN" ] || { echo "bench_rescue: $BIN not found (make first)" >&2; exit 1; }
TMP=$(mktemp -d "${BENCH_TMP:-/tmp}/citytwin-bench-rescue.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

STORES=("$@")
if [ ${#STORES[@]} -eq 0 ]; then
  for s in ${BENCH_RESCUE_SCALES:-1 10}; do
    t0=$(date +%s.%N)
    "$BIN" synth --scale "$s" --quiet --out "$TMP/s$s.gpkg" \
      --open data/luoyang/luoyang_open.gpkg >/dev/null
    "$BIN" import "$TMP/s$s.gpkg" --store "$TMP/s$s.sqlite" >/dev/null 2>&1
    rm -f "$TMP/s$s.gpkg"
    printf "scale %s store built in %.0f s\n" "$s" "$(echo "$(date +%s.%N) - $t0" | bc)"
    STORES+=("$TMP/s$s.sqlite")
  done
fi

cat > "$TMP/client.mjs" <<'JS'
// Sequential requests of each kind; prints p50/p99 (ms) per kind.
const [base, n] = [process.argv[2], +process.argv[3]];
const st = await (await fetch(base + "/api/v1/layers/fire_stations/items?limit=10000")).json();
const xs = st.features.map((f) => f.geometry.coordinates);
const box = [Math.min(...xs.map((c) => c[0])), Math.min(...xs.map((c) => c[1])),
             Math.max(...xs.map((c) => c[0])), Math.max(...xs.map((c) => c[1]))];
let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pt = () => [box[0] + rnd() * (box[2] - box[0]), box[1] + rnd() * (box[3] - box[1])];
async function time(path) {
  const t = performance.now();
  const r = await fetch(base + path);
  await r.arrayBuffer();
  return [performance.now() - t, r.status];
}
const first = await time(`/api/v1/rescue/plan?lon=${pt()[0]}&lat=${pt()[1]}`);
console.log(`first routed request (builds the graph): ${first[0].toFixed(0)} ms`);
const kinds = {
  nearest: () => { const p = pt(); return `/api/v1/rescue/nearest?lon=${p[0]}&lat=${p[1]}&k=5`; },
  route: () => { const a = pt(), b = pt();
    return `/api/v1/rescue/route?from_lon=${a[0]}&from_lat=${a[1]}&to_lon=${b[0]}&to_lat=${b[1]}`; },
  plan: () => { const p = pt(); return `/api/v1/rescue/plan?lon=${p[0]}&lat=${p[1]}&k=3`; },
  "coverage(all, 5 min, no geometry)": () => `/api/v1/rescue/coverage?minutes=5&geometry=0`,
  "coverage(one station, 5 min, area)": () =>
    `/api/v1/rescue/coverage?minutes=5&station=${encodeURIComponent(st.features[Math.floor(rnd() * st.features.length)].id)}`,
};
for (const [k, mk] of Object.entries(kinds)) {
  const m = k.startsWith("coverage") ? Math.min(n, 30) : n;
  const ts = [], bad = {};
  for (let i = 0; i < m; i++) {
    const [t, s] = await time(mk());
    ts.push(t);
    if (s !== 200) bad[s] = (bad[s] ?? 0) + 1;
  }
  ts.sort((a, b) => a - b);
  const q = (p) => ts[Math.min(ts.length - 1, Math.floor(p * ts.length))].toFixed(2);
  console.log(`${k.padEnd(36)} n=${m}  p50 ${q(0.5)} ms  p99 ${q(0.99)} ms` +
              (Object.keys(bad).length ? `  non-200: ${JSON.stringify(bad)}` : ""));
}
JS

for store in "${STORES[@]}"; do
  roads=$(sqlite3 "$store" "SELECT count(*) FROM roads" 2>/dev/null || echo "?")
  blds=$(sqlite3 "$store" "SELECT count(*) FROM buildings" 2>/dev/null || echo "?")
  echo "store $(basename "$store"): $roads road segments, $blds buildings"
  rm -f "$TMP"/live.sqlite* "$TMP/serve.log"
  "$BIN" serve --store "$store" --port 0 --ws-port off --quiet --web "$TMP" \
    --auth-db "$TMP/auth.sqlite" --live "$TMP/live.sqlite" 2>"$TMP/serve.log" &
  PID=$!
  url=
  for _ in $(seq 600); do
    url=$(grep -o 'listening on http://[0-9.:]*' "$TMP/serve.log" | sed 's/listening on //' || true)
    [ -n "$url" ] && break
    sleep 0.2
  done
  [ -n "$url" ] || { echo "bench_rescue: server did not start" >&2; cat "$TMP/serve.log" >&2; exit 1; }
  node "$TMP/client.mjs" "$url" "$N"
  rss=$(awk '/VmHWM/{print $2}' "/proc/$PID/status")
  echo "server peak RSS: $((rss / 1024)) MiB"
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
done
