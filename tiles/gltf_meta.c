/* tiles/gltf_meta.c: the tile's property table in EXT_structural_metadata
 * (see gltf_meta.h). Schema: class "building" with id, name, kind,
 * district, source, building (STRING), height (FLOAT32, metres above
 * ground) and levels (UINT16, noData 0). */
#include "tiles/gltf_meta.h"

#include <stdlib.h>

int gltf_add_view(json_t *views, size_t offset, size_t length)
{
    json_t *v = json_pack("{s:i, s:I, s:I}", "buffer", 0, "byteOffset",
                          (json_int_t)offset, "byteLength", (json_int_t)length);
    if (!v || json_array_append_new(views, v))
        return -1;
    return (int)json_array_size(views) - 1;
}

/* Append raw column bytes at an 8-byte boundary; returns the view or -1. */
static int put_column(gbuf *bin, json_t *views, const void *src, size_t n)
{
    if (gbuf_align(bin, 8, 0))
        return -1;
    size_t off = bin->len;
    if (n == 0)   /* a bufferView holds at least one byte */
        return gbuf_put(bin, NULL, 1) ? -1 : gltf_add_view(views, off, 1);
    if (gbuf_put(bin, src, n))
        return -1;
    return gltf_add_view(views, off, n);
}

static json_t *schema(void)
{
    static const char *const desc[FT_NSTR] = {
        "public stable id, as in the REST API and live messages",
        "name", "kind (use)", "district", "data source",
        "for a building part: its building's id"};
    json_t *props = json_object();
    for (int c = 0; c < FT_NSTR; c++)
        json_object_set_new(props, FT_STR_NAMES[c],
                            json_pack("{s:s, s:s}", "type", "STRING",
                                      "description", desc[c]));
    json_object_set_new(props, "height",
                        json_pack("{s:s, s:s, s:s}", "type", "SCALAR",
                                  "componentType", "FLOAT32", "description",
                                  "height above ground, metres"));
    json_object_set_new(props, "levels",
                        json_pack("{s:s, s:s, s:i, s:s}", "type", "SCALAR",
                                  "componentType", "UINT16", "noData", 0,
                                  "description", "storeys above ground"));
    json_object_set_new(json_object_get(props, "id"), "required", json_true());
    return json_pack("{s:s, s:{s:{s:s, s:o}}}", "id", "citytwin", "classes",
                     "building", "name", "Building", "properties", props);
}

json_t *gltf_meta_build(const ftable *f, gbuf *bin, json_t *views)
{
    json_t *props = json_object();
    if (!props)
        return NULL;
    size_t n = (size_t)f->n;
    uint16_t *o16 = malloc(sizeof(uint16_t) * (n + 1));
    if (!o16)
        goto fail;
    for (int c = 0; c < FT_NSTR; c++) {
        /* UINT16 offsets when the column is short enough: 2 bytes a row */
        int narrow = f->s[c].len <= 65535;
        for (size_t i = 0; narrow && i <= n; i++)
            o16[i] = (uint16_t)f->s[c].off[i];
        int vv = put_column(bin, views, f->s[c].buf, f->s[c].len);
        int vo = narrow ? put_column(bin, views, o16, sizeof(uint16_t) * (n + 1))
                        : put_column(bin, views, f->s[c].off,
                                     sizeof(uint32_t) * (n + 1));
        if (vv < 0 || vo < 0) {
            free(o16);
            goto fail;
        }
        json_object_set_new(props, FT_STR_NAMES[c],
                            json_pack("{s:i, s:i, s:s}", "values", vv,
                                      "stringOffsets", vo, "stringOffsetType",
                                      narrow ? "UINT16" : "UINT32"));
    }
    free(o16);
    int vh = put_column(bin, views, f->height, sizeof(float) * n);
    int vl = put_column(bin, views, f->levels, sizeof(uint16_t) * n);
    if (vh < 0 || vl < 0)
        goto fail;
    json_object_set_new(props, "height", json_pack("{s:i}", "values", vh));
    json_object_set_new(props, "levels", json_pack("{s:i}", "values", vl));
    return json_pack("{s:o, s:[{s:s, s:s, s:I, s:o}]}", "schema", schema(),
                     "propertyTables", "name", "buildings", "class", "building",
                     "count", (json_int_t)n, "properties", props);
fail:
    json_decref(props);
    return NULL;
}
