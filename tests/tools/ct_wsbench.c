/* tests/tools/ct_wsbench.c: the push load generator. One epoll-driven
 * process opens N WebSocket clients, sends R updates/s and measures the
 * latency from each update's request to each client's receipt (p50, p99,
 * max) and delivered/expected, plus the server's CPU and RSS from /proc.
 *   citytwin: subscribers send {"op":"subscribe","topics":["traffic"]};
 *             updates go through the real ingest API: one observation per
 *             POST /api/v1/observations (feeder token), over M keep-alive
 *             HTTP connections in the same epoll loop (one request in
 *             flight each), round-robin over the road segments of --ids.
 *             Update k carries flow_vph = k; the segment's live state (and
 *             so its delta) carries it back.
 *   test:     the same subscribers; the publisher is one more WS client
 *             using the test-only {"op":"publish"} (serve --push-test).
 *   nchan:    subscribers GET /sub/traffic (WebSocket); the publisher
 *             POSTs to /pub/traffic over one keep-alive HTTP connection.
 * The generator keeps the send time of every update k; a received frame is
 * scanned for every k it carries (several when the server batched them).
 * --deflate 1: the clients offer permessage-deflate, as browsers do, and
 * inflate what comes (zlib, one stream per client), so the server's cost
 * of compressing for every client is measured too. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HIST_US 10000000     /* latency histograms go to 10 s */
/* Log-linear buckets: 1 us below 2,048 us, then 256 per doubling (0.4%):
 * 5,376 counters (21 KB) stay in cache, where 1 us buckets to 10 s (40 MB)
 * missed it at every update once latencies spread (N=5000, R=1000: the
 * generator's core was then its own bottleneck). */
#define HIST_N (2048 + 13 * 256)
#define BUF (256 * 1024)   /* a frame: snapshot parts are 64 KiB plus their header */

typedef struct cl {
    int fd, state;           /* 0 connecting/handshake, 1 open, 2 dead */
    unsigned char *buf;
    size_t len;
    uint8_t *got;            /* bit per update k received */
    /* --deflate: the message being received, its inflater */
    z_stream *z;
    int no_takeover;         /* server_no_context_takeover: reset per message */
    int comp, in_msg;        /* the message is compressed; fragments pending */
    unsigned char *msg;
    size_t mlen, mcap;
} cl;

/* One keep-alive HTTP connection of the ingest publisher. */
typedef struct hconn {
    int fd;
    long k;                  /* update in flight, or -1 when idle */
    char buf[4096];
    size_t len;
} hconn;

static const char *host = "127.0.0.1", *mode = "citytwin", *token = NULL;
static const char *feed_token = NULL, *ids_path = NULL, *trace = NULL;
static int ws_port = 8081, pub_port = 0, nclients = 100, rate = 100;
static int nhttp = 16;
static int deflate_on;
static unsigned char *inflated;   /* one message, inflated */
#define INFLATED_MAX (4 * 1024 * 1024)
static double seconds = 10, warmup = 0;
static long k_base;          /* first measured update (after the warm-up) */
static int server_pid = 0;
static uint32_t *hist;
static uint64_t delivered, frames, maxlat, stray, repeated;
static int64_t *sent_at;     /* send time (us) of update k */
static uint32_t *worst;      /* with --trace: slowest receipt (us) of k */
static uint32_t *hist_rx;    /* the same, to the kernel's arrival stamp */
static int64_t rx_at;        /* arrival (monotonic us) of the last read */
static int64_t real_off;     /* CLOCK_REALTIME - CLOCK_MONOTONIC (us) */
static uint32_t *hist_ack;   /* citytwin: request to its answer (us) */
static uint64_t nack;
static long nsent_cap, sent;
static const char *marker = "\"flow_vph\":";
static char **ids;
static long nids;
static int64_t wall0_ms;
static long accepted, refused, queued_max;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int dial(int port, int nonblock)
{
    int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;     /* only the handshake and small frames use this */
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int handshake(int fd, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof req,
        "GET %s%s%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n%s\r\n", path, token ? "?token=" : "",
        token ? token : "", host, ws_port, deflate_on ?
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
    return send_all(fd, req, (size_t)n);
}

/* A client frame: text, masked with a zero key (payload unchanged). */
static int ws_send(int fd, const char *s)
{
    size_t n = strlen(s), h = 0;
    unsigned char f[16 + 512];
    if (n > 512)
        return -1;
    f[h++] = 0x81;
    if (n < 126) {
        f[h++] = 0x80 | (unsigned char)n;
    } else {
        f[h++] = 0x80 | 126;
        f[h++] = (unsigned char)(n >> 8);
        f[h++] = (unsigned char)n;
    }
    memset(f + h, 0, 4);
    h += 4;
    memcpy(f + h, s, n);
    return send_all(fd, f, h + n);
}

/* recv() that also notes when the data reached the socket (SO_TIMESTAMPNS:
 * the stamp of the last segment read), so a second latency figure leaves
 * out the time this one loop took to come round to the socket. */
static ssize_t recv_stamped(int fd, void *buf, size_t len)
{
    struct iovec iov = {buf, len};
    union {
        char b[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
    ssize_t r = recvmsg(fd, &m, 0);
    rx_at = 0;
    for (struct cmsghdr *h = r > 0 ? CMSG_FIRSTHDR(&m) : NULL; h;
         h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(h), sizeof ts);
            rx_at = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - real_off;
        }
    return r;
}

static size_t hist_idx(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us >= HIST_US)
        us = HIST_US - 1;
    if (us < 2048)
        return (size_t)us;
    int e = 63 - __builtin_clzll((unsigned long long)us);     /* 11..23 */
    return 2048 + (size_t)(e - 11) * 256 + (size_t)((us >> (e - 8)) & 255);
}

/* The lowest latency (us) of bucket i. */
static uint64_t hist_val(size_t i)
{
    if (i < 2048)
        return i;
    int e = 11 + (int)((i - 2048) / 256);
    return (uint64_t)(256 + (i - 2048) % 256) << (e - 8);
}

/* Count the updates in one frame received by client c. An update that
 * comes twice to one client (the live engine may publish an entity again,
 * e.g. when an older observation is fused after a newer one) counts once. */
static void count_updates(cl *c, const unsigned char *p, size_t n)
{
    if (n > 20 && memcmp(p, "{\"type\":\"snapshot\"", 18) == 0)
        return;
    if (memmem(p, n < 80 ? n : 80, "\"part\":", 7))
        return;               /* a later part of a snapshot */
    int64_t t = now_us();
    size_t ml = strlen(marker);
    frames++;
    for (const unsigned char *q = p, *e = p + n;
         (q = memmem(q, (size_t)(e - q), marker, ml)) != NULL; q += ml) {
        long k = strtol((const char *)q + ml, NULL, 10);
        if (k < 0 || k >= sent || !sent_at[k]) {
            stray++;          /* not one of this run's updates */
            continue;
        }
        if (k < k_base)
            continue;         /* sent during the warm-up */
        if (!c->got)
            c->got = calloc((size_t)nsent_cap / 8 + 1, 1);
        if (c->got[k / 8] & (1u << (k % 8))) {
            repeated++;
            continue;
        }
        c->got[k / 8] |= (uint8_t)(1u << (k % 8));
        uint64_t lat = (uint64_t)(t - sent_at[k]);
        int64_t rl = (rx_at ? rx_at : t) - sent_at[k];
        hist_rx[hist_idx(rl)]++;
        if (worst && lat > worst[k])
            worst[k] = (uint32_t)lat;
        hist[hist_idx((int64_t)lat)]++;
        if (lat > maxlat)
            maxlat = lat;
        delivered++;
    }
}

/* --deflate: the 101 answer must accept permessage-deflate. */
static int start_inflate(cl *c, const char *hdr, size_t n)
{
    char h[2048];
    snprintf(h, sizeof h, "%.*s", (int)(n < sizeof h - 1 ? n : sizeof h - 1), hdr);
    for (char *q = h; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q - 'A' + 'a');
    if (!strstr(h, "permessage-deflate")) {
        fprintf(stderr, "wsbench: the server did not accept permessage-deflate\n");
        return -1;
    }
    c->no_takeover = strstr(h, "server_no_context_takeover") != NULL;
    c->z = calloc(1, sizeof *c->z);
    if (!c->z || inflateInit2(c->z, -15) != Z_OK)
        return -1;
    return 0;
}

/* --deflate: one frame of a message; a whole message is inflated (when
 * compressed: RSV1 on its first frame) and counted. */
static int on_fragment(cl *c, unsigned char b0, const unsigned char *p, size_t n)
{
    if ((b0 & 0x0f) != 0) {          /* a message's first frame */
        c->comp = (b0 & 0x40) != 0;
        c->mlen = 0;
        c->in_msg = 1;
    } else if (!c->in_msg) {
        fprintf(stderr, "wsbench: a continuation without a message\n");
        return -1;
    }
    if (c->mlen + n + 4 > c->mcap) {
        size_t cap = (c->mlen + n + 4) * 2;
        unsigned char *m = realloc(c->msg, cap);
        if (!m)
            return -1;
        c->msg = m;
        c->mcap = cap;
    }
    memcpy(c->msg + c->mlen, p, n);
    c->mlen += n;
    if (!(b0 & 0x80))
        return 0;                    /* more fragments follow */
    c->in_msg = 0;
    if (!c->comp) {
        count_updates(c, c->msg, c->mlen);
        return 0;
    }
    memcpy(c->msg + c->mlen, "\x00\x00\xff\xff", 4);   /* RFC 7692 7.2.2 */
    c->z->next_in = c->msg;
    c->z->avail_in = (uInt)(c->mlen + 4);
    c->z->next_out = inflated;
    c->z->avail_out = INFLATED_MAX;
    int rc = inflate(c->z, Z_SYNC_FLUSH);
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || c->z->avail_in) {
        fprintf(stderr, "wsbench: cannot inflate a message (%d)\n", rc);
        return -1;
    }
    count_updates(c, inflated, INFLATED_MAX - c->z->avail_out);
    if (c->no_takeover)
        inflateReset(c->z);
    return 0;
}

/* Parse what arrived: the 101 answer, then server frames. */
static int on_data(cl *c)
{
    for (;;) {
        size_t room = BUF - c->len;
        ssize_t r = recv_stamped(c->fd, c->buf + c->len, room);
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        c->len += (size_t)r;
        /* A short read emptied the socket: epoll (level-triggered) says
         * when more comes, so skip the recv that would say EAGAIN. */
        int drained = (size_t)r < room;
        size_t off = 0;
        if (c->state == 0) {
            unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!e)
                continue;
            if (memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                fprintf(stderr, "wsbench: handshake refused: %.60s\n", c->buf);
                return -1;
            }
            if (deflate_on && start_inflate(c, (const char *)c->buf,
                                            (size_t)(e - c->buf)))
                return -1;
            c->state = 1;
            off = (size_t)(e + 4 - c->buf);
            if (strcmp(mode, "nchan") != 0 &&
                ws_send(c->fd, "{\"op\":\"subscribe\",\"topics\":[\"traffic\"]}"))
                return -1;
        }
        while (c->len - off >= 2) {
            unsigned char *p = c->buf + off;
            size_t h = 2, n = p[1] & 0x7f;
            if (n == 126) {
                if (c->len - off < 4)
                    break;
                n = (size_t)p[2] << 8 | p[3];
                h = 4;
            } else if (n == 127) {
                if (c->len - off < 10)
                    break;
                n = 0;
                for (int i = 0; i < 8; i++)
                    n = n << 8 | p[2 + i];
                h = 10;
            }
            if (h + n > BUF) {
                fprintf(stderr, "wsbench: frame of %zu bytes too big\n", n);
                return -1;
            }
            if (c->len - off < h + n)
                break;
            int op = p[0] & 0x0f;
            if (deflate_on && (op == 1 || op == 2 || op == 0)) {
                if (on_fragment(c, p[0], p + h, n))
                    return -1;
            } else if (op == 1 || op == 2 || op == 0)
                count_updates(c, p + h, n);
            else if (op == 8)
                return -1;
            else if (op == 9) {   /* ping: answer with a pong */
                unsigned char pong[6] = {0x8a, 0x80, 0, 0, 0, 0};
                send_all(c->fd, pong, sizeof pong);
            }
            off += h + n;
        }
        memmove(c->buf, c->buf + off, c->len - off);
        c->len -= off;
        if (drained && c->state == 1)
            return 0;
    }
}

static void proc_cpu_rss(long *ticks, long *rss_kb)
{
    char path[64], buf[4096];
    *ticks = 0;
    *rss_kb = 0;
    if (!server_pid)
        return;
    snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(buf, sizeof buf, f)) {
            char *p = strrchr(buf, ')');
            unsigned long ut = 0, st = 0;
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %lu %lu", &ut, &st) == 2)
                *ticks = (long)(ut + st);
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/status", server_pid);
    f = fopen(path, "r");
    while (f && fgets(buf, sizeof buf, f))
        if (strncmp(buf, "VmRSS:", 6) == 0)
            *rss_kb = atol(buf + 6);
    if (f)
        fclose(f);
}

/* CPU time (ns, /proc/PID/task/TID/schedstat) of the server's threads:
 * all of them, and those named ct-push (citytwin's push thread), so a
 * point splits into push cost per delivery and the rest per update. */
static void proc_thread_ns(uint64_t *all, uint64_t *push)
{
    char path[96], buf[256];
    *all = *push = 0;
    if (!server_pid)
        return;
    snprintf(path, sizeof path, "/proc/%d/task", server_pid);
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        unsigned long long ns = 0;
        char comm[64] = "";
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/schedstat", server_pid,
                 de->d_name);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(buf, sizeof buf, f))
                ns = strtoull(buf, NULL, 10);
            fclose(f);
        }
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/comm", server_pid,
                 de->d_name);
        f = fopen(path, "r");
        if (f) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = 0;
            fclose(f);
        }
        *all += ns;
        if (!strcmp(comm, "ct-push"))
            *push += ns;
    }
    if (d)
        closedir(d);
}

/* The q-quantile (us) of the n samples in histogram h; 0 when none. */
static uint64_t pct_of(const uint32_t *h, uint64_t n, double q)
{
    uint64_t want = (uint64_t)(q * (double)n), acc = 0;
    for (size_t i = 0; n && i < HIST_N; i++)
        if ((acc += h[i]) > want)
            return hist_val(i);
    return 0;
}

static uint64_t pct(double q)
{
    return pct_of(hist, delivered, q);
}

/* Update k through the test-only publish op, or to nchan. */
static int publish(int fd, long k)
{
    char body[160], msg[512];
    snprintf(body, sizeof body, "{\"flow_vph\":%ld,\"speed\":%ld}", k,
             k % 90);
    sent_at[k] = now_us();
    if (strcmp(mode, "test") == 0) {
        snprintf(msg, sizeof msg, "{\"op\":\"publish\",\"topic\":\"traffic\","
                 "\"id\":\"seg:%ld\",\"fields\":%s}", k % 100000, body);
        return ws_send(fd, msg);
    }
    int n = snprintf(msg, sizeof msg, "POST /pub/traffic HTTP/1.1\r\nHost: %s"
                     "\r\nContent-Type: application/json\r\nContent-Length: "
                     "%zu\r\n\r\n%s", host, strlen(body), body);
    return send_all(fd, msg, (size_t)n);
}

/* Update k as one observation POSTed to the ingest API: segment k mod the
 * list, time strictly increasing per segment (so it is never a duplicate
 * and always the newest), flow_vph = k to find it again in the deltas. */
static int ingest(hconn *h, long k)
{
    char body[256], msg[1024];
    int bn = snprintf(body, sizeof body, "[{\"entity\":\"%s\",\"time\":%lld,"
                      "\"values\":{\"speed_kmh\":%ld,\"flow_vph\":%ld}}]",
                      ids[k % nids], (long long)(wall0_ms + k), 5 + k % 80, k);
    int n = snprintf(msg, sizeof msg, "POST /api/v1/observations HTTP/1.1\r\n"
                     "Host: %s\r\nAuthorization: Bearer %s\r\nContent-Type: "
                     "application/json\r\nContent-Length: %d\r\n\r\n%s",
                     host, feed_token, bn, body);
    h->k = k;
    h->len = 0;
    return send_all(h->fd, msg, (size_t)n);
}

/* Read an ingest answer: 1 when complete (connection idle again), 0 when
 * more is to come, -1 when the connection closed or failed. */
static int ingest_answer(hconn *h)
{
    for (;;) {
        ssize_t r = recv(h->fd, h->buf + h->len, sizeof h->buf - 1 - h->len, 0);
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        h->len += (size_t)r;
        h->buf[h->len] = 0;
        char *e = strstr(h->buf, "\r\n\r\n");
        if (!e)
            continue;
        char *cl = strcasestr(h->buf, "Content-Length:");
        size_t blen = cl && cl < e ? (size_t)atol(cl + 15) : 0;
        if (h->len < (size_t)(e + 4 - h->buf) + blen)
            continue;
        if (memcmp(h->buf, "HTTP/1.1 200", 12) == 0 &&
            strstr(e, "\"accepted\":1")) {
            accepted++;
            if (h->k >= k_base && sent_at[h->k]) {
                int64_t a = now_us() - sent_at[h->k];
                hist_ack[hist_idx(a)]++;
                nack++;
            }
        } else {
            /* counted once measured (a warm-up one is only forgotten) */
            if (h->k >= k_base && refused++ < 3)
                fprintf(stderr, "wsbench: ingest of update %ld refused: "
                        "%.200s\n", h->k, h->buf);
            sent_at[h->k] = 0;
        }
        h->k = -1;
        h->len = 0;
        return 1;
    }
}

/* The server closed an ingest connection (keep-alive timeout): dial again
 * and resend what was in flight. */
static int reconnect(int ep, hconn *h, uint32_t tag)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
    close(h->fd);
    if ((h->fd = dial(pub_port, 0)) < 0)
        return -1;
    fcntl(h->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = tag};
    epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &ev);
    h->len = 0;
    if (h->k < 0)
        return 0;
    int64_t t = sent_at[h->k];
    int rc = ingest(h, h->k);
    sent_at[h->k] = t;
    return rc;
}

static int load_ids(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "wsbench: cannot open the id list %s\n", path);
        return -1;
    }
    char line[256];
    long cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!*line)
            continue;
        if (nids == cap) {
            cap = cap ? cap * 2 : 1024;
            ids = realloc(ids, (size_t)cap * sizeof *ids);
        }
        ids[nids++] = strdup(line);
    }
    fclose(f);
    if (!nids)
        fprintf(stderr, "wsbench: no ids in %s\n", path);
    return nids ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: ct_wsbench --mode citytwin|test|nchan --port P "
            "[--pub-port P] --clients N --rate R --seconds S [--server-pid "
            "PID] [--token T] [--warmup S] [--trace FILE] [--deflate 1]\n  citytwin: --pub-port HTTP_PORT --feed-token "
            "T --ids FILE [--http-conns M]\n");
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { usage(); return 2; }
        if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--port")) ws_port = atoi(v);
        else if (!strcmp(a, "--pub-port")) pub_port = atoi(v);
        else if (!strcmp(a, "--clients")) nclients = atoi(v);
        else if (!strcmp(a, "--rate")) rate = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--server-pid")) server_pid = atoi(v);
        else if (!strcmp(a, "--token")) token = v;
        else if (!strcmp(a, "--feed-token")) feed_token = v;
        else if (!strcmp(a, "--ids")) ids_path = v;
        else if (!strcmp(a, "--http-conns")) nhttp = atoi(v);
        else if (!strcmp(a, "--trace")) trace = v;
        else if (!strcmp(a, "--deflate")) deflate_on = atoi(v);
        else { usage(); return 2; }
    }
    int nchan = strcmp(mode, "nchan") == 0;
    int api = strcmp(mode, "citytwin") == 0;
    if (!nchan && !api && strcmp(mode, "test") != 0) {
        usage();
        return 2;
    }
    if (api && (!feed_token || !ids_path || !pub_port || nhttp < 1)) {
        fprintf(stderr, "wsbench: citytwin mode needs --pub-port (HTTP), "
                "--feed-token and --ids\n");
        return 2;
    }
    if (api && load_ids(ids_path))
        return 1;
    if (nchan)
        marker = "\"flow_vph\":";
    const char *path = nchan ? "/sub/traffic" : "/";
    hist = calloc(HIST_N, sizeof *hist);
    hist_rx = calloc(HIST_N, sizeof *hist_rx);
    hist_ack = calloc(HIST_N, sizeof *hist_ack);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    real_off = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000 - now_us();
    nsent_cap = (long)(rate * (seconds + warmup)) + 16;
    sent_at = calloc((size_t)nsent_cap, sizeof *sent_at);
    if (trace)
        worst = calloc((size_t)nsent_cap, sizeof *worst);
    cl *cs = calloc((size_t)nclients + 1, sizeof *cs);
    if (deflate_on && !(inflated = malloc(INFLATED_MAX)))
        return 1;
    int ep = epoll_create1(0);
    int open_n = 0, dead = 0;
    int64_t deadline = now_us() + 60 * 1000000LL;

    /* Connect in waves so the listen backlog never overflows. */
    for (int i = 0; i < nclients; i++) {
        cs[i].buf = malloc(BUF);
        cs[i].fd = dial(ws_port, 0);
        if (cs[i].fd < 0 || handshake(cs[i].fd, path)) {
            fprintf(stderr, "wsbench: client %d cannot connect\n", i);
            return 1;
        }
        fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
        if (i % 200 == 199 || i == nclients - 1) {
            struct epoll_event evs[256];
            while (open_n + dead < i + 1 && now_us() < deadline) {
                int n = epoll_wait(ep, evs, 256, 100);
                for (int k = 0; k < n; k++) {
                    cl *c = &cs[evs[k].data.u32];
                    int was = c->state;
                    if (on_data(c)) {
                        c->state = 2;
                        close(c->fd);
                        dead++;
                    } else if (was == 0 && c->state == 1) {
                        open_n++;
                    }
                }
            }
        }
    }
    if (open_n < nclients) {
        fprintf(stderr, "wsbench: only %d of %d clients connected\n", open_n,
                nclients);
        return 1;
    }
    /* The publisher: M HTTP connections (ingest API), or one connection. */
    hconn *hs = NULL;
    int pfd = -1;
    const uint32_t HTAG = 0x80000000u;
    if (api) {
        hs = calloc((size_t)nhttp, sizeof *hs);
        for (int j = 0; j < nhttp; j++) {
            hs[j].k = -1;
            if ((hs[j].fd = dial(pub_port, 0)) < 0) {
                fprintf(stderr, "wsbench: ingest connection cannot connect\n");
                return 1;
            }
            fcntl(hs[j].fd, F_SETFL, O_NONBLOCK);
            struct epoll_event ev = {.events = EPOLLIN,
                                     .data.u32 = HTAG | (uint32_t)j};
            epoll_ctl(ep, EPOLL_CTL_ADD, hs[j].fd, &ev);
        }
    } else {
        pfd = dial(nchan ? pub_port : ws_port, 0);
        if (pfd >= 0 && !nchan)
            handshake(pfd, "/");
        if (pfd < 0) {
            fprintf(stderr, "wsbench: publisher cannot connect\n");
            return 1;
        }
        cs[nclients].fd = pfd;
        cs[nclients].buf = malloc(BUF);
        struct epoll_event pev = {.events = EPOLLIN,
                                  .data.u32 = (uint32_t)nclients};
        epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &pev);
    }
    usleep(300000);           /* let subscriptions settle */

    long t0_ticks = 0, t1_ticks, rss0, rss1;
    uint64_t all0 = 0, push0 = 0, all1, push1;
    struct timespec wts;
    clock_gettime(CLOCK_REALTIME, &wts);
    wall0_ms = (int64_t)wts.tv_sec * 1000 + wts.tv_nsec / 1000000;
    /* The warm-up publishes at the same rate but counts nothing: the
     * figures are the steady state (a server's history and WAL files,
     * caches and buffers at their working size), not its first seconds. */
    int64_t t0 = now_us(), t_meas = t0 + (int64_t)(warmup * 1e6);
    int64_t t_end = t_meas + (int64_t)(seconds * 1e6), tm = t0;
    int64_t t_stop = t_end + 3000000;      /* grace for stragglers */
    int measuring = 0;
    long due = 0;             /* updates due so far (sent <= due) */
    /* Idle connections in a FIFO, so every one is used in turn and none
     * sits idle long enough for the server's keep-alive timeout. */
    int *idle = calloc((size_t)nhttp, sizeof *idle), nidle = 0, ihead = 0;
    for (int j = 0; api && j < nhttp; j++)
        idle[nidle++] = j;
    struct epoll_event evs[512];
    while (now_us() < t_stop) {
        int64_t t = now_us();
        if (!measuring && t >= t_meas) {
            /* from here on: updates from `sent`, CPU from now */
            measuring = 1;
            k_base = sent;
            tm = t;
            memset(hist, 0, HIST_N * sizeof *hist);
            memset(hist_rx, 0, HIST_N * sizeof *hist_rx);
            memset(hist_ack, 0, HIST_N * sizeof *hist_ack);
            nack = 0;
            delivered = frames = maxlat = stray = repeated = 0;
            refused = 0;
            proc_cpu_rss(&t0_ticks, &rss0);
            proc_thread_ns(&all0, &push0);
        }
        if (t < t_end) {
            long d = (long)((double)(t - t0) * rate / 1e6);
            due = d < nsent_cap ? d : nsent_cap;
        }
        if (api) {
            /* Each due update takes an idle connection; without one it
             * waits, and its latency counts from when it fell due. */
            for (long k = sent; k < due; k++)
                if (!sent_at[k])
                    sent_at[k] = t;
            if (due - sent > queued_max)
                queued_max = due - sent;
            while (sent < due && nidle > 0) {
                hconn *h = &hs[idle[ihead]];
                ihead = (ihead + 1) % nhttp;
                nidle--;
                int64_t fell_due = sent_at[sent];
                if (ingest(h, sent)) {
                    fprintf(stderr, "wsbench: ingest request failed\n");
                    return 1;
                }
                sent_at[sent++] = fell_due;
            }
        } else {
            while (sent < due)
                if (publish(pfd, sent++)) {
                    fprintf(stderr, "wsbench: publish failed\n");
                    return 1;
                }
        }
        if (t >= t_end && sent == due && (!api || nidle == nhttp) &&
            delivered >= (uint64_t)(sent - k_base - refused) *
                         (uint64_t)nclients)
            break;
        int n = epoll_wait(ep, evs, 512, 1);
        for (int k = 0; k < n; k++) {
            uint32_t tag = evs[k].data.u32;
            if (tag & HTAG) {     /* an ingest answer */
                int j = (int)(tag & ~HTAG), rc = ingest_answer(&hs[j]);
                if (rc > 0) {
                    idle[(ihead + nidle++) % nhttp] = j;
                } else if (rc < 0 && reconnect(ep, &hs[j], HTAG | (uint32_t)j)) {
                    fprintf(stderr, "wsbench: ingest connection %d lost\n", j);
                    return 1;
                }
                continue;
            }
            cl *c = &cs[tag];
            if (tag == (uint32_t)nclients) {   /* test/nchan publisher */
                ssize_t r = recv(c->fd, c->buf, BUF, MSG_DONTWAIT);
                (void)r;
                continue;
            }
            if (c->state != 2 && on_data(c)) {
                c->state = 2;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                dead++;
            }
        }
    }
    double wall = (double)(now_us() - tm) / 1e6;
    proc_cpu_rss(&t1_ticks, &rss1);
    proc_thread_ns(&all1, &push1);
    double cpu_s = (double)(t1_ticks - t0_ticks) / (double)sysconf(_SC_CLK_TCK);
    /* Expected: every update written (less those the server refused) to
     * every client; one still unanswered at the end counts too. */
    long updates = api ? sent - k_base - refused : sent - k_base;
    uint64_t expected = (uint64_t)updates * (uint64_t)nclients;
    printf("%-8s N=%-5d R=%-5d updates=%ld delivered=%llu/%llu (%.2f%%) "
           "frames=%llu p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms "
           "server_cpu=%.1f%% cpu_per_update=%.2fus rss=%.1fMB "
           "dropped_clients=%d",
           mode, nclients, rate, updates, (unsigned long long)delivered,
           (unsigned long long)expected,
           expected ? 100.0 * (double)delivered / (double)expected : 0.0,
           (unsigned long long)frames, pct(0.50) / 1e3, pct(0.90) / 1e3,
           pct(0.99) / 1e3,
           maxlat / 1e3, 100.0 * cpu_s / wall,
           delivered ? cpu_s * 1e6 / (double)delivered : 0.0, rss1 / 1024.0,
           dead);
    if (api)
        printf(" refused=%ld queued_max=%ld unsent=%ld ack_p50=%.2fms "
               "ack_p99=%.2fms", refused, queued_max, due - sent,
               pct_of(hist_ack, nack, 0.50) / 1e3,
               pct_of(hist_ack, nack, 0.99) / 1e3);
    printf(" rx_p50=%.2fms rx_p99=%.2fms",
           pct_of(hist_rx, delivered, 0.50) / 1e3,
           pct_of(hist_rx, delivered, 0.99) / 1e3);
    /* threads that ended meanwhile drop out of the sums: only when the
     * totals grew is the split meaningful */
    if (push1 > push0 && all1 - push1 >= all0 - push0 && delivered && updates > 0)
        printf(" push_per_delivery=%.2fus rest_per_update=%.1fus",
               (double)(push1 - push0) / 1e3 / (double)delivered,
               (double)((all1 - push1) - (all0 - push0)) / 1e3 / (double)updates);
    if (stray)
        printf(" stray=%llu", (unsigned long long)stray);
    if (repeated)
        printf(" repeated=%llu", (unsigned long long)repeated);
    printf("\n");
    /* --trace FILE: per measured update, when it was sent (ms into the
     * measured time) and its slowest receipt (ms): where a tail comes from */
    FILE *tf = trace ? fopen(trace, "w") : NULL;
    for (long k = k_base; tf && k < sent; k++)
        if (sent_at[k])
            fprintf(tf, "%ld %.1f %.2f\n", k, (double)(sent_at[k] - tm) / 1e3,
                    worst[k] / 1e3);
    if (tf)
        fclose(tf);
    free(worst);
    for (int i = 0; i <= nclients; i++) {
        if (cs[i].state != 2 && cs[i].fd > 0)
            close(cs[i].fd);
        free(cs[i].buf);
        free(cs[i].got);
        free(cs[i].msg);
        if (cs[i].z) {
            inflateEnd(cs[i].z);
            free(cs[i].z);
        }
    }
    for (int j = 0; api && j < nhttp; j++)
        close(hs[j].fd);
    for (long i = 0; i < nids; i++)
        free(ids[i]);
    free(ids);
    free(hs);
    free(idle);
    free(cs);
    free(inflated);
    free(hist);
    free(hist_rx);
    free(hist_ack);
    free(sent_at);
    close(ep);
    return 0;
}
