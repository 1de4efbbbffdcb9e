/* The fit stage against known answers: synthetic data from Chinchilla's and Kaplan's
 * published laws (with noise) give back their parameters; across replicates the 95%
 * bootstrap intervals cover the truth about 95% of the time; the published constants
 * give the published derived figures; degenerate input gives messages, not crashes.
 *
 *   test_fit                          the tests
 *   test_fit --fit-csv FILE [--stride K]   Chinchilla's fit of a CSV, as JSON (for
 *                                     tests/test_fit_reference.sh) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "fit.h"

/* ---- synthetic data ---- */

static uint64_t random_state;

static double uniform(void)
{
    uint64_t z = (random_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    const double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Chinchilla's published fit, and Kaplan's */
static const double chin_e = 1.69, chin_a = 406.4, chin_b = 410.7, chin_alpha = 0.34,
                    chin_beta = 0.28;
static const double kap_alpha_n = 0.076, kap_alpha_d = 0.103, kap_nc = 6.4e13, kap_dc = 1.8e13;

static double chinchilla_law(double n, double d)
{
    return chin_e + chin_a / pow(n, chin_alpha) + chin_b / pow(d, chin_beta);
}

static double kaplan_law(double n, double d)
{
    return pow(pow(kap_nc / n, kap_alpha_n / kap_alpha_d) + kap_dc / d, kap_alpha_d);
}

/* A grid of n_count x d_count configurations, log-spaced, `seeds` runs each, the loss
 * times exp(noise z). Returns a malloc'd array of n_count * d_count * seeds rows. */
static fit_observation *grid(double (*law)(double, double), double n_low, double n_high,
                             int n_count, double d_low, double d_high, int d_count, int seeds,
                             double noise, int64_t *count)
{
    fit_observation *rows = calloc((size_t)(n_count * d_count * seeds), sizeof(*rows));
    int64_t k = 0;
    for (int i = 0; i < n_count; i++)
        for (int j = 0; j < d_count; j++)
            for (int s = 0; s < seeds; s++) {
                fit_observation *o = &rows[k];
                o->n_params = n_low * pow(n_high / n_low, (double)i / (n_count - 1));
                o->tokens = d_low * pow(d_high / d_low, (double)j / (d_count - 1));
                o->loss = law(o->n_params, o->tokens) * exp(noise * normal());
                o->config_id = (uint64_t)(i * 1000 + j);
                o->seed = s;
                o->run_index = k++;
                o->ok = 1;
            }
    *count = k;
    return rows;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const fit_quantity *quantity(const fit_report *r, fit_law_id law, const char *name)
{
    for (int q = 0; q < r->law[law].n_quantities; q++)
        if (strcmp(r->law[law].quantity[q].name, name) == 0)
            return &r->law[law].quantity[q];
    return NULL;
}

static double value(const fit_report *r, fit_law_id law, const char *name)
{
    const fit_quantity *q = quantity(r, law, name);
    return q ? q->value : NAN;
}

/* ---- tests ---- */

static void test_gradient(void)
{
    random_state = 11;
    int64_t n;
    fit_observation *rows = grid(chinchilla_law, 1e7, 1e10, 5, 1e9, 1e12, 6, 1, 0.01, &n);
    double np[64], d[64], loss[64];
    for (int64_t i = 0; i < n; i++) {
        np[i] = rows[i].n_params;
        d[i] = rows[i].tokens;
        loss[i] = rows[i].loss;
    }
    /* (a, b, e, alpha, beta): near the optimum, far from it, and one where the exponents
       exceed +-600 so that the max-shifted form is used */
    const double points[][5] = {{6.0, 6.0, 0.5, 0.34, 0.28},
                                {3.0, 9.0, -0.5, 0.2, 0.4},
                                {700.0, 5.0, 0.5, 1.0, 0.3}};
    for (int k = 0; k < 3; k++) {
        double g[5], worst = 0.0;
        const double f = fit_chinchilla_objective(np, d, loss, n, 1e-3, points[k], g);
        for (int j = 0; j < 5; j++) {
            double up[5], down[5];
            memcpy(up, points[k], sizeof(up));
            memcpy(down, points[k], sizeof(down));
            const double h = 1e-6;
            up[j] += h;
            down[j] -= h;
            const double numeric = (fit_chinchilla_objective(np, d, loss, n, 1e-3, up, NULL) -
                                    fit_chinchilla_objective(np, d, loss, n, 1e-3, down, NULL)) /
                                   (2 * h);
            worst = fmax(worst, fabs(numeric - g[j]) / (1e-8 + 1e-5 * fabs(numeric)));
        }
        check(isfinite(f) && worst <= 1.0,
              "Chinchilla gradient at point %d: worst error %.3g of tolerance", k, worst);
    }
    free(rows);
}

static void test_power_laws(void)
{
    double x[8], y[8], p[2], q[3];
    char message[256];
    for (int i = 0; i < 8; i++) {
        x[i] = 1e5 * pow(10.0, i * 0.5);
        y[i] = pow(8.8e13 / x[i], 0.076);
    }
    fit_status status = fit_power_law(x, y, 8, p, message, sizeof(message));
    check(status == FIT_OK &&
              close_enough(p[0], 0.076, 1e-12, 1e-9) && close_enough(p[1], 8.8e13, 0, 1e-6),
          "pure power law: alpha %.10g N_c %.10g, want 0.076 and 8.8e13", p[0], p[1]);
    for (int i = 0; i < 8; i++)
        y[i] = 1.5 + pow(1e8 / x[i], 0.3);
    status = fit_power_law_e(x, y, 8, q, message, sizeof(message));
    check(status == FIT_OK &&
              close_enough(q[0], 1.5, 1e-6, 0) && close_enough(q[1], 0.3, 1e-6, 0) &&
              close_enough(q[2], 1e8, 0, 1e-4),
          "power law with E: E %.8g alpha %.8g x_c %.8g, want 1.5, 0.3, 1e8 (%s)", q[0], q[1],
          q[2], message);
}

/* 8 x 8 configurations over three decades of N and D, noise 0.5%: the fit recovers
 * Chinchilla's constants. Tolerances from the spread of the estimates over seeds of
 * this design (alpha, beta about +-0.01, E +-0.02, A and B within 25%). */
static void test_chinchilla_recovery(void)
{
    random_state = 2022;
    int64_t n;
    fit_observation *rows = grid(chinchilla_law, 1e7, 1e10, 8, 1e9, 1e12, 8, 1, 0.005, &n);
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.laws = 1u << FIT_LAW_CHINCHILLA | 1u << FIT_ALLOCATION;
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    const double start = seconds_now();
    check(fit_run(&input, &options, &r) == 0, "fit_run: %s", r.message);
    const double seconds = seconds_now() - start;
    const double e = value(&r, FIT_LAW_CHINCHILLA, "E"), a = value(&r, FIT_LAW_CHINCHILLA, "A");
    const double b = value(&r, FIT_LAW_CHINCHILLA, "B");
    const double alpha = value(&r, FIT_LAW_CHINCHILLA, "alpha");
    const double beta = value(&r, FIT_LAW_CHINCHILLA, "beta");
    printf("chinchilla recovery (64 points, 0.5%% noise, %.2f s): E %.4f A %.1f B %.1f alpha "
           "%.4f beta %.4f\n",
           seconds, e, a, b, alpha, beta);
    check(r.law[FIT_LAW_CHINCHILLA].status == FIT_OK, "Chinchilla fit: %s",
          r.law[FIT_LAW_CHINCHILLA].message);
    check(close_enough(e, chin_e, 0.04, 0), "E %.4f, want %.2f +- 0.04", e, chin_e);
    check(close_enough(alpha, chin_alpha, 0.02, 0), "alpha %.4f, want %.2f +- 0.02", alpha,
          chin_alpha);
    check(close_enough(beta, chin_beta, 0.02, 0), "beta %.4f, want %.2f +- 0.02", beta, chin_beta);
    check(fabs(log(a / chin_a)) < log(1.6), "A %.1f, want %.1f within a factor 1.6", a, chin_a);
    check(fabs(log(b / chin_b)) < log(1.6), "B %.1f, want %.1f within a factor 1.6", b, chin_b);
    check(r.law[FIT_LAW_CHINCHILLA].candidates_at_best >= 1, "no polished candidate at the best");
    fit_report_free(&r);
    free(rows);
}

/* Kaplan's joint law, 8 x 8 over three decades, noise 0.5%. */
static void test_kaplan_recovery(void)
{
    random_state = 2020;
    int64_t n;
    fit_observation *rows = grid(kaplan_law, 1e6, 1e9, 8, 1e8, 1e11, 8, 1, 0.005, &n);
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.laws = 1u << FIT_LAW_KAPLAN;
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "fit_run: %s", r.message);
    const double alpha_n = value(&r, FIT_LAW_KAPLAN, "alpha_N");
    const double alpha_d = value(&r, FIT_LAW_KAPLAN, "alpha_D");
    const double nc = value(&r, FIT_LAW_KAPLAN, "N_c"), dc = value(&r, FIT_LAW_KAPLAN, "D_c");
    printf("kaplan recovery (64 points, 0.5%% noise): alpha_N %.4f alpha_D %.4f N_c %.3g D_c "
           "%.3g\n",
           alpha_n, alpha_d, nc, dc);
    check(r.law[FIT_LAW_KAPLAN].status == FIT_OK, "Kaplan fit: %s", r.law[FIT_LAW_KAPLAN].message);
    check(close_enough(alpha_n, kap_alpha_n, 0.005, 0), "alpha_N %.4f, want %.3f +- 0.005",
          alpha_n, kap_alpha_n);
    check(close_enough(alpha_d, kap_alpha_d, 0.005, 0), "alpha_D %.4f, want %.3f +- 0.005",
          alpha_d, kap_alpha_d);
    check(fabs(log(nc / kap_nc)) < log(3.0), "N_c %.3g, want %.2g within a factor 3", nc, kap_nc);
    check(fabs(log(dc / kap_dc)) < log(3.0), "D_c %.3g, want %.2g within a factor 3", dc, kap_dc);
    fit_report_free(&r);
    free(rows);
}

static void test_published(void)
{
    double k, p;
    fit_overfitting_bound(kap_alpha_n, kap_alpha_d, kap_nc, kap_dc, 0.02, &k, &p);
    printf("Kaplan's constants, epsilon 0.02: D >~ %.4g N^%.4f (SCIENCE.md: 5e3 N^0.74)\n", k, p);
    check(close_enough(p, 0.74, 0.01, 0), "overfitting exponent %.4f, want 0.74 +- 0.01", p);
    check(k > 5e3 / 1.5 && k < 5e3 * 1.5, "overfitting constant %.4g, want 5e3 within 1.5x", k);

    double g, a, b;
    fit_chinchilla_allocation(chin_a, chin_b, chin_alpha, chin_beta, &g, &a, &b);
    printf("Chinchilla's constants: a = %.4f, b = %.4f, G = %.4g (paper: a = 0.46, b = 0.54)\n",
           a, b, g);
    check(close_enough(a, 0.46, 0.01, 0) && close_enough(b, 0.54, 0.01, 0),
          "allocation exponents a %.4f b %.4f, want 0.46 and 0.54 +- 0.01", a, b);

    /* Kaplan section 6.3: L(C_min) = (3.1e8 PF-days / C)^0.050, D(C) = 2e10 C^0.26 tokens
       with C in PF-days, L(D) = (5.4e13 / D)^0.095: C* ~ 1e4 PF-days, L* ~ 1.7 */
    double c_star, d_star, l_star;
    char message[256];
    fit_status s = fit_contradiction(0.050, 3.1e8, 0.095, 5.4e13, 2e10, 0.26, &c_star, &d_star,
                                     &l_star, message, sizeof(message));
    printf("Kaplan's contradiction from their constants: C* %.3g PF-days, D* %.3g, N* %.3g, "
           "L* %.3f\n",
           c_star, d_star, c_star * 8.64e19 / (6 * d_star), l_star);
    check(s == FIT_OK && c_star > 3e3 && c_star < 3e4 && close_enough(l_star, 1.7, 0.05, 0),
          "contradiction C* %.3g PF-days L* %.3f, want ~1e4 and ~1.7", c_star, l_star);
    s = fit_contradiction(0.02, 3.1e8, 0.095, 5.4e13, 2e10, 0.26, &c_star, &d_star, &l_star,
                          message, sizeof(message));
    check(s == FIT_SKIPPED && strstr(message, "do not cross"),
          "a shallow L(C) must not cross: %s", message);
}

static void test_parabola_and_isoflop(void)
{
    double x[7], y[7], c[3];
    char message[256];
    for (int i = 0; i < 7; i++) {
        x[i] = log(1e8) + (i - 3) * 0.4;
        y[i] = 2.0 + 0.1 * (x[i] - log(1e8)) * (x[i] - log(1e8));
    }
    fit_status status = fit_parabola(x, y, 7, c, message, sizeof(message));
    check(status == FIT_OK &&
              close_enough(exp(-c[1] / (2 * c[2])), 1e8, 0, 1e-9),
          "parabola vertex %.10g, want 1e8", exp(-c[1] / (2 * c[2])));

    /* an IsoFLOP design on Chinchilla's law without noise: 7 budgets, 9 model sizes
       evenly in ln N around each budget's optimum */
    fit_observation rows[63];
    double g, a, b;
    fit_chinchilla_allocation(chin_a, chin_b, chin_alpha, chin_beta, &g, &a, &b);
    int k = 0;
    for (int j = 0; j < 7; j++) {
        const double budget = 1e18 * pow(10.0, j * 0.5);
        const double centre = g * pow(budget / 6, a);
        for (int i = 0; i < 9; i++) {
            fit_observation *o = &rows[k];
            memset(o, 0, sizeof(*o));
            o->n_params = centre * exp((i - 4) * 0.35);
            o->tokens = budget / (6 * o->n_params);
            o->budget = budget;
            o->loss = chinchilla_law(o->n_params, o->tokens);
            o->config_id = (uint64_t)k;
            o->run_index = k++;
            o->ok = 1;
        }
    }
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.laws = 1u << FIT_LAW_ISOFLOP;
    fit_input input = {rows, k, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "fit_run: %s", r.message);
    const double iso_a = value(&r, FIT_LAW_ISOFLOP, "a"), iso_b = value(&r, FIT_LAW_ISOFLOP, "b");
    printf("IsoFLOP on the exact law: a %.4f b %.4f (parametric %.4f %.4f), %d profiles\n", iso_a,
           iso_b, a, b, r.n_profiles);
    check(r.law[FIT_LAW_ISOFLOP].status == FIT_OK && r.n_profiles == 7,
          "IsoFLOP: %s, %d profiles", r.law[FIT_LAW_ISOFLOP].message, r.n_profiles);
    check(close_enough(iso_a, a, 0.01, 0) && close_enough(iso_b, b, 0.01, 0),
          "IsoFLOP exponents %.4f %.4f, want %.4f %.4f +- 0.01", iso_a, iso_b, a, b);
    double worst = 0.0;
    for (int p = 0; p < r.n_profiles; p++)
        worst = fmax(worst, fabs(log(r.profiles[p].n_opt / (g * pow(r.profiles[p].budget / 6, a)))));
    check(worst < log(1.05), "IsoFLOP minima within 5%% of the true N_opt (worst %.3g%%)",
          100 * (exp(worst) - 1));
    fit_report_free(&r);
}

static void test_inference(void)
{
    double out[2], plain[2], g, a, b;
    char message[256];
    const double target = 2.2;
    check(fit_inference_optimal(chin_e, chin_a, chin_b, chin_alpha, chin_beta, target, 0.0, plain,
                                message, sizeof(message)) == FIT_OK,
          "inference-aware without inference: %s", message);
    /* without inference the cheapest way to a loss is the compute-optimal point */
    fit_chinchilla_allocation(chin_a, chin_b, chin_alpha, chin_beta, &g, &a, &b);
    const double c = 6 * plain[0] * plain[1];
    check(close_enough(plain[0], g * pow(c / 6, a), 0, 1e-5),
          "D_inference = 0: N %.6g, compute-optimal %.6g", plain[0], g * pow(c / 6, a));
    check(fit_inference_optimal(chin_e, chin_a, chin_b, chin_alpha, chin_beta, target, 1e13, out,
                                message, sizeof(message)) == FIT_OK,
          "inference-aware: %s", message);
    check(out[0] < plain[0] && out[1] > plain[1] &&
              close_enough(chinchilla_law(out[0], out[1]), target, 1e-9, 0),
          "with inference: N %.4g (< %.4g), D %.4g (> %.4g), L %.10g (= %.2f)", out[0], plain[0],
          out[1], plain[1], chinchilla_law(out[0], out[1]), target);
    check(fit_inference_optimal(chin_e, chin_a, chin_b, chin_alpha, chin_beta, 1.5, 1e13, out,
                                message, sizeof(message)) == FIT_DEGENERATE &&
              strstr(message, "irreducible"),
          "a target below E: %s", message);
}

/* Configurations with 4 seeds and a relative seed spread of 2%: epsilon comes back, and
 * the overfitting bound uses it. */
static void test_seeds(void)
{
    random_state = 5;
    int64_t n;
    fit_observation *rows = grid(kaplan_law, 1e6, 1e8, 4, 1e8, 1e10, 4, 4, 0.02, &n);
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.laws = 1u << FIT_SEEDS | 1u << FIT_LAW_KAPLAN | 1u << FIT_OVERFITTING;
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "fit_run: %s", r.message);
    const double epsilon = value(&r, FIT_SEEDS, "epsilon");
    printf("seeds: epsilon %.4f (true 0.02) from %d configurations; bound %s\n", epsilon,
           r.n_seed_groups, r.law[FIT_OVERFITTING].message);
    check(r.n_seed_groups == 16 && close_enough(epsilon, 0.02, 0.004, 0),
          "epsilon %.4f from %d groups, want 0.02 +- 0.004 from 16", epsilon, r.n_seed_groups);
    check(r.law[FIT_OVERFITTING].status == FIT_OK &&
              close_enough(value(&r, FIT_OVERFITTING, "epsilon"), epsilon, 0, 1e-12),
          "overfitting bound with the measured epsilon: %s", r.law[FIT_OVERFITTING].message);
    fit_report_free(&r);
    free(rows);
}

/* The envelope: of each cell it takes the configuration of lowest mean loss over its seeds,
 * but not one that lost a seed (the survivor would flatter it); the optimum law goes through
 * each cell's vertex, and a cell whose best is at an end of the axis is left out. */
static void test_envelope(void)
{
    /* 4 cells (N = 1e6 .. 8e6), 3 lrs each, 2 seeds; the loss is 2 + ln^2(lr / lr_opt(N)),
       lr_opt = 0.1 N^-0.25; cell 0 has a 4th configuration, lr = 0.02 N-optimal but with one
       seed diverged and the other lucky (loss 1.0) */
    fit_observation rows[4 * 3 * 2 + 2];
    int64_t n = 0;
    for (int c = 0; c < 4; c++) {
        const double N = 1e6 * pow(2.0, c), optimum = 0.1 * pow(N, -0.25);
        for (int k = -1; k <= 1; k++) {
            const double lr = optimum * exp(0.5 * k + 0.1); /* the vertex off the grid */
            for (int seed = 0; seed < 2; seed++) {
                const double x = log(lr / optimum);
                rows[n] = (fit_observation){.n_params = N,
                                            .tokens = 1e8,
                                            .loss = 2.0 + x * x + 1e-4 * seed,
                                            .config_id = (uint64_t)(100 * c + k + 10),
                                            .cell_id = (uint64_t)(c + 1),
                                            .seed = seed,
                                            .run_index = -1,
                                            .ok = 1};
                rows[n].hyper[FIT_HYPER_LR] = lr;
                rows[n].hyper[FIT_HYPER_BATCH] = 16;
                n++;
            }
        }
    }
    for (int seed = 0; seed < 2; seed++) {
        rows[n] = (fit_observation){.n_params = 1e6,
                                    .tokens = 1e8,
                                    .loss = seed ? NAN : 1.0,
                                    .config_id = 999,
                                    .cell_id = 1,
                                    .seed = seed,
                                    .run_index = -1,
                                    .ok = seed == 0};
        rows[n].hyper[FIT_HYPER_LR] = 0.5;
        rows[n].hyper[FIT_HYPER_BATCH] = 16;
        n++;
    }
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "envelope: fit_run: %s", r.message);
    check(r.n_cells == 4, "envelope: 4 cells, got %lld", (long long)r.n_cells);
    int chosen = 1;
    for (int64_t c = 0; c < r.n_cells; c++)
        chosen &= r.cells[c].config_id % 100 == 10 && r.cells[c].seeds == 2 &&
                  fabs(r.cells[c].loss - (2.0 + 0.01 + 5e-5)) < 1e-9;
    check(chosen, "envelope: each cell takes its middle lr, not the configuration that lost a "
                  "seed");
    /* the vertex of the parabola through the three lrs is lr_opt exactly */
    check(r.law[FIT_LR_OPT].status == FIT_OK &&
              close_enough(value(&r, FIT_LR_OPT, "p"), -0.25, 1e-9, 0) &&
              close_enough(value(&r, FIT_LR_OPT, "k"), 0.1, 0, 1e-6),
          "envelope: lr_opt = %g N^%g, want 0.1 N^-0.25 (%s)", value(&r, FIT_LR_OPT, "k"),
          value(&r, FIT_LR_OPT, "p"), r.law[FIT_LR_OPT].message);
    check(r.law[FIT_BATCH_OPT].status == FIT_SKIPPED, "envelope: one batch, no batch_opt");
    fit_report_free(&r);
    /* move cell 3's optimum beyond the largest lr: it is left out, and said so */
    for (int64_t i = 0; i < n; i++)
        if (rows[i].cell_id == 4) {
            const double x = log(rows[i].hyper[FIT_HYPER_LR] / (0.1 * pow(8e6, -0.25) * 10.0));
            rows[i].loss = 2.0 + x * x;
        }
    check(fit_run(&input, &options, &r) == 0 && r.law[FIT_LR_OPT].status == FIT_OK &&
              r.law[FIT_LR_OPT].n_points == 3 &&
              strstr(r.law[FIT_LR_OPT].message, "end of the axis are left out (1)"),
          "envelope: a cell best at the end of the axis is left out: %s",
          r.law[FIT_LR_OPT].message);
    fit_report_free(&r);
}

/* Every law on one sweep with curves: runs at 5 N x 4 D, each with a curve of 10 points
 * from the law at its tokens so far; the frontier and everything derived is computed,
 * and the report prints and writes JSON without NaN. Also: the bootstrap gives the same
 * intervals on one thread and on two. */
static void test_everything(void)
{
    random_state = 9;
    int64_t n;
    fit_observation *rows = grid(chinchilla_law, 1e7, 1e9, 5, 2e9, 2e11, 4, 2, 0.005, &n);
    fit_curve_point *curve = calloc((size_t)n * 10, sizeof(*curve));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        for (int p = 1; p <= 10; p++) {
            const double tokens = rows[i].tokens * p / 10.0;
            curve[m++] = (fit_curve_point){rows[i].run_index, tokens,
                                           6 * rows[i].n_params * tokens,
                                           chinchilla_law(rows[i].n_params, tokens)};
        }
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 20;
    options.grid_stride = 4;
    options.target_loss = 2.3;
    options.inference_tokens = 1e12;
    options.frontier_curves = 1; /* the frontier along the curves: test_frontier has the ends */
    fit_input input = {rows, n, curve, m};
    fit_report one, two;
    options.threads = 1;
    const double start = seconds_now();
    check(fit_run(&input, &options, &one) == 0, "fit_run: %s", one.message);
    const double seconds = seconds_now() - start;
    options.threads = 2;
    check(fit_run(&input, &options, &two) == 0, "fit_run: %s", two.message);
    int same = 1;
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        for (int q = 0; q < one.law[l].n_quantities; q++) {
            const fit_quantity *x = &one.law[l].quantity[q], *y = &two.law[l].quantity[q];
            same &= (x->lower == y->lower || (isnan(x->lower) && isnan(y->lower))) &&
                    (x->upper == y->upper || (isnan(x->upper) && isnan(y->upper)));
        }
    check(same, "the bootstrap differs between one thread and two");
    static const fit_law_id expected[] = {FIT_LAW_N, FIT_LAW_N_E, FIT_LAW_D, FIT_LAW_C,
                                          FIT_LAW_C_E, FIT_LAW_FRONTIER, FIT_LAW_KAPLAN,
                                          FIT_LAW_CHINCHILLA, FIT_SEEDS, FIT_OVERFITTING,
                                          FIT_ALLOCATION, FIT_INFERENCE};
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        check(one.law[expected[i]].status == FIT_OK, "law %s: %s: %s", one.law[expected[i]].key,
              fit_status_name(one.law[expected[i]].status), one.law[expected[i]].message);
    check(one.law[FIT_LAW_C].n_points >= 10, "the L(C) frontier has %lld points",
          (long long)one.law[FIT_LAW_C].n_points);
    /* the frontier lies on or below every run's final loss at the same compute */
    int below = 1;
    for (int64_t p = 0; p < one.law[FIT_LAW_C].n_points; p++)
        for (int64_t i = 0; i < n; i++)
            if (fabs(rows[i].n_params * rows[i].tokens * 6 / one.law[FIT_LAW_C].x[p] - 1) < 1e-9)
                below &= one.law[FIT_LAW_C].y[p] <= rows[i].loss * 1.03;
    check(below, "a frontier point lies above a run at the same compute");
    printf("every law with curves, 20 resamples: %.2f s on one thread\n", seconds);

    /* the bands: each law's curve from its own quantities goes through its predictions,
       and the band of the resamples holds it, widening away from the data */
    static const fit_law_id banded[] = {FIT_LAW_N,      FIT_LAW_N_E,        FIT_LAW_C,
                                        FIT_LAW_KAPLAN, FIT_LAW_CHINCHILLA, FIT_LAW_FRONTIER};
    check(one.n_resamples == 20 && one.resamples, "%d resamples kept", one.n_resamples);
    for (size_t i = 0; i < sizeof(banded) / sizeof(banded[0]); i++) {
        const fit_law *law = &one.law[banded[i]];
        double q[FIT_MAX_QUANTITIES];
        for (int k = 0; k < law->n_quantities; k++)
            q[k] = law->quantity[k].value;
        const double x = law->x[0], x2 = law->x2 ? law->x2[0] : 0;
        const double v = fit_law_value(banded[i], 0, q, x, x2);
        check(fabs(v / law->predicted[0] - 1) < 1e-12, "%s: fit_law_value %.6g, predicted %.6g",
              law->key, v, law->predicted[0]);
        double lo, hi, far_lo, far_hi;
        check(fit_law_band(&one, banded[i], 0, x, x2, &lo, &hi) == 0 && lo <= v * (1 + 1e-9) &&
                  v <= hi * (1 + 1e-9) && lo < hi,
              "%s: band [%.6g, %.6g] around %.6g", law->key, lo, hi, v);
        double far = 0, far2 = 0; /* beyond the largest point */
        for (int64_t k = 0; k < law->n_points; k++) {
            far = fmax(far, 1e3 * law->x[k]);
            far2 = fmax(far2, law->x2 ? 1e3 * law->x2[k] : 0);
        }
        check(fit_law_band(&one, banded[i], 0, far, far2, &far_lo, &far_hi) == 0 &&
                  far_hi / far_lo > hi / lo,
              "%s: the band does not widen away from the data ([%.6g, %.6g] there)", law->key,
              far_lo, far_hi);
    }
    double lo, hi;
    check(fit_law_band(&one, FIT_SEEDS, 0, 1, 1, &lo, &hi) != 0 && isnan(lo),
          "a band for a law without a formula");

    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    check(out && fit_write_json(out, &one) == 0, "fit_write_json");
    fclose(out);
    int depth = 0, balanced = 1;
    for (size_t i = 0; i < length; i++) {
        depth += (text[i] == '{' || text[i] == '[') - (text[i] == '}' || text[i] == ']');
        balanced &= depth >= 0;
    }
    check(balanced && depth == 0 && !strstr(text, "nan") && !strstr(text, "inf\"") &&
              strstr(text, "\"chinchilla\"") && strstr(text, "null"),
          "JSON: balanced %d depth %d, no nan", balanced, depth);
    free(text);
    out = open_memstream(&text, &length);
    fit_print(out, &one);
    fclose(out);
    check(length > 1000 && strstr(text, "Chinchilla's joint law (Approach 3) [ok]"), "printed table (%zu bytes)",
          length);
    free(text);
    fit_report_free(&one);
    fit_report_free(&two);
    free(curve);
    free(rows);
}

/* Which runs L(D) takes. Data-limited runs at several unique-token counts (Kaplan's L(D):
 * a large model on U unique tokens, several epochs, loss at early stopping) give L(U) from
 * the largest model at each U; runs that only repeat one corpus past its end (a grid with
 * allow_epochs) are taken at the tokens they saw, the best N at each D. */
static void test_data_limited(void)
{
    random_state = 21;
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.grid_stride = 8;
    fit_observation rows[24];
    int n = 0;
    static const double unique[] = {1e8, 3e8, 1e9, 3e9};
    for (int u = 0; u < 4; u++)
        for (int big = 0; big < 2; big++) {
            const double n_params = big ? 1e10 : 1e7;
            rows[n] =
                (fit_observation){.n_params = n_params,
                                  .tokens = 4 * unique[u],
                                  .unique_tokens = unique[u],
                                  .loss = kaplan_law(n_params, unique[u]) * exp(0.002 * normal()),
                                  .config_id = (uint64_t)n,
                                  .run_index = n,
                                  .ok = 1};
            n++;
        }
    for (int i = 0; i < 4; i++) { /* not data-limited: ignored by L(D) here */
        rows[n] = (fit_observation){.n_params = 1e8 * (i + 1),
                                    .tokens = 2e10,
                                    .loss = kaplan_law(1e8 * (i + 1), 2e10),
                                    .config_id = (uint64_t)n,
                                    .run_index = n,
                                    .ok = 1};
        n++;
    }
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "data-limited: %s", r.message);
    const fit_law *law = &r.law[FIT_LAW_D];
    check(law->status == FIT_OK && strstr(law->message, "unique tokens") && law->n_points == 4 &&
              law->x_unique && r.law[FIT_LAW_D_E].x_unique,
          "data-limited L(D): %s, %lld points: %s", fit_status_name(law->status),
          (long long)law->n_points, law->message);
    int at_unique = law->status == FIT_OK;
    for (int64_t k = 0; k < law->n_points; k++)
        at_unique &= fabs(law->x[k] / unique[k] - 1) < 1e-12 &&
                     fabs(law->y[k] / kaplan_law(1e10, unique[k]) - 1) < 0.01;
    check(at_unique, "data-limited L(D) is not the largest model at each unique count");
    check(fabs(value(&r, FIT_LAW_D, "alpha") - kap_alpha_d) < 0.01,
          "data-limited L(D): alpha %.4f, truth %.3f", value(&r, FIT_LAW_D, "alpha"), kap_alpha_d);
    fit_report_free(&r);

    /* a 3 N x 4 D grid whose two largest D pass the corpus's end: one unique count */
    int64_t count;
    fit_observation *grid_rows = grid(chinchilla_law, 1e7, 1e9, 3, 1e9, 8e9, 4, 2, 0.002, &count);
    for (int64_t i = 0; i < count; i++)
        if (grid_rows[i].tokens > 3e9)
            grid_rows[i].unique_tokens = 3e9;
    fit_input repeated = {grid_rows, count, NULL, 0};
    check(fit_run(&repeated, &options, &r) == 0, "repeated: %s", r.message);
    law = &r.law[FIT_LAW_D];
    check(law->status == FIT_OK && strstr(law->message, "tokens seen") && law->n_points == 8 &&
              !law->x_unique,
          "repeated L(D): %s, %lld points: %s", fit_status_name(law->status),
          (long long)law->n_points, law->message);
    int best_n = law->status == FIT_OK;
    for (int64_t k = 0; k < law->n_points; k++) {
        const double d = 1e9 * pow(8.0, (double)(k / 2) / 3);
        best_n &=
            fabs(law->x[k] / d - 1) < 1e-12 && fabs(law->y[k] / chinchilla_law(1e9, d) - 1) < 0.01;
    }
    check(best_n, "repeated L(D) is not the best N at each D, x = D");
    fit_report_free(&r);
    free(grid_rows);
}

/* The L(C) frontier: by default the configurations' final (C, L), every seed of those that
 * no configuration of less or equal compute beats on mean; along the curves when asked. */
/* Runs of L = (N_c/N)^alpha at 8 sizes from 1e5 to 1e8, two seeds, 0.3% noise; a
 * configuration of its own per (N, seed pair). */
static void power_law_runs(fit_observation *rows, double n_c, double alpha)
{
    for (int i = 0; i < 16; i++) {
        const double n = 1e5 * pow(1e3, (double)(i / 2) / 7.0);
        rows[i] = (fit_observation){.n_params = n,
                                    .tokens = 1e9,
                                    .loss = pow(n_c / n, alpha) * exp(0.003 * normal()),
                                    .config_id = (uint64_t)(i / 2 + 1),
                                    .seed = i % 2,
                                    .run_index = i,
                                    .ok = 1};
    }
}

/* FIT_SHAPE: configurations of two N (each within 2%), four depths each, two seeds, whose
 * loss is L(N) (1 + 0.04 |ln(aspect / 40)|): the groups, each shape's loss relative to L(N)
 * and the spread within a group come back; without two depths at one N it is skipped. */
static void test_shape(void)
{
    random_state = 41;
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 50;
    options.laws = (1u << FIT_SHAPE) | (1u << FIT_LAW_N) | (1u << FIT_SEEDS);
    static const int layers[4] = {1, 2, 4, 8};
    fit_observation rows[32];
    int n = 0;
    for (int g = 0; g < 2; g++)
        for (int k = 0; k < 4; k++)
            for (int seed = 0; seed < 2; seed++) {
                const double n_params = (g ? 1e7 : 1e6) * (1.0 + 0.005 * k);
                const int L = layers[k];
                const int d = (int)lround(sqrt(n_params / (12.0 * L)));
                const double aspect = (double)d / L;
                const double penalty = 1.0 + 0.04 * fabs(log(aspect / 40.0));
                rows[n] = (fit_observation){.n_params = n_params,
                                            .tokens = 1e9,
                                            .loss = pow(1e13 / n_params, 0.076) * penalty *
                                                    exp(0.001 * normal()),
                                            .config_id = (uint64_t)(g * 4 + k + 1),
                                            .seed = seed,
                                            .n_layer = L,
                                            .d_model = d,
                                            .run_index = n,
                                            .ok = 1};
                n++;
            }
    fit_input input = {rows, n, NULL, 0};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "shape: %s", r.message);
    const fit_law *law = &r.law[FIT_SHAPE];
    check(law->status == FIT_OK && value(&r, FIT_SHAPE, "groups") == 2 &&
              value(&r, FIT_SHAPE, "shapes") == 8 && law->n_points == 8,
          "shape: 2 groups of 4 shapes (%s): %s", fit_status_name(law->status), law->message);
    /* x2 is each point's group's N (the report draws a group as one line) */
    int group_values = 0;
    for (int64_t i = 0; i < law->n_points; i++)
        group_values += i == 0 || law->x2[i] != law->x2[i - 1];
    check(group_values == 2, "shape: x2 is the group's N, %d values over 8 points", group_values);
    /* within a group the ratios differ as the penalties do (L(N) scales them alike) */
    int ordered = 1;
    for (int64_t i = 0; i + 1 < law->n_points && law->n_points == 8; i++) {
        if (law->x2[i] > 2e6 || law->x2[i + 1] > 2e6)
            continue;
        const double want = (1.0 + 0.04 * fabs(log(law->x[i] / 40.0))) /
                            (1.0 + 0.04 * fabs(log(law->x[i + 1] / 40.0)));
        ordered &= fabs(law->y[i] / law->y[i + 1] / want - 1.0) < 0.005;
    }
    /* the designed spread: the wider of the two groups' */
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {0.0, 0.0};
    for (int64_t i = 0; i < law->n_points; i++) {
        const int g = law->x2[i] > 2e6;
        const double p = 1.0 + 0.04 * fabs(log(law->x[i] / 40.0));
        lo[g] = fmin(lo[g], p);
        hi[g] = fmax(hi[g], p);
    }
    const double designed = fmax(hi[0] - lo[0], hi[1] - lo[1]);
    check(ordered, "shape: each shape's loss relative to L(N) as its penalty says");
    const double spread = value(&r, FIT_SHAPE, "spread");
    check(spread > 0.8 * designed && spread < 1.25 * designed &&
              value(&r, FIT_SHAPE, "epsilon") < 0.01 && strstr(law->message, "beyond twice"),
          "shape: the spread %.4f (designed about %.4f) is beyond the seed spread: %s", spread,
          designed, law->message);
    fit_report_free(&r);
    /* one depth at each N: nothing to compare */
    for (int i = 0; i < n; i++)
        rows[i].n_layer = 2;
    check(fit_run(&input, &options, &r) == 0 && r.law[FIT_SHAPE].status == FIT_SKIPPED &&
              strstr(r.law[FIT_SHAPE].message, "two or more depths"),
          "shape: one depth a size is skipped: %s", r.law[FIT_SHAPE].message);
    fit_report_free(&r);
}

/* fit_compare: two known L(N) that cross at N = 1e6, the ratio along them and the
 * crossing recovered with intervals that bracket them; laws that do not cross say so. */
static void test_compare(void)
{
    random_state = 31;
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 200;
    options.grid_stride = 8;
    options.laws = 1u << FIT_LAW_N;
    const double alpha_a = 0.076, n_c_a = 1e13, alpha_b = 0.05, crossing = 1e6;
    /* (n_c_a / crossing)^alpha_a = (n_c_b / crossing)^alpha_b */
    const double n_c_b = crossing * exp(alpha_a / alpha_b * log(n_c_a / crossing));
    fit_observation a_rows[16], b_rows[16];
    power_law_runs(a_rows, n_c_a, alpha_a);
    power_law_runs(b_rows, n_c_b, alpha_b);
    fit_input a_input = {a_rows, 16, NULL, 0}, b_input = {b_rows, 16, NULL, 0};
    fit_report a, b;
    check(fit_run(&a_input, &options, &a) == 0 && fit_run(&b_input, &options, &b) == 0,
          "compare: both fitted");
    fit_comparison c;
    check(fit_compare(&a, &b, FIT_LAW_N, &c) == 0 && c.n_points == FIT_COMPARE_POINTS &&
              c.overlap && c.x_min == 1e5 && fabs(c.x_max / 1e8 - 1.0) < 1e-12,
          "compare: L_N over the range both measured (%g to %g): %s", c.x_min, c.x_max,
          c.message);
    int ratios = 1;
    for (int k = 0; k < c.n_points; k++) {
        const double want = pow(n_c_b / c.x[k], alpha_b) / pow(n_c_a / c.x[k], alpha_a);
        ratios &= fabs(c.ratio[k] / want - 1.0) < 0.01 && c.ratio_lower[k] <= want &&
                  want <= c.ratio_upper[k];
        if (!ratios)
            check(0, "compare: ratio at N = %g is %.5f [%.5f, %.5f], the laws' %.5f", c.x[k],
                  c.ratio[k], c.ratio_lower[k], c.ratio_upper[k], want);
    }
    check(ratios && c.ratio[0] < 1.0 && c.ratio[c.n_points - 1] > 1.0,
          "compare: the ratio along the laws, B better below the crossing and worse above");
    check(fabs(log(c.crossing / crossing)) < log(1.3) && c.crossing_lower <= crossing &&
              crossing <= c.crossing_upper && c.crossing_resamples > 190,
          "compare: the laws cross at %.4g [%.4g, %.4g] (%d of %d resamples), truly at 1e6",
          c.crossing, c.crossing_lower, c.crossing_upper, c.crossing_resamples, c.resamples);
    /* parallel laws, B 5% worse everywhere: no crossing */
    fit_observation p_rows[16];
    power_law_runs(p_rows, n_c_a * pow(1.05, 1.0 / alpha_a), alpha_a);
    fit_input p_input = {p_rows, 16, NULL, 0};
    fit_report p;
    check(fit_run(&p_input, &options, &p) == 0, "compare: parallel fitted");
    fit_comparison q;
    check(fit_compare(&a, &p, FIT_LAW_N, &q) == 0 && !isfinite(q.crossing) &&
              fabs(q.ratio[2] / 1.05 - 1.0) < 0.01,
          "compare: parallel laws 5%% apart do not cross (ratio %.4f, crossing %g)", q.ratio[2],
          q.crossing);
    check(fit_compare(&a, &b, FIT_LAW_CHINCHILLA, &q) != 0 && q.n_points == 0,
          "compare: a joint law is not compared");
    fit_report_free(&a);
    fit_report_free(&b);
    fit_report_free(&p);
}

static void test_frontier(void)
{
    random_state = 5;
    int64_t n;
    fit_observation *rows = grid(chinchilla_law, 1e7, 1e9, 4, 2e9, 2e11, 4, 2, 0.003, &n);
    /* curves that a cosine schedule would give: mid-run losses well above the law */
    fit_curve_point *curve = calloc((size_t)n * 10, sizeof(*curve));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        for (int p = 1; p <= 10; p++) {
            const double tokens = rows[i].tokens * p / 10.0;
            curve[m++] = (fit_curve_point){rows[i].run_index, tokens, 6 * rows[i].n_params * tokens,
                                           chinchilla_law(rows[i].n_params, tokens) *
                                               (p == 10 ? 1.0 : 1.08)};
        }
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 0;
    options.grid_stride = 8;
    options.laws = 1u << FIT_LAW_C;
    fit_input input = {rows, n, curve, m};
    fit_report r;
    check(fit_run(&input, &options, &r) == 0, "frontier: %s", r.message);
    const fit_law *law = &r.law[FIT_LAW_C];
    /* the ends: each point is a run's final (C, L), both seeds of a configuration together,
       and no configuration of less or equal C has a lower mean */
    int ends = law->status == FIT_OK && law->n_points >= 8 && law->n_points % 2 == 0 &&
               strstr(law->message, "end of its schedule") != NULL;
    for (int64_t k = 0; ends && k < law->n_points; k++) {
        int found = 0;
        for (int64_t i = 0; i < n; i++)
            found |= fabs(6 * rows[i].n_params * rows[i].tokens / law->x[k] - 1) < 1e-12 &&
                     law->y[k] == rows[i].loss;
        ends &= found;
    }
    check(ends, "the default frontier is the runs' ends (%lld points): %s",
          (long long)law->n_points, law->message);
    fit_report_free(&r);
    options.frontier_curves = 1;
    check(fit_run(&input, &options, &r) == 0, "frontier along the curves: %s", r.message);
    law = &r.law[FIT_LAW_C];
    check(law->status == FIT_OK && law->n_points == options.frontier_points &&
              strstr(law->message, "training curves"),
          "frontier = curves: %lld points: %s", (long long)law->n_points, law->message);
    fit_report_free(&r);
    free(curve);
    free(rows);
}

/* Degenerate input: a status and a message for each law, never a crash. */
static void test_degenerate(void)
{
    fit_report r;
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 10;
    options.grid_stride = 50;
    fit_input empty = {NULL, 0, NULL, 0};
    check(fit_run(&empty, &options, &r) == -1 && strstr(r.message, "no runs"), "empty: %s",
          r.message);
    fit_report_free(&r);

    fit_observation rows[6];
    for (int i = 0; i < 6; i++)
        rows[i] = (fit_observation){.n_params = 1e6 * (i + 1), .tokens = 1e9, .loss = 3.0 - 0.1 * i,
                                    .config_id = (uint64_t)i, .run_index = -1, .ok = 0};
    fit_input input = {rows, 6, NULL, 0};
    check(fit_run(&input, &options, &r) == -1 && strstr(r.message, "did not finish"),
          "none finished: %s", r.message);
    check(r.law[FIT_LAW_CHINCHILLA].status == FIT_SKIPPED && r.law[FIT_LAW_CHINCHILLA].message[0],
          "none finished: the laws say why");
    fit_report_free(&r);

    /* one D only, with a NaN and a negative row: the D laws and joint laws are
       degenerate, L(N) fits from the rest */
    for (int i = 0; i < 6; i++)
        rows[i].ok = 1;
    rows[4].loss = NAN;
    rows[5].tokens = -1;
    check(fit_run(&input, &options, &r) == 0 && strstr(r.message, "4 of 6"), "bad rows: %s",
          r.message);
    check(r.law[FIT_LAW_N].status == FIT_OK, "L(N) from 4 rows: %s", r.law[FIT_LAW_N].message);
    check(r.law[FIT_LAW_D].status == FIT_DEGENERATE &&
              strstr(r.law[FIT_LAW_D].message, "need at least 3"),
          "L(D) at one D: %s", r.law[FIT_LAW_D].message);
    check(r.law[FIT_LAW_CHINCHILLA].status == FIT_DEGENERATE &&
              r.law[FIT_LAW_CHINCHILLA].message[0],
          "Chinchilla on 4 points: %s", r.law[FIT_LAW_CHINCHILLA].message);
    check(r.law[FIT_LAW_KAPLAN].status == FIT_DEGENERATE, "Kaplan at one D: %s",
          r.law[FIT_LAW_KAPLAN].message);
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        check(r.law[l].status == FIT_OK || r.law[l].message[0], "law %s has no message",
              r.law[l].key);
    fit_report_free(&r);

    /* all losses equal: no power law */
    for (int i = 0; i < 6; i++)
        rows[i] = (fit_observation){.n_params = 1e6 * (i + 1), .tokens = 1e9 * (i % 3 + 1),
                                    .loss = 2.5, .config_id = (uint64_t)i, .run_index = -1, .ok = 1};
    check(fit_run(&input, &options, &r) == 0, "equal losses: %s", r.message);
    check(r.law[FIT_LAW_N].status == FIT_DEGENERATE && strstr(r.law[FIT_LAW_N].message, "fall"),
          "equal losses, L(N): %s", r.law[FIT_LAW_N].message);
    fit_report_free(&r);

    double x[3] = {1, 2, 3}, y[3] = {1, NAN, 3}, p[3];
    char message[256] = "";
    check(fit_power_law(x, y, 3, p, message, sizeof(message)) == FIT_DEGENERATE &&
              strstr(message, "NaN"),
          "NaN loss: %s", message);
    check(fit_power_law(x, x, 2, p, message, sizeof(message)) == FIT_DEGENERATE,
          "two points: %s", message);
    double zero[3] = {0, 1, 2};
    check(fit_power_law_e(zero, x, 3, p, message, sizeof(message)) == FIT_DEGENERATE &&
              strstr(message, "zero or negative"),
          "zero x: %s", message);
    double same[3] = {5, 5, 5};
    check(fit_parabola(same, x, 3, p, message, sizeof(message)) == FIT_DEGENERATE,
          "parabola at one x: %s", message);
    fit_chinchilla_options chin;
    fit_chinchilla_options_defaults(&chin);
    fit_chinchilla_result result;
    check(fit_chinchilla(x, x, x, NULL, 3, &chin, &result, message, sizeof(message)) ==
                  FIT_DEGENERATE &&
              strstr(message, "at least 6"),
          "Chinchilla on 3 points: %s", message);
}

/* Interval coverage: 40 replicates of noisy data (1%) from a known law on an 8 x 8 or
 * 6 x 6 grid; in each the 95% percentile intervals from 120 resamples (fewer than the
 * default 1000, to keep the test short under ASan); the share that contains the truth,
 * pooled over the parameters, must lie in 85-99%. (For 40 replicates of a perfect 95%
 * interval, a single parameter reaches 40 of 40 one time in 8, so the range is checked on
 * the pooled count; each parameter must reach 80%.) */
static void coverage(const char *name, fit_law_id law, double (*law_function)(double, double),
                     const char *const *names, const double *truth, int count, double n_low,
                     double n_high, double d_low, double d_high, int grid_size)
{
    enum { REPLICATES = 40 };
    int covered[8] = {0}, total = 0, total_covered = 0;
    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = 120;
    options.bootstrap_grid_stride = 0; /* warm starts from the replicate's own optima */
    options.grid_stride = 9;
    options.laws = 1u << law;
    const double start = seconds_now();
    for (int rep = 0; rep < REPLICATES; rep++) {
        random_state = 1000 + (uint64_t)rep;
        options.bootstrap_seed = (uint64_t)rep + 1;
        int64_t n;
        fit_observation *rows = grid(law_function, n_low, n_high, grid_size, d_low, d_high,
                                     grid_size, 1, 0.01, &n);
        fit_input input = {rows, n, NULL, 0};
        fit_report r;
        if (fit_run(&input, &options, &r) == 0 && r.law[law].status == FIT_OK)
            for (int q = 0; q < count; q++) {
                const fit_quantity *x = quantity(&r, law, names[q]);
                const int in = x && x->lower <= truth[q] && truth[q] <= x->upper;
                covered[q] += in;
                total_covered += in;
                total++;
            }
        fit_report_free(&r);
        free(rows);
    }
    printf("%s coverage of 95%% intervals over %d replicates (%.1f s):", name, REPLICATES,
           seconds_now() - start);
    for (int q = 0; q < count; q++)
        printf(" %s %d/%d", names[q], covered[q], REPLICATES);
    printf("; pooled %.1f%%\n", 100.0 * total_covered / (total > 0 ? total : 1));
    const double share = (double)total_covered / (double)(REPLICATES * count);
    check(share >= 0.85 && share <= 0.99, "%s: pooled coverage %.3f not in [0.85, 0.99]", name,
          share);
    for (int q = 0; q < count; q++)
        check(covered[q] >= 0.80 * REPLICATES, "%s: %s covered in %d of %d replicates", name,
              names[q], covered[q], REPLICATES);
}

static void test_coverage(void)
{
    static const char *const chin_names[] = {"E", "A", "B", "alpha", "beta"};
    const double chin_truth[] = {chin_e, chin_a, chin_b, chin_alpha, chin_beta};
    coverage("Chinchilla", FIT_LAW_CHINCHILLA, chinchilla_law, chin_names, chin_truth, 5, 1e7,
             1e10, 1e9, 1e12, 8);
    static const char *const kap_names[] = {"alpha_N", "alpha_D", "N_c", "D_c"};
    const double kap_truth[] = {kap_alpha_n, kap_alpha_d, kap_nc, kap_dc};
    coverage("Kaplan", FIT_LAW_KAPLAN, kaplan_law, kap_names, kap_truth, 4, 1e6, 1e9, 1e8, 1e11, 6);
}

static void test_csv(void)
{
    char path[] = "/tmp/test_fit_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    check(f != NULL, "temporary file");
    if (!f)
        return;
    fprintf(f, "seed, Loss ,n,d\n1,3.5,1e6,2e9\n2,3.4,1e6,2e9\n\n1,3.1,1e7,2e9\n");
    fclose(f);
    fit_observation *rows;
    int64_t n;
    char message[256];
    check(fit_read_csv(path, &rows, &n, message, sizeof(message)) == 0 && n == 3 &&
              rows[2].n_params == 1e7 && rows[1].loss == 3.4 && rows[1].seed == 2 &&
              rows[0].config_id == rows[1].config_id && rows[0].config_id != rows[2].config_id,
          "CSV: %s", message);
    if (n > 0)
        free(rows);
    f = fopen(path, "w");
    fprintf(f, "N,loss\n1,2\n");
    fclose(f);
    check(fit_read_csv(path, &rows, &n, message, sizeof(message)) == -1 &&
              strstr(message, "no column D"),
          "CSV without D: %s", message);
    f = fopen(path, "w");
    fprintf(f, "N,D,loss\n1,2,abc\n");
    fclose(f);
    check(fit_read_csv(path, &rows, &n, message, sizeof(message)) == -1 &&
              strstr(message, ":2: loss is not a number"),
          "CSV with a word: %s", message);
    remove(path);
}

/* --fit-csv: Chinchilla's fit of a CSV as one JSON line, for the scipy comparison. */
static int fit_csv(const char *path, int stride)
{
    fit_observation *rows;
    int64_t n;
    char message[256];
    if (fit_read_csv(path, &rows, &n, message, sizeof(message)) != 0) {
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    double *np = malloc((size_t)n * sizeof(double)), *d = malloc((size_t)n * sizeof(double));
    double *loss = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        np[i] = rows[i].n_params;
        d[i] = rows[i].tokens;
        loss[i] = rows[i].loss;
    }
    fit_chinchilla_options options;
    fit_chinchilla_options_defaults(&options);
    options.grid_stride = stride;
    fit_chinchilla_result result;
    const double start = seconds_now();
    fit_status status = fit_chinchilla(np, d, loss, NULL, n, &options, &result, message,
                                       sizeof(message));
    const double seconds = seconds_now() - start;
    if (status == FIT_OK)
        printf("{\"a\": %.17g, \"b\": %.17g, \"e\": %.17g, \"alpha\": %.17g, \"beta\": %.17g, "
               "\"objective\": %.17g, \"starts\": %d, \"seconds\": %.6f}\n",
               result.a, result.b, result.e, result.alpha, result.beta, result.objective,
               result.starts, seconds);
    else
        fprintf(stderr, "%s\n", message);
    free(np);
    free(d);
    free(loss);
    free(rows);
    return status == FIT_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc >= 3 && strcmp(argv[1], "--fit-csv") == 0)
        return fit_csv(argv[2], argc >= 5 && strcmp(argv[3], "--stride") == 0 ? atoi(argv[4]) : 1);
    const double start = seconds_now();
    test_gradient();
    test_power_laws();
    test_published();
    test_parabola_and_isoflop();
    test_inference();
    test_csv();
    test_degenerate();
    test_data_limited();
    test_shape();
    test_compare();
    test_frontier();
    test_chinchilla_recovery();
    test_kaplan_recovery();
    test_seeds();
    test_envelope();
    test_everything();
    test_coverage();
    printf("(%.1f s)\n", seconds_now() - start);
    return test_report("fit");
}
