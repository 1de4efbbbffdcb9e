#include "assertion.h"

#include <stdio.h>
#include <stdlib.h>

_Noreturn void assertion_failed(const char *condition, const char *file, int line,
                                const char *function)
{
    fprintf(stderr, "scalesweep: %s:%d: %s: assertion failed: %s\n", file, line, function,
            condition);
    fflush(stderr);
    abort();
}
