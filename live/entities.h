/* live/entities.h: the registry of everything the live core observes.
 * Loaded once from the SpatiaLite store: road segments, car parks, water
 * stations and districts (plus "city" and each district as the places
 * weather is reported for); buildings are read on demand for incidents.
 * Immutable after loading, so ingest threads read it without a lock. */
#ifndef LIVE_ENTITIES_H
#define LIVE_ENTITIES_H

#include <pthread.h>
#include <sqlite3.h>

#include "core/ct_error.h"
#include "live/map.h"

enum live_kind {
    LIVE_ROAD = 0,    /* road segment: traffic */
    LIVE_PARK,        /* car park: parking */
    LIVE_WATER,       /* water station: water */
    LIVE_AREA,        /* the city or a district: weather */
    LIVE_NKINDS
};

/* Road classes as the traffic bands know them (docs/LIVE.md). */
enum live_road_band { LIVE_RB_EXPRESS = 0, LIVE_RB_ARTERIAL, LIVE_RB_LOCAL };

#define LIVE_CITY_ID "city"

typedef struct live_entity {
    char *id;
    int kind;             /* enum live_kind */
    int district;         /* index in districts, -1 for the city or none */
    int period_s;         /* expected reporting period */
    double lon, lat;      /* a representative point (centroid), NaN if none */
    char *cls;            /* road class / car park kind as the store says */
    /* roads */
    int band;             /* enum live_road_band */
    double length_m, speed_kmh;
    /* car parks */
    int capacity;
    /* water stations (NaN when the store has no value) */
    double warning, guarantee, flood_limit, normal_level;
    char *station_type, *water_body, *body_id;   /* body_id: props.river_id */
} live_entity;

typedef struct live_district {
    char *id, *name;
} live_district;

typedef struct live_registry {
    live_entity *ents;
    int n, cap;
    live_district *dists;
    int nd, dcap;
    live_map by_id;
    int count[LIVE_NKINDS];
    sqlite3 *db;            /* the store, for on-demand building reads */
    pthread_mutex_t db_mu;
} live_registry;

/* A building as an incident needs it. */
typedef struct live_building {
    char id[96], name[128], kind[48], district[64];
    double height, lon, lat;
} live_building;

/* Default reporting periods (s) when the store gives none. */
#define LIVE_PERIOD_ROAD 60
#define LIVE_PERIOD_PARK 60
#define LIVE_PERIOD_WATER 300
#define LIVE_PERIOD_AREA 600

/* Load the registry from the store at path (opened read-only). */
int live_ents_load(const char *store_path, live_registry **out, ct_err *err);
void live_ents_free(live_registry *r);

/* Entity index by public id, or -1. */
int live_ents_find(const live_registry *r, const char *id);
/* District index by id (or name), or -1. */
int live_ents_district(const live_registry *r, const char *id_or_name);

/* Read one building from the store (CT_ENOTFOUND when unknown). */
int live_ents_building(live_registry *r, const char *id, live_building *out,
                       ct_err *err);
/* The district containing lon/lat (index), or -1. */
int live_ents_district_at(live_registry *r, double lon, double lat);

/* Names: "traffic", "parking", "water", "weather"; and the band of an
 * OSM or Chinese road class name ("motorway", "primary", "主干路", ...). */
const char *live_kind_topic(int kind);
int live_road_band_of(const char *cls);

#endif
