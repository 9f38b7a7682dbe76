// web/js/panels.js: the panels around the map, rendered from state.js.
// City (or drilled-down district) vital signs with their trend, traffic
// index by district, parking, water stations above warning, incidents and
// response times against their targets, data freshness, the alert ticker
// in the four warning colours and the incident list. Charts are ECharts,
// sized from the root font size so they scale with the wall.
/* global echarts */
import * as state from './state.js';
import { config, levelOf, levelColour, LEVELS } from './config.js';
import { t, nameOf, onLang, alertTitle } from './i18n.js';
import { num, pct, duration, toMs, clock, el } from './format.js';
import { serverNow } from './live.js';
import { itemName } from './layers.js';

const charts = {};
let district = null;          // drilled-down district {id, name, ...} or null
let districtNames = new Map();
let scheduled = false;
let onDistrict = null;        // (district) => void: a click on a district's bar
let tpiRows = [];

const $ = (id) => document.getElementById(id);
const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
const TEXT = '#c8d6e8', DIM = '#7f93ad', GRID = '#1d2b42';
const TREND_SPAN_MS = 60 * 60000;   // the trend chart shows the last hour

export function setDistricts(list) { districtNames = new Map(list.map((d) => [d.id, d])); schedule(); }
export function setDistrict(d) { district = d; seedTrend(place()); schedule(); }
export function getDistrict() { return district; }

// The place the panels show: a drilled-down district or the city.
const place = () => district?.id ?? 'city';

function placeVitals() {
  const v = state.get('vitals');
  return (district ? v?.get(district.id) : v?.get('city')) ?? null;
}

function inScope(o) { return !district || !o || !o.district || o.district === district.id; }

function chart(id) {
  if (!charts[id]) {
    const dom = $(id);
    if (!dom) return null;
    charts[id] = echarts.init(dom, null, { renderer: 'canvas' });
  }
  return charts[id];
}

export function resize() { for (const c of Object.values(charts)) c.resize(); schedule(); }

// ---- vital signs -------------------------------------------------------
const KPIS = [
  { key: 'tpi', label: 'kpi.tpi', fmt: (v) => num(v, 1), sub: (v) => t(`tpi.${v.tpi_level ?? 'unknown'}`) },
  // whole km from 100 on: "1,592" fits its card from across the room, "1,591.7" did not
  { key: 'congested_km', label: 'kpi.congested', fmt: (v) => num(v, Math.abs(v) < 100 ? 1 : 0), unit: 'km', thr: null },
  { key: 'parking_occupancy', label: 'kpi.parking', fmt: (v) => pct(v), sub: (v) => t('kpi.free', { n: num(v.parking_free) }) },
  { key: 'water_above_warning', label: 'kpi.water', fmt: (v) => num(v), sub: (v) => t('kpi.guarantee', { n: num(v.water_above_guarantee) }) },
  { key: 'rain_max_mm_h', label: 'kpi.rain', fmt: (v) => num(v, 1), unit: 'mm/h' },
  { key: 'incidents_open', label: 'kpi.incidents', fmt: (v) => num(v), sub: (v) => t('kpi.total', { n: num(v.incidents_total) }) },
];

function trendArrow(key, cur) {
  const tr = trendSamples();
  if (tr.length < 2 || !Number.isFinite(cur)) return '';
  const now = tr[tr.length - 1][0];
  const past = tr.find(([ms]) => ms >= now - 15 * 60000)?.[1]?.[key];
  if (!Number.isFinite(past) || Math.abs(cur - past) < 1e-9) return '→';
  return cur > past ? '↑' : '↓';
}

function renderVitals() {
  const v = placeVitals() ?? {};
  $('vitals-place').textContent = district ? nameOf(district) : t('place.city');
  const box = $('kpis');
  box.replaceChildren();
  for (const k of KPIS) {
    const val = v[k.key];
    const lv = k.thr === null ? (val === undefined ? 'unknown' : 'none') : levelOf(k.key, val);
    const card = el('div', `kpi lv-${lv}`);
    card.dataset.kpi = k.key;
    card.append(el('div', 'kpi-label', t(k.label)));
    const big = el('div', 'kpi-value', val === undefined ? '—' : k.fmt(val));
    if (k.unit && val !== undefined) big.append(el('span', 'kpi-unit', k.unit));
    const arrow = trendArrow(k.key, val);
    if (arrow) big.append(el('span', 'kpi-trend', arrow));
    card.append(big);
    card.append(el('div', 'kpi-sub', val === undefined ? t('state.nodata') : (k.sub ? k.sub(v) : '')));
    box.append(card);
  }
  renderTrend();
}

// The samples the trend chart and arrows use: the place's live trend, or
// in replay the hour before the replayed moment from the history API.
function trendSamples() {
  if (!state.isReplay()) return state.vitalsTrend(place());
  const key = `${place()}@${state.replayAt()}`;
  if (replayTrend.key !== key) {
    replayTrend = { key, samples: [] };
    const at = state.replayAt();
    fetchSeries(place(), at - TREND_SPAN_MS, at).then((series) => {
      if (replayTrend.key === key) { replayTrend.samples = state.samplesOf(series); schedule(); }
    });
  }
  return replayTrend.samples;
}
let replayTrend = { key: null, samples: [] };

function renderTrend() {
  const c = chart('chart-trend');
  if (!c) return;
  const tr = trendSamples();
  const end = state.isReplay() ? state.replayAt() : Math.max(tr[tr.length - 1]?.[0] ?? 0, serverNow());
  const f = rem();
  // which place and moment the chart shows (for the console and the tests)
  c.getDom().dataset.place = place();
  c.getDom().dataset.replay = state.isReplay() ? String(state.replayAt()) : '';
  c.setOption({
    animation: false,
    grid: { left: f * 2.6, right: f * 2.6, top: f * 1.8, bottom: f * 1.6 },
    legend: { top: 0, textStyle: { color: DIM, fontSize: f * 0.75 }, itemHeight: f * 0.5,
      data: [t('kpi.tpi'), t('kpi.parking')] },
    xAxis: { type: 'time', min: end - TREND_SPAN_MS, max: end,
      axisLabel: { color: DIM, fontSize: f * 0.7, hideOverlap: true, formatter: (v) => clock(v, false) },
      axisLine: { lineStyle: { color: GRID } }, splitLine: { show: false } },
    yAxis: [
      { type: 'value', min: 0, max: 10, axisLabel: { color: DIM, fontSize: f * 0.7 }, splitLine: { lineStyle: { color: GRID } } },
      { type: 'value', min: 0, max: 100, axisLabel: { color: DIM, fontSize: f * 0.7, formatter: '{value}%' }, splitLine: { show: false } },
    ],
    series: [
      { name: t('kpi.tpi'), type: 'line', showSymbol: tr.length < 3, symbolSize: f * 0.4, lineStyle: { width: f * 0.15, color: '#ffd60a' },
        itemStyle: { color: '#ffd60a' }, areaStyle: { color: 'rgba(255,214,10,0.12)' },
        data: tr.filter(([, v]) => Number.isFinite(v.tpi)).map(([ms, v]) => [ms, v.tpi]) },
      { name: t('kpi.parking'), type: 'line', yAxisIndex: 1, showSymbol: tr.length < 3, symbolSize: f * 0.4, lineStyle: { width: f * 0.12, color: '#4fc3f7' },
        itemStyle: { color: '#4fc3f7' },
        data: tr.filter(([, v]) => Number.isFinite(v.parking_occupancy)).map(([ms, v]) => [ms, v.parking_occupancy * 100]) },
    ],
    graphic: tr.length ? [] : [{ type: 'text', left: 'center', top: 'middle',
      style: { text: t('state.nodata'), fill: DIM, fontSize: f * 0.9 } }],
  }, true);
}

// ---- traffic index by district ----------------------------------------
function renderTpi() {
  const c = chart('chart-tpi');
  if (!c) return;
  const rows = [];
  for (const [id, v] of state.get('vitals') ?? []) {
    if (id === 'city' || !Number.isFinite(v.tpi)) continue;
    rows.push({ id, name: (nameOf(districtNames.get(id) ?? v) || id).replace(/ (District|County)$/, ''), tpi: v.tpi });
  }
  rows.sort((a, b) => a.tpi - b.tpi);
  tpiRows = rows;
  const f = rem();
  c.setOption({
    animation: false,
    grid: { left: f * 5.2, right: f * 2.2, top: f * 0.4, bottom: f * 0.4 },
    xAxis: { type: 'value', min: 0, max: 10, show: false },
    yAxis: { type: 'category', data: rows.map((r) => r.name),
      axisLabel: { color: TEXT, fontSize: f * 0.75, width: f * 4.8, overflow: 'truncate' },
      axisLine: { show: false }, axisTick: { show: false } },
    series: [{ type: 'bar', barWidth: '62%', barMaxWidth: f * 1.3,
      data: rows.map((r) => ({ value: r.tpi, itemStyle: {
        color: levelColour(levelOf('tpi', r.tpi)), opacity: district && r.id !== district.id ? 0.35 : 1 } })),
      label: { show: true, position: 'right', color: TEXT, fontSize: f * 0.72, formatter: (p) => num(p.value, 1) } }],
    graphic: rows.length ? [] : [{ type: 'text', left: 'center', top: 'middle',
      style: { text: t('state.nodata'), fill: DIM, fontSize: f * 0.9 } }],
  }, true);
}

// ---- parking -----------------------------------------------------------
function renderParking() {
  const v = placeVitals() ?? {};
  const c = chart('chart-parking');
  const f = rem();
  const occ = Number.isFinite(v.parking_occupancy) ? v.parking_occupancy * 100 : null;
  const lv = levelOf('parking_occupancy', v.parking_occupancy);
  c?.setOption({
    animation: false,
    series: [{ type: 'gauge', startAngle: 210, endAngle: -30, min: 0, max: 100, radius: '92%', center: ['50%', '58%'],
      progress: { show: true, width: f * 0.7, itemStyle: { color: levelColour(lv === 'none' ? 'none' : lv) } },
      axisLine: { lineStyle: { width: f * 0.7, color: [[1, GRID]] } },
      pointer: { show: false }, axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
      title: { show: false },
      detail: { valueAnimation: false, offsetCenter: [0, 0], fontSize: f * 1.7, fontWeight: 600, color: TEXT,
        formatter: () => (occ === null ? '—' : `${num(occ, 0)}%`) },
      data: [{ value: occ ?? 0 }] }],
  }, true);
  $('parking-free').textContent = num(v.parking_free);
  $('parking-total').textContent = num(v.parking_total);
  $('parking-full').textContent = num(v.parking_full);
}

// ---- water stations above warning -------------------------------------
function renderWater() {
  const rows = [];
  for (const [id, s] of state.get('water') ?? []) {
    if (!inScope(s)) continue;
    if (s.state === 'above_warning' || s.state === 'above_guarantee' || (s.above_warning_m ?? -1) >= 0) {
      rows.push({ id, name: itemName(id) ?? s.name ?? id, margin: s.above_warning_m, level: s.level_m, state: s.state });
    }
  }
  rows.sort((a, b) => (b.margin ?? 0) - (a.margin ?? 0));
  const list = $('water-list');
  list.replaceChildren();
  $('water-count').textContent = num(rows.length);
  if (!rows.length) list.append(el('li', 'empty', state.get('water')?.size ? t('water.none') : t('state.nodata')));
  for (const r of rows.slice(0, 6)) {
    const li = el('li', `lv-${r.state === 'above_guarantee' ? 'red' : 'orange'}`);
    li.append(el('span', 'dot'), el('span', 'name', r.name), el('span', 'val', `+${num(r.margin, 2)} m`));
    list.append(li);
  }
}

// ---- incidents ---------------------------------------------------------
function renderIncidents() {
  const v = placeVitals() ?? {};
  const open = [];
  for (const [id, x] of state.get('incidents') ?? []) if (x.open !== false && inScope(x)) open.push({ id, ...x });
  open.sort((a, b) => (toMs(b.times?.intake) ?? 0) - (toMs(a.times?.intake) ?? 0));
  $('inc-open').textContent = v.incidents_open !== undefined ? num(v.incidents_open)
    : state.get('incidents')?.size ? num(open.length) : '—';
  const tg = config().incident_targets.default;
  const disp = v.dispatch_avg_s, arr = v.arrival_avg_s;
  setResp('inc-dispatch', disp, tg.dispatch_s);
  setResp('inc-arrival', arr, tg.arrival_s);
  $('inc-closure').textContent = pct(v.closure_rate);
  const list = $('incident-list');
  list.replaceChildren();
  if (!open.length) list.append(el('li', 'empty', state.get('incidents')?.size ? t('inc.none') : t('state.nodata')));
  const now = serverNow();
  for (const x of open.slice(0, 8)) {
    const li = el('li', `inc kind-${x.kind}`);
    li.dataset.id = x.id;
    li.append(el('span', 'inc-kind', t(`kind.${x.kind}`)), el('span', 'inc-state', t(`istate.${x.state}`)),
      el('span', 'inc-where', nameOf(districtNames.get(x.district)) || x.description || x.id),
      el('span', 'inc-age', clock(toMs(x.times?.intake), false)));
    const late = x.on_target && Object.values(x.on_target).some((ok) => ok === false);
    if (late) li.classList.add('late');
    li.title = `${x.id} · ${Math.round((now - (toMs(x.times?.intake) ?? now)) / 60000)} min`;
    list.append(li);
  }
}

function setResp(id, s, target) {
  const e = $(id);
  e.textContent = duration(s);
  e.className = !Number.isFinite(s) ? '' : s <= target ? 'ok' : 'late';
  e.title = t('inc.target', { t: duration(target) });
}

// ---- data freshness ----------------------------------------------------
function renderFreshness() {
  const v = state.get('vitals')?.get('city') ?? {};
  const c = chart('chart-fresh');
  const f = rem();
  const kinds = ['traffic', 'parking', 'water'];
  const vals = kinds.map((k) => v[`stale_${k}_pct`]);
  c?.setOption({
    animation: false,
    grid: { left: f * 4, right: f * 2.6, top: f * 0.3, bottom: f * 0.3 },
    xAxis: { type: 'value', min: 0, max: 100, show: false },
    yAxis: { type: 'category', data: kinds.map((k) => t(`fresh.${k}`)), axisLabel: { color: TEXT, fontSize: f * 0.75 },
      axisLine: { show: false }, axisTick: { show: false } },
    series: [{ type: 'bar', barWidth: '55%', barMaxWidth: f * 1.3, showBackground: true, backgroundStyle: { color: GRID },
      data: vals.map((x, i) => ({ value: Number.isFinite(x) ? 100 - x : 0, itemStyle: {
        color: levelColour(Number.isFinite(x) ? (levelOf(`stale_${kinds[i]}_pct`, x) === 'none' ? 'none'
          : levelOf(`stale_${kinds[i]}_pct`, x)) : 'unknown') } })),
      label: { show: true, position: 'right', color: TEXT, fontSize: f * 0.72,
        formatter: (p) => (Number.isFinite(vals[p.dataIndex]) ? `${num(100 - vals[p.dataIndex], 0)}%` : '—') } }],
  }, true);
}

// ---- alert ticker --------------------------------------------------------
function where(a) {
  const d = districtNames.get(a.district) ?? districtNames.get(a.entity);
  if (d) return nameOf(d);
  return a.entity === 'city' || !a.entity ? t('place.city') : a.entity;
}

function renderTicker() {
  const rows = [];
  for (const [id, a] of state.get('alerts') ?? []) {
    if (a.status === 'cleared' || !LEVELS.includes(a.level) || !inScope(a)) continue;
    rows.push({ id, ...a });
  }
  rows.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level)
    || (toMs(b.raised_at) ?? 0) - (toMs(a.raised_at) ?? 0));
  const counts = Object.fromEntries(LEVELS.map((l) => [l, rows.filter((r) => r.level === l).length]));
  for (const l of LEVELS) $(`alert-n-${l}`).textContent = counts[l];
  const track = $('ticker-track');
  track.replaceChildren();
  if (!rows.length) {
    track.append(el('span', 'tick empty', state.get('alerts')?.size || state.lastData() ? t('alert.none') : t('state.nodata')));
    track.classList.remove('scroll');
    return;
  }
  const items = rows.slice(0, 40).map((a) => {
    const s = el('span', `tick lv-${a.level}`);
    s.append(el('b', null, t(`level.${a.level}`)),
      el('span', null, ` ${alertTitle(a)} · ${where(a)} · ${clock(toMs(a.raised_at), false)}`));
    return s;
  });
  track.append(...items);
  // scroll only when it does not fit; duplicate for a seamless loop
  requestAnimationFrame(() => {
    const over = track.scrollWidth > track.parentElement.clientWidth;
    track.classList.toggle('scroll', over);
    if (over) {
      track.append(...items.map((n) => n.cloneNode(true)));
      track.style.animationDuration = `${Math.max(20, rows.length * 6)}s`;
    }
  });
}

// ---- freshness line in the header ---------------------------------------
export function renderAll() {
  scheduled = false;
  renderVitals();
  renderTpi();
  renderParking();
  renderWater();
  renderIncidents();
  renderFreshness();
  renderTicker();
}

// Coalesce bursts of deltas into one render per animation frame (at most ~2/s).
let lastRender = 0;
function schedule() {
  if (scheduled) return;
  scheduled = true;
  const wait = Math.max(0, 500 - (performance.now() - lastRender));
  setTimeout(() => requestAnimationFrame(() => { lastRender = performance.now(); renderAll(); }), wait);
}

// A place's vitals series from the history API, when the server has it
// (config links.history; GET ?entity=P&indicator=K&from&to&step -> [[t, v]]).
async function fetchSeries(placeId, from, to) {
  const h = config().links?.history;
  const series = {};
  if (!h) return series;
  for (const key of ['tpi', 'parking_occupancy']) {
    const qs = new URLSearchParams({ entity: placeId, indicator: key, from: new Date(from).toISOString(),
      to: new Date(to).toISOString(), step: '60' });
    try {
      const r = await fetch(`${h}?${qs}`);
      if (!r.ok) continue;
      const rows = await r.json();
      series[key] = (Array.isArray(rows) ? rows : rows.points ?? rows.series ?? []).map(([tt, v]) => [toMs(tt), v]);
    } catch { /* no trend history */ }
  }
  return series;
}

// The last hour of a place's trend, once per place (the live samples go on).
const seeded = new Set();
async function seedTrend(placeId) {
  if (seeded.has(placeId)) return;
  seeded.add(placeId);
  const to = serverNow();
  state.seedTrend(placeId, await fetchSeries(placeId, to - TREND_SPAN_MS, to));
  schedule();
}

// A click on a bar drills into that district (the map's district when known).
function wireTpiClick() {
  const c = chart('chart-tpi');
  c?.on('click', (p) => {
    const row = tpiRows[p.dataIndex];
    if (!row || !onDistrict) return;
    onDistrict(districtNames.get(row.id) ?? { id: row.id, name: row.name, name_en: row.name, bbox: null });
  });
}

export function initPanels(opts = {}) {
  onDistrict = opts.onDistrict ?? null;
  wireTpiClick();
  setInterval(() => { state.tickTrend(serverNow()); schedule(); }, 30000);
  seedTrend('city');
  state.onChange((topic) => {
    if (['vitals', 'alerts', 'incidents', 'water', 'parking'].includes(topic)) schedule();
  });
  onLang(schedule);
  renderAll();
}
