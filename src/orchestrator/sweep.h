/* The sweep's command line: `scalesweep PLAN.ini [options]`, `scalesweep recover`, which
 * copies the intact runs of a damaged results file into a new one, and `scalesweep status`,
 * how far a sweep is. */
#ifndef SCALESWEEP_SWEEP_H
#define SCALESWEEP_SWEEP_H

/* argv[0] is the program, argv[1..] the plan and options. Returns the exit status. */
int sweep_main(int argc, char **argv, const char *version);
/* argv[0] is "recover", argv[1..] DAMAGED.h5 NEW.h5 and options (recover.c). */
int recover_main(int argc, char **argv);
/* argv[0] is "status", argv[1..] RESULTS.h5 and options (status.c). */
int status_main(int argc, char **argv);

#endif
