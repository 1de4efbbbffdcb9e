/* What the files of src/plan share: the keys, the parse state, and the typed reading over
 * it. Not part of the plan's API (plan.h). */
#ifndef SCALESWEEP_PLAN_INTERNAL_H
#define SCALESWEEP_PLAN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "plan.h"
#include "train.h"

/* Generated shapes keep d_model / n_layer within a factor PLAN_ASPECT_BAND of aspect_ratio,
 * PLAN_ASPECT_DEFAULT unless the plan sets it: 25 to 64. Measured on Brown (docs/brown.md):
 * at one N and D, shapes of aspect 16 lost to those of 32 to 48 (4x64 against 2x96, 8x128
 * against 5x160), so the band leaves them out. */
#define PLAN_ASPECT_DEFAULT 40.0
#define PLAN_ASPECT_BAND 1.6
/* A generated shape comes within PLAN_PARAMS_NEAR of its target N, off the aspect band if it
 * must; one further than PLAN_PARAMS_TOLERANCE is refused. */
#define PLAN_PARAMS_NEAR 1.25
#define PLAN_PARAMS_TOLERANCE 1.5
/* Upper bounds that keep every product of counts far from int64 overflow. */
#define PLAN_MAX_TOKENS 1000000000000000LL /* 1e15 */
#define PLAN_MAX_COMPUTE 1e30

/* ---- the keys (plan_keys.c) ---- */

typedef enum {
    KEY_SWEEP_NAME,
    KEY_SWEEP_OUTPUT,
    KEY_SWEEP_MODE,
    KEY_SWEEP_SEEDS,
    KEY_SWEEP_SEED_LIST,
    KEY_SWEEP_TRAINER,
    KEY_SWEEP_MAX_RANKS_PER_RUN,
    KEY_SWEEP_MIN_BATCH_PER_RANK,
    KEY_SWEEP_PROGRESS_SECONDS,
    KEY_SWEEP_REPORT,
    KEY_DATA_CORPUS,
    KEY_DATA_TEST_FRACTION,
    KEY_DATA_ALLOW_EPOCHS,
    KEY_DATA_EVAL_TOKENS,
    KEY_DATA_SOURCES,
    KEY_DATA_MIXTURES,
    KEY_MODEL_ARCHITECTURE,
    KEY_MODEL_SHAPES,
    KEY_MODEL_PARAMS,
    KEY_MODEL_ASPECT_RATIO,
    KEY_MODEL_HEAD_SIZE,
    KEY_MODEL_N_CTX,
    KEY_TRAIN_TOKENS,
    KEY_TRAIN_COMPUTE,
    KEY_TRAIN_RUNS,
    KEY_TRAIN_UNIQUE_TOKENS,
    KEY_TRAIN_MAX_EPOCHS,
    KEY_TRAIN_BATCH,
    KEY_TRAIN_LR,
    KEY_TRAIN_FINAL_LR_RATIO,
    KEY_TRAIN_WARMUP_STEPS,
    KEY_TRAIN_WEIGHT_DECAY,
    KEY_TRAIN_BETA1,
    KEY_TRAIN_BETA2,
    KEY_TRAIN_EPS,
    KEY_TRAIN_GRAD_CLIP,
    KEY_TRAIN_EVAL_INTERVAL,
    KEY_TRAIN_EVALUATIONS,
    KEY_TRAIN_EVAL_SPACING,
    KEY_TRAIN_EVAL_BUDGET,
    KEY_TRAIN_PATIENCE,
    KEY_TRAIN_CHECKPOINT_SECONDS,
    KEY_FIT_BOOTSTRAP,
    KEY_FIT_SEED,
    KEY_FIT_LAWS,
    KEY_FIT_FRONTIER,
    KEY_SYNTHETIC_FLOPS_PER_SECOND,
    KEY_SYNTHETIC_STEP_SECONDS,
    KEY_SYNTHETIC_WIDTH_EFFICIENCY,
    KEY_SYNTHETIC_LR_OPTIMUM,
    KEY_SYNTHETIC_BATCH_OPTIMUM,
    KEY_COUNT
} plan_key;

_Static_assert(KEY_COUNT <= PLAN_MAX_KEYS, "plan.key_lines has no room for every key");

typedef struct {
    const char *section;
    const char *name;
    int is_list; /* comma-separated, and may continue on indented lines */
} plan_key_spec;

extern const plan_key_spec plan_keys[KEY_COUNT];
/* The key of each plan_hyper (plan.c): its name, its line. */
extern const plan_key plan_hyper_keys[PLAN_HYPER_COUNT];
/* Sets a run's value of a plan_hyper key (plan_hyper_value's inverse). */
void plan_hyper_set(train_config *c, plan_hyper h, double value);

/* ---- the parse state ---- */

/* One line's worth of a key's value: the first line, then each indented continuation. */
typedef struct {
    char *text;
    int line;
} plan_segment;

typedef struct {
    plan_segment *segments;
    int count;
    int capacity;
} plan_raw_value;

/* A list item: points into a segment's text. */
typedef struct {
    const char *text;
    int line;
} plan_item;

/* A model shape and the plan line it came from (a shapes or params item). */
typedef struct {
    model_config shape;
    int line;
    const char *source; /* the item as written */
} plan_shape_entry;

/* A D of the grid (tokens or unique_tokens item) or a run of mode = list. */
typedef struct {
    int64_t tokens;
    int64_t unique_tokens;
    int line;
    const char *source;
    model_config shape; /* mode = list only */
} plan_data_entry;

/* The values of a plan_hyper key: one, or an axis of several (in the order given). */
typedef struct {
    int n;
    double value[PLAN_MAX_AXIS_VALUES];    /* as plan_hyper_value gives it; lr: 0 for a rule */
    train_lr_rule lr_rule[PLAN_MAX_AXIS_VALUES]; /* lr only */
    int line[PLAN_MAX_AXIS_VALUES];
} plan_axis;

typedef struct {
    plan *p;
    char *err;
    size_t errlen;
    int failed;
    int error_line;
    /* the reader */
    const char *cursor;
    size_t left;
    int line;          /* the line last handed to inih */
    int line_indented; /* it began with white space: inih may take it as a continuation */
    int last_key;      /* key of the last handler call since the last section header; -1 */
    plan_raw_value raw[KEY_COUNT];
    /* interpretation */
    train_config base; /* every setting the runs share (an axis: its first value) */
    plan_axis axes[PLAN_HYPER_COUNT];
    int64_t step_batch; /* D is rounded to whole steps of step_batch x n_ctx tokens: the
                           least common multiple of the batches, so that every batch takes
                           whole steps of the same D */
    plan_shape_entry *shapes;
    int n_shapes;
    unsigned architectures_used; /* bits 1 << MODEL_*: of the shapes and runs read */
    plan_data_entry *data;
    int n_data;
    double *budgets;
    int *budget_lines;
    const char **budget_sources;
    int n_budgets;
    plan_item *items; /* scratch of the list being read */
    int n_items;
    char *notes;
    size_t notes_length;
} plan_state;

/* ---- reading and typed values (plan_keys.c) ---- */

/* Reads the text with inih into s->raw: every key's value with its lines. 0 or -1. */
int plan_read_syntax(plan_state *s, const char *text);
void plan_state_free(plan_state *s);

/* Writes the one-line error "PATH:LINE: [section] key: message" (the first error wins)
 * and returns -1. With key < 0 the message stands alone after "PATH:LINE: ". */
int plan_fail(plan_state *s, int line, int key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends one line to the plan's notes (what expansion left out and why). 0 or -1. */
int plan_note(plan_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The line of a key in the text (0: not set), whether it is set, its first segment. */
int plan_line_of(const plan_state *s, plan_key k);
int plan_is_set(const plan_state *s, plan_key k);
const char *plan_scalar(const plan_state *s, plan_key k);
/* The scalar's text (NULL when not set); an empty value is an error. */
int plan_scalar_nonempty(plan_state *s, plan_key k, const char **text);

/* A count or a real from text at a line, within [min, max] (a real's ends open or closed);
 * errors name the key and line. 0 or -1. */
int plan_count_text(plan_state *s, plan_key k, int line, const char *text, int64_t min, int64_t max,
                    int64_t *out);
int plan_real_text(plan_state *s, plan_key k, int line, const char *text, double min, int min_open,
                   double max, int max_open, double *out);
/* A real stored as a float: in range as written, at most FLT_MAX, and in range once rounded
 * to a float (1e-50 becomes 0, 0.9999999999 becomes 1). */
int plan_float_text(plan_state *s, plan_key k, int line, const char *text, double min, int min_open,
                    double max, int max_open, float *out);

/* Each plan_get_ leaves *out alone when the plan does not set the key (the default stays). */
int plan_get_count(plan_state *s, plan_key k, int64_t min, int64_t max, int64_t *out);
int plan_get_int(plan_state *s, plan_key k, int64_t min, int64_t max, int *out);
int plan_get_real(plan_state *s, plan_key k, double min, int min_open, double max, int max_open,
                  double *out);
int plan_get_float(plan_state *s, plan_key k, double min, int min_open, double max, int max_open,
                   float *out);
/* "auto" or a count; auto_value stands for auto. */
int plan_get_auto_count(plan_state *s, plan_key k, int64_t auto_value, int64_t min, int64_t max,
                        int64_t *out);
int plan_get_bool(plan_state *s, plan_key k, int *out);
int plan_get_string(plan_state *s, plan_key k, char *out, size_t size);
/* One of count names; *out is its index. An error lists them: "'x' is not one of a, b or c". */
int plan_get_choice(plan_state *s, plan_key k, const char *const *names, int count, int *out);

/* Splits a list key into s->items (pointing into its segments, which it cuts in place).
 * A comma may end a line that an indented line continues; other empty items are errors. */
int plan_get_items(plan_state *s, plan_key k);

/* ---- shapes (plan_shapes.c) ---- */

/* "2x64x2": a transformer's n_layer x d_model x n_head; "2x256": an LSTM's n_layer x d_model
 * (n_head 0); whole positive numbers; n_ctx is set as given. 0, or -1 if text is not a
 * shape. */
int plan_parse_shape(const char *text, model_config *shape, int n_ctx);
/* The LSTM for a target N ([model] params with architecture lstm): PLAN_LSTM_LAYERS layers,
 * d_model the multiple of PLAN_LSTM_WIDTH_MULTIPLE whose N comes nearest the target (in
 * ratio). Returns N / target of the shape. */
#define PLAN_LSTM_LAYERS 2
#define PLAN_LSTM_WIDTH_MULTIPLE 8
double plan_generate_lstm_shape(int64_t target, model_config *out);
/* A shape for a target N (see plan_shapes.c); returns N / target of the shape chosen and
 * sets *off_aspect when it lies outside the aspect band. */
double plan_generate_shape(int64_t target, double aspect, int head_size, model_config *out,
                           int *off_aspect);

/* ---- the sources and mixtures of [data] (plan_sources.c) ---- */

/* Reads [data] sources and mixtures into p->sources and p->mixtures (after corpus). 0 or -1. */
int plan_read_sources(plan_state *s);

/* ---- the sections (plan_sections.c) and the runs (plan_expand.c) ---- */

/* Tokens a step of step_batch sequences trains on: what D is rounded to. */
int64_t plan_step_tokens(const plan_state *s);

/* Interprets every section, in the order the checks depend on. 0 or -1. */
int plan_read_sections(plan_state *s);
/* Expands the plan into p->runs with their ids, checks them, and sets the plan hash. */
int plan_expand(plan_state *s);
/* The key whose item set a run's D, for messages. */
plan_key plan_data_key(const plan *p, const plan_run *run);

#endif
