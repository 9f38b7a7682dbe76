/* live/map.c: string -> int hash map with linear probing (see map.h). */
#include "live/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void live_map_init(live_map *m)
{
    memset(m, 0, sizeof *m);
}

void live_map_free(live_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t find_slot(char **keys, size_t cap, const char *key)
{
    size_t i = (size_t)hash_str(key) & (cap - 1);
    while (keys[i] && strcmp(keys[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int grow(live_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    char **nk = calloc(ncap, sizeof *nk);
    int *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = find_slot(nk, ncap, m->keys[i]);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
    return 0;
}

int live_map_put(live_map *m, const char *key, int val)
{
    if ((m->len + 1) * 4 > m->cap * 3 && grow(m))   /* load factor <= 0.75 */
        return -1;
    size_t i = find_slot(m->keys, m->cap, key);
    if (!m->keys[i]) {
        m->keys[i] = strdup(key);
        if (!m->keys[i])
            return -1;
        m->len++;
    }
    m->vals[i] = val;
    return 0;
}

int live_map_get(const live_map *m, const char *key)
{
    if (!m->cap || !key)
        return -1;
    size_t i = find_slot(m->keys, m->cap, key);
    return m->keys[i] ? m->vals[i] : -1;
}
