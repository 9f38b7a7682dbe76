// tests/browser/rescue.test.mjs: the rescue map (/rescue, issue 8) in
// headless Chromium against the real server on a generated city (5 %:
// roads, road nodes, fire stations, hydrants, buildings, their 3D tiles and
// base map). One case: an incident created over the API opens on the map
// with a plan of stations and ETAs, no console error and nothing off the
// origin; read-only until an operator token is entered; Dispatch on the
// recommended station moves the incident to "dispatched" (page and API);
// a second screen (the wall, opened before) sees the dispatch through the
// push and, after the arrival, both show the unit's planned ETA against
// its actual dispatch-to-arrival time (rescue plan row, wall effectiveness
// panel), matching GET /api/v1/rescue/evaluation; the incident's building
// is outlined and the routes drawn (recommended on top), building kinds in
// Chinese; the coverage areas drawn (the station's, the uncovered part);
// the wall replaying a time before the dispatch shows the evaluation as
// of then; the flow goes on to verification and closure from the page's
// buttons, all audited. /rescue without an incident lists the open ones
// (newest first, Chinese and English); the wall's rescue button during a
// replay opens the incident as it was then, its plan under the traffic of
// then, read only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const T = 300000;
let dir, city, browser;

before(async () => {
  dir = L.tmpDir('rescue');
  const gpkg = path.join(dir, 'city.gpkg'), store = path.join(dir, 'city.sqlite');
  L.run(['synth', '--scale', '0.05', '--quiet', '--out', gpkg, '--open', path.join(L.SRC, 'data/luoyang/luoyang_open.gpkg')]);
  L.run(['import', gpkg, '--store', store, '--quiet']);
  const tiles = path.join(dir, 'tiles'), basemap = path.join(dir, 'basemap');
  L.run(['tiles', '--store', store, '--out', tiles, '--basemap-out', basemap, '--jobs', '2', '--quiet']);
  city = { store, tiles, basemap };
  browser = await L.launch();
}, { timeout: T });

after(async () => { await browser?.close(); });

const api = L.api;

// A building whose centre lies on the road network: the incident's place.
async function incidentPlace(base) {
  const meta = await api(base, 'GET', '/api/v1/layers/buildings');
  assert.equal(meta.status, 200, meta.text);
  const [w, s, e, n] = meta.json.bbox;
  const cx = (w + e) / 2, cy = (s + n) / 2, d = 0.004;   // the middle of the city
  const r = await api(base, 'GET', `/api/v1/layers/buildings/items?limit=200&bbox=${cx - d},${cy - d},${cx + d},${cy + d}`);
  assert.equal(r.status, 200, r.text);
  for (const f of r.json.features) {
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const lon = ring.reduce((a, c) => a + c[0], 0) / ring.length, lat = ring.reduce((a, c) => a + c[1], 0) / ring.length;
    const ctx = await api(base, 'GET', `/api/v1/rescue/context?lon=${lon}&lat=${lat}`);
    if (ctx.status !== 200 || ctx.json.incident_building !== f.id) continue;
    const plan = await api(base, 'GET', `/api/v1/rescue/plan?lon=${lon}&lat=${lat}&k=3`);
    if (plan.status === 200 && plan.json.candidates.length >= 1) return { id: f.id, lon, lat, plan: plan.json };
  }
  throw new Error('no building on the road network among the first 200');
}

test('an incident on the rescue map: plan with ETAs, dispatch with an operator token', { timeout: T * 2 }, async () => {
  const auth = path.join(dir, 'auth.sqlite');
  const token = L.run(['token', 'create', '--role', 'operator', '--name', 'dispatcher-1', '--db', auth]).stdout.trim();
  assert.ok(token.length > 10, 'a token was printed');
  const srv = await L.startServer(city, ['--ws-port', '0', '--auth-db', auth]);
  const origin = new URL(srv.url).origin;
  const { context, page, problems } = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  const wall = await L.watchedPage(browser, origin, { width: 1920, height: 1080 });
  try {
    const place = await incidentPlace(srv.url);
    const created = await api(srv.url, 'POST', '/api/v1/incidents',
      { kind: 'fire', building: place.id, lon: place.lon, lat: place.lat, description: '测试火情 test fire' }, token);
    assert.equal(created.status, 201, created.text);
    const id = created.json.id;
    assert.equal(created.json.state, 'intake');

    await page.goto(`${srv.url}rescue?incident=${encodeURIComponent(id)}`, { timeout: 60000 });
    await L.waitForCity(page, T);
    // the plan: at least one station with an ETA, the recommended one first
    const rows = page.locator('#plan li.station');
    assert.ok(await rows.count() >= 1, 'the plan lists a station');
    const first = rows.first();
    assert.match(await first.getAttribute('class'), /best/);
    assert.equal(await first.getAttribute('data-station'), place.plan.candidates[0].id);
    assert.match((await first.locator('.eta-v').textContent()).trim(), /^\d+:\d\d$/);
    assert.equal((await page.locator('#inc-id').textContent()).trim(), id);
    assert.equal(await page.locator('#inc-state').getAttribute('data-state'), 'intake');
    // the incident's building is first among the buildings around, marked,
    // and outlined in 3D; every candidate's route is drawn, the
    // recommended one last (on top) and widest
    assert.equal(await page.locator('#buildings li.hit').count(), 1);
    // building kinds in Chinese (bkind.* keys), not the store's ids
    const kinds = (await page.locator('#buildings li .kind').allTextContents()).filter(Boolean);
    assert.ok(kinds.length >= 1 && kinds.every((k) => !/[a-z]/.test(k)), kinds.join(', '));
    // hydrants with distances; water sources / stations listed
    assert.ok(await page.locator('#water li:not(.empty)').count() >= 1, 'water sources or stations around');
    const drawn = await page.evaluate(() => window.citytwin.drawn());
    assert.equal(drawn.building, place.id);
    assert.ok(drawn.outline >= 3, `outline lines: ${drawn.outline}`);
    assert.deepEqual(drawn.routes.map((r) => r.id).sort(), place.plan.candidates.map((c) => c.id).sort());
    const top = drawn.routes[drawn.routes.length - 1];
    assert.equal(top.id, place.plan.candidates[0].id);
    assert.ok(top.recommended && drawn.routes.every((r) => r === top || r.width < top.width));
    // read-only without a token
    assert.equal(await first.locator('button.dispatch').isDisabled(), true);

    // the coverage overlay loads: the recommended station's 5-minute area
    // drawn (as many polygons as the API gives); in 1 minute part of the
    // city is out of reach: its area drawn too
    await page.locator('#cov-toggle').check();
    await page.waitForFunction(() => document.body.dataset.coverage === '1', null, { timeout: 60000 });
    assert.match(await page.locator('#cov-info').textContent(), /\d/);
    const areasReady = () => { const a = window.citytwin.drawn().areas; return a.station?.ready && a.uncovered?.ready; };
    await page.waitForFunction(areasReady, null, { timeout: 120000, polling: 500 });
    const reach = await api(srv.url, 'GET', `/api/v1/rescue/coverage?minutes=5&station=${place.plan.candidates[0].id}`);
    assert.equal(reach.status, 200, reach.text);
    let areas = (await page.evaluate(() => window.citytwin.drawn())).areas;
    assert.ok(areas.station.polygons >= 1);
    assert.equal(areas.station.polygons, reach.json.area.coordinates.length);
    await page.evaluate(() => window.citytwin.coverage(1));
    await page.waitForFunction(areasReady, null, { timeout: 120000, polling: 500 });
    const gaps = await api(srv.url, 'GET', '/api/v1/rescue/coverage?minutes=1&area=1&geometry=1');
    assert.equal(gaps.status, 200, gaps.text);
    areas = (await page.evaluate(() => window.citytwin.drawn())).areas;
    assert.ok(areas.uncovered.polygons >= 1, JSON.stringify(areas));
    assert.equal(areas.uncovered.polygons, gaps.json.uncovered_area.coordinates.length);
    await page.evaluate(() => window.citytwin.coverage(5));

    // a second screen: the wall, its effectiveness panel loaded before the dispatch
    await wall.page.goto(srv.url, { timeout: 60000 });
    await wall.page.waitForFunction(() => document.getElementById('effect-panel')?.dataset.loaded === '1',
      null, { timeout: 120000, polling: 500 });
    assert.equal(await wall.page.locator(`#effect-panel li[data-id="${id}"]`).count(), 0, 'not dispatched yet');

    // sign in and dispatch the recommended station
    await page.fill('#token', token);
    await page.click('#btn-token');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('citytwin.operator_token')) !== null, true);
    await page.locator('#plan li.station.best button.dispatch').click();
    await page.waitForFunction(() => document.getElementById('inc-state').dataset.state === 'dispatched',
      null, { timeout: 60000 });
    assert.match(await page.locator('#timeline').textContent(), /派遣/);
    assert.equal(await page.locator('#plan li.station.best button.dispatch').isDisabled(), true, 'a sent station cannot be sent twice');
    const after = await api(srv.url, 'GET', `/api/v1/incidents/${id}`);
    assert.equal(after.status, 200, after.text);
    assert.equal(after.json.state, 'dispatched');
    assert.deepEqual(after.json.units, [place.plan.candidates[0].id]);
    assert.ok(after.json.audit.some((a) => a.action === 'dispatch' && a.actor === 'dispatcher-1'), JSON.stringify(after.json.audit));
    // the plan's ETA was stored for the unit sent
    const best = place.plan.candidates[0];
    assert.ok(Math.abs(after.json.assignments[0].planned_eta_s - best.eta_s) < 0.5, JSON.stringify(after.json.assignments));
    // the other screen saw it through the push (the incidents topic)
    const row = `#effect-panel li[data-id="${id}"]`;
    await wall.page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'dispatched',
      row, { timeout: 60000, polling: 250 });

    // another screen records the arrival: the page follows through the live feed
    const arr = await api(srv.url, 'POST', `/api/v1/incidents/${id}/actions`, { action: 'arrive' }, token);
    assert.equal(arr.status, 200, arr.text);
    await page.waitForFunction(() => document.getElementById('inc-state').dataset.state === 'handling',
      null, { timeout: 60000 });
    // planned against actual for that unit: the API, the rescue page, the wall
    const ev = await api(srv.url, 'GET', '/api/v1/rescue/evaluation');
    assert.equal(ev.status, 200, ev.text);
    const unit = ev.json.units.find((u) => u.incident === id);
    assert.equal(unit.unit, best.id);
    assert.ok(unit.dispatch_to_arrival_s >= 0);
    const mmss = (s) => { const v = Math.round(Math.abs(s)); return `${Math.floor(v / 60)}:${String(v % 60).padStart(2, '0')}`; };
    const ue = page.locator(`#plan li.station.best .unit-eval[data-unit="${best.id}"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.arrived === '1',
      `#plan li.station.best .unit-eval[data-unit="${best.id}"]`, { timeout: 60000 });
    const ueText = await ue.textContent();
    assert.ok(ueText.includes(`计划 ${mmss(unit.planned_eta_s)}`), ueText);
    assert.ok(ueText.includes(`实际 ${mmss(unit.dispatch_to_arrival_s)}`), ueText);
    await wall.page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'handling',
      row, { timeout: 60000, polling: 250 });
    const w = wall.page.locator(row);
    assert.equal(await w.getAttribute('data-station'), best.id);
    assert.equal((await w.locator('.eff-plan').textContent()).trim(), `计划 ${mmss(unit.planned_eta_s)}`);
    assert.equal((await w.locator('.eff-act').textContent()).trim(), `实际 ${mmss(unit.dispatch_to_arrival_s)}`);
    assert.match((await w.locator('.eff-err').textContent()).trim(), /^[+−]\d+:\d\d$/);
    const st = ev.json.stations.find((x) => x.station === best.id);
    assert.equal(st.count, 1);
    assert.equal(st.arrived, 1);
    assert.equal(Number(await wall.page.locator('#effect-panel').getAttribute('data-count')), ev.json.count);
    // replaying a time before the dispatch: the panel shows the figures as
    // of then (not this dispatch) and says so; back to live, live again
    const intake = Date.parse(created.json.times.intake);
    await wall.page.evaluate((at) => window.citytwin.state.startReplay(at, {}), intake);
    await wall.page.waitForFunction((at) => document.getElementById('effect-panel').dataset.at === at,
      new Date(intake).toISOString(), { timeout: 60000, polling: 250 });
    assert.equal(await wall.page.locator(row).count(), 0, 'not dispatched yet at the replayed time');
    assert.match(await wall.page.locator('#effect-panel .eff-asof').textContent(), /^回放 \d\d:\d\d 时$/);
    await wall.page.evaluate(() => window.citytwin.state.endReplay());
    await wall.page.waitForFunction(() => document.getElementById('effect-panel').dataset.at === '',
      null, { timeout: 60000, polling: 250 });
    assert.equal(await wall.page.locator(row).count(), 1);
    assert.equal(await wall.page.locator('#effect-panel .eff-asof').count(), 0);
    fs.writeFileSync(L.artifact('rescue-wall-effect.png'), await wall.page.locator('#p-incidents').screenshot({ timeout: T }));
    // the wall's button leads here
    assert.match(await wall.page.locator('#btn-rescue').getAttribute('href'), /^\/rescue/);
    assert.deepEqual(wall.problems.errors, []);

    // the rest of the flow from the rescue map's buttons: verify, close
    for (const [action, state] of [['verify', 'verification'], ['close', 'closed']]) {
      await page.locator(`#flow button[data-action="${action}"]`).click();
      await page.waitForFunction((s) => document.getElementById('inc-state').dataset.state === s,
        state, { timeout: 60000 });
    }
    const closed = await api(srv.url, 'GET', `/api/v1/incidents/${id}`);
    assert.deepEqual(closed.json.audit.map((a) => a.action), ['intake', 'dispatch', 'arrive', 'verify', 'close']);
    assert.ok(closed.json.audit.slice(3).every((a) => a.actor === 'dispatcher-1'));

    await page.waitForTimeout(3000);
    await page.evaluate(() => window.citytwin.requestRender());
    await page.waitForFunction(() => document.body.dataset.tilesLoaded === '1', null, { timeout: T });
    await page.waitForTimeout(2000);
    fs.writeFileSync(L.artifact('rescue-1920x1080.png'), await page.screenshot({ timeout: T }));
    // English on the toggle
    await page.click('#btn-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal((await page.locator('#p-plan h2').textContent()).trim(), 'Recommended fire stations');
    assert.equal((await page.locator('#inc-state').textContent()).trim(), 'Closed');
    assert.deepEqual(problems.offOrigin, []);
    assert.deepEqual(problems.errors, []);

    // /rescue naming no incident: the open ones to pick from, newest
    // first, Chinese first with English (whatever the page's language),
    // big rows; the closed one is not among them
    const more = [];
    for (const [kind, what] of [['accident', '测试事故 A'], ['fire', '测试火情 B']]) {
      const c = await api(srv.url, 'POST', '/api/v1/incidents', { kind, lon: place.lon, lat: place.lat, description: what }, token);
      assert.equal(c.status, 201, c.text);
      more.push(c.json.id);
    }
    await page.goto(`${srv.url}rescue`, { timeout: 60000 });
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
    const links = page.locator('#pick-list a.pick-link');
    assert.deepEqual(await links.evaluateAll((as) => as.map((a) => a.dataset.id)), [more[1], more[0]]);
    assert.equal((await links.first().locator('.pick-kind').textContent()).trim(), '火灾 Fire');
    assert.equal((await links.first().locator('.pick-state').textContent()).trim(), '受理 Intake');
    assert.equal(await links.first().getAttribute('href'), `/rescue?incident=${encodeURIComponent(more[1])}`);
    assert.ok(parseFloat(await links.first().evaluate((a) => getComputedStyle(a).fontSize)) >= 28, 'readable from afar (2rem: 30 px at 1080p)');
    fs.writeFileSync(L.artifact('rescue-pick.png'), await page.screenshot({ timeout: T }));
    // the wall's rescue button during a replay carries the replayed time;
    // picked there, the rescue map shows the incident as it was then (not
    // yet dispatched), the plan under the traffic of then, read only
    const then = new Date(intake + 500).toISOString();
    await wall.page.evaluate((at) => window.citytwin.state.startReplay(at, {}), intake + 500);
    await wall.page.focus('#btn-rescue');
    const href = await wall.page.locator('#btn-rescue').getAttribute('href');
    assert.equal(new URL(href, srv.url).searchParams.get('at'), then, href);
    await wall.page.evaluate(() => window.citytwin.state.endReplay());
    await page.goto(new URL(href, srv.url).href, { timeout: 60000 });
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 60000 });
    assert.deepEqual(await links.evaluateAll((as) => as.map((a) => a.dataset.id)), [id], 'open at that time');
    assert.match(await page.locator('#pick .pick-head').textContent(), /回放.*replay/);
    await Promise.all([page.waitForURL(/[?&]incident=/, { timeout: 60000 }), links.first().click()]);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120000 });
    assert.equal(new URL(page.url()).searchParams.get('incident'), id);
    assert.equal(await page.locator('#inc-state').getAttribute('data-state'), 'intake');
    assert.equal(await page.locator('#asof').getAttribute('data-at'), then);
    assert.ok(await page.locator('#asof').isVisible());
    assert.equal(await page.locator('#btn-live').getAttribute('href'), `/rescue?incident=${encodeURIComponent(id)}`);
    assert.equal(await page.evaluate(() => window.citytwin.plan()?.at), then);
    assert.ok(await page.locator('#plan li.station button.dispatch').count() >= 1);
    for (const b of await page.locator('#plan li.station button.dispatch').all()) assert.equal(await b.isDisabled(), true);
    fs.writeFileSync(L.artifact('rescue-replay.png'), await page.screenshot({ timeout: T }));
    assert.deepEqual(problems.errors, []);
  } finally {
    await wall.context.close();
    await context.close();
    await L.stopServer(srv, assert);
  }
});
