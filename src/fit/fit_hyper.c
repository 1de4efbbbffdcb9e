/* Hyperparameters as axes of a sweep: the envelope, which gives each cell (one N, D and
 * everything else but the hyperparameters) the configuration of lowest mean loss over its
 * seeds, as the scaling-law papers fit their laws to the best run of each size; and the
 * optimum laws through each cell's best value, lr_opt(N) = k N^p and batch_opt(C) = k C^p
 * (DeepSeek LLM 2024, section 3.1). docs/fit.md documents both. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"

uint64_t fit_cell_of(const fit_observation *o)
{
    return o->cell_id ? o->cell_id : o->config_id;
}

/* Rows by cell, then (for the optimum laws) by the value of one hyperparameter, then by
 * configuration. */
static int compare_rows(const void *x, const void *y, void *arg)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    const int h = *(const int *)arg;
    const uint64_t ca = fit_cell_of(a), cb = fit_cell_of(b);
    if (ca != cb)
        return (ca > cb) - (ca < cb);
    if (h >= 0 && a->hyper[h] != b->hyper[h])
        return (a->hyper[h] > b->hyper[h]) - (a->hyper[h] < b->hyper[h]);
    return (a->config_id > b->config_id) - (a->config_id < b->config_id);
}

static fit_row *sorted_rows(const fit_sample *s, int h)
{
    fit_row *rows = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(fit_row));
    if (!rows)
        return NULL;
    memcpy(rows, s->rows, (size_t)s->n * sizeof(fit_row));
    qsort_r(rows, (size_t)s->n, sizeof(fit_row), compare_rows, &h);
    return rows;
}

/* The end of the configuration that starts at row i, and its mean loss: with strict, infinite
 * when it lost a run (o->partial), which its other seeds would flatter. */
static int64_t config_end(const fit_row *rows, int64_t n, int64_t i, int strict, double *mean)
{
    double sum = 0.0;
    int64_t j = i;
    while (j < n && rows[j].o->config_id == rows[i].o->config_id &&
           fit_cell_of(rows[j].o) == fit_cell_of(rows[i].o))
        sum += rows[j++].o->loss;
    *mean = strict && rows[i].o->partial ? INFINITY : sum / (double)(j - i);
    return j;
}

static int64_t cell_end(const fit_row *rows, int64_t n, int64_t i)
{
    int64_t j = i;
    while (j < n && fit_cell_of(rows[j].o) == fit_cell_of(rows[i].o))
        j++;
    return j;
}

/* The cells' table by N, then D. */
static int compare_cells(const void *x, const void *y)
{
    const fit_cell *a = x, *b = y;
    if (a->n_params != b->n_params)
        return (a->n_params > b->n_params) - (a->n_params < b->n_params);
    return (a->tokens > b->tokens) - (a->tokens < b->tokens);
}

int fit_envelope(const fit_sample *s, fit_row *out, int64_t *n_out, fit_cell **cells,
                 int64_t *n_cells)
{
    *n_out = 0;
    if (cells) {
        *cells = NULL;
        *n_cells = 0;
    }
    fit_row *rows = sorted_rows(s, -1);
    fit_cell *table = cells ? malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(fit_cell)) : NULL;
    if (!rows || (cells && !table)) {
        free(rows);
        free(table);
        return -1;
    }
    int64_t count = 0;
    for (int64_t i = 0; i < s->n;) {
        const int64_t end = cell_end(rows, s->n, i);
        /* the best configuration that kept all its runs; if every one lost some, the best
           by what they have */
        int64_t best = i, best_end = i, configurations = 0;
        double best_mean = INFINITY;
        for (int strict = 1; strict >= 0 && !isfinite(best_mean); strict--) {
            configurations = 0;
            for (int64_t j = i; j < end; configurations++) {
                double mean;
                const int64_t k = config_end(rows, end, j, strict, &mean);
                if (j == i || mean < best_mean) {
                    best_mean = mean;
                    best = j;
                    best_end = k;
                }
                j = k;
            }
        }
        for (int64_t j = best; j < best_end; j++)
            out[(*n_out)++] = rows[j];
        if (table) {
            const fit_observation *o = rows[best].o;
            fit_cell *c = &table[count];
            c->cell_id = fit_cell_of(o);
            c->config_id = o->config_id;
            c->n_params = o->n_params;
            c->tokens = o->tokens;
            memcpy(c->hyper, o->hyper, sizeof c->hyper);
            c->loss = best_mean;
            c->configurations = (int)configurations;
            c->seeds = (int)(best_end - best);
        }
        count++;
        i = end;
    }
    free(rows);
    if (cells) {
        qsort(table, (size_t)count, sizeof *table, compare_cells);
        *cells = table;
        *n_cells = count;
    }
    return 0;
}

/* The best value of hyperparameter h in one cell (rows sorted by h): the vertex of the
 * parabola in ln h through the lowest mean loss and its two neighbours, taking at each value
 * the best of the configurations that have it. 1 with *best, 0 when the cell has fewer than
 * three values or its lowest is at an end (the optimum lies outside what was tried). */
static int cell_optimum(const fit_row *rows, int64_t begin, int64_t end, int h, double *value,
                        double *loss, int *censored)
{
    *censored = 0;
    int64_t n = 0;
    double v[FIT_MAX_QUANTITIES * 4], l[FIT_MAX_QUANTITIES * 4];
    const int64_t room = (int64_t)(sizeof v / sizeof *v);
    for (int64_t i = begin; i < end;) {
        double mean;
        const int64_t k = config_end(rows, end, i, 1, &mean);
        const double x = rows[i].o->hyper[h];
        if (isfinite(x) && x > 0) {
            if (n > 0 && v[n - 1] == x)
                l[n - 1] = fmin(l[n - 1], mean);
            else if (n < room) {
                v[n] = x;
                l[n++] = mean;
            }
        }
        i = k;
    }
    if (n < 3)
        return 0;
    int64_t m = 0;
    for (int64_t i = 1; i < n; i++)
        if (l[i] < l[m])
            m = i;
    if (m == 0 || m == n - 1 || !isfinite(l[m]) || !isfinite(l[m - 1]) || !isfinite(l[m + 1])) {
        *censored = 1; /* the optimum lies beyond what was tried, or trained to the end */
        return 0;
    }
    const double x[3] = {log(v[m - 1]), log(v[m]), log(v[m + 1])};
    const double y[3] = {l[m - 1], l[m], l[m + 1]};
    double c[3];
    char message[64];
    if (fit_parabola(x, y, 3, c, message, sizeof message) != FIT_OK || !(c[2] > 0))
        return 0;
    double vertex = -c[1] / (2.0 * c[2]);
    vertex = fmin(fmax(vertex, x[0]), x[2]);
    *value = exp(vertex);
    *loss = c[0] + c[1] * vertex + c[2] * vertex * vertex;
    return 1;
}

void fit_optimum_law(fit_report *r, fit_law_id id, const fit_sample *s, int full)
{
    const int h = id == FIT_LR_OPT ? FIT_HYPER_LR : FIT_HYPER_BATCH;
    const char *name = h == FIT_HYPER_LR ? "lr" : "batch";
    const char *variable = h == FIT_HYPER_LR ? "N" : "C";
    fit_law *law = &r->law[id];
    fit_row *rows = sorted_rows(s, h);
    double *x = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    double *y = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    double *lx = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    double *ly = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    if (!rows || !x || !y || !lx || !ly) {
        law->status = FIT_FAILED;
        message_format(law->message, sizeof law->message, "out of memory");
        goto done;
    }
    int64_t n = 0, cells = 0, censored = 0;
    for (int64_t i = 0; i < s->n;) {
        const int64_t end = cell_end(rows, s->n, i);
        double value, loss;
        int edge;
        cells++;
        if (cell_optimum(rows, i, end, h, &value, &loss, &edge)) {
            const fit_observation *o = rows[i].o;
            x[n] = h == FIT_HYPER_LR ? o->n_params : o->flops;
            y[n++] = value;
        }
        censored += edge;
        i = end;
    }
    if (n < 2 || fit_count_distinct(x, n) < 2) {
        law->status = FIT_SKIPPED;
        message_format(law->message, sizeof law->message,
                       "%s is not an axis of three or more values with its best inside at two "
                       "or more %s (%lld cells, %lld of them best at an end of the axis)",
                       name, variable, (long long)cells, (long long)censored);
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        lx[i] = log(x[i]);
        ly[i] = log(y[i]);
    }
    double intercept, slope, cov00, cov01, cov11, sumsq;
    if (gsl_fit_linear(lx, 1, ly, 1, (size_t)n, &intercept, &slope, &cov00, &cov01, &cov11,
                       &sumsq) != GSL_SUCCESS) {
        law->status = FIT_FAILED;
        message_format(law->message, sizeof law->message, "the linear fit failed");
        goto done;
    }
    law->status = FIT_OK;
    law->quantity[0].value = exp(intercept);
    law->quantity[1].value = slope;
    if (full) {
        const double q[2] = {exp(intercept), slope};
        for (int64_t i = 0; i < n; i++)
            lx[i] = fit_law_value(id, 0, q, x[i], 0); /* the law's prediction */
        if (fit_law_set_points(law, x, NULL, y, lx, n) != 0) {
            law->status = FIT_FAILED;
            message_format(law->message, sizeof law->message, "out of memory");
            goto done;
        }
        law->objective = sumsq;
        message_format(law->message, sizeof law->message,
                       "the best %s of %lld cells (vertex of a parabola in ln %s through the "
                       "lowest mean loss and its neighbours)%s",
                       name, (long long)n, name,
                       censored ? "; cells best at an end of the axis are left out" : "");
        if (censored) {
            const size_t used = strlen(law->message);
            message_format(law->message + used, sizeof law->message - used, " (%lld)",
                           (long long)censored);
        }
    }
done:
    free(rows);
    free(x);
    free(y);
    free(lx);
    free(ly);
}
