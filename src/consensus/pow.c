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
