/* spatial/import_feature.c: one source feature through the mapping rules
 * into store rows: attributes, geometry (reproject, validate, shape),
 * columns (height, road class and graph), upsert. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/height.h"
#include "spatial/import_priv.h"
#include "spatial/measure.h"
#include "spatial/validity.h"

static void read_attrs(import_layer *il, OGRFeatureH f, attrs *a)
{
    attrs_reset(a);
    for (int i = 0; i < il->nfields; i++) {
        if (i == il->other_tags || !OGR_F_IsFieldSetAndNotNull(f, i))
            continue;
        /* numbers stay binary: no printf here and strtod later (integers
         * beyond 2^53, which a double would round, stay text) */
        GIntBig k;
        if (il->ftype[i] == ATTRS_INT &&
            llabs(k = OGR_F_GetFieldAsInteger64(f, i)) < (1LL << 53))
            attrs_add_num(a, il->fname[i], (double)k, ATTRS_INT);
        else if (il->ftype[i] == ATTRS_REAL)
            attrs_add_num(a, il->fname[i], OGR_F_GetFieldAsDouble(f, i), ATTRS_REAL);
        else
            attrs_add(a, il->fname[i], OGR_F_GetFieldAsString(f, i), il->ftype[i]);
    }
    /* after the columns, so a tag never shadows a column */
    if (il->other_tags >= 0 && OGR_F_IsFieldSetAndNotNull(f, il->other_tags))
        attrs_add_hstore(a, OGR_F_GetFieldAsString(f, il->other_tags));
}

/* Reproject and check the feature's geometry once for all rules. *owned
 * says whether *out is a copy to destroy: a 2D lon/lat geometry is used as
 * the feature holds it (shaping never changes its input). */
static int prepare_geom(const import_layer *il, OGRGeometryH g, OGRGeometryH *out,
                        int *owned)
{
    *out = NULL;
    *owned = 0;
    if (!g)
        return GR_NO_GEOMETRY;
    if (OGR_G_IsEmpty(g))
        return GR_EMPTY;
    if (il->rp.mode == REPROJ_NONE && !OGR_G_Is3D(g) && !OGR_G_IsMeasured(g)) {
        if (!reproj_coords_ok(g, 1))
            return GR_BAD_COORDS;
        *out = g;
        return GR_OK;
    }
    *owned = 1;
    OGRGeometryH c = OGR_G_Clone(g);
    OGR_G_FlattenTo2D(c);
    if (!reproj_coords_ok(c, 0) || reproj_apply(&il->rp, c) != 0 ||
        !reproj_coords_ok(c, 1)) {
        OGR_G_DestroyGeometry(c);
        return GR_BAD_COORDS;
    }
    *out = c;
    return GR_OK;
}

static int reject(import_ctx *c, import_layer *il, OGRFeatureH f, int reason,
                  const layer_def *to, ct_err *err)
{
    il->st->reason[reason]++;
    if (reason == GR_OUTSIDE_CLIP)
        return CT_OK;   /* dropped on purpose, not a fault of the data */
    if (c->o->strict)
        return ct_fail(err, CT_EFORMAT,
                       "%s: layer %s feature %lld: %s for layer %s (--strict "
                       "rejects it)", il->source, il->name, (long long)OGR_F_GetFID(f),
                       validity_reason_text(reason), to->id);
    if (!c->o->quiet && c->warned++ < 5)
        fprintf(stderr, "citytwin import: %s: layer %s feature %lld: rejected "
                "for layer %s: %s (%s)\n", il->source, il->name,
                (long long)OGR_F_GetFID(f), to->id, validity_reason_text(reason),
                validity_reason_name(reason));
    return CT_OK;
}

static row *row_for(import_ctx *c, const layer_def *to)
{
    int li = (int)(to - LAYERS);
    if (!c->row_ready[li]) {
        row_init(&c->rows[li], to);
        c->row_ready[li] = 1;
    }
    row_clear(&c->rows[li]);
    return &c->rows[li];
}

static void fill_row(import_ctx *c, import_layer *il, const map_rule *r,
                     OGRFeatureH f, row *rw, OGRGeometryH g)
{
    attrs *a = &c->a;
    if (a->n)
        memset(a->used, 0, (size_t)a->n);
    map_rule_fill(r, il->m, a, il->name, (long long)OGR_F_GetFID(f),
                  il->file_source, rw);
    int bad[ROW_MAX_COLS], nbad;
    row_coerce(rw, bad, &nbad);
    for (int i = 0; i < nbad; i++)
        a->used[bad[i]] = 0;   /* keep the raw value in props */
    const char *lid = rw->layer->id;
    if (!strcmp(lid, "buildings") || !strcmp(lid, "building_parts")) {
        row_set_real(rw, "area_m2", measure_area_m2(g));
        height_apply(rw, il->m);
    }
    char *props = attrs_props_json(a);
    if (props)
        row_set_text(rw, "props", props, -1);
    free(props);
}

/* Roads: one row per line, with length, graph nodes and a default speed. */
static int write_roads(import_ctx *c, import_layer *il, row *rw, OGRGeometryH multi,
                       ct_err *err)
{
    int n = OGR_G_GetGeometryCount(multi);
    char base[768];
    snprintf(base, sizeof base, "%s", row_text(rw, row_col(rw, "id")));
    double speed;
    if (!row_num(rw, row_col(rw, "speed_kmh"), &speed) || speed <= 0)
        row_set_real(rw, "speed_kmh",
                     mapping_default_speed(il->m, row_text(rw, row_col(rw, "class"))));
    /* unknown flags mean "no": a router needs a value */
    static const char *const flags[] = {"oneway", "bridge", "tunnel"};
    for (int i = 0; i < 3; i++)
        if (row_col(rw, flags[i]) >= 0 && rw->type[row_col(rw, flags[i])] == ROW_NULL)
            row_set_int(rw, flags[i], 0);
    for (int k = 0; k < n; k++) {
        OGRGeometryH line = OGR_G_GetGeometryRef(multi, k);
        if (n > 1) {
            char id[800];
            snprintf(id, sizeof id, "%s:%d", base, k + 1);
            row_set_text(rw, "id", id, -1);
        }
        int np = OGR_G_GetPointCount(line);
        long long from, to;
        int rc = writer_node(&c->w, OGR_G_GetX(line, 0), OGR_G_GetY(line, 0), &from, err);
        if (!rc)
            rc = writer_node(&c->w, OGR_G_GetX(line, np - 1), OGR_G_GetY(line, np - 1),
                             &to, err);
        if (rc)
            return rc;
        row_set_int(rw, "node_from", from);
        row_set_int(rw, "node_to", to);
        row_set_real(rw, "length_m", measure_length_m(line));
        if ((rc = writer_put(&c->w, rw, line, err)))
            return rc;
    }
    return n;
}

static int apply_rule(import_ctx *c, import_layer *il, int ri, OGRFeatureH f,
                      OGRGeometryH g, ct_err *err)
{
    const map_rule *r = mapping_rule(il->m, il->rules[ri]);
    const layer_def *to = il->targets[ri];
    shape_out s = validity_shape(g, to->geom, c->o->strict,
                                 c->have_clip ? &c->cl : NULL);
    if (!s.geom)
        return reject(c, il, f, s.reason, to, err);
    il->st->repaired += s.repaired;
    il->st->clipped += s.clipped;
    row *rw = row_for(c, to);
    fill_row(c, il, r, f, rw, s.geom);
    int rc, rows = 1;
    if (to->geom == LAYER_LINE) {
        rc = write_roads(c, il, rw, s.geom, err);
        rows = rc > 0 ? rc : 0;
        rc = rc < 0 ? rc : CT_OK;
    } else {
        rc = writer_put(&c->w, rw, s.geom, err);
    }
    OGR_G_DestroyGeometry(s.geom);
    if (rc)
        return rc;
    il->st->to[to - LAYERS] += rows;
    il->st->written += rows;
    if (!strcmp(to->id, "districts"))
        c->touched_districts = 1;
    return CT_OK;
}

int import_feature(import_ctx *c, import_layer *il, OGRFeatureH f, ct_err *err)
{
    il->st->read++;
    read_attrs(il, f, &c->a);
    OGRGeometryH src = OGR_F_GetGeometryRef(f);
    int kind = src ? validity_kind(src) : 0;
    OGRGeometryH g = NULL;
    int prepared = 0, owned = 0, why = GR_OK, matched = 0, rc = CT_OK;
    for (int ri = 0; ri < il->nrules && !rc; ri++) {
        const map_rule *r = mapping_rule(il->m, il->rules[ri]);
        if (!map_rule_matches(r, kind, &c->a))
            continue;
        matched = 1;
        if (!prepared) {
            why = prepare_geom(il, src, &g, &owned);
            prepared = 1;
        }
        if (why != GR_OK)
            rc = reject(c, il, f, why, il->targets[ri], err);
        else
            rc = apply_rule(c, il, ri, f, g, err);
        if (!map_rule_continues(r))
            break;
    }
    if (!matched)
        il->st->unmapped++;
    if (g && owned)
        OGR_G_DestroyGeometry(g);
    return rc;
}
