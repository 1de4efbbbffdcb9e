/* `scalesweep plan.ini`: validate the plan on rank 0, share it with every rank, run the
 * sweep. `--dry-run` lists the runs without starting MPI. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plan.h"
#include "scheduler.h"
#include "sweep.h"

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: mpirun -n RANKS scalesweep PLAN.ini [options]\n"
            "       scalesweep PLAN.ini --dry-run\n"
            "Runs every run of the plan not yet in its results file ([sweep] output), on\n"
            "RANKS - 1 workers (with one rank, rank 0 trains the runs itself); when all have\n"
            "ended, rank 0 fits the laws (the plan's [fit]): a table on stdout, /fits in the file.\n\n"
            "  --dry-run     list the runs with N, D, C and their share of the cost; start nothing\n"
            "  --force       resume into a results file made by a different plan\n"
            "  --no-fit      do not fit the laws when the sweep is complete\n"
            "  --quiet       print only errors and the final summary\n"
            "  --verbose     also print every curve point as it arrives\n"
            "  --help        show this help\n\n"
            "Exit status: 0 every run ended (ok or diverged), 1 a run failed or the results\n"
            "file could not be written, 2 the plan or the command line is invalid or the\n"
            "results file was refused (another plan's without --force, or in use).\n");
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
    static const struct option longopts[] = {{"dry-run", no_argument, NULL, 'n'},
                                             {"force", no_argument, NULL, 'f'},
                                             {"no-fit", no_argument, NULL, 'F'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int dry_run = 0;
    sched_options options = {SCHED_NORMAL, 0, 0, NULL, version};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': dry_run = 1; break;
        case 'f': options.force = 1; break;
        case 'F': options.no_fit = 1; break;
        case 'q': options.verbosity = SCHED_QUIET; break;
        case 'v': options.verbosity = SCHED_VERBOSE; break;
        case 'h': print_help(stdout); return 0;
        default:
            fprintf(stderr, "scalesweep: unknown option '%s' (see scalesweep --help)\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "scalesweep: expected one plan file (see scalesweep --help)\n");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    char err[2048];

    if (dry_run) {
        plan p;
        if (plan_load(&p, path, err, sizeof err) != 0 ||
            plan_check_environment(&p, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            plan_free(&p); /* a failed load leaves the plan empty: freeing is safe */
            return EXIT_USAGE;
        }
        plan_print_runs(&p, stdout);
        plan_free(&p);
        return 0;
    }

    MPI_Init(&argc, &argv);
    sched_install_signal_handlers();
    MPI_Comm comm = MPI_COMM_WORLD;
    /* errors come back as codes, so that the checks in sched.c are not dead code */
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    int rank;
    MPI_Comm_rank(comm, &rank);

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
    MPI_Bcast(&text_length, 1, MPI_LONG_LONG, 0, comm);
    if (text_length < 0) {
        MPI_Finalize();
        return EXIT_USAGE;
    }
    char *text = rank == 0 ? p.text : malloc((size_t)text_length + 1);
    MPI_Bcast(text, (int)text_length + 1, MPI_CHAR, 0, comm);
    if (rank != 0) {
        valid = plan_parse(&p, path, text, err, sizeof err) == 0;
        free(text);
        if (!valid) {
            fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
            MPI_Abort(comm, EXIT_USAGE);
        }
    }
    char *command_line = join_arguments(argc, argv);
    options.command_line = command_line ? command_line : "";
    int status = sched_run(&p, comm, &options);
    free(command_line);
    plan_free(&p);
    MPI_Finalize();
    return status;
}
