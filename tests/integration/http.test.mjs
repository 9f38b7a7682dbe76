// tests/integration/http.test.mjs: `citytwin serve` against a real store.
// Imports tests/fixtures/http/*.geojson (25 buildings on a 5x5 grid, 2 fire
// stations, 2 roads) with `citytwin import`, starts the sanitizer build on a free
// loopback port and checks the catalog, paging, bbox filtering, items by
// id, every bad-input answer, static files (MIME, ETag/304, gzip,
// traversal), and that SIGTERM ends it with exit code 0 (LeakSanitizer
// clean).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";

const BIN = process.env.CITYTWIN_BIN;
const SRC = process.env.CT_SRC ?? path.resolve(".");
const TMP = fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? "/tmp", "http-"));
const FIX = path.join(SRC, "tests/fixtures/http");
const STORE = path.join(TMP, "store.sqlite");
const WEB = path.join(SRC, "web");
const TILES = path.join(TMP, "tiles");
const BASEMAP = path.join(TMP, "basemap");

// The fixture grid: building i covers [x0, x0+0.004] x [y0, y0+0.004].
const cell = (i) => [112.40 + (i % 5) * 0.01, 34.60 + Math.floor(i / 5) * 0.01];
const NBUILD = 25;

let server, base, stderr = "";

function startServer(args) {
  const p = spawn(BIN, ["serve", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start: " + err)), 30000);
    p.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    p.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
  });
  return { p, ready, log: () => err };
}

function exitOf(p, ms = 30000) {
  return new Promise((resolve, reject) => {
    if (p.exitCode !== null) return resolve(p.exitCode);
    const timer = setTimeout(() => reject(new Error("no exit")), ms);
    p.on("exit", (code, sig) => { clearTimeout(timer); resolve(code ?? sig); });
  });
}

// A request with a raw path (fetch would normalise "..") and raw headers.
function raw(pathname, headers = {}, method = "GET") {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: pathname, method, headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers,
                                      body: Buffer.concat(chunks) }));
      });
    req.setTimeout(10000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

// Send bytes on a socket and return what comes back until close or 5 s.
function rawSocket(text) {
  const u = new URL(base);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    let got = "";
    const done = () => { s.destroy(); resolve(got); };
    const timer = setTimeout(done, 5000);
    s.on("data", (d) => {
      got += d;
      if (/\r\n\r\n[\s\S]*\}\}/.test(got)) { clearTimeout(timer); done(); }
    });
    s.on("error", () => { clearTimeout(timer); done(); });
    s.on("close", () => { clearTimeout(timer); done(); });
    s.write(text);
  });
}

async function getJson(p, init) {
  const r = await fetch(base + p, init);
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* checked by the caller */ }
  return { r, body, text };
}

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  const imp = spawnSync(BIN, ["import", "--store", STORE,
    ...["buildings", "fire_stations", "roads"].map((l) => path.join(FIX, l + ".geojson"))],
    { encoding: "utf8", timeout: 120000 });
  assert.equal(imp.status, 0, "citytwin import: " + imp.stderr);

  fs.mkdirSync(path.join(TILES, "0/0"), { recursive: true });
  fs.mkdirSync(path.join(BASEMAP, "10/843"), { recursive: true });
  const tileset = { asset: { version: "1.1" }, geometricError: 500,
    root: { boundingVolume: { region: [1.96, 0.6, 1.97, 0.61, 0, 100] },
      geometricError: 0, refine: "ADD", content: { uri: "0/0/0.glb" },
      children: Array.from({ length: 40 }, (_, i) => ({ geometricError: 0, content: { uri: `c${i}.glb` },
        boundingVolume: { region: [1.96, 0.6, 1.97, 0.61, 0, 100] } })) } };
  fs.writeFileSync(path.join(TILES, "tileset.json"), JSON.stringify(tileset));
  fs.writeFileSync(path.join(TILES, "0/0/0.glb"), Buffer.from("glTF\x02\x00\x00\x00binary-ish"));
  fs.writeFileSync(path.join(TILES, "secret.txt.bak"), "not for you");
  fs.writeFileSync(path.join(TILES, ".hidden"), "hidden");
  fs.writeFileSync(path.join(BASEMAP, "10/843/412.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  // A precompressed sibling wins over compressing the original.
  const meta = JSON.stringify({ which: "original", pad: "x".repeat(3000) });
  fs.writeFileSync(path.join(BASEMAP, "meta.json"), meta);
  fs.writeFileSync(path.join(BASEMAP, "meta.json.gz"),
    zlib.gzipSync(JSON.stringify({ which: "precompressed", pad: "y".repeat(3000) })));

  server = startServer(["--store", STORE, "--port", "0", "--listen", "127.0.0.1", "--ws-port", "off",
    "--web", WEB, "--tiles", TILES, "--basemap", BASEMAP, "--threads", "4"]);
  base = await server.ready;
});

after(async () => {
  if (server && server.p.exitCode === null) {
    server.p.kill("SIGKILL");
    await exitOf(server.p).catch(() => {});
  }
  fs.rmSync(TMP, { recursive: true, force: true });
});

test("healthz answers ok with version, store and uptime", async () => {
  const { r, body } = await getJson("/healthz");
  assert.equal(r.status, 200);
  assert.equal(body.status, "ok");
  assert.equal(body.store, STORE);
  assert.match(body.version, /^\d+\.\d+\.\d+/);
  assert.equal(typeof body.uptime_s, "number");
  assert.ok(body.uptime_s >= 0);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
});

test("config without push gives version, city, attribution and a null WebSocket URL", async () => {
  const { r, body } = await getJson("/api/v1/config");
  assert.equal(r.status, 200);
  assert.equal(body.ws_url, null);
  assert.ok(body.city.name.length > 0);
  assert.ok(Array.isArray(body.attribution) && body.attribution.length > 0);
  assert.ok(body.attribution.some((a) => /OpenStreetMap/.test(a)));
});

test("catalog lists every layer with count, bbox and fields", async () => {
  const { r, body } = await getJson("/api/v1/layers");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /application\/json/);
  const byId = Object.fromEntries(body.layers.map((l) => [l.id, l]));
  for (const id of ["districts", "buildings", "roads", "fire_stations", "water_stations"])
    assert.ok(byId[id], "layer " + id);
  const b = byId.buildings;
  assert.equal(b.count, NBUILD);
  assert.equal(b.title.zh, "建筑");
  assert.equal(b.title.en, "Buildings");
  assert.equal(b.geometry_type, "MultiPolygon");
  // R*Tree float32 bounds: enclose the data, within ~1e-5 degree.
  const [x0, y0, x1, y1] = b.bbox;
  assert.ok(x0 <= 112.40 && x0 > 112.40 - 1e-4, "minx " + x0);
  assert.ok(y0 <= 34.60 && y0 > 34.60 - 1e-4, "miny " + y0);
  assert.ok(x1 >= 112.444 && x1 < 112.444 + 1e-4, "maxx " + x1);
  assert.ok(y1 >= 34.644 && y1 < 34.644 + 1e-4, "maxy " + y1);
  const height = b.fields.find((f) => f.name === "height");
  assert.deepEqual(height, { name: "height", type: "number" });
  assert.ok(b.fields.find((f) => f.name === "id"));
  assert.equal(byId.fire_stations.count, 2);
  assert.equal(byId.fire_stations.geometry_type, "Point");
  assert.equal(byId.districts.count, 0);
  assert.equal(byId.districts.bbox, null);
  const one = await getJson("/api/v1/layers/buildings");
  assert.equal(one.r.status, 200);
  assert.equal(one.body.count, NBUILD);
});

test("items page through the whole layer with limit, offset and next links", async () => {
  const seen = new Set();
  let url = "/api/v1/layers/buildings/items?limit=10";
  let pages = 0;
  while (url && pages < 10) {
    const { r, body } = await getJson(url.replace(base, ""));
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type"), /application\/geo\+json/);
    assert.equal(body.type, "FeatureCollection");
    assert.equal(body.numberMatched, NBUILD);
    assert.equal(body.numberReturned, body.features.length);
    for (const f of body.features) {
      assert.equal(f.type, "Feature");
      assert.equal(f.geometry.type, "MultiPolygon");
      assert.equal(f.properties.layer, "buildings");
      assert.ok(!seen.has(f.id), "duplicate " + f.id);
      seen.add(f.id);
    }
    const prev = body.links.find((l) => l.rel === "prev");
    assert.equal(Boolean(prev), pages > 0, "prev link only after the first page");
    const next = body.links.find((l) => l.rel === "next");
    url = next ? next.href : null;
    pages++;
  }
  assert.equal(pages, 3);
  assert.equal(seen.size, NBUILD);
  const past = await getJson("/api/v1/layers/buildings/items?offset=100");
  assert.equal(past.body.numberReturned, 0);
  assert.equal(past.body.numberMatched, NBUILD);
  assert.ok(!past.body.links.find((l) => l.rel === "next"));
});

test("items carry columns and the source attributes", async () => {
  const { body } = await getJson("/api/v1/layers/buildings/items?limit=" + NBUILD);
  const names = body.features.map((f) => f.properties.name).sort();
  assert.ok(names.includes("测试楼0") && names.includes("测试楼24"), names.join(","));
  const f = body.features.find((x) => x.properties.name === "测试楼7");
  assert.equal(f.properties.height, 17);
  const ring = f.geometry.coordinates[0][0];
  const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
  const [cx, cy] = cell(7);
  assert.ok(Math.abs(Math.min(...xs) - cx) < 1e-6 && Math.abs(Math.min(...ys) - cy) < 1e-6);
});

test("bbox selects exactly the buildings it intersects", async () => {
  // Covers cells 6, 7, 11, 12 (columns 1-2, rows 1-2), touching no other.
  const bbox = "112.412,34.612,112.422,34.622";
  const { r, body } = await getJson("/api/v1/layers/buildings/items?bbox=" + bbox);
  assert.equal(r.status, 200);
  const got = body.features.map((f) => f.properties.name).sort();
  assert.deepEqual(got, ["测试楼11", "测试楼12", "测试楼6", "测试楼7"]);
  assert.equal(body.numberMatched, 4);
  const self = body.links.find((l) => l.rel === "self");
  assert.match(self.href, /bbox=112\.412,34\.612,112\.422,34\.622/);
  // Between buildings: the gap between cells 0 and 1.
  const gap = await getJson("/api/v1/layers/buildings/items?bbox=112.4045,34.601,112.4095,34.603");
  assert.equal(gap.body.numberMatched, 0);
  assert.deepEqual(gap.body.features, []);
  const pts = await getJson("/api/v1/layers/fire_stations/items?bbox=112.42,34.62,112.44,34.64");
  assert.deepEqual(pts.body.features.map((f) => f.properties.name), ["西工消防站"]);
});

test("bbox is exact for lines whose bounding box only touches it", async () => {
  // The diagonal street runs (112.40, 34.65) -> (112.45, 34.70): this box is
  // inside its bounding box but below the line; the straight one is at 34.675.
  const corner = await getJson("/api/v1/layers/roads/items?bbox=112.44,34.651,112.449,34.659");
  assert.equal(corner.r.status, 200);
  assert.equal(corner.body.numberMatched, 0, JSON.stringify(corner.body.features.map((f) => f.properties.name)));
  const onLine = await getJson("/api/v1/layers/roads/items?bbox=112.42,34.668,112.423,34.672");
  assert.deepEqual(onLine.body.features.map((f) => f.properties.name), ["斜街"]);
  const both = await getJson("/api/v1/layers/roads/items?bbox=112.41,34.66,112.43,34.68");
  assert.deepEqual(both.body.features.map((f) => f.properties.name).sort(), ["中州路", "斜街"].sort());
  assert.equal(both.body.features.find((f) => f.properties.name === "中州路").geometry.type, "LineString");
});

test("concurrent requests on every worker all get the same answers", async () => {
  const urls = ["/api/v1/layers", "/api/v1/layers/buildings/items?bbox=112.412,34.612,112.422,34.622",
                "/api/v1/layers/buildings/items?limit=7&offset=21", "/healthz", "/api/v1/items/nope"];
  const res = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    getJson(urls[i % urls.length]).then(({ r, body }) => [i % urls.length, r.status, body])));
  for (const [k, status, body] of res) {
    if (k === 0) { assert.equal(status, 200); assert.equal(body.layers.find((l) => l.id === "buildings").count, NBUILD); }
    if (k === 1) { assert.equal(status, 200); assert.equal(body.numberMatched, 4); }
    if (k === 2) { assert.equal(status, 200); assert.equal(body.numberReturned, 4); }
    if (k === 3) assert.equal(body.status, "ok");
    if (k === 4) assert.equal(status, 404);
  }
});

test("an item by public id, across layers and within its layer", async () => {
  const list = await getJson("/api/v1/layers/fire_stations/items");
  const f = list.body.features.find((x) => x.properties.name === "老城消防站");
  assert.ok(f && f.id, "fire station has an id");
  const { r, body } = await getJson("/api/v1/items/" + encodeURIComponent(f.id));
  assert.equal(r.status, 200);
  assert.equal(body.type, "Feature");
  assert.equal(body.id, f.id);
  assert.equal(body.properties.layer, "fire_stations");
  assert.deepEqual(body.geometry, { type: "Point", coordinates: [112.4702, 34.6801] });
  const within = await getJson("/api/v1/layers/fire_stations/items/" + encodeURIComponent(f.id));
  assert.equal(within.r.status, 200);
  assert.deepEqual(within.body, body);
  const wrong = await getJson("/api/v1/layers/buildings/items/" + encodeURIComponent(f.id));
  assert.equal(wrong.r.status, 404);
});

const BAD = [
  ["/api/v1/layers/nope", 404, "not_found", "unknown layer 'nope'"],
  ["/api/v1/layers/nope/items", 404, "not_found", "unknown layer 'nope'"],
  ["/api/v1/items/no-such-id", 404, "not_found", "unknown item 'no-such-id'"],
  ["/api/v1/layers/buildings/items?bbox=5,1,3,2", 400, "bad_request", "minx 5 is greater than maxx 3"],
  ["/api/v1/layers/buildings/items?bbox=1,5,3,2", 400, "bad_request", "miny 5 is greater than maxy 2"],
  ["/api/v1/layers/buildings/items?bbox=NaN,1,2,3", 400, "bad_request", "not finite"],
  ["/api/v1/layers/buildings/items?bbox=1,2,3", 400, "bad_request", "expected 4 numbers"],
  ["/api/v1/layers/buildings/items?bbox=1,2,3,4,5", 400, "bad_request", "got 5"],
  ["/api/v1/layers/buildings/items?bbox=a,b,c,d", 400, "bad_request", "minx 'a' is not a number"],
  ["/api/v1/layers/buildings/items?bbox=1,,3,4", 400, "bad_request", "miny"],
  ["/api/v1/layers/buildings/items?bbox=1,2,1e999,4", 400, "bad_request", "not finite"],
  ["/api/v1/layers/buildings/items?bbox=-200,2,3,4", 400, "bad_request", "outside"],
  ["/api/v1/layers/buildings/items?limit=-1", 400, "bad_request", "limit: -1 is out of range"],
  ["/api/v1/layers/buildings/items?limit=0", 400, "bad_request", "limit: 0 is out of range"],
  ["/api/v1/layers/buildings/items?limit=1000000000", 400, "bad_request", "limit: 1000000000 is out of range"],
  ["/api/v1/layers/buildings/items?limit=ten", 400, "bad_request", "limit: 'ten' is not an integer"],
  ["/api/v1/layers/buildings/items?limit=", 400, "bad_request", "limit: empty value"],
  ["/api/v1/layers/buildings/items?offset=-3", 400, "bad_request", "offset: -3 is out of range"],
  ["/api/v1/layers/buildings/items?offset=1.5", 400, "bad_request", "offset: '1.5' is not an integer"],
  ["/api/v1/layers/buildings/items?colour=red", 400, "bad_request", "unknown query parameter 'colour'"],
  ["/api/v1/layers/buildings/items?limit=1&limit=2", 400, "bad_request", "more than once"],
  ["/api/v1/layers/buildings/items?f=xml", 400, "bad_request", "f: 'xml'"],
  ["/api/v1/nothing/here", 404, "not_found", "no route for GET /api/v1/nothing/here"],
  ["/no-such-page.html", 404, "not_found", "no file at /no-such-page.html"],
  ["/tiles/missing.glb", 404, "not_found", "no file"],
];

test("every bad input gets its 4xx with a JSON error naming the problem", async () => {
  for (const [p, status, code, msg] of BAD) {
    const { r, body, text } = await getJson(p);
    assert.equal(r.status, status, `${p}: ${text}`);
    assert.match(r.headers.get("content-type"), /application\/json/, p);
    assert.ok(body && body.error, `${p}: JSON error body: ${text}`);
    assert.equal(body.error.status, status, p);
    assert.equal(body.error.code, code, p);
    assert.ok(body.error.message.includes(msg), `${p}: "${body.error.message}" lacks "${msg}"`);
  }
  const { r } = await getJson("/healthz");
  assert.equal(r.status, 200, "the server still answers");
});

test("wrong method is 405 with Allow; OPTIONS is a CORS preflight", async () => {
  const { r, body } = await getJson("/api/v1/layers", { method: "POST", body: "{}" });
  assert.equal(r.status, 405);
  assert.equal(body.error.code, "method_not_allowed");
  assert.match(r.headers.get("allow"), /GET/);
  const del = await getJson("/api/v1/items/x", { method: "DELETE" });
  assert.equal(del.r.status, 405);
  const opt = await fetch(base + "/api/v1/layers", { method: "OPTIONS" });
  assert.equal(opt.status, 204);
  assert.equal(opt.headers.get("access-control-allow-origin"), "*");
  assert.match(opt.headers.get("access-control-allow-methods"), /GET/);
  const head = await fetch(base + "/api/v1/layers", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal((await head.text()).length, 0);
});

test("oversized requests are refused and the server keeps running", async () => {
  const big = await rawSocket("POST /api/v1/layers HTTP/1.1\r\nHost: x\r\n" +
    "Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n");
  assert.match(big, /^HTTP\/1\.1 413/, big.slice(0, 200));
  assert.match(big, /"code":"payload_too_large"/);
  const hdr = await rawSocket("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " +
    "a".repeat(40000) + "\r\n\r\n");
  assert.match(hdr, /^HTTP\/1\.[01] 4\d\d/, hdr.slice(0, 200));
  assert.match(hdr, /"error":\{"status":4\d\d/);
  const longUrl = await getJson("/api/v1/layers/buildings/items?bbox=" + "1".repeat(30000));
  assert.ok(longUrl.r.status >= 400 && longUrl.r.status < 500, "long URL: " + longUrl.r.status);
  const junk = await rawSocket("\x00\x01\x02 garbage\r\n\r\n");
  assert.ok(!/^HTTP\/1\.1 2/.test(junk), "garbage is not a 2xx");
  const { r } = await getJson("/healthz");
  assert.equal(r.status, 200);
});

test("half-sent requests holding every worker are closed after --request-timeout; others then get answers", async () => {
  const s = startServer(["--store", STORE, "--port", "0", "--listen", "127.0.0.1", "--ws-port", "off",
    "--web", WEB, "--threads", "2", "--request-timeout", "1", "--quiet"]);
  const b = await s.ready;
  const u = new URL(b);
  try {
    // more half-sent requests (no blank line ever comes) than workers
    const closed = [];
    for (let i = 0; i < 6; i++) {
      closed.push(new Promise((resolve) => {
        const k = net.connect(Number(u.port), u.hostname);
        const timer = setTimeout(() => { k.destroy(); resolve("still open"); }, 60000);
        k.on("connect", () => k.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n"));
        k.on("error", () => {});
        k.resume();   // read what the server answers, so its close is seen
        k.on("close", () => { clearTimeout(timer); resolve("closed"); });
      }));
    }
    const r = await fetch(b + "/healthz", { signal: AbortSignal.timeout(60000) });
    assert.equal(r.status, 200);
    assert.deepEqual(await Promise.all(closed), Array(6).fill("closed"));
    const again = await Promise.all([1, 2, 3].map(() => fetch(b + "/api/v1/layers")));
    assert.deepEqual(again.map((x) => x.status), [200, 200, 200]);
  } finally {
    s.p.kill("SIGTERM");
    assert.equal(await exitOf(s.p), 0, s.log());
  }
});

test("web page: the wall's index.html at / is served with its modules", async () => {
  const r = await fetch(base + "/");
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /text\/html/);
  const html = await r.text();
  assert.match(html, /citytwin/);
  assert.match(html, /js\/main\.js/);
  const js = await fetch(base + "/js/main.js");
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type"), /javascript/);
  // the leader's view has a short address of its own
  const leader = await fetch(base + "/leader");
  assert.equal(leader.status, 200);
  assert.match(await leader.text(), /js\/leader\.js/);
});

test("tiles: MIME types, CORS, Cache-Control, strong ETag and 304", async () => {
  const glb = await raw("/tiles/0/0/0.glb");
  assert.equal(glb.status, 200);
  assert.equal(glb.headers["content-type"], "model/gltf-binary");
  assert.equal(glb.headers["access-control-allow-origin"], "*");
  assert.match(glb.headers["cache-control"], /max-age|no-cache/);
  const etag = glb.headers.etag;
  assert.match(etag, /^"[^"]+"$/, "strong ETag");
  assert.equal(glb.body.subarray(0, 4).toString(), "glTF");
  const again = await raw("/tiles/0/0/0.glb", { "If-None-Match": etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.etag, etag);
  const other = await raw("/tiles/0/0/0.glb", { "If-None-Match": '"something-else"' });
  assert.equal(other.status, 200);
  const png = await raw("/basemap/10/843/412.png");
  assert.equal(png.status, 200);
  assert.equal(png.headers["content-type"], "image/png");
  const ts = await raw("/tiles/tileset.json");
  assert.equal(ts.headers["content-type"], "application/json");
  assert.equal(JSON.parse(ts.body).asset.version, "1.1");
});

test("gzip for JSON when accepted, with its own ETag; precompressed .gz sibling", async () => {
  const plain = await raw("/tiles/tileset.json");
  assert.equal(plain.headers["content-encoding"], undefined);
  const gz = await raw("/tiles/tileset.json", { "Accept-Encoding": "gzip" });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers["content-encoding"], "gzip");
  assert.match(gz.headers.vary, /Accept-Encoding/);
  assert.ok(gz.body.length < plain.body.length, "compressed is smaller");
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gz.body)), JSON.parse(plain.body));
  assert.notEqual(gz.headers.etag, plain.headers.etag);
  const gz304 = await raw("/tiles/tileset.json",
    { "Accept-Encoding": "gzip", "If-None-Match": gz.headers.etag });
  assert.equal(gz304.status, 304);
  const refused = await raw("/tiles/tileset.json", { "Accept-Encoding": "gzip;q=0" });
  assert.equal(refused.headers["content-encoding"], undefined);
  const pre = await raw("/basemap/meta.json", { "Accept-Encoding": "gzip" });
  assert.equal(JSON.parse(zlib.gunzipSync(pre.body)).which, "precompressed");
  const orig = await raw("/basemap/meta.json");
  assert.equal(JSON.parse(orig.body).which, "original");
  // API answers are gzipped too when large enough.
  const items = await raw("/api/v1/layers/buildings/items?limit=25", { "Accept-Encoding": "gzip" });
  assert.equal(items.headers["content-encoding"], "gzip");
  assert.equal(JSON.parse(zlib.gunzipSync(items.body)).numberReturned, 25);
});

test("path traversal and hidden files are refused", async () => {
  for (const p of ["/tiles/../../../../etc/passwd", "/tiles/..%2f..%2f..%2fetc%2fpasswd",
                   "/basemap/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
                   "/tiles/.hidden", "/tiles/0/..%5c..%5csecret.txt.bak"]) {
    const r = await raw(p);
    assert.ok(r.status === 400 || r.status === 404, `${p}: ${r.status}`);
    assert.ok(!/root:/.test(r.body.toString()), p);
    // The answer is our JSON error, never the file's content.
    assert.equal(JSON.parse(r.body).error.status, r.status, p);
  }
  const { r } = await getJson("/healthz");
  assert.equal(r.status, 200);
});

test("command line: --help, bad options, missing store, port in use", async () => {
  const help = spawnSync(BIN, ["serve", "--help"], { encoding: "utf8", timeout: 20000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--store/);
  assert.match(help.stdout, /--tiles/);
  const bad = spawnSync(BIN, ["serve", "--port", "http"], { encoding: "utf8", timeout: 20000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--port 'http'/);
  const missing = path.join(TMP, "nope.sqlite");
  const ms = spawnSync(BIN, ["serve", "--store", missing, "--port", "0"], { encoding: "utf8", timeout: 20000 });
  assert.equal(ms.status, 1);
  assert.ok(ms.stderr.includes(missing), ms.stderr);
  assert.ok(!fs.existsSync(missing), "a missing store is not created");
  const port = new URL(base).port;
  const busy = spawnSync(BIN, ["serve", "--store", STORE, "--port", port], { encoding: "utf8", timeout: 20000 });
  assert.equal(busy.status, 1);
  assert.match(busy.stderr, /cannot listen/);
});

test("a store replaced on disk (renamed over) is read afresh", async () => {
  const fresh = path.join(TMP, "fresh.sqlite");
  const imp = spawnSync(BIN, ["import", "--store", fresh, path.join(FIX, "fire_stations.geojson")],
    { encoding: "utf8", timeout: 120000 });
  assert.equal(imp.status, 0, imp.stderr);
  const before = await getJson("/api/v1/layers/buildings");
  assert.equal(before.body.count, NBUILD);
  fs.renameSync(fresh, STORE);
  const after = await getJson("/api/v1/layers/buildings");
  assert.equal(after.body.count, 0);
  assert.equal(after.body.bbox, null);
  const fsl = await getJson("/api/v1/layers/fire_stations");
  assert.equal(fsl.body.count, 2);
});

test("SIGTERM stops the server with exit code 0 and no sanitizer report", async () => {
  // Open a keep-alive connection first: shutdown must not hang on it.
  const u = new URL(base);
  const idle = net.connect(Number(u.port), u.hostname);
  idle.on("error", () => {});   // the server may reset it while stopping
  await new Promise((res) => idle.on("connect", res));
  server.p.kill("SIGTERM");
  const code = await exitOf(server.p);
  idle.destroy();
  const log = server.log();
  assert.equal(code, 0, log.slice(-3000));
  assert.ok(!/Sanitizer/.test(log), log.slice(-3000));
  assert.match(log, /SIGTERM received/);
});
