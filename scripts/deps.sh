#!/usr/bin/env bash
# scripts/deps.sh: install what citytwin needs on Debian 12, and nothing when
# it is all there. Called by `make run`, `make test` and `make bench`.
# A missing package is an error, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and run time: compilers come with the machine; these are the libraries.
APT_PKGS=(
  build-essential pkg-config
  libgdal-dev gdal-bin           # GDAL/OGR: every vector source, GEOS make-valid
  libproj-dev proj-bin           # PROJ: CGCS2000, Gauss-Kruger, UTM, Web Mercator
  libgeos-dev                    # GEOS: geometry predicates and repair
  libsqlite3-dev sqlite3         # SQLite
  libspatialite-dev libsqlite3-mod-spatialite spatialite-bin  # the store
  libcivetweb-dev                # HTTP server
  libwebsockets-dev              # WebSocket push
  libev-dev libwebsockets-evlib-ev  # epoll under lws (its loop polls every socket)
  libjansson-dev                 # JSON
  libssl-dev                     # libcrypto: SHA-256 of API tokens
  libcglm-dev                    # geodesy matrices for tiles
  libmeshoptimizer-dev           # glTF mesh compression
  zlib1g-dev                     # zlib: the push's shared permessage-deflate frames; the bench's deflate clients
  curl ca-certificates
  time                           # /usr/bin/time: peak memory in make bench (import)
)
if [ "${CITYTWIN_BENCH_DEPS:-0}" = 1 ]; then   # bench only, not make test
  APT_PKGS+=(nginx-light libnginx-mod-nchan)   # nchan: the push bench's peer
  APT_PKGS+=(liburing-dev)   # ct_sendfloor --uring: what batched sends would save
fi
if [ "${CITYTWIN_BROWSER_TESTS:-1}" = 1 ]; then
  APT_PKGS+=(chromium fonts-noto-cjk)  # headless browser tests (playwright-core), CJK glyphs in screenshots
fi

missing=()
for p in "${APT_PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages (${missing[*]}); run 'make deps' as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages from committed lock files, reinstalled only when a lock changes.
for dir in web tests; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.citytwin-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "deps: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
done

# The dashboard's third-party browser files (CesiumJS Build/Cesium, ECharts)
# copied from web/node_modules into web/vendor/ (idempotent, skips unchanged).
if [ -f web/package-lock.json ]; then
  node web/build.mjs
fi
