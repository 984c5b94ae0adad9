/* Base58 and Base58Check, the text encoding of legacy addresses, WIF secret keys and
 * BIP32 extended keys.
 *
 * Base58 writes a byte string as a big number in base 58 over an alphabet without the
 * look-alike characters 0, O, I and l; every leading zero byte becomes a leading '1'.
 * Base58Check appends the first 4 bytes of SHA-256d(payload) before encoding, so a typo
 * is caught with probability 1 - 2^-32.
 *
 * The conversion is quadratic in the length, so both directions take bounded input:
 * strings of at most BASE58_MAX_STRING characters and byte strings of at most
 * BASE58_MAX_DATA bytes (the longest thing we encode, an extended key, is 82 bytes /
 * 112 characters). All work space is on the stack; nothing is allocated. Decoding is
 * strict: whitespace or any character outside the alphabet is an error. */
#ifndef IOP_CONSENSUS_BASE58_H
#define IOP_CONSENSUS_BASE58_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest string base58_decode / base58check_decode accept (characters). */
#define BASE58_MAX_STRING 200
/* Longest byte string base58_encode accepts; its encoding is at most 192 characters.
 * base58check_encode takes 4 bytes less (the checksum is added). */
#define BASE58_MAX_DATA 140
/* Characters needed to encode len bytes in the worst case, without the NUL. */
#define BASE58_ENCODED_MAX(len) (((len)*138) / 100 + 1)

enum base58_result {
    BASE58_OK = 0,
    BASE58_INVALID_CHAR, /* a character outside the alphabet */
    BASE58_TOO_LONG,     /* input over the bound, or result larger than out_cap */
    BASE58_TOO_SHORT,    /* Base58Check: fewer than 4 bytes, no room for a checksum */
    BASE58_BAD_CHECKSUM, /* Base58Check: the 4 check bytes do not match */
};

/* Short English description of r ("invalid character", ...); never NULL. */
const char *base58_result_string(enum base58_result r);

/* Encodes len bytes of data (len <= BASE58_MAX_DATA) into out as a NUL-terminated
 * string. out holds out_cap bytes including the NUL. Returns false, leaving out empty
 * if out_cap > 0, when len is over the bound or out is too small. An empty input gives
 * an empty string. */
__attribute__((warn_unused_result)) bool base58_encode(char *out, size_t out_cap,
                                                       const uint8_t *data, size_t len);

/* Decodes the NUL-terminated string str into out (out_cap bytes); *out_len receives the
 * byte count. An empty string decodes to zero bytes. Returns BASE58_OK,
 * BASE58_INVALID_CHAR for a character outside the alphabet, or BASE58_TOO_LONG when str is
 * longer than BASE58_MAX_STRING or the result does not fit out_cap. On failure *out_len is 0
 * and out is unspecified. */
__attribute__((warn_unused_result)) enum base58_result
base58_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *str);

/* Base58Check: encodes payload || sha256d(payload)[0..4). len <= BASE58_MAX_DATA - 4.
 * Output and failure as base58_encode. */
__attribute__((warn_unused_result)) bool base58check_encode(char *out, size_t out_cap,
                                                            const uint8_t *payload, size_t len);

/* Decodes a Base58Check string and verifies its checksum; out (out_cap bytes) receives
 * the payload without the checksum and *out_len its length. Returns BASE58_OK or the
 * reason it failed (BASE58_TOO_LONG also when the payload exceeds out_cap). The work
 * buffers are wiped before returning, since payloads may be secret keys. */
__attribute__((warn_unused_result)) enum base58_result
base58check_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *str);

#endif
