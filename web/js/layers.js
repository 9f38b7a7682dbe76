// web/js/layers.js: the vector layers over the 3D city, from the REST
// layer items (docs/API.md) and restyled from live state: roads by their
// segment's traffic level, car parks by occupancy, water stations by their
// level against warning, incidents as large markers, district outlines.
// Primitive collections (not entities): thousands of items stay cheap.
/* global Cesium */
import * as state from './state.js';
import { config, levelOf, levelColour } from './config.js';
import { requestRender } from './map.js';
import { nameOf, onLang, t } from './i18n.js';

const MAX_ITEMS = 60000;
const layers = {};            // name -> {collection(s), byId, visible}
let widget = null;
let districts = [];           // [{id, name, name_en, bbox, rings}]
const names = new Map();      // item id -> {name, name_en} of the point layers

// The display name of a car park or water station (live states carry none).
export function itemName(id) { return names.has(id) ? nameOf(names.get(id)) : null; }

export function districtList() { return districts; }
export function layerNames() { return ['roads', 'car_parks', 'water_stations', 'incidents', 'districts']; }

// Every page of a layer's items (GeoJSON), within bbox when given.
async function fetchItems(layer, bbox) {
  const feats = [];
  let offset = 0;
  for (let page = 0; page < 50 && feats.length < MAX_ITEMS; page++) {
    const qs = new URLSearchParams({ limit: '10000', offset: String(offset) });
    if (bbox) qs.set('bbox', bbox.map((v) => v.toFixed(6)).join(','));
    const r = await fetch(`/api/v1/layers/${layer}/items?${qs}`);
    if (!r.ok) throw new Error(`/api/v1/layers/${layer}/items answered ${r.status}`);
    const fc = await r.json();
    feats.push(...fc.features);
    offset += fc.numberReturned ?? fc.features.length;
    if (!fc.links?.some((l) => l.rel === 'next')) break;
  }
  return feats;
}

const C = () => Cesium;
// Marker and label sizes follow the wall like the panels do: the root font
// size is 15 px at 1920x1080 and 30 px on a 4K wall (css/wall.css).
const px = (n) => Math.round(n * (parseFloat(getComputedStyle(document.documentElement).fontSize) || 15) / 15);
const colour = (css, a = 1) => C().Color.fromCssColorString(css).withAlpha(a);

function linesOf(geom) {
  if (!geom) return [];
  if (geom.type === 'LineString') return [geom.coordinates];
  if (geom.type === 'MultiLineString') return geom.coordinates;
  if (geom.type === 'Polygon') return geom.coordinates;
  if (geom.type === 'MultiPolygon') return geom.coordinates.flat();
  return [];
}

function roadColour(id) {
  const s = state.entity('traffic', id);
  const rl = config().style.road_levels;
  if (!s) return colour(rl.none, 0.35);
  const lv = s.level ?? null;
  if (lv && rl[lv]) return colour(rl[lv], s.stale ? 0.45 : 0.95);
  return colour(rl.none, 0.35);
}

function parkColour(id) {
  const s = state.entity('parking', id);
  if (!s || s.occupancy === undefined) return colour('#5b6b82', 0.5);
  const lv = levelOf('parking_occupancy', s.occupancy);
  return colour(lv === 'none' ? '#34c759' : levelColour(lv));
}

function waterColour(id) {
  const s = state.entity('water', id);
  if (!s) return colour('#5b6b82', 0.5);
  if (s.state === 'above_guarantee') return colour(levelColour('red'));
  if (s.state === 'above_warning') return colour(levelColour('orange'));
  if (s.warning_ratio !== undefined) {
    const lv = levelOf('warning_ratio', s.warning_ratio);
    if (lv !== 'none' && lv !== 'unknown') return colour(levelColour(lv));
  }
  return colour('#4fc3f7');
}

// Roads: one Primitive of polyline instances with a per-instance colour
// (one draw call, colours in a batch table): recolouring a segment writes
// 4 bytes, not a material per polyline (a PolylineCollection with 22,000
// materials costs 22,000 draw commands a frame). Geometry is loaded once.
async function loadRoads(bbox) {
  const feats = await fetchItems('roads', bbox);
  const instances = [];
  const byId = new Map();       // road id -> [instance id objects]
  for (const f of feats) {
    const major = /primary|trunk|motorway|arterial|主干|快速/.test(`${f.properties.kind ?? ''} ${f.properties.class ?? ''}`);
    for (const line of linesOf(f.geometry)) {
      if (line.length < 2) continue;
      const ref = { layer: 'roads', id: f.id };
      instances.push(new (C().GeometryInstance)({
        geometry: new (C().PolylineGeometry)({
          positions: C().Cartesian3.fromDegreesArrayHeights(line.flatMap(([x, y]) => [x, y, 1])),
          width: px(major ? 2.5 : 1.5),
          vertexFormat: C().PolylineColorAppearance.VERTEX_FORMAT,
          arcType: C().ArcType.NONE,
        }),
        id: ref,
        attributes: { color: C().ColorGeometryInstanceAttribute.fromColor(roadColour(f.id)) },
      }));
      if (!byId.has(f.id)) byId.set(f.id, []);
      byId.get(f.id).push(ref);
    }
  }
  layers.roads = { prims: [], byId, attrs: new Map(), colours: new Map(), ready: false };
  if (!instances.length) return;         // an empty primitive never becomes ready
  const prim = new (C().Primitive)({
    geometryInstances: instances,
    appearance: new (C().PolylineColorAppearance)({ translucent: true }),
    asynchronous: true,
  });
  widget.scene.primitives.add(prim);
  layers.roads.prims.push(prim);
  if (layers.roads.visible === false) prim.show = false;
  await untilReady(prim);
  // cache each instance's attribute setter once, in creation order (cheap)
  for (const [id, refs] of byId) layers.roads.attrs.set(id, refs.map((r) => prim.getGeometryInstanceAttributes(r)));
  layers.roads.ready = true;
  markDirty('roads', null);
  state.onChange((topic, ids) => { if (topic === 'traffic') markDirty('roads', ids); });
}

// An asynchronous primitive is built by workers over several frames; in
// requestRenderMode nothing renders unless asked, so ask until it is ready.
function untilReady(prim) {
  return new Promise((resolve, reject) => {
    let n = 0;
    const iv = setInterval(() => {
      if (prim.ready) { clearInterval(iv); requestRender(); resolve(); return; }
      if (++n > 1200) { clearInterval(iv); reject(new Error('the road primitive did not become ready in 2 min')); return; }
      requestRender();
    }, 100);
  });
}

// ---- batched restyling ----------------------------------------------------
// Deltas only mark entities dirty; colours are written once per animation
// frame, whatever the message rate, and only for the entities that changed
// (a snapshot marks the whole layer).
const dirty = new Map();      // layer -> Set of ids | 'all'
let flushQueued = false;

function markDirty(layer, ids) {
  const cur = dirty.get(layer);
  if (ids === null || cur === 'all') dirty.set(layer, 'all');
  else {
    const set = cur ?? new Set();
    for (const id of ids) set.add(id);
    dirty.set(layer, set);
  }
  if (!flushQueued) { flushQueued = true; requestAnimationFrame(flush); }
}

const RESTYLE = {
  roads: (l, id) => {
    const c = roadColour(id);
    l.colours.set(id, c.toCssColorString());
    for (const a of l.attrs.get(id) ?? []) a.color = C().ColorGeometryInstanceAttribute.toValue(c, a.color);
  },
  car_parks: (l, id) => { const p = l.byId.get(id); if (p) p.color = parkColour(id); },
  water_stations: (l, id) => { const p = l.byId.get(id); if (p) p.color = waterColour(id); },
};

function flush() {
  flushQueued = false;
  let any = false;
  for (const [name, ids] of dirty) {
    const l = layers[name];
    if (name === 'incidents') { drawIncidents?.(); any = true; continue; }
    if (!l || (name === 'roads' && !l.ready)) continue;
    const fn = RESTYLE[name];
    for (const id of ids === 'all' ? l.byId.keys() : ids) fn(l, id);
    any = true;
  }
  dirty.clear();
  if (any) requestRender();
}

// The colour an item is drawn in now (CSS), for the details and for tests.
export function colourOf(layer, id) {
  const l = layers[layer];
  if (!l) return null;
  if (layer === 'roads') return l.colours.get(id) ?? null;
  return l.byId.get(id)?.color?.toCssColorString() ?? null;
}

// Where an item is on the screen now ({x, y} CSS pixels of the map canvas), or null.
export function windowPos(layer, id) {
  const p = layers[layer]?.byId.get(id);
  if (!p?.position) return null;
  const w = C().SceneTransforms.worldToWindowCoordinates(widget.scene, p.position);
  return w ? { x: w.x, y: w.y } : null;
}

async function loadPoints(layer, topic, colourFn, size) {
  // colourFn: the initial colour; later changes go through RESTYLE[layer]
  const feats = await fetchItems(layer);
  const coll = new (C().PointPrimitiveCollection)();
  const byId = new Map();
  for (const f of feats) {
    if (f.geometry?.type !== 'Point') continue;
    const [x, y] = f.geometry.coordinates;
    if (f.properties.name || f.properties.name_en) names.set(f.id, { name: f.properties.name, name_en: f.properties.name_en });
    byId.set(f.id, coll.add({
      position: C().Cartesian3.fromDegrees(x, y, 2),
      pixelSize: px(size),
      color: colourFn(f.id),
      outlineColor: colour('#08111f'),
      outlineWidth: 1,
      // water stations (tens) stay visible behind buildings; car parks
      // (thousands) do not clutter the view through them
      disableDepthTestDistance: layer === 'water_stations' ? Number.POSITIVE_INFINITY : 0,
      id: { layer, id: f.id },
    }));
  }
  widget.scene.primitives.add(coll);
  layers[layer] = { prims: [coll], byId, size };
  state.onChange((tp, ids) => { if (tp === topic) markDirty(layer, ids); });
}

// Incidents come from live state only: rebuilt (once a frame at most) on
// every change; there are tens, not thousands.
let drawIncidents = null;
function setupIncidents() {
  const pts = new (C().PointPrimitiveCollection)();
  const labels = new (C().LabelCollection)();
  widget.scene.primitives.add(pts);
  widget.scene.primitives.add(labels);
  layers.incidents = { prims: [pts, labels], byId: new Map() };
  const draw = () => {
    pts.removeAll(); labels.removeAll();
    for (const [id, x] of state.get('incidents') ?? []) {
      if (x.open === false || !Number.isFinite(x.lon) || !Number.isFinite(x.lat)) continue;
      const pos = C().Cartesian3.fromDegrees(x.lon, x.lat, 30);
      const c = x.kind === 'flood' ? '#2f8cff' : x.kind === 'accident' ? '#ff9500' : '#ff3b30';
      pts.add({ position: pos, pixelSize: px(26), color: colour(c, 0.35), outlineColor: colour(c), outlineWidth: px(4),
        disableDepthTestDistance: Number.POSITIVE_INFINITY, id: { layer: 'incidents', id } });
      pts.add({ position: pos, pixelSize: px(9), color: colour('#ffffff'),
        disableDepthTestDistance: Number.POSITIVE_INFINITY, id: { layer: 'incidents', id } });
      labels.add({ position: pos, text: `${t(`kind.${x.kind}`)} · ${t(`istate.${x.state}`)}`,
        font: `600 ${px(18)}px sans-serif`, fillColor: colour('#ffffff'), outlineColor: colour('#000000'),
        outlineWidth: 3, style: C().LabelStyle.FILL_AND_OUTLINE,
        pixelOffset: new (C().Cartesian2)(0, -px(30)), disableDepthTestDistance: Number.POSITIVE_INFINITY });
    }
    for (const p of layers.incidents.prims) p.show = layers.incidents.visible !== false;
    requestRender();
  };
  drawIncidents = draw;
  state.onChange((topic) => { if (topic === 'incidents') markDirty('incidents', null); });
  onLang(draw);
  draw();
}

async function loadDistricts() {
  const feats = await fetchItems('districts');
  districts = [];
  const coll = new (C().PolylineCollection)();
  const labels = new (C().LabelCollection)();
  for (const f of feats) {
    if (f.properties.level === 'prefecture') continue;
    const rings = linesOf(f.geometry);
    let w = 180, s = 90, e = -180, n = -90;
    for (const r of rings) {
      for (const [x, y] of r) { w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y); }
      coll.add({ positions: C().Cartesian3.fromDegreesArray(r.flat()), width: 2,
        material: C().Material.fromType('Color', { color: colour('#7fd1ff', 0.55) }) });
    }
    const d = { id: f.id, name: f.properties.name, name_en: f.properties.name_en, bbox: [w, s, e, n], rings };
    districts.push(d);
    d.label = labels.add({ position: C().Cartesian3.fromDegrees((w + e) / 2, (s + n) / 2, 50), text: nameOf(d),
      font: `500 ${px(20)}px sans-serif`, fillColor: colour('#9fc6ea', 0.9), outlineColor: colour('#000000'),
      outlineWidth: 3, style: C().LabelStyle.FILL_AND_OUTLINE,
      distanceDisplayCondition: new (C().DistanceDisplayCondition)(8000, 600000) });
  }
  widget.scene.primitives.add(coll);
  widget.scene.primitives.add(labels);
  layers.districts = { prims: [coll, labels], byId: new Map() };
  onLang(() => { for (const d of districts) d.label.text = nameOf(d); requestRender(); });
}

// bbox: the area whose roads are drawn (the built city).
export async function addLayers(w, bbox) {
  widget = w;
  setupIncidents();
  const jobs = [
    ['districts', loadDistricts()],
    ['roads', loadRoads(bbox)],
    ['car_parks', loadPoints('car_parks', 'parking', parkColour, 6)],
    ['water_stations', loadPoints('water_stations', 'water', waterColour, 7)],
  ];
  for (const [name, p] of jobs) {
    try { await p; } catch (e) { console.warn(`layers: ${name} not shown:`, e.message); }
  }
  requestRender();
}

// The wall changed size: markers and labels follow (road widths are fixed
// in their geometry at load).
export function rescale() {
  for (const name of ['car_parks', 'water_stations']) {
    const l = layers[name];
    if (l) for (const p of l.byId.values()) p.pixelSize = px(l.size);
  }
  for (const d of districts) if (d.label) d.label.font = `500 ${px(20)}px sans-serif`;
  drawIncidents?.();
}

export function setVisible(name, on) {
  const l = layers[name];
  if (!l) return;
  l.visible = on;
  for (const p of l.prims) p.show = on;
  requestRender();
}

export function isVisible(name) { return layers[name]?.visible !== false; }

// Point in polygon (even-odd over every ring): the district at lon/lat.
export function districtAt(lon, lat) {
  for (const d of districts) {
    const [w, s, e, n] = d.bbox;
    if (lon < w || lon > e || lat < s || lat > n) continue;
    let inside = false;
    for (const r of d.rings) {
      for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
        const [xi, yi] = r[i], [xj, yj] = r[j];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    if (inside) return d;
  }
  return null;
}
