// tests/integration/rescue.test.mjs: the rescue map's endpoints (issue 8,
// docs/RESCUE.md) on the real server and a generated store: nearest
// resources agree with brute force over the layer, bad coordinates get 400
// naming the parameter, routes respect one-way streets and use live
// speeds, a point off the network gets a clear 422 (never a hang), plan
// ranks stations by ETA, coverage grows with the minutes; dispatch and
// arrival reach a second screen over the WebSocket push (incidents topic);
// planned ETA against actual per unit, per station and per incident.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  BIN, buildStore, createToken, iso, req, startServer, stopServer, tmpdir,
} from "./live_lib.mjs";

const WebSocket = createRequire(path.join(process.env.CT_SRC ?? path.resolve("."), "tests/package.json"))("ws");

const TMP = tmpdir("rescue");
const AUTH = path.join(TMP, "auth.sqlite");
let STORE, FEED, OPER, VIEW, SERVE_ARGS, srv, base, stations = [];

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  STORE = buildStore(TMP);
  FEED = createToken(AUTH, "feeder", "feed-rescue");
  OPER = createToken(AUTH, "operator", "duty-rescue");
  VIEW = createToken(AUTH, "viewer", "screen-rescue");
  SERVE_ARGS = ["--store", STORE, "--auth-db", AUTH, "--live", path.join(TMP, "live.sqlite"),
    "--ws-port", "0"];
  srv = startServer(SERVE_ARGS);
  base = await srv.ready;
  const r = await req(base, "GET", "/api/v1/layers/fire_stations/items?limit=10000");
  assert.equal(r.status, 200, r.text);
  stations = r.json.features.map((f) => ({ id: f.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
  assert.ok(stations.length >= 3, "the store has fire stations");
});

after(async () => { if (srv) await stopServer(srv); });

const get = (p) => req(base, "GET", p);
const hav = (a, b) => {
  const d = Math.PI / 180, R = 6371008.8;
  const s1 = Math.sin((b.lat - a.lat) * d / 2), s2 = Math.sin((b.lon - a.lon) * d / 2);
  return 2 * R * Math.asin(Math.sqrt(s1 * s1 + Math.cos(a.lat * d) * Math.cos(b.lat * d) * s2 * s2));
};
// A point between two stations: inside the city, on no station.
const midpoint = (i, j) => ({ lon: (stations[i].lon + stations[j].lon) / 2, lat: (stations[i].lat + stations[j].lat) / 2 });

test("nearest: fire stations by distance agree with brute force; hydrants within the radius", async () => {
  for (let i = 0; i + 1 < Math.min(stations.length, 8); i++) {
    const p = midpoint(i, i + 1);
    const r = await get(`/api/v1/rescue/nearest?lon=${p.lon}&lat=${p.lat}&k=3`);
    assert.equal(r.status, 200, r.text);
    const got = r.json.layers.fire_stations;
    const want = stations.map((s) => hav(p, s)).sort((a, b) => a - b).slice(0, 3);
    assert.equal(got.length, 3);
    got.forEach((g, k) => assert.ok(Math.abs(g.distance_m - want[k]) < 0.2, `${g.distance_m} vs ${want[k]}`));
    for (const h of r.json.layers.hydrants) assert.ok(h.distance_m <= 500 && h.id);
    for (const l of ["hospitals", "police", "water_stations"]) assert.ok(Array.isArray(r.json.layers[l]), l);
    assert.ok(Math.abs(r.json.point.lon - p.lon) < 1e-9 && r.json.point.inside_extent !== false);
  }
});

// Brute force for water sources: the distance to the nearest point of a
// line or polygon (0 inside), planar in a local frame around p (metres).
function geomDistance(p, geom) {
  const ky = 6371008.8 * Math.PI / 180, kx = ky * Math.cos(p.lat * Math.PI / 180);
  const xy = ([lon, lat]) => [(lon - p.lon) * kx, (lat - p.lat) * ky];
  const segDist = (a, b) => {
    const [ax, ay] = xy(a), [bx, by] = xy(b), dx = bx - ax, dy = by - ay, dd = dx * dx + dy * dy;
    const t = dd > 0 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / dd)) : 0;
    return Math.hypot(ax + t * dx, ay + t * dy);
  };
  const lines = [], polys = [];
  if (geom.type === "LineString") lines.push(geom.coordinates);
  if (geom.type === "MultiLineString") lines.push(...geom.coordinates);
  if (geom.type === "Polygon") polys.push(geom.coordinates);
  if (geom.type === "MultiPolygon") polys.push(...geom.coordinates);
  let best = Infinity;
  for (const poly of polys) {
    let inside = false;
    for (const ring of poly) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i], [xj, yj] = ring[j];
        if ((yi > p.lat) !== (yj > p.lat) && p.lon < (xj - xi) * (p.lat - yi) / (yj - yi) + xi) inside = !inside;
      }
      lines.push(ring);
    }
    if (inside) return 0;
  }
  for (const l of lines) for (let i = 0; i + 1 < l.length; i++) best = Math.min(best, segDist(l[i], l[i + 1]));
  return best;
}

test("nearest: water sources (rivers, lakes) by distance to their nearest point agree with brute force", async () => {
  const all = [];
  for (const layer of ["water_areas", "water_lines"]) {
    const r = await get(`/api/v1/layers/${layer}/items?limit=10000`);
    assert.equal(r.status, 200, r.text);
    for (const f of r.json.features) all.push({ id: f.id, geometry: f.geometry });
  }
  assert.ok(all.length > 0, "the store has water areas or lines");
  let checked = 0;
  for (let i = 0; i + 1 < Math.min(stations.length, 8); i++) {
    const p = midpoint(i, i + 1);
    const r = await get(`/api/v1/rescue/nearest?lon=${p.lon}&lat=${p.lat}&k=3&layers=water_sources`);
    assert.equal(r.status, 200, r.text);
    const got = r.json.layers.water_sources;
    const want = all.map((w) => ({ id: w.id, d: geomDistance(p, w.geometry) }))
      .filter((w) => w.d <= r.json.water_radius_m).sort((a, b) => a.d - b.d).slice(0, 3);
    assert.equal(got.length, want.length, JSON.stringify({ got, want }));
    got.forEach((g, k) => {
      // ellipsoid (server) against a local plane (here): within 1 % + 2 m
      assert.ok(Math.abs(g.distance_m - want[k].d) <= 0.01 * want[k].d + 2, `${g.id} ${g.distance_m} vs ${want[k].id} ${want[k].d}`);
      assert.ok(["water_areas", "water_lines"].includes(g.layer) && g.id);
      if (k > 0) assert.ok(g.distance_m >= got[k - 1].distance_m);
      // the point given is the nearest one: as far from p as the distance
      assert.ok(Math.abs(hav(p, g) - g.distance_m) <= 0.01 * g.distance_m + 2);
    });
    checked += got.length;
  }
  assert.ok(checked > 0, "some water source within the radius");
  const d = await get(`/api/v1/rescue/nearest?lon=${stations[0].lon}&lat=${stations[0].lat}`);
  assert.ok(Array.isArray(d.json.layers.water_sources), "in the default answer");
});

test("bad coordinates and parameters get 400 naming the parameter", async () => {
  const cases = [
    ["/api/v1/rescue/nearest?lat=34.6", "lon"],
    ["/api/v1/rescue/nearest?lon=abc&lat=34.6", "lon"],
    ["/api/v1/rescue/nearest?lon=112.4&lat=95", "lat"],
    ["/api/v1/rescue/nearest?lon=NaN&lat=34.6", "lon"],
    ["/api/v1/rescue/nearest?lon=112.4&lat=34.6&k=0", "k"],
    ["/api/v1/rescue/nearest?lon=112.4&lat=34.6&layers=roads", "layers"],
    ["/api/v1/rescue/nearest?lon=112.4&lat=34.6&bogus=1", "bogus"],
    ["/api/v1/rescue/context?lon=112.4", "lat"],
    ["/api/v1/rescue/route?from_lon=112.4&from_lat=34.6&to_lon=112.5", "to_lat"],
    ["/api/v1/rescue/route?from_lon=1e999&from_lat=34.6&to_lon=112.5&to_lat=34.6", "from_lon"],
    ["/api/v1/rescue/plan?lon=112.4&lat=-91", "lat"],
    ["/api/v1/rescue/coverage?minutes=abc", "minutes"],
  ];
  for (const [p, name] of cases) {
    const r = await get(p);
    assert.equal(r.status, 400, p + " " + r.text);
    assert.equal(r.json.error.code, "bad_request");
    assert.match(r.json.error.message, new RegExp(name), p);
  }
  const u = await get(`/api/v1/rescue/route?from=no-such-station&to_lon=112.4&to_lat=34.6`);
  assert.equal(u.status, 404);
  assert.match(u.json.error.message, /fire station/);
});

test("context: buildings around the point, nearest first, the incident's building flagged", async () => {
  const b = await get("/api/v1/layers/buildings/items?limit=1");
  const ring = b.json.features[0].geometry.coordinates[0][0];
  const c = { lon: ring.reduce((s, p) => s + p[0], 0) / ring.length, lat: ring.reduce((s, p) => s + p[1], 0) / ring.length };
  const r = await get(`/api/v1/rescue/context?lon=${c.lon}&lat=${c.lat}&radius=120`);
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.count >= 1);
  assert.equal(r.json.incident_building, b.json.features[0].id);
  assert.equal(r.json.buildings[0].contains_point, true);
  let last = -1;
  for (const x of r.json.buildings) {
    assert.ok(x.distance_m >= last && x.distance_m <= 120, JSON.stringify(x));
    assert.ok("height" in x && "levels" in x && "kind" in x && x.id);
    last = x.distance_m;
  }
});

test("route: a LineString over the roads, one-way streets driven their way only", async () => {
  const p = midpoint(0, 2);
  const r = await get(`/api/v1/rescue/route?from=${stations[1].id}&to_lon=${p.lon}&to_lat=${p.lat}`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get("content-type"), /geo\+json/);
  assert.equal(r.json.geometry.type, "LineString");
  const pr = r.json.properties;
  assert.ok(pr.length_m > 0 && pr.eta_s > 0 && pr.segments.length > 0);
  const sum = pr.segments.reduce((s, x) => s + x.length_m, 0);
  assert.ok(Math.abs(sum - pr.length_m) < 1 + pr.segments.length * 0.1);
  for (const s of pr.segments.slice(0, 40)) {
    const it = await get(`/api/v1/layers/roads/items/${encodeURIComponent(s.id)}`);
    const ow = it.json.properties.oneway;
    if (ow === 1) assert.equal(s.direction, "forward", s.id);
    if (ow === -1) assert.equal(s.direction, "reverse", s.id);
  }
});

test("a point off the road network gets a clear 422, not a hang", async () => {
  const t0 = Date.now();
  const r = await get(`/api/v1/rescue/route?from=${stations[0].id}&to_lon=100.0&to_lat=30.0`);
  assert.equal(r.status, 422, r.text);
  assert.match(r.json.error.message, /road network/);
  const p = await get(`/api/v1/rescue/plan?lon=100.0&lat=30.0`);
  assert.equal(p.status, 422);
  const n = await get(`/api/v1/rescue/nearest?lon=100.0&lat=30.0&k=1`);
  assert.equal(n.status, 200);
  assert.equal(n.json.point.inside_extent, false);
  assert.ok(Date.now() - t0 < 30000);
});

test("plan: the k stations with the smallest ETA, each ETA what /route says", async () => {
  const p = midpoint(1, 3);
  const r = await get(`/api/v1/rescue/plan?lon=${p.lon}&lat=${p.lat}&k=3`);
  assert.equal(r.status, 200, r.text);
  const c = r.json.candidates;
  assert.ok(c.length >= 1 && c.length <= 3);
  assert.equal(c[0].recommended, true);
  for (let i = 1; i < c.length; i++) assert.ok(c[i].eta_s >= c[i - 1].eta_s && !c[i].recommended);
  // the incident is snapped onto its segment; every route ends there
  const inc = r.json.incident;
  assert.ok(inc.segment && inc.snap_m <= 1500 && inc.along_m >= 0);
  assert.ok(Math.abs(hav(p, { lon: inc.snap_lon, lat: inc.snap_lat }) - inc.snap_m) < 0.2);
  for (const x of c) {
    const q = await get(`/api/v1/rescue/route?from=${x.id}&to_lon=${p.lon}&to_lat=${p.lat}`);
    assert.equal(q.status, 200, q.text);
    assert.ok(Math.abs(q.json.properties.eta_s - x.eta_s) < 0.5, `${x.id}: ${q.json.properties.eta_s} vs ${x.eta_s}`);
    assert.equal(x.route.type, "LineString");
    const end = x.route.coordinates[x.route.coordinates.length - 1];
    assert.ok(hav({ lon: end[0], lat: end[1] }, { lon: inc.snap_lon, lat: inc.snap_lat }) < 0.5, `${x.id} ends off the incident`);
    const from = q.json.properties.from, start = q.json.geometry.coordinates[0];
    assert.ok(hav({ lon: start[0], lat: start[1] }, { lon: from.snap_lon, lat: from.snap_lat }) < 0.5, `${x.id} starts off its station`);
    // the end segments are driven in part, on the segments the points are on
    const segs = q.json.properties.segments;
    assert.equal(segs[segs.length - 1].id, inc.segment);
    assert.equal(segs[0].id, from.segment);
    assert.ok(segs[0].partial && segs[segs.length - 1].partial);
  }
  // no other station is faster than the recommended one
  for (const s of stations.slice(0, 12)) {
    const q = await get(`/api/v1/rescue/route?from=${s.id}&to_lon=${p.lon}&to_lat=${p.lat}&segments=0`);
    if (q.status === 200) assert.ok(q.json.properties.eta_s >= c[0].eta_s - 0.5, s.id);
  }
});

test("live speeds: a jam on the route makes the answer slower or different, and the coverage smaller", async () => {
  const p = midpoint(2, 4);
  const url = `/api/v1/rescue/route?from=${stations[3].id}&to_lon=${p.lon}&to_lat=${p.lat}`;
  const cov = `/api/v1/rescue/coverage?station=${stations[3].id}&minutes=2&geometry=0`;
  const c0 = await get(cov);
  assert.equal(c0.status, 200, c0.text);
  assert.equal(c0.json.live_segments, 0);
  const a = await get(url);
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.properties.live_segments, 0);
  const ids = a.json.properties.segments.map((s) => s.id);
  const now = Date.now() - 1000;
  const batch = ids.map((id) => ({ entity: id, time: iso(now), values: { speed_kmh: 2 } }));
  const post = await req(base, "POST", "/api/v1/observations", { body: batch, token: FEED });
  assert.equal(post.status, 200, post.text);
  const b = await get(url);
  assert.equal(b.status, 200);
  const ids2 = b.json.properties.segments.map((s) => s.id).join();
  assert.ok(b.json.properties.eta_s >= a.json.properties.eta_s - 0.5);
  assert.ok(b.json.properties.eta_s > a.json.properties.eta_s + 1 || ids2 !== ids.join(), "the jam changed nothing");
  if (b.json.properties.live_segments > 0)
    assert.ok(b.json.properties.segments.some((s) => s.live && s.speed_kmh <= 2.1));
  // the station's first streets are jammed: it reaches less in 2 minutes
  const c1 = await get(cov);
  assert.ok(c1.json.live_segments > 0);
  assert.ok(c1.json.segments < c0.json.segments, `${c1.json.segments} vs ${c0.json.segments} before the jam`);
});

test("coverage: one station's reach grows with minutes; all stations leave less uncovered", async () => {
  const s = stations[0].id;
  const small = await get(`/api/v1/rescue/coverage?station=${s}&minutes=1`);
  const big = await get(`/api/v1/rescue/coverage?station=${s}&minutes=6`);
  assert.equal(small.status, 200, small.text);
  assert.equal(big.status, 200);
  assert.ok(big.json.segments > small.json.segments && small.json.segments > 0);
  assert.equal(big.json.reachable.type, "MultiLineString");
  assert.equal(big.json.reachable.coordinates.length, big.json.segments);
  assert.equal(big.json.hull.type, "Polygon");
  // the area along the reached roads (buffered, unioned): every reached
  // road's vertices inside it, nothing far away, growing with the buffer
  assert.equal(big.json.area.type, "MultiPolygon");
  assert.ok(big.json.area_km2 > small.json.area_km2 && small.json.area_km2 > 0);
  const inside = (pt, mp) => mp.coordinates.some((poly) => poly.reduce((acc, ring) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < (xj - xi) * (pt[1] - yi) / (yj - yi) + xi) c = !c;
    }
    return acc !== c;   // even-odd over the outer ring and its holes
  }, false));
  let out = 0;
  for (const line of big.json.reachable.coordinates) for (const v of line) out += !inside(v, big.json.area);
  assert.equal(out, 0, "reached road vertices outside the area");
  assert.ok(!inside([stations[0].lon + 0.2, stations[0].lat + 0.2], big.json.area));
  const wide = await get(`/api/v1/rescue/coverage?station=${s}&minutes=6&buffer=150`);
  assert.equal(wide.status, 200, wide.text);
  assert.ok(wide.json.area_km2 > big.json.area_km2 && wide.json.buffer_m === 150);
  const badBuf = await get(`/api/v1/rescue/coverage?station=${s}&buffer=1`);
  assert.equal(badBuf.status, 400);
  assert.match(badBuf.json.error.message, /buffer/);
  const all1 = await get(`/api/v1/rescue/coverage?minutes=1`);
  const all6 = await get(`/api/v1/rescue/coverage?minutes=6&geometry=0`);
  assert.equal(all1.status, 200, all1.text);
  assert.ok(all1.json.uncovered_segments > 0 && all1.json.uncovered_segments <= all1.json.segments_total);
  assert.equal(all1.json.uncovered.coordinates.length, all1.json.uncovered_segments);
  assert.ok(all6.json.uncovered_segments <= all1.json.uncovered_segments);
  assert.ok(all6.json.covered_pct >= all1.json.covered_pct && all6.json.uncovered === null);
  // the parts no station reaches, as an area: every uncovered road inside it
  const un = await get(`/api/v1/rescue/coverage?minutes=1&area=1`);
  assert.equal(un.status, 200, un.text);
  assert.equal(un.json.uncovered_area.type, "MultiPolygon");
  assert.ok(un.json.uncovered_area_km2 > 0);
  let outside = 0;
  for (const line of un.json.uncovered.coordinates) outside += !inside(line[0], un.json.uncovered_area);
  assert.equal(outside, 0, "uncovered roads outside the uncovered area");
  assert.equal(all1.json.uncovered_area, undefined, "only when asked (area=1)");
  const bad = await get(`/api/v1/rescue/coverage?station=nope`);
  assert.equal(bad.status, 404);
});

// One incident dispatched to station st with eta_s, then arrived.
async function dispatchedAndArrived(st, eta, lonlat) {
  const c = await req(base, "POST", "/api/v1/incidents", { body: { kind: "fire", ...lonlat }, token: OPER });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  const d = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
    { body: { action: "dispatch", units: [st], departments: ["fire"], eta_s: eta }, token: OPER });
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.eta_evaluation.planned_eta_s, eta);
  assert.equal(d.json.eta_evaluation.dispatch_to_arrival_s, null, "not arrived yet");
  return id;
}

test("evaluation: planned ETA against arrival per unit, per station and per incident", async () => {
  const st = stations[0].id, other = stations[1].id, p = midpoint(0, 1), ids = [];
  // only an operator dispatches: a viewer's token is refused, nothing changes
  const v = await req(base, "POST", "/api/v1/incidents", { body: { kind: "fire", ...p }, token: VIEW });
  assert.equal(v.status, 403, v.text);
  for (const eta of [120, 180]) {
    const id = await dispatchedAndArrived(st, eta, p);
    ids.push(id);
    if (eta === 180) {   // a second unit, from another station, planned 90 s
      const a = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
        { body: { action: "assign", units: [`${other}/engine-2`], eta_s: 90 }, token: OPER });
      assert.equal(a.status, 200, a.text);
      const row = a.json.assignments.find((u) => u.unit === `${other}/engine-2`);
      assert.equal(row.station, other);
      assert.equal(row.planned_eta_s, 90);
      assert.equal(row.arrived, null);
      const bad = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
        { body: { action: "arrive", unit: "nobody" }, token: OPER });
      assert.equal(bad.status, 400, bad.text);
      assert.match(bad.json.error.message, /nobody/);
      const one = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
        { body: { action: "arrive", unit: `${other}/engine-2` }, token: OPER });
      assert.equal(one.status, 200, one.text);
      const again = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
        { body: { action: "arrive", unit: `${other}/engine-2` }, token: OPER });
      assert.equal(again.status, 409, again.text);
    }
    const a = await req(base, "POST", `/api/v1/incidents/${id}/actions`, { body: { action: "arrive" }, token: OPER });
    assert.equal(a.status, 200, a.text);
  }
  const one = await get(`/api/v1/incidents/${ids[0]}`);
  assert.equal(one.status, 200, one.text);
  const ev = one.json.eta_evaluation;
  assert.equal(ev.station, st);
  assert.ok(ev.dispatch_to_arrival_s >= 0);
  assert.ok(Math.abs(ev.eta_error_s - (ev.dispatch_to_arrival_s - 120)) < 1e-6);
  assert.deepEqual(one.json.audit.map((x) => x.action), ["intake", "dispatch", "arrive"]);
  const two = await get(`/api/v1/incidents/${ids[1]}`);
  assert.deepEqual(two.json.audit.map((x) => x.action), ["intake", "dispatch", "assign", "arrive", "arrive"]);
  assert.equal(two.json.audit[2].detail.eta_s, 90);
  const r = await get("/api/v1/rescue/evaluation");
  assert.equal(r.status, 200, r.text);
  const rows = r.json.incidents.filter((x) => ids.includes(x.id));
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((x) => x.units), [1, 2]);
  // per unit: one row for each unit sent, error = actual - planned
  const units = r.json.units.filter((u) => ids.includes(u.incident));
  assert.equal(units.length, 3);
  for (const u of units) {
    assert.ok(u.dispatch_to_arrival_s >= 0, JSON.stringify(u));
    assert.ok(Math.abs(u.eta_error_s - (u.dispatch_to_arrival_s - u.planned_eta_s)) < 1e-6);
  }
  // per station: over the units it sent (st: two, other: one)
  const agg = r.json.stations.find((x) => x.station === st);
  assert.ok(agg, "the station has an aggregate");
  assert.equal(agg.count, 2);
  assert.equal(agg.arrived, 2);
  assert.ok(Math.abs(agg.mean_planned_eta_s - 150) < 1e-9);
  const mine = units.filter((u) => u.station === st);
  const meanAct = mine.reduce((s, x) => s + x.dispatch_to_arrival_s, 0) / 2;
  assert.ok(Math.abs(agg.mean_dispatch_to_arrival_s - meanAct) < 1e-6);
  assert.ok(Math.abs(agg.mean_eta_error_s - (meanAct - 150)) < 1e-6);
  const agg2 = r.json.stations.find((x) => x.station === other);
  assert.equal(agg2.count, 1);
  assert.equal(agg2.mean_planned_eta_s, 90);
  const names = r.json.stations.map((x) => x.station);
  assert.deepEqual(names, [...names].sort(), "stations in a stable order");
});

test("evaluation as of a past time (?at=T: what a replaying wall shows)", async () => {
  const st = stations[0].id, p = midpoint(0, 2);
  const id = await dispatchedAndArrived(st, 75, p);
  await new Promise((res) => setTimeout(res, 60));   // dispatch and arrival apart
  const a = await req(base, "POST", `/api/v1/incidents/${id}/actions`, { body: { action: "arrive" }, token: OPER });
  assert.equal(a.status, 200, a.text);
  const tI = Date.parse(a.json.times.intake), tD = Date.parse(a.json.times.dispatch), tA = Date.parse(a.json.times.arrival);
  assert.ok(tA > tD + 1, `${a.json.times.dispatch} .. ${a.json.times.arrival}`);
  const mid = new Date(Math.floor((tD + tA) / 2)).toISOString();
  // the history is written behind the engine: wait (bounded) until it has the arrival
  let now = null;
  for (let i = 0; i < 50; i++) {
    now = await get(`/api/v1/rescue/evaluation?at=${Date.now() + 1000}`);
    assert.equal(now.status, 200, now.text);
    const x = now.json.incidents.find((r) => r.id === id);
    if (x && x.dispatch_to_arrival_s !== null) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const done = now.json.incidents.find((x) => x.id === id);
  assert.ok(done && done.dispatch_to_arrival_s >= 0, JSON.stringify(done));
  // between dispatch and arrival: dispatched, en route, the plan known
  const m = await get(`/api/v1/rescue/evaluation?at=${encodeURIComponent(mid)}`);
  assert.equal(m.status, 200, m.text);
  assert.equal(m.json.at, mid);
  const row = m.json.incidents.find((x) => x.id === id);
  assert.equal(row.state, "dispatched");
  assert.equal(row.planned_eta_s, 75);
  assert.equal(row.dispatch_to_arrival_s, null);
  const unit = m.json.units.find((u) => u.incident === id);
  assert.equal(unit.arrived, null);
  // before the dispatch (epoch milliseconds): not part of the evaluation
  const before = await get(`/api/v1/rescue/evaluation?at=${tI}`);
  assert.equal(before.status, 200, before.text);
  assert.equal(before.json.incidents.some((x) => x.id === id), false);
  const bad = await get("/api/v1/rescue/evaluation?at=yesterday");
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.json.error.message, /\bat\b/);
});

test("a station's unit sent without an ETA gets the route's ETA at that moment", async () => {
  const p = midpoint(1, 2), st = stations[Math.min(4, stations.length - 1)].id;
  const c = await req(base, "POST", "/api/v1/incidents", { body: { kind: "fire", ...p }, token: OPER });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  const route = await get(`/api/v1/rescue/route?from=${st}&to_lon=${p.lon}&to_lat=${p.lat}&segments=0`);
  assert.equal(route.status, 200, route.text);
  const d = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
    { body: { action: "dispatch", units: [`${st}/engine-1`, "helicopter-1"], etas: { "helicopter-1": 50 } }, token: OPER });
  assert.equal(d.status, 200, d.text);
  const [eng, heli] = d.json.assignments;
  assert.equal(eng.station, st);
  assert.ok(Math.abs(eng.planned_eta_s - route.json.properties.eta_s) < 0.5,
    `${eng.planned_eta_s} vs the route's ${route.json.properties.eta_s}`);
  assert.equal(heli.planned_eta_s, 50, "a given plan is kept");
  // the plan the server filled in is in the audit log with the dispatch
  const one = await get(`/api/v1/incidents/${id}`);
  const disp = one.json.audit.find((x) => x.action === "dispatch");
  assert.ok(Math.abs(disp.detail.etas[`${st}/engine-1`] - eng.planned_eta_s) < 1e-9, JSON.stringify(disp));
  // a unit that is not a fire station's gets no plan
  const a = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
    { body: { action: "assign", units: ["tow-truck-3"] }, token: OPER });
  assert.equal(a.status, 200, a.text);
  assert.equal(a.json.assignments[2].planned_eta_s, null);
});

test("a restart keeps every unit's planned ETA, send and arrival times (and the audit)", async () => {
  const before = await get("/api/v1/rescue/evaluation");
  assert.equal(before.status, 200, before.text);
  assert.ok(before.json.units.length >= 3);
  const oneId = before.json.incidents[0].id;
  const audit = (await get(`/api/v1/incidents/${oneId}`)).json.audit;
  await stopServer(srv);
  srv = startServer(SERVE_ARGS);
  base = await srv.ready;
  const after = await get("/api/v1/rescue/evaluation");
  assert.equal(after.status, 200, after.text);
  assert.deepEqual(after.json.units, before.json.units);
  assert.deepEqual(after.json.stations, before.json.stations);
  assert.deepEqual(after.json.incidents, before.json.incidents);
  assert.deepEqual((await get(`/api/v1/incidents/${oneId}`)).json.audit, audit);
});

test("every screen sees the dispatch and the arrival: a second client over the push", async () => {
  const cfg = await get("/api/v1/config");
  assert.equal(cfg.status, 200, cfg.text);
  assert.match(cfg.json.ws_url, /^ws:/);
  const ws = new WebSocket(cfg.json.ws_url);
  const msgs = [], waiters = [];
  ws.on("message", (d) => {
    const m = JSON.parse(d.toString());
    msgs.push(m);
    for (const w of waiters.splice(0)) if (!w(m)) waiters.push(w);
  });
  ws.on("error", () => {});
  // the first message matching pred (already received or to come), bounded
  const wait = (pred, what) => new Promise((resolve, reject) => {
    const have = msgs.find(pred);
    if (have) return resolve(have);
    const timer = setTimeout(() => reject(new Error("timed out waiting for " + what)), 20000);
    waiters.push((m) => { if (!pred(m)) return false; clearTimeout(timer); resolve(m); return true; });
  });
  try {
    await new Promise((resolve, reject) => { ws.once("open", resolve); ws.once("close", () => reject(new Error("closed"))); });
    ws.send(JSON.stringify({ op: "subscribe", topics: ["incidents"] }));
    await wait((m) => m.type === "snapshot" && m.topic === "incidents", "the incidents snapshot");
    // the operator's screen acts over REST; this client only listens
    const p = midpoint(2, 3), st = stations[2].id;
    const c = await req(base, "POST", "/api/v1/incidents", { body: { kind: "fire", ...p }, token: OPER });
    assert.equal(c.status, 201, c.text);
    const id = c.json.id;
    const field = (m, k) => m.type === "delta" && m.topic === "incidents" && m.items?.[id]?.[k];
    await wait((m) => field(m, "state") === "intake", "the new incident");
    const d = await req(base, "POST", `/api/v1/incidents/${id}/actions`,
      { body: { action: "dispatch", units: [st], eta_s: 240 }, token: OPER });
    assert.equal(d.status, 200, d.text);
    const seen = await wait((m) => field(m, "state") === "dispatched", "the dispatch");
    assert.deepEqual(seen.items[id].units, [st]);
    assert.equal(seen.items[id].assignments[0].unit, st);
    assert.equal(seen.items[id].assignments[0].planned_eta_s, 240);
    const a = await req(base, "POST", `/api/v1/incidents/${id}/actions`, { body: { action: "arrive" }, token: OPER });
    assert.equal(a.status, 200, a.text);
    const arr = await wait((m) => field(m, "state") === "handling", "the arrival");
    assert.ok(arr.items[id].assignments[0].dispatch_to_arrival_s >= 0);
    assert.ok(typeof arr.items[id].times.arrival === "string");
  } finally {
    ws.terminate();
  }
});

