/* Identity keys and the signatures of the service protocol.
 *
 * Identities are BIP340 keys: a 32-byte secret and its 32-byte x-only public key. Two
 * things are signed, each as a SHA-256 digest of fixed-length fields, so no length
 * prefixes are needed (doc/services-protocol.md gives the bytes with examples):
 *
 *   conversation: SHA256("iop-conversation" || peer_challenge[32] || exporter[32])
 *     Each side of a conversation signs the challenge the *other* side sent, bound to
 *     the TLS channel by the 32-byte exporter value (RFC 8446 section 7.5, label
 *     "EXPORTER-iop-conversation", empty context), so a signature cannot be replayed on
 *     another connection.
 *   probe:        SHA256("iop-service-probe" || challenge[32] || service[1])
 *     The operator key answers a minting prober's challenge for one service type.
 *
 * The tags are ASCII without a terminating NUL. The 32-byte digest is the BIP340
 * message. Verification uses libsecp256k1's static context through consensus/pubkey.h;
 * signing needs a context of its own, which each identity_key carries, so nothing here
 * is global. */
#ifndef IOP_SERVICES_IDENTITY_H
#define IOP_SERVICES_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IDENTITY_PUBKEY_SIZE    32
#define IDENTITY_SECRET_SIZE    32
#define IDENTITY_SIGNATURE_SIZE 64
#define IDENTITY_CHALLENGE_SIZE 32
#define IDENTITY_EXPORTER_SIZE  32

#define IDENTITY_CONVERSATION_TAG "iop-conversation"
#define IDENTITY_PROBE_TAG        "iop-service-probe"
#define IDENTITY_EXPORTER_LABEL   "EXPORTER-iop-conversation"

/* A secret key ready to sign. Opaque; one owner; identity_key_free wipes it. */
struct identity_key;

/* A key from a 32-byte secret. NULL with a message in err if the secret is zero or not
 * below the curve order, or memory runs out. */
__attribute__((warn_unused_result)) struct identity_key *
identity_key_from_secret(const uint8_t secret[IDENTITY_SECRET_SIZE], char *err, size_t errlen);

/* A new random key (kernel RNG). NULL with a message in err on failure. */
__attribute__((warn_unused_result)) struct identity_key *identity_key_generate(char *err,
                                                                               size_t errlen);

/* Wipes and frees k. NULL is a no-op. */
void identity_key_free(struct identity_key *k);

/* The x-only public key of k. */
void identity_key_public(const struct identity_key *k, uint8_t out[IDENTITY_PUBKEY_SIZE]);

/* ---- Conversation handshake ---- */

/* The 32-byte message signed in the handshake (see the top of this file). */
void identity_conversation_digest(uint8_t out[32],
                                  const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                                  const uint8_t exporter[IDENTITY_EXPORTER_SIZE]);

/* Signs the digest of (peer_challenge, exporter) with k into sig. False only if the RNG
 * for the auxiliary randomness or libsecp256k1 fails. */
__attribute__((warn_unused_result)) bool
identity_sign_conversation(const struct identity_key *k, uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                           const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                           const uint8_t exporter[IDENTITY_EXPORTER_SIZE]);

/* True if sig is pubkey's valid signature of the digest of (peer_challenge, exporter).
 * False for an invalid public key as well. */
__attribute__((warn_unused_result)) bool
identity_verify_conversation(const uint8_t pubkey[IDENTITY_PUBKEY_SIZE],
                             const uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                             const uint8_t peer_challenge[IDENTITY_CHALLENGE_SIZE],
                             const uint8_t exporter[IDENTITY_EXPORTER_SIZE]);

/* ---- Minting probe ---- */

/* The 32-byte message signed for a probe of service (an iop.common.ServiceType value). */
void identity_probe_digest(uint8_t out[32], const uint8_t challenge[IDENTITY_CHALLENGE_SIZE],
                           uint8_t service);

__attribute__((warn_unused_result)) bool
identity_sign_probe(const struct identity_key *k, uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                    const uint8_t challenge[IDENTITY_CHALLENGE_SIZE], uint8_t service);

__attribute__((warn_unused_result)) bool
identity_verify_probe(const uint8_t pubkey[IDENTITY_PUBKEY_SIZE],
                      const uint8_t sig[IDENTITY_SIGNATURE_SIZE],
                      const uint8_t challenge[IDENTITY_CHALLENGE_SIZE], uint8_t service);

#endif
