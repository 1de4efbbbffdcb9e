/* `scalesweep fit`: the laws of a results file (or of a CSV of external results) on the
 * command line (fit_file_analyse, which the sweep's end and the report start from too). One
 * options table drives getopt_long, the value checks and --help. docs/fit.md documents
 * what it prints and writes. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_options.h"
#include "exit_status.h"
#include "fit_internal.h"
#include "fit_results.h"
#include "plan.h"
#include "results_hdf5.h"

/* ---- law names and the plan's [fit] ---- */

#define LAW_BIT(id) (1u << (id))

unsigned fit_laws_from_groups(unsigned groups)
{
    if ((groups & PLAN_LAWS_ALL) == 0)
        return 0; /* as fit_options.laws: every law */
    /* the seed variance is the noise floor of every comparison, and the optimum laws say
       what the envelope chose: both cost nothing */
    unsigned laws = LAW_BIT(FIT_SEEDS) | LAW_BIT(FIT_LR_OPT) | LAW_BIT(FIT_BATCH_OPT);
    if (groups & PLAN_LAW_N)
        laws |= LAW_BIT(FIT_LAW_N) | LAW_BIT(FIT_LAW_N_E);
    if (groups & PLAN_LAW_D)
        laws |= LAW_BIT(FIT_LAW_D) | LAW_BIT(FIT_LAW_D_E);
    if (groups & PLAN_LAW_C)
        laws |= LAW_BIT(FIT_LAW_C) | LAW_BIT(FIT_LAW_C_E) | LAW_BIT(FIT_LAW_FRONTIER);
    if (groups & PLAN_LAW_KAPLAN)
        laws |= LAW_BIT(FIT_LAW_KAPLAN) | LAW_BIT(FIT_OVERFITTING);
    if (groups & PLAN_LAW_CHINCHILLA)
        laws |= LAW_BIT(FIT_LAW_CHINCHILLA) | LAW_BIT(FIT_ALLOCATION) | LAW_BIT(FIT_INFERENCE);
    if (groups & PLAN_LAW_ISOFLOP)
        laws |= LAW_BIT(FIT_LAW_ISOFLOP);
    /* the loss of each shape is read against L(N) */
    if (groups & PLAN_LAW_SHAPE)
        laws |= LAW_BIT(FIT_SHAPE) | LAW_BIT(FIT_LAW_N);
    /* the contradiction needs L(C) and L(D) */
    if ((groups & PLAN_LAW_C) && (groups & PLAN_LAW_D))
        laws |= LAW_BIT(FIT_CONTRADICTION);
    return laws;
}

int fit_laws_parse(const char *list, unsigned *laws, char *err, size_t errlen)
{
    unsigned groups = 0, single = 0;
    const char *p = list ? list : "";
    int items = 0;
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        size_t length = strcspn(p, ", \t\r\n");
        if (length == 0)
            break;
        char item[64];
        if (length >= sizeof(item)) {
            message_format(err, errlen, "laws: '%.*s...' is not a law", 20, p);
            return -1;
        }
        memcpy(item, p, length);
        item[length] = '\0';
        p += length;
        items++;
        /* a group first (as plans name them): "kaplan" is both, and the group brings its
           derived law */
        unsigned group = plan_law_from_name(item);
        groups |= group;
        int found = group != 0;
        for (int l = 0; l < FIT_NUM_LAWS && !found; l++)
            if (strcasecmp(item, fit_law_key((fit_law_id)l)) == 0) {
                single |= LAW_BIT(l);
                found = 1;
            }
        if (!found) {
            char groups_text[128], keys_text[256];
            const char *keys[FIT_NUM_LAWS];
            for (int l = 0; l < FIT_NUM_LAWS; l++)
                keys[l] = fit_law_key((fit_law_id)l);
            plan_law_names(groups_text, sizeof(groups_text));
            message_join(keys, FIT_NUM_LAWS, ", ", keys_text, sizeof(keys_text));
            message_format(err, errlen,
                           "laws: '%s' is not a law; give %s or all, or law keys "
                           "(%s)",
                           item, groups_text, keys_text);
            return -1;
        }
    }
    if (items == 0) {
        message_format(err, errlen, "laws: empty list");
        return -1;
    }
    *laws = (groups ? fit_laws_from_groups(groups) : 0) | single;
    if ((groups & PLAN_LAWS_ALL) == PLAN_LAWS_ALL)
        *laws = 0; /* all of them, the derived ones too */
    return 0;
}

void fit_options_from_plan(const plan *p, unsigned keys, fit_options *options)
{
    if (keys & FIT_PLAN_BOOTSTRAP)
        options->bootstrap = (int)p->bootstrap;
    if (keys & FIT_PLAN_SEED)
        options->bootstrap_seed = p->fit_seed;
    if (keys & FIT_PLAN_LAWS)
        options->laws = fit_laws_from_groups(p->laws);
    if (keys & FIT_PLAN_FRONTIER)
        options->frontier_curves = p->frontier == PLAN_FRONTIER_CURVES;
}

/* ---- fitting a file ---- */

/* What to do with a report besides computing it. */
typedef struct {
    FILE *out;              /* the table, or the JSON when json is set; NULL: nothing */
    int json;
    const char *json_path;  /* also the JSON into this file; NULL: none */
    int write;              /* write /fits (results files only) */
    int quiet;              /* no notes on stderr */
    unsigned from_plan;     /* FIT_PLAN_* keys to take from the file's plan */
} fit_outputs;

static void describe_laws(unsigned laws, char *out, size_t length)
{
    if (laws == 0) {
        snprintf(out, length, "all");
        return;
    }
    size_t used = 0;
    out[0] = '\0';
    for (int l = 0; l < FIT_NUM_LAWS; l++)
        if (laws >> l & 1u) {
            int written = snprintf(out + used, length - used, used ? ",%s" : "%s",
                                   fit_law_key((fit_law_id)l));
            if (written < 0 || (size_t)written >= length - used)
                return;
            used += (size_t)written;
        }
}

/* The JSON into a file of its own. 0, or -1 with err. */
static int write_json_file(const char *json_path, const fit_report *report,
                           const char *const *run_ids, int64_t n_run_ids, char *err,
                           size_t errlen)
{
    FILE *file = fopen(json_path, "w");
    if (!file) {
        message_format(err, errlen, "%s: cannot write the JSON: %s", json_path, strerror(errno));
        return -1;
    }
    int failed = fit_write_json_runs(file, report, run_ids, n_run_ids) != 0;
    failed |= fclose(file) != 0;
    if (failed) {
        message_format(err, errlen, "%s: writing the JSON failed", json_path);
        return -1;
    }
    return 0;
}

/* Prints the report (table or JSON) and writes the JSON file; 0 or -1 with err. */
static int emit(const char *source, const fit_options *options, const fit_report *report,
                const char *const *run_ids, int64_t n_run_ids, const fit_outputs *outputs,
                char *err, size_t errlen)
{
    if (outputs->out && outputs->json) {
        if (fit_write_json_runs(outputs->out, report, run_ids, n_run_ids) != 0 ||
            fflush(outputs->out) != 0) {
            message_format(err, errlen, "writing the JSON failed");
            return -1;
        }
    } else if (outputs->out) {
        char laws[512];
        describe_laws(options->laws, laws, sizeof(laws));
        fprintf(outputs->out, "# %s: bootstrap %d, seed %llu, laws %s\n", source,
                options->bootstrap, (unsigned long long)options->bootstrap_seed, laws);
        fit_print(outputs->out, report);
        fflush(outputs->out);
    }
    if (outputs->json_path &&
        write_json_file(outputs->json_path, report, run_ids, n_run_ids, err, errlen) != 0)
        return -1;
    return 0;
}

int fit_file_analyse(const char *path, const fit_options *given, const fit_selection *select,
                     unsigned from_plan, unsigned flags, fit_file_analysis *a, char *err,
                     size_t errlen)
{
    memset(a, 0, sizeof(*a));
    const int quiet = (flags & FIT_FILE_QUIET) != 0;
    if (fit_results_read(path, &a->results, err, errlen) != 0)
        return EXIT_INPUT;
    if (fit_results_select(&a->results, select, path, err, errlen) != 0) {
        fit_file_analysis_free(a);
        return EXIT_INPUT;
    }
    /* a sweep writing the file would refuse /fits only after the whole fit: say it now */
    if ((flags & FIT_FILE_WRITABLE) && fit_results_writable(path, err, errlen) != 0) {
        fit_file_analysis_free(a);
        return EXIT_FAILED;
    }
    fit_results *results = &a->results;
    /* The stored plan, read by the plan's own parser: its [fit] for what the caller leaves
       open (the same text means the same to the sweep that stored it and to this fit), and
       for a schema 1 file, which has no config_id column, the configuration of each run. */
    const int old_schema = !results_version_has(results->schema, "config_id");
    plan stored;
    int have_plan = 0;
    if ((from_plan || old_schema) && results->plan_text && results->plan_text[0]) {
        char label[4200], note[2048];
        snprintf(label, sizeof(label), "%s (plan_text)", path);
        have_plan = plan_parse(&stored, label, results->plan_text, note, sizeof(note)) == 0;
        if (!have_plan && !quiet)
            fprintf(stderr,
                    FIT_PROGRAM ": warning: the plan stored in the file does not parse, "
                                "so %s: %s\n",
                    from_plan ? "its [fit] is not used" : "it gives no configurations", note);
    }
    a->options = *given;
    if (have_plan)
        fit_options_from_plan(&stored, from_plan, &a->options);

    int64_t unmatched = 0;
    a->run_ids = malloc((size_t)(results->n_runs > 0 ? results->n_runs : 1) * sizeof(*a->run_ids));
    const int made = a->run_ids && fit_observations_from_results(
                                       results, have_plan ? &stored : NULL, &a->observations,
                                       &a->curve, &a->n_curve, &unmatched) == 0;
    if (have_plan)
        plan_free(&stored);
    if (!made) {
        message_format(err, errlen, "%s: out of memory", path);
        fit_file_analysis_free(a);
        return EXIT_FAILED;
    }
    if (old_schema && !quiet) {
        if (unmatched == 0)
            fprintf(stderr,
                    FIT_PROGRAM ": note: %s has results schema %d (no config_id); the seeds of "
                                "each configuration are those of the stored plan\n",
                    path, results->schema);
        else
            fprintf(stderr,
                    FIT_PROGRAM ": note: %s has results schema %d (no config_id), and the "
                                "stored plan does not hold %lld of its runs: all are grouped by "
                                "their columns, as before schema 2\n",
                    path, results->schema, (long long)unmatched);
    }
    for (int64_t i = 0; i < results->n_runs; i++)
        a->run_ids[i] = results->runs[i].run_id;
    if (results->n_runs == 0) {
        /* nothing to describe: the file is left as it is */
        message_format(err, errlen, "%s: no runs in /runs yet: nothing to fit", path);
        fit_file_analysis_free(a);
        return EXIT_INPUT;
    }
    fit_input input = {a->observations, results->n_runs, a->curve, a->n_curve};
    a->fitted = fit_run(&input, &a->options, &a->report);
    if (fit_transfer_laws(a) != 0) {
        message_format(err, errlen, "%s: out of memory for the transfer law", path);
        fit_file_analysis_free(a);
        return EXIT_FAILED;
    }
    return 0;
}

void fit_file_analysis_free(fit_file_analysis *a)
{
    fit_report_free(&a->report);
    free(a->observations);
    free(a->curve);
    free(a->run_ids);
    fit_results_free(&a->results);
    memset(a, 0, sizeof(*a));
}

/* Reads a results file, fits, reports and writes /fits. */
/* A file of several architectures and no --architecture: each one's laws in turn, then how
 * they compare; /fits is left to `fit --architecture A` (it holds one fit). */
static int fit_architectures(const char *path, const fit_options *given,
                             const fit_selection *select, const fit_outputs *outputs,
                             char names[][16], int n, char *err, size_t errlen)
{
    fit_file_analysis analyses[FIT_MAX_ARCHITECTURES];
    const char *labels[FIT_MAX_ARCHITECTURES];
    int done = 0, status = EXIT_OK;
    for (; done < n && status == EXIT_OK; done++) {
        fit_selection one = *select;
        one.architecture = labels[done] = names[done];
        fit_file_analysis *a = &analyses[done];
        status = fit_file_analyse(path, given, &one, outputs->from_plan,
                                  outputs->quiet ? FIT_FILE_QUIET : 0, a, err, errlen);
        if (status != EXIT_OK)
            break;
        if (outputs->out && !outputs->json)
            fprintf(outputs->out, "%sThe %s runs:\n", done > 0 ? "\n" : "", names[done]);
        if (emit(path, &a->options, &a->report, a->run_ids, a->results.n_runs, outputs, err,
                 errlen) != 0)
            status = EXIT_FAILED;
    }
    if (status == EXIT_OK && outputs->out && !outputs->json) {
        fprintf(outputs->out, "\n");
        fit_print_architectures(outputs->out, analyses, labels, n);
    }
    if (outputs->out)
        fflush(outputs->out);
    if (status == EXIT_OK && outputs->write && !outputs->quiet)
        fprintf(stderr,
                FIT_PROGRAM ": %s holds %d architectures: /fits holds one fit, so it is left to "
                            "`" FIT_PROGRAM " %s --architecture A`\n",
                path, n, path);
    for (int i = 0; i < done; i++)
        fit_file_analysis_free(&analyses[i]);
    return status;
}

static int fit_file(const char *path, const fit_options *given, const fit_selection *select,
                    const fit_outputs *outputs, char *err, size_t errlen)
{
    if (!select->architecture) {
        char names[FIT_MAX_ARCHITECTURES][16];
        const int n = fit_file_architectures(path, names, FIT_MAX_ARCHITECTURES, err, errlen);
        if (n > 1)
            return fit_architectures(path, given, select, outputs, names, n, err, errlen);
    }
    fit_file_analysis a;
    int status = fit_file_analyse(path, given, select, outputs->from_plan,
                                  (outputs->quiet ? FIT_FILE_QUIET : 0) |
                                      (outputs->write ? FIT_FILE_WRITABLE : 0),
                                  &a, err, errlen);
    if (status != 0)
        return status;
    const int64_t n_runs = a.results.n_runs;
    if (emit(path, &a.options, &a.report, a.run_ids, n_runs, outputs, err, errlen) != 0)
        status = EXIT_FAILED;

    /* Written even when nothing could be fitted: /fits then says why, rather than an
       older /fits standing for data it no longer describes. */
    if (status == EXIT_OK && outputs->write) {
        if (fit_results_write(path, &a.report, &a.results, &a.options, err, errlen) != 0)
            status = EXIT_FAILED;
        else if (!outputs->quiet)
            fprintf(stderr, FIT_PROGRAM ": wrote /fits (%d laws) into %s\n", FIT_NUM_LAWS, path);
    }
    if (status == EXIT_OK && a.fitted != 0) {
        message_format(err, errlen, "%s: %s", path, a.report.message);
        status = EXIT_INPUT;
    }
    fit_file_analysis_free(&a);
    return status;
}

/* A CSV of external results: no file to write, no run ids (run_index is the data row). */
static int fit_csv(const char *path, const fit_options *options, const fit_outputs *outputs,
                   char *err, size_t errlen)
{
    fit_observation *rows;
    int64_t n;
    if (fit_read_csv(path, &rows, &n, err, errlen) != 0)
        return EXIT_INPUT;
    for (int64_t i = 0; i < n; i++)
        rows[i].run_index = i; /* no curves: only names the row in the JSON */
    fit_input input = {rows, n, NULL, 0};
    fit_report report;
    const int fitted = fit_run(&input, options, &report);
    int status = EXIT_OK;
    if (emit(path, options, &report, NULL, 0, outputs, err, errlen) != 0)
        status = EXIT_FAILED;
    else if (fitted != 0) {
        message_format(err, errlen, "%s: %s", path, report.message);
        status = EXIT_INPUT;
    }
    fit_report_free(&report);
    free(rows);
    return status;
}

/* ---- the command line ---- */

/* clang-format off */
enum {
    O_CSV, O_JSON, O_BOOTSTRAP, O_SEED, O_LAWS, O_FRONTIER, O_THREADS, O_CONFIDENCE, O_TARGET_LOSS,
    O_INFERENCE_TOKENS, O_EPSILON, O_ARCHITECTURE, O_MIXTURE, O_SOURCE, O_NO_WRITE, O_QUIET, O_VERBOSE, O_HELP,
    O_COUNT
};

static const cli_option options[O_COUNT] = {
    [O_CSV] = {"csv", CLI_TEXT, "FILE", "fit a CSV of results instead: a header naming N, D and loss (any order, any case), optionally seed, C, budget, unique_tokens", 0},
    [O_JSON] = {"json", CLI_OPTIONAL_TEXT, "[=FILE]", "the report as JSON on stdout instead of the table; --json=FILE writes it to FILE and keeps the table", 0},
    [O_BOOTSTRAP] = {"bootstrap", CLI_COUNT, "N", "bootstrap resamples for the intervals, 0 = none (the plan's [fit] bootstrap, else 1000)", 0},
    [O_SEED] = {"seed", CLI_COUNT, "S", "seed of the bootstrap (the plan's [fit] seed, else 1)", 0},
    [O_LAWS] = {"laws", CLI_TEXT, "LIST", "n, d, c, kaplan, chinchilla, isoflop, shape, all, or law keys such as L_N_E (the plan's [fit] laws, else all)", 0},
    [O_FRONTIER] = {"frontier", CLI_TEXT, "ends|curves", "the L(C) frontier from the runs' final (C, L), or along their training curves (the plan's [fit] frontier, else ends)", 0},
    [O_THREADS] = {"threads", CLI_COUNT, "T", "threads for the Chinchilla grid and the bootstrap, 1 to 16 (2)", 0},
    [O_CONFIDENCE] = {"confidence", CLI_REAL, "P", "level of the percentile intervals, in (0, 1) (0.95)", 0},
    [O_TARGET_LOSS] = {"target-loss", CLI_REAL, "L", "inference-aware choice: the loss the model must reach (off)", 0},
    [O_INFERENCE_TOKENS] = {"inference-tokens", CLI_REAL, "D", "... and the tokens it will serve over its life (0)", 0},
    [O_EPSILON] = {"epsilon", CLI_REAL, "E", "seed spread for the overfitting bound instead of the measured one", 0},
    [O_ARCHITECTURE] = {"architecture", CLI_TEXT, "A", "the runs of one architecture, transformer or lstm (/runs architecture); needed when a file holds both", 0},
    [O_MIXTURE] = {"mixture", CLI_TEXT, "M", "the runs of one mixture, as /runs mixture writes it (\"press\", \"press:0.5 + fiction:0.5\"); needed when a file holds several", 0},
    [O_SOURCE] = {"source", CLI_TEXT, "NAME", "fit the laws on one source's held-out loss (a /sources name) instead of the mixture's own", 0},
    [O_NO_WRITE] = {"no-write", CLI_FLAG, NULL, "do not write /fits into the results file", 0},
    [O_QUIET] = {"quiet", CLI_FLAG, NULL, "no table and no notes (JSON still, if asked)", 0},
    [O_VERBOSE] = {"verbose", CLI_FLAG, NULL, "with an error, also HDF5's error stack", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};
/* clang-format on */

static const char usage[] =
    "usage: scalesweep fit RESULTS.h5 [options]\n"
    "       scalesweep fit --csv FILE [options]\n"
    "Fits the scaling laws of a sweep's results (L(N), L(D), L(C), Kaplan's and\n"
    "Chinchilla's joint laws, IsoFLOP profiles, seed variance and what follows from\n"
    "them) with bootstrap intervals, prints them as a table (or JSON), and writes them\n"
    "into the results file's /fits, replacing an older /fits. docs/fit.md says what\n"
    "each figure means. Numbers accept 1e6, 2M, 3k.\n"
    "Exit status: 0 the fit ran (a law the data cannot determine says so), 1 /fits\n"
    "or the JSON could not be written, 2 bad options, an unreadable or foreign file,\n"
    "a bad CSV, or no run that can feed a fit.\n";

typedef struct {
    fit_options fit;
    const char *results_path;
    const char *csv_path;
    const char *json_path;  /* "-": stdout */
    int no_write, quiet;
    fit_selection select;
    int set[O_COUNT];
} fit_command;

/* Stores one option's value (converted by cli_parse), checked; -1 after saying what is
 * wrong. */
static int set_option(void *user, int id, const cli_value *v)
{
    fit_command *c = user;
    const cli_option *o = &options[id];
    const int64_t count = v->count;
    const double real = v->real;
    char err[512];
    c->set[id] = 1;
    switch (id) {
    case O_CSV: c->csv_path = v->text; break;
    case O_JSON: c->json_path = v->text ? v->text : "-"; break;
    case O_BOOTSTRAP:
        if (count > PLAN_FIT_MAX_BOOTSTRAP)
            return cli_bad_value(FIT_PROGRAM, o, v->text, "at most 1e7 resamples, as in plans");
        c->fit.bootstrap = (int)count;
        break;
    case O_SEED:
        if (count > PLAN_MAX_SEED)
            return cli_bad_value(FIT_PROGRAM, o, v->text, "a seed of at most 1e15, as in plans");
        c->fit.bootstrap_seed = (uint64_t)count;
        break;
    case O_LAWS:
        if (fit_laws_parse(v->text, &c->fit.laws, err, sizeof err) != 0) {
            fprintf(stderr, FIT_PROGRAM ": --%s\n", err);
            return -1;
        }
        break;
    case O_FRONTIER:
        if (strcmp(v->text, plan_frontier_names[PLAN_FRONTIER_ENDS]) != 0 &&
            strcmp(v->text, plan_frontier_names[PLAN_FRONTIER_CURVES]) != 0)
            return cli_bad_value(FIT_PROGRAM, o, v->text, "ends or curves");
        c->fit.frontier_curves = strcmp(v->text, plan_frontier_names[PLAN_FRONTIER_CURVES]) == 0;
        break;
    case O_THREADS:
        if (count < 1 || count > 16)
            return cli_bad_value(FIT_PROGRAM, o, v->text, "1 to 16 threads");
        c->fit.threads = (int)count;
        break;
    case O_CONFIDENCE:
        if (!(real > 0 && real < 1))
            return cli_bad_value(FIT_PROGRAM, o, v->text, "a level between 0 and 1, such as 0.95");
        c->fit.confidence = real;
        break;
    case O_TARGET_LOSS:
        if (!(real > 0))
            return cli_bad_value(FIT_PROGRAM, o, v->text, "a loss above 0 (nats per token)");
        c->fit.target_loss = real;
        break;
    case O_INFERENCE_TOKENS:
        if (!(real >= 0))
            return cli_bad_value(FIT_PROGRAM, o, v->text, "a number of tokens, 0 or more");
        c->fit.inference_tokens = real;
        break;
    case O_EPSILON:
        if (!(real > 0))
            return cli_bad_value(FIT_PROGRAM, o, v->text, "a relative spread above 0, such as 0.02");
        c->fit.epsilon = real;
        break;
    case O_ARCHITECTURE: c->select.architecture = v->text; break;
    case O_MIXTURE: c->select.mixture = v->text; break;
    case O_SOURCE: c->select.source = v->text; break;
    case O_NO_WRITE: c->no_write = 1; break;
    case O_QUIET: c->quiet = 1; break;
    case O_VERBOSE: results_hdf5_set_verbose(1); break;
    default: break;
    }
    return 0;
}

/* 0 to run, 1 after --help, -1 on a bad command line. */
static int parse_options(fit_command *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    fit_options_defaults(&c->fit);
    int first_operand;
    int status = cli_parse(FIT_PROGRAM, usage, options, O_COUNT, argc, argv, set_option, c,
                           &first_operand);
    if (status != 0)
        return status;
    for (int i = first_operand; i < argc; i++) {
        if (c->results_path) {
            fprintf(stderr, FIT_PROGRAM ": unexpected argument '%s' (one results file)\n",
                    argv[i]);
            return -1;
        }
        c->results_path = argv[i];
    }
    if (!c->results_path == !c->csv_path) {
        fprintf(stderr, FIT_PROGRAM ": give a results file or --csv FILE%s (see "
                        FIT_PROGRAM " --help)\n", c->results_path ? ", not both" : "");
        return -1;
    }
    if (c->csv_path && (c->set[O_MIXTURE] || c->set[O_SOURCE] || c->set[O_ARCHITECTURE])) {
        fprintf(stderr, FIT_PROGRAM ": --%s chooses among a results file's runs, not a CSV's\n",
                c->set[O_MIXTURE]  ? "mixture"
                : c->set[O_SOURCE] ? "source"
                                   : "architecture");
        return -1;
    }
    if (c->set[O_INFERENCE_TOKENS] && !c->set[O_TARGET_LOSS]) {
        fprintf(stderr, FIT_PROGRAM ": --inference-tokens needs --target-loss\n");
        return -1;
    }
    return 0;
}

int fit_main(int argc, char **argv)
{
    fit_command c;
    int parsed = parse_options(&c, argc, argv);
    if (parsed != 0)
        return parsed > 0 ? EXIT_OK : EXIT_INPUT;
    const int json_stdout = c.json_path && strcmp(c.json_path, "-") == 0;
    fit_outputs outputs = {
        .out = json_stdout || !c.quiet ? stdout : NULL,
        .json = json_stdout,
        .json_path = c.json_path && !json_stdout ? c.json_path : NULL,
        .write = !c.no_write,
        .quiet = c.quiet,
        /* the plan's [fit] for what the command line leaves open */
        .from_plan = (c.set[O_BOOTSTRAP] ? 0u : FIT_PLAN_BOOTSTRAP) |
                     (c.set[O_SEED] ? 0u : FIT_PLAN_SEED) | (c.set[O_LAWS] ? 0u : FIT_PLAN_LAWS) |
                     (c.set[O_FRONTIER] ? 0u : FIT_PLAN_FRONTIER),
    };
    char err[2048];
    int status = c.csv_path
                     ? fit_csv(c.csv_path, &c.fit, &outputs, err, sizeof err)
                     : fit_file(c.results_path, &c.fit, &c.select, &outputs, err, sizeof err);
    if (status != EXIT_OK)
        fprintf(stderr, FIT_PROGRAM ": %s\n", err);
    return status;
}
