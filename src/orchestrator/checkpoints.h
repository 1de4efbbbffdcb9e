/* The checkpoint folder of a sweep, OUTPUT.checkpoints/ beside its results file:
 *   RUN_ID.ckpt      the latest checkpoint of a run in flight (the worker's format),
 *                    written by the worker, removed by rank 0 once the run's row is in
 *   RUN_ID.attempts  "COUNT STEP" while a start of the run is unaccounted for: COUNT
 *                    earlier starts crashed from this same checkpoint STEP (no progress).
 *                    Written when rank 0 hands the run out, removed when the run ends or
 *                    is cleanly interrupted; so if it is found, that start crashed.
 * Workers and rank 0 must see the same folder (one machine, or a shared file system:
 * the results file's folder). */
#ifndef SCALESWEEP_CHECKPOINTS_H
#define SCALESWEEP_CHECKPOINTS_H

#include <stddef.h>
#include <stdint.h>

/* A run that crashed this many times from the same checkpoint is failed, not retried. */
#define CHECKPOINTS_MAX_CRASHES 2

void checkpoints_path(const char *output, const char *run_id, const char *ending, char *path,
                      size_t length);
/* Creates the folder if needed. Returns 0, or -1 with err. */
int checkpoints_prepare(const char *output, char *err, size_t errlen);
/* Rank 0, before handing a run out: records this start. Returns how many starts in a row
 * crashed from the run's current checkpoint (0 on a first start, or once the checkpoint
 * has moved on since the last crash). */
int checkpoints_begin_attempt(const char *output, const char *run_id);
/* Rank 0, when a run ended or was cleanly interrupted: the start did not crash. */
void checkpoints_end_attempt(const char *output, const char *run_id);
/* Rank 0, once the run's row is in the results file: its checkpoint is no longer needed. */
void checkpoints_remove(const char *output, const char *run_id);
/* Removes the folder if nothing is left in it. */
void checkpoints_tidy(const char *output);

#endif
