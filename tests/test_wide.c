/* Wide runs under real MPI (mpirun -n 4, oversubscribed): a transformer run (and an LSTM
 * run, through the same trainer) trained by 1, 2, 3 and 4 processes gives the same bits (every curve point, every parameter and both AdamW
 * moments), including a batch that is not a power of two and a member with fewer shards
 * than the others; a run checkpointed at width 4 resumes at width 2 and at width 1 and ends
 * with the bits of a run never stopped.
 *
 *   mpirun --oversubscribe -n 4 test_wide SCRATCH_DIR */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "same_run.h"
#include "toy_corpus.h"
#include "train.h"
#include "wide_group.h"

static train_config config_of(int batch)
{
    train_config c;
    train_config_defaults(&c);
    c.model = (model_config){2, 32, 2, 32, MODEL_TRANSFORMER};
    c.batch = batch;
    c.tokens = 40 * batch * 32; /* 40 steps */
    c.lr = 3e-3f;
    c.eval_interval = 10;
    c.eval_tokens = 2048;
    c.seed = 11;
    return c;
}

static train_config lstm_config_of(int batch)
{
    train_config c = config_of(batch);
    c.model = (model_config){2, 32, 0, 32, MODEL_LSTM};
    return c;
}

/* Trains config on the members of comm (this process alone for MPI_COMM_SELF) up to step
 * `until` (0: to the end), from the checkpoint at `from` when given. */
static void train_on(train_run *run, const train_config *config, const corpus *data, MPI_Comm comm,
                     int64_t until, const char *from)
{
    char err[512];
    if (from)
        check(train_checkpoint_load(run, from, data, config, err, sizeof err) == 0, "load: %s",
              err);
    else
        check(train_run_init(run, config, data, err, sizeof err) == 0, "init: %s", err);
    if (run->status == RUN_INTERRUPTED)
        run->status = RUN_RUNNING;
    wide_group g;
    check(wide_group_open(&g, comm, run->net.num_params) == 0, "group");
    train_run_join(run, &g.group);
    while ((until == 0 || run->step < until) && train_run_step(run) == RUN_RUNNING) {
    }
    train_run_join(run, NULL);
    wide_group_close(&g);
}

/* The run alone, then on groups of `width` consecutive ranks (ranks beyond the last whole
 * group train alone): the same bits everywhere. */
static void test_width(const corpus *data, int batch, int width, const train_run *alone)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm comm;
    MPI_Comm_split(MPI_COMM_WORLD, rank / width, rank, &comm);
    int members;
    MPI_Comm_size(comm, &members);
    if (members != width) { /* the remainder: alone */
        MPI_Comm_free(&comm);
        MPI_Comm_dup(MPI_COMM_SELF, &comm);
        members = 1;
    }
    const train_config c = alone->config;
    const char *name = net_architecture_names[c.model.architecture];
    train_run run;
    train_on(&run, &c, data, comm, 0, NULL);
    check(run.status == RUN_OK && run.step == 40, "%s batch %d width %d: trained 40 steps", name,
          batch, members);
    check(same_run_bits(&run, alone), "%s batch %d on %d ranks: the same bits as alone (rank %d)",
          name, batch, members, rank);
    train_run_free(&run);
    MPI_Comm_free(&comm);
}

/* Checkpointed by a width-4 run at step 17, continued at width 2 (ranks 0-1, 2-3) and at width 1. */
static void test_checkpoint_across_widths(const corpus *data, const char *dir,
                                          const train_run *alone)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    train_config c = config_of(8);
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/wide.ckpt", dir);
    train_run run;
    train_on(&run, &c, data, MPI_COMM_WORLD, 17, NULL);
    check(run.step == 17, "stopped at step 17");
    if (rank == 0)
        check(train_checkpoint_save(&run, path, err, sizeof err) == 0, "save: %s", err);
    train_run_free(&run);
    MPI_Barrier(MPI_COMM_WORLD);

    MPI_Comm pairs;
    MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, &pairs);
    train_on(&run, &c, data, pairs, 0, path);
    check(same_run_bits(&run, alone), "checkpointed at width 4, resumed at width 2: the same bits");
    train_run_free(&run);
    MPI_Comm_free(&pairs);

    train_on(&run, &c, data, MPI_COMM_SELF, 0, path);
    check(same_run_bits(&run, alone), "checkpointed at width 4, resumed alone: the same bits");
    train_run_free(&run);
}

/* A run on two sources (its sequences drawn by their shares, each scored on its own held-out
 * windows) gives the same bits at widths 1, 2 and 4. */
static void test_mixture_widths(const corpus *one)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    corpus data[2] = {*one, make_corpus(8)};
    train_config c = config_of(8);
    c.n_sources = 2;
    c.mixture[0] = 0.7;
    c.mixture[1] = 0.3;
    train_run alone, run;
    train_on(&alone, &c, data, MPI_COMM_SELF, 0, NULL);
    check(alone.status == RUN_OK && alone.curve[3].source_loss[1] > 0.0f &&
              alone.curve[3].source_loss[0] != alone.curve[3].source_loss[1],
          "a run on two sources scores each (%.4f, %.4f)", alone.curve[3].source_loss[0],
          alone.curve[3].source_loss[1]);
    MPI_Comm pairs;
    MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, &pairs);
    train_on(&run, &c, data, pairs, 0, NULL);
    check(same_run_bits(&run, &alone), "two sources on 2 ranks: the same bits as alone");
    train_run_free(&run);
    MPI_Comm_free(&pairs);
    train_on(&run, &c, data, MPI_COMM_WORLD, 0, NULL);
    check(same_run_bits(&run, &alone), "two sources on 4 ranks: the same bits as alone");
    train_run_free(&run);
    train_run_free(&alone);
    corpus_free(&data[1]);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 4 || argc != 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpirun -n 4 test_wide SCRATCH_DIR\n");
        MPI_Finalize();
        return 2;
    }
    corpus data = make_corpus(3);

    train_config c8 = config_of(8), c6 = config_of(6);
    train_run alone8, alone6;
    train_on(&alone8, &c8, &data, MPI_COMM_SELF, 0, NULL);
    train_on(&alone6, &c6, &data, MPI_COMM_SELF, 0, NULL);
    check(alone8.status == RUN_OK && alone8.curve_len == 4 &&
              alone8.curve[3].test_loss < alone8.curve[0].test_loss - 0.2f,
          "the run alone learns: %.3f -> %.3f", alone8.curve[0].test_loss,
          alone8.curve[alone8.curve_len - 1].test_loss);

    test_width(&data, 8, 2, &alone8);
    test_width(&data, 8, 4, &alone8);
    test_width(&data, 6, 2, &alone6); /* blocks of 4 and 2 shards */
    test_width(&data, 6, 3, &alone6); /* ranks 0-2 together, rank 3 alone */
    test_checkpoint_across_widths(&data, argv[1], &alone8);
    test_mixture_widths(&data);
    /* the LSTM through the same trainer: its shards summed in the same tree */
    train_config l8 = lstm_config_of(8);
    train_run lstm8;
    train_on(&lstm8, &l8, &data, MPI_COMM_SELF, 0, NULL);
    check(lstm8.status == RUN_OK && lstm8.curve[3].test_loss < lstm8.curve[0].test_loss - 0.2f,
          "the LSTM alone learns: %.3f -> %.3f", lstm8.curve[0].test_loss,
          lstm8.curve[lstm8.curve_len - 1].test_loss);
    test_width(&data, 8, 2, &lstm8);
    test_width(&data, 8, 4, &lstm8);
    train_run_free(&lstm8);

    train_run_free(&alone8);
    train_run_free(&alone6);
    corpus_free(&data);
    int failed = checks_failed, total_failed = 0, passed = checks_passed, total_passed = 0;
    MPI_Reduce(&failed, &total_failed, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&passed, &total_passed, 1, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    if (rank != 0)
        return failed != 0;
    checks_failed = total_failed;
    checks_passed = total_passed;
    return test_report("test_wide (4 ranks)");
}
