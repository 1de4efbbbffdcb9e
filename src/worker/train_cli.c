/* `scalesweep train`: one training run from the command line, no MPI. One options table
 * drives getopt_long, the value checks and --help. */
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "corpus.h"
#include "exit_status.h"
#include "paths.h"
#include "train.h"
#include "units.h"

typedef struct {
    train_config config;
    const char *corpus_path;
    double test_fraction;
    const char *checkpoint_path;
    const char *resume_path;
    int64_t checkpoint_every;
    int64_t stop_after;
    train_lr_rule lr_rule; /* auto or kaplan: the lr from N once the shape is known */
    int n_head_given;
    int quiet;
} train_options;

/* clang-format off */
enum {
    O_CORPUS, O_TEST_FRACTION, O_ARCHITECTURE, O_N_LAYER, O_D_MODEL, O_N_HEAD, O_N_CTX, O_BATCH, O_TOKENS,
    O_UNIQUE_TOKENS, O_LR, O_FINAL_LR_RATIO, O_WARMUP_STEPS, O_WEIGHT_DECAY, O_BETA1, O_BETA2,
    O_EPS, O_GRAD_CLIP, O_EVALUATIONS, O_EVAL_SPACING, O_EVAL_BUDGET, O_EVAL_INTERVAL,
    O_EVAL_TOKENS, O_PATIENCE, O_SEED, O_CHECKPOINT, O_CHECKPOINT_EVERY, O_RESUME, O_STOP_AFTER,
    O_QUIET, O_HELP, O_COUNT
};

static const cli_option options[O_COUNT] = {
    [O_CORPUS] = {"corpus", CLI_TEXT, "PATH", "a folder with train.txt and test.txt (default data/brown), or any UTF-8 text file", 0},
    [O_TEST_FRACTION] = {"test-fraction", CLI_REAL, "F", "for a single text file: the held-out fraction at its end (0.05)", 0},
    [O_ARCHITECTURE] = {"architecture", CLI_TEXT, "A", "transformer or lstm (transformer)", 0},
    [O_N_LAYER] = {"n-layer", CLI_INT, "L", "transformer blocks or LSTM layers (2)", 0},
    [O_D_MODEL] = {"d-model", CLI_INT, "C", "model width: the residual stream, or the LSTM's hidden and cell state (128)", 0},
    [O_N_HEAD] = {"n-head", CLI_INT, "H", "attention heads, must divide d-model (4; an LSTM has none)", 0},
    [O_N_CTX] = {"n-ctx", CLI_INT, "T", "context length in bytes (128)", 0},
    [O_BATCH] = {"batch", CLI_TEXT, "B", "sequences per step, or auto (" TRAIN_BATCH_AUTO_RULE ") (auto); tokens per step = B * T", 0},
    [O_TOKENS] = {"tokens", CLI_COUNT, "D", "tokens to train on, rounded to whole steps (2M)", 0},
    [O_UNIQUE_TOKENS] = {"unique-tokens", CLI_COUNT, "U", "data-limited mode: train on only the first U bytes, repeated (0 = all)", 0},
    [O_LR] = {"lr", CLI_TEXT, "LR", "peak learning rate: a number, auto (the architecture's lr_opt(N) measured on Brown) or kaplan (Kaplan's LR(N)) (auto)", 0},
    [O_FINAL_LR_RATIO] = {"final-lr-ratio", CLI_REAL, "R", "cosine decay ends at R * lr (0.1)", 0},
    [O_WARMUP_STEPS] = {"warmup-steps", CLI_COUNT, "S", "linear warmup steps (default 5% of the run)", 0},
    [O_WEIGHT_DECAY] = {"weight-decay", CLI_REAL, "W", "AdamW decoupled weight decay on matrices (0.1)", 0},
    [O_BETA1] = {"beta1", CLI_REAL, "B1", "AdamW beta1 (0.9)", 0},
    [O_BETA2] = {"beta2", CLI_REAL, "B2", "AdamW beta2 (0.95)", 0},
    [O_EPS] = {"eps", CLI_REAL, "E", "AdamW epsilon (1e-8)", 0},
    [O_GRAD_CLIP] = {"grad-clip", CLI_REAL, "G", "clip the global gradient norm to G, 0 = off (1.0)", 0},
    [O_EVALUATIONS] = {"evaluations", CLI_COUNT, "K", "evaluations of the run, the last step always one (10)", 0},
    [O_EVAL_SPACING] = {"eval-spacing", CLI_TEXT, "S", "log, linear, or auto: log, linear with --patience (auto)", 0},
    [O_EVAL_BUDGET] = {"eval-budget", CLI_REAL, "F", "fewer evaluations where they would cost more than F of the training FLOPs (0.1)", 0},
    [O_EVAL_INTERVAL] = {"eval-interval", CLI_COUNT, "K", "instead: evaluate every K steps and at the end, however many that is", 0},
    [O_EVAL_TOKENS] = {"eval-tokens", CLI_COUNT, "E", "held-out tokens per evaluation, windows spread over the test text (8192)", 0},
    [O_PATIENCE] = {"patience", CLI_INT, "P", "stop after P evaluations without a better test loss, 0 = off (0)", 0},
    [O_SEED] = {"seed", CLI_COUNT, "S", "seed of the weights and of the data order (1)", 0},
    [O_CHECKPOINT] = {"checkpoint", CLI_TEXT, "PATH", "write the run's whole state here when it ends or stops", 0},
    [O_CHECKPOINT_EVERY] = {"checkpoint-every", CLI_COUNT, "K", "also write the checkpoint every K steps (0 = off)", 0},
    [O_RESUME] = {"resume", CLI_TEXT, "PATH", "continue the run saved in this checkpoint (its own configuration applies)", 0},
    [O_STOP_AFTER] = {"stop-after", CLI_COUNT, "K", "stop after K steps of this invocation, as if interrupted", 0},
    [O_QUIET] = {"quiet", CLI_FLAG, NULL, "print only the summary, not the curve", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};
/* clang-format on */

#define TRAIN_PROGRAM "scalesweep train"

static const char usage[] =
    "usage: scalesweep train [options]\n"
    "Trains one byte-level transformer (or LSTM) on the corpus, printing the loss curve\n"
    "(step, tokens, FLOPs = 6ND, train loss, test loss in nats/token and bits/byte, lr)\n"
    "and a summary. SIGINT or SIGTERM stops at the next step (checkpointing if asked).\n"
    "Numbers accept 1e6, 2M, 3k. Exit status: 0 ok, 1 failure, 2 bad options, 3 diverged.\n";

/* Stores one option's value (cli_parse has converted it). */
static int set_option(void *user, int id, const cli_value *v)
{
    train_options *o = user;
    train_config *c = &o->config;
    const int64_t count = v->count;
    const double real = v->real;
    switch (id) {
    case O_CORPUS: o->corpus_path = v->text; break;
    case O_TEST_FRACTION: o->test_fraction = real; break;
    case O_N_LAYER: c->model.n_layer = (int)count; break;
    case O_D_MODEL: c->model.d_model = (int)count; break;
    case O_ARCHITECTURE:
        c->model.architecture = net_architecture_named(v->text);
        if (c->model.architecture < 0)
            return cli_bad_value(TRAIN_PROGRAM, &options[id], v->text, "transformer or lstm");
        break;
    case O_N_HEAD:
        c->model.n_head = (int)count;
        o->n_head_given = 1;
        break;
    case O_N_CTX: c->model.n_ctx = (int)count; break;
    case O_BATCH: {
        int64_t batch = TRAIN_BATCH_AUTO;
        if (strcmp(v->text, "auto") != 0 &&
            (units_parse_count(v->text, &batch) != 0 || batch < 1 || batch > 65536))
            return cli_bad_value(TRAIN_PROGRAM, &options[id], v->text,
                                 "a count from 1 to 65536, or auto");
        c->batch = (int)batch;
        break;
    }
    case O_TOKENS: c->tokens = count; break;
    case O_UNIQUE_TOKENS: c->unique_tokens = count; break;
    case O_LR: {
        double lr = 0.0;
        o->lr_rule = TRAIN_LR_FIXED;
        if (train_lr_rule_named(v->text) >= 0)
            o->lr_rule = (train_lr_rule)train_lr_rule_named(v->text);
        else if (units_parse_real(v->text, &lr) != 0 || !(lr > 0.0) || !isfinite(lr))
            return cli_bad_value(TRAIN_PROGRAM, &options[id], v->text,
                                 "a number above 0, auto or kaplan");
        c->lr = (float)lr;
        break;
    }
    case O_FINAL_LR_RATIO: c->final_lr_ratio = (float)real; break;
    case O_WARMUP_STEPS: c->warmup_steps = count; break;
    case O_WEIGHT_DECAY: c->weight_decay = (float)real; break;
    case O_BETA1: c->beta1 = (float)real; break;
    case O_BETA2: c->beta2 = (float)real; break;
    case O_EPS: c->eps = (float)real; break;
    case O_GRAD_CLIP: c->grad_clip = (float)real; break;
    case O_EVALUATIONS: c->evaluations = count; break;
    case O_EVAL_SPACING:
        c->eval_spacing = -1;
        for (int i = 0; i < TRAIN_EVAL_SPACINGS; i++)
            if (strcmp(v->text, train_eval_spacing_names[i]) == 0)
                c->eval_spacing = i;
        if (c->eval_spacing < 0)
            return cli_bad_value(TRAIN_PROGRAM, &options[id], v->text, "auto, log or linear");
        break;
    case O_EVAL_BUDGET: c->eval_budget = real; break;
    case O_EVAL_INTERVAL: c->eval_interval = count; break;
    case O_EVAL_TOKENS: c->eval_tokens = count; break;
    case O_PATIENCE: c->patience = (int)count; break;
    case O_SEED: c->seed = (uint64_t)count; break;
    case O_CHECKPOINT: o->checkpoint_path = v->text; break;
    case O_CHECKPOINT_EVERY: o->checkpoint_every = count; break;
    case O_RESUME: o->resume_path = v->text; break;
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
    o->lr_rule = TRAIN_LR_AUTO;
    o->config.batch = TRAIN_BATCH_AUTO;
    int first_operand;
    int status = cli_parse(TRAIN_PROGRAM, usage, options, O_COUNT, argc, argv, set_option, o,
                           &first_operand);
    if (status == 0 && first_operand < argc) {
        fprintf(stderr, TRAIN_PROGRAM ": unexpected argument '%s'\n", argv[first_operand]);
        return -1;
    }
    /* an LSTM has no heads: the transformer's default does not apply to it */
    if (o->config.model.architecture == MODEL_LSTM && !o->n_head_given)
        o->config.model.n_head = 0;
    char err[256];
    if (status == 0 && train_resolve_rules(&o->config, o->lr_rule, err, sizeof err) != 0) {
        fprintf(stderr, TRAIN_PROGRAM ": --lr %s; give --lr a number or auto\n", err);
        return -1;
    }
    return status;
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
    char shape[NET_SHAPE_SIZE];
    printf("shape             %s %s (n_layer=%d d_model=%d n_head=%d) n_ctx=%d batch=%d\n",
           net_architecture_names[m->architecture], net_shape(m, shape, sizeof shape), m->n_layer,
           m->d_model, m->n_head, m->n_ctx, run->config.batch);
    printf("lr                %.4g peak, %lld warmup steps, cosine decay to %g of it\n",
           (double)run->config.lr, (long long)train_warmup_steps(&run->config),
           (double)run->config.final_lr_ratio);
    printf("N                 %lld (non-embedding)\n", (long long)r.n_params);
    printf("N_total           %lld\n", (long long)r.n_params_total);
    printf("steps             %lld of %lld\n", (long long)r.steps, (long long)run->total_steps);
    printf("D                 %lld tokens trained (%lld unique)\n", (long long)r.tokens,
           (long long)r.unique_tokens);
    printf("C                 %.4e FLOPs (6ND); %.4e with attention; %.4e PF-days\n", r.flops,
           r.flops_attention, r.flops / 8.64e19);
    printf("test_loss         %.5f nats/token (%.5f bits/byte)\n", r.final_test_loss,
           train_run_bits_per_byte(r.final_test_loss));
    printf("best_test_loss    %.5f at step %lld\n", r.best_test_loss, (long long)r.best_step);
    /* at positions 0, 1, 3, 7, ... and the last: how the loss falls with context */
    printf("by position       ");
    for (int64_t t = 0; r.position_loss && t < r.n_positions - 1; t = 2 * t + 1)
        printf("%lld: %.4f, ", (long long)t, r.position_loss[t]);
    if (r.position_loss)
        printf("%d: %.4f (the last evaluation's mean test loss at each token index)\n",
               r.n_positions - 1, r.position_loss[r.n_positions - 1]);
    printf("train_loss        %.5f\n", r.final_train_loss);
    printf("seconds           %.2f (%.0f tokens/s); evaluation %.2f s, %.1f%% of it, %lld "
           "evaluations of %lld tokens\n",
           r.seconds, r.tokens_per_second, r.eval_seconds,
           r.seconds > 0.0 ? 100.0 * r.eval_seconds / r.seconds : 0.0, (long long)run->curve_len,
           (long long)(run->eval_windows * m->n_ctx));
}

int train_main(int argc, char **argv)
{
    train_options o;
    int parsed = parse_options(&o, argc, argv);
    if (parsed != 0)
        return parsed > 0 ? EXIT_OK : EXIT_INPUT;

    char err[512];
    /* before an hour of training, not after it */
    if (o.checkpoint_path && paths_writable(o.checkpoint_path, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep train: --checkpoint: %s\n", err);
        return EXIT_INPUT;
    }
    corpus data;
    if (corpus_load(&data, o.corpus_path, o.test_fraction, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        return EXIT_INPUT;
    }
    train_run run;
    int status = o.resume_path
                     ? train_checkpoint_load(&run, o.resume_path, &data, NULL, err, sizeof err)
                     : train_run_init(&run, &o.config, &data, err, sizeof err);
    if (status != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        corpus_free(&data);
        return EXIT_INPUT;
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
               (long long)net_count_nonembedding(&run.config.model), (long long)run.net.num_params,
               (long long)run.total_steps, (long long)run.tokens_per_step, o.corpus_path,
               (long long)data.train_size, (long long)data.test_size,
               (long long)(run.eval_windows * run.config.model.n_ctx));
        printf("#   step       tokens       flops train_loss  test_loss  test_bpb         lr   seconds\n");
        for (int64_t i = 0; i < run.curve_len; i++)
            print_point(&run.curve[i], run.seconds);
    }
    int64_t steps_here = 0;
    int exit_status = EXIT_OK;
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
            exit_status = EXIT_FAILED;
            break;
        }
    }
    if (o.checkpoint_path && train_checkpoint_save(&run, o.checkpoint_path, err, sizeof err) != 0) {
        fprintf(stderr, "scalesweep train: %s\n", err);
        exit_status = EXIT_FAILED;
    }
    print_summary(&run);
    if (exit_status == EXIT_OK && run.status == RUN_DIVERGED)
        exit_status = EXIT_DIVERGED;
    if (exit_status == EXIT_OK && run.status == RUN_FAILED)
        exit_status = EXIT_FAILED;
    train_run_free(&run);
    corpus_free(&data);
    return exit_status;
}
