/* server/api_rescue.h: shared by the rescue map's handlers (issue 8):
 * server/api_rescue.c (parameters, the road graph of the server, nearest
 * resources, building context) and server/api_rescue_route.c (route, plan,
 * coverage). The graph is built from the store on the first rescue request
 * that needs it and kept for the server's life (immutable, shared). */
#ifndef SERVER_API_RESCUE_H
#define SERVER_API_RESCUE_H

#include <stdint.h>

#include "server/api.h"
#include "spatial/graph.h"
#include "spatial/nearest.h"

/* A point farther than this from every road is not routed (422). */
#define RESCUE_SNAP_MAX_M 1500.0
/* A divided road's other carriageway is taken into account when it is at
 * most this much farther from the point than the nearest one, and this
 * close to it (rgraph_snap_twin). */
#define RESCUE_TWIN_M 30.0

/* The most query parameters a rescue endpoint takes. */
#define RESCUE_MAX_PARAMS 8

/* The opening of every rescue read: a viewer may call it, and only the
 * allowed parameters are given. Parsed into q (RESCUE_MAX_PARAMS); returns
 * how many, or -1 with the 401/400 answer sent. */
int rescue_query(http_req *r, const char *const *allowed, http_qparam *q,
                 char *buf, size_t bufsize);

/* Parse a required (or optional with def) number param in [lo, hi]; 400
 * sent naming the parameter when bad (returns -1). */
int rescue_num(http_req *r, const http_qparam *q, int n, const char *name,
               int required, double def, double lo, double hi, double *out);
/* lon= and lat= (named lonp/latp) as a point; -1 with 400 sent. */
int rescue_point(http_req *r, const http_qparam *q, int n, const char *lonp,
                 const char *latp, double *lon, double *lat);

/* The server's road graph (built on first use), or NULL with 503 sent. */
const rgraph *rescue_graph(http_req *r);
/* The same without an answer: NULL when the store has no roads. */
const rgraph *rescue_graph_of(sqlite3 *db);

/* Before an incident's dispatch/assign (server/api_incidents.c): every
 * unit of body's "units" named after a fire station ("fire-024" or
 * "fire-024/engine-2") that comes without a planned ETA (no "eta_s", not
 * in "etas") gets one in body's "etas": the route time from its station
 * to the incident now, live speeds included. Best effort: a unit whose
 * ETA cannot be computed keeps none. */
void rescue_plan_etas(http_req *r, const char *incident, json_t *body);
/* Is the point inside the road network's extent (with a 2 km margin)? */
int rescue_in_extent(const rgraph *g, double lon, double lat);

/* Seconds per segment: live traffic speeds where the engine has a fresh
 * one, else the segment's speed; now (at <= 0, or not before now) or
 * as they were at the past time at (epoch ms, from the history:
 * live_speeds_at). *vmax: the
 * top speed used; *nlive: segments on live speeds; *is_live (may be NULL)
 * per segment. NULL with err filled on out-of-memory or a history that
 * cannot be read. */
double *rescue_seconds(const rgraph *g, int64_t at, double *vmax, int *nlive,
                       unsigned char **is_live, ct_err *err);
/* The optional at= parameter (ISO 8601 with an offset, or epoch ms): 1
 * with *at set, 0 when absent (*at = 0), -1 with 400 sent. */
int rescue_at(http_req *r, const http_qparam *q, int n, int64_t *at);

/* Snap a point to the nearest point of the nearest routable segment
 * (rgraph_snap); -1 with 422 sent when there is none within
 * RESCUE_SNAP_MAX_M. what names the point in the message. */
int rescue_snap(http_req *r, const rgraph *g, double lon, double lat,
                const char *what, rgraph_pos *pos);

/* {lon, lat, segment, along_m, snap_lon, snap_lat, snap_m} of a snapped
 * point. */
json_t *rescue_end_json(const rgraph *g, double lon, double lat, const rgraph_pos *p);

/* GeoJSON geometry of a path (LineString along its segments, the partial
 * ones at its ends included). */
json_t *rescue_path_line(const rgraph *g, const rgraph_path *p);
/* {type: LineString} of one segment in its stored direction. */
json_t *rescue_seg_coords(const rgraph *g, int s, int fwd);

/* The k water sources (water_areas, water_lines) nearest to lon/lat within
 * radius_m, nearest first: [{id, name, kind, layer, distance_m, lon, lat}]
 * with the nearest point of each (api_rescue_water.c). */
int rescue_water_sources(sqlite3 *db, double lon, double lat, int k,
                         double radius_m, json_t **out, ct_err *err);

/* The fire stations as points: id, name, lon, lat (malloc'd array). */
typedef struct rescue_station {
    char id[64], name[128];
    double lon, lat;
    int engines;
} rescue_station;
int rescue_stations(sqlite3 *db, rescue_station **out, int *n, ct_err *err);
/* The same, read once for the server's life, with each station's place
 * on the roads (seg -1 when none within RESCUE_SNAP_MAX_M). Shared: do
 * not free. */
int rescue_station_pos(sqlite3 *db, const rgraph *g, const rescue_station **st,
                       const rgraph_pos **pos, int *n, ct_err *err);

#endif
