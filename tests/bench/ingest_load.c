/* tests/bench/ingest_load.c: sustained ingest load over real HTTP for
 * tests/bench/bench_ingest.sh. C connections (one thread each, HTTP/1.1
 * keep-alive) POST batches of B observations to /api/v1/observations
 * with a feeder token; the bodies are built with jansson before the clock
 * starts so the client spends its CPU on sending. Each (entity, time) is
 * unique, so every observation is new work for the server. A probe thread
 * meanwhile measures ingest -> fused indicator: it POSTs one reading that
 * flips a probe road between jammed and free, then polls that road's
 * live state until its segment index shows it.
 * Build: cc -O2 -o ingest_load ingest_load.c -ljansson -lpthread
 * Usage: ingest_load PORT TOKEN IDS_FILE CONNS BATCH TOTAL PROBE_ID */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *token;
static char **ids;
static int nids, conns, batch;
static long total;
static const char *probe_id;
static volatile int running = 1;

typedef struct body { char *s; size_t n; } body;
typedef struct worker {
    int k;
    body *bodies;
    int nbodies;
    long sent_obs, errors;
    double *lat;   /* per request, ms */
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One request on fd; returns the status and the body in buf (NUL-ended). */
static int request(int fd, const char *method, const char *path, const body *b,
                   char *buf, size_t cap)
{
    char hdr[512];
    int hn = snprintf(hdr, sizeof hdr, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n", method, path, token,
                      b ? b->n : 0);
    if (write_all(fd, hdr, (size_t)hn) || (b && write_all(fd, b->s, b->n)))
        return -1;
    size_t got = 0;
    long clen = -1;
    char *end = NULL;
    for (;;) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            char *cl = strcasestr(buf, "Content-Length:");
            clen = cl ? atol(cl + 15) : 0;
        }
        if (end && (long)(got - (size_t)(end + 4 - buf)) >= clen)
            break;
        if (got + 1 >= cap)
            return -1;
    }
    int status = atoi(buf + 9);
    memmove(buf, end + 4, got - (size_t)(end + 4 - buf) + 1);
    return status;
}

static void *work(void *arg)
{
    worker *w = arg;
    int fd = dial();
    char *buf = malloc(1 << 20);
    for (int i = 0; i < w->nbodies && fd >= 0; i++) {
        double t0 = now_s();
        int st = request(fd, "POST", "/api/v1/observations", &w->bodies[i], buf, 1 << 20);
        w->lat[i] = (now_s() - t0) * 1e3;
        if (st == 200)
            w->sent_obs += batch;
        else {
            w->errors++;
            if (st < 0) {
                close(fd);
                fd = dial();
            } else if (w->errors < 3) {
                fprintf(stderr, "ingest_load: status %d: %.200s\n", st, buf);
            }
        }
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static double probe_lat[4096];
static int nprobe;

/* Ingest -> fused indicator: POST a reading, poll the road's index. */
static void *probe(void *arg)
{
    (void)arg;
    int fd = dial();
    char *buf = malloc(1 << 16), path[256];
    snprintf(path, sizeof path, "/api/v1/entities/%s/state", probe_id);
    struct timespec real;
    for (int i = 0; running && fd >= 0 && nprobe < 4096; i++) {
        double speed = i % 2 ? 2.0 : 120.0;
        clock_gettime(CLOCK_REALTIME, &real);
        json_t *b = json_pack("[{s:s, s:I, s:{s:f}}]", "entity", probe_id, "time",
                              (json_int_t)real.tv_sec * 1000 + real.tv_nsec / 1000000 - 1000,
                              "values", "speed_kmh", speed);
        body bd = {json_dumps(b, JSON_COMPACT), 0};
        bd.n = strlen(bd.s);
        json_decref(b);
        double t0 = now_s();
        int st = request(fd, "POST", "/api/v1/observations", &bd, buf, 1 << 16);
        free(bd.s);
        for (int polls = 0; st == 200 && polls < 1000; polls++) {
            if (request(fd, "GET", path, NULL, buf, 1 << 16) != 200)
                break;
            json_t *s = json_loads(buf, 0, NULL);
            double idx = json_number_value(json_object_get(s, "index"));
            json_decref(s);
            if ((speed < 10) == (idx > 5)) {
                probe_lat[nprobe++] = (now_s() - t0) * 1e3;
                break;
            }
        }
        usleep(200000);
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, (size_t)n, sizeof *v, cmp);
    return v[(int)(p * (n - 1))];
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: ingest_load PORT TOKEN IDS_FILE CONNS BATCH TOTAL PROBE_ID\n");
        return 2;
    }
    port = atoi(argv[1]);
    token = argv[2];
    conns = atoi(argv[4]);
    batch = atoi(argv[5]);
    total = atol(argv[6]);
    probe_id = argv[7];
    FILE *f = fopen(argv[3], "r");
    if (!f || conns < 1 || batch < 1 || total < batch)
        return 2;
    char line[256];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line || !strcmp(line, probe_id))
            continue;
        if (nids == cap)
            ids = realloc(ids, sizeof *ids * (size_t)(cap = cap ? cap * 2 : 1024));
        ids[nids++] = strdup(line);
    }
    fclose(f);
    if (nids < conns)
        return 2;
    /* Bodies: thread k takes entities k, k+C, ...; every round over its
     * share moves its time on by 1 ms, so no (entity, time) repeats. */
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    json_int_t t0 = (json_int_t)real.tv_sec * 1000 - 3600 * 1000;
    worker *w = calloc((size_t)conns, sizeof *w);
    long per = total / batch / conns;
    for (int k = 0; k < conns; k++) {
        w[k].k = k;
        w[k].nbodies = (int)per;
        w[k].bodies = calloc((size_t)per, sizeof(body));
        w[k].lat = calloc((size_t)per, sizeof(double));
        int share = (nids - k + conns - 1) / conns;
        long seq = 0;
        for (long i = 0; i < per; i++) {
            json_t *arr = json_array();
            for (int j = 0; j < batch; j++, seq++) {
                int e = k + conns * (int)(seq % share);
                json_array_append_new(arr, json_pack("{s:s, s:I, s:{s:f, s:f}}",
                    "entity", ids[e], "time", t0 + seq / share, "values",
                    "speed_kmh", 20.0 + (double)(seq % 40), "flow_vph", 600.0 + (double)(seq % 900)));
            }
            w[k].bodies[i].s = json_dumps(arr, JSON_COMPACT);
            w[k].bodies[i].n = strlen(w[k].bodies[i].s);
            json_decref(arr);
        }
    }
    pthread_t *th = calloc((size_t)conns, sizeof *th), pt;
    pthread_create(&pt, NULL, probe, NULL);
    double start = now_s();
    for (int k = 0; k < conns; k++)
        pthread_create(&th[k], NULL, work, &w[k]);
    long obs = 0, errors = 0, nreq = 0;
    double *lat = calloc((size_t)(per * conns), sizeof(double));
    for (int k = 0; k < conns; k++) {
        pthread_join(th[k], NULL);
        obs += w[k].sent_obs;
        errors += w[k].errors;
        memcpy(lat + nreq, w[k].lat, sizeof(double) * (size_t)per);
        nreq += per;
    }
    double secs = now_s() - start;
    running = 0;
    pthread_join(pt, NULL);
    printf("observations %ld in %.2f s: %.0f obs/s durable (%d connections x "
           "batches of %d; %ld failed requests)\n", obs, secs, obs / secs, conns,
           batch, errors);
    printf("request latency (commit + fuse) ms: p50 %.1f p99 %.1f max %.1f\n",
           pct(lat, (int)nreq, 0.5), pct(lat, (int)nreq, 0.99), pct(lat, (int)nreq, 1));
    printf("ingest -> fused indicator (probe road, under load) ms: p50 %.1f "
           "p99 %.1f (%d probes)\n", pct(probe_lat, nprobe, 0.5),
           pct(probe_lat, nprobe, 0.99), nprobe);
    for (int k = 0; k < conns; k++) {
        for (int i = 0; i < w[k].nbodies; i++)
            free(w[k].bodies[i].s);
        free(w[k].bodies);
        free(w[k].lat);
    }
    for (int i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    free(w);
    free(th);
    free(lat);
    return errors ? 1 : 0;
}
