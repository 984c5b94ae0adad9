/* BIP32 extended keys (see bip32.h).
 *
 * Child derivation: I = HMAC-SHA512(chain code, data || index big-endian), where data
 * is 0x00 || private key for hardened indexes and the compressed public key otherwise.
 * The child key is parent + I[0..32) (private: scalar addition mod n; public: point
 * addition of I[0..32)*G), the child chain code I[32..64). libsecp256k1's tweak-add
 * functions do the arithmetic and fail exactly when BIP32 calls the child invalid
 * (I[0..32) >= n, or the sum is zero / the point at infinity). */
#include "wallet/bip32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/base58.h"
#include "consensus/hash.h"

static const char MASTER_HMAC_KEY[] = "Bitcoin seed";

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *bip32_error_string(enum bip32_error e)
{
    switch (e) {
    case BIP32_OK: return "ok";
    case BIP32_ERR_SEED_LENGTH: return "seed must be 16 to 64 bytes";
    case BIP32_ERR_INVALID_KEY: return "derived key is invalid, use the next index";
    case BIP32_ERR_HARDENED_PUBLIC: return "hardened derivation needs the private key";
    case BIP32_ERR_DEPTH: return "maximum depth exceeded";
    case BIP32_ERR_ENCODING: return "invalid character";
    case BIP32_ERR_CHECKSUM: return "bad checksum";
    case BIP32_ERR_LENGTH: return "bad length";
    case BIP32_ERR_VERSION: return "unknown extended key version";
    case BIP32_ERR_ZERO_DEPTH_PARENT: return "zero depth with non-zero parent fingerprint";
    case BIP32_ERR_ZERO_DEPTH_INDEX: return "zero depth with non-zero index";
    case BIP32_ERR_PRIVATE_PREFIX: return "invalid private key prefix";
    case BIP32_ERR_PRIVATE_KEY: return "private key not in 1..n-1";
    case BIP32_ERR_PUBLIC_KEY: return "invalid public key";
    case BIP32_ERR_PATH: return "invalid derivation path";
    }
    return "unknown error";
}

struct bip32_key *bip32_key_new(void) { return calloc(1, sizeof(struct bip32_key)); }

void bip32_key_clear(struct bip32_key *k)
{
    if (k) wipe(k, sizeof(*k));
}

void bip32_key_free(struct bip32_key *k)
{
    if (!k) return;
    bip32_key_clear(k);
    free(k);
}

/* Computes k->pubkey from k->seckey, which the caller has checked is valid. */
static bool set_pubkey_from_seckey(const secp256k1_context *ctx, struct bip32_key *k)
{
    secp256k1_pubkey pk;
    size_t len = sizeof(k->pubkey);
    if (!secp256k1_ec_pubkey_create(ctx, &pk, k->seckey)) return false;
    return secp256k1_ec_pubkey_serialize(ctx, k->pubkey, &len, &pk, SECP256K1_EC_COMPRESSED) &&
           len == sizeof(k->pubkey);
}

enum bip32_error bip32_from_seed(const secp256k1_context *ctx, struct bip32_key *out,
                                 const uint8_t *seed, size_t seed_len)
{
    bip32_key_clear(out);
    if (seed_len < BIP32_SEED_MIN || seed_len > BIP32_SEED_MAX) return BIP32_ERR_SEED_LENGTH;
    uint8_t I[64];
    hmac_sha512(MASTER_HMAC_KEY, sizeof(MASTER_HMAC_KEY) - 1, seed, seed_len, I);
    enum bip32_error e = BIP32_ERR_INVALID_KEY;
    if (secp256k1_ec_seckey_verify(ctx, I)) {
        memcpy(out->seckey, I, 32);
        memcpy(out->chain_code, I + 32, 32);
        out->has_private = true;
        if (set_pubkey_from_seckey(ctx, out)) e = BIP32_OK;
    }
    wipe(I, sizeof(I));
    if (e != BIP32_OK) bip32_key_clear(out);
    return e;
}

enum bip32_error bip32_derive(const secp256k1_context *ctx, struct bip32_key *child,
                              const struct bip32_key *parent, uint32_t index)
{
    enum bip32_error e = BIP32_OK;
    bool hardened = index >= BIP32_HARDENED;
    struct bip32_key out;
    uint8_t data[37];
    uint8_t I[64];
    memset(&out, 0, sizeof(out));
    memset(data, 0, sizeof(data));
    memset(I, 0, sizeof(I));

    if (parent->depth == BIP32_MAX_DEPTH) {
        e = BIP32_ERR_DEPTH;
        goto done;
    }
    if (hardened && !parent->has_private) {
        e = BIP32_ERR_HARDENED_PUBLIC;
        goto done;
    }
    if (hardened) {
        data[0] = 0;
        memcpy(data + 1, parent->seckey, 32);
    } else {
        memcpy(data, parent->pubkey, 33);
    }
    put_be32(data + 33, index);
    hmac_sha512(parent->chain_code, sizeof(parent->chain_code), data, sizeof(data), I);

    out.depth = (uint8_t)(parent->depth + 1);
    bip32_fingerprint(parent, out.parent_fingerprint);
    out.child_number = index;
    memcpy(out.chain_code, I + 32, 32);
    if (parent->has_private) {
        out.has_private = true;
        memcpy(out.seckey, parent->seckey, 32);
        if (!secp256k1_ec_seckey_tweak_add(ctx, out.seckey, I) ||
            !set_pubkey_from_seckey(ctx, &out))
            e = BIP32_ERR_INVALID_KEY;
    } else {
        secp256k1_pubkey pk;
        size_t len = sizeof(out.pubkey);
        if (!secp256k1_ec_pubkey_parse(ctx, &pk, parent->pubkey, sizeof(parent->pubkey)) ||
            !secp256k1_ec_pubkey_tweak_add(ctx, &pk, I) ||
            !secp256k1_ec_pubkey_serialize(ctx, out.pubkey, &len, &pk, SECP256K1_EC_COMPRESSED))
            e = BIP32_ERR_INVALID_KEY;
    }

done:
    /* child may alias parent, so it is written only after parent is no longer read. */
    if (e == BIP32_OK)
        *child = out;
    else
        bip32_key_clear(child);
    wipe(&out, sizeof(out));
    wipe(data, sizeof(data));
    wipe(I, sizeof(I));
    return e;
}

enum bip32_error bip32_derive_path(const secp256k1_context *ctx, struct bip32_key *out,
                                   const struct bip32_key *root, const uint32_t *path, size_t n)
{
    if (out != root) *out = *root;
    for (size_t i = 0; i < n; i++) {
        enum bip32_error e = bip32_derive(ctx, out, out, path[i]);
        if (e != BIP32_OK) return e; /* bip32_derive cleared *out */
    }
    return BIP32_OK;
}

void bip32_neuter(struct bip32_key *out, const struct bip32_key *k)
{
    if (out != k) *out = *k;
    out->has_private = false;
    wipe(out->seckey, sizeof(out->seckey));
}

void bip32_identifier(const struct bip32_key *k, uint8_t id[20])
{
    hash160(k->pubkey, sizeof(k->pubkey), id);
}

void bip32_fingerprint(const struct bip32_key *k, uint8_t fp[4])
{
    uint8_t id[20];
    bip32_identifier(k, id);
    memcpy(fp, id, 4);
}

void bip32_serialize(uint8_t out[BIP32_SERIALIZED_LEN], const struct address_params *p,
                     const struct bip32_key *k)
{
    put_be32(out, k->has_private ? p->xprv_version : p->xpub_version);
    out[4] = k->depth;
    memcpy(out + 5, k->parent_fingerprint, 4);
    put_be32(out + 9, k->child_number);
    memcpy(out + 13, k->chain_code, 32);
    if (k->has_private) {
        out[45] = 0;
        memcpy(out + 46, k->seckey, 32);
    } else {
        memcpy(out + 45, k->pubkey, 33);
    }
}

enum bip32_error bip32_deserialize(const secp256k1_context *ctx, struct bip32_key *out,
                                   const struct address_params *p,
                                   const uint8_t in[BIP32_SERIALIZED_LEN])
{
    static const uint8_t zero4[4] = {0, 0, 0, 0};
    enum bip32_error e = BIP32_OK;
    bip32_key_clear(out);

    uint32_t version = get_be32(in);
    bool is_private;
    if (version == p->xpub_version)
        is_private = false;
    else if (version == p->xprv_version)
        is_private = true;
    else
        return BIP32_ERR_VERSION;

    out->depth = in[4];
    memcpy(out->parent_fingerprint, in + 5, 4);
    out->child_number = get_be32(in + 9);
    memcpy(out->chain_code, in + 13, 32);
    if (out->depth == 0 && memcmp(out->parent_fingerprint, zero4, 4) != 0) {
        e = BIP32_ERR_ZERO_DEPTH_PARENT;
        goto done;
    }
    if (out->depth == 0 && out->child_number != 0) {
        e = BIP32_ERR_ZERO_DEPTH_INDEX;
        goto done;
    }

    if (is_private) {
        if (in[45] != 0) {
            e = BIP32_ERR_PRIVATE_PREFIX;
            goto done;
        }
        if (!secp256k1_ec_seckey_verify(ctx, in + 46)) {
            e = BIP32_ERR_PRIVATE_KEY;
            goto done;
        }
        memcpy(out->seckey, in + 46, 32);
        out->has_private = true;
        if (!set_pubkey_from_seckey(ctx, out)) e = BIP32_ERR_PRIVATE_KEY;
    } else {
        secp256k1_pubkey pk;
        if ((in[45] != 0x02 && in[45] != 0x03) ||
            !secp256k1_ec_pubkey_parse(ctx, &pk, in + 45, 33)) {
            e = BIP32_ERR_PUBLIC_KEY;
            goto done;
        }
        memcpy(out->pubkey, in + 45, 33);
    }

done:
    if (e != BIP32_OK) bip32_key_clear(out);
    return e;
}

bool bip32_encode(char out[BIP32_STRING_MAX + 1], const struct address_params *p,
                  const struct bip32_key *k)
{
    uint8_t raw[BIP32_SERIALIZED_LEN];
    bip32_serialize(raw, p, k);
    bool ok = base58check_encode(out, BIP32_STRING_MAX + 1, raw, sizeof(raw));
    wipe(raw, sizeof(raw));
    return ok;
}

enum bip32_error bip32_decode(const secp256k1_context *ctx, struct bip32_key *out,
                              const struct address_params *p, const char *str)
{
    bip32_key_clear(out);
    uint8_t raw[BIP32_SERIALIZED_LEN];
    size_t len;
    enum bip32_error e;
    switch (base58check_decode(raw, sizeof(raw), &len, str)) {
    case BASE58_OK:
        e = len == BIP32_SERIALIZED_LEN ? bip32_deserialize(ctx, out, p, raw)
                                        : BIP32_ERR_LENGTH;
        break;
    case BASE58_INVALID_CHAR: e = BIP32_ERR_ENCODING; break;
    case BASE58_BAD_CHECKSUM: e = BIP32_ERR_CHECKSUM; break;
    case BASE58_TOO_LONG:
    case BASE58_TOO_SHORT:
    default: e = BIP32_ERR_LENGTH; break;
    }
    wipe(raw, sizeof(raw));
    return e;
}

/* Parses one step at *s ("44'", "0", "7h"), advancing *s past it. */
static bool parse_step(const char **s, uint32_t *out)
{
    const char *p = *s;
    uint64_t v = 0; /* below 2^31 before each step, so v * 10 + 9 cannot overflow */
    if (*p < '0' || *p > '9') return false;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v >= BIP32_HARDENED) return false;
        p++;
    }
    if (*p == '\'' || *p == 'h' || *p == 'H') {
        v |= BIP32_HARDENED;
        p++;
    }
    *out = (uint32_t)v;
    *s = p;
    return true;
}

enum bip32_error bip32_parse_path(uint32_t *path, size_t cap, size_t *n, const char *str)
{
    *n = 0;
    const char *s = str;
    size_t count = 0;
    bool need_step;
    if (*s == 'm') {
        s++;
        if (*s == '\0') return BIP32_OK;
        if (*s != '/') return BIP32_ERR_PATH;
        s++;
    }
    need_step = true;
    while (need_step) {
        uint32_t v;
        if (count == cap || count == BIP32_MAX_DEPTH || !parse_step(&s, &v))
            return BIP32_ERR_PATH;
        path[count++] = v;
        if (*s == '/')
            s++;
        else if (*s == '\0')
            need_step = false;
        else
            return BIP32_ERR_PATH;
    }
    *n = count;
    return BIP32_OK;
}

bool bip32_format_path(char *out, size_t cap, const uint32_t *path, size_t n,
                       char hardened_mark)
{
    if (cap < 2) {
        if (cap) out[0] = '\0';
        return false;
    }
    size_t pos = 0;
    out[pos++] = 'm';
    out[pos] = '\0';
    for (size_t i = 0; i < n; i++) {
        bool hardened = path[i] >= BIP32_HARDENED;
        char mark[2] = {hardened ? hardened_mark : '\0', '\0'};
        int w = snprintf(out + pos, cap - pos, "/%lu%s",
                         (unsigned long)(path[i] & ~BIP32_HARDENED), mark);
        if (w < 0 || (size_t)w >= cap - pos) {
            out[0] = '\0';
            return false;
        }
        pos += (size_t)w;
    }
    return true;
}
