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

/* ---- Difficulty adjustment ----
 *
 * Which target the next block must meet, as a pure function of the chain behind it.
 * The chain is reached through a callback so this library needs no block index: the
 * caller answers "the ancestor of the parent at height h" (see pow_ancestor_fn). */

enum pow_algo {
    POW_ALGO_NONE = 0,         /* every block keeps its parent's bits (regtest) */
    POW_ALGO_BTC_RETARGET = 1, /* Bitcoin's retarget every target_timespan / spacing blocks */
    POW_ALGO_ASERT = 2,        /* aserti3-2d, per block, exponential in the schedule drift */
};

/* The proof-of-work part of a chain's consensus parameters. Embedded in
 * struct chain_params; plain data. */
struct pow_params {
    uint256 pow_limit; /* largest allowed target (easiest difficulty) */
    enum pow_algo algo;
    int64_t target_spacing;      /* seconds per block: 120 (iop), 600 (Bitcoin) */
    int64_t target_timespan;     /* BTC_RETARGET: seconds per retarget window (14 days) */
    bool allow_min_difficulty;   /* BTC_RETARGET: Bitcoin testnet's 20-minute rule */
    bool no_retargeting;         /* BTC_RETARGET: keep the parent's bits at boundaries too */
    int64_t asert_half_life;     /* ASERT: seconds of drift that double or halve the target */
    int32_t asert_anchor_height; /* ASERT: height of the anchor block (>= 1) */
};

/* What the difficulty rules read of a block. */
struct pow_block {
    int32_t height;
    int64_t time;  /* header time */
    uint32_t bits; /* header bits */
};

/* Fills *out with the ancestor at height (0 <= height <= the parent's height) of the
 * block being built on, and returns true; false if it cannot. */
typedef bool (*pow_ancestor_fn)(void *ctx, int32_t height, struct pow_block *out);

/* The bits required of a block whose parent is prev (NULL for the genesis block) and
 * whose header time is block_time (used only by allow_min_difficulty). Dispatches on
 * p->algo:
 *   NONE          prev's bits (pow_limit's for the genesis block);
 *   BTC_RETARGET  Core's GetNextWorkRequired (2016-block windows with Bitcoin's values);
 *   ASERT         blocks up to asert_anchor_height get pow_limit; later blocks
 *                 pow_asert_next_target with the anchor's bits, and as reference time the
 *                 anchor's own time minus one spacing (so that the genesis timestamp,
 *                 fixed long before launch, plays no part; see doc/chain.md).
 * Returns false (*bits_out untouched) when the ancestor callback fails. */
__attribute__((warn_unused_result)) bool
pow_next_work_required(uint32_t *bits_out, const struct pow_params *p,
                       const struct pow_block *prev, int64_t block_time,
                       pow_ancestor_fn ancestor, void *ctx);

/* Bitcoin's retarget (Core's CalculateNextWorkRequired): the target of last_bits scaled
 * by the window's actual timespan (last_time - first_time, clamped to a quarter and four
 * times p->target_timespan) over the expected one, capped at pow_limit. With
 * p->no_retargeting returns last_bits. */
uint32_t pow_btc_retarget(const struct pow_params *p, uint32_t last_bits, int64_t last_time,
                          int64_t first_time);

/* aserti3-2d (the Bitcoin Cash specification, integer-only): the target of anchor_bits
 * multiplied by 2^((time_diff - spacing * (height_diff + 1)) / half_life), with the
 * exponent in 16.16 fixed point truncated toward zero and 2^frac by the spec's cubic
 * polynomial. time_diff is the parent's time minus the anchor's parent time, height_diff
 * the parent's height minus the anchor's height. The result lies in [1, pow_limit].
 * Inputs beyond what a chain can produce (|time_diff| over 2^40, |height_diff| over 2^32)
 * are clamped and give the saturated result; a spacing outside (0, 2^20] or a half-life
 * <= 0 is a parameter error and returns anchor_bits unchanged. */
uint32_t pow_asert_next_bits(uint32_t anchor_bits, int64_t time_diff, int64_t height_diff,
                             int64_t spacing, int64_t half_life, const uint256 *pow_limit);

#endif
