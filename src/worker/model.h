/* A GPT-style decoder-only transformer over bytes.
 *
 * Token and learned position embeddings, n_layer pre-LayerNorm blocks of causal
 * multi-head self-attention and a 4x GELU MLP, a final LayerNorm, and an output head
 * TIED to the token embedding (logits = lnf * wte^T), as in GPT-2. Tying keeps the
 * non-embedding count N free of a vocabulary-sized head.
 *
 * Legend: L n_layer, C d_model, NH n_head, T n_ctx (maxT), B batch, V vocabulary.
 *
 * Parameters, gradients and both AdamW moments live in four buffers of one layout
 * (model_params views), so the optimiser is one flat loop and a checkpoint is one array. */
#ifndef SCALESWEEP_MODEL_H
#define SCALESWEEP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "optim.h"
#include "rng.h"

#define MODEL_VOCAB 256

/* The architectures a configuration may name (net.h is the table of their functions). */
enum { MODEL_TRANSFORMER = 0, MODEL_LSTM, MODEL_ARCHITECTURES };

/* A network's configuration, whatever its architecture (net.h); this file's functions are
 * the transformer's and read n_layer, d_model, n_head and n_ctx only. */
typedef struct {
    int n_layer;      /* L */
    int d_model;      /* C */
    int n_head;       /* NH, divides C; 0 for the LSTM */
    int n_ctx;        /* T: context length, and the number of learned positions */
    int architecture; /* MODEL_TRANSFORMER (0) or MODEL_LSTM: last, so that {L, C, NH, T}
                         is a transformer */
} model_config;

#define MODEL_NUM_TENSORS 16

typedef struct {
    float *wte;      /* (V, C) token embedding, also the output head */
    float *wpe;      /* (T, C) position embedding */
    float *ln1w;     /* (L, C) */
    float *ln1b;     /* (L, C) */
    float *qkvw;     /* (L, 3C, C) */
    float *qkvb;     /* (L, 3C) */
    float *attprojw; /* (L, C, C) */
    float *attprojb; /* (L, C) */
    float *ln2w;     /* (L, C) */
    float *ln2b;     /* (L, C) */
    float *fcw;      /* (L, 4C, C) */
    float *fcb;      /* (L, 4C) */
    float *fcprojw;  /* (L, C, 4C) */
    float *fcprojb;  /* (L, C) */
    float *lnfw;     /* (C) */
    float *lnfb;     /* (C) */
} model_params;

typedef struct {
    float *encoded;   /* (B, T, C) */
    float *ln1;       /* (L, B, T, C) */
    float *ln1_mean;  /* (L, B, T) */
    float *ln1_rstd;  /* (L, B, T) */
    float *qkv;       /* (L, B, T, 3C) */
    float *atty;      /* (L, B, T, C) */
    float *att;       /* (L, B, NH, T, T) softmax probabilities */
    float *residual2; /* (L, B, T, C) after attention */
    float *ln2;       /* (L, B, T, C) */
    float *ln2_mean;  /* (L, B, T) */
    float *ln2_rstd;  /* (L, B, T) */
    float *fch;       /* (L, B, T, 4C) before GELU */
    float *fch_gelu;  /* (L, B, T, 4C) */
    float *residual3; /* (L, B, T, C) after the MLP */
    float *lnf;       /* (B, T, C) */
    float *lnf_mean;  /* (B, T) */
    float *lnf_rstd;  /* (B, T) */
    float *logits;    /* (B, T, V), overwritten by dlogits in backward */
    float *probs;     /* (B, T, V) */
    float *losses;    /* (B, T) */
} model_acts;

/* Backward scratch, reused by every layer. */
typedef struct {
    float *dresidual; /* (B, T, C) gradient of the residual stream */
    float *dchannels; /* (B, T, C) gradient of a layernorm output or of atty */
    float *dqkv;      /* (B, T, 3C) */
    float *dfch;      /* (B, T, 4C) */
    float *datt;      /* (T, T) */
} model_scratch;

typedef struct {
    model_config config;
    int max_batch;
    size_t param_sizes[MODEL_NUM_TENSORS];
    int64_t num_params; /* N_total */
    float *params_memory;
    float *grads_memory;
    float *m_memory; /* AdamW first moment */
    float *v_memory; /* AdamW second moment */
    model_params params;
    model_params grads;
    float *acts_memory;
    int64_t num_acts;
    model_acts acts;
    float *scratch_memory;
    int64_t num_scratch;
    model_scratch scratch;
    /* set by the last forward, read by backward */
    int batch;
    const uint8_t *inputs;
    const uint8_t *targets;
} model;

/* Returns a description of what is wrong with a configuration, or NULL if it is valid. */
const char *model_config_error(const model_config *config);
/* N: every parameter but the token and position embeddings (SCIENCE.md). */
int64_t model_count_nonembedding(const model_config *config);
/* The real d_model at which n_layer blocks have N = target: the inverse of
 * model_count_nonembedding in d_model (N = n_layer (12 d^2 + 13 d) + 2 d), for generating
 * shapes from a target N. */
double model_width_for_nonembedding(int n_layer, double target);
/* N_total: all parameters. */
int64_t model_count_total(const model_config *config);
/* Floats held by a model of max_batch sequences (params, grads, two moments, activations and
 * scratch), in double, at most a little more (a batch's scratch counted per sequence), for
 * any dimensions whatever their products: how the limit below is checked before any size
 * is computed in 64-bit integers. The FLOPs of a configuration are net.h's. */
double model_floats_real(const model_config *config, int max_batch);
/* The largest model and batch scalesweep sizes: 2^40 floats (4 TiB), far beyond what a
 * CPU holds, and far inside the 64-bit integers every size is computed in. */
#define MODEL_MAX_FLOATS 1099511627776.0

/* Allocates everything for batches of up to max_batch sequences of n_ctx tokens.
 * Returns 0, or -1 when out of memory. Parameters are zero until model_init_weights. */
int model_init(model *m, const model_config *config, int max_batch);
void model_free(model *m);
/* GPT-2 initialisation: N(0, 0.02), residual projections N(0, 0.02/sqrt(2L)),
 * zero biases, unit gains. Draws from the given stream in parameter order. */
void model_init_weights(model *m, rng_state *rng);
/* Whether parameter tensor i (in model_params order) takes weight decay: matrices do,
 * gains and biases do not. */
int model_tensor_decays(int i);
const char *model_tensor_name(int i);

/* inputs, targets (B, T) with T = n_ctx and B <= max_batch. Returns the mean loss over
 * B*T positions (nats); with targets NULL only the logits are computed and 0 returned.
 * The arrays must stay alive until model_backward. */
double model_forward(model *m, const uint8_t *inputs, const uint8_t *targets, int B);
/* Writes d(mean loss)/d(params) into m->grads (whatever they held: nothing needs clearing). */
void model_backward(model *m);
/* Exchanges the model's gradient buffer with *buffer (num_params floats), so that a gradient
 * can be set aside without copying it. */
void model_swap_grads(model *m, float **buffer);
/* The buffers as the optimiser takes them (optim.h): after a swap of the gradients, anew. */
optim_params model_optim_params(model *m);

/* A lean forward pass for evaluation: nothing is kept for a backward pass, only one layer's
 * activations at a time, for several windows at once (larger matrix products than training's
 * one sequence per shard). */
typedef struct {
    int max_windows; /* W */
    float *memory;
    float *residual;  /* (W, T, C) the residual stream, updated in place */
    float *ln;        /* (W, T, C) a layernorm's output */
    float *mean;      /* (W, T) */
    float *rstd;      /* (W, T) */
    float *qkv;       /* (W, T, 3C) */
    float *atty;      /* (W, T, C) */
    float *fch;       /* (W, T, 4C), GELU applied in place */
    float *logits;    /* (W, T, V) */
    float *losses;    /* (W, T) */
    float *att;       /* (NH, T, T) one window's attention */
    uint8_t *inputs;  /* (W, T) */
    uint8_t *targets; /* (W, T) */
} model_eval;

/* Windows a lean forward takes at once for this configuration: 512 positions' worth (of 256
 * to 2048, the fastest in bench_worker: larger groups leave the caches), fewer when their
 * activations would pass 16M floats, at least one. A function of the configuration only, so
 * that every process of a run groups the windows alike. */
int model_eval_windows(const model_config *config);
/* Floats a lean forward of up to `windows` windows holds. */
int64_t model_eval_count_floats(const model_config *config, int windows);
/* Returns 0, or -1 when out of memory. */
int model_eval_init(model_eval *e, const model_config *config, int windows);
void model_eval_free(model_eval *e);
/* The mean loss (nats per token) of each of count <= max_windows windows: window i reads
 * starts[i][0, T) as inputs and starts[i][1, T] as targets. The same loss as model_forward
 * gives one window, up to the rounding of larger matrix products. */
void model_evaluate(const model *m, model_eval *e, const uint8_t *const *starts, int count,
                    double *losses);

#endif
