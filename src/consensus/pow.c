/* See pow.h. The 256-bit type is deliberately small: fixed limbs, schoolbook
 * operations and bit-serial long division. Targets and work are computed a few times
 * per header, so clarity matters more than speed here. */
#include "consensus/pow.h"

#include <string.h>

#include "consensus/serialize.h"

#define LIMBS 8

void arith256_set_u64(arith256 *out, uint64_t v)
{
    memset(out, 0, sizeof(*out));
    out->w[0] = (uint32_t)v;
    out->w[1] = (uint32_t)(v >> 32);
}

void arith256_from_uint256(arith256 *out, const uint256 *h)
{
    for (int i = 0; i < LIMBS; i++) out->w[i] = le32_read(h->b + 4 * i);
}

void arith256_to_uint256(uint256 *out, const arith256 *a)
{
    for (int i = 0; i < LIMBS; i++) le32_write(out->b + 4 * i, a->w[i]);
}

int arith256_cmp(const arith256 *a, const arith256 *b)
{
    for (int i = LIMBS - 1; i >= 0; i--) {
        if (a->w[i] < b->w[i]) return -1;
        if (a->w[i] > b->w[i]) return 1;
    }
    return 0;
}

bool arith256_is_zero(const arith256 *a)
{
    for (int i = 0; i < LIMBS; i++)
        if (a->w[i]) return false;
    return true;
}

unsigned arith256_bits(const arith256 *a)
{
    for (int i = LIMBS - 1; i >= 0; i--) {
        if (a->w[i]) {
            unsigned n = 32;
            while (!(a->w[i] & (1u << (n - 1)))) n--;
            return 32u * (unsigned)i + n;
        }
    }
    return 0;
}

void arith256_add(arith256 *out, const arith256 *a, const arith256 *b)
{
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t s = (uint64_t)a->w[i] + b->w[i] + carry;
        out->w[i] = (uint32_t)s;
        carry = s >> 32;
    }
}

void arith256_sub(arith256 *out, const arith256 *a, const arith256 *b)
{
    uint64_t borrow = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t d = (uint64_t)a->w[i] - b->w[i] - borrow;
        out->w[i] = (uint32_t)d;
        borrow = (d >> 32) & 1; /* the subtraction wrapped: borrow from the next limb */
    }
}

void arith256_shl(arith256 *out, const arith256 *a, unsigned n)
{
    arith256 r;
    memset(&r, 0, sizeof(r));
    if (n < 256) {
        unsigned limbs = n / 32, bits = n % 32;
        for (unsigned i = LIMBS; i-- > limbs;) {
            uint64_t v = (uint64_t)a->w[i - limbs] << bits;
            r.w[i] |= (uint32_t)v;
            if (i + 1 < LIMBS) r.w[i + 1] |= (uint32_t)(v >> 32);
        }
    }
    *out = r;
}

void arith256_shr(arith256 *out, const arith256 *a, unsigned n)
{
    arith256 r;
    memset(&r, 0, sizeof(r));
    if (n < 256) {
        unsigned limbs = n / 32, bits = n % 32;
        for (unsigned i = 0; i + limbs < LIMBS; i++) {
            uint64_t v = ((uint64_t)a->w[i + limbs] << 32) >> bits;
            r.w[i] |= (uint32_t)(v >> 32);
            if (i > 0) r.w[i - 1] |= (uint32_t)v;
        }
    }
    *out = r;
}

void arith256_not(arith256 *out, const arith256 *a)
{
    for (int i = 0; i < LIMBS; i++) out->w[i] = ~a->w[i];
}

void arith256_mul_u32(arith256 *out, const arith256 *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < LIMBS; i++) {
        uint64_t p = (uint64_t)a->w[i] * m + carry;
        out->w[i] = (uint32_t)p;
        carry = p >> 32;
    }
}

bool arith256_div(arith256 *out, const arith256 *a, const arith256 *b)
{
    unsigned den_bits = arith256_bits(b);
    if (den_bits == 0) return false;
    arith256 rem = *a, den, quot;
    memset(&quot, 0, sizeof(quot));
    unsigned num_bits = arith256_bits(&rem);
    if (num_bits >= den_bits) {
        /* Align the divisor's top bit with the dividend's, then subtract it out one
         * bit position at a time. */
        unsigned shift = num_bits - den_bits;
        arith256_shl(&den, b, shift);
        for (;;) {
            if (arith256_cmp(&rem, &den) >= 0) {
                arith256_sub(&rem, &rem, &den);
                quot.w[shift / 32] |= 1u << (shift % 32);
            }
            if (shift == 0) break;
            arith256_shr(&den, &den, 1);
            shift--;
        }
    }
    *out = quot;
    return true;
}

void arith256_to_hex(char out[65], const arith256 *a)
{
    uint256 h;
    arith256_to_uint256(&h, a);
    uint256_to_hex(out, &h);
}

void arith256_set_compact(arith256 *out, uint32_t compact, bool *negative, bool *overflow)
{
    unsigned size = compact >> 24;
    uint32_t mantissa = compact & 0x007fffffu;
    if (size <= 3) {
        mantissa >>= 8 * (3 - size);
        arith256_set_u64(out, mantissa);
    } else {
        arith256 m;
        arith256_set_u64(&m, mantissa);
        arith256_shl(out, &m, 8 * (size - 3));
    }
    if (negative) *negative = mantissa != 0 && (compact & 0x00800000u) != 0;
    /* The mantissa's top non-zero byte must land within the 32 bytes. */
    if (overflow)
        *overflow = mantissa != 0 && (size > 34 || (mantissa > 0xff && size > 33) ||
                                      (mantissa > 0xffff && size > 32));
}

uint32_t arith256_get_compact(const arith256 *a, bool negative)
{
    unsigned size = (arith256_bits(a) + 7) / 8;
    uint32_t mantissa;
    if (size <= 3) {
        arith256 t;
        arith256_shl(&t, a, 8 * (3 - size));
        mantissa = t.w[0];
    } else {
        arith256 t;
        arith256_shr(&t, a, 8 * (size - 3));
        mantissa = t.w[0];
    }
    /* Bit 23 is the sign: when the mantissa would use it, take one byte less of
     * precision instead. */
    if (mantissa & 0x00800000u) {
        mantissa >>= 8;
        size++;
    }
    uint32_t compact = mantissa | (uint32_t)size << 24;
    if (negative && (mantissa & 0x007fffffu)) compact |= 0x00800000u;
    return compact;
}

bool check_proof_of_work(const uint256 *hash, uint32_t bits, const uint256 *pow_limit)
{
    bool negative, overflow;
    arith256 target, limit, h;
    arith256_set_compact(&target, bits, &negative, &overflow);
    arith256_from_uint256(&limit, pow_limit);
    if (negative || overflow || arith256_is_zero(&target) || arith256_cmp(&target, &limit) > 0)
        return false;
    arith256_from_uint256(&h, hash);
    return arith256_cmp(&h, &target) <= 0;
}

void pow_block_work(arith256 *out, uint32_t bits)
{
    bool negative, overflow;
    arith256 target;
    arith256_set_compact(&target, bits, &negative, &overflow);
    if (negative || overflow || arith256_is_zero(&target)) {
        arith256_set_u64(out, 0);
        return;
    }
    /* 2^256 does not fit, but 2^256 / (T+1) = (2^256 - T - 1) / (T+1) + 1 = ~T / (T+1) + 1. */
    arith256 num, den, one;
    arith256_set_u64(&one, 1);
    arith256_not(&num, &target);
    arith256_add(&den, &target, &one);
    if (!arith256_div(out, &num, &den)) { /* T = 2^256 - 1 cannot come from bits */
        *out = one;
        return;
    }
    arith256_add(out, out, &one);
}

/* ---- Difficulty adjustment ---- */

static uint32_t pow_limit_bits(const struct pow_params *p)
{
    arith256 limit;
    arith256_from_uint256(&limit, &p->pow_limit);
    return arith256_get_compact(&limit, false);
}

uint32_t pow_btc_retarget(const struct pow_params *p, uint32_t last_bits, int64_t last_time,
                          int64_t first_time)
{
    if (p->no_retargeting) return last_bits;
    int64_t span = p->target_timespan;
    int64_t actual = last_time - first_time;
    if (actual < span / 4) actual = span / 4;
    if (actual > span * 4) actual = span * 4;

    arith256 target, limit, den;
    arith256_set_compact(&target, last_bits, NULL, NULL);
    arith256_from_uint256(&limit, &p->pow_limit);
    /* Core multiplies in 256 bits and relies on the target being small enough not to
     * wrap; a target above the limit is capped first, which changes nothing for any
     * valid chain and keeps the product in range for any pow_limit below 2^233. */
    if (arith256_cmp(&target, &limit) > 0) target = limit;
    arith256_mul_u32(&target, &target, (uint32_t)actual);
    arith256_set_u64(&den, (uint64_t)span);
    if (!arith256_div(&target, &target, &den)) return last_bits; /* span 0: bad params */
    if (arith256_cmp(&target, &limit) > 0) target = limit;
    return arith256_get_compact(&target, false);
}

/* Floor division by 2^16 of a signed value, without relying on how >> treats
 * negative numbers. */
#define ASERT_MAX_SPACING (INT64_C(1) << 20)

static int64_t floor_div_65536(int64_t v)
{
    if (v >= 0) return v / 65536;
    return -((-v + 65535) / 65536);
}

uint32_t pow_asert_next_bits(uint32_t anchor_bits, int64_t time_diff, int64_t height_diff,
                             int64_t spacing, int64_t half_life, const uint256 *pow_limit)
{
    arith256 limit, anchor;
    arith256_from_uint256(&limit, pow_limit);
    arith256_set_compact(&anchor, anchor_bits, NULL, NULL);

    if (spacing <= 0 || spacing > ASERT_MAX_SPACING || half_life <= 0) return anchor_bits;
    /* Keep the arithmetic in 64 bits whatever the caller passes: beyond these bounds the
     * result is saturated (at the limit or at 1) anyway for any sane half-life. */
    const int64_t big = INT64_C(1) << 40, huge = INT64_C(1) << 46;
    if (time_diff > big) time_diff = big;
    if (time_diff < -big) time_diff = -big;
    if (height_diff > big / 256) height_diff = big / 256;
    if (height_diff < -big / 256) height_diff = -big / 256;
    int64_t delta = time_diff - spacing * (height_diff + 1); /* |delta| < 2^53 */
    if (delta > huge) delta = huge;
    if (delta < -huge) delta = -huge;
    /* The exponent in 16.16 fixed point; C's division truncates toward zero, as the
     * specification's reference implementation does. */
    int64_t exponent = (delta * 65536) / half_life;
    int64_t shifts = floor_div_65536(exponent);
    uint64_t frac = (uint64_t)(exponent - shifts * 65536); /* in [0, 65535] */
    /* 2^(frac/65536) * 65536 by the spec's cubic; the sum stays below 2^64. */
    uint64_t factor = 65536 + ((195766423245049ull * frac + 971821376ull * frac * frac +
                                5127ull * frac * frac * frac + (1ull << 47)) >>
                               48);

    /* anchor * factor needs up to 256 + 17 bits: hold it in nine limbs. */
    uint32_t prod[9];
    uint64_t carry = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t v = (uint64_t)anchor.w[i] * factor + carry;
        prod[i] = (uint32_t)v;
        carry = v >> 32;
    }
    prod[8] = (uint32_t)carry;

    /* Shift by shifts - 16 (the factor's own 16 fraction bits), bit by bit into place;
     * a bit that would land at or above 2^256 means "larger than any limit". */
    arith256 next;
    memset(&next, 0, sizeof(next));
    int64_t shift = shifts - 16;
    for (int bit = 0; bit < 9 * 32; bit++) {
        if (!(prod[bit / 32] & (1u << (bit % 32)))) continue;
        int64_t dest = bit + shift;
        if (dest >= 256) return arith256_get_compact(&limit, false);
        if (dest >= 0) next.w[dest / 32] |= 1u << (dest % 32);
    }
    if (arith256_is_zero(&next)) arith256_set_u64(&next, 1);
    if (arith256_cmp(&next, &limit) > 0) next = limit;
    return arith256_get_compact(&next, false);
}

static bool next_work_btc(uint32_t *bits_out, const struct pow_params *p,
                          const struct pow_block *prev, int64_t block_time,
                          pow_ancestor_fn ancestor, void *ctx)
{
    if (p->target_spacing <= 0 || p->target_timespan <= 0) return false;
    uint32_t limit_bits = pow_limit_bits(p);
    int64_t interval = p->target_timespan / p->target_spacing;
    if (interval <= 0) return false;
    if (((int64_t)prev->height + 1) % interval != 0) {
        if (p->allow_min_difficulty) {
            /* A block more than twice the spacing after its parent may use the
             * minimum difficulty; otherwise the last non-minimum bits apply. */
            if (block_time > prev->time + p->target_spacing * 2) {
                *bits_out = limit_bits;
                return true;
            }
            struct pow_block b = *prev;
            while (b.height > 0 && b.height % interval != 0 && b.bits == limit_bits)
                if (!ancestor(ctx, b.height - 1, &b)) return false;
            *bits_out = b.bits;
            return true;
        }
        *bits_out = prev->bits;
        return true;
    }
    /* First block of the window that ends at prev (Core goes back interval - 1). */
    struct pow_block first;
    int64_t first_height = (int64_t)prev->height - (interval - 1);
    if (first_height < 0) return false;
    if (!ancestor(ctx, (int32_t)first_height, &first)) return false;
    *bits_out = pow_btc_retarget(p, prev->bits, prev->time, first.time);
    return true;
}

static bool next_work_asert(uint32_t *bits_out, const struct pow_params *p,
                            const struct pow_block *prev, pow_ancestor_fn ancestor, void *ctx)
{
    if (p->asert_half_life <= 0 || p->target_spacing <= 0) return false;
    if (prev->height + 1 <= p->asert_anchor_height) {
        *bits_out = pow_limit_bits(p);
        return true;
    }
    struct pow_block anchor;
    if (prev->height == p->asert_anchor_height)
        anchor = *prev;
    else if (!ancestor(ctx, p->asert_anchor_height, &anchor))
        return false;
    /* The anchor's "parent time" is taken as the anchor's time minus one spacing. */
    int64_t ref_time = anchor.time - p->target_spacing;
    *bits_out = pow_asert_next_bits(anchor.bits, prev->time - ref_time,
                                    (int64_t)prev->height - p->asert_anchor_height,
                                    p->target_spacing, p->asert_half_life, &p->pow_limit);
    return true;
}

bool pow_next_work_required(uint32_t *bits_out, const struct pow_params *p,
                            const struct pow_block *prev, int64_t block_time,
                            pow_ancestor_fn ancestor, void *ctx)
{
    if (!prev) {
        *bits_out = pow_limit_bits(p);
        return true;
    }
    switch (p->algo) {
    case POW_ALGO_NONE: *bits_out = prev->bits; return true;
    case POW_ALGO_BTC_RETARGET:
        return next_work_btc(bits_out, p, prev, block_time, ancestor, ctx);
    case POW_ALGO_ASERT: return next_work_asert(bits_out, p, prev, ancestor, ctx);
    }
    return false;
}
