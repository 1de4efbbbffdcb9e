/* Numbers as people write them in plans and on command lines: 1000000, 1e6, 1M, 2.5k. */
#ifndef SCALESWEEP_UNITS_H
#define SCALESWEEP_UNITS_H

#include <stdint.h>

/* A non-negative whole count with an optional suffix k (1e3), M (1e6), G or B (1e9),
 * T (1e12), or in exponent form (1e6). The whole string must be a count.
 * Returns 0, or -1 if it is not one (including fractions such as 1.5 and overflow). */
int units_parse_count(const char *text, int64_t *value);
/* A finite real number, with the same optional suffixes. Returns 0 or -1. */
int units_parse_real(const char *text, double *value);

#endif
