// web/js/rescue-draw.js: what the rescue map draws over the 3D city (the
// view itself is map.js, the buildings tiles.js): the incident marker, its
// building's outline, the candidate routes (recommended first and
// brightest), stations, hydrants and other resources as points, and the
// 5-minute coverage: the roads no station reaches in time (lines), the
// area the recommended station reaches and the area no station reaches
// (translucent polygons, one Primitive per area). Primitive collections,
// as layers.js does.
/* global Cesium */
import { requestRender } from './map.js';

const COL = {
  incident: '#ff3b30', best: '#00e5ff', alt: '#8fa3bf', station: '#ff9500', hydrant: '#2f8cff',
  hospital: '#34c759', police: '#b388ff', water: '#4fc3f7', uncovered: '#ff3b30', building: '#ff3b30',
};
let scene = null;
let routes, points, labels, outline, coverage, areaLayer;
let drawnRoutes = [], drawnBuilding = null;   // what is drawn, for summary()
const areas = {};             // name -> {prim, polygons, ready}
const colour = (css, a = 1) => Cesium.Color.fromCssColorString(css).withAlpha(a);
const LIFT = 4;   // metres above the ellipsoid: lines stay above the base map

export function initDraw(widget) {
  const C = Cesium;
  scene = widget.scene;
  areaLayer = scene.primitives.add(new C.PrimitiveCollection());   // under everything else
  coverage = scene.primitives.add(new C.PolylineCollection());
  routes = scene.primitives.add(new C.PolylineCollection());
  outline = scene.primitives.add(new C.PolylineCollection());
  points = scene.primitives.add(new C.PointPrimitiveCollection());
  labels = scene.primitives.add(new C.LabelCollection());
}

const pos = (lon, lat, h = LIFT) => Cesium.Cartesian3.fromDegrees(lon, lat, h);
const line = (coords, h = LIFT) => coords.map(([lon, lat]) => pos(lon, lat, h));

function label(p, text, css, size = 20, dy = -26) {
  labels.add({ position: p, text, font: `600 ${size}px "Noto Sans CJK SC", sans-serif`,
    fillColor: colour('#ffffff'), outlineColor: colour('#000000'), outlineWidth: 4,
    style: Cesium.LabelStyle.FILL_AND_OUTLINE, showBackground: true, backgroundColor: colour(css, 0.55),
    pixelOffset: new Cesium.Cartesian2(0, dy), disableDepthTestDistance: Number.POSITIVE_INFINITY });
}

function point(p, css, size, id) {
  points.add({ position: p, pixelSize: size, color: colour(css, 0.9), outlineColor: colour('#ffffff'),
    outlineWidth: 2, disableDepthTestDistance: Number.POSITIVE_INFINITY, id });
}

export function drawIncident(lon, lat, text) {
  const p = pos(lon, lat, 35);
  points.add({ position: p, pixelSize: 34, color: colour(COL.incident, 0.3), outlineColor: colour(COL.incident),
    outlineWidth: 5, disableDepthTestDistance: Number.POSITIVE_INFINITY, id: { rescue: 'incident' } });
  points.add({ position: p, pixelSize: 10, color: colour('#ffffff'), disableDepthTestDistance: Number.POSITIVE_INFINITY });
  label(p, text, COL.incident, 24, -36);
  requestRender();
}

// candidates: the plan's, smallest ETA first; the recommended one on top.
export function drawRoutes(candidates, etaText) {
  routes.removeAll();
  drawnRoutes = [];
  const sorted = [...candidates].sort((a, b) => Number(a.recommended) - Number(b.recommended));
  for (const c of sorted) {
    const coords = c.route?.coordinates;
    if (coords?.length >= 2) {
      const best = c.recommended;
      if (best) routes.add({ positions: line(coords, LIFT - 1), width: 14, material: Cesium.Material.fromType('Color', { color: colour(COL.best, 0.25) }) });
      routes.add({ positions: line(coords), width: best ? 7 : 4,
        material: Cesium.Material.fromType('Color', { color: colour(best ? COL.best : COL.alt, best ? 1 : 0.8) }) });
      drawnRoutes.push({ id: c.id, rank: c.rank, recommended: Boolean(best), width: best ? 7 : 4, points: coords.length });
    }
    const p = pos(c.lon, c.lat, 20);
    point(p, COL.station, c.recommended ? 22 : 16, { rescue: 'station', id: c.id });
    label(p, `${c.rank}. ${etaText(c)}`, c.recommended ? '#0a7d8c' : '#4a3410', c.recommended ? 22 : 17);
  }
  requestRender();
}

// layers: {hydrants: [...], hospitals: [...], police: [...], water_stations: [...]}
export function drawResources(layers) {
  const kinds = { hydrants: [COL.hydrant, 8], hospitals: [COL.hospital, 15], police: [COL.police, 15],
    water_stations: [COL.water, 12], water_sources: [COL.water, 16] };
  for (const [layer, [css, size]] of Object.entries(kinds)) {
    for (const it of layers?.[layer] ?? []) point(pos(it.lon, it.lat, 10), css, size, { rescue: layer, id: it.id });
  }
  requestRender();
}

// The incident's building: its footprint at the ground and at its height,
// joined at the corners, in red (the tiles show it selected as well).
export function drawBuilding(geom, height, id = null) {
  outline.removeAll();
  drawnBuilding = id;
  const rings = geom?.type === 'Polygon' ? [geom.coordinates[0]]
    : geom?.type === 'MultiPolygon' ? geom.coordinates.map((p) => p[0]) : [];
  const h = Math.max(3, Number(height) || 10) + 1;
  const mat = Cesium.Material.fromType('Color', { color: colour(COL.building) });
  for (const ring of rings) {
    outline.add({ positions: line(ring, 1.5), width: 4, material: mat });
    outline.add({ positions: line(ring, h), width: 4, material: mat });
    for (const [lon, lat] of ring.slice(0, 64)) outline.add({ positions: [pos(lon, lat, 1.5), pos(lon, lat, h)], width: 3, material: mat });
  }
  requestRender();
}

export function drawCoverage(multi) {
  coverage.removeAll();
  const mat = Cesium.Material.fromType('Color', { color: colour(COL.uncovered, 0.9) });
  for (const ls of multi?.coordinates ?? []) {
    if (ls.length >= 2) coverage.add({ positions: line(ls, LIFT - 2), width: 3, material: mat });
  }
  requestRender();
}

// An area (GeoJSON Polygon or MultiPolygon, holes kept) as one Primitive
// of polygon instances just above the ground, flat and translucent: one
// draw call however many polygons. Built by Cesium's workers; in
// requestRenderMode nothing renders unless asked, so ask until ready.
const AREA = { station: [COL.best, 0.18], uncovered: [COL.uncovered, 0.35] };   // colour, opacity
export function drawArea(name, geom) {
  clearArea(name);
  const [css, alpha] = AREA[name];
  const C = Cesium;
  const polys = geom?.type === 'MultiPolygon' ? geom.coordinates : geom?.type === 'Polygon' ? [geom.coordinates] : [];
  const ring = (r) => C.Cartesian3.fromDegreesArray(r.flatMap(([lon, lat]) => [lon, lat]));
  const color = C.ColorGeometryInstanceAttribute.fromColor(colour(css, alpha));
  const instances = [];
  for (const rings of polys) {
    if (!(rings?.[0]?.length >= 4)) continue;
    const hierarchy = new C.PolygonHierarchy(ring(rings[0]),
      rings.slice(1).filter((r) => r.length >= 4).map((r) => new C.PolygonHierarchy(ring(r))));
    instances.push(new C.GeometryInstance({
      geometry: new C.PolygonGeometry({ polygonHierarchy: hierarchy, height: 0.5,
        vertexFormat: C.PerInstanceColorAppearance.FLAT_VERTEX_FORMAT }),
      attributes: { color } }));
  }
  const a = { prim: null, polygons: instances.length, ready: instances.length === 0 };
  areas[name] = a;
  if (!instances.length) { requestRender(); return; }   // an empty primitive never becomes ready
  a.prim = areaLayer.add(new C.Primitive({ geometryInstances: instances,
    appearance: new C.PerInstanceColorAppearance({ flat: true, translucent: true }), asynchronous: true }));
  let n = 0;
  const iv = setInterval(() => {
    requestRender();
    if (a.prim?.ready || areas[name] !== a || ++n > 1200) {
      clearInterval(iv);
      if (a.prim?.ready) { a.ready = true; requestRender(); }
    }
  }, 100);
}

function clearArea(name) {
  const a = areas[name];
  if (a?.prim) areaLayer.remove(a.prim);   // destroys it
  delete areas[name];
}

export function clearCoverage() {
  coverage?.removeAll();
  for (const name of Object.keys(areas)) clearArea(name);
  requestRender();
}

// What is drawn, for tests and the console: the routes in drawing order
// (the recommended one last, on top), the highlighted building and the
// number of lines of its outline and of the coverage gaps, and per area
// its number of polygons and whether it is on the screen yet.
export function summary() {
  return { routes: drawnRoutes.map((r) => ({ ...r })), building: drawnBuilding,
    outline: outline?.length ?? 0, coverage: coverage?.length ?? 0,
    areas: Object.fromEntries(Object.entries(areas).map(([k, a]) => [k, { polygons: a.polygons, ready: a.ready }])) };
}

// Look at the incident from the south, far enough to see every route's
// start: the incident stays in the middle of the view.
export function focus(widget, lon, lat, candidates) {
  const C = Cesium;
  const centre = C.Cartesian3.fromDegrees(lon, lat, 0);
  let far = 600;
  for (const c of candidates ?? []) far = Math.max(far, C.Cartesian3.distance(centre, C.Cartesian3.fromDegrees(c.lon, c.lat, 0)));
  const range = Math.min(far * 1.2, 30000);
  widget.camera.lookAt(centre, new C.HeadingPitchRange(0, C.Math.toRadians(-52), range));
  widget.camera.lookAtTransform(C.Matrix4.IDENTITY);
  requestRender();
}
