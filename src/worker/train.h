/* One training run: a model, its data stream, its schedule, evaluation on held-out
 * text, early stopping, divergence, and the loss curve. Stepped one optimiser update
 * at a time, so that a caller (the CLI, a test, an MPI worker) can stream progress,
 * checkpoint and stop between any two steps. */
#ifndef SCALESWEEP_TRAIN_H
#define SCALESWEEP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "model.h"
#include "net.h"
#include "optim.h"

/* The most sources a run can train on and be scored on (docs/plan.md, [data] sources). */
#define TRAIN_MAX_SOURCES 32
/* The most held-out windows one evaluation scores, every source's together: what one
 * message shares among a wide run's members (wide_group.c). */
#define TRAIN_MAX_EVAL_WINDOWS ((int64_t)1 << 28)
/* A number macro as text, for messages. */
#define TRAIN_STRING_(x) #x
#define TRAIN_STRING(x) TRAIN_STRING_(x)

/* Where a run's evaluations fall: log-spaced steps (the L(C) frontier is read in log C),
 * evenly spaced (early stopping compares evaluations a fixed number of steps apart), or
 * auto: log-spaced, evenly spaced when patience is set. */
enum { TRAIN_EVAL_AUTO = 0, TRAIN_EVAL_LOG, TRAIN_EVAL_LINEAR, TRAIN_EVAL_SPACINGS };
/* "auto", "log", "linear", in that order */
extern const char *const train_eval_spacing_names[TRAIN_EVAL_SPACINGS];

typedef struct {
    model_config model;
    int batch;              /* sequences per step; tokens per step = batch * n_ctx */
    int64_t tokens;         /* D: tokens to train on, rounded to whole steps (at least one) */
    int64_t unique_tokens;  /* 0: all training text; otherwise data-limited mode: only the
                               first unique_tokens bytes of training text, repeated in epochs */
    float lr;               /* peak learning rate */
    float final_lr_ratio;   /* cosine decay ends at this fraction of lr (0.1) */
    int64_t warmup_steps;   /* linear warmup; -1: 5% of the run's steps */
    float weight_decay;
    float beta1, beta2, eps;
    float grad_clip;        /* 0: no clipping */
    int64_t evaluations;    /* evaluations of a run (10), the last step always one of them */
    int eval_spacing;       /* where they fall: TRAIN_EVAL_AUTO, _LOG or _LINEAR */
    double eval_budget;     /* at most this share of the training FLOPs (0.1): fewer otherwise */
    int64_t eval_interval;  /* > 0: every eval_interval steps and at the end instead, however
                               many that is (evaluations, spacing and budget unused) */
    int64_t eval_tokens;    /* tokens of the held-out slice: n_ctx windows spread evenly over
                               the test text (8192) */
    int patience;           /* early stopping: evaluations without improvement; 0: off */
    uint64_t seed;
    /* Its data: n_sources corpora (train_run_init's data, in this order), every one scored at
     * each evaluation, and the share of the training sequences each gives (summing to 1; 0:
     * scored only). One source with share 1 is a run on one corpus. */
    int n_sources;
    double mixture[TRAIN_MAX_SOURCES];
} train_config;

/* Data parallelism. A step's batch is `batch` shards of one sequence each. The gradient of
 * every shard is computed on its own and the shards' gradients are summed in one fixed
 * binary tree (pairs of neighbours, level by level, an odd last one carried up), whichever
 * process computed which shard; losses are summed shard by shard in order. So a run's bits
 * depend on its configuration and seed only, never on how many processes train it.
 *
 * A run trained by w processes (its width) gives each member a block of 2^k consecutive
 * shards (the last member may have fewer), with w = ceil(batch / 2^k): each block is then a
 * node of the tree, and the members' nodes are summed by the same tree. The widths a batch
 * allows are therefore batch, ceil(batch/2), ceil(batch/4), ..., 1 (for 16: 16, 8, 4, 2, 1).
 *
 * The group is how the worker sees the other members; it knows no MPI (src/orchestrator's
 * wide_group.h implements it over a communicator). Every member calls the same functions in
 * the same order; the calls are collective over the group. */
typedef struct train_group {
    int rank; /* this member, 0 .. size - 1; member 0 leads (reports, checkpoints) */
    int size; /* the width */
    /* Member m holds node m of the tree's level above its shards in values[0, n); afterwards
     * every member holds their sum, added in the tree's order. */
    void (*tree_sum)(struct train_group *g, float *values, int64_t n);
    /* Member m has filled values[m chunk, min((m + 1) chunk, n)); afterwards every member
     * holds all n. */
    void (*share)(struct train_group *g, double *values, int64_t n, int64_t chunk);
    /* The bitwise OR of every member's flags: how members agree to stop together. */
    int (*either)(struct train_group *g, int flags);
    /* Whether every member passes the same value. */
    int (*same)(struct train_group *g, int64_t value);
    void *context;
} train_group;

/* Shards per member (2^k) for a run of this batch on `width` processes: the smallest block
 * with ceil(batch / block) <= width. */
int train_shards_per_member(int batch, int width);
/* The widest width a batch allows that is not above `width` (at least 1). */
int train_width_at_most(int batch, int width);
/* sum[i] += x[i]: the tree's one addition, the left operand first, within a member and across
 * members alike. */
void train_tree_add(float *restrict sum, const float *restrict x, int64_t n);
/* The items [*first, *first + *count) of n that member takes when members take chunk each in
 * turn (the last may take fewer, or none). */
void train_slice(int64_t n, int64_t chunk, int member, int64_t *first, int64_t *count);

typedef enum {
    RUN_RUNNING = 0,
    RUN_OK,          /* trained to the end, or stopped early by patience */
    RUN_DIVERGED,    /* a loss or gradient became NaN or infinite */
    RUN_FAILED,      /* could not run (reason says why) */
    RUN_INTERRUPTED  /* stopped from outside; a checkpoint continues it */
} run_status;

const char *run_status_name(run_status s);

typedef struct {
    int64_t step;      /* optimiser updates done */
    int64_t tokens;    /* tokens trained on so far */
    double flops;      /* 6 N tokens */
    float train_loss;  /* mean training loss over the steps since the previous point */
    float test_loss;   /* held-out loss of the mixture, nats per token: the mixture's shares
                          of each source's held-out loss (train_run_evaluate) */
    float lr;          /* learning rate of the last step */
    float source_loss[TRAIN_MAX_SOURCES]; /* held-out loss of each source (n_sources) */
} curve_point;

/* One source of a run: its training stream and its held-out windows. */
typedef struct {
    int64_t pool_size;    /* training bytes in use: all, or its share of unique_tokens */
    int64_t num_windows;  /* training windows of n_ctx + 1 bytes, stride n_ctx; 0: not trained */
    uint32_t *order;      /* (num_windows) this epoch's shuffled window order */
    int64_t eval_windows; /* held-out windows scored at each evaluation */
    int64_t eval_first;   /* the first of them in the run's list of every source's windows */
    /* the state a checkpoint keeps: the window order of an epoch is a function of (seed,
     * source, epoch), so (epoch, window) is the whole of the stream's state */
    int64_t epoch;
    int64_t window;
} train_source;

typedef struct {
    train_config config;
    const corpus *data; /* (config.n_sources) */
    train_source sources[TRAIN_MAX_SOURCES];
    net net; /* the network, through the trainer table (net.h) */
    optim_config optim;
    int64_t total_steps;
    int64_t tokens_per_step;
    uint8_t *inputs;        /* (B, T) */
    uint8_t *targets;       /* (B, T) */
    int64_t eval_windows;   /* held-out windows scored at each evaluation, every source's */
    int64_t next_eval;      /* the step of the next evaluation (train_run_next_eval) */
    const uint8_t **eval_starts; /* (net.eval_windows) the windows of one evaluation call */
    train_group *group;     /* the processes training this run together; NULL: alone */
    double *shard_losses;   /* (B) this step's loss of each shard */
    double *eval_losses;    /* (eval_windows) the loss of each held-out window */
    double *eval_positions; /* (eval_windows x n_ctx) the loss at each position of each */
    float *position_loss;   /* (n_ctx) at the last evaluation, the mixture's mean loss at each
                               position of a window (as test_loss is the mean over them);
                               NaN before any; a checkpoint keeps it */
    float source_losses[TRAIN_MAX_SOURCES]; /* each source's, at the last evaluation */
    float **tree;           /* partial sums of shard gradients waiting for their pair */
    int *tree_level;        /* the tree level of each */
    int tree_slots;         /* buffers allocated: floor(log2 B), enough for any width */

    /* the state a checkpoint keeps, with each source's (epoch, window) */
    int64_t step;
    double train_loss_sum;  /* since the last curve point */
    int64_t train_loss_count;
    float last_train_loss;
    float best_test_loss;
    int64_t best_step;
    int evals_since_best;
    int stopped_early;
    run_status status;
    char reason[160];
    double seconds;         /* training wall time, summed over restores */
    double eval_seconds;    /* the part of it spent evaluating */
    curve_point *curve;
    int64_t curve_len;
    int64_t curve_cap;
} train_run;

typedef struct {
    run_status status;
    const char *reason;
    int stopped_early;
    int64_t n_params;        /* N, non-embedding */
    int64_t n_params_total;  /* N_total */
    int64_t steps;
    int64_t tokens;          /* D: tokens trained on */
    int64_t unique_tokens;   /* distinct training tokens among them */
    double flops;            /* C = 6 N D */
    double flops_attention;  /* (6N + 6 n_layer n_ctx d_model) D */
    float final_test_loss;
    float best_test_loss;
    int64_t best_step;
    float final_train_loss;
    double seconds;
    double eval_seconds; /* the part of seconds spent evaluating */
    double tokens_per_second;
    const float *position_loss; /* (n_positions) the run's position_loss (NULL: none) */
    int n_positions;
} train_result;

void train_config_defaults(train_config *c);
/* The evaluation schedule, one owner for the transformer and the synthetic stand-in alike.
 * A run of total_steps steps scoring eval_tokens held-out tokens per evaluation makes
 * train_eval_count evaluations: `evaluations`, fewer when they would cost more than
 * eval_budget of its training FLOPs (one forward pass over eval_tokens is 2N per token
 * against 6N per trained token) or when there are fewer steps, and always at least the one at
 * the last step. With eval_interval, every eval_interval steps and the last. */
int64_t train_eval_count(const train_config *c, int64_t total_steps, int64_t eval_tokens);
/* The first evaluation step after `step` (total_steps when none comes earlier). */
int64_t train_eval_next(const train_config *c, int64_t total_steps, int64_t eval_tokens,
                        int64_t step);
/* The held-out windows of n_ctx an evaluation scores on a test text of test_size bytes
 * (INT64_MAX: none, as for the synthetic stand-in): eval_tokens, clamped to the text less
 * one byte, in whole windows, at most 2^28 (what one message shares among a group). */
int64_t train_eval_windows(const train_config *c, int64_t test_size);
/* Tokens one evaluation scores: each source's windows (train_eval_windows of its test text;
 * data NULL: of none, as for the synthetic stand-in) in n_ctx tokens. */
int64_t train_eval_tokens(const train_config *c, const corpus *data);
/* The source (0 .. n_sources - 1) of a run's training sequence number `sequence` (0, 1, ...
 * over the whole run, the batch's sequences in order): a point of a seeded low-discrepancy
 * sequence x_k = frac(u + k / golden ratio) in [0, 1), cut in the order of the sources by their
 * shares. So a run takes each source's share of its sequences to within a few, in an order
 * fixed by its seed, and the choice needs no state. */
int train_mixture_source(const train_config *c, int64_t sequence);
/* The training bytes a source gives a run: all of its training text, or with unique_tokens
 * its share of them (llround(share x unique_tokens)); 0 when the run does not train on it. */
int64_t train_source_pool(const train_config *c, int source, int64_t train_size);
/* A source's final and lowest held-out loss over a curve (NAN when there is none) and the step
 * of the lowest (-1). */
void train_curve_source(const curve_point *points, int64_t n, int source, float *final, float *best,
                        int64_t *best_step);
/* The peak learning rate: a number, or a rule of the model's N (non-embedding parameters),
 * one owner for plans (lr = auto, kaplan) and `scalesweep train` (--lr auto, kaplan). */
typedef enum {
    TRAIN_LR_FIXED, /* a number */
    TRAIN_LR_AUTO,  /* scalesweep's lr_opt(N) of each architecture, measured on Brown */
    TRAIN_LR_KAPLAN /* Kaplan et al. 2020, appendix D.6, eq. (D.1) */
} train_lr_rule;
/* As written in plans and on the command line: "fixed" (a number), "auto", "kaplan". */
const char *train_lr_rule_name(train_lr_rule rule);
/* The rule of that name (auto or kaplan), or -1. */
int train_lr_rule_named(const char *name);
/* The lr a rule gives a model, from its N (non-embedding parameters) and, for auto, its
 * architecture (each has its measured lr_opt(N)); TRAIN_LR_FIXED: 0. Kaplan's (fitted to
 * transformers) is not positive from N ~ 1.2e10 on. */
double train_lr_of_rule(train_lr_rule rule, const model_config *m);
/* batch = auto: the batch that gives a run of `tokens` at n_ctx enough steps. Measured on
 * Brown (docs/brown.md): below ~1,500 steps a smaller batch at the same D trains better, so
 * the largest of TRAIN_BATCH_AUTO_MAX halved down to TRAIN_BATCH_AUTO_MIN that gives at
 * least TRAIN_BATCH_AUTO_STEPS steps, or the smallest when none does. Every value divides
 * TRAIN_BATCH_AUTO_MAX, so D rounded to whole steps of that batch is whole steps of each.
 * train_config.batch is TRAIN_BATCH_AUTO until a plan or `scalesweep train` resolves it.
 * TRAIN_BATCH_AUTO_RULE says the rule in words, for help and the dry run. */
#define TRAIN_BATCH_AUTO 0
#define TRAIN_BATCH_AUTO_MAX 16
#define TRAIN_BATCH_AUTO_MIN 4
#define TRAIN_BATCH_AUTO_STEPS 1500
#define TRAIN_BATCH_AUTO_RULE                                                                      \
    "the largest of " TRAIN_STRING(TRAIN_BATCH_AUTO_MAX) " halved down to " TRAIN_STRING(          \
        TRAIN_BATCH_AUTO_MIN) " giving " TRAIN_STRING(TRAIN_BATCH_AUTO_STEPS) " steps, "           \
                                                                              "else"               \
                                                                              " " TRAIN_STRING(TRAIN_BATCH_AUTO_MIN)
int train_batch_auto(int64_t tokens, int n_ctx);
/* Resolves a configuration's rules, for plans and `scalesweep train` alike: batch =
 * TRAIN_BATCH_AUTO by train_batch_auto from its tokens, then lr by rule from its N
 * (TRAIN_LR_FIXED keeps c->lr). Returns 0, or -1 with why in err when the rule's lr is not
 * positive for the shape (kaplan from N ~ 1.2e10). */
int train_resolve_rules(train_config *c, train_lr_rule rule, char *err, size_t errlen);
/* Whole steps of a run: D / (batch n_ctx) rounded to the nearest, at least one. */
int64_t train_total_steps(const train_config *c);
/* Its warmup: warmup_steps, or for -1 (auto) 5% of its steps, rounded. */
int64_t train_warmup_steps(const train_config *c);
/* NULL when the configuration can run on these corpora (data: n_sources of them; NULL: none
 * looked at), else what is wrong. */
const char *train_config_error(const train_config *c, const corpus *data);

/* Sets up a run on data (c->n_sources corpora) and initialises its weights from the seed.
 * Returns 0, or -1 with err. */
int train_run_init(train_run *run, const train_config *config, const corpus *data,
                   char *err, size_t errlen);
void train_run_free(train_run *run);
/* Floats a run of this configuration holds: the network of one shard with its evaluation
 * (net_count_floats) and the shard tree's partial sums. */
int64_t train_count_floats(const train_config *config);
/* From now on the run is trained by the members of group (NULL: by this process alone). The
 * group's size must be a width the batch allows (train_width_at_most). Every member must have
 * the same state: initialised from the same configuration, or loaded from one checkpoint. */
void train_run_join(train_run *run, train_group *group);
/* One optimiser step, plus an evaluation when one is due. Returns the status:
 * RUN_RUNNING while there is more to do. */
run_status train_run_step(train_run *run);
/* Held-out loss of the current weights (nats per token): the loss of each source on its fixed
 * slice (the mean of its windows' losses, in run->source_losses), and the return value the
 * mixture's shares of them, the loss on held-out text drawn as the training text is. The
 * windows of every source are shared among the group's members. */
double train_run_evaluate(train_run *run);
/* The first evaluation step after run->step. */
int64_t train_run_next_eval(const train_run *run);
/* Sets the window order of a source's current epoch: a shuffle seeded by (seed, source,
 * epoch); source 0's streams are those of a run on one corpus. */
void train_run_shuffle_epoch(train_run *run, int source);
/* Marks a running run as interrupted (a checkpoint lets it continue). */
void train_run_interrupt(train_run *run);
void train_run_result(const train_run *run, train_result *result);
float train_run_bits_per_byte(float nats);

/* Checkpoint of the whole state: configuration, weights, AdamW moments, step, data
 * position, loss tracking and curve. Written to path.tmp, synced, then renamed, so a
 * crash leaves either the old or the new checkpoint, never half of one. */
int train_checkpoint_save(const train_run *run, const char *path, char *err, size_t errlen);
/* The step a checkpoint was taken at, without loading it. Returns 0, or -1 if the file
 * is missing or not a checkpoint. */
int train_checkpoint_step(const char *path, int64_t *step);
/* Restores a run from a checkpoint on the same corpus; the run then continues and ends
 * with the same bits as one never stopped. expected (NULL: whatever the checkpoint holds)
 * is the run's configuration: a checkpoint whose own (resolved, seed included) differs in
 * any field is refused with err naming both shapes and seeds. */
int train_checkpoint_load(train_run *run, const char *path, const corpus *data,
                          const train_config *expected, char *err, size_t errlen);

#endif
