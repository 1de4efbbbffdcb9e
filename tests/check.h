/* A tiny test reporter: every check is counted, a failure prints what and by how much,
 * and test_report() ends with "N passed, M failed" and a non-zero status on failure. */
#ifndef SCALESWEEP_CHECK_H
#define SCALESWEEP_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int checks_passed = 0;
static int checks_failed = 0;

static inline void check(int ok, const char *fmt, ...)
{
    if (ok) {
        checks_passed++;
        return;
    }
    checks_failed++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* |got - want| <= atol + rtol * |want|, NaN never close */
static inline int close_enough(double got, double want, double atol, double rtol)
{
    return fabs(got - want) <= atol + rtol * fabs(want);
}

/* Compares two arrays element by element; one check for the whole array, which on
 * failure names the worst element. Returns whether all were close. */
static inline int check_arrays(const char *what, const float *got, const float *want, long n,
                        double atol, double rtol)
{
    long bad = 0, worst = -1;
    double worst_excess = 0.0;
    for (long i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        double limit = atol + rtol * fabs((double)want[i]);
        if (!(err <= limit)) {
            bad++;
            double excess = isnan(err) ? INFINITY : err / limit;
            if (worst < 0 || excess > worst_excess) {
                worst = i;
                worst_excess = excess;
            }
        }
    }
    check(bad == 0, "%s: %ld of %ld elements differ; worst [%ld] got %.8g want %.8g", what, bad,
          n, worst, worst >= 0 ? got[worst] : 0.0, worst >= 0 ? want[worst] : 0.0);
    return bad == 0;
}

static inline int test_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
