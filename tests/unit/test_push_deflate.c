/* tests/unit/test_push_deflate.c: frames compressed once for every
 * permessage-deflate client (push/push_deflate.c): the WebSocket header at
 * each length encoding, one compression per frame however often it is
 * asked for, and frames made from empty windows: each reads back whole
 * alone, and in one inflater that keeps its window between messages (as
 * a browser's does). */
#include "push/push_server.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/unit/ut.h"

/* A frame whose text is {"t":"<n characters>"}: repetitive, or from a
 * pseudo-random generator (what deflate cannot shrink). */
static push_frame *text_frame(size_t n, int random)
{
    char *s = malloc(n + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        s[i] = random ? (char)('!' + (x >> 16) % 90) : (char)('a' + i % 7);
        if (s[i] == '"' || s[i] == '\\')
            s[i] = 'q';
    }
    s[n] = '\0';
    push_frame *f = push_frame_json(json_pack("{s:s}", "t", s));
    free(s);
    return f;
}

/* The payload of a server frame at z (no mask): its offset, its length in
 * *n; 0 when the first byte is not FIN + RSV1 + text. */
static size_t payload(const unsigned char *z, size_t *n)
{
    if (z[0] != 0xC1 || (z[1] & 0x80))
        return 0;
    if (z[1] < 126) {
        *n = z[1];
        return 2;
    }
    if (z[1] == 126) {
        *n = (size_t)z[2] << 8 | z[3];
        return 4;
    }
    *n = 0;
    for (int i = 0; i < 8; i++)
        *n = *n << 8 | z[2 + i];
    return 10;
}

/* Inflate one message's payload (the 00 00 ff ff put back) with zs,
 * which keeps its window from earlier messages; compare with f's text. */
static int reads_back(z_stream *zs, push_frame *f, const unsigned char *p,
                      size_t n)
{
    unsigned char *in = malloc(n + 4), *out = malloc(f->len + 64);
    memcpy(in, p, n);
    memcpy(in + n, "\0\0\xff\xff", 4);
    zs->next_in = in;
    zs->avail_in = (uInt)(n + 4);
    zs->next_out = out;
    zs->avail_out = (uInt)(f->len + 64);
    int rc = inflate(zs, Z_SYNC_FLUSH);
    size_t got = f->len + 64 - zs->avail_out;
    int ok = rc == Z_OK && zs->avail_in == 0 && got == f->len &&
             memcmp(out, f->data + PUSH_PRE, f->len) == 0;
    free(in);
    free(out);
    return ok;
}

static void test_frames_read_back_in_one_stream(void)
{
    /* small (7-bit length), medium (16-bit), incompressible > 64 KB
     * (64-bit), then small again after the big one */
    push_frame *f[4] = {text_frame(40, 0), text_frame(20000, 1),
                        text_frame(100000, 1), text_frame(3000, 0)};
    size_t want_head[4] = {2, 4, 10, 2};
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    UT_CHECK(inflateInit2(&zs, -MAX_WBITS) == Z_OK);
    uint64_t before = P.stats.deflated;
    for (int i = 0; i < 4; i++) {
        UT_CHECK(f[i] != NULL);
        size_t zlen = 0, n = 0;
        const unsigned char *z = push_frame_deflated(f[i], &zlen);
        UT_CHECK(z != NULL);
        size_t off = payload(z, &n);
        UT_EQ_INT(off, want_head[i]);
        UT_EQ_INT(off + n, zlen);
        UT_CHECK(reads_back(&zs, f[i], z + off, n));
        /* and alone: it refers to nothing before it */
        z_stream fresh;
        memset(&fresh, 0, sizeof fresh);
        UT_CHECK(inflateInit2(&fresh, -MAX_WBITS) == Z_OK);
        int alone = reads_back(&fresh, f[i], z + off, n);
        inflateEnd(&fresh);
        UT_CHECK(alone);
        /* asked again (the next client): the same bytes, not compressed
         * again */
        size_t zlen2 = 0;
        UT_CHECK(push_frame_deflated(f[i], &zlen2) == z);
        UT_EQ_INT(zlen2, zlen);
    }
    UT_EQ_INT(P.stats.deflated - before, 4);
    /* the repetitive text shrinks */
    UT_CHECK(f[3]->zlen < f[3]->len / 10);
    inflateEnd(&zs);
    for (int i = 0; i < 4; i++)
        push_frame_unref(f[i]);
    push_deflate_free();
}

int main(void)
{
    UT_RUN(test_frames_read_back_in_one_stream);
    return ut_done();
}
