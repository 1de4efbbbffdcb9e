/* A run's checkpoint: the worker's file format (train.h's train_checkpoint_*); a sweep keeps
 * these in its checkpoint folder (src/orchestrator/checkpoint_folder.c).
 * The file (little-endian, this machine's float layout):
 *   magic "SSWCKPT4" (version 4: the architecture; version 3: the sources, their mixture and
 *   each one's data position; version 2: the evaluation schedule and its time; a version 3
 *   file is read as a transformer's), then a sequence of
 *   64-bit integers and doubles (the fields below, in this order), the curve points, the
 *   parameters, both AdamW moments as float32, and last a 64-bit FNV-1a hash of every byte
 *   before it, which catches truncated files. The configuration it starts with (put_config)
 *   is also what says whose run it is (config_digest). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "train.h"

/* Version 4 adds the architecture and the losses per position of the last evaluation; a
 * version 3 checkpoint is a transformer's, without them. */
static const char magic[8] = {'S', 'S', 'W', 'C', 'K', 'P', 'T', '4'};
static const char magic_3[8] = {'S', 'S', 'W', 'C', 'K', 'P', 'T', '3'};

typedef struct {
    FILE *file;
    uint64_t hash;
    int failed;
} stream;

static void hash_bytes(stream *s, const void *data, size_t n)
{
    s->hash = hash_fnv1a(s->hash, data, n);
}

static void put(stream *s, const void *data, size_t n)
{
    if (s->failed)
        return;
    hash_bytes(s, data, n);
    if (s->file && fwrite(data, 1, n, s->file) != n)
        s->failed = 1;
}

static void get(stream *s, void *data, size_t n)
{
    if (s->failed)
        return;
    if (fread(data, 1, n, s->file) != n) {
        s->failed = 1;
        memset(data, 0, n);
        return;
    }
    hash_bytes(s, data, n);
}

static void put_i64(stream *s, int64_t v) { put(s, &v, sizeof v); }
static void put_f64(stream *s, double v) { put(s, &v, sizeof v); }
static int64_t get_i64(stream *s) { int64_t v = 0; get(s, &v, sizeof v); return v; }
static double get_f64(stream *s) { double v = 0; get(s, &v, sizeof v); return v; }

/* A 64-bit FNV-1a of every source's text, so a checkpoint is not continued on other data. */
static uint64_t corpus_fingerprint(const corpus *data, int n_sources)
{
    uint64_t hash = HASH_FNV_OFFSET;
    for (int i = 0; i < n_sources; i++) {
        hash = hash_fnv1a(hash, data[i].train, (size_t)data[i].train_size);
        hash = hash_fnv1a(hash, data[i].test, (size_t)data[i].test_size);
    }
    return hash;
}

static void put_config(stream *s, const train_config *c)
{
    put_i64(s, c->model.n_layer);
    put_i64(s, c->model.d_model);
    put_i64(s, c->model.n_head);
    put_i64(s, c->model.n_ctx);
    put_i64(s, c->batch);
    put_i64(s, c->tokens);
    put_i64(s, c->unique_tokens);
    put_f64(s, c->lr);
    put_f64(s, c->final_lr_ratio);
    put_i64(s, c->warmup_steps);
    put_f64(s, c->weight_decay);
    put_f64(s, c->beta1);
    put_f64(s, c->beta2);
    put_f64(s, c->eps);
    put_f64(s, c->grad_clip);
    put_i64(s, c->evaluations);
    put_i64(s, c->eval_spacing);
    put_f64(s, c->eval_budget);
    put_i64(s, c->eval_interval);
    put_i64(s, c->eval_tokens);
    put_i64(s, c->patience);
    put_i64(s, (int64_t)c->seed);
    put_i64(s, c->n_sources);
    for (int i = 0; i < c->n_sources && i < TRAIN_MAX_SOURCES; i++)
        put_f64(s, c->mixture[i]);
    put_i64(s, c->model.architecture);
}

/* A digest of a resolved configuration, seed included: what says whose a checkpoint is. */
static uint64_t config_digest(const train_config *c)
{
    stream s = {NULL, HASH_FNV_OFFSET, 0};
    put_config(&s, c);
    return s.hash;
}

/* The checkpoint's version from its magic (3 or 4), or 0: not a checkpoint. */
static int version_of(const char head[sizeof magic])
{
    if (memcmp(head, magic, sizeof magic) == 0)
        return 4;
    return memcmp(head, magic_3, sizeof magic) == 0 ? 3 : 0;
}

static void get_config(stream *s, train_config *c, int version)
{
    c->model.n_layer = (int)get_i64(s);
    c->model.d_model = (int)get_i64(s);
    c->model.n_head = (int)get_i64(s);
    c->model.n_ctx = (int)get_i64(s);
    c->batch = (int)get_i64(s);
    c->tokens = get_i64(s);
    c->unique_tokens = get_i64(s);
    c->lr = (float)get_f64(s);
    c->final_lr_ratio = (float)get_f64(s);
    c->warmup_steps = get_i64(s);
    c->weight_decay = (float)get_f64(s);
    c->beta1 = (float)get_f64(s);
    c->beta2 = (float)get_f64(s);
    c->eps = (float)get_f64(s);
    c->grad_clip = (float)get_f64(s);
    c->evaluations = get_i64(s);
    c->eval_spacing = (int)get_i64(s);
    c->eval_budget = get_f64(s);
    c->eval_interval = get_i64(s);
    c->eval_tokens = get_i64(s);
    c->patience = (int)get_i64(s);
    c->seed = (uint64_t)get_i64(s);
    c->n_sources = (int)get_i64(s);
    if (c->n_sources < 1 || c->n_sources > TRAIN_MAX_SOURCES) {
        s->failed = 1;
        return;
    }
    for (int i = 0; i < c->n_sources; i++)
        c->mixture[i] = get_f64(s);
    c->model.architecture = version >= 4 ? (int)get_i64(s) : MODEL_TRANSFORMER;
    if (c->model.architecture < 0 || c->model.architecture >= MODEL_ARCHITECTURES)
        s->failed = 1;
}

int train_checkpoint_save(const train_run *run, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    stream s = {fopen(tmp, "wb"), HASH_FNV_OFFSET, 0};
    if (!s.file) {
        snprintf(err, errlen, "%s: cannot write checkpoint: %s", tmp, strerror(errno));
        return -1;
    }
    put(&s, magic, sizeof magic);
    /* the run's resolved configuration: an automatic warmup is fixed */
    put_config(&s, &run->config);
    put_i64(&s, (int64_t)corpus_fingerprint(run->data, run->config.n_sources));
    put_i64(&s, run->step);
    for (int i = 0; i < run->config.n_sources; i++) {
        put_i64(&s, run->sources[i].epoch);
        put_i64(&s, run->sources[i].window);
    }
    put_f64(&s, run->train_loss_sum);
    put_i64(&s, run->train_loss_count);
    put_f64(&s, run->last_train_loss);
    put_f64(&s, run->best_test_loss);
    put_i64(&s, run->best_step);
    put_i64(&s, run->evals_since_best);
    put_i64(&s, run->stopped_early);
    put_i64(&s, run->status);
    put(&s, run->reason, sizeof run->reason);
    put_f64(&s, run->seconds);
    put_f64(&s, run->eval_seconds);
    put_i64(&s, run->curve_len);
    put(&s, run->curve, sizeof(curve_point) * (size_t)run->curve_len);
    put(&s, run->position_loss, sizeof(float) * (size_t)run->config.model.n_ctx);
    const optim_params m = net_optim_params((net *)&run->net);
    put_i64(&s, m.num_params);
    put(&s, m.params, sizeof(float) * (size_t)m.num_params);
    put(&s, m.m, sizeof(float) * (size_t)m.num_params);
    put(&s, m.v, sizeof(float) * (size_t)m.num_params);
    uint64_t hash = s.hash;
    put(&s, &hash, sizeof hash);
    int failed = s.failed || fflush(s.file) != 0 || fsync(fileno(s.file)) != 0;
    failed |= fclose(s.file) != 0;
    if (failed || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write checkpoint: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

int train_checkpoint_step(const char *path, int64_t *step)
{
    stream s = {fopen(path, "rb"), HASH_FNV_OFFSET, 0};
    if (!s.file)
        return -1;
    char head[sizeof magic];
    get(&s, head, sizeof head);
    const int version = version_of(head);
    train_config config;
    get_config(&s, &config, version);
    (void)get_i64(&s); /* corpus fingerprint */
    *step = get_i64(&s);
    fclose(s.file);
    return s.failed || version == 0 ? -1 : 0;
}

int train_checkpoint_load(train_run *run, const char *path, const corpus *data,
                          const train_config *expected, char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    stream s = {fopen(path, "rb"), HASH_FNV_OFFSET, 0};
    if (!s.file) {
        snprintf(err, errlen, "%s: cannot open checkpoint: %s", path, strerror(errno));
        return -1;
    }
    char head[sizeof magic];
    get(&s, head, sizeof head);
    const int version = s.failed ? 0 : version_of(head);
    if (version == 0) {
        snprintf(err, errlen, "%s: not a scalesweep checkpoint (version 3 or 4)", path);
        fclose(s.file);
        return -1;
    }
    train_config config;
    memset(&config, 0, sizeof config);
    get_config(&s, &config, version);
    uint64_t fingerprint = (uint64_t)get_i64(&s);
    if (s.failed) {
        snprintf(err, errlen, "%s: checkpoint is truncated", path);
        fclose(s.file);
        return -1;
    }
    /* data holds the expected run's sources (without one: a single corpus) */
    if (config.n_sources != (expected ? expected->n_sources : 1)) {
        snprintf(err, errlen, "%s: checkpoint of a run on %d sources, not on %d", path,
                 config.n_sources, expected ? expected->n_sources : 1);
        fclose(s.file);
        return -1;
    }
    if (fingerprint != corpus_fingerprint(data, config.n_sources)) {
        snprintf(err, errlen, "%s: checkpoint was made on a different corpus", path);
        fclose(s.file);
        return -1;
    }
    char setup_err[256];
    /* the run this checkpoint must belong to, resolved as the checkpoint's was */
    if (train_run_init(run, expected ? expected : &config, data, setup_err, sizeof setup_err) !=
        0) {
        snprintf(err, errlen, "%s: checkpoint configuration is invalid: %s", path, setup_err);
        fclose(s.file);
        return -1;
    }
    if (expected && config_digest(&run->config) != config_digest(&config)) {
        const model_config *m = &config.model, *e = &run->config.model;
        char mine[NET_SHAPE_SIZE], theirs[NET_SHAPE_SIZE];
        snprintf(err, errlen,
                 "%s: checkpoint of another run (%s %s, n_ctx %d, D = %lld, seed %llu, ...; "
                 "this run is %s %s, n_ctx %d, D = %lld, seed %llu), not continued",
                 path, net_architecture_names[m->architecture], net_shape(m, theirs, sizeof theirs),
                 m->n_ctx, (long long)config.tokens, (unsigned long long)config.seed,
                 net_architecture_names[e->architecture], net_shape(e, mine, sizeof mine), e->n_ctx,
                 (long long)run->config.tokens, (unsigned long long)run->config.seed);
        fclose(s.file);
        train_run_free(run);
        return -1;
    }
    run->step = get_i64(&s);
    int positions_ok = 1;
    for (int i = 0; i < run->config.n_sources; i++) {
        train_source *src = &run->sources[i];
        src->epoch = get_i64(&s);
        src->window = get_i64(&s);
        positions_ok &= src->epoch >= 0 && src->window >= 0 && src->window <= src->num_windows;
    }
    run->train_loss_sum = get_f64(&s);
    run->train_loss_count = get_i64(&s);
    run->last_train_loss = (float)get_f64(&s);
    run->best_test_loss = (float)get_f64(&s);
    run->best_step = get_i64(&s);
    run->evals_since_best = (int)get_i64(&s);
    run->stopped_early = (int)get_i64(&s);
    run->status = (run_status)get_i64(&s);
    get(&s, run->reason, sizeof run->reason);
    run->reason[sizeof run->reason - 1] = '\0';
    run->seconds = get_f64(&s);
    run->eval_seconds = get_f64(&s);
    int64_t curve_len = get_i64(&s);
    const optim_params m = net_optim_params(&run->net);
    if (s.failed || curve_len < 0 || curve_len > run->total_steps + 1 || run->step < 0 ||
        run->step > run->total_steps || !positions_ok) {
        snprintf(err, errlen, "%s: checkpoint is corrupt", path);
        goto fail;
    }
    while (run->curve_cap < curve_len) {
        run->curve_cap *= 2;
        curve_point *grown = realloc(run->curve, sizeof(curve_point) * (size_t)run->curve_cap);
        if (!grown) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        run->curve = grown;
    }
    run->curve_len = curve_len;
    get(&s, run->curve, sizeof(curve_point) * (size_t)curve_len);
    if (version >= 4)
        get(&s, run->position_loss, sizeof(float) * (size_t)run->config.model.n_ctx);
    if (get_i64(&s) != m.num_params) {
        snprintf(err, errlen, "%s: checkpoint holds a different number of parameters", path);
        goto fail;
    }
    get(&s, m.params, sizeof(float) * (size_t)m.num_params);
    get(&s, m.m, sizeof(float) * (size_t)m.num_params);
    get(&s, m.v, sizeof(float) * (size_t)m.num_params);
    uint64_t sum = s.hash, stored = 0;
    if (!s.failed && fread(&stored, sizeof stored, 1, s.file) != 1)
        s.failed = 1;
    if (s.failed || stored != sum) {
        snprintf(err, errlen, "%s: checkpoint is truncated or corrupt (checksum)", path);
        goto fail;
    }
    fclose(s.file);
    /* the window order of each source's epoch is a function of (seed, source, epoch), the
     * next evaluation one of the step */
    for (int i = 0; i < run->config.n_sources; i++)
        train_run_shuffle_epoch(run, i);
    run->next_eval = train_run_next_eval(run);
    return 0;
fail:
    fclose(s.file);
    train_run_free(run);
    return -1;
}
