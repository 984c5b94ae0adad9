/* Public keys and signatures for script verification: thin wrappers over libsecp256k1.
 *
 * ECDSA signatures are parsed the way Bitcoin always has (Core's lax DER parser, then S
 * normalized), because pre-BIP66 blocks contain signatures that strict DER rejects. The
 * strict encoding rules the interpreter enforces under policy and soft-fork flags
 * (BIP66 DER, low S, defined hash type, key encodings) are separate predicates here.
 *
 * Everything uses the library's built-in static context, which supports parsing,
 * verification and tweak-adding (never signing), so this module keeps no state. */
#ifndef IOP_CONSENSUS_PUBKEY_H
#define IOP_CONSENSUS_PUBKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUBKEY_COMPRESSED_SIZE   33
#define PUBKEY_UNCOMPRESSED_SIZE 65
#define XONLY_PUBKEY_SIZE        32
#define SCHNORR_SIGNATURE_SIZE   64
/* A DER ECDSA signature with its hash type byte is at most this long under BIP66. */
#define ECDSA_SIGNATURE_MAX_SIZE 73

/* ---- Key and signature encodings (no curve arithmetic) ---- */

/* The length implied by the first byte matches len (Core's CPubKey::IsValid): 33 for
 * 0x02/0x03, 65 for 0x04/0x06/0x07. Says nothing about the point being on the curve. */
bool pubkey_is_valid_size(const uint8_t *pk, size_t len);
/* STRICTENC key rule: 33 bytes starting 0x02/0x03 or 65 bytes starting 0x04. */
bool pubkey_is_compressed_or_uncompressed(const uint8_t *pk, size_t len);
/* 33 bytes starting 0x02/0x03 (the WITNESS_PUBKEYTYPE rule). */
bool pubkey_is_compressed(const uint8_t *pk, size_t len);

/* BIP66 strict DER of sig, which includes the trailing hash type byte (Core's
 * IsValidSignatureEncoding). */
bool pubkey_ecdsa_sig_is_strict_der(const uint8_t *sig, size_t len);
/* S is at most half the group order (Core's CheckLowS). sig is DER without the hash
 * type byte and is read with the lax parser; false if even that cannot parse it. */
bool pubkey_ecdsa_sig_is_low_s(const uint8_t *sig, size_t len);
/* The last byte, ANYONECANPAY masked off, is ALL, NONE or SINGLE (STRICTENC). */
bool pubkey_ecdsa_sig_has_defined_hashtype(const uint8_t *sig, size_t len);

/* Core's lax DER parser (ecdsa_signature_parse_der_lax): accepts the malformed encodings
 * found in old blocks. On success writes R || S as 32-byte big-endian numbers to
 * out64; an R or S that overflows the group order gives all zeros (a signature that
 * never verifies). False when the input is not even laxly a DER signature. */
bool pubkey_ecdsa_sig_parse_lax(uint8_t out64[64], const uint8_t *sig, size_t len);

/* ---- Verification ---- */

/* Verifies an ECDSA signature (DER, lax, no hash type byte) of hash32 by the serialized
 * public key pk, after normalizing S to the low half as Bitcoin does (Core's
 * CPubKey::Verify). False for any unparsable input. */
bool pubkey_ecdsa_verify(const uint8_t *pk, size_t pk_len, const uint8_t *sig, size_t sig_len,
                         const uint8_t hash32[32]);

/* The 32 bytes are the x coordinate of a point on the curve. */
bool pubkey_xonly_is_valid(const uint8_t xonly[XONLY_PUBKEY_SIZE]);
/* BIP340 verification of a 64-byte signature of msg (any length; 32 in Bitcoin). */
bool pubkey_schnorr_verify(const uint8_t xonly[XONLY_PUBKEY_SIZE],
                           const uint8_t sig[SCHNORR_SIGNATURE_SIZE], const uint8_t *msg,
                           size_t msg_len);

/* ---- Taproot (BIP341) ---- */

/* output == internal + tweak*G with the given parity of the full output point's Y
 * (parity 0 even, 1 odd). False if internal is not a valid x-only key. */
bool pubkey_xonly_tweak_add_check(const uint8_t output[XONLY_PUBKEY_SIZE], int parity,
                                  const uint8_t internal[XONLY_PUBKEY_SIZE],
                                  const uint8_t tweak[32]);
/* Computes the tweaked output key internal + tweak*G: writes its x coordinate to
 * output and the parity of its Y to *parity (both only on success). False if internal
 * is invalid, the tweak is not below the group order, or the result is infinity. */
__attribute__((warn_unused_result)) bool
pubkey_xonly_tweak_add(uint8_t output[XONLY_PUBKEY_SIZE], int *parity,
                       const uint8_t internal[XONLY_PUBKEY_SIZE], const uint8_t tweak[32]);

#endif
