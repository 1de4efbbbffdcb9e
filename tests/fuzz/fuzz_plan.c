/* libFuzzer target: the plan parser on any bytes. It must refuse or accept every input
 * without a crash, a leak, undefined behaviour or a hang, and a refusal must be one line
 * naming the file and a line. The seeds are the test plans (tests/plans) and the jobs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assertion.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a plan is text: bytes after a NUL are not part of it */
    plan p;
    char err[2048] = "";
    if (plan_parse(&p, "fuzz.ini", text, err, sizeof err) == 0) {
        SCALESWEEP_ASSERT(p.n_runs > 0);
        plan_free(&p);
    } else {
        SCALESWEEP_ASSERT(strncmp(err, "fuzz.ini:", 9) == 0);
        SCALESWEEP_ASSERT(strchr(err, '\n') == NULL);
    }
    free(text);
    return 0;
}
