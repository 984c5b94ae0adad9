/* BIP39 mnemonics (see bip39.h).
 *
 * Entropy and checksum are handled as one bit string: the entropy bytes followed by the
 * first byte of SHA-256(entropy), of which only the first ENT/32 bits (at most 8) are
 * used. Word i is bits [11i, 11i + 11) of that string. Decoding rebuilds the same string
 * from the word indexes and compares the checksum bits it carries with the ones
 * recomputed from the entropy part. Words are found by binary search: the English list
 * is sorted in byte order (bip39_tests checks this). */
#include "wallet/bip39.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/hash.h"
#include "util/random.h"
#include "wallet/bip39_english.h"

static const char SALT_PREFIX[] = "mnemonic";

const char *bip39_error_string(enum bip39_error e)
{
    switch (e) {
    case BIP39_OK: return "ok";
    case BIP39_ERR_ENTROPY_LENGTH: return "entropy must be 128 to 256 bits in steps of 32";
    case BIP39_ERR_WORD_COUNT: return "a mnemonic has 12, 15, 18, 21 or 24 words";
    case BIP39_ERR_UNKNOWN_WORD: return "word not in the BIP39 English word list";
    case BIP39_ERR_CHECKSUM: return "mnemonic checksum mismatch";
    case BIP39_ERR_BUFFER: return "output buffer too small";
    case BIP39_ERR_RANDOM: return "random number generator failed";
    case BIP39_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

static void set_err(char *err, size_t errlen, const char *fmt, int arg)
{
    if (err && errlen) snprintf(err, errlen, fmt, arg);
}

static void set_msg(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

const char *bip39_word(unsigned i) { return i < BIP39_WORDLIST_SIZE ? bip39_english[i] : NULL; }

int bip39_word_index(const char *word, size_t len)
{
    if (len == 0 || len > BIP39_WORD_LEN_MAX) return -1;
    int lo = 0, hi = BIP39_WORDLIST_SIZE - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const char *w = bip39_english[mid];
        int c = strncmp(word, w, len);
        /* Equal prefixes: the shorter string sorts first. */
        if (c == 0 && w[len] != '\0') c = -1;
        if (c == 0) return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

static bool entropy_len_ok(size_t len)
{
    return len >= BIP39_ENTROPY_MIN && len <= BIP39_ENTROPY_MAX && len % 4 == 0;
}

/* Bits [pos, pos + 11) of buf as a number, most significant first. */
static unsigned get11(const uint8_t *buf, size_t pos)
{
    unsigned v = 0;
    for (size_t i = 0; i < 11; i++) {
        size_t b = pos + i;
        v = v << 1 | ((buf[b / 8] >> (7 - b % 8)) & 1u);
    }
    return v;
}

static void put11(uint8_t *buf, size_t pos, unsigned v)
{
    for (size_t i = 0; i < 11; i++) {
        size_t b = pos + i;
        if (v >> (10 - i) & 1u) buf[b / 8] |= (uint8_t)(0x80u >> (b % 8));
    }
}

enum bip39_error bip39_from_entropy(char *out, size_t cap, const uint8_t *entropy, size_t len)
{
    if (cap > 0) out[0] = '\0';
    if (!entropy_len_ok(len)) return BIP39_ERR_ENTROPY_LENGTH;
    uint8_t bits[BIP39_ENTROPY_MAX + 1];
    uint8_t hash[32];
    memcpy(bits, entropy, len);
    sha256(entropy, len, hash);
    bits[len] = hash[0];
    size_t words = (len * 8 + len / 4) / 11;
    size_t pos = 0;
    enum bip39_error e = BIP39_OK;
    for (size_t i = 0; i < words; i++) {
        const char *w = bip39_english[get11(bits, i * 11)];
        size_t wl = strlen(w);
        /* room for a separator (or the NUL after the last word) */
        if (pos + (i > 0) + wl + 1 > cap) {
            e = BIP39_ERR_BUFFER;
            break;
        }
        if (i > 0) out[pos++] = ' ';
        memcpy(out + pos, w, wl);
        pos += wl;
        out[pos] = '\0';
    }
    OPENSSL_cleanse(bits, sizeof(bits));
    OPENSSL_cleanse(hash, sizeof(hash));
    if (e != BIP39_OK && cap > 0) {
        OPENSSL_cleanse(out, cap);
        out[0] = '\0';
    }
    return e;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Splits mnemonic into word indexes (idx, up to BIP39_WORDS_MAX) and counts them. The
 * count is checked before any word, so "too many words" wins over "unknown word". */
static enum bip39_error parse_words(unsigned idx[BIP39_WORDS_MAX], size_t *n, const char *m,
                                    char *err, size_t errlen)
{
    size_t count = 0;
    for (const char *p = m; *p;) {
        while (*p && is_space(*p)) p++;
        if (!*p) break;
        count++;
        while (*p && !is_space(*p)) p++;
    }
    *n = 0;
    if (count < BIP39_WORDS_MIN || count > BIP39_WORDS_MAX || count % 3 != 0) {
        set_err(err, errlen, "a BIP39 mnemonic has 12, 15, 18, 21 or 24 words, not %d",
                count > INT_MAX ? INT_MAX : (int)count);
        return BIP39_ERR_WORD_COUNT;
    }
    size_t i = 0;
    for (const char *p = m; *p;) {
        while (*p && is_space(*p)) p++;
        if (!*p) break;
        const char *start = p;
        while (*p && !is_space(*p)) p++;
        int v = bip39_word_index(start, (size_t)(p - start));
        if (v < 0) {
            set_err(err, errlen, "word %d is not in the BIP39 English word list", (int)i + 1);
            return BIP39_ERR_UNKNOWN_WORD;
        }
        idx[i++] = (unsigned)v;
    }
    *n = count;
    return BIP39_OK;
}

enum bip39_error bip39_to_entropy(uint8_t entropy[BIP39_ENTROPY_MAX], size_t *len,
                                  const char *mnemonic, char *err, size_t errlen)
{
    unsigned idx[BIP39_WORDS_MAX];
    uint8_t bits[BIP39_ENTROPY_MAX + 1];
    uint8_t hash[32];
    size_t n;
    *len = 0;
    memset(bits, 0, sizeof(bits));
    memset(hash, 0, sizeof(hash));
    enum bip39_error e = parse_words(idx, &n, mnemonic, err, errlen);
    if (e == BIP39_OK) {
        for (size_t i = 0; i < n; i++) put11(bits, i * 11, idx[i]);
        size_t ent = n * 11 * 32 / 33 / 8; /* bytes */
        size_t cs = ent / 4;               /* checksum bits */
        sha256(bits, ent, hash);
        uint8_t mask = (uint8_t)(0xffu << (8 - cs));
        if ((hash[0] & mask) != (bits[ent] & mask)) {
            set_msg(err, errlen,
                    "BIP39 mnemonic checksum mismatch (a word is wrong or out of order)");
            e = BIP39_ERR_CHECKSUM;
        } else {
            memcpy(entropy, bits, ent);
            *len = ent;
        }
    }
    if (e != BIP39_OK) OPENSSL_cleanse(entropy, BIP39_ENTROPY_MAX);
    OPENSSL_cleanse(idx, sizeof(idx));
    OPENSSL_cleanse(bits, sizeof(bits));
    OPENSSL_cleanse(hash, sizeof(hash));
    return e;
}

enum bip39_error bip39_check(const char *mnemonic, char *err, size_t errlen)
{
    uint8_t entropy[BIP39_ENTROPY_MAX];
    size_t len;
    enum bip39_error e = bip39_to_entropy(entropy, &len, mnemonic, err, errlen);
    OPENSSL_cleanse(entropy, sizeof(entropy));
    return e;
}

enum bip39_error bip39_to_seed(uint8_t seed[BIP39_SEED_LEN], const char *mnemonic,
                               const char *passphrase, char *err, size_t errlen)
{
    uint8_t entropy[BIP39_ENTROPY_MAX];
    char canon[BIP39_MNEMONIC_MAX];
    size_t len;
    OPENSSL_cleanse(seed, BIP39_SEED_LEN);
    enum bip39_error e = bip39_to_entropy(entropy, &len, mnemonic, err, errlen);
    /* Re-encoding the entropy gives the words joined by single spaces. */
    if (e == BIP39_OK) e = bip39_from_entropy(canon, sizeof(canon), entropy, len);
    OPENSSL_cleanse(entropy, sizeof(entropy));
    if (e != BIP39_OK) {
        OPENSSL_cleanse(canon, sizeof(canon));
        return e;
    }

    size_t plen = passphrase ? strlen(passphrase) : 0;
    size_t salt_len = sizeof(SALT_PREFIX) - 1 + plen;
    uint8_t *salt = malloc(salt_len);
    if (!salt || plen > (size_t)INT32_MAX) {
        free(salt);
        OPENSSL_cleanse(canon, sizeof(canon));
        set_msg(err, errlen, "out of memory");
        return BIP39_ERR_INTERNAL;
    }
    memcpy(salt, SALT_PREFIX, sizeof(SALT_PREFIX) - 1);
    if (plen) memcpy(salt + sizeof(SALT_PREFIX) - 1, passphrase, plen);
    int ok = PKCS5_PBKDF2_HMAC(canon, (int)strlen(canon), salt, (int)salt_len,
                               BIP39_PBKDF2_ROUNDS, EVP_sha512(), BIP39_SEED_LEN, seed);
    OPENSSL_cleanse(salt, salt_len);
    free(salt);
    OPENSSL_cleanse(canon, sizeof(canon));
    if (ok != 1) {
        OPENSSL_cleanse(seed, BIP39_SEED_LEN);
        set_msg(err, errlen, "PBKDF2-HMAC-SHA512 failed");
        return BIP39_ERR_INTERNAL;
    }
    return BIP39_OK;
}

enum bip39_error bip39_generate(char *out, size_t cap, unsigned words)
{
    if (cap > 0) out[0] = '\0';
    if (words < BIP39_WORDS_MIN || words > BIP39_WORDS_MAX || words % 3 != 0)
        return BIP39_ERR_WORD_COUNT;
    uint8_t entropy[BIP39_ENTROPY_MAX];
    size_t len = (size_t)words * 11 * 32 / 33 / 8;
    if (!random_bytes(entropy, len)) {
        OPENSSL_cleanse(entropy, sizeof(entropy));
        return BIP39_ERR_RANDOM;
    }
    enum bip39_error e = bip39_from_entropy(out, cap, entropy, len);
    OPENSSL_cleanse(entropy, sizeof(entropy));
    return e;
}
