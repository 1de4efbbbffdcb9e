/* Chinchilla's parametric fit (Hoffmann et al. 2022, Approach 3), as they did it:
 *   minimise  sum_i w_i Huber_delta( LSE(a - alpha ln N_i, b - beta ln D_i, e) - ln L_i )
 * (delta = 1e-3, summed, not averaged) by L-BFGS from every point of a 4,500-point grid
 * of starts, keeping the best. A = exp(a), B = exp(b), E = exp(e).
 *
 * Speed. The objective is evaluated about 300,000 times per grid, so it is arranged
 * to do little: ln N, ln D, ln L are computed once; the exponentials are taken once per
 * distinct N and per distinct D (a sweep has a few dozen model sizes and token counts,
 * not one per run), leaving one logarithm and one division per point; the gradient is
 * analytic and comes from the same pass. The LSE's max-shift (which guards exp against
 * overflow) is skipped when every exponent is within +-600, where exp cannot overflow
 * or underflow to zero; otherwise the per-point stable form is used, so the result is
 * the same function either way. exp and log of those loops run through glibc's vector
 * versions (libmvec, declared below).
 *
 * Every start is run: first to a moderate gradient tolerance, then the 16 distinct end
 * points with the lowest objectives are polished to a tight tolerance from a fresh
 * Hessian, and the best of those is restarted while it still improves. Why: with
 * delta = 1e-3 nearly every residual sits on the linear part of the Huber loss, so the
 * objective behaves like a sum of absolute values and BFGS creeps along its valley; run
 * to 1e-9 from every start the grid costs 70 times more (about 19 million evaluations
 * for 240 points) and ends at the same optimum (to 1e-12 of the objective). On that data
 * a third of the starts reach the best basin when run to convergence, the rest end on
 * plateaus where one term swamps the others (objective 7 to 14 times higher), which the
 * first pass already tells apart. The risk is a narrow basin that the first pass ranks
 * below 16 others; tests/test_fit_reference.sh compares the result with scipy run to
 * its own convergence from the same starts. Starts are independent, so threads split
 * them and the answer does not depend on the number of threads. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_vector.h>

#include "dispatch.h"
#include "fit_internal.h"

/* glibc's libmvec has vector versions of exp and log, but math.h announces them only
 * under -ffast-math, which we do not want for the rest of the arithmetic. Declaring them
 * here lets the "omp simd" loops below (-fopenmp-simd) call them; their error is a few
 * ulp, far below anything the fit can see. Without -fopenmp-simd these are scalar calls. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
__attribute__((simd("notinbranch"))) double exp(double);
__attribute__((simd("notinbranch"))) double log(double);
#endif

struct fit_chinchilla_data {
    int64_t n;            /* points */
    int64_t n_unique_n;   /* distinct N */
    int64_t n_unique_d;   /* distinct D */
    double *log_n;        /* (n_unique_n) */
    double *log_d;        /* (n_unique_d) */
    int32_t *n_index;     /* (n) into log_n */
    int32_t *d_index;     /* (n) into log_d */
    double *log_loss;     /* (n) */
    double *weight;       /* (n) */
    double delta;
};

/* One thread's scratch: exponentials and gradient sums per distinct N and D. */
typedef struct {
    const fit_chinchilla_data *data;
    double *exp_u, *exp_v;    /* exp(a - alpha ln N_k), exp(b - beta ln D_k) */
    double *grad_u, *grad_v;  /* sum of Huber'(r) w / S times those, per distinct value */
    double *sum, *slope;      /* (n) S_i = the sum inside the LSE, and w Huber'(r_i) / S_i */
    long evaluations;
} chinchilla_work;

/* Sorted distinct values of v and, for each point, the index of its value. */
static int64_t unique_index(const double *v, int64_t n, double *unique, int32_t *index)
{
    memcpy(unique, v, (size_t)n * sizeof(double));
    qsort(unique, (size_t)n, sizeof(double), fit_compare_doubles);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (m == 0 || unique[i] != unique[m - 1])
            unique[m++] = unique[i];
    for (int64_t i = 0; i < n; i++) {
        int64_t lo = 0, hi = m - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (unique[mid] < v[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        index[i] = (int32_t)lo;
    }
    return m;
}

static int compare_points(const void *x, const void *y, void *arg)
{
    const fit_chinchilla_data *d = arg;
    const int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
    if (d->n_index[i] != d->n_index[j])
        return (d->n_index[i] > d->n_index[j]) - (d->n_index[i] < d->n_index[j]);
    if (d->d_index[i] != d->d_index[j])
        return (d->d_index[i] > d->d_index[j]) - (d->d_index[i] < d->d_index[j]);
    return (d->log_loss[i] > d->log_loss[j]) - (d->log_loss[i] < d->log_loss[j]);
}

/* A bootstrap resample draws a third of its rows more than once: identical points are
 * merged into one with their summed weight, the same objective for fewer logarithms.
 * (Out of memory here only leaves the points unmerged.) */
static void merge_repeats(fit_chinchilla_data *d)
{
    int64_t *order = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof(int64_t));
    if (!order)
        return;
    for (int64_t i = 0; i < d->n; i++)
        order[i] = i;
    qsort_r(order, (size_t)d->n, sizeof(int64_t), compare_points, d);
    int32_t *n_index = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof(int32_t));
    int32_t *d_index = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof(int32_t));
    double *log_loss = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof(double));
    double *weight = malloc((size_t)(d->n > 0 ? d->n : 1) * sizeof(double));
    if (!n_index || !d_index || !log_loss || !weight) {
        free(order);
        free(n_index);
        free(d_index);
        free(log_loss);
        free(weight);
        return;
    }
    int64_t m = 0;
    for (int64_t k = 0; k < d->n; k++) {
        const int64_t i = order[k];
        if (m > 0 && n_index[m - 1] == d->n_index[i] && d_index[m - 1] == d->d_index[i] &&
            log_loss[m - 1] == d->log_loss[i]) {
            weight[m - 1] += d->weight[i];
            continue;
        }
        n_index[m] = d->n_index[i];
        d_index[m] = d->d_index[i];
        log_loss[m] = d->log_loss[i];
        weight[m++] = d->weight[i];
    }
    free(order);
    free(d->n_index);
    free(d->d_index);
    free(d->log_loss);
    free(d->weight);
    d->n_index = n_index;
    d->d_index = d_index;
    d->log_loss = log_loss;
    d->weight = weight;
    d->n = m;
}

fit_chinchilla_data *fit_chinchilla_data_new(const double *n_params, const double *tokens,
                                             const double *loss, const double *weight,
                                             int64_t n, double delta)
{
    fit_chinchilla_data *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->n = n;
    d->delta = delta;
    size_t bytes = (size_t)(n > 0 ? n : 1) * sizeof(double);
    d->log_n = malloc(bytes);
    d->log_d = malloc(bytes);
    d->log_loss = malloc(bytes);
    d->weight = malloc(bytes);
    d->n_index = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    d->d_index = malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    double *scratch = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    if (!d->log_n || !d->log_d || !d->log_loss || !d->weight || !d->n_index || !d->d_index ||
        !scratch) {
        free(scratch);
        fit_chinchilla_data_free(d);
        return NULL;
    }
    for (int64_t i = 0; i < n; i++)
        scratch[i] = log(n_params[i]);
    d->n_unique_n = unique_index(scratch, n, d->log_n, d->n_index);
    for (int64_t i = 0; i < n; i++)
        scratch[i] = log(tokens[i]);
    d->n_unique_d = unique_index(scratch, n, d->log_d, d->d_index);
    free(scratch);
    for (int64_t i = 0; i < n; i++) {
        d->log_loss[i] = log(loss[i]);
        d->weight[i] = weight ? weight[i] : 1.0;
    }
    merge_repeats(d);
    return d;
}

void fit_chinchilla_data_free(fit_chinchilla_data *d)
{
    if (!d)
        return;
    free(d->log_n);
    free(d->log_d);
    free(d->log_loss);
    free(d->weight);
    free(d->n_index);
    free(d->d_index);
    free(d);
}

static int work_init(chinchilla_work *w, const fit_chinchilla_data *d)
{
    memset(w, 0, sizeof(*w));
    w->data = d;
    w->exp_u = malloc((size_t)d->n_unique_n * sizeof(double));
    w->grad_u = malloc((size_t)d->n_unique_n * sizeof(double));
    w->exp_v = malloc((size_t)d->n_unique_d * sizeof(double));
    w->grad_v = malloc((size_t)d->n_unique_d * sizeof(double));
    w->sum = malloc((size_t)d->n * sizeof(double));
    w->slope = malloc((size_t)d->n * sizeof(double));
    return (w->exp_u && w->grad_u && w->exp_v && w->grad_v && w->sum && w->slope) ? 0 : -1;
}

static void work_free(chinchilla_work *w)
{
    free(w->exp_u);
    free(w->grad_u);
    free(w->exp_v);
    free(w->grad_v);
    free(w->sum);
    free(w->slope);
}

/* Huber_delta(r) = r^2/2 for |r| <= delta, delta (|r| - delta/2) beyond (scipy's
 * special.huber); *slope receives its derivative. */
static inline double huber(double r, double delta, double *slope)
{
    if (fabs(r) <= delta) {
        *slope = r;
        return 0.5 * r * r;
    }
    *slope = r > 0 ? delta : -delta;
    return delta * (fabs(r) - 0.5 * delta);
}

/* The objective at p = (a, b, e, alpha, beta) and, if gradient is not NULL, its gradient. */
SCALESWEEP_HOT static double objective(chinchilla_work *w, const double *p, double *gradient)
{
    const fit_chinchilla_data *d = w->data;
    const double a = p[0], b = p[1], e = p[2], alpha = p[3], beta = p[4];
    const double delta = d->delta;
    w->evaluations++;
    if (!(isfinite(a) && isfinite(b) && isfinite(e) && isfinite(alpha) && isfinite(beta)))
        return INFINITY;
    double max_u = -INFINITY, min_u = INFINITY, max_v = -INFINITY, min_v = INFINITY;
    for (int64_t k = 0; k < d->n_unique_n; k++) {
        double u = a - alpha * d->log_n[k];
        max_u = u > max_u ? u : max_u;
        min_u = u < min_u ? u : min_u;
        w->exp_u[k] = u;
        w->grad_u[k] = 0.0;
    }
    for (int64_t k = 0; k < d->n_unique_d; k++) {
        double v = b - beta * d->log_d[k];
        max_v = v > max_v ? v : max_v;
        min_v = v < min_v ? v : min_v;
        w->exp_v[k] = v;
        w->grad_v[k] = 0.0;
    }
    double total = 0.0, grad_e = 0.0;
    const int fast = fmax(fmax(max_u, max_v), e) < 600.0 && fmax(fmax(min_u, min_v), e) > -600.0;
    if (fast) {
        const int64_t n = d->n;
        double *restrict exp_u = w->exp_u, *restrict exp_v = w->exp_v;
        double *restrict sum = w->sum, *restrict slope = w->slope;
        const int32_t *restrict n_index = d->n_index, *restrict d_index = d->d_index;
        const double *restrict log_loss = d->log_loss, *restrict weight = d->weight;
        /* separate simple loops, so that exp and log vectorise (simd variants, below) */
#pragma omp simd
        for (int64_t k = 0; k < d->n_unique_n; k++)
            exp_u[k] = exp(exp_u[k]);
#pragma omp simd
        for (int64_t k = 0; k < d->n_unique_d; k++)
            exp_v[k] = exp(exp_v[k]);
        const double exp_e = exp(e);
        for (int64_t i = 0; i < n; i++)
            sum[i] = exp_u[n_index[i]] + exp_v[d_index[i]] + exp_e;
#pragma omp simd reduction(+ : total, grad_e)
        for (int64_t i = 0; i < n; i++) {
            const double r = log(sum[i]) - log_loss[i];
            /* Huber without a branch: clip r to [-delta, delta]; then
               clipped (r - clipped/2) is r^2/2 inside and delta (|r| - delta/2) outside */
            const double clipped = r < -delta ? -delta : (r > delta ? delta : r);
            total += weight[i] * clipped * (r - 0.5 * clipped);
            /* d LSE / d u = exp(u) / sum: the per-value sums are scaled by exp(u) after */
            slope[i] = weight[i] * clipped / sum[i];
            grad_e += slope[i];
        }
        if (gradient) {
            for (int64_t i = 0; i < n; i++) {
                w->grad_u[n_index[i]] += slope[i];
                w->grad_v[d_index[i]] += slope[i];
            }
            grad_e *= exp_e;
            for (int64_t k = 0; k < d->n_unique_n; k++)
                w->grad_u[k] *= exp_u[k];
            for (int64_t k = 0; k < d->n_unique_d; k++)
                w->grad_v[k] *= exp_v[k];
        }
    } else {
        for (int64_t i = 0; i < d->n; i++) {
            const int32_t ni = d->n_index[i], di = d->d_index[i];
            const double u = w->exp_u[ni], v = w->exp_v[di];
            const double m = fmax(fmax(u, v), e);
            const double eu = exp(u - m), ev = exp(v - m), ee = exp(e - m);
            const double s = eu + ev + ee;
            double slope;
            total += d->weight[i] * huber(m + log(s) - d->log_loss[i], delta, &slope);
            const double q = d->weight[i] * slope / s;
            w->grad_u[ni] += q * eu;
            w->grad_v[di] += q * ev;
            grad_e += q * ee;
        }
    }
    if (gradient) {
        double ga = 0.0, galpha = 0.0, gb = 0.0, gbeta = 0.0;
        for (int64_t k = 0; k < d->n_unique_n; k++) {
            ga += w->grad_u[k];
            galpha -= w->grad_u[k] * d->log_n[k];
        }
        for (int64_t k = 0; k < d->n_unique_d; k++) {
            gb += w->grad_v[k];
            gbeta -= w->grad_v[k] * d->log_d[k];
        }
        gradient[0] = ga;
        gradient[1] = gb;
        gradient[2] = grad_e;
        gradient[3] = galpha;
        gradient[4] = gbeta;
    }
    return total;
}

static double gsl_f(const gsl_vector *x, void *params)
{
    return objective(params, x->data, NULL);
}

static void gsl_df(const gsl_vector *x, void *params, gsl_vector *g)
{
    objective(params, x->data, g->data);
}

static void gsl_fdf(const gsl_vector *x, void *params, double *f, gsl_vector *g)
{
    *f = objective(params, x->data, g->data);
}

double fit_chinchilla_objective(const double *n_params, const double *tokens,
                                const double *loss, int64_t n, double delta, const double p[5],
                                double gradient[5])
{
    fit_chinchilla_data *d = fit_chinchilla_data_new(n_params, tokens, loss, NULL, n, delta);
    if (!d)
        return NAN;
    chinchilla_work w;
    double f = NAN;
    if (work_init(&w, d) == 0)
        f = objective(&w, p, gradient);
    work_free(&w);
    fit_chinchilla_data_free(d);
    return f;
}


/* The grid of Hoffmann et al.: alpha, beta in {0, .5, .., 2}; e in {-1, -.5, .., 1};
 * a, b in {0, 5, .., 25}: 5 * 5 * 5 * 6 * 6 = 4,500 starts, as (a, b, e, alpha, beta). */
#define GRID_SIZE 4500

static void grid_point(int index, double p[5])
{
    int i = index;
    const int alpha_i = i % 5;
    i /= 5;
    const int beta_i = i % 5;
    i /= 5;
    const int e_i = i % 5;
    i /= 5;
    const int a_i = i % 6;
    i /= 6;
    const int b_i = i;
    p[0] = 5.0 * a_i;
    p[1] = 5.0 * b_i;
    p[2] = -1.0 + 0.5 * e_i;
    p[3] = 0.5 * alpha_i;
    p[4] = 0.5 * beta_i;
}

/* Stopping: the first pass stops at a gradient norm of COARSE_GRADIENT (relative to the
 * number of points), the polish at options->polish_gradient, or when the line search makes no more
 * progress, or after MAX_ITERATIONS. */
#define COARSE_GRADIENT 1e-5
#define MAX_ITERATIONS 2000
#define POLISHED 16

void fit_chinchilla_options_defaults(fit_chinchilla_options *o)
{
    memset(o, 0, sizeof(*o));
    o->delta = 1e-3;
    o->grid_stride = 1;
    o->threads = 2;
    o->polish = POLISHED;
    o->polish_gradient = 1e-11;
}

typedef struct {
    double p[5];
    double f;
} start_result;

/* Runs BFGS from p (overwritten by the end point); returns the objective there. */
static double minimise(gsl_multimin_fdfminimizer *s, chinchilla_work *w, double *p,
                       double gradient_tolerance)
{
    gsl_multimin_function_fdf fdf = {gsl_f, gsl_df, gsl_fdf, 5, w};
    gsl_vector_view x = gsl_vector_view_array(p, 5);
    if (!isfinite(objective(w, p, NULL)))
        return INFINITY;
    if (gsl_multimin_fdfminimizer_set(s, &fdf, &x.vector, 0.1, 0.1) != GSL_SUCCESS)
        return INFINITY;
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
        int status = gsl_multimin_fdfminimizer_iterate(s);
        if (status != GSL_SUCCESS)
            break; /* GSL_ENOPROG: the line search found nothing lower; we are there */
        if (gsl_multimin_test_gradient(s->gradient, gradient_tolerance) == GSL_SUCCESS)
            break;
    }
    const gsl_vector *end = gsl_multimin_fdfminimizer_x(s);
    for (int j = 0; j < 5; j++)
        p[j] = gsl_vector_get(end, j);
    const double f = gsl_multimin_fdfminimizer_minimum(s);
    return isfinite(f) ? f : INFINITY;
}

/* Newton steps from p (improved in place; *f its objective on entry and on return), with
 * the Hessian from central differences of the analytic gradient and a backtracking line
 * search. BFGS ends its polish in the long, nearly flat valley of (a, alpha) and (b, beta)
 * wherever the rounding of BLAS's level-1 kernels (GSL's BFGS uses them) lets its line
 * search stall: Prescott's and Haswell's kernels stopped 3.5e-8 and 7e-9 (relative) above
 * the optimum, at points 1e-3 apart. Newton's steps do not mind the valley's conditioning
 * and reach the same optimum from both. Stops when no step lowers the objective, at a
 * Hessian that is not positive definite (p stays where it is), or after 50 steps. */
static void newton_finish(chinchilla_work *w, double p[5], double *f)
{
    for (int iteration = 0; iteration < 50; iteration++) {
        double g[5], h[25], step[5], x[5];
        if (!(objective(w, p, g) == *f))
            return;
        for (int j = 0; j < 5; j++) {
            const double eps = 1e-5 * fmax(1.0, fabs(p[j]));
            double up[5], down[5], g_up[5], g_down[5];
            memcpy(up, p, sizeof(up));
            memcpy(down, p, sizeof(down));
            up[j] += eps;
            down[j] -= eps;
            objective(w, up, g_up);
            objective(w, down, g_down);
            for (int k = 0; k < 5; k++)
                h[5 * k + j] = (g_up[k] - g_down[k]) / (2.0 * eps);
        }
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < j; k++)
                h[5 * j + k] = h[5 * k + j] = 0.5 * (h[5 * j + k] + h[5 * k + j]);
        gsl_matrix_view hessian = gsl_matrix_view_array(h, 5, 5);
        gsl_vector_view gradient = gsl_vector_view_array(g, 5),
                        solution = gsl_vector_view_array(step, 5);
        if (gsl_linalg_cholesky_decomp1(&hessian.matrix) != GSL_SUCCESS ||
            gsl_linalg_cholesky_solve(&hessian.matrix, &gradient.vector, &solution.vector) !=
                GSL_SUCCESS)
            return;
        double t = 1.0, fx = INFINITY;
        for (int halving = 0; halving < 40 && !(fx < *f); halving++, t *= 0.5) {
            for (int k = 0; k < 5; k++)
                x[k] = p[k] - t * step[k];
            fx = objective(w, x, NULL);
        }
        if (!(fx < *f))
            return;
        memcpy(p, x, sizeof(x));
        *f = fx;
    }
}

typedef struct {
    const fit_chinchilla_data *data;
    const double *starts;   /* (count, 5) */
    start_result *results;  /* (count) */
    int count, thread, threads;
    double gradient_tolerance;
    int failed;
    long evaluations;
} start_batch;

static void *run_starts(void *arg)
{
    start_batch *batch = arg;
    chinchilla_work w;
    memset(&w, 0, sizeof(w)); /* work_free below may see it without work_init */
    gsl_multimin_fdfminimizer *s =
        gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, 5);
    if (!s || work_init(&w, batch->data) != 0) {
        batch->failed = 1;
        if (s)
            gsl_multimin_fdfminimizer_free(s);
        work_free(&w);
        return NULL;
    }
    for (int i = batch->thread; i < batch->count; i += batch->threads) {
        start_result *r = &batch->results[i];
        memcpy(r->p, batch->starts + 5 * i, sizeof(r->p));
        r->f = minimise(s, &w, r->p, batch->gradient_tolerance);
    }
    batch->evaluations += w.evaluations;
    gsl_multimin_fdfminimizer_free(s);
    work_free(&w);
    return NULL;
}

/* Runs every start, splitting them over threads; 0 or -1 (out of memory or threads). */
static int run_all(const fit_chinchilla_data *data, const double *starts, start_result *results,
                   int count, int threads, double gradient_tolerance, long *evaluations)
{
    if (threads < 1)
        threads = 1;
    if (threads > count)
        threads = count > 0 ? count : 1;
    start_batch batch[16];
    pthread_t thread[16];
    int started[16] = {0};
    if (threads > 16)
        threads = 16;
    int failed = 0;
    for (int t = 0; t < threads; t++) {
        batch[t] = (start_batch){data, starts, results, count, t, threads, gradient_tolerance, 0, 0};
        if (t > 0)
            started[t] = pthread_create(&thread[t], NULL, run_starts, &batch[t]) == 0;
        if (t > 0 && !started[t])
            failed = 1;
    }
    run_starts(&batch[0]);
    for (int t = 0; t < threads; t++) {
        if (t > 0 && started[t])
            pthread_join(thread[t], NULL);
        failed |= batch[t].failed;
    }
    if (failed) {
        /* a thread that could not start or allocate: run its share here (thread 0's share
           too, whose allocations may have failed here already: then once more) */
        for (int t = 0; t < threads; t++)
            if (!started[t] || batch[t].failed) {
                batch[t].failed = 0;
                run_starts(&batch[t]);
                if (batch[t].failed)
                    return -1;
            }
    }
    for (int t = 0; t < threads; t++)
        *evaluations += batch[t].evaluations;
    return 0;
}

static int compare_results(const void *x, const void *y)
{
    const start_result *a = x, *b = y;
    return (a->f > b->f) - (a->f < b->f);
}

/* Two end points are the same optimum when their parameters agree to 1e-3 (absolute,
 * the parameters are logs and exponents of order 1-30). */
static int same_point(const double *p, const double *q)
{
    for (int j = 0; j < 5; j++)
        if (fabs(p[j] - q[j]) > 1e-3 * (1.0 + fabs(q[j])))
            return 0;
    return 1;
}

fit_status fit_chinchilla_prepared(const fit_chinchilla_data *data,
                                   const fit_chinchilla_options *options,
                                   fit_chinchilla_result *result, char *message,
                                   size_t message_length)
{
    fit_gsl_errors_off();
    memset(result, 0, sizeof(*result));
    result->objective = NAN;
    int stride = options->grid_stride > 0 ? options->grid_stride : 1;
    int count = options->starts ? options->n_starts : (GRID_SIZE + stride - 1) / stride;
    if (count <= 0) {
        message_format(message, message_length, "no starting points");
        return FIT_FAILED;
    }
    double *starts = malloc((size_t)count * 5 * sizeof(double));
    start_result *results = malloc((size_t)count * sizeof(start_result));
    if (!starts || !results) {
        free(starts);
        free(results);
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    if (options->starts)
        memcpy(starts, options->starts, (size_t)count * 5 * sizeof(double));
    else
        for (int i = 0; i < count; i++)
            grid_point(i * stride, starts + 5 * i);

    /* the gradient is a sum over points: scale its tolerance with their weight */
    double weight = 0.0;
    for (int64_t i = 0; i < data->n; i++)
        weight += data->weight[i];
    fit_status status = FIT_OK;
    if (run_all(data, starts, results, count, options->threads, COARSE_GRADIENT * weight,
                &result->evaluations) != 0) {
        message_format(message, message_length, "out of memory or threads");
        status = FIT_FAILED;
        goto done;
    }
    qsort(results, (size_t)count, sizeof(start_result), compare_results);
    if (!isfinite(results[0].f)) {
        message_format(message, message_length, "no start reached a finite objective");
        status = FIT_FAILED;
        goto done;
    }

    /* polish the best distinct end points from a fresh Hessian, tightly */
    double polish[POLISHED * 5];
    int n_polish = 0;
    const int polish_count =
        options->polish > 0 && options->polish < POLISHED ? options->polish : POLISHED;
    for (int i = 0; i < count && n_polish < polish_count && isfinite(results[i].f); i++) {
        int seen = 0;
        for (int j = 0; j < n_polish && !seen; j++)
            seen = same_point(results[i].p, polish + 5 * j);
        if (!seen)
            memcpy(polish + 5 * n_polish++, results[i].p, 5 * sizeof(double));
    }
    start_result polished[POLISHED];
    if (run_all(data, polish, polished, n_polish, options->threads,
                options->polish_gradient * weight, &result->evaluations) != 0) {
        message_format(message, message_length, "out of memory or threads");
        status = FIT_FAILED;
        goto done;
    }
    qsort(polished, (size_t)n_polish, sizeof(start_result), compare_results);
    /* BFGS can stop (no progress in the line search) before the gradient tolerance; a
       restart from a fresh Hessian usually goes on. Restart while it still gains. */
    for (int restart = 0; restart < 5; restart++) {
        start_result again = polished[0];
        if (run_all(data, polished[0].p, &again, 1, 1, options->polish_gradient * weight,
                    &result->evaluations) != 0) {
            message_format(message, message_length, "out of memory");
            status = FIT_FAILED;
            goto done;
        }
        if (!(again.f < polished[0].f - 1e-15 * fabs(polished[0].f)))
            break;
        polished[0] = again;
    }
    /* seeds at the best, within 1e-8, as BFGS polished them */
    for (int i = 0; i < n_polish; i++)
        if (polished[i].f <= polished[0].f + 1e-8 * fabs(polished[0].f))
            result->candidates_at_best++;
    {
        chinchilla_work w;
        if (work_init(&w, data) != 0) {
            work_free(&w);
            message_format(message, message_length, "out of memory");
            status = FIT_FAILED;
            goto done;
        }
        newton_finish(&w, polished[0].p, &polished[0].f);
        result->evaluations += w.evaluations;
        work_free(&w);
    }
    const start_result *best = &polished[0];
    result->a = best->p[0];
    result->b = best->p[1];
    result->e = best->p[2];
    result->alpha = best->p[3];
    result->beta = best->p[4];
    result->objective = best->f;
    result->starts = count;
    result->candidates = n_polish;
    for (int i = 0; i < n_polish; i++) {
        int seen = 0;
        for (int j = 0; j < result->n_optima && !seen; j++)
            seen = same_point(polished[i].p, result->optima[j]);
        if (!seen && isfinite(polished[i].f) && result->n_optima < FIT_CHINCHILLA_MAX_OPTIMA)
            memcpy(result->optima[result->n_optima++], polished[i].p, 5 * sizeof(double));
    }
done:
    free(starts);
    free(results);
    return status;
}

fit_status fit_chinchilla(const double *n_params, const double *tokens, const double *loss,
                          const double *weight, int64_t n, const fit_chinchilla_options *options,
                          fit_chinchilla_result *result, char *message, size_t message_length)
{
    memset(result, 0, sizeof(*result));
    result->objective = NAN;
    const char *bad = fit_check_positive(n_params, n, "N");
    if (!bad)
        bad = fit_check_positive(tokens, n, "D");
    if (!bad)
        bad = fit_check_positive(loss, n, "loss");
    if (bad) {
        message_format(message, message_length, "%s", bad);
        return FIT_DEGENERATE;
    }
    if (n < 6) {
        message_format(message, message_length, "%lld points for 5 parameters: need at least 6",
                    (long long)n);
        return FIT_DEGENERATE;
    }
    if (fit_count_distinct(n_params, n) < 2 || fit_count_distinct(tokens, n) < 2) {
        message_format(message, message_length,
                    "N and D must each take at least two values (%lld distinct N, %lld distinct D)",
                    (long long)fit_count_distinct(n_params, n),
                    (long long)fit_count_distinct(tokens, n));
        return FIT_DEGENERATE;
    }
    if (n > INT32_MAX) {
        message_format(message, message_length, "too many points");
        return FIT_DEGENERATE;
    }
    fit_chinchilla_data *data = fit_chinchilla_data_new(n_params, tokens, loss, weight, n,
                                                        options->delta);
    if (!data) {
        message_format(message, message_length, "out of memory");
        return FIT_FAILED;
    }
    fit_status status = fit_chinchilla_prepared(data, options, result, message, message_length);
    fit_chinchilla_data_free(data);
    return status;
}
