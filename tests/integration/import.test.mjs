// tests/integration/import.test.mjs: `citytwin import` from the command
// line: help and usage errors (exit 2), bad input (exit 1, a message naming
// the problem, store unchanged), the JSON report of a real import, and the
// same data round-tripped through FlatGeobuf and Shapefile with ogr2ogr.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const BIN = process.env.CITYTWIN_BIN;
const SRC = process.env.CT_SRC ?? path.resolve(".");
const TMP = fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? "/tmp", "import-"));
const TZ = path.join(SRC, "tests/fixtures/fallback_osm_shanghai_wuhan_tilezen.gpkg");
const OSM = path.join(SRC, "tests/fixtures/beijing_bupt_campus_osm.osm");

function run(args, opts = {}) {
  const r = spawnSync(BIN, ["import", ...args], { cwd: TMP, encoding: "utf8", timeout: 180000, ...opts });
  if (r.error) throw r.error;
  return r;
}

function ogr2ogr(args) {
  const r = spawnSync("ogr2ogr", args, { cwd: TMP, encoding: "utf8", timeout: 120000 });
  assert.equal(r.status, 0, `ogr2ogr ${args.join(" ")}: ${r.stderr}`);
}

function sql(store, q) {
  const r = spawnSync("sqlite3", [store, q], { encoding: "utf8", timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const report = (file) => JSON.parse(fs.readFileSync(path.join(TMP, file), "utf8"));

test("--help explains every option and exits 0", () => {
  const r = run(["--help"]);
  assert.equal(r.status, 0);
  for (const opt of ["--store", "--s_srs", "--clip", "--map", "--report", "gcj02"])
    assert.match(r.stdout, new RegExp(opt));
});

test("usage errors exit 2", () => {
  for (const args of [[], ["--bogus", TZ], [TZ, "--map"]]) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /usage: citytwin import/);
  }
});

test("a real import writes a JSON report with counts per layer", () => {
  const r = run([TZ, "--store", "tz.sqlite", "--report", "tz.json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /buildings 1555/);
  assert.doesNotMatch(r.stderr, /\r/, "no progress lines when stderr is a pipe");
  const rep = report("tz.json");
  assert.equal(rep.total.written.buildings, 1555);
  assert.equal(rep.total.written.building_parts, 132);
  assert.equal(rep.total.rejected.no_geometry, 3);
  const sh = rep.layers.find((l) => l.layer === "sh_buildings");
  assert.equal(sh.mapping, "tilezen");
  assert.equal(sh.read, 1450);
  assert.deepEqual(sh.written, { buildings: 1321, building_parts: 129 });
  assert.equal(sql(path.join(TMP, "tz.sqlite"), "SELECT height FROM buildings WHERE id='buildings:tz:165792123'"), "632.0");
  // the import is logged in the store
  assert.equal(sql(path.join(TMP, "tz.sqlite"), "SELECT count(*) FROM imports"), "1");
});

test("OSM XML imports with the osm mapping", () => {
  const r = run([OSM, "--store", "osm.sqlite", "--report", "osm.json", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "", "--quiet prints nothing");
  const rep = report("osm.json");
  assert.equal(rep.total.written.buildings, 111);
  assert.ok(rep.layers.every((l) => l.mapping === "osm"));
});

test("FlatGeobuf and Shapefile copies import like the GeoPackage", () => {
  ogr2ogr(["-f", "FlatGeobuf", "sh_buildings.fgb", TZ, "sh_buildings"]);
  let r = run(["sh_buildings.fgb", "--store", "fgb.sqlite", "--report", "fgb.json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(report("fgb.json").total.written, { buildings: 1321, building_parts: 129 });

  ogr2ogr(["-f", "ESRI Shapefile", "shp", TZ, "sh_buildings", "sh_roads"]);
  r = run(["shp", "--store", "shp.sqlite", "--report", "shp.json"]);
  assert.equal(r.status, 0, r.stderr);
  const w = report("shp.json").total.written;
  const g = report("tz.json").layers;
  assert.equal(w.buildings, 1321);
  assert.equal(w.roads, g.find((l) => l.layer === "sh_roads").written.roads);
  // same public ids whatever the format
  assert.equal(sql(path.join(TMP, "shp.sqlite"), "SELECT count(*) FROM buildings WHERE id='buildings:tz:165792123'"), "1");
});

test("--replace: a re-import deletes what its source no longer has (rows, ids, index); others stay", () => {
  ogr2ogr(["-f", "GPKG", "rep_a.gpkg", TZ, "sh_buildings", "-where", "fid <= 200"]);
  ogr2ogr(["-f", "GPKG", "rep_b.gpkg", TZ, "sh_buildings", "-where", "fid <= 150"]);
  ogr2ogr(["-f", "GPKG", "rep_w.gpkg", TZ, "wh_buildings", "-where", "fid <= 50"]);
  const st = path.join(TMP, "rep.sqlite");
  const count = (t) => Number(sql(st, `SELECT count(*) FROM ${t}`));
  let r = run(["rep_a.gpkg", "rep_w.gpkg", "--store", "rep.sqlite", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  const all = count("buildings") + count("building_parts");
  const wuhan = Number(sql(st, "SELECT count(*) FROM buildings WHERE src_layer = 'wh_buildings'"));
  assert.ok(wuhan > 0);
  // without --replace a smaller source only updates
  r = run(["rep_b.gpkg", "--store", "rep.sqlite", "--quiet"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(count("buildings") + count("building_parts"), all);
  r = run(["rep_b.gpkg", "--store", "rep.sqlite", "--replace", "--report", "rep.json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /removed \(no longer in their source, --replace\): buildings \d+/);
  const rep = report("rep.json");
  const left = count("buildings") + count("building_parts");
  assert.ok(rep.total.removed_total > 0);
  assert.equal(all - left, rep.total.removed_total);
  const wuhanAll = wuhan + Number(sql(st, "SELECT count(*) FROM building_parts WHERE src_layer = 'wh_buildings'"));
  assert.equal(left, rep.total.written_rows + wuhanAll, "exactly the rows of the smaller source, plus Wuhan's");
  // the other source layer is untouched
  assert.equal(Number(sql(st, "SELECT count(*) FROM buildings WHERE src_layer = 'wh_buildings'")), wuhan);
  // no dangling public id, and the spatial index holds exactly the rows
  assert.equal(sql(st, "SELECT count(*) FROM items i WHERE layer = 'buildings' AND NOT EXISTS" +
    " (SELECT 1 FROM buildings b WHERE b.id = i.id)"), "0");
  assert.equal(Number(sql(st, "SELECT count(*) FROM idx_buildings_geom")), count("buildings"));
});

test("bad input: exit 1, the problem named, the store unchanged", () => {
  const store = path.join(TMP, "tz.sqlite");
  const before = sql(store, "SELECT count(*) || '/' || sum(fid) FROM items");
  fs.writeFileSync(path.join(TMP, "zero.geojson"), JSON.stringify({
    type: "FeatureCollection", name: "buildings",
    features: [{ type: "Feature", properties: { id: "z" },
      geometry: { type: "Polygon", coordinates: [[[112, 34], [112.001, 34.001], [112.002, 34.002], [112, 34]]] } }],
  }));
  fs.writeFileSync(path.join(TMP, "garbage.gpkg"), "SQLite format 3\0 but then nothing sensible at all".repeat(50));
  const cases = [
    [["missing.gpkg"], /missing\.gpkg: no such file/],
    [["garbage.gpkg"], /garbage\.gpkg/],
    [[TZ, "--s_srs", "EPSG:0"], /unknown CRS 'EPSG:0'/],
    [[TZ, "zero.geojson"], /zero\.geojson: nothing imported.*zero_area/],
    [[TZ, "--map", "nonesuch"], /nonesuch/],
    [[TZ, "--clip", "missing-boundary.geojson"], /missing-boundary\.geojson/],
    [[TZ, "--report", "/nonexistent-dir/r.json"], /r\.json: cannot write/],
  ];
  for (const [args, re] of cases) {
    const r = run([...args, "--store", "tz.sqlite"]);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /store tz\.sqlite is unchanged/);
    assert.equal(sql(store, "SELECT count(*) || '/' || sum(fid) FROM items"), before);
  }
  assert.equal(sql(store, "SELECT count(*) FROM imports"), "1");
});
