/* BIP39 mnemonic sentences (English word list only).
 *
 * A mnemonic encodes 128..256 bits of entropy (a multiple of 32) plus a checksum of
 * ENT/32 bits (the first bits of SHA-256(entropy)) as 12, 15, 18, 21 or 24 words, each
 * word one 11-bit group, most significant bit first. The wallet seed is
 * PBKDF2-HMAC-SHA512(password = mnemonic, salt = "mnemonic" || passphrase, 2048
 * iterations, 64 bytes), which bip32_from_seed turns into the master key.
 *
 * Text rules. Words are the lowercase ASCII words of the English list. bip39_check,
 * bip39_to_entropy and bip39_to_seed accept words separated by any run of ASCII
 * whitespace (space, tab, newline) with optional leading/trailing whitespace, and
 * bip39_to_seed hashes the canonical form (words joined by single spaces), so a sentence
 * typed with extra spaces gives the same seed. The English list is ASCII, so NFKD
 * normalization of the mnemonic is the identity. The passphrase is used exactly as the
 * given bytes, with no Unicode normalization: a caller that takes a non-ASCII passphrase
 * from a user must NFKD-normalize it first to match other BIP39 wallets.
 *
 * Secrets: mnemonics, entropy, passphrases and seeds are secrets. Buffers this module
 * fills are the caller's to wipe; its own temporaries are wiped before return. Error
 * messages name the position of a bad word (1-based), never the word itself. */
#ifndef IOP_WALLET_BIP39_H
#define IOP_WALLET_BIP39_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIP39_WORDLIST_SIZE 2048
#define BIP39_ENTROPY_MIN   16 /* bytes: 128 bits, 12 words */
#define BIP39_ENTROPY_MAX   32 /* bytes: 256 bits, 24 words */
#define BIP39_WORDS_MIN     12
#define BIP39_WORDS_MAX     24
#define BIP39_WORD_LEN_MAX  8 /* longest English word */
/* Buffer size (including the NUL) that holds any canonical English mnemonic. */
#define BIP39_MNEMONIC_MAX  (BIP39_WORDS_MAX * (BIP39_WORD_LEN_MAX + 1))
#define BIP39_SEED_LEN      64
#define BIP39_PBKDF2_ROUNDS 2048

enum bip39_error {
    BIP39_OK = 0,
    BIP39_ERR_ENTROPY_LENGTH, /* entropy not 16..32 bytes in steps of 4 */
    BIP39_ERR_WORD_COUNT,     /* not 12, 15, 18, 21 or 24 words */
    BIP39_ERR_UNKNOWN_WORD,   /* a word is not in the English list */
    BIP39_ERR_CHECKSUM,       /* words valid but checksum bits do not match */
    BIP39_ERR_BUFFER,         /* output buffer too small */
    BIP39_ERR_RANDOM,         /* the kernel random source failed */
    BIP39_ERR_INTERNAL,       /* out of memory or the crypto library failed */
};

/* Short English description of e; never NULL. */
const char *bip39_error_string(enum bip39_error e);

/* Word i of the English list (0..2047), or NULL when i is out of range. */
const char *bip39_word(unsigned i);

/* Index (0..2047) of the len-byte word at word (not necessarily NUL-terminated), or -1
 * if it is not in the list. Exact match: "Abandon" is not a word. */
int bip39_word_index(const char *word, size_t len);

/* Writes the mnemonic of entropy (len bytes: 16, 20, 24, 28 or 32) into out (cap bytes),
 * words joined by single spaces, NUL-terminated. Returns BIP39_OK,
 * BIP39_ERR_ENTROPY_LENGTH or BIP39_ERR_BUFFER (cap below what is needed;
 * BIP39_MNEMONIC_MAX always suffices). On failure out is wiped (when cap > 0, out[0]
 * is NUL). */
__attribute__((warn_unused_result)) enum bip39_error
bip39_from_entropy(char *out, size_t cap, const uint8_t *entropy, size_t len);

/* Decodes mnemonic back to its entropy: outputs entropy (BIP39_ENTROPY_MAX bytes of
 * room) and *len. Checks the word count, that every word is in the list and the
 * checksum, in that order, and reports the first failure: BIP39_ERR_WORD_COUNT,
 * BIP39_ERR_UNKNOWN_WORD or BIP39_ERR_CHECKSUM, with a sentence such as "word 7 is not
 * in the BIP39 English word list" in err (errlen bytes; err may be NULL). On failure
 * entropy is wiped and *len is 0. */
__attribute__((warn_unused_result)) enum bip39_error
bip39_to_entropy(uint8_t entropy[BIP39_ENTROPY_MAX], size_t *len, const char *mnemonic,
                 char *err, size_t errlen);

/* bip39_to_entropy without the output: BIP39_OK when mnemonic is a valid English
 * mnemonic, otherwise the error and its message as there. */
__attribute__((warn_unused_result)) enum bip39_error bip39_check(const char *mnemonic,
                                                                 char *err, size_t errlen);

/* Seed of mnemonic under passphrase (NUL-terminated; NULL or "" for none) into seed.
 * The mnemonic must pass bip39_check (an invalid one returns that error, so a typo is
 * never silently turned into a different wallet). Returns BIP39_OK, a bip39_check error
 * or BIP39_ERR_INTERNAL; seed is wiped on failure. */
__attribute__((warn_unused_result)) enum bip39_error bip39_to_seed(uint8_t seed[BIP39_SEED_LEN],
                                                                   const char *mnemonic,
                                                                   const char *passphrase,
                                                                   char *err, size_t errlen);

/* A new mnemonic of words words (12, 15, 18, 21 or 24; wallets use 24) from fresh kernel
 * randomness (util/random), into out (cap bytes). Returns BIP39_OK,
 * BIP39_ERR_WORD_COUNT, BIP39_ERR_BUFFER or BIP39_ERR_RANDOM. */
__attribute__((warn_unused_result)) enum bip39_error bip39_generate(char *out, size_t cap,
                                                                    unsigned words);

#endif
