/* Each law's formula as a function of its quantities (fit.h's fit_law_value), the one place
 * the fit, its points' predictions and the report's curves and bands evaluate a law. */
#include <math.h>
#include <stdlib.h>

#include "fit_internal.h"

double fit_law_value(fit_law_id id, int output, const double *q, double x, double x2)
{
    switch (id) {
    case FIT_LAW_N:
    case FIT_LAW_D:
    case FIT_LAW_C: /* (x_c / x)^alpha, q = {alpha, x_c} */
        return output == 0 ? pow(q[1] / x, q[0]) : NAN;
    case FIT_LAW_N_E:
    case FIT_LAW_D_E:
    case FIT_LAW_C_E: /* E + (x_c / x)^alpha, q = {E, alpha, x_c} */
        return output == 0 ? q[0] + pow(q[2] / x, q[1]) : NAN;
    case FIT_LAW_KAPLAN: /* q = {alpha_N, alpha_D, N_c, D_c}, x = N, x2 = D */
        return output == 0 ? pow(pow(q[2] / x, q[0] / q[1]) + q[3] / x2, q[1]) : NAN;
    case FIT_LAW_CHINCHILLA: /* q = {E, A, B, alpha, beta}, x = N, x2 = D */
        return output == 0 ? q[0] + q[1] * pow(x, -q[3]) + q[2] * pow(x2, -q[4]) : NAN;
    case FIT_LAW_FRONTIER:
    case FIT_LAW_ISOFLOP: /* N_opt = N_0 C^a, D_opt = D_0 C^b, q = {a, N_0, b, D_0}, x = C */
        return output == 0 ? q[1] * pow(x, q[0]) : output == 1 ? q[3] * pow(x, q[2]) : NAN;
    case FIT_ALLOCATION: /* N_opt = G (C/6)^a, D_opt = (C/6)^b / G, q = {G, a, b}, x = C */
        return output == 0   ? q[0] * pow(x / 6.0, q[1])
               : output == 1 ? pow(x / 6.0, q[2]) / q[0]
                             : NAN;
    case FIT_OVERFITTING: /* D_min = k N^p, q = {k, p}, x = N */
    case FIT_LR_OPT:      /* lr_opt = k N^p, q = {k, p}, x = N */
    case FIT_BATCH_OPT:   /* batch_opt = k C^p, q = {k, p}, x = C */
        return output == 0 ? q[0] * pow(x, q[1]) : NAN;
    default: return NAN;
    }
}

double fit_percentile(const double *sorted, int n, double p)
{
    const double h = (n - 1) * p;
    const int i = (int)floor(h);
    if (i >= n - 1)
        return sorted[n - 1];
    return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

int fit_law_band(const fit_report *r, fit_law_id id, int output, double x, double x2, double *lower,
                 double *upper)
{
    *lower = *upper = NAN;
    if (!r->resamples || r->n_resamples < 2 || r->law[id].status != FIT_OK)
        return -1;
    double *values = malloc((size_t)r->n_resamples * sizeof(double));
    if (!values)
        return -1;
    int m = 0;
    for (int b = 0; b < r->n_resamples; b++) {
        const double *q = r->resamples + ((size_t)b * FIT_NUM_LAWS + id) * FIT_MAX_QUANTITIES;
        const double v = isfinite(q[0]) ? fit_law_value(id, output, q, x, x2) : NAN;
        if (isfinite(v))
            values[m++] = v;
    }
    fit_interval(values, m, r->confidence, lower, upper);
    free(values);
    return m >= 2 ? 0 : -1;
}
