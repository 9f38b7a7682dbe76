/* server/api_ingest.c: the feeds' endpoints: POST /api/v1/observations
 * (the native batch) and POST /ngsi-ld/v1/entityOperations/upsert (FIWARE
 * NGSI-LD). Feeder role. The body (at most HTTP_MAX_BODY_INGEST) is checked
 * for nesting depth before jansson parses it, so a hostile body costs one
 * linear scan; the engine validates each item and answers only after the
 * accepted ones are committed (durable). 200 when nothing was rejected,
 * 207 when some items were (the report names them by index). */
#include "server/api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/serve_live.h"

/* Observation bodies are 3-4 levels deep; NGSI-LD normalized 5-6. */
#define INGEST_MAX_DEPTH 32

/* The deepest [ / { nesting outside strings, stopping past limit. */
static int json_depth(const char *s, size_t n, int limit)
{
    int depth = 0, max = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '[' || ch == '{') {
            if (++depth > max && (max = depth) > limit)
                return max;
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return max;
}

live_engine *api_live(http_req *r)
{
    live_engine *e = serve_live_engine();
    if (!e)
        http_reply_error(r, 503, "the live engine is off (serve was started "
                         "with --no-live or could not open it: see its log)");
    return e;
}

/* Content-Type must be JSON when given (ld: also application/ld+json). */
static int json_type_ok(const http_req *r, int ld)
{
    const char *ct = http_header(r, "Content-Type");
    if (!ct)
        return 1;
    if (!strncasecmp(ct, "application/json", 16))
        return 1;
    return ld && !strncasecmp(ct, "application/ld+json", 19);
}

/* Read and parse the body; on failure the 4xx is sent and NULL returned. */
json_t *api_read_json(http_req *r, size_t max)
{
    ct_err err;
    ct_err_clear(&err);
    char *buf = NULL;
    size_t len = 0;
    if (http_read_body(r, max, &buf, &len, &err)) {
        http_reply_ct(r, &err);
        return NULL;
    }
    if (len == 0) {
        free(buf);
        http_reply_error(r, 400, "%s %s: the request body is empty (a JSON "
                         "document is expected)", r->method, r->path);
        return NULL;
    }
    int d = json_depth(buf, len, INGEST_MAX_DEPTH);
    if (d > INGEST_MAX_DEPTH) {
        free(buf);
        http_reply_error(r, 400, "%s %s: JSON nested deeper than %d levels",
                         r->method, r->path, INGEST_MAX_DEPTH);
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    free(buf);
    if (!doc)
        http_reply_error(r, 400, "%s %s: malformed JSON at line %d column %d: "
                         "%s", r->method, r->path, je.line, je.column, je.text);
    return doc;
}

static int ingest(http_req *r, int ngsi)
{
    char who[80];
    if (api_authorize(r, AUTH_FEEDER, who, sizeof who))
        return r->status;
    live_engine *e = api_live(r);
    if (!e)
        return r->status;
    if (!json_type_ok(r, ngsi))
        return http_reply_error(r, 415, "%s %s: Content-Type '%s' is not "
                                "application/json%s", r->method, r->path,
                                http_header(r, "Content-Type"),
                                ngsi ? " or application/ld+json" : "");
    json_t *doc = api_read_json(r, (size_t)HTTP_MAX_BODY_INGEST);
    if (!doc)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    json_t *report = NULL;
    int rc = ngsi ? live_ingest_ngsi(e, doc, &report, &err)
                  : live_ingest(e, doc, &report, &err);
    json_decref(doc);
    if (rc)
        return http_reply_ct(r, &err);
    size_t bad = json_array_size(json_object_get(report, "rejected"));
    return http_reply_json(r, bad ? 207 : 200, report);
}

int api_observations(http_req *r)
{
    return ingest(r, 0);
}

int api_ngsi_upsert(http_req *r)
{
    return ingest(r, 1);
}
