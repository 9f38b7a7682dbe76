// tests/integration/replay_entity.test.mjs: one entity as it was at a past
// time, GET /api/v1/entities/{id}/state?at=T (the wall's replay of a road,
// car park or water station), against the real server (sanitizer build) on
// a tiny store (the HTTP fixture's roads, one car park, one water station).
// Observations go in through POST /api/v1/observations at known past
// times; the answers are checked before the first one, between them,
// inside and beyond the freshness window, for an unknown entity and for
// bad or future times; and the same for whole topics,
// GET /api/v1/state?at=T&topics=traffic,parking,water.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { BIN, SRC, createToken, iso, req, startServer, stopServer, tmpdir } from "./live_lib.mjs";

const TMP = tmpdir("replay-entity");
const AUTH = path.join(TMP, "auth.sqlite");
let FEED, srv, base, K;
// every observation 40 minutes back, a minute apart (roads: 60 s period,
// stale after K periods, K from the thresholds the server uses; water
// stations: their own 300 s)
const T0 = Date.now() - 40 * 60000;

function importLayer(store, name, features) {
  const f = path.join(TMP, `${name}.geojson`);
  fs.writeFileSync(f, JSON.stringify({ type: "FeatureCollection", name, features }));
  const r = spawnSync(BIN, ["import", f, "--store", store, "--quiet"], { encoding: "utf8", timeout: 120000 });
  assert.equal(r.status, 0, `import ${name}: ${r.stderr}`);
}

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  const store = path.join(TMP, "city.sqlite");
  const r = spawnSync(BIN, ["import", path.join(SRC, "tests/fixtures/http/roads.geojson"), "--store", store,
    "--quiet"], { encoding: "utf8", timeout: 120000 });
  assert.equal(r.status, 0, "import roads: " + r.stderr);
  const pt = (props, at) => ({ type: "Feature", properties: props, geometry: { type: "Point", coordinates: at } });
  importLayer(store, "car_parks", [pt({ id: "cp-r1", name: "回放停车场", capacity: 200 }, [112.42, 34.66])]);
  importLayer(store, "water_stations", [pt({ id: "ws-r1", name: "回放水位站", station_type: "river",
    warning_level: 140, guarantee_level: 141, period_s: 300 }, [112.43, 34.66])]);
  FEED = createToken(AUTH, "feeder", "replay-feed");
  srv = startServer(["--store", store, "--auth-db", AUTH, "--live", path.join(TMP, "live.sqlite")]);
  base = await srv.ready;
  K = (await req(base, "GET", "/api/v1/config")).json.thresholds?.freshness?.stale_after_periods ?? 2;
  const obs = [
    { entity: "hr1", time: iso(T0), values: { speed_kmh: 55, flow_vph: 900, occupancy: 0.3 } },
    { entity: "hr1", time: T0 + 60000, values: { speed_kmh: 8 } },   // epoch ms, speed only
    { entity: "cp-r1", time: iso(T0), values: { free: 30, total: 200 } },
    { entity: "ws-r1", time: iso(T0), values: { level_m: 139.6 } },
  ];
  const p = await req(base, "POST", "/api/v1/observations", { body: obs, token: FEED });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.accepted, 4, p.text);
});

after(async () => { if (srv) await stopServer(srv); });

const at = (id, t) => req(base, "GET", `/api/v1/entities/${encodeURIComponent(id)}/state?at=${encodeURIComponent(t)}`);

test("a road at several past times: latest at or before T, fresh, then stale; nothing before the first", async () => {
  // between the two readings: the first, 30 s old, fresh
  let r = await at("hr1", iso(T0 + 30000));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.speed_kmh, 55);
  assert.equal(r.json.stale, false);
  assert.equal(r.json.age_s, 30);
  assert.equal(r.json.window_s, 60 * K);
  assert.equal(r.json.history, "raw");
  assert.equal(r.json.kind, "traffic");
  assert.equal(Date.parse(r.json.t), T0);
  assert.equal(Date.parse(r.json.at), T0 + 30000);
  // the second reading (speed only; the flow comes from the first), as epoch ms
  r = await at("hr1", String(T0 + 90000));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.speed_kmh, 8);
  assert.equal(r.json.flow_vph, 900);
  assert.equal(r.json.level, "severe");
  assert.equal(Date.parse(r.json.t), T0 + 60000);
  // the same moment with a +08:00 offset is the same answer
  const cst = new Date(T0 + 90000 + 8 * 3600000).toISOString().replace("Z", "+08:00");
  assert.equal((await at("hr1", cst)).json.speed_kmh, 8);
  // at the window's edge still fresh; a second later stale, its values
  // kept, and a note why
  assert.equal((await at("hr1", iso(T0 + 60000 + 60000 * K))).json.stale, false);
  r = await at("hr1", iso(T0 + 60000 + 60000 * K + 1000));
  assert.equal(r.json.stale, true);
  assert.equal(r.json.speed_kmh, 8);
  assert.equal(r.json.age_s, 60 * K + 1);
  assert.match(r.json.note, new RegExp(`stale.* ${60 * K + 1} s.* ${60 * K} s`));
  // before the first reading: no data, said so
  r = await at("hr1", iso(T0 - 1000));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.stale, true);
  assert.equal(r.json.speed_kmh, null);
  assert.equal(r.json.t, null);
  assert.equal(r.json.history, "none");
  assert.match(r.json.note, /no observation of hr1/);
  // a road that never reported
  assert.equal((await at("hr2", iso(T0 + 30000))).json.history, "none");
  // without at: the live state, unchanged
  r = await req(base, "GET", "/api/v1/entities/hr1/state");
  assert.equal(r.status, 200);
  assert.equal(r.json.speed_kmh, 8);
  assert.equal(r.json.at, undefined);
});

test("a car park and a water station at a past time: their derived state", async () => {
  let r = await at("cp-r1", iso(T0 + 60000));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.kind, "parking");
  assert.equal(r.json.occupancy, 0.85);
  assert.equal(r.json.status, "spacesAvailable");
  r = await at("ws-r1", iso(T0 + 240000));   // 4 min: inside K x 300 s
  assert.equal(r.json.kind, "water");
  assert.equal(r.json.state, "normal");
  assert.ok(Math.abs(r.json.above_warning_m + 0.4) < 1e-9, String(r.json.above_warning_m));
  assert.equal(r.json.stale, false);
  assert.equal(r.json.window_s, 300 * K);
  r = await at("ws-r1", iso(T0 + 300000 * K + 60000));
  assert.equal(r.json.stale, true);
});

test("state?at=T&topics=: the map's layers as they were, one read for all", async () => {
  let r = await req(base, "GET", `/api/v1/state?at=${encodeURIComponent(iso(T0 + 90000))}&topics=traffic,parking,water`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.traffic.hr1.speed_kmh, 8);
  assert.equal(r.json.traffic.hr1.flow_vph, 900);
  assert.equal(r.json.traffic.hr1.stale, false);
  assert.equal(r.json.traffic.hr2, undefined, "a road that never reported is left out (no data)");
  assert.equal(r.json.parking["cp-r1"].occupancy, 0.85);
  assert.equal(r.json.water["ws-r1"].state, "normal");
  assert.ok(r.json.vitals && r.json.alerts, "the replayed state is still there");
  // without topics: as before, no entity topics
  r = await req(base, "GET", `/api/v1/state?at=${encodeURIComponent(iso(T0 + 90000))}`);
  assert.equal(r.json.traffic, undefined);
  // before the first reading: empty topics
  r = await req(base, "GET", `/api/v1/state?at=${T0 - 1000}&topics=traffic`);
  assert.deepEqual(r.json.traffic, {});
  assert.equal(r.json.parking, undefined);
  r = await req(base, "GET", `/api/v1/state?at=${T0}&topics=traffic,vitals`);
  assert.equal(r.status, 400);
  assert.match(r.json.message ?? r.text, /'vitals' is not an observed topic/);
  r = await req(base, "GET", "/api/v1/state?topics=traffic");
  assert.equal(r.status, 400);
  assert.match(r.json.message ?? r.text, /topics= goes with at=/);
});

test("errors name the input: unknown entity 404, bad or future time 400, unknown parameter 400", async () => {
  let r = await at("no-such-road", iso(T0));
  assert.equal(r.status, 404);
  assert.match(r.json.message ?? r.text, /no-such-road/);
  r = await at("hr1", "yesterday");
  assert.equal(r.status, 400);
  assert.match(r.json.message ?? r.text, /at 'yesterday'/);
  r = await at("hr1", iso(Date.now() + 3600000));
  assert.equal(r.status, 400);
  assert.match(r.json.message ?? r.text, /after the server's clock/);
  r = await req(base, "GET", "/api/v1/entities/hr1/state?when=now");
  assert.equal(r.status, 400);
  assert.match(r.json.message ?? r.text, /when/);
});
