// web/js/config.js: what the page knows about its server, in one place.
// Reads GET /api/v1/config; thresholds and styles come from the server's
// config (`thresholds`, `style` objects) when it sends them. The DEFAULTS
// below mirror data/thresholds.json and are used only for what the server
// does not send yet: change colours and bands here and nowhere else.

// The national warning colours (red I most severe ... blue IV).
export const LEVEL_COLOURS = {
  red: '#ff3b30', orange: '#ff9500', yellow: '#ffd60a', blue: '#2f8cff',
  none: '#34c759', unknown: '#5b6b82',
};
export const LEVELS = ['red', 'orange', 'yellow', 'blue'];

const DEFAULTS = {
  thresholds: {
    // value at which each colour starts (direction: above), as data/thresholds.json
    tpi: { blue: 4, yellow: 6, orange: 8, red: 9 },
    parking_occupancy: { blue: 0.80, yellow: 0.90, orange: 0.95, red: 0.98 },
    rain_max_mm_h: { blue: 16, yellow: 30, orange: 50, red: 80 },
    water_above_warning: { yellow: 1, orange: 3, red: 10 },
    incidents_open: { blue: 1, yellow: 3, orange: 6, red: 10 },
    stale_traffic_pct: { blue: 5, yellow: 10, orange: 25, red: 50 },
    stale_parking_pct: { blue: 5, yellow: 10, orange: 25, red: 50 },
    stale_water_pct: { blue: 5, yellow: 20, orange: 50, red: 80 },
    warning_ratio: { blue: -0.25, yellow: 0, orange: 0.5, red: 1 },
    segment_index: { blue: 4, yellow: 6, orange: 8, red: 9 },
  },
  incident_targets: {
    fire: { dispatch_s: 60, arrival_s: 300, closure_s: 14400 },
    accident: { dispatch_s: 120, arrival_s: 600, closure_s: 7200 },
    flood: { dispatch_s: 300, arrival_s: 1200, closure_s: 43200 },
    default: { dispatch_s: 300, arrival_s: 1200, closure_s: 86400 },
  },
  style: {
    background: '#08111f',
    // building colour by height band (m), lowest first; live states override
    buildings_by_height: [[0, '#35557c'], [24, '#4272a6'], [50, '#5590cc'], [100, '#86c3ff']],
    building_states: { fire: '#ff3b30', flood: '#2f8cff', accident: '#ff9500', normal: null },
    // road colour by TPI level of the segment (live), and with no data
    road_levels: {
      smooth: '#34c759', basic: '#a4e05a', light: '#ffd60a', moderate: '#ff9500',
      severe: '#ff3b30', none: '#3b4d66',
    },
  },
  tour: { idle_s: 120, dwell_s: 20 },
  replay: { window_h: 24 },
};

let cfg = null;

function merge(base, over) {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over ?? base;
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = base && typeof base[k] === 'object' && !Array.isArray(base[k]) ? merge(base[k], v) : v;
  }
  return out;
}

// Turn the thresholds file's shape ({alerts: [{value, levels}]}) into
// {value: levels}, so the server may send either.
function thresholdsFrom(t) {
  if (!t) return {};
  if (!Array.isArray(t.alerts)) return t;
  const out = {};
  for (const a of t.alerts) if (a.value && a.levels) out[a.value] = a.levels;
  if (t.incident_targets) out.incident_targets = t.incident_targets;
  return out;
}

export async function loadConfig() {
  const r = await fetch('/api/v1/config', { cache: 'no-cache' });
  if (!r.ok) throw new Error(`/api/v1/config answered ${r.status}`);
  const server = await r.json();
  const thr = thresholdsFrom(server.thresholds);
  cfg = {
    ...server,
    thresholds: merge(DEFAULTS.thresholds, thr),
    incident_targets: merge(DEFAULTS.incident_targets, thr.incident_targets ?? server.incident_targets),
    style: merge(DEFAULTS.style, server.style),
    tour: merge(DEFAULTS.tour, server.tour),
    replay: merge(DEFAULTS.replay, server.replay),
    fetched_at: Date.now(),
  };
  return cfg;
}

export function config() {
  if (!cfg) throw new Error('config() before loadConfig()');
  return cfg;
}

// The warning level of a value against its thresholds ('none' below all).
export function levelOf(key, value) {
  const t = cfg?.thresholds?.[key];
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return 'unknown';
  if (!t) return 'none';
  const below = t.direction === 'below';
  for (const lv of LEVELS) {
    if (t[lv] === undefined) continue;
    if (below ? value <= t[lv] : value >= t[lv]) return lv;
  }
  return 'none';
}

export function levelColour(level) {
  return LEVEL_COLOURS[level] ?? LEVEL_COLOURS.unknown;
}
