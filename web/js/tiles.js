// web/js/tiles.js: the 3D Tiles buildings (/tiles/tileset.json, 3D Tiles 1.1
// with EXT_structural_metadata: id, name, kind, height, levels, district).
// Coloured by height band; a building with a live state (topic buildings,
// e.g. {"state": "fire"}) is restyled by its feature id through the style's
// conditions, without reloading any tile.
/* global Cesium */
import * as state from './state.js';
import { requestRender } from './map.js';

let tileset = null;
let cfgStyle = null;
let selectedId = null;
const SELECT_COLOUR = '#ffffff';
const MAX_CONDITIONS = 500;

export function getTileset() { return tileset; }

export async function addTiles(widget, cfg) {
  cfgStyle = cfg.style;
  try {
    tileset = await Cesium.Cesium3DTileset.fromUrl('/tiles/tileset.json', {
      // Cesium draws nothing of a tileset whose top-level geometric error
      // looks smaller than this from the camera: the default city's (228 m)
      // does from the wall's whole-city view at 1080p (~14 px at 15 km), so
      // 16 (Cesium's default) left that wall without buildings.
      maximumScreenSpaceError: 8,
      dynamicScreenSpaceError: true,
      skipLevelOfDetail: false,
    });
  } catch (e) {
    console.warn('tiles: no 3D tiles (/tiles/tileset.json):', e.message ?? e);
    return null;
  }
  widget.scene.primitives.add(tileset);
  restyle();
  // one new style per animation frame at most, however many building deltas
  let queued = false;
  state.onChange((topic) => {
    if (topic !== 'buildings' || queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; restyle(); });
  });
  tileset.loadProgress.addEventListener((pending, processing) => {
    if (pending + processing > 0) document.body.dataset.tilesLoaded = '0';
  });
  // the first frame that draws a building (the load benchmark reads it)
  const firstFrame = () => {
    performance.mark('citytwin:buildings-frame');
    tileset.tileVisible.removeEventListener(firstFrame);
  };
  tileset.tileVisible.addEventListener(firstFrame);
  tileset.allTilesLoaded.addEventListener(() => {
    document.body.dataset.tilesLoaded = '1';
    requestRender();
  });
  return tileset;
}

const q = (s) => `'${String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const colourExpr = (css) => `color(${q(css)})`;

function restyle() {
  if (!tileset) return;
  const conditions = [];
  if (selectedId) conditions.push([`\${id} === ${q(selectedId)}`, colourExpr(SELECT_COLOUR)]);
  const states = cfgStyle.building_states;
  for (const [id, s] of state.get('buildings') ?? []) {
    const c = states[s.state];
    if (!c || conditions.length >= MAX_CONDITIONS) continue;
    conditions.push([`\${id} === ${q(id)}`, colourExpr(c)]);
  }
  const bands = [...cfgStyle.buildings_by_height].sort((a, b) => b[0] - a[0]);
  for (const [h, c] of bands) conditions.push([`Number(\${height}) >= ${Number(h)}`, colourExpr(c)]);
  conditions.push(['true', colourExpr(bands[bands.length - 1]?.[1] ?? '#27507f')]);
  tileset.style = new Cesium.Cesium3DTileStyle({ color: { conditions } });
  requestRender();
}

export function select(id) { selectedId = id; restyle(); }

// The properties of a picked feature, or null when it is not a building.
export function featureInfo(picked) {
  if (!(picked instanceof Cesium.Cesium3DTileFeature)) return null;
  const out = {};
  for (const k of ['id', 'name', 'kind', 'height', 'levels', 'district', 'source']) {
    try { out[k] = picked.getProperty(k); } catch { /* absent */ }
  }
  return out;
}
