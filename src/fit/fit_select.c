/* Which runs feed each single-variable law (SCIENCE.md): L(N) from the largest-D run of
 * each N, L(D) from data-limited runs or the best N at each D, L(C) from the frontier of
 * all training curves. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"

int fit_same_value(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int compare_n_then_d(const void *x, const void *y)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    if (a->n_params != b->n_params)
        return (a->n_params > b->n_params) - (a->n_params < b->n_params);
    return (a->tokens > b->tokens) - (a->tokens < b->tokens);
}

static int compare_d_then_n(const void *x, const void *y)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    if (a->tokens != b->tokens)
        return (a->tokens > b->tokens) - (a->tokens < b->tokens);
    return (a->n_params > b->n_params) - (a->n_params < b->n_params);
}

static int is_data_limited(const fit_observation *o)
{
    return o->unique_tokens > 0 && o->unique_tokens < o->tokens * (1.0 - 1e-9);
}

static int compare_unique_then_n(const void *x, const void *y)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    if (a->unique_tokens != b->unique_tokens)
        return (a->unique_tokens > b->unique_tokens) - (a->unique_tokens < b->unique_tokens);
    return (a->n_params > b->n_params) - (a->n_params < b->n_params);
}

/* A sorted copy of the rows (NULL when out of memory). */
fit_row *fit_sorted_rows(const fit_sample *s, int (*compare)(const void *, const void *))
{
    fit_row *sorted = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(fit_row));
    if (!sorted)
        return NULL;
    memcpy(sorted, s->rows, (size_t)s->n * sizeof(fit_row));
    qsort(sorted, (size_t)s->n, sizeof(fit_row), compare);
    return sorted;
}

/* L(N): for each N, the runs at the largest D trained with it (all their seeds).
 * Fills x (N) and y (loss); returns the count, or -1 when out of memory. */
int64_t fit_select_n(const fit_sample *s, double *x, double *y, int64_t *run)
{
    fit_row *sorted = fit_sorted_rows(s, compare_n_then_d);
    if (!sorted)
        return -1;
    int64_t count = 0;
    for (int64_t i = 0; i < s->n;) {
        int64_t end = i;
        while (end < s->n && fit_same_value(sorted[end].o->n_params, sorted[i].o->n_params))
            end++;
        const double largest = sorted[end - 1].o->tokens;
        for (int64_t j = i; j < end; j++)
            if (fit_same_value(sorted[j].o->tokens, largest)) {
                if (run)
                    run[count] = sorted[j].o->run_index;
                x[count] = sorted[j].o->n_params;
                y[count++] = sorted[j].o->loss;
            }
        i = end;
    }
    free(sorted);
    return count;
}

/* How many distinct unique-token counts the data-limited runs have (0 when none): one or
 * two are repetition of one corpus (allow_epochs past its end), not a measurement of L(U). */
static int distinct_unique_counts(const fit_sample *s)
{
    int distinct = 0;
    double seen[FIT_D_LIMITED_MIN_COUNTS];
    for (int64_t i = 0; i < s->n && distinct < FIT_D_LIMITED_MIN_COUNTS; i++) {
        if (!is_data_limited(s->rows[i].o))
            continue;
        int k = 0;
        while (k < distinct && !fit_same_value(seen[k], s->rows[i].o->unique_tokens))
            k++;
        if (k == distinct)
            seen[distinct++] = s->rows[i].o->unique_tokens;
    }
    return distinct;
}

/* L(D): data-limited runs when they hold at least FIT_D_LIMITED_MIN_COUNTS distinct unique
 * token counts (x = their unique tokens, the largest model at each), else for each D the
 * runs of the N with the lowest mean loss there (x = tokens seen, repeated or not).
 * *limited says which: FIT_D_BEST_N, FIT_D_REPEATED (best N, but some runs repeat
 * data) or FIT_D_LIMITED. Returns the count, or -1 when out of memory. */
int64_t fit_select_d(const fit_sample *s, double *x, double *y, int64_t *run, int *limited)
{
    const int distinct = distinct_unique_counts(s);
    *limited = distinct >= FIT_D_LIMITED_MIN_COUNTS ? FIT_D_LIMITED
               : distinct > 0                       ? FIT_D_REPEATED
                                                    : FIT_D_BEST_N;
    int64_t count = 0;
    if (*limited == FIT_D_LIMITED) {
        fit_row *sorted = fit_sorted_rows(s, compare_unique_then_n);
        if (!sorted)
            return -1;
        for (int64_t i = 0; i < s->n;) {
            if (!is_data_limited(sorted[i].o)) {
                i++;
                continue;
            }
            int64_t end = i;
            while (end < s->n && is_data_limited(sorted[end].o) &&
                   fit_same_value(sorted[end].o->unique_tokens, sorted[i].o->unique_tokens))
                end++;
            const double largest = sorted[end - 1].o->n_params;
            for (int64_t j = i; j < end; j++)
                if (fit_same_value(sorted[j].o->n_params, largest)) {
                    if (run)
                        run[count] = sorted[j].o->run_index;
                    x[count] = sorted[j].o->unique_tokens;
                    y[count++] = sorted[j].o->loss;
                }
            i = end;
        }
        free(sorted);
        return count;
    }
    fit_row *sorted = fit_sorted_rows(s, compare_d_then_n);
    if (!sorted)
        return -1;
    for (int64_t i = 0; i < s->n;) {
        int64_t end = i;
        while (end < s->n && fit_same_value(sorted[end].o->tokens, sorted[i].o->tokens))
            end++;
        /* within this D, runs are sorted by N: find the N of lowest mean loss */
        int64_t best_begin = i, best_end = i;
        double best_mean = INFINITY;
        for (int64_t j = i; j < end;) {
            int64_t k = j;
            double total = 0.0;
            while (k < end && fit_same_value(sorted[k].o->n_params, sorted[j].o->n_params))
                total += sorted[k++].o->loss;
            const double mean = total / (double)(k - j);
            if (mean < best_mean) {
                best_mean = mean;
                best_begin = j;
                best_end = k;
            }
            j = k;
        }
        for (int64_t j = best_begin; j < best_end; j++) {
            if (run)
                run[count] = sorted[j].o->run_index;
            x[count] = sorted[j].o->tokens;
            y[count++] = sorted[j].o->loss;
        }
        i = end;
    }
    free(sorted);
    return count;
}

/* runs by configuration, then compute (its seeds together) */
static int compare_config(const void *x, const void *y)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    if (a->config_id != b->config_id)
        return (a->config_id > b->config_id) - (a->config_id < b->config_id);
    return (a->flops > b->flops) - (a->flops < b->flops);
}

/* a configuration's mean compute and loss over its seeds, rows [begin, end) of the runs
 * sorted by compare_config */
typedef struct {
    double flops, loss;
    int64_t begin, end;
} fit_config_mean;

static int compare_config_mean(const void *x, const void *y)
{
    const fit_config_mean *a = x, *b = y;
    if (a->flops != b->flops)
        return (a->flops > b->flops) - (a->flops < b->flops);
    return (a->loss > b->loss) - (a->loss < b->loss);
}

/* The L(C) frontier. With options.frontier_curves and curves: at frontier_points compute
 * values spaced evenly in ln C over the range the curves cover, the lowest loss over every
 * run whose curve spans that C (ln L and ln tokens interpolated linearly in ln C between
 * evaluations), and that run's N and tokens (Kaplan's frontier). Otherwise (the default)
 * the final (C, L) of the configurations that no configuration of smaller or equal C beats,
 * by their means over seeds, each seed a point: under a cosine schedule only a run's end is
 * what its compute can reach. Returns the count, or -1 when out of
 * memory; c, loss, n, d hold at least max(frontier_points, s->n) values. */
int64_t fit_select_frontier(const fit_context *ctx, const fit_sample *s, double *c, double *loss,
                               double *n_params, double *tokens, int64_t *run,
                               int *from_curves)
{
    *from_curves = 0;
    for (int64_t i = 0; i < s->n && ctx->options.frontier_curves; i++)
        *from_curves |= s->rows[i].curve_count > 0;
    if (!*from_curves) {
        /* configurations (their seeds together) by mean C; one is on the frontier when its
         * mean loss is below that of every configuration of less or equal mean C, and then
         * every seed of it is a point */
        fit_row *sorted = fit_sorted_rows(s, compare_config);
        fit_config_mean *configs = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof *configs);
        if (!sorted || !configs) {
            free(sorted);
            free(configs);
            return -1;
        }
        int64_t n_configs = 0;
        for (int64_t i = 0; i < s->n;) {
            int64_t end = i;
            double flops = 0.0, total = 0.0;
            while (end < s->n && sorted[end].o->config_id == sorted[i].o->config_id) {
                flops += sorted[end].o->flops;
                total += sorted[end].o->loss;
                end++;
            }
            configs[n_configs++] =
                (fit_config_mean){flops / (double)(end - i), total / (double)(end - i), i, end};
            i = end;
        }
        qsort(configs, (size_t)n_configs, sizeof *configs, compare_config_mean);
        int64_t count = 0;
        double lowest = INFINITY;
        for (int64_t k = 0; k < n_configs; k++) {
            if (!(configs[k].loss < lowest))
                continue;
            lowest = configs[k].loss;
            for (int64_t i = configs[k].begin; i < configs[k].end; i++) {
                if (run)
                    run[count] = sorted[i].o->run_index;
                c[count] = sorted[i].o->flops;
                loss[count] = sorted[i].o->loss;
                n_params[count] = sorted[i].o->n_params;
                tokens[count++] = sorted[i].o->tokens;
            }
        }
        free(configs);
        free(sorted);
        return count;
    }
    double low = INFINITY, high = 0.0;
    for (int64_t i = 0; i < s->n; i++) {
        const fit_row *r = &s->rows[i];
        if (r->curve_count == 0)
            continue;
        low = fmin(low, ctx->curve[r->curve_begin].flops);
        high = fmax(high, ctx->curve[r->curve_begin + r->curve_count - 1].flops);
    }
    const int points = ctx->options.frontier_points > 1 ? ctx->options.frontier_points : 2;
    int64_t count = 0;
    for (int k = 0; k < points; k++) {
        const double log_c = log(low) + (log(high) - log(low)) * k / (points - 1);
        double best = INFINITY, best_n = NAN, best_tokens = NAN;
        int64_t best_run = -1;
        for (int64_t i = 0; i < s->n; i++) {
            const fit_row *r = &s->rows[i];
            if (r->curve_count == 0)
                continue;
            const fit_curve_point *p = ctx->curve + r->curve_begin;
            const int64_t m = r->curve_count;
            /* 1e-12 of slack so that the ends of the range find their run */
            if (log_c < log(p[0].flops) - 1e-12 || log_c > log(p[m - 1].flops) + 1e-12)
                continue;
            int64_t lo = 0, hi = m - 1;
            while (hi - lo > 1) {
                int64_t mid = (lo + hi) / 2;
                if (log(p[mid].flops) <= log_c)
                    lo = mid;
                else
                    hi = mid;
            }
            double value, at_tokens;
            if (m == 1 || p[hi].flops == p[lo].flops) {
                value = p[lo].loss;
                at_tokens = p[lo].tokens;
            } else {
                double t = (log_c - log(p[lo].flops)) / (log(p[hi].flops) - log(p[lo].flops));
                t = fmin(1.0, fmax(0.0, t));
                value = exp((1 - t) * log(p[lo].loss) + t * log(p[hi].loss));
                at_tokens = exp((1 - t) * log(p[lo].tokens) + t * log(p[hi].tokens));
            }
            if (value < best) {
                best = value;
                best_n = r->o->n_params;
                best_tokens = at_tokens;
                best_run = r->o->run_index;
            }
        }
        if (isfinite(best)) {
            if (run)
                run[count] = best_run;
            c[count] = exp(log_c);
            loss[count] = best;
            n_params[count] = best_n;
            tokens[count++] = best_tokens;
        }
    }
    return count;
}
