// web/js/cesium-base.js: must run before /vendor/cesium/Cesium.js, which
// reads it to find its workers and assets on this server (no CDN, no ion).
window.CESIUM_BASE_URL = '/vendor/cesium/';
