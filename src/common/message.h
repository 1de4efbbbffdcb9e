/* Messages into caller buffers: every function that can fail takes (char *err, size_t
 * errlen) and says what went wrong there, in one line. */
#ifndef SCALESWEEP_MESSAGE_H
#define SCALESWEEP_MESSAGE_H

#include <stddef.h>

/* printf into out (nothing when out is NULL or size 0); the text is cut to fit. */
void message_format(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "a, b, c" with last between the last two (", " or " or ") into out, cut to fit. */
void message_join(const char *const *names, int count, const char *last, char *out, size_t size);

#endif
