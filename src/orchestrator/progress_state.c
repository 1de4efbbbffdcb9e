/* The state line and the sidecar (progress_state.h). */
#include "progress_state.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "message.h"
#include "paths.h"

#define SIDECAR_HEADER "scalesweep progress 1"

/* ---- the line ---- */

void progress_format_duration(char *out, size_t size, double seconds)
{
    if (!isfinite(seconds) || seconds < 0) {
        snprintf(out, size, "?");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        snprintf(out, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, size, "%lds", s);
}

/* 950, 3.1k, 12.4M: a speed to two or three digits */
static void format_rate(char *out, size_t size, double value)
{
    static const char suffixes[] = " kMGT";
    int k = 0;
    while (value >= 999.5 && k < 4) {
        value /= 1000.0;
        k++;
    }
    if (k == 0)
        snprintf(out, size, "%.0f", value);
    else
        snprintf(out, size, value < 99.95 ? "%.1f%c" : "%.0f%c", value, suffixes[k]);
}

/* The line with the first `shown` runs under way; compact: without the counts of failed
 * and diverged runs that are 0, the elapsed time, and " steps" (a narrow terminal's line). */
static void format_with(const progress_state *s, int64_t shown, int compact, char *out, size_t size)
{
    size_t n = 0;
#define ADD(...)                                                                                   \
    (n += (size_t)snprintf(out + (n < size ? n : size), n < size ? size - n : 0, __VA_ARGS__))
    ADD("%" PRId64 "/%" PRId64 " done", s->done, s->total);
    if (s->live) {
        ADD(", %" PRId64 " running", s->running);
        for (int64_t i = 0; i < shown; i++) {
            const progress_run *r = &s->runs[i];
            ADD(i == 0 ? " (%.8s" : ", %.8s", r->run_id);
            if (r->total_steps <= 0) {
                ADD(" starting");
                continue;
            }
            ADD(" %" PRId64 "/%" PRId64 "%s", r->step, r->total_steps, compact ? "" : " steps");
            if (r->tokens_per_second > 0) {
                char rate[32];
                format_rate(rate, sizeof rate, r->tokens_per_second);
                ADD(" %s tok/s", rate);
            }
        }
        if (shown > 0 && s->running > shown)
            ADD(", +%" PRId64 " more", s->running - shown);
        if (shown > 0)
            ADD(")");
    }
    if (!compact || s->failed > 0)
        ADD(", %" PRId64 " failed", s->failed);
    if (!compact || s->diverged > 0)
        ADD(", %" PRId64 " diverged", s->diverged);
    if (s->live) {
        char elapsed[32], eta[32];
        progress_format_duration(elapsed, sizeof elapsed, s->elapsed);
        progress_format_duration(eta, sizeof eta, s->eta);
        if (compact)
            ADD(", ETA %s", eta);
        else
            ADD(", elapsed %s, ETA %s", elapsed, eta);
    }
#undef ADD
}

void progress_format(const progress_state *s, size_t width, char *out, size_t size)
{
    if (size == 0)
        return;
    int64_t shown = s->n_runs < s->running ? s->n_runs : s->running;
    if (shown > PROGRESS_LINE_RUNS)
        shown = PROGRESS_LINE_RUNS;
    if (!s->live)
        shown = 0;
    format_with(s, shown, 0, out, size);
    /* the compact form, then fewer runs, until it fits; then, if it must, cut it */
    int compact = 0;
    while (width > 0 && strlen(out) > width && (!compact || shown > 0)) {
        if (!compact)
            compact = 1;
        else
            shown--;
        format_with(s, shown, compact, out, size);
    }
    if (width > 0 && width < size && strlen(out) > width)
        out[width] = '\0';
}

/* ---- the sidecar ---- */

char *progress_sidecar_path(const char *output, char *err, size_t errlen)
{
    char *name = paths_one_name(output, err, errlen);
    if (!name)
        return NULL;
    size_t length = strlen(name) + sizeof ".progress";
    char *path = malloc(length);
    if (path)
        snprintf(path, length, "%s.progress", name);
    else
        message_format(err, errlen, "%s: out of memory", output);
    free(name);
    return path;
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int progress_sidecar_write(const char *path, const progress_state *s, char *err, size_t errlen)
{
    size_t length = strlen(path) + sizeof ".tmp";
    char *temporary = malloc(length);
    if (!temporary) {
        message_format(err, errlen, "%s: out of memory", path);
        return -1;
    }
    snprintf(temporary, length, "%s.tmp", path);
    FILE *f = fopen(temporary, "w");
    if (!f) {
        message_format(err, errlen, "cannot write %s: %s", temporary, strerror(errno));
        free(temporary);
        return -1;
    }
    fprintf(f, SIDECAR_HEADER "\nwritten %.3f\nelapsed %.3f\neta %.3f\n", wall_clock(), s->elapsed,
            s->eta);
    fprintf(f,
            "done %" PRId64 "\ntotal %" PRId64 "\nfailed %" PRId64 "\ndiverged %" PRId64
            "\nrunning %" PRId64 "\n",
            s->done, s->total, s->failed, s->diverged, s->running);
    for (int64_t i = 0; i < s->n_runs; i++)
        fprintf(f, "run %s %" PRId64 " %" PRId64 " %.1f\n", s->runs[i].run_id, s->runs[i].step,
                s->runs[i].total_steps, s->runs[i].tokens_per_second);
    const int failed = ferror(f);
    if (fclose(f) != 0 || failed || rename(temporary, path) != 0) {
        message_format(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(temporary);
        free(temporary);
        return -1;
    }
    free(temporary);
    return 0;
}

void progress_sidecar_free(progress_state *s)
{
    free(s->runs);
    s->runs = NULL;
    s->n_runs = 0;
}

int progress_sidecar_read(const char *path, progress_state *s, double *age, char *err,
                          size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "r");
    if (!f) {
        message_format(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    double written = NAN;
    int fields = 0; /* the keys seen, as bits */
    int64_t capacity = 0;
    int ok = fgets(line, sizeof line, f) && strcmp(line, SIDECAR_HEADER "\n") == 0;
    while (ok && fgets(line, sizeof line, f)) {
        progress_run r;
        memset(&r, 0, sizeof r);
        if (sscanf(line, "written %lf", &written) == 1)
            fields |= 1;
        else if (sscanf(line, "elapsed %lf", &s->elapsed) == 1)
            fields |= 2;
        else if (sscanf(line, "eta %lf", &s->eta) == 1)
            fields |= 4;
        else if (sscanf(line, "done %" SCNd64, &s->done) == 1)
            fields |= 8;
        else if (sscanf(line, "total %" SCNd64, &s->total) == 1)
            fields |= 16;
        else if (sscanf(line, "failed %" SCNd64, &s->failed) == 1)
            fields |= 32;
        else if (sscanf(line, "diverged %" SCNd64, &s->diverged) == 1)
            fields |= 64;
        else if (sscanf(line, "running %" SCNd64, &s->running) == 1)
            fields |= 128;
        else if (sscanf(line, "run %16s %" SCNd64 " %" SCNd64 " %lf", r.run_id, &r.step,
                        &r.total_steps, &r.tokens_per_second) == 4) {
            if (s->n_runs == capacity) {
                capacity = capacity ? 2 * capacity : 16;
                progress_run *grown = realloc(s->runs, sizeof *grown * (size_t)capacity);
                if (!grown) {
                    ok = 0;
                    break;
                }
                s->runs = grown;
            }
            s->runs[s->n_runs++] = r;
        } else
            ok = 0;
    }
    fclose(f);
    if (!ok || fields != 255) {
        message_format(err, errlen, "%s is not a scalesweep progress file", path);
        progress_sidecar_free(s);
        return -1;
    }
    s->live = 1;
    *age = wall_clock() - written;
    if (!(*age > 0))
        *age = 0;
    return 0;
}
