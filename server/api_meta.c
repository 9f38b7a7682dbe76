/* server/api_meta.c: the server's own endpoints: /healthz (is it up, can
 * it read its store), /api/v1/config (what the page needs to know: version,
 * city, WebSocket URL, attribution), and the 404 for unknown /api paths. */
#include "server/api.h"

#include <math.h>
#include <string.h>

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
        "{s:s, s:{s:s, s:s}, s:s?, s:o, s:{s:s, s:s, s:s, s:s}}",
        "version", CITYTWIN_VERSION,
        "city", "name", name, "name_en", name_en,
        /* null until the WebSocket push (libwebsockets) listens */
        "ws_url", r->conf->ws_url,
        "attribution", attribution(db),
        "links", "layers", "/api/v1/layers", "items", "/api/v1/items/{id}",
        "tileset", "/tiles/tileset.json", "basemap",
        "/basemap/{z}/{x}/{y}.png");
    return http_reply_json(r, 200, body);
}

int api_unknown(http_req *r)
{
    return http_reply_error(r, 404, "no route for %s %s (see /api/v1/layers)",
                            r->method, r->path);
}
