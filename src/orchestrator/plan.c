/* plan.ini: read with inih into a table of raw values (each with its line), interpreted
 * and validated key by key, then expanded into runs. docs/plan.md documents every key.
 *
 * Line numbers. inih counts lines itself and, in Debian 12's libinih (55-1), passes the
 * count to the handler: that library is built with INI_HANDLER_LINENO=1 (its calls load
 * the count into the fifth argument register) although the installed ini.h defaults the
 * macro to 0. The handler's type must match the library, so we define it here;
 * tests/test_plan.c checks the library's behaviour. We do not rely on that count, though:
 * the plan is fed to ini_parse_stream through our own reader, which counts the lines it
 * hands over (inih calls the handler for a line before it reads the next one). The same
 * reader refuses lines longer than inih's buffer (which would otherwise be cut and their
 * rest parsed as a line of its own) and checks section headers that hold no key. */
#include "plan.h"

#undef INI_HANDLER_LINENO
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "model.h"
#include "units.h"

#define PLAN_MAX_FILE_BYTES (1 << 20)
/* Kaplan et al. 2020, Appendix D.6, eq. (D.1): the learning rate that worked best for a
 * model of N non-embedding parameters (fitted at batch 512 x 1024 tokens, 3000 warmup
 * steps, cosine decay to zero). It reaches zero at N = exp(0.003239 / 0.0001395) ~ 1.2e10. */
#define KAPLAN_LR_INTERCEPT 0.003239
#define KAPLAN_LR_SLOPE 0.0001395
/* Generated shapes keep d_model / n_layer within this factor of aspect_ratio. */
#define ASPECT_BAND 2.0
/* A generated shape further than this factor from its target N is refused. */
#define PARAMS_TOLERANCE 1.5
/* Upper bounds that keep every product of counts far from int64 overflow. */
#define MAX_TOKENS 1000000000000000LL /* 1e15 */
#define MAX_SEED 1000000000000000LL   /* seeds stay exact in the double units.c parses */
#define MAX_COMPUTE 1e30

/* ---- the keys ------------------------------------------------------------------------ */

typedef enum {
    KEY_SWEEP_NAME,
    KEY_SWEEP_OUTPUT,
    KEY_SWEEP_MODE,
    KEY_SWEEP_SEEDS,
    KEY_SWEEP_SEED_LIST,
    KEY_SWEEP_TRAINER,
    KEY_DATA_CORPUS,
    KEY_DATA_TEST_FRACTION,
    KEY_DATA_ALLOW_EPOCHS,
    KEY_DATA_EVAL_TOKENS,
    KEY_MODEL_SHAPES,
    KEY_MODEL_PARAMS,
    KEY_MODEL_ASPECT_RATIO,
    KEY_MODEL_HEAD_SIZE,
    KEY_MODEL_N_CTX,
    KEY_TRAIN_TOKENS,
    KEY_TRAIN_COMPUTE,
    KEY_TRAIN_RUNS,
    KEY_TRAIN_UNIQUE_TOKENS,
    KEY_TRAIN_MAX_EPOCHS,
    KEY_TRAIN_BATCH,
    KEY_TRAIN_LR,
    KEY_TRAIN_FINAL_LR_RATIO,
    KEY_TRAIN_WARMUP_STEPS,
    KEY_TRAIN_WEIGHT_DECAY,
    KEY_TRAIN_BETA1,
    KEY_TRAIN_BETA2,
    KEY_TRAIN_EPS,
    KEY_TRAIN_GRAD_CLIP,
    KEY_TRAIN_EVAL_INTERVAL,
    KEY_TRAIN_PATIENCE,
    KEY_TRAIN_CHECKPOINT_SECONDS,
    KEY_FIT_BOOTSTRAP,
    KEY_FIT_SEED,
    KEY_FIT_LAWS,
    KEY_COUNT
} key_id;

_Static_assert(KEY_COUNT <= PLAN_MAX_KEYS, "plan.key_lines has no room for every key");

typedef struct {
    const char *section;
    const char *name;
    int is_list; /* comma-separated, and may continue on indented lines */
} key_spec;

static const key_spec key_table[KEY_COUNT] = {
    [KEY_SWEEP_NAME] = {"sweep", "name", 0},
    [KEY_SWEEP_OUTPUT] = {"sweep", "output", 0},
    [KEY_SWEEP_MODE] = {"sweep", "mode", 0},
    [KEY_SWEEP_SEEDS] = {"sweep", "seeds", 0},
    [KEY_SWEEP_SEED_LIST] = {"sweep", "seed_list", 1},
    [KEY_SWEEP_TRAINER] = {"sweep", "trainer", 0},
    [KEY_DATA_CORPUS] = {"data", "corpus", 0},
    [KEY_DATA_TEST_FRACTION] = {"data", "test_fraction", 0},
    [KEY_DATA_ALLOW_EPOCHS] = {"data", "allow_epochs", 0},
    [KEY_DATA_EVAL_TOKENS] = {"data", "eval_tokens", 0},
    [KEY_MODEL_SHAPES] = {"model", "shapes", 1},
    [KEY_MODEL_PARAMS] = {"model", "params", 1},
    [KEY_MODEL_ASPECT_RATIO] = {"model", "aspect_ratio", 0},
    [KEY_MODEL_HEAD_SIZE] = {"model", "head_size", 0},
    [KEY_MODEL_N_CTX] = {"model", "n_ctx", 0},
    [KEY_TRAIN_TOKENS] = {"train", "tokens", 1},
    [KEY_TRAIN_COMPUTE] = {"train", "compute", 1},
    [KEY_TRAIN_RUNS] = {"train", "runs", 1},
    [KEY_TRAIN_UNIQUE_TOKENS] = {"train", "unique_tokens", 1},
    [KEY_TRAIN_MAX_EPOCHS] = {"train", "max_epochs", 0},
    [KEY_TRAIN_BATCH] = {"train", "batch", 0},
    [KEY_TRAIN_LR] = {"train", "lr", 0},
    [KEY_TRAIN_FINAL_LR_RATIO] = {"train", "final_lr_ratio", 0},
    [KEY_TRAIN_WARMUP_STEPS] = {"train", "warmup_steps", 0},
    [KEY_TRAIN_WEIGHT_DECAY] = {"train", "weight_decay", 0},
    [KEY_TRAIN_BETA1] = {"train", "beta1", 0},
    [KEY_TRAIN_BETA2] = {"train", "beta2", 0},
    [KEY_TRAIN_EPS] = {"train", "eps", 0},
    [KEY_TRAIN_GRAD_CLIP] = {"train", "grad_clip", 0},
    [KEY_TRAIN_EVAL_INTERVAL] = {"train", "eval_interval", 0},
    [KEY_TRAIN_PATIENCE] = {"train", "patience", 0},
    [KEY_TRAIN_CHECKPOINT_SECONDS] = {"train", "checkpoint_seconds", 0},
    [KEY_FIT_BOOTSTRAP] = {"fit", "bootstrap", 0},
    [KEY_FIT_SEED] = {"fit", "seed", 0},
    [KEY_FIT_LAWS] = {"fit", "laws", 1},
};

static const char *const section_names[] = {"sweep", "data", "model", "train", "fit"};
#define SECTION_COUNT ((int)(sizeof section_names / sizeof section_names[0]))

static const char *const law_names[PLAN_LAW_COUNT] = {"n", "d", "c", "kaplan", "chinchilla",
                                                      "isoflop"};

const char *plan_mode_name(plan_mode mode)
{
    switch (mode) {
    case PLAN_GRID: return "grid";
    case PLAN_ISOFLOP: return "isoflop";
    case PLAN_LIST: return "list";
    }
    return "unknown";
}

const char *plan_trainer_name(plan_trainer trainer)
{
    switch (trainer) {
    case TRAINER_TRANSFORMER: return "transformer";
    case TRAINER_SYNTHETIC: return "synthetic";
    }
    return "unknown";
}

const char *plan_law_name(plan_law law)
{
    for (int i = 0; i < PLAN_LAW_COUNT; i++)
        if ((unsigned)law == (1u << i))
            return law_names[i];
    return "unknown";
}

int plan_key_line(const plan *p, const char *section, const char *key)
{
    for (int k = 0; k < KEY_COUNT; k++)
        if (strcmp(key_table[k].section, section) == 0 && strcmp(key_table[k].name, key) == 0)
            return p->key_lines[k];
    return 0;
}

/* ---- parse state and errors ---------------------------------------------------------- */

/* One line's worth of a key's value: the first line, then each indented continuation. */
typedef struct {
    char *text;
    int line;
} segment;

typedef struct {
    segment *segments;
    int count;
    int capacity;
} raw_value;

/* A list item: points into a segment's text. */
typedef struct {
    const char *text;
    int line;
} list_item;

/* A model shape and the plan line it came from (a shapes or params item). */
typedef struct {
    model_config shape;
    int line;
    const char *source; /* the item as written */
} shape_entry;

/* A D of the grid (tokens or unique_tokens item) or a run of mode = list. */
typedef struct {
    int64_t tokens;
    int64_t unique_tokens;
    int line;
    const char *source;
    model_config shape; /* mode = list only */
} data_entry;

typedef struct {
    plan *p;
    char *err;
    size_t errlen;
    int failed;
    int error_line;
    /* the reader */
    const char *cursor;
    size_t left;
    int line;          /* the line last handed to inih */
    int line_indented; /* it began with white space: inih may take it as a continuation */
    int last_key;      /* key of the last handler call since the last section header; -1 */
    raw_value raw[KEY_COUNT];
    /* interpretation */
    train_config base; /* every setting the runs share */
    shape_entry *shapes;
    int n_shapes;
    data_entry *data;
    int n_data;
    double *budgets;
    int *budget_lines;
    const char **budget_sources;
    int n_budgets;
    list_item *items; /* scratch of the list being read */
    int n_items;
    char *notes;
    size_t notes_length;
} parse_state;

/* Writes the one-line error "PATH:LINE: [section] key: message" (the first error wins)
 * and returns -1. With key < 0 the message stands alone after "PATH:LINE: ". */
static int fail_at(parse_state *s, int line, int key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(parse_state *s, int line, int key, const char *fmt, ...)
{
    if (s->failed)
        return -1;
    s->failed = 1;
    s->error_line = line;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (key >= 0)
        snprintf(s->err, s->errlen, "%s:%d: [%s] %s: %s", s->p->path, line,
                 key_table[key].section, key_table[key].name, message);
    else
        snprintf(s->err, s->errlen, "%s:%d: %s", s->p->path, line, message);
    return -1;
}

static int key_line(const parse_state *s, key_id k)
{
    return s->raw[k].count > 0 ? s->raw[k].segments[0].line : 0;
}

static int is_set(const parse_state *s, key_id k)
{
    return s->raw[k].count > 0;
}

static const char *scalar_text(const parse_state *s, key_id k)
{
    return s->raw[k].count > 0 ? s->raw[k].segments[0].text : NULL;
}

/* Appends one line to p->notes-to-be. */
static int add_note(parse_state *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_note(parse_state *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail_at(s, 0, -1, "cannot format a note");
    size_t length = strlen(line);
    char *grown = realloc(s->notes, s->notes_length + length + 2);
    if (!grown)
        return fail_at(s, 0, -1, "out of memory");
    s->notes = grown;
    memcpy(s->notes + s->notes_length, line, length);
    s->notes_length += length;
    s->notes[s->notes_length++] = '\n';
    s->notes[s->notes_length] = '\0';
    return 0;
}

/* 1234567 -> "1,234,567": counts people read at a glance. */
static const char *group_digits(int64_t value, char buffer[32])
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)(value < 0 ? -value : value));
    size_t n = strlen(digits), out = 0;
    if (value < 0)
        buffer[out++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buffer[out++] = ',';
        buffer[out++] = digits[i];
    }
    buffer[out] = '\0';
    return buffer;
}

/* ---- reading: inih, our reader, our handler ------------------------------------------ */

static int find_section(const char *name)
{
    for (int i = 0; i < SECTION_COUNT; i++)
        if (strcmp(section_names[i], name) == 0)
            return i;
    return -1;
}

static int find_key(const char *section, const char *name)
{
    for (int k = 0; k < KEY_COUNT; k++)
        if (strcmp(key_table[k].section, section) == 0 && strcmp(key_table[k].name, name) == 0)
            return k;
    return -1;
}

static int unknown_section(parse_state *s, int line, const char *name, size_t length)
{
    return fail_at(s, line, -1,
                   "[%.*s]: unknown section; the sections are [sweep], [data], [model], "
                   "[train] and [fit]",
                   (int)length, name);
}

/* An ini_reader handing inih one line of the plan text at a time, so that s->line is the
 * line of every handler call. */
static char *plan_reader(char *buffer, int size, void *stream)
{
    parse_state *s = stream;
    if (s->left == 0 || s->failed)
        return NULL;
    const char *start = s->cursor;
    const char *newline = memchr(start, '\n', s->left);
    size_t length = newline ? (size_t)(newline - start) + 1 : s->left;
    s->line++;
    /* inih's buffer holds size - 1 bytes and the terminator */
    if (size < 3 || length > (size_t)size - 1) {
        fail_at(s, s->line, -1,
                "line longer than %d characters (inih's limit); continue a list on indented "
                "lines",
                size - 2);
        return NULL;
    }
    memcpy(buffer, start, length);
    buffer[length] = '\0';
    s->cursor += length;
    s->left -= length;

    /* Mirror inih's reading of the line just enough to see section headers: a line whose
     * first non-blank character is '[' is a header unless inih takes an indented line as
     * the continuation of the previous key. inih calls no handler for a header, so an
     * unknown section without keys would otherwise pass unseen. */
    const char *c = start, *end = start + length;
    if (s->line == 1 && length >= 3 && (unsigned char)c[0] == 0xEF &&
        (unsigned char)c[1] == 0xBB && (unsigned char)c[2] == 0xBF)
        c += 3;
    const char *first = c;
    while (c < end && *c != '\n' && isspace((unsigned char)*c))
        c++;
    s->line_indented = c > first;
    if (c < end && *c == '[' && !(s->line_indented && s->last_key >= 0)) {
        s->last_key = -1;
        const char *close = memchr(c, ']', (size_t)(end - c));
        if (close) { /* without ']' inih reports the line as malformed */
            size_t name_length = (size_t)(close - c - 1);
            char name[64] = ""; /* longer names are unknown anyway */
            if (name_length < sizeof name) {
                memcpy(name, c + 1, name_length);
                name[name_length] = '\0';
            }
            if (find_section(name) < 0)
                unknown_section(s, s->line, c + 1, name_length);
        }
    }
    return buffer;
}

static int append_segment(parse_state *s, raw_value *raw, const char *value, int line)
{
    if (raw->count == raw->capacity) {
        int capacity = raw->capacity ? 2 * raw->capacity : 2;
        segment *grown = realloc(raw->segments, sizeof *grown * (size_t)capacity);
        if (!grown)
            return fail_at(s, line, -1, "out of memory");
        raw->segments = grown;
        raw->capacity = capacity;
    }
    char *copy = strdup(value);
    if (!copy)
        return fail_at(s, line, -1, "out of memory");
    /* A comment starts at ';' or '#' after white space. inih cuts ';' comments from
     * "key = value" lines but passes continuation lines whole, and knows no '#'. */
    for (char *c = copy; *c; c++) {
        if ((*c == '#' || *c == ';') && c > copy && isspace((unsigned char)c[-1])) {
            *c = '\0';
            break;
        }
    }
    size_t n = strlen(copy);
    while (n > 0 && isspace((unsigned char)copy[n - 1]))
        copy[--n] = '\0';
    raw->segments[raw->count].text = copy;
    raw->segments[raw->count].line = line;
    raw->count++;
    return 0;
}

static void list_section_keys(const char *section, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < KEY_COUNT && used < size; k++) {
        if (strcmp(key_table[k].section, section) != 0)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? ", " : "", key_table[k].name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Called by inih for every "key = value" and every continuation line. Only collects:
 * values are interpreted once the whole file is read. */
static int plan_ini_handler(void *user, const char *section, const char *name,
                            const char *value, int lineno)
{
    (void)lineno; /* equal to s->line with Debian's library; ours works with any build */
    parse_state *s = user;
    if (s->failed)
        return 0;
    const int line = s->line;
    if (!*section) {
        fail_at(s, line, -1, "%s: a key before the first [section] header", name);
        return 0;
    }
    if (find_section(section) < 0) {
        unknown_section(s, line, section, strlen(section));
        return 0;
    }
    int k = find_key(section, name);
    if (k < 0) {
        for (int other = 0; other < KEY_COUNT; other++) {
            if (strcmp(key_table[other].name, name) == 0) {
                fail_at(s, line, -1, "[%s] %s: unknown key in [%s]; it belongs in [%s]",
                        section, name, section, key_table[other].section);
                return 0;
            }
        }
        char keys[512];
        list_section_keys(section, keys, sizeof keys);
        fail_at(s, line, -1, "[%s] %s: unknown key; [%s] has %s", section, name, section, keys);
        return 0;
    }
    raw_value *raw = &s->raw[k];
    /* inih passes an indented line after a key as more of that key's value */
    if (s->line_indented && s->last_key == k && raw->count > 0) {
        if (strchr(value, '=')) {
            fail_at(s, line, k,
                    "this indented line continues the value of %s; start a new key at "
                    "the beginning of its line",
                    name);
            return 0;
        }
        if (!key_table[k].is_list) {
            fail_at(s, line, k, "only lists may continue on an indented line");
            return 0;
        }
    } else if (raw->count > 0) {
        fail_at(s, line, k, "set twice (first on line %d)", raw->segments[0].line);
        return 0;
    }
    s->last_key = k;
    if (append_segment(s, raw, value, line) != 0)
        return 0;
    return 1;
}

/* ---- values -------------------------------------------------------------------------- */

static int parse_count_text(parse_state *s, key_id k, int line, const char *text,
                            int64_t min, int64_t max, int64_t *out)
{
    int64_t value;
    if (units_parse_count(text, &value) != 0) {
        double real;
        if (units_parse_real(text, &real) != 0)
            return fail_at(s, line, k, "'%s' is not a number (write e.g. 2000, 1e6, 3M or 2.5k)",
                           text);
        if (real < 0.0)
            return fail_at(s, line, k, "%s is negative; it must be at least %lld", text,
                           (long long)min);
        if (real != floor(real))
            return fail_at(s, line, k, "%s is not a whole number", text);
        return fail_at(s, line, k, "%s is too large", text);
    }
    char a[32], b[32];
    if (value < min)
        return fail_at(s, line, k, "%s is too small; it must be at least %s", text,
                       group_digits(min, a));
    if (value > max)
        return fail_at(s, line, k, "%s is too large; it must be at most %s", text,
                       group_digits(max, b));
    *out = value;
    return 0;
}

/* A real in the interval from min to max, each end open or closed. */
static int parse_real_text(parse_state *s, key_id k, int line, const char *text, double min,
                           int min_open, double max, int max_open, double *out)
{
    double value;
    if (units_parse_real(text, &value) != 0)
        return fail_at(s, line, k, "'%s' is not a number (write e.g. 0.1, 3e-4 or 1e18)", text);
    int below = min_open ? !(value > min) : !(value >= min);
    int above = isinf(max) ? 0 : (max_open ? !(value < max) : !(value <= max));
    if (below || above) {
        if (isinf(max))
            return fail_at(s, line, k, "%s is out of range: it must be %s %g", text,
                           min_open ? "greater than" : "at least", min);
        return fail_at(s, line, k, "%s is out of range: it must lie in %c%g, %g%c", text,
                       min_open ? '(' : '[', min, max, max_open ? ')' : ']');
    }
    *out = value;
    return 0;
}

static int scalar_nonempty(parse_state *s, key_id k, const char **text)
{
    *text = scalar_text(s, k);
    if (*text && !**text)
        return fail_at(s, key_line(s, k), k, "empty value");
    return 0;
}

/* Each get_ leaves *out alone when the plan does not set the key (the default stays). */
static int get_count(parse_state *s, key_id k, int64_t min, int64_t max, int64_t *out)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    return text ? parse_count_text(s, k, key_line(s, k), text, min, max, out) : 0;
}

static int get_int(parse_state *s, key_id k, int64_t min, int64_t max, int *out)
{
    int64_t value = *out;
    if (get_count(s, k, min, max, &value) != 0)
        return -1;
    *out = (int)value;
    return 0;
}

static int get_real(parse_state *s, key_id k, double min, int min_open, double max,
                    int max_open, double *out)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    return text ? parse_real_text(s, k, key_line(s, k), text, min, min_open, max, max_open, out)
                : 0;
}

static int get_float(parse_state *s, key_id k, double min, int min_open, double max,
                     int max_open, float *out)
{
    double value = *out;
    if (get_real(s, k, min, min_open, max, max_open, &value) != 0)
        return -1;
    *out = (float)value;
    return 0;
}

/* "auto" or a count; auto_value stands for auto. */
static int get_auto_count(parse_state *s, key_id k, int64_t auto_value, int64_t min,
                          int64_t max, int64_t *out)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    if (strcmp(text, "auto") == 0) {
        *out = auto_value;
        return 0;
    }
    return parse_count_text(s, k, key_line(s, k), text, min, max, out);
}

static int get_bool(parse_state *s, key_id k, int *out)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return fail_at(s, key_line(s, k), k, "'%s' is not true or false (or yes/no, on/off, 1/0)",
                   text);
}

static int get_string(parse_state *s, key_id k, char *out, size_t size)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    if (strlen(text) >= size)
        return fail_at(s, key_line(s, k), k, "longer than %zu characters", size - 1);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

static int get_choice(parse_state *s, key_id k, const char *const *names, int count,
                      const char *choices, int *out)
{
    const char *text;
    if (scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    for (int i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return fail_at(s, key_line(s, k), k, "'%s' is not one of %s", text, choices);
}

/* Splits a list key into s->items (pointing into its segments, which it cuts in place).
 * A comma may end a line that an indented line continues; other empty items are errors. */
static int get_items(parse_state *s, key_id k)
{
    free(s->items);
    s->items = NULL;
    s->n_items = 0;
    raw_value *raw = &s->raw[k];
    size_t capacity = 0;
    for (int i = 0; i < raw->count; i++) {
        capacity++;
        for (const char *c = raw->segments[i].text; *c; c++)
            capacity += *c == ',';
    }
    s->items = malloc(sizeof *s->items * (capacity ? capacity : 1));
    if (!s->items)
        return fail_at(s, key_line(s, k), k, "out of memory");
    for (int i = 0; i < raw->count; i++) {
        char *text = raw->segments[i].text;
        const int line = raw->segments[i].line;
        if (!*text)
            return fail_at(s, line, k, raw->count == 1 ? "empty list" : "empty line in the list");
        char *piece = text;
        for (;;) {
            char *comma = strchr(piece, ',');
            if (comma)
                *comma = '\0';
            while (isspace((unsigned char)*piece))
                piece++;
            size_t n = strlen(piece);
            while (n > 0 && isspace((unsigned char)piece[n - 1]))
                piece[--n] = '\0';
            int trailing = !comma && n == 0 && piece != text;
            if (n == 0 && !(trailing && i + 1 < raw->count))
                return fail_at(s, line, k, "empty item in the list");
            if (n > 0) {
                s->items[s->n_items].text = piece;
                s->items[s->n_items].line = line;
                s->n_items++;
            }
            if (!comma)
                break;
            piece = comma + 1;
        }
    }
    return 0;
}

/* "2x64x2": n_layer x d_model x n_head, whole positive numbers. */
static int parse_shape(const char *text, model_config *shape, int n_ctx)
{
    int values[3];
    const char *c = text;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*c != 'x' && *c != 'X')
                return -1;
            c++;
        }
        if (!isdigit((unsigned char)*c))
            return -1;
        long long v = 0;
        while (isdigit((unsigned char)*c)) {
            v = 10 * v + (*c - '0');
            if (v > 1000000)
                return -1;
            c++;
        }
        values[i] = (int)v;
    }
    if (*c)
        return -1;
    shape->n_layer = values[0];
    shape->d_model = values[1];
    shape->n_head = values[2];
    shape->n_ctx = n_ctx;
    return 0;
}

static int read_shape_item(parse_state *s, key_id k, const list_item *item, const char *text,
                           model_config *shape)
{
    const int n_ctx = s->base.model.n_ctx;
    if (parse_shape(text, shape, n_ctx) != 0)
        return fail_at(s, item->line, k,
                       "'%s' is not a shape; write n_layer x d_model x n_head, e.g. 4x128x4",
                       text);
    const char *problem = model_config_error(shape);
    if (problem)
        return fail_at(s, item->line, k, "shape %s: %s", text, problem);
    return 0;
}

static int same_shape(const model_config *a, const model_config *b)
{
    return a->n_layer == b->n_layer && a->d_model == b->d_model && a->n_head == b->n_head;
}

/* N as model_count_nonembedding counts it: n_layer (12 d^2 + 13 d) + 2 d. */
static double shape_params(double n_layer, double d_model)
{
    return n_layer * (12.0 * d_model * d_model + 13.0 * d_model) + 2.0 * d_model;
}

/* A shape for a target N: d_model a multiple of head_size, n_head = d_model / head_size.
 * First choice: the N nearest the target (in ratio) among shapes whose d_model / n_layer
 * lies within a factor ASPECT_BAND of aspect. When none of those comes within a factor
 * PARAMS_TOLERANCE of the target (tiny targets, where one layer of the narrowest width is
 * already too big), the shape nearest in N and aspect together among those that do, and
 * *off_aspect is set. Returns N / target of the shape chosen, or of the nearest in the
 * band when no shape comes within the tolerance. */
static double generate_shape(int64_t target, double aspect, int head_size, model_config *out,
                             int *off_aspect)
{
    double band_error = INFINITY, any_score = INFINITY;
    model_config band = {0}, any = {0};
    for (int n_layer = 1; n_layer <= 4096; n_layer++) {
        if (shape_params(n_layer, head_size) > 4.0 * (double)target)
            break;
        /* the real d_model that would hit the target exactly, then its two neighbours */
        double b = 13.0 * n_layer + 2.0;
        double exact = (-b + sqrt(b * b + 48.0 * n_layer * (double)target)) / (24.0 * n_layer);
        int64_t low = (int64_t)floor(exact / head_size);
        for (int64_t multiple = low; multiple <= low + 1; multiple++) {
            int64_t d_model = multiple * head_size;
            if (multiple < 1 || d_model > 65536)
                continue;
            model_config shape = {n_layer, (int)d_model, (int)multiple, 0};
            double size_error = fabs(log(shape_params(n_layer, (double)d_model) / (double)target));
            double shape_error = fabs(log((double)d_model / n_layer / aspect));
            /* ties in N go to the shape nearer the aspect ratio */
            double band_score = size_error + 1e-9 * shape_error;
            if (shape_error <= log(ASPECT_BAND) + 1e-12 && band_score < band_error) {
                band_error = band_score;
                band = shape;
            }
            if (size_error <= log(PARAMS_TOLERANCE) && size_error + shape_error < any_score) {
                any_score = size_error + shape_error;
                any = shape;
            }
        }
    }
    if (band.n_layer == 0) /* no width in the band: even 1 x head_size is too wide */
        band = (model_config){1, head_size, 1, 0};
    double band_ratio = shape_params(band.n_layer, band.d_model) / (double)target;
    int band_fits = band_error < INFINITY && band_ratio <= PARAMS_TOLERANCE &&
                    band_ratio >= 1.0 / PARAMS_TOLERANCE;
    *off_aspect = 0;
    model_config chosen = band;
    if (!band_fits && any.n_layer > 0) {
        chosen = any;
        *off_aspect = 1;
    }
    out->n_layer = chosen.n_layer;
    out->d_model = chosen.d_model;
    out->n_head = chosen.n_head;
    return shape_params(chosen.n_layer, chosen.d_model) / (double)target;
}

/* ---- interpretation ------------------------------------------------------------------ */

#define MODE_BIT(mode) (1u << (mode))

static int read_sweep(parse_state *s)
{
    plan *p = s->p;
    /* default name: the file name without its folder and .ini */
    const char *base = strrchr(p->path, '/');
    base = base ? base + 1 : p->path;
    size_t length = strlen(base);
    if (length > 4 && strcmp(base + length - 4, ".ini") == 0)
        length -= 4;
    if (length == 0) {
        base = "plan";
        length = 4;
    }
    if (length >= sizeof p->name)
        length = sizeof p->name - 1;
    memcpy(p->name, base, length);
    p->name[length] = '\0';
    if (get_string(s, KEY_SWEEP_NAME, p->name, sizeof p->name) != 0)
        return -1;
    if (is_set(s, KEY_SWEEP_NAME) && strchr(p->name, '/'))
        return fail_at(s, key_line(s, KEY_SWEEP_NAME), KEY_SWEEP_NAME,
                       "'%s' contains '/'; the name is one word (output takes a path)", p->name);

    if (snprintf(p->output, sizeof p->output, "%s.h5", p->name) >= (int)sizeof p->output)
        return fail_at(s, key_line(s, KEY_SWEEP_NAME), KEY_SWEEP_NAME, "too long");
    if (get_string(s, KEY_SWEEP_OUTPUT, p->output, sizeof p->output) != 0)
        return -1;

    static const char *const modes[] = {"grid", "isoflop", "list"};
    int mode = PLAN_GRID;
    if (get_choice(s, KEY_SWEEP_MODE, modes, 3, "grid, isoflop or list", &mode) != 0)
        return -1;
    p->mode = (plan_mode)mode;
    static const char *const trainers[] = {"transformer", "synthetic"};
    int trainer = TRAINER_TRANSFORMER;
    if (get_choice(s, KEY_SWEEP_TRAINER, trainers, 2, "transformer or synthetic", &trainer) != 0)
        return -1;
    p->trainer = (plan_trainer)trainer;
    return 0;
}

/* Two keys of which a plan may give only one: the error names the later one. */
static int check_conflict(parse_state *s, key_id a, key_id b)
{
    if (!is_set(s, a) || !is_set(s, b))
        return 0;
    key_id first = key_line(s, a) <= key_line(s, b) ? a : b;
    key_id second = first == a ? b : a;
    return fail_at(s, key_line(s, second), second, "conflicts with %s (line %d); give one of them",
                   key_table[first].name, key_line(s, first));
}

static int read_seeds(parse_state *s)
{
    plan *p = s->p;
    if (check_conflict(s, KEY_SWEEP_SEEDS, KEY_SWEEP_SEED_LIST) != 0)
        return -1;
    if (is_set(s, KEY_SWEEP_SEED_LIST)) {
        if (get_items(s, KEY_SWEEP_SEED_LIST) != 0)
            return -1;
        p->seeds = malloc(sizeof *p->seeds * (size_t)s->n_items);
        if (!p->seeds)
            return fail_at(s, 0, -1, "out of memory");
        for (int i = 0; i < s->n_items; i++) {
            int64_t seed;
            if (parse_count_text(s, KEY_SWEEP_SEED_LIST, s->items[i].line, s->items[i].text, 0,
                                 MAX_SEED, &seed) != 0)
                return -1;
            for (int j = 0; j < i; j++)
                if (p->seeds[j] == (uint64_t)seed)
                    return fail_at(s, s->items[i].line, KEY_SWEEP_SEED_LIST,
                                   "seed %lld is listed twice", (long long)seed);
            p->seeds[i] = (uint64_t)seed;
        }
        p->n_seeds = s->n_items;
        return 0;
    }
    int64_t count = 1;
    if (get_count(s, KEY_SWEEP_SEEDS, 1, 100000, &count) != 0)
        return -1;
    p->seeds = malloc(sizeof *p->seeds * (size_t)count);
    if (!p->seeds)
        return fail_at(s, 0, -1, "out of memory");
    for (int64_t i = 0; i < count; i++)
        p->seeds[i] = (uint64_t)(i + 1);
    p->n_seeds = count;
    return 0;
}

static int read_data(parse_state *s)
{
    plan *p = s->p;
    snprintf(p->corpus, sizeof p->corpus, "data/brown");
    if (get_string(s, KEY_DATA_CORPUS, p->corpus, sizeof p->corpus) != 0)
        return -1;
    p->test_fraction = 0.05;
    if (get_real(s, KEY_DATA_TEST_FRACTION, 0.0, 1, 1.0, 1, &p->test_fraction) != 0)
        return -1;
    p->allow_epochs = 0;
    if (get_bool(s, KEY_DATA_ALLOW_EPOCHS, &p->allow_epochs) != 0)
        return -1;
    if (get_count(s, KEY_DATA_EVAL_TOKENS, 1, MAX_TOKENS, &s->base.eval_tokens) != 0)
        return -1;
    return 0;
}

/* Keys that belong to some modes only, or only beside another key. */
static int check_applicability(parse_state *s)
{
    const plan *p = s->p;
    static const struct {
        key_id key;
        unsigned modes;
        const char *where;
    } by_mode[] = {
        {KEY_MODEL_SHAPES, MODE_BIT(PLAN_GRID) | MODE_BIT(PLAN_ISOFLOP), "grid or isoflop"},
        {KEY_MODEL_PARAMS, MODE_BIT(PLAN_GRID) | MODE_BIT(PLAN_ISOFLOP), "grid or isoflop"},
        {KEY_TRAIN_TOKENS, MODE_BIT(PLAN_GRID), "grid"},
        {KEY_TRAIN_UNIQUE_TOKENS, MODE_BIT(PLAN_GRID), "grid"},
        {KEY_TRAIN_COMPUTE, MODE_BIT(PLAN_ISOFLOP), "isoflop"},
        {KEY_TRAIN_RUNS, MODE_BIT(PLAN_LIST), "list"},
    };
    char mode_where[64];
    if (is_set(s, KEY_SWEEP_MODE))
        snprintf(mode_where, sizeof mode_where, "line %d", key_line(s, KEY_SWEEP_MODE));
    else
        snprintf(mode_where, sizeof mode_where, "the default");
    for (size_t i = 0; i < sizeof by_mode / sizeof by_mode[0]; i++) {
        key_id k = by_mode[i].key;
        if (is_set(s, k) && !(by_mode[i].modes & MODE_BIT(p->mode)))
            return fail_at(s, key_line(s, k), k,
                           "applies only in mode = %s; this plan's mode is %s (%s)%s",
                           by_mode[i].where, plan_mode_name(p->mode), mode_where,
                           p->mode == PLAN_LIST && (k == KEY_MODEL_SHAPES || k == KEY_MODEL_PARAMS)
                               ? ", where each of [train] runs carries its shape"
                               : "");
    }
    if (check_conflict(s, KEY_MODEL_SHAPES, KEY_MODEL_PARAMS) != 0 ||
        check_conflict(s, KEY_TRAIN_TOKENS, KEY_TRAIN_UNIQUE_TOKENS) != 0)
        return -1;
    static const key_id shape_generation[] = {KEY_MODEL_ASPECT_RATIO, KEY_MODEL_HEAD_SIZE};
    for (int i = 0; i < 2; i++) {
        key_id k = shape_generation[i];
        if (is_set(s, k) && !is_set(s, KEY_MODEL_PARAMS))
            return fail_at(s, key_line(s, k), k,
                           "applies only with params (it shapes the generated models)");
    }
    if (is_set(s, KEY_TRAIN_MAX_EPOCHS) && !is_set(s, KEY_TRAIN_UNIQUE_TOKENS))
        return fail_at(s, key_line(s, KEY_TRAIN_MAX_EPOCHS), KEY_TRAIN_MAX_EPOCHS,
                       "applies only with unique_tokens (data-limited runs)");

    /* what each mode needs; the error points at the mode line when there is one */
    const int at = key_line(s, KEY_SWEEP_MODE);
    const char *mode = plan_mode_name(p->mode);
    if (p->mode != PLAN_LIST && !is_set(s, KEY_MODEL_SHAPES) && !is_set(s, KEY_MODEL_PARAMS))
        return fail_at(s, at, KEY_MODEL_SHAPES, "mode = %s needs shapes or params", mode);
    if (p->mode == PLAN_GRID && !is_set(s, KEY_TRAIN_TOKENS) &&
        !is_set(s, KEY_TRAIN_UNIQUE_TOKENS))
        return fail_at(s, at, KEY_TRAIN_TOKENS, "mode = grid needs tokens or unique_tokens");
    if (p->mode == PLAN_ISOFLOP && !is_set(s, KEY_TRAIN_COMPUTE))
        return fail_at(s, at, KEY_TRAIN_COMPUTE, "mode = isoflop needs compute");
    if (p->mode == PLAN_LIST && !is_set(s, KEY_TRAIN_RUNS))
        return fail_at(s, at, KEY_TRAIN_RUNS, "mode = list needs runs");
    return 0;
}

static int read_train_settings(parse_state *s)
{
    plan *p = s->p;
    train_config *c = &s->base;
    if (get_int(s, KEY_TRAIN_BATCH, 1, 65536, &c->batch) != 0)
        return -1;
    const char *lr = NULL;
    if (scalar_nonempty(s, KEY_TRAIN_LR, &lr) != 0)
        return -1;
    p->lr_auto = !lr || strcmp(lr, "auto") == 0;
    if (!p->lr_auto) {
        double value = 0.0;
        if (parse_real_text(s, KEY_TRAIN_LR, key_line(s, KEY_TRAIN_LR), lr, 0.0, 1, INFINITY, 0,
                            &value) != 0)
            return -1;
        c->lr = (float)value;
        if (!(c->lr > 0.0f))
            return fail_at(s, key_line(s, KEY_TRAIN_LR), KEY_TRAIN_LR,
                           "%s is too small for a float", lr);
    }
    if (get_float(s, KEY_TRAIN_FINAL_LR_RATIO, 0.0, 0, 1.0, 0, &c->final_lr_ratio) != 0 ||
        get_auto_count(s, KEY_TRAIN_WARMUP_STEPS, -1, 0, MAX_TOKENS, &c->warmup_steps) != 0 ||
        get_float(s, KEY_TRAIN_WEIGHT_DECAY, 0.0, 0, INFINITY, 0, &c->weight_decay) != 0 ||
        get_float(s, KEY_TRAIN_BETA1, 0.0, 0, 1.0, 1, &c->beta1) != 0 ||
        get_float(s, KEY_TRAIN_BETA2, 0.0, 0, 1.0, 1, &c->beta2) != 0 ||
        get_float(s, KEY_TRAIN_EPS, 0.0, 1, 1.0, 0, &c->eps) != 0 ||
        get_float(s, KEY_TRAIN_GRAD_CLIP, 0.0, 0, INFINITY, 0, &c->grad_clip) != 0 ||
        get_auto_count(s, KEY_TRAIN_EVAL_INTERVAL, 0, 1, MAX_TOKENS, &c->eval_interval) != 0 ||
        get_int(s, KEY_TRAIN_PATIENCE, 0, 1000000, &c->patience) != 0)
        return -1;
    if (c->beta1 >= 1.0f || c->beta2 >= 1.0f) /* 0.9999999999 rounds to 1.0f */
        return fail_at(s, key_line(s, c->beta1 >= 1.0f ? KEY_TRAIN_BETA1 : KEY_TRAIN_BETA2),
                       c->beta1 >= 1.0f ? KEY_TRAIN_BETA1 : KEY_TRAIN_BETA2,
                       "rounds to 1 as a float; it must be below 1");
    if (c->eps <= 0.0f)
        return fail_at(s, key_line(s, KEY_TRAIN_EPS), KEY_TRAIN_EPS,
                       "rounds to 0 as a float; it must be positive");
    p->checkpoint_seconds = 300;
    if (get_count(s, KEY_TRAIN_CHECKPOINT_SECONDS, 0, 1000000000, &p->checkpoint_seconds) != 0)
        return -1;
    p->max_epochs = 10;
    if (get_count(s, KEY_TRAIN_MAX_EPOCHS, 1, 1000000, &p->max_epochs) != 0)
        return -1;
    if (is_set(s, KEY_TRAIN_UNIQUE_TOKENS) && c->patience == 0)
        return fail_at(s, key_line(s, KEY_TRAIN_UNIQUE_TOKENS), KEY_TRAIN_UNIQUE_TOKENS,
                       "data-limited runs measure L(D) with early stopping; set [train] "
                       "patience (e.g. 3)");
    return 0;
}

static int read_fit(parse_state *s)
{
    plan *p = s->p;
    p->bootstrap = 1000;
    int64_t seed = 1;
    if (get_count(s, KEY_FIT_BOOTSTRAP, 0, 10000000, &p->bootstrap) != 0 ||
        get_count(s, KEY_FIT_SEED, 0, MAX_SEED, &seed) != 0)
        return -1;
    p->fit_seed = (uint64_t)seed;
    p->laws = PLAN_LAWS_ALL;
    if (!is_set(s, KEY_FIT_LAWS))
        return 0;
    if (get_items(s, KEY_FIT_LAWS) != 0)
        return -1;
    p->laws = 0;
    for (int i = 0; i < s->n_items; i++) {
        const list_item *item = &s->items[i];
        unsigned bit = 0;
        if (strcmp(item->text, "all") == 0)
            bit = PLAN_LAWS_ALL;
        for (int law = 0; law < PLAN_LAW_COUNT; law++)
            if (strcmp(item->text, law_names[law]) == 0)
                bit = 1u << law;
        if (!bit)
            return fail_at(s, item->line, KEY_FIT_LAWS,
                           "'%s' is not a law; the laws are n, d, c, kaplan, chinchilla, "
                           "isoflop (or all)",
                           item->text);
        if (p->laws & bit)
            return fail_at(s, item->line, KEY_FIT_LAWS, "'%s' is listed twice", item->text);
        p->laws |= bit;
    }
    return 0;
}

static int add_shape(parse_state *s, key_id k, const model_config *shape, int line,
                     const char *source)
{
    for (int i = 0; i < s->n_shapes; i++) {
        if (same_shape(&s->shapes[i].shape, shape)) {
            if (k == KEY_MODEL_PARAMS)
                return fail_at(s, line, k,
                               "%s gives shape %dx%dx%d, as %s does (line %d); a sweep trains "
                               "each shape once",
                               source, shape->n_layer, shape->d_model, shape->n_head,
                               s->shapes[i].source, s->shapes[i].line);
            return fail_at(s, line, k, "shape %s is listed twice (also line %d)", source,
                           s->shapes[i].line);
        }
    }
    s->shapes[s->n_shapes].shape = *shape;
    s->shapes[s->n_shapes].line = line;
    s->shapes[s->n_shapes].source = source;
    s->n_shapes++;
    return 0;
}

static int read_model(parse_state *s)
{
    model_config *m = &s->base.model;
    if (get_int(s, KEY_MODEL_N_CTX, 2, 65536, &m->n_ctx) != 0)
        return -1;
    if (s->base.eval_tokens < m->n_ctx)
        return fail_at(s, key_line(s, KEY_DATA_EVAL_TOKENS), KEY_DATA_EVAL_TOKENS,
                       "%lld tokens are fewer than one n_ctx window (%d)",
                       (long long)s->base.eval_tokens, m->n_ctx);
    if (s->p->mode == PLAN_LIST)
        return 0;
    int64_t head_size = 32;
    double aspect = 32.0;
    if (get_count(s, KEY_MODEL_HEAD_SIZE, 1, 65536, &head_size) != 0 ||
        get_real(s, KEY_MODEL_ASPECT_RATIO, 0.0, 1, 65536.0, 0, &aspect) != 0)
        return -1;
    key_id k = is_set(s, KEY_MODEL_SHAPES) ? KEY_MODEL_SHAPES : KEY_MODEL_PARAMS;
    if (get_items(s, k) != 0)
        return -1;
    s->shapes = malloc(sizeof *s->shapes * (size_t)s->n_items);
    if (!s->shapes)
        return fail_at(s, 0, -1, "out of memory");
    for (int i = 0; i < s->n_items; i++) {
        const list_item *item = &s->items[i];
        model_config shape = *m;
        if (k == KEY_MODEL_SHAPES) {
            if (read_shape_item(s, k, item, item->text, &shape) != 0)
                return -1;
        } else {
            int64_t target;
            if (parse_count_text(s, k, item->line, item->text, 1, 1000000000000LL, &target) != 0)
                return -1;
            int off_aspect;
            double ratio = generate_shape(target, aspect, (int)head_size, &shape, &off_aspect);
            if (ratio > PARAMS_TOLERANCE || ratio < 1.0 / PARAMS_TOLERANCE) {
                char a[32];
                return fail_at(s, item->line, k,
                               "no shape comes within a factor %.1f of N = %s with head_size "
                               "%lld (nearest %dx%dx%d, N = %s); change the target, head_size "
                               "or aspect_ratio",
                               PARAMS_TOLERANCE, item->text, (long long)head_size,
                               shape.n_layer, shape.d_model, shape.n_head,
                               group_digits(model_count_nonembedding(&shape), a));
            }
            const char *problem = model_config_error(&shape);
            if (problem)
                return fail_at(s, item->line, k, "%s gives shape %dx%dx%d: %s", item->text,
                               shape.n_layer, shape.d_model, shape.n_head, problem);
            if (off_aspect &&
                add_note(s,
                         "params %s (line %d): no shape with d_model / n_layer within a factor "
                         "%g of %g comes within a factor %g of N; took %dx%dx%d (aspect %.3g)",
                         item->text, item->line, ASPECT_BAND, aspect, PARAMS_TOLERANCE,
                         shape.n_layer, shape.d_model, shape.n_head,
                         (double)shape.d_model / shape.n_layer) != 0)
                return -1;
        }
        if (add_shape(s, k, &shape, item->line, item->text) != 0)
            return -1;
    }
    return 0;
}

/* tokens -> whole steps of batch x n_ctx tokens; a value under one step is an error. */
static int round_tokens(parse_state *s, key_id k, int line, const char *source, int64_t tokens,
                        int64_t *rounded)
{
    const int64_t step = (int64_t)s->base.batch * s->base.model.n_ctx;
    if (tokens < step) {
        char a[32];
        return fail_at(s, line, k,
                       "%s is less than one step of batch x n_ctx = %s tokens", source,
                       group_digits(step, a));
    }
    *rounded = llround((double)tokens / (double)step) * step;
    return 0;
}

static int add_data(parse_state *s, key_id k, const data_entry *entry)
{
    for (int i = 0; i < s->n_data; i++) {
        const data_entry *other = &s->data[i];
        int same = other->tokens == entry->tokens && other->unique_tokens == entry->unique_tokens;
        if (k == KEY_TRAIN_RUNS)
            same = same && same_shape(&other->shape, &entry->shape);
        if (!same)
            continue;
        char a[32];
        if (k == KEY_TRAIN_RUNS)
            return fail_at(s, entry->line, k,
                           "%s is the same run as %s (line %d): D = %s tokens after rounding",
                           entry->source, other->source, other->line,
                           group_digits(entry->tokens, a));
        return fail_at(s, entry->line, k,
                       "%s gives the same runs as %s (line %d): D = %s tokens after rounding to "
                       "whole steps",
                       entry->source, other->source, other->line, group_digits(entry->tokens, a));
    }
    s->data[s->n_data++] = *entry;
    return 0;
}

static int read_data_sizes(parse_state *s)
{
    const plan *p = s->p;
    key_id k;
    if (p->mode == PLAN_ISOFLOP)
        k = KEY_TRAIN_COMPUTE;
    else if (p->mode == PLAN_LIST)
        k = KEY_TRAIN_RUNS;
    else
        k = is_set(s, KEY_TRAIN_TOKENS) ? KEY_TRAIN_TOKENS : KEY_TRAIN_UNIQUE_TOKENS;
    if (get_items(s, k) != 0)
        return -1;
    const int n = s->n_items;
    if (k == KEY_TRAIN_COMPUTE) {
        s->budgets = malloc(sizeof *s->budgets * (size_t)n);
        s->budget_lines = malloc(sizeof *s->budget_lines * (size_t)n);
        s->budget_sources = malloc(sizeof *s->budget_sources * (size_t)n);
        if (!s->budgets || !s->budget_lines || !s->budget_sources)
            return fail_at(s, 0, -1, "out of memory");
        for (int i = 0; i < n; i++) {
            const list_item *item = &s->items[i];
            double budget = 0.0;
            if (parse_real_text(s, k, item->line, item->text, 0.0, 1, MAX_COMPUTE, 0, &budget) != 0)
                return -1;
            for (int j = 0; j < i; j++)
                if (s->budgets[j] == budget)
                    return fail_at(s, item->line, k, "%s is listed twice (also line %d)",
                                   item->text, s->budget_lines[j]);
            s->budgets[i] = budget;
            s->budget_lines[i] = item->line;
            s->budget_sources[i] = item->text;
        }
        s->n_budgets = n;
        return 0;
    }
    s->data = malloc(sizeof *s->data * (size_t)n);
    if (!s->data)
        return fail_at(s, 0, -1, "out of memory");
    const int64_t step = (int64_t)s->base.batch * s->base.model.n_ctx;
    for (int i = 0; i < n; i++) {
        const list_item *item = &s->items[i];
        data_entry entry = {0};
        entry.line = item->line;
        entry.source = item->text;
        if (k == KEY_TRAIN_TOKENS) {
            int64_t tokens;
            if (parse_count_text(s, k, item->line, item->text, 1, MAX_TOKENS, &tokens) != 0 ||
                round_tokens(s, k, item->line, item->text, tokens, &entry.tokens) != 0)
                return -1;
        } else if (k == KEY_TRAIN_UNIQUE_TOKENS) {
            /* the worker cuts U bytes into windows of n_ctx + 1 */
            if (parse_count_text(s, k, item->line, item->text, s->base.model.n_ctx + 1,
                                 MAX_TOKENS / p->max_epochs, &entry.unique_tokens) != 0)
                return -1;
            int64_t tokens = p->max_epochs * entry.unique_tokens;
            if (tokens < step) {
                char a[32], b[32];
                return fail_at(s, item->line, k,
                               "%s for max_epochs = %lld epochs is %s tokens, less than one "
                               "step of batch x n_ctx = %s",
                               item->text, (long long)p->max_epochs, group_digits(tokens, a),
                               group_digits(step, b));
            }
            entry.tokens = llround((double)tokens / (double)step) * step;
        } else {
            /* shape@tokens */
            char text[256];
            if (strlen(item->text) >= sizeof text)
                return fail_at(s, item->line, k, "'%.40s...' is too long for a run",
                               item->text);
            memcpy(text, item->text, strlen(item->text) + 1);
            char *at = strchr(text, '@');
            if (!at)
                return fail_at(s, item->line, k,
                               "'%s' is not a run; write shape@tokens, e.g. 4x128x4@3M",
                               item->text);
            *at = '\0';
            char *shape_text = text, *tokens_text = at + 1;
            while (isspace((unsigned char)*tokens_text))
                tokens_text++;
            size_t length = strlen(shape_text);
            while (length > 0 && isspace((unsigned char)shape_text[length - 1]))
                shape_text[--length] = '\0';
            if (!*shape_text || !*tokens_text)
                return fail_at(s, item->line, k,
                               "'%s' is not a run; write shape@tokens, e.g. 4x128x4@3M",
                               item->text);
            entry.shape = s->base.model;
            int64_t tokens;
            if (read_shape_item(s, k, item, shape_text, &entry.shape) != 0 ||
                parse_count_text(s, k, item->line, tokens_text, 1, MAX_TOKENS, &tokens) != 0 ||
                round_tokens(s, k, item->line, item->text, tokens, &entry.tokens) != 0)
                return -1;
        }
        if (add_data(s, k, &entry) != 0)
            return -1;
    }
    return 0;
}

/* ---- expansion ----------------------------------------------------------------------- */

/* The run's identity: every resolved setting that changes what it computes, as text.
 * Floats are printed from their float values with 9 significant digits, which round-trip.
 * Changing this text changes every run id, and so what resuming an old results file
 * skips: keep it stable (tests/test_plan.c holds a known id). */
static int canonical_text(const plan *p, const train_config *c, char *out, size_t size)
{
    return snprintf(out, size,
                    "scalesweep run 1\n"
                    "trainer=%s\ncorpus=%s\ntest_fraction=%.17g\n"
                    "n_layer=%d\nd_model=%d\nn_head=%d\nn_ctx=%d\n"
                    "batch=%d\ntokens=%lld\nunique_tokens=%lld\n"
                    "lr=%.9g\nfinal_lr_ratio=%.9g\nwarmup_steps=%lld\nweight_decay=%.9g\n"
                    "beta1=%.9g\nbeta2=%.9g\neps=%.9g\ngrad_clip=%.9g\n"
                    "eval_interval=%lld\neval_tokens=%lld\npatience=%d\nseed=%llu\n",
                    plan_trainer_name(p->trainer), p->corpus, p->test_fraction,
                    c->model.n_layer, c->model.d_model, c->model.n_head, c->model.n_ctx,
                    c->batch, (long long)c->tokens, (long long)c->unique_tokens, (double)c->lr,
                    (double)c->final_lr_ratio, (long long)c->warmup_steps,
                    (double)c->weight_decay, (double)c->beta1, (double)c->beta2, (double)c->eps,
                    (double)c->grad_clip, (long long)c->eval_interval,
                    (long long)c->eval_tokens, c->patience, (unsigned long long)c->seed);
}

/* The key whose item set a run's D, for messages. */
static key_id data_key(const plan *p, const plan_run *run)
{
    if (p->mode == PLAN_ISOFLOP)
        return KEY_TRAIN_COMPUTE;
    if (p->mode == PLAN_LIST)
        return KEY_TRAIN_RUNS;
    return run->config.unique_tokens > 0 ? KEY_TRAIN_UNIQUE_TOKENS : KEY_TRAIN_TOKENS;
}

static int add_run(parse_state *s, const model_config *shape, int shape_line, int64_t tokens,
                   int64_t unique_tokens, uint64_t seed, int line)
{
    plan *p = s->p;
    plan_run *run = &p->runs[p->n_runs];
    memset(run, 0, sizeof *run);
    run->config = s->base;
    run->config.model.n_layer = shape->n_layer;
    run->config.model.d_model = shape->d_model;
    run->config.model.n_head = shape->n_head;
    run->config.tokens = tokens;
    run->config.unique_tokens = unique_tokens;
    run->config.seed = seed;
    run->line = line;
    const int64_t n_params = model_count_nonembedding(&run->config.model);
    if (p->lr_auto) {
        run->config.lr = (float)(KAPLAN_LR_INTERCEPT - KAPLAN_LR_SLOPE * log((double)n_params));
        if (!(run->config.lr > 0.0f)) {
            char a[32];
            const int at = is_set(s, KEY_TRAIN_LR) ? key_line(s, KEY_TRAIN_LR) : shape_line;
            return fail_at(s, at, KEY_TRAIN_LR,
                           "auto (Kaplan's LR(N) = 0.003239 - 0.0001395 ln N) is not positive "
                           "for shape %dx%dx%d, N = %s; give lr a number",
                           shape->n_layer, shape->d_model, shape->n_head,
                           group_digits(n_params, a));
        }
    }
    /* a run that never leaves its warmup never trains at its peak learning rate */
    const int64_t steps = tokens / ((int64_t)run->config.batch * run->config.model.n_ctx);
    if (run->config.warmup_steps >= steps) {
        char a[32];
        return fail_at(s, key_line(s, KEY_TRAIN_WARMUP_STEPS), KEY_TRAIN_WARMUP_STEPS,
                       "%lld steps are not fewer than the %lld steps of run %lld (%dx%dx%d, "
                       "D = %s); use auto (5%% of each run) or fewer",
                       (long long)run->config.warmup_steps, (long long)steps,
                       (long long)p->n_runs + 1, shape->n_layer, shape->d_model, shape->n_head,
                       group_digits(tokens, a));
    }
    /* the worker's own checks, so that no rank is handed a run it refuses */
    const char *problem = train_config_error(&run->config, NULL);
    if (problem)
        return fail_at(s, line, data_key(p, run), "run %lld: %s", (long long)p->n_runs + 1,
                       problem);
    char text[8192];
    int length = canonical_text(p, &run->config, text, sizeof text);
    if (length < 0 || (size_t)length >= sizeof text)
        return fail_at(s, line, -1, "cannot describe run %lld", (long long)p->n_runs + 1);
    uint64_t id = hash_mix64(hash_fnv1a(HASH_FNV_OFFSET, text, (size_t)length));
    snprintf(run->run_id, sizeof run->run_id, "%016llx", (unsigned long long)id);
    run->cost = 6.0 * (double)n_params * (double)tokens;
    p->n_runs++;
    return 0;
}

static const plan_run *sort_runs; /* qsort has no context argument in C11 */

static int compare_run_ids(const void *a, const void *b)
{
    int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
    int order = strcmp(sort_runs[i].run_id, sort_runs[j].run_id);
    return order ? order : (i > j) - (i < j);
}

/* Identical runs have identical ids: two in one plan is an error at the later one. */
static int check_duplicate_runs(parse_state *s)
{
    plan *p = s->p;
    if (p->n_runs < 2)
        return 0;
    int64_t *order = malloc(sizeof *order * (size_t)p->n_runs);
    if (!order)
        return fail_at(s, 0, -1, "out of memory");
    for (int64_t i = 0; i < p->n_runs; i++)
        order[i] = i;
    sort_runs = p->runs;
    qsort(order, (size_t)p->n_runs, sizeof *order, compare_run_ids);
    sort_runs = NULL;
    int64_t later = -1, earlier = -1;
    for (int64_t i = 1; i < p->n_runs; i++) {
        if (strcmp(p->runs[order[i]].run_id, p->runs[order[i - 1]].run_id) == 0 &&
            (later < 0 || order[i] < later)) {
            later = order[i];
            earlier = order[i - 1];
        }
    }
    free(order);
    if (later < 0)
        return 0;
    const plan_run *run = &p->runs[later];
    char a[32];
    return fail_at(s, run->line, data_key(p, run),
                   "run %lld (%dx%dx%d, D = %s, seed %llu) is the same run as run %lld (line %d)",
                   (long long)later + 1, run->config.model.n_layer, run->config.model.d_model,
                   run->config.model.n_head, group_digits(run->config.tokens, a),
                   (unsigned long long)run->config.seed, (long long)earlier + 1,
                   p->runs[earlier].line);
}

static int expand(parse_state *s)
{
    plan *p = s->p;
    double n_runs;
    if (p->mode == PLAN_GRID)
        n_runs = (double)s->n_shapes * s->n_data * (double)p->n_seeds;
    else if (p->mode == PLAN_ISOFLOP)
        n_runs = (double)s->n_budgets * s->n_shapes * (double)p->n_seeds;
    else
        n_runs = (double)s->n_data * (double)p->n_seeds;
    if (n_runs > PLAN_MAX_RUNS)
        return fail_at(s, 0, -1, "the plan expands to %.0f runs, more than %d", n_runs,
                       PLAN_MAX_RUNS);
    p->runs = malloc(sizeof *p->runs * (size_t)(n_runs > 0 ? n_runs : 1));
    if (!p->runs)
        return fail_at(s, 0, -1, "out of memory for %.0f runs", n_runs);
    p->n_runs = 0;

    if (p->mode == PLAN_GRID) {
        for (int i = 0; i < s->n_shapes; i++)
            for (int j = 0; j < s->n_data; j++)
                for (int64_t r = 0; r < p->n_seeds; r++)
                    if (add_run(s, &s->shapes[i].shape, s->shapes[i].line, s->data[j].tokens,
                                s->data[j].unique_tokens, p->seeds[r], s->data[j].line) != 0)
                        return -1;
    } else if (p->mode == PLAN_LIST) {
        for (int j = 0; j < s->n_data; j++)
            for (int64_t r = 0; r < p->n_seeds; r++)
                if (add_run(s, &s->data[j].shape, s->data[j].line, s->data[j].tokens, 0,
                            p->seeds[r], s->data[j].line) != 0)
                    return -1;
    } else {
        /* D = C / (6N), rounded to whole steps; a shape that cannot take one step within
         * the budget is left out (with a note): an IsoFLOP profile simply has no point
         * there, and one budget's shape list cannot differ from another's in the plan */
        const int64_t step = (int64_t)s->base.batch * s->base.model.n_ctx;
        for (int b = 0; b < s->n_budgets; b++) {
            int64_t kept = 0;
            for (int i = 0; i < s->n_shapes; i++) {
                const model_config *shape = &s->shapes[i].shape;
                double n_params = (double)model_count_nonembedding(shape);
                double tokens = s->budgets[b] / (6.0 * n_params);
                if (tokens < (double)step) {
                    char a[32];
                    if (add_note(s,
                                 "compute %s (line %d): %dx%dx%d left out: C/(6N) = %.0f tokens "
                                 "is less than one step of %s",
                                 s->budget_sources[b], s->budget_lines[b], shape->n_layer,
                                 shape->d_model, shape->n_head, tokens, group_digits(step, a)) != 0)
                        return -1;
                    continue;
                }
                if (tokens > (double)MAX_TOKENS)
                    return fail_at(s, s->budget_lines[b], KEY_TRAIN_COMPUTE,
                                   "%s gives shape %dx%dx%d more than 1e15 tokens",
                                   s->budget_sources[b], shape->n_layer, shape->d_model,
                                   shape->n_head);
                int64_t rounded = llround(tokens / (double)step) * step;
                kept++;
                for (int64_t r = 0; r < p->n_seeds; r++)
                    if (add_run(s, shape, s->shapes[i].line, rounded, 0, p->seeds[r],
                                s->budget_lines[b]) != 0)
                        return -1;
            }
            if (kept == 0)
                return fail_at(s, s->budget_lines[b], KEY_TRAIN_COMPUTE,
                               "%s is too small for every shape: none gets one step of "
                               "batch x n_ctx tokens",
                               s->budget_sources[b]);
        }
    }
    if (check_duplicate_runs(s) != 0)
        return -1;
    uint64_t hash = HASH_FNV_OFFSET;
    for (int64_t i = 0; i < p->n_runs; i++)
        hash = hash_fnv1a(hash, p->runs[i].run_id, 16);
    p->hash = hash_mix64(hash);
    return 0;
}

/* ---- the public functions ------------------------------------------------------------ */

static void free_state(parse_state *s)
{
    for (int k = 0; k < KEY_COUNT; k++) {
        for (int i = 0; i < s->raw[k].count; i++)
            free(s->raw[k].segments[i].text);
        free(s->raw[k].segments);
    }
    free(s->shapes);
    free(s->data);
    free(s->budgets);
    free(s->budget_lines);
    free(s->budget_sources);
    free(s->items);
    free(s->notes);
}

static int read_file_syntax(parse_state *s, const char *text)
{
    s->cursor = text;
    s->left = strlen(text);
    s->last_key = -1;
    int status = ini_parse_stream(plan_reader, s, plan_ini_handler, s);
    if (status < 0)
        return fail_at(s, 0, -1, "out of memory while reading the plan");
    /* inih reports the first line it could not read; ours may be later or the same */
    if (status > 0 && (!s->failed || status < s->error_line)) {
        const char *line = text;
        for (int i = 1; i < status && line; i++) {
            line = strchr(line, '\n');
            line = line ? line + 1 : NULL;
        }
        while (line && (*line == ' ' || *line == '\t'))
            line++;
        s->failed = 0;
        if (line && *line == '[')
            return fail_at(s, status, -1, "syntax error: a section header without its ']'");
        return fail_at(s, status, -1,
                       "syntax error: expected 'key = value', '[section]' or a comment");
    }
    return s->failed ? -1 : 0;
}

int plan_parse(plan *p, const char *path, const char *text, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    parse_state state;
    memset(&state, 0, sizeof state);
    parse_state *s = &state;
    s->p = p;
    s->err = err;
    s->errlen = errlen;
    s->last_key = -1;
    if (strlen(path) >= sizeof p->path) {
        snprintf(err, errlen, "%.200s...:0: the plan's path is too long", path);
        return -1;
    }
    memcpy(p->path, path, strlen(path) + 1);
    p->text = strdup(text);
    if (!p->text) {
        fail_at(s, 0, -1, "out of memory");
        goto failed;
    }
    train_config_defaults(&s->base);
    s->base.warmup_steps = -1;
    s->base.eval_interval = 0;

    if (read_file_syntax(s, text) != 0 || read_sweep(s) != 0 || read_seeds(s) != 0 ||
        read_data(s) != 0 || check_applicability(s) != 0 || read_train_settings(s) != 0 ||
        read_model(s) != 0 || read_data_sizes(s) != 0 || read_fit(s) != 0 || expand(s) != 0)
        goto failed;
    for (int k = 0; k < KEY_COUNT; k++)
        p->key_lines[k] = key_line(s, k);
    p->notes = s->notes;
    s->notes = NULL;
    free_state(s);
    return 0;

failed:
    free_state(s);
    plan_free(p);
    return -1;
}

int plan_load(plan *p, const char *path, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(PLAN_MAX_FILE_BYTES + 1);
    if (!text) {
        fclose(f);
        snprintf(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    size_t n = fread(text, 1, PLAN_MAX_FILE_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || n > PLAN_MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s:0: %s", path,
                 read_error ? "cannot read" : "larger than 1 MB; is this a plan?");
        free(text);
        return -1;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        snprintf(err, errlen, "%s:0: contains a NUL byte; a plan is text", path);
        free(text);
        return -1;
    }
    int status = plan_parse(p, path, text, err, errlen);
    free(text);
    return status;
}

void plan_free(plan *p)
{
    free(p->text);
    free(p->runs);
    free(p->seeds);
    free(p->notes);
    memset(p, 0, sizeof *p);
}

/* ---- the environment ----------------------------------------------------------------- */

static int env_fail(const plan *p, char *err, size_t errlen, key_id k, int line,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int env_fail(const plan *p, char *err, size_t errlen, key_id k, int line,
                    const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%d: [%s] %s: %s", p->path, line, key_table[k].section,
             key_table[k].name, message);
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
        snprintf(file, sizeof file, "%s/train.txt", p->corpus);
        if ((train_size = readable_size(file, &why)) < 0)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line, "cannot read %s: %s",
                            file, why);
        snprintf(file, sizeof file, "%s/test.txt", p->corpus);
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
                        group_digits(train_size, a), group_digits(test_size, b));

    for (int64_t i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        const train_config *c = &run->config;
        const int64_t window = c->model.n_ctx + 1;
        if (c->unique_tokens > train_size)
            return env_fail(p, err, errlen, KEY_TRAIN_UNIQUE_TOKENS, run->line,
                            "%s unique tokens are more than the %s bytes of training text in "
                            "%s",
                            group_digits(c->unique_tokens, a), group_digits(train_size, b),
                            p->corpus);
        if (train_size < window)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line,
                            "the training text of %s (%s bytes) is shorter than one window of "
                            "n_ctx + 1 = %lld bytes",
                            p->corpus, group_digits(train_size, a), (long long)window);
        if (c->unique_tokens == 0 && c->tokens > train_size && !p->allow_epochs)
            return env_fail(p, err, errlen, data_key(p, run), run->line,
                            "run %lld (%dx%dx%d) trains on D = %s tokens, more than the %s bytes "
                            "of training text in %s; set [data] allow_epochs = true to repeat it",
                            (long long)i + 1, c->model.n_layer, c->model.d_model,
                            c->model.n_head, group_digits(c->tokens, a),
                            group_digits(train_size, b), p->corpus);
        /* the worker scores min(eval_tokens, test size - 1) tokens in n_ctx windows */
        if (test_size - 1 < c->model.n_ctx)
            return env_fail(p, err, errlen, KEY_DATA_CORPUS, corpus_line,
                            "the held-out text of %s (%s bytes) is too short to score one "
                            "n_ctx window of %d tokens",
                            p->corpus, group_digits(test_size, a), c->model.n_ctx);
    }
    return 0;
}

/* The results file must be writable, or creatable in an existing writable folder. Only
 * stat and access: validation never creates, truncates or touches the file. */
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
        if (access(p->output, R_OK | W_OK) != 0)
            return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "cannot write %s: %s",
                            p->output, strerror(errno));
        return 0;
    }
    if (errno != ENOENT)
        return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line, "cannot reach %s: %s", p->output,
                        strerror(errno));
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", p->output);
    char *slash = strrchr(folder, '/');
    if (!slash)
        snprintf(folder, sizeof folder, ".");
    else if (slash == folder)
        folder[1] = '\0';
    else
        *slash = '\0';
    if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
        return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                        "cannot create %s: the folder %s does not exist", p->output, folder);
    if (access(folder, W_OK | X_OK) != 0)
        return env_fail(p, err, errlen, KEY_SWEEP_OUTPUT, line,
                        "cannot create %s: the folder %s is not writable (%s)", p->output,
                        folder, strerror(errno));
    return 0;
}

int plan_check_environment(const plan *p, char *err, size_t errlen)
{
    /* the synthetic trainer reads no text: its plans run anywhere */
    if (p->trainer == TRAINER_TRANSFORMER && check_corpus(p, err, errlen) != 0)
        return -1;
    return check_output(p, err, errlen);
}

/* ---- the table ----------------------------------------------------------------------- */

void plan_print_runs(const plan *p, FILE *out)
{
    double total = 0.0, largest = 0.0;
    int64_t total_tokens = 0;
    int data_limited = 0;
    for (int64_t i = 0; i < p->n_runs; i++) {
        total += p->runs[i].cost;
        total_tokens += p->runs[i].config.tokens;
        if (p->runs[i].cost > largest)
            largest = p->runs[i].cost;
        data_limited |= p->runs[i].config.unique_tokens > 0;
    }
    const train_config *first = p->n_runs > 0 ? &p->runs[0].config : NULL;
    char a[32], b[32], c[32];
    fprintf(out, "plan %s (%s): mode %s, trainer %s, %lld runs, plan hash %016llx\n", p->name,
            p->path, plan_mode_name(p->mode), plan_trainer_name(p->trainer),
            (long long)p->n_runs, (unsigned long long)p->hash);
    fprintf(out, "corpus %s, output %s", p->corpus, p->output);
    if (first)
        fprintf(out, ", n_ctx %d, batch %d (%s tokens a step), lr %s", first->model.n_ctx,
                first->batch, group_digits((int64_t)first->batch * first->model.n_ctx, a),
                p->lr_auto ? "auto (Kaplan's LR(N))" : "fixed");
    fprintf(out, "\n\n");

    fprintf(out, "%6s  %-16s  %-12s %13s %15s", "#", "run_id", "shape", "N", "D");
    if (data_limited)
        fprintf(out, " %13s", "unique");
    fprintf(out, " %6s %10s %11s %7s\n", "seed", "lr", "C (FLOPs)", "share");
    for (int64_t i = 0; i < p->n_runs; i++) {
        const plan_run *run = &p->runs[i];
        const model_config *m = &run->config.model;
        char shape[48];
        snprintf(shape, sizeof shape, "%dx%dx%d", m->n_layer, m->d_model, m->n_head);
        fprintf(out, "%6lld  %-16s  %-12s %13s %15s", (long long)i + 1, run->run_id, shape,
                group_digits(model_count_nonembedding(m), a),
                group_digits(run->config.tokens, b));
        if (data_limited)
            fprintf(out, " %13s",
                    run->config.unique_tokens ? group_digits(run->config.unique_tokens, c) : "-");
        fprintf(out, " %6llu %10.4g %11.3e %6.2f%%\n", (unsigned long long)run->config.seed,
                (double)run->config.lr, run->cost, total > 0 ? 100.0 * run->cost / total : 0.0);
    }
    fprintf(out, "\ntotal: C = 6ND = %.3e FLOPs (%.3g PF-days) over %lld runs, %s tokens; the "
                 "largest run is %.1f%% of it\n",
            total, total / 8.64e19, (long long)p->n_runs, group_digits(total_tokens, a),
            total > 0 ? 100.0 * largest / total : 0.0);
    if (p->notes)
        fprintf(out, "\nnotes:\n%s", p->notes);
}
