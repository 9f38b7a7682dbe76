// web/js/live.js: the WebSocket client of docs/PROTOCOL.md (citytwin.v1).
// hello -> subscribe (with resume {epoch, offset} after a drop) -> snapshot
// per topic, then deltas merged into state.js. Reconnects by itself with
// exponential backoff and jitter; a silent connection is dropped and
// resumed. Keeps the server clock offset ({"op":"time"}) so "data as of"
// times are server times. Status: 'connecting', 'live', 'reconnecting',
// 'nofeed' (the server offers no push), listened to with onStatus().
import * as state from './state.js';

const PROTOCOL = 'citytwin.v1';
const PING_MS = 20000;        // app-level ping when idle
const SILENT_MS = 50000;      // no frame for this long: drop and resume
const BACKOFF_MIN = 1000, BACKOFF_MAX = 30000;

let url = null;
let ws = null;
let status = 'connecting';
let detail = '';
let epoch = null, offset = 0;
let backoff = BACKOFF_MIN;
let lastFrame = 0;
let timers = [];
let clockOffset = 0;          // serverMs - clientMs
// Traffic and parking change everywhere all the time: at most one burst of
// deltas per second is plenty for the wall and keeps a slow page (software
// WebGL) in step (the server coalesces in between; docs/PROTOCOL.md).
const RATE_HZ = { traffic: 1, parking: 1 };
const withRate = (t) => (RATE_HZ[t.topic] && t.max_rate_hz === undefined
  ? { ...t, max_rate_hz: RATE_HZ[t.topic] } : t);
let topics = state.TOPICS.map((t) => withRate({ topic: t }));
const statusListeners = new Set();
const counters = { frames: 0, deltas: 0, snapshots: 0, resets: 0, reconnects: 0, slowdowns: 0 };

export function onStatus(fn) { statusListeners.add(fn); fn(status, detail); return () => statusListeners.delete(fn); }
export function getStatus() { return { status, detail, epoch, offset, clockOffset, counters: { ...counters }, topics }; }
export function serverNow() { return Date.now() + clockOffset; }

function setStatus(s, d = '') {
  status = s; detail = d;
  for (const fn of statusListeners) fn(s, d);
}

function send(obj) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
}

// Pages only talk to their own host (the CSP allows ws: for the push port;
// this keeps it to the page's host whatever the config says).
function allowedUrl(u) {
  try {
    const p = new URL(u, location.href);
    return (p.protocol === 'ws:' || p.protocol === 'wss:') && p.hostname === location.hostname;
  } catch { return false; }
}

// Start from the config: ws_url null means the server has no push yet.
export function start(cfg) {
  if (cfg.server_time_ms) clockOffset = cfg.server_time_ms - (cfg.fetched_at ?? Date.now());
  url = cfg.ws_url ?? null;
  if (!url) { setStatus('nofeed', 'ws_url'); return; }
  if (!allowedUrl(url)) {
    console.warn(`live: ws_url ${url} is not on this page's host; not connecting`);
    setStatus('nofeed', 'origin');
    return;
  }
  connect();
  setInterval(watchdog, 5000);
}

// Test hook and district drill-down: resubscribe with other filters.
export function subscribe(list) {
  topics = list.map((t) => withRate(typeof t === 'string' ? { topic: t } : t));
  send({ op: 'subscribe', topics });
}


function connect() {
  clearTimers();
  if (status !== 'nofeed') setStatus(epoch === null ? 'connecting' : 'reconnecting', '');
  try {
    ws = new WebSocket(url, [PROTOCOL]);
  } catch (e) {
    console.warn('live: cannot open', url, e);
    return retry();
  }
  const me = ws;
  ws.onopen = () => { lastFrame = Date.now(); };
  ws.onmessage = (ev) => { if (me === ws) onFrame(ev.data); };
  ws.onclose = (ev) => {
    if (me !== ws) return;
    ws = null;
    if (ev.code && ev.code !== 1000 && ev.code !== 1006 && ev.code !== 4000) {
      console.info(`live: closed ${ev.code} ${ev.reason}`);
    }
    if (ev.code === 4008) slowDown();
    retry();
  };
  ws.onerror = () => { /* onclose follows */ };
}

// Dropped as too slow (4008): this screen cannot keep up with the busiest
// topics at their rate; ask them half as often from now on (not below one
// burst per 10 s). The resume after it loses nothing: the server coalesces.
function slowDown() {
  counters.slowdowns++;
  topics = topics.map((t) => (RATE_HZ[t.topic]
    ? { ...t, max_rate_hz: Math.max(0.1, (t.max_rate_hz ?? RATE_HZ[t.topic]) / 2) } : t));
}

function retry() {
  clearTimers();
  counters.reconnects++;
  // never reached after a few tries: say so (and keep trying)
  if (epoch === null) setStatus(counters.reconnects >= 3 ? 'nofeed' : 'connecting', 'unreachable');
  else setStatus('reconnecting', '');
  const wait = backoff * (0.75 + Math.random() * 0.5);
  backoff = Math.min(BACKOFF_MAX, backoff * 2);
  timers.push(setTimeout(connect, wait));
}

function clearTimers() { for (const t of timers) clearTimeout(t); timers = []; }

function watchdog() {
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  const idle = Date.now() - lastFrame;
  if (idle > SILENT_MS) { ws.close(4000, 'silent'); return; }
  if (idle > PING_MS) send({ op: 'ping' });
}

function onFrame(text) {
  lastFrame = Date.now();
  counters.frames++;
  let m;
  try { m = JSON.parse(text); } catch { console.warn('live: a frame that is not JSON'); return; }
  switch (m.type) {
    case 'hello': {
      if (m.server_ms) clockOffset = m.server_ms - Date.now();
      const sub = { op: 'subscribe', topics };
      if (epoch !== null) sub.resume = { epoch, offset };
      send(sub);
      // A restarted server (new epoch) answers that resume with a reset and
      // snapshots; the page follows the new stream from now on.
      if (Number.isFinite(m.epoch) && m.epoch !== epoch) { epoch = m.epoch; offset = 0; }
      send({ op: 'time', client_ms: Date.now() });
      backoff = BACKOFF_MIN;
      setStatus('live');
      break;
    }
    case 'snapshot':
      counters.snapshots++;
      track(m);
      state.applySnapshot(m.topic, m.items, serverNow());
      break;
    case 'delta':
      // also the later parts of a big snapshot ("part", "more"): whole
      // values of further entities, merged like any delta
      counters.deltas++;
      track(m);
      state.applyDelta(m.topic, m.items, serverNow());
      break;
    case 'reset':
      // epoch changed or history gone: fresh snapshots follow
      counters.resets++;
      console.info(`live: reset (${m.reason})`);
      state.clearLive();
      break;
    case 'time':
      if (Number.isFinite(m.server_ms) && Number.isFinite(m.client_ms)) {
        clockOffset = m.server_ms - (m.client_ms + Date.now()) / 2;
      }
      break;
    case 'pong':
      break;
    case 'error':
      console.warn(`live: server error ${m.code}: ${m.message}`);
      break;
    default:
      break;
  }
}

function track(m) {
  if (Number.isFinite(m.epoch)) {
    if (epoch !== null && m.epoch !== epoch) offset = 0;
    epoch = m.epoch;
  }
  if (Number.isFinite(m.offset) && m.offset >= offset) offset = m.offset;
}
