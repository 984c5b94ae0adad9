/* Hexadecimal encoding and decoding. */
#ifndef IOP_UTIL_HEX_H
#define IOP_UTIL_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits and a NUL to out (which holds 2*len+1 bytes). */
void hex_encode(char *out, const uint8_t *data, size_t len);

/* Decodes the hex string hex (exactly hexlen characters, even, no prefix or spaces)
 * into out, which holds out_cap bytes. Returns false on an odd length, a non-hex
 * character or a result larger than out_cap; *out_len receives the byte count. */
__attribute__((warn_unused_result)) bool hex_decode(uint8_t *out, size_t out_cap,
                                                    size_t *out_len, const char *hex,
                                                    size_t hexlen);

/* Decodes a NUL-terminated hex string into a new malloc'd buffer (*out, caller frees;
 * a zero-length string gives a non-NULL one-byte allocation). Returns false on bad hex
 * or out of memory, leaving *out NULL. */
__attribute__((warn_unused_result)) bool hex_decode_alloc(const char *hex, uint8_t **out,
                                                          size_t *out_len);

/* Value of one hex digit, or -1. */
int hex_digit(char c);

/* Reverses len bytes in place (display order of hashes). */
void bytes_reverse(uint8_t *data, size_t len);

#endif
