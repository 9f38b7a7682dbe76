/* tests/unit/test_http.c: the HTTP server's pure parts: route patterns,
 * query-string checks, integer parameters, MIME types, gzip round trip,
 * error codes, and http_read_body against a bare civetweb (no route
 * takes a body yet). The server itself is tested in
 * tests/integration/http.test.mjs. */
#include <civetweb.h>
#include <cpl_vsi.h>
#include <stdlib.h>

#include "server/api.h"
#include "ut.h"

static void test_route_literal(void)
{
    http_req r;
    memset(&r, 0, sizeof r);
    UT_CHECK(http_route_match("/healthz", "/healthz", &r));
    UT_EQ_STR(r.rest, "");
    UT_CHECK(!http_route_match("/healthz", "/healthz/x", NULL));
    UT_CHECK(!http_route_match("/healthz", "/health", NULL));
    UT_CHECK(!http_route_match("/api/v1/layers", "/api/v1/layersx", NULL));
}

static void test_route_params(void)
{
    http_req r;
    memset(&r, 0, sizeof r);
    UT_CHECK(http_route_match("/api/v1/layers/{}/items",
                              "/api/v1/layers/buildings/items", &r));
    UT_EQ_INT(r.nparams, 1);
    UT_EQ_STR(r.param[0], "buildings");
    /* {} is one non-empty segment */
    UT_CHECK(!http_route_match("/api/v1/layers/{}/items",
                               "/api/v1/layers//items", NULL));
    UT_CHECK(!http_route_match("/api/v1/layers/{}", "/api/v1/layers/a/b", NULL));
    UT_CHECK(!http_route_match("/api/v1/layers/{}", "/api/v1/layers/", NULL));
    /* a segment longer than r->param holds matches neither way */
    char longp[400] = "/api/v1/layers/";
    memset(longp + 15, 'x', 300);
    UT_CHECK(!http_route_match("/api/v1/layers/{}", longp, NULL));
    UT_CHECK(!http_route_match("/api/v1/layers/{}", longp, &r));
}

static void test_route_rest(void)
{
    http_req r;
    memset(&r, 0, sizeof r);
    UT_CHECK(http_route_match("/api/v1/items/*", "/api/v1/items/osm:way/12", &r));
    UT_EQ_STR(r.rest, "osm:way/12");
    UT_CHECK(http_route_match("/*", "/", &r));
    UT_EQ_STR(r.rest, "");
    UT_CHECK(http_route_match("/tiles/*", "/tiles/0/1/2.glb", &r));
    UT_EQ_STR(r.rest, "0/1/2.glb");
    UT_CHECK(!http_route_match("/tiles/*", "/tiles", NULL));
    UT_CHECK(http_route_match("/api/v1/layers/{}/items/*",
                              "/api/v1/layers/roads/items/r:1", &r));
    UT_EQ_STR(r.param[0], "roads");
    UT_EQ_STR(r.rest, "r:1");
}

/* Every route of the table has a handler and a well-formed pattern. */
static void test_route_table(void)
{
    int n = 0;
    for (const http_route *rt = HTTP_ROUTES; rt->pattern; rt++, n++) {
        UT_CHECK_MSG(rt->fn != NULL, "route %s has no handler", rt->pattern);
        UT_CHECK_MSG(rt->pattern[0] == '/', "route %s", rt->pattern);
    }
    UT_CHECK(n >= 8);
}

static const char *const ALLOWED[] = {"bbox", "limit", "offset", NULL};

static void test_query_ok(void)
{
    http_req r;
    memset(&r, 0, sizeof r);
    r.query = "limit=5&bbox=1%2C2,3,4&offset=0";
    http_qparam p[8];
    char buf[256];
    ct_err e;
    ct_err_clear(&e);
    int n = http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e);
    UT_EQ_INT(n, 3);
    UT_EQ_STR(http_query_get(p, n, "limit"), "5");
    UT_EQ_STR(http_query_get(p, n, "bbox"), "1,2,3,4");
    UT_CHECK(http_query_get(p, n, "f") == NULL);
    r.query = "limit=5&&offset=2&";   /* stray '&' are not parameters */
    n = http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e);
    UT_EQ_INT(n, 2);
    UT_EQ_STR(http_query_get(p, n, "offset"), "2");
    r.query = NULL;
    UT_EQ_INT(http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e), 0);
}

static void test_query_bad(void)
{
    http_req r;
    memset(&r, 0, sizeof r);
    http_qparam p[8];
    char buf[64];
    ct_err e;
    r.query = "limit=5&colour=red";
    UT_EQ_INT(http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e),
              CT_EINVAL);
    UT_CHECK_MSG(strstr(e.msg, "colour") != NULL, "%s", e.msg);
    r.query = "limit=5&limit=6";
    UT_EQ_INT(http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e),
              CT_EINVAL);
    UT_CHECK_MSG(strstr(e.msg, "more than once") != NULL, "%s", e.msg);
    r.query = "limit=0123456789012345678901234567890123456789012345678901234567";
    UT_EQ_INT(http_query_parse(&r, ALLOWED, p, 8, buf, sizeof buf, &e),
              CT_EINVAL);
}

static void test_parse_int(void)
{
    long long v = 0;
    ct_err e;
    UT_EQ_INT(http_parse_int("limit", "10", 1, 100, &v, &e), CT_OK);
    UT_EQ_INT(v, 10);
    UT_EQ_INT(http_parse_int("limit", "-1", 1, 100, &v, &e), CT_EINVAL);
    UT_CHECK_MSG(strstr(e.msg, "limit: -1") != NULL, "%s", e.msg);
    UT_EQ_INT(http_parse_int("limit", "1e3", 1, 10000, &v, &e), CT_EINVAL);
    UT_EQ_INT(http_parse_int("limit", "", 1, 100, &v, &e), CT_EINVAL);
    UT_EQ_INT(http_parse_int("limit", " 5", 1, 100, &v, &e), CT_EINVAL);
    UT_EQ_INT(http_parse_int("offset", "99999999999999999999", 0, 100, &v, &e),
              CT_EINVAL);
    UT_CHECK_MSG(strstr(e.msg, "out of range") != NULL, "%s", e.msg);
}

static void test_mime(void)
{
    UT_EQ_STR(http_mime_type("a/b/0.glb"), "model/gltf-binary");
    UT_EQ_STR(http_mime_type("tileset.json"), "application/json");
    UT_EQ_STR(http_mime_type("12/3/4.PNG"), "image/png");
    UT_EQ_STR(http_mime_type("x.b3dm"), "application/octet-stream");
    UT_EQ_STR(http_mime_type("index.html"), "text/html; charset=utf-8");
    UT_EQ_STR(http_mime_type("dir.d/noext"), "application/octet-stream");
}

static void test_gzip_round_trip(void)
{
    char text[5000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "citytwin "[i % 9];
    unsigned char *gz = NULL;
    size_t gzn = 0;
    UT_EQ_INT(http_gzip(text, sizeof text, &gz, &gzn), CT_OK);
    UT_CHECK(gzn > 18 && gzn < sizeof text / 4);
    UT_CHECK(gz[0] == 0x1f && gz[1] == 0x8b);   /* gzip magic */
    /* Read it back through GDAL's gzip reader. */
    VSILFILE *m = VSIFileFromMemBuffer("/vsimem/test_http.gz", gz, gzn, FALSE);
    UT_CHECK(m != NULL);
    VSIFCloseL(m);
    char back[6000];
    VSILFILE *f = VSIFOpenL("/vsigzip//vsimem/test_http.gz", "rb");
    UT_CHECK(f != NULL);
    size_t got = VSIFReadL(back, 1, sizeof back, f);
    VSIFCloseL(f);
    VSIUnlink("/vsimem/test_http.gz");
    free(gz);
    UT_EQ_INT(got, sizeof text);
    UT_CHECK(memcmp(back, text, sizeof text) == 0);
}

static void test_status_codes(void)
{
    UT_EQ_STR(http_status_code(400), "bad_request");
    UT_EQ_STR(http_status_code(404), "not_found");
    UT_EQ_STR(http_status_code(405), "method_not_allowed");
    UT_EQ_STR(http_status_code(413), "payload_too_large");
    UT_EQ_STR(http_status_code(503), "unavailable");
}

/* Answers "rc length body-or-message" for http_read_body(max 100). */
static int body_echo(struct mg_connection *c, void *cb)
{
    (void)cb;
    http_req r;
    memset(&r, 0, sizeof r);
    r.conn = c;
    r.ri = mg_get_request_info(c);
    char *body = NULL;
    size_t n = 0;
    ct_err e;
    ct_err_clear(&e);
    int rc = http_read_body(&r, 100, &body, &n, &e);
    char out[700];
    snprintf(out, sizeof out, "%d %zu %s", rc, n, rc ? e.msg : body);
    free(body);
    mg_send_http_ok(c, "text/plain", (long long)strlen(out));
    mg_write(c, out, strlen(out));
    return 200;
}

/* Send a raw request to port and return the response body in out. */
static int post_raw(int port, const char *req, char *out, size_t cap)
{
    char ebuf[256];
    struct mg_connection *c =
        mg_connect_client("127.0.0.1", port, 0, ebuf, sizeof ebuf);
    if (!c)
        return -1;
    mg_printf(c, "%s", req);
    int n = -1;
    if (mg_get_response(c, ebuf, sizeof ebuf, 10000) >= 0) {
        n = mg_read(c, out, cap - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    mg_close_connection(c);
    return n;
}

static void test_read_body(void)
{
    const char *opts[] = {"listening_ports", "127.0.0.1:0", "num_threads", "2",
                          NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    mg_init_library(0);
    struct mg_context *ctx = mg_start(&cb, NULL, opts);
    UT_CHECK(ctx != NULL);
    mg_set_request_handler(ctx, "/", body_echo, NULL);
    struct mg_server_port sp[2];
    memset(sp, 0, sizeof sp);
    int np = mg_get_server_ports(ctx, 2, sp);
    int port = np > 0 ? sp[0].port : 0;
    char out[800];
    int ok1 = post_raw(port, "POST / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello",
                       out, sizeof out);
    char r1[800];
    snprintf(r1, sizeof r1, "%s", out);
    post_raw(port, "POST / HTTP/1.0\r\nContent-Length: 200\r\n\r\n", out,
             sizeof out);
    char r2[800];
    snprintf(r2, sizeof r2, "%s", out);
    char big[400];
    snprintf(big, sizeof big, "POST / HTTP/1.1\r\nConnection: close\r\n"
             "Transfer-Encoding: chunked\r\n\r\n96\r\n%0150d\r\n0\r\n\r\n", 7);
    post_raw(port, big, out, sizeof out);
    char r3[800];
    snprintf(r3, sizeof r3, "%s", out);
    mg_stop(ctx);
    mg_exit_library();
    UT_CHECK(port > 0 && ok1 > 0);
    UT_EQ_STR(r1, "0 5 hello");
    UT_CHECK_MSG(strstr(r2, "-9 0 request body of 200 bytes is over the limit "
                        "of 100") == r2, "%s", r2);
    UT_CHECK_MSG(strncmp(r3, "-9 0 ", 5) == 0, "%s", r3);
}

int main(void)
{
    UT_RUN(test_route_literal);
    UT_RUN(test_route_params);
    UT_RUN(test_route_rest);
    UT_RUN(test_route_table);
    UT_RUN(test_query_ok);
    UT_RUN(test_query_bad);
    UT_RUN(test_parse_int);
    UT_RUN(test_mime);
    UT_RUN(test_gzip_round_trip);
    UT_RUN(test_status_codes);
    UT_RUN(test_read_body);
    return ut_done();
}
