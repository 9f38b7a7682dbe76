/* tiles/tileset.h: tileset.json (3D Tiles 1.1) and manifest.json (the
 * content hashes that make rebuilds incremental), internal to tiles/. */
#ifndef TILES_TILESET_H
#define TILES_TILESET_H

#include <jansson.h>

#include "tiles/plan.h"
#include "tiles/tilebuild.h"

/* The tileset document for plan p and built outputs outs. Each tile's
 * transform is its ENU frame (tile centre, height 0) relative to its
 * parent's, as 3D Tiles composes transforms down the tree. */
json_t *tileset_json(const plan *p, const node_out *outs, const tiles_opts *o);

/* {"version":1,"compress":..,"contents":{uri: hash hex}} */
json_t *tileset_manifest(const plan *p, const node_out *outs, const tiles_opts *o);

/* Write a JSON document to path atomically (tmp + rename). */
int tileset_write_json(json_t *doc, const char *path, ct_err *err);

#endif
