#include "message.h"

#include <stdarg.h>
#include <stdio.h>

void message_format(char *out, size_t size, const char *fmt, ...)
{
    if (!out || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

void message_join(const char *const *names, int count, const char *last, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < count && used < size; i++) {
        const char *glue = i == 0 ? "" : i + 1 < count ? ", " : last;
        int n = snprintf(out + used, size - used, "%s%s", glue, names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
