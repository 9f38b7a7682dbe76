#!/usr/bin/env bash
# tests/bench/bench_push.sh: live push latency and cost (issue 6).
# One generator process (build/tools/ct_wsbench, epoll) opens N WebSocket
# clients subscribed to `traffic` and ingests R observations/s through the
# real ingest API (one observation per POST /api/v1/observations, feeder
# token, 16 keep-alive connections, round-robin over the road segments of
# a small synthetic city); it reports p50/p99/max from the ingest request
# to each client's receipt, delivered/expected, server CPU and RSS. Server
# on core 0, generator on core 1. Each point runs against nginx + nchan too, right after (the VM drifts)
# (HTTP POST publisher, WebSocket subscribers) when those are installed (the
# bench-only step `CITYTWIN_BENCH_DEPS=1 scripts/deps.sh` installs them).
# PUSH_BENCH_SECONDS (default 10), PUSH_BENCH_N, PUSH_BENCH_R override;
# PUSH_BENCH_SERVE_ARGS adds serve options (e.g. --ws-poll for an A/B);
# A run at N=1 per R shows the ingest path's own cost (and nchan's publish).
# citytwin lines also split the server's CPU: push_per_delivery (the push
# thread, per delivered update) and rest_per_update (every other thread:
# the ingest request, history, fusion; per update). ack_p50/ack_p99: the
# ingest request to its answer. rx_p50/rx_p99: the same latency to the
# kernel's arrival stamp of the segment (SO_TIMESTAMPNS) instead of the
# generator's read: the difference is the generator's own lag (at 5,000
# clients, R=100, 0.2 ms at p99 here: the one loop keeps up).
# PUSH_BENCH_WARMUP (s, default 10 at R<=100, else 3) runs the load before
# the measured seconds, so both servers are measured in their steady state
# (our WAL file reaches its working size after ~1,000 commits; before that
# every commit also grows the file). PUSH_BENCH_REPEAT=K runs each point K
# times, alternating the two servers, and prints the median of each figure.
# The "Aborted" lines after nchan runs are nginx's own: Debian's nchan
# module frees something twice when nginx stops ("double free detected"
# in its error.log), after the generator has reported.
# PUSH_BENCH_DEFLATE=1: our clients offer permessage-deflate (as browsers
# do) and inflate what comes, so the figures include the server compressing
# for every client; nchan's clients stay plain (compare with a plain run).
# Before the matrix, build/tools/ct_sendfloor prints what one loopback
# send costs here with no server around it, per N: a one-core server that
# writes each client once per round cannot start rounds faster than N x
# that, and the slowest client of a round waits about a round
# (PUSH_BENCH_FLOOR=0 skips it).
# PUSH_BENCH_TEST=1 also runs the test-only publish op (serve --push-test),
# i.e. the push module without the ingest path; PUSH_BENCH_NCHAN=0 skips
# the peer.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=${CITYTWIN_REL_BIN:-$PWD/$BUILD/citytwin}
GEN=$PWD/$BUILD/tools/ct_wsbench
SECS=${PUSH_BENCH_SECONDS:-10}
REPEAT=${PUSH_BENCH_REPEAT:-1}
warm_for() {  # R -> warm-up seconds
  if [ -n "${PUSH_BENCH_WARMUP:-}" ]; then echo "$PUSH_BENCH_WARMUP"
  elif [ "$1" -le 100 ]; then echo 10; else echo 3; fi
}
NS=${PUSH_BENCH_N:-"100 1000 5000"}
RS=${PUSH_BENCH_R:-"100 1000"}
TMP=${BENCH_TMP:-$(mktemp -d /tmp/citytwin-bench.XXXXXX)}/push
mkdir -p "$TMP"
[ -x "$GEN" ] || { echo "bench_push: $GEN missing (make tools)"; exit 1; }
ulimit -n 20000 2>/dev/null || true
PIN_S="taskset -c 0"; PIN_G="taskset -c 1"
[ "$(nproc)" -ge 2 ] || { PIN_S=""; PIN_G=""; }

# A small city with road segments (2,388 at scale 0.1) and a feeder token.
. tests/bench/small_city.sh
small_city "$BIN" "$TMP" || exit 1
sqlite3 "$TMP/store.sqlite" "SELECT id FROM roads ORDER BY fid" >"$TMP/roads.txt"
rm -f "$TMP/auth.sqlite"
FEED=$("$BIN" token create --role feeder --name bench --db "$TMP/auth.sqlite" 2>/dev/null)
[ -n "$FEED" ] || { echo "bench_push: token create failed"; exit 1; }

stop() {  # pid: SIGTERM, wait up to 10 s, then SIGKILL; reap it quietly
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  { wait "$1"; } 2>/dev/null
}

run_citytwin() {  # N R [test]
  rm -f "$TMP"/live.sqlite*
  local extra=(${PUSH_BENCH_SERVE_ARGS:-}) gen=(--mode citytwin)
  [ "${PUSH_BENCH_DEFLATE:-0}" = 1 ] && gen+=(--deflate 1)
  [ "${3:-}" = test ] && { extra+=(--push-test); gen=(--mode test); }
  $PIN_S "$BIN" serve --store "$TMP/store.sqlite" --live "$TMP/live.sqlite" \
    --auth-db "$TMP/auth.sqlite" --port 0 --ws-port 0 --quiet --web "$TMP" \
    "${extra[@]}" >"$TMP/serve.log" 2>&1 &
  local pid=$! port="" hport=""
  for _ in $(seq 100); do
    port=$(sed -nE 's#.*push listening on ws://[0-9.]+:([0-9]+)/.*#\1#p' "$TMP/serve.log")
    hport=$(sed -nE 's#.* listening on http://[0-9.]+:([0-9]+)/.*#\1#p' "$TMP/serve.log")
    [ -n "$port" ] && [ -n "$hport" ] && break; sleep 0.1
  done
  if [ -z "$port" ] || [ -z "$hport" ]; then echo "citytwin: server did not start"; cat "$TMP/serve.log"; stop $pid; return 1; fi
  $PIN_G "$GEN" "${gen[@]}" --port "$port" --pub-port "$hport" --feed-token "$FEED" \
    --ids "$TMP/roads.txt" --clients "$1" --rate "$2" --seconds "$SECS" \
    --warmup "$(warm_for "$2")" --server-pid $pid || echo "citytwin N=$1 R=$2: generator failed"
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
    --rate "$2" --seconds "$SECS" --warmup "$(warm_for "$2")" \
    --server-pid $pid || echo "nchan N=$1 R=$2: generator failed"
  stop $pid
}

NCHAN=0
if [ "${PUSH_BENCH_NCHAN:-1}" = 0 ]; then
  :
elif command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
  NCHAN=1
else
  echo "nchan: skipped (not installed: CITYTWIN_BENCH_DEPS=1 scripts/deps.sh)"
fi
echo "push: $SECS s per point; server on core 0, generator on core 1;" \
  "citytwin = through the ingest API ($(wc -l <"$TMP/roads.txt") segments);" \
  "nchan right after citytwin at each point (this VM's speed drifts: compare" \
  "within a pair)"
FLOOR=$PWD/$BUILD/tools/ct_sendfloor
if [ "${PUSH_BENCH_FLOOR:-1}" = 1 ] && [ -x "$FLOOR" ]; then
  echo "loopback floor (400-byte sends, round = N sends at one full core):"
  rcpu=$([ -n "$PIN_G" ] && echo 1 || echo -1)
  for n in $NS; do
    $PIN_S "$FLOOR" --clients "$n" --seconds 5 --reader-cpu "$rcpu"
    $PIN_S "$FLOOR" --clients "$n" --seconds 5 --reader-cpu "$rcpu" \
      --uring 256 2>/dev/null
  done
fi
# median NAME FILE: one line with the median of each numeric figure of
# the lines of that server in FILE (K runs of one point).
median() {
  grep -E "^$1 " "$2" | awk -v who="$1" '
    { for (i = 2; i <= NF; i++) if (split($i, kv, "=") == 2) {
        if (match(kv[2], /^[0-9.]+/) && substr(kv[2], RLENGTH + 1) !~ /^\//) {
          key[i] = kv[1]; unit[i] = substr(kv[2], RLENGTH + 1)
          val[i, NR] = substr(kv[2], 1, RLENGTH) + 0 } }  # a number: "86.5" < "155.6"
      n = NR; nf = NF }
    END { if (!n) exit; line = sprintf("median %-8s (%d runs)", who, n)
      for (i = 2; i <= nf; i++) if (i in key) {
        m = 0; for (r = 1; r <= n; r++) a[r] = val[i, r]
        for (r = 2; r <= n; r++) { x = a[r]; for (j = r - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        line = line sprintf(" %s=%g%s", key[i], m, unit[i]) }
      print line }'
}
for n in $NS; do for r in $RS; do
  out="$TMP/point.$n.$r.txt"; : >"$out"
  for _ in $(seq "$REPEAT"); do
    run_citytwin "$n" "$r" | tee -a "$out"
    [ $NCHAN = 1 ] && run_nchan "$n" "$r" | tee -a "$out"
  done
  if [ "$REPEAT" -gt 1 ]; then median citytwin "$out"; [ $NCHAN = 1 ] && median nchan "$out"; fi
done; done
# The publish path's own cost (one client): what every point pays per
# update before any fan-out (ours: HTTP, token check, durable SQLite
# commit, fusion; nchan: an in-memory message).
echo "publish path alone (N=1):"
for r in $RS; do
  run_citytwin 1 "$r"
  [ $NCHAN = 1 ] && run_nchan 1 "$r"
done
if [ "${PUSH_BENCH_TEST:-0}" = 1 ]; then
  for n in $NS; do for r in $RS; do run_citytwin "$n" "$r" test; done; done
fi
