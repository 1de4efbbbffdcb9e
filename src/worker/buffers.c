#include "buffers.h"

#include <stdlib.h>

int buffers_alloc(const net_buffers *b, size_t n_params, size_t n_acts, size_t n_scratch)
{
    *b->params = calloc(n_params, sizeof(float));
    *b->grads = calloc(n_params, sizeof(float));
    *b->m = calloc(n_params, sizeof(float));
    *b->v = calloc(n_params, sizeof(float));
    *b->acts = malloc((n_acts > 0 ? n_acts : 1) * sizeof(float));
    *b->scratch = malloc((n_scratch > 0 ? n_scratch : 1) * sizeof(float));
    if (*b->params && *b->grads && *b->m && *b->v && *b->acts && *b->scratch)
        return 0;
    buffers_free(b);
    return -1;
}

void buffers_free(const net_buffers *b)
{
    float **all[6] = {b->params, b->grads, b->m, b->v, b->acts, b->scratch};
    for (int i = 0; i < 6; i++) {
        free(*all[i]);
        *all[i] = NULL;
    }
}

void buffers_point(float *memory, float **const *fields, const int64_t *sizes, int n)
{
    for (int i = 0; i < n; i++) {
        *fields[i] = memory;
        memory += sizes[i];
    }
}

int64_t buffers_sum(const int64_t *sizes, int n)
{
    int64_t total = 0;
    for (int i = 0; i < n; i++)
        total += sizes[i];
    return total;
}
