/* spatial/writer.h: write import rows into the store: one prepared upsert
 * per layer (a re-imported id updates its row and keeps its fid), the
 * `items` index of public ids, and the road graph's `road_nodes`. */
#ifndef SPATIAL_WRITER_H
#define SPATIAL_WRITER_H

#include <ogr_api.h>
#include <sqlite3.h>

#include "core/ct_error.h"
#include "spatial/row.h"

#define WRITER_MAX_LAYERS 64
#define WRITER_NODE_GRID 1e-6   /* endpoints closer than ~0.1 m share a node */

typedef struct writer {
    sqlite3 *db;
    sqlite3_stmt *put[WRITER_MAX_LAYERS];
    /* bulk mode, per layer (index WRITER_MAX_LAYERS: road_nodes): the table
     * was empty, so its SpatiaLite triggers are set aside and its R*Tree is
     * filled once at the end (as GDAL defers its spatial index) */
    char *bulk_triggers[WRITER_MAX_LAYERS + 1];
    int bulk_checked[WRITER_MAX_LAYERS + 1];
    sqlite3_stmt *item, *node, *who;
    sqlite3_stmt *seen;   /* --replace: each row written is noted here */
    unsigned char *wkb;
    size_t wkbcap;
    /* road nodes seen in this import: (ix, iy) -> id, open addressing;
     * a node is met by every road that ends there */
    struct writer_node_slot { long long ix, iy, id; } *nodes;
    size_t nnodes, nodecap;
} writer;

/* Prepare w; creates the road_nodes table when missing. */
int writer_open(writer *w, sqlite3 *db, ct_err *err);
/* End bulk mode: fill the R*Trees of layers written in bulk and put their
 * triggers back. Call before anything reads the spatial indexes, and
 * before commit. */
int writer_finish(writer *w, ct_err *err);
void writer_close(writer *w);

/* Upsert r with geometry g (lon/lat, the layer's kind) and its items entry.
 * An id already used by another layer is a CT_ECONFLICT error. */
int writer_put(writer *w, const row *r, OGRGeometryH g, ct_err *err);

/* The id of the road node at (lon, lat), created when new. */
int writer_node(writer *w, double lon, double lat, long long *id, ct_err *err);

/* Create road_nodes (id, ix, iy, geom POINT with an R*Tree) if missing. */
int writer_ensure_nodes(sqlite3 *db, ct_err *err);

#endif
