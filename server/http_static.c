/* server/http_static.c: files from a folder (web/, tiles, base map).
 * Right MIME types for 3D Tiles and glTF, a strong ETag per file version
 * (inode, size, mtime in ns) with If-None-Match -> 304, gzip for text
 * types (a precompressed .gz sibling when it is fresh, else compressed on
 * the fly), Cache-Control per kind, CORS. Paths with '..' or hidden
 * segments are refused before the file system is touched. */
#include "server/http.h"

#include <civetweb.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define GZIP_MIN 1024              /* smaller text is sent as it is */
#define GZIP_MAX_LIVE (16L << 20)  /* larger text needs a .gz sibling */

typedef struct mime {
    const char *ext;
    const char *type;
    int text;   /* worth gzipping */
} mime;

static const mime MIMES[] = {
    {"html", "text/html; charset=utf-8", 1},
    {"htm", "text/html; charset=utf-8", 1},
    {"js", "text/javascript; charset=utf-8", 1},
    {"mjs", "text/javascript; charset=utf-8", 1},
    {"css", "text/css; charset=utf-8", 1},
    {"json", "application/json", 1},
    {"map", "application/json", 1},
    {"geojson", "application/geo+json", 1},
    {"gltf", "model/gltf+json", 1},
    {"glb", "model/gltf-binary", 0},
    {"b3dm", "application/octet-stream", 0},
    {"i3dm", "application/octet-stream", 0},
    {"pnts", "application/octet-stream", 0},
    {"cmpt", "application/octet-stream", 0},
    {"subtree", "application/octet-stream", 0},
    {"bin", "application/octet-stream", 0},
    {"png", "image/png", 0},
    {"jpg", "image/jpeg", 0},
    {"jpeg", "image/jpeg", 0},
    {"webp", "image/webp", 0},
    {"ktx2", "image/ktx2", 0},
    {"svg", "image/svg+xml", 1},
    {"ico", "image/x-icon", 0},
    {"wasm", "application/wasm", 0},
    {"pbf", "application/x-protobuf", 0},
    {"woff2", "font/woff2", 0},
    {"woff", "font/woff", 0},
    {"ttf", "font/ttf", 0},
    {"txt", "text/plain; charset=utf-8", 1},
    {"xml", "application/xml", 1},
    {"csv", "text/csv; charset=utf-8", 1},
    {NULL, NULL, 0}};

static const mime *find_mime(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (const mime *m = MIMES; m->ext; m++)
            if (!strcasecmp(dot + 1, m->ext))
                return m;
    return NULL;
}

const char *http_mime_type(const char *path)
{
    const mime *m = find_mime(path);
    return m ? m->type : "application/octet-stream";
}

/* NULL when relpath is safe, else why it is refused. */
static const char *bad_path(const char *rel)
{
    if (strchr(rel, '\\'))
        return "backslashes are refused";
    for (const char *s = rel; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return "'..' segments are refused";
        if (n > 0 && s[0] == '.')
            return "hidden files are not served";
        s += n;
        if (*s == '/')
            s++;
    }
    return NULL;
}

static void make_etag(char *buf, size_t n, const struct stat *sb, int gz)
{
    snprintf(buf, n, "\"%llx-%llx-%llx%s\"", (unsigned long long)sb->st_ino,
             (unsigned long long)sb->st_size,
             (unsigned long long)sb->st_mtim.tv_sec * 1000000000ULL +
                 (unsigned long long)sb->st_mtim.tv_nsec,
             gz ? "-gz" : "");
}

/* Does If-None-Match list this ETag (weak comparison, as RFC 9110 asks)? */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    size_t elen = strlen(etag);
    for (const char *s = inm; *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == '*')
            return 1;
        if (!strncmp(s, "W/", 2))
            s += 2;
        size_t n = strcspn(s, ", ");
        if (n == elen && !strncmp(s, etag, n))
            return 1;
        s += n;
    }
    return 0;
}

/* Send fd's whole content (size bytes) after the headers. */
static void send_fd(http_req *r, int fd, off_t size)
{
    /* On the heap: civetweb's worker stacks are only 100 KB. */
    enum { CHUNK = 65536 };
    char *buf = malloc(CHUNK);
    off_t left = size;
    while (buf && left > 0) {
        ssize_t got = read(fd, buf, CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (mg_write(r->conn, buf, (size_t)got) <= 0)
            break;
        left -= got;
    }
    free(buf);
}

static int read_all(int fd, size_t size, char **out)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return CT_ENOMEM;
    size_t have = 0;
    while (have < size) {
        ssize_t got = read(fd, buf + have, size - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            free(buf);
            return CT_EIO;
        }
        have += (size_t)got;
    }
    *out = buf;
    return CT_OK;
}

static void send_headers(http_req *r, int status, const mime *m,
                         const char *etag, const char *cache, int gz,
                         long long len)
{
    char clen[32];
    mg_response_header_start(r->conn, status);
    http_common_headers(r);
    mg_response_header_add(r->conn, "ETag", etag, -1);
    mg_response_header_add(r->conn, "Cache-Control", cache, -1);
    if (m && m->text)
        mg_response_header_add(r->conn, "Vary", "Accept-Encoding", -1);
    if (status != 304) {
        mg_response_header_add(r->conn, "Content-Type",
                               m ? m->type : "application/octet-stream", -1);
        if (gz)
            mg_response_header_add(r->conn, "Content-Encoding", "gzip", -1);
        snprintf(clen, sizeof clen, "%lld", len);
        mg_response_header_add(r->conn, "Content-Length", clen, -1);
    }
    mg_response_header_send(r->conn);
}

/* Open path as a regular file (following a folder to its index.html).
 * O_NONBLOCK: a FIFO left in a served folder must not hang a worker. */
static int open_file(char *path, size_t cap, int index, struct stat *sb)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) == 0 && S_ISDIR(sb->st_mode) && index) {
        close(fd);
        size_t n = strlen(path);
        if (n + 12 >= cap)
            return -1;
        snprintf(path + n, cap - n, "%sindex.html",
                 n && path[n - 1] == '/' ? "" : "/");
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 || fstat(fd, sb) != 0) {
            if (fd >= 0)
                close(fd);
            return -1;
        }
    }
    if (!S_ISREG(sb->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Use a precompressed sibling path.gz when it is at least as new. */
static int open_gz_sibling(const char *path, const struct stat *orig,
                           struct stat *gsb)
{
    char gz[PATH_MAX];
    if ((size_t)snprintf(gz, sizeof gz, "%s.gz", path) >= sizeof gz)
        return -1;
    int fd = open(gz, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, gsb) != 0 || !S_ISREG(gsb->st_mode) ||
        gsb->st_mtim.tv_sec < orig->st_mtim.tv_sec) {
        close(fd);
        return -1;
    }
    return fd;
}

int http_static_serve(http_req *r, const char *root, const char *relpath,
                      const http_static_opts *o)
{
    const char *why = bad_path(relpath);
    if (why)
        return http_reply_error(r, 400, "path %s: %s", r->path, why);
    char path[PATH_MAX];
    if (!root || (size_t)snprintf(path, sizeof path, "%s/%s", root, relpath) >=
                     sizeof path)
        return http_reply_error(r, 404, "no file at %s", r->path);
    struct stat sb;
    int fd = open_file(path, sizeof path, o->index, &sb);
    if (fd < 0)
        return http_reply_error(r, 404, "no file at %s", r->path);

    const mime *m = find_mime(path);
    const char *cache = m && m->text ? o->cache_control : o->cache_control_bin;
    int want_gz = m && m->text && sb.st_size >= GZIP_MIN && http_accepts_gzip(r);
    struct stat gsb;
    int gfd = want_gz ? open_gz_sibling(path, &sb, &gsb) : -1;
    if (gfd >= 0) {          /* serve the sibling: its own ETag */
        close(fd);
        fd = gfd;
        sb = gsb;
    } else if (want_gz && sb.st_size > GZIP_MAX_LIVE) {
        want_gz = 0;         /* too big to compress per request */
    }
    char etag[96];
    make_etag(etag, sizeof etag, &sb, want_gz);
    if (etag_matches(http_header(r, "If-None-Match"), etag)) {
        close(fd);
        send_headers(r, 304, m, etag, cache, 0, 0);
        return r->status = 304;
    }
    if (want_gz && gfd < 0) {
        char *raw = NULL;
        unsigned char *gz = NULL;
        size_t gzn = 0;
        if (read_all(fd, (size_t)sb.st_size, &raw) == CT_OK &&
            http_gzip(raw, (size_t)sb.st_size, &gz, &gzn) == CT_OK) {
            close(fd);
            free(raw);
            send_headers(r, 200, m, etag, cache, 1, (long long)gzn);
            if (!r->head)
                mg_write(r->conn, gz, gzn);
            free(gz);
            return r->status = 200;
        }
        free(raw);
        close(fd);
        return http_reply_error(r, 500, "cannot read or compress %s", r->path);
    }
    send_headers(r, 200, m, etag, cache, want_gz, (long long)sb.st_size);
    if (!r->head)
        send_fd(r, fd, sb.st_size);
    close(fd);
    return r->status = 200;
}
