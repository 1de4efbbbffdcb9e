/* Shared by the files of src/report; not its API. */
#ifndef SCALESWEEP_REPORT_INTERNAL_H
#define SCALESWEEP_REPORT_INTERNAL_H

#include <stdint.h>

#include "fit_results.h"
#include "report.h"

#define REPORT_PROGRAM "scalesweep report"
#define REPORT_MAX_VALUES 64

/* The runs as the figures see them. */
typedef struct {
    const fit_file_analysis *a;
    const fit_report *fit;
    int64_t n; /* runs that feed the fit (ok, finite): the arrays below */
    double *n_params, *tokens, *flops, *loss;
    /* the data each run's loss measures: its unique tokens when L(D) was fitted to
       data-limited runs (x = U) and it is one, else its tokens */
    double *data;
    int64_t *row; /* each one's row of /runs */
    /* the distinct values of N and D, ascending, which colour the points */
    double values_n[REPORT_MAX_VALUES], values_d[REPORT_MAX_VALUES];
    int n_values_n, n_values_d;
    int rows; /* panels down, for a figure whose layout depends on the data */
} report_data;

/* qsort's comparison of doubles, ascending. */
int report_compare_double(const void *x, const void *y);
/* The colour (report_plot.h's palette) of value among values (ascending, count of them). */
int report_value_colour(double value, const double *values, int count);

/* One figure of the report: a support check, then its drawing. */
typedef struct {
    const char *name;    /* file stem: NAME.png, NAME.svg */
    const char *caption; /* what it shows, for the page (HTML-safe) */
    int columns, rows;   /* rows 0: report_data.rows, which the check sets */
    /* NULL when the data support the figure (why may then hold a note for its caption),
       else why not (one line, static or in why) */
    const char *(*check)(report_data *d, char *why, size_t size);
    void (*draw)(void *d);
} report_figure;

extern const report_figure report_figures[];
extern const int report_figure_count;

/* A law's headline: "alpha = 0.076 [0.070, 0.082]" and whether the data determine it. */
typedef enum {
    REPORT_DETERMINED,
    REPORT_LOOSE,
    REPORT_UNDETERMINED,
    REPORT_NOT_ASKED
} report_verdict;
typedef struct {
    fit_law_id law;
    const char *name; /* "L(N)" */
    report_verdict verdict;
    char values[320]; /* the law's main quantities with their intervals */
    char advice[320]; /* for a loose or undetermined law: what to run */
} report_headline;

/* The headline laws, in the order the summary and the page show them. Returns the count. */
int report_headlines(const fit_file_analysis *a, report_headline *out, int max);

/* index.html in dir; figure i drawn (with the note reasons[i], if any) or left out with
 * its reason reasons[i]. 0 or -1 with err. */
int report_write_html(const char *path, const fit_file_analysis *a, const char *dir,
                      const int *drawn, char reasons[][320], char *err, size_t errlen);

#endif
