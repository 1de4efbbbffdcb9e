/* `scalesweep report`: a sweep's laws as figures and one page. From a results file read and
 * fitted (fit_file_analyse), it draws the figures (report_plot.h: PLplot, PNG and SVG) into
 * a folder with index.html, a page that works offline: the headline (each determined law
 * with its interval, the allocation, the seed spread), the figures, the tables and the
 * provenance. A figure the data cannot support is left out, with its reason on the page.
 * It also gives the short summary that ends a sweep. docs/report.md documents it all. */
#ifndef SCALESWEEP_REPORT_H
#define SCALESWEEP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "fit_results.h"

/* Where a results file's report goes by default: PATH.report (beside PATH), and for a
 * selection of its runs or losses (select: NULL or empty for none) PATH.report-WHAT, WHAT the
 * mixture and the source with every character other than letters, digits, '.', '-' made '_'
 * (PATH.report-press_0.5_fiction_0.5, PATH.report-press-on-learned). */
void report_default_dir(const char *path, const fit_selection *select, char *out, size_t size);

/* Writes the report of the results file path, read and fitted into analysis, into dir
 * (made if missing; files of an older report there are replaced). Returns 0, or -1 with
 * err (dir cannot be made or written). *figures and *left_out (may be NULL) get the counts. */
int report_write(const char *path, const fit_file_analysis *analysis, const char *dir, int *figures,
                 int *left_out, char *err, size_t errlen);

/* About a dozen lines for the end of a sweep: each determined law with its interval, and
 * for each law the data do not determine, what to run to determine it. */
void report_summary(FILE *out, const fit_file_analysis *analysis);

/* `scalesweep report RESULTS.h5 [-o DIR]`; argv[0] is "report". Returns the exit status. */
int report_main(int argc, char **argv);

#endif
