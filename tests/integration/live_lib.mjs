// tests/integration/live_lib.mjs: shared by live.test.mjs and auth.test.mjs:
// a small generated store (synth --scale 0.05 + import), tokens, the real
// server (sanitizer build) on free loopback ports, and request helpers.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const BIN = process.env.CITYTWIN_BIN;
export const SRC = process.env.CT_SRC ?? path.resolve(".");

export function tmpdir(name) {
  return fs.mkdtempSync(path.join(process.env.CT_TEST_TMP ?? "/tmp", name + "-"));
}

// A store of the generated city at 5 % scale (~1,200 roads, 160 car parks,
// 1,000 water stations): a few seconds.
export function buildStore(dir) {
  const gpkg = path.join(dir, "city.gpkg"), store = path.join(dir, "city.sqlite");
  let r = spawnSync(BIN, ["synth", "--scale", "0.05", "--quiet", "--out", gpkg, "--open",
    path.join(SRC, "data/luoyang/luoyang_open.gpkg")], { encoding: "utf8", timeout: 300000 });
  assert.equal(r.status, 0, "synth: " + r.stderr);
  r = spawnSync(BIN, ["import", gpkg, "--store", store], { encoding: "utf8", timeout: 300000 });
  assert.equal(r.status, 0, "import: " + r.stderr);
  return store;
}

export function tokenCmd(args) {
  return spawnSync(BIN, ["token", ...args], { encoding: "utf8", timeout: 60000 });
}

export function createToken(db, role, name) {
  const r = tokenCmd(["create", "--role", role, "--db", db, ...(name ? ["--name", name] : [])]);
  assert.equal(r.status, 0, "token create: " + r.stderr);
  return r.stdout.trim();
}

// Start `citytwin serve` from the source root (data/thresholds.json etc.).
export function startServer(args) {
  const ws = args.includes("--ws-port") ? [] : ["--ws-port", "off"];
  const p = spawn(BIN, ["serve", "--port", "0", ...ws, "--quiet", ...args],
    { cwd: SRC, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      p.kill("SIGKILL");   // never leave a server behind a failed test
      reject(new Error("server did not start: " + log));
    }, 60000);
    p.stderr.on("data", (d) => {
      log += d;
      const m = /listening on (http:\/\/[0-9.]+:[0-9]+)\//.exec(log);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    p.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${log}`)); });
  });
  return { p, ready, log: () => log };
}

export function exitOf(p, ms = 60000) {
  return new Promise((resolve, reject) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.exitCode ?? p.signalCode);
    const timer = setTimeout(() => reject(new Error("no exit")), ms);
    p.on("exit", (code, sig) => { clearTimeout(timer); resolve(code ?? sig); });
  });
}

// Stop with SIGTERM and expect a clean exit (0: no leak reported).
export async function stopServer(s) {
  if (s.p.exitCode !== null || s.p.signalCode !== null) return;
  s.p.kill("SIGTERM");
  const code = await exitOf(s.p);
  assert.equal(code, 0, "server exit: " + s.log().slice(-3000));
}

export async function req(base, method, pathname, { body, token, type, raw } = {}) {
  const headers = {};
  if (token) headers.authorization = "Bearer " + token;
  if (body !== undefined) headers["content-type"] = type ?? "application/json";
  const r = await fetch(base + pathname, {
    method, headers, signal: AbortSignal.timeout(60000),
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

export const iso = (ms) => new Date(ms).toISOString();

// Poll fn until it returns a truthy value (bounded).
export async function until(fn, ms = 60000, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in " + ms + " ms");
    await new Promise((r) => setTimeout(r, every));
  }
}
