#include "optim.h"

#include <math.h>

#include "dispatch.h"

float optim_lr(const optim_config *c, int64_t step)
{
    if (step < c->warmup_steps)
        return c->lr * (float)(step + 1) / (float)c->warmup_steps;
    int64_t decay_steps = c->total_steps - c->warmup_steps;
    if (decay_steps <= 0)
        return c->lr;
    double progress = (double)(step - c->warmup_steps) / (double)decay_steps;
    if (progress > 1.0)
        progress = 1.0;
    double cosine = 0.5 * (1.0 + cos(M_PI * progress)); /* 1 -> 0 */
    double ratio = c->final_lr_ratio + (1.0 - c->final_lr_ratio) * cosine;
    return (float)(c->lr * ratio);
}

SCALESWEEP_HOT double optim_clip_gradients(const optim_params *p, float grad_clip)
{
    float *g = p->grads;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < p->num_params; i++)
        sum += (double)g[i] * g[i];
    double norm = sqrt(sum);
    if (grad_clip > 0.0f && norm > grad_clip) {
        float coef = (float)(grad_clip / (norm + 1e-6));
        for (int64_t i = 0; i < p->num_params; i++)
            g[i] *= coef;
    }
    return norm;
}

SCALESWEEP_HOT void optim_adamw_update(const optim_params *op, const optim_config *c, float lr,
                                       int64_t t)
{
    const float b1 = c->beta1, b2 = c->beta2;
    const float bias1 = 1.0f - powf(b1, (float)t);
    const float bias2_sqrt = sqrtf(1.0f - powf(b2, (float)t));
    const float step_size = lr / bias1;
    float *p = op->params, *g = op->grads, *mo = op->m, *v = op->v;
    size_t offset = 0;
    for (int tensor = 0; tensor < op->num_tensors; tensor++) {
        const float decay = op->decays[tensor] ? 1.0f - lr * c->weight_decay : 1.0f;
        const size_t end = offset + op->sizes[tensor];
        for (size_t i = offset; i < end; i++) {
            float gi = g[i];
            float mi = b1 * mo[i] + (1.0f - b1) * gi;
            float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
            mo[i] = mi;
            v[i] = vi;
            float denom = sqrtf(vi) / bias2_sqrt + c->eps;
            p[i] = p[i] * decay - step_size * mi / denom;
        }
        offset = end;
    }
}
