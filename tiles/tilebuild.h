/* tiles/tilebuild.h: building one tile's content (internal to tiles/):
 * a worker owns a store connection and scratch buffers; a leaf reads its
 * features through the R*Tree and extrudes them, a parent turns its
 * children's LOD sets into boxes. Both encode the GLB and keep it only if
 * its hash differs from the manifest's. */
#ifndef TILES_TILEBUILD_H
#define TILES_TILEBUILD_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "tiles/dem.h"
#include "tiles/extrude.h"
#include "tiles/lod.h"
#include "tiles/plan.h"
#include "tiles/tiles.h"

/* What a built tile hands to its parent and to tileset.json. */
typedef struct node_out {
    lod_set lod;
    double region[6];        /* west, south, east, north (rad), min/max h */
    int has_region;
    double ge;               /* geometric error, metres */
    int has_content;
    char uri[64];            /* relative to the output folder */
    uint64_t hash;
    long tris;
    size_t bytes;
} node_out;

/* Read-only state shared by all workers. */
typedef struct build_shared {
    const tiles_opts *opts;
    const plan *plan;
    char **parts_of;         /* sorted ids of buildings that have parts */
    int nparts_of;
    json_t *old_manifest;    /* uri -> hash hex (may be NULL) */
    int lod_k;
} build_shared;

typedef struct worker {
    const build_shared *sh;
    sqlite3 *db;
    sqlite3_stmt *q[2];      /* buildings, building_parts (NULL: absent) */
    extrude_ctx x;
    tmesh m;
    ftable f;
    fp_geom g;
    gbuf glb;
    dem *dem;                /* NULL without --dem */
    tiles_report st;         /* this worker's counts */
} worker;

int worker_open(worker *w, const build_shared *sh, ct_err *err);
void worker_close(worker *w);

/* Build node k (a leaf: from the store; else from children's outputs). */
int worker_build(worker *w, int k, node_out *outs, ct_err *err);

/* 64-bit hash of a buffer (FNV-1a over 8-byte words). */
uint64_t tiles_hash(const unsigned char *p, size_t n);

#endif
