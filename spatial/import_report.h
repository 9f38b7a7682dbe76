/* spatial/import_report.h: what an import did, per source layer: features
 * read, rows written per store layer, features no rule matched, repairs,
 * clips, and rejections by reason. Printed as a summary and written as
 * JSON (--report). */
#ifndef SPATIAL_IMPORT_REPORT_H
#define SPATIAL_IMPORT_REPORT_H

#include <stdio.h>

#include "core/ct_error.h"
#include "spatial/validity.h"
#include "spatial/writer.h"

typedef struct import_layer_stats {
    char source[512];
    char layer[128];
    char mapping[64];
    char crs[128];
    long long read, unmapped, repaired, clipped, written;
    long long to[WRITER_MAX_LAYERS];     /* rows per store layer (LAYERS index) */
    long long reason[GR_NREASONS];       /* rejections per reason */
} import_layer_stats;

typedef struct import_report {
    import_layer_stats *layers;
    int nlayers, cap;
    /* totals over all layers */
    long long read, unmapped, repaired, clipped, written, rejected;
    long long to[WRITER_MAX_LAYERS];
    long long reason[GR_NREASONS];
    long long road_nodes, districts_assigned;
    long long removed[WRITER_MAX_LAYERS];   /* --replace: rows deleted */
    long long removed_total;
    double seconds;
} import_report;

void import_report_init(import_report *r);
void import_report_free(import_report *r);
/* A new zeroed entry for a source layer (NULL when out of memory). */
import_layer_stats *import_report_add(import_report *r, const char *source,
                                      const char *layer, const char *mapping);
/* Sum the layers into the totals. */
void import_report_total(import_report *r);
/* Rows written to a store layer by id (0 for unknown ids). */
long long import_report_count(const import_report *r, const char *store_layer);

/* Human summary (one line per source layer and the totals). */
void import_report_print(const import_report *r, FILE *f);
/* The report as JSON text (malloc'd; free()). */
char *import_report_json(const import_report *r);
int import_report_write(const import_report *r, const char *path, ct_err *err);

#endif
