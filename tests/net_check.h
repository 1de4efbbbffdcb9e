/* The checks every architecture's whole network passes (test_model, test_lstm), through the
 * trainer table (net.h): a batch's loss is the mean of its sequences', the forward is
 * deterministic, backward writes (not accumulates) the gradient, and every gradient matches
 * central finite differences of the mean loss, tensor by tensor. */
#ifndef SCALESWEEP_NET_CHECK_H
#define SCALESWEEP_NET_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net.h"

/* n: set up for batches of B, its parameters set (larger than an init's, so that every
 * gradient stands above the differences' noise); inputs, targets (B, T) with B >= 2. Leaves
 * the analytic gradient in n's gradients. */
static inline void check_net_gradients(net *n, const uint8_t *inputs, const uint8_t *targets, int B,
                                       const char *name, const char *(*tensor_name)(int))
{
    const int64_t T = n->config.n_ctx;
    const double both = net_forward(n, inputs, targets, B);
    double parts = 0.0;
    for (int b = 0; b < B; b++)
        parts += net_forward(n, inputs + b * T, targets + b * T, 1) / B;
    check(close_enough(both, parts, 1e-6, 1e-6), "%s: batch independence: %.9g vs %.9g", name, both,
          parts);
    check(net_forward(n, inputs, targets, B) == both, "%s: forward is deterministic", name);

    net_forward(n, inputs, targets, B);
    optim_params p = net_optim_params(n);
    for (int64_t i = 0; i < p.num_params; i++)
        p.grads[i] = NAN;
    net_backward(n);
    p = net_optim_params(n);
    const size_t bytes = sizeof(float) * (size_t)p.num_params;
    float *analytic = malloc(bytes), *numeric = malloc(bytes);
    memcpy(analytic, p.grads, bytes);
    net_backward(n);
    check(memcmp(analytic, p.grads, bytes) == 0,
          "%s: backward writes the gradient: a second call gives the same bits, over NaN the "
          "first",
          name);
    const float h = 1e-2f;
    for (int64_t i = 0; i < p.num_params; i++) {
        const float saved = p.params[i];
        p.params[i] = saved + h;
        const float up = p.params[i];
        const double f_up = net_forward(n, inputs, targets, B);
        p.params[i] = saved - h;
        const float down = p.params[i];
        const double f_down = net_forward(n, inputs, targets, B);
        p.params[i] = saved;
        numeric[i] = (float)((f_up - f_down) / ((double)up - (double)down));
    }
    size_t offset = 0;
    for (int t = 0; t < p.num_tensors; t++) {
        char what[96];
        snprintf(what, sizeof what, "%s d(%s) vs finite differences", name, tensor_name(t));
        check_arrays(what, analytic + offset, numeric + offset, (long)p.sizes[t], 5e-5, 5e-3);
        offset += p.sizes[t];
    }
    /* the gradient back in place: the caller may look at it */
    memcpy(p.grads, analytic, bytes);
    free(analytic);
    free(numeric);
}

#endif
