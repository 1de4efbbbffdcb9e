/* The widths of a sweep's runs and the order they start in: rank 0's plan for using every
 * rank (docs/plan.md, Wide runs).
 *
 * A run's time at width w is estimated as its cost (6ND) times the share of its batch on its
 * busiest rank (train_shards_per_member / batch), in units where one rank does one unit of
 * cost per unit of time. The makespan cannot be below
 *     max(total cost / ranks, max over runs of the time at its widest allowed width).
 * Each run gets the narrowest allowed width whose time is at most theta times that bound;
 * theta is chosen, among a few, by simulating the dispatch below on the estimated times and
 * keeping the shortest simulated makespan (ties: the larger theta, fewer wide runs). The
 * dispatch, the same in the simulation and in the sweep: whenever ranks are free, start the
 * costliest run not yet started whose width fits in them, until none fits. Wide runs come
 * first (they are the costly ones), narrow ones fill in around them, and each freed rank is
 * used as soon as some run fits. Ranks that no run left to start would ever ask for (free
 * ranks beyond the planned widths of all the runs not started) go to the run starting now,
 * up to its widest: the sweep's tail re-plans itself wider as ranks free up. */
#ifndef SCALESWEEP_SCHEDULE_H
#define SCALESWEEP_SCHEDULE_H

#include <stdint.h>

typedef struct schedule schedule;

typedef struct {
    int ranks;              /* ranks that train (the workers) */
    int max_ranks_per_run;  /* 0: no limit beyond the batch */
    int min_batch_per_rank; /* sequences each rank of a wide run takes at least */
} schedule_limits;

/* The widest width run i may have: what its batch allows within the limits. */
int schedule_widest(const schedule_limits *limits, int batch);
/* The estimated time of a run of this cost and batch at width w (cost units per rank). */
double schedule_time(double cost, int batch, int width);

/* Plans n runs (cost[i], batch[i]). NULL when out of memory. */
schedule *schedule_plan(const double *cost, const int *batch, int64_t n,
                        const schedule_limits *limits);
void schedule_free(schedule *s);
/* The run to start now on `free` free ranks: its number (0 .. n-1), with *width (its planned
 * width, or wider when ranks are spare); -1 when no run left fits. Each run is given once. */
int64_t schedule_next(schedule *s, int free, int *width);
/* Runs not given yet. */
int64_t schedule_left(const schedule *s);
/* The width planned for run i (schedule_next may give it more). */
int schedule_width(const schedule *s, int64_t i);

/* What the plan promises: the simulated makespan of its widths on estimated times, the lower
 * bound above, the efficiency (total cost / (ranks x makespan)), the theta chosen, and the
 * widest width and the number of wide runs as the simulated dispatch gave them. */
/* A run under way, for schedule_remaining: the time it has left (in the units of
 * schedule_time) and its width. */
typedef struct {
    double left;
    int width;
} schedule_running;

/* The time from now until the last run ends, in the units of schedule_time: the runs under
 * way end when their time left is over, and the runs not given yet start as the dispatch
 * would start them (schedule_next, in the same order and widths) on the ranks as they come
 * free. The sweep's ETA is this over its measured speed. Changes nothing in s; -1 when out
 * of memory. */
double schedule_remaining(const schedule *s, const schedule_running *running, int64_t n_running);

typedef struct {
    double makespan, lower_bound, efficiency, theta;
    int widest;
    int64_t wide_runs; /* runs of width > 1 */
} schedule_estimate;
void schedule_estimated(const schedule *s, schedule_estimate *out);

#endif
