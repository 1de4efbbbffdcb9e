/* Widths and dispatch order (schedule.h). */
#include "schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* The thetas tried: a run's time at its width is at most theta x the lower bound (the last:
 * every run as narrow as its limits allow, widths only where the bound needs them). */
static const double thetas[] = {0.25, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 2.0, 3.0};
#define THETA_COUNT ((int)(sizeof thetas / sizeof thetas[0]))

struct schedule {
    int64_t n;
    double *cost;
    int *batch;
    int *width;
    int64_t *order; /* runs by cost, largest first (ties: the lower number) */
    schedule_limits limits;
    /* the runs of each width, in order, at class_runs[class_start[c] ...]; the next to give
     * is at class_head[c] */
    int n_classes;
    int *class_width;
    int64_t *class_runs, *class_start, *class_length, *class_head;
    int64_t left;
    int64_t left_width; /* the planned widths of the runs not given yet, summed */
    schedule_estimate estimate;
};

int schedule_widest(const schedule_limits *limits, int batch)
{
    int cap = batch / (limits->min_batch_per_rank > 0 ? limits->min_batch_per_rank : 1);
    if (limits->max_ranks_per_run > 0 && cap > limits->max_ranks_per_run)
        cap = limits->max_ranks_per_run;
    if (cap > limits->ranks)
        cap = limits->ranks;
    int width = train_width_at_most(batch, cap < 1 ? 1 : cap);
    /* the last rank holds what the others leave: it too takes min_batch_per_rank */
    while (width > 1 && batch - (width - 1) * train_shards_per_member(batch, width) <
                            limits->min_batch_per_rank)
        width = train_width_at_most(batch, width - 1);
    return width;
}

double schedule_time(double cost, int batch, int width)
{
    return cost * (double)train_shards_per_member(batch, width) / (double)batch;
}

/* The narrowest width of run i within its limits whose time is at most `target`, else its
 * widest. The widths a batch allows are ceil(batch / 2^k). */
static int width_for(const schedule *s, int64_t i, double target)
{
    const int b = s->batch[i];
    const int widest = schedule_widest(&s->limits, b);
    int block = 1;
    while (block < b)
        block *= 2;
    for (; block >= 1; block /= 2) {
        int w = (b + block - 1) / block;
        if (w > widest)
            break;
        if (schedule_time(s->cost[i], b, w) <= target)
            return w;
    }
    return widest;
}

static int compare_cost(const void *a, const void *b, void *cost_arg)
{
    const double *cost = cost_arg;
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    if (cost[i] != cost[j])
        return cost[i] > cost[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int class_of(const schedule *s, int width)
{
    int c = 0;
    while (c < s->n_classes && s->class_width[c] != width)
        c++;
    return c;
}

/* Buckets the runs by their widths, each bucket in order. */
static void build_classes(schedule *s)
{
    s->n_classes = 0;
    for (int64_t i = 0; i < s->n; i++) {
        int c = class_of(s, s->width[i]);
        if (c == s->n_classes) {
            s->class_width[c] = s->width[i];
            s->class_length[c] = 0;
            s->n_classes++;
        }
        s->class_length[c]++;
    }
    int64_t start = 0;
    for (int c = 0; c < s->n_classes; c++) {
        s->class_start[c] = start;
        s->class_head[c] = start;
        start += s->class_length[c];
        s->class_length[c] = s->class_start[c]; /* the end, while filling */
    }
    for (int64_t k = 0; k < s->n; k++) {
        int64_t i = s->order[k];
        int c = class_of(s, s->width[i]);
        s->class_runs[s->class_length[c]++] = i;
    }
    s->left = s->n;
    s->left_width = 0;
    for (int64_t i = 0; i < s->n; i++)
        s->left_width += s->width[i];
}

int64_t schedule_next(schedule *s, int free, int *width)
{
    int best = -1;
    for (int c = 0; c < s->n_classes; c++) {
        if (s->class_width[c] > free || s->class_head[c] == s->class_length[c])
            continue;
        int64_t i = s->class_runs[s->class_head[c]];
        int64_t j = best >= 0 ? s->class_runs[s->class_head[best]] : -1;
        if (best < 0 || s->cost[i] > s->cost[j] || (s->cost[i] == s->cost[j] && i < j))
            best = c;
    }
    if (best < 0)
        return -1;
    int64_t i = s->class_runs[s->class_head[best]++];
    s->left--;
    s->left_width -= s->width[i];
    *width = s->width[i];
    /* ranks that no run left to start will ask for: the run takes them, up to its widest */
    int64_t spare = free - *width - s->left_width;
    if (spare > 0) {
        int64_t room = *width + spare;
        int widest = schedule_widest(&s->limits, s->batch[i]);
        int wider = train_width_at_most(s->batch[i], room < widest ? (int)room : widest);
        if (wider > *width)
            *width = wider;
    }
    return i;
}

int64_t schedule_left(const schedule *s)
{
    return s->left;
}

int schedule_width(const schedule *s, int64_t i)
{
    return s->width[i];
}

/* ---- the simulation: the dispatch on estimated times ---- */

typedef struct {
    double end;
    int width;
} running;

static void heap_push(running *heap, int64_t *n, running r)
{
    int64_t k = (*n)++;
    while (k > 0 && heap[(k - 1) / 2].end > r.end) {
        heap[k] = heap[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    heap[k] = r;
}

static running heap_pop(running *heap, int64_t *n)
{
    running top = heap[0], last = heap[--(*n)];
    int64_t k = 0;
    for (;;) {
        int64_t child = 2 * k + 1;
        if (child >= *n)
            break;
        if (child + 1 < *n && heap[child + 1].end < heap[child].end)
            child++;
        if (heap[child].end >= last.end)
            break;
        heap[k] = heap[child];
        k = child;
    }
    if (*n > 0)
        heap[k] = last;
    return top;
}

/* The makespan of the dispatch with the current widths (consumes the classes), from a
 * moment when the n_running runs of the heap are under way on all but `free` ranks, and the
 * estimate's count of wide runs and widest width as given. The heap has room for n_running
 * more than the runs left. */
static double simulate(schedule *s, running *heap, int64_t n_running, int free)
{
    double now = 0.0, makespan = 0.0;
    for (int64_t k = 0; k < n_running; k++)
        makespan = heap[k].end > makespan ? heap[k].end : makespan;
    s->estimate.widest = 1;
    s->estimate.wide_runs = 0;
    for (;;) {
        int width;
        int64_t i;
        while ((i = schedule_next(s, free, &width)) >= 0) {
            s->estimate.wide_runs += width > 1;
            s->estimate.widest = width > s->estimate.widest ? width : s->estimate.widest;
            running r = {now + schedule_time(s->cost[i], s->batch[i], width), width};
            makespan = r.end > makespan ? r.end : makespan;
            free -= width;
            heap_push(heap, &n_running, r);
        }
        if (n_running == 0)
            break;
        running done = heap_pop(heap, &n_running);
        now = done.end;
        free += done.width;
    }
    return makespan;
}

schedule *schedule_plan(const double *cost, const int *batch, int64_t n,
                        const schedule_limits *limits)
{
    schedule *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->n = n;
    s->limits = *limits;
    if (s->limits.ranks < 1)
        s->limits.ranks = 1;
    size_t m = (size_t)(n > 0 ? n : 1);
    s->cost = malloc(sizeof *s->cost * m);
    s->batch = malloc(sizeof *s->batch * m);
    s->width = malloc(sizeof *s->width * m);
    s->order = malloc(sizeof *s->order * m);
    s->class_width = malloc(sizeof *s->class_width * m);
    s->class_runs = malloc(sizeof *s->class_runs * m);
    s->class_start = malloc(sizeof *s->class_start * m);
    s->class_length = malloc(sizeof *s->class_length * m);
    s->class_head = malloc(sizeof *s->class_head * m);
    running *heap = malloc(sizeof *heap * m);
    if (!s->cost || !s->batch || !s->width || !s->order || !s->class_width || !s->class_runs ||
        !s->class_start || !s->class_length || !s->class_head || !heap) {
        free(heap);
        schedule_free(s);
        return NULL;
    }
    double total = 0.0, longest = 0.0;
    for (int64_t i = 0; i < n; i++) {
        s->cost[i] = cost[i];
        s->batch[i] = batch[i] > 0 ? batch[i] : 1;
        s->order[i] = i;
        total += cost[i];
        double t = schedule_time(cost[i], s->batch[i], schedule_widest(&s->limits, s->batch[i]));
        longest = t > longest ? t : longest;
    }
    qsort_r(s->order, (size_t)n, sizeof *s->order, compare_cost, s->cost);
    const double bound = fmax(total / s->limits.ranks, longest);

    double best_makespan = INFINITY, best_theta = thetas[0];
    for (int k = 0; k < THETA_COUNT; k++) {
        for (int64_t i = 0; i < n; i++)
            s->width[i] = width_for(s, i, thetas[k] * bound);
        build_classes(s);
        double makespan = simulate(s, heap, 0, s->limits.ranks);
        if (makespan <= best_makespan * (1.0 + 1e-9)) {
            best_makespan = makespan;
            best_theta = thetas[k];
        }
    }
    /* the chosen widths, simulated once more for the estimate's counts, then afresh */
    for (int64_t i = 0; i < n; i++)
        s->width[i] = width_for(s, i, best_theta * bound);
    build_classes(s);
    simulate(s, heap, 0, s->limits.ranks);
    free(heap);
    build_classes(s);
    s->estimate.makespan = best_makespan;
    s->estimate.lower_bound = bound;
    s->estimate.theta = best_theta;
    s->estimate.efficiency =
        best_makespan > 0 ? total / ((double)s->limits.ranks * best_makespan) : 1.0;
    return s;
}

double schedule_remaining(const schedule *s, const schedule_running *under_way, int64_t n_running)
{
    /* the dispatch on a copy: the real one's heads stay where they are */
    schedule copy = *s;
    copy.class_head =
        malloc(sizeof *copy.class_head * (size_t)(s->n_classes > 0 ? s->n_classes : 1));
    running *heap = malloc(sizeof *heap * (size_t)(n_running + s->left + 1));
    if (!copy.class_head || !heap) {
        free(copy.class_head);
        free(heap);
        return -1.0;
    }
    memcpy(copy.class_head, s->class_head, sizeof *copy.class_head * (size_t)s->n_classes);
    int64_t n = 0;
    int free_ranks = s->limits.ranks;
    for (int64_t k = 0; k < n_running; k++) {
        heap_push(heap, &n,
                  (running){under_way[k].left > 0 ? under_way[k].left : 0.0, under_way[k].width});
        free_ranks -= under_way[k].width;
    }
    double makespan = simulate(&copy, heap, n, free_ranks > 0 ? free_ranks : 0);
    free(copy.class_head);
    free(heap);
    return makespan;
}

void schedule_estimated(const schedule *s, schedule_estimate *out)
{
    *out = s->estimate;
}

void schedule_free(schedule *s)
{
    if (!s)
        return;
    free(s->cost);
    free(s->batch);
    free(s->width);
    free(s->order);
    free(s->class_width);
    free(s->class_runs);
    free(s->class_start);
    free(s->class_length);
    free(s->class_head);
    free(s);
}
