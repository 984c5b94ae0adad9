/* libFuzzer harness for the text encodings: address decode under every chain profile,
 * bech32 and segwit decode, Base58 / Base58Check decode, WIF decode, extended-key
 * decode and derivation-path parsing. Whatever decodes must encode back to the same
 * string (lower-cased for bech32) and decode again to the same value; any mismatch
 * aborts. */
#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chainparams.h"
#include "consensus/address.h"
#include "consensus/base58.h"
#include "consensus/bech32.h"
#include "wallet/bip32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) abort();                                                                  \
    } while (0)

/* Longer inputs only exercise the length checks, which short ones reach too. */
#define MAX_INPUT 512

static secp256k1_context *fuzz_ctx(void)
{
    static secp256k1_context *ctx; /* harness-only: one context for the whole run */
    if (!ctx) ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    CHECK(ctx != NULL);
    return ctx;
}

static void to_lower(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? (char)(src[i] - 'A' + 'a') : src[i];
    dst[i] = '\0';
}

static void fuzz_base58(const char *s)
{
    uint8_t buf[BASE58_MAX_STRING];
    size_t len;
    char again[BASE58_MAX_STRING + 1];
    if (base58_decode(buf, sizeof(buf), &len, s) == BASE58_OK && len <= BASE58_MAX_DATA) {
        CHECK(base58_encode(again, sizeof(again), buf, len));
        CHECK(strcmp(again, s) == 0);
    }
    if (base58check_decode(buf, sizeof(buf), &len, s) == BASE58_OK &&
        len <= BASE58_MAX_DATA - 4) {
        CHECK(base58check_encode(again, sizeof(again), buf, len));
        CHECK(strcmp(again, s) == 0);
    }
}

static void fuzz_bech32(const char *s)
{
    char hrp[BECH32_MAX_HRP_LEN + 1], again[BECH32_MAX_LEN + 1], lower[MAX_INPUT + 1];
    uint8_t values[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    to_lower(lower, s, sizeof(lower));
    if (bech32_decode(hrp, values, &n, &enc, s) == BECH32_OK) {
        CHECK(enc == BECH32_ENCODING_BECH32 || enc == BECH32_ENCODING_BECH32M);
        CHECK(bech32_encode(again, hrp, values, n, enc));
        CHECK(strcmp(again, lower) == 0);

        int ver;
        uint8_t prog[BECH32_PROGRAM_MAX];
        size_t prog_len;
        if (bech32_segwit_decode(&ver, prog, &prog_len, hrp, s) == BECH32_OK) {
            CHECK(bech32_segwit_encode(again, hrp, ver, prog, prog_len));
            CHECK(strcmp(again, lower) == 0);
        }
    }
}

static void fuzz_address(const char *s, const struct address_params *p)
{
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN], script2[ADDRESS_MAX_SCRIPT_LEN];
    size_t len, len2;
    enum address_type type;
    char again[ADDRESS_MAX_LEN + 1], lower[MAX_INPUT + 1];
    enum address_error e = address_decode(script, &len, &type, p, s);
    CHECK(address_error_string(e) != NULL);
    if (e != ADDRESS_OK) {
        CHECK(len == 0 && type == ADDRESS_NONE);
        return;
    }
    CHECK(type == address_script_type(script, len));
    CHECK(address_encode(again, p, script, len) == ADDRESS_OK);
    if (type == ADDRESS_P2PKH || type == ADDRESS_P2SH) {
        CHECK(strcmp(again, s) == 0);
    } else {
        to_lower(lower, s, sizeof(lower));
        CHECK(strcmp(again, lower) == 0);
    }
    CHECK(address_decode(script2, &len2, NULL, p, again) == ADDRESS_OK);
    CHECK(len2 == len && memcmp(script, script2, len) == 0);
}

static void fuzz_wif(const char *s, const struct address_params *p)
{
    uint8_t key[32];
    bool compressed;
    char again[WIF_MAX_LEN + 1];
    if (wif_decode(key, &compressed, p, s) == ADDRESS_OK) {
        CHECK(wif_encode(again, p, key, compressed));
        CHECK(strcmp(again, s) == 0);
    }
}

static void fuzz_bip32(const char *s, const struct address_params *p)
{
    secp256k1_context *ctx = fuzz_ctx();
    struct bip32_key k, k2, child;
    char again[BIP32_STRING_MAX + 1];
    if (bip32_decode(ctx, &k, p, s) != BIP32_OK) return;
    CHECK(bip32_encode(again, p, &k));
    CHECK(strcmp(again, s) == 0);
    CHECK(bip32_decode(ctx, &k2, p, again) == BIP32_OK);
    CHECK(memcmp(&k, &k2, sizeof(k)) == 0);
    /* Children: both kinds from a private key, a normal one from a public key, and the
     * public child must match the neutered private child. */
    enum bip32_error e = bip32_derive(ctx, &child, &k, 1);
    CHECK(e == BIP32_OK || e == BIP32_ERR_DEPTH || e == BIP32_ERR_INVALID_KEY);
    if (k.has_private) {
        struct bip32_key pub, pub_child;
        bip32_neuter(&pub, &k);
        enum bip32_error e2 = bip32_derive(ctx, &pub_child, &pub, 1);
        CHECK(e2 == e);
        if (e == BIP32_OK) CHECK(memcmp(pub_child.pubkey, child.pubkey, 33) == 0);
        e = bip32_derive(ctx, &child, &k, BIP32_HARDENED);
        CHECK(e == BIP32_OK || e == BIP32_ERR_DEPTH || e == BIP32_ERR_INVALID_KEY);
    } else {
        CHECK(bip32_derive(ctx, &child, &k, BIP32_HARDENED) != BIP32_OK);
    }
    bip32_key_clear(&k);
    bip32_key_clear(&k2);
    bip32_key_clear(&child);
}

static void fuzz_path(const char *s)
{
    uint32_t path[BIP32_MAX_DEPTH], path2[BIP32_MAX_DEPTH];
    size_t n, n2;
    char text[BIP32_MAX_DEPTH * 12 + 2];
    if (bip32_parse_path(path, BIP32_MAX_DEPTH, &n, s) != BIP32_OK) return;
    CHECK(bip32_format_path(text, sizeof(text), path, n, 'h'));
    CHECK(bip32_parse_path(path2, BIP32_MAX_DEPTH, &n2, text) == BIP32_OK);
    CHECK(n2 == n && (n == 0 || memcmp(path, path2, n * sizeof(uint32_t)) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) return 0;
    char s[MAX_INPUT + 1];
    memcpy(s, data, size);
    s[size] = '\0';

    fuzz_base58(s);
    fuzz_bech32(s);
    fuzz_path(s);
    for (size_t i = 0; i < chainparams_count(); i++) {
        const struct address_params *p = &chainparams_at(i)->addr;
        fuzz_address(s, p);
        fuzz_wif(s, p);
        fuzz_bip32(s, p);
    }
    return 0;
}
