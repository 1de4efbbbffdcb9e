#include "lstm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "buffers.h"
#include "dispatch.h"
#include "fastmath.h"
#include "layers.h"
#include "model.h"

static const char *const tensor_names[LSTM_NUM_TENSORS] = {"wte", "wih", "whh", "bih", "bhh"};
static const int tensor_decays[LSTM_NUM_TENSORS] = {1, 1, 1, 0, 0};

const char *lstm_tensor_name(int i)
{
    return tensor_names[i];
}
int lstm_tensor_decays(int i)
{
    return tensor_decays[i];
}

static void param_sizes(const lstm_config *c, size_t sizes[LSTM_NUM_TENSORS])
{
    const size_t L = (size_t)c->n_layer, C = (size_t)c->d_model;
    sizes[0] = MODEL_VOCAB * C; /* wte */
    sizes[1] = L * 4 * C * C;   /* wih */
    sizes[2] = L * 4 * C * C;   /* whh */
    sizes[3] = L * 4 * C;       /* bih */
    sizes[4] = L * 4 * C;       /* bhh */
}

int64_t lstm_count_total(const lstm_config *c)
{
    size_t sizes[LSTM_NUM_TENSORS];
    param_sizes(c, sizes);
    int64_t n = 0;
    for (int i = 0; i < LSTM_NUM_TENSORS; i++)
        n += (int64_t)sizes[i];
    return n;
}

int64_t lstm_count_nonembedding(const lstm_config *c)
{
    size_t sizes[LSTM_NUM_TENSORS];
    param_sizes(c, sizes);
    return lstm_count_total(c) - (int64_t)sizes[0];
}

double lstm_width_for_nonembedding(int n_layer, double target)
{
    /* n_layer (8 C^2 + 8 C) = target: the positive root in C */
    const double L = n_layer;
    return (-8.0 * L + sqrt(64.0 * L * L + 32.0 * L * target)) / (16.0 * L);
}

#define NUM_ACTS 8
#define NUM_SCRATCH 5

static void act_sizes(const lstm_config *c, int B, int64_t sizes[NUM_ACTS])
{
    const int64_t L = c->n_layer, C = c->d_model, BT = (int64_t)B * c->n_ctx;
    sizes[0] = BT * C;           /* encoded */
    sizes[1] = L * BT * 4 * C;   /* gates */
    sizes[2] = L * BT * C;       /* c */
    sizes[3] = L * BT * C;       /* tanh_c */
    sizes[4] = L * BT * C;       /* h */
    sizes[5] = BT * MODEL_VOCAB; /* logits */
    sizes[6] = BT * MODEL_VOCAB; /* probs */
    sizes[7] = BT;               /* losses */
}

static void scratch_sizes(const lstm_config *c, int B, int64_t sizes[NUM_SCRATCH])
{
    const int64_t C = c->d_model, BT = (int64_t)B * c->n_ctx;
    sizes[0] = BT * C;         /* dh */
    sizes[1] = BT * C;         /* dx */
    sizes[2] = BT * 4 * C;     /* dgates */
    sizes[3] = (int64_t)B * C; /* dh_next */
    sizes[4] = (int64_t)B * C; /* dc */
}

double lstm_floats_real(const lstm_config *c, int max_batch)
{
    int64_t acts[NUM_ACTS], scratch[NUM_SCRATCH];
    act_sizes(c, 1, acts);
    scratch_sizes(c, 1, scratch);
    double per_sequence = 0.0;
    for (int i = 0; i < NUM_ACTS; i++)
        per_sequence += (double)acts[i];
    for (int i = 0; i < NUM_SCRATCH; i++)
        per_sequence += (double)scratch[i];
    return 4.0 * (double)lstm_count_total(c) + (double)max_batch * per_sequence;
}

const char *lstm_config_error(const lstm_config *c)
{
    if (c->n_layer < 1)
        return "n_layer must be at least 1";
    if (c->d_model < 1)
        return "d_model must be at least 1";
    if (c->n_ctx < 2)
        return "n_ctx must be at least 2";
    if (c->d_model > 65536 || c->n_layer > 4096 || c->n_ctx > 65536)
        return "model dimensions are out of range";
    if (lstm_floats_real(c, 1) > MODEL_MAX_FLOATS)
        return "the model and one sequence's activations need more than 2^40 floats (4 TiB): "
               "lower n_layer, d_model or n_ctx";
    return NULL;
}

static void point_params(lstm_params *p, float *memory, const size_t sizes[LSTM_NUM_TENSORS])
{
    float **const fields[LSTM_NUM_TENSORS] = {&p->wte, &p->wih, &p->whh, &p->bih, &p->bhh};
    int64_t lengths[LSTM_NUM_TENSORS];
    for (int i = 0; i < LSTM_NUM_TENSORS; i++)
        lengths[i] = (int64_t)sizes[i];
    buffers_point(memory, fields, lengths, LSTM_NUM_TENSORS);
}

int lstm_init(lstm *m, const lstm_config *config, int max_batch)
{
    memset(m, 0, sizeof *m);
    m->config = *config;
    m->max_batch = max_batch;
    param_sizes(config, m->param_sizes);
    m->num_params = lstm_count_total(config);
    int64_t acts[NUM_ACTS], scratch[NUM_SCRATCH];
    act_sizes(config, max_batch, acts);
    scratch_sizes(config, max_batch, scratch);
    if (buffers_alloc(&(net_buffers){BUFFERS_OF(m)}, (size_t)m->num_params,
                      (size_t)buffers_sum(acts, NUM_ACTS),
                      (size_t)buffers_sum(scratch, NUM_SCRATCH)) != 0)
        return -1;
    point_params(&m->params, m->params_memory, m->param_sizes);
    point_params(&m->grads, m->grads_memory, m->param_sizes);
    float **const act_fields[NUM_ACTS] = {&m->acts.encoded, &m->acts.gates, &m->acts.c,
                                          &m->acts.tanh_c,  &m->acts.h,     &m->acts.logits,
                                          &m->acts.probs,   &m->acts.losses};
    buffers_point(m->acts_memory, act_fields, acts, NUM_ACTS);
    float **const scratch_fields[NUM_SCRATCH] = {&m->scratch.dh, &m->scratch.dx, &m->scratch.dgates,
                                                 &m->scratch.dh_next, &m->scratch.dc};
    buffers_point(m->scratch_memory, scratch_fields, scratch, NUM_SCRATCH);
    return 0;
}

void lstm_free(lstm *m)
{
    buffers_free(&(net_buffers){BUFFERS_OF(m)});
    memset(m, 0, sizeof *m);
}

void lstm_init_weights(lstm *m, rng_state *rng)
{
    const int L = m->config.n_layer, C = m->config.d_model;
    const float bound = 1.0f / sqrtf((float)C);
    lstm_params *p = &m->params;
    const size_t *s = m->param_sizes;
    for (size_t i = 0; i < s[0]; i++)
        p->wte[i] = LSTM_EMBEDDING_STD * rng_normal(rng);
    for (size_t i = 0; i < s[1]; i++)
        p->wih[i] = bound * (2.0f * rng_uniform(rng) - 1.0f);
    for (size_t i = 0; i < s[2]; i++)
        p->whh[i] = bound * (2.0f * rng_uniform(rng) - 1.0f);
    memset(p->bih, 0, sizeof(float) * s[3]);
    memset(p->bhh, 0, sizeof(float) * s[4]);
    for (int l = 0; l < L; l++)
        for (int j = 0; j < C; j++)
            p->bih[(int64_t)l * 4 * C + C + j] = 1.0f; /* the forget gate */
}

void lstm_swap_grads(lstm *m, float **buffer)
{
    float *mine = m->grads_memory;
    m->grads_memory = *buffer;
    *buffer = mine;
    point_params(&m->grads, m->grads_memory, m->param_sizes);
}

optim_params lstm_optim_params(lstm *m)
{
    return (optim_params){m->params_memory, m->grads_memory,  m->m_memory,    m->v_memory,
                          m->num_params,    LSTM_NUM_TENSORS, m->param_sizes, tensor_decays};
}

static inline float sigmoid(float x)
{
    return 1.0f / (1.0f + fast_expf(-x));
}

SCALESWEEP_HOT void lstm_cell_forward(float *pre, int ld, const float *c_prev, float *c,
                                      float *tanh_c, float *h, int ld_c, int B, int C)
{
    for (int b = 0; b < B; b++) {
        float *g = pre + (int64_t)b * ld;
        const float *cp = c_prev ? c_prev + (int64_t)b * ld_c : NULL;
        float *cb = c + (int64_t)b * ld_c, *tb = tanh_c + (int64_t)b * ld_c;
        float *hb = h + (int64_t)b * ld_c;
        for (int j = 0; j < C; j++) {
            const float i = sigmoid(g[j]), f = sigmoid(g[C + j]), gg = fast_tanhf(g[2 * C + j]),
                        o = sigmoid(g[3 * C + j]);
            g[j] = i;
            g[C + j] = f;
            g[2 * C + j] = gg;
            g[3 * C + j] = o;
            const float cell = (cp ? f * cp[j] : 0.0f) + i * gg;
            const float t = fast_tanhf(cell);
            cb[j] = cell;
            tb[j] = t;
            hb[j] = o * t;
        }
    }
}

SCALESWEEP_HOT void lstm_cell_backward(float *dpre, int ld, const float *dh, float *dc,
                                       const float *gates, const float *c_prev, const float *tanh_c,
                                       int ld_c, int B, int C)
{
    for (int b = 0; b < B; b++) {
        const float *g = gates + (int64_t)b * ld;
        float *d = dpre + (int64_t)b * ld;
        const float *dhb = dh + (int64_t)b * ld_c, *tb = tanh_c + (int64_t)b * ld_c;
        const float *cp = c_prev ? c_prev + (int64_t)b * ld_c : NULL;
        float *dcb = dc + (int64_t)b * C;
        for (int j = 0; j < C; j++) {
            const float i = g[j], f = g[C + j], gg = g[2 * C + j], o = g[3 * C + j];
            const float t = tb[j];
            const float dcell = dcb[j] + dhb[j] * o * (1.0f - t * t);
            const float cprev = cp ? cp[j] : 0.0f;
            d[j] = dcell * gg * i * (1.0f - i);
            d[C + j] = dcell * cprev * f * (1.0f - f);
            d[2 * C + j] = dcell * i * (1.0f - gg * gg);
            d[3 * C + j] = dhb[j] * t * o * (1.0f - o);
            dcb[j] = dcell * f;
        }
    }
}

double lstm_forward(lstm *m, const uint8_t *inputs, const uint8_t *targets, int B)
{
    const int L = m->config.n_layer, C = m->config.d_model, T = m->config.n_ctx;
    const int V = MODEL_VOCAB;
    const int64_t BT = (int64_t)B * T;
    SCALESWEEP_ASSERT(B >= 1 && B <= m->max_batch);
    const lstm_params *p = &m->params;
    lstm_acts *a = &m->acts;
    m->batch = B;
    m->inputs = inputs;
    m->targets = targets;

    for (int64_t i = 0; i < BT; i++)
        memcpy(a->encoded + i * C, p->wte + (int64_t)inputs[i] * C, sizeof(float) * C);
    for (int l = 0; l < L; l++) {
        const float *x = l == 0 ? a->encoded : a->h + (l - 1) * BT * C;
        float *gates = a->gates + l * BT * 4 * C;
        float *c = a->c + l * BT * C, *tanh_c = a->tanh_c + l * BT * C, *h = a->h + l * BT * C;
        const float *wih = p->wih + (int64_t)l * 4 * C * C, *whh = p->whh + (int64_t)l * 4 * C * C;
        const float *bih = p->bih + (int64_t)l * 4 * C, *bhh = p->bhh + (int64_t)l * 4 * C;
        /* the input projections of every position at once, then both biases */
        matmul_forward(gates, x, wih, bih, NULL, (int)BT, C, 4 * C);
        for (int64_t i = 0; i < BT; i++)
            for (int j = 0; j < 4 * C; j++)
                gates[i * 4 * C + j] += bhh[j];
        for (int t = 0; t < T; t++) {
            /* step t's B rows lie T rows apart */
            float *pre = gates + (int64_t)t * 4 * C;
            if (t > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, 4 * C, C, 1.0f,
                            h + (int64_t)(t - 1) * C, T * C, whh, C, 1.0f, pre, T * 4 * C);
            lstm_cell_forward(pre, T * 4 * C, t > 0 ? c + (int64_t)(t - 1) * C : NULL,
                              c + (int64_t)t * C, tanh_c + (int64_t)t * C, h + (int64_t)t * C,
                              T * C, B, C);
        }
    }
    /* tied head: logits(BT, V) = h_top(BT, C) wte(V, C)^T */
    matmul_forward(a->logits, a->h + (L - 1) * BT * C, p->wte, NULL, NULL, (int)BT, C, V);
    if (!targets)
        return 0.0;
    return crossentropy_forward(a->losses, a->probs, a->logits, targets, (int)BT, V);
}

void lstm_backward(lstm *m)
{
    const int L = m->config.n_layer, C = m->config.d_model, T = m->config.n_ctx;
    const int V = MODEL_VOCAB, B = m->batch;
    const int64_t BT = (int64_t)B * T;
    const lstm_params *p = &m->params;
    lstm_params *g = &m->grads;
    lstm_acts *a = &m->acts;
    lstm_scratch *s = &m->scratch;

    float *dlogits = a->logits;
    crossentropy_backward(dlogits, a->probs, m->targets, 1.0f / (float)BT, (int)BT, V);
    /* the head's share of wte's gradient is written here; the embedding's is added below */
    float *dh = s->dh, *dx = s->dx;
    matmul_backward(dh, g->wte, NULL, dlogits, a->h + (L - 1) * BT * C, p->wte, (int)BT, C, V,
                    0.0f);
    for (int l = L - 1; l >= 0; l--) {
        const float *x = l == 0 ? a->encoded : a->h + (l - 1) * BT * C;
        const float *gates = a->gates + l * BT * 4 * C;
        const float *c = a->c + l * BT * C, *tanh_c = a->tanh_c + l * BT * C;
        const float *h = a->h + l * BT * C;
        const float *wih = p->wih + (int64_t)l * 4 * C * C, *whh = p->whh + (int64_t)l * 4 * C * C;
        float *gwhh = g->whh + (int64_t)l * 4 * C * C;
        memset(s->dc, 0, sizeof(float) * B * C);
        for (int t = T - 1; t >= 0; t--) {
            float *dht = dh + (int64_t)t * C; /* rows T * C apart */
            if (t < T - 1)
                for (int b = 0; b < B; b++)
                    for (int j = 0; j < C; j++)
                        dht[(int64_t)b * T * C + j] += s->dh_next[(int64_t)b * C + j];
            float *dpre = s->dgates + (int64_t)t * 4 * C;
            lstm_cell_backward(dpre, T * 4 * C, dht, s->dc, gates + (int64_t)t * 4 * C,
                               t > 0 ? c + (int64_t)(t - 1) * C : NULL, tanh_c + (int64_t)t * C,
                               T * C, B, C);
            if (t > 0) /* dh_{t-1} from the recurrence: dpre(B, 4C) W_hh(4C, C) */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, C, 4 * C, 1.0f, dpre,
                            T * 4 * C, whh, C, 0.0f, s->dh_next, C);
        }
        /* dW_hh = sum over t >= 1 of dpre_t^T h_{t-1}: per sequence, rows 1..T-1 of dgates
         * against rows 0..T-2 of h */
        for (int b = 0; b < B; b++)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 4 * C, C, T - 1, 1.0f,
                        s->dgates + ((int64_t)b * T + 1) * 4 * C, 4 * C, h + (int64_t)b * T * C, C,
                        b == 0 ? 0.0f : 1.0f, gwhh, C);
        /* dW_ih, db_ih over every position, and d(inputs); b_hh's gradient is b_ih's */
        matmul_backward(dx, g->wih + (int64_t)l * 4 * C * C, g->bih + (int64_t)l * 4 * C, s->dgates,
                        x, wih, (int)BT, C, 4 * C, 0.0f);
        memcpy(g->bhh + (int64_t)l * 4 * C, g->bih + (int64_t)l * 4 * C, sizeof(float) * 4 * C);
        float *swap = dh;
        dh = dx;
        dx = swap;
    }
    /* dh now holds d(encoded): scatter it into the embedding rows */
    for (int64_t i = 0; i < BT; i++) {
        float *row = g->wte + (int64_t)m->inputs[i] * C;
        for (int j = 0; j < C; j++)
            row[j] += dh[i * C + j];
    }
}
