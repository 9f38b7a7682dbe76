/* tiles/tileset.c: tileset.json and manifest.json (see tileset.h). */
#include "tiles/tileset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tiles/geodesy.h"

static void node_frame(const plan *p, const plan_node *n, geo_frame *f)
{
    double b[4];
    plan_bounds(p, n, b);
    geo_frame_init(f, 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]), 0.0);
}

/* child relative to parent: [Rp^T Rc | Rp^T (oc - op)], column-major */
static json_t *relative(const geo_frame *pf, const geo_frame *cf)
{
    double t[16];
    if (!pf) {
        geo_frame_transform(cf, t);
    } else {
        const double *pa[3] = {pf->east, pf->north, pf->up};
        const double *ca[3] = {cf->east, cf->north, cf->up};
        double d[3] = {cf->origin[0] - pf->origin[0], cf->origin[1] - pf->origin[1],
                       cf->origin[2] - pf->origin[2]};
        for (int col = 0; col < 3; col++)
            for (int row = 0; row < 3; row++)
                t[4 * col + row] = pa[row][0] * ca[col][0] + pa[row][1] * ca[col][1] +
                                   pa[row][2] * ca[col][2];
        for (int row = 0; row < 3; row++)
            t[12 + row] = pa[row][0] * d[0] + pa[row][1] * d[1] + pa[row][2] * d[2];
        t[3] = t[7] = t[11] = 0.0;
        t[15] = 1.0;
    }
    json_t *a = json_array();
    for (int i = 0; i < 16; i++)
        json_array_append_new(a, json_real(t[i]));
    return a;
}

static json_t *tile(const plan *p, const node_out *outs, int k, const geo_frame *pf)
{
    const plan_node *n = &p->nodes[k];
    const node_out *o = &outs[k];
    geo_frame f;
    node_frame(p, n, &f);
    const double *r = o->region;
    json_t *t = json_pack("{s:{s:[f,f,f,f,f,f]}, s:f, s:s, s:o}", "boundingVolume",
                          "region", r[0], r[1], r[2], r[3], r[4], r[5],
                          "geometricError", o->ge, "refine", "REPLACE",
                          "transform", relative(pf, &f));
    if (!t)
        return NULL;
    if (o->has_content)
        json_object_set_new(t, "content", json_pack("{s:s}", "uri", o->uri));
    if (n->nchild) {
        json_t *ch = json_array();
        for (int c = 0; c < n->nchild; c++)
            if (outs[n->child[c]].has_region)
                json_array_append_new(ch, tile(p, outs, n->child[c], &f));
        if (json_array_size(ch) > 0)  /* the schema wants one at least */
            json_object_set_new(t, "children", ch);
        else
            json_decref(ch);
    }
    return t;
}

json_t *tileset_json(const plan *p, const node_out *outs, const tiles_opts *o)
{
    json_t *root;
    if (p->n > 0 && outs[0].has_region) {
        root = tile(p, outs, 0, NULL);
    } else {  /* nothing to show: an empty root, still a valid tileset */
        root = json_pack("{s:{s:[f,f,f,f,f,f]}, s:f}", "boundingVolume", "region",
                         0.0, 0.0, 1e-9, 1e-9, 0.0, 1.0, "geometricError", 0.0);
    }
    double ge = p->n > 0 ? outs[0].ge : 0.0;
    return json_pack("{s:{s:s, s:s, s:s}, s:f, s:o}", "asset", "version", "1.1",
                     "generator", "citytwin tiles", "tilesetVersion",
                     o->compress == GLTF_MESHOPT ? "meshopt" : "plain",
                     "geometricError", fmax(2.0 * ge, 64.0), "root", root);
}

json_t *tileset_manifest(const plan *p, const node_out *outs, const tiles_opts *o)
{
    json_t *c = json_object();
    for (int k = 0; k < p->n; k++)
        if (outs[k].has_content) {
            char hex[17];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)outs[k].hash);
            json_object_set_new(c, outs[k].uri, json_string(hex));
        }
    return json_pack("{s:i, s:s, s:o}", "version", 1, "compress",
                     o->compress == GLTF_MESHOPT ? "meshopt" : "none", "contents", c);
}

int tileset_write_json(json_t *doc, const char *path, ct_err *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (!doc || json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(17)))
        return ct_fail(err, CT_EIO, "tiles: cannot write %s", tmp);
    if (rename(tmp, path) != 0)
        return ct_fail(err, CT_EIO, "tiles: cannot write %s: %s", path,
                       strerror(errno));
    return CT_OK;
}
