/* Every MPI call of the sweep is checked. MPI_ERRORS_RETURN is set on MPI_COMM_WORLD right
 * after MPI_Init (sweep_cli.c), so that a failed call returns its error code instead of
 * aborting inside MPI; these turn the code into one line that names the call, the file,
 * the line, the rank and MPI's own error string (IOR's MPI_CHECK is the model):
 *
 *   TRY_MPI(call)    0, or -1 after the line: for a caller that has something to save
 *                    first (rank 0 closes the results file, then aborts the job)
 *   CHECK_MPI(call)  after the line, aborts the whole job (MPI_Abort of MPI_COMM_WORLD):
 *                    for ranks that hold nothing a clean exit could keep */
#ifndef SCALESWEEP_MPI_CHECK_H
#define SCALESWEEP_MPI_CHECK_H

#include <mpi.h>

/* 0 for MPI_SUCCESS; else prints "scalesweep: rank R: FILE:LINE: CALL failed: WHY" on
 * stderr and returns -1. */
int mpi_report(int code, const char *call, const char *file, int line);
/* Ends the job with EXIT_FAILED: every rank stops. */
_Noreturn void mpi_abort_job(void);

#define TRY_MPI(call) mpi_report((call), #call, __FILE__, __LINE__)
#define CHECK_MPI(call)                                                                            \
    do {                                                                                           \
        if (mpi_report((call), #call, __FILE__, __LINE__) != 0)                                    \
            mpi_abort_job();                                                                       \
    } while (0)

#endif
