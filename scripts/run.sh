#!/usr/bin/env bash
# scripts/run.sh: the embedded default, end to end (called by `make run`).
# Generates the synthetic part of Luoyang, imports it with the real open
# layers into var/city.sqlite, builds the 3D tiles and base map, and serves
# everything on http://127.0.0.1:${PORT:-8080}/. Each stage is redone only
# when its inputs changed (a stamp holds the inputs' checksum).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
VAR=${VAR:-var}
BIN="$BUILD/citytwin"
PORT=${PORT:-8080}
WS_PORT=${WS_PORT:-}     # push port (serve --ws-port); empty = the default 8081
LISTEN=${LISTEN:-127.0.0.1}
SEED=${SEED:-20251127}
mkdir -p "$VAR"

# Help texts read whole first: with pipefail, `grep -q` quitting at its
# match can end the writer with SIGPIPE and fail the test it answered.
main_help=$("$BIN" --help 2>&1 || true)
has_cmd() { grep -qE "^  $1 " <<<"$main_help"; }
inputs_sum() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
stamp_ok() { [ -f "$VAR/$1.stamp" ] && [ "$(cat "$VAR/$1.stamp")" = "$2" ]; }

# 1. the store: real open layers + the generated city
sum=$(inputs_sum "$BIN" data/luoyang/*.gpkg data/mapping/*.json)-$SEED
if ! stamp_ok store "$sum" || [ ! -f "$VAR/city.sqlite" ]; then
  rm -f "$VAR/city.sqlite.new"*
  sources=(data/luoyang/luoyang_open.gpkg)
  if has_cmd synth; then
    echo "run: generating the synthetic city (seed $SEED)"
    "$BIN" synth --seed "$SEED" --out "$VAR/synth.gpkg"
    sources+=("$VAR/synth.gpkg")
  fi
  echo "run: importing ${sources[*]}"
  "$BIN" import "${sources[@]}" --store "$VAR/city.sqlite.new"
  mv "$VAR/city.sqlite.new" "$VAR/city.sqlite"
  rm -f "$VAR/city.sqlite.new"* "$VAR/tiles.stamp"
  echo "$sum" > "$VAR/store.stamp"
fi

# 2. 3D tiles and the offline base map
if has_cmd tiles; then
  tsum=$(inputs_sum "$BIN" "$VAR/store.stamp" data/style/*.json)
  if ! stamp_ok tiles "$tsum"; then
    echo "run: building 3D tiles and base map"
    "$BIN" tiles --store "$VAR/city.sqlite" --out "$VAR/tiles" --basemap-out "$VAR/basemap"
    echo "$tsum" > "$VAR/tiles.stamp"
  fi
fi

# 3. serve, with the live simulator: a living city. The first run creates
#    feeder, operator and admin API tokens into $VAR/tokens.txt (mode 0600;
#    only their hashes are kept, in $VAR/auth.sqlite; docs/AUTH.md).
args=(serve --store "$VAR/city.sqlite" --port "$PORT" --listen "$LISTEN"
      --web web --tiles "$VAR/tiles" --basemap "$VAR/basemap")
[ -n "$WS_PORT" ] && args+=(--ws-port "$WS_PORT")
serve_help=$("$BIN" serve --help 2>&1 || true)
if grep -q -- '--simulate' <<<"$serve_help"; then
  args+=(--live "$VAR/live.sqlite" --auth-db "$VAR/auth.sqlite" --simulate --init-tokens)
  # The x60 simulator writes ~3 GB of raw readings an hour: keep them 30
  # minutes (older ones as 5-minute means), so a wall left on does not
  # fill the disk. A real feed keeps the default week.
  grep -q -- '--history-raw-min' <<<"$serve_help" &&
    args+=(--history-raw-min "${HISTORY_RAW_MIN:-30}")
  echo "run: API tokens (feeder, operator, admin) are in $VAR/tokens.txt"
fi
echo "run: serving on http://$LISTEN:$PORT/ (Ctrl-C stops)"
exec "$BIN" "${args[@]}"
