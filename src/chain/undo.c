/* Block undo data and the connect/disconnect primitives over a coins cache.
 *
 * Connecting never leaves a half-connected block behind: the block is applied to a
 * child layer of the cache and merged into it only when every input was found, so a
 * failing block leaves the cache exactly as it was. */
#include "chain/undo.h"

#include <stdlib.h>
#include <string.h>

#include "consensus/script.h"

void block_undo_init(struct block_undo *u)
{
    u->txundo = NULL;
    u->count = 0;
}

static void tx_undo_clear(struct tx_undo *t)
{
    for (size_t i = 0; i < t->count; i++) coin_clear(&t->prevout[i]);
    free(t->prevout);
    t->prevout = NULL;
    t->count = 0;
}

void block_undo_clear(struct block_undo *u)
{
    if (!u) return;
    for (size_t i = 0; i < u->count; i++) tx_undo_clear(&u->txundo[i]);
    free(u->txundo);
    block_undo_init(u);
}

/* ---- Serialization ---- */

static void coin_undo_serialize(struct writer *w, const struct coin *c)
{
    coins_write_varint(w, (uint64_t)c->height * 2 + (c->coinbase ? 1 : 0));
    if (c->height > 0) coins_write_varint(w, 0); /* Core's old nVersion slot */
    coins_write_txout(w, &c->out);
}

static bool coin_undo_deserialize(struct reader *r, struct coin *c)
{
    uint64_t code, dummy;
    coin_init(c);
    if (!coins_read_varint(r, &code, UINT32_MAX)) return false;
    c->height = (uint32_t)(code >> 1);
    c->coinbase = code & 1;
    if (c->height > 0 && !coins_read_varint(r, &dummy, UINT32_MAX)) return false;
    if (!coins_read_txout(r, &c->out)) {
        coin_init(c);
        return false;
    }
    return true;
}

void block_undo_serialize(struct writer *w, const struct block_undo *u)
{
    write_compact_size(w, u->count);
    for (size_t i = 0; i < u->count; i++) {
        const struct tx_undo *t = &u->txundo[i];
        write_compact_size(w, t->count);
        for (size_t j = 0; j < t->count; j++) coin_undo_serialize(w, &t->prevout[j]);
    }
}

/* The smallest coin_undo: code, amount and a one-byte special script tag each take at
 * least one byte (and the tag's payload 20 more, but a plain empty script is 1 byte). */
#define MIN_COIN_UNDO_SIZE 3

bool block_undo_deserialize(struct reader *r, struct block_undo *u)
{
    uint64_t ntx;
    block_undo_init(u);
    if (!read_compact_size(r, &ntx)) return false;
    if (ntx > reader_remaining(r)) goto fail; /* each tx_undo takes at least one byte */
    if (ntx) {
        u->txundo = calloc((size_t)ntx, sizeof *u->txundo);
        if (!u->txundo) goto fail;
    }
    for (size_t i = 0; i < ntx; i++) {
        struct tx_undo *t = &u->txundo[i];
        u->count = i + 1;
        uint64_t n;
        if (!read_compact_size(r, &n)) goto fail;
        if (n > reader_remaining(r) / MIN_COIN_UNDO_SIZE) goto fail;
        if (n) {
            t->prevout = calloc((size_t)n, sizeof *t->prevout);
            if (!t->prevout) goto fail;
        }
        for (size_t j = 0; j < n; j++) {
            if (!coin_undo_deserialize(r, &t->prevout[j])) goto fail;
            t->count = j + 1;
        }
    }
    return true;
fail:
    r->failed = true;
    block_undo_clear(u);
    return false;
}

void block_undo_checksum(const uint8_t *undo_bytes, size_t len, const uint256 *prev_block_hash,
                         uint256 *out)
{
    struct sha256_ctx ctx;
    uint8_t first[32];
    sha256_init(&ctx);
    sha256_write(&ctx, prev_block_hash->b, 32);
    if (len) sha256_write(&ctx, undo_bytes, len);
    sha256_finalize(&ctx, first);
    sha256(first, 32, out->b);
}

/* ---- Connect and disconnect ---- */

static const char REASON_MISSING[] = "bad-txns-inputs-missingorspent";

/* Puts a spent coin back (Core's ApplyTxInUndo). */
static enum disconnect_result restore_coin(struct coins_cache *cache, const struct outpoint *op,
                                           const struct coin *coin)
{
    /* Our undo records always carry the height; Core's height-0 records date from a
     * format no iop node ever wrote, and no coin at height 0 is spendable. */
    if (coin->height == 0) return DISCONNECT_FAILED;
    bool clean = !coins_cache_have(cache, op);
    char *err = NULL;
    if (!coins_cache_add(cache, op, coin, !clean, &err)) {
        free(err);
        return DISCONNECT_FAILED;
    }
    return clean ? DISCONNECT_OK : DISCONNECT_UNCLEAN;
}

static bool txout_same(const struct tx_out *a, const struct tx_out *b)
{
    return a->value == b->value && a->script_pubkey_len == b->script_pubkey_len &&
           (a->script_pubkey_len == 0 ||
            memcmp(a->script_pubkey, b->script_pubkey, a->script_pubkey_len) == 0);
}

/* Removes tx's outputs and restores the first ninputs spent coins of t (in reverse). */
static enum disconnect_result disconnect_tx(struct coins_cache *cache, const struct tx *tx,
                                            const uint256 *txid, uint32_t height,
                                            const struct tx_undo *t, size_t ninputs)
{
    bool clean = true;
    bool coinbase = tx_is_coinbase(tx);
    for (size_t o = 0; o < tx->vout_count; o++) {
        const struct tx_out *out = &tx->vout[o];
        if (script_is_unspendable(out->script_pubkey, out->script_pubkey_len)) continue;
        struct outpoint op = {.hash = *txid, .n = (uint32_t)o};
        struct coin c;
        coin_init(&c);
        bool spent = coins_cache_spend(cache, &op, &c);
        if (!spent || !txout_same(out, &c.out) || c.height != height || c.coinbase != coinbase)
            clean = false;
        coin_clear(&c);
    }
    for (size_t j = ninputs; j-- > 0;) {
        enum disconnect_result r = restore_coin(cache, &tx->vin[j].prevout, &t->prevout[j]);
        if (r == DISCONNECT_FAILED) return r;
        if (r == DISCONNECT_UNCLEAN) clean = false;
    }
    return clean ? DISCONNECT_OK : DISCONNECT_UNCLEAN;
}

/* Txids of every transaction: the caller's array, or a new one in *owned. */
static const uint256 *get_txids(const struct block *block, const uint256 *txids,
                                uint256 **owned)
{
    *owned = NULL;
    if (txids) return txids;
    *owned = malloc((block->tx_count ? block->tx_count : 1) * sizeof **owned);
    if (!*owned) return NULL;
    for (size_t i = 0; i < block->tx_count; i++) tx_txid(&block->txs[i], &(*owned)[i]);
    return *owned;
}

bool undo_apply_block(struct coins_cache *cache, const struct block *block, uint32_t height,
                      const uint256 *txids, struct block_undo *undo, const char **err)
{
    static const char oom[] = "out of memory";
    block_undo_init(undo);
    *err = NULL;
    uint256 *owned;
    const uint256 *ids = get_txids(block, txids, &owned);
    /* Work in a child layer so a block that fails half-way leaves no trace at all. */
    struct coins_cache *view = ids ? coins_cache_new_child(cache) : NULL;
    if (!view) goto nomem;
    if (block->tx_count > 1) {
        undo->txundo = calloc(block->tx_count - 1, sizeof *undo->txundo);
        if (!undo->txundo) goto nomem;
        undo->count = block->tx_count - 1;
    }
    for (size_t i = 0; i < block->tx_count; i++) {
        const struct tx *tx = &block->txs[i];
        if (i > 0) {
            struct tx_undo *t = &undo->txundo[i - 1];
            if (tx->vin_count) {
                t->prevout = calloc(tx->vin_count, sizeof *t->prevout);
                if (!t->prevout) goto nomem;
            }
            for (size_t j = 0; j < tx->vin_count; j++) {
                coin_init(&t->prevout[j]);
                if (!coins_cache_spend(view, &tx->vin[j].prevout, &t->prevout[j])) {
                    *err =
                        coins_cache_error(view) ? "coins database read error" : REASON_MISSING;
                    goto fail;
                }
                t->count = j + 1;
            }
        }
        char *aerr = NULL;
        if (!coins_cache_add_tx(view, tx, &ids[i], height, false, &aerr)) {
            *err = strstr(aerr ? aerr : "", "overwrite") ? "bad-txns-BIP30" : oom;
            free(aerr);
            goto fail;
        }
    }
    uint256 hash;
    block_hash(block, &hash);
    coins_cache_set_best_block(view, &hash);
    char *merr = NULL;
    if (!coins_cache_flush_to_parent(view, &merr)) {
        *err = strstr(merr ? merr : "", "FRESH") ? "bad-txns-BIP30" : oom;
        free(merr);
        goto fail;
    }
    coins_cache_free(view);
    free(owned);
    return true;

nomem:
    *err = oom;
fail:
    coins_cache_free(view);
    free(owned);
    block_undo_clear(undo);
    return false;
}

enum disconnect_result undo_disconnect_block(struct coins_cache *cache,
                                             const struct block *block, uint32_t height,
                                             const uint256 *txids,
                                             const struct block_undo *undo)
{
    if (block->tx_count == 0 || undo->count + 1 != block->tx_count) return DISCONNECT_FAILED;
    /* Check the whole shape first so a mismatch leaves the cache untouched. */
    for (size_t i = 1; i < block->tx_count; i++)
        if (undo->txundo[i - 1].count != block->txs[i].vin_count) return DISCONNECT_FAILED;
    uint256 *owned;
    const uint256 *ids = get_txids(block, txids, &owned);
    if (!ids) return DISCONNECT_FAILED;
    bool clean = true;
    for (size_t i = block->tx_count; i-- > 0;) {
        const struct tx_undo *t = i > 0 ? &undo->txundo[i - 1] : NULL;
        enum disconnect_result r =
            disconnect_tx(cache, &block->txs[i], &ids[i], height, t, t ? t->count : 0);
        if (r == DISCONNECT_FAILED) {
            free(owned);
            return r;
        }
        if (r == DISCONNECT_UNCLEAN) clean = false;
    }
    free(owned);
    if (coins_cache_error(cache)) return DISCONNECT_FAILED;
    coins_cache_set_best_block(cache, &block->header.prev_hash);
    return clean ? DISCONNECT_OK : DISCONNECT_UNCLEAN;
}
