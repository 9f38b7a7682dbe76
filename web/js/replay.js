// web/js/replay.js: the time slider. Replays a past moment from
// GET /api/v1/state?at=T&topics=traffic,parking,water (docs/API.md: the
// vitals, alerts, incidents, buildings and the map's layers then) and shows a clear
// "replay" state until the operator returns to live. The slider stays
// disabled while the server has no such route (the live API is pending).
import * as state from './state.js';
import { config } from './config.js';
import { t } from './i18n.js';
import { clock, dateTime } from './format.js';
import { serverNow } from './live.js';

const $ = (id) => document.getElementById(id);
let available = false;
let pending = null;
const REST_MS = 300;          // the slider at rest this long: ask the server

export async function initReplay(onMode) {
  const slider = $('replay-slider');
  const windowMin = config().replay.window_h * 60;
  slider.max = String(windowMin);
  slider.value = String(windowMin);
  available = await probe();
  slider.disabled = !available;
  slider.title = available ? t('replay.hint') : t('replay.unavailable');
  $('replay-time').textContent = available ? t('replay.now') : t('replay.na');
  slider.addEventListener('input', () => {
    const back = windowMin - Number(slider.value);
    $('replay-time').textContent = back === 0 ? t('replay.now') : clock(serverNow() - back * 60000, false);
  });
  // Arrow keys send a change per step: the state is asked once the slider
  // rests (a replay of the whole city's layers costs the server ~0.4 s of
  // CPU, docs/DASHBOARD.md), not for every minute passed on the way.
  let settle = null;
  slider.addEventListener('change', () => {
    clearTimeout(settle);
    const back = windowMin - Number(slider.value);
    if (back === 0) { stop(onMode); return; }
    settle = setTimeout(() => go(serverNow() - back * 60000, onMode), REST_MS);
  });
  $('btn-live').addEventListener('click', () => { clearTimeout(settle); slider.value = String(windowMin); stop(onMode); });
}

// Is the state-at-time route there? The config's links name it when it is
// (probing the route would log a 404 in the console of every wall).
async function probe() {
  return Boolean(config().links?.state);
}

export async function go(atMs, onMode) {
  pending = atMs;
  // the roads, car parks and stations as they were too (the map's colours,
  // the water list), from the observations then
  const r = await fetch(`${config().links?.state ?? '/api/v1/state'}?at=${encodeURIComponent(new Date(atMs).toISOString())}` +
    '&topics=traffic,parking,water');
  if (pending !== atMs) return;         // a later request won
  if (!r.ok) { console.warn(`replay: /api/v1/state answered ${r.status}`); return; }
  const s = await r.json();
  state.startReplay(atMs, s);
  $('replay-banner').classList.remove('hidden');
  $('replay-at').textContent = dateTime(atMs);
  onMode?.(true);
}

export function stop(onMode) {
  pending = null;
  if (!state.isReplay()) return;
  state.endReplay();
  $('replay-banner').classList.add('hidden');
  $('replay-time').textContent = t('replay.now');
  onMode?.(false);
}
