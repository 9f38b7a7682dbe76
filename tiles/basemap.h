/* tiles/basemap.h: the offline base map, an XYZ pyramid of PNG tiles.
 * Renders districts, water, green areas, rail and roads (and buildings at
 * high zooms) from the SpatiaLite store with GDAL into Web Mercator tiles
 * out_dir/{z}/{x}/{y}.png (y from the north, as Cesium's
 * UrlTemplateImageryProvider with WebMercatorTilingScheme expects), dark
 * themed by the style file data/style/basemap.json; see docs/BASEMAP.md. */
#ifndef TILES_BASEMAP_H
#define TILES_BASEMAP_H

#include "core/ct_error.h"

#define BASEMAP_DEFAULT_STYLE "data/style/basemap.json"

typedef struct basemap_opts {
    int min_zoom;            /* first zoom level rendered (default 8) */
    int max_zoom;            /* last zoom level rendered (default 15) */
    int jobs;                /* render threads; <= 0 means all cores */
    const char *style_path;  /* style JSON; NULL = BASEMAP_DEFAULT_STYLE */
    int tile_size;           /* 256 (default) or 512 pixels */
    int quiet;               /* 1: no progress output */
} basemap_opts;

/* Summary of a render, filled when basemap_render_stats is given one. */
typedef struct basemap_stats {
    long tiles_written;      /* PNG files written */
    long tiles_solid;        /* of which flat colour (links to _solid/) */
    long tiles_derived;      /* of which under a flat parent: not queried */
    double seconds;          /* wall time of the render */
} basemap_stats;

/* Fill o with the defaults above. */
void basemap_opts_default(basemap_opts *o);

/* Render every tile of min_zoom..max_zoom that meets the data's bbox from
 * the store at store_path into out_dir (created when missing), then write
 * out_dir/metadata.json and out_dir/attribution.json. */
int basemap_render(const char *store_path, const char *out_dir,
                   const basemap_opts *opts, ct_err *err);

/* As basemap_render, also returning counts (stats may be NULL). */
int basemap_render_stats(const char *store_path, const char *out_dir,
                         const basemap_opts *opts, basemap_stats *stats,
                         ct_err *err);

#endif
