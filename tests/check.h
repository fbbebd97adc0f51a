/* check.h: the minimal test harness every C test uses.
 *
 * CHECK(cond, fmt, ...) records a failure with file:line and continues; a test's main
 * ends with `return check_report("name");`, which prints "name: N passed, M failed" and
 * returns non-zero when anything failed, so CTest sees failures. */
#ifndef SWEEP_TEST_CHECK_H
#define SWEEP_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed_count, check_failed_count;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (cond) {                                                            \
            check_passed_count++;                                              \
        } else {                                                               \
            check_failed_count++;                                              \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

/* |a - b| <= atol + rtol * |b| */
static inline int check_close(double a, double b, double atol, double rtol)
{
    return isfinite(a) && isfinite(b) && fabs(a - b) <= atol + rtol * fabs(b);
}

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed_count, check_failed_count);
    return check_failed_count ? 1 : 0;
}

#endif
