/* The hot loops of the worker (and the Chinchilla fit's objective) at full speed from a
 * portable binary. The default build targets
 * the x86-64 baseline, so that a binary built on a login node runs on every compute node; the
 * loops marked SCALESWEEP_HOT are compiled twice more (for AVX2, and for AVX-512F) and the
 * dynamic loader picks the best the CPU runs (GCC's target_clones, an ifunc).
 * Every rank of one kind of machine picks the same version, so a run stays bit-identical across
 * them. With -DSCALESWEEP_NATIVE=ON the whole build targets the building machine's CPU instead
 * (-march=native) and the mark is empty. */
#ifndef SCALESWEEP_DISPATCH_H
#define SCALESWEEP_DISPATCH_H

#if defined(SCALESWEEP_DISPATCH) && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* by instruction set, not CPU model: GCC 12's resolver would not recognise CPUs newer than it
 * (as OpenBLAS does not) and fall back to the baseline */
#define SCALESWEEP_HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SCALESWEEP_HOT
#endif

#endif
