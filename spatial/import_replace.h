/* spatial/import_replace.h: `import --replace`: rows of a store layer that
 * came from the same source and source layer as this import's rows (the
 * `source` and `src_layer` columns) but are no longer in it are deleted,
 * with their `items` entries, so a re-import mirrors the source (a
 * demolished building leaves the store). Same transaction as the import. */
#ifndef SPATIAL_IMPORT_REPLACE_H
#define SPATIAL_IMPORT_REPLACE_H

#include <sqlite3.h>

#include "core/ct_error.h"

/* Create the temporary table of rows seen; *seen is the statement the
 * writer steps for each row (layer, source, src_layer, id). */
int replace_begin(sqlite3 *db, sqlite3_stmt **seen, ct_err *err);
/* Delete what was not seen (after writer_finish); *removed[k] counts per
 * LAYERS index. Drops the temporary table and finalizes seen. */
int replace_prune(sqlite3 *db, sqlite3_stmt *seen, long long *removed, ct_err *err);

#endif
