/* server/api.h: the REST handlers of /api/v1 and /healthz.
 * Each takes an http_req routed by server/http_routes.c and answers with
 * one http_reply_* call; they read the store through http_req_db(). */
#ifndef SERVER_API_H
#define SERVER_API_H

#include "server/http.h"

#define API_LIMIT_DEFAULT 100
#define API_LIMIT_MAX 10000

/* api_meta.c */
int api_health(http_req *r);          /* GET /healthz */
int api_config(http_req *r);          /* GET /api/v1/config */
int api_unknown(http_req *r);         /* any /api/... without a route */

/* api_layers.c */
int api_layers(http_req *r);          /* GET /api/v1/layers */
int api_layer(http_req *r);           /* GET /api/v1/layers/{id} */

/* api_items.c */
int api_layer_items(http_req *r);     /* GET /api/v1/layers/{id}/items */
int api_layer_item(http_req *r);      /* GET /api/v1/layers/{id}/items/{item} */
int api_item(http_req *r);            /* GET /api/v1/items/{item} */

/* api_static.c: the three file mounts */
int api_web(http_req *r);             /* GET / and every file of --web */
int api_tiles(http_req *r);           /* GET /tiles/... */
int api_basemap(http_req *r);         /* GET /basemap/... */

/* live city (issue 5): server/api_ingest.c, api_live.c, api_incidents.c,
 * auth_http.c. 0 from api_authorize when the request's bearer token has
 * the role `need` (auth_role); else the 401/403 was sent (its status). */
int api_authorize(http_req *r, int need, char *who, size_t whosz);
struct live_engine *api_live(http_req *r);      /* the engine, or 503 sent */
json_t *api_read_json(http_req *r, size_t max); /* body, or 4xx sent */
/* A time query parameter: ISO 8601 with a UTC offset or epoch ms (at
 * least lo); "now" too when now >= 0 (api_live.c). */
int api_time_param(const char *name, const char *s, int64_t now, int64_t lo,
                   int64_t *ms, ct_err *err);
int api_observations(http_req *r);    /* POST /api/v1/observations */
int api_ngsi_upsert(http_req *r);     /* POST /ngsi-ld/v1/entityOperations/upsert */
int api_history(http_req *r);         /* GET /api/v1/history */
int api_state(http_req *r);           /* GET /api/v1/state[?at=T] */
int api_vitals(http_req *r);          /* GET /api/v1/vitals */
int api_entity_state(http_req *r);    /* GET /api/v1/entities/{id}/state */
int api_live_stats(http_req *r);      /* GET /api/v1/live */
int api_alerts(http_req *r);          /* GET /api/v1/alerts */
int api_alert_ack(http_req *r);       /* POST /api/v1/alerts/{id}/ack */
int api_alert_escalate(http_req *r);  /* POST /api/v1/alerts/{id}/escalate */
int api_incidents(http_req *r);       /* GET /api/v1/incidents */
int api_incident_create(http_req *r); /* POST /api/v1/incidents */
int api_incident(http_req *r);        /* GET /api/v1/incidents/{id} */
int api_incident_action(http_req *r); /* POST /api/v1/incidents/{id}/{action} */

/* rescue map (issue 8, docs/RESCUE.md): server/api_rescue*.c */
int api_rescue_nearest(http_req *r);  /* GET /api/v1/rescue/nearest */
int api_rescue_context(http_req *r);  /* GET /api/v1/rescue/context */
int api_rescue_route(http_req *r);    /* GET /api/v1/rescue/route */
int api_rescue_plan(http_req *r);     /* GET /api/v1/rescue/plan */
int api_rescue_coverage(http_req *r); /* GET /api/v1/rescue/coverage */
int api_rescue_evaluation(http_req *r); /* GET /api/v1/rescue/evaluation */

/* The layer of this id, or a 404 naming the known layers already sent. */
struct layer_def;
const struct layer_def *api_find_layer(http_req *r, const char *id);

/* The store connection of this thread, or a 503 already sent (NULL). */
sqlite3 *api_db(http_req *r);

#endif
