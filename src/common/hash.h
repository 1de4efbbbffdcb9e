/* The project's hashes, each defined once here:
 *
 *   hash_fnv1a       FNV-1a, 64-bit, over bytes: the run ids and the plan hash (src/plan,
 *                    mixed by hash_mix64), the checksum of a run checkpoint and the
 *                    fingerprint of its corpus (src/worker), the configuration of a CSV row
 *                    (src/fit). Streaming: feed it piece by piece, starting at HASH_FNV_OFFSET.
 *   hash_fnv1a_u64   the same over the eight bytes of a value, least significant first, so
 *                    that it is the same on any machine: how the fit grouped the seeds of
 *                    a schema 1 file's runs by their columns (src/fit/fit_observations.c).
 *   hash_mix64       MurmurHash3's 64-bit finaliser. FNV-1a alone spreads its last bytes over
 *                    few bits: runs that differ only in their seed (the end of their text)
 *                    would get ids that differ in a few hex digits; mixed, they look unrelated.
 *   hash_splitmix64  splitmix64's output function: the random streams of rng.c (its whole
 *                    generator is a counter through this function) and the slots of the
 *                    results store's set of run ids.
 *
 * Two finalisers rather than one because each is pinned by what it produced: run ids are
 * recorded in every results file (tests/test_plan.c pins one), and the random streams
 * decide every weight and every batch of every run ever trained. */
#ifndef SCALESWEEP_HASH_H
#define SCALESWEEP_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define HASH_FNV_PRIME UINT64_C(0x100000001b3)

static inline uint64_t hash_fnv1a(uint64_t hash, const void *data, size_t n)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < n; i++) {
        hash ^= bytes[i];
        hash *= HASH_FNV_PRIME;
    }
    return hash;
}

static inline uint64_t hash_fnv1a_u64(uint64_t hash, uint64_t value)
{
    for (int i = 0; i < 8; i++) {
        hash ^= (value >> (8 * i)) & 0xff;
        hash *= HASH_FNV_PRIME;
    }
    return hash;
}

static inline uint64_t hash_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h;
}

static inline uint64_t hash_splitmix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#endif
