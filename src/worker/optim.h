/* AdamW with decoupled weight decay, the learning-rate schedule, and gradient clipping. */
#ifndef SCALESWEEP_OPTIM_H
#define SCALESWEEP_OPTIM_H

#include <stdint.h>

#include "model.h"

typedef struct {
    float lr;            /* peak learning rate */
    float beta1, beta2, eps;
    float weight_decay;  /* decoupled, on matrices only */
    float grad_clip;     /* max global gradient norm; 0 turns clipping off */
    int64_t warmup_steps;
    int64_t total_steps; /* the schedule's length: cosine decay ends here */
    float final_lr_ratio; /* lr at total_steps as a fraction of the peak (0.1) */
} optim_config;

/* Linear warmup from lr/warmup to lr over warmup_steps, then cosine decay to
 * final_lr_ratio * lr at total_steps. step counts from 0. */
float optim_lr(const optim_config *c, int64_t step);
/* Global L2 norm of the gradients; if above grad_clip, scales them to grad_clip
 * (torch's clip_grad_norm_: coefficient clip / (norm + 1e-6)). Returns the norm before clipping. */
double optim_clip_gradients(model *m, float grad_clip);
/* One AdamW update of every parameter, as torch.optim.AdamW computes it.
 * t is the 1-based update count used for bias correction. */
void optim_adamw_update(model *m, const optim_config *c, float lr, int64_t t);

#endif
