/* The least-squares laws: single-variable power laws with and without an irreducible
 * term, Kaplan's joint law, the IsoFLOP parabola. All but the parabola are fitted on
 * ln L, because losses of different sizes then weigh alike and the noise of a loss is
 * closer to multiplicative than additive (seed spread grows with the loss). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multifit_nlinear.h>

#include "fit_internal.h"

/* ---- L = (x_c/x)^alpha ----
 * ln L = alpha ln x_c - alpha ln x is linear in (alpha ln x_c, alpha): ordinary least
 * squares on (ln x, ln L) is the exact least-squares fit on ln L, in closed form, with no
 * starting point to choose and no iteration to fail. */
fit_status fit_power_law(const double *x, const double *loss, int64_t n, double out[2],
                         char *message, size_t message_length)
{
    fit_gsl_errors_off();
    out[0] = out[1] = NAN;
    const char *bad = fit_check_positive(x, n, "x");
    if (!bad)
        bad = fit_check_positive(loss, n, "loss");
    if (bad) {
        message_format(message, message_length, "%s", bad);
        return FIT_DEGENERATE;
    }
    if (n < 3) {
        message_format(message, message_length, "%lld points: need at least 3", (long long)n);
        return FIT_DEGENERATE;
    }
    if (fit_count_distinct(x, n) < 2) {
        message_format(message, message_length, "all points have the same x");
        return FIT_DEGENERATE;
    }
    double *lx = malloc((size_t)n * sizeof(double)), *ly = malloc((size_t)n * sizeof(double));
    if (!lx || !ly) {
        free(lx);
        free(ly);
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    for (int64_t i = 0; i < n; i++) {
        lx[i] = log(x[i]);
        ly[i] = log(loss[i]);
    }
    double c0, c1, cov00, cov01, cov11, sumsq;
    int status = gsl_fit_linear(lx, 1, ly, 1, (size_t)n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
    free(lx);
    free(ly);
    if (status != GSL_SUCCESS) {
        message_format(message, message_length, "linear fit failed: %s", gsl_strerror(status));
        return FIT_FAILED;
    }
    const double alpha = -c1;
    if (!(alpha > 0)) {
        message_format(message, message_length,
                    "the loss does not fall with x (slope %.3g in log-log): no power law", c1);
        out[0] = alpha;
        return FIT_DEGENERATE;
    }
    out[0] = alpha;
    out[1] = exp(c0 / alpha);
    return FIT_OK;
}

/* ---- nonlinear least squares, shared ---- */

typedef struct {
    const double *x1, *x2, *log_loss;  /* ln x (or ln N), ln D, ln L */
    int64_t n;
} log_data;

/* Runs GSL's trust-region Levenberg-Marquardt from p (p_count parameters) and leaves
 * the end point in p; returns the sum of squared residuals, or INFINITY on failure. */
static double least_squares(int (*f)(const gsl_vector *, void *, gsl_vector *),
                            int (*df)(const gsl_vector *, void *, gsl_matrix *),
                            log_data *data, double *p, size_t p_count)
{
    gsl_multifit_nlinear_parameters parameters = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(
        gsl_multifit_nlinear_trust, &parameters, (size_t)data->n, p_count);
    if (!w)
        return INFINITY;
    gsl_multifit_nlinear_fdf fdf = {f, df, NULL, (size_t)data->n, p_count, data, 0, 0, 0};
    gsl_vector_view x = gsl_vector_view_array(p, p_count);
    double sse = INFINITY;
    int info;
    if (gsl_multifit_nlinear_init(&x.vector, &fdf, w) == GSL_SUCCESS) {
        int status = gsl_multifit_nlinear_driver(500, 1e-12, 1e-12, 0.0, NULL, NULL, &info, w);
        /* GSL_EMAXITER and GSL_ENOPROG still leave the best point found; keep it if
           finite, the caller compares starts by their residual */
        if (status == GSL_SUCCESS || status == GSL_EMAXITER || status == GSL_ENOPROG) {
            const gsl_vector *residual = gsl_multifit_nlinear_residual(w);
            double s = 0.0;
            for (size_t i = 0; i < residual->size; i++)
                s += gsl_vector_get(residual, i) * gsl_vector_get(residual, i);
            const gsl_vector *end = gsl_multifit_nlinear_position(w);
            int finite = isfinite(s);
            for (size_t j = 0; j < p_count; j++)
                finite &= isfinite(gsl_vector_get(end, j));
            if (finite) {
                sse = s;
                for (size_t j = 0; j < p_count; j++)
                    p[j] = gsl_vector_get(end, j);
            }
        }
    }
    gsl_multifit_nlinear_free(w);
    return sse;
}

/* ln(exp(u) + exp(v)) without overflow, and the weight exp(u)/(exp(u) + exp(v)). */
static inline double log_add(double u, double v, double *weight_u)
{
    const double m = u > v ? u : v;
    const double eu = exp(u - m), ev = exp(v - m);
    *weight_u = eu / (eu + ev);
    return m + log(eu + ev);
}

/* ---- L = E + (x_c/x)^alpha ----
 * As ln L = LSE(e, a - alpha ln x) with p = (e, a, alpha): E = exp(e) stays positive, and
 * E -> 0 (no irreducible term) is approached smoothly rather than through a bound. */
static int power_e_f(const gsl_vector *p, void *params, gsl_vector *r)
{
    const log_data *d = params;
    const double e = gsl_vector_get(p, 0), a = gsl_vector_get(p, 1), alpha = gsl_vector_get(p, 2);
    for (int64_t i = 0; i < d->n; i++) {
        double weight;
        gsl_vector_set(r, (size_t)i, log_add(e, a - alpha * d->x1[i], &weight) - d->log_loss[i]);
    }
    return GSL_SUCCESS;
}

static int power_e_df(const gsl_vector *p, void *params, gsl_matrix *j)
{
    const log_data *d = params;
    const double e = gsl_vector_get(p, 0), a = gsl_vector_get(p, 1), alpha = gsl_vector_get(p, 2);
    for (int64_t i = 0; i < d->n; i++) {
        double weight_e;
        log_add(e, a - alpha * d->x1[i], &weight_e);
        gsl_matrix_set(j, (size_t)i, 0, weight_e);
        gsl_matrix_set(j, (size_t)i, 1, 1.0 - weight_e);
        gsl_matrix_set(j, (size_t)i, 2, -(1.0 - weight_e) * d->x1[i]);
    }
    return GSL_SUCCESS;
}

fit_status fit_power_law_e(const double *x, const double *loss, int64_t n, double out[3],
                           char *message, size_t message_length)
{
    return fit_power_law_e_start(x, loss, n, NULL, out, message, message_length);
}

fit_status fit_power_law_e_start(const double *x, const double *loss, int64_t n,
                                 const double *start, double out[3], char *message,
                                 size_t message_length)
{
    fit_gsl_errors_off();
    out[0] = out[1] = out[2] = NAN;
    const char *bad = fit_check_positive(x, n, "x");
    if (!bad)
        bad = fit_check_positive(loss, n, "loss");
    if (bad) {
        message_format(message, message_length, "%s", bad);
        return FIT_DEGENERATE;
    }
    if (n < 4 || fit_count_distinct(x, n) < 3) {
        message_format(message, message_length,
                    "%lld points at %lld distinct x: need at least 4 points at 3 x for 3 parameters",
                    (long long)n, (long long)fit_count_distinct(x, n));
        return FIT_DEGENERATE;
    }
    double *lx = malloc((size_t)n * sizeof(double)), *ly = malloc((size_t)n * sizeof(double));
    if (!lx || !ly) {
        free(lx);
        free(ly);
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    double mean_x = 0.0, mean_y = 0.0, min_loss = INFINITY;
    for (int64_t i = 0; i < n; i++) {
        lx[i] = log(x[i]);
        ly[i] = log(loss[i]);
        mean_x += lx[i] / (double)n;
        mean_y += ly[i] / (double)n;
        min_loss = fmin(min_loss, loss[i]);
    }
    log_data data = {lx, NULL, ly, n};
    /* starts: E a fraction of the lowest loss, alpha on a log grid, and a such that the
       law passes through the centroid of the data */
    static const double fractions[] = {0.1, 0.5, 0.8, 0.95};
    static const double alphas[] = {0.03, 0.1, 0.3, 1.0};
    double best[3] = {NAN, NAN, NAN}, best_sse = INFINITY;
    if (start && start[0] > 0 && start[1] > 0 && start[2] > 0) {
        /* a resample: the full-data fit is a start close to its optimum */
        double p[3] = {log(start[0]), start[1] * log(start[2]), start[1]};
        best_sse = least_squares(power_e_f, power_e_df, &data, p, 3);
        memcpy(best, p, sizeof(best));
    }
    for (int fi = 0; fi < 4 && !isfinite(best_sse); fi++)
        for (int ai = 0; ai < 4; ai++) {
            const double e_value = fractions[fi] * min_loss;
            const double rest = exp(mean_y) - e_value;
            if (!(rest > 0))
                continue;
            double p[3] = {log(e_value), log(rest) + alphas[ai] * mean_x, alphas[ai]};
            double sse = least_squares(power_e_f, power_e_df, &data, p, 3);
            if (sse < best_sse) {
                best_sse = sse;
                memcpy(best, p, sizeof(best));
            }
        }
    free(lx);
    free(ly);
    if (!isfinite(best_sse)) {
        message_format(message, message_length, "no start converged");
        return FIT_FAILED;
    }
    out[0] = exp(best[0]);
    out[1] = best[2];
    out[2] = exp(best[1] / best[2]);
    if (!(best[2] > 0)) {
        message_format(message, message_length,
                    "the reducible part does not fall with x (alpha = %.3g)", best[2]);
        return FIT_DEGENERATE;
    }
    return FIT_OK;
}

/* ---- Kaplan: L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D ----
 * ln L = alpha_D LSE(r (ln N_c - ln N), ln D_c - ln D), p = (alpha_D, r = alpha_N/alpha_D,
 * ln N_c, ln D_c): the ratio r and the logs of the constants are the natural scales
 * (N_c is of order 1e13, its log of order 30). */
static int kaplan_f(const gsl_vector *p, void *params, gsl_vector *r)
{
    const log_data *d = params;
    const double alpha_d = gsl_vector_get(p, 0), ratio = gsl_vector_get(p, 1);
    const double log_nc = gsl_vector_get(p, 2), log_dc = gsl_vector_get(p, 3);
    for (int64_t i = 0; i < d->n; i++) {
        double weight;
        double s = log_add(ratio * (log_nc - d->x1[i]), log_dc - d->x2[i], &weight);
        gsl_vector_set(r, (size_t)i, alpha_d * s - d->log_loss[i]);
    }
    return GSL_SUCCESS;
}

static int kaplan_df(const gsl_vector *p, void *params, gsl_matrix *j)
{
    const log_data *d = params;
    const double alpha_d = gsl_vector_get(p, 0), ratio = gsl_vector_get(p, 1);
    const double log_nc = gsl_vector_get(p, 2), log_dc = gsl_vector_get(p, 3);
    for (int64_t i = 0; i < d->n; i++) {
        double weight_n;
        double s = log_add(ratio * (log_nc - d->x1[i]), log_dc - d->x2[i], &weight_n);
        gsl_matrix_set(j, (size_t)i, 0, s);
        gsl_matrix_set(j, (size_t)i, 1, alpha_d * weight_n * (log_nc - d->x1[i]));
        gsl_matrix_set(j, (size_t)i, 2, alpha_d * weight_n * ratio);
        gsl_matrix_set(j, (size_t)i, 3, alpha_d * (1.0 - weight_n));
    }
    return GSL_SUCCESS;
}

fit_status fit_kaplan(const double *n_params, const double *tokens, const double *loss,
                      int64_t n, double out[4], char *message, size_t message_length)
{
    return fit_kaplan_start(n_params, tokens, loss, n, NULL, out, message, message_length);
}

fit_status fit_kaplan_start(const double *n_params, const double *tokens, const double *loss,
                            int64_t n, const double *start, double out[4], char *message,
                            size_t message_length)
{
    fit_gsl_errors_off();
    out[0] = out[1] = out[2] = out[3] = NAN;
    const char *bad = fit_check_positive(n_params, n, "N");
    if (!bad)
        bad = fit_check_positive(tokens, n, "D");
    if (!bad)
        bad = fit_check_positive(loss, n, "loss");
    if (bad) {
        message_format(message, message_length, "%s", bad);
        return FIT_DEGENERATE;
    }
    if (n < 5 || fit_count_distinct(n_params, n) < 2 || fit_count_distinct(tokens, n) < 2) {
        message_format(message, message_length,
                    "%lld points, %lld distinct N, %lld distinct D: need 5 points and two "
                    "values of each",
                    (long long)n, (long long)fit_count_distinct(n_params, n),
                    (long long)fit_count_distinct(tokens, n));
        return FIT_DEGENERATE;
    }
    double *ln = malloc((size_t)n * sizeof(double)), *ld = malloc((size_t)n * sizeof(double));
    double *ly = malloc((size_t)n * sizeof(double));
    if (!ln || !ld || !ly) {
        free(ln);
        free(ld);
        free(ly);
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    double mean_n = 0.0, mean_d = 0.0, mean_y = 0.0;
    for (int64_t i = 0; i < n; i++) {
        ln[i] = log(n_params[i]);
        ld[i] = log(tokens[i]);
        ly[i] = log(loss[i]);
        mean_n += ln[i] / (double)n;
        mean_d += ld[i] / (double)n;
        mean_y += ly[i] / (double)n;
    }
    log_data data = {ln, ld, ly, n};
    /* starts: alpha_D and the ratio on a grid; the constants such that at the centroid
       each term is half of L^(1/alpha_D) */
    static const double alphas[] = {0.03, 0.1, 0.3, 1.0};
    static const double ratios[] = {0.5, 0.75, 1.0, 1.5};
    double best[4] = {NAN, NAN, NAN, NAN}, best_sse = INFINITY;
    if (start && start[0] > 0 && start[1] > 0 && start[2] > 0 && start[3] > 0) {
        double p[4] = {start[1], start[0] / start[1], log(start[2]), log(start[3])};
        best_sse = least_squares(kaplan_f, kaplan_df, &data, p, 4);
        memcpy(best, p, sizeof(best));
    }
    for (int ai = 0; ai < 4 && !isfinite(best_sse); ai++)
        for (int ri = 0; ri < 4; ri++) {
            const double half = mean_y / alphas[ai] - log(2.0);
            double p[4] = {alphas[ai], ratios[ri], mean_n + half / ratios[ri], mean_d + half};
            double sse = least_squares(kaplan_f, kaplan_df, &data, p, 4);
            if (sse < best_sse) {
                best_sse = sse;
                memcpy(best, p, sizeof(best));
            }
        }
    free(ln);
    free(ld);
    free(ly);
    if (!isfinite(best_sse)) {
        message_format(message, message_length, "no start converged");
        return FIT_FAILED;
    }
    out[0] = best[0] * best[1];
    out[1] = best[0];
    out[2] = exp(best[2]);
    out[3] = exp(best[3]);
    if (!(best[0] > 0 && best[1] > 0)) {
        message_format(message, message_length,
                    "the fitted exponents are not positive (alpha_N = %.3g, alpha_D = %.3g)",
                    out[0], out[1]);
        return FIT_DEGENERATE;
    }
    return FIT_OK;
}

/* ---- y = c0 + c1 x + c2 x^2 ----
 * Solved on x - mean(x), which keeps the normal matrix well conditioned when x = ln N
 * is about 15-25 and spans only a few units, then expanded back. */
fit_status fit_parabola(const double *x, const double *y, int64_t n, double c[3],
                        char *message, size_t message_length)
{
    fit_gsl_errors_off();
    c[0] = c[1] = c[2] = NAN;
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            message_format(message, message_length, "a value is NaN or infinite");
            return FIT_DEGENERATE;
        }
    if (n < 3 || fit_count_distinct(x, n) < 3) {
        message_format(message, message_length,
                    "%lld points at %lld distinct x: a parabola needs three", (long long)n,
                    (long long)fit_count_distinct(x, n));
        return FIT_DEGENERATE;
    }
    double mean = 0.0;
    for (int64_t i = 0; i < n; i++)
        mean += x[i] / (double)n;
    gsl_matrix *design = gsl_matrix_alloc((size_t)n, 3);
    gsl_vector *observed = gsl_vector_alloc((size_t)n);
    gsl_vector *coefficients = gsl_vector_alloc(3);
    gsl_matrix *covariance = gsl_matrix_alloc(3, 3);
    gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc((size_t)n, 3);
    fit_status result = FIT_FAILED;
    if (!design || !observed || !coefficients || !covariance || !w) {
        message_format(message, message_length, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        const double t = x[i] - mean;
        gsl_matrix_set(design, (size_t)i, 0, 1.0);
        gsl_matrix_set(design, (size_t)i, 1, t);
        gsl_matrix_set(design, (size_t)i, 2, t * t);
        gsl_vector_set(observed, (size_t)i, y[i]);
    }
    double chi2;
    int status = gsl_multifit_linear(design, observed, coefficients, covariance, &chi2, w);
    if (status != GSL_SUCCESS) {
        message_format(message, message_length, "least squares failed: %s", gsl_strerror(status));
        goto done;
    }
    const double b0 = gsl_vector_get(coefficients, 0), b1 = gsl_vector_get(coefficients, 1);
    const double b2 = gsl_vector_get(coefficients, 2);
    /* b0 + b1 (x - m) + b2 (x - m)^2 */
    c[0] = b0 - b1 * mean + b2 * mean * mean;
    c[1] = b1 - 2.0 * b2 * mean;
    c[2] = b2;
    result = FIT_OK;
done:
    gsl_matrix_free(design);
    gsl_vector_free(observed);
    gsl_vector_free(coefficients);
    gsl_matrix_free(covariance);
    gsl_multifit_linear_free(w);
    return result;
}
