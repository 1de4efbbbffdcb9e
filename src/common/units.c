#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    /* plain digits exactly, whatever their size; 1e6 or 3M through a double, which holds
     * every whole number up to 2^53 exactly and no count beyond */
    if (text && *text && strspn(text, "0123456789") == strlen(text)) {
        errno = 0;
        char *end;
        unsigned long long v = strtoull(text, &end, 10);
        if (errno != 0 || *end != '\0' || v > 9000000000000000000ULL)
            return -1;
        *value = (int64_t)v;
        return 0;
    }
    double v;
    if (units_parse_real(text, &v) != 0)
        return -1;
    if (v < 0.0 || v != floor(v) || v > 9007199254740992.0)
        return -1;
    *value = (int64_t)v;
    return 0;
}

int units_parse_measurement(const char *text, double *value)
{
    if (units_parse_real(text, value) == 0)
        return 0;
    if (!text)
        return -1;
    const char *word = text + (*text == '-' || *text == '+');
    if (strcasecmp(word, "nan") == 0) {
        *value = NAN;
        return 0;
    }
    if (strcasecmp(word, "inf") == 0 || strcasecmp(word, "infinity") == 0) {
        *value = *text == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    return -1;
}

const char *units_group_digits(int64_t value, char buffer[32])
{
    char digits[32];
    /* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
    uint64_t magnitude = value < 0 ? -(uint64_t)value : (uint64_t)value;
    snprintf(digits, sizeof digits, "%llu", (unsigned long long)magnitude);
    size_t n = strlen(digits), out = 0;
    if (value < 0)
        buffer[out++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buffer[out++] = ',';
        buffer[out++] = digits[i];
    }
    buffer[out] = '\0';
    return buffer;
}
