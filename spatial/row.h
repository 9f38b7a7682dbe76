/* spatial/row.h: one row to write into a store layer, column by column.
 * Values are set as text by the mapping (then converted to the column's
 * type with row_coerce) or directly as numbers by the importer. Text is
 * copied into the row's own buffer, reused from row to row. */
#ifndef SPATIAL_ROW_H
#define SPATIAL_ROW_H

#include <stddef.h>

#include "spatial/layers.h"

#define ROW_MAX_COLS 40

enum row_type { ROW_NULL = 0, ROW_TEXT, ROW_REAL, ROW_INT };

typedef struct row {
    const layer_def *layer;
    int ncols;
    const char *name[ROW_MAX_COLS];     /* column names, common then extra */
    const char *sqltype[ROW_MAX_COLS];
    int type[ROW_MAX_COLS];
    double real[ROW_MAX_COLS];
    long long integer[ROW_MAX_COLS];
    size_t off[ROW_MAX_COLS];           /* ROW_TEXT: offset in buf */
    int attr[ROW_MAX_COLS];             /* source attribute index or -1 */
    char *buf;
    size_t len, cap;
} row;

/* Prepare r for rows of layer l (frees nothing; call row_free at the end). */
void row_init(row *r, const layer_def *l);
void row_free(row *r);
/* Set every column to NULL. */
void row_clear(row *r);

/* Column index of name, or -1. */
int row_col(const row *r, const char *name);

/* Setters by column name; unknown columns are ignored (return -1). */
int row_set_text(row *r, const char *col, const char *text, int attr);
int row_set_real(row *r, const char *col, double v);
int row_set_int(row *r, const char *col, long long v);

/* Getters: text (NULL unless ROW_TEXT), number (returns 1 if set). */
const char *row_text(const row *r, int col);
int row_num(const row *r, int col, double *v);

/* Convert text values to the column's SQL type: REAL columns parse a
 * number with a length unit ("12 m", "40 ft"), INTEGER columns an integer,
 * and oneway/bridge/tunnel their OSM words. A value that does not parse
 * becomes NULL; its attribute index is returned through bad[] (count in
 * *nbad) so the caller can keep the raw value in props. */
void row_coerce(row *r, int *bad, int *nbad);

/* Parse "12", "12 m", "12.5m", "40 ft", "3,5" (decimal comma) to metres.
 * Returns 1 and *m on success, 0 when it is not a length. */
int row_parse_length(const char *s, double *m);

/* OSM oneway: yes/true/1 -> 1, -1/reverse -> -1, else 0. */
int row_parse_oneway(const char *s);

/* OSM yes/no-ish flag: 0 for no/false/0/empty, else 1. */
int row_parse_flag(const char *s);

#endif
