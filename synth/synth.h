/* synth/synth.h: the synthetic-city generator (`citytwin synth`).
 * Generates the parts of central Luoyang that no open dataset provides
 * (roads, buildings, parks, water areas, public facilities, monitoring
 * stations) inside the real district boundaries and around the real
 * stations and rivers read from data/luoyang/luoyang_open.gpkg, and writes
 * them to one GeoPackage whose layers follow spatial/layers.h.
 * Deterministic: the same seed and scale give the same bytes.
 * Tour: rng.c (PRNG) -> geo.c (local metric frame, polygons, distances)
 * -> world.c (real inputs, zones, rivers) -> roads.c (street grid, graph)
 * -> blocks.c (block use) -> buildings.c (footprints) -> pois.c (public
 * facilities) -> water.c (water areas, monitoring stations) -> gpkg_out.c
 * (GDAL writer) -> synth_cmd.c (the subcommand). */
#ifndef SYNTH_SYNTH_H
#define SYNTH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include <gdal.h>
#include <ogr_api.h>

#include "core/ct_error.h"

/* ---- rng.c: splitmix64 seeding + xoshiro256** ---------------------- */
typedef struct synth_rng {
    uint64_t s[4];
} synth_rng;

/* Seed from a seed and up to three keys (independent stream per key). */
void synth_rng_init(synth_rng *r, uint64_t seed, uint64_t k1, uint64_t k2,
                    uint64_t k3);
uint64_t synth_rng_u64(synth_rng *r);
double synth_rng_unit(synth_rng *r);                 /* [0, 1) */
double synth_rng_range(synth_rng *r, double a, double b);
int synth_rng_int(synth_rng *r, int n);              /* [0, n) */
/* A stateless hash of (seed, a, b) in [0, 1): for lookups by position. */
double synth_hash_unit(uint64_t seed, uint64_t a, uint64_t b);

/* ---- geo.c: local metric frame and plain geometry -------------------- */
typedef struct synth_pt {
    double x, y;
} synth_pt;

/* Equirectangular frame around central Luoyang: metres east/north. */
#define SYNTH_LON0 112.45
#define SYNTH_LAT0 34.65
void synth_to_lonlat(double x, double y, double *lon, double *lat);
void synth_from_lonlat(double lon, double lat, double *x, double *y);

/* A polyline in metres (rivers). */
typedef struct synth_line {
    synth_pt *p;
    int n;
    double xmin, ymin, xmax, ymax;
} synth_line;

double synth_seg_dist(synth_pt p, synth_pt a, synth_pt b);
double synth_line_dist(const synth_line *l, synth_pt p);
/* Distance from a polyline to an axis-aligned rectangle (0 if they touch). */
double synth_line_rect_dist(const synth_line *l, double x0, double y0,
                            double x1, double y1);
double synth_line_length(const synth_line *l);
/* The point at distance s along l, and the unit direction there. */
synth_pt synth_line_at(const synth_line *l, double s, synth_pt *dir);
void synth_line_bbox(synth_line *l);

/* ---- world.c: the real inputs and the zones ------------------------ */
enum synth_zone {
    ZONE_MIXED = 0,     /* residential with commerce along arterials */
    ZONE_OLDTOWN,       /* walled old town of Laocheng: low-rise courtyards */
    ZONE_NEWTOWN,       /* Luolong new district: high-rise */
    ZONE_INDUSTRIAL     /* Jianxi industrial belt (1950s plants) */
};

#define SYNTH_NDIST 5

typedef struct synth_river {
    synth_line line;
    double half_width;      /* of the water area, metres */
    const char *id, *name, *name_en;
    int real;               /* 1: line from the open data */
} synth_river;

typedef struct synth_station {
    synth_pt p;
    int train;              /* 1 train, 0 metro */
} synth_station;

/* A polygon in metres as rings (even-odd rule: holes need no flag). */
typedef struct synth_poly {
    synth_line *ring;
    int nring;
    double xmin, ymin, xmax, ymax;
} synth_poly;

int synth_poly_contains(const synth_poly *p, double x, double y);
/* Is the rectangle inside p, touching none of its edges? */
int synth_poly_contains_rect(const synth_poly *p, double x0, double y0,
                             double x1, double y1);
void synth_poly_free(synth_poly *p);

#define SYNTH_MAX_RIVERS 16

typedef struct synth_world {
    synth_poly dist[SYNTH_NDIST];  /* the five central districts */
    const char *dist_id[SYNTH_NDIST];
    synth_poly urban;              /* urban growth boundary (generated) */
    synth_poly prefecture;         /* the whole prefecture */
    double ux0, uy0, ux1, uy1;     /* bbox of the urban boundary */
    synth_river river[SYNTH_MAX_RIVERS];
    int nriver;
    synth_station *stn;
    int nstn;
    double area_factor;            /* < 1 shrinks the domain (tests) */
} synth_world;

int synth_world_load(synth_world *w, const char *open_path, double scale,
                     ct_err *err);
void synth_world_free(synth_world *w);
/* Which central district contains p (index) or -1. */
int synth_world_district(const synth_world *w, double x, double y);
/* The district (index) wholly containing the rectangle, which must also be
 * inside the urban area; -1 if none. */
int synth_world_rect_district(const synth_world *w, double x0, double y0,
                              double x1, double y1);
enum synth_zone synth_world_zone(const synth_world *w, double x, double y);
/* Distance to the nearest river's water edge (negative inside water). */
double synth_world_water_dist(const synth_world *w, synth_pt p);
double synth_world_water_rect_dist(const synth_world *w, double x0, double y0,
                                   double x1, double y1);
/* Distance to the nearest station and whether it is a train station. */
double synth_world_station_dist(const synth_world *w, double x0, double y0,
                                double x1, double y1, int *train);

/* ---- gpkg_out.c: the GeoPackage writer ------------------------------ */
enum synth_layer {
    SL_BUILDINGS, SL_ROADS, SL_WATER_LINES, SL_WATER_AREAS, SL_GREEN,
    SL_CAR_PARKS, SL_FIRE, SL_HYDRANTS, SL_HOSPITALS, SL_POLICE, SL_SCHOOLS,
    SL_CAMERAS, SL_WATER_STATIONS, SL_COUNT
};

typedef struct synth_out {
    GDALDatasetH ds;
    OGRLayerH lyr[SL_COUNT];
    OGRFeatureH feat[SL_COUNT];
    OGRGeometryH poly1;     /* reusable multipolygon, 1 ring */
    OGRGeometryH poly2;     /* reusable multipolygon, outer + hole */
    OGRGeometryH point;
    OGRGeometryH line;
    int64_t count[SL_COUNT];
    int64_t in_tx;          /* features since the last commit */
    char path[1024];
} synth_out;

int synth_out_open(synth_out *o, const char *path, ct_err *err);
/* Commit and close; on error the file is removed. */
int synth_out_close(synth_out *o, int ok, ct_err *err);
const char *synth_layer_id(enum synth_layer l);

/* Begin a feature: sets the common columns (name/name_en may be NULL). */
OGRFeatureH synth_feat(synth_out *o, enum synth_layer l, const char *id,
                       const char *name, const char *name_en,
                       const char *kind, const char *district);
void synth_set_int(OGRFeatureH f, const char *col, long long v);
void synth_set_real(OGRFeatureH f, const char *col, double v);
void synth_set_str(OGRFeatureH f, const char *col, const char *v);
/* Finish with a geometry in metres (converted to lon/lat here). */
int synth_put_rings(synth_out *o, enum synth_layer l, const synth_pt *outer,
                    int nout, const synth_pt *hole, int nhole, ct_err *err);
int synth_put_point(synth_out *o, enum synth_layer l, double x, double y,
                    ct_err *err);
/* Points already in lon/lat (prefecture-wide features). */
int synth_put_lonlat(synth_out *o, enum synth_layer l, double lon, double lat,
                     ct_err *err);
int synth_put_line(synth_out *o, enum synth_layer l, const synth_pt *p, int n,
                   ct_err *err);
/* Finish with an OGR geometry in metres (cloned and converted). */
int synth_put_geom(synth_out *o, enum synth_layer l, OGRGeometryH g_m,
                   ct_err *err);

/* ---- generation stages -------------------------------------------- */
typedef struct synth_opts {
    const char *out;
    const char *open;
    uint64_t seed;
    double scale;
    int quiet;
} synth_opts;

typedef struct synth_grid synth_grid;   /* roads.c */

typedef struct synth_ctx {
    synth_opts opt;
    synth_world w;
    synth_out out;
    synth_grid *grid;
    double density;        /* footprint shrink factor 1/sqrt(scale>1) */
    int64_t nblocks_built;
    double built_area_m2;
} synth_ctx;

/* roads.c */
int synth_roads(synth_ctx *c, ct_err *err);
void synth_grid_free(synth_grid *g);
/* blocks.c: walk blocks, decide their use, emit buildings and POIs. */
int synth_blocks(synth_ctx *c, ct_err *err);
/* buildings.c: fill one block rectangle with footprints of a typology. */
enum synth_btype {
    BT_SLABS, BT_TOWERS, BT_VILLAGE, BT_COURTYARDS, BT_COMMERCIAL,
    BT_OFFICE, BT_INDUSTRIAL, BT_SCHOOL, BT_HOSPITAL
};
typedef struct synth_block {
    double x0, y0, x1, y1;      /* buildable rectangle (after setbacks) */
    enum synth_zone zone;
    enum synth_btype type;
    const char *district;
    int straddle;               /* crosses a district boundary: buildings
                                 * are checked one by one */
    int i, j;                   /* grid indexes, for names and seeds */
    const char *name, *name_en; /* for named blocks (schools, hospitals) */
} synth_block;
int synth_buildings(synth_ctx *c, const synth_block *b, ct_err *err);
/* pois.c: fire stations, police, cameras, hydrants after the roads. */
int synth_pois(synth_ctx *c, ct_err *err);
/* water.c */
int synth_water_areas(synth_ctx *c, ct_err *err);
int synth_water_stations(synth_ctx *c, ct_err *err);

/* roads.c accessors used by pois.c and blocks.c */
int synth_grid_nx(const synth_grid *g);
int synth_grid_ny(const synth_grid *g);
double synth_grid_x(const synth_grid *g, int i);
double synth_grid_y(const synth_grid *g, int j);
/* Class of grid line (0 arterial, 1 secondary, 2 local) */
int synth_grid_vclass(const synth_grid *g, int i);
int synth_grid_hclass(const synth_grid *g, int j);
/* Is the node on the kept (connected) road network? */
int synth_grid_node_on(const synth_grid *g, int i, int j);
double synth_road_half_width(int cls);

/* synth_cmd.c: the whole generation, as used by `citytwin synth`. */
typedef struct synth_stats {
    int64_t count[SL_COUNT];
    double built_area_km2;
    double seconds;
} synth_stats;
int synth_generate(const synth_opts *opt, synth_stats *st, ct_err *err);
int synth_main(int argc, char **argv);

#endif
