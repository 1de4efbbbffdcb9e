/* A network's memory, the same for every architecture (net.h): four buffers of one layout
 * (parameters, gradients, AdamW's two moments, zeroed), activations and scratch (written
 * before they are read: malloc'd, so that pages a smaller batch never touches stay out of
 * the resident set), and the named tensors that point into them. */
#ifndef SCALESWEEP_BUFFERS_H
#define SCALESWEEP_BUFFERS_H

#include <stddef.h>
#include <stdint.h>

/* Where a network keeps them: its fields, each set by buffers_alloc and freed (and set to
 * NULL) by buffers_free. */
typedef struct {
    float **params, **grads, **m, **v; /* (n_params) each */
    float **acts;                      /* (n_acts) */
    float **scratch;                   /* (n_scratch) */
} net_buffers;

/* The fields of a model or an LSTM (params_memory, ..., scratch_memory), in that order. */
#define BUFFERS_OF(net)                                                                            \
    &(net)->params_memory, &(net)->grads_memory, &(net)->m_memory, &(net)->v_memory,               \
        &(net)->acts_memory, &(net)->scratch_memory

/* 0, or -1 when out of memory (with nothing left allocated). */
int buffers_alloc(const net_buffers *b, size_t n_params, size_t n_acts, size_t n_scratch);
void buffers_free(const net_buffers *b);
/* *fields[i] = the piece of sizes[i] floats after those of fields[0 .. i - 1]. */
void buffers_point(float *memory, float **const *fields, const int64_t *sizes, int n);
int64_t buffers_sum(const int64_t *sizes, int n);

#endif
