/* What lies outside a plan's text, checked by rank 0 before any rank trains: the corpus
 * can be read and holds what the runs need, the output can be written. Only stat, access
 * and a read-only open: validation never creates or changes a file. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "paths.h"
#include "plan_internal.h"
#include "units.h"

static int env_fail(const plan *p, char *err, size_t errlen, plan_key k, int line, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));

static int env_fail(const plan *p, char *err, size_t errlen, plan_key k, int line, const char *fmt,
                    ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%d: [%s] %s: %s", p->path, line, plan_keys[k].section,
             plan_keys[k].name, message);
    return -1;
}

/* Size of a file we can open for reading, or -1 with errno's reason in why. */
static int64_t readable_size(const char *path, const char **why)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *why = strerror(errno);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        return -1;
    }
    FILE *f = fopen(path, "rb"); /* read-only: opening changes nothing */
    if (!f) {
        *why = strerror(errno);
        return -1;
    }
    fclose(f);
    return (int64_t)st.st_size;
}

static int check_corpus(const plan *p, char *err, size_t errlen)
{
    const int corpus_line = p->key_lines[KEY_DATA_CORPUS];
    const char *as = corpus_line ? "" : " (the default)";
    struct stat st;
    if (stat(p->corpus, &st) != 0)
        return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line, "cannot read %s%s: %s",
                        p->corpus, as, strerror(errno));
    int64_t train_size, test_size;
    const char *why = "unknown error";
    if (S_ISDIR(st.st_mode)) {
        if (p->key_lines[KEY_DATA_TEST_FRACTION])
            return env_fail(p, err, errlen, KEY_DATA_TEST_FRACTION,
                            p->key_lines[KEY_DATA_TEST_FRACTION],
                            "%s is a folder with its own test.txt; test_fraction applies only "
                            "to a single text file",
                            p->corpus);
        char file[4096 + 16];
        snprintf(file, sizeof file, "%s/" CORPUS_TRAIN_FILE, p->corpus);
        if ((train_size = readable_size(file, &why)) < 0)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line, "cannot read %s: %s",
                            file, why);
        snprintf(file, sizeof file, "%s/" CORPUS_TEST_FILE, p->corpus);
        if ((test_size = readable_size(file, &why)) < 0)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line, "cannot read %s: %s",
                            file, why);
    } else {
        int64_t size = readable_size(p->corpus, &why);
        if (size < 0)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line, "cannot read %s%s: %s",
                            p->corpus, as, why);
        /* as corpus_load splits a single file */
        test_size = (int64_t)floor((double)size * p->test_fraction);
        train_size = size - test_size;
    }
    char a[32], b[32];
    if (train_size < 2 || test_size < 2)
        return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line,
                        "%s is too small: %s training and %s held-out bytes", p->corpus,
                        units_group_digits(train_size, a), units_group_digits(test_size, b));

    for (int64_t i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        const train_config *c = &run->config;
        const int64_t window = c->model.n_ctx + 1;
        if (c->unique_tokens > train_size)
            return env_fail(p, err, errlen, KEY_TRAIN_UNIQUE_TOKENS, run->line,
                            "%s unique tokens are more than the %s bytes of training text in "
                            "%s",
                            units_group_digits(c->unique_tokens, a),
                            units_group_digits(train_size, b), p->corpus);
        if (train_size < window)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line,
                            "the training text of %s (%s bytes) is shorter than one window of "
                            "n_ctx + 1 = %lld bytes",
                            p->corpus, units_group_digits(train_size, a), (long long)window);
        if (c->unique_tokens == 0 && c->tokens > train_size && !p->allow_epochs)
            return env_fail(p, err, errlen, plan_data_key(p, run), run->line,
                            "run %lld (%dx%dx%d) trains on D = %s tokens, more than the %s bytes "
                            "of training text in %s; set [data] allow_epochs = true to repeat it",
                            (long long)i + 1, c->model.n_layer, c->model.d_model, c->model.n_head,
                            units_group_digits(c->tokens, a), units_group_digits(train_size, b),
                            p->corpus);
        /* the worker scores min(eval_tokens, test size - 1) tokens in n_ctx windows */
        if (test_size - 1 < c->model.n_ctx)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line,
                            "the held-out text of %s (%s bytes) is too short to score one "
                            "n_ctx window of %d tokens",
                            p->corpus, units_group_digits(test_size, a), c->model.n_ctx);
    }
    return 0;
}

/* Whether path names the file `st` is (another name of it: a link, ./x/../). */
static int same_file(const char *path, const struct stat *st)
{
    struct stat other;
    return stat(path, &other) == 0 && other.st_dev == st->st_dev && other.st_ino == st->st_ino;
}

/* Whether the file begins as HDF5 does: its 8-byte signature at 0, 512, 1024, 2048, ...
 * (after a user block), where H5Fis_hdf5 looks for it. */
static int starts_as_hdf5(const char *path, int64_t size)
{
    static const unsigned char signature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int found = 0;
    for (int64_t at = 0; !found && at + 8 <= size; at = at ? 2 * at : 512) {
        unsigned char head[8];
        found = fseek(f, (long)at, SEEK_SET) == 0 &&
                fread(head, 1, sizeof head, f) == sizeof head &&
                memcmp(head, signature, sizeof head) == 0;
    }
    fclose(f);
    return found;
}

/* The results file must be a results file (HDF5) to resume, not the plan, not the corpus,
 * and writable, or creatable in an existing writable folder. Only stat, access and a
 * read-only open: validation never creates, truncates or touches the file. */
static int check_output(const plan *p, char *err, size_t errlen)
{
    const int line = p->key_lines[KEY_SWEEP_OUTPUT];
    struct stat st;
    if (stat(p->output, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                            "%s is a folder; output names the results file", p->output);
        if (!S_ISREG(st.st_mode))
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "%s is not a regular file",
                            p->output);
        if (same_file(p->path, &st))
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                            "%s is this plan; output names the results file", p->output);
        if (plan_trainer_reads_corpus(p->trainer)) {
            char file[4096 + 16];
            snprintf(file, sizeof file, "%s/" CORPUS_TRAIN_FILE, p->corpus);
            int is_corpus = same_file(p->corpus, &st) || same_file(file, &st);
            snprintf(file, sizeof file, "%s/" CORPUS_TEST_FILE, p->corpus);
            if (is_corpus || same_file(file, &st))
                return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                                "%s is the corpus; output names the results file", p->output);
        }
        if (access(p->output, R_OK) != 0)
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "cannot read %s: %s", p->output,
                            strerror(errno));
        if (!starts_as_hdf5(p->output, (int64_t)st.st_size))
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                            "%s exists and is not an HDF5 file, so not a results file to "
                            "resume; name a new file, or move this one aside",
                            p->output);
    }
    /* the sweep's writer locks the file by its one name: one that has none (a symbolic link
     * to nothing, hard links) is refused here rather than by the sweep */
    char why[4096 + 256];
    if (paths_writable(p->output, why, sizeof why) != 0)
        return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "%s", why);
    char *name = paths_one_name(p->output, why, sizeof why);
    if (!name)
        return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "%s", why);
    free(name);
    return 0;
}

int plan_check_environment(const plan *p, char *err, size_t errlen)
{
    /* the synthetic trainer reads no text: its plans run anywhere */
    if (plan_trainer_reads_corpus(p->trainer) && check_corpus(p, err, errlen) != 0)
        return -1;
    return check_output(p, err, errlen);
}
