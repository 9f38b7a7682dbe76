/* core/ct_error.h: the one result convention of citytwin.
 * Every fallible function returns CT_OK (0) or a negative ct_code, and
 * fills a ct_err with a message that names the input and what was wrong
 * (libuv's habit: codes, plus a helper that turns them into words). */
#ifndef CT_ERROR_H
#define CT_ERROR_H

#include <stddef.h>

enum ct_code {
    CT_OK = 0,
    CT_ERR = -1,        /* unclassified failure */
    CT_EINVAL = -2,     /* bad argument or value */
    CT_ENOTFOUND = -3,  /* missing file, layer, id */
    CT_EIO = -4,        /* read/write/database failure */
    CT_ENOMEM = -5,
    CT_EFORMAT = -6,    /* unreadable or corrupt input */
    CT_ECONFLICT = -7,  /* duplicate or state conflict */
    CT_EAUTH = -8,      /* missing or insufficient credentials */
    CT_ETOOBIG = -9     /* over a configured limit */
};

typedef struct ct_err {
    int code;
    char msg[512];
} ct_err;

/* Record code and a printf-style message in e (e may be NULL); returns code. */
int ct_fail(ct_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear e to CT_OK with an empty message. */
void ct_err_clear(ct_err *e);

/* A short English name for a code ("invalid argument", ...). */
const char *ct_strerror(int code);

/* Map a code to the HTTP status a REST answer should carry. */
int ct_http_status(int code);

#endif
