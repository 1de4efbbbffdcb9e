#include "clock.h"

#include <errno.h>
#include <time.h>

double clock_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void clock_sleep_until(double when)
{
    if (!(when > 0.0))
        return;
    struct timespec ts = {(time_t)when, (long)((when - (double)(time_t)when) * 1e9)};
    if (ts.tv_nsec >= 1000000000L) /* rounding up */
        ts = (struct timespec){ts.tv_sec + 1, 0};
    /* absolute, so that a wake-up by a signal sleeps only the rest */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}
