/* `scalesweep train`: one training run from the command line, no MPI. One options table
 * drives getopt_long, the value checks and --help. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "corpus.h"
#include "train.h"
#include "units.h"

typedef enum { OPT_INT, OPT_COUNT, OPT_REAL, OPT_TEXT, OPT_FLAG } option_kind;

typedef struct {
    const char *name;
    option_kind kind;
    const char *metavar;
    const char *help;
} option_spec;

typedef struct {
    train_config config;
    const char *corpus_path;
    double test_fraction;
    const char *checkpoint_path;
    const char *resume_path;
    int64_t checkpoint_every;
    int64_t stop_after;
    int quiet;
} train_options;

enum {
    O_CORPUS, O_TEST_FRACTION, O_N_LAYER, O_D_MODEL, O_N_HEAD, O_N_CTX, O_BATCH, O_TOKENS,
    O_UNIQUE_TOKENS, O_LR, O_FINAL_LR_RATIO, O_WARMUP_STEPS, O_WEIGHT_DECAY, O_BETA1, O_BETA2,
    O_EPS, O_GRAD_CLIP, O_EVAL_INTERVAL, O_EVAL_TOKENS, O_PATIENCE, O_SEED, O_CHECKPOINT,
    O_CHECKPOINT_EVERY, O_RESUME, O_STOP_AFTER, O_QUIET, O_HELP, O_COUNT
};

static const option_spec specs[O_COUNT] = {
    [O_CORPUS] = {"corpus", OPT_TEXT, "PATH", "a folder with train.txt and test.txt (default data/brown), or any UTF-8 text file"},
    [O_TEST_FRACTION] = {"test-fraction", OPT_REAL, "F", "for a single text file: the held-out fraction at its end (0.05)"},
    [O_N_LAYER] = {"n-layer", OPT_INT, "L", "transformer blocks (2)"},
    [O_D_MODEL] = {"d-model", OPT_INT, "C", "model width (128)"},
    [O_N_HEAD] = {"n-head", OPT_INT, "H", "attention heads, must divide d-model (4)"},
    [O_N_CTX] = {"n-ctx", OPT_INT, "T", "context length in bytes (128)"},
    [O_BATCH] = {"batch", OPT_INT, "B", "sequences per step (16); tokens per step = B * T"},
    [O_TOKENS] = {"tokens", OPT_COUNT, "D", "tokens to train on, rounded to whole steps (2M)"},
    [O_UNIQUE_TOKENS] = {"unique-tokens", OPT_COUNT, "U", "data-limited mode: train on only the first U bytes, repeated (0 = all)"},
    [O_LR] = {"lr", OPT_REAL, "LR", "peak learning rate (1e-3)"},
    [O_FINAL_LR_RATIO] = {"final-lr-ratio", OPT_REAL, "R", "cosine decay ends at R * lr (0.1)"},
    [O_WARMUP_STEPS] = {"warmup-steps", OPT_COUNT, "S", "linear warmup steps (default 5% of the run)"},
    [O_WEIGHT_DECAY] = {"weight-decay", OPT_REAL, "W", "AdamW decoupled weight decay on matrices (0.1)"},
    [O_BETA1] = {"beta1", OPT_REAL, "B1", "AdamW beta1 (0.9)"},
    [O_BETA2] = {"beta2", OPT_REAL, "B2", "AdamW beta2 (0.95)"},
    [O_EPS] = {"eps", OPT_REAL, "E", "AdamW epsilon (1e-8)"},
    [O_GRAD_CLIP] = {"grad-clip", OPT_REAL, "G", "clip the global gradient norm to G, 0 = off (1.0)"},
    [O_EVAL_INTERVAL] = {"eval-interval", OPT_COUNT, "K", "evaluate every K steps (default: ten times per run) and at the end"},
    [O_EVAL_TOKENS] = {"eval-tokens", OPT_COUNT, "E", "held-out tokens scored at each evaluation (65536)"},
    [O_PATIENCE] = {"patience", OPT_INT, "P", "stop after P evaluations without a better test loss, 0 = off (0)"},
    [O_SEED] = {"seed", OPT_COUNT, "S", "seed of the weights and of the data order (1)"},
    [O_CHECKPOINT] = {"checkpoint", OPT_TEXT, "PATH", "write the run's whole state here when it ends or stops"},
    [O_CHECKPOINT_EVERY] = {"checkpoint-every", OPT_COUNT, "K", "also write the checkpoint every K steps (0 = off)"},
    [O_RESUME] = {"resume", OPT_TEXT, "PATH", "continue the run saved in this checkpoint (its own configuration applies)"},
    [O_STOP_AFTER] = {"stop-after", OPT_COUNT, "K", "stop after K steps of this invocation, as if interrupted"},
    [O_QUIET] = {"quiet", OPT_FLAG, NULL, "print only the summary, not the curve"},
    [O_HELP] = {"help", OPT_FLAG, NULL, "show this help"},
};

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: scalesweep train [options]\n"
            "Trains one byte-level transformer on the corpus, printing the loss curve\n"
            "(step, tokens, FLOPs = 6ND, train loss, test loss in nats/token and bits/byte, lr)\n"
            "and a summary. SIGINT or SIGTERM stops at the next step (checkpointing if asked).\n"
            "Numbers accept 1e6, 2M, 3k. Exit status: 0 ok, 1 failure, 2 bad options, 3 diverged.\n\n");
    for (int i = 0; i < O_COUNT; i++) {
        char left[64];
        if (specs[i].metavar)
            snprintf(left, sizeof left, "--%s %s", specs[i].name, specs[i].metavar);
        else
            snprintf(left, sizeof left, "--%s", specs[i].name);
        fprintf(out, "  %-24s %s\n", left, specs[i].help);
    }
}

static int bad_value(const char *name, const char *value, const char *expected)
{
    fprintf(stderr, "scalesweep train: --%s %s: expected %s\n", name, value, expected);
    return -1;
}

/* Stores one option's value; -1 after printing what is wrong. */
static int set_option(train_options *o, int id, const char *value)
{
    const option_spec *s = &specs[id];
    int64_t count = 0;
    double real = 0.0;
    if (s->kind == OPT_INT || s->kind == OPT_COUNT) {
        if (units_parse_count(value, &count) != 0)
            return bad_value(s->name, value, "a whole non-negative number");
        if (s->kind == OPT_INT && count > 1000000000)
            return bad_value(s->name, value, "a number below 1e9");
    } else if (s->kind == OPT_REAL) {
        if (units_parse_real(value, &real) != 0)
            return bad_value(s->name, value, "a number");
    }
    train_config *c = &o->config;
    switch (id) {
    case O_CORPUS: o->corpus_path = value; break;
    case O_TEST_FRACTION: o->test_fraction = real; break;
    case O_N_LAYER: c->model.n_layer = (int)count; break;
    case O_D_MODEL: c->model.d_model = (int)count; break;
    case O_N_HEAD: c->model.n_head = (int)count; break;
    case O_N_CTX: c->model.n_ctx = (int)count; break;
    case O_BATCH: c->batch = (int)count; break;
    case O_TOKENS: c->tokens = count; break;
    case O_UNIQUE_TOKENS: c->unique_tokens = count; break;
    case O_LR: c->lr = (float)real; break;
    case O_FINAL_LR_RATIO: c->final_lr_ratio = (float)real; break;
    case O_WARMUP_STEPS: c->warmup_steps = count; break;
    case O_WEIGHT_DECAY: c->weight_decay = (float)real; break;
    case O_BETA1: c->beta1 = (float)real; break;
    case O_BETA2: c->beta2 = (float)real; break;
    case O_EPS: c->eps = (float)real; break;
    case O_GRAD_CLIP: c->grad_clip = (float)real; break;
    case O_EVAL_INTERVAL: c->eval_interval = count; break;
    case O_EVAL_TOKENS: c->eval_tokens = count; break;
    case O_PATIENCE: c->patience = (int)count; break;
    case O_SEED: c->seed = (uint64_t)count; break;
    case O_CHECKPOINT: o->checkpoint_path = value; break;
    case O_CHECKPOINT_EVERY: o->checkpoint_every = count; break;
    case O_RESUME: o->resume_path = value; break;
    case O_STOP_AFTER: o->stop_after = count; break;
    case O_QUIET: o->quiet = 1; break;
    default: break;
    }
    return 0;
}

/* 0 to run, 1 after --help, -1 on a bad option. */
static int parse_options(train_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    train_config_defaults(&o->config);
    o->corpus_path = "data/brown";
    o->test_fraction = 0.05;
    struct option longopts[O_COUNT + 1];
    for (int i = 0; i < O_COUNT; i++) {
        longopts[i].name = specs[i].name;
        longopts[i].has_arg = specs[i].kind == OPT_FLAG ? no_argument : required_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 1000 + i;
    }
    memset(&longopts[O_COUNT], 0, sizeof longopts[O_COUNT]);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h' || c == 1000 + O_HELP) {
            print_help(stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            fprintf(stderr, "scalesweep train: %s '%s' (see scalesweep train --help)\n",
                    c == '?' ? "unknown option" : "missing value for", argv[optind - 1]);
            return -1;
        }
        if (set_option(o, c - 1000, optarg) != 0)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "scalesweep train: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void print_point(const curve_point *p, double seconds)
{
    printf("%8lld %12lld %11.4e %10.5f %10.5f %9.5f %10.3e %9.1f\n", (long long)p->step,
           (long long)p->tokens, p->flops, p->train_loss, p->test_loss,
           train_run_bits_per_byte(p->test_loss), p->lr, seconds);
    fflush(stdout);
}

static void print_summary(const train_run *run)
{
    train_result r;
    train_run_result(run, &r);
    const model_config *m = &run->config.model;
    printf("status            %s (%s)\n", run_status_name(r.status), r.reason);
    printf("shape             n_layer=%d d_model=%d n_head=%d n_ctx=%d batch=%d\n",
           m->n_layer, m->d_model, m->n_head, m->n_ctx, run->config.batch);
    printf("N                 %lld (non-embedding; 12 n_layer d_model^2 = %lld)\n",
           (long long)r.n_params, 12LL * m->n_layer * m->d_model * m->d_model);
    printf("N_total           %lld\n", (long long)r.n_params_total);
    printf("steps             %lld of %lld\n", (long long)r.steps, (long long)run->total_steps);
    printf("D                 %lld tokens trained (%lld unique)\n", (long long)r.tokens,
           (long long)r.unique_tokens);
    printf("C                 %.4e FLOPs (6ND); %.4e with attention; %.4e PF-days\n", r.flops,
           r.flops_attention, r.flops / 8.64e19);
    printf("test_loss         %.5f nats/token (%.5f bits/byte)\n", r.final_test_loss,
           train_run_bits_per_byte(r.final_test_loss));
    printf("best_test_loss    %.5f at step %lld\n", r.best_test_loss, (long long)r.best_step);
    printf("train_loss        %.5f\n", r.final_train_loss);
    printf("seconds           %.2f (%.0f tokens/s)\n", r.seconds, r.tokens_per_second);
}

int train_main(int argc, char **argv)
{
    train_options o;
    int parsed = parse_options(&o, argc, argv);
    if (parsed != 0)
        return parsed > 0 ? 0 : EXIT_USAGE;

    char err[512];
    corpus data;
    if (corpus_load(&data, o.corpus_path, o.test_fraction, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        return EXIT_USAGE;
    }
    train_run run;
    int status = o.resume_path ? train_checkpoint_load(&run, o.resume_path, &data, err, sizeof err)
                               : train_run_init(&run, &o.config, &data, err, sizeof err);
    if (status != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        corpus_free(&data);
        return EXIT_USAGE;
    }
    if (run.status == RUN_INTERRUPTED)
        run.status = RUN_RUNNING; /* a resumed run goes on */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (!o.quiet) {
        printf("# N=%lld N_total=%lld steps=%lld tokens_per_step=%lld corpus=%s "
               "(train %lld bytes, test %lld bytes, eval %lld tokens)\n",
               (long long)model_count_nonembedding(&run.config.model),
               (long long)run.model.num_params, (long long)run.total_steps,
               (long long)run.tokens_per_step, o.corpus_path, (long long)data.train_size,
               (long long)data.test_size, (long long)(run.eval_windows * run.config.model.n_ctx));
        printf("#   step       tokens       flops train_loss  test_loss  test_bpb         lr   seconds\n");
        for (int64_t i = 0; i < run.curve_len; i++)
            print_point(&run.curve[i], run.seconds);
    }
    int64_t steps_here = 0;
    int exit_status = 0;
    while (run.status == RUN_RUNNING) {
        int64_t points = run.curve_len;
        train_run_step(&run);
        steps_here++;
        if (!o.quiet && run.curve_len > points)
            print_point(&run.curve[run.curve_len - 1], run.seconds);
        if (run.status == RUN_RUNNING &&
            (stop_requested || (o.stop_after > 0 && steps_here >= o.stop_after)))
            train_run_interrupt(&run);
        if (o.checkpoint_path && o.checkpoint_every > 0 && run.status == RUN_RUNNING &&
            run.step % o.checkpoint_every == 0 &&
            train_checkpoint_save(&run, o.checkpoint_path, err, sizeof err) != 0) {
            fprintf(stderr, "scalesweep train: %s\n", err);
            exit_status = 1;
            break;
        }
    }
    if (o.checkpoint_path && train_checkpoint_save(&run, o.checkpoint_path, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        exit_status = 1;
    }
    print_summary(&run);
    if (exit_status == 0 && run.status == RUN_DIVERGED)
        exit_status = EXIT_DIVERGED;
    if (exit_status == 0 && run.status == RUN_FAILED)
        exit_status = 1;
    train_run_free(&run);
    corpus_free(&data);
    return exit_status;
}
