#include "units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int units_parse_real(const char *text, double *value)
{
    if (!text || !*text)
        return -1;
    char *end;
    double v = strtod(text, &end);
    if (end == text)
        return -1;
    double scale = 1.0;
    switch (*end) {
    case 'k': case 'K': scale = 1e3; end++; break;
    case 'M': scale = 1e6; end++; break;
    case 'G': case 'B': scale = 1e9; end++; break;
    case 'T': scale = 1e12; end++; break;
    default: break;
    }
    if (*end != '\0')
        return -1;
    v *= scale;
    if (!isfinite(v))
        return -1;
    *value = v;
    return 0;
}

int units_parse_count(const char *text, int64_t *value)
{
    double v;
    if (units_parse_real(text, &v) != 0)
        return -1;
    if (v < 0.0 || v != floor(v) || v > 9.0e18)
        return -1;
    *value = (int64_t)v;
    return 0;
}
