// web/js/rescue-panel.js: the rescue map's side panel: the incident's state
// and timeline, the flow buttons, the recommended stations (ETA, route
// length, a dispatch button each), the resources and buildings around.
// Rendering only: data and actions are rescue.js's.
import { t, nameOf, buildingKind } from './i18n.js';
import { el, num, clock, toMs } from './format.js';

const $ = (id) => document.getElementById(id);
const TIMES = ['intake', 'dispatch', 'arrival', 'handling', 'verification', 'closure', 'evaluation'];
// The next step of the flow from each state (docs/LIVE.md), as buttons.
const NEXT = { dispatched: ['arrive'], handling: ['verify'], verification: ['close', 'reject'] };

export function mmss(s) {
  if (!Number.isFinite(Number(s))) return '—';
  const v = Math.round(Number(s));
  return `${Math.floor(v / 60)}:${String(v % 60).padStart(2, '0')}`;
}
const km = (m) => (Number.isFinite(Number(m)) ? `${num(m / 1000, 2)} km` : '—');
const dist = (m) => (Number.isFinite(Number(m)) ? `${num(m)} m` : '—');

function empty(ul, key) { ul.replaceChildren(el('li', 'empty', t(key))); }

export function renderIncident(inc, onAct, canAct) {
  $('inc-id').textContent = inc?.id ?? t('rescue.point');
  $('inc-kind').textContent = inc ? t(`kind.${inc.kind}`) : '';
  const st = $('inc-state');
  st.textContent = inc ? t(`istate.${inc.state}`) : '—';
  st.dataset.state = inc?.state ?? '';
  const where = [inc?.description, inc?.building && `${t('f.building')} ${inc.building}`,
    inc && `${num(inc.lon, 5)}, ${num(inc.lat, 5)}`].filter(Boolean);
  $('inc-where').textContent = where.join(' · ') || '—';
  const units = [...(inc?.units ?? []), ...(inc?.departments ?? [])];
  if (units.length) $('inc-where').append(el('div', 'units', `${t('rescue.units')}: ${units.join('、')}`));
  const ol = $('timeline');
  ol.replaceChildren();
  for (const k of TIMES) {
    const ms = toMs(inc?.times?.[k]);
    if (!ms) continue;
    const li = el('li', 'done');
    li.append(el('span', 'tl-t', clock(ms)), el('span', 'tl-s', t(`rescue.t.${k}`)));
    ol.append(li);
  }
  for (const a of (inc?.audit ?? []).slice(-4)) {
    const li = el('li', 'audit');
    li.append(el('span', 'tl-t', clock(toMs(a.t))), el('span', 'tl-s', `${a.actor ?? ''} · ${t(`rescue.act.${a.action}`)}`));
    ol.append(li);
  }
  // planned ETA (given at dispatch) against the actual dispatch-to-arrival
  const ev = inc?.eta_evaluation;
  if (ev && Number.isFinite(ev.dispatch_to_arrival_s)) {
    const err = ev.eta_error_s;
    const li = el('li', 'eval');
    li.append(el('span', 'tl-t', mmss(ev.dispatch_to_arrival_s)),
      el('span', 'tl-s', `${t('rescue.eta_actual')} · ${t('rescue.eta_planned')} ${mmss(ev.planned_eta_s)}` +
        (Number.isFinite(err) ? ` (${err >= 0 ? '+' : '−'}${mmss(Math.abs(err))})` : '')));
    ol.append(li);
  }
  const flow = $('flow');
  flow.replaceChildren();
  for (const act of NEXT[inc?.state] ?? []) {
    const b = el('button', 'btn act', t(`rescue.act.${act}`));
    b.type = 'button';
    b.dataset.action = act;
    b.disabled = !canAct;
    b.addEventListener('click', () => onAct(act));
    flow.append(b);
  }
}

// candidates: the plan's (smallest ETA first); onDispatch(candidate).
export function renderPlan(plan, inc, onDispatch, canAct, error) {
  const ul = $('plan');
  if (error) { ul.replaceChildren(el('li', 'empty err', error)); return; }
  const cands = plan?.candidates ?? [];
  if (!cands.length) { empty(ul, 'rescue.none'); return; }
  ul.replaceChildren();
  const sent = new Set(inc?.units ?? []);
  for (const c of cands) {
    const li = el('li', `station${c.recommended ? ' best' : ''}`);
    li.dataset.station = c.id;
    const head = el('div', 'st-head');
    head.append(el('span', 'rank', String(c.rank)), el('span', 'name', nameOf(c) || c.id));
    if (c.recommended) head.append(el('span', 'tag', t('rescue.recommended')));
    const eta = el('div', 'eta');
    eta.append(el('b', 'eta-v', mmss(c.eta_s)), el('span', 'eta-u', t('rescue.eta')));
    const facts = el('div', 'st-facts',
      `${t('rescue.route')} ${km(c.length_m)} · ${t('rescue.straight')} ${km(c.straight_m)}`
      + (c.engines ? ` · ${t('rescue.engines', { n: c.engines })}` : '')
      + (c.live_segments ? ` · ${t('rescue.live', { n: c.live_segments })}` : ''));
    const b = el('button', 'btn dispatch', sent.has(c.id) ? t('rescue.sent') : t('rescue.dispatch'));
    b.type = 'button';
    b.dataset.station = c.id;
    const open = inc && inc.open !== false && ['intake', 'dispatched', 'handling'].includes(inc.state);
    b.disabled = !canAct || !open || sent.has(c.id);
    b.addEventListener('click', () => onDispatch(c));
    const body = el('div', 'st-body');
    body.append(head, facts);
    // sent: its planned ETA (given when sent) against its actual arrival
    const u = (inc?.assignments ?? []).find((x) => x.unit === c.id);
    if (u) {
      const ev = el('div', 'unit-eval', t('rescue.unit_eval', { p: mmss(u.planned_eta_s), a: mmss(u.dispatch_to_arrival_s) }));
      ev.dataset.unit = u.unit;
      ev.dataset.arrived = u.arrived ? '1' : '0';
      if (Number.isFinite(u.eta_error_s)) {
        const err = el('span', `eta-err ${u.eta_error_s > 0 ? 'late' : 'ok'}`,
          ` ${u.eta_error_s >= 0 ? '+' : '−'}${mmss(Math.abs(u.eta_error_s))}`);
        ev.append(err);
      }
      body.append(ev);
    }
    li.append(body, eta, b);
    ul.append(li);
  }
}

function rows(ul, items, fmt, emptyKey, max = 6) {
  if (!items?.length) { empty(ul, emptyKey); return; }
  ul.replaceChildren();
  for (const it of items.slice(0, max)) {
    const li = el('li');
    li.append(el('span', 'name', nameOf(it) || it.id), el('span', 'val', fmt(it)));
    ul.append(li);
  }
}

export function renderNearest(near, error) {
  const L = near?.layers ?? {};
  if (error) { $('hydrants').replaceChildren(el('li', 'empty err', error)); return; }
  $('hyd-count').textContent = L.hydrants ? String(L.hydrants.length) : '';
  rows($('hydrants'), L.hydrants, (h) => dist(h.distance_m), 'rescue.none', 7);
  rows($('hospitals'), L.hospitals, (h) => dist(h.distance_m), 'rescue.none', 2);
  rows($('police'), L.police, (h) => dist(h.distance_m), 'rescue.none', 2);
  // water sources to draft from (rivers, lakes: distance to their nearest
  // point) first, then the water monitoring stations
  rows($('water'), [...(L.water_sources ?? []), ...(L.water_stations ?? [])], (h) => dist(h.distance_m), 'rescue.none', 7);
}

export function renderContext(ctx, error) {
  const ul = $('buildings');
  if (error) { ul.replaceChildren(el('li', 'empty err', error)); return; }
  $('bld-count').textContent = ctx ? String(ctx.count ?? ctx.buildings?.length ?? 0) : '';
  if (!ctx?.buildings?.length) { empty(ul, 'rescue.none'); return; }
  ul.replaceChildren();
  for (const b of ctx.buildings.slice(0, 12)) {
    const li = el('li', b.contains_point ? 'hit' : '');
    li.append(el('span', 'name', nameOf(b) || b.id), el('span', 'kind', buildingKind(b.kind)),
      el('span', 'val', Number.isFinite(b.height) ? `${num(b.height, 0)} m` : '—'),
      el('span', 'val', b.contains_point ? t('rescue.here') : dist(b.distance_m)));
    ul.append(li);
  }
}
