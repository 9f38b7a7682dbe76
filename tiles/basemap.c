/* tiles/basemap.c: render the base map pyramid (see basemap.h).
 * Finds the bbox of what the style draws, lists the tiles of every zoom
 * over it, and renders them zoom by zoom on a pool of threads (one store
 * connection each). Tiles of one flat colour are hard links to one shared
 * PNG per colour (out_dir/_solid/), and tiles under a flat parent are not
 * even queried (bm_flat), which keeps the countryside cheap. */
#include "tiles/basemap.h"

#include <errno.h>
#include <gdal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ct_progress.h"
#include "spatial/store.h"
#include "tiles/basemap_internal.h"

void basemap_opts_default(basemap_opts *o)
{
    o->min_zoom = 8;
    o->max_zoom = 15;
    o->jobs = 0;
    o->style_path = NULL;
    o->tile_size = 256;
    o->quiet = 0;
}

/* The shared job: tiles are numbered zoom by zoom, row-major. */
typedef struct job {
    const char *store_path, *out_dir;
    const bm_style *style;
    basemap_opts opts;
    int x0[25], y0[25], nx[25], ny[25];
    long first[26];            /* index of each zoom's first tile */
    atomic_long next[25];      /* next tile to take, per zoom */
    int *flat_id[25];          /* per tile: index in flats, or -1 */
    bm_flat *flats;            /* distinct flat recipes (under lock) */
    int n_flats, cap_flats;
    int zoom;                  /* the zoom being rendered */
    atomic_long written, solid, derived;
    atomic_int failed;
    pthread_mutex_t lock;      /* guards err and progress */
    ct_err err;
    ct_progress progress;
} job;

static int mkdir_one(const char *path, ct_err *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ct_fail(err, CT_EIO, "basemap: cannot create directory %s: %s",
                       path, strerror(errno));
    return CT_OK;
}

/* mkdir -p: the output folder and any missing parents. */
static int mkdir_parents(const char *path, ct_err *err)
{
    char buf[1100];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return ct_fail(err, CT_EIO,
                               "basemap: cannot create directory %s: %s", buf,
                               strerror(errno));
            *p = '/';
        }
    return mkdir_one(path, err);
}

/* The bbox of every layer the style draws, from the R*Tree indexes. */
static int data_bounds(sqlite3 *db, const bm_style *s, const char *store,
                       double b[4], ct_err *err)
{
    int found = 0;
    for (int i = 0; i < s->n_rules; i++) {
        char sql[256];
        sqlite3_snprintf((int)sizeof sql, sql,
                         "SELECT min(xmin), min(ymin), max(xmax), max(ymax) "
                         "FROM \"idx_%w_geom\"", s->rules[i].layer);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            return ct_fail(err, CT_EFORMAT,
                           "store %s: no spatial index for layer %s: %s", store,
                           s->rules[i].layer, sqlite3_errmsg(db));
        if (sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_column_type(st, 0) != SQLITE_NULL) {
            double v[4];
            for (int k = 0; k < 4; k++)
                v[k] = sqlite3_column_double(st, k);
            if (!found)
                memcpy(b, v, sizeof v);
            b[0] = v[0] < b[0] ? v[0] : b[0];
            b[1] = v[1] < b[1] ? v[1] : b[1];
            b[2] = v[2] > b[2] ? v[2] : b[2];
            b[3] = v[3] > b[3] ? v[3] : b[3];
            found = 1;
        }
        sqlite3_finalize(st);
    }
    if (!found)
        return ct_fail(err, CT_ENOTFOUND,
                       "store %s: nothing to draw (the layers of style %s are "
                       "empty)", store, s->path);
    return CT_OK;
}

/* Link out_path to the shared PNG of colour col, writing that once. */
static int write_solid(job *j, bm_worker *w, bm_rgb col, const char *out_path,
                       ct_err *err)
{
    char shared[1100], tmp[1200];
    snprintf(shared, sizeof shared, "%s/_solid/%02x%02x%02x.png", j->out_dir,
             col.r, col.g, col.b);
    struct stat sb;
    if (stat(shared, &sb) != 0) {
        bm_canvas_clear(&w->canvas, col);
        int rc = bm_write_png(&w->canvas, shared, err);
        if (rc)
            return rc;
    }
    /* link beside the target, then rename over it: never write through an
     * old link into the shared file */
    snprintf(tmp, sizeof tmp, "%s.lnk", out_path);
    if (link(shared, tmp) != 0 && (unlink(tmp), link(shared, tmp) != 0))
        goto copy;
    if (rename(tmp, out_path) != 0) {
        unlink(tmp);
        goto copy;
    }
    return CT_OK;
copy: /* a file system without hard links: a copy of its own */
    bm_canvas_clear(&w->canvas, col);
    return bm_write_png(&w->canvas, out_path, err);
}

/* The id of a flat recipe, added when new; -1 when out of memory. */
static int flat_intern(job *j, const bm_flat *f)
{
    pthread_mutex_lock(&j->lock);
    int id = -1;
    for (int i = 0; i < j->n_flats && id < 0; i++)
        if (j->flats[i].n == f->n &&
            !memcmp(j->flats[i].rule, f->rule, sizeof f->rule[0] * f->n) &&
            !memcmp(j->flats[i].col, f->col, sizeof f->col[0] * f->n))
            id = i;
    if (id < 0 && j->n_flats == j->cap_flats) {
        int cap = j->cap_flats ? 2 * j->cap_flats : 16;
        bm_flat *p = realloc(j->flats, (size_t)cap * sizeof *p);
        if (p) {
            j->flats = p;
            j->cap_flats = cap;
        }
    }
    if (id < 0 && j->n_flats < j->cap_flats) {
        j->flats[j->n_flats] = *f;
        id = j->n_flats++;
    }
    pthread_mutex_unlock(&j->lock);
    return id;
}

/* The flat recipe of the parent tile, or -1. */
static int parent_flat(job *j, int z, int x, int y)
{
    int pz = z - 1 - j->opts.min_zoom;
    if (pz < 0)
        return -1;
    int px = (x >> 1) - j->x0[pz], py = (y >> 1) - j->y0[pz];
    if (px < 0 || py < 0 || px >= j->nx[pz] || py >= j->ny[pz])
        return -1;
    return j->flat_id[pz][(long)py * j->nx[pz] + px];
}

static int render_one(job *j, bm_worker *w, int z, long k, ct_err *err)
{
    int zi = z - j->opts.min_zoom;
    int x = j->x0[zi] + (int)(k % j->nx[zi]);
    int y = j->y0[zi] + (int)(k / j->nx[zi]);
    char path[1100];
    snprintf(path, sizeof path, "%s/%d/%d/%d.png", j->out_dir, z, x, y);
    int id = parent_flat(j, z, x, y), rc, flat_colour = id >= 0;
    bm_rgb col = {0, 0, 0};
    if (id >= 0) {
        /* under a flat tile: one colour, no query, no rasterizing */
        pthread_mutex_lock(&j->lock);
        col = bm_flat_colour(j->style, &j->flats[id], z);
        pthread_mutex_unlock(&j->lock);
        atomic_fetch_add(&j->derived, 1);
    } else {
        bm_flat f;
        int is_flat = 0;
        if ((rc = bm_render_tile(w, z, x, y, j->opts.max_zoom, &f, &is_flat,
                                 err)))
            return rc;
        flat_colour = bm_canvas_uniform(&w->canvas);
        if (flat_colour) {
            const uint8_t *p = w->canvas.rgb;
            col = (bm_rgb){p[0], p[1], p[2]};
            if (is_flat)
                id = flat_intern(j, &f);
        }
    }
    j->flat_id[zi][k] = id;
    if (flat_colour) {
        atomic_fetch_add(&j->solid, 1);
        rc = write_solid(j, w, col, path, err);
    } else {
        rc = bm_write_png(&w->canvas, path, err);
    }
    if (!rc)
        atomic_fetch_add(&j->written, 1);
    return rc;
}

static void fail(job *j, const ct_err *err)
{
    pthread_mutex_lock(&j->lock);
    if (!atomic_exchange(&j->failed, 1))
        j->err = *err;
    pthread_mutex_unlock(&j->lock);
}

typedef struct thread_arg {
    job *j;
    bm_worker *w;
} thread_arg;

/* Render tiles of the current zoom until none is left. */
static void *zoom_worker(void *arg)
{
    job *j = ((thread_arg *)arg)->j;
    bm_worker *w = ((thread_arg *)arg)->w;
    int z = j->zoom, zi = z - j->opts.min_zoom;
    long n = j->first[zi + 1] - j->first[zi];
    ct_err err;
    ct_err_clear(&err);
    while (!atomic_load(&j->failed)) {
        long k = atomic_fetch_add(&j->next[zi], 1);
        if (k >= n)
            break;
        if (render_one(j, w, z, k, &err)) {
            fail(j, &err);
            break;
        }
        pthread_mutex_lock(&j->lock);
        ct_progress_step(&j->progress, 1);
        pthread_mutex_unlock(&j->lock);
    }
    return NULL;
}

/* The default style: relative to the working directory (the source tree,
 * as `make run` runs), else beside the program (build/citytwin ->
 * data/style/ one or two folders up). */
static const char *default_style(char *buf, size_t cap)
{
    struct stat sb;
    if (stat(BASEMAP_DEFAULT_STYLE, &sb) == 0)
        return BASEMAP_DEFAULT_STYLE;
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return BASEMAP_DEFAULT_STYLE;
    exe[n] = '\0';
    for (int up = 1; up <= 3; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash)
            break;
        *slash = '\0';
        snprintf(buf, cap, "%s/%s", exe, BASEMAP_DEFAULT_STYLE);
        if (stat(buf, &sb) == 0)
            return buf;
    }
    return BASEMAP_DEFAULT_STYLE; /* the error will name this path */
}

static int check_opts(const basemap_opts *o, ct_err *err)
{
    if (o->min_zoom < 0 || o->max_zoom > 22 || o->min_zoom > o->max_zoom)
        return ct_fail(err, CT_EINVAL,
                       "basemap: zoom range %d..%d is not within 0..22",
                       o->min_zoom, o->max_zoom);
    if (o->tile_size != 256 && o->tile_size != 512)
        return ct_fail(err, CT_EINVAL,
                       "basemap: tile size %d is not 256 or 512", o->tile_size);
    return CT_OK;
}

/* List the tiles of each zoom over bounds and create their folders. */
static int plan(job *j, const double b[4], ct_err *err)
{
    const basemap_opts *o = &j->opts;
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/_solid", j->out_dir);
    int rc = mkdir_parents(j->out_dir, err);
    if (!rc)
        rc = mkdir_one(dir, err);
    j->first[0] = 0;
    for (int z = o->min_zoom; !rc && z <= o->max_zoom; z++) {
        int zi = z - o->min_zoom, x1, y1;
        bm_tile_of(b[0], b[3], z, &j->x0[zi], &j->y0[zi]);
        bm_tile_of(b[2], b[1], z, &x1, &y1);
        j->nx[zi] = x1 - j->x0[zi] + 1;
        j->ny[zi] = y1 - j->y0[zi] + 1;
        j->first[zi + 1] = j->first[zi] + (long)j->nx[zi] * j->ny[zi];
        j->flat_id[zi] = malloc(sizeof(int) * (size_t)(j->first[zi + 1] -
                                                       j->first[zi]));
        if (!j->flat_id[zi])
            return ct_fail(err, CT_ENOMEM, "basemap: out of memory");
        snprintf(dir, sizeof dir, "%s/%d", j->out_dir, z);
        rc = mkdir_one(dir, err);
        for (int x = j->x0[zi]; !rc && x <= x1; x++) {
            snprintf(dir, sizeof dir, "%s/%d/%d", j->out_dir, z, x);
            rc = mkdir_one(dir, err);
        }
    }
    return rc;
}

/* Zoom by zoom, since a tile needs its parent's flatness: one worker
 * (store connection, canvas) per thread, all threads on one zoom. */
static int run_threads(job *j, ct_err *err)
{
    long total = j->first[j->opts.max_zoom - j->opts.min_zoom + 1];
    int n = j->opts.jobs > 0 ? j->opts.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 1 : n > 64 ? 64 : n;
    bm_worker w[64];
    thread_arg args[64];
    int rc = CT_OK, opened = 0;
    for (; opened < n && !rc; opened++) {
        rc = bm_worker_open(&w[opened], j->store_path, j->style,
                            j->opts.tile_size, err);
        args[opened] = (thread_arg){j, &w[opened]};
    }
    if (!j->opts.quiet && !rc)
        ct_progress_start(&j->progress, "basemap tiles", total);
    for (int z = j->opts.min_zoom; !rc && z <= j->opts.max_zoom; z++) {
        pthread_t th[64];
        int started = 0;
        j->zoom = z;
        for (int i = 1; i < n; i++)
            if (pthread_create(&th[started], NULL, zoom_worker, &args[i]) == 0)
                started++;
        zoom_worker(&args[0]); /* the calling thread works too */
        for (int i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        if (atomic_load(&j->failed)) {
            if (err)
                *err = j->err;
            rc = j->err.code ? j->err.code : CT_ERR;
        }
    }
    if (!j->opts.quiet)
        ct_progress_end(&j->progress);
    for (int i = 0; i < opened; i++)
        bm_worker_close(&w[i]);
    return rc;
}

int basemap_render_stats(const char *store_path, const char *out_dir,
                         const basemap_opts *opts, basemap_stats *stats,
                         ct_err *err)
{
    double t0 = ct_now();
    basemap_opts o;
    basemap_opts_default(&o);
    if (opts)
        o = *opts;
    int rc = check_opts(&o, err);
    if (rc)
        return rc;
    char style_buf[1100];
    const char *style_path =
        o.style_path ? o.style_path : default_style(style_buf, sizeof style_buf);
    bm_style style;
    if ((rc = bm_style_load(style_path, &style, err)))
        return rc;
    GDALAllRegister();
    sqlite3 *db = NULL;
    double b[4];
    job *j = NULL;
    rc = store_open(store_path, STORE_READONLY, &db, err);
    if (!rc)
        rc = data_bounds(db, &style, store_path, b, err);
    if (!rc && !(j = calloc(1, sizeof *j)))
        rc = ct_fail(err, CT_ENOMEM, "basemap: out of memory");
    if (!rc) {
        j->store_path = store_path;
        j->out_dir = out_dir;
        j->style = &style;
        j->opts = o;
        pthread_mutex_init(&j->lock, NULL);
        rc = plan(j, b, err);
        if (!rc)
            rc = bm_write_attribution(db, out_dir, &style, err);
        store_close(db);
        db = NULL;
        if (!rc)
            rc = run_threads(j, err);
        if (!rc)
            rc = bm_write_metadata(out_dir, b, &o, &style,
                                   atomic_load(&j->written), err);
        if (stats) {
            stats->tiles_written = atomic_load(&j->written);
            stats->tiles_solid = atomic_load(&j->solid);
            stats->tiles_derived = atomic_load(&j->derived);
            stats->seconds = ct_now() - t0;
        }
        pthread_mutex_destroy(&j->lock);
    }
    for (int z = 0; j && z < 25; z++)
        free(j->flat_id[z]);
    if (j)
        free(j->flats);
    free(j);
    store_close(db);
    bm_style_free(&style);
    return rc;
}

int basemap_render(const char *store_path, const char *out_dir,
                   const basemap_opts *opts, ct_err *err)
{
    return basemap_render_stats(store_path, out_dir, opts, NULL, err);
}
