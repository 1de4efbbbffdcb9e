/* The trainer table: what a training run needs of a network, one entry per architecture.
 *
 * train.c (the run loop, data parallelism, evaluation, early stopping, divergence) and
 * run_checkpoint.c see a network only through these functions, so every architecture is
 * trained, evaluated, checkpointed and run wide by the same code. A configuration
 * (model_config) names its architecture; its counts (N, N_total, FLOPs) and its validity are
 * asked here too, by the plan, the orchestrator and the CLI alike, so that each formula has
 * one owner: model.c for the transformer, lstm.c for the LSTM.
 *
 * Architectures (docs/plan.md, [model] architecture):
 *   transformer  model.h: GPT-style, n_layer x d_model x n_head
 *   lstm         lstm.h: n_layer LSTM layers of width d_model (n_head unused, 0) */
#ifndef SCALESWEEP_NET_H
#define SCALESWEEP_NET_H

#include <stddef.h>
#include <stdint.h>

#include "lstm.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

/* "transformer", "lstm", in model_config.architecture's order */
extern const char *const net_architecture_names[MODEL_ARCHITECTURES];
/* The architecture of that name, or -1. */
int net_architecture_named(const char *name);

/* A configuration's counts and costs, whatever its architecture. */
const char *net_config_error(const model_config *c);   /* NULL when valid */
int64_t net_count_nonembedding(const model_config *c); /* N */
int64_t net_count_total(const model_config *c);        /* N_total */
/* The shape as plans write it: n_layer x d_model x n_head for the transformer ("4x128x4"),
 * n_layer x d_model for the LSTM ("2x256"). Returns out. */
#define NET_SHAPE_SIZE 48
const char *net_shape(const model_config *c, char *out, size_t size);
/* The real d_model at which n_layer layers have N = target (the inverse of the count). */
double net_width_for_nonembedding(int architecture, int n_layer, double target);
/* 6N per trained token (C = 6ND), 2N per evaluated one. */
double net_flops_per_token(const model_config *c);
double net_flops_per_token_forward(const model_config *c);
/* Kaplan's count with attention, 6N + 6 n_layer n_ctx d_model for the transformer; 6N for
 * the LSTM, which has no attention. */
double net_flops_per_token_attention(const model_config *c);
/* Floats a network training max_batch sequences at once holds (parameters, gradients, both
 * moments, activations, scratch) and its evaluation's: in double, for the size limit. */
double net_floats_real(const model_config *c, int max_batch);
/* The same as a count, the evaluation's included. */
int64_t net_count_floats(const model_config *c, int max_batch);
/* Windows one evaluation call takes at once: a function of the configuration only, so that
 * every member of a wide run groups the windows alike. */
int net_eval_windows(const model_config *c);

typedef struct net {
    model_config config;
    int64_t num_params; /* N_total: the length of each of the four buffers */
    model transformer;  /* the architecture's own state: one of these is in use */
    model_eval eval;    /* the transformer's lean forward */
    lstm lstm;
    uint8_t *eval_inputs;  /* (W, T) the LSTM's evaluation windows */
    uint8_t *eval_targets; /* (W, T) */
    int eval_windows;      /* W: what net_evaluate takes at most */
} net;

/* Allocates a network for training max_batch sequences at once and evaluating up to
 * `windows` windows at once (at most net_eval_windows). 0, or -1 when out of memory; the
 * parameters are zero until net_init_weights. */
int net_init(net *n, const model_config *c, int max_batch, int windows);
void net_free(net *n);
/* The architecture's initialisation, drawn from the stream in parameter order. */
void net_init_weights(net *n, rng_state *rng);
/* inputs, targets (B, T), B <= max_batch: the mean loss over B T positions (nats). The arrays
 * stay alive until net_backward, which writes d(mean loss)/d(params) into the gradients. */
double net_forward(net *n, const uint8_t *inputs, const uint8_t *targets, int B);
void net_backward(net *n);
/* Exchanges the gradient buffer with *buffer (num_params floats), setting it aside uncopied. */
void net_swap_grads(net *n, float **buffer);
/* The four buffers as the optimiser (and a checkpoint) takes them: after a swap, anew. */
optim_params net_optim_params(net *n);
/* The mean loss of each of count <= eval_windows windows, window i reading starts[i][0, T)
 * as inputs and starts[i][1, T] as targets; with position_losses (count x T) not NULL, the
 * loss at each position of each window too. */
void net_evaluate(net *n, const uint8_t *const *starts, int count, double *losses,
                  double *position_losses);

#endif
