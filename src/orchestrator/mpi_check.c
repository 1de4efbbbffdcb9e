#include "mpi_check.h"

#include <stdio.h>
#include <stdlib.h>

#include "exit_status.h"

int mpi_report(int code, const char *call, const char *file, int line)
{
    if (code == MPI_SUCCESS)
        return 0;
    char why[MPI_MAX_ERROR_STRING] = "unknown MPI error";
    int length = 0;
    if (MPI_Error_string(code, why, &length) != MPI_SUCCESS)
        snprintf(why, sizeof why, "MPI error %d", code);
    int rank = -1, initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized)
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fprintf(stderr, "scalesweep: rank %d: %s:%d: %s failed: %s\n", rank, file, line, call, why);
    fflush(stderr);
    return -1;
}

_Noreturn void mpi_abort_job(void)
{
    /* MPI_Abort is for the time between MPI_Init and MPI_Finalize only */
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized)
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILED);
    /* MPI_Abort does not return; should an implementation's return, end this rank */
    exit(EXIT_FAILED);
}
