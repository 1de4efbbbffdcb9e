#include "scheduler.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "checkpoints.h"
#include "corpus.h"
#include "exit_status.h"
#include "fit_results.h"
#include "store.h"
#include "synthetic.h"
#include "train.h"

enum { TAG_READY = 1, TAG_TASK, TAG_STOP, TAG_POINT, TAG_RESULT, TAG_INTERRUPTED };

/* Set by SIGTERM, SIGUSR1 or SIGINT on any rank: workers checkpoint their run at the
 * next step boundary and report it; rank 0 hands out nothing more. A second signal
 * changes nothing: the shutdown already under way goes on. */
static volatile sig_atomic_t interrupt_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    interrupt_requested = 1;
}

void sched_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

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

static void fill_row(results_run *row, const plan_run *run, const train_result *r, int rank)
{
    const train_config *c = &run->config;
    memset(row, 0, sizeof *row);
    memcpy(row->run_id, run->run_id, sizeof row->run_id);
    memcpy(row->config_id, run->config_id, sizeof row->config_id);
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

static void fail_row(results_run *row, const plan_run *run, int rank, const char *reason)
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

static void save_checkpoint(const train_run *tr, const char *path, int rank)
{
    char err[512];
    if (train_checkpoint_save(tr, path, err, sizeof err) != 0)
        fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
}

/* Trains one run (or asks the stand-in), streaming its curve points to the sink. A run
 * with a checkpoint continues from it (its curve so far is sent again: rank 0 keeps
 * nothing of an unfinished run). Returns 0 with the row filled, or 1 when a signal
 * stopped it: its checkpoint is then written and *stopped_step says where. */
static int execute_run(const plan *p, int64_t index, const corpus *data, int rank, point_sink *sink,
                       results_run *row, int64_t *stopped_step)
{
    const plan_run *run = &p->runs[index];
    double start = now_seconds();
    if (p->trainer == TRAINER_SYNTHETIC) {
        curve_point *points;
        int64_t n;
        train_result r;
        if (synthetic_run(&run->config, run_id_value(run->run_id), &points, &n, &r) != 0) {
            fail_row(row, run, rank, "out of memory");
            return 0;
        }
        for (int64_t i = 0; i < n; i++)
            sink_add(sink, index, &points[i]);
        free(points);
        r.seconds = now_seconds() - start;
        fill_row(row, run, &r, rank);
        return 0;
    }
    if (!data) {
        fail_row(row, run, rank, "the corpus could not be loaded on this rank");
        return 0;
    }
    char err[512], path[4200];
    checkpoints_path(p->output, run->run_id, ".ckpt", path, sizeof path);
    train_run tr;
    int resumed = 0;
    if (access(path, F_OK) == 0) {
        resumed = train_checkpoint_load(&tr, path, data, err, sizeof err) == 0;
        if (!resumed)
            fprintf(stderr, "scalesweep: rank %d: %s; %s starts afresh\n", rank, err,
                    run->run_id);
    }
    if (!resumed && train_run_init(&tr, &run->config, data, err, sizeof err) != 0) {
        fail_row(row, run, rank, err);
        return 0;
    }
    if (tr.status == RUN_INTERRUPTED)
        tr.status = RUN_RUNNING;
    for (int64_t i = 0; i < tr.curve_len; i++)
        sink_add(sink, index, &tr.curve[i]);
    checkpoints_watch_crashes(p->output, run->run_id);
    double last_save = now_seconds();
    while (tr.status == RUN_RUNNING) {
        if (interrupt_requested) {
            train_run_interrupt(&tr);
            save_checkpoint(&tr, path, rank);
            *stopped_step = tr.step;
            train_run_free(&tr);
            checkpoints_watch_crashes(p->output, NULL);
            return 1;
        }
        int64_t before = tr.curve_len;
        train_run_step(&tr);
        for (int64_t i = before; i < tr.curve_len; i++)
            sink_add(sink, index, &tr.curve[i]);
        /* periodic checkpoints bound what a hard crash loses */
        if (tr.status == RUN_RUNNING && p->checkpoint_seconds > 0 &&
            now_seconds() - last_save >= (double)p->checkpoint_seconds) {
            save_checkpoint(&tr, path, rank);
            last_save = now_seconds();
        }
    }
    checkpoints_watch_crashes(p->output, NULL);
    train_result r;
    train_run_result(&tr, &r);
    fill_row(row, run, &r, rank);
    train_run_free(&tr);
    return 0;
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
    int exit_status = 0;
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
        results_run row;
        int64_t stopped_step = 0;
        if (execute_run(p, index, have_data ? &data : NULL, rank, &sink, &row, &stopped_step)) {
            int64_t message[2] = {index, stopped_step};
            MPI_Send(message, 2, MPI_INT64_T, 0, TAG_INTERRUPTED, comm);
            exit_status = EXIT_INTERRUPTED;
            break;
        }
        /* the result also asks for the next task */
        MPI_Send(&row, sizeof row, MPI_BYTE, 0, TAG_RESULT, comm);
    }
    if (have_data)
        corpus_free(&data);
    return exit_status;
}

/* ---- rank 0 ---- */

typedef struct {
    int64_t total;     /* runs in the plan */
    int64_t skipped;   /* already in the results file */
    int64_t to_run;
    int64_t done, failed, diverged, running, interrupted;
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

static void print_finished(const progress *g, const results_run *row)
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
static int record(store *s, progress *g, results_run *row, const curve_point *points,
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

/* The next run to hand out, or -1. A run that crashed its worker CHECKPOINTS_MAX_CRASHES
 * times is recorded as failed instead of being tried again. */
static int64_t next_task(const plan *p, const int64_t *queue, int64_t n_queue, int64_t *next,
                         store *s, progress *g, sched_verbosity verbosity, int *store_failed)
{
    while (*next < n_queue) {
        int64_t index = queue[(*next)++];
        const plan_run *run = &p->runs[index];
        int crashes = p->trainer == TRAINER_TRANSFORMER ? checkpoints_crashes(p->output, run->run_id)
                                                        : 0;
        if (crashes < CHECKPOINTS_MAX_CRASHES)
            return index;
        char reason[160];
        snprintf(reason, sizeof reason, "crashed its worker %d times; not retried", crashes);
        results_run row;
        fail_row(&row, run, 0, reason);
        g->running++;
        if (record(s, g, &row, NULL, 0, p, index, verbosity) != 0)
            *store_failed = 1;
        checkpoints_remove(p->output, run->run_id);
    }
    return -1;
}

static void report_interrupted(const plan *p, progress *g, int64_t index, int64_t step)
{
    const plan_run *run = &p->runs[index];
    char path[4200];
    checkpoints_path(p->output, run->run_id, ".ckpt", path, sizeof path);
    g->running--;
    g->interrupted++;
    fprintf(stderr, "scalesweep: interrupted %s at step %lld; it continues from %s\n",
            run->run_id, (long long)step, path);
}

/* The laws of the finished sweep, with the plan's [fit] settings: the table on stdout
 * and /fits in the results file (after the store has let go of its lock). A fit that
 * cannot write /fits makes the sweep's status 1; laws the data cannot determine do not. */
static int fit_after_sweep(const plan *p, const sched_options *o)
{
    fit_options options;
    fit_options_defaults(&options);
    fit_options_from_plan(p, FIT_PLAN_ALL, &options);
    char err[1024];
    if (o->verbosity >= SCHED_NORMAL)
        fprintf(stderr, "scalesweep: fitting the laws (%lld bootstrap resamples)\n",
                (long long)p->bootstrap);
    int status = fit_results_file(p->output, &options, stdout, 0, err, sizeof err);
    if (status == EXIT_FAILED) {
        fprintf(stderr, "scalesweep: %s\n", err);
        return EXIT_FAILED;
    }
    if (status != EXIT_OK)
        fprintf(stderr, "scalesweep: no law could be fitted: %s\n", err);
    return 0;
}

static int rank0_loop(const plan *p, MPI_Comm comm, int size, const sched_options *o)
{
    double cpu_start = cpu_seconds();
    int status = 0;
    char err[1024];
    store *s = store_open(p->output, p->text, p->hash, o->command_line, o->version, o->force,
                          err, sizeof err);
    if (s && p->trainer == TRAINER_TRANSFORMER &&
        checkpoints_prepare(p->output, err, sizeof err) != 0) {
        store_close(s);
        s = NULL;
    }
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
            /* a crash between the row and the checkpoint's removal leaves one behind */
            if (p->trainer == TRAINER_TRANSFORMER)
                checkpoints_remove(p->output, p->runs[i].run_id);
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
    int store_failed = 0;
    if (size == 1) {
        /* no workers: rank 0 trains the runs itself */
        corpus data;
        int have_data = load_corpus(p, &data, 0) == 0;
        point_sink sink = {comm, 0, NULL, 0, 0};
        while (!store_failed && !interrupt_requested) {
            int64_t index = next_task(p, queue, n_queue, &next, s, &g, o->verbosity,
                                      &store_failed);
            if (index < 0)
                break;
            results_run row;
            int64_t stopped_step = 0;
            sink.n_points = 0;
            g.running++;
            if (execute_run(p, index, have_data ? &data : NULL, 0, &sink, &row, &stopped_step)) {
                report_interrupted(p, &g, index, stopped_step);
                break;
            }
            if (record(s, &g, &row, sink.points, sink.n_points, p, index, o->verbosity) != 0)
                store_failed = 1;
            else if (p->trainer == TRAINER_TRANSFORMER)
                checkpoints_remove(p->output, p->runs[index].run_id);
        }
        free(sink.points);
        if (have_data)
            corpus_free(&data);
    } else {
        point_sink *buffers = calloc((size_t)size, sizeof *buffers);
        int64_t *current = malloc(sizeof *current * (size_t)size);
        for (int w = 0; w < size; w++)
            current[w] = -1;
        int stopped = 0; /* workers told to stop, or stopped by a signal */
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
            if (st.MPI_TAG == TAG_INTERRUPTED) {
                /* the worker checkpointed its run and has stopped; so does the sweep */
                int64_t message[2];
                MPI_Recv(message, 2, MPI_INT64_T, w, TAG_INTERRUPTED, comm, MPI_STATUS_IGNORE);
                report_interrupted(p, &g, message[0], message[1]);
                buffers[w].n_points = 0;
                current[w] = -1;
                interrupt_requested = 1;
                stopped++;
                continue;
            }
            if (st.MPI_TAG == TAG_RESULT) {
                results_run row;
                MPI_Recv(&row, sizeof row, MPI_BYTE, w, TAG_RESULT, comm, MPI_STATUS_IGNORE);
                if (!store_failed &&
                    record(s, &g, &row, buffers[w].points, buffers[w].n_points, p, current[w],
                           o->verbosity) != 0)
                    store_failed = 1;
                if (!store_failed && p->trainer == TRAINER_TRANSFORMER)
                    checkpoints_remove(p->output, p->runs[current[w]].run_id);
                buffers[w].n_points = 0;
                current[w] = -1;
            } else {
                MPI_Recv(NULL, 0, MPI_BYTE, w, st.MPI_TAG, comm, MPI_STATUS_IGNORE);
            }
            /* the worker is free: the next run, or stop */
            int64_t index = store_failed || interrupt_requested
                                ? -1
                                : next_task(p, queue, n_queue, &next, s, &g, o->verbosity,
                                            &store_failed);
            if (index >= 0) {
                current[w] = index;
                g.running++;
                MPI_Send(&current[w], 1, MPI_INT64_T, w, TAG_TASK, comm);
            } else {
                MPI_Send(NULL, 0, MPI_BYTE, w, TAG_STOP, comm);
                stopped++;
            }
        }
        for (int w = 0; w < size; w++)
            free(buffers[w].points);
        free(buffers);
        free(current);
    }
    if (store_failed || g.failed > 0)
        status = 1;
    int unfinished = g.done + g.skipped < g.total;
    if (status == 0 && unfinished && (g.interrupted > 0 || interrupt_requested))
        status = EXIT_INTERRUPTED;
    {
        /* the summary, also with --quiet */
        double elapsed = now_seconds() - g.start;
        char e[32];
        format_duration(e, sizeof e, elapsed);
        fprintf(stderr, "scalesweep: %s: %lld of %lld runs in %s (%lld ran now, %lld were there "
                        "already; %lld failed, %lld diverged, %lld interrupted) in %s (%.3f s), "
                        "%.1f runs/s\n",
                status == EXIT_INTERRUPTED ? "interrupted" : "finished",
                (long long)(g.done + g.skipped), (long long)g.total, p->output,
                (long long)g.done, (long long)g.skipped, (long long)g.failed,
                (long long)g.diverged, (long long)g.interrupted, e, elapsed,
                elapsed > 0 ? (double)g.done / elapsed : 0.0);
        if (status == EXIT_INTERRUPTED)
            fprintf(stderr, "scalesweep: run the same command again to continue (exit status %d)\n",
                    EXIT_INTERRUPTED);
        if (size > 1) {
            /* rank 0 only waits and writes: it should cost next to nothing */
            double cpu = cpu_seconds() - cpu_start;
            fprintf(stderr, "scalesweep: rank 0 used %.2f s of CPU in %.2f s (%.1f%% of a core)\n",
                    cpu, elapsed, elapsed > 0 ? 100.0 * cpu / elapsed : 0.0);
        }
    }
    store_close(s);
    if (status == 0 && p->trainer == TRAINER_TRANSFORMER)
        checkpoints_tidy(p->output);
    free(queue);
    if (status == 0 && !o->no_fit)
        status = fit_after_sweep(p, o);
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
    sched_install_signal_handlers(); /* again, in case a caller did not */
    int status = rank == 0 ? rank0_loop(p, comm, size, options) : worker_loop(p, comm, rank);
    quiet_barrier(comm);
    return status;
}
