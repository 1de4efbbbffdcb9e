/* The HDF5 results file, schema version 1. Rank 0 is its only writer.
 *
 * /runs    one row per run that ended: a compound, chunked, extendible dataset
 * /curves  every curve point of every run, one appended compound table (run_id, step,
 *          tokens, flops, train_loss, test_loss, lr); a run's rows are contiguous and
 *          /runs holds their offset and count. One table rather than a dataset per run,
 *          because HDF5 1.10's SWMR mode cannot create datasets once writing starts.
 * root attributes: schema_version, scalesweep_version, plan_text, plan_hash,
 *          command_line, created (ISO 8601 UTC)
 *
 * A run's curve is appended and flushed first, then its row, then flushed again: the
 * row is the commit record, so a crash never leaves a row without its curve, and a
 * curve without a row is ignored (and overwritten on resume).
 *
 * While a store is open, PATH.lock beside the file holds an flock: a second writer is
 * refused, and a writer that died leaves no lock, so its file is recovered on the next
 * open. docs/results.md documents the file for its readers. */
#ifndef SCALESWEEP_STORE_H
#define SCALESWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "train.h"

#define STORE_SCHEMA_VERSION 1

typedef struct {
    char run_id[17];           /* 16 lowercase hex digits */
    int32_t n_layer, d_model, n_head, n_ctx;
    int64_t n_params;          /* N, non-embedding */
    int64_t n_params_total;    /* N_total */
    int64_t tokens;            /* D, tokens trained */
    int64_t unique_tokens;
    int64_t seed;
    float lr;
    int32_t batch;             /* sequences per step */
    int64_t steps;
    double flops;              /* C = 6ND */
    double flops_attention;
    float final_test_loss;     /* nats/token */
    float best_test_loss;
    int64_t best_step;
    float train_loss;
    int32_t stopped_early;
    char status[16];           /* ok, diverged, failed, interrupted */
    char reason[160];
    double seconds;
    double tokens_per_second;
    int32_t rank;
    char host[64];
    int64_t curve_offset;      /* first row of this run in /curves */
    int64_t curve_length;
} store_row;

typedef struct store store;

/* Creates the file, or opens an existing one to resume. An existing file whose
 * plan_hash differs is refused (err names both hashes) unless force is set, which
 * records the new plan's text, hash and command line in the file. A file left open by
 * a writer that died is recovered with every committed row. Starts SWMR writing.
 * Returns NULL with err on failure; a refused file is left byte for byte as it was.
 * Turns HDF5's automatic error printing off: the store reports errors itself. */
store *store_open(const char *path, const char *plan_text, uint64_t plan_hash,
                  const char *command_line, const char *version, int force,
                  char *err, size_t errlen);
/* Number of rows in /runs, and whether a run id is among them. */
int64_t store_count(const store *s);
int store_has_run(const store *s, const char *run_id);
/* Appends the curve, flushes, appends the row (filling curve_offset and curve_length,
 * also in *row), flushes. A run id already in the file, or not 16 lowercase hex digits,
 * is refused. Returns 0 or -1 with err (and HDF5's error stack on stderr). */
int store_append(store *s, store_row *row, const curve_point *points, int64_t n_points,
                 char *err, size_t errlen);
void store_close(store *s);

#endif
