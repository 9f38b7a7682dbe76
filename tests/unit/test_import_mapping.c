/* tests/unit/test_import_mapping.c: mapping rules (first match wins,
 * continue, conditions, value specs), OSM other_tags parsing, value
 * conversion (lengths, oneway, flags) and the building height rule. */
#include <math.h>
#include <stdlib.h>

#include "spatial/attrs.h"
#include "spatial/height.h"
#include "spatial/mapping.h"
#include "spatial/row.h"
#include "ut.h"

static const char *MAP =
    "{\"name\": \"t\", \"storey_height_m\": 3.5,"
    " \"default_height_m\": {\"house\": 6, \"*\": 10},"
    " \"speed_kmh\": {\"arterial\": 60},"
    " \"rules\": ["
    "  {\"layer\": \"multipolygons\", \"where\": {\"building\": {\"not\": \"no\"}},"
    "   \"to\": \"buildings\", \"continue\": true,"
    "   \"id\": [{\"from\": \"osm_way_id\", \"prefix\": \"w\"}, {\"from\": \"osm_id\", \"prefix\": \"r\"}],"
    "   \"id_prefix\": \"b:\","
    "   \"fields\": {\"name\": [\"name:zh\", \"name\"], \"kind\": {\"from\": \"building\", \"map\": {\"yes\": \"building\"}},"
    "               \"height\": \"height\", \"levels\": \"building:levels\"}},"
    "  {\"layer\": [\"points\", \"multipolygons\"], \"where\": {\"amenity\": [\"hospital\", \"clinic\"]},"
    "   \"to\": \"hospitals\", \"fields\": {\"name\": \"name\", \"kind\": {\"const\": \"hospital\"}, \"beds\": \"beds\"}},"
    "  {\"layer\": \"*\", \"where\": {\"amenity\": true}, \"to\": \"facilities\","
    "   \"fields\": {\"kind\": \"amenity\"}},"
    "  {\"layer\": \"lines\", \"where\": {\"highway\": true, \"area\": false}, \"geometry\": \"line\","
    "   \"to\": \"roads\", \"fields\": {\"class\": {\"from\": \"highway\", \"map\": {\"primary\": \"arterial\", \"*\": \"local\"}},"
    "   \"oneway\": \"oneway\", \"bridge\": \"bridge\"}}"
    " ]}";

/* The rules that fire for a feature, as store layer ids joined by ','. */
static void fired(const mapping *m, const char *layer, int geom, attrs *a,
                  char *out, size_t n)
{
    out[0] = '\0';
    for (int i = 0; i < mapping_rule_count(m); i++) {
        const map_rule *r = mapping_rule(m, i);
        if (!map_rule_layer_ok(r, layer) || !map_rule_matches(r, geom, a))
            continue;
        if (out[0])
            strncat(out, ",", n - strlen(out) - 1);
        strncat(out, map_rule_target(r, layer)->id, n - strlen(out) - 1);
        if (!map_rule_continues(r))
            break;
    }
}

static void test_first_match_wins_and_continue(void)
{
    mapping *m;
    ct_err err;
    UT_EQ_INT(mapping_parse(MAP, "test", &m, &err), CT_OK);
    attrs a;
    attrs_init(&a);
    char got[256];
    /* a building that is a hospital: buildings (continue) then hospitals, and
     * the facilities rule after it is not reached (first match wins) */
    attrs_add(&a, "building", "yes", ATTRS_TEXT);
    attrs_add(&a, "amenity", "hospital", ATTRS_TEXT);
    fired(m, "multipolygons", MAP_GEOM_POLYGON, &a, got, sizeof got);
    UT_EQ_STR(got, "buildings,hospitals");
    /* building=no: not a building; a school goes to facilities only */
    attrs_reset(&a);
    attrs_add(&a, "building", "no", ATTRS_TEXT);
    attrs_add(&a, "amenity", "school", ATTRS_TEXT);
    fired(m, "multipolygons", MAP_GEOM_POLYGON, &a, got, sizeof got);
    UT_EQ_STR(got, "facilities");
    /* layer globs: a hospital point on a layer the rule does not list */
    attrs_reset(&a);
    attrs_add(&a, "amenity", "hospital", ATTRS_TEXT);
    fired(m, "other", MAP_GEOM_POINT, &a, got, sizeof got);
    UT_EQ_STR(got, "facilities");
    /* absent condition and geometry kind */
    attrs_reset(&a);
    attrs_add(&a, "highway", "primary", ATTRS_TEXT);
    fired(m, "lines", MAP_GEOM_LINE, &a, got, sizeof got);
    UT_EQ_STR(got, "roads");
    attrs_add(&a, "area", "yes", ATTRS_TEXT);
    fired(m, "lines", MAP_GEOM_LINE, &a, got, sizeof got);
    UT_EQ_STR(got, "");
    attrs_reset(&a);
    attrs_add(&a, "highway", "primary", ATTRS_TEXT);
    fired(m, "lines", MAP_GEOM_POLYGON, &a, got, sizeof got);
    UT_EQ_STR(got, "");
    attrs_free(&a);
    mapping_free(m);
}

static void test_fill_ids_values_and_props(void)
{
    mapping *m;
    ct_err err;
    UT_EQ_INT(mapping_parse(MAP, "test", &m, &err), CT_OK);
    attrs a;
    attrs_init(&a);
    attrs_add(&a, "osm_id", "77", ATTRS_TEXT);
    attrs_add(&a, "name", "Hospital", ATTRS_TEXT);
    attrs_add(&a, "building", "yes", ATTRS_TEXT);
    UT_EQ_INT(attrs_add_hstore(&a, "\"name:zh\"=>\"医院\",\"height\"=>\"12.5 m\","
                                   "\"building:levels\"=>\"4\",\"note\"=>\"a \\\"q\\\"\""), 4);
    row r;
    row_init(&r, layers_find("buildings"));
    map_rule_fill(mapping_rule(m, 0), m, &a, "multipolygons", 5, "file.osm", &r);
    int bad[ROW_MAX_COLS], nbad;
    row_coerce(&r, bad, &nbad);
    UT_EQ_INT(nbad, 0);
    UT_EQ_STR(row_text(&r, row_col(&r, "id")), "b:r77");
    UT_EQ_STR(row_text(&r, row_col(&r, "name")), "医院");
    UT_EQ_STR(row_text(&r, row_col(&r, "kind")), "building");
    UT_EQ_STR(row_text(&r, row_col(&r, "source")), "file.osm");
    UT_EQ_STR(row_text(&r, row_col(&r, "src_layer")), "multipolygons");
    double h = 0, lv = 0;
    UT_CHECK(row_num(&r, row_col(&r, "height"), &h));
    UT_NEAR(h, 12.5, 1e-9);
    UT_CHECK(row_num(&r, row_col(&r, "levels"), &lv));
    UT_NEAR(lv, 4, 0);
    /* what no field used stays for props, numbers kept as numbers */
    attrs_add(&a, "beds", "120", ATTRS_INT);
    char *props = attrs_props_json(&a);
    UT_CHECK(props != NULL);
    UT_CHECK_MSG(strstr(props, "\"note\":\"a \\\"q\\\"\"") != NULL, "%s", props);
    UT_CHECK_MSG(strstr(props, "\"beds\":120") != NULL, "%s", props);
    UT_CHECK_MSG(strstr(props, "\"name\"") != NULL, "name unused here: %s", props);
    UT_CHECK_MSG(strstr(props, "height") == NULL, "%s", props);
    free(props);
    /* no id attribute: the FID, with layer names to stay unique */
    attrs_reset(&a);
    attrs_add(&a, "amenity", "clinic", ATTRS_TEXT);
    row_free(&r);
    row_init(&r, layers_find("hospitals"));
    map_rule_fill(mapping_rule(m, 1), m, &a, "points", 42, "f.osm", &r);
    UT_EQ_STR(row_text(&r, row_col(&r, "id")), "hospitals:points:f42");
    UT_EQ_STR(row_text(&r, row_col(&r, "kind")), "hospital");
    row_free(&r);
    attrs_free(&a);
    mapping_free(m);
}

static void test_road_values(void)
{
    mapping *m;
    ct_err err;
    UT_EQ_INT(mapping_parse(MAP, "test", &m, &err), CT_OK);
    attrs a;
    attrs_init(&a);
    attrs_add(&a, "osm_id", "9", ATTRS_TEXT);
    attrs_add(&a, "highway", "primary", ATTRS_TEXT);
    attrs_add(&a, "oneway", "-1", ATTRS_TEXT);
    attrs_add(&a, "bridge", "viaduct", ATTRS_TEXT);
    row r;
    row_init(&r, layers_find("roads"));
    map_rule_fill(mapping_rule(m, 3), m, &a, "lines", 1, "x", &r);
    int bad[ROW_MAX_COLS], nbad;
    row_coerce(&r, bad, &nbad);
    UT_EQ_STR(row_text(&r, row_col(&r, "class")), "arterial");
    UT_EQ_STR(row_text(&r, row_col(&r, "id")), "roads:lines:9");
    double v;
    UT_CHECK(row_num(&r, row_col(&r, "oneway"), &v) && v == -1);
    UT_CHECK(row_num(&r, row_col(&r, "bridge"), &v) && v == 1);
    UT_NEAR(mapping_default_speed(m, "arterial"), 60, 0);
    UT_NEAR(mapping_default_speed(m, "local"), 30, 0);   /* built-in fallback */
    attrs_reset(&a);
    attrs_add(&a, "highway", "footway", ATTRS_TEXT);
    row_clear(&r);
    map_rule_fill(mapping_rule(m, 3), m, &a, "lines", 2, "x", &r);
    UT_EQ_STR(row_text(&r, row_col(&r, "class")), "local");   /* map "*" */
    row_free(&r);
    attrs_free(&a);
    mapping_free(m);
}

static void test_bad_mappings_are_named(void)
{
    mapping *m;
    ct_err err;
    UT_EQ_INT(mapping_parse("{\"rules\": [", "m1.json", &m, &err), CT_EFORMAT);
    UT_CHECK(strstr(err.msg, "m1.json") && strstr(err.msg, "invalid JSON"));
    UT_EQ_INT(mapping_parse("{\"rules\": [{\"to\": \"castles\"}]}", "m2", &m, &err),
              CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "castles") != NULL, "%s", err.msg);
    UT_EQ_INT(mapping_parse("{\"rules\": [{\"to\": \"roads\", \"fields\": {\"height\": \"h\"}}]}",
                            "m3", &m, &err), CT_EFORMAT);
    UT_CHECK_MSG(strstr(err.msg, "no column 'height'") != NULL, "%s", err.msg);
    UT_EQ_INT(mapping_parse("{\"rules\": []}", "m4", &m, &err), CT_EFORMAT);
    UT_EQ_INT(mapping_parse("{\"rules\": [{\"to\": \"roads\", \"geometry\": \"blob\"}]}",
                            "m5", &m, &err), CT_EFORMAT);
    UT_EQ_INT(mapping_load("no_such_mapping_xyz", &m, &err), CT_ENOTFOUND);
    UT_CHECK_MSG(strstr(err.msg, "no_such_mapping_xyz") != NULL, "%s", err.msg);
}

static void test_builtin_mappings_load(void)
{
    static const char *const names[] = {"native", "tilezen", "osm", "admin"};
    for (int i = 0; i < 4; i++) {
        mapping *m;
        ct_err err;
        int rc = mapping_load(names[i], &m, &err);
        UT_CHECK_MSG(rc == CT_OK, "%s: %s", names[i], err.msg);
        UT_EQ_STR(mapping_name(m), names[i]);
        mapping_free(m);
    }
}

static void test_hstore_malformed(void)
{
    attrs a;
    attrs_init(&a);
    UT_EQ_INT(attrs_add_hstore(&a, "\"a\"=>\"1\",\"b\"=>"), -1);
    UT_EQ_STR(attrs_get(&a, "a"), "1");   /* pairs before the fault are kept */
    UT_CHECK(attrs_get(&a, "b") == NULL);
    attrs_reset(&a);
    UT_EQ_INT(attrs_add_hstore(&a, ""), 0);
    attrs_free(&a);
}

static void test_length_parsing(void)
{
    double m;
    UT_CHECK(row_parse_length("12", &m) && m == 12);
    UT_CHECK(row_parse_length("12 m", &m) && m == 12);
    UT_CHECK(row_parse_length("12.5m", &m) && m == 12.5);
    UT_CHECK(row_parse_length(" 3,5 ", &m) && m == 3.5);
    UT_CHECK(row_parse_length("100 ft", &m) && fabs(m - 30.48) < 1e-9);
    UT_CHECK(!row_parse_length("tall", &m));
    UT_CHECK(!row_parse_length("12 storeys", &m));
    UT_CHECK(!row_parse_length("", &m));
    UT_EQ_INT(row_parse_oneway("yes"), 1);
    UT_EQ_INT(row_parse_oneway("reverse"), -1);
    UT_EQ_INT(row_parse_oneway("no"), 0);
    UT_EQ_INT(row_parse_oneway(NULL), 0);
    UT_EQ_INT(row_parse_flag("no"), 0);
    UT_EQ_INT(row_parse_flag("1"), 1);
}

static void test_height_rule(void)
{
    height_result r = height_infer(632, 128, 3, 9);
    UT_EQ_STR(r.rule, "height");
    UT_NEAR(r.height, 632, 0);
    r = height_infer(NAN, 5, 3, 9);
    UT_EQ_STR(r.rule, "levels");
    UT_NEAR(r.height, 15, 0);
    r = height_infer(NAN, NAN, 3, 6);
    UT_EQ_STR(r.rule, "default");
    UT_NEAR(r.height, 6, 0);
    r = height_infer(-4, NAN, 3, 6);          /* nonsense height: not used */
    UT_EQ_STR(r.rule, "default");
    r = height_infer(5000, 2, 3, 6);          /* 5 km: a unit error */
    UT_EQ_STR(r.rule, "levels");
    UT_NEAR(r.height, 6, 0);
    /* through a row and a mapping: storey height and default by kind */
    mapping *m;
    ct_err err;
    UT_EQ_INT(mapping_parse(MAP, "test", &m, &err), CT_OK);
    row w;
    row_init(&w, layers_find("buildings"));
    row_set_int(&w, "levels", 4);
    row_set_real(&w, "min_height", 99);
    height_apply(&w, m);
    double h;
    UT_CHECK(row_num(&w, row_col(&w, "height"), &h));
    UT_NEAR(h, 14, 1e-9);
    UT_EQ_STR(row_text(&w, row_col(&w, "height_rule")), "levels");
    UT_CHECK(!row_num(&w, row_col(&w, "min_height"), &h));   /* above the roof */
    row_clear(&w);
    row_set_text(&w, "kind", "house", -1);
    height_apply(&w, m);
    UT_CHECK(row_num(&w, row_col(&w, "height"), &h));
    UT_NEAR(h, 6, 0);
    UT_EQ_STR(row_text(&w, row_col(&w, "height_rule")), "default");
    row_free(&w);
    mapping_free(m);
}

int main(void)
{
    UT_RUN(test_first_match_wins_and_continue);
    UT_RUN(test_fill_ids_values_and_props);
    UT_RUN(test_road_values);
    UT_RUN(test_bad_mappings_are_named);
    UT_RUN(test_builtin_mappings_load);
    UT_RUN(test_hstore_malformed);
    UT_RUN(test_length_parsing);
    UT_RUN(test_height_rule);
    return ut_done();
}
