/* tiles/mesh.c: growable tile mesh buffers (see mesh.h). */
#include "tiles/mesh.h"

#include <stdlib.h>
#include <string.h>

#include "core/ct_error.h"

void mesh_init(tmesh *m)
{
    memset(m, 0, sizeof *m);
}

void mesh_free(tmesh *m)
{
    free(m->pos);
    free(m->nrm);
    free(m->fid);
    free(m->idx);
    mesh_init(m);
}

void mesh_reset(tmesh *m)
{
    m->nv = m->ni = 0;
}

static int grow(void **p, size_t need, size_t elem)
{
    void *q = realloc(*p, need * elem);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

int mesh_reserve(tmesh *m, size_t nv, size_t ni)
{
    if (m->nv + nv > m->cap_v) {
        size_t c = m->cap_v ? m->cap_v : 4096;
        while (c < m->nv + nv)
            c *= 2;
        if (grow((void **)&m->pos, 3 * c, sizeof(float)) ||
            grow((void **)&m->nrm, 3 * c, sizeof(float)) ||
            grow((void **)&m->fid, c, sizeof(uint32_t)))
            return CT_ENOMEM;
        m->cap_v = c;
    }
    if (m->ni + ni > m->cap_i) {
        size_t c = m->cap_i ? m->cap_i : 8192;
        while (c < m->ni + ni)
            c *= 2;
        if (grow((void **)&m->idx, c, sizeof(uint32_t)))
            return CT_ENOMEM;
        m->cap_i = c;
    }
    return CT_OK;
}
