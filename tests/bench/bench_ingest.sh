#!/usr/bin/env bash
# tests/bench/bench_ingest.sh: sustained ingest over real HTTP (issue 5).
# A release `citytwin serve` on a default-scale store (var/city.sqlite when
# `make run` built it, else generated here) takes batched POSTs of 1,000
# observations from several keep-alive connections (tests/bench/
# ingest_load.c, built here with cc); the server answers only after the
# batch is committed to SQLite (WAL, synchronous=FULL) and fused, so the
# rate is durable observations/s. A probe measures ingest -> fused
# indicator under load. Target: >= 100,000 observations/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${CITYTWIN_REL_BIN:-$PWD/${BUILD:-build}/citytwin}
VAR=${VAR:-var}
TMP=${BENCH_TMP:-$(mktemp -d /tmp/citytwin-bench.XXXXXX)}
CONNS=${INGEST_CONNS:-4}
BATCH=${INGEST_BATCH:-1000}
TOTAL=${INGEST_TOTAL:-2000000}
[ -x "$BIN" ] || { echo "bench_ingest: $BIN is not built"; exit 1; }

store="$VAR/city.sqlite"
if [ ! -f "$store" ]; then
  echo "bench_ingest: no $store; generating a default-scale store"
  "$BIN" synth --quiet --out "$TMP/city.gpkg"
  "$BIN" import "$TMP/city.gpkg" --store "$TMP/city.sqlite" >/dev/null
  store="$TMP/city.sqlite"
fi
sqlite3 "$store" "SELECT id FROM roads ORDER BY fid" > "$TMP/roads.txt"
nroads=$(wc -l < "$TMP/roads.txt")
probe=$(head -n 1 "$TMP/roads.txt")
cc -O2 -Wall -o "$TMP/ingest_load" tests/bench/ingest_load.c -ljansson -lpthread

auth="$TMP/bench-auth.sqlite"
token=$("$BIN" token create --role feeder --name bench --db "$auth" 2>/dev/null)
log="$TMP/bench-serve.log"
"$BIN" serve --store "$store" --live "$TMP/bench-live.sqlite" --auth-db "$auth" \
  --port 0 --ws-port off --quiet --threads 16 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -nE 's|.*listening on http://[0-9.]+:([0-9]+)/.*|\1|p' "$log")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
[ -n "$port" ] || { echo "bench_ingest: server did not start"; cat "$log"; exit 1; }
echo "store $store: $nroads road segments; $CONNS connections x $BATCH observations, $TOTAL in all"
"$TMP/ingest_load" "$port" "$token" "$TMP/roads.txt" "$CONNS" "$BATCH" "$TOTAL" "$probe"
stats=$(curl -s "http://127.0.0.1:$port/api/v1/live")
echo "server counters: $stats"
kill -TERM "$pid"
wait "$pid" || true
trap - EXIT
