// tests/integration/auth.test.mjs: bearer tokens and roles (docs/AUTH.md):
// `citytwin token create|list|revoke` (the token printed once, only its
// hash stored), 401 without or with a bad/revoked token, 403 for the wrong
// role, --require-token for reads, and --init-tokens (tokens.txt, 0600).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import {
  BIN, buildStore, createToken, iso, req, startServer, stopServer, tmpdir, tokenCmd,
} from "./live_lib.mjs";

const TMP = tmpdir("auth");
const DB = path.join(TMP, "auth.sqlite");
let STORE, srv, base, road;
const servers = [];

async function serve(args) {
  const s = startServer(["--store", STORE, "--live", path.join(TMP, "live.sqlite"), ...args]);
  servers.push(s);
  return [s, await s.ready];
}

before(async () => {
  assert.ok(BIN, "CITYTWIN_BIN is set");
  STORE = buildStore(TMP);
});

after(async () => { for (const s of servers) await stopServer(s); });

test("token create prints a token once and stores only its SHA-256", () => {
  const r = tokenCmd(["create", "--role", "feeder", "--name", "gauge-feed", "--db", DB]);
  assert.equal(r.status, 0, r.stderr);
  const tok = r.stdout.trim();
  assert.match(tok, /^ct_[0-9a-f]{64}$/);
  assert.doesNotMatch(r.stderr, new RegExp(tok));
  const bytes = fs.readFileSync(DB);
  assert.ok(!bytes.includes(Buffer.from(tok)), "the token is not in the database");
  assert.ok(!bytes.includes(Buffer.from(tok.slice(3))), "nor its digits");
  const hash = crypto.createHash("sha256").update(tok).digest();
  assert.ok(bytes.includes(hash), "its SHA-256 is");
  const two = createToken(DB, "feeder");
  assert.notEqual(two, tok);
  const dup = tokenCmd(["create", "--role", "viewer", "--name", "gauge-feed", "--db", DB]);
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /gauge-feed/);
  assert.equal(tokenCmd(["create", "--role", "boss", "--db", DB]).status, 2);
  assert.equal(tokenCmd(["create", "--db", DB]).status, 2);
});

test("token list shows names and roles, never a token", () => {
  const t = createToken(DB, "operator", "night-shift");
  const l = tokenCmd(["list", "--db", DB]);
  assert.equal(l.status, 0, l.stderr);
  assert.match(l.stdout, /night-shift\s+operator\s+[0-9a-f]{8}/);
  assert.ok(!l.stdout.includes(t));
  const j = JSON.parse(tokenCmd(["list", "--json", "--db", DB]).stdout);
  const e = j.find((x) => x.name === "night-shift");
  assert.equal(e.role, "operator");
  assert.equal(e.prefix, t.slice(3, 11));
  assert.equal(e.revoked, null);
  assert.ok(!JSON.stringify(j).includes(t.slice(11)));
});

test("roles: no token 401, wrong role 403, unknown token 401, right role 2xx", async () => {
  const feeder = createToken(DB, "feeder", "f-roles");
  const viewer = createToken(DB, "viewer", "v-roles");
  const operator = createToken(DB, "operator", "o-roles");
  const admin = createToken(DB, "admin", "a-roles");
  [srv, base] = await serve(["--auth-db", DB]);
  road = (await req(base, "GET", "/api/v1/layers/roads/items?limit=1")).json.features[0].id;
  const batch = [{ entity: road, time: iso(Date.now() - 1000), values: { speed_kmh: 30 } }];
  let r = await req(base, "POST", "/api/v1/observations", { body: batch });
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, "unauthorized");
  assert.match(r.headers.get("www-authenticate"), /^Bearer/);
  r = await req(base, "POST", "/api/v1/observations", { body: batch, token: "ct_" + "0".repeat(64) });
  assert.equal(r.status, 401);
  r = await fetch(base + "/api/v1/observations", { method: "POST",
    headers: { authorization: "Basic " + Buffer.from("a:b").toString("base64") }, body: "[]" });
  assert.equal(r.status, 401);
  for (const t of [viewer, operator]) {
    r = await req(base, "POST", "/api/v1/observations", { body: batch, token: t });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.error.code, "forbidden");
  }
  r = await req(base, "POST", "/api/v1/observations", { body: batch, token: feeder });
  assert.equal(r.status, 200, r.text);
  r = await req(base, "POST", "/api/v1/incidents", { body: { kind: "accident", lon: 112.45, lat: 34.62 }, token: feeder });
  assert.equal(r.status, 403);
  r = await req(base, "POST", "/api/v1/incidents", { body: { kind: "accident", lon: 112.45, lat: 34.62 }, token: operator });
  assert.equal(r.status, 201, r.text);
  r = await req(base, "POST", "/api/v1/incidents", { body: { kind: "accident", lon: 112.45, lat: 34.62 }, token: admin });
  assert.equal(r.status, 201, r.text);
  r = await req(base, "POST", "/api/v1/observations", { body: batch, token: admin });
  assert.equal(r.status, 200, r.text);
  // Reads are open without --require-token; a bad token is still refused.
  assert.equal((await req(base, "GET", "/api/v1/vitals")).status, 200);
  assert.equal((await req(base, "GET", "/api/v1/vitals", { token: "ct_nope" })).status, 401);
});

test("a revoked token is refused by the running server at once", async () => {
  const t = createToken(DB, "feeder", "to-revoke");
  const batch = () => [{ entity: road, time: iso(Date.now() - 500), values: { speed_kmh: 31 } }];
  let r = await req(base, "POST", "/api/v1/observations", { body: batch(), token: t });
  assert.equal(r.status, 200, r.text);
  const rv = tokenCmd(["revoke", "to-revoke", "--db", DB]);
  assert.equal(rv.status, 0, rv.stderr);
  r = await req(base, "POST", "/api/v1/observations", { body: batch(), token: t });
  assert.equal(r.status, 401);
  const j = JSON.parse(tokenCmd(["list", "--json", "--db", DB]).stdout);
  assert.ok(j.find((x) => x.name === "to-revoke").revoked > 0);
  // By prefix; unknown names and ambiguous prefixes fail.
  const t2 = createToken(DB, "viewer", "by-prefix");
  assert.equal(tokenCmd(["revoke", t2.slice(3, 11), "--db", DB]).status, 0);
  assert.equal((await req(base, "GET", "/api/v1/vitals", { token: t2 })).status, 401);
  assert.equal(tokenCmd(["revoke", "no-such-token", "--db", DB]).status, 1);
  assert.equal(tokenCmd(["revoke", "to-revoke", "--db", DB]).status, 1);
});

test("--require-token: reads need a valid token too", async () => {
  const viewer = createToken(DB, "viewer", "wall-1");
  const [, b] = await serve(["--auth-db", DB, "--require-token", "listed-viewer-token-123"]);
  let r = await req(b, "GET", "/api/v1/vitals");
  assert.equal(r.status, 401);
  r = await req(b, "GET", "/api/v1/alerts", { token: viewer });
  assert.equal(r.status, 200, r.text);
  r = await req(b, "GET", "/api/v1/state", { token: "listed-viewer-token-123" });
  assert.equal(r.status, 200, r.text);
  r = await req(b, "POST", "/api/v1/observations", { body: [], token: "listed-viewer-token-123" });
  assert.equal(r.status, 403);
});

test("--init-tokens writes feeder/operator/admin tokens to tokens.txt (0600) once", async () => {
  const dir = tmpdir("init");
  const db = path.join(dir, "auth.sqlite");
  const s = startServer(["--store", STORE, "--live", path.join(dir, "live.sqlite"),
    "--auth-db", db, "--init-tokens"]);
  servers.push(s);
  const b = await s.ready;
  const file = path.join(dir, "tokens.txt");
  assert.match(s.log(), new RegExp("tokens.*" + file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, "utf8");
  const toks = Object.fromEntries(text.split("\n").filter((l) => /^[a-z]+=/.test(l))
    .map((l) => l.split("=")));
  assert.deepEqual(Object.keys(toks).sort(), ["admin", "feeder", "operator"]);
  const batch = [{ entity: road, time: iso(Date.now() - 700), values: { speed_kmh: 33 } }];
  assert.equal((await req(b, "POST", "/api/v1/observations", { body: batch, token: toks.feeder })).status, 200);
  assert.equal((await req(b, "POST", "/api/v1/observations", { body: batch, token: toks.operator })).status, 403);
  await stopServer(s);
  // The second start creates nothing and says where they are.
  const s2 = startServer(["--store", STORE, "--live", path.join(dir, "live.sqlite"),
    "--auth-db", db, "--init-tokens"]);
  servers.push(s2);
  await s2.ready;
  assert.match(s2.log(), /tokens are in/);
  assert.equal(fs.readFileSync(file, "utf8"), text);
  assert.equal(JSON.parse(tokenCmd(["list", "--json", "--db", db]).stdout).length, 3);
});
