// tests/browser/lib.mjs: shared helpers of the browser tests: build a small
// store with tiles and base map, start the real server on a free port,
// launch Debian's headless Chromium through playwright-core with software
// WebGL, and watch a page for console errors and off-origin requests.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const SRC = process.env.CT_SRC ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = process.env.CITYTWIN_BIN ?? path.join(SRC, 'build/citytwin');
export const ARTIFACTS = process.env.CT_ARTIFACTS ?? path.join(SRC, 'build/artifacts');
export const CHROMIUM = process.env.CT_CHROMIUM ?? '/usr/bin/chromium';

export function tmpDir(name) {
  return fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? '/tmp', `${name}-`));
}

export function run(args, opts = {}) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 300000, ...opts });
  if (r.status !== 0) throw new Error(`citytwin ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r;
}

// A store of the test buildings, roads and fire stations plus the Luoyang
// open layers (districts), its 3D tiles and base map.
export function buildCity(dir) {
  const fx = path.join(SRC, 'tests/fixtures/http');
  const store = path.join(dir, 'city.sqlite');
  for (const f of ['buildings.geojson', 'roads.geojson', 'fire_stations.geojson']) {
    run(['import', path.join(fx, f), '--store', store, '--quiet']);
  }
  const tiles = path.join(dir, 'tiles'), basemap = path.join(dir, 'basemap');
  run(['tiles', '--store', store, '--out', tiles, '--basemap-out', basemap, '--jobs', '2', '--quiet']);
  return { store, tiles, basemap };
}

// Start `citytwin serve`; resolves {url, proc, stop()} once it listens.
export function startServer(city, extra = []) {
  const args = ['serve', '--store', city.store, '--tiles', city.tiles, '--basemap', city.basemap,
    '--web', path.join(SRC, 'web'), '--port', '0', '--quiet', ...extra];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`serve did not start: ${err}`)); }, 30000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], proc, log: () => err,
          // stop with SIGTERM; resolves {code, sanitizer} (a sanitizer report, if any)
          stop: () => stopProc(proc).then((code) => ({ code,
            sanitizer: /AddressSanitizer|LeakSanitizer|runtime error:/.test(err) ? err.slice(-4000) : null })) });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}: ${err}`)); });
  });
}

function stopProc(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.on('exit', (code) => { clearTimeout(t); resolve(code); });
    proc.kill('SIGTERM');
  });
}

// Stop the server and check it ended cleanly (exit 0, no sanitizer report).
export async function stopServer(srv, assert) {
  const r = await srv.stop();
  assert.equal(r.sanitizer, null, 'the server reported a sanitizer error');
  assert.equal(r.code, 0, `serve exited ${r.code}`);
}

export async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
}

// A page that records console errors, page errors and requests that leave
// the origin (any scheme but data:/blob: to another host:port).
export async function watchedPage(browser, origin, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems = { errors: [], offOrigin: [], sockets: [] };
  page.on('console', (m) => { if (m.type() === 'error') problems.errors.push(m.text()); });
  page.on('pageerror', (e) => problems.errors.push(`pageerror: ${e.stack ?? e.message}`));
  page.on('requestfailed', (r) => problems.errors.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== origin) problems.offOrigin.push(u);
  });
  page.on('websocket', (ws) => problems.sockets.push(ws.url()));
  return { context, page, problems };
}

// Wait until the page has started and the 3D tiles have loaded.
export async function waitForCity(page, timeout = 180000) {
  await page.waitForFunction(() => document.body.dataset.ready === '1' || document.body.dataset.ready === 'error',
    null, { timeout, polling: 500 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== '1') throw new Error('the page did not start (data-ready=error)');
  await page.waitForFunction(() => document.body.dataset.tilesLoaded === '1', null, { timeout, polling: 500 });
}

export function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}
