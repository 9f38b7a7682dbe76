/* server/api_incidents.c: alerts and incidents over HTTP: GET
 * /api/v1/alerts, POST /api/v1/alerts/{id}/ack and /escalate, GET/POST
 * /api/v1/incidents, GET /api/v1/incidents/{id} (with its audit log), POST
 * /api/v1/incidents/{id}/actions ({"action": ...}) or /{action}. Reads are
 * open (viewer); changes need the operator role, and the token's name is
 * the actor written to the audit log. Illegal transitions answer 409. */
#include "server/api.h"

#include <civetweb.h>
#include <string.h>

#include "server/api_rescue.h"
#include "server/serve_live.h"

/* Operator changes carry small JSON bodies. */
#define OPS_MAX_BODY (64 * 1024)

/* 1/true/yes or 0/false/no of a query parameter (def when absent). */
static int flag_param(http_req *r, const char *name, int def, int *out)
{
    const char *allowed[] = {name, NULL};
    http_qparam q[2];
    char buf[256];
    ct_err err;
    ct_err_clear(&err);
    int n = http_query_parse(r, allowed, q, 2, buf, sizeof buf, &err);
    if (n < 0) {
        http_reply_ct(r, &err);
        return -1;
    }
    const char *v = http_query_get(q, n, name);
    *out = def;
    if (!v)
        return 0;
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
        *out = 0;
    else {
        http_reply_error(r, 400, "%s='%s' is not 1/0, true/false or yes/no",
                         name, v);
        return -1;
    }
    return 0;
}

/* The body of an operator request: absent/empty = {}; else a JSON object. */
static json_t *ops_body(http_req *r)
{
    if (r->ri->content_length == 0 ||
        (r->ri->content_length < 0 && !http_header(r, "Transfer-Encoding")))
        return json_object();
    json_t *b = api_read_json(r, OPS_MAX_BODY);
    if (b && !json_is_object(b)) {
        json_decref(b);
        http_reply_error(r, 400, "%s %s: the body must be a JSON object",
                         r->method, r->path);
        return NULL;
    }
    return b;
}

/* Check role and engine, read the body: NULL when an answer was sent. */
static live_engine *operator_req(http_req *r, char *who, size_t whosz,
                                 json_t **body)
{
    *body = NULL;
    if (api_authorize(r, AUTH_OPERATOR, who, whosz))
        return NULL;
    live_engine *e = api_live(r);
    if (e && !(*body = ops_body(r)))
        return NULL;
    return e;
}

static int answer(http_req *r, int rc, const ct_err *err, int status, json_t *out)
{
    if (rc) {
        json_decref(out);
        return http_reply_ct(r, err);
    }
    return http_reply_json(r, status, out);
}

int api_alerts(http_req *r)
{
    char who[80];
    if (api_authorize(r, AUTH_VIEWER, who, sizeof who))
        return r->status;
    live_engine *e = api_live(r);
    int all = 0;
    if (!e || flag_param(r, "all", 0, &all))
        return r->status;
    json_t *l = live_alerts_list(e, all);
    return http_reply_json(r, 200, json_pack("{s:o, s:I}", "alerts", l,
                                             "count", (json_int_t)json_array_size(l)));
}

/* One operator write: role, engine and body checked, the engine call,
 * its answer with `status` (or the error). */
typedef int (*operator_fn)(live_engine *e, http_req *r, json_t *body,
                           const char *who, json_t **out, ct_err *err);

static int operator_call(http_req *r, int status, operator_fn fn)
{
    char who[80];
    json_t *body = NULL;
    live_engine *e = operator_req(r, who, sizeof who, &body);
    if (!e)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    json_t *out = NULL;
    int rc = fn(e, r, body, who, &out, &err);
    json_decref(body);
    return answer(r, rc, &err, status, out);
}

static int do_ack(live_engine *e, http_req *r, json_t *body, const char *who,
                  json_t **out, ct_err *err)
{
    (void)body;
    return live_alert_ack(e, r->param[0], who, out, err);
}

static int do_escalate(live_engine *e, http_req *r, json_t *body,
                       const char *who, json_t **out, ct_err *err)
{
    return live_incident_from_alert(e, r->param[0], body, who, out, err);
}

static int do_create(live_engine *e, http_req *r, json_t *body,
                     const char *who, json_t **out, ct_err *err)
{
    (void)r;
    return live_incident_create(e, body, who, out, err);
}

int api_alert_ack(http_req *r)
{
    return operator_call(r, 200, do_ack);
}

int api_alert_escalate(http_req *r)
{
    return operator_call(r, 201, do_escalate);
}

int api_incidents(http_req *r)
{
    char who[80];
    if (api_authorize(r, AUTH_VIEWER, who, sizeof who))
        return r->status;
    live_engine *e = api_live(r);
    int open_only = 0;
    if (!e || flag_param(r, "open", 0, &open_only))
        return r->status;
    json_t *l = live_incidents_list(e, open_only);
    return http_reply_json(r, 200, json_pack("{s:o, s:I}", "incidents", l,
                                             "count", (json_int_t)json_array_size(l)));
}

int api_incident_create(http_req *r)
{
    return operator_call(r, 201, do_create);
}

int api_incident(http_req *r)
{
    char who[80];
    if (api_authorize(r, AUTH_VIEWER, who, sizeof who))
        return r->status;
    live_engine *e = api_live(r);
    if (!e)
        return r->status;
    ct_err err;
    ct_err_clear(&err);
    json_t *out = NULL;
    int rc = live_incident_get(e, r->param[0], &out, &err);
    return answer(r, rc, &err, 200, out);
}

int api_incident_action(http_req *r)
{
    char who[80];
    json_t *body = NULL;
    live_engine *e = operator_req(r, who, sizeof who, &body);
    if (!e)
        return r->status;
    const char *action = r->param[1];
    if (!strcmp(action, "actions")) {
        action = json_string_value(json_object_get(body, "action"));
        if (!action) {
            json_decref(body);
            return http_reply_error(r, 400, "POST %s needs {\"action\": ...} "
                                    "(dispatch, assign, arrive, handle, verify, "
                                    "reject, close, evaluate, note)", r->path);
        }
    }
    if (!strcmp(action, "dispatch") || !strcmp(action, "assign"))
        rescue_plan_etas(r, r->param[0], body);   /* a station's route ETA per unit */
    ct_err err;
    ct_err_clear(&err);
    json_t *out = NULL;
    int rc = live_incident_act(e, r->param[0], action, body, who, &out, &err);
    json_decref(body);
    return answer(r, rc, &err, 200, out);
}
