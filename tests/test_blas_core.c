/* The BLAS kernel decision (blas_core.h) as a table: OpenBLAS's core, the CPU's features and
 * the environment -> keep or switch, and to what. Then this machine: the decision for its own
 * CPU and core is one of the table's. */
#include <stdlib.h>
#include <string.h>

#include "blas_core.h"
#include "check.h"

static const blas_cpu SSE = {0, 0, 0, 0, 0, 0, 0, 0, 0};
static const blas_cpu AVX = {1, 0, 0, 0, 0, 0, 0, 1, 0};
static const blas_cpu AVX2 = {1, 1, 1, 0, 0, 0, 0, 1, 0};
static const blas_cpu AVX2_NO_FMA = {1, 1, 0, 0, 0, 0, 0, 1, 0};
static const blas_cpu AVX2_OS_OFF = {1, 1, 1, 0, 0, 0, 0, 0, 0};
static const blas_cpu AVX512 = {1, 1, 1, 1, 1, 1, 1, 1, 1};
static const blas_cpu AVX512_OS_YMM_ONLY = {1, 1, 1, 1, 1, 1, 1, 1, 0};
static const blas_cpu AVX512F_ONLY = {1, 1, 1, 1, 0, 0, 0, 1, 1}; /* Knights Landing */

static void test_table(void)
{
    static const struct {
        const char *core;
        const blas_cpu *cpu;
        const char *coretype, *blas_core;
        blas_action want;
        const char *better;
    } table[] = {
        /* the Xeon of issue 9: OpenBLAS 0.3.21 does not know it */
        {"Prescott", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"},
        {"prescott", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"}, /* any case */
        {"Nehalem", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"},
        {"Sandybridge", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"},
        {"Haswell", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"},
        {"Zen", &AVX512, NULL, NULL, BLAS_SWITCH, "SkylakeX"}, /* Zen 4 */
        {"SkylakeX", &AVX512, NULL, NULL, BLAS_KEEP, NULL},
        {"Cooperlake", &AVX512, NULL, NULL, BLAS_KEEP, NULL},
        {"SapphireRapids", &AVX512, NULL, NULL, BLAS_KEEP, NULL},
        /* AVX2 machines */
        {"Prescott", &AVX2, NULL, NULL, BLAS_SWITCH, "Haswell"},
        {"Sandybridge", &AVX2, NULL, NULL, BLAS_SWITCH, "Haswell"},
        {"Haswell", &AVX2, NULL, NULL, BLAS_KEEP, NULL},
        {"Zen", &AVX2, NULL, NULL, BLAS_KEEP, NULL},
        {"SkylakeX", &AVX2, NULL, NULL, BLAS_KEEP, NULL}, /* never downwards */
        /* features the CPU has but cannot use */
        {"Prescott", &AVX2_NO_FMA, NULL, NULL, BLAS_KEEP, NULL},
        {"Prescott", &AVX2_OS_OFF, NULL, NULL, BLAS_KEEP, NULL},
        {"Haswell", &AVX512_OS_YMM_ONLY, NULL, NULL, BLAS_KEEP, NULL},
        {"Prescott", &AVX512_OS_YMM_ONLY, NULL, NULL, BLAS_SWITCH, "Haswell"},
        {"Haswell", &AVX512F_ONLY, NULL, NULL, BLAS_KEEP, NULL},
        {"Sandybridge", &AVX, NULL, NULL, BLAS_KEEP, NULL},
        {"Prescott", &AVX, NULL, NULL, BLAS_KEEP, NULL},
        {"Prescott", &SSE, NULL, NULL, BLAS_KEEP, NULL},
        /* the environment's choice always wins */
        {"Prescott", &AVX512, "Haswell", NULL, BLAS_KEEP_CHOSEN, NULL},
        {"Haswell", &AVX512, "Haswell", NULL, BLAS_KEEP_CHOSEN, NULL}, /* AMD hosts */
        {"Prescott", &AVX512, "Prescott", NULL, BLAS_KEEP_CHOSEN, NULL},
        {"Prescott", &AVX512, "", NULL, BLAS_KEEP_CHOSEN, NULL},
        {"Prescott", &AVX512, NULL, "keep", BLAS_KEEP_ASKED, NULL},
        {"Prescott", &AVX512, "SkylakeX", "keep", BLAS_KEEP_CHOSEN, NULL},
        {"Prescott", &AVX512, NULL, "yes", BLAS_SWITCH, "SkylakeX"}, /* only "keep" keeps */
        /* names this table does not know are left alone */
        {"Unknown", &AVX512, NULL, NULL, BLAS_KEEP_UNKNOWN, NULL},
        {"armv8", &AVX512, NULL, NULL, BLAS_KEEP_UNKNOWN, NULL},
        {NULL, &AVX512, NULL, NULL, BLAS_KEEP_UNKNOWN, NULL},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *better = "unset";
        blas_action got = blas_core_decide(table[i].core, table[i].cpu, table[i].coretype,
                                           table[i].blas_core, &better);
        int same = got == table[i].want &&
                   (table[i].better ? better && strcmp(better, table[i].better) == 0 : !better);
        check(same,
              "case %zu (%s, coretype %s, SCALESWEEP_BLAS_CORE %s): action %d -> %s, want %d -> %s",
              i, table[i].core ? table[i].core : "NULL",
              table[i].coretype ? table[i].coretype : "unset",
              table[i].blas_core ? table[i].blas_core : "unset", (int)got, better ? better : "NULL",
              (int)table[i].want, table[i].better ? table[i].better : "NULL");
    }
}

/* This process was not corrected (tests call OpenBLAS as it loads): what scalesweep would do
 * here is a well-formed decision, and the CPU's features are consistent. */
static void test_this_machine(void)
{
    blas_cpu cpu;
    blas_cpu_detect(&cpu);
    check(!cpu.avx512f || cpu.avx2, "AVX-512 without AVX2 reported");
    check(!cpu.os_avx512 || cpu.os_avx, "ZMM state enabled without YMM state");
    const char *better;
    blas_action a = blas_core_decide(blas_core_name(), &cpu, NULL, NULL, &better);
    check(a == BLAS_KEEP || a == BLAS_SWITCH || a == BLAS_KEEP_UNKNOWN,
          "a decision for this machine: %d", (int)a);
    check((a == BLAS_SWITCH) == (better != NULL), "a switch names its core");
    check(blas_sgemm_gflops() > 0.1, "a measured sgemm rate");
    check(strstr(blas_core_config(), "OpenBLAS") != NULL, "OpenBLAS's config: %s",
          blas_core_config());
}

int main(void)
{
    test_table();
    test_this_machine();
    return test_report("test_blas_core");
}
