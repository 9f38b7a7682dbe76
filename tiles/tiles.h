/* tiles/tiles.h: `citytwin tiles`: OGC 3D Tiles 1.1 from the store.
 * Plans a quadtree over the buildings and building parts (plan.h), builds
 * leaf tiles (full LOD1 meshes) and parent tiles (boxes of the most
 * important features, REPLACE refinement; lod.h) on --jobs threads, each
 * with its own SQLite connection, writes .glb contents (gltf.h) and
 * tileset.json, and rewrites only the contents whose bytes changed
 * (manifest.json keeps a hash per content). See docs/TILES.md. */
#ifndef TILES_TILES_H
#define TILES_TILES_H

#include "core/ct_error.h"
#include "tiles/gltf.h"

#define TILES_DEFAULT_OUT "var/tiles"

typedef struct tiles_opts {
    const char *store;       /* SpatiaLite store */
    const char *out;         /* output folder (created) */
    gltf_compress compress;
    int jobs;                /* threads; <= 0: all cores */
    long max_triangles;      /* per leaf tile (upper bound) */
    long max_features;       /* per leaf tile */
    int lod_boxes;           /* features kept as boxes per parent; 0: auto */
    const char *dem;         /* ground heights raster (NULL: ellipsoid) */
    int quiet;               /* no progress, no summary line */
} tiles_opts;

typedef struct tiles_report {
    long features;           /* rows tiled (buildings + parts) */
    long built;              /* features with a mesh */
    long hidden_outlines;    /* buildings drawn by their parts instead */
    long repaired;           /* polygons made valid with GEOS */
    long cdt;                /* polygons triangulated by GEOS CDT */
    long lost_polygons;      /* polygons that could not be built */
    long unbuilt;            /* features without any mesh (see below) */
    long bad_geometry;       /* unreadable or degenerate footprints */
    long bad_height;         /* height <= min_height */
    long height_defaulted;   /* no height: levels * 3 m or 10 m used */
    long dem_missing;        /* --dem gave no ground height: 0 used */
    long tiles, leaves, contents;
    long written, unchanged, removed;
    long long triangles, bytes;
    double seconds;
    double plan_seconds;     /* of which: opening the store and planning */
} tiles_report;

void tiles_opts_default(tiles_opts *o);

/* Build the tileset; fills rep (may be NULL). */
int tiles_build(const tiles_opts *o, tiles_report *rep, ct_err *err);

#endif
