#include "net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "layers.h"

const char *const net_architecture_names[MODEL_ARCHITECTURES] = {
    [MODEL_TRANSFORMER] = "transformer", [MODEL_LSTM] = "lstm"};

int net_architecture_named(const char *name)
{
    for (int a = 0; a < MODEL_ARCHITECTURES; a++)
        if (strcmp(name, net_architecture_names[a]) == 0)
            return a;
    return -1;
}

static lstm_config lstm_of(const model_config *c)
{
    return (lstm_config){c->n_layer, c->d_model, c->n_ctx};
}

/* Evaluation takes 512 positions' worth of windows at once (model_eval_windows says why); the
 * LSTM's recurrent products then have that many rows. */
#define NET_EVAL_POSITIONS 512

/* ---- the table: one entry per architecture ---- */

typedef struct {
    const char *(*config_error)(const model_config *c);
    int64_t (*count_total)(const model_config *c);
    int64_t (*count_nonembedding)(const model_config *c);
    double (*width_for_nonembedding)(int n_layer, double target);
    /* the FLOPs per token Kaplan adds to 6N for attention */
    double (*attention_flops)(const model_config *c);
    double (*floats_real)(const model_config *c, int max_batch, int windows);
    int (*eval_windows)(const model_config *c);
    int (*init)(net *n, int max_batch, int windows);
    void (*free)(net *n);
    void (*init_weights)(net *n, rng_state *rng);
    double (*forward)(net *n, const uint8_t *inputs, const uint8_t *targets, int B);
    void (*backward)(net *n);
    void (*swap_grads)(net *n, float **buffer);
    optim_params (*optim_params)(net *n);
    /* each window's mean loss, leaving the (count, T) losses where it returns them */
    const float *(*evaluate)(net *n, const uint8_t *const *starts, int count, double *losses);
} net_ops;

/* the transformer (model.h) */

static const char *transformer_error(const model_config *c)
{
    return model_config_error(c);
}
static double transformer_attention_flops(const model_config *c)
{
    return 6.0 * c->n_layer * (double)c->n_ctx * c->d_model;
}
static double transformer_floats(const model_config *c, int max_batch, int windows)
{
    return model_floats_real(c, max_batch) + (double)model_eval_count_floats(c, windows);
}
static int transformer_init(net *n, int max_batch, int windows)
{
    if (model_init(&n->transformer, &n->config, max_batch) != 0)
        return -1;
    return model_eval_init(&n->eval, &n->config, windows);
}
static void transformer_free(net *n)
{
    model_free(&n->transformer);
    model_eval_free(&n->eval);
}
static void transformer_init_weights(net *n, rng_state *rng)
{
    model_init_weights(&n->transformer, rng);
}
static double transformer_forward(net *n, const uint8_t *inputs, const uint8_t *targets, int B)
{
    return model_forward(&n->transformer, inputs, targets, B);
}
static void transformer_backward(net *n)
{
    model_backward(&n->transformer);
}
static void transformer_swap_grads(net *n, float **buffer)
{
    model_swap_grads(&n->transformer, buffer);
}
static optim_params transformer_optim_params(net *n)
{
    return model_optim_params(&n->transformer);
}
static const float *transformer_evaluate(net *n, const uint8_t *const *starts, int count,
                                         double *losses)
{
    model_evaluate(&n->transformer, &n->eval, starts, count, losses);
    return n->eval.losses;
}

/* the LSTM (lstm.h) */

static const char *lstm_error(const model_config *c)
{
    if (c->n_head != 0)
        return "an LSTM has no attention heads: its shape is n_layer x d_model (n_head 0)";
    const lstm_config l = lstm_of(c);
    return lstm_config_error(&l);
}
static int64_t lstm_total(const model_config *c)
{
    const lstm_config l = lstm_of(c);
    return lstm_count_total(&l);
}
static int64_t lstm_nonembedding(const model_config *c)
{
    const lstm_config l = lstm_of(c);
    return lstm_count_nonembedding(&l);
}
static double lstm_attention_flops(const model_config *c)
{
    (void)c;
    return 0.0;
}
static double lstm_floats(const model_config *c, int max_batch, int windows)
{
    /* one network holds both: its batch is the larger of training's and evaluation's */
    const lstm_config l = lstm_of(c);
    return lstm_floats_real(&l, max_batch > windows ? max_batch : windows) +
           2.0 * (double)windows * c->n_ctx / sizeof(float);
}
static int lstm_windows(const model_config *c)
{
    const int windows = NET_EVAL_POSITIONS / c->n_ctx;
    return windows > 1 ? windows : 1;
}
static int lstm_net_init(net *n, int max_batch, int windows)
{
    const lstm_config l = lstm_of(&n->config);
    if (lstm_init(&n->lstm, &l, max_batch > windows ? max_batch : windows) != 0)
        return -1;
    const size_t bytes = (size_t)windows * (size_t)n->config.n_ctx;
    n->eval_inputs = malloc(bytes);
    n->eval_targets = malloc(bytes);
    return n->eval_inputs && n->eval_targets ? 0 : -1;
}
static void lstm_net_free(net *n)
{
    lstm_free(&n->lstm);
    free(n->eval_inputs);
    free(n->eval_targets);
}
static void lstm_net_init_weights(net *n, rng_state *rng)
{
    lstm_init_weights(&n->lstm, rng);
}
static double lstm_net_forward(net *n, const uint8_t *inputs, const uint8_t *targets, int B)
{
    return lstm_forward(&n->lstm, inputs, targets, B);
}
static void lstm_net_backward(net *n)
{
    lstm_backward(&n->lstm);
}
static void lstm_net_swap_grads(net *n, float **buffer)
{
    lstm_swap_grads(&n->lstm, buffer);
}
static optim_params lstm_net_optim_params(net *n)
{
    return lstm_optim_params(&n->lstm);
}
static const float *lstm_net_evaluate(net *n, const uint8_t *const *starts, int count,
                                      double *losses)
{
    const int T = n->config.n_ctx;
    for (int w = 0; w < count; w++) {
        memcpy(n->eval_inputs + (int64_t)w * T, starts[w], (size_t)T);
        memcpy(n->eval_targets + (int64_t)w * T, starts[w] + 1, (size_t)T);
    }
    lstm_forward(&n->lstm, n->eval_inputs, n->eval_targets, count);
    crossentropy_window_means(losses, n->lstm.acts.losses, count, T);
    return n->lstm.acts.losses;
}

static const net_ops table[MODEL_ARCHITECTURES] = {
    [MODEL_TRANSFORMER] = {transformer_error, model_count_total, model_count_nonembedding,
                           model_width_for_nonembedding, transformer_attention_flops,
                           transformer_floats, model_eval_windows, transformer_init,
                           transformer_free, transformer_init_weights, transformer_forward,
                           transformer_backward, transformer_swap_grads, transformer_optim_params,
                           transformer_evaluate},
    [MODEL_LSTM] = {lstm_error, lstm_total, lstm_nonembedding, lstm_width_for_nonembedding,
                    lstm_attention_flops, lstm_floats, lstm_windows, lstm_net_init, lstm_net_free,
                    lstm_net_init_weights, lstm_net_forward, lstm_net_backward, lstm_net_swap_grads,
                    lstm_net_optim_params, lstm_net_evaluate},
};

static const net_ops *ops(const model_config *c)
{
    SCALESWEEP_ASSERT(c->architecture >= 0 && c->architecture < MODEL_ARCHITECTURES);
    return &table[c->architecture];
}

/* ---- counts and costs ---- */

const char *net_config_error(const model_config *c)
{
    if (c->architecture < 0 || c->architecture >= MODEL_ARCHITECTURES)
        return "architecture must be transformer or lstm";
    return ops(c)->config_error(c);
}

int64_t net_count_nonembedding(const model_config *c)
{
    return ops(c)->count_nonembedding(c);
}

int64_t net_count_total(const model_config *c)
{
    return ops(c)->count_total(c);
}

const char *net_shape(const model_config *c, char *out, size_t size)
{
    if (c->architecture == MODEL_LSTM)
        snprintf(out, size, "%dx%d", c->n_layer, c->d_model);
    else
        snprintf(out, size, "%dx%dx%d", c->n_layer, c->d_model, c->n_head);
    return out;
}

double net_width_for_nonembedding(int architecture, int n_layer, double target)
{
    const model_config c = {.architecture = architecture};
    return ops(&c)->width_for_nonembedding(n_layer, target);
}

double net_flops_per_token(const model_config *c)
{
    return 6.0 * (double)net_count_nonembedding(c);
}

double net_flops_per_token_forward(const model_config *c)
{
    return 2.0 * (double)net_count_nonembedding(c);
}

double net_flops_per_token_attention(const model_config *c)
{
    return net_flops_per_token(c) + ops(c)->attention_flops(c);
}

int net_eval_windows(const model_config *c)
{
    return ops(c)->eval_windows(c);
}

double net_floats_real(const model_config *c, int max_batch)
{
    return ops(c)->floats_real(c, max_batch, net_eval_windows(c));
}

int64_t net_count_floats(const model_config *c, int max_batch)
{
    return (int64_t)net_floats_real(c, max_batch);
}

/* ---- a network ---- */

int net_init(net *n, const model_config *c, int max_batch, int windows)
{
    memset(n, 0, sizeof *n);
    n->config = *c;
    n->eval_windows = windows;
    n->num_params = net_count_total(c);
    if (ops(c)->init(n, max_batch, windows) != 0) {
        net_free(n);
        return -1;
    }
    return 0;
}

void net_free(net *n)
{
    if (n->num_params > 0)
        ops(&n->config)->free(n);
    memset(n, 0, sizeof *n);
}

void net_init_weights(net *n, rng_state *rng)
{
    ops(&n->config)->init_weights(n, rng);
}

double net_forward(net *n, const uint8_t *inputs, const uint8_t *targets, int B)
{
    return ops(&n->config)->forward(n, inputs, targets, B);
}

void net_backward(net *n)
{
    ops(&n->config)->backward(n);
}

void net_swap_grads(net *n, float **buffer)
{
    ops(&n->config)->swap_grads(n, buffer);
}

optim_params net_optim_params(net *n)
{
    return ops(&n->config)->optim_params(n);
}

void net_evaluate(net *n, const uint8_t *const *starts, int count, double *losses,
                  double *position_losses)
{
    SCALESWEEP_ASSERT(count >= 1 && count <= n->eval_windows);
    const float *each = ops(&n->config)->evaluate(n, starts, count, losses);
    const int64_t T = n->config.n_ctx;
    for (int64_t i = 0; position_losses && i < count * T; i++)
        position_losses[i] = each[i];
}
