/* Proof of work: the compact "bits" encoding of a target, the target check and the
 * amount of work a block represents, on a small 256-bit unsigned integer type.
 *
 * Hashes (uint256) are stored in serialization order, which read as a number is
 * little-endian: byte 31 is the most significant. arith256 is the same number held in
 * eight 32-bit limbs, least significant first, so it can be shifted, added, compared
 * and divided. Every function here is pure; none allocates. */
#ifndef IOP_CONSENSUS_POW_H
#define IOP_CONSENSUS_POW_H

#include <stdbool.h>
#include <stdint.h>

#include "consensus/hash.h"

/* An unsigned 256-bit integer; arithmetic wraps modulo 2^256. */
typedef struct {
    uint32_t w[8]; /* w[0] is the least significant limb */
} arith256;

/* ---- 256-bit arithmetic ---- */

void arith256_set_u64(arith256 *out, uint64_t v);
/* Conversions to and from a hash read as a little-endian number. */
void arith256_from_uint256(arith256 *out, const uint256 *h);
void arith256_to_uint256(uint256 *out, const arith256 *a);
/* Returns <0, 0 or >0 as a is less than, equal to or greater than b. */
int arith256_cmp(const arith256 *a, const arith256 *b);
bool arith256_is_zero(const arith256 *a);
/* The number of significant bits (0 for zero). */
unsigned arith256_bits(const arith256 *a);
/* out = a + b, a - b (mod 2^256). out may alias a or b. */
void arith256_add(arith256 *out, const arith256 *a, const arith256 *b);
void arith256_sub(arith256 *out, const arith256 *a, const arith256 *b);
/* out = a << n, a >> n; n >= 256 gives zero. out may alias a. */
void arith256_shl(arith256 *out, const arith256 *a, unsigned n);
void arith256_shr(arith256 *out, const arith256 *a, unsigned n);
/* out = ~a. */
void arith256_not(arith256 *out, const arith256 *a);
/* out = a * m (mod 2^256). out may alias a. */
void arith256_mul_u32(arith256 *out, const arith256 *a, uint32_t m);
/* out = a / b, rounded down. Returns false (out untouched) when b is zero. out may
 * alias a or b. */
__attribute__((warn_unused_result)) bool arith256_div(arith256 *out, const arith256 *a,
                                                      const arith256 *b);
/* 64 hex digits, most significant first, plus a NUL. */
void arith256_to_hex(char out[65], const arith256 *a);

/* ---- Compact targets ---- */

/* Decodes a compact target (Bitcoin's nBits; Core's SetCompact): the top byte is a
 * length in bytes, bit 23 a sign and the low 23 bits the mantissa. *negative is set when
 * the sign bit is on and the mantissa non-zero; *overflow when the value does not fit
 * in 256 bits (the returned value is then truncated). Either flag pointer may be NULL. */
void arith256_set_compact(arith256 *out, uint32_t compact, bool *negative, bool *overflow);
/* Encodes a as the shortest compact form (Core's GetCompact); negative sets the sign
 * bit unless the mantissa is zero. */
uint32_t arith256_get_compact(const arith256 *a, bool negative);

/* True when bits decodes to a positive, non-overflowing target no larger than
 * pow_limit and the hash, read as a little-endian number, is not above it (Core's
 * CheckProofOfWork). */
bool check_proof_of_work(const uint256 *hash, uint32_t bits, const uint256 *pow_limit);

/* The expected number of hashes to find a block at target T: 2^256 / (T + 1), written
 * to *out. Zero for a negative, zero or overflowing target (Core's GetBlockProof). */
void pow_block_work(arith256 *out, uint32_t bits);

#endif
