/* server/http_routes.c: the route table, first match wins.
 * Patterns: literal segments, {} for one captured segment (r->param[i]),
 * a final * for the rest of the path (r->rest). A path that matches with
 * another method answers 405; no match at all answers 404.
 * A new endpoint is one line here plus its handler. */
#include "server/api.h"

const http_route HTTP_ROUTES[] = {
    {"GET", "/healthz", api_health},
    {"GET", "/api/v1/config", api_config},
    {"GET", "/api/v1/layers", api_layers},
    {"GET", "/api/v1/layers/{}", api_layer},
    {"GET", "/api/v1/layers/{}/items", api_layer_items},
    {"GET", "/api/v1/layers/{}/items/*", api_layer_item},
    {"GET", "/api/v1/items/*", api_item},
    {"POST", "/api/v1/observations", api_observations},
    {"POST", "/ngsi-ld/v1/entityOperations/upsert", api_ngsi_upsert},
    {"GET", "/api/v1/history", api_history},
    {"GET", "/api/v1/state", api_state},
    {"GET", "/api/v1/vitals", api_vitals},
    {"GET", "/api/v1/live", api_live_stats},
    {"GET", "/api/v1/entities/{}/state", api_entity_state},
    {"GET", "/api/v1/alerts", api_alerts},
    {"POST", "/api/v1/alerts/{}/ack", api_alert_ack},
    {"POST", "/api/v1/alerts/{}/escalate", api_alert_escalate},
    {"GET", "/api/v1/incidents", api_incidents},
    {"POST", "/api/v1/incidents", api_incident_create},
    {"GET", "/api/v1/incidents/{}", api_incident},
    {"POST", "/api/v1/incidents/{}/{}", api_incident_action},
    {"GET", "/api/v1/rescue/nearest", api_rescue_nearest},    /* issue 8 */
    {"GET", "/api/v1/rescue/context", api_rescue_context},    /* issue 8 */
    {"GET", "/api/v1/rescue/route", api_rescue_route},        /* issue 8 */
    {"GET", "/api/v1/rescue/plan", api_rescue_plan},          /* issue 8 */
    {"GET", "/api/v1/rescue/coverage", api_rescue_coverage},  /* issue 8 */
    {"GET", "/api/v1/rescue/evaluation", api_rescue_evaluation},  /* issue 8 */
    {"*", "/api/*", api_unknown},
    {"GET", "/tiles/*", api_tiles},
    {"GET", "/basemap/*", api_basemap},
    {"GET", "/*", api_web},
    {NULL, NULL, NULL}};
