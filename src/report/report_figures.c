/* The report's figures (report_internal.h's report_figures): what each shows, when the
 * data support it, and how it is drawn (report_plot.h). Every law's curve comes from
 * fit_law_value and its band from fit_law_band: the fit owns the formulas. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "report_internal.h"
#include "report_plot.h"

#define CURVE_POINTS 80

int report_value_colour(double value, const double *values, int count)
{
    int index = 0;
    for (int i = 0; i < count; i++)
        if (fabs(values[i] / value - 1) < 1e-9)
            index = i;
    if (count <= 1)
        return PLOT_PALETTE;
    /* spread over the palette, the smallest value darkest */
    return PLOT_PALETTE + (int)lround((double)index * (PLOT_PALETTE_SIZE - 1) / (count - 1));
}

static const fit_law *law_of(const report_data *d, fit_law_id id)
{
    return &d->fit->law[id];
}

static int law_ok(const report_data *d, fit_law_id id)
{
    return law_of(d, id)->status == FIT_OK;
}

/* A figure's check for the one law it draws: NULL when it was fitted, else why (what, and
 * the fit's own reason). */
static const char *law_missing(report_data *d, fit_law_id id, const char *what, char *why,
                               size_t size)
{
    if (law_ok(d, id))
        return NULL;
    message_format(why, size, "%s: %s", what, law_of(d, id)->message);
    return why;
}

static void values_of(const fit_law *law, double *q)
{
    for (int k = 0; k < law->n_quantities; k++)
        q[k] = law->quantity[k].value;
}

/* "#ga = 0.076 [0.07, 0.082]": a quantity in PLplot text, with its interval if any. */
static void quantity_text(const fit_law *law, int slot, const char *symbol, char *out, size_t size)
{
    const fit_quantity *q = &law->quantity[slot];
    if (isfinite(q->lower) && isfinite(q->upper))
        snprintf(out, size, "%s = %.3g [%.3g, %.3g]", symbol, q->value, q->lower, q->upper);
    else
        snprintf(out, size, "%s = %.3g", symbol, q->value);
}

/* A fitted law of one variable over the axis, with its band; its keys (the formula, then
 * its exponent and E with their intervals) at keys, texts[3] beside them. Returns the
 * number of keys. */
/* A law of one variable sampled over the axis: its values ys at CURVE_POINTS points xs, and
 * its band lo, hi; returns whether there is a band. */
static int law_curve(const report_data *d, fit_law_id id, const plot_axis *x, double *xs,
                     double *ys, double *lo, double *hi)
{
    double q[FIT_MAX_QUANTITIES];
    values_of(law_of(d, id), q);
    plot_spaced(x->lo, x->hi, x->scale, CURVE_POINTS, xs);
    int banded = 0;
    for (int i = 0; i < CURVE_POINTS; i++) {
        ys[i] = fit_law_value(id, 0, q, xs[i], 0);
        banded |= fit_law_band(d->fit, id, 0, xs[i], 0, &lo[i], &hi[i]) == 0;
    }
    return banded;
}

static int draw_law_1d(const report_data *d, fit_law_id id, const char *variable,
                       const plot_axis *x, int colour, int band_colour, plot_key *keys,
                       char texts[3][120])
{
    const fit_law *law = law_of(d, id);
    double xs[CURVE_POINTS], ys[CURVE_POINTS], lo[CURVE_POINTS], hi[CURVE_POINTS];
    const int banded = law_curve(d, id, x, xs, ys, lo, hi);
    if (banded)
        plot_band(CURVE_POINTS, xs, lo, hi, band_colour);
    plot_line(CURVE_POINTS, xs, ys, colour, 2, 1);
    const int with_e = id == FIT_LAW_N_E || id == FIT_LAW_D_E || id == FIT_LAW_C_E;
    char band[32] = "";
    if (banded)
        snprintf(band, sizeof band, ", %.0f%% band", 100 * d->fit->confidence);
    snprintf(texts[0], 120, "%s(%s_c / %s)^#ga%s", with_e ? "E + " : "", variable, variable, band);
    quantity_text(law, with_e ? 1 : 0, "  #ga", texts[1], 120);
    int k = 0;
    keys[k++] = (plot_key){texts[0], colour, PLOT_KEY_LINE, NULL};
    keys[k++] = (plot_key){texts[1], colour, PLOT_KEY_TEXT, NULL};
    if (with_e) {
        quantity_text(law, 0, "  E", texts[2], 120);
        keys[k++] = (plot_key){texts[2], colour, PLOT_KEY_TEXT, NULL};
    }
    return k;
}

/* Keys for the palette of a variable's values (at most six: the first, some between, the
 * last). Returns how many it added at keys. */
static int value_keys(const double *values, int count, const char *variable, plot_key *keys,
                      char texts[][48])
{
    int shown = 0;
    const int most = 6;
    for (int i = 0; i < count && shown < most; i++) {
        int index = count <= most ? i : (int)lround((double)i * (count - 1) / (most - 1));
        if (count > most && i >= most)
            break;
        if (count > most)
            index = (int)lround((double)shown * (count - 1) / (most - 1));
        snprintf(texts[shown], 48, "%s = %.3g", variable, values[index]);
        keys[shown] = (plot_key){texts[shown], report_value_colour(values[index], values, count),
                                 PLOT_KEY_POINT, PLOT_DOT};
        shown++;
    }
    return shown;
}

/* ---- (1) the test loss against N, D and C ---- */

typedef struct {
    fit_law_id pure, with_e;
    const double *(*x)(const report_data *d);
    const char *variable, *label, *title;
    int colour_by_n; /* colour the points by N (else by D) */
} loss_figure;

static const double *x_n(const report_data *d)
{
    return d->n_params;
}
static const double *x_d(const report_data *d)
{
    return d->data;
}
static const double *x_c(const report_data *d)
{
    return d->flops;
}

static const loss_figure loss_figures[] = {
    {FIT_LAW_N, FIT_LAW_N_E, x_n, "N", "N (non-embedding parameters)",
     "L(N): the test loss against N", 0},
    {FIT_LAW_D, FIT_LAW_D_E, x_d, "D", "D (tokens trained on)", "L(D): the test loss against D", 1},
    {FIT_LAW_C, FIT_LAW_C_E, x_c, "C", "C = 6ND (FLOP)", "L(C): the test loss against compute", 1},
};

static void draw_loss(report_data *d, const loss_figure *f)
{
    const double *x = f->x(d);
    const int unique = f->x == x_d && d->fit->law[FIT_LAW_D].x_unique;
    plot_axis ax = plot_axis_of(x, d->n, PLOT_LOG,
                                unique ? "U (unique tokens of the data-limited runs)" : f->label);
    plot_axis ay = plot_axis_of(d->loss, d->n, PLOT_LOG, "test loss (nats/token)");
    plot_panel(&ax, &ay, f->title);
    const double *by = f->colour_by_n ? d->values_n : d->values_d;
    const int count = f->colour_by_n ? d->n_values_n : d->n_values_d;
    for (int64_t i = 0; i < d->n; i++) {
        const double v = f->colour_by_n ? d->n_params[i] : d->tokens[i];
        plot_points(1, &x[i], &d->loss[i], report_value_colour(v, by, count), PLOT_DOT);
    }
    plot_key keys[16];
    char law_text[2][3][120], value_text[8][48];
    int k = 0;
    const fit_law *pure = law_of(d, f->pure);
    if (law_ok(d, f->pure))
        k += draw_law_1d(d, f->pure, f->variable, &ax, PLOT_LAW, PLOT_BAND, keys + k, law_text[0]);
    if (law_ok(d, f->with_e))
        k += draw_law_1d(d, f->with_e, f->variable, &ax, PLOT_LAW2, PLOT_BAND2, keys + k,
                         law_text[1]);
    if (law_ok(d, f->pure)) {
        /* the points the law was fitted to */
        plot_points(pure->n_points, pure->x, pure->y, PLOT_INK, PLOT_RING);
        keys[k++] = (plot_key){"fitted points", PLOT_INK, PLOT_KEY_POINT, PLOT_RING};
    }
    k += value_keys(by, count, f->colour_by_n ? "N" : "D", keys + k, value_text);
    plot_legend(k, keys, 1);
}

static const char *check_loss(report_data *d, const loss_figure *f, char *why, size_t size)
{
    const int values = f->x == x_n ? d->n_values_n : f->x == x_d ? d->n_values_d : 0;
    const double *x = f->x(d);
    int spread = values >= 2;
    for (int64_t i = 1; i < d->n && !values && !spread; i++)
        spread = fabs(x[i] / x[0] - 1) > 1e-9;
    if (!spread) {
        message_format(why, size,
                       "%lld finished run%s at %s one value of %s: nothing to draw a law through",
                       (long long)d->n, d->n == 1 ? "" : "s", d->n == 1 ? "" : "only", f->variable);
        return why;
    }
    /* the points alone still show the data: drawn, with a note */
    if (!law_ok(d, f->pure) && !law_ok(d, f->with_e))
        message_format(why, size, "No law drawn: L(%s) was not fitted: %s", f->variable,
                       law_of(d, f->pure)->message);
    return NULL;
}

static const char *check_loss_n(report_data *d, char *why, size_t size)
{
    return check_loss(d, &loss_figures[0], why, size);
}
static const char *check_loss_d(report_data *d, char *why, size_t size)
{
    return check_loss(d, &loss_figures[1], why, size);
}
static const char *check_loss_c(report_data *d, char *why, size_t size)
{
    return check_loss(d, &loss_figures[2], why, size);
}
static void draw_loss_n(void *d)
{
    draw_loss(d, &loss_figures[0]);
}
static void draw_loss_d(void *d)
{
    draw_loss(d, &loss_figures[1]);
}
static void draw_loss_c(void *d)
{
    draw_loss(d, &loss_figures[2]);
}

/* ---- (2) every training curve against compute, with the L(C) frontier ---- */

static const char *check_curves(report_data *d, char *why, size_t size)
{
    if (d->a->n_curve < 2) {
        message_format(why, size, "the file holds no training curves");
        return why;
    }
    return NULL;
}

static void draw_curves(void *arg)
{
    report_data *d = arg;
    const fit_curve_point *c = d->a->curve;
    const int64_t n = d->a->n_curve;
    double *x = calloc((size_t)(n + 1), sizeof *x), *y = calloc((size_t)(n + 1), sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        x[i] = c[i].flops;
        y[i] = c[i].loss;
    }
    plot_axis ax = plot_axis_of(x, n, PLOT_LOG, "C (FLOP so far)");
    plot_axis ay = plot_axis_of(y, n, PLOT_LOG, "test loss (nats/token)");
    plot_panel(&ax, &ay, "Training curves against compute, and the L(C) frontier");
    /* one line per run, in the order of the curve (runs are contiguous) */
    for (int64_t begin = 0; begin < n;) {
        int64_t end = begin;
        while (end < n && c[end].run_index == c[begin].run_index)
            end++;
        const int64_t run = c[begin].run_index;
        const double np =
            run >= 0 && run < d->a->results.n_runs ? d->a->observations[run].n_params : NAN;
        plot_line(end - begin, x + begin, y + begin,
                  report_value_colour(np, d->values_n, d->n_values_n), 1, 1);
        begin = end;
    }
    plot_key keys[16];
    char law_text[2][3][120], value_text[8][48];
    int k = 0;
    if (law_ok(d, FIT_LAW_C))
        k += draw_law_1d(d, FIT_LAW_C, "C", &ax, PLOT_LAW, PLOT_BAND, keys + k, law_text[0]);
    if (law_ok(d, FIT_LAW_C_E))
        k += draw_law_1d(d, FIT_LAW_C_E, "C", &ax, PLOT_LAW2, PLOT_BAND2, keys + k, law_text[1]);
    if (law_ok(d, FIT_LAW_C)) {
        const fit_law *lc = law_of(d, FIT_LAW_C);
        plot_points(lc->n_points, lc->x, lc->y, PLOT_INK, PLOT_RING);
        keys[k++] = (plot_key){"frontier points", PLOT_INK, PLOT_KEY_POINT, PLOT_RING};
    }
    k += value_keys(d->values_n, d->n_values_n, "N", keys + k, value_text);
    plot_legend(k, keys, 1);
    free(x);
    free(y);
}

/* ---- (3) IsoFLOP profiles and N_opt(C), D_opt(C) ---- */

static const char *check_isoflop(report_data *d, char *why, size_t size)
{
    int drawn = 0;
    for (int i = 0; i < d->fit->n_profiles; i++)
        drawn += d->fit->profiles[i].status == FIT_OK;
    if (drawn == 0) {
        message_format(why, size, "no IsoFLOP profile: %s", law_of(d, FIT_LAW_ISOFLOP)->message);
        return why;
    }
    return NULL;
}

static void draw_isoflop(void *arg)
{
    report_data *d = arg;
    const fit_report *r = d->fit;
    const double tolerance =
        d->a->options.isoflop_tolerance > 0 ? d->a->options.isoflop_tolerance : 0.05;
    plot_axis ax = plot_axis_of(d->n_params, d->n, PLOT_LOG, "N (parameters)");
    plot_axis ay = plot_axis_of(d->loss, d->n, PLOT_LINEAR, "test loss (nats/token)");
    plot_panel(&ax, &ay, "IsoFLOP profiles");
    double budgets[REPORT_MAX_VALUES];
    int n_budgets = 0;
    for (int i = 0; i < r->n_profiles && n_budgets < REPORT_MAX_VALUES; i++)
        if (r->profiles[i].status == FIT_OK)
            budgets[n_budgets++] = r->profiles[i].budget;
    plot_key keys[10];
    char texts[8][48];
    int k = 0;
    for (int i = 0, shown = 0; i < r->n_profiles; i++) {
        const fit_isoflop_profile *p = &r->profiles[i];
        if (p->status != FIT_OK)
            continue;
        const int colour = report_value_colour(p->budget, budgets, n_budgets);
        double lo = INFINITY, hi = 0;
        for (int64_t j = 0; j < d->n; j++) {
            const fit_observation *o = &d->a->observations[d->row[j]];
            const double c = o->budget > 0 ? o->budget : d->flops[j];
            if (fabs(c / p->budget - 1) > tolerance)
                continue;
            plot_points(1, &d->n_params[j], &d->loss[j], colour, PLOT_DOT);
            lo = fmin(lo, d->n_params[j]);
            hi = fmax(hi, d->n_params[j]);
        }
        if (!(hi > lo))
            continue;
        double xs[CURVE_POINTS], ys[CURVE_POINTS];
        plot_spaced(lo / 1.2, hi * 1.2, PLOT_LOG, CURVE_POINTS, xs);
        for (int j = 0; j < CURVE_POINTS; j++) {
            const double u = log(xs[j]);
            ys[j] = p->c0 + p->c1 * u + p->c2 * u * u;
        }
        plot_line(CURVE_POINTS, xs, ys, colour, 1.5, 1);
        plot_points(1, &p->n_opt, &p->loss_min, PLOT_INK, PLOT_DIAMOND);
        if (shown < 7) {
            snprintf(texts[shown], sizeof texts[shown], "C = %.3g", p->budget);
            keys[k++] = (plot_key){texts[shown], colour, PLOT_KEY_POINT, PLOT_DOT};
            shown++;
        }
    }
    keys[k++] = (plot_key){"minimum", PLOT_INK, PLOT_KEY_POINT, PLOT_DIAMOND};
    plot_legend(k, keys, 0);

    /* N_opt(C) and D_opt(C) with the fitted laws */
    double c[REPORT_MAX_VALUES], n_opt[REPORT_MAX_VALUES], d_opt[REPORT_MAX_VALUES];
    int m = 0;
    for (int i = 0; i < r->n_profiles && m < REPORT_MAX_VALUES; i++)
        if (r->profiles[i].status == FIT_OK) {
            c[m] = r->profiles[i].budget;
            n_opt[m] = r->profiles[i].n_opt;
            d_opt[m++] = r->profiles[i].d_opt;
        }
    plot_axis cx = plot_axis_of(c, m, PLOT_LOG, "C (FLOP)");
    cx.lo /= 3;
    cx.hi *= 3;
    plot_axis cy = plot_axis_of(n_opt, m, PLOT_LOG, "N#dopt#u and D#dopt#u");
    plot_axis_include(&cy, d_opt, m);
    cy.hi *= 4; /* room above D_opt for the legend */
    cy = plot_axis_of((double[]){cy.lo, cy.hi}, 2, PLOT_LOG, cy.label);
    plot_panel(&cx, &cy, "Compute-optimal N and D");
    plot_points(m, c, n_opt, PLOT_LAW, PLOT_DIAMOND);
    plot_points(m, c, d_opt, PLOT_LAW2, PLOT_DIAMOND);
    plot_key keys2[2];
    char na[160], da[160];
    int k2 = 0;
    if (law_ok(d, FIT_LAW_ISOFLOP)) {
        const fit_law *law = law_of(d, FIT_LAW_ISOFLOP);
        double q[FIT_MAX_QUANTITIES], xs[CURVE_POINTS], ys[CURVE_POINTS], lo[CURVE_POINTS],
            hi[CURVE_POINTS];
        values_of(law, q);
        plot_spaced(cx.lo, cx.hi, PLOT_LOG, CURVE_POINTS, xs);
        for (int output = 0; output < 2; output++) {
            int banded = 0;
            for (int j = 0; j < CURVE_POINTS; j++) {
                ys[j] = fit_law_value(FIT_LAW_ISOFLOP, output, q, xs[j], 0);
                banded |=
                    fit_law_band(d->fit, FIT_LAW_ISOFLOP, output, xs[j], 0, &lo[j], &hi[j]) == 0;
            }
            if (banded)
                plot_band(CURVE_POINTS, xs, lo, hi, output ? PLOT_BAND2 : PLOT_BAND);
            plot_line(CURVE_POINTS, xs, ys, output ? PLOT_LAW2 : PLOT_LAW, 2, 1);
        }
        char a[96], b[96];
        quantity_text(law, 0, "a", a, sizeof a);
        quantity_text(law, 2, "b", b, sizeof b);
        snprintf(na, sizeof na, "N_opt ∝ C^a: %s", a);
        snprintf(da, sizeof da, "D_opt ∝ C^b: %s", b);
    } else {
        snprintf(na, sizeof na, "N_opt (no law fitted)");
        snprintf(da, sizeof da, "D_opt (no law fitted)");
    }
    keys2[k2++] = (plot_key){na, PLOT_LAW, PLOT_KEY_LINE, NULL};
    keys2[k2++] = (plot_key){da, PLOT_LAW2, PLOT_KEY_LINE, NULL};
    plot_legend(k2, keys2, 0);
}

/* ---- (4) Chinchilla's L(N, D) as contours in (C, N), the efficient frontier, the runs ---- */

static const char *check_contours(report_data *d, char *why, size_t size)
{
    return law_missing(d, FIT_LAW_CHINCHILLA, "Chinchilla's L(N, D) was not fitted", why, size);
}

static void draw_contours(void *arg)
{
    report_data *d = arg;
    plot_axis ax = plot_axis_of(d->flops, d->n, PLOT_LOG, "C = 6ND (FLOP)");
    ax.lo /= 10;
    ax.hi *= 10;
    plot_axis ay = plot_axis_of(d->n_params, d->n, PLOT_LOG, "N (parameters)");
    ay.lo /= 10;
    ay.hi *= 10;
    plot_panel(&ax, &ay, "Chinchilla's L(N, D) in (C, N): contours of the loss");
    const fit_law *law = law_of(d, FIT_LAW_CHINCHILLA);
    double q[FIT_MAX_QUANTITIES];
    values_of(law, q);
    enum { GRID = 60 };
    double cs[GRID], ns[GRID], values[GRID * GRID];
    plot_spaced(ax.lo, ax.hi, PLOT_LOG, GRID, cs);
    plot_spaced(ay.lo, ay.hi, PLOT_LOG, GRID, ns);
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < GRID; i++)
        for (int j = 0; j < GRID; j++) {
            const double v = fit_law_value(FIT_LAW_CHINCHILLA, 0, q, ns[j], cs[i] / (6 * ns[j]));
            values[i * GRID + j] = v;
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
    /* levels evenly spaced in ln L from the lowest loss on the grid to the highest run's */
    double top = 0;
    for (int64_t i = 0; i < d->n; i++)
        top = fmax(top, d->loss[i]);
    top = fmin(hi, top * 1.1);
    double levels[12];
    const int n_levels = 12;
    for (int k = 0; k < n_levels; k++)
        levels[k] = exp(log(lo) + (log(top) - log(lo)) * (k + 0.5) / n_levels);
    plot_contours(GRID, cs, GRID, ns, values, levels, n_levels, PLOT_LAW2);
    /* the efficient frontier and the runs */
    plot_key keys[4];
    int k = 0;
    char frontier[200];
    if (law_ok(d, FIT_ALLOCATION)) {
        const fit_law *split = law_of(d, FIT_ALLOCATION);
        double s[FIT_MAX_QUANTITIES], lo_b[CURVE_POINTS], hi_b[CURVE_POINTS], ys[CURVE_POINTS];
        values_of(split, s);
        int banded = 0;
        for (int i = 0; i < CURVE_POINTS && i < GRID; i++) {
            ys[i] = fit_law_value(FIT_ALLOCATION, 0, s, cs[i], 0);
            banded |= fit_law_band(d->fit, FIT_ALLOCATION, 0, cs[i], 0, &lo_b[i], &hi_b[i]) == 0;
        }
        if (banded)
            plot_band(GRID, cs, lo_b, hi_b, PLOT_BAND);
        plot_line(GRID, cs, ys, PLOT_LAW, 2.5, 1);
        char a[96];
        quantity_text(split, 1, "a", a, sizeof a);
        snprintf(frontier, sizeof frontier, "  %s", a);
        keys[k++] = (plot_key){"efficient frontier N_opt ∝ C^a", PLOT_LAW, PLOT_KEY_LINE, NULL};
        keys[k++] = (plot_key){frontier, PLOT_LAW, PLOT_KEY_TEXT, NULL};
    }
    plot_points(d->n, d->flops, d->n_params, PLOT_INK, PLOT_DOT);
    keys[k++] = (plot_key){"runs", PLOT_INK, PLOT_KEY_POINT, PLOT_DOT};
    keys[k++] = (plot_key){"contours of L (nats/token)", PLOT_LAW2, PLOT_KEY_LINE, NULL};
    plot_legend(k, keys, 0);
}

/* ---- (5) residuals of the joint fits against N and D ---- */

static const fit_law_id joint_laws[] = {FIT_LAW_KAPLAN, FIT_LAW_CHINCHILLA};

static const char *check_residuals(report_data *d, char *why, size_t size)
{
    d->rows = 0;
    for (int i = 0; i < 2; i++)
        d->rows += law_ok(d, joint_laws[i]) && law_of(d, joint_laws[i])->n_points > 0;
    if (d->rows == 0) {
        message_format(why, size, "neither joint law was fitted: %s",
                       law_of(d, FIT_LAW_KAPLAN)->message);
        return why;
    }
    return NULL;
}

static void draw_residuals(void *arg)
{
    report_data *d = arg;
    for (int i = 0; i < 2; i++) {
        const fit_law *law = law_of(d, joint_laws[i]);
        if (law->status != FIT_OK || law->n_points == 0)
            continue;
        const int64_t n = law->n_points;
        double r[n], lo = 0, hi = 0;
        for (int64_t j = 0; j < n; j++) {
            r[j] = 100 * log(law->y[j] / law->predicted[j]);
            lo = fmin(lo, r[j]);
            hi = fmax(hi, r[j]);
        }
        for (int column = 0; column < 2; column++) {
            const double *x = column == 0 ? law->x : law->x2;
            plot_axis ax =
                plot_axis_of(x, n, PLOT_LOG, column == 0 ? "N (parameters)" : "D (tokens)");
            plot_axis ay =
                plot_axis_of((double[]){lo, hi}, 2, PLOT_LINEAR, "100 ln(L / L#dfit#u) (%)");
            char title[160];
            snprintf(title, sizeof title, "%s: residuals against %s (rms %.2g%%)",
                     i == 0 ? "Kaplan" : "Chinchilla", column == 0 ? "N" : "D",
                     100 * law->rms_log_residual);
            plot_panel(&ax, &ay, title);
            plot_line(2, (double[]){ax.lo, ax.hi}, (double[]){0, 0}, PLOT_GREY, 1, 2);
            for (int64_t j = 0; j < n; j++) {
                const int colour = column == 0
                                       ? report_value_colour(law->x2[j], d->values_d, d->n_values_d)
                                       : report_value_colour(law->x[j], d->values_n, d->n_values_n);
                plot_points(1, &x[j], &r[j], colour, PLOT_DOT);
            }
        }
    }
}

/* ---- (6) the seed spread per configuration ---- */

static const char *check_seeds(report_data *d, char *why, size_t size)
{
    if (d->fit->n_seed_groups == 0) {
        message_format(why, size, "no configuration was run with two or more seeds");
        return why;
    }
    return NULL;
}

static void draw_seeds(void *arg)
{
    report_data *d = arg;
    const fit_report *r = d->fit;
    const int n = r->n_seed_groups;
    double x[n], y[n];
    for (int i = 0; i < n; i++) {
        x[i] = r->seed_groups[i].n_params;
        y[i] = 100 * r->seed_groups[i].sd / r->seed_groups[i].mean;
    }
    plot_axis ax = plot_axis_of(x, n, PLOT_LOG, "N (parameters)");
    plot_axis ay =
        plot_axis_of((double[]){0, y[0]}, 2, PLOT_LINEAR, "seed spread: sd / mean of L (%)");
    plot_axis_include(&ay, y, n);
    ay.hi *= 1.1;
    ay.lo = 0;
    plot_panel(&ax, &ay, "The seed spread of each configuration");
    plot_key keys[10];
    char eps[120], texts[8][48];
    int k = 0;
    if (law_ok(d, FIT_SEEDS)) {
        const fit_law *law = law_of(d, FIT_SEEDS);
        const fit_quantity *e = &law->quantity[0];
        if (isfinite(e->lower) && isfinite(e->upper))
            plot_band(2, (double[]){ax.lo, ax.hi}, (double[]){100 * e->lower, 100 * e->lower},
                      (double[]){100 * e->upper, 100 * e->upper}, PLOT_BAND);
        plot_line(2, (double[]){ax.lo, ax.hi}, (double[]){100 * e->value, 100 * e->value}, PLOT_LAW,
                  2, 1);
        if (isfinite(e->lower) && isfinite(e->upper))
            snprintf(eps, sizeof eps, "#ge (pooled) = %.2g%% [%.2g, %.2g]", 100 * e->value,
                     100 * e->lower, 100 * e->upper);
        else
            snprintf(eps, sizeof eps, "#ge (pooled) = %.2g%%", 100 * e->value);
        keys[k++] = (plot_key){eps, PLOT_LAW, PLOT_KEY_LINE, NULL};
    }
    for (int i = 0; i < n; i++)
        plot_points(1, &x[i], &y[i],
                    report_value_colour(r->seed_groups[i].tokens, d->values_d, d->n_values_d),
                    PLOT_DOT);
    k += value_keys(d->values_d, d->n_values_d, "D", keys + k, texts);
    plot_legend(k, keys, 0);
}

/* ---- (7) the overfitting bound with the runs ---- */

static const char *check_overfitting(report_data *d, char *why, size_t size)
{
    return law_missing(d, FIT_OVERFITTING, "the overfitting bound was not found", why, size);
}

static void draw_overfitting(void *arg)
{
    report_data *d = arg;
    const fit_law *law = law_of(d, FIT_OVERFITTING);
    double q[FIT_MAX_QUANTITIES];
    values_of(law, q);
    plot_axis ax = plot_axis_of(d->n_params, d->n, PLOT_LOG, "N (parameters)");
    ax.lo /= 3;
    ax.hi *= 3;
    double xs[CURVE_POINTS], ys[CURVE_POINTS], lo[CURVE_POINTS], hi[CURVE_POINTS];
    const int banded = law_curve(d, FIT_OVERFITTING, &ax, xs, ys, lo, hi);
    plot_axis ay = plot_axis_of(d->tokens, d->n, PLOT_LOG, "D (tokens)");
    plot_axis_include(&ay, ys, CURVE_POINTS);
    plot_panel(&ax, &ay, "The overfitting bound: D#dmin#u(N), and the runs");
    if (banded)
        plot_band(CURVE_POINTS, xs, lo, hi, PLOT_BAND);
    plot_line(CURVE_POINTS, xs, ys, PLOT_LAW, 2, 1);
    int above = 0, below = 0;
    for (int64_t i = 0; i < d->n; i++) {
        const int ok = d->tokens[i] >= fit_law_value(FIT_OVERFITTING, 0, q, d->n_params[i], 0);
        plot_points(1, &d->n_params[i], &d->tokens[i], ok ? PLOT_LAW2 : PLOT_INK,
                    ok ? PLOT_DOT : PLOT_CROSS);
        above += ok;
        below += !ok;
    }
    char bound[240], a[96], b[32], text_above[64], text_below[64];
    quantity_text(law, 1, "p", a, sizeof a);
    snprintf(b, sizeof b, "%.3g", q[0]);
    snprintf(bound, sizeof bound, "D_min = %s N^p", b);
    snprintf(text_above, sizeof text_above, "runs with D ≥ D_min (%d)", above);
    snprintf(text_below, sizeof text_below, "runs below the bound (%d)", below);
    char p_text[120];
    snprintf(p_text, sizeof p_text, "  %s", a);
    plot_key keys[4] = {{bound, PLOT_LAW, PLOT_KEY_LINE, NULL},
                        {p_text, PLOT_LAW, PLOT_KEY_TEXT, NULL},
                        {text_above, PLOT_LAW2, PLOT_KEY_POINT, PLOT_DOT},
                        {text_below, PLOT_INK, PLOT_KEY_POINT, PLOT_CROSS}};
    plot_legend(4, keys, 0);
}

/* ---- the table ---- */

/* ---- (8) the transfer law: each source's loss against the runs' own ---- */

static const char *check_transfer(report_data *d, char *why, size_t size)
{
    (void)why, (void)size;
    if (d->a->results.n_sources < 2)
        return "the runs are scored on one source: set [data] sources to score them on several";
    if (d->a->results.selection_source[0])
        return "the report is of one source's loss (--source): the transfer law is the "
               "mixture's";
    int fitted = 0;
    for (int j = 0; j < d->fit->n_transfers; j++)
        fitted += d->fit->transfer[j].fitted;
    return fitted ? NULL : "no source has three runs with two distinct losses";
}

static void draw_transfer(void *arg)
{
    report_data *d = arg;
    const fit_results *r = &d->a->results;
    const int S = r->n_sources < TRAIN_MAX_SOURCES ? r->n_sources : TRAIN_MAX_SOURCES;
    const int64_t n = d->n;
    /* each source's loss of every run (y[j n + i]), by the same rule as the fit's */
    double *y = malloc(sizeof *y * (size_t)(n > 0 ? n : 1) * (size_t)S);
    if (!y)
        return;
    for (int j = 0; j < S; j++)
        for (int64_t i = 0; i < n; i++) {
            const int64_t row = d->row[i];
            const results_source_loss *l = &r->source_losses[row * r->n_sources + j];
            y[j * n + i] = fit_run_uses_best(&r->runs[row]) ? l->best_loss : l->final_loss;
        }
    plot_axis ax = plot_axis_of(d->loss, n, PLOT_LINEAR, "the runs' own test loss (nats/token)");
    plot_axis ay = plot_axis_of(y, n * S, PLOT_LINEAR, "test loss on the source (nats/token)");
    plot_panel(&ax, &ay, "The transfer law: each source's loss against the runs' own");
    plot_line(2, (double[]){ax.lo, ax.hi}, (double[]){ax.lo, ax.hi}, PLOT_GREY, 1, 2);
    /* the sources spread over the palette, in their order; the first ten in the legend */
    double order[TRAIN_MAX_SOURCES];
    for (int j = 0; j < S; j++)
        order[j] = (double)(j + 1);
    plot_key keys[10];
    char texts[10][96];
    int k = 0;
    for (int j = 0; j < S; j++) {
        const int colour = report_value_colour(order[j], order, S);
        plot_points(n, d->loss, y + j * n, colour, PLOT_DOT);
        const fit_transfer *t = &d->fit->transfer[j];
        if (t->fitted)
            plot_line(2, (double[]){ax.lo, ax.hi},
                      (double[]){t->offset + t->slope * ax.lo, t->offset + t->slope * ax.hi},
                      colour, 2, 1);
        if (k == 10)
            continue;
        if (t->fitted)
            snprintf(texts[k], sizeof texts[k], "%s: %.3f L %+.3f", t->source, t->slope, t->offset);
        else
            snprintf(texts[k], sizeof texts[k], "%s (no line)", t->source);
        keys[k] = (plot_key){texts[k], colour, PLOT_KEY_LINE, NULL};
        k++;
    }
    plot_legend(k, keys, 0);
    free(y);
}

/* ---- (9) the learning rate: the loss of each cell against lr, and lr_opt(N) ---- */

static const char *check_lr(report_data *d, char *why, size_t size)
{
    return law_missing(d, FIT_LR_OPT, "lr_opt(N) was not fitted", why, size);
}

static int compare_lr_rows(const void *x, const void *y, void *arg)
{
    const report_data *d = arg;
    const results_run *a = &d->a->results.runs[d->row[*(const int64_t *)x]];
    const results_run *b = &d->a->results.runs[d->row[*(const int64_t *)y]];
    const int cell = strcmp(a->cell_id, b->cell_id);
    if (cell)
        return cell;
    if (a->lr != b->lr)
        return (a->lr > b->lr) - (a->lr < b->lr);
    return strcmp(a->config_id, b->config_id);
}

static void draw_lr(void *arg)
{
    report_data *d = arg;
    const results_run *runs = d->a->results.runs;
    const int64_t n = d->n;
    int64_t *order = malloc(sizeof *order * (size_t)(n > 0 ? n : 1));
    double *lr = malloc(sizeof *lr * (size_t)(n > 0 ? n : 1));
    double *loss = malloc(sizeof *loss * (size_t)(n > 0 ? n : 1));
    if (!order || !lr || !loss) {
        free(order);
        free(lr);
        free(loss);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, (size_t)n, sizeof *order, compare_lr_rows, d);
    for (int64_t i = 0; i < n; i++) {
        lr[i] = runs[d->row[i]].lr;
        loss[i] = d->loss[i];
    }
    /* left: each cell's curve, at each lr the best mean over the configurations with it */
    plot_axis ax = plot_axis_of(lr, n, PLOT_LOG, "peak learning rate");
    plot_axis ay = plot_axis_of(loss, n, PLOT_LINEAR, "test loss, mean over seeds (nats/token)");
    plot_panel(&ax, &ay, "The loss of each cell against lr (coloured by N)");
    double xs[FIT_MAX_QUANTITIES], ys[FIT_MAX_QUANTITIES];
    for (int64_t i = 0; i < n;) {
        const results_run *first = &runs[d->row[order[i]]];
        const int colour = report_value_colour((double)first->n_params, d->values_n, d->n_values_n);
        int m = 0;
        int64_t j = i;
        while (j < n && strcmp(runs[d->row[order[j]]].cell_id, first->cell_id) == 0) {
            /* one lr: the configurations with it, each its mean over seeds, the best of them */
            const float value = runs[d->row[order[j]]].lr;
            double best = INFINITY;
            while (j < n && strcmp(runs[d->row[order[j]]].cell_id, first->cell_id) == 0 &&
                   runs[d->row[order[j]]].lr == value) {
                const char *config = runs[d->row[order[j]]].config_id;
                double sum = 0.0;
                int count = 0;
                while (j < n && strcmp(runs[d->row[order[j]]].cell_id, first->cell_id) == 0 &&
                       runs[d->row[order[j]]].lr == value &&
                       strcmp(runs[d->row[order[j]]].config_id, config) == 0) {
                    sum += d->loss[order[j]];
                    count++;
                    j++;
                }
                best = fmin(best, sum / count);
            }
            if (m < FIT_MAX_QUANTITIES) {
                xs[m] = value;
                ys[m++] = best;
            }
        }
        plot_line(m, xs, ys, colour, 1.5, 1);
        plot_points(m, xs, ys, colour, PLOT_DOT);
        i = j;
    }
    plot_key keys[10];
    char texts[8][48];
    int k = value_keys(d->values_n, d->n_values_n, "N", keys, texts);
    plot_legend(k, keys, 0);

    /* right: the best lr of each cell and the law through them */
    const fit_law *law = law_of(d, FIT_LR_OPT);
    double q[FIT_MAX_QUANTITIES];
    values_of(law, q);
    plot_axis bx = plot_axis_of(law->x, law->n_points, PLOT_LOG, "N (parameters)");
    bx.lo /= 1.5;
    bx.hi *= 1.5;
    plot_axis by = plot_axis_of(law->y, law->n_points, PLOT_LOG, "lr_opt: the vertex in each cell");
    double cx[CURVE_POINTS], cy[CURVE_POINTS], lo[CURVE_POINTS], hi[CURVE_POINTS];
    const int banded = law_curve(d, FIT_LR_OPT, &bx, cx, cy, lo, hi);
    plot_axis_include(&by, cy, CURVE_POINTS);
    plot_panel(&bx, &by, "lr#dopt#u(N) = k N#up#d");
    if (banded)
        plot_band(CURVE_POINTS, cx, lo, hi, PLOT_BAND);
    plot_line(CURVE_POINTS, cx, cy, PLOT_LAW, 2, 1);
    plot_points(law->n_points, law->x, law->y, PLOT_INK, PLOT_DOT);
    char p_text[96], k_text[96];
    quantity_text(law, 1, "p", p_text, sizeof p_text);
    snprintf(k_text, sizeof k_text, "lr_opt = %.3g N^p", q[0]);
    plot_key law_keys[2] = {{k_text, PLOT_LAW, PLOT_KEY_LINE, NULL},
                            {p_text, PLOT_LAW, PLOT_KEY_TEXT, NULL}};
    plot_legend(2, law_keys, 0);
    free(order);
    free(lr);
    free(loss);
}

/* ---- (12) the loss by position in the context ---- */

/* Octaves of token index: index 0, then bin k >= 1 the indexes t in [2^(k-1), 2^k) (1, 2-3,
 * 4-7, ..., 64-127 at n_ctx 128), so that a bin of late positions averages many of them. */
#define POSITION_OCTAVES 13 /* up to index 4095 */

/* The losses by position of the runs of N = n at their largest D, averaged over those runs
 * (seeds) and over each octave's positions: x = the octave's mean index + 1, y its loss.
 * Returns the octaves that have a finite loss. */
static int position_octaves(const report_data *d, double n, double *x, double *y)
{
    double largest = 0.0;
    for (int64_t i = 0; i < d->n; i++)
        if (d->n_params[i] == n && d->tokens[i] > largest)
            largest = d->tokens[i];
    double sum[POSITION_OCTAVES] = {0}, index[POSITION_OCTAVES] = {0};
    int64_t count[POSITION_OCTAVES] = {0};
    for (int64_t i = 0; i < d->n; i++) {
        if (d->n_params[i] != n || d->tokens[i] != largest)
            continue;
        const results_run *run = &d->a->results.runs[d->row[i]];
        const int64_t n_ctx = run->n_ctx;
        for (int b = 0; b < RESULTS_POSITIONS; b++) {
            const double loss = run->position_loss[b];
            if (!isfinite(loss))
                continue;
            /* the bin's first token index (bins are equal past RESULTS_POSITIONS) */
            const int64_t t =
                n_ctx <= RESULTS_POSITIONS ? b : (int64_t)b * n_ctx / RESULTS_POSITIONS;
            int k = 0;
            while (k + 1 < POSITION_OCTAVES && t >= (1 << k))
                k++;
            sum[k] += loss;
            index[k] += (double)(t + 1);
            count[k]++;
        }
    }
    int m = 0;
    for (int k = 0; k < POSITION_OCTAVES; k++)
        if (count[k] > 0) {
            x[m] = index[k] / (double)count[k];
            y[m++] = sum[k] / (double)count[k];
        }
    return m;
}

static const char *check_positions(report_data *d, char *why, size_t size)
{
    for (int64_t i = 0; i < d->n; i++)
        if (isfinite(d->a->results.runs[d->row[i]].position_loss[0]))
            return NULL;
    message_format(why, size,
                   "no run has losses by position (/position_losses, from results schema 8 "
                   "on; the synthetic trainer has none)");
    return why;
}

static void draw_positions(void *arg)
{
    report_data *d = arg;
    double x[REPORT_MAX_VALUES][POSITION_OCTAVES], y[REPORT_MAX_VALUES][POSITION_OCTAVES];
    int m[REPORT_MAX_VALUES];
    double all_x[REPORT_MAX_VALUES * POSITION_OCTAVES], all_y[REPORT_MAX_VALUES * POSITION_OCTAVES];
    long total = 0;
    for (int v = 0; v < d->n_values_n; v++) {
        m[v] = position_octaves(d, d->values_n[v], x[v], y[v]);
        memcpy(all_x + total, x[v], sizeof(double) * (size_t)m[v]);
        memcpy(all_y + total, y[v], sizeof(double) * (size_t)m[v]);
        total += m[v];
    }
    plot_axis ax = plot_axis_of(all_x, total, PLOT_LOG, "token index in the context + 1");
    plot_axis ay = plot_axis_of(all_y, total, PLOT_LOG, "test loss at that index (nats/token)");
    plot_panel(&ax, &ay, "The loss by position in the context, largest D of each N");
    for (int v = 0; v < d->n_values_n; v++) {
        const int colour = report_value_colour(d->values_n[v], d->values_n, d->n_values_n);
        plot_line(m[v], x[v], y[v], colour, 1.5, 1);
        plot_points(m[v], x[v], y[v], colour, PLOT_DOT);
    }
    plot_key keys[8];
    char texts[8][48];
    const int k = value_keys(d->values_n, d->n_values_n, "N", keys, texts);
    plot_legend(k, keys, 1);
}

/* ---- (13) depth against width at equal N ---- */

static const char *check_shape(report_data *d, char *why, size_t size)
{
    return law_missing(d, FIT_SHAPE, "depth against width was not measured", why, size);
}

static void draw_shape(void *arg)
{
    report_data *d = arg;
    const fit_law *law = law_of(d, FIT_SHAPE);
    const double epsilon = law->quantity[3].value;
    plot_axis ax = plot_axis_of(law->x, law->n_points, PLOT_LOG, "aspect ratio d_model / n_layer");
    ax.lo /= 1.3;
    ax.hi *= 1.3;
    plot_axis ay = plot_axis_of(law->y, law->n_points, PLOT_LINEAR, "L / L(N) at its N");
    if (isfinite(epsilon))
        plot_axis_include(&ay, (double[]){1 - 2 * epsilon, 1 + 2 * epsilon}, 2);
    plot_panel(&ax, &ay, "Depth against width at equal N and D");
    plot_key keys[10];
    char eps[96], texts[8][48];
    int k = 0;
    if (isfinite(epsilon)) {
        plot_band(2, (double[]){ax.lo, ax.hi}, (double[]){1 - epsilon, 1 - epsilon},
                  (double[]){1 + epsilon, 1 + epsilon}, PLOT_BAND);
        snprintf(eps, sizeof eps, "1 ± #ge, the seed spread %.2g%%", 100 * epsilon);
        keys[k++] = (plot_key){eps, PLOT_BAND, PLOT_KEY_BAND, NULL};
    }
    plot_line(2, (double[]){ax.lo, ax.hi}, (double[]){1, 1}, PLOT_GREY, 1, 2);
    /* the groups of equal N (x2: each group's N), each a line through its shapes by aspect */
    double groups[REPORT_MAX_VALUES];
    int n_groups = 0;
    for (int64_t i = 0; i < law->n_points; i++) {
        int seen = 0;
        for (int g = 0; g < n_groups && !seen; g++)
            seen = groups[g] == law->x2[i];
        if (!seen && n_groups < REPORT_MAX_VALUES)
            groups[n_groups++] = law->x2[i];
    }
    qsort(groups, (size_t)n_groups, sizeof *groups, report_compare_double);
    for (int g = 0; g < n_groups; g++) {
        double gx[law->n_points], gy[law->n_points];
        int m = 0;
        for (int64_t i = 0; i < law->n_points; i++)
            if (law->x2[i] == groups[g])
                gx[m++] = law->x[i];
        qsort(gx, (size_t)m, sizeof *gx, report_compare_double);
        for (int j = 0; j < m; j++)
            for (int64_t i = 0; i < law->n_points; i++)
                if (law->x2[i] == groups[g] && law->x[i] == gx[j])
                    gy[j] = law->y[i];
        const int colour = report_value_colour(groups[g], groups, n_groups);
        plot_line(m, gx, gy, colour, 1.5, 1);
        plot_points(m, gx, gy, colour, PLOT_DOT);
    }
    k += value_keys(groups, n_groups, "N", keys + k, texts);
    plot_legend(k, keys, 0);
}

const report_figure report_figures[] = {
    {"loss_n",
     "The test loss against N, the points coloured by D; L(N) fitted to the largest-D run of each "
     "N (ringed), with its bootstrap band.",
     1, 1, check_loss_n, draw_loss_n},
    {"loss_d",
     "The test loss against D, the points coloured by N; L(D) fitted to the best N at each D "
     "(ringed), with its bootstrap band.",
     1, 1, check_loss_d, draw_loss_d},
    {"loss_c",
     "The test loss against compute C = 6ND, the points coloured by N; L(C) fitted to the frontier "
     "of the training curves, with its bootstrap band.",
     1, 1, check_loss_c, draw_loss_c},
    {"curves",
     "Every training curve against the compute spent so far, coloured by N, and the L(C) frontier "
     "(Kaplan et al. 2020, Figure 1; Hoffmann et al. 2022, Figure 2 left).",
     1, 1, check_curves, draw_curves},
    {"isoflop",
     "IsoFLOP profiles: at each compute budget the loss against N with its fitted parabola and "
     "minimum, and N<sub>opt</sub>(C), D<sub>opt</sub>(C) with their bands (Hoffmann et al. 2022, "
     "Figure 3).",
     2, 1, check_isoflop, draw_isoflop},
    {"contours",
     "Chinchilla's L(N, D) as contours in (C, N) with the efficient frontier and the runs "
     "(Hoffmann et al. 2022, Figure 4).",
     1, 1, check_contours, draw_contours},
    {"residuals",
     "Residuals of each joint fit against N (coloured by D) and D (coloured by N): a pattern, "
     "rather than noise around zero, means the law's form does not fit.",
     2, 0, check_residuals, draw_residuals},
    {"seeds",
     "The seed spread of each configuration run with several seeds, and the pooled spread "
     "&epsilon; that is the noise floor of every comparison.",
     1, 1, check_seeds, draw_seeds},
    {"overfitting",
     "The overfitting bound D<sub>min</sub>(N) from Kaplan's law and &epsilon;, with the runs: "
     "below it, a model is large enough to overfit its data.",
     1, 1, check_overfitting, draw_overfitting},
    {"transfer",
     "The transfer law (Kaplan et al. 2020, Figure 8): each run's held-out loss on each source "
     "against its own (its mixture's), with the straight line fitted to each source; the grey "
     "line is equality.",
     1, 1, check_transfer, draw_transfer},
    {"lr",
     "The learning rate as an axis: left, each cell's mean loss against lr (the best over its "
     "other hyperparameters at each lr), coloured by N; right, each cell's best lr (the vertex of "
     "a parabola in ln lr) and lr<sub>opt</sub>(N) fitted through them, with its band.",
     2, 1, check_lr, draw_lr},
    {"positions",
     "The test loss by position in the context (Kaplan et al. 2020, Figures 7 and 20): at each "
     "N, the runs of its largest D at their last evaluation, averaged over seeds and over "
     "octaves of the token index (0, 1, 2-3, 4-7, ...); a model that uses its context predicts "
     "later tokens better.",
     1, 1, check_positions, draw_positions},
    {"shape",
     "Depth against width (Kaplan et al. 2020, Figure 5): each shape's loss over the fitted L(N) "
     "at its N, against d_model / n_layer, for configurations of equal N (within 5%) and D; the "
     "band is the seed spread &epsilon;, the noise floor.",
     1, 1, check_shape, draw_shape},
};
const int report_figure_count = (int)(sizeof report_figures / sizeof report_figures[0]);
