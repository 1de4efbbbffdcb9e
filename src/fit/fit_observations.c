/* A results file's runs as the fit's observations: which loss measures a run, which runs
 * can feed a law, which runs are seeds of one configuration, and each run's curve. The
 * HDF5 reader (fit_results.c) knows the file; this knows the fit's policy. docs/fit.md,
 * "Which runs, and which loss", says the same for users. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_results.h"

/* The stored plan's runs sorted by run id, for the config ids of a schema 1 file. */
typedef struct {
    const plan_run *runs;
    int64_t *order;
    int64_t n;
} run_index;

static const plan_run *sort_runs; /* qsort has no context argument in C11 */

static int compare_run_ids(const void *a, const void *b)
{
    return strcmp(sort_runs[*(const int64_t *)a].run_id, sort_runs[*(const int64_t *)b].run_id);
}

static int index_build(run_index *index, const plan *stored)
{
    memset(index, 0, sizeof *index);
    if (!stored || stored->n_runs == 0)
        return 0;
    index->order = malloc((size_t)stored->n_runs * sizeof *index->order);
    if (!index->order)
        return -1;
    for (int64_t i = 0; i < stored->n_runs; i++)
        index->order[i] = i;
    sort_runs = stored->runs;
    qsort(index->order, (size_t)stored->n_runs, sizeof *index->order, compare_run_ids);
    sort_runs = NULL;
    index->runs = stored->runs;
    index->n = stored->n_runs;
    return 0;
}

/* The stored plan's run of this id, or NULL. */
static const plan_run *index_find(const run_index *index, const char *run_id)
{
    int64_t lo = 0, hi = index->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int order = strcmp(index->runs[index->order[mid]].run_id, run_id);
        if (order == 0)
            return &index->runs[index->order[mid]];
        if (order < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* A configuration id: from the row, else from the stored plan, else the run's own id. */
static uint64_t config_of(const results_run *r, int64_t row, const run_index *index,
                          int64_t *unmatched)
{
    uint64_t value;
    if (results_parse_id(r->config_id, &value) == 0)
        return value;
    const plan_run *planned = index_find(index, r->run_id);
    if (planned && results_parse_id(planned->config_id, &value) == 0)
        return value;
    (*unmatched)++;
    /* a configuration of its own: its run id, which no config id of a plan equals but by
       a 64-bit collision (or, for an id that is not one, its row) */
    if (results_parse_id(r->run_id, &value) == 0)
        return value;
    return (uint64_t)row;
}

int fit_observations_from_results(const fit_results *results, const plan *stored,
                                  fit_observation **observations, fit_curve_point **curve,
                                  int64_t *n_curve, int64_t *unmatched)
{
    const int64_t n = results->n_runs;
    *observations = NULL;
    *curve = NULL;
    *n_curve = 0;
    *unmatched = 0;
    run_index index;
    if (index_build(&index, results->schema < 2 ? stored : NULL) != 0)
        return -1;
    fit_observation *o = calloc((size_t)(n > 0 ? n : 1), sizeof *o);
    if (!o) {
        free(index.order);
        return -1;
    }
    int64_t usable_points = 0;
    for (int64_t i = 0; i < n; i++) {
        const results_run *r = &results->runs[i];
        const int data_limited = r->unique_tokens > 0 && r->unique_tokens < r->tokens;
        /* L(D) and early-stopped runs are measured by their best loss (SCIENCE.md:
           "early stopping once test loss stops falling") */
        const double loss =
            r->stopped_early || data_limited ? r->best_test_loss : r->final_test_loss;
        o[i].n_params = (double)r->n_params;
        o[i].tokens = (double)r->tokens;
        o[i].unique_tokens = (double)r->unique_tokens;
        o[i].flops = r->flops;
        o[i].budget = 0.0;
        o[i].loss = loss;
        o[i].config_id = config_of(r, i, &index, unmatched);
        o[i].seed = r->seed;
        o[i].run_index = i;
        o[i].ok = strncmp(r->status, "ok", sizeof(r->status)) == 0 && isfinite(loss);
        if (o[i].ok)
            usable_points += r->curve_length;
    }
    free(index.order);

    /* the curves of the runs that can feed a fit; the others feed none */
    fit_curve_point *points =
        malloc((size_t)(usable_points > 0 ? usable_points : 1) * sizeof *points);
    if (!points) {
        free(o);
        return -1;
    }
    int64_t count = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!o[i].ok)
            continue;
        const results_run *r = &results->runs[i];
        for (int64_t k = 0; k < r->curve_length; k++) {
            const results_point *p = &results->points[r->curve_offset + k];
            points[count++] = (fit_curve_point){i, (double)p->tokens, p->flops, p->test_loss};
        }
    }
    *observations = o;
    *curve = points;
    *n_curve = count;
    return 0;
}
