/* Command-line entry points of the worker: `scalesweep train` and `scalesweep corpus`. */
#ifndef SCALESWEEP_CLI_H
#define SCALESWEEP_CLI_H

/* argv[0] is the subcommand's name. Return the process exit status. */
int train_main(int argc, char **argv);
int corpus_main(int argc, char **argv);

#endif
