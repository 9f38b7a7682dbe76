/* spatial/writer.c: rows into the store (see writer.h). */
#include "spatial/writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/store.h"

int writer_ensure_nodes(sqlite3 *db, ct_err *err)
{
    sqlite3_stmt *st;
    int have = 0;
    if (store_exec(db,
            "CREATE TABLE IF NOT EXISTS road_nodes (id INTEGER PRIMARY KEY,"
            " ix INTEGER NOT NULL, iy INTEGER NOT NULL, UNIQUE(ix, iy))", err))
        return CT_EIO;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM geometry_columns WHERE "
                           "f_table_name='road_nodes'", -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(db));
    have = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (have)
        return CT_OK;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT AddGeometryColumn('road_nodes', 'geom', %d, 'POINT', 'XY');"
             "SELECT CreateSpatialIndex('road_nodes', 'geom');", STORE_SRID);
    return store_exec(db, sql, err) ? CT_EIO : CT_OK;
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **st, ct_err *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
        SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: cannot prepare (%s): %.200s",
                       sqlite3_errmsg(db), sql);
    return CT_OK;
}

int writer_open(writer *w, sqlite3 *db, ct_err *err)
{
    memset(w, 0, sizeof *w);
    w->db = db;
    int rc = writer_ensure_nodes(db, err);
    if (!rc)
        rc = prep(db, "INSERT INTO items(id, layer, fid) VALUES(?, ?, ?) "
                  "ON CONFLICT(id) DO UPDATE SET fid=excluded.fid "
                  "WHERE items.layer=excluded.layer", &w->item, err);
    if (!rc)
        rc = prep(db, "SELECT layer FROM items WHERE id=?", &w->who, err);
    if (!rc) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO road_nodes(ix, iy, geom) VALUES(?, ?, MakePoint(?, ?, %d)) "
                 "ON CONFLICT(ix, iy) DO UPDATE SET ix=excluded.ix RETURNING id",
                 STORE_SRID);
        rc = prep(db, sql, &w->node, err);
    }
    if (rc)
        writer_close(w);
    return rc;
}

/* Is the table empty? Then set its triggers aside (bulk mode). */
static int bulk_begin(writer *w, int slot, const char *table, ct_err *err)
{
    sqlite3_stmt *st;
    char sql[256];
    w->bulk_checked[slot] = 1;
    snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\")", table);
    if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(w->db));
    int has_rows = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (has_rows)
        return CT_OK;
    /* keep the triggers' own SQL, to restore them exactly */
    if (sqlite3_prepare_v2(w->db,
            "SELECT group_concat(sql, ';' || char(10)) || ';', group_concat("
            "'DROP TRIGGER \"' || name || '\"', ';') FROM sqlite_master"
            " WHERE type='trigger' AND tbl_name=?", -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(w->db));
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc = CT_OK;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        w->bulk_triggers[slot] = strdup((const char *)sqlite3_column_text(st, 0));
        char *drop = strdup((const char *)sqlite3_column_text(st, 1));
        if (!w->bulk_triggers[slot] || !drop)
            rc = ct_fail(err, CT_ENOMEM, "out of memory");
        else
            rc = store_exec(w->db, drop, err);
        free(drop);
    }
    sqlite3_finalize(st);
    return rc;
}

static int bulk_end(writer *w, int slot, const char *table, ct_err *err)
{
    char sql[1024];
    if (!w->bulk_triggers[slot])
        return CT_OK;

    snprintf(sql, sizeof sql,
             "DELETE FROM \"idx_%s_geom\";"
             "INSERT INTO \"idx_%s_geom\"(pkid, xmin, xmax, ymin, ymax)"
             " SELECT rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom)"
             " FROM \"%s\" WHERE geom IS NOT NULL;"
             "UPDATE geometry_columns_time SET last_insert ="
             " strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now')"
             " WHERE Lower(f_table_name) = Lower('%s');",
             table, table, table, table);
    int rc = store_exec(w->db, sql, err);
    if (!rc)
        rc = store_exec(w->db, w->bulk_triggers[slot], err);
    free(w->bulk_triggers[slot]);
    w->bulk_triggers[slot] = NULL;
    return rc;
}

int writer_finish(writer *w, ct_err *err)
{
    int rc = CT_OK;
    for (int i = 0; i < WRITER_MAX_LAYERS && i < layers_count() && !rc; i++)
        rc = bulk_end(w, i, LAYERS[i].id, err);
    if (!rc)
        rc = bulk_end(w, WRITER_MAX_LAYERS, "road_nodes", err);
    return rc;
}

void writer_close(writer *w)
{
    for (int i = 0; i <= WRITER_MAX_LAYERS; i++)
        free(w->bulk_triggers[i]);
    for (int i = 0; i < WRITER_MAX_LAYERS; i++)
        sqlite3_finalize(w->put[i]);
    sqlite3_finalize(w->item);
    sqlite3_finalize(w->who);
    sqlite3_finalize(w->node);
    free(w->wkb);
    free(w->nodes);
    memset(w, 0, sizeof *w);
}

/* The upsert of one layer, prepared on first use. */
static sqlite3_stmt *put_stmt(writer *w, const row *r, ct_err *err)
{
    int li = (int)(r->layer - LAYERS);
    if (li < 0 || li >= WRITER_MAX_LAYERS) {
        ct_fail(err, CT_EINVAL, "store: layer %s out of range", r->layer->id);
        return NULL;
    }
    if (w->put[li])
        return w->put[li];
    if (!w->bulk_checked[li] && bulk_begin(w, li, r->layer->id, err))
        return NULL;
    char cols[2048] = "", vals[1024] = "", set[4096] = "";
    size_t nc = 0, nv = 0, ns = 0;
    for (int i = 0; i < r->ncols; i++) {
        nc += (size_t)snprintf(cols + nc, sizeof cols - nc, "\"%s\", ", r->name[i]);
        nv += (size_t)snprintf(vals + nv, sizeof vals - nv, "?, ");
        if (strcmp(r->name[i], "id") != 0)
            ns += (size_t)snprintf(set + ns, sizeof set - ns,
                                   "\"%s\"=excluded.\"%s\", ", r->name[i],
                                   r->name[i]);
    }
    char sql[8192];
    snprintf(sql, sizeof sql,
             "INSERT INTO \"%s\"(%sgeom) VALUES(%sGeomFromWKB(?, %d)) "
             "ON CONFLICT(id) DO UPDATE SET %sgeom=excluded.geom RETURNING fid",
             r->layer->id, cols, vals, STORE_SRID, set);
    if (prep(w->db, sql, &w->put[li], err))
        return NULL;
    return w->put[li];
}

static int conflict(writer *w, const char *id, const char *layer, ct_err *err)
{
    char other[128] = "?";
    sqlite3_reset(w->who);
    sqlite3_bind_text(w->who, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(w->who) == SQLITE_ROW)
        snprintf(other, sizeof other, "%s", sqlite3_column_text(w->who, 0));
    sqlite3_reset(w->who);
    return ct_fail(err, CT_ECONFLICT,
                   "id '%s' for layer %s is already used by layer %s (give the "
                   "mapping rule its own id_prefix)", id, layer, other);
}

int writer_put(writer *w, const row *r, OGRGeometryH g, ct_err *err)
{
    sqlite3_stmt *st = put_stmt(w, r, err);
    if (!st)
        return CT_EIO;
    size_t need = (size_t)OGR_G_WkbSize(g);
    if (need > w->wkbcap) {
        unsigned char *b = realloc(w->wkb, need * 2);
        if (!b)
            return ct_fail(err, CT_ENOMEM, "out of memory for a geometry of %zu bytes",
                           need);
        w->wkb = b;
        w->wkbcap = need * 2;
    }
    OGR_G_ExportToWkb(g, wkbNDR, w->wkb);
    sqlite3_reset(st);
    for (int i = 0; i < r->ncols; i++) {
        int p = i + 1;
        switch (r->type[i]) {
        case ROW_TEXT:
            sqlite3_bind_text(st, p, r->buf + r->off[i], -1, SQLITE_STATIC);
            break;
        case ROW_REAL: sqlite3_bind_double(st, p, r->real[i]); break;
        case ROW_INT: sqlite3_bind_int64(st, p, r->integer[i]); break;
        default: sqlite3_bind_null(st, p); break;
        }
    }
    sqlite3_bind_blob(st, r->ncols + 1, w->wkb, (int)need, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        int rc = ct_fail(err, CT_EIO, "store: cannot write %s row '%s': %s",
                         r->layer->id, row_text(r, 0) ? row_text(r, 0) : "?",
                         sqlite3_errmsg(w->db));
        sqlite3_reset(st);
        return rc;
    }
    long long fid = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    const char *id = row_text(r, row_col(r, "id"));
    sqlite3_reset(w->item);
    sqlite3_bind_text(w->item, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->item, 2, r->layer->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w->item, 3, fid);
    if (sqlite3_step(w->item) != SQLITE_DONE)
        return ct_fail(err, CT_EIO, "store: cannot index id '%s': %s", id,
                       sqlite3_errmsg(w->db));
    if (sqlite3_changes(w->db) == 0)
        return conflict(w, id, r->layer->id, err);
    if (w->seen) {
        int cs = row_col(r, "source"), cl = row_col(r, "src_layer");
        sqlite3_reset(w->seen);
        sqlite3_bind_text(w->seen, 1, r->layer->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(w->seen, 2, cs >= 0 ? row_text(r, cs) : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(w->seen, 3, cl >= 0 ? row_text(r, cl) : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(w->seen, 4, id, -1, SQLITE_STATIC);
        if (sqlite3_step(w->seen) != SQLITE_DONE)
            return ct_fail(err, CT_EIO, "store: cannot note id '%s': %s", id,
                           sqlite3_errmsg(w->db));
    }
    return CT_OK;
}

static size_t node_hash(long long ix, long long iy, size_t cap)
{
    unsigned long long h = (unsigned long long)ix * 0x9E3779B97F4A7C15ull ^
                           (unsigned long long)iy * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* The slot of (ix, iy): its entry, or the empty slot where it belongs. */
static struct writer_node_slot *node_slot(writer *w, long long ix, long long iy)
{
    size_t i = node_hash(ix, iy, w->nodecap);
    while (w->nodes[i].id && (w->nodes[i].ix != ix || w->nodes[i].iy != iy))
        i = (i + 1) & (w->nodecap - 1);
    return &w->nodes[i];
}

/* Keep the table at most half full; 0 ok, -1 out of memory. */
static int node_grow(writer *w)
{
    if (w->nodecap && (w->nnodes + 1) * 2 <= w->nodecap)
        return 0;
    size_t oldcap = w->nodecap, cap = oldcap ? oldcap * 2 : 4096;
    struct writer_node_slot *old = w->nodes;
    w->nodes = calloc(cap, sizeof *w->nodes);
    if (!w->nodes) {
        w->nodes = old;
        return -1;
    }
    w->nodecap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].id)
            *node_slot(w, old[i].ix, old[i].iy) = old[i];
    free(old);
    return 0;
}

int writer_node(writer *w, double lon, double lat, long long *id, ct_err *err)
{
    if (!w->bulk_checked[WRITER_MAX_LAYERS] &&
        bulk_begin(w, WRITER_MAX_LAYERS, "road_nodes", err))
        return err ? err->code : CT_EIO;
    long long ix = llround(lon / WRITER_NODE_GRID);
    long long iy = llround(lat / WRITER_NODE_GRID);
    if (node_grow(w))
        return ct_fail(err, CT_ENOMEM, "out of memory for road nodes");
    struct writer_node_slot *slot = node_slot(w, ix, iy);
    if (slot->id) {
        *id = slot->id;
        return CT_OK;
    }
    sqlite3_reset(w->node);
    sqlite3_bind_int64(w->node, 1, ix);
    sqlite3_bind_int64(w->node, 2, iy);
    sqlite3_bind_double(w->node, 3, (double)ix * WRITER_NODE_GRID);
    sqlite3_bind_double(w->node, 4, (double)iy * WRITER_NODE_GRID);
    if (sqlite3_step(w->node) != SQLITE_ROW) {
        int rc = ct_fail(err, CT_EIO, "store: cannot write road node: %s",
                         sqlite3_errmsg(w->db));
        sqlite3_reset(w->node);
        return rc;
    }
    *id = sqlite3_column_int64(w->node, 0);
    sqlite3_reset(w->node);
    slot->ix = ix;
    slot->iy = iy;
    slot->id = *id;   /* SQLite ids start at 1, so 0 marks an empty slot */
    w->nnodes++;
    return CT_OK;
}
