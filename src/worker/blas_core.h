/* Which OpenBLAS kernels run, and the correction when OpenBLAS does not know the CPU.
 *
 * Debian 12's OpenBLAS (0.3.21, built for every x86-64 core and choosing at load time) does
 * not know current Xeons (Sapphire and Emerald Rapids) and falls back to its Prescott (SSE3)
 * kernels there, at a fifth of the speed. At the start of every command that trains, fits or
 * benchmarks, before MPI_Init, scalesweep asks OpenBLAS which core it chose and the CPU what
 * it supports (cpuid for AVX2, FMA and AVX-512 F/BW/VL/DQ; XGETBV for whether the operating
 * system saves the registers). When the core is older than the best one this OpenBLAS offers
 * for those features (SkylakeX for AVX-512, Haswell for AVX2 with FMA), it runs itself again
 * (exec, the same arguments) with OPENBLAS_CORETYPE set to that core, and says so in one line
 * (on rank 0 only, under mpirun or srun). OPENBLAS_CORETYPE already in the environment is never
 * changed; SCALESWEEP_BLAS_CORE=keep turns the correction off. */
#ifndef SCALESWEEP_BLAS_CORE_H
#define SCALESWEEP_BLAS_CORE_H

typedef struct {
    int avx, avx2, fma;
    int avx512f, avx512bw, avx512vl, avx512dq;
    int os_avx;    /* XGETBV: the OS saves the YMM state (XCR0 bits 1, 2) */
    int os_avx512; /* ... and the opmask and ZMM state (bits 5, 6, 7) */
} blas_cpu;

/* What this CPU supports (all zero on other architectures). */
void blas_cpu_detect(blas_cpu *cpu);

typedef enum {
    BLAS_KEEP,         /* the core is the best there is for this CPU (or better) */
    BLAS_KEEP_UNKNOWN, /* a core name this table does not know: left alone */
    BLAS_KEEP_CHOSEN,  /* OPENBLAS_CORETYPE was set: the environment's choice */
    BLAS_KEEP_ASKED,   /* SCALESWEEP_BLAS_CORE=keep */
    BLAS_SWITCH        /* run again with OPENBLAS_CORETYPE = *better */
} blas_action;

/* The decision, from OpenBLAS's core name, the CPU's features and the two variables (NULL when
 * unset). *better is the core to switch to (BLAS_SWITCH), else NULL. */
blas_action blas_core_decide(const char *core, const blas_cpu *cpu, const char *coretype,
                             const char *blas_core, const char **better);

/* At the very start of main, before MPI_Init: decides, and execs the program again when it
 * should (returns only when it keeps the core, or when the exec failed: it says so). The
 * line it prints is left out when argv holds --quiet. */
void blas_core_correct(char **argv);

/* OpenBLAS's core name and configuration string ("OpenBLAS 0.3.21 ... SkylakeX ..."). */
const char *blas_core_name(void);
const char *blas_core_config(void);
/* How the core was chosen, for a report line: "chosen by OpenBLAS", "OPENBLAS_CORETYPE from
 * the environment", "OPENBLAS_CORETYPE set by scalesweep". */
const char *blas_core_origin(void);
/* A measured single-thread 512^3 sgemm, best of five, GFLOP/s (about 0.1 s). */
double blas_sgemm_gflops(void);
/* One line: core, how chosen, sgemm rate, config. */
void blas_core_describe(char *out, int size, double gflops);

#endif
