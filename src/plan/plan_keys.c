/* The key table and typed reading over inih: the plan's text becomes a table of raw values
 * (each with its line), which the section readers (plan_sections.c) interpret through the
 * typed getters here. docs/plan.md documents every key.
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
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "plan_internal.h"
#include "units.h"

/* ---- the keys ------------------------------------------------------------------------ */

const plan_key_spec plan_keys[KEY_COUNT] = {
    [KEY_SWEEP_NAME] = {"sweep", "name", 0},
    [KEY_SWEEP_OUTPUT] = {"sweep", "output", 0},
    [KEY_SWEEP_MODE] = {"sweep", "mode", 0},
    [KEY_SWEEP_SEEDS] = {"sweep", "seeds", 0},
    [KEY_SWEEP_SEED_LIST] = {"sweep", "seed_list", 1},
    [KEY_SWEEP_TRAINER] = {"sweep", "trainer", 0},
    [KEY_SWEEP_MAX_RANKS_PER_RUN] = {"sweep", "max_ranks_per_run", 0},
    [KEY_SWEEP_MIN_BATCH_PER_RANK] = {"sweep", "min_batch_per_rank", 0},
    [KEY_SWEEP_PROGRESS_SECONDS] = {"sweep", "progress_seconds", 0},
    [KEY_SWEEP_REPORT] = {"sweep", "report", 0},
    [KEY_DATA_CORPUS] = {"data", "corpus", 0},
    [KEY_DATA_TEST_FRACTION] = {"data", "test_fraction", 0},
    [KEY_DATA_ALLOW_EPOCHS] = {"data", "allow_epochs", 0},
    [KEY_DATA_EVAL_TOKENS] = {"data", "eval_tokens", 0},
    [KEY_DATA_SOURCES] = {"data", "sources", 1},
    [KEY_DATA_MIXTURES] = {"data", "mixtures", 1},
    [KEY_MODEL_ARCHITECTURE] = {"model", "architecture", 1},
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
    [KEY_TRAIN_BATCH] = {"train", "batch", 1},
    [KEY_TRAIN_LR] = {"train", "lr", 1},
    [KEY_TRAIN_FINAL_LR_RATIO] = {"train", "final_lr_ratio", 0},
    [KEY_TRAIN_WARMUP_STEPS] = {"train", "warmup_steps", 1},
    [KEY_TRAIN_WEIGHT_DECAY] = {"train", "weight_decay", 1},
    [KEY_TRAIN_BETA1] = {"train", "beta1", 0},
    [KEY_TRAIN_BETA2] = {"train", "beta2", 1},
    [KEY_TRAIN_EPS] = {"train", "eps", 0},
    [KEY_TRAIN_GRAD_CLIP] = {"train", "grad_clip", 1},
    [KEY_TRAIN_EVAL_INTERVAL] = {"train", "eval_interval", 0},
    [KEY_TRAIN_EVALUATIONS] = {"train", "evaluations", 0},
    [KEY_TRAIN_EVAL_SPACING] = {"train", "eval_spacing", 0},
    [KEY_TRAIN_EVAL_BUDGET] = {"train", "eval_budget", 0},
    [KEY_TRAIN_PATIENCE] = {"train", "patience", 0},
    [KEY_TRAIN_CHECKPOINT_SECONDS] = {"train", "checkpoint_seconds", 0},
    [KEY_FIT_BOOTSTRAP] = {"fit", "bootstrap", 0},
    [KEY_FIT_SEED] = {"fit", "seed", 0},
    [KEY_FIT_LAWS] = {"fit", "laws", 1},
    [KEY_FIT_FRONTIER] = {"fit", "frontier", 0},
    [KEY_SYNTHETIC_FLOPS_PER_SECOND] = {"synthetic", "flops_per_second", 0},
    [KEY_SYNTHETIC_STEP_SECONDS] = {"synthetic", "step_seconds", 0},
    [KEY_SYNTHETIC_WIDTH_EFFICIENCY] = {"synthetic", "width_efficiency", 0},
    [KEY_SYNTHETIC_LR_OPTIMUM] = {"synthetic", "lr_optimum", 0},
    [KEY_SYNTHETIC_BATCH_OPTIMUM] = {"synthetic", "batch_optimum", 0},
};

static const char *const section_names[] = {"sweep", "data", "model", "train", "fit", "synthetic"};
#define SECTION_COUNT ((int)(sizeof section_names / sizeof section_names[0]))

/* ---- errors and notes ---------------------------------------------------------------- */

int plan_fail(plan_state *s, int line, int key, const char *fmt, ...)
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
        snprintf(s->err, s->errlen, "%s:%d: [%s] %s: %s", s->p->path, line, plan_keys[key].section,
                 plan_keys[key].name, message);
    else
        snprintf(s->err, s->errlen, "%s:%d: %s", s->p->path, line, message);
    return -1;
}

int plan_line_of(const plan_state *s, plan_key k)
{
    return s->raw[k].count > 0 ? s->raw[k].segments[0].line : 0;
}

int plan_is_set(const plan_state *s, plan_key k)
{
    return s->raw[k].count > 0;
}

const char *plan_scalar(const plan_state *s, plan_key k)
{
    return s->raw[k].count > 0 ? s->raw[k].segments[0].text : NULL;
}

int plan_note(plan_state *s, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return plan_fail(s, 0, -1, "cannot format a note");
    size_t length = strlen(line);
    char *grown = realloc(s->notes, s->notes_length + length + 2);
    if (!grown)
        return plan_fail(s, 0, -1, "out of memory");
    s->notes = grown;
    memcpy(s->notes + s->notes_length, line, length);
    s->notes_length += length;
    s->notes[s->notes_length++] = '\n';
    s->notes[s->notes_length] = '\0';
    return 0;
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
        if (strcmp(plan_keys[k].section, section) == 0 && strcmp(plan_keys[k].name, name) == 0)
            return k;
    return -1;
}

static int unknown_section(plan_state *s, int line, const char *name, size_t length)
{
    return plan_fail(s, line, -1,
                     "[%.*s]: unknown section; the sections are [sweep], [data], [model], "
                     "[train] and [fit]",
                     (int)length, name);
}

/* An ini_reader handing inih one line of the plan text at a time, so that s->line is the
 * line of every handler call. */
/* Bytes of the line at text (of left bytes), its end included: LF, CR LF, or a lone CR. */
static size_t plan_line_length(const char *text, size_t left)
{
    for (size_t i = 0; i < left; i++) {
        if (text[i] == '\n')
            return i + 1;
        if (text[i] == '\r' && (i + 1 == left || text[i + 1] != '\n'))
            return i + 1;
    }
    return left;
}

static char *plan_reader(char *buffer, int size, void *stream)
{
    plan_state *s = stream;
    if (s->left == 0 || s->failed)
        return NULL;
    const char *start = s->cursor;
    size_t length = plan_line_length(start, s->left);
    s->line++;
    /* inih's buffer holds size - 1 bytes and the terminator */
    if (size < 3 || length > (size_t)size - 1) {
        plan_fail(s, s->line, -1,
                  "line longer than %d characters (inih's limit); continue a list on indented "
                  "lines",
                  size - 2);
        return NULL;
    }
    memcpy(buffer, start, length);
    buffer[length] = '\0';
    if (buffer[length - 1] == '\r')
        buffer[length - 1] = '\n'; /* a lone CR ends a line as LF does (old Mac files) */
    s->cursor += length;
    s->left -= length;

    /* Mirror inih's reading of the line just enough to see section headers: a line whose
     * first non-blank character is '[' is a header unless inih takes an indented line as
     * the continuation of the previous key. inih calls no handler for a header, so an
     * unknown section without keys would otherwise pass unseen. */
    const char *c = start, *end = start + length;
    if (s->line == 1 && length >= 3 && (unsigned char)c[0] == 0xEF && (unsigned char)c[1] == 0xBB &&
        (unsigned char)c[2] == 0xBF)
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
            /* inih ignores what follows the ']': only a comment may */
            const char *after = close + 1;
            while (after < end && isspace((unsigned char)*after))
                after++;
            if (!s->failed && after < end && *after != ';' && *after != '#') {
                size_t rest = (size_t)(end - after);
                while (rest > 0 && isspace((unsigned char)after[rest - 1]))
                    rest--;
                plan_fail(s, s->line, -1,
                          "'%.*s' after the section header %.*s; put each key on a line of "
                          "its own",
                          (int)(rest < 60 ? rest : 60), after, (int)(close - c + 1), c);
            }
        }
    }
    return buffer;
}

static int append_segment(plan_state *s, plan_raw_value *raw, const char *value, int line)
{
    if (raw->count == raw->capacity) {
        int capacity = raw->capacity ? 2 * raw->capacity : 2;
        plan_segment *grown = realloc(raw->segments, sizeof *grown * (size_t)capacity);
        if (!grown)
            return plan_fail(s, line, -1, "out of memory");
        raw->segments = grown;
        raw->capacity = capacity;
    }
    char *copy = strdup(value);
    if (!copy)
        return plan_fail(s, line, -1, "out of memory");
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
    const char *names[KEY_COUNT];
    int n = 0;
    for (int k = 0; k < KEY_COUNT; k++)
        if (strcmp(plan_keys[k].section, section) == 0)
            names[n++] = plan_keys[k].name;
    message_join(names, n, ", ", out, size);
}

/* Called by inih for every "key = value" and every continuation line. Only collects:
 * values are interpreted once the whole file is read. */
static int plan_ini_handler(void *user, const char *section, const char *name, const char *value,
                            int lineno)
{
    (void)lineno; /* equal to s->line with Debian's library; ours works with any build */
    plan_state *s = user;
    if (s->failed)
        return 0;
    const int line = s->line;
    if (!*section) {
        plan_fail(s, line, -1, "%s: a key before the first [section] header", name);
        return 0;
    }
    if (find_section(section) < 0) {
        unknown_section(s, line, section, strlen(section));
        return 0;
    }
    int k = find_key(section, name);
    if (k < 0) {
        for (int other = 0; other < KEY_COUNT; other++) {
            if (strcmp(plan_keys[other].name, name) == 0) {
                plan_fail(s, line, -1, "[%s] %s: unknown key in [%s]; it belongs in [%s]", section,
                          name, section, plan_keys[other].section);
                return 0;
            }
        }
        char keys[512];
        list_section_keys(section, keys, sizeof keys);
        plan_fail(s, line, -1, "[%s] %s: unknown key; [%s] has %s", section, name, section, keys);
        return 0;
    }
    plan_raw_value *raw = &s->raw[k];
    /* inih passes an indented line after a key as more of that key's value */
    if (s->line_indented && s->last_key == k && raw->count > 0) {
        if (strchr(value, '=')) {
            plan_fail(s, line, k,
                      "this indented line continues the value of %s; start a new key at "
                      "the beginning of its line",
                      name);
            return 0;
        }
        if (!plan_keys[k].is_list) {
            plan_fail(s, line, k, "only lists may continue on an indented line");
            return 0;
        }
    } else if (raw->count > 0) {
        plan_fail(s, line, k, "set twice (first on line %d)", raw->segments[0].line);
        return 0;
    }
    s->last_key = k;
    if (append_segment(s, raw, value, line) != 0)
        return 0;
    return 1;
}

/* ---- values -------------------------------------------------------------------------- */

int plan_count_text(plan_state *s, plan_key k, int line, const char *text, int64_t min, int64_t max,
                    int64_t *out)
{
    int64_t value;
    if (units_parse_count(text, &value) != 0) {
        double real;
        if (units_parse_real(text, &real) != 0)
            return plan_fail(s, line, k, "'%s' is not a number (write e.g. 2000, 1e6, 3M or 2.5k)",
                             text);
        if (real < 0.0)
            return plan_fail(s, line, k, "%s is negative; it must be at least %lld", text,
                             (long long)min);
        if (real != floor(real))
            return plan_fail(s, line, k, "%s is not a whole number", text);
        return plan_fail(s, line, k, "%s is too large", text);
    }
    char a[32], b[32];
    if (value < min)
        return plan_fail(s, line, k, "%s is too small; it must be at least %s", text,
                         units_group_digits(min, a));
    if (value > max)
        return plan_fail(s, line, k, "%s is too large; it must be at most %s", text,
                         units_group_digits(max, b));
    *out = value;
    return 0;
}

int plan_real_text(plan_state *s, plan_key k, int line, const char *text, double min, int min_open,
                   double max, int max_open, double *out)
{
    double value;
    if (units_parse_real(text, &value) != 0)
        return plan_fail(s, line, k, "'%s' is not a number (write e.g. 0.1, 3e-4 or 1e18)", text);
    if (value == 0.0)
        value = 0.0; /* -0 is 0: one run id, one plan hash */
    int below = min_open ? !(value > min) : !(value >= min);
    int above = isinf(max) ? 0 : (max_open ? !(value < max) : !(value <= max));
    if (below || above) {
        if (isinf(max))
            return plan_fail(s, line, k, "%s is out of range: it must be %s %g", text,
                             min_open ? "greater than" : "at least", min);
        return plan_fail(s, line, k, "%s is out of range: it must lie in %c%g, %g%c", text,
                         min_open ? '(' : '[', min, max, max_open ? ')' : ']');
    }
    *out = value;
    return 0;
}

int plan_scalar_nonempty(plan_state *s, plan_key k, const char **text)
{
    *text = plan_scalar(s, k);
    if (*text && !**text)
        return plan_fail(s, plan_line_of(s, k), k, "empty value");
    return 0;
}

int plan_get_count(plan_state *s, plan_key k, int64_t min, int64_t max, int64_t *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    return text ? plan_count_text(s, k, plan_line_of(s, k), text, min, max, out) : 0;
}

int plan_get_int(plan_state *s, plan_key k, int64_t min, int64_t max, int *out)
{
    int64_t value = *out;
    if (plan_get_count(s, k, min, max, &value) != 0)
        return -1;
    *out = (int)value;
    return 0;
}

int plan_get_real(plan_state *s, plan_key k, double min, int min_open, double max, int max_open,
                  double *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    return text ? plan_real_text(s, k, plan_line_of(s, k), text, min, min_open, max, max_open, out)
                : 0;
}

int plan_float_text(plan_state *s, plan_key k, int line, const char *text, double min, int min_open,
                    double max, int max_open, float *out)
{
    /* a float holds no more than FLT_MAX: 1e39 would become infinity */
    if (max > FLT_MAX) {
        max = FLT_MAX;
        max_open = 0;
    }
    double value = 0.0;
    if (plan_real_text(s, k, line, text, min, min_open, max, max_open, &value) != 0)
        return -1;
    /* and the float itself in range: 1e-50 rounds to 0, 0.9999999999 to 1 */
    const float rounded = (float)value;
    const double f = rounded;
    if ((min_open ? !(f > min) : !(f >= min)) || (max_open ? !(f < max) : !(f <= max)))
        return plan_fail(s, line, k,
                         "%s rounds to %g as a float, out of range: it must lie in "
                         "%c%g, %g%c",
                         text, f, min_open ? '(' : '[', min, max, max_open ? ')' : ']');
    *out = rounded;
    return 0;
}

int plan_get_float(plan_state *s, plan_key k, double min, int min_open, double max, int max_open,
                   float *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    return text ? plan_float_text(s, k, plan_line_of(s, k), text, min, min_open, max, max_open, out)
                : 0;
}

int plan_get_auto_count(plan_state *s, plan_key k, int64_t auto_value, int64_t min, int64_t max,
                        int64_t *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    if (strcmp(text, "auto") == 0) {
        *out = auto_value;
        return 0;
    }
    return plan_count_text(s, k, plan_line_of(s, k), text, min, max, out);
}

int plan_get_bool(plan_state *s, plan_key k, int *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
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
    return plan_fail(s, plan_line_of(s, k), k, "'%s' is not true or false (or yes/no, on/off, 1/0)",
                     text);
}

int plan_get_string(plan_state *s, plan_key k, char *out, size_t size)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    if (strlen(text) >= size)
        return plan_fail(s, plan_line_of(s, k), k, "longer than %zu characters", size - 1);
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

int plan_get_choice(plan_state *s, plan_key k, const char *const *names, int count, int *out)
{
    const char *text;
    if (plan_scalar_nonempty(s, k, &text) != 0)
        return -1;
    if (!text)
        return 0;
    for (int i = 0; i < count; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char choices[256];
    message_join(names, count, " or ", choices, sizeof choices);
    return plan_fail(s, plan_line_of(s, k), k, "'%s' is not one of %s", text, choices);
}

int plan_get_items(plan_state *s, plan_key k)
{
    free(s->items);
    s->items = NULL;
    s->n_items = 0;
    plan_raw_value *raw = &s->raw[k];
    size_t capacity = 0;
    for (int i = 0; i < raw->count; i++) {
        capacity++;
        for (const char *c = raw->segments[i].text; *c; c++)
            capacity += *c == ',';
    }
    s->items = malloc(sizeof *s->items * (capacity ? capacity : 1));
    if (!s->items)
        return plan_fail(s, plan_line_of(s, k), k, "out of memory");
    for (int i = 0; i < raw->count; i++) {
        char *text = raw->segments[i].text;
        const int line = raw->segments[i].line;
        if (!*text)
            return plan_fail(s, line, k, raw->count == 1 ? "empty list" : "empty line in the list");
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
                return plan_fail(s, line, k, "empty item in the list");
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

/* ---- the state ---------------------------------------------------------------------- */

void plan_state_free(plan_state *s)
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

int plan_read_syntax(plan_state *s, const char *text)
{
    s->cursor = text;
    s->left = strlen(text);
    s->last_key = -1;
    int status = ini_parse_stream(plan_reader, s, plan_ini_handler, s);
    if (status < 0)
        return plan_fail(s, 0, -1, "out of memory while reading the plan");
    /* inih reports the first line it could not read; ours may be later or the same */
    if (status > 0 && (!s->failed || status < s->error_line)) {
        const char *line = text;
        const char *end = text + strlen(text);
        for (int i = 1; i < status && line < end; i++)
            line += plan_line_length(line, (size_t)(end - line));
        while (line < end && (*line == ' ' || *line == '\t'))
            line++;
        s->failed = 0;
        if (line < end && *line == '[')
            return plan_fail(s, status, -1, "syntax error: a section header without its ']'");
        return plan_fail(s, status, -1,
                         "syntax error: expected 'key = value', '[section]' or a comment");
    }
    return s->failed ? -1 : 0;
}
