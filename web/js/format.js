// web/js/format.js: numbers, durations and times as the wall shows them.
import { t, currentLang } from './i18n.js';

export function num(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  return Number(v).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-US',
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(v, digits = 0) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return '—';
  return `${num(v * 100, digits)}%`;
}

export function duration(s) {
  if (s === null || s === undefined || !Number.isFinite(Number(s))) return '—';
  s = Math.round(s);
  if (s < 60) return t('unit.s', { n: s });
  if (s < 3600) return t('unit.min', { n: Math.round(s / 60) });
  return t('unit.h', { n: (s / 3600).toFixed(1) });
}

// Epoch ms or ISO string -> ms.
export function toMs(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

const pad = (n) => String(n).padStart(2, '0');
// Local wall-clock time of a server time (the centre's own time zone).
export function clock(ms, withSeconds = true) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
}

export function dateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}

export function ago(ms, nowMs) {
  if (ms === null || ms === undefined) return '—';
  return duration(Math.max(0, (nowMs - ms) / 1000));
}

// Text for an element, without HTML.
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
