/* The HDF5 results file's writer: creation, resume, crash recovery and appends. The
 * layout is src/results/results_schema.h; docs/results.md documents it for readers.
 *
 * Opening an existing file is two steps, so that a refused open changes no byte:
 *   1. inspect, read-only (a reader never writes): schema, plan hash, every committed
 *      row's run id and curve slice; any reason to refuse is found here;
 *   2. reopen read-write, repair what a crashed writer left (status flags, stale end of
 *      allocation, a curve or a row extent without its data), then start SWMR writing.
 * One writer at a time is enforced by an flock on PATH.lock, which the kernel releases
 * when a writer dies; that is what makes clearing a dead writer's flags safe. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "hash.h"
#include "message.h"
#include "results_hdf5.h"
#include "results_schema.h"

/* Rows per chunk (422 and 53 bytes a row: 108 kB and 217 kB chunks). Appends write
 * straight into the chunk's place in the file (the chunk cache is off, see
 * store_dataset_access), so the size only sets how often a chunk is allocated and how
 * large the chunk index grows, not what an append costs. */
#define STORE_RUNS_CHUNK 256
#define STORE_CURVES_CHUNK 4096

/* A table of rows per source (/source_losses, /source_curves): its dataset, packed memory
 * type, kept dataspaces and extent. */
typedef struct {
    hid_t dataset, memory_type, file_space, memory_space;
    int64_t extent;
} store_table;

/* What resume keeps of each committed row of /runs. */
typedef struct {
    char run_id[RESULTS_ID_SIZE];
    int64_t curve_offset;
    int64_t curve_length;
} store_run_slice;

/* Rows of /runs read at a time while resuming. */
#define STORE_READ_BLOCK 4096

struct store {
    char *path;
    int lock_fd;                 /* flock on PATH.lock while we write, or -1 */
    hid_t file;
    hid_t runs;                  /* /runs */
    hid_t curves;                /* /curves */
    hid_t runs_memory_type;      /* packed rows, native byte order (RESULTS_PACKED) */
    hid_t curves_memory_type;
    hid_t runs_file_space;       /* kept at the dataset's extent, selection per append */
    hid_t curves_file_space;
    hid_t runs_memory_space;     /* one row */
    hid_t curves_memory_space;   /* resized to each curve */
    int64_t n_runs;              /* committed rows of /runs */
    int64_t runs_extent;         /* rows /runs has (n_runs, or one more after a failed append) */
    int64_t curve_end;           /* where the next curve goes: just after the last committed one */
    int64_t curves_extent;
    results_source *sources; /* (n_sources) what every run is scored on: /sources */
    int n_sources;
    store_table source_losses; /* n_sources rows per run */
    store_table source_curves; /* n_sources rows per curve point */
    store_table position_losses; /* one row per run */
    /* run ids present, open addressing on their 64-bit values */
    uint64_t *set_keys;
    unsigned char *set_used;
    size_t set_capacity;         /* a power of two, at least twice the count */
    unsigned char *buffer;       /* packed rows being appended */
    size_t buffer_capacity;      /* bytes */
};

/* ---- errors ---- */

/* The prefix of what the store prints on stderr. */
#define STORE_PROGRAM "scalesweep"

/* Every HDF5 call goes through this: a negative hid_t, herr_t or htri_t is a failure.
 * Expects `path`, `err`, `errlen` and a `fail` label in scope. */
#define STORE_CHECK(call) RESULTS_HDF5_CHECK(STORE_PROGRAM, call, #call)

/* ---- run ids and their set ---- */

/* Run ids are already hashes, but a plan could use structured ones: mix anyway. */
static size_t store_set_slot(uint64_t key, size_t capacity)
{
    return (size_t)hash_splitmix64(key) & (capacity - 1);
}

static int store_set_contains(const store *s, uint64_t key)
{
    if (s->set_capacity == 0)
        return 0;
    for (size_t i = store_set_slot(key, s->set_capacity);; i = (i + 1) & (s->set_capacity - 1)) {
        if (!s->set_used[i])
            return 0;
        if (s->set_keys[i] == key)
            return 1;
    }
}

static void store_set_place(uint64_t *keys, unsigned char *used, size_t capacity, uint64_t key)
{
    size_t i = store_set_slot(key, capacity);
    while (used[i])
        i = (i + 1) & (capacity - 1);
    keys[i] = key;
    used[i] = 1;
}

/* Makes room for `count` keys at a load of at most one half. */
static int store_set_reserve(store *s, int64_t count)
{
    size_t needed = 16;
    while (needed < 2 * (size_t)count)
        needed *= 2;
    if (needed <= s->set_capacity)
        return 0;
    uint64_t *keys = calloc(needed, sizeof(*keys));
    unsigned char *used = calloc(needed, 1);
    if (!keys || !used) {
        free(keys);
        free(used);
        return -1;
    }
    for (size_t i = 0; i < s->set_capacity; i++)
        if (s->set_used[i])
            store_set_place(keys, used, needed, s->set_keys[i]);
    free(s->set_keys);
    free(s->set_used);
    s->set_keys = keys;
    s->set_used = used;
    s->set_capacity = needed;
    return 0;
}

/* ---- types and attributes ---- */

/* Copies C structs into the packed rows of a RESULTS_PACKED table type. */
static void store_pack(unsigned char *packed, const void *rows, size_t struct_size, int64_t n_rows,
                       const results_column *columns, size_t n_columns)
{
    const unsigned char *from = rows;
    for (int64_t r = 0; r < n_rows; r++, from += struct_size)
        for (size_t i = 0; i < n_columns; i++) {
            memcpy(packed, from + columns[i].offset, columns[i].size);
            packed += columns[i].size;
        }
}

/* The plan's identity: plan_text, plan_hash (16 hex digits), command_line and the
 * version that wrote them. Written at creation, and again when force adopts a file. */
static int store_write_plan(hid_t file, const char *plan_text, uint64_t plan_hash,
                            const char *command_line, const char *version, const char *path,
                            char *err, size_t errlen)
{
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, plan_hash);
    const char *const names[] = {RESULTS_ATTR_VERSION, RESULTS_ATTR_PLAN_TEXT,
                                 RESULTS_ATTR_PLAN_HASH, RESULTS_ATTR_COMMAND_LINE};
    const char *const values[] = {version, plan_text, hash, command_line};  /* NULL: "" */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (results_write_text(file, names[i], values[i], STORE_PROGRAM, path, err, errlen) < 0)
            return -1;
    return 0;
}

/* ---- datasets ---- */

/* The chunk cache is off (0 bytes): a write then goes straight to the chunk's place in
 * the file instead of the whole chunk being written back at every flush, which made
 * an append cost a chunk's worth of I/O (about 330 kB for both tables). */
static hid_t store_dataset_access(void)
{
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0)
        return dapl;
    if (H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0) {
        H5Pclose(dapl);
        return H5I_INVALID_HID;
    }
    return dapl;
}

static hid_t store_create_table(hid_t file, const char *name, const results_column *columns,
                                size_t n_columns, hsize_t chunk_rows, const char *description,
                                const char *path, char *err, size_t errlen)
{
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hid_t dapl = H5I_INVALID_HID, dataset = H5I_INVALID_HID;
    hsize_t zero = 0, unlimited = H5S_UNLIMITED;
    const char *units[RESULTS_MAX_COLUMNS], *descriptions[RESULTS_MAX_COLUMNS];
    if (n_columns > RESULTS_MAX_COLUMNS) {
        message_format(err, errlen, "%s: table %s has too many columns", path, name);
        return H5I_INVALID_HID;
    }
    for (size_t i = 0; i < n_columns; i++) {
        units[i] = columns[i].unit;
        descriptions[i] = columns[i].description;
    }
    STORE_CHECK(type = results_table_type(columns, n_columns, 0, RESULTS_IN_FILE));
    STORE_CHECK(space = H5Screate_simple(1, &zero, &unlimited));
    STORE_CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    STORE_CHECK(H5Pset_chunk(dcpl, 1, &chunk_rows));
    /* Never fill: every row inside the extent is written before the extent is flushed,
     * and a fill would make the first write of each chunk go through the cache. */
    STORE_CHECK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER));
    STORE_CHECK(dapl = store_dataset_access());
    STORE_CHECK(dataset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, dapl));
    if (results_write_texts(dataset, "units", units, n_columns, STORE_PROGRAM, path, err,
                            errlen) < 0 ||
        results_write_texts(dataset, "descriptions", descriptions, n_columns, STORE_PROGRAM,
                            path, err, errlen) < 0 ||
        results_write_text(dataset, "description", description, STORE_PROGRAM, path, err,
                           errlen) < 0)
        goto fail;
    STORE_CHECK(H5Pclose(dapl));
    STORE_CHECK(H5Pclose(dcpl));
    STORE_CHECK(H5Sclose(space));
    STORE_CHECK(H5Tclose(type));
    return dataset;
fail:
    results_release(&dataset);
    results_release(&dapl);
    results_release(&dcpl);
    results_release(&space);
    results_release(&type);
    return H5I_INVALID_HID;
}

/* ---- the lock ---- */

/* One writer per file: the flock on PATH.lock (results_lock), which the kernel drops when
 * a writer dies; that is what makes clearing a dead writer's flags safe. */
static int store_lock(const char *path, char *err, size_t errlen)
{
    /* the holder may be a sweep, or a fit writing /fits */
    return results_lock(path, STORE_PROGRAM, "other sweep", "another process is writing this file",
                        "two sweeps cannot share one output", err, errlen);
}

/* ---- open ---- */

static int store_create(store *s, const char *plan_text, uint64_t plan_hash,
                        const char *command_line, const char *version, char *err, size_t errlen)
{
    const char *path = s->path;
    hid_t fapl = H5I_INVALID_HID, sources = H5I_INVALID_HID, type = H5I_INVALID_HID;
    char created[32];
    const int schema = RESULTS_SCHEMA_VERSION;
    STORE_CHECK(fapl = results_file_access(RESULTS_ACCESS_NO_LOCKING, STORE_PROGRAM, path, err,
                                           errlen));
    /* EXCL: a file that appeared since we looked is someone else's */
    STORE_CHECK(s->file = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl));
    STORE_CHECK(H5Pclose(fapl));
    results_iso_time(created, sizeof(created));
    if (results_write_attribute(s->file, RESULTS_ATTR_SCHEMA_VERSION, H5T_STD_I32LE, H5T_NATIVE_INT,
                                &schema, 0, STORE_PROGRAM, path, err, errlen) < 0 ||
        store_write_plan(s->file, plan_text, plan_hash, command_line, version, path, err, errlen) <
            0 ||
        results_write_text(s->file, RESULTS_ATTR_CREATED, created, STORE_PROGRAM, path, err,
                           errlen) < 0)
        goto fail;
    STORE_CHECK(s->runs = store_create_table(s->file, RESULTS_RUNS, results_run_columns,
                                             results_run_column_count, STORE_RUNS_CHUNK,
                                             results_runs_description, path, err, errlen));
    STORE_CHECK(s->curves = store_create_table(s->file, RESULTS_CURVES, results_point_columns,
                                               results_point_column_count, STORE_CURVES_CHUNK,
                                               results_curves_description, path, err, errlen));
    /* the sources, whole, before SWMR writing (which cannot create datasets) */
    STORE_CHECK(sources = store_create_table(s->file, RESULTS_SOURCES, results_source_columns,
                                             results_source_column_count, 64,
                                             results_sources_description, path, err, errlen));
    hsize_t n = (hsize_t)s->n_sources;
    STORE_CHECK(H5Dset_extent(sources, &n));
    STORE_CHECK(type = results_table_type(results_source_columns, results_source_column_count,
                                          sizeof(results_source), RESULTS_IN_STRUCT));
    STORE_CHECK(H5Dwrite(sources, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->sources));
    STORE_CHECK(H5Tclose(type));
    STORE_CHECK(H5Dclose(sources));
    STORE_CHECK(s->source_losses.dataset =
                    store_create_table(s->file, RESULTS_SOURCE_LOSSES, results_source_loss_columns,
                                       results_source_loss_column_count, STORE_RUNS_CHUNK,
                                       results_source_losses_description, path, err, errlen));
    STORE_CHECK(s->source_curves.dataset =
                    store_create_table(s->file, RESULTS_SOURCE_CURVES, results_source_point_columns,
                                       results_source_point_column_count, STORE_CURVES_CHUNK,
                                       results_source_curves_description, path, err, errlen));
    STORE_CHECK(s->position_losses.dataset =
                    store_create_table(s->file, RESULTS_POSITION_LOSSES, results_position_columns,
                                       results_position_column_count, STORE_RUNS_CHUNK,
                                       results_position_losses_description, path, err, errlen));
    return 0;
fail:
    results_release(&type);
    results_release(&sources);
    results_release(&fapl);
    return -1;
}

/* Step 1 of resuming, for the tables of rows per source: /sources must name the sources of
 * this sweep, in order, and /source_losses and /source_curves hold the rows of every
 * committed run (n_sources per row of /runs and per point of /curves). */
static int store_inspect_sources(store *s, hid_t file, char *err, size_t errlen)
{
    const char *path = s->path;
    hid_t losses = H5I_INVALID_HID, curves = H5I_INVALID_HID, positions = H5I_INVALID_HID;
    results_source *stored = NULL;
    int n = 0;
    if (results_read_sources(file, &stored, &n, STORE_PROGRAM, path, err, errlen) < 0)
        goto fail;
    int same = n == s->n_sources;
    for (int64_t i = 0; same && i < n; i++)
        same = strncmp(stored[i].name, s->sources[i].name, sizeof stored[i].name) == 0;
    if (!same) {
        char held[512], wanted[512];
        const char *names[TRAIN_MAX_SOURCES];
        int count = 0;
        for (; count < n; count++)
            names[count] = stored[count].name;
        message_join(names, count, " and ", held, sizeof held);
        for (count = 0; count < s->n_sources; count++)
            names[count] = s->sources[count].name;
        message_join(names, count, " and ", wanted, sizeof wanted);
        message_format(err, errlen,
                       "%s holds runs scored on the sources %s, not on %s; give this plan "
                       "another output",
                       path, held, wanted);
        goto fail;
    }
    int64_t loss_rows = 0, curve_rows = 0, position_rows = 0;
    if ((positions = results_open_table(file, RESULTS_POSITION_LOSSES, H5P_DEFAULT,
                                        results_position_columns, results_position_column_count,
                                        STORE_PROGRAM, path, err, errlen)) < 0 ||
        results_table_rows(positions, &position_rows, STORE_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if (position_rows < s->n_runs) {
        message_format(err, errlen,
                       "%s: /position_losses has %" PRId64 " rows, fewer than its %" PRId64 " runs",
                       path, position_rows, s->n_runs);
        results_damage_advice(err, errlen, path);
        goto fail;
    }
    s->position_losses.extent = position_rows;
    if ((losses = results_open_table(file, RESULTS_SOURCE_LOSSES, H5P_DEFAULT,
                                     results_source_loss_columns, results_source_loss_column_count,
                                     STORE_PROGRAM, path, err, errlen)) < 0 ||
        (curves = results_open_table(
             file, RESULTS_SOURCE_CURVES, H5P_DEFAULT, results_source_point_columns,
             results_source_point_column_count, STORE_PROGRAM, path, err, errlen)) < 0 ||
        results_table_rows(losses, &loss_rows, STORE_PROGRAM, path, err, errlen) < 0 ||
        results_table_rows(curves, &curve_rows, STORE_PROGRAM, path, err, errlen) < 0)
        goto fail;
    const int64_t S = n;
    if (loss_rows < s->n_runs * S || curve_rows < s->curve_end * S) {
        message_format(err, errlen,
                       "%s: /source_losses has %" PRId64 " rows and /source_curves %" PRId64
                       ", fewer than the %" PRId64 " and %" PRId64 " of its %" PRId64
                       " runs on %" PRId64 " sources",
                       path, loss_rows, curve_rows, s->n_runs * S, s->curve_end * S, s->n_runs, S);
        results_damage_advice(err, errlen, path);
        goto fail;
    }
    s->source_losses.extent = loss_rows;
    s->source_curves.extent = curve_rows;
    free(stored);
    STORE_CHECK(H5Dclose(curves));
    STORE_CHECK(H5Dclose(losses));
    STORE_CHECK(H5Dclose(positions));
    return 0;
fail:
    free(stored);
    results_release(&curves);
    results_release(&losses);
    results_release(&positions);
    return -1;
}

/* Step 1 of resuming: everything that could refuse the file, read-only. Fills the run
 * id set, n_runs (rows with a run id; trailing rows without one were never written),
 * the extents, and curve_end. */
static int store_inspect(store *s, uint64_t plan_hash, int force, int *plan_differs,
                         char *err, size_t errlen)
{
    const char *path = s->path;
    hid_t file = H5I_INVALID_HID, runs = H5I_INVALID_HID, curves = H5I_INVALID_HID;
    store_run_slice *slices = NULL;
    results_run *block = NULL;
    int schema = 0;
    char stored_hash[64];
    const unsigned long failures = results_hdf5_failures();

    /* SWMR read: it never writes, reads a crashed writer's data past the stale end of
     * allocation in the superblock, and (with the flags cleared in memory) opens a file
     * whatever its status flags say; bounded, so that a damaged file fails at once. */
    results_file_state state;
    file = results_open_readable(path, RESULTS_READ_LOCK_HELD, "; refusing to write to it", &state,
                                 STORE_PROGRAM, err, errlen);
    if (file < 0)
        goto fail;

    if (results_schema_version(file, &schema, STORE_PROGRAM, path, err, errlen) < 0) {
        size_t used = err ? strlen(err) : 0;
        message_format(err + used, errlen - used, "; refusing to write to it");
        goto fail;
    }
    if (schema != RESULTS_SCHEMA_VERSION) {
        message_format(err, errlen,
                       "%s: results schema version %d; this scalesweep writes "
                       "version %d and will not append to another%s",
                       path, schema, RESULTS_SCHEMA_VERSION,
                       schema < RESULTS_SCHEMA_VERSION
                           ? " (scalesweep fit still reads it; give this plan a new output)"
                           : "");
        goto fail;
    }
    char *stored = NULL;
    if (results_read_text(file, RESULTS_ATTR_PLAN_HASH, &stored, STORE_PROGRAM, path, err, errlen) <
        0)
        goto fail;
    snprintf(stored_hash, sizeof(stored_hash), "%s", stored);
    free(stored);
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, plan_hash);
    *plan_differs = strcmp(stored_hash, hash) != 0;
    if (*plan_differs && !force) {
        message_format(err, errlen,
                       "%s holds the results of another plan (plan_hash %s in the "
                       "file, %s for this plan); use another output, or force to add this "
                       "plan's runs to it",
                       path, stored_hash[0] ? stored_hash : "(none)", hash);
        goto fail;
    }

    /* every column of the schema, with the right class: a resumed file must be one this
     * code wrote, or it would be appended to wrongly */
    /* (results_open_table says itself what is wrong) */
    if ((runs = results_open_table(file, RESULTS_RUNS, H5P_DEFAULT, results_run_columns,
                                   results_run_column_count, STORE_PROGRAM, path, err, errlen)) <
            0 ||
        (curves =
             results_open_table(file, RESULTS_CURVES, H5P_DEFAULT, results_point_columns,
                                results_point_column_count, STORE_PROGRAM, path, err, errlen)) < 0)
        goto fail;
    if (results_table_rows(runs, &s->runs_extent, STORE_PROGRAM, path, err, errlen) < 0 ||
        results_table_rows(curves, &s->curves_extent, STORE_PROGRAM, path, err, errlen) < 0)
        goto fail;
    if (results_check_tables_inside(runs, s->runs_extent, curves, s->curves_extent, &state,
                                    STORE_PROGRAM, path, err, errlen) < 0)
        goto fail;
    /* the plan text too: a forced resume rewrites it in place */
    char *stored_plan = NULL;
    if (results_read_text(file, RESULTS_ATTR_PLAN_TEXT, &stored_plan, STORE_PROGRAM, path, err,
                          errlen) < 0)
        goto fail;
    free(stored_plan);

    /* the run id and curve slice of every row, a block of rows at a time */
    slices = calloc((size_t)(s->runs_extent > 0 ? s->runs_extent : 1), sizeof(*slices));
    block = calloc(STORE_READ_BLOCK, sizeof(*block));
    if (!slices || !block) {
        message_format(err, errlen, "%s: out of memory for %" PRId64 " rows", path, s->runs_extent);
        goto fail;
    }
    for (int64_t start = 0; start < s->runs_extent; start += STORE_READ_BLOCK) {
        int64_t count =
            s->runs_extent - start < STORE_READ_BLOCK ? s->runs_extent - start : STORE_READ_BLOCK;
        memset(block, 0, (size_t)count * sizeof(*block));
        if (results_read_rows(runs, results_run_columns, results_run_column_count, sizeof(*block),
                              start, count, block, STORE_PROGRAM, path, err, errlen) < 0)
            goto fail;
        for (int64_t i = 0; i < count; i++) {
            store_run_slice *slice = &slices[start + i];
            /* the strings are NUL-terminated by the conversion; be sure anyway */
            memcpy(slice->run_id, block[i].run_id, sizeof(slice->run_id));
            slice->run_id[sizeof(slice->run_id) - 1] = '\0';
            slice->curve_offset = block[i].curve_offset;
            slice->curve_length = block[i].curve_length;
        }
    }
    /* Rows past the last one with a run id were extended but never written (a crash
     * between the two): not committed. */
    s->n_runs = results_committed_rows(slices, sizeof(*slices), offsetof(store_run_slice, run_id),
                                       s->runs_extent);
    if (store_set_reserve(s, s->n_runs + 1024) < 0) {
        message_format(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    int64_t expected_offset = 0;
    for (int64_t i = 0; i < s->n_runs; i++) {
        const store_run_slice *row = &slices[i];
        uint64_t key;
        if (results_parse_id(row->run_id, &key) < 0) {
            message_format(err, errlen,
                           "%s: row %" PRId64 " of /runs has run_id \"%s\", not 16 "
                           "hex digits",
                           path, i, row->run_id);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
        if (store_set_contains(s, key)) {
            message_format(err, errlen, "%s: run %s appears twice in /runs (row %" PRId64 ")", path,
                           row->run_id, i);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
        /* appends keep every curve right after the previous one */
        if (row->curve_offset != expected_offset || row->curve_length < 0 ||
            row->curve_offset + row->curve_length > s->curves_extent) {
            message_format(err, errlen,
                           "%s: row %" PRId64 " of /runs (run %s) points at /curves "
                           "rows %" PRId64 "+%" PRId64 ", but the previous run ends at %" PRId64
                           " and /curves has %" PRId64 " rows",
                           path, i, row->run_id, row->curve_offset, row->curve_length,
                           expected_offset, s->curves_extent);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
        expected_offset = row->curve_offset + row->curve_length;
        store_set_place(s->set_keys, s->set_used, s->set_capacity, key);
    }
    s->curve_end = expected_offset;
    if (store_inspect_sources(s, file, err, errlen) < 0)
        goto fail;

    free(block);
    free(slices);
    STORE_CHECK(H5Dclose(curves));
    STORE_CHECK(H5Dclose(runs));
    STORE_CHECK(H5Fclose(file));
    return 0;
fail:
    free(block);
    free(slices);
    results_release(&curves);
    results_release(&runs);
    results_release(&file);
    /* what HDF5 could not read (a file the checks above refused already says why) */
    if (results_hdf5_failures() != failures)
        results_damage_advice(err, errlen, path);
    return -1;
}

/* Shrinks a table to its first `keep` rows when it has more (rows extended or written for a
 * run whose row never came); only before SWMR writing starts. 0 or -1 with err. */
static int store_trim(hid_t dataset, int64_t *extent, int64_t keep, const char *path, char *err,
                      size_t errlen)
{
    if (*extent <= keep)
        return 0;
    hsize_t rows = (hsize_t)keep;
    STORE_CHECK(H5Dset_extent(dataset, &rows));
    *extent = keep;
    return 0;
fail:
    return -1;
}

/* Step 2 of resuming: open for writing and repair what a crashed writer left. */
static int store_reopen(store *s, int plan_differs, const char *plan_text, uint64_t plan_hash,
                        const char *command_line, const char *version, char *err,
                        size_t errlen)
{
    const char *path = s->path;
    hid_t dapl = H5I_INVALID_HID;
    /* A writer that died in SWMR mode left the superblock's "open for writing" flags
     * set, and HDF5 refuses such a file; we hold the writer's lock, so no writer is
     * alive and the flags can go. */
    s->file = results_open_writable(path, RESULTS_ACCESS_NO_LOCKING | RESULTS_ACCESS_CLEAR_FLAGS,
                                    "start again; readers opened while the sweep runs do not "
                                    "block it",
                                    STORE_PROGRAM, err, errlen);
    if (s->file < 0)
        goto fail;
    /* It also left the superblock's end-of-allocation where it was when SWMR writing
     * started: every chunk written since lies beyond it. Opened as is, reads there fail
     * ("addr overflow"), new space would be allocated on top of them, and closing would
     * truncate the file to that address (which is what h5clear -s alone does). Move it
     * to the end of the file; on a file closed cleanly the two are already equal. This
     * comes right after the open: until it succeeds, any close would truncate. */
    STORE_CHECK(H5Fincrement_filesize(s->file, 0));
    if (plan_differs &&
        store_write_plan(s->file, plan_text, plan_hash, command_line, version, path, err,
                         errlen) < 0)
        goto fail;
    STORE_CHECK(dapl = store_dataset_access());
    STORE_CHECK(s->runs = H5Dopen2(s->file, RESULTS_RUNS, dapl));
    STORE_CHECK(s->curves = H5Dopen2(s->file, RESULTS_CURVES, dapl));
    STORE_CHECK(s->source_losses.dataset = H5Dopen2(s->file, RESULTS_SOURCE_LOSSES, dapl));
    STORE_CHECK(s->source_curves.dataset = H5Dopen2(s->file, RESULTS_SOURCE_CURVES, dapl));
    STORE_CHECK(s->position_losses.dataset = H5Dopen2(s->file, RESULTS_POSITION_LOSSES, dapl));
    STORE_CHECK(H5Pclose(dapl));
    /* Drop what was never committed: rows extended but not written, and the curve of a
     * run whose row never came. Shrinking is allowed only before SWMR writing starts. */
    const int64_t S = s->n_sources;
    if (store_trim(s->runs, &s->runs_extent, s->n_runs, path, err, errlen) < 0 ||
        store_trim(s->curves, &s->curves_extent, s->curve_end, path, err, errlen) < 0 ||
        store_trim(s->source_losses.dataset, &s->source_losses.extent, s->n_runs * S, path, err,
                   errlen) < 0 ||
        store_trim(s->source_curves.dataset, &s->source_curves.extent, s->curve_end * S, path, err,
                   errlen) < 0 ||
        store_trim(s->position_losses.dataset, &s->position_losses.extent, s->n_runs, path, err,
                   errlen) < 0)
        goto fail;
    return 0;
fail:
    results_release(&dapl);
    return -1;
}

store *store_open(const char *path, const char *plan_text, uint64_t plan_hash,
                  const char *command_line, const char *version, const store_blas *blas,
                  const results_source *sources, int n_sources, int force, char *err, size_t errlen)
{
    store *s = calloc(1, sizeof(*s));
    if (!s) {
        message_format(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->lock_fd = -1;
    s->file = s->runs = s->curves = H5I_INVALID_HID;
    s->runs_memory_type = s->curves_memory_type = H5I_INVALID_HID;
    s->runs_file_space = s->curves_file_space = H5I_INVALID_HID;
    s->runs_memory_space = s->curves_memory_space = H5I_INVALID_HID;
    store_table *tables[3] = {&s->source_losses, &s->source_curves, &s->position_losses};
    for (int t = 0; t < 3; t++)
        tables[t]->dataset = tables[t]->memory_type = tables[t]->file_space =
            tables[t]->memory_space = H5I_INVALID_HID;
    s->path = strdup(path);
    s->sources = n_sources > 0 ? calloc((size_t)n_sources, sizeof *s->sources) : NULL;
    if (s->sources)
        memcpy(s->sources, sources, sizeof *s->sources * (size_t)n_sources);
    s->n_sources = n_sources;
    if (!s->path || !s->sources) {
        message_format(err, errlen, "%s: %s", path,
                       n_sources > 0 ? "out of memory" : "no sources given");
        free(s->sources);
        free(s->path);
        free(s);
        return NULL;
    }
    path = s->path;
    int created = 0;

    /* We report every error ourselves, with the stack, once. */
    STORE_CHECK(H5Eset_auto2(H5E_DEFAULT, NULL, NULL));
    s->lock_fd = store_lock(path, err, errlen);
    if (s->lock_fd < 0)
        goto fail;

    struct stat info;
    if (stat(path, &info) == 0) {
        int plan_differs = 0;
        if (store_inspect(s, plan_hash, force, &plan_differs, err, errlen) < 0 ||
            store_reopen(s, plan_differs, plan_text, plan_hash, command_line, version, err,
                         errlen) < 0)
            goto fail;
    } else if (errno == ENOENT) {
        if (store_set_reserve(s, 1024) < 0) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        created = 1;
        if (store_create(s, plan_text, plan_hash, command_line, version, err, errlen) < 0)
            goto fail;
    } else {
        message_format(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }

    /* the creator's BLAS (each row has its own run's core); attributes cannot be written once
     * SWMR writing has started */
    if (created && blas &&
        (results_write_text(s->file, RESULTS_ATTR_BLAS_CORE, blas->core, STORE_PROGRAM, path, err,
                            errlen) < 0 ||
         results_write_text(s->file, RESULTS_ATTR_BLAS_CONFIG, blas->config, STORE_PROGRAM, path,
                            err, errlen) < 0 ||
         results_write_attribute(s->file, RESULTS_ATTR_SGEMM_GFLOPS, H5T_IEEE_F64LE,
                                 H5T_NATIVE_DOUBLE, &blas->sgemm_gflops, 0, STORE_PROGRAM, path,
                                 err, errlen) < 0))
        goto fail;

    /* Rows packed in memory as in the file: on a little-endian machine the two types are
     * equal and HDF5 copies rows without converting them (a compound conversion costs a
     * 1 MB background buffer cleared at every write). */
    STORE_CHECK(s->runs_memory_type = results_table_type(
                    results_run_columns, results_run_column_count, 0, RESULTS_PACKED));
    STORE_CHECK(s->curves_memory_type = results_table_type(
                    results_point_columns, results_point_column_count, 0, RESULTS_PACKED));
    STORE_CHECK(s->runs_file_space = H5Dget_space(s->runs));
    STORE_CHECK(s->curves_file_space = H5Dget_space(s->curves));
    hsize_t one = 1;
    STORE_CHECK(s->runs_memory_space = H5Screate_simple(1, &one, NULL));
    STORE_CHECK(s->curves_memory_space = H5Screate_simple(1, &one, NULL));
    STORE_CHECK(s->source_losses.memory_type =
                    results_table_type(results_source_loss_columns,
                                       results_source_loss_column_count, 0, RESULTS_PACKED));
    STORE_CHECK(s->source_curves.memory_type =
                    results_table_type(results_source_point_columns,
                                       results_source_point_column_count, 0, RESULTS_PACKED));
    STORE_CHECK(s->position_losses.memory_type = results_table_type(
                    results_position_columns, results_position_column_count, 0, RESULTS_PACKED));
    for (int t = 0; t < 3; t++) {
        STORE_CHECK(tables[t]->file_space = H5Dget_space(tables[t]->dataset));
        STORE_CHECK(tables[t]->memory_space = H5Screate_simple(1, &one, NULL));
    }
    /* From here on, only appends; readers may open the file. */
    STORE_CHECK(H5Fstart_swmr_write(s->file));
    return s;
fail:
    /* A file we were creating is half made and ours: remove it, so that the next start
     * creates it anew instead of refusing it. An existing file is never removed. */
    if (created && s->file >= 0)
        unlink(s->path); /* while the lock is held; closing an unlinked file is harmless */
    store_close(s);
    return NULL;
}

/* ---- queries ---- */

int64_t store_count(const store *s)
{
    return s->n_runs;
}

int store_has_run(const store *s, const char *run_id)
{
    uint64_t key;
    if (!run_id || strnlen(run_id, 17) != 16 || results_parse_id(run_id, &key) < 0)
        return 0;
    return store_set_contains(s, key);
}

/* ---- append ---- */

static int store_reserve_buffer(store *s, size_t bytes)
{
    if (bytes <= s->buffer_capacity)
        return 0;
    size_t capacity = s->buffer_capacity ? s->buffer_capacity : 4096;
    while (capacity < bytes)
        capacity *= 2;
    unsigned char *buffer = realloc(s->buffer, capacity);
    if (!buffer)
        return -1;
    s->buffer = buffer;
    s->buffer_capacity = capacity;
    return 0;
}

/* Writes rows [start, start + count) of a table, extending it first if needed. */
static int store_write_rows(hid_t dataset, hid_t file_space, hid_t memory_space,
                            hid_t memory_type, int64_t *extent, int64_t start, int64_t count,
                            const void *rows, const char *path, char *err, size_t errlen)
{
    hsize_t dims = (hsize_t)*extent, unlimited = H5S_UNLIMITED;
    hsize_t offset = (hsize_t)start, length = (hsize_t)count;
    if (start + count > *extent) {
        dims = (hsize_t)(start + count);
        STORE_CHECK(H5Dset_extent(dataset, &dims));
        *extent = start + count;
    }
    /* the kept dataspace follows the extent; no H5Dget_space per append */
    STORE_CHECK(H5Sset_extent_simple(file_space, 1, &dims, &unlimited));
    STORE_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &offset, NULL, &length, NULL));
    STORE_CHECK(H5Sset_extent_simple(memory_space, 1, &length, NULL));
    STORE_CHECK(H5Dwrite(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, rows));
    return 0;
fail:
    return -1;
}

/* Each source's curve at the place of the run's curve, and its final and lowest loss at the
 * place of the run's row, and its losses by position at the same place of /position_losses,
 * flushed: like the curve, rows that no committed row accounts for until the run's row is
 * written. */
static int store_append_sources(store *s, const char *run_id, const curve_point *points,
                                int64_t n_points, const float *positions, char *err, size_t errlen)
{
    const char *path = s->path;
    const int S = s->n_sources;
    size_t row_size =
        results_row_size(results_source_point_columns, results_source_point_column_count);
    const size_t loss_size =
        results_row_size(results_source_loss_columns, results_source_loss_column_count);
    const size_t position_size =
        results_row_size(results_position_columns, results_position_column_count);
    size_t room = (size_t)(n_points > 0 ? n_points : 1) * (size_t)S *
                  (row_size > loss_size ? row_size : loss_size);
    if (room < position_size)
        room = position_size;
    if (store_reserve_buffer(s, room) < 0) {
        message_format(err, errlen, "%s: out of memory for the sources' curves", path);
        return -1;
    }
    if (n_points > 0) {
        for (int64_t i = 0; i < n_points; i++)
            for (int j = 0; j < S; j++) {
                results_source_point c;
                memset(&c, 0, sizeof c);
                memcpy(c.run_id, run_id, sizeof c.run_id);
                memcpy(c.source, s->sources[j].name, sizeof c.source);
                c.step = points[i].step;
                c.tokens = points[i].tokens;
                c.flops = points[i].flops;
                c.test_loss = j < TRAIN_MAX_SOURCES ? points[i].source_loss[j] : NAN;
                store_pack(s->buffer + (size_t)(i * S + j) * row_size, &c, sizeof c, 1,
                           results_source_point_columns, results_source_point_column_count);
            }
        if (store_write_rows(s->source_curves.dataset, s->source_curves.file_space,
                             s->source_curves.memory_space, s->source_curves.memory_type,
                             &s->source_curves.extent, s->curve_end * S, n_points * S, s->buffer,
                             path, err, errlen) < 0)
            return -1;
        STORE_CHECK(H5Dflush(s->source_curves.dataset));
    }
    for (int j = 0; j < S; j++) {
        results_source_loss l;
        memset(&l, 0, sizeof l);
        memcpy(l.run_id, run_id, sizeof l.run_id);
        memcpy(l.source, s->sources[j].name, sizeof l.source);
        train_curve_source(points, n_points, j, &l.final_loss, &l.best_loss, &l.best_step);
        store_pack(s->buffer + (size_t)j * loss_size, &l, sizeof l, 1, results_source_loss_columns,
                   results_source_loss_column_count);
    }
    if (store_write_rows(s->source_losses.dataset, s->source_losses.file_space,
                         s->source_losses.memory_space, s->source_losses.memory_type,
                         &s->source_losses.extent, s->n_runs * S, S, s->buffer, path, err,
                         errlen) < 0)
        return -1;
    STORE_CHECK(H5Dflush(s->source_losses.dataset));
    /* the losses by position, at the place of the run's row */
    results_position_row p;
    memset(&p, 0, sizeof p);
    memcpy(p.run_id, run_id, sizeof p.run_id);
    memcpy(p.loss, positions, sizeof p.loss);
    store_pack(s->buffer, &p, sizeof p, 1, results_position_columns, results_position_column_count);
    if (store_write_rows(s->position_losses.dataset, s->position_losses.file_space,
                         s->position_losses.memory_space, s->position_losses.memory_type,
                         &s->position_losses.extent, s->n_runs, 1, s->buffer, path, err,
                         errlen) < 0)
        return -1;
    STORE_CHECK(H5Dflush(s->position_losses.dataset));
    return 0;
fail:
    return -1;
}

int store_append(store *s, results_run *row, const curve_point *points, int64_t n_points, char *err,
                 size_t errlen)
{
    const char *path = s->path;
    uint64_t key;
    char run_id[RESULTS_ID_SIZE];
    results_copy_text(run_id, row->run_id, sizeof(run_id));
    if (strnlen(row->run_id, sizeof(row->run_id)) != 16 || results_parse_id(run_id, &key) < 0) {
        message_format(err, errlen, "%s: run id \"%s\" is not 16 lowercase hex digits", path,
                      run_id);
        return -1;
    }
    char config_id[RESULTS_ID_SIZE];
    uint64_t config_value;
    results_copy_text(config_id, row->config_id, sizeof(config_id));
    if (strnlen(row->config_id, sizeof(row->config_id)) != 16 ||
        results_parse_id(config_id, &config_value) < 0) {
        message_format(err, errlen,
                       "%s: run %s: config id \"%s\" is not 16 lowercase hex "
                       "digits",
                       path, run_id, config_id);
        return -1;
    }
    if (store_set_contains(s, key)) {
        message_format(err, errlen, "%s: run %s is already in the file", path, run_id);
        return -1;
    }
    if (n_points < 0 || (n_points > 0 && !points)) {
        message_format(err, errlen, "%s: run %s: no curve points given", path, run_id);
        return -1;
    }
    if (store_set_reserve(s, s->n_runs + 1) < 0) {
        message_format(err, errlen, "%s: out of memory", path);
        return -1;
    }

    /* The curve first, flushed: a crash after this leaves a curve no row points at,
     * which resume drops. */
    if (n_points > 0) {
        size_t row_size = results_row_size(results_point_columns, results_point_column_count);
        if (store_reserve_buffer(s, (size_t)n_points * row_size) < 0) {
            message_format(err, errlen, "%s: out of memory for %" PRId64 " curve points", path,
                          n_points);
            return -1;
        }
        for (int64_t i = 0; i < n_points; i++) {
            results_point c;
            memcpy(c.run_id, run_id, sizeof(c.run_id));
            c.step = points[i].step;
            c.tokens = points[i].tokens;
            c.flops = points[i].flops;
            c.train_loss = points[i].train_loss;
            c.test_loss = points[i].test_loss;
            c.lr = points[i].lr;
            store_pack(s->buffer + (size_t)i * row_size, &c, sizeof(c), 1, results_point_columns,
                       results_point_column_count);
        }
        if (store_write_rows(s->curves, s->curves_file_space, s->curves_memory_space,
                             s->curves_memory_type, &s->curves_extent, s->curve_end, n_points,
                             s->buffer, path, err, errlen) < 0)
            return -1;
        STORE_CHECK(H5Dflush(s->curves));
    }
    if (store_append_sources(s, run_id, points, n_points, row->position_loss, err, errlen) < 0)
        return -1;

    /* Then the row, flushed: the commit. */
    results_run copy = *row;
    memcpy(copy.run_id, run_id, sizeof(copy.run_id));
    memcpy(copy.config_id, config_id, sizeof(copy.config_id));
    results_copy_text(copy.status, row->status, sizeof(copy.status));
    results_copy_text(copy.reason, row->reason, sizeof(copy.reason));
    results_copy_text(copy.host, row->host, sizeof(copy.host));
    results_copy_text(copy.mixture, row->mixture, sizeof(copy.mixture));
    copy.curve_offset = s->curve_end;
    copy.curve_length = n_points;
    /* the curve is on disk: the buffer is free for the row */
    if (store_reserve_buffer(s, sizeof(results_run)) < 0) {
        message_format(err, errlen, "%s: out of memory", path);
        return -1;
    }
    store_pack(s->buffer, &copy, sizeof(copy), 1, results_run_columns, results_run_column_count);
    if (store_write_rows(s->runs, s->runs_file_space, s->runs_memory_space,
                         s->runs_memory_type, &s->runs_extent, s->n_runs, 1, s->buffer, path,
                         err, errlen) < 0)
        return -1;
    STORE_CHECK(H5Dflush(s->runs));

    s->n_runs++;
    s->curve_end += n_points;
    store_set_place(s->set_keys, s->set_used, s->set_capacity, key);
    row->curve_offset = copy.curve_offset;
    row->curve_length = copy.curve_length;
    return 0;
fail:
    return -1;
}

/* ---- close ---- */

void store_close(store *s)
{
    if (!s)
        return;
    /* objects before the file, whose close flushes and clears the status flags */
    results_release(&s->runs_memory_space);
    results_release(&s->curves_memory_space);
    results_release(&s->runs_file_space);
    results_release(&s->curves_file_space);
    results_release(&s->runs_memory_type);
    results_release(&s->curves_memory_type);
    results_release(&s->runs);
    results_release(&s->curves);
    store_table *tables[3] = {&s->source_losses, &s->source_curves, &s->position_losses};
    for (int t = 0; t < 3; t++) {
        results_release(&tables[t]->memory_space);
        results_release(&tables[t]->file_space);
        results_release(&tables[t]->memory_type);
        results_release(&tables[t]->dataset);
    }
    if (s->file >= 0 && H5Fclose(s->file) < 0) {
        fprintf(stderr, "scalesweep: %s: closing the results file failed:\n",
                s->path ? s->path : "?");
        H5Eprint2(H5E_DEFAULT, stderr);
    }
    s->file = H5I_INVALID_HID;
    /* the lock goes last: the file is complete before another writer may open it */
    results_unlock(s->lock_fd);
    free(s->set_keys);
    free(s->set_used);
    free(s->buffer);
    free(s->sources);
    free(s->path);
    free(s);
}
