/* The checkpoint folder of a sweep, OUTPUT.checkpoints/ beside its results file:
 *   RUN_ID.ckpt      the latest checkpoint of a run in flight (the worker's format),
 *                    written by the worker, removed by rank 0 once the run's row is in
 *   RUN_ID.crashes   one line per crash of a worker while it trained the run (a fatal
 *                    signal of its own: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT), written
 *                    by the dying worker. A sweep killed from outside (SIGKILL, a node
 *                    lost) writes none: only a run that crashes its worker counts.
 * Workers and rank 0 must see the same folder (one machine, or a shared file system:
 * the results file's folder). */
#ifndef SCALESWEEP_CHECKPOINT_FOLDER_H
#define SCALESWEEP_CHECKPOINT_FOLDER_H

#include <stddef.h>
#include <stdint.h>

/* A run that crashed its worker this many times is failed, not retried. */
#define CHECKPOINT_FOLDER_MAX_CRASHES 2

void checkpoint_folder_path(const char *output, const char *run_id, const char *ending, char *path,
                            size_t length);
/* Creates the folder if needed. Returns 0, or -1 with err. */
int checkpoint_folder_prepare(const char *output, char *err, size_t errlen);
/* How many times the run has crashed its worker. */
int checkpoint_folder_crashes(const char *output, const char *run_id);
/* Worker: from now until the next call, a fatal signal of this process appends a line to
 * the run's crash file before the process dies (run_id NULL: no run in flight). */
void checkpoint_folder_watch_crashes(const char *output, const char *run_id);
/* Rank 0, once the run's row is in the results file: its checkpoint and crash count are
 * no longer needed. */
void checkpoint_folder_remove(const char *output, const char *run_id);
/* Removes the folder if nothing is left in it. */
void checkpoint_folder_tidy(const char *output);

#endif
