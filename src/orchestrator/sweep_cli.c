/* `scalesweep plan.ini`: validate the plan on rank 0, share it with every rank, run the
 * sweep. `--dry-run` lists the runs without starting MPI. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_options.h"
#include "exit_status.h"
#include "mpi_check.h"
#include "plan.h"
#include "results_hdf5.h"
#include "scheduler.h"
#include "sweep.h"

#define SWEEP_PROGRAM "scalesweep"

enum { O_DRY_RUN, O_FORCE, O_NO_FIT, O_QUIET, O_VERBOSE, O_HELP, O_COUNT };

/* clang-format off */
static const cli_option options[O_COUNT] = {
    [O_DRY_RUN] = {"dry-run", CLI_FLAG, NULL, "list the runs with N, D, C and their share of the cost; start nothing", 0},
    [O_FORCE] = {"force", CLI_FLAG, NULL, "resume into a results file made by a different plan", 0},
    [O_NO_FIT] = {"no-fit", CLI_FLAG, NULL, "do not fit the laws when the sweep is complete", 0},
    [O_QUIET] = {"quiet", CLI_FLAG, NULL, "print only errors and the final summary", 0},
    [O_VERBOSE] = {"verbose", CLI_FLAG, NULL, "also print every curve point as it arrives, and HDF5's error stack with an error", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};
/* clang-format on */

static const char usage[] =
    "usage: mpirun -n RANKS scalesweep PLAN.ini [options]\n"
    "       scalesweep PLAN.ini --dry-run\n"
    "Runs every run of the plan not yet in its results file ([sweep] output), on\n"
    "RANKS - 1 workers (with one rank, rank 0 trains the runs itself); when all have\n"
    "ended, rank 0 fits the laws (the plan's [fit]): a table on stdout, /fits in the file.\n"
    "Exit status: 0 every run ended (ok or diverged), 1 a run failed or the results\n"
    "file could not be written, 2 the plan or the command line is invalid or the\n"
    "results file was refused (another plan's without --force, or in use), 75\n"
    "interrupted by a signal (run the same command again to continue).\n";

typedef struct {
    int dry_run;
    sched_options sched;
} sweep_command;

static int set_option(void *user, int id, const cli_value *value)
{
    (void)value;
    sweep_command *c = user;
    switch (id) {
    case O_DRY_RUN: c->dry_run = 1; break;
    case O_FORCE: c->sched.force = 1; break;
    case O_NO_FIT: c->sched.no_fit = 1; break;
    case O_QUIET: c->sched.verbosity = SCHED_QUIET; break;
    case O_VERBOSE:
        c->sched.verbosity = SCHED_VERBOSE;
        results_hdf5_set_verbose(1);
        break;
    default: break;
    }
    return 0;
}

/* The command line as one string, for the results file. */
static char *join_arguments(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++)
        n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        strcat(s, argv[i]);
        if (i + 1 < argc)
            strcat(s, " ");
    }
    return s;
}

int sweep_main(int argc, char **argv, const char *version)
{
    sweep_command command = {0, {SCHED_NORMAL, 0, 0, NULL, version}};
    int first_operand;
    int parsed = cli_parse(SWEEP_PROGRAM, usage, options, O_COUNT, argc, argv, set_option,
                           &command, &first_operand);
    if (parsed != 0)
        return parsed > 0 ? EXIT_OK : EXIT_INPUT;
    if (first_operand != argc - 1) {
        fprintf(stderr, SWEEP_PROGRAM ": expected one plan file (see " SWEEP_PROGRAM
                        " --help)\n");
        return EXIT_INPUT;
    }
    const int dry_run = command.dry_run;
    sched_options options = command.sched;
    const char *path = argv[first_operand];
    char err[2048];

    if (dry_run) {
        plan p;
        if (plan_load(&p, path, err, sizeof err) != 0 ||
            plan_check_environment(&p, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            plan_free(&p); /* a failed load leaves the plan empty: freeing is safe */
            return EXIT_INPUT;
        }
        plan_print_runs(&p, stdout);
        plan_free(&p);
        return EXIT_OK;
    }

    /* errors come back as codes from here on, so that every check (mpi_check.h) is live;
     * MPI_Init itself can only be checked by its return */
    CHECK_MPI(MPI_Init(&argc, &argv));
    sched_install_signal_handlers();
    MPI_Comm comm = MPI_COMM_WORLD;
    CHECK_MPI(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
    int rank;
    CHECK_MPI(MPI_Comm_rank(comm, &rank));

    /* Rank 0 validates everything before any rank trains, then shares the text: every
     * rank expands the same runs from it. */
    plan p;
    long long text_length = -1;
    int valid = 0;
    if (rank == 0) {
        valid = plan_load(&p, path, err, sizeof err) == 0;
        if (valid && plan_check_environment(&p, err, sizeof err) != 0) {
            plan_free(&p);
            valid = 0;
        }
        if (!valid)
            fprintf(stderr, "%s\n", err);
        else
            text_length = (long long)strlen(p.text);
    }
    CHECK_MPI(MPI_Bcast(&text_length, 1, MPI_LONG_LONG, 0, comm));
    if (text_length < 0) {
        CHECK_MPI(MPI_Finalize());
        return EXIT_INPUT;
    }
    char *text = rank == 0 ? p.text : malloc((size_t)text_length + 1);
    if (!text) {
        fprintf(stderr, "scalesweep: rank %d: out of memory for the plan\n", rank);
        mpi_abort_job();
    }
    /* a plan is at most 1 MB (plan_load), well within an int count */
    CHECK_MPI(MPI_Bcast(text, (int)text_length + 1, MPI_CHAR, 0, comm));
    if (rank != 0) {
        valid = plan_parse(&p, path, text, err, sizeof err) == 0;
        free(text);
        if (!valid) {
            fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
            MPI_Abort(comm, EXIT_INPUT);
        }
    }
    char *command_line = join_arguments(argc, argv);
    options.command_line = command_line ? command_line : "";
    int status = sched_run(&p, comm, &options);
    free(command_line);
    plan_free(&p);
    CHECK_MPI(MPI_Finalize());
    return status;
}
