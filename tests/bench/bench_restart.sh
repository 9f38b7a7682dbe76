#!/usr/bin/env bash
# tests/bench/bench_restart.sh: how long the wall is dark across a restart.
# The default city of make run ($VAR/city.sqlite, when it has been built;
# else a small synthetic one, synth --scale 0.1) served with the x60
# simulator (as make run), a fresh history: the time from exec to /healthz answering,
# RESTART_BENCH_RUN_S seconds of simulation (default 30), the time from
# SIGTERM to the process's exit (waited on as our child), then the same
# again on the history the first run left (the engine recomputes the live
# state from its last 2 h at start), RESTART_BENCH_REPEAT times (default 2).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=${CITYTWIN_REL_BIN:-$PWD/$BUILD/citytwin}
RUN_S=${RESTART_BENCH_RUN_S:-30}
REPEAT=${RESTART_BENCH_REPEAT:-2}
TMP=${BENCH_TMP:-$(mktemp -d /tmp/citytwin-bench.XXXXXX)}/restart
mkdir -p "$TMP"
STORE=${VAR:-var}/city.sqlite
if [ ! -f "$STORE" ]; then
  . tests/bench/small_city.sh
  small_city "$BIN" "$TMP" || exit 1
  STORE=$TMP/store.sqlite
fi
rm -f "$TMP"/live.sqlite*
PORT=$(( 20000 + RANDOM % 20000 ))
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# one cycle: start, wait for /healthz, run, SIGTERM, wait; prints a line
cycle() {
  local t0 pid up rows t1 rc
  t0=$(ms)
  "$BIN" serve --store "$STORE" --live "$TMP/live.sqlite" \
    --auth-db "$TMP/auth.sqlite" --port "$PORT" --ws-port 0 --quiet \
    --simulate --web "$TMP" >"$TMP/serve.log" 2>&1 &
  pid=$!
  up=""
  for _ in $(seq 1200); do
    if curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; then up=$(( $(ms) - t0 )); break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$up" ] || { echo "bench_restart: the server did not come up"; kill -TERM $pid 2>/dev/null; wait $pid; return 1; }
  sleep "$RUN_S"
  rows=$(curl -s "http://127.0.0.1:$PORT/api/v1/live" |
         sed -nE 's/.*"accepted":([0-9]+).*/\1/p')
  t1=$(ms)
  kill -TERM $pid
  wait $pid; rc=$?
  echo "restart $1 up_ms=$up readings_in_run=${rows:-?} stop_ms=$(( $(ms) - t1 )) exit=$rc history_mb=$(du -m "$TMP/live.sqlite" | cut -f1)"
}
echo "restart: $STORE, x60 simulator on $(sqlite3 "$STORE" 'SELECT count(*) FROM roads') road segments, $RUN_S s per run"
for k in $(seq "$REPEAT"); do
  cycle "run=$k" || exit 1
done
