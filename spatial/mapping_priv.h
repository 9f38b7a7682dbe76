/* spatial/mapping_priv.h: the compiled form of a mapping, shared by
 * mapping.c (parsing) and mapping_rules.c (applying). Not for other modules. */
#ifndef SPATIAL_MAPPING_PRIV_H
#define SPATIAL_MAPPING_PRIV_H

#include <jansson.h>

#include "spatial/mapping.h"

enum { MV_NONE = 0, MV_ATTRS, MV_CONST, MV_ANY };
enum { MC_PRESENT, MC_ABSENT, MC_ONE_OF, MC_NONE_OF };

typedef struct map_value {
    int kind;
    char **attrs;       /* MV_ATTRS: first present wins */
    int nattrs;
    char *constant;     /* MV_CONST */
    json_t *map;        /* value translation, borrowed from the root */
    char *def;          /* when no attribute is present */
    char *prefix;
    struct map_value *any; /* MV_ANY: the first alternative with a value */
    int nany;
} map_value;

typedef struct map_cond {
    char *attr;
    int op;
    char **vals;
    int nvals;
} map_cond;

typedef struct map_field {
    char *column;
    map_value v;
} map_field;

struct map_rule {
    int index;
    char **globs;
    int nglobs;
    map_cond *conds;
    int nconds;
    int geom;
    const layer_def *to;   /* NULL when to_same */
    int to_same;           /* "=layer" */
    map_field *fields;
    int nfields;
    int fields_same;       /* "same" */
    map_value id, source;  /* MV_NONE: use the mapping's */
    char *id_prefix;       /* NULL: "<to>:<source layer>:" */
    int cont;
};

struct mapping {
    char *name;
    json_t *root;
    int detect_native;
    char **dlayers, **dfields;
    int ndlayers, ndfields;
    double storey_h;
    json_t *default_height, *speed;   /* borrowed from root */
    map_value id, source;
    map_rule *rules;
    int nrules;
};

#endif
