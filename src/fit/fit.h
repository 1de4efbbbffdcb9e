/* The fit stage: the scaling laws of a sweep, their bootstrap intervals, and what they
 * imply (SCIENCE.md is the reference for every formula). A plain C API over data in
 * memory: no HDF5, no MPI. The caller fills fit_observation rows (one per run) and,
 * optionally, the training curves; fit_run() fits every law it can and says, law by
 * law, why it could not fit the others.
 *
 *   fit_options opts;  fit_options_defaults(&opts);
 *   fit_report report;
 *   fit_run(&input, &opts, &report);       (0, or -1 when no law could be attempted)
 *   fit_print(stdout, &report);  fit_write_json(file, &report);
 *   fit_report_free(&report);
 *
 * The building blocks (one law on plain arrays) are declared below too, for tests,
 * benchmarks and callers that want a single law. Every function checks its input:
 * too few points, all x equal, non-positive or NaN values give a status and a message,
 * never a crash or a silent nonsense fit. */
#ifndef SCALESWEEP_FIT_H
#define SCALESWEEP_FIT_H

#include <stdint.h>
#include <stdio.h>

/* ---- input ---- */

/* Hyperparameters an observation records (plan.h's PLAN_HYPER_COUNT, in its order). */
#define FIT_HYPERS 6
#define FIT_HYPER_LR 0
#define FIT_HYPER_BATCH 1

typedef struct {
    double n_params;       /* N, non-embedding parameters */
    double tokens;         /* D, tokens trained on */
    double unique_tokens;  /* distinct tokens among them; 0 (or >= tokens) if not data-limited */
    double flops;          /* C; <= 0 means 6 N D */
    double budget;         /* the IsoFLOP budget the run was planned for; 0: group runs by C */
    double loss;           /* the test loss the laws fit, nats per token (best for early-stopped runs) */
    uint64_t config_id;    /* equal for runs that differ only in their seed (e.g. a hash of shape and D) */
    uint64_t cell_id;      /* equal for configurations that differ only in hyperparameters
                              (hyper): the fit takes each cell's best (the envelope); 0: the
                              configuration is a cell of its own */
    double hyper[FIT_HYPERS]; /* its hyperparameters, in plan.h's plan_hyper order (lr, batch,
                                 warmup_steps, weight_decay, beta2, grad_clip); 0 or NaN:
                                 unknown */
    int64_t seed;
    int n_layer, d_model;  /* its shape (depth against width, FIT_SHAPE); 0: unknown */
    int64_t run_index;     /* links fit_curve_point rows to this run; -1: no curve */
    int ok;                /* 1: finished and not diverged; other runs feed no fit */
    int partial;           /* set by the fit: another run of its configuration feeds no fit
                              (diverged, failed, or unusable), so the envelope and the
                              optimum laws do not judge the configuration by the rest */
} fit_observation;

typedef struct {
    int64_t run_index;     /* fit_observation.run_index of its run */
    double tokens;         /* tokens trained so far */
    double flops;          /* compute so far (6 N tokens) */
    double loss;           /* test loss at that point */
} fit_curve_point;

typedef struct {
    const fit_observation *observations;
    int64_t n_observations;
    const fit_curve_point *curve;  /* may be NULL: L(C) then uses the final (C, L) of each run */
    int64_t n_curve;
} fit_input;

#define FIT_MAX_TABLE 12

typedef struct {
    int bootstrap;            /* resamples over configurations; 0: no intervals (default 1000) */
    uint64_t bootstrap_seed;  /* default 1 */
    int bootstrap_grid_stride;/* the Chinchilla fit of a resample starts from the full-data
                                 fit's optima and every k-th grid point (default 30: 150
                                 starts; 1: the whole grid, about 20 times slower) */
    int threads;              /* worker threads for the grid and the bootstrap (default 2) */
    double confidence;        /* of the percentile intervals (default 0.95) */
    double huber_delta;       /* Chinchilla's Huber delta (default 1e-3) */
    int grid_stride;          /* 1 (default): every grid start; k: every k-th (tests only) */
    double epsilon;           /* > 0: use this seed spread for the overfitting bound instead of
                                 the measured one */
    double isoflop_tolerance; /* runs whose C differ by less than this fraction share an
                                 IsoFLOP budget when no budget is given (default 0.05) */
    int frontier_points;      /* compute values on the L(C) frontier from curves (default 60) */
    int frontier_curves;      /* 1: the L(C) frontier along the training curves; 0 (default):
                                 from the runs' final (C, L) (plan.h, plan_frontier) */
    int n_table;              /* budgets of the allocation table; 0: powers of ten from the
                                 smallest observed C to 1000x the largest */
    double table[FIT_MAX_TABLE];
    unsigned laws;            /* which laws to fit: bits (1u << fit_law_id); 0 (default): all.
                                 A law whose input is not fitted is skipped with a message. */
    double target_loss;       /* inference-aware choice: target loss (0: skip) */
    double inference_tokens;  /* ... and tokens to be served over the model's life */
} fit_options;

void fit_options_defaults(fit_options *options);

/* Reads a CSV of external results: a header naming the columns N, D and loss (any case,
 * any order), optionally seed, C, budget and unique_tokens; other columns are ignored.
 * Each row becomes an observation (ok = 1, config_id a hash of N and D, no curve). N, D,
 * loss and C (given, or 6ND) must be positive and finite, except a NaN loss (a run that
 * diverged); seed, budget and unique_tokens 0 or more.
 * Returns 0 with *rows (malloc'd, free() it) and *n, or -1 with a message naming the
 * line. */
int fit_read_csv(const char *path, fit_observation **rows, int64_t *n, char *message,
                 size_t message_length);
/* The same from an open stream, which it closes; path names it in messages. */
int fit_read_csv_stream(FILE *f, const char *path, fit_observation **rows, int64_t *n,
                        char *message, size_t message_length);

/* ---- results ---- */

typedef enum {
    FIT_OK = 0,
    FIT_SKIPPED,     /* not asked for, or the data has nothing for it (message says) */
    FIT_DEGENERATE,  /* the data cannot determine the law (message says why) */
    FIT_FAILED       /* the optimiser did not converge */
} fit_status;

const char *fit_status_name(fit_status status);

#define FIT_MAX_QUANTITIES 64
#define FIT_NAME_LENGTH 40

typedef struct {
    char name[FIT_NAME_LENGTH];
    double value;            /* from all the data; NaN when not defined */
    double lower, upper;     /* percentile interval over the resamples; NaN without bootstrap */
    int valid_resamples;     /* resamples in which this quantity was finite */
} fit_quantity;

typedef enum {
    FIT_LAW_N = 0, /* L(N) = (N_c/N)^alpha                     largest-D run of each N */
    FIT_LAW_N_E,   /* L(N) = E + (N_c/N)^alpha                  */
    FIT_LAW_D,     /* L(D) = (D_c/D)^alpha                     data-limited runs or best N per D */
    FIT_LAW_D_E,
    FIT_LAW_C, /* L(C) = (C_c/C)^alpha                     frontier of the curves */
    FIT_LAW_C_E,
    FIT_LAW_FRONTIER,   /* N_opt(C) = N_0 C^a from the runs on the frontier (Approach 1) */
    FIT_LAW_KAPLAN,     /* L(N,D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D */
    FIT_LAW_CHINCHILLA, /* L(N,D) = E + A/N^alpha + B/D^beta (Huber, grid of starts) */
    FIT_LAW_ISOFLOP,    /* N_opt(C), D_opt(C) from parabolas at each budget (Approach 2) */
    FIT_SEEDS,          /* seed variance and epsilon */
    FIT_OVERFITTING,    /* D_min(N) = k N^p */
    FIT_ALLOCATION,     /* Chinchilla's compute-optimal allocation and its table */
    FIT_CONTRADICTION,  /* Kaplan's crossing of L(C) and L(D_opt(C)) */
    FIT_INFERENCE,      /* inference-aware choice of N and D */
    FIT_LR_OPT,         /* lr_opt(N) = k N^p through each cell's best lr (an lr axis) */
    FIT_BATCH_OPT,      /* batch_opt(C) = k C^p through each cell's best batch */
    FIT_SHAPE,          /* L / L(N) against d_model / n_layer at equal N and D */
    FIT_NUM_LAWS
} fit_law_id;

/* The key of a law ("L_N", ..., "inference"): its group in /fits, its name in the JSON. */
const char *fit_law_key(fit_law_id id);

typedef struct {
    const char *key;          /* short stable name, e.g. "L_N", the /fits group name */
    const char *formula;      /* the law as text */
    fit_status status;
    char message[320];        /* why it was skipped or failed, or a note on the fit */
    int n_quantities;
    fit_quantity quantity[FIT_MAX_QUANTITIES];
    /* the points used: x (N, D, C or budget), x2 (D for joint laws, else 0), y (loss,
       or N_opt for allocation laws), predicted; NULL when the law uses none */
    int64_t n_points;
    double *x, *x2, *y, *predicted;
    int x_unique; /* L_D, L_D_E: x is the unique tokens of data-limited runs */
    /* the fit_observation.run_index of the run each point came from (for a point of the
       L(C) frontier, the run whose curve holds the frontier there); NULL when the points
       are not runs (IsoFLOP minima) or the law uses none */
    int64_t *run_index;
    double rms_log_residual;  /* sqrt(mean (ln predicted - ln y)^2) */
    double r_squared;         /* of ln y */
    double objective;         /* what the fit minimised (Huber sum for Chinchilla, SSE else) */
    int starts;               /* starting points tried (Chinchilla: the grid) */
    int candidates, candidates_at_best; /* Chinchilla: see fit_chinchilla_result */
} fit_law;

typedef struct {
    double budget;            /* C of this profile */
    int n_points, n_distinct_n;
    double c0, c1, c2;        /* L = c0 + c1 x + c2 x^2, x = ln N */
    double n_opt, d_opt, loss_min;
    fit_status status;
    char message[160];
} fit_isoflop_profile;

typedef struct {
    uint64_t config_id;
    double n_params, tokens;
    int seeds;
    double mean, sd;          /* of the test loss over seeds (sd with n - 1) */
} fit_seed_group;

/* The transfer law of one source (Kaplan et al. 2020, section 3.2.2 and Figure 8): over the
 * runs (of one mixture), the held-out loss on it against the runs' own, a straight line
 * L_source = offset + slope L. Fitted from a results file whose runs are scored on several
 * sources (fit_transfer_laws in fit_results.h); a CSV has none. */
#define FIT_MAX_SOURCES 32
typedef struct {
    char source[64];
    int fitted;       /* 0: not determined (message says why) */
    int64_t n_points; /* runs used: ok, with a finite loss on both */
    double slope, offset, r_squared;
    double slope_lower, slope_upper, offset_lower, offset_upper; /* NaN without resamples */
    int resamples; /* resamples that determined a line */
    char message[160];
} fit_transfer;

/* A cell of the envelope: the configurations of one N, D (and everything else but the
 * hyperparameters), and the one the laws take, the lowest mean loss over its seeds. */
typedef struct {
    uint64_t cell_id, config_id; /* the cell's, and its chosen configuration's */
    double n_params, tokens;
    double hyper[FIT_HYPERS]; /* the chosen configuration's */
    double loss;              /* its mean loss */
    int configurations;       /* in the cell */
    int seeds;                /* of the chosen one */
} fit_cell;

typedef struct {
    fit_law law[FIT_NUM_LAWS];
    fit_isoflop_profile *profiles;  /* the parabolas of FIT_LAW_ISOFLOP */
    int n_profiles;
    fit_seed_group *seed_groups;    /* configurations with two or more seeds */
    int n_seed_groups;
    int n_table;
    double table[FIT_MAX_TABLE];    /* the budgets of the allocation tables */
    int64_t n_observations, n_used; /* rows given, rows that feed the fits */
    int64_t n_configurations;
    int bootstrap;                  /* resamples done */
    double confidence;
    double seconds_fit, seconds_bootstrap;
    char message[320];              /* about the input as a whole */
    /* every law's quantities in each resample, NaN where the law did not fit it:
       resamples[(b * FIT_NUM_LAWS + law) * FIT_MAX_QUANTITIES + slot], b < n_resamples
       (NULL without bootstrap): the bands of fit_law_band */
    double *resamples;
    int n_resamples;
    fit_transfer transfer[FIT_MAX_SOURCES]; /* of each source, when there are two or more */
    int n_transfers;
    /* the envelope: every cell, when some cell holds several configurations (else none, and
       every run feeds the laws) */
    fit_cell *cells;
    int64_t n_cells;
} fit_report;

/* Fits everything from the input. Returns 0 when the input could be read (each law then
 * has its own status), -1 when nothing could be fitted (report->message says why). In
 * both cases the report must be freed. */
int fit_run(const fit_input *input, const fit_options *options, fit_report *report);
void fit_report_free(fit_report *report);

/* A law's formula at x (and x2), from its quantities q in slot order (a fit_law's values,
 * or one resample's). output 0: the loss of L_N ... L_C_E (x = N, D or C), KAPLAN and
 * CHINCHILLA (x = N, x2 = D); N_opt of FRONTIER, ISOFLOP and ALLOCATION (x = C);
 * D_min of OVERFITTING (x = N). output 1: D_opt of FRONTIER, ISOFLOP and ALLOCATION. NaN
 * for anything else. */
double fit_law_value(fit_law_id id, int output, const double *q, double x, double x2);
/* The bootstrap band of fit_law_value at (x, x2): the report's confidence interval of the
 * resamples' values. 0, or -1 (NaN bounds) without two valid resamples. */
int fit_law_band(const fit_report *report, fit_law_id id, int output, double x, double x2,
                 double *lower, double *upper);

/* Two fits of one law compared (runs of two architectures, say): the loss ratio L_b / L_a
 * along the law at FIT_COMPARE_POINTS values of its variable evenly spaced in ln x over the
 * range both measured (both ranges, when they do not overlap), with bootstrap intervals
 * (resample r of b paired with resample r of a), and the first x where the laws cross
 * within 3 decades beyond that range, with the interval of the crossings of the resamples
 * that have one. For the single-variable laws (L_N, L_D, L_C and their forms with E). */
#define FIT_COMPARE_POINTS 5
typedef struct {
    fit_law_id law;
    double x_min, x_max; /* the range compared over */
    int overlap;         /* 0: the two ranges do not overlap (x_min, x_max span both) */
    int n_points;        /* 0: not compared (message says why) */
    double x[FIT_COMPARE_POINTS], ratio[FIT_COMPARE_POINTS];
    double ratio_lower[FIT_COMPARE_POINTS], ratio_upper[FIT_COMPARE_POINTS]; /* NaN: none */
    double search_min, search_max;   /* where a crossing was looked for */
    double crossing;                 /* NaN: none there */
    double crossing_lower, crossing_upper;
    int crossing_resamples;          /* resamples whose laws cross there */
    int resamples;                   /* resamples with both laws fitted */
    char message[160];
} fit_comparison;
/* 0, or -1 (message says why: a law not fitted in either, or not single-variable). */
int fit_compare(const fit_report *a, const fit_report *b, fit_law_id law, fit_comparison *out);
/* Two lines: the ratios with their intervals, and the crossing or its absence. */
void fit_print_comparison(FILE *out, const char *name_a, const char *name_b,
                          const fit_comparison *comparison);

/* A readable table of every law: parameters with intervals, fit quality, points used. */
void fit_print(FILE *out, const fit_report *report);
/* The transfer laws' table (nothing when there are none); fit_print ends with it. */
void fit_print_transfer(FILE *out, const fit_report *report);
/* The same as one JSON object; NaN and infinities are written as null. Returns 0 or -1
 * on a write error. */
int fit_write_json(FILE *out, const fit_report *report);
/* The same, and each law's points also name their runs: "run_ids" holds
 * run_ids[run_index] for each point (null where run_index is -1 or not below n_run_ids). */
int fit_write_json_runs(FILE *out, const fit_report *report, const char *const *run_ids,
                        int64_t n_run_ids);

/* ---- building blocks ---- */

/* L = (x_c/x)^alpha by least squares of ln L on ln x. out = {alpha, x_c}. */
fit_status fit_power_law(const double *x, const double *loss, int64_t n, double out[2],
                         char *message, size_t message_length);
/* L = E + (x_c/x)^alpha, least squares on ln L (GSL multifit_nlinear from several
 * starts). out = {E, alpha, x_c}. */
fit_status fit_power_law_e(const double *x, const double *loss, int64_t n, double out[3],
                           char *message, size_t message_length);
/* Kaplan's joint law, least squares on ln L. out = {alpha_N, alpha_D, N_c, D_c}. */
fit_status fit_kaplan(const double *n_params, const double *tokens, const double *loss,
                      int64_t n, double out[4], char *message, size_t message_length);

typedef struct {
    double delta;      /* Huber delta (1e-3) */
    int grid_stride;   /* 1: all 4500 starts */
    int threads;       /* 1 or more */
    /* instead of the grid, start only from these (a, b, e, alpha, beta) points */
    const double *starts;
    int n_starts;
    int polish;               /* best distinct end points polished (default 16, at most 16) */
    double polish_gradient;   /* polish until |gradient| < this times the number of points
                                 (default 1e-11; the bootstrap uses 1e-9) */
} fit_chinchilla_options;

#define FIT_CHINCHILLA_MAX_OPTIMA 8

typedef struct {
    double a, b, e, alpha, beta;  /* the optimum: A = exp(a), B = exp(b), E = exp(e) */
    double objective;             /* sum of Huber losses at the optimum */
    int starts;                   /* starting points run */
    int candidates;               /* best distinct end points of the first pass, polished */
    int candidates_at_best;       /* of them, those that reached the best (within 1e-8) */
    long evaluations;             /* of the objective and gradient, over all starts */
    /* distinct local optima found (best first), as (a, b, e, alpha, beta): the warm
       starts of the bootstrap */
    int n_optima;
    double optima[FIT_CHINCHILLA_MAX_OPTIMA][5];
} fit_chinchilla_result;

void fit_chinchilla_options_defaults(fit_chinchilla_options *options);
/* Chinchilla's fit as Hoffmann et al. did it: minimise
 *   sum_i w_i Huber_delta( LSE(a - alpha ln N_i, b - beta ln D_i, e) - ln L_i )
 * by L-BFGS (GSL vector_bfgs2) from every point of the grid alpha, beta in {0, 0.5, .., 2},
 * e in {-1, -0.5, .., 1}, a, b in {0, 5, .., 25}, keeping the best. weight may be NULL
 * (all 1). */
fit_status fit_chinchilla(const double *n_params, const double *tokens, const double *loss,
                          const double *weight, int64_t n, const fit_chinchilla_options *options,
                          fit_chinchilla_result *result, char *message, size_t message_length);
/* The objective and its gradient at p = (a, b, e, alpha, beta), for tests. */
double fit_chinchilla_objective(const double *n_params, const double *tokens,
                                const double *loss, int64_t n, double delta, const double p[5],
                                double gradient[5]);

/* Least-squares parabola y = c0 + c1 x + c2 x^2. */
fit_status fit_parabola(const double *x, const double *y, int64_t n, double c[3],
                        char *message, size_t message_length);

/* D_min(N) = k N^p = (alpha_D D_c / epsilon) (N / N_c)^(alpha_N / alpha_D). */
void fit_overfitting_bound(double alpha_n, double alpha_d, double n_c, double d_c,
                           double epsilon, double *k, double *p);
/* N_opt = G (C/6)^a, D_opt = (C/6)^b / G, G = (alpha A / (beta B))^(1/(alpha+beta)). */
void fit_chinchilla_allocation(double a_coef, double b_coef, double alpha, double beta,
                               double *g, double *a, double *b);
/* Kaplan's contradiction: where L(C) = (C_c/C)^alpha_C meets L(D) = (D_c/D)^alpha_D taken
 * along the compute-optimal data D_opt(C) = d0 C^b. Returns FIT_OK and the point, or
 * FIT_SKIPPED with the reason when the laws do not cross ahead. */
fit_status fit_contradiction(double alpha_c, double c_c, double alpha_d, double d_c,
                             double d0, double b, double *c_star, double *d_star,
                             double *l_star, char *message, size_t message_length);
/* Inference-aware choice: minimise 6 N D + 2 N D_inference subject to
 * E + A/N^alpha + B/D^beta = target. out = {N, D}. */
fit_status fit_inference_optimal(double e, double a_coef, double b_coef, double alpha,
                                 double beta, double target, double inference_tokens,
                                 double out[2], char *message, size_t message_length);

#endif
