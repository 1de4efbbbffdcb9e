/* libFuzzer target: the CSV reader of `scalesweep fit --csv` on any bytes. Every input is
 * read or refused without a crash, a leak or undefined behaviour; a row it accepts holds
 * numbers every law can take the logarithm of (N, D positive and finite, C = 6ND too). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "assertion.h"
#include "fit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    fit_observation *rows = NULL;
    int64_t n = 0;
    char err[1024];
    if (fit_read_csv_stream(f, "fuzz.csv", &rows, &n, err, sizeof err) == 0) {
        for (int64_t i = 0; i < n; i++) {
            const fit_observation *o = &rows[i];
            SCALESWEEP_ASSERT(isfinite(o->n_params) && o->n_params > 0.0);
            SCALESWEEP_ASSERT(isfinite(o->tokens) && o->tokens > 0.0);
            SCALESWEEP_ASSERT(isnan(o->loss) || (isfinite(o->loss) && o->loss > 0.0));
            SCALESWEEP_ASSERT(o->flops == 0.0 || (isfinite(o->flops) && o->flops > 0.0));
        }
        free(rows);
    }
    return 0;
}
