/* The fit stage and the results file: reading a sweep's /runs and /curves into the fit's
 * input, writing the report into /fits, and the command line `scalesweep fit` that joins
 * them (docs/fit.md documents what users see; docs/results.md the file it reads).
 *
 * For a sweep that has just ended (rank 0, after store_close: the write takes the same
 * PATH.lock the store holds while it is open):
 *
 *   fit_options options;  fit_options_defaults(&options);
 *   fit_options_from_plan(plan, FIT_PLAN_ALL, &options);
 *   fit_file_analysis a;
 *   char err[1024];
 *   if (fit_file_analyse(plan->output, &options, NULL, 0, FIT_FILE_WRITABLE, &a, err,
 *                        sizeof err) == 0) {
 *       fit_results_write(plan->output, &a.report, &a.results, &a.options, err, sizeof err);
 *       fit_file_analysis_free(&a);
 *   }
 *
 * No MPI in here. */
#ifndef SCALESWEEP_FIT_RESULTS_H
#define SCALESWEEP_FIT_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fit.h"
#include "plan.h"
#include "results_schema.h"

/* A results file as its reader sees it: the committed rows of /runs and the /curves rows
 * their slices cover, in the schema's rows (results_schema.h), and the stored plan. */
typedef struct {
    results_run *runs; /* (n_runs) committed rows of /runs, in file order */
    int64_t n_runs;
    results_point *points; /* (n_points) /curves rows from 0 to the end of the last slice */
    int64_t n_points;
    char *plan_text; /* the root attribute plan_text ("" if absent) */
    int schema;      /* the file's schema version (1 has no config_id) */
    /* the provenance of the root attributes ("" where the file has none) */
    char *version, *command_line, *created, *blas_core, *blas_config;
    double sgemm_gflops; /* NaN if absent */
    /* schema 6: the sources, each run's and each point's loss on every one (n_sources per row
       of runs and per point, in sources order); a file of schema 5 or older has none */
    results_source *sources;
    int n_sources;
    results_source_loss *source_losses;  /* (n_runs x n_sources) */
    results_source_point *source_points; /* (n_points x n_sources) */
    /* what fit_results_select kept: "" (everything, the mixtures' own loss), or e.g.
       "mixture press; loss on fiction" */
    char selection[400];
    char selection_source[RESULTS_SOURCE_SIZE]; /* the source whose loss it took, or "" */
} fit_results;

/* Which runs a fit takes, and which loss: runs of one mixture (its text as /runs mixture has
 * it; NULL: every run), scored on one source (its name; NULL: the mixture's own loss). */
typedef struct {
    const char *mixture;
    const char *source;
    const char *architecture; /* the runs of one architecture (/runs architecture); NULL: every
                                 run, which must then be of one */
} fit_selection;

/* The distinct mixtures of the runs, in the order they first appear (pointers into runs):
 * their count, at most max of them in names. */
int fit_results_mixtures(const fit_results *results, const char **names, int max);
/* The same of their architectures (an older file's runs are transformers). */
int fit_results_architectures(const fit_results *results, const char **names, int max);
/* Keeps the runs of sel's mixture, with the losses (final, best, and the curve's) on sel's
 * source in place of their own, and records the choice in results->selection. Refused with
 * err (the names there are to choose from): a mixture no run has, a source the file does not
 * have (or a file of schema 5 or older, which has none), and with no mixture given, runs of
 * several mixtures (a law holds for one training distribution), and with no architecture
 * given, runs of several architectures. Returns 0 or -1. */
int fit_results_select(fit_results *results, const fit_selection *sel, const char *path, char *err,
                       size_t errlen);

/* Reads PATH read-only, as a SWMR reader (a sweep may be writing it): checks the schema
 * version and the columns, reads every committed row of /runs and the /curves rows they
 * point at. A damaged file (results_open_readable, results_check_tables_inside) fails at
 * once. Returns 0, or -1 with err, one line (HDF5's error stack on stderr too with
 * results_hdf5_set_verbose). */
int fit_results_read(const char *path, fit_results *results, char *err, size_t errlen);
void fit_results_free(fit_results *results);

/* The fit's input from a results file (fit_observations.c), where its policy lives: one
 * observation per row of /runs, run_index = the row:
 *   N = n_params, D = tokens, unique_tokens, C = flops, budget 0 (the fit groups IsoFLOP
 *   runs by C), loss = best_test_loss for runs that stopped early or are data-limited
 *   (unique_tokens < tokens), else final_test_loss; ok = status "ok" and a finite loss;
 *   config_id = the config_id column; for a schema 1 file (which has none) the config_id
 *   of the stored plan's run of that run id (stored: the parsed plan_text, NULL when it
 *   does not parse) when the plan holds every run, else for every run a hash of the
 *   columns that scalesweep before schema 2 grouped seeds by (*unmatched: the runs the
 *   plan does not hold);
 * and the points (tokens, flops, test_loss) of the /curves slice of each ok run. Returns 0
 * with *observations (n_runs) and *curve (*n_curve) malloc'd, or -1 when out of memory. */
/* Whether a run is measured by its best loss rather than its final one: it stopped early or
 * is data-limited (unique_tokens < tokens). The one rule for every loss of a run. */
int fit_run_uses_best(const results_run *run);
int fit_observations_from_results(const fit_results *results, const plan *stored,
                                  fit_observation **observations, fit_curve_point **curve,
                                  int64_t *n_curve, int64_t *unmatched);

/* A results file read and fitted: what `scalesweep fit`, the sweep's end and the report
 * start from. */
typedef struct {
    fit_results results;
    fit_observation *observations; /* (results.n_runs) the fit's input, row by row */
    fit_curve_point *curve;
    int64_t n_curve;
    const char **run_ids; /* (results.n_runs) into results.runs */
    fit_options options;  /* as used: the given ones with the stored plan's [fit] */
    fit_report report;
    int fitted; /* fit_run's return: 0, or -1 when no law could be attempted */
} fit_file_analysis;

enum {
    FIT_FILE_QUIET = 1, /* no notes on stderr (an old schema, a stored plan that does not parse) */
    FIT_FILE_WRITABLE = 2 /* refuse before fitting when /fits could not be written now */
};
/* Reads PATH (fit_results_read), keeps what select asks for (fit_results_select; NULL:
 * every run, which must then be of one mixture), takes the FIT_PLAN_* keys of from_plan from the plan
 * stored in it over given, and fits. Returns 0 (then free it), or EXIT_INPUT with err when
 * the file cannot be read or has no runs, EXIT_FAILED when out of memory or (with
 * FIT_FILE_WRITABLE) when a sweep holds the file's lock. */
int fit_file_analyse(const char *path, const fit_options *given, const fit_selection *select,
                     unsigned from_plan, unsigned flags, fit_file_analysis *analysis, char *err,
                     size_t errlen);
void fit_file_analysis_free(fit_file_analysis *analysis);

/* The architectures of PATH's runs (/runs architecture), in the order they first appear: 0 to
 * max into names (each up to 15 characters), or -1 with err when the file cannot be read. */
#define FIT_MAX_ARCHITECTURES 4
int fit_file_architectures(const char *path, char names[][16], int max, char *err, size_t errlen);
/* The comparison of n analyses, one of each architecture (names[i] of analyses[i]): every
 * later one against the first, along L(N), L(C) and L(D) where both fitted them
 * (fit_compare): a heading and two lines a law. */
void fit_print_architectures(FILE *out, const fit_file_analysis *analyses,
                             const char *const *names, int n);

/* Fits the transfer law (fit.h's fit_transfer) of every source of an analysed file into
 * analysis->report.transfer, with the analysis's bootstrap and confidence: none when the runs
 * are scored on fewer than two sources or the analysis took one source's loss. fit_file_analyse
 * calls it. Returns 0, or -1 when out of memory. */
int fit_transfer_laws(fit_file_analysis *analysis);

/* Writes the report into PATH's /fits, replacing any /fits already there. Takes the
 * flock on PATH.lock (refused while a sweep writes the file), opens it read-write (not
 * SWMR), builds the new group as /fits_new, then deletes the old /fits and renames:
 * /runs and /curves are never written. results gives the run ids of each law's points
 * (NULL: no run_ids datasets); options gives the seed recorded (NULL: defaults).
 * Returns 0, or -1 with err. Layout in docs/fit.md. */
int fit_results_write(const char *path, const fit_report *report, const fit_results *results,
                      const fit_options *options, char *err, size_t errlen);

/* Whether fit_results_write could take PATH's lock now (it does not keep it): lets a
 * command refuse before a long fit rather than after. Returns 0, or -1 with err. */
int fit_results_writable(const char *path, char *err, size_t errlen);

/* fit_options.laws for a set of plan.h's PLAN_LAW_* bits (plan.laws, [fit] laws). The
 * seed variance is always in; Kaplan's contradiction point when both c and d are. */
unsigned fit_laws_from_groups(unsigned groups);
/* Parses a comma-separated list of group names (n, d, c, kaplan, chinchilla, isoflop,
 * all, as in plan.ini) or law keys (L_N, L_N_E, ..., inference: fit_law_key), any case,
 * into fit_options.laws. Returns 0, or -1 with err naming the bad item. */
int fit_laws_parse(const char *list, unsigned *laws, char *err, size_t errlen);

/* The keys of a plan's [fit] section. */
enum {
    FIT_PLAN_BOOTSTRAP = 1 << 0,
    FIT_PLAN_SEED = 1 << 1,
    FIT_PLAN_LAWS = 1 << 2,
    FIT_PLAN_FRONTIER = 1 << 3,
    FIT_PLAN_ALL = 15
};
/* Applies the plan's [fit] keys named by keys (bootstrap, seed, laws) to options. The
 * sweep's closing fit and `scalesweep fit` (the plan stored in the file, parsed by
 * plan_parse) both come through here, so [fit] means the same to both. */
void fit_options_from_plan(const plan *p, unsigned keys, fit_options *options);

/* `scalesweep fit RESULTS.h5 [options]` and `scalesweep fit --csv FILE [options]`.
 * argv[0] is the subcommand's name ("fit"). Returns the exit status (exit_status.h). */
int fit_main(int argc, char **argv);

#endif
