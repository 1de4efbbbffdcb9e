/* The LSTM language model (lstm.h): its parameter count, one cell's gradients and every
 * gradient of the whole model's mean loss against central finite differences, batch
 * independence, and the same bits from the same seed through initialisation and AdamW. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net_check.h"
#include "lstm.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

static void test_counts(void)
{
    const lstm_config shapes[] = {{1, 8, 16}, {2, 64, 128}, {4, 200, 64}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const lstm_config *c = &shapes[k];
        const int64_t L = c->n_layer, C = c->d_model;
        check(lstm_count_nonembedding(c) == L * (8 * C * C + 8 * C),
              "N of %dx%d: %lld, want L (8 C^2 + 8 C)", c->n_layer, c->d_model,
              (long long)lstm_count_nonembedding(c));
        check(lstm_count_total(c) == lstm_count_nonembedding(c) + MODEL_VOCAB * C,
              "N_total of %dx%d adds the embedding alone", c->n_layer, c->d_model);
        const double width =
            lstm_width_for_nonembedding(c->n_layer, (double)lstm_count_nonembedding(c));
        check(fabs(width - C) < 1e-6 * C, "width for N of %dx%d: %.9g", c->n_layer, c->d_model,
              width);
    }
    const lstm_config bad[] = {{0, 8, 16}, {1, 0, 16}, {1, 8, 1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        check(lstm_config_error(&bad[k]) != NULL, "configuration %zu is refused", k);
}

/* loss = sum of wh h + wc c over one step, from pre-activations and c_prev */
static double cell_loss(const float *pre, const float *c_prev, const float *wh, const float *wc,
                        int B, int C)
{
    float g[2 * 4 * 5], c[2 * 5], t[2 * 5], h[2 * 5];
    memcpy(g, pre, sizeof(float) * B * 4 * C);
    lstm_cell_forward(g, 4 * C, c_prev, c, t, h, C, B, C);
    double loss = 0.0;
    for (int i = 0; i < B * C; i++)
        loss += (double)wh[i] * h[i] + (double)wc[i] * c[i];
    return loss;
}

static void test_cell(void)
{
    enum { B = 2, C = 5 };
    rng_state rng;
    rng_seed(&rng, 3, 0);
    float pre[B * 4 * C], c_prev[B * C], wh[B * C], wc[B * C];
    for (int i = 0; i < B * 4 * C; i++)
        pre[i] = 1.5f * rng_normal(&rng);
    for (int i = 0; i < B * C; i++) {
        c_prev[i] = rng_normal(&rng);
        wh[i] = rng_normal(&rng);
        wc[i] = rng_normal(&rng);
    }
    for (int first = 0; first < 2; first++) { /* first step: c_prev is zero (NULL) */
        const float *cp = first ? NULL : c_prev;
        float gates[B * 4 * C], c[B * C], t[B * C], h[B * C], dpre[B * 4 * C], dc[B * C];
        memcpy(gates, pre, sizeof gates);
        lstm_cell_forward(gates, 4 * C, cp, c, t, h, C, B, C);
        memcpy(dc, wc, sizeof dc); /* d(loss)/d(c_t) from outside the cell */
        lstm_cell_backward(dpre, 4 * C, wh, dc, gates, cp, t, C, B, C);
        float numeric[B * 4 * C], numeric_c[B * C];
        const float step = 1e-2f;
        for (int i = 0; i < B * 4 * C; i++) {
            float x[B * 4 * C];
            memcpy(x, pre, sizeof x);
            x[i] = pre[i] + step;
            const double up = cell_loss(x, cp, wh, wc, B, C);
            x[i] = pre[i] - step;
            const double down = cell_loss(x, cp, wh, wc, B, C);
            numeric[i] = (float)((up - down) / (2.0 * step));
        }
        check_arrays(first ? "cell d(pre), first step" : "cell d(pre)", dpre, numeric, B * 4 * C,
                     1e-4, 5e-3);
        if (first)
            continue;
        for (int i = 0; i < B * C; i++) {
            float x[B * C];
            memcpy(x, c_prev, sizeof x);
            x[i] = c_prev[i] + step;
            const double up = cell_loss(pre, x, wh, wc, B, C);
            x[i] = c_prev[i] - step;
            const double down = cell_loss(pre, x, wh, wc, B, C);
            numeric_c[i] = (float)((up - down) / (2.0 * step));
        }
        check_arrays("cell d(c_prev)", dc, numeric_c, B * C, 1e-4, 5e-3);
    }
}

static void test_model(void)
{
    enum { B = 2, T = 6 };
    const model_config config = {2, 8, 0, T, MODEL_LSTM};
    net n;
    check(net_init(&n, &config, B, 1) == 0, "net_init");
    lstm *m = &n.lstm;
    rng_state rng;
    rng_seed(&rng, 11, 0);
    /* larger than the init, biases off zero, so every gradient is well above the noise */
    for (int64_t i = 0; i < m->num_params; i++)
        m->params_memory[i] = 0.3f * rng_normal(&rng);
    uint8_t inputs[B * T], targets[B * T];
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (uint8_t)rng_below(&rng, 256);
        targets[i] = (uint8_t)rng_below(&rng, 256);
    }
    inputs[3] = inputs[8]; /* an embedding row used twice */
    check_net_gradients(&n, inputs, targets, B, "lstm", lstm_tensor_name);
    /* b_hh enters as b_ih does */
    check(memcmp(m->grads.bih, m->grads.bhh, sizeof(float) * m->param_sizes[3]) == 0,
          "d(b_hh) = d(b_ih)");
    net_free(&n);
}

/* Three steps of forward, backward, clipping and AdamW from lstm_init_weights. */
static void train_three(lstm *m, uint64_t seed, const uint8_t *inputs, const uint8_t *targets,
                        int B)
{
    rng_state rng;
    rng_seed(&rng, seed, 0);
    lstm_init_weights(m, &rng);
    memset(m->m_memory, 0, sizeof(float) * m->num_params);
    memset(m->v_memory, 0, sizeof(float) * m->num_params);
    const optim_config c = {3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, 1, 3, 0.1f};
    for (int step = 0; step < 3; step++) {
        lstm_forward(m, inputs, targets, B);
        lstm_backward(m);
        const optim_params p = lstm_optim_params(m);
        optim_clip_gradients(&p, c.grad_clip);
        optim_adamw_update(&p, &c, optim_lr(&c, step), step + 1);
    }
}

static void test_same_bits(void)
{
    enum { B = 3, T = 16 };
    const lstm_config config = {2, 16, T};
    lstm one, two;
    check(lstm_init(&one, &config, B) == 0 && lstm_init(&two, &config, B) == 0, "lstm_init");
    uint8_t inputs[B * T + 1];
    rng_state rng;
    rng_seed(&rng, 5, 1);
    for (int i = 0; i <= B * T; i++)
        inputs[i] = (uint8_t)(32 + rng_below(&rng, 64));
    train_three(&one, 7, inputs, inputs + 1, B);
    train_three(&two, 7, inputs, inputs + 1, B);
    check(memcmp(one.params_memory, two.params_memory, sizeof(float) * one.num_params) == 0 &&
              memcmp(one.v_memory, two.v_memory, sizeof(float) * one.num_params) == 0,
          "same seed, same bits after three AdamW steps");
    train_three(&two, 8, inputs, inputs + 1, B);
    check(memcmp(one.params_memory, two.params_memory, sizeof(float) * one.num_params) != 0,
          "another seed, other weights");
    /* the init: the forget gate's b_ih is 1, every other bias 0, weights within 1/sqrt(C) */
    rng_seed(&rng, 7, 0);
    lstm_init_weights(&one, &rng);
    int biases = 1, bounded = 1;
    for (int l = 0; l < config.n_layer; l++)
        for (int j = 0; j < 4 * config.d_model; j++) {
            const float want = j / config.d_model == 1 ? 1.0f : 0.0f;
            biases &= one.params.bih[l * 4 * config.d_model + j] == want &&
                      one.params.bhh[l * 4 * config.d_model + j] == 0.0f;
        }
    for (size_t i = 0; i < one.param_sizes[1]; i++)
        bounded &= fabsf(one.params.wih[i]) <= 0.25f && fabsf(one.params.whh[i]) <= 0.25f;
    check(biases && bounded, "init: forget bias 1, others 0, weights within 1/sqrt(16)");
    double sum = 0.0, squares = 0.0;
    for (size_t i = 0; i < one.param_sizes[0]; i++) {
        sum += one.params.wte[i];
        squares += (double)one.params.wte[i] * one.params.wte[i];
    }
    const double n = (double)one.param_sizes[0], mean = sum / n;
    const double std = sqrt(squares / n - mean * mean);
    check(fabs(mean) < 0.05 && fabs(std - LSTM_EMBEDDING_STD) < 0.05,
          "init: the embedding is N(0, %g^2) (mean %.3f, std %.3f over %.0f)",
          (double)LSTM_EMBEDDING_STD, mean, std, n);
    lstm_free(&one);
    lstm_free(&two);
}

int main(void)
{
    test_counts();
    test_cell();
    test_model();
    test_same_bits();
    return test_report("test_lstm");
}
