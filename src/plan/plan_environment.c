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

/* Where a source's errors are said: the line of its [data] sources item, or [data] corpus. */
static void source_key(const plan *p, const plan_source *source, plan_key *k, int *line)
{
    *k = source->line ? KEY_DATA_SOURCES : KEY_DATA_CORPUS;
    *line = source->line ? source->line : p->key_lines[KEY_DATA_CORPUS];
}

/* "source press (data/brown/sources/press)", or "data/brown" for the corpus alone. */
static const char *source_title(const plan *p, const plan_source *source, char *out, size_t size)
{
    if (p->named_sources)
        snprintf(out, size, "source %s (%s)", source->name, source->path);
    else
        snprintf(out, size, "%s", source->path);
    return out;
}

/* The training and held-out bytes of a source, as corpus_load would split them, and whether
 * it is a folder (its own test.txt) rather than one text file. */
static int source_sizes(const plan *p, const plan_source *source, int64_t *train_size,
                        int64_t *test_size, int *is_folder, char *err, size_t errlen)
{
    plan_key k;
    int line;
    source_key(p, source, &k, &line);
    const char *as = line || source->line ? "" : " (the default)";
    struct stat st;
    char title[4400];
    source_title(p, source, title, sizeof title);
    if (stat(source->path, &st) != 0)
        return env_fail(p, err, errlen, k, line, "cannot read %s%s: %s", title, as,
                        strerror(errno));
    const char *why = "unknown error";
    *is_folder = S_ISDIR(st.st_mode);
    if (*is_folder) {
        char file[4096 + 16];
        snprintf(file, sizeof file, "%s/" CORPUS_TRAIN_FILE, source->path);
        if ((*train_size = readable_size(file, &why)) < 0)
            return env_fail(p, err, errlen, k, line, "%s: cannot read %s: %s", title, file, why);
        snprintf(file, sizeof file, "%s/" CORPUS_TEST_FILE, source->path);
        if ((*test_size = readable_size(file, &why)) < 0)
            return env_fail(p, err, errlen, k, line, "%s: cannot read %s: %s", title, file, why);
    } else {
        int64_t size = readable_size(source->path, &why);
        if (size < 0)
            return env_fail(p, err, errlen, k, line, "cannot read %s%s: %s", title, as, why);
        /* as corpus_load splits a single file */
        *test_size = (int64_t)floor((double)size * p->test_fraction);
        *train_size = size - *test_size;
    }
    char a[32], b[32];
    if (*train_size < 2 || *test_size < 2)
        return env_fail(p, err, errlen, k, line, "%s is %s: %s training and %s held-out bytes",
                        title, *train_size + *test_size == 0 ? "empty" : "too small",
                        units_group_digits(*train_size, a), units_group_digits(*test_size, b));
    return 0;
}

/* What a run that trains on source i asks of its training text: its share of unique_tokens,
 * one window, and its share of D (unless allow_epochs). */
static int check_training(const plan *p, int64_t r, int i, int64_t train_size, char *err,
                          size_t errlen)
{
    const plan_source *source = &p->sources[i];
    const plan_run *run = &p->runs[r];
    const train_config *c = &run->config;
    const double share = c->mixture[i];
    plan_key k;
    int line;
    source_key(p, source, &k, &line);
    char title[4400], a[32], b[32], d[32];
    source_title(p, source, title, sizeof title);
    const int64_t window = c->model.n_ctx + 1;
    const int64_t pool = train_source_pool(c, i, train_size);
    if (c->unique_tokens > 0 && pool > train_size)
        return env_fail(p, err, errlen, KEY_TRAIN_UNIQUE_TOKENS, run->line,
                        "%s unique tokens%s are more than the %s bytes of training text in %s",
                        units_group_digits(pool, a), share < 1.0 ? " (its share)" : "",
                        units_group_digits(train_size, b), title);
    if (train_size < window || pool < window)
        return env_fail(p, err, errlen, c->unique_tokens > 0 ? KEY_TRAIN_UNIQUE_TOKENS : k,
                        c->unique_tokens > 0 ? run->line : line,
                        "the training text of %s (%s bytes%s) is shorter than one window of "
                        "n_ctx + 1 = %lld bytes",
                        title, units_group_digits(pool < train_size ? pool : train_size, a),
                        pool < train_size ? ", its share of unique_tokens" : "", (long long)window);
    const int64_t wanted = (int64_t)ceil(share * (double)c->tokens);
    if (c->unique_tokens > 0 || wanted <= train_size || p->allow_epochs)
        return 0;
    char shape[NET_SHAPE_SIZE];
    net_shape(&c->model, shape, sizeof shape);
    if (share < 1.0)
        return env_fail(p, err, errlen, plan_data_key(p, run), run->line,
                        "run %lld (%s, mixture %s) trains on %s tokens of source %s, its "
                        "share %.3g of D = %s: more than the %s bytes of training text in %s; "
                        "set [data] allow_epochs = true to repeat it",
                        (long long)r + 1, shape, p->mixtures[run->mixture].text,
                        units_group_digits(wanted, a), source->name, share,
                        units_group_digits(c->tokens, d), units_group_digits(train_size, b),
                        source->path);
    return env_fail(p, err, errlen, plan_data_key(p, run), run->line,
                    "run %lld (%s) trains on D = %s tokens, more than the %s bytes of "
                    "training text in %s; set [data] allow_epochs = true to repeat it",
                    (long long)r + 1, shape, units_group_digits(c->tokens, a),
                    units_group_digits(train_size, b), title);
}

/* What each run asks of a source: its training text when it trains on it, and held-out text
 * for every evaluation: the corpus alone is scored on at most its length, named sources must
 * each hold eval_tokens, so that every one is scored on as much text. */
static int check_source_runs(const plan *p, int i, int64_t train_size, int64_t test_size, char *err,
                             size_t errlen)
{
    const plan_source *source = &p->sources[i];
    plan_key k;
    int line;
    source_key(p, source, &k, &line);
    char title[4400], a[32], b[32];
    source_title(p, source, title, sizeof title);
    for (int64_t r = 0; r < p->n_runs; r++) {
        const train_config *c = &p->runs[r].config;
        if (c->mixture[i] > 0.0 && check_training(p, r, i, train_size, err, errlen) != 0)
            return -1;
        if (test_size - 1 < c->model.n_ctx)
            return env_fail(p, err, errlen, k, line,
                            "the held-out text of %s (%s bytes) is too short to score one "
                            "n_ctx window of %d tokens",
                            title, units_group_digits(test_size, a), c->model.n_ctx);
        if (p->named_sources && test_size - 1 < c->eval_tokens)
            return env_fail(p, err, errlen, k, line,
                            "the held-out text of %s (%s bytes) is shorter than eval_tokens + 1 "
                            "= %s bytes; lower [data] eval_tokens, or give the source more "
                            "held-out text",
                            title, units_group_digits(test_size, a),
                            units_group_digits(c->eval_tokens + 1, b));
    }
    return 0;
}

int plan_source_sizes(const plan *p, int i, int64_t *train_size, int64_t *test_size, char *err,
                      size_t errlen)
{
    int is_folder;
    return source_sizes(p, &p->sources[i], train_size, test_size, &is_folder, err, errlen);
}

static int check_corpus(const plan *p, char *err, size_t errlen)
{
    int any_file = 0;
    /* each source's held-out text as the worker counts its evaluation windows */
    corpus held_out[TRAIN_MAX_SOURCES];
    memset(held_out, 0, sizeof held_out);
    for (int i = 0; i < p->n_sources; i++) {
        int64_t train_size, test_size;
        int is_folder;
        if (source_sizes(p, &p->sources[i], &train_size, &test_size, &is_folder, err, errlen) !=
                0 ||
            check_source_runs(p, i, train_size, test_size, err, errlen) != 0)
            return -1;
        held_out[i].test_size = test_size;
        any_file |= !is_folder;
    }
    /* test_fraction splits single text files: a plan of folders alone has none */
    const int fraction_line = p->key_lines[KEY_DATA_TEST_FRACTION];
    if (fraction_line && !any_file)
        return env_fail(p, err, errlen, KEY_DATA_TEST_FRACTION, fraction_line,
                        p->named_sources
                            ? "every source is a folder with its own test.txt; test_fraction "
                              "applies only to sources that are single text files"
                            : "%s is a folder with its own test.txt; test_fraction applies only "
                              "to a single text file",
                        p->corpus);
    /* what one share message holds (one n_ctx and eval_tokens per plan: the first run's) */
    const int64_t windows = p->n_runs > 0 ? train_eval_tokens(&p->runs[0].config, held_out) /
                                                p->runs[0].config.model.n_ctx
                                          : 0;
    if (windows > TRAIN_MAX_EVAL_WINDOWS)
        return env_fail(p, err, errlen, KEY_DATA_EVAL_TOKENS, p->key_lines[KEY_DATA_EVAL_TOKENS],
                        "an evaluation of every source would score %lld windows, more than "
                        "2^28: lower eval_tokens",
                        (long long)windows);
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
        for (int i = 0; plan_trainer_reads_corpus(p->trainer) && i < p->n_sources; i++) {
            const char *path = p->sources[i].path;
            char file[4096 + 16];
            snprintf(file, sizeof file, "%s/" CORPUS_TRAIN_FILE, path);
            int is_corpus = same_file(path, &st) || same_file(file, &st);
            snprintf(file, sizeof file, "%s/" CORPUS_TEST_FILE, path);
            if (is_corpus || same_file(file, &st))
                return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                                "%s is the corpus%s%s; output names the results file", p->output,
                                p->named_sources ? ": source " : "",
                                p->named_sources ? p->sources[i].name : "");
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
