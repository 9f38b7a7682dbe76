// tests/browser/lib.mjs: shared helpers of the browser tests: build a small
// store with tiles and base map, start the real server on a free port,
// launch Debian's headless Chromium through playwright-core with software
// WebGL, and watch a page for console errors and off-origin requests.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
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

// Small generated layers for the live tests (native mapping: the file name
// is the store layer): two districts splitting the test buildings west and
// east at 112.425, a street in each between the first two rows of
// buildings (the fixture's roads lie north of the buildings' box, where
// the wall draws no roads), two water stations with their warning and
// guarantee levels and two car parks, in the streets between buildings.
export const LIVE_ITEMS = {
  districts: [
    { id: 'district:t-west', name: '测试西区', name_en: 'Test West', code: '419901', level: 'district',
      ring: [[112.385, 34.585], [112.425, 34.585], [112.425, 34.715], [112.385, 34.715]] },
    { id: 'district:t-east', name: '测试东区', name_en: 'Test East', code: '419902', level: 'district',
      ring: [[112.425, 34.585], [112.465, 34.585], [112.465, 34.715], [112.425, 34.715]] },
  ],
  roads: [
    { id: 'rd-t-w', name: '测试西街', name_en: 'Test West St', class: 'secondary', line: [[112.396, 34.607], [112.42, 34.607]] },
    { id: 'rd-t-e', name: '测试东街', name_en: 'Test East St', class: 'secondary', line: [[112.43, 34.607], [112.448, 34.607]] },
  ],
  water_stations: [
    { id: 'ws-t1', name: '测试水位站东', name_en: 'Test gauge east', at: [112.437, 34.617], station_type: 'river',
      water_body: '测试河', warning_level: 140, guarantee_level: 141, flood_limit_level: 142, period_s: 300 },
    { id: 'ws-t2', name: '测试水位站西', name_en: 'Test gauge west', at: [112.407, 34.617], station_type: 'river',
      water_body: '测试河', warning_level: 150, guarantee_level: 151, flood_limit_level: 152, period_s: 300 },
  ],
  car_parks: [
    { id: 'cp-t1', name: '测试停车场东', name_en: 'Test car park east', at: [112.437, 34.627], capacity: 200 },
    { id: 'cp-t2', name: '测试停车场西', name_en: 'Test car park west', at: [112.407, 34.627], capacity: 100 },
  ],
};

function writeLiveLayers(dir) {
  const fc = (name, feats) => {
    const f = path.join(dir, `${name}.geojson`);
    fs.writeFileSync(f, JSON.stringify({ type: 'FeatureCollection', name, features: feats }));
    return f;
  };
  const pt = ({ at, ...props }) => ({ type: 'Feature', properties: props, geometry: { type: 'Point', coordinates: at } });
  return [
    fc('districts', LIVE_ITEMS.districts.map(({ ring, ...props }) => ({ type: 'Feature', properties: props,
      geometry: { type: 'MultiPolygon', coordinates: [[[...ring, ring[0]]]] } }))),
    fc('roads', LIVE_ITEMS.roads.map(({ line, ...props }) => ({ type: 'Feature', properties: props,
      geometry: { type: 'LineString', coordinates: line } }))),
    fc('water_stations', LIVE_ITEMS.water_stations.map(pt)),
    fc('car_parks', LIVE_ITEMS.car_parks.map(pt)),
  ];
}

// A store of the test buildings, roads and fire stations plus the generated
// districts (first, so the others are assigned to them), water stations and
// car parks; its 3D tiles and base map.
export function buildCity(dir) {
  const fx = path.join(SRC, 'tests/fixtures/http');
  const store = path.join(dir, 'city.sqlite');
  const [districts, ...more] = writeLiveLayers(dir);
  for (const f of [districts, ...['buildings.geojson', 'roads.geojson', 'fire_stations.geojson'].map((n) => path.join(fx, n)), ...more]) {
    run(['import', f, '--store', store, '--quiet']);
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

// Pixels that differ between two PNG screenshots inside a box, counted in
// the page itself (a canvas decodes the PNGs; the CSP allows data: images).
export async function diffPixels(page, a, b, box) {
  return page.evaluate(async ({ a, b, box }) => {
    const load = async (b64) => createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const [ia, ib] = await Promise.all([load(a), load(b)]);
    const px = (img) => {
      const c = document.createElement('canvas');
      c.width = box.width; c.height = box.height;
      const g = c.getContext('2d');
      g.drawImage(img, -box.x, -box.y);
      return g.getImageData(0, 0, box.width, box.height).data;
    };
    const pa = px(ia), pb = px(ib);
    let n = 0;
    for (let i = 0; i < pa.length; i += 4) {
      if (Math.abs(pa[i] - pb[i]) + Math.abs(pa[i + 1] - pb[i + 1]) + Math.abs(pa[i + 2] - pb[i + 2]) > 30) n++;
    }
    return { changed: n, total: pa.length / 4 };
  }, { a: a.toString('base64'), b: b.toString('base64'), box });
}

// Pixels of the fire colour (#ff3b30, shaded) inside a box of a screenshot.
export async function firePixels(page, png, box) {
  return page.evaluate(async ({ png, box }) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
    const c = document.createElement('canvas');
    c.width = box.width; c.height = box.height;
    const g = c.getContext('2d');
    g.drawImage(img, -box.x, -box.y);
    const d = g.getImageData(0, 0, box.width, box.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 90 && d[i + 2] < 80 && d[i] > 2 * d[i + 1]) n++;
    return n;
  }, { png: png.toString('base64'), box });
}

// Pixels near a CSS colour (sum of channel differences <= tol) inside a box.
export async function colourPixels(page, png, box, css, tol = 60) {
  return page.evaluate(async ({ png, box, css, tol }) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${png}`)).blob());
    const c = document.createElement('canvas');
    c.width = box.width; c.height = box.height;
    const g = c.getContext('2d');
    g.fillStyle = css; g.fillRect(0, 0, 1, 1);
    const [r, gg, b] = g.getImageData(0, 0, 1, 1).data;
    g.drawImage(img, -box.x, -box.y);
    const d = g.getImageData(0, 0, box.width, box.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - gg) + Math.abs(d[i + 2] - b) <= tol) n++;
    return n;
  }, { png: png.toString('base64'), box, css, tol });
}

export const mapBox = (page) => page.locator('#map').boundingBox().then((b) => ({
  x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) }));

// A TCP relay in front of the push port, so a test can cut the page's
// WebSocket the way a network does (no page hook): drop() destroys the
// open connections, hold(true) refuses new ones until hold(false),
// closeWith(code, reason) closes them as the server would, target(port)
// follows a restarted server.
export function tcpRelay(targetPort) {
  let to = targetPort, holding = false;
  const open = new Set();
  const server = net.createServer((c) => {
    if (holding) { c.destroy(); return; }
    const up = net.connect(to, '127.0.0.1');
    const pair = [c, up];
    open.add(pair);
    const end = () => { c.destroy(); up.destroy(); open.delete(pair); };
    c.on('error', end); up.on('error', end); c.on('close', end); up.on('close', end);
    c.pipe(up); up.pipe(c);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    drop: () => { for (const [c, up] of open) { c.destroy(); up.destroy(); } open.clear(); },
    // closes the page's connections as the push server would (e.g. 4008
    // "too slow"): the server side is cut, a close frame (unmasked, RSV
    // bits clear) goes to the page, and its close reply ends the TCP
    // connection (a clean close with that code). Use it while the server
    // is quiet: the frame must not land inside another.
    closeWith: (code, reason) => {
      const r = Buffer.from(reason);
      const frame = Buffer.concat([Buffer.from([0x88, 2 + r.length, code >> 8, code & 0xff]), r]);
      for (const pair of [...open]) {
        const [c, up] = pair;
        open.delete(pair);
        up.unpipe(c); c.unpipe(up);
        up.removeAllListeners('close'); up.removeAllListeners('error'); up.on('error', () => {});
        up.destroy();
        c.write(frame);
        c.once('data', () => c.end());
        setTimeout(() => c.destroy(), 2000);
      }
    },
    hold: (on) => { holding = on; },
    target: (p) => { to = p; },
    close: () => new Promise((res) => { for (const [c, up] of open) { c.destroy(); up.destroy(); } server.close(res); }),
  })));
}

// A free loopback TCP port (for a server that must come back on the same one).
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// The push port the server printed ("push listening on ws://HOST:PORT/").
export function pushPort(srv) {
  const m = /push listening on ws:\/\/[^:]+:(\d+)/.exec(srv.log());
  if (!m) throw new Error(`no push line in the server log: ${srv.log()}`);
  return Number(m[1]);
}

// POST/GET JSON with an optional bearer token; resolves {status, json, text}.
export async function api(base, method, p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(new URL(p, base), { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}
