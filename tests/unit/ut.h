/* tests/unit/ut.h: a minimal unit-test harness printing TAP lines.
 * Each test_*.c has a main() that calls UT_RUN(fn) per case and returns
 * ut_done(); tests/run.sh counts the "ok" / "not ok" lines. A test function
 * returns early on its first failed check. */
#ifndef UT_H
#define UT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int ut_case_no, ut_failed_cases, ut_case_failed;

#define UT_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond)) {                                                        \
            printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            ut_case_failed = 1;                                               \
            return;                                                           \
        }                                                                     \
    } while (0)

#define UT_CHECK_MSG(cond, ...)                                               \
    do {                                                                      \
        if (!(cond)) {                                                        \
            printf("# %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
            ut_case_failed = 1;                                               \
            return;                                                           \
        }                                                                     \
    } while (0)

#define UT_EQ_INT(a, b)                                                       \
    UT_CHECK_MSG((long long)(a) == (long long)(b), "%lld != %lld",            \
                 (long long)(a), (long long)(b))
#define UT_EQ_STR(a, b)                                                       \
    UT_CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))
#define UT_NEAR(a, b, tol)                                                    \
    UT_CHECK_MSG(fabs((double)(a) - (double)(b)) <= (tol), "%.9g != %.9g",    \
                 (double)(a), (double)(b))

#define UT_RUN(fn)                                                            \
    do {                                                                      \
        ut_case_failed = 0;                                                   \
        fflush(stdout);                                                       \
        fn();                                                                 \
        ut_case_no++;                                                         \
        if (ut_case_failed)                                                   \
            ut_failed_cases++;                                                \
        printf("%s %d - %s\n", ut_case_failed ? "not ok" : "ok", ut_case_no,  \
               #fn);                                                          \
        fflush(stdout);                                                       \
    } while (0)

static inline int ut_done(void)
{
    printf("1..%d\n", ut_case_no);
    return ut_failed_cases ? 1 : 0;
}

#endif
