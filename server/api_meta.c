/* server/api_meta.c: the server's own endpoints: /healthz (is it up, can
 * it read its store), /api/v1/config (what the page needs to know: version,
 * city, WebSocket URL, attribution), and the 404 for unknown /api paths. */
#include "server/api.h"
#include "server/serve_live.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "push/push.h"
#include "server/commands.h"
#include "spatial/store.h"

/* Used when the store's meta table does not name them. */
static const char *const DEFAULT_ATTRIBUTION[] = {
    "© OpenStreetMap contributors (ODbL 1.0)",
    "行政区划数据：天地图 (www.tianditu.gov.cn)",
    NULL};

sqlite3 *api_db(http_req *r)
{
    ct_err err;
    ct_err_clear(&err);
    sqlite3 *db = http_req_db(r, &err);
    if (!db)
        http_reply_error(r, 503, "store %s is not available: %s",
                         r->conf->store, err.msg);
    return db;
}

int api_health(http_req *r)
{
    ct_err err;
    ct_err_clear(&err);
    sqlite3 *db = http_req_db(r, &err);
    const char *problem = db ? NULL : err.msg;
    if (db && sqlite3_exec(db, "SELECT count(*) FROM meta", NULL, NULL, NULL) !=
                  SQLITE_OK)
        problem = sqlite3_errmsg(db);
    json_t *body = json_pack("{s:s, s:s, s:f, s:s}", "status",
                             problem ? "error" : "ok", "store", r->conf->store,
                             "uptime_s", floor(http_uptime_s(r) * 1e3) / 1e3, "version",
                             CITYTWIN_VERSION);
    if (body && problem)
        json_object_set_new(body, "message", json_string(problem));
    return http_reply_json(r, problem ? 503 : 200, body);
}

/* One attribution line per line of meta "attribution", else the defaults. */
static json_t *attribution(sqlite3 *db)
{
    json_t *a = json_array();
    char buf[2048];
    if (db && store_meta_get(db, "attribution", buf, sizeof buf) && buf[0]) {
        for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save))
            json_array_append_new(a, json_string(line));
        if (json_array_size(a) > 0)
            return a;
    }
    for (const char *const *l = DEFAULT_ATTRIBUTION; *l; l++)
        json_array_append_new(a, json_string(*l));
    return a;
}

static json_int_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The WebSocket URL as this client should use it: --ws-public-url when
 * given (reverse proxy), else the host the client asked for (Host header)
 * with the push port. NULL when push is off. */
static json_t *ws_url(http_req *r)
{
    if (r->conf->ws_url)
        return json_string(r->conf->ws_url);
    int port = push_port();
    if (port <= 0)
        return json_null();
    const char *host = http_header(r, "Host");
    if (!host || !*host || strlen(host) > 255)
        host = r->conf->listen;
    char h[256];
    size_t n = strlen(host);
    const char *colon = strrchr(host, ':');
    if (colon && (host[0] != '[' || colon > strchr(host, ']')))
        n = (size_t)(colon - host);      /* drop the HTTP port */
    snprintf(h, sizeof h, "%.*s", (int)n, host);
    char url[320];
    snprintf(url, sizeof url, "%s://%s:%d/", push_tls() ? "wss" : "ws", h,
             port);
    return json_string(url);
}

int api_config(http_req *r)
{
    sqlite3 *db = api_db(r);
    if (!db)
        return r->status;
    char name[256], name_en[256];
    if (!store_meta_get(db, "city_name", name, sizeof name) || !name[0])
        strcpy(name, "洛阳");
    if (!store_meta_get(db, "city_name_en", name_en, sizeof name_en) ||
        !name_en[0])
        strcpy(name_en, "Luoyang");
    json_t *body = json_pack(
        "{s:s, s:{s:s, s:s}, s:o, s:I, s:o, s:o, s:{s:s, s:s, s:s, s:s,"
        " s:s, s:s, s:s, s:s, s:s}}",
        "version", CITYTWIN_VERSION,
        "city", "name", name, "name_en", name_en,
        "ws_url", ws_url(r),           /* null when push is off */
        "server_time_ms", now_ms(),   /* the page's clock offset */
        "attribution", attribution(db),
        "thresholds", serve_live_thresholds(),
        "links", "layers", "/api/v1/layers", "items", "/api/v1/items/{id}",
        "tileset", "/tiles/tileset.json", "basemap",
        "/basemap/{z}/{x}/{y}.png", "state", "/api/v1/state",
        "history", "/api/v1/history", "vitals", "/api/v1/vitals",
        "alerts", "/api/v1/alerts", "incidents", "/api/v1/incidents");
    return http_reply_json(r, 200, body);
}

int api_unknown(http_req *r)
{
    return http_reply_error(r, 404, "no route for %s %s (see /api/v1/layers)",
                            r->method, r->path);
}
