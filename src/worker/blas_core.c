#include "blas_core.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "clock.h"

/* Set in the environment of the program run again, so that it can say how its core came. */
#define ORIGIN_VARIABLE "SCALESWEEP_BLAS_CORE_SET"

void blas_cpu_detect(blas_cpu *cpu)
{
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    cpu->fma = (c >> 12) & 1;
    cpu->avx = (c >> 28) & 1;
    const int osxsave = (c >> 27) & 1;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        cpu->os_avx = (lo & 0x6) == 0x6;
        cpu->os_avx512 = cpu->os_avx && (lo & 0xe0) == 0xe0;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        cpu->avx2 = (b >> 5) & 1;
        cpu->avx512f = (b >> 16) & 1;
        cpu->avx512dq = (b >> 17) & 1;
        cpu->avx512bw = (b >> 30) & 1;
        cpu->avx512vl = (b >> 31) & 1;
    }
#endif
}

/* OpenBLAS 0.3.21's x86-64 cores by the instructions their kernels use: 0 SSE, 1 AVX, 2 AVX2
 * with FMA, 3 AVX-512. */
static const struct {
    const char *name;
    int level;
} cores[] = {
    {"Katmai", 0},       {"Coppermine", 0},     {"Northwood", 0},  {"Prescott", 0},
    {"Banias", 0},       {"Atom", 0},           {"Core2", 0},      {"Penryn", 0},
    {"Dunnington", 0},   {"Nehalem", 0},        {"Athlon", 0},     {"Opteron", 0},
    {"Opteron_SSE3", 0}, {"Barcelona", 0},      {"Nano", 0},       {"Bobcat", 0},
    {"Sandybridge", 1},  {"Bulldozer", 1},      {"Piledriver", 1}, {"Steamroller", 1},
    {"Excavator", 1},    {"Haswell", 2},        {"Zen", 2},        {"SkylakeX", 3},
    {"Cooperlake", 3},   {"SapphireRapids", 3},
};

static int core_level(const char *name)
{
    for (size_t i = 0; name && i < sizeof cores / sizeof cores[0]; i++)
        if (strcasecmp(name, cores[i].name) == 0)
            return cores[i].level;
    return -1;
}

blas_action blas_core_decide(const char *core, const blas_cpu *cpu, const char *coretype,
                             const char *blas_core, const char **better)
{
    *better = NULL;
    if (coretype)
        return BLAS_KEEP_CHOSEN;
    if (blas_core && strcmp(blas_core, "keep") == 0)
        return BLAS_KEEP_ASKED;
    const int level = core_level(core);
    if (level < 0)
        return BLAS_KEEP_UNKNOWN;
    const char *best = NULL;
    int best_level = -1;
    if (cpu->avx512f && cpu->avx512bw && cpu->avx512vl && cpu->avx512dq && cpu->os_avx512) {
        best = "SkylakeX";
        best_level = 3;
    } else if (cpu->avx2 && cpu->fma && cpu->os_avx) {
        best = "Haswell";
        best_level = 2;
    }
    if (!best || level >= best_level)
        return BLAS_KEEP;
    *better = best;
    return BLAS_SWITCH;
}

const char *blas_core_name(void)
{
    return openblas_get_corename();
}

const char *blas_core_config(void)
{
    return openblas_get_config();
}

const char *blas_core_origin(void)
{
    if (getenv(ORIGIN_VARIABLE))
        return "OPENBLAS_CORETYPE set by scalesweep";
    if (getenv("OPENBLAS_CORETYPE"))
        return "OPENBLAS_CORETYPE from the environment";
    return "chosen by OpenBLAS";
}

/* Rank 0 of an MPI job, or a process outside one (before MPI_Init: from the launcher's
 * variables). */
static int first_rank(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID", "PMI_RANK"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v)
            return atoi(v) == 0;
    }
    return 1;
}

void blas_core_correct(char **argv)
{
    blas_cpu cpu;
    blas_cpu_detect(&cpu);
    const char *core = blas_core_name();
    const char *better;
    if (blas_core_decide(core, &cpu, getenv("OPENBLAS_CORETYPE"), getenv("SCALESWEEP_BLAS_CORE"),
                         &better) != BLAS_SWITCH)
        return;
    int quiet = 0;
    for (char **a = argv; *a; a++)
        quiet |= strcmp(*a, "--quiet") == 0;
    if (first_rank() && !quiet)
        fprintf(stderr,
                "scalesweep: OpenBLAS chose its %s kernels on a CPU with %s; running again with "
                "OPENBLAS_CORETYPE=%s (SCALESWEEP_BLAS_CORE=keep keeps them)\n",
                core, better[0] == 'S' ? "AVX-512" : "AVX2 and FMA", better);
    fflush(NULL);
    if (setenv("OPENBLAS_CORETYPE", better, 1) != 0 || setenv(ORIGIN_VARIABLE, core, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* still here: the exec failed; go on with the kernels there are */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(ORIGIN_VARIABLE);
    perror("scalesweep: could not run itself again; going on with OpenBLAS's choice");
}

double blas_sgemm_gflops(void)
{
    enum { SIZE = 512 };
    float *a = malloc(sizeof(float) * SIZE * SIZE * 3);
    if (!a)
        return 0.0;
    float *b = a + SIZE * SIZE, *c = b + SIZE * SIZE;
    for (int i = 0; i < SIZE * SIZE; i++) {
        a[i] = (float)(i % 7) * 0.01f;
        b[i] = (float)(i % 5) * 0.01f;
    }
    const int threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    double best = 1e30;
    for (int round = 0; round < 5; round++) {
        double t = clock_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, SIZE, SIZE, SIZE, 1.0f, a, SIZE, b,
                    SIZE, 0.0f, c, SIZE);
        t = clock_seconds() - t;
        best = t < best ? t : best;
    }
    openblas_set_num_threads(threads);
    free(a);
    return 2.0 * SIZE * SIZE * SIZE / best / 1e9;
}

void blas_core_describe(char *out, int size, double gflops)
{
    snprintf(out, (size_t)size, "OpenBLAS core %s (%s), sgemm 512^3 on one thread %.1f GFLOP/s; %s",
             blas_core_name(), blas_core_origin(), gflops, blas_core_config());
}
