// tests/browser/feed.mjs: a stand-in for the live engine in browser tests.
// Reads the store's ids over REST and publishes a plausible city state
// through the push server's test-only {"op":"publish"} (serve --push-test),
// so the page receives real snapshots and deltas per docs/PROTOCOL.md.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

async function items(base, layer, limit = 2000) {
  const r = await fetch(new URL(`/api/v1/layers/${layer}/items?limit=${limit}`, base));
  if (!r.ok) return [];
  return (await r.json()).features;
}

// Open a publisher on the server's ws_url; resolves {publish, close}.
export async function openFeed(base) {
  const cfg = await (await fetch(new URL('/api/v1/config', base))).json();
  if (!cfg.ws_url) throw new Error('the server offers no ws_url');
  const ws = new WebSocket(cfg.ws_url, ['citytwin.v1']);
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const errors = [];
  ws.on('message', (d) => { const m = JSON.parse(d); if (m.type === 'error') errors.push(m); });
  const publish = (topic, id, fields) => ws.send(JSON.stringify({ op: 'publish', topic, id, fields }));
  return {
    publish, errors,
    // wait until the server has handled everything sent so far (pong after it)
    sync: () => new Promise((res) => {
      const on = (d) => { if (JSON.parse(d).type === 'pong') { ws.off('message', on); res(); } };
      ws.on('message', on);
      ws.send(JSON.stringify({ op: 'ping' }));
    }),
    close: () => ws.close(),
  };
}

const LEVEL = (i) => (i < 2 ? 'smooth' : i < 4 ? 'basic' : i < 6 ? 'light' : i < 8 ? 'moderate' : 'severe');

// A whole city state: vitals for the city and every district, traffic on
// the roads, car parks, water stations, two alerts, two incidents and a
// building on fire. Deterministic (no randomness) so screenshots compare.
export async function publishCity(feed, base, { fireBuilding } = {}) {
  const now = new Date().toISOString();
  const [districts, roads, parks, water, blds] = await Promise.all([
    items(base, 'districts', 100), items(base, 'roads', 10000), items(base, 'car_parks', 5000),
    items(base, 'water_stations', 5000), items(base, 'buildings', 5),
  ]);
  roads.forEach((f, i) => {
    const idx = (i * 37 % 100) / 10;
    feed.publish('traffic', f.id, { speed_kmh: 60 - idx * 5, index: idx, level: LEVEL(idx), t: now, stale: false });
  });
  parks.forEach((f, i) => {
    const occ = (i * 13 % 100) / 100;
    feed.publish('parking', f.id, { free: Math.round(200 * (1 - occ)), total: 200, occupancy: occ,
      status: occ >= 0.9 ? 'almostFull' : 'spacesAvailable', t: now, stale: false });
  });
  water.forEach((f, i) => {
    const above = i % 25 === 0 ? 0.4 + (i % 7) * 0.2 : -1.5;
    feed.publish('water', f.id, { level_m: 140 + above, above_warning_m: above, name: f.properties.name ?? f.id,
      state: above > 1 ? 'above_guarantee' : above >= 0 ? 'above_warning' : 'normal', t: now, stale: false });
  });
  const ds = districts.filter((d) => d.properties.level !== 'prefecture');
  ds.forEach((d, i) => {
    const tpi = 1.5 + (i * 1.37) % 8;
    feed.publish('vitals', d.id, { name: d.properties.name, tpi, tpi_level: LEVEL(tpi), congested_km: tpi * 1.8,
      parking_occupancy: 0.55 + (i % 5) * 0.08, parking_free: 800 - i * 30, parking_total: 2400,
      water_above_warning: i % 3, water_above_guarantee: i % 5 === 0 ? 1 : 0, rain_max_mm_h: 12 + i * 3,
      incidents_open: i % 2, district: d.id });
  });
  feed.publish('vitals', 'city', { name: '洛阳', tpi: 5.62, tpi_level: 'light', congested_km: 38.4,
    parking_total: 48210, parking_free: 9312, parking_occupancy: 0.807, parking_full: 23,
    water_above_warning: Math.ceil(water.length / 25), water_above_guarantee: 2, water_worst_margin_m: 1.6,
    rain_max_mm_h: 34.5, rain_mean_mm_h: 12.1, temperature_c: 27.5, incidents_open: 2, incidents_total: 9,
    dispatch_avg_s: 48, arrival_avg_s: 362, closure_rate: 0.71,
    stale_traffic_pct: 2.1, stale_parking_pct: 12.5, stale_water_pct: 0.8 });
  const d0 = ds[0]?.id ?? null, d1 = ds[1]?.id ?? d0;
  const bld = fireBuilding ?? blds[0]?.id;
  const b = blds[0]?.geometry?.coordinates?.[0]?.[0]?.[0] ?? [112.45, 34.62];
  feed.publish('alerts', 'rain:city:1', { id: 'rain:city:1', rule: 'rain', entity: 'city', title: '短时强降雨 Heavy rain',
    level: 'yellow', status: 'raised', district: null, value: 34.5, threshold: 30, raised_at: now });
  feed.publish('alerts', 'tpi:d1:1', { id: 'tpi:d1:1', rule: 'tpi', entity: d1, title: '交通拥堵 Congestion',
    level: 'orange', status: 'raised', district: d1, value: 8.4, threshold: 8, raised_at: now });
  feed.publish('alerts', 'water_level:ws1:1', { id: 'water_level:ws1:1', rule: 'water_level', entity: water[0]?.id ?? 'ws',
    title: '水位超保证 Water above guarantee', level: 'red', status: 'raised', district: d0, value: 1.1, threshold: 1, raised_at: now });
  feed.publish('incidents', 'inc-1', { id: 'inc-1', kind: 'fire', state: 'dispatched', lon: b[0], lat: b[1],
    building: bld, district: d0, open: true, times: { intake: now, dispatch: now },
    durations: { dispatch_s: 45 }, on_target: { dispatch_s: true } });
  feed.publish('incidents', 'inc-2', { id: 'inc-2', kind: 'accident', state: 'handling', lon: b[0] + 0.01, lat: b[1] - 0.005,
    district: d1, open: true, times: { intake: now }, durations: {}, on_target: { arrival_s: false } });
  if (bld) feed.publish('buildings', bld, { state: 'fire', incident: 'inc-1', kind: 'fire', since: now });
  await feed.sync();
  return { districts: ds, building: bld };
}
