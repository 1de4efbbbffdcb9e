/* The report's drawing over PLplot (report_plot.h). */
#include "report_plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plplot.h>

#include "message.h"

/* The current panel's scales: PLplot's world coordinates are log10 on a log axis. */
static plot_scale x_scale, y_scale;
/* the figure's text size, which the legend's smaller text returns to */
static double text_scale = 0.9;
/* a page of one panel keeps its right part for the legend */
static int legend_outside;
/* the figure's grid of panels */
static int page_columns = 1, page_rows = 1;
/* The current panel's world window, and where its data were drawn (in [0, 1] of the
 * panel; the marks of one line or one point share a group), so that a legend inside it
 * goes to the corner that hides the fewest lines and points. */
static double window[4];
#define PLOT_MARKS 4096
static double mark_u[PLOT_MARKS], mark_v[PLOT_MARKS];
static int mark_group[PLOT_MARKS];
static long n_marks;
static int n_groups;

static void mark(double wx, double wy)
{
    if (n_marks < PLOT_MARKS && window[1] != window[0] && window[3] != window[2]) {
        mark_u[n_marks] = (wx - window[0]) / (window[1] - window[0]);
        mark_v[n_marks] = (wy - window[2]) / (window[3] - window[2]);
        mark_group[n_marks++] = n_groups;
    }
}

static double to_world(double v, plot_scale scale)
{
    return scale == PLOT_LOG ? log10(v) : v;
}

static int usable(double v, plot_scale scale)
{
    return isfinite(v) && (scale == PLOT_LINEAR || v > 0);
}

/* Colours chosen for contrast on white and for colour-blind readers (matplotlib's tab10
 * order, then a viridis-like ramp for the palette of a variable's values). */
static void set_colours(void)
{
    plscmap0n(PLOT_PALETTE + PLOT_PALETTE_SIZE);
    plscol0(PLOT_BACKGROUND, 255, 255, 255);
    plscol0(PLOT_INK, 0, 0, 0);
    plscol0(PLOT_GREY, 150, 150, 150);
    plscol0(PLOT_LAW, 214, 39, 40);
    plscol0(PLOT_LAW2, 31, 119, 180);
    plscol0a(PLOT_BAND, 214, 39, 40, 0.18);
    plscol0a(PLOT_BAND2, 31, 119, 180, 0.18);
    static const int ramp[PLOT_PALETTE_SIZE][3] = {{68, 1, 84},    {70, 50, 126},  {54, 92, 141},
                                                   {39, 127, 142}, {31, 161, 135}, {74, 193, 109},
                                                   {160, 218, 57}, {235, 200, 30}};
    for (int i = 0; i < PLOT_PALETTE_SIZE; i++)
        plscol0(PLOT_PALETTE + i, ramp[i][0], ramp[i][1], ramp[i][2]);
}

static const char *const devices[] = {"pngcairo", "svgcairo"};

int plot_available(char *err, size_t errlen)
{
    /* PLplot ends the process when plinit cannot find its device: ask first */
    const char *menu_array[128], *name_array[128];
    const char **menu = menu_array, **names = name_array;
    int n = 128;
    plgDevs(&menu, &names, &n);
    for (int k = 0; k < 2; k++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = strcmp(names[i], devices[k]) == 0;
        if (!found) {
            message_format(err, errlen,
                           "PLplot has no %s device: its cairo drivers are missing (on Debian: "
                           "apt-get install plplot-driver-cairo)",
                           devices[k]);
            return -1;
        }
    }
    return 0;
}

int plot_figure(const char *dir, const char *name, int columns, int rows, plot_draw draw, void *arg,
                char *err, size_t errlen)
{
    static const char *const suffixes[] = {"png", "svg"};
    if (plot_available(err, errlen) != 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, suffixes[k]);
        /* PLplot says nothing useful when it cannot open its file: try first */
        FILE *probe = fopen(path, "w");
        if (!probe) {
            message_format(err, errlen, "%s: %s", path, strerror(errno));
            return -1;
        }
        fclose(probe);
        plsdev(devices[k]);
        plsfnam(path);
        plspage(0, 0, PLOT_WIDTH, PLOT_HEIGHT, 0, 0);
        plssub(columns, rows);
        set_colours();
        plinit();
        plfontld(1);
        text_scale = columns > 1 || rows > 1 ? 0.75 : 0.9;
        legend_outside = columns == 1 && rows == 1;
        page_columns = columns;
        page_rows = rows;
        plschr(0, text_scale);
        draw(arg);
        plend();
    }
    return 0;
}

void plot_spaced(double lo, double hi, plot_scale scale, int n, double *out)
{
    for (int i = 0; i < n; i++) {
        const double t = (double)i / (n - 1);
        out[i] = scale == PLOT_LOG ? exp(log(lo) + t * (log(hi) - log(lo))) : lo + t * (hi - lo);
    }
}

void plot_axis_include(plot_axis *axis, const double *v, long n)
{
    for (long i = 0; i < n; i++) {
        if (!usable(v[i], axis->scale))
            continue;
        if (!(axis->lo <= v[i]))
            axis->lo = v[i];
        if (!(axis->hi >= v[i]))
            axis->hi = v[i];
    }
}

plot_axis plot_axis_of(const double *v, long n, plot_scale scale, const char *label)
{
    plot_axis a = {NAN, NAN, scale, label};
    plot_axis_include(&a, v, n);
    if (!isfinite(a.lo)) {
        a.lo = 1;
        a.hi = 10;
    }
    /* a margin of 6% of the span (in the axis's scale) on each side */
    if (scale == PLOT_LOG) {
        double lo = log10(a.lo), hi = log10(a.hi);
        double margin = hi > lo ? 0.06 * (hi - lo) : 0.1;
        a.lo = pow(10, lo - margin);
        a.hi = pow(10, hi + margin);
    } else {
        double margin = a.hi > a.lo ? 0.06 * (a.hi - a.lo) : fabs(a.lo) * 0.1 + 0.1;
        a.lo -= margin;
        a.hi += margin;
    }
    return a;
}

/* Labels of a log axis narrower than two decades (the values, not powers of ten) or wider
 * than seven (1e+10, every other decade). */
static void value_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    (void)axis, (void)data;
    snprintf(label, (size_t)length, "%.3g", pow(10.0, value));
}

/* Box options and tick spacing of one axis; a log axis narrower than two decades takes at
 * most max_labels labels (values as wide as 3.98e+05: the x axis has room for four). */
static void axis_options(const plot_axis *a, int max_labels, char *options, size_t size,
                         double *tick, int *sub)
{
    *tick = 0;
    *sub = 0;
    if (a->scale == PLOT_LINEAR) {
        snprintf(options, size, "bcnstg");
        return;
    }
    const double span = log10(a->hi) - log10(a->lo);
    if (span > 7.0) {
        /* a label every other decade, as 1e+10: ten of them would run together */
        snprintf(options, size, "bcnsto");
        *tick = 2;
        *sub = 2;
        return;
    }
    if (span >= 2.0) {
        snprintf(options, size, "bcnstlg");
        *tick = 1;
        return;
    }
    /* up to max_labels labelled ticks, at a round step of log10 */
    static const double steps[] = {0.01, 0.02, 0.05, 0.1, 0.2, 0.5};
    *tick = steps[5];
    for (int i = 0; i < 6; i++)
        if (span / steps[i] <= max_labels) {
            *tick = steps[i];
            break;
        }
    *sub = 2;
    snprintf(options, size, "bcnsto");
}

void plot_panel(const plot_axis *x, const plot_axis *y, const char *title)
{
    pladv(0);
    plcol0(PLOT_INK);
    /* a panel of several keeps a wider left margin: its y label sits further out, clear of
     * tick labels as wide as 0.00631 */
    if (legend_outside)
        plvpor(0.12, 0.63, 0.11, 0.91);
    else
        plvpor(0.24, 0.95, 0.12, 0.90);
    x_scale = x->scale;
    y_scale = y->scale;
    window[0] = to_world(x->lo, x->scale);
    window[1] = to_world(x->hi, x->scale);
    window[2] = to_world(y->lo, y->scale);
    window[3] = to_world(y->hi, y->scale);
    n_marks = 0;
    n_groups = 0;
    plwind(window[0], window[1], window[2], window[3]);
    char xo[16], yo[16];
    double xt, yt;
    int xs, ys;
    axis_options(x, 4, xo, sizeof xo, &xt, &xs);
    axis_options(y, 6, yo, sizeof yo, &yt, &ys);
    size_t n = strlen(yo);
    snprintf(yo + n, sizeof yo - n, "v"); /* labels upright */
    plslabelfunc(value_label, NULL);
    /* the grid in light grey first, then the box in ink over it */
    plcol0(PLOT_GREY);
    plwidth(0.3);
    char xg[16], yg[16];
    snprintf(xg, sizeof xg, "g%s", x->scale == PLOT_LOG && !strchr(xo, 'o') ? "l" : "");
    snprintf(yg, sizeof yg, "g%s", y->scale == PLOT_LOG && !strchr(yo, 'o') ? "l" : "");
    plbox(xg, xt, 0, yg, yt, 0);
    plcol0(PLOT_INK);
    plwidth(1);
    for (char *o = strchr(xo, 'g'); o; o = strchr(xo, 'g'))
        memmove(o, o + 1, strlen(o));
    for (char *o = strchr(yo, 'g'); o; o = strchr(yo, 'g'))
        memmove(o, o + 1, strlen(o));
    plbox(xo, xt, xs, yo, yt, ys);
    /* the y label clear of tick labels as wide as 1e+10 */
    pllab(x->label, "", title ? title : "");
    plmtex("l", legend_outside ? 5.0 : 7.0, 0.5, 0.5, y->label);
}

void plot_line(long n, const double *x, const double *y, int colour, double width, int style)
{
    PLFLT *wx = malloc(sizeof *wx * (size_t)(n > 0 ? n : 1));
    PLFLT *wy = malloc(sizeof *wy * (size_t)(n > 0 ? n : 1));
    if (!wx || !wy) {
        free(wx);
        free(wy);
        return;
    }
    plcol0(colour);
    plwidth(width);
    pllsty(style);
    long m = 0;
    for (long i = 0; i <= n; i++) {
        if (i < n && usable(x[i], x_scale) && usable(y[i], y_scale)) {
            wx[m] = to_world(x[i], x_scale);
            wy[m] = to_world(y[i], y_scale);
            /* the vertex and points along the segment to it: a line hides what it crosses */
            for (int k = m > 0 ? 1 : 4; k <= 4; k++)
                mark(m > 0 ? wx[m - 1] + (wx[m] - wx[m - 1]) * k / 4.0 : wx[m],
                     m > 0 ? wy[m - 1] + (wy[m] - wy[m - 1]) * k / 4.0 : wy[m]);
            m++;
            continue;
        }
        if (m >= 2)
            plline((PLINT)m, wx, wy);
        m = 0;
        n_groups++;
    }
    pllsty(1);
    plwidth(1);
    free(wx);
    free(wy);
}

void plot_points(long n, const double *x, const double *y, int colour, const char *symbol)
{
    plcol0(colour);
    for (long i = 0; i < n; i++) {
        if (!usable(x[i], x_scale) || !usable(y[i], y_scale))
            continue;
        PLFLT wx = to_world(x[i], x_scale), wy = to_world(y[i], y_scale);
        mark(wx, wy);
        n_groups++;
        plstring(1, &wx, &wy, symbol);
    }
}

void plot_band(long n, const double *x, const double *lower, const double *upper, int colour)
{
    PLFLT *wx = malloc(sizeof *wx * (size_t)(2 * n + 1));
    PLFLT *wy = malloc(sizeof *wy * (size_t)(2 * n + 1));
    if (!wx || !wy) {
        free(wx);
        free(wy);
        return;
    }
    long m = 0;
    for (long i = 0; i < n; i++)
        if (usable(x[i], x_scale) && usable(lower[i], y_scale) && usable(upper[i], y_scale)) {
            wx[m] = to_world(x[i], x_scale);
            wy[m++] = to_world(upper[i], y_scale);
        }
    for (long i = n - 1; i >= 0; i--)
        if (usable(x[i], x_scale) && usable(lower[i], y_scale) && usable(upper[i], y_scale)) {
            wx[m] = to_world(x[i], x_scale);
            wy[m++] = to_world(lower[i], y_scale);
        }
    if (m >= 4) {
        plcol0(colour);
        plfill((PLINT)m, wx, wy);
    }
    free(wx);
    free(wy);
}

void plot_error_bars(long n, const double *x, const double *lower, const double *upper, int colour)
{
    plcol0(colour);
    for (long i = 0; i < n; i++) {
        if (!usable(x[i], x_scale) || !usable(lower[i], y_scale) || !usable(upper[i], y_scale))
            continue;
        PLFLT wx = to_world(x[i], x_scale), lo = to_world(lower[i], y_scale),
              hi = to_world(upper[i], y_scale);
        mark(wx, lo);
        mark(wx, hi);
        n_groups++;
        plerry(1, &wx, &lo, &hi);
    }
}

void plot_contours(int nx, const double *x, int ny, const double *y, const double *values,
                   const double *levels, int n_levels, int colour)
{
    PLFLT xg[nx], yg[ny];
    for (int i = 0; i < nx; i++)
        xg[i] = to_world(x[i], x_scale);
    for (int j = 0; j < ny; j++)
        yg[j] = to_world(y[j], y_scale);
    const PLFLT *rows[nx];
    for (int i = 0; i < nx; i++)
        rows[i] = values + (size_t)i * (size_t)ny;
    PLcGrid grid = {xg, yg, NULL, nx, ny, 0};
    plcol0(colour);
    plwidth(1);
    pl_setcontlabelformat(4, 3);
    pl_setcontlabelparam(0.008, 0.5, 0.3, 1);
    plcont(rows, nx, ny, 1, nx, 1, ny, levels, n_levels, pltr1, &grid);
    pl_setcontlabelparam(0.008, 0.5, 0.3, 0);
}

void plot_text(double x, double y, const char *text, int colour)
{
    if (!usable(x, x_scale) || !usable(y, y_scale))
        return;
    plcol0(colour);
    plptex(to_world(x, x_scale), to_world(y, y_scale), 1, 0, 0, text);
}

int plot_legend_corner(const double *u, const double *v, const int *group, long n, double width,
                       double height, int preferred)
{
    /* the preferred corner first, then upper right, upper left, lower left, lower right */
    int order[5] = {preferred, PLOT_UPPER_RIGHT, PLOT_UPPER_LEFT, PLOT_LOWER_LEFT,
                    PLOT_LOWER_RIGHT};
    int best = preferred;
    long fewest = -1;
    for (int c = 0; c < 5; c++) {
        const int corner = order[c];
        const int right = corner == PLOT_UPPER_RIGHT || corner == PLOT_LOWER_RIGHT;
        const int upper = corner == PLOT_UPPER_RIGHT || corner == PLOT_UPPER_LEFT;
        const double u0 = right ? 1 - width : 0, v0 = upper ? 1 - height : 0;
        long hidden = 0, counted = -1; /* a group's marks are consecutive */
        for (long i = 0; i < n; i++)
            if (u[i] >= u0 && u[i] <= u0 + width && v[i] >= v0 && v[i] <= v0 + height &&
                (!group || group[i] != counted)) {
                hidden++;
                counted = group ? group[i] : -1;
            }
        if (fewest < 0 || hidden < fewest) {
            fewest = hidden;
            best = corner;
        }
    }
    return best;
}

void plot_legend(int n, const plot_key *keys, int lower_left)
{
    if (n <= 0)
        return;
    PLINT opt[n], text_colours[n], line_colours[n], line_styles[n], symbol_colours[n],
        symbol_numbers[n], box_colours[n], box_patterns[n];
    PLFLT line_widths[n], symbol_scales[n], box_scales[n], box_widths[n];
    const char *texts[n], *symbols[n];
    for (int i = 0; i < n; i++) {
        opt[i] = keys[i].kind == PLOT_KEY_LINE    ? PL_LEGEND_LINE
                 : keys[i].kind == PLOT_KEY_POINT ? PL_LEGEND_SYMBOL
                 : keys[i].kind == PLOT_KEY_BAND  ? PL_LEGEND_COLOR_BOX
                                                  : PL_LEGEND_NONE;
        texts[i] = keys[i].text;
        text_colours[i] = PLOT_INK;
        line_colours[i] = symbol_colours[i] = box_colours[i] = keys[i].colour;
        line_styles[i] = 1;
        line_widths[i] = 2;
        symbol_scales[i] = 1;
        symbol_numbers[i] = 1;
        symbols[i] = keys[i].symbol ? keys[i].symbol : PLOT_DOT;
        box_patterns[i] = 0;
        box_scales[i] = 0.8;
        box_widths[i] = 1;
    }
    PLFLT width, height;
    plschr(0, 0.8 * text_scale);
    PLINT position = PL_POSITION_OUTSIDE | PL_POSITION_RIGHT;
    double legend_scale = 0.9; /* pllegend's text scale */
    if (!legend_outside) {
        /* its size in the panel's units, from the text height and the longest text: as
         * drawn by the cairo drivers (measured: 12 characters 17.2 heights wide, 27 30.0) a
         * character is about 0.86 of PLplot's height wide, the key and margins 7 heights, an
         * entry 1.8 heights tall, 2% from the panel's edge. Text too long for the panel is
         * drawn smaller, so that the legend stays inside it. */
        PLFLT default_mm, height_mm, sub[4], vp[4];
        plgchr(&default_mm, &height_mm);
        plgspa(&sub[0], &sub[1], &sub[2], &sub[3]);
        plgvpd(&vp[0], &vp[1], &vp[2], &vp[3]);
        size_t longest = 0;
        for (int i = 0; i < n; i++)
            longest =
                keys[i].text && strlen(keys[i].text) > longest ? strlen(keys[i].text) : longest;
        const double panel_w = (sub[1] - sub[0]) * page_columns * (vp[1] - vp[0]),
                     panel_h = (sub[3] - sub[2]) * page_rows * (vp[3] - vp[2]);
        double w = ((double)longest * 0.9 + 7) * height_mm / panel_w + 0.02,
               h = (n * 1.8 + 0.5) * height_mm / panel_h + 0.02;
        if (w > 0.96) {
            const double shrink = 0.96 / w;
            legend_scale *= shrink;
            w = 0.96;
            h *= shrink;
        }
        const int corner = plot_legend_corner(mark_u, mark_v, mark_group, n_marks, w, h,
                                              lower_left ? PLOT_LOWER_LEFT : PLOT_UPPER_RIGHT);
        position = PL_POSITION_INSIDE |
                   (corner == PLOT_UPPER_RIGHT || corner == PLOT_UPPER_LEFT ? PL_POSITION_TOP
                                                                            : PL_POSITION_BOTTOM) |
                   (corner == PLOT_UPPER_RIGHT || corner == PLOT_LOWER_RIGHT ? PL_POSITION_RIGHT
                                                                             : PL_POSITION_LEFT);
    }
    pllegend(&width, &height, legend_outside ? 0 : PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             position, legend_outside ? 0.02 : 0.02, legend_outside ? 0.0 : 0.02, 0.05,
             PLOT_BACKGROUND, PLOT_GREY, 1, 0, 0, n, opt, 0.8, legend_scale, 1.8, 0, text_colours,
             texts, box_colours, box_patterns, box_scales, box_widths, line_colours, line_styles,
             line_widths, symbol_colours, symbol_scales, symbol_numbers, symbols);
    plschr(0, text_scale);
}
