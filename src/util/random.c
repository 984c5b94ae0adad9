/* Kernel randomness (see random.h). */
#include "util/random.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

bool random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t r = getrandom(p, len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += r;
        len -= (size_t)r;
    }
    return true;
}

uint64_t random_range(uint64_t range)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    for (;;) {
        uint64_t v;
        if (!random_bytes(&v, sizeof v)) abort();
        if (v < limit) return v % range;
    }
}
