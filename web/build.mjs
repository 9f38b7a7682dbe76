// web/build.mjs: copy the browser builds of CesiumJS and Apache ECharts from
// web/node_modules (installed by `npm ci` from the committed lock file) into
// web/vendor/, the only third-party files the dashboard loads. Only
// cesium/Build/Cesium (~23 MB) is copied, not the whole 76 MB package.
// Usage: node web/build.mjs   (from anywhere; idempotent, skips unchanged files)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const web = path.dirname(fileURLToPath(import.meta.url));
const nm = path.join(web, 'node_modules');
const vendor = path.join(web, 'vendor');

const COPIES = [
  ['cesium/Build/Cesium', 'cesium'],
  ['echarts/dist/echarts.min.js', 'echarts/echarts.min.js'],
  ['cesium/LICENSE.md', 'cesium/LICENSE.md'],
  ['echarts/LICENSE', 'echarts/LICENSE'],
];

function fail(msg) {
  console.error(`web/build.mjs: ${msg}`);
  process.exit(1);
}

// Copy a file unless the target already has the same size and mtime.
function copyFile(src, dst, stats) {
  const s = fs.statSync(src);
  try {
    const d = fs.statSync(dst);
    if (d.size === s.size && Math.abs(d.mtimeMs - s.mtimeMs) < 1000) {
      stats.skipped++;
      return;
    }
  } catch { /* missing: copy */ }
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.rmSync(`${dst}.gz`, { force: true });   // stale once the file changes
  fs.copyFileSync(src, dst);
  fs.utimesSync(dst, s.atime, s.mtime);
  stats.copied++;
  stats.bytes += s.size;
}

function copyTree(src, dst, stats) {
  const st = fs.statSync(src);
  if (!st.isDirectory()) return copyFile(src, dst, stats);
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    copyTree(path.join(src, e.name), path.join(dst, e.name), stats);
  }
}

for (const [from] of COPIES) {
  if (!fs.existsSync(path.join(nm, from))) {
    fail(`${path.join(nm, from)} is missing: run 'npm ci' in web/ first (scripts/deps.sh does)`);
  }
}
const stats = { copied: 0, skipped: 0, bytes: 0 };
for (const [from, to] of COPIES) copyTree(path.join(nm, from), path.join(vendor, to), stats);

// Pre-compressed siblings (FILE.gz, newer than FILE) for the text files: the
// server sends them as they are instead of gzipping Cesium.js (5.8 MB) for
// every wall that loads (docs/API.md, static files).
const GZ_EXT = /\.(js|mjs|css|json|glsl|txt|svg|md)$/;
function gzipTree(dir, st) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { gzipTree(p, st); continue; }
    if (!GZ_EXT.test(e.name)) continue;
    const s = fs.statSync(p);
    if (s.size < 1024) continue;
    try { if (fs.statSync(`${p}.gz`).mtimeMs >= s.mtimeMs) continue; } catch { /* none yet */ }
    fs.writeFileSync(`${p}.gz`, zlib.gzipSync(fs.readFileSync(p), { level: 9 }));
    st.gzipped++;
  }
}
stats.gzipped = 0;
gzipTree(vendor, stats);

// The page names its Cesium version nowhere; record what was copied.
const ver = (p) => JSON.parse(fs.readFileSync(path.join(nm, p, 'package.json'), 'utf8')).version;
const manifest = { cesium: ver('cesium'), echarts: ver('echarts') };
fs.writeFileSync(path.join(vendor, 'versions.json'), JSON.stringify(manifest, null, 1) + '\n');
console.error(`web/build.mjs: vendor/ ready (cesium ${manifest.cesium}, echarts ${manifest.echarts}; ` +
  `${stats.copied} files copied, ${(stats.bytes / 1048576).toFixed(1)} MB, ${stats.skipped} unchanged, ${stats.gzipped} gzipped)`);
