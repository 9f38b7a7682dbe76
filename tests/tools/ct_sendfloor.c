/* ct_sendfloor: what one TCP send over loopback costs on this machine,
 * with nothing of a server around it. make bench prints it beside the
 * push figures: a one-core server that writes one frame per client per
 * round cannot start rounds faster than N x this cost, so it bounds the
 * latency any such server can reach at N clients (docs/BENCHMARKS.md).
 *
 * The sender (this process, the core of the caller's taskset) accepts N
 * loopback connections from a reader child on --reader-cpu, then writes
 * --bytes to each in turn for --seconds, as push writes a paced round.
 * The reader drains them with epoll as ct_wsbench does. --uring K (when
 * built with liburing, a bench-only package) submits the sends K at a time
 * through io_uring instead: what batching the system calls would save.
 * Output: one line, sends/s and µs of sender CPU (user+sys) per send. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if __has_include(<liburing.h>)
#include <liburing.h>
#define HAVE_URING 1
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "ct_sendfloor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void pin(int cpu)
{
    cpu_set_t set;
    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

/* The child: connect n sockets, then read everything until killed. */
static void reader(int port, int n, int cpu)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ep = epoll_create1(0);
    static char buf[65536];
    pin(cpu);
    if (ep < 0)
        die("epoll_create1");
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
            die("connect");
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl");
    }
    for (;;) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 1000);
        for (int i = 0; i < k; i++)
            if (read(evs[i].data.fd, buf, sizeof buf) <= 0)
                _exit(0);
    }
}

/* One round: every client gets one message; returns the full sends. */
static long round_send(const int *fds, int n, const char *msg, int bytes)
{
    long full = 0;
    for (int i = 0; i < n; i++)
        if (send(fds[i], msg, (size_t)bytes, MSG_DONTWAIT | MSG_NOSIGNAL) ==
            bytes)
            full++; /* else a full socket: the reader is behind */
    return full;
}

#ifdef HAVE_URING
static long round_uring(struct io_uring *ring, int batch, const int *fds, int n,
                        const char *msg, int bytes)
{
    long full = 0;
    for (int i = 0; i < n; i += batch) {
        int m = n - i < batch ? n - i : batch;
        for (int j = 0; j < m; j++)
            io_uring_prep_send(io_uring_get_sqe(ring), fds[i + j], msg,
                               (size_t)bytes, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (io_uring_submit_and_wait(ring, (unsigned)m) < 0)
            die("io_uring");
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(ring, head, cqe)
        {
            full += cqe->res == bytes;
            seen++;
        }
        io_uring_cq_advance(ring, seen);
    }
    return full;
}
#endif

int main(int argc, char **argv)
{
    int n = 5000, bytes = 400, reader_cpu = -1, uring = 0;
    double secs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--clients"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--bytes"))
            bytes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--reader-cpu"))
            reader_cpu = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--uring"))
            uring = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "ct_sendfloor: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (n < 1 || bytes < 1 || bytes > 65536 || secs <= 0 || uring < 0 ||
        uring > 4096) {
        fprintf(stderr, "ct_sendfloor: --clients >= 1, --bytes 1..65536, "
                        "--seconds > 0, --uring 0..4096\n");
        return 2;
    }
#ifdef HAVE_URING
    struct io_uring ring;
    if (uring && io_uring_queue_init((unsigned)uring, &ring, 0) < 0)
        die("io_uring_queue_init");
#else
    if (uring) {
        fprintf(stderr, "ct_sendfloor: built without liburing (--uring)\n");
        return 2;
    }
#endif
    struct rlimit rl = {(rlim_t)n * 2 + 64, (rlim_t)n * 2 + 64};
    setrlimit(RLIMIT_NOFILE, &rl); /* best effort: accept() says if short */

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(ls, 4096) != 0 || getsockname(ls, (struct sockaddr *)&a, &al))
        die("listen");
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0)
        reader(ntohs(a.sin_port), n, reader_cpu);

    int *fds = calloc((size_t)n, sizeof *fds);
    char *msg = malloc((size_t)bytes);
    if (!fds || !msg)
        die("malloc");
    memset(msg, 'x', (size_t)bytes);
    for (int i = 0; i < n; i++) {
        int one = 1;
        struct pollfd pl = {.fd = ls, .events = POLLIN};
        if (poll(&pl, 1, 10000) !=
            1) { /* a reader that died must not hang us */
            fprintf(stderr, "ct_sendfloor: the reader connected %d of %d\n", i,
                    n);
            kill(child, SIGTERM);
            waitpid(child, NULL, 0);
            return 1;
        }
        fds[i] = accept(ls, NULL, NULL);
        if (fds[i] < 0)
            die("accept");
        /* as lws sets on its connections: no Nagle delay on small frames */
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    sleep(1); /* the reader settles into its epoll loop */

    long sends = 0, rounds = 0;
    double t0 = now_s(), c0 = cpu_s(), t1;
    do {
#ifdef HAVE_URING
        if (uring)
            sends += round_uring(&ring, uring, fds, n, msg, bytes);
        else
#endif
            sends += round_send(fds, n, msg, bytes);
        rounds++;
        t1 = now_s();
    } while (t1 - t0 < secs);
    double cpu = cpu_s() - c0;
    long short_sends = rounds * n - sends;
    if (sends == 0) {
        fprintf(stderr, "ct_sendfloor: no send went through whole\n");
        return 1;
    }

    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    printf("sendfloor%s N=%d bytes=%d sends/s=%.0f cpu_per_send=%.2fus "
           "sender_cpu=%.1f%% round_at_full_core=%.1fms short=%ld\n",
           uring ? "_uring" : "", n, bytes, (double)sends / (t1 - t0),
           cpu * 1e6 / (double)sends, 100.0 * cpu / (t1 - t0),
           cpu * 1e3 * n / (double)sends, short_sends);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    close(ls);
    free(fds);
    free(msg);
#ifdef HAVE_URING
    if (uring)
        io_uring_queue_exit(&ring);
#endif
    return 0;
}
