// tests/integration/live.test.mjs: the live city over real HTTP (issue 5):
// `citytwin serve` (sanitizer build) on a generated 5 % store, with feeder
// and operator tokens. Ingest and the vitals it moves, every rejection
// reason by index, idempotent duplicates, NGSI-LD (normalized and
// keyValues), hostile bodies (413, 400, deep nesting), alerts (raised,
// acked by an operator), an incident's whole flow with its audit log and a
// 409, history series and state?at=T (replay), durability across kill -9
// (with --history-sync full and normal), commits shared by concurrent
// feeds (--history-group-ms), and the --simulate feed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import fs from "node:fs";
import { spawnSync } from "node:child_process";
import {
  BIN, buildStore, createToken, exitOf, iso, req, startServer, stopServer, tmpdir, until,
} from "./live_lib.mjs";

const TMP = tmpdir("live");
const AUTH = path.join(TMP, "auth.sqlite");
let STORE, FEED, OPER, VIEW, srv, base, roads = [], parks = [], station;

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  STORE = buildStore(TMP);
  FEED = createToken(AUTH, "feeder", "feed-1");
  OPER = createToken(AUTH, "operator", "duty-officer");
  VIEW = createToken(AUTH, "viewer");
  srv = startServer(["--store", STORE, "--auth-db", AUTH, "--live", path.join(TMP, "live.sqlite")]);
  base = await srv.ready;
  const r = await req(base, "GET", "/api/v1/layers/roads/items?limit=60");
  roads = r.json.features.map((f) => f.id);
  const p = await req(base, "GET", "/api/v1/layers/car_parks/items?limit=5");
  parks = p.json.features.map((f) => f.id);
  const w = await req(base, "GET", "/api/v1/layers/water_stations/items?limit=1");
  station = w.json.features[0].properties;
  assert.ok(roads.length >= 60 && parks.length >= 2 && station.warning_level != null);
});

after(async () => { if (srv) await stopServer(srv); });

const post = (p, body, token = FEED, opts = {}) => req(base, "POST", p, { body, token, ...opts });

test("config names the live endpoints and carries the server's thresholds", async () => {
  const r = await req(base, "GET", "/api/v1/config");
  assert.equal(r.status, 200);
  assert.equal(r.json.links.state, "/api/v1/state");
  assert.equal(r.json.links.history, "/api/v1/history");
  // the page colours values by the file the engine uses, not its own constants
  const file = JSON.parse(fs.readFileSync(path.join(process.env.CT_SRC, "data", "thresholds.json"), "utf8"));
  assert.deepEqual(r.json.thresholds.tpi_bands, file.tpi_bands);
  assert.ok(Array.isArray(r.json.thresholds.alerts) && r.json.thresholds.alerts.length > 0);
});

test("ingest: accepted observations move the city's traffic vitals", async () => {
  const v0 = (await req(base, "GET", "/api/v1/vitals")).json;
  assert.equal(v0.city.traffic_reporting, 0);
  const now = Date.now() - 1000;
  const batch = roads.slice(0, 10).map((id) => ({ entity: id, time: iso(now), values: { speed_kmh: 4 } }));
  const r = await post("/api/v1/observations", batch);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.accepted, 10);
  assert.deepEqual(r.json.rejected, []);
  const v1 = (await req(base, "GET", "/api/v1/vitals")).json;
  assert.equal(v1.city.traffic_reporting, 10);
  assert.ok(v1.city.tpi > 8, "tpi " + v1.city.tpi);
  assert.ok(Object.keys(v1.districts).length > 0);
  const st = await req(base, "GET", `/api/v1/entities/${roads[0]}/state`);
  assert.equal(st.status, 200);
  assert.equal(st.json.speed_kmh, 4);
  assert.equal((await req(base, "GET", "/api/v1/entities/nope/state")).status, 404);
});

test("ingest: each rejected item is named by index and reason, the rest kept", async () => {
  const t = iso(Date.now() - 2000);
  const items = [
    { entity: roads[20], time: t, values: { speed_kmh: 30 } },          // 0 ok
    { entity: "no-such-road", time: t, values: { speed_kmh: 30 } },     // 1
    { entity: roads[21], time: t, values: { speed_kmh: "fast" } },      // 2
    { entity: roads[22], time: t, values: { speed_kmh: "NaN" } },       // 3
    { entity: parks[0], time: t, values: { free: -3, total: 10 } },     // 4
    { entity: roads[23], time: iso(Date.now() + 3600e3), values: { speed_kmh: 30 } }, // 5
    { entity: roads[24], time: "yesterday", values: { speed_kmh: 30 } }, // 6
    { entity: parks[1], time: t, values: { free: 20, total: 10 } },     // 7
    { entity: roads[25], time: t, values: { speed_kmh: 900 } },         // 8
    { entity: roads[26], time: t, values: { colour: 3 } },              // 9
    { time: t, values: { speed_kmh: 1 } },                              // 10
    42,                                                                 // 11
    { entity: roads[27], time: t, values: {} },                         // 12
  ];
  const r = await post("/api/v1/observations", { observations: items });
  assert.equal(r.status, 207, r.text);
  assert.equal(r.json.accepted, 1);
  const codes = Object.fromEntries(r.json.rejected.map((x) => [x.index, x.code]));
  assert.deepEqual(codes, {
    1: "unknown_entity", 2: "wrong_type", 3: "not_finite", 4: "negative", 5: "future_time",
    6: "bad_time", 7: "free_gt_total", 8: "out_of_range", 9: "unknown_value",
    10: "missing_entity", 11: "not_object", 12: "no_values",
  });
  for (const x of r.json.rejected) assert.ok(x.reason && x.reason.length > 5, JSON.stringify(x));
});

test("ingest: duplicates are ignored idempotently, the first value wins", async () => {
  const t = Date.now() - 5000;
  const a = [{ entity: roads[30], time: t, values: { speed_kmh: 41 } }];
  assert.equal((await post("/api/v1/observations", a)).json.accepted, 1);
  const b = [{ entity: roads[30], time: t, values: { speed_kmh: 99 } },
             { entity: roads[31], time: t, values: { speed_kmh: 50 } },
             { entity: roads[31], time: t, values: { speed_kmh: 51 } }];
  const r = await post("/api/v1/observations", b);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.accepted, 1);
  assert.deepEqual(r.json.duplicates.map((d) => d.index).sort(), [0, 2]);
  const h = await req(base, "GET", `/api/v1/history?entity=${roads[30]}&indicator=speed_kmh` +
    `&from=${t - 60000}&to=${t + 60000}&step=1h`);
  assert.equal(h.status, 200, h.text);
  assert.equal(h.json.points.length, 1);
  assert.equal(h.json.points[0][1], 41);
});

test("NGSI-LD upsert: OffStreetParking normalized and keyValues forms", async () => {
  const t = iso(Date.now() - 3000);
  const normalized = [{
    id: `urn:ngsi-ld:OffStreetParking:${parks[2]}`, type: "OffStreetParking",
    availableSpotNumber: { type: "Property", value: 7, observedAt: t },
    totalSpotNumber: { type: "Property", value: 50 },
    dateObserved: { type: "Property", value: { "@type": "DateTime", "@value": t } },
    "@context": ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"],
  }];
  let r = await post("/ngsi-ld/v1/entityOperations/upsert", normalized, FEED,
    { type: "application/ld+json" });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.accepted, 1);
  let s = (await req(base, "GET", `/api/v1/entities/${parks[2]}/state`)).json;
  assert.equal(s.free, 7);
  const keyValues = [{ id: `urn:ngsi-ld:OffStreetParking:${parks[3]}`, type: "OffStreetParking",
    availableSpotNumber: 3, totalSpotNumber: 30, dateObserved: t }];
  r = await post("/ngsi-ld/v1/entityOperations/upsert", keyValues);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.accepted, 1);
  s = (await req(base, "GET", `/api/v1/entities/${parks[3]}/state`)).json;
  assert.equal(s.free, 3);
  r = await post("/ngsi-ld/v1/entityOperations/upsert", keyValues, FEED, { type: "text/plain" });
  assert.equal(r.status, 415);
});

test("hostile bodies: 413, malformed 400, deep nesting 400, and the server keeps answering", async () => {
  const big = "[" + " ".repeat(9 * 1024 * 1024) + "]";
  let r = await post("/api/v1/observations", big, FEED, { raw: true });
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, "payload_too_large");
  r = await post("/api/v1/observations", '[{"entity": "x", ', FEED, { raw: true });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /malformed JSON/);
  r = await post("/api/v1/observations", "[".repeat(100000) + "]".repeat(100000), FEED, { raw: true });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /nested deeper/);
  r = await post("/api/v1/observations", { not: "a batch" });
  assert.equal(r.status, 400);
  r = await post("/api/v1/observations", "", FEED, { raw: true });
  assert.equal(r.status, 400);
  // A 10,000-item batch (about 1 MB) fits.
  const t0 = Date.now() - 3600e3;
  const many = Array.from({ length: 10000 }, (_, i) => ({ entity: roads[40 + (i % 20)],
    time: t0 + Math.floor(i / 20) * 1000, values: { speed_kmh: 30 + (i % 7), flow_vph: 900 } }));
  r = await post("/api/v1/observations", many);
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(r.json.accepted, 10000);
  assert.equal((await req(base, "GET", "/healthz")).status, 200);
});

test("alerts: a water level past its warning raises an alert; an operator acks it", async () => {
  const w = station.warning_level, g = station.guarantee_level;
  const level = w + 0.6 * (g - w);   // warning_ratio 0.6: orange
  const r = await post("/api/v1/observations",
    [{ entity: station.id, time: iso(Date.now() - 1000), values: { level_m: level } }]);
  assert.equal(r.json.accepted, 1, r.text);
  const list = (await req(base, "GET", "/api/v1/alerts")).json;
  const a = list.alerts.find((x) => x.entity === station.id && x.rule === "water_level");
  assert.ok(a, JSON.stringify(list).slice(0, 500));
  assert.equal(a.level, "orange");
  const path_ = `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`;
  assert.equal((await post(path_, {}, FEED)).status, 403);
  assert.equal((await req(base, "POST", path_, {})).status, 401);
  const ack = await post(path_, {}, OPER);
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.json.acked_by, "duty-officer");
  assert.equal((await post("/api/v1/alerts/no-such/ack", {}, OPER)).status, 404);
  // Escalated once to an incident.
  const esc = await post(`/api/v1/alerts/${encodeURIComponent(a.id)}/escalate`, {}, OPER);
  assert.equal(esc.status, 201, esc.text);
  assert.equal(esc.json.alert, a.id);
});

test("incident: intake → dispatch → arrive → verify → close → evaluate, audited; illegal 409", async () => {
  const bld = (await req(base, "GET", "/api/v1/layers/buildings/items?limit=1")).json.features[0].id;
  let r = await post("/api/v1/incidents", { kind: "fire", building: bld, title: "test fire" }, OPER);
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  assert.equal(r.json.state, "intake");
  assert.equal((await post("/api/v1/incidents", { kind: "fire" }, VIEW)).status, 403);
  const act = (action, body = {}) =>
    post(`/api/v1/incidents/${encodeURIComponent(id)}/actions`, { action, ...body }, OPER);
  r = await act("close");
  assert.equal(r.status, 409, r.text);
  assert.match(r.json.error.message, /close/);
  assert.equal((await act("fly")).status, 400);
  r = await act("dispatch", { units: ["engine-1"], departments: ["fire"] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, "dispatched");
  r = await post(`/api/v1/incidents/${encodeURIComponent(id)}/arrive`, { unit: "engine-1" }, OPER);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, "handling");
  for (const a of ["verify", "close"]) assert.equal((await act(a)).status, 200, a);
  r = await act("evaluate", { score: 4, comment: "quick" });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, "evaluated");
  const g = await req(base, "GET", `/api/v1/incidents/${encodeURIComponent(id)}`);
  assert.equal(g.status, 200);
  const log = g.json.log ?? g.json.audit ?? g.json.timeline;
  assert.ok(Array.isArray(log), Object.keys(g.json).join(","));
  const actions = log.map((x) => x.action);
  for (const a of ["dispatch", "arrive", "verify", "close", "evaluate"]) assert.ok(actions.includes(a), a);
  assert.ok(log.every((x) => x.actor === "duty-officer"), JSON.stringify(log).slice(0, 400));
  const all = (await req(base, "GET", "/api/v1/incidents")).json;
  assert.ok(all.incidents.some((x) => x.id === id));
  assert.equal((await req(base, "GET", "/api/v1/incidents/none")).status, 404);
});

test("history and replay: a series, and state?at=T shows the past value", async () => {
  const road = roads[50];
  const t1 = Date.now() - 120000, t2 = Date.now() - 1000;
  await post("/api/v1/observations", roads.slice(0, 60).map((id) =>
    ({ entity: id, time: t1, values: { speed_kmh: 3 } })));
  const tpiThen = (await req(base, "GET", "/api/v1/vitals")).json.city.tpi;
  await new Promise((r) => setTimeout(r, 1200));
  const mark = Date.now();
  await new Promise((r) => setTimeout(r, 1200));
  await post("/api/v1/observations", roads.slice(0, 60).map((id) =>
    ({ entity: id, time: t2, values: { speed_kmh: 120 } })));
  const tpiNow = (await req(base, "GET", "/api/v1/vitals")).json.city.tpi;
  assert.ok(tpiNow < tpiThen, `${tpiNow} < ${tpiThen}`);
  const past = await req(base, "GET", `/api/v1/state?at=${iso(mark)}`);
  assert.equal(past.status, 200, past.text);
  assert.equal(past.json.vitals.city.tpi, tpiThen);
  const now = await req(base, "GET", "/api/v1/state");
  assert.equal(now.json.vitals.city.tpi, tpiNow);
  const h = await req(base, "GET", `/api/v1/history?entity=${road}&indicator=speed_kmh` +
    `&from=${iso(t1 - 1000)}&to=${iso(t2 + 1000)}&step=1s`);
  assert.equal(h.status, 200, h.text);
  assert.deepEqual(h.json.points.map((p) => p[1]), [3, 120]);
  const c = await req(base, "GET", `/api/v1/history?entity=city&indicator=tpi&from=${t1}&step=1s`);
  assert.equal(c.status, 200, c.text);
  assert.ok(c.json.points.length >= 2);
  assert.equal((await req(base, "GET", "/api/v1/history?entity=city")).status, 400);
  assert.equal((await req(base, "GET", `/api/v1/history?entity=x&indicator=tpi&step=0`)).status, 400);
  assert.equal((await req(base, "GET", `/api/v1/history?entity=nope&indicator=speed_kmh`)).status, 404);
  assert.equal((await req(base, "GET", "/api/v1/state?at=tomorrowish")).status, 400);
});

// Ingest 20 concurrent batches, kill -9 the server, restart it: every
// acknowledged reading must be in the history.
async function survivesKill(file, extra) {
  const live = path.join(TMP, file);
  let s = startServer(["--store", STORE, "--auth-db", AUTH, "--live", live, ...extra]);
  const b = await s.ready;
  const t0 = Date.now() - 1800e3;
  const acked = [];
  // 20 concurrent batches, one road each, 50 readings 10 s apart.
  const sends = roads.slice(0, 20).map(async (id, k) => {
    const items = Array.from({ length: 50 }, (_, i) =>
      ({ entity: id, time: t0 + i * 10000, values: { speed_kmh: 10 + k } }));
    const r = await req(b, "POST", "/api/v1/observations", { body: items, token: FEED });
    if (r.status === 200 && r.json.accepted === 50) acked.push(id);
  });
  await Promise.all(sends);
  assert.equal(acked.length, 20);
  s.p.kill("SIGKILL");
  await exitOf(s.p);
  s = startServer(["--store", STORE, "--auth-db", AUTH, "--live", live, ...extra]);
  const b2 = await s.ready;
  try {
    for (const id of acked) {
      const h = await req(b2, "GET", `/api/v1/history?entity=${id}&indicator=speed_kmh` +
        `&from=${t0}&to=${t0 + 600000}&step=1s`);
      assert.equal(h.status, 200, h.text);
      assert.equal(h.json.points.length, 50, id);
    }
    const st = (await req(b2, "GET", "/api/v1/live")).json;
    assert.ok(st.commits >= 0);
  } finally {
    await stopServer(s);
  }
}

test("kill -9: every acknowledged observation survives", async () => {
  await survivesKill("crash.sqlite", []);
});

// normal: no disk sync per request, but what was acknowledged is in the
// kernel's page cache, so a crash of the server alone loses none of it.
test("--history-sync normal: kill -9 loses nothing acknowledged; a bad value is named", async () => {
  await survivesKill("crash-normal.sqlite", ["--history-sync", "normal"]);
  const bad = spawnSync(BIN, ["serve", "--history-sync", "fast", "--port", "0"],
    { encoding: "utf8", timeout: 20000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--history-sync 'fast' is neither 'full' nor 'normal'/);
});

// Several feeds at once (each sends its next reading after the answer to
// the last): their readings share commits. One feed alone waits only
// while its windows go unjoined (readings 1 and 3 of 5). A bad value is
// named.
test("--history-group-ms: concurrent feeds share commits, a lone feed rarely waits; bad values of it and --history-raw-min are named", async () => {
  const s = startServer(["--store", STORE, "--auth-db", AUTH, "--live",
    path.join(TMP, "group.sqlite"), "--history-group-ms", "50"]);
  const b = await s.ready;
  try {
    const t0 = Date.now() - 1200e3;
    const feed = async (id, k) => {
      for (let i = 0; i < 5; i++) {
        const r = await req(b, "POST", "/api/v1/observations",
          { body: [{ entity: id, time: t0 + i * 10000, values: { speed_kmh: 20 + k } }], token: FEED });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.accepted, 1);
      }
    };
    const before = (await req(b, "GET", "/api/v1/live")).json;
    await feed(roads[30], 0);   // alone: five commits, two windows
    const alone = (await req(b, "GET", "/api/v1/live")).json;
    assert.ok(alone.group_windows - before.group_windows <= 2, JSON.stringify(alone));
    await Promise.all(roads.slice(31, 39).map((id, k) => feed(id, k)));
    const after = (await req(b, "GET", "/api/v1/live")).json;
    assert.ok(after.group_windows > alone.group_windows, JSON.stringify(after));
    assert.ok(after.commits - alone.commits < 40, `${after.commits - alone.commits} commits for 40 readings`);
    for (const id of roads.slice(31, 39)) {
      const h = await req(b, "GET", `/api/v1/history?entity=${id}&indicator=speed_kmh` +
        `&from=${t0}&to=${t0 + 60000}&step=1s`);
      assert.equal(h.json.points.length, 5, id);
    }
  } finally {
    await stopServer(s);
  }
  const bad = spawnSync(BIN, ["serve", "--history-group-ms", "soon", "--port", "0"],
    { encoding: "utf8", timeout: 20000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--history-group-ms 'soon' is not a whole number of ms from 0 to 1000/);
  for (const v of ["5", "1e3", "99999999"]) {
    const r = spawnSync(BIN, ["serve", "--history-raw-min", v, "--port", "0"],
      { encoding: "utf8", timeout: 20000 });
    assert.equal(r.status, 2, v);
    assert.match(r.stderr, new RegExp(`--history-raw-min '${v}' is not a whole number of minutes from 10`));
  }
});

test("--simulate feeds the engine through the ingest path", async () => {
  const s = startServer(["--store", STORE, "--auth-db", AUTH, "--live", path.join(TMP, "sim.sqlite"),
    "--simulate", "--accel", "60", "--seed", "7"]);
  const b = await s.ready;
  try {
    const st = await until(async () => {
      const v = (await req(b, "GET", "/api/v1/live")).json;
      return v.accepted > 100 ? v : null;
    }, 90000, 500);
    assert.ok(st.accepted > 100);
    const v = await until(async () => {
      const x = (await req(b, "GET", "/api/v1/vitals")).json;
      return x.city.traffic_reporting > 0 ? x : null;
    }, 60000, 500);
    assert.ok(v.city.tpi !== null);
  } finally {
    await stopServer(s);
  }
});

test("push: an ingested reading reaches a WebSocket client as a delta", async () => {
  const { createRequire } = await import("node:module");
  const WebSocket = createRequire(import.meta.url)("ws");
  const s = startServer(["--store", STORE, "--auth-db", AUTH, "--live", path.join(TMP, "push.sqlite"),
    "--ws-port", "0"]);
  let ws = null;
  const got = [];
  try {
    const b = await s.ready;
    // the push line may come from its own thread after the HTTP one
    const pushRe = /push listening on ws:\/\/[0-9.]+:([0-9]+)\//;
    await until(() => pushRe.test(s.log()), 20000, 50);
    const wsPort = pushRe.exec(s.log())[1];
    ws = new WebSocket(`ws://127.0.0.1:${wsPort}/`, { origin: b });
    const raw = [];
    ws.on("message", (m) => { raw.push(m.toString()); got.push(JSON.parse(m.toString())); });
    await new Promise((resolve, reject) => {
      ws.on("open", resolve); ws.on("error", reject); setTimeout(() => reject(new Error("ws open")), 20000);
    });
    ws.send(JSON.stringify({ op: "subscribe", topics: ["traffic", "vitals"] }));
    await until(() => got.some((m) => m.type === "snapshot" && m.topic === "traffic"), 20000, 100);
    // The vitals published before push attached are in its snapshot too:
    // every non-null field the REST answer has, zeros included.
    const vs = await until(() => got.find((m) => m.type === "snapshot" && m.topic === "vitals"), 20000, 100);
    const rest = (await req(b, "GET", "/api/v1/vitals")).json.city;
    for (const [k, v] of Object.entries(rest))
      if (v !== null) assert.ok(k in vs.items.city, `vitals snapshot lacks city.${k}`);
    assert.equal(vs.items.city.incidents_open, 0);
    // numbers go out as the REST API writes them: 0.64, not 0.64100000000000001
    assert.ok(!raw.some((t) => /[0-9]\.[0-9]{16}/.test(t)), "a 17-digit number in a frame");
    const r = await req(b, "POST", "/api/v1/observations", { token: FEED,
      body: [{ entity: roads[5], time: iso(Date.now() - 500), values: { speed_kmh: 7 } }] });
    assert.equal(r.json.accepted, 1, r.text);
    const d = await until(() => got.find((m) => m.type === "delta" && m.topic === "traffic" &&
      m.items[roads[5]]), 20000, 100);
    assert.equal(d.items[roads[5]].speed_kmh, 7);
    await until(() => got.find((m) => m.type === "delta" && m.topic === "vitals"), 20000, 100);
  } finally {
    if (ws) ws.close();
    await stopServer(s);
  }
});
