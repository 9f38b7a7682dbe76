/* spatial/import_report.c: counting, printing and writing what an import
 * did (see import_report.h). */
#include "spatial/import_report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/layers.h"

void import_report_init(import_report *r)
{
    memset(r, 0, sizeof *r);
}

void import_report_free(import_report *r)
{
    free(r->layers);
    import_report_init(r);
}

import_layer_stats *import_report_add(import_report *r, const char *source,
                                      const char *layer, const char *mapping)
{
    if (r->nlayers == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        import_layer_stats *l = realloc(r->layers, sizeof *l * (size_t)cap);
        if (!l)
            return NULL;
        r->layers = l;
        r->cap = cap;
    }
    import_layer_stats *s = &r->layers[r->nlayers++];
    memset(s, 0, sizeof *s);
    snprintf(s->source, sizeof s->source, "%s", source);
    snprintf(s->layer, sizeof s->layer, "%s", layer);
    snprintf(s->mapping, sizeof s->mapping, "%s", mapping ? mapping : "");
    return s;
}

void import_report_total(import_report *r)
{
    r->read = r->unmapped = r->repaired = r->clipped = r->written = 0;
    r->rejected = 0;
    memset(r->to, 0, sizeof r->to);
    memset(r->reason, 0, sizeof r->reason);
    for (int i = 0; i < r->nlayers; i++) {
        const import_layer_stats *s = &r->layers[i];
        r->read += s->read;
        r->unmapped += s->unmapped;
        r->repaired += s->repaired;
        r->clipped += s->clipped;
        r->written += s->written;
        for (int k = 0; k < WRITER_MAX_LAYERS; k++)
            r->to[k] += s->to[k];
        for (int k = 1; k < GR_NREASONS; k++) {
            r->reason[k] += s->reason[k];
            r->rejected += s->reason[k];
        }
    }
}

long long import_report_count(const import_report *r, const char *store_layer)
{
    const layer_def *l = layers_find(store_layer);
    return l ? r->to[l - LAYERS] : 0;
}

static json_t *counts_json(const long long *to, const long long *reason,
                           json_t **rejected)
{
    json_t *w = json_object();
    for (int k = 0; k < layers_count() && k < WRITER_MAX_LAYERS; k++)
        if (to[k])
            json_object_set_new(w, LAYERS[k].id, json_integer(to[k]));
    *rejected = json_object();
    for (int k = 1; k < GR_NREASONS; k++)
        if (reason[k])
            json_object_set_new(*rejected, validity_reason_name(k),
                                json_integer(reason[k]));
    return w;
}

char *import_report_json(const import_report *r)
{
    json_t *root = json_object(), *arr = json_array(), *rej;
    for (int i = 0; i < r->nlayers; i++) {
        const import_layer_stats *s = &r->layers[i];
        json_t *o = json_object();
        json_object_set_new(o, "source", json_string(s->source));
        json_object_set_new(o, "layer", json_string(s->layer));
        json_object_set_new(o, "mapping", json_string(s->mapping));
        json_object_set_new(o, "crs", json_string(s->crs));
        json_object_set_new(o, "read", json_integer(s->read));
        json_object_set_new(o, "unmapped", json_integer(s->unmapped));
        json_object_set_new(o, "repaired", json_integer(s->repaired));
        json_object_set_new(o, "clipped", json_integer(s->clipped));
        json_object_set_new(o, "written", counts_json(s->to, s->reason, &rej));
        json_object_set_new(o, "rejected", rej);
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "layers", arr);
    json_t *t = json_object();
    json_object_set_new(t, "read", json_integer(r->read));
    json_object_set_new(t, "written_rows", json_integer(r->written));
    json_object_set_new(t, "unmapped", json_integer(r->unmapped));
    json_object_set_new(t, "repaired", json_integer(r->repaired));
    json_object_set_new(t, "clipped", json_integer(r->clipped));
    json_object_set_new(t, "rejected_total", json_integer(r->rejected));
    json_object_set_new(t, "written", counts_json(r->to, r->reason, &rej));
    json_object_set_new(t, "rejected", rej);
    json_object_set_new(t, "road_nodes", json_integer(r->road_nodes));
    json_object_set_new(t, "districts_assigned", json_integer(r->districts_assigned));
    json_t *rm = json_object();
    for (int k = 0; k < layers_count() && k < WRITER_MAX_LAYERS; k++)
        if (r->removed[k])
            json_object_set_new(rm, LAYERS[k].id, json_integer(r->removed[k]));
    json_object_set_new(t, "removed", rm);
    json_object_set_new(t, "removed_total", json_integer(r->removed_total));
    json_object_set_new(t, "seconds", json_real(r->seconds));
    json_object_set_new(t, "features_per_second",
                        json_real(r->seconds > 0 ? (double)r->read / r->seconds : 0));
    json_object_set_new(root, "total", t);
    char *s = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    return s;
}

int import_report_write(const import_report *r, const char *path, ct_err *err)
{
    char *s = import_report_json(r);
    FILE *f = s ? fopen(path, "w") : NULL;
    int ok = f && fputs(s, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = 0;
    free(s);
    if (!ok)
        return ct_fail(err, CT_EIO, "report %s: cannot write: %m", path);
    return CT_OK;
}

static void print_counts(FILE *f, const long long *to, const long long *reason)
{
    const char *sep = "no rows";
    for (int k = 0; k < layers_count() && k < WRITER_MAX_LAYERS; k++)
        if (to[k]) {
            fprintf(f, "%s%s %lld", *sep == 'n' ? "" : sep, LAYERS[k].id, to[k]);
            sep = ", ";
        }
    if (*sep == 'n')
        fputs(sep, f);
    int any = 0;
    for (int k = 1; k < GR_NREASONS; k++)
        if (reason[k]) {
            fprintf(f, "%s%s %lld", any ? ", " : "; rejected: ",
                    validity_reason_name(k), reason[k]);
            any = 1;
        }
}

void import_report_print(const import_report *r, FILE *f)
{
    for (int i = 0; i < r->nlayers; i++) {
        const import_layer_stats *s = &r->layers[i];
        if (i == 0 || strcmp(s->source, r->layers[i - 1].source) != 0)
            fprintf(f, "%s (mapping %s):\n", s->source, s->mapping);
        fprintf(f, "  %s [%s]: read %lld, unmapped %lld", s->layer,
                s->crs[0] ? s->crs : "-", s->read, s->unmapped);
        if (s->repaired)
            fprintf(f, ", repaired %lld", s->repaired);
        if (s->clipped)
            fprintf(f, ", clipped %lld", s->clipped);
        fprintf(f, " -> ");
        print_counts(f, s->to, s->reason);
        fputc('\n', f);
    }
    fprintf(f, "import: %lld features read, %lld rows written, %lld rejected, "
               "%lld unmapped, %lld road nodes, %.2f s (%.0f features/s)\n  ",
            r->read, r->written, r->rejected, r->unmapped, r->road_nodes,
            r->seconds, r->seconds > 0 ? (double)r->read / r->seconds : 0.0);
    print_counts(f, r->to, r->reason);
    fputc('\n', f);
    if (r->removed_total) {
        fprintf(f, "  removed (no longer in their source, --replace):");
        for (int k = 0, first = 1; k < layers_count() && k < WRITER_MAX_LAYERS; k++)
            if (r->removed[k]) {
                fprintf(f, "%s %s %lld", first ? "" : ",", LAYERS[k].id, r->removed[k]);
                first = 0;
            }
        fputc('\n', f);
    }
}
