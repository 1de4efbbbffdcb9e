/* An assertion that survives Release builds (CMake's Release defines NDEBUG, which turns
 * <assert.h> off), for invariants whose failure would corrupt results silently: the model
 * is never handed a batch larger than it was built for, a worker's result is the run it
 * was given. A failure names the file, line, function and condition on stderr, then
 * aborts (SIGABRT): in a sweep's worker it counts as a crash of its run; on rank 0 it
 * ends the job, and the next start repairs the results file and continues. */
#ifndef SCALESWEEP_ASSERTION_H
#define SCALESWEEP_ASSERTION_H

_Noreturn void assertion_failed(const char *condition, const char *file, int line,
                                const char *function);

#define SCALESWEEP_ASSERT(condition) \
    ((condition) ? (void)0 : assertion_failed(#condition, __FILE__, __LINE__, __func__))

#endif
