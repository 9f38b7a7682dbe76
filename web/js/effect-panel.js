// web/js/effect-panel.js: the wall's effectiveness panel for rescue
// dispatch (出警效能, issue 8): per station, the mean dispatch-to-arrival
// time of its units against the mean ETA planned when they were sent
// (ECharts, grouped bars), and per incident the first arrival against the
// planned first arrival. Data: GET /api/v1/rescue/evaluation
// (docs/RESCUE.md), fetched again when the incidents topic changes (the
// live state): at once, then at most once a second. During a replay
// (replay.js, state.isReplay()) the figures are those as of the replayed
// time (?at=T, the incidents as they were then) and the head says so.
// Owns the #effect-panel element; also puts the replayed time on the
// wall's rescue button (#btn-rescue) while replaying.
/* global echarts */
import * as state from './state.js';
import { t, onLang } from './i18n.js';
import { el, clock } from './format.js';

const $ = (id) => document.getElementById(id);
const TEXT = '#c8d6e8', DIM = '#7f93ad', GRID = '#1d2b42';
const PLAN = '#5b7fa8', OK = '#34c759', LATE = '#ff9500';
const MAX_STATIONS = 4, MAX_INCIDENTS = 3;
const GAP_MS = 1000;   // at most one fetch a second, the first at once
let data = null, chart = null, timer = null, busy = false, again = false, lastLoad = -Infinity;
let dataAt = null;   // the replayed time of data (ms), null: live

const rem = () => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
const fin = (v) => v !== null && v !== undefined && Number.isFinite(Number(v));

// Seconds as m:ss ("—" when unknown); signed with + or − when asked.
export function mmss(s, signed = false) {
  if (!fin(s)) return '—';
  const v = Math.round(Math.abs(Number(s)));
  const txt = `${Math.floor(v / 60)}:${String(v % 60).padStart(2, '0')}`;
  return signed ? `${Number(s) >= 0 ? '+' : '−'}${txt}` : txt;
}

const stationLabel = (s) => s.name || s.station;

function renderChart(box) {
  const rows = (data?.stations ?? []).filter((s) => s.count > 0)
    .sort((a, b) => b.count - a.count || (a.station < b.station ? -1 : 1)).slice(0, MAX_STATIONS).reverse();
  if (!chart) chart = echarts.init(box, null, { renderer: 'canvas' });
  const f = rem();
  chart.setOption({
    animation: false,
    grid: { left: f * 5.6, right: f * 2.8, top: f * 1.3, bottom: f * 0.2 },
    legend: { top: 0, right: 0, itemHeight: f * 0.5, itemWidth: f * 0.9, textStyle: { color: DIM, fontSize: f * 0.7 },
      data: [t('effect.planned'), t('effect.actual')] },
    xAxis: { type: 'value', show: false, min: 0 },
    yAxis: { type: 'category', data: rows.map(stationLabel),
      axisLabel: { color: TEXT, fontSize: f * 0.7, width: f * 5.2, overflow: 'truncate' },
      axisLine: { show: false }, axisTick: { show: false } },
    series: [
      { name: t('effect.planned'), type: 'bar', barGap: '10%', barMaxWidth: f * 0.6, itemStyle: { color: PLAN },
        data: rows.map((s) => (fin(s.mean_planned_eta_s) ? s.mean_planned_eta_s : 0)),
        label: { show: true, position: 'right', color: DIM, fontSize: f * 0.62,
          formatter: (p) => mmss(rows[p.dataIndex].mean_planned_eta_s) } },
      { name: t('effect.actual'), type: 'bar', barMaxWidth: f * 0.6, itemStyle: { color: OK },
        data: rows.map((s) => ({ value: fin(s.mean_dispatch_to_arrival_s) ? s.mean_dispatch_to_arrival_s : 0,
          itemStyle: { color: fin(s.mean_eta_error_s) && s.mean_eta_error_s > 0 ? LATE : OK } })),
        label: { show: true, position: 'right', color: TEXT, fontSize: f * 0.62,
          formatter: (p) => mmss(rows[p.dataIndex].mean_dispatch_to_arrival_s) } },
    ],
    graphic: rows.length ? [] : [{ type: 'text', left: 'center', top: 'middle',
      style: { text: t('effect.none'), fill: DIM, fontSize: f * 0.8 } }],
  }, true);
}

function renderList(ul) {
  const rows = [...(data?.incidents ?? [])]
    .sort((a, b) => (Date.parse(b.dispatched) || 0) - (Date.parse(a.dispatched) || 0)).slice(0, MAX_INCIDENTS);
  ul.replaceChildren();
  for (const x of rows) {
    const li = el('li', `eff kind-${x.kind}`);
    li.dataset.id = x.id;
    li.dataset.station = x.station;
    li.dataset.state = x.state;
    const err = x.eta_error_s;
    const verdict = !fin(x.dispatch_to_arrival_s) ? t('effect.enroute') : mmss(err, true);
    li.append(el('span', 'inc-kind', t(`kind.${x.kind}`)), el('span', 'name', stationLabel(x)),
      el('span', 'eff-plan', `${t('effect.planned')} ${mmss(x.planned_eta_s)}`),
      el('span', 'eff-act', `${t('effect.actual')} ${mmss(x.dispatch_to_arrival_s)}`),
      el('span', `eff-err${fin(err) ? (err > 0 ? ' late' : ' ok') : ''}`, verdict));
    li.title = `${x.id} · ${t('effect.units', { n: x.units ?? 1 })}`;
    ul.append(li);
  }
}

function render() {
  const root = $('effect-panel');
  if (!root) return;
  if (!root.firstChild) {
    root.append(el('div', 'eff-head'), el('div', 'eff-chart'), el('ul', 'rows eff-list'));
  }
  const [head, box, ul] = root.children;
  const st = data?.stations ?? [];
  const units = st.reduce((n, s) => n + s.count, 0), arrived = st.reduce((n, s) => n + s.arrived, 0);
  head.replaceChildren(el('b', null, t('effect.title')),
    el('span', 'dim', t('effect.summary', { n: data?.count ?? 0, u: units, a: arrived })));
  if (dataAt !== null) head.append(el('span', 'eff-asof', t('effect.asof', { t: clock(dataAt, false) })));
  root.classList.toggle('replay', dataAt !== null);
  root.dataset.at = dataAt === null ? '' : new Date(dataAt).toISOString();
  renderChart(box);
  renderList(ul);
  root.dataset.count = String(data?.count ?? 0);
}

async function load() {
  if (busy) { again = true; return; }
  busy = true;
  lastLoad = performance.now();
  const at = state.isReplay() ? state.replayAt() : null;
  try {
    const q = at === null ? '' : `?at=${encodeURIComponent(new Date(at).toISOString())}`;
    const r = await fetch(`/api/v1/rescue/evaluation${q}`, { cache: 'no-cache' });
    const now = state.isReplay() ? state.replayAt() : null;
    if (now !== at) again = true;          // the replay moved meanwhile: fetch again
    else if (r.ok) {
      data = await r.json();
      dataAt = at;
      render();
      $('effect-panel').dataset.loaded = '1';
    }
  } catch (e) {
    console.warn('effect panel:', e.message);
  } finally {
    busy = false;
    if (again) { again = false; schedule(); }
  }
}

// A change seen on the incidents topic: fetch now, or as soon as a second
// has passed since the last fetch (a burst of changes costs one more).
function schedule() {
  if (timer) return;
  const wait = Math.max(0, lastLoad + GAP_MS - performance.now());
  timer = setTimeout(() => { timer = null; load(); }, wait);
}

export function resize() { chart?.resize(); }

// Start: one load now, then again whenever an incident changes (a replay
// starting, moving or ending changes every topic).
// The wall's rescue button during a replay opens the rescue map as of the
// replayed time (?at=: the incident, plan and coverage of then); live, it
// drops the time. Rewritten on the click, whoever set the href.
function rescueLinkAt() {
  const a = $('btn-rescue');
  if (!a) return;
  const u = new URL(a.getAttribute('href') || '/rescue', location.origin);
  if (state.isReplay()) u.searchParams.set('at', new Date(state.replayAt()).toISOString());
  else u.searchParams.delete('at');
  a.setAttribute('href', u.pathname + u.search);
}

export function initEffect() {
  $('btn-rescue')?.addEventListener('click', rescueLinkAt, true);
  $('btn-rescue')?.addEventListener('focus', rescueLinkAt);
  if (!$('effect-panel')) return;
  state.onChange((topic) => { if (topic === 'incidents') schedule(); });
  onLang(() => { if (data) render(); });
  window.addEventListener('resize', resize);
  render();
  load();
}
