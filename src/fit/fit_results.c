/* The fit stage's side of the results file: /runs and /curves in, /fits out.
 *
 * Reading is what any reader does (docs/results.md): SWMR read, rows by column name into
 * the schema's rows (results_schema.h; HDF5 converts a compound member by member), only
 * the committed rows and the curve slices they point at. Which of those feed which law is
 * not decided here but in fit_observations.c. Writing happens once everything is computed:
 * it takes the writer's lock, builds the new group beside the old one, and only then swaps
 * them, so a failure leaves the old /fits (or none) and never touches /runs or /curves.
 * The layout of /fits is documented in docs/fit.md. */
#include "fit_results.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "fit_internal.h"
#include "results_hdf5.h"

/* The group is built under this name, then renamed to /fits. */
#define RESULTS_NEW_GROUP "fits_new"

/* ---- errors ---- */

/* Every HDF5 call goes through this; expects path, err, errlen and a fail label. */
#define RESULTS_CHECK(call) RESULTS_HDF5_CHECK(FIT_PROGRAM, call, #call)

#define RESULTS_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- reading ---- */

/* Schema 6's /sources, and the rows of /source_losses and /source_curves of the committed
 * runs and their points. */
static int read_sources(hid_t file, fit_results *r, const char *path, char *err, size_t errlen)
{
    void *rows;
    if (results_read_sources(file, &r->sources, &r->n_sources, FIT_PROGRAM, path, err, errlen) < 0)
        return -1;
    const int64_t n = r->n_sources;
    if (results_read_table(file, RESULTS_SOURCE_LOSSES, results_source_loss_columns,
                           results_source_loss_column_count, sizeof(results_source_loss),
                           r->n_runs * n, &rows, FIT_PROGRAM, path, err, errlen) < 0)
        return -1;
    r->source_losses = rows;
    if (results_read_table(file, RESULTS_SOURCE_CURVES, results_source_point_columns,
                           results_source_point_column_count, sizeof(results_source_point),
                           r->n_points * n, &rows, FIT_PROGRAM, path, err, errlen) < 0)
        return -1;
    r->source_points = rows;
    return 0;
}

/* Schema 8's /position_losses into each committed run's position_loss (row k the run of row
 * k of /runs); an older file's runs have NaN there. */
static int read_positions(hid_t file, fit_results *r, const char *path, char *err, size_t errlen)
{
    for (int64_t i = 0; i < r->n_runs; i++)
        results_set_positions(r->runs[i].position_loss, NULL, 0);
    if (r->schema < 8 || r->n_runs == 0)
        return 0;
    void *read;
    if (results_read_table(file, RESULTS_POSITION_LOSSES, results_position_columns,
                           results_position_column_count, sizeof(results_position_row), r->n_runs,
                           &read, FIT_PROGRAM, path, err, errlen) < 0)
        return -1;
    results_position_row *rows = read;
    for (int64_t i = 0; i < r->n_runs; i++) {
        rows[i].run_id[sizeof rows[i].run_id - 1] = '\0';
        if (strcmp(rows[i].run_id, r->runs[i].run_id) != 0) {
            message_format(err, errlen,
                           "%s: row %" PRId64 " of /position_losses is of run '%s', not of "
                           "run %s of that row of /runs",
                           path, i, rows[i].run_id, r->runs[i].run_id);
            results_damage_advice(err, errlen, path);
            free(rows);
            return -1;
        }
        memcpy(r->runs[i].position_loss, rows[i].loss, sizeof rows[i].loss);
    }
    free(rows);
    return 0;
}

int fit_results_read(const char *path, fit_results *results, char *err, size_t errlen)
{
    hid_t file = H5I_INVALID_HID, runs = H5I_INVALID_HID, curves = H5I_INVALID_HID;
    results_column run_columns[RESULTS_MAX_COLUMNS];
    memset(results, 0, sizeof(*results));

    const unsigned long failures = results_hdf5_failures();
    /* errors are reported here, once */
    RESULTS_CHECK(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    /* SWMR read: a sweep may be writing the file; on a finished file it costs nothing */
    results_file_state state;
    file = results_open_readable(path, 0,
                                 " (a scalesweep results file is; for a CSV of results use --csv)",
                                 &state, FIT_PROGRAM, err, errlen);
    if (file < 0)
        goto fail;
    if (results_schema_version(file, &results->schema, FIT_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if (results->schema < RESULTS_OLDEST_READABLE_VERSION ||
        results->schema > RESULTS_SCHEMA_VERSION) {
        message_format(err, errlen,
                       "%s: results schema version %d; this scalesweep reads "
                       "versions %d to %d",
                       path, results->schema, RESULTS_OLDEST_READABLE_VERSION,
                       RESULTS_SCHEMA_VERSION);
        goto fail;
    }
    if (results_read_text(file, RESULTS_ATTR_PLAN_TEXT, &results->plan_text, FIT_PROGRAM, path, err,
                          errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_VERSION, &results->version, FIT_PROGRAM, path, err,
                          errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_COMMAND_LINE, &results->command_line, FIT_PROGRAM,
                          path, err, errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_CREATED, &results->created, FIT_PROGRAM, path, err,
                          errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_BLAS_CORE, &results->blas_core, FIT_PROGRAM, path, err,
                          errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_BLAS_CONFIG, &results->blas_config, FIT_PROGRAM, path,
                          err, errlen) < 0)
        goto fail;
    results->sgemm_gflops = NAN;
    if (H5Aexists(file, RESULTS_ATTR_SGEMM_GFLOPS) > 0) {
        hid_t attribute = H5Aopen(file, RESULTS_ATTR_SGEMM_GFLOPS, H5P_DEFAULT);
        if (attribute < 0 || H5Aread(attribute, H5T_NATIVE_DOUBLE, &results->sgemm_gflops) < 0)
            results->sgemm_gflops = NAN;
        if (attribute >= 0)
            H5Aclose(attribute);
    }

    /* the columns this file's schema has (version 1: no config_id) */
    const size_t n_run_columns = results_run_columns_of(results->schema, run_columns);
    int64_t n_rows, n_points;
    /* (results_open_table says itself what is wrong) */
    if ((runs = results_open_table(file, RESULTS_RUNS, H5P_DEFAULT, run_columns, n_run_columns,
                                   FIT_PROGRAM, path, err, errlen)) < 0 ||
        (curves = results_open_table(file, RESULTS_CURVES, H5P_DEFAULT, results_point_columns,
                                     results_point_column_count, FIT_PROGRAM, path, err, errlen)) <
            0)
        goto fail;
    if (results_table_rows(runs, &n_rows, FIT_PROGRAM, path, err, errlen) < 0 ||
        results_table_rows(curves, &n_points, FIT_PROGRAM, path, err, errlen) < 0)
        goto fail;
    /* a refit would write into a file cut short, as a sweep would */
    if (results_check_tables_inside(runs, n_rows, curves, n_points, &state, FIT_PROGRAM, path, err,
                                    errlen) < 0)
        goto fail;
    results->runs = calloc((size_t)(n_rows > 0 ? n_rows : 1), sizeof(*results->runs));
    if (!results->runs) {
        message_format(err, errlen, "%s: out of memory for %" PRId64 " rows", path, n_rows);
        goto fail;
    }
    if (results_read_rows(runs, run_columns, n_run_columns, sizeof(*results->runs), 0, n_rows,
                          results->runs, FIT_PROGRAM, path, err, errlen) < 0)
        goto fail;
    /* Rows past the last one with a run id were extended but not written yet (a sweep
     * is writing, or one died between the two): not committed. */
    n_rows = results_committed_rows(results->runs, sizeof(*results->runs),
                                    offsetof(results_run, run_id), n_rows);

    /* the curve slices the rows point at, and where /curves must reach */
    int64_t needed = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        results_run *r = &results->runs[i];
        /* the strings are NUL-terminated by the conversion; be sure anyway */
        r->run_id[sizeof(r->run_id) - 1] = r->config_id[sizeof(r->config_id) - 1] = '\0';
        r->status[sizeof(r->status) - 1] = '\0';
        r->architecture[sizeof(r->architecture) - 1] = '\0';
        if (r->architecture[0] == '\0') /* schema 7 or older: transformers */
            snprintf(r->architecture, sizeof r->architecture, "%s",
                     net_architecture_names[MODEL_TRANSFORMER]);
        if (r->run_id[0] == '\0') {
            message_format(err, errlen, "%s: row %" PRId64 " of /runs has no run id", path, i);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
        if (r->curve_offset < 0 || r->curve_length < 0 ||
            r->curve_offset > n_points - r->curve_length) {
            message_format(err, errlen,
                           "%s: row %" PRId64 " of /runs (run %s) points at "
                           "/curves rows %" PRId64 "+%" PRId64 ", beyond its %" PRId64 " rows",
                           path, i, r->run_id, r->curve_offset, r->curve_length, n_points);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
        if (r->curve_offset + r->curve_length > needed)
            needed = r->curve_offset + r->curve_length;
    }
    results->n_runs = n_rows;
    results->points = calloc((size_t)(needed > 0 ? needed : 1), sizeof(*results->points));
    if (!results->points) {
        message_format(err, errlen, "%s: out of memory for %" PRId64 " curve points", path, needed);
        goto fail;
    }
    if (results_read_rows(curves, results_point_columns, results_point_column_count,
                          sizeof(*results->points), 0, needed, results->points, FIT_PROGRAM, path,
                          err, errlen) < 0)
        goto fail;
    results->n_points = needed;
    if (results->schema >= 6 && read_sources(file, results, path, err, errlen) < 0)
        goto fail;
    if (read_positions(file, results, path, err, errlen) < 0)
        goto fail;

    RESULTS_CHECK(H5Dclose(curves));
    RESULTS_CHECK(H5Dclose(runs));
    RESULTS_CHECK(H5Fclose(file));
    return 0;
fail:
    results_release(&curves);
    results_release(&runs);
    results_release(&file);
    /* what HDF5 could not read (a file the checks above refused already says why) */
    if (results_hdf5_failures() != failures)
        results_damage_advice(err, errlen, path);
    fit_results_free(results);
    return -1;
}

void fit_results_free(fit_results *results)
{
    free(results->runs);
    free(results->points);
    free(results->plan_text);
    free(results->version);
    free(results->command_line);
    free(results->created);
    free(results->blas_core);
    free(results->blas_config);
    free(results->sources);
    free(results->source_losses);
    free(results->source_points);
    memset(results, 0, sizeof(*results));
}

/* The distinct values of a string column of /runs (at offset in each row), in the order they
 * first appear: their count, at most max of them in names. */
static int distinct_values(const fit_results *r, size_t offset, const char **names, int max)
{
    int count = 0;
    for (int64_t i = 0; i < r->n_runs; i++) {
        const char *value = (const char *)&r->runs[i] + offset;
        int seen = 0;
        for (int64_t k = 0; k < i && !seen; k++)
            seen = strcmp((const char *)&r->runs[k] + offset, value) == 0;
        if (!seen && count++ < max)
            names[count - 1] = value;
    }
    return count;
}

int fit_results_mixtures(const fit_results *r, const char **names, int max)
{
    return distinct_values(r, offsetof(results_run, mixture), names, max);
}

int fit_results_architectures(const fit_results *r, const char **names, int max)
{
    return distinct_values(r, offsetof(results_run, architecture), names, max);
}

/* "a, b and c" of at most 8 names, for messages. */
static void name_list(const char *const *names, int count, char *out, size_t size)
{
    message_join(names, count < 8 ? count : 8, " and ", out, size);
    if (count > 8) {
        size_t used = strlen(out);
        message_format(out + used, size - used, " (and %d more)", count - 8);
    }
}

/* Whether a run is of the mixture and architecture chosen (NULL: any). */
static int selected(const results_run *run, const char *mixture, const char *architecture)
{
    return (!mixture || strcmp(run->mixture, mixture) == 0) &&
           (!architecture || strcmp(run->architecture, architecture) == 0);
}

/* A choice among the distinct values of a text column of /runs (at offset in results_run):
 * refused with err when there are several and none is chosen (why: the reason to choose,
 * option: how), or when no run has the chosen one; both errors list the values. 0 or -1. */
static int check_choice(const fit_results *r, size_t offset, const char *chosen, const char *plural,
                        const char *singular, const char *why, const char *option, const char *path,
                        char *err, size_t errlen)
{
    const char *values[8] = {NULL};
    const int n = distinct_values(r, offset, values, 8);
    char list[1024];
    name_list(values, n, list, sizeof list); /* the first 8 of them */
    if (!chosen && n > 1) {
        message_format(err, errlen, "%s holds runs of %d %s (%s); %s: fit one with %s", path, n,
                       plural, list, why, option);
        return -1;
    }
    for (int64_t i = 0; chosen && i < r->n_runs; i++)
        if (strcmp((const char *)&r->runs[i] + offset, chosen) == 0)
            return 0;
    if (chosen) {
        message_format(err, errlen, "%s: no run of %s '%s'; its %s are %s", path, singular, chosen,
                       plural, list);
        return -1;
    }
    return 0;
}

int fit_results_select(fit_results *r, const fit_selection *sel, const char *path, char *err,
                       size_t errlen)
{
    char list[1024];
    const char *mixture = sel ? sel->mixture : NULL, *source = sel ? sel->source : NULL;
    const char *architecture = sel ? sel->architecture : NULL;
    const size_t of_architecture = offsetof(results_run, architecture),
                 of_mixture = offsetof(results_run, mixture);
    if (check_choice(r, of_architecture, architecture, "architectures", "architecture",
                     "each has its own laws", "--architecture", path, err, errlen) != 0)
        return -1;
    /* several mixtures and none chosen (a mixture no run has: below, old schemas first) */
    if (!mixture && check_choice(r, of_mixture, NULL, "mixtures", "mixture",
                                 "a law holds for one training distribution", "--mixture", path,
                                 err, errlen) != 0)
        return -1;
    if (mixture && !results_version_has(r->schema, "mixture")) {
        message_format(err, errlen,
                       "%s has no mixtures: it is of schema %d, from before runs trained on "
                       "mixtures (every run trained on its one corpus)",
                       path, r->schema);
        return -1;
    }
    if (check_choice(r, of_mixture, mixture, "mixtures", "mixture", NULL, "--mixture", path, err,
                     errlen) != 0)
        return -1;
    int j = -1;
    if (source) {
        if (r->n_sources == 0) {
            message_format(err, errlen,
                           "%s has no /sources: it is of schema %d, from before runs were scored "
                           "per source",
                           path, r->schema);
            return -1;
        }
        const char *names[TRAIN_MAX_SOURCES];
        for (int k = 0; k < r->n_sources && k < TRAIN_MAX_SOURCES; k++) {
            names[k] = r->sources[k].name;
            if (strcmp(names[k], source) == 0)
                j = k;
        }
        if (j < 0) {
            name_list(names, r->n_sources, list, sizeof list);
            message_format(err, errlen, "%s: no source '%s'; its sources are %s", path, source,
                           list);
            return -1;
        }
    }
    /* the runs of the mixture, their curves after each other in new tables, with the
       losses on source j (new tables, so that slices a damaged file shares or overlaps
       cannot make the copy overrun) */
    const int64_t S = r->n_sources;
    int64_t kept = 0, points = 0;
    for (int64_t i = 0; i < r->n_runs; i++)
        if (selected(&r->runs[i], mixture, architecture))
            points += r->runs[i].curve_length;
    results_point *new_points = calloc((size_t)(points > 0 ? points : 1), sizeof *new_points);
    results_source_point *new_source_points =
        S > 0 ? calloc((size_t)(points > 0 ? points : 1) * (size_t)S, sizeof *new_source_points)
              : NULL;
    if (!new_points || (S > 0 && !new_source_points)) {
        free(new_points);
        free(new_source_points);
        message_format(err, errlen, "%s: out of memory", path);
        return -1;
    }
    points = 0;
    for (int64_t i = 0; i < r->n_runs; i++) {
        results_run run = r->runs[i];
        if (!selected(&run, mixture, architecture))
            continue;
        const int64_t from = run.curve_offset;
        for (int64_t k = 0; k < run.curve_length; k++) {
            results_point point = r->points[from + k];
            if (j >= 0)
                point.test_loss = r->source_points[(from + k) * S + j].test_loss;
            new_points[points + k] = point;
            for (int64_t s = 0; s < S; s++)
                new_source_points[(points + k) * S + s] = r->source_points[(from + k) * S + s];
        }
        if (j >= 0) {
            const results_source_loss *l = &r->source_losses[i * S + j];
            run.final_test_loss = l->final_loss;
            run.best_test_loss = l->best_loss;
            run.best_step = l->best_step;
        }
        /* rows only move down (kept <= i): the copy reads each before it is overwritten */
        for (int64_t s = 0; s < S; s++)
            r->source_losses[kept * S + s] = r->source_losses[i * S + s];
        run.curve_offset = points;
        points += run.curve_length;
        r->runs[kept++] = run;
    }
    free(r->points);
    free(r->source_points);
    r->points = new_points;
    r->source_points = new_source_points;
    r->n_runs = kept;
    r->n_points = points;
    snprintf(r->selection_source, sizeof r->selection_source, "%s", source ? source : "");
    snprintf(r->selection, sizeof r->selection, "%s%.16s%s%s%.256s%s%s%.64s",
             architecture ? "architecture " : "", architecture ? architecture : "",
             architecture && (mixture || source) ? "; " : "", mixture ? "mixture " : "",
             mixture ? mixture : "", mixture && source ? "; " : "", source ? "loss on " : "",
             source ? source : "");
    return 0;
}

int fit_file_architectures(const char *path, char names[][16], int max, char *err, size_t errlen)
{
    fit_results r;
    if (fit_results_read(path, &r, err, errlen) != 0)
        return -1;
    const char *found[FIT_MAX_ARCHITECTURES + 1];
    int n = fit_results_architectures(&r, found, FIT_MAX_ARCHITECTURES + 1);
    n = n < max ? n : max;
    for (int i = 0; i < n; i++)
        snprintf(names[i], 16, "%s", found[i]);
    fit_results_free(&r);
    return n;
}

void fit_print_architectures(FILE *out, const fit_file_analysis *analyses,
                             const char *const *names, int n)
{
    static const fit_law_id laws[] = {FIT_LAW_N, FIT_LAW_C, FIT_LAW_D};
    for (int i = 1; i < n; i++) {
        fprintf(out, "Architectures compared, %s against %s (95%% intervals):\n", names[i],
                names[0]);
        for (size_t k = 0; k < sizeof laws / sizeof *laws; k++) {
            fit_comparison c;
            if (fit_compare(&analyses[0].report, &analyses[i].report, laws[k], &c) == 0)
                fit_print_comparison(out, names[0], names[i], &c);
        }
    }
}

/* ---- writing ---- */

/* Attributes: variable-length UTF-8 strings (h5py reads str), 64-bit numbers. */
static int results_text(hid_t object, const char *name, const char *value, const char *path,
                        char *err, size_t errlen)
{
    return results_write_text(object, name, value, FIT_PROGRAM, path, err, errlen);
}

static int results_double(hid_t object, const char *name, double value, const char *path,
                          char *err, size_t errlen)
{
    return results_write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, 0,
                                   FIT_PROGRAM, path, err, errlen);
}

static int results_int(hid_t object, const char *name, int64_t value, const char *path,
                       char *err, size_t errlen)
{
    return results_write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, 0,
                                   FIT_PROGRAM, path, err, errlen);
}

/* A table of n_rows C structs as a compound dataset (contiguous, fixed size). */
static int results_table(hid_t group, const char *name, const results_column *columns,
                         size_t n_columns, size_t struct_size, const void *rows,
                         int64_t n_rows, const char *description, const char *path, char *err,
                         size_t errlen)
{
    hid_t file_type = H5I_INVALID_HID, memory_type = H5I_INVALID_HID;
    hid_t space = H5I_INVALID_HID, dataset = H5I_INVALID_HID;
    hsize_t count = (hsize_t)n_rows;
    RESULTS_CHECK(file_type = results_table_type(columns, n_columns, struct_size, RESULTS_IN_FILE));
    RESULTS_CHECK(memory_type = results_table_type(columns, n_columns, struct_size,
                                                   RESULTS_IN_STRUCT));
    RESULTS_CHECK(space = H5Screate_simple(1, &count, NULL));
    RESULTS_CHECK(dataset = H5Dcreate2(group, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT,
                                       H5P_DEFAULT));
    RESULTS_CHECK(H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows));
    if (results_text(dataset, "description", description, path, err, errlen) < 0)
        goto fail;
    RESULTS_CHECK(H5Dclose(dataset));
    RESULTS_CHECK(H5Sclose(space));
    RESULTS_CHECK(H5Tclose(memory_type));
    RESULTS_CHECK(H5Tclose(file_type));
    return 0;
fail:
    results_release(&dataset);
    results_release(&space);
    results_release(&memory_type);
    results_release(&file_type);
    return -1;
}

typedef struct {
    char name[FIT_NAME_LENGTH];
    double value, lower, upper;
    int32_t valid_resamples;
} results_quantity;

static const results_column results_quantity_columns[] = {
    RESULTS_COLUMN("name", results_quantity, name, RESULTS_STRING),
    RESULTS_COLUMN("value", results_quantity, value, RESULTS_FLOAT64),
    RESULTS_COLUMN("lower", results_quantity, lower, RESULTS_FLOAT64),
    RESULTS_COLUMN("upper", results_quantity, upper, RESULTS_FLOAT64),
    RESULTS_COLUMN("valid_resamples", results_quantity, valid_resamples, RESULTS_INT32),
};

typedef struct {
    double x, x2, y, predicted;
} results_fit_point;

static const results_column results_fit_point_columns[] = {
    RESULTS_COLUMN("x", results_fit_point, x, RESULTS_FLOAT64),
    RESULTS_COLUMN("x2", results_fit_point, x2, RESULTS_FLOAT64),
    RESULTS_COLUMN("y", results_fit_point, y, RESULTS_FLOAT64),
    RESULTS_COLUMN("predicted", results_fit_point, predicted, RESULTS_FLOAT64),
};

typedef struct {
    char run_id[RESULTS_ID_SIZE];
} results_run_id;

typedef struct {
    double budget;
    int32_t runs, distinct_n;
    double c0, c1, c2, n_opt, d_opt, loss_min;
    char status[16];
    char message[160];
} results_profile;

static const results_column results_profile_columns[] = {
    RESULTS_COLUMN("budget", results_profile, budget, RESULTS_FLOAT64),
    RESULTS_COLUMN("runs", results_profile, runs, RESULTS_INT32),
    RESULTS_COLUMN("distinct_n", results_profile, distinct_n, RESULTS_INT32),
    RESULTS_COLUMN("c0", results_profile, c0, RESULTS_FLOAT64),
    RESULTS_COLUMN("c1", results_profile, c1, RESULTS_FLOAT64),
    RESULTS_COLUMN("c2", results_profile, c2, RESULTS_FLOAT64),
    RESULTS_COLUMN("n_opt", results_profile, n_opt, RESULTS_FLOAT64),
    RESULTS_COLUMN("d_opt", results_profile, d_opt, RESULTS_FLOAT64),
    RESULTS_COLUMN("loss_min", results_profile, loss_min, RESULTS_FLOAT64),
    RESULTS_COLUMN("status", results_profile, status, RESULTS_STRING),
    RESULTS_COLUMN("message", results_profile, message, RESULTS_STRING),
};

typedef struct {
    char config_id[RESULTS_ID_SIZE];
    double n_params, tokens;
    int32_t seeds;
    double mean, sd;
} results_seed_group;

static const results_column results_seed_group_columns[] = {
    RESULTS_COLUMN("config_id", results_seed_group, config_id, RESULTS_STRING),
    RESULTS_COLUMN("N", results_seed_group, n_params, RESULTS_FLOAT64),
    RESULTS_COLUMN("D", results_seed_group, tokens, RESULTS_FLOAT64),
    RESULTS_COLUMN("seeds", results_seed_group, seeds, RESULTS_INT32),
    RESULTS_COLUMN("mean", results_seed_group, mean, RESULTS_FLOAT64),
    RESULTS_COLUMN("sd", results_seed_group, sd, RESULTS_FLOAT64),
};

/* /fits/envelope: one row per cell (fit.h's fit_cell, its ids as text). */
typedef struct {
    char cell_id[RESULTS_ID_SIZE], config_id[RESULTS_ID_SIZE];
    double n_params, tokens;
    int32_t configurations, seeds;
    double lr, batch, warmup_steps, weight_decay, beta2, grad_clip;
    double loss;
} results_cell;

static const results_column results_cell_columns[] = {
    RESULTS_COLUMN("cell_id", results_cell, cell_id, RESULTS_STRING),
    RESULTS_COLUMN("config_id", results_cell, config_id, RESULTS_STRING),
    RESULTS_COLUMN("N", results_cell, n_params, RESULTS_FLOAT64),
    RESULTS_COLUMN("D", results_cell, tokens, RESULTS_FLOAT64),
    RESULTS_COLUMN("configurations", results_cell, configurations, RESULTS_INT32),
    RESULTS_COLUMN("seeds", results_cell, seeds, RESULTS_INT32),
    RESULTS_COLUMN("lr", results_cell, lr, RESULTS_FLOAT64),
    RESULTS_COLUMN("batch", results_cell, batch, RESULTS_FLOAT64),
    RESULTS_COLUMN("warmup_steps", results_cell, warmup_steps, RESULTS_FLOAT64),
    RESULTS_COLUMN("weight_decay", results_cell, weight_decay, RESULTS_FLOAT64),
    RESULTS_COLUMN("beta2", results_cell, beta2, RESULTS_FLOAT64),
    RESULTS_COLUMN("grad_clip", results_cell, grad_clip, RESULTS_FLOAT64),
    RESULTS_COLUMN("loss", results_cell, loss, RESULTS_FLOAT64),
};

/* /fits/transfer: one row per source (fit.h's fit_transfer, int32 for its flags). */
static const results_column results_transfer_columns[] = {
    RESULTS_COLUMN("source", fit_transfer, source, RESULTS_STRING),
    RESULTS_COLUMN("fitted", fit_transfer, fitted, RESULTS_INT32),
    RESULTS_COLUMN("runs", fit_transfer, n_points, RESULTS_INT64),
    RESULTS_COLUMN("slope", fit_transfer, slope, RESULTS_FLOAT64),
    RESULTS_COLUMN("slope_lower", fit_transfer, slope_lower, RESULTS_FLOAT64),
    RESULTS_COLUMN("slope_upper", fit_transfer, slope_upper, RESULTS_FLOAT64),
    RESULTS_COLUMN("offset", fit_transfer, offset, RESULTS_FLOAT64),
    RESULTS_COLUMN("offset_lower", fit_transfer, offset_lower, RESULTS_FLOAT64),
    RESULTS_COLUMN("offset_upper", fit_transfer, offset_upper, RESULTS_FLOAT64),
    RESULTS_COLUMN("r_squared", fit_transfer, r_squared, RESULTS_FLOAT64),
    RESULTS_COLUMN("resamples", fit_transfer, resamples, RESULTS_INT32),
    RESULTS_COLUMN("message", fit_transfer, message, RESULTS_STRING),
};

/* A group whose links h5py lists in the order they were made (the report's order). */
static hid_t results_group(hid_t parent, const char *name, const char *path, char *err,
                           size_t errlen)
{
    hid_t gcpl = H5I_INVALID_HID, group = H5I_INVALID_HID;
    RESULTS_CHECK(gcpl = H5Pcreate(H5P_GROUP_CREATE));
    RESULTS_CHECK(H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED));
    RESULTS_CHECK(group = H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT));
    RESULTS_CHECK(H5Pclose(gcpl));
    return group;
fail:
    results_release(&group);
    results_release(&gcpl);
    return H5I_INVALID_HID;
}

/* One law: its attributes, quantities, points and the runs behind them. */
static int results_write_law(hid_t fits, const fit_report *report, int l,
                             const fit_results *results, const char *path, char *err,
                             size_t errlen)
{
    const fit_law *law = &report->law[l];
    hid_t group = H5I_INVALID_HID;
    void *buffer = NULL;
    RESULTS_CHECK(group = results_group(fits, law->key, path, err, errlen));
    if (results_text(group, "formula", law->formula, path, err, errlen) < 0 ||
        results_text(group, "status", fit_status_name(law->status), path, err, errlen) < 0 ||
        results_text(group, "message", law->message, path, err, errlen) < 0 ||
        results_double(group, "objective", law->objective, path, err, errlen) < 0 ||
        results_double(group, "rms_log_residual", law->rms_log_residual, path, err, errlen) < 0 ||
        results_double(group, "r_squared", law->r_squared, path, err, errlen) < 0 ||
        results_int(group, "starts", law->starts, path, err, errlen) < 0 ||
        results_int(group, "n_points", law->n_points, path, err, errlen) < 0)
        goto fail;
    if (l == FIT_LAW_CHINCHILLA &&
        (results_int(group, "candidates", law->candidates, path, err, errlen) < 0 ||
         results_int(group, "candidates_at_best", law->candidates_at_best, path, err,
                     errlen) < 0))
        goto fail;

    /* every quantity, in the law's fixed order; values only where the law was fitted,
       as in the JSON */
    if (law->n_quantities > 0) {
        results_quantity *q = calloc((size_t)law->n_quantities, sizeof(*q));
        if (!q) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        buffer = q;
        for (int i = 0; i < law->n_quantities; i++) {
            const fit_quantity *from = &law->quantity[i];
            results_copy_text(q[i].name, from->name, sizeof(q[i].name));
            q[i].value = law->status == FIT_OK ? from->value : NAN;
            q[i].lower = from->lower;
            q[i].upper = from->upper;
            q[i].valid_resamples = from->valid_resamples;
        }
        if (results_table(group, "quantities", results_quantity_columns,
                          RESULTS_COUNT(results_quantity_columns), sizeof(*q), q,
                          law->n_quantities, "the law's parameters and what follows from "
                          "them: value from all the data, lower and upper the bootstrap "
                          "percentile interval (NaN without one)", path, err, errlen) < 0)
            goto fail;
        free(buffer);
        buffer = NULL;
    }

    if (law->n_points > 0) {
        results_fit_point *p = malloc((size_t)law->n_points * sizeof(*p));
        if (!p) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        buffer = p;
        for (int64_t i = 0; i < law->n_points; i++)
            p[i] = (results_fit_point){law->x[i], law->x2[i], law->y[i], law->predicted[i]};
        if (results_table(group, "points", results_fit_point_columns,
                          RESULTS_COUNT(results_fit_point_columns), sizeof(*p), p,
                          law->n_points, "the points the law was fitted to and its "
                          "prediction at each; the law's message says what x, x2 and y are",
                          path, err, errlen) < 0)
            goto fail;
        free(buffer);
        buffer = NULL;
    }

    if (law->n_points > 0 && law->run_index && results) {
        results_run_id *ids = calloc((size_t)law->n_points, sizeof(*ids));
        if (!ids) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        buffer = ids;
        for (int64_t i = 0; i < law->n_points; i++) {
            const int64_t run = law->run_index[i];
            if (run >= 0 && run < results->n_runs)
                results_copy_text(ids[i].run_id, results->runs[run].run_id, sizeof(ids[i].run_id));
        }
        /* a plain string array, not a one-column compound: h5py reads it as bytes */
        hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, dataset = H5I_INVALID_HID;
        hsize_t count = (hsize_t)law->n_points;
        if ((type = results_string_type(RESULTS_ID_SIZE)) < 0 ||
            (space = H5Screate_simple(1, &count, NULL)) < 0 ||
            (dataset = H5Dcreate2(group, "run_ids", type, space, H5P_DEFAULT, H5P_DEFAULT,
                                  H5P_DEFAULT)) < 0 ||
            H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) < 0) {
            results_hdf5_error(FIT_PROGRAM, err, errlen, path, "writing run_ids");
            results_release(&dataset);
            results_release(&space);
            results_release(&type);
            goto fail;
        }
        int failed = results_text(dataset, "description", "the run of each row of points "
                                  "(row i of points came from run_ids[i]; for L(C), the run "
                                  "whose curve holds the frontier at that C)", path, err,
                                  errlen) < 0;
        results_release(&dataset);
        results_release(&space);
        results_release(&type);
        if (failed)
            goto fail;
        free(buffer);
        buffer = NULL;
    }

    if (l == FIT_LAW_ISOFLOP && report->n_profiles > 0) {
        results_profile *p = calloc((size_t)report->n_profiles, sizeof(*p));
        if (!p) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        buffer = p;
        for (int i = 0; i < report->n_profiles; i++) {
            const fit_isoflop_profile *f = &report->profiles[i];
            p[i].budget = f->budget;
            p[i].runs = f->n_points;
            p[i].distinct_n = f->n_distinct_n;
            p[i].c0 = f->c0;
            p[i].c1 = f->c1;
            p[i].c2 = f->c2;
            p[i].n_opt = f->n_opt;
            p[i].d_opt = f->d_opt;
            p[i].loss_min = f->loss_min;
            results_copy_text(p[i].status, fit_status_name(f->status), sizeof(p[i].status));
            results_copy_text(p[i].message, f->message, sizeof(p[i].message));
        }
        if (results_table(group, "profiles", results_profile_columns,
                          RESULTS_COUNT(results_profile_columns), sizeof(*p), p,
                          report->n_profiles, "one IsoFLOP budget per row: the parabola "
                          "L = c0 + c1 ln N + c2 (ln N)^2 over its runs and its minimum",
                          path, err, errlen) < 0)
            goto fail;
        free(buffer);
        buffer = NULL;
    }

    if (l == FIT_SEEDS && report->n_seed_groups > 0) {
        results_seed_group *g = calloc((size_t)report->n_seed_groups, sizeof(*g));
        if (!g) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        buffer = g;
        for (int i = 0; i < report->n_seed_groups; i++) {
            const fit_seed_group *s = &report->seed_groups[i];
            snprintf(g[i].config_id, sizeof(g[i].config_id), "%016" PRIx64, s->config_id);
            g[i].n_params = s->n_params;
            g[i].tokens = s->tokens;
            g[i].seeds = s->seeds;
            g[i].mean = s->mean;
            g[i].sd = s->sd;
        }
        if (results_table(group, "groups", results_seed_group_columns,
                          RESULTS_COUNT(results_seed_group_columns), sizeof(*g), g,
                          report->n_seed_groups, "configurations run with two or more "
                          "seeds: mean and standard deviation (n - 1) of their loss", path,
                          err, errlen) < 0)
            goto fail;
        free(buffer);
        buffer = NULL;
    }
    RESULTS_CHECK(H5Gclose(group));
    return 0;
fail:
    free(buffer);
    results_release(&group);
    return -1;
}

/* The writer's lock, as store.c takes it (results_lock): refused while a sweep writes
 * the file. Returns the descriptor, or -1 with err. */
static int results_fit_lock(const char *path, char *err, size_t errlen)
{
    return results_lock(path, FIT_PROGRAM, "sweep", "a sweep is writing this file",
                        "fit it once the sweep has ended, or with --no-write to leave the file "
                        "alone",
                        err, errlen);
}

int fit_results_writable(const char *path, char *err, size_t errlen)
{
    int lock = results_fit_lock(path, err, errlen);
    if (lock < 0)
        return -1;
    results_unlock(lock);
    return 0;
}

int fit_results_write(const char *path, const fit_report *report, const fit_results *results,
                      const fit_options *options, char *err, size_t errlen)
{
    hid_t file = H5I_INVALID_HID, fits = H5I_INVALID_HID;
    htri_t exists;
    int lock = -1;
    fit_options defaults;
    if (!options) {
        fit_options_defaults(&defaults);
        options = &defaults;
    }
    RESULTS_CHECK(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    lock = results_fit_lock(path, err, errlen);
    if (lock < 0)
        return -1;

    /* Like the sweep's writer, without HDF5's own file lock (PATH.lock, held above, keeps
     * writers apart): a user watching the file with h5py must not make the fit that ends
     * a sweep fail. A reader open during the write may see an error and has to reopen. */
    file = results_open_writable(path, RESULTS_ACCESS_NO_LOCKING, "fit again", FIT_PROGRAM, err,
                                 errlen);
    if (file < 0)
        goto fail;
    int schema = 0;
    if (results_schema_version(file, &schema, FIT_PROGRAM, path, err, errlen) < 0) {
        size_t used = err ? strlen(err) : 0;
        message_format(err + used, errlen - used, "; /fits not written");
        goto fail;
    }

    /* a group a failed write left behind is of no use */
    RESULTS_CHECK(exists = H5Lexists(file, RESULTS_NEW_GROUP, H5P_DEFAULT));
    if (exists)
        RESULTS_CHECK(H5Ldelete(file, RESULTS_NEW_GROUP, H5P_DEFAULT));
    RESULTS_CHECK(fits = results_group(file, RESULTS_NEW_GROUP, path, err, errlen));

    char created[32];
    results_iso_time(created, sizeof(created));
    const char *keys[FIT_NUM_LAWS];
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        keys[l] = report->law[l].key ? report->law[l].key : "";
    if (results_text(fits, "created", created, path, err, errlen) < 0 ||
        results_int(fits, "bootstrap", report->bootstrap, path, err, errlen) < 0 ||
        results_int(fits, "seed", (int64_t)options->bootstrap_seed, path, err, errlen) < 0 ||
        results_double(fits, "confidence", report->confidence, path, err, errlen) < 0 ||
        results_int(fits, "observations", report->n_observations, path, err, errlen) < 0 ||
        results_int(fits, "used", report->n_used, path, err, errlen) < 0 ||
        results_int(fits, "configurations", report->n_configurations, path, err, errlen) < 0 ||
        results_text(fits, "message", report->message, path, err, errlen) < 0 ||
        results_text(fits, "selection", results ? results->selection : "", path, err, errlen) < 0 ||
        results_double(fits, "seconds_fit", report->seconds_fit, path, err, errlen) < 0 ||
        results_double(fits, "seconds_bootstrap", report->seconds_bootstrap, path, err, errlen) <
            0 ||
        results_write_texts(fits, "laws", keys, FIT_NUM_LAWS, FIT_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if (report->n_table > 0 &&
        results_write_attribute(fits, "table_budgets", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                report->table, (hsize_t)report->n_table, FIT_PROGRAM, path, err,
                                errlen) < 0)
        goto fail;
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        if (report->law[l].key &&
            results_write_law(fits, report, l, results, path, err, errlen) < 0)
            goto fail;
    if (report->n_cells > 0) {
        results_cell *rows = calloc((size_t)report->n_cells, sizeof(*rows));
        if (!rows) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        for (int64_t i = 0; i < report->n_cells; i++) {
            const fit_cell *c = &report->cells[i];
            snprintf(rows[i].cell_id, sizeof rows[i].cell_id, "%016" PRIx64, c->cell_id);
            snprintf(rows[i].config_id, sizeof rows[i].config_id, "%016" PRIx64, c->config_id);
            rows[i].n_params = c->n_params;
            rows[i].tokens = c->tokens;
            rows[i].configurations = c->configurations;
            rows[i].seeds = c->seeds;
            rows[i].lr = c->hyper[0];
            rows[i].batch = c->hyper[1];
            rows[i].warmup_steps = c->hyper[2];
            rows[i].weight_decay = c->hyper[3];
            rows[i].beta2 = c->hyper[4];
            rows[i].grad_clip = c->hyper[5];
            rows[i].loss = c->loss;
        }
        const int written = results_table(
            fits, "envelope", results_cell_columns, RESULTS_COUNT(results_cell_columns),
            sizeof(*rows), rows, report->n_cells,
            "each cell (runs that differ only in lr, batch, warmup_steps, weight_decay, beta2, "
            "grad_clip) and the configuration of lowest mean loss the laws took from it",
            path, err, errlen);
        free(rows);
        if (written < 0)
            goto fail;
    }
    if (report->n_transfers > 0 &&
        results_table(fits, "transfer", results_transfer_columns,
                      RESULTS_COUNT(results_transfer_columns), sizeof(fit_transfer),
                      report->transfer, report->n_transfers,
                      "the transfer law of each source: its held-out loss against the runs' own, "
                      "loss = offset + slope own loss (Kaplan et al. 2020, Figure 8)",
                      path, err, errlen) < 0)
        goto fail;
    RESULTS_CHECK(H5Gclose(fits));

    /* the swap: only now does the old /fits go */
    RESULTS_CHECK(exists = H5Lexists(file, "fits", H5P_DEFAULT));
    if (exists)
        RESULTS_CHECK(H5Ldelete(file, "fits", H5P_DEFAULT));
    RESULTS_CHECK(H5Lmove(file, RESULTS_NEW_GROUP, file, "fits", H5P_DEFAULT, H5P_DEFAULT));
    RESULTS_CHECK(H5Fclose(file));
    file = H5I_INVALID_HID;
    /* the lock goes last: the file is complete before a sweep may open it */
    results_unlock(lock);
    return 0;
fail:
    results_release(&fits);
    results_release(&file);
    results_unlock(lock);
    return -1;
}
