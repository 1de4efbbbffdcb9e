#include "scheduler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "corpus.h"
#include "store.h"
#include "synthetic.h"
#include "train.h"

enum { TAG_READY = 1, TAG_TASK, TAG_STOP, TAG_POINT, TAG_RESULT };

/* A curve point on its way to rank 0. */
typedef struct {
    int64_t index;
    curve_point point;
} point_message;

/* Where a run's curve points go: over MPI to rank 0, or into rank 0's own buffer. */
typedef struct {
    MPI_Comm comm;
    int to_rank0;
    curve_point *points;
    int64_t n_points, capacity;
} point_sink;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_microseconds(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Waits for a message matching (source, tag) without spinning: a few quick probes
 * (messages often come in bursts: a run's last points, then its result), then probe and
 * sleep, doubling the sleep from 20 us up to 2 ms while nothing comes. */
static int wait_message(MPI_Comm comm, int source, int tag, MPI_Status *status)
{
    long pause = 20;
    for (int probes = 0;; probes++) {
        int flag = 0;
        int rc = MPI_Iprobe(source, tag, comm, &flag, status);
        if (rc != MPI_SUCCESS)
            return rc;
        if (flag)
            return MPI_SUCCESS;
        if (probes < 32)
            continue;
        sleep_microseconds(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
}

/* An MPI barrier that sleeps instead of spinning: finished ranks must not steal the
 * core of a rank still training. */
static void quiet_barrier(MPI_Comm comm)
{
    MPI_Request request;
    if (MPI_Ibarrier(comm, &request) != MPI_SUCCESS)
        return;
    long pause = 20;
    for (;;) {
        int done = 0;
        if (MPI_Test(&request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done)
            return;
        sleep_microseconds(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
}

static int sink_add(point_sink *sink, int64_t index, const curve_point *point)
{
    if (sink->to_rank0) {
        point_message m = {index, *point};
        return MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_POINT, sink->comm) == MPI_SUCCESS ? 0 : -1;
    }
    if (sink->n_points == sink->capacity) {
        int64_t capacity = sink->capacity ? 2 * sink->capacity : 64;
        curve_point *grown = realloc(sink->points, sizeof *grown * (size_t)capacity);
        if (!grown)
            return -1;
        sink->points = grown;
        sink->capacity = capacity;
    }
    sink->points[sink->n_points++] = *point;
    return 0;
}

static void fill_row(store_row *row, const plan_run *run, const train_result *r, int rank)
{
    const train_config *c = &run->config;
    memset(row, 0, sizeof *row);
    memcpy(row->run_id, run->run_id, sizeof row->run_id);
    row->n_layer = c->model.n_layer;
    row->d_model = c->model.d_model;
    row->n_head = c->model.n_head;
    row->n_ctx = c->model.n_ctx;
    row->n_params = model_count_nonembedding(&c->model);
    row->n_params_total = model_count_total(&c->model);
    row->tokens = r->tokens;
    row->unique_tokens = r->unique_tokens;
    row->seed = (int64_t)c->seed;
    row->lr = c->lr;
    row->batch = c->batch;
    row->steps = r->steps;
    row->flops = r->flops;
    row->flops_attention = r->flops_attention;
    row->final_test_loss = r->final_test_loss;
    row->best_test_loss = r->best_test_loss;
    row->best_step = r->best_step;
    row->train_loss = r->final_train_loss;
    row->stopped_early = r->stopped_early;
    snprintf(row->status, sizeof row->status, "%s", run_status_name(r->status));
    snprintf(row->reason, sizeof row->reason, "%s", r->reason ? r->reason : "");
    row->seconds = r->seconds;
    row->tokens_per_second = r->tokens_per_second;
    row->rank = rank;
    if (gethostname(row->host, sizeof row->host) != 0)
        snprintf(row->host, sizeof row->host, "unknown");
    row->host[sizeof row->host - 1] = '\0';
}

static void fail_row(store_row *row, const plan_run *run, int rank, const char *reason)
{
    train_result r;
    memset(&r, 0, sizeof r);
    r.status = RUN_FAILED;
    r.reason = reason;
    r.final_test_loss = r.best_test_loss = r.final_train_loss = NAN;
    r.best_step = -1;
    fill_row(row, run, &r, rank);
}

static uint64_t run_id_value(const char *run_id)
{
    return strtoull(run_id, NULL, 16);
}

/* Trains one run (or asks the stand-in), streaming its curve points to the sink. */
static void execute_run(const plan *p, int64_t index, const corpus *data, int rank,
                        point_sink *sink, store_row *row)
{
    const plan_run *run = &p->runs[index];
    double start = now_seconds();
    if (p->trainer == TRAINER_SYNTHETIC) {
        curve_point *points;
        int64_t n;
        train_result r;
        if (synthetic_run(&run->config, run_id_value(run->run_id), &points, &n, &r) != 0) {
            fail_row(row, run, rank, "out of memory");
            return;
        }
        for (int64_t i = 0; i < n; i++)
            sink_add(sink, index, &points[i]);
        free(points);
        r.seconds = now_seconds() - start;
        fill_row(row, run, &r, rank);
        return;
    }
    if (!data) {
        fail_row(row, run, rank, "the corpus could not be loaded on this rank");
        return;
    }
    char err[256];
    train_run tr;
    if (train_run_init(&tr, &run->config, data, err, sizeof err) != 0) {
        fail_row(row, run, rank, err);
        return;
    }
    while (tr.status == RUN_RUNNING) {
        int64_t before = tr.curve_len;
        train_run_step(&tr);
        for (int64_t i = before; i < tr.curve_len; i++)
            sink_add(sink, index, &tr.curve[i]);
    }
    train_result r;
    train_run_result(&tr, &r);
    fill_row(row, run, &r, rank);
    train_run_free(&tr);
}

static int load_corpus(const plan *p, corpus *data, int rank)
{
    if (p->trainer == TRAINER_SYNTHETIC)
        return -1;
    char err[512];
    if (corpus_load(data, p->corpus, p->test_fraction, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
        return -1;
    }
    return 0;
}

/* ---- worker ranks ---- */

static int worker_loop(const plan *p, MPI_Comm comm, int rank)
{
    corpus data;
    int have_data = load_corpus(p, &data, rank) == 0;
    point_sink sink = {comm, 1, NULL, 0, 0};
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, comm);
    for (;;) {
        MPI_Status status;
        if (wait_message(comm, 0, MPI_ANY_TAG, &status) != MPI_SUCCESS)
            break;
        int64_t index = -1;
        MPI_Recv(&index, status.MPI_TAG == TAG_TASK ? 1 : 0, MPI_INT64_T, 0, status.MPI_TAG,
                 comm, MPI_STATUS_IGNORE);
        if (status.MPI_TAG != TAG_TASK)
            break;
        store_row row;
        execute_run(p, index, have_data ? &data : NULL, rank, &sink, &row);
        /* the result also asks for the next task */
        MPI_Send(&row, sizeof row, MPI_BYTE, 0, TAG_RESULT, comm);
    }
    if (have_data)
        corpus_free(&data);
    return 0;
}

/* ---- rank 0 ---- */

typedef struct {
    int64_t total;     /* runs in the plan */
    int64_t skipped;   /* already in the results file */
    int64_t to_run;
    int64_t done, failed, diverged, running;
    double cost_to_run, cost_done;
    double start;
} progress;

static void format_duration(char *out, size_t n, double seconds)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(out, n, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, n, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        snprintf(out, n, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, n, "%lds", s);
}

static void print_status(const progress *g)
{
    double elapsed = now_seconds() - g->start;
    /* ETA by cost: what is left takes as long per FLOP as what is done */
    double eta = g->cost_done > 0 ? elapsed * (g->cost_to_run - g->cost_done) / g->cost_done : NAN;
    char e[32], r[32];
    format_duration(e, sizeof e, elapsed);
    format_duration(r, sizeof r, eta);
    fprintf(stderr, "scalesweep: %lld/%lld done, %lld running, %lld failed, %lld diverged, "
                    "elapsed %s, ETA %s\n",
            (long long)(g->done + g->skipped), (long long)g->total, (long long)g->running,
            (long long)g->failed, (long long)g->diverged, e, r);
}

static void print_finished(const progress *g, const store_row *row)
{
    fprintf(stderr, "scalesweep: [%lld/%lld] %-8s %s N=%.3g D=%.3g seed=%lld loss=%.4f %.1fs (rank %d)\n",
            (long long)(g->done + g->skipped), (long long)g->total, row->status, row->run_id,
            (double)row->n_params, (double)row->tokens, (long long)row->seed,
            row->final_test_loss, row->seconds, row->rank);
}

static int compare_cost(const void *a, const void *b, void *runs_arg)
{
    const plan_run *runs = runs_arg;
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    if (runs[i].cost != runs[j].cost)
        return runs[i].cost > runs[j].cost ? -1 : 1;
    return i < j ? -1 : i > j;
}

/* Records a finished run; returns -1 if the results file could not take it. */
static int record(store *s, progress *g, store_row *row, const curve_point *points,
                  int64_t n_points, const plan *p, int64_t index, sched_verbosity verbosity)
{
    char err[1024];
    if (store_append(s, row, points, n_points, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep: %s: %s\n", p->output, err);
        return -1;
    }
    g->done++;
    g->running--;
    g->cost_done += p->runs[index].cost;
    if (strcmp(row->status, "failed") == 0)
        g->failed++;
    if (strcmp(row->status, "diverged") == 0)
        g->diverged++;
    if (verbosity >= SCHED_NORMAL) {
        print_finished(g, row);
        print_status(g);
    }
    return 0;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

static int rank0_loop(const plan *p, MPI_Comm comm, int size, const sched_options *o)
{
    double cpu_start = cpu_seconds();
    int status = 0;
    char err[1024];
    store *s = store_open(p->output, p->text, p->hash, o->command_line, o->version, o->force,
                          err, sizeof err);
    if (!s) {
        fprintf(stderr, "scalesweep: %s\n", err);
        status = 2; /* refused before anything ran, like an invalid plan */
        /* every worker's first message is READY: answer each with STOP */
        for (int w = 1; w < size; w++) {
            MPI_Status st;
            MPI_Recv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, TAG_READY, comm, &st);
            MPI_Send(NULL, 0, MPI_BYTE, st.MPI_SOURCE, TAG_STOP, comm);
        }
        return status;
    }
    progress g;
    memset(&g, 0, sizeof g);
    g.total = p->n_runs;
    g.start = now_seconds();
    int64_t *queue = malloc(sizeof *queue * (size_t)(p->n_runs + 1));
    int64_t n_queue = 0;
    for (int64_t i = 0; i < p->n_runs; i++) {
        if (store_has_run(s, p->runs[i].run_id)) {
            g.skipped++;
        } else {
            queue[n_queue++] = i;
            g.cost_to_run += p->runs[i].cost;
        }
    }
    qsort_r(queue, (size_t)n_queue, sizeof *queue, compare_cost, p->runs);
    g.to_run = n_queue;
    if (o->verbosity >= SCHED_NORMAL)
        fprintf(stderr, "scalesweep: %s: %lld runs, %lld already in %s, %lld to run on %d %s\n",
                p->path, (long long)g.total, (long long)g.skipped, p->output,
                (long long)g.to_run, size > 1 ? size - 1 : 1, size > 1 ? "workers" : "rank");

    int64_t next = 0;
    if (size == 1) {
        /* no workers: rank 0 trains the runs itself */
        corpus data;
        int have_data = load_corpus(p, &data, 0) == 0;
        point_sink sink = {comm, 0, NULL, 0, 0};
        for (; next < n_queue && status == 0; next++) {
            store_row row;
            sink.n_points = 0;
            g.running++;
            execute_run(p, queue[next], have_data ? &data : NULL, 0, &sink, &row);
            if (record(s, &g, &row, sink.points, sink.n_points, p, queue[next], o->verbosity) != 0)
                status = 1;
        }
        free(sink.points);
        if (have_data)
            corpus_free(&data);
    } else {
        point_sink *buffers = calloc((size_t)size, sizeof *buffers);
        int64_t *current = malloc(sizeof *current * (size_t)size);
        for (int w = 0; w < size; w++)
            current[w] = -1;
        int stopped = 0; /* workers told to stop */
        int store_failed = 0;
        while (stopped < size - 1) {
            MPI_Status st;
            if (wait_message(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &st) != MPI_SUCCESS) {
                status = 1;
                break;
            }
            int w = st.MPI_SOURCE;
            if (st.MPI_TAG == TAG_POINT) {
                point_message m;
                MPI_Recv(&m, sizeof m, MPI_BYTE, w, TAG_POINT, comm, MPI_STATUS_IGNORE);
                if (sink_add(&buffers[w], m.index, &m.point) != 0)
                    store_failed = 1;
                if (o->verbosity >= SCHED_VERBOSE)
                    fprintf(stderr, "scalesweep: %s step %lld test loss %.4f (rank %d)\n",
                            p->runs[m.index].run_id, (long long)m.point.step,
                            m.point.test_loss, w);
                continue;
            }
            if (st.MPI_TAG == TAG_RESULT) {
                store_row row;
                MPI_Recv(&row, sizeof row, MPI_BYTE, w, TAG_RESULT, comm, MPI_STATUS_IGNORE);
                if (!store_failed &&
                    record(s, &g, &row, buffers[w].points, buffers[w].n_points, p, current[w],
                           o->verbosity) != 0)
                    store_failed = 1;
                buffers[w].n_points = 0;
                current[w] = -1;
            } else {
                MPI_Recv(NULL, 0, MPI_BYTE, w, st.MPI_TAG, comm, MPI_STATUS_IGNORE);
            }
            /* the worker is free: the next run, or stop */
            if (next < n_queue && !store_failed) {
                current[w] = queue[next++];
                g.running++;
                MPI_Send(&current[w], 1, MPI_INT64_T, w, TAG_TASK, comm);
            } else {
                MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, comm);
                stopped++;
            }
        }
        if (store_failed)
            status = 1;
        for (int w = 0; w < size; w++)
            free(buffers[w].points);
        free(buffers);
        free(current);
    }
    if (g.failed > 0)
        status = 1;
    {
        /* the summary, also with --quiet */
        double elapsed = now_seconds() - g.start;
        char e[32];
        format_duration(e, sizeof e, elapsed);
        fprintf(stderr, "scalesweep: finished: %lld runs in %s (%lld ran now, %lld were there "
                        "already; %lld failed, %lld diverged) in %s (%.3f s), %.1f runs/s\n",
                (long long)(g.done + g.skipped), p->output, (long long)g.done,
                (long long)g.skipped, (long long)g.failed, (long long)g.diverged, e, elapsed,
                elapsed > 0 ? (double)g.done / elapsed : 0.0);
        if (size > 1) {
            /* rank 0 only waits and writes: it should cost next to nothing */
            double cpu = cpu_seconds() - cpu_start;
            fprintf(stderr, "scalesweep: rank 0 used %.2f s of CPU in %.2f s (%.1f%% of a core)\n",
                    cpu, elapsed, elapsed > 0 ? 100.0 * cpu / elapsed : 0.0);
        }
    }
    store_close(s);
    free(queue);
    return status;
}

int sched_run(const plan *p, MPI_Comm comm, const sched_options *options)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    /* Linux lets a 20 us sleep last 70 us (50 us of timer slack); ask for precise wakeups,
     * which the dispatch of short runs depends on. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    int status = rank == 0 ? rank0_loop(p, comm, size, options) : worker_loop(p, comm, rank);
    quiet_barrier(comm);
    return status;
}
