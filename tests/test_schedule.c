/* The widths and the dispatch of schedule.h: every run given once at a width its batch and
 * the limits allow, never more ranks than are free, one rank means no wide run; and on the
 * cost profiles of the shipped plans the simulated efficiency meets issue 13's targets
 * (>= 0.75 on 16 ranks and >= 0.5 on 64) or, where the batch bounds every schedule below
 * them, reaches that bound; the makespan is never below its lower bound.
 *
 *   test_schedule JOBS_DIR */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plan.h"
#include "schedule.h"
#include "train.h"

/* Gives every run with `free` ranks at a time, as the sweep does when all ranks are free
 * each round: checks each once, at a width that fits and that the batch allows. */
static void check_dispatch(const char *name, schedule *s, const int *batch, int64_t n,
                           const schedule_limits *limits)
{
    char *given = calloc((size_t)n, 1);
    int64_t count = 0;
    int bad_width = 0, bad_fit = 0;
    while (schedule_left(s) > 0) {
        int free = limits->ranks, width;
        int64_t i;
        int round = 0;
        while ((i = schedule_next(s, free, &width)) >= 0) {
            round++;
            if (i < 0 || i >= n || given[i]) {
                check(0, "%s: run %lld given twice or out of range", name, (long long)i);
                free = 0;
                break;
            }
            given[i] = 1;
            count++;
            bad_fit += width > free;
            bad_width += train_width_at_most(batch[i], width) != width ||
                         width > schedule_widest(limits, batch[i]) || width < schedule_width(s, i);
            free -= width;
        }
        if (round == 0)
            break;
    }
    check(count == n, "%s: %lld of %lld runs given", name, (long long)count, (long long)n);
    check(bad_width == 0 && bad_fit == 0, "%s: %d widths not allowed, %d not fitting", name,
          bad_width, bad_fit);
    free(given);
}

static void test_plan_profile(const char *jobs, const char *file, int ranks, double target)
{
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/%s", jobs, file);
    plan p;
    if (plan_load(&p, path, err, sizeof err) != 0) {
        check(0, "%s: %s", path, err);
        return;
    }
    double *cost = malloc(sizeof *cost * (size_t)p.n_runs);
    int *batch = malloc(sizeof *batch * (size_t)p.n_runs);
    for (int64_t i = 0; i < p.n_runs; i++) {
        cost[i] = p.runs[i].cost;
        batch[i] = p.runs[i].config.batch;
    }
    const schedule_limits limits = {ranks, 0, 1};
    schedule *s = schedule_plan(cost, batch, p.n_runs, &limits);
    schedule_estimate e;
    schedule_estimated(s, &e);
    printf("%-16s %3d ranks: efficiency %.3f (target %.2f), makespan %.3fx the bound, %lld wide "
           "runs, widest %d, theta %.2f\n",
           file, ranks, e.efficiency, target, e.makespan / e.lower_bound, (long long)e.wide_runs,
           e.widest, e.theta);
    /* the target, or as close as the batch lets any schedule come: the lower bound itself */
    const double best = e.efficiency * e.makespan / e.lower_bound;
    check(e.efficiency >= target || e.makespan <= e.lower_bound * (1 + 1e-9),
          "%s on %d ranks: efficiency %.3f below %.2f (the batch allows %.3f)", file, ranks,
          e.efficiency, target, best);
    check(e.makespan >= e.lower_bound * (1 - 1e-12), "%s: makespan below its lower bound", file);
    check_dispatch(file, s, batch, p.n_runs, &limits);
    schedule_free(s);
    free(cost);
    free(batch);
    plan_free(&p);
}

/* Invented profiles: limits respected, one rank gives no wide run, equal runs stay narrow. */
static void test_limits(void)
{
    enum { N = 40 };
    double cost[N];
    int batch[N];
    for (int i = 0; i < N; i++) {
        cost[i] = i == 0 ? 1000.0 : 1.0 + i % 7;
        batch[i] = i % 3 == 0 ? 12 : 16;
    }
    const schedule_limits one = {1, 0, 1};
    schedule *s = schedule_plan(cost, batch, N, &one);
    schedule_estimate e;
    schedule_estimated(s, &e);
    check(e.wide_runs == 0 && e.widest == 1, "one rank: no wide run (%lld)",
          (long long)e.wide_runs);
    check_dispatch("one rank", s, batch, N, &one);
    schedule_free(s);

    const schedule_limits capped = {32, 4, 1};
    s = schedule_plan(cost, batch, N, &capped);
    schedule_estimated(s, &e);
    /* batch 12 on at most 4 ranks: 3 (blocks of 4); batch 16: 4 */
    check(e.widest <= 4 && schedule_width(s, 0) == 3, "max_ranks_per_run 4: widest %d, run 0 %d",
          e.widest, schedule_width(s, 0));
    check_dispatch("capped", s, batch, N, &capped);
    schedule_free(s);

    const schedule_limits share = {32, 0, 4}; /* 4 sequences a rank: 16 -> 4 ranks, 12 -> 3 */
    s = schedule_plan(cost, batch, N, &share);
    check(schedule_width(s, 0) == 3, "min_batch_per_rank 4, batch 12: width %d, want 3",
          schedule_width(s, 0));
    check_dispatch("share", s, batch, N, &share);
    schedule_free(s);

    /* batch 10, 4 sequences a rank: 2 ranks would take 8 and 2, so one rank */
    const schedule_limits ten = {8, 0, 4};
    check(schedule_widest(&ten, 10) == 1, "batch 10, min 4: widest %d, want 1",
          schedule_widest(&ten, 10));
    const schedule_limits three = {8, 0, 3};
    check(schedule_widest(&three, 12) == 3, "batch 12, min 3: widest %d, want 3 (4 each)",
          schedule_widest(&three, 12));

    double equal[N];
    int batches[N];
    for (int i = 0; i < N; i++) {
        equal[i] = 5.0;
        batches[i] = 16;
    }
    const schedule_limits eight = {8, 0, 1};
    s = schedule_plan(equal, batches, N, &eight);
    schedule_estimated(s, &e);
    check(e.wide_runs == 0 && e.efficiency > 0.999,
          "40 equal runs on 8 ranks: all narrow (%lld wide), efficiency %.3f",
          (long long)e.wide_runs, e.efficiency);
    schedule_free(s);
}

/* What is left: before anything starts, the plan's own makespan; equal runs on two ranks, one
 * under way, left as a hand count says; nothing changed in the schedule it looks at. */
static void test_remaining(void)
{
    enum { N = 40 };
    double cost[N];
    int batch[N];
    for (int i = 0; i < N; i++) {
        cost[i] = i == 0 ? 1000.0 : 1.0 + i % 7;
        batch[i] = i % 3 == 0 ? 12 : 16;
    }
    const schedule_limits eight = {8, 0, 1};
    schedule *s = schedule_plan(cost, batch, N, &eight);
    schedule_estimate e;
    schedule_estimated(s, &e);
    double left = schedule_remaining(s, NULL, 0);
    check(fabs(left - e.makespan) <= 1e-9 * e.makespan,
          "nothing started: %.6g left, the plan's makespan %.6g", left, e.makespan);
    check(schedule_left(s) == N, "schedule_remaining gives no run (%lld left)",
          (long long)schedule_left(s));
    schedule_free(s);

    /* five runs of 4 on two ranks, batch 1 (never wide): one under way with 1 left on one
       rank, and four to start: 1 + 4 + 4 on the first rank, 4 + 4 on the other: 9 */
    double four[5] = {4, 4, 4, 4, 4};
    int ones[5] = {1, 1, 1, 1, 1};
    const schedule_limits two = {2, 0, 1};
    s = schedule_plan(four, ones, 5, &two);
    int width;
    check(schedule_next(s, 2, &width) == 0 && width == 1, "the first run, narrow");
    const schedule_running under_way = {1.0, 1};
    left = schedule_remaining(s, &under_way, 1);
    check(fabs(left - 9.0) < 1e-12,
          "one under way with 1 left and four of 4 on 2 ranks: %.6g, want 9", left);
    schedule_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_schedule JOBS_DIR\n");
        return 2;
    }
    test_limits();
    test_remaining();
    const char *plans[] = {"joint_grid.ini", "l_of_n.ini", "isoflop.ini"};
    for (int k = 0; k < 3; k++) {
        test_plan_profile(argv[1], plans[k], 16, 0.75);
        test_plan_profile(argv[1], plans[k], 64, 0.5);
    }
    return test_report("test_schedule");
}
