/* server/http_gzip.c: gzip a response body in memory.
 * GDAL's /vsigzip/ writer (zlib underneath, with the gzip header and CRC
 * trailer) writes into a /vsimem/ file, whose buffer we then take over:
 * the program already links GDAL, and this keeps one gzip implementation. */
#include "server/http.h"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong gz_seq;

int http_gzip(const void *in, size_t n, unsigned char **out, size_t *outn)
{
    char mem[96], gz[128];
    snprintf(mem, sizeof mem, "/vsimem/citytwin_http_gz_%lu.gz",
             (unsigned long)atomic_fetch_add(&gz_seq, 1));
    snprintf(gz, sizeof gz, "/vsigzip/%s", mem);
    *out = NULL;
    *outn = 0;
    VSILFILE *f = VSIFOpenL(gz, "wb");
    if (!f)
        return CT_ERR;
    size_t w = VSIFWriteL(in, 1, n, f);
    VSIFCloseL(f);
    vsi_l_offset len = 0;
    GByte *buf = VSIGetMemFileBuffer(mem, &len, TRUE);
    if (w != n || !buf || len == 0) {
        CPLFree(buf);
        return CT_ERR;
    }
    /* Hand back memory from malloc so callers free() it. */
    unsigned char *copy = malloc((size_t)len);
    if (!copy) {
        CPLFree(buf);
        return CT_ENOMEM;
    }
    memcpy(copy, buf, (size_t)len);
    CPLFree(buf);
    *out = copy;
    *outn = (size_t)len;
    return CT_OK;
}
