/* push/push_sock.c: how far a peer has read, from the kernel's TCP counters
 * (in a file of its own: <linux/tcp.h> has them, and it does not mix with
 * <netinet/tcp.h>). Used to tell a slow reader from one that stopped. */
#include <linux/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

#include "push/push_int.h"

#ifndef SOL_TCP
#define SOL_TCP 6      /* IPPROTO_TCP, whose header clashes with this one */
#endif

/* Bytes the peer has acknowledged so far, or 0 if unknown. */
uint64_t push_sock_acked(int fd)
{
    struct tcp_info ti;
    socklen_t n = sizeof ti;
    if (fd < 0 || getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &n) != 0 ||
        n < offsetof(struct tcp_info, tcpi_bytes_acked) + 8)
        return 0;
    return ti.tcpi_bytes_acked;
}
