/* live/map.h: a small string -> int hash map (open addressing, FNV-1a).
 * The live core looks entities up by their public id on every observation;
 * keys are copied, values are indexes into the owner's arrays. */
#ifndef LIVE_MAP_H
#define LIVE_MAP_H

#include <stddef.h>

typedef struct live_map {
    char **keys;      /* NULL = empty slot */
    int *vals;
    size_t cap;       /* power of two */
    size_t len;
} live_map;

void live_map_init(live_map *m);
void live_map_free(live_map *m);
/* Insert or replace; returns 0, or -1 when out of memory. */
int live_map_put(live_map *m, const char *key, int val);
/* The value for key, or -1 when absent. */
int live_map_get(const live_map *m, const char *key);

#endif
