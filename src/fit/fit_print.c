/* The report as a readable table and as JSON (hand-written: the project has no JSON
 * library, and the output is one fixed shape). */
#include <math.h>
#include <string.h>

#include "fit_internal.h"
#include "plan.h"

static const char *const law_title[] = {
    "L(N)",
    "L(N) with E",
    "L(D)",
    "L(D) with E",
    "L(C)",
    "L(C) with E",
    "compute-optimal N and D on the L(C) frontier (Approach 1)",
    "Kaplan's joint law",
    "Chinchilla's joint law (Approach 3)",
    "IsoFLOP profiles (Approach 2)",
    "seed variance",
    "overfitting bound",
    "compute-optimal allocation from the Chinchilla fit",
    "Kaplan's contradiction point",
    "inference-aware choice",
    "the optimal learning rate against N",
    "the optimal batch against C",
    "depth against width at equal N"};
/* one title a law: a law added without one would print as "(null)" */
_Static_assert(sizeof law_title / sizeof law_title[0] == FIT_NUM_LAWS, "a title for every law");

static void print_value(FILE *out, double v)
{
    if (isnan(v))
        fprintf(out, "%12s", "-");
    else
        fprintf(out, "%12.5g", v);
}

void fit_print(FILE *out, const fit_report *report)
{
    fprintf(out, "scalesweep fit: %lld runs, %lld used, %lld configurations. %s\n",
            (long long)report->n_observations, (long long)report->n_used,
            (long long)report->n_configurations, report->message);
    if (report->bootstrap > 0)
        fprintf(out,
                "intervals: %.0f%% percentile, %d bootstrap resamples over %s "
                "(%.1f s; the fit itself %.2f s)\n",
                100.0 * report->confidence, report->bootstrap,
                report->n_cells > 0 ? "cells" : "configurations", report->seconds_bootstrap,
                report->seconds_fit);
    else
        fprintf(out, "no bootstrap intervals (fit %.2f s)\n", report->seconds_fit);
    if (report->n_cells > 0) {
        fprintf(out,
                "envelope: the laws take, of each of %lld cells (N, D), its configuration of "
                "lowest mean loss; the bootstrap draws cells\n",
                (long long)report->n_cells);
        fprintf(out, "   %12s %12s %7s %10s %6s %7s %8s %7s %9s %6s %10s\n", "N", "D", "configs",
                "lr", "batch", "warmup", "decay", "beta2", "grad_clip", "seeds", "mean L");
        /* the first 40 here; the JSON and /fits/envelope have them all */
        for (int64_t c = 0; c < report->n_cells && c < 40; c++) {
            const fit_cell *e = &report->cells[c];
            fprintf(out, "   %12.4g %12.4g %7d %10.4g %6.0f %7.0f %8.4g %7.4g %9.4g %6d %10.5f\n",
                    e->n_params, e->tokens, e->configurations, e->hyper[0], e->hyper[1],
                    e->hyper[2], e->hyper[3], e->hyper[4], e->hyper[5], e->seeds, e->loss);
        }
        if (report->n_cells > 40)
            fprintf(out, "   ... %lld more\n", (long long)report->n_cells - 40);
    }
    for (int l = 0; l < FIT_NUM_LAWS; l++) {
        const fit_law *law = &report->law[l];
        fprintf(out, "\n== %s [%s]: %s\n", law_title[l], fit_status_name(law->status),
                law->formula ? law->formula : "");
        if (law->message[0])
            fprintf(out, "   %s\n", law->message);
        if (law->status != FIT_OK)
            continue;
        int header = 0;
        for (int q = 0; q < law->n_quantities; q++) {
            const fit_quantity *quantity = &law->quantity[q];
            if (strchr(quantity->name, '@'))
                continue; /* the table below */
            if (!header) {
                fprintf(out, "   %-28s %12s %12s %12s\n", "parameter", "value", "lower", "upper");
                header = 1;
            }
            fprintf(out, "   %-28s ", quantity->name);
            print_value(out, quantity->value);
            fputc(' ', out);
            print_value(out, quantity->lower);
            fputc(' ', out);
            print_value(out, quantity->upper);
            if (report->bootstrap > 0 && quantity->valid_resamples < report->bootstrap)
                fprintf(out, "  (%d of %d resamples)", quantity->valid_resamples,
                        report->bootstrap);
            fputc('\n', out);
        }
        if (law->n_points > 0)
            fprintf(out, "   fit: %lld points, rms of ln residuals %.4g, R^2 of ln y %.4f%s",
                    (long long)law->n_points, law->rms_log_residual, law->r_squared,
                    isnan(law->objective) ? "\n" : "");
        if (law->n_points > 0 && !isnan(law->objective))
            fprintf(out, ", objective %.10g\n", law->objective);

        /* the tables: budgets of the allocation, IsoFLOP parabolas, seeds */
        if ((l == FIT_ALLOCATION || l == FIT_LAW_ISOFLOP) && report->n_table > 0) {
            const int first = l == FIT_ALLOCATION ? 5 : 6, per = l == FIT_ALLOCATION ? 3 : 2;
            fprintf(out, "   %10s %12s %25s %12s %25s", "C (FLOPs)", "N_opt", "(interval)",
                    "D_opt", "(interval)");
            fprintf(out, l == FIT_ALLOCATION ? " %10s\n" : "\n", "L");
            for (int t = 0; t < report->n_table; t++) {
                const fit_quantity *n = &law->quantity[first + per * t];
                const fit_quantity *d = &law->quantity[first + per * t + 1];
                fprintf(out, "   %10.3g %12.4g [%10.4g, %10.4g] %12.4g [%10.4g, %10.4g]",
                        report->table[t], n->value, n->lower, n->upper, d->value, d->lower,
                        d->upper);
                if (l == FIT_ALLOCATION)
                    fprintf(out, " %10.4g", law->quantity[first + per * t + 2].value);
                fputc('\n', out);
            }
        }
        if (l == FIT_LAW_ISOFLOP) {
            fprintf(out, "   %10s %6s %10s %12s %12s %10s  %s\n", "budget", "runs", "N values",
                    "N_opt", "D_opt", "L_min", "");
            for (int p = 0; p < report->n_profiles; p++) {
                const fit_isoflop_profile *f = &report->profiles[p];
                fprintf(out, "   %10.3g %6d %10d %12.4g %12.4g %10.4g  %s\n", f->budget,
                        f->n_points, f->n_distinct_n, f->n_opt, f->d_opt, f->loss_min,
                        f->status == FIT_OK ? "" : f->message);
            }
        }
        if (l == FIT_SEEDS) {
            fprintf(out, "   %18s %12s %12s %6s %10s %10s\n", "configuration", "N", "D", "seeds",
                    "mean L", "sd");
            /* the first 20 here; the JSON has them all */
            for (int g = 0; g < report->n_seed_groups && g < 20; g++) {
                const fit_seed_group *s = &report->seed_groups[g];
                fprintf(out, "   %18llx %12.4g %12.4g %6d %10.5f %10.5f\n",
                        (unsigned long long)s->config_id, s->n_params, s->tokens, s->seeds,
                        s->mean, s->sd);
            }
            if (report->n_seed_groups > 20)
                fprintf(out, "   ... and %d more\n", report->n_seed_groups - 20);
        }
    }
    fit_print_transfer(out, report);
}

/* ---- JSON ---- */

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", out);
        else if (*c < 0x20)
            fprintf(out, "\\u%04x", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

/* JSON has no NaN or infinity: they are null. 17 digits give back the same double. */
static void json_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}

static void json_array(FILE *out, const double *v, int64_t n)
{
    fputc('[', out);
    for (int64_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_number(out, v[i]);
    }
    fputc(']', out);
}

/* A law's runs: their indexes, and their ids when the caller has them. */
static void json_runs(FILE *out, const fit_law *law, const char *const *run_ids,
                      int64_t n_run_ids)
{
    fputs(",\"run_index\":[", out);
    for (int64_t i = 0; i < law->n_points; i++)
        fprintf(out, i ? ",%lld" : "%lld", (long long)law->run_index[i]);
    fputc(']', out);
    if (!run_ids)
        return;
    fputs(",\"run_ids\":[", out);
    for (int64_t i = 0; i < law->n_points; i++) {
        const int64_t run = law->run_index[i];
        if (i)
            fputc(',', out);
        if (run >= 0 && run < n_run_ids && run_ids[run])
            json_string(out, run_ids[run]);
        else
            fputs("null", out);
    }
    fputc(']', out);
}

int fit_write_json(FILE *out, const fit_report *report)
{
    return fit_write_json_runs(out, report, NULL, 0);
}

int fit_write_json_runs(FILE *out, const fit_report *report, const char *const *run_ids,
                        int64_t n_run_ids)
{
    fprintf(out, "{\"observations\":%lld,\"used\":%lld,\"configurations\":%lld,",
            (long long)report->n_observations, (long long)report->n_used,
            (long long)report->n_configurations);
    fprintf(out, "\"bootstrap\":%d,\"confidence\":", report->bootstrap);
    json_number(out, report->confidence);
    fputs(",\"seconds_fit\":", out);
    json_number(out, report->seconds_fit);
    fputs(",\"seconds_bootstrap\":", out);
    json_number(out, report->seconds_bootstrap);
    fputs(",\"message\":", out);
    json_string(out, report->message);
    fputs(",\"table_budgets\":", out);
    json_array(out, report->table, report->n_table);
    fputs(",\"laws\":{", out);
    for (int l = 0; l < FIT_NUM_LAWS; l++) {
        const fit_law *law = &report->law[l];
        if (l)
            fputc(',', out);
        json_string(out, law->key);
        fputs(":{\"title\":", out);
        json_string(out, law_title[l]);
        fputs(",\"formula\":", out);
        json_string(out, law->formula);
        fputs(",\"status\":", out);
        json_string(out, fit_status_name(law->status));
        fputs(",\"message\":", out);
        json_string(out, law->message);
        fputs(",\"quantities\":{", out);
        for (int q = 0; q < law->n_quantities; q++) {
            const fit_quantity *quantity = &law->quantity[q];
            if (q)
                fputc(',', out);
            json_string(out, quantity->name);
            fputs(":{\"value\":", out);
            json_number(out, law->status == FIT_OK ? quantity->value : NAN);
            fputs(",\"lower\":", out);
            json_number(out, quantity->lower);
            fputs(",\"upper\":", out);
            json_number(out, quantity->upper);
            fprintf(out, ",\"valid_resamples\":%d}", quantity->valid_resamples);
        }
        fprintf(out, "},\"points\":%lld,\"rms_log_residual\":", (long long)law->n_points);
        json_number(out, law->rms_log_residual);
        fputs(",\"r_squared\":", out);
        json_number(out, law->r_squared);
        fputs(",\"objective\":", out);
        json_number(out, law->objective);
        if (l == FIT_LAW_CHINCHILLA)
            fprintf(out, ",\"starts\":%d,\"candidates\":%d,\"candidates_at_best\":%d",
                    law->starts, law->candidates, law->candidates_at_best);
        if (law->n_points > 0) {
            fputs(",\"data\":{\"x\":", out);
            json_array(out, law->x, law->n_points);
            fputs(",\"x2\":", out);
            json_array(out, law->x2, law->n_points);
            fputs(",\"y\":", out);
            json_array(out, law->y, law->n_points);
            fputs(",\"predicted\":", out);
            json_array(out, law->predicted, law->n_points);
            if (law->run_index)
                json_runs(out, law, run_ids, n_run_ids);
            fputc('}', out);
        }
        fputc('}', out);
    }
    fputs("},\"envelope\":[", out);
    for (int64_t c = 0; c < report->n_cells; c++) {
        const fit_cell *e = &report->cells[c];
        fprintf(out, "%s{\"cell_id\":\"%016llx\",\"config_id\":\"%016llx\",\"N\":", c ? "," : "",
                (unsigned long long)e->cell_id, (unsigned long long)e->config_id);
        json_number(out, e->n_params);
        fputs(",\"D\":", out);
        json_number(out, e->tokens);
        fprintf(out, ",\"configurations\":%d,\"seeds\":%d", e->configurations, e->seeds);
        for (int h = 0; h < FIT_HYPERS; h++) {
            fprintf(out, ",\"%s\":", plan_hyper_name((plan_hyper)h));
            json_number(out, e->hyper[h]);
        }
        fputs(",\"loss\":", out);
        json_number(out, e->loss);
        fputc('}', out);
    }
    fputs("],\"transfer\":[", out);
    for (int j = 0; j < report->n_transfers; j++) {
        const fit_transfer *t = &report->transfer[j];
        if (j)
            fputc(',', out);
        fputs("{\"source\":", out);
        json_string(out, t->source);
        fprintf(out, ",\"fitted\":%s,\"runs\":%lld,\"resamples\":%d", t->fitted ? "true" : "false",
                (long long)t->n_points, t->resamples);
        const char *names[] = {"slope",        "slope_lower",  "slope_upper", "offset",
                               "offset_lower", "offset_upper", "r_squared"};
        const double values[] = {t->slope,        t->slope_lower,  t->slope_upper, t->offset,
                                 t->offset_lower, t->offset_upper, t->r_squared};
        for (int v = 0; v < 7; v++) {
            fprintf(out, ",\"%s\":", names[v]);
            json_number(out, values[v]);
        }
        fputs(",\"message\":", out);
        json_string(out, t->message);
        fputc('}', out);
    }
    fputs("],\"isoflop_profiles\":[", out);
    for (int p = 0; p < report->n_profiles; p++) {
        const fit_isoflop_profile *f = &report->profiles[p];
        if (p)
            fputc(',', out);
        fputs("{\"budget\":", out);
        json_number(out, f->budget);
        fprintf(out, ",\"runs\":%d,\"distinct_n\":%d,\"c\":", f->n_points, f->n_distinct_n);
        const double c[3] = {f->c0, f->c1, f->c2};
        json_array(out, c, 3);
        fputs(",\"n_opt\":", out);
        json_number(out, f->n_opt);
        fputs(",\"d_opt\":", out);
        json_number(out, f->d_opt);
        fputs(",\"loss_min\":", out);
        json_number(out, f->loss_min);
        fputs(",\"status\":", out);
        json_string(out, fit_status_name(f->status));
        fputs(",\"message\":", out);
        json_string(out, f->message);
        fputc('}', out);
    }
    fputs("],\"seed_groups\":[", out);
    for (int g = 0; g < report->n_seed_groups; g++) {
        const fit_seed_group *s = &report->seed_groups[g];
        if (g)
            fputc(',', out);
        fprintf(out, "{\"config_id\":\"%016llx\",\"N\":", (unsigned long long)s->config_id);
        json_number(out, s->n_params);
        fputs(",\"D\":", out);
        json_number(out, s->tokens);
        fprintf(out, ",\"seeds\":%d,\"mean\":", s->seeds);
        json_number(out, s->mean);
        fputs(",\"sd\":", out);
        json_number(out, s->sd);
        fputc('}', out);
    }
    fputs("]}\n", out);
    return ferror(out) ? -1 : 0;
}

void fit_print_transfer(FILE *out, const fit_report *report)
{
    const fit_transfer *t = report->transfer;
    const int n = report->n_transfers;
    const double confidence = report->confidence;
    if (n <= 0)
        return;
    fprintf(out,
            "\nTransfer (Kaplan et al. 2020, Figure 8): each source's held-out loss against the "
            "runs' own, L_source = offset + slope L, over the runs (%.0f%% intervals)\n",
            100.0 * confidence);
    fprintf(out, "  %-16s %6s  %-26s  %-26s  %7s\n", "source", "runs", "slope", "offset", "R^2");
    for (int j = 0; j < n; j++) {
        if (!t[j].fitted) {
            fprintf(out, "  %-16s %6lld  not determined: %s\n", t[j].source,
                    (long long)t[j].n_points, t[j].message);
            continue;
        }
        char slope[64], offset[64];
        if (isfinite(t[j].slope_lower)) {
            snprintf(slope, sizeof slope, "%.4f [%.4f, %.4f]", t[j].slope, t[j].slope_lower,
                     t[j].slope_upper);
            snprintf(offset, sizeof offset, "%+.4f [%+.4f, %+.4f]", t[j].offset, t[j].offset_lower,
                     t[j].offset_upper);
        } else {
            snprintf(slope, sizeof slope, "%.4f", t[j].slope);
            snprintf(offset, sizeof offset, "%+.4f", t[j].offset);
        }
        fprintf(out, "  %-16s %6lld  %-26s  %-26s  %7.4f\n", t[j].source, (long long)t[j].n_points,
                slope, offset, t[j].r_squared);
    }
}
