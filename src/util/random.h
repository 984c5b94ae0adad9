/* Secure random bytes from the kernel (getrandom). */
#ifndef IOP_UTIL_RANDOM_H
#define IOP_UTIL_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills buf with len bytes from getrandom(2). Returns false only if the kernel fails,
 * which callers treat as fatal (there is no weaker fallback on purpose). */
__attribute__((warn_unused_result)) bool random_bytes(void *buf, size_t len);

/* A uniformly distributed value in [0, range) (range > 0); aborts if the kernel RNG
 * fails, since nothing secure can continue. */
uint64_t random_range(uint64_t range);

#endif
