/* The report's page, DIR/index.html: one file with its figures beside it, no script and
 * nothing from the network, so that it works offline and from a copied folder. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "message.h"
#include "report_internal.h"
#include "report_plot.h"
#include "results_hdf5.h"

/* text with &, <, > and " escaped */
static void put_escaped(FILE *f, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*p, f);
        }
    }
}

static void put_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.4g", v);
    else
        fputs("&ndash;", f);
}

static const char style[] =
    "body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#111}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;font-size:.85em}td,th{padding:.2em .6em;border-bottom:1px "
    "solid #eee;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "figure{margin:1.5em 0}img{max-width:100%;height:auto;border:1px solid #eee}"
    "figcaption{font-size:.9em;color:#333;max-width:50em}"
    ".loose{color:#8a5a00}.undetermined{color:#a00}.left{color:#555;font-style:italic}"
    "pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:.85em}"
    "ul.headline li{margin:.3em 0}";

static void put_headline(FILE *f, const fit_file_analysis *a)
{
    report_headline h[16];
    const int n = report_headlines(a, h, 16);
    const fit_report *r = &a->report;
    fprintf(f,
            "<h2 id=\"headline\">Headline</h2>\n<p>%lld runs in the file, %lld used by the fit, "
            "%lld configurations; %d bootstrap resamples, %.0f%% intervals.</p>\n<ul "
            "class=\"headline\">\n",
            (long long)r->n_observations, (long long)r->n_used, (long long)r->n_configurations,
            r->bootstrap, 100 * r->confidence);
    if (a->results.selection[0]) {
        fputs("<p>Of ", f);
        put_escaped(f, a->results.selection);
        fputs(" (the runs and the loss that <code>--mixture</code> and <code>--source</code> "
              "chose).</p>\n",
              f);
    }
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < n; i++) {
            const report_verdict want = pass == 0   ? REPORT_DETERMINED
                                        : pass == 1 ? REPORT_LOOSE
                                                    : REPORT_UNDETERMINED;
            if (h[i].verdict != want)
                continue;
            fputs("<li", f);
            if (want == REPORT_LOOSE)
                fputs(" class=\"loose\"", f);
            if (want == REPORT_UNDETERMINED)
                fputs(" class=\"undetermined\"", f);
            fputs("><b>", f);
            put_escaped(f, h[i].name);
            fputs("</b>: ", f);
            if (want == REPORT_UNDETERMINED) {
                fputs("not determined: ", f);
                put_escaped(f, h[i].advice);
                fputs(" <small>(", f);
                put_escaped(f, h[i].values);
                fputs(")</small>", f);
            } else {
                put_escaped(f, h[i].values);
                if (want == REPORT_LOOSE) {
                    fputs(" &mdash; loose: ", f);
                    put_escaped(f, h[i].advice);
                }
            }
            fputs("</li>\n", f);
        }
    fputs("</ul>\n", f);
}

static void put_figures(FILE *f, const int *drawn, char reasons[][320])
{
    fputs("<h2 id=\"figures\">Figures</h2>\n", f);
    for (int i = 0; i < report_figure_count; i++) {
        const report_figure *fig = &report_figures[i];
        if (!drawn[i]) {
            fprintf(f, "<p class=\"left\" id=\"%s\">Left out: <b>%s</b> (%s) &mdash; ", fig->name,
                    fig->name, fig->caption);
            put_escaped(f, reasons[i]);
            fputs("</p>\n", f);
            continue;
        }
        fprintf(f,
                "<figure id=\"%s\"><a href=\"%s.svg\"><img src=\"%s.png\" width=\"%d\" "
                "height=\"%d\" alt=\"%s\"></a>\n<figcaption>%s <a href=\"%s.svg\">SVG</a>",
                fig->name, fig->name, fig->name, PLOT_WIDTH, PLOT_HEIGHT, fig->name, fig->caption,
                fig->name);
        if (reasons[i][0]) {
            fputs("<br><span class=\"left\">", f);
            put_escaped(f, reasons[i]);
            fputs("</span>", f);
        }
        fputs("</figcaption></figure>\n", f);
    }
}

static void put_laws(FILE *f, const fit_report *r)
{
    fputs(
        "<h2 id=\"laws\">Every law</h2>\n<table><tr><th>law</th><th>formula</th><th>status</th>"
        "<th>quantities [interval]</th><th>R&sup2; (ln L)</th><th>points</th><th>note</th></tr>\n",
        f);
    for (int l = 0; l < FIT_NUM_LAWS; l++) {
        const fit_law *law = &r->law[l];
        fprintf(f, "<tr><td>%s</td><td>", law->key);
        put_escaped(f, law->formula);
        fprintf(f, "</td><td>%s</td><td>", fit_status_name(law->status));
        for (int q = 0; q < law->n_quantities && law->status == FIT_OK; q++) {
            const fit_quantity *x = &law->quantity[q];
            fprintf(f, "%s", q ? "<br>" : "");
            put_escaped(f, x->name);
            fputs(" = ", f);
            put_number(f, x->value);
            if (isfinite(x->lower) && isfinite(x->upper)) {
                fputs(" [", f);
                put_number(f, x->lower);
                fputs(", ", f);
                put_number(f, x->upper);
                fputs("]", f);
            }
        }
        fputs("</td><td class=\"n\">", f);
        if (law->n_points > 0)
            put_number(f, law->r_squared);
        fprintf(f, "</td><td class=\"n\">%lld</td><td>", (long long)law->n_points);
        put_escaped(f, law->message);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* The transfer law of each source, when the runs are scored on several. */
static void put_transfer(FILE *f, const fit_file_analysis *a)
{
    const fit_transfer *t = a->report.transfer;
    const int n = a->report.n_transfers;
    if (n <= 0)
        return;
    fprintf(f,
            "<h2 id=\"transfer\">The transfer law</h2>\n<p>Each source's held-out loss against "
            "the runs' own, L<sub>source</sub> = offset + slope L, over the runs (Kaplan et al. "
            "2020, Figure 8), with %.0f%% intervals from resampling configurations.</p>\n"
            "<table><tr><th>source</th><th>runs</th><th>slope [interval]</th>"
            "<th>offset [interval]</th><th>R&sup2;</th></tr>\n",
            100 * a->options.confidence);
    for (int j = 0; j < n; j++) {
        fputs("<tr><td>", f);
        put_escaped(f, t[j].source);
        fprintf(f, "</td><td class=\"n\">%lld</td>", (long long)t[j].n_points);
        if (!t[j].fitted) {
            fputs("<td colspan=\"3\">not determined: ", f);
            put_escaped(f, t[j].message);
            fputs("</td></tr>\n", f);
            continue;
        }
        const double v[2][3] = {{t[j].slope, t[j].slope_lower, t[j].slope_upper},
                                {t[j].offset, t[j].offset_lower, t[j].offset_upper}};
        for (int q = 0; q < 2; q++) {
            fputs("<td class=\"n\">", f);
            put_number(f, v[q][0]);
            if (isfinite(v[q][1]) && isfinite(v[q][2])) {
                fputs(" [", f);
                put_number(f, v[q][1]);
                fputs(", ", f);
                put_number(f, v[q][2]);
                fputs("]", f);
            }
            fputs("</td>", f);
        }
        fputs("<td class=\"n\">", f);
        put_number(f, t[j].r_squared);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void put_runs(FILE *f, const fit_results *results)
{
    fprintf(f,
            "<h2 id=\"runs\">Runs</h2>\n<p>%lld rows of /runs, in the order they ended.</p>\n"
            "<table><tr><th>run id</th><th>shape</th><th>N</th><th>D</th><th>seed</th><th>lr</th>"
            "<th>final loss</th><th>best loss</th><th>status</th><th>seconds</th><th>tokens/s</th>"
            "<th>ranks</th><th>host</th><th>BLAS core</th><th>mixture</th></tr>\n",
            (long long)results->n_runs);
    for (int64_t i = 0; i < results->n_runs; i++) {
        const results_run *r = &results->runs[i];
        const int architecture = net_architecture_named(r->architecture);
        const model_config m = {r->n_layer, r->d_model, r->n_head, r->n_ctx,
                                architecture >= 0 ? architecture : MODEL_TRANSFORMER};
        char shape[NET_SHAPE_SIZE];
        fprintf(f,
                "<tr><td><code>%s</code></td><td>%s</td><td class=\"n\">%.4g</td>"
                "<td class=\"n\">%.4g</td><td class=\"n\">%lld</td><td class=\"n\">%.3g</td><td "
                "class=\"n\">",
                r->run_id, net_shape(&m, shape, sizeof shape), (double)r->n_params,
                (double)r->tokens, (long long)r->seed, r->lr);
        put_number(f, r->final_test_loss);
        fputs("</td><td class=\"n\">", f);
        put_number(f, r->best_test_loss);
        fputs("</td><td>", f);
        put_escaped(f, r->status);
        if (r->reason[0] && strcmp(r->status, "ok") != 0) {
            fputs(": ", f);
            put_escaped(f, r->reason);
        }
        fprintf(
            f, "</td><td class=\"n\">%.1f</td><td class=\"n\">%.0f</td><td class=\"n\">%d</td><td>",
            r->seconds, r->tokens_per_second, r->ranks);
        put_escaped(f, r->host);
        fputs("</td><td>", f);
        put_escaped(f, r->blas_core);
        fputs("</td><td>", f);
        put_escaped(f, r->mixture);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void put_row(FILE *f, const char *name, const char *value)
{
    fprintf(f, "<tr><th>%s</th><td>", name);
    put_escaped(f, value && value[0] ? value : "(not recorded)");
    fputs("</td></tr>\n", f);
}

static void put_provenance(FILE *f, const char *path, const fit_file_analysis *a)
{
    const fit_results *r = &a->results;
    char hosts[512] = "", cores[256] = "", now[64], gflops[64] = "";
    /* the distinct hosts and BLAS cores of the runs, in the order they first ran */
    for (int64_t i = 0; i < r->n_runs; i++) {
        for (int k = 0; k < 2; k++) {
            char *list = k ? cores : hosts;
            const size_t size = k ? sizeof cores : sizeof hosts;
            const char *v = k ? r->runs[i].blas_core : r->runs[i].host;
            int seen = !v[0];
            for (int64_t j = 0; j < i && !seen; j++)
                seen = strcmp(v, k ? r->runs[j].blas_core : r->runs[j].host) == 0;
            if (!seen && strlen(list) + strlen(v) + 3 < size)
                snprintf(list + strlen(list), size - strlen(list), "%s%s", list[0] ? ", " : "", v);
        }
    }
    results_iso_time(now, sizeof now);
    if (isfinite(r->sgemm_gflops))
        snprintf(gflops, sizeof gflops, "%.1f GFLOP/s (one thread, 512^3, as the sweep started)",
                 r->sgemm_gflops);
    fputs("<h2 id=\"provenance\">Provenance</h2>\n<table>\n", f);
    put_row(f, "results file", path);
    char schema[16];
    snprintf(schema, sizeof schema, "%d", r->schema);
    put_row(f, "schema version", schema);
    put_row(f, "written by", r->version[0] ? r->version : NULL);
    put_row(f, "command line", r->command_line);
    put_row(f, "created", r->created);
    put_row(f, "hosts of the runs", hosts);
    put_row(f, "BLAS core (rank 0)", r->blas_core);
    put_row(f, "BLAS cores of the runs", cores);
    put_row(f, "BLAS configuration", r->blas_config);
    put_row(f, "sgemm", gflops);
    put_row(f, "report written", now);
    fputs("</table>\n<h3>The plan</h3>\n<pre>", f);
    put_escaped(f, r->plan_text);
    fputs("</pre>\n", f);
}

int report_write_html(const char *path, const fit_file_analysis *a, const char *dir,
                      const int *drawn, char reasons[][320], char *err, size_t errlen)
{
    char file[4200], temporary[4300];
    snprintf(file, sizeof file, "%s/index.html", dir);
    snprintf(temporary, sizeof temporary, "%s/.index.html.tmp", dir);
    FILE *f = fopen(temporary, "w");
    if (!f) {
        message_format(err, errlen, "%s: %s", temporary, strerror(errno));
        return -1;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          f);
    put_escaped(f, base);
    fprintf(f, " &mdash; scalesweep report</title>\n<style>%s</style></head><body>\n<h1>", style);
    put_escaped(f, base);
    fputs(": the scaling laws of this sweep</h1>\n<p><a href=\"#headline\">headline</a> &middot; "
          "<a href=\"#figures\">figures</a> &middot; <a href=\"#laws\">every law</a> &middot; "
          "<a href=\"#runs\">runs</a> &middot; <a href=\"#provenance\">provenance</a></p>\n",
          f);
    put_headline(f, a);
    put_figures(f, drawn, reasons);
    put_laws(f, &a->report);
    put_transfer(f, a);
    put_runs(f, &a->results);
    put_provenance(f, path, a);
    fputs("</body></html>\n", f);
    const int failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed || rename(temporary, file) != 0) {
        message_format(err, errlen, "%s: writing the page failed: %s", file, strerror(errno));
        remove(temporary);
        return -1;
    }
    return 0;
}
