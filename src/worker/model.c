#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "buffers.h"
#include "layers.h"

static const char *const tensor_names[MODEL_NUM_TENSORS] = {
    "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
    "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"};

/* Matrices take weight decay; gains and biases do not. */
static const int tensor_decays[MODEL_NUM_TENSORS] = {
    1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0};

/* Gradients that backward builds by sums (layernorm gains and biases, wpe's scatter) rather
 * than writes with a product of beta 0: cleared at its start. */
static const int tensor_summed[MODEL_NUM_TENSORS] = {0, 1, 1, 1, 0, 0, 0, 0,
                                                     1, 1, 0, 0, 0, 0, 1, 1};

const char *model_tensor_name(int i) { return tensor_names[i]; }
int model_tensor_decays(int i) { return tensor_decays[i]; }

const char *model_config_error(const model_config *c)
{
    if (c->n_layer < 1)
        return "n_layer must be at least 1";
    if (c->d_model < 1)
        return "d_model must be at least 1";
    if (c->n_head < 1)
        return "n_head must be at least 1";
    if (c->d_model % c->n_head != 0)
        return "d_model must be divisible by n_head";
    if (c->n_ctx < 2)
        return "n_ctx must be at least 2";
    if (c->d_model > 65536 || c->n_layer > 4096 || c->n_ctx > 65536)
        return "model dimensions are out of range";
    if (model_floats_real(c, 1) > MODEL_MAX_FLOATS)
        return "the model and one sequence's activations need more than 2^40 floats (4 TiB): "
               "lower n_layer, d_model, n_head or n_ctx";
    return NULL;
}

static void param_sizes(const model_config *c, size_t sizes[MODEL_NUM_TENSORS])
{
    size_t L = (size_t)c->n_layer, C = (size_t)c->d_model;
    sizes[0] = MODEL_VOCAB * C;          /* wte */
    sizes[1] = (size_t)c->n_ctx * C;     /* wpe */
    sizes[2] = L * C;                    /* ln1w */
    sizes[3] = L * C;                    /* ln1b */
    sizes[4] = L * 3 * C * C;            /* qkvw */
    sizes[5] = L * 3 * C;                /* qkvb */
    sizes[6] = L * C * C;                /* attprojw */
    sizes[7] = L * C;                    /* attprojb */
    sizes[8] = L * C;                    /* ln2w */
    sizes[9] = L * C;                    /* ln2b */
    sizes[10] = L * 4 * C * C;           /* fcw */
    sizes[11] = L * 4 * C;               /* fcb */
    sizes[12] = L * C * 4 * C;           /* fcprojw */
    sizes[13] = L * C;                   /* fcprojb */
    sizes[14] = C;                       /* lnfw */
    sizes[15] = C;                       /* lnfb */
}

int64_t model_count_total(const model_config *c)
{
    size_t sizes[MODEL_NUM_TENSORS];
    param_sizes(c, sizes);
    int64_t n = 0;
    for (int i = 0; i < MODEL_NUM_TENSORS; i++)
        n += (int64_t)sizes[i];
    return n;
}

int64_t model_count_nonembedding(const model_config *c)
{
    size_t sizes[MODEL_NUM_TENSORS];
    param_sizes(c, sizes);
    return model_count_total(c) - (int64_t)sizes[0] - (int64_t)sizes[1];
}

double model_width_for_nonembedding(int n_layer, double target)
{
    /* param_sizes without the embeddings: n_layer (12 C^2 + 13 C) + 2 C = target, a
     * quadratic in C whose positive root this is */
    const double L = n_layer, b = 13.0 * L + 2.0;
    return (-b + sqrt(b * b + 48.0 * L * target)) / (24.0 * L);
}

static void point_params(model_params *p, float *memory, const size_t sizes[MODEL_NUM_TENSORS])
{
    float **const fields[MODEL_NUM_TENSORS] = {&p->wte,     &p->wpe,     &p->ln1w,     &p->ln1b,
                                               &p->qkvw,    &p->qkvb,    &p->attprojw, &p->attprojb,
                                               &p->ln2w,    &p->ln2b,    &p->fcw,      &p->fcb,
                                               &p->fcprojw, &p->fcprojb, &p->lnfw,     &p->lnfb};
    int64_t lengths[MODEL_NUM_TENSORS];
    for (int i = 0; i < MODEL_NUM_TENSORS; i++)
        lengths[i] = (int64_t)sizes[i];
    buffers_point(memory, fields, lengths, MODEL_NUM_TENSORS);
}

#define NUM_ACTS 20

static void act_sizes(const model_config *c, int B, int64_t sizes[NUM_ACTS])
{
    int64_t L = c->n_layer, C = c->d_model, T = c->n_ctx, NH = c->n_head;
    int64_t BT = (int64_t)B * T;
    sizes[0] = BT * C;           /* encoded */
    sizes[1] = L * BT * C;       /* ln1 */
    sizes[2] = L * BT;           /* ln1_mean */
    sizes[3] = L * BT;           /* ln1_rstd */
    sizes[4] = L * BT * 3 * C;   /* qkv */
    sizes[5] = L * BT * C;       /* atty */
    sizes[6] = L * B * NH * T * T; /* att */
    sizes[7] = L * BT * C;       /* residual2 */
    sizes[8] = L * BT * C;       /* ln2 */
    sizes[9] = L * BT;           /* ln2_mean */
    sizes[10] = L * BT;          /* ln2_rstd */
    sizes[11] = L * BT * 4 * C;  /* fch */
    sizes[12] = L * BT * 4 * C;  /* fch_gelu */
    sizes[13] = L * BT * C;      /* residual3 */
    sizes[14] = BT * C;          /* lnf */
    sizes[15] = BT;              /* lnf_mean */
    sizes[16] = BT;              /* lnf_rstd */
    sizes[17] = BT * MODEL_VOCAB; /* logits */
    sizes[18] = BT * MODEL_VOCAB; /* probs */
    sizes[19] = BT;              /* losses */
}

static void point_acts(model_acts *a, float *memory, const int64_t sizes[NUM_ACTS])
{
    float **const fields[NUM_ACTS] = {&a->encoded,  &a->ln1,       &a->ln1_mean, &a->ln1_rstd,
                                      &a->qkv,      &a->atty,      &a->att,      &a->residual2,
                                      &a->ln2,      &a->ln2_mean,  &a->ln2_rstd, &a->fch,
                                      &a->fch_gelu, &a->residual3, &a->lnf,      &a->lnf_mean,
                                      &a->lnf_rstd, &a->logits,    &a->probs,    &a->losses};
    buffers_point(memory, fields, sizes, NUM_ACTS);
}

#define NUM_SCRATCH 5

static void scratch_sizes(const model_config *c, int B, int64_t sizes[NUM_SCRATCH])
{
    int64_t BT = (int64_t)B * c->n_ctx, C = c->d_model, T = c->n_ctx;
    sizes[0] = BT * C;     /* dresidual */
    sizes[1] = BT * C;     /* dchannels */
    sizes[2] = BT * 3 * C; /* dqkv */
    sizes[3] = BT * 4 * C; /* dfch */
    sizes[4] = T * T;      /* datt */
}

double model_floats_real(const model_config *c, int max_batch)
{
    /* one sequence's sizes, and the parameters, are far inside int64_t for any dimensions
     * model_config_error lets through before it asks this (2^60 at most, the attention of
     * 4096 layers of 65536 heads over 65536 positions); a batch of them is scaled in double */
    int64_t acts[NUM_ACTS], scratch[NUM_SCRATCH];
    act_sizes(c, 1, acts);
    scratch_sizes(c, 1, scratch);
    double per_sequence = 0.0;
    for (int i = 0; i < NUM_ACTS; i++)
        per_sequence += (double)acts[i];
    for (int i = 0; i < NUM_SCRATCH; i++)
        per_sequence += (double)scratch[i];
    return 4.0 * (double)model_count_total(c) + (double)max_batch * per_sequence;
}

int model_init(model *m, const model_config *config, int max_batch)
{
    memset(m, 0, sizeof *m);
    m->config = *config;
    m->max_batch = max_batch;
    param_sizes(config, m->param_sizes);
    m->num_params = model_count_total(config);
    int64_t acts[NUM_ACTS], scratch[NUM_SCRATCH];
    act_sizes(config, max_batch, acts);
    scratch_sizes(config, max_batch, scratch);
    m->num_acts = buffers_sum(acts, NUM_ACTS);
    m->num_scratch = buffers_sum(scratch, NUM_SCRATCH);

    if (buffers_alloc(&(net_buffers){BUFFERS_OF(m)}, (size_t)m->num_params, (size_t)m->num_acts,
                      (size_t)m->num_scratch) != 0)
        return -1;
    point_params(&m->params, m->params_memory, m->param_sizes);
    point_params(&m->grads, m->grads_memory, m->param_sizes);
    point_acts(&m->acts, m->acts_memory, acts);
    float **const fields[NUM_SCRATCH] = {&m->scratch.dresidual, &m->scratch.dchannels,
                                         &m->scratch.dqkv, &m->scratch.dfch, &m->scratch.datt};
    buffers_point(m->scratch_memory, fields, scratch, NUM_SCRATCH);
    return 0;
}

void model_free(model *m)
{
    buffers_free(&(net_buffers){BUFFERS_OF(m)});
    memset(m, 0, sizeof *m);
}

static void fill_normal(float *x, size_t n, float std, rng_state *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = std * rng_normal(rng);
}

static void fill_value(float *x, size_t n, float value)
{
    for (size_t i = 0; i < n; i++)
        x[i] = value;
}

void model_init_weights(model *m, rng_state *rng)
{
    const float std = 0.02f;
    const float std_residual = 0.02f / sqrtf(2.0f * m->config.n_layer);
    model_params *p = &m->params;
    const size_t *s = m->param_sizes;
    fill_normal(p->wte, s[0], std, rng);
    fill_normal(p->wpe, s[1], std, rng);
    fill_value(p->ln1w, s[2], 1.0f);
    fill_value(p->ln1b, s[3], 0.0f);
    fill_normal(p->qkvw, s[4], std, rng);
    fill_value(p->qkvb, s[5], 0.0f);
    fill_normal(p->attprojw, s[6], std_residual, rng);
    fill_value(p->attprojb, s[7], 0.0f);
    fill_value(p->ln2w, s[8], 1.0f);
    fill_value(p->ln2b, s[9], 0.0f);
    fill_normal(p->fcw, s[10], std, rng);
    fill_value(p->fcb, s[11], 0.0f);
    fill_normal(p->fcprojw, s[12], std_residual, rng);
    fill_value(p->fcprojb, s[13], 0.0f);
    fill_value(p->lnfw, s[14], 1.0f);
    fill_value(p->lnfb, s[15], 0.0f);
}

double model_forward(model *m, const uint8_t *inputs, const uint8_t *targets, int B)
{
    const int L = m->config.n_layer, C = m->config.d_model, NH = m->config.n_head;
    const int T = m->config.n_ctx, V = MODEL_VOCAB;
    const int64_t BT = (int64_t)B * T;
    /* the activations hold max_batch sequences: a larger batch would write past them */
    SCALESWEEP_ASSERT(B >= 1 && B <= m->max_batch);
    model_params *p = &m->params;
    model_acts *a = &m->acts;
    m->batch = B;
    m->inputs = inputs;
    m->targets = targets;

    encoder_forward(a->encoded, inputs, p->wte, p->wpe, B, T, C);
    for (int l = 0; l < L; l++) {
        const float *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BT * C;
        float *ln1 = a->ln1 + l * BT * C;
        float *ln1_mean = a->ln1_mean + l * BT, *ln1_rstd = a->ln1_rstd + l * BT;
        float *qkv = a->qkv + l * BT * 3 * C;
        float *atty = a->atty + l * BT * C;
        float *att = a->att + (int64_t)l * B * NH * T * T;
        float *residual2 = a->residual2 + l * BT * C;
        float *ln2 = a->ln2 + l * BT * C;
        float *ln2_mean = a->ln2_mean + l * BT, *ln2_rstd = a->ln2_rstd + l * BT;
        float *fch = a->fch + l * BT * 4 * C;
        float *fch_gelu = a->fch_gelu + l * BT * 4 * C;
        float *residual3 = a->residual3 + l * BT * C;

        layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, p->ln1w + l * C, p->ln1b + l * C,
                          (int)BT, C);
        matmul_forward(qkv, ln1, p->qkvw + (int64_t)l * 3 * C * C, p->qkvb + l * 3 * C, NULL,
                       (int)BT, C, 3 * C);
        attention_forward(atty, att, qkv, B, T, C, NH);
        matmul_forward(residual2, atty, p->attprojw + (int64_t)l * C * C, p->attprojb + l * C,
                       residual, (int)BT, C, C);
        layernorm_forward(ln2, ln2_mean, ln2_rstd, residual2, p->ln2w + l * C, p->ln2b + l * C,
                          (int)BT, C);
        matmul_forward(fch, ln2, p->fcw + (int64_t)l * 4 * C * C, p->fcb + l * 4 * C, NULL,
                       (int)BT, C, 4 * C);
        gelu_forward(fch_gelu, fch, BT * 4 * C);
        matmul_forward(residual3, fch_gelu, p->fcprojw + (int64_t)l * C * 4 * C,
                       p->fcprojb + l * C, residual2, (int)BT, 4 * C, C);
    }
    const float *last = a->residual3 + (L - 1) * BT * C;
    layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, last, p->lnfw, p->lnfb, (int)BT, C);
    /* tied head: logits(BT,V) = lnf(BT,C) * wte(V,C)^T */
    matmul_forward(a->logits, a->lnf, p->wte, NULL, NULL, (int)BT, C, V);
    if (!targets)
        return 0.0;
    return crossentropy_forward(a->losses, a->probs, a->logits, targets, (int)BT, V);
}

void model_swap_grads(model *m, float **buffer)
{
    float *mine = m->grads_memory;
    m->grads_memory = *buffer;
    *buffer = mine;
    point_params(&m->grads, m->grads_memory, m->param_sizes);
}

optim_params model_optim_params(model *m)
{
    return (optim_params){m->params_memory, m->grads_memory,   m->m_memory,    m->v_memory,
                          m->num_params,    MODEL_NUM_TENSORS, m->param_sizes, tensor_decays};
}

void model_backward(model *m)
{
    const int L = m->config.n_layer, C = m->config.d_model, NH = m->config.n_head;
    const int T = m->config.n_ctx, V = MODEL_VOCAB;
    const int B = m->batch;
    const int64_t BT = (int64_t)B * T;
    model_params *p = &m->params, *g = &m->grads;
    model_acts *a = &m->acts;
    model_scratch *s = &m->scratch;

    /* Every gradient is written, not added to: the matrices' and biases' by products with
     * beta 0 (nothing to clear, and nothing read: the widest buffers of a small model), the
     * small tensors that take sums (the layernorms', wpe's) cleared first. */
    float *tensor = m->grads_memory;
    for (int i = 0; i < MODEL_NUM_TENSORS; tensor += m->param_sizes[i], i++)
        if (tensor_summed[i])
            memset(tensor, 0, sizeof(float) * m->param_sizes[i]);

    /* mean loss: each position's loss has weight 1/(B*T) */
    float *dlogits = a->logits;
    crossentropy_backward(dlogits, a->probs, m->targets, 1.0f / (float)BT, (int)BT, V);
    matmul_backward(s->dchannels, g->wte, NULL, dlogits, a->lnf, p->wte, (int)BT, C, V, 0.0f);
    memset(s->dresidual, 0, sizeof(float) * BT * C);
    const float *last = a->residual3 + (L - 1) * BT * C;
    layernorm_backward(s->dresidual, g->lnfw, g->lnfb, s->dchannels, last, p->lnfw,
                       a->lnf_mean, a->lnf_rstd, (int)BT, C);

    for (int l = L - 1; l >= 0; l--) {
        const float *residual = l == 0 ? a->encoded : a->residual3 + (l - 1) * BT * C;
        const float *ln1 = a->ln1 + l * BT * C;
        const float *ln1_mean = a->ln1_mean + l * BT, *ln1_rstd = a->ln1_rstd + l * BT;
        const float *qkv = a->qkv + l * BT * 3 * C;
        const float *atty = a->atty + l * BT * C;
        const float *att = a->att + (int64_t)l * B * NH * T * T;
        const float *residual2 = a->residual2 + l * BT * C;
        const float *ln2 = a->ln2 + l * BT * C;
        const float *ln2_mean = a->ln2_mean + l * BT, *ln2_rstd = a->ln2_rstd + l * BT;
        const float *fch = a->fch + l * BT * 4 * C;
        const float *fch_gelu = a->fch_gelu + l * BT * 4 * C;

        /* MLP: dresidual holds d(residual3), which flows unchanged into d(residual2) */
        matmul_backward(s->dfch, g->fcprojw + (int64_t)l * C * 4 * C, g->fcprojb + l * C,
                        s->dresidual, fch_gelu, p->fcprojw + (int64_t)l * C * 4 * C, (int)BT, 4 * C,
                        C, 0.0f);
        gelu_backward(s->dfch, fch, s->dfch, BT * 4 * C);
        matmul_backward(s->dchannels, g->fcw + (int64_t)l * 4 * C * C, g->fcb + l * 4 * C, s->dfch,
                        ln2, p->fcw + (int64_t)l * 4 * C * C, (int)BT, C, 4 * C, 0.0f);
        layernorm_backward(s->dresidual, g->ln2w + l * C, g->ln2b + l * C, s->dchannels,
                           residual2, p->ln2w + l * C, ln2_mean, ln2_rstd, (int)BT, C);

        /* attention: dresidual now holds d(residual2) */
        matmul_backward(s->dchannels, g->attprojw + (int64_t)l * C * C, g->attprojb + l * C,
                        s->dresidual, atty, p->attprojw + (int64_t)l * C * C, (int)BT, C, C, 0.0f);
        memset(s->dqkv, 0, sizeof(float) * BT * 3 * C);
        attention_backward(s->dqkv, s->dchannels, qkv, att, s->datt, B, T, C, NH);
        matmul_backward(s->dchannels, g->qkvw + (int64_t)l * 3 * C * C, g->qkvb + l * 3 * C,
                        s->dqkv, ln1, p->qkvw + (int64_t)l * 3 * C * C, (int)BT, C, 3 * C, 0.0f);
        layernorm_backward(s->dresidual, g->ln1w + l * C, g->ln1b + l * C, s->dchannels,
                           residual, p->ln1w + l * C, ln1_mean, ln1_rstd, (int)BT, C);
    }
    encoder_backward(g->wte, g->wpe, s->dresidual, m->inputs, B, T, C);
}

/* ---- the lean forward of evaluation ---- */

#define EVAL_POSITIONS 512
#define EVAL_MAX_FLOATS ((int64_t)1 << 24)

#define NUM_EVAL 10

/* The lean forward's float buffers, in model_eval's order: residual, ln, qkv, atty, fch,
 * logits, losses, mean, rstd (per position) and one window's attention. */
static void eval_sizes(const model_config *c, int windows, int64_t sizes[NUM_EVAL])
{
    const int64_t R = (int64_t)windows * c->n_ctx, C = c->d_model, T = c->n_ctx;
    const int64_t per_position[NUM_EVAL - 1] = {C, C, 3 * C, C, 4 * C, MODEL_VOCAB, 1, 1, 1};
    for (int i = 0; i < NUM_EVAL - 1; i++)
        sizes[i] = R * per_position[i];
    sizes[NUM_EVAL - 1] = (int64_t)c->n_head * T * T;
}

int model_eval_windows(const model_config *c)
{
    int64_t one[NUM_EVAL];
    eval_sizes(c, 1, one);
    int64_t by_positions = EVAL_POSITIONS / c->n_ctx;
    int64_t by_memory = EVAL_MAX_FLOATS / (buffers_sum(one, NUM_EVAL) - one[NUM_EVAL - 1]);
    int64_t w = by_positions < by_memory ? by_positions : by_memory;
    return w < 1 ? 1 : (int)w;
}

int64_t model_eval_count_floats(const model_config *c, int windows)
{
    int64_t sizes[NUM_EVAL];
    eval_sizes(c, windows, sizes);
    /* and the inputs and targets, in bytes, rounded up to floats */
    return buffers_sum(sizes, NUM_EVAL) + ((int64_t)windows * c->n_ctx * 2 + 3) / 4;
}

int model_eval_init(model_eval *e, const model_config *c, int windows)
{
    memset(e, 0, sizeof *e);
    const int64_t R = (int64_t)windows * c->n_ctx;
    int64_t sizes[NUM_EVAL];
    eval_sizes(c, windows, sizes);
    e->max_windows = windows;
    e->memory = malloc(sizeof(float) * (size_t)buffers_sum(sizes, NUM_EVAL));
    e->inputs = malloc((size_t)R);
    e->targets = malloc((size_t)R);
    if (!e->memory || !e->inputs || !e->targets) {
        model_eval_free(e);
        return -1;
    }
    float **const fields[NUM_EVAL] = {&e->residual, &e->ln,     &e->qkv,  &e->atty, &e->fch,
                                      &e->logits,   &e->losses, &e->mean, &e->rstd, &e->att};
    buffers_point(e->memory, fields, sizes, NUM_EVAL);
    return 0;
}

void model_eval_free(model_eval *e)
{
    free(e->memory);
    free(e->inputs);
    free(e->targets);
    memset(e, 0, sizeof *e);
}

void model_evaluate(const model *m, model_eval *e, const uint8_t *const *starts, int count,
                    double *losses)
{
    const int L = m->config.n_layer, C = m->config.d_model, NH = m->config.n_head;
    const int T = m->config.n_ctx, V = MODEL_VOCAB;
    SCALESWEEP_ASSERT(count >= 1 && count <= e->max_windows);
    const int R = count * T;
    const model_params *p = &m->params;
    for (int w = 0; w < count; w++) {
        memcpy(e->inputs + (int64_t)w * T, starts[w], (size_t)T);
        memcpy(e->targets + (int64_t)w * T, starts[w] + 1, (size_t)T);
    }
    encoder_forward(e->residual, e->inputs, p->wte, p->wpe, count, T, C);
    for (int l = 0; l < L; l++) {
        layernorm_forward(e->ln, e->mean, e->rstd, e->residual, p->ln1w + l * C, p->ln1b + l * C, R,
                          C);
        matmul_forward(e->qkv, e->ln, p->qkvw + (int64_t)l * 3 * C * C, p->qkvb + l * 3 * C, NULL,
                       R, C, 3 * C);
        for (int w = 0; w < count; w++)
            attention_forward(e->atty + (int64_t)w * T * C, e->att, e->qkv + (int64_t)w * T * 3 * C,
                              1, T, C, NH);
        matmul_forward(e->residual, e->atty, p->attprojw + (int64_t)l * C * C, p->attprojb + l * C,
                       e->residual, R, C, C);
        layernorm_forward(e->ln, e->mean, e->rstd, e->residual, p->ln2w + l * C, p->ln2b + l * C, R,
                          C);
        matmul_forward(e->fch, e->ln, p->fcw + (int64_t)l * 4 * C * C, p->fcb + l * 4 * C, NULL, R,
                       C, 4 * C);
        gelu_forward(e->fch, e->fch, (int64_t)R * 4 * C);
        matmul_forward(e->residual, e->fch, p->fcprojw + (int64_t)l * C * 4 * C, p->fcprojb + l * C,
                       e->residual, R, 4 * C, C);
    }
    layernorm_forward(e->ln, e->mean, e->rstd, e->residual, p->lnfw, p->lnfb, R, C);
    matmul_forward(e->logits, e->ln, p->wte, NULL, NULL, R, C, V);
    crossentropy_losses(e->losses, e->logits, e->targets, R, V);
    crossentropy_window_means(losses, e->losses, count, T);
}
