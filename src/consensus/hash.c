/* See hash.h. RIPEMD-160 follows Dobbertin, Bosselaers and Preneel (1996); SipHash
 * follows Aumasson and Bernstein (2012). */
#include "consensus/hash.h"

#include <string.h>

#include "consensus/serialize.h"
#include "util/hex.h"

int uint256_cmp(const uint256 *a, const uint256 *b) { return memcmp(a->b, b->b, 32); }

bool uint256_is_zero(const uint256 *a)
{
    for (int i = 0; i < 32; i++)
        if (a->b[i]) return false;
    return true;
}

bool uint256_from_hex(uint256 *out, const char *hex)
{
    size_t n;
    if (strlen(hex) != 64 || !hex_decode(out->b, 32, &n, hex, 64)) return false;
    bytes_reverse(out->b, 32);
    return true;
}

void uint256_to_hex(char out[65], const uint256 *a)
{
    uint8_t rev[32];
    memcpy(rev, a->b, 32);
    bytes_reverse(rev, 32);
    hex_encode(out, rev, 32);
}

void sha256_init(struct sha256_ctx *ctx) { SHA256_Init(&ctx->c); }
void sha256_write(struct sha256_ctx *ctx, const void *data, size_t len)
{
    SHA256_Update(&ctx->c, data, len);
}
void sha256_finalize(struct sha256_ctx *ctx, uint8_t out[32]) { SHA256_Final(out, &ctx->c); }

void sha256(const void *data, size_t len, uint8_t out[32])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, data, len);
    SHA256_Final(out, &c);
}

void sha256d(const void *data, size_t len, uint8_t out[32])
{
    uint8_t first[32];
    sha256(data, len, first);
    sha256(first, 32, out);
}

void sha1(const void *data, size_t len, uint8_t out[20])
{
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, data, len);
    SHA1_Final(out, &c);
}

void sha512(const void *data, size_t len, uint8_t out[64])
{
    SHA512_CTX c;
    SHA512_Init(&c);
    SHA512_Update(&c, data, len);
    SHA512_Final(out, &c);
}

/* ---- RIPEMD-160 ---- */

static inline uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static uint32_t rmd_f(int j, uint32_t x, uint32_t y, uint32_t z)
{
    switch (j / 16) {
    case 0: return x ^ y ^ z;
    case 1: return (x & y) | (~x & z);
    case 2: return (x | ~y) ^ z;
    case 3: return (x & z) | (y & ~z);
    default: return x ^ (y | ~z);
    }
}

static void ripemd160_block(uint32_t h[5], const uint8_t *block)
{
    static const uint8_t r[80] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
        3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
        1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
        4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13};
    static const uint8_t rr[80] = {
        5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
        6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
        15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
        8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
        12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11};
    static const uint8_t s[80] = {
        11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
        7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
        11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
        11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
        9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6};
    static const uint8_t ss[80] = {
        8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
        9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
        9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
        15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
        8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11};
    static const uint32_t k[5] = {0, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E};
    static const uint32_t kk[5] = {0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0};

    uint32_t x[16];
    for (int i = 0; i < 16; i++) x[i] = le32_read(block + 4 * i);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    uint32_t a2 = a, b2 = b, c2 = c, d2 = d, e2 = e;
    for (int j = 0; j < 80; j++) {
        uint32_t t = rol32(a + rmd_f(j, b, c, d) + x[r[j]] + k[j / 16], s[j]) + e;
        a = e;
        e = d;
        d = rol32(c, 10);
        c = b;
        b = t;
        t = rol32(a2 + rmd_f(79 - j, b2, c2, d2) + x[rr[j]] + kk[j / 16], ss[j]) + e2;
        a2 = e2;
        e2 = d2;
        d2 = rol32(c2, 10);
        c2 = b2;
        b2 = t;
    }
    uint32_t t = h[1] + c + d2;
    h[1] = h[2] + d + e2;
    h[2] = h[3] + e + a2;
    h[3] = h[4] + a + b2;
    h[4] = h[0] + b + c2;
    h[0] = t;
}

void ripemd160(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    while (left >= 64) {
        ripemd160_block(h, p);
        p += 64;
        left -= 64;
    }
    uint8_t tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tail_len = left + 1 + 8 <= 64 ? 64 : 128;
    le64_write(tail + tail_len - 8, (uint64_t)len * 8);
    for (size_t off = 0; off < tail_len; off += 64) ripemd160_block(h, tail + off);
    for (int i = 0; i < 5; i++) le32_write(out + 4 * i, h[i]);
}

void hash160(const void *data, size_t len, uint8_t out[20])
{
    uint8_t h[32];
    sha256(data, len, h);
    ripemd160(h, 32, out);
}

/* ---- HMAC (RFC 2104) ---- */

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[32])
{
    uint8_t k[64] = {0}, pad[64], inner[32];
    if (keylen > 64)
        sha256(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    SHA256_CTX c;
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    SHA256_Init(&c);
    SHA256_Update(&c, pad, 64);
    SHA256_Update(&c, msg, msglen);
    SHA256_Final(inner, &c);
    for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    SHA256_Init(&c);
    SHA256_Update(&c, pad, 64);
    SHA256_Update(&c, inner, 32);
    SHA256_Final(out, &c);
}

void hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[64])
{
    uint8_t k[128] = {0}, pad[128], inner[64];
    if (keylen > 128)
        sha512(key, keylen, k);
    else if (keylen)
        memcpy(k, key, keylen);
    SHA512_CTX c;
    for (int i = 0; i < 128; i++) pad[i] = k[i] ^ 0x36;
    SHA512_Init(&c);
    SHA512_Update(&c, pad, 128);
    SHA512_Update(&c, msg, msglen);
    SHA512_Final(inner, &c);
    for (int i = 0; i < 128; i++) pad[i] = k[i] ^ 0x5c;
    SHA512_Init(&c);
    SHA512_Update(&c, pad, 128);
    SHA512_Update(&c, inner, 64);
    SHA512_Final(out, &c);
}

/* ---- BIP340 tagged hashes ---- */

void sha256_tagged_init(struct sha256_ctx *ctx, const char *tag)
{
    uint8_t t[32];
    sha256(tag, strlen(tag), t);
    sha256_init(ctx);
    sha256_write(ctx, t, 32);
    sha256_write(ctx, t, 32);
}

void tagged_hash(const char *tag, const void *msg, size_t len, uint8_t out[32])
{
    struct sha256_ctx ctx;
    sha256_tagged_init(&ctx, tag);
    sha256_write(&ctx, msg, len);
    sha256_finalize(&ctx, out);
}

/* ---- SipHash-2-4 ---- */

#define SIPROUND                                                                       \
    do {                                                                               \
        v0 += v1;                                                                      \
        v1 = rol64(v1, 13);                                                            \
        v1 ^= v0;                                                                      \
        v0 = rol64(v0, 32);                                                            \
        v2 += v3;                                                                      \
        v3 = rol64(v3, 16);                                                            \
        v3 ^= v2;                                                                      \
        v0 += v3;                                                                      \
        v3 = rol64(v3, 21);                                                            \
        v3 ^= v0;                                                                      \
        v2 += v1;                                                                      \
        v1 = rol64(v1, 17);                                                            \
        v1 ^= v2;                                                                      \
        v2 = rol64(v2, 32);                                                            \
    } while (0)

static inline uint64_t rol64(uint64_t x, int n) { return (x << n) | (x >> (64 - n)); }

uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    const uint8_t *p = data;
    size_t full = len / 8;
    for (size_t i = 0; i < full; i++, p += 8) {
        uint64_t m = le64_read(p);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++) last |= (uint64_t)p[i] << (8 * i);
    v3 ^= last;
    SIPROUND;
    SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}
