/* scalesweep: the command line. Dispatches to the parts; holds no logic of its own. */
#include <stdio.h>
#include <string.h>

#include "blas_core.h"
#include "cli.h"
#include "exit_status.h"
#include "fit_results.h"
#include "report.h"
#include "sweep.h"

static void print_usage(FILE *out)
{
    fprintf(
        out,
        "usage:\n"
        "  mpirun -n RANKS scalesweep PLAN.ini [options]   run a sweep (see PLAN.ini --help)\n"
        "  scalesweep PLAN.ini --dry-run        list a plan's runs and their cost\n"
        "  scalesweep fit RESULTS.h5 [options] fit the scaling laws again (see fit --help)\n"
        "  scalesweep status RESULTS.h5        how far its sweep is: runs done, under way, ETA\n"
        "  scalesweep report RESULTS.h5 [-o DIR]  figures and a page of the laws (see report --help)\n"
        "  scalesweep train [options]          one training run, no MPI (see train --help)\n"
        "  scalesweep recover DAMAGED.h5 NEW.h5  copy the intact runs of a damaged results file\n"
        "  scalesweep corpus brown SRC OUT     prepare the Brown Corpus as plain text\n"
        "  scalesweep --help | --version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_INPUT;
    }
    const char *command = argv[1];
    if (strcmp(command, "status") == 0) /* reads files only: no BLAS to choose */
        return status_main(argc - 1, argv + 1);
    /* before anything trains or fits (and before MPI_Init): the right BLAS kernels, which
       may mean running again */
    if (strcmp(command, "corpus") != 0 && strcmp(command, "recover") != 0 &&
        strcmp(command, "--help") != 0 && strcmp(command, "-h") != 0)
        blas_core_correct(argv);
    if (strcmp(command, "train") == 0)
        return train_main(argc - 1, argv + 1);
    if (strcmp(command, "fit") == 0)
        return fit_main(argc - 1, argv + 1);
    if (strcmp(command, "report") == 0)
        return report_main(argc - 1, argv + 1);
    if (strcmp(command, "corpus") == 0)
        return corpus_main(argc - 1, argv + 1);
    if (strcmp(command, "recover") == 0)
        return recover_main(argc - 1, argv + 1);
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(command, "--version") == 0) {
        char line[512];
        blas_core_describe(line, sizeof line, blas_sgemm_gflops());
        printf("scalesweep %s\n%s\n", SCALESWEEP_VERSION, line);
        return EXIT_OK;
    }
    /* anything else is a plan and its options */
    return sweep_main(argc, argv, SCALESWEEP_VERSION);
}
