/* AdamW with decoupled weight decay, the learning-rate schedule, and gradient clipping. */
#ifndef SCALESWEEP_OPTIM_H
#define SCALESWEEP_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    float lr;            /* peak learning rate */
    float beta1, beta2, eps;
    float weight_decay;  /* decoupled, on matrices only */
    float grad_clip;     /* max global gradient norm; 0 turns clipping off */
    int64_t warmup_steps;
    int64_t total_steps; /* the schedule's length: cosine decay ends here */
    float final_lr_ratio; /* lr at total_steps as a fraction of the peak (0.1) */
} optim_config;

/* A model's parameters as the optimiser sees them, whatever the architecture: four buffers
 * of one layout (parameters, gradients, AdamW's two moments) of num_tensors tensors, each
 * sizes[i] long, decays[i] saying whether it takes weight decay. model_optim_params and
 * lstm_optim_params give them; a model that swaps its gradient buffer gives them anew. */
typedef struct {
    float *params, *grads, *m, *v;
    int64_t num_params;
    int num_tensors;
    const size_t *sizes;
    const int *decays;
} optim_params;

/* Linear warmup from lr/warmup to lr over warmup_steps, then cosine decay to
 * final_lr_ratio * lr at total_steps. step counts from 0. */
float optim_lr(const optim_config *c, int64_t step);
/* Global L2 norm of the gradients; if above grad_clip, scales them to grad_clip
 * (torch's clip_grad_norm_: coefficient clip / (norm + 1e-6)). Returns the norm before clipping. */
double optim_clip_gradients(const optim_params *p, float grad_clip);
/* One AdamW update of every parameter, as torch.optim.AdamW computes it.
 * t is the 1-based update count used for bias correction. */
void optim_adamw_update(const optim_params *p, const optim_config *c, float lr, int64_t t);

#endif
