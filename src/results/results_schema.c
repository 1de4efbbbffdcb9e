#include "results_schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

/* A column named after its field, with the units and description the file carries. */
/* clang-format off */
#define COLUMN(type, field, kind, unit, description) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field), kind, unit, description }
/* clang-format on */

const results_column results_run_columns[] = {
    COLUMN(results_run, run_id, RESULTS_STRING, "",
           "16 hex digits: stable hash of the run's configuration and seed"),
    COLUMN(results_run, config_id, RESULTS_STRING, "",
           "16 hex digits: the same without the seed; the seeds of one configuration share it"),
    COLUMN(results_run, cell_id, RESULTS_STRING, "",
           "16 hex digits: the same without lr, batch, warmup_steps, weight_decay, beta2 and "
           "grad_clip; the fit takes the best configuration of each cell"),
    COLUMN(results_run, architecture, RESULTS_STRING, "", "transformer or lstm"),
    COLUMN(results_run, n_layer, RESULTS_INT32, "layers", "transformer blocks or LSTM layers"),
    COLUMN(results_run, d_model, RESULTS_INT32, "channels",
           "width: the residual stream, or the LSTM's hidden and cell state"),
    COLUMN(results_run, n_head, RESULTS_INT32, "heads", "attention heads; 0 for an LSTM"),
    COLUMN(results_run, n_ctx, RESULTS_INT32, "tokens", "context length"),
    COLUMN(results_run, n_params, RESULTS_INT64, "parameters", "N, non-embedding parameters"),
    COLUMN(results_run, n_params_total, RESULTS_INT64, "parameters",
           "N_total, with token and position embeddings"),
    COLUMN(results_run, tokens, RESULTS_INT64, "tokens", "D, tokens trained on"),
    COLUMN(results_run, unique_tokens, RESULTS_INT64, "tokens", "distinct training tokens among D"),
    COLUMN(results_run, seed, RESULTS_INT64, "", "seed of weights and data order"),
    COLUMN(results_run, lr, RESULTS_FLOAT32, "", "peak learning rate"),
    COLUMN(results_run, batch, RESULTS_INT32, "sequences",
           "sequences per step; tokens per step = batch * n_ctx"),
    COLUMN(results_run, warmup_steps, RESULTS_INT64, "steps", "steps of linear warmup"),
    COLUMN(results_run, weight_decay, RESULTS_FLOAT32, "", "AdamW decoupled weight decay"),
    COLUMN(results_run, beta2, RESULTS_FLOAT32, "", "AdamW second-moment decay"),
    COLUMN(results_run, grad_clip, RESULTS_FLOAT32, "", "global gradient-norm clip; 0 = off"),
    COLUMN(results_run, steps, RESULTS_INT64, "steps", "optimiser steps taken"),
    COLUMN(results_run, flops, RESULTS_FLOAT64, "FLOP", "C = 6 N D"),
    COLUMN(results_run, flops_attention, RESULTS_FLOAT64, "FLOP",
           "C with attention: (6 N + 6 n_layer n_ctx d_model) D; an LSTM's is its C"),
    COLUMN(results_run, final_test_loss, RESULTS_FLOAT32, "nats/token",
           "held-out loss at the last evaluation"),
    COLUMN(results_run, best_test_loss, RESULTS_FLOAT32, "nats/token",
           "lowest held-out loss of the run"),
    COLUMN(results_run, best_step, RESULTS_INT64, "steps", "step of best_test_loss"),
    COLUMN(results_run, train_loss, RESULTS_FLOAT32, "nats/token",
           "mean training loss since the previous evaluation"),
    COLUMN(results_run, stopped_early, RESULTS_INT32, "",
           "1 if early stopping ended the run, else 0"),
    COLUMN(results_run, status, RESULTS_STRING, "", "ok, diverged, failed or interrupted"),
    COLUMN(results_run, reason, RESULTS_STRING, "", "why a run diverged or failed; empty when ok"),
    COLUMN(results_run, seconds, RESULTS_FLOAT64, "s", "training wall time, evaluation included"),
    COLUMN(results_run, eval_seconds, RESULTS_FLOAT64, "s",
           "the part of seconds spent evaluating on held-out text"),
    COLUMN(results_run, tokens_per_second, RESULTS_FLOAT64, "tokens/s", "training throughput"),
    COLUMN(results_run, rank, RESULTS_INT32, "",
           "MPI rank that trained the run (the first of its ranks)"),
    COLUMN(results_run, ranks, RESULTS_INT32, "", "ranks that trained the run together, its width"),
    COLUMN(results_run, host, RESULTS_STRING, "", "host name of that rank"),
    COLUMN(results_run, blas_core, RESULTS_STRING, "", "OpenBLAS core (kernels) of that rank"),
    COLUMN(results_run, mixture, RESULTS_STRING, "",
           "what it trained on: source:share terms joined by +, or one source by its name"),
    COLUMN(results_run, curve_offset, RESULTS_INT64, "rows", "first row of this run in /curves"),
    COLUMN(results_run, curve_length, RESULTS_INT64, "rows",
           "number of rows of this run in /curves"),
};
const size_t results_run_column_count = sizeof results_run_columns / sizeof *results_run_columns;

const results_column results_point_columns[] = {
    COLUMN(results_point, run_id, RESULTS_STRING, "", "run this point belongs to"),
    COLUMN(results_point, step, RESULTS_INT64, "steps", "optimiser steps done"),
    COLUMN(results_point, tokens, RESULTS_INT64, "tokens",
           "tokens trained on so far = step * batch * n_ctx"),
    COLUMN(results_point, flops, RESULTS_FLOAT64, "FLOP", "6 N tokens"),
    COLUMN(results_point, train_loss, RESULTS_FLOAT32, "nats/token",
           "mean training loss since the previous point"),
    COLUMN(results_point, test_loss, RESULTS_FLOAT32, "nats/token", "held-out loss"),
    COLUMN(results_point, lr, RESULTS_FLOAT32, "", "learning rate of the last step"),
};
const size_t results_point_column_count =
    sizeof results_point_columns / sizeof *results_point_columns;

const results_column results_source_columns[] = {
    COLUMN(results_source, name, RESULTS_STRING, "", "the source's name, as plans call it"),
    COLUMN(results_source, path, RESULTS_STRING, "",
           "its folder or text file, as the plan gave it"),
    COLUMN(results_source, train_bytes, RESULTS_INT64, "bytes", "its training text"),
    COLUMN(results_source, test_bytes, RESULTS_INT64, "bytes",
           "its held-out text, scored at every evaluation and never trained on"),
};
const size_t results_source_column_count =
    sizeof results_source_columns / sizeof *results_source_columns;

const results_column results_source_loss_columns[] = {
    COLUMN(results_source_loss, run_id, RESULTS_STRING, "", "the run"),
    COLUMN(results_source_loss, source, RESULTS_STRING, "", "the source (a row of /sources)"),
    COLUMN(results_source_loss, final_loss, RESULTS_FLOAT32, "nats/token",
           "held-out loss on the source at the run's last evaluation"),
    COLUMN(results_source_loss, best_loss, RESULTS_FLOAT32, "nats/token",
           "the lowest held-out loss on the source over the run's evaluations"),
    COLUMN(results_source_loss, best_step, RESULTS_INT64, "steps", "step of best_loss"),
};
const size_t results_source_loss_column_count =
    sizeof results_source_loss_columns / sizeof *results_source_loss_columns;

const results_column results_source_point_columns[] = {
    COLUMN(results_source_point, run_id, RESULTS_STRING, "", "the run"),
    COLUMN(results_source_point, source, RESULTS_STRING, "", "the source (a row of /sources)"),
    COLUMN(results_source_point, step, RESULTS_INT64, "steps", "optimiser steps done"),
    COLUMN(results_source_point, tokens, RESULTS_INT64, "tokens", "tokens trained on so far"),
    COLUMN(results_source_point, flops, RESULTS_FLOAT64, "FLOP", "6 N tokens"),
    COLUMN(results_source_point, test_loss, RESULTS_FLOAT32, "nats/token",
           "held-out loss on the source"),
};
const size_t results_source_point_column_count =
    sizeof results_source_point_columns / sizeof *results_source_point_columns;

_Static_assert(sizeof results_run_columns / sizeof *results_run_columns <= RESULTS_MAX_COLUMNS,
               "RESULTS_MAX_COLUMNS has no room for /runs");

const char results_runs_description[] =
    "one row per run that ended; its curve is /curves[curve_offset : curve_offset + "
    "curve_length]";
const char results_curves_description[] =
    "every evaluation of every run; a run's rows are contiguous and in step order";
const char results_sources_description[] =
    "the sources every run is scored on at each evaluation, in order (S rows)";
const char results_source_losses_description[] =
    "S rows per run, in /sources order: row k*S + j is source j of the run in row k of /runs";
const results_column results_position_columns[] = {
    COLUMN(results_position_row, run_id, RESULTS_STRING, "", "the run"),
    COLUMN(results_position_row, loss, RESULTS_FLOAT32_ARRAY, "nats/token",
           "mean test loss at each token index of a window, at the run's last evaluation; "
           "with n_ctx above 256, the mean over equal bins of indexes; NaN past n_ctx"),
};
const size_t results_position_column_count =
    sizeof results_position_columns / sizeof *results_position_columns;

const char results_position_losses_description[] =
    "one row per run, row k the run of row k of /runs: its mean test loss at each token index "
    "(256 entries)";
const char results_source_curves_description[] =
    "S rows per curve point, in /sources order: row r*S + j is source j at the point in row r "
    "of /curves";

/* Columns a schema version added: files older than that lack them. */
static const struct {
    const char *column;
    int version;
} added_in[] = {{"config_id", 2}, {"ranks", 3},     {"blas_core", 4},    {"eval_seconds", 5},
                {"mixture", 6},   {"cell_id", 7},   {"warmup_steps", 7}, {"weight_decay", 7},
                {"beta2", 7},     {"grad_clip", 7}, {"architecture", 8}};

int results_position_bin(int64_t t, int64_t n_ctx)
{
    return n_ctx <= RESULTS_POSITIONS ? (int)t : (int)(t * RESULTS_POSITIONS / n_ctx);
}

void results_set_positions(float out[RESULTS_POSITIONS], const float *loss, int64_t n_ctx)
{
    double sum[RESULTS_POSITIONS] = {0};
    int64_t count[RESULTS_POSITIONS] = {0};
    for (int64_t t = 0; loss && t < n_ctx; t++) {
        const int b = results_position_bin(t, n_ctx);
        sum[b] += loss[t];
        count[b]++;
    }
    for (int b = 0; b < RESULTS_POSITIONS; b++)
        out[b] = count[b] > 0 ? (float)(sum[b] / (double)count[b]) : NAN;
}

int results_version_has(int version, const char *column)
{
    for (size_t a = 0; a < sizeof added_in / sizeof *added_in; a++)
        if (strcmp(column, added_in[a].column) == 0)
            return version >= added_in[a].version;
    return 1;
}

size_t results_run_columns_of(int version, results_column *out)
{
    size_t n = 0;
    for (size_t i = 0; i < results_run_column_count; i++)
        if (results_version_has(version, results_run_columns[i].name))
            out[n++] = results_run_columns[i];
    return n;
}

int64_t results_committed_rows(const void *rows, size_t row_size, size_t run_id_offset, int64_t n)
{
    const char *bytes = rows;
    while (n > 0 && bytes[(size_t)(n - 1) * row_size + run_id_offset] == '\0')
        n--;
    return n;
}

int results_read_sources(hid_t file, results_source **sources, int *n, const char *program,
                         const char *path, char *err, size_t errlen)
{
    void *rows;
    const int64_t count = results_read_table(file, RESULTS_SOURCES, results_source_columns,
                                             results_source_column_count, sizeof(results_source),
                                             -1, &rows, program, path, err, errlen);
    *sources = NULL;
    *n = 0;
    if (count < 0)
        return -1;
    if (count < 1 || count > RESULTS_MAX_SOURCES) {
        message_format(err, errlen, "%s: /sources has %lld rows, not 1 to %d", path,
                       (long long)count, RESULTS_MAX_SOURCES);
        free(rows);
        return -1;
    }
    *sources = rows;
    *n = (int)count;
    for (int j = 0; j < *n; j++) {
        results_source *s = &(*sources)[j];
        s->name[sizeof s->name - 1] = s->path[sizeof s->path - 1] = '\0';
    }
    return 0;
}

int results_parse_id(const char *text, uint64_t *value)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = text[i];
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            return -1;
        v = (v << 4) | (uint64_t)digit;
    }
    if (text[16] != '\0')
        return -1;
    *value = v;
    return 0;
}
