/* [data] sources and mixtures: the texts a sweep's runs are scored on, and the shares in
 * which each run trains on them. docs/plan.md is the reference:
 *
 *   sources  = press, fiction, ~/web.txt   a name is a folder CORPUS/sources/NAME (what
 *                                          `scalesweep corpus brown` writes); an item with a
 *                                          '/' or ending in .txt is a path, named after
 *                                          its last part
 *   mixtures = press, fiction, press:1 + fiction:1
 *
 * Without sources the corpus is the one source and the one mixture (run ids as before). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "message.h"
#include "plan_internal.h"

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

static int ends_with(const char *text, const char *end)
{
    size_t n = strlen(text), m = strlen(end);
    return n >= m && strcmp(text + n - m, end) == 0;
}

/* A source's name from its path: the last part, without a trailing '/' or ".txt"; a character
 * a name cannot hold becomes '_'. */
static void name_of_path(const char *path, char *out, size_t size)
{
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (end - start > 4 && strncmp(path + end - 4, ".txt", 4) == 0)
        end -= 4;
    size_t n = 0;
    for (size_t i = start; i < end && n + 1 < size; i++)
        out[n++] = name_char(path[i]) ? path[i] : '_';
    out[n] = '\0';
    if (n == 0)
        snprintf(out, size, "corpus");
}

static int add_source(plan_state *s, const char *name, const char *path, int line)
{
    plan *p = s->p;
    const plan_key k = KEY_DATA_SOURCES;
    for (const char *c = name; *c; c++)
        if (!name_char(*c))
            return plan_fail(s, line, k,
                             "source name '%s' may hold only letters, digits, '_', '-' and '.'",
                             name);
    const int earlier = plan_find_source(p, name);
    if (earlier >= 0)
        return plan_fail(s, line, k, "source '%s' is given twice (also %s, line %d)", name,
                         p->sources[earlier].path, p->sources[earlier].line);
    if (p->n_sources == TRAIN_MAX_SOURCES)
        return plan_fail(s, line, k, "more than %d sources", TRAIN_MAX_SOURCES);
    if (strlen(path) >= sizeof p->sources[0].path)
        return plan_fail(s, line, k, "the path of source '%s' is too long", name);
    plan_source *source = &p->sources[p->n_sources++];
    snprintf(source->name, sizeof source->name, "%s", name);
    snprintf(source->path, sizeof source->path, "%s", path);
    source->line = line;
    return 0;
}

static int read_source_list(plan_state *s)
{
    plan *p = s->p;
    if (!plan_is_set(s, KEY_DATA_SOURCES)) {
        char name[PLAN_SOURCE_NAME_SIZE];
        name_of_path(p->corpus, name, sizeof name);
        return add_source(s, name, p->corpus, 0);
    }
    p->named_sources = 1;
    if (plan_get_items(s, KEY_DATA_SOURCES) != 0)
        return -1;
    for (int i = 0; i < s->n_items; i++) {
        const plan_item *item = &s->items[i];
        char name[PLAN_SOURCE_NAME_SIZE], path[4096 + PLAN_SOURCE_NAME_SIZE + 16];
        if (strchr(item->text, '/') || ends_with(item->text, ".txt")) {
            name_of_path(item->text, name, sizeof name);
            snprintf(path, sizeof path, "%s", item->text);
        } else {
            if (strlen(item->text) >= sizeof name)
                return plan_fail(s, item->line, KEY_DATA_SOURCES,
                                 "source name '%s' is longer than %d characters", item->text,
                                 PLAN_SOURCE_NAME_SIZE - 1);
            snprintf(name, sizeof name, "%s", item->text);
            snprintf(path, sizeof path, "%s/" CORPUS_SOURCES_DIR "/%s", p->corpus, item->text);
        }
        if (add_source(s, name, path, item->line) != 0)
            return -1;
    }
    return 0;
}

/* The sources' names, for messages: "press, fiction and all". */
static void source_names(const plan *p, char *out, size_t size)
{
    const char *names[TRAIN_MAX_SOURCES];
    for (int i = 0; i < p->n_sources; i++)
        names[i] = p->sources[i].name;
    message_join(names, p->n_sources, " and ", out, size);
}

/* One item of mixtures: "NAME" or terms "NAME:WEIGHT" joined by '+'. */
static int read_mixture(plan_state *s, const plan_item *item, plan_mixture *m)
{
    const plan *p = s->p;
    const plan_key k = KEY_DATA_MIXTURES;
    char text[1024];
    if (strlen(item->text) >= sizeof text)
        return plan_fail(s, item->line, k, "mixture longer than %zu characters", sizeof text - 1);
    snprintf(text, sizeof text, "%s", item->text);
    memset(m, 0, sizeof *m);
    m->line = item->line;
    double weight[TRAIN_MAX_SOURCES] = {0}, total = 0.0;
    int order[TRAIN_MAX_SOURCES], terms = 0;
    /* terms between '+' (by hand: "a++b", "+a" and "a+" hold empty terms) */
    for (char *term = text, *next; term; term = next) {
        char *plus = strchr(term, '+');
        next = plus ? plus + 1 : NULL;
        if (plus)
            *plus = '\0';
        while (*term == ' ' || *term == '\t')
            term++;
        size_t n = strlen(term);
        while (n > 0 && (term[n - 1] == ' ' || term[n - 1] == '\t'))
            term[--n] = '\0';
        if (n == 0)
            return plan_fail(s, item->line, k,
                             "'%s': an empty term; write source:weight terms joined by +",
                             item->text);
        char *colon = strchr(term, ':');
        double w = 1.0;
        if (colon) {
            *colon = '\0';
            char *value = colon + 1;
            while (*value == ' ')
                value++;
            size_t length = strlen(term);
            while (length > 0 && term[length - 1] == ' ')
                term[--length] = '\0';
            if (plan_real_text(s, k, item->line, value, 0.0, 1, INFINITY, 1, &w) != 0)
                return -1;
        }
        const int i = plan_find_source(p, term);
        if (i < 0) {
            char names[1024];
            source_names(p, names, sizeof names);
            return plan_fail(s, item->line, k, "'%s' is not a source; the sources are %s%s", term,
                             names, p->named_sources ? "" : " (the corpus: set [data] sources)");
        }
        if (weight[i] > 0.0)
            return plan_fail(s, item->line, k, "'%s' names source %s twice", item->text, term);
        weight[i] = w;
        total += w;
        order[terms++] = i;
    }
    if (terms == 0)
        return plan_fail(s, item->line, k, "'%s' names no source", item->text);
    if (!(total > 0.0) || !isfinite(total))
        return plan_fail(s, item->line, k, "the weights of '%s' do not sum to a positive number",
                         item->text);
    /* shares rounded to 1e-12, so that weights in one ratio (1:2 and 0.3:0.6) give, but for
       about one ratio in 1e5, the same shares bit for bit, and so the same run ids */
    for (int i = 0; i < p->n_sources; i++)
        m->share[i] = round(weight[i] / total * 1e12) / 1e12;
    size_t n = 0;
    for (int t = 0; t < terms; t++) {
        const int i = order[t];
        int w = terms == 1 ? snprintf(m->text, sizeof m->text, "%s", p->sources[i].name)
                           : snprintf(m->text + n, sizeof m->text - n, "%s%s:%.6g", t ? " + " : "",
                                      p->sources[i].name, m->share[i]);
        if (w < 0 || n + (size_t)w >= sizeof m->text)
            return plan_fail(s, item->line, k, "'%s' is longer than %d characters as written out",
                             item->text, PLAN_MIXTURE_TEXT_SIZE - 1);
        n += (size_t)w;
    }
    return 0;
}

static int read_mixture_list(plan_state *s)
{
    plan *p = s->p;
    const plan_key k = KEY_DATA_MIXTURES;
    if (!plan_is_set(s, k)) {
        if (p->n_sources > 1)
            return plan_fail(s, plan_line_of(s, KEY_DATA_SOURCES), KEY_DATA_SOURCES,
                             "%d sources and no [data] mixtures: say what the runs train on, "
                             "e.g. mixtures = %s, %s:1 + %s:1",
                             p->n_sources, p->sources[0].name, p->sources[0].name,
                             p->sources[1].name);
        p->mixtures = calloc(1, sizeof *p->mixtures);
        if (!p->mixtures)
            return plan_fail(s, 0, -1, "out of memory");
        p->mixtures[0].share[0] = 1.0;
        snprintf(p->mixtures[0].text, sizeof p->mixtures[0].text, "%s", p->sources[0].name);
        p->n_mixtures = 1;
        return 0;
    }
    if (!p->named_sources)
        return plan_fail(s, plan_line_of(s, k), k,
                         "needs [data] sources: the sources that the mixtures draw on");
    if (plan_get_items(s, k) != 0)
        return -1;
    p->mixtures = calloc((size_t)s->n_items, sizeof *p->mixtures);
    if (!p->mixtures)
        return plan_fail(s, 0, -1, "out of memory");
    for (int j = 0; j < s->n_items; j++) {
        if (read_mixture(s, &s->items[j], &p->mixtures[j]) != 0)
            return -1;
        for (int e = 0; e < j; e++) {
            /* one ratio: shares within 1e-12 (the rounding can still split a last digit) */
            int same = 1;
            for (int i = 0; i < p->n_sources; i++)
                same &= fabs(p->mixtures[e].share[i] - p->mixtures[j].share[i]) <= 1.5e-12;
            if (same)
                return plan_fail(s, s->items[j].line, k,
                                 "'%s' is the same mixture as '%s' (line %d)", s->items[j].text,
                                 p->mixtures[e].text, p->mixtures[e].line);
            /* the text is what results files, fit --mixture and the reports tell them by */
            if (strcmp(p->mixtures[e].text, p->mixtures[j].text) == 0)
                return plan_fail(s, s->items[j].line, k,
                                 "'%s' is written '%s', as '%s' (line %d) is: give shares that "
                                 "differ in their first six digits",
                                 s->items[j].text, p->mixtures[j].text, s->items[e].text,
                                 p->mixtures[e].line);
        }
        p->n_mixtures = j + 1;
    }
    return 0;
}

int plan_read_sources(plan_state *s)
{
    plan *p = s->p;
    p->sources = calloc(TRAIN_MAX_SOURCES, sizeof *p->sources);
    if (!p->sources)
        return plan_fail(s, 0, -1, "out of memory");
    if (read_source_list(s) != 0 || read_mixture_list(s) != 0)
        return -1;
    s->base.n_sources = p->n_sources;
    return 0;
}
