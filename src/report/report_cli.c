/* `scalesweep report RESULTS.h5 [-o DIR]` (report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "exit_status.h"
#include "plan.h"
#include "report_internal.h"
#include "results_hdf5.h"

/* clang-format off */
enum {
    O_OUTPUT, O_ARCHITECTURE, O_MIXTURE, O_SOURCE, O_BOOTSTRAP, O_SEED, O_THREADS, O_SUMMARY, O_QUIET, O_VERBOSE,
    O_HELP, O_COUNT
};

static const cli_option options[O_COUNT] = {
    [O_OUTPUT] = {"output", CLI_TEXT, "DIR", "the report's folder (RESULTS.h5.report)", 'o'},
    [O_ARCHITECTURE] = {"architecture", CLI_TEXT, "A", "the runs of one architecture, transformer or lstm; needed when a file holds both (then the folder is RESULTS.h5.report-A)", 0},
    [O_MIXTURE] = {"mixture", CLI_TEXT, "M", "the runs of one mixture, as /runs mixture writes it; needed when a file holds several (then the folder is RESULTS.h5.report-M)", 0},
    [O_SOURCE] = {"source", CLI_TEXT, "NAME", "the laws on one source's held-out loss instead of the mixture's own", 0},
    [O_BOOTSTRAP] = {"bootstrap", CLI_COUNT, "N", "bootstrap resamples for the intervals and bands, 0 = none (the plan's [fit] bootstrap, else 1000)", 0},
    [O_SEED] = {"seed", CLI_COUNT, "S", "seed of the bootstrap (the plan's [fit] seed, else 1)", 0},
    [O_THREADS] = {"threads", CLI_COUNT, "T", "threads for the fit, 1 to 16 (2)", 0},
    [O_SUMMARY] = {"summary", CLI_FLAG, NULL, "also print the short summary of the laws", 0},
    [O_QUIET] = {"quiet", CLI_FLAG, NULL, "print nothing but errors", 'q'},
    [O_VERBOSE] = {"verbose", CLI_FLAG, NULL, "with an error, also HDF5's error stack", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};
/* clang-format on */

static const char usage[] =
    "usage: scalesweep report RESULTS.h5 [-o DIR] [options]\n"
    "Fits the laws of a results file (as scalesweep fit does, with the [fit] of the plan\n"
    "stored in it, without writing /fits) and draws them: PNG and SVG figures and\n"
    "DIR/index.html, one page that works offline, with the headline laws, the tables and\n"
    "the provenance. A figure the data cannot support is left out with its reason.\n"
    "docs/report.md says what each figure shows. The file may be one a sweep is writing.\n"
    "Exit status: 0 the report was written, 1 it could not be written, 2 bad options or\n"
    "a file that cannot be read or has no runs.\n";

typedef struct {
    fit_options fit;
    unsigned from_plan; /* the [fit] keys the command line leaves to the stored plan */
    const char *results_path, *dir;
    fit_selection select;
    int summary, quiet;
} report_command;

static int set_option(void *user, int id, const cli_value *v)
{
    report_command *c = user;
    const cli_option *o = &options[id];
    switch (id) {
    case O_OUTPUT: c->dir = v->text; break;
    case O_ARCHITECTURE: c->select.architecture = v->text; break;
    case O_MIXTURE: c->select.mixture = v->text; break;
    case O_SOURCE: c->select.source = v->text; break;
    case O_BOOTSTRAP:
        if (v->count > PLAN_FIT_MAX_BOOTSTRAP)
            return cli_bad_value(REPORT_PROGRAM, o, v->text, "at most 1e7 resamples, as in plans");
        c->fit.bootstrap = (int)v->count;
        c->from_plan &= ~(unsigned)FIT_PLAN_BOOTSTRAP;
        break;
    case O_SEED:
        if (v->count > PLAN_MAX_SEED)
            return cli_bad_value(REPORT_PROGRAM, o, v->text, "a seed of at most 1e15, as in plans");
        c->fit.bootstrap_seed = (uint64_t)v->count;
        c->from_plan &= ~(unsigned)FIT_PLAN_SEED;
        break;
    case O_THREADS:
        if (v->count < 1 || v->count > 16)
            return cli_bad_value(REPORT_PROGRAM, o, v->text, "1 to 16 threads");
        c->fit.threads = (int)v->count;
        break;
    case O_SUMMARY: c->summary = 1; break;
    case O_QUIET: c->quiet = 1; break;
    case O_VERBOSE: results_hdf5_set_verbose(1); break;
    default: break;
    }
    return 0;
}

int report_main(int argc, char **argv)
{
    report_command c;
    memset(&c, 0, sizeof c);
    fit_options_defaults(&c.fit);
    c.from_plan = FIT_PLAN_ALL;
    int first;
    int status =
        cli_parse(REPORT_PROGRAM, usage, options, O_COUNT, argc, argv, set_option, &c, &first);
    if (status != 0)
        return status > 0 ? EXIT_OK : EXIT_INPUT;
    if (first != argc - 1) {
        fprintf(stderr, REPORT_PROGRAM ": give one results file (see " REPORT_PROGRAM " --help)\n");
        return EXIT_INPUT;
    }
    c.results_path = argv[first];
    char dir[4200], err[2048];
    if (c.dir)
        snprintf(dir, sizeof dir, "%s", c.dir);
    else
        report_default_dir(c.results_path, &c.select, dir, sizeof dir);
    fit_file_analysis a;
    status = fit_file_analyse(c.results_path, &c.fit, &c.select, c.from_plan,
                              c.quiet ? FIT_FILE_QUIET : 0, &a, err, sizeof err);
    if (status != 0) {
        fprintf(stderr, REPORT_PROGRAM ": %s\n", err);
        return status;
    }
    int figures = 0, left_out = 0;
    if (report_write(c.results_path, &a, dir, &figures, &left_out, err, sizeof err) != 0) {
        fprintf(stderr, REPORT_PROGRAM ": %s\n", err);
        fit_file_analysis_free(&a);
        return EXIT_FAILED;
    }
    if (c.summary)
        report_summary(stdout, &a);
    if (!c.quiet)
        fprintf(stderr, REPORT_PROGRAM ": %d figures (%d left out) and %s/index.html\n", figures,
                left_out, dir);
    fit_file_analysis_free(&a);
    return EXIT_OK;
}
