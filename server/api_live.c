/* server/api_live.c: the live city's reads: GET /api/v1/history (series),
 * /api/v1/state (now, or ?at=T as it was: replay; &topics= adds the road,
 * car park and station states then), /api/v1/vitals (city
 * and districts), /api/v1/entities/{id}/state (now, or ?at=T: one entity
 * as it was), /api/v1/live (counters).
 * Open to everyone unless --require-token (viewer role). */
#include "server/api.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"
#include "push/push.h"
#include "server/serve_live.h"

int api_time_param(const char *name, const char *s, int64_t now, int64_t lo,
                   int64_t *ms, ct_err *err)
{
    if (now >= 0 && !strcmp(s, "now")) {
        *ms = now;
        return CT_OK;
    }
    size_t i = 0;
    while (s[i] && isdigit((unsigned char)s[i]))
        i++;
    if (i > 0 && !s[i]) {
        long long v = 0;
        return http_parse_int(name, s, lo, 253402300799999LL, &v, err) ? CT_EINVAL
               : (*ms = v, CT_OK);
    }
    const char *why = live_time_parse(s, ms);
    return why ? ct_fail(err, CT_EINVAL, "%s '%.60s': %s (ISO 8601 with a UTC "
                         "offset, epoch milliseconds%s)", name, s, why,
                         now >= 0 ? " or 'now'" : "")
               : CT_OK;
}

static int time_param(const char *name, const char *s, int64_t now,
                      int64_t *ms, ct_err *err)
{
    return api_time_param(name, s, now, 0, ms, err);
}

/* step: whole seconds, or with a unit: 500ms, 30s, 5m, 1h, 1d. */
static int step_param(const char *s, int64_t *ms, ct_err *err)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    long long unit = !strcmp(end, "") || !strcmp(end, "s") ? 1000
                   : !strcmp(end, "ms") ? 1 : !strcmp(end, "m") ? 60000
                   : !strcmp(end, "h") ? 3600000 : !strcmp(end, "d") ? 86400000 : 0;
    if (end == s || v <= 0 || !unit || v > 366LL * 86400000 / unit)
        return ct_fail(err, CT_EINVAL, "step '%.40s' is not a positive duration "
                       "(seconds, or with ms, s, m, h, d)", s);
    *ms = v * unit;
    return CT_OK;
}

/* topics=traffic,parking,water (the observed kinds' topic names) -> kind
 * bits, for the replay of the map's layers. */
static int topic_kinds(const char *list, unsigned *kinds, ct_err *err)
{
    *kinds = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < LIVE_AREA && (strlen(live_kind_topic(k)) != len ||
                                 strncmp(p, live_kind_topic(k), len)))
            k++;
        if (k == LIVE_AREA)
            return ct_fail(err, CT_EINVAL, "topics: '%.*s' is not an observed topic "
                           "(traffic, parking, water)", (int)(len > 40 ? 40 : len), p);
        *kinds |= 1u << k;
        p += len + (p[len] == ',');
    }
    return *kinds ? CT_OK : ct_fail(err, CT_EINVAL, "topics is empty (traffic, "
                                    "parking, water)");
}

static live_engine *reader(http_req *r)
{
    char who[80];
    if (api_authorize(r, AUTH_VIEWER, who, sizeof who))
        return NULL;
    return api_live(r);
}

int api_history(http_req *r)
{
    live_engine *e = reader(r);
    if (!e)
        return r->status;
    static const char *const allowed[] = {"entity", "indicator", "from", "to",
                                          "step", NULL};
    http_qparam q[8];
    char buf[2048];
    ct_err err;
    ct_err_clear(&err);
    int n = http_query_parse(r, allowed, q, 8, buf, sizeof buf, &err);
    if (n < 0)
        return http_reply_ct(r, &err);
    const char *entity = http_query_get(q, n, "entity");
    const char *ind = http_query_get(q, n, "indicator");
    if (!entity || !*entity || !ind || !*ind)
        return http_reply_error(r, 400, "history needs entity= and indicator= "
                                "(e.g. entity=city&indicator=tpi or "
                                "entity=ROAD_ID&indicator=speed_kmh)");
    int64_t now = live_now(e), to = now, from = 0, step = 60000;
    const char *s;
    if ((s = http_query_get(q, n, "to")) && time_param("to", s, now, &to, &err))
        return http_reply_ct(r, &err);
    from = to - 3600000;
    if ((s = http_query_get(q, n, "from")) && time_param("from", s, now, &from, &err))
        return http_reply_ct(r, &err);
    if ((s = http_query_get(q, n, "step")) && step_param(s, &step, &err))
        return http_reply_ct(r, &err);
    json_t *pts = NULL;
    if (live_series(e, entity, ind, from, to, step, &pts, &err))
        return http_reply_ct(r, &err);
    return http_reply_json(r, 200, json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}",
        "entity", entity, "indicator", ind, "from", (json_int_t)from, "to",
        (json_int_t)to, "step_ms", (json_int_t)step, "points", pts));
}

int api_state(http_req *r)
{
    live_engine *e = reader(r);
    if (!e)
        return r->status;
    static const char *const allowed[] = {"at", "topics", NULL};
    http_qparam q[3];
    char buf[256];
    ct_err err;
    ct_err_clear(&err);
    int n = http_query_parse(r, allowed, q, 3, buf, sizeof buf, &err);
    if (n < 0)
        return http_reply_ct(r, &err);
    const char *at = http_query_get(q, n, "at");
    const char *topics = http_query_get(q, n, "topics");
    unsigned kinds = 0;
    if (topics && (!at || topic_kinds(topics, &kinds, &err)))
        return at ? http_reply_ct(r, &err)
                  : http_reply_error(r, 400, "topics= goes with at= (replay); the "
                                     "live entity topics come through the push");
    if (!at) {
        json_t *st = live_state(e);
        if (st)
            json_object_set_new(st, "at", live_time_json(live_now(e)));
        return http_reply_json(r, 200, st);
    }
    int64_t t = 0;
    json_t *out = NULL;
    if (time_param("at", at, live_now(e), &t, &err) ||
        live_state_at(e, t, &out, &err) ||
        (kinds && live_topics_at(e, t, kinds, out, &err))) {
        json_decref(out);
        return http_reply_ct(r, &err);
    }
    return http_reply_json(r, 200, out);
}

int api_vitals(http_req *r)
{
    live_engine *e = reader(r);
    if (!e)
        return r->status;
    uint64_t seq = 0;
    json_t *v = live_snapshot(e, LIVE_TOPIC_VITALS, &seq);
    json_t *city = json_incref(json_object_get(v, LIVE_CITY_ID));
    json_object_del(v, LIVE_CITY_ID);
    return http_reply_json(r, 200, json_pack("{s:o, s:o, s:I, s:o}",
        "city", city ? city : json_object(), "districts", v, "seq",
        (json_int_t)seq, "at", live_time_json(live_now(e))));
}

int api_entity_state(http_req *r)
{
    live_engine *e = reader(r);
    if (!e)
        return r->status;
    static const char *const allowed[] = {"at", NULL};
    http_qparam q[2];
    char buf[256];
    ct_err err;
    ct_err_clear(&err);
    int n = http_query_parse(r, allowed, q, 2, buf, sizeof buf, &err);
    if (n < 0)
        return http_reply_ct(r, &err);
    const char *at = http_query_get(q, n, "at");
    if (at) {   /* replay: the entity as it was at T, from the history */
        int64_t t = 0;
        json_t *out = NULL;
        if (time_param("at", at, live_now(e), &t, &err) ||
            live_entity_state_at(e, r->param[0], t, &out, &err))
            return http_reply_ct(r, &err);
        return http_reply_json(r, 200, out);
    }
    json_t *st = live_entity_state(e, r->param[0]);
    if (!st)
        return http_reply_error(r, 404, "no live entity '%s' (road segments, "
                                "car parks and water stations report)", r->param[0]);
    return http_reply_json(r, 200, st);
}

int api_live_stats(http_req *r)
{
    live_engine *e = reader(r);
    if (!e)
        return r->status;
    json_t *o = live_stats(e);
    if (push_port()) {
        push_stats s;
        push_get_stats(&s);
        json_object_set_new(o, "push", json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "published",
            (json_int_t)s.published, "clients", (json_int_t)s.clients,
            "refused", (json_int_t)s.refused, "frames", (json_int_t)s.frames,
            "bytes_out", (json_int_t)s.bytes_out, "dropped_slow",
            (json_int_t)s.dropped_slow, "coalesced", (json_int_t)s.coalesced,
            "deflated", (json_int_t)s.deflated, "deflated_out",
            (json_int_t)s.deflated_out));
    }
    return http_reply_json(r, 200, o);
}
