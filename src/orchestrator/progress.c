/* Rank 0's progress of a sweep (progress.h). */
#include "progress.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "progress_state.h"

/* The ETA is worked out again at most this often (a simulation of every run left); between
 * times it counts down. */
#define ETA_SECONDS 1.0
/* Besides each tick, the sidecar is written when runs start or end, at most this often, so
 * that `scalesweep status` is never much behind. */
#define SIDECAR_SECONDS 1.0

/* A run under way. */
typedef struct {
    int64_t index;
    int width;
    double started;     /* clock_seconds() when it was handed out */
    int reported;       /* a report came */
    double reported_at; /* when the last one came */
    int64_t first_step; /* the step of its first report: where this start took it up */
    runner_progress last;
} under_way;

struct progress {
    const plan *p;
    const schedule *s;
    progress_counts counts;
    int print;        /* lines on stderr */
    int terminal;     /* stderr is a terminal: one state line, rewritten in place */
    int line_shown;   /* the terminal's state line is on screen */
    double period;    /* [sweep] progress_seconds; 0: the state only when a run ends */
    double next_tick; /* clock_seconds() */
    under_way *runs;  /* (n_runs, at most ranks) in the order they started */
    int64_t n_runs;
    int ranks;
    /* the speed: schedule units x width done, and seconds x width spent, by finished runs */
    double work_done, rank_seconds_done;
    double eta, eta_at;  /* the last ETA worked out, and when */
    char *sidecar;       /* its path; NULL: none */
    double sidecar_at;   /* when it was last written */
    double sidecar_due;  /* when it is to be written again for a change; INFINITY: no change */
    progress_run *shown; /* (ranks) scratch: the runs under way as the state holds them */
};

static under_way *find(progress *g, int64_t index)
{
    for (int64_t k = 0; k < g->n_runs; k++)
        if (g->runs[k].index == index)
            return &g->runs[k];
    return NULL;
}

/* The time run r takes at its width in schedule units, and the share of it that is done. */
static double run_time(const progress *g, const under_way *r)
{
    const plan_run *run = &g->p->runs[r->index];
    return schedule_time(run->cost, run->config.batch, r->width);
}

static double share_done(const runner_progress *report)
{
    if (report->total_steps <= 0)
        return 0.0;
    double f = (double)report->step / (double)report->total_steps;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* Seconds until the last run ends; NaN until some work has been measured. */
static double work_out_eta(progress *g, double now)
{
    double work = g->work_done, seconds = g->rank_seconds_done;
    for (int64_t k = 0; k < g->n_runs; k++) {
        const under_way *r = &g->runs[k];
        if (!r->reported)
            continue;
        /* what this start did, over the time its ranks spent until the report */
        const runner_progress from = {r->first_step, r->last.total_steps, 0};
        work += (share_done(&r->last) - share_done(&from)) * run_time(g, r) * r->width;
        seconds += (r->reported_at - r->started) * r->width;
    }
    if (!(work > 0) || !(seconds > 0))
        return NAN;
    const double speed = work / seconds; /* schedule units per second on one rank */
    schedule_running *left = malloc(sizeof *left * (size_t)(g->n_runs + 1));
    if (!left)
        return NAN;
    for (int64_t k = 0; k < g->n_runs; k++) {
        const under_way *r = &g->runs[k];
        /* what the report left, less what the time since has done */
        const double since = now - (r->reported ? r->reported_at : r->started);
        left[k].left = (1.0 - share_done(&r->last)) * run_time(g, r) - since * speed;
        left[k].width = r->width;
    }
    const double makespan = schedule_remaining(g->s, left, g->n_runs);
    free(left);
    return makespan >= 0 ? makespan / speed : NAN;
}

static double current_eta(progress *g, double now)
{
    if (now - g->eta_at >= ETA_SECONDS || !isfinite(g->eta)) {
        g->eta = work_out_eta(g, now);
        g->eta_at = now;
    }
    const double eta = g->eta - (now - g->eta_at); /* NaN (not known) stays NaN */
    return eta < 0 ? 0.0 : eta;
}

static void state_of(progress *g, double now, progress_state *st)
{
    const progress_counts *c = &g->counts;
    for (int64_t k = 0; k < g->n_runs; k++) {
        const under_way *r = &g->runs[k];
        progress_run *out = &g->shown[k];
        memcpy(out->run_id, g->p->runs[r->index].run_id, sizeof out->run_id);
        out->step = r->last.step;
        out->total_steps = r->reported ? r->last.total_steps : 0;
        out->tokens_per_second = r->last.tokens_per_second;
    }
    *st = (progress_state){.done = c->done + c->skipped,
                           .total = c->total,
                           .failed = c->failed,
                           .diverged = c->diverged,
                           .running = g->n_runs,
                           .runs = g->shown,
                           .n_runs = g->n_runs,
                           .live = 1,
                           .elapsed = now - c->start,
                           .eta = current_eta(g, now)};
}

/* Whether the launcher of this process writes to a terminal. Under mpirun rank 0's stderr
 * is a pipe to mpirun, which writes what comes through it, bytes as they are, to its own
 * stderr: when that is a terminal (mpirun launches local ranks as its children), the line
 * can be rewritten in place there too. Open MPI sets OMPI_COMM_WORLD_SIZE in every rank. */
static int launcher_on_terminal(char *path, size_t size)
{
    if (!getenv("OMPI_COMM_WORLD_SIZE") || size < 2)
        return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/%ld/fd/2", (long)getppid());
    const ssize_t n = readlink(link, path, size - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    return strncmp(path, "/dev/pts/", 9) == 0 || strncmp(path, "/dev/tty", 8) == 0;
}

/* The columns of the terminal the line goes to (stderr's, or under mpirun the launcher's),
 * less one; 79 when not known. */
static size_t terminal_width(void)
{
    struct winsize w;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 1)
        return (size_t)w.ws_col - 1;
    char path[256];
    if (launcher_on_terminal(path, sizeof path)) {
        const int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        const int got = fd >= 0 && ioctl(fd, TIOCGWINSZ, &w) == 0 && w.ws_col > 1;
        if (fd >= 0)
            close(fd);
        if (got)
            return (size_t)w.ws_col - 1;
    }
    return 79;
}

/* The state line: on a terminal, rewritten in place; else a line of its own. */
static void show_state(progress *g, double now)
{
    if (!g->print)
        return;
    progress_state st;
    state_of(g, now, &st);
    char line[1024];
    if (g->terminal) {
        static const char prefix[] = "scalesweep: ";
        size_t width = terminal_width();
        progress_format(&st, width > sizeof prefix ? width - (sizeof prefix - 1) : 1, line,
                        sizeof line);
        /* \033[K: erase what a longer line before left */
        fprintf(stderr, "\r%s%s\033[K", prefix, line);
        g->line_shown = 1;
    } else {
        progress_format(&st, 0, line, sizeof line);
        fprintf(stderr, "scalesweep: %s\n", line);
    }
    fflush(stderr);
}

static void write_sidecar(progress *g, double now)
{
    if (!g->sidecar)
        return;
    progress_state st;
    state_of(g, now, &st);
    char err[1024];
    if (progress_sidecar_write(g->sidecar, &st, err, sizeof err) != 0) {
        progress_say(g,
                     "scalesweep: warning: %s; `scalesweep status` will not show the runs "
                     "under way\n",
                     err);
        free(g->sidecar);
        g->sidecar = NULL;
    }
    g->sidecar_at = now;
    g->sidecar_due = INFINITY;
}

/* Runs started or ended: the sidecar is to say so, soon. */
static void sidecar_changed(progress *g)
{
    if (g->sidecar && !isfinite(g->sidecar_due))
        g->sidecar_due = g->sidecar_at + SIDECAR_SECONDS;
}

progress *progress_open(const plan *p, const schedule *s, int ranks, int64_t skipped,
                        int64_t to_run, int print)
{
    progress *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->p = p;
    g->s = s;
    g->ranks = ranks > 0 ? ranks : 1;
    g->runs = malloc(sizeof *g->runs * (size_t)g->ranks);
    g->shown = malloc(sizeof *g->shown * (size_t)g->ranks);
    if (!g->runs || !g->shown) {
        progress_close(g);
        return NULL;
    }
    g->counts.total = p->n_runs;
    g->counts.skipped = skipped;
    g->counts.to_run = to_run;
    g->counts.start = clock_seconds();
    g->print = print;
    char launcher[256];
    g->terminal =
        print && (isatty(STDERR_FILENO) || launcher_on_terminal(launcher, sizeof launcher));
    g->period = (double)p->progress_seconds;
    g->next_tick = g->period > 0 ? g->counts.start + g->period : INFINITY;
    g->eta = NAN;
    g->sidecar_due = INFINITY;
    char err[1024];
    g->sidecar = progress_sidecar_path(p->output, err, sizeof err);
    if (!g->sidecar)
        progress_say(g, "scalesweep: warning: no progress file beside the results: %s\n", err);
    /* at once: a sidecar an earlier sweep left behind no longer says anything */
    write_sidecar(g, g->counts.start);
    return g;
}

void progress_close(progress *g)
{
    if (!g)
        return;
    if (g->line_shown)
        fputs("\r\033[K", stderr);
    if (g->sidecar)
        unlink(g->sidecar);
    free(g->sidecar);
    free(g->runs);
    free(g->shown);
    free(g);
}

const progress_counts *progress_counts_of(const progress *g)
{
    return &g->counts;
}

void progress_started(progress *g, int64_t index, int width)
{
    if (g->n_runs == g->ranks || find(g, index))
        return; /* cannot be: each run holds a rank of its own */
    g->runs[g->n_runs++] = (under_way){index, width, clock_seconds(), 0, 0.0, 0, {0, 0, 0.0}};
    g->counts.running++;
    sidecar_changed(g);
}

void progress_reported(progress *g, int64_t index, const runner_progress *report)
{
    under_way *r = find(g, index);
    if (!r)
        return;
    if (!r->reported)
        r->first_step = report->step;
    r->reported = 1;
    r->reported_at = clock_seconds();
    r->last = *report;
}

/* Takes run index off the runs under way; what it did goes into the speed when it ended
 * (steps: the steps it took in all, -1 when it stopped without a row). */
static void remove_run(progress *g, int64_t index, int64_t steps)
{
    under_way *r = find(g, index);
    if (!r)
        return; /* a run failed before it started (crashed its worker twice) */
    const double now = clock_seconds();
    if (steps >= 0) {
        const int64_t total = train_total_steps(&g->p->runs[index].config);
        const runner_progress end = {steps, total, 0}, from = {r->first_step, total, 0};
        g->work_done += (share_done(&end) - share_done(&from)) * run_time(g, r) * r->width;
        g->rank_seconds_done += (now - r->started) * r->width;
    }
    const int64_t k = r - g->runs;
    memmove(r, r + 1, sizeof *r * (size_t)(g->n_runs - k - 1));
    g->n_runs--;
    g->counts.running--;
    sidecar_changed(g);
}

void progress_finished(progress *g, int64_t index, const results_run *row)
{
    progress_counts *c = &g->counts;
    remove_run(g, index, row->steps);
    c->done++;
    c->busy_seconds += row->seconds * (row->ranks > 0 ? row->ranks : 1);
    c->failed += strcmp(row->status, "failed") == 0;
    c->diverged += strcmp(row->status, "diverged") == 0;
    const double now = clock_seconds();
    if (g->print)
        progress_say(
            g,
            "scalesweep: [%lld/%lld] %-8s %s N=%.3g D=%.3g seed=%lld loss=%.4f %.1fs (rank %d)\n",
            (long long)(c->done + c->skipped), (long long)c->total, row->status, row->run_id,
            (double)row->n_params, (double)row->tokens, (long long)row->seed, row->final_test_loss,
            row->seconds, row->rank);
    /* the terminal's line follows every run that ends (progress_say redrew it if it was
       up); without a period, so does the state everywhere */
    if ((g->terminal && !g->line_shown) || (!g->terminal && g->period <= 0))
        show_state(g, now);
    sidecar_changed(g); /* a run that failed before it started was never under way */
}

void progress_stopped(progress *g, int64_t index, int interrupted)
{
    remove_run(g, index, -1);
    g->counts.interrupted += interrupted != 0;
}

double progress_next_tick(const progress *g)
{
    return g->next_tick < g->sidecar_due ? g->next_tick : g->sidecar_due;
}

void progress_tick(progress *g)
{
    const double now = clock_seconds();
    if (now >= g->next_tick) {
        /* from now: never two lines within the period, even after a late tick */
        g->next_tick = now + g->period;
        if (g->terminal || g->n_runs > 0)
            show_state(g, now);
        write_sidecar(g, now);
    } else if (now >= g->sidecar_due) {
        write_sidecar(g, now);
    }
}

void progress_say(progress *g, const char *fmt, ...)
{
    if (g->line_shown)
        fputs("\r\033[K", stderr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (g->line_shown) {
        g->line_shown = 0; /* show_state sets it again */
        show_state(g, clock_seconds());
    }
}
