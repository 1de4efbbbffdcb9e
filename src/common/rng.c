#include "rng.h"

#include <math.h>

#include "hash.h"

/* splitmix64: a 64-bit counter through a strong mixer (hash_splitmix64). Its whole state
 * is one integer, which keeps checkpoints trivial, and it passes BigCrush. */

void rng_seed(rng_state *rng, uint64_t seed, uint64_t stream)
{
    rng->state = hash_splitmix64(seed ^ 0x5ca1e5eedULL) ^
                 hash_splitmix64(stream * 0x9e3779b97f4a7c15ULL + 1);
}

uint64_t rng_u64(rng_state *rng)
{
    rng->state += 0x9e3779b97f4a7c15ULL;
    return hash_splitmix64(rng->state);
}

float rng_uniform(rng_state *rng)
{
    return (float)(rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

float rng_normal(rng_state *rng)
{
    /* u1 in (0, 1] so that the logarithm is finite. */
    double u1 = ((double)(rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t rng_below(rng_state *rng, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = rng_u64(rng);
    } while (x >= limit);
    return x % n;
}

void rng_shuffle(rng_state *rng, uint32_t *items, uint64_t n)
{
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = rng_below(rng, i);
        uint32_t t = items[i - 1];
        items[i - 1] = items[j];
        items[j] = t;
    }
}
