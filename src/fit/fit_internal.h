/* Helpers shared by the files of src/fit; not part of its API. */
#ifndef SCALESWEEP_FIT_INTERNAL_H
#define SCALESWEEP_FIT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "fit.h"
#include "message.h"
#include "rng.h"

/* The prefix of what `scalesweep fit` prints on stderr. */
#define FIT_PROGRAM "scalesweep fit"

/* Checks that n points are finite and positive; NULL when they are, else what is
 * wrong, as static text naming the variable. */
const char *fit_check_positive(const double *values, int64_t n, const char *what);
/* numpy's default percentile of n sorted values: linear between the order statistics. */
double fit_percentile(const double *sorted, int n, double p);
/* qsort's order of doubles, ascending. */
int fit_compare_doubles(const void *x, const void *y);
/* The percentile interval of level confidence of n values (sorted in place), into *lower and
 * *upper when n >= 2; they are left as they are otherwise. Every interval of a fit. */
void fit_interval(double *values, int n, double confidence, double *lower, double *upper);
/* Number of distinct values (relative tolerance 1e-9). */
int64_t fit_count_distinct(const double *values, int64_t n);

/* GSL's error handler off, once per process (pthread_once: the bootstrap's threads come
 * through here too), so that GSL reports a failure, an allocation among them, as a status
 * that the fit checks instead of aborting the program. Every public entry point that
 * reaches GSL calls it. */
void fit_gsl_errors_off(void);

/* Quantities of a law: adds one (name, value) and returns its slot. */
int fit_law_add(fit_law *law, const char *name, double value);
/* Sets the points used and their fit quality (rms and R^2 of ln y). Copies the arrays;
 * x2 may be NULL. Returns 0 or -1 when out of memory. */
int fit_law_set_points(fit_law *law, const double *x, const double *x2, const double *y,
                       const double *predicted, int64_t n);
/* Records the run of each of the law's n_points points (after fit_law_set_points, which
 * forgets them). Returns 0 or -1 when out of memory. */
int fit_law_set_runs(fit_law *law, const int64_t *run_index);

/* The laws from a start (their output of the full data, for a resample), falling back
 * on their grid of starts when start is NULL or does not converge. */
fit_status fit_power_law_e_start(const double *x, const double *loss, int64_t n,
                                 const double *start, double out[3], char *message,
                                 size_t message_length);
fit_status fit_kaplan_start(const double *n_params, const double *tokens, const double *loss,
                            int64_t n, const double *start, double out[4], char *message,
                            size_t message_length);

/* Chinchilla's objective on prepared data, for the fit and for the bootstrap. */
typedef struct fit_chinchilla_data fit_chinchilla_data;
fit_chinchilla_data *fit_chinchilla_data_new(const double *n_params, const double *tokens,
                                             const double *loss, const double *weight,
                                             int64_t n, double delta);
void fit_chinchilla_data_free(fit_chinchilla_data *data);
fit_status fit_chinchilla_prepared(const fit_chinchilla_data *data,
                                   const fit_chinchilla_options *options,
                                   fit_chinchilla_result *result, char *message,
                                   size_t message_length);

/* ---- the whole analysis (fit_analysis.c, fit_select.c, fit_bootstrap.c) ---- */

/* A run as one sample sees it: a resample holds a configuration's runs as often as it
 * drew it, each draw its own group (for the seed variance). */
typedef struct {
    const fit_observation *o;
    int64_t curve_begin, curve_count;  /* its points in the sorted curve */
    int64_t group;                     /* the drawn configuration it belongs to */
} fit_row;

typedef struct {
    fit_row *rows;
    int64_t n;
} fit_sample;

typedef struct {
    fit_options options;
    fit_observation *observations;  /* usable rows, C filled in */
    int64_t n;
    fit_curve_point *curve;         /* usable points, sorted by run then compute */
    int64_t n_curve;
    int64_t *curve_begin, *curve_count;  /* (n) */
    int64_t n_configs;
    int64_t *config_rows;           /* row indices grouped by configuration */
    int64_t *config_begin;          /* (n_configs + 1) */
    int64_t n_cells;                /* cells of the envelope: n_configs when each
                                       configuration is a cell of its own */
    int64_t *cell_configs;          /* configuration indices grouped by cell */
    int64_t *cell_begin;            /* (n_cells + 1) */
    int n_table;
    double table[FIT_MAX_TABLE];
    /* fits of the full data, the starting points of the resamples */
    fit_chinchilla_result chinchilla;
    int have_chinchilla;
    double kaplan[4];
    double power_e[FIT_NUM_LAWS][3];  /* of FIT_LAW_N_E, FIT_LAW_D_E, FIT_LAW_C_E */
} fit_context;

/* Equal to a relative 1e-9: values of N, D and C read back from a file. */
int fit_same_value(double a, double b);
/* A copy of the sample's rows sorted by compare (NULL when out of memory). */
fit_row *fit_sorted_rows(const fit_sample *s, int (*compare)(const void *, const void *));
/* FIT_SHAPE (fit_shape.c), after L(N) and the seed spread of the same sample. */
void fit_shape_law(fit_report *r, const fit_sample *s, int full);
/* The points of L(N), L(D) and the L(C) frontier (see fit_select.c); each returns the
 * count, or -1 when out of memory. run (may be NULL) gets the run_index of each point's
 * run. */
int64_t fit_select_n(const fit_sample *s, double *x, double *y, int64_t *run);
/* Which points L(D) took (fit_select_d's *limited). Data-limited runs (unique tokens < D)
 * measure L(U) only when they hold at least FIT_D_LIMITED_MIN_COUNTS distinct unique
 * counts, as a plan's unique_tokens axis gives; runs that only repeat one corpus are
 * taken at the tokens they saw. */
enum { FIT_D_BEST_N, FIT_D_REPEATED, FIT_D_LIMITED };
#define FIT_D_LIMITED_MIN_COUNTS 3
int64_t fit_select_d(const fit_sample *s, double *x, double *y, int64_t *run, int *limited);
int64_t fit_select_frontier(const fit_context *ctx, const fit_sample *s, double *c,
                            double *loss, double *n_params, double *tokens, int64_t *run,
                            int *from_curves);
/* Every law on one sample; full = 1 for all the data (points, messages, tables), 0 for
 * a resample (values only). */
void fit_analyse(fit_context *ctx, const fit_sample *s, fit_report *r, int full);
/* An observation's cell: its cell_id, or (0) its configuration. */
uint64_t fit_cell_of(const fit_observation *o);
/* The envelope of a sample: into out (room for s->n rows) the rows of each cell's
 * configuration of lowest mean loss, *n_out of them; with cells, the table of cells (malloc'd)
 * too. 0, or -1 when out of memory. */
int fit_envelope(const fit_sample *s, fit_row *out, int64_t *n_out, fit_cell **cells,
                 int64_t *n_cells);
/* FIT_LR_OPT or FIT_BATCH_OPT on a sample (every configuration). */
void fit_optimum_law(fit_report *r, fit_law_id id, const fit_sample *s, int full);
/* Resamples and sets every quantity's interval in report; 0, or -1 if some resample ran
 * out of memory. */
int fit_bootstrap(fit_context *ctx, fit_report *report);
/* The one rule of every resample of a fit (the laws' bootstrap and the transfer law's):
 * resample b of seed draws n_configs configurations with replacement from its own stream
 * (seed, b), so that its draws do not depend on threads or on other resamples. Starts the
 * stream; fit_resample_draw gives the next configuration, 0 .. n_configs - 1. */
void fit_resample_start(rng_state *random, uint64_t seed, int b);
int64_t fit_resample_draw(rng_state *random, int64_t n_configs);

#endif
