/* Each layer forward against a naive oracle where one is simple, and each backward
 * against central finite differences of a random projection of its output:
 * f(x) = sum_i w_i out_i(x), so df/dx is what the backward computes for dout = w. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fastmath.h"
#include "layers.h"
#include "rng.h"

static rng_state rng;

static float *random_array(long n, float scale)
{
    float *x = malloc(sizeof(float) * n);
    for (long i = 0; i < n; i++)
        x[i] = scale * rng_normal(&rng);
    return x;
}

static float *zeros(long n) { return calloc(n, sizeof(float)); }

/* Each test keeps its forward in a closure: run() recomputes out from the inputs. */
typedef struct {
    void (*run)(void *ctx);
    void *ctx;
    const float *out;
    const float *w; /* projection weights, one per output */
    long n_out;
} projection;

static double project(const projection *p)
{
    p->run(p->ctx);
    double s = 0.0;
    for (long i = 0; i < p->n_out; i++)
        s += (double)p->w[i] * p->out[i];
    return s;
}

/* Central differences of the projection for every element of x against analytic. */
static void check_gradient(const char *what, float *x, long n, const float *analytic,
                           const projection *p, float h, double atol, double rtol)
{
    float *numeric = malloc(sizeof(float) * n);
    for (long i = 0; i < n; i++) {
        float saved = x[i];
        x[i] = saved + h;
        float up = x[i];
        double f_up = project(p);
        x[i] = saved - h;
        float down = x[i];
        double f_down = project(p);
        x[i] = saved;
        numeric[i] = (float)((f_up - f_down) / ((double)up - (double)down));
    }
    p->run(p->ctx);
    check_arrays(what, analytic, numeric, n, atol, rtol);
    free(numeric);
}

/* ---- matmul ---- */

static void naive_matmul(float *out, const float *inp, const float *weight, const float *bias,
                         int N, int C, int OC)
{
    for (int i = 0; i < N; i++)
        for (int o = 0; o < OC; o++) {
            double s = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
                s += (double)inp[i * C + c] * weight[o * C + c];
            out[i * OC + o] = (float)s;
        }
}

typedef struct {
    float *out, *inp, *weight, *bias;
    int N, C, OC;
} matmul_ctx;

static void matmul_run(void *p)
{
    matmul_ctx *m = p;
    matmul_forward(m->out, m->inp, m->weight, m->bias, NULL, m->N, m->C, m->OC);
}

static void test_matmul(void)
{
    int N = 7, C = 5, OC = 6;
    matmul_ctx m = {zeros(N * OC), random_array(N * C, 1), random_array(OC * C, 1),
                    random_array(OC, 1), N, C, OC};
    float *want = zeros(N * OC);
    naive_matmul(want, m.inp, m.weight, m.bias, N, C, OC);
    matmul_run(&m);
    check_arrays("matmul_forward vs naive oracle", m.out, want, N * OC, 1e-5, 1e-5);

    /* with a residual: out = residual + naive */
    float *residual = random_array(N * OC, 1);
    for (int i = 0; i < N * OC; i++)
        want[i] += residual[i];
    matmul_forward(m.out, m.inp, m.weight, m.bias, residual, N, C, OC);
    check_arrays("matmul_forward with residual", m.out, want, N * OC, 1e-5, 1e-5);

    naive_matmul(want, m.inp, m.weight, NULL, N, C, OC);
    matmul_forward(m.out, m.inp, m.weight, NULL, NULL, N, C, OC);
    check_arrays("matmul_forward without bias", m.out, want, N * OC, 1e-5, 1e-5);
    for (int i = 0; i < N * OC; i++)
        want[i] += residual[i];
    matmul_forward(m.out, m.inp, m.weight, NULL, residual, N, C, OC);
    check_arrays("matmul_forward with residual, without bias", m.out, want, N * OC, 1e-5, 1e-5);
    free(residual);

    float *w = random_array(N * OC, 1);
    float *dinp = zeros(N * C), *dweight = zeros(OC * C), *dbias = zeros(OC);
    matmul_run(&m);
    matmul_backward(dinp, dweight, dbias, w, m.inp, m.weight, N, C, OC, 1.0f);
    projection p = {matmul_run, &m, m.out, w, N * OC};
    check_gradient("matmul d(inp)", m.inp, N * C, dinp, &p, 1e-2f, 2e-4, 1e-3);
    check_gradient("matmul d(weight)", m.weight, OC * C, dweight, &p, 1e-2f, 2e-4, 1e-3);
    check_gradient("matmul d(bias)", m.bias, OC, dbias, &p, 1e-2f, 2e-4, 1e-3);

    /* backward accumulates: a second call doubles every gradient */
    float *twice = malloc(sizeof(float) * OC * C);
    for (int i = 0; i < OC * C; i++)
        twice[i] = 2.0f * dweight[i];
    matmul_backward(dinp, dweight, dbias, w, m.inp, m.weight, N, C, OC, 1.0f);
    check_arrays("matmul_backward accumulates", dweight, twice, OC * C, 1e-6, 1e-6);
    /* with beta 0 it writes: what the buffers held (here NaN) is never read */
    float *once = malloc(sizeof(float) * OC * C);
    for (int i = 0; i < OC * C; i++) {
        once[i] = 0.5f * twice[i];
        dweight[i] = NAN;
    }
    for (int i = 0; i < N * C; i++)
        dinp[i] = NAN;
    for (int i = 0; i < OC; i++)
        dbias[i] = NAN;
    matmul_backward(dinp, dweight, dbias, w, m.inp, m.weight, N, C, OC, 0.0f);
    check_arrays("matmul_backward with beta 0 writes over NaN", dweight, once, OC * C, 1e-6, 1e-6);
    int finite = 1;
    for (int i = 0; i < N * C; i++)
        finite &= isfinite(dinp[i]);
    for (int i = 0; i < OC; i++)
        finite &= isfinite(dbias[i]);
    check(finite, "matmul_backward with beta 0 writes d(inp) and d(bias) whole");
    free(once);
    free(twice);
    free(w); free(dinp); free(dweight); free(dbias); free(want);
    free(m.out); free(m.inp); free(m.weight); free(m.bias);
}

/* ---- layernorm ---- */

typedef struct {
    float *out, *mean, *rstd, *inp, *weight, *bias;
    int N, C;
} layernorm_ctx;

static void layernorm_run(void *p)
{
    layernorm_ctx *l = p;
    layernorm_forward(l->out, l->mean, l->rstd, l->inp, l->weight, l->bias, l->N, l->C);
}

static void test_layernorm(void)
{
    int N = 5, C = 8;
    layernorm_ctx l = {zeros(N * C), zeros(N), zeros(N), random_array(N * C, 1),
                       random_array(C, 1), random_array(C, 1), N, C};
    layernorm_run(&l);
    /* with unit gain and zero bias each row has mean 0 and variance ~1 */
    float *one = malloc(sizeof(float) * C), *zero = zeros(C);
    for (int c = 0; c < C; c++)
        one[c] = 1.0f;
    layernorm_forward(l.out, l.mean, l.rstd, l.inp, one, zero, N, C);
    double mean = 0, var = 0;
    for (int c = 0; c < C; c++)
        mean += l.out[c];
    mean /= C;
    for (int c = 0; c < C; c++)
        var += (l.out[c] - mean) * (l.out[c] - mean);
    var /= C;
    check(fabs(mean) < 1e-6 && fabs(var - 1.0) < 1e-3, "layernorm normalises: mean %g var %g",
          mean, var);
    free(one); free(zero);

    float *w = random_array(N * C, 1);
    float *dinp = zeros(N * C), *dweight = zeros(C), *dbias = zeros(C);
    layernorm_run(&l);
    layernorm_backward(dinp, dweight, dbias, w, l.inp, l.weight, l.mean, l.rstd, N, C);
    projection p = {layernorm_run, &l, l.out, w, N * C};
    check_gradient("layernorm d(inp)", l.inp, N * C, dinp, &p, 1e-2f, 2e-4, 2e-3);
    check_gradient("layernorm d(weight)", l.weight, C, dweight, &p, 1e-2f, 2e-4, 1e-3);
    check_gradient("layernorm d(bias)", l.bias, C, dbias, &p, 1e-2f, 2e-4, 1e-3);
    free(w); free(dinp); free(dweight); free(dbias);
    free(l.out); free(l.mean); free(l.rstd); free(l.inp); free(l.weight); free(l.bias);
}

/* ---- attention ---- */

typedef struct {
    float *out, *att, *inp;
    int B, T, C, NH;
} attention_ctx;

static void attention_run(void *p)
{
    attention_ctx *a = p;
    attention_forward(a->out, a->att, a->inp, a->B, a->T, a->C, a->NH);
}

/* Straight from the definition, in double: softmax(q k^T / sqrt(hs) + causal mask) v. */
static void naive_attention(float *out, const float *inp, int B, int T, int C, int NH)
{
    int hs = C / NH;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = inp + (b * T + t) * 3 * C + h * hs;
                double scores[128], mx = -1e300, sum = 0;
                for (int j = 0; j <= t; j++) {
                    const float *k = inp + (b * T + j) * 3 * C + C + h * hs;
                    double s = 0;
                    for (int i = 0; i < hs; i++)
                        s += (double)q[i] * k[i];
                    scores[j] = s / sqrt((double)hs);
                    mx = scores[j] > mx ? scores[j] : mx;
                }
                for (int j = 0; j <= t; j++) {
                    scores[j] = exp(scores[j] - mx);
                    sum += scores[j];
                }
                for (int i = 0; i < hs; i++) {
                    double o = 0;
                    for (int j = 0; j <= t; j++)
                        o += scores[j] / sum * inp[(b * T + j) * 3 * C + 2 * C + h * hs + i];
                    out[(b * T + t) * C + h * hs + i] = (float)o;
                }
            }
}

/* T below and above the causal block size of attention_forward (32), with a partial block */
static void test_attention(int B, int T, int C, int NH)
{
    attention_ctx a = {zeros(B * T * C), zeros(B * NH * T * T), random_array(B * T * 3 * C, 1),
                       B, T, C, NH};
    float *want = zeros(B * T * C);
    attention_run(&a);
    naive_attention(want, a.inp, B, T, C, NH);
    char what[96];
    snprintf(what, sizeof what, "attention_forward vs naive oracle, T=%d", T);
    check_arrays(what, a.out, want, B * T * C, 1e-5, 1e-4);

    /* causality: changing the last position changes no earlier output */
    float *before = malloc(sizeof(float) * B * T * C);
    memcpy(before, a.out, sizeof(float) * B * T * C);
    for (int c = 0; c < 3 * C; c++)
        a.inp[(T - 1) * 3 * C + c] += 1.0f;
    attention_run(&a);
    check(memcmp(before, a.out, sizeof(float) * (T - 1) * C) == 0 &&
              memcmp(before + T * C, a.out + T * C, sizeof(float) * (B - 1) * T * C) == 0,
          "attention is causal: future tokens leave the past unchanged");
    int changed = 0;
    for (int c = 0; c < C; c++)
        changed |= before[(T - 1) * C + c] != a.out[(T - 1) * C + c];
    check(changed, "attention: the changed position's own output changes");
    for (int c = 0; c < 3 * C; c++)
        a.inp[(T - 1) * 3 * C + c] -= 1.0f;

    float *w = random_array(B * T * C, 1);
    float *dinp = zeros(B * T * 3 * C), *scratch = zeros(T * T);
    attention_run(&a);
    attention_backward(dinp, w, a.inp, a.att, scratch, B, T, C, NH);
    projection p = {attention_run, &a, a.out, w, B * T * C};
    snprintf(what, sizeof what, "attention d(qkv), T=%d", T);
    check_gradient(what, a.inp, B * T * 3 * C, dinp, &p, 1e-2f, 2e-4, 2e-3);
    free(w); free(dinp); free(scratch); free(before); free(want);
    free(a.out); free(a.att); free(a.inp);
}

/* ---- gelu ---- */

typedef struct {
    float *out, *inp;
    long n;
} gelu_ctx;

static void gelu_run(void *p)
{
    gelu_ctx *g = p;
    gelu_forward(g->out, g->inp, g->n);
}

static void test_gelu(void)
{
    long n = 64;
    gelu_ctx g = {zeros(n), random_array(n, 2), n};
    g.inp[0] = 0.0f;
    g.inp[1] = 12.0f;
    g.inp[2] = -12.0f;
    gelu_run(&g);
    float *want = zeros(n);
    for (long i = 0; i < n; i++) {
        double x = g.inp[i];
        want[i] = (float)(0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))));
    }
    check_arrays("gelu_forward vs libm tanh", g.out, want, n, 1e-6, 1e-5);
    float *w = random_array(n, 1);
    float *dinp = zeros(n);
    gelu_backward(dinp, g.inp, w, n);
    projection p = {gelu_run, &g, g.out, w, n};
    check_gradient("gelu d(inp)", g.inp, n, dinp, &p, 1e-2f, 2e-4, 2e-3);
    /* in place: dinp == dout */
    float *inplace = malloc(sizeof(float) * n);
    memcpy(inplace, w, sizeof(float) * n);
    gelu_backward(inplace, g.inp, inplace, n);
    check_arrays("gelu_backward in place", inplace, dinp, n, 0, 0);
    free(inplace); free(w); free(dinp); free(want); free(g.out); free(g.inp);
}

/* ---- cross-entropy ---- */

typedef struct {
    float *losses, *probs, *logits;
    uint8_t *targets;
    int N, V;
    double mean;
} crossentropy_ctx;

static void crossentropy_run(void *p)
{
    crossentropy_ctx *x = p;
    x->mean = crossentropy_forward(x->losses, x->probs, x->logits, x->targets, x->N, x->V);
}

static void test_crossentropy(void)
{
    int N = 4, V = 256;
    crossentropy_ctx x = {zeros(N), zeros(N * V), random_array(N * V, 3), malloc(N), N, V, 0};
    for (int i = 0; i < N; i++)
        x.targets[i] = (uint8_t)rng_below(&rng, V);
    crossentropy_run(&x);
    double mean = 0;
    for (int i = 0; i < N; i++) {
        double mx = -1e300, sum = 0, psum = 0;
        for (int j = 0; j < V; j++)
            mx = x.logits[i * V + j] > mx ? x.logits[i * V + j] : mx;
        for (int j = 0; j < V; j++)
            sum += exp(x.logits[i * V + j] - mx);
        for (int j = 0; j < V; j++)
            psum += x.probs[i * V + j];
        double loss = log(sum) - (x.logits[i * V + x.targets[i]] - mx);
        check(close_enough(x.losses[i], loss, 1e-5, 1e-5), "crossentropy loss %d: %g vs %g", i,
              x.losses[i], loss);
        check(fabs(psum - 1.0) < 1e-5, "softmax row %d sums to %g", i, psum);
        mean += loss / N;
    }
    check(close_enough(x.mean, mean, 1e-5, 1e-5), "crossentropy mean %g vs %g", x.mean, mean);

    /* the mean loss is a scalar in double: differentiate it directly */
    float *dlogits = zeros(N * V);
    crossentropy_backward(dlogits, x.probs, x.targets, 1.0f / N, N, V);
    float *numeric = zeros(N * V);
    for (int i = 0; i < N * V; i++) {
        float saved = x.logits[i];
        x.logits[i] = saved + 1e-2f;
        crossentropy_run(&x);
        double up = x.mean;
        x.logits[i] = saved - 1e-2f;
        crossentropy_run(&x);
        double down = x.mean;
        x.logits[i] = saved;
        numeric[i] = (float)((up - down) / 2e-2);
    }
    check_arrays("crossentropy d(logits)", dlogits, numeric, N * V, 3e-5, 1e-3);
    free(numeric); free(dlogits);
    free(x.losses); free(x.probs); free(x.logits); free(x.targets);
}

/* ---- encoder ---- */

typedef struct {
    float *out, *wte, *wpe;
    uint8_t *inp;
    int B, T, C;
} encoder_ctx;

static void encoder_run(void *p)
{
    encoder_ctx *e = p;
    encoder_forward(e->out, e->inp, e->wte, e->wpe, e->B, e->T, e->C);
}

static void test_encoder(void)
{
    int B = 2, T = 4, C = 3, V = 256;
    encoder_ctx e = {zeros(B * T * C), random_array(V * C, 1), random_array(T * C, 1),
                     malloc(B * T), B, T, C};
    for (int i = 0; i < B * T; i++)
        e.inp[i] = (uint8_t)(i % 3 == 0 ? 7 : rng_below(&rng, V)); /* a repeated token */
    float *w = random_array(B * T * C, 1);
    float *dwte = zeros(V * C), *dwpe = zeros(T * C);
    encoder_run(&e);
    encoder_backward(dwte, dwpe, w, e.inp, B, T, C);
    projection p = {encoder_run, &e, e.out, w, B * T * C};
    check_gradient("encoder d(wte)", e.wte, V * C, dwte, &p, 1e-2f, 2e-4, 1e-3);
    check_gradient("encoder d(wpe)", e.wpe, T * C, dwpe, &p, 1e-2f, 2e-4, 1e-3);
    free(w); free(dwte); free(dwpe); free(e.out); free(e.wte); free(e.wpe); free(e.inp);
}

/* ---- fast math ---- */

static void test_fastmath(void)
{
    double worst_exp = 0, worst_tanh = 0;
    for (int i = 0; i <= 200000; i++) {
        float x = -87.0f + 175.0f * (float)i / 200000.0f;
        double want = exp((double)x);
        worst_exp = fmax(worst_exp, fabs(fast_expf(x) - want) / want);
        float y = -10.0f + 20.0f * (float)i / 200000.0f;
        worst_tanh = fmax(worst_tanh, fabs(fast_tanhf(y) - tanh((double)y)));
    }
    check(worst_exp < 5e-7, "fast_expf relative error %g", worst_exp);
    check(worst_tanh < 5e-7, "fast_tanhf absolute error %g", worst_tanh);
    check(fast_expf(-1000.0f) < 1e-37f && fast_expf(-1000.0f) >= 0.0f, "fast_expf underflows to ~0");
    check(isfinite(fast_expf(1000.0f)), "fast_expf saturates finitely");
    check(isnan(fast_expf(NAN)) && isnan(fast_tanhf(NAN)), "NaN propagates (divergence shows)");
    check(fast_tanhf(100.0f) == 1.0f && fast_tanhf(-100.0f) == -1.0f, "fast_tanhf saturates");
}

int main(void)
{
    rng_seed(&rng, 1234, 0);
    test_matmul();
    test_layernorm();
    test_attention(2, 5, 8, 2);
    test_attention(1, 70, 8, 2);
    test_gelu();
    test_crossentropy();
    test_encoder();
    test_fastmath();
    return test_report("test_layers");
}
