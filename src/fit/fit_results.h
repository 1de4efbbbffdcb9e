/* The fit stage and the results file: reading a sweep's /runs and /curves into the fit's
 * input, writing the report into /fits, and the command line `scalesweep fit` that joins
 * them (docs/fit.md documents what users see; docs/results.md the file it reads).
 *
 * For a sweep that has just ended (rank 0, after store_close: the write takes the same
 * PATH.lock the store holds while it is open):
 *
 *   fit_options options;  fit_options_defaults(&options);
 *   fit_options_from_plan(plan, FIT_PLAN_ALL, &options);
 *   char err[1024];
 *   int status = fit_results_file(plan->output, &options, stdout, 0, err, sizeof err);
 *   if (status != 0) fprintf(stderr, "scalesweep: %s\n", err);
 *
 * or fit_results_file(path, NULL, ...) to take [fit] from the plan stored in the file.
 * No MPI in here. */
#ifndef SCALESWEEP_FIT_RESULTS_H
#define SCALESWEEP_FIT_RESULTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fit.h"
#include "plan.h"

/* A results file as the fit sees it: one observation per committed row of /runs, whose
 * run_index is the row; the curve points of the runs that can feed a fit; every row's
 * run id. */
typedef struct {
    fit_observation *observations;  /* (n_runs) */
    int64_t n_runs;
    fit_curve_point *curve;         /* (n_curve) */
    int64_t n_curve;
    char (*run_ids)[17];            /* (n_runs) 16 hex digits each */
    char *plan_text;                /* the root attribute plan_text ("" if absent) */
} fit_results;

/* Reads PATH read-only, as a SWMR reader (a sweep may be writing it): checks
 * schema_version == 1 and the columns, then maps each committed row of /runs:
 *   N = n_params, D = tokens, unique_tokens, C = flops, budget 0 (the fit groups IsoFLOP
 *   runs by C), loss = best_test_loss for runs that stopped early or are data-limited
 *   (unique_tokens < tokens), else final_test_loss; config_id = a hash of n_layer,
 *   d_model, n_head, n_ctx, batch, tokens, unique_tokens and lr (so seeds group); seed;
 *   run_index = row; ok = status "ok" and a finite loss;
 * and each ok run's /curves slice to points (tokens, flops, test_loss). Returns 0, or -1
 * with err (and HDF5's error stack on stderr when HDF5 failed). */
int fit_results_read(const char *path, fit_results *results, char *err, size_t errlen);
void fit_results_free(fit_results *results);

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
 * seed variance is always in; Kaplan's contradiction point when both c and d are; all of
 * them (PLAN_LAWS_ALL) is 0, every law. */
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
    FIT_PLAN_ALL = 7
};
/* Applies the plan's [fit] keys named by keys (bootstrap, seed, laws) to options. The
 * sweep's closing fit and `scalesweep fit` (the plan stored in the file, parsed by
 * plan_parse) both come through here, so [fit] means the same to both. */
void fit_options_from_plan(const plan *p, unsigned keys, fit_options *options);

/* Reads PATH, fits (options NULL: the defaults with the file's plan's [fit]), prints the
 * report to out (NULL: nothing; json: JSON instead of the table) and writes /fits.
 * Returns an exit status (exit_status.h): EXIT_OK (the fit ran; each law has its own
 * status, maybe degenerate), EXIT_INPUT (nothing could be read or fitted; /fits is still
 * written when the file could be read, saying why) or EXIT_FAILED (/fits or the JSON
 * could not be written), with err. */
int fit_results_file(const char *path, const fit_options *options, FILE *out, int json,
                     char *err, size_t errlen);

/* `scalesweep fit RESULTS.h5 [options]` and `scalesweep fit --csv FILE [options]`.
 * argv[0] is the subcommand's name ("fit"). Returns the exit status (exit_status.h). */
int fit_main(int argc, char **argv);

#endif
