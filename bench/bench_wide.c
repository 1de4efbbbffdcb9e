/* One transformer run on one rank against the same run on two ranks (a wide run), side by
 * side on this machine: rounds alternate (1) rank 0 training alone while rank 1 sleeps,
 * (2) both ranks training a run each, independently: what two processes of this machine
 * reach at all, the ceiling, and (3) both ranks training one run together. Each figure is
 * tokens/s of the fastest step, best over the rounds (the machines are shared and noisy).
 * Also checks that (1) and (3) end with the same bits.
 *
 *   mpirun -n 2 build/bench/bench_wide CORPUS_DIR [--steps K] [--rounds R] [--shape L,C,H,T,B] */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas_core.h"
#include "clock.h"
#include "corpus.h"
#include "train.h"
#include "wide_group.h"

/* Waits at a barrier without spinning, so that a sleeping rank leaves its core alone. */
static void quiet_barrier(void)
{
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    for (int done = 0;;) {
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (done)
            return;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
}

/* Trains `steps` steps of a fresh run on comm (NULL: alone); the fastest step's seconds. */
static double train_steps(train_run *run, const train_config *c, const corpus *data, MPI_Comm comm,
                          int steps)
{
    char err[256];
    if (train_run_init(run, c, data, err, sizeof err) != 0) {
        fprintf(stderr, "bench_wide: %s\n", err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    wide_group g;
    if (comm != MPI_COMM_NULL) {
        wide_group_open(&g, comm, run->net.num_params);
        train_run_join(run, &g.group);
    }
    double best = 1e30;
    for (int s = 0; s < steps; s++) {
        double t = clock_seconds();
        train_run_step(run);
        t = clock_seconds() - t;
        best = t < best ? t : best;
    }
    if (comm != MPI_COMM_NULL) {
        train_run_join(run, NULL);
        wide_group_close(&g);
    }
    return best;
}

int main(int argc, char **argv)
{
    blas_core_correct(argv); /* before MPI_Init, as scalesweep does */
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int steps = 4, rounds = 4;
    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){4, 256, 4, 128, MODEL_TRANSFORMER};
    c.batch = 16;
    const char *corpus_dir = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--steps") == 0 && a + 1 < argc)
            steps = atoi(argv[++a]);
        else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc)
            rounds = atoi(argv[++a]);
        else if (strcmp(argv[a], "--shape") == 0 && a + 1 < argc)
            sscanf(argv[++a], "%d,%d,%d,%d,%d", &c.model.n_layer, &c.model.d_model, &c.model.n_head,
                   &c.model.n_ctx, &c.batch);
        else
            corpus_dir = argv[a];
    }
    if (size != 2 || !corpus_dir || steps < 1 || rounds < 1) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -n 2 bench_wide CORPUS_DIR [--steps K] [--rounds R] "
                            "[--shape L,C,H,T,B]\n");
        MPI_Finalize();
        return 2;
    }
    c.tokens = (int64_t)(steps + 1) * c.batch * c.model.n_ctx;
    c.eval_interval = 1000000; /* no evaluation but the last, which the steps never reach */
    c.eval_tokens = 4 * c.model.n_ctx;
    corpus data;
    char err[512];
    if (corpus_load(&data, corpus_dir, 0.1, err, sizeof err) != 0) {
        fprintf(stderr, "bench_wide: %s\n", err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    const double tokens = (double)c.batch * c.model.n_ctx;
    double alone = 0, pair = 0, wide = 0;
    int same = 1;
    for (int r = 0; r < rounds; r++) {
        train_run a, b;
        quiet_barrier();
        double t_alone = 0;
        if (rank == 0)
            t_alone = train_steps(&a, &c, &data, MPI_COMM_NULL, steps);
        quiet_barrier();
        double t_own = train_steps(&b, &c, &data, MPI_COMM_NULL, steps), t_other = 0;
        train_run_free(&b);
        MPI_Reduce(&t_own, &t_other, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        quiet_barrier();
        double t_wide = train_steps(&b, &c, &data, MPI_COMM_WORLD, steps);
        if (rank == 0) {
            const optim_params pa = net_optim_params(&a.net), pb = net_optim_params(&b.net);
            size_t bytes = sizeof(float) * (size_t)pa.num_params;
            same =
                same && memcmp(pa.params, pb.params, bytes) == 0 && memcmp(pa.v, pb.v, bytes) == 0;
            alone = tokens / t_alone > alone ? tokens / t_alone : alone;
            pair = 2 * tokens / t_other > pair ? 2 * tokens / t_other : pair;
            wide = tokens / t_wide > wide ? tokens / t_wide : wide;
            train_run_free(&a);
        }
        train_run_free(&b);
    }
    if (rank == 0) {
        printf("OpenBLAS core %s (%s)\n", blas_core_name(), blas_core_origin());
        printf("(%d,%d,%d,%d,%d), %d steps x %d rounds, tokens/s of the fastest step:\n",
               c.model.n_layer, c.model.d_model, c.model.n_head, c.model.n_ctx, c.batch, steps,
               rounds);
        printf("  one rank alone:                   %8.0f\n", alone);
        printf(
            "  two independent runs, summed:     %8.0f  (%.2fx: what two processes reach here)\n",
            pair, pair / alone);
        printf("  one run on two ranks:             %8.0f  (%.2fx one rank; target 1.8x: %s)\n",
               wide, wide / alone, wide / alone >= 1.8 ? "met" : "NOT met");
        printf("  one rank and two ranks end with the same weights and moments: %s\n",
               same ? "yes" : "NO");
    }
    corpus_free(&data);
    MPI_Finalize();
    return 0;
}
