/* A sweep's state as its progress line shows it: runs done of the total, failed, diverged,
 * the runs under way with their step and speed, the time so far and the ETA. One function
 * formats that line, for the sweep's own line (progress.h) and for `scalesweep status`
 * (status.c); the sidecar file OUTPUT.progress carries the state from the one to the other.
 *
 * The sidecar is text, one "key value" a line (docs/results.md):
 *     scalesweep progress 1
 *     written 1715000000.250     the wall clock (seconds since 1970) when it was written
 *     elapsed 62.1               seconds since the sweep started
 *     eta 130.2                  seconds until its last run ends ("nan": not known yet)
 *     done 5                     runs of the plan in the results file (with those there before)
 *     total 20
 *     failed 0
 *     diverged 0
 *     running 2
 *     run 1a2b3c4d5e6f7a8b 1200 4000 3100.5     each run under way: step, of total, tokens/s
 * Rank 0 writes it whole to OUTPUT.progress.tmp and renames it over the old one, so that a
 * reader sees one or the other, never half of one. */
#ifndef SCALESWEEP_PROGRESS_STATE_H
#define SCALESWEEP_PROGRESS_STATE_H

#include <stddef.h>
#include <stdint.h>

/* A run under way. */
typedef struct {
    char run_id[17];
    int64_t step, total_steps; /* total_steps 0: it has not reported yet */
    double tokens_per_second;
} progress_run;

typedef struct {
    int64_t done, total, failed, diverged;
    int64_t running;    /* runs under way */
    progress_run *runs; /* (n_runs) those of them known, in the order they started */
    int64_t n_runs;
    int live;       /* a sweep is running: the runs under way, elapsed and ETA shown */
    double elapsed; /* seconds */
    double eta;     /* seconds; NaN: not known yet */
} progress_state;

/* The runs under way a line shows at most; the others are "+k more". */
#define PROGRESS_LINE_RUNS 4

/* The state line, without a program prefix:
 *   5/20 done, 2 running (1a2b3c4d 1200/4000 steps 3.1k tok/s, 5e6f7a8b starting), 0 failed,
 *   0 diverged, elapsed 1m02s, ETA 2m10s
 * (one line; a run by the first 8 digits of its id). width > 0: at most that many
 * characters (a terminal's status line): when the line is longer, without the counts of
 * failed and diverged runs that are 0, the elapsed time and " steps", then with fewer
 * runs; 0: no limit. */
void progress_format(const progress_state *s, size_t width, char *out, size_t size);
/* 2h05m, 3m07s, 42s; "?" for a time not known. */
void progress_format_duration(char *out, size_t size, double seconds);

/* The sidecar of a results file: its one name (paths_one_name: links resolved, as for its
 * lock) with ".progress". malloc'd; NULL with err. */
char *progress_sidecar_path(const char *output, char *err, size_t errlen);
/* Writes the state into the sidecar, atomically (above). 0, or -1 with err. */
int progress_sidecar_write(const char *path, const progress_state *s, char *err, size_t errlen);
/* Reads a sidecar: the state (live, runs malloc'd: progress_sidecar_free) and *age, the
 * seconds since it was written (0 if the writer's clock is ahead). 0, or -1 with err when it
 * is missing or not a sidecar. */
int progress_sidecar_read(const char *path, progress_state *s, double *age, char *err,
                          size_t errlen);
void progress_sidecar_free(progress_state *s);

#endif
