/* tiles/mesh.h: the triangle mesh of one tile, grown building by building.
 * Vertices are in the glTF frame of the tile (x = east, y = up,
 * z = south, metres from the tile centre); every vertex carries the
 * feature id (row of the tile's property table) of its building. */
#ifndef TILES_MESH_H
#define TILES_MESH_H

#include <stddef.h>
#include <stdint.h>

typedef struct tmesh {
    float *pos, *nrm;        /* 3 floats per vertex */
    uint32_t *fid;           /* 1 per vertex */
    uint32_t *idx;           /* 3 per triangle */
    size_t nv, ni, cap_v, cap_i;
    float min[3], max[3];    /* of pos, valid when nv > 0 */
} tmesh;

void mesh_init(tmesh *m);
void mesh_free(tmesh *m);
void mesh_reset(tmesh *m);

/* Room for nv more vertices and ni more indices; 0 or CT_ENOMEM. */
int mesh_reserve(tmesh *m, size_t nv, size_t ni);

/* Append a vertex (room must be reserved); returns its index. */
static inline uint32_t mesh_vertex(tmesh *m, const float p[3], const float n[3],
                                   uint32_t fid)
{
    size_t k = m->nv++;
    for (int i = 0; i < 3; i++) {
        m->pos[3 * k + i] = p[i];
        m->nrm[3 * k + i] = n[i];
        if (k == 0 || p[i] < m->min[i])
            m->min[i] = p[i];
        if (k == 0 || p[i] > m->max[i])
            m->max[i] = p[i];
    }
    m->fid[k] = fid;
    return (uint32_t)k;
}

static inline void mesh_triangle(tmesh *m, uint32_t a, uint32_t b, uint32_t c)
{
    m->idx[m->ni++] = a;
    m->idx[m->ni++] = b;
    m->idx[m->ni++] = c;
}

#endif
