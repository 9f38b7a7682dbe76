/* tiles/features.h: the per-tile feature table, one row per building or
 * building part, in the column layout EXT_structural_metadata stores:
 * strings concatenated with UINT32 offsets, numbers in typed arrays.
 * Row i is feature id i of the tile's mesh. */
#ifndef TILES_FEATURES_H
#define TILES_FEATURES_H

#include <stddef.h>
#include <stdint.h>

typedef struct fstrcol {
    char *buf;
    size_t len, cap;
    uint32_t *off;      /* n + 1 offsets */
} fstrcol;

enum { FT_ID, FT_NAME, FT_KIND, FT_DISTRICT, FT_SOURCE, FT_BUILDING, FT_NSTR };

typedef struct ftable {
    int n, cap;
    fstrcol s[FT_NSTR];
    float *height;
    uint16_t *levels;   /* 0 = unknown (noData) */
} ftable;

/* Names of the string columns as written in the schema. */
extern const char *const FT_STR_NAMES[FT_NSTR];

void ftable_init(ftable *t);
void ftable_free(ftable *t);
void ftable_reset(ftable *t);

/* Append a row; NULL strings are stored empty. Returns the row (feature
 * id) or CT_ENOMEM. str has FT_NSTR entries in FT_* order. */
int ftable_add(ftable *t, const char *const str[FT_NSTR], float height,
               int levels);

/* Row i's string in column c (not NUL-terminated: *len bytes). */
const char *ftable_str(const ftable *t, int c, int i, size_t *len);

#endif
