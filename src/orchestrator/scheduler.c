/* The sweep over MPI: rank 0's queue and protocol, the workers' loop, and the one path that
 * finishes a run, shared by the MPI scheduler and the single-rank one. Runs themselves are
 * runner.c's. Every MPI call is checked (mpi_check.h).
 *
 * A run is trained by one worker or, when wide, by several at once (a group, on a
 * communicator of its own: wide_group.h); schedule.h chooses each run's width and when it
 * starts. The protocol, on the sweep's communicator:
 *   worker -> 0  READY (no data)          once, at start: the worker is free
 *                POINT (point_message)    each curve point of the run in hand, in order
 *                                         (a wide run's leader only)
 *                PROGRESS (progress_message)  how far the run in hand is: its step, total
 *                                         steps and tokens/s, when it starts and then at
 *                                         most every RUNNER_PROGRESS_SECONDS (the leader only)
 *                RESULT (results_run)     the run ended (from its leader); the worker is free
 *                INTERRUPTED (int64[2])   a signal stopped the run: its index and step;
 *                                         the leader has checkpointed it and stops
 *                MEMBER_DONE (int64[2])   a wide run's other member is done with the run:
 *                                         its index, and 1 if interrupted (the member stops)
 *                                         or 0 (it is free)
 *   0 -> worker  TASK (int64[2 + width])  train this run: its index, its width, and the
 *                                         ranks of its group, the leader first
 *                STOP (no data)           nothing more: stop */
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

#include "assertion.h"
#include "blas_core.h"
#include "clock.h"
#include "checkpoint_folder.h"
#include "exit_status.h"
#include "fit_results.h"
#include "mpi_check.h"
#include "report.h"
#include "progress.h"
#include "progress_state.h"
#include "runner.h"
#include "schedule.h"
#include "store.h"
#include "wide_group.h"

enum {
    TAG_READY = 1,
    TAG_TASK,
    TAG_STOP,
    TAG_POINT,
    TAG_RESULT,
    TAG_INTERRUPTED,
    TAG_MEMBER_DONE,
    TAG_PROGRESS
};

/* ---- signals ---- */

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

/* ---- waiting without spinning ---- */

static void sleep_microseconds(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Waits for a message matching (source, tag) without spinning, until clock_seconds() reaches
 * `until` (INFINITY: for ever): a few quick probes (messages often come in bursts: a run's
 * last points, then its result), then probe and sleep, doubling the sleep from 20 us up to
 * 2 ms while nothing comes. 1 with a message, 0 when the time is up, -1 when MPI failed. */
static int wait_message(MPI_Comm comm, int source, int tag, MPI_Status *status, double until)
{
    long pause = 20;
    for (int probes = 0;; probes++) {
        int flag = 0;
        if (TRY_MPI(MPI_Iprobe(source, tag, comm, &flag, status)) != 0)
            return -1;
        if (flag)
            return 1;
        if (probes < 32)
            continue;
        if (clock_seconds() >= until)
            return 0;
        sleep_microseconds(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
}

/* An MPI barrier that sleeps instead of spinning: finished ranks must not steal the
 * core of a rank still training. */
static void quiet_barrier(MPI_Comm comm)
{
    MPI_Request request;
    CHECK_MPI(MPI_Ibarrier(comm, &request));
    long pause = 20;
    for (;;) {
        int done = 0;
        CHECK_MPI(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
        if (done)
            return;
        sleep_microseconds(pause);
        pause = pause < 2000 ? pause * 2 : 2000;
    }
}

/* ---- curve points on their way to rank 0 ---- */

/* A curve point on its way to rank 0. */
typedef struct {
    int64_t index;
    curve_point point;
} point_message;

/* A run's progress on its way to rank 0. */
typedef struct {
    int64_t index;
    runner_progress progress;
} progress_message;

/* A worker's sink: every point and report goes to rank 0 at once. A lost connection to
 * rank 0 ends the job: the run cannot be recorded. */
static int send_point(void *comm_arg, int64_t index, const curve_point *point)
{
    MPI_Comm comm = *(MPI_Comm *)comm_arg;
    point_message m = {index, *point};
    CHECK_MPI(MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_POINT, comm));
    return 0;
}

static void send_progress(void *comm_arg, int64_t index, const runner_progress *progress)
{
    MPI_Comm comm = *(MPI_Comm *)comm_arg;
    progress_message m = {index, *progress};
    CHECK_MPI(MPI_Send(&m, sizeof m, MPI_BYTE, 0, TAG_PROGRESS, comm));
}

/* Rank 0's buffer of a run's points until its row is written. */
typedef struct {
    curve_point *points;
    int64_t n_points, capacity;
} point_buffer;

static int buffer_point(void *buffer_arg, int64_t index, const curve_point *point)
{
    (void)index;
    point_buffer *b = buffer_arg;
    if (b->n_points == b->capacity) {
        int64_t capacity = b->capacity ? 2 * b->capacity : 64;
        curve_point *grown = realloc(b->points, sizeof *grown * (size_t)capacity);
        if (!grown)
            return -1;
        b->points = grown;
        b->capacity = capacity;
    }
    b->points[b->n_points++] = *point;
    return 0;
}

/* ---- rank 0: the queue, the progress, and finishing a run ---- */

/* Rank 0's state of a sweep. */
typedef struct {
    const plan *p;
    const sched_options *o;
    store *s;
    progress *g;    /* the counts, the runs under way, the state line (progress.h) */
    int64_t *queue; /* run indices not in the results file yet */
    int64_t n_queue;
    schedule *plan;   /* their widths and order (schedule.h), numbered as in queue */
    int checkpoints;  /* the trainer keeps checkpoints (and crash counts) */
    int store_failed; /* the results file refused a row: hand out nothing more */
} sweep;

/* The one path that ends a run, whichever scheduler ran it: its row and curve into the
 * results file, then its checkpoint and crash count out of the checkpoint folder (only
 * once the row is in: a crash between the two leaves a checkpoint that the next start
 * removes). A row the file refuses stops the sweep from handing out more. */
static void finish_run(sweep *w, int64_t index, results_run *row, const curve_point *points,
                       int64_t n_points)
{
    SCALESWEEP_ASSERT(strcmp(row->run_id, w->p->runs[index].run_id) == 0);
    char err[1024];
    if (w->store_failed || store_append(w->s, row, points, n_points, err, sizeof err) != 0) {
        if (!w->store_failed)
            progress_say(w->g, "scalesweep: %s: %s\n", w->p->output, err);
        w->store_failed = 1;
        progress_stopped(w->g, index, 0);
        return;
    }
    if (w->checkpoints)
        checkpoint_folder_remove(w->p->output, row->run_id);
    progress_finished(w->g, index, row);
}

/* The next run to hand out on `free` free ranks, with *width, or -1. A run that crashed
 * its worker CHECKPOINT_FOLDER_MAX_CRASHES times is finished as failed instead of tried
 * again. */
static int64_t next_task(sweep *w, int free, int *width)
{
    int64_t k;
    while (!w->store_failed && (k = schedule_next(w->plan, free, width)) >= 0) {
        int64_t index = w->queue[k];
        const plan_run *run = &w->p->runs[index];
        int crashes = w->checkpoints ? checkpoint_folder_crashes(w->p->output, run->run_id) : 0;
        if (crashes < CHECKPOINT_FOLDER_MAX_CRASHES)
            return index;
        char reason[160];
        snprintf(reason, sizeof reason, "crashed its worker %d times; not retried", crashes);
        results_run row;
        runner_failed_row(w->p, index, 0, reason, &row);
        finish_run(w, index, &row, NULL, 0);
    }
    return -1;
}

static void report_interrupted(sweep *w, int64_t index, int64_t step)
{
    const plan_run *run = &w->p->runs[index];
    char path[4200];
    checkpoint_folder_path(w->p->output, run->run_id, ".ckpt", path, sizeof path);
    progress_stopped(w->g, index, 1);
    /* say what the next start will find: the worker's last save may have failed (it said
     * why), leaving an older checkpoint or none */
    int64_t saved = -1;
    if (train_checkpoint_step(path, &saved) != 0)
        progress_say(w->g,
                     "scalesweep: interrupted %s at step %lld; its checkpoint could not be "
                     "written, so it starts afresh next time\n",
                     run->run_id, (long long)step);
    else if (saved != step)
        progress_say(w->g,
                     "scalesweep: interrupted %s at step %lld; its checkpoint could not be "
                     "written, so it continues from the older %s (step %lld)\n",
                     run->run_id, (long long)step, path, (long long)saved);
    else
        progress_say(w->g, "scalesweep: interrupted %s at step %lld; it continues from %s\n",
                     run->run_id, (long long)step, path);
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* The results file, the checkpoint folder and the queue: the runs not in the file yet,
 * with their widths for `ranks` workers, and their progress. Returns EXIT_OK, or with the reason printed EXIT_INPUT (the file
 * was refused: another plan's, in use, not a results file; or no checkpoint folder can
 * be made beside it) or EXIT_FAILED (no memory for the queue). */
static int sweep_open(sweep *w, const plan *p, const sched_options *o, int ranks,
                      const store_blas *blas)
{
    memset(w, 0, sizeof *w);
    w->p = p;
    w->o = o;
    w->checkpoints = runner_keeps_checkpoints(p);
    char err[1024];
    results_source sources[TRAIN_MAX_SOURCES];
    runner_sources(p, sources);
    w->s = store_open(p->output, p->text, p->hash, o->command_line, o->version, blas, sources,
                      p->n_sources, o->force, err, sizeof err);
    if (!w->s) {
        fprintf(stderr, "scalesweep: %s\n", err);
        return EXIT_INPUT;
    }
    if (w->checkpoints && checkpoint_folder_prepare(p->output, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep: %s\n", err);
        store_close(w->s);
        w->s = NULL;
        return EXIT_INPUT; /* as a results file that cannot be written */
    }
    w->queue = malloc(sizeof *w->queue * (size_t)(p->n_runs + 1));
    if (!w->queue) {
        fprintf(stderr, "scalesweep: out of memory for a queue of %lld runs\n",
                (long long)p->n_runs);
        store_close(w->s);
        w->s = NULL;
        return EXIT_FAILED;
    }
    int64_t skipped = 0;
    for (int64_t i = 0; i < p->n_runs; i++) {
        if (store_has_run(w->s, p->runs[i].run_id)) {
            skipped++;
            /* a crash between the row and the checkpoint's removal leaves one behind */
            if (w->checkpoints)
                checkpoint_folder_remove(p->output, p->runs[i].run_id);
        } else {
            w->queue[w->n_queue++] = i;
        }
    }
    double *cost = malloc(sizeof *cost * (size_t)(w->n_queue + 1));
    int *batch = malloc(sizeof *batch * (size_t)(w->n_queue + 1));
    if (cost && batch) {
        for (int64_t k = 0; k < w->n_queue; k++) {
            cost[k] = p->runs[w->queue[k]].cost;
            batch[k] = p->runs[w->queue[k]].config.batch;
        }
        const schedule_limits limits = {ranks, p->max_ranks_per_run, p->min_batch_per_rank};
        w->plan = schedule_plan(cost, batch, w->n_queue, &limits);
    }
    free(cost);
    free(batch);
    if (w->plan)
        w->g = progress_open(p, w->plan, ranks, skipped, w->n_queue, o->verbosity >= SCHED_NORMAL);
    if (!w->g) {
        fprintf(stderr, "scalesweep: out of memory for the schedule and progress of %lld runs\n",
                (long long)w->n_queue);
        schedule_free(w->plan);
        w->plan = NULL;
        store_close(w->s);
        w->s = NULL;
        free(w->queue);
        w->queue = NULL;
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* ---- the schedulers ---- */

/* Rank 0's own sink when it trains alone: the points into its buffer, the reports straight
 * into the progress, which then prints what is due (rank 0 is busy training between). */
typedef struct {
    point_buffer buffer;
    progress *g;
} alone_sink;

static int keep_point(void *sink_arg, int64_t index, const curve_point *point)
{
    alone_sink *sink = sink_arg;
    return buffer_point(&sink->buffer, index, point);
}

static void keep_progress(void *sink_arg, int64_t index, const runner_progress *report)
{
    alone_sink *sink = sink_arg;
    progress_reported(sink->g, index, report);
    progress_tick(sink->g);
}

/* One rank: rank 0 trains the runs itself. */
static void run_alone(sweep *w)
{
    runner *r = runner_open(w->p, 0);
    if (!r) {
        fprintf(stderr, "scalesweep: out of memory for the runner\n");
        w->store_failed = 1;
        return;
    }
    alone_sink own = {{NULL, 0, 0}, w->g};
    const runner_sink sink = {keep_point, keep_progress, &own};
    point_buffer *buffer = &own.buffer;
    while (!interrupt_requested) {
        int width;
        int64_t index = next_task(w, 1, &width);
        if (index < 0)
            break;
        results_run row;
        int64_t stopped_step = 0;
        buffer->n_points = 0;
        progress_started(w->g, index, 1);
        if (runner_execute(r, index, NULL, &interrupt_requested, &sink, &row, &stopped_step)) {
            report_interrupted(w, index, stopped_step);
            break;
        }
        finish_run(w, index, &row, buffer->points, buffer->n_points);
    }
    free(buffer->points);
    runner_close(r);
}

/* Every worker's first message is READY: answers each with STOP (a sweep refused before
 * anything ran). */
static void stop_workers(MPI_Comm comm, int size)
{
    for (int k = 1; k < size; k++) {
        MPI_Status st;
        CHECK_MPI(MPI_Recv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, TAG_READY, comm, &st));
        CHECK_MPI(MPI_Send(NULL, 0, MPI_BYTE, st.MPI_SOURCE, TAG_STOP, comm));
    }
}

/* Rank 0's view of its workers: which run each holds, and which are free. */
typedef struct {
    int size;
    int64_t *current; /* (size) the run each rank trains, or -1 */
    char *free;       /* (size) 1 while a rank waits for a task */
    int n_free;
    int64_t *task; /* (2 + size) a TASK message */
} workers;

/* Rank r waits for a task. */
static void set_free(workers *k, int r)
{
    k->free[r] = 1;
    k->n_free++;
}

/* Starts what fits on the free ranks (schedule.h: the costliest run whose width fits, again
 * and again), each run on the lowest-numbered free ranks, its leader first; once nothing is
 * left to start (or a signal came), stops the free ranks. Returns 0, or -1 when MPI failed. */
static int dispatch(sweep *w, workers *k, MPI_Comm comm, int *stopped)
{
    while (!interrupt_requested && k->n_free > 0) {
        int width;
        int64_t index = next_task(w, k->n_free, &width);
        if (index < 0)
            break;
        k->task[0] = index;
        k->task[1] = width;
        int members = 0;
        for (int r = 1; r < k->size && members < width; r++)
            if (k->free[r])
                k->task[2 + members++] = r;
        progress_started(w->g, index, width);
        for (int m = 0; m < width; m++) {
            int r = (int)k->task[2 + m];
            k->free[r] = 0;
            k->n_free--;
            k->current[r] = index;
            if (TRY_MPI(MPI_Send(k->task, 2 + width, MPI_INT64_T, r, TAG_TASK, comm)) != 0)
                return -1;
        }
    }
    if (interrupt_requested || w->store_failed || schedule_left(w->plan) == 0) {
        for (int r = 1; r < k->size; r++) {
            if (!k->free[r])
                continue;
            if (TRY_MPI(MPI_Send(NULL, 0, MPI_BYTE, r, TAG_STOP, comm)) != 0)
                return -1;
            k->free[r] = 0;
            k->n_free--;
            (*stopped)++;
        }
    }
    return 0;
}

/* Rank 0 with workers: hands out runs, collects their points, progress and results, and
 * prints the state when it is due, messages or none. Returns 0, or
 * -1 when MPI failed (the message is printed; the caller closes the file and ends the
 * job). */
static int run_workers(sweep *w, MPI_Comm comm, int size)
{
    const plan *p = w->p;
    point_buffer *buffers = calloc((size_t)size, sizeof *buffers);
    workers k = {size, malloc(sizeof(int64_t) * (size_t)size), calloc((size_t)size, 1), 0,
                 malloc(sizeof(int64_t) * (size_t)(size + 2))};
    if (!buffers || !k.current || !k.free || !k.task) {
        fprintf(stderr, "scalesweep: out of memory for %d workers\n", size - 1);
        free(buffers);
        free(k.current);
        free(k.free);
        free(k.task);
        w->store_failed = 1;
        stop_workers(comm, size);
        return 0;
    }
    for (int r = 0; r < size; r++)
        k.current[r] = -1;
    int failed = 0;
    int stopped = 0; /* workers told to stop, or stopped by a signal */
    int ready = 0;   /* workers that said READY: none starts before all are there, so that
                        the widest runs go first */
    while (stopped < size - 1) {
        MPI_Status st;
        progress_tick(w->g); /* also while messages keep coming */
        const int got =
            wait_message(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, &st, progress_next_tick(w->g));
        if (got < 0) {
            failed = 1;
            break;
        }
        if (got == 0)
            continue; /* the state is due */
        const int r = st.MPI_SOURCE;
        if (st.MPI_TAG == TAG_PROGRESS) {
            progress_message m;
            if (TRY_MPI(
                    MPI_Recv(&m, sizeof m, MPI_BYTE, r, TAG_PROGRESS, comm, MPI_STATUS_IGNORE))) {
                failed = 1;
                break;
            }
            SCALESWEEP_ASSERT(m.index == k.current[r]);
            progress_reported(w->g, m.index, &m.progress);
            continue;
        }
        if (st.MPI_TAG == TAG_POINT) {
            point_message m;
            if (TRY_MPI(MPI_Recv(&m, sizeof m, MPI_BYTE, r, TAG_POINT, comm, MPI_STATUS_IGNORE))) {
                failed = 1;
                break;
            }
            SCALESWEEP_ASSERT(m.index == k.current[r]);
            if (buffer_point(&buffers[r], m.index, &m.point) != 0) {
                progress_say(w->g, "scalesweep: out of memory for the curve of %s\n",
                             p->runs[m.index].run_id);
                w->store_failed = 1;
            }
            if (w->o->verbosity >= SCHED_VERBOSE)
                progress_say(w->g, "scalesweep: %s step %lld test loss %.4f (rank %d)\n",
                             p->runs[m.index].run_id, (long long)m.point.step, m.point.test_loss,
                             r);
            continue;
        }
        if (st.MPI_TAG == TAG_INTERRUPTED || st.MPI_TAG == TAG_MEMBER_DONE) {
            int64_t message[2];
            if (TRY_MPI(
                    MPI_Recv(message, 2, MPI_INT64_T, r, st.MPI_TAG, comm, MPI_STATUS_IGNORE))) {
                failed = 1;
                break;
            }
            SCALESWEEP_ASSERT(message[0] == k.current[r]);
            k.current[r] = -1;
            if (st.MPI_TAG == TAG_INTERRUPTED) {
                /* the leader checkpointed its run and has stopped; so does the sweep */
                report_interrupted(w, message[0], message[1]);
                buffers[r].n_points = 0;
                interrupt_requested = 1;
                stopped++;
            } else if (message[1]) {
                stopped++; /* a member of an interrupted run: it has stopped */
            } else {
                set_free(&k, r);
            }
        } else if (st.MPI_TAG == TAG_RESULT) {
            results_run row;
            if (TRY_MPI(
                    MPI_Recv(&row, sizeof row, MPI_BYTE, r, TAG_RESULT, comm, MPI_STATUS_IGNORE))) {
                failed = 1;
                break;
            }
            SCALESWEEP_ASSERT(k.current[r] >= 0);
            finish_run(w, k.current[r], &row, buffers[r].points, buffers[r].n_points);
            buffers[r].n_points = 0;
            k.current[r] = -1;
            set_free(&k, r);
        } else {
            if (TRY_MPI(MPI_Recv(NULL, 0, MPI_BYTE, r, st.MPI_TAG, comm, MPI_STATUS_IGNORE))) {
                failed = 1;
                break;
            }
            set_free(&k, r); /* READY */
            ready++;
        }
        if (ready == size - 1 && dispatch(w, &k, comm, &stopped) != 0) {
            failed = 1;
            break;
        }
    }
    for (int r = 0; r < size; r++)
        free(buffers[r].points);
    free(buffers);
    free(k.current);
    free(k.free);
    free(k.task);
    return failed ? -1 : 0;
}

/* Trains run index with the ranks of its group (members[0] leads): a communicator of their
 * own, a train_group over it, then the runner. Returns what runner_execute returns. */
static int execute_wide(runner *r, const plan *p, MPI_Comm comm, int64_t index, int width,
                        const int64_t *members, results_run *row, int64_t *stopped_step)
{
    int *ranks = malloc(sizeof *ranks * (size_t)width);
    if (!ranks) {
        fprintf(stderr, "scalesweep: out of memory for a group of %d ranks\n", width);
        mpi_abort_job();
    }
    for (int m = 0; m < width; m++)
        ranks[m] = (int)members[m];
    MPI_Group everyone, group;
    MPI_Comm sub;
    CHECK_MPI(MPI_Comm_group(comm, &everyone));
    CHECK_MPI(MPI_Group_incl(everyone, width, ranks, &group));
    /* collective over the group only; its members make no other group meanwhile */
    CHECK_MPI(MPI_Comm_create_group(comm, group, (int)(index % 32768), &sub));
    free(ranks);
    CHECK_MPI(MPI_Group_free(&group));
    CHECK_MPI(MPI_Group_free(&everyone));
    wide_group wide;
    if (wide_group_open(&wide, sub, net_count_total(&p->runs[index].config.model)) != 0) {
        fprintf(stderr, "scalesweep: out of memory for the group of %s\n", p->runs[index].run_id);
        mpi_abort_job();
    }
    const runner_sink sink = {send_point, send_progress, &comm};
    int interrupted =
        runner_execute(r, index, &wide.group, &interrupt_requested, &sink, row, stopped_step);
    wide_group_close(&wide);
    CHECK_MPI(MPI_Comm_free(&sub));
    return interrupted;
}

/* A worker rank: asks for runs, trains them (alone or with the other ranks of a wide run),
 * sends their points and results. */
static int worker_loop(const plan *p, MPI_Comm comm, int rank, int size)
{
    int exit_status = EXIT_OK;
    runner *r = runner_open(p, rank);
    int64_t *task = malloc(sizeof *task * (size_t)(size + 2));
    if (!r || !task) {
        fprintf(stderr, "scalesweep: rank %d: out of memory for the runner\n", rank);
        mpi_abort_job();
    }
    const runner_sink sink = {send_point, send_progress, &comm};
    CHECK_MPI(MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, comm));
    for (;;) {
        MPI_Status status;
        if (wait_message(comm, 0, MPI_ANY_TAG, &status, INFINITY) != 1)
            mpi_abort_job();
        int count = 0;
        CHECK_MPI(MPI_Get_count(&status, MPI_INT64_T, &count));
        SCALESWEEP_ASSERT(count <= size + 2);
        CHECK_MPI(MPI_Recv(task, count, MPI_INT64_T, 0, status.MPI_TAG, comm, MPI_STATUS_IGNORE));
        if (status.MPI_TAG != TAG_TASK)
            break;
        const int64_t index = task[0];
        const int width = (int)task[1];
        SCALESWEEP_ASSERT(count == 2 + width && index >= 0 && index < p->n_runs);
        const int leads = task[2] == rank;
        results_run row;
        int64_t stopped_step = 0;
        int interrupted =
            width == 1
                ? runner_execute(r, index, NULL, &interrupt_requested, &sink, &row, &stopped_step)
                : execute_wide(r, p, comm, index, width, task + 2, &row, &stopped_step);
        if (!leads) {
            int64_t message[2] = {index, interrupted};
            CHECK_MPI(MPI_Send(message, 2, MPI_INT64_T, 0, TAG_MEMBER_DONE, comm));
        } else if (interrupted) {
            int64_t message[2] = {index, stopped_step};
            CHECK_MPI(MPI_Send(message, 2, MPI_INT64_T, 0, TAG_INTERRUPTED, comm));
        } else {
            CHECK_MPI(MPI_Send(&row, sizeof row, MPI_BYTE, 0, TAG_RESULT, comm));
        }
        if (interrupted) {
            exit_status = EXIT_INTERRUPTED;
            break;
        }
    }
    free(task);
    runner_close(r);
    return exit_status;
}

/* ---- the end of a sweep ---- */

/* The laws of the finished sweep, with the plan's [fit] settings: /fits in the results file
 * (after the store has let go of its lock), the short summary on stdout (the whole table
 * stays in `scalesweep fit` and the report), and the report beside the file unless the plan
 * turns it off. A fit or report that cannot be written makes the sweep's status
 * EXIT_FAILED; laws the data cannot determine do not. */
static int fit_mixture_after_sweep(const plan *p, const sched_options *o, const char *mixture,
                                   const char *architecture, fit_file_analysis *keep)
{
    fit_options options;
    fit_options_defaults(&options);
    fit_options_from_plan(p, FIT_PLAN_ALL, &options);
    char err[2048];
    const fit_selection select = {mixture, NULL, architecture};
    if (o->verbosity >= SCHED_NORMAL)
        fprintf(stderr, "scalesweep: fitting the laws%s%s%s%s (%lld bootstrap resamples)\n",
                architecture ? " of the " : "", architecture ? architecture : "",
                mixture        ? " runs on "
                : architecture ? " runs"
                               : "",
                mixture ? mixture : "", (long long)p->bootstrap);
    fit_file_analysis a;
    int status =
        fit_file_analyse(p->output, &options, &select, 0, FIT_FILE_WRITABLE, &a, err, sizeof err);
    if (status != EXIT_OK) {
        fprintf(stderr, "scalesweep: %s\n", err);
        return status == EXIT_FAILED ? EXIT_FAILED : EXIT_OK;
    }
    /* written even when nothing could be fitted: /fits then says why; with several
       mixtures or architectures /fits holds none of them (each is `scalesweep fit
       --mixture`'s or `--architecture`'s) */
    if (!mixture && !architecture &&
        fit_results_write(p->output, &a.report, &a.results, &a.options, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep: %s\n", err);
        fit_file_analysis_free(&a);
        return EXIT_FAILED;
    }
    if (a.fitted != 0) {
        fprintf(stderr, "scalesweep: no law could be fitted: %s\n", a.report.message);
        fit_file_analysis_free(&a);
        return EXIT_OK;
    }
    if (o->verbosity >= SCHED_NORMAL) {
        if (architecture || mixture)
            printf("%s%s%s%s:\n", architecture ? "The " : "", architecture ? architecture : "",
                   architecture && mixture ? " runs, trained on "
                   : mixture               ? "Trained on "
                                           : " runs",
                   mixture ? mixture : "");
        report_summary(stdout, &a);
        fit_print_transfer(stdout, &a.report);
        fflush(stdout);
    }
    if (p->report) {
        char dir[4200];
        int figures = 0, left_out = 0;
        report_default_dir(p->output, &select, dir, sizeof dir);
        if (report_write(p->output, &a, dir, &figures, &left_out, err, sizeof err) != 0) {
            fprintf(stderr, "scalesweep: the report: %s\n", err);
            status = EXIT_FAILED;
        } else if (o->verbosity >= SCHED_NORMAL) {
            fprintf(stderr,
                    "scalesweep: the laws in full: scalesweep fit %s%s%s%s%s%s; the report (%d "
                    "figures, %d left out): %s/index.html\n",
                    p->output, architecture ? " --architecture " : "",
                    architecture ? architecture : "", mixture ? " --mixture '" : "",
                    mixture ? mixture : "", mixture ? "'" : "", figures, left_out, dir);
        }
    }
    if (keep && a.fitted == 0)
        *keep = a; /* the caller compares it with the other architectures' and frees it */
    else
        fit_file_analysis_free(&a);
    return status;
}

/* The laws of the finished sweep: of its one mixture and architecture (into /fits), or of
 * each of its architectures and mixtures in turn (a law holds for one architecture and one
 * training distribution). */
static int fit_after_sweep(const plan *p, const sched_options *o)
{
    if (p->n_mixtures == 1 && p->n_architectures <= 1)
        return fit_mixture_after_sweep(p, o, NULL, NULL, NULL);
    int status = EXIT_OK;
    /* one mixture of several architectures: their laws compared at the end */
    const int compare = p->n_mixtures == 1 && p->n_architectures > 1;
    fit_file_analysis kept[MODEL_ARCHITECTURES];
    const char *names[MODEL_ARCHITECTURES];
    int n_kept = 0;
    for (int a = 0; a < (p->n_architectures > 1 ? p->n_architectures : 1); a++)
        for (int m = 0; m < p->n_mixtures; m++) {
            const char *architecture =
                p->n_architectures > 1 ? net_architecture_names[p->architecture_order[a]] : NULL;
            const char *mixture = p->n_mixtures > 1 ? p->mixtures[m].text : NULL;
            memset(&kept[n_kept], 0, sizeof kept[n_kept]);
            kept[n_kept].fitted = -1;
            const int one = fit_mixture_after_sweep(p, o, mixture, architecture,
                                                    compare ? &kept[n_kept] : NULL);
            if (one != EXIT_OK)
                status = one;
            if (compare && kept[n_kept].fitted == 0)
                names[n_kept++] = architecture;
        }
    if (compare && n_kept > 1 && o->verbosity >= SCHED_NORMAL) {
        printf("\n");
        fit_print_architectures(stdout, kept, names, n_kept);
        fflush(stdout);
    }
    for (int i = 0; i < n_kept; i++)
        fit_file_analysis_free(&kept[i]);
    return status;
}

/* The summary, also with --quiet. */
static void print_summary(const sweep *w, const progress_counts *g, int status, int size,
                          double cpu_start)
{
    double elapsed = clock_seconds() - g->start;
    char e[32];
    progress_format_duration(e, sizeof e, elapsed);
    fprintf(stderr,
            "scalesweep: %s: %lld of %lld runs in %s (%lld ran now, %lld were there "
            "already; %lld failed, %lld diverged, %lld interrupted) in %s (%.3f s), "
            "%.1f runs/s\n",
            status == EXIT_INTERRUPTED ? "interrupted" : "finished",
            (long long)(g->done + g->skipped), (long long)g->total, w->p->output,
            (long long)g->done, (long long)g->skipped, (long long)g->failed, (long long)g->diverged,
            (long long)g->interrupted, e, elapsed, elapsed > 0 ? (double)g->done / elapsed : 0.0);
    if (status == EXIT_INTERRUPTED)
        fprintf(stderr, "scalesweep: run the same command again to continue (exit status %d)\n",
                EXIT_INTERRUPTED);
    if (size > 1 && elapsed > 0 && g->done > 0)
        fprintf(stderr, "scalesweep: the %d workers were training %.1f%% of the time\n", size - 1,
                100.0 * g->busy_seconds / ((double)(size - 1) * elapsed));
    if (size > 1) {
        /* rank 0 only waits and writes: it should cost next to nothing */
        double cpu = cpu_seconds() - cpu_start;
        fprintf(stderr, "scalesweep: rank 0 used %.2f s of CPU in %.2f s (%.1f%% of a core)\n", cpu,
                elapsed, elapsed > 0 ? 100.0 * cpu / elapsed : 0.0);
    }
}

static int rank0_loop(const plan *p, MPI_Comm comm, int size, const sched_options *o)
{
    double cpu_start = cpu_seconds();
    /* the sweep's first line: the kernels it trains with (blas_core.h) */
    const store_blas blas = {blas_core_name(), blas_core_config(), blas_sgemm_gflops()};
    if (o->verbosity >= SCHED_NORMAL) {
        char line[512];
        blas_core_describe(line, sizeof line, blas.sgemm_gflops);
        fprintf(stderr, "scalesweep: %s\n", line);
    }
    sweep w;
    const int opened = sweep_open(&w, p, o, size > 1 ? size - 1 : 1, &blas);
    if (opened != EXIT_OK) {
        stop_workers(comm, size);
        return opened;
    }
    const progress_counts *g = progress_counts_of(w.g);
    if (o->verbosity >= SCHED_NORMAL)
        fprintf(stderr, "scalesweep: %s: %lld runs, %lld already in %s, %lld to run on %d %s\n",
                p->path, (long long)g->total, (long long)g->skipped, p->output,
                (long long)g->to_run, size > 1 ? size - 1 : 1, size > 1 ? "workers" : "rank");
    if (o->verbosity >= SCHED_NORMAL && size > 2 && g->to_run > 0) {
        schedule_estimate e;
        schedule_estimated(w.plan, &e);
        fprintf(stderr,
                "scalesweep: %lld runs wide (up to %d ranks each); by 6ND the sweep keeps %.0f%% "
                "of the workers busy, its makespan %.2fx the lower bound\n",
                (long long)e.wide_runs, e.widest, 100.0 * e.efficiency,
                e.lower_bound > 0 ? e.makespan / e.lower_bound : 1.0);
    }
    int mpi_failed = 0;
    if (size == 1)
        run_alone(&w);
    else
        mpi_failed = run_workers(&w, comm, size) != 0;

    /* the sidecar goes while the file's lock is still held (progress_close) */
    const progress_counts counts = *g;
    progress_close(w.g);
    w.g = NULL;
    int status = EXIT_OK;
    if (w.store_failed || counts.failed > 0 || mpi_failed)
        status = EXIT_FAILED;
    int unfinished = counts.done + counts.skipped < counts.total;
    if (status == EXIT_OK && unfinished && (counts.interrupted > 0 || interrupt_requested))
        status = EXIT_INTERRUPTED;
    print_summary(&w, &counts, status, size, cpu_start);
    store_close(w.s);
    free(w.queue);
    schedule_free(w.plan);
    if (mpi_failed) {
        /* every row so far is in the closed file; the workers cannot be reached */
        fprintf(stderr, "scalesweep: the sweep lost touch with its workers; ending the job "
                        "(running the same command again continues it)\n");
        mpi_abort_job();
    }
    if (status == EXIT_OK && w.checkpoints)
        checkpoint_folder_tidy(p->output);
    if (status == EXIT_OK && !o->no_fit)
        status = fit_after_sweep(p, o);
    return status;
}

int sched_run(const plan *p, MPI_Comm comm, const sched_options *options)
{
    int rank, size;
    CHECK_MPI(MPI_Comm_rank(comm, &rank));
    CHECK_MPI(MPI_Comm_size(comm, &size));
    /* Linux lets a 20 us sleep last 70 us (50 us of timer slack); ask for precise wakeups,
     * which the dispatch of short runs depends on. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    sched_install_signal_handlers(); /* again, in case a caller did not */
    int status = rank == 0 ? rank0_loop(p, comm, size, options) : worker_loop(p, comm, rank, size);
    quiet_barrier(comm);
    return status;
}
