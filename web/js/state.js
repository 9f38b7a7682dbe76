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
// Client-side trend of the city vitals: [serverMs, fields] samples.
const trend = [];
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
export function vitalsTrend() { return trend; }

function sampleTrend(serverMs) {
  const c = live.vitals.get('city');
  if (!c) return;
  const last = trend[trend.length - 1];
  if (last && serverMs - last[0] < 10000) { last[1] = { ...c }; return; }
  trend.push([serverMs, { ...c }]);
  if (trend.length > TREND_MAX) trend.splice(0, trend.length - TREND_MAX);
}

// Called every few seconds: the trend line goes on while values hold still.
export function tickTrend(serverMs) { if (!replay && lastDataMs) sampleTrend(serverMs); }

// Seed the trend from the history API: series = {key: [[ms, v], ...]}.
export function seedTrend(series) {
  const byT = new Map();
  for (const [key, rows] of Object.entries(series)) {
    for (const [ms, v] of rows) {
      if (!byT.has(ms)) byT.set(ms, {});
      byT.get(ms)[key] = v;
    }
  }
  const old = trend.splice(0);
  for (const ms of [...byT.keys()].sort((a, b) => a - b)) trend.push([ms, byT.get(ms)]);
  trend.push(...old.filter(([ms]) => ms > (trend[trend.length - 1]?.[0] ?? 0)));
}

// A whole topic from a snapshot.
export function applySnapshot(topic, items, serverMs) {
  const m = live[topic];
  if (!m) return;
  m.clear();
  for (const [id, v] of Object.entries(items ?? {})) m.set(id, { ...v });
  lastDataMs = serverMs;
  if (topic === 'vitals') sampleTrend(serverMs);
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
  if (topic === 'vitals') sampleTrend(serverMs);
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
