// tests/bench/dashboard_load.mjs: a cold load of the wall (/) in headless
// Chromium (software WebGL) against a running server; prints one line of
// figures. Used by bench_dashboard.sh (`make bench`), not by the tests.
//   node dashboard_load.mjs URL [WATCH_S]
// Figures: time from navigation to the page started (data-ready), to the
// first frame with buildings (performance mark 'citytwin:buildings-frame',
// set by web/js/tiles.js at the first rendered tile), to every tile in view
// loaded; bytes over HTTP (encoded, i.e. as transferred, headers included)
// by kind; then WATCH_S seconds of live feed: WebSocket messages and their
// JSON size (as delivered to the page, i.e. after inflating), map frames
// drawn, snapshots, deltas, reconnects, 4008 slow-downs, final status.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.CT_SRC ?? process.cwd(), 'tests/package.json'));
const { chromium } = require('playwright-core');
const url = process.argv[2];
const watchS = Number(process.argv[3] ?? 60);
if (!url) { console.error('usage: dashboard_load.mjs URL [WATCH_S]'); process.exit(2); }

const browser = await chromium.launch({
  executablePath: process.env.CT_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
});
const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
const byId = new Map();
const bytes = { vendor: 0, tiles: 0, basemap: 0, api: 0, page: 0 };
let ws = { frames: 0, bytes: 0 };
const kindOf = (u) => {
  const p = new URL(u).pathname;
  if (p.startsWith('/vendor/')) return 'vendor';
  if (p.startsWith('/tiles/')) return 'tiles';
  if (p.startsWith('/basemap/')) return 'basemap';
  if (p.startsWith('/api/')) return 'api';
  return 'page';
};
cdp.on('Network.requestWillBeSent', (e) => byId.set(e.requestId, e.request.url));
cdp.on('Network.loadingFinished', (e) => {
  const u = byId.get(e.requestId);
  if (u && /^https?:/.test(u)) bytes[kindOf(u)] += e.encodedDataLength;
});
cdp.on('Network.webSocketFrameReceived', (e) => { ws.frames++; ws.bytes += e.response.payloadData.length; });
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('pageerror', (e) => errors.push(e.message));

const t0 = Date.now();
await page.goto(url, { timeout: 120000 });
await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 300000, polling: 100 });
const tReady = Date.now() - t0;
await page.waitForFunction(() => performance.getEntriesByName('citytwin:buildings-frame').length > 0,
  null, { timeout: 300000, polling: 100 });
await page.waitForFunction(() => document.body.dataset.tilesLoaded === '1', null, { timeout: 300000, polling: 250 });
const tAll = Date.now() - t0;
const marks = await page.evaluate(() => ({
  first: performance.getEntriesByName('citytwin:buildings-frame')[0]?.startTime }));
const loadBytes = { ...bytes };
const total = Object.values(loadBytes).reduce((a, b) => a + b, 0);
const ws0 = { ...ws };
const frame = () => page.evaluate(() => window.citytwin.viewer().scene.frameState.frameNumber);
const f0 = await frame();
await page.waitForTimeout(watchS * 1000);
const f1 = await frame();
const st = await page.evaluate(() => window.citytwin.live.getStatus());
const mb = (n) => (n / 1e6).toFixed(2);
console.log(`ready ${(tReady / 1000).toFixed(1)} s, first frame with buildings ${(marks.first / 1000).toFixed(1)} s, `
  + `tiles in view loaded ${(tAll / 1000).toFixed(1)} s after navigation`);
console.log(`cold load: ${mb(total)} MB over HTTP (vendor ${mb(loadBytes.vendor)}, tiles ${mb(loadBytes.tiles)}, `
  + `base map ${mb(loadBytes.basemap)}, api ${mb(loadBytes.api)}, page ${mb(loadBytes.page)}); `
  + `WebSocket until then ${ws0.frames} messages, ${mb(ws0.bytes)} MB of JSON (before permessage-deflate)`);
console.log(`live for ${watchS} s after: ${ws.frames - ws0.frames} messages, ${mb(ws.bytes - ws0.bytes)} MB of JSON, `
  + `${f1 - f0} map frames drawn; `
  + `status ${st.status}; snapshots ${st.counters.snapshots}, deltas ${st.counters.deltas}, resets ${st.counters.resets}, `
  + `reconnects ${st.counters.reconnects}, 4008 slow-downs ${st.counters.slowdowns}`);
if (errors.length) console.log(`console errors: ${errors.slice(0, 5).join(' | ')}`);
await browser.close();
