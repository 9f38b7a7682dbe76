/* core/ct_printf_hooks.h: keeps glibc's printf on its fast path.
 * GDAL pulls in libquadmath (GDAL -> armadillo -> LAPACK -> libgfortran),
 * whose load-time constructor registers a printf type, modifier and
 * specifiers for __float128. Once any is registered, every printf-family
 * call in the process (jansson's numbers, our snprintf) takes glibc's slow
 * positional path. ct_printf_hooks.c defines the registration functions in
 * the executable, so the library's calls land there and are refused;
 * nothing here uses %Q. */
#ifndef CT_PRINTF_HOOKS_H
#define CT_PRINTF_HOOKS_H

/* How many registrations were refused since the process started (1 or
 * more when libquadmath is loaded; for the tests and the docs). */
int ct_printf_hooks_refused(void);

#endif
