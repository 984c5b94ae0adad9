/* Identity keys and handshake/probe signatures (see identity.h). */
#include "services/common/identity.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "util/random.h"

struct identity_key {
    secp256k1_context *ctx; /* signing tables, randomized at creation */
    secp256k1_keypair keypair;
    uint8_t pubkey[IDENTITY_PUBKEY_SIZE];
};

/* Overwrites memory the compiler may not elide. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

struct identity_key *identity_key_from_secret(const uint8_t secret[IDENTITY_SECRET_SIZE],
                                              char *err, size_t errlen)
{
    struct identity_key *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!k->ctx) {
        free(k);
        snprintf(err, errlen, "cannot create a secp256k1 context");
        return NULL;
    }
    uint8_t seed[32];
    if (!random_bytes(seed, sizeof seed) || !secp256k1_context_randomize(k->ctx, seed)) {
        identity_key_free(k);
        snprintf(err, errlen, "cannot randomize the secp256k1 context");
        return NULL;
    }
    wipe(seed, sizeof seed);
    secp256k1_xonly_pubkey xpk;
    if (!secp256k1_keypair_create(k->ctx, &k->keypair, secret) ||
        !secp256k1_keypair_xonly_pub(k->ctx, &xpk, NULL, &k->keypair) ||
        !secp256k1_xonly_pubkey_serialize(k->ctx, k->pubkey, &xpk)) {
        identity_key_free(k);
        snprintf(err, errlen, "invalid secret key");
        return NULL;
    }
    return k;
}

struct identity_key *identity_key_generate(char *err, size_t errlen)
{
    uint8_t secret[IDENTITY_SECRET_SIZE];
    /* A random 256-bit value is a valid secret except with probability ~2^-128. */
    for (int tries = 0; tries < 8; tries++) {
        if (!random_bytes(secret, sizeof secret)) {
            snprintf(err, errlen, "the kernel random number generator failed");
            return NULL;
        }
        if (!secp256k1_ec_seckey_verify(secp256k1_context_static, secret)) continue;
        struct identity_key *k = identity_key_from_secret(secret, err, errlen);
        wipe(secret, sizeof secret);
        return k;
    }
    wipe(secret, sizeof secret);
    snprintf(err, errlen, "no valid secret key drawn");
    return NULL;
}

void identity_key_free(struct identity_key *k)
{
    if (!k) return;
    if (k->ctx) secp256k1_context_destroy(k->ctx);
    wipe(k, sizeof *k);
    free(k);
}

void identity_key_public(const struct identity_key *k, uint8_t out[IDENTITY_PUBKEY_SIZE])
{
    memcpy(out, k->pubkey, IDENTITY_PUBKEY_SIZE);
}

/* BIP340 signature of a 32-byte digest with fresh auxiliary randomness. */
static bool sign_digest(const struct identity_key *k, uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                        const uint8_t digest[32])
{
    uint8_t aux[32];
    if (!random_bytes(aux, sizeof aux)) return false;
    return secp256k1_schnorrsig_sign32(k->ctx, sig, digest, &k->keypair, aux) == 1;
}

void identity_conversation_digest(uint8_t out[32],
                                  const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                                  const uint8_t exporter[IDENTITY_EXPORTER_SIZE])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_write(&c, IDENTITY_CONVERSATION_TAG, strlen(IDENTITY_CONVERSATION_TAG));
    sha256_write(&c, peer_challenge, IDENTITY_CHALLENGE_SIZE);
    sha256_write(&c, exporter, IDENTITY_EXPORTER_SIZE);
    sha256_finalize(&c, out);
}

bool identity_sign_conversation(const struct identity_key *k,
                                uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                                const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                                const uint8_t exporter[IDENTITY_EXPORTER_SIZE])
{
    uint8_t digest[32];
    identity_conversation_digest(digest, peer_challenge, exporter);
    return sign_digest(k, sig, digest);
}

bool identity_verify_conversation(const uint8_t pubkey[IDENTITY_PUBKEY_SIZE],
                                  const uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                                  const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                                  const uint8_t exporter[IDENTITY_EXPORTER_SIZE])
{
    uint8_t digest[32];
    identity_conversation_digest(digest, peer_challenge, exporter);
    return pubkey_schnorr_verify(pubkey, sig, digest, sizeof digest);
}

void identity_probe_digest(uint8_t out[32], const uint8_t challenge[IDENTITY_CHALLENGE_SIZE],
                           uint8_t service)
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_write(&c, IDENTITY_PROBE_TAG, strlen(IDENTITY_PROBE_TAG));
    sha256_write(&c, challenge, IDENTITY_CHALLENGE_SIZE);
    sha256_write(&c, &service, 1);
    sha256_finalize(&c, out);
}

bool identity_sign_probe(const struct identity_key *k, uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                         const uint8_t challenge[IDENTITY_CHALLENGE_SIZE], uint8_t service)
{
    uint8_t digest[32];
    identity_probe_digest(digest, challenge, service);
    return sign_digest(k, sig, digest);
}

bool identity_verify_probe(const uint8_t pubkey[IDENTITY_PUBKEY_SIZE],
                           const uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                           const uint8_t challenge[IDENTITY_CHALLENGE_SIZE], uint8_t service)
{
    uint8_t digest[32];
    identity_probe_digest(digest, challenge, service);
    return pubkey_schnorr_verify(pubkey, sig, digest, sizeof digest);
}
