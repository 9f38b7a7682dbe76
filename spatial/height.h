/* spatial/height.h: the height of a building or building part: its own
 * `height`, else `levels` × storey height, else a default by kind. The rule
 * used is stored with the building (height_rule). */
#ifndef SPATIAL_HEIGHT_H
#define SPATIAL_HEIGHT_H

#include "spatial/mapping.h"
#include "spatial/row.h"

#define HEIGHT_MAX_M 1000.0   /* taller is a unit or typing error */
#define LEVELS_MAX 300

typedef struct height_result {
    double height;
    const char *rule;   /* "height", "levels" or "default" */
} height_result;

/* height and levels may be NAN when unknown. */
height_result height_infer(double height, double levels, double storey_m,
                           double default_m);

/* Apply the rule to a buildings / building_parts row whose height, levels,
 * min_height and kind columns are already set: fills height, height_rule,
 * and drops a min_height that is not below the height. */
void height_apply(row *r, const mapping *m);

#endif
