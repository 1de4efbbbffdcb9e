/* The plan's entry points (plan.h): parse text, load a file, free; and the names that
 * plans, messages and results files use. */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "plan_internal.h"

/* A plan is a short text; a larger file is something else given by mistake. */
#define PLAN_MAX_FILE_BYTES (1 << 20)

static const char *const law_names[PLAN_LAW_COUNT] = {"n",          "d",       "c",    "kaplan",
                                                      "chinchilla", "isoflop", "shape"};

const char *plan_mode_name(plan_mode mode)
{
    switch (mode) {
    case PLAN_GRID: return "grid";
    case PLAN_ISOFLOP: return "isoflop";
    case PLAN_LIST: return "list";
    }
    return "unknown";
}

const plan_key plan_hyper_keys[PLAN_HYPER_COUNT] = {
    [PLAN_HYPER_LR] = KEY_TRAIN_LR,
    [PLAN_HYPER_BATCH] = KEY_TRAIN_BATCH,
    [PLAN_HYPER_WARMUP_STEPS] = KEY_TRAIN_WARMUP_STEPS,
    [PLAN_HYPER_WEIGHT_DECAY] = KEY_TRAIN_WEIGHT_DECAY,
    [PLAN_HYPER_BETA2] = KEY_TRAIN_BETA2,
    [PLAN_HYPER_GRAD_CLIP] = KEY_TRAIN_GRAD_CLIP};

const char *plan_hyper_name(plan_hyper h)
{
    return h >= 0 && h < PLAN_HYPER_COUNT ? plan_keys[plan_hyper_keys[h]].name : "unknown";
}

double plan_hyper_value(const train_config *c, plan_hyper h)
{
    switch (h) {
    case PLAN_HYPER_LR: return c->lr;
    case PLAN_HYPER_BATCH: return c->batch;
    case PLAN_HYPER_WARMUP_STEPS: return (double)c->warmup_steps;
    case PLAN_HYPER_WEIGHT_DECAY: return c->weight_decay;
    case PLAN_HYPER_BETA2: return c->beta2;
    case PLAN_HYPER_GRAD_CLIP: return c->grad_clip;
    }
    return NAN;
}

void plan_hyper_set(train_config *c, plan_hyper h, double value)
{
    switch (h) {
    case PLAN_HYPER_LR: c->lr = (float)value; return;
    case PLAN_HYPER_BATCH: c->batch = (int)value; return;
    case PLAN_HYPER_WARMUP_STEPS: c->warmup_steps = (int64_t)value; return;
    case PLAN_HYPER_WEIGHT_DECAY: c->weight_decay = (float)value; return;
    case PLAN_HYPER_BETA2: c->beta2 = (float)value; return;
    case PLAN_HYPER_GRAD_CLIP: c->grad_clip = (float)value; return;
    }
}

const char *const plan_frontier_names[PLAN_FRONTIERS] = {"ends", "curves"};

const char *plan_trainer_name(plan_trainer trainer)
{
    switch (trainer) {
    case TRAINER_TRANSFORMER: return "transformer";
    case TRAINER_SYNTHETIC: return "synthetic";
    }
    return "unknown";
}

int plan_trainer_reads_corpus(plan_trainer trainer)
{
    return trainer == TRAINER_TRANSFORMER;
}

const char *plan_law_name(plan_law law)
{
    for (int i = 0; i < PLAN_LAW_COUNT; i++)
        if ((unsigned)law == (1u << i))
            return law_names[i];
    return "unknown";
}

void plan_law_names(char *out, size_t size)
{
    message_join(law_names, PLAN_LAW_COUNT, ", ", out, size);
}

unsigned plan_law_from_name(const char *name)
{
    if (strcasecmp(name, "all") == 0)
        return PLAN_LAWS_ALL;
    for (int i = 0; i < PLAN_LAW_COUNT; i++)
        if (strcasecmp(name, law_names[i]) == 0)
            return 1u << i;
    return 0;
}

int plan_find_source(const plan *p, const char *name)
{
    for (int i = 0; i < p->n_sources; i++)
        if (strcmp(p->sources[i].name, name) == 0)
            return i;
    return -1;
}

int plan_key_line(const plan *p, const char *section, const char *key)
{
    for (int k = 0; k < KEY_COUNT; k++)
        if (strcmp(plan_keys[k].section, section) == 0 && strcmp(plan_keys[k].name, key) == 0)
            return p->key_lines[k];
    return 0;
}

int plan_parse(plan *p, const char *path, const char *text, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    plan_state state;
    memset(&state, 0, sizeof state);
    plan_state *s = &state;
    s->p = p;
    s->err = err;
    s->errlen = errlen;
    s->last_key = -1;
    if (strlen(path) >= sizeof p->path) {
        snprintf(err, errlen, "%.200s...:0: the plan's path is too long", path);
        return -1;
    }
    memcpy(p->path, path, strlen(path) + 1);
    p->text = strdup(text);
    if (!p->text) {
        plan_fail(s, 0, -1, "out of memory");
        goto failed;
    }
    train_config_defaults(&s->base);
    s->base.warmup_steps = -1;
    s->base.eval_interval = 0;

    if (plan_read_syntax(s, text) != 0 || plan_read_sections(s) != 0 || plan_expand(s) != 0)
        goto failed;
    for (int k = 0; k < KEY_COUNT; k++)
        p->key_lines[k] = plan_line_of(s, k);
    p->notes = s->notes;
    s->notes = NULL;
    plan_state_free(s);
    return 0;

failed:
    plan_state_free(s);
    plan_free(p);
    return -1;
}

int plan_load(plan *p, const char *path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(PLAN_MAX_FILE_BYTES + 1);
    if (!text) {
        fclose(f);
        snprintf(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    size_t n = fread(text, 1, PLAN_MAX_FILE_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || n > PLAN_MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s:0: %s", path,
                 read_error ? "cannot read" : "larger than 1 MB; is this a plan?");
        free(text);
        return -1;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        snprintf(err, errlen, "%s:0: contains a NUL byte; a plan is text", path);
        free(text);
        return -1;
    }
    int status = plan_parse(p, path, text, err, errlen);
    free(text);
    return status;
}

void plan_free(plan *p)
{
    free(p->text);
    free(p->runs);
    free(p->by_run_id);
    free(p->seeds);
    free(p->notes);
    free(p->sources);
    free(p->mixtures);
    memset(p, 0, sizeof *p);
}
