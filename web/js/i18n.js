// web/js/i18n.js: Chinese first, English available. Every visible string
// lives in web/i18n/zh.json and en.json; elements carry data-i18n="key"
// (text) or data-i18n-title="key" (tooltip). ?lang=en or the toggle
// switches; the choice is remembered in localStorage.
const LANGS = ['zh', 'en'];
let lang = 'zh';
let dict = {};
const cache = {};
const listeners = new Set();

export function onLang(fn) { listeners.add(fn); }
export function currentLang() { return lang; }

async function load(l) {
  if (!cache[l]) {
    const r = await fetch(`/i18n/${l}.json`);
    if (!r.ok) throw new Error(`/i18n/${l}.json answered ${r.status}`);
    cache[l] = await r.json();
  }
  return cache[l];
}

// fill('{n} km', {n: 3}) -> '3 km' (a missing variable becomes '').
export function fill(s, vars) {
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? '')) : s;
}

// t('key', {n: 3}) -> the string with {n} replaced; the key itself when missing.
export function t(key, vars) {
  return fill(dict[key] ?? cache.zh?.[key] ?? key, vars);
}

// The title of an alert: its rule's name in the current language when the
// dictionaries know the rule, else the server's title.
export function alertTitle(a) {
  const k = `rule.${a?.rule}`;
  return dict[k] ?? a?.title ?? a?.rule ?? '';
}

// A building kind ("residential") in the current language (bkind.* keys);
// the kind itself when the dictionaries do not know it.
export function buildingKind(k) {
  if (!k) return '';
  return dict[`bkind.${k}`] ?? cache.zh?.[`bkind.${k}`] ?? k;
}

// A name in the current language from an object with name / name_en.
export function nameOf(o) {
  if (!o) return '';
  return (lang === 'en' ? o.name_en || o.name : o.name || o.name_en) || o.id || '';
}

export function apply(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export async function setLang(l) {
  if (!LANGS.includes(l)) l = 'zh';
  dict = await load(l);
  lang = l;
  try { localStorage.setItem('citytwin.lang', l); } catch { /* private mode */ }
  apply();
  for (const fn of listeners) fn(l);
}

export async function initLang() {
  await load('zh');
  let l = new URLSearchParams(location.search).get('lang');
  if (!l) { try { l = localStorage.getItem('citytwin.lang'); } catch { l = null; } }
  await setLang(l || 'zh');
}

export function toggleLang() { return setLang(lang === 'zh' ? 'en' : 'zh'); }
