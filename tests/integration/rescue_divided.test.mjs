// tests/integration/rescue_divided.test.mjs: routing over a divided road
// through the real server (docs/RESCUE.md, "Divided roads"). The store is
// built by the real import from GeoJSON written here: an east-west road
// of two one-way carriageways 20 m apart (S eastbound at 60 km/h, N
// westbound at 40 km/h, one of N's pieces digitised against its driving
// direction), three two-way cross streets (30 km/h) whose short middle
// pieces are the only ways across the median, and one fire station.
// Checked against the geometry written here, not against the server's
// own graph: each direction drives its own carriageway at its own speed;
// a point beside the wrong carriageway starts or ends on the other one
// (never by crossing the median between junctions); every step of every
// drawn route runs along a road, in a direction that road allows. At a
// past time (at=, a replay): route, plan and coverage use the speeds
// observed then (a jam on S 20 minutes ago), not those of now.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { BIN, createToken, iso, req, startServer, stopServer, tmpdir } from "./live_lib.mjs";

const TMP = tmpdir("rescue-divided");
const LON0 = 112.45, LAT0 = 34.62, R = 6371008.8;
const KY = R * Math.PI / 180, KX = KY * Math.cos(LAT0 * Math.PI / 180);
const ll = ([x, y]) => [LON0 + x / KX, LAT0 + y / KY];   // local metres -> lon/lat
const xy = ([lon, lat]) => [(lon - LON0) * KX, (lat - LAT0) * KY];

// Roads in local metres, digitised from the first point to the last.
// oneway 1: along; -1: against; 0: both.
const ROADS = [
  { id: "S1", pts: [[0, 0], [600, 0]], oneway: 1, kmh: 60, cls: "arterial" },
  { id: "S2", pts: [[600, 0], [1200, 0]], oneway: 1, kmh: 60, cls: "arterial" },
  { id: "N1", pts: [[600, 20], [0, 20]], oneway: 1, kmh: 40, cls: "arterial" },
  { id: "N2", pts: [[600, 20], [1200, 20]], oneway: -1, kmh: 40, cls: "arterial" },
];
for (const x of [0, 600, 1200]) {
  ROADS.push({ id: `C${x}s`, pts: [[x, -300], [x, 0]], oneway: 0, kmh: 30, cls: "local" });
  ROADS.push({ id: `C${x}m`, pts: [[x, 0], [x, 20]], oneway: 0, kmh: 30, cls: "local" });
  ROADS.push({ id: `C${x}n`, pts: [[x, 20], [x, 320]], oneway: 0, kmh: 30, cls: "local" });
}
const byId = Object.fromEntries(ROADS.map((r) => [r.id, r]));
const STATION = { id: "fire-div-1", at: [1200, -300] };

let srv, base, FEED;

function writeLayer(file, name, features) {
  fs.writeFileSync(path.join(TMP, file), JSON.stringify({ type: "FeatureCollection", name, features }));
}

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  writeLayer("roads.geojson", "roads", ROADS.map((r) => ({
    type: "Feature",
    properties: { id: r.id, name: r.id, class: r.cls, oneway: r.oneway, speed_kmh: r.kmh },
    geometry: { type: "LineString", coordinates: r.pts.map(ll) },
  })));
  writeLayer("fire_stations.geojson", "fire_stations", [{
    type: "Feature", properties: { id: STATION.id, name: "分隔路消防站", engines: 2 },
    geometry: { type: "Point", coordinates: ll(STATION.at) },
  }]);
  const store = path.join(TMP, "city.sqlite");
  const r = spawnSync(BIN, ["import", path.join(TMP, "roads.geojson"), path.join(TMP, "fire_stations.geojson"),
    "--store", store, "--quiet"], { encoding: "utf8", timeout: 120000 });
  assert.equal(r.status, 0, "import: " + r.stderr);
  const auth = path.join(TMP, "auth.sqlite");
  FEED = createToken(auth, "feeder", "feed-divided");
  srv = startServer(["--store", store, "--live", path.join(TMP, "live.sqlite"), "--auth-db", auth]);
  base = await srv.ready;
});

after(async () => { if (srv) await stopServer(srv); });

const get = async (p) => {
  const r = await req(base, "GET", p);
  assert.equal(r.status, 200, p + " " + r.text);
  return r.json;
};
const q = (a, b) => `from_lon=${ll(a)[0]}&from_lat=${ll(a)[1]}&to_lon=${ll(b)[0]}&to_lat=${ll(b)[1]}&segments=1`;

// Distance (m) from local point p to the road's polyline, and the
// driving directions the road allows there (unit vectors).
function nearRoad(p, road) {
  let best = { d: Infinity, dir: null };
  for (let i = 0; i + 1 < road.pts.length; i++) {
    const [ax, ay] = road.pts[i], [bx, by] = road.pts[i + 1], dx = bx - ax, dy = by - ay;
    const dd = dx * dx + dy * dy, t = Math.max(0, Math.min(1, ((p[0] - ax) * dx + (p[1] - ay) * dy) / dd));
    const d = Math.hypot(ax + t * dx - p[0], ay + t * dy - p[1]);
    if (d < best.d) best = { d, dir: [dx / Math.sqrt(dd), dy / Math.sqrt(dd)] };
  }
  const [ux, uy] = best.dir;
  best.allowed = road.oneway === 1 ? [[ux, uy]] : road.oneway === -1 ? [[-ux, -uy]] : [[ux, uy], [-ux, -uy]];
  return best;
}

// Every step of the drawn line runs along some road (samples every 2 m
// within 0.5 m of it) in a direction it allows: no cut across the median,
// no one-way carriageway driven backwards.
function assertDrivable(coords, what) {
  const pts = coords.map(xy);
  for (let i = 0; i + 1 < pts.length; i++) {
    const [ax, ay] = pts[i], [bx, by] = pts[i + 1], len = Math.hypot(bx - ax, by - ay);
    if (len < 0.05) continue;
    const u = [(bx - ax) / len, (by - ay) / len];
    const n = Math.max(1, Math.ceil(len / 2));
    for (let k = 0; k <= n; k++) {
      const p = [ax + (bx - ax) * k / n, ay + (by - ay) * k / n];
      const ok = ROADS.some((r) => {
        const m = nearRoad(p, r);
        return m.d < 0.5 && m.allowed.some(([dx, dy]) => dx * u[0] + dy * u[1] > 0.99);
      });
      assert.ok(ok, `${what}: step ${i} (${ax.toFixed(1)},${ay.toFixed(1)})->(${bx.toFixed(1)},${by.toFixed(1)}) ` +
        `at (${p[0].toFixed(1)},${p[1].toFixed(1)}) is not on a road driven that way`);
    }
  }
}

// The route's pieces: each at its road's own speed, the total their sum.
function assertSpeeds(props) {
  let eta = 0, len = 0;
  for (const s of props.segments) {
    const road = byId[s.id];
    assert.ok(road, `unknown segment ${s.id}`);
    assert.equal(s.speed_kmh, road.kmh, s.id);
    assert.ok(Math.abs(s.eta_s - s.length_m / (road.kmh / 3.6)) < 0.15, `${s.id}: ${s.eta_s} s for ${s.length_m} m`);
    if (road.oneway) assert.equal(s.direction, road.oneway === 1 ? "forward" : "reverse", s.id);
    eta += s.eta_s, len += s.length_m;
  }
  assert.ok(Math.abs(eta - props.eta_s) < 0.1 * props.segments.length + 0.1, `${eta} vs ${props.eta_s}`);
  assert.ok(Math.abs(len - props.length_m) < 0.1 * props.segments.length + 0.1);
}

// Metres of the local frame against the store's geodesic lengths: 0.5 %.
const near = (got, want, what) => assert.ok(Math.abs(got - want) <= 0.005 * want + 0.3, `${what}: ${got} vs ${want}`);

test("divided road: each direction on its own carriageway at its own one-way speed", async () => {
  // eastbound: 3 m north of S (between the carriageways, nearer S)
  const east = await get(`/api/v1/rescue/route?${q([100, 3], [1100, 3])}`);
  let p = east.properties;
  assert.deepEqual(p.segments.map((s) => s.id), ["S1", "S2"]);
  assert.ok(p.segments.every((s) => s.direction === "forward" && s.partial));
  near(p.length_m, 1000, "eastbound length");
  near(p.eta_s, 1000 / (60 / 3.6), "eastbound eta at 60 km/h");
  assertSpeeds(p);
  assertDrivable(east.geometry.coordinates, "eastbound");
  // westbound: 3 m south of N; N2 is digitised west to east (one-way -1)
  const west = await get(`/api/v1/rescue/route?${q([1100, 17], [100, 17])}`);
  p = west.properties;
  assert.deepEqual(p.segments.map((s) => s.id), ["N2", "N1"]);
  assert.deepEqual(p.segments.map((s) => s.direction), ["reverse", "forward"]);
  near(p.length_m, 1000, "westbound length");
  near(p.eta_s, 1000 / (40 / 3.6), "westbound eta at 40 km/h");
  assertSpeeds(p);
  assertDrivable(west.geometry.coordinates, "westbound");
});

test("divided road: a point beside the wrong carriageway leaves or is reached by the other, not across the median", async () => {
  // from 3 m north of S (eastbound) to the west: starts on N, its twin
  const r = await get(`/api/v1/rescue/route?${q([1100, 3], [100, 17])}`);
  let p = r.properties;
  assert.equal(p.from.segment, "N2", JSON.stringify(p.from));
  assert.ok(Math.abs(p.from.snap_m - 17) < 0.2, `start ${p.from.snap_m} m off`);
  assert.deepEqual(p.segments.map((s) => s.id), ["N2", "N1"]);
  near(p.eta_s, 1000 / (40 / 3.6), "west from beside S");
  assertSpeeds(p);
  assertDrivable(r.geometry.coordinates, "west from beside S");
  // the other way round: 3 m south of N to the east, reached on S
  const e = await get(`/api/v1/rescue/route?${q([100, 17], [1100, 3])}`);
  p = e.properties;
  assert.equal(p.from.segment, "S1");
  assert.deepEqual(p.segments.map((s) => s.id), ["S1", "S2"]);
  near(p.eta_s, 1000 / (60 / 3.6), "east from beside N");
  assertDrivable(e.geometry.coordinates, "east from beside N");
  // the station, south of the east junction, to an incident 3 m north of S
  // at x = 900: S can only be entered 900 m back at x = 0 (or via N and
  // the middle junction), so the plan ends on N, reached by a U-turn at
  // the east junction: 300 m north at 30 km/h, across the median there
  // (20 m at 30), 300 m west on N at 40 km/h
  const inc = ll([900, 3]);
  const plan = await get(`/api/v1/rescue/plan?lon=${inc[0]}&lat=${inc[1]}&k=1`);
  assert.equal(plan.incident.segment, "S2", "the point's own snap is on S");
  assert.equal(plan.incident.twin?.segment, "N2", "N is its other carriageway");
  const c = plan.candidates[0];
  assert.equal(c.id, STATION.id);
  near(c.eta_s, 300 / (30 / 3.6) + 20 / (30 / 3.6) + 300 / (40 / 3.6), "plan eta");
  assertDrivable(c.route.coordinates, "plan route");
  const end = xy(c.route.coordinates[c.route.coordinates.length - 1]);
  assert.ok(Math.hypot(end[0] - 900, end[1] - 20) < 0.5, `ends at ${end} (on N beside the incident)`);
  // /route from the station says the same
  const rs = await get(`/api/v1/rescue/route?from=${STATION.id}&to_lon=${inc[0]}&to_lat=${inc[1]}&segments=1`);
  assert.ok(Math.abs(rs.properties.eta_s - c.eta_s) < 0.5, `${rs.properties.eta_s} vs ${c.eta_s}`);
  assert.deepEqual(rs.properties.segments.map((s) => s.id), ["C1200s", "C1200m", "N2"]);
  assertSpeeds(rs.properties);
  assertDrivable(rs.geometry.coordinates, "station route");
});

test("at a past time: route, plan and coverage use the speeds observed then", async () => {
  const now = Date.now(), jam = now - 20 * 60000;
  const obs = (t, kmh) => ["S1", "S2"].map((id) => ({ entity: id, time: iso(t), values: { speed_kmh: kmh } }));
  const post = await req(base, "POST", "/api/v1/observations", { body: [...obs(jam, 10), ...obs(now - 5000, 30)], token: FEED });
  assert.equal(post.status, 200, post.text);
  assert.equal(post.json.accepted, 4, post.text);
  const east = (at) => get(`/api/v1/rescue/route?${q([100, 3], [1100, 3])}${at ? `&at=${at}` : ""}`);
  // a minute into the jam: 10 km/h on S, both pieces on live speeds
  const during = await east(iso(jam + 60000));
  assert.equal(during.properties.at, iso(jam + 60000));
  assert.equal(during.properties.live_segments, 2);
  near(during.properties.eta_s, 1000 / (10 / 3.6), "during the jam");
  assert.ok(during.properties.segments.every((s) => s.live && s.speed_kmh === 10));
  // now: 30 km/h; epoch milliseconds work too
  near((await east()).properties.eta_s, 1000 / (30 / 3.6), "now");
  near((await east(String(jam + 60000))).properties.eta_s, 1000 / (10 / 3.6), "at in epoch ms");
  near((await east(iso(now + 3600000))).properties.eta_s, 1000 / (30 / 3.6), "a time to come is now");
  // before the jam nothing was observed, and 10 minutes after it the
  // readings were stale: the road's own 60 km/h
  for (const t of [jam - 10 * 60000, jam + 10 * 60000]) {
    const r = await east(iso(t));
    assert.equal(r.properties.live_segments, 0, iso(t));
    near(r.properties.eta_s, 1000 / (60 / 3.6), `at ${iso(t)}`);
  }
  // the plan and /route from the station agree at that time
  const inc = ll([1100, 3]), at = iso(jam + 60000);
  const plan = await get(`/api/v1/rescue/plan?lon=${inc[0]}&lat=${inc[1]}&k=1&at=${at}`);
  assert.equal(plan.at, at);
  assert.equal(plan.live_segments, 2);
  const rs = await get(`/api/v1/rescue/route?from=${STATION.id}&to_lon=${inc[0]}&to_lat=${inc[1]}&at=${at}`);
  assert.ok(Math.abs(rs.properties.eta_s - plan.candidates[0].eta_s) < 0.5);
  // 3 minutes from the station reach S2 (west on N, across at the middle
  // junction, east on S: 131 s at 60 km/h) but not in the jam (216 s on S2)
  const cov = (t) => get(`/api/v1/rescue/coverage?station=${STATION.id}&minutes=3&geometry=0${t ? `&at=${t}` : ""}`);
  const free = await cov(iso(jam - 10 * 60000)), jammed = await cov(at);
  assert.equal(jammed.at, at);
  assert.equal(free.live_segments, 0);
  assert.equal(jammed.live_segments, 2);
  assert.equal(jammed.segments, free.segments - 1, `${jammed.segments} vs ${free.segments}`);
  // the uncovered roads of all stations follow the time as well
  const all = async (t) => (await get(`/api/v1/rescue/coverage?minutes=3&at=${t}`)).uncovered_segments;
  assert.equal(await all(at), (await all(iso(jam - 10 * 60000))) + 1);
  const bad = await req(base, "GET", `/api/v1/rescue/route?${q([100, 3], [1100, 3])}&at=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /\bat\b/);
});
