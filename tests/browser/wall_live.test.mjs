// tests/browser/wall_live.test.mjs: the wall against the real server and
// its live engine, quiet (no simulator, so every value is the test's own):
// observations go in through POST /api/v1/observations with a feeder token,
// incidents through POST /api/v1/incidents with an operator token
// (docs/API.md, docs/AUTH.md), and come out on the page through the push.
//  1. ingest: a posted value appears in its panel and on the map (layer
//     colour and pixels); a fire restyles its building without reloading
//     tiles; drilling into a district changes the panels and the trend;
//     the replay slider shows a past state with a clear replay state, and
//     "back to live" restores the live values;
//  2. connection: the page's socket cut by the network (a TCP relay) and
//     then the server restarted (new epoch) both recover without a reload,
//     with nothing lost or counted twice; the leader's view on a phone.
// Software WebGL is slow here: generous timeouts, no timing assertions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const T = 240000;
let dir, city, browser, feeder, operator;

before(async () => {
  dir = L.tmpDir('wall-live');
  city = L.buildCity(dir);
  city.auth = path.join(dir, 'auth.sqlite');
  feeder = L.run(['token', 'create', '--role', 'feeder', '--name', 'gauges', '--db', city.auth]).stdout.trim();
  operator = L.run(['token', 'create', '--role', 'operator', '--name', 'duty-officer', '--db', city.auth]).stdout.trim();
  browser = await L.launch();
}, { timeout: T });

after(async () => { await browser?.close(); });

const text = (page, sel) => page.locator(sel).first().textContent().then((s) => s.trim());
const waitFor = (page, fn, arg, timeout = 60000) => page.waitForFunction(fn, arg, { timeout, polling: 200 });
// a KPI card's value (its first text node: the unit and trend arrow follow)
const kpi = (page, key) => page.evaluate((k) => document.querySelector(`[data-kpi="${k}"] .kpi-value`)?.firstChild?.textContent, key);
const kpiIs = (page, key, v) => waitFor(page, ([k, v]) =>
  document.querySelector(`[data-kpi="${k}"] .kpi-value`)?.firstChild?.textContent === v, [key, v]);
const connState = (page) => page.locator('#conn').getAttribute('data-state');

// Observations "now" (the server rejects times ahead of its clock).
async function observe(base, items) {
  const time = new Date().toISOString();
  const r = await L.api(base, 'POST', '/api/v1/observations', items.map(([entity, values]) => ({ entity, time, values })), feeder);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.accepted, items.length, r.text);
  return Date.now();
}

// The colour (r,g,b; alpha says stale or not) the page draws an item in,
// and a CSS colour the same way, both through Cesium's parser.
const RGB = (css) => { const c = window.Cesium.Color.fromCssColorString(css); return [c.red, c.green, c.blue].map((v) => Math.round(v * 255)).join(','); };
async function drawn(page, layer, id) {
  return page.evaluate(([layer, id, rgb]) => {
    const c = window.citytwin.layers.colourOf(layer, id);
    return c && new Function(`return (${rgb})`)()(c);
  }, [layer, id, RGB.toString()]);
}
async function css(page, c) {
  return page.evaluate(([c, rgb]) => new Function(`return (${rgb})`)()(c), [c, RGB.toString()]);
}

test('ingest: posted values reach panels and map; fire; drill-down; replay of a past state', { timeout: T * 3 }, async () => {
  const srv = await L.startServer(city, ['--ws-port', '0', '--auth-db', city.auth, '--live', path.join(dir, 'live-ingest.sqlite')]);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  try {
    // state A, before the page opens: one station above warning, car parks
    // 90 % (east) and 20 % (west) full, the east street slow, the west free
    const tA = await observe(srv.url, [['ws-t1', { level_m: 140.6 }], ['cp-t1', { free: 20, total: 200 }],
      ['cp-t2', { free: 80, total: 100 }], ['rd-t-e', { speed_kmh: 12 }], ['rd-t-w', { speed_kmh: 45 }]]);
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    const cfg = await page.evaluate(() => window.citytwin.config().style);

    // panels: the station in the water list with its margin, the KPIs
    await waitFor(page, () => /测试水位站东.*\+0\.60 m/.test(document.querySelector('#water-list li')?.textContent));
    assert.equal(await text(page, '#water-count'), '1');
    assert.equal(await kpi(page, 'water_above_warning'), '1');
    assert.equal(await kpi(page, 'parking_occupancy'), '67%');
    assert.equal(await text(page, '#parking-free'), '100');
    // map: road colours by level, the station orange, the idle one grey
    await waitFor(page, () => window.citytwin.layers.colourOf('roads', 'rd-t-e') !== null);
    assert.equal(await drawn(page, 'roads', 'rd-t-e'), await css(page, cfg.road_levels.moderate));
    assert.equal(await drawn(page, 'roads', 'rd-t-w'), await css(page, cfg.road_levels.smooth));
    assert.equal(await drawn(page, 'water_stations', 'ws-t1'), await css(page, '#ff9500'));
    assert.equal(await drawn(page, 'car_parks', 'cp-t1'), await css(page, '#ffd60a'), '90 % full: yellow');
    const grey = await drawn(page, 'water_stations', 'ws-t2');

    // a value posted while the page watches: the west station rises above
    // warning (0.7 of the way to guarantee: orange, not the red that would
    // open a flood incident) -> its list row, the count, colour and pixels
    const pos = await page.evaluate(() => window.citytwin.layers.windowPos('water_stations', 'ws-t2'));
    assert.ok(pos, 'the west station is on screen');
    const box = await L.mapBox(page);
    const around = { x: Math.round(box.x + pos.x - 6), y: Math.round(box.y + pos.y - 6), width: 12, height: 12 };
    await page.waitForTimeout(1500);
    const before1 = await page.screenshot();
    await observe(srv.url, [['ws-t2', { level_m: 150.7 }]]);
    await waitFor(page, () => document.getElementById('water-count').textContent === '2');
    assert.match(await text(page, '#water-list li'), /测试水位站西.*\+0\.70 m/, 'the larger margin comes first');
    await waitFor(page, () => window.citytwin.layers.colourOf('water_stations', 'ws-t2')
      === window.Cesium.Color.fromCssColorString('#ff9500').toCssColorString());   // opaque orange
    assert.notEqual(grey, await drawn(page, 'water_stations', 'ws-t2'));
    await page.waitForTimeout(2500);
    const after1 = await page.screenshot();
    const or0 = await L.colourPixels(page, before1, around, '#ff9500'), or1 = await L.colourPixels(page, after1, around, '#ff9500');
    assert.ok(or1 >= 9 && or1 > or0, `orange pixels at the station: ${or0} before, ${or1} after`);
    // a click on the station shows its details with the live value
    await page.mouse.click(box.x + pos.x, box.y + pos.y);
    await waitFor(page, () => document.getElementById('details-title').textContent === '测试水位站西');
    assert.match(await text(page, '#details-body'), /level_m\s*150\.7/);
    await page.click('#details-close');
    // its alert (orange) in the ticker, placed in its district
    await waitFor(page, () => document.getElementById('ticker-track').textContent.includes('测试西区'));

    // a fire on the tallest test building (hb24, 34 m), through the incident API
    const tileRequests = () => page.evaluate(() => performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/tiles/')).length);
    const tilesBefore = await tileRequests();
    const inc = await L.api(srv.url, 'POST', '/api/v1/incidents', { kind: 'fire', building: 'hb24', description: '测试火情' }, operator);
    assert.equal(inc.status, 201, inc.text);
    await waitFor(page, () => window.citytwin.state.entity('buildings', 'hb24')?.state === 'fire');
    await waitFor(page, () => document.querySelectorAll('#incident-list li.inc').length === 1);
    await page.waitForTimeout(4000);
    const onFire = await page.screenshot();
    const f0 = await L.firePixels(page, before1, box), f1 = await L.firePixels(page, onFire, box);
    assert.ok(f1 > f0 + 500, `fire-red map pixels: ${f0} before, ${f1} after the building caught fire`);
    assert.equal(await tileRequests(), tilesBefore, 'restyling must not reload tiles');
    fs.writeFileSync(L.artifact('wall-ingest-1920x1080.png'), onFire);

    // drill into the east district from its bar in the traffic-index panel
    await waitFor(page, () => window.echarts.getInstanceByDom(document.getElementById('chart-tpi'))
      .getOption().yAxis[0].data.includes('测试东区'));
    const bar = await page.evaluate(() => {
      const dom = document.getElementById('chart-tpi');
      const c = window.echarts.getInstanceByDom(dom);
      const i = c.getOption().yAxis[0].data.indexOf('测试东区');
      const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [2, i]);
      const r = dom.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    });
    const trendOf = () => page.evaluate(() => {
      const dom = document.getElementById('chart-trend');
      const s = window.echarts.getInstanceByDom(dom).getOption().series;
      const last = (d) => d[d.length - 1]?.[1] ?? null;
      return { place: dom.dataset.place, replay: dom.dataset.replay, tpi: last(s[0].data), parking: last(s[1].data) };
    });
    assert.equal((await trendOf()).place, 'city');
    assert.ok(Math.abs((await trendOf()).parking - 66.7) < 0.1, JSON.stringify(await trendOf()));
    await page.mouse.click(bar.x, bar.y);
    await waitFor(page, () => document.getElementById('vitals-place').textContent === '测试东区');
    await kpiIs(page, 'parking_occupancy', '90%');
    assert.equal(await kpi(page, 'water_above_warning'), '1', 'only the east station is in the east district');
    assert.equal(await text(page, '#water-count'), '1');
    assert.match(await text(page, '#water-list li'), /测试水位站东/);
    await waitFor(page, () => document.getElementById('chart-trend').dataset.place === 'district:t-east');
    const tr = await trendOf();
    assert.ok(Math.abs(tr.parking - 90) < 0.1, `the trend follows the district: ${JSON.stringify(tr)}`);
    assert.equal(await page.evaluate(() => window.citytwin.district()), 'district:t-east');
    await page.click('#btn-city');
    await waitFor(page, () => document.getElementById('chart-trend').dataset.place === 'city');
    assert.equal(await text(page, '#vitals-place'), '全市');
    assert.equal(await kpi(page, 'water_above_warning'), '2');

    // state B at least a minute after A (the slider moves by minutes); the
    // car parks did not change in between, so one minute back shows A's 67 %
    const wait = tA + 65000 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    await observe(srv.url, [['ws-t1', { level_m: 139.2 }], ['cp-t1', { free: 150, total: 200 }]]);
    await kpiIs(page, 'parking_occupancy', '23%');
    await kpiIs(page, 'water_above_warning', '1');

    // replay one minute back: the vitals of state A, a clear replay state
    assert.equal(await page.locator('#replay-slider').isDisabled(), false, 'the server names links.state');
    await page.locator('#replay-slider').focus();
    await page.keyboard.press('ArrowLeft');
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'replay');
    assert.equal(await page.locator('#replay-banner').isVisible(), true);
    assert.match(await text(page, '#replay-at'), /\d\d:\d\d/);
    assert.equal(await text(page, '#conn-text'), '历史回放');
    await kpiIs(page, 'parking_occupancy', '67%');
    assert.notEqual(await kpi(page, 'water_above_warning'), '—', 'the past vitals are shown whole');
    // the trend chart: the hour before that moment, from the history API
    await waitFor(page, () => document.getElementById('chart-trend').dataset.replay !== '');
    await waitFor(page, () => {
      const d = window.echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption().series[1].data;
      return d.length > 0 && Math.abs(d[d.length - 1][1] - 66.7) < 0.1;
    });
    fs.writeFileSync(L.artifact('wall-replay-1920x1080.png'), await page.screenshot());
    // back to live: the live values again
    await page.click('#btn-live');
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    await kpiIs(page, 'parking_occupancy', '23%');
    assert.equal(await kpi(page, 'water_above_warning'), '1');
    assert.equal(await page.locator('#replay-banner').isVisible(), false);
    assert.equal(await page.locator('#replay-slider').inputValue(), await page.locator('#replay-slider').getAttribute('max'));

    assert.deepEqual(problems.offOrigin, []);
    assert.deepEqual(problems.errors, []);
  } finally {
    await context.close();
    await L.stopServer(srv, assert);
  }
});

test('connection: a cut socket and a restarted server recover without a reload, nothing lost or doubled', { timeout: T * 3 }, async () => {
  const port = await L.freePort();
  const relay = await L.tcpRelay(0);
  const serve = () => L.startServer(city, ['--port', String(port), '--ws-port', '0', '--auth-db', city.auth,
    '--live', path.join(dir, 'live-restart.sqlite'), '--ws-public-url', `ws://127.0.0.1:${relay.port}/`]);
  let srv = await serve();
  relay.target(L.pushPort(srv));
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  const lists = () => page.evaluate(() => ({
    water: document.querySelectorAll('#water-list li:not(.empty)').length,
    incidents: document.querySelectorAll('#incident-list li.inc').length,
  }));
  // the page's open alerts and incidents are exactly the server's (polled:
  // freshness alerts may come and go on the engine's tick meanwhile)
  const sameAsServer = async (what) => {
    let last;
    for (let i = 0; i < 60; i++) {
      const [a, n] = await Promise.all([L.api(srv.url, 'GET', '/api/v1/alerts'), L.api(srv.url, 'GET', '/api/v1/incidents?open=1')]);
      const server = { alerts: a.json.alerts.filter((x) => x.status !== 'cleared').map((x) => x.id).sort(),
        incidents: (n.json.incidents ?? n.json).map((x) => x.id).sort() };
      const mine = await page.evaluate(() => ({
        alerts: [...window.citytwin.state.get('alerts')].filter(([, x]) => x.status !== 'cleared').map(([id]) => id).sort(),
        incidents: [...window.citytwin.state.get('incidents')].filter(([, x]) => x.open !== false).map(([id]) => id).sort() }));
      last = { server, mine };
      if (JSON.stringify(server) === JSON.stringify(mine)) return;
      await page.waitForTimeout(500);
    }
    assert.deepEqual(last.mine, last.server, `${what}: the page's alerts and incidents differ from the server's`);
  };
  try {
    await observe(srv.url, [['ws-t1', { level_m: 140.4 }], ['cp-t1', { free: 40, total: 200 }], ['cp-t2', { free: 80, total: 100 }]]);
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    assert.ok((await page.evaluate(() => window.citytwin.config().ws_url)).includes(`:${relay.port}/`));
    await waitFor(page, () => /\+0\.40 m/.test(document.getElementById('water-list').textContent));
    const seen0 = await lists();

    // 1. the network drops the socket and refuses new ones for a while
    const st0 = await page.evaluate(() => window.citytwin.live.getStatus());
    const outages = [];      // ranges of problems.errors logged while cut off on purpose
    let cut = problems.errors.length;
    relay.hold(true);
    relay.drop();
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'reconnecting');
    assert.match(await text(page, '#conn-text'), /^重连中 · 最后数据 \d\d:\d\d/, 'reconnecting shows the last data time');
    await observe(srv.url, [['ws-t1', { level_m: 140.8 }]]);   // missed while away
    relay.hold(false);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    outages.push([cut, problems.errors.length]);
    await waitFor(page, () => /\+0\.80 m/.test(document.getElementById('water-list').textContent));
    const st1 = await page.evaluate(() => window.citytwin.live.getStatus());
    assert.equal(st1.epoch, st0.epoch);
    assert.ok(st1.offset > st0.offset, `offset ${st1.offset} after resume, ${st0.offset} before`);
    assert.equal(st1.counters.snapshots, st0.counters.snapshots, 'a resume needs no new snapshot');
    assert.equal(st1.counters.resets, 0);
    assert.deepEqual(await lists(), seen0, 'nothing doubled by the resume');
    await sameAsServer('after the resume');

    // the server's "too slow" close (4008): reconnect, resume, ask less often
    const rates = (st) => Object.fromEntries(st.topics.filter((t) => t.max_rate_hz).map((t) => [t.topic, t.max_rate_hz]));
    assert.deepEqual(rates(st1), { traffic: 1, parking: 1 });
    cut = problems.errors.length;
    relay.closeWith(4008, 'too slow');
    await waitFor(page, () => window.citytwin.live.getStatus().counters.slowdowns === 1);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live'
      && window.citytwin.live.getStatus().counters.reconnects >= 2);
    const st4008 = await page.evaluate(() => window.citytwin.live.getStatus());
    assert.deepEqual(rates(st4008), { traffic: 0.5, parking: 0.5 });
    assert.equal(st4008.epoch, st1.epoch);
    outages.push([cut, problems.errors.length]);
    await observe(srv.url, [['ws-t1', { level_m: 140.9 }]]);
    await waitFor(page, () => /\+0\.90 m/.test(document.getElementById('water-list').textContent));
    assert.deepEqual(await lists(), seen0);

    // 2. the server process restarts (same ports, same history): new epoch
    const inc = await L.api(srv.url, 'POST', '/api/v1/incidents', { kind: 'fire', building: 'hb03', description: '测试火情' }, operator);
    assert.equal(inc.status, 201, inc.text);
    await waitFor(page, () => document.querySelectorAll('#incident-list li.inc').length === 1);
    const seen1 = await lists();
    cut = problems.errors.length;
    await L.stopServer(srv, assert);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'reconnecting');
    srv = await serve();
    relay.target(L.pushPort(srv));
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live', null, 90000);
    const st2 = await page.evaluate(() => window.citytwin.live.getStatus());
    assert.notEqual(st2.epoch, st1.epoch, 'a restarted server has a new epoch');
    assert.ok(st2.counters.resets >= 1, 'the old epoch cannot resume: reset, then snapshots');
    await observe(srv.url, [['cp-t1', { free: 10, total: 200 }]]);
    await waitFor(page, () => document.getElementById('parking-free').textContent === '90');   // 10 + 80 (west)
    assert.match(await text(page, '#water-list'), /\+0\.90 m/, 'the state before the restart is back');
    assert.deepEqual(await lists(), seen1, 'nothing lost or doubled across the restart');
    await sameAsServer('after the restart');
    outages.push([cut, problems.errors.length]);   // requests cut by the restart may fail late
    fs.writeFileSync(L.artifact('wall-restarted-1920x1080.png'), await page.screenshot());

    // the leader's view on a phone: the orange alert and the incident
    const phone = await L.watchedPage(browser, origin, { width: 390, height: 844 });
    await phone.page.goto(`${srv.url}leader`, { timeout: 60000 });
    await phone.page.waitForFunction(() => document.querySelectorAll('#incidents li').length === 1, null, { timeout: 60000 });
    await phone.page.waitForFunction(() => document.querySelector('[data-ind="parking_occupancy"] .ind-value')?.textContent === '70%',
      null, { timeout: 60000 });
    // the open red and orange alerts only: the water alert (orange) is one
    await phone.page.waitForFunction(() => /水位/.test(document.getElementById('alerts').textContent), null, { timeout: 60000 });
    const tags = await phone.page.locator('#alerts li .tag').evaluateAll((ts) => ts.map((t) => t.className));
    assert.ok(tags.length >= 1 && tags.every((c) => /lv-(red|orange)/.test(c)), tags.join());
    fs.writeFileSync(L.artifact('leader-390x844.png'), await phone.page.screenshot({ fullPage: true }));
    assert.deepEqual(phone.problems.errors, []);
    assert.deepEqual(phone.problems.offOrigin, []);
    await phone.context.close();

    assert.deepEqual(problems.offOrigin, []);
    // while the page is cut off on purpose the browser logs the refused
    // WebSocket handshakes and the requests the outage broke (tiles, the
    // effectiveness panel's refresh); nothing else may be logged, ever
    const expected = /^(WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/' failed|requestfailed: http:\/\/127\.0\.0\.1:\d+\/|Failed to load resource: net::ERR_(CONNECTION_RESET|CONNECTION_REFUSED|SOCKET_NOT_CONNECTED|EMPTY_RESPONSE))/;
    const others = problems.errors.filter((e, i) => !(outages.some(([a, b]) => i >= a && i < b) && expected.test(e)));
    assert.deepEqual(others, []);
  } finally {
    await context.close();
    await relay.close();
    await L.stopServer(srv, assert);
  }
});
