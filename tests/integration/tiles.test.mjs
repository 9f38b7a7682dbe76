// tests/integration/tiles.test.mjs: `citytwin tiles` end to end: a store
// imported from a GeoJSON written here (a grid of buildings plus golden
// footprints), tiled plain and with meshopt; every .glb passes the Khronos
// glTF validator with 0 errors; tileset.json follows the 3D Tiles 1.1
// rules we can check; every building is in exactly one leaf with its
// metadata; vertices (decoded with meshoptimizer's decoder for the
// compressed variant) land inside their tile's bounding region once the
// y-up -> z-up rotation and the composed tile transforms are applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const SRC = process.env.CT_SRC ?? path.resolve(".");
const BIN = process.env.CITYTWIN_BIN ?? path.join(SRC, "build/citytwin-asan");
const TMP = fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? "/tmp", "tiles-"));
const require = createRequire(path.join(SRC, "tests/package.json"));
const validator = require("gltf-validator");
const { MeshoptDecoder } = await import(
  path.join(SRC, "tests/node_modules/meshoptimizer/meshopt_decoder.mjs"));

function run(args) {
  const r = spawnSync(BIN, args, { cwd: TMP, encoding: "utf8", timeout: 300000 });
  if (r.error) throw r.error;
  return r;
}

// ---- the source data: a grid of rectangles and a few dirty footprints ----
const N = 16;
const features = [];
function rect(lon, lat, w, h) {
  const dx = w / 91500, dy = h / 110900;
  return [[[lon, lat], [lon + dx, lat], [lon + dx, lat + dy], [lon, lat + dy], [lon, lat]]];
}
for (let i = 0; i < N * N; i++) {
  const lon = 112.44 + (i % N) * 0.0006, lat = 34.6 + Math.floor(i / N) * 0.0005;
  features.push({
    type: "Feature",
    properties: { id: `bld-${i}`, name: i % 4 ? "" : `楼${i}`, kind: i % 2 ? "residential" : "office",
                  height: 6 + (i * 13) % 90, levels: 2 + (i % 20), source: "itest" },
    geometry: { type: "Polygon", coordinates: rect(lon, lat, 12 + (i * 7) % 15, 10 + (i * 3) % 9) },
  });
}
const golden = {
  "g-courtyard": { type: "Polygon", coordinates: [
    [[112.43, 34.59], [112.4306, 34.59], [112.4306, 34.5905], [112.43, 34.5905], [112.43, 34.59]],
    [[112.4302, 34.5902], [112.4302, 34.5903], [112.4304, 34.5903], [112.4304, 34.5902], [112.4302, 34.5902]]] },
  "g-multi": { type: "MultiPolygon", coordinates: [
    [[[112.431, 34.59], [112.4312, 34.59], [112.4312, 34.5902], [112.431, 34.59]]],
    [[[112.4314, 34.59], [112.4316, 34.59], [112.4316, 34.5902], [112.4314, 34.5902], [112.4314, 34.59]]]] },
  "g-clockwise": { type: "Polygon", coordinates: [
    [[112.432, 34.59], [112.432, 34.5902], [112.4322, 34.5902], [112.4322, 34.59], [112.432, 34.59]]] },
  "g-lshape": { type: "Polygon", coordinates: [
    [[112.433, 34.59], [112.4334, 34.59], [112.4334, 34.5901], [112.4331, 34.5901], [112.4331, 34.5904],
     [112.433, 34.5904], [112.433, 34.59]]] },
};
for (const [id, geometry] of Object.entries(golden))
  features.push({ type: "Feature", properties: { id, name: "", kind: "office", height: 15, levels: 5,
                  source: "itest" }, geometry });
const byId = new Map(features.map((f) => [f.properties.id, f.properties]));

// ---- reading what the tiler wrote ----
function readGlb(file) {
  const b = fs.readFileSync(file);
  assert.equal(b.readUInt32LE(0), 0x46546c67, `${file}: not a GLB`);
  assert.equal(b.readUInt32LE(8), b.length, `${file}: GLB length`);
  const jl = b.readUInt32LE(12);
  const json = JSON.parse(b.subarray(20, 20 + jl).toString("utf8"));
  const bin = b.subarray(28 + jl, 28 + jl + b.readUInt32LE(20 + jl));
  return { bytes: b, json, bin };
}

// The bytes of a bufferView, meshopt-decoded when it is compressed.
function viewBytes(g, index) {
  const v = g.json.bufferViews[index];
  const ext = v.extensions?.EXT_meshopt_compression;
  if (!ext)
    return g.bin.subarray(v.byteOffset ?? 0, (v.byteOffset ?? 0) + v.byteLength);
  const out = new Uint8Array(ext.count * ext.byteStride);
  const src = g.bin.subarray(ext.byteOffset ?? 0, (ext.byteOffset ?? 0) + ext.byteLength);
  MeshoptDecoder.decodeGltfBuffer(out, ext.count, ext.byteStride, src, ext.mode, ext.filter);
  return Buffer.from(out.buffer);
}

function accessorValues(g, index) {
  const a = g.json.accessors[index];
  const v = g.json.bufferViews[a.bufferView];
  const buf = viewBytes(g, a.bufferView);
  const n = { VEC3: 3, SCALAR: 1 }[a.type];
  const size = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 }[a.componentType];
  const stride = v.byteStride ?? n * size;
  const read = {
    5120: (o) => buf.readInt8(o), 5121: (o) => buf.readUInt8(o), 5122: (o) => buf.readInt16LE(o),
    5123: (o) => buf.readUInt16LE(o), 5125: (o) => buf.readUInt32LE(o), 5126: (o) => buf.readFloatLE(o),
  }[a.componentType];
  const out = [];
  for (let i = 0; i < a.count; i++) {
    const e = [];
    for (let k = 0; k < n; k++) e.push(read((a.byteOffset ?? 0) + i * stride + k * size));
    out.push(n === 1 ? e[0] : e);
  }
  return out;
}

function propertyTable(g) {
  const meta = g.json.extensions.EXT_structural_metadata;
  const t = meta.propertyTables[0];
  const cls = meta.schema.classes[t.class].properties;
  const rows = Array.from({ length: t.count }, () => ({}));
  for (const [name, p] of Object.entries(t.properties)) {
    const values = viewBytes(g, p.values);
    if (cls[name].type === "STRING") {
      const offs = viewBytes(g, p.stringOffsets);
      const w = p.stringOffsetType === "UINT16" ? 2 : 4;
      const at = (i) => (w === 2 ? offs.readUInt16LE(2 * i) : offs.readUInt32LE(4 * i));
      rows.forEach((r, i) => { r[name] = values.subarray(at(i), at(i + 1)).toString("utf8"); });
    } else if (cls[name].componentType === "FLOAT32") {
      rows.forEach((r, i) => { r[name] = values.readFloatLE(4 * i); });
    } else {
      rows.forEach((r, i) => { r[name] = values.readUInt16LE(2 * i); });
    }
  }
  return rows;
}

// ---- geodesy for the checks (WGS84, as the tiler) ----
const A = 6378137, F = 1 / 298.257223563, E2 = F * (2 - F);
function toGeodetic([x, y, z]) {
  const lon = Math.atan2(y, x), p = Math.hypot(x, y);
  let lat = Math.atan2(z, p * (1 - E2)), h = 0;
  for (let i = 0; i < 6; i++) {
    const s = Math.sin(lat), n = A / Math.sqrt(1 - E2 * s * s);
    h = p / Math.cos(lat) - n;
    lat = Math.atan2(z, p * (1 - E2 * n / (n + h)));
  }
  return [lon, lat, h];
}
const mul = (m, v) => [0, 1, 2].map((r) => m[r] * v[0] + m[4 + r] * v[1] + m[8 + r] * v[2] + m[12 + r]);
function compose(a, b) {  // column-major a * b
  const o = new Array(16).fill(0);
  for (let c = 0; c < 4; c++)
    for (let r = 0; r < 4; r++)
      for (let k = 0; k < 4; k++) o[4 * c + r] += a[4 * k + r] * b[4 * c + k];
  return o;
}

// ---- building the tilesets ----
fs.writeFileSync(path.join(TMP, "buildings.geojson"),
  JSON.stringify({ type: "FeatureCollection", features }));
const STORE = path.join(TMP, "city.sqlite");

test("import the test buildings", () => {
  const r = run(["import", "buildings.geojson", "--store", STORE, "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
});

test("--help and usage errors", () => {
  const h = run(["tiles", "--help"]);
  assert.equal(h.status, 0);
  for (const opt of ["--store", "--out", "--compress", "--jobs", "--max-triangles", "--no-basemap"])
    assert.match(h.stdout, new RegExp(opt));
  for (const args of [["--compress", "zip"], ["--jobs", "0"], ["--bogus"]]) {
    const r = run(["tiles", ...args]);
    assert.equal(r.status, 2, args.join(" "));
  }
  const r = run(["tiles", "--store", "nowhere.sqlite", "--no-basemap"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nowhere\.sqlite/);
});

// Walk a built tileset and check every rule; onRow sees each leaf row.
async function verify(OUT, mode, onRow) {
  await MeshoptDecoder.ready;
  const ts = JSON.parse(fs.readFileSync(path.join(OUT, "tileset.json"), "utf8"));
  assert.equal(ts.asset.version, "1.1");
  assert.ok(ts.geometricError >= ts.root.geometricError);
  const seen = new Map();
  let leaves = 0, glbs = 0;

  async function visit(tile, parent, parentTransform) {
    const region = tile.boundingVolume.region;
    assert.equal(region.length, 6);
    assert.ok(region[0] <= region[2] && region[1] <= region[3] && region[4] <= region[5]);
    const transform = compose(parentTransform, tile.transform);
    if (parent) {
      const pr = parent.boundingVolume.region;
      assert.ok(tile.geometricError <= parent.geometricError, "geometric error grows downwards");
      for (const i of [0, 1, 4]) assert.ok(region[i] >= pr[i] - 1e-12, "child region outside parent");
      for (const i of [2, 3, 5]) assert.ok(region[i] <= pr[i] + 1e-12, "child region outside parent");
    }
    const children = tile.children ?? [];
    if (children.length === 0) {
      leaves++;
      assert.equal(tile.geometricError, 0);
      assert.ok(tile.content, "a leaf has content");
    }
    if (tile.content) {
      const file = path.join(OUT, tile.content.uri);
      assert.ok(fs.existsSync(file), `${tile.content.uri} exists`);
      const g = readGlb(file);
      glbs++;
      const v = await validator.validateBytes(new Uint8Array(g.bytes), { maxIssues: 100 });
      assert.equal(v.issues.numErrors, 0, `${tile.content.uri}: ${JSON.stringify(v.issues.messages)}`);
      assert.equal(v.issues.numWarnings, 0, `${tile.content.uri}: ${JSON.stringify(v.issues.messages)}`);
      if (mode === "meshopt")
        assert.deepEqual(g.json.extensionsRequired.sort(), ["EXT_meshopt_compression", "KHR_mesh_quantization"]);
      const prim = g.json.meshes[0].primitives[0];
      const rows = propertyTable(g);
      assert.equal(prim.extensions.EXT_mesh_features.featureIds[0].featureCount, rows.length);
      const fids = accessorValues(g, prim.attributes._FEATURE_ID_0);
      const used = new Set(fids);
      for (const f of used) assert.ok(Number.isInteger(f) && f >= 0 && f < rows.length);
      assert.equal(used.size, rows.length, "every feature has vertices");
      // vertices, through node TRS, y-up -> z-up and the tile transforms
      const node = g.json.nodes[0];
      const s = node.scale ?? [1, 1, 1], t = node.translation ?? [0, 0, 0];
      const tol = 1e-6 * 50;  // ~0.3 m in radians, plus quantization
      for (const p of accessorValues(g, prim.attributes.POSITION)) {
        const q = [p[0] * s[0] + t[0], p[1] * s[1] + t[1], p[2] * s[2] + t[2]];
        const [lon, lat, h] = toGeodetic(mul(transform, [q[0], -q[2], q[1]]));
        assert.ok(lon >= region[0] - tol && lon <= region[2] + tol &&
                  lat >= region[1] - tol && lat <= region[3] + tol &&
                  h >= region[4] - 0.5 && h <= region[5] + 0.5,
                  `${tile.content.uri}: vertex ${lon},${lat},${h} outside ${region}`);
      }
      if (children.length === 0)
        for (const row of rows) {
          seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
          onRow(row);
        }
    }
    for (const c of children) await visit(c, tile, transform);
  }
  const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  await visit(ts.root, null, identity);
  for (const [id, n] of seen) assert.equal(n, 1, `${id} is in ${n} leaves`);
  return { seen, leaves, glbs };
}

for (const mode of ["none", "meshopt"]) {
  const OUT = path.join(TMP, `tiles-${mode}`);
  test(`tiles --compress ${mode}: valid glTF, tileset rules, each building once`, async () => {
    const r = run(["tiles", "--store", STORE, "--out", OUT, "--compress", mode, "--jobs", "2",
                   "--max-triangles", "1500", "--lod-boxes", "16", "--no-basemap"]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(fs.readFileSync(path.join(OUT, "report.json"), "utf8"));
    assert.equal(report.features, features.length);
    assert.equal(report.built, features.length);
    const { seen, leaves, glbs } = await verify(OUT, mode, (row) => {
      const src = byId.get(row.id);
      assert.ok(src, `unknown id ${row.id}`);
      assert.equal(row.name, src.name);
      assert.equal(row.kind, src.kind);
      assert.equal(row.source, src.source);
      assert.equal(row.levels, src.levels);
      assert.ok(Math.abs(row.height - src.height) < 1e-3);
    });
    assert.ok(leaves >= 4, `${leaves} leaves: the tree was meant to split`);
    assert.equal(glbs, report.contents);
    assert.equal(seen.size, features.length, "every building in a leaf");
  });
}

test("real footprints (Tilezen/OSM fixture with building parts) tile cleanly", async () => {
  const fixture = path.join(SRC, "tests/fixtures/fallback_osm_shanghai_wuhan_tilezen.gpkg");
  const store = path.join(TMP, "real.sqlite"), OUT = path.join(TMP, "tiles-real");
  const im = run(["import", fixture, "--store", store, "--quiet"]);
  assert.equal(im.status, 0, im.stderr);
  const r = run(["tiles", "--store", store, "--out", OUT, "--max-triangles", "20000",
                 "--no-basemap", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(fs.readFileSync(path.join(OUT, "report.json"), "utf8"));
  const parentsOfParts = new Set();
  const { seen } = await verify(OUT, "meshopt", (row) => {
    if (row.building) parentsOfParts.add(row.building);
  });
  assert.ok(report.features > 1000);
  assert.equal(report.built + report.hidden_outlines + report.unbuilt, report.features);
  assert.equal(seen.size, report.built, "each built feature in one leaf");
  assert.ok(report.hidden_outlines > 0 && parentsOfParts.size >= report.hidden_outlines,
            "buildings with parts are drawn by their parts");
  for (const b of parentsOfParts) assert.ok(!seen.has(b), `${b} drawn as well as its parts`);
});
