/* spatial/mapping.h: import mappings (format in docs/MAPPING.md): ordered
 * rules that send source features to store layers and fill their columns
 * from attributes. Built-ins (native, tilezen, osm) are JSON files in
 * data/mapping/. */
#ifndef SPATIAL_MAPPING_H
#define SPATIAL_MAPPING_H

#include "core/ct_error.h"
#include "spatial/attrs.h"
#include "spatial/layers.h"
#include "spatial/row.h"

typedef struct mapping mapping;
typedef struct map_rule map_rule;

/* Geometry kinds a rule can ask for (the feature's own, multi or not). */
enum map_geom { MAP_GEOM_ANY = 0, MAP_GEOM_POINT, MAP_GEOM_LINE, MAP_GEOM_POLYGON };

/* Parse mapping JSON text; label names it in messages. */
int mapping_parse(const char *text, const char *label, mapping **out, ct_err *err);
/* Load a mapping from a file path, or a built-in by name ("osm"). */
int mapping_load(const char *name_or_path, mapping **out, ct_err *err);
void mapping_free(mapping *m);

/* The folder holding the built-in mappings (see docs/MAPPING.md), or NULL. */
const char *mapping_builtin_dir(void);

const char *mapping_name(const mapping *m);
double mapping_storey_height(const mapping *m);
/* Default building height for kind (or the "*" entry, or 9 m). */
double mapping_default_height(const mapping *m, const char *kind);
/* Default road speed for class (or the "*" entry, or 30 km/h). */
double mapping_default_speed(const mapping *m, const char *cls);

/* Does a source with these layers match the mapping's detect block?
 * fields_of(i) gives the NULL-terminated field names of layer i. */
int mapping_detect(const mapping *m, int nlayers, const char *const *names,
                   const char *const *const *fields);

int mapping_rule_count(const mapping *m);
const map_rule *mapping_rule(const mapping *m, int i);

/* Does the rule's layer glob accept this source layer? */
int map_rule_layer_ok(const map_rule *r, const char *src_layer);
/* Store layer for features of src_layer, or NULL (e.g. "=layer" on a layer
 * that is not a store layer). */
const layer_def *map_rule_target(const map_rule *r, const char *src_layer);
/* Do the rule's attribute and geometry conditions hold? */
int map_rule_matches(const map_rule *r, int geom, attrs *a);
int map_rule_continues(const map_rule *r);

/* Fill row (already row_init'ed for the target, cleared) from a: the
 * mapped fields, the public id and the source. fid is the OGR FID for the
 * id fallback; file_source the default `source` value. Used attributes are
 * marked in a->used. */
void map_rule_fill(const map_rule *r, const mapping *m, attrs *a,
                   const char *src_layer, long long fid,
                   const char *file_source, row *out);

#endif
