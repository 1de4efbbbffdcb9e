/* The report's drawing: a thin layer over PLplot, which draws every figure twice, as PNG
 * and as SVG, through its cairo drivers (pngcairo, svgcairo). A figure is a function that
 * draws one or more panels; plot_figure() calls it once per format. Inside it, coordinates
 * are data units: a log axis takes the values themselves, not their logarithms.
 *
 *   static void draw(void *arg) {
 *       plot_axis x = plot_axis_of(n_values, count, PLOT_LOG, "N (parameters)");
 *       plot_axis y = plot_axis_of(losses, count, PLOT_LOG, "test loss (nats/token)");
 *       plot_panel(&x, &y, "L(N)");
 *       plot_points(count, n_values, losses, PLOT_PALETTE, PLOT_DOT);
 *   }
 *   plot_figure(dir, "loss_n", 1, 1, draw, NULL, err, sizeof err);
 *
 * PLplot keeps one global state: one figure at a time, from one thread. */
#ifndef SCALESWEEP_REPORT_PLOT_H
#define SCALESWEEP_REPORT_PLOT_H

#include <stddef.h>

/* Every figure's size: PNG in pixels, SVG in points (viewBox 0 0 800 600). */
#define PLOT_WIDTH 800
#define PLOT_HEIGHT 600

typedef enum { PLOT_LINEAR = 0, PLOT_LOG = 1 } plot_scale;

typedef struct {
    double lo, hi; /* data units, lo < hi (and > 0 on a log axis) */
    plot_scale scale;
    const char *label; /* PLplot text: #u up, #d down, #ga alpha; a literal # is ## */
} plot_axis;

/* Colours: indices of PLplot's colour map 0. The palette has PLOT_PALETTE_SIZE colours
 * for the values of a variable (the points' D, or N), in order. */
enum {
    PLOT_BACKGROUND = 0,
    PLOT_INK = 1,
    PLOT_GREY = 2,
    PLOT_LAW = 3,  /* the first fitted law */
    PLOT_LAW2 = 4, /* the second */
    PLOT_BAND = 5, /* the first law's band, translucent */
    PLOT_BAND2 = 6,
    PLOT_PALETTE = 7,
    PLOT_PALETTE_SIZE = 8
};

/* Point symbols. */
#define PLOT_DOT "●"
#define PLOT_RING "○"
#define PLOT_DIAMOND "◆"
#define PLOT_CROSS "✕"

typedef void (*plot_draw)(void *arg);

/* Whether PLplot can draw both formats here (its cairo drivers are installed). 0, or -1
 * with err saying what to install. */
int plot_available(char *err, size_t errlen);

/* Draws DIR/NAME.png and DIR/NAME.svg with draw(arg), on a page of columns x rows panels.
 * Returns 0, or -1 with err when a file could not be written. */
int plot_figure(const char *dir, const char *name, int columns, int rows, plot_draw draw, void *arg,
                char *err, size_t errlen);

/* The range of the finite values (and positive ones on a log axis) of v, widened by a
 * margin; a default range when there are none. */
plot_axis plot_axis_of(const double *v, long n, plot_scale scale, const char *label);
/* Widens axis to hold the values of v too. */
void plot_axis_include(plot_axis *axis, const double *v, long n);

/* The next panel: its box, ticks, labels and title; data drawn after it go into it. */
void plot_panel(const plot_axis *x, const plot_axis *y, const char *title);
/* A polyline through the finite points (a gap where one is not); style 1 solid, 2 dashed. */
void plot_line(long n, const double *x, const double *y, int colour, double width, int style);
void plot_points(long n, const double *x, const double *y, int colour, const char *symbol);
/* The band between lower and upper over x, filled translucent. */
void plot_band(long n, const double *x, const double *lower, const double *upper, int colour);
/* Vertical error bars from lower to upper at x. */
void plot_error_bars(long n, const double *x, const double *lower, const double *upper, int colour);
/* Contour lines of values[i * ny + j] at (x[i], y[j]), labelled with their level. */
void plot_contours(int nx, const double *x, int ny, const double *y, const double *values,
                   const double *levels, int n_levels, int colour);
/* A line of text at (x, y) in data units, left-aligned. */
void plot_text(double x, double y, const char *text, int colour);

/* A legend: right of the panel on a page of one panel, else inside it, in the corner that
 * hides the fewest of the panel's points and lines (plot_legend_corner), upper right
 * preferred (or lower left with lower_left). A PLOT_KEY_TEXT is a line of text under the
 * key before it. */
typedef enum { PLOT_KEY_LINE, PLOT_KEY_POINT, PLOT_KEY_BAND, PLOT_KEY_TEXT } plot_key_kind;
typedef struct {
    const char *text;
    int colour;
    plot_key_kind kind;
    const char *symbol; /* PLOT_KEY_POINT */
} plot_key;
void plot_legend(int n, const plot_key *keys, int lower_left);
/* Where a legend of width x height (in [0, 1] of the panel) hides the fewest of the
 * groups of marks (u[i], v[i]) drawn in the panel (a group: one line or one point, its
 * marks consecutive; group NULL: each mark its own): the preferred corner unless another
 * hides fewer (ties in the order preferred, upper right, upper left, lower left, lower
 * right). */
enum { PLOT_UPPER_RIGHT, PLOT_UPPER_LEFT, PLOT_LOWER_LEFT, PLOT_LOWER_RIGHT };
int plot_legend_corner(const double *u, const double *v, const int *group, long n, double width,
                       double height, int preferred);

/* n points spaced evenly in the axis's scale between lo and hi (n >= 2). */
void plot_spaced(double lo, double hi, plot_scale scale, int n, double *out);

#endif
