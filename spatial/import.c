/* spatial/import.c: an import from start to commit (see import.h): check
 * every input before touching the store, then read each source layer by
 * layer inside one transaction, assign districts, record the import, and
 * commit, or roll back (and remove a store this import created). */
#include "spatial/import.h"
#include "spatial/import_replace.h"

#include <cpl_error.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ct_progress.h"
#include "spatial/district.h"
#include "spatial/import_priv.h"
#include "spatial/store.h"

static const char *const BUILTINS[3] = {"native", "tilezen", "osm"};

/* A path that must exist (not a connection string like PG:... or /vsi...). */
static int is_file_path(const char *s)
{
    return strncmp(s, "PG:", 3) != 0 && strncmp(s, "/vsi", 4) != 0 &&
           !strstr(s, "://");
}

static int open_source(const char *src, GDALDatasetH *ds, ct_err *err)
{
    struct stat sb;
    *ds = NULL;
    if (is_file_path(src) && stat(src, &sb) != 0)
        return ct_fail(err, CT_ENOTFOUND, "%s: no such file or directory", src);
    if (is_file_path(src) && S_ISREG(sb.st_mode) && sb.st_size == 0)
        return ct_fail(err, CT_EFORMAT, "%s: empty file (no GIS data in it)", src);
    CPLErrorReset();
    *ds = GDALOpenEx(src, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!*ds) {
        /* a known format without vector data: e.g. a GeoPackage with no tables */
        GDALDriverH drv = GDALIdentifyDriver(src, NULL);
        if (drv)
            return ct_fail(err, CT_EFORMAT,
                           "%s: a %s file with no vector layers that can be read "
                           "(empty or corrupt)", src, GDALGetDriverShortName(drv));
        const char *why = CPLGetLastErrorMsg();
        return ct_fail(err, CT_EFORMAT,
                       "%s: not a readable GIS vector source (unknown format or "
                       "corrupt file)%s%s", src, why && *why ? ": " : "",
                       why ? why : "");
    }
    if (GDALDatasetGetLayerCount(*ds) == 0) {
        GDALClose(*ds);
        *ds = NULL;
        return ct_fail(err, CT_EFORMAT, "%s: contains no vector layers", src);
    }
    return CT_OK;
}

static mapping *builtin(import_ctx *c, int i, ct_err *err)
{
    if (!c->builtin[i] && mapping_load(BUILTINS[i], &c->builtin[i], err))
        return NULL;
    return c->builtin[i];
}

/* The mapping for a source: --map, or the first built-in that detects it. */
static mapping *pick_mapping(import_ctx *c, GDALDatasetH ds, const char *src,
                             ct_err *err)
{
    if (c->user_map)
        return c->user_map;
    int n = GDALDatasetGetLayerCount(ds);
    const char **names = calloc((size_t)n, sizeof *names);
    const char ***fields = calloc((size_t)n, sizeof *fields);
    mapping *found = NULL;
    char list[512] = "";
    size_t len = 0;
    for (int i = 0; names && fields && i < n; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
        names[i] = OGR_L_GetName(l);
        fields[i] = calloc((size_t)OGR_FD_GetFieldCount(d) + 1, sizeof **fields);
        for (int k = 0; fields[i] && k < OGR_FD_GetFieldCount(d); k++)
            fields[i][k] = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, k));
        if (len < sizeof list - 1)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                    i ? ", " : "", names[i]);
    }
    for (int b = 0; b < 3 && !found && names && fields; b++) {
        mapping *m = builtin(c, b, err);
        if (!m)
            break;
        if (mapping_detect(m, n, names, (const char *const *const *)fields))
            found = m;
    }
    if (!found && names && fields && (!err || err->code == CT_OK))
        ct_fail(err, CT_EFORMAT,
                "%s: no built-in mapping (native, tilezen, osm) fits its layers "
                "(%s); give --map", src, list);
    for (int i = 0; fields && i < n; i++)
        free(fields[i]);
    free(fields);
    free(names);
    return found;
}

static void layer_free(import_layer *il)
{
    if (il->rp_ready)
        reproj_close(&il->rp);
    free(il->rules);
    free(il->targets);
    free(il->fname);
    free(il->ftype);
}

/* Set up one source layer: its rules, fields and transform. *skip when no
 * rule applies to it. */
static int layer_open(import_ctx *c, import_layer *il, OGRLayerH l, mapping *m,
                      const char *src, int *skip, ct_err *err)
{
    memset(il, 0, sizeof *il);
    il->l = l;
    il->name = OGR_L_GetName(l);
    il->source = src;
    il->m = m;
    int n = mapping_rule_count(m);
    il->rules = calloc((size_t)n, sizeof *il->rules);
    il->targets = calloc((size_t)n, sizeof *il->targets);
    if (!il->rules || !il->targets)
        return ct_fail(err, CT_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        const map_rule *r = mapping_rule(m, i);
        const layer_def *to = map_rule_target(r, il->name);
        if (to && map_rule_layer_ok(r, il->name)) {
            il->rules[il->nrules] = i;
            il->targets[il->nrules++] = to;
        }
    }
    *skip = il->nrules == 0;
    if (*skip)
        return CT_OK;
    if (OGR_L_GetGeomType(l) == wkbNone)
        return ct_fail(err, CT_EFORMAT, "%s: layer %s has no geometry column",
                       src, il->name);
    il->st = import_report_add(c->rep, src, il->name, mapping_name(m));
    il->st_index = c->rep->nlayers - 1;
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    il->nfields = OGR_FD_GetFieldCount(d);
    il->fname = calloc((size_t)il->nfields + 1, sizeof *il->fname);
    il->ftype = calloc((size_t)il->nfields + 1, sizeof *il->ftype);
    if (!il->st || !il->fname || !il->ftype)
        return ct_fail(err, CT_ENOMEM, "out of memory");
    il->other_tags = -1;
    for (int i = 0; i < il->nfields; i++) {
        OGRFieldDefnH fd = OGR_FD_GetFieldDefn(d, i);
        OGRFieldType t = OGR_Fld_GetType(fd);
        il->fname[i] = OGR_Fld_GetNameRef(fd);
        il->ftype[i] = t == OFTInteger || t == OFTInteger64 ? ATTRS_INT
                       : t == OFTReal ? ATTRS_REAL : ATTRS_TEXT;
        if (!strcmp(il->fname[i], "other_tags"))
            il->other_tags = i;
    }
    OGREnvelope env;
    int have_env = OGR_L_GetExtent(l, &env, 0) == OGRERR_NONE;
    char what[700];
    snprintf(what, sizeof what, "%s: layer %s", src, il->name);
    int rc = reproj_open(&il->rp, OGR_L_GetSpatialRef(l), c->o->s_srs,
                         have_env ? &env : NULL, what, err);
    il->rp_ready = rc == CT_OK;
    snprintf(il->st->crs, sizeof il->st->crs, "%s", il->rp.desc);
    return rc;
}

static int read_layer(import_ctx *c, import_layer *il, ct_progress *p, ct_err *err)
{
    OGRFeatureH f;
    int rc = CT_OK;
    OGR_L_ResetReading(il->l);
    CPLErrorReset();
    while (!rc && (f = OGR_L_GetNextFeature(il->l))) {
        rc = import_feature(c, il, f, err);
        OGR_F_Destroy(f);
        ct_progress_step(p, 1);
    }
    /* GetNextFeature also ends on a read error: a truncated or corrupt file */
    if (!rc && CPLGetLastErrorType() >= CE_Failure)
        rc = ct_fail(err, CT_EFORMAT, "%s: layer %s: read error after %lld features "
                     "(corrupt file?): %s", il->source, il->name, il->st->read,
                     CPLGetLastErrorMsg());
    return rc;
}

static int is_osm(GDALDatasetH ds)
{
    GDALDriverH d = GDALGetDatasetDriver(ds);
    return d && !strcmp(GDALGetDriverShortName(d), "OSM");
}

/* OSM XML/PBF: features of all layers come interleaved in file order; read
 * layer by layer, GDAL would buffer (or refuse, on big files) the others. */
static int read_interleaved(import_ctx *c, GDALDatasetH ds, import_layer *ils,
                            const int *skip, int n, ct_progress *p, ct_err *err)
{
    OGRFeatureH f;
    OGRLayerH l;
    int rc = CT_OK;
    GDALDatasetResetReading(ds);
    CPLErrorReset();
    while (!rc && (f = GDALDatasetGetNextFeature(ds, &l, NULL, NULL, NULL))) {
        for (int i = 0; i < n; i++)
            if (ils[i].l == l && !skip[i]) {
                rc = import_feature(c, &ils[i], f, err);
                break;
            }
        OGR_F_Destroy(f);
        ct_progress_step(p, 1);
    }
    if (!rc && CPLGetLastErrorType() >= CE_Failure)
        rc = ct_fail(err, CT_EFORMAT, "%s: read error (corrupt file?): %s",
                     ils[0].source, CPLGetLastErrorMsg());
    return rc;
}

/* The error for a source that gave no row, naming why. */
static int nothing_imported(import_ctx *c, int first, const char *src,
                            long long read, long long rejected, const mapping *m,
                            ct_err *err)
{
    char why[256] = "";
    size_t n = 0;
    for (int k = 1; k < GR_NREASONS; k++) {
        long long cnt = 0;
        for (int i = first; i < c->rep->nlayers; i++)
            cnt += c->rep->layers[i].reason[k];
        if (cnt && n < sizeof why - 1)
            n += (size_t)snprintf(why + n, sizeof why - n, "%s%s %lld",
                                  n ? ", " : "", validity_reason_name(k), cnt);
    }
    if (rejected)
        return ct_fail(err, CT_EFORMAT,
                       "%s: nothing imported: all %lld features matched by mapping "
                       "'%s' were rejected (%s)", src, rejected, mapping_name(m), why);
    return ct_fail(err, CT_EFORMAT,
                   "%s: nothing imported: %lld features read, none matched a rule "
                   "of mapping '%s'", src, read, mapping_name(m));
}

static int import_one(import_ctx *c, const char *src, ct_err *err)
{
    GDALDatasetH ds;
    int rc = open_source(src, &ds, err);
    if (rc)
        return rc;
    mapping *m = pick_mapping(c, ds, src, err);
    if (!m) {
        GDALClose(ds);
        return err ? err->code : CT_EFORMAT;
    }
    char *dup = strdup(src);
    const char *file_source = dup ? basename(dup) : src;
    int n = GDALDatasetGetLayerCount(ds);
    long long before = 0, total = 0, rejected = 0, read = 0;
    int first = c->rep->nlayers;
    for (int i = 0; i < n; i++) {
        GIntBig k = OGR_L_GetFeatureCount(GDALDatasetGetLayer(ds, i), 0);
        total += k > 0 ? k : 0;
    }
    ct_progress p;
    ct_progress_start(&p, src, total);
    size_t nl = n > 0 ? (size_t)n : 1;
    import_layer *ils = calloc(nl, sizeof *ils);
    int *skip = calloc(nl, sizeof *skip);
    if (!ils || !skip)
        rc = ct_fail(err, CT_ENOMEM, "out of memory");
    for (int i = 0; i < n && !rc; i++) {
        rc = layer_open(c, &ils[i], GDALDatasetGetLayer(ds, i), m, src, &skip[i], err);
        ils[i].file_source = file_source;
    }
    /* Adding report slots may have moved the array: point at the final one. */
    for (int i = 0; i < n && !rc; i++)
        if (ils[i].st)
            ils[i].st = &c->rep->layers[ils[i].st_index];
    if (!rc && is_osm(ds))
        rc = read_interleaved(c, ds, ils, skip, n, &p, err);
    for (int i = 0; i < n && !rc && !is_osm(ds); i++)
        if (!skip[i])
            rc = read_layer(c, &ils[i], &p, err);
    for (int i = 0; ils && i < n; i++)
        layer_free(&ils[i]);
    free(ils);
    free(skip);
    ct_progress_end(&p);
    for (int i = first; i < c->rep->nlayers; i++) {
        before += c->rep->layers[i].written;
        read += c->rep->layers[i].read;
        for (int k = 1; k < GR_NREASONS; k++)
            rejected += c->rep->layers[i].reason[k];
    }
    if (!rc && before == 0)
        rc = nothing_imported(c, first, src, read, rejected, m, err);
    free(dup);
    GDALClose(ds);
    return rc;
}

static char *join_sources(const import_opts *o)
{
    size_t n = 1;
    for (int i = 0; i < o->nsources; i++)
        n += strlen(o->sources[i]) + 1;
    char *s = calloc(n, 1);
    for (int i = 0; s && i < o->nsources; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, o->sources[i]);
    }
    return s;
}

static int record_import(import_ctx *c, ct_err *err)
{
    sqlite3_stmt *st;
    char *srcs = join_sources(c->o);
    char *json = import_report_json(c->rep);
    int rc = CT_OK;
    if (sqlite3_prepare_v2(c->db, "INSERT INTO imports(started, source, mapping, report)"
                           " VALUES(strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return ct_fail(err, CT_EIO, "store: %s", sqlite3_errmsg(c->db));
    sqlite3_bind_text(st, 1, srcs, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->o->map ? c->o->map : "auto", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = ct_fail(err, CT_EIO, "store: cannot record the import: %s",
                     sqlite3_errmsg(c->db));
    sqlite3_finalize(st);
    free(srcs);
    free(json);
    return rc;
}

static long long count_rows(sqlite3 *db, const char *table)
{
    char sql[128];
    sqlite3_stmt *st;
    long long n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Everything that can be checked without the store. */
static int check_inputs(import_ctx *c, ct_err *err)
{
    const import_opts *o = c->o;
    if (o->nsources <= 0)
        return ct_fail(err, CT_EINVAL, "no source given");
    int rc = reproj_check(o->s_srs, err);
    for (int i = 0; !rc && i < o->nsources; i++) {
        GDALDatasetH ds;
        rc = open_source(o->sources[i], &ds, err);
        if (ds)
            GDALClose(ds);
    }
    if (!rc && o->map)
        rc = mapping_load(o->map, &c->user_map, err);
    if (!rc && o->clip) {
        rc = clip_open(&c->cl, o->clip, err);
        c->have_clip = rc == CT_OK;
    }
    return rc;
}

/* mkdir -p of the store's folder. */
static int make_parent_dir(const char *path)
{
    char *dup = strdup(path);
    if (!dup)
        return -1;
    char *dir = dirname(dup);
    int rc = 0;
    for (char *p = dir + 1; *p && !rc; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (!rc && mkdir(dir, 0755) != 0 && errno != EEXIST)
        rc = -1;
    free(dup);
    return rc;
}

static int run(import_ctx *c, ct_err *err)
{
    /* A store this import creates is nobody else's yet: a rollback journal
     * writes each page once, where WAL writes it twice (log, checkpoint).
     * WAL is put back after the commit. */
    int rc = CT_OK;
    if (c->fresh_store)
        rc = store_exec(c->db, "PRAGMA journal_mode=DELETE", err);
    if (!rc)
        rc = store_exec(c->db, "PRAGMA temp_store=MEMORY; BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = writer_open(&c->w, c->db, err);
    sqlite3_stmt *seen = NULL;
    if (!rc && c->o->replace && !(rc = replace_begin(c->db, &seen, err)))
        c->w.seen = seen;
    for (int i = 0; !rc && i < c->o->nsources; i++)
        rc = import_one(c, c->o->sources[i], err);
    if (!rc)
        rc = writer_finish(&c->w, err);
    if (!rc && seen) {
        c->w.seen = NULL;
        rc = replace_prune(c->db, seen, c->rep->removed, err);
        seen = NULL;
        for (int k = 0; k < WRITER_MAX_LAYERS; k++)
            c->rep->removed_total += c->rep->removed[k];
    }
    sqlite3_finalize(seen);   /* left over when something failed first */
    if (!rc)
        rc = district_assign(c->db, c->touched_districts,
                             &c->rep->districts_assigned, err);
    import_report_total(c->rep);
    c->rep->road_nodes = count_rows(c->db, "road_nodes");
    c->rep->seconds = ct_now() - c->t0;
    if (!rc)
        rc = record_import(c, err);
    /* the report is written before COMMIT: if it cannot be, nothing changes */
    if (!rc && c->o->report)
        rc = import_report_write(c->rep, c->o->report, err);
    c->report_done = !rc;
    writer_close(&c->w);
    if (!rc)
        rc = store_exec(c->db, "COMMIT", err);
    if (!rc && c->fresh_store) {
        ct_err ignore;   /* store_open sets WAL again anyway */
        store_exec(c->db, "PRAGMA journal_mode=WAL", &ignore);
    }
    if (rc) {
        /* the store goes back to what it was before BEGIN */
        ct_err ignore;
        store_exec(c->db, "ROLLBACK", &ignore);
    }
    return rc;
}

int import_sources(const import_opts *o, import_report *r, ct_err *err)
{
    static int registered;
    if (!registered) {
        GDALAllRegister();
        registered = 1;
    }
    import_report_init(r);
    ct_err_clear(err);
    import_ctx c;
    memset(&c, 0, sizeof c);
    c.t0 = ct_now();
    c.o = o;
    c.rep = r;
    attrs_init(&c.a);
    /* GDAL's messages are folded into ours instead of printed raw */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    const char *store = o->store ? o->store : STORE_DEFAULT_PATH;
    struct stat sb;
    int existed = stat(store, &sb) == 0;
    int rc = check_inputs(&c, err);
    if (!rc && !existed && make_parent_dir(store) != 0)
        rc = ct_fail(err, CT_EIO, "store %s: cannot create its folder: %m", store);
    if (!rc)
        rc = store_open(store, STORE_CREATE, &c.db, err);
    c.fresh_store = !existed;
    if (!rc)
        rc = run(&c, err);
    store_close(c.db);
    if (rc && !existed) {
        /* this import created the file: without it the store is as it was */
        char side[4096];
        unlink(store);
        snprintf(side, sizeof side, "%s-wal", store);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", store);
        unlink(side);
    }
    CPLPopErrorHandler();
    for (int i = 0; i < WRITER_MAX_LAYERS; i++)
        if (c.row_ready[i])
            row_free(&c.rows[i]);
    attrs_free(&c.a);
    for (int i = 0; i < 3; i++)
        mapping_free(c.builtin[i]);
    mapping_free(c.user_map);
    if (c.have_clip)
        clip_close(&c.cl);
    import_report_total(r);
    r->seconds = ct_now() - c.t0;
    if (o->report && !c.report_done) {
        /* a failed import still says how far it got */
        ct_err ignore;
        import_report_write(r, o->report, &ignore);
    }
    return rc;
}
