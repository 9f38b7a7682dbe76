/* tiles/gltf.c: GLB writer for tile meshes (see gltf.h). Layout of the
 * binary chunk: vertex streams and indices (plain or meshopt-encoded),
 * then the property table columns. */
#include "tiles/gltf.h"

#include <jansson.h>
#include <math.h>
#include <meshoptimizer.h>
#include <stdlib.h>
#include <string.h>

#include "tiles/gltf_meta.h"

enum { GL_BYTE = 5120, GL_USHORT = 5123, GL_UINT = 5125, GL_FLOAT = 5126,
       GL_ARRAY = 34962, GL_ELEMENTS = 34963 };

void gbuf_free(gbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int gbuf_put(gbuf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 65536;
        while (c < b->len + n)
            c *= 2;
        unsigned char *q = realloc(b->p, c);
        if (!q)
            return CT_ENOMEM;
        b->p = q;
        b->cap = c;
    }
    if (n) {
        if (src)
            memcpy(b->p + b->len, src, n);
        else
            memset(b->p + b->len, 0, n);
    }
    b->len += n;
    return CT_OK;
}

int gbuf_align(gbuf *b, size_t align, unsigned char v)
{
    while (b->len % align)
        if (gbuf_put(b, &v, 1))
            return CT_ENOMEM;
    return CT_OK;
}

/* One stream to store: raw bytes of count elements of stride bytes. */
typedef struct stream {
    const void *data;
    size_t count, stride;
    int index;               /* 1: an index buffer */
    size_t nverts;           /* for an index buffer: vertices referenced */
} stream;

/* Append a stream's bufferView; for meshopt, encoded into bin and
 * declared against the fallback buffer (1) at *fb_off. Returns the view. */
static int add_stream(const stream *s, gltf_compress c, gbuf *bin,
                      json_t *views, size_t *fb_off, const uint32_t *idx32)
{
    size_t raw = s->count * s->stride;
    json_t *v;
    if (gbuf_align(bin, 4, 0))
        return -1;
    if (c == GLTF_PLAIN) {
        size_t off = bin->len;
        if (gbuf_put(bin, s->data, raw))
            return -1;
        v = json_pack("{s:i, s:I, s:I, s:i}", "buffer", 0, "byteOffset",
                      (json_int_t)off, "byteLength", (json_int_t)raw, "target",
                      s->index ? GL_ELEMENTS : GL_ARRAY);
    } else {
        size_t bound = s->index
                           ? meshopt_encodeIndexBufferBound(s->count, s->nverts)
                           : meshopt_encodeVertexBufferBound(s->count, s->stride);
        size_t off = bin->len;
        if (gbuf_put(bin, NULL, bound))
            return -1;
        size_t enc = s->index
                         ? meshopt_encodeIndexBuffer(bin->p + off, bound, idx32,
                                                     s->count)
                         : meshopt_encodeVertexBuffer(bin->p + off, bound, s->data,
                                                      s->count, s->stride);
        if (enc == 0)
            return -1;
        bin->len = off + enc;
        v = json_pack("{s:i, s:I, s:I, s:i, s:{s:{s:i, s:I, s:I, s:I, s:I, s:s}}}",
                      "buffer", 1, "byteOffset", (json_int_t)*fb_off, "byteLength",
                      (json_int_t)raw, "target", s->index ? GL_ELEMENTS : GL_ARRAY,
                      "extensions", "EXT_meshopt_compression", "buffer", 0,
                      "byteOffset", (json_int_t)off, "byteLength", (json_int_t)enc,
                      "byteStride", (json_int_t)s->stride, "count",
                      (json_int_t)s->count, "mode",
                      s->index ? "TRIANGLES" : "ATTRIBUTES");
        *fb_off += (raw + 3) & ~(size_t)3;
    }
    if (!v)
        return -1;
    if (!s->index)  /* vertex attributes are 4-byte aligned: say so */
        json_object_set_new(v, "byteStride", json_integer((json_int_t)s->stride));
    if (json_array_append_new(views, v))
        return -1;
    return (int)json_array_size(views) - 1;
}

static int add_accessor(json_t *acc, int view, int ctype, int normalized,
                        size_t count, const char *type, json_t *min, json_t *max)
{
    json_t *a = json_pack("{s:i, s:i, s:I, s:s}", "bufferView", view,
                          "componentType", ctype, "count", (json_int_t)count,
                          "type", type);
    if (!a)
        return -1;
    if (normalized)
        json_object_set_new(a, "normalized", json_true());
    if (min)
        json_object_set_new(a, "min", min);
    if (max)
        json_object_set_new(a, "max", max);
    if (json_array_append_new(acc, a))
        return -1;
    return (int)json_array_size(acc) - 1;
}

static json_t *vec3(double a, double b, double c)
{
    return json_pack("[f, f, f]", a, b, c);
}

/* Quantized copies of the vertex streams for meshopt (KHR_mesh_quantization). */
typedef struct quant {
    uint16_t *pos;     /* 4 per vertex (xyz + pad) */
    int8_t *nrm;       /* 4 per vertex */
    float scale;
    uint16_t qmin[3], qmax[3];
} quant;

static int quantize(const tmesh *m, quant *q)
{
    float ext = 0;
    for (int i = 0; i < 3; i++)
        if (m->max[i] - m->min[i] > ext)
            ext = m->max[i] - m->min[i];
    q->scale = ext > 0 ? ext / 65535.0f : 1.0f;
    q->pos = malloc(sizeof(uint16_t) * 4 * m->nv);
    q->nrm = malloc(4 * m->nv);
    if (!q->pos || !q->nrm)
        return CT_ENOMEM;
    for (int i = 0; i < 3; i++) {
        q->qmin[i] = 65535;
        q->qmax[i] = 0;
    }
    for (size_t v = 0; v < m->nv; v++) {
        for (int i = 0; i < 3; i++) {
            float t = (m->pos[3 * v + i] - m->min[i]) / q->scale;
            long k = (long)(t + 0.5f);  /* t >= 0 */
            uint16_t u = (uint16_t)(k < 0 ? 0 : k > 65535 ? 65535 : k);
            q->pos[4 * v + i] = u;
            if (u < q->qmin[i])
                q->qmin[i] = u;
            if (u > q->qmax[i])
                q->qmax[i] = u;
            q->nrm[4 * v + i] = (int8_t)lroundf(m->nrm[3 * v + i] * 127.0f);
        }
        q->pos[4 * v + 3] = 0;
        q->nrm[4 * v + 3] = 0;
    }
    return CT_OK;
}

/* Triangle order for the post-transform cache, then vertices in first-use
 * order: both make meshopt's codecs (and GPUs) do better. The quantized
 * streams and the feature ids are permuted in place. */
static int reorder(const tmesh *m, quant *q, float *fid, uint32_t **idx_out)
{
    uint32_t *idx = malloc(sizeof(uint32_t) * m->ni);
    uint32_t *remap = malloc(sizeof(uint32_t) * m->nv);
    void *tmp = malloc(8 * m->nv);
    int rc = CT_ENOMEM;
    if (!idx || !remap || !tmp)
        goto out;
    meshopt_optimizeVertexCache(idx, m->idx, m->ni, m->nv);
    size_t nu = meshopt_optimizeVertexFetchRemap(remap, idx, m->ni, m->nv);
    (void)nu;
    meshopt_remapIndexBuffer(idx, idx, m->ni, remap);
    meshopt_remapVertexBuffer(tmp, q->pos, m->nv, 8, remap);
    memcpy(q->pos, tmp, 8 * m->nv);
    meshopt_remapVertexBuffer(tmp, q->nrm, m->nv, 4, remap);
    memcpy(q->nrm, tmp, 4 * m->nv);
    meshopt_remapVertexBuffer(tmp, fid, m->nv, 4, remap);
    memcpy(fid, tmp, 4 * m->nv);
    *idx_out = idx;
    idx = NULL;
    rc = CT_OK;
out:
    free(idx);
    free(remap);
    free(tmp);
    return rc;
}

static json_t *root_json(gltf_compress c)
{
    json_t *used = json_pack("[s, s]", "EXT_mesh_features", "EXT_structural_metadata");
    json_t *root = json_pack(
        "{s:{s:s, s:s}, s:i, s:[{s:[i]}], s:[{s:s, s:{s:[f,f,f,f], s:f, s:f}}],"
        " s:o}",
        "asset", "version", "2.0", "generator", "citytwin tiles", "scene", 0,
        "scenes", "nodes", 0, "materials", "name", "building",
        "pbrMetallicRoughness", "baseColorFactor", 0.82, 0.82, 0.80, 1.0,
        "metallicFactor", 0.0, "roughnessFactor", 0.9, "extensionsUsed", used);
    if (root && c == GLTF_MESHOPT) {
        json_array_append_new(used, json_string("EXT_meshopt_compression"));
        json_array_append_new(used, json_string("KHR_mesh_quantization"));
        json_object_set_new(root, "extensionsRequired",
                            json_pack("[s, s]", "EXT_meshopt_compression",
                                      "KHR_mesh_quantization"));
    }
    return root;
}

static int glb_pack(json_t *root, const gbuf *bin, gbuf *out)
{
    char *js = json_dumps(root, JSON_COMPACT);
    if (!js)
        return CT_ENOMEM;
    size_t jl = strlen(js), jpad = (jl + 3) & ~(size_t)3;
    size_t bpad = (bin->len + 3) & ~(size_t)3;
    uint32_t total = (uint32_t)(12 + 8 + jpad + 8 + bpad);
    uint32_t hdr[3] = {0x46546C67u, 2, total};
    uint32_t jh[2] = {(uint32_t)jpad, 0x4E4F534Au};
    uint32_t bh[2] = {(uint32_t)bpad, 0x004E4942u};
    out->len = 0;
    int rc = gbuf_put(out, hdr, 12) || gbuf_put(out, jh, 8) || gbuf_put(out, js, jl) ||
             gbuf_align(out, 4, ' ') || gbuf_put(out, bh, 8) ||
             gbuf_put(out, bin->p, bin->len) || gbuf_align(out, 4, 0);
    free(js);
    return rc ? CT_ENOMEM : CT_OK;
}

int gltf_write_glb(const tmesh *m, const ftable *f, gltf_compress c, gbuf *out,
                   ct_err *err)
{
    gbuf bin = {0};
    quant q = {0};
    float *fidf = malloc(sizeof(float) * (m->nv ? m->nv : 1));
    uint16_t *idx16 = NULL;
    uint32_t *idx32 = NULL;   /* reordered indices (meshopt) */
    json_t *root = root_json(c), *views = json_array(), *acc = json_array();
    int rc = CT_ENOMEM, wide = m->nv > 65535;
    if (!fidf || !root || !views || !acc || m->nv == 0 || m->ni == 0)
        goto done;
    for (size_t v = 0; v < m->nv; v++)
        fidf[v] = (float)m->fid[v];
    if (!wide) {
        if (!(idx16 = malloc(sizeof(uint16_t) * m->ni)))
            goto done;
        for (size_t i = 0; i < m->ni; i++)
            idx16[i] = (uint16_t)m->idx[i];
    }
    if (c == GLTF_MESHOPT && (quantize(m, &q) || reorder(m, &q, fidf, &idx32)))
        goto done;
    if (idx32 && idx16)
        for (size_t i = 0; i < m->ni; i++)
            idx16[i] = (uint16_t)idx32[i];
    size_t fb = 0;
    stream sp = {c ? (void *)q.pos : (void *)m->pos, m->nv, c ? 8 : 12, 0, 0};
    stream sn = {c ? (void *)q.nrm : (void *)m->nrm, m->nv, c ? 4 : 12, 0, 0};
    stream sf = {fidf, m->nv, 4, 0, 0};
    const uint32_t *ix = idx32 ? idx32 : m->idx;
    stream si = {wide ? (void *)ix : (void *)idx16, m->ni, wide ? 4 : 2, 1, m->nv};
    int vp = add_stream(&sp, c, &bin, views, &fb, NULL);
    int vn = add_stream(&sn, c, &bin, views, &fb, NULL);
    int vf = add_stream(&sf, c, &bin, views, &fb, NULL);
    int vi = add_stream(&si, c, &bin, views, &fb, ix);
    if (vp < 0 || vn < 0 || vf < 0 || vi < 0)
        goto done;
    json_t *mn = c ? json_pack("[i,i,i]", q.qmin[0], q.qmin[1], q.qmin[2])
                   : vec3(m->min[0], m->min[1], m->min[2]);
    json_t *mx = c ? json_pack("[i,i,i]", q.qmax[0], q.qmax[1], q.qmax[2])
                   : vec3(m->max[0], m->max[1], m->max[2]);
    int ap = add_accessor(acc, vp, c ? GL_USHORT : GL_FLOAT, 0, m->nv, "VEC3", mn, mx);
    int an = add_accessor(acc, vn, c ? GL_BYTE : GL_FLOAT, c != 0, m->nv, "VEC3",
                          NULL, NULL);
    int af = add_accessor(acc, vf, GL_FLOAT, 0, m->nv, "SCALAR", NULL, NULL);
    int ai = add_accessor(acc, vi, wide ? GL_UINT : GL_USHORT, 0, m->ni, "SCALAR",
                          NULL, NULL);
    json_t *meta = gltf_meta_build(f, &bin, views);
    if (ap < 0 || an < 0 || af < 0 || ai < 0 || !meta)
        goto done;
    json_t *node = json_pack("{s:i}", "mesh", 0);
    if (c == GLTF_MESHOPT) {
        json_object_set_new(node, "translation", vec3(m->min[0], m->min[1], m->min[2]));
        json_object_set_new(node, "scale", vec3(q.scale, q.scale, q.scale));
    }
    json_object_set_new(root, "nodes", json_pack("[o]", node));
    json_object_set_new(root, "meshes", json_pack(
        "[{s:[{s:{s:i, s:i, s:i}, s:i, s:i, s:i, s:{s:{s:[{s:i, s:i, s:i}]}}}]}]",
        "primitives", "attributes", "POSITION", ap, "NORMAL", an,
        "_FEATURE_ID_0", af, "indices", ai, "material", 0, "mode", 4,
        "extensions", "EXT_mesh_features", "featureIds", "featureCount", f->n,
        "attribute", 0, "propertyTable", 0));
    json_object_set_new(root, "extensions",
                        json_pack("{s:o}", "EXT_structural_metadata", meta));
    json_t *bufs = json_pack("[{s:I}]", "byteLength",
                             (json_int_t)((bin.len + 3) & ~(size_t)3));
    if (c == GLTF_MESHOPT)
        json_array_append_new(bufs, json_pack("{s:I, s:{s:{s:b}}}", "byteLength",
                                              (json_int_t)fb, "extensions",
                                              "EXT_meshopt_compression",
                                              "fallback", 1));
    json_object_set_new(root, "buffers", bufs);
    json_object_set_new(root, "bufferViews", views);
    json_object_set_new(root, "accessors", acc);
    views = acc = NULL;
    rc = glb_pack(root, &bin, out);
done:
    if (rc)
        ct_fail(err, rc, "glTF: cannot encode a tile of %zu vertices (%s)", m->nv,
                m->nv ? "out of memory" : "empty mesh");
    json_decref(root);
    json_decref(views);
    json_decref(acc);
    gbuf_free(&bin);
    free(q.pos);
    free(q.nrm);
    free(fidf);
    free(idx16);
    free(idx32);
    return rc;
}
