/* The sections of a plan, key by key: what each value means, which keys belong together
 * or exclude each other, and what each mode needs. docs/plan.md is the reference. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan_internal.h"
#include "units.h"

static int read_shape_item(plan_state *s, plan_key k, const plan_item *item, const char *text,
                           model_config *shape)
{
    const int n_ctx = s->base.model.n_ctx;
    if (plan_parse_shape(text, shape, n_ctx) != 0)
        return plan_fail(s, item->line, k,
                         "'%s' is not a shape; write n_layer x d_model x n_head for a "
                         "transformer, e.g. 4x128x4, or n_layer x d_model for an LSTM, e.g. "
                         "2x256",
                         text);
    const char *problem = net_config_error(shape);
    if (problem)
        return plan_fail(s, item->line, k, "shape %s: %s", text, problem);
    /* with [model] architecture set, its list says which architectures the plan has */
    const plan *p = s->p;
    if (plan_is_set(s, KEY_MODEL_ARCHITECTURE) && !(p->architectures & (1u << shape->architecture)))
        return plan_fail(s, item->line, k,
                         "shape %s is a%s %s's, and [model] architecture (line %d) does not "
                         "list %s",
                         text, shape->architecture == MODEL_LSTM ? "n" : "",
                         net_architecture_names[shape->architecture],
                         plan_line_of(s, KEY_MODEL_ARCHITECTURE),
                         net_architecture_names[shape->architecture]);
    return 0;
}

static int same_shape(const model_config *a, const model_config *b)
{
    return a->n_layer == b->n_layer && a->d_model == b->d_model && a->n_head == b->n_head &&
           a->architecture == b->architecture;
}

/* [model] architecture: a list of transformer and lstm, transformer when not set. */
static int read_architectures(plan_state *s)
{
    plan *p = s->p;
    if (!plan_is_set(s, KEY_MODEL_ARCHITECTURE))
        return 0; /* the shapes' (use_architecture), or a transformer for params */
    if (plan_get_items(s, KEY_MODEL_ARCHITECTURE) != 0)
        return -1;
    for (int i = 0; i < s->n_items; i++) {
        const plan_item *item = &s->items[i];
        const int a = net_architecture_named(item->text);
        if (a < 0)
            return plan_fail(s, item->line, KEY_MODEL_ARCHITECTURE,
                             "'%s' is not an architecture: transformer or lstm", item->text);
        if (p->architectures & (1u << a))
            return plan_fail(s, item->line, KEY_MODEL_ARCHITECTURE, "'%s' is listed twice",
                             item->text);
        p->architectures |= 1u << a;
        p->architecture_order[p->n_architectures++] = a;
    }
    return 0;
}

/* A shape (or a run's) of this architecture is in the plan: without [model] architecture,
 * the plan's architectures are those its shapes have, in the order they first appear. */
static void use_architecture(plan_state *s, int architecture)
{
    plan *p = s->p;
    s->architectures_used |= 1u << architecture;
    if (!plan_is_set(s, KEY_MODEL_ARCHITECTURE) && !(p->architectures & (1u << architecture))) {
        p->architectures |= 1u << architecture;
        p->architecture_order[p->n_architectures++] = architecture;
    }
}

/* With [model] architecture set, every architecture it lists has a shape (or a run) of the
 * items of key k. */
static int check_architectures_used(plan_state *s, plan_key k)
{
    const plan *p = s->p;
    for (int i = 0; i < p->n_architectures; i++) {
        const int a = p->architecture_order[i];
        if (!(s->architectures_used & (1u << a)))
            return plan_fail(s, plan_line_of(s, KEY_MODEL_ARCHITECTURE), KEY_MODEL_ARCHITECTURE,
                             "lists %s, but no item of [%s] %s is a%s %s's shape",
                             net_architecture_names[a], plan_keys[k].section, plan_keys[k].name,
                             a == MODEL_LSTM ? "n" : "", net_architecture_names[a]);
    }
    return 0;
}

#define MODE_BIT(mode) (1u << (mode))

static int read_sweep(plan_state *s)
{
    plan *p = s->p;
    /* default name: the file name without its folder and .ini */
    const char *base = strrchr(p->path, '/');
    base = base ? base + 1 : p->path;
    size_t length = strlen(base);
    if (length > 4 && strcmp(base + length - 4, ".ini") == 0)
        length -= 4;
    if (length == 0) {
        base = "plan";
        length = 4;
    }
    if (length >= sizeof p->name)
        length = sizeof p->name - 1;
    memcpy(p->name, base, length);
    p->name[length] = '\0';
    if (plan_get_string(s, KEY_SWEEP_NAME, p->name, sizeof p->name) != 0)
        return -1;
    if (plan_is_set(s, KEY_SWEEP_NAME) && strchr(p->name, '/'))
        return plan_fail(s, plan_line_of(s, KEY_SWEEP_NAME), KEY_SWEEP_NAME,
                         "'%s' contains '/'; the name is one word (output takes a path)", p->name);

    if (snprintf(p->output, sizeof p->output, "%s.h5", p->name) >= (int)sizeof p->output)
        return plan_fail(s, plan_line_of(s, KEY_SWEEP_NAME), KEY_SWEEP_NAME, "too long");
    if (plan_get_string(s, KEY_SWEEP_OUTPUT, p->output, sizeof p->output) != 0)
        return -1;

    const char *modes[PLAN_MODE_COUNT], *trainers[PLAN_TRAINER_COUNT];
    for (int i = 0; i < PLAN_MODE_COUNT; i++)
        modes[i] = plan_mode_name((plan_mode)i);
    for (int i = 0; i < PLAN_TRAINER_COUNT; i++)
        trainers[i] = plan_trainer_name((plan_trainer)i);
    int mode = PLAN_GRID;
    if (plan_get_choice(s, KEY_SWEEP_MODE, modes, PLAN_MODE_COUNT, &mode) != 0)
        return -1;
    p->mode = (plan_mode)mode;
    int trainer = TRAINER_TRANSFORMER;
    if (plan_get_choice(s, KEY_SWEEP_TRAINER, trainers, PLAN_TRAINER_COUNT, &trainer) != 0)
        return -1;
    p->trainer = (plan_trainer)trainer;
    p->max_ranks_per_run = 0;
    p->min_batch_per_rank = 1;
    if (plan_get_int(s, KEY_SWEEP_MAX_RANKS_PER_RUN, 0, 1000000, &p->max_ranks_per_run) != 0 ||
        plan_get_int(s, KEY_SWEEP_MIN_BATCH_PER_RANK, 1, 1000000, &p->min_batch_per_rank) != 0)
        return -1;
    p->progress_seconds = 30;
    if (plan_get_count(s, KEY_SWEEP_PROGRESS_SECONDS, 0, 1000000000, &p->progress_seconds) != 0)
        return -1;
    p->report = 1;
    if (plan_get_bool(s, KEY_SWEEP_REPORT, &p->report) != 0)
        return -1;
    return 0;
}

/* [synthetic]: the stand-in's time model, for the stand-in only. */
static int read_synthetic(plan_state *s)
{
    plan *p = s->p;
    const plan_key keys[] = {KEY_SYNTHETIC_FLOPS_PER_SECOND, KEY_SYNTHETIC_STEP_SECONDS,
                             KEY_SYNTHETIC_WIDTH_EFFICIENCY, KEY_SYNTHETIC_LR_OPTIMUM,
                             KEY_SYNTHETIC_BATCH_OPTIMUM};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (plan_is_set(s, keys[i]) && p->trainer != TRAINER_SYNTHETIC)
            return plan_fail(s, plan_line_of(s, keys[i]), keys[i],
                             "is the stand-in's; it needs [sweep] trainer = synthetic");
    p->synthetic_flops_per_second = 0.0;
    p->synthetic_step_seconds = 0.0;
    p->synthetic_width_efficiency = 1.0;
    if (plan_get_real(s, KEY_SYNTHETIC_FLOPS_PER_SECOND, 0.0, 0, INFINITY, 1,
                      &p->synthetic_flops_per_second) != 0 ||
        plan_get_real(s, KEY_SYNTHETIC_STEP_SECONDS, 0.0, 0, 3600.0, 0,
                      &p->synthetic_step_seconds) != 0 ||
        plan_get_real(s, KEY_SYNTHETIC_WIDTH_EFFICIENCY, 0.0, 1, 1.0, 0,
                      &p->synthetic_width_efficiency) != 0 ||
        plan_get_real(s, KEY_SYNTHETIC_LR_OPTIMUM, 0.0, 0, 1.0, 0, &p->synthetic_lr_optimum) != 0 ||
        plan_get_real(s, KEY_SYNTHETIC_BATCH_OPTIMUM, 0.0, 0, 65536.0, 0,
                      &p->synthetic_batch_optimum) != 0)
        return -1;
    return 0;
}

/* Two keys of which a plan may give only one: the error names the later one. */
static int check_conflict(plan_state *s, plan_key a, plan_key b)
{
    if (!plan_is_set(s, a) || !plan_is_set(s, b))
        return 0;
    plan_key first = plan_line_of(s, a) <= plan_line_of(s, b) ? a : b;
    plan_key second = first == a ? b : a;
    return plan_fail(s, plan_line_of(s, second), second,
                     "conflicts with %s (line %d); give one of them", plan_keys[first].name,
                     plan_line_of(s, first));
}

static int read_seeds(plan_state *s)
{
    plan *p = s->p;
    if (check_conflict(s, KEY_SWEEP_SEEDS, KEY_SWEEP_SEED_LIST) != 0)
        return -1;
    if (plan_is_set(s, KEY_SWEEP_SEED_LIST)) {
        if (plan_get_items(s, KEY_SWEEP_SEED_LIST) != 0)
            return -1;
        p->seeds = malloc(sizeof *p->seeds * (size_t)s->n_items);
        if (!p->seeds)
            return plan_fail(s, 0, -1, "out of memory");
        for (int i = 0; i < s->n_items; i++) {
            int64_t seed;
            if (plan_count_text(s, KEY_SWEEP_SEED_LIST, s->items[i].line, s->items[i].text, 0,
                                PLAN_MAX_SEED, &seed) != 0)
                return -1;
            for (int j = 0; j < i; j++)
                if (p->seeds[j] == (uint64_t)seed)
                    return plan_fail(s, s->items[i].line, KEY_SWEEP_SEED_LIST,
                                     "seed %lld is listed twice", (long long)seed);
            p->seeds[i] = (uint64_t)seed;
        }
        p->n_seeds = s->n_items;
        return 0;
    }
    int64_t count = 1;
    if (plan_get_count(s, KEY_SWEEP_SEEDS, 1, 100000, &count) != 0)
        return -1;
    p->seeds = malloc(sizeof *p->seeds * (size_t)count);
    if (!p->seeds)
        return plan_fail(s, 0, -1, "out of memory");
    for (int64_t i = 0; i < count; i++)
        p->seeds[i] = (uint64_t)(i + 1);
    p->n_seeds = count;
    return 0;
}

static int read_data(plan_state *s)
{
    plan *p = s->p;
    snprintf(p->corpus, sizeof p->corpus, "data/brown");
    if (plan_get_string(s, KEY_DATA_CORPUS, p->corpus, sizeof p->corpus) != 0)
        return -1;
    p->test_fraction = 0.05;
    if (plan_get_real(s, KEY_DATA_TEST_FRACTION, 0.0, 1, 1.0, 1, &p->test_fraction) != 0)
        return -1;
    p->allow_epochs = 0;
    if (plan_get_bool(s, KEY_DATA_ALLOW_EPOCHS, &p->allow_epochs) != 0)
        return -1;
    if (plan_get_count(s, KEY_DATA_EVAL_TOKENS, 1, PLAN_MAX_TOKENS, &s->base.eval_tokens) != 0)
        return -1;
    return plan_read_sources(s);
}

/* Keys that belong to some modes only, or only beside another key. */
static int check_applicability(plan_state *s)
{
    const plan *p = s->p;
    static const struct {
        plan_key key;
        unsigned modes;
        const char *where;
    } by_mode[] = {
        {KEY_MODEL_SHAPES, MODE_BIT(PLAN_GRID) | MODE_BIT(PLAN_ISOFLOP), "grid or isoflop"},
        {KEY_MODEL_PARAMS, MODE_BIT(PLAN_GRID) | MODE_BIT(PLAN_ISOFLOP), "grid or isoflop"},
        {KEY_TRAIN_TOKENS, MODE_BIT(PLAN_GRID), "grid"},
        {KEY_TRAIN_UNIQUE_TOKENS, MODE_BIT(PLAN_GRID), "grid"},
        {KEY_TRAIN_COMPUTE, MODE_BIT(PLAN_ISOFLOP), "isoflop"},
        {KEY_TRAIN_RUNS, MODE_BIT(PLAN_LIST), "list"},
    };
    char mode_where[64];
    if (plan_is_set(s, KEY_SWEEP_MODE))
        snprintf(mode_where, sizeof mode_where, "line %d", plan_line_of(s, KEY_SWEEP_MODE));
    else
        snprintf(mode_where, sizeof mode_where, "the default");
    for (size_t i = 0; i < sizeof by_mode / sizeof by_mode[0]; i++) {
        plan_key k = by_mode[i].key;
        if (plan_is_set(s, k) && !(by_mode[i].modes & MODE_BIT(p->mode)))
            return plan_fail(s, plan_line_of(s, k), k,
                             "applies only in mode = %s; this plan's mode is %s (%s)%s",
                             by_mode[i].where, plan_mode_name(p->mode), mode_where,
                             p->mode == PLAN_LIST &&
                                     (k == KEY_MODEL_SHAPES || k == KEY_MODEL_PARAMS)
                                 ? ", where each of [train] runs carries its shape"
                                 : "");
    }
    if (check_conflict(s, KEY_MODEL_SHAPES, KEY_MODEL_PARAMS) != 0 ||
        check_conflict(s, KEY_TRAIN_TOKENS, KEY_TRAIN_UNIQUE_TOKENS) != 0)
        return -1;
    static const plan_key shape_generation[] = {KEY_MODEL_ASPECT_RATIO, KEY_MODEL_HEAD_SIZE};
    for (int i = 0; i < 2; i++) {
        plan_key k = shape_generation[i];
        if (plan_is_set(s, k) && !plan_is_set(s, KEY_MODEL_PARAMS))
            return plan_fail(s, plan_line_of(s, k), k,
                             "applies only with params (it shapes the generated models)");
    }
    if (plan_is_set(s, KEY_TRAIN_MAX_EPOCHS) && !plan_is_set(s, KEY_TRAIN_UNIQUE_TOKENS))
        return plan_fail(s, plan_line_of(s, KEY_TRAIN_MAX_EPOCHS), KEY_TRAIN_MAX_EPOCHS,
                         "applies only with unique_tokens (data-limited runs)");

    /* what each mode needs; the error points at the mode line when there is one */
    const int at = plan_line_of(s, KEY_SWEEP_MODE);
    const char *mode = plan_mode_name(p->mode);
    if (p->mode != PLAN_LIST && !plan_is_set(s, KEY_MODEL_SHAPES) &&
        !plan_is_set(s, KEY_MODEL_PARAMS))
        return plan_fail(s, at, KEY_MODEL_SHAPES, "mode = %s needs shapes or params", mode);
    if (p->mode == PLAN_GRID && !plan_is_set(s, KEY_TRAIN_TOKENS) &&
        !plan_is_set(s, KEY_TRAIN_UNIQUE_TOKENS))
        return plan_fail(s, at, KEY_TRAIN_TOKENS, "mode = grid needs tokens or unique_tokens");
    if (p->mode == PLAN_ISOFLOP && !plan_is_set(s, KEY_TRAIN_COMPUTE))
        return plan_fail(s, at, KEY_TRAIN_COMPUTE, "mode = isoflop needs compute");
    if (p->mode == PLAN_LIST && !plan_is_set(s, KEY_TRAIN_RUNS))
        return plan_fail(s, at, KEY_TRAIN_RUNS, "mode = list needs runs");
    return 0;
}

/* One item of a hyperparameter key, checked as the key's scalar always was. */
static int read_hyper_item(plan_state *s, plan_hyper h, const plan_item *item, double *value,
                           train_lr_rule *rule)
{
    const plan_key k = plan_hyper_keys[h];
    float f = 0.0f;
    int64_t count = 0;
    *rule = TRAIN_LR_FIXED;
    switch (h) {
    case PLAN_HYPER_LR:
        if (train_lr_rule_named(item->text) >= 0) {
            *rule = (train_lr_rule)train_lr_rule_named(item->text);
            *value = 0.0;
            return 0;
        }
        if (isalpha((unsigned char)item->text[0]))
            return plan_fail(s, item->line, k,
                             "'%s' is not a number, auto (scalesweep's lr_opt(N), measured on "
                             "Brown) or kaplan (Kaplan's LR(N))",
                             item->text);
        if (plan_float_text(s, k, item->line, item->text, 0.0, 1, INFINITY, 0, &f) != 0)
            return -1;
        *value = f;
        return 0;
    case PLAN_HYPER_BATCH:
        if (strcmp(item->text, "auto") == 0) {
            *value = TRAIN_BATCH_AUTO;
            return 0;
        }
        if (plan_count_text(s, k, item->line, item->text, 1, 65536, &count) != 0)
            return -1;
        *value = (double)count;
        return 0;
    case PLAN_HYPER_WARMUP_STEPS:
        if (strcmp(item->text, "auto") == 0) {
            *value = -1.0;
            return 0;
        }
        if (plan_count_text(s, k, item->line, item->text, 0, PLAN_MAX_TOKENS, &count) != 0)
            return -1;
        *value = (double)count;
        return 0;
    case PLAN_HYPER_WEIGHT_DECAY:
    case PLAN_HYPER_GRAD_CLIP:
        if (plan_float_text(s, k, item->line, item->text, 0.0, 0, INFINITY, 0, &f) != 0)
            return -1;
        *value = f;
        return 0;
    case PLAN_HYPER_BETA2:
        if (plan_float_text(s, k, item->line, item->text, 0.0, 0, 1.0, 1, &f) != 0)
            return -1;
        *value = f;
        return 0;
    }
    return plan_fail(s, item->line, k, "not a hyperparameter");
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        const int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Each hyperparameter key's values (a list is an axis of the sweep), the base taking the
 * first; then the batch that D is rounded to. */
static int read_hyper_axes(plan_state *s)
{
    plan *p = s->p;
    train_config *c = &s->base;
    for (int h = 0; h < PLAN_HYPER_COUNT; h++) {
        plan_axis *axis = &s->axes[h];
        axis->n = 1;
        axis->line[0] = 0;
        axis->lr_rule[0] = h == PLAN_HYPER_LR ? TRAIN_LR_AUTO : TRAIN_LR_FIXED;
        /* lr and batch default to their rules (auto), the others to the worker's values */
        axis->value[0] = h == PLAN_HYPER_LR      ? 0.0
                         : h == PLAN_HYPER_BATCH ? TRAIN_BATCH_AUTO
                                                 : plan_hyper_value(c, (plan_hyper)h);
        const plan_key k = plan_hyper_keys[h];
        if (plan_is_set(s, k)) {
            if (plan_get_items(s, k) != 0)
                return -1;
            if (s->n_items > PLAN_MAX_AXIS_VALUES)
                return plan_fail(s, s->items[PLAN_MAX_AXIS_VALUES].line, k, "more than %d values",
                                 PLAN_MAX_AXIS_VALUES);
            axis->n = s->n_items;
            for (int i = 0; i < s->n_items; i++) {
                const plan_item *item = &s->items[i];
                if (read_hyper_item(s, (plan_hyper)h, item, &axis->value[i], &axis->lr_rule[i]) !=
                    0)
                    return -1;
                axis->line[i] = item->line;
                for (int j = 0; j < i; j++)
                    if (axis->value[j] == axis->value[i] && axis->lr_rule[j] == axis->lr_rule[i])
                        return plan_fail(s, item->line, k, "%s is listed twice (also line %d)",
                                         item->text, axis->line[j]);
            }
        }
        p->hyper_values[h] = axis->n;
    }
    /* the base takes each first value (a run takes its own in plan_expand) */
    for (int h = 0; h < PLAN_HYPER_COUNT; h++)
        plan_hyper_set(c, (plan_hyper)h, s->axes[h].value[0]);
    /* whole steps of every batch: their least common multiple */
    const plan_axis *batch = &s->axes[PLAN_HYPER_BATCH];
    s->step_batch = 1;
    for (int i = 0; i < batch->n; i++) {
        /* auto takes a divisor of TRAIN_BATCH_AUTO_MAX */
        const int64_t b =
            batch->value[i] == TRAIN_BATCH_AUTO ? TRAIN_BATCH_AUTO_MAX : (int64_t)batch->value[i];
        s->step_batch = s->step_batch / gcd64(s->step_batch, b) * b;
        if (s->step_batch > 65536)
            return plan_fail(s, batch->line[i], KEY_TRAIN_BATCH,
                             "the batches' least common multiple exceeds 65536: D is rounded to "
                             "whole steps of every batch, so give batches that divide one another "
                             "(e.g. 8, 16, 32)");
    }
    return 0;
}

int64_t plan_step_tokens(const plan_state *s)
{
    return s->step_batch * s->base.model.n_ctx;
}

static int read_train_settings(plan_state *s)
{
    plan *p = s->p;
    train_config *c = &s->base;
    if (read_hyper_axes(s) != 0)
        return -1;
    if (plan_get_float(s, KEY_TRAIN_FINAL_LR_RATIO, 0.0, 0, 1.0, 0, &c->final_lr_ratio) != 0 ||
        plan_get_float(s, KEY_TRAIN_BETA1, 0.0, 0, 1.0, 1, &c->beta1) != 0 ||
        plan_get_float(s, KEY_TRAIN_EPS, 0.0, 1, 1.0, 0, &c->eps) != 0 ||
        plan_get_auto_count(s, KEY_TRAIN_EVAL_INTERVAL, 0, 1, PLAN_MAX_TOKENS, &c->eval_interval) !=
            0 ||
        plan_get_int(s, KEY_TRAIN_PATIENCE, 0, 1000000, &c->patience) != 0 ||
        plan_get_count(s, KEY_TRAIN_EVALUATIONS, 1, 1000000, &c->evaluations) != 0 ||
        plan_get_choice(s, KEY_TRAIN_EVAL_SPACING, train_eval_spacing_names, TRAIN_EVAL_SPACINGS,
                        &c->eval_spacing) != 0 ||
        plan_get_real(s, KEY_TRAIN_EVAL_BUDGET, 0.0, 1, 1e6, 0, &c->eval_budget) != 0)
        return -1;
    /* every eval_interval steps is a schedule of its own: the keys of the other contradict it */
    static const plan_key log_keys[] = {KEY_TRAIN_EVALUATIONS, KEY_TRAIN_EVAL_SPACING,
                                        KEY_TRAIN_EVAL_BUDGET};
    for (size_t i = 0; c->eval_interval > 0 && i < sizeof log_keys / sizeof *log_keys; i++)
        if (plan_is_set(s, log_keys[i]))
            return plan_fail(s, plan_line_of(s, log_keys[i]), log_keys[i],
                             "is not used with eval_interval (line %d), which evaluates every "
                             "eval_interval steps however many that is; set one or the other",
                             plan_line_of(s, KEY_TRAIN_EVAL_INTERVAL));
    p->checkpoint_seconds = 300;
    if (plan_get_count(s, KEY_TRAIN_CHECKPOINT_SECONDS, 0, 1000000000, &p->checkpoint_seconds) != 0)
        return -1;
    p->max_epochs = 10;
    if (plan_get_count(s, KEY_TRAIN_MAX_EPOCHS, 1, 1000000, &p->max_epochs) != 0)
        return -1;
    if (plan_is_set(s, KEY_TRAIN_UNIQUE_TOKENS) && c->patience == 0)
        return plan_fail(s, plan_line_of(s, KEY_TRAIN_UNIQUE_TOKENS), KEY_TRAIN_UNIQUE_TOKENS,
                         "data-limited runs measure L(D) with early stopping; set [train] "
                         "patience (e.g. 3)");
    return 0;
}

static int read_fit(plan_state *s)
{
    plan *p = s->p;
    p->bootstrap = PLAN_FIT_BOOTSTRAP;
    int64_t seed = PLAN_FIT_SEED;
    if (plan_get_count(s, KEY_FIT_BOOTSTRAP, 0, PLAN_FIT_MAX_BOOTSTRAP, &p->bootstrap) != 0 ||
        plan_get_count(s, KEY_FIT_SEED, 0, PLAN_MAX_SEED, &seed) != 0)
        return -1;
    p->fit_seed = (uint64_t)seed;
    p->frontier = PLAN_FRONTIER_ENDS;
    if (plan_get_choice(s, KEY_FIT_FRONTIER, plan_frontier_names, PLAN_FRONTIERS, &p->frontier) !=
        0)
        return -1;
    p->laws = PLAN_LAWS_ALL;
    if (!plan_is_set(s, KEY_FIT_LAWS))
        return 0;
    if (plan_get_items(s, KEY_FIT_LAWS) != 0)
        return -1;
    p->laws = 0;
    for (int i = 0; i < s->n_items; i++) {
        const plan_item *item = &s->items[i];
        const unsigned bit = plan_law_from_name(item->text);
        if (!bit) {
            char names[128];
            plan_law_names(names, sizeof names);
            return plan_fail(s, item->line, KEY_FIT_LAWS,
                             "'%s' is not a law; the laws are %s (or all)", item->text, names);
        }
        if (p->laws & bit)
            return plan_fail(s, item->line, KEY_FIT_LAWS, "'%s' is listed twice", item->text);
        p->laws |= bit;
    }
    return 0;
}

static int add_shape(plan_state *s, plan_key k, const model_config *shape, int line,
                     const char *source)
{
    for (int i = 0; i < s->n_shapes; i++) {
        if (same_shape(&s->shapes[i].shape, shape)) {
            char text[NET_SHAPE_SIZE];
            if (k == KEY_MODEL_PARAMS)
                return plan_fail(s, line, k,
                                 "%s gives %s shape %s, as %s does (line %d); a sweep trains "
                                 "each shape once",
                                 source, net_architecture_names[shape->architecture],
                                 net_shape(shape, text, sizeof text), s->shapes[i].source,
                                 s->shapes[i].line);
            return plan_fail(s, line, k, "shape %s is listed twice (also line %d)", source,
                             s->shapes[i].line);
        }
    }
    use_architecture(s, shape->architecture);
    s->shapes[s->n_shapes].shape = *shape;
    s->shapes[s->n_shapes].line = line;
    s->shapes[s->n_shapes].source = source;
    s->n_shapes++;
    return 0;
}

static int read_model(plan_state *s)
{
    model_config *m = &s->base.model;
    if (plan_get_int(s, KEY_MODEL_N_CTX, 2, 65536, &m->n_ctx) != 0)
        return -1;
    if (s->base.eval_tokens < m->n_ctx) {
        if (plan_is_set(s, KEY_DATA_EVAL_TOKENS))
            return plan_fail(s, plan_line_of(s, KEY_DATA_EVAL_TOKENS), KEY_DATA_EVAL_TOKENS,
                             "%lld tokens are fewer than one n_ctx window (%d)",
                             (long long)s->base.eval_tokens, m->n_ctx);
        /* the default's fault is the key that outgrew it */
        return plan_fail(s, plan_line_of(s, KEY_MODEL_N_CTX), KEY_MODEL_N_CTX,
                         "%d is longer than [data] eval_tokens (%lld by default): set "
                         "eval_tokens to one n_ctx window or more",
                         m->n_ctx, (long long)s->base.eval_tokens);
    }
    if (read_architectures(s) != 0)
        return -1;
    if (s->p->mode == PLAN_LIST)
        return 0;
    int64_t head_size = 32;
    double aspect = PLAN_ASPECT_DEFAULT;
    if (plan_get_count(s, KEY_MODEL_HEAD_SIZE, 1, 65536, &head_size) != 0 ||
        plan_get_real(s, KEY_MODEL_ASPECT_RATIO, 0.0, 1, 65536.0, 0, &aspect) != 0)
        return -1;
    plan_key k = plan_is_set(s, KEY_MODEL_SHAPES) ? KEY_MODEL_SHAPES : KEY_MODEL_PARAMS;
    plan *p = s->p;
    if (k == KEY_MODEL_PARAMS && p->n_architectures == 0) { /* params alone: transformers */
        p->architectures = 1u << MODEL_TRANSFORMER;
        p->architecture_order[p->n_architectures++] = MODEL_TRANSFORMER;
    }
    if (plan_get_items(s, k) != 0)
        return -1;
    /* params: each target once for each architecture, the architectures in their order */
    const int per_item = k == KEY_MODEL_PARAMS ? p->n_architectures : 1;
    s->shapes = malloc(sizeof *s->shapes * (size_t)s->n_items * (size_t)per_item);
    if (!s->shapes)
        return plan_fail(s, 0, -1, "out of memory");
    for (int n = 0; n < s->n_items * per_item; n++) {
        const plan_item *item = &s->items[n % s->n_items];
        model_config shape = *m;
        shape.architecture = p->architecture_order[n / s->n_items];
        if (k == KEY_MODEL_SHAPES) {
            if (read_shape_item(s, k, item, item->text, &shape) != 0)
                return -1;
        } else if (shape.architecture == MODEL_LSTM) {
            int64_t target;
            if (plan_count_text(s, k, item->line, item->text, 1, 1000000000000LL, &target) != 0)
                return -1;
            const double ratio = plan_generate_lstm_shape(target, &shape);
            const char *problem =
                ratio > PLAN_PARAMS_TOLERANCE || ratio < 1.0 / PLAN_PARAMS_TOLERANCE
                    ? "no LSTM of " TRAIN_STRING(
                          PLAN_LSTM_LAYERS) " layers comes within a factor 1.5 of it"
                    : net_config_error(&shape);
            if (problem) {
                char text[NET_SHAPE_SIZE];
                return plan_fail(s, item->line, k, "%s gives LSTM shape %s: %s", item->text,
                                 net_shape(&shape, text, sizeof text), problem);
            }
        } else {
            int64_t target;
            if (plan_count_text(s, k, item->line, item->text, 1, 1000000000000LL, &target) != 0)
                return -1;
            int off_aspect;
            double ratio = plan_generate_shape(target, aspect, (int)head_size, &shape, &off_aspect);
            if (ratio > PLAN_PARAMS_TOLERANCE || ratio < 1.0 / PLAN_PARAMS_TOLERANCE) {
                char a[32];
                return plan_fail(s, item->line, k,
                                 "no shape comes within a factor %.1f of N = %s with head_size "
                                 "%lld (nearest %dx%dx%d, N = %s); change the target, head_size "
                                 "or aspect_ratio",
                                 PLAN_PARAMS_TOLERANCE, item->text, (long long)head_size,
                                 shape.n_layer, shape.d_model, shape.n_head,
                                 units_group_digits(net_count_nonembedding(&shape), a));
            }
            const char *problem = net_config_error(&shape);
            if (problem)
                return plan_fail(s, item->line, k, "%s gives shape %dx%dx%d: %s", item->text,
                                 shape.n_layer, shape.d_model, shape.n_head, problem);
            if (off_aspect &&
                plan_note(s,
                          "params %s (line %d): no shape with d_model / n_layer within a factor "
                          "%g of %g comes within a factor %g of N; took %dx%dx%d (aspect %.3g)",
                          item->text, item->line, PLAN_ASPECT_BAND, aspect,
                          fabs(log(ratio)) <= log(PLAN_PARAMS_NEAR) + 1e-12 ? PLAN_PARAMS_NEAR
                                                                            : PLAN_PARAMS_TOLERANCE,
                          shape.n_layer, shape.d_model, shape.n_head,
                          (double)shape.d_model / shape.n_layer) != 0)
                return -1;
        }
        if (add_shape(s, k, &shape, item->line, item->text) != 0)
            return -1;
    }
    return check_architectures_used(s, k);
}

/* tokens -> whole steps of batch x n_ctx tokens; a value under one step is an error. */
static int round_tokens(plan_state *s, plan_key k, int line, const char *source, int64_t tokens,
                        int64_t *rounded)
{
    const int64_t step = plan_step_tokens(s);
    if (tokens < step) {
        char a[32];
        return plan_fail(s, line, k, "%s is less than one step of %s x n_ctx = %s tokens", source,
                         s->axes[PLAN_HYPER_BATCH].n > 1 ? "the batches' least common multiple"
                                                         : "batch",
                         units_group_digits(step, a));
    }
    *rounded = llround((double)tokens / (double)step) * step;
    return 0;
}

static int add_data(plan_state *s, plan_key k, const plan_data_entry *entry)
{
    for (int i = 0; i < s->n_data; i++) {
        const plan_data_entry *other = &s->data[i];
        int same = other->tokens == entry->tokens && other->unique_tokens == entry->unique_tokens;
        if (k == KEY_TRAIN_RUNS)
            same = same && same_shape(&other->shape, &entry->shape);
        if (!same)
            continue;
        char a[32];
        if (k == KEY_TRAIN_RUNS)
            return plan_fail(s, entry->line, k,
                             "%s is the same run as %s (line %d): D = %s tokens after rounding",
                             entry->source, other->source, other->line,
                             units_group_digits(entry->tokens, a));
        return plan_fail(s, entry->line, k,
                         "%s gives the same runs as %s (line %d): D = %s tokens after rounding to "
                         "whole steps",
                         entry->source, other->source, other->line,
                         units_group_digits(entry->tokens, a));
    }
    s->data[s->n_data++] = *entry;
    return 0;
}

static int read_data_sizes(plan_state *s)
{
    const plan *p = s->p;
    plan_key k;
    if (p->mode == PLAN_ISOFLOP)
        k = KEY_TRAIN_COMPUTE;
    else if (p->mode == PLAN_LIST)
        k = KEY_TRAIN_RUNS;
    else
        k = plan_is_set(s, KEY_TRAIN_TOKENS) ? KEY_TRAIN_TOKENS : KEY_TRAIN_UNIQUE_TOKENS;
    if (plan_get_items(s, k) != 0)
        return -1;
    const int n = s->n_items;
    if (k == KEY_TRAIN_COMPUTE) {
        s->budgets = malloc(sizeof *s->budgets * (size_t)n);
        s->budget_lines = malloc(sizeof *s->budget_lines * (size_t)n);
        s->budget_sources = malloc(sizeof *s->budget_sources * (size_t)n);
        if (!s->budgets || !s->budget_lines || !s->budget_sources)
            return plan_fail(s, 0, -1, "out of memory");
        for (int i = 0; i < n; i++) {
            const plan_item *item = &s->items[i];
            double budget = 0.0;
            if (plan_real_text(s, k, item->line, item->text, 0.0, 1, PLAN_MAX_COMPUTE, 0,
                               &budget) != 0)
                return -1;
            for (int j = 0; j < i; j++)
                if (s->budgets[j] == budget)
                    return plan_fail(s, item->line, k, "%s is listed twice (also line %d)",
                                     item->text, s->budget_lines[j]);
            s->budgets[i] = budget;
            s->budget_lines[i] = item->line;
            s->budget_sources[i] = item->text;
        }
        s->n_budgets = n;
        return 0;
    }
    s->data = malloc(sizeof *s->data * (size_t)n);
    if (!s->data)
        return plan_fail(s, 0, -1, "out of memory");
    const int64_t step = plan_step_tokens(s);
    for (int i = 0; i < n; i++) {
        const plan_item *item = &s->items[i];
        plan_data_entry entry = {0};
        entry.line = item->line;
        entry.source = item->text;
        if (k == KEY_TRAIN_TOKENS) {
            int64_t tokens;
            if (plan_count_text(s, k, item->line, item->text, 1, PLAN_MAX_TOKENS, &tokens) != 0 ||
                round_tokens(s, k, item->line, item->text, tokens, &entry.tokens) != 0)
                return -1;
        } else if (k == KEY_TRAIN_UNIQUE_TOKENS) {
            /* the worker cuts U bytes into windows of n_ctx + 1 */
            if (plan_count_text(s, k, item->line, item->text, s->base.model.n_ctx + 1,
                                PLAN_MAX_TOKENS / p->max_epochs, &entry.unique_tokens) != 0)
                return -1;
            int64_t tokens = p->max_epochs * entry.unique_tokens;
            if (tokens < step) {
                char a[32], b[32];
                return plan_fail(s, item->line, k,
                                 "%s for max_epochs = %lld epochs is %s tokens, less than one "
                                 "step of batch x n_ctx = %s",
                                 item->text, (long long)p->max_epochs,
                                 units_group_digits(tokens, a), units_group_digits(step, b));
            }
            entry.tokens = llround((double)tokens / (double)step) * step;
        } else {
            /* shape@tokens */
            char text[256];
            if (strlen(item->text) >= sizeof text)
                return plan_fail(s, item->line, k, "'%.40s...' is too long for a run", item->text);
            memcpy(text, item->text, strlen(item->text) + 1);
            char *at = strchr(text, '@');
            if (!at)
                return plan_fail(s, item->line, k,
                                 "'%s' is not a run; write shape@tokens, e.g. 4x128x4@3M",
                                 item->text);
            *at = '\0';
            char *shape_text = text, *tokens_text = at + 1;
            while (isspace((unsigned char)*tokens_text))
                tokens_text++;
            size_t length = strlen(shape_text);
            while (length > 0 && isspace((unsigned char)shape_text[length - 1]))
                shape_text[--length] = '\0';
            if (!*shape_text || !*tokens_text)
                return plan_fail(s, item->line, k,
                                 "'%s' is not a run; write shape@tokens, e.g. 4x128x4@3M",
                                 item->text);
            entry.shape = s->base.model;
            int64_t tokens;
            if (read_shape_item(s, k, item, shape_text, &entry.shape) != 0 ||
                plan_count_text(s, k, item->line, tokens_text, 1, PLAN_MAX_TOKENS, &tokens) != 0 ||
                round_tokens(s, k, item->line, item->text, tokens, &entry.tokens) != 0)
                return -1;
            use_architecture(s, entry.shape.architecture);
        }
        if (add_data(s, k, &entry) != 0)
            return -1;
    }
    return k == KEY_TRAIN_RUNS ? check_architectures_used(s, k) : 0;
}

int plan_read_sections(plan_state *s)
{
    /* the order matters: the mode decides what applies, [train] sets the step that D is
     * rounded to, [model] n_ctx bounds eval_tokens */
    if (read_sweep(s) != 0 || read_seeds(s) != 0 || read_data(s) != 0 ||
        check_applicability(s) != 0 || read_train_settings(s) != 0 || read_model(s) != 0 ||
        read_data_sizes(s) != 0 || read_fit(s) != 0 || read_synthetic(s) != 0)
        return -1;
    return 0;
}
