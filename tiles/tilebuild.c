/* tiles/tilebuild.c: one tile's content, leaf or parent (see tilebuild.h). */
#include "tiles/tilebuild.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spatial/store.h"
#include "tiles/geodesy.h"

#define RAD (M_PI / 180.0)

static const char *const LAYER[2] = {"buildings", "building_parts"};

uint64_t tiles_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (uint64_t)n;
}

int worker_open(worker *w, const build_shared *sh, ct_err *err)
{
    memset(w, 0, sizeof *w);
    w->sh = sh;
    mesh_init(&w->m);
    ftable_init(&w->f);
    fp_init(&w->g);
    if (extrude_init(&w->x))
        return ct_fail(err, CT_ENOMEM, "tiles: cannot start GEOS");
    int rc = store_open(sh->opts->store, STORE_READONLY, &w->db, err);
    if (rc)
        return rc;
    if (sh->opts->dem && (rc = dem_open(sh->opts->dem, &w->dem, err)))
        return rc;
    for (int l = 0; l < 2; l++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT id, name, kind, height, min_height, levels, district,"
                 " source, geom, %s FROM \"%s\" WHERE fid IN (SELECT pkid FROM"
                 " \"idx_%s_geom\" WHERE xmax >= ?1 AND xmin <= ?2 AND"
                 " ymax >= ?3 AND ymin <= ?4) ORDER BY fid",
                 l ? "building_id" : "NULL", LAYER[l], LAYER[l]);
        if (sqlite3_prepare_v2(w->db, sql, -1, &w->q[l], NULL) != SQLITE_OK) {
            if (l == 1)
                continue;  /* a store without parts is fine */
            return ct_fail(err, CT_EFORMAT, "tiles: store %s: cannot query %s: %s",
                           sh->opts->store, LAYER[l], sqlite3_errmsg(w->db));
        }
    }
    return CT_OK;
}

void worker_close(worker *w)
{
    for (int l = 0; l < 2; l++)
        sqlite3_finalize(w->q[l]);
    store_close(w->db);
    dem_close(w->dem);
    extrude_free(&w->x);
    mesh_free(&w->m);
    ftable_free(&w->f);
    fp_free(&w->g);
    gbuf_free(&w->glb);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_parts(const build_shared *sh, const char *id)
{
    return sh->nparts_of > 0 &&
           bsearch(&id, sh->parts_of, (size_t)sh->nparts_of, sizeof(char *),
                   cmp_str) != NULL;
}

static void region_add(node_out *o, double lon, double lat, double z0, double z1)
{
    double x = lon * RAD, y = lat * RAD;
    if (!o->has_region) {
        o->region[0] = o->region[2] = x;
        o->region[1] = o->region[3] = y;
        o->region[4] = z0;
        o->region[5] = z1;
        o->has_region = 1;
        return;
    }
    o->region[0] = fmin(o->region[0], x);
    o->region[1] = fmin(o->region[1], y);
    o->region[2] = fmax(o->region[2], x);
    o->region[3] = fmax(o->region[3], y);
    o->region[4] = fmin(o->region[4], z0);
    o->region[5] = fmax(o->region[5], z1);
}

/* Geodetic points of g -> local metres east/north of the frame. */
static void to_local(const geo_frame *fr, fp_geom *g)
{
    for (int i = 0; i < g->npts; i++) {
        double e[3];
        geo_ecef(g->pt[2 * i], g->pt[2 * i + 1], 0.0, e);
        double d[3] = {e[0] - fr->origin[0], e[1] - fr->origin[1],
                       e[2] - fr->origin[2]};
        g->pt[2 * i] = d[0] * fr->east[0] + d[1] * fr->east[1] + d[2] * fr->east[2];
        g->pt[2 * i + 1] =
            d[0] * fr->north[0] + d[1] * fr->north[1] + d[2] * fr->north[2];
    }
}

static const char *col_text(sqlite3_stmt *st, int c)
{
    const unsigned char *t = sqlite3_column_text(st, c);
    return t ? (const char *)t : "";
}

/* Ground under a footprint (lon/lat in w->g): the DEM's lowest value at
 * its points, so no wall floats on a slope; 0 without --dem. */
static double ground_height(worker *w)
{
    if (!w->dem)
        return 0.0;
    double low = INFINITY;
    for (int i = 0; i < w->g.npts; i++) {
        double z = dem_sample(w->dem, w->g.pt[2 * i], w->g.pt[2 * i + 1]);
        if (isfinite(z) && z < low)
            low = z;
    }
    if (isfinite(low))
        return low;
    w->st.dem_missing++;
    return 0.0;
}

/* One feature row of a leaf: extrude it and offer it to the LOD set. */
static int leaf_row(worker *w, sqlite3_stmt *st, int layer, const plan_node *pn,
                    const geo_frame *fr, node_out *o)
{
    const unsigned char *blob = sqlite3_column_blob(st, 8);
    int size = sqlite3_column_bytes(st, 8);
    int gx, gy, rc;
    double ax, ay;
    ct_err e;
    if (fp_parse_blob(blob, size, &w->g, &e)) {
        /* header readable (else planning counted it) but body not usable */
        double mbr[4];
        int np, nr;
        if (fp_blob_summary(blob, size, mbr, &np, &nr) != CT_OK)
            return CT_OK;
        plan_anchor(mbr, &ax, &ay);
        plan_cell(w->sh->plan, ax, ay, &gx, &gy);
        if (!plan_owns(pn, gx, gy))
            return CT_OK;
        w->st.features++;
        w->st.bad_geometry++;
        w->st.unbuilt++;
        return CT_OK;
    }
    plan_anchor(w->g.mbr, &ax, &ay);
    plan_cell(w->sh->plan, ax, ay, &gx, &gy);
    if (!plan_owns(pn, gx, gy))
        return CT_OK;  /* anchored in a neighbour tile */
    w->st.features++;
    const char *id = col_text(st, 0);
    if (layer == 0 && has_parts(w->sh, id)) {
        w->st.hidden_outlines++;
        return CT_OK;
    }
    int levels = sqlite3_column_type(st, 5) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 5);
    double h = sqlite3_column_double(st, 3), mh = sqlite3_column_double(st, 4);
    if (sqlite3_column_type(st, 3) == SQLITE_NULL || h <= 0) {
        h = levels > 0 ? 3.0 * levels : 10.0;
        w->st.height_defaulted++;
    }
    if (mh < 0)
        mh = 0;
    if (h <= mh) {
        w->st.bad_height++;
        w->st.unbuilt++;
        return CT_OK;
    }
    double ground = ground_height(w);
    to_local(fr, &w->g);
    if (fp_clean(&w->g, w->x.tol) == 0) {
        w->st.bad_geometry++;
        w->st.unbuilt++;
        return CT_OK;
    }
    uint32_t fid = (uint32_t)w->f.n;
    rc = extrude_footprint(&w->x, &w->m, &w->g, ground + mh, ground + h, mh > 0, fid);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        w->st.unbuilt++;
        return CT_OK;
    }
    const char *str[FT_NSTR] = {id, col_text(st, 1), col_text(st, 2), col_text(st, 6),
                                col_text(st, 7), layer ? col_text(st, 9) : ""};
    if (ftable_add(&w->f, str, (float)h, levels) < 0)
        return CT_ENOMEM;
    w->st.built++;
    region_add(o, w->g.mbr[0], w->g.mbr[1], ground + mh, ground + h);
    region_add(o, w->g.mbr[2], w->g.mbr[3], ground + mh, ground + h);
    double imp = fmax(h, sqrt(lod_area(&w->g)));
    return lod_offer(&o->lod, imp, &w->g, fr->lon, fr->lat, 1.0 / w->x.inv_n,
                     1.0 / w->x.inv_m, ground + mh, ground + h, (float)h, levels,
                     str);
}

static int build_leaf(worker *w, const plan_node *pn, const geo_frame *fr,
                      node_out *o, ct_err *err)
{
    double b[4];
    plan_bounds(w->sh->plan, pn, b);
    double px = 2 * w->sh->plan->cw, py = 2 * w->sh->plan->ch;
    if (w->dem) {
        int rc = dem_load(w->dem, b[0] - 2 * px, b[1] - 2 * py, b[2] + 2 * px,
                          b[3] + 2 * py, err);
        if (rc)
            return rc;
    }
    for (int l = 0; l < 2; l++) {
        sqlite3_stmt *st = w->q[l];
        if (!st)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_double(st, 1, b[0] - px);
        sqlite3_bind_double(st, 2, b[2] + px);
        sqlite3_bind_double(st, 3, b[1] - py);
        sqlite3_bind_double(st, 4, b[3] + py);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int r = leaf_row(w, st, l, pn, fr, o);
            if (r)
                return ct_fail(err, r, "tiles: out of memory in tile %d/%d/%d",
                               pn->level, pn->tx, pn->ty);
        }
        if (rc != SQLITE_DONE)
            return ct_fail(err, CT_EIO, "tiles: reading %s for tile %d/%d/%d: %s",
                           LAYER[l], pn->level, pn->tx, pn->ty,
                           sqlite3_errmsg(w->db));
    }
    o->ge = 0.0;
    return CT_OK;
}

/* A parent: merge the children's LOD sets, draw the kept ones as boxes. */
static int build_parent(worker *w, const plan_node *pn, const geo_frame *fr,
                        node_out *outs, node_out *o, ct_err *err)
{
    double ge = 0.0;
    for (int c = 0; c < pn->nchild; c++) {
        node_out *co = &outs[pn->child[c]];
        if (lod_merge(&o->lod, &co->lod))
            return ct_fail(err, CT_ENOMEM, "tiles: out of memory merging LOD");
        ge = fmax(ge, co->ge);
        if (co->has_region) {
            region_add(o, co->region[0] / RAD, co->region[1] / RAD, co->region[4],
                       co->region[5]);
            region_add(o, co->region[2] / RAD, co->region[3] / RAD, co->region[4],
                       co->region[5]);
        }
    }
    /* error if drawn instead of the children: the largest feature left
     * out, at least the boxes' own simplification (a few metres) */
    o->ge = fmax(fmax(ge, o->lod.omitted), 4.0);
    if (plan_extent_m(w->sh->plan, pn) > PLAN_MAX_CONTENT_M)
        return CT_OK;  /* too wide to draw in one local frame: no content */
    lod_sort(&o->lod);
    for (int i = 0; i < o->lod.n; i++) {
        const lod_item *it = &o->lod.it[i];
        fp_reset(&w->g);
        if (fp_begin_polygon(&w->g) || fp_begin_ring(&w->g))
            return ct_fail(err, CT_ENOMEM, "tiles: out of memory");
        for (int c = 0; c < 4; c++)
            if (fp_add_point(&w->g, it->ll[2 * c], it->ll[2 * c + 1]))
                return ct_fail(err, CT_ENOMEM, "tiles: out of memory");
        for (int c = 0; c < 4; c++)
            region_add(o, it->ll[2 * c], it->ll[2 * c + 1], it->zmin, it->ztop);
        to_local(fr, &w->g);
        if (fp_clean(&w->g, w->x.tol) == 0)
            continue;
        int rc = extrude_footprint(&w->x, &w->m, &w->g, it->zmin, it->ztop, 0,
                                   (uint32_t)w->f.n);
        if (rc < 0)
            return ct_fail(err, rc, "tiles: out of memory");
        if (rc == 0)
            continue;
        const char *str[FT_NSTR];
        for (int c = 0; c < FT_NSTR; c++)
            str[c] = it->str[c];
        if (ftable_add(&w->f, str, it->height, it->levels) < 0)
            return ct_fail(err, CT_ENOMEM, "tiles: out of memory");
    }
    return CT_OK;
}

static int write_content(worker *w, const plan_node *pn, node_out *o, ct_err *err)
{
    snprintf(o->uri, sizeof o->uri, "content/%d_%d_%d.glb", pn->level, pn->tx,
             pn->ty);
    int rc = gltf_write_glb(&w->m, &w->f, w->sh->opts->compress, &w->glb, err);
    if (rc)
        return rc;
    o->has_content = 1;
    o->tris = (long)(w->m.ni / 3);
    o->bytes = w->glb.len;
    o->hash = tiles_hash(w->glb.p, w->glb.len);
    char path[4096], tmp[4200], hex[17];
    snprintf(path, sizeof path, "%s/%s", w->sh->opts->out, o->uri);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)o->hash);
    const char *old = w->sh->old_manifest
                          ? json_string_value(json_object_get(w->sh->old_manifest, o->uri))
                          : NULL;
    struct stat sb;
    if (old && !strcmp(old, hex) && stat(path, &sb) == 0 &&
        (size_t)sb.st_size == w->glb.len) {
        w->st.unchanged++;
        return CT_OK;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return ct_fail(err, CT_EIO, "tiles: cannot write %s: %s", tmp, strerror(errno));
    size_t n = fwrite(w->glb.p, 1, w->glb.len, f);
    if (fclose(f) != 0 || n != w->glb.len || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return ct_fail(err, CT_EIO, "tiles: cannot write %s: %s", path, strerror(e));
    }
    w->st.written++;
    return CT_OK;
}

/* Boxes a parent shows: at most lod_k, and a sixteenth of the features
 * below it, so all parents together stay a fraction of the leaves. A
 * leaf collects as many as its parent shows. */
static int lod_budget(const build_shared *sh, const plan_node *parent)
{
    long k = parent->count / 16;
    if (k < 16)
        k = 16;
    return k < sh->lod_k ? (int)k : sh->lod_k;
}

int worker_build(worker *w, int k, node_out *outs, ct_err *err)
{
    const plan_node *pn = &w->sh->plan->nodes[k];
    node_out *o = &outs[k];
    double b[4];
    geo_frame fr;
    plan_bounds(w->sh->plan, pn, b);
    geo_frame_init(&fr, 0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]), 0.0);
    extrude_set_latitude(&w->x, fr.lat);
    mesh_reset(&w->m);
    ftable_reset(&w->f);
    const plan_node *shown_by = pn->nchild || pn->parent < 0
                                    ? pn : &w->sh->plan->nodes[pn->parent];
    lod_init(&o->lod, lod_budget(w->sh, shown_by));
    int rc = pn->nchild ? build_parent(w, pn, &fr, outs, o, err)
                        : build_leaf(w, pn, &fr, o, err);
    if (rc)
        return rc;
    w->st.tiles++;
    if (!pn->nchild)
        w->st.leaves++;
    if (w->m.ni == 0)
        return CT_OK;
    w->st.triangles += (long long)(w->m.ni / 3);
    rc = write_content(w, pn, o, err);
    if (rc == CT_OK) {
        w->st.contents++;
        w->st.bytes += (long long)o->bytes;
    }
    return rc;
}
