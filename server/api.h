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

/* The layer of this id, or a 404 naming the known layers already sent. */
struct layer_def;
const struct layer_def *api_find_layer(http_req *r, const char *id);

/* The store connection of this thread, or a 503 already sent (NULL). */
sqlite3 *api_db(http_req *r);

#endif
