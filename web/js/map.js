// web/js/map.js: the CesiumJS view, offline. A bare CesiumWidget (no
// Viewer widgets: no geocoder, base-layer picker, timeline, ion), the
// ellipsoid as terrain, the server's own dark base map as the only imagery,
// render on demand (requestRenderMode: a still wall costs no GPU), no sky,
// atmosphere, fog, sun or moon, and a fixed clock.
/* global Cesium */

let widget = null;

export function viewer() { return widget; }
export function requestRender() { widget?.scene.requestRender(); }

export async function createMap(container, cfg, creditContainer) {
  const C = Cesium;
  const fixedTime = C.JulianDate.fromIso8601('2026-06-01T04:00:00Z'); // noon in Luoyang
  widget = new C.CesiumWidget(container, {
    baseLayer: false,
    terrainProvider: new C.EllipsoidTerrainProvider(),
    requestRenderMode: true,
    maximumRenderTimeChange: Infinity,
    scene3DOnly: true,
    skyBox: false,
    skyAtmosphere: false,
    shadows: false,
    msaaSamples: 1,
    creditContainer,
    clock: new C.Clock({ startTime: fixedTime, currentTime: fixedTime, shouldAnimate: false }),
    contextOptions: { webgl: { preserveDrawingBuffer: true, alpha: false } },
  });
  const scene = widget.scene;
  const bg = C.Color.fromCssColorString(cfg.style.background);
  scene.backgroundColor = bg;
  scene.globe.baseColor = bg;
  scene.globe.showGroundAtmosphere = false;
  scene.globe.enableLighting = false;
  scene.globe.depthTestAgainstTerrain = false;
  scene.globe.maximumScreenSpaceError = 2;
  scene.fog.enabled = false;
  if (scene.sun) scene.sun.show = false;
  if (scene.moon) scene.moon.show = false;
  scene.highDynamicRange = false;
  scene.postProcessStages.fxaa.enabled = false;
  scene.screenSpaceCameraController.minimumZoomDistance = 50;
  scene.screenSpaceCameraController.maximumZoomDistance = 400000;

  await addBasemap(cfg);
  return widget;
}

// The offline XYZ base map (docs/BASEMAP.md); absent -> the plain globe.
async function addBasemap(cfg) {
  const C = Cesium;
  let meta;
  try {
    const r = await fetch('/basemap/metadata.json');
    if (!r.ok) throw new Error(`status ${r.status}`);
    meta = await r.json();
  } catch (e) {
    console.warn('map: no base map (/basemap/metadata.json):', e.message);
    return;
  }
  const [w, s, e, n] = meta.bounds;
  if (meta.background) {
    const bg = C.Color.fromCssColorString(meta.background);
    widget.scene.globe.baseColor = bg;
    widget.scene.backgroundColor = bg;
  }
  const provider = new C.UrlTemplateImageryProvider({
    url: '/basemap/{z}/{x}/{y}.png',
    minimumLevel: meta.min_zoom,
    maximumLevel: meta.max_zoom,
    rectangle: C.Rectangle.fromDegrees(w, s, e, n),
    tileWidth: meta.tile_size ?? 256,
    tileHeight: meta.tile_size ?? 256,
  });
  widget.imageryLayers.addImageryProvider(provider);
}

// A tilted view of a lon/lat box, from the south.
export function viewBox(bbox, { fly = true, duration = 2.5, pitchDeg = -38 } = {}) {
  const C = Cesium;
  const [w, s, e, n] = bbox;
  const lon = (w + e) / 2, lat = (s + n) / 2;
  const spanM = Math.max((e - w) * 111320 * Math.cos(lat * Math.PI / 180), (n - s) * 110540, 800);
  const range = spanM * 0.72;
  const target = C.Cartesian3.fromDegrees(lon, lat, 0);
  const offset = new C.HeadingPitchRange(0, C.Math.toRadians(pitchDeg), range);
  const cam = widget.camera;
  if (!fly) {
    cam.lookAt(target, offset);
    cam.lookAtTransform(C.Matrix4.IDENTITY);
    requestRender();
    return;
  }
  cam.flyToBoundingSphere(new C.BoundingSphere(target, range * 0.5), {
    offset, duration, complete: requestRender,
  });
}

// Screen position -> {lon, lat} on the ellipsoid, or null.
export function pickLonLat(pos) {
  const C = Cesium;
  const cart = widget.camera.pickEllipsoid(pos, widget.scene.globe.ellipsoid);
  if (!cart) return null;
  const c = C.Cartographic.fromCartesian(cart);
  return { lon: C.Math.toDegrees(c.longitude), lat: C.Math.toDegrees(c.latitude) };
}

export function onClick(fn) {
  const h = new Cesium.ScreenSpaceEventHandler(widget.scene.canvas);
  h.setInputAction((ev) => fn(ev.position, widget.scene.pick(ev.position)),
    Cesium.ScreenSpaceEventType.LEFT_CLICK);
}
