/* The schedule's promise on real plans' cost profiles: for each plan and rank count, the
 * simulated efficiency of scalesweep's widths and dispatch (schedule.h: total 6ND over ranks
 * x makespan, on times proportional to each run's share of 6ND), the most any schedule could
 * reach with runs as wide as their batches allow, and what one-rank runs allowed before.
 *
 *   build/bench/bench_schedule PLAN.ini... [--ranks 16,64,256] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "schedule.h"

int main(int argc, char **argv)
{
    int ranks[16] = {16, 64, 256}, n_ranks = 3;
    const char *plans[64];
    int n_plans = 0;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--ranks") == 0 && a + 1 < argc) {
            n_ranks = 0;
            for (char *t = strtok(argv[++a], ","); t && n_ranks < 16; t = strtok(NULL, ","))
                ranks[n_ranks++] = atoi(t);
        } else if (n_plans < 64) {
            plans[n_plans++] = argv[a];
        }
    }
    if (n_plans == 0) {
        fprintf(stderr, "usage: bench_schedule PLAN.ini... [--ranks 16,64,256]\n");
        return 2;
    }
    printf("%-22s %5s %6s %10s %10s %10s %8s %6s\n", "plan", "ranks", "runs", "scalesweep", "best",
           "one-rank", "x bound", "wide");
    for (int k = 0; k < n_plans; k++) {
        plan p;
        char err[1024];
        if (plan_load(&p, plans[k], err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
        double *cost = malloc(sizeof *cost * (size_t)p.n_runs);
        int *batch = malloc(sizeof *batch * (size_t)p.n_runs);
        double total = 0.0, largest = 0.0;
        for (int64_t i = 0; i < p.n_runs; i++) {
            cost[i] = p.runs[i].cost;
            batch[i] = p.runs[i].config.batch;
            total += cost[i];
            largest = cost[i] > largest ? cost[i] : largest;
        }
        const char *name = strrchr(plans[k], '/') ? strrchr(plans[k], '/') + 1 : plans[k];
        for (int r = 0; r < n_ranks; r++) {
            const schedule_limits limits = {ranks[r], p.max_ranks_per_run, p.min_batch_per_rank};
            schedule *s = schedule_plan(cost, batch, p.n_runs, &limits);
            schedule_estimate e;
            schedule_estimated(s, &e);
            double best = total / (ranks[r] * e.lower_bound);
            double narrow =
                total / (ranks[r] * (largest > total / ranks[r] ? largest : total / ranks[r]));
            printf("%-22s %5d %6lld %9.1f%% %9.1f%% %9.1f%% %8.3f %6lld\n", name, ranks[r],
                   (long long)p.n_runs, 100.0 * e.efficiency, 100.0 * (best < 1 ? best : 1),
                   100.0 * narrow, e.makespan / e.lower_bound, (long long)e.wide_runs);
            schedule_free(s);
        }
        free(cost);
        free(batch);
        plan_free(&p);
    }
    printf(
        "\nscalesweep: simulated efficiency of its widths and dispatch; best: total / (ranks x\n"
        "the lower bound), the most any schedule reaches when a run is at most as wide as its\n"
        "batch allows; one-rank: the bound when every run takes one rank (before wide runs);\n"
        "x bound: scalesweep's makespan over the lower bound; wide: runs on more than one rank.\n");
    return 0;
}
