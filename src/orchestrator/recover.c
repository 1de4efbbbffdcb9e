/* `scalesweep recover DAMAGED.h5 NEW.h5`: a results file that a sweep refuses as damaged
 * (cut short by a full disk or a copy that stopped, a byte changed) keeps most of its runs.
 * This copies every intact one into a new results file with the same plan, through the
 * store that sweeps write with, so that NEW.h5 is a results file like any other and the
 * sweep resumes from it. DAMAGED.h5 is only read.
 *
 * A run is intact when its row reads, holds a run id, lies wholly inside the file, and its
 * curve (the /curves rows it points at) reads, lies inside the file too, and names the run
 * on every point. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "cli.h"
#include "cli_options.h"
#include "exit_status.h"
#include "results_hdf5.h"
#include "results_schema.h"
#include "store.h"
#include "units.h"

#define RECOVER_PROGRAM "scalesweep recover"
#define CHECK(call) RESULTS_HDF5_CHECK(RECOVER_PROGRAM, call, #call)

enum { O_VERBOSE, O_HELP, O_COUNT };

static const cli_option options[O_COUNT] = {
    [O_VERBOSE] = {"verbose", CLI_FLAG, NULL, "with an error, also HDF5's error stack", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};

static const char usage[] =
    "usage: scalesweep recover DAMAGED.h5 NEW.h5\n"
    "Copies every intact run of a damaged results file (its row and its curve) into the new\n"
    "results file NEW.h5, with the plan DAMAGED.h5 was made by; DAMAGED.h5 is only read. Put\n"
    "NEW.h5 where the plan's output is and run the sweep again: it trains only the runs\n"
    "that were lost. Exit status: 0 copied (some runs may be lost: it says how many),\n"
    "1 NEW.h5 could not be written, 2 DAMAGED.h5 cannot be read at all, is of another\n"
    "schema version or is being written, or NEW.h5 exists.\n";

static int set_option(void *user, int id, const cli_value *value)
{
    (void)user;
    (void)value;
    if (id == O_VERBOSE)
        results_hdf5_set_verbose(1);
    return 0;
}

/* The plan and provenance a new file is made with, from the damaged one's root. */
typedef struct {
    char *plan_text, *plan_hash, *command_line, *version, *blas_core, *blas_config;
    double sgemm_gflops;
    int has_blas;
} recover_origin;

static void origin_free(recover_origin *o)
{
    free(o->plan_text);
    free(o->plan_hash);
    free(o->command_line);
    free(o->version);
    free(o->blas_core);
    free(o->blas_config);
}

static int origin_read(hid_t file, recover_origin *o, const char *path, char *err, size_t errlen)
{
    hid_t attribute = H5I_INVALID_HID;
    const char *program = RECOVER_PROGRAM;
    if (results_read_text(file, RESULTS_ATTR_PLAN_TEXT, &o->plan_text, program, path, err, errlen) <
            0 ||
        results_read_text(file, RESULTS_ATTR_PLAN_HASH, &o->plan_hash, program, path, err, errlen) <
            0 ||
        results_read_text(file, RESULTS_ATTR_COMMAND_LINE, &o->command_line, program, path, err,
                          errlen) < 0 ||
        results_read_text(file, RESULTS_ATTR_VERSION, &o->version, program, path, err, errlen) <
            0 ||
        results_read_text(file, RESULTS_ATTR_BLAS_CORE, &o->blas_core, program, path, err, errlen) <
            0 ||
        results_read_text(file, RESULTS_ATTR_BLAS_CONFIG, &o->blas_config, program, path, err,
                          errlen) < 0)
        return -1;
    htri_t exists;
    CHECK(exists = H5Aexists(file, RESULTS_ATTR_SGEMM_GFLOPS));
    if (exists) {
        CHECK(attribute = H5Aopen(file, RESULTS_ATTR_SGEMM_GFLOPS, H5P_DEFAULT));
        CHECK(H5Aread(attribute, H5T_NATIVE_DOUBLE, &o->sgemm_gflops));
        CHECK(H5Aclose(attribute));
        o->has_blas = 1;
    }
    return 0;
fail:
    results_release(&attribute);
    return -1;
}

typedef struct {
    int64_t copied, unreadable, curve_cut, duplicates;
    int64_t no_positions;  /* copied without their losses by position (NaN in the new file) */
    int64_t rows_cut_from; /* the first row of /runs lost past the end of the file, or -1 */
} recover_counts;

/* Rows of a table wholly inside the damaged file; when its chunk index cannot be read to
 * say, all of them, each then standing or falling by its own read. */
static int64_t recover_intact(hid_t table, int64_t rows, int64_t file_size, const char *path)
{
    int64_t intact;
    int cut;
    char ignored[256];
    if (results_intact_rows(table, rows, file_size, &intact, &cut, RECOVER_PROGRAM, path, ignored,
                            sizeof ignored) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return rows;
    }
    return intact;
}

/* The damaged file's /source_curves: S rows per point of /curves, intact up to `intact`. */
typedef struct {
    hid_t table;
    int n_sources;
    const results_source *sources;
    int64_t intact;
    results_source_point *rows; /* a run's, read */
} recover_source_curves;

/* Fills the points' source_loss from the run's rows of /source_curves. 0 when they read and
 * name the run and the sources in order, 1 when they lie past the intact part, -1 otherwise. */
static int recover_source_losses(recover_source_curves *sc, const results_run *row,
                                 curve_point *points, const char *path)
{
    const int64_t S = sc->n_sources, first = row->curve_offset * S, n = row->curve_length * S;
    if (first + n > sc->intact)
        return 1;
    char err[512];
    if (n > 0 && results_read_rows(sc->table, results_source_point_columns,
                                   results_source_point_column_count, sizeof *sc->rows, first, n,
                                   sc->rows, RECOVER_PROGRAM, path, err, sizeof err) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    for (int64_t k = 0; k < row->curve_length; k++)
        for (int64_t j = 0; j < S; j++) {
            results_source_point *r = &sc->rows[k * S + j];
            r->run_id[sizeof r->run_id - 1] = r->source[sizeof r->source - 1] = '\0';
            if (strcmp(r->run_id, row->run_id) != 0 || strcmp(r->source, sc->sources[j].name) != 0)
                return -1;
            points[k].source_loss[j] = r->test_loss;
        }
    return 0;
}

/* The damaged file's /position_losses: one row per row of /runs, intact up to `intact`. */
typedef struct {
    hid_t table;
    int64_t intact;
} recover_positions;

/* Row i's losses by position into position_loss when that row is intact, reads and names the
 * run; 0, else -1 (position_loss is then NaN). */
static int recover_position_losses(const recover_positions *rp, int64_t i, results_run *row,
                                   const char *path)
{
    results_set_positions(row->position_loss, NULL, 0);
    if (i >= rp->intact)
        return -1;
    results_position_row p;
    char err[512];
    if (results_read_rows(rp->table, results_position_columns, results_position_column_count,
                          sizeof p, i, 1, &p, RECOVER_PROGRAM, path, err, sizeof err) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    p.run_id[sizeof p.run_id - 1] = '\0';
    if (strcmp(p.run_id, row->run_id) != 0)
        return -1;
    memcpy(row->position_loss, p.loss, sizeof p.loss);
    return 0;
}

/* Copies the intact runs of the open damaged file into the store. */
static int recover_rows(hid_t runs, hid_t curves, recover_source_curves *sc,
                        const recover_positions *rp, int64_t n_rows, int64_t n_points,
                        int64_t intact_rows, int64_t intact_points, store *to,
                        recover_counts *counts, const char *path, const char *new_path, char *err,
                        size_t errlen)
{
    const char *program = RECOVER_PROGRAM;
    results_point *rows = NULL; /* the run's rows of /curves */
    curve_point *points = NULL; /* the same as the store appends them */
    int64_t capacity = 0;
    int last_held_run = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        results_run row;
        memset(&row, 0, sizeof row);
        if (i >= intact_rows) {
            /* rows are committed one after another: past an empty row, none was */
            if (i == 0 || last_held_run)
                counts->rows_cut_from = i;
            break;
        }
        if (results_read_rows(runs, results_run_columns, results_run_column_count, sizeof row, i, 1,
                              &row, program, path, err, errlen) < 0) {
            H5Eclear2(H5E_DEFAULT);
            counts->unreadable++;
            continue;
        }
        row.run_id[sizeof row.run_id - 1] = '\0';
        last_held_run = row.run_id[0] != '\0';
        uint64_t key;
        if (row.run_id[0] == '\0')
            continue; /* extended but never written: not a run */
        if (results_parse_id(row.run_id, &key) < 0 || row.curve_offset < 0 ||
            row.curve_length < 0 || row.curve_offset > n_points - row.curve_length) {
            counts->unreadable++;
            continue;
        }
        if (row.curve_offset + row.curve_length > intact_points) {
            counts->curve_cut++;
            continue;
        }
        if (store_has_run(to, row.run_id)) {
            counts->duplicates++;
            continue;
        }
        if (row.curve_length > capacity) {
            free(rows);
            free(points);
            free(sc->rows);
            rows = malloc(sizeof(*rows) * (size_t)row.curve_length);
            points = calloc((size_t)row.curve_length, sizeof(*points));
            sc->rows = malloc(sizeof *sc->rows * (size_t)row.curve_length * (size_t)sc->n_sources);
            if (!rows || !points || !sc->rows) {
                free(rows);
                free(points);
                message_format(err, errlen, "out of memory for a curve of %" PRId64 " points",
                               row.curve_length);
                return -1;
            }
            capacity = row.curve_length;
        }
        if (results_read_rows(curves, results_point_columns, results_point_column_count,
                              sizeof(*rows), row.curve_offset, row.curve_length, rows, program,
                              path, err, errlen) < 0) {
            H5Eclear2(H5E_DEFAULT);
            counts->unreadable++;
            continue;
        }
        int belongs = 1;
        for (int64_t k = 0; k < row.curve_length; k++) {
            rows[k].run_id[sizeof rows[k].run_id - 1] = '\0';
            belongs &= strcmp(rows[k].run_id, row.run_id) == 0;
            points[k] = (curve_point){.step = rows[k].step,
                                      .tokens = rows[k].tokens,
                                      .flops = rows[k].flops,
                                      .train_loss = rows[k].train_loss,
                                      .test_loss = rows[k].test_loss,
                                      .lr = rows[k].lr};
        }
        if (!belongs) { /* the curve a row points at names its run on every point */
            counts->unreadable++;
            continue;
        }
        const int sources = recover_source_losses(sc, &row, points, path);
        if (sources != 0) {
            if (sources > 0)
                counts->curve_cut++;
            else
                counts->unreadable++;
            continue;
        }
        if (recover_position_losses(rp, i, &row, path) != 0)
            counts->no_positions++; /* the run itself is intact: copied with NaN there */
        if (store_append(to, &row, points, row.curve_length, err, errlen) < 0) {
            free(rows);
            free(points);
            size_t used = strlen(err);
            message_format(err + used, errlen - used, " (writing %s)", new_path);
            return -1;
        }
        counts->copied++;
    }
    free(rows);
    free(points);
    return 0;
}

int recover_main(int argc, char **argv)
{
    int first;
    int status =
        cli_parse(RECOVER_PROGRAM, usage, options, O_COUNT, argc, argv, set_option, NULL, &first);
    if (status != 0)
        return status > 0 ? EXIT_OK : EXIT_INPUT;
    if (argc - first != 2) {
        fprintf(stderr, "%s: expected DAMAGED.h5 NEW.h5 (see %s --help)\n", RECOVER_PROGRAM,
                RECOVER_PROGRAM);
        return EXIT_INPUT;
    }
    const char *path = argv[first], *new_path = argv[first + 1];
    char err[2048] = "";
    size_t errlen = sizeof err;
    hid_t file = H5I_INVALID_HID, runs = H5I_INVALID_HID, curves = H5I_INVALID_HID;
    recover_source_curves sc = {H5I_INVALID_HID, 0, NULL, 0, NULL};
    recover_positions rp = {H5I_INVALID_HID, 0};
    results_source *sources = NULL;
    recover_origin origin = {0};
    store *to = NULL;
    int code = EXIT_INPUT;
    struct stat other;

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (lstat(new_path, &other) == 0 || errno != ENOENT) {
        message_format(err, errlen, "%s exists; recover writes a new results file", new_path);
        goto fail;
    }
    results_file_state state;
    file = results_open_readable(path, RESULTS_READ_CUT_SHORT, "", &state, RECOVER_PROGRAM, err,
                                 errlen);
    if (file < 0)
        goto fail;
    if (state.writer_alive) {
        message_format(err, errlen,
                       "%s: a sweep is writing this file; let it finish (or stop it) first", path);
        goto fail;
    }
    int schema = 0;
    if (results_schema_version(file, &schema, RECOVER_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if (schema != RESULTS_SCHEMA_VERSION) {
        message_format(err, errlen,
                       "%s: results schema version %d; recover copies files of version %d, "
                       "the one this scalesweep writes",
                       path, schema, RESULTS_SCHEMA_VERSION);
        goto fail;
    }
    uint64_t plan_hash;
    if (origin_read(file, &origin, path, err, errlen) < 0)
        goto fail;
    if (results_parse_id(origin.plan_hash, &plan_hash) < 0) {
        message_format(err, errlen, "%s: plan_hash \"%s\" is not 16 hex digits", path,
                       origin.plan_hash);
        goto fail;
    }
    int64_t n_rows, n_points;
    /* (results_open_table says itself what is wrong) */
    if ((runs = results_open_table(file, RESULTS_RUNS, H5P_DEFAULT, results_run_columns,
                                   results_run_column_count, RECOVER_PROGRAM, path, err, errlen)) <
            0 ||
        (curves = results_open_table(file, RESULTS_CURVES, H5P_DEFAULT, results_point_columns,
                                     results_point_column_count, RECOVER_PROGRAM, path, err,
                                     errlen)) < 0)
        goto fail;
    if (results_table_rows(runs, &n_rows, RECOVER_PROGRAM, path, err, errlen) < 0 ||
        results_table_rows(curves, &n_points, RECOVER_PROGRAM, path, err, errlen) < 0)
        goto fail;
    const int64_t intact_rows = recover_intact(runs, n_rows, state.size, path);
    const int64_t intact_points = recover_intact(curves, n_points, state.size, path);
    /* the sources, whole: the new file is scored on the same ones */
    int n_sources = 0;
    int64_t source_rows = 0;
    if (results_read_sources(file, &sources, &n_sources, RECOVER_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if ((sc.table = results_open_table(
             file, RESULTS_SOURCE_CURVES, H5P_DEFAULT, results_source_point_columns,
             results_source_point_column_count, RECOVER_PROGRAM, path, err, errlen)) < 0 ||
        results_table_rows(sc.table, &source_rows, RECOVER_PROGRAM, path, err, errlen) < 0)
        goto fail;
    sc.n_sources = n_sources;
    sc.sources = sources;
    sc.intact = recover_intact(sc.table, source_rows, state.size, path);
    int64_t position_rows = 0;
    if ((rp.table = results_open_table(file, RESULTS_POSITION_LOSSES, H5P_DEFAULT,
                                       results_position_columns, results_position_column_count,
                                       RECOVER_PROGRAM, path, err, errlen)) < 0 ||
        results_table_rows(rp.table, &position_rows, RECOVER_PROGRAM, path, err, errlen) < 0)
        goto fail;
    rp.intact = recover_intact(rp.table, position_rows, state.size, path);

    const store_blas blas = {origin.blas_core, origin.blas_config, origin.sgemm_gflops};
    code = EXIT_FAILED;
    to = store_open(new_path, origin.plan_text, plan_hash, origin.command_line, origin.version,
                    origin.has_blas ? &blas : NULL, sources, n_sources, 0, err, errlen);
    if (!to)
        goto fail;
    recover_counts counts = {0, 0, 0, 0, 0, -1};
    if (recover_rows(runs, curves, &sc, &rp, n_rows, n_points, intact_rows, intact_points, to,
                     &counts, path, new_path, err, errlen) < 0) {
        /* half a copy is no recovery: the next attempt starts from nothing */
        store_close(to);
        to = NULL;
        unlink(new_path);
        goto fail;
    }
    store_close(to);
    to = NULL;
    char a[32], b[32];
    printf("%s: copied %s runs of %s into %s\n", RECOVER_PROGRAM,
           units_group_digits(counts.copied, a), path, new_path);
    if (counts.rows_cut_from >= 0)
        printf("lost: the rows of /runs from row %s on, which lay past the end of the file\n",
               units_group_digits(counts.rows_cut_from, b));
    if (counts.curve_cut > 0)
        printf("lost: %" PRId64 " runs whose curve lay past the end of the file\n",
               counts.curve_cut);
    if (counts.unreadable > 0)
        printf("lost: %" PRId64 " rows that could not be read or made no sense\n",
               counts.unreadable);
    if (counts.no_positions > 0)
        printf("lost: the losses by position of %" PRId64 " runs (NaN in /position_losses; the "
               "runs are copied)\n",
               counts.no_positions);
    if (counts.duplicates > 0)
        printf("left out: %" PRId64 " rows that repeat a run already copied\n", counts.duplicates);
    printf("next: keep %s aside, move %s to the plan's output, and run the sweep again: it "
           "trains the runs that are not in it\n",
           path, new_path);
    code = EXIT_OK;
fail:
    if (code != EXIT_OK)
        fprintf(stderr, "%s: %s\n", RECOVER_PROGRAM, err);
    if (to)
        store_close(to);
    results_release(&curves);
    results_release(&runs);
    results_release(&sc.table);
    results_release(&rp.table);
    free(sc.rows);
    free(sources);
    results_release(&file);
    origin_free(&origin);
    return code;
}
