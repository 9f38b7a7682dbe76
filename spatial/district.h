/* spatial/district.h: give every feature the id of the district (a feature
 * of the `districts` layer) that contains its point on surface, using the
 * districts' R*Tree to find candidates. */
#ifndef SPATIAL_DISTRICT_H
#define SPATIAL_DISTRICT_H

#include <sqlite3.h>

#include "core/ct_error.h"

/* all: recompute every row (the districts changed); else only rows whose
 * district is NULL. Returns CT_OK with *assigned rows updated (may be NULL). */
int district_assign(sqlite3 *db, int all, long long *assigned, ct_err *err);

#endif
