/* Hash functions of the protocol: SHA-256, double SHA-256, SHA-1, SHA-512, RIPEMD-160,
 * HASH160, HMAC-SHA256/512, BIP340 tagged hashes and SipHash-2-4.
 *
 * SHA-1/256/512 use OpenSSL's context-based block functions (SHA-NI where the CPU has
 * it) without the per-call algorithm lookup of the EVP one-shots; RIPEMD-160 and
 * SipHash are our own, so no legacy OpenSSL provider is needed. Nothing here keeps
 * state between calls. */
#ifndef IOP_CONSENSUS_HASH_H
#define IOP_CONSENSUS_HASH_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/sha.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A 256-bit hash in internal byte order (the order it is serialized in; RPC and
 * explorers show it reversed). */
typedef struct {
    uint8_t b[32];
} uint256;

/* 0 when equal; memcmp order otherwise. */
int uint256_cmp(const uint256 *a, const uint256 *b);
bool uint256_is_zero(const uint256 *a);
/* Parses 64 hex digits in display (reversed) order, as RPC shows hashes. */
bool uint256_from_hex(uint256 *out, const char *hex);
/* Writes 64 hex digits in display order plus a NUL into out[65]. */
void uint256_to_hex(char out[65], const uint256 *a);

struct sha256_ctx {
    SHA256_CTX c;
};
void sha256_init(struct sha256_ctx *ctx);
void sha256_write(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_finalize(struct sha256_ctx *ctx, uint8_t out[32]);

void sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 applied twice (txids, block hashes, merkle nodes, checksums). */
void sha256d(const void *data, size_t len, uint8_t out[32]);
void sha1(const void *data, size_t len, uint8_t out[20]);
void sha512(const void *data, size_t len, uint8_t out[64]);
void ripemd160(const void *data, size_t len, uint8_t out[20]);
/* RIPEMD-160 of SHA-256: public key and script hashes in addresses. */
void hash160(const void *data, size_t len, uint8_t out[20]);

void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[32]);
void hmac_sha512(const void *key, size_t keylen, const void *msg, size_t msglen,
                 uint8_t out[64]);

/* BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || msg). The init form leaves
 * ctx ready for the message to be written. */
void sha256_tagged_init(struct sha256_ctx *ctx, const char *tag);
void tagged_hash(const char *tag, const void *msg, size_t len, uint8_t out[32]);

/* SipHash-2-4 with the 128-bit key (k0, k1). */
uint64_t siphash24(uint64_t k0, uint64_t k1, const void *data, size_t len);

#endif
