// tests/browser/wall.test.mjs: the dashboard in headless Chromium against the
// real server (docs/DASHBOARD.md). Few, focused tests: software WebGL is
// slow here, so timeouts are generous and nothing asserts on timing.
//  1. no live feed: the page starts with no console error and no request
//     off its origin, shows "no live feed", the 3D buildings render (pixel
//     difference with the buildings layer switched off), the language toggles;
//  2. live: a published city state reaches the panels, the ticker and the
//     leader's view; a building set on fire is restyled without reloading
//     any tile; a click on a district's bar drills the panels into it; a
//     dropped connection resumes without a new snapshot;
//  3. screenshots of the three wall layouts (artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as L from './lib.mjs';
import { openFeed, publishCity } from './feed.mjs';

const T = 240000;
let city, browser;

before(async () => {
  city = L.buildCity(L.tmpDir('wall'));
  browser = await L.launch();
}, { timeout: T });

after(async () => { await browser?.close(); });

// Pixels that differ between two PNG screenshots inside a box, counted in
// the page itself (a canvas decodes the PNGs; the CSP allows data: images).
async function diffPixels(page, a, b, box) {
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
async function firePixels(page, png, box) {
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

const mapBox = (page) => page.locator('#map').boundingBox().then((b) => ({
  x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) }));
const text = (page, sel) => page.locator(sel).first().textContent();

test('no live feed: clean start on its own origin, buildings render, language toggles', { timeout: T }, async () => {
  const srv = await L.startServer(city, ['--ws-port', 'off']);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  try {
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    // connection state: the server has no push, the page says so
    assert.equal(await page.locator('#conn').getAttribute('data-state'), 'nofeed');
    assert.equal((await text(page, '#conn-text')).trim(), '无实时数据');
    // buildings: the map with and without the 3D tiles differs clearly
    await page.waitForTimeout(3000);
    const box = await mapBox(page);
    const withB = await page.screenshot();
    fs.writeFileSync(L.artifact('wall-nofeed-1920x1080.png'), withB);
    await page.locator('#layer-switch input[data-layer="buildings"]').uncheck();
    await page.waitForTimeout(4000);
    const without = await page.screenshot();
    const d = await diffPixels(page, withB, without, box);
    assert.ok(d.changed > d.total * 0.002,
      `the 3D buildings change only ${d.changed} of ${d.total} map pixels`);
    await page.locator('#layer-switch input[data-layer="buildings"]').check();
    // i18n: Chinese first, English on the toggle, and back
    assert.equal((await text(page, '#p-vitals h2 span')).trim(), '城市运行体征');
    await page.click('#btn-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal((await text(page, '#p-vitals h2 span')).trim(), 'City vital signs');
    assert.equal((await text(page, '#conn-text')).trim(), 'No live feed');
    await page.click('#btn-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    assert.equal((await text(page, '#p-tpi h2')).trim(), '各区交通运行指数');
    // nothing off the origin, no console error, no WebSocket attempted
    assert.deepEqual(problems.offOrigin, []);
    assert.deepEqual(problems.errors, []);
    assert.deepEqual(problems.sockets, []);
  } finally {
    await context.close();
    await L.stopServer(srv, assert);
  }
});

test('live: state reaches panels, map and leader view; fire restyles without reload; resume', { timeout: T * 2 }, async () => {
  const srv = await L.startServer(city, ['--ws-port', '0', '--push-test']);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  let feed;
  try {
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'live', null, { timeout: 60000 });
    feed = await openFeed(srv.url);
    await page.waitForTimeout(2000);
    const box = await mapBox(page);
    const before = await page.screenshot();
    const tileRequests = () => page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/tiles/')).length);
    const tilesBefore = await tileRequests();
    // the tallest test building (hb24, 34 m) catches fire, with nothing else
    feed.publish('buildings', 'hb24', { state: 'fire', incident: 'inc-x', kind: 'fire' });
    await feed.sync();
    await page.waitForFunction(() => window.citytwin.state.entity('buildings', 'hb24')?.state === 'fire',
      null, { timeout: 30000 });
    await page.waitForTimeout(4000);
    const onFire = await page.screenshot();
    const red0 = await firePixels(page, before, box), red1 = await firePixels(page, onFire, box);
    assert.ok(red1 > red0 + 500, `fire-red map pixels: ${red0} before, ${red1} after the building caught fire`);
    assert.equal(await tileRequests(), tilesBefore, 'restyling must not reload tiles');

    // a whole city state: KPIs, alert counts, incident list
    await publishCity(feed, srv.url, { fireBuilding: 'hb24' });
    await page.waitForFunction(() => document.querySelector('[data-kpi="tpi"] .kpi-value')?.textContent.startsWith('5.6'),
      null, { timeout: 30000 });
    assert.equal(await page.locator('[data-kpi="tpi"]').getAttribute('class'), 'kpi lv-blue');
    await page.waitForFunction(() => document.querySelectorAll('#incident-list li.inc').length === 2, null, { timeout: 30000 });
    assert.equal((await text(page, '#alert-n-red')).trim(), '1');
    assert.equal((await text(page, '#alert-n-orange')).trim(), '1');
    assert.match(await text(page, '#ticker-track'), /水位超警戒/);   // the rule's name, localised
    fs.writeFileSync(L.artifact('wall-live-1920x1080.png'), await page.screenshot());

    // drill into a district from its bar in the traffic-index panel
    feed.publish('vitals', 'district:410302', { name: '老城区', tpi: 3.1, parking_occupancy: 0.5, district: 'district:410302' });
    feed.publish('vitals', 'district:410303', { name: '西工区', tpi: 6.4, parking_occupancy: 0.91, district: 'district:410303' });
    feed.publish('alerts', 'flash_flood:district:410302:1', { id: 'flash_flood:district:410302:1', rule: 'flash_flood',
      entity: 'district:410302', title: '山洪 Flash flood', level: 'red', status: 'raised', district: 'district:410302', raised_at: new Date().toISOString() });
    await feed.sync();
    await page.waitForFunction(() => document.getElementById('alert-n-red').textContent === '2', null, { timeout: 30000 });
    assert.match(await text(page, '#ticker-track'), /山洪 Flash flood/);   // an unknown rule keeps the server's title
    await page.waitForFunction(() => window.citytwin.state.get('vitals').size >= 3, null, { timeout: 30000 });
    await page.waitForTimeout(1500);   // panels render at most twice a second
    const bar = await page.evaluate(() => {
      const dom = document.getElementById('chart-tpi');
      const c = window.echarts.getInstanceByDom(dom);
      const names = c.getOption().yAxis[0].data;
      const i = names.indexOf('西工区');
      const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [3, i]);
      const r = dom.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y, i };
    });
    assert.ok(bar.i >= 0, 'the district is in the traffic-index panel');
    await page.mouse.click(bar.x, bar.y);
    await page.waitForFunction(() => document.getElementById('vitals-place').textContent === '西工区', null, { timeout: 30000 });
    await page.waitForFunction(() => document.querySelector('[data-kpi="tpi"] .kpi-value')?.textContent.startsWith('6.4'),
      null, { timeout: 30000 });
    assert.equal(await page.locator('[data-kpi="tpi"]').getAttribute('class'), 'kpi lv-yellow');
    // the other district's red alert leaves the ticker; the city-wide one stays
    await page.waitForFunction(() => document.getElementById('alert-n-red').textContent === '1', null, { timeout: 30000 });
    assert.doesNotMatch(await text(page, '#ticker-track'), /山洪/);
    await page.click('#btn-city');
    await page.waitForFunction(() => document.querySelector('[data-kpi="tpi"] .kpi-value')?.textContent.startsWith('5.6'),
      null, { timeout: 30000 });
    assert.equal((await text(page, '#vitals-place')).trim(), '全市');

    // drop the connection: it resumes from its offset (deltas, no snapshot)
    const st0 = await page.evaluate(() => window.citytwin.live.getStatus());
    await page.evaluate(() => window.citytwin.live.disconnectForTest());
    await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'reconnecting',
      null, { timeout: 30000, polling: 50 });
    feed.publish('vitals', 'city', { tpi: 7.25, tpi_level: 'moderate' });   // missed while away
    await feed.sync();
    await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'live', null, { timeout: 60000 });
    await page.waitForFunction(() => document.querySelector('[data-kpi="tpi"] .kpi-value')?.textContent.startsWith('7.3'),
      null, { timeout: 30000 });
    const st1 = await page.evaluate(() => window.citytwin.live.getStatus());
    assert.equal(st1.epoch, st0.epoch);
    assert.ok(st1.offset > st0.offset, `offset ${st1.offset} after resume, ${st0.offset} before`);
    assert.equal(st1.counters.snapshots, st0.counters.snapshots, 'a resume must not need new snapshots');
    assert.equal(st1.counters.resets, 0);
    assert.equal(await page.locator('[data-kpi="tpi"]').getAttribute('class'), 'kpi lv-yellow');

    // the leader's view on a phone
    const phone = await L.watchedPage(browser, origin, { width: 390, height: 844 });
    await phone.page.goto(`${srv.url}leader.html`, { timeout: 60000 });
    await phone.page.waitForFunction(() => document.querySelector('[data-ind="tpi"] .ind-value')?.textContent.startsWith('7.3'),
      null, { timeout: 60000 });
    assert.equal(await phone.page.locator('#alerts li').count(), 3, 'the red and orange alerts, not the yellow');
    assert.equal(await phone.page.locator('#incidents li').count(), 2);
    fs.writeFileSync(L.artifact('leader-390x844.png'), await phone.page.screenshot({ fullPage: true }));
    assert.deepEqual(phone.problems.errors, []);
    assert.deepEqual(phone.problems.offOrigin, []);
    await phone.context.close();

    assert.deepEqual(feed.errors, []);
    assert.deepEqual(problems.offOrigin, []);
    assert.deepEqual(problems.errors, []);
  } finally {
    feed?.close();
    await context.close();
    await L.stopServer(srv, assert);
  }
});

test('layouts: 1920x1080, 3840x2160 and 7680x2160 screenshots', { timeout: T * 2 }, async () => {
  const srv = await L.startServer(city, ['--ws-port', '0', '--push-test']);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  let feed;
  try {
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    feed = await openFeed(srv.url);
    await publishCity(feed, srv.url, { fireBuilding: 'hb24' });
    await page.waitForFunction(() => document.querySelectorAll('#incident-list li.inc').length === 2, null, { timeout: 60000 });
    for (const [w, h] of [[1920, 1080], [3840, 2160], [7680, 2160]]) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(1500);
      await page.evaluate(() => window.citytwin.requestRender?.());
      await page.waitForFunction(() => document.body.dataset.tilesLoaded === '1', null, { timeout: T });
      await page.waitForTimeout(5000);
      // the panels scale with the wall: the KPI value stays a similar share of the height
      const fs1 = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.kpi-value')).fontSize));
      assert.ok(fs1 / h > 0.02 && fs1 / h < 0.05, `KPI font ${fs1}px on a ${h}px wall`);
      // nothing overflows the viewport
      const over = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth + 1);
      assert.equal(over, false, `the page is wider than ${w}px`);
      fs.writeFileSync(L.artifact(`wall-${w}x${h}.png`), await page.screenshot({ timeout: T }));
    }
    assert.deepEqual(problems.errors, []);
    assert.deepEqual(problems.offOrigin, []);
  } finally {
    feed?.close();
    await context.close();
    await L.stopServer(srv, assert);
  }
});
