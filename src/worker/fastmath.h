/* Branch-free exp and tanh that the compiler vectorises: the softmaxes and the GELU
 * evaluate millions of these per step, and scalar libm calls would cost as much as
 * the matrix products. Accuracy: a few ulp over the range used (see test_layers). */
#ifndef SCALESWEEP_FASTMATH_H
#define SCALESWEEP_FASTMATH_H

#include <stdint.h>
#include <string.h>

static inline float fast_expf(float x)
{
    /* Clamp so that 2^n stays a normal float; exp(-87.3) ~ 1e-38 stands in for 0. */
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    /* n = round(x / ln 2) by the 1.5 * 2^23 trick (exact for |x / ln 2| < 2^22): the sum's
     * low mantissa bits hold n, read below without a float-to-int conversion, which would
     * be undefined for NaN. NaN passes through to the result. */
    const float shifter = 12582912.0f; /* bits 0x4b400000 */
    float shifted = x * 1.44269504088896341f + shifter;
    float n = shifted - shifter;
    /* r = x - n ln 2 in two parts, so r keeps full precision. */
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    /* Cephes expf polynomial on [-ln2/2, ln2/2]. */
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    uint32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - 0x4b400000u + 127u) << 23; /* 2^n: unsigned, so wrap-around is defined */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float fast_tanhf(float x)
{
    /* tanh(x) = 1 - 2 / (exp(2x) + 1): saturates cleanly to +-1 through the clamps. */
    return 1.0f - 2.0f / (fast_expf(2.0f * x) + 1.0f);
}

#endif
