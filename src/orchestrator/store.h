/* The HDF5 results file's writer. Rank 0 is its only writer. The layout, its columns and
 * its schema version are src/results/results_schema.h's; docs/results.md documents them.
 *
 * A run's curve is appended and flushed first, then its row, then flushed again: the
 * row is the commit record, so a crash never leaves a row without its curve, and a
 * curve without a row is ignored (and overwritten on resume).
 *
 * While a store is open, PATH.lock beside the file (PATH its one name: links resolved)
 * holds an flock: a second writer is
 * refused, and a writer that died leaves no lock, so its file is recovered on the next
 * open. */
#ifndef SCALESWEEP_STORE_H
#define SCALESWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "results_schema.h"
#include "train.h"

typedef struct store store;

/* The BLAS of rank 0 of the sweep that creates the file: the root attributes blas_core,
 * blas_config and sgemm_gflops (results_schema.h). */
typedef struct {
    const char *core, *config;
    double sgemm_gflops;
} store_blas;

/* Creates the file, or opens an existing one to resume. sources (n_sources, at least one)
 * are what every run is scored on, in order: a new file gets them as /sources, and an
 * existing one must hold the same names in the same order (even with force). An existing file whose
 * plan_hash differs is refused (err names both hashes) unless force is set, which
 * records the new plan's text, hash and command line in the file. A file left open by
 * a writer that died is recovered with every committed row. blas (NULL: none) is written
 * to the root of a file it creates. Starts SWMR writing.
 * Returns NULL with err on failure; a refused file is left byte for byte as it was.
 * Turns HDF5's automatic error printing off: the store reports errors itself. */
store *store_open(const char *path, const char *plan_text, uint64_t plan_hash,
                  const char *command_line, const char *version, const store_blas *blas,
                  const results_source *sources, int n_sources, int force, char *err,
                  size_t errlen);
/* Number of rows in /runs, and whether a run id is among them. */
int64_t store_count(const store *s);
int store_has_run(const store *s, const char *run_id);
/* Appends the curve, each source's curve (source_loss of every point) and each source's final
 * and lowest loss, flushes, appends the row (filling curve_offset and curve_length, also in
 * *row), flushes. A run id already in the file, or a run id or config id that is
 * not 16 lowercase hex digits, is refused. Returns 0 or -1 with err (and HDF5's error
 * stack on stderr). */
int store_append(store *s, results_run *row, const curve_point *points, int64_t n_points, char *err,
                 size_t errlen);
void store_close(store *s);

#endif
