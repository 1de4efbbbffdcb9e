#include "synthetic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hash.h"
#include "rng.h"

double synthetic_seconds(const synthetic_time *t, const train_config *c, int width)
{
    if (!(t->flops_per_second > 0.0))
        return 0.0;
    const int64_t steps = train_total_steps(c);
    const double tokens = (double)steps * (double)c->batch * (double)c->model.n_ctx;
    const double share = (double)train_shards_per_member(c->batch, width) / (double)c->batch;
    int doublings = 0;
    while ((1 << doublings) < width)
        doublings++;
    return (double)steps * t->step_seconds + net_flops_per_token(&c->model) * tokens * share /
                                                 t->flops_per_second /
                                                 pow(t->width_efficiency, doublings);
}

void synthetic_wait_until(const synthetic_time *t, const train_config *c, int width, double start,
                          int64_t step)
{
    const double seconds = synthetic_seconds(t, c, width);
    if (!(seconds > 0.0))
        return;
    /* an absolute deadline: the parts' wake-ups add no drift */
    clock_sleep_until(start + seconds * (double)step / (double)train_total_steps(c));
}

int64_t synthetic_steps_at_once(const synthetic_time *t, const train_config *c, int width)
{
    const int64_t total = train_total_steps(c);
    const double seconds = synthetic_seconds(t, c, width);
    if (!(seconds > 0.0))
        return total;
    const double steps = floor(0.25 * (double)total / seconds);
    return steps < 1.0 ? 1 : steps > (double)total ? total : (int64_t)steps;
}

double synthetic_loss(double n_params, double tokens)
{
    return SYNTHETIC_E + SYNTHETIC_A / pow(n_params, SYNTHETIC_ALPHA) +
           SYNTHETIC_B / pow(tokens, SYNTHETIC_BETA);
}

void synthetic_source_law(int source, double *e, double *alpha, double *beta)
{
    static const double alphas[4] = {1.0, 0.85, 1.15, 0.7}, betas[4] = {1.0, 1.1, 0.9, 1.2};
    *e = SYNTHETIC_E + 0.1 * source;
    *alpha = SYNTHETIC_ALPHA * alphas[source % 4];
    *beta = SYNTHETIC_BETA * betas[source % 4];
}

double synthetic_source_loss(int source, double share, double n_params, double tokens)
{
    double e, alpha, beta;
    synthetic_source_law(source, &e, &alpha, &beta);
    return e + 0.2 * (1.0 - share) + SYNTHETIC_A / pow(n_params, alpha) +
           SYNTHETIC_B / pow(tokens, beta);
}

double synthetic_tuning_factor(const synthetic_tuning *t, const train_config *c)
{
    if (!t)
        return 1.0;
    double penalty = 1.0;
    const double n = (double)net_count_nonembedding(&c->model);
    if (t->lr_optimum > 0.0) {
        const double optimum = t->lr_optimum * pow(n / 1e6, SYNTHETIC_LR_EXPONENT);
        const double x = log((double)c->lr / optimum);
        penalty *= 1.0 + SYNTHETIC_LR_CURVATURE * x * x;
    }
    if (t->batch_optimum > 0.0) {
        const double flops = 6.0 * n * (double)c->tokens;
        const double optimum = t->batch_optimum * pow(flops / 1e15, SYNTHETIC_BATCH_EXPONENT);
        const double x = log((double)c->batch / optimum);
        penalty *= 1.0 + SYNTHETIC_BATCH_CURVATURE * x * x;
    }
    return penalty;
}

int synthetic_run(const train_config *c, const synthetic_tuning *tuning, uint64_t seed_hash,
                  curve_point **points, int64_t *n_points, train_result *r)
{
    memset(r, 0, sizeof *r);
    const int64_t per_step = (int64_t)c->batch * c->model.n_ctx;
    const int64_t total = train_total_steps(c);
    /* the transformer's schedule, on eval_tokens of held-out text (the stand-in has none) */
    const int64_t eval_tokens = train_eval_tokens(c, NULL);
    const int64_t capacity = train_eval_count(c, total, eval_tokens);
    curve_point *p = calloc((size_t)capacity, sizeof *p); /* zeroed padding: curves compare bytewise */
    if (!p)
        return -1;
    const double n = (double)net_count_nonembedding(&c->model);
    const double flops_per_token = net_flops_per_token(&c->model);
    const double factor = synthetic_tuning_factor(tuning, c);
    int64_t count = 0, step = 0;
    r->status = RUN_OK;
    r->reason = "trained to the end";
    r->best_test_loss = INFINITY;
    while (step < total) {
        step = train_eval_next(c, total, eval_tokens, step);
        int64_t tokens = step * per_step;
        curve_point *q = &p[count++];
        /* each source's law and noise; the run's loss is the mixture's shares of them */
        double law = 0.0, mixture = 0.0;
        for (int j = 0; j < c->n_sources; j++) {
            const double share = c->mixture[j];
            const double own = synthetic_source_loss(j, share, n, (double)tokens) * factor;
            /* the noise at a step is its own draw: a run's losses do not depend on which
             * other steps the evaluation schedule visits (source 0's draw is the one a run
             * on one source has always had) */
            rng_state rng;
            rng_seed(&rng, c->seed,
                     hash_mix64(seed_hash ^ (uint64_t)step) + (uint64_t)j * 0x9e3779b97f4a7c15ULL);
            q->source_loss[j] = (float)(own * (1.0 + SYNTHETIC_NOISE * rng_normal(&rng)));
            if (share > 0.0) {
                law += share * own;
                mixture += share * (double)q->source_loss[j];
            }
        }
        q->step = step;
        q->tokens = tokens;
        q->flops = flops_per_token * (double)tokens;
        q->train_loss = (float)(law + 0.02);
        q->test_loss = c->n_sources == 1 ? q->source_loss[0] : (float)mixture;
        q->lr = c->lr;
        if (c->lr >= 1.0f && count == 2) {
            q->train_loss = NAN;
            q->test_loss = NAN;
            for (int j = 0; j < c->n_sources; j++)
                q->source_loss[j] = NAN;
            r->status = RUN_DIVERGED;
            r->reason = "training loss is not finite";
            break;
        }
        if (q->test_loss < r->best_test_loss) {
            r->best_test_loss = q->test_loss;
            r->best_step = step;
        }
    }
    r->n_params = net_count_nonembedding(&c->model);
    r->n_params_total = net_count_total(&c->model);
    r->steps = step;
    r->tokens = step * per_step;
    r->unique_tokens = c->unique_tokens > 0 && c->unique_tokens < r->tokens ? c->unique_tokens
                                                                            : r->tokens;
    r->flops = flops_per_token * (double)r->tokens;
    r->flops_attention = net_flops_per_token_attention(&c->model) * (double)r->tokens;
    r->final_test_loss = p[count - 1].test_loss;
    r->final_train_loss = p[count - 1].train_loss;
    *points = p;
    *n_points = count;
    return 0;
}
