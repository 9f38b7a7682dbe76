/* spatial/import.h: `citytwin import` as a C API: read GDAL vector sources,
 * map their features to store layers (spatial/mapping.h), reproject to
 * lon/lat, repair or reject geometries, infer building heights, build the
 * road graph, and upsert everything into the store in one transaction: a
 * failure anywhere leaves the store as it was. */
#ifndef SPATIAL_IMPORT_H
#define SPATIAL_IMPORT_H

#include "core/ct_error.h"
#include "spatial/import_report.h"

typedef struct import_opts {
    const char *const *sources;   /* paths or GDAL connection strings (PG:...) */
    int nsources;
    const char *store;            /* NULL: STORE_DEFAULT_PATH */
    const char *s_srs;            /* NULL, an EPSG/PROJ/WKT CRS, or "gcj02" */
    const char *clip;             /* polygon file or NULL */
    const char *map;              /* mapping name or file; NULL: detect */
    const char *report;           /* JSON report path or NULL */
    int strict;                   /* reject invalid geometries, fail on any rejection */
    int quiet;                    /* no warnings or summary on stderr */
    int replace;                  /* delete rows their source no longer has
                                   * (spatial/import_replace.h) */
} import_opts;

/* Run the import. r (initialised here; free with import_report_free) is
 * filled even on failure, as far as the import got. */
int import_sources(const import_opts *o, import_report *r, ct_err *err);

#endif
