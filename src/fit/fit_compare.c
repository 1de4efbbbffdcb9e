/* Two fits compared along one law: the loss ratio of B to A at points of the variable, and
 * where the two laws cross (fit.h, fit_compare). Each resample of B is paired with the one
 * of the same index of A: their bootstraps are independent draws, so a pair is a draw of
 * both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"
#include "fit_internal.h"

/* The crossing is looked for this many decades beyond the observed range on each side. */
#define COMPARE_DECADES_BEYOND 3.0
/* ... on a grid of this many points in ln x, then by bisection. */
#define COMPARE_GRID 600

/* ln L_b - ln L_a at x from quantities qa, qb: NaN where either is not finite and positive. */
static double log_gap(fit_law_id law, const double *qa, const double *qb, double x)
{
    const double a = fit_law_value(law, 0, qa, x, 0.0), b = fit_law_value(law, 0, qb, x, 0.0);
    return a > 0.0 && b > 0.0 && isfinite(a) && isfinite(b) ? log(b) - log(a) : NAN;
}

/* The first x in [lo, hi] (in ln x) where ln L_b - ln L_a changes sign, or NaN. */
static double crossing(fit_law_id law, const double *qa, const double *qb, double lo, double hi)
{
    double u0 = log(lo), g0 = log_gap(law, qa, qb, lo);
    const double step = (log(hi) - log(lo)) / COMPARE_GRID;
    for (int k = 1; k <= COMPARE_GRID; k++) {
        const double u1 = log(lo) + k * step, g1 = log_gap(law, qa, qb, exp(u1));
        if (isfinite(g0) && isfinite(g1) && (g0 == 0.0 || (g0 < 0.0) != (g1 < 0.0))) {
            double a = u0, b = u1, ga = g0;
            for (int i = 0; i < 60 && ga != 0.0; i++) {
                const double m = 0.5 * (a + b), gm = log_gap(law, qa, qb, exp(m));
                if (!isfinite(gm))
                    break;
                if ((gm < 0.0) == (ga < 0.0)) {
                    a = m;
                    ga = gm;
                } else {
                    b = m;
                }
            }
            return exp(ga == 0.0 ? a : 0.5 * (a + b));
        }
        u0 = u1;
        g0 = g1;
    }
    return NAN;
}

static void quantities(const fit_law *law, double q[FIT_MAX_QUANTITIES])
{
    for (int i = 0; i < FIT_MAX_QUANTITIES; i++)
        q[i] = i < law->n_quantities ? law->quantity[i].value : NAN;
}

static const double *resample(const fit_report *r, fit_law_id law, int b)
{
    return r->resamples + ((size_t)b * FIT_NUM_LAWS + law) * FIT_MAX_QUANTITIES;
}

int fit_compare(const fit_report *a, const fit_report *b, fit_law_id law, fit_comparison *out)
{
    memset(out, 0, sizeof *out);
    out->law = law;
    out->crossing = out->crossing_lower = out->crossing_upper = NAN;
    const fit_law *la = &a->law[law], *lb = &b->law[law];
    if (law != FIT_LAW_N && law != FIT_LAW_N_E && law != FIT_LAW_C && law != FIT_LAW_C_E &&
        law != FIT_LAW_D && law != FIT_LAW_D_E) {
        snprintf(out->message, sizeof out->message, "only single-variable laws compare");
        return -1;
    }
    if (la->status != FIT_OK || lb->status != FIT_OK || la->n_points < 1 || lb->n_points < 1) {
        snprintf(out->message, sizeof out->message, "%s is not fitted for %s",
                 fit_law_key(law), la->status != FIT_OK ? "the first" : "the second");
        return -1;
    }
    /* where both were measured: from the larger of the two smallest x to the smaller of the
       two largest (or the whole of both when they do not overlap) */
    double a_lo = INFINITY, a_hi = 0.0, b_lo = INFINITY, b_hi = 0.0;
    for (int64_t i = 0; i < la->n_points; i++) {
        a_lo = fmin(a_lo, la->x[i]);
        a_hi = fmax(a_hi, la->x[i]);
    }
    for (int64_t i = 0; i < lb->n_points; i++) {
        b_lo = fmin(b_lo, lb->x[i]);
        b_hi = fmax(b_hi, lb->x[i]);
    }
    out->x_min = fmax(a_lo, b_lo);
    out->x_max = fmin(a_hi, b_hi);
    out->overlap = out->x_min <= out->x_max;
    if (!out->overlap) {
        out->x_min = fmin(a_lo, b_lo);
        out->x_max = fmax(a_hi, b_hi);
    }
    double qa[FIT_MAX_QUANTITIES], qb[FIT_MAX_QUANTITIES];
    quantities(la, qa);
    quantities(lb, qb);
    const int n_resamples =
        a->resamples && b->resamples ? (a->n_resamples < b->n_resamples ? a->n_resamples
                                                                         : b->n_resamples)
                                     : 0;
    double *values = malloc(sizeof(double) * (size_t)(n_resamples > 0 ? n_resamples : 1));
    if (!values) {
        snprintf(out->message, sizeof out->message, "out of memory");
        return -1;
    }
    /* the ratio at points evenly spaced in ln x over the range, its ends included */
    out->n_points = out->x_max > out->x_min ? FIT_COMPARE_POINTS : 1;
    for (int k = 0; k < out->n_points; k++) {
        const double t = out->n_points > 1 ? (double)k / (out->n_points - 1) : 0.0;
        const double x = exp(log(out->x_min) + t * (log(out->x_max) - log(out->x_min)));
        out->x[k] = x;
        out->ratio[k] = exp(log_gap(law, qa, qb, x));
        int m = 0;
        for (int r = 0; r < n_resamples; r++) {
            const double *ra = resample(a, law, r), *rb = resample(b, law, r);
            const double g = isfinite(ra[0]) && isfinite(rb[0]) ? log_gap(law, ra, rb, x) : NAN;
            if (isfinite(g))
                values[m++] = exp(g);
        }
        out->ratio_lower[k] = out->ratio_upper[k] = NAN;
        if (m >= 2)
            fit_interval(values, m, a->confidence, &out->ratio_lower[k], &out->ratio_upper[k]);
    }
    /* the crossing, within COMPARE_DECADES_BEYOND decades of the range */
    const double widen = pow(10.0, COMPARE_DECADES_BEYOND);
    out->search_min = out->x_min / widen;
    out->search_max = out->x_max * widen;
    out->crossing = crossing(law, qa, qb, out->search_min, out->search_max);
    int m = 0;
    for (int r = 0; r < n_resamples; r++) {
        const double *ra = resample(a, law, r), *rb = resample(b, law, r);
        const double x = isfinite(ra[0]) && isfinite(rb[0])
                             ? crossing(law, ra, rb, out->search_min, out->search_max)
                             : NAN;
        out->resamples += isfinite(ra[0]) && isfinite(rb[0]);
        if (isfinite(x))
            values[m++] = x;
    }
    out->crossing_resamples = m;
    if (m >= 2)
        fit_interval(values, m, a->confidence, &out->crossing_lower, &out->crossing_upper);
    free(values);
    return 0;
}

void fit_print_comparison(FILE *out, const char *name_a, const char *name_b,
                          const fit_comparison *c)
{
    const char *variable = c->law == FIT_LAW_N || c->law == FIT_LAW_N_E   ? "N"
                           : c->law == FIT_LAW_C || c->law == FIT_LAW_C_E ? "C"
                                                                          : "D";
    if (c->n_points == 0) {
        fprintf(out, "  %s: %s\n", fit_law_key(c->law), c->message);
        return;
    }
    fprintf(out, "  %s: L_%s / L_%s at equal %s along the fitted laws%s\n", fit_law_key(c->law),
            name_b, name_a, variable, c->overlap ? "" : " (their ranges do not overlap)");
    fprintf(out, "    %12s %9s  %s\n", variable, "ratio", "interval");
    for (int k = 0; k < c->n_points; k++)
        fprintf(out, "    %12.4g %9.4f  [%.4f, %.4f]\n", c->x[k], c->ratio[k], c->ratio_lower[k],
                c->ratio_upper[k]);
    if (isfinite(c->crossing))
        fprintf(out,
                "    the laws cross at %s = %.3g [%.3g, %.3g] (in %d of %d resamples "
                "within %.3g to %.3g)\n",
                variable, c->crossing, c->crossing_lower, c->crossing_upper,
                c->crossing_resamples, c->resamples, c->search_min, c->search_max);
    else
        fprintf(out,
                "    the laws do not cross from %s = %.3g to %.3g (%d of %d resamples "
                "cross there)\n",
                variable, c->search_min, c->search_max, c->crossing_resamples, c->resamples);
}
