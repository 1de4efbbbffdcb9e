/* fit_run: every law and derived figure on all the data, then the same on bootstrap
 * resamples of the configurations (fit_bootstrap.c) for percentile intervals.
 *
 * One function, fit_analyse(), computes every quantity of every law from a sample of rows;
 * the full data is one sample and each resample another. Each law lists its quantities
 * in a fixed order whatever happens (NaN when undefined), so that a quantity is the same
 * slot in every resample and its interval is the percentile of that slot. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "clock.h"
#include "fit_internal.h"
#include "plan.h"

#define PF_DAY 8.64e19

const char *fit_status_name(fit_status status)
{
    switch (status) {
    case FIT_OK:
        return "ok";
    case FIT_SKIPPED:
        return "skipped";
    case FIT_DEGENERATE:
        return "degenerate";
    case FIT_FAILED:
        return "failed";
    }
    return "unknown";
}

void fit_options_defaults(fit_options *o)
{
    memset(o, 0, sizeof(*o));
    /* as a plan's [fit] without those keys */
    o->bootstrap = PLAN_FIT_BOOTSTRAP;
    o->bootstrap_seed = PLAN_FIT_SEED;
    o->bootstrap_grid_stride = 30;
    o->threads = 2;
    o->confidence = 0.95;
    o->huber_delta = 1e-3;
    o->grid_stride = 1;
    o->isoflop_tolerance = 0.05;
    o->frontier_points = 60;
}

/* ---- laws and their quantities ---- */

/* fit_law.key of each law, in fit_law_id order: its /fits group, its JSON name, and what
 * --laws takes. */
static const char *const law_keys[FIT_NUM_LAWS] = {[FIT_LAW_N] = "L_N",
                                                   [FIT_LAW_N_E] = "L_N_E",
                                                   [FIT_LAW_D] = "L_D",
                                                   [FIT_LAW_D_E] = "L_D_E",
                                                   [FIT_LAW_C] = "L_C",
                                                   [FIT_LAW_C_E] = "L_C_E",
                                                   [FIT_LAW_FRONTIER] = "frontier",
                                                   [FIT_LAW_KAPLAN] = "kaplan",
                                                   [FIT_LAW_CHINCHILLA] = "chinchilla",
                                                   [FIT_LAW_ISOFLOP] = "isoflop",
                                                   [FIT_SEEDS] = "seeds",
                                                   [FIT_OVERFITTING] = "overfitting",
                                                   [FIT_ALLOCATION] = "allocation",
                                                   [FIT_CONTRADICTION] = "contradiction",
                                                   [FIT_INFERENCE] = "inference",
                                                   [FIT_LR_OPT] = "lr_opt",
                                                   [FIT_BATCH_OPT] = "batch_opt",
                                                   [FIT_SHAPE] = "shape"};

const char *fit_law_key(fit_law_id id)
{
    return id >= 0 && id < FIT_NUM_LAWS ? law_keys[id] : "unknown";
}

static void law_begin(fit_report *r, fit_law_id id, const char *formula, const char *const *names,
                      int count)
{
    fit_law *law = &r->law[id];
    law->key = fit_law_key(id);
    law->formula = formula;
    law->status = FIT_SKIPPED;
    law->message[0] = '\0';
    law->n_quantities = 0;
    law->rms_log_residual = law->r_squared = law->objective = NAN;
    for (int i = 0; i < count; i++)
        fit_law_add(law, names[i], NAN);
}

static void law_free_points(fit_law *law)
{
    fit_law_set_points(law, NULL, NULL, NULL, NULL, 0);
}

/* The points a law was fitted to and the runs behind them (run may be NULL). Out of
 * memory fails the law, saying so, and returns -1: its caller then says nothing more. */
static int law_points(fit_law *law, const double *x, const double *x2, const double *y,
                      const double *predicted, const int64_t *run, int64_t n)
{
    if (fit_law_set_points(law, x, x2, y, predicted, n) == 0 && fit_law_set_runs(law, run) == 0)
        return 0;
    fit_law_set_points(law, NULL, NULL, NULL, NULL, 0);
    law->status = FIT_FAILED;
    message_format(law->message, sizeof(law->message), "out of memory for its %lld points",
                   (long long)n);
    return -1;
}

static void set_value(fit_law *law, int slot, double value)
{
    if (slot < law->n_quantities)
        law->quantity[slot].value = value;
}

static double value_of(const fit_law *law, int slot)
{
    return law->status == FIT_OK && slot < law->n_quantities ? law->quantity[slot].value : NAN;
}

/* Least squares of ln y on ln x: y = exp(intercept) x^slope. */
static fit_status log_linear(const double *x, const double *y, int64_t n, double *slope,
                             double *intercept, char *message, size_t message_length)
{
    *slope = *intercept = NAN;
    const char *bad = fit_check_positive(x, n, "x");
    if (!bad)
        bad = fit_check_positive(y, n, "y");
    if (bad) {
        message_format(message, message_length, "%s", bad);
        return FIT_DEGENERATE;
    }
    if (n < 2 || fit_count_distinct(x, n) < 2) {
        message_format(message, message_length, "fewer than two distinct points");
        return FIT_DEGENERATE;
    }
    double lx[n], ly[n];
    for (int64_t i = 0; i < n; i++) {
        lx[i] = log(x[i]);
        ly[i] = log(y[i]);
    }
    double cov00, cov01, cov11, sumsq;
    int status = gsl_fit_linear(lx, 1, ly, 1, (size_t)n, intercept, slope, &cov00, &cov01,
                                &cov11, &sumsq);
    if (status != GSL_SUCCESS) {
        message_format(message, message_length, "linear fit failed: %s", gsl_strerror(status));
        return FIT_FAILED;
    }
    return FIT_OK;
}

/* ---- the laws ---- */

static int wanted(const fit_context *ctx, fit_law_id id)
{
    return ctx->options.laws == 0 || (ctx->options.laws >> id & 1u);
}

static void power_laws(fit_context *ctx, fit_report *r, fit_law_id pure, fit_law_id with_e,
                       const char *variable, const double *x, const double *y,
                       const int64_t *run, int64_t n, const char *selection, int full)
{
    fit_law *law = &r->law[pure], *law_e = &r->law[with_e];
    double p[2], q[3];
    if (wanted(ctx, pure))
        law->status = fit_power_law(x, y, n, p, law->message, sizeof(law->message));
    if (law->status == FIT_OK) {
        set_value(law, 0, p[0]);
        set_value(law, 1, p[1]);
    }
    if (wanted(ctx, with_e))
        law_e->status = fit_power_law_e_start(x, y, n, full ? NULL : ctx->power_e[with_e], q,
                                              law_e->message, sizeof(law_e->message));
    if (law_e->status == FIT_OK && full)
        memcpy(ctx->power_e[with_e], q, sizeof(q));
    if (law_e->status == FIT_OK) {
        set_value(law_e, 0, q[0]);
        set_value(law_e, 1, q[1]);
        set_value(law_e, 2, q[2]);
    }
    if (!full)
        return;
    double *predicted = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!predicted) {
        law->status = law_e->status = FIT_FAILED;
        message_format(law->message, sizeof(law->message), "out of memory");
        message_format(law_e->message, sizeof(law_e->message), "out of memory");
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        fit_law *l = pass == 0 ? law : law_e;
        if (!wanted(ctx, pass == 0 ? pure : with_e))
            continue;
        if (l->status == FIT_OK) {
            for (int64_t i = 0; i < n; i++)
                predicted[i] = pass == 0 ? fit_law_value(pure, 0, p, x[i], 0)
                                         : fit_law_value(with_e, 0, q, x[i], 0);
            if (law_points(l, x, NULL, y, predicted, run, n) != 0)
                continue;
            l->objective = l->rms_log_residual * l->rms_log_residual * (double)n;
            message_format(l->message, sizeof(l->message), "%s; %lld points", selection,
                        (long long)n);
        } else {
            char reason[sizeof(l->message)];
            snprintf(reason, sizeof(reason), "%s", l->message);
            message_format(l->message, sizeof(l->message), "L(%s) from %s: %s", variable,
                        selection, reason);
        }
    }
    free(predicted);
}

static void frontier_law(fit_context *ctx, fit_report *r, const fit_sample *s, int full)
{
    const int64_t cap = (s->n > ctx->options.frontier_points ? s->n : ctx->options.frontier_points) + 1;
    double *c = malloc((size_t)cap * sizeof(double)), *loss = malloc((size_t)cap * sizeof(double));
    double *n = malloc((size_t)cap * sizeof(double)), *d = malloc((size_t)cap * sizeof(double));
    int64_t *run = full ? malloc((size_t)cap * sizeof(int64_t)) : NULL;
    fit_law *law = &r->law[FIT_LAW_FRONTIER];
    if (!c || !loss || !n || !d || (full && !run)) {
        message_format(law->message, sizeof(law->message), "out of memory");
        law->status = r->law[FIT_LAW_C].status = r->law[FIT_LAW_C_E].status = FIT_FAILED;
        goto done;
    }
    int from_curves;
    const int64_t count = fit_select_frontier(ctx, s, c, loss, n, d, run, &from_curves);
    if (count < 0) {
        message_format(law->message, sizeof(law->message), "out of memory");
        law->status = r->law[FIT_LAW_C].status = r->law[FIT_LAW_C_E].status = FIT_FAILED;
        goto done;
    }
    const char *selection =
        from_curves ? "the frontier of the training curves"
        : ctx->options.frontier_curves
            ? "the final (C, L) frontier (no curves given)"
            : "the final (C, L) frontier: each run at the end of its schedule (frontier = ends)";
    power_laws(ctx, r, FIT_LAW_C, FIT_LAW_C_E, "C", c, loss, run, count, selection, full);

    double a, log_n0, b, log_d0;
    if (!wanted(ctx, FIT_LAW_FRONTIER))
        goto done;
    law->status = log_linear(c, n, count, &a, &log_n0, law->message, sizeof(law->message));
    if (law->status == FIT_OK && fit_count_distinct(n, count) < 2) {
        law->status = FIT_DEGENERATE;
        message_format(law->message, sizeof(law->message),
                    "one model size holds the whole frontier: widen the range of N");
    }
    if (law->status == FIT_OK)
        law->status = log_linear(c, d, count, &b, &log_d0, law->message, sizeof(law->message));
    if (law->status == FIT_OK) {
        set_value(law, 0, a);
        set_value(law, 1, exp(log_n0));
        set_value(law, 2, b);
        set_value(law, 3, exp(log_d0));
        set_value(law, 4, pow(10.0, a));
        set_value(law, 5, pow(10.0, b));
        if (full) {
            double predicted[count];
            for (int64_t i = 0; i < count; i++)
                predicted[i] =
                    fit_law_value(FIT_LAW_FRONTIER, 0, (double[]){a, exp(log_n0)}, c[i], 0);
            if (law_points(law, c, d, n, predicted, run, count) == 0)
                message_format(law->message, sizeof(law->message),
                               "N and D of the run on %s at each of %lld compute values; "
                               "x = C, x2 = D, y = N",
                               selection, (long long)count);
        }
    }
done:
    free(c);
    free(loss);
    free(n);
    free(d);
    free(run);
}

static void joint_laws(fit_context *ctx, fit_report *r, const fit_sample *s, int full)
{
    const int64_t n = s->n;
    double *np = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *d = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *y = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *predicted = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    /* which run each point is: only the full data's points are kept */
    int64_t *run = full ? malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t)) : NULL;
    fit_law *kaplan = &r->law[FIT_LAW_KAPLAN], *chin = &r->law[FIT_LAW_CHINCHILLA];
    if (!np || !d || !y || !predicted || (full && !run)) {
        kaplan->status = chin->status = FIT_FAILED;
        message_format(kaplan->message, sizeof(kaplan->message), "out of memory");
        message_format(chin->message, sizeof(chin->message), "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        np[i] = s->rows[i].o->n_params;
        d[i] = s->rows[i].o->tokens;
        y[i] = s->rows[i].o->loss;
        if (run)
            run[i] = s->rows[i].o->run_index;
    }

    double k[4];
    if (wanted(ctx, FIT_LAW_KAPLAN))
        kaplan->status = fit_kaplan_start(np, d, y, n, full ? NULL : ctx->kaplan, k,
                                          kaplan->message, sizeof(kaplan->message));
    if (kaplan->status == FIT_OK && full)
        memcpy(ctx->kaplan, k, sizeof(k));
    if (kaplan->status == FIT_OK) {
        for (int j = 0; j < 4; j++)
            set_value(kaplan, j, k[j]);
        if (full) {
            for (int64_t i = 0; i < n; i++)
                predicted[i] = fit_law_value(FIT_LAW_KAPLAN, 0, k, np[i], d[i]);
            if (law_points(kaplan, np, d, y, predicted, run, n) == 0) {
                kaplan->objective = kaplan->rms_log_residual * kaplan->rms_log_residual * (double)n;
                message_format(kaplan->message, sizeof(kaplan->message),
                               "every run (all seeds); least squares on ln L; %lld points",
                               (long long)n);
            }
        }
    }

    if (!wanted(ctx, FIT_LAW_CHINCHILLA))
        goto done;
    fit_chinchilla_options options;
    fit_chinchilla_options_defaults(&options);
    options.delta = ctx->options.huber_delta;
    options.grid_stride = ctx->options.grid_stride;
    options.threads = full ? ctx->options.threads : 1;
    double *starts = NULL;
    if (!full && ctx->have_chinchilla) {
        /* a resample: the full-data optima, then a subset of the grid */
        const int stride = ctx->options.bootstrap_grid_stride;
        const int grid = stride > 0 ? (4500 + stride - 1) / stride : 0;
        starts = malloc((size_t)(ctx->chinchilla.n_optima + grid) * 5 * sizeof(double));
        if (!starts) {
            chin->status = FIT_FAILED;
            goto done;
        }
        int count = 0;
        /* the best four optima of the full data: a resample moves the optimum a little,
           and the grid subset guards against it moving to another basin */
        for (int i = 0; i < ctx->chinchilla.n_optima && i < 4; i++)
            memcpy(starts + 5 * count++, ctx->chinchilla.optima[i], 5 * sizeof(double));
        for (int i = 0; i < grid; i++, count++) {
            /* the grid's enumeration, as in fit_chinchilla.c */
            int index = i * stride;
            double *p = starts + 5 * count;
            p[3] = 0.5 * (index % 5);
            index /= 5;
            p[4] = 0.5 * (index % 5);
            index /= 5;
            p[2] = -1.0 + 0.5 * (index % 5);
            index /= 5;
            p[0] = 5.0 * (index % 6);
            index /= 6;
            p[1] = 5.0 * index;
        }
        options.starts = starts;
        options.n_starts = count;
        /* an interval needs the optimum to a small fraction of its width, not to 1e-12 */
        options.polish = 2;
        options.polish_gradient = 1e-9;
    }
    fit_chinchilla_result result;
    chin->status = fit_chinchilla(np, d, y, NULL, n, &options, &result, chin->message,
                                  sizeof(chin->message));
    free(starts);
    if (chin->status == FIT_OK) {
        set_value(chin, 0, exp(result.e));
        set_value(chin, 1, exp(result.a));
        set_value(chin, 2, exp(result.b));
        set_value(chin, 3, result.alpha);
        set_value(chin, 4, result.beta);
        if (full) {
            const double chin_q[5] = {exp(result.e), exp(result.a), exp(result.b), result.alpha,
                                      result.beta};
            ctx->chinchilla = result;
            ctx->have_chinchilla = 1;
            for (int64_t i = 0; i < n; i++)
                predicted[i] = fit_law_value(FIT_LAW_CHINCHILLA, 0, chin_q, np[i], d[i]);
            if (law_points(chin, np, d, y, predicted, run, n) != 0)
                goto done;
            chin->objective = result.objective;
            chin->starts = result.starts;
            chin->candidates = result.candidates;
            chin->candidates_at_best = result.candidates_at_best;
            message_format(chin->message, sizeof(chin->message),
                        "every run (all seeds); Huber (delta %.3g) on ln L, summed; L-BFGS from "
                        "%d grid starts; the %d best end points polished, %d to within 1e-8 of "
                        "the best, which Newton steps finish; %lld points",
                        options.delta, result.starts, result.candidates,
                        result.candidates_at_best, (long long)n);
        }
    }
done:
    free(np);
    free(d);
    free(y);
    free(predicted);
    free(run);
}

static int compare_budget(const void *x, const void *y)
{
    const fit_observation *a = ((const fit_row *)x)->o, *b = ((const fit_row *)y)->o;
    const double ka = a->budget > 0 ? a->budget : a->flops, kb = b->budget > 0 ? b->budget : b->flops;
    return (ka > kb) - (ka < kb);
}

/* Approach 2: runs grouped into budgets (their planned budget, or C within
 * isoflop_tolerance of the smallest C of the group), a parabola of L in ln N per budget,
 * its vertex; then N_opt(C), D_opt(C) power laws over the budgets. */
static void isoflop(const fit_context *ctx, fit_report *r, const fit_sample *s, int full)
{
    fit_law *law = &r->law[FIT_LAW_ISOFLOP];
    fit_row *sorted = fit_sorted_rows(s, compare_budget);
    const int64_t n = s->n;
    double *x = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *y = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *np = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *budgets = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *n_opt = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *d_opt = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    fit_isoflop_profile *profiles = full ? calloc((size_t)(n > 0 ? n : 1), sizeof(*profiles)) : NULL;
    if (!sorted || !x || !y || !np || !budgets || !n_opt || !d_opt || (full && !profiles)) {
        law->status = FIT_FAILED;
        message_format(law->message, sizeof(law->message), "out of memory");
        goto done;
    }
    int given = 0;
    for (int64_t i = 0; i < n; i++)
        given |= s->rows[i].o->budget > 0;
    int n_profiles = 0, valid = 0, tried = 0, groups = 0;
    for (int64_t i = 0; i < n;) {
        const fit_observation *first = sorted[i].o;
        if (given && first->budget <= 0) {
            i++;
            continue;
        }
        int64_t end = i, m = 0;
        double log_sum = 0.0;
        while (end < n) {
            const fit_observation *o = sorted[end].o;
            if (given ? !(o->budget > 0 && fit_same_value(o->budget, first->budget))
                      : o->flops > first->flops * (1.0 + ctx->options.isoflop_tolerance))
                break;
            x[m] = log(o->n_params);
            np[m] = o->n_params;
            y[m++] = o->loss;
            log_sum += log(given ? o->budget : o->flops);
            end++;
        }
        i = end;
        groups++;
        const double budget = exp(log_sum / (double)m);
        const int64_t distinct = fit_count_distinct(np, m);
        if (distinct < 3 && !full)
            continue;
        fit_isoflop_profile profile = {budget, (int)m, (int)distinct, NAN, NAN, NAN,
                                       NAN, NAN, NAN, FIT_SKIPPED, ""};
        if (distinct >= 3) {
            tried++;
            double c[3];
            profile.status = fit_parabola(x, y, m, c, profile.message, sizeof(profile.message));
            profile.c0 = c[0];
            profile.c1 = c[1];
            profile.c2 = c[2];
            double low = INFINITY, high = -INFINITY;
            for (int64_t j = 0; j < m; j++) {
                low = fmin(low, x[j]);
                high = fmax(high, x[j]);
            }
            const double vertex = -c[1] / (2.0 * c[2]);
            if (profile.status == FIT_OK && !(c[2] > 0)) {
                profile.status = FIT_DEGENERATE;
                message_format(profile.message, sizeof(profile.message),
                            "the parabola opens downward: no minimum");
            } else if (profile.status == FIT_OK && !(vertex >= low && vertex <= high)) {
                profile.status = FIT_DEGENERATE;
                message_format(profile.message, sizeof(profile.message),
                            "the minimum (N = %.3g) lies outside the sampled N (%.3g to %.3g)",
                            exp(vertex), exp(low), exp(high));
            }
            if (profile.status == FIT_OK) {
                profile.n_opt = exp(vertex);
                profile.d_opt = budget / (6.0 * profile.n_opt);
                profile.loss_min = c[0] + c[1] * vertex + c[2] * vertex * vertex;
                budgets[valid] = budget;
                n_opt[valid] = profile.n_opt;
                d_opt[valid++] = profile.d_opt;
            }
        } else {
            message_format(profile.message, sizeof(profile.message),
                        "%lld distinct N: a parabola needs three", (long long)distinct);
        }
        if (full)
            profiles[n_profiles++] = profile;
    }
    if (full) {
        r->profiles = profiles;
        r->n_profiles = n_profiles;
        profiles = NULL;
    }
    if (valid < 3) {
        law->status = FIT_DEGENERATE;
        message_format(law->message, sizeof(law->message),
                    "%d budgets with a minimum inside the sampled N, of %d with three or more N, "
                    "of %d budgets (%s): need three",
                    valid, tried, groups,
                    given ? "as planned" : "runs grouped by C within the IsoFLOP tolerance");
        goto done;
    }
    double a, log_n0, b, log_d0;
    law->status = log_linear(budgets, n_opt, valid, &a, &log_n0, law->message, sizeof(law->message));
    if (law->status == FIT_OK)
        law->status = log_linear(budgets, d_opt, valid, &b, &log_d0, law->message,
                                 sizeof(law->message));
    if (law->status != FIT_OK)
        goto done;
    set_value(law, 0, a);
    set_value(law, 1, exp(log_n0));
    set_value(law, 2, b);
    set_value(law, 3, exp(log_d0));
    set_value(law, 4, pow(10.0, a));
    set_value(law, 5, pow(10.0, b));
    for (int t = 0; t < ctx->n_table; t++) {
        set_value(law, 6 + 2 * t, exp(log_n0) * pow(ctx->table[t], a));
        set_value(law, 7 + 2 * t, exp(log_d0) * pow(ctx->table[t], b));
    }
    if (full) {
        double predicted[valid];
        for (int j = 0; j < valid; j++)
            predicted[j] =
                fit_law_value(FIT_LAW_ISOFLOP, 0, (double[]){a, exp(log_n0)}, budgets[j], 0);
        if (law_points(law, budgets, d_opt, n_opt, predicted, NULL, valid) == 0)
            message_format(
                law->message, sizeof(law->message),
                "parabolas of L in ln N at %d budgets (%s); x = C, x2 = D_opt, y = N_opt", valid,
                given ? "planned budgets" : "runs grouped by C");
    }
done:
    free(sorted);
    free(x);
    free(y);
    free(np);
    free(budgets);
    free(n_opt);
    free(d_opt);
    free(profiles);
}

static int compare_group(const void *x, const void *y)
{
    const fit_row *a = x, *b = y;
    return (a->group > b->group) - (a->group < b->group);
}

/* Seed variance: per configuration with two or more seeds, mean and sd (n - 1); pooled
 * sd = sqrt(sum (n_i - 1) s_i^2 / sum (n_i - 1)); epsilon the same pooled over L / mean - 1,
 * the relative spread the overfitting bound compares with. */
static void seeds(fit_report *r, const fit_sample *s, int full)
{
    fit_law *law = &r->law[FIT_SEEDS];
    fit_row *sorted = fit_sorted_rows(s, compare_group);
    fit_seed_group *groups = full ? calloc((size_t)(s->n > 0 ? s->n : 1), sizeof(*groups)) : NULL;
    if (!sorted || (full && !groups)) {
        law->status = FIT_FAILED;
        message_format(law->message, sizeof(law->message), "out of memory");
        free(sorted);
        free(groups);
        return;
    }
    double squares = 0.0, relative = 0.0, freedom = 0.0;
    int n_groups = 0, most = 0, fewest = 0;
    for (int64_t i = 0; i < s->n;) {
        int64_t end = i;
        double total = 0.0;
        while (end < s->n && sorted[end].group == sorted[i].group)
            total += sorted[end++].o->loss;
        const int64_t m = end - i;
        if (m >= 2) {
            const double mean = total / (double)m;
            double sum = 0.0, sum_relative = 0.0;
            for (int64_t j = i; j < end; j++) {
                sum += (sorted[j].o->loss - mean) * (sorted[j].o->loss - mean);
                sum_relative += (sorted[j].o->loss / mean - 1.0) * (sorted[j].o->loss / mean - 1.0);
            }
            squares += sum;
            relative += sum_relative;
            freedom += (double)(m - 1);
            if (full)
                groups[n_groups] = (fit_seed_group){sorted[i].o->config_id, sorted[i].o->n_params,
                                                    sorted[i].o->tokens, (int)m, mean,
                                                    sqrt(sum / (double)(m - 1))};
            n_groups++;
            most = m > most ? (int)m : most;
            fewest = fewest == 0 || m < fewest ? (int)m : fewest;
        }
        i = end;
    }
    free(sorted);
    if (n_groups == 0) {
        law->status = FIT_SKIPPED;
        message_format(law->message, sizeof(law->message),
                    "no configuration was run with more than one seed");
        free(groups);
        return;
    }
    law->status = FIT_OK;
    set_value(law, 0, sqrt(relative / freedom));
    set_value(law, 1, sqrt(squares / freedom));
    if (full) {
        r->seed_groups = groups;
        r->n_seed_groups = n_groups;
        message_format(law->message, sizeof(law->message),
                    "%d configurations with %d to %d seeds; pooled over %.0f degrees of freedom",
                    n_groups, fewest, most, freedom);
    }
}

static void derived(const fit_context *ctx, fit_report *r, int full)
{
    /* the overfitting bound from Kaplan's law and epsilon */
    fit_law *bound = &r->law[FIT_OVERFITTING];
    const fit_law *kaplan = &r->law[FIT_LAW_KAPLAN];
    const int given = ctx->options.epsilon > 0;
    const double epsilon = given ? ctx->options.epsilon : value_of(&r->law[FIT_SEEDS], 0);
    if (kaplan->status != FIT_OK) {
        bound->status = FIT_SKIPPED;
        message_format(bound->message, sizeof(bound->message), "needs the joint Kaplan fit");
    } else if (!(epsilon > 0)) {
        bound->status = FIT_SKIPPED;
        message_format(bound->message, sizeof(bound->message),
                    "needs epsilon: run configurations with several seeds, or give one");
    } else {
        double k, p;
        fit_overfitting_bound(value_of(kaplan, 0), value_of(kaplan, 1), value_of(kaplan, 2),
                              value_of(kaplan, 3), epsilon, &k, &p);
        bound->status = FIT_OK;
        set_value(bound, 0, k);
        set_value(bound, 1, p);
        set_value(bound, 2, epsilon);
        if (full)
            message_format(bound->message, sizeof(bound->message),
                        "D >~ %.3g N^%.3f, with epsilon = %.3g (%s)", k, p, epsilon,
                        given ? "given" : "measured from the seeds");
    }

    /* Chinchilla's allocation and its table */
    fit_law *allocation = &r->law[FIT_ALLOCATION];
    const fit_law *chin = &r->law[FIT_LAW_CHINCHILLA];
    double g = NAN, a = NAN, b = NAN;
    if (chin->status != FIT_OK) {
        allocation->status = FIT_SKIPPED;
        message_format(allocation->message, sizeof(allocation->message), "needs the Chinchilla fit");
    } else {
        const double e = value_of(chin, 0), a_coef = value_of(chin, 1), b_coef = value_of(chin, 2);
        const double alpha = value_of(chin, 3), beta = value_of(chin, 4);
        fit_chinchilla_allocation(a_coef, b_coef, alpha, beta, &g, &a, &b);
        allocation->status = isfinite(g) && alpha > 0 && beta > 0 ? FIT_OK : FIT_DEGENERATE;
        if (allocation->status != FIT_OK) {
            message_format(allocation->message, sizeof(allocation->message),
                        "alpha and beta must be positive (alpha = %.3g, beta = %.3g)", alpha, beta);
        } else {
            set_value(allocation, 0, g);
            set_value(allocation, 1, a);
            set_value(allocation, 2, b);
            set_value(allocation, 3, pow(10.0, a));
            set_value(allocation, 4, pow(10.0, b));
            for (int t = 0; t < ctx->n_table; t++) {
                const double split_q[3] = {g, a, b};
                const double chin_q[5] = {e, a_coef, b_coef, alpha, beta};
                const double n_opt = fit_law_value(FIT_ALLOCATION, 0, split_q, ctx->table[t], 0);
                const double d_opt = fit_law_value(FIT_ALLOCATION, 1, split_q, ctx->table[t], 0);
                set_value(allocation, 5 + 3 * t, n_opt);
                set_value(allocation, 6 + 3 * t, d_opt);
                set_value(allocation, 7 + 3 * t,
                          fit_law_value(FIT_LAW_CHINCHILLA, 0, chin_q, n_opt, d_opt));
            }
            if (full)
                message_format(allocation->message, sizeof(allocation->message),
                            "N_opt = %.3g (C/6)^%.3f, D_opt = (C/6)^%.3f / %.3g: each 10x of "
                            "compute, %.2fx the parameters and %.2fx the data",
                            g, a, b, g, pow(10.0, a), pow(10.0, b));
        }
    }

    /* Kaplan's contradiction: L(C) against L(D) along the frontier's data */
    fit_law *cross = &r->law[FIT_CONTRADICTION];
    const fit_law *lc = &r->law[FIT_LAW_C], *ld = &r->law[FIT_LAW_D];
    const fit_law *frontier = &r->law[FIT_LAW_FRONTIER], *iso = &r->law[FIT_LAW_ISOFLOP];
    double d0 = NAN, slope = NAN;
    const char *source = "";
    if (frontier->status == FIT_OK) {
        slope = value_of(frontier, 2);
        d0 = value_of(frontier, 3);
        source = "D_opt(C) of the L(C) frontier";
    } else if (iso->status == FIT_OK) {
        slope = value_of(iso, 2);
        d0 = value_of(iso, 3);
        source = "D_opt(C) of the IsoFLOP profiles";
    } else if (allocation->status == FIT_OK) {
        slope = b;
        d0 = pow(6.0, -b) / g;
        source = "D_opt(C) of the Chinchilla fit";
    }
    if (lc->status != FIT_OK || ld->status != FIT_OK || !isfinite(d0)) {
        cross->status = FIT_SKIPPED;
        message_format(cross->message, sizeof(cross->message),
                    "needs L(C), L(D) and a compute-optimal D_opt(C) (%s%s%s)",
                    lc->status == FIT_OK ? "" : "no L(C) ", ld->status == FIT_OK ? "" : "no L(D) ",
                    isfinite(d0) ? "" : "no D_opt(C)");
    } else {
        double c_star, d_star, l_star;
        cross->status = fit_contradiction(value_of(lc, 0), value_of(lc, 1), value_of(ld, 0),
                                          value_of(ld, 1), d0, slope, &c_star, &d_star, &l_star,
                                          cross->message, sizeof(cross->message));
        if (cross->status == FIT_OK) {
            set_value(cross, 0, c_star);
            set_value(cross, 1, c_star / PF_DAY);
            set_value(cross, 2, c_star / (6.0 * d_star));
            set_value(cross, 3, d_star);
            set_value(cross, 4, l_star);
            if (full)
                message_format(cross->message, sizeof(cross->message),
                            "L(C) meets L(D) along %s at C* = %.3g FLOPs (%.3g PF-days), "
                            "N* = %.3g, D* = %.3g, L* = %.4g",
                            source, c_star, c_star / PF_DAY, c_star / (6.0 * d_star), d_star,
                            l_star);
        }
    }

    /* inference-aware choice */
    fit_law *inference = &r->law[FIT_INFERENCE];
    if (!(ctx->options.target_loss > 0)) {
        inference->status = FIT_SKIPPED;
        message_format(inference->message, sizeof(inference->message),
                    "give a target loss and the expected inference tokens");
    } else if (chin->status != FIT_OK) {
        inference->status = FIT_SKIPPED;
        message_format(inference->message, sizeof(inference->message), "needs the Chinchilla fit");
    } else {
        const double e = value_of(chin, 0), a_coef = value_of(chin, 1), b_coef = value_of(chin, 2);
        const double alpha = value_of(chin, 3), beta = value_of(chin, 4);
        const double served = ctx->options.inference_tokens;
        double choice[2], plain[2];
        inference->status = fit_inference_optimal(e, a_coef, b_coef, alpha, beta,
                                                  ctx->options.target_loss, served, choice,
                                                  inference->message, sizeof(inference->message));
        if (inference->status == FIT_OK)
            inference->status = fit_inference_optimal(e, a_coef, b_coef, alpha, beta,
                                                      ctx->options.target_loss, 0.0, plain,
                                                      inference->message,
                                                      sizeof(inference->message));
        if (inference->status == FIT_OK) {
            set_value(inference, 0, choice[0]);
            set_value(inference, 1, choice[1]);
            set_value(inference, 2, 6.0 * choice[0] * choice[1]);
            set_value(inference, 3, 2.0 * choice[0] * served);
            set_value(inference, 4, 6.0 * choice[0] * choice[1] + 2.0 * choice[0] * served);
            set_value(inference, 5, plain[0]);
            set_value(inference, 6, plain[1]);
            set_value(inference, 7, 6.0 * plain[0] * plain[1] + 2.0 * plain[0] * served);
            if (full)
                message_format(inference->message, sizeof(inference->message),
                            "for L = %.4g and %.3g inference tokens: N = %.3g, D = %.3g "
                            "(compute-optimal for that loss: N = %.3g, D = %.3g, %.3gx the "
                            "total cost)",
                            ctx->options.target_loss, served, choice[0], choice[1], plain[0],
                            plain[1],
                            (6.0 * plain[0] * plain[1] + 2.0 * plain[0] * served) /
                                (6.0 * choice[0] * choice[1] + 2.0 * choice[0] * served));
        }
    }
}

/* Every law's key, formula and quantity names, in slot order. */
static void begin_all(const fit_context *ctx, fit_report *r)
{
    static const char *const power[] = {"alpha", "N_c"}, *const power_e[] = {"E", "alpha", "N_c"};
    static const char *const power_d[] = {"alpha", "D_c"}, *const power_d_e[] = {"E", "alpha", "D_c"};
    static const char *const power_c[] = {"alpha", "C_c"}, *const power_c_e[] = {"E", "alpha", "C_c"};
    static const char *const allocation_law[] = {"a", "N_0", "b", "D_0", "N_per_10x", "D_per_10x"};
    static const char *const kaplan[] = {"alpha_N", "alpha_D", "N_c", "D_c"};
    static const char *const chinchilla[] = {"E", "A", "B", "alpha", "beta"};
    static const char *const seed[] = {"epsilon", "pooled_sd"};
    static const char *const bound[] = {"k", "p", "epsilon"};
    static const char *const split[] = {"G", "a", "b", "N_per_10x", "D_per_10x"};
    static const char *const cross[] = {"C_star", "C_star_pf_days", "N_star", "D_star", "L_star"};
    static const char *const inference[] = {"N", "D", "training_flops", "inference_flops",
                                            "total_flops", "N_compute_optimal",
                                            "D_compute_optimal", "total_flops_compute_optimal"};
    law_begin(r, FIT_LAW_N, "L(N) = (N_c/N)^alpha", power, 2);
    law_begin(r, FIT_LAW_N_E, "L(N) = E + (N_c/N)^alpha", power_e, 3);
    law_begin(r, FIT_LAW_D, "L(D) = (D_c/D)^alpha", power_d, 2);
    law_begin(r, FIT_LAW_D_E, "L(D) = E + (D_c/D)^alpha", power_d_e, 3);
    law_begin(r, FIT_LAW_C, "L(C) = (C_c/C)^alpha", power_c, 2);
    law_begin(r, FIT_LAW_C_E, "L(C) = E + (C_c/C)^alpha", power_c_e, 3);
    law_begin(r, FIT_LAW_FRONTIER, "on the L(C) frontier: N_opt = N_0 C^a, D_opt = D_0 C^b",
              allocation_law, 6);
    law_begin(r, FIT_LAW_KAPLAN, "L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D", kaplan,
              4);
    law_begin(r, FIT_LAW_CHINCHILLA, "L(N, D) = E + A/N^alpha + B/D^beta", chinchilla, 5);
    law_begin(r, FIT_LAW_ISOFLOP, "IsoFLOP minima: N_opt = N_0 C^a, D_opt = D_0 C^b",
              allocation_law, 6);
    law_begin(r, FIT_SEEDS, "epsilon = pooled sd of L / mean(L) over seeds", seed, 2);
    law_begin(r, FIT_OVERFITTING,
              "D_min(N) = k N^p = (alpha_D D_c / epsilon) (N/N_c)^(alpha_N/alpha_D)", bound, 3);
    law_begin(r, FIT_ALLOCATION,
              "N_opt = G (C/6)^a, D_opt = (C/6)^b / G, a = beta/(alpha+beta), b = alpha/(alpha+beta)",
              split, 5);
    law_begin(r, FIT_CONTRADICTION,
              "C* where L(C) = (C_c/C)^alpha_C meets L(D_opt(C)) = (D_c/D_opt(C))^alpha_D", cross,
              5);
    law_begin(r, FIT_INFERENCE, "minimise 6 N D + 2 N D_inference subject to L(N, D) = target",
              inference, 8);
    static const char *const optimum[] = {"k", "p"};
    law_begin(r, FIT_LR_OPT, "lr_opt(N) = k N^p", optimum, 2);
    law_begin(r, FIT_BATCH_OPT, "batch_opt(C) = k C^p", optimum, 2);
    static const char *const shape[] = {"groups", "shapes", "spread", "epsilon"};
    law_begin(r, FIT_SHAPE, "L / L(N) against d_model / n_layer, runs of equal N (5%) and D", shape,
              4);
    for (int t = 0; t < ctx->n_table; t++) {
        char name[FIT_NAME_LENGTH];
        snprintf(name, sizeof(name), "N_opt@%.3g", ctx->table[t]);
        fit_law_add(&r->law[FIT_LAW_ISOFLOP], name, NAN);
        fit_law_add(&r->law[FIT_ALLOCATION], name, NAN);
        snprintf(name, sizeof(name), "D_opt@%.3g", ctx->table[t]);
        fit_law_add(&r->law[FIT_LAW_ISOFLOP], name, NAN);
        fit_law_add(&r->law[FIT_ALLOCATION], name, NAN);
        snprintf(name, sizeof(name), "L@%.3g", ctx->table[t]);
        fit_law_add(&r->law[FIT_ALLOCATION], name, NAN);
    }
}

void fit_analyse(fit_context *ctx, const fit_sample *all, fit_report *r, int full)
{
    begin_all(ctx, r);
    /* the optimum laws see every configuration; the others each cell's best (the envelope),
       when some cell has more than one */
    if (wanted(ctx, FIT_LR_OPT))
        fit_optimum_law(r, FIT_LR_OPT, all, full);
    if (wanted(ctx, FIT_BATCH_OPT))
        fit_optimum_law(r, FIT_BATCH_OPT, all, full);
    fit_sample envelope = *all;
    fit_row *chosen = NULL;
    if (ctx->n_cells < ctx->n_configs) {
        chosen = malloc((size_t)(all->n > 0 ? all->n : 1) * sizeof(fit_row));
        if (full) {
            free(r->cells);
            r->cells = NULL;
            r->n_cells = 0;
        }
        if (!chosen ||
            fit_envelope(all, chosen, &envelope.n, full ? &r->cells : NULL, &r->n_cells) != 0) {
            free(chosen);
            for (int l = 0; l < FIT_NUM_LAWS; l++)
                if (l != FIT_LR_OPT && l != FIT_BATCH_OPT)
                    r->law[l].status = FIT_FAILED;
            return;
        }
        envelope.rows = chosen;
    }
    const fit_sample *s = &envelope;
    const int64_t cap = s->n > 0 ? s->n : 1;
    double *x = malloc((size_t)cap * sizeof(double)), *y = malloc((size_t)cap * sizeof(double));
    /* which run each point is: only the full data's points are kept */
    int64_t *run = full ? malloc((size_t)cap * sizeof(int64_t)) : NULL;
    if (!x || !y || (full && !run)) {
        free(x);
        free(y);
        free(run);
        free(chosen);
        for (int l = 0; l < FIT_NUM_LAWS; l++)
            r->law[l].status = FIT_FAILED;
        return;
    }
    int64_t count = fit_select_n(s, x, y, run);
    power_laws(ctx, r, FIT_LAW_N, FIT_LAW_N_E, "N", x, y, run, count < 0 ? 0 : count,
               "the largest-D runs of each N", full);
    int limited;
    count = fit_select_d(s, x, y, run, &limited);
    r->law[FIT_LAW_D].x_unique = r->law[FIT_LAW_D_E].x_unique = limited == FIT_D_LIMITED;
    power_laws(ctx, r, FIT_LAW_D, FIT_LAW_D_E, "D", x, y, run, count < 0 ? 0 : count,
               limited == FIT_D_LIMITED
                   ? "data-limited runs (x = unique tokens), the largest N at each"
               : limited == FIT_D_REPEATED
                   ? "the best N at each D (x = tokens seen; runs that repeat data have fewer "
                     "than 3 unique-token counts, too few for a data-limited L(D))"
                   : "the best N at each D (no data-limited runs)",
               full);
    free(x);
    free(y);
    free(run);
    if (wanted(ctx, FIT_LAW_C) || wanted(ctx, FIT_LAW_C_E) || wanted(ctx, FIT_LAW_FRONTIER))
        frontier_law(ctx, r, s, full);
    joint_laws(ctx, r, s, full);
    if (wanted(ctx, FIT_LAW_ISOFLOP))
        isoflop(ctx, r, s, full);
    if (wanted(ctx, FIT_SEEDS))
        seeds(r, s, full);
    if (wanted(ctx, FIT_SHAPE))
        fit_shape_law(r, s, full);
    derived(ctx, r, full);
    free(chosen);
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        if (!wanted(ctx, (fit_law_id)l)) {
            r->law[l].status = FIT_SKIPPED;
            message_format(r->law[l].message, sizeof(r->law[l].message), "not asked for");
        }
}

/* ---- input ---- */

static int compare_curve(const void *x, const void *y)
{
    const fit_curve_point *a = x, *b = y;
    if (a->run_index != b->run_index)
        return (a->run_index > b->run_index) - (a->run_index < b->run_index);
    return (a->flops > b->flops) - (a->flops < b->flops);
}

static int compare_ids(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static int compare_config(const void *x, const void *y, void *arg)
{
    const fit_observation *o = arg;
    const uint64_t a = o[*(const int64_t *)x].config_id, b = o[*(const int64_t *)y].config_id;
    return (a > b) - (a < b);
}

static void context_free(fit_context *ctx)
{
    free(ctx->observations);
    free(ctx->curve);
    free(ctx->curve_begin);
    free(ctx->curve_count);
    free(ctx->config_rows);
    free(ctx->config_begin);
    free(ctx->cell_configs);
    free(ctx->cell_begin);
}

static int compare_cell(const void *x, const void *y, void *arg)
{
    const fit_context *ctx = arg;
    const fit_observation
        *a = &ctx->observations[ctx->config_rows[ctx->config_begin[*(const int64_t *)x]]],
        *b = &ctx->observations[ctx->config_rows[ctx->config_begin[*(const int64_t *)y]]];
    const uint64_t ca = fit_cell_of(a), cb = fit_cell_of(b);
    if (ca != cb)
        return (ca > cb) - (ca < cb);
    return (*(const int64_t *)x > *(const int64_t *)y) -
           (*(const int64_t *)x < *(const int64_t *)y);
}

/* The configurations grouped by cell (ctx->cell_configs, cell_begin): the bootstrap's unit
 * when some cell holds several. 0 or -1. */
static int group_cells(fit_context *ctx)
{
    ctx->cell_configs = malloc((size_t)(ctx->n_configs > 0 ? ctx->n_configs : 1) * sizeof(int64_t));
    ctx->cell_begin = malloc((size_t)(ctx->n_configs + 1) * sizeof(int64_t));
    if (!ctx->cell_configs || !ctx->cell_begin)
        return -1;
    for (int64_t c = 0; c < ctx->n_configs; c++)
        ctx->cell_configs[c] = c;
    qsort_r(ctx->cell_configs, (size_t)ctx->n_configs, sizeof(int64_t), compare_cell, ctx);
    ctx->n_cells = 0;
    for (int64_t c = 0; c < ctx->n_configs; c++) {
        const fit_observation *o =
            &ctx->observations[ctx->config_rows[ctx->config_begin[ctx->cell_configs[c]]]];
        const uint64_t cell = fit_cell_of(o);
        const fit_observation *q =
            c ? &ctx->observations[ctx->config_rows[ctx->config_begin[ctx->cell_configs[c - 1]]]]
              : NULL;
        if (!q || cell != fit_cell_of(q))
            ctx->cell_begin[ctx->n_cells++] = c;
    }
    ctx->cell_begin[ctx->n_cells] = ctx->n_configs;
    return 0;
}

/* Keeps the rows that can feed a fit, sorts the curves, groups rows by configuration.
 * Returns 0, or -1 with report->message. */
static int prepare(fit_context *ctx, const fit_input *input, fit_report *report)
{
    const int64_t n = input->n_observations;
    if (!input->observations || n <= 0) {
        message_format(report->message, sizeof(report->message), "no runs to fit");
        return -1;
    }
    ctx->observations = malloc((size_t)n * sizeof(fit_observation));
    ctx->curve_begin = calloc((size_t)n, sizeof(int64_t));
    ctx->curve_count = calloc((size_t)n, sizeof(int64_t));
    ctx->config_rows = malloc((size_t)n * sizeof(int64_t));
    ctx->config_begin = malloc((size_t)(n + 1) * sizeof(int64_t));
    if (!ctx->observations || !ctx->curve_begin || !ctx->curve_count || !ctx->config_rows ||
        !ctx->config_begin) {
        message_format(report->message, sizeof(report->message), "out of memory");
        return -1;
    }
    int64_t not_ok = 0, bad = 0, n_lost = 0;
    /* the configurations of the runs left out */
    uint64_t *lost = malloc((size_t)n * sizeof(uint64_t));
    if (!lost) {
        message_format(report->message, sizeof(report->message), "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        fit_observation o = input->observations[i];
        o.partial = 0;
        if (!o.ok) {
            not_ok++;
            lost[n_lost++] = o.config_id;
            continue;
        }
        if (!(o.flops > 0))
            o.flops = 6.0 * o.n_params * o.tokens;
        if (!(isfinite(o.n_params) && o.n_params > 0 && isfinite(o.tokens) && o.tokens > 0 &&
              isfinite(o.loss) && o.loss > 0 && isfinite(o.flops))) {
            bad++;
            lost[n_lost++] = o.config_id;
            continue;
        }
        if (!isfinite(o.unique_tokens))
            o.unique_tokens = 0;
        if (!isfinite(o.budget))
            o.budget = 0;
        ctx->observations[ctx->n++] = o;
    }
    qsort(lost, (size_t)n_lost, sizeof(uint64_t), compare_ids);
    for (int64_t i = 0; i < ctx->n; i++)
        ctx->observations[i].partial =
            bsearch(&ctx->observations[i].config_id, lost, (size_t)n_lost, sizeof(uint64_t),
                    compare_ids) != NULL;
    free(lost);
    report->n_observations = n;
    report->n_used = ctx->n;
    if (ctx->n == 0) {
        message_format(report->message, sizeof(report->message),
                    "none of the %lld runs can feed a fit: %lld did not finish (diverged or "
                    "failed), %lld have a NaN, infinite or non-positive N, D or loss",
                    (long long)n, (long long)not_ok, (long long)bad);
        return -1;
    }
    if (not_ok || bad)
        message_format(report->message, sizeof(report->message),
                    "%lld of %lld runs used: %lld did not finish (diverged or failed), %lld "
                    "have a NaN, infinite or non-positive N, D or loss",
                    (long long)ctx->n, (long long)n, (long long)not_ok, (long long)bad);
    else
        message_format(report->message, sizeof(report->message), "all %lld runs used", (long long)n);

    if (input->curve && input->n_curve > 0) {
        ctx->curve = malloc((size_t)input->n_curve * sizeof(fit_curve_point));
        if (!ctx->curve) {
            message_format(report->message, sizeof(report->message), "out of memory");
            return -1;
        }
        for (int64_t i = 0; i < input->n_curve; i++) {
            const fit_curve_point *p = &input->curve[i];
            if (isfinite(p->flops) && p->flops > 0 && isfinite(p->loss) && p->loss > 0 &&
                isfinite(p->tokens) && p->tokens > 0)
                ctx->curve[ctx->n_curve++] = *p;
        }
        qsort(ctx->curve, (size_t)ctx->n_curve, sizeof(fit_curve_point), compare_curve);
        for (int64_t i = 0; i < ctx->n; i++) {
            const int64_t run = ctx->observations[i].run_index;
            if (run < 0)
                continue;
            int64_t lo = 0, hi = ctx->n_curve;
            while (lo < hi) {
                int64_t mid = (lo + hi) / 2;
                if (ctx->curve[mid].run_index < run)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            int64_t end = lo;
            while (end < ctx->n_curve && ctx->curve[end].run_index == run)
                end++;
            ctx->curve_begin[i] = lo;
            ctx->curve_count[i] = end - lo;
        }
    }

    for (int64_t i = 0; i < ctx->n; i++)
        ctx->config_rows[i] = i;
    qsort_r(ctx->config_rows, (size_t)ctx->n, sizeof(int64_t), compare_config, ctx->observations);
    for (int64_t i = 0; i < ctx->n; i++) {
        if (i == 0 || ctx->observations[ctx->config_rows[i]].config_id !=
                          ctx->observations[ctx->config_rows[i - 1]].config_id)
            ctx->config_begin[ctx->n_configs++] = i;
    }
    ctx->config_begin[ctx->n_configs] = ctx->n;
    report->n_configurations = ctx->n_configs;
    if (group_cells(ctx) != 0) {
        message_format(report->message, sizeof(report->message), "out of memory");
        return -1;
    }

    /* the allocation table: given budgets, or decades from the smallest C seen to 1000x
       the largest */
    if (ctx->options.n_table > 0) {
        ctx->n_table = ctx->options.n_table < FIT_MAX_TABLE ? ctx->options.n_table : FIT_MAX_TABLE;
        memcpy(ctx->table, ctx->options.table, (size_t)ctx->n_table * sizeof(double));
    } else {
        double low = INFINITY, high = 0.0;
        for (int64_t i = 0; i < ctx->n; i++) {
            low = fmin(low, ctx->observations[i].flops);
            high = fmax(high, ctx->observations[i].flops);
        }
        int first = (int)floor(log10(low)), last = (int)ceil(log10(high)) + 3;
        if (last - first + 1 > FIT_MAX_TABLE)
            first = last - FIT_MAX_TABLE + 1;
        for (int k = first; k <= last; k++)
            ctx->table[ctx->n_table++] = pow(10.0, k);
    }
    report->n_table = ctx->n_table;
    memcpy(report->table, ctx->table, sizeof(report->table));
    return 0;
}

int fit_run(const fit_input *input, const fit_options *options, fit_report *report)
{
    memset(report, 0, sizeof(*report));
    fit_gsl_errors_off();
    fit_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    if (options)
        ctx.options = *options;
    else
        fit_options_defaults(&ctx.options);
    if (!(ctx.options.confidence > 0 && ctx.options.confidence < 1))
        ctx.options.confidence = 0.95;
    if (!(ctx.options.huber_delta > 0))
        ctx.options.huber_delta = 1e-3;
    if (ctx.options.frontier_points < 2)
        ctx.options.frontier_points = 60;
    if (ctx.options.frontier_points > 10000)
        ctx.options.frontier_points = 10000; /* a few arrays of this size live on the stack */
    if (ctx.options.bootstrap < 0)
        ctx.options.bootstrap = 0;
    report->confidence = ctx.options.confidence;

    const double start = clock_seconds();
    begin_all(&ctx, report);
    if (prepare(&ctx, input, report) != 0) {
        for (int l = 0; l < FIT_NUM_LAWS; l++) {
            report->law[l].status = FIT_SKIPPED;
            message_format(report->law[l].message, sizeof(report->law[l].message), "%s",
                        report->message);
        }
        context_free(&ctx);
        return -1;
    }
    fit_row *rows = malloc((size_t)ctx.n * sizeof(fit_row));
    if (!rows) {
        message_format(report->message, sizeof(report->message), "out of memory");
        context_free(&ctx);
        return -1;
    }
    for (int64_t c = 0; c < ctx.n_configs; c++)
        for (int64_t k = ctx.config_begin[c]; k < ctx.config_begin[c + 1]; k++) {
            const int64_t index = ctx.config_rows[k];
            rows[k] = (fit_row){&ctx.observations[index], ctx.curve_begin[index],
                            ctx.curve_count[index], c};
        }
    fit_sample all = {rows, ctx.n};
    fit_analyse(&ctx, &all, report, 1);
    report->seconds_fit = clock_seconds() - start;

    if (ctx.options.bootstrap > 0) {
        if (ctx.n_cells < 2) {
            size_t used = strlen(report->message);
            message_format(report->message + used, sizeof(report->message) - used,
                           "; one %s only: no bootstrap intervals",
                           ctx.n_cells < ctx.n_configs ? "cell" : "configuration");
        } else {
            const double t = clock_seconds();
            if (fit_bootstrap(&ctx, report) != 0) {
                size_t used = strlen(report->message);
                message_format(report->message + used, sizeof(report->message) - used,
                            "; some resamples ran out of memory");
            }
            report->bootstrap = ctx.options.bootstrap;
            report->seconds_bootstrap = clock_seconds() - t;
        }
    }
    free(rows);
    context_free(&ctx);
    return 0;
}

void fit_report_free(fit_report *report)
{
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        law_free_points(&report->law[l]);
    free(report->profiles);
    free(report->seed_groups);
    free(report->cells);
    report->cells = NULL;
    report->n_cells = 0;
    free(report->resamples);
    report->resamples = NULL;
    report->n_resamples = 0;
    report->profiles = NULL;
    report->seed_groups = NULL;
    report->n_profiles = report->n_seed_groups = 0;
}
