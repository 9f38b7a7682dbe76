#!/usr/bin/env bash
# tests/bench/bench_push.sh: live push latency and cost (issue 6).
# One generator process (build/tools/ct_wsbench, epoll) opens N WebSocket
# clients and publishes R updates/s; it reports p50/p99/max from publish
# to receipt, delivered/expected, server CPU and RSS. Server on core 0,
# generator on core 1. The same matrix runs against nginx + nchan (HTTP POST
# publisher, WebSocket subscribers) when those are installed (the bench-only
# step `CITYTWIN_BENCH_DEPS=1 scripts/deps.sh` installs them).
# PUSH_BENCH_SECONDS (default 10), PUSH_BENCH_N, PUSH_BENCH_R override.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=${CITYTWIN_REL_BIN:-$PWD/$BUILD/citytwin}
GEN=$PWD/$BUILD/tools/ct_wsbench
SECS=${PUSH_BENCH_SECONDS:-10}
NS=${PUSH_BENCH_N:-"100 1000 5000"}
RS=${PUSH_BENCH_R:-"100 1000"}
TMP=${BENCH_TMP:-$(mktemp -d /tmp/citytwin-bench.XXXXXX)}/push
mkdir -p "$TMP"
[ -x "$GEN" ] || { echo "bench_push: $GEN missing (make tools)"; exit 1; }
ulimit -n 20000 2>/dev/null || true
PIN_S="taskset -c 0"; PIN_G="taskset -c 1"
[ "$(nproc)" -ge 2 ] || { PIN_S=""; PIN_G=""; }

"$BIN" import --store "$TMP/store.sqlite" tests/fixtures/http/buildings.geojson \
  >/dev/null 2>&1 || { echo "bench_push: import failed"; exit 1; }

stop() {  # pid: SIGTERM, wait up to 10 s, then SIGKILL
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}

run_citytwin() {  # N R
  $PIN_S "$BIN" serve --store "$TMP/store.sqlite" --port 0 --ws-port 0 \
    --push-test --quiet --web "$TMP" >"$TMP/serve.log" 2>&1 &
  local pid=$! port=""
  for _ in $(seq 100); do
    port=$(sed -nE 's#.*push listening on ws://[0-9.]+:([0-9]+)/.*#\1#p' "$TMP/serve.log")
    [ -n "$port" ] && break; sleep 0.1
  done
  if [ -z "$port" ]; then echo "citytwin: server did not start"; cat "$TMP/serve.log"; stop $pid; return 1; fi
  $PIN_G "$GEN" --mode citytwin --port "$port" --clients "$1" --rate "$2" \
    --seconds "$SECS" --server-pid $pid || echo "citytwin N=$1 R=$2: generator failed"
  stop $pid
}

run_nchan() {  # N R
  local port=$((18000 + RANDOM % 2000)) ng="$TMP/nginx"
  mkdir -p "$ng"
  sed -e "s#@PORT@#$port#" -e "s#@PREFIX@#$ng#" tests/bench/nchan.conf.in >"$ng/nginx.conf"
  $PIN_S nginx -p "$ng" -c "$ng/nginx.conf" >"$ng/out.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do
    (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1
  done
  $PIN_G "$GEN" --mode nchan --port "$port" --pub-port "$port" --clients "$1" \
    --rate "$2" --seconds "$SECS" --server-pid $pid || echo "nchan N=$1 R=$2: generator failed"
  stop $pid
}

echo "push: $SECS s per point; server on core 0, generator on core 1"
for n in $NS; do for r in $RS; do run_citytwin "$n" "$r"; done; done
if command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
  for n in $NS; do for r in $RS; do run_nchan "$n" "$r"; done; done
else
  echo "nchan: skipped (not installed: CITYTWIN_BENCH_DEPS=1 scripts/deps.sh)"
fi
