/* The HDF5 results file (schema 1): creation, resume, crash recovery and appends.
 * The layout is in store.h; docs/results.md documents it for readers of the file.
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
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

/* Rows per chunk (405 and 53 bytes a row: 104 kB and 217 kB chunks). Appends write
 * straight into the chunk's place in the file (the chunk cache is off, see
 * store_dataset_access), so the size only sets how often a chunk is allocated and how
 * large the chunk index grows, not what an append costs. */
#define STORE_RUNS_CHUNK 256
#define STORE_CURVES_CHUNK 4096

/* Private file-access property of HDF5 1.10 (H5Fprivate.h), the one h5clear -s and the
 * library's own flush tests set: it zeroes the superblock's status flags as the file is
 * opened. Reachable through the public H5Pset because the library registers it in every
 * file-access list. */
#define STORE_CLEAR_STATUS_FLAGS "clear_status_flags"

/* A run's curve row in memory: a curve_point plus the run id that /curves repeats so
 * that the table reads on its own. */
typedef struct {
    char run_id[17];
    int64_t step;
    int64_t tokens;
    double flops;
    float train_loss;
    float test_loss;
    float lr;
} store_curve_row;

typedef enum {
    COLUMN_INT32,
    COLUMN_INT64,
    COLUMN_FLOAT32,
    COLUMN_FLOAT64,
    COLUMN_STRING
} store_kind;

/* One column of a table: where it is in the C struct, its type, and what the file says
 * about it (the units and descriptions attributes). */
typedef struct {
    const char *name;
    size_t offset;   /* in the C struct */
    size_t size;     /* bytes; strings include their terminator */
    store_kind kind;
    const char *unit;
    const char *description;
} store_column;

#define STORE_COLUMN(type, field, kind, unit, description) \
    { #field, offsetof(type, field), sizeof(((type *)0)->field), kind, unit, description }

static const store_column store_run_columns[] = {
    STORE_COLUMN(store_row, run_id, COLUMN_STRING, "",
                 "16 hex digits: stable hash of the run's configuration"),
    STORE_COLUMN(store_row, n_layer, COLUMN_INT32, "layers", "transformer blocks"),
    STORE_COLUMN(store_row, d_model, COLUMN_INT32, "channels", "width"),
    STORE_COLUMN(store_row, n_head, COLUMN_INT32, "heads", "attention heads"),
    STORE_COLUMN(store_row, n_ctx, COLUMN_INT32, "tokens", "context length"),
    STORE_COLUMN(store_row, n_params, COLUMN_INT64, "parameters",
                 "N, non-embedding parameters"),
    STORE_COLUMN(store_row, n_params_total, COLUMN_INT64, "parameters",
                 "N_total, with token and position embeddings"),
    STORE_COLUMN(store_row, tokens, COLUMN_INT64, "tokens", "D, tokens trained on"),
    STORE_COLUMN(store_row, unique_tokens, COLUMN_INT64, "tokens",
                 "distinct training tokens among D"),
    STORE_COLUMN(store_row, seed, COLUMN_INT64, "", "seed of weights and data order"),
    STORE_COLUMN(store_row, lr, COLUMN_FLOAT32, "", "peak learning rate"),
    STORE_COLUMN(store_row, batch, COLUMN_INT32, "sequences",
                 "sequences per step; tokens per step = batch * n_ctx"),
    STORE_COLUMN(store_row, steps, COLUMN_INT64, "steps", "optimiser steps taken"),
    STORE_COLUMN(store_row, flops, COLUMN_FLOAT64, "FLOP", "C = 6 N D"),
    STORE_COLUMN(store_row, flops_attention, COLUMN_FLOAT64, "FLOP",
                 "C with attention: (6 N + 6 n_layer n_ctx d_model) D"),
    STORE_COLUMN(store_row, final_test_loss, COLUMN_FLOAT32, "nats/token",
                 "held-out loss at the last evaluation"),
    STORE_COLUMN(store_row, best_test_loss, COLUMN_FLOAT32, "nats/token",
                 "lowest held-out loss of the run"),
    STORE_COLUMN(store_row, best_step, COLUMN_INT64, "steps", "step of best_test_loss"),
    STORE_COLUMN(store_row, train_loss, COLUMN_FLOAT32, "nats/token",
                 "mean training loss since the previous evaluation"),
    STORE_COLUMN(store_row, stopped_early, COLUMN_INT32, "",
                 "1 if early stopping ended the run, else 0"),
    STORE_COLUMN(store_row, status, COLUMN_STRING, "",
                 "ok, diverged, failed or interrupted"),
    STORE_COLUMN(store_row, reason, COLUMN_STRING, "",
                 "why a run diverged or failed; empty when ok"),
    STORE_COLUMN(store_row, seconds, COLUMN_FLOAT64, "s", "training wall time"),
    STORE_COLUMN(store_row, tokens_per_second, COLUMN_FLOAT64, "tokens/s",
                 "training throughput"),
    STORE_COLUMN(store_row, rank, COLUMN_INT32, "", "MPI rank that trained the run"),
    STORE_COLUMN(store_row, host, COLUMN_STRING, "", "host name of that rank"),
    STORE_COLUMN(store_row, curve_offset, COLUMN_INT64, "rows",
                 "first row of this run in /curves"),
    STORE_COLUMN(store_row, curve_length, COLUMN_INT64, "rows",
                 "number of rows of this run in /curves"),
};

static const store_column store_curve_columns[] = {
    STORE_COLUMN(store_curve_row, run_id, COLUMN_STRING, "", "run this point belongs to"),
    STORE_COLUMN(store_curve_row, step, COLUMN_INT64, "steps", "optimiser steps done"),
    STORE_COLUMN(store_curve_row, tokens, COLUMN_INT64, "tokens",
                 "tokens trained on so far = step * batch * n_ctx"),
    STORE_COLUMN(store_curve_row, flops, COLUMN_FLOAT64, "FLOP", "6 N tokens"),
    STORE_COLUMN(store_curve_row, train_loss, COLUMN_FLOAT32, "nats/token",
                 "mean training loss since the previous point"),
    STORE_COLUMN(store_curve_row, test_loss, COLUMN_FLOAT32, "nats/token",
                 "held-out loss"),
    STORE_COLUMN(store_curve_row, lr, COLUMN_FLOAT32, "", "learning rate of the last step"),
};

#define STORE_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The columns resume reads from /runs, by name (HDF5 converts a compound member-wise). */
typedef struct {
    char run_id[17];
    int64_t curve_offset;
    int64_t curve_length;
} store_run_slice;

struct store {
    char *path;
    int lock_fd;                 /* flock on PATH.lock while we write, or -1 */
    hid_t file;
    hid_t runs;                  /* /runs */
    hid_t curves;                /* /curves */
    hid_t runs_memory_type;      /* packed rows, native byte order (store_table_type) */
    hid_t curves_memory_type;
    hid_t runs_file_space;       /* kept at the dataset's extent, selection per append */
    hid_t curves_file_space;
    hid_t runs_memory_space;     /* one row */
    hid_t curves_memory_space;   /* resized to each curve */
    int64_t n_runs;              /* committed rows of /runs */
    int64_t runs_extent;         /* rows /runs has (n_runs, or one more after a failed append) */
    int64_t curve_end;           /* where the next curve goes: just after the last committed one */
    int64_t curves_extent;
    /* run ids present, open addressing on their 64-bit values */
    uint64_t *set_keys;
    unsigned char *set_used;
    size_t set_capacity;         /* a power of two, at least twice the count */
    unsigned char *buffer;       /* packed rows being appended */
    size_t buffer_capacity;      /* bytes */
};

/* ---- errors ---- */

static void store_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

typedef struct {
    char *out;
    size_t length;
    size_t capacity;
    char last[256];
} store_stack_text;

/* Appends each error description of HDF5's stack, from the API call down to the root
 * cause, skipping repeats: "unable to open file: unable to lock file, errno = 11". */
static herr_t store_stack_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    store_stack_text *text = data;
    const char *desc = e->desc ? e->desc : "";
    if (desc[0] == '\0' || strcmp(desc, text->last) == 0)
        return 0;
    snprintf(text->last, sizeof(text->last), "%s", desc);
    if (text->length + 1 < text->capacity) {
        int written = snprintf(text->out + text->length, text->capacity - text->length,
                               ": %s", desc);
        if (written > 0)
            text->length += (size_t)written;
        if (text->length >= text->capacity)
            text->length = text->capacity - 1;
    }
    return 0;
}

/* A failed HDF5 call: err gets "PATH: CALL failed: descriptions...", and the full stack
 * goes to stderr (with file and line of each frame, for a bug report). */
static void store_hdf5_error(char *err, size_t errlen, const char *path, const char *call)
{
    fprintf(stderr, "scalesweep: %s: %s failed; HDF5 error stack:\n", path, call);
    H5Eprint2(H5E_DEFAULT, stderr);
    if (!err || errlen == 0)
        return;
    int written = snprintf(err, errlen, "%s: %s failed", path, call);
    store_stack_text text = {err, written > 0 ? (size_t)written : 0, errlen, ""};
    if (text.length >= errlen)
        return;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, store_stack_walk, &text);
}

/* Every HDF5 call goes through this: a negative hid_t, herr_t or htri_t is a failure.
 * Expects `path`, `err`, `errlen` and a `fail` label in scope. */
#define STORE_CHECK(call)                                  \
    do {                                                   \
        if ((call) < 0) {                                  \
            store_hdf5_error(err, errlen, path, #call);    \
            goto fail;                                     \
        }                                                  \
    } while (0)

/* Closes any HDF5 identifier by its kind; for cleanup paths, where a second error would
 * only hide the first. */
static void store_release(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: H5Idec_ref(*id); break;
    }
    *id = H5I_INVALID_HID;
}

/* ---- run ids and their set ---- */

/* A run id is exactly 16 lowercase hex digits (the plan writes them with %016x). */
static int store_parse_run_id(const char *run_id, uint64_t *value)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = run_id[i];
        int digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            return -1;
        v = (v << 4) | (uint64_t)digit;
    }
    if (run_id[16] != '\0')
        return -1;
    *value = v;
    return 0;
}

/* Run ids are already hashes, but a plan could use structured ones: mix anyway. */
static size_t store_set_slot(uint64_t key, size_t capacity)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return (size_t)key & (capacity - 1);
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

static hid_t store_string_type(size_t size)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return type;
    if (H5Tset_size(type, size) < 0 || H5Tset_strpad(type, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(type, H5T_CSET_ASCII) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

/* Bytes of one packed row. */
static size_t store_row_size(const store_column *columns, size_t n_columns)
{
    size_t size = 0;
    for (size_t i = 0; i < n_columns; i++)
        size += columns[i].size;
    return size;
}

/* The compound type of a table: packed, in the order of its columns; little-endian in
 * the file, so that it reads the same on any machine, and native in memory. On a
 * little-endian machine the two are equal, and HDF5 then copies rows without converting
 * them (a compound conversion costs a 1 MB background buffer cleared at every write). */
static hid_t store_table_type(const store_column *columns, size_t n_columns, int in_file)
{
    hid_t compound = H5Tcreate(H5T_COMPOUND, store_row_size(columns, n_columns));
    if (compound < 0)
        return compound;
    size_t offset = 0;
    for (size_t i = 0; i < n_columns; i++) {
        const store_column *c = &columns[i];
        hid_t member = H5I_INVALID_HID;
        int owned = 0;
        switch (c->kind) {
        case COLUMN_INT32: member = in_file ? H5T_STD_I32LE : H5T_NATIVE_INT32; break;
        case COLUMN_INT64: member = in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64; break;
        case COLUMN_FLOAT32: member = in_file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT; break;
        case COLUMN_FLOAT64: member = in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; break;
        case COLUMN_STRING:
            member = store_string_type(c->size);
            owned = 1;
            break;
        }
        herr_t status = member < 0 ? -1 : H5Tinsert(compound, c->name, offset, member);
        if (owned && member >= 0)
            H5Tclose(member);
        if (status < 0) {
            H5Tclose(compound);
            return H5I_INVALID_HID;
        }
        offset += c->size;
    }
    return compound;
}

/* Copies C structs into the packed rows of store_table_type. */
static void store_pack(unsigned char *packed, const void *rows, size_t struct_size, int64_t n_rows,
                       const store_column *columns, size_t n_columns)
{
    const unsigned char *from = rows;
    for (int64_t r = 0; r < n_rows; r++, from += struct_size)
        for (size_t i = 0; i < n_columns; i++) {
            memcpy(packed, from + columns[i].offset, columns[i].size);
            packed += columns[i].size;
        }
}

/* Whether a dataset's compound type has every column of ours with the right class (a
 * resumed file must be one this code wrote, or it would be appended to wrongly). */
static int store_columns_match(hid_t type, const store_column *columns, size_t n_columns,
                               char *what, size_t whatlen)
{
    if (H5Tget_class(type) != H5T_COMPOUND) {
        snprintf(what, whatlen, "not a compound type");
        return 0;
    }
    for (size_t i = 0; i < n_columns; i++) {
        const store_column *c = &columns[i];
        int index = H5Tget_member_index(type, c->name);
        if (index < 0) {
            snprintf(what, whatlen, "no column %s", c->name);
            return 0;
        }
        H5T_class_t want = c->kind == COLUMN_STRING ? H5T_STRING
                         : (c->kind == COLUMN_FLOAT32 || c->kind == COLUMN_FLOAT64) ? H5T_FLOAT
                                                                                    : H5T_INTEGER;
        if (H5Tget_member_class(type, (unsigned)index) != want) {
            snprintf(what, whatlen, "column %s has the wrong type", c->name);
            return 0;
        }
    }
    return 1;
}

static hid_t store_text_type(void)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0)
        return type;
    if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

/* Writes (or replaces) a variable-length UTF-8 string attribute, or an array of them
 * when count > 0: h5py reads either as str. */
static int store_write_text(hid_t object, const char *name, const char *const *values,
                            hsize_t count, const char *path, char *err, size_t errlen)
{
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, attribute = H5I_INVALID_HID;
    htri_t exists;
    STORE_CHECK(type = store_text_type());
    if (count > 0)
        STORE_CHECK(space = H5Screate_simple(1, &count, NULL));
    else
        STORE_CHECK(space = H5Screate(H5S_SCALAR));
    STORE_CHECK(exists = H5Aexists(object, name));
    if (exists)
        STORE_CHECK(H5Adelete(object, name));
    STORE_CHECK(attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
    STORE_CHECK(H5Awrite(attribute, type, values));
    STORE_CHECK(H5Aclose(attribute));
    STORE_CHECK(H5Sclose(space));
    STORE_CHECK(H5Tclose(type));
    return 0;
fail:
    store_release(&attribute);
    store_release(&space);
    store_release(&type);
    return -1;
}

/* Reads a scalar string attribute into out (truncated to outlen). A missing attribute
 * gives 1 and an empty string; the caller decides whether that is an error. */
static int store_read_text(hid_t object, const char *name, char *out, size_t outlen,
                           const char *path, char *err, size_t errlen)
{
    hid_t attribute = H5I_INVALID_HID, type = H5I_INVALID_HID, memory = H5I_INVALID_HID;
    char *value = NULL;
    htri_t exists, variable;
    out[0] = '\0';
    STORE_CHECK(exists = H5Aexists(object, name));
    if (!exists)
        return 1;
    STORE_CHECK(attribute = H5Aopen(object, name, H5P_DEFAULT));
    STORE_CHECK(type = H5Aget_type(attribute));
    if (H5Tget_class(type) != H5T_STRING) {
        store_error(err, errlen, "%s: attribute %s is not a string", path, name);
        goto fail;
    }
    STORE_CHECK(variable = H5Tis_variable_str(type));
    if (variable) {
        STORE_CHECK(memory = store_text_type());
        STORE_CHECK(H5Aread(attribute, memory, &value));
        snprintf(out, outlen, "%s", value ? value : "");
        H5free_memory(value);
    } else {
        size_t size = H5Tget_size(type);
        char *fixed = calloc(size + 1, 1);
        if (!fixed) {
            store_error(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        STORE_CHECK(memory = store_string_type(size + 1));
        herr_t status = H5Aread(attribute, memory, fixed);
        if (status >= 0)
            snprintf(out, outlen, "%s", fixed);
        free(fixed);
        STORE_CHECK(status);
    }
    store_release(&memory);
    STORE_CHECK(H5Tclose(type));
    STORE_CHECK(H5Aclose(attribute));
    return 0;
fail:
    store_release(&memory);
    store_release(&type);
    store_release(&attribute);
    return -1;
}

static int store_write_int(hid_t object, const char *name, int value, const char *path,
                           char *err, size_t errlen)
{
    hid_t space = H5I_INVALID_HID, attribute = H5I_INVALID_HID;
    STORE_CHECK(space = H5Screate(H5S_SCALAR));
    STORE_CHECK(attribute = H5Acreate2(object, name, H5T_STD_I32LE, space, H5P_DEFAULT,
                                       H5P_DEFAULT));
    STORE_CHECK(H5Awrite(attribute, H5T_NATIVE_INT, &value));
    STORE_CHECK(H5Aclose(attribute));
    STORE_CHECK(H5Sclose(space));
    return 0;
fail:
    store_release(&attribute);
    store_release(&space);
    return -1;
}

/* The plan's identity: plan_text, plan_hash (16 hex digits), command_line and the
 * version that wrote them. Written at creation, and again when force adopts a file. */
static int store_write_plan(hid_t file, const char *plan_text, uint64_t plan_hash,
                            const char *command_line, const char *version, const char *path,
                            char *err, size_t errlen)
{
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, plan_hash);
    const char *plan = plan_text ? plan_text : "";
    const char *command = command_line ? command_line : "";
    const char *written_by = version ? version : "";
    const char *hash_text = hash;
    if (store_write_text(file, "scalesweep_version", &written_by, 0, path, err, errlen) < 0 ||
        store_write_text(file, "plan_text", &plan, 0, path, err, errlen) < 0 ||
        store_write_text(file, "plan_hash", &hash_text, 0, path, err, errlen) < 0 ||
        store_write_text(file, "command_line", &command, 0, path, err, errlen) < 0)
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

static hid_t store_create_table(hid_t file, const char *name, const store_column *columns,
                                size_t n_columns, hsize_t chunk_rows, const char *description,
                                const char *path, char *err, size_t errlen)
{
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    hid_t dapl = H5I_INVALID_HID, dataset = H5I_INVALID_HID;
    hsize_t zero = 0, unlimited = H5S_UNLIMITED;
    const char *units[32], *descriptions[32];
    if (n_columns > 32) {
        store_error(err, errlen, "%s: table %s has too many columns", path, name);
        return H5I_INVALID_HID;
    }
    for (size_t i = 0; i < n_columns; i++) {
        units[i] = columns[i].unit;
        descriptions[i] = columns[i].description;
    }
    STORE_CHECK(type = store_table_type(columns, n_columns, 1));
    STORE_CHECK(space = H5Screate_simple(1, &zero, &unlimited));
    STORE_CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE));
    STORE_CHECK(H5Pset_chunk(dcpl, 1, &chunk_rows));
    /* Never fill: every row inside the extent is written before the extent is flushed,
     * and a fill would make the first write of each chunk go through the cache. */
    STORE_CHECK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER));
    STORE_CHECK(dapl = store_dataset_access());
    STORE_CHECK(dataset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, dapl));
    if (store_write_text(dataset, "units", units, n_columns, path, err, errlen) < 0 ||
        store_write_text(dataset, "descriptions", descriptions, n_columns, path, err,
                         errlen) < 0 ||
        store_write_text(dataset, "description", &description, 0, path, err, errlen) < 0)
        goto fail;
    STORE_CHECK(H5Pclose(dapl));
    STORE_CHECK(H5Pclose(dcpl));
    STORE_CHECK(H5Sclose(space));
    STORE_CHECK(H5Tclose(type));
    return dataset;
fail:
    store_release(&dataset);
    store_release(&dapl);
    store_release(&dcpl);
    store_release(&space);
    store_release(&type);
    return H5I_INVALID_HID;
}

static int store_extent(hid_t dataset, int64_t *rows, const char *path, char *err,
                        size_t errlen)
{
    hid_t space = H5I_INVALID_HID;
    hsize_t dims = 0;
    int rank;
    STORE_CHECK(space = H5Dget_space(dataset));
    STORE_CHECK(rank = H5Sget_simple_extent_ndims(space));
    if (rank != 1) {
        store_error(err, errlen, "%s: a table has %d dimensions, not 1", path, rank);
        goto fail;
    }
    STORE_CHECK(H5Sget_simple_extent_dims(space, &dims, NULL));
    STORE_CHECK(H5Sclose(space));
    *rows = (int64_t)dims;
    return 0;
fail:
    store_release(&space);
    return -1;
}

/* ---- the lock ---- */

/* One writer per file. HDF5's own lock is released once SWMR writing starts, and the
 * superblock's "open for writing" flags survive a crash, so neither tells a live writer
 * from a dead one; an flock on a file beside it does, since the kernel drops it when the
 * process dies. Not on the results file itself: SWMR readers hold flocks on that. */
static int store_lock(const char *path, char *err, size_t errlen)
{
    size_t length = strlen(path) + sizeof(".lock");
    char *lock_path = malloc(length);
    if (!lock_path) {
        store_error(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(lock_path, length, "%s.lock", path);
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        store_error(err, errlen, "%s: cannot create %s: %s", path, lock_path, strerror(errno));
        free(lock_path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int error = errno;
        if (error == EWOULDBLOCK) {
            store_error(err, errlen,
                        "%s: another process is writing this file (it holds %s); "
                        "two sweeps cannot share one output",
                        path, lock_path);
            close(fd);
            free(lock_path);
            return -1;
        }
        /* A file system without flock: go on unguarded, as HDF5 does when its own
         * locking is unavailable, but say so. */
        fprintf(stderr, "scalesweep: warning: cannot lock %s (%s); make sure no other "
                        "sweep writes %s\n", lock_path, strerror(error), path);
    }
    free(lock_path);
    return fd;
}

/* ---- open ---- */

static hid_t store_file_access(int clear_flags, const char *path, char *err, size_t errlen)
{
    hid_t fapl = H5I_INVALID_HID;
    STORE_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS));
    /* the latest format: SWMR needs its checksummed metadata and chunk indexes */
    STORE_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST));
    /* No HDF5 file lock for the writer: PATH.lock already keeps writers apart, and a
     * reader watching the file (h5py holds a shared lock while open) must not make a
     * resumed or requeued sweep fail to open its own results. SWMR keeps the reader safe. */
    STORE_CHECK(H5Pset_file_locking(fapl, 0, 1));
    if (clear_flags) {
        htri_t exists;
        STORE_CHECK(exists = H5Pexist(fapl, STORE_CLEAR_STATUS_FLAGS));
        if (exists) {
            hbool_t clear = 1;
            STORE_CHECK(H5Pset(fapl, STORE_CLEAR_STATUS_FLAGS, &clear));
        }
        /* Without the property (another HDF5 version), a crashed file is refused with
         * HDF5's own message, which names h5clear. */
    }
    return fapl;
fail:
    store_release(&fapl);
    return H5I_INVALID_HID;
}

static void store_iso_time(char *out, size_t outlen)
{
    time_t now = time(NULL);
    struct tm utc;
    if (gmtime_r(&now, &utc))
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &utc);
    else
        snprintf(out, outlen, "unknown");
}

static int store_create(store *s, const char *plan_text, uint64_t plan_hash,
                        const char *command_line, const char *version, char *err, size_t errlen)
{
    const char *path = s->path;
    hid_t fapl = H5I_INVALID_HID;
    char created[32];
    const char *created_text = created;
    STORE_CHECK(fapl = store_file_access(0, path, err, errlen));
    /* EXCL: a file that appeared since we looked is someone else's */
    STORE_CHECK(s->file = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl));
    STORE_CHECK(H5Pclose(fapl));
    store_iso_time(created, sizeof(created));
    if (store_write_int(s->file, "schema_version", STORE_SCHEMA_VERSION, path, err, errlen) < 0 ||
        store_write_plan(s->file, plan_text, plan_hash, command_line, version, path, err,
                         errlen) < 0 ||
        store_write_text(s->file, "created", &created_text, 0, path, err, errlen) < 0)
        goto fail;
    STORE_CHECK(s->runs = store_create_table(
                    s->file, "runs", store_run_columns, STORE_COUNT(store_run_columns),
                    STORE_RUNS_CHUNK, "one row per run that ended; its curve is "
                    "/curves[curve_offset : curve_offset + curve_length]",
                    path, err, errlen));
    STORE_CHECK(s->curves = store_create_table(
                    s->file, "curves", store_curve_columns, STORE_COUNT(store_curve_columns),
                    STORE_CURVES_CHUNK, "every evaluation of every run; a run's rows are "
                    "contiguous and in step order", path, err, errlen));
    return 0;
fail:
    store_release(&fapl);
    return -1;
}

/* Step 1 of resuming: everything that could refuse the file, read-only. Fills the run
 * id set, n_runs (rows with a run id; trailing rows without one were never written),
 * the extents, and curve_end. */
static int store_inspect(store *s, uint64_t plan_hash, int force, int *plan_differs,
                         char *err, size_t errlen)
{
    const char *path = s->path;
    hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID, runs = H5I_INVALID_HID;
    hid_t curves = H5I_INVALID_HID, type = H5I_INVALID_HID, slice_type = H5I_INVALID_HID;
    hid_t id_type = H5I_INVALID_HID;
    store_run_slice *slices = NULL;
    htri_t exists;
    int schema = 0;
    char stored_hash[64], what[128];

    /* SWMR read: it never writes, reads a crashed writer's data past the stale end of
     * allocation in the superblock, and (with the flags cleared in memory) opens a file
     * whatever its status flags say. */
    STORE_CHECK(fapl = store_file_access(1, path, err, errlen));
    STORE_CHECK(file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl));
    STORE_CHECK(H5Pclose(fapl));

    STORE_CHECK(exists = H5Aexists(file, "schema_version"));
    if (!exists) {
        store_error(err, errlen, "%s: not a scalesweep results file (no schema_version "
                    "attribute); refusing to write to it", path);
        goto fail;
    }
    {
        hid_t attribute = H5I_INVALID_HID;
        STORE_CHECK(attribute = H5Aopen(file, "schema_version", H5P_DEFAULT));
        herr_t status = H5Aread(attribute, H5T_NATIVE_INT, &schema);
        H5Aclose(attribute);
        STORE_CHECK(status);
    }
    if (schema != STORE_SCHEMA_VERSION) {
        store_error(err, errlen, "%s: results schema version %d; this scalesweep writes "
                    "version %d and will not append to another", path, schema,
                    STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (store_read_text(file, "plan_hash", stored_hash, sizeof(stored_hash), path, err,
                        errlen) < 0)
        goto fail;
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, plan_hash);
    *plan_differs = strcmp(stored_hash, hash) != 0;
    if (*plan_differs && !force) {
        store_error(err, errlen, "%s holds the results of another plan (plan_hash %s in the "
                    "file, %s for this plan); use another output, or force to add this "
                    "plan's runs to it", path, stored_hash[0] ? stored_hash : "(none)", hash);
        goto fail;
    }

    STORE_CHECK(runs = H5Dopen2(file, "runs", H5P_DEFAULT));
    STORE_CHECK(type = H5Dget_type(runs));
    if (!store_columns_match(type, store_run_columns, STORE_COUNT(store_run_columns), what,
                             sizeof(what))) {
        store_error(err, errlen, "%s: /runs is not a scalesweep table: %s", path, what);
        goto fail;
    }
    STORE_CHECK(H5Tclose(type));
    STORE_CHECK(curves = H5Dopen2(file, "curves", H5P_DEFAULT));
    STORE_CHECK(type = H5Dget_type(curves));
    if (!store_columns_match(type, store_curve_columns, STORE_COUNT(store_curve_columns), what,
                             sizeof(what))) {
        store_error(err, errlen, "%s: /curves is not a scalesweep table: %s", path, what);
        goto fail;
    }
    STORE_CHECK(H5Tclose(type));
    if (store_extent(runs, &s->runs_extent, path, err, errlen) < 0 ||
        store_extent(curves, &s->curves_extent, path, err, errlen) < 0)
        goto fail;

    /* the run id and curve slice of every row, in one read */
    if (s->runs_extent > 0) {
        slices = calloc((size_t)s->runs_extent, sizeof(*slices));
        if (!slices) {
            store_error(err, errlen, "%s: out of memory for %" PRId64 " rows", path,
                        s->runs_extent);
            goto fail;
        }
        STORE_CHECK(slice_type = H5Tcreate(H5T_COMPOUND, sizeof(store_run_slice)));
        STORE_CHECK(id_type = store_string_type(sizeof(slices->run_id)));
        STORE_CHECK(H5Tinsert(slice_type, "run_id", offsetof(store_run_slice, run_id), id_type));
        STORE_CHECK(H5Tinsert(slice_type, "curve_offset",
                              offsetof(store_run_slice, curve_offset), H5T_NATIVE_INT64));
        STORE_CHECK(H5Tinsert(slice_type, "curve_length",
                              offsetof(store_run_slice, curve_length), H5T_NATIVE_INT64));
        STORE_CHECK(H5Dread(runs, slice_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, slices));
    }
    /* Rows past the last one with a run id were extended but never written (a crash
     * between the two): not committed. */
    s->n_runs = s->runs_extent;
    while (s->n_runs > 0 && slices[s->n_runs - 1].run_id[0] == '\0')
        s->n_runs--;
    if (store_set_reserve(s, s->n_runs + 1024) < 0) {
        store_error(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    int64_t expected_offset = 0;
    for (int64_t i = 0; i < s->n_runs; i++) {
        const store_run_slice *row = &slices[i];
        uint64_t key;
        /* the strings are NUL-terminated by the conversion; be sure anyway */
        char run_id[sizeof(row->run_id)];
        memcpy(run_id, row->run_id, sizeof(run_id));
        run_id[sizeof(run_id) - 1] = '\0';
        if (store_parse_run_id(run_id, &key) < 0) {
            store_error(err, errlen, "%s: row %" PRId64 " of /runs has run_id \"%s\", not 16 "
                        "hex digits; the file is damaged", path, i, run_id);
            goto fail;
        }
        if (store_set_contains(s, key)) {
            store_error(err, errlen, "%s: run %s appears twice in /runs (row %" PRId64 "); "
                        "the file is damaged", path, run_id, i);
            goto fail;
        }
        /* appends keep every curve right after the previous one */
        if (row->curve_offset != expected_offset || row->curve_length < 0 ||
            row->curve_offset + row->curve_length > s->curves_extent) {
            store_error(err, errlen, "%s: row %" PRId64 " of /runs (run %s) points at /curves "
                        "rows %" PRId64 "+%" PRId64 ", but the previous run ends at %" PRId64
                        " and /curves has %" PRId64 " rows; the file is damaged", path, i,
                        run_id, row->curve_offset, row->curve_length, expected_offset,
                        s->curves_extent);
            goto fail;
        }
        expected_offset = row->curve_offset + row->curve_length;
        store_set_place(s->set_keys, s->set_used, s->set_capacity, key);
    }
    s->curve_end = expected_offset;

    store_release(&id_type);
    store_release(&slice_type);
    free(slices);
    STORE_CHECK(H5Dclose(curves));
    STORE_CHECK(H5Dclose(runs));
    STORE_CHECK(H5Fclose(file));
    return 0;
fail:
    free(slices);
    store_release(&id_type);
    store_release(&slice_type);
    store_release(&type);
    store_release(&curves);
    store_release(&runs);
    store_release(&file);
    store_release(&fapl);
    return -1;
}

/* Step 2 of resuming: open for writing and repair what a crashed writer left. */
static int store_reopen(store *s, int plan_differs, const char *plan_text, uint64_t plan_hash,
                        const char *command_line, const char *version, char *err,
                        size_t errlen)
{
    const char *path = s->path;
    hid_t fapl = H5I_INVALID_HID, dapl = H5I_INVALID_HID;
    /* A writer that died in SWMR mode left the superblock's "open for writing" flags
     * set, and HDF5 refuses such a file; we hold the writer's lock, so no writer is
     * alive and the flags can go. */
    STORE_CHECK(fapl = store_file_access(1, path, err, errlen));
    s->file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    if (s->file < 0) {
        store_hdf5_error(err, errlen, path, "H5Fopen(path, H5F_ACC_RDWR, fapl)");
        /* HDF5 readers hold a shared flock on the file until they close it */
        size_t length = err ? strlen(err) : 0;
        if (err && strstr(err, "unable to lock file") && length + 1 < errlen)
            snprintf(err + length, errlen - length, " (a reader such as h5py has the file "
                     "open: close it and start again; readers opened while the sweep runs "
                     "do not block it)");
        goto fail;
    }
    /* It also left the superblock's end-of-allocation where it was when SWMR writing
     * started: every chunk written since lies beyond it. Opened as is, reads there fail
     * ("addr overflow"), new space would be allocated on top of them, and closing would
     * truncate the file to that address (which is what h5clear -s alone does). Move it
     * to the end of the file; on a file closed cleanly the two are already equal. This
     * comes right after the open: until it succeeds, any close would truncate. */
    STORE_CHECK(H5Fincrement_filesize(s->file, 0));
    STORE_CHECK(H5Pclose(fapl));
    if (plan_differs &&
        store_write_plan(s->file, plan_text, plan_hash, command_line, version, path, err,
                         errlen) < 0)
        goto fail;
    STORE_CHECK(dapl = store_dataset_access());
    STORE_CHECK(s->runs = H5Dopen2(s->file, "runs", dapl));
    STORE_CHECK(s->curves = H5Dopen2(s->file, "curves", dapl));
    STORE_CHECK(H5Pclose(dapl));
    /* Drop what was never committed: rows extended but not written, and the curve of a
     * run whose row never came. Shrinking is allowed only before SWMR writing starts. */
    if (s->runs_extent > s->n_runs) {
        hsize_t rows = (hsize_t)s->n_runs;
        STORE_CHECK(H5Dset_extent(s->runs, &rows));
        s->runs_extent = s->n_runs;
    }
    if (s->curves_extent > s->curve_end) {
        hsize_t rows = (hsize_t)s->curve_end;
        STORE_CHECK(H5Dset_extent(s->curves, &rows));
        s->curves_extent = s->curve_end;
    }
    return 0;
fail:
    store_release(&dapl);
    store_release(&fapl);
    return -1;
}

store *store_open(const char *path, const char *plan_text, uint64_t plan_hash,
                  const char *command_line, const char *version, int force,
                  char *err, size_t errlen)
{
    store *s = calloc(1, sizeof(*s));
    if (!s) {
        store_error(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->lock_fd = -1;
    s->file = s->runs = s->curves = H5I_INVALID_HID;
    s->runs_memory_type = s->curves_memory_type = H5I_INVALID_HID;
    s->runs_file_space = s->curves_file_space = H5I_INVALID_HID;
    s->runs_memory_space = s->curves_memory_space = H5I_INVALID_HID;
    s->path = strdup(path);
    if (!s->path) {
        store_error(err, errlen, "%s: out of memory", path);
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
            store_error(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        created = 1;
        if (store_create(s, plan_text, plan_hash, command_line, version, err, errlen) < 0)
            goto fail;
    } else {
        store_error(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }

    STORE_CHECK(s->runs_memory_type = store_table_type(
                    store_run_columns, STORE_COUNT(store_run_columns), 0));
    STORE_CHECK(s->curves_memory_type = store_table_type(
                    store_curve_columns, STORE_COUNT(store_curve_columns), 0));
    STORE_CHECK(s->runs_file_space = H5Dget_space(s->runs));
    STORE_CHECK(s->curves_file_space = H5Dget_space(s->curves));
    hsize_t one = 1;
    STORE_CHECK(s->runs_memory_space = H5Screate_simple(1, &one, NULL));
    STORE_CHECK(s->curves_memory_space = H5Screate_simple(1, &one, NULL));
    /* From here on, only appends; readers may open the file. */
    STORE_CHECK(H5Fstart_swmr_write(s->file));
    return s;
fail:
    /* A file we were creating is half made and ours: remove it, so that the next start
     * creates it anew instead of refusing it. An existing file is never removed. */
    if (created && s->file >= 0) {
        char *made = strdup(path);
        store_close(s);
        if (made)
            unlink(made);
        free(made);
        return NULL;
    }
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
    if (!run_id || strnlen(run_id, 17) != 16 || store_parse_run_id(run_id, &key) < 0)
        return 0;
    return store_set_contains(s, key);
}

/* ---- append ---- */

/* Copies a string field so that its bytes in the file are the text and zeros only: a
 * NUL-terminated field whose tail held garbage would show in h5py as b"ok\x00...". */
static void store_copy_text(char *to, const char *from, size_t size)
{
    size_t length = strnlen(from, size - 1);
    memcpy(to, from, length);
    memset(to + length, 0, size - length);
}

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

int store_append(store *s, store_row *row, const curve_point *points, int64_t n_points,
                 char *err, size_t errlen)
{
    const char *path = s->path;
    uint64_t key;
    char run_id[17];
    store_copy_text(run_id, row->run_id, sizeof(run_id));
    if (strnlen(row->run_id, sizeof(row->run_id)) != 16 || store_parse_run_id(run_id, &key) < 0) {
        store_error(err, errlen, "%s: run id \"%s\" is not 16 lowercase hex digits", path,
                    run_id);
        return -1;
    }
    if (store_set_contains(s, key)) {
        store_error(err, errlen, "%s: run %s is already in the file", path, run_id);
        return -1;
    }
    if (n_points < 0 || (n_points > 0 && !points)) {
        store_error(err, errlen, "%s: run %s: no curve points given", path, run_id);
        return -1;
    }
    if (store_set_reserve(s, s->n_runs + 1) < 0) {
        store_error(err, errlen, "%s: out of memory", path);
        return -1;
    }

    /* The curve first, flushed: a crash after this leaves a curve no row points at,
     * which resume drops. */
    if (n_points > 0) {
        size_t row_size = store_row_size(store_curve_columns, STORE_COUNT(store_curve_columns));
        if (store_reserve_buffer(s, (size_t)n_points * row_size) < 0) {
            store_error(err, errlen, "%s: out of memory for %" PRId64 " curve points", path,
                        n_points);
            return -1;
        }
        for (int64_t i = 0; i < n_points; i++) {
            store_curve_row c;
            memcpy(c.run_id, run_id, sizeof(c.run_id));
            c.step = points[i].step;
            c.tokens = points[i].tokens;
            c.flops = points[i].flops;
            c.train_loss = points[i].train_loss;
            c.test_loss = points[i].test_loss;
            c.lr = points[i].lr;
            store_pack(s->buffer + (size_t)i * row_size, &c, sizeof(c), 1, store_curve_columns,
                       STORE_COUNT(store_curve_columns));
        }
        if (store_write_rows(s->curves, s->curves_file_space, s->curves_memory_space,
                             s->curves_memory_type, &s->curves_extent, s->curve_end, n_points,
                             s->buffer, path, err, errlen) < 0)
            return -1;
        STORE_CHECK(H5Dflush(s->curves));
    }

    /* Then the row, flushed: the commit. */
    store_row copy = *row;
    memcpy(copy.run_id, run_id, sizeof(copy.run_id));
    store_copy_text(copy.status, row->status, sizeof(copy.status));
    store_copy_text(copy.reason, row->reason, sizeof(copy.reason));
    store_copy_text(copy.host, row->host, sizeof(copy.host));
    copy.curve_offset = s->curve_end;
    copy.curve_length = n_points;
    /* the curve is on disk: the buffer is free for the row */
    if (store_reserve_buffer(s, sizeof(store_row)) < 0) {
        store_error(err, errlen, "%s: out of memory", path);
        return -1;
    }
    store_pack(s->buffer, &copy, sizeof(copy), 1, store_run_columns,
               STORE_COUNT(store_run_columns));
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
    store_release(&s->runs_memory_space);
    store_release(&s->curves_memory_space);
    store_release(&s->runs_file_space);
    store_release(&s->curves_file_space);
    store_release(&s->runs_memory_type);
    store_release(&s->curves_memory_type);
    store_release(&s->runs);
    store_release(&s->curves);
    if (s->file >= 0 && H5Fclose(s->file) < 0) {
        fprintf(stderr, "scalesweep: %s: closing the results file failed:\n",
                s->path ? s->path : "?");
        H5Eprint2(H5E_DEFAULT, stderr);
    }
    s->file = H5I_INVALID_HID;
    /* the lock goes last: the file is complete before another writer may open it */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->set_keys);
    free(s->set_used);
    free(s->buffer);
    free(s->path);
    free(s);
}
