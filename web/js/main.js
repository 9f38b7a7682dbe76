// web/js/main.js: start-up of the wall. Language and config first, then
// the map, the buildings and the layers, the panels, the live connection,
// replay and the tour; then the status line (live / reconnecting / replay /
// no live feed, with the data time) is kept up to date every second.
/* global Cesium */
import { loadConfig, config } from './config.js';
import { initLang, toggleLang, currentLang, t, onLang, nameOf, buildingKind } from './i18n.js';
import * as state from './state.js';
import * as live from './live.js';
import { createMap, viewBox, pickLonLat, onClick, requestRender, viewer } from './map.js';
import { addTiles, getTileset, featureInfo, select } from './tiles.js';
import { addLayers, setVisible, districtList, districtAt, colourOf, windowPos, rescale } from './layers.js';
import { initPanels, setDistricts, setDistrict, getDistrict, resize } from './panels.js';
import { initEffect } from './effect-panel.js';
import { initReplay } from './replay.js';
import { initTour, toggle as toggleTour, stop as stopTour } from './tour.js';
import { clock, dateTime, duration, el, num } from './format.js';

const $ = (id) => document.getElementById(id);
let cityBox = null;

async function cityBbox() {
  try {
    const r = await fetch('/api/v1/layers/buildings');
    if (r.ok) {
      const l = await r.json();
      if (l.bbox) return l.bbox;
    }
  } catch { /* fall through */ }
  return [112.38, 34.6, 112.52, 34.7];   // central Luoyang
}

async function attribution(cfg) {
  const lines = [];
  try {
    const r = await fetch('/basemap/attribution.json');
    if (r.ok) for (const s of (await r.json()).sources ?? []) lines.push(s.text);
  } catch { /* no base map */ }
  for (const a of cfg.attribution ?? []) if (!lines.some((l) => l.includes(a.split(' ')[1] ?? a))) lines.push(a);
  try {
    const r = await fetch('/api/v1/layers/buildings/items?limit=1');
    const fc = r.ok ? await r.json() : null;
    if (fc?.features?.[0]?.properties?.source === 'synthetic' && !lines.some((l) => l.includes('生成数据'))) {
      lines.push('生成数据 / generated (synthetic) layers');
    }
  } catch { /* ignore */ }
  lines.push('CesiumJS · Apache ECharts');
  $('attribution').textContent = `${t('app.data')}: ${lines.join(' · ')}`;
}

function legend(cfg) {
  const box = $('legend');
  box.replaceChildren();
  for (const lv of ['smooth', 'basic', 'light', 'moderate', 'severe']) {
    const s = el('span');
    const sw = el('i');
    sw.style.background = cfg.style.road_levels[lv];
    s.append(sw, el('span', null, t(`tpi.${lv}`)));
    box.append(s);
  }
}

// The status pill: replay wins, then the connection's own state.
function renderStatus() {
  const c = $('conn');
  const { status } = live.getStatus();
  const s = state.isReplay() ? 'replay' : status;
  c.className = `conn conn-${s}`;
  c.dataset.state = s;
  let text = t(`conn.${s}`);
  if (s === 'reconnecting' && state.lastData()) text += ` · ${t('conn.last', { t: clock(state.lastData()) })}`;
  $('conn-text').textContent = text;
  const asof = state.isReplay() ? state.replayAt() : state.lastData();
  $('asof').textContent = asof ? clock(asof) : '—';
  $('clock').textContent = clock(live.serverNow());
}

function showDetails(title, rows) {
  $('details-title').textContent = title;
  const dl = $('details-body');
  dl.replaceChildren();
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '') continue;
    // live values are raw floats (0.7000000000000028): at most 2 decimals
    const shown = typeof v === 'number' ? num(v, Number.isInteger(v) ? 0 : 2)
      : typeof v === 'object' ? JSON.stringify(v) : String(v);
    dl.append(el('dt', null, k), el('dd', null, shown));
  }
  $('details').classList.remove('hidden');
}

function drill(d, fly = true) {
  setDistrict(d);
  $('btn-city').classList.toggle('hidden', !d);
  const box = d ? d.bbox : cityBox;
  if (fly && box) viewBox(box);
}

const TOPIC_OF = { roads: 'traffic', car_parks: 'parking', water_stations: 'water', incidents: 'incidents' };
const PAST_TOPICS = new Set(['traffic', 'parking', 'water']);
// fields of the past-state answer shown in words, not as rows
const PAST_META = new Set(['kind', 'at', 'window_s', 'age_s', 'history', 'note', 't']);
let shown = null;             // the road / car park / station whose details are open
let pickSeq = 0;              // a later pick wins over a slower earlier fetch

// The rows of an entity's state: live from the live state; in replay, as
// it was at the replayed moment (the replayed state has no per-entity
// topics: GET /api/v1/entities/{id}/state?at=T reads the observations).
async function stateRows(ref) {
  const topic = TOPIC_OF[ref.layer];
  const at = state.replayAt();
  if (at === null || !PAST_TOPICS.has(topic)) return Object.entries(state.entity(topic, ref.id) ?? {});
  const rows = [[t('f.at'), dateTime(at)]];
  let past = null;
  try {
    const r = await fetch(`/api/v1/entities/${encodeURIComponent(ref.id)}/state?at=${encodeURIComponent(new Date(at).toISOString())}`);
    if (r.ok) past = await r.json();
    else console.warn(`details: the past state of ${ref.id} answered ${r.status}`);
  } catch { /* shown as no data */ }
  if (!past || past.history === 'none') return [...rows, [t('f.live'), t('past.none')]];
  rows.push(...Object.entries(past).filter(([k]) => !PAST_META.has(k)), [t('f.seen'), dateTime(Date.parse(past.t))]);
  if (past.stale) rows.push([t('f.live'), t('past.stale', { age: duration(past.age_s) })]);
  if (past.history === '5min') rows.push([t('f.live'), t('past.bucket')]);
  return rows;
}

// Details of a road, car park, station or incident (its item and state).
async function showEntity(ref) {
  const seq = ++pickSeq;
  shown = ref;
  let props = {};
  try {
    const r = await fetch(`/api/v1/items/${encodeURIComponent(ref.id)}`);
    if (r.ok) props = (await r.json()).properties ?? {};
  } catch { /* state only */ }
  const stateOf = await stateRows(ref);
  if (seq !== pickSeq) return;
  const rows = [[t('f.id'), ref.id], [t('f.layer'), t(`layer.${ref.layer}`)], [t('f.kind'), props.kind], ...stateOf];
  showDetails(nameOf(props) || ref.id, rows);
  $('details').dataset.at = state.isReplay() ? String(state.replayAt()) : '';
}

async function onPick(pos, picked) {
  const b = featureInfo(picked);
  if (b) {
    shown = null;
    pickSeq++;
    select(b.id);
    const bState = state.entity('buildings', b.id);
    showDetails(b.name || b.id, [[t('f.id'), b.id], [t('f.kind'), buildingKind(b.kind)], [t('f.height'), b.height && `${num(b.height, 1)} m`],
      [t('f.levels'), b.levels], [t('f.district'), b.district], [t('f.source'), b.source], [t('f.live'), bState?.state]]);
    return;
  }
  const ref = picked?.id;
  if (ref && ref.layer && ref.id) {
    // the rescue map opens on the incident last picked on the wall
    if (ref.layer === 'incidents') $('btn-rescue').href = `/rescue?incident=${encodeURIComponent(ref.id)}`;
    await showEntity(ref);
    return;
  }
  const ll = pickLonLat(pos);
  const d = ll && districtAt(ll.lon, ll.lat);
  if (d && d.id !== getDistrict()?.id) drill(d);
}

async function main() {
  const [cfg] = await Promise.all([loadConfig(), initLang()]);
  document.title = `${cfg.city?.name ?? ''} ${t('app.title')} · citytwin`;
  const cityName = () => { $('city-name').textContent = currentLang() === 'en' ? cfg.city?.name_en : cfg.city?.name; };
  cityName();
  legend(cfg);
  onLang(() => { cityName(); legend(cfg); renderStatus(); attribution(cfg); $('btn-lang').textContent = currentLang() === 'zh' ? 'EN' : '中文'; });
  $('btn-lang').textContent = currentLang() === 'zh' ? 'EN' : '中文';
  $('btn-lang').addEventListener('click', () => toggleLang());
  attribution(cfg);

  live.onStatus(renderStatus);
  state.onChange(() => renderStatus());
  setInterval(renderStatus, 1000);
  live.start(cfg);
  initPanels({ onDistrict: (d) => { stopTour(); drill(d); } });
  initEffect();

  cityBox = await cityBbox();
  const widget = await createMap($('map'), cfg, $('credits'));
  viewBox(cityBox, { fly: false });
  await addTiles(widget, cfg);
  await addLayers(widget, cityBox);
  setDistricts(districtList());
  onClick(onPick);
  for (const cb of document.querySelectorAll('#layer-switch input')) {
    cb.addEventListener('change', () => {
      if (cb.dataset.layer === 'buildings') { const ts = getTileset(); if (ts) ts.show = cb.checked; requestRender(); }
      else setVisible(cb.dataset.layer, cb.checked);
    });
  }
  $('details-close').addEventListener('click', () => { $('details').classList.add('hidden'); shown = null; select(null); });
  $('btn-city').addEventListener('click', () => drill(null));
  initTour({ idle_s: cfg.tour.idle_s, dwell_s: cfg.tour.dwell_s, districts: districtList,
    show: (d) => drill(d), onState: (on) => $('btn-tour').classList.toggle('on', on) });
  $('btn-tour').addEventListener('click', () => toggleTour());
  // an open road / car park / station follows the replayed moment (or live)
  await initReplay(() => {
    renderStatus();
    if (shown && !$('details').classList.contains('hidden')) showEntity(shown);
  });
  window.addEventListener('resize', () => { resize(); rescale(); requestRender(); });
  document.body.dataset.ready = '1';
}

// For tests and the console: read-only views of the page's state (what
// each layer draws an item in, and where), nothing that changes behaviour.
window.citytwin = { state, live, config: () => config(), stopTour, requestRender,
  layers: { colourOf, windowPos }, district: () => getDistrict()?.id ?? null, viewer };

main().catch((e) => {
  console.error('citytwin: start-up failed:', e);
  document.body.dataset.ready = 'error';
  const s = $('conn-text');
  if (s) s.textContent = `${t('app.error')}: ${e.message}`;
});
