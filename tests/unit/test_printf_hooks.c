/* tests/unit/test_printf_hooks.c: libquadmath's printf extensions are
 * refused (core/ct_printf_hooks.c), so printf stays on its fast path. */
#include "core/ct_printf_hooks.h"

#include <dlfcn.h>
#include <printf.h>

#include "ut.h"

static int quadmath_loaded(void)
{
    void *h = dlopen("libquadmath.so.0", RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

/* The library's constructor ran before main(): its first registration
 * reached our definition, and it gave up there. */
static void test_library_registration_refused(void)
{
    if (!quadmath_loaded()) {
        printf("# libquadmath is not loaded here: nothing to refuse\n");
        return;
    }
    UT_CHECK_MSG(ct_printf_hooks_refused() >= 1,
                 "libquadmath's register_printf_type reached glibc, not us "
                 "(is the executable exporting it? Makefile EXPORTS)");
}

/* A registration made now is refused too, and says so. */
static void test_new_registration_refused(void)
{
    int before = ct_printf_hooks_refused();
    UT_EQ_INT(register_printf_modifier(L"Z"), -1);
    UT_EQ_INT(ct_printf_hooks_refused(), before + 1);
}

int main(void)
{
    UT_RUN(test_library_registration_refused);
    UT_RUN(test_new_registration_refused);
    return ut_done();
}
