/* BIP32 hierarchical deterministic keys.
 *
 * An extended key is a secp256k1 key plus a 32-byte chain code; from it, child keys
 * are derived by index. Indexes from BIP32_HARDENED up are "hardened": they need the
 * private key, and knowing the parent xpub and a child private key reveals nothing
 * about hardened siblings. Normal children of a public key can be derived from the
 * public key alone (that is what a watch-only xpub is for).
 *
 * Extended keys are written as Base58Check of 78 bytes:
 *   version (4, big-endian; the network's xpub or xprv version from address_params)
 *   depth (1) | parent fingerprint (4) | child number (4, big-endian) | chain code (32)
 *   key (33: compressed public key, or 0x00 || 32-byte private key)
 *
 * Memory: struct bip32_key is plain storage owned by the caller (stack or heap). It
 * holds secrets: call bip32_key_clear before the storage goes out of scope, or use
 * bip32_key_new / bip32_key_free, which wipes. Functions that take a
 * secp256k1_context use it read-only; it must come from secp256k1_context_create (not
 * secp256k1_context_static, which cannot compute public keys) and may be shared by
 * threads. Randomize it (secp256k1_context_randomize) for side-channel protection.
 * Intermediate secrets (HMAC outputs, serialized private keys) are wiped before return. */
#ifndef IOP_WALLET_BIP32_H
#define IOP_WALLET_BIP32_H

#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/address.h"

#define BIP32_HARDENED       0x80000000u
#define BIP32_SERIALIZED_LEN 78
/* Longest xpub/xprv string, without the NUL (Base58Check of 78 bytes). */
#define BIP32_STRING_MAX 112
/* Depth is one byte, so a path has at most 255 steps. */
#define BIP32_MAX_DEPTH 255
#define BIP32_SEED_MIN  16
#define BIP32_SEED_MAX  64

struct bip32_key {
    uint8_t depth;                 /* 0 for a master key */
    uint8_t parent_fingerprint[4]; /* first 4 bytes of HASH160(parent pubkey); 0 at depth 0 */
    uint32_t child_number;         /* index this key was derived with; 0 at depth 0 */
    uint8_t chain_code[32];
    uint8_t pubkey[33]; /* compressed public key, always set */
    bool has_private;   /* seckey is valid (an xprv) */
    uint8_t seckey[32]; /* zero when !has_private */
};

enum bip32_error {
    BIP32_OK = 0,
    BIP32_ERR_SEED_LENGTH,       /* seed not BIP32_SEED_MIN..BIP32_SEED_MAX bytes */
    BIP32_ERR_INVALID_KEY,       /* derived key invalid (chance < 2^-127): use the next index */
    BIP32_ERR_HARDENED_PUBLIC,   /* hardened child of a key without its private part */
    BIP32_ERR_DEPTH,             /* would exceed depth 255 */
    BIP32_ERR_ENCODING,          /* character outside the Base58 alphabet */
    BIP32_ERR_CHECKSUM,          /* Base58Check checksum mismatch */
    BIP32_ERR_LENGTH,            /* payload not 78 bytes */
    BIP32_ERR_VERSION,           /* neither this network's xpub nor xprv version */
    BIP32_ERR_ZERO_DEPTH_PARENT, /* depth 0 with a non-zero parent fingerprint */
    BIP32_ERR_ZERO_DEPTH_INDEX,  /* depth 0 with a non-zero child number */
    BIP32_ERR_PRIVATE_PREFIX,    /* xprv key data does not start with 0x00 */
    BIP32_ERR_PRIVATE_KEY,       /* private key 0 or not below the group order */
    BIP32_ERR_PUBLIC_KEY,        /* not a valid compressed public key (02/03 + x on curve) */
    BIP32_ERR_PATH,              /* bad path text, index >= 2^31 or too many steps */
};

/* Short English description of e; never NULL. */
const char *bip32_error_string(enum bip32_error e);

/* A zeroed key on the heap (caller frees with bip32_key_free), or NULL if out of
 * memory. */
struct bip32_key *bip32_key_new(void);
/* Wipes and frees k; NULL is a no-op. */
void bip32_key_free(struct bip32_key *k);
/* Wipes k in place (all fields zero). */
void bip32_key_clear(struct bip32_key *k);

/* Master key from seed (seed_len bytes, 16..64): I = HMAC-SHA512("Bitcoin seed", seed),
 * private key I[0..32), chain code I[32..64). Output: *out. Returns BIP32_OK,
 * BIP32_ERR_SEED_LENGTH or BIP32_ERR_INVALID_KEY; on failure *out is cleared. */
__attribute__((warn_unused_result)) enum bip32_error
bip32_from_seed(const secp256k1_context *ctx, struct bip32_key *out, const uint8_t *seed,
                size_t seed_len);

/* Child index of parent into *child (which may be parent itself). A private parent
 * gives a private child; a public parent gives a public child and refuses hardened
 * indexes. Returns BIP32_OK, BIP32_ERR_HARDENED_PUBLIC, BIP32_ERR_DEPTH or
 * BIP32_ERR_INVALID_KEY; on failure *child is cleared (even when it aliases parent). */
__attribute__((warn_unused_result)) enum bip32_error
bip32_derive(const secp256k1_context *ctx, struct bip32_key *child,
             const struct bip32_key *parent, uint32_t index);

/* Derives the n steps of path from root into *out (which may be root). Errors as
 * bip32_derive; *out is cleared on failure. n == 0 copies root. */
__attribute__((warn_unused_result)) enum bip32_error
bip32_derive_path(const secp256k1_context *ctx, struct bip32_key *out,
                  const struct bip32_key *root, const uint32_t *path, size_t n);

/* Copies the public part of k into *out (which may be k) and drops the private key. */
void bip32_neuter(struct bip32_key *out, const struct bip32_key *k);

/* HASH160 of k's public key (the key identifier) into id, and its first 4 bytes (the
 * fingerprint children record as their parent) into fp. */
void bip32_identifier(const struct bip32_key *k, uint8_t id[20]);
void bip32_fingerprint(const struct bip32_key *k, uint8_t fp[4]);

/* Writes the 78-byte serialization of k into out, with p's xprv version when k has its
 * private key and xpub version otherwise. Wipe out after use when it holds a private
 * key. */
void bip32_serialize(uint8_t out[BIP32_SERIALIZED_LEN], const struct address_params *p,
                     const struct bip32_key *k);

/* Parses 78 bytes under p into *out, checking everything BIP32 requires: a known
 * version, depth-0 keys with zero parent fingerprint and child number, private key
 * data 0x00 || k with k in 1..n-1, public key data a valid compressed point. Returns
 * BIP32_OK or the first rule broken; on failure *out is cleared. */
__attribute__((warn_unused_result)) enum bip32_error
bip32_deserialize(const secp256k1_context *ctx, struct bip32_key *out,
                  const struct address_params *p, const uint8_t in[BIP32_SERIALIZED_LEN]);

/* Writes k as an xprv (private) or xpub string under p into out, NUL-terminated.
 * Returns false only if the encoding does not fit, which cannot happen with a buffer
 * of BIP32_STRING_MAX + 1. */
__attribute__((warn_unused_result)) bool bip32_encode(char out[BIP32_STRING_MAX + 1],
                                                      const struct address_params *p,
                                                      const struct bip32_key *k);

/* Parses an xpub/xprv string under p (as bip32_deserialize, plus Base58Check errors:
 * BIP32_ERR_ENCODING, BIP32_ERR_CHECKSUM, BIP32_ERR_LENGTH). *out is cleared on
 * failure. */
__attribute__((warn_unused_result)) enum bip32_error
bip32_decode(const secp256k1_context *ctx, struct bip32_key *out,
             const struct address_params *p, const char *str);

/* Parses a derivation path such as "m/44'/66'/0'/0/7" or "m/0h/1/2H": an optional
 * leading "m", then steps separated by '/', each a decimal index below 2^31 with an
 * optional hardened mark (', h or H) that adds BIP32_HARDENED. Without "m" the text
 * starts with the first step ("0'/1"). "m" alone is the empty path. Outputs path
 * (cap entries) and *n. Returns BIP32_OK or BIP32_ERR_PATH (bad syntax, index out of
 * range, more than cap or BIP32_MAX_DEPTH steps); *n is 0 on failure. */
__attribute__((warn_unused_result)) enum bip32_error
bip32_parse_path(uint32_t *path, size_t cap, size_t *n, const char *str);

/* Writes path (n steps) as "m/44'/0'/0" into out (cap bytes, NUL-terminated), marking
 * hardened steps with hardened_mark ('\'' or 'h'). Returns false if it does not fit. */
__attribute__((warn_unused_result)) bool
bip32_format_path(char *out, size_t cap, const uint32_t *path, size_t n, char hardened_mark);

#endif
