/* The report's legend placement: a legend inside a panel goes to the corner that hides the
 * fewest of the panel's points, the preferred one when it hides none or ties. */
#include <stdio.h>

#include "check.h"
#include "report_plot.h"

int main(void)
{
    /* points rising to the upper right (a loss against lr past its optimum) */
    double u[40], v[40];
    for (int i = 0; i < 40; i++) {
        u[i] = 0.4 + 0.6 * i / 39.0;
        v[i] = 0.2 + 0.8 * i / 39.0;
    }
    check(plot_legend_corner(u, v, NULL, 40, 0.4, 0.3, PLOT_UPPER_RIGHT) == PLOT_UPPER_LEFT,
          "a rising line: the upper left, clear of it");
    check(plot_legend_corner(u, v, NULL, 40, 0.35, 0.3, PLOT_LOWER_LEFT) == PLOT_LOWER_LEFT,
          "the preferred corner when it hides nothing");
    check(plot_legend_corner(u, v, NULL, 0, 0.4, 0.3, PLOT_UPPER_RIGHT) == PLOT_UPPER_RIGHT,
          "no points: the preferred corner");
    /* every corner hides some: the one that hides the fewest */
    double cu[10] = {0.9, 0.95, 0.9, 0.1, 0.05, 0.1, 0.95, 0.05, 0.1, 0.9};
    double cv[10] = {0.9, 0.95, 0.85, 0.9, 0.95, 0.1, 0.1, 0.05, 0.05, 0.05};
    /* upper right 3, upper left 2, lower left 3, lower right 2 */
    check(plot_legend_corner(cu, cv, NULL, 10, 0.2, 0.2, PLOT_UPPER_RIGHT) == PLOT_UPPER_LEFT,
          "fewest hidden, first in order on a tie");
    check(plot_legend_corner(cu, cv, NULL, 10, 0.2, 0.2, PLOT_LOWER_RIGHT) == PLOT_LOWER_RIGHT,
          "a tie keeps the preferred corner");
    /* a legend as wide as the panel hides the same everywhere along its edge */
    check(plot_legend_corner(cu, cv, NULL, 10, 1.0, 0.2, PLOT_LOWER_LEFT) == PLOT_LOWER_LEFT,
          "a full-width legend: lower edge holds 5 as the upper does; the preferred kept");
    /* a line (one group of many marks) weighs as much as one point */
    double lu[22], lv[22];
    int lg[22];
    for (int i = 0; i < 20; i++) { /* a level line along the bottom */
        lu[i] = 0.05 * i;
        lv[i] = 0.1;
        lg[i] = 0;
    }
    lu[20] = 0.9, lv[20] = 0.9, lg[20] = 1; /* a point in each upper corner */
    lu[21] = 0.1, lv[21] = 0.9, lg[21] = 2;
    check(plot_legend_corner(lu, lv, NULL, 22, 0.3, 0.3, PLOT_LOWER_LEFT) == PLOT_UPPER_RIGHT,
          "each mark its own: the line's marks outnumber a point");
    check(plot_legend_corner(lu, lv, lg, 22, 0.3, 0.3, PLOT_LOWER_LEFT) == PLOT_LOWER_LEFT,
          "grouped: every corner hides one line or point, the preferred kept");
    return test_report("report_plot");
}
