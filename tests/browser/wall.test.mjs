// tests/browser/wall.test.mjs: the dashboard in headless Chromium against the
// real server (docs/DASHBOARD.md). Few, focused tests: software WebGL is
// slow here, so timeouts are generous and nothing asserts on timing.
//  1. no live feed: the page starts with no console error and no request
//     off its origin, shows "no live feed", the 3D buildings render (pixel
//     difference with the buildings layer switched off), the language toggles;
//  2. screenshots of the three wall layouts (artifacts), fed a whole city
//     state through the test-only publish (feed.mjs);
// The live engine behind the page (ingest, drill-down, replay, reconnects)
// is tested in wall_live.test.mjs.
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
    const box = await L.mapBox(page);
    const withB = await page.screenshot();
    fs.writeFileSync(L.artifact('wall-nofeed-1920x1080.png'), withB);
    await page.locator('#layer-switch input[data-layer="buildings"]').uncheck();
    await page.waitForTimeout(4000);
    const without = await page.screenshot();
    const d = await L.diffPixels(page, withB, without, box);
    assert.ok(d.changed > d.total * 0.002,
      `the 3D buildings change only ${d.changed} of ${d.total} map pixels`);
    await page.locator('#layer-switch input[data-layer="buildings"]').check();
    // data attribution: the base map's sources, the layers', the libraries
    assert.match(await text(page, '#attribution'), /^数据来源.*OpenStreetMap.*CesiumJS · Apache ECharts$/);
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
