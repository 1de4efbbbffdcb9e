#include "wide_group.h"

#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "mpi_check.h"

/* Messages of at most this many elements: MPI counts are ints. */
#define PIECE ((int64_t)1 << 28)
_Static_assert(TRAIN_MAX_EVAL_WINDOWS <= PIECE, "an evaluation's windows do not fit one share");

static void send_floats(const float *values, int64_t n, int to, MPI_Comm comm)
{
    for (int64_t at = 0; at < n; at += PIECE) {
        int count = (int)(n - at < PIECE ? n - at : PIECE);
        CHECK_MPI(MPI_Send(values + at, count, MPI_FLOAT, to, 0, comm));
    }
}

static void receive_floats(float *values, int64_t n, int from, MPI_Comm comm)
{
    for (int64_t at = 0; at < n; at += PIECE) {
        int count = (int)(n - at < PIECE ? n - at : PIECE);
        CHECK_MPI(MPI_Recv(values + at, count, MPI_FLOAT, from, 0, comm, MPI_STATUS_IGNORE));
    }
}

/* The tree over the members' nodes: at step s = 1, 2, 4, ... member r (r a multiple of 2s)
 * adds the node of r + s to its own, pairs of neighbours level by level with an odd last
 * one carried up, as within a member's block (train.c). */
static void tree_sum(train_group *tg, float *values, int64_t n)
{
    wide_group *g = tg->context;
    const int rank = tg->rank, size = tg->size;
    for (int step = 1; step < size; step *= 2) {
        if (rank % (2 * step) != 0) {
            send_floats(values, n, rank - step, g->comm);
            break;
        }
        if (rank + step >= size)
            continue;
        SCALESWEEP_ASSERT(n <= g->received_n);
        receive_floats(g->received, n, rank + step, g->comm);
        train_tree_add(values, g->received, n);
    }
    for (int64_t at = 0; at < n; at += PIECE) {
        int count = (int)(n - at < PIECE ? n - at : PIECE);
        CHECK_MPI(MPI_Bcast(values + at, count, MPI_FLOAT, 0, g->comm));
    }
}

static void share(train_group *tg, double *values, int64_t n, int64_t chunk)
{
    wide_group *g = tg->context;
    SCALESWEEP_ASSERT(n <= PIECE);
    for (int m = 0; m < tg->size; m++) {
        int64_t first, count;
        train_slice(n, chunk, m, &first, &count);
        g->displacements[m] = (int)first;
        g->counts[m] = (int)count;
    }
    CHECK_MPI(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, g->counts,
                             g->displacements, MPI_DOUBLE, g->comm));
}

static int either(train_group *tg, int flags)
{
    wide_group *g = tg->context;
    int result = 0;
    CHECK_MPI(MPI_Allreduce(&flags, &result, 1, MPI_INT, MPI_BOR, g->comm));
    return result;
}

static int same(train_group *tg, int64_t value)
{
    wide_group *g = tg->context;
    int64_t low = 0, high = 0;
    CHECK_MPI(MPI_Allreduce(&value, &low, 1, MPI_INT64_T, MPI_MIN, g->comm));
    CHECK_MPI(MPI_Allreduce(&value, &high, 1, MPI_INT64_T, MPI_MAX, g->comm));
    return low == high;
}

int wide_group_open(wide_group *g, MPI_Comm comm, int64_t n_floats)
{
    memset(g, 0, sizeof *g);
    g->comm = comm;
    CHECK_MPI(MPI_Comm_rank(comm, &g->group.rank));
    CHECK_MPI(MPI_Comm_size(comm, &g->group.size));
    g->group.tree_sum = tree_sum;
    g->group.share = share;
    g->group.either = either;
    g->group.same = same;
    g->group.context = g;
    g->counts = malloc(sizeof *g->counts * (size_t)g->group.size);
    g->displacements = malloc(sizeof *g->displacements * (size_t)g->group.size);
    g->received_n = g->group.size > 1 ? n_floats : 0;
    g->received = malloc(sizeof(float) * (size_t)(g->received_n > 0 ? g->received_n : 1));
    if (!g->counts || !g->displacements || !g->received) {
        wide_group_close(g);
        return -1;
    }
    return 0;
}

void wide_group_close(wide_group *g)
{
    free(g->received);
    free(g->counts);
    free(g->displacements);
    memset(g, 0, sizeof *g);
}
