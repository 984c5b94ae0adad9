/* Wallet encryption: a random master key kept encrypted under the user's passphrase, and
 * the wallet's secrets (private keys, seeds, mnemonics) encrypted under the master key.
 *
 * Like Bitcoin Core, the passphrase never encrypts secrets directly: changing it
 * re-encrypts only the 32-byte master key, and every secret stays as it is.
 *
 * Master record (CRYPTER_MASTER_RECORD_LEN bytes, stored by walletdb):
 *   version (1) = 1 | log2 N (1) | r (4, little-endian) | p (4, little-endian)
 *   | salt (16) | nonce (12) | encrypted master key (32) | GCM tag (16)
 * The key-encryption key is scrypt(passphrase, salt, N, r, p), 32 bytes; the master key
 * is sealed with AES-256-GCM under it, with the first 34 bytes (version, parameters and
 * salt) as associated data. The scrypt parameters live in the record, so the default
 * can be raised later and old records still open; unlock refuses parameters above
 * CRYPTER_LOG2_N_MAX etc., so an edited file cannot make it allocate without bound.
 *
 * Secret record (plaintext length + CRYPTER_SECRET_OVERHEAD bytes):
 *   version (1) = 1 | nonce (12, random per record) | ciphertext | GCM tag (16)
 * sealed with AES-256-GCM under the master key; the associated data is the version byte
 * followed by the caller's ad (for example the public key or the record id), so a
 * ciphertext moved to another record does not decrypt.
 *
 * AES-256-GCM rather than Core's AES-256-CBC: every record is authenticated, so a wrong
 * passphrase, any edited byte and any record swapped between slots are detected by the
 * tag, with no separate check value. Random 96-bit nonces are safe for far more records
 * than a wallet holds (the bound is about 2^32 per key).
 *
 * Secrets: struct crypter_key holds the master key in plain; wipe it with
 * crypter_key_clear as soon as the wallet locks. Every intermediate (derived keys,
 * decrypted copies) is wiped with OPENSSL_cleanse before return, and error messages
 * never contain passphrases, keys or plaintext. Functions are thread-safe: nothing is
 * kept between calls. */
#ifndef IOP_WALLET_CRYPTER_H
#define IOP_WALLET_CRYPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTER_KEY_LEN   32
#define CRYPTER_SALT_LEN  16
#define CRYPTER_NONCE_LEN 12
#define CRYPTER_TAG_LEN   16
#define CRYPTER_VERSION   1
/* version + log2 N + r + p + salt */
#define CRYPTER_MASTER_HEADER_LEN (1 + 1 + 4 + 4 + CRYPTER_SALT_LEN)
#define CRYPTER_MASTER_RECORD_LEN                                                              \
    (CRYPTER_MASTER_HEADER_LEN + CRYPTER_NONCE_LEN + CRYPTER_KEY_LEN + CRYPTER_TAG_LEN)
/* version + nonce + tag */
#define CRYPTER_SECRET_OVERHEAD (1 + CRYPTER_NONCE_LEN + CRYPTER_TAG_LEN)

/* scrypt cost. Defaults N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds). */
#define CRYPTER_DEFAULT_LOG2_N 15
#define CRYPTER_DEFAULT_R      8
#define CRYPTER_DEFAULT_P      1
/* Accepted ranges, for new records and for records read from disk. Memory is
 * 128 * r * N bytes; the largest allowed (N = 2^20, r = 8) is 1 GiB. */
#define CRYPTER_LOG2_N_MIN 1
#define CRYPTER_LOG2_N_MAX 20
#define CRYPTER_R_MAX      32
#define CRYPTER_P_MAX      16
#define CRYPTER_MEM_MAX    ((uint64_t)1 << 30)

struct crypter_params {
    uint8_t log2_n;
    uint32_t r;
    uint32_t p;
};

/* The plain master key. Caller-owned storage; wipe with crypter_key_clear. */
struct crypter_key {
    uint8_t k[CRYPTER_KEY_LEN];
};

enum crypter_error {
    CRYPTER_OK = 0,
    CRYPTER_ERR_PASSPHRASE, /* wrong passphrase, or the record was altered (same tag check) */
    CRYPTER_ERR_AUTH,       /* secret record altered, or wrong key or associated data */
    CRYPTER_ERR_FORMAT,     /* record of the wrong length or an unknown version */
    CRYPTER_ERR_PARAMS,     /* scrypt parameters outside the accepted ranges */
    CRYPTER_ERR_ARG,        /* empty passphrase, output buffer too small */
    CRYPTER_ERR_RANDOM,     /* the kernel random source failed */
    CRYPTER_ERR_INTERNAL,   /* OpenSSL failed (out of memory) */
};

/* Short English description of e; never NULL. */
const char *crypter_error_string(enum crypter_error e);

/* The default parameters (N = 2^15, r = 8, p = 1). */
struct crypter_params crypter_default_params(void);

/* Wipes k (OPENSSL_cleanse). NULL is a no-op. */
void crypter_key_clear(struct crypter_key *k);

/* Reads the scrypt parameters of a master record without the passphrase (for
 * getwalletinfo-style reports). Returns CRYPTER_OK or CRYPTER_ERR_FORMAT. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_record_params(struct crypter_params *out, const uint8_t *record, size_t record_len);

/* Makes a new wallet master key: 32 random bytes sealed under passphrase (NUL-terminated,
 * not empty) with params (NULL for the defaults) and a fresh salt and nonce. Outputs
 * record, and the plain master key into *master when master is not NULL (so the caller
 * can encrypt existing secrets at once). Errors: CRYPTER_ERR_ARG (empty passphrase),
 * CRYPTER_ERR_PARAMS, CRYPTER_ERR_RANDOM, CRYPTER_ERR_INTERNAL, with a message in err
 * (errlen bytes; err may be NULL). On failure record and *master are wiped. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_new_master(uint8_t record[CRYPTER_MASTER_RECORD_LEN], struct crypter_key *master,
                   const char *passphrase, const struct crypter_params *params, char *err,
                   size_t errlen);

/* Opens record (record_len bytes) with passphrase into *master. Errors:
 * CRYPTER_ERR_FORMAT, CRYPTER_ERR_PARAMS, CRYPTER_ERR_PASSPHRASE (wrong passphrase or
 * any altered byte: the two cannot be told apart, by design), CRYPTER_ERR_INTERNAL.
 * *master is wiped on failure. Costs one scrypt run with the record's parameters. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_unlock(struct crypter_key *master, const uint8_t *record, size_t record_len,
               const char *passphrase, char *err, size_t errlen);

/* Re-seals the master key of old_record (opened with old_passphrase) under
 * new_passphrase (not empty) with a fresh salt and nonce, into new_record. new_params
 * NULL keeps the old record's parameters. The master key, and so every secret record,
 * is unchanged. Errors as crypter_unlock plus CRYPTER_ERR_ARG and CRYPTER_ERR_RANDOM;
 * new_record is wiped on failure. new_record may alias old_record. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_change_passphrase(uint8_t new_record[CRYPTER_MASTER_RECORD_LEN],
                          const uint8_t *old_record, size_t old_record_len,
                          const char *old_passphrase, const char *new_passphrase,
                          const struct crypter_params *new_params, char *err, size_t errlen);

/* Seals plain (plain_len bytes) under master with associated data ad (ad_len bytes;
 * may be NULL when ad_len is 0) into out (cap bytes; needs plain_len +
 * CRYPTER_SECRET_OVERHEAD), *out_len set to that. A fresh random nonce each call, so
 * sealing the same secret twice gives different records. Errors: CRYPTER_ERR_ARG,
 * CRYPTER_ERR_RANDOM, CRYPTER_ERR_INTERNAL. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_encrypt_secret(uint8_t *out, size_t cap, size_t *out_len,
                       const struct crypter_key *master, const uint8_t *plain, size_t plain_len,
                       const uint8_t *ad, size_t ad_len, char *err, size_t errlen);

/* Opens a record made by crypter_encrypt_secret with the same master key and ad into
 * plain (cap bytes; needs in_len - CRYPTER_SECRET_OVERHEAD), *plain_len set. Errors:
 * CRYPTER_ERR_FORMAT (too short, unknown version), CRYPTER_ERR_ARG (cap too small),
 * CRYPTER_ERR_AUTH (wrong key or ad, or altered record), CRYPTER_ERR_INTERNAL. On
 * failure plain is wiped and *plain_len is 0; nothing unauthenticated is returned. */
__attribute__((warn_unused_result)) enum crypter_error
crypter_decrypt_secret(uint8_t *plain, size_t cap, size_t *plain_len,
                       const struct crypter_key *master, const uint8_t *in, size_t in_len,
                       const uint8_t *ad, size_t ad_len, char *err, size_t errlen);

#endif
