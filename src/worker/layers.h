/* The transformer's layers, forward and backward in pairs.
 *
 * Dimension legend:
 *   B  batch (sequences)        T  time (positions, <= n_ctx)
 *   C  channels (d_model)       OC output channels of a linear layer
 *   NH attention heads          hs head size = C / NH
 *   V  vocabulary (256 bytes)   N  rows of a flattened (B,T) = B*T
 *
 * Conventions (after llm.c): arguments are outputs, inputs, weights, sizes; backward
 * functions take d-prefixed buffers and ACCUMULATE (+=) into every gradient they
 * write, so the caller zeroes gradients once per step. Every tensor is row major. */
#ifndef SCALESWEEP_LAYERS_H
#define SCALESWEEP_LAYERS_H

#include <stdint.h>

/* out(B,T,C) = wte[inp] + wpe[t] */
void encoder_forward(float *out, const uint8_t *inp, const float *wte, const float *wpe,
                     int B, int T, int C);
/* dwte(V,C) and dwpe(T,C) += scatter of dout(B,T,C) */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const uint8_t *inp,
                      int B, int T, int C);

/* out(N,C) = (inp - mean) * rstd * weight(C) + bias(C); mean(N), rstd(N) kept for backward */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C);

/* out(N,OC) = residual(N,OC) + inp(N,C) * weight(OC,C)^T + bias(OC). The residual
 * connections add straight into the residual stream this way; bias and residual may be
 * NULL, and residual may be out itself (the stream updated in place) but no other part of
 * it. */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    const float *residual, int N, int C, int OC);
/* dinp(N,C) += dout * weight; dweight(OC,C) += dout^T * inp; dbias(OC) += column sums.
 * dinp and dbias may be NULL. With beta 0 each is written instead (what it held is never
 * read, so it needs no clearing), with beta 1 accumulated, as BLAS's beta. */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, int N, int C, int OC, float beta);

/* Causal multi-head self-attention.
 * inp(B,T,3C) holds q, k, v side by side; att(B,NH,T,T) keeps the softmax probabilities
 * on and below the diagonal (entries above it are unspecified, and never read);
 * out(B,T,C) = concatenated heads of att * v. */
void attention_forward(float *out, float *att, const float *inp, int B, int T, int C, int NH);
/* dinp(B,T,3C) += ...; scratch holds one (T,T) matrix. */
void attention_backward(float *dinp, const float *dout, const float *inp, const float *att,
                        float *scratch, int B, int T, int C, int NH);

/* GELU, tanh approximation (GPT-2; torch's gelu(approximate="tanh")). */
void gelu_forward(float *out, const float *inp, int64_t n);
/* dinp = gelu'(inp) * dout, WRITTEN rather than accumulated so that it may run in place
 * (dinp == dout): the MLP's widest buffer is then needed once, not twice. */
void gelu_backward(float *dinp, const float *inp, const float *dout, int64_t n);

/* losses(N) = -log softmax(logits(N,V))[targets]; probs(N,V) = softmax(logits).
 * Returns the mean loss, accumulated in double. */
double crossentropy_forward(float *losses, float *probs, const float *logits,
                            const uint8_t *targets, int N, int V);
/* losses(N) as crossentropy_forward computes them, without the probabilities: for
 * evaluation, where nothing is kept for a backward pass. */
void crossentropy_losses(float *losses, const float *logits, const uint8_t *targets, int N, int V);
/* means(W) = each window's mean of losses(W, T), summed in double as crossentropy_forward
 * means a batch: the loss of each held-out window an evaluation scores. */
void crossentropy_window_means(double *means, const float *losses, int W, int T);
/* dlogits(N,V) = scale * (probs - onehot(targets)), written (not accumulated) so that it may
 * alias probs. scale is dL/dloss_i, 1/N for a mean loss. */
void crossentropy_backward(float *dlogits, const float *probs, const uint8_t *targets,
                           float scale, int N, int V);

#endif
