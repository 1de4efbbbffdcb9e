/* `scalesweep status RESULTS.h5`: how far a sweep is, from another shell while it writes the
 * file, or after. From the file itself (as a SWMR reader: fit_results_read) the runs of its
 * plan that have ended, failed or diverged, of the plan's total (the plan stored in the
 * file's plan_text, read by the plan's own parser); and while a sweep writes it (its lock:
 * results_open_readable), the runs under way with their step and speed, the time so far and
 * the ETA, from the sidecar RESULTS.h5.progress that the sweep's rank 0 keeps. The sweep's
 * own state line says it all (progress_format). The file is only read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "cli_options.h"
#include "exit_status.h"
#include "fit_results.h"
#include "plan.h"
#include "progress_state.h"
#include "results_hdf5.h"
#include "sweep.h"

#define STATUS_PROGRAM "scalesweep status"

enum { O_VERBOSE, O_HELP, O_COUNT };

static const cli_option options[O_COUNT] = {
    [O_VERBOSE] = {"verbose", CLI_FLAG, NULL, "with an error, also HDF5's error stack", 0},
    [O_HELP] = {"help", CLI_FLAG, NULL, "show this help", 0},
};

static const char usage[] =
    "usage: scalesweep status RESULTS.h5\n"
    "How far the sweep of a results file is, while a sweep writes it or after: the runs of\n"
    "its plan done of the total, failed and diverged, and while a sweep writes it, each run\n"
    "under way with its step and tokens/s, the time so far and the ETA (from RESULTS.h5.progress,\n"
    "which the sweep keeps beside the file). The file is only read. Exit status: 0 it was\n"
    "read, 2 bad arguments or a file that cannot be read.\n";

static int set_option(void *user, int id, const cli_value *value)
{
    (void)user;
    (void)value;
    if (id == O_VERBOSE)
        results_hdf5_set_verbose(1);
    return 0;
}

/* Whether a sweep writes path now: the lock probe of the reader's own open. -1 with err when
 * the file cannot be opened at all. */
static int writer_alive(const char *path, char *err, size_t errlen)
{
    results_file_state state;
    hid_t file = results_open_readable(path, 0, " (a scalesweep results file is)", &state,
                                       STATUS_PROGRAM, err, errlen);
    if (file < 0)
        return -1;
    results_release(&file);
    return state.writer_alive;
}

/* The runs under way of the sidecar into st, without those the file has rows of by now
 * (in_file: by the plan's run index; NULL: none known). 0, or -1 with why. */
static int take_sidecar(const char *path, const plan *stored, const char *in_file,
                        progress_state *st, progress_state *sidecar, char *why, size_t whylen)
{
    char *sidecar_path = progress_sidecar_path(path, why, whylen);
    double age = 0;
    if (!sidecar_path || progress_sidecar_read(sidecar_path, sidecar, &age, why, whylen) != 0) {
        free(sidecar_path);
        return -1;
    }
    free(sidecar_path);
    int64_t kept = 0;
    for (int64_t i = 0; i < sidecar->n_runs; i++) {
        const int64_t index = stored ? plan_find_run(stored, sidecar->runs[i].run_id) : -1;
        if (!(in_file && index >= 0 && in_file[index]))
            sidecar->runs[kept++] = sidecar->runs[i];
    }
    st->live = 1;
    st->running = sidecar->running - (sidecar->n_runs - kept);
    st->runs = sidecar->runs;
    st->n_runs = kept;
    /* as of now: the sidecar is up to progress_seconds old */
    st->elapsed = sidecar->elapsed + age;
    st->eta = sidecar->eta - age; /* NaN (not known) stays NaN */
    if (st->eta < 0)
        st->eta = 0;
    return 0;
}

int status_main(int argc, char **argv)
{
    int first;
    int parsed =
        cli_parse(STATUS_PROGRAM, usage, options, O_COUNT, argc, argv, set_option, NULL, &first);
    if (parsed != 0)
        return parsed > 0 ? EXIT_OK : EXIT_INPUT;
    if (argc - first != 1) {
        fprintf(stderr, "%s: expected one results file (see %s --help)\n", STATUS_PROGRAM,
                STATUS_PROGRAM);
        return EXIT_INPUT;
    }
    const char *path = argv[first];
    char err[2048];
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const int alive = writer_alive(path, err, sizeof err);
    fit_results results;
    if (alive < 0 || fit_results_read(path, &results, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", STATUS_PROGRAM, err);
        return EXIT_INPUT;
    }

    /* the total is the stored plan's; rows of another plan (--force) are not its runs */
    plan stored;
    char label[4200], note[2048];
    snprintf(label, sizeof label, "%s (plan_text)", path);
    const int have_plan = results.plan_text[0] &&
                          plan_parse(&stored, label, results.plan_text, note, sizeof note) == 0;
    char *in_file = have_plan ? calloc((size_t)(stored.n_runs + 1), 1) : NULL;
    progress_state st;
    memset(&st, 0, sizeof st);
    int64_t others = 0;
    for (int64_t i = 0; i < results.n_runs; i++) {
        const results_run *row = &results.runs[i];
        const int64_t index = have_plan ? plan_find_run(&stored, row->run_id) : -1;
        if (have_plan && index < 0) {
            others++;
            continue;
        }
        if (in_file && index >= 0)
            in_file[index] = 1;
        st.done++;
        st.failed += strcmp(row->status, "failed") == 0;
        st.diverged += strcmp(row->status, "diverged") == 0;
    }
    st.total = have_plan ? stored.n_runs : st.done;

    progress_state sidecar;
    memset(&sidecar, 0, sizeof sidecar);
    char why[2048] = "";
    const int known = alive && take_sidecar(path, have_plan ? &stored : NULL, in_file, &st,
                                            &sidecar, why, sizeof why) == 0;
    char line[2048];
    progress_format(&st, 0, line, sizeof line);
    if (known)
        printf("%s: %s\n", path, line);
    else if (alive)
        printf("%s: %s; its writers' lock is held (a sweep, or a fit writing /fits), but how far "
               "runs are is not known (%s)\n",
               path, line, why);
    else if (st.done < st.total)
        printf("%s: %s; no sweep is writing it: %lld runs are left; run the plan again to "
               "continue\n",
               path, line, (long long)(st.total - st.done));
    else
        printf("%s: %s; no sweep is writing it: every run of its plan has ended\n", path, line);
    if (!have_plan)
        printf("note: the plan stored in %s does not parse, so the total is the runs it holds: "
               "%s\n",
               path, results.plan_text[0] ? note : "it stores none");
    if (others > 0)
        printf("note: %s also holds %lld runs of another plan (added with --force)\n", path,
               (long long)others);
    progress_sidecar_free(&sidecar);
    free(in_file);
    if (have_plan)
        plan_free(&stored);
    fit_results_free(&results);
    return EXIT_OK;
}
