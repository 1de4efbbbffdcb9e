/* Whether two training runs hold the same bits, for the tests that train a run twice
 * (same seed, restored from a checkpoint, trained wide): one owner for what "the same" means,
 * whatever the architecture. */
#ifndef SCALESWEEP_SAME_RUN_H
#define SCALESWEEP_SAME_RUN_H

#include <string.h>

#include "train.h"

/* Every point of the curves: steps, tokens, FLOPs, the losses of the mixture and of each
 * source, the learning rate. */
static inline int same_run_curves(const train_run *a, const train_run *b)
{
    if (a->curve_len != b->curve_len)
        return 0;
    for (int64_t i = 0; i < a->curve_len; i++) {
        const curve_point *p = &a->curve[i], *q = &b->curve[i];
        if (p->step != q->step || p->tokens != q->tokens || p->flops != q->flops ||
            memcmp(&p->train_loss, &q->train_loss, sizeof(float)) != 0 ||
            memcmp(&p->test_loss, &q->test_loss, sizeof(float)) != 0 ||
            memcmp(&p->lr, &q->lr, sizeof(float)) != 0 ||
            memcmp(p->source_loss, q->source_loss, sizeof p->source_loss) != 0)
            return 0;
    }
    return 1;
}

/* The weights and both AdamW moments. */
static inline int same_run_params(const train_run *a, const train_run *b)
{
    const optim_params p = net_optim_params((net *)&a->net);
    const optim_params q = net_optim_params((net *)&b->net);
    const size_t bytes = sizeof(float) * (size_t)p.num_params;
    return p.num_params == q.num_params && memcmp(p.params, q.params, bytes) == 0 &&
           memcmp(p.m, q.m, bytes) == 0 && memcmp(p.v, q.v, bytes) == 0;
}

/* All of it: step, status, each source's data position, curve, weights, moments, the last
 * training loss and the last evaluation's losses by position. */
static inline int same_run_bits(const train_run *a, const train_run *b)
{
    if (a->step != b->step || a->status != b->status || a->config.n_sources != b->config.n_sources)
        return 0;
    for (int i = 0; i < a->config.n_sources; i++)
        if (a->sources[i].epoch != b->sources[i].epoch ||
            a->sources[i].window != b->sources[i].window)
            return 0;
    return same_run_curves(a, b) && same_run_params(a, b) &&
           memcmp(&a->last_train_loss, &b->last_train_loss, sizeof(float)) == 0 &&
           memcmp(a->position_loss, b->position_loss,
                  sizeof(float) * (size_t)a->config.model.n_ctx) == 0;
}

#endif
