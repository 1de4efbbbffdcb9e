/* Command-line entry points of the worker: `scalesweep train` and `scalesweep corpus`. */
#ifndef SCALESWEEP_CLI_H
#define SCALESWEEP_CLI_H

/* argv[0] is the subcommand's name. Return the process exit status. */
int train_main(int argc, char **argv);
int corpus_main(int argc, char **argv);

/* Exit statuses shared by every subcommand. */
enum {
    EXIT_USAGE = 2,    /* bad options or input */
    EXIT_DIVERGED = 3  /* the run diverged (recorded, not a crash) */
};

#endif
