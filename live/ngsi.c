/* live/ngsi.c: NGSI-LD entities to observation items (see ngsi.h). */
#include "live/ngsi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live/clock.h"
#include "live/observe.h"
#include "live/thresholds.h"

const char *live_ngsi_local_id(const char *urn, const char *type)
{
    if (!urn)
        return NULL;
    char pre[96];
    snprintf(pre, sizeof pre, "urn:ngsi-ld:%s:", type);
    if (!strncmp(urn, pre, strlen(pre)))
        return urn + strlen(pre);
    static const char *generic[] = {"urn:ngsi-ld:RoadSegment:", "urn:ngsi-ld:Device:",
                                    NULL};
    for (int i = 0; generic[i]; i++)
        if (!strncmp(urn, generic[i], strlen(generic[i])))
            return urn + strlen(generic[i]);
    return urn;
}

/* The value of an attribute in either form: normalized {"value": v} /
 * {"object": o}, a DateTime {"@type", "@value"}, or keyValues v. */
static const json_t *attr(const json_t *ent, const char *name)
{
    const json_t *a = json_object_get(ent, name);
    if (json_is_object(a)) {
        const json_t *v = json_object_get(a, "value");
        if (!v)
            v = json_object_get(a, "object");
        if (v)
            a = v;
    }
    if (json_is_object(a) && json_object_get(a, "@value"))
        a = json_object_get(a, "@value");
    return a;
}

static const char *observed_at(const json_t *ent, const char *const *props)
{
    const json_t *d = attr(ent, "dateObserved");
    if (json_is_string(d))
        return json_string_value(d);
    for (int i = 0; props[i]; i++) {
        const json_t *a = json_object_get(ent, props[i]);
        const json_t *oa = json_is_object(a) ? json_object_get(a, "observedAt") : NULL;
        if (json_is_string(oa))
            return json_string_value(oa);
    }
    return NULL;
}

static int put_num(json_t *vals, const char *name, const json_t *v)
{
    if (!v)
        return 0;
    json_object_set(vals, name, (json_t *)v);   /* validation checks the type */
    return 1;
}

static void reject(live_ngsi_out *o, int i, const char *id, const char *code,
                   const char *reason)
{
    live_obs_reject(o->rejected, i, id, code, reason);
}

static int severity_level(const char *s)
{
    if (!s)
        return LIVE_LV_YELLOW;
    if (!strcmp(s, "critical"))
        return LIVE_LV_RED;
    if (!strcmp(s, "high"))
        return LIVE_LV_ORANGE;
    if (!strcmp(s, "medium"))
        return LIVE_LV_YELLOW;
    return LIVE_LV_BLUE;   /* low, informational */
}

static void convert_alert(live_ngsi_out *o, int i, const json_t *ent, const char *id)
{
    const char *desc = json_string_value(attr(ent, "description"));
    const char *sub = json_string_value(attr(ent, "subCategory"));
    const char *cat = json_string_value(attr(ent, "category"));
    const char *src = json_string_value(attr(ent, "alertSource"));
    const char *issued = json_string_value(attr(ent, "dateIssued"));
    const char *valid_to = json_string_value(attr(ent, "validTo"));
    char title[160];
    snprintf(title, sizeof title, "%s%s%s", cat ? cat : "alert", sub ? ": " : "",
             sub ? sub : "");
    json_t *a = json_pack("{s:i, s:s, s:s, s:i}", "index", i, "id", id, "title",
                          desc ? desc : title, "level",
                          severity_level(json_string_value(attr(ent, "severity"))));
    json_object_set_new(a, "entity", json_string(src ? live_ngsi_local_id(src, "")
                                                     : id));
    json_object_set_new(a, "time", issued ? json_string(issued) : json_null());
    json_object_set_new(a, "valid_to", valid_to ? json_string(valid_to) : json_null());
    json_array_append_new(o->alerts, a);
}

/* Flow per hour from intensity over the observation period, when known. */
static json_t *per_hour(const json_t *ent, const json_t *intensity)
{
    int64_t a, b;
    const json_t *from = attr(ent, "dateObservedFrom"), *to = attr(ent, "dateObservedTo");
    if (json_is_number(intensity) && json_is_string(from) && json_is_string(to) &&
        !live_time_parse(json_string_value(from), &a) &&
        !live_time_parse(json_string_value(to), &b) && b > a)
        return json_real(json_number_value(intensity) * 3600000.0 / (double)(b - a));
    return json_incref((json_t *)intensity);
}

static void convert_one(live_ngsi_out *o, int i, const json_t *ent)
{
    const char *urn = json_string_value(json_object_get(ent, "id"));
    const char *type = json_string_value(json_object_get(ent, "type"));
    if (!json_is_object(ent) || !urn || !type) {
        reject(o, i, urn, "not_object", "an NGSI-LD entity needs \"id\" and \"type\"");
        return;
    }
    if (!strcmp(type, "Alert")) {
        convert_alert(o, i, ent, urn);
        return;
    }
    static const char *park_p[] = {"availableSpotNumber", "totalSpotNumber",
                                   "occupancy", NULL};
    static const char *traffic_p[] = {"averageVehicleSpeed", "intensity", "occupancy",
                                      NULL};
    static const char *water_p[] = {"height", "flow", "precipitation", NULL};
    static const char *weather_p[] = {"temperature", "precipitation", "windSpeed", NULL};
    const char *const *props;
    const char *local = live_ngsi_local_id(urn, type);
    json_t *vals = json_object();
    int n = 0;
    if (!strcmp(type, "OffStreetParking")) {
        props = park_p;
        const json_t *fr = attr(ent, "availableSpotNumber");
        const json_t *tot = attr(ent, "totalSpotNumber");
        const json_t *occ = attr(ent, "occupancy");
        n += put_num(vals, "free", fr);
        n += put_num(vals, "total", tot);
        if (!fr && json_is_number(tot) && json_is_number(occ)) {
            json_object_set_new(vals, "free", json_real(round(
                json_number_value(tot) * (1 - json_number_value(occ)))));
            n++;
        }
    } else if (!strcmp(type, "TrafficFlowObserved")) {
        props = traffic_p;
        const json_t *seg = attr(ent, "refRoadSegment");
        if (json_is_string(seg))
            local = live_ngsi_local_id(json_string_value(seg), "RoadSegment");
        n += put_num(vals, "speed_kmh", attr(ent, "averageVehicleSpeed"));
        const json_t *in = attr(ent, "intensity");
        if (in) {
            json_object_set_new(vals, "flow_vph", per_hour(ent, in));
            n++;
        }
        n += put_num(vals, "occupancy", attr(ent, "occupancy"));
    } else if (!strcmp(type, "WaterObserved")) {
        props = water_p;
        n += put_num(vals, "level_m", attr(ent, "height"));
        n += put_num(vals, "flow_m3s", attr(ent, "flow"));
        n += put_num(vals, "rain_mm", attr(ent, "precipitation"));
    } else if (!strcmp(type, "WeatherObserved")) {
        props = weather_p;
        n += put_num(vals, "temperature_c", attr(ent, "temperature"));
        n += put_num(vals, "rain_mm_h", attr(ent, "precipitation"));
        n += put_num(vals, "wind_ms", attr(ent, "windSpeed"));
    } else {
        char why[256];
        snprintf(why, sizeof why, "unsupported NGSI-LD type '%.60s' (OffStreetParking, "
                 "TrafficFlowObserved, WaterObserved, WeatherObserved, Alert)", type);
        reject(o, i, urn, "wrong_type", why);
        json_decref(vals);
        return;
    }
    const char *t = observed_at(ent, props);
    if (!n || !t) {
        reject(o, i, urn, !n ? "no_values" : "bad_time",
               !n ? "no attribute this model maps to an observation"
                  : "no dateObserved (or observedAt) gives the observation time");
        json_decref(vals);
        return;
    }
    size_t k = json_array_size(o->items);
    o->origin[k] = i;
    json_array_append_new(o->items, json_pack("{s:s, s:s, s:o}", "entity", local,
                                              "time", t, "values", vals));
}

int live_ngsi_convert(const json_t *body, live_ngsi_out *out, ct_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *one = json_is_object(body) ? json_pack("[O]", body) : NULL;
    const json_t *arr = one ? one : body;
    if (!json_is_array(arr)) {
        json_decref(one);
        return ct_fail(err, CT_EINVAL, "NGSI-LD upsert: expected an array of entities");
    }
    size_t n = json_array_size(arr);
    if (n > LIVE_BATCH_MAX) {
        json_decref(one);
        return ct_fail(err, CT_ETOOBIG, "NGSI-LD upsert: %zu entities, limit %d", n,
                       LIVE_BATCH_MAX);
    }
    out->items = json_array();
    out->alerts = json_array();
    out->rejected = json_array();
    out->origin = malloc((n ? n : 1) * sizeof *out->origin);
    if (!out->origin) {
        json_decref(one);
        live_ngsi_free(out);
        return ct_fail(err, CT_ENOMEM, "NGSI-LD upsert: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        convert_one(out, (int)i, json_array_get(arr, i));
    json_decref(one);
    return CT_OK;
}

void live_ngsi_free(live_ngsi_out *out)
{
    json_decref(out->items);
    json_decref(out->alerts);
    json_decref(out->rejected);
    free(out->origin);
    memset(out, 0, sizeof *out);
}
