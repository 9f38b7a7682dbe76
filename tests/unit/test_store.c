/* tests/unit/test_store.c: the store opens, creates its schema with spatial
 * indexes, refuses what is not a store, and keeps its metadata. */
#include <stdio.h>
#include <unistd.h>

#include "spatial/layers.h"
#include "spatial/store.h"
#include "ut.h"

static void test_create_has_every_layer_with_rtree(void)
{
    ct_err err;
    sqlite3 *db;
    unlink("t_store.sqlite");
    UT_EQ_INT(store_open("t_store.sqlite", STORE_CREATE, &db, &err), CT_OK);
    for (int i = 0; i < layers_count(); i++) {
        char sql[256];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql,
                 "SELECT spatial_index_enabled FROM geometry_columns "
                 "WHERE f_table_name='%s'", LAYERS[i].id);
        UT_EQ_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        int ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
        sqlite3_finalize(st);
        UT_CHECK_MSG(ok, "layer %s has no spatial index", LAYERS[i].id);
    }
    store_close(db);
}

static void test_reopen_is_idempotent_and_keeps_meta(void)
{
    ct_err err;
    sqlite3 *db;
    char buf[64];
    UT_EQ_INT(store_open("t_store.sqlite", STORE_CREATE, &db, &err), CT_OK);
    UT_EQ_INT(store_meta_set(db, "city", "luoyang", &err), CT_OK);
    store_close(db);
    UT_EQ_INT(store_open("t_store.sqlite", STORE_READONLY, &db, &err), CT_OK);
    UT_CHECK(store_meta_get(db, "city", buf, sizeof buf));
    UT_EQ_STR(buf, "luoyang");
    UT_CHECK(!store_meta_get(db, "nothing", buf, sizeof buf));
    store_close(db);
}

static void test_missing_and_foreign_files_are_named(void)
{
    ct_err err;
    sqlite3 *db;
    UT_EQ_INT(store_open("no/such/store.sqlite", STORE_READONLY, &db, &err),
              CT_ENOTFOUND);
    UT_CHECK(strstr(err.msg, "no/such/store.sqlite") != NULL);
    FILE *f = fopen("t_garbage.sqlite", "w");
    fputs("this is not a database, just text that goes on long enough", f);
    fclose(f);
    int rc = store_open("t_garbage.sqlite", STORE_READWRITE, &db, &err);
    UT_CHECK_MSG(rc == CT_EFORMAT, "rc %d: %s", rc, err.msg);
    UT_CHECK(db == NULL);
}

static void test_layer_lookup(void)
{
    UT_CHECK(layers_find("buildings") != NULL);
    UT_CHECK(layers_find("no_such_layer") == NULL);
    UT_CHECK(layers_has_column(layers_find("roads"), "oneway"));
    UT_CHECK(!layers_has_column(layers_find("hydrants"), "oneway"));
}

int main(void)
{
    UT_RUN(test_create_has_every_layer_with_rtree);
    UT_RUN(test_reopen_is_idempotent_and_keeps_meta);
    UT_RUN(test_missing_and_foreign_files_are_named);
    UT_RUN(test_layer_lookup);
    return ut_done();
}
