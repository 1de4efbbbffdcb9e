/* A results file's runs as the fit's observations: which loss measures a run, which runs
 * can feed a law, which runs are seeds of one configuration, and each run's curve. The
 * HDF5 reader (fit_results.c) knows the file; this knows the fit's policy. docs/fit.md,
 * "Which runs, and which loss", says the same for users. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_results.h"

_Static_assert(FIT_HYPERS == PLAN_HYPER_COUNT && FIT_HYPER_LR == PLAN_HYPER_LR &&
                   FIT_HYPER_BATCH == PLAN_HYPER_BATCH,
               "fit_observation.hyper is in plan_hyper order");
#include "hash.h"

/* How scalesweep before schema 2 told the seeds of a configuration apart, from the
 * columns a row records: for a schema 1 file whose stored plan does not hold every run (a
 * plan that does not parse, or runs added by an earlier plan with --force). It misses
 * what the columns leave out, and splits the seeds of early-stopped runs, whose D
 * differs; config_id has neither flaw. */
static uint64_t config_from_columns(const results_run *r)
{
    uint32_t lr_bits;
    memcpy(&lr_bits, &r->lr, sizeof(lr_bits));
    const uint64_t values[] = {(uint64_t)(int64_t)r->n_layer, (uint64_t)(int64_t)r->d_model,
                               (uint64_t)(int64_t)r->n_head,  (uint64_t)(int64_t)r->n_ctx,
                               (uint64_t)(int64_t)r->batch,   (uint64_t)r->tokens,
                               (uint64_t)r->unique_tokens,    (uint64_t)lr_bits};
    uint64_t h = HASH_FNV_OFFSET;
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        h = hash_fnv1a_u64(h, values[i]);
    return hash_mix64(h);
}

/* The stored plan's config_id of a run into *value: 0, or -1 when the plan does not hold
 * the run. */
static int planned_config(const results_run *r, const plan *stored, uint64_t *value)
{
    const int64_t planned = stored ? plan_find_run(stored, r->run_id) : -1;
    return planned >= 0 ? results_parse_id(stored->runs[planned].config_id, value) : -1;
}

int fit_run_uses_best(const results_run *r)
{
    /* L(D) and early-stopped runs are measured by their best loss (SCIENCE.md: "early
       stopping once test loss stops falling") */
    return r->stopped_early || (r->unique_tokens > 0 && r->unique_tokens < r->tokens);
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
    /* without the column (schema 1), from the stored plan */
    const int has_column = results_version_has(results->schema, "config_id");
    const int has_cells = results_version_has(results->schema, "cell_id");
    fit_observation *o = calloc((size_t)(n > 0 ? n : 1), sizeof *o);
    if (!o)
        return -1;
    int64_t usable_points = 0;
    for (int64_t i = 0; i < n; i++) {
        const results_run *r = &results->runs[i];
        const double loss = fit_run_uses_best(r) ? r->best_test_loss : r->final_test_loss;
        o[i].n_params = (double)r->n_params;
        o[i].n_layer = r->n_layer;
        o[i].d_model = r->d_model;
        o[i].tokens = (double)r->tokens;
        o[i].unique_tokens = (double)r->unique_tokens;
        o[i].flops = r->flops;
        o[i].budget = 0.0;
        o[i].loss = loss;
        uint64_t config = 0;
        if (has_column ? results_parse_id(r->config_id, &config) != 0
                       : planned_config(r, stored, &config) != 0) {
            config = config_from_columns(r);
            *unmatched += !has_column;
        }
        o[i].config_id = config;
        /* a file before schema 7 has no cells: each configuration is its own */
        uint64_t cell = 0;
        if (has_cells && results_parse_id(r->cell_id, &cell) == 0)
            o[i].cell_id = cell;
        o[i].hyper[PLAN_HYPER_LR] = r->lr;
        o[i].hyper[PLAN_HYPER_BATCH] = r->batch;
        o[i].hyper[PLAN_HYPER_WARMUP_STEPS] = has_cells ? (double)r->warmup_steps : NAN;
        o[i].hyper[PLAN_HYPER_WEIGHT_DECAY] = has_cells ? r->weight_decay : NAN;
        o[i].hyper[PLAN_HYPER_BETA2] = has_cells ? r->beta2 : NAN;
        o[i].hyper[PLAN_HYPER_GRAD_CLIP] = has_cells ? r->grad_clip : NAN;
        o[i].seed = r->seed;
        o[i].run_index = i;
        o[i].ok = strncmp(r->status, "ok", sizeof(r->status)) == 0 && isfinite(loss);
        if (o[i].ok)
            usable_points += r->curve_length;
    }
    /* a schema 1 file that the stored plan does not wholly hold: every run by its columns,
       so that no configuration is split between the two ways */
    for (int64_t i = 0; *unmatched > 0 && i < n; i++)
        o[i].config_id = config_from_columns(&results->runs[i]);

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
