/* JSON text the way Bitcoin Core's RPC writes it.
 *
 * jansson prints every real with "%.17g", so an amount of 0.00012345 comes out as
 * 0.00012344999999999999: numerically the same double, but scripts that read decimals
 * see another value. Here a real that is a whole number of satoshis (a multiple of 1e-8
 * below 1e11) is written with exactly 8 decimals, as Core's ValueFromAmount does, and
 * any other real with %.16g, as Core's UniValue (setprecision(16)) does. Keys
 * keep insertion order; strings are UTF-8 with JSON escapes for control characters. */
#ifndef IOP_UTIL_JSON_WRITE_H
#define IOP_UTIL_JSON_WRITE_H

#include <jansson.h>

/* Returns a new malloc'd NUL-terminated string (caller frees), or NULL on out of memory.
 * indent 0 writes compact text; indent > 0 pretty-prints with that many spaces, as
 * iop-cli shows results. Any JSON value may be written, not only objects and arrays. */
char *json_write(const json_t *value, int indent);

#endif
