/* The HDF5 plumbing that the results file's writer (src/orchestrator/store.c) and its
 * reader and /fits writer (src/fit/fit_results.c) share: error reports with HDF5's stack,
 * releasing identifiers, file access, the writers' lock on PATH.lock, opening, checking
 * and reading compound tables described by their columns, and string attributes. What
 * /runs and /curves hold is results_schema.h's; /fits is the fit's (docs/fit.md).
 *
 * Errors are reported the way both modules do: a function that fails returns -1 (or
 * H5I_INVALID_HID) with a message in err, one line; with --verbose HDF5's whole error
 * stack goes to stderr too, under "PROGRAM: PATH: CALL failed". PROGRAM ("scalesweep",
 * "scalesweep fit") is a parameter so that each command keeps its own prefix. */
#ifndef SCALESWEEP_RESULTS_HDF5_H
#define SCALESWEEP_RESULTS_HDF5_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "message.h"

/* ---- errors ---- */

/* A failed HDF5 call: err gets "PATH: WHAT: WHY", the first and the last description of
 * HDF5's stack, what the library was asked and the root cause ("unable to open dataset:
 * incorrect metadata checksum after all read attempts"; "PATH: CALL failed" when the stack
 * is empty). With results_hdf5_set_verbose(1), "PROGRAM: PATH: CALL failed; HDF5 error
 * stack:" and the whole stack (with file and line of each frame, for a bug report) go to
 * stderr too. */
void results_hdf5_error(const char *program, char *err, size_t errlen, const char *path,
                        const char *call);

/* HDF5's error stack on stderr with each failure (the commands' --verbose), or not (the
 * default: err holds the line a user reads). */
void results_hdf5_set_verbose(int verbose);
/* How many HDF5 failures results_hdf5_error has reported so far: a caller tells a file HDF5
 * could not read (damaged) from one it read and refused, by the count before and after. */
unsigned long results_hdf5_failures(void);

/* The body of each module's check macro: a negative hid_t, herr_t or htri_t is a failure,
 * reported by results_hdf5_error, then `goto fail`. Expects `path`, `err`, `errlen` and a
 * `fail` label in scope. text is the call as written, stringified by the module's own
 * macro (#call there), so that the message does not show HDF5's macros expanded:
 *   #define STORE_CHECK(call) RESULTS_HDF5_CHECK("scalesweep", call, #call) */
#define RESULTS_HDF5_CHECK(program, call, text)                   \
    do {                                                          \
        if ((call) < 0) {                                         \
            results_hdf5_error(program, err, errlen, path, text); \
            goto fail;                                            \
        }                                                         \
    } while (0)

/* Closes any HDF5 identifier by its kind and sets it to H5I_INVALID_HID; nothing for a
 * negative one. For cleanup paths, where a second error would only hide the first. */
void results_release(hid_t *id);

/* ---- file access and the writers' lock ---- */

enum {
    /* No HDF5 file lock: for the sweep's writer, whose PATH.lock keeps writers apart, so
     * that a reader watching the file (h5py holds a shared lock while open) does not stop
     * a resumed or requeued sweep from opening its own results. SWMR keeps the reader safe. */
    RESULTS_ACCESS_NO_LOCKING = 1 << 0,
    /* Zero the superblock's status flags as the file is opened (what h5clear -s does): a
     * writer that died in SWMR mode left them saying "open for writing", and HDF5 refuses
     * such a file. Only when no writer is alive (PATH.lock), or for reading. */
    RESULTS_ACCESS_CLEAR_FLAGS = 1 << 1
};

/* A file-access property list with the latest format (SWMR needs its checksummed metadata
 * and chunk indexes) and the RESULTS_ACCESS_* flags given. Without HDF5's private
 * clear_status_flags property (another HDF5 version), RESULTS_ACCESS_CLEAR_FLAGS does
 * nothing and a crashed file is refused with HDF5's own message, which names h5clear.
 * Returns the list (close it with H5Pclose), or H5I_INVALID_HID with err. */
hid_t results_file_access(unsigned flags, const char *program, const char *path, char *err,
                          size_t errlen);

/* One writer per results file: an exclusive flock on NAME.lock beside it, NAME the file's
 * one name (symbolic links, . and .. resolved; so every name of the file takes the same
 * lock, and a file of several names, hard links, or a symbolic link to nothing is refused
 * with err), which the kernel drops when its holder dies. HDF5's own lock is released once SWMR writing
 * starts, and the superblock's status flags survive a crash, so neither tells a live
 * writer from a dead one. Not on the results file itself: SWMR readers hold flocks on it.
 * Returns the lock's descriptor (results_unlock releases it), or -1 with err: when another
 * process holds the lock, "PATH: BUSY (it holds PATH.lock); ADVICE", BUSY and ADVICE in the
 * caller's words. On a file system without flock it goes on unguarded, as HDF5 does, and
 * warns "PROGRAM: warning: cannot lock PATH.lock (why); make sure no OTHERS writes PATH". */
int results_lock(const char *path, const char *program, const char *others, const char *busy,
                 const char *advice, char *err, size_t errlen);
/* Releases a lock results_lock took; nothing for a negative descriptor. */
void results_unlock(int fd);

/* Opens PATH read-write with results_file_access(flags): for its writers, who hold
 * PATH.lock. On failure err says why, and what to do when a reader holds HDF5's lock
 * ("close it and AGAIN") or a crashed writer left the file marked open. */
hid_t results_open_writable(const char *path, unsigned flags, const char *again,
                            const char *program, char *err, size_t errlen);

/* ---- reading a file that may be damaged ---- */

/* Attempts at each checksummed metadata read of a file opened for SWMR reading, set in
 * every file-access list (results_file_access). HDF5's default is 100, with a sleep that
 * doubles from 1 ns between them (2^100 ns in all, in 1.10; later versions cap each sleep
 * at an hour), so a damaged file would never fail. 2^26 ns
 * (67 ms) is far more than a live writer's flush takes to land, and a damaged file fails
 * within a second. */
#define RESULTS_READ_ATTEMPTS 26

enum {
    /* open a file cut short of where its superblock says it ends (to recover what it has) */
    RESULTS_READ_CUT_SHORT = 1 << 0,
    /* the caller holds the file's lock (results_lock): no writer is alive */
    RESULTS_READ_LOCK_HELD = 1 << 1
};

/* What results_open_readable saw of the file. */
typedef struct {
    int64_t size;     /* bytes */
    int writer_alive; /* a writer holds the file's lock: it may be longer than it reads yet */
} results_file_state;

/* Opens a results file read-only for a reader who may meet a file being written, one whose
 * writer died, or a damaged one, and always comes back: a file that is missing, not
 * regular, unreadable, not HDF5 ("PATH: not an HDF5 file" and not_hdf5, the caller's words)
 * or, with no writer alive, cut short of where its superblock says it ends (unless flags
 * has RESULTS_READ_CUT_SHORT) is refused with err. SWMR reading, without HDF5's file lock,
 * the status flags cleared in memory; plain read-only with the same access for an HDF5
 * file not in the format SWMR needs. Fills *state. Returns the file, or H5I_INVALID_HID
 * with err. */
hid_t results_open_readable(const char *path, unsigned flags, const char *not_hdf5,
                            results_file_state *state, const char *program, char *err,
                            size_t errlen);
/* How many leading rows of a chunked table of `rows` rows lie wholly inside the file's
 * first file_size bytes: in a file cut short, the rows of the first chunk that reaches
 * past the end, from the first row not wholly in the file on, are not (a chunk never
 * written holds no committed row). *cut says whether a chunk reaches past the end at all:
 * then the file cannot be written to without overwriting it, whichever rows it lost.
 * Looks the chunks up from the last back (an append-only table's lie in row order), so an
 * intact file costs one lookup. 0 or -1. */
int results_intact_rows(hid_t dataset, int64_t rows, int64_t file_size, int64_t *intact, int *cut,
                        const char *program, const char *path, char *err, size_t errlen);
/* A file cut short (a full disk, a copy that stopped) reads as zeros past its end, and
 * writing into it would damage it for good (new space allocated over chunks it lost): -1
 * with err ("PATH: the file is cut short: a chunk of /runs (rows R on) reaches past its
 * end", and results_damage_advice) when a chunk of either table does; 0 otherwise, and
 * always while a writer is alive (its last chunk may not have reached the file yet). No
 * writer's crash leaves a chunk outside: each flush sets the file's end at its end of
 * allocation. */
int results_check_tables_inside(hid_t runs, int64_t n_rows, hid_t curves, int64_t n_points,
                                const results_file_state *state, const char *program,
                                const char *path, char *err, size_t errlen);
/* Appends to err what a user does with a damaged file: it was left as it is, and
 * `scalesweep recover PATH NEW.h5` copies its intact runs into a new one. */
void results_damage_advice(char *err, size_t errlen, const char *path);

/* ---- compound tables described by their columns ---- */

typedef enum {
    RESULTS_INT32,
    RESULTS_INT64,
    RESULTS_FLOAT32,
    RESULTS_FLOAT64,
    RESULTS_STRING,       /* fixed size, NUL-terminated, ASCII */
    RESULTS_FLOAT32_ARRAY /* size / 4 float32s: one array member, a 2-D column in h5py */
} results_kind;

/* One column of a table: its name in the file, where it is in the C struct, its type, and
 * what the file may say about it (the store's units and descriptions attributes; NULL
 * where a table has none). */
typedef struct {
    const char *name;
    size_t offset;   /* in the C struct */
    size_t size;     /* bytes; strings include their terminator */
    results_kind kind;
    const char *unit;
    const char *description;
} results_column;

/* A column without unit or description: RESULTS_COLUMN("N", my_row, n_params, RESULTS_INT64). */
#define RESULTS_COLUMN(column, type, field, kind) \
    { column, offsetof(type, field), sizeof(((type *)0)->field), kind, NULL, NULL }

/* Where a table type puts its members. */
typedef enum {
    RESULTS_IN_FILE,    /* packed in column order, little-endian: reads the same anywhere */
    RESULTS_PACKED,     /* packed in column order, native; equal to RESULTS_IN_FILE on a
                           little-endian machine, so HDF5 copies rows without converting */
    RESULTS_IN_STRUCT   /* the C struct as it is (its size, the field offsets), native */
} results_layout;

/* Bytes of one packed row. */
size_t results_row_size(const results_column *columns, size_t n_columns);

/* The compound type of a table in a layout; struct_size is the C struct's size, used by
 * RESULTS_IN_STRUCT only. Returns the type (close it with H5Tclose) or H5I_INVALID_HID.
 * Reading a file's table through a RESULTS_IN_STRUCT type takes its columns by name (HDF5
 * converts a compound member by member), whatever other columns the file has. */
hid_t results_table_type(const results_column *columns, size_t n_columns, size_t struct_size,
                         results_layout layout);

/* Whether a table's compound type has every one of columns, by name, with the right class
 * (integer, float or string). 1 if so; 0 with what saying which column is missing or of
 * the wrong type, or, for a type that is not a compound, not_compound (the caller's words). */
int results_columns_match(hid_t type, const results_column *columns, size_t n_columns,
                          const char *not_compound, char *what, size_t whatlen);

/* The file's schema_version attribute; -1 with "not a scalesweep results file" when it
 * has none. */
int results_schema_version(hid_t file, int *version, const char *program, const char *path,
                           char *err, size_t errlen);
/* Rows of a one-dimensional table; -1 with err for any other shape. */
int results_table_rows(hid_t dataset, int64_t *rows, const char *program, const char *path,
                       char *err, size_t errlen);
/* Opens the table NAME (with dataset access list access) and checks that it has every one
 * of columns; H5I_INVALID_HID with err naming what is missing. */
hid_t results_open_table(hid_t file, const char *name, hid_t access, const results_column *columns,
                         size_t n_columns, const char *program, const char *path, char *err,
                         size_t errlen);
/* Reads rows [start, start + count) of a table into C structs laid out as columns say
 * (RESULTS_IN_STRUCT: by column name, whatever other columns the file has). 0 or -1. */
int results_read_rows(hid_t dataset, const results_column *columns, size_t n_columns,
                      size_t struct_size, int64_t start, int64_t count, void *rows,
                      const char *program, const char *path, char *err, size_t errlen);

/* The first `rows` rows of the table NAME (-1: all of them) into a calloc'd *out of C structs
 * (row_size bytes each, laid out as columns say): their count, or -1 with err (a table with
 * fewer rows than asked for is damaged). */
int64_t results_read_table(hid_t file, const char *name, const results_column *columns,
                           size_t n_columns, size_t row_size, int64_t rows, void **out,
                           const char *program, const char *path, char *err, size_t errlen);

/* Fixed-size NUL-terminated ASCII strings of size bytes (terminator included), and
 * variable-length UTF-8 ones (h5py reads those as str). H5I_INVALID_HID on failure. */
hid_t results_string_type(size_t size);
hid_t results_text_type(void);

/* Copies text (NULL: "") into a fixed field of size bytes so that the bytes are the text
 * and zeros only: a field whose tail held garbage would show in h5py as b"ok\x00...". */
void results_copy_text(char *to, const char *from, size_t size);

/* ---- attributes ---- */

/* Writes an attribute, replacing one of that name: a scalar when count is 0, else an
 * array of count values; file_type in the file, memory_type for value. Returns 0 or -1
 * with err. */
int results_write_attribute(hid_t object, const char *name, hid_t file_type,
                            hid_t memory_type, const void *value, hsize_t count,
                            const char *program, const char *path, char *err, size_t errlen);

/* A variable-length UTF-8 string attribute (h5py reads it as str), replacing one of that
 * name: value (NULL: ""), or an array of count values (count 0: the scalar values[0]).
 * Returns 0 or -1 with err. */
int results_write_text(hid_t object, const char *name, const char *value,
                       const char *program, const char *path, char *err, size_t errlen);
int results_write_texts(hid_t object, const char *name, const char *const *values,
                        hsize_t count, const char *program, const char *path, char *err,
                        size_t errlen);

/* Reads a scalar string attribute, variable or fixed length, into *out (malloc'd; ""
 * when the attribute is absent). Returns 0, or -1 with err and *out NULL. */
int results_read_text(hid_t object, const char *name, char **out, const char *program,
                      const char *path, char *err, size_t errlen);

/* Now in UTC, ISO 8601 ("2024-05-01T12:00:00Z"), for the files' created attributes. */
void results_iso_time(char *out, size_t outlen);

#endif
