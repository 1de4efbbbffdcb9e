/* The runner and its table of trainers (runner.h). */
#include "runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assertion.h"
#include "blas_core.h"
#include "checkpoint_folder.h"
#include "clock.h"
#include "corpus.h"
#include "synthetic.h"

/* Run ids and config ids go from the plan into the results file as they are. */
_Static_assert(sizeof(((plan_run *)0)->run_id) == RESULTS_ID_SIZE &&
                   sizeof(((plan_run *)0)->config_id) == RESULTS_ID_SIZE,
               "plan.h's ids and results_schema.h's differ in size");
/* So are source names and mixture texts, whole, and the most sources. */
_Static_assert(PLAN_SOURCE_NAME_SIZE == RESULTS_SOURCE_SIZE &&
                   TRAIN_MAX_SOURCES == RESULTS_MAX_SOURCES &&
                   PLAN_MIXTURE_TEXT_SIZE == RESULTS_MIXTURE_SIZE,
               "plan.h's source names or mixture texts and results_schema.h's differ in size");

struct runner {
    const plan *p;
    int rank;
    corpus data[TRAIN_MAX_SOURCES]; /* the plan's sources, in order */
    int have_data; /* every source loaded (the error was printed when one did not) */
};

/* ---- the trainers ---- */

typedef struct {
    plan_trainer id;
    /* Starts a run: from the checkpoint at path when one is there and can be used (a
     * trainer without checkpoints gets NULL), else afresh. NULL with err on failure. */
    void *(*start)(const plan *p, const plan_run *run, const corpus *data, const char *checkpoint,
                   int rank, char *err, size_t errlen);
    /* From now on the run is trained with the members of group (NULL: alone), every member
     * having started it from the same state. */
    void (*join)(void *state, train_group *group);
    run_status (*step)(void *state);
    /* The steps done so far, of the run's total. */
    void (*progress)(const void *state, int64_t *step, int64_t *total_steps);
    /* Every curve point so far. */
    void (*curve)(const void *state, const curve_point **points, int64_t *n);
    /* Writes a checkpoint that start can continue from; NULL: the trainer keeps none (its
     * runs are short, and run to their end even when a signal comes). */
    int (*save)(const void *state, const char *path, char *err, size_t errlen);
    /* Marks a run stopped by a signal, before its last save (with save only). */
    void (*interrupt)(void *state);
    void (*result)(const void *state, train_result *result);
    void (*stop)(void *state);
} trainer;

/* The transformer: src/worker's train_run. */

static void *transformer_start(const plan *p, const plan_run *run, const corpus *data,
                               const char *checkpoint, int rank, char *err, size_t errlen)
{
    (void)p;
    train_run *tr = malloc(sizeof *tr);
    if (!tr) {
        snprintf(err, errlen, "out of memory for the run");
        return NULL;
    }
    int resumed = 0;
    if (checkpoint && access(checkpoint, F_OK) == 0) {
        char why[512];
        resumed = train_checkpoint_load(tr, checkpoint, data, &run->config, why, sizeof why) == 0;
        if (!resumed)
            fprintf(stderr, "scalesweep: rank %d: %s; %s starts afresh\n", rank, why, run->run_id);
    }
    if (!resumed && train_run_init(tr, &run->config, data, err, errlen) != 0) {
        free(tr);
        return NULL;
    }
    if (tr->status == RUN_INTERRUPTED)
        tr->status = RUN_RUNNING; /* a continued run goes on */
    return tr;
}

static void transformer_join(void *state, train_group *group)
{
    train_run_join(state, group);
}

static run_status transformer_step(void *state)
{
    return train_run_step(state);
}

static void transformer_progress(const void *state, int64_t *step, int64_t *total_steps)
{
    const train_run *tr = state;
    *step = tr->step;
    *total_steps = tr->total_steps;
}

static void transformer_curve(const void *state, const curve_point **points, int64_t *n)
{
    const train_run *tr = state;
    *points = tr->curve;
    *n = tr->curve_len;
}

static int transformer_save(const void *state, const char *path, char *err, size_t errlen)
{
    return train_checkpoint_save(state, path, err, errlen);
}

static void transformer_interrupt(void *state)
{
    train_run_interrupt(state);
}

static void transformer_result(const void *state, train_result *result)
{
    train_run_result(state, result);
}

static void transformer_stop(void *state)
{
    train_run_free(state);
    free(state);
}

/* The stand-in: synthetic.h's curve of a known law, made at its start and shown point by
 * point as its steps pass. A step of the runner takes it to its next curve point, or fewer
 * steps when the time model would make that longer than synthetic_steps_at_once; it sleeps
 * until that step is due, so that the whole run takes as long as the time model says. A run
 * that diverges still takes its whole time (its curve ends at the divergence). */

typedef struct {
    curve_point *points;
    int64_t n_points;
    int64_t shown; /* the points whose step has passed */
    int64_t step, total_steps;
    train_result result;
    double start;        /* when it started, for its seconds */
    double first_step;   /* when its first step began: the time model's origin */
    synthetic_time time; /* the plan's [synthetic] */
    const train_config *config;
    train_group *group;
} synthetic_state;

static void *synthetic_start(const plan *p, const plan_run *run, const corpus *data,
                             const char *checkpoint, int rank, char *err, size_t errlen)
{
    (void)data, (void)checkpoint, (void)rank;
    /* the run's identity seeds the noise, so that each run draws its own (plan run ids are
       always 16 hex digits) */
    uint64_t identity = 0;
    results_parse_id(run->run_id, &identity);
    const double start = clock_seconds();
    synthetic_state *s = calloc(1, sizeof *s);
    const synthetic_tuning tuning = {p->synthetic_lr_optimum, p->synthetic_batch_optimum};
    if (!s ||
        synthetic_run(&run->config, &tuning, identity, &s->points, &s->n_points, &s->result) != 0) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->start = start;
    s->total_steps = train_total_steps(&run->config);
    s->time = (synthetic_time){p->synthetic_flops_per_second, p->synthetic_step_seconds,
                               p->synthetic_width_efficiency};
    s->config = &run->config;
    return s;
}

static void synthetic_join(void *state, train_group *group)
{
    synthetic_state *s = state;
    s->group = group;
}

static run_status synthetic_step(void *state)
{
    synthetic_state *s = state;
    const int width = s->group ? s->group->size : 1;
    if (s->step == 0)
        s->first_step = clock_seconds();
    int64_t next = s->shown < s->n_points ? s->points[s->shown].step : s->total_steps;
    const int64_t at_once = synthetic_steps_at_once(&s->time, s->config, width);
    if (next > s->step + at_once)
        next = s->step + at_once;
    synthetic_wait_until(&s->time, s->config, width, s->first_step, next);
    s->step = next;
    while (s->shown < s->n_points && s->points[s->shown].step <= s->step)
        s->shown++;
    if (s->step < s->total_steps)
        return RUN_RUNNING;
    if (s->group)
        s->group->either(s->group, 0); /* the members end together */
    return s->result.status;
}

static void synthetic_progress(const void *state, int64_t *step, int64_t *total_steps)
{
    const synthetic_state *s = state;
    *step = s->step;
    *total_steps = s->total_steps;
}

static void synthetic_curve(const void *state, const curve_point **points, int64_t *n)
{
    const synthetic_state *s = state;
    *points = s->points;
    *n = s->shown;
}

static void synthetic_result(const void *state, train_result *result)
{
    const synthetic_state *s = state;
    *result = s->result;
    result->seconds = clock_seconds() - s->start; /* making and handing on its curve */
}

static void synthetic_stop(void *state)
{
    synthetic_state *s = state;
    free(s->points);
    free(s);
}

static const trainer trainers[] = {
    {TRAINER_TRANSFORMER, transformer_start, transformer_join, transformer_step,
     transformer_progress, transformer_curve, transformer_save, transformer_interrupt,
     transformer_result, transformer_stop},
    {TRAINER_SYNTHETIC, synthetic_start, synthetic_join, synthetic_step, synthetic_progress,
     synthetic_curve, NULL, NULL, synthetic_result, synthetic_stop},
};

/* Every trainer a plan can name has its entry, in plan_trainer order. */
_Static_assert(sizeof trainers / sizeof trainers[0] == PLAN_TRAINER_COUNT,
               "a trainer of plan.h has no entry in the table");

static const trainer *trainer_of(const plan *p)
{
    SCALESWEEP_ASSERT(p->trainer >= 0 && p->trainer < PLAN_TRAINER_COUNT &&
                      trainers[p->trainer].id == p->trainer);
    return &trainers[p->trainer];
}

int runner_keeps_checkpoints(const plan *p)
{
    return trainer_of(p)->save != NULL;
}

/* ---- runs ---- */

runner *runner_open(const plan *p, int rank)
{
    runner *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->p = p;
    r->rank = rank;
    if (plan_trainer_reads_corpus(p->trainer)) {
        char err[512];
        int loaded = 0;
        while (loaded < p->n_sources && corpus_load(&r->data[loaded], p->sources[loaded].path,
                                                    p->test_fraction, err, sizeof err) == 0)
            loaded++;
        r->have_data = loaded == p->n_sources;
        if (!r->have_data) {
            fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
            while (loaded > 0)
                corpus_free(&r->data[--loaded]);
        }
    }
    return r;
}

void runner_close(runner *r)
{
    if (!r)
        return;
    for (int i = 0; r->have_data && i < r->p->n_sources; i++)
        corpus_free(&r->data[i]);
    free(r);
}

/* The run's row from its result. */
static void result_row(const plan *p, int64_t index, const train_result *result, int rank,
                       int ranks, results_run *row)
{
    const plan_run *run = &p->runs[index];
    const train_config *c = &run->config;
    memset(row, 0, sizeof *row);
    memcpy(row->run_id, run->run_id, sizeof row->run_id);
    memcpy(row->config_id, run->config_id, sizeof row->config_id);
    memcpy(row->cell_id, run->cell_id, sizeof row->cell_id);
    snprintf(row->architecture, sizeof row->architecture, "%s",
             net_architecture_names[c->model.architecture]);
    row->n_layer = c->model.n_layer;
    row->d_model = c->model.d_model;
    row->n_head = c->model.n_head;
    row->n_ctx = c->model.n_ctx;
    row->n_params = net_count_nonembedding(&c->model);
    row->n_params_total = net_count_total(&c->model);
    row->tokens = result->tokens;
    row->unique_tokens = result->unique_tokens;
    row->seed = (int64_t)c->seed;
    row->lr = c->lr;
    row->batch = c->batch;
    row->warmup_steps = train_warmup_steps(c);
    row->weight_decay = c->weight_decay;
    row->beta2 = c->beta2;
    row->grad_clip = c->grad_clip;
    row->steps = result->steps;
    row->flops = result->flops;
    row->flops_attention = result->flops_attention;
    row->final_test_loss = result->final_test_loss;
    row->best_test_loss = result->best_test_loss;
    row->best_step = result->best_step;
    row->train_loss = result->final_train_loss;
    row->stopped_early = result->stopped_early;
    snprintf(row->status, sizeof row->status, "%s", run_status_name(result->status));
    snprintf(row->reason, sizeof row->reason, "%s", result->reason ? result->reason : "");
    row->seconds = result->seconds;
    row->eval_seconds = result->eval_seconds;
    row->tokens_per_second = result->tokens_per_second;
    row->rank = rank;
    row->ranks = ranks;
    if (gethostname(row->host, sizeof row->host) != 0)
        snprintf(row->host, sizeof row->host, "unknown");
    row->host[sizeof row->host - 1] = '\0';
    snprintf(row->blas_core, sizeof row->blas_core, "%s", blas_core_name());
    snprintf(row->mixture, sizeof row->mixture, "%s", p->mixtures[run->mixture].text);
    results_set_positions(row->position_loss, result->position_loss,
                          result->position_loss ? result->n_positions : 0);
}

void runner_sources(const plan *p, results_source *rows)
{
    for (int i = 0; i < p->n_sources; i++) {
        results_source *row = &rows[i];
        memset(row, 0, sizeof *row);
        snprintf(row->name, sizeof row->name, "%s", p->sources[i].name);
        results_copy_text(row->path, p->sources[i].path, sizeof row->path);
        char err[512];
        if (plan_trainer_reads_corpus(p->trainer) &&
            plan_source_sizes(p, i, &row->train_bytes, &row->test_bytes, err, sizeof err) != 0)
            row->train_bytes = row->test_bytes = 0; /* the environment check said so already */
    }
}

void runner_failed_row(const plan *p, int64_t index, int rank, const char *reason, results_run *row)
{
    train_result r;
    memset(&r, 0, sizeof r);
    r.status = RUN_FAILED;
    r.reason = reason;
    r.final_test_loss = r.best_test_loss = r.final_train_loss = NAN;
    r.best_step = -1;
    result_row(p, index, &r, rank, 1, row);
}

static void save_checkpoint(const trainer *t, const void *state, const char *path, int rank)
{
    char err[512];
    if (t->save(state, path, err, sizeof err) != 0)
        fprintf(stderr, "scalesweep: rank %d: %s\n", rank, err);
}

/* Gives the sink the points after the first *sent; -1 when it would not take one. */
static int emit_new_points(const trainer *t, const void *state, int64_t index,
                           const runner_sink *sink, int64_t *sent)
{
    const curve_point *points;
    int64_t n;
    t->curve(state, &points, &n);
    for (; *sent < n; (*sent)++)
        if (sink->point(sink->context, index, &points[*sent]) != 0)
            return -1;
    return 0;
}

/* Where a run stood when this rank started it, for its speed here. */
typedef struct {
    double time;
    int64_t step;
    int64_t tokens_per_step; /* a step trains on batch x n_ctx tokens (train.h) */
} progress_origin;

/* Gives the sink the run's progress: the trainer's steps, and tokens per second since origin. */
static void report_progress(const trainer *t, const void *state, int64_t index,
                            const runner_sink *sink, const progress_origin *origin, double now)
{
    runner_progress progress = {0, 0, 0.0};
    t->progress(state, &progress.step, &progress.total_steps);
    if (now > origin->time && progress.step > origin->step)
        progress.tokens_per_second =
            (double)((progress.step - origin->step) * origin->tokens_per_step) /
            (now - origin->time);
    sink->progress(sink->context, index, &progress);
}

/* What the members of a run agree on between steps (train_group either). */
enum { AGREE_INTERRUPT = 1, AGREE_LOST = 2, AGREE_FAILED = 4, AGREE_ENDED = 8 };

static int agree(train_group *group, int flags)
{
    return group ? group->either(group, flags) : flags;
}

/* Starts the run on this member; with a group, on every member or (when one cannot) on
 * none: NULL everywhere then, with err. */
static void *start_agreed(const trainer *t, runner *r, const plan_run *run, train_group *group,
                          const char *checkpoint, char *err, size_t errlen)
{
    void *state = NULL;
    if (plan_trainer_reads_corpus(r->p->trainer) && !r->have_data)
        snprintf(err, errlen, "the corpus could not be loaded on rank %d", r->rank);
    else
        state =
            t->start(r->p, run, r->have_data ? r->data : NULL, checkpoint, r->rank, err, errlen);
    if (agree(group, state ? 0 : AGREE_FAILED) & AGREE_FAILED) {
        if (state)
            t->stop(state);
        return NULL;
    }
    return state;
}

/* Starts the run on every member from one state: from the checkpoint, unless the members
 * could not all continue it (one could not read it, or read another one: then all start
 * afresh), or afresh. NULL on every member, with err, when a member could not start it. */
static void *start_together(const trainer *t, runner *r, const plan_run *run, train_group *group,
                            const char *checkpoint, char *err, size_t errlen)
{
    void *state = start_agreed(t, r, run, group, checkpoint, err, errlen);
    train_result at;
    if (state && group && (t->result(state, &at), !group->same(group, at.steps))) {
        if (group->rank == 0)
            fprintf(stderr,
                    "scalesweep: rank %d: the ranks of %s could not all continue it from %s; it "
                    "starts afresh\n",
                    r->rank, run->run_id, checkpoint);
        t->stop(state);
        state = start_agreed(t, r, run, group, NULL, err, errlen);
    }
    if (!state && !err[0])
        snprintf(err, errlen, "another rank of its group could not start it");
    return state;
}

int runner_execute(runner *r, int64_t index, train_group *group, volatile sig_atomic_t *interrupt,
                   const runner_sink *sink, results_run *row, int64_t *stopped_step)
{
    const plan *p = r->p;
    const plan_run *run = &p->runs[index];
    const trainer *t = trainer_of(p);
    const int leads = !group || group->rank == 0;
    const int width = group ? group->size : 1;
    char err[512], path[4200];
    err[0] = '\0';
    if (t->save)
        checkpoint_folder_path(p->output, run->run_id, ".ckpt", path, sizeof path);
    /* a run that one member cannot start, none trains */
    void *state = start_together(t, r, run, group, t->save ? path : NULL, err, sizeof err);
    if (!state) {
        runner_failed_row(p, index, r->rank, err, row);
        row->ranks = width;
        return 0;
    }
    t->join(state, group);
    int64_t sent = 0;
    int lost = leads && emit_new_points(t, state, index, sink, &sent) != 0;
    progress_origin origin = {clock_seconds(), 0,
                              (int64_t)run->config.batch * run->config.model.n_ctx};
    int64_t ignored;
    t->progress(state, &origin.step, &ignored);
    if (leads)
        report_progress(t, state, index, sink, &origin, origin.time);
    double last_report = origin.time;
    /* the leader counts a crash of the run (every member would count the same one) */
    if (t->save && leads)
        checkpoint_folder_watch_crashes(p->output, run->run_id);
    double last_save = clock_seconds();
    run_status status = RUN_RUNNING;
    for (;;) {
        int flags =
            agree(group, (lost ? AGREE_LOST : 0) | (t->save && *interrupt ? AGREE_INTERRUPT : 0) |
                             (status != RUN_RUNNING ? AGREE_ENDED : 0));
        if (flags & (AGREE_LOST | AGREE_ENDED)) {
            lost = (flags & AGREE_LOST) != 0;
            /* members end together; one that ended alone (out of memory) fails the run */
            if (!lost && status == RUN_RUNNING) {
                if (t->interrupt)
                    t->interrupt(state);
                status = RUN_FAILED;
            }
            break;
        }
        if (flags & AGREE_INTERRUPT) {
            train_result at;
            t->interrupt(state);
            if (leads)
                save_checkpoint(t, state, path, r->rank);
            t->result(state, &at);
            *stopped_step = at.steps;
            t->join(state, NULL);
            t->stop(state);
            checkpoint_folder_watch_crashes(p->output, NULL);
            return 1;
        }
        status = t->step(state);
        lost = leads && emit_new_points(t, state, index, sink, &sent) != 0;
        /* by the leader's clock alone: no member waits for it */
        const double now = leads ? clock_seconds() : 0.0;
        if (leads && status == RUN_RUNNING && now - last_report >= RUNNER_PROGRESS_SECONDS) {
            report_progress(t, state, index, sink, &origin, now);
            last_report = now;
        }
        /* periodic checkpoints bound what a hard crash loses */
        if (leads && t->save && status == RUN_RUNNING && p->checkpoint_seconds > 0 &&
            clock_seconds() - last_save >= (double)p->checkpoint_seconds) {
            save_checkpoint(t, state, path, r->rank);
            last_save = clock_seconds();
        }
    }
    if (t->save && leads)
        checkpoint_folder_watch_crashes(p->output, NULL);
    if (lost) {
        runner_failed_row(p, index, r->rank,
                          "its curve points could not be passed on (out of "
                          "memory on rank 0)",
                          row);
    } else {
        train_result result;
        t->result(state, &result);
        if (result.status == RUN_RUNNING || result.status == RUN_INTERRUPTED) {
            result.status = RUN_FAILED;
            result.reason = "another rank of its group ended it early (out of memory)";
        }
        result_row(p, index, &result, r->rank, width, row);
    }
    row->ranks = width;
    t->join(state, NULL);
    t->stop(state);
    return 0;
}
