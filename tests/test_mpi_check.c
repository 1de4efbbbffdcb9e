/* The MPI checks of the sweep (src/orchestrator/mpi_check.h) on a real failing call: with
 * MPI_ERRORS_RETURN set, as sweep_cli.c sets it, a send to a rank that does not exist
 * returns its error, and TRY_MPI turns it into -1 and one line naming the call, this
 * file and line, the rank and MPI's reason; a call that succeeds gives 0 and says nothing.
 *
 *   test_mpi_check           the TRY_MPI checks (ends with "N passed, M failed")
 *   test_mpi_check abort     CHECK_MPI on the failing call: the line, then the job ends */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mpi_check.h"

int main(int argc, char **argv)
{
    CHECK_MPI(MPI_Init(&argc, &argv));
    CHECK_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    int size = 0;
    CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size));
    const int missing = size + 7; /* no such rank */
    if (argc > 1 && strcmp(argv[1], "abort") == 0) {
        CHECK_MPI(MPI_Send(NULL, 0, MPI_BYTE, missing, 1, MPI_COMM_WORLD));
        printf("test_mpi_check: CHECK_MPI returned after a failed call\n");
        return 1;
    }

    /* what TRY_MPI prints goes to a file here, to be read back */
    char path[64];
    snprintf(path, sizeof path, "/tmp/scalesweep_test_mpi_check_%ld.txt", (long)getpid());
    fflush(stderr);
    FILE *saved = fdopen(dup(fileno(stderr)), "w");
    if (!freopen(path, "w", stderr)) {
        fprintf(saved, "test_mpi_check: cannot write %s\n", path);
        return 2;
    }
    const int line = __LINE__ + 1;
    int failed_call = TRY_MPI(MPI_Send(NULL, 0, MPI_BYTE, missing, 1, MPI_COMM_WORLD));
    int good_call = TRY_MPI(MPI_Barrier(MPI_COMM_WORLD));
    fflush(stderr);
    char text[2048] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    unlink(path);
    dup2(fileno(saved), fileno(stderr));

    check(failed_call == -1, "a send to a missing rank: TRY_MPI gives -1 (got %d)", failed_call);
    check(good_call == 0, "a barrier: TRY_MPI gives 0 (got %d)", good_call);
    char where[128];
    snprintf(where, sizeof where, "rank 0: %s:%d: MPI_Send(NULL, 0, MPI_BYTE, missing, 1, "
             "MPI_COMM_WORLD) failed: ", __FILE__, line);
    check(strstr(text, where) != NULL, "the line names rank, file, line and call: %s", text);
    char reason[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(MPI_ERR_RANK, reason, &length);
    check(strstr(text, reason) != NULL, "the line gives MPI's reason (%s): %s", reason, text);
    check(strchr(text, '\n') == strrchr(text, '\n'), "one line for the one failure: %s", text);
    fclose(saved);
    CHECK_MPI(MPI_Finalize());
    return test_report("test_mpi_check");
}
