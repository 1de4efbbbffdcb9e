#include "layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "dispatch.h"
#include "fastmath.h"

SCALESWEEP_HOT void encoder_forward(float *out, const uint8_t *inp, const float *wte,
                                    const float *wpe, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float *o = out + ((int64_t)b * T + t) * C;
            const float *e = wte + (int64_t)inp[b * T + t] * C;
            const float *p = wpe + (int64_t)t * C;
            for (int c = 0; c < C; c++)
                o[c] = e[c] + p[c];
        }
    }
}

SCALESWEEP_HOT void encoder_backward(float *dwte, float *dwpe, const float *dout,
                                     const uint8_t *inp, int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((int64_t)b * T + t) * C;
            float *de = dwte + (int64_t)inp[b * T + t] * C;
            float *dp = dwpe + (int64_t)t * C;
            for (int c = 0; c < C; c++) {
                de[c] += d[c];
                dp[c] += d[c];
            }
        }
    }
}

SCALESWEEP_HOT void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                      const float *weight, const float *bias, int N, int C)
{
    const float eps = 1e-5f;
    for (int i = 0; i < N; i++) {
        const float *x = inp + (int64_t)i * C;
        float *o = out + (int64_t)i * C;
        float m = 0.0f;
        #pragma omp simd reduction(+ : m)
        for (int c = 0; c < C; c++)
            m += x[c];
        m /= (float)C;
        float v = 0.0f;
        #pragma omp simd reduction(+ : v)
        for (int c = 0; c < C; c++) {
            float d = x[c] - m;
            v += d * d;
        }
        v /= (float)C;
        float s = 1.0f / sqrtf(v + eps);
        for (int c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[i] = m;
        rstd[i] = s;
    }
}

SCALESWEEP_HOT void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                       const float *inp, const float *weight, const float *mean,
                                       const float *rstd, int N, int C)
{
    for (int i = 0; i < N; i++) {
        const float *d = dout + (int64_t)i * C;
        const float *x = inp + (int64_t)i * C;
        float *dx = dinp + (int64_t)i * C;
        float m = mean[i], s = rstd[i];
        /* the two reductions of the layernorm gradient */
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        #pragma omp simd reduction(+ : dnorm_mean, dnorm_norm_mean)
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * s;
            float dnorm = weight[c] * d[c];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= (float)C;
        dnorm_norm_mean /= (float)C;
        for (int c = 0; c < C; c++) {
            float norm = (x[c] - m) * s;
            float dnorm = weight[c] * d[c];
            dbias[c] += d[c];
            dweight[c] += norm * d[c];
            dx[c] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}

SCALESWEEP_HOT void matmul_forward(float *out, const float *inp, const float *weight,
                                   const float *bias, const float *residual, int N, int C, int OC)
{
    /* one pass sets out to residual + bias, then the product accumulates onto it */
    float beta = 1.0f;
    if (residual && bias) {
        for (int i = 0; i < N; i++) {
            float *o = out + (int64_t)i * OC;
            const float *r = residual + (int64_t)i * OC;
            for (int j = 0; j < OC; j++)
                o[j] = r[j] + bias[j];
        }
    } else if (residual) {
        if (residual != out)
            memcpy(out, residual, sizeof(float) * (size_t)N * OC);
    } else if (bias) {
        for (int i = 0; i < N; i++)
            memcpy(out + (int64_t)i * OC, bias, sizeof(float) * OC);
    } else {
        beta = 0.0f;
    }
    /* out(N,OC) = inp(N,C) * weight(OC,C)^T + beta * out */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C,
                1.0f, inp, C, weight, C, beta, out, OC);
}

SCALESWEEP_HOT void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                    const float *inp, const float *weight, int N, int C, int OC,
                                    float beta)
{
    if (dinp) {
        /* dinp(N,C) = beta dinp + dout(N,OC) * weight(OC,C) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC, weight, C,
                    beta, dinp, C);
    }
    /* dweight(OC,C) = beta dweight + dout(N,OC)^T * inp(N,C); with beta 0 BLAS reads none of
     * it, so neither gradient needs clearing first */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C, beta,
                dweight, C);
    if (dbias) {
        if (beta == 0.0f)
            memset(dbias, 0, sizeof(float) * (size_t)OC);
        for (int i = 0; i < N; i++) {
            const float *d = dout + (int64_t)i * OC;
            for (int j = 0; j < OC; j++)
                dbias[j] += d[j];
        }
    }
}

/* Causal attention skips the products above the diagonal: rows are taken in blocks of
 * ATTENTION_BLOCK, and block [r0, r1) needs keys [0, r1) only. With T = 4 blocks that is
 * 5/8 of the full square's work. */
#define ATTENTION_BLOCK 32

SCALESWEEP_HOT void attention_forward(float *out, float *att, const float *inp, int B, int T, int C,
                                      int NH)
{
    const int hs = C / NH;
    const int C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = inp + (int64_t)b * T * C3 + h * hs; /* (T,hs), row stride 3C */
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *a = att + ((int64_t)b * NH + h) * T * T; /* (T,T) */
            float *o = out + (int64_t)b * T * C + h * hs;   /* (T,hs), row stride C */
            for (int r0 = 0; r0 < T; r0 += ATTENTION_BLOCK) {
                int r1 = r0 + ATTENTION_BLOCK < T ? r0 + ATTENTION_BLOCK : T;
                /* a[r0:r1, 0:r1] = scale * q[r0:r1] * k[0:r1]^T */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1, hs,
                            scale, q + (int64_t)r0 * C3, C3, k, C3, 0.0f, a + (int64_t)r0 * T, T);
                /* Softmax of each row over keys j <= t. The loops run over the whole block
                 * width r1 with the mask as a select: fixed trip counts vectorise without
                 * scalar remainders, which cost more than the masked lanes. */
                for (int t = r0; t < r1; t++) {
                    float *row = a + (int64_t)t * T;
                    float mx = -INFINITY;
                    #pragma omp simd reduction(max : mx)
                    for (int j = 0; j < r1; j++)
                        mx = j <= t && row[j] > mx ? row[j] : mx;
                    float sum = 0.0f;
                    #pragma omp simd reduction(+ : sum)
                    for (int j = 0; j < r1; j++) {
                        row[j] = j <= t ? fast_expf(row[j] - mx) : 0.0f;
                        sum += row[j];
                    }
                    float inv = 1.0f / sum;
                    #pragma omp simd
                    for (int j = 0; j < r1; j++)
                        row[j] *= inv;
                }
                /* o[r0:r1] = a[r0:r1, 0:r1] * v[0:r1] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, hs, r1,
                            1.0f, a + (int64_t)r0 * T, T, v, C3, 0.0f, o + (int64_t)r0 * C, C);
            }
        }
    }
}

SCALESWEEP_HOT void attention_backward(float *dinp, const float *dout, const float *inp,
                                       const float *att, float *scratch, int B, int T, int C,
                                       int NH)
{
    const int hs = C / NH;
    const int C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = inp + (int64_t)b * T * C3 + h * hs;
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *dq = dinp + (int64_t)b * T * C3 + h * hs;
            float *dk = dq + C;
            float *dv = dq + 2 * C;
            const float *a = att + ((int64_t)b * NH + h) * T * T;
            const float *d = dout + (int64_t)b * T * C + h * hs;
            for (int r0 = 0; r0 < T; r0 += ATTENTION_BLOCK) {
                int r1 = r0 + ATTENTION_BLOCK < T ? r0 + ATTENTION_BLOCK : T;
                const float *ab = a + (int64_t)r0 * T;  /* (r1-r0, r1), row stride T */
                float *ds = scratch + (int64_t)r0 * T;   /* d(att), then d(scores) in place */
                /* ds(r1-r0, r1) = dout[r0:r1] * v[0:r1]^T */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, r1, hs,
                            1.0f, d + (int64_t)r0 * C, C, v, C3, 0.0f, ds, T);
                /* dv[0:r1] += ab^T * dout[r0:r1] */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, r1 - r0,
                            1.0f, ab, T, d + (int64_t)r0 * C, C, 1.0f, dv, C3);
                /* softmax backward: ds = a * (datt - sum_j a datt); a is zero above the
                 * diagonal, so the whole block width can run unmasked */
                for (int t = r0; t < r1; t++) {
                    const float *arow = a + (int64_t)t * T;
                    float *row = scratch + (int64_t)t * T;
                    float dot = 0.0f;
                    #pragma omp simd reduction(+ : dot)
                    for (int j = 0; j < r1; j++)
                        dot += arow[j] * row[j];
                    #pragma omp simd
                    for (int j = 0; j < r1; j++)
                        row[j] = arow[j] * (row[j] - dot);
                }
                /* dq[r0:r1] += scale * ds * k[0:r1] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, hs, r1,
                            scale, ds, T, k, C3, 1.0f, dq + (int64_t)r0 * C3, C3);
                /* dk[0:r1] += scale * ds^T * q[r0:r1] */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r1, hs, r1 - r0,
                            scale, ds, T, q + (int64_t)r0 * C3, C3, 1.0f, dk, C3);
            }
        }
    }
}

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

SCALESWEEP_HOT void gelu_forward(float *out, const float *inp, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        out[i] = 0.5f * x * (1.0f + fast_tanhf(u));
    }
}

SCALESWEEP_HOT void gelu_backward(float *dinp, const float *inp, const float *dout, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SCALE * (x + 0.044715f * x * x * x);
        float th = fast_tanhf(u);
        float du = GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
        float g = 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * du;
        dinp[i] = g * dout[i];
    }
}

/* -log softmax(l)[target] from the row's maximum and sum of exp(l - max): from the logits,
 * not log(p), so it is exact even when p underflows. The one formula of the loss, for the
 * training forward and the lean evaluation alike. */
static inline float row_loss(const float *l, int target, float mx, float sum)
{
    return logf(sum) - (l[target] - mx);
}

static inline float row_max(const float *l, int V)
{
    float mx = l[0];
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < V; j++)
        mx = l[j] > mx ? l[j] : mx;
    return mx;
}

SCALESWEEP_HOT double crossentropy_forward(float *losses, float *probs, const float *logits,
                                           const uint8_t *targets, int N, int V)
{
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        const float *l = logits + (int64_t)i * V;
        float *p = probs + (int64_t)i * V;
        float mx = row_max(l, V);
        float sum = 0.0f;
        #pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++) {
            p[j] = fast_expf(l[j] - mx);
            sum += p[j];
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < V; j++)
            p[j] *= inv;
        float loss = row_loss(l, targets[i], mx, sum);
        losses[i] = loss;
        total += loss;
    }
    return total / N;
}

SCALESWEEP_HOT void crossentropy_losses(float *losses, const float *logits, const uint8_t *targets,
                                        int N, int V)
{
    for (int i = 0; i < N; i++) {
        const float *l = logits + (int64_t)i * V;
        float mx = row_max(l, V);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++)
            sum += fast_expf(l[j] - mx);
        losses[i] = row_loss(l, targets[i], mx, sum);
    }
}

void crossentropy_window_means(double *means, const float *losses, int W, int T)
{
    for (int w = 0; w < W; w++) {
        double total = 0.0;
        for (int t = 0; t < T; t++)
            total += losses[(int64_t)w * T + t];
        means[w] = total / T;
    }
}

SCALESWEEP_HOT void crossentropy_backward(float *dlogits, const float *probs,
                                          const uint8_t *targets, float scale, int N, int V)
{
    for (int i = 0; i < N; i++) {
        const float *p = probs + (int64_t)i * V;
        float *d = dlogits + (int64_t)i * V;
        for (int j = 0; j < V; j++)
            d[j] = scale * p[j];
        d[targets[i]] -= scale;
    }
}
