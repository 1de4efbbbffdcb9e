/* The exit statuses of every scalesweep command, in one place (README.md and docs/ list
 * what each command means by them). Batch scripts read them: slurm/scalesweep.sbatch
 * requeues on EXIT_INTERRUPTED. */
#ifndef SCALESWEEP_EXIT_STATUS_H
#define SCALESWEEP_EXIT_STATUS_H

enum {
    EXIT_OK = 0,          /* done: every run ended (ok or diverged), the fit ran */
    EXIT_FAILED = 1,      /* something that ran failed: a run, a write of the results file,
                             of /fits, of the JSON or of a checkpoint */
    EXIT_INPUT = 2,       /* refused before anything ran: bad options, a bad plan, a bad or
                             foreign file, a results file of another plan or in use */
    EXIT_DIVERGED = 3,    /* `scalesweep train` only: the run diverged (recorded, not a crash) */
    EXIT_INTERRUPTED = 75 /* EX_TEMPFAIL: stopped by a signal with its state saved; the same
                             command continues */
};

#endif
