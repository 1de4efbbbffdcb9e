/* What the fitted laws imply (SCIENCE.md): the overfitting bound, Chinchilla's
 * compute-optimal allocation, Kaplan's contradiction point, the inference-aware choice. */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>

#include "fit_internal.h"

/* delta_L ~= alpha_D (N/N_c)^(alpha_N/alpha_D) D_c / D to first order; delta_L < epsilon
 * gives D > (alpha_D D_c / epsilon) (N / N_c)^p with p = alpha_N / alpha_D, that is
 * k N^p with k = alpha_D D_c / (epsilon N_c^p). */
void fit_overfitting_bound(double alpha_n, double alpha_d, double n_c, double d_c,
                           double epsilon, double *k, double *p)
{
    *p = alpha_n / alpha_d;
    /* in logs: N_c^p overflows nothing here, but N_c is of order 1e13 */
    *k = exp(log(alpha_d * d_c / epsilon) - *p * log(n_c));
}

/* Minimising E + A/N^alpha + B/D^beta on C = 6ND: N_opt = G (C/6)^a, D_opt = (C/6)^b / G,
 * a = beta/(alpha+beta), b = alpha/(alpha+beta), G = (alpha A/(beta B))^(1/(alpha+beta)). */
void fit_chinchilla_allocation(double a_coef, double b_coef, double alpha, double beta,
                               double *g, double *a, double *b)
{
    *a = beta / (alpha + beta);
    *b = alpha / (alpha + beta);
    *g = exp((log(alpha * a_coef) - log(beta * b_coef)) / (alpha + beta));
}

/* Kaplan's contradiction (section 6.3). Along the compute frontier the loss follows
 *     ln L_C(C) = alpha_C (ln C_c - ln C),
 * while the frontier trains on D_opt(C) = d0 C^b tokens, and a model given D tokens
 * cannot do better than the data law, so
 *     ln L_D(C) = alpha_D (ln D_c - ln D_opt(C)) = alpha_D (ln D_c - ln d0) - alpha_D b ln C.
 * Their difference is linear in ln C:
 *     ln L_C - ln L_D = [alpha_C ln C_c - alpha_D (ln D_c - ln d0)] - (alpha_C - alpha_D b) ln C.
 * With s = alpha_C - alpha_D b > 0 the compute law falls faster and meets the data law at
 *     ln C* = [alpha_C ln C_c - alpha_D (ln D_c - ln d0)] / s;
 * beyond C* it would promise a loss below what its own data allow: the laws must break
 * by then, or L* is the irreducible loss. D* = D_opt(C*), N* = C* / (6 D*), L* = L_C(C*).
 * With s <= 0 the compute law never falls below the data law ahead: no contradiction.
 * (Kaplan's constants, L(C_min) = (3.1e8/C)^0.050 in PF-days and D = 2e10 C^0.26 tokens,
 * with L(D) = (5.4e13/D)^0.095, give C* ~ 8e3 PF-days and L* ~ 1.7, their figure.) */
fit_status fit_contradiction(double alpha_c, double c_c, double alpha_d, double d_c,
                             double d0, double b, double *c_star, double *d_star,
                             double *l_star, char *message, size_t message_length)
{
    *c_star = *d_star = *l_star = NAN;
    if (!(alpha_c > 0 && c_c > 0 && alpha_d > 0 && d_c > 0 && d0 > 0 && isfinite(b))) {
        message_format(message, message_length, "the laws it needs are not all defined");
        return FIT_SKIPPED;
    }
    const double slope = alpha_c - alpha_d * b;
    if (!(slope > 0)) {
        message_format(message, message_length,
                    "the fitted laws do not cross: L(C) falls as C^-%.4g, no faster than "
                    "L(D_opt(C)) ~ C^-%.4g",
                    alpha_c, alpha_d * b);
        return FIT_SKIPPED;
    }
    const double log_c = (alpha_c * log(c_c) - alpha_d * (log(d_c) - log(d0))) / slope;
    *c_star = exp(log_c);
    *d_star = d0 * exp(b * log_c);
    *l_star = exp(alpha_c * (log(c_c) - log_c));
    if (!isfinite(*c_star) || !isfinite(*d_star)) {
        message_format(message, message_length, "the crossing is beyond the range of doubles");
        return FIT_SKIPPED;
    }
    return FIT_OK;
}

typedef struct {
    double e, a_coef, b_coef, alpha, beta, target, inference_tokens, log_n_min;
} inference_problem;

/* D that reaches the target with N = N_min exp(y); y > 0. */
static double inference_tokens_needed(const inference_problem *q, double y)
{
    const double log_n = q->log_n_min + y;
    const double rest = q->target - q->e - q->a_coef * exp(-q->alpha * log_n);
    return exp((log(q->b_coef) - log(rest)) / q->beta);
}

/* ln of 6 N D + 2 N D_inference */
static double inference_cost(double y, void *params)
{
    const inference_problem *q = params;
    const double n = exp(q->log_n_min + y);
    const double d = inference_tokens_needed(q, y);
    return log(6.0 * n * d + 2.0 * n * q->inference_tokens);
}

/* With N_min = (A/(L_t - E))^(1/alpha) the smallest model that can reach the target at all
 * (with infinite data), every N > N_min has a unique D(N); the cost is infinite at both
 * ends (D -> infinity as N -> N_min, N -> infinity) and is minimised over y = ln(N/N_min):
 * a scan on a log grid of y brackets the minimum, Brent's method refines it. */
fit_status fit_inference_optimal(double e, double a_coef, double b_coef, double alpha,
                                 double beta, double target, double inference_tokens,
                                 double out[2], char *message, size_t message_length)
{
    fit_gsl_errors_off();
    out[0] = out[1] = NAN;
    if (!(e >= 0 && a_coef > 0 && b_coef > 0 && alpha > 0 && beta > 0)) {
        message_format(message, message_length, "the Chinchilla law is not defined");
        return FIT_SKIPPED;
    }
    if (!(target > e) || !isfinite(target)) {
        message_format(message, message_length,
                    "the target loss %.4g is not above the irreducible loss E = %.4g", target, e);
        return FIT_DEGENERATE;
    }
    if (!(inference_tokens >= 0) || !isfinite(inference_tokens)) {
        message_format(message, message_length, "inference tokens must be 0 or more");
        return FIT_DEGENERATE;
    }
    inference_problem q = {e, a_coef, b_coef, alpha, beta, target, inference_tokens,
                           (log(a_coef) - log(target - e)) / alpha};
    enum { SCAN = 400 };
    double ys[SCAN], best_cost = INFINITY;
    int best = -1;
    for (int i = 0; i < SCAN; i++) {
        ys[i] = 1e-8 * pow(1e11, (double)i / (SCAN - 1)); /* 1e-8 .. 1e3 */
        const double cost = inference_cost(ys[i], &q);
        if (cost < best_cost) {
            best_cost = cost;
            best = i;
        }
    }
    if (best <= 0 || best >= SCAN - 1) {
        message_format(message, message_length, "the cost has no interior minimum");
        return FIT_FAILED;
    }
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (!s) {
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    gsl_function function = {inference_cost, &q};
    double y = ys[best];
    int status = gsl_min_fminimizer_set(s, &function, ys[best], ys[best - 1], ys[best + 1]);
    for (int iteration = 0; status == GSL_SUCCESS && iteration < 200; iteration++) {
        status = gsl_min_fminimizer_iterate(s);
        if (status != GSL_SUCCESS)
            break;
        y = gsl_min_fminimizer_x_minimum(s);
        if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(s), gsl_min_fminimizer_x_upper(s),
                                  1e-12, 1e-10) == GSL_SUCCESS)
            break;
    }
    gsl_min_fminimizer_free(s);
    if (status != GSL_SUCCESS) {
        message_format(message, message_length, "Brent's minimisation failed: %s",
                    gsl_strerror(status));
        return FIT_FAILED;
    }
    out[0] = exp(q.log_n_min + y);
    out[1] = inference_tokens_needed(&q, y);
    return FIT_OK;
}
