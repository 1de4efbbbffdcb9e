#include "checkpoints.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train.h"

void checkpoints_path(const char *output, const char *run_id, const char *ending, char *path,
                      size_t length)
{
    if (run_id)
        snprintf(path, length, "%s.checkpoints/%s%s", output, run_id, ending);
    else
        snprintf(path, length, "%s.checkpoints", output);
}

int checkpoints_prepare(const char *output, char *err, size_t errlen)
{
    char dir[4200];
    checkpoints_path(output, NULL, "", dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create the checkpoint folder: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

int checkpoints_begin_attempt(const char *output, const char *run_id)
{
    char attempts[4200], checkpoint[4200];
    checkpoints_path(output, run_id, ".attempts", attempts, sizeof attempts);
    checkpoints_path(output, run_id, ".ckpt", checkpoint, sizeof checkpoint);
    int64_t step = 0;
    train_checkpoint_step(checkpoint, &step); /* stays 0 without a checkpoint */
    /* The file exists only while a start is unaccounted for, so if it is here the last
     * start crashed. It holds that start's count and the step it began from: a crash
     * from the same step as before made no progress. */
    int crashes = 0;
    FILE *f = fopen(attempts, "r");
    if (f) {
        int count;
        long long from;
        if (fscanf(f, "%d %lld", &count, &from) == 2)
            crashes = from == step ? count + 1 : 0;
        fclose(f);
    }
    f = fopen(attempts, "w");
    if (f) {
        fprintf(f, "%d %lld\n", crashes, (long long)step);
        fclose(f);
    }
    return crashes;
}

void checkpoints_end_attempt(const char *output, const char *run_id)
{
    char attempts[4200];
    checkpoints_path(output, run_id, ".attempts", attempts, sizeof attempts);
    unlink(attempts);
}

void checkpoints_remove(const char *output, const char *run_id)
{
    char path[4200];
    checkpoints_path(output, run_id, ".ckpt", path, sizeof path);
    unlink(path);
    checkpoints_end_attempt(output, run_id);
}

void checkpoints_tidy(const char *output)
{
    char dir[4200];
    checkpoints_path(output, NULL, "", dir, sizeof dir);
    rmdir(dir); /* fails, harmlessly, unless empty */
}
