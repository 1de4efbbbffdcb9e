/* Worker speed: training steps per second of the four reference shapes, single thread,
 * side by side with a 1024^3 sgemm measured in the same run, and peak memory against
 * what parameters, optimiser state and activations need by count.
 *
 *   OPENBLAS_NUM_THREADS=1 build/bench/bench_worker [--seconds S] [--only K]... [--pytorch FILE]
 *
 * --only K measures the K-th shape only (repeatable); --pytorch FILE reads PyTorch's
 * tokens/s per shape as bench/torch_step.py prints them ("L,C,H,T,B tokens_per_second"),
 * measured just before by bench/worker.sh; without it, PyTorch's speed is estimated from
 * its share of the sgemm peak that the issue reports.
 *
 * Each configuration runs in a forked child, so that its peak RSS is its own.
 *
 * Then the LSTM (lstm.h): its training step (forward, backward, clipping, AdamW on a batch)
 * on three shapes against PyTorch's nn.LSTM at the same shapes ("lstm L,C,T,B tokens/s"
 * lines of the same file). */
#include <cblas.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blas_core.h"
#include "lstm.h"
#include "optim.h"
#include "rng.h"
#include "train.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Resident set size now, in bytes, from /proc/self/statm. */
static double rss_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages_total = 0, pages_resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
            pages_resident = 0;
        fclose(f);
    }
    return (double)pages_resident * (double)sysconf(_SC_PAGESIZE);
}

static double rss_peak(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss * 1024.0;
}

/* Best of several 1024^3 products, GFLOP/s. */
static double sgemm_peak(void)
{
    const int n = 1024;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) {
        a[i] = (float)(i % 17) * 0.01f;
        b[i] = (float)(i % 13) * 0.01f;
    }
    double best = 0.0;
    for (int rep = 0; rep < 6; rep++) {
        double t = now();
        /* c(n,n) = a(n,n) * b(n,n) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
                    0.0f, c, n);
        double gflops = 2.0 * n * n * n / (now() - t) / 1e9;
        best = gflops > best ? gflops : best;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

typedef struct {
    int n_layer, d_model, n_head, n_ctx, batch;
    double pytorch_fraction; /* PyTorch 1.13's share of the sgemm peak (the figures) */
    double target_pytorch;   /* x PyTorch's tokens/s wanted (0: none) */
    double target_peak;      /* and share of the sgemm peak wanted */
} bench_config;

typedef struct {
    double tokens_per_second;
    double peak_rss, baseline_rss, counted_bytes;
    double eval_lean, eval_training; /* held-out tokens/s: the lean forward, the training one */
} bench_result;

/* Best rate of rounds of at least 0.25 s within `seconds` of f(run), which does `work` tokens. */
static double best_rate(double seconds, double work, void (*f)(void *), void *run)
{
    double best = 0.0, start = now();
    while (now() - start < seconds) {
        int64_t calls = 0;
        double round_start = now(), elapsed = 0.0;
        while (elapsed < 0.25 || calls < 2) {
            f(run);
            calls++;
            elapsed = now() - round_start;
        }
        double rate = (double)calls * work / elapsed;
        best = rate > best ? rate : best;
    }
    return best;
}

static void lean_evaluation(void *run)
{
    train_run_evaluate(run);
}

/* The evaluation before the lean forward: the training forward, one window at a time, on
 * the same windows (the held-out text's start; placement does not change the cost). */
static void training_forward_evaluation(void *arg)
{
    train_run *run = arg;
    const int64_t T = run->config.model.n_ctx;
    for (int64_t w = 0; w < run->eval_windows; w++) {
        const uint8_t *start = run->data->test + w * T;
        net_forward(&run->net, start, start + 1, 1);
    }
}

static void run_config(const bench_config *b, double seconds, bench_result *out)
{
    corpus data;
    data.train_size = 4 << 20;
    data.test_size = 1 << 16;
    data.train = malloc((size_t)data.train_size);
    data.test = malloc((size_t)data.test_size);
    rng_state rng;
    rng_seed(&rng, 3, 0);
    for (int64_t i = 0; i < data.train_size; i++)
        data.train[i] = (uint8_t)(32 + rng_below(&rng, 90));
    for (int64_t i = 0; i < data.test_size; i++)
        data.test[i] = (uint8_t)(32 + rng_below(&rng, 90));

    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){b->n_layer, b->d_model, b->n_head, b->n_ctx, MODEL_TRANSFORMER};
    c.batch = b->batch;
    c.tokens = (int64_t)1e12; /* never reaches its end or an evaluation here */
    c.eval_interval = 1000000000;
    c.eval_tokens = 8192; /* the default slice */
    out->baseline_rss = rss_now();
    train_run run;
    char err[256];
    if (train_run_init(&run, &c, &data, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
    out->counted_bytes = 4.0 * (double)train_count_floats(&c) + (double)data.train_size +
                         (double)data.test_size + 4.0 * (double)run.sources[0].num_windows +
                         2.0 * (double)run.tokens_per_step;
    for (int i = 0; i < 2; i++)
        train_run_step(&run); /* warm up: page in every buffer */
    /* Rounds of at least 0.25 s; the best round counts, as for the sgemm peak: on a
     * shared machine the fastest round is the one least disturbed. */
    double best = 0.0, start = now();
    while (now() - start < seconds) {
        int64_t steps = 0;
        double round_start = now(), elapsed = 0.0;
        while (elapsed < 0.25 || steps < 2) {
            train_run_step(&run);
            steps++;
            elapsed = now() - round_start;
        }
        double rate = (double)steps * (double)run.tokens_per_step / elapsed;
        best = rate > best ? rate : best;
    }
    out->tokens_per_second = best;
    out->peak_rss = rss_peak();
    const double held_out = (double)(run.eval_windows * c.model.n_ctx);
    out->eval_lean = best_rate(seconds / 4, held_out, lean_evaluation, &run);
    out->eval_training = best_rate(seconds / 4, held_out, training_forward_evaluation, &run);
    train_run_free(&run);
    corpus_free(&data);
}

/* The reference shapes, PyTorch 1.13's share of the sgemm peak on each as issue 9 reports
 * it, and that targets: 3x PyTorch's tokens/s and 60% of the sgemm peak, 2x and 70%,
 * then 80% of the peak. */
static const bench_config configs[] = {
    {2, 64, 2, 64, 16, 0.22, 3.0, 0.60},
    {4, 128, 4, 128, 16, 0.36, 2.0, 0.70},
    {4, 256, 4, 128, 16, 0.53, 0.0, 0.80},
    {6, 384, 6, 256, 8, 0.55, 0.0, 0.80},
};

/* PyTorch's measured tokens/s for a shape from a torch_step.py output file, or 0: lines
 * "L,C,H,T,B tokens/s" for the transformer (lstm 0), "lstm L,C,T,B tokens/s" for nn.LSTM. */
static double pytorch_measured(const char *path, int lstm, int n_layer, int d_model, int n_head,
                               int n_ctx, int batch)
{
    if (!path)
        return 0.0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(2);
    }
    char line[256];
    double found = 0.0;
    while (fgets(line, sizeof line, f)) {
        int l, c, h = 0, t, b;
        double tps;
        const int match = lstm ? sscanf(line, "lstm %d,%d,%d,%d %lf", &l, &c, &t, &b, &tps) == 5
                               : sscanf(line, "%d,%d,%d,%d,%d %lf", &l, &c, &h, &t, &b, &tps) == 6;
        if (match && l == n_layer && c == d_model && (lstm || h == n_head) && t == n_ctx &&
            b == batch)
            found = tps;
    }
    fclose(f);
    return found;
}

/* The LSTM's training step on one batch, as train_run_step takes one for the transformer:
 * forward and backward over the batch, clipping, AdamW. */
typedef struct {
    lstm model;
    optim_config optim;
    uint8_t *tokens; /* (B T + 1) */
    int batch;
    int64_t step;
} lstm_bench;

static void lstm_step(void *arg)
{
    lstm_bench *b = arg;
    lstm_forward(&b->model, b->tokens, b->tokens + 1, b->batch);
    lstm_backward(&b->model);
    const optim_params p = lstm_optim_params(&b->model);
    optim_clip_gradients(&p, b->optim.grad_clip);
    optim_adamw_update(&p, &b->optim, b->optim.lr, ++b->step);
}

/* The LSTM shapes (L, C, T, B), N from 66k to 1.48M, as an architecture sweep uses them;
 * B = 1 is the shard the trainer steps (train.c: one sequence at a time, so that a run's
 * bits do not depend on its width), where the recurrent products are matrix-vector: at
 * C = 304 W_hh (4C x C floats, 1.5 MB) no longer fits a core's L2, and each step reads it. */
static const int lstm_configs[][4] = {{2, 64, 128, 16},  {2, 128, 128, 16}, {2, 256, 128, 16},
                                      {2, 304, 128, 16}, {2, 128, 128, 1},  {2, 256, 128, 1},
                                      {2, 304, 128, 1}};

static void lstm_table(double seconds, double peak, const char *pytorch_file)
{
    printf("\nThe LSTM (lstm.h), one training step (forward, backward, clipping, AdamW):\n");
    printf("%-18s %9s %10s %8s %9s %11s\n", "config (L,C,T,B)", "N", "tokens/s", "GFLOP/s",
           "of sgemm", "x PyTorch");
    for (size_t i = 0; i < sizeof lstm_configs / sizeof lstm_configs[0]; i++) {
        const int *k = lstm_configs[i];
        lstm_bench b = {.batch = k[3]};
        const lstm_config config = {k[0], k[1], k[2]};
        b.tokens = malloc((size_t)k[3] * (size_t)k[2] + 1);
        if (!b.tokens || lstm_init(&b.model, &config, k[3]) != 0) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
        rng_state rng;
        rng_seed(&rng, 3, 0);
        lstm_init_weights(&b.model, &rng);
        for (int64_t j = 0; j <= (int64_t)k[3] * k[2]; j++)
            b.tokens[j] = (uint8_t)(32 + rng_below(&rng, 90));
        b.optim = (optim_config){1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, 0, 1, 1.0f};
        lstm_step(&b); /* warm up */
        lstm_step(&b);
        const double tps = best_rate(seconds, (double)k[3] * k[2], lstm_step, &b);
        const double n = (double)lstm_count_nonembedding(&config);
        const double gflops = tps * 6.0 * n / 1e9;
        const double pytorch = pytorch_measured(pytorch_file, 1, k[0], k[1], 0, k[2], k[3]);
        char name[64], ratio[32] = "-";
        snprintf(name, sizeof name, "(%d,%d,%d,%d)", k[0], k[1], k[2], k[3]);
        if (pytorch > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", tps / pytorch);
        printf("%-18s %9.0f %10.0f %8.1f %8.1f%% %11s\n", name, n, tps, gflops,
               100.0 * gflops / peak, ratio);
        lstm_free(&b.model);
        free(b.tokens);
    }
    printf("LSTM FLOPs/token = 6N, N = L (8 C^2 + 8 C); x PyTorch against nn.LSTM at the same\n"
           "shape and one thread (bench/torch_step.py), - when it was not measured.\n");
}

int main(int argc, char **argv)
{
    blas_core_correct(argv); /* the kernels scalesweep trains with (blas_core.h) */
    double seconds = 8.0;
    const char *pytorch_file = NULL;
    unsigned only = 0; /* bit k set: measure shape k + 1 only */
    static const struct option longopts[] = {{"seconds", required_argument, NULL, 's'},
                                             {"only", required_argument, NULL, 'o'},
                                             {"pytorch", required_argument, NULL, 'p'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 's')
            seconds = atof(optarg);
        else if (opt == 'o' && atoi(optarg) >= 1 && atoi(optarg) <= 4)
            only |= 1u << (atoi(optarg) - 1);
        else if (opt == 'p')
            pytorch_file = optarg;
        else {
            fprintf(stderr, "usage: bench_worker [--seconds S] [--only K]... [--pytorch FILE]\n");
            return 2;
        }
    }
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    if (!threads || strcmp(threads, "1") != 0)
        fprintf(stderr, "bench: set OPENBLAS_NUM_THREADS=1 for single-thread figures\n");
    double peak = sgemm_peak();
    printf("OpenBLAS core %s (%s)\n", blas_core_name(), blas_core_origin());
    printf("sgemm 1024^3, one thread: %.1f GFLOP/s (the 100%% below)\n\n", peak);
    printf("%-22s %9s %10s %8s %9s %11s %11s %5s %9s %9s\n", "config (L,C,H,T,B)", "N", "tokens/s",
           "GFLOP/s", "of sgemm", "x PyTorch", "target", "met", "peak RSS", "RSS/need");
    bench_result results[sizeof configs / sizeof configs[0]];
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        if (only && !(only & (1u << i)))
            continue;
        const bench_config *b = &configs[i];
        int fds[2];
        if (pipe(fds) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            bench_result r;
            run_config(b, seconds, &r);
            if (write(fds[1], &r, sizeof r) != (ssize_t)sizeof r)
                _exit(1);
            _exit(0);
        }
        close(fds[1]);
        bench_result r;
        ssize_t got = read(fds[0], &r, sizeof r);
        close(fds[0]);
        int status;
        waitpid(pid, &status, 0);
        if (got != (ssize_t)sizeof r) {
            fprintf(stderr, "bench: config %zu failed\n", i);
            return 1;
        }
        model_config m = {b->n_layer, b->d_model, b->n_head, b->n_ctx, MODEL_TRANSFORMER};
        double flops_per_token = net_flops_per_token_attention(&m);
        double gflops = r.tokens_per_second * flops_per_token / 1e9;
        double pytorch_tps = pytorch_measured(pytorch_file, 0, b->n_layer, b->d_model, b->n_head,
                                              b->n_ctx, b->batch);
        int estimated = pytorch_tps <= 0.0;
        if (estimated)
            pytorch_tps = b->pytorch_fraction * peak * 1e9 / flops_per_token;
        double speedup = r.tokens_per_second / pytorch_tps;
        int met = speedup >= b->target_pytorch && gflops / peak >= b->target_peak;
        char name[64], target[32];
        snprintf(name, sizeof name, "(%d,%d,%d,%d,%d)", b->n_layer, b->d_model, b->n_head,
                 b->n_ctx, b->batch);
        if (b->target_pytorch > 0.0)
            snprintf(target, sizeof target, "%.0fx, %.0f%%", b->target_pytorch,
                     100 * b->target_peak);
        else
            snprintf(target, sizeof target, "%.0f%% peak", 100 * b->target_peak);
        results[i] = r;
        printf("%-22s %9lld %10.0f %8.1f %8.1f%% %9.2fx%s %11s %5s %7.0fMB %9.2f\n", name,
               (long long)net_count_nonembedding(&m), r.tokens_per_second, gflops,
               100.0 * gflops / peak, speedup, estimated ? "*" : " ", target, met ? "yes" : "NO",
               r.peak_rss / 1e6, (r.peak_rss - r.baseline_rss) / r.counted_bytes);
    }
    printf("\nEvaluation, 8192 held-out tokens in windows of n_ctx, tokens/s:\n");
    printf("%-22s %12s %16s %8s\n", "config (L,C,H,T,B)", "lean forward", "training forward",
           "ratio");
    for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
        if (only && !(only & (1u << i)))
            continue;
        const bench_config *b = &configs[i];
        char name[64];
        snprintf(name, sizeof name, "(%d,%d,%d,%d,%d)", b->n_layer, b->d_model, b->n_head, b->n_ctx,
                 b->batch);
        printf("%-22s %12.0f %16.0f %7.2fx\n", name, results[i].eval_lean, results[i].eval_training,
               results[i].eval_lean / results[i].eval_training);
    }
    printf("\ntokens/s: the best of rounds of >= 0.25 s, like the sgemm peak (best of 6).\n");
    printf("FLOPs/token = 6N + 6 n_layer n_ctx d_model. x PyTorch: against PyTorch's tokens/s\n"
           "measured by bench/torch_step.py just before (bench/worker.sh); * marks an estimate\n"
           "instead: the share of the sgemm peak the issue reports (22%%, 36%%, 53%%, 55%%).\n"
           "Target: x PyTorch and share of the sgemm peak, both to be met (issue 9).\n"
           "Evaluation: the lean forward (train_run_evaluate: no activations kept, up to 512\n"
           "positions per product) against the training forward, window by window.\n"
           "RSS/need = (peak RSS - RSS before the run) / bytes of parameters, gradients, AdamW\n"
           "moments, activations and scratch of one shard, the shard tree's sums and data by "
           "count.\n");
    if (!only)
        lstm_table(seconds, peak, pytorch_file);
    return 0;
}
