#include "paths.h"

#include <errno.h>
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
