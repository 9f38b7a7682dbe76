/* spatial/layers.c: the store's layer table (see layers.h). */
#include "spatial/layers.h"

#include <string.h>

const layer_column LAYER_COMMON[] = {
    {"id", "TEXT"},       {"name", "TEXT"},      {"name_en", "TEXT"},
    {"kind", "TEXT"},     {"source", "TEXT"},    {"src_layer", "TEXT"},
    {"district", "TEXT"}, {"props", "TEXT"},     {NULL, NULL}};

static const layer_column districts_cols[] = {
    {"code", "TEXT"}, {"level", "TEXT"}, {"parent", "TEXT"}, {NULL, NULL}};
static const layer_column building_cols[] = {
    {"height", "REAL"},     {"min_height", "REAL"}, {"levels", "INTEGER"},
    {"height_rule", "TEXT"}, {"area_m2", "REAL"},   {NULL, NULL}};
static const layer_column part_cols[] = {
    {"building_id", "TEXT"}, {"height", "REAL"}, {"min_height", "REAL"},
    {"levels", "INTEGER"},   {"height_rule", "TEXT"}, {"area_m2", "REAL"},
    {NULL, NULL}};
static const layer_column road_cols[] = {
    {"class", "TEXT"},     {"oneway", "INTEGER"},  {"lanes", "INTEGER"},
    {"speed_kmh", "REAL"}, {"bridge", "INTEGER"},  {"tunnel", "INTEGER"},
    {"length_m", "REAL"},  {"node_from", "INTEGER"}, {"node_to", "INTEGER"},
    {NULL, NULL}};
static const layer_column park_cols[] = {{"capacity", "INTEGER"}, {NULL, NULL}};
static const layer_column fire_cols[] = {{"engines", "INTEGER"}, {NULL, NULL}};
static const layer_column hospital_cols[] = {{"beds", "INTEGER"}, {NULL, NULL}};
static const layer_column camera_cols[] = {{"road_id", "TEXT"}, {NULL, NULL}};
static const layer_column water_station_cols[] = {
    {"station_type", "TEXT"},   {"water_body", "TEXT"},
    {"warning_level", "REAL"},  {"guarantee_level", "REAL"},
    {"flood_limit_level", "REAL"}, {"period_s", "INTEGER"}, {NULL, NULL}};
static const layer_column no_cols[] = {{NULL, NULL}};

const layer_def LAYERS[] = {
    {"districts", "行政区划", "Districts", LAYER_POLYGON, districts_cols},
    {"buildings", "建筑", "Buildings", LAYER_POLYGON, building_cols},
    {"building_parts", "建筑部件", "Building parts", LAYER_POLYGON, part_cols},
    {"roads", "道路", "Roads", LAYER_LINE, road_cols},
    {"water_lines", "河流水系", "Rivers and streams", LAYER_MULTILINE, no_cols},
    {"water_areas", "水域", "Water areas", LAYER_POLYGON, no_cols},
    {"green_areas", "绿地公园", "Parks and green areas", LAYER_POLYGON, no_cols},
    {"facilities", "设施用地", "Facilities", LAYER_POLYGON, no_cols},
    {"transport_lines", "轨道与机场", "Rail and airfield lines", LAYER_MULTILINE,
     no_cols},
    {"car_parks", "停车场", "Car parks", LAYER_POINT, park_cols},
    {"fire_stations", "消防站", "Fire stations", LAYER_POINT, fire_cols},
    {"hydrants", "消火栓", "Hydrants", LAYER_POINT, no_cols},
    {"hospitals", "医院", "Hospitals", LAYER_POINT, hospital_cols},
    {"police", "派出所", "Police stations", LAYER_POINT, no_cols},
    {"schools", "学校", "Schools", LAYER_POINT, no_cols},
    {"stations", "车站", "Stations", LAYER_POINT, no_cols},
    {"cameras", "交通摄像头", "Traffic cameras", LAYER_POINT, camera_cols},
    {"water_stations", "水文监测站", "Water monitoring stations", LAYER_POINT,
     water_station_cols},
};

int layers_count(void)
{
    return (int)(sizeof LAYERS / sizeof LAYERS[0]);
}

const layer_def *layers_find(const char *id)
{
    if (!id)
        return NULL;
    for (int i = 0; i < layers_count(); i++)
        if (strcmp(LAYERS[i].id, id) == 0)
            return &LAYERS[i];
    return NULL;
}

const char *layers_geom_name(layer_geom g)
{
    switch (g) {
    case LAYER_POINT: return "POINT";
    case LAYER_LINE: return "LINESTRING";
    case LAYER_MULTILINE: return "MULTILINESTRING";
    case LAYER_POLYGON: return "MULTIPOLYGON";
    }
    return "GEOMETRY";
}

int layers_has_column(const layer_def *l, const char *column)
{
    for (const layer_column *c = LAYER_COMMON; c->name; c++)
        if (strcmp(c->name, column) == 0)
            return 1;
    for (const layer_column *c = l->extra; c->name; c++)
        if (strcmp(c->name, column) == 0)
            return 1;
    return 0;
}
