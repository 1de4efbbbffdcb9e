/* External results as CSV: N, D, loss and optional columns, one run per line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fit_internal.h"
#include "hash.h"
#include "units.h"

enum { COLUMN_N, COLUMN_D, COLUMN_LOSS, COLUMN_SEED, COLUMN_C, COLUMN_BUDGET, COLUMN_UNIQUE,
       COLUMNS };

static const char *const column_name[COLUMNS] = {"N", "D", "loss", "seed", "C", "budget",
                                                 "unique_tokens"};

/* Splits line in place at commas; trims spaces and quotes. Returns the field count. */
static int split(char *line, char **fields, int capacity)
{
    int count = 0;
    char *p = line;
    while (count < capacity) {
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        while (isspace((unsigned char)*p) || *p == '"')
            p++;
        size_t length = strlen(p);
        while (length > 0 && (isspace((unsigned char)p[length - 1]) || p[length - 1] == '"'))
            p[--length] = '\0';
        fields[count++] = p;
        if (!end)
            break;
        p = end + 1;
    }
    return count;
}

/* FNV-1a over the bits of N and D: runs that differ only by seed share the id. */
static uint64_t config_hash(double n, double d)
{
    const double v[2] = {n, d};
    return hash_fnv1a(HASH_FNV_OFFSET, v, sizeof(v));
}

int fit_read_csv(const char *path, fit_observation **rows, int64_t *n, char *message,
                 size_t message_length)
{
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        message_format(message, message_length, "%s: %s", path, strerror(errno));
        return -1;
    }
    return fit_read_csv_stream(f, path, rows, n, message, message_length);
}

int fit_read_csv_stream(FILE *f, const char *path, fit_observation **rows, int64_t *n,
                        char *message, size_t message_length)
{
    *rows = NULL;
    *n = 0;
    char line[4096];
    char *fields[64];
    int where[COLUMNS];
    for (int c = 0; c < COLUMNS; c++)
        where[c] = -1;
    if (!fgets(line, sizeof(line), f)) {
        message_format(message, message_length, "%s: empty file", path);
        fclose(f);
        return -1;
    }
    line[strcspn(line, "\r\n")] = '\0';
    const int header_count = split(line, fields, 64);
    for (int i = 0; i < header_count; i++)
        for (int c = 0; c < COLUMNS; c++)
            if (strcasecmp(fields[i], column_name[c]) == 0 && where[c] < 0)
                where[c] = i;
    for (int c = COLUMN_N; c <= COLUMN_LOSS; c++)
        if (where[c] < 0) {
            message_format(message, message_length, "%s: the header has no column %s", path,
                        column_name[c]);
            fclose(f);
            return -1;
        }
    int64_t capacity = 64, count = 0, line_number = 1;
    fit_observation *out = malloc((size_t)capacity * sizeof(*out));
    if (!out) {
        message_format(message, message_length, "out of memory");
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        line_number++;
        if (!strchr(line, '\n') && !feof(f)) {
            message_format(message, message_length, "%s:%lld: line too long", path,
                        (long long)line_number);
            goto fail;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (line[strspn(line, " \t")] == '\0')
            continue; /* blank line */
        const int field_count = split(line, fields, 64);
        double value[COLUMNS];
        for (int c = 0; c < COLUMNS; c++) {
            value[c] = 0.0;
            if (where[c] < 0)
                continue;
            if (where[c] >= field_count) {
                message_format(message, message_length, "%s:%lld: no value for %s", path,
                            (long long)line_number, column_name[c]);
                goto fail;
            }
            if (units_parse_measurement(fields[where[c]], &value[c]) != 0) {
                /* "nan" parses; an empty or a word does not */
                message_format(message, message_length, "%s:%lld: %s is not a number: \"%s\"", path,
                            (long long)line_number, column_name[c], fields[where[c]]);
                goto fail;
            }
        }
        /* every number a law takes a logarithm of is positive and finite, C = 6ND too;
         * a NaN loss is a run that diverged (counted, not fitted) */
        for (int c = 0; c < COLUMNS; c++) {
            if (where[c] < 0 || (c == COLUMN_LOSS && isnan(value[c])))
                continue;
            const int may_be_zero = c == COLUMN_SEED || c == COLUMN_BUDGET || c == COLUMN_UNIQUE;
            if (!isfinite(value[c]) || value[c] < 0.0 || (value[c] == 0.0 && !may_be_zero)) {
                message_format(message, message_length, "%s:%lld: %s is %s; it must be %s", path,
                               (long long)line_number, column_name[c], fields[where[c]],
                               may_be_zero ? "a finite number, 0 or more"
                                           : "a positive finite number");
                goto fail;
            }
        }
        if (where[COLUMN_SEED] >= 0 &&
            (value[COLUMN_SEED] != floor(value[COLUMN_SEED]) || value[COLUMN_SEED] > 9e15)) {
            message_format(message, message_length,
                           "%s:%lld: seed is %s; it must be a whole number from 0 to 9e15", path,
                           (long long)line_number, fields[where[COLUMN_SEED]]);
            goto fail;
        }
        const double flops = 6.0 * value[COLUMN_N] * value[COLUMN_D];
        if (where[COLUMN_C] < 0 && !(isfinite(flops) && flops > 0.0)) {
            message_format(message, message_length,
                           "%s:%lld: C = 6ND = %g for N = %g and D = %g lies outside what a "
                           "double holds; give N and D in their units (parameters, tokens)",
                           path, (long long)line_number, flops, value[COLUMN_N], value[COLUMN_D]);
            goto fail;
        }
        if (count == capacity) {
            fit_observation *grown = realloc(out, (size_t)capacity * 2 * sizeof(*out));
            if (!grown) {
                message_format(message, message_length, "out of memory");
                goto fail;
            }
            out = grown;
            capacity *= 2;
        }
        fit_observation *o = &out[count++];
        memset(o, 0, sizeof(*o));
        o->n_params = value[COLUMN_N];
        o->tokens = value[COLUMN_D];
        o->loss = value[COLUMN_LOSS];
        o->seed = (int64_t)value[COLUMN_SEED];
        o->flops = value[COLUMN_C];
        o->budget = value[COLUMN_BUDGET];
        o->unique_tokens = value[COLUMN_UNIQUE];
        o->config_id = config_hash(o->n_params, o->tokens);
        o->run_index = -1;
        o->ok = 1;
    }
    if (ferror(f)) {
        message_format(message, message_length, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    if (count == 0) {
        free(out);
        message_format(message, message_length, "%s: no rows after the header", path);
        return -1;
    }
    *rows = out;
    *n = count;
    return 0;
fail:
    free(out);
    fclose(f);
    return -1;
}
