/* Explicit random state: every random number in a run comes from an rng_state
 * seeded from the run's seed and a stream number, never from rand() or the clock,
 * so any run can be repeated bit for bit. */
#ifndef SCALESWEEP_RNG_H
#define SCALESWEEP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
} rng_state;

/* Independent streams of one seed: the same (seed, stream) always gives the same sequence. */
void rng_seed(rng_state *rng, uint64_t seed, uint64_t stream);
uint64_t rng_u64(rng_state *rng);
/* Uniform in [0, 1) with 24 random bits. */
float rng_uniform(rng_state *rng);
/* Standard normal (Box-Muller). */
float rng_normal(rng_state *rng);
/* Uniform integer in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(rng_state *rng, uint64_t n);
/* Fisher-Yates shuffle of an index array. */
void rng_shuffle(rng_state *rng, uint32_t *items, uint64_t n);

#endif
