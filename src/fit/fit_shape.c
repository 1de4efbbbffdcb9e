/* Depth against width (Kaplan et al. 2020, Figure 5): among configurations of equal N (within
 * FIT_SHAPE_N_TOLERANCE) and equal D, of two or more depths, each one's mean loss over its
 * seeds relative to the fitted L(N) at its N, against its aspect ratio d_model / n_layer.
 * The spread of that ratio within a group, against the seed spread epsilon, says whether
 * the shape matters beyond the noise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "fit_internal.h"
#include "message.h"

/* Configurations whose N lie within this factor of a group's smallest are of equal N. */
#define FIT_SHAPE_N_TOLERANCE 1.05

typedef struct {
    double n_params, tokens, loss; /* loss: the mean over its seeds */
    int n_layer, d_model;
    int64_t run_index; /* its first run */
} shape_config;

static int compare_group(const void *x, const void *y)
{
    const fit_row *a = x, *b = y;
    return (a->group > b->group) - (a->group < b->group);
}

static int compare_config(const void *x, const void *y)
{
    const shape_config *a = x, *b = y;
    if (a->tokens != b->tokens)
        return a->tokens < b->tokens ? -1 : 1;
    if (a->n_params != b->n_params)
        return a->n_params < b->n_params ? -1 : 1;
    return (a->n_layer > b->n_layer) - (a->n_layer < b->n_layer);
}

/* The end of the group of equal N and D that starts at configuration i. */
static int64_t group_end(const shape_config *c, int64_t n, int64_t i)
{
    int64_t j = i + 1;
    while (j < n && c[j].tokens == c[i].tokens &&
           c[j].n_params <= c[i].n_params * FIT_SHAPE_N_TOLERANCE)
        j++;
    return j;
}

static int depths(const shape_config *c, int64_t begin, int64_t end)
{
    int distinct = 0;
    for (int64_t i = begin; i < end; i++) {
        int seen = 0;
        for (int64_t k = begin; k < i && !seen; k++)
            seen = c[k].n_layer == c[i].n_layer;
        distinct += !seen;
    }
    return distinct;
}

void fit_shape_law(fit_report *r, const fit_sample *s, int full)
{
    fit_law *law = &r->law[FIT_SHAPE];
    const fit_law *l_n = &r->law[FIT_LAW_N];
    if (l_n->status != FIT_OK) {
        law->status = FIT_SKIPPED;
        message_format(law->message, sizeof law->message, "needs L(N), which is not fitted: %.200s",
                       l_n->message);
        return;
    }
    double q[FIT_MAX_QUANTITIES];
    for (int i = 0; i < FIT_MAX_QUANTITIES; i++)
        q[i] = i < l_n->n_quantities ? l_n->quantity[i].value : NAN;
    fit_row *rows = fit_sorted_rows(s, compare_group);
    const size_t cap = (size_t)(s->n > 0 ? s->n : 1);
    shape_config *configs = malloc(cap * sizeof *configs);
    double *x = malloc(cap * sizeof(double)), *x2 = malloc(cap * sizeof(double));
    double *y = malloc(cap * sizeof(double)), *predicted = malloc(cap * sizeof(double));
    int64_t *run = malloc(cap * sizeof(int64_t));
    if (!rows || !configs || !x || !x2 || !y || !predicted || !run) {
        law->status = FIT_FAILED;
        message_format(law->message, sizeof law->message, "out of memory");
        goto done;
    }
    /* each drawn configuration of a known shape: its mean loss over its seeds */
    int64_t n = 0;
    for (int64_t i = 0; i < s->n;) {
        int64_t end = i + 1;
        while (end < s->n && rows[end].group == rows[i].group)
            end++;
        const fit_observation *o = rows[i].o;
        double total = 0.0;
        for (int64_t k = i; k < end; k++)
            total += rows[k].o->loss;
        if (o->n_layer > 0 && o->d_model > 0)
            configs[n++] = (shape_config){o->n_params, o->tokens,  total / (double)(end - i),
                                          o->n_layer,  o->d_model, o->run_index};
        i = end;
    }
    qsort(configs, (size_t)n, sizeof *configs, compare_config);
    int64_t groups = 0, points = 0;
    double spread = 0.0, widest_n = NAN;
    for (int64_t i = 0; i < n;) {
        const int64_t end = group_end(configs, n, i);
        if (depths(configs, i, end) >= 2) {
            double lo = INFINITY, hi = -INFINITY;
            for (int64_t k = i; k < end; k++) {
                const double expected = fit_law_value(FIT_LAW_N, 0, q, configs[k].n_params, 0.0);
                const double ratio = configs[k].loss / expected;
                x[points] = (double)configs[k].d_model / configs[k].n_layer;
                x2[points] = configs[i].n_params; /* the group's N: its smallest */
                y[points] = ratio;
                predicted[points] = 1.0;
                run[points++] = configs[k].run_index;
                lo = fmin(lo, ratio);
                hi = fmax(hi, ratio);
            }
            if (hi - lo > spread || groups == 0) {
                spread = hi - lo;
                widest_n = configs[i].n_params;
            }
            groups++;
        }
        i = end;
    }
    if (groups == 0) {
        law->status = FIT_SKIPPED;
        message_format(law->message, sizeof law->message,
                       "needs configurations of equal N (within 5%%) and D at two or more depths "
                       "(%lld configurations of known shape have none): a plan of shapes "
                       "n_layer x d_model of one N",
                       (long long)n);
        goto done;
    }
    const double epsilon = r->law[FIT_SEEDS].status == FIT_OK && r->law[FIT_SEEDS].n_quantities > 0
                               ? r->law[FIT_SEEDS].quantity[0].value
                               : NAN;
    law->status = FIT_OK;
    law->quantity[0].value = (double)groups;
    law->quantity[1].value = (double)points;
    law->quantity[2].value = spread;
    law->quantity[3].value = epsilon;
    if (full) {
        if (fit_law_set_points(law, x, x2, y, predicted, points) != 0 ||
            fit_law_set_runs(law, run) != 0) {
            law->status = FIT_FAILED;
            message_format(law->message, sizeof law->message, "out of memory");
            goto done;
        }
        message_format(law->message, sizeof law->message,
                       "%lld shapes in %lld groups of equal N and D (x = d_model / n_layer, "
                       "y = L / L(N)); the widest spread, %.4f at N = %.3g, is %s the seed "
                       "spread epsilon %.4f",
                       (long long)points, (long long)groups, spread, widest_n,
                       !isfinite(epsilon)       ? "not comparable with"
                       : spread > epsilon * 2.0 ? "beyond twice"
                                                : "within twice",
                       epsilon);
    }
done:
    free(rows);
    free(configs);
    free(x);
    free(x2);
    free(y);
    free(predicted);
    free(run);
}
