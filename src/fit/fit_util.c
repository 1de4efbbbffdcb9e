/* Small helpers of the fit stage: input checks, seeded random streams, the
 * quantities and points of a law. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fit_internal.h"

#include <gsl/gsl_errno.h>

static void gsl_errors_off(void)
{
    gsl_set_error_handler_off();
}

void fit_gsl_errors_off(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, gsl_errors_off);
}

const char *fit_check_positive(const double *values, int64_t n, const char *what)
{
    static const char *const nan_text[] = {"a value of N is NaN or infinite",
                                           "a value of D is NaN or infinite",
                                           "a loss is NaN or infinite",
                                           "a value of C is NaN or infinite",
                                           "a value is NaN or infinite"};
    static const char *const sign_text[] = {"a value of N is zero or negative",
                                            "a value of D is zero or negative",
                                            "a loss is zero or negative",
                                            "a value of C is zero or negative",
                                            "a value is zero or negative"};
    int which = strcmp(what, "N") == 0      ? 0
                : strcmp(what, "D") == 0    ? 1
                : strcmp(what, "loss") == 0 ? 2
                : strcmp(what, "C") == 0    ? 3
                                            : 4;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            return nan_text[which];
        if (values[i] <= 0)
            return sign_text[which];
    }
    return NULL;
}

int fit_compare_doubles(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

void fit_interval(double *values, int n, double confidence, double *lower, double *upper)
{
    if (n < 2)
        return;
    qsort(values, (size_t)n, sizeof(double), fit_compare_doubles);
    const double tail = (1.0 - confidence) / 2.0;
    *lower = fit_percentile(values, n, tail);
    *upper = fit_percentile(values, n, 1.0 - tail);
}

int64_t fit_count_distinct(const double *values, int64_t n)
{
    if (n <= 0)
        return 0;
    double *sorted = malloc((size_t)n * sizeof(double));
    if (!sorted)
        return n; /* out of memory: claim all distinct; the fit itself will then fail */
    memcpy(sorted, values, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), fit_compare_doubles);
    int64_t distinct = 1;
    for (int64_t i = 1; i < n; i++)
        distinct += !(fabs(sorted[i] - sorted[i - 1]) <= 1e-9 * fabs(sorted[i - 1]));
    free(sorted);
    return distinct;
}

int fit_law_add(fit_law *law, const char *name, double value)
{
    if (law->n_quantities >= FIT_MAX_QUANTITIES)
        return -1;
    fit_quantity *q = &law->quantity[law->n_quantities];
    snprintf(q->name, sizeof(q->name), "%s", name);
    q->value = value;
    q->lower = NAN;
    q->upper = NAN;
    q->valid_resamples = 0;
    return law->n_quantities++;
}

int fit_law_set_points(fit_law *law, const double *x, const double *x2, const double *y,
                       const double *predicted, int64_t n)
{
    free(law->x);
    free(law->x2);
    free(law->y);
    free(law->predicted);
    free(law->run_index);
    law->x = law->x2 = law->y = law->predicted = NULL;
    law->run_index = NULL;
    law->n_points = 0;
    if (n <= 0)
        return 0;
    size_t bytes = (size_t)n * sizeof(double);
    law->x = malloc(bytes);
    law->x2 = malloc(bytes);
    law->y = malloc(bytes);
    law->predicted = malloc(bytes);
    if (!law->x || !law->x2 || !law->y || !law->predicted) {
        free(law->x);
        free(law->x2);
        free(law->y);
        free(law->predicted);
        law->x = law->x2 = law->y = law->predicted = NULL;
        return -1;
    }
    memcpy(law->x, x, bytes);
    if (x2)
        memcpy(law->x2, x2, bytes);
    else
        memset(law->x2, 0, bytes);
    memcpy(law->y, y, bytes);
    memcpy(law->predicted, predicted, bytes);
    law->n_points = n;

    double mean = 0.0, sse = 0.0, sst = 0.0;
    for (int64_t i = 0; i < n; i++)
        mean += log(y[i]);
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++) {
        double r = log(predicted[i]) - log(y[i]);
        sse += r * r;
        sst += (log(y[i]) - mean) * (log(y[i]) - mean);
    }
    law->rms_log_residual = sqrt(sse / (double)n);
    law->r_squared = sst > 0 ? 1.0 - sse / sst : NAN;
    return 0;
}

int fit_law_set_runs(fit_law *law, const int64_t *run_index)
{
    free(law->run_index);
    law->run_index = NULL;
    if (law->n_points <= 0 || !run_index)
        return 0;
    law->run_index = malloc((size_t)law->n_points * sizeof(int64_t));
    if (!law->run_index)
        return -1;
    memcpy(law->run_index, run_index, (size_t)law->n_points * sizeof(int64_t));
    return 0;
}
