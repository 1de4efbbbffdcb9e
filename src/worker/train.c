#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assertion.h"
#include "clock.h"
#include "dispatch.h"
#include "net.h"
#include "units.h"

/* Stream numbers of the run's seed: one for the initial weights, one per epoch's order of each
 * source (source 0's are those of a run on one corpus), one for the mixture's sequence. */
#define STREAM_WEIGHTS 0
#define STREAM_EPOCH_BASE 1
#define STREAM_SOURCE_STRIDE ((uint64_t)1 << 40)
#define STREAM_MIXTURE UINT64_MAX

/* The most evaluations a run may ask for. */
#define TRAIN_MAX_EVALUATIONS 1000000

const char *run_status_name(run_status s)
{
    switch (s) {
    case RUN_RUNNING: return "running";
    case RUN_OK: return "ok";
    case RUN_DIVERGED: return "diverged";
    case RUN_FAILED: return "failed";
    case RUN_INTERRUPTED: return "interrupted";
    }
    return "unknown";
}

void train_config_defaults(train_config *c)
{
    memset(c, 0, sizeof *c);
    c->model.n_layer = 2;
    c->model.d_model = 128;
    c->model.n_head = 4;
    c->model.n_ctx = 128;
    c->batch = 16;
    c->tokens = 2000000;
    c->unique_tokens = 0;
    c->lr = 1e-3f;
    c->final_lr_ratio = 0.1f;
    c->warmup_steps = -1;
    c->weight_decay = 0.1f;
    c->beta1 = 0.9f;
    c->beta2 = 0.95f;
    c->eps = 1e-8f;
    c->grad_clip = 1.0f;
    c->evaluations = 10;
    c->eval_spacing = TRAIN_EVAL_AUTO;
    c->eval_budget = 0.1;
    c->eval_interval = 0;
    c->eval_tokens = 8192;
    c->patience = 0;
    c->seed = 1;
    c->n_sources = 1;
    c->mixture[0] = 1.0;
}

const char *train_config_error(const train_config *c, const corpus *data)
{
    const char *model_error = net_config_error(&c->model);
    if (model_error)
        return model_error;
    if (c->batch < 1)
        return "batch must be at least 1";
    /* the products' rows (tokens of a step) are a BLAS int */
    if ((int64_t)c->batch * c->model.n_ctx > INT32_MAX)
        return "batch x n_ctx (tokens a step) must be at most 2^31 - 1";
    if (net_floats_real(&c->model, c->batch) > MODEL_MAX_FLOATS)
        return "a step of batch sequences needs more than 2^40 floats (4 TiB) of activations: "
               "lower batch or the model";
    if (c->tokens < 1)
        return "tokens must be positive";
    if (c->unique_tokens < 0)
        return "unique_tokens must not be negative";
    if (!(c->lr > 0.0f) || !isfinite(c->lr))
        return "lr must be positive";
    if (!(c->final_lr_ratio >= 0.0f && c->final_lr_ratio <= 1.0f))
        return "final_lr_ratio must lie in [0, 1]";
    if (c->warmup_steps < -1)
        return "warmup_steps must be -1 (automatic) or at least 0";
    /* a run that never leaves its warmup never trains at its peak learning rate */
    if (c->warmup_steps >= train_total_steps(c))
        return "warmup_steps must be fewer than the run's steps (D / (batch x n_ctx), rounded)";
    if (!(c->weight_decay >= 0.0f) || !isfinite(c->weight_decay))
        return "weight_decay must be a finite number, 0 or more";
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f) || !(c->beta2 >= 0.0f && c->beta2 < 1.0f))
        return "beta1 and beta2 must lie in [0, 1)";
    if (!(c->eps > 0.0f))
        return "eps must be positive";
    if (!(c->grad_clip >= 0.0f) || !isfinite(c->grad_clip))
        return "grad_clip must be a finite number, 0 or more";
    if (c->eval_interval < 0)
        return "eval_interval must not be negative";
    if (c->evaluations < 1 || c->evaluations > TRAIN_MAX_EVALUATIONS)
        return "evaluations must lie in [1, 1000000]";
    if (c->eval_spacing < 0 || c->eval_spacing >= TRAIN_EVAL_SPACINGS)
        return "eval_spacing must be auto, log or linear";
    if (!(c->eval_budget > 0.0) || !isfinite(c->eval_budget))
        return "eval_budget must be positive";
    if (c->patience < 0)
        return "patience must not be negative";
    if (c->n_sources < 1 || c->n_sources > TRAIN_MAX_SOURCES)
        return "n_sources must lie in [1, " TRAIN_STRING(TRAIN_MAX_SOURCES) "]";
    double total = 0.0;
    for (int i = 0; i < c->n_sources; i++) {
        if (!(c->mixture[i] >= 0.0 && c->mixture[i] <= 1.0))
            return "every share of the mixture must lie in [0, 1]";
        total += c->mixture[i];
    }
    if (!(fabs(total - 1.0) <= 1e-9))
        return "the shares of the mixture must sum to 1";
    for (int i = 0; data && i < c->n_sources; i++) {
        const int64_t T = c->model.n_ctx;
        const int64_t pool = train_source_pool(c, i, data[i].train_size);
        if (c->mixture[i] > 0.0) {
            if (pool > data[i].train_size)
                return "unique_tokens (its share of a source) is larger than the training text";
            if (pool < T + 1)
                return "the training text (or unique_tokens, or its share of a source) is "
                       "shorter than one n_ctx window";
        }
        if (train_eval_windows(c, data[i].test_size) < 1)
            return "eval_tokens (or the held-out text of a source) is shorter than one n_ctx "
                   "window";
    }
    /* what one message shares among a wide run's members */
    if (data && train_eval_tokens(c, data) / c->model.n_ctx > TRAIN_MAX_EVAL_WINDOWS)
        return "an evaluation of every source would score more than 2^28 windows: lower "
               "eval_tokens";
    return NULL;
}

int64_t train_source_pool(const train_config *c, int source, int64_t train_size)
{
    if (!(c->mixture[source] > 0.0))
        return 0;
    if (c->unique_tokens == 0)
        return train_size;
    return (int64_t)llround(c->mixture[source] * (double)c->unique_tokens);
}

int train_mixture_source(const train_config *c, int64_t sequence)
{
    if (c->n_sources == 1)
        return 0;
    rng_state rng;
    rng_seed(&rng, c->seed, STREAM_MIXTURE);
    /* 2^64 / golden ratio, odd: the Weyl sequence's step, its points spread evenly */
    const uint64_t x = rng_u64(&rng) + (uint64_t)sequence * 0x9e3779b97f4a7c15ULL;
    const double at = (double)(x >> 11) * (1.0 / 9007199254740992.0);
    double cumulative = 0.0;
    int last = 0;
    for (int i = 0; i < c->n_sources; i++) {
        if (!(c->mixture[i] > 0.0))
            continue;
        cumulative += c->mixture[i];
        last = i;
        if (at < cumulative)
            return i;
    }
    return last; /* the shares' sum rounded below at */
}

void train_curve_source(const curve_point *points, int64_t n, int source, float *final, float *best,
                        int64_t *best_step)
{
    *final = n > 0 ? points[n - 1].source_loss[source] : NAN;
    *best = NAN;
    *best_step = -1;
    for (int64_t k = 0; k < n; k++) {
        const float loss = points[k].source_loss[source];
        if (isfinite(loss) && !(loss >= *best)) {
            *best = loss;
            *best_step = points[k].step;
        }
    }
}

const char *const train_eval_spacing_names[TRAIN_EVAL_SPACINGS] = {"auto", "log", "linear"};

int64_t train_warmup_steps(const train_config *c)
{
    return c->warmup_steps >= 0 ? c->warmup_steps
                                : (int64_t)llround(0.05 * (double)train_total_steps(c));
}

/* lr = auto: lr_opt(N) = k (N / 1e5)^p, k and p of the architecture.
 * The transformer's is what `scalesweep fit` gave for jobs/lr_sweep.ini on Brown (n_ctx 128,
 * D = 1M, batch 4: 1952 steps; peak lr 1e-3 to 3.2e-2 in factors of two, two seeds;
 * docs/brown.md): k N^p with p = -0.355 [-0.83, -0.11], 6.67e-3 at N = 1e5. Rates above
 * the best fail abruptly (the loss stays on its bigram plateau), rates below it lose gently.
 * Shorter runs do best at about half of it.
 * The LSTM's, measured the same way with `scalesweep train` (n_ctx 128, D = 1M, batch 4; one
 * seed; 2x40, 2x80, 2x160 and 2x304 at rates in factors of two; docs/brown.md,
 * "Architectures"): the parabolas' vertices 3.4e-2, 1.9e-2, 1.4e-2 and 9.7e-3, k N^p with
 * p = -0.305 (R^2 0.98), 2.15e-2 at N = 1e5: three to four times the transformer's, where
 * a transformer's loss stays on the plateau. */
static const struct {
    double k, p;
} lr_auto[MODEL_ARCHITECTURES] = {
    [MODEL_TRANSFORMER] = {6.7e-3, -0.35}, [MODEL_LSTM] = {2.2e-2, -0.30}};

/* Kaplan et al. 2020, eq. (D.1): LR(N) = 0.003239 - 0.0001395 ln N, fitted at batch
 * 512 x 1024 tokens, 3000 warmup steps and cosine decay to zero. */
#define KAPLAN_LR_INTERCEPT 0.003239
#define KAPLAN_LR_SLOPE 0.0001395

static const char *const lr_rule_names[] = {
    [TRAIN_LR_FIXED] = "fixed", [TRAIN_LR_AUTO] = "auto", [TRAIN_LR_KAPLAN] = "kaplan"};

const char *train_lr_rule_name(train_lr_rule rule)
{
    return rule >= TRAIN_LR_FIXED && rule <= TRAIN_LR_KAPLAN ? lr_rule_names[rule] : "unknown";
}

int train_lr_rule_named(const char *name)
{
    for (int r = TRAIN_LR_AUTO; r <= TRAIN_LR_KAPLAN; r++)
        if (strcmp(name, lr_rule_names[r]) == 0)
            return r;
    return -1;
}

double train_lr_of_rule(train_lr_rule rule, const model_config *m)
{
    const double n_params = (double)net_count_nonembedding(m);
    switch (rule) {
    case TRAIN_LR_FIXED: return 0.0;
    case TRAIN_LR_AUTO:
        return lr_auto[m->architecture].k * pow(n_params / 1e5, lr_auto[m->architecture].p);
    case TRAIN_LR_KAPLAN: return KAPLAN_LR_INTERCEPT - KAPLAN_LR_SLOPE * log(n_params);
    }
    return 0.0;
}

int train_batch_auto(int64_t tokens, int n_ctx)
{
    int batch = TRAIN_BATCH_AUTO_MAX;
    while (batch > TRAIN_BATCH_AUTO_MIN &&
           (double)tokens / ((double)batch * n_ctx) < TRAIN_BATCH_AUTO_STEPS)
        batch /= 2;
    return batch;
}

int train_resolve_rules(train_config *c, train_lr_rule rule, char *err, size_t errlen)
{
    if (c->batch == TRAIN_BATCH_AUTO)
        c->batch = train_batch_auto(c->tokens, c->model.n_ctx);
    if (rule == TRAIN_LR_FIXED)
        return 0;
    const int64_t n_params = net_count_nonembedding(&c->model);
    c->lr = (float)train_lr_of_rule(rule, &c->model);
    if (c->lr > 0.0f)
        return 0;
    char n[32], shape[NET_SHAPE_SIZE];
    snprintf(err, errlen,
             "%s is not positive for shape %s, N = %s (Kaplan's LR(N) reaches zero at "
             "N ~ 1.2e10)",
             train_lr_rule_name(rule), net_shape(&c->model, shape, sizeof shape),
             units_group_digits(n_params, n));
    return -1;
}

int64_t train_total_steps(const train_config *c)
{
    const int64_t per_step = (int64_t)c->batch * c->model.n_ctx;
    int64_t total = (int64_t)llround((double)c->tokens / (double)per_step);
    return total < 1 ? 1 : total;
}

static int eval_spacing(const train_config *c)
{
    if (c->eval_spacing != TRAIN_EVAL_AUTO)
        return c->eval_spacing;
    return c->patience > 0 ? TRAIN_EVAL_LINEAR : TRAIN_EVAL_LOG;
}

/* The step of evaluation k of count (1-based; the last is total_steps): round(S^(k/count))
 * when log-spaced (several k may share a step), floor(k S / count) when evenly spaced. */
static int64_t eval_step(const train_config *c, int64_t total_steps, int64_t count, int64_t k)
{
    if (k >= count)
        return total_steps;
    if (eval_spacing(c) == TRAIN_EVAL_LINEAR)
        return k * (total_steps / count) + k * (total_steps % count) / count;
    int64_t step = llround(exp(log((double)total_steps) * (double)k / (double)count));
    return step < 1 ? 1 : step > total_steps ? total_steps : step;
}

/* The evaluation slots k = 1..K of a run, before log spacing merges slots that round to
 * one step: `evaluations`, at most what the budget allows and the steps, at least one. */
static int64_t eval_slots(const train_config *c, int64_t total_steps, int64_t eval_tokens)
{
    const double trained = (double)total_steps * (double)c->batch * (double)c->model.n_ctx;
    const double allowed = c->eval_budget * net_flops_per_token(&c->model) * trained /
                           (net_flops_per_token_forward(&c->model) * (double)eval_tokens);
    int64_t slots = c->evaluations;
    if (allowed < (double)slots)
        slots = allowed >= 1.0 ? (int64_t)allowed : 1;
    return slots < total_steps ? slots : total_steps;
}

int64_t train_eval_count(const train_config *c, int64_t total_steps, int64_t eval_tokens)
{
    if (c->eval_interval > 0)
        return (total_steps + c->eval_interval - 1) / c->eval_interval;
    const int64_t slots = eval_slots(c, total_steps, eval_tokens);
    if (eval_spacing(c) == TRAIN_EVAL_LINEAR)
        return slots; /* floor(k S / K) rises strictly with k when K <= S */
    int64_t distinct = 0, last = 0;
    for (int64_t k = 1; k <= slots; k++) {
        int64_t step = eval_step(c, total_steps, slots, k);
        if (step > last) {
            distinct++;
            last = step;
        }
    }
    return distinct;
}

int64_t train_eval_next(const train_config *c, int64_t total_steps, int64_t eval_tokens,
                        int64_t step)
{
    if (c->eval_interval > 0) {
        int64_t next = (step / c->eval_interval + 1) * c->eval_interval;
        return next < total_steps ? next : total_steps;
    }
    /* the slots' steps rise with k: the first above `step`, by bisection */
    const int64_t slots = eval_slots(c, total_steps, eval_tokens);
    int64_t lo = 1, hi = slots;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (eval_step(c, total_steps, slots, mid) > step)
            hi = mid;
        else
            lo = mid + 1;
    }
    return eval_step(c, total_steps, slots, lo);
}

int64_t train_eval_windows(const train_config *c, int64_t test_size)
{
    int64_t tokens = c->eval_tokens < test_size - 1 ? c->eval_tokens : test_size - 1;
    int64_t windows = tokens / c->model.n_ctx;
    return windows < TRAIN_MAX_EVAL_WINDOWS ? windows : TRAIN_MAX_EVAL_WINDOWS;
}

int64_t train_eval_tokens(const train_config *c, const corpus *data)
{
    int64_t windows = 0;
    for (int i = 0; i < c->n_sources; i++)
        windows += train_eval_windows(c, data ? data[i].test_size : INT64_MAX);
    return windows * c->model.n_ctx;
}

int64_t train_run_next_eval(const train_run *run)
{
    return train_eval_next(&run->config, run->total_steps,
                           run->eval_windows * run->config.model.n_ctx, run->step);
}

void train_run_shuffle_epoch(train_run *run, int source)
{
    train_source *src = &run->sources[source];
    rng_state rng;
    rng_seed(&rng, run->config.seed,
             STREAM_EPOCH_BASE + (uint64_t)source * STREAM_SOURCE_STRIDE + (uint64_t)src->epoch);
    for (int64_t i = 0; i < src->num_windows; i++)
        src->order[i] = (uint32_t)i;
    rng_shuffle(&rng, src->order, (uint64_t)src->num_windows);
}

/* After j shards the tree holds popcount(j) partial sums: at most floor(log2(B + 1)). */
static int tree_slots(int batch)
{
    int slots = 0;
    while ((2 << slots) <= batch + 1)
        slots++;
    return slots;
}

int64_t train_count_floats(const train_config *c)
{
    return net_count_floats(&c->model, 1) + tree_slots(c->batch) * net_count_total(&c->model);
}

/* Sets up everything but the weights and the progress state. */
static int run_setup(train_run *run, const train_config *config, const corpus *data,
                     char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    const char *problem = train_config_error(config, data);
    if (problem) {
        snprintf(err, errlen, "%s", problem);
        return -1;
    }
    run->config = *config;
    run->data = data;
    const int64_t T = config->model.n_ctx;
    run->tokens_per_step = (int64_t)config->batch * T;
    run->total_steps = train_total_steps(config);
    int orders_ok = 1;
    for (int i = 0; i < config->n_sources; i++) {
        train_source *src = &run->sources[i];
        src->pool_size = train_source_pool(config, i, data[i].train_size);
        src->num_windows = src->pool_size > 0 ? (src->pool_size - 1) / T : 0;
        src->eval_windows = train_eval_windows(config, data[i].test_size);
        src->eval_first = run->eval_windows;
        run->eval_windows += src->eval_windows;
        if (src->num_windows > 0)
            orders_ok &= (src->order = malloc(sizeof(uint32_t) * (size_t)src->num_windows)) != NULL;
    }
    run->next_eval = train_run_next_eval(run);
    run->config.warmup_steps = train_warmup_steps(&run->config);

    run->optim.lr = config->lr;
    run->optim.beta1 = config->beta1;
    run->optim.beta2 = config->beta2;
    run->optim.eps = config->eps;
    run->optim.weight_decay = config->weight_decay;
    run->optim.grad_clip = config->grad_clip;
    run->optim.warmup_steps = run->config.warmup_steps;
    run->optim.total_steps = run->total_steps;
    run->optim.final_lr_ratio = config->final_lr_ratio;

    /* the network trains one shard, one sequence, at a time, and evaluates its group of
     * windows, no more than the run scores */
    int windows = net_eval_windows(&config->model);
    if (windows > run->eval_windows)
        windows = (int)run->eval_windows;
    if (!orders_ok || net_init(&run->net, &config->model, 1, windows) != 0) {
        train_run_free(run);
        snprintf(err, errlen, "out of memory for the model");
        return -1;
    }
    run->inputs = malloc((size_t)run->tokens_per_step);
    run->targets = malloc((size_t)run->tokens_per_step);
    /* every point the schedule will make (up to 65,536; more are grown), so that no member of
     * a group runs out of memory alone in the middle of a run */
    const int64_t evaluations = train_eval_count(config, run->total_steps, run->eval_windows * T);
    run->curve_cap = evaluations < 65536 ? evaluations : 65536;
    run->curve = malloc(sizeof(curve_point) * (size_t)run->curve_cap);
    run->shard_losses = malloc(sizeof(double) * (size_t)config->batch);
    run->eval_losses =
        malloc(sizeof(double) * (size_t)(run->eval_windows > 0 ? run->eval_windows : 1));
    run->eval_positions = malloc(
        sizeof(double) * (size_t)(run->eval_windows > 0 ? run->eval_windows : 1) * (size_t)T);
    run->position_loss = malloc(sizeof(float) * (size_t)T);
    for (int64_t t = 0; run->position_loss && t < T; t++)
        run->position_loss[t] = NAN;
    run->eval_starts = malloc(sizeof *run->eval_starts * (size_t)windows);
    run->tree_slots = tree_slots(config->batch);
    run->tree = calloc((size_t)run->tree_slots, sizeof *run->tree);
    run->tree_level = calloc((size_t)run->tree_slots, sizeof *run->tree_level);
    int tree_ok = run->tree && run->tree_level;
    for (int i = 0; tree_ok && i < run->tree_slots; i++)
        tree_ok = (run->tree[i] = malloc(sizeof(float) * (size_t)run->net.num_params)) != NULL;
    if (!orders_ok || !run->inputs || !run->targets || !run->curve || !run->shard_losses ||
        !run->eval_losses || !run->eval_positions || !run->position_loss || !run->eval_starts ||
        !tree_ok) {
        train_run_free(run);
        snprintf(err, errlen, "out of memory for the run");
        return -1;
    }
    run->best_test_loss = INFINITY;
    run->best_step = -1;
    run->status = RUN_RUNNING;
    return 0;
}

int train_run_init(train_run *run, const train_config *config, const corpus *data,
                   char *err, size_t errlen)
{
    if (run_setup(run, config, data, err, errlen) != 0)
        return -1;
    rng_state rng;
    rng_seed(&rng, config->seed, STREAM_WEIGHTS);
    net_init_weights(&run->net, &rng);
    for (int i = 0; i < config->n_sources; i++)
        train_run_shuffle_epoch(run, i);
    return 0;
}

void train_run_free(train_run *run)
{
    net_free(&run->net);
    for (int i = 0; i < TRAIN_MAX_SOURCES; i++)
        free(run->sources[i].order);
    free(run->inputs);
    free(run->targets);
    free(run->curve);
    free(run->shard_losses);
    free(run->eval_losses);
    free(run->eval_positions);
    free(run->position_loss);
    free(run->eval_starts);
    for (int i = 0; run->tree && i < run->tree_slots; i++)
        free(run->tree[i]);
    free(run->tree);
    free(run->tree_level);
    memset(run, 0, sizeof *run);
}

/* ---- data parallelism: the shards' fixed tree (train.h) ---- */

int train_shards_per_member(int batch, int width)
{
    int block = 1;
    while (width >= 1 && (batch + block - 1) / block > width)
        block *= 2;
    return width >= 1 ? block : batch;
}

int train_width_at_most(int batch, int width)
{
    if (width <= 1 || batch <= 1)
        return 1;
    int block = train_shards_per_member(batch, width);
    return (batch + block - 1) / block;
}

void train_run_join(train_run *run, train_group *group)
{
    if (group && group->size == 1)
        group = NULL; /* a group of one is the process alone */
    SCALESWEEP_ASSERT(!group || train_width_at_most(run->config.batch, group->size) == group->size);
    run->group = group;
}

static int member_rank(const train_run *run)
{
    return run->group ? run->group->rank : 0;
}

static int member_count(const train_run *run)
{
    return run->group ? run->group->size : 1;
}

void train_slice(int64_t n, int64_t chunk, int member, int64_t *first, int64_t *count)
{
    int64_t start = (int64_t)member * chunk;
    *first = start < n ? start : n;
    *count = start + chunk < n ? chunk : n - *first;
}

/* The items of n that this member takes, in chunks of chunk. */
static void member_slice(const train_run *run, int64_t n, int64_t chunk, int64_t *first,
                         int64_t *count)
{
    train_slice(n, chunk, member_rank(run), first, count);
}

/* Every member's items of values[0, n), in chunks of chunk, on every member. */
static void share_values(train_run *run, double *values, int64_t n, int64_t chunk)
{
    if (run->group)
        run->group->share(run->group, values, n, chunk);
}

SCALESWEEP_HOT void train_tree_add(float *restrict sum, const float *restrict x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        sum[i] += x[i];
}

/* Takes the gradient of the next shard (in the model's grads) into the tree: it pairs with
 * the partial sum of its left neighbour while their levels are equal. */
static void tree_push(train_run *run, int *depth)
{
    const int64_t n = run->net.num_params;
    int d = *depth;
    if (d > 0 && run->tree_level[d - 1] == 0) {
        train_tree_add(run->tree[d - 1], net_optim_params(&run->net).grads, n);
        run->tree_level[d - 1] = 1;
        while (d >= 2 && run->tree_level[d - 2] == run->tree_level[d - 1]) {
            train_tree_add(run->tree[d - 2], run->tree[d - 1], n);
            run->tree_level[d - 2]++;
            d--;
        }
    } else {
        SCALESWEEP_ASSERT(d < run->tree_slots);
        net_swap_grads(&run->net, &run->tree[d]); /* set aside, not copied */
        run->tree_level[d] = 0;
        d++;
    }
    *depth = d;
}

/* The member's block as one node: the partial sums folded from the right, as the tree
 * carries an odd last one up. Leaves it in the model's grads. */
static void tree_fold(train_run *run, int depth)
{
    const int64_t n = run->net.num_params;
    SCALESWEEP_ASSERT(depth >= 1);
    for (int d = depth - 1; d >= 1; d--)
        train_tree_add(run->tree[d - 1], run->tree[d], n);
    net_swap_grads(&run->net, &run->tree[0]);
}

/* Copies the next batch of windows into inputs and targets, each sequence from the source
 * the mixture gives it, moving that source to a freshly shuffled epoch when its current one
 * is used up. */
static void next_batch(train_run *run)
{
    const int64_t T = run->config.model.n_ctx;
    for (int b = 0; b < run->config.batch; b++) {
        const int i = train_mixture_source(&run->config, run->step * run->config.batch + b);
        train_source *src = &run->sources[i];
        if (src->window == src->num_windows) {
            src->epoch++;
            src->window = 0;
            train_run_shuffle_epoch(run, i);
        }
        const uint8_t *start = run->data[i].train + (int64_t)src->order[src->window] * T;
        memcpy(run->inputs + b * T, start, (size_t)T);
        memcpy(run->targets + b * T, start + 1, (size_t)T);
        src->window++;
    }
}

/* The start of held-out window w of the run's list (every source's windows, in source order):
 * window j of a source's n spread evenly over its test text, from its start to its end
 * (n_ctx + 1 bytes each, never overlapping: n n_ctx < test size). */
static const uint8_t *eval_window(const train_run *run, int64_t w)
{
    int i = 0;
    while (w >= run->sources[i].eval_first + run->sources[i].eval_windows)
        i++;
    const corpus *data = &run->data[i];
    const int64_t T = run->config.model.n_ctx, n = run->sources[i].eval_windows;
    const int64_t j = w - run->sources[i].eval_first;
    if (n == 1)
        return data->test;
    const int64_t span = data->test_size - 1 - T; /* the last start */
    const int64_t q = span / (n - 1), r = span % (n - 1);
    return data->test + j * q + j * r / (n - 1);
}

double train_run_evaluate(train_run *run)
{
    const double start = clock_seconds();
    /* windows go through the lean forward in groups of G; each member takes whole groups,
     * so that a window's group, and so its bits, never depend on the width */
    const int64_t n = run->eval_windows, G = run->net.eval_windows, T = run->config.model.n_ctx;
    const int64_t groups = (n + G - 1) / G;
    const int64_t chunk = (groups + member_count(run) - 1) / member_count(run) * G;
    int64_t first, count;
    member_slice(run, n, chunk, &first, &count);
    for (int64_t w = first; w < first + count; w += G) {
        int k = (int)(first + count - w < G ? first + count - w : G);
        for (int i = 0; i < k; i++)
            run->eval_starts[i] = eval_window(run, w + i);
        net_evaluate(&run->net, run->eval_starts, k, run->eval_losses + w,
                     run->eval_positions + w * T);
    }
    share_values(run, run->eval_losses, n, chunk);
    share_values(run, run->eval_positions, n * T, chunk * T);
    double mixture = 0.0;
    for (int64_t t = 0; t < T; t++)
        run->position_loss[t] = 0.0f;
    for (int i = 0; i < run->config.n_sources; i++) {
        const train_source *src = &run->sources[i];
        double total = 0.0;
        for (int64_t w = src->eval_first; w < src->eval_first + src->eval_windows; w++)
            total += run->eval_losses[w];
        const double loss = total / (double)src->eval_windows;
        run->source_losses[i] = (float)loss;
        if (!(run->config.mixture[i] > 0.0))
            continue;
        mixture += run->config.mixture[i] * loss;
        /* each position's mean over the source's windows, in its share */
        for (int64_t t = 0; t < T; t++) {
            double at = 0.0;
            for (int64_t w = src->eval_first; w < src->eval_first + src->eval_windows; w++)
                at += run->eval_positions[w * T + t];
            run->position_loss[t] +=
                (float)(run->config.mixture[i] * at / (double)src->eval_windows);
        }
    }
    run->eval_seconds += clock_seconds() - start;
    return mixture;
}

static void end_run(train_run *run, run_status status, const char *reason)
{
    run->status = status;
    snprintf(run->reason, sizeof run->reason, "%s", reason);
}

static void add_curve_point(train_run *run, float test_loss, float lr)
{
    if (run->curve_len == run->curve_cap) {
        int64_t cap = run->curve_cap * 2;
        curve_point *grown = realloc(run->curve, sizeof(curve_point) * (size_t)cap);
        if (!grown) {
            end_run(run, RUN_FAILED, "out of memory for the loss curve");
            return;
        }
        run->curve = grown;
        run->curve_cap = cap;
    }
    curve_point *p = &run->curve[run->curve_len++];
    p->step = run->step;
    p->tokens = run->step * run->tokens_per_step;
    p->flops = net_flops_per_token(&run->config.model) * (double)p->tokens;
    p->train_loss = run->train_loss_count > 0
                        ? (float)(run->train_loss_sum / (double)run->train_loss_count)
                        : NAN;
    p->test_loss = test_loss;
    p->lr = lr;
    memset(p->source_loss, 0, sizeof p->source_loss);
    memcpy(p->source_loss, run->source_losses, sizeof(float) * (size_t)run->config.n_sources);
    run->train_loss_sum = 0.0;
    run->train_loss_count = 0;
}

run_status train_run_step(train_run *run)
{
    if (run->status != RUN_RUNNING)
        return run->status;
    double start = clock_seconds();
    net *m = &run->net;

    next_batch(run);
    const int B = run->config.batch;
    const int64_t T = run->config.model.n_ctx;
    const int64_t block = train_shards_per_member(B, member_count(run));
    int64_t first, count;
    member_slice(run, B, block, &first, &count);
    int depth = 0;
    for (int64_t s = first; s < first + count; s++) {
        run->shard_losses[s] = net_forward(m, run->inputs + s * T, run->targets + s * T, 1);
        net_backward(m);
        tree_push(run, &depth);
    }
    share_values(run, run->shard_losses, B, block);
    double loss = 0.0;
    for (int s = 0; s < B; s++)
        loss += run->shard_losses[s];
    loss /= B;
    float lr = optim_lr(&run->optim, run->step);
    if (!isfinite(loss)) {
        run->last_train_loss = (float)loss;
        end_run(run, RUN_DIVERGED, "training loss is not finite");
        run->seconds += clock_seconds() - start;
        return run->status;
    }
    tree_fold(run, depth);
    const optim_params parameters = net_optim_params(m);
    if (run->group)
        run->group->tree_sum(run->group, parameters.grads, m->num_params);
    /* the sum of the shards' mean-loss gradients: the batch's mean is 1/B of it */
    const float inverse = 1.0f / (float)B;
    for (int64_t i = 0; i < m->num_params; i++)
        parameters.grads[i] *= inverse;
    double norm = optim_clip_gradients(&parameters, run->optim.grad_clip);
    if (!isfinite(norm)) {
        run->last_train_loss = (float)loss;
        end_run(run, RUN_DIVERGED, "gradient norm is not finite");
        run->seconds += clock_seconds() - start;
        return run->status;
    }
    optim_adamw_update(&parameters, &run->optim, lr, run->step + 1);
    run->step++;
    run->last_train_loss = (float)loss;
    run->train_loss_sum += loss;
    run->train_loss_count++;

    int last = run->step == run->total_steps;
    if (run->step >= run->next_eval) {
        run->next_eval = train_run_next_eval(run);
        float test_loss = (float)train_run_evaluate(run);
        add_curve_point(run, test_loss, lr);
        if (!isfinite(test_loss)) {
            end_run(run, RUN_DIVERGED, "test loss is not finite");
        } else if (test_loss < run->best_test_loss) {
            run->best_test_loss = test_loss;
            run->best_step = run->step;
            run->evals_since_best = 0;
        } else if (++run->evals_since_best >= run->config.patience && run->config.patience > 0) {
            run->stopped_early = 1;
            end_run(run, RUN_OK, "stopped early: test loss stopped improving");
        }
    }
    if (run->status == RUN_RUNNING && last)
        end_run(run, RUN_OK, "trained to the end");
    run->seconds += clock_seconds() - start;
    return run->status;
}

void train_run_interrupt(train_run *run)
{
    if (run->status == RUN_RUNNING)
        end_run(run, RUN_INTERRUPTED, "interrupted");
}

float train_run_bits_per_byte(float nats)
{
    /* one token is one byte: bits per byte = nats per token / ln 2 */
    return nats / 0.6931471805599453f;
}

void train_run_result(const train_run *run, train_result *r)
{
    memset(r, 0, sizeof *r);
    const train_config *c = &run->config;
    r->status = run->status;
    r->reason = run->reason;
    r->stopped_early = run->stopped_early;
    r->n_params = net_count_nonembedding(&c->model);
    r->n_params_total = net_count_total(&c->model);
    r->steps = run->step;
    r->tokens = run->step * run->tokens_per_step;
    /* every window holds n_ctx distinct target positions of its source's pool */
    r->unique_tokens = 0;
    for (int i = 0; i < c->n_sources; i++) {
        const train_source *src = &run->sources[i];
        const int64_t drawn = (src->epoch * src->num_windows + src->window) * c->model.n_ctx;
        const int64_t pool_tokens = src->num_windows * (int64_t)c->model.n_ctx;
        r->unique_tokens += drawn < pool_tokens ? drawn : pool_tokens;
    }
    /* a run that diverged drew the batch of the step it did not take */
    if (r->unique_tokens > r->tokens)
        r->unique_tokens = r->tokens;
    r->flops = net_flops_per_token(&c->model) * (double)r->tokens;
    r->flops_attention = net_flops_per_token_attention(&c->model) * (double)r->tokens;
    r->final_test_loss = run->curve_len > 0 ? run->curve[run->curve_len - 1].test_loss : NAN;
    r->best_test_loss = run->best_step >= 0 ? run->best_test_loss : NAN;
    r->best_step = run->best_step;
    r->final_train_loss = run->last_train_loss;
    r->seconds = run->seconds;
    r->eval_seconds = run->eval_seconds;
    r->tokens_per_second = run->seconds > 0.0 ? (double)r->tokens / run->seconds : 0.0;
    r->position_loss = run->position_loss;
    r->n_positions = c->model.n_ctx;
}
