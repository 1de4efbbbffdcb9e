/* Wall time for durations: seconds on the monotonic clock, which no change of the
 * system's time moves. Never a seed: runs draw their randomness from rng.h alone. */
#ifndef SCALESWEEP_CLOCK_H
#define SCALESWEEP_CLOCK_H

double clock_seconds(void);
/* Sleeps until clock_seconds() reaches `when` (at once if it has), through signals. */
void clock_sleep_until(double when);

#endif
