/* `scalesweep PLAN.ini --dry-run`: the plan's runs as a table, with their cost. */
#include <stdio.h>

#include "model.h"
#include "plan.h"
#include "units.h"

void plan_print_runs(const plan *p, FILE *out)
{
    double total = 0.0, largest = 0.0;
    int64_t total_tokens = 0;
    int data_limited = 0;
    for (int64_t i = 0; i < p->n_runs; i++) {
        total += p->runs[i].cost;
        total_tokens += p->runs[i].config.tokens;
        if (p->runs[i].cost > largest)
            largest = p->runs[i].cost;
        data_limited |= p->runs[i].config.unique_tokens > 0;
    }
    const train_config *first = p->n_runs > 0 ? &p->runs[0].config : NULL;
    char a[32], b[32], c[32];
    fprintf(out, "plan %s (%s): mode %s, trainer %s, %lld runs, plan hash %016llx\n", p->name,
            p->path, plan_mode_name(p->mode), plan_trainer_name(p->trainer), (long long)p->n_runs,
            (unsigned long long)p->hash);
    fprintf(out, "corpus %s, output %s", p->corpus, p->output);
    static const char *const rules[] = {[TRAIN_LR_FIXED] = "",
                                        [TRAIN_LR_AUTO] =
                                            " (each architecture's lr_opt(N) measured on Brown)",
                                        [TRAIN_LR_KAPLAN] = " (Kaplan's LR(N))"};
    /* one batch for every run: said here; batch = auto: a column, as an axis's is */
    const int batch_column =
        p->hyper_values[PLAN_HYPER_BATCH] > 1 || (first && p->runs[0].batch_auto);
    if (first && !batch_column)
        fprintf(out, ", n_ctx %d, batch %d (%s tokens a step)", first->model.n_ctx, first->batch,
                units_group_digits((int64_t)first->batch * first->model.n_ctx, a));
    else if (first && p->hyper_values[PLAN_HYPER_BATCH] == 1)
        fprintf(out, ", n_ctx %d, batch auto (" TRAIN_BATCH_AUTO_RULE ")", first->model.n_ctx);
    else if (first)
        fprintf(out, ", n_ctx %d", first->model.n_ctx);
    if (first && p->hyper_values[PLAN_HYPER_LR] == 1) {
        if (p->runs[0].lr_rule == TRAIN_LR_FIXED)
            fprintf(out, ", lr %g", first->lr);
        else
            fprintf(out, ", lr %s%s", train_lr_rule_name(p->runs[0].lr_rule),
                    rules[p->runs[0].lr_rule]);
    }
    fprintf(out, "\n");
    int axes = 0;
    for (int h = 0; h < PLAN_HYPER_COUNT; h++)
        if (p->hyper_values[h] > 1)
            fprintf(out, "%s %s (%d values)",
                    axes++ ? "," : "hyperparameter axes:", plan_hyper_name((plan_hyper)h),
                    p->hyper_values[h]);
    if (axes)
        fprintf(out, "; the fit takes the best run of each cell\n");
    if (p->named_sources) {
        fprintf(out, "sources (each scored at every evaluation):");
        for (int i = 0; i < p->n_sources; i++)
            fprintf(out, "%s %s (%s)", i ? "," : "", p->sources[i].name, p->sources[i].path);
        fprintf(out, "\n");
    }
    fprintf(out, "\n");

    /* an architecture column when the plan has any but the transformer */
    const int architecture_column = p->architectures != (1u << MODEL_TRANSFORMER);
    fprintf(out, "%6s  %-16s", "#", "run_id");
    if (architecture_column)
        fprintf(out, "  %-12s", "architecture");
    fprintf(out, "  %-12s %13s %15s", "shape", "N", "D");
    if (data_limited)
        fprintf(out, " %13s", "unique");
    fprintf(out, " %6s %10s", "seed", "lr");
    for (int h = 1; h < PLAN_HYPER_COUNT; h++)
        if (p->hyper_values[h] > 1 || (h == PLAN_HYPER_BATCH && batch_column))
            fprintf(out, " %12s", plan_hyper_name((plan_hyper)h));
    fprintf(out, " %11s %7s", "C (FLOPs)", "share");
    if (p->named_sources)
        fprintf(out, "  mixture");
    fprintf(out, "\n");
    for (int64_t i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        const model_config *m = &run->config.model;
        char shape[NET_SHAPE_SIZE];
        net_shape(m, shape, sizeof shape);
        fprintf(out, "%6lld  %-16s", (long long)i + 1, run->run_id);
        if (architecture_column)
            fprintf(out, "  %-12s", net_architecture_names[m->architecture]);
        fprintf(out, "  %-12s %13s %15s", shape, units_group_digits(net_count_nonembedding(m), a),
                units_group_digits(run->config.tokens, b));
        if (data_limited)
            fprintf(out, " %13s",
                    run->config.unique_tokens ? units_group_digits(run->config.unique_tokens, c)
                                              : "-");
        fprintf(out, " %6llu %10.4g", (unsigned long long)run->config.seed, (double)run->config.lr);
        for (int h = 1; h < PLAN_HYPER_COUNT; h++)
            if (p->hyper_values[h] > 1 || (h == PLAN_HYPER_BATCH && batch_column)) {
                const double v = plan_hyper_value(&run->config, (plan_hyper)h);
                if (h == PLAN_HYPER_WARMUP_STEPS && v < 0)
                    fprintf(out, " %12s", "auto");
                else
                    fprintf(out, " %12.6g", v);
            }
        fprintf(out, " %11.3e %6.2f%%", run->cost, total > 0 ? 100.0 * run->cost / total : 0.0);
        if (p->named_sources)
            fprintf(out, "  %s", p->mixtures[run->mixture].text);
        fprintf(out, "\n");
    }
    fprintf(out,
            "\ntotal: C = 6ND = %.3e FLOPs (%.3g PF-days) over %lld runs, %s tokens; the "
            "largest run is %.1f%% of it\n",
            total, total / 8.64e19, (long long)p->n_runs, units_group_digits(total_tokens, a),
            total > 0 ? 100.0 * largest / total : 0.0);
    if (p->notes)
        fprintf(out, "\nnotes:\n%s", p->notes);
}
