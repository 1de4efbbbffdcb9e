/* One run of a sweep, start to end, on whichever rank holds it, behind a table of
 * trainers. An entry says how to start a run (afresh, or from its checkpoint), take a
 * step, show its curve, checkpoint it and give its result: the transformer (src/worker's
 * train_run) and the stand-in of synthetic.h are its two entries, and a second
 * architecture is a third. The runner does everything else the same way for every entry:
 * it streams each new curve point, reports its progress every few seconds, checkpoints
 * periodically and when a signal asks, watches for crashes of its process, and fills the
 * run's row of the results file. */
#ifndef SCALESWEEP_RUNNER_H
#define SCALESWEEP_RUNNER_H

#include <signal.h>
#include <stdint.h>

#include "plan.h"
#include "results_schema.h"
#include "train.h"

typedef struct runner runner;

/* How far a run is: the steps done of its total (train_total_steps; a run that stops early
 * ends before it), and its speed on this rank since it started here. */
typedef struct {
    int64_t step, total_steps;
    double tokens_per_second; /* 0 until it has taken a step here */
} runner_progress;

/* The leader reports a run's progress when it starts and then at most this often (between
 * steps, so not at all during a step that takes longer). */
#define RUNNER_PROGRESS_SECONDS 2.0

/* Where a run's curve points and progress reports go (over MPI to rank 0, or into rank 0's
 * own state). point returns 0, or -1 when a point could not be taken; progress cannot fail
 * (a lost report costs nothing but its line). */
typedef struct {
    int (*point)(void *context, int64_t index, const curve_point *point);
    void (*progress)(void *context, int64_t index, const runner_progress *progress);
    void *context;
} runner_sink;

/* Sets up a rank to train the plan's runs: loads the corpus once when the plan's trainer
 * reads one. A rank whose corpus does not load still gets a runner (the reason is printed),
 * and each run it is given fails with that reason. NULL only when out of memory. */
runner *runner_open(const plan *p, int rank);
void runner_close(runner *r);

/* Whether the plan's trainer keeps checkpoints, and with them crash counts, in the
 * sweep's checkpoint folder (checkpoint_folder.h). */
int runner_keeps_checkpoints(const plan *p);

/* Trains run `index` of the plan to its end, giving every curve point to the sink in order (a
 * run continued from its checkpoint gives its curve so far again: rank 0 keeps nothing of
 * an unfinished run), and its progress every RUNNER_PROGRESS_SECONDS. With a group
 * (train.h; NULL: alone) every member calls this at once and they train the run together;
 * the leader (member 0) alone gives points and progress and writes checkpoints, and every
 * member returns the same. Reporting reads the trainer's state and changes nothing in it. While *interrupt is 0 on every member it
 * goes on; once a signal sets it on any, a trainer that keeps checkpoints stops at the next
 * step boundary. Returns 0 with *row filled (ok, diverged or failed, with the reason), or 1
 * when interrupted: the checkpoint is written and *stopped_step says at which step. */
int runner_execute(runner *r, int64_t index, train_group *group, volatile sig_atomic_t *interrupt,
                   const runner_sink *sink, results_run *row, int64_t *stopped_step);

/* The rows of /sources for the plan's sources (sizes 0 for a trainer that reads no text). */
void runner_sources(const plan *p, results_source *rows);

/* The row of a run that could not run (status failed, with reason), from this rank. */
void runner_failed_row(const plan *p, int64_t index, int rank, const char *reason,
                       results_run *row);

#endif
