// tests/integration/synth.test.mjs: the `citytwin synth` command line.
// Options and their errors (exit 2 with the option named), a small city
// generated twice with the same seed gives the same bytes, and
// --check-scenario accepts the shipped scenario and names a mistake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const BIN = process.env.CITYTWIN_BIN;
const SRC = process.env.CT_SRC ?? path.resolve(".");
const TMP = fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? "/tmp", "synth-"));
const OPEN = path.join(SRC, "data/luoyang/luoyang_open.gpkg");

const run = (...args) =>
  spawnSync(BIN, ["synth", ...args], { encoding: "utf8", timeout: 120000, cwd: TMP });
const sha = (p) => crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");

test("synth --help lists the options", () => {
  const r = run("--help");
  assert.equal(r.status, 0, r.stderr);
  for (const o of ["--out", "--seed", "--scale", "--open", "--check-scenario"])
    assert.match(r.stdout, new RegExp(o));
});

test("bad options exit 2 and name the option", () => {
  let r = run("--scale", "abc");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--scale 'abc'/);
  r = run("--seed", "-3");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--seed '-3'/);
  r = run("--open", path.join(TMP, "missing.gpkg"), "--out", path.join(TMP, "x.gpkg"));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /missing\.gpkg/);
});

test("same seed, same bytes; the summary counts the layers", () => {
  const a = path.join(TMP, "a.gpkg"), b = path.join(TMP, "sub/dir/b.gpkg");
  let r = run("--scale", "0.03", "--seed", "5", "--open", OPEN, "--out", a);
  assert.equal(r.status, 0, r.stderr);
  const m = r.stdout.match(/buildings\s+(\d+)/);
  assert.ok(m && Number(m[1]) > 500, r.stdout);
  assert.match(r.stdout, /water_stations\s+\d{3,}/);
  r = run("--scale", "0.03", "--seed", "5", "--open", OPEN, "--out", b, "--quiet");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(sha(a), sha(b));
});

test("--check-scenario accepts the default and names a typo", () => {
  const def = path.join(SRC, "data/scenario/default.json");
  let r = run("--check-scenario", def);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /is valid/);
  const bad = path.join(TMP, "typo.json");
  fs.writeFileSync(bad, fs.readFileSync(def, "utf8").replace('"peak_mm_h"', '"peak_mmh"'));
  r = run("--check-scenario", bad);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /typo\.json: events\[2\]: unknown key 'peak_mmh'/);
});
