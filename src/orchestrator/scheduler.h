/* The sweep over MPI. Rank 0 keeps the queue (largest cost 6ND first), hands a run to
 * whichever worker is free, receives its streamed curve points and its result, and is
 * the only writer of the results file; runs are trained by runner.h. Rank 0 never spins: it probes for messages and
 * sleeps between probes, backing off from 20 us to 2 ms while nothing arrives. With a
 * single rank, rank 0 trains the runs itself. */
#ifndef SCALESWEEP_SCHEDULER_H
#define SCALESWEEP_SCHEDULER_H

#include <mpi.h>

#include "plan.h"

typedef enum { SCHED_QUIET = 0, SCHED_NORMAL = 1, SCHED_VERBOSE = 2 } sched_verbosity;

typedef struct {
    sched_verbosity verbosity;
    int force;                /* accept a results file made by another plan */
    int no_fit;               /* do not fit the laws when the sweep is complete */
    const char *command_line; /* recorded in the results file */
    const char *version;
} sched_options;

/* SIGTERM, SIGUSR1 and SIGINT set the sweep's interrupt flag instead of killing the
 * process (USR1's default action). Install as early as possible after MPI_Init: the
 * batch scripts forward USR1 to every task, which may still be starting. */
void sched_install_signal_handlers(void);

/* Runs every run of the plan not already in its results file. Collective over comm.
 * Returns the process exit status (exit_status.h): EXIT_OK when every run ended (ok or
 * diverged), EXIT_FAILED when a run failed or the results file could not be written,
 * EXIT_INPUT when the results file was refused (another plan's, or locked by another
 * sweep) before anything ran, EXIT_INTERRUPTED when SIGTERM, SIGUSR1 or SIGINT stopped it
 * before the end: workers checkpoint their runs at the next step boundary into
 * OUTPUT.checkpoints/, which the next start continues from. An MPI failure ends the whole
 * job (MPI_Abort): when rank 0 sees it, after closing the results file; when a worker
 * does, at once, and the next start repairs the file as after any crash. */
int sched_run(const plan *p, MPI_Comm comm, const sched_options *options);

#endif
