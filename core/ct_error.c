/* core/ct_error.c: result codes and error messages (see ct_error.h). */
#include "core/ct_error.h"

#include <stdarg.h>
#include <stdio.h>

int ct_fail(ct_err *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

void ct_err_clear(ct_err *e)
{
    if (e) {
        e->code = CT_OK;
        e->msg[0] = '\0';
    }
}

const char *ct_strerror(int code)
{
    switch (code) {
    case CT_OK: return "ok";
    case CT_EINVAL: return "invalid argument";
    case CT_ENOTFOUND: return "not found";
    case CT_EIO: return "input/output error";
    case CT_ENOMEM: return "out of memory";
    case CT_EFORMAT: return "unreadable or corrupt input";
    case CT_ECONFLICT: return "conflict";
    case CT_EAUTH: return "not authorised";
    case CT_ETOOBIG: return "too large";
    default: return "error";
    }
}

int ct_http_status(int code)
{
    switch (code) {
    case CT_OK: return 200;
    case CT_EINVAL: case CT_EFORMAT: return 400;
    case CT_EAUTH: return 401;
    case CT_ENOTFOUND: return 404;
    case CT_ECONFLICT: return 409;
    case CT_ETOOBIG: return 413;
    default: return 500;
    }
}
