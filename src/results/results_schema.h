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
 * other text). Older files are read (for version 1 the fit takes each run's configuration from
 * the stored plan) but never appended to. */
#define RESULTS_SCHEMA_VERSION 5
#define RESULTS_OLDEST_READABLE_VERSION 1

/* Run ids and config ids: 16 lowercase hex digits and the terminator. */
#define RESULTS_ID_SIZE 17

/* The datasets and the root attributes. */
#define RESULTS_RUNS "runs"
#define RESULTS_CURVES "curves"
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

/* A row of /runs. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];    /* a stable hash of the run's configuration and seed */
    char config_id[RESULTS_ID_SIZE]; /* the same without the seed (schema 2) */
    int32_t n_layer, d_model, n_head, n_ctx;
    int64_t n_params;       /* N, non-embedding */
    int64_t n_params_total; /* N_total */
    int64_t tokens;         /* D, tokens trained */
    int64_t unique_tokens;
    int64_t seed;
    float lr;
    int32_t batch; /* sequences per step */
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
    int64_t curve_offset; /* first row of this run in /curves */
    int64_t curve_length;
} results_run;

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

/* The columns, in file order, with their units and descriptions. */
extern const results_column results_run_columns[];
extern const size_t results_run_column_count;
extern const results_column results_point_columns[];
extern const size_t results_point_column_count;
/* What each table holds (its description attribute). */
extern const char results_runs_description[];
extern const char results_curves_description[];

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

/* Whether text is exactly 16 lowercase hex digits (what the plan writes); 0 with *value
 * set, or -1. */
int results_parse_id(const char *text, uint64_t *value);

#endif
