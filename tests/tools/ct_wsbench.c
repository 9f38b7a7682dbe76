/* tests/tools/ct_wsbench.c: the push load generator. One epoll-driven
 * process opens N WebSocket clients, publishes R updates/s and measures the
 * latency from each publish to each client's receipt (p50, p99, max) and
 * delivered/expected, plus the server's CPU and RSS from /proc.
 *   citytwin: subscribers send {"op":"subscribe","topics":["traffic"]};
 *             the publisher is one more WS client using the test-only
 *             {"op":"publish"} (serve --push-test).
 *   nchan:    subscribers GET /sub/traffic (WebSocket); the publisher
 *             POSTs to /pub/traffic over one keep-alive HTTP connection.
 * Every update carries "bt" (publish time, monotonic us); frames that batch
 * several updates are counted per update by scanning for "bt". */
#include <arpa/inet.h>
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

#define HIST_US 10000000     /* latency histogram: 1 us buckets to 10 s */
#define BUF 65536

typedef struct cl {
    int fd, state;           /* 0 connecting/handshake, 1 open, 2 dead */
    unsigned char *buf;
    size_t len;
} cl;

static const char *host = "127.0.0.1", *mode = "citytwin", *token = NULL;
static int ws_port = 8081, pub_port = 0, nclients = 100, rate = 100;
static double seconds = 10;
static int server_pid = 0;
static uint32_t *hist;
static uint64_t delivered, frames, maxlat;
static int64_t t_measure;

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
        "Sec-WebSocket-Version: 13\r\n\r\n", path, token ? "?token=" : "",
        token ? token : "", host, ws_port);
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

static void count_updates(const unsigned char *p, size_t n)
{
    if (n > 20 && memcmp(p, "{\"type\":\"snapshot\"", 18) == 0)
        return;
    int64_t t = now_us();
    frames++;
    for (const unsigned char *q = p, *e = p + n;
         (q = memmem(q, (size_t)(e - q), "\"bt\":", 5)) != NULL; q += 5) {
        int64_t bt = strtoll((const char *)q + 5, NULL, 10);
        if (bt < t_measure)
            continue;
        uint64_t lat = (uint64_t)(t - bt);
        hist[lat < HIST_US ? lat : HIST_US - 1]++;
        if (lat > maxlat)
            maxlat = lat;
        delivered++;
    }
}

/* Parse what arrived: the 101 answer, then server frames. */
static int on_data(cl *c)
{
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN ? 0 : -1;
        c->len += (size_t)r;
        size_t off = 0;
        if (c->state == 0) {
            unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
            if (!e)
                continue;
            if (memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                fprintf(stderr, "wsbench: handshake refused: %.60s\n", c->buf);
                return -1;
            }
            c->state = 1;
            off = (size_t)(e + 4 - c->buf);
            if (strcmp(mode, "citytwin") == 0 &&
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
            if (op == 1 || op == 2 || op == 0)
                count_updates(p + h, n);
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

static uint64_t pct(double q)
{
    uint64_t want = (uint64_t)(q * (double)delivered), acc = 0;
    for (uint64_t i = 0; i < HIST_US; i++)
        if ((acc += hist[i]) > want)
            return i;
    return maxlat;
}

static int publish(int fd, long k)
{
    char body[160], msg[512];
    snprintf(body, sizeof body, "{\"bt\":%lld,\"bk\":%ld,\"speed\":%ld}",
             (long long)now_us(), k, k % 90);
    if (strcmp(mode, "citytwin") == 0) {
        snprintf(msg, sizeof msg, "{\"op\":\"publish\",\"topic\":\"traffic\","
                 "\"id\":\"seg:%ld\",\"fields\":%s}", k % 100000, body);
        return ws_send(fd, msg);
    }
    int n = snprintf(msg, sizeof msg, "POST /pub/traffic HTTP/1.1\r\nHost: %s"
                     "\r\nContent-Type: application/json\r\nContent-Length: "
                     "%zu\r\n\r\n%s", host, strlen(body), body);
    return send_all(fd, msg, (size_t)n);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--port")) ws_port = atoi(v);
        else if (!strcmp(a, "--pub-port")) pub_port = atoi(v);
        else if (!strcmp(a, "--clients")) nclients = atoi(v);
        else if (!strcmp(a, "--rate")) rate = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--server-pid")) server_pid = atoi(v);
        else if (!strcmp(a, "--token")) token = v;
        else {
            fprintf(stderr, "usage: ct_wsbench --mode citytwin|nchan --port P "
                    "[--pub-port P] --clients N --rate R --seconds S "
                    "[--server-pid PID] [--token T]\n");
            return 2;
        }
    }
    int nchan = strcmp(mode, "nchan") == 0;
    const char *path = nchan ? "/sub/traffic" : "/";
    hist = calloc(HIST_US, sizeof *hist);
    cl *cs = calloc((size_t)nclients + 1, sizeof *cs);
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
    /* The publisher. */
    int pfd;
    if (nchan) {
        pfd = dial(pub_port, 0);
    } else {
        pfd = dial(ws_port, 0);
        if (pfd >= 0)
            handshake(pfd, "/");
    }
    if (pfd < 0) {
        fprintf(stderr, "wsbench: publisher cannot connect\n");
        return 1;
    }
    cs[nclients].fd = pfd;
    cs[nclients].buf = malloc(BUF);
    struct epoll_event pev = {.events = EPOLLIN, .data.u32 = (uint32_t)nclients};
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &pev);
    usleep(300000);           /* let subscriptions settle */

    long t0_ticks, t1_ticks, rss0, rss1;
    proc_cpu_rss(&t0_ticks, &rss0);
    t_measure = now_us();
    int64_t t0 = t_measure, t_end = t0 + (int64_t)(seconds * 1e6);
    int64_t t_stop = t_end + 3000000;      /* grace for stragglers */
    long sent = 0;
    struct epoll_event evs[512];
    while (now_us() < t_stop) {
        int64_t t = now_us();
        if (t < t_end) {
            long due = (long)((double)(t - t0) * rate / 1e6);
            while (sent < due)
                if (publish(pfd, sent++)) {
                    fprintf(stderr, "wsbench: publish failed\n");
                    return 1;
                }
        } else if (delivered >= (uint64_t)sent * (uint64_t)nclients) {
            break;
        }
        int n = epoll_wait(ep, evs, 512, 1);
        for (int k = 0; k < n; k++) {
            cl *c = &cs[evs[k].data.u32];
            if (evs[k].data.u32 == (uint32_t)nclients) {   /* publisher */
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
    double wall = (double)(now_us() - t0) / 1e6;
    proc_cpu_rss(&t1_ticks, &rss1);
    double cpu_s = (double)(t1_ticks - t0_ticks) / (double)sysconf(_SC_CLK_TCK);
    uint64_t expected = (uint64_t)sent * (uint64_t)nclients;
    printf("%-8s N=%-5d R=%-5d published=%ld delivered=%llu/%llu (%.2f%%) "
           "frames=%llu p50=%.2fms p99=%.2fms max=%.2fms server_cpu=%.1f%% "
           "cpu_per_update=%.2fus rss=%.1fMB dropped_clients=%d\n",
           mode, nclients, rate, sent, (unsigned long long)delivered,
           (unsigned long long)expected,
           expected ? 100.0 * (double)delivered / (double)expected : 0.0,
           (unsigned long long)frames, pct(0.50) / 1e3, pct(0.99) / 1e3,
           maxlat / 1e3, 100.0 * cpu_s / wall,
           delivered ? cpu_s * 1e6 / (double)delivered : 0.0, rss1 / 1024.0,
           dead);
    for (int i = 0; i <= nclients; i++) {
        if (cs[i].state != 2 && cs[i].fd > 0)
            close(cs[i].fd);
        free(cs[i].buf);
    }
    free(cs);
    free(hist);
    close(ep);
    return 0;
}
