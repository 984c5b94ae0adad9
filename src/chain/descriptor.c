/* Output descriptors: a recursive-descent parser into a small tree, expansion of the
 * tree into scriptPubKeys for one position, and the public text form. See
 * descriptor.h and BIP380-386. */
#include "chain/descriptor.h"

#include <secp256k1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/script_format.h"
#include "consensus/base58.h"
#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "util/hex.h"

#define DESC_MAX_DEPTH 8
#define DESC_MAX_KEYS  20
#define DESC_MAX_PATH  256
#define XKEY_LEN       78

enum desc_type {
    D_PK,
    D_PKH,
    D_WPKH,
    D_SH,
    D_WSH,
    D_MULTI,
    D_SORTEDMULTI,
    D_TR,
    D_ADDR,
    D_RAW,
    D_COMBO,
};

enum desc_ctx { CTX_TOP, CTX_P2SH, CTX_P2WSH, CTX_P2TR };

enum range_kind { RANGE_NONE, RANGE_NORMAL, RANGE_HARDENED };

struct desc_key {
    char *origin; /* "[...]" text as given, or NULL */
    bool is_ext;
    /* plain key */
    uint8_t pub[65];
    size_t pub_len;
    bool has_priv;
    uint8_t sec[32];
    /* extended key */
    uint8_t depth, parent_fp[4];
    uint32_t child;
    uint8_t chain[32];
    uint32_t path[DESC_MAX_PATH];
    size_t npath;
    enum range_kind range;
    char *path_text; /* derivation path text as given, or NULL */
    bool xonly;      /* given as 64 hex digits inside tr() */
};

struct descriptor {
    enum desc_type type;
    int k;
    struct desc_key *keys;
    size_t nkeys;
    struct descriptor *sub;
    uint8_t *raw; /* addr/raw script */
    size_t raw_len;
    char *text;                   /* addr() text */
    struct address_params params; /* set on the root */
};

static void set_err(char err[DESCRIPTOR_ERR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(char err[DESCRIPTOR_ERR_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, DESCRIPTOR_ERR_MAX, fmt, ap);
    va_end(ap);
}

static char *strndup_(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

static void key_clear(struct desc_key *k)
{
    free(k->origin);
    free(k->path_text);
    memset(k, 0, sizeof(*k));
}

void descriptor_free(struct descriptor *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->nkeys; i++) key_clear(&d->keys[i]);
    free(d->keys);
    descriptor_free(d->sub);
    free(d->raw);
    free(d->text);
    free(d);
}

/* ---- keys ---- */

static bool parse_u32_step(const char *s, size_t n, uint32_t *out, bool *hardened)
{
    *hardened = false;
    if (n > 0 && (s[n - 1] == '\'' || s[n - 1] == 'h' || s[n - 1] == 'H')) {
        *hardened = true;
        n--;
    }
    if (n == 0 || n > 10) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v >= 0x80000000u) return false;
    *out = (uint32_t)v | (*hardened ? 0x80000000u : 0);
    return true;
}

/* Parses "/a/b'/..." (text of n bytes starting with '/' or empty) into path; a final
 * '*' sets *range when allow_star. */
static bool parse_path(const char *s, size_t n, uint32_t *path, size_t *npath,
                       enum range_kind *range, bool allow_star, char *err)
{
    *npath = 0;
    if (range) *range = RANGE_NONE;
    size_t i = 0;
    while (i < n) {
        if (s[i] != '/') {
            set_err(err, "Key path value '%.*s' is not a valid uint32", (int)(n - i), s + i);
            return false;
        }
        i++;
        size_t j = i;
        while (j < n && s[j] != '/') j++;
        const char *e = s + i;
        size_t len = j - i;
        if (allow_star && len >= 1 && e[0] == '*' &&
            (len == 1 || (len == 2 && (e[1] == '\'' || e[1] == 'h' || e[1] == 'H')))) {
            if (j != n) {
                set_err(err, "'*' may only appear as last element in derivation path");
                return false;
            }
            *range = len == 1 ? RANGE_NORMAL : RANGE_HARDENED;
            return true;
        }
        bool hard;
        uint32_t v;
        if (!parse_u32_step(e, len, &v, &hard)) {
            set_err(err, "Key path value '%.*s' is not a valid uint32", (int)len, e);
            return false;
        }
        if (*npath >= DESC_MAX_PATH) {
            set_err(err, "Derivation path too long");
            return false;
        }
        path[(*npath)++] = v;
        i = j;
    }
    return true;
}

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool xkey_decode(const secp256k1_context *ctx, struct desc_key *k,
                        const struct address_params *p, const char *s)
{
    uint8_t buf[XKEY_LEN + 8];
    size_t n = 0;
    if (base58check_decode(buf, sizeof(buf), &n, s) != BASE58_OK || n != XKEY_LEN) return false;
    uint32_t ver = be32(buf);
    bool ok = false;
    k->depth = buf[4];
    memcpy(k->parent_fp, buf + 5, 4);
    k->child = be32(buf + 9);
    memcpy(k->chain, buf + 13, 32);
    if (ver == p->xprv_version && buf[45] == 0) {
        secp256k1_pubkey pk;
        size_t len = 33;
        memcpy(k->sec, buf + 46, 32);
        ok = secp256k1_ec_seckey_verify(ctx, k->sec) &&
             secp256k1_ec_pubkey_create(ctx, &pk, k->sec) &&
             secp256k1_ec_pubkey_serialize(ctx, k->pub, &len, &pk, SECP256K1_EC_COMPRESSED);
        k->has_priv = ok;
    } else if (ver == p->xpub_version && (buf[45] == 2 || buf[45] == 3)) {
        secp256k1_pubkey pk;
        ok = secp256k1_ec_pubkey_parse(ctx, &pk, buf + 45, 33) == 1;
        memcpy(k->pub, buf + 45, 33);
    }
    k->pub_len = 33;
    memset(buf, 0, sizeof(buf));
    return ok;
}

static bool parse_key(const secp256k1_context *ctx, struct desc_key *k, const char *s, size_t n,
                      enum desc_ctx dctx, const struct address_params *p, char *err)
{
    memset(k, 0, sizeof(*k));
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) {
            set_err(err,
                    "Key origin start '[ character expected but not found, got '%c' instead",
                    s[0]);
            return false;
        }
        size_t olen = (size_t)(close - s) + 1;
        if (memchr(close + 1, ']', n - olen)) {
            set_err(err, "Multiple ']' characters found for a single pubkey");
            return false;
        }
        const char *fp = s + 1;
        size_t fplen = 0;
        while (fp + fplen < close && fp[fplen] != '/') fplen++;
        if (fplen != 8) {
            set_err(err, "Fingerprint is not 4 bytes (%zu characters instead of 8 characters)",
                    fplen);
            return false;
        }
        for (size_t i = 0; i < 8; i++)
            if (hex_digit(fp[i]) < 0) {
                set_err(err, "Fingerprint '%.8s' is not hex", fp);
                return false;
            }
        uint32_t tmp[DESC_MAX_PATH];
        size_t nt;
        if (!parse_path(fp + 8, (size_t)(close - fp) - 8, tmp, &nt, NULL, false, err))
            return false;
        k->origin = strndup_(s, olen);
        if (!k->origin) {
            set_err(err, "Out of memory");
            return false;
        }
        s += olen;
        n -= olen;
    }
    size_t first = 0;
    while (first < n && s[first] != '/') first++;
    char *tok = strndup_(s, first);
    if (!tok) {
        set_err(err, "Out of memory");
        return false;
    }
    bool ok = false;
    size_t hexlen = strlen(tok);
    uint8_t tmp[65];
    size_t tlen = 0;
    bool is_hex = hexlen > 0 && hexlen % 2 == 0;
    for (size_t i = 0; is_hex && i < hexlen; i++) is_hex = hex_digit(tok[i]) >= 0;
    if (first == n && is_hex) {
        secp256k1_pubkey pk;
        if (!hex_decode(tmp, sizeof(tmp), &tlen, tok, hexlen) ||
            (tlen == 32 && dctx != CTX_P2TR) || (tlen != 33 && tlen != 65 && tlen != 32)) {
            set_err(err, "Pubkey '%s' is invalid", tok);
        } else if (tlen == 32) {
            /* x-only key inside tr(): store as 02||x */
            k->pub[0] = 2;
            memcpy(k->pub + 1, tmp, 32);
            k->pub_len = 33;
            k->xonly = true;
            ok = pubkey_xonly_is_valid(tmp);
            if (!ok) set_err(err, "Pubkey '%s' is invalid", tok);
        } else if (tlen == 65 && (tmp[0] == 6 || tmp[0] == 7)) {
            set_err(err, "Hybrid public keys are not allowed");
        } else if (!secp256k1_ec_pubkey_parse(ctx, &pk, tmp, tlen)) {
            set_err(err, "Pubkey '%s' is invalid", tok);
        } else {
            memcpy(k->pub, tmp, tlen);
            k->pub_len = tlen;
            ok = true;
        }
    } else if (first == n) {
        bool compressed;
        if (wif_decode(k->sec, &compressed, p, tok) == ADDRESS_OK) {
            secp256k1_pubkey pk;
            size_t len = 65;
            ok = secp256k1_ec_pubkey_create(ctx, &pk, k->sec) &&
                 secp256k1_ec_pubkey_serialize(ctx, k->pub, &len, &pk,
                                               compressed ? SECP256K1_EC_COMPRESSED
                                                          : SECP256K1_EC_UNCOMPRESSED);
            k->pub_len = len;
            k->has_priv = ok;
        }
        if (!ok) {
            struct desc_key x;
            memset(&x, 0, sizeof(x));
            if (xkey_decode(ctx, &x, p, tok)) {
                ok = true;
                x.origin = k->origin;
                *k = x;
                k->is_ext = true;
            }
            memset(&x, 0, sizeof(x));
        }
        if (!ok) set_err(err, "key '%s' is not valid", tok);
    } else {
        if (xkey_decode(ctx, k, p, tok)) {
            k->is_ext = true;
            ok = parse_path(s + first, n - first, k->path, &k->npath, &k->range, true, err);
        } else {
            set_err(err, "key '%s' is not valid", tok);
        }
    }
    free(tok);
    if (ok && k->is_ext) {
        k->path_text = strndup_(s + first, n - first);
        if (!k->path_text) {
            set_err(err, "Out of memory");
            ok = false;
        }
    }
    if (ok && k->pub_len == 65 && dctx != CTX_TOP && dctx != CTX_P2SH) {
        set_err(err, "Uncompressed keys are not allowed");
        ok = false;
    }
    return ok;
}

/* ---- the tree ---- */

static const struct {
    const char *name;
    enum desc_type type;
} FUNCS[] = {
    {"pk", D_PK},
    {"pkh", D_PKH},
    {"wpkh", D_WPKH},
    {"sh", D_SH},
    {"wsh", D_WSH},
    {"multi", D_MULTI},
    {"sortedmulti", D_SORTEDMULTI},
    {"tr", D_TR},
    {"addr", D_ADDR},
    {"raw", D_RAW},
    {"combo", D_COMBO},
};

/* Splits args (n bytes) at commas that are not inside parentheses or brackets. */
static size_t split_args(const char *s, size_t n, const char **starts, size_t *lens, size_t cap)
{
    size_t count = 0, depth = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (s[i] == ',' && depth == 0)) {
            if (count >= cap) return cap + 1;
            starts[count] = s + start;
            lens[count] = i - start;
            count++;
            start = i + 1;
        } else if (s[i] == '(' || s[i] == '{' || s[i] == '[') {
            depth++;
        } else if ((s[i] == ')' || s[i] == '}' || s[i] == ']') && depth > 0) {
            depth--;
        }
    }
    return count;
}

static struct descriptor *parse_node(const secp256k1_context *ctx, const char *s, size_t n,
                                     enum desc_ctx dctx, int depth,
                                     const struct address_params *p, char *err);

static bool parse_multi(const secp256k1_context *ctx, struct descriptor *d, const char *s,
                        size_t n, enum desc_ctx dctx, const struct address_params *p, char *err)
{
    const char *starts[DESC_MAX_KEYS + 2];
    size_t lens[DESC_MAX_KEYS + 2];
    size_t c = split_args(s, n, starts, lens, DESC_MAX_KEYS + 1);
    if (c > DESC_MAX_KEYS + 1) {
        set_err(err, "Cannot have more than 16 keys in multisig");
        return false;
    }
    uint32_t k;
    bool hard;
    if (!parse_u32_step(starts[0], lens[0], &k, &hard) || hard) {
        set_err(err, "Multi threshold '%.*s' is not valid", (int)lens[0], starts[0]);
        return false;
    }
    size_t nkeys = c - 1;
    if (nkeys == 0 || nkeys > 16) {
        set_err(err,
                "Cannot have %zu keys in multisig; must have between 1 and 16 keys, inclusive",
                nkeys);
        return false;
    }
    if (k < 1) {
        set_err(err, "Multisig threshold cannot be 0, must be at least 1");
        return false;
    }
    if (k > nkeys) {
        set_err(
            err,
            "Multisig threshold cannot be larger than the number of keys; threshold is %u but "
            "only %zu keys specified",
            k, nkeys);
        return false;
    }
    if (dctx == CTX_TOP && nkeys > 3) {
        set_err(err, "Cannot have %zu pubkeys in bare multisig; only at most 3 pubkeys", nkeys);
        return false;
    }
    d->k = (int)k;
    d->keys = calloc(nkeys, sizeof(*d->keys));
    if (!d->keys) {
        set_err(err, "Out of memory");
        return false;
    }
    for (size_t i = 0; i < nkeys; i++) {
        if (!parse_key(ctx, &d->keys[i], starts[i + 1], lens[i + 1], dctx, p, err)) {
            key_clear(&d->keys[i]);
            d->nkeys = i;
            return false;
        }
        d->nkeys = i + 1;
    }
    return true;
}

static struct descriptor *parse_node(const secp256k1_context *ctx, const char *s, size_t n,
                                     enum desc_ctx dctx, int depth,
                                     const struct address_params *p, char *err)
{
    if (depth > DESC_MAX_DEPTH) {
        set_err(err, "Descriptor nested too deeply");
        return NULL;
    }
    const char *open = memchr(s, '(', n);
    if (!open || s[n - 1] != ')' || n < 3) {
        set_err(err, "'%.*s' is not a valid descriptor function", (int)(n > 100 ? 100 : n), s);
        return NULL;
    }
    size_t nlen = (size_t)(open - s);
    const char *args = open + 1;
    size_t alen = n - nlen - 2;
    size_t fi;
    for (fi = 0; fi < sizeof(FUNCS) / sizeof(FUNCS[0]); fi++)
        if (strlen(FUNCS[fi].name) == nlen && memcmp(FUNCS[fi].name, s, nlen) == 0) break;
    if (fi == sizeof(FUNCS) / sizeof(FUNCS[0])) {
        set_err(err, "'%.*s' is not a valid descriptor function", (int)(n > 100 ? 100 : n), s);
        return NULL;
    }
    enum desc_type t = FUNCS[fi].type;
    /* context rules of BIP381-386 */
    if (t == D_SH && dctx != CTX_TOP) {
        set_err(err, "Can only have sh() at top level");
        return NULL;
    }
    if ((t == D_WSH || t == D_WPKH) && dctx != CTX_TOP && dctx != CTX_P2SH) {
        set_err(err, "Can only have %s() at top level or inside sh()", FUNCS[fi].name);
        return NULL;
    }
    if ((t == D_ADDR || t == D_RAW || t == D_COMBO || t == D_TR) && dctx != CTX_TOP) {
        set_err(err, "Can only have %s() at top level", FUNCS[fi].name);
        return NULL;
    }
    struct descriptor *d = calloc(1, sizeof(*d));
    if (!d) {
        set_err(err, "Out of memory");
        return NULL;
    }
    d->type = t;
    bool ok = false;
    switch (t) {
    case D_PK:
    case D_PKH:
    case D_WPKH:
    case D_COMBO:
    case D_TR: {
        if (t == D_TR && memchr(args, ',', alen)) {
            set_err(err, "tr() with a script tree is not supported");
            break;
        }
        d->keys = calloc(1, sizeof(*d->keys));
        if (!d->keys) {
            set_err(err, "Out of memory");
            break;
        }
        enum desc_ctx kctx = t == D_WPKH ? CTX_P2WSH : t == D_TR ? CTX_P2TR : dctx;
        ok = parse_key(ctx, &d->keys[0], args, alen, kctx, p, err);
        if (ok)
            d->nkeys = 1;
        else
            key_clear(&d->keys[0]);
        break;
    }
    case D_SH:
    case D_WSH:
        d->sub =
            parse_node(ctx, args, alen, t == D_SH ? CTX_P2SH : CTX_P2WSH, depth + 1, p, err);
        ok = d->sub != NULL;
        break;
    case D_MULTI:
    case D_SORTEDMULTI: ok = parse_multi(ctx, d, args, alen, dctx, p, err); break;
    case D_ADDR: {
        uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
        size_t slen;
        d->text = strndup_(args, alen);
        if (!d->text) {
            set_err(err, "Out of memory");
            break;
        }
        if (strlen(d->text) != alen ||
            address_decode(script, &slen, NULL, p, d->text) != ADDRESS_OK) {
            set_err(err, "Address is not valid");
            break;
        }
        d->raw = malloc(slen);
        if (!d->raw) {
            set_err(err, "Out of memory");
            break;
        }
        memcpy(d->raw, script, slen);
        d->raw_len = slen;
        ok = true;
        break;
    }
    case D_RAW: {
        d->raw = malloc(alen / 2 + 1);
        if (!d->raw) {
            set_err(err, "Out of memory");
            break;
        }
        ok = hex_decode(d->raw, alen / 2 + 1, &d->raw_len, args, alen);
        if (!ok) set_err(err, "Raw script is not hex");
        break;
    }
    }
    if (!ok) {
        descriptor_free(d);
        return NULL;
    }
    return d;
}

struct descriptor *descriptor_parse(const char *text, const struct address_params *p,
                                    char err[DESCRIPTOR_ERR_MAX])
{
    err[0] = 0;
    if (!text) {
        set_err(err, "No descriptor");
        return NULL;
    }
    const char *hash = strchr(text, '#');
    size_t n = hash ? (size_t)(hash - text) : strlen(text);
    char *body = strndup_(text, n);
    if (!body) {
        set_err(err, "Out of memory");
        return NULL;
    }
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (!descriptor_checksum(sum, body)) {
        set_err(err, "Invalid characters in payload");
        free(body);
        return NULL;
    }
    if (hash) {
        if (strchr(hash + 1, '#')) {
            set_err(err, "Multiple '#' symbols");
            free(body);
            return NULL;
        }
        if (strlen(hash + 1) != DESCRIPTOR_CHECKSUM_LEN) {
            set_err(err, "Expected 8 character checksum, not %zu characters", strlen(hash + 1));
            free(body);
            return NULL;
        }
        if (strcmp(hash + 1, sum) != 0) {
            set_err(err, "Provided checksum '%s' does not match computed checksum '%s'",
                    hash + 1, sum);
            free(body);
            return NULL;
        }
    }
    struct descriptor *d = NULL;
    if (n == 0) {
        set_err(err, "'' is not a valid descriptor function");
    } else {
        secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        if (!ctx)
            set_err(err, "Out of memory");
        else
            d = parse_node(ctx, body, n, CTX_TOP, 0, p, err);
        if (d) d->params = *p;
        if (ctx) secp256k1_context_destroy(ctx);
    }
    free(body);
    return d;
}

/* ---- properties ---- */

bool descriptor_is_range(const struct descriptor *d)
{
    for (size_t i = 0; i < d->nkeys; i++)
        if (d->keys[i].range != RANGE_NONE) return true;
    return d->sub && descriptor_is_range(d->sub);
}

bool descriptor_is_solvable(const struct descriptor *d)
{
    return d->type != D_ADDR && d->type != D_RAW;
}

bool descriptor_has_private_keys(const struct descriptor *d)
{
    for (size_t i = 0; i < d->nkeys; i++)
        if (d->keys[i].has_priv) return true;
    return d->sub && descriptor_has_private_keys(d->sub);
}

/* ---- expansion ---- */

static bool ckd(const secp256k1_context *ctx, struct desc_key *k, uint32_t i)
{
    uint8_t data[37], I[64];
    bool ok;
    if (i & 0x80000000u) {
        if (!k->has_priv) return false;
        data[0] = 0;
        memcpy(data + 1, k->sec, 32);
    } else {
        memcpy(data, k->pub, 33);
    }
    data[33] = (uint8_t)(i >> 24);
    data[34] = (uint8_t)(i >> 16);
    data[35] = (uint8_t)(i >> 8);
    data[36] = (uint8_t)i;
    hmac_sha512(k->chain, 32, data, sizeof(data), I);
    secp256k1_pubkey pk;
    size_t len = 33;
    if (k->has_priv) {
        ok = secp256k1_ec_seckey_tweak_add(ctx, k->sec, I) &&
             secp256k1_ec_pubkey_create(ctx, &pk, k->sec);
    } else {
        ok = secp256k1_ec_pubkey_parse(ctx, &pk, k->pub, 33) &&
             secp256k1_ec_pubkey_tweak_add(ctx, &pk, I);
    }
    ok = ok && secp256k1_ec_pubkey_serialize(ctx, k->pub, &len, &pk, SECP256K1_EC_COMPRESSED);
    memcpy(k->chain, I + 32, 32);
    memset(I, 0, sizeof(I));
    memset(data, 0, sizeof(data));
    return ok;
}

static bool key_at(const secp256k1_context *ctx, const struct desc_key *k, uint32_t index,
                   uint8_t pub[65], size_t *len, char *err)
{
    if (!k->is_ext) {
        memcpy(pub, k->pub, k->pub_len);
        *len = k->pub_len;
        return true;
    }
    struct desc_key w;
    memcpy(w.chain, k->chain, 32);
    memcpy(w.pub, k->pub, 33);
    memcpy(w.sec, k->sec, 32);
    w.has_priv = k->has_priv;
    bool ok = true;
    for (size_t i = 0; ok && i <= k->npath; i++) {
        uint32_t step;
        if (i < k->npath)
            step = k->path[i];
        else if (k->range != RANGE_NONE)
            step = index | (k->range == RANGE_HARDENED ? 0x80000000u : 0);
        else
            break;
        if ((step & 0x80000000u) && !w.has_priv) {
            set_err(err, "Cannot derive script without private keys");
            ok = false;
        } else if (!ckd(ctx, &w, step)) {
            set_err(err, "Cannot derive key at this position");
            ok = false;
        }
    }
    memcpy(pub, w.pub, 33);
    *len = 33;
    memset(&w, 0, sizeof(w));
    return ok;
}

struct sbuf {
    uint8_t *d;
    size_t len, cap;
    bool oom;
};

static void sb_put(struct sbuf *b, const uint8_t *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t nc = (b->len + n) * 2 + 16;
        uint8_t *nd = realloc(b->d, nc);
        if (!nd) {
            b->oom = true;
            return;
        }
        b->d = nd;
        b->cap = nc;
    }
    memcpy(b->d + b->len, data, n);
    b->len += n;
}

static void sb_byte(struct sbuf *b, uint8_t c) { sb_put(b, &c, 1); }

static void sb_push(struct sbuf *b, const uint8_t *data, size_t n)
{
    if (n < 76) {
        sb_byte(b, (uint8_t)n);
    } else if (n < 256) {
        sb_byte(b, 0x4c);
        sb_byte(b, (uint8_t)n);
    } else {
        sb_byte(b, 0x4d);
        sb_byte(b, (uint8_t)n);
        sb_byte(b, (uint8_t)(n >> 8));
    }
    sb_put(b, data, n);
}

static int cmp_key(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    size_t lx = x[0] == 4 ? 65 : 33, ly = y[0] == 4 ? 65 : 33;
    int c = memcmp(x, y, lx < ly ? lx : ly);
    return c ? c : (lx < ly ? -1 : lx > ly);
}

static void script_pkh(struct sbuf *b, const uint8_t *pub, size_t len)
{
    uint8_t h[20];
    hash160(pub, len, h);
    sb_byte(b, 0x76);
    sb_byte(b, 0xa9);
    sb_push(b, h, 20);
    sb_byte(b, 0x88);
    sb_byte(b, 0xac);
}

static void script_wpkh(struct sbuf *b, const uint8_t *pub, size_t len)
{
    uint8_t h[20];
    hash160(pub, len, h);
    sb_byte(b, 0);
    sb_push(b, h, 20);
}

static void script_sh(struct sbuf *b, const uint8_t *inner, size_t len)
{
    uint8_t h[20];
    hash160(inner, len, h);
    sb_byte(b, 0xa9);
    sb_push(b, h, 20);
    sb_byte(b, 0x87);
}

/* The script of node d at index into b (not for combo). */
static bool build(const secp256k1_context *ctx, const struct descriptor *d, uint32_t index,
                  struct sbuf *b, char *err)
{
    uint8_t pub[65];
    size_t len;
    switch (d->type) {
    case D_PK:
        if (!key_at(ctx, &d->keys[0], index, pub, &len, err)) return false;
        sb_push(b, pub, len);
        sb_byte(b, 0xac);
        return true;
    case D_PKH:
        if (!key_at(ctx, &d->keys[0], index, pub, &len, err)) return false;
        script_pkh(b, pub, len);
        return true;
    case D_WPKH:
        if (!key_at(ctx, &d->keys[0], index, pub, &len, err)) return false;
        script_wpkh(b, pub, len);
        return true;
    case D_TR: {
        if (!key_at(ctx, &d->keys[0], index, pub, &len, err)) return false;
        uint8_t tweak[32], out[32];
        int parity;
        tagged_hash("TapTweak", pub + 1, 32, tweak);
        if (!pubkey_xonly_tweak_add(out, &parity, pub + 1, tweak)) {
            set_err(err, "Cannot derive key at this position");
            return false;
        }
        sb_byte(b, 0x51);
        sb_push(b, out, 32);
        return true;
    }
    case D_SH:
    case D_WSH: {
        struct sbuf inner = {0};
        bool ok = build(ctx, d->sub, index, &inner, err);
        if (ok && !inner.oom) {
            if (d->type == D_SH) {
                if (inner.len > 520) {
                    set_err(err, "P2SH script is too large, %zu bytes is larger than 520 bytes",
                            inner.len);
                    ok = false;
                } else {
                    script_sh(b, inner.d, inner.len);
                }
            } else {
                uint8_t h[32];
                sha256(inner.d, inner.len, h);
                sb_byte(b, 0);
                sb_push(b, h, 32);
            }
        }
        if (inner.oom) b->oom = true;
        free(inner.d);
        return ok;
    }
    case D_MULTI:
    case D_SORTEDMULTI: {
        uint8_t keys[16][65];
        for (size_t i = 0; i < d->nkeys; i++)
            if (!key_at(ctx, &d->keys[i], index, keys[i], &len, err)) return false;
        if (d->type == D_SORTEDMULTI) qsort(keys, d->nkeys, sizeof(keys[0]), cmp_key);
        sb_byte(b, (uint8_t)(0x50 + d->k));
        for (size_t i = 0; i < d->nkeys; i++) sb_push(b, keys[i], keys[i][0] == 4 ? 65 : 33);
        sb_byte(b, (uint8_t)(0x50 + d->nkeys));
        sb_byte(b, 0xae);
        return true;
    }
    case D_ADDR:
    case D_RAW: sb_put(b, d->raw, d->raw_len); return true;
    case D_COMBO: break;
    }
    set_err(err, "Internal error");
    return false;
}

void descriptor_scripts_clear(struct descriptor_scripts *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) free(s->items[i].data);
    free(s->items);
    s->items = NULL;
    s->count = 0;
}

static bool add_script(struct descriptor_scripts *out, struct sbuf *b)
{
    if (b->oom) return false;
    struct descriptor_script *n = realloc(out->items, (out->count + 1) * sizeof(*n));
    if (!n) return false;
    out->items = n;
    n[out->count].data = b->d;
    n[out->count].len = b->len;
    out->count++;
    b->d = NULL;
    b->len = b->cap = 0;
    return true;
}

bool descriptor_expand(const struct descriptor *d, uint32_t index,
                       struct descriptor_scripts *out, char err[DESCRIPTOR_ERR_MAX])
{
    err[0] = 0;
    if (index >= 0x80000000u) {
        set_err(err, "Index out of range");
        return false;
    }
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) {
        set_err(err, "Out of memory");
        return false;
    }
    struct sbuf b = {0};
    bool ok;
    if (d->type == D_COMBO) {
        uint8_t pub[65];
        size_t len;
        ok = key_at(ctx, &d->keys[0], index, pub, &len, err);
        if (ok) {
            sb_push(&b, pub, len);
            sb_byte(&b, 0xac);
            ok = add_script(out, &b);
            script_pkh(&b, pub, len);
            ok = ok && add_script(out, &b);
            if (ok && len == 33) {
                uint8_t w[22];
                script_wpkh(&b, pub, len);
                memcpy(w, b.d, 22);
                ok = add_script(out, &b);
                script_sh(&b, w, 22);
                ok = ok && add_script(out, &b);
            }
            if (!ok && !err[0]) set_err(err, "Out of memory");
        }
    } else {
        ok = build(ctx, d, index, &b, err);
        if (ok && !add_script(out, &b)) {
            set_err(err, "Out of memory");
            ok = false;
        }
    }
    free(b.d);
    secp256k1_context_destroy(ctx);
    if (!ok) descriptor_scripts_clear(out);
    return ok;
}

/* ---- text ---- */

struct tbuf {
    char *s;
    size_t len, cap;
    bool oom;
};

static void tb_put(struct tbuf *t, const char *s, size_t n)
{
    if (t->oom) return;
    if (t->len + n + 1 > t->cap) {
        size_t nc = (t->len + n + 1) * 2;
        char *ns = realloc(t->s, nc);
        if (!ns) {
            t->oom = true;
            return;
        }
        t->s = ns;
        t->cap = nc;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void tb_str(struct tbuf *t, const char *s) { tb_put(t, s, strlen(s)); }

static void key_text(struct tbuf *t, const struct desc_key *k, const struct address_params *p)
{
    if (k->origin) tb_str(t, k->origin);
    if (!k->is_ext) {
        char hex[131];
        if (k->xonly)
            hex_encode(hex, k->pub + 1, 32);
        else
            hex_encode(hex, k->pub, k->pub_len);
        tb_str(t, hex);
        return;
    }
    uint8_t ser[XKEY_LEN];
    ser[0] = (uint8_t)(p->xpub_version >> 24);
    ser[1] = (uint8_t)(p->xpub_version >> 16);
    ser[2] = (uint8_t)(p->xpub_version >> 8);
    ser[3] = (uint8_t)p->xpub_version;
    ser[4] = k->depth;
    memcpy(ser + 5, k->parent_fp, 4);
    ser[9] = (uint8_t)(k->child >> 24);
    ser[10] = (uint8_t)(k->child >> 16);
    ser[11] = (uint8_t)(k->child >> 8);
    ser[12] = (uint8_t)k->child;
    memcpy(ser + 13, k->chain, 32);
    memcpy(ser + 45, k->pub, 33);
    char enc[120];
    if (!base58check_encode(enc, sizeof(enc), ser, sizeof(ser))) {
        t->oom = true;
        return;
    }
    tb_str(t, enc);
    if (k->path_text) tb_str(t, k->path_text);
}

static void node_text(struct tbuf *t, const struct descriptor *d,
                      const struct address_params *p)
{
    const char *name = "";
    for (size_t i = 0; i < sizeof(FUNCS) / sizeof(FUNCS[0]); i++)
        if (FUNCS[i].type == d->type) name = FUNCS[i].name;
    tb_str(t, name);
    tb_str(t, "(");
    switch (d->type) {
    case D_SH:
    case D_WSH: node_text(t, d->sub, p); break;
    case D_MULTI:
    case D_SORTEDMULTI: {
        char num[16];
        snprintf(num, sizeof(num), "%d", d->k);
        tb_str(t, num);
        for (size_t i = 0; i < d->nkeys; i++) {
            tb_str(t, ",");
            key_text(t, &d->keys[i], p);
        }
        break;
    }
    case D_ADDR: tb_str(t, d->text); break;
    case D_RAW: {
        char *hex = malloc(d->raw_len * 2 + 1);
        if (!hex) {
            t->oom = true;
            break;
        }
        hex_encode(hex, d->raw, d->raw_len);
        tb_str(t, hex);
        free(hex);
        break;
    }
    default: key_text(t, &d->keys[0], p); break;
    }
    tb_str(t, ")");
}

char *descriptor_to_string(const struct descriptor *d)
{
    struct tbuf t = {0};
    node_text(&t, d, &d->params);
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (t.oom || !t.s || !descriptor_checksum(sum, t.s)) {
        free(t.s);
        return NULL;
    }
    tb_str(&t, "#");
    tb_str(&t, sum);
    if (t.oom) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

/* ---- RPC helper ---- */

static bool json_int(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d != (double)(int64_t)d) return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

bool descriptor_parse_range(const json_t *v, int64_t *begin, int64_t *end,
                            struct rpc_error *err)
{
    int64_t lo = 0, hi = 0;
    if (json_is_number(v)) {
        if (!json_int(v, &hi))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Range must be specified as end or as [begin,end]");
    } else if (json_is_array(v) && json_array_size(v) == 2 &&
               json_int(json_array_get(v, 0), &lo) && json_int(json_array_get(v, 1), &hi)) {
        if (lo > hi)
            return rpc_error_set(
                err, RPC_INVALID_PARAMETER,
                "Range specified as [begin,end] must not have begin after end");
    } else {
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Range must be specified as end or as [begin,end]");
    }
    if (lo < 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Range should be greater or equal than 0");
    if ((hi >> 31) != 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "End of range is too high");
    if (hi >= lo + 1000000)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Range is too large");
    *begin = lo;
    *end = hi;
    return true;
}
