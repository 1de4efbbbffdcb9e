/* A wide run's group (train.h's train_group) over an MPI communicator of its members: the
 * shard tree's sum by point-to-point messages in the tree's own order (never MPI_Allreduce,
 * whose order of additions MPI leaves open), then a broadcast of the sum; losses by
 * MPI_Allgatherv; flags by MPI_Allreduce of MPI_BOR. A failed MPI call
 * ends the job (CHECK_MPI): a member cannot go on without the others. */
#ifndef SCALESWEEP_WIDE_GROUP_H
#define SCALESWEEP_WIDE_GROUP_H

#include <mpi.h>

#include "train.h"

typedef struct {
    train_group group; /* what the run sees; its context points here */
    MPI_Comm comm;
    float *received; /* a neighbour's node of the tree */
    int64_t received_n;
    int *counts, *displacements; /* for share */
} wide_group;

/* The group of comm's processes (rank and size are comm's), for tree sums of up to n_floats
 * (the run's parameter count). Returns 0, or -1 when out of memory. */
int wide_group_open(wide_group *g, MPI_Comm comm, int64_t n_floats);
void wide_group_close(wide_group *g);

#endif
