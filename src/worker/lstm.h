/* A multi-layer LSTM language model over bytes, beside the transformer (model.h).
 *
 * A byte embedding wte (V, C), n_layer LSTM layers of width C (PyTorch's nn.LSTM: gates
 * i, f, g, o in that order, both biases), and an output head TIED to the embedding
 * (logits = h_top wte^T), as the transformer's is: N, the non-embedding count, is then the
 * recurrent layers alone,
 *     N = n_layer (8 C^2 + 8 C)    (W_ih and W_hh 4C x C each, b_ih and b_hh 4C each),
 * and C = 6ND as for the transformer. Every sequence starts from h = c = 0 and is trained by
 * backpropagation through its n_ctx steps.
 *
 * Products through cblas_sgemm: a layer's input projections of all B x T positions as one
 * product, the recurrent products one per time step (B rows); in backward, the weight
 * gradients as one product over all positions each.
 *
 * Legend: L n_layer, C d_model, T n_ctx, B batch, V vocabulary.
 *
 * Parameters, gradients and both AdamW moments live in four buffers of one layout
 * (lstm_params views), as the transformer's do. */
#ifndef SCALESWEEP_LSTM_H
#define SCALESWEEP_LSTM_H

#include <stddef.h>
#include <stdint.h>

#include "optim.h"
#include "rng.h"

typedef struct {
    int n_layer; /* L */
    int d_model; /* C, the hidden and cell width */
    int n_ctx;   /* T: steps of backpropagation through time */
} lstm_config;

#define LSTM_NUM_TENSORS 5

typedef struct {
    float *wte; /* (V, C) byte embedding, also the output head */
    float *wih; /* (L, 4C, C) input weights, rows i, f, g, o */
    float *whh; /* (L, 4C, C) recurrent weights */
    float *bih; /* (L, 4C) */
    float *bhh; /* (L, 4C) */
} lstm_params;

typedef struct {
    float *encoded; /* (B, T, C) the embedded inputs, layer 0's input */
    float *gates;   /* (L, B, T, 4C) i, f, g, o after their sigmoid or tanh */
    float *c;       /* (L, B, T, C) cell states */
    float *tanh_c;  /* (L, B, T, C) */
    float *h;       /* (L, B, T, C) outputs, each layer's the next one's input */
    float *logits;  /* (B, T, V), overwritten by dlogits in backward */
    float *probs;   /* (B, T, V) */
    float *losses;  /* (B, T) */
} lstm_acts;

typedef struct {
    float *dh;      /* (B, T, C) d(loss)/d(a layer's outputs) from above */
    float *dx;      /* (B, T, C) d(loss)/d(its inputs): the layer below's dh */
    float *dgates;  /* (B, T, 4C) d(loss)/d(pre-activations) */
    float *dh_next; /* (B, C) what step t + 1 sends back to h_t */
    float *dc;      /* (B, C) ... and to c_t */
} lstm_scratch;

typedef struct {
    lstm_config config;
    int max_batch;
    size_t param_sizes[LSTM_NUM_TENSORS];
    int64_t num_params; /* N_total */
    float *params_memory;
    float *grads_memory;
    float *m_memory;
    float *v_memory;
    lstm_params params;
    lstm_params grads;
    float *acts_memory;
    lstm_acts acts;
    float *scratch_memory;
    lstm_scratch scratch;
    int batch;
    const uint8_t *inputs;
    const uint8_t *targets;
} lstm;

/* What is wrong with a configuration, or NULL if it is valid. */
const char *lstm_config_error(const lstm_config *config);
/* N: every parameter but the embedding, n_layer (8 C^2 + 8 C). */
int64_t lstm_count_nonembedding(const lstm_config *config);
/* N_total: N and the embedding, V C. */
int64_t lstm_count_total(const lstm_config *config);
/* The real width at which n_layer layers have N = target (the inverse of
 * lstm_count_nonembedding in C). */
double lstm_width_for_nonembedding(int n_layer, double target);
/* Floats held by a model of max_batch sequences: params, grads, moments, activations and
 * scratch, in double (for the size limit before any is allocated). */
double lstm_floats_real(const lstm_config *config, int max_batch);

/* Allocates everything for batches of up to max_batch sequences. 0, or -1 when out of
 * memory. Parameters are zero until lstm_init_weights. */
int lstm_init(lstm *m, const lstm_config *config, int max_batch);
void lstm_free(lstm *m);
/* The embedding N(0, LSTM_EMBEDDING_STD^2), nn.Embedding's N(0, 1); W_ih and W_hh uniform in
 * +-1/sqrt(C) (nn.LSTM's); biases 0 but b_ih's forget gate, 1 (the cell keeps its state at
 * first). Draws from the stream in parameter order. Not the transformer's N(0, 0.02): with no
 * LayerNorm after it, an embedding that small reaches the gates as noise beside their
 * biases, and on Brown (2x64, n_ctx 64, batch 16, 400k tokens, lr 4e-3) the LSTM then ends
 * on the unigram entropy (3.08 nats); at std 0.1 it reached 2.78, at 0.5 2.12, at 1 2.00. */
#define LSTM_EMBEDDING_STD 1.0f
void lstm_init_weights(lstm *m, rng_state *rng);
/* Whether tensor i takes weight decay: the matrices (wte, wih, whh) do, biases do not. */
int lstm_tensor_decays(int i);
const char *lstm_tensor_name(int i);

/* inputs, targets (B, T), B <= max_batch. The mean loss over B T positions (nats); with
 * targets NULL only the logits. The arrays must stay alive until lstm_backward. */
double lstm_forward(lstm *m, const uint8_t *inputs, const uint8_t *targets, int B);
/* Writes d(mean loss)/d(params) into m->grads (nothing needs clearing). */
void lstm_backward(lstm *m);
/* Exchanges the gradient buffer with *buffer (num_params floats), as model_swap_grads. */
void lstm_swap_grads(lstm *m, float **buffer);
/* The buffers as the optimiser takes them (optim.h): after a swap, anew. */
optim_params lstm_optim_params(lstm *m);

/* One cell step, for tests and for the forward: pre(B, 4C) holds the pre-activations
 * W_ih x + b_ih + W_hh h_prev + b_hh (rows ld apart), overwritten by the gates i, f, g, o
 * after their sigmoid or tanh; c_prev (ld_c apart, NULL: zero) gives c, tanh(c) and h. */
void lstm_cell_forward(float *pre, int ld, const float *c_prev, float *c, float *tanh_c, float *h,
                       int ld_c, int B, int C);
/* Its backward: from dh (B, C, ld_c apart: d(loss)/d(h_t), from above and from step t + 1)
 * and dc (B, C, contiguous: what step t + 1 sends to c_t, zero at the last step), and the
 * forward's gates, c_prev (NULL: zero) and tanh_c: dpre (B, 4C, ld apart) written, and dc
 * replaced by what goes on to c_{t-1}. */
void lstm_cell_backward(float *dpre, int ld, const float *dh, float *dc, const float *gates,
                        const float *c_prev, const float *tanh_c, int ld_c, int B, int C);

#endif
