#include "checkpoint_folder.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train.h"

void checkpoint_folder_path(const char *output, const char *run_id, const char *ending, char *path,
                            size_t length)
{
    if (run_id)
        snprintf(path, length, "%s.checkpoints/%s%s", output, run_id, ending);
    else
        snprintf(path, length, "%s.checkpoints", output);
}

int checkpoint_folder_prepare(const char *output, char *err, size_t errlen)
{
    char dir[4200];
    checkpoint_folder_path(output, NULL, "", dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the checkpoint folder: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int checkpoint_folder_crashes(const char *output, const char *run_id)
{
    char path[4200];
    checkpoint_folder_path(output, run_id, ".crashes", path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int lines = 0, c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

/* The crash file of the run in flight, ready before any crash: a signal handler may
 * only make async-signal-safe calls (open, write, close, raise). */
static char crash_path[4200];
static volatile sig_atomic_t crash_watch = 0;

static void on_crash(int sig)
{
    if (crash_watch) {
        int fd = open(crash_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            static const char line[] = "crashed\n";
            ssize_t ignored = write(fd, line, sizeof line - 1);
            (void)ignored;
            close(fd);
        }
    }
    raise(sig); /* SA_RESETHAND restored the default action: die of the same signal */
}

void checkpoint_folder_watch_crashes(const char *output, const char *run_id)
{
    static int installed = 0;
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
        for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
            sigaction(fatal[i], &sa, NULL);
        installed = 1;
    }
    crash_watch = 0;
    if (run_id) {
        checkpoint_folder_path(output, run_id, ".crashes", crash_path, sizeof crash_path);
        crash_watch = 1;
    }
}

void checkpoint_folder_remove(const char *output, const char *run_id)
{
    char path[4200];
    checkpoint_folder_path(output, run_id, ".ckpt", path, sizeof path);
    unlink(path);
    checkpoint_folder_path(output, run_id, ".crashes", path, sizeof path);
    unlink(path);
}

void checkpoint_folder_tidy(const char *output)
{
    char dir[4200];
    checkpoint_folder_path(output, NULL, "", dir, sizeof dir);
    rmdir(dir); /* fails, harmlessly, unless empty */
}
