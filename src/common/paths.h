/* Whether a file can be written where a user named it, asked before any work is done, so
 * that a run does not train for an hour to fail at its end. Only stat and access: asking
 * creates, truncates or touches nothing. */
#ifndef SCALESWEEP_PATHS_H
#define SCALESWEEP_PATHS_H

#include <stddef.h>

/* 0 when path is a writable regular file, or does not exist and its folder exists and is
 * writable; -1 with why ("the folder runs/ does not exist", "a folder", ...). */
int paths_writable(const char *path, char *why, size_t whylen);

#endif
