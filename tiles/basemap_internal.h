/* tiles/basemap_internal.h: what the base map's own files share
 * (style, coverage rasterizer, tile renderer, metadata). Not for other
 * modules: they use tiles/basemap.h. */
#ifndef TILES_BASEMAP_INTERNAL_H
#define TILES_BASEMAP_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/ct_error.h"
#include "tiles/basemap.h"

/* ---- style (basemap_style.c) ---------------------------------------- */

#define BM_MAX_STOPS 8
#define BM_MAX_PALETTE 8
#define BM_MAX_FILTER_VALUES 16

typedef struct bm_rgb {
    uint8_t r, g, b;
} bm_rgb;

typedef enum bm_kind { BM_FILL, BM_LINE } bm_kind;

/* A value that depends on the zoom: linear between (zoom, value) stops. */
typedef struct bm_stops {
    int n;
    double z[BM_MAX_STOPS], v[BM_MAX_STOPS];
} bm_stops;

/* One drawing rule: a layer of the store, optionally filtered on one
 * column, painted as a fill or as a stroke of the given width. */
typedef struct bm_rule {
    char id[48];
    char layer[48];             /* table in spatial/layers.h */
    bm_kind kind;
    int n_palette;              /* 1: one colour; more: by fid */
    bm_rgb palette[BM_MAX_PALETTE];
    bm_stops opacity;           /* 0..1 */
    bm_stops width;             /* line width in px at 256 px tiles */
    int slow_width;             /* width at most doubles per zoom level */
    int min_zoom, max_zoom;
    char filter_column[32];     /* "" when unfiltered */
    int filter_not;             /* 1: NOT IN (or NULL) */
    int n_values;
    char values[BM_MAX_FILTER_VALUES][32];
    char sql[512];              /* the prepared R*Tree query */
} bm_rule;

typedef struct bm_style {
    char path[256];
    bm_rgb background;
    int n_rules;
    bm_rule *rules;
} bm_style;

/* Load and check the style file; errors name the file and the key. */
int bm_style_load(const char *path, bm_style *s, ct_err *err);
void bm_style_free(bm_style *s);
double bm_stops_eval(const bm_stops *s, double zoom);

/* ---- coverage rasterizer (basemap_raster.c) -------------------------- */

/* An RGB canvas and a coverage accumulator of the same size: shapes are
 * accumulated as exact signed areas per pixel (anti-aliased without
 * supersampling), then composited over the canvas in one colour. */
typedef struct bm_canvas {
    int w, h;
    uint8_t *rgb;       /* w*h*3 */
    float *acc;         /* (w+2)*h signed area deltas */
    int dirty_y0, dirty_y1;
} bm_canvas;

int bm_canvas_init(bm_canvas *c, int w, int h);
void bm_canvas_free(bm_canvas *c);
void bm_canvas_clear(bm_canvas *c, bm_rgb bg);
/* Accumulate a closed ring (n points, x/y interleaved, pixel units);
 * reverse=1 walks it backwards (to give holes the opposite winding). */
void bm_ring(bm_canvas *c, const double *xy, int n, int reverse);
/* Accumulate a polyline stroked to width px (round joins). */
void bm_stroke(bm_canvas *c, const double *xy, int n, double width);
/* What a composite covered: nothing, every pixel fully, or some. */
enum { BM_COVER_NONE = 0, BM_COVER_FULL = 1, BM_COVER_PART = 2 };
/* Blend colour over the canvas by the accumulated coverage times opacity,
 * then reset the accumulator; returns a BM_COVER_* value. */
int bm_composite(bm_canvas *c, bm_rgb col, double opacity);
/* The one blend of a pixel, shared by bm_composite and flat tiles. */
static inline uint8_t bm_blend(uint8_t dst, uint8_t src, float cov)
{
    return (uint8_t)(dst + (src - dst) * cov + 0.5f);
}
/* 1 when every pixel equals the first one. */
int bm_canvas_uniform(const bm_canvas *c);
double bm_ring_area(const double *xy, int n);

/* ---- tile rendering (basemap_tile.c) --------------------------------- */

#define BM_MAX_FLAT 16

/* A tile is "flat" when every rule that may draw at its zoom or deeper
 * either misses it or fills all of it: then it, and every tile under it,
 * is one colour, found by blending these fills over the background. */
typedef struct bm_flat {
    int n;
    int rule[BM_MAX_FLAT];
    bm_rgb col[BM_MAX_FLAT];
} bm_flat;

/* The colour of a flat tile at zoom z. */
bm_rgb bm_flat_colour(const bm_style *s, const bm_flat *f, int z);

/* Per-thread state: a store connection, prepared queries, a canvas. */
typedef struct bm_worker {
    sqlite3 *db;
    const bm_style *style;
    sqlite3_stmt **stmts;       /* one per rule (NULL: layer missing) */
    bm_canvas canvas;
    int tile_size;
    double *pts;                /* scratch for projected points */
    int pts_cap;
} bm_worker;

int bm_worker_open(bm_worker *w, const char *store_path, const bm_style *s,
                   int tile_size, ct_err *err);
void bm_worker_close(bm_worker *w);
/* Render tile z/x/y into w->canvas; when flat is given, also find whether
 * the tile is flat for every zoom up to max_zoom (*is_flat, flat). */
int bm_render_tile(bm_worker *w, int z, int x, int y, int max_zoom,
                   bm_flat *flat, int *is_flat, ct_err *err);
/* Write the canvas as a PNG at path (via a temporary file and rename). */
int bm_write_png(const bm_canvas *c, const char *path, ct_err *err);

/* Web Mercator: lon/lat to global pixel coordinates at zoom z. */
void bm_lonlat_to_px(double lon, double lat, int z, int size, double *px,
                     double *py);
/* Tile containing lon/lat at zoom z (y from the north). */
void bm_tile_of(double lon, double lat, int z, int *tx, int *ty);
/* Lon/lat bbox of a tile: west, south, east, north. */
void bm_tile_bounds(int z, int x, int y, double b[4]);

/* ---- metadata (basemap_meta.c) ---------------------------------------- */

int bm_write_metadata(const char *out_dir, const double bounds[4],
                      const basemap_opts *o, const bm_style *s, long tiles,
                      ct_err *err);
int bm_write_attribution(sqlite3 *db, const char *out_dir, const bm_style *s,
                         ct_err *err);

#endif
