/* The results file's schema, declared once: the columns of /runs and /curves with their
 * types, units and meanings, the root attributes and the schema version. The store
 * (src/orchestrator/store.c) writes through it and the fit (src/fit/fit_results.c) reads
 * through it; docs/results.md documents the same for the file's readers.
 *
 *   /        root attributes RESULTS_ATTR_*
 *   /runs    one results_run row per run that ended (compound, chunked, extendible)
 *   /curves  every curve point of every run, one appended table of results_point rows; a
 *            run's rows are contiguous and /runs holds their offset and count. One table
 *            rather than a dataset per run because HDF5 1.10's SWMR mode cannot create
 *            datasets once writing has started.
 *   /sources one results_source row per source the runs are scored on (schema 6), written
 *            when the file is created; S rows (a plan without [data] sources: its corpus)
 *   /source_losses  S results_source_loss rows per run, in /sources order: row k S + j is
 *            source j of the run in row k of /runs
 *   /source_curves  S results_source_point rows per curve point: row r S + j is source j
 *            at the point in row r of /curves
 *   /position_losses  one results_position_row per run (schema 8): row k is the run of row k
 *            of /runs, its mean test loss at each token index of a window
 * The last two are appended before their run's row, so a run's rows stand where its row's
 * place in /runs and its curve's in /curves put them.
 *
 * A row is committed once its run id is written: rows past the last one with a run id
 * were extended but never written (a writer stopped between the two). */
#ifndef SCALESWEEP_RESULTS_SCHEMA_H
#define SCALESWEEP_RESULTS_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "results_hdf5.h"

/* Version 2 added /runs config_id; version 3 /runs ranks, when runs became wide and their
 * gradients summed shard by shard (so a run's bits differ from a version-2 file's); version 4
 * /runs blas_core and the root's BLAS attributes, when scalesweep began to choose OpenBLAS's
 * kernels; version 5 /runs eval_seconds, when evaluation moved to windows spread over the test
 * text on a log-spaced schedule (so the test losses of a version-4 file were measured on
 * other text); version 6 /runs mixture and the tables /sources, /source_losses and
 * /source_curves, when runs began to train on mixtures of sources and to be scored on each
 * (a file of version 5 or older has one source, its corpus, and no such tables); version 7
 * /runs cell_id, warmup_steps, weight_decay, beta2 and grad_clip, when hyperparameters became
 * axes of a sweep (an older file's runs are each their own cell); version 8 /runs architecture, when a sweep
 * could train LSTMs beside transformers (an older file's runs are transformers). Older files are read (for version 1 the fit takes each run's configuration from
 * the stored plan) but never appended to. */
#define RESULTS_SCHEMA_VERSION 8
#define RESULTS_OLDEST_READABLE_VERSION 1

/* Run ids and config ids: 16 lowercase hex digits and the terminator. */
#define RESULTS_ID_SIZE 17

/* The datasets and the root attributes. */
#define RESULTS_RUNS "runs"
#define RESULTS_CURVES "curves"
#define RESULTS_SOURCES "sources"
#define RESULTS_SOURCE_LOSSES "source_losses"
#define RESULTS_SOURCE_CURVES "source_curves"
#define RESULTS_POSITION_LOSSES "position_losses"
/* The most sources a file has (train.h's TRAIN_MAX_SOURCES). */
#define RESULTS_MAX_SOURCES 32
/* Room for a source's name and a mixture's text, terminator included (plan.h's sizes). */
#define RESULTS_SOURCE_SIZE 64
#define RESULTS_MIXTURE_SIZE 256
#define RESULTS_ATTR_SCHEMA_VERSION "schema_version"
#define RESULTS_ATTR_VERSION "scalesweep_version"
#define RESULTS_ATTR_PLAN_TEXT "plan_text"
#define RESULTS_ATTR_PLAN_HASH "plan_hash"
#define RESULTS_ATTR_COMMAND_LINE "command_line"
#define RESULTS_ATTR_CREATED "created"
/* Of rank 0 of the sweep that created the file (schema 4): OpenBLAS's core and configuration
 * string, and a measured single-thread 512^3 sgemm in GFLOP/s. */
#define RESULTS_ATTR_BLAS_CORE "blas_core"
#define RESULTS_ATTR_BLAS_CONFIG "blas_config"
#define RESULTS_ATTR_SGEMM_GFLOPS "sgemm_gflops"

/* Entries of a run's losses by position, and the entry of position t of n_ctx: t itself up to
 * RESULTS_POSITIONS positions, else floor(t RESULTS_POSITIONS / n_ctx) (equal bins). */
#define RESULTS_POSITIONS 256
int results_position_bin(int64_t t, int64_t n_ctx);
/* A run's n_ctx losses by position (NULL: none) into its entries, each the mean of its bin's;
 * NaN where there is none. */
void results_set_positions(float out[RESULTS_POSITIONS], const float *loss, int64_t n_ctx);

/* A row of /runs. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];    /* a stable hash of the run's configuration and seed */
    char config_id[RESULTS_ID_SIZE]; /* the same without the seed (schema 2) */
    char cell_id[RESULTS_ID_SIZE];   /* the same without the hyperparameter axes' keys
                                        either: the runs the fit's envelope chooses among
                                        (schema 7) */
    char architecture[16];           /* transformer or lstm (schema 8) */
    int32_t n_layer, d_model, n_head, n_ctx;
    int64_t n_params;       /* N, non-embedding */
    int64_t n_params_total; /* N_total */
    int64_t tokens;         /* D, tokens trained */
    int64_t unique_tokens;
    int64_t seed;
    float lr;
    int32_t batch; /* sequences per step */
    int64_t warmup_steps; /* steps of linear warmup, resolved (schema 7, as the three below) */
    float weight_decay;
    float beta2;
    float grad_clip;
    int64_t steps;
    double flops; /* C = 6ND */
    double flops_attention;
    float final_test_loss; /* nats/token */
    float best_test_loss;
    int64_t best_step;
    float train_loss;
    int32_t stopped_early;
    char status[16]; /* ok, diverged, failed, interrupted */
    char reason[160];
    double seconds;
    double eval_seconds; /* the part of seconds spent evaluating (schema 5) */
    double tokens_per_second;
    int32_t rank;  /* the first (leading) rank of those that trained it */
    int32_t ranks; /* how many trained it together: its width (schema 3) */
    char host[64];
    char blas_core[32];   /* the OpenBLAS core (kernels) of its leading rank (schema 4) */
    char mixture[RESULTS_MIXTURE_SIZE]; /* what it trained on: "press:0.5 + fiction:0.5", or
                                           a source alone by its name (schema 6) */
    int64_t curve_offset; /* first row of this run in /curves */
    int64_t curve_length;
    /* Not a column of /runs: carried with the row from the worker to the store, which
       writes it into the run's row of /position_losses (results_set_positions) */
    float position_loss[RESULTS_POSITIONS];
} results_run;

/* A row of /position_losses (schema 8). */
typedef struct {
    char run_id[RESULTS_ID_SIZE];
    float loss[RESULTS_POSITIONS]; /* the mean test loss at each token index at the run's
                                      last evaluation (results_position_bin); NaN past n_ctx,
                                      and for a run that has none */
} results_position_row;

/* A row of /curves: a run's curve point and the run it belongs to. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];
    int64_t step;
    int64_t tokens;
    double flops;
    float train_loss;
    float test_loss;
    float lr;
} results_point;

/* A row of /sources. */
typedef struct {
    char name[RESULTS_SOURCE_SIZE];
    char path[1024];     /* as the plan gave it (cut at 1023 bytes) */
    int64_t train_bytes; /* its training text */
    int64_t test_bytes;  /* its held-out text, which every evaluation scores */
} results_source;

/* A row of /source_losses: one source's held-out loss over one run. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];
    char source[RESULTS_SOURCE_SIZE];
    float final_loss;  /* at the run's last evaluation, nats/token */
    float best_loss;   /* the lowest of its evaluations */
    int64_t best_step; /* the step of best_loss */
} results_source_loss;

/* A row of /source_curves: one source's held-out loss at one curve point. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];
    char source[RESULTS_SOURCE_SIZE];
    int64_t step;
    int64_t tokens;
    double flops;
    float test_loss;
} results_source_point;

/* The columns, in file order, with their units and descriptions. */
extern const results_column results_run_columns[];
extern const size_t results_run_column_count;
extern const results_column results_point_columns[];
extern const size_t results_point_column_count;
extern const results_column results_source_columns[];
extern const size_t results_source_column_count;
extern const results_column results_source_loss_columns[];
extern const size_t results_source_loss_column_count;
extern const results_column results_source_point_columns[];
extern const size_t results_source_point_column_count;
extern const results_column results_position_columns[];
extern const size_t results_position_column_count;
/* What each table holds (its description attribute). */
extern const char results_runs_description[];
extern const char results_curves_description[];
extern const char results_sources_description[];
extern const char results_source_losses_description[];
extern const char results_source_curves_description[];
extern const char results_position_losses_description[];

/* Room for every column of a table. */
#define RESULTS_MAX_COLUMNS 40

/* The columns of /runs that a file of schema `version` has (version 1: no config_id),
 * copied into out (room for RESULTS_MAX_COLUMNS); returns their count. */
size_t results_run_columns_of(int version, results_column *out);

/* Whether a file of schema `version` has that column of /runs (config_id came with 2). */
int results_version_has(int version, const char *column);

/* Rows before the first uncommitted one: the last row with a run id ends the table. For
 * rows of any struct that holds the run id (row_size bytes each, the id at run_id_offset):
 *   results_committed_rows(runs, sizeof *runs, offsetof(results_run, run_id), n) */
int64_t results_committed_rows(const void *rows, size_t row_size, size_t run_id_offset, int64_t n);

/* A file's /sources (schema 6), whole, into a calloc'd *sources, its strings terminated:
 * 0, or -1 with err (no table, a damaged one, or not 1 to RESULTS_MAX_SOURCES rows). */
int results_read_sources(hid_t file, results_source **sources, int *n, const char *program,
                         const char *path, char *err, size_t errlen);

/* Whether text is exactly 16 lowercase hex digits (what the plan writes); 0 with *value
 * set, or -1. */
int results_parse_id(const char *text, uint64_t *value);

#endif
