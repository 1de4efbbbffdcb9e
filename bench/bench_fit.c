/* The fit benchmark: Chinchilla's full-grid fit (4,500 L-BFGS starts) on 240 points, on
 * one thread and on two, beside scipy's L-BFGS-B from the same grid measured in the same
 * run by bench/fit.sh; then the whole fit stage with a 1000-resample bootstrap.
 *
 *   bench_fit --write-data FILE          the 240-point data set (CSV N,D,loss)
 *   bench_fit --data FILE [--scipy JSON] [--bootstrap B] [--threads T]
 *
 * The data: Chinchilla's published law (E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28)
 * at 12 IsoFLOP budgets from 1e18 to 1e21 FLOPs, 20 model sizes each from a common list
 * of 30 (44M to 16B parameters, around each budget's optimum), loss times exp(0.01 z),
 * z ~ N(0, 1) from a fixed seed: the shape and size of Hoffmann et al.'s data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "blas_core.h"
#include "fit.h"
#include "rng.h"

static double law(double n, double d)
{
    return 1.69 + 406.4 / pow(n, 0.34) + 410.7 / pow(d, 0.28);
}

/* the project's seeded streams (rng.h): a fixed data set on every machine */
static double normal(void)
{
    static rng_state random;
    static int seeded = 0;
    if (!seeded) {
        rng_seed(&random, 20220329, 0);
        seeded = 1;
    }
    return rng_normal(&random);
}

static int write_data(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    double sizes[30];
    for (int i = 0; i < 30; i++)
        sizes[i] = 4.4e7 * pow(16e9 / 4.4e7, i / 29.0);
    fprintf(f, "N,D,loss,C\n");
    for (int b = 0; b < 12; b++) {
        const double budget = 1e18 * pow(1000.0, b / 11.0);
        int best = 0;
        for (int i = 1; i < 30; i++)
            if (law(sizes[i], budget / (6 * sizes[i])) < law(sizes[best], budget / (6 * sizes[best])))
                best = i;
        int first = best - 10 < 0 ? 0 : best - 10 > 10 ? 10 : best - 10;
        for (int i = first; i < first + 20; i++) {
            const double d = budget / (6 * sizes[i]);
            fprintf(f, "%.17g,%.17g,%.17g,%.17g\n", sizes[i], d,
                    law(sizes[i], d) * exp(0.01 * normal()), budget);
        }
    }
    return fclose(f) == 0 ? 0 : 1;
}

/* The value of "key": in a one-line JSON object (the scipy script's output). */
static double json_value(const char *text, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    const char *p = strstr(text, pattern);
    return p ? strtod(p + strlen(pattern), NULL) : NAN;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    blas_core_correct(argv); /* the kernels scalesweep fits with (blas_core.h) */
    gsl_set_error_handler_off();
    const char *data = NULL, *scipy = NULL;
    int bootstrap = 1000, threads = 2;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--write-data") == 0 && i + 1 < argc)
            return write_data(argv[i + 1]);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--scipy") == 0 && i + 1 < argc)
            scipy = argv[++i];
        else if (strcmp(argv[i], "--bootstrap") == 0 && i + 1 < argc)
            bootstrap = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s --write-data FILE | --data FILE [--scipy JSON] "
                            "[--bootstrap B] [--threads T]\n", argv[0]);
            return 2;
        }
    }
    if (!data) {
        fprintf(stderr, "%s: --data FILE or --write-data FILE\n", argv[0]);
        return 2;
    }
    fit_observation *rows;
    int64_t n;
    char message[320];
    if (fit_read_csv(data, &rows, &n, message, sizeof(message)) != 0) {
        fprintf(stderr, "%s\n", message);
        return 1;
    }
    double *np = malloc((size_t)n * sizeof(double)), *d = malloc((size_t)n * sizeof(double));
    double *loss = malloc((size_t)n * sizeof(double));
    if (!np || !d || !loss) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (int64_t i = 0; i < n; i++) {
        np[i] = rows[i].n_params;
        d[i] = rows[i].tokens;
        loss[i] = rows[i].loss;
    }

    printf("Chinchilla fit, full grid, %lld points:\n", (long long)n);
    double best_seconds[2] = {INFINITY, INFINITY};
    fit_chinchilla_result result;
    for (int t = 0; t < 2; t++) {
        fit_chinchilla_options options;
        fit_chinchilla_options_defaults(&options);
        options.threads = t + 1;
        for (int round = 0; round < 3; round++) {
            const double start = now();
            fit_status status = fit_chinchilla(np, d, loss, NULL, n, &options, &result, message,
                                               sizeof(message));
            const double seconds = now() - start;
            if (status != FIT_OK) {
                fprintf(stderr, "fit failed: %s\n", message);
                return 1;
            }
            best_seconds[t] = fmin(best_seconds[t], seconds);
        }
        printf("  ours, %d thread%s: %.3f s (best of 3), %d starts, %ld evaluations\n", t + 1,
               t ? "s" : "", best_seconds[t], result.starts, result.evaluations);
    }
    printf("  optimum: E %.6f A %.5g B %.5g alpha %.6f beta %.6f objective %.15g\n",
           exp(result.e), exp(result.a), exp(result.b), result.alpha, result.beta,
           result.objective);
    printf("  polished candidates reaching it: %d of %d\n", result.candidates_at_best,
           result.candidates);
    if (scipy) {
        FILE *f = fopen(scipy, "r");
        char text[4096] = "";
        if (!f || !fgets(text, sizeof(text), f)) {
            fprintf(stderr, "%s: cannot read the scipy result\n", scipy);
            return 1;
        }
        fclose(f);
        const double objective = json_value(text, "objective"), seconds = json_value(text, "seconds");
        const double starts = json_value(text, "starts");
        const double per_start = seconds / starts * 4500.0;
        printf("  scipy L-BFGS-B: %.1f s for %.0f starts (%.1f s for the full grid), objective "
               "%.15g (%s gradient)\n",
               seconds, starts, per_start, objective,
               strstr(text, "\"gradient\": \"numeric\"") ? "finite-difference" : "analytic");
        printf("  objective, ours - scipy: %.3g (relative %.3g)\n", result.objective - objective,
               (result.objective - objective) / objective);
        printf("  speed: %.0fx scipy on one thread, %.0fx on two\n", per_start / best_seconds[0],
               per_start / best_seconds[1]);
    }

    fit_options options;
    fit_options_defaults(&options);
    options.bootstrap = bootstrap;
    options.threads = threads;
    fit_input input = {rows, n, NULL, 0};
    fit_report report;
    const double start = now();
    if (fit_run(&input, &options, &report) != 0) {
        fprintf(stderr, "fit_run: %s\n", report.message);
        return 1;
    }
    const double total = now() - start;
    printf("\nWhole fit stage with a %d-resample bootstrap on %d threads: %.1f s (fit %.2f s, "
           "bootstrap %.1f s)\n",
           bootstrap, threads, total, report.seconds_fit, report.seconds_bootstrap);
    const fit_law *chin = &report.law[FIT_LAW_CHINCHILLA];
    for (int q = 0; q < chin->n_quantities; q++)
        printf("  %-6s %10.5g  [%10.5g, %10.5g]\n", chin->quantity[q].name, chin->quantity[q].value,
               chin->quantity[q].lower, chin->quantity[q].upper);
    fit_report_free(&report);
    free(rows);
    free(np);
    free(d);
    free(loss);
    return 0;
}
