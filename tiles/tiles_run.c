/* tiles/tiles_run.c: tiles_build(): plan, build on N threads (leaves
 * first, a parent as soon as its children are done, so LOD sets are
 * freed early), then write tileset.json, manifest.json, report.json and
 * remove contents that no longer exist. See tiles.h. */
#include "tiles/tiles.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ct_progress.h"
#include "spatial/store.h"
#include "tiles/tilebuild.h"
#include "tiles/tileset.h"

static const char *const LAYERS[] = {"buildings", "building_parts", NULL};

void tiles_opts_default(tiles_opts *o)
{
    memset(o, 0, sizeof *o);
    o->store = STORE_DEFAULT_PATH;
    o->out = TILES_DEFAULT_OUT;
    o->compress = GLTF_MESHOPT;
    o->jobs = 0;
    o->max_triangles = 100000;
    o->max_features = 20000;
}

typedef struct sched {
    const build_shared *sh;
    node_out *outs;
    int *ready, nready;
    int *pending;
    int remaining;
    int failed;
    ct_err err;
    ct_progress prog;
    tiles_report total;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} sched;

static void add_report(tiles_report *a, const tiles_report *b)
{
    a->features += b->features;
    a->built += b->built;
    a->hidden_outlines += b->hidden_outlines;
    a->unbuilt += b->unbuilt;
    a->bad_geometry += b->bad_geometry;
    a->bad_height += b->bad_height;
    a->height_defaulted += b->height_defaulted;
    a->dem_missing += b->dem_missing;
    a->tiles += b->tiles;
    a->leaves += b->leaves;
    a->contents += b->contents;
    a->written += b->written;
    a->unchanged += b->unchanged;
    a->triangles += b->triangles;
    a->bytes += b->bytes;
}

static void *work(void *arg)
{
    sched *s = arg;
    worker w;
    ct_err err;
    int rc = worker_open(&w, s->sh, &err);
    pthread_mutex_lock(&s->mu);
    if (rc && !s->failed) {
        s->failed = 1;
        s->err = err;
    }
    while (!s->failed && s->remaining > 0) {
        if (s->nready == 0) {
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        int k = s->ready[--s->nready];
        pthread_mutex_unlock(&s->mu);
        rc = worker_build(&w, k, s->outs, &err);
        pthread_mutex_lock(&s->mu);
        if (rc) {
            if (!s->failed)
                s->err = err;
            s->failed = 1;
            break;
        }
        const plan_node *n = &s->sh->plan->nodes[k];
        s->remaining--;
        if (!n->nchild)
            ct_progress_step(&s->prog, n->count);
        if (n->parent >= 0 && --s->pending[n->parent] == 0)
            s->ready[s->nready++] = n->parent;
        pthread_cond_broadcast(&s->cv);
    }
    w.st.repaired = w.x.st.repaired;
    w.st.cdt = w.x.st.cdt;
    w.st.lost_polygons = w.x.st.lost;
    add_report(&s->total, &w.st);
    s->total.repaired += w.st.repaired;
    s->total.cdt += w.st.cdt;
    s->total.lost_polygons += w.st.lost_polygons;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    worker_close(&w);
    return NULL;
}

static int load_parts_of(sqlite3 *db, build_shared *sh)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
            "SELECT DISTINCT building_id FROM building_parts WHERE"
            " building_id IS NOT NULL AND building_id <> '' ORDER BY 1",
            -1, &st, NULL) != SQLITE_OK)
        return CT_OK;  /* no parts table: nothing hidden */
    int cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sh->nparts_of == cap) {
            cap = cap ? 2 * cap : 256;
            char **q = realloc(sh->parts_of, sizeof *q * (size_t)cap);
            if (!q)
                break;
            sh->parts_of = q;
        }
        char *id = strdup((const char *)sqlite3_column_text(st, 0));
        if (!id)
            break;
        sh->parts_of[sh->nparts_of++] = id;
    }
    sqlite3_finalize(st);
    return CT_OK;
}

static json_t *load_manifest(const char *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json", out);
    json_t *m = json_load_file(path, 0, NULL);
    json_t *c = json_incref(json_object_get(m, "contents"));
    json_decref(m);
    return json_is_object(c) ? c : (json_decref(c), NULL);
}

static int make_dirs(const char *out, ct_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", out);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/content", out);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ct_fail(err, CT_EIO, "tiles: cannot create %s: %s", path,
                       strerror(errno));
    return CT_OK;
}

/* Build every node on jobs threads. */
static int run_tree(const build_shared *sh, node_out *outs, int jobs,
                    tiles_report *total, ct_err *err)
{
    const plan *p = sh->plan;
    sched s;
    memset(&s, 0, sizeof s);
    s.sh = sh;
    s.outs = outs;
    s.ready = malloc(sizeof(int) * (size_t)(p->n ? p->n : 1));
    s.pending = malloc(sizeof(int) * (size_t)(p->n ? p->n : 1));
    if (!s.ready || !s.pending) {
        free(s.ready);
        free(s.pending);
        return ct_fail(err, CT_ENOMEM, "tiles: out of memory");
    }
    for (int k = p->n - 1; k >= 0; k--) {  /* pop order: depth-first */
        s.pending[k] = p->nodes[k].nchild;
        if (!p->nodes[k].nchild)
            s.ready[s.nready++] = k;
    }
    s.remaining = p->n;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    ct_progress_start(&s.prog, "tiles", p->features);
    if (sh->opts->quiet)
        s.prog.enabled = 0;
    pthread_t th[64];
    int nth = 0;
    for (int i = 0; i < jobs && i < 64; i++)
        if (pthread_create(&th[nth], NULL, work, &s) == 0)
            nth++;
    if (nth == 0)
        work(&s);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    ct_progress_end(&s.prog);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
    free(s.ready);
    free(s.pending);
    add_report(total, &s.total);
    total->repaired += s.total.repaired;
    total->cdt += s.total.cdt;
    total->lost_polygons += s.total.lost_polygons;
    if (s.failed) {
        *err = s.err;
        return err->code ? err->code : CT_ERR;
    }
    return CT_OK;
}

/* Remove contents of the old manifest that the new one does not list. */
static long remove_stale(const char *out, json_t *old, json_t *now)
{
    long n = 0;
    const char *uri;
    json_t *v;
    json_object_foreach(old, uri, v) {
        if (json_object_get(now, uri) || strncmp(uri, "content/", 8) ||
            strstr(uri, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out, uri);
        if (remove(path) == 0)
            n++;
    }
    return n;
}

static json_t *report_json(const tiles_report *r)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
        " s:I, s:I, s:I, s:I, s:I, s:f, s:f}",
        "features", (json_int_t)r->features, "built", (json_int_t)r->built,
        "hidden_outlines", (json_int_t)r->hidden_outlines, "unbuilt",
        (json_int_t)r->unbuilt, "bad_geometry", (json_int_t)r->bad_geometry,
        "bad_height", (json_int_t)r->bad_height, "height_defaulted",
        (json_int_t)r->height_defaulted, "dem_missing", (json_int_t)r->dem_missing,
        "repaired", (json_int_t)r->repaired,
        "cdt", (json_int_t)r->cdt, "lost_polygons", (json_int_t)r->lost_polygons,
        "tiles", (json_int_t)r->tiles, "leaves", (json_int_t)r->leaves,
        "contents", (json_int_t)r->contents, "written", (json_int_t)r->written,
        "unchanged", (json_int_t)r->unchanged, "removed", (json_int_t)r->removed,
        "triangles", (json_int_t)r->triangles, "bytes", (json_int_t)r->bytes,
        "seconds", r->seconds, "plan_seconds", r->plan_seconds);
}

int tiles_build(const tiles_opts *o, tiles_report *rep, ct_err *err)
{
    double t0 = ct_now();
    tiles_report r;
    memset(&r, 0, sizeof r);
    build_shared sh;
    memset(&sh, 0, sizeof sh);
    sh.opts = o;
    plan p;
    memset(&p, 0, sizeof p);
    node_out *outs = NULL;
    json_t *man = NULL, *ts = NULL, *rj = NULL;
    sqlite3 *db = NULL;
    int rc = store_open(o->store, STORE_READONLY, &db, err);
    if (rc)
        return rc;
    if ((rc = plan_build(db, LAYERS, o->max_triangles, o->max_features, &p, err)) ||
        (rc = load_parts_of(db, &sh)) || (rc = make_dirs(o->out, err)))
        goto done;
    store_close(db);
    db = NULL;
    r.plan_seconds = ct_now() - t0;
    sh.plan = &p;
    sh.lod_k = o->lod_boxes > 0 ? o->lod_boxes : (int)(o->max_triangles / 50);
    sh.old_manifest = load_manifest(o->out);
    outs = calloc((size_t)(p.n ? p.n : 1), sizeof *outs);
    if (!outs) {
        rc = ct_fail(err, CT_ENOMEM, "tiles: out of memory");
        goto done;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = o->jobs > 0 ? o->jobs : (int)(cores > 0 ? cores : 1);
    if (jobs > p.n)
        jobs = p.n > 0 ? p.n : 1;
    if ((rc = run_tree(&sh, outs, jobs, &r, err)))
        goto done;
    r.features += p.unreadable;
    r.bad_geometry += p.unreadable;
    r.unbuilt += p.unreadable;
    char path[4096];
    man = tileset_manifest(&p, outs, o);
    ts = tileset_json(&p, outs, o);
    snprintf(path, sizeof path, "%s/tileset.json", o->out);
    if ((rc = tileset_write_json(ts, path, err)))
        goto done;
    snprintf(path, sizeof path, "%s/manifest.json", o->out);
    if ((rc = tileset_write_json(man, path, err)))
        goto done;
    if (sh.old_manifest)
        r.removed = remove_stale(o->out, sh.old_manifest,
                                 json_object_get(man, "contents"));
    r.seconds = ct_now() - t0;
    rj = report_json(&r);
    snprintf(path, sizeof path, "%s/report.json", o->out);
    rc = tileset_write_json(rj, path, err);
done:
    if (rep)
        *rep = r;
    store_close(db);
    for (int k = 0; outs && k < p.n; k++)
        lod_free(&outs[k].lod);
    free(outs);
    for (int i = 0; i < sh.nparts_of; i++)
        free(sh.parts_of[i]);
    free(sh.parts_of);
    json_decref(sh.old_manifest);
    json_decref(man);
    json_decref(ts);
    json_decref(rj);
    plan_free(&p);
    return rc;
}
