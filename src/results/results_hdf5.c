/* The HDF5 plumbing of the results file that the store and the fit share; see
 * results_hdf5.h. */
#include "results_hdf5.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

/* Private file-access property of HDF5 1.10 (H5Fprivate.h), the one h5clear -s and the
 * library's own flush tests set: it zeroes the superblock's status flags as the file is
 * opened. Reachable through the public H5Pset because the library registers it in every
 * file-access list. */
#define RESULTS_CLEAR_STATUS_FLAGS "clear_status_flags"

/* The check of this file's own HDF5 calls, in the caller's program's name. */
#define CHECK(call) RESULTS_HDF5_CHECK(program, call, #call)

/* ---- errors ---- */

/* The first and the last description of HDF5's stack: what the library was asked
 * ("unable to open dataset") and the root cause ("incorrect metadata checksum after all
 * read attempts"); the frames between are its internals, for --verbose. */
typedef struct {
    char first[256];
    char last[256];
} results_stack_ends;

static herr_t results_stack_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    results_stack_ends *ends = data;
    const char *desc = e->desc ? e->desc : "";
    if (desc[0] == '\0')
        return 0;
    if (n == 0 || ends->first[0] == '\0')
        snprintf(ends->first, sizeof(ends->first), "%s", desc);
    snprintf(ends->last, sizeof(ends->last), "%s", desc);
    return 0;
}

static int results_verbose;
static unsigned long results_failures;

void results_hdf5_set_verbose(int verbose)
{
    results_verbose = verbose;
}

unsigned long results_hdf5_failures(void)
{
    return results_failures;
}

/* err gets "PATH: WHAT: WHY" from HDF5's current stack. */
static void results_describe(char *err, size_t errlen, const char *path, const char *call)
{
    if (!err || errlen == 0)
        return;
    results_stack_ends ends = {"", ""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, results_stack_walk, &ends);
    if (ends.first[0] == '\0')
        message_format(err, errlen, "%s: %s failed", path, call);
    else if (strcmp(ends.first, ends.last) == 0)
        message_format(err, errlen, "%s: %s", path, ends.first);
    else
        message_format(err, errlen, "%s: %s: %s", path, ends.first, ends.last);
}

/* With --verbose, HDF5's whole current stack on stderr, under what was called. */
static void results_print_stack(const char *program, const char *path, const char *call)
{
    if (!results_verbose)
        return;
    fprintf(stderr, "%s: %s: %s failed; HDF5 error stack:\n", program, path, call);
    H5Eprint2(H5E_DEFAULT, stderr);
}

void results_hdf5_error(const char *program, char *err, size_t errlen, const char *path,
                        const char *call)
{
    results_failures++;
    results_print_stack(program, path, call);
    results_describe(err, errlen, path, call);
}

void results_release(hid_t *id)
{
    if (*id < 0)
        return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: H5Idec_ref(*id); break;
    }
    *id = H5I_INVALID_HID;
}

/* ---- file access and the writers' lock ---- */

hid_t results_file_access(unsigned flags, const char *program, const char *path, char *err,
                          size_t errlen)
{
    hid_t fapl = H5I_INVALID_HID;
    CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS));
    CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST));
    CHECK(H5Pset_metadata_read_attempts(fapl, RESULTS_READ_ATTEMPTS));
    if (flags & RESULTS_ACCESS_NO_LOCKING)
        CHECK(H5Pset_file_locking(fapl, 0, 1));
    if (flags & RESULTS_ACCESS_CLEAR_FLAGS) {
        htri_t exists;
        CHECK(exists = H5Pexist(fapl, RESULTS_CLEAR_STATUS_FLAGS));
        if (exists) {
            hbool_t clear = 1;
            CHECK(H5Pset(fapl, RESULTS_CLEAR_STATUS_FLAGS, &clear));
        }
    }
    return fapl;
fail:
    results_release(&fapl);
    return H5I_INVALID_HID;
}

/* The writers' lock file of the file whose one name is name (malloc'd, NULL without
 * memory); name is freed. */
static char *results_lock_path(char *name)
{
    if (!name)
        return NULL;
    size_t length = strlen(name) + sizeof(".lock");
    char *lock_path = malloc(length);
    if (lock_path)
        snprintf(lock_path, length, "%s.lock", name);
    free(name);
    return lock_path;
}

int results_lock(const char *path, const char *program, const char *others, const char *busy,
                 const char *advice, char *err, size_t errlen)
{
    /* keyed on the file's one name, so that its other names (a symbolic link, ./x/../)
     * take the same lock */
    char *name = paths_one_name(path, err, errlen);
    if (!name)
        return -1;
    char *lock_path = results_lock_path(name);
    if (!lock_path) {
        message_format(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        message_format(err, errlen, "%s: cannot create %s: %s", path, lock_path, strerror(errno));
        free(lock_path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int error = errno;
        if (error == EWOULDBLOCK) {
            message_format(err, errlen, "%s: %s (it holds %s); %s", path, busy, lock_path, advice);
            close(fd);
            free(lock_path);
            return -1;
        }
        /* A file system without flock: go on unguarded, as HDF5 does when its own
         * locking is unavailable, but say so. */
        fprintf(stderr, "%s: warning: cannot lock %s (%s); make sure no %s writes %s\n",
                program, lock_path, strerror(error), others, path);
    }
    free(lock_path);
    return fd;
}

hid_t results_open_writable(const char *path, unsigned flags, const char *again,
                            const char *program, char *err, size_t errlen)
{
    hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID;
    CHECK(fapl = results_file_access(flags, program, path, err, errlen));
    file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    if (file < 0) {
        results_hdf5_error(program, err, errlen, path, "H5Fopen(path, H5F_ACC_RDWR, fapl)");
        size_t used = err ? strlen(err) : 0;
        /* HDF5 readers hold a shared flock on the file until they close it */
        if (err && strstr(err, "unable to lock file"))
            message_format(err + used, errlen - used,
                           " (a reader such as h5py has the file "
                           "open: close it and %s)",
                           again);
        else if (err && strstr(err, "already open for"))
            message_format(err + used, errlen - used,
                           " (a sweep writing this file stopped "
                           "without closing it: run the sweep again to resume and repair it, "
                           "or h5clear -s --increment=0 the file)");
        goto fail;
    }
    CHECK(H5Pclose(fapl));
    return file;
fail:
    results_release(&file);
    results_release(&fapl);
    return H5I_INVALID_HID;
}

void results_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* ---- reading a file that may be damaged ---- */

/* Whether a writer holds the lock of the file at path (results_lock): its PATH.lock, by
 * the name resolved as the lock resolves it, is held. No lock file: none. */
static int results_writer_alive(const char *path)
{
    /* realpath, not paths_one_name: a reader may read a file of several names, which no
     * writer writes */
    char *lock_path = results_lock_path(realpath(path, NULL));
    int alive = 0;
    int fd = lock_path ? open(lock_path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        /* a shared lock for a moment: refused while a writer holds its exclusive one */
        alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
        close(fd);
    }
    free(lock_path);
    return alive;
}

hid_t results_open_readable(const char *path, unsigned flags, const char *not_hdf5,
                            results_file_state *state, const char *program, char *err,
                            size_t errlen)
{
    hid_t fapl = H5I_INVALID_HID, file = H5I_INVALID_HID;
    struct stat info;
    if (stat(path, &info) != 0) {
        message_format(err, errlen, "%s: %s", path, strerror(errno));
        return H5I_INVALID_HID;
    }
    if (!S_ISREG(info.st_mode)) {
        message_format(err, errlen, "%s: not a regular file", path);
        return H5I_INVALID_HID;
    }
    if (access(path, R_OK) != 0) {
        message_format(err, errlen, "%s: %s", path, strerror(errno));
        return H5I_INVALID_HID;
    }
    if (H5Fis_hdf5(path) <= 0) {
        message_format(err, errlen, "%s: not an HDF5 file%s", path, not_hdf5 ? not_hdf5 : "");
        return H5I_INVALID_HID;
    }
    state->size = (int64_t)info.st_size;
    state->writer_alive = !(flags & RESULTS_READ_LOCK_HELD) && results_writer_alive(path);
    /* a file whose writer died still says "open for writing" in its superblock, which
     * HDF5 refuses unless the flags are cleared in memory */
    CHECK(fapl = results_file_access(RESULTS_ACCESS_NO_LOCKING | RESULTS_ACCESS_CLEAR_FLAGS,
                                     program, path, err, errlen));
    file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    if (file < 0) {
        /* not in the format SWMR needs (so not written by a sweep): plain read-only with
         * the same access, which says below what the file lacks; when that fails too, the
         * first reason is the one to give */
        static const char call[] = "H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl)";
        char first[1024];
        results_describe(first, sizeof first, path, call);
        results_print_stack(program, path, call);
        H5Eclear2(H5E_DEFAULT);
        file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
        if (file < 0) {
            results_failures++; /* HDF5 could not read it either way */
            message_format(err, errlen, "%s", first);
            goto fail;
        }
    } else if (!state->writer_alive) {
        /* SWMR reading skips HDF5's own check that the file reaches as far as its
         * superblock says (a live writer's may not yet; with no writer alive it must) */
        haddr_t end = 0;
        CHECK(H5Fget_eoa(file, &end));
        if ((uint64_t)info.st_size < (uint64_t)end && !(flags & RESULTS_READ_CUT_SHORT)) {
            message_format(err, errlen,
                           "%s: the file is cut short: it has %lld bytes where its "
                           "superblock says %llu",
                           path, (long long)info.st_size, (unsigned long long)end);
            results_damage_advice(err, errlen, path);
            goto fail;
        }
    }
    CHECK(H5Pclose(fapl));
    return file;
fail:
    results_release(&file);
    results_release(&fapl);
    return H5I_INVALID_HID;
}

int results_intact_rows(hid_t dataset, int64_t rows, int64_t file_size, int64_t *intact, int *cut,
                        const char *program, const char *path, char *err, size_t errlen)
{
    hid_t dcpl = H5I_INVALID_HID, type = H5I_INVALID_HID;
    hsize_t chunk = 0;
    size_t row_size = 0;
    *intact = rows;
    *cut = 0;
    CHECK(dcpl = H5Dget_create_plist(dataset));
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || H5Pget_chunk(dcpl, 1, &chunk) != 1 || chunk == 0 ||
        H5Pget_nfilters(dcpl) != 0) {
        /* not as a sweep writes its tables: HDF5 checked the file's extent at open */
        H5Eclear2(H5E_DEFAULT);
        results_release(&dcpl);
        return 0;
    }
    CHECK(H5Pclose(dcpl));
    CHECK(type = H5Dget_type(dataset));
    row_size = H5Tget_size(type);
    CHECK(H5Tclose(type));
    if (row_size == 0) {
        message_format(err, errlen, "%s: a table's rows have no size", path);
        goto fail;
    }
    /* From the last chunk back: an append-only table's chunks lie in the file in the order
     * of their rows, so the first one inside the file vouches for all before it, and an
     * intact file costs one lookup (each walks HDF5 1.10's chunk index). */
    const hsize_t n_chunks = ((hsize_t)rows + chunk - 1) / chunk;
    for (hsize_t k = n_chunks; k-- > 0;) {
        hsize_t start = k * chunk;
        unsigned filter_mask = 0;
        haddr_t address = HADDR_UNDEF;
        hsize_t size = 0;
        CHECK(H5Dget_chunk_info_by_coord(dataset, &start, &filter_mask, &address, &size));
        if (address == HADDR_UNDEF)
            continue; /* never written: holds no committed row */
        if (address + size <= (uint64_t)file_size)
            break;
        /* an unfiltered chunk holds its rows one after another from its address */
        const uint64_t whole =
            (uint64_t)file_size > address ? ((uint64_t)file_size - address) / row_size : 0;
        const uint64_t in_file = (uint64_t)start + (whole < chunk ? whole : chunk);
        *intact = in_file < (uint64_t)rows ? (int64_t)in_file : rows;
        *cut = 1;
    }
    return 0;
fail:
    results_release(&type);
    results_release(&dcpl);
    return -1;
}

int results_check_tables_inside(hid_t runs, int64_t n_rows, hid_t curves, int64_t n_points,
                                const results_file_state *state, const char *program,
                                const char *path, char *err, size_t errlen)
{
    if (state->writer_alive)
        return 0; /* a live writer's last chunk may not be in the file yet; SWMR vouches */
    int64_t intact_rows, intact_points;
    int runs_cut, curves_cut;
    if (results_intact_rows(runs, n_rows, state->size, &intact_rows, &runs_cut, program, path, err,
                            errlen) < 0 ||
        results_intact_rows(curves, n_points, state->size, &intact_points, &curves_cut, program,
                            path, err, errlen) < 0)
        return -1;
    if (runs_cut || curves_cut) {
        message_format(err, errlen,
                       "%s: the file is cut short: a chunk of %s (rows %" PRId64 " on) reaches "
                       "past its end (%lld bytes)",
                       path, runs_cut ? "/runs" : "/curves", runs_cut ? intact_rows : intact_points,
                       (long long)state->size);
        results_damage_advice(err, errlen, path);
        return -1;
    }
    return 0;
}

void results_damage_advice(char *err, size_t errlen, const char *path)
{
    size_t used = err ? strlen(err) : 0;
    if (!err || used + 1 >= errlen)
        return;
    message_format(err + used, errlen - used,
                   "; the file is damaged and was left as it is: move it aside and copy its "
                   "intact runs into a new file with `scalesweep recover %s NEW.h5` "
                   "(docs/results.md)",
                   path);
}

/* ---- compound tables ---- */

int results_schema_version(hid_t file, int *version, const char *program, const char *path,
                           char *err, size_t errlen)
{
    hid_t attribute = H5I_INVALID_HID;
    htri_t exists;
    CHECK(exists = H5Aexists(file, "schema_version"));
    if (!exists) {
        message_format(err, errlen,
                       "%s: not a scalesweep results file (no schema_version "
                       "attribute)",
                       path);
        return -1;
    }
    CHECK(attribute = H5Aopen(file, "schema_version", H5P_DEFAULT));
    CHECK(H5Aread(attribute, H5T_NATIVE_INT, version));
    CHECK(H5Aclose(attribute));
    return 0;
fail:
    results_release(&attribute);
    return -1;
}

int results_table_rows(hid_t dataset, int64_t *rows, const char *program, const char *path,
                       char *err, size_t errlen)
{
    hid_t space = H5I_INVALID_HID;
    hsize_t dims = 0;
    int rank;
    CHECK(space = H5Dget_space(dataset));
    CHECK(rank = H5Sget_simple_extent_ndims(space));
    if (rank != 1) {
        message_format(err, errlen,
                       "%s: a table has %d dimensions, not 1: not a scalesweep "
                       "results file",
                       path, rank);
        goto fail;
    }
    CHECK(H5Sget_simple_extent_dims(space, &dims, NULL));
    CHECK(H5Sclose(space));
    *rows = (int64_t)dims;
    return 0;
fail:
    results_release(&space);
    return -1;
}

hid_t results_open_table(hid_t file, const char *name, hid_t access, const results_column *columns,
                         size_t n_columns, const char *program, const char *path, char *err,
                         size_t errlen)
{
    hid_t dataset = H5I_INVALID_HID, type = H5I_INVALID_HID;
    htri_t exists;
    char what[128];
    CHECK(exists = H5Lexists(file, name, H5P_DEFAULT));
    if (!exists) {
        message_format(err, errlen, "%s: no /%s table: not a scalesweep results file", path, name);
        goto fail;
    }
    CHECK(dataset = H5Dopen2(file, name, access));
    CHECK(type = H5Dget_type(dataset));
    if (!results_columns_match(type, columns, n_columns, "not a table of compound rows", what,
                               sizeof(what))) {
        message_format(err, errlen, "%s: /%s is not a scalesweep table: %s", path, name, what);
        goto fail;
    }
    CHECK(H5Tclose(type));
    return dataset;
fail:
    results_release(&type);
    results_release(&dataset);
    return H5I_INVALID_HID;
}

int64_t results_read_table(hid_t file, const char *name, const results_column *columns,
                           size_t n_columns, size_t row_size, int64_t rows, void **out,
                           const char *program, const char *path, char *err, size_t errlen)
{
    hid_t table = H5I_INVALID_HID;
    int64_t have = 0;
    *out = NULL;
    if ((table = results_open_table(file, name, H5P_DEFAULT, columns, n_columns, program, path, err,
                                    errlen)) < 0 ||
        results_table_rows(table, &have, program, path, err, errlen) < 0)
        goto fail;
    if (rows < 0)
        rows = have;
    if (have < rows) {
        message_format(err, errlen,
                       "%s: /%s has %" PRId64 " rows, fewer than the %" PRId64 " its runs need",
                       path, name, have, rows);
        results_damage_advice(err, errlen, path);
        goto fail;
    }
    if (!(*out = calloc((size_t)(rows > 0 ? rows : 1), row_size))) {
        message_format(err, errlen, "%s: out of memory for /%s", path, name);
        goto fail;
    }
    if (rows > 0 && results_read_rows(table, columns, n_columns, row_size, 0, rows, *out, program,
                                      path, err, errlen) < 0)
        goto fail;
    results_release(&table);
    return rows;
fail:
    results_release(&table);
    free(*out);
    *out = NULL;
    return -1;
}

int results_read_rows(hid_t dataset, const results_column *columns, size_t n_columns,
                      size_t struct_size, int64_t start, int64_t count, void *rows,
                      const char *program, const char *path, char *err, size_t errlen)
{
    hid_t type = H5I_INVALID_HID, file_space = H5I_INVALID_HID, memory_space = H5I_INVALID_HID;
    if (count <= 0)
        return 0;
    hsize_t first = (hsize_t)start, length = (hsize_t)count;
    CHECK(type = results_table_type(columns, n_columns, struct_size, RESULTS_IN_STRUCT));
    CHECK(file_space = H5Dget_space(dataset));
    CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &first, NULL, &length, NULL));
    CHECK(memory_space = H5Screate_simple(1, &length, NULL));
    CHECK(H5Dread(dataset, type, memory_space, file_space, H5P_DEFAULT, rows));
    CHECK(H5Sclose(memory_space));
    CHECK(H5Sclose(file_space));
    CHECK(H5Tclose(type));
    return 0;
fail:
    results_release(&memory_space);
    results_release(&file_space);
    results_release(&type);
    return -1;
}

size_t results_row_size(const results_column *columns, size_t n_columns)
{
    size_t size = 0;
    for (size_t i = 0; i < n_columns; i++)
        size += columns[i].size;
    return size;
}

hid_t results_table_type(const results_column *columns, size_t n_columns, size_t struct_size,
                         results_layout layout)
{
    const int in_file = layout == RESULTS_IN_FILE;
    const int in_struct = layout == RESULTS_IN_STRUCT;
    hid_t compound = H5Tcreate(H5T_COMPOUND,
                               in_struct ? struct_size : results_row_size(columns, n_columns));
    if (compound < 0)
        return compound;
    size_t offset = 0;  /* packed */
    for (size_t i = 0; i < n_columns; i++) {
        const results_column *c = &columns[i];
        hid_t member = H5I_INVALID_HID;
        int owned = 0;
        switch (c->kind) {
        case RESULTS_INT32: member = in_file ? H5T_STD_I32LE : H5T_NATIVE_INT32; break;
        case RESULTS_INT64: member = in_file ? H5T_STD_I64LE : H5T_NATIVE_INT64; break;
        case RESULTS_FLOAT32: member = in_file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT; break;
        case RESULTS_FLOAT64: member = in_file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; break;
        case RESULTS_STRING:
            member = results_string_type(c->size);
            owned = 1;
            break;
        case RESULTS_FLOAT32_ARRAY: {
            const hsize_t length = c->size / sizeof(float);
            member = H5Tarray_create2(in_file ? H5T_IEEE_F32LE : H5T_NATIVE_FLOAT, 1, &length);
            owned = 1;
            break;
        }
        }
        herr_t status = member < 0 ? -1
                                   : H5Tinsert(compound, c->name, in_struct ? c->offset : offset,
                                               member);
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

int results_columns_match(hid_t type, const results_column *columns, size_t n_columns,
                          const char *not_compound, char *what, size_t whatlen)
{
    if (H5Tget_class(type) != H5T_COMPOUND) {
        snprintf(what, whatlen, "%s", not_compound);
        return 0;
    }
    for (size_t i = 0; i < n_columns; i++) {
        const results_column *c = &columns[i];
        int index = H5Tget_member_index(type, c->name);
        if (index < 0) {
            snprintf(what, whatlen, "no column %s", c->name);
            return 0;
        }
        H5T_class_t want = c->kind == RESULTS_STRING          ? H5T_STRING
                           : c->kind == RESULTS_FLOAT32_ARRAY ? H5T_ARRAY
                           : (c->kind == RESULTS_FLOAT32 || c->kind == RESULTS_FLOAT64)
                               ? H5T_FLOAT
                               : H5T_INTEGER;
        if (H5Tget_member_class(type, (unsigned)index) != want) {
            snprintf(what, whatlen, "column %s has the wrong type", c->name);
            return 0;
        }
    }
    return 1;
}

hid_t results_string_type(size_t size)
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

hid_t results_text_type(void)
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

void results_copy_text(char *to, const char *from, size_t size)
{
    size_t length = strnlen(from ? from : "", size - 1);
    memcpy(to, from ? from : "", length);
    memset(to + length, 0, size - length);
}

/* ---- attributes ---- */

int results_write_attribute(hid_t object, const char *name, hid_t file_type,
                            hid_t memory_type, const void *value, hsize_t count,
                            const char *program, const char *path, char *err, size_t errlen)
{
    hid_t space = H5I_INVALID_HID, attribute = H5I_INVALID_HID;
    htri_t exists;
    if (count > 0)
        CHECK(space = H5Screate_simple(1, &count, NULL));
    else
        CHECK(space = H5Screate(H5S_SCALAR));
    CHECK(exists = H5Aexists(object, name));
    if (exists)
        CHECK(H5Adelete(object, name));
    CHECK(attribute = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT));
    CHECK(H5Awrite(attribute, memory_type, value));
    CHECK(H5Aclose(attribute));
    CHECK(H5Sclose(space));
    return 0;
fail:
    results_release(&attribute);
    results_release(&space);
    return -1;
}

int results_write_texts(hid_t object, const char *name, const char *const *values,
                        hsize_t count, const char *program, const char *path, char *err,
                        size_t errlen)
{
    hid_t type = H5I_INVALID_HID;
    CHECK(type = results_text_type());
    if (results_write_attribute(object, name, type, type, values, count, program, path, err,
                                errlen) < 0)
        goto fail;
    CHECK(H5Tclose(type));
    return 0;
fail:
    results_release(&type);
    return -1;
}

int results_write_text(hid_t object, const char *name, const char *value,
                       const char *program, const char *path, char *err, size_t errlen)
{
    const char *text = value ? value : "";
    return results_write_texts(object, name, &text, 0, program, path, err, errlen);
}

int results_read_text(hid_t object, const char *name, char **out, const char *program,
                      const char *path, char *err, size_t errlen)
{
    hid_t attribute = H5I_INVALID_HID, type = H5I_INVALID_HID, memory = H5I_INVALID_HID;
    htri_t exists, variable;
    *out = NULL;
    CHECK(exists = H5Aexists(object, name));
    if (!exists) {
        *out = strdup("");
        if (!*out) {
            message_format(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        return 0;
    }
    CHECK(attribute = H5Aopen(object, name, H5P_DEFAULT));
    CHECK(type = H5Aget_type(attribute));
    if (H5Tget_class(type) != H5T_STRING) {
        message_format(err, errlen, "%s: attribute %s is not a string", path, name);
        goto fail;
    }
    CHECK(variable = H5Tis_variable_str(type));
    if (variable) {
        char *value = NULL;
        CHECK(memory = results_text_type());
        CHECK(H5Aread(attribute, memory, &value));
        *out = strdup(value ? value : "");
        H5free_memory(value);
    } else {
        size_t size = H5Tget_size(type);
        *out = calloc(size + 1, 1);
        if (*out) {
            CHECK(memory = results_string_type(size + 1));
            CHECK(H5Aread(attribute, memory, *out));
        }
    }
    if (!*out) {
        message_format(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    results_release(&memory);
    CHECK(H5Tclose(type));
    CHECK(H5Aclose(attribute));
    return 0;
fail:
    free(*out);
    *out = NULL;
    results_release(&memory);
    results_release(&type);
    results_release(&attribute);
    return -1;
}

void results_iso_time(char *out, size_t outlen)
{
    time_t now = time(NULL);
    struct tm utc;
    if (gmtime_r(&now, &utc))
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &utc);
    else
        snprintf(out, outlen, "unknown");
}
