/* Plans: every malformed plan in tests/plans/bad_*.ini is refused with one line naming the
 * file, the right line and what is wrong; the valid ones expand into the runs they should
 * (counts, D rounded to whole steps, IsoFLOP budgets, lr = auto, shapes generated from N,
 * stable and distinct run ids, the same hash for the same runs); validation never touches
 * an existing results file; and the example jobs load.
 *
 * usage: test_plan PLANS_DIR [JOBS_DIR]
 * It works inside PLANS_DIR (the plans name their fixtures relative to it). With JOBS_DIR
 * it loads every job there from the folder above it, the repository root, and checks the
 * environment too when that folder has data/brown. */
#define INI_HANDLER_LINENO 1
#include <ini.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "model.h"
#include "plan.h"
#include "plan_internal.h"

#define MAX_FILES 512

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (text)
        text[n] = '\0';
    return text;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir starting with prefix and ending with .ini, sorted; returns the count. */
static int list_plans(const char *dir, const char *prefix, char **names)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    size_t prefix_length = strlen(prefix);
    while ((e = readdir(d)) != NULL && n < MAX_FILES) {
        size_t length = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, prefix_length) == 0 && length > 4 &&
            strcmp(e->d_name + length - 4, ".ini") == 0) {
            names[n] = strdup(e->d_name);
            if (names[n])
                n++;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, compare_names);
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
}

/* ---- inih: the handler type plan.c assumes ------------------------------------------- */

static int probe_lines[8];
static int probe_count;

static int probe_handler(void *user, const char *section, const char *name, const char *value,
                         int lineno)
{
    (void)user, (void)section, (void)name, (void)value;
    if (probe_count < 8)
        probe_lines[probe_count++] = lineno;
    return 1;
}

/* plan.c declares its handler with the line number, as Debian's libinih is built; if the
 * library were built without it, the fifth argument would be garbage. */
static void test_inih_abi(void)
{
    probe_count = 0;
    int status = ini_parse_string("[a]\n\nx = 1\n; c\ny = 2\n\n\nz = 3\n", probe_handler, NULL);
    check(status == 0 && probe_count == 3, "inih parsed %d keys (status %d)", probe_count,
          status);
    check(probe_lines[0] == 3 && probe_lines[1] == 5 && probe_lines[2] == 8,
          "inih passes line numbers 3, 5, 8 to the handler (got %d, %d, %d): the library's "
          "INI_HANDLER_LINENO is not what plan.c assumes",
          probe_lines[0], probe_lines[1], probe_lines[2]);
}

/* ---- malformed plans ----------------------------------------------------------------- */

static void test_bad_plan(const char *name)
{
    char *text = read_text(name);
    if (!text) {
        check(0, "%s: cannot read", name);
        return;
    }
    char expect[512] = "", *newline;
    int line = -1;
    if (strncmp(text, "# expect: ", 10) == 0) {
        snprintf(expect, sizeof expect, "%s", text + 10);
        if ((newline = strchr(expect, '\n')))
            *newline = '\0';
        const char *second = strchr(text, '\n');
        if (second && sscanf(second + 1, "# line: %d", &line) != 1)
            line = -1;
    }
    free(text);
    if (!*expect || line < 0) {
        check(0, "%s: no '# expect: ' first line and '# line: ' second line", name);
        return;
    }

    plan p;
    char err[2048] = "";
    int status = plan_load(&p, name, err, sizeof err);
    if (status == 0) {
        status = plan_check_environment(&p, err, sizeof err);
        plan_free(&p);
    } else {
        check(p.runs == NULL && p.text == NULL && p.n_runs == 0,
              "%s: a failed parse leaves the plan empty", name);
    }
    check(status != 0, "%s: accepted, expected an error containing \"%s\"", name, expect);
    if (status == 0)
        return;
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s:%d: ", name, line);
    check(strncmp(err, prefix, strlen(prefix)) == 0, "%s: error should start with \"%s\": %s",
          name, prefix, err);
    check(strstr(err, expect) != NULL, "%s: error should contain \"%s\": %s", name, expect, err);
    check(strchr(err, '\n') == NULL, "%s: error is more than one line: %s", name, err);
}

/* ---- checks every valid plan must pass ----------------------------------------------- */

static int is_hex_id(const char *id)
{
    if (strlen(id) != 16)
        return 0;
    for (int i = 0; i < 16; i++)
        if (!strchr("0123456789abcdef", id[i]))
            return 0;
    return 1;
}

static void check_valid_plan(const plan *p, const char *what)
{
    check(p->n_runs > 0, "%s: no runs", what);
    check(p->text != NULL, "%s: text kept", what);
    int ok_ids = 1, ok_cost = 1, ok_steps = 1, ok_line = 1, distinct = 1;
    for (int64_t i = 0; i < p->n_runs; i++) {
        const plan_run *r = &p->runs[i];
        const train_config *c = &r->config;
        ok_ids &= is_hex_id(r->run_id);
        double want = 6.0 * (double)net_count_nonembedding(&c->model) * (double)c->tokens;
        ok_cost &= r->cost == want;
        int64_t step = (int64_t)c->batch * c->model.n_ctx;
        ok_steps &= c->tokens >= step && c->tokens % step == 0;
        ok_line &= r->line > 0;
        for (int64_t j = 0; j < i; j++)
            distinct &= strcmp(p->runs[j].run_id, r->run_id) != 0;
    }
    check(ok_ids, "%s: run ids are 16 hex digits", what);
    check(ok_cost, "%s: cost = 6 N D", what);
    check(ok_steps, "%s: D is a whole number of steps of batch x n_ctx", what);
    check(ok_line, "%s: every run knows its line", what);
    check(distinct, "%s: run ids are distinct", what);

    /* the same text gives the same runs, wherever the file lies */
    plan again;
    char err[2048];
    int status = plan_parse(&again, "elsewhere/other_name.ini", p->text, err, sizeof err);
    check(status == 0, "%s: parses again under another path: %s", what, err);
    if (status == 0) {
        check(again.hash == p->hash && again.n_runs == p->n_runs,
              "%s: the same text gives the same hash", what);
        int same = again.n_runs == p->n_runs;
        for (int64_t i = 0; same && i < p->n_runs; i++)
            same = strcmp(again.runs[i].run_id, p->runs[i].run_id) == 0;
        check(same, "%s: the same text gives the same run ids", what);
        plan_free(&again);
    }

    /* the dry-run table has a row per run and a total */
    FILE *out = tmpfile();
    if (out) {
        plan_print_runs(p, out);
        long size = ftell(out);
        rewind(out);
        char *table = malloc((size_t)size + 1);
        size_t n = table ? fread(table, 1, (size_t)size, out) : 0;
        if (table) {
            table[n] = '\0';
            int rows = 0;
            for (int64_t i = 0; i < p->n_runs; i++)
                rows += strstr(table, p->runs[i].run_id) != NULL;
            check(rows == p->n_runs && strstr(table, "total: C = 6ND"),
                  "%s: the table lists %d of %lld runs and a total", what, rows,
                  (long long)p->n_runs);
        }
        free(table);
        fclose(out);
    }
}

static int load(plan *p, const char *path, int check_environment)
{
    char err[2048];
    int status = plan_load(p, path, err, sizeof err);
    check(status == 0, "%s: %s", path, err);
    if (status != 0)
        return -1;
    if (check_environment) {
        int env = plan_check_environment(p, err, sizeof err);
        check(env == 0, "%s: environment: %s", path, err);
    }
    check_valid_plan(p, path);
    return 0;
}

/* The lr that a rule gives a shape, as a run holds it. */
static float rule_lr(train_lr_rule rule, const model_config *m)
{
    return (float)train_lr_of_rule(rule, m);
}

/* ---- the valid plans, one by one ----------------------------------------------------- */

static void test_grid(void)
{
    plan p;
    if (load(&p, "good_grid.ini", 1) != 0)
        return;
    check(p.n_runs == 18, "grid: 3 shapes x 3 tokens x 2 seeds = 18 runs, got %lld",
          (long long)p.n_runs);
    check(strcmp(p.name, "grid_test") == 0 && p.mode == PLAN_GRID && p.allow_epochs == 1,
          "grid: name, mode, allow_epochs");
    /* 1000, 5k and 1e5 tokens at 512 a step: 2, 10 and 195 steps (llround) */
    static const int64_t want_tokens[3] = {1024, 5120, 99840};
    static const int want_shapes[3][3] = {{2, 64, 2}, {4, 128, 4}, {1, 32, 1}};
    int order = 1;
    for (int64_t i = 0; i < p.n_runs && i < 18; i++) {
        const train_config *c = &p.runs[i].config;
        int shape = (int)(i / 6), tokens = (int)(i / 2 % 3), seed = (int)(i % 2);
        order &= c->model.n_layer == want_shapes[shape][0] &&
                 c->model.d_model == want_shapes[shape][1] &&
                 c->model.n_head == want_shapes[shape][2] && c->model.n_ctx == 64 &&
                 c->tokens == want_tokens[tokens] && c->seed == (uint64_t)(seed + 1) &&
                 c->batch == 8 && c->eval_tokens == 1000 && c->unique_tokens == 0 &&
                 c->lr == rule_lr(TRAIN_LR_AUTO, &c->model);
    }
    check(order, "grid: runs in the order shapes x tokens x seeds, D rounded, lr auto");
    check(p.runs[0].line == 22 && p.runs[4].line == 22, "grid: runs know the tokens line (%d)",
          p.runs[0].line);
    check(plan_key_line(&p, "model", "shapes") == 15 && plan_key_line(&p, "train", "tokens") == 22 &&
              plan_key_line(&p, "train", "lr") == 0 && plan_key_line(&p, "nope", "x") == 0,
          "grid: key lines");
    /* seeds differ, so ids do; two seeds of one configuration still differ everywhere */
    check(strcmp(p.runs[0].run_id, p.runs[1].run_id) != 0, "grid: seeds give distinct ids");

    /* one more seed: the first runs keep their ids, the plan hash changes */
    char *text = strdup(p.text);
    char *seeds = text ? strstr(text, "seeds = 2") : NULL;
    if (seeds) {
        seeds[8] = '3';
        plan more;
        char err[2048];
        if (plan_parse(&more, "good_grid.ini", text, err, sizeof err) == 0) {
            check(more.n_runs == 27 && more.hash != p.hash, "grid: 3 seeds give 27 runs, a new hash");
            check(strcmp(more.runs[0].run_id, p.runs[0].run_id) == 0 &&
                      strcmp(more.runs[1].run_id, p.runs[1].run_id) == 0,
                  "grid: a run's id does not depend on the rest of the plan");
            plan_free(&more);
        } else {
            check(0, "grid with 3 seeds: %s", err);
        }
    }
    free(text);
    plan_free(&p);
}

static void test_isoflop(void)
{
    plan p;
    if (load(&p, "good_isoflop.ini", 1) != 0)
        return;
    /* 1e12 affords one step to three shapes, 1e13 to all four */
    check(p.n_runs == 7, "isoflop: 3 + 4 runs, got %lld", (long long)p.n_runs);
    int rounded = 1;
    for (int64_t i = 0; i < p.n_runs; i++) {
        const train_config *c = &p.runs[i].config;
        double budget = i < 3 ? 1e12 : 1e13;
        double n = (double)net_count_nonembedding(&c->model);
        int64_t want = llround(budget / (6.0 * n) / 2048.0) * 2048;
        rounded &= c->tokens == want && fabs(p.runs[i].cost - budget) <= 0.5 * 6.0 * n * 2048.0;
    }
    check(rounded, "isoflop: D = C/(6N) rounded to whole steps of 2048 tokens, C within half a step");
    /* 1e12 / (6 x 100,096) = 1,665,069 tokens = 813.02 steps */
    check(p.runs[0].config.tokens == 1665024,
          "isoflop: 2x64x2 at 1e12 trains 813 steps (1,665,024 tokens), got %lld",
          (long long)p.runs[0].config.tokens);
    check(p.runs[6].config.model.n_layer == 12 && p.runs[6].config.tokens == 20480,
          "isoflop: 12x768x12 at 1e13 gets 10 steps");
    check(p.notes && strstr(p.notes, "12x768x12 left out") && strstr(p.notes, "line 12"),
          "isoflop: the shape left out is noted: %s", p.notes ? p.notes : "(none)");
    check(p.trainer == TRAINER_SYNTHETIC, "isoflop: trainer synthetic");
    plan_free(&p);
}

static void test_params(void)
{
    plan p;
    if (load(&p, "good_params.ini", 1) != 0)
        return;
    static const double targets[5] = {1e5, 3e5, 1e6, 3e6, 1e7};
    check(p.n_runs == 5, "params: 5 runs, got %lld", (long long)p.n_runs);
    for (int64_t i = 0; i < p.n_runs && i < 5; i++) {
        const model_config *m = &p.runs[i].config.model;
        double n = (double)net_count_nonembedding(m);
        double aspect = (double)m->d_model / m->n_layer;
        check(fabs(log(n / targets[i])) <= log(1.25),
              "params: %g gave %dx%dx%d with N = %.0f, more than 25%% away", targets[i],
              m->n_layer, m->d_model, m->n_head, n);
        check(m->d_model % 32 == 0 && m->n_head == m->d_model / 32,
              "params: d_model a multiple of head_size 32, n_head = d_model / 32");
        check(fabs(log(aspect / PLAN_ASPECT_DEFAULT)) <= log(PLAN_ASPECT_BAND) + 1e-12,
              "params: aspect %g within a factor %g of %g", aspect, PLAN_ASPECT_BAND,
              PLAN_ASPECT_DEFAULT);
        check(p.runs[i].config.lr == rule_lr(TRAIN_LR_AUTO, m), "params: lr auto for N = %.0f", n);
    }
    check(p.runs[0].config.model.n_layer == 2 && p.runs[0].config.model.d_model == 64,
          "params: 1e5 is 2x64x2 (N = 100,096)");
    plan_free(&p);
}

/* [model] architecture: both architectures from one list of targets, the transformers' ids
 * those of a plan without the key, an LSTM's its own; LSTM shapes LxC in shapes and runs. */
static void test_architectures(void)
{
    plan p, alone;
    if (load(&p, "good_architectures.ini", 1) != 0)
        return;
    check(p.n_runs == 8 && p.n_architectures == 2 &&
              p.architectures == (1u << MODEL_TRANSFORMER | 1u << MODEL_LSTM),
          "architectures: 2 targets x 2 architectures x 2 seeds, got %lld runs",
          (long long)p.n_runs);
    static const double targets[2] = {1e5, 1e6};
    for (int64_t i = 4; i < p.n_runs && i < 8; i++) {
        const model_config *m = &p.runs[i].config.model;
        const double n = (double)net_count_nonembedding(m), target = targets[(i - 4) / 2];
        check(m->architecture == MODEL_LSTM && m->n_layer == PLAN_LSTM_LAYERS && m->n_head == 0 &&
                  m->d_model % PLAN_LSTM_WIDTH_MULTIPLE == 0 &&
                  n == 2.0 * (8.0 * m->d_model * m->d_model + 8.0 * m->d_model),
              "architectures: run %lld an LSTM of %d layers, width a multiple of %d, N = 2 (8 C^2 "
              "+ 8 C)",
              (long long)i + 1, PLAN_LSTM_LAYERS, PLAN_LSTM_WIDTH_MULTIPLE);
        /* the nearest width: its neighbours are further from the target */
        for (int step = -PLAN_LSTM_WIDTH_MULTIPLE; step <= PLAN_LSTM_WIDTH_MULTIPLE;
             step += 2 * PLAN_LSTM_WIDTH_MULTIPLE) {
            model_config other = *m;
            other.d_model += step;
            check(
                fabs(log(n / target)) <= fabs(log((double)net_count_nonembedding(&other) / target)),
                "architectures: LSTM width %d is the multiple nearest N = %g", m->d_model, target);
        }
        check(strcmp(p.runs[i].config_id, p.runs[i - 4].config_id) != 0,
              "architectures: an LSTM's config id is not the transformer's of its target");
        /* lr = auto is each architecture's measured lr_opt(N) (docs/plan.md) */
        const double n_t = (double)net_count_nonembedding(&p.runs[i - 4].config.model);
        const double lr_t = 6.7e-3 * pow(n_t / 1e5, -0.35), lr_l = 2.2e-2 * pow(n / 1e5, -0.30);
        check(fabs(p.runs[i - 4].config.lr / lr_t - 1) < 1e-6 &&
                  fabs(p.runs[i].config.lr / lr_l - 1) < 1e-6,
              "architectures: lr auto %g for the transformer of N = %.0f, %g for the LSTM of %.0f",
              p.runs[i - 4].config.lr, n_t, p.runs[i].config.lr, n);
    }
    char err[512];
    char *text = read_text("good_architectures.ini");
    char *key = text ? strstr(text, "architecture = transformer, lstm") : NULL;
    if (key) {
        memcpy(key, "#", 1); /* the key commented out: transformers alone */
        if (plan_parse(&alone, "good_architectures.ini", text, err, sizeof err) == 0) {
            check(alone.n_runs == 4 && alone.architectures == 1u << MODEL_TRANSFORMER,
                  "architectures: without the key, transformers");
            for (int64_t i = 0; i < 4 && i < alone.n_runs; i++)
                check(strcmp(alone.runs[i].run_id, p.runs[i].run_id) == 0,
                      "architectures: a transformer keeps its run id (%s, %s)",
                      alone.runs[i].run_id, p.runs[i].run_id);
            check(alone.hash != p.hash, "architectures: the plan hash counts the LSTMs");
            plan_free(&alone);
        } else {
            check(0, "architectures without the key: %s", err);
        }
    }
    free(text);
    plan_free(&p);
    /* LSTM shapes as shapes and as runs; the architecture then the shapes' */
    static const char shapes[] = "[sweep]\ntrainer = synthetic\noutput = /tmp/x.h5\n[model]\n"
                                 "shapes = 2x64x2, 2x128\n[train]\ntokens = 1M\n";
    if (plan_parse(&p, "shapes.ini", shapes, err, sizeof err) == 0) {
        check(p.n_runs == 2 && p.runs[1].config.model.architecture == MODEL_LSTM &&
                  p.runs[1].config.model.d_model == 128 && p.runs[1].config.model.n_head == 0 &&
                  p.n_architectures == 2 && p.architecture_order[1] == MODEL_LSTM,
              "architectures: shapes 2x64x2, 2x128 are a transformer and an LSTM");
        plan_free(&p);
    } else {
        check(0, "shapes with an LSTM: %s", err);
    }
    static const char runs[] = "[sweep]\ntrainer = synthetic\noutput = /tmp/x.h5\nmode = list\n"
                               "[train]\nruns = 3x96@2M\n";
    if (plan_parse(&p, "runs.ini", runs, err, sizeof err) == 0) {
        check(p.n_runs == 1 && p.runs[0].config.model.architecture == MODEL_LSTM &&
                  p.runs[0].config.model.n_layer == 3 && p.architectures == 1u << MODEL_LSTM,
              "architectures: run 3x96@2M is an LSTM's");
        plan_free(&p);
    } else {
        check(0, "runs with an LSTM: %s", err);
    }
}

/* Shape generation over six decades: within 25% of N from 1e5, 10% from 1e6 (defaults),
 * and within a factor 1.5 for any head_size and aspect_ratio, or an error. */
static void test_shape_generation(void)
{
    double worst_small = 0.0, worst_large = 0.0, worst_any = 0.0;
    int failures = 0, bad_shape = 0;
    for (int setting = 0; setting < 4; setting++) {
        static const int heads[4] = {32, 16, 64, 32};
        static const double aspects[4] = {PLAN_ASPECT_DEFAULT, 16, 64, 128};
        for (double e = 5.0; e <= 10.0 + 1e-9; e += 0.02) {
            long long target = llround(pow(10.0, e));
            char text[512], err[2048];
            snprintf(text, sizeof text,
                     "[sweep]\ntrainer = synthetic\n[model]\nparams = %lld\nhead_size = %d\n"
                     "aspect_ratio = %g\n[train]\ntokens = 1M\n",
                     target, heads[setting], aspects[setting]);
            plan p;
            if (plan_parse(&p, "generated.ini", text, err, sizeof err) != 0) {
                failures++;
                continue;
            }
            const model_config *m = &p.runs[0].config.model;
            double off = fabs(log((double)net_count_nonembedding(m) / (double)target));
            bad_shape |= m->d_model % heads[setting] != 0 ||
                         m->n_head != m->d_model / heads[setting];
            if (!p.notes)
                bad_shape |= fabs(log((double)m->d_model / m->n_layer / aspects[setting])) >
                             log(PLAN_ASPECT_BAND) + 1e-9;
            if (setting == 0 && e < 6.0 && off > worst_small)
                worst_small = off;
            if (setting == 0 && e >= 6.0 && off > worst_large)
                worst_large = off;
            if (off > worst_any)
                worst_any = off;
            plan_free(&p);
        }
    }
    check(failures == 0, "shape generation: %d targets from 1e5 refused", failures);
    check(!bad_shape, "shape generation: head_size divides d_model, aspect within the band");
    check(exp(worst_small) <= 1.25, "shape generation: 1e5..1e6 worst N ratio %.3f > 1.25",
          exp(worst_small));
    check(exp(worst_large) <= 1.15, "shape generation: 1e6..1e10 worst N ratio %.3f > 1.15",
          exp(worst_large));
    check(exp(worst_any) <= 1.5, "shape generation: worst N ratio %.3f > 1.5", exp(worst_any));
}

static void test_list(void)
{
    plan p;
    if (load(&p, "good_list.ini", 1) != 0)
        return;
    check(p.n_runs == 6, "list: 3 runs x 2 seeds, got %lld", (long long)p.n_runs);
    check(p.n_seeds == 2 && p.seeds[0] == 3 && p.seeds[1] == 7, "list: seed_list 3, 7");
    const train_config *c = &p.runs[0].config;
    check(c->model.n_layer == 2 && c->model.d_model == 64 && c->model.n_ctx == 32 &&
              c->tokens == 3968 && c->seed == 3 && p.runs[1].config.seed == 7,
          "list: first run 2x64x2, n_ctx 32, 4k rounded to 31 steps of 128, seeds 3 then 7");
    check(p.runs[2].config.model.n_layer == 1 && p.runs[2].config.tokens == 16000 &&
              p.runs[2].line == 19 && p.runs[4].line == 20,
          "list: runs on continuation lines know their lines (%d, %d)", p.runs[2].line,
          p.runs[4].line);
    check(p.runs[0].lr_rule == TRAIN_LR_FIXED && c->lr == 2e-3f && c->final_lr_ratio == 0.2f &&
              c->warmup_steps == 10 && c->weight_decay == 0.05f && c->beta1 == 0.8f &&
              c->beta2 == 0.99f && c->eps == 1e-6f && c->grad_clip == 0.5f &&
              c->eval_interval == 5 && c->patience == 2 && c->eval_tokens == 512 && c->batch == 4,
          "list: every [train] setting reaches the runs");
    check(p.checkpoint_seconds == 60 && p.bootstrap == 250 && p.fit_seed == 42 &&
              p.laws == (PLAN_LAW_N | PLAN_LAW_CHINCHILLA | PLAN_LAW_ISOFLOP) &&
              p.frontier == PLAN_FRONTIER_CURVES,
          "list: checkpoint_seconds, [fit] bootstrap, seed, laws, frontier");
    check(strcmp(p.corpus, "tiny.txt") == 0 && p.test_fraction == 0.1, "list: corpus");
    plan_free(&p);
}

static void test_unique(void)
{
    plan p;
    if (load(&p, "good_unique.ini", 1) != 0)
        return;
    check(p.n_runs == 2 && p.max_epochs == 4, "unique: 2 runs, max_epochs 4");
    /* 4 x 2000 = 8000 tokens = 125 steps of 64; 4 x 5000 = 20000 -> 312.5 -> 313 steps */
    check(p.runs[0].config.unique_tokens == 2000 && p.runs[0].config.tokens == 8000 &&
              p.runs[1].config.unique_tokens == 5000 && p.runs[1].config.tokens == 20032 &&
              p.runs[0].config.patience == 3,
          "unique: D = max_epochs x U in whole steps (%lld, %lld)",
          (long long)p.runs[0].config.tokens, (long long)p.runs[1].config.tokens);
    plan_free(&p);
}

/* Hyperparameter axes: lists of [train] keys multiply the runs of each shape and D (the first
 * axis slowest, seeds fastest); D is rounded to whole steps of every batch; the runs of a cell
 * share its cell id and no other, its configurations differ in config id; the lr rules are
 * resolved per run. */
static void test_axes(void)
{
    plan p;
    if (load(&p, "good_axes.ini", 1) != 0)
        return;
    check(p.n_runs == 2 * 3 * 2 * 2, "axes: 2 shapes x 3 lrs x 2 batches x 2 seeds, got %lld",
          (long long)p.n_runs);
    check(p.hyper_values[PLAN_HYPER_LR] == 3 && p.hyper_values[PLAN_HYPER_BATCH] == 2 &&
              p.hyper_values[PLAN_HYPER_BETA2] == 1,
          "axes: lr takes 3 values, batch 2, beta2 1");
    if (p.n_runs == 24) {
        const plan_run *r = p.runs;
        /* 100000 tokens in whole steps of 16 x 32 = 512: 195 steps, 99840 tokens */
        check(r[0].config.tokens == 99840 && r[3].config.tokens == 99840 &&
                  r[0].config.batch == 8 && r[2].config.batch == 16,
              "axes: D in whole steps of both batches (%lld)", (long long)r[0].config.tokens);
        check(r[0].config.lr == 1e-3f && r[4].lr_rule == TRAIN_LR_AUTO &&
                  fabsf(r[4].config.lr -
                        (float)train_lr_of_rule(TRAIN_LR_AUTO, &r[4].config.model)) < 1e-9f &&
                  r[8].config.lr == 4e-3f && r[0].lr_rule == TRAIN_LR_FIXED,
              "axes: lr 1e-3, then auto resolved for N, then 4e-3");
        int cells_ok = 1, configs_ok = 1;
        for (int i = 0; i < 24; i++)
            for (int j = 0; j < 24; j++) {
                const int same_shape = r[i].config.model.n_layer == r[j].config.model.n_layer;
                cells_ok &= (strcmp(r[i].cell_id, r[j].cell_id) == 0) == same_shape;
                const int same_config = same_shape && r[i].config.lr == r[j].config.lr &&
                                        r[i].config.batch == r[j].config.batch;
                configs_ok &= (strcmp(r[i].config_id, r[j].config_id) == 0) == same_config;
            }
        check(cells_ok, "axes: the runs of a shape share one cell id, other shapes another");
        check(configs_ok, "axes: a configuration's seeds share a config id, and nothing else");
    }
    plan_free(&p);
}

/* The rules: lr = auto, kaplan and a number are three values of one axis, each run's lr
 * what its rule gives its N (kaplan checked against eq. D.1's published numbers); batch =
 * auto takes the largest of 16, 8, 4 that gives 1500 steps, else 4, per run. */
static void test_rules(void)
{
    const char *text = "[sweep]\ntrainer = synthetic\n[model]\nshapes = 2x64x2, 4x128x4\n"
                       "[train]\ntokens = 300k, 3M, 4M\nlr = auto, kaplan, 1e-3\n";
    char err[2048];
    plan p;
    if (plan_parse(&p, "rules.ini", text, err, sizeof err) != 0) {
        check(0, "rules: %s", err);
        return;
    }
    check(p.n_runs == 2 * 3 * 3 && p.hyper_values[PLAN_HYPER_LR] == 3 &&
              p.hyper_values[PLAN_HYPER_BATCH] == 1,
          "rules: 2 shapes x 3 D x 3 lrs, batch no axis (%lld runs)", (long long)p.n_runs);
    int lr_ok = 1, batch_ok = 1, seen[3] = {0};
    for (int64_t i = 0; i < p.n_runs; i++) {
        const plan_run *r = &p.runs[i];
        const double n = (double)net_count_nonembedding(&r->config.model);
        const float want = r->lr_rule == TRAIN_LR_FIXED ? 1e-3f
                           : r->lr_rule == TRAIN_LR_KAPLAN
                               ? (float)(0.003239 - 0.0001395 * log(n))
                               : rule_lr(TRAIN_LR_AUTO, &r->config.model);
        lr_ok &= r->config.lr == want && r->config.lr > 0.0f;
        seen[r->lr_rule] = 1;
        /* 300k: 146 steps of 16, 4 the fewest; 3M: 1464 of 16 (too few), 2929 of 8; 4M: 1953 */
        const int64_t d = r->config.tokens;
        const int want_batch = d < 1000000 ? 4 : d < 3500000 ? 8 : 16;
        batch_ok &= r->batch_auto && r->config.batch == want_batch && d % (16 * 128) == 0 &&
                    train_total_steps(&r->config) * want_batch * 128 == d;
    }
    check(lr_ok && seen[TRAIN_LR_FIXED] && seen[TRAIN_LR_AUTO] && seen[TRAIN_LR_KAPLAN],
          "rules: every run's lr is its rule's for its N");
    check(batch_ok, "rules: batch auto gives 4 at 300k, 8 at 3M, 16 at 4M, D in whole steps of 16");
    check(train_batch_auto(1500LL * 16 * 128, 128) == 16 &&
              train_batch_auto(1500LL * 16 * 128 - 1, 128) == 8 &&
              train_batch_auto(1500LL * 4 * 128 - 1, 128) == 4 && train_batch_auto(1, 128) == 4,
          "rules: train_batch_auto at its edges");
    plan_free(&p);
}

/* Sources and mixtures: the mixtures are an axis (shapes x D x mixtures x seeds), each run
 * carries its mixture's shares, a text file is a source named after it, and the ids differ by
 * mixture; a plan without sources has the ids of before (test_defaults pins one). */
static void test_sources(void)
{
    plan p;
    if (load(&p, "good_sources.ini", 1) != 0)
        return;
    check(p.n_sources == 3 && p.named_sources && strcmp(p.sources[0].name, "alpha") == 0 &&
              strcmp(p.sources[0].path, "tiny_sources/sources/alpha") == 0 &&
              strcmp(p.sources[2].name, "tiny") == 0 && strcmp(p.sources[2].path, "tiny.txt") == 0,
          "sources: alpha and beta by name in the corpus folder, tiny.txt by its path");
    check(p.n_mixtures == 3 && strcmp(p.mixtures[0].text, "alpha") == 0 &&
              strcmp(p.mixtures[1].text, "alpha:0.25 + beta:0.75") == 0 &&
              strcmp(p.mixtures[2].text, "tiny") == 0,
          "mixtures written out: %s | %s | %s", p.mixtures[0].text, p.mixtures[1].text,
          p.mixtures[2].text);
    check(p.n_runs == 2 * 2 * 3 * 2, "sources: 2 shapes x 2 D x 3 mixtures x 2 seeds = %lld runs",
          (long long)p.n_runs);
    /* the order: for each shape, for each D, for each mixture, for each seed */
    const plan_run *r = p.runs;
    check(r[0].mixture == 0 && r[1].mixture == 0 && r[2].mixture == 1 && r[4].mixture == 2 &&
              r[6].mixture == 0 && r[6].config.tokens == 2560 && r[1].config.seed == 2,
          "sources: mixtures vary inside D, seeds inside mixtures");
    check(r[2].config.n_sources == 3 && r[2].config.mixture[0] == 0.25 &&
              r[2].config.mixture[1] == 0.75 && r[2].config.mixture[2] == 0.0 &&
              r[4].config.mixture[2] == 1.0,
          "each run carries its mixture's shares of every source");
    check(strcmp(r[0].config_id, r[2].config_id) != 0 &&
              strcmp(r[0].config_id, r[1].config_id) == 0,
          "runs of two mixtures are two configurations; their seeds share one");
    /* the same plan without sources' lines is another plan: a run's id names its sources */
    char err[2048];
    plan plain;
    const char *text = "[data]\ncorpus = tiny_sources/sources/alpha\neval_tokens = 256\n"
                       "[model]\nshapes = 1x32x1\nn_ctx = 32\n[train]\nbatch = 2\ntokens = 1280\n";
    if (plan_parse(&plain, "plain.ini", text, err, sizeof err) == 0) {
        check(plain.n_sources == 1 && !plain.named_sources &&
                  strcmp(plain.sources[0].name, "alpha") == 0 && plain.n_mixtures == 1 &&
                  strcmp(plain.mixtures[0].text, "alpha") == 0 &&
                  plain.runs[0].config.n_sources == 1 && plain.runs[0].config.mixture[0] == 1.0,
              "without sources the corpus is the one source, named after its folder");
        check(strcmp(plain.runs[0].run_id, p.runs[0].run_id) != 0,
              "a run on alpha named as a source has another id than on the corpus alpha");
        plan_free(&plain);
    } else {
        check(0, "plain plan: %s", err);
    }
    check(plan_find_source(&p, "beta") == 1 && plan_find_source(&p, "gamma") == -1,
          "sources are found by name");
    plan_free(&p);
}

/* A plan means the same whatever its line ends (LF, CR LF, or a lone CR as old Mac editors
 * write), and errors name the right line in each; -0 is 0 (one run id, one plan hash). */
static void test_line_ends_and_zero(void)
{
    static const char *const lines[] = {"[sweep]",     "mode = grid",     "trainer = synthetic",
                                        "[model]",     "shapes = 2x64x2", "[train]",
                                        "tokens = 1M", "weight_decay = 0"};
    static const char *const ends[] = {"\n", "\r\n", "\r"};
    const int n_lines = (int)(sizeof lines / sizeof *lines);
    uint64_t hashes[4] = {0};
    char err[1024];
    for (int e = 0; e < 4; e++) {
        char text[1024] = "", bad[1024] = "";
        for (int i = 0; i < n_lines; i++) {
            const char *line = e == 3 && i == n_lines - 1 ? "weight_decay = -0" : lines[i];
            strcat(text, line);
            strcat(text, ends[e == 3 ? 0 : e]);
            strcat(bad, i == 6 ? "tokens = lots" : line);
            strcat(bad, ends[e == 3 ? 0 : e]);
        }
        plan p;
        check(plan_parse(&p, "ends.ini", text, err, sizeof err) == 0, "line ends %d: %s", e, err);
        if (p.n_runs == 1)
            hashes[e] = p.hash;
        plan_free(&p);
        check(plan_parse(&p, "ends.ini", bad, err, sizeof err) != 0 &&
                  strncmp(err, "ends.ini:7: [train] tokens", 26) == 0,
              "line ends %d: the error names line 7: %s", e, err);
    }
    check(hashes[0] != 0 && hashes[0] == hashes[1] && hashes[0] == hashes[2],
          "LF, CR LF and CR give one plan hash");
    check(hashes[0] == hashes[3], "weight_decay = -0 and = 0 give one plan hash");
}

static void test_defaults(void)
{
    plan p;
    if (load(&p, "good_defaults.ini", 0) != 0)
        return;
    const train_config *c = &p.runs[0].config;
    check(strcmp(p.name, "good_defaults") == 0 && strcmp(p.output, "good_defaults.h5") == 0,
          "defaults: name and output from the file name (%s, %s)", p.name, p.output);
    check(p.mode == PLAN_GRID && p.trainer == TRAINER_TRANSFORMER &&
              strcmp(p.corpus, "data/brown") == 0 && p.test_fraction == 0.05 &&
              !p.allow_epochs && p.n_seeds == 1 && p.seeds[0] == 1,
          "defaults: [sweep] and [data]");
    check(c->eval_tokens == 8192 && c->evaluations == 10 && c->eval_spacing == TRAIN_EVAL_AUTO &&
              c->eval_budget == 0.1 && c->model.n_ctx == 128 && c->batch == 4 &&
              p.runs[0].batch_auto && p.runs[0].lr_rule == TRAIN_LR_AUTO &&
              c->final_lr_ratio == 0.1f && c->warmup_steps == -1 && c->weight_decay == 0.1f &&
              c->beta1 == 0.9f && c->beta2 == 0.95f && c->eps == 1e-8f && c->grad_clip == 1.0f &&
              c->eval_interval == 0 && c->patience == 0 && c->unique_tokens == 0 &&
              c->tokens == 2048,
          "defaults: [train]");
    check(p.checkpoint_seconds == 300 && p.bootstrap == 1000 && p.fit_seed == 1 &&
              p.laws == PLAN_LAWS_ALL && p.frontier == PLAN_FRONTIER_ENDS && p.max_epochs == 10 &&
              p.notes == NULL,
          "defaults: checkpoint_seconds, [fit]");
    /* A run id is part of every results file: it must not drift between versions, or
     * resuming would retrain everything. Change this only with the canonical text (version 2
     * of it came with evaluation on spread windows, which changes every run's test loss). */
    /* The defaults of lr and batch are rules measured on Brown, which may be measured again:
     * the golden value is of the run that the defaults gave before they were rules (batch 16,
     * Kaplan's LR(N)), said explicitly, so that it pins the canonical text alone. */
    const char *golden = "[model]\nshapes = 2x64x2\n[train]\ntokens = 2048\nbatch = 16\n"
                         "lr = kaplan\n";
    char golden_err[2048];
    plan pinned;
    if (plan_parse(&pinned, "golden.ini", golden, golden_err, sizeof golden_err) == 0) {
        check(strcmp(pinned.runs[0].run_id, "19f2dacde13c95f7") == 0,
              "defaults: run id %s (golden value)", pinned.runs[0].run_id);
        plan_free(&pinned);
    } else
        check(0, "defaults: golden plan: %s", golden_err);

    /* formatting is not identity: a BOM, CRLF, comments and spacing change no id */
    const char *variant = "\xEF\xBB\xBF; the same plan\r\n[model]\r\n  shapes=2x64x2 ; c\r\n"
                          "\r\n[train]\r\ntokens   =   2048   # one step\r\n";
    plan same;
    char err[2048];
    if (plan_parse(&same, "good_defaults.ini", variant, err, sizeof err) == 0) {
        check(same.n_runs == 1 && strcmp(same.runs[0].run_id, p.runs[0].run_id) == 0 &&
                  same.hash == p.hash,
              "defaults: BOM, CRLF, comments and spacing give the same run");
        plan_free(&same);
    } else {
        check(0, "defaults variant: %s", err);
    }
    /* any setting changes the id */
    static const char *const changes[] = {
        "[train]\nbeta1 = 0.85\n",        "[data]\ncorpus = other\n",
        "[sweep]\ntrainer = synthetic\n", "[data]\neval_tokens = 32768\n",
        "[train]\nlr = 1e-3\n",           "[train]\npatience = 1\n",
        "[train]\nevaluations = 5\n",     "[train]\neval_spacing = linear\n",
        "[train]\neval_budget = 0.2\n"};
    for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
        size_t length = strlen(p.text) + strlen(changes[i]) + 1;
        char *text = malloc(length);
        if (!text)
            continue;
        snprintf(text, length, "%s%s", p.text, changes[i]);
        plan other;
        if (plan_parse(&other, "good_defaults.ini", text, err, sizeof err) == 0) {
            check(strcmp(other.runs[0].run_id, p.runs[0].run_id) != 0 && other.hash != p.hash,
                  "defaults: '%s' changes the run id", changes[i]);
            plan_free(&other);
        } else {
            check(0, "defaults + %s: %s", changes[i], err);
        }
        free(text);
    }
    /* the fit settings, the name and the output are not part of any run */
    const char *fit = "[fit]\nbootstrap = 10\n[sweep]\nname = renamed\noutput = x.h5\n";
    size_t length = strlen(p.text) + strlen(fit) + 1;
    char *text = malloc(length);
    if (text) {
        snprintf(text, length, "%s%s", p.text, fit);
        plan other;
        if (plan_parse(&other, "good_defaults.ini", text, err, sizeof err) == 0) {
            check(other.hash == p.hash, "defaults: [fit], name and output leave the hash alone");
            plan_free(&other);
        } else {
            check(0, "defaults + fit: %s", err);
        }
        free(text);
    }
    plan_free(&p);
}

/* Validation looks at an existing results file and leaves it exactly as it was. */
static void test_output_untouched(void)
{
    /* per process: the plain and the sanitized suites may run at once */
    char path[64];
    snprintf(path, sizeof path, "/tmp/scalesweep_test_plan_%ld.h5", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) {
        check(0, "cannot create %s", path);
        return;
    }
    fputs("results of an earlier sweep", f);
    fclose(f);
    chmod(path, 0444);
    struct stat before, after;
    stat(path, &before);
    char text[256], err[2048];
    snprintf(text, sizeof text,
             "[sweep]\ntrainer = synthetic\noutput = %s\n[model]\nshapes = 2x64x2\n"
             "[train]\ntokens = 1M\n",
             path);
    plan p;
    int status = plan_parse(&p, "existing.ini", text, err, sizeof err);
    check(status == 0, "existing output: %s", err);
    if (status == 0) {
        int env = plan_check_environment(&p, err, sizeof err);
        /* root may write anything, so only others see the read-only file refused */
        if (geteuid() != 0)
            check(env != 0 && strstr(err, "cannot write") && strncmp(err, "existing.ini:3: ", 16) == 0,
                  "existing output: a read-only results file is refused: %s", err);
        plan_free(&p);
    }
    stat(path, &after);
    char *content = read_text(path);
    check(content && strcmp(content, "results of an earlier sweep") == 0 &&
              before.st_size == after.st_size && before.st_mtime == after.st_mtime &&
              before.st_mode == after.st_mode,
          "existing output: validation leaves the file as it was");
    free(content);
    chmod(path, 0644);
    unlink(path);
}

static void test_jobs(const char *jobs_dir)
{
    char root[PATH_MAX], jobs[PATH_MAX];
    if (!realpath(jobs_dir, jobs)) {
        check(0, "%s: %s", jobs_dir, strerror(errno));
        return;
    }
    snprintf(root, sizeof root, "%s", jobs);
    char *slash = strrchr(root, '/');
    if (slash)
        *slash = '\0';
    if (chdir(root) != 0) {
        check(0, "%s: %s", root, strerror(errno));
        return;
    }
    struct stat st;
    int have_corpus = stat("data/brown/train.txt", &st) == 0;
    if (!have_corpus)
        printf("test_plan: %s/data/brown is missing: jobs checked without their corpus\n", root);
    char *names[MAX_FILES];
    int n = list_plans("jobs", "", names);
    check(n >= 8, "jobs: %d plans in %s, expected at least 8", n, jobs);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "jobs/%s", names[i]);
        char *text = read_text(path);
        check(text && strncmp(text, "# ", 2) == 0, "%s: starts with a comment saying what it does",
              path);
        free(text);
        plan p;
        if (load(&p, path, 0) != 0)
            continue;
        if (have_corpus || p.trainer == TRAINER_SYNTHETIC) {
            char err[2048];
            int env = plan_check_environment(&p, err, sizeof err);
            check(env == 0, "%s: environment: %s", path, err);
        }
        /* lean evaluation: no job's run spends more than 10% of its training FLOPs on
         * evaluation, the one at its last step included (eval_tokens whole windows; Brown's
         * test text holds every job's) */
        double worst = 0.0;
        for (int64_t r = 0; r < p.n_runs; r++) {
            const train_config *c = &p.runs[r].config;
            const int64_t total = train_total_steps(c);
            const int64_t eval_tokens = train_eval_tokens(c, NULL);
            const double share = (double)train_eval_count(c, total, eval_tokens) *
                                 net_flops_per_token_forward(&c->model) * (double)eval_tokens /
                                 (net_flops_per_token(&c->model) * (double)total *
                                  (double)c->batch * (double)c->model.n_ctx);
            worst = share > worst ? share : worst;
        }
        check(worst <= 0.1, "%s: evaluation costs at most 10%% of a run's training FLOPs (%.1f%%)",
              path, 100.0 * worst);
        printf("test_plan: %-20s evaluation at most %4.1f%% of a run's training FLOPs\n", names[i],
               100.0 * worst);
        plan_free(&p);
    }
    free_names(names, n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_plan PLANS_DIR [JOBS_DIR]\n");
        return 2;
    }
    char jobs[PATH_MAX] = "";
    if (argc > 2 && !realpath(argv[2], jobs)) {
        fprintf(stderr, "test_plan: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    if (chdir(argv[1]) != 0) {
        fprintf(stderr, "test_plan: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    test_inih_abi();

    char *names[MAX_FILES];
    int n = list_plans(".", "bad_", names);
    check(n >= 30, "only %d malformed plans (bad_*.ini), expected at least 30", n);
    for (int i = 0; i < n; i++)
        test_bad_plan(names[i]);
    free_names(names, n);
    printf("test_plan: %d malformed plans refused\n", n);

    n = list_plans(".", "good_", names);
    check(n == 9, "%d valid plans (good_*.ini); each needs its test here", n);
    free_names(names, n);
    test_grid();
    test_isoflop();
    test_params();
    test_architectures();
    test_shape_generation();
    test_list();
    test_axes();
    test_rules();
    test_unique();
    test_sources();
    test_defaults();
    test_line_ends_and_zero();
    test_output_untouched();
    if (*jobs)
        test_jobs(jobs);
    return test_report("plan");
}
