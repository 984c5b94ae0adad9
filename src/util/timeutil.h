/* Clocks: wall time (mockable for tests) and a monotonic clock for durations. */
#ifndef IOP_UTIL_TIMEUTIL_H
#define IOP_UTIL_TIMEUTIL_H

#include <stdint.h>

/* Seconds since the epoch; the mock time if one is set. */
int64_t time_now(void);
/* Microseconds since the epoch (not mocked). */
int64_t time_now_micros(void);
/* Monotonic microseconds, for measuring durations. */
int64_t time_mono_micros(void);
/* Sets the mock wall time (0 turns mocking off). */
void time_set_mock(int64_t t);
/* Sleeps for ms milliseconds (restarts after signals). */
void time_sleep_ms(int64_t ms);

#endif
