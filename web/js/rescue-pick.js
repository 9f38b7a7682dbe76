// web/js/rescue-pick.js: the rescue map opened without an incident
// (/rescue, the wall's button before an incident is picked): the open
// incidents, newest first, as big rows readable from across the room,
// each in Chinese first with English beside it; a row leads to
// /rescue?incident=ID. During a replay (?at=) the incidents open then,
// from GET /api/v1/state?at=, and the rows keep the time.
import { t, fill } from './i18n.js';
import { el, clock, toMs } from './format.js';

const $ = (id) => document.getElementById(id);
// HH:MM today, MM-DD HH:MM on another day
function when(ms) {
  if (!ms) return '—';
  const d = new Date(ms), now = new Date();
  const day = d.toDateString() === now.toDateString() ? ''
    : `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} `;
  return day + clock(ms, false);
}

async function dicts() {
  const get = async (l) => { try { const r = await fetch(`/i18n/${l}.json`); return r.ok ? r.json() : {}; } catch { return {}; } };
  const [zh, en] = await Promise.all([get('zh'), get('en')]);
  // "火灾 Fire": both, Chinese first; one when they are the same
  return (key, fallback, vars) => {
    const a = fill(zh[key] ?? fallback, vars), b = fill(en[key] ?? fallback, vars);
    return a === b ? a : `${a} ${b}`;
  };
}

// The open incidents now, or at atIso (a replay), newest intake first.
export async function openIncidents(atIso) {
  const url = atIso ? `/api/v1/state?at=${encodeURIComponent(atIso)}` : '/api/v1/incidents?open=1';
  const r = await fetch(url, { cache: 'no-cache' });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error(body?.error?.message ?? `${url} answered ${r.status}`);
  const list = atIso ? Object.values(body?.incidents ?? {}) : body?.incidents ?? [];
  const intake = (x) => toMs(x.times?.intake) ?? 0;
  return list.filter((x) => x.open !== false).sort((a, b) => intake(b) - intake(a) || (a.id < b.id ? 1 : -1));
}

// Fill #pick with the list; atIso keeps a replay's time in the links.
export async function showPicker(atIso) {
  const [both, list] = await Promise.all([dicts(), openIncidents(atIso)]);
  const box = $('pick');
  const head = el('h2', 'pick-head', atIso ? both('rescue.pick_asof', t('rescue.pick_asof'), { t: when(toMs(atIso)) })
    : both('rescue.pick', t('rescue.pick')));
  const ul = el('ul', 'pick-list');
  ul.id = 'pick-list';
  for (const x of list) {
    const li = el('li', 'pick-row');
    const a = el('a', 'pick-link');
    a.href = `/rescue?incident=${encodeURIComponent(x.id)}${atIso ? `&at=${encodeURIComponent(atIso)}` : ''}`;
    a.dataset.id = x.id;
    const where = [x.description, x.building, x.road].filter(Boolean).join(' · ');
    a.append(el('span', 'pick-time', when(toMs(x.times?.intake))),
      el('span', 'pick-kind', both(`kind.${x.kind}`, x.kind)),
      el('span', 'istate pick-state', both(`istate.${x.state}`, x.state)),
      el('b', 'pick-id', x.id),
      el('span', 'pick-where', where));
    a.querySelector('.pick-state').dataset.state = x.state;
    li.append(a);
    ul.append(li);
  }
  if (!list.length) ul.append(el('li', 'empty', both('rescue.pick_none', t('rescue.pick_none'))));
  box.replaceChildren(head, ul);
  box.classList.remove('hidden');
  document.body.dataset.mode = 'pick';   // no incident: no map tools, no badge
  box.dataset.count = String(list.length);
  return list;
}
