/* spatial/import_priv.h: state shared by import.c (sources, transaction)
 * and import_feature.c (one feature through the rules). Not for other
 * modules. */
#ifndef SPATIAL_IMPORT_PRIV_H
#define SPATIAL_IMPORT_PRIV_H

#include <gdal.h>
#include <sqlite3.h>

#include "spatial/attrs.h"
#include "spatial/clip.h"
#include "spatial/import.h"
#include "spatial/mapping.h"
#include "spatial/reproject.h"
#include "spatial/row.h"
#include "spatial/writer.h"

typedef struct import_ctx {
    const import_opts *o;
    import_report *rep;
    sqlite3 *db;
    writer w;
    clip cl;
    int have_clip;
    mapping *user_map;
    mapping *builtin[3];        /* native, tilezen, osm: loaded on first need */
    row rows[WRITER_MAX_LAYERS];
    unsigned char row_ready[WRITER_MAX_LAYERS];
    attrs a;
    int touched_districts;
    int warned;
    double t0;                  /* when the import started */
    int report_done;            /* --report written before commit */
    int fresh_store;            /* the import created the store file */
} import_ctx;

/* One source layer being read. */
typedef struct import_layer {
    OGRLayerH l;
    const char *name;
    const char *source;          /* the source as given */
    const char *file_source;     /* default `source` column: file name */
    mapping *m;
    int *rules;                  /* indexes of rules whose layer glob fits */
    const layer_def **targets;   /* their store layers */
    int nrules;
    reproj rp;
    int rp_ready;
    import_layer_stats *st;
    int st_index;              /* st's slot: the report array may move */
    int nfields;
    const char **fname;
    int *ftype;                  /* ATTRS_* per field */
    int other_tags;              /* field index of OSM other_tags, or -1 */
} import_layer;

/* Feed one feature through the layer's rules; CT_OK unless the store
 * fails or --strict meets a rejection. */
int import_feature(import_ctx *c, import_layer *il, OGRFeatureH f, ct_err *err);

#endif
