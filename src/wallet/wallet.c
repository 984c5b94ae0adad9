/* The descriptor wallet (see wallet.h for the contract).
 *
 * In memory a wallet is three append-only arrays with a hash index each:
 *   scripts  every scriptPubKey derived so far (descriptor, index), keyed by its bytes;
 *   txs      every wallet transaction, keyed by txid;
 *   spends   one record per input of a wallet transaction, keyed by the outpoint it
 *            spends and chained to the other spenders of the same outpoint, so "is this
 *            output spent" and "what conflicts with this block's input" are lookups.
 * The indexes are open-addressing tables of array positions hashed with SipHash under
 * a per-wallet random key (block contents cannot be crafted to collide). Nothing is
 * ever removed: a transaction that leaves the chain changes state instead.
 *
 * Our own descriptors have one fixed shape, TYPE([fp/purpose'/coin'/0']XPUB/CHAIN/W)
 * with W the range wildcard, so the wallet derives their keys itself with bip32 (one
 * public derivation per address) instead of going through the generic descriptor expander, and
 * keeps the per-address facts getaddressinfo needs (key, origin path).
 *
 * Imported descriptors (importdescriptors) are any the generic parser accepts; their
 * scripts come from descriptor_expand and share the script map (scripts longer than 34
 * bytes are not indexed). Their secret is the descriptor text as imported; a meta row
 * META_IMPORT+id marks them, so one that has our own shape is not taken for ours at
 * load. Signing keys of single-key pkh/wpkh/tr imports are parsed from that text. */
#include "wallet/wallet.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <secp256k1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/descriptor.h"
#include "chain/script_format.h"
#include "consensus/address.h"
#include "consensus/pubkey.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"
#include "wallet/bip32.h"
#include "wallet/bip39.h"

#define MAX_DESCS       16
#define NONE            UINT32_MAX
#define META_BEST       "best_block"
#define META_BEST_H     "best_height"
#define META_BIP39_PW   "bip39_passphrase"
#define MAX_TRUST_DEPTH 64
/* Meta key prefix marking an imported descriptor (importdescriptors), + hex id. */
#define META_IMPORT     "imported_desc_"

static const uint32_t PURPOSE[WALLET_ADDR_TYPE_COUNT] = {44, 84, 86};
static const char *const DESC_FN[WALLET_ADDR_TYPE_COUNT] = {"pkh", "wpkh", "tr"};

struct wdesc {
    uint256 id;
    char *text; /* public, with checksum */
    enum wallet_addr_type type;
    bool internal;
    bool active;
    uint8_t fp[4];
    uint32_t acct_path[3];
    struct bip32_key acct;  /* public account key */
    struct bip32_key chain; /* public account/change key */
    uint32_t range_start, range_end, next_index;
    int64_t created;
    /* Imported (importdescriptors): the parsed descriptor, expanded with the generic
     * expander; NULL for the wallet's own descriptors. */
    struct descriptor *gen;
    /* Imported with private keys, and of a shape the wallet signs for: pkh, wpkh or tr
     * (key path) of one WIF or xprv key. */
    bool signable;
};

struct wscript {
    uint8_t s[34];
    uint8_t len;
    uint8_t desc;
    bool spent_from; /* some wallet transaction spent an output paying it */
    uint32_t index;
};

struct wspend {
    uint8_t key[36]; /* txid || n (LE) */
    uint32_t tx;     /* spender */
    uint32_t next;   /* next spender of the same outpoint, NONE at the end */
};

enum map_kind { MAP_SCRIPT, MAP_TX, MAP_SPEND };

struct bmap {
    uint32_t *slot; /* value + 1; 0 is empty */
    size_t cap;     /* power of two */
    size_t n;
};

struct wallet {
    pthread_mutex_t mu;
    wallet_tx_notify_fn notify; /* -walletnotify (NULL: off) */
    void *notify_ctx;
    char *name;
    const struct chain_params *params;
    struct walletdb *db;
    secp256k1_context *secp;
    int64_t (*now)(void);
    uint64_t flags;
    int64_t created;
    int32_t birth_height; /* -1: none yet (set to the tip at the first sync) */
    bool bip39_passphrase;
    bool encrypted;
    bool unlocked;
    int64_t unlocked_until;
    struct crypter_key mk;
    struct crypter_params scrypt;
    bool has_scrypt;
    struct wdesc descs[MAX_DESCS];
    size_t ndesc;
    int active[WALLET_ADDR_TYPE_COUNT][2]; /* descs index, -1 none */
    struct wscript *scripts;
    size_t nscripts, script_cap;
    struct bmap smap;
    struct wallet_tx **txs;
    size_t ntx, tx_cap;
    struct bmap tmap;
    struct wspend *spends;
    size_t nspend, spend_cap;
    struct bmap spmap;
    int32_t tip_height;
    uint256 tip_hash;
    int best_unsaved; /* blocks since the best block was last written */
    uint64_t k0, k1;
    /* Sending support (spend.c): coins locked by lockunspent, the settxfee rate. */
    struct wallet_locked_coin *locked;
    size_t nlocked, locked_cap;
    int64_t pay_tx_fee; /* sat/kvB, -1 when settxfee was never called */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- hash index ---- */

static void map_key(const struct wallet *w, enum map_kind k, uint32_t v, const uint8_t **key,
                    size_t *len)
{
    switch (k) {
    case MAP_SCRIPT:
        *key = w->scripts[v].s;
        *len = w->scripts[v].len;
        return;
    case MAP_TX:
        *key = w->txs[v]->txid.b;
        *len = 32;
        return;
    case MAP_SPEND:
        *key = w->spends[v].key;
        *len = 36;
        return;
    }
}

/* The slot holding key, or the empty slot where it would go. */
static uint32_t *map_slot(const struct wallet *w, const struct bmap *m, enum map_kind k,
                          const uint8_t *key, size_t len)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)siphash24(w->k0, w->k1 + (uint64_t)k, key, len) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t *s = &m->slot[i];
        if (!*s) return s;
        const uint8_t *k2;
        size_t l2;
        map_key(w, k, *s - 1, &k2, &l2);
        if (l2 == len && memcmp(k2, key, len) == 0) return s;
    }
}

static uint32_t map_find(const struct wallet *w, const struct bmap *m, enum map_kind k,
                         const uint8_t *key, size_t len)
{
    if (!m->cap) return NONE;
    uint32_t *s = map_slot(w, m, k, key, len);
    return *s ? *s - 1 : NONE;
}

static bool map_grow(struct wallet *w, struct bmap *m, enum map_kind k)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    struct bmap nm = {calloc(ncap, sizeof(uint32_t)), ncap, 0};
    if (!nm.slot) return false;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i]) continue;
        const uint8_t *key;
        size_t len;
        map_key(w, k, m->slot[i] - 1, &key, &len);
        *map_slot(w, &nm, k, key, len) = m->slot[i];
        nm.n++;
    }
    free(m->slot);
    *m = nm;
    return true;
}

/* Points key's slot at value v (inserting or replacing). */
static bool map_put(struct wallet *w, struct bmap *m, enum map_kind k, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap && !map_grow(w, m, k)) return false;
    const uint8_t *key;
    size_t len;
    map_key(w, k, v, &key, &len);
    uint32_t *s = map_slot(w, m, k, key, len);
    if (!*s) m->n++;
    *s = v + 1;
    return true;
}

/* ---- names ---- */

const char *wallet_addr_type_name(enum wallet_addr_type t)
{
    switch (t) {
    case WALLET_ADDR_LEGACY: return "legacy";
    case WALLET_ADDR_BECH32: return "bech32";
    case WALLET_ADDR_BECH32M: return "bech32m";
    }
    return "unknown";
}

bool wallet_addr_type_parse(const char *s, enum wallet_addr_type *out)
{
    for (int t = 0; t < WALLET_ADDR_TYPE_COUNT; t++)
        if (strcmp(s, wallet_addr_type_name((enum wallet_addr_type)t)) == 0) {
            *out = (enum wallet_addr_type)t;
            return true;
        }
    return false;
}

/* ---- derivation ---- */

/* Script of type t for the compressed key pub into s (34 bytes); returns its length, 0
 * when the Taproot tweak fails. */
static size_t make_script(enum wallet_addr_type t, const uint8_t pub[33], uint8_t s[34])
{
    uint8_t h[20];
    switch (t) {
    case WALLET_ADDR_LEGACY:
        hash160(pub, 33, h);
        s[0] = 0x76;
        s[1] = 0xa9;
        s[2] = 20;
        memcpy(s + 3, h, 20);
        s[23] = 0x88;
        s[24] = 0xac;
        return 25;
    case WALLET_ADDR_BECH32:
        hash160(pub, 33, h);
        s[0] = 0x00;
        s[1] = 20;
        memcpy(s + 2, h, 20);
        return 22;
    case WALLET_ADDR_BECH32M: {
        uint8_t tweak[32];
        int parity;
        tagged_hash("TapTweak", pub + 1, 32, tweak);
        s[0] = 0x51;
        s[1] = 32;
        if (!pubkey_xonly_tweak_add(s + 2, &parity, pub + 1, tweak)) return 0;
        return 34;
    }
    }
    return 0;
}

static bool derive_pub(struct wallet *w, const struct wdesc *d, uint32_t index, uint8_t pub[33])
{
    struct bip32_key k;
    if (bip32_derive(w->secp, &k, &d->chain, index) != BIP32_OK) return false;
    memcpy(pub, k.pubkey, 33);
    bip32_key_clear(&k);
    return true;
}

/* Indexes one script of descriptor di at index i (duplicates are skipped). */
static bool add_script(struct wallet *w, size_t di, uint32_t i, const uint8_t *script,
                       size_t len, bool persist, char *err, size_t errlen)
{
    if (len == 0 || len > sizeof w->scripts[0].s) return true; /* not indexable: skipped */
    if (map_find(w, &w->smap, MAP_SCRIPT, script, len) != NONE) return true;
    if (w->nscripts == w->script_cap) {
        size_t nc = w->script_cap ? w->script_cap * 2 : 4096;
        struct wscript *ns = realloc(w->scripts, nc * sizeof *ns);
        if (!ns) {
            set_err(err, errlen, "out of memory");
            return false;
        }
        w->scripts = ns;
        w->script_cap = nc;
    }
    struct wscript *s = &w->scripts[w->nscripts];
    memset(s, 0, sizeof *s);
    memcpy(s->s, script, len);
    s->len = (uint8_t)len;
    s->desc = (uint8_t)di;
    s->index = i;
    if (!map_put(w, &w->smap, MAP_SCRIPT, (uint32_t)w->nscripts)) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    w->nscripts++;
    if (persist && !walletdb_put_script(w->db, script, len, &w->descs[di].id, i, err, errlen))
        return false;
    return true;
}

/* extend_scripts for an imported descriptor: the generic expander (an unranged one has
 * the single position 0). */
static bool extend_generic(struct wallet *w, size_t di, uint32_t from, uint32_t end,
                           bool persist, char *err, size_t errlen)
{
    const struct wdesc *d = &w->descs[di];
    bool ranged = descriptor_is_range(d->gen);
    if (!ranged) {
        from = 0;
        end = 1;
    }
    for (uint32_t i = from; i < end; i++) {
        struct descriptor_scripts sc;
        memset(&sc, 0, sizeof sc);
        char e[DESCRIPTOR_ERR_MAX];
        if (!descriptor_expand(d->gen, i, &sc, e)) {
            set_err(err, errlen, "%s", e);
            return false;
        }
        bool ok = true;
        for (size_t k = 0; ok && k < sc.count; k++)
            ok = add_script(w, di, i, sc.items[k].data, sc.items[k].len, persist, err, errlen);
        descriptor_scripts_clear(&sc);
        if (!ok) return false;
    }
    return true;
}

/* Derives and indexes scripts of d up to index end (exclusive), writing them to the
 * database when persist. */
static bool extend_scripts(struct wallet *w, size_t di, uint32_t from, uint32_t end,
                           bool persist, char *err, size_t errlen)
{
    struct wdesc *d = &w->descs[di];
    if (d->gen) return extend_generic(w, di, from, end, persist, err, errlen);
    for (uint32_t i = from; i < end; i++) {
        uint8_t pub[33];
        if (w->nscripts == w->script_cap) {
            size_t nc = w->script_cap ? w->script_cap * 2 : 4096;
            struct wscript *ns = realloc(w->scripts, nc * sizeof *ns);
            if (!ns) {
                set_err(err, errlen, "out of memory");
                return false;
            }
            w->scripts = ns;
            w->script_cap = nc;
        }
        struct wscript *s = &w->scripts[w->nscripts];
        memset(s, 0, sizeof *s);
        size_t len = 0;
        if (derive_pub(w, d, i, pub)) len = make_script(d->type, pub, s->s);
        if (!len) {
            set_err(err, errlen, "cannot derive key %u of a descriptor", i);
            return false;
        }
        s->len = (uint8_t)len;
        s->desc = (uint8_t)di;
        s->index = i;
        if (map_find(w, &w->smap, MAP_SCRIPT, s->s, len) != NONE) continue; /* duplicate */
        if (!map_put(w, &w->smap, MAP_SCRIPT, (uint32_t)w->nscripts)) {
            set_err(err, errlen, "out of memory");
            return false;
        }
        w->nscripts++;
        if (persist && !walletdb_put_script(w->db, s->s, len, &d->id, i, err, errlen))
            return false;
    }
    return true;
}

/* Keeps WALLET_KEYPOOL_SIZE scripts beyond next_index (Core's TopUp). */
static bool topup(struct wallet *w, size_t di, char *err, size_t errlen)
{
    struct wdesc *d = &w->descs[di];
    if (d->gen && !descriptor_is_range(d->gen)) return true;
    uint32_t target = d->next_index + WALLET_KEYPOOL_SIZE;
    if (d->range_end >= target) return true;
    if (!extend_scripts(w, di, d->range_end, target, true, err, errlen)) return false;
    d->range_end = target;
    return walletdb_update_descriptor_indexes(w->db, &d->id, d->range_end, d->next_index, err,
                                              errlen);
}

/* A script of the wallet was used: moves its descriptor's next index past it. */
static void mark_used(struct wallet *w, uint32_t si)
{
    struct wscript *s = &w->scripts[si];
    struct wdesc *d = &w->descs[s->desc];
    if (s->index < d->next_index) return;
    d->next_index = s->index + 1;
    char err[256];
    if (!topup(w, s->desc, err, sizeof err))
        log_info("wallet %s: keypool top-up failed: %s", w->name, err);
    else if (!walletdb_update_descriptor_indexes(w->db, &d->id, d->range_end, d->next_index,
                                                 err, sizeof err))
        log_info("wallet %s: cannot save descriptor index: %s", w->name, err);
}

/* ---- descriptor text ---- */

static void format_origin(char *out, size_t cap, const uint8_t fp[4], const uint32_t *path,
                          size_t n)
{
    int k = snprintf(out, cap, "[%02x%02x%02x%02x", fp[0], fp[1], fp[2], fp[3]);
    for (size_t i = 0; i < n && k > 0 && (size_t)k < cap; i++) {
        uint32_t v = path[i] & ~BIP32_HARDENED;
        k += snprintf(out + k, cap - (size_t)k, "/%u%s", v,
                      (path[i] & BIP32_HARDENED) ? "h" : "");
    }
    if (k > 0 && (size_t)k < cap) snprintf(out + k, cap - (size_t)k, "]");
}

/* TYPE([fp/path]KEY/CHAIN/W)#checksum (W: the range wildcard) into a new string; key is the
 * xpub or xprv text. */
static char *desc_text(const struct wdesc *d, const char *key)
{
    char origin[80];
    format_origin(origin, sizeof origin, d->fp, d->acct_path, 3);
    size_t cap = strlen(key) + 128;
    char *t = malloc(cap);
    if (!t) return NULL;
    int n =
        snprintf(t, cap, "%s(%s%s/%d/*)", DESC_FN[d->type], origin, key, d->internal ? 1 : 0);
    char cs[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (n < 0 || (size_t)n + 10 > cap || !descriptor_checksum(cs, t)) {
        OPENSSL_cleanse(t, cap);
        free(t);
        return NULL;
    }
    snprintf(t + n, cap - (size_t)n, "#%s", cs);
    return t;
}

/* Parses our own descriptor shape back (at load). */
static bool parse_desc_text(struct wallet *w, struct wdesc *d, const char *text)
{
    const char *p = text;
    int type = -1;
    for (int t = 0; t < WALLET_ADDR_TYPE_COUNT; t++) {
        size_t n = strlen(DESC_FN[t]);
        if (strncmp(p, DESC_FN[t], n) == 0 && p[n] == '(') {
            type = t;
            p += n + 1;
            break;
        }
    }
    if (type < 0 || *p != '[') return false;
    p++;
    for (int i = 0; i < 4; i++) {
        unsigned v;
        if (sscanf(p + 2 * i, "%2x", &v) != 1) return false;
        d->fp[i] = (uint8_t)v;
    }
    p += 8;
    if (*p != '/') return false;
    const char *close = strchr(p, ']');
    if (!close) return false;
    char path[64];
    size_t plen = (size_t)(close - p - 1);
    if (plen >= sizeof path) return false;
    memcpy(path, p + 1, plen);
    path[plen] = 0;
    size_t n = 0;
    if (bip32_parse_path(d->acct_path, 3, &n, path) != BIP32_OK || n != 3) return false;
    p = close + 1;
    const char *slash = strchr(p, '/');
    if (!slash || (size_t)(slash - p) > BIP32_STRING_MAX) return false;
    char key[BIP32_STRING_MAX + 1];
    memcpy(key, p, (size_t)(slash - p));
    key[slash - p] = 0;
    if (bip32_decode(w->secp, &d->acct, &w->params->addr, key) != BIP32_OK ||
        d->acct.has_private)
        return false;
    if (strncmp(slash, "/0/*)#", 6) == 0)
        d->internal = false;
    else if (strncmp(slash, "/1/*)#", 6) == 0)
        d->internal = true;
    else
        return false;
    d->type = (enum wallet_addr_type)type;
    return bip32_derive(w->secp, &d->chain, &d->acct, d->internal ? 1 : 0) == BIP32_OK;
}

/* ---- secrets ---- */

/* Seals plain when the wallet is encrypted (needs the master key) or copies it. *out
 * malloc'd (caller wipes and frees). */
static bool seal(struct wallet *w, const uint8_t *plain, size_t len, const uint8_t *ad,
                 size_t adlen, bool encrypt, uint8_t **out, size_t *out_len, char *err,
                 size_t errlen)
{
    size_t cap = len + CRYPTER_SECRET_OVERHEAD;
    uint8_t *b = malloc(cap);
    if (!b) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    if (!encrypt) {
        memcpy(b, plain, len);
        *out = b;
        *out_len = len;
        return true;
    }
    if (crypter_encrypt_secret(b, cap, out_len, &w->mk, plain, len, ad, adlen, err, errlen) !=
        CRYPTER_OK) {
        free(b);
        return false;
    }
    *out = b;
    return true;
}

/* Opens a stored secret blob into a new buffer (caller wipes: walletdb_free_secret). */
static bool unseal(struct wallet *w, const uint8_t *blob, size_t len, bool encrypted,
                   const uint8_t *ad, size_t adlen, uint8_t **out, size_t *out_len, char *err,
                   size_t errlen)
{
    uint8_t *b = malloc(len ? len : 1);
    if (!b) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    if (!encrypted) {
        memcpy(b, blob, len);
        *out_len = len;
    } else if (crypter_decrypt_secret(b, len, out_len, &w->mk, blob, len, ad, adlen, err,
                                      errlen) != CRYPTER_OK) {
        free(b);
        return false;
    }
    *out = b;
    return true;
}

/* ---- lifetime ---- */

static void save_best(struct wallet *w);

static struct wallet *wallet_new(const char *name, const struct chain_params *params)
{
    struct wallet *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    w->name = strdup(name);
    w->params = params;
    w->now = time_now;
    w->tip_height = -1;
    w->birth_height = -1;
    w->pay_tx_fee = -1;
    for (int t = 0; t < WALLET_ADDR_TYPE_COUNT; t++) w->active[t][0] = w->active[t][1] = -1;
    w->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t rnd[32];
    uint64_t keys[2];
    if (!w->name || !w->secp || !random_bytes(rnd, sizeof rnd) ||
        !random_bytes(keys, sizeof keys) || !secp256k1_context_randomize(w->secp, rnd)) {
        wallet_free(w);
        return NULL;
    }
    w->k0 = keys[0];
    w->k1 = keys[1];
    return w;
}

bool wallet_backup(struct wallet *w, const char *dest, char *err, size_t errlen)
{
    if (w->best_unsaved) save_best(w);
    return walletdb_backup(w->db, dest, err, errlen);
}

void wallet_free(struct wallet *w)
{
    if (!w) return;
    crypter_key_clear(&w->mk);
    if (w->db && w->best_unsaved) save_best(w);
    walletdb_close(w->db);
    for (size_t i = 0; i < w->ndesc; i++) {
        free(w->descs[i].text);
        descriptor_free(w->descs[i].gen);
        bip32_key_clear(&w->descs[i].acct);
        bip32_key_clear(&w->descs[i].chain);
    }
    for (size_t i = 0; i < w->ntx; i++) {
        tx_clear(&w->txs[i]->tx);
        free(w->txs[i]);
    }
    free(w->txs);
    free(w->scripts);
    free(w->spends);
    free(w->smap.slot);
    free(w->tmap.slot);
    free(w->spmap.slot);
    free(w->locked);
    if (w->secp) secp256k1_context_destroy(w->secp);
    free(w->name);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void wallet_lock(struct wallet *w) { pthread_mutex_lock(&w->mu); }
void wallet_unlock(struct wallet *w) { pthread_mutex_unlock(&w->mu); }

static bool add_desc(struct wallet *w, struct wdesc *d)
{
    if (w->ndesc == MAX_DESCS) return false;
    size_t i = w->ndesc++;
    w->descs[i] = *d;
    if (d->active) w->active[d->type][d->internal ? 1 : 0] = (int)i;
    return true;
}

/* Builds and stores the six descriptors from master (inside the creation batch). */
static bool create_descriptors(struct wallet *w, const struct bip32_key *master, char *err,
                               size_t errlen)
{
    uint8_t fp[4];
    uint8_t id20[20];
    bip32_identifier(master, id20);
    memcpy(fp, id20, 4);
    for (int t = 0; t < WALLET_ADDR_TYPE_COUNT; t++) {
        uint32_t path[3] = {PURPOSE[t] | BIP32_HARDENED,
                            w->params->addr.bip44_coin_type | BIP32_HARDENED,
                            0 | BIP32_HARDENED};
        struct bip32_key acct;
        if (bip32_derive_path(w->secp, &acct, master, path, 3) != BIP32_OK) {
            set_err(err, errlen, "cannot derive the account key");
            return false;
        }
        uint8_t ser[BIP32_SERIALIZED_LEN];
        bip32_serialize(ser, &w->params->addr, &acct);
        for (int internal = 0; internal < 2; internal++) {
            struct wdesc d;
            memset(&d, 0, sizeof d);
            d.type = (enum wallet_addr_type)t;
            d.internal = internal;
            d.active = true;
            memcpy(d.fp, fp, 4);
            memcpy(d.acct_path, path, sizeof path);
            bip32_neuter(&d.acct, &acct);
            d.created = w->created;
            char xpub[BIP32_STRING_MAX + 1];
            bool ok =
                bip32_encode(xpub, &w->params->addr, &d.acct) &&
                bip32_derive(w->secp, &d.chain, &d.acct, (uint32_t)internal) == BIP32_OK &&
                (d.text = desc_text(&d, xpub)) != NULL;
            if (ok) sha256(d.text, strlen(d.text), d.id.b);
            struct walletdb_descriptor rec = {.id = d.id,
                                              .text = d.text,
                                              .range_start = 0,
                                              .range_end = 0,
                                              .next_index = 0,
                                              .active = true,
                                              .internal = internal,
                                              .created = d.created,
                                              .secret = ser,
                                              .secret_len = sizeof ser,
                                              .secret_encrypted = false};
            if (!ok || !walletdb_put_descriptor(w->db, &rec, err, errlen) || !add_desc(w, &d)) {
                if (!ok) set_err(err, errlen, "cannot build a descriptor");
                free(d.text);
                OPENSSL_cleanse(ser, sizeof ser);
                bip32_key_clear(&acct);
                return false;
            }
            if (!topup(w, w->ndesc - 1, err, errlen)) {
                OPENSSL_cleanse(ser, sizeof ser);
                bip32_key_clear(&acct);
                return false;
            }
        }
        OPENSSL_cleanse(ser, sizeof ser);
        bip32_key_clear(&acct);
    }
    return true;
}

static void remove_wallet_files(const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    unlink(p);
}

bool wallet_create(struct wallet **out, const char *dir, const char *name,
                   const struct chain_params *params, const char *mnemonic,
                   const char *bip39_passphrase, const struct wallet_create_options *opt,
                   char *err, size_t errlen)
{
    *out = NULL;
    struct wallet_create_options none = {0};
    if (!opt) opt = &none;
    bool keys = !opt->blank && !opt->disable_private_keys;
    if (!keys && mnemonic) {
        set_err(err, errlen,
                "a mnemonic cannot be used with a blank wallet or one with "
                "private keys disabled");
        return false;
    }
    char path[4096];
    if (!fs_join(path, sizeof path, dir, WALLET_FILE_NAME)) {
        set_err(err, errlen, "wallet path too long");
        return false;
    }
    if (fs_exists(path)) {
        set_err(err, errlen, "Failed to create database path '%s'. Database already exists.",
                dir);
        return false;
    }
    if (!fs_mkdirs(dir, err, errlen)) return false;
    struct wallet *w = wallet_new(name, params);
    if (!w) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    if (opt->scrypt) {
        w->scrypt = *opt->scrypt;
        w->has_scrypt = true;
    }
    /* The secrets live in fixed buffers wiped on every path out. */
    char words[BIP39_MNEMONIC_MAX];
    uint8_t seed[BIP39_SEED_LEN];
    struct bip32_key master;
    memset(&master, 0, sizeof master);
    words[0] = 0;
    bool ok = false;
    if (keys) {
        if (mnemonic) {
            if (bip39_check(mnemonic, err, errlen) != BIP39_OK) goto done;
            /* Canonical form: single spaces. */
            size_t k = 0;
            for (const char *p = mnemonic; *p;) {
                while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
                if (!*p) break;
                if (k) words[k++] = ' ';
                while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' &&
                       k + 1 < sizeof words)
                    words[k++] = *p++;
            }
            words[k] = 0;
        } else if (bip39_generate(words, sizeof words, 24) != BIP39_OK) {
            set_err(err, errlen, "cannot generate a mnemonic");
            goto done;
        }
        if (bip39_to_seed(seed, words, bip39_passphrase, err, errlen) != BIP39_OK) goto done;
        if (bip32_from_seed(w->secp, &master, seed, sizeof seed) != BIP32_OK) {
            set_err(err, errlen, "the seed gives no valid master key");
            goto done;
        }
    }
    if (!walletdb_open(&w->db, path, WALLETDB_CREATE, err, errlen)) goto done;
    w->created = w->now();
    w->flags = WALLET_FLAG_DESCRIPTORS;
    if (opt->blank) w->flags |= WALLET_FLAG_BLANK_WALLET;
    if (opt->disable_private_keys) w->flags |= WALLET_FLAG_DISABLE_PRIVATE_KEYS;
    if (opt->avoid_reuse) w->flags |= WALLET_FLAG_AVOID_REUSE;
    w->bip39_passphrase = bip39_passphrase && *bip39_passphrase;
    w->birth_height = opt->restored ? 0 : -1;
    if (!walletdb_begin(w->db, err, errlen)) goto done;
    ok = walletdb_put_meta(w->db, WALLETDB_META_NAME, name, strlen(name), err, errlen) &&
         walletdb_put_meta_int(w->db, WALLETDB_META_WALLET_VERSION, WALLET_VERSION, err,
                               errlen) &&
         walletdb_put_meta_int(w->db, WALLETDB_META_FLAGS, (int64_t)w->flags, err, errlen) &&
         walletdb_put_meta_int(w->db, WALLETDB_META_BIRTH_HEIGHT, w->birth_height, err,
                               errlen) &&
         walletdb_put_meta_int(w->db, WALLETDB_META_CREATED, w->created, err, errlen) &&
         walletdb_put_meta_int(w->db, META_BIP39_PW, w->bip39_passphrase, err, errlen);
    if (ok && keys)
        ok = walletdb_put_secret(w->db, WALLETDB_SECRET_MNEMONIC, (const uint8_t *)words,
                                 strlen(words), false, err, errlen) &&
             walletdb_put_secret(w->db, WALLETDB_SECRET_SEED, seed, sizeof seed, false, err,
                                 errlen) &&
             create_descriptors(w, &master, err, errlen);
    if (!ok) {
        walletdb_rollback(w->db, NULL, 0);
        goto done;
    }
    ok = walletdb_commit(w->db, err, errlen);
done:
    OPENSSL_cleanse(words, sizeof words);
    OPENSSL_cleanse(seed, sizeof seed);
    bip32_key_clear(&master);
    if (!ok) {
        bool made = w->db != NULL;
        wallet_free(w);
        if (made) remove_wallet_files(path);
        return false;
    }
    *out = w;
    return true;
}

/* ---- loading ---- */

struct load_ctx {
    struct wallet *w;
    char *err;
    size_t errlen;
    bool ok;
};

/* Whether an imported descriptor with private keys (public text given) has a shape
 * wallet_signing_key handles: pkh(KEY), wpkh(KEY) or tr(KEY) of a single key. */
static bool imported_signable_shape(const char *text)
{
    if (strncmp(text, "pkh(", 4) != 0 && strncmp(text, "wpkh(", 5) != 0 &&
        strncmp(text, "tr(", 3) != 0)
        return false;
    return !strchr(text, ',') && strchr(text, '(') == strrchr(text, '(');
}

static void import_meta_key(const uint256 *id, char key[sizeof META_IMPORT + 64])
{
    memcpy(key, META_IMPORT, sizeof META_IMPORT - 1);
    hex_encode(key + sizeof META_IMPORT - 1, id->b, 32);
}

/* An imported descriptor that has our own shape was read as one of ours: its meta mark
 * says otherwise (its secret is the descriptor text, not an account xprv). */
static bool mark_if_imported(struct wallet *w, size_t i, char *err, size_t errlen)
{
    struct wdesc *d = &w->descs[i];
    if (d->gen) return true;
    char key[sizeof META_IMPORT + 64];
    import_meta_key(&d->id, key);
    uint8_t *v = NULL;
    size_t vlen = 0;
    bool found = false;
    if (!walletdb_get_meta(w->db, key, &v, &vlen, &found, err, errlen)) return false;
    free(v);
    if (!found) return true;
    char e[DESCRIPTOR_ERR_MAX];
    d->gen = descriptor_parse(d->text, &w->params->addr, e);
    if (!d->gen) {
        set_err(err, errlen, "unsupported or corrupt descriptor in the wallet");
        return false;
    }
    if (d->active) {
        d->active = false;
        w->active[d->type][d->internal ? 1 : 0] = -1;
    }
    struct walletdb_descriptor r;
    memset(&r, 0, sizeof r);
    if (!walletdb_get_descriptor(w->db, &d->id, &r, &found, err, errlen)) return false;
    d->signable = found && r.secret && imported_signable_shape(d->text);
    walletdb_descriptor_clear(&r);
    return true;
}

static bool load_desc_cb(void *arg, const struct walletdb_descriptor *r)
{
    struct load_ctx *c = arg;
    struct wallet *w = c->w;
    struct wdesc d;
    memset(&d, 0, sizeof d);
    d.id = r->id;
    d.active = r->active;
    d.range_start = r->range_start;
    d.range_end = r->range_end;
    d.next_index = r->next_index;
    d.created = r->created;
    bool own = parse_desc_text(w, &d, r->text) && d.internal == r->internal;
    if (!own) {
        /* An imported descriptor (any shape the generic parser knows). */
        char e[DESCRIPTOR_ERR_MAX];
        d.internal = r->internal;
        d.gen = descriptor_parse(r->text, &w->params->addr, e);
    }
    d.signable = !own && r->secret && imported_signable_shape(r->text);
    if ((!own && !d.gen) || !(d.text = strdup(r->text)) || !add_desc(w, &d)) {
        free(d.text);
        descriptor_free(d.gen);
        set_err(c->err, c->errlen, "unsupported or corrupt descriptor in the wallet");
        c->ok = false;
        return false;
    }
    return true;
}

static struct wallet_tx *tx_new_record(struct wallet *w, const struct tx *tx)
{
    if (w->ntx == w->tx_cap) {
        size_t nc = w->tx_cap ? w->tx_cap * 2 : 64;
        struct wallet_tx **n = realloc(w->txs, nc * sizeof *n);
        if (!n) return NULL;
        w->txs = n;
        w->tx_cap = nc;
    }
    struct wallet_tx *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (!tx_copy(&t->tx, tx)) {
        free(t);
        return NULL;
    }
    tx_txid(&t->tx, &t->txid);
    tx_wtxid(&t->tx, &t->wtxid);
    t->coinbase = tx_is_coinbase(&t->tx);
    t->height = -1;
    t->position = -1;
    t->notified_state = -1; /* never reported */
    w->txs[w->ntx] = t;
    if (!map_put(w, &w->tmap, MAP_TX, (uint32_t)w->ntx)) {
        tx_clear(&t->tx);
        free(t);
        return NULL;
    }
    uint32_t ti = (uint32_t)w->ntx++;
    /* Index its inputs. */
    for (size_t i = 0; !t->coinbase && i < t->tx.vin_count; i++) {
        if (w->nspend == w->spend_cap) {
            size_t nc = w->spend_cap ? w->spend_cap * 2 : 256;
            struct wspend *ns = realloc(w->spends, nc * sizeof *ns);
            if (!ns) return t; /* the index misses one spend; state stays usable */
            w->spends = ns;
            w->spend_cap = nc;
        }
        struct wspend *s = &w->spends[w->nspend];
        memcpy(s->key, t->tx.vin[i].prevout.hash.b, 32);
        le32_write(s->key + 32, t->tx.vin[i].prevout.n);
        s->tx = ti;
        uint32_t head = map_find(w, &w->spmap, MAP_SPEND, s->key, 36);
        s->next = head;
        if (map_put(w, &w->spmap, MAP_SPEND, (uint32_t)w->nspend)) w->nspend++;
    }
    return t;
}

static bool load_tx_cb(void *arg, const struct walletdb_tx *r)
{
    struct load_ctx *c = arg;
    struct tx tx;
    tx_init(&tx);
    if (!tx_from_bytes(&tx, r->raw, r->raw_len, true) &&
        !tx_from_bytes(&tx, r->raw, r->raw_len, false)) {
        set_err(c->err, c->errlen, "corrupt transaction record in the wallet");
        c->ok = false;
        return false;
    }
    struct wallet_tx *t = tx_new_record(c->w, &tx);
    tx_clear(&tx);
    if (!t) {
        set_err(c->err, c->errlen, "out of memory");
        c->ok = false;
        return false;
    }
    t->state = r->state;
    t->has_block = r->has_block;
    t->block_hash = r->block_hash;
    t->height = r->height;
    t->position = r->position;
    t->time_received = r->time_received;
    t->notified_state = (int)t->state; /* known before: nothing to report */
    t->notified_block = t->block_hash;
    return true;
}

static void mark_scripts_of_tx(struct wallet *w, const struct wallet_tx *t);
static bool add_locked(struct wallet *w, const uint256 *txid, uint32_t n, bool persistent);

static bool load_locked_cb(void *arg, const uint256 *txid, uint32_t vout)
{
    struct load_ctx *c = arg;
    if (add_locked(c->w, txid, vout, true)) return true;
    set_err(c->err, c->errlen, "out of memory");
    c->ok = false;
    return false;
}

bool wallet_load(struct wallet **out, const char *dir, const char *name,
                 const struct chain_params *params, char *err, size_t errlen)
{
    *out = NULL;
    char path[4096];
    if (!fs_join(path, sizeof path, dir, WALLET_FILE_NAME)) {
        set_err(err, errlen, "wallet path too long");
        return false;
    }
    struct wallet *w = wallet_new(name, params);
    if (!w) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    if (!walletdb_open(&w->db, path, WALLETDB_OPEN, err, errlen)) {
        wallet_free(w);
        return false;
    }
    int64_t v;
    bool found;
    bool ok = walletdb_get_meta_int(w->db, WALLETDB_META_FLAGS, &v, &found, err, errlen);
    if (ok) w->flags = found ? (uint64_t)v : WALLET_FLAG_DESCRIPTORS;
    ok = ok && walletdb_get_meta_int(w->db, WALLETDB_META_CREATED, &v, &found, err, errlen);
    if (ok) w->created = found ? v : 0;
    ok =
        ok && walletdb_get_meta_int(w->db, WALLETDB_META_BIRTH_HEIGHT, &v, &found, err, errlen);
    if (ok) w->birth_height = found ? (int32_t)v : 0;
    ok = ok && walletdb_get_meta_int(w->db, META_BIP39_PW, &v, &found, err, errlen);
    if (ok) w->bip39_passphrase = found && v;
    ok = ok && walletdb_get_meta_int(w->db, META_BEST_H, &v, &found, err, errlen);
    if (ok && found) w->tip_height = (int32_t)v;
    uint8_t *best = NULL;
    size_t best_len = 0;
    ok = ok && walletdb_get_meta(w->db, META_BEST, &best, &best_len, &found, err, errlen);
    if (ok && found && best_len == 32) memcpy(w->tip_hash.b, best, 32);
    free(best);
    uint8_t *mk = NULL;
    size_t mk_len = 0;
    ok = ok && walletdb_get_secret(w->db, WALLETDB_SECRET_MASTER_KEY, &mk, &mk_len, NULL,
                                   &found, err, errlen);
    if (ok && found) {
        w->encrypted = true;
        struct crypter_params cp;
        if (crypter_record_params(&cp, mk, mk_len) == CRYPTER_OK) {
            w->scrypt = cp;
            w->has_scrypt = true;
        }
    }
    walletdb_free_secret(mk, mk_len);
    struct load_ctx c = {w, err, errlen, true};
    ok = ok && walletdb_list_descriptors(w->db, load_desc_cb, &c, err, errlen) && c.ok;
    for (size_t i = 0; ok && i < w->ndesc; i++)
        ok = mark_if_imported(w, i, err, errlen);
    for (size_t i = 0; ok && i < w->ndesc; i++)
        ok = extend_scripts(w, i, w->descs[i].range_start, w->descs[i].range_end, false, err,
                            errlen);
    ok = ok && walletdb_list_txs(w->db, load_tx_cb, &c, err, errlen) && c.ok;
    ok = ok && walletdb_list_locked(w->db, load_locked_cb, &c, err, errlen) && c.ok;
    if (!ok) {
        wallet_free(w);
        return false;
    }
    for (size_t i = 0; i < w->ntx; i++) mark_scripts_of_tx(w, w->txs[i]);
    *out = w;
    return true;
}

/* ---- properties ---- */

const char *wallet_name(const struct wallet *w) { return w->name; }
const struct chain_params *wallet_params(const struct wallet *w) { return w->params; }
uint64_t wallet_flags(const struct wallet *w) { return w->flags; }
bool wallet_is_blank(const struct wallet *w)
{
    return (w->flags & WALLET_FLAG_BLANK_WALLET) != 0;
}
bool wallet_has_private_keys(const struct wallet *w)
{
    return !(w->flags & WALLET_FLAG_DISABLE_PRIVATE_KEYS);
}
bool wallet_is_encrypted(const struct wallet *w) { return w->encrypted; }
int64_t wallet_birth_time(const struct wallet *w) { return w->created; }
int32_t wallet_tip_height(const struct wallet *w) { return w->tip_height; }
const uint256 *wallet_tip_hash(const struct wallet *w) { return &w->tip_hash; }
void wallet_set_clock(struct wallet *w, int64_t (*now)(void)) { w->now = now ? now : time_now; }

void wallet_check_relock(struct wallet *w)
{
    if (w->unlocked && w->now() >= w->unlocked_until) {
        crypter_key_clear(&w->mk);
        w->unlocked = false;
        w->unlocked_until = 0;
    }
}

bool wallet_is_locked(struct wallet *w)
{
    wallet_check_relock(w);
    return w->encrypted && !w->unlocked;
}

int64_t wallet_unlocked_until(struct wallet *w)
{
    wallet_check_relock(w);
    return w->unlocked ? w->unlocked_until : 0;
}

void wallet_keypool_sizes(const struct wallet *w, size_t *external, size_t *internal)
{
    *external = *internal = 0;
    for (size_t i = 0; i < w->ndesc; i++) {
        const struct wdesc *d = &w->descs[i];
        if (!d->active) continue;
        size_t n = d->range_end > d->next_index ? d->range_end - d->next_index : 0;
        if (d->internal)
            *internal += n;
        else
            *external += n;
    }
}

/* ---- addresses ---- */

bool wallet_get_new_address(struct wallet *w, enum wallet_addr_type t, bool internal,
                            const char *label, char out[ADDRESS_MAX_LEN + 1], char *err,
                            size_t errlen)
{
    out[0] = 0;
    int di = w->active[t][internal ? 1 : 0];
    if (di < 0) {
        set_err(err, errlen, "Error: This wallet has no available keys");
        return false;
    }
    struct wdesc *d = &w->descs[di];
    uint8_t pub[33], s[34];
    size_t len = 0;
    if (derive_pub(w, d, d->next_index, pub)) len = make_script(t, pub, s);
    if (!len || address_encode(out, &w->params->addr, s, len) != ADDRESS_OK) {
        set_err(err, errlen, "cannot derive a new address");
        return false;
    }
    if (!walletdb_begin(w->db, err, errlen)) return false;
    d->next_index++;
    bool ok = topup(w, (size_t)di, err, errlen) &&
              walletdb_update_descriptor_indexes(w->db, &d->id, d->range_end, d->next_index,
                                                 err, errlen);
    if (ok && label && !internal)
        ok = walletdb_put_address(w->db, out, label, "receive", err, errlen);
    if (!ok) {
        walletdb_rollback(w->db, NULL, 0);
        d->next_index--;
        return false;
    }
    if (!walletdb_commit(w->db, err, errlen)) {
        d->next_index--;
        return false;
    }
    return true;
}

bool wallet_script_info(struct wallet *w, const uint8_t *script, size_t len,
                        struct wallet_script_info *info)
{
    uint32_t si = map_find(w, &w->smap, MAP_SCRIPT, script, len);
    if (si == NONE) return false;
    if (!info) return true;
    const struct wscript *s = &w->scripts[si];
    const struct wdesc *d = &w->descs[s->desc];
    memset(info, 0, sizeof *info);
    if (d->gen) {
        info->imported = true;
        info->signable = d->signable;
        info->type = s->len == 25   ? WALLET_ADDR_LEGACY
                     : s->s[0] == 0 ? WALLET_ADDR_BECH32
                                    : WALLET_ADDR_BECH32M;
        info->internal = d->internal;
        info->index = s->index;
        info->created = d->created;
        if (strlen(d->text) < sizeof info->desc)
            snprintf(info->desc, sizeof info->desc, "%s", d->text);
        return true;
    }
    info->type = d->type;
    info->internal = d->internal;
    info->index = s->index;
    info->created = d->created;
    memcpy(info->master_fp, d->fp, 4);
    memcpy(info->path, d->acct_path, sizeof d->acct_path);
    info->path[3] = d->internal ? 1 : 0;
    info->path[4] = s->index;
    if (!derive_pub(w, d, s->index, info->pubkey)) return true;
    char origin[96];
    format_origin(origin, sizeof origin, d->fp, info->path, 5);
    char hex[67];
    if (d->type == WALLET_ADDR_BECH32M)
        hex_encode(hex, info->pubkey + 1, 32);
    else
        hex_encode(hex, info->pubkey, 33);
    int n = snprintf(info->desc, sizeof info->desc, "%s(%s%s)", DESC_FN[d->type], origin, hex);
    char cs[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (n > 0 && (size_t)n + 10 < sizeof info->desc && descriptor_checksum(cs, info->desc))
        snprintf(info->desc + n, sizeof info->desc - (size_t)n, "#%s", cs);
    return true;
}

bool wallet_get_label(struct wallet *w, const char *address, char **label, char **purpose,
                      char *err, size_t errlen)
{
    bool found;
    char *p = NULL;
    if (!walletdb_get_address(w->db, address, label, &p, &found, err, errlen)) return false;
    if (purpose)
        *purpose = p;
    else
        free(p);
    return true;
}

bool wallet_set_label(struct wallet *w, const char *address, const char *label, char *err,
                      size_t errlen)
{
    char *old = NULL, *purpose = NULL;
    bool found;
    if (!walletdb_get_address(w->db, address, &old, &purpose, &found, err, errlen))
        return false;
    free(old);
    const char *pp = purpose;
    if (!found) {
        uint8_t s[ADDRESS_MAX_SCRIPT_LEN];
        size_t len = 0;
        bool mine = address_decode(s, &len, NULL, &w->params->addr, address) == ADDRESS_OK &&
                    wallet_script_info(w, s, len, NULL);
        pp = mine ? "receive" : "send";
    }
    bool ok = walletdb_put_address(w->db, address, label, pp, err, errlen);
    free(purpose);
    return ok;
}

bool wallet_list_address_book(struct wallet *w, walletdb_address_cb cb, void *arg, char *err,
                              size_t errlen)
{
    return walletdb_list_addresses(w->db, cb, arg, err, errlen);
}

/* ---- transactions ---- */

size_t wallet_tx_count(const struct wallet *w) { return w->ntx; }
const struct wallet_tx *wallet_tx_at(const struct wallet *w, size_t i)
{
    return i < w->ntx ? w->txs[i] : NULL;
}

static struct wallet_tx *find_tx(const struct wallet *w, const uint256 *txid)
{
    uint32_t i = map_find(w, &w->tmap, MAP_TX, txid->b, 32);
    return i == NONE ? NULL : w->txs[i];
}

const struct wallet_tx *wallet_find_tx(const struct wallet *w, const uint256 *txid)
{
    return find_tx(w, txid);
}

static bool output_mine(const struct wallet *w, const struct tx_out *o)
{
    return map_find(w, &w->smap, MAP_SCRIPT, o->script_pubkey, o->script_pubkey_len) != NONE;
}

bool wallet_output_is_mine(const struct wallet *w, const struct wallet_tx *wtx, uint32_t n)
{
    return n < wtx->tx.vout_count && output_mine(w, &wtx->tx.vout[n]);
}

/* The wallet output an input spends, or NULL. */
static const struct tx_out *input_prev(const struct wallet *w, const struct tx_in *in)
{
    const struct wallet_tx *p = find_tx(w, &in->prevout.hash);
    if (!p || in->prevout.n >= p->tx.vout_count) return NULL;
    const struct tx_out *o = &p->tx.vout[in->prevout.n];
    return output_mine(w, o) ? o : NULL;
}

bool wallet_output_is_spent(const struct wallet *w, const uint256 *txid, uint32_t n)
{
    uint8_t key[36];
    memcpy(key, txid->b, 32);
    le32_write(key + 32, n);
    for (uint32_t i = map_find(w, &w->spmap, MAP_SPEND, key, 36); i != NONE;
         i = w->spends[i].next) {
        const struct wallet_tx *s = w->txs[w->spends[i].tx];
        if (s->state == WALLETDB_TX_CONFIRMED || s->state == WALLETDB_TX_UNCONFIRMED)
            return true;
    }
    return false;
}

int wallet_tx_depth(const struct wallet *w, const struct wallet_tx *wtx)
{
    if (!wtx->has_block || wtx->height < 0 || wtx->height > w->tip_height) return 0;
    int d = w->tip_height - wtx->height + 1;
    if (wtx->state == WALLETDB_TX_CONFIRMED) return d;
    if (wtx->state == WALLETDB_TX_CONFLICTED) return -d;
    return 0;
}

int wallet_tx_blocks_to_maturity(const struct wallet *w, const struct wallet_tx *wtx)
{
    if (!wtx->coinbase) return 0;
    int left = w->params->coinbase_maturity + 1 - wallet_tx_depth(w, wtx);
    return left > 0 ? left : 0;
}

static bool immature(const struct wallet *w, const struct wallet_tx *wtx)
{
    return wtx->coinbase && wallet_tx_blocks_to_maturity(w, wtx) > 0;
}

static bool trusted_rec(const struct wallet *w, const struct wallet_tx *wtx, int level)
{
    int depth = wallet_tx_depth(w, wtx);
    if (depth >= 1) return true;
    if (depth < 0 || wtx->state != WALLETDB_TX_UNCONFIRMED || !wtx->in_mempool) return false;
    if (level > MAX_TRUST_DEPTH || wtx->coinbase) return false;
    for (size_t i = 0; i < wtx->tx.vin_count; i++) {
        const struct wallet_tx *p = find_tx(w, &wtx->tx.vin[i].prevout.hash);
        if (!p || !input_prev(w, &wtx->tx.vin[i])) return false;
        if (!trusted_rec(w, p, level + 1)) return false;
    }
    return true;
}

bool wallet_tx_is_trusted(const struct wallet *w, const struct wallet_tx *wtx)
{
    return trusted_rec(w, wtx, 0);
}

int64_t wallet_tx_debit(const struct wallet *w, const struct wallet_tx *wtx, bool *all_mine,
                        int64_t *fee)
{
    int64_t debit = 0;
    bool all = !wtx->coinbase && wtx->tx.vin_count > 0;
    for (size_t i = 0; !wtx->coinbase && i < wtx->tx.vin_count; i++) {
        const struct tx_out *o = input_prev(w, &wtx->tx.vin[i]);
        if (o)
            debit += o->value;
        else
            all = false;
    }
    if (all_mine) *all_mine = all;
    if (fee && all) {
        int64_t out = 0;
        for (size_t i = 0; i < wtx->tx.vout_count; i++) out += wtx->tx.vout[i].value;
        *fee = debit - out;
    }
    return debit;
}

int64_t wallet_tx_credit(const struct wallet *w, const struct wallet_tx *wtx)
{
    int64_t c = 0;
    for (size_t i = 0; i < wtx->tx.vout_count; i++)
        if (output_mine(w, &wtx->tx.vout[i])) c += wtx->tx.vout[i].value;
    return c;
}

static bool output_reused(const struct wallet *w, const struct tx_out *o)
{
    uint32_t si = map_find(w, &w->smap, MAP_SCRIPT, o->script_pubkey, o->script_pubkey_len);
    return si != NONE && w->scripts[si].spent_from;
}

void wallet_get_balances(struct wallet *w, int min_depth, bool avoid_reuse,
                         struct wallet_balances *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < w->ntx; i++) {
        const struct wallet_tx *t = w->txs[i];
        if (t->state == WALLETDB_TX_ABANDONED || t->state == WALLETDB_TX_INACTIVE) continue;
        bool trusted = wallet_tx_is_trusted(w, t);
        int depth = wallet_tx_depth(w, t);
        bool imm = immature(w, t);
        int64_t avail = 0;
        for (uint32_t n = 0; n < t->tx.vout_count; n++) {
            const struct tx_out *o = &t->tx.vout[n];
            if (!output_mine(w, o)) continue;
            if (imm) {
                if (depth > 0) out->immature += o->value;
                continue;
            }
            if (wallet_output_is_spent(w, &t->txid, n)) continue;
            if (avoid_reuse && output_reused(w, o)) continue;
            avail += o->value;
        }
        if (trusted && depth >= min_depth) out->trusted += avail;
        if (!trusted && depth == 0 && t->in_mempool) out->untrusted_pending += avail;
    }
}

bool wallet_list_coins(struct wallet *w, bool include_immature, struct wallet_coin **out,
                       size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t cap = 0;
    for (size_t i = 0; i < w->ntx; i++) {
        const struct wallet_tx *t = w->txs[i];
        if (t->state == WALLETDB_TX_ABANDONED || t->state == WALLETDB_TX_INACTIVE) continue;
        int depth = wallet_tx_depth(w, t);
        if (depth < 0 || (!include_immature && immature(w, t))) continue;
        if (depth == 0 && !t->in_mempool) continue;
        bool safe = wallet_tx_is_trusted(w, t);
        for (uint32_t n = 0; n < t->tx.vout_count; n++) {
            const struct tx_out *o = &t->tx.vout[n];
            if (!output_mine(w, o) || wallet_output_is_spent(w, &t->txid, n)) continue;
            if (*count == cap) {
                size_t nc = cap ? cap * 2 : 16;
                struct wallet_coin *nb = realloc(*out, nc * sizeof *nb);
                if (!nb) {
                    free(*out);
                    *out = NULL;
                    *count = 0;
                    return false;
                }
                *out = nb;
                cap = nc;
            }
            struct wallet_coin *c = &(*out)[(*count)++];
            c->wtx = t;
            c->vout = n;
            c->value = o->value;
            c->depth = depth;
            c->safe = safe;
            c->coinbase = t->coinbase;
            c->reused = output_reused(w, o);
        }
    }
    return true;
}

/* ---- tracking ---- */

static bool tx_is_relevant(const struct wallet *w, const struct tx *tx)
{
    for (size_t i = 0; i < tx->vout_count; i++)
        if (output_mine(w, &tx->vout[i])) return true;
    if (tx_is_coinbase(tx)) return false;
    for (size_t i = 0; i < tx->vin_count; i++)
        if (input_prev(w, &tx->vin[i])) return true;
    return false;
}

/* Moves next indexes past the scripts the transaction pays, marks spent-from scripts. */
static void mark_scripts_of_tx(struct wallet *w, const struct wallet_tx *t)
{
    for (size_t i = 0; i < t->tx.vout_count; i++) {
        const struct tx_out *o = &t->tx.vout[i];
        uint32_t si = map_find(w, &w->smap, MAP_SCRIPT, o->script_pubkey, o->script_pubkey_len);
        if (si != NONE) mark_used(w, si);
    }
    for (size_t i = 0; !t->coinbase && i < t->tx.vin_count; i++) {
        const struct tx_out *o = input_prev(w, &t->tx.vin[i]);
        if (!o) continue;
        uint32_t si = map_find(w, &w->smap, MAP_SCRIPT, o->script_pubkey, o->script_pubkey_len);
        if (si != NONE) w->scripts[si].spent_from = true;
    }
}

void wallet_set_tx_notify(struct wallet *w, wallet_tx_notify_fn fn, void *ctx)
{
    w->notify = fn;
    w->notify_ctx = ctx;
}

/* Reports t when it is new or its state or block changed since the last report. */
static void notify_tx(struct wallet *w, struct wallet_tx *t)
{
    if (t->notified_state == (int)t->state &&
        uint256_cmp(&t->notified_block, &t->block_hash) == 0)
        return;
    bool report = t->state != WALLETDB_TX_ABANDONED;
    t->notified_state = (int)t->state;
    t->notified_block = t->block_hash;
    if (report && w->notify) w->notify(w->notify_ctx, w, t);
}

static void save_tx(struct wallet *w, struct wallet_tx *t)
{
    notify_tx(w, t);
    struct writer wr;
    writer_init(&wr);
    tx_serialize(&wr, &t->tx, true);
    struct walletdb_tx r = {.txid = t->txid,
                            .raw = wr.data,
                            .raw_len = wr.len,
                            .has_block = t->has_block,
                            .block_hash = t->block_hash,
                            .height = t->height,
                            .position = t->position,
                            .time_received = t->time_received,
                            .state = t->state};
    char err[256];
    if (wr.failed || !walletdb_put_tx(w->db, &r, err, sizeof err))
        log_info("wallet %s: cannot save a transaction: %s", w->name,
                 wr.failed ? "out of memory" : err);
    writer_free(&wr);
}

/* Records tx (new or known) and returns it, or NULL when it is not the wallet's. */
static struct wallet_tx *record_tx(struct wallet *w, const struct tx *tx, const uint256 *txid,
                                   int64_t time)
{
    struct wallet_tx *t = find_tx(w, txid);
    if (t) return t;
    if (!tx_is_relevant(w, tx)) return NULL;
    t = tx_new_record(w, tx);
    if (!t) {
        log_info("wallet %s: out of memory recording a transaction", w->name);
        return NULL;
    }
    t->time_received = time;
    t->state = WALLETDB_TX_UNCONFIRMED;
    mark_scripts_of_tx(w, t);
    return t;
}

/* Marks wtx and its wallet descendants conflicted by block (hash, height). */
static void mark_conflicted(struct wallet *w, struct wallet_tx *t, const uint256 *hash,
                            int32_t height, int level)
{
    if (t->state == WALLETDB_TX_CONFIRMED || level > 1000) return;
    if (t->state == WALLETDB_TX_CONFLICTED && t->has_block &&
        uint256_cmp(&t->block_hash, hash) == 0)
        return;
    t->state = WALLETDB_TX_CONFLICTED;
    t->has_block = true;
    t->block_hash = *hash;
    t->height = height;
    t->position = -1;
    t->in_mempool = false;
    save_tx(w, t);
    uint8_t key[36];
    memcpy(key, t->txid.b, 32);
    for (uint32_t n = 0; n < t->tx.vout_count; n++) {
        le32_write(key + 32, n);
        for (uint32_t i = map_find(w, &w->spmap, MAP_SPEND, key, 36); i != NONE;
             i = w->spends[i].next)
            mark_conflicted(w, w->txs[w->spends[i].tx], hash, height, level + 1);
    }
}

static void save_best(struct wallet *w)
{
    char err[256];
    w->best_unsaved = 0;
    if (!walletdb_put_meta(w->db, META_BEST, w->tip_hash.b, 32, err, sizeof err) ||
        !walletdb_put_meta_int(w->db, META_BEST_H, w->tip_height, err, sizeof err))
        log_info("wallet %s: cannot save the best block: %s", w->name, err);
}

/* Records the wallet transactions of block; with update_tip the block becomes the
 * wallet's best block. */
/* Whether block has anything for the wallet: a transaction it knows or that pays it, or
 * an input spending an outpoint a wallet transaction spends (a conflict). */
static bool block_touches_wallet(const struct wallet *w, const struct block *block)
{
    for (size_t p = 0; p < block->tx_count; p++) {
        const struct tx *tx = &block->txs[p];
        if (tx_is_relevant(w, tx)) return true;
        for (size_t i = 0; !tx_is_coinbase(tx) && i < tx->vin_count; i++) {
            uint8_t key[36];
            memcpy(key, tx->vin[i].prevout.hash.b, 32);
            le32_write(key + 32, tx->vin[i].prevout.n);
            if (map_find(w, &w->spmap, MAP_SPEND, key, 36) != NONE) return true;
        }
    }
    return false;
}

/* Moves the wallet's best block. Blocks without wallet changes are not written one by
 * one: the best block is saved with the next change, every BEST_SAVE_INTERVAL blocks and
 * at close, and after a crash wallet_sync rescans the few blocks since. */
#define BEST_SAVE_INTERVAL 100
static void set_tip(struct wallet *w, const uint256 *hash, int32_t height, bool persist)
{
    w->tip_hash = *hash;
    w->tip_height = height;
    w->best_unsaved++;
    if (persist || w->best_unsaved >= BEST_SAVE_INTERVAL) save_best(w);
}

/* Records the wallet transactions of block; with update_tip the block becomes the
 * wallet's best block. */
static void scan_block(struct wallet *w, const struct block *block, const uint256 *hash,
                       int32_t height, bool update_tip)
{
    if (!block_touches_wallet(w, block)) {
        if (update_tip) set_tip(w, hash, height, false);
        return;
    }
    char err[256];
    bool batch = walletdb_begin(w->db, err, sizeof err);
    if (!batch) log_info("wallet %s: %s", w->name, err);
    int64_t btime = block->header.time;
    for (size_t p = 0; p < block->tx_count; p++) {
        const struct tx *tx = &block->txs[p];
        uint256 txid;
        tx_txid(tx, &txid);
        /* Other wallet transactions spending the same outpoints are conflicted. */
        for (size_t i = 0; !tx_is_coinbase(tx) && i < tx->vin_count; i++) {
            uint8_t key[36];
            memcpy(key, tx->vin[i].prevout.hash.b, 32);
            le32_write(key + 32, tx->vin[i].prevout.n);
            for (uint32_t s = map_find(w, &w->spmap, MAP_SPEND, key, 36); s != NONE;
                 s = w->spends[s].next) {
                struct wallet_tx *o = w->txs[w->spends[s].tx];
                if (uint256_cmp(&o->txid, &txid) != 0) mark_conflicted(w, o, hash, height, 0);
            }
        }
        struct wallet_tx *t = record_tx(w, tx, &txid, btime);
        if (!t) continue;
        t->state = WALLETDB_TX_CONFIRMED;
        t->has_block = true;
        t->block_hash = *hash;
        t->height = height;
        t->position = (int32_t)p;
        t->block_time = btime;
        t->in_mempool = false;
        save_tx(w, t);
    }
    if (update_tip) set_tip(w, hash, height, true);
    if (batch && !walletdb_commit(w->db, err, sizeof err))
        log_info("wallet %s: cannot save block changes: %s", w->name, err);
}

void wallet_block_connected(struct wallet *w, const struct block *block, int32_t height)
{
    uint256 hash;
    block_hash(block, &hash);
    scan_block(w, block, &hash, height, true);
}

/* A block left the active chain: its transactions are unconfirmed again (coinbases
 * inactive), those it conflicted are unconfirmed. Returns whether anything changed. */
static bool unconfirm_block(struct wallet *w, const uint256 *hash)
{
    bool changed = false;
    for (size_t i = 0; i < w->ntx; i++) {
        struct wallet_tx *t = w->txs[i];
        if (!t->has_block || uint256_cmp(&t->block_hash, hash) != 0) continue;
        if (t->state == WALLETDB_TX_CONFIRMED)
            t->state = t->coinbase ? WALLETDB_TX_INACTIVE : WALLETDB_TX_UNCONFIRMED;
        else if (t->state == WALLETDB_TX_CONFLICTED)
            t->state = WALLETDB_TX_UNCONFIRMED;
        else
            continue;
        t->has_block = false;
        memset(&t->block_hash, 0, sizeof t->block_hash);
        t->height = -1;
        t->position = -1;
        t->block_time = 0;
        save_tx(w, t);
        changed = true;
    }
    return changed;
}

void wallet_block_disconnected(struct wallet *w, const struct block *block, int32_t height)
{
    uint256 hash;
    block_hash(block, &hash);
    bool touched = false;
    for (size_t i = 0; i < w->ntx && !touched; i++)
        touched = w->txs[i]->has_block && uint256_cmp(&w->txs[i]->block_hash, &hash) == 0;
    char err[256];
    bool batch = touched && walletdb_begin(w->db, err, sizeof err);
    bool changed = touched && unconfirm_block(w, &hash);
    set_tip(w, &block->header.prev_hash, height - 1, changed);
    if (batch && !walletdb_commit(w->db, err, sizeof err))
        log_info("wallet %s: cannot save block changes: %s", w->name, err);
}

void wallet_tx_added_to_mempool(struct wallet *w, const struct tx *tx, int64_t time)
{
    uint256 txid;
    tx_txid(tx, &txid);
    char err[256];
    bool batch = walletdb_begin(w->db, err, sizeof err);
    struct wallet_tx *t = record_tx(w, tx, &txid, time);
    if (t) {
        t->in_mempool = true;
        if (t->state != WALLETDB_TX_CONFIRMED) {
            t->state = WALLETDB_TX_UNCONFIRMED;
            t->has_block = false;
            t->height = -1;
            t->position = -1;
        }
        save_tx(w, t);
    }
    if (batch && !walletdb_commit(w->db, err, sizeof err))
        log_info("wallet %s: cannot save a transaction: %s", w->name, err);
}

void wallet_tx_removed_from_mempool(struct wallet *w, const uint256 *txid)
{
    struct wallet_tx *t = find_tx(w, txid);
    if (t) t->in_mempool = false;
}

/* ---- chain sync and rescan ---- */

bool wallet_rescan(struct wallet *w, const struct wallet_chain *chain, int32_t start,
                   int32_t stop, int32_t *last, char *err, size_t errlen)
{
    int32_t tip = chain->height(chain->ctx);
    if (stop < 0 || stop > tip) stop = tip;
    *last = start - 1;
    for (int32_t h = start < 0 ? 0 : start; h <= stop; h++) {
        struct block b;
        block_init(&b);
        if (!chain->read_block(chain->ctx, h, &b, err, errlen)) return false;
        uint256 hash;
        block_hash(&b, &hash);
        scan_block(w, &b, &hash, h, false);
        block_clear(&b);
        *last = h;
    }
    return true;
}

bool wallet_sync(struct wallet *w, const struct wallet_chain *chain, char *err, size_t errlen)
{
    int32_t tip = chain->height(chain->ctx);
    int32_t start;
    if (w->tip_height < 0 && w->birth_height < 0) {
        /* A new wallet with fresh keys: nothing before now can pay it. */
        start = tip + 1;
        w->birth_height = tip < 0 ? 0 : tip;
        if (!walletdb_put_meta_int(w->db, WALLETDB_META_BIRTH_HEIGHT, w->birth_height, err,
                                   errlen))
            return false;
    } else if (w->tip_height < 0) {
        start = w->birth_height;
    } else {
        int32_t fork;
        if (!chain->fork_height(chain->ctx, &w->tip_hash, &fork)) fork = -1;
        if (fork < w->tip_height) {
            /* Blocks of the wallet's chain above the fork are no longer active. */
            for (size_t i = 0; i < w->ntx; i++) {
                struct wallet_tx *t = w->txs[i];
                if (t->has_block && t->height > fork) {
                    uint256 h = t->block_hash;
                    unconfirm_block(w, &h);
                }
            }
        }
        start = fork + 1;
    }
    /* Block times of confirmed transactions (not stored in the file). */
    for (size_t i = 0; i < w->ntx; i++) {
        struct wallet_tx *t = w->txs[i];
        uint256 h;
        int64_t time;
        if (t->has_block && t->height >= 0 &&
            chain->block_at(chain->ctx, t->height, &h, &time) &&
            uint256_cmp(&h, &t->block_hash) == 0)
            t->block_time = time;
    }
    for (int32_t h = start < 0 ? 0 : start; h <= tip; h++) {
        struct block b;
        block_init(&b);
        if (!chain->read_block(chain->ctx, h, &b, err, errlen)) return false;
        uint256 hash;
        block_hash(&b, &hash);
        scan_block(w, &b, &hash, h, true);
        block_clear(&b);
    }
    if (tip >= 0 && start > tip) {
        uint256 hash;
        int64_t time;
        if (chain->block_at(chain->ctx, tip, &hash, &time)) {
            w->tip_hash = hash;
            w->tip_height = tip;
            save_best(w);
        }
    }
    return true;
}

/* ---- descriptors and secrets ---- */

static int cmp_info(const void *a, const void *b)
{
    const struct wallet_descriptor_info *x = a, *y = b;
    return strcmp(x->desc, y->desc);
}

void wallet_descriptor_infos_free(struct wallet_descriptor_info *d, size_t count)
{
    if (!d) return;
    for (size_t i = 0; i < count; i++) {
        if (d[i].desc) {
            OPENSSL_cleanse(d[i].desc, strlen(d[i].desc));
            free(d[i].desc);
        }
    }
    free(d);
}

/* The account xprv of descriptor d, from its stored secret. */
static bool desc_private_key(struct wallet *w, const struct wdesc *d, struct bip32_key *out,
                             char *err, size_t errlen)
{
    struct walletdb_descriptor r;
    memset(&r, 0, sizeof r);
    bool found;
    if (!walletdb_get_descriptor(w->db, &d->id, &r, &found, err, errlen)) return false;
    if (!found || !r.secret) {
        walletdb_descriptor_clear(&r);
        set_err(err, errlen, "Can't get private descriptor string for watch-only wallets");
        return false;
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    bool ok = unseal(w, r.secret, r.secret_len, r.secret_encrypted, d->id.b, 32, &plain, &plen,
                     err, errlen);
    walletdb_descriptor_clear(&r);
    if (!ok) return false;
    ok = plen == BIP32_SERIALIZED_LEN &&
         bip32_deserialize(w->secp, out, &w->params->addr, plain) == BIP32_OK &&
         out->has_private;
    walletdb_free_secret(plain, plen);
    if (!ok) set_err(err, errlen, "a descriptor's private key is corrupt");
    return ok;
}

/* The text an imported descriptor was given with (its private keys), or the public text
 * when it has none. New string. */
static char *imported_private_text(struct wallet *w, const struct wdesc *d, char *err,
                                   size_t errlen)
{
    struct walletdb_descriptor r;
    memset(&r, 0, sizeof r);
    bool found;
    if (!walletdb_get_descriptor(w->db, &d->id, &r, &found, err, errlen)) return NULL;
    char *out = NULL;
    if (!found || !r.secret) {
        walletdb_descriptor_clear(&r);
        if (!(out = strdup(d->text))) set_err(err, errlen, "out of memory");
        return out;
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    bool ok = unseal(w, r.secret, r.secret_len, r.secret_encrypted, d->id.b, 32, &plain, &plen,
                     err, errlen);
    walletdb_descriptor_clear(&r);
    if (!ok) return NULL;
    out = malloc(plen + 1);
    if (out) {
        memcpy(out, plain, plen);
        out[plen] = 0;
    } else {
        set_err(err, errlen, "out of memory");
    }
    walletdb_free_secret(plain, plen);
    return out;
}

bool wallet_list_descriptors(struct wallet *w, bool with_private,
                             struct wallet_descriptor_info **out, size_t *count, bool *locked,
                             char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    *locked = false;
    if (with_private && wallet_is_locked(w)) {
        *locked = true;
        set_err(err, errlen, "wallet is locked");
        return false;
    }
    if (with_private && !wallet_has_private_keys(w)) {
        set_err(err, errlen, "Can't get private descriptor string for watch-only wallets");
        return false;
    }
    struct wallet_descriptor_info *v = calloc(w->ndesc ? w->ndesc : 1, sizeof *v);
    if (!v) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < w->ndesc; i++) {
        const struct wdesc *d = &w->descs[i];
        if (with_private && d->gen) {
            if (!(v[i].desc = imported_private_text(w, d, err, errlen))) {
                wallet_descriptor_infos_free(v, w->ndesc);
                return false;
            }
        } else if (with_private) {
            struct bip32_key k;
            char xprv[BIP32_STRING_MAX + 1];
            bool ok = desc_private_key(w, d, &k, err, errlen) &&
                      bip32_encode(xprv, &w->params->addr, &k);
            bip32_key_clear(&k);
            if (ok) v[i].desc = desc_text(d, xprv);
            OPENSSL_cleanse(xprv, sizeof xprv);
            if (!ok || !v[i].desc) {
                if (ok) set_err(err, errlen, "out of memory");
                wallet_descriptor_infos_free(v, w->ndesc);
                return false;
            }
        } else if (!(v[i].desc = strdup(d->text))) {
            wallet_descriptor_infos_free(v, w->ndesc);
            set_err(err, errlen, "out of memory");
            return false;
        }
        v[i].timestamp = d->created;
        v[i].active = d->active;
        v[i].internal = d->internal;
        v[i].range_start = d->range_start;
        v[i].range_end = d->range_end ? d->range_end - 1 : 0;
        v[i].next_index = d->next_index;
    }
    qsort(v, w->ndesc, sizeof *v, cmp_info);
    *out = v;
    *count = w->ndesc;
    return true;
}

enum wallet_import_result wallet_import_descriptor(struct wallet *w,
                                                   const struct wallet_import *in, char *err,
                                                   size_t errlen)
{
    char e[DESCRIPTOR_ERR_MAX];
    struct descriptor *gen = descriptor_parse(in->text, &w->params->addr, e);
    if (!gen) {
        set_err(err, errlen, "%s", e);
        return WALLET_IMPORT_FAILED;
    }
    bool ranged = descriptor_is_range(gen);
    bool has_priv = descriptor_has_private_keys(gen);
    uint32_t rs = ranged ? in->range_start : 0, re = ranged ? in->range_end : 1;
    uint32_t next = ranged ? in->next_index : 0;
    if (has_priv && wallet_is_locked(w)) {
        descriptor_free(gen);
        set_err(err, errlen, "wallet is locked");
        return WALLET_IMPORT_LOCKED;
    }
    /* The scripts must come out of it (hardened steps need the private key). */
    struct descriptor_scripts sc;
    memset(&sc, 0, sizeof sc);
    if (!descriptor_expand(gen, rs, &sc, e)) {
        descriptor_free(gen);
        set_err(err, errlen, "Cannot expand descriptor. Probably because of hardened "
                             "derivations without private keys provided");
        return WALLET_IMPORT_FAILED;
    }
    bool fits = false;
    for (size_t k = 0; k < sc.count; k++)
        if (sc.items[k].len <= sizeof w->scripts[0].s) fits = true;
    descriptor_scripts_clear(&sc);
    char *pub = descriptor_to_string(gen);
    if (!fits || !pub) {
        descriptor_free(gen);
        free(pub);
        set_err(err, errlen, pub ? "Descriptors whose scripts are longer than 34 bytes cannot "
                                   "be imported yet"
                                 : "out of memory");
        return WALLET_IMPORT_FAILED;
    }
    uint256 id;
    sha256(pub, strlen(pub), id.b);
    size_t di = w->ndesc;
    for (size_t i = 0; i < w->ndesc; i++)
        if (memcmp(w->descs[i].id.b, id.b, 32) == 0) di = i;
    if (di < w->ndesc && !w->descs[di].gen) {
        /* One of the wallet's own descriptors: nothing to add. */
        descriptor_free(gen);
        free(pub);
        return WALLET_IMPORT_OK;
    }
    if (di == w->ndesc && w->ndesc == MAX_DESCS) {
        descriptor_free(gen);
        free(pub);
        set_err(err, errlen, "Too many descriptors in the wallet (at most %d)", MAX_DESCS);
        return WALLET_IMPORT_FAILED;
    }
    /* The stored record: the secret is the text as given (sealed when encrypted). */
    struct walletdb_descriptor old;
    memset(&old, 0, sizeof old);
    bool found = false;
    if (di < w->ndesc && !walletdb_get_descriptor(w->db, &id, &old, &found, err, errlen)) {
        descriptor_free(gen);
        free(pub);
        return WALLET_IMPORT_FAILED;
    }
    uint8_t *secret = NULL;
    size_t slen = 0;
    bool sealed_ok = true;
    if (has_priv)
        sealed_ok = seal(w, (const uint8_t *)in->text, strlen(in->text), id.b, 32,
                         w->encrypted, &secret, &slen, err, errlen);
    if (!sealed_ok) {
        walletdb_descriptor_clear(&old);
        descriptor_free(gen);
        free(pub);
        return WALLET_IMPORT_FAILED;
    }
    struct walletdb_descriptor rec = {.id = id,
                                      .text = pub,
                                      .range_start = rs,
                                      .range_end = re,
                                      .next_index = next,
                                      .active = false,
                                      .internal = in->internal,
                                      .created = in->timestamp,
                                      .secret = secret,
                                      .secret_len = slen,
                                      .secret_encrypted = has_priv && w->encrypted};
    if (found) {
        /* Imported again: the ranges merge, the keys stay unless new ones come. */
        const struct wdesc *d = &w->descs[di];
        if (d->range_start < rec.range_start) rec.range_start = d->range_start;
        if (d->range_end > rec.range_end) rec.range_end = d->range_end;
        if (d->next_index > rec.next_index) rec.next_index = d->next_index;
        if (d->created < rec.created) rec.created = d->created;
        rec.internal = d->internal;
        if (!has_priv) {
            rec.secret = old.secret;
            rec.secret_len = old.secret_len;
            rec.secret_encrypted = old.secret_encrypted;
        }
    }
    char key[sizeof META_IMPORT + 64];
    import_meta_key(&id, key);
    bool ok = walletdb_put_descriptor(w->db, &rec, err, errlen) &&
              walletdb_put_meta(w->db, key, "1", 1, err, errlen);
    walletdb_free_secret(secret, slen);
    walletdb_descriptor_clear(&old);
    if (!ok) {
        descriptor_free(gen);
        free(pub);
        return WALLET_IMPORT_FAILED;
    }
    if (di == w->ndesc) {
        struct wdesc d;
        memset(&d, 0, sizeof d);
        d.id = id;
        d.text = pub;
        d.internal = rec.internal;
        d.created = rec.created;
        d.gen = gen;
        d.range_start = d.range_end = rec.range_start;
        d.next_index = rec.next_index;
        if (!add_desc(w, &d)) {
            descriptor_free(gen);
            free(pub);
            set_err(err, errlen, "Too many descriptors in the wallet");
            return WALLET_IMPORT_FAILED;
        }
    } else {
        descriptor_free(gen);
        free(pub);
    }
    struct wdesc *d = &w->descs[di];
    d->signable = rec.secret && imported_signable_shape(d->text);
    if (has_priv && (w->flags & WALLET_FLAG_BLANK_WALLET)) {
        /* Core's UnsetBlankWalletFlag: the wallet has keys now. */
        w->flags &= ~WALLET_FLAG_BLANK_WALLET;
        if (!walletdb_put_meta_int(w->db, WALLETDB_META_FLAGS, (int64_t)w->flags, err, errlen))
            return WALLET_IMPORT_FAILED;
    }
    uint32_t from = d->range_end > rec.range_start && d->range_start == rec.range_start
                        ? d->range_end
                        : rec.range_start;
    d->range_start = rec.range_start;
    d->next_index = rec.next_index;
    d->created = rec.created;
    if (!extend_scripts(w, di, from, rec.range_end, true, err, errlen))
        return WALLET_IMPORT_FAILED;
    d->range_end = rec.range_end;
    if (!topup(w, di, err, errlen)) return WALLET_IMPORT_FAILED;
    /* Coins already known to pay its scripts mark them used. */
    for (size_t i = 0; i < w->ntx; i++) mark_scripts_of_tx(w, w->txs[i]);
    return WALLET_IMPORT_OK;
}

bool wallet_get_mnemonic(struct wallet *w, char *out, size_t cap, bool *passphrase_protected,
                         bool *locked, char *err, size_t errlen)
{
    *locked = false;
    if (cap) out[0] = 0;
    if (wallet_is_locked(w)) {
        *locked = true;
        set_err(err, errlen, "wallet is locked");
        return false;
    }
    uint8_t *blob = NULL;
    size_t len = 0;
    bool enc = false, found = false;
    if (!walletdb_get_secret(w->db, WALLETDB_SECRET_MNEMONIC, &blob, &len, &enc, &found, err,
                             errlen))
        return false;
    if (!found) {
        set_err(err, errlen, "This wallet has no mnemonic (blank or watch-only wallet)");
        return false;
    }
    uint8_t *plain = NULL;
    size_t plen = 0;
    bool ok = unseal(w, blob, len, enc, (const uint8_t *)WALLETDB_SECRET_MNEMONIC,
                     strlen(WALLETDB_SECRET_MNEMONIC), &plain, &plen, err, errlen);
    walletdb_free_secret(blob, len);
    if (!ok) return false;
    if (plen + 1 > cap) {
        walletdb_free_secret(plain, plen);
        set_err(err, errlen, "buffer too small");
        return false;
    }
    memcpy(out, plain, plen);
    out[plen] = 0;
    walletdb_free_secret(plain, plen);
    *passphrase_protected = w->bip39_passphrase;
    return true;
}

/* ---- encryption ---- */

/* Re-stores one named secret sealed under the (just created) master key. */
static bool encrypt_named_secret(struct wallet *w, const char *name, char *err, size_t errlen)
{
    uint8_t *blob = NULL;
    size_t len = 0;
    bool enc = false, found = false;
    if (!walletdb_get_secret(w->db, name, &blob, &len, &enc, &found, err, errlen)) return false;
    if (!found || enc) {
        walletdb_free_secret(blob, len);
        return true;
    }
    uint8_t *sealed = NULL;
    size_t slen = 0;
    bool ok = seal(w, blob, len, (const uint8_t *)name, strlen(name), true, &sealed, &slen, err,
                   errlen) &&
              walletdb_put_secret(w->db, name, sealed, slen, true, err, errlen);
    walletdb_free_secret(blob, len);
    walletdb_free_secret(sealed, slen);
    return ok;
}

static bool encrypt_desc_secret(struct wallet *w, const struct wdesc *d, char *err,
                                size_t errlen)
{
    struct walletdb_descriptor r;
    memset(&r, 0, sizeof r);
    bool found;
    if (!walletdb_get_descriptor(w->db, &d->id, &r, &found, err, errlen)) return false;
    bool ok = true;
    if (found && r.secret && !r.secret_encrypted) {
        uint8_t *sealed = NULL;
        size_t slen = 0;
        ok = seal(w, r.secret, r.secret_len, d->id.b, 32, true, &sealed, &slen, err, errlen) &&
             walletdb_update_descriptor_secret(w->db, &d->id, sealed, slen, true, err, errlen);
        walletdb_free_secret(sealed, slen);
    }
    walletdb_descriptor_clear(&r);
    return ok;
}

enum wallet_crypt_result wallet_encrypt(struct wallet *w, const char *passphrase, char *err,
                                        size_t errlen)
{
    if (w->encrypted) return WALLET_CRYPT_WRONG_STATE;
    if (!wallet_has_private_keys(w)) return WALLET_CRYPT_NO_KEYS;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    if (crypter_new_master(rec, &w->mk, passphrase, w->has_scrypt ? &w->scrypt : NULL, err,
                           errlen) != CRYPTER_OK)
        return WALLET_CRYPT_FAILED;
    bool ok = walletdb_begin(w->db, err, errlen);
    if (ok) {
        ok = encrypt_named_secret(w, WALLETDB_SECRET_MNEMONIC, err, errlen) &&
             encrypt_named_secret(w, WALLETDB_SECRET_SEED, err, errlen);
        for (size_t i = 0; ok && i < w->ndesc; i++)
            ok = encrypt_desc_secret(w, &w->descs[i], err, errlen);
        ok = ok && walletdb_put_secret(w->db, WALLETDB_SECRET_MASTER_KEY, rec, sizeof rec, true,
                                       err, errlen);
        if (!ok)
            walletdb_rollback(w->db, NULL, 0);
        else
            ok = walletdb_commit(w->db, err, errlen);
    }
    OPENSSL_cleanse(rec, sizeof rec);
    crypter_key_clear(&w->mk);
    if (!ok) return WALLET_CRYPT_FAILED;
    w->encrypted = true;
    w->unlocked = false;
    w->unlocked_until = 0;
    char cerr[256];
    if (!walletdb_checkpoint(w->db, cerr, sizeof cerr))
        log_info("wallet %s: checkpoint after encryption failed: %s", w->name, cerr);
    return WALLET_CRYPT_OK;
}

static bool read_master_record(struct wallet *w, uint8_t **rec, size_t *len, char *err,
                               size_t errlen)
{
    bool found = false;
    if (!walletdb_get_secret(w->db, WALLETDB_SECRET_MASTER_KEY, rec, len, NULL, &found, err,
                             errlen))
        return false;
    if (!found) {
        set_err(err, errlen, "the master key record is missing");
        return false;
    }
    return true;
}

enum wallet_crypt_result wallet_unlock_keys(struct wallet *w, const char *passphrase,
                                            int64_t timeout, char *err, size_t errlen)
{
    if (!w->encrypted) return WALLET_CRYPT_WRONG_STATE;
    uint8_t *rec = NULL;
    size_t len = 0;
    if (!read_master_record(w, &rec, &len, err, errlen)) return WALLET_CRYPT_FAILED;
    struct crypter_key mk;
    enum crypter_error e = crypter_unlock(&mk, rec, len, passphrase, err, errlen);
    walletdb_free_secret(rec, len);
    if (e == CRYPTER_ERR_PASSPHRASE) return WALLET_CRYPT_BAD_PASSPHRASE;
    if (e != CRYPTER_OK) return WALLET_CRYPT_FAILED;
    w->mk = mk;
    crypter_key_clear(&mk);
    w->unlocked = true;
    w->unlocked_until = w->now() + timeout;
    return WALLET_CRYPT_OK;
}

enum wallet_crypt_result wallet_lock_keys(struct wallet *w)
{
    if (!w->encrypted) return WALLET_CRYPT_WRONG_STATE;
    crypter_key_clear(&w->mk);
    w->unlocked = false;
    w->unlocked_until = 0;
    return WALLET_CRYPT_OK;
}

enum wallet_crypt_result wallet_change_passphrase(struct wallet *w, const char *old_passphrase,
                                                  const char *new_passphrase, char *err,
                                                  size_t errlen)
{
    if (!w->encrypted) return WALLET_CRYPT_WRONG_STATE;
    uint8_t *rec = NULL;
    size_t len = 0;
    if (!read_master_record(w, &rec, &len, err, errlen)) return WALLET_CRYPT_FAILED;
    uint8_t nrec[CRYPTER_MASTER_RECORD_LEN];
    enum crypter_error e = crypter_change_passphrase(nrec, rec, len, old_passphrase,
                                                     new_passphrase, NULL, err, errlen);
    walletdb_free_secret(rec, len);
    if (e == CRYPTER_ERR_PASSPHRASE) return WALLET_CRYPT_BAD_PASSPHRASE;
    if (e != CRYPTER_OK) return WALLET_CRYPT_FAILED;
    bool ok = walletdb_put_secret(w->db, WALLETDB_SECRET_MASTER_KEY, nrec, sizeof nrec, true,
                                  err, errlen);
    OPENSSL_cleanse(nrec, sizeof nrec);
    return ok ? WALLET_CRYPT_OK : WALLET_CRYPT_FAILED;
}

/* ---- Sending support (used by spend.c) ---- */

static long find_locked(const struct wallet *w, const uint256 *txid, uint32_t n)
{
    for (size_t i = 0; i < w->nlocked; i++)
        if (w->locked[i].n == n && uint256_cmp(&w->locked[i].txid, txid) == 0) return (long)i;
    return -1;
}

static bool add_locked(struct wallet *w, const uint256 *txid, uint32_t n, bool persistent)
{
    long i = find_locked(w, txid, n);
    if (i >= 0) {
        w->locked[i].persistent = w->locked[i].persistent || persistent;
        return true;
    }
    if (w->nlocked == w->locked_cap) {
        size_t nc = w->locked_cap ? w->locked_cap * 2 : 8;
        struct wallet_locked_coin *v = realloc(w->locked, nc * sizeof *v);
        if (!v) return false;
        w->locked = v;
        w->locked_cap = nc;
    }
    w->locked[w->nlocked].txid = *txid;
    w->locked[w->nlocked].n = n;
    w->locked[w->nlocked].persistent = persistent;
    w->nlocked++;
    return true;
}

bool wallet_lock_coin(struct wallet *w, const uint256 *txid, uint32_t n, bool persistent,
                      char *err, size_t errlen)
{
    if (persistent && !walletdb_lock_outpoint(w->db, txid, n, err, errlen)) return false;
    if (!add_locked(w, txid, n, persistent)) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    return true;
}

bool wallet_unlock_coin(struct wallet *w, const uint256 *txid, uint32_t n, char *err,
                        size_t errlen)
{
    long i = find_locked(w, txid, n);
    if (i < 0) return true;
    if (w->locked[i].persistent && !walletdb_unlock_outpoint(w->db, txid, n, err, errlen))
        return false;
    w->locked[i] = w->locked[--w->nlocked];
    return true;
}

bool wallet_is_locked_coin(const struct wallet *w, const uint256 *txid, uint32_t n)
{
    return find_locked(w, txid, n) >= 0;
}

size_t wallet_locked_coin_count(const struct wallet *w) { return w->nlocked; }

const struct wallet_locked_coin *wallet_locked_coin_at(const struct wallet *w, size_t i)
{
    return i < w->nlocked ? &w->locked[i] : NULL;
}

int64_t wallet_pay_tx_fee(const struct wallet *w) { return w->pay_tx_fee; }
void wallet_set_pay_tx_fee(struct wallet *w, int64_t sat_per_kvb)
{
    w->pay_tx_fee = sat_per_kvb;
}

bool wallet_add_own_tx(struct wallet *w, const struct tx *tx, char *err, size_t errlen)
{
    uint256 txid;
    tx_txid(tx, &txid);
    if (find_tx(w, &txid)) return true;
    if (!walletdb_begin(w->db, err, errlen)) return false;
    struct wallet_tx *t = record_tx(w, tx, &txid, w->now());
    bool ok = t != NULL;
    if (!ok) set_err(err, errlen, "the transaction does not belong to the wallet");
    struct writer wr;
    writer_init(&wr);
    if (ok) {
        tx_serialize(&wr, &t->tx, true);
        struct walletdb_tx r = {.txid = t->txid,
                                .raw = wr.data,
                                .raw_len = wr.len,
                                .has_block = false,
                                .height = -1,
                                .position = -1,
                                .time_received = t->time_received,
                                .state = WALLETDB_TX_UNCONFIRMED};
        ok = !wr.failed && walletdb_put_tx(w->db, &r, err, errlen);
        if (wr.failed) set_err(err, errlen, "out of memory");
    }
    writer_free(&wr);
    /* Spent coins need no lock any more (Core unlocks them too). */
    for (size_t i = 0; ok && i < tx->vin_count; i++) {
        long li = find_locked(w, &tx->vin[i].prevout.hash, tx->vin[i].prevout.n);
        if (li >= 0 && w->locked[li].persistent)
            ok = walletdb_unlock_outpoint(w->db, &tx->vin[i].prevout.hash, tx->vin[i].prevout.n,
                                          err, errlen);
    }
    if (!ok) {
        walletdb_rollback(w->db, NULL, 0);
        /* The record stays in memory (the index has no removal) but unsaved; it comes
         * back through the mempool when the transaction is broadcast after all. */
        return false;
    }
    if (!walletdb_commit(w->db, err, errlen)) return false;
    for (size_t i = 0; i < tx->vin_count; i++) {
        long li = find_locked(w, &tx->vin[i].prevout.hash, tx->vin[i].prevout.n);
        if (li >= 0) w->locked[li] = w->locked[--w->nlocked];
    }
    notify_tx(w, t);
    return true;
}

/* Marks t and its unconfirmed wallet descendants abandoned. */
static void abandon_rec(struct wallet *w, struct wallet_tx *t, int level)
{
    if (level > 1000 || t->state == WALLETDB_TX_ABANDONED) return;
    if (wallet_tx_depth(w, t) != 0 || t->in_mempool) return;
    t->state = WALLETDB_TX_ABANDONED;
    save_tx(w, t);
    uint8_t key[36];
    memcpy(key, t->txid.b, 32);
    for (uint32_t n = 0; n < t->tx.vout_count; n++) {
        le32_write(key + 32, n);
        for (uint32_t i = map_find(w, &w->spmap, MAP_SPEND, key, 36); i != NONE;
             i = w->spends[i].next)
            abandon_rec(w, w->txs[w->spends[i].tx], level + 1);
    }
}

enum wallet_abandon_result wallet_abandon_tx(struct wallet *w, const uint256 *txid, char *err,
                                             size_t errlen)
{
    struct wallet_tx *t = find_tx(w, txid);
    if (!t) return WALLET_ABANDON_NOT_FOUND;
    if (t->state == WALLETDB_TX_ABANDONED) return WALLET_ABANDON_OK;
    if (wallet_tx_depth(w, t) != 0 || t->in_mempool || t->coinbase ||
        t->state != WALLETDB_TX_UNCONFIRMED)
        return WALLET_ABANDON_NOT_ELIGIBLE;
    if (!walletdb_begin(w->db, err, errlen)) return WALLET_ABANDON_FAILED;
    abandon_rec(w, t, 0);
    if (!walletdb_commit(w->db, err, errlen)) return WALLET_ABANDON_FAILED;
    return WALLET_ABANDON_OK;
}

/* The private key (and compressed public key) at index of a signable imported descriptor,
 * parsed from the text it was imported with: TYPE([origin]KEY[/path]) where KEY is a WIF
 * (no path) or an xprv whose path may end in the range wildcard. */
static bool imported_key(struct wallet *w, const struct wdesc *d, uint32_t index,
                         uint8_t seckey[32], uint8_t pub[33], char *err, size_t errlen)
{
    if (wallet_is_locked(w)) {
        set_err(err, errlen, "wallet is locked");
        return false;
    }
    char *text = imported_private_text(w, d, err, errlen);
    if (!text) return false;
    size_t tlen = strlen(text);
    bool ok = false;
    char *open = strchr(text, '('), *close = strrchr(text, ')');
    if (!open || !close || close < open) goto done;
    *close = 0;
    char *key = open + 1;
    if (*key == '[') {
        char *end = strchr(key, ']');
        if (!end) goto done;
        key = end + 1;
    }
    char *slash = strchr(key, '/');
    if (slash) *slash = 0;
    if (!slash) {
        bool compressed = false;
        if (wif_decode(seckey, &compressed, &w->params->addr, key) != ADDRESS_OK || !compressed)
            goto done;
        secp256k1_pubkey pk;
        size_t plen = 33;
        ok = secp256k1_ec_pubkey_create(w->secp, &pk, seckey) &&
             secp256k1_ec_pubkey_serialize(w->secp, pub, &plen, &pk, SECP256K1_EC_COMPRESSED);
        goto done;
    }
    /* The path with the wildcard replaced by index. */
    char path[256];
    size_t n = 0;
    for (const char *p = slash + 1; *p && n + 12 < sizeof path; p++) {
        if (*p == '*') {
            int k = snprintf(path + n, sizeof path - n, "%u", index);
            if (k < 0) goto done;
            n += (size_t)k;
        } else {
            path[n++] = *p;
        }
    }
    path[n] = 0;
    uint32_t steps[32];
    size_t nsteps = 0;
    struct bip32_key root, child;
    memset(&root, 0, sizeof root);
    memset(&child, 0, sizeof child);
    if (bip32_decode(w->secp, &root, &w->params->addr, key) == BIP32_OK && root.has_private &&
        bip32_parse_path(steps, 32, &nsteps, path) == BIP32_OK &&
        bip32_derive_path(w->secp, &child, &root, steps, nsteps) == BIP32_OK) {
        memcpy(seckey, child.seckey, 32);
        memcpy(pub, child.pubkey, 33);
        ok = true;
    }
    bip32_key_clear(&root);
    bip32_key_clear(&child);
    OPENSSL_cleanse(path, sizeof path);
done:
    OPENSSL_cleanse(text, tlen);
    free(text);
    if (!ok) {
        OPENSSL_cleanse(seckey, 32);
        set_err(err, errlen, "cannot read the private key of an imported descriptor");
    }
    return ok;
}

struct wallet_signing_keys {
    struct wallet *w;
    bool loaded[MAX_DESCS];
    struct bip32_key chain[MAX_DESCS]; /* private account/change keys */
};

bool wallet_signing_keys_open(struct wallet *w, struct wallet_signing_keys **out, bool *locked,
                              char *err, size_t errlen)
{
    *out = NULL;
    *locked = false;
    if (!wallet_has_private_keys(w) || wallet_is_blank(w)) {
        set_err(err, errlen, "This wallet has no private keys");
        return false;
    }
    if (wallet_is_locked(w)) {
        *locked = true;
        set_err(err, errlen, "wallet is locked");
        return false;
    }
    struct wallet_signing_keys *k = calloc(1, sizeof *k);
    if (!k) {
        set_err(err, errlen, "out of memory");
        return false;
    }
    k->w = w;
    *out = k;
    return true;
}

bool wallet_signing_key(struct wallet_signing_keys *k, const uint8_t *script, size_t len,
                        uint8_t seckey[32], uint8_t pubkey[33], enum wallet_addr_type *type,
                        char *err, size_t errlen)
{
    struct wallet *w = k->w;
    uint32_t si = map_find(w, &w->smap, MAP_SCRIPT, script, len);
    if (si == NONE) {
        set_err(err, errlen, "not a script of this wallet");
        return false;
    }
    const struct wscript *s = &w->scripts[si];
    const struct wdesc *d = &w->descs[s->desc];
    if (d->gen) {
        if (!d->signable) {
            set_err(err, errlen, "no private key for this imported descriptor");
            return false;
        }
        if (!imported_key(w, d, s->index, seckey, pubkey, err, errlen)) return false;
        *type = s->len == 25 ? WALLET_ADDR_LEGACY
                : s->s[0] == 0 ? WALLET_ADDR_BECH32
                               : WALLET_ADDR_BECH32M;
        uint8_t check[34];
        size_t clen = make_script(*type, pubkey, check);
        if (clen != s->len || memcmp(check, s->s, clen) != 0) {
            OPENSSL_cleanse(seckey, 32);
            set_err(err, errlen, "the imported key does not match the script");
            return false;
        }
        return true;
    }
    if (!k->loaded[s->desc]) {
        if (wallet_is_locked(w)) {
            set_err(err, errlen, "wallet is locked");
            return false;
        }
        struct bip32_key acct;
        if (!desc_private_key(w, d, &acct, err, errlen)) return false;
        bool ok =
            bip32_derive(w->secp, &k->chain[s->desc], &acct, d->internal ? 1 : 0) == BIP32_OK;
        bip32_key_clear(&acct);
        if (!ok) {
            set_err(err, errlen, "cannot derive a signing key");
            return false;
        }
        k->loaded[s->desc] = true;
    }
    struct bip32_key child;
    if (bip32_derive(w->secp, &child, &k->chain[s->desc], s->index) != BIP32_OK) {
        set_err(err, errlen, "cannot derive a signing key");
        return false;
    }
    memcpy(seckey, child.seckey, 32);
    memcpy(pubkey, child.pubkey, 33);
    *type = d->type;
    bip32_key_clear(&child);
    return true;
}

void wallet_signing_keys_free(struct wallet_signing_keys *k)
{
    if (!k) return;
    for (size_t i = 0; i < MAX_DESCS; i++) bip32_key_clear(&k->chain[i]);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}
