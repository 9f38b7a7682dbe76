// web/js/leader.js: the leader's view (web/leader.html). Same config, i18n,
// state and live connection as the wall; renders six large indicators with
// their warning colour and a 15-minute trend arrow, the open red and orange
// alerts and the incidents in progress. Read-only.
import { loadConfig, levelOf } from './config.js';
import { initLang, toggleLang, currentLang, t, onLang, alertTitle } from './i18n.js';
import * as state from './state.js';
import * as live from './live.js';
import { num, pct, duration, toMs, clock, el } from './format.js';

const $ = (id) => document.getElementById(id);
const IND = [
  { key: 'tpi', label: 'kpi.tpi', fmt: (v) => num(v, 1), sub: (v) => t(`tpi.${v.tpi_level ?? 'unknown'}`) },
  { key: 'parking_occupancy', label: 'kpi.parking', fmt: (v) => pct(v), sub: (v) => t('kpi.free', { n: num(v.parking_free) }) },
  { key: 'water_above_warning', label: 'kpi.water', fmt: (v) => num(v), sub: (v) => t('kpi.guarantee', { n: num(v.water_above_guarantee) }) },
  { key: 'rain_max_mm_h', label: 'kpi.rain', fmt: (v) => num(v, 1), unit: 'mm/h' },
  { key: 'incidents_open', label: 'kpi.incidents', fmt: (v) => num(v), sub: (v) => `${t('inc.arrival')} ${duration(v.arrival_avg_s)}` },
  { key: 'congested_km', label: 'kpi.congested', fmt: (v) => num(v, 1), unit: 'km', plain: true },
];

function arrow(key, cur) {
  const tr = state.vitalsTrend();
  if (tr.length < 2 || !Number.isFinite(cur)) return '';
  const now = tr[tr.length - 1][0];
  const past = tr.find(([ms]) => ms >= now - 15 * 60000)?.[1]?.[key];
  if (!Number.isFinite(past) || past === cur) return '→';
  return cur > past ? '↑' : '↓';
}

function render() {
  const v = state.get('vitals').get('city') ?? {};
  const box = $('indicators');
  box.replaceChildren();
  for (const k of IND) {
    const val = v[k.key];
    const lv = k.plain ? (val === undefined ? 'unknown' : 'none') : levelOf(k.key, val);
    const card = el('div', `ind lv-${lv}`);
    card.dataset.ind = k.key;
    const big = el('div', 'ind-value', val === undefined ? '—' : k.fmt(val));
    if (k.unit && val !== undefined) big.append(el('span', 'ind-unit', k.unit));
    const a = arrow(k.key, val);
    if (a) big.append(el('span', 'ind-trend', a));
    card.append(el('div', 'ind-label', t(k.label)), big,
      el('div', 'ind-sub', val === undefined ? t('state.nodata') : (k.sub ? k.sub(v) : '')));
    box.append(card);
  }
  const alerts = [...state.get('alerts').values()]
    .filter((a) => (a.level === 'red' || a.level === 'orange') && a.status !== 'cleared')
    .sort((a, b) => (a.level === b.level ? (toMs(b.raised_at) ?? 0) - (toMs(a.raised_at) ?? 0) : a.level === 'red' ? -1 : 1));
  const al = $('alerts');
  al.replaceChildren();
  if (!alerts.length) al.append(el('li', 'empty', state.lastData() ? t('leader.noalerts') : t('state.nodata')));
  for (const a of alerts) {
    const li = el('li');
    li.append(el('span', `tag lv-${a.level}`, t(`level.${a.level}`)), el('span', 'what', alertTitle(a) || a.id),
      el('span', 'when', clock(toMs(a.raised_at), false)));
    al.append(li);
  }
  const incs = [...state.get('incidents').values()].filter((x) => x.open !== false)
    .sort((a, b) => (toMs(b.times?.intake) ?? 0) - (toMs(a.times?.intake) ?? 0));
  const il = $('incidents');
  il.replaceChildren();
  if (!incs.length) il.append(el('li', 'empty', state.lastData() ? t('inc.none') : t('state.nodata')));
  for (const x of incs) {
    const li = el('li');
    li.append(el('span', 'tag kind', t(`kind.${x.kind}`)), el('span', 'what', `${t(`istate.${x.state}`)} · ${x.description ?? x.id}`),
      el('span', 'when', clock(toMs(x.times?.intake), false)));
    il.append(li);
  }
}

function renderStatus() {
  const { status } = live.getStatus();
  $('conn').className = `conn conn-${status}`;
  $('conn').dataset.state = status;
  let s = t(`conn.${status}`);
  if (status === 'reconnecting' && state.lastData()) s += ` · ${t('conn.last', { t: clock(state.lastData()) })}`;
  $('conn-text').textContent = s;
  $('asof').textContent = state.lastData() ? clock(state.lastData()) : '—';
}

async function main() {
  const [cfg] = await Promise.all([loadConfig(), initLang()]);
  const name = () => { $('city-name').textContent = currentLang() === 'en' ? cfg.city?.name_en : cfg.city?.name; };
  const langBtn = () => { $('btn-lang').textContent = currentLang() === 'zh' ? 'EN' : '中文'; };
  name(); langBtn();
  $('btn-lang').addEventListener('click', () => toggleLang());
  onLang(() => { name(); langBtn(); render(); renderStatus(); });
  let pending = false;
  state.onChange(() => {
    if (pending) return;
    pending = true;
    setTimeout(() => { pending = false; render(); renderStatus(); }, 300);
  });
  live.onStatus(renderStatus);
  setInterval(renderStatus, 1000);
  render();
  live.start(cfg);
  document.body.dataset.ready = '1';
}

window.citytwin = { state, live };
main().catch((e) => { console.error('leader: start-up failed:', e); document.body.dataset.ready = 'error'; });
