/* Whether a file can be written where a user named it, asked before any work is done, so
 * that a run does not train for an hour to fail at its end, and the one name of a file
 * however it is named. Only stat, access and realpath: asking creates, truncates or
 * touches nothing. */
#ifndef SCALESWEEP_PATHS_H
#define SCALESWEEP_PATHS_H

#include <stddef.h>

/* 0 when path is a writable regular file, or does not exist and its folder exists and is
 * writable; -1 with why ("the folder runs/ does not exist", "a folder", ...). */
int paths_writable(const char *path, char *why, size_t whylen);

/* The one name of the file at path, malloc'd: symbolic links, . and .. resolved (and of a
 * file not there yet, its folder's, with its own name), so that every name of a file a
 * program writes gives the same one. NULL with err for a symbolic link to nothing, a file
 * of several names (hard links: no one name), or a folder that cannot be resolved. */
char *paths_one_name(const char *path, char *err, size_t errlen);

#endif
