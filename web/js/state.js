// web/js/state.js: the live state the panels and the map render from.
// One map per topic (vitals, alerts, incidents, traffic, parking, water,
// buildings): entity id -> merged fields, exactly as docs/PROTOCOL.md
// describes (a delta's field set to null removes it). A replay (replay.js)
// swaps in a past state; the live one keeps updating underneath.

export const TOPICS = ['vitals', 'alerts', 'incidents', 'traffic', 'parking', 'water', 'buildings'];

const live = Object.fromEntries(TOPICS.map((t) => [t, new Map()]));
let replay = null;            // {at, topics} while replaying
let lastDataMs = null;        // server time of the last live message with data
const listeners = new Set();
// Client-side trend of the vitals, per place (city and each district):
// place id -> [serverMs, fields] samples, one per 10 s at most.
const trends = new Map();
const TREND_MAX = 720;

export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

function emit(topic, ids) {
  for (const fn of listeners) {
    try { fn(topic, ids); } catch (e) { console.warn('state listener failed', e); }
  }
}

function current() { return replay ? replay.topics : live; }

export function get(topic) { return current()[topic]; }
export function entity(topic, id) { return current()[topic]?.get(id); }
export function isReplay() { return replay !== null; }
export function replayAt() { return replay?.at ?? null; }
export function lastData() { return lastDataMs; }
export function vitalsTrend(place = 'city') { return trends.get(place) ?? []; }

function samplePlace(place, serverMs) {
  const v = live.vitals.get(place);
  if (!v) return;
  if (!trends.has(place)) trends.set(place, []);
  const tr = trends.get(place);
  const last = tr[tr.length - 1];
  if (last && serverMs - last[0] < 10000) { last[1] = { ...v }; return; }
  tr.push([serverMs, { ...v }]);
  if (tr.length > TREND_MAX) tr.splice(0, tr.length - TREND_MAX);
}

function sampleTrend(serverMs, ids) { for (const id of ids ?? [...live.vitals.keys()]) samplePlace(id, serverMs); }

// Called every few seconds: the trend line goes on while values hold still.
export function tickTrend(serverMs) { if (!replay && lastDataMs) sampleTrend(serverMs, null); }

// {key: [[ms, v], ...]} (history API series) -> [[ms, fields]] by time.
export function samplesOf(series) {
  const byT = new Map();
  for (const [key, rows] of Object.entries(series)) {
    for (const [ms, v] of rows) {
      if (!Number.isFinite(ms)) continue;
      if (!byT.has(ms)) byT.set(ms, {});
      byT.get(ms)[key] = v;
    }
  }
  return [...byT.keys()].sort((a, b) => a - b).map((ms) => [ms, byT.get(ms)]);
}

// Seed a place's trend from the history API; live samples after it stay.
export function seedTrend(place, series) {
  const tr = trends.get(place) ?? [];
  const seeded = samplesOf(series);
  const lastSeed = seeded[seeded.length - 1]?.[0] ?? 0;
  trends.set(place, [...seeded, ...tr.filter(([ms]) => ms > lastSeed)]);
}

// A whole topic from a snapshot.
export function applySnapshot(topic, items, serverMs) {
  const m = live[topic];
  if (!m) return;
  m.clear();
  for (const [id, v] of Object.entries(items ?? {})) m.set(id, { ...v });
  lastDataMs = serverMs;
  if (topic === 'vitals') sampleTrend(serverMs, null);
  if (!replay) emit(topic, null);
}

// Changed fields of some entities.
export function applyDelta(topic, items, serverMs) {
  const m = live[topic];
  if (!m) return;
  const ids = [];
  for (const [id, fields] of Object.entries(items ?? {})) {
    if (fields === null) { m.delete(id); ids.push(id); continue; }
    const cur = m.get(id) ?? {};
    for (const [k, v] of Object.entries(fields)) {
      if (v === null) delete cur[k]; else cur[k] = v;
    }
    m.set(id, cur);
    ids.push(id);
  }
  lastDataMs = serverMs;
  if (topic === 'vitals') sampleTrend(serverMs, ids);
  if (!replay) emit(topic, ids);
}

// Forget everything (after a reset: fresh snapshots follow).
export function clearLive() {
  for (const t of TOPICS) live[t].clear();
  if (!replay) for (const t of TOPICS) emit(t, null);
}

// Show a past state ({vitals: {id: {...}}, alerts: {...}, ...}) until endReplay().
export function startReplay(at, state) {
  const topics = Object.fromEntries(TOPICS.map((t) => [t, new Map(Object.entries(state?.[t] ?? {}))]));
  replay = { at, topics };
  for (const t of TOPICS) emit(t, null);
}

export function endReplay() {
  replay = null;
  for (const t of TOPICS) emit(t, null);
}
