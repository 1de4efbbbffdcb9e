#include "paths.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"

int paths_writable(const char *path, char *why, size_t whylen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            message_format(why, whylen, "%s is a folder", path);
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            message_format(why, whylen, "%s is not a regular file", path);
            return -1;
        }
        if (access(path, W_OK) != 0) {
            message_format(why, whylen, "cannot write %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (errno != ENOENT) {
        message_format(why, whylen, "cannot reach %s: %s", path, strerror(errno));
        return -1;
    }
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", path);
    char *slash = strrchr(folder, '/');
    if (!slash)
        snprintf(folder, sizeof folder, ".");
    else if (slash == folder)
        folder[1] = '\0';
    else
        *slash = '\0';
    if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode)) {
        message_format(why, whylen, "cannot create %s: the folder %s does not exist", path, folder);
        return -1;
    }
    if (access(folder, W_OK | X_OK) != 0) {
        message_format(why, whylen, "cannot create %s: the folder %s is not writable (%s)", path,
                       folder, strerror(errno));
        return -1;
    }
    return 0;
}

char *paths_one_name(const char *path, char *err, size_t errlen)
{
    struct stat info;
    char *name = realpath(path, NULL);
    if (name) {
        if (stat(name, &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink > 1) {
            message_format(err, errlen,
                           "%s has %ju names (hard links); a results file written by "
                           "scalesweep must have one, so that its lock keeps writers apart",
                           path, (uintmax_t)info.st_nlink);
            free(name);
            return NULL;
        }
        return name;
    }
    if (errno != ENOENT) {
        message_format(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (lstat(path, &info) == 0) {
        message_format(err, errlen, "%s is a symbolic link to a file that does not exist", path);
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *folder = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *real_folder = folder ? realpath(folder, NULL) : NULL;
    if (!real_folder) {
        message_format(err, errlen, "%s: cannot resolve its folder %s: %s", path,
                       folder ? folder : "", strerror(errno));
        free(folder);
        return NULL;
    }
    free(folder);
    size_t length = strlen(real_folder) + 1 + strlen(base) + 1;
    name = malloc(length);
    if (name)
        snprintf(name, length, "%s%s%s", real_folder, strcmp(real_folder, "/") == 0 ? "" : "/",
                 base);
    else
        message_format(err, errlen, "%s: out of memory", path);
    free(real_folder);
    return name;
}
