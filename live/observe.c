/* live/observe.c: validate observation batches (see observe.h). */
#include "live/observe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"

static const char *NAMES[LIVE_NKINDS][LIVE_NVAL] = {
    [LIVE_ROAD] = {"speed_kmh", "flow_vph", "occupancy", NULL},
    [LIVE_PARK] = {"free", "total", NULL, NULL},
    [LIVE_WATER] = {"level_m", "flow_m3s", "rain_mm", NULL},
    [LIVE_AREA] = {"temperature_c", "rain_mm_h", "wind_ms", NULL},
};

const char *live_obs_value_name(int kind, int slot)
{
    if (kind < 0 || kind >= LIVE_NKINDS || slot < 0 || slot >= LIVE_NVAL)
        return NULL;
    return NAMES[kind][slot];
}

int live_obs_value_slot(int kind, const char *name)
{
    for (int s = 0; s < LIVE_NVAL && name; s++)
        if (NAMES[kind][s] && !strcmp(NAMES[kind][s], name))
            return s;
    return -1;
}

void live_obs_reject(json_t *arr, int index, const char *entity,
                     const char *code, const char *reason)
{
    json_t *o = json_pack("{s:i, s:s, s:s}", "index", index, "code", code,
                          "reason", reason);
    if (entity)
        json_object_set_new(o, "entity", json_string(entity));
    json_array_append_new(arr, o);
}

json_t *live_obs_values_json(int kind, const live_obs *o)
{
    json_t *v = json_object();
    for (int s = 0; s < LIVE_NVAL; s++)
        if (o->mask & (1u << s))
            json_object_set_new(v, NAMES[kind][s], json_real(o->v[s]));
    return v;
}

/* Range rules per kind and slot: minimum, maximum, must be an integer. */
typedef struct vrule {
    double lo, hi;
    int integer;
    const char *code_lo;
} vrule;

static const vrule RULES[LIVE_NKINDS][LIVE_NVAL] = {
    [LIVE_ROAD] = {{0, 400, 0, "negative"}, {0, 1e5, 0, "negative"},
                   {0, 1, 0, "out_of_range"}},
    [LIVE_PARK] = {{0, 1e6, 1, "negative"}, {0, 1e6, 1, "negative"}},
    [LIVE_WATER] = {{-1e4, 1e4, 0, "out_of_range"}, {0, 1e6, 0, "negative"},
                    {0, 2000, 0, "negative"}},
    [LIVE_AREA] = {{-80, 70, 0, "out_of_range"}, {0, 500, 0, "negative"},
                   {0, 120, 0, "negative"}},
};

/* Fill o's values from vals; on failure set *code and reason. */
static int read_values(const live_entity *e, const json_t *vals, live_obs *o,
                       const char **code, char *reason, size_t rn)
{
    const char *k;
    json_t *v;
    if (!json_is_object(vals)) {
        *code = "wrong_type";
        snprintf(reason, rn, "values must be an object of numbers");
        return -1;
    }
    json_object_foreach((json_t *)vals, k, v) {
        int s = live_obs_value_slot(e->kind, k);
        if (s < 0) {
            *code = "unknown_value";
            snprintf(reason, rn, "unknown value '%.40s' for %s (expected %s%s%s%s%s)",
                     k, live_kind_topic(e->kind), NAMES[e->kind][0],
                     NAMES[e->kind][1] ? ", " : "",
                     NAMES[e->kind][1] ? NAMES[e->kind][1] : "",
                     NAMES[e->kind][2] ? ", " : "",
                     NAMES[e->kind][2] ? NAMES[e->kind][2] : "");
            return -1;
        }
        if (json_is_string(v)) {
            const char *sv = json_string_value(v);
            int nanlike = !strcasecmp(sv, "nan") || strcasestr(sv, "inf");
            *code = nanlike ? "not_finite" : "wrong_type";
            snprintf(reason, rn, nanlike ? "%s is NaN or infinite"
                                         : "%s must be a number, not a string", k);
            return -1;
        }
        if (!json_is_number(v)) {
            *code = "wrong_type";
            snprintf(reason, rn, "%s must be a number", k);
            return -1;
        }
        double d = json_number_value(v);
        const vrule *ru = &RULES[e->kind][s];
        if (!isfinite(d)) {
            *code = "not_finite";
            snprintf(reason, rn, "%s is NaN or infinite", k);
            return -1;
        }
        if (d < ru->lo || d > ru->hi) {
            *code = d < 0 && ru->lo == 0 ? ru->code_lo : "out_of_range";
            snprintf(reason, rn, "%s = %g is outside %g..%g", k, d, ru->lo, ru->hi);
            return -1;
        }
        if (ru->integer && d != floor(d)) {
            *code = "wrong_type";
            snprintf(reason, rn, "%s = %g must be a whole count", k, d);
            return -1;
        }
        o->v[s] = d;
        o->mask |= 1u << s;
    }
    if (!o->mask) {
        *code = "no_values";
        snprintf(reason, rn, "values is empty");
        return -1;
    }
    if (e->kind == LIVE_PARK && (o->mask & (1u << LV_FREE))) {
        double total = (o->mask & (1u << LV_TOTAL)) ? o->v[LV_TOTAL]
                       : e->capacity > 0 ? e->capacity : INFINITY;
        if (o->v[LV_FREE] > total) {
            *code = "free_gt_total";
            snprintf(reason, rn, "free = %g exceeds total = %g", o->v[LV_FREE],
                     total);
            return -1;
        }
    }
    return 0;
}

static const char *KIND_WORDS[LIVE_NKINDS] = {"road segment", "car park",
                                              "water station", "place"};

/* Validate one item; 0 and *o filled, or -1 with code and reason. */
static int check_item(const live_registry *r, const json_t *it, int64_t now,
                      live_obs *o, const char **code, char *reason, size_t rn)
{
    memset(o, 0, sizeof *o);
    if (!json_is_object(it)) {
        *code = "not_object";
        snprintf(reason, rn, "item is not an object");
        return -1;
    }
    const json_t *jid = json_object_get(it, "entity");
    if (!json_is_string(jid)) {
        *code = jid ? "wrong_type" : "missing_entity";
        snprintf(reason, rn, jid ? "entity must be a string" : "entity is missing");
        return -1;
    }
    const char *id = json_string_value(jid);
    o->ent = live_ents_find(r, id);
    if (o->ent < 0) {
        *code = "unknown_entity";
        snprintf(reason, rn, "unknown entity '%.80s'", id);
        return -1;
    }
    const live_entity *e = &r->ents[o->ent];
    const json_t *jk = json_object_get(it, "kind");
    if (jk && (!json_is_string(jk) ||
               strcmp(json_string_value(jk), live_kind_topic(e->kind)))) {
        *code = "wrong_type";
        snprintf(reason, rn, "entity '%.80s' is a %s (kind %s), not %.20s", id,
                 KIND_WORDS[e->kind], live_kind_topic(e->kind),
                 json_is_string(jk) ? json_string_value(jk) : "a string");
        return -1;
    }
    const char *why = live_time_from_json(json_object_get(it, "time"), &o->t);
    if (why) {
        *code = "bad_time";
        snprintf(reason, rn, "%s", why);
        return -1;
    }
    if (o->t > now + LIVE_FUTURE_MS) {
        *code = "future_time";
        snprintf(reason, rn, "time is %.0f s ahead of the server clock (limit %d s)",
                 (o->t - now) / 1000.0, LIVE_FUTURE_MS / 1000);
        return -1;
    }
    return read_values(e, json_object_get(it, "values"), o, code, reason, rn);
}

int live_obs_validate(const live_registry *r, const json_t *items,
                      int64_t now_ms, live_batch *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    if (json_is_object(items))
        items = json_object_get(items, "observations");
    if (!json_is_array(items))
        return ct_fail(err, CT_EINVAL, "observations: expected a JSON array of "
                       "items (or {\"observations\": [...]})");
    size_t n = json_array_size(items);
    if (n > LIVE_BATCH_MAX)
        return ct_fail(err, CT_ETOOBIG, "observations: %zu items, limit %d per batch",
                       n, LIVE_BATCH_MAX);
    out->obs = malloc((n ? n : 1) * sizeof *out->obs);
    out->index = malloc((n ? n : 1) * sizeof *out->index);
    out->rejected = json_array();
    if (!out->obs || !out->index || !out->rejected) {
        live_batch_free(out);
        return ct_fail(err, CT_ENOMEM, "observations: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(items, i);
        const char *code = NULL;
        char reason[256];
        if (check_item(r, it, now_ms, &out->obs[out->n], &code, reason,
                       sizeof reason)) {
            const json_t *jid = json_is_object(it) ? json_object_get(it, "entity") : NULL;
            live_obs_reject(out->rejected, (int)i,
                            json_is_string(jid) ? json_string_value(jid) : NULL,
                            code, reason);
            continue;
        }
        out->index[out->n++] = (int)i;
    }
    return CT_OK;
}

void live_batch_free(live_batch *b)
{
    free(b->obs);
    free(b->index);
    json_decref(b->rejected);
    memset(b, 0, sizeof *b);
}
