/* Clocks (see timeutil.h). */
#include "util/timeutil.h"

#include <errno.h>
#include <stdatomic.h>
#include <time.h>

static atomic_int_fast64_t mock_time;

int64_t time_now(void)
{
    int64_t m = atomic_load(&mock_time);
    if (m) return m;
    return (int64_t)time(NULL);
}

int64_t time_now_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_mono_micros(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_set_mock(int64_t t) { atomic_store(&mock_time, t); }

void time_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
