/* Rank 0's progress of a sweep: the counts of its runs, the runs under way and how far each
 * is (from the reports of runner.h), the ETA, and the state line (progress_state.h) that it
 * prints every [sweep] progress_seconds and writes into the sidecar OUTPUT.progress for
 * `scalesweep status`.
 *
 * The ETA: the speed is measured as schedule units done per rank-second (schedule_time of
 * each run's cost 6ND at its width, times its width, over the seconds its ranks have spent on
 * it; the finished runs and the reported share of the running ones), and what is left (the
 * rest of the runs under way, and the runs not started yet, dispatched on the ranks as they
 * come free: schedule_remaining) is that many seconds at that speed.
 *
 * On a terminal (stderr) the state line is one line rewritten in place, and every other line
 * (a finished run, a message: progress_say) prints above it; otherwise, as in a log or under
 * mpirun (which passes rank 0's stderr through a pipe), each state is a line of its own. */
#ifndef SCALESWEEP_PROGRESS_H
#define SCALESWEEP_PROGRESS_H

#include <stdint.h>

#include "plan.h"
#include "results_schema.h"
#include "runner.h"
#include "schedule.h"

typedef struct progress progress;

typedef struct {
    int64_t total;   /* runs in the plan */
    int64_t skipped; /* already in the results file */
    int64_t to_run;
    int64_t done, failed, diverged, running, interrupted; /* of the runs of this start */
    double busy_seconds;                                  /* seconds x ranks of the runs done */
    double start;                                         /* clock_seconds() at the start */
} progress_counts;

/* Starts the progress of a sweep of plan p whose runs not in the file (to_run of them) are
 * planned by s for `ranks` ranks that train; print: lines on stderr (not --quiet). Writes
 * the sidecar at once (a warning, once, when it cannot). NULL when out of memory. */
progress *progress_open(const plan *p, const schedule *s, int ranks, int64_t skipped,
                        int64_t to_run, int print);
/* Clears the terminal's state line and removes the sidecar (the sweep has ended, whatever
 * its status). */
void progress_close(progress *g);
const progress_counts *progress_counts_of(const progress *g);

/* Run `index` was handed to `width` ranks. */
void progress_started(progress *g, int64_t index, int width);
/* Its leader reported. */
void progress_reported(progress *g, int64_t index, const runner_progress *report);
/* It ended and its row is in the file: counted, and its line printed. */
void progress_finished(progress *g, int64_t index, const results_run *row);
/* It stopped without a row: interrupted (its checkpoint continues it), or its row could not
 * be written. */
void progress_stopped(progress *g, int64_t index, int interrupted);

/* The state line and the sidecar, when progress_seconds have passed since the last ones;
 * the sidecar alone, within a second of runs that started or ended. */
void progress_tick(progress *g);
/* When the next tick is due (clock_seconds); INFINITY when none is. */
double progress_next_tick(const progress *g);

/* A line of rank 0's own on stderr (fmt ends in \n), above the terminal's state line. */
void progress_say(progress *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
