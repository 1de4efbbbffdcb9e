/* The report (report.h): the runs as the figures see them, the headline laws and the
 * closing summary, and writing the folder. */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"
#include "report_internal.h"
#include "report_plot.h"

/* The file that marks a folder as a report's. */
#define REPORT_MARKER ".scalesweep-report"

void report_default_dir(const char *path, const fit_selection *select, char *out, size_t size)
{
    const char *mixture = select ? select->mixture : NULL, *source = select ? select->source : NULL;
    const char *architecture = select ? select->architecture : NULL;
    char what[400] = "";
    snprintf(what, sizeof what, "%.16s%s%.200s%s%.64s", architecture ? architecture : "",
             architecture && mixture ? "-" : "", mixture ? mixture : "",
             (architecture || mixture) && source ? "-on-"
             : source                            ? "on-"
                                                 : "",
             source ? source : "");
    /* "press:0.5 + fiction:0.5" -> "press_0.5_fiction_0.5": one run of '_' per gap */
    char slug[400];
    size_t n = 0;
    for (const char *c = what; *c && n + 1 < sizeof slug; c++) {
        const int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                         (*c >= '0' && *c <= '9') || *c == '.' || *c == '-';
        if (keep)
            slug[n++] = *c;
        else if (n > 0 && slug[n - 1] != '_')
            slug[n++] = '_';
    }
    slug[n] = '\0';
    if (n == 0)
        snprintf(out, size, "%s.report", path);
    else
        snprintf(out, size, "%s.report-%s", path, slug);
}

/* ---- the runs ---- */

int report_compare_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The distinct values of v (relative 1e-9), ascending, at most REPORT_MAX_VALUES. */
static int distinct(const double *v, int64_t n, double *out)
{
    double *sorted = malloc(sizeof *sorted * (size_t)(n > 0 ? n : 1));
    if (!sorted)
        return 0;
    memcpy(sorted, v, sizeof *sorted * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, report_compare_double);
    int count = 0;
    for (int64_t i = 0; i < n && count < REPORT_MAX_VALUES; i++)
        if (count == 0 || fabs(sorted[i] / out[count - 1] - 1) > 1e-9)
            out[count++] = sorted[i];
    free(sorted);
    return count;
}

static void data_free(report_data *d)
{
    free(d->n_params);
    free(d->tokens);
    free(d->data);
    free(d->flops);
    free(d->loss);
    free(d->row);
}

/* The runs that feed the fit (ok, with a positive finite N, D, C and loss). 0 or -1. */
static int data_of(const fit_file_analysis *a, report_data *d)
{
    memset(d, 0, sizeof *d);
    d->a = a;
    d->fit = &a->report;
    const int64_t n = a->results.n_runs;
    const size_t size = (size_t)(n > 0 ? n : 1);
    d->n_params = malloc(size * sizeof(double));
    d->tokens = malloc(size * sizeof(double));
    d->data = malloc(size * sizeof(double));
    d->flops = malloc(size * sizeof(double));
    d->loss = malloc(size * sizeof(double));
    d->row = malloc(size * sizeof(int64_t));
    if (!d->n_params || !d->tokens || !d->data || !d->flops || !d->loss || !d->row) {
        data_free(d);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) {
        const fit_observation *o = &a->observations[i];
        const double c = o->flops > 0 ? o->flops : 6 * o->n_params * o->tokens;
        if (!o->ok || !(o->n_params > 0) || !(o->tokens > 0) || !(o->loss > 0) ||
            !isfinite(o->loss) || !isfinite(c))
            continue;
        d->n_params[d->n] = o->n_params;
        d->tokens[d->n] = o->tokens;
        d->data[d->n] =
            d->fit->law[FIT_LAW_D].x_unique && o->unique_tokens > 0 && o->unique_tokens < o->tokens
                ? o->unique_tokens
                : o->tokens;
        d->flops[d->n] = c;
        d->loss[d->n] = o->loss;
        d->row[d->n++] = i;
    }
    d->n_values_n = distinct(d->n_params, d->n, d->values_n);
    d->n_values_d = distinct(d->tokens, d->n, d->values_d);
    return 0;
}

/* ---- the headline ---- */

/* The laws the headline shows, with the slots of their exponents (-1 ends). */
static const struct {
    fit_law_id law;
    const char *name;
    int slots[3];     /* the quantities shown */
    int exponents[3]; /* those whose interval says whether the data determine the law */
} headline_laws[] = {
    {FIT_LAW_N, "L(N) = (N_c/N)^alpha", {0, 1, -1}, {0, -1}},
    {FIT_LAW_N_E, "L(N) = E + (N_c/N)^alpha", {1, 0, -1}, {1, -1}},
    {FIT_LAW_D, "L(D) = (D_c/D)^alpha", {0, 1, -1}, {0, -1}},
    {FIT_LAW_C, "L(C) = (C_c/C)^alpha", {0, 1, -1}, {0, -1}},
    {FIT_LAW_KAPLAN, "Kaplan L(N, D)", {0, 1, -1}, {0, 1, -1}},
    {FIT_LAW_CHINCHILLA, "Chinchilla L(N, D)", {3, 4, 0}, {3, 4, -1}},
    {FIT_ALLOCATION, "allocation N_opt ~ C^a, D_opt ~ C^b (Chinchilla)", {1, 2, -1}, {1, 2, -1}},
    {FIT_LAW_ISOFLOP, "allocation N_opt ~ C^a, D_opt ~ C^b (IsoFLOP)", {0, 2, -1}, {0, 2, -1}},
    {FIT_SEEDS, "seed spread epsilon", {0, -1}, {0, -1}},
    {FIT_OVERFITTING, "overfitting bound D_min = k N^p", {1, 0, -1}, {1, -1}},
};

static void append(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *out, size_t size, const char *format, ...)
{
    size_t used = strlen(out);
    if (used + 1 >= size)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(out + used, size - used, format, args);
    va_end(args);
}

/* What to run so that the data determine law id (given the runs in d). */
static void advice_for(fit_law_id id, const report_data *d, int loose, char *out, size_t size)
{
    /* L(N) takes one point per model size, L(D) one per data size (fit_select.c) */
    const int n_at_d = d->n_values_n, d_at_n = d->n_values_d;
    const double decades_n =
        d->n_values_n > 1 ? log10(d->values_n[d->n_values_n - 1] / d->values_n[0]) : 0;
    const double decades_d =
        d->n_values_d > 1 ? log10(d->values_d[d->n_values_d - 1] / d->values_d[0]) : 0;
    out[0] = '\0';
    switch (id) {
    case FIT_LAW_N:
    case FIT_LAW_N_E:
        if (n_at_d < 3)
            snprintf(out, size,
                     "needs three or more model sizes (now %d): more values in "
                     "[model] params or shapes",
                     n_at_d);
        else
            snprintf(out, size,
                     "more model sizes over a wider range of N (now %d over %.1f decades), or more "
                     "seeds",
                     d->n_values_n, decades_n);
        break;
    case FIT_LAW_D:
    case FIT_LAW_D_E:
        if (d_at_n < 3)
            snprintf(out, size,
                     "needs three or more data sizes (now %d): more values in "
                     "[train] tokens",
                     d_at_n);
        else
            snprintf(
                out, size,
                "more data sizes over a wider range of D (now %d over %.1f decades), or more seeds",
                d->n_values_d, decades_d);
        break;
    case FIT_LAW_C:
    case FIT_LAW_C_E:
        snprintf(out, size,
                 "needs training curves from three or more model sizes whose frontiers overlap in "
                 "C: more sizes, or more [train] evaluations");
        break;
    case FIT_LAW_KAPLAN:
    case FIT_LAW_CHINCHILLA:
        if (d->n_values_n < 3 || d->n_values_d < 3)
            snprintf(out, size,
                     "needs a grid of three or more N by three or more D (now %d x %d): mode = "
                     "grid with more params and tokens",
                     d->n_values_n, d->n_values_d);
        else
            snprintf(
                out, size,
                "a wider grid (now %d N over %.1f decades x %d D over %.1f decades), or more seeds",
                d->n_values_n, decades_n, d->n_values_d, decades_d);
        break;
    case FIT_ALLOCATION:
        snprintf(out, size, "follows Chinchilla's L(N, D): %s",
                 loose ? "a wider N x D grid" : "fit that first (a grid of N x D)");
        break;
    case FIT_LAW_ISOFLOP:
        snprintf(out, size,
                 "needs mode = isoflop with three or more [train] compute budgets, each with three "
                 "or more model sizes on both sides of its minimum");
        break;
    case FIT_SEEDS:
        if (loose)
            snprintf(out, size, "more seeds, or more configurations with several seeds (now %d)",
                     d->fit->n_seed_groups);
        else
            snprintf(out, size,
                     "needs seeds = 2 or more in [sweep] (a few configurations suffice)");
        break;
    case FIT_OVERFITTING:
        if (loose)
            snprintf(out, size,
                     "its exponent is Kaplan's alpha_N / alpha_D: a wider N x D grid narrows it");
        else
            snprintf(out, size, "needs Kaplan's L(N, D) and the seed spread (seeds = 2 or more)");
        break;
    default: break;
    }
}

int report_headlines(const fit_file_analysis *a, report_headline *out, int max)
{
    report_data d;
    if (data_of(a, &d) != 0)
        return 0;
    int count = 0;
    const int n_laws = (int)(sizeof headline_laws / sizeof headline_laws[0]);
    for (int i = 0; i < n_laws && count < max; i++) {
        const fit_law *law = &a->report.law[headline_laws[i].law];
        report_headline *h = &out[count];
        memset(h, 0, sizeof *h);
        h->law = headline_laws[i].law;
        h->name = headline_laws[i].name;
        if (law->status == FIT_SKIPPED && strcmp(law->message, "not asked for") == 0)
            continue; /* the plan did not ask for it */
        count++;
        if (law->status != FIT_OK) {
            h->verdict = REPORT_UNDETERMINED;
            advice_for(h->law, &d, 0, h->advice, sizeof h->advice);
            snprintf(h->values, sizeof h->values, "%s", law->message);
            continue;
        }
        h->verdict = REPORT_DETERMINED;
        for (int k = 0; k < 3 && headline_laws[i].slots[k] >= 0; k++) {
            const fit_quantity *q = &law->quantity[headline_laws[i].slots[k]];
            if (isfinite(q->lower) && isfinite(q->upper))
                append(h->values, sizeof h->values, "%s%s = %.3g [%.3g, %.3g]", k ? ", " : "",
                       q->name, q->value, q->lower, q->upper);
            else
                append(h->values, sizeof h->values, "%s%s = %.3g", k ? ", " : "", q->name,
                       q->value);
        }
        /* an exponent known only to within a factor of two is not determined */
        for (int k = 0; k < 3 && headline_laws[i].exponents[k] >= 0; k++) {
            const fit_quantity *q = &law->quantity[headline_laws[i].exponents[k]];
            if (!isfinite(q->lower) || !isfinite(q->upper))
                continue; /* no bootstrap: nothing to judge by */
            const double lo = fabs(q->lower) < fabs(q->upper) ? fabs(q->lower) : fabs(q->upper);
            const double hi = fmax(fabs(q->lower), fabs(q->upper));
            if (q->lower * q->upper <= 0 || hi > 2 * lo)
                h->verdict = REPORT_LOOSE;
        }
        if (h->verdict == REPORT_LOOSE)
            advice_for(h->law, &d, 1, h->advice, sizeof h->advice);
    }
    data_free(&d);
    return count;
}

void report_summary(FILE *out, const fit_file_analysis *a)
{
    report_headline h[16];
    const int n = report_headlines(a, h, 16);
    const fit_report *r = &a->report;
    fprintf(out,
            "Laws of %lld runs (%lld used, %lld configurations; %d bootstrap resamples, %.0f%% "
            "intervals):\n",
            (long long)r->n_observations, (long long)r->n_used, (long long)r->n_configurations,
            r->bootstrap, 100 * r->confidence);
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const int determined = h[i].verdict == REPORT_DETERMINED;
            if (determined != (pass == 0))
                continue;
            if (determined)
                fprintf(out, "  %-48s %s\n", h[i].name, h[i].values);
            else if (h[i].verdict == REPORT_LOOSE)
                fprintf(out, "  %-48s loose: %s; %s\n", h[i].name, h[i].values, h[i].advice);
            else
                fprintf(out, "  %-48s not determined: %s\n", h[i].name, h[i].advice);
        }
}

/* ---- the folder ---- */

static int make_dir(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        message_format(err, errlen, "%s: exists and is not a folder", dir);
        return -1;
    }
    message_format(err, errlen, "%s: cannot make the report's folder: %s", dir, strerror(errno));
    return -1;
}

/* A report replaces files in its folder: refuse a folder that holds anything but an
 * earlier report (its marker file says so). 0, or -1 with err. Then leaves the marker. */
static int check_ours(const char *dir, char *err, size_t errlen)
{
    char marker[4200];
    snprintf(marker, sizeof marker, "%s/%s", dir, REPORT_MARKER);
    DIR *folder = opendir(dir);
    if (!folder) {
        message_format(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int others = 0;
    for (struct dirent *e; (e = readdir(folder));)
        others += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(folder);
    if (others > 0 && access(marker, F_OK) != 0) {
        message_format(err, errlen,
                       "%s: holds files that are not a scalesweep report, which a report would "
                       "replace; give an empty or new folder",
                       dir);
        return -1;
    }
    FILE *f = fopen(marker, "w");
    if (!f) {
        message_format(err, errlen, "%s: cannot be written: %s", marker, strerror(errno));
        return -1;
    }
    fputs("written by scalesweep report: the next report replaces this folder's files\n", f);
    if (fclose(f) != 0) {
        message_format(err, errlen, "%s: cannot be written", marker);
        return -1;
    }
    return 0;
}

int report_write(const char *path, const fit_file_analysis *a, const char *dir, int *figures,
                 int *left_out, char *err, size_t errlen)
{
    if (make_dir(dir, err, errlen) != 0 || check_ours(dir, err, errlen) != 0)
        return -1;
    report_data d;
    if (data_of(a, &d) != 0) {
        message_format(err, errlen, "out of memory");
        return -1;
    }
    int *drawn = calloc((size_t)report_figure_count, sizeof *drawn);
    char(*reasons)[320] = calloc((size_t)report_figure_count, sizeof *reasons);
    if (!reasons || !drawn) {
        free(drawn);
        free(reasons);
        data_free(&d);
        message_format(err, errlen, "out of memory");
        return -1;
    }
    int n_drawn = 0, n_left = 0, failed = 0;
    for (int i = 0; i < report_figure_count && !failed; i++) {
        const report_figure *f = &report_figures[i];
        reasons[i][0] = '\0';
        const char *why = f->check(&d, reasons[i], sizeof reasons[i]);
        /* an old report's figure must not stand for data it no longer shows */
        for (int k = 0; k < 2; k++) {
            char old[4200];
            snprintf(old, sizeof old, "%s/%s.%s", dir, f->name, k ? "svg" : "png");
            if (why)
                remove(old);
        }
        if (why) {
            if (why != reasons[i])
                snprintf(reasons[i], sizeof reasons[i], "%s", why);
            n_left++;
            continue;
        }
        const int rows = f->rows > 0 ? f->rows : d.rows;
        if (plot_figure(dir, f->name, f->columns, rows, f->draw, &d, err, errlen) != 0)
            failed = 1;
        else {
            drawn[i] = 1;
            n_drawn++;
        }
    }
    if (!failed && report_write_html(path, a, dir, drawn, reasons, err, errlen) != 0)
        failed = 1;
    free(drawn);
    free(reasons);
    data_free(&d);
    if (figures)
        *figures = n_drawn;
    if (left_out)
        *left_out = n_left;
    return failed ? -1 : 0;
}
