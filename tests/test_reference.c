/* A C model against a PyTorch reference: the transformer against
 * tests/fixtures/reference.bin (written by tests/make_reference.py, which documents the
 * format), the LSTM against tests/fixtures/lstm_reference.bin (tests/make_lstm_reference.py,
 * nn.LSTM itself); the file's magic says which. The loss and every gradient
 * element of one forward and backward; clipping and one AdamW step from the reference's
 * own gradients, which isolates the optimiser; then K steps of forward, backward,
 * clipping and AdamW, comparing the loss, the gradient norm and every parameter after
 * each step.
 *
 *     test_reference tests/fixtures/reference.bin
 *     test_reference tests/fixtures/lstm_reference.bin
 *
 * Ends with "N passed, M failed" and a non-zero status on any failure. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstm.h"
#include "model.h"
#include "optim.h"

/* Tolerances, |got - want| <= atol + rtol * |want|. Both sides compute in float32 but sum
 * in different orders (OpenBLAS against torch's kernels), so they agree to a few float
 * roundings amplified by the depth of the network; the test prints the worst errors and
 * the largest error / tolerance ratio of every comparison. */
#define LOSS_RTOL 1e-6
/* A gradient's atol is relative to the largest |gradient| of its block (see block_length),
 * since scales differ by orders of magnitude (ln1w ~1e-3, attprojb ~1e-1, q and k ~1e-4).
 * Measured float noise against torch: up to 1.2e-6 of the block's largest. */
#define GRAD_RTOL 1e-4
#define GRAD_ATOL_OF_MAX 1e-5
#define NORM_RTOL 1e-5
/* Parameters move by about lr (1e-3) per step; a thousandth of that is allowed, plus what
 * AdamW makes of float noise in the gradients. AdamW divides each gradient by its own
 * running RMS, sqrt(v_hat), so a gradient error d moves the step by up to about
 * 2 lr d / (sqrt(v_hat) + eps): rounding that is negligible for a large gradient becomes
 * a sizeable part of the step for a gradient near zero. Each element's tolerance therefore
 * grows by that much every step, with sqrt(v_hat) from the C model's own moments and d
 * GRAD_NOISE_OF_MAX times its block's largest |gradient| (see block_length; measured
 * against torch over OpenBLAS's kernels: up to 1.2e-6). The test prints how many elements
 * this loosens beyond PARAM_ATOL; test_optimiser checks AdamW's arithmetic on all of them
 * tightly. */
#define PARAM_RTOL 1e-5
#define PARAM_ATOL 1e-6
#define GRAD_NOISE_OF_MAX 3e-6
/* One AdamW step from the reference's own gradients sees no gradient rounding at all: only
 * the update's arithmetic differs (float against double bias corrections), a few ulp. */
#define OPTIMISER_RTOL 1e-6
#define OPTIMISER_ATOL 1e-9
/* The key bias (columns [C, 2C) of qkvb) has a gradient that is zero in exact arithmetic:
 * it adds q . bk to every score of a query's row, which the softmax ignores. Both sides
 * get only rounding noise there (~1e-11, against ~1e-2 for the rest of qkvb), checked to
 * be small; AdamW turns such noise g into a step of about lr g / (|g| + eps), so
 * ~1e-3 lr of unrelated sign on the two sides, and a key bias is allowed ten times that. */
#define KEY_BIAS_GRAD_OF_MAX 1e-6
#define KEY_BIAS_STEP_FRACTION 1e-2

#define MAGIC "SSWPREF1"
#define MAGIC_LSTM "SSWPLST1"
#define MAX_STEPS 64

static int checks_passed = 0;
static int checks_failed = 0;

static void check(int ok, const char *format, ...)
{
    if (ok) {
        checks_passed++;
        return;
    }
    checks_failed++;
    va_list args;
    va_start(args, format);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
}

/* The fixture: inputs and targets point into the file's buffer, the float arrays are
 * copies (aligned, unlike their offsets in the file). */
typedef struct {
    unsigned char *data;
    int is_lstm;
    model_config config;     /* the transformer's */
    lstm_config lstm_config; /* the LSTM's */
    int batch, steps;
    int64_t num_params;
    float lr[MAX_STEPS];
    float beta1, beta2, eps, weight_decay, grad_clip;
    const uint8_t *inputs, *targets;
    float *params;
    float loss;
    float *grads;
    float step_loss[MAX_STEPS], step_grad_norm[MAX_STEPS];
    float *step_params[MAX_STEPS];
} fixture;

typedef struct {
    const unsigned char *data;
    size_t size, offset;
    int overrun;
} reader;

static const void *take(reader *r, size_t n)
{
    if (r->overrun || n > r->size - r->offset) {
        r->overrun = 1;
        return NULL;
    }
    const void *p = r->data + r->offset;
    r->offset += n;
    return p;
}

/* The fixture is little endian, and so is every machine this project runs on; on a
 * big-endian host the header checks fail rather than garbage being read silently. */
static int32_t take_int(reader *r)
{
    int32_t value = 0;
    const void *p = take(r, sizeof value);
    if (p)
        memcpy(&value, p, sizeof value);
    return value;
}

static float take_float(reader *r)
{
    float value = 0.0f;
    const void *p = take(r, sizeof value);
    if (p)
        memcpy(&value, p, sizeof value);
    return value;
}

/* A copy, or NULL when the file is short or memory runs out. */
static float *take_floats(reader *r, int64_t n)
{
    const void *p = take(r, (size_t)n * sizeof(float));
    if (!p)
        return NULL;
    float *out = malloc((size_t)n * sizeof(float));
    if (out)
        memcpy(out, p, (size_t)n * sizeof(float));
    return out;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return NULL;
    unsigned char *data = NULL;
    long length = -1;
    if (fseek(file, 0, SEEK_END) == 0 && (length = ftell(file)) >= 0 &&
        fseek(file, 0, SEEK_SET) == 0) {
        data = malloc(length > 0 ? (size_t)length : 1);
        if (data && fread(data, 1, (size_t)length, file) != (size_t)length) {
            free(data);
            data = NULL;
        }
    }
    fclose(file);
    *size = (size_t)length;
    return data;
}

/* Returns NULL, or what is wrong with the file. */
static const char *load_fixture(fixture *f, const char *path)
{
    memset(f, 0, sizeof *f);
    size_t size = 0;
    f->data = read_file(path, &size);
    if (!f->data)
        return "cannot read the file";
    reader r = {f->data, size, 0, 0};
    const void *magic = take(&r, strlen(MAGIC));
    f->is_lstm = magic && memcmp(magic, MAGIC_LSTM, strlen(MAGIC_LSTM)) == 0;
    if (!magic || (!f->is_lstm && memcmp(magic, MAGIC, strlen(MAGIC)) != 0))
        return "bad magic";
    if (f->is_lstm) {
        f->lstm_config.n_layer = take_int(&r);
        f->lstm_config.d_model = take_int(&r);
        f->lstm_config.n_ctx = take_int(&r);
    } else {
        f->config.n_layer = take_int(&r);
        f->config.d_model = take_int(&r);
        f->config.n_head = take_int(&r);
        f->config.n_ctx = take_int(&r);
    }
    f->batch = take_int(&r);
    f->steps = take_int(&r);
    f->num_params = take_int(&r);
    if (r.overrun)
        return "truncated header";
    const char *invalid =
        f->is_lstm ? lstm_config_error(&f->lstm_config) : model_config_error(&f->config);
    if (invalid)
        return invalid;
    if (f->batch < 1 || f->steps < 1 || f->steps > MAX_STEPS)
        return "batch or step count out of range";
    if (f->num_params !=
        (f->is_lstm ? lstm_count_total(&f->lstm_config) : model_count_total(&f->config)))
        return "parameter count does not match the configuration";
    for (int k = 0; k < f->steps; k++)
        f->lr[k] = take_float(&r);
    f->beta1 = take_float(&r);
    f->beta2 = take_float(&r);
    f->eps = take_float(&r);
    f->weight_decay = take_float(&r);
    f->grad_clip = take_float(&r);
    const int n_ctx = f->is_lstm ? f->lstm_config.n_ctx : f->config.n_ctx;
    size_t tokens = (size_t)f->batch * (size_t)n_ctx;
    f->inputs = take(&r, tokens);
    f->targets = take(&r, tokens);
    f->params = take_floats(&r, f->num_params);
    f->loss = take_float(&r);
    f->grads = take_floats(&r, f->num_params);
    for (int k = 0; k < f->steps; k++) {
        f->step_loss[k] = take_float(&r);
        f->step_grad_norm[k] = take_float(&r);
        f->step_params[k] = take_floats(&r, f->num_params);
    }
    if (r.overrun)
        return "truncated";
    if (r.offset != size)
        return "trailing bytes";
    if (!f->params || !f->grads)
        return "out of memory";
    for (int k = 0; k < f->steps; k++)
        if (!f->step_params[k])
            return "out of memory";
    return NULL;
}

static void free_fixture(fixture *f)
{
    free(f->params);
    free(f->grads);
    /* all of them: steps may be a corrupt header's value, and unread ones are NULL */
    for (int k = 0; k < MAX_STEPS; k++)
        free(f->step_params[k]);
    free(f->data);
}

typedef struct {
    int64_t count, mismatches;
    double worst_abs, worst_rel, worst_ratio; /* worst_ratio: error / tolerance */
} comparison;

/* worst_rel is over the elements with |want| above atol, where a relative error means
 * something; atol may differ from element to element. */
static void accumulate(comparison *c, float got, float want, double atol, double rtol)
{
    double error = fabs((double)got - (double)want);
    double tolerance = atol + rtol * fabs((double)want);
    c->count++;
    /* written so that a NaN counts as a mismatch and as the worst error */
    if (!(error <= tolerance))
        c->mismatches++;
    if (!(error <= c->worst_abs))
        c->worst_abs = error;
    double ratio = tolerance > 0.0 ? error / tolerance : (error > 0.0 ? INFINITY : 0.0);
    if (!(ratio <= c->worst_ratio))
        c->worst_ratio = ratio;
    if (fabs((double)want) > atol && error / fabs((double)want) > c->worst_rel)
        c->worst_rel = error / fabs((double)want);
}

static void print_comparison(const char *name, const comparison *c)
{
    printf("  %-9s worst abs %.2e  worst rel %.2e  worst error/tolerance %.3f%s\n", name,
           c->worst_abs, c->worst_rel, c->worst_ratio, c->mismatches ? "  MISMATCH" : "");
}

static double max_abs(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fabs((double)x[i]) > m ? fabs((double)x[i]) : m;
    return m;
}

/* The model under test, either architecture, as the comparisons see it: its buffers, its
 * tensors' sizes and names, forward and backward. */
typedef struct {
    int is_lstm;
    model transformer;
    lstm recurrent;
    float *params, *grads, *mom, *v;
    int n_layer, num_tensors;
    const size_t *sizes;
} net;

static int net_init(net *m, const fixture *f)
{
    memset(m, 0, sizeof *m);
    m->is_lstm = f->is_lstm;
    if (m->is_lstm ? lstm_init(&m->recurrent, &f->lstm_config, f->batch)
                   : model_init(&m->transformer, &f->config, f->batch))
        return -1;
    const optim_params p =
        m->is_lstm ? lstm_optim_params(&m->recurrent) : model_optim_params(&m->transformer);
    m->params = p.params;
    m->grads = p.grads;
    m->mom = p.m;
    m->v = p.v;
    m->num_tensors = p.num_tensors;
    m->sizes = p.sizes;
    m->n_layer = m->is_lstm ? f->lstm_config.n_layer : f->config.n_layer;
    return 0;
}

static void net_free(net *m)
{
    if (m->is_lstm)
        lstm_free(&m->recurrent);
    else
        model_free(&m->transformer);
}

static optim_params net_params(net *m)
{
    return m->is_lstm ? lstm_optim_params(&m->recurrent) : model_optim_params(&m->transformer);
}

static const char *net_tensor_name(const net *m, int t)
{
    return m->is_lstm ? lstm_tensor_name(t) : model_tensor_name(t);
}

static double net_forward(net *m, const uint8_t *inputs, const uint8_t *targets, int B)
{
    return m->is_lstm ? lstm_forward(&m->recurrent, inputs, targets, B)
                      : model_forward(&m->transformer, inputs, targets, B);
}

static void net_backward(net *m)
{
    if (m->is_lstm)
        lstm_backward(&m->recurrent);
    else
        model_backward(&m->transformer);
}

static size_t tensor_offset(const net *m, int tensor)
{
    size_t offset = 0;
    for (int t = 0; t < tensor; t++)
        offset += m->sizes[t];
    return offset;
}

/* Indices in model_params order; main checks them against model_tensor_name. */
enum { WTE = 0, WPE = 1, QKVW = 4, QKVB = 5, LNFW = 14, LNFB = 15 };

/* Gradient scales differ by orders of magnitude within tensors as well as between them:
 * from layer to layer, and in qkvw and qkvb between the q, k and v parts (attention is
 * nearly uniform at GPT-2's init, so q and k get ~1e-3 of v's gradient). Tolerances
 * therefore scale with the largest |gradient| of a block, one layer's slice of a tensor,
 * or one layer's q, k or v part of qkvw and qkvb. Blocks are contiguous. */
static size_t block_length(const net *m, int tensor)
{
    size_t n = m->sizes[tensor], L = (size_t)m->n_layer;
    if (m->is_lstm) /* the embedding whole; the layers' weights and biases by layer and gate */
        return tensor == 0 ? n : n / (4 * L);
    if (tensor == WTE || tensor == WPE || tensor == LNFW || tensor == LNFB)
        return n;
    if (tensor == QKVW || tensor == QKVB)
        return n / (3 * L);
    return n / L;
}

/* Whether the block at start (counted from the tensor's first element) is a key bias. */
static int is_key_bias(const net *m, int tensor, size_t start)
{
    return !m->is_lstm && tensor == QKVB && (start / block_length(m, tensor)) % 3 == 1;
}

/* The largest |x| of a block; for a key bias, whose gradient is only rounding noise, that
 * of its layer's whole qkvb. */
static double block_scale(const net *m, const float *x, int tensor, size_t start)
{
    size_t offset = tensor_offset(m, tensor), length = block_length(m, tensor);
    if (is_key_bias(m, tensor, start))
        return max_abs(x + offset + start - length, 3 * length);
    return max_abs(x + offset + start, length);
}

/* One check per tensor (when counted), each printed with its worst errors when verbose.
 * Returns the number of mismatching elements over all tensors. */
static int64_t compare_gradients(const net *m, const float *want, const char *what, int verbose,
                                 int counted)
{
    int64_t total = 0;
    for (int t = 0; t < m->num_tensors; t++) {
        size_t offset = tensor_offset(m, t), n = m->sizes[t];
        size_t length = block_length(m, t);
        comparison c = {0};
        for (size_t start = 0; start < n; start += length) {
            double atol = GRAD_ATOL_OF_MAX * block_scale(m, want, t, start);
            for (size_t i = offset + start; i < offset + start + length; i++)
                accumulate(&c, m->grads[i], want[i], atol, GRAD_RTOL);
        }
        if (verbose)
            print_comparison(net_tensor_name(m, t), &c);
        if (counted)
            check(c.mismatches == 0, "%s gradient %s: %lld of %lld elements out of tolerance", what,
                  net_tensor_name(m, t), (long long)c.mismatches, (long long)c.count);
        total += c.mismatches;
    }
    return total;
}

/* The key biases' gradient, against the largest of the whole qkvb tensor. */
static void check_key_bias_gradient(const net *m)
{
    size_t offset = tensor_offset(m, QKVB), n = m->sizes[QKVB];
    size_t length = block_length(m, QKVB);
    double largest = max_abs(m->grads + offset, n), key = 0.0;
    for (size_t start = 0; start < n; start += length) {
        double block = max_abs(m->grads + offset + start, length);
        if (is_key_bias(m, QKVB, start) && block > key)
            key = block;
    }
    printf("  key bias max|g| %.2e, %.1e of qkvb's max|g|\n", key, key / largest);
    check(key <= KEY_BIAS_GRAD_OF_MAX * largest,
          "key bias gradient %.3e does not vanish (qkvb max %.3e)", key, largest);
}

/* One check per tensor. allowance (NULL for none) adds to each element's atol; the
 * elements for which it exceeds atol itself are counted as loosened. */
static void compare_parameters(const net *m, const float *want, const char *what, double atol,
                               double rtol, const double *allowance)
{
    for (int t = 0; t < m->num_tensors; t++) {
        size_t offset = tensor_offset(m, t), n = m->sizes[t];
        comparison c = {0};
        int64_t loosened = 0;
        for (size_t i = offset; i < offset + n; i++) {
            double extra = allowance ? allowance[i] : 0.0;
            loosened += extra > atol;
            accumulate(&c, m->params[i], want[i], atol + extra, rtol);
        }
        print_comparison(net_tensor_name(m, t), &c);
        if (loosened)
            printf("            (atol loosened for %lld of %lld)\n", (long long)loosened,
                   (long long)c.count);
        check(c.mismatches == 0, "%s parameters %s: %lld of %lld elements out of tolerance", what,
              net_tensor_name(m, t), (long long)c.mismatches, (long long)c.count);
    }
}

/* After AdamW step t with learning rate lr: adds to each element's allowance what the step
 * can make of gradient noise (see GRAD_NOISE_OF_MAX). */
static void grow_allowance(const net *m, double *allowance, const optim_config *c, float lr, int t)
{
    const double bias2 = 1.0 - pow(c->beta2, t);
    for (int tensor = 0; tensor < m->num_tensors; tensor++) {
        size_t offset = tensor_offset(m, tensor), n = m->sizes[tensor];
        size_t length = block_length(m, tensor);
        for (size_t start = 0; start < n; start += length) {
            int key_bias = is_key_bias(m, tensor, start);
            double noise = GRAD_NOISE_OF_MAX * block_scale(m, m->grads, tensor, start);
            for (size_t i = offset + start; i < offset + start + length; i++) {
                double rms = sqrt(m->v[i] / bias2);
                allowance[i] += key_bias ? KEY_BIAS_STEP_FRACTION * lr
                                         : 2.0 * lr * noise / (rms + c->eps);
            }
        }
    }
}

static int loss_close(double got, double want)
{
    return fabs(got - want) <= LOSS_RTOL * fabs(want);
}

static optim_config optimiser_config(const fixture *f)
{
    optim_config c = {0};
    c.beta1 = f->beta1;
    c.beta2 = f->beta2;
    c.eps = f->eps;
    c.weight_decay = f->weight_decay;
    c.grad_clip = f->grad_clip;
    return c;
}

static void reset(net *m, const fixture *f)
{
    size_t bytes = (size_t)f->num_params * sizeof(float);
    memcpy(m->params, f->params, bytes);
    memset(m->mom, 0, bytes);
    memset(m->v, 0, bytes);
}

/* The test's teeth: with one parameter nudged by a thousandth (of its value in the
 * transformer; 1e-3 added in the LSTM), the gradient comparison must report mismatches.
 * They are not counted as failures; a miss would be. */
static void negative_self_check(net *m, const fixture *f)
{
    /* layer 0's first attention gain, or the LSTM's first input-gate bias: a change that
     * every later activation sees */
    const int tensor = m->is_lstm ? 3 : 2;
    reset(m, f);
    if (m->is_lstm)
        m->params[tensor_offset(m, tensor)] += 1e-3f;
    else
        m->params[tensor_offset(m, tensor)] *= 1.001f;
    double loss = net_forward(m, f->inputs, f->targets, f->batch);
    net_backward(m);
    int64_t mismatches = compare_gradients(m, f->grads, "perturbed", 0, 0);
    printf("negative self-check: %s[0] %s: loss %.2e off (%s), "
           "%lld gradient elements out of tolerance\n",
           net_tensor_name(m, tensor), m->is_lstm ? "+ 1e-3" : "scaled by 1.001",
           fabs(loss - f->loss), loss_close(loss, f->loss) ? "within tolerance" : "mismatch",
           (long long)mismatches);
    check(mismatches > 0, "negative self-check: a perturbed parameter went unnoticed");
}

/* Forward and backward of the initial parameters. */
static void test_gradients(net *m, const fixture *f)
{
    reset(m, f);
    double loss = net_forward(m, f->inputs, f->targets, f->batch);
    printf("loss %.9g, reference %.9g, abs error %.2e\n", loss, f->loss, fabs(loss - f->loss));
    check(loss_close(loss, f->loss), "loss %.9g, reference %.9g", loss, f->loss);
    net_backward(m);
    printf("gradients (rtol %.0e, atol %.0e of the block's max|g|):\n", GRAD_RTOL,
           GRAD_ATOL_OF_MAX);
    compare_gradients(m, f->grads, "initial", 1, 1);
    if (!m->is_lstm)
        check_key_bias_gradient(m);
}

/* Clipping and one AdamW step from the reference's gradients, which step 1 of the
 * reference used too: the optimiser alone, free of any gradient rounding. */
static void test_optimiser(net *m, const fixture *f)
{
    reset(m, f);
    memcpy(m->grads, f->grads, (size_t)f->num_params * sizeof(float));
    optim_config c = optimiser_config(f);
    const optim_params parameters = net_params(m);
    double norm = optim_clip_gradients(&parameters, f->grad_clip);
    check(fabs(norm - f->step_grad_norm[0]) <= NORM_RTOL * f->step_grad_norm[0],
          "optimiser alone: gradient norm %.9g, reference %.9g", norm, f->step_grad_norm[0]);
    optim_adamw_update(&parameters, &c, f->lr[0], 1);
    printf("optimiser alone, step 1 from the reference gradients (rtol %.0e, atol %.0e):\n",
           OPTIMISER_RTOL, OPTIMISER_ATOL);
    compare_parameters(m, f->step_params[0], "optimiser alone", OPTIMISER_ATOL,
                       OPTIMISER_RTOL, NULL);
}

/* K steps of forward, backward, clipping and AdamW on the batch, from fresh moments. */
static void test_training(net *m, const fixture *f)
{
    reset(m, f);
    optim_config c = optimiser_config(f);
    double *allowance = calloc((size_t)f->num_params, sizeof(double));
    check(allowance != NULL, "out of memory");
    if (!allowance)
        return;
    for (int k = 0; k < f->steps; k++) {
        char what[32];
        snprintf(what, sizeof what, "step %d", k + 1);
        double loss = net_forward(m, f->inputs, f->targets, f->batch);
        check(loss_close(loss, f->step_loss[k]), "%s loss %.9g, reference %.9g", what, loss,
              f->step_loss[k]);
        net_backward(m);
        const optim_params parameters = net_params(m);
        double norm = optim_clip_gradients(&parameters, f->grad_clip);
        double norm_error = fabs(norm - f->step_grad_norm[k]) / f->step_grad_norm[k];
        check(norm_error <= NORM_RTOL, "%s gradient norm %.9g, reference %.9g", what, norm,
              f->step_grad_norm[k]);
        optim_adamw_update(&parameters, &c, f->lr[k], k + 1);
        grow_allowance(m, allowance, &c, f->lr[k], k + 1);
        printf("%s (lr %g): loss abs error %.2e, gradient norm %.6f (rel error %.2e, %s),\n"
               "  parameters after (rtol %.0e, atol %.0e + gradient noise allowance):\n",
               what, f->lr[k], fabs(loss - f->step_loss[k]), norm, norm_error,
               norm > f->grad_clip ? "clipped" : "not clipped", PARAM_RTOL, PARAM_ATOL);
        compare_parameters(m, f->step_params[k], what, PARAM_ATOL, PARAM_RTOL, allowance);
    }
    free(allowance);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s tests/fixtures/reference.bin\n", argv[0]);
        return 2;
    }
    fixture f;
    const char *error = load_fixture(&f, argv[1]);
    if (error) {
        fprintf(stderr, "%s: %s\n", argv[1], error);
        free_fixture(&f);
        return 2;
    }
    net m;
    if (net_init(&m, &f) != 0) {
        fprintf(stderr, "out of memory\n");
        free_fixture(&f);
        return 2;
    }
    check(f.is_lstm || (strcmp(model_tensor_name(WTE), "wte") == 0 &&
                        strcmp(model_tensor_name(WPE), "wpe") == 0 &&
                        strcmp(model_tensor_name(QKVW), "qkvw") == 0 &&
                        strcmp(model_tensor_name(QKVB), "qkvb") == 0 &&
                        strcmp(model_tensor_name(LNFW), "lnfw") == 0 &&
                        strcmp(model_tensor_name(LNFB), "lnfb") == 0),
          "the test's tensor indices match model_params");
    if (f.is_lstm)
        printf("LSTM reference: L=%d C=%d T=%d B=%d, %lld parameters, %d AdamW steps\n",
               f.lstm_config.n_layer, f.lstm_config.d_model, f.lstm_config.n_ctx, f.batch,
               (long long)f.num_params, f.steps);
    else
        printf("reference: L=%d C=%d NH=%d T=%d B=%d, %lld parameters, %d AdamW steps\n",
               f.config.n_layer, f.config.d_model, f.config.n_head, f.config.n_ctx, f.batch,
               (long long)f.num_params, f.steps);

    negative_self_check(&m, &f);
    test_gradients(&m, &f);
    test_optimiser(&m, &f);
    test_training(&m, &f);

    net_free(&m);
    free_fixture(&f);
    printf("test_reference: %d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
