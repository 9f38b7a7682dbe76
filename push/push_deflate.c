/* push/push_deflate.c: permessage-deflate frames compressed once and
 * shared. lws compresses each client's copy of a frame on its own (with
 * context takeover), so N browsers cost N compressions of the same bytes.
 * Here a frame is compressed once, from an empty window, and the finished
 * WebSocket frame (RSV1 set) is written raw to every client that
 * negotiated the extension. A message that refers to nothing before it is
 * valid in any client's stream: context takeover (RFC 7692) lets a sender
 * refer back to earlier messages, it never obliges it, so no
 * server_no_context_takeover needs negotiating. One offer stays with lws:
 * a window smaller than zlib's 32 KB (server_max_window_bits, see
 * push_deflate_ok). Every data frame to such a client goes this way (one
 * from lws's compressor in between would refer to a window the client's
 * inflater no longer holds). Service thread only (one z_stream). */
#include "push/push_server.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* zlib's level 1 (lws's own default) and a 2,048-entry hash: its table is
 * cleared for every frame (deflateReset), 4 KB rather than memLevel 8's
 * 64 KB. */
#define ZLEVEL 1
#define ZMEM 4

static z_stream zs;
static int zs_ready;

int push_deflate_ok(struct lws *wsi)
{
    char ext[256];
    int n = lws_hdr_copy(wsi, ext, sizeof ext, WSI_TOKEN_EXTENSIONS);
    /* an offer too long to read whole is left to lws as well */
    return n > 0 && n < (int)sizeof ext - 1 &&
           !strstr(ext, "server_max_window_bits");
}

/* The WebSocket header of a final compressed text frame of n bytes
 * (server to client: no mask) into h; its length. */
static size_t frame_head(unsigned char *h, size_t n)
{
    h[0] = 0x80 | 0x40 | 0x1;    /* FIN, RSV1 (compressed), text */
    if (n < 126) {
        h[1] = (unsigned char)n;
        return 2;
    }
    if (n < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    return 10;
}

const unsigned char *push_frame_deflated(push_frame *f, size_t *len)
{
    if (f->z) {
        *len = f->zlen;
        return f->z;
    }
    if (!zs_ready) {
        if (deflateInit2(&zs, ZLEVEL, Z_DEFLATED, -MAX_WBITS, ZMEM,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return NULL;
        zs_ready = 1;
    } else if (deflateReset(&zs) != Z_OK) {
        return NULL;
    }
    /* room for the header in front; the bound covers the sync flush */
    size_t cap = deflateBound(&zs, (uLong)f->len) + 16;
    unsigned char *buf = malloc(LWS_PRE + 10 + cap);
    if (!buf)
        return NULL;
    unsigned char *out = buf + LWS_PRE + 10;
    zs.next_in = f->data + PUSH_PRE;
    zs.avail_in = (uInt)f->len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_SYNC_FLUSH) != Z_OK || zs.avail_in != 0 ||
        zs.avail_out == 0) {
        free(buf);
        return NULL;
    }
    size_t n = cap - zs.avail_out;
    /* RFC 7692: the flush's empty block (00 00 ff ff) is left off */
    if (n < 4 || memcmp(out + n - 4, "\0\0\xff\xff", 4) != 0) {
        free(buf);
        return NULL;
    }
    n -= 4;
    unsigned char h[10];
    size_t hl = frame_head(h, n);
    memcpy(out - hl, h, hl);
    f->zbuf = buf;
    f->z = out - hl;
    f->zlen = hl + n;
    push_stat_add(&P.stats.deflated, 1);
    *len = f->zlen;
    return f->z;
}

void push_deflate_free(void)
{
    if (zs_ready)
        deflateEnd(&zs);
    zs_ready = 0;
}
