/* Bootstrap over configurations: each resample draws the configurations (all seeds of a
 * configuration together) with replacement, reruns every law, and each quantity's
 * interval is the percentile of its values over the resamples. Threads split the
 * resamples; each resample has its own random stream, so the intervals do not depend on
 * the number of threads. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"
#include "rng.h"

typedef struct {
    fit_context *ctx;
    double *values;  /* (resamples, FIT_NUM_LAWS, FIT_MAX_QUANTITIES) */
    int resamples, thread, threads;
    int failed;
} bootstrap_batch;

void fit_resample_start(rng_state *random, uint64_t seed, int b)
{
    rng_seed(random, seed, (uint64_t)b);
}

int64_t fit_resample_draw(rng_state *random, int64_t n_configs)
{
    return (int64_t)rng_below(random, (uint64_t)n_configs);
}

static void *bootstrap_worker(void *arg)
{
    bootstrap_batch *batch = arg;
    fit_context *ctx = batch->ctx;
    fit_report *r = calloc(1, sizeof(*r));
    /* a resample has about as many rows as the data; it grows if it draws more */
    int64_t capacity = 2 * ctx->n + 1;
    fit_row *rows = malloc((size_t)capacity * sizeof(fit_row));
    if (!r || !rows) {
        batch->failed = 1;
        free(r);
        free(rows);
        return NULL;
    }
    for (int b = batch->thread; b < batch->resamples; b += batch->threads) {
        /* each resample has its own stream: the intervals do not depend on the threads */
        rng_state random;
        fit_resample_start(&random, ctx->options.bootstrap_seed, b);
        fit_sample s = {rows, 0};
        int ok = 1;
        /* the unit drawn: a configuration, or with an envelope a cell (all of whose
           configurations it then holds, each a group of its own) */
        const int by_cell = ctx->n_cells < ctx->n_configs;
        const int64_t units = by_cell ? ctx->n_cells : ctx->n_configs;
        int64_t group = 0;
        for (int64_t j = 0; j < units && ok; j++) {
            const int64_t unit = fit_resample_draw(&random, units);
            const int64_t first = by_cell ? ctx->cell_begin[unit] : unit;
            const int64_t last = by_cell ? ctx->cell_begin[unit + 1] : unit + 1;
            for (int64_t u = first; u < last && ok; u++, group++) {
                const int64_t config = by_cell ? ctx->cell_configs[u] : u;
                for (int64_t k = ctx->config_begin[config]; k < ctx->config_begin[config + 1];
                     k++) {
                    if (s.n == capacity) {
                        fit_row *grown = realloc(s.rows, (size_t)capacity * 2 * sizeof(fit_row));
                        if (!grown) {
                            ok = 0;
                            break;
                        }
                        s.rows = rows = grown;
                        capacity *= 2;
                    }
                    const int64_t index = ctx->config_rows[k];
                    s.rows[s.n++] = (fit_row){&ctx->observations[index], ctx->curve_begin[index],
                                              ctx->curve_count[index], group};
                }
            }
        }
        double *out = batch->values + (size_t)b * FIT_NUM_LAWS * FIT_MAX_QUANTITIES;
        for (int l = 0; l < FIT_NUM_LAWS * FIT_MAX_QUANTITIES; l++)
            out[l] = NAN;
        if (!ok) {
            batch->failed = 1;
            continue;
        }
        fit_analyse(ctx, &s, r, 0);
        for (int l = 0; l < FIT_NUM_LAWS; l++) {
            for (int q = 0; q < r->law[l].n_quantities; q++)
                out[l * FIT_MAX_QUANTITIES + q] =
                    r->law[l].status == FIT_OK ? r->law[l].quantity[q].value : NAN;
            fit_law_set_points(&r->law[l], NULL, NULL, NULL, NULL, 0);
        }
    }
    free(rows);
    free(r);
    return NULL;
}

int fit_bootstrap(fit_context *ctx, fit_report *report)
{
    const int resamples = ctx->options.bootstrap;
    double *values = malloc((size_t)resamples * FIT_NUM_LAWS * FIT_MAX_QUANTITIES * sizeof(double));
    double *column = malloc((size_t)resamples * sizeof(double));
    if (!values || !column) {
        free(values);
        free(column);
        return -1;
    }
    /* NaN until a resample fills its values: a worker that could not allocate leaves its
       share NaN, which the intervals then count as invalid resamples */
    for (size_t i = 0; i < (size_t)resamples * FIT_NUM_LAWS * FIT_MAX_QUANTITIES; i++)
        values[i] = NAN;
    int threads = ctx->options.threads < 1 ? 1 : ctx->options.threads > 16 ? 16 : ctx->options.threads;
    bootstrap_batch batch[16];
    pthread_t thread[16];
    int started[16] = {0};
    for (int t = 0; t < threads; t++) {
        batch[t] = (bootstrap_batch){ctx, values, resamples, t, threads, 0};
        if (t > 0)
            started[t] = pthread_create(&thread[t], NULL, bootstrap_worker, &batch[t]) == 0;
    }
    bootstrap_worker(&batch[0]);
    int failed = batch[0].failed;
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(thread[t], NULL);
        else
            bootstrap_worker(&batch[t]); /* could not start a thread: do its share here */
        failed |= batch[t].failed;
    }
    for (int l = 0; l < FIT_NUM_LAWS; l++) {
        fit_law *law = &report->law[l];
        if (law->status != FIT_OK)
            continue; /* no interval around a value the data as a whole does not give */
        for (int q = 0; q < law->n_quantities; q++) {
            int m = 0;
            for (int b = 0; b < resamples; b++) {
                const double v = values[((size_t)b * FIT_NUM_LAWS + l) * FIT_MAX_QUANTITIES + q];
                if (isfinite(v))
                    column[m++] = v;
            }
            law->quantity[q].valid_resamples = m;
            fit_interval(column, m, ctx->options.confidence, &law->quantity[q].lower,
                         &law->quantity[q].upper);
        }
    }
    report->resamples = values; /* the bands (fit_law_band) */
    report->n_resamples = resamples;
    free(column);
    return failed ? -1 : 0;
}
