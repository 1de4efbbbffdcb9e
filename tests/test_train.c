/* Training runs: determinism, checkpoint and restore to the same bits, divergence,
 * early stopping, the data-limited mode, the schedule and the exact counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "same_run.h"
#include "optim.h"
#include "rng.h"
#include "toy_corpus.h"
#include "train.h"

/* A small run of either architecture: 2 x 32 (2 heads for the transformer). */
static train_config small_config_of(int architecture)
{
    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){2, 32, architecture == MODEL_LSTM ? 0 : 2, 32, architecture};
    c.batch = 4;
    c.tokens = 60 * 4 * 32; /* 60 steps */
    c.lr = 3e-3f;
    c.eval_interval = 10;
    c.eval_tokens = 2048;
    c.seed = 5;
    return c;
}

static train_config small_config(void)
{
    return small_config_of(MODEL_TRANSFORMER);
}

static void run_to_end(train_run *run)
{
    while (train_run_step(run) == RUN_RUNNING) {
    }
}

static void test_determinism_and_learning(const corpus *data, int architecture)
{
    train_config config = small_config_of(architecture);
    const char *name = net_architecture_names[architecture];
    char err[256];
    train_run a, b, c;
    check(train_run_init(&a, &config, data, err, sizeof err) == 0, "init: %s", err);
    check(train_run_init(&b, &config, data, err, sizeof err) == 0, "init: %s", err);
    run_to_end(&a);
    run_to_end(&b);
    check(a.status == RUN_OK && a.step == 60, "%s: run ends ok after 60 steps (%s, %lld)", name,
          run_status_name(a.status), (long long)a.step);
    check(same_run_params(&a, &b) && same_run_curves(&a, &b),
          "%s: same seed twice gives identical bits", name);

    config.seed = 6;
    check(train_run_init(&c, &config, data, err, sizeof err) == 0, "init: %s", err);
    run_to_end(&c);
    check(!same_run_params(&a, &c), "%s: another seed gives other weights", name);

    /* it learns: from ln 256 = 5.55 nats well down on this easy text */
    train_result r;
    train_run_result(&a, &r);
    check(r.final_test_loss < 3.0f, "%s: test loss falls from 5.55 to %.3f", name,
          r.final_test_loss);
    check(a.curve_len == 6, "an evaluation every 10 steps: %lld points", (long long)a.curve_len);
    check(r.best_test_loss <= r.final_test_loss, "best <= final");

    /* exact counts: N as the architecture counts it (8 L (C^2 + C) for the LSTM) */
    int64_t N = net_count_nonembedding(&config.model);
    check(architecture != MODEL_LSTM || N == 2 * (8 * 32 * 32 + 8 * 32), "LSTM N = %lld",
          (long long)N);
    check(r.n_params == N &&
              r.n_params_total == N + 256 * 32 + (architecture == MODEL_LSTM ? 0 : 32 * 32),
          "%s: N_total = N + the embeddings (%lld)", name, (long long)r.n_params_total);
    check(r.tokens == 60LL * 4 * 32, "D = steps * batch * n_ctx");
    check(r.flops == 6.0 * (double)N * (double)r.tokens, "C = 6ND");
    const double attention = architecture == MODEL_LSTM ? 0.0 : 6.0 * 2 * 32 * 32;
    check(r.flops_attention == (6.0 * N + attention) * (double)r.tokens,
          "%s: C with attention (none for the LSTM)", name);
    check(r.unique_tokens == r.tokens, "all tokens unique below one epoch");
    check(a.curve[2].tokens == 30LL * 4 * 32 && a.curve[2].flops == 6.0 * N * 30 * 4 * 32,
          "curve tokens and flops");
    train_run_free(&a);
    train_run_free(&b);
    train_run_free(&c);
}

/* Stops a run at `stop`, saves, frees, restores and finishes it: same bits as `reference`. */
static void check_restore(const train_config *config, const corpus *data,
                          const train_run *reference, int64_t stop, const char *path)
{
    char err[256];
    train_run run;
    train_run_init(&run, config, data, err, sizeof err);
    while (run.step < stop && train_run_step(&run) == RUN_RUNNING) {
    }
    train_run_interrupt(&run);
    check(train_checkpoint_save(&run, path, err, sizeof err) == 0, "save: %s", err);
    train_run_free(&run);
    check(train_checkpoint_load(&run, path, data, config, err, sizeof err) == 0, "load: %s", err);
    check(run.step == stop && run.status == RUN_INTERRUPTED, "restored at step %lld",
          (long long)stop);
    run.status = RUN_RUNNING;
    run_to_end(&run);
    check(same_run_bits(&run, reference) && run.best_test_loss == reference->best_test_loss,
          "stopped at step %lld and restored: identical bits to an uninterrupted run",
          (long long)stop);
    train_run_free(&run);
}

static void test_checkpoint(const corpus *data, int architecture)
{
    char path[] = "/tmp/scalesweep_test_ckpt_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    /* data-limited, so the run crosses several epochs (reshuffles) */
    train_config config = small_config_of(architecture);
    config.unique_tokens = 2000; /* 62 windows of 32: 15 steps an epoch */
    char err[256];
    train_run reference;
    train_run_init(&reference, &config, data, err, sizeof err);
    run_to_end(&reference);
    check(reference.sources[0].epoch >= 3, "the data-limited run went through %lld epochs",
          (long long)reference.sources[0].epoch);
    train_result r;
    train_run_result(&reference, &r);
    check(r.unique_tokens == (1999 / 32) * 32, "unique tokens = pool windows x n_ctx: %lld",
          (long long)r.unique_tokens);
    int64_t stops[] = {0, 7, 15, 23, 59};
    for (int i = 0; i < 5; i++)
        check_restore(&config, data, &reference, stops[i], path);

    /* a truncated file, a foreign file and another corpus are refused, not half-loaded */
    train_run run;
    train_run_init(&run, &config, data, err, sizeof err);
    train_checkpoint_save(&run, path, err, sizeof err);
    train_run_free(&run);
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    check(truncate(path, size - 10) == 0, "truncate");
    check(train_checkpoint_load(&run, path, data, &config, err, sizeof err) != 0 &&
              strstr(err, "corrupt"),
          "truncated checkpoint refused: %s", err);
    f = fopen(path, "wb");
    fputs("not a checkpoint at all", f);
    fclose(f);
    check(train_checkpoint_load(&run, path, data, &config, err, sizeof err) != 0 &&
              strstr(err, "not a"),
          "foreign file refused: %s", err);
    train_run_init(&run, &config, data, err, sizeof err);
    train_checkpoint_save(&run, path, err, sizeof err);
    train_run_free(&run);
    corpus other = make_corpus(77);
    check(train_checkpoint_load(&run, path, &other, NULL, err, sizeof err) != 0 &&
              strstr(err, "different corpus"),
          "checkpoint on another corpus refused: %s", err);
    corpus_free(&other);
    /* a checkpoint of another run, whatever field differs (shape, seed, lr, D), is not
     * continued under this run's name; this run's own is */
    train_config others[5];
    for (int i = 0; i < 5; i++)
        others[i] = config;
    others[0].model.d_model = 2 * config.model.d_model;
    others[1].seed = config.seed + 1;
    others[2].lr = 2.0f * config.lr;
    others[3].tokens = 2 * config.tokens;
    /* the other architecture at the same n_layer x d_model */
    others[4].model = small_config_of(1 - architecture).model;
    for (int i = 0; i < 5; i++) {
        check(train_checkpoint_load(&run, path, data, &others[i], err, sizeof err) != 0 &&
                  strstr(err, "checkpoint of another run"),
              "checkpoint of another run refused (%d): %s", i, err);
    }
    check(train_checkpoint_load(&run, path, data, &config, err, sizeof err) == 0,
          "the run's own checkpoint loads: %s", err);
    train_run_free(&run);
    train_run_free(&reference);
    remove(path);
}

static void test_divergence(const corpus *data)
{
    train_config config = small_config();
    char err[256];
    train_run run;
    train_run_init(&run, &config, data, err, sizeof err);
    for (int i = 0; i < 12; i++)
        train_run_step(&run);
    run.net.transformer.params.qkvw[3] = NAN; /* as a blown-up update would leave it */
    run_status s = train_run_step(&run);
    train_result r;
    train_run_result(&run, &r);
    check(s == RUN_DIVERGED && r.status == RUN_DIVERGED, "NaN weights end the run as diverged");
    check(strstr(r.reason, "not finite") != NULL, "reason says why: %s", r.reason);
    check(train_run_step(&run) == RUN_DIVERGED && run.step == 12,
          "a diverged run takes no further steps");
    check(r.best_test_loss == run.curve[0].test_loss, "the curve before divergence is kept");
    train_run_free(&run);

    /* an absurd learning rate diverges too, or at worst ends finite: never a crash */
    config.lr = 1e30f;
    config.grad_clip = 0.0f;
    train_run_init(&run, &config, data, err, sizeof err);
    run_to_end(&run);
    check(run.status == RUN_DIVERGED, "lr = 1e30 diverges: %s", run_status_name(run.status));
    train_run_free(&run);
}

static void test_early_stopping(const corpus *data)
{
    /* With lr = 1e-12 no weight moves by a representable amount: the test loss is
     * constant, so after the first evaluation nothing improves and patience decides. */
    train_config config = small_config();
    config.lr = 1e-12f;
    config.patience = 2;
    char err[256];
    train_run run;
    train_run_init(&run, &config, data, err, sizeof err);
    run_to_end(&run);
    check(run.status == RUN_OK && run.stopped_early, "stopped early (%s)", run.reason);
    check(run.step == 30 && run.curve_len == 3, "after 1 + patience evaluations: step %lld",
          (long long)run.step);
    check(run.best_step == 10, "best kept from step 10: %lld", (long long)run.best_step);
    train_run_free(&run);

    /* A real overfit: 800 unique bytes seen for many epochs. The test loss bottoms out,
     * rises, and the run stops, keeping the best. */
    config = small_config();
    config.unique_tokens = 800;
    config.tokens = 400 * 4 * 32;
    config.lr = 1e-2f;
    config.weight_decay = 0.0f;
    config.patience = 3;
    train_run_init(&run, &config, data, err, sizeof err);
    run_to_end(&run);
    train_result r;
    train_run_result(&run, &r);
    check(r.stopped_early && r.steps < 400, "overfitting run stopped early at step %lld",
          (long long)r.steps);
    check(r.best_test_loss < r.final_test_loss, "best %.4f is below final %.4f",
          r.best_test_loss, r.final_test_loss);
    train_run_free(&run);
}

static void test_schedule(void)
{
    optim_config c = {0};
    c.lr = 1.0f;
    c.warmup_steps = 10;
    c.total_steps = 110;
    c.final_lr_ratio = 0.1f;
    check(close_enough(optim_lr(&c, 0), 0.1, 1e-7, 0), "warmup starts at lr/warmup");
    check(close_enough(optim_lr(&c, 4), 0.5, 1e-7, 0), "warmup is linear");
    check(close_enough(optim_lr(&c, 9), 1.0, 1e-7, 0), "warmup reaches the peak");
    check(close_enough(optim_lr(&c, 60), 0.55, 1e-6, 0), "cosine midpoint is halfway to 10%%");
    check(close_enough(optim_lr(&c, 110), 0.1, 1e-7, 0), "decay ends at 10%% of the peak");
    double prev = 2.0;
    int monotone = 1;
    for (int s = 10; s < 110; s++) {
        monotone &= optim_lr(&c, s) <= prev;
        prev = optim_lr(&c, s);
    }
    check(monotone, "decay never rises");
}

/* Every evaluation step of a run, by train_eval_next from 0 to the last step. */
static int64_t eval_steps(const train_config *c, int64_t total, int64_t eval_tokens, int64_t *out,
                          int64_t cap)
{
    int64_t n = 0, step = 0;
    while (step < total && n < cap) {
        int64_t next = train_eval_next(c, total, eval_tokens, step);
        if (next <= step)
            return -1; /* not rising: a broken schedule */
        out[n++] = step = next;
    }
    return n;
}

static void test_eval_schedule(void)
{
    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){2, 64, 2, 64, MODEL_TRANSFORMER};
    c.batch = 16;
    c.tokens = 195 * 1024;
    int64_t steps[4096];
    /* 195 steps on the default 8192 held-out tokens: the budget (10% of 6ND against 2N per
     * held-out token) allows floor(0.1 * 3 * 199680 / 8192) = 7 evaluations, log-spaced:
     * round(195^(k/7)) */
    const int64_t want[] = {2, 5, 10, 20, 43, 92, 195};
    int64_t n = eval_steps(&c, 195, 8192, steps, 4096);
    int same = n == 7 && train_eval_count(&c, 195, 8192) == 7;
    for (int64_t i = 0; same && i < n; i++)
        same = steps[i] == want[i];
    check(same, "195 steps: 7 log-spaced evaluations at 2, 5, 10, 20, 43, 92, 195 (%lld)",
          (long long)n);

    /* a long run makes its 10, a constant ratio apart */
    c.tokens = 100000LL * 1024;
    n = eval_steps(&c, 100000, 8192, steps, 4096);
    const int64_t decades[] = {3, 10, 32, 100, 316, 1000, 3162, 10000, 31623, 100000};
    int even_in_log = n == 10;
    for (int64_t i = 0; even_in_log && i < n; i++)
        even_in_log = steps[i] == decades[i];
    check(even_in_log, "100000 steps: 10 evaluations at round(10^(k/2))");

    /* with patience (spacing auto) they are evenly spaced: early stopping compares them */
    c.patience = 3;
    n = eval_steps(&c, 100000, 8192, steps, 4096);
    int evenly = n == 10;
    for (int64_t i = 0; evenly && i < n; i++)
        evenly = steps[i] == 10000 * (i + 1);
    check(evenly, "with patience: every 10000 steps (%lld evaluations)", (long long)n);
    c.patience = 0;

    /* eval_interval: every K steps and the last, with no budget */
    c.eval_interval = 30;
    n = eval_steps(&c, 100, 1 << 20, steps, 4096);
    check(n == 4 && steps[0] == 30 && steps[2] == 90 && steps[3] == 100 &&
              train_eval_count(&c, 100, 1 << 20) == 4,
          "eval_interval 30 of 100 steps: 30, 60, 90, 100");
    c.eval_interval = 0;

    /* the budget holds wherever more than the last evaluation is made, for any spacing, and
     * the count matches the steps made */
    rng_state rng;
    rng_seed(&rng, 11, 0);
    int within = 1, counted = 1;
    for (int trial = 0; trial < 2000; trial++) {
        c.batch = 1 + (int)rng_below(&rng, 32);
        c.model.n_ctx = 16 << rng_below(&rng, 4);
        int64_t total = 1 + (int64_t)rng_below(&rng, trial % 2 ? 3000 : 40);
        c.tokens = total * c.batch * c.model.n_ctx;
        c.evaluations = 1 + (int64_t)rng_below(&rng, 40);
        c.eval_spacing = (int)rng_below(&rng, TRAIN_EVAL_SPACINGS);
        c.eval_budget = 0.01 + 0.3 * rng_uniform(&rng);
        int64_t eval_tokens = c.model.n_ctx * (1 + (int64_t)rng_below(&rng, 512));
        int64_t made = eval_steps(&c, total, eval_tokens, steps, 4096);
        counted &= made == train_eval_count(&c, total, eval_tokens) && made >= 1 &&
                   made <= c.evaluations && steps[made - 1] == total;
        double eval_flops = (double)made * net_flops_per_token_forward(&c.model) * eval_tokens;
        double train_flops = net_flops_per_token(&c.model) * (double)c.tokens;
        within &= made == 1 || eval_flops <= c.eval_budget * train_flops * (1 + 1e-12);
    }
    check(counted, "train_eval_count is the number of steps train_eval_next visits");
    check(within, "evaluation stays within eval_budget of the training FLOPs");

    /* a run too short for its budget still evaluates at its end */
    c = small_config();
    c.eval_interval = 0;
    c.tokens = 3 * 4 * 32;
    c.eval_tokens = 1 << 20;
    check(train_eval_count(&c, 3, 1 << 20) == 1 && train_eval_next(&c, 3, 1 << 20, 0) == 3,
          "over budget: one evaluation, at the last step");
}

/* The lean forward of evaluation against the training forward, window by window, and the
 * held-out windows spread over the whole test text. */
static void test_lean_evaluation(const corpus *data, int architecture)
{
    train_config config = small_config_of(architecture);
    const char *name = net_architecture_names[architecture];
    config.eval_interval = 0;
    config.eval_tokens = 40 * 32; /* 40 windows of 32: groups of 16, 16 and 8 */
    char err[256];
    train_run run;
    if (train_run_init(&run, &config, data, err, sizeof err) != 0) {
        check(0, "init: %s", err);
        return;
    }
    for (int i = 0; i < 5; i++)
        train_run_step(&run);
    /* the windows: from the start of the test text to its end, evenly apart */
    const int64_t T = config.model.n_ctx, n = run.eval_windows, span = data->test_size - 1 - T;
    double total = 0.0, worst = 0.0;
    double *losses = malloc(sizeof(double) * (size_t)n);
    const uint8_t **starts = malloc(sizeof *starts * (size_t)n);
    for (int64_t w = 0; w < n; w++) {
        starts[w] = data->test + (int64_t)floor((double)w * (double)span / (double)(n - 1));
        double one = net_forward(&run.net, starts[w], starts[w] + 1, 1);
        total += one;
        losses[w] = one;
    }
    double evaluated = train_run_evaluate(&run);
    check(n == 40 && close_enough(evaluated, total / (double)n, 1e-5, 0),
          "%s: held-out loss %.7f is the mean of the training forward over 40 spread windows "
          "(%.7f)",
          name, evaluated, total / (double)n);
    /* the evaluation in uneven groups, on a network of the run's weights: each window's loss
     * as the training forward's, and the losses per position summing to the same total */
    net e;
    check(net_init(&e, &config.model, 1, 7) == 0, "evaluation of 7 windows allocated");
    memcpy(net_optim_params(&e).params, net_optim_params(&run.net).params,
           sizeof(float) * (size_t)e.num_params);
    double lean[7], *positions = calloc((size_t)T, sizeof(double));
    double *each = malloc(sizeof(double) * 7 * (size_t)T);
    for (int64_t w = 0; w < n; w += 7) {
        int k = (int)(n - w < 7 ? n - w : 7);
        net_evaluate(&e, starts + w, k, lean, each);
        for (int i = 0; i < k; i++)
            worst = fmax(worst, fabs(lean[i] - losses[w + i]) / losses[w + i]);
        for (int64_t i = 0; i < k * T; i++)
            positions[i % T] += each[i];
    }
    free(each);
    check(worst < 1e-5, "%s: evaluation in groups of 7 within %.1e of the training forward", name,
          worst);
    double by_position = 0.0;
    for (int64_t t = 0; t < T; t++)
        by_position += positions[t];
    check(close_enough(by_position / (double)(n * T), total / (double)n, 1e-5, 0),
          "%s: the losses per position sum to the mean (%.6f, %.6f)", name,
          by_position / (double)(n * T), total / (double)n);
    /* the run's own: each position's mean over the windows, as the groups of 7 gave them */
    double worst_position = 0.0, run_mean = 0.0;
    for (int64_t t = 0; t < T; t++) {
        worst_position = fmax(worst_position, fabs(run.position_loss[t] - positions[t] / n));
        run_mean += run.position_loss[t] / (double)T;
    }
    check(worst_position < 1e-4 && close_enough(run_mean, evaluated, 1e-5, 0),
          "%s: the run's loss at each position is the windows' mean there (within %.1e), and "
          "their mean its test loss (%.6f, %.6f)",
          name, worst_position, run_mean, evaluated);
    free(positions);
    net_free(&e);
    free(starts);
    free(losses);
    train_run_free(&run);
}

static void test_validation(const corpus *data)
{
    train_config c = small_config();
    c.unique_tokens = data->train_size + 1;
    check(train_config_error(&c, data) != NULL, "unique_tokens beyond the text refused");
    c = small_config();
    c.model.n_ctx = 8000;
    check(train_config_error(&c, data) != NULL, "a window longer than the held-out slice refused");
    c = small_config();
    c.lr = -1.0f;
    check(train_config_error(&c, data) != NULL, "negative lr refused");
    c = small_config();
    check(train_config_error(&c, data) == NULL, "a sane configuration is accepted");
}

/* ---- several sources ---- */

/* Three sources told apart by their letters: the toy text (lower case), its digits (each
 * letter as a digit) and its capitals; their held-out text alone holds '#' (for ' '). */
enum { KIND_LOWER, KIND_DIGIT, KIND_UPPER, KINDS };

static corpus make_source(int kind, uint64_t seed)
{
    corpus c = make_corpus(seed);
    uint8_t *parts[2] = {c.train, c.test};
    const int64_t sizes[2] = {c.train_size, c.test_size};
    for (int part = 0; part < 2; part++)
        for (int64_t i = 0; i < sizes[part]; i++) {
            uint8_t *b = &parts[part][i];
            if (*b >= 'a' && *b <= 'z')
                *b = kind == KIND_DIGIT   ? (uint8_t)('0' + (*b - 'a') % 10)
                     : kind == KIND_UPPER ? (uint8_t)(*b - 'a' + 'A')
                                          : *b;
            else if (*b == ' ' && part == 1)
                *b = '#';
        }
    return c;
}

/* The kind of the letters of a sequence, or -1 when it mixes them or has none. */
static int kind_of(const uint8_t *text, int64_t n)
{
    int kind = -1;
    for (int64_t i = 0; i < n; i++) {
        int k = text[i] >= 'a' && text[i] <= 'z'   ? KIND_LOWER
                : text[i] >= '0' && text[i] <= '9' ? KIND_DIGIT
                : text[i] >= 'A' && text[i] <= 'Z' ? KIND_UPPER
                                                   : -1;
        if (k < 0)
            continue;
        if (kind >= 0 && k != kind)
            return -1;
        kind = k;
    }
    return kind;
}

static train_config mixture_config(void)
{
    train_config c = small_config();
    c.n_sources = 3;
    c.mixture[0] = 0.5;
    c.mixture[1] = 0.3;
    c.mixture[2] = 0.2;
    c.tokens = 100 * 4 * 32; /* 100 steps of 4 sequences */
    c.eval_tokens = 20 * 32;
    return c;
}

static void test_mixture_sequence(void)
{
    /* the seeded sequence takes each source's share to within a few sequences, at any length */
    train_config c = mixture_config();
    const int64_t lengths[] = {100, 1000, 100000};
    int worst = 0;
    for (size_t l = 0; l < sizeof lengths / sizeof *lengths; l++) {
        int64_t counts[3] = {0, 0, 0};
        for (int64_t k = 0; k < lengths[l]; k++)
            counts[train_mixture_source(&c, k)]++;
        for (int i = 0; i < 3; i++) {
            int off = (int)llabs(counts[i] - llround(c.mixture[i] * (double)lengths[l]));
            worst = off > worst ? off : worst;
        }
    }
    check(worst <= 4,
          "over 100, 1,000 and 100,000 sequences each source's count is within 4 of "
          "its share (worst %d)",
          worst);
    /* a source of share 0 is never drawn, and the order depends on the seed */
    c.mixture[0] = 0.0;
    c.mixture[1] = 0.6;
    c.mixture[2] = 0.4;
    int drawn_zero = 0, differs = 0;
    train_config other = c;
    other.seed = c.seed + 1;
    for (int64_t k = 0; k < 10000; k++) {
        drawn_zero += train_mixture_source(&c, k) == 0;
        differs += train_mixture_source(&c, k) != train_mixture_source(&other, k);
    }
    check(drawn_zero == 0, "a source of share 0 is never trained on (%d draws)", drawn_zero);
    check(differs > 1000, "another seed draws another order (%d of 10,000 differ)", differs);
    /* with one source, every sequence is its */
    train_config one = small_config();
    int all_first = 1;
    for (int64_t k = 0; k < 1000; k++)
        all_first &= train_mixture_source(&one, k) == 0;
    check(all_first, "a run on one corpus draws from it alone");
}

static void test_mixture_run(void)
{
    corpus data[KINDS];
    for (int i = 0; i < KINDS; i++)
        data[i] = make_source(i, 11 + 2 * (uint64_t)i);
    train_config config = mixture_config();
    char err[256];
    train_run run;
    check(train_run_init(&run, &config, data, err, sizeof err) == 0, "mixture run: %s", err);
    /* the batches follow the shares, and no held-out byte is ever trained on */
    int64_t counts[KINDS] = {0, 0, 0}, unknown = 0, held_out = 0;
    const int64_t T = config.model.n_ctx;
    while (run.status == RUN_RUNNING) {
        train_run_step(&run);
        for (int b = 0; b < config.batch; b++) {
            const int kind = kind_of(run.inputs + b * T, T);
            if (kind < 0)
                unknown++;
            else
                counts[kind]++;
            for (int64_t t = 0; t < T; t++)
                held_out += run.inputs[b * T + t] == '#' || run.targets[b * T + t] == '#';
        }
    }
    const int64_t sequences = run.step * config.batch;
    check(run.status == RUN_OK && unknown == 0,
          "every sequence comes from one source (%lld do not)", (long long)unknown);
    for (int i = 0; i < KINDS; i++)
        check(llabs(counts[i] - llround(config.mixture[i] * (double)sequences)) <= 3,
              "source %d gave %lld of %lld sequences, its share %.1f to within 3", i,
              (long long)counts[i], (long long)sequences, config.mixture[i]);
    check(held_out == 0, "no held-out byte of any source is trained on (%lld are)",
          (long long)held_out);

    /* each source's loss is the mean of the training forward over its own spread windows,
     * and the run's test loss the shares of them */
    const curve_point *last = &run.curve[run.curve_len - 1];
    double mixture = 0.0;
    for (int i = 0; i < KINDS; i++) {
        const int64_t n = run.sources[i].eval_windows, span = data[i].test_size - 1 - T;
        double total = 0.0;
        for (int64_t w = 0; w < n; w++) {
            const uint8_t *start =
                data[i].test + (int64_t)floor((double)w * (double)span / (double)(n - 1));
            total += net_forward(&run.net, start, start + 1, 1);
        }
        check(n == 20 && close_enough(last->source_loss[i], total / (double)n, 1e-5, 0),
              "source %d: held-out loss %.6f is the mean over its 20 windows evaluated alone "
              "(%.6f)",
              i, last->source_loss[i], total / (double)n);
        mixture += config.mixture[i] * last->source_loss[i];
    }
    check(close_enough(last->test_loss, mixture, 1e-6, 0),
          "the run's test loss %.6f is the mixture's shares of its sources' (%.6f)",
          last->test_loss, mixture);
    /* the sources differ: each is scored on its own text */
    check(last->source_loss[0] != last->source_loss[1] &&
              last->source_loss[1] != last->source_loss[2],
          "the sources' losses differ (%.4f, %.4f, %.4f)", last->source_loss[0],
          last->source_loss[1], last->source_loss[2]);
    float final, best;
    int64_t best_step;
    train_curve_source(run.curve, run.curve_len, 1, &final, &best, &best_step);
    check(final == last->source_loss[1] && best <= final && best_step > 0,
          "a source's final and lowest loss over the curve (%.4f, %.4f at step %lld)", final, best,
          (long long)best_step);

    /* same seed, same bits; stopped and restored at several steps, the same bits */
    train_run again;
    train_run_init(&again, &config, data, err, sizeof err);
    run_to_end(&again);
    check(same_run_params(&run, &again) && same_run_curves(&run, &again),
          "a mixture run repeats bit for bit");
    train_run_free(&again);
    char path[] = "/tmp/scalesweep_test_mixture_XXXXXX";
    close(mkstemp(path));
    for (int64_t stop = 13; stop < 100; stop += 37)
        check_restore(&config, data, &run, stop, path);
    /* the checkpoint evaluated again, alone on each source (a run of that source only, with
       the checkpoint's weights): the losses the mixture run recorded */
    check(train_checkpoint_save(&run, path, err, sizeof err) == 0, "save: %s", err);
    train_run saved;
    check(train_checkpoint_load(&saved, path, data, &config, err, sizeof err) == 0, "load: %s",
          err);
    for (int i = 0; i < KINDS; i++) {
        train_config alone = config;
        alone.n_sources = 1;
        memset(alone.mixture, 0, sizeof alone.mixture);
        alone.mixture[0] = 1.0;
        train_run single;
        check(train_run_init(&single, &alone, &data[i], err, sizeof err) == 0, "alone: %s", err);
        memcpy(net_optim_params(&single.net).params, net_optim_params(&saved.net).params,
               sizeof(float) * (size_t)saved.net.num_params);
        const double loss = train_run_evaluate(&single);
        check(close_enough(loss, last->source_loss[i], 1e-5, 0),
              "the checkpoint evaluated on source %d alone: %.6f, as the run recorded (%.6f)", i,
              loss, last->source_loss[i]);
        train_run_free(&single);
    }
    train_run_free(&saved);
    /* a checkpoint of a run on one source is not continued on three */
    train_config single = small_config();
    train_run one;
    train_run_init(&one, &single, data, err, sizeof err);
    train_run_step(&one);
    check(train_checkpoint_save(&one, path, err, sizeof err) == 0, "save: %s", err);
    train_run_free(&one);
    check(train_checkpoint_load(&one, path, data, &config, err, sizeof err) != 0 &&
              strstr(err, "sources") != NULL,
          "a checkpoint of one source refused for a run of three: %s", err);
    remove(path);
    train_run_free(&run);

    /* data-limited: each source gives its share of unique_tokens */
    config.unique_tokens = 3000;
    check(train_source_pool(&config, 0, data[0].train_size) == 1500 &&
              train_source_pool(&config, 2, data[2].train_size) == 600,
          "unique_tokens shared by the mixture: 1500 and 600 bytes");
    config.unique_tokens = 0;
    /* the checks: shares that do not sum to 1, a negative share, too many sources */
    train_config bad = config;
    bad.mixture[0] = 0.6;
    check(train_config_error(&bad, data) != NULL, "shares summing to 1.1 refused");
    bad = config;
    bad.mixture[0] = -0.1;
    bad.mixture[1] = 0.9;
    check(train_config_error(&bad, data) != NULL, "a negative share refused");
    bad = config;
    bad.n_sources = TRAIN_MAX_SOURCES + 1;
    check(train_config_error(&bad, NULL) != NULL, "more than 32 sources refused");
    for (int i = 0; i < KINDS; i++)
        corpus_free(&data[i]);
}

/* The widths a batch allows and the blocks of shards they give (train.h). */
static void test_widths(void)
{
    static const struct {
        int batch, width, block, at_most;
    } table[] = {
        {16, 1, 16, 1}, {16, 2, 8, 2},  {16, 3, 8, 2},   {16, 4, 4, 4},   {16, 7, 4, 4},
        {16, 8, 2, 8},  {16, 15, 2, 8}, {16, 16, 1, 16}, {16, 64, 1, 16}, {12, 2, 8, 2},
        {12, 3, 4, 3},  {12, 5, 4, 3},  {12, 6, 2, 6},   {12, 11, 2, 6},  {12, 12, 1, 12},
        {6, 4, 2, 3},   {1, 1, 1, 1},   {1, 8, 1, 1},    {5, 2, 4, 2},    {5, 3, 2, 3},
        {5, 4, 2, 3},   {5, 5, 1, 5},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int b = table[i].batch, w = table[i].width;
        check(train_shards_per_member(b, w) == table[i].block,
              "batch %d on %d: %d shards per member, want %d", b, w, train_shards_per_member(b, w),
              table[i].block);
        check(train_width_at_most(b, w) == table[i].at_most,
              "batch %d: widest up to %d is %d, want %d", b, w, train_width_at_most(b, w),
              table[i].at_most);
    }
    /* every allowed width gives each member at least one shard */
    for (int b = 1; b <= 40; b++)
        for (int w = 1; w <= b; w++) {
            int allowed = train_width_at_most(b, w);
            int block = train_shards_per_member(b, allowed);
            check(allowed <= w && (b + block - 1) / block == allowed && (allowed - 1) * block < b,
                  "batch %d width %d: allowed %d, block %d", b, w, allowed, block);
        }
}

int main(void)
{
    test_widths();
    corpus data = make_corpus(1);
    for (int a = 0; a < MODEL_ARCHITECTURES; a++) {
        test_determinism_and_learning(&data, a);
        test_checkpoint(&data, a);
        test_lean_evaluation(&data, a);
    }
    test_divergence(&data);
    test_early_stopping(&data);
    test_schedule();
    test_eval_schedule();
    test_validation(&data);
    test_mixture_sequence();
    test_mixture_run();
    corpus_free(&data);
    return test_report("test_train");
}
