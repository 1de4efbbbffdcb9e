/* The sweep's command line: `scalesweep PLAN.ini [options]`. */
#ifndef SCALESWEEP_SWEEP_H
#define SCALESWEEP_SWEEP_H

/* argv[0] is the program, argv[1..] the plan and options. Returns the exit status. */
int sweep_main(int argc, char **argv, const char *version);

#endif
