// web/js/rescue.js: start-up of the rescue map (/rescue, docs/DASHBOARD.md).
// Which incident: ?incident=ID, else ?lon=&lat= (a point, no dispatch),
// else a list of the open incidents to pick from (rescue-pick.js). Then
// the 3D city (map.js, tiles.js), the plan, nearest resources and building
// context from the rescue API, the coverage overlay on demand, dispatch
// with an operator token kept in sessionStorage, and the live connection
// (live.js): another screen's change to the incident reaches this one.
// ?at=T (the wall's rescue button during a replay): the incident as it was
// at T, the plan and coverage under the traffic of T (the API's at=), read
// only, with a "replay as of" badge and a way back to live.
import { loadConfig } from './config.js';
import { initLang, toggleLang, currentLang, t, onLang, apply, nameOf } from './i18n.js';
import * as state from './state.js';
import * as live from './live.js';
import { createMap, requestRender } from './map.js';
import { addTiles, select } from './tiles.js';
import { clock, toMs } from './format.js';
import * as draw from './rescue-draw.js';
import * as panel from './rescue-panel.js';
import { showPicker } from './rescue-pick.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'citytwin.operator_token';
let inc = null;               // the incident (GET /api/v1/incidents/{id}), or null for a point
let point = null;             // {lon, lat}
let plan = null, planErr = null, near = null, nearErr = null, ctx = null, ctxErr = null;

const Q = new URLSearchParams(location.search);
// a replay's time (ISO 8601 or epoch ms), as ISO for the API; null: live
const AT_MS = Q.get('at') ? toMs(/^\d+$/.test(Q.get('at')) ? Number(Q.get('at')) : Q.get('at')) : null;
const AT = Number.isFinite(AT_MS) ? new Date(AT_MS).toISOString() : null;
const atQ = AT ? `&at=${encodeURIComponent(AT)}` : '';

const token = () => { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; } };

async function getJson(url) {
  const r = await fetch(url, { cache: 'no-cache' });
  let body = null;
  try { body = await r.json(); } catch { /* not JSON */ }
  if (!r.ok) throw new Error(body?.error?.message ?? `${url} answered ${r.status}`);
  return body;
}

// The incident of ?incident= (as it was at the replay's time), or null.
async function findIncident() {
  const id = Q.get('incident');
  if (!id) return null;
  if (!AT) return getJson(`/api/v1/incidents/${encodeURIComponent(id)}`);
  const past = (await getJson(`/api/v1/state?at=${encodeURIComponent(AT)}`)).incidents?.[id];
  if (!past) throw new Error(t('rescue.notyet', { id, t: clock(AT_MS, false) }));
  return past;
}

// nothing is sent from the past
const canAct = () => Boolean(inc && token() && !AT);

function renderAll() {
  panel.renderIncident(inc, act, canAct());
  panel.renderPlan(plan, inc, dispatch, canAct(), planErr);
  panel.renderNearest(near, nearErr);
  panel.renderContext(ctx, ctxErr);
  $('token-state').textContent = AT ? t('rescue.replay_ro') : token() ? t('rescue.operator') : t('rescue.readonly');
  $('token').placeholder = t('rescue.token.ph');
}

function say(text, bad = false) {
  const m = $('act-msg');
  m.textContent = text;
  m.className = `act-msg${bad ? ' bad' : ' good'}`;
}

// POST an incident action with the operator's token; the answer is the
// incident in its new state.
async function post(action, body) {
  const r = await fetch(`/api/v1/incidents/${encodeURIComponent(inc.id)}/actions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token()}` },
    body: JSON.stringify({ action, ...body }),
  });
  let j = null;
  try { j = await r.json(); } catch { /* empty */ }
  if (!r.ok) {
    const why = r.status === 401 ? t('rescue.err.401') : r.status === 403 ? t('rescue.err.403') : j?.error?.message ?? r.status;
    say(`${t(`rescue.act.${action}`)}: ${why}`, true);
    return false;
  }
  await refreshIncident();
  say(`${t(`rescue.act.${action}`)} · ${t(`istate.${inc.state}`)} · ${clock(Date.now())}`);
  return true;
}

function dispatch(c) {
  // the first unit moves the incident to dispatched; later ones are
  // assigned; each carries the plan's ETA for it (planned against actual)
  const action = inc.state === 'intake' ? 'dispatch' : 'assign';
  const body = { units: [c.id], departments: ['fire'] };
  if (Number.isFinite(c.eta_s)) body.eta_s = c.eta_s;
  return post(action, body);
}

function act(action) { return post(action, {}); }

async function refreshIncident() {
  if (!inc) return;
  try { inc = await getJson(`/api/v1/incidents/${encodeURIComponent(inc.id)}`); } catch (e) { console.warn('rescue:', e.message); }
  renderAll();
  document.body.dataset.incState = inc.state;
}

// Live: the incidents topic carries the state; fetch the full incident
// (times, audit) when ours changed, at most twice a second.
let pending = null;
function onLive(topic, ids) {
  if (topic !== 'incidents' || !inc || AT) return;
  if (ids && !ids.includes(inc.id)) return;
  const s = state.entity('incidents', inc.id);
  const arrived = (x) => (x.assignments ?? []).filter((u) => u.arrived).length;
  if (!s || (s.state === inc.state && (s.units?.length ?? 0) === (inc.units?.length ?? 0)
    && arrived(s) === arrived(inc))) return;
  if (!pending) pending = setTimeout(() => { pending = null; refreshIncident(); }, 500);
}

async function loadAround() {
  const { lon, lat } = point;
  const qs = `lon=${lon}&lat=${lat}`;
  const [p, n, c] = await Promise.allSettled([getJson(`/api/v1/rescue/plan?${qs}&k=3${atQ}`),
    getJson(`/api/v1/rescue/nearest?${qs}&k=3`), getJson(`/api/v1/rescue/context?${qs}&radius=200&limit=40`)]);
  if (p.status === 'fulfilled') plan = p.value; else planErr = p.reason.message;
  if (n.status === 'fulfilled') near = n.value; else nearErr = n.reason.message;
  if (c.status === 'fulfilled') ctx = c.value; else ctxErr = c.reason.message;
}

// Coverage in `minutes` (the checkbox: 5, the national norm): the roads
// and the area no station reaches (red), and the area the recommended
// station reaches (translucent), from /api/v1/rescue/coverage.
let covSeq = 0;
async function showCoverage(minutes = 5) {
  const seq = ++covSeq;
  $('cov-info').textContent = '…';
  delete document.body.dataset.coverage;
  const best = plan?.candidates?.[0];
  try {
    const [all, one] = await Promise.all([getJson(`/api/v1/rescue/coverage?minutes=${minutes}&area=1${atQ}`),
      best ? getJson(`/api/v1/rescue/coverage?minutes=${minutes}&station=${encodeURIComponent(best.id)}${atQ}`) : null]);
    if (seq !== covSeq) return;
    draw.drawCoverage(all.uncovered);
    draw.drawArea('uncovered', all.uncovered_area);
    draw.drawArea('station', one?.area);
    $('cov-info').textContent = t('rescue.covered', { p: Number(all.covered_pct).toFixed(1) })
      + (one ? ` · ${t('rescue.reach_km2', { n: nameOf(best) || best.id, m: minutes, a: Number(one.area_km2).toFixed(1) })}` : '');
    document.body.dataset.coverage = '1';
  } catch (e) {
    if (seq === covSeq) $('cov-info').textContent = e.message;
  }
}

function toggleCoverage(on) {
  if (on) return showCoverage(5);
  covSeq++;
  draw.clearCoverage();
  $('cov-info').textContent = '';
  delete document.body.dataset.coverage;
  return null;
}

function renderStatus() {
  const { status } = live.getStatus();
  $('conn').className = `conn conn-${status}`;
  $('conn').dataset.state = status;
  $('conn-text').textContent = t(`conn.${status}`);
  $('clock').textContent = clock(live.serverNow());
}

async function highlightBuilding() {
  const id = ctx?.incident_building ?? inc?.building;
  if (!id) return;
  select(id);
  try {
    const f = await getJson(`/api/v1/items/${encodeURIComponent(id)}`);
    draw.drawBuilding(f.geometry, f.properties?.height, id);
  } catch (e) { console.warn('rescue: building outline:', e.message); }
}

async function main() {
  const [cfg] = await Promise.all([loadConfig(), initLang()]);
  const cityName = () => { $('city-name').textContent = currentLang() === 'en' ? cfg.city?.name_en : cfg.city?.name; };
  document.title = `${t('rescue.title')} · citytwin`;
  cityName();
  const langBtn = () => { $('btn-lang').textContent = currentLang() === 'zh' ? 'EN' : '中文'; };
  langBtn();
  $('btn-lang').addEventListener('click', () => toggleLang());
  onLang(() => { cityName(); langBtn(); renderAll(); renderStatus(); });
  live.onStatus(renderStatus);
  setInterval(renderStatus, 1000);
  live.start(cfg);
  state.onChange(onLive);

  $('token').value = '';
  $('btn-token').addEventListener('click', () => {
    const v = $('token').value.trim();
    try { if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
    $('token').value = '';
    renderAll();
  });
  $('token').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('btn-token').click(); });

  if (AT) {   // a replay: say so in the head, and lead back to live
    const asof = () => { $('asof').textContent = t('rescue.asof', { t: clock(AT_MS, false) }); };
    asof();
    onLang(asof);
    $('asof').classList.remove('hidden');
    $('asof').dataset.at = AT;
    const back = new URLSearchParams(location.search);
    back.delete('at');
    $('btn-live').href = `/rescue${back.toString() ? `?${back}` : ''}`;
    $('btn-live').classList.remove('hidden');
  }
  inc = await findIncident();
  const num = (k) => (Q.get(k) ? Number(Q.get(k)) : NaN);
  point = inc ? { lon: inc.lon, lat: inc.lat } : { lon: num('lon'), lat: num('lat') };
  if (!Number.isFinite(point.lon) || !Number.isFinite(point.lat)) {
    renderAll();
    await showPicker(AT);   // no incident named: pick one
    document.body.dataset.ready = '1';
    return;
  }
  if (inc) document.body.dataset.incState = inc.state;
  await loadAround();
  renderAll();

  const widget = await createMap($('map'), cfg, $('credits'));
  draw.initDraw(widget);
  draw.focus(widget, point.lon, point.lat, plan?.candidates);
  await addTiles(widget, cfg);
  draw.drawResources(near?.layers);
  draw.drawRoutes(plan?.candidates ?? [], (c) => `${c.name ?? c.id} ${panel.mmss(c.eta_s)}`);
  draw.drawIncident(point.lon, point.lat, inc ? `${t(`kind.${inc.kind}`)} ${inc.id}` : t('rescue.point'));
  await highlightBuilding();
  $('cov-toggle').addEventListener('change', (e) => toggleCoverage(e.target.checked));
  window.addEventListener('resize', () => requestRender());
  apply();
  document.body.dataset.ready = '1';
}

// For tests and the console.
window.citytwin = { state, live, incident: () => inc, plan: () => plan, requestRender, drawn: draw.summary,
  coverage: (minutes) => showCoverage(minutes) };

main().catch((e) => {
  console.error('rescue: start-up failed:', e);
  document.body.dataset.ready = 'error';
  $('msg').textContent = `${t('app.error')}: ${e.message}`;
  $('msg').classList.remove('hidden');
});
