/* Numbers as people write and read them: the one parser of numbers in plans, on command
 * lines and in CSV files (1000000, 1e6, 1M, 2.5k), and counts printed with their digits
 * grouped (1,234,567). */
#ifndef SCALESWEEP_UNITS_H
#define SCALESWEEP_UNITS_H

#include <stdint.h>

/* A non-negative whole count with an optional suffix k or K (1e3), M (1e6), G or B (1e9),
 * T (1e12), or in exponent form (1e6). The whole string must be a count: plain digits up to
 * 9e18, a suffix or exponent form up to 2^53 (what a double holds exactly). Returns 0, or
 * -1 if it is not one (including fractions such as 1.5 and overflow). */
int units_parse_count(const char *text, int64_t *value);
/* A finite real number, with the same optional suffixes. Returns 0 or -1. */
int units_parse_real(const char *text, double *value);
/* A value read from data (a cell of a CSV file): a real as units_parse_real takes it, or
 * nan, inf or -inf (any case) for a measurement that gave no finite number, which the
 * caller then weighs (the fit leaves such a row out and counts it). Returns 0 or -1. */
int units_parse_measurement(const char *text, double *value);

/* 1234567 -> "1,234,567" in buffer, which it returns. */
const char *units_group_digits(int64_t value, char buffer[32]);

#endif
