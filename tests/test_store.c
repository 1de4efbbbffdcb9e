/* The HDF5 results store: create, append, read back with the plain HDF5 API (types of
 * this test's own, matched by column name), resume, refusal of another plan without
 * changing a byte, force, the writer lock, a crashed writer (a child killed without
 * closing), a curve without its row, a concurrent SWMR reader in another process, and
 * the append rate.
 *
 *   test_store [DIR]     files go to DIR (created if missing), else to a fresh temporary
 *                        folder that is removed at the end. DIR/results.h5 is left for
 *                        tests/check_results.py (its run count is printed). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "check.h"
#include "store.h"

#define PLAN_HASH UINT64_C(0x0123456789abcdef)
#define OTHER_HASH UINT64_C(0xfedcba9876543210)
#define PLAN_TEXT "[sweep]\nname = test\noutput = results.h5\n"
#define MAX_POINTS 12

/* What rank 0 hands the store about its BLAS (blas_core.h) */
static const store_blas TEST_BLAS = {"Haswell", "OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell", 98.5};
/* What the runs are scored on: two sources (a curve point carries each one's loss). */
#define TEST_N_SOURCES 2
static const results_source TEST_SOURCES[TEST_N_SOURCES] = {{"alpha", "data/alpha", 1000, 100},
                                                            {"beta", "data/beta.txt", 900, 90}};

static char directory[4096];

/* ---- deterministic runs ---- */

typedef struct {
    results_run row;
    curve_point points[MAX_POINTS];
    int64_t n_points;
} test_run;

/* Run i of a family: every field different from run to run, the consistency rules of
 * check_results.py held (tokens = step * batch * n_ctx, flops = 6 N tokens), and the
 * corner cases present: no curve at all, NaN losses, strings filling their fields. */
static void make_run(test_run *t, uint64_t family, int64_t i)
{
    static const char *statuses[] = {"ok", "diverged", "failed", "interrupted"};
    results_run *r = &t->row;
    memset(t, 0, sizeof(*t));
    uint64_t id = (family * UINT64_C(0x9e3779b97f4a7c15)) ^
                  ((uint64_t)i * UINT64_C(0xd1b54a32d192ed03));
    snprintf(r->run_id, sizeof(r->run_id), "%016" PRIx64, id);
    /* every run a configuration of its own, as its columns differ from run to run */
    snprintf(r->config_id, sizeof(r->config_id), "%016" PRIx64, family * 1000 + (uint64_t)i);
    memcpy(r->cell_id, r->config_id, sizeof(r->cell_id));
    r->n_layer = 1 + (int32_t)(i % 4);
    r->d_model = 32 * (1 + (int32_t)(i % 3));
    r->n_head = 2;
    r->n_ctx = 16 + 8 * (int32_t)(i % 2);
    r->batch = 2 + (int32_t)(i % 3);
    r->warmup_steps = 3 + (int64_t)(i % 5);
    r->weight_decay = 0.1f * (float)(i % 2);
    r->beta2 = 0.9f + 0.01f * (float)(i % 4);
    r->grad_clip = 0.5f * (float)(i % 3);
    r->n_params = r->n_layer * (12LL * r->d_model * r->d_model + 13LL * r->d_model) +
                  2LL * r->d_model;
    r->n_params_total = r->n_params + 256LL * r->d_model + (int64_t)r->n_ctx * r->d_model;
    t->n_points = i % 7 == 3 ? 0 : 1 + i % MAX_POINTS;
    r->steps = 10 * (t->n_points > 0 ? t->n_points : 1);
    r->tokens = r->steps * r->batch * r->n_ctx;
    r->unique_tokens = r->tokens - i % 5;
    r->seed = (int64_t)(family * 1000 + (uint64_t)i);
    r->lr = 1e-3f * (float)(1 + i % 5);
    r->flops = 6.0 * (double)r->n_params * (double)r->tokens;
    r->flops_attention = (6.0 * (double)r->n_params + 6.0 * r->n_layer * r->n_ctx * r->d_model) *
                         (double)r->tokens;
    const char *status = statuses[i % 4];
    snprintf(r->status, sizeof(r->status), "%s", status);
    r->final_test_loss = strcmp(status, "diverged") == 0 ? NAN : 3.5f - 0.001f * (float)i;
    r->best_test_loss = 3.4f - 0.001f * (float)i;
    r->best_step = r->steps - 10 * (i % 2);
    r->train_loss = 3.3f + 0.0001f * (float)i;
    r->stopped_early = (int32_t)(i % 2);
    if (strcmp(status, "ok") != 0) {
        /* every byte of the field but the terminator */
        memset(r->reason, 'a' + (int)(i % 26), sizeof(r->reason) - 1);
        memcpy(r->reason, status, strlen(status));
    }
    r->seconds = 1.5 * (double)i + 0.25;
    r->tokens_per_second = (double)r->tokens / r->seconds;
    r->rank = 1 + (int32_t)(i % 7);
    if (i % 5 == 0)
        memset(r->host, 'h', sizeof(r->host) - 1);
    else
        snprintf(r->host, sizeof(r->host), "node-%03" PRId64, i % 1000);
    r->curve_offset = -1; /* the store fills these */
    r->curve_length = -1;
    for (int64_t k = 0; k < t->n_points; k++) {
        curve_point *p = &t->points[k];
        p->step = 10 * (k + 1);
        p->tokens = p->step * r->batch * r->n_ctx;
        p->flops = 6.0 * (double)r->n_params * (double)p->tokens;
        p->train_loss = 5.0f - 0.1f * (float)k + 0.001f * (float)i;
        int diverged_here = k == t->n_points - 1 && strcmp(status, "diverged") == 0;
        p->test_loss = diverged_here ? NAN : 5.1f - 0.1f * (float)k;
        p->lr = 1e-3f * (float)(k + 1) / (float)t->n_points;
        /* each source's loss; the run's is its mixture's shares of them */
        p->source_loss[0] = p->test_loss + (i % 2 ? 0.25f : 0.0f);
        p->source_loss[1] = p->test_loss + (i % 2 ? -0.25f / 3.0f : 0.5f);
    }
    snprintf(r->mixture, sizeof r->mixture, "%s", i % 2 ? "alpha:0.25 + beta:0.75" : "alpha");
    snprintf(r->architecture, sizeof r->architecture, "transformer");
    /* losses by position whose mean is the final test loss (every other run has none) */
    float positions[64];
    for (int t = 0; t < 64; t++)
        positions[t] = r->final_test_loss + 0.01f * (float)(r->n_ctx - 1 - 2 * t) / (float)r->n_ctx;
    results_set_positions(r->position_loss, i % 2 && r->n_ctx <= 64 ? positions : NULL, r->n_ctx);
}

/* ---- reading a file with the plain HDF5 API ---- */

/* /curves as this test reads it (not the store's own layout: HDF5 matches by name) */
typedef struct {
    char run_id[17];
    int64_t step;
    int64_t tokens;
    double flops;
    float train_loss;
    float test_loss;
    float lr;
} test_curve;

typedef struct {
    results_run *rows;
    int64_t n_rows;
    test_curve *curves;
    int64_t n_curves;
} test_file;

static hid_t string_type(size_t size)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, size);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

static hid_t run_read_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(results_run));
    hid_t s17 = string_type(17), s16 = string_type(16);
    hid_t s160 = string_type(160), s64 = string_type(64);
#define MEMBER(field, type) H5Tinsert(t, #field, HOFFSET(results_run, field), type)
    MEMBER(run_id, s17);
    MEMBER(config_id, s17);
    MEMBER(cell_id, s17);
    MEMBER(n_layer, H5T_NATIVE_INT32);
    MEMBER(d_model, H5T_NATIVE_INT32);
    MEMBER(n_head, H5T_NATIVE_INT32);
    MEMBER(n_ctx, H5T_NATIVE_INT32);
    MEMBER(n_params, H5T_NATIVE_INT64);
    MEMBER(n_params_total, H5T_NATIVE_INT64);
    MEMBER(tokens, H5T_NATIVE_INT64);
    MEMBER(unique_tokens, H5T_NATIVE_INT64);
    MEMBER(seed, H5T_NATIVE_INT64);
    MEMBER(lr, H5T_NATIVE_FLOAT);
    MEMBER(batch, H5T_NATIVE_INT32);
    MEMBER(warmup_steps, H5T_NATIVE_INT64);
    MEMBER(weight_decay, H5T_NATIVE_FLOAT);
    MEMBER(beta2, H5T_NATIVE_FLOAT);
    MEMBER(grad_clip, H5T_NATIVE_FLOAT);
    MEMBER(steps, H5T_NATIVE_INT64);
    MEMBER(flops, H5T_NATIVE_DOUBLE);
    MEMBER(flops_attention, H5T_NATIVE_DOUBLE);
    MEMBER(final_test_loss, H5T_NATIVE_FLOAT);
    MEMBER(best_test_loss, H5T_NATIVE_FLOAT);
    MEMBER(best_step, H5T_NATIVE_INT64);
    MEMBER(train_loss, H5T_NATIVE_FLOAT);
    MEMBER(stopped_early, H5T_NATIVE_INT32);
    MEMBER(status, s16);
    MEMBER(reason, s160);
    MEMBER(seconds, H5T_NATIVE_DOUBLE);
    MEMBER(tokens_per_second, H5T_NATIVE_DOUBLE);
    MEMBER(rank, H5T_NATIVE_INT32);
    MEMBER(host, s64);
    MEMBER(curve_offset, H5T_NATIVE_INT64);
    MEMBER(curve_length, H5T_NATIVE_INT64);
#undef MEMBER
    H5Tclose(s17);
    H5Tclose(s16);
    H5Tclose(s160);
    H5Tclose(s64);
    return t;
}

static hid_t curve_read_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(test_curve));
    hid_t s17 = string_type(17);
    H5Tinsert(t, "run_id", HOFFSET(test_curve, run_id), s17);
    H5Tinsert(t, "step", HOFFSET(test_curve, step), H5T_NATIVE_INT64);
    H5Tinsert(t, "tokens", HOFFSET(test_curve, tokens), H5T_NATIVE_INT64);
    H5Tinsert(t, "flops", HOFFSET(test_curve, flops), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "train_loss", HOFFSET(test_curve, train_loss), H5T_NATIVE_FLOAT);
    H5Tinsert(t, "test_loss", HOFFSET(test_curve, test_loss), H5T_NATIVE_FLOAT);
    H5Tinsert(t, "lr", HOFFSET(test_curve, lr), H5T_NATIVE_FLOAT);
    H5Tclose(s17);
    return t;
}

static int64_t extent(hid_t dataset)
{
    hid_t space = H5Dget_space(dataset);
    hsize_t dims = 0;
    H5Sget_simple_extent_dims(space, &dims, NULL);
    H5Sclose(space);
    return (int64_t)dims;
}

/* Reads both tables of an open file. Returns 0, or -1 (with a failed check). */
static int read_tables(hid_t file, test_file *out)
{
    memset(out, 0, sizeof(*out));
    hid_t runs = H5Dopen2(file, "runs", H5P_DEFAULT);
    hid_t curves = H5Dopen2(file, "curves", H5P_DEFAULT);
    int ok = runs >= 0 && curves >= 0;
    check(ok, "open /runs and /curves");
    if (ok) {
        hid_t rt = run_read_type(), ct = curve_read_type();
        out->n_rows = extent(runs);
        out->n_curves = extent(curves);
        out->rows = calloc((size_t)out->n_rows + 1, sizeof(*out->rows));
        out->curves = calloc((size_t)out->n_curves + 1, sizeof(*out->curves));
        if (out->n_rows > 0)
            ok = ok && H5Dread(runs, rt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->rows) >= 0;
        if (out->n_curves > 0)
            ok = ok && H5Dread(curves, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->curves) >= 0;
        check(ok, "read /runs (%" PRId64 " rows) and /curves (%" PRId64 " rows)", out->n_rows,
              out->n_curves);
        H5Tclose(rt);
        H5Tclose(ct);
    }
    if (runs >= 0)
        H5Dclose(runs);
    if (curves >= 0)
        H5Dclose(curves);
    return ok ? 0 : -1;
}

static int read_file(const char *path, test_file *out)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    check(file >= 0, "%s opens read-only with default settings (closed cleanly)", path);
    if (file < 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    int status = read_tables(file, out);
    H5Fclose(file);
    return status;
}

static void free_file(test_file *f)
{
    free(f->rows);
    free(f->curves);
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

/* The first field of a row that differs from what was appended, or NULL. */
static const char *row_difference(const results_run *got, const results_run *want)
{
#define SAME(field) if (got->field != want->field) return #field
#define SAME_FLOAT(field) if (!same_float(got->field, want->field)) return #field
#define SAME_TEXT(field) if (strcmp(got->field, want->field) != 0) return #field
    SAME_TEXT(run_id); SAME_TEXT(config_id); SAME(n_layer); SAME(d_model); SAME(n_head); SAME(n_ctx);
    SAME(n_params); SAME(n_params_total); SAME(tokens); SAME(unique_tokens); SAME(seed);
    SAME_FLOAT(lr);
    SAME(batch);
    SAME(steps);
    SAME_TEXT(cell_id);
    SAME(warmup_steps);
    SAME_FLOAT(weight_decay);
    SAME_FLOAT(beta2);
    SAME_FLOAT(grad_clip);
    SAME(flops);
    SAME(flops_attention);
    SAME_FLOAT(final_test_loss); SAME_FLOAT(best_test_loss); SAME(best_step);
    SAME_FLOAT(train_loss); SAME(stopped_early); SAME_TEXT(status); SAME_TEXT(reason);
    SAME(seconds); SAME(tokens_per_second); SAME(rank); SAME_TEXT(host);
    SAME(curve_offset); SAME(curve_length);
#undef SAME
#undef SAME_FLOAT
#undef SAME_TEXT
    return NULL;
}

static const char *curve_difference(const test_curve *got, const char *run_id,
                                    const curve_point *want)
{
    if (strcmp(got->run_id, run_id) != 0) return "run_id";
    if (got->step != want->step) return "step";
    if (got->tokens != want->tokens) return "tokens";
    if (got->flops != want->flops) return "flops";
    if (!same_float(got->train_loss, want->train_loss)) return "train_loss";
    if (!same_float(got->test_loss, want->test_loss)) return "test_loss";
    if (!same_float(got->lr, want->lr)) return "lr";
    return NULL;
}

/* Every row and curve point of the file equals what was appended, in order, the curves
 * contiguous from row 0 of /curves and nothing after the last one. */
static void check_contents(const char *what, const test_file *f, const test_run *want, int64_t n)
{
    check(f->n_rows == n, "%s: /runs has %" PRId64 " rows, want %" PRId64, what, f->n_rows, n);
    int64_t offset = 0, bad_rows = 0, bad_points = 0;
    for (int64_t i = 0; i < n && i < f->n_rows; i++) {
        results_run expected = want[i].row;
        expected.curve_offset = offset;
        expected.curve_length = want[i].n_points;
        const char *field = row_difference(&f->rows[i], &expected);
        if (field && bad_rows++ == 0)
            check(0, "%s: row %" PRId64 " differs in %s", what, i, field);
        for (int64_t k = 0; k < want[i].n_points && offset + k < f->n_curves; k++) {
            const char *column = curve_difference(&f->curves[offset + k], expected.run_id,
                                                  &want[i].points[k]);
            if (column && bad_points++ == 0)
                check(0, "%s: curve of row %" PRId64 " point %" PRId64 " differs in %s", what, i, k,
                      column);
        }
        offset += want[i].n_points;
    }
    check(bad_rows == 0, "%s: %" PRId64 " rows differ", what, bad_rows);
    check(bad_points == 0, "%s: %" PRId64 " curve points differ", what, bad_points);
    check(f->n_curves == offset, "%s: /curves has %" PRId64 " rows, the runs' curves %" PRId64,
          what, f->n_curves, offset);
}

/* ---- helpers ---- */

static void file_path(char *out, size_t outlen, const char *name)
{
    snprintf(out, outlen, "%s/%s", directory, name);
}

static void remove_store_files(const char *path)
{
    char lock[4400];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    unlink(path);
    unlink(lock);
}

/* FNV-1a of the whole file, and its size: "not a byte changed". */
static uint64_t file_checksum(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    *size = -1;
    if (!f)
        return 0;
    long n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        hash = (hash ^ (uint64_t)c) * UINT64_C(0x100000001b3);
        n++;
    }
    fclose(f);
    *size = n;
    return hash;
}

static int append_runs(store *s, test_run *runs, uint64_t family, int64_t first, int64_t count)
{
    char err[2048];
    for (int64_t i = first; i < first + count; i++) {
        make_run(&runs[i], family, i);
        if (store_append(s, &runs[i].row, runs[i].points, runs[i].n_points, err, sizeof(err)) < 0) {
            check(0, "append run %" PRId64 ": %s", i, err);
            return -1;
        }
    }
    return 0;
}

/* Reads a string attribute of the root group (variable-length, as the store writes). */
static int read_root_text(const char *path, const char *name, char *out, size_t outlen)
{
    out[0] = '\0';
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return -1;
    int status = -1;
    hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    if (attribute >= 0) {
        hid_t type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        char *value = NULL;
        if (H5Aread(attribute, type, &value) >= 0 && value) {
            snprintf(out, outlen, "%s", value);
            H5free_memory(value);
            status = 0;
        }
        H5Tclose(type);
        H5Aclose(attribute);
    }
    H5Fclose(file);
    return status;
}

/* ---- tests ---- */

/* Creates results.h5 with 40 runs, checks the root attributes and the column types,
 * reopens it to append 25 more, and leaves it for check_results.py. */
static void test_create_resume(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "results.h5");
    remove_store_files(path);
    static test_run runs[65];

    store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "scalesweep plan.ini", "0.1.0", &TEST_BLAS,
                          TEST_SOURCES, TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "create %s: %s", path, s ? "" : err);
    if (!s)
        return;
    check(store_count(s) == 0, "a new file has no runs");
    append_runs(s, runs, 1, 0, 40);
    check(store_count(s) == 40, "count after 40 appends: %" PRId64, store_count(s));
    int64_t offset = 0, offsets_right = 1;
    for (int i = 0; i < 40; i++) {
        offsets_right &= runs[i].row.curve_offset == offset &&
                         runs[i].row.curve_length == runs[i].n_points;
        offset += runs[i].n_points;
    }
    check(offsets_right, "append fills curve_offset and curve_length in the caller's row");
    check(store_has_run(s, runs[0].row.run_id) && store_has_run(s, runs[39].row.run_id),
          "has_run finds appended runs");
    test_run absent;
    make_run(&absent, 1, 40);
    check(!store_has_run(s, absent.row.run_id), "has_run does not find a run not appended");
    check(!store_has_run(s, "not a run id"), "has_run of a malformed id is false");

    /* bad appends change nothing */
    test_run bad;
    make_run(&bad, 9, 0);
    snprintf(bad.row.run_id, sizeof(bad.row.run_id), "0123456789ABCDEF");
    check(store_append(s, &bad.row, bad.points, bad.n_points, err, sizeof(err)) < 0 &&
              strstr(err, "0123456789ABCDEF"),
          "an uppercase run id is refused, naming it: %s", err);
    snprintf(bad.row.run_id, sizeof(bad.row.run_id), "12345");
    check(store_append(s, &bad.row, bad.points, bad.n_points, err, sizeof(err)) < 0,
          "a short run id is refused");
    memset(bad.row.run_id, 'a', sizeof(bad.row.run_id));
    check(store_append(s, &bad.row, bad.points, bad.n_points, err, sizeof(err)) < 0,
          "a run id of 17 digits without a terminator is refused");
    bad.row = runs[7].row;
    check(store_append(s, &bad.row, bad.points, bad.n_points, err, sizeof(err)) < 0 &&
              strstr(err, "already"),
          "a run already in the file is refused: %s", err);
    make_run(&bad, 9, 1);
    check(store_append(s, &bad.row, NULL, 3, err, sizeof(err)) < 0, "points missing is refused");
    check(store_count(s) == 40, "refused appends add nothing");

    /* a second writer, even in this process, is kept out by the lock */
    store *second = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                               TEST_N_SOURCES, 0, err, sizeof(err));
    check(second == NULL && strstr(err, "another process"),
          "a second writer of the same file is refused: %s", err);
    store_close(second);
    store_close(s);

    test_file f;
    if (read_file(path, &f) == 0)
        check_contents("after create", &f, runs, 40);
    free_file(&f);

    /* root attributes and column types */
    char text[4096];
    check(read_root_text(path, "plan_hash", text, sizeof(text)) == 0 &&
              strcmp(text, "0123456789abcdef") == 0, "plan_hash attribute: %s", text);
    check(read_root_text(path, "plan_text", text, sizeof(text)) == 0 &&
              strcmp(text, PLAN_TEXT) == 0, "plan_text attribute");
    check(read_root_text(path, "command_line", text, sizeof(text)) == 0 &&
              strcmp(text, "scalesweep plan.ini") == 0, "command_line attribute: %s", text);
    check(read_root_text(path, "scalesweep_version", text, sizeof(text)) == 0 &&
              strcmp(text, "0.1.0") == 0, "scalesweep_version attribute: %s", text);
    check(read_root_text(path, "created", text, sizeof(text)) == 0 && strlen(text) == 20 &&
              text[4] == '-' && text[10] == 'T' && text[19] == 'Z',
          "created is ISO 8601 UTC: %s", text);
    check(read_root_text(path, "blas_core", text, sizeof(text)) == 0 &&
              strcmp(text, TEST_BLAS.core) == 0,
          "blas_core attribute: %s", text);
    check(read_root_text(path, "blas_config", text, sizeof(text)) == 0 &&
              strcmp(text, TEST_BLAS.config) == 0,
          "blas_config attribute: %s", text);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    double gflops = 0;
    hid_t attribute = H5Aopen(file, "sgemm_gflops", H5P_DEFAULT);
    H5Aread(attribute, H5T_NATIVE_DOUBLE, &gflops);
    H5Aclose(attribute);
    check(gflops == TEST_BLAS.sgemm_gflops, "sgemm_gflops attribute: %g", gflops);
    int schema = 0;
    attribute = H5Aopen(file, "schema_version", H5P_DEFAULT);
    H5Aread(attribute, H5T_NATIVE_INT, &schema);
    H5Aclose(attribute);
    check(schema == RESULTS_SCHEMA_VERSION, "schema_version is %d: %d", RESULTS_SCHEMA_VERSION,
          schema);
    hid_t runs_set = H5Dopen2(file, "runs", H5P_DEFAULT);
    hid_t type = H5Dget_type(runs_set);
    struct { const char *name; hid_t want; } columns[] = {
        {"n_layer", H5T_STD_I32LE}, {"n_params", H5T_STD_I64LE}, {"lr", H5T_IEEE_F32LE},
        {"flops", H5T_IEEE_F64LE}, {"curve_offset", H5T_STD_I64LE}};
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
        int index = H5Tget_member_index(type, columns[i].name);
        hid_t member = index >= 0 ? H5Tget_member_type(type, (unsigned)index) : -1;
        check(member >= 0 && H5Tequal(member, columns[i].want) > 0, "/runs column %s type",
              columns[i].name);
        if (member >= 0)
            H5Tclose(member);
    }
    int index = H5Tget_member_index(type, "reason");
    hid_t member = index >= 0 ? H5Tget_member_type(type, (unsigned)index) : -1;
    check(member >= 0 && H5Tget_class(member) == H5T_STRING && H5Tget_size(member) == 160 &&
              H5Tis_variable_str(member) == 0 && H5Tget_strpad(member) == H5T_STR_NULLTERM,
          "/runs reason is a fixed-length, null-terminated string of 160 bytes");
    if (member >= 0)
        H5Tclose(member);
    H5Tclose(type);
    hsize_t chunk = 0;
    hid_t dcpl = H5Dget_create_plist(runs_set);
    check(H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 1, &chunk) == 1 && chunk > 1,
          "/runs is chunked (%llu rows)", (unsigned long long)chunk);
    H5Pclose(dcpl);
    hid_t space = H5Dget_space(runs_set);
    hsize_t dims = 0, max = 0;
    H5Sget_simple_extent_dims(space, &dims, &max);
    check(max == H5S_UNLIMITED, "/runs is extendible");
    H5Sclose(space);
    check(H5Aexists(runs_set, "units") > 0 && H5Aexists(runs_set, "descriptions") > 0,
          "/runs has units and descriptions attributes");
    H5Dclose(runs_set);
    H5Fclose(file);

    /* resume: same plan, the runs are known, and appends continue after them */
    s = store_open(path, PLAN_TEXT, PLAN_HASH, "scalesweep plan.ini", "0.1.0", &TEST_BLAS,
                   TEST_SOURCES, TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "resume %s: %s", path, s ? "" : err);
    if (!s)
        return;
    check(store_count(s) == 40, "resume counts 40 runs: %" PRId64, store_count(s));
    int all = 1;
    for (int i = 0; i < 40; i++)
        all &= store_has_run(s, runs[i].row.run_id);
    check(all, "resume knows every run");
    /* garbage after the terminators, as a reused buffer holds: the file must get the
     * text padded with zeros, or h5py shows b"ok\x00GARBAGE" */
    make_run(&runs[40], 1, 40);
    memcpy(runs[40].row.status, "ok\0GARBAGE", 11);
    memcpy(runs[40].row.reason, "\0GARBAGE", 9);
    memcpy(runs[40].row.host, "node\0GARBAGE", 13);
    check(store_append(s, &runs[40].row, runs[40].points, runs[40].n_points, err,
                       sizeof(err)) == 0, "append run 40: %s", err);
    append_runs(s, runs, 1, 41, 24);
    check(runs[40].row.curve_offset == offset, "the first run after resume starts its curve at "
          "%" PRId64 ": %" PRId64, offset, runs[40].row.curve_offset);
    check(store_count(s) == 65, "count after resume and 25 more: %" PRId64, store_count(s));
    store_close(s);
    if (read_file(path, &f) == 0) {
        check_contents("after resume", &f, runs, 65);
        const results_run *row = &f.rows[40];
        int padded = 1;
        for (size_t i = strlen(row->status); i < sizeof(row->status); i++)
            padded &= row->status[i] == 0;
        for (size_t i = strlen(row->reason); i < sizeof(row->reason); i++)
            padded &= row->reason[i] == 0;
        for (size_t i = strlen(row->host); i < sizeof(row->host); i++)
            padded &= row->host[i] == 0;
        check(f.n_rows == 65 && padded, "strings are stored as their text padded with zeros");
    }
    free_file(&f);
    printf("left %s with 65 runs for check_results.py\n", path);
}

/* Another plan's hash is refused, naming both hashes, without changing a byte; force
 * accepts it and records the new plan; an HDF5 file that is not ours and a file that
 * is not HDF5 are refused untouched. */
static void test_refuse_force(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "refuse.h5");
    remove_store_files(path);
    static test_run runs[12];
    store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "first", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                          TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "create %s: %s", path, s ? "" : err);
    if (!s)
        return;
    append_runs(s, runs, 2, 0, 10);
    store_close(s);

    long size_before, size_after;
    uint64_t before = file_checksum(path, &size_before);
    s = store_open(path, "other plan", OTHER_HASH, "second", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 0, err, sizeof(err));
    check(s == NULL, "another plan's hash is refused");
    store_close(s);
    check(strstr(err, "0123456789abcdef") && strstr(err, "fedcba9876543210"),
          "the refusal names both hashes: %s", err);
    uint64_t after = file_checksum(path, &size_after);
    check(size_before > 0 && before == after && size_before == size_after,
          "a refused file is byte for byte unchanged (%ld -> %ld bytes)", size_before, size_after);

    s = store_open(path, "other plan", OTHER_HASH, "second", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 1, err, sizeof(err));
    check(s != NULL, "force accepts another plan: %s", s ? "" : err);
    if (!s)
        return;
    check(store_count(s) == 10 && store_has_run(s, runs[3].row.run_id),
          "force keeps the runs already there");
    append_runs(s, runs, 2, 10, 2);
    store_close(s);
    char text[256];
    read_root_text(path, "plan_hash", text, sizeof(text));
    check(strcmp(text, "fedcba9876543210") == 0, "force records the new plan hash: %s", text);
    read_root_text(path, "plan_text", text, sizeof(text));
    check(strcmp(text, "other plan") == 0, "force records the new plan text: %s", text);
    test_file f;
    if (read_file(path, &f) == 0)
        check_contents("after force", &f, runs, 12);
    free_file(&f);
    s = store_open(path, "other plan", OTHER_HASH, "third", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL && store_count(s) == 12, "the forced plan then resumes without force: %s",
          s ? "" : err);
    store_close(s);

    /* a file that is not HDF5 */
    char other[4200];
    file_path(other, sizeof(other), "not_hdf5.h5");
    remove_store_files(other);
    FILE *text_file = fopen(other, "w");
    fputs("not an HDF5 file\n", text_file);
    fclose(text_file);
    before = file_checksum(other, &size_before);
    s = store_open(other, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 1, err, sizeof(err));
    check(s == NULL && strstr(err, other), "a file that is not HDF5 is refused: %s", err);
    store_close(s);
    after = file_checksum(other, &size_after);
    check(before == after && size_before == size_after, "and left as it was");
    remove_store_files(other);

    /* an HDF5 file without our attributes */
    file_path(other, sizeof(other), "foreign.h5");
    remove_store_files(other);
    hid_t file = H5Fcreate(other, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(file);
    before = file_checksum(other, &size_before);
    s = store_open(other, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 1, err, sizeof(err));
    check(s == NULL && strstr(err, "not a scalesweep results file"),
          "an HDF5 file without schema_version is refused: %s", err);
    store_close(s);
    after = file_checksum(other, &size_after);
    check(before == after && size_before == size_after, "and left as it was");
    remove_store_files(other);

    /* files of older schemas (1, before config_id; 2, before ranks): read by the fit, not
     * appended to */
    for (int old_schema = 1; old_schema < RESULTS_SCHEMA_VERSION; old_schema++) {
        char name[32], want[64];
        snprintf(name, sizeof name, "schema%d.h5", old_schema);
        snprintf(want, sizeof want, "schema version %d", old_schema);
        file_path(other, sizeof(other), name);
        remove_store_files(other);
        s = store_open(other, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                       TEST_N_SOURCES, 0, err, sizeof(err));
        check(s != NULL, "create %s: %s", other, s ? "" : err);
        store_close(s);
        file = H5Fopen(other, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t attribute = H5Aopen(file, "schema_version", H5P_DEFAULT);
        H5Awrite(attribute, H5T_NATIVE_INT, &old_schema);
        H5Aclose(attribute);
        H5Fclose(file);
        before = file_checksum(other, &size_before);
        s = store_open(other, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                       TEST_N_SOURCES, 1, err, sizeof(err));
        check(s == NULL && strstr(err, want) && strstr(err, "scalesweep fit still reads"),
              "a schema %d file is refused, saying the fit still reads it: %s", old_schema, err);
        store_close(s);
        after = file_checksum(other, &size_after);
        check(before == after && size_before == size_after, "and left as it was");
        remove_store_files(other);
    }
}

/* A writer killed without closing: the file is left flagged "open for writing" with a
 * stale end of allocation. A SWMR reader still sees every committed row; another
 * plan is still refused without a change; the same plan resumes with every row. */
static void test_crash(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "crash.h5");
    remove_store_files(path);
    static test_run runs[300];
    const int64_t before_crash = 257; /* past the first /runs chunk */

    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        /* the child writes and dies: no store_close, no exit handlers */
        store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                              TEST_N_SOURCES, 0, err, sizeof(err));
        if (!s) {
            fprintf(stderr, "child: %s\n", err);
            _exit(2);
        }
        for (int64_t i = 0; i < before_crash; i++) {
            make_run(&runs[i], 3, i);
            if (store_append(s, &runs[i].row, runs[i].points, runs[i].n_points, err,
                             sizeof(err)) < 0) {
                fprintf(stderr, "child: %s\n", err);
                _exit(3);
            }
        }
        raise(SIGKILL);
        _exit(4);
    }
    int status = 0;
    check(child > 0 && waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
              WTERMSIG(status) == SIGKILL,
          "the writer was killed (status %d)", status);
    for (int64_t i = 0; i < before_crash; i++)
        make_run(&runs[i], 3, i);

    /* really left unclean: a plain read-only open is refused by HDF5 */
    hid_t plain = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    check(plain < 0, "the killed writer's file is flagged open for writing");
    if (plain >= 0)
        H5Fclose(plain);
    /* a SWMR reader (h5py swmr=True) reads every committed row of it */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    hid_t reader = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    H5Pclose(fapl);
    check(reader >= 0, "a SWMR reader opens the crashed file");
    if (reader >= 0) {
        test_file f;
        if (read_tables(reader, &f) == 0)
            check_contents("crashed file, SWMR reader", &f, runs, before_crash);
        free_file(&f);
        H5Fclose(reader);
    }

    long size_before, size_after;
    uint64_t before = file_checksum(path, &size_before);
    store *s = store_open(path, "other", OTHER_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                          TEST_N_SOURCES, 0, err, sizeof(err));
    check(s == NULL && strstr(err, "fedcba9876543210"), "another plan is refused on a crashed "
          "file too: %s", err);
    store_close(s);
    uint64_t after = file_checksum(path, &size_after);
    check(before == after && size_before == size_after,
          "the refused crashed file is byte for byte unchanged");

    s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "the crashed file resumes: %s", s ? "" : err);
    if (!s)
        return;
    check(store_count(s) == before_crash, "every committed run survives the crash: %" PRId64,
          store_count(s));
    int all = 1;
    for (int64_t i = 0; i < before_crash; i++)
        all &= store_has_run(s, runs[i].row.run_id);
    check(all, "resume after the crash knows every run");
    append_runs(s, runs, 3, before_crash, 300 - before_crash);
    store_close(s);
    test_file f;
    if (read_file(path, &f) == 0)
        check_contents("after crash and resume", &f, runs, 300);
    free_file(&f);
    hsize_t eof = 0;
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    haddr_t eoa = 0;
    if (file >= 0) {
        H5Fget_filesize(file, &eof);
        H5Fget_eoa(file, &eoa);
        H5Fclose(file);
    }
    check(file >= 0 && eoa == eof, "after recovery the end of allocation is the end of the file "
          "(%llu, %llu)", (unsigned long long)eoa, (unsigned long long)eof);
}

/* A curve written without its row (a crash between the two) and a row extended but
 * never written are dropped on resume, and the next run's curve takes their place. */
static void test_orphan_curve(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "orphan.h5");
    remove_store_files(path);
    static test_run runs[5];
    store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                          TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "create %s: %s", path, s ? "" : err);
    if (!s)
        return;
    append_runs(s, runs, 4, 0, 3);
    store_close(s);
    int64_t committed = 0;
    for (int i = 0; i < 3; i++)
        committed += runs[i].n_points;

    /* what a crash could leave: 7 curve rows of a run with no row, and a /runs row of
     * zeros (extended, not written) */
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t curves = H5Dopen2(file, "curves", H5P_DEFAULT);
    hid_t runs_set = H5Dopen2(file, "runs", H5P_DEFAULT);
    test_curve orphan[7];
    memset(orphan, 0, sizeof(orphan));
    for (int k = 0; k < 7; k++) {
        snprintf(orphan[k].run_id, sizeof(orphan[k].run_id), "00000000deadbeef");
        orphan[k].step = k + 1;
    }
    hsize_t dims = (hsize_t)committed + 7, start = (hsize_t)committed, count = 7;
    int ok = H5Dset_extent(curves, &dims) >= 0;
    hid_t space = H5Dget_space(curves), memory = H5Screate_simple(1, &count, NULL);
    hid_t type = curve_read_type();
    ok = ok && H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0 &&
         H5Dwrite(curves, type, memory, space, H5P_DEFAULT, orphan) >= 0;
    H5Tclose(type);
    H5Sclose(memory);
    H5Sclose(space);
    results_run zero;
    memset(&zero, 0, sizeof(zero));
    dims = 4, start = 3, count = 1;
    ok = ok && H5Dset_extent(runs_set, &dims) >= 0;
    space = H5Dget_space(runs_set);
    memory = H5Screate_simple(1, &count, NULL);
    type = run_read_type();
    ok = ok && H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL) >= 0 &&
         H5Dwrite(runs_set, type, memory, space, H5P_DEFAULT, &zero) >= 0;
    H5Tclose(type);
    H5Sclose(memory);
    H5Sclose(space);
    /* and the orphan's rows of the source tables, past the committed ones */
    const char *tables[2] = {RESULTS_SOURCE_CURVES, RESULTS_SOURCE_LOSSES};
    const int64_t committed_rows[2] = {committed * TEST_N_SOURCES, 3 * TEST_N_SOURCES};
    for (int t = 0; t < 2 && ok; t++) {
        hid_t set = H5Dopen2(file, tables[t], H5P_DEFAULT);
        const size_t row_size = t == 0 ? sizeof(results_source_point) : sizeof(results_source_loss);
        hid_t row_type =
            t == 0
                ? results_table_type(results_source_point_columns,
                                     results_source_point_column_count, row_size, RESULTS_IN_STRUCT)
                : results_table_type(results_source_loss_columns, results_source_loss_column_count,
                                     row_size, RESULTS_IN_STRUCT);
        const hsize_t extra = 7 * TEST_N_SOURCES;
        unsigned char *rows = calloc(extra, row_size);
        for (hsize_t k = 0; rows && k < extra; k++)
            snprintf((char *)rows + k * row_size, RESULTS_ID_SIZE, "00000000deadbeef");
        hsize_t extent = (hsize_t)committed_rows[t] + extra, at = (hsize_t)committed_rows[t];
        ok = rows && H5Dset_extent(set, &extent) >= 0;
        space = H5Dget_space(set);
        memory = H5Screate_simple(1, &extra, NULL);
        ok = ok && H5Sselect_hyperslab(space, H5S_SELECT_SET, &at, NULL, &extra, NULL) >= 0 &&
             H5Dwrite(set, row_type, memory, space, H5P_DEFAULT, rows) >= 0;
        free(rows);
        H5Sclose(memory);
        H5Sclose(space);
        H5Tclose(row_type);
        H5Dclose(set);
    }
    H5Dclose(runs_set);
    H5Dclose(curves);
    H5Fclose(file);
    check(ok, "wrote an orphan curve (and its sources' rows) and an unwritten row");

    /* a resume scored on other sources is refused */
    const results_source other[1] = {{"alpha", "data/alpha", 1000, 100}};
    s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, other, 1, 0, err,
                   sizeof(err));
    check(s == NULL && strstr(err, "holds runs scored on the sources alpha and beta, not on "
                                   "alpha; give this plan another output") != NULL,
          "a resume on other sources is refused: %s", err);
    if (s)
        store_close(s);

    s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                   TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "resume with an orphan curve: %s", s ? "" : err);
    if (!s)
        return;
    check(store_count(s) == 3, "the unwritten row is not counted: %" PRId64, store_count(s));
    check(!store_has_run(s, "00000000deadbeef"), "the orphan curve's run is not in the file");
    append_runs(s, runs, 4, 3, 2);
    check(runs[3].row.curve_offset == committed,
          "the next curve overwrites the orphan: offset %" PRId64 ", want %" PRId64,
          runs[3].row.curve_offset, committed);
    store_close(s);
    test_file f;
    if (read_file(path, &f) == 0) {
        check_contents("after orphan", &f, runs, 5);
        int64_t orphans = 0;
        for (int64_t i = 0; i < f.n_curves; i++)
            orphans += strcmp(f.curves[i].run_id, "00000000deadbeef") == 0;
        check(orphans == 0, "no orphan curve row is left: %" PRId64, orphans);
    }
    free_file(&f);
    /* the source tables end where the committed runs' rows end */
    hid_t again = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int64_t points = 0;
    for (int i = 0; i < 5; i++)
        points += runs[i].n_points;
    const int64_t want[2] = {points * TEST_N_SOURCES, 5 * TEST_N_SOURCES};
    for (int t = 0; t < 2; t++) {
        hid_t set = H5Dopen2(again, tables[t], H5P_DEFAULT);
        hid_t set_space = H5Dget_space(set);
        hsize_t rows = 0;
        H5Sget_simple_extent_dims(set_space, &rows, NULL);
        check((int64_t)rows == want[t], "/%s has the committed runs' %" PRId64 " rows, got %llu",
              tables[t], want[t], (unsigned long long)rows);
        H5Sclose(set_space);
        H5Dclose(set);
    }
    H5Fclose(again);
}

/* A reader in another process follows the file as it is written, the way h5py with
 * swmr=True does: after each append and a refresh it sees exactly the committed runs,
 * each with its whole curve. The reader is forked before the writer opens anything,
 * so that it shares no HDF5 state with it. */
static void test_swmr_reader(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "swmr.h5");
    remove_store_files(path);
    enum { ROUNDS = 30 };
    static test_run runs[5 + ROUNDS];
    int to_reader[2], to_writer[2];
    if (pipe(to_reader) < 0 || pipe(to_writer) < 0) {
        check(0, "pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        close(to_reader[1]);
        close(to_writer[0]);
        int failures = 0;
        hid_t file = H5I_INVALID_HID, runs_set = H5I_INVALID_HID, curves = H5I_INVALID_HID;
        int64_t committed;
        while (read(to_reader[0], &committed, sizeof(committed)) == sizeof(committed)) {
            if (file < 0) {
                hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
                H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
                file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
                H5Pclose(fapl);
                runs_set = H5Dopen2(file, "runs", H5P_DEFAULT);
                curves = H5Dopen2(file, "curves", H5P_DEFAULT);
                if (file < 0 || runs_set < 0 || curves < 0) {
                    fprintf(stderr, "reader: cannot open %s\n", path);
                    _exit(10);
                }
            }
            /* what the reader sees must be exactly the committed runs */
            int good = H5Drefresh(runs_set) >= 0 && H5Drefresh(curves) >= 0;
            test_file f;
            memset(&f, 0, sizeof(f));
            hid_t rt = run_read_type(), ct = curve_read_type();
            f.n_rows = extent(runs_set);
            f.n_curves = extent(curves);
            f.rows = calloc((size_t)f.n_rows + 1, sizeof(*f.rows));
            f.curves = calloc((size_t)f.n_curves + 1, sizeof(*f.curves));
            good = good && (f.n_rows == 0 ||
                            H5Dread(runs_set, rt, H5S_ALL, H5S_ALL, H5P_DEFAULT, f.rows) >= 0);
            good = good && (f.n_curves == 0 ||
                            H5Dread(curves, ct, H5S_ALL, H5S_ALL, H5P_DEFAULT, f.curves) >= 0);
            H5Tclose(rt);
            H5Tclose(ct);
            test_run expected[5 + ROUNDS];
            for (int64_t i = 0; i < committed; i++)
                make_run(&expected[i], 5, i);
            int before = checks_failed;
            check_contents("SWMR reader", &f, expected, committed);
            if (!good || checks_failed != before) {
                fprintf(stderr, "reader: wrong view with %" PRId64 " runs committed\n", committed);
                failures++;
            }
            free_file(&f);
            char reply = (char)(failures ? 'F' : 'k');
            if (write(to_writer[1], &reply, 1) != 1)
                _exit(11);
        }
        if (curves >= 0)
            H5Dclose(curves);
        if (runs_set >= 0)
            H5Dclose(runs_set);
        if (file >= 0)
            H5Fclose(file);
        _exit(failures ? 1 : 0);
    }
    close(to_reader[0]);
    close(to_writer[1]);

    store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                          TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "create %s: %s", path, s ? "" : err);
    int rounds_ok = 0;
    if (s) {
        append_runs(s, runs, 5, 0, 5);
        for (int round = 0; round < ROUNDS; round++) {
            int64_t committed = store_count(s);
            char reply = 0;
            if (write(to_reader[1], &committed, sizeof(committed)) != sizeof(committed) ||
                read(to_writer[0], &reply, 1) != 1)
                break;
            rounds_ok += reply == 'k';
            append_runs(s, runs, 5, committed, 1);
        }
    }
    close(to_reader[1]);
    int status = 0;
    waitpid(child, &status, 0);
    close(to_writer[0]);
    store_close(s);
    check(rounds_ok == ROUNDS && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a SWMR reader in another process saw exactly the committed runs in %d of %d rounds "
          "(exit status %d)", rounds_ok, ROUNDS, status);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The dispatch loop wants 5,000 runs/s with about 10 points each, both flushes
 * included. Printed, not asserted: the machine is shared. */
static void test_rate(void)
{
    char path[4200], err[2048];
    file_path(path, sizeof(path), "rate.h5");
    remove_store_files(path);
    enum { RUNS = 10000, POINTS = 10 };
    store *s = store_open(path, PLAN_TEXT, PLAN_HASH, "", "0.1.0", &TEST_BLAS, TEST_SOURCES,
                          TEST_N_SOURCES, 0, err, sizeof(err));
    check(s != NULL, "create %s: %s", path, s ? "" : err);
    if (!s)
        return;
    test_run run;
    make_run(&run, 6, 1);
    int failed = 0;
    double start = seconds_now();
    for (int64_t i = 0; i < RUNS && !failed; i++) {
        snprintf(run.row.run_id, sizeof(run.row.run_id), "%016" PRIx64, (uint64_t)i);
        run.row.seed = i;
        failed = store_append(s, &run.row, run.points, POINTS, err, sizeof(err)) < 0;
    }
    double elapsed = seconds_now() - start;
    check(!failed, "rate appends: %s", failed ? err : "");
    check(store_count(s) == RUNS, "rate file has %d runs", RUNS);
    store_close(s);
    printf("append rate: %.0f runs/s (%d runs of %d points, two flushes each, %.1f us per run)\n",
           RUNS / elapsed, RUNS, POINTS, 1e6 * elapsed / RUNS);
    remove_store_files(path);
}

int main(int argc, char **argv)
{
    int temporary = argc < 2;
    if (temporary) {
        snprintf(directory, sizeof(directory), "/tmp/test_store.XXXXXX");
        if (!mkdtemp(directory)) {
            perror("mkdtemp");
            return 1;
        }
    } else {
        snprintf(directory, sizeof(directory), "%s", argv[1]);
        if (mkdir(directory, 0755) < 0 && errno != EEXIST) {
            perror(directory);
            return 1;
        }
    }
    test_create_resume();
    test_refuse_force();
    test_crash();
    test_orphan_curve();
    test_swmr_reader();
    test_rate();
    if (temporary) {
        const char *names[] = {"results.h5", "refuse.h5", "crash.h5", "orphan.h5", "swmr.h5"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            char path[4200];
            file_path(path, sizeof(path), names[i]);
            remove_store_files(path);
        }
        rmdir(directory);
    }
    return test_report("store");
}
