// tests/browser/wall_pick.test.mjs: what an operator does with the mouse on
// the wall's map, and the unattended tour, against the real server with
// its live engine and push (quiet: every value is the test's own).
// One page, scenes in the order a duty shift might meet them:
//  1. the tour: the button starts it, it moves the camera to a district
//     and the panels follow; a key press stops it and it stays stopped;
//  2. building picking: a click on a building's roof shows its id, name
//     and height;
//  3. map-click drill-down: from the whole city, a click on open ground in
//     the other district drills into it (camera, panels);
//  4. a click on a road shows its panel with its live state; in replay the
//     open panel switches to the road as it was then and the map draws
//     it in its colour then; a car park clicked in replay shows its past
//     occupancy, not the live one; back to live, the live values again.
// Positions on screen come from Cesium's own projection of known
// coordinates (tests/browser/lib.mjs LIVE_ITEMS, the fixture buildings).
// Software WebGL is slow here: generous timeouts, no timing assertions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const T = 240000;
let dir, city, browser, feeder;

before(async () => {
  dir = L.tmpDir('wall-pick');
  city = L.buildCity(dir);
  city.auth = path.join(dir, 'auth.sqlite');
  feeder = L.run(['token', 'create', '--role', 'feeder', '--name', 'gauges', '--db', city.auth]).stdout.trim();
  browser = await L.launch();
}, { timeout: T });

after(async () => { await browser?.close(); });

const text = (page, sel) => page.locator(sel).first().textContent().then((s) => s.trim());
const waitFor = (page, fn, arg, timeout = 60000) => page.waitForFunction(fn, arg, { timeout, polling: 200 });

// Where lon/lat/height is on the page (CSS pixels), through Cesium.
const screenOf = (page, box, [lon, lat, h]) => page.evaluate(([lon, lat, h]) => {
  const C = window.Cesium;
  const p = C.SceneTransforms.worldToWindowCoordinates(window.citytwin.viewer().scene, C.Cartesian3.fromDegrees(lon, lat, h));
  return p ? { x: p.x, y: p.y } : null;
}, [lon, lat, h]).then((p) => p && { x: box.x + p.x, y: box.y + p.y });

// Click the map at a page point, after checking the map itself is there
// (not a panel or overlay on top of it).
async function clickMap(page, box, pt, what) {
  assert.ok(pt && pt.x > box.x && pt.x < box.x + box.width && pt.y > box.y && pt.y < box.y + box.height,
    `${what} is on the map: ${JSON.stringify(pt)} in ${JSON.stringify(box)}`);
  const tag = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.tagName, [pt.x, pt.y]);
  assert.equal(tag, 'CANVAS', `${what}: the map is not covered at that point`);
  await page.mouse.click(pt.x, pt.y);
}

// The colour (r,g,b; alpha says stale or not) the page draws an item in,
// and a CSS colour the same way, both through Cesium's parser.
const rgbOf = (page, css) => page.evaluate((c) => {
  const x = window.Cesium.Color.fromCssColorString(c);
  return [x.red, x.green, x.blue].map((v) => Math.round(v * 255)).join(',');
}, css);
const drawnAs = (page, layer, id, rgb) => page.waitForFunction(([l, i, rgb]) => {
  const c = window.citytwin.layers.colourOf(l, i);
  if (!c) return false;
  const x = window.Cesium.Color.fromCssColorString(c);
  return [x.red, x.green, x.blue].map((v) => Math.round(v * 255)).join(',') === rgb;
}, [layer, id, rgb], { timeout: 60000, polling: 200 });

// The camera's position once a flight has ended (two samples a second apart agree).
async function cameraAtRest(page) {
  const at = () => page.evaluate(() => {
    const w = window.citytwin.viewer();
    w.scene.requestRender();
    const p = w.camera.positionWC;
    return [p.x, p.y, p.z];
  });
  let a = await at();
  for (let i = 0; i < 90; i++) {
    await page.waitForTimeout(1000);
    const b = await at();
    if (dist(a, b) < 0.5) return b;
    a = b;
  }
  throw new Error('the camera did not come to rest in 90 s');
}
const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

// Where to click in each test district (tests/browser/lib.mjs LIVE_ITEMS):
// a fixture building (hbNN: 0.004° squares, 10 + NN metres tall, roof
// centre), open ground at a street crossing, its street, its car park.
const SPOTS = {
  'district:t-west': { name: '测试西区', building: ['hb22', '测试楼22', 32, [112.422, 34.642]],
    ground: [112.417, 34.637, 0], road: ['rd-t-w', '测试西街', [112.408, 34.607, 1]], park: 'cp-t2' },
  'district:t-east': { name: '测试东区', building: ['hb23', '测试楼23', 33, [112.432, 34.642]],
    ground: [112.437, 34.637, 0], road: ['rd-t-e', '测试东街', [112.439, 34.607, 1]], park: 'cp-t1' },
};

test('tour, building picking, map-click drill-down, a road and a car park live and in replay', { timeout: T * 3 }, async () => {
  const srv = await L.startServer(city, ['--ws-port', '0', '--auth-db', city.auth, '--live', path.join(dir, 'live-pick.sqlite')]);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  try {
    await page.goto(srv.url, { timeout: 60000 });
    await L.waitForCity(page, T);
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    const box = await L.mapBox(page);
    const cityView = await cameraAtRest(page);
    assert.equal(await page.evaluate(() => window.citytwin.district()), null);

    // 1. the tour: whole city first, then a district after the dwell time
    await page.click('#btn-tour');
    assert.match(await page.getAttribute('#btn-tour', 'class'), /\bon\b/, 'the tour button shows it runs');
    await waitFor(page, () => window.citytwin.district() !== null, undefined, 90000);
    const d1 = await page.evaluate(() => window.citytwin.district());
    assert.ok(SPOTS[d1], `the tour shows a test district: ${d1}`);
    await waitFor(page, (n) => document.getElementById('vitals-place').textContent === n, SPOTS[d1].name);
    const d1View = await cameraAtRest(page);
    assert.ok(dist(cityView, d1View) > 100, `the tour moved the camera (${dist(cityView, d1View).toFixed(0)} m)`);
    // any key stops it (the button no longer lit), and it stays stopped
    await page.keyboard.press('Shift');
    const stoppedAt = Date.now();
    assert.doesNotMatch(await page.getAttribute('#btn-tour', 'class'), /\bon\b/, 'a key press stops the tour');
    const dwellMs = await page.evaluate(() => window.citytwin.config().tour.dwell_s * 1000);

    // 2. building picking: a click on the roof of the district's building
    const [bid, bname, bheight, [blon, blat]] = SPOTS[d1].building;
    await clickMap(page, box, await screenOf(page, box, [blon, blat, bheight - 1]), `the roof of ${bid}`);
    await waitFor(page, (n) => document.getElementById('details-title').textContent === n, bname);
    const bBody = await text(page, '#details-body');
    assert.match(bBody, new RegExp(`${bid}`), 'the building panel names its id');
    assert.match(bBody, new RegExp(`${bheight}\\.0 m`), 'and its height');
    assert.equal(await page.locator('#details').isVisible(), true);

    // the stopped tour did not go on to the next stop
    const left = stoppedAt + dwellMs + 2000 - Date.now();
    if (left > 0) await page.waitForTimeout(left);
    assert.equal(await page.evaluate(() => window.citytwin.district()), d1, 'the tour stayed stopped');
    assert.equal(await text(page, '#vitals-place'), SPOTS[d1].name);
    await page.click('#details-close');

    // 3. map-click drill-down: back to the whole city, click open ground in the other district
    await page.click('#btn-city');
    await waitFor(page, () => window.citytwin.district() === null);
    const wholeView = await cameraAtRest(page);
    const d2 = Object.keys(SPOTS).find((d) => d !== d1);
    await clickMap(page, box, await screenOf(page, box, SPOTS[d2].ground), `open ground in ${d2}`);
    await waitFor(page, (d) => window.citytwin.district() === d, d2);
    await waitFor(page, (n) => document.getElementById('vitals-place').textContent === n, SPOTS[d2].name);
    assert.equal(await page.locator('#btn-city').isVisible(), true, '"whole city" is offered');
    assert.equal(await page.locator('#details').isVisible(), false, 'open ground opens no details');
    const d2View = await cameraAtRest(page);
    assert.ok(dist(wholeView, d2View) > 100, 'the camera flew to the district');

    // 4. a road: live first. Two readings of its street and car park, one
    // 150 s ago and one now (the replay below goes 2 minutes back: between them)
    const [rid, rname, rmid] = SPOTS[d2].road, park = SPOTS[d2].park;
    const now = Date.now(), then = now - 150000;
    const obs = [[then, 12, 20], [now, 70, 150]].flatMap(([t, speed, free]) => [
      { entity: rid, time: new Date(t).toISOString(), values: { speed_kmh: speed } },
      { entity: park, time: new Date(t).toISOString(), values: { free, total: 200 } }]);
    const r = await L.api(srv.url, 'POST', '/api/v1/observations', obs, feeder);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.accepted, 4, r.text);
    await waitFor(page, ([id]) => window.citytwin.state.entity('traffic', id)?.speed_kmh === 70, [rid]);
    const levels = await page.evaluate(() => window.citytwin.config().style.road_levels);
    const smooth = await rgbOf(page, levels.smooth), moderate = await rgbOf(page, levels.moderate);
    await drawnAs(page, 'roads', rid, smooth);
    await clickMap(page, box, await screenOf(page, box, rmid), `the street ${rid}`);
    await waitFor(page, (n) => document.getElementById('details-title').textContent === n, rname);
    let body = await text(page, '#details-body');
    assert.match(body, new RegExp(rid));
    assert.match(body, /道路拥堵/, 'the panel names the layer');
    assert.match(body, /speed_kmh\s*70/, `the live speed: ${body}`);

    // replay 2 minutes back: the open road panel follows to that moment
    await page.locator('#replay-slider').focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'replay');
    await waitFor(page, (t) => window.citytwin.state.replayAt() < t, now - 100000);
    await waitFor(page, () => document.getElementById('details').dataset.at === String(window.citytwin.state.replayAt()));
    body = await text(page, '#details-body');
    assert.match(body, /回放时刻/, `the panel says it shows the replayed moment: ${body}`);
    assert.match(body, /speed_kmh\s*12(?!\d)/, `the road as it was: ${body}`);
    assert.doesNotMatch(body, /speed_kmh\s*70/);
    assert.doesNotMatch(body, /暂无数据/, 'not "no data"');
    // the map draws the street as it was then (12 km/h: moderate), not as now
    await drawnAs(page, 'roads', rid, moderate);
    // a car park clicked in replay: its occupancy then (90 %), not now (25 %)
    await page.click('#details-close');
    const pp = await page.evaluate((id) => window.citytwin.layers.windowPos('car_parks', id), park);
    await clickMap(page, box, pp && { x: box.x + pp.x, y: box.y + pp.y }, `the car park ${park}`);
    await waitFor(page, (id) => document.getElementById('details-body').textContent.includes(id)
      && document.getElementById('details').dataset.at !== '', park);
    body = await text(page, '#details-body');
    assert.match(body, /free\s*20(?!\d)/, `the car park as it was: ${body}`);
    assert.match(body, /occupancy\s*0\.90(?!\d)/, body);
    await drawnAs(page, 'car_parks', park, await rgbOf(page, '#ffd60a'));   // 90 % then: yellow
    fs.writeFileSync(L.artifact('wall-pick-replay-1920x1080.png'), await page.screenshot());
    // back to live: the open panel shows the live values again
    await page.click('#btn-live');
    await waitFor(page, () => document.querySelector('#conn').dataset.state === 'live');
    await waitFor(page, () => /free\s*150/.test(document.getElementById('details-body').textContent));
    assert.doesNotMatch(await text(page, '#details-body'), /回放时刻/);
    await drawnAs(page, 'roads', rid, smooth);
    await drawnAs(page, 'car_parks', park, await rgbOf(page, '#34c759'));   // 25 %: green

    assert.deepEqual(problems.offOrigin, []);
    assert.deepEqual(problems.errors, []);
  } finally {
    await context.close();
    await L.stopServer(srv, assert);
  }
});
