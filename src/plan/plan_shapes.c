/* Shapes: the n_layer x d_model x n_head (or an LSTM's n_layer x d_model) of a shapes item,
 * and a shape generated for a target N ([model] params): a transformer within a band of
 * aspect ratios, an LSTM of PLAN_LSTM_LAYERS layers. N is the architecture's count (net.h). */
#include <ctype.h>
#include <math.h>
#include <stdint.h>

#include "model.h"
#include "net.h"
#include "plan_internal.h"

int plan_parse_shape(const char *text, model_config *shape, int n_ctx)
{
    int values[3] = {0, 0, 0}, count = 0;
    const char *c = text;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (i == 2 && *c == '\0')
                break; /* two numbers: an LSTM's */
            if (*c != 'x' && *c != 'X')
                return -1;
            c++;
        }
        if (!isdigit((unsigned char)*c))
            return -1;
        long long v = 0;
        while (isdigit((unsigned char)*c)) {
            v = 10 * v + (*c - '0');
            if (v > 1000000)
                return -1;
            c++;
        }
        values[i] = (int)v;
        count++;
    }
    if (*c)
        return -1;
    shape->n_layer = values[0];
    shape->d_model = values[1];
    shape->n_head = values[2];
    shape->n_ctx = n_ctx;
    shape->architecture = count == 2 ? MODEL_LSTM : MODEL_TRANSFORMER;
    return 0;
}

double plan_generate_lstm_shape(int64_t target, model_config *out)
{
    const int L = PLAN_LSTM_LAYERS, step = PLAN_LSTM_WIDTH_MULTIPLE;
    const double exact = net_width_for_nonembedding(MODEL_LSTM, L, (double)target);
    const int64_t low = (int64_t)floor(exact / step);
    double best_error = INFINITY, best_ratio = 0.0;
    for (int64_t multiple = low; multiple <= low + 1; multiple++) {
        const int64_t d_model = (multiple < 1 ? 1 : multiple) * step;
        if (d_model > 65536)
            continue;
        const model_config shape = {L, (int)d_model, 0, out->n_ctx, MODEL_LSTM};
        const double ratio = (double)net_count_nonembedding(&shape) / (double)target;
        if (fabs(log(ratio)) < best_error) {
            best_error = fabs(log(ratio));
            best_ratio = ratio;
            *out = shape;
        }
    }
    return best_ratio;
}

/* N of n_layer blocks of width d_model, as model.c counts it (n_head and n_ctx do not
 * change it). */
static double shape_count(int n_layer, int d_model)
{
    const model_config shape = {n_layer, d_model, 1, 2, MODEL_TRANSFORMER};
    return (double)model_count_nonembedding(&shape);
}

/* A shape for a target N: d_model a multiple of head_size, n_head = d_model / head_size.
 * For each factor of N in turn, PLAN_PARAMS_NEAR then PLAN_PARAMS_TOLERANCE: the N nearest
 * the target (in ratio) among shapes whose d_model / n_layer lies within a factor
 * PLAN_ASPECT_BAND of aspect, when it comes within that factor; else the shape nearest in N
 * and aspect together among all that do, with *off_aspect set (small targets, where the band
 * holds few widths: with head_size 32 and aspect 40, nothing in it between 2x64 at 100k and
 * 2x96 at 224k, so 150k takes 3x64). Returns N / target of the shape chosen, or of the
 * nearest in the band when no shape comes within PLAN_PARAMS_TOLERANCE. */
double plan_generate_shape(int64_t target, double aspect, int head_size, model_config *out,
                           int *off_aspect)
{
    static const double factors[2] = {PLAN_PARAMS_NEAR, PLAN_PARAMS_TOLERANCE};
    double band_error = INFINITY, any_score[2] = {INFINITY, INFINITY};
    model_config band = {0}, any[2] = {{0}, {0}};
    for (int n_layer = 1; n_layer <= 4096; n_layer++) {
        if (shape_count(n_layer, head_size) > 4.0 * (double)target)
            break;
        /* the real d_model that would hit the target exactly, then its two neighbours */
        double exact = model_width_for_nonembedding(n_layer, (double)target);
        int64_t low = (int64_t)floor(exact / head_size);
        for (int64_t multiple = low; multiple <= low + 1; multiple++) {
            int64_t d_model = multiple * head_size;
            if (multiple < 1 || d_model > 65536)
                continue;
            model_config shape = {n_layer, (int)d_model, (int)multiple, 0, MODEL_TRANSFORMER};
            double size_error = fabs(log(shape_count(n_layer, (int)d_model) / (double)target));
            double shape_error = fabs(log((double)d_model / n_layer / aspect));
            /* ties in N go to the shape nearer the aspect ratio */
            double band_score = size_error + 1e-9 * shape_error;
            if (shape_error <= log(PLAN_ASPECT_BAND) + 1e-12 && band_score < band_error) {
                band_error = band_score;
                band = shape;
            }
            for (int f = 0; f < 2; f++)
                if (size_error <= log(factors[f]) && size_error + shape_error < any_score[f]) {
                    any_score[f] = size_error + shape_error;
                    any[f] = shape;
                }
        }
    }
    if (band.n_layer == 0) /* no width in the band: even 1 x head_size is too wide */
        band = (model_config){1, head_size, 1, 0, MODEL_TRANSFORMER};
    const double band_off = fabs(log(shape_count(band.n_layer, band.d_model) / (double)target));
    *off_aspect = 0;
    model_config chosen = band;
    for (int f = 0; f < 2; f++) {
        if (band_error < INFINITY && band_off <= log(factors[f]) + 1e-12)
            break;
        if (any[f].n_layer > 0) {
            chosen = any[f];
            *off_aspect = 1;
            break;
        }
    }
    out->n_layer = chosen.n_layer;
    out->d_model = chosen.d_model;
    out->n_head = chosen.n_head;
    return shape_count(chosen.n_layer, chosen.d_model) / (double)target;
}
