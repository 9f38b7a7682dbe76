/* core/ct_printf_hooks.c: refuses printf extensions (why: the header).
 * The dynamic linker binds a library's reference to the executable's
 * definition first, provided the executable exports it: ld does so when it
 * sees the reference in a needed library; the Makefile's EXPORTS makes it
 * explicit. These run before main(), from a library's constructor, so
 * they only count. */
#include "core/ct_printf_hooks.h"

#include <errno.h>
#include <printf.h>

static int refused;

static int refuse(void)
{
    __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
    errno = ENOSYS;
    return -1;
}

int register_printf_type(printf_va_arg_function *fct)
{
    (void)fct;
    return refuse();
}

int register_printf_modifier(const wchar_t *str)
{
    (void)str;
    return refuse();
}

int register_printf_specifier(int spec, printf_function *func,
                              printf_arginfo_size_function *arginfo)
{
    (void)spec, (void)func, (void)arginfo;
    return refuse();
}

int register_printf_function(int spec, printf_function *func,
                             printf_arginfo_function *arginfo)
{
    (void)spec, (void)func, (void)arginfo;
    return refuse();
}

int ct_printf_hooks_refused(void)
{
    return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}
