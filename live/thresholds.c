/* live/thresholds.c: alert rules and incident targets (see thresholds.h). */
#include "live/thresholds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built-in defaults (docs/LIVE.md explains each). */
static const char *DEFAULTS =
    "{\"alerts\": ["
    " {\"id\": \"tpi\", \"title\": \"Traffic congestion\", \"scope\": \"place\","
    "  \"value\": \"tpi\", \"levels\": {\"blue\": 6, \"yellow\": 7, \"orange\": 8,"
    "  \"red\": 9}, \"hysteresis\": 0.3},"
    " {\"id\": \"water_level\", \"title\": \"Water level above warning\","
    "  \"scope\": \"water\", \"value\": \"warning_ratio\", \"levels\": {\"blue\": -0.25,"
    "  \"yellow\": 0, \"orange\": 0.5, \"red\": 1}, \"hysteresis\": 0.05,"
    "  \"escalate\": \"red\", \"incident_kind\": \"flood\"},"
    " {\"id\": \"rain\", \"title\": \"Heavy rain\", \"scope\": \"place\","
    "  \"value\": \"rain_max_mm_h\", \"levels\": {\"blue\": 16, \"yellow\": 30,"
    "  \"orange\": 50, \"red\": 80}, \"hysteresis\": 2},"
    " {\"id\": \"parking\", \"title\": \"Car parks full\", \"scope\": \"place\","
    "  \"value\": \"parking_occupancy\", \"levels\": {\"yellow\": 0.9,"
    "  \"orange\": 0.95, \"red\": 0.98}, \"hysteresis\": 0.02},"
    " {\"id\": \"stale_water\", \"title\": \"Water stations silent\","
    "  \"scope\": \"city\", \"value\": \"stale_water_pct\", \"levels\": {\"yellow\": 20,"
    "  \"orange\": 50}, \"hysteresis\": 5}],"
    " \"incident_targets\": {"
    "  \"fire\": {\"dispatch_s\": 60, \"arrival_s\": 300, \"closure_s\": 14400},"
    "  \"accident\": {\"dispatch_s\": 120, \"arrival_s\": 600, \"closure_s\": 7200},"
    "  \"flood\": {\"dispatch_s\": 300, \"arrival_s\": 1200, \"closure_s\": 43200},"
    "  \"default\": {\"dispatch_s\": 300, \"arrival_s\": 1200, \"closure_s\": 86400}}}";

static const char *LEVELS[] = {"none", "blue", "yellow", "orange", "red"};

const char *live_level_name(int level)
{
    return level >= 0 && level <= 4 ? LEVELS[level] : "none";
}

int live_level_of(const char *name)
{
    for (int i = 0; i <= 4 && name; i++)
        if (!strcmp(LEVELS[i], name))
            return i;
    return -1;
}

static int scope_of(const char *s)
{
    static const struct { const char *n; int v; } M[] = {
        {"city", LIVE_SC_CITY}, {"district", LIVE_SC_DISTRICT},
        {"place", LIVE_SC_PLACE}, {"traffic", LIVE_SC_TRAFFIC},
        {"parking", LIVE_SC_PARKING}, {"water", LIVE_SC_WATER},
        {"weather", LIVE_SC_WEATHER}};
    for (size_t i = 0; s && i < sizeof M / sizeof M[0]; i++)
        if (!strcmp(M[i].n, s))
            return M[i].v;
    return 0;
}

static int parse_rule(const json_t *j, int i, const char *name, live_rule *r,
                      ct_err *err)
{
    const char *id = NULL, *title = NULL, *scope = NULL, *value = NULL;
    const char *dir = "above", *esc = NULL, *ikind = "";
    json_t *levels = NULL;
    double hyst = 0;
    json_error_t je;
    if (json_unpack_ex((json_t *)j, &je, 0, "{s:s, s?s, s:s, s:s, s?s, s:o, s?F, s?s, s?s}",
                       "id", &id, "title", &title, "scope", &scope, "value", &value,
                       "direction", &dir, "levels", &levels, "hysteresis", &hyst,
                       "escalate", &esc, "incident_kind", &ikind))
        return ct_fail(err, CT_EFORMAT, "%s: alerts[%d]: %s", name, i, je.text);
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->title, sizeof r->title, "%s", title ? title : id);
    snprintf(r->value, sizeof r->value, "%s", value);
    snprintf(r->incident_kind, sizeof r->incident_kind, "%s", ikind);
    r->scope = scope_of(scope);
    if (!r->scope)
        return ct_fail(err, CT_EFORMAT, "%s: alerts[%d] (%s): unknown scope '%s'",
                       name, i, id, scope);
    if (strcmp(dir, "above") && strcmp(dir, "below"))
        return ct_fail(err, CT_EFORMAT, "%s: alerts[%d] (%s): direction must be "
                       "above or below", name, i, id);
    r->below = !strcmp(dir, "below");
    r->hysteresis = fabs(hyst);
    r->escalate = esc ? live_level_of(esc) : 0;
    if (r->escalate < 0)
        return ct_fail(err, CT_EFORMAT, "%s: alerts[%d] (%s): escalate '%s' is not "
                       "a colour", name, i, id, esc);
    int any = 0;
    double prev = NAN;
    for (int l = 1; l <= 4; l++) {
        json_t *v = json_object_get(levels, LEVELS[l]);
        r->at[l] = json_is_number(v) ? json_number_value(v) : NAN;
        if (!isfinite(r->at[l]))
            continue;
        if (isfinite(prev) && (r->below ? r->at[l] > prev : r->at[l] < prev))
            return ct_fail(err, CT_EFORMAT, "%s: alerts[%d] (%s): level %s is less "
                           "severe than the one before it", name, i, id, LEVELS[l]);
        prev = r->at[l];
        any = 1;
    }
    if (!any)
        return ct_fail(err, CT_EFORMAT, "%s: alerts[%d] (%s): levels has no "
                       "blue/yellow/orange/red number", name, i, id);
    return CT_OK;
}

static int parse_targets(const json_t *j, const char *name, live_thresholds *t,
                         ct_err *err)
{
    size_t n = json_object_size(j);
    t->targets = calloc(n + 1, sizeof *t->targets);
    if (!t->targets)
        return ct_fail(err, CT_ENOMEM, "%s: out of memory", name);
    const char *k;
    json_t *v;
    live_target def = {"default", 300, 1200, 86400};
    json_object_foreach((json_t *)j, k, v) {
        live_target x = def;
        snprintf(x.kind, sizeof x.kind, "%s", k);
        json_error_t je;
        if (json_unpack_ex(v, &je, 0, "{s?F, s?F, s?F}", "dispatch_s", &x.dispatch_s,
                           "arrival_s", &x.arrival_s, "closure_s", &x.closure_s))
            return ct_fail(err, CT_EFORMAT, "%s: incident_targets.%s: %s", name, k,
                           je.text);
        if (!strcmp(k, "default"))
            def = x;
        else
            t->targets[t->ntargets++] = x;
    }
    t->targets[t->ntargets++] = def;
    return CT_OK;
}

int live_thr_parse(const json_t *doc, const char *name, live_thresholds **out,
                   ct_err *err)
{
    *out = NULL;
    live_thresholds *t = calloc(1, sizeof *t);
    if (!t)
        return ct_fail(err, CT_ENOMEM, "%s: out of memory", name);
    const json_t *al = json_object_get(doc, "alerts");
    int rc = CT_OK;
    if (!json_is_array(al))
        rc = ct_fail(err, CT_EFORMAT, "%s: expected an \"alerts\" array", name);
    size_t n = json_array_size(al);
    if (!rc && !(t->rules = calloc(n + 1, sizeof *t->rules)))
        rc = ct_fail(err, CT_ENOMEM, "%s: out of memory", name);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = parse_rule(json_array_get(al, i), (int)i, name, &t->rules[i], err);
        for (size_t k = 0; !rc && k < i; k++)
            if (!strcmp(t->rules[k].id, t->rules[i].id))
                rc = ct_fail(err, CT_EFORMAT, "%s: alert rule id '%s' is used twice",
                             name, t->rules[i].id);
        t->nrules = (int)i + 1;
    }
    if (!rc)
        rc = parse_targets(json_object_get(doc, "incident_targets"), name, t, err);
    t->stale_periods = 2;
    const json_t *sp = json_object_get(json_object_get(doc, "freshness"),
                                       "stale_after_periods");
    if (!rc && sp) {
        if (!json_is_number(sp) || json_number_value(sp) < 1)
            rc = ct_fail(err, CT_EFORMAT, "%s: freshness.stale_after_periods must be "
                         "a number >= 1", name);
        else
            t->stale_periods = json_number_value(sp);
    }
    if (rc) {
        live_thr_free(t);
        return rc;
    }
    *out = t;
    return CT_OK;
}

int live_thr_load(const char *path, live_thresholds **out, ct_err *err)
{
    json_error_t je;
    json_t *doc = path ? json_load_file(path, 0, &je) : json_loads(DEFAULTS, 0, &je);
    if (!doc)
        return ct_fail(err, CT_EFORMAT, "%s: line %d: %s", path ? path : "defaults",
                       je.line, je.text);
    int rc = live_thr_parse(doc, path ? path : "built-in thresholds", out, err);
    json_decref(doc);
    return rc;
}

void live_thr_free(live_thresholds *t)
{
    if (!t)
        return;
    free(t->rules);
    free(t->targets);
    free(t);
}

const live_target *live_thr_target(const live_thresholds *t, const char *kind)
{
    for (int i = 0; kind && i < t->ntargets - 1; i++)
        if (!strcmp(t->targets[i].kind, kind))
            return &t->targets[i];
    return &t->targets[t->ntargets - 1];
}

/* Highest level whose threshold v reaches, with the thresholds moved back
 * by shift (toward "no alert"). */
static int raw_level(const live_rule *r, double v, double shift)
{
    int lv = 0;
    for (int l = 1; l <= 4; l++) {
        if (!isfinite(r->at[l]))
            continue;
        if (r->below ? v <= r->at[l] + shift : v >= r->at[l] - shift)
            lv = l;
    }
    return lv;
}

int live_rule_level(const live_rule *r, double v, int cur)
{
    if (isnan(v))
        return cur;   /* no value: nothing to decide on */
    int up = raw_level(r, v, 0);
    int held = raw_level(r, v, r->hysteresis);
    if (held > cur)
        held = cur;
    return up > held ? up : held;
}
