/* spatial/attrs.h: the attributes of one source feature as key/value text,
 * the common currency of mapping rules. Strings live in one growable
 * buffer reused from feature to feature (no per-attribute malloc), and each
 * attribute remembers whether a mapping used it, so the rest can go to the
 * `props` JSON. OSM's `other_tags` ("k"=>"v",...) is unpacked into plain
 * attributes. */
#ifndef SPATIAL_ATTRS_H
#define SPATIAL_ATTRS_H

#include <stddef.h>

enum attrs_type { ATTRS_TEXT = 0, ATTRS_INT = 1, ATTRS_REAL = 2 };

#define ATTRS_NO_TEXT ((size_t)-1)

typedef struct attrs {
    char *buf;             /* all keys and values, NUL-terminated */
    size_t len, cap;
    size_t *key, *val;     /* offsets into buf; val ATTRS_NO_TEXT: not yet */
    double *num;           /* the value, when isnum */
    unsigned char *isnum;  /* added as a number (attrs_add_num) */
    unsigned char *type;   /* enum attrs_type, for props JSON */
    unsigned char *used;   /* set when a mapping consumed the attribute */
    int n, ncap;
} attrs;

void attrs_init(attrs *a);
void attrs_free(attrs *a);
/* Forget every attribute, keep the memory. */
void attrs_reset(attrs *a);

/* Add key=value (copied); empty values are not added. Returns the index,
 * -1 for an empty value, -2 when out of memory. */
int attrs_add(attrs *a, const char *key, const char *value, int type);

/* Add a number (ATTRS_INT or ATTRS_REAL); its text is only made if asked
 * for (attrs_val), since most numbers go straight to numeric columns or
 * JSON. Returns the index, or -2 when out of memory. */
int attrs_add_num(attrs *a, const char *key, double v, int type);

/* Parse an hstore-like OSM other_tags text ("a"=>"b","c"=>"d\"e") and add
 * each pair. Returns the number added, or -1 when the text is malformed
 * (pairs before the fault are kept). */
int attrs_add_hstore(attrs *a, const char *text);

/* Index of key, or -1. */
int attrs_find(const attrs *a, const char *key);
const char *attrs_key(const attrs *a, int i);
/* The value as text (a number is formatted on first use, so the pointer
 * stays valid only until the next attrs_ call that adds text). */
const char *attrs_val(attrs *a, int i);
/* Value of key as text, or NULL when absent. */
const char *attrs_get(attrs *a, const char *key);
/* Was attribute i added as a number? Then *v is its value. */
int attrs_num(const attrs *a, int i, double *v);

/* Unused attributes as a compact JSON object text in source order
 * (malloc'd; free() it), or NULL when there is none. Numbers stay numbers. */
char *attrs_props_json(const attrs *a);

#endif
