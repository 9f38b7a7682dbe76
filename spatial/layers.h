/* spatial/layers.h: the store's schema, one table per layer.
 * Import, the REST catalog, tiles and the live core all read this one
 * table of definitions, so a layer is added in one place. */
#ifndef SPATIAL_LAYERS_H
#define SPATIAL_LAYERS_H

typedef struct layer_column {
    const char *name;
    const char *sqltype;   /* "TEXT", "REAL", "INTEGER" */
} layer_column;

typedef enum layer_geom {
    LAYER_POINT,           /* POINT */
    LAYER_LINE,            /* LINESTRING (roads: one segment per row) */
    LAYER_MULTILINE,       /* MULTILINESTRING */
    LAYER_POLYGON          /* MULTIPOLYGON */
} layer_geom;

typedef struct layer_def {
    const char *id;        /* table name and API layer id */
    const char *title_zh;
    const char *title_en;
    layer_geom geom;
    const layer_column *extra;  /* layer-specific columns; {NULL} ends */
} layer_def;

/* Columns every layer has, in this order, before its extra columns:
 * fid INTEGER PRIMARY KEY, id TEXT UNIQUE (the public, stable id),
 * name, name_en, kind, source, src_layer, district, props (JSON), geom. */
extern const layer_column LAYER_COMMON[];

/* All layers; layers_count() of them. */
extern const layer_def LAYERS[];
int layers_count(void);

/* The layer with this id, or NULL. */
const layer_def *layers_find(const char *id);

/* SpatiaLite geometry type name: "POINT", "LINESTRING", ... */
const char *layers_geom_name(layer_geom g);

/* Does the layer have a column of this name (common or extra)? */
int layers_has_column(const layer_def *l, const char *column);

#endif
