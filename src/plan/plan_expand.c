/* The runs of a plan: the product of its shapes, data sizes (or budgets), mixtures,
 * hyperparameter axes and seeds, each resolved (the lr rules, D in whole steps), checked as
 * the worker would, identified by a hash of its whole configuration (run_id), of it without
 * the seed (config_id) and without the hyperparameter axes' keys either (cell_id), and
 * checked for duplicates; then the plan hash over the run ids. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "model.h"
#include "plan_internal.h"
#include "units.h"

/* The lines of the canonical text that a cell leaves out: the plan_hyper keys. */
static int is_hyper_line(const char *line)
{
    for (int h = 0; h < PLAN_HYPER_COUNT; h++) {
        const char *name = plan_hyper_name((plan_hyper)h);
        const size_t n = strlen(name);
        if (strncmp(line, name, n) == 0 && line[n] == '=')
            return 1;
    }
    return 0;
}

/* The configuration text without its plan_hyper lines, in place; returns its length. */
static size_t cell_text(char *text, size_t length)
{
    size_t kept = 0;
    for (size_t i = 0; i < length;) {
        const char *end = memchr(text + i, '\n', length - i);
        const size_t n = end ? (size_t)(end - (text + i)) + 1 : length - i;
        if (!is_hyper_line(text + i)) {
            memmove(text + kept, text + i, n);
            kept += n;
        }
        i += n;
    }
    return kept;
}

/* A run's identity: every resolved setting that changes what it computes, as text, one
 * "key=value" line each, the seed last. Floats are printed from their float values with 9
 * significant digits, which round-trip. The text without its seed line is the run's
 * configuration: config_id hashes it, run_id hashes the whole text. Changing this text
 * changes every run id, and so what resuming an old results file skips: keep it stable
 * (tests/test_plan.c holds a known id). Version 2: evaluations spread over the test text,
 * on a schedule of their own (evaluations, eval_spacing, eval_budget). A plan with [data]
 * sources adds, after test_fraction, a line "source=NAME:PATH" for each source and one
 * "mixture=SHARE,SHARE,..." (each source's, %.17g); a plan without them has the text of
 * before, so its runs keep their ids. [synthetic] lr_optimum and batch_optimum, when either is
 * set, add their two lines after patience (the stand-in's losses depend on them); an
 * architecture other than the transformer adds "architecture=NAME" after those, so that a
 * transformer keeps the id of before. Returns the length of the configuration part and *total
 * that of the whole, or -1 when out does not hold it. */
static int canonical_text(const plan *p, const train_config *c, char *out, size_t size, int *total)
{
    /* every source's line, on the heap: up to 32 paths of 4 kB */
    const size_t room = TRAIN_MAX_SOURCES * 4200 + 64;
    char *sources = malloc(room);
    if (!sources)
        return -1;
    sources[0] = '\0';
    size_t used = 0;
    for (int i = 0; p->named_sources && i < p->n_sources; i++)
        used += (size_t)snprintf(sources + used, room - used, "source=%s:%s\n", p->sources[i].name,
                                 p->sources[i].path);
    for (int i = 0; p->named_sources && i < p->n_sources; i++)
        used += (size_t)snprintf(sources + used, room - used, "%s%.17g%s",
                                 i ? "," : "mixture=", c->mixture[i],
                                 i + 1 == p->n_sources ? "\n" : "");
    int configuration = snprintf(
        out, size,
        "scalesweep run 2\n"
        "trainer=%s\ncorpus=%s\ntest_fraction=%.17g\n%s"
        "n_layer=%d\nd_model=%d\nn_head=%d\nn_ctx=%d\n"
        "batch=%d\ntokens=%lld\nunique_tokens=%lld\n"
        "lr=%.9g\nfinal_lr_ratio=%.9g\nwarmup_steps=%lld\nweight_decay=%.9g\n"
        "beta1=%.9g\nbeta2=%.9g\neps=%.9g\ngrad_clip=%.9g\n"
        "evaluations=%lld\neval_spacing=%s\neval_budget=%.17g\n"
        "eval_interval=%lld\neval_tokens=%lld\npatience=%d\n",
        plan_trainer_name(p->trainer), p->corpus, p->test_fraction, sources, c->model.n_layer,
        c->model.d_model, c->model.n_head, c->model.n_ctx, c->batch, (long long)c->tokens,
        (long long)c->unique_tokens, (double)c->lr, (double)c->final_lr_ratio,
        (long long)c->warmup_steps, (double)c->weight_decay, (double)c->beta1, (double)c->beta2,
        (double)c->eps, (double)c->grad_clip, (long long)c->evaluations,
        train_eval_spacing_names[c->eval_spacing], c->eval_budget, (long long)c->eval_interval,
        (long long)c->eval_tokens, c->patience);
    free(sources);
    if (configuration < 0 || (size_t)configuration >= size)
        return -1;
    /* the stand-in's response to lr and batch changes its losses: a run with it is another
       run (without it, the text of before) */
    if (p->synthetic_lr_optimum > 0.0 || p->synthetic_batch_optimum > 0.0) {
        const int more = snprintf(out + configuration, size - (size_t)configuration,
                                  "synthetic_lr_optimum=%.17g\nsynthetic_batch_optimum=%.17g\n",
                                  p->synthetic_lr_optimum, p->synthetic_batch_optimum);
        if (more < 0 || (size_t)(configuration + more) >= size)
            return -1;
        configuration += more;
    }
    /* another architecture is another run; a transformer's text is that of before */
    if (c->model.architecture != MODEL_TRANSFORMER) {
        const int more =
            snprintf(out + configuration, size - (size_t)configuration, "architecture=%s\n",
                     net_architecture_names[c->model.architecture]);
        if (more < 0 || (size_t)(configuration + more) >= size)
            return -1;
        configuration += more;
    }
    int seed = snprintf(out + configuration, size - (size_t)configuration, "seed=%llu\n",
                        (unsigned long long)c->seed);
    if (seed < 0 || (size_t)(configuration + seed) >= size)
        return -1;
    *total = configuration + seed;
    return configuration;
}

/* 16 lowercase hex digits of a hash of text: run ids, config ids. */
static void format_id(const char *text, size_t length, char id[17])
{
    uint64_t value = hash_mix64(hash_fnv1a(HASH_FNV_OFFSET, text, length));
    snprintf(id, 17, "%016llx", (unsigned long long)value);
}

plan_key plan_data_key(const plan *p, const plan_run *run)
{
    if (p->mode == PLAN_ISOFLOP)
        return KEY_TRAIN_COMPUTE;
    if (p->mode == PLAN_LIST)
        return KEY_TRAIN_RUNS;
    return run->config.unique_tokens > 0 ? KEY_TRAIN_UNIQUE_TOKENS : KEY_TRAIN_TOKENS;
}

/* The runs of one shape, D and mixture: one for each point of the hyperparameter axes' product
 * (the first axis varying slowest) and seed. */
static int add_run(plan_state *s, const model_config *shape, int shape_line, int64_t tokens,
                   int64_t unique_tokens, int mixture, const int *hyper, uint64_t seed, int line);

static int add_runs(plan_state *s, const model_config *shape, int shape_line, int64_t tokens,
                    int64_t unique_tokens, int mixture, int line)
{
    const plan *p = s->p;
    int hyper[PLAN_HYPER_COUNT] = {0};
    for (;;) {
        for (int64_t r = 0; r < p->n_seeds; r++)
            if (add_run(s, shape, shape_line, tokens, unique_tokens, mixture, hyper, p->seeds[r],
                        line) != 0)
                return -1;
        int h = PLAN_HYPER_COUNT - 1;
        while (h >= 0 && ++hyper[h] == s->axes[h].n)
            hyper[h--] = 0;
        if (h < 0)
            return 0;
    }
}

static int add_run(plan_state *s, const model_config *shape, int shape_line, int64_t tokens,
                   int64_t unique_tokens, int mixture, const int *hyper, uint64_t seed, int line)
{
    plan *p = s->p;
    plan_run *run = &p->runs[p->n_runs];
    memset(run, 0, sizeof *run);
    run->config = s->base;
    train_config *c = &run->config;
    c->lr = (float)s->axes[PLAN_HYPER_LR].value[hyper[PLAN_HYPER_LR]];
    run->lr_rule = s->axes[PLAN_HYPER_LR].lr_rule[hyper[PLAN_HYPER_LR]];
    c->batch = (int)s->axes[PLAN_HYPER_BATCH].value[hyper[PLAN_HYPER_BATCH]];
    c->warmup_steps =
        (int64_t)s->axes[PLAN_HYPER_WARMUP_STEPS].value[hyper[PLAN_HYPER_WARMUP_STEPS]];
    c->weight_decay = (float)s->axes[PLAN_HYPER_WEIGHT_DECAY].value[hyper[PLAN_HYPER_WEIGHT_DECAY]];
    c->beta2 = (float)s->axes[PLAN_HYPER_BETA2].value[hyper[PLAN_HYPER_BETA2]];
    c->grad_clip = (float)s->axes[PLAN_HYPER_GRAD_CLIP].value[hyper[PLAN_HYPER_GRAD_CLIP]];
    run->mixture = mixture;
    memcpy(run->config.mixture, p->mixtures[mixture].share, sizeof run->config.mixture);
    run->config.model.n_layer = shape->n_layer;
    run->config.model.d_model = shape->d_model;
    run->config.model.n_head = shape->n_head;
    run->config.model.architecture = shape->architecture;
    run->config.tokens = tokens;
    run->config.unique_tokens = unique_tokens;
    run->config.seed = seed;
    run->line = line;
    run->batch_auto = c->batch == TRAIN_BATCH_AUTO;
    char why[256];
    if (train_resolve_rules(&run->config, run->lr_rule, why, sizeof why) != 0) {
        const int at = plan_is_set(s, KEY_TRAIN_LR)
                           ? s->axes[PLAN_HYPER_LR].line[hyper[PLAN_HYPER_LR]]
                           : shape_line;
        return plan_fail(s, at, KEY_TRAIN_LR, "%s; give lr a number or auto", why);
    }
    /* train_config_error's rule, said at the line of warmup_steps with the numbers */
    const int64_t steps = train_total_steps(&run->config);
    if (run->config.warmup_steps >= steps) {
        char a[32], text[NET_SHAPE_SIZE];
        return plan_fail(s, s->axes[PLAN_HYPER_WARMUP_STEPS].line[hyper[PLAN_HYPER_WARMUP_STEPS]],
                         KEY_TRAIN_WARMUP_STEPS,
                         "%lld steps are not fewer than the %lld steps of run %lld (%s, "
                         "D = %s, batch %d); use auto (5%% of each run) or fewer",
                         (long long)run->config.warmup_steps, (long long)steps,
                         (long long)p->n_runs + 1, net_shape(shape, text, sizeof text),
                         units_group_digits(tokens, a), run->config.batch);
    }
    /* the worker's own checks, so that no rank is handed a run it refuses */
    const char *problem = train_config_error(&run->config, NULL);
    if (problem)
        return plan_fail(s, line, plan_data_key(p, run), "run %lld: %s", (long long)p->n_runs + 1,
                         problem);
    const size_t room = 8192 + TRAIN_MAX_SOURCES * 4200;
    char *text = malloc(room);
    int length = 0;
    const int configuration = text ? canonical_text(p, &run->config, text, room, &length) : -1;
    if (configuration < 0) {
        free(text);
        return plan_fail(s, line, -1, "cannot describe run %lld", (long long)p->n_runs + 1);
    }
    format_id(text, (size_t)length, run->run_id);
    format_id(text, (size_t)configuration, run->config_id);
    format_id(text, cell_text(text, (size_t)configuration), run->cell_id);
    free(text);
    run->cost = 6.0 * (double)net_count_nonembedding(&run->config.model) * (double)tokens;
    p->n_runs++;
    return 0;
}

static int compare_run_ids(const void *a, const void *b, void *runs_arg)
{
    const plan_run *runs = runs_arg;
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    int order = strcmp(runs[i].run_id, runs[j].run_id);
    return order ? order : (i > j) - (i < j);
}

/* The runs in the order of their ids (p->by_run_id, for plan_find_run); identical runs
 * have identical ids: two in one plan is an error at the later one. */
static int index_and_check_duplicates(plan_state *s)
{
    plan *p = s->p;
    int64_t *order = malloc(sizeof *order * (size_t)(p->n_runs > 0 ? p->n_runs : 1));
    if (!order)
        return plan_fail(s, 0, -1, "out of memory");
    for (int64_t i = 0; i < p->n_runs; i++)
        order[i] = i;
    qsort_r(order, (size_t)p->n_runs, sizeof *order, compare_run_ids, p->runs);
    p->by_run_id = order;
    int64_t later = -1, earlier = -1;
    for (int64_t i = 1; i < p->n_runs; i++) {
        if (strcmp(p->runs[order[i]].run_id, p->runs[order[i - 1]].run_id) == 0 &&
            (later < 0 || order[i] < later)) {
            later = order[i];
            earlier = order[i - 1];
        }
    }
    if (later < 0)
        return 0;
    const plan_run *run = &p->runs[later];
    char a[32], text[NET_SHAPE_SIZE];
    return plan_fail(s, run->line, plan_data_key(p, run),
                     "run %lld (%s, D = %s, seed %llu) is the same run as run %lld (line %d)",
                     (long long)later + 1, net_shape(&run->config.model, text, sizeof text),
                     units_group_digits(run->config.tokens, a),
                     (unsigned long long)run->config.seed, (long long)earlier + 1,
                     p->runs[earlier].line);
}

int plan_expand(plan_state *s)
{
    plan *p = s->p;
    double n_runs;
    const int M = p->n_mixtures;
    double each = M; /* runs of a shape and D (but for seeds): mixtures x the axes' points */
    for (int h = 0; h < PLAN_HYPER_COUNT; h++)
        each *= s->axes[h].n;
    if (p->mode == PLAN_GRID)
        n_runs = (double)s->n_shapes * s->n_data * each * (double)p->n_seeds;
    else if (p->mode == PLAN_ISOFLOP)
        n_runs = (double)s->n_budgets * s->n_shapes * each * (double)p->n_seeds;
    else
        n_runs = (double)s->n_data * each * (double)p->n_seeds;
    if (n_runs > PLAN_MAX_RUNS)
        return plan_fail(s, 0, -1, "the plan expands to %.0f runs, more than %d", n_runs,
                         PLAN_MAX_RUNS);
    p->runs = malloc(sizeof *p->runs * (size_t)(n_runs > 0 ? n_runs : 1));
    if (!p->runs)
        return plan_fail(s, 0, -1, "out of memory for %.0f runs", n_runs);
    p->n_runs = 0;

    if (p->mode == PLAN_GRID) {
        for (int i = 0; i < s->n_shapes; i++)
            for (int j = 0; j < s->n_data; j++)
                for (int m = 0; m < M; m++)
                    if (add_runs(s, &s->shapes[i].shape, s->shapes[i].line, s->data[j].tokens,
                                 s->data[j].unique_tokens, m, s->data[j].line) != 0)
                        return -1;
    } else if (p->mode == PLAN_LIST) {
        for (int j = 0; j < s->n_data; j++)
            for (int m = 0; m < M; m++)
                if (add_runs(s, &s->data[j].shape, s->data[j].line, s->data[j].tokens, 0, m,
                             s->data[j].line) != 0)
                    return -1;
    } else {
        /* D = C / (6N), rounded to whole steps; a shape that cannot take one step within
         * the budget is left out (with a note): an IsoFLOP profile simply has no point
         * there, and one budget's shape list cannot differ from another's in the plan */
        const int64_t step = plan_step_tokens(s);
        for (int b = 0; b < s->n_budgets; b++) {
            int64_t kept = 0;
            for (int i = 0; i < s->n_shapes; i++) {
                const model_config *shape = &s->shapes[i].shape;
                double n_params = (double)net_count_nonembedding(shape);
                double tokens = s->budgets[b] / (6.0 * n_params);
                char text[NET_SHAPE_SIZE];
                net_shape(shape, text, sizeof text);
                if (tokens < (double)step) {
                    char a[32];
                    if (plan_note(s,
                                  "compute %s (line %d): %s left out: C/(6N) = %.0f tokens "
                                  "is less than one step of %s",
                                  s->budget_sources[b], s->budget_lines[b], text, tokens,
                                  units_group_digits(step, a)) != 0)
                        return -1;
                    continue;
                }
                if (tokens > (double)PLAN_MAX_TOKENS)
                    return plan_fail(s, s->budget_lines[b], KEY_TRAIN_COMPUTE,
                                     "%s gives shape %s more than 1e15 tokens",
                                     s->budget_sources[b], text);
                int64_t rounded = llround(tokens / (double)step) * step;
                kept++;
                for (int m = 0; m < M; m++)
                    if (add_runs(s, shape, s->shapes[i].line, rounded, 0, m, s->budget_lines[b]) !=
                        0)
                        return -1;
            }
            if (kept == 0)
                return plan_fail(s, s->budget_lines[b], KEY_TRAIN_COMPUTE,
                                 "%s is too small for every shape: none gets one step of "
                                 "batch x n_ctx tokens",
                                 s->budget_sources[b]);
        }
    }
    if (index_and_check_duplicates(s) != 0)
        return -1;
    uint64_t hash = HASH_FNV_OFFSET;
    for (int64_t i = 0; i < p->n_runs; i++)
        hash = hash_fnv1a(hash, p->runs[i].run_id, 16);
    p->hash = hash_mix64(hash);
    return 0;
}

int64_t plan_find_run(const plan *p, const char *run_id)
{
    int64_t lo = 0, hi = p->by_run_id ? p->n_runs : 0;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const int order = strcmp(p->runs[p->by_run_id[mid]].run_id, run_id);
        if (order == 0)
            return p->by_run_id[mid];
        if (order < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
