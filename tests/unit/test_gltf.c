/* tests/unit/test_gltf.c: the GLB writer: header and chunks well formed,
 * JSON chunk parses and declares the extensions, accessors and the
 * property table, feature ids and metadata round-trip from the binary
 * chunk (plain), and meshopt output decodes back to the quantized mesh.
 * Leaves t_plain.glb and t_meshopt.glb in the working directory. */
#include <jansson.h>
#include <meshoptimizer.h>
#include <stdlib.h>

#include "tiles/extrude.h"
#include "tiles/features.h"
#include "tiles/gltf.h"
#include "ut.h"

static void two_buildings(tmesh *m, ftable *f)
{
    double sq[] = {0, 0, 10, 0, 10, 10, 0, 10};
    fp_geom g;
    extrude_ctx x;
    fp_init(&g);
    extrude_init(&x);
    mesh_init(m);
    ftable_init(f);
    for (int b = 0; b < 2; b++) {
        fp_reset(&g);
        fp_begin_polygon(&g);
        fp_begin_ring(&g);
        for (int i = 0; i < 4; i++)
            fp_add_point(&g, sq[2 * i] + 20 * b, sq[2 * i + 1]);
        fp_clean(&g, 0.005);
        const char *s[FT_NSTR] = {b ? "bld_2" : "bld_1", b ? "" : "图书馆",
                                  "office", "西工区", "test", NULL};
        int fid = ftable_add(f, s, 12.5f + b, b ? 0 : 4);
        extrude_footprint(&x, m, &g, 0, 12.5 + b, 0, (uint32_t)fid);
    }
    fp_free(&g);
    extrude_free(&x);
}

static uint32_t u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Parse the GLB's JSON chunk; *bin points at the BIN chunk's data. */
static json_t *parse_glb(const gbuf *b, const unsigned char **bin, size_t *binlen)
{
    if (b->len < 28 || u32(b->p) != 0x46546C67u || u32(b->p + 8) != b->len)
        return NULL;
    uint32_t jl = u32(b->p + 12);
    if (u32(b->p + 16) != 0x4E4F534Au || jl % 4 || 20 + jl + 8 > b->len)
        return NULL;
    *bin = b->p + 20 + jl + 8;
    *binlen = u32(b->p + 20 + jl);
    return json_loadb((const char *)b->p + 20, jl, 0, NULL);
}

static const unsigned char *view_data(json_t *root, const unsigned char *bin,
                                      int view, size_t *len)
{
    json_t *v = json_array_get(json_object_get(root, "bufferViews"), (size_t)view);
    *len = (size_t)json_integer_value(json_object_get(v, "byteLength"));
    return bin + json_integer_value(json_object_get(v, "byteOffset"));
}

static void save(const gbuf *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(b->p, 1, b->len, f);
        fclose(f);
    }
}

static void test_plain_round_trip(void)
{
    tmesh m;
    ftable f;
    gbuf out = {0};
    ct_err err;
    two_buildings(&m, &f);
    UT_EQ_INT(gltf_write_glb(&m, &f, GLTF_PLAIN, &out, &err), CT_OK);
    save(&out, "t_plain.glb");
    const unsigned char *bin;
    size_t binlen, len;
    json_t *root = parse_glb(&out, &bin, &binlen);
    UT_CHECK(root != NULL);
    json_t *prim = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(root, "meshes"),
                                                      0), "primitives"), 0),
        "attributes");
    int af = (int)json_integer_value(json_object_get(prim, "_FEATURE_ID_0"));
    json_t *acc = json_array_get(json_object_get(root, "accessors"), (size_t)af);
    const float *fid = (const float *)view_data(
        root, bin, (int)json_integer_value(json_object_get(acc, "bufferView")), &len);
    UT_EQ_INT(len, 4 * m.nv);
    UT_EQ_INT((int)fid[0], 0);
    UT_EQ_INT((int)fid[m.nv - 1], 1);
    json_t *pt = json_array_get(json_object_get(json_object_get(json_object_get(
        root, "extensions"), "EXT_structural_metadata"), "propertyTables"), 0);
    UT_EQ_INT(json_integer_value(json_object_get(pt, "count")), 2);
    json_t *idp = json_object_get(json_object_get(pt, "properties"), "id");
    size_t lv, lo;
    const char *vals = (const char *)view_data(
        root, bin, (int)json_integer_value(json_object_get(idp, "values")), &lv);
    const uint16_t *offs = (const uint16_t *)view_data(
        root, bin, (int)json_integer_value(json_object_get(idp, "stringOffsets")), &lo);
    UT_EQ_STR(json_string_value(json_object_get(idp, "stringOffsetType")), "UINT16");
    UT_EQ_INT(lo, 6);
    UT_CHECK(offs[2] - offs[1] == 5 && memcmp(vals + offs[1], "bld_2", 5) == 0);
    json_t *hp = json_object_get(json_object_get(pt, "properties"), "height");
    const float *h = (const float *)view_data(
        root, bin, (int)json_integer_value(json_object_get(hp, "values")), &lv);
    UT_NEAR(h[1], 13.5, 1e-6);
    UT_CHECK(json_object_get(root, "extensionsRequired") == NULL);
    json_decref(root);
    gbuf_free(&out);
    mesh_free(&m);
    ftable_free(&f);
}

static void test_meshopt_decodes(void)
{
    tmesh m;
    ftable f;
    gbuf out = {0}, plain = {0};
    ct_err err;
    two_buildings(&m, &f);
    UT_EQ_INT(gltf_write_glb(&m, &f, GLTF_MESHOPT, &out, &err), CT_OK);
    UT_EQ_INT(gltf_write_glb(&m, &f, GLTF_PLAIN, &plain, &err), CT_OK);
    save(&out, "t_meshopt.glb");
    UT_CHECK(out.len < plain.len);
    const unsigned char *bin;
    size_t binlen;
    json_t *root = parse_glb(&out, &bin, &binlen);
    UT_CHECK(root != NULL);
    json_t *req = json_object_get(root, "extensionsRequired");
    UT_EQ_INT(json_array_size(req), 2);
    /* decode indices and positions; every triangle must be one of the
     * mesh's (same corners within the quantization step, same winding):
     * the writer reorders triangles and vertices for the codecs */
    json_t *views = json_object_get(root, "bufferViews");
    json_t *iv = NULL, *pv = NULL;
    for (size_t k = 0; k < json_array_size(views); k++) {
        json_t *e = json_object_get(json_object_get(json_array_get(views, k),
                                                    "extensions"),
                                    "EXT_meshopt_compression");
        if (e && !strcmp(json_string_value(json_object_get(e, "mode")), "TRIANGLES"))
            iv = e;
        if (e && !pv)
            pv = e;  /* POSITION is the first stream */
    }
    UT_CHECK(iv != NULL && pv != NULL);
    size_t count = (size_t)json_integer_value(json_object_get(iv, "count"));
    size_t nv = (size_t)json_integer_value(json_object_get(pv, "count"));
    UT_EQ_INT(count, m.ni);
    UT_EQ_INT(nv, m.nv);
    uint16_t *dec = malloc(2 * count), *pos = malloc(8 * nv);
    int rc = meshopt_decodeIndexBuffer(
        dec, count, 2, bin + json_integer_value(json_object_get(iv, "byteOffset")),
        (size_t)json_integer_value(json_object_get(iv, "byteLength")));
    rc |= meshopt_decodeVertexBuffer(
        pos, nv, 8, bin + json_integer_value(json_object_get(pv, "byteOffset")),
        (size_t)json_integer_value(json_object_get(pv, "byteLength")));
    json_t *node = json_array_get(json_object_get(root, "nodes"), 0);
    double t[3], sc;
    for (int i = 0; i < 3; i++)
        t[i] = json_number_value(json_array_get(json_object_get(node, "translation"), (size_t)i));
    sc = json_number_value(json_array_get(json_object_get(node, "scale"), 0));
    int same = rc == 0;
    char *taken = calloc(m.ni / 3, 1);
    for (size_t a = 0; same && a < count; a += 3) {
        int found = 0;
        for (size_t b = 0; !found && b < m.ni; b += 3)
            for (int r = 0; !found && r < 3; r++) {
                int ok = !taken[b / 3];
                for (int k = 0; ok && k < 3; k++)
                    for (int i = 0; ok && i < 3; i++) {
                        double q = pos[4 * dec[a + k] + i] * sc + t[i];
                        ok = fabs(q - m.pos[3 * m.idx[b + (k + r) % 3] + i]) < 0.01;
                    }
                if (ok)
                    found = taken[b / 3] = 1;
            }
        same = found;
    }
    free(taken);
    free(pos);
    free(dec);
    json_decref(root);
    gbuf_free(&out);
    gbuf_free(&plain);
    mesh_free(&m);
    ftable_free(&f);
    UT_CHECK(same);
}

int main(void)
{
    UT_RUN(test_plain_round_trip);
    UT_RUN(test_meshopt_decodes);
    return ut_done();
}
