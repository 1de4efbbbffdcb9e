/* plan.ini: parsed with inih, validated, and expanded into the runs of a sweep; the one
 * reader of plans, for the sweep (every rank parses the same text) and for `scalesweep fit`
 * (the plan stored in a results file). Every error is one line
 * "FILE:LINE: [section] key: what is wrong" (LINE 0 when it concerns the file as a whole),
 * and no rank trains until the whole plan is valid. docs/plan.md documents every key.
 *
 * The parts, one job per file: plan.c (these entry points and names), plan_keys.c (the key
 * table and typed reading over inih), plan_sections.c (what each section means),
 * plan_shapes.c (shapes from a target N), plan_expand.c (runs, their ids, Kaplan's LR(N),
 * duplicates), plan_environment.c (what lies outside the text) and plan_table.c (the dry
 * run's table). */
#ifndef SCALESWEEP_PLAN_H
#define SCALESWEEP_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "train.h"

typedef enum { PLAN_GRID, PLAN_ISOFLOP, PLAN_LIST } plan_mode;
#define PLAN_MODE_COUNT 3
typedef enum { TRAINER_TRANSFORMER, TRAINER_SYNTHETIC } plan_trainer;
#define PLAN_TRAINER_COUNT 2

/* The [train] keys that a list makes axes of the sweep (docs/plan.md, Hyperparameter axes):
 * the runs of one cell (the same configuration but for these) differ only in them, and the
 * fit's envelope takes each cell's best. In the order of the product. */
typedef enum {
    PLAN_HYPER_LR,
    PLAN_HYPER_BATCH,
    PLAN_HYPER_WARMUP_STEPS,
    PLAN_HYPER_WEIGHT_DECAY,
    PLAN_HYPER_BETA2,
    PLAN_HYPER_GRAD_CLIP
} plan_hyper;
#define PLAN_HYPER_COUNT 6
/* The most values one axis may take. */
#define PLAN_MAX_AXIS_VALUES 32

/* The laws [fit] can ask for, as bits of plan.laws; `scalesweep fit --laws` takes the same
 * names (src/fit/fit_results.h maps each to the laws it fits). */
typedef enum {
    PLAN_LAW_N = 1 << 0,          /* L(N) */
    PLAN_LAW_D = 1 << 1,          /* L(D) */
    PLAN_LAW_C = 1 << 2,          /* L(C), the frontier of the training curves */
    PLAN_LAW_KAPLAN = 1 << 3,     /* Kaplan's joint L(N, D) */
    PLAN_LAW_CHINCHILLA = 1 << 4, /* Chinchilla's E + A/N^alpha + B/D^beta */
    PLAN_LAW_ISOFLOP = 1 << 5,    /* IsoFLOP parabolas and their minima */
    PLAN_LAW_SHAPE = 1 << 6       /* depth against width at equal N (with L(N)) */
} plan_law;
#define PLAN_LAWS_ALL 0x7f
#define PLAN_LAW_COUNT 7

/* Room for the line of every key of the plan (plan.key_lines); plan_keys.c has the keys. */
#define PLAN_MAX_KEYS 64
/* Seeds of runs and of the bootstrap: 0 to 1e15. */
#define PLAN_MAX_SEED 1000000000000000LL
/* [fit]: its defaults and bounds, which `scalesweep fit` also applies without a plan. */
#define PLAN_FIT_BOOTSTRAP 1000
#define PLAN_FIT_MAX_BOOTSTRAP 10000000
#define PLAN_FIT_SEED 1

/* A plan expands into at most this many runs (every rank holds them all: ~13 MB). */
#define PLAN_MAX_RUNS 100000

/* A source of the plan's runs ([data] sources; without them, [data] corpus itself). */
#define PLAN_SOURCE_NAME_SIZE 64
typedef struct {
    char name[PLAN_SOURCE_NAME_SIZE]; /* letters, digits, '_', '-', '.': what mixtures, the
                                         results file and `fit --source` call it */
    char path[4096];                  /* its folder (train.txt, test.txt) or text file */
    int line;                         /* the [data] sources line naming it; 0: the corpus */
} plan_source;

/* A mixture of sources ([data] mixtures): the share of the training sequences each gives. */
#define PLAN_MIXTURE_TEXT_SIZE 256
typedef struct {
    char text[PLAN_MIXTURE_TEXT_SIZE]; /* as /runs mixture has it: "press:0.5 + fiction:0.5",
                                          the sources as written, shares summing to 1; a
                                          source alone is its name */
    double share[TRAIN_MAX_SOURCES];   /* of each source, in sources order */
    int line;                          /* the [data] mixtures line; 0: the default */
} plan_mixture;

/* One run of the sweep: everything a worker needs, and its identity. */
typedef struct {
    char run_id[17];     /* 16 hex digits: a stable hash of the run's configuration
                            (shape, batch, tokens, unique tokens, every optimiser and
                            evaluation setting, seed, trainer, corpus path) */
    char config_id[17];  /* the same hash without the seed: equal for the seeds of one
                            configuration, which the fit groups by */
    char cell_id[17];    /* the same hash without the hyperparameter axes' keys either
                            (plan_hyper): equal for the runs the fit's envelope chooses
                            among */
    train_lr_rule lr_rule; /* how its lr was chosen */
    int batch_auto;        /* whether its batch came from batch = auto (train_batch_auto) */
    train_config config; /* the worker's configuration, fully resolved (lr = auto done) */
    double cost;         /* C = 6 N D in FLOPs, the scheduling weight */
    int mixture;         /* its mixture: an index of plan.mixtures */
    int line;            /* the plan line whose value set this run's D: an item of [train]
                            tokens, unique_tokens, compute or runs (environment errors) */
} plan_run;

typedef struct {
    char path[4096];      /* the plan file as given */
    char *text;           /* its whole text, as stored in the results file */
    uint64_t hash;        /* FNV-1a (mixed) of the run ids in order: "same plan" for resume */
    char name[256];       /* [sweep] name */
    char output[4096];    /* [sweep] output, the HDF5 results file */
    plan_mode mode;
    plan_trainer trainer;
    /* [model] architecture: the architectures its runs have, bits 1 << MODEL_TRANSFORMER and
     * 1 << MODEL_LSTM (model.h), in the order the list gives them (architecture_order) */
    unsigned architectures;
    int architecture_order[MODEL_ARCHITECTURES];
    int n_architectures;
    char corpus[4096];    /* [data] corpus */
    plan_source *sources; /* (n_sources) what every run is scored on, in order: [data]
                             sources, or the corpus alone (named after its file) */
    int n_sources;
    int named_sources;      /* [data] sources is set (run ids then name the sources) */
    plan_mixture *mixtures; /* (n_mixtures) [data] mixtures, or the one source alone */
    int n_mixtures;
    double test_fraction; /* [data] test_fraction */
    int allow_epochs;     /* [data] allow_epochs */
    int64_t checkpoint_seconds; /* [train] checkpoint_seconds (issue 5) */
    /* How wide a run may be (docs/plan.md, Wide runs): at most max_ranks_per_run ranks (0:
     * as many as its batch allows), each taking at least min_batch_per_rank sequences. */
    int max_ranks_per_run;
    int min_batch_per_rank;
    /* [sweep] progress_seconds: rank 0's progress line (and its sidecar file) at most this
     * often while runs train; 0: only when a run ends */
    int64_t progress_seconds;
    /* [sweep] report: write the report (src/report) beside the output when the sweep
     * completes and its laws are fitted */
    int report;
    /* [synthetic] the stand-in's time model (synthetic.h); flops_per_second 0: no waiting */
    double synthetic_flops_per_second;
    double synthetic_step_seconds;
    double synthetic_width_efficiency;
    /* [synthetic] the stand-in's response to lr and batch (synthetic.h); 0: none */
    double synthetic_lr_optimum;
    double synthetic_batch_optimum;
    /* [fit] */
    int64_t bootstrap;
    uint64_t fit_seed;
    unsigned laws;        /* [fit] laws: PLAN_LAW_* bits */
    int frontier;         /* [fit] frontier: a plan_frontier */
    plan_run *runs;       /* in the order of expansion */
    int64_t *by_run_id;   /* (n_runs) indices of runs in the order of their ids */
    int64_t n_runs;
    uint64_t *seeds;      /* [sweep] seeds or seed_list, in order */
    int64_t n_seeds;
    int hyper_values[PLAN_HYPER_COUNT]; /* how many values each plan_hyper key takes: 1, or
                                           more for an axis */
    int64_t max_epochs;   /* [train] max_epochs (data-limited runs) */
    char *notes;          /* what expansion left out and why, one line each; NULL if nothing */
    int key_lines[PLAN_MAX_KEYS]; /* line of each key in the file, 0 when not set;
                                     read it with plan_key_line */
} plan;

/* Parses and validates plan text (path is used in messages and for the default name;
 * relative paths in the plan are relative to the current directory), and expands the
 * runs. Touches no file, so every rank can parse the same text. Returns 0, or -1 with
 * one "FILE:LINE: ..." line in err and *p left empty. */
int plan_parse(plan *p, const char *path, const char *text, char *err, size_t errlen);
/* Reads the file and calls plan_parse. */
int plan_load(plan *p, const char *path, char *err, size_t errlen);
/* Checks what lies outside the text: the corpus can be read, D fits in it (unless
 * allow_epochs), the output can be written. Rank 0 calls this before any rank trains.
 * The corpus is not looked at for trainer = synthetic; the output is only stat'ed and
 * access'ed, never created or modified. Returns 0, or -1 with one "FILE:LINE: " line. */
int plan_check_environment(const plan *p, char *err, size_t errlen);
/* The training and held-out bytes of source i, as the worker splits them. 0, or -1 with the
 * error plan_check_environment would give. */
int plan_source_sizes(const plan *p, int i, int64_t *train_size, int64_t *test_size, char *err,
                      size_t errlen);
void plan_free(plan *p);
/* The index of the run with this id, or -1. */
int64_t plan_find_run(const plan *p, const char *run_id);
/* `scalesweep plan.ini --dry-run`: every run with N, D, C and its share of the total. */
void plan_print_runs(const plan *p, FILE *out);

/* The line of [section] key in the plan file; 0 if the plan does not set it. */
int plan_key_line(const plan *p, const char *section, const char *key);
/* Names as written in plans: "grid", "transformer", "kaplan", ... */
const char *plan_mode_name(plan_mode mode);
const char *plan_trainer_name(plan_trainer trainer);
/* [fit] frontier: where the L(C) frontier is read (docs/fit.md). ends: the runs' final
 * (C, L), each at the end of its schedule; curves: every evaluation along the training
 * curves (Kaplan's frontier), which a cosine schedule's mid-run losses lie above. */
typedef enum { PLAN_FRONTIER_ENDS, PLAN_FRONTIER_CURVES, PLAN_FRONTIERS } plan_frontier;
extern const char *const plan_frontier_names[PLAN_FRONTIERS];
/* The [train] key of a plan_hyper ("lr", "batch", ...). */
const char *plan_hyper_name(plan_hyper h);
/* A run's value of a plan_hyper key, as a number (warmup_steps: -1 for auto). */
double plan_hyper_value(const train_config *c, plan_hyper h);
/* The index of the source of that name, or -1. */
int plan_find_source(const plan *p, const char *name);
/* Whether a trainer trains on [data] corpus (the stand-in reads no text, so its plans run
 * anywhere). */
int plan_trainer_reads_corpus(plan_trainer trainer);
const char *plan_law_name(plan_law law);
/* The law bit of a name as [fit] laws writes it (n, d, c, kaplan, chinchilla, isoflop, in
 * any case), PLAN_LAWS_ALL for "all", or 0 for anything else. */
unsigned plan_law_from_name(const char *name);
/* "n, d, c, kaplan, chinchilla, isoflop", for messages. */
void plan_law_names(char *out, size_t size);

#endif
