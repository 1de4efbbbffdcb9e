/* The transfer law (Kaplan et al. 2020, section 3.2.2 and Figure 8): over the runs of one
 * mixture, the held-out loss on each source against the run's own (the mixture's) loss is
 * close to a straight line, L_source = offset + slope L_mixture. Fitted by least squares
 * (gsl_fit_linear), with percentile intervals from resampling whole configurations (their
 * seeds together), as the laws' bootstrap does. docs/fit.md, "The transfer law". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_fit.h>

#include "fit_internal.h"
#include "fit_results.h"
#include "rng.h"

typedef struct {
    double x, y;
    uint64_t config;
} transfer_point;

static int compare_config(const void *a, const void *b)
{
    const uint64_t x = ((const transfer_point *)a)->config, y = ((const transfer_point *)b)->config;
    return (x > y) - (x < y);
}

/* Least squares of y on x over n points: 0, or -1 when they do not determine a line. */
static int line(const double *x, const double *y, size_t n, double *offset, double *slope,
                double *r_squared)
{
    if (n < 3 || fit_count_distinct(x, (int64_t)n) < 2)
        return -1;
    double c00, c01, c11, sumsq;
    if (gsl_fit_linear(x, 1, y, 1, n, offset, slope, &c00, &c01, &c11, &sumsq) != 0 ||
        !isfinite(*offset) || !isfinite(*slope))
        return -1;
    if (r_squared) {
        double mean = 0.0, total = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += y[i] / (double)n;
        for (size_t i = 0; i < n; i++)
            total += (y[i] - mean) * (y[i] - mean);
        *r_squared = total > 0.0 ? 1.0 - sumsq / total : NAN;
    }
    return 0;
}

/* Source j's line over the runs, and its intervals from resampling its configurations by
 * the laws' rule (fit_resample_start: resample b's own stream, whole configurations drawn
 * with replacement). points has room for every run. 0, or -1 when out of memory. */
static int transfer_source(const fit_file_analysis *a, const fit_options *options, int j,
                           fit_transfer *t, transfer_point *points)
{
    const fit_results *r = &a->results;
    const int64_t S = r->n_sources;
    memset(t, 0, sizeof *t);
    snprintf(t->source, sizeof t->source, "%s", r->sources[j].name);
    t->slope = t->offset = t->r_squared = NAN;
    t->slope_lower = t->slope_upper = t->offset_lower = t->offset_upper = NAN;
    size_t n = 0;
    for (int64_t i = 0; i < r->n_runs; i++) {
        const fit_observation *o = &a->observations[i];
        const results_source_loss *l = &r->source_losses[i * S + j];
        const double loss = fit_run_uses_best(&r->runs[i]) ? l->best_loss : l->final_loss;
        if (!o->ok || !isfinite(loss))
            continue;
        points[n++] = (transfer_point){o->loss, loss, o->config_id};
    }
    t->n_points = (int64_t)n;
    /* by configuration: a resample draws whole groups; the largest bounds what it takes */
    qsort(points, n, sizeof *points, compare_config);
    size_t groups = 0, largest = 0;
    size_t *first = malloc(sizeof *first * (n + 1));
    if (!first)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || points[i].config != points[i - 1].config)
            first[groups++] = i;
    first[groups] = n;
    for (size_t g = 0; g < groups; g++)
        largest = first[g + 1] - first[g] > largest ? first[g + 1] - first[g] : largest;
    const size_t room = groups * largest > n ? groups * largest : n;
    const size_t resamples = (size_t)(options->bootstrap > 0 ? options->bootstrap : 1);
    double *x = malloc(sizeof *x * (room ? room : 1)), *y = malloc(sizeof *y * (room ? room : 1));
    double *slopes = malloc(sizeof *slopes * resamples);
    double *offsets = malloc(sizeof *offsets * resamples);
    int status = -1;
    if (!x || !y || !slopes || !offsets)
        goto done;
    status = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = points[i].x;
        y[i] = points[i].y;
    }
    if (line(x, y, n, &t->offset, &t->slope, &t->r_squared) != 0) {
        snprintf(t->message, sizeof t->message,
                 "needs three or more runs with two or more distinct losses (has %zu)", n);
        goto done;
    }
    t->fitted = 1;
    int valid = 0;
    for (int b = 0; b < options->bootstrap; b++) {
        rng_state random;
        fit_resample_start(&random, options->bootstrap_seed, b);
        size_t m = 0;
        for (size_t g = 0; g < groups; g++) {
            const size_t pick = (size_t)fit_resample_draw(&random, (int64_t)groups);
            for (size_t i = first[pick]; i < first[pick + 1]; i++) {
                x[m] = points[i].x;
                y[m] = points[i].y;
                m++;
            }
        }
        double offset, slope;
        if (line(x, y, m, &offset, &slope, NULL) == 0) {
            slopes[valid] = slope;
            offsets[valid] = offset;
            valid++;
        }
    }
    t->resamples = valid;
    fit_interval(slopes, valid, options->confidence, &t->slope_lower, &t->slope_upper);
    fit_interval(offsets, valid, options->confidence, &t->offset_lower, &t->offset_upper);
done:
    free(first);
    free(x);
    free(y);
    free(slopes);
    free(offsets);
    return status;
}

_Static_assert(FIT_MAX_SOURCES == TRAIN_MAX_SOURCES &&
                   sizeof(((fit_transfer *)0)->source) == RESULTS_SOURCE_SIZE,
               "fit.h's room for sources differs from train.h's and results_schema.h's");

int fit_transfer_laws(fit_file_analysis *a)
{
    const fit_results *r = &a->results;
    fit_transfer *out = a->report.transfer;
    a->report.n_transfers = 0;
    if (r->n_sources < 2 || r->selection_source[0])
        return 0;
    fit_gsl_errors_off();
    transfer_point *points = malloc(sizeof *points * (size_t)(r->n_runs > 0 ? r->n_runs : 1));
    int status = points ? 0 : -1;
    const int n = r->n_sources < FIT_MAX_SOURCES ? r->n_sources : FIT_MAX_SOURCES;
    for (int j = 0; j < n && status == 0; j++)
        status = transfer_source(a, &a->options, j, &out[j], points);
    if (status == 0)
        a->report.n_transfers = n;
    free(points);
    return status;
}
