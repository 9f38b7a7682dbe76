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
    {"*", "/api/*", api_unknown},
    {"GET", "/tiles/*", api_tiles},
    {"GET", "/basemap/*", api_basemap},
    {"GET", "/*", api_web},
    {NULL, NULL, NULL}};
