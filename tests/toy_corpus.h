/* A toy corpus for training tests: sentences from a small vocabulary, text with structure
 * a tiny model learns quickly (60,000 training bytes, 6,000 held out). */
#ifndef SCALESWEEP_TOY_CORPUS_H
#define SCALESWEEP_TOY_CORPUS_H

#include <stdlib.h>

#include "corpus.h"
#include "rng.h"

static void make_text(uint8_t *out, int64_t n, uint64_t seed)
{
    static const char *words[] = {"the", "cat", "sat",   "on",  "a",   "mat",   "and", "dog",
                                  "ran", "to",  "house", "red", "big", "small", "saw"};
    rng_state rng;
    rng_seed(&rng, seed, 7);
    int64_t i = 0;
    while (i < n) {
        const char *w = words[rng_below(&rng, sizeof words / sizeof words[0])];
        for (const char *c = w; *c && i < n; c++)
            out[i++] = (uint8_t)*c;
        if (i < n)
            out[i++] = rng_below(&rng, 6) == 0 ? '\n' : ' ';
    }
}

static corpus make_corpus(uint64_t seed)
{
    corpus c;
    c.train_size = 60000;
    c.test_size = 6000;
    c.train = malloc(c.train_size);
    c.test = malloc(c.test_size);
    make_text(c.train, c.train_size, seed);
    make_text(c.test, c.test_size, seed + 1);
    return c;
}

#endif
