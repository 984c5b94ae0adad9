/* The blockchain RPC methods, shaped as Bitcoin Core 28/29's: same names, parameters,
 * result fields and error codes (doc/rpc.md lists them).
 *
 * Every handler takes the node's lock around its use of the chainstate and the mempool
 * and answers -28 while the chainstate is not open yet. The wait methods sleep on the
 * node's tip_changed condition (which releases the lock) until the tip moves, the
 * timeout passes or the node shuts down. */
#include "chain/chain_rpc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chain/mempool.h"
#include "chain/policy.h"
#include "chain/script_format.h"
#include "chain/txindex.h"
#include "chain/undo.h"
#include "chain/validation.h"
#include "chain/dbwrapper.h"
#include "chain/descriptor.h"
#include "consensus/address.h"
#include "consensus/tx_check.h"
#include "util/hex.h"
#include "util/timeutil.h"

/* ---- Helpers ---- */

/* Takes the lock; NULL (lock released, err set to -28) while loading. */
static struct node_context *lock_node(void *ctx, struct rpc_error *err)
{
    struct node_context *n = ctx;
    pthread_mutex_lock(&n->lock);
    if (!n->chainstate) {
        pthread_mutex_unlock(&n->lock);
        rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
        return NULL;
    }
    return n;
}

static bool unlock_fail(struct node_context *n)
{
    pthread_mutex_unlock(&n->lock);
    return false;
}

/* Core's ParseHashV. */
static bool parse_hash(const json_t *v, const char *name, uint256 *out, struct rpc_error *err)
{
    const char *s = json_string_value(v);
    if (!s)
        return rpc_error_set(err, RPC_TYPE_ERROR,
                             "JSON value of type %s is not of expected type string",
                             rpc_json_type_name(v));
    size_t len = strlen(s);
    bool hex = len > 0;
    for (size_t i = 0; i < len; i++)
        if (hex_digit(s[i]) < 0) hex = false;
    if (len == 64 && hex && uint256_from_hex(out, s)) return true;
    if (len != 64)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "%s must be of length 64 (not %zu, for '%s')", name, len, s);
    return rpc_error_set(err, RPC_INVALID_PARAMETER, "%s must be hexadecimal string (not '%s')",
                         name, s);
}

/* Core's getInt<int>: an integer that fits 32 bits (-1 "JSON integer out of range"). */
static bool is_int32(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
           json_integer_value(v) <= INT32_MAX;
}

static const json_t *param(const json_t *params, size_t i)
{
    const json_t *v = json_array_get(params, i);
    return v && !json_is_null(v) ? v : NULL;
}

static json_t *hash_json(const uint256 *h)
{
    char hex[65];
    uint256_to_hex(hex, h);
    return json_string(hex);
}

/* Core's GetDifficulty: the difficulty-1 target over the target of bits. */
static double difficulty(uint32_t bits)
{
    int shift = (bits >> 24) & 0xff;
    double d = (double)0x0000ffff / (double)(bits & 0x00ffffff ? bits & 0x00ffffff : 1);
    while (shift < 29) {
        d *= 256.0;
        shift++;
    }
    while (shift > 29) {
        d /= 256.0;
        shift--;
    }
    return d;
}

static json_t *target_json(uint32_t bits)
{
    arith256 t;
    bool neg, over;
    arith256_set_compact(&t, bits, &neg, &over);
    char hex[65];
    arith256_to_hex(hex, &t);
    return json_string(hex);
}

static json_t *hex_json(const uint8_t *data, size_t len)
{
    char *s = malloc(2 * len + 1);
    if (!s) return NULL;
    hex_encode(s, data, len);
    json_t *j = json_string(s);
    free(s);
    return j;
}

/* Core's blockheaderToJSON. */
static json_t *header_json(const struct node_context *n, const struct block_index *idx)
{
    const struct active_chain *ac = chainstate_active(n->chainstate);
    bool active = active_chain_contains(ac, idx);
    char buf[16], work[65];
    json_t *o = json_object();
    json_object_set_new(o, "hash", hash_json(&idx->hash));
    json_object_set_new(o, "confirmations",
                        json_integer(active ? active_chain_height(ac) - idx->height + 1 : -1));
    json_object_set_new(o, "height", json_integer(idx->height));
    json_object_set_new(o, "version", json_integer(idx->version));
    snprintf(buf, sizeof buf, "%08x", (uint32_t)idx->version);
    json_object_set_new(o, "versionHex", json_string(buf));
    json_object_set_new(o, "merkleroot", hash_json(&idx->merkle_root));
    json_object_set_new(o, "time", json_integer(idx->time));
    json_object_set_new(o, "mediantime", json_integer(block_index_median_time_past(idx)));
    json_object_set_new(o, "nonce", json_integer(idx->nonce));
    snprintf(buf, sizeof buf, "%08x", idx->bits);
    json_object_set_new(o, "bits", json_string(buf));
    json_object_set_new(o, "target", target_json(idx->bits));
    json_object_set_new(o, "difficulty", json_real(difficulty(idx->bits)));
    arith256_to_hex(work, &idx->chain_work);
    json_object_set_new(o, "chainwork", json_string(work));
    json_object_set_new(o, "nTx", json_integer(idx->tx_count));
    if (idx->prev) json_object_set_new(o, "previousblockhash", hash_json(&idx->prev->hash));
    const struct block_index *next = active ? active_chain_next(ac, idx) : NULL;
    if (next) json_object_set_new(o, "nextblockhash", hash_json(&next->hash));
    return o;
}

/* The block at hash with its data read, or an error (-5 / -1) with the lock held. */
static bool read_block_for_rpc(struct node_context *n, const uint256 *hash,
                               const struct block_index **idx_out, struct block *b,
                               struct rpc_error *err)
{
    const struct block_index *idx = chainstate_lookup(n->chainstate, hash);
    if (!idx) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
    if (!(idx->status & BLOCK_HAVE_DATA))
        return rpc_error_set(err, RPC_MISC_ERROR, "Block not available (not fully downloaded)");
    char e[200];
    if (!chainstate_read_block(n->chainstate, idx, b, e, sizeof e))
        return rpc_error_set(err, RPC_MISC_ERROR, "Block not found on disk");
    *idx_out = idx;
    return true;
}

/* Bytes of blk*.dat and rev*.dat (Core's CalculateCurrentUsage). */
static uint64_t blocks_size_on_disk(const char *datadir)
{
    char dir[4096];
    if (!datadir || snprintf(dir, sizeof dir, "%s/blocks", datadir) >= (int)sizeof dir)
        return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if ((strncmp(e->d_name, "blk", 3) != 0 && strncmp(e->d_name, "rev", 3) != 0) ||
            !strstr(e->d_name, ".dat"))
            continue;
        char path[4352];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0) total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

/* ---- Methods ---- */

/* Core's setmocktime (hidden): the node's wall clock for tests on regtest profiles. */
static bool rpc_setmocktime(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    struct node_context *n = ctx;
    if (!n->params->allow_test_activation)
        return rpc_error_set(err, RPC_MISC_ERROR,
                             "setmocktime is for regression testing (-regtest mode) only");
    const json_t *t = json_array_get(params, 0);
    if (!json_is_integer(t))
        return rpc_error_set(err, RPC_TYPE_ERROR, "JSON value of type %s is not of expected "
                                                  "type number",
                             rpc_json_type_name(t));
    json_int_t v = json_integer_value(t);
    if (v < 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Mocktime cannot be negative: %lld.",
                             (long long)v);
    time_set_mock((int64_t)v);
    *result = json_null();
    return true;
}

static bool rpc_getblockchaininfo(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    (void)params;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    const struct block_index *tip = chainstate_tip(n->chainstate);
    const struct block_index *hdr = chainstate_best_header(n->chainstate);
    bool ibd = node_is_initial_block_download(n);
    char work[65], buf[16];
    arith256_to_hex(work, &tip->chain_work);
    /* No chain-transaction statistics yet: a synced node reports 1, one in initial
     * download the share of time covered. */
    double progress = 1.0;
    int64_t now = n->now ? n->now() : (int64_t)time(NULL);
    if (ibd) {
        const struct block_index *g = active_chain_genesis(chainstate_active(n->chainstate));
        double span = (double)(now - (int64_t)g->time);
        progress = span > 0 ? (double)((int64_t)tip->time - (int64_t)g->time) / span : 0;
        if (progress < 0) progress = 0;
        if (progress > 1) progress = 1;
    }
    json_t *o = json_object();
    json_object_set_new(o, "chain", json_string(n->params->name));
    json_object_set_new(o, "blocks", json_integer(tip->height));
    json_object_set_new(o, "headers", json_integer(hdr ? hdr->height : tip->height));
    json_object_set_new(o, "bestblockhash", hash_json(&tip->hash));
    snprintf(buf, sizeof buf, "%08x", tip->bits);
    json_object_set_new(o, "bits", json_string(buf));
    json_object_set_new(o, "target", target_json(tip->bits));
    json_object_set_new(o, "difficulty", json_real(difficulty(tip->bits)));
    json_object_set_new(o, "time", json_integer(tip->time));
    json_object_set_new(o, "mediantime", json_integer(block_index_median_time_past(tip)));
    json_object_set_new(o, "verificationprogress", json_real(progress));
    json_object_set_new(o, "initialblockdownload", json_boolean(ibd));
    json_object_set_new(o, "chainwork", json_string(work));
    pthread_mutex_unlock(&n->lock);
    json_object_set_new(o, "size_on_disk",
                        json_integer((json_int_t)blocks_size_on_disk(n->datadir)));
    json_object_set_new(o, "pruned", json_false());
    json_object_set_new(o, "warnings", json_array());
    *result = o;
    return true;
}

static bool rpc_getblockcount(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)params;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    *result = json_integer(chainstate_height(n->chainstate));
    pthread_mutex_unlock(&n->lock);
    return true;
}

static bool rpc_getbestblockhash(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    (void)params;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    *result = hash_json(&chainstate_tip(n->chainstate)->hash);
    pthread_mutex_unlock(&n->lock);
    return true;
}

static bool rpc_getdifficulty(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)params;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    *result = json_real(difficulty(chainstate_tip(n->chainstate)->bits));
    pthread_mutex_unlock(&n->lock);
    return true;
}

static bool rpc_getblockhash(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    const json_t *h = json_array_get(params, 0);
    if (!is_int32(h)) return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    json_int_t height = json_integer_value(h);
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    const struct active_chain *ac = chainstate_active(n->chainstate);
    if (height < 0 || height > active_chain_height(ac)) {
        rpc_error_set(err, RPC_INVALID_PARAMETER, "Block height out of range");
        return unlock_fail(n);
    }
    *result = hash_json(&active_chain_at(ac, (int32_t)height)->hash);
    pthread_mutex_unlock(&n->lock);
    return true;
}

static bool rpc_getblockheader(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    uint256 hash;
    if (!parse_hash(json_array_get(params, 0), "hash", &hash, err)) return false;
    const json_t *v = param(params, 1);
    bool verbose = v ? json_is_true(v) : true;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    const struct block_index *idx = chainstate_lookup(n->chainstate, &hash);
    if (!idx) {
        rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return unlock_fail(n);
    }
    if (verbose) {
        *result = header_json(n, idx);
    } else {
        struct block_header h;
        uint8_t raw[BLOCK_HEADER_SIZE];
        block_index_header(idx, &h);
        block_header_to_bytes(raw, &h);
        *result = hex_json(raw, sizeof raw);
    }
    pthread_mutex_unlock(&n->lock);
    return *result != NULL;
}

static void add_undo_details(json_t *t, const struct tx *tx, const struct tx_undo *tu,
                             const struct address_params *ap, bool prevout);

static bool rpc_getblock(void *ctx, const json_t *params, json_t **result,
                         struct rpc_error *err)
{
    uint256 hash;
    if (!parse_hash(json_array_get(params, 0), "blockhash", &hash, err)) return false;
    const json_t *v = param(params, 1);
    json_int_t verbosity = 1;
    if (v) {
        if (json_is_boolean(v))
            verbosity = json_is_true(v) ? 1 : 0;
        else if (is_int32(v))
            verbosity = json_integer_value(v);
        else if (json_is_number(v))
            return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
        else
            return rpc_error_set(err, RPC_TYPE_ERROR,
                                 "JSON value of type %s is not of expected type number",
                                 rpc_json_type_name(v));
    }
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    const struct block_index *idx = NULL;
    struct block b;
    if (!read_block_for_rpc(n, &hash, &idx, &b, err)) return unlock_fail(n);
    if (verbosity <= 0) {
        struct writer w;
        writer_init(&w);
        block_serialize(&w, &b, true);
        *result = w.failed ? NULL : hex_json(w.data, w.len);
        writer_free(&w);
    } else {
        json_t *o = header_json(n, idx);
        json_object_set_new(o, "strippedsize", json_integer((json_int_t)block_size(&b, false)));
        json_object_set_new(o, "size", json_integer((json_int_t)block_size(&b, true)));
        json_object_set_new(o, "weight", json_integer((json_int_t)block_weight(&b)));
        json_t *txs = json_array();
        /* Core's blockToJSON: "fee" (and with verbosity 3 each input's "prevout") when
         * the block's undo data can be read. */
        struct block_undo undo;
        block_undo_init(&undo);
        char ue[200];
        bool have_undo = verbosity >= 2 &&
                         chainstate_read_block_undo(n->chainstate, idx, &undo, ue, sizeof ue) &&
                         undo.count + 1 == b.tx_count;
        for (size_t i = 0; i < b.tx_count; i++) {
            if (verbosity == 1) {
                uint256 txid;
                tx_txid(&b.txs[i], &txid);
                json_array_append_new(txs, hash_json(&txid));
                continue;
            }
            json_t *t = tx_to_json(&b.txs[i], &n->params->addr);
            struct writer w;
            writer_init(&w);
            tx_serialize(&w, &b.txs[i], true);
            if (t && !w.failed) json_object_set_new(t, "hex", hex_json(w.data, w.len));
            writer_free(&w);
            if (t && have_undo && i > 0)
                add_undo_details(t, &b.txs[i], &undo.txundo[i - 1], &n->params->addr,
                                 verbosity >= 3);
            if (t) json_array_append_new(txs, t);
        }
        block_undo_clear(&undo);
        json_object_set_new(o, "tx", txs);
        *result = o;
    }
    pthread_mutex_unlock(&n->lock);
    block_clear(&b);
    if (!*result) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    return true;
}

static int cmp_tips(const void *a, const void *b)
{
    const struct block_index *x = *(const struct block_index *const *)a;
    const struct block_index *y = *(const struct block_index *const *)b;
    if (x->height != y->height) return x->height > y->height ? -1 : 1;
    return uint256_cmp(&x->hash, &y->hash);
}

static bool rpc_getchaintips(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    (void)params;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    struct block_map *m = chainstate_block_map(n->chainstate);
    const struct active_chain *ac = chainstate_active(n->chainstate);
    size_t count = block_map_count(m);
    /* Core: every block that is nobody's parent, plus the active tip. A block is a
     * parent when some entry's prev points at it; mark those through a sorted list. */
    const struct block_index **all = malloc((count ? count : 1) * sizeof *all);
    const struct block_index **parents = malloc((count ? count : 1) * sizeof *parents);
    if (!all || !parents) {
        free(all);
        free(parents);
        rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        return unlock_fail(n);
    }
    size_t na = 0, np = 0, cur = 0;
    struct block_index *e;
    while ((e = block_map_next(m, &cur)) != NULL) {
        if (e->height < 0) continue;
        all[na++] = e;
        if (e->prev) parents[np++] = e->prev;
    }
    qsort(parents, np, sizeof *parents, cmp_tips);
    const struct block_index *tip = active_chain_tip(ac);
    json_t *arr = json_array();
    qsort(all, na, sizeof *all, cmp_tips);
    for (size_t i = 0; i < na; i++) {
        const struct block_index *b = all[i];
        if (b != tip && bsearch(&b, parents, np, sizeof *parents, cmp_tips)) continue;
        const struct block_index *fork = active_chain_find_fork(ac, b);
        const char *status;
        if (active_chain_contains(ac, b))
            status = "active";
        else if (b->status & BLOCK_FAILED_MASK)
            status = "invalid";
        else if (b->chain_tx == 0)
            status = "headers-only";
        else if (block_index_is_valid(b, BLOCK_VALID_SCRIPTS))
            status = "valid-fork";
        else if (block_index_is_valid(b, BLOCK_VALID_TREE))
            status = "valid-headers";
        else
            status = "unknown";
        json_t *o = json_object();
        json_object_set_new(o, "height", json_integer(b->height));
        json_object_set_new(o, "hash", hash_json(&b->hash));
        json_object_set_new(o, "branchlen",
                            json_integer(fork ? b->height - fork->height : b->height));
        json_object_set_new(o, "status", json_string(status));
        json_array_append_new(arr, o);
    }
    pthread_mutex_unlock(&n->lock);
    free(all);
    free(parents);
    *result = arr;
    return true;
}

static bool rpc_getchaintxstats(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    const json_t *nb = param(params, 0);
    const json_t *bh = param(params, 1);
    if (nb && !is_int32(nb))
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    uint256 hash;
    if (bh && !parse_hash(bh, "blockhash", &hash, err)) return false;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    const struct active_chain *ac = chainstate_active(n->chainstate);
    const struct block_index *idx = active_chain_tip(ac);
    if (bh) {
        idx = chainstate_lookup(n->chainstate, &hash);
        if (!idx) {
            rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
            return unlock_fail(n);
        }
        if (!active_chain_contains(ac, idx)) {
            rpc_error_set(err, RPC_INVALID_PARAMETER, "Block is not in main chain");
            return unlock_fail(n);
        }
    }
    int64_t spacing = n->params->pow.target_spacing > 0 ? n->params->pow.target_spacing : 600;
    int64_t blockcount = 30 * 24 * 60 * 60 / spacing;
    if (nb) {
        blockcount = json_integer_value(nb);
        if (blockcount < 0 || (blockcount > 0 && blockcount >= idx->height)) {
            rpc_error_set(
                err, RPC_INVALID_PARAMETER,
                "Invalid block count: should be between 0 and the block's height - 1");
            return unlock_fail(n);
        }
    } else {
        if (blockcount > idx->height - 1) blockcount = idx->height - 1;
        if (blockcount < 0) blockcount = 0;
    }
    const struct block_index *past =
        block_index_ancestor(idx, idx->height - (int32_t)blockcount);
    int64_t interval = (int64_t)idx->time - (int64_t)past->time;
    json_t *o = json_object();
    json_object_set_new(o, "time", json_integer(idx->time));
    if (idx->chain_tx)
        json_object_set_new(o, "txcount", json_integer((json_int_t)idx->chain_tx));
    json_object_set_new(o, "window_final_block_hash", hash_json(&idx->hash));
    json_object_set_new(o, "window_final_block_height", json_integer(idx->height));
    json_object_set_new(o, "window_block_count", json_integer(blockcount));
    if (blockcount > 0) {
        json_object_set_new(o, "window_interval", json_integer(interval));
        if (idx->chain_tx && past->chain_tx) {
            uint64_t wtx = idx->chain_tx - past->chain_tx;
            json_object_set_new(o, "window_tx_count", json_integer((json_int_t)wtx));
            if (interval > 0)
                json_object_set_new(o, "txrate", json_real((double)wtx / (double)interval));
        }
    }
    pthread_mutex_unlock(&n->lock);
    *result = o;
    return true;
}

static bool rpc_gettxout(void *ctx, const json_t *params, json_t **result,
                         struct rpc_error *err)
{
    struct outpoint op;
    if (!parse_hash(json_array_get(params, 0), "txid", &op.hash, err)) return false;
    const json_t *nv = json_array_get(params, 1);
    if (!is_int32(nv)) return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    op.n = (uint32_t)json_integer_value(nv); /* negative: no such output (as Core's cast) */
    const json_t *im = param(params, 2);
    bool include_mempool = im ? json_is_true(im) : true;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    struct coins_cache *coins = chainstate_coins(n->chainstate);
    struct coin c;
    coin_init(&c);
    bool found;
    if (include_mempool && n->mempool) {
        found = !mempool_spender(n->mempool, &op) &&
                mempool_view_get_coin(n->mempool, coins, &op, &c);
    } else {
        const struct coin *cc = coins_cache_get(coins, &op);
        found = cc && coin_copy(&c, cc);
    }
    if (!found) {
        pthread_mutex_unlock(&n->lock);
        *result = json_null();
        return true;
    }
    const struct block_index *tip = chainstate_tip(n->chainstate);
    json_t *o = json_object();
    json_object_set_new(o, "bestblock", hash_json(&tip->hash));
    json_object_set_new(
        o, "confirmations",
        json_integer(c.height == MEMPOOL_HEIGHT ? 0 : tip->height - (int64_t)c.height + 1));
    json_object_set_new(o, "value", amount_to_json(c.out.value));
    json_object_set_new(o, "scriptPubKey",
                        script_to_json(c.out.script_pubkey, c.out.script_pubkey_len,
                                       &n->params->addr, true, true));
    json_object_set_new(o, "coinbase", json_boolean(c.coinbase));
    pthread_mutex_unlock(&n->lock);
    coin_clear(&c);
    *result = o;
    return true;
}

bool chain_verify_blocks(struct chainstate *cs, int level, int nblocks, char *err,
                         size_t errlen)
{
    const struct active_chain *ac = chainstate_active(cs);
    const struct chain_params *p = chainstate_params(cs);
    int32_t height = active_chain_height(ac);
    if (nblocks <= 0 || nblocks > height) nblocks = height;
    (void)level; /* levels 1-4 all check the block context-free; 0 only reads it */
    for (int32_t h = height; h > height - nblocks && h > 0; h--) {
        const struct block_index *idx = active_chain_at(ac, h);
        struct block b;
        char e[200];
        if (!chainstate_read_block(cs, idx, &b, e, sizeof e)) {
            snprintf(err, errlen, "block %d: %s", (int)h, e);
            return false;
        }
        if (level >= 1) {
            uint32_t flags = CHECK_BLOCK_POW | CHECK_BLOCK_MERKLE;
            if (h >= p->activation.segwit_height) flags |= CHECK_BLOCK_WITNESS_COMMITMENT;
            struct block_check_result r;
            if (!check_block(&b, &p->pow.pow_limit, flags, &r)) {
                snprintf(err, errlen, "block %d: %s %s", (int)h, r.reason, r.debug);
                block_clear(&b);
                return false;
            }
        }
        block_clear(&b);
    }
    return true;
}

static bool rpc_verifychain(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    const json_t *lv = param(params, 0), *nb = param(params, 1);
    if ((lv && !is_int32(lv)) || (nb && !is_int32(nb)))
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    json_int_t level = lv ? json_integer_value(lv) : 3;
    json_int_t nblocks = nb ? json_integer_value(nb) : 6;
    if (level < 0 || level > 4)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid checklevel (must be 0-4)");
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    char e[300];
    bool ok =
        chain_verify_blocks(n->chainstate, (int)level,
                            nblocks > INT32_MAX || nblocks < 0 ? 0 : (int)nblocks, e, sizeof e);
    pthread_mutex_unlock(&n->lock);
    *result = json_boolean(ok);
    return true;
}

static bool invalidate_or_reconsider(void *ctx, const json_t *params, json_t **result,
                                     struct rpc_error *err, bool invalidate)
{
    uint256 hash;
    if (!parse_hash(json_array_get(params, 0), "blockhash", &hash, err)) return false;
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    if (!chainstate_lookup(n->chainstate, &hash)) {
        rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        return unlock_fail(n);
    }
    struct validation_state st;
    bool ok = invalidate ? chainstate_invalidate_block(n->chainstate, &hash, &st)
                         : chainstate_reconsider_block(n->chainstate, &hash, &st);
    pthread_mutex_unlock(&n->lock);
    if (!ok) return rpc_error_set(err, RPC_DATABASE_ERROR, "%s", st.reason);
    *result = json_null();
    return true;
}

static bool rpc_invalidateblock(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    return invalidate_or_reconsider(ctx, params, result, err, true);
}

static bool rpc_reconsiderblock(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    return invalidate_or_reconsider(ctx, params, result, err, false);
}

/* ---- Waiting for the tip ---- */

enum wait_kind { WAIT_NEW, WAIT_HEIGHT, WAIT_HASH };

static bool wait_done(struct node_context *n, enum wait_kind kind, const uint256 *start,
                      int64_t height, const uint256 *hash)
{
    const struct block_index *tip = chainstate_tip(n->chainstate);
    switch (kind) {
    case WAIT_NEW: return uint256_cmp(&tip->hash, start) != 0;
    case WAIT_HEIGHT: return tip->height >= height;
    case WAIT_HASH: return uint256_cmp(&tip->hash, hash) == 0;
    }
    return true;
}

static bool wait_for_tip(void *ctx, const json_t *timeout_v, enum wait_kind kind,
                         int64_t height, const uint256 *hash, json_t **result,
                         struct rpc_error *err)
{
    if (timeout_v && !is_int32(timeout_v))
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    json_int_t timeout = timeout_v ? json_integer_value(timeout_v) : 0;
    if (timeout < 0) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Negative timeout");
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    uint256 start = chainstate_tip(n->chainstate)->hash;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(timeout / 1000);
    deadline.tv_nsec += (long)(timeout % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (!n->shutdown_requested && n->chainstate &&
           !wait_done(n, kind, &start, height, hash)) {
        int rc = timeout ? pthread_cond_timedwait(&n->tip_changed, &n->lock, &deadline)
                         : pthread_cond_wait(&n->tip_changed, &n->lock);
        if (rc == ETIMEDOUT) break;
    }
    if (!n->chainstate) {
        pthread_mutex_unlock(&n->lock);
        return rpc_error_set(err, RPC_CLIENT_NOT_CONNECTED, "Shutting down");
    }
    const struct block_index *tip = chainstate_tip(n->chainstate);
    json_t *o = json_object();
    json_object_set_new(o, "hash", hash_json(&tip->hash));
    json_object_set_new(o, "height", json_integer(tip->height));
    pthread_mutex_unlock(&n->lock);
    *result = o;
    return true;
}

static bool rpc_waitfornewblock(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    return wait_for_tip(ctx, param(params, 0), WAIT_NEW, 0, NULL, result, err);
}

static bool rpc_waitforblockheight(void *ctx, const json_t *params, json_t **result,
                                   struct rpc_error *err)
{
    const json_t *h = json_array_get(params, 0);
    if (!is_int32(h)) return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    return wait_for_tip(ctx, param(params, 1), WAIT_HEIGHT, json_integer_value(h), NULL, result,
                        err);
}

static bool rpc_waitforblock(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    uint256 hash;
    if (!parse_hash(json_array_get(params, 0), "blockhash", &hash, err)) return false;
    return wait_for_tip(ctx, param(params, 1), WAIT_HASH, 0, &hash, result, err);
}

/* ---- The table ---- */

#define HELP_HEADER_RESULT                                                                     \
    "  \"hash\" : \"hex\",                 (string) the block hash (same as provided)\n"       \
    "  \"confirmations\" : n,            (numeric) The number of confirmations, or -1 if the " \
    "block is not on the main chain\n"                                                         \
    "  \"height\" : n,                   (numeric) The block height or index\n"                \
    "  \"version\" : n,                  (numeric) The block version\n"                        \
    "  \"versionHex\" : \"hex\",           (string) The block version formatted in "           \
    "hexadecimal\n"                                                                            \
    "  \"merkleroot\" : \"hex\",           (string) The merkle root\n"                         \
    "  \"time\" : xxx,                   (numeric) The block time expressed in UNIX epoch "    \
    "time\n"                                                                                   \
    "  \"mediantime\" : xxx,             (numeric) The median block time expressed in UNIX "   \
    "epoch time\n"                                                                             \
    "  \"nonce\" : n,                    (numeric) The nonce\n"                                \
    "  \"bits\" : \"hex\",                 (string) nBits: compact representation of the "     \
    "block difficulty target\n"                                                                \
    "  \"target\" : \"hex\",               (string) The difficulty target\n"                   \
    "  \"difficulty\" : n,               (numeric) The difficulty\n"                           \
    "  \"chainwork\" : \"hex\",            (string) Expected number of hashes required to "    \
    "produce the current chain\n"                                                              \
    "  \"nTx\" : n,                      (numeric) The number of transactions in the block\n"  \
    "  \"previousblockhash\" : \"hex\",    (string, optional) The hash of the previous block " \
    "(if available)\n"                                                                         \
    "  \"nextblockhash\" : \"hex\"         (string, optional) The hash of the next block (if " \
    "available)\n"

/* ---- UTXO set ---- */

struct utxo_stats {
    struct sha256_ctx hasher; /* hash_serialized_3 */
    bool hash;
    uint64_t txouts, bogosize, transactions;
    int64_t total_amount;
    uint256 last_txid;
    bool any;
};

/* Core's GetBogoSize: a rough per-output size that does not depend on the database. */
static uint64_t bogo_size(const struct coin *c)
{
    return 32 + 4 + 4 + 8 + 2 + (uint64_t)c->out.script_pubkey_len;
}

static bool stats_apply(void *vs, const struct outpoint *op, const struct coin *c)
{
    struct utxo_stats *s = vs;
    if (!s->any || uint256_cmp(&s->last_txid, &op->hash) != 0) s->transactions++;
    s->any = true;
    s->last_txid = op->hash;
    s->txouts++;
    s->bogosize += bogo_size(c);
    s->total_amount += c->out.value;
    if (s->hash) {
        /* Core's TxOutSer: outpoint, height*2 + coinbase (uint32), then the output. */
        struct writer w;
        writer_init_hash(&w, &s->hasher);
        write_bytes(&w, op->hash.b, 32);
        write_u32(&w, op->n);
        write_u32(&w, c->height * 2 + (c->coinbase ? 1 : 0));
        write_i64(&w, c->out.value);
        write_var_bytes(&w, c->out.script_pubkey, c->out.script_pubkey_len);
        writer_free(&w);
    }
    return true;
}

static bool rpc_gettxoutsetinfo(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    const json_t *ht = param(params, 0);
    const char *hash_type = ht ? json_string_value(ht) : "hash_serialized_3";
    if (!hash_type) hash_type = "";
    bool want_hash;
    if (strcmp(hash_type, "hash_serialized_3") == 0)
        want_hash = true;
    else if (strcmp(hash_type, "none") == 0)
        want_hash = false;
    else if (strcmp(hash_type, "muhash") == 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "hash_type muhash is not supported by iopd");
    else
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "%s is not a valid hash_type",
                             hash_type);
    if (param(params, 1))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Querying specific block heights requires coinstatsindex");
    struct node_context *n = lock_node(ctx, err);
    if (!n) return false;
    char e[256];
    struct coins_db *cdb = chainstate_coins_db(n->chainstate, e, sizeof e);
    if (!cdb) {
        pthread_mutex_unlock(&n->lock);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "Unable to read UTXO set: %s", e);
    }
    const struct block_index *tip = chainstate_tip(n->chainstate);
    struct utxo_stats s;
    memset(&s, 0, sizeof s);
    s.hash = want_hash;
    sha256_init(&s.hasher);
    /* Core's HashWriter over TxOutSer of every coin in database order (Core groups a
     * transaction's outputs in numeric order; the database's VARINT keys give the same
     * order below 16512 outputs per transaction). */
    char *ie = NULL;
    bool ok = coins_db_for_each(cdb, stats_apply, &s, &ie);
    uint8_t start = COINS_DB_COIN, end = COINS_DB_COIN + 1;
    uint64_t disk = db_estimate_size(coins_db_handle(cdb), &start, 1, &end, 1);
    json_t *o = NULL;
    if (ok) {
        o = json_object();
        json_object_set_new(o, "height", json_integer(tip->height));
        json_object_set_new(o, "bestblock", hash_json(&tip->hash));
        json_object_set_new(o, "txouts", json_integer((json_int_t)s.txouts));
        json_object_set_new(o, "bogosize", json_integer((json_int_t)s.bogosize));
        if (want_hash) {
            uint256 h;
            sha256_finalize(&s.hasher, h.b);
            sha256(h.b, 32, h.b);
            json_object_set_new(o, "hash_serialized_3", hash_json(&h));
        }
        json_object_set_new(o, "total_amount", amount_to_json(s.total_amount));
        json_object_set_new(o, "transactions", json_integer((json_int_t)s.transactions));
        json_object_set_new(o, "disk_size", json_integer((json_int_t)disk));
    }
    pthread_mutex_unlock(&n->lock);
    if (!ok) {
        rpc_error_set(err, RPC_INTERNAL_ERROR, "Unable to read UTXO set: %s", ie ? ie : "?");
        free(ie);
        return false;
    }
    *result = o;
    return true;
}

/* ---- scantxoutset ----
 *
 * Each scan object is parsed with descriptor_parse and expanded over its range (Core's
 * default [0,1000] for ranged descriptors) into scriptPubKeys, the "needles", kept in an
 * open-addressing hash table; the UTXO database is then walked once. A needle knows its
 * scan object, position and (for combo) which of the position's scripts it is, so the
 * "desc" of a match is only built for matches. It is what Core's InferDescriptor gives
 * for the script with the keys the expansion used:
 *   - addr() and raw() objects: the plain inference (addr(ADDRESS), raw(HEX), pk(KEY),
 *     multi(...), rawtr(KEY)), as decodescript shows it;
 *   - key-based ones: the function with every key as "[fingerprint/path]HEX", where the
 *     fingerprint is the origin's, else that of the extended key or plain key itself,
 *     and the path is the origin path, then the derivation steps and the position, with
 *     "h" for hardened steps (Core 26+); combo gives pk(), pkh(), wpkh() or sh(wpkh());
 *     sortedmulti gives multi() with the keys in script order; tr() the x-only key.
 * The descriptor library exposes scripts but not keys, so the keys are recovered by
 * walking the descriptor text (already validated by descriptor_parse) and expanding
 * pk(KEY) for each one. */

struct scan_object {
    char *body;  /* descriptor text without its checksum */
    bool by_key; /* not addr()/raw() */
};

struct scan_needle {
    uint8_t *script;
    size_t len;
    uint32_t obj, pos;
    uint8_t sub;
};

struct scan_state {
    struct scan_object *objs;
    size_t nobjs;
    struct scan_needle *needles;
    size_t nneedles, cap;
    uint32_t *slots; /* needle index + 1; 0 is an empty slot */
    size_t nslots;   /* a power of two, more than twice nneedles */
    uint64_t scanned;
    json_t *unspents;
    int64_t total;
    struct node_context *n;
    const struct block_index *tip;
    struct address_params ap;
    bool oom;
};

static uint64_t script_hash(const uint8_t *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a: the table holds only our needles */
    for (size_t i = 0; i < len; i++) h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* Slot holding script, or the empty slot where it would go. */
static size_t scan_slot(const struct scan_state *s, const uint8_t *script, size_t len)
{
    size_t mask = s->nslots - 1, i = (size_t)script_hash(script, len) & mask;
    for (;;) {
        uint32_t k = s->slots[i];
        if (k == 0) return i;
        const struct scan_needle *e = &s->needles[k - 1];
        if (e->len == len && memcmp(e->script, script, len) == 0) return i;
        i = (i + 1) & mask;
    }
}

/* Indexes the needles; a script already present keeps its first needle (Core keeps
 * the first scan object's descriptor for a script). */
static bool scan_index(struct scan_state *s)
{
    size_t ns = 16;
    while (ns <= 2 * s->nneedles) ns *= 2;
    s->slots = calloc(ns, sizeof *s->slots);
    if (!s->slots) return false;
    s->nslots = ns;
    for (size_t i = 0; i < s->nneedles; i++) {
        size_t k = scan_slot(s, s->needles[i].script, s->needles[i].len);
        if (s->slots[k] == 0) s->slots[k] = (uint32_t)(i + 1);
    }
    return true;
}

static bool scan_add_needle(struct scan_state *s, struct descriptor_script *sc, uint32_t obj,
                            uint32_t pos, uint8_t sub)
{
    if (s->nneedles == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        struct scan_needle *nv = realloc(s->needles, nc * sizeof *nv);
        if (!nv) return false;
        s->needles = nv;
        s->cap = nc;
    }
    struct scan_needle *e = &s->needles[s->nneedles++];
    e->script = sc->data; /* taken over from the expansion */
    e->len = sc->len;
    sc->data = NULL;
    sc->len = 0;
    e->obj = obj;
    e->pos = pos;
    e->sub = sub;
    return true;
}

static void scan_state_clear(struct scan_state *s)
{
    for (size_t i = 0; i < s->nobjs; i++) free(s->objs[i].body);
    free(s->objs);
    for (size_t i = 0; i < s->nneedles; i++) free(s->needles[i].script);
    free(s->needles);
    free(s->slots);
    json_decref(s->unspents);
}

/* A growing string; oom latches. */
struct sbuild {
    char *s;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuild *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(struct sbuild *b, const char *s) { sb_add(b, s, strlen(s)); }

/* The public key KEY (text of n bytes, no origin) gives at pos: the pushed key of
 * pk(KEY) expanded there. */
static bool key_pub_at(const char *key, size_t n, uint32_t pos, const struct address_params *ap,
                       uint8_t pub[65], size_t *len)
{
    char *text = malloc(n + 5);
    if (!text) return false;
    memcpy(text, "pk(", 3);
    memcpy(text + 3, key, n);
    memcpy(text + 3 + n, ")", 2);
    char e[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, ap, e);
    free(text);
    if (!d) return false;
    struct descriptor_scripts sc = {0};
    bool ok = descriptor_expand(d, pos, &sc, e);
    descriptor_free(d);
    ok = ok && sc.count == 1 && sc.items[0].len >= 2 &&
         sc.items[0].len - 2 == sc.items[0].data[0] &&
         (sc.items[0].data[0] == 33 || sc.items[0].data[0] == 65);
    if (ok) {
        *len = sc.items[0].data[0];
        memcpy(pub, sc.items[0].data + 1, *len);
    }
    descriptor_scripts_clear(&sc);
    return ok;
}

/* Appends the path steps of text (such as "/1/2h/3'", n bytes, maybe ending in a '*'
 * step) to b in Core's normalized form, the '*' step becoming pos. */
static void path_steps(struct sbuild *b, const char *p, size_t n, uint32_t pos)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && p[j] != '/') j++;
        const char *step = p + i + 1;
        size_t len = j - i - 1;
        bool hard =
            len > 0 && (step[len - 1] == '\'' || step[len - 1] == 'h' || step[len - 1] == 'H');
        if (hard) len--;
        sb_add(b, "/", 1);
        if (len == 1 && step[0] == '*') {
            char num[16];
            snprintf(num, sizeof num, "%" PRIu32, pos);
            sb_str(b, num);
        } else {
            sb_add(b, step, len);
        }
        if (hard) sb_add(b, "h", 1);
        i = j;
    }
}

/* A resolved key of a match: its public key and "[origin]" text. */
struct scan_key {
    uint8_t pub[65];
    size_t len;
    struct sbuild text;
};

/* Resolves key expression s (n bytes, validated) at pos into k (text: "[fp/path]HEX",
 * x-only HEX when xonly). */
static bool scan_resolve_key(const char *s, size_t n, uint32_t pos, bool xonly,
                             const struct address_params *ap, struct scan_key *k)
{
    const char *fp = NULL, *opath = NULL;
    size_t opath_len = 0;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close || close - s < 9) return false;
        fp = s + 1;
        opath = s + 9;
        opath_len = (size_t)(close - opath);
        n -= (size_t)(close + 1 - s);
        s = close + 1;
    }
    size_t base_len = 0;
    while (base_len < n && s[base_len] != '/') base_len++;
    uint8_t base_pub[65];
    size_t base_publen;
    bool hex64 = base_len == 64;
    for (size_t i = 0; hex64 && i < 64; i++) hex64 = hex_digit(s[i]) >= 0;
    if (hex64) { /* an x-only key inside tr(): no derivation */
        base_pub[0] = 2;
        if (!hex_decode(base_pub + 1, 32, &base_publen, s, 64)) return false;
        base_publen = 33;
    } else if (!key_pub_at(s, base_len, 0, ap, base_pub, &base_publen)) {
        return false;
    }
    if (base_len == n) {
        memcpy(k->pub, base_pub, base_publen);
        k->len = base_publen;
    } else if (!key_pub_at(s, n, pos, ap, k->pub, &k->len)) {
        return false;
    }
    char hex[131];
    sb_add(&k->text, "[", 1);
    if (fp) {
        for (size_t i = 0; i < 8; i++) hex[i] = (char)tolower((unsigned char)fp[i]);
        sb_add(&k->text, hex, 8);
        path_steps(&k->text, opath, opath_len, pos);
    } else {
        uint8_t h[20];
        hash160(base_pub, base_publen, h);
        hex_encode(hex, h, 4);
        sb_add(&k->text, hex, 8);
    }
    path_steps(&k->text, s + base_len, n - base_len, pos);
    sb_add(&k->text, "]", 1);
    if (xonly)
        hex_encode(hex, k->pub + 1, 32);
    else
        hex_encode(hex, k->pub, k->len);
    sb_str(&k->text, hex);
    return !k->text.oom;
}

static int cmp_scan_key(const void *a, const void *b)
{
    const struct scan_key *x = a, *y = b;
    int c = memcmp(x->pub, y->pub, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

/* Splits args (n bytes) at the commas outside brackets and parentheses. */
static size_t split_top(const char *s, size_t n, const char **starts, size_t *lens, size_t cap)
{
    size_t count = 0, depth = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (s[i] == ',' && depth == 0)) {
            if (count == cap) return cap + 1;
            starts[count] = s + start;
            lens[count++] = i - start;
            start = i + 1;
        } else if (s[i] == '(' || s[i] == '[' || s[i] == '{') {
            depth++;
        } else if ((s[i] == ')' || s[i] == ']' || s[i] == '}') && depth > 0) {
            depth--;
        }
    }
    return count;
}

/* Appends to b the inferred descriptor of the node s (n bytes) at pos; sub picks
 * combo's script. */
static bool scan_infer_node(struct sbuild *b, const char *s, size_t n, uint32_t pos,
                            unsigned sub, const struct address_params *ap)
{
    const char *open = memchr(s, '(', n);
    if (!open || n < 3 || s[n - 1] != ')') return false;
    size_t name_len = (size_t)(open - s);
    const char *args = open + 1;
    size_t alen = n - name_len - 2;
#define NAME_IS(lit) (name_len == sizeof(lit) - 1 && memcmp(s, lit, name_len) == 0)
    if (NAME_IS("sh") || NAME_IS("wsh")) {
        sb_add(b, s, name_len + 1);
        if (!scan_infer_node(b, args, alen, pos, sub, ap)) return false;
        sb_add(b, ")", 1);
        return true;
    }
    if (NAME_IS("multi") || NAME_IS("sortedmulti")) {
        const char *starts[17];
        size_t lens[17];
        size_t c = split_top(args, alen, starts, lens, 17);
        if (c < 2 || c > 17) return false;
        struct scan_key keys[16];
        memset(keys, 0, sizeof keys);
        bool ok = true;
        for (size_t i = 1; ok && i < c; i++)
            ok = scan_resolve_key(starts[i], lens[i], pos, false, ap, &keys[i - 1]);
        if (ok && NAME_IS("sortedmulti")) qsort(keys, c - 1, sizeof keys[0], cmp_scan_key);
        if (ok) {
            sb_str(b, "multi(");
            sb_add(b, starts[0], lens[0]);
            for (size_t i = 0; i + 1 < c; i++) {
                sb_add(b, ",", 1);
                sb_str(b, keys[i].text.s);
            }
            sb_add(b, ")", 1);
        }
        for (size_t i = 0; i < 16; i++) free(keys[i].text.s);
        return ok;
    }
    const char *fn;
    const char *close = ")";
    if (NAME_IS("combo")) {
        static const char *const forms[] = {"pk(", "pkh(", "wpkh(", "sh(wpkh("};
        if (sub > 3) return false;
        fn = forms[sub];
        if (sub == 3) close = "))";
    } else if (NAME_IS("pk")) {
        fn = "pk(";
    } else if (NAME_IS("pkh")) {
        fn = "pkh(";
    } else if (NAME_IS("wpkh")) {
        fn = "wpkh(";
    } else if (NAME_IS("tr")) {
        fn = "tr(";
    } else {
        return false;
    }
    struct scan_key k;
    memset(&k, 0, sizeof k);
    bool ok = scan_resolve_key(args, alen, pos, NAME_IS("tr"), ap, &k);
#undef NAME_IS
    if (ok) {
        sb_str(b, fn);
        sb_str(b, k.text.s);
        sb_str(b, close);
    }
    free(k.text.s);
    return ok;
}

/* The "desc" of a coin matching needle e (new string with checksum, NULL on failure). */
static char *scan_desc(const struct scan_state *s, const struct scan_needle *e)
{
    const struct scan_object *o = &s->objs[e->obj];
    if (!o->by_key) return script_infer_descriptor(e->script, e->len, &s->ap);
    struct sbuild b = {0};
    char ck[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (!scan_infer_node(&b, o->body, strlen(o->body), e->pos, e->sub, &s->ap) || b.oom ||
        !descriptor_checksum(ck, b.s)) {
        free(b.s);
        return NULL;
    }
    sb_add(&b, "#", 1);
    sb_str(&b, ck);
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static bool scan_apply(void *vs, const struct outpoint *op, const struct coin *c)
{
    struct scan_state *s = vs;
    s->scanned++;
    if (s->nneedles == 0) return true;
    uint32_t k = s->slots[scan_slot(s, c->out.script_pubkey, c->out.script_pubkey_len)];
    if (k == 0) return true;
    char *desc = scan_desc(s, &s->needles[k - 1]);
    json_t *u = json_object();
    if (!desc || !u) {
        free(desc);
        json_decref(u);
        s->oom = true;
        return false;
    }
    json_object_set_new(u, "txid", hash_json(&op->hash));
    json_object_set_new(u, "vout", json_integer(op->n));
    json_object_set_new(u, "scriptPubKey",
                        hex_json(c->out.script_pubkey, c->out.script_pubkey_len));
    json_object_set_new(u, "desc", json_string(desc));
    free(desc);
    json_object_set_new(u, "amount", amount_to_json(c->out.value));
    json_object_set_new(u, "coinbase", json_boolean(c->coinbase));
    json_object_set_new(u, "height", json_integer(c->height));
    const struct block_index *b =
        active_chain_at(chainstate_active(s->n->chainstate), (int32_t)c->height);
    if (b) json_object_set_new(u, "blockhash", hash_json(&b->hash));
    json_object_set_new(u, "confirmations",
                        json_integer((json_int_t)s->tip->height - c->height + 1));
    json_array_append_new(s->unspents, u);
    s->total += c->out.value;
    return true;
}

/* Core's EvalDescriptorStringOrObject: parses scan object v (a descriptor string or
 * {"desc", "range"}) and adds the needles of every position in its range. */
static bool scan_add_object(struct scan_state *s, const json_t *v, struct rpc_error *err)
{
    const char *text;
    int64_t begin = 0, end = 1000;
    if (json_is_string(v)) {
        text = json_string_value(v);
    } else if (json_is_object(v)) {
        const json_t *d = json_object_get(v, "desc");
        if (!d || json_is_null(d))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Descriptor needs to be provided in scan object");
        if (!json_is_string(d))
            return rpc_error_set(err, RPC_TYPE_ERROR,
                                 "JSON value of type %s is not of expected type string",
                                 rpc_json_type_name(d));
        text = json_string_value(d);
        const json_t *r = json_object_get(v, "range");
        if (r && !json_is_null(r) && !descriptor_parse_range(r, &begin, &end, err))
            return false;
    } else {
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Scan object needs to be either a string or an object");
    }
    char e[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, &s->ap, e);
    if (!d) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", e);
    if (!descriptor_is_range(d)) begin = end = 0;
    const char *hash = strchr(text, '#');
    size_t body_len = hash ? (size_t)(hash - text) : strlen(text);
    struct scan_object *o = &s->objs[s->nobjs];
    o->body = malloc(body_len + 1);
    if (!o->body) {
        descriptor_free(d);
        return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    memcpy(o->body, text, body_len);
    o->body[body_len] = '\0';
    o->by_key = descriptor_is_solvable(d);
    uint32_t obj = (uint32_t)s->nobjs++;
    bool ok = true;
    for (int64_t pos = begin; ok && pos <= end; pos++) {
        struct descriptor_scripts sc = {0};
        if (!descriptor_expand(d, (uint32_t)pos, &sc, e)) {
            ok = rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                               "Cannot derive script without private keys: '%s'", text);
            break;
        }
        for (size_t i = 0; ok && i < sc.count; i++)
            if (!scan_add_needle(s, &sc.items[i], obj, (uint32_t)pos, (uint8_t)i))
                ok = rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        descriptor_scripts_clear(&sc);
    }
    descriptor_free(d);
    return ok;
}

static bool rpc_scantxoutset(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    const char *action = json_string_value(json_array_get(params, 0));
    if (!action) action = "";
    /* Scans run to completion under the lock, so there is never one to report on. */
    if (strcmp(action, "status") == 0) {
        *result = json_null();
        return true;
    }
    if (strcmp(action, "abort") == 0) {
        *result = json_false();
        return true;
    }
    if (strcmp(action, "start") != 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid action '%s'", action);
    const json_t *objs = param(params, 1);
    if (!objs)
        return rpc_error_set(err, RPC_MISC_ERROR,
                             "scanobjects argument is required for the start action");
    if (!json_is_array(objs))
        return rpc_error_set(err, RPC_TYPE_ERROR,
                             "JSON value of type %s is not of expected type array",
                             rpc_json_type_name(objs));
    /* The profile is read under the lock (it is set when the chainstate opens). */
    struct node_context *nc = lock_node(ctx, err);
    if (!nc) return false;
    struct scan_state s;
    memset(&s, 0, sizeof s);
    s.ap = nc->params->addr;
    pthread_mutex_unlock(&nc->lock);
    size_t count = json_array_size(objs);
    s.objs = calloc(count ? count : 1, sizeof *s.objs);
    bool ok = s.objs != NULL;
    if (!ok) rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    for (size_t i = 0; ok && i < count; i++)
        ok = scan_add_object(&s, json_array_get(objs, i), err);
    if (ok && !scan_index(&s)) ok = rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    json_t *o = NULL;
    struct node_context *n = ok ? lock_node(ctx, err) : NULL;
    if (n) {
        char e[256];
        struct coins_db *cdb = chainstate_coins_db(n->chainstate, e, sizeof e);
        char *ie = NULL;
        s.n = n;
        s.tip = chainstate_tip(n->chainstate);
        s.unspents = json_array();
        if (!s.unspents) {
            ok = rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        } else if (!cdb) {
            ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "Unable to read UTXO set: %s", e);
        } else if (!coins_db_for_each(cdb, scan_apply, &s, &ie)) {
            ok = rpc_error_set(err, RPC_INTERNAL_ERROR, "Unable to read UTXO set: %s",
                               ie ? ie : "?");
            free(ie);
        } else if (s.oom) { /* scan_apply stopped the walk */
            ok = rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        }
        if (ok) {
            o = json_object();
            json_object_set_new(o, "success", json_true());
            json_object_set_new(o, "txouts", json_integer((json_int_t)s.scanned));
            json_object_set_new(o, "height", json_integer(s.tip->height));
            json_object_set_new(o, "bestblock", hash_json(&s.tip->hash));
            json_object_set_new(o, "unspents", s.unspents);
            s.unspents = NULL;
            json_object_set_new(o, "total_amount", amount_to_json(s.total));
        }
        pthread_mutex_unlock(&n->lock);
    } else {
        ok = false;
    }
    scan_state_clear(&s);
    if (!ok) return false;
    *result = o;
    return true;
}

/* ---- Transactions with their spent outputs ---- */

/* Adds Core's TxToUniv undo details to t (tx_to_json's object for tx): each input's
 * "prevout" (with prevout, placed before "sequence" as Core does) and "fee". */
static void add_undo_details(json_t *t, const struct tx *tx, const struct tx_undo *tu,
                             const struct address_params *ap, bool prevout)
{
    int64_t in = 0, out = 0;
    json_t *vin = json_object_get(t, "vin");
    for (size_t i = 0; i < tx->vin_count && i < tu->count; i++) {
        const struct coin *c = &tu->prevout[i];
        in += c->out.value;
        if (!prevout) continue;
        json_t *e = json_array_get(vin, i);
        if (!e) continue;
        json_t *seq = json_object_get(e, "sequence");
        if (seq) json_incref(seq);
        json_object_del(e, "sequence");
        json_t *p = json_object();
        json_object_set_new(p, "generated", json_boolean(c->coinbase));
        json_object_set_new(p, "height", json_integer(c->height));
        json_object_set_new(p, "value", amount_to_json(c->out.value));
        json_object_set_new(
            p, "scriptPubKey",
            script_to_json(c->out.script_pubkey, c->out.script_pubkey_len, ap, true, true));
        json_object_set_new(e, "prevout", p);
        if (seq) json_object_set_new(e, "sequence", seq);
    }
    for (size_t i = 0; i < tx->vout_count; i++) out += tx->vout[i].value;
    json_t *hex = json_object_get(t, "hex");
    if (hex) json_incref(hex);
    json_object_del(t, "hex");
    json_object_set_new(t, "fee", amount_to_json(in - out));
    if (hex) json_object_set_new(t, "hex", hex);
}

static const struct rpc_method methods[] = {
    {"setmocktime",
     "hidden",
     rpc_setmocktime,
     {{"timestamp", RPC_ARG_NUM, false}},
     "setmocktime timestamp\n"
     "\n"
     "Set the local time to given timestamp (-regtest only)\n"
     "\n"
     "Arguments:\n"
     "1. timestamp    (numeric, required) UNIX seconds timestamp to set the local clock to.\n"
     "                Pass 0 to go back to using the system time.\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"},
    {"getblockchaininfo",
     "blockchain",
     rpc_getblockchaininfo,
     {{0}},
     "getblockchaininfo\n\n"
     "Returns an object containing various state info regarding blockchain processing.\n\n"
     "Result:\n"
     "{                                         (json object)\n"
     "  \"chain\" : \"str\",                       (string) current network name (main, test, "
     "regtest, btc-main, btc-regtest)\n"
     "  \"blocks\" : n,                          (numeric) the height of the most-work fully-"
     "validated chain. The genesis block has height 0\n"
     "  \"headers\" : n,                         (numeric) the current number of headers we "
     "have validated\n"
     "  \"bestblockhash\" : \"str\",               (string) the hash of the currently best "
     "block\n"
     "  \"bits\" : \"hex\",                        (string) nBits: compact representation of "
     "the "
     "block difficulty target\n"
     "  \"target\" : \"hex\",                      (string) The difficulty target\n"
     "  \"difficulty\" : n,                      (numeric) the current difficulty\n"
     "  \"time\" : xxx,                          (numeric) The block time expressed in UNIX "
     "epoch time\n"
     "  \"mediantime\" : xxx,                    (numeric) The median block time expressed in "
     "UNIX epoch time\n"
     "  \"verificationprogress\" : n,            (numeric) estimate of verification progress "
     "[0..1]\n"
     "  \"initialblockdownload\" : true|false,   (boolean) (debug information) estimate of "
     "whether this node is in Initial Block Download mode\n"
     "  \"chainwork\" : \"hex\",                   (string) total amount of work in active "
     "chain, "
     "in hexadecimal\n"
     "  \"size_on_disk\" : n,                    (numeric) the estimated size of the block and "
     "undo files on disk\n"
     "  \"pruned\" : true|false,                 (boolean) if the blocks are subject to "
     "pruning\n"
     "  \"warnings\" : [                         (json array) any network and blockchain "
     "warnings\n"
     "    \"str\",                               (string) warning\n"
     "    ...\n"
     "  ]\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli getblockchaininfo\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"getblockchaininfo\", \"params\": []}' -H 'content-type: application/json' "
     "http://127.0.0.1:8337/"},
    {"getblockcount",
     "blockchain",
     rpc_getblockcount,
     {{0}},
     "getblockcount\n\n"
     "Returns the height of the most-work fully-validated chain.\n"
     "The genesis block has height 0.\n\n"
     "Result:\n"
     "n    (numeric) The current block count\n\n"
     "Examples:\n"
     "> iop-cli getblockcount\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"getblockcount\", \"params\": []}' -H 'content-type: application/json' "
     "http://127.0.0.1:8337/"},
    {"getbestblockhash",
     "blockchain",
     rpc_getbestblockhash,
     {{0}},
     "getbestblockhash\n\n"
     "Returns the hash of the best (tip) block in the most-work fully-validated chain.\n\n"
     "Result:\n"
     "\"hex\"    (string) the block hash, hex-encoded\n\n"
     "Examples:\n"
     "> iop-cli getbestblockhash"},
    {"getblockhash",
     "blockchain",
     rpc_getblockhash,
     {{"height", RPC_ARG_NUM, false}},
     "getblockhash height\n\n"
     "Returns hash of block in best-block-chain at height provided.\n\n"
     "Arguments:\n"
     "1. height    (numeric, required) The height index\n\n"
     "Result:\n"
     "\"hex\"    (string) The block hash\n\n"
     "Examples:\n"
     "> iop-cli getblockhash 1000"},
    {"getblock",
     "blockchain",
     rpc_getblock,
     {{"blockhash", RPC_ARG_STR, false}, {"verbosity", RPC_ARG_ANY, true}},
     "getblock \"blockhash\" ( verbosity )\n\n"
     "If verbosity is 0, returns a string that is serialized, hex-encoded data for block "
     "'hash'.\n"
     "If verbosity is 1, returns an Object with information about block <hash>.\n"
     "If verbosity is 2, returns an Object with information about block <hash> and "
     "information about each transaction.\n"
     "If verbosity is 3, returns an Object with information about block <hash> and "
     "information about each transaction, including prevout information for inputs (only "
     "for unpruned blocks in the current best chain).\n\n"
     "Arguments:\n"
     "1. blockhash    (string, required) The block hash\n"
     "2. verbosity    (numeric, optional, default=1) 0 for hex-encoded data, 1 for a JSON "
     "object, 2 for JSON object with transaction data, and 3 for JSON object with "
     "transaction data including prevout information for inputs\n\n"
     "Result (for verbosity = 0):\n"
     "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'\n\n"
     "Result (for verbosity = 1):\n"
     "{                                 (json object)\n" HELP_HEADER_RESULT
     "  \"strippedsize\" : n,             (numeric) The block size excluding witness data\n"
     "  \"size\" : n,                     (numeric) The block size\n"
     "  \"weight\" : n,                   (numeric) The block weight as defined in BIP 141\n"
     "  \"tx\" : [                        (json array) The transaction ids\n"
     "    \"hex\",                        (string) The transaction id\n"
     "    ...\n"
     "  ]\n"
     "}\n\n"
     "Result (for verbosity = 2):\n"
     "{             (json object)\n"
     "  ...,        Same output as verbosity = 1\n"
     "  \"tx\" : [    (json array)\n"
     "    {         (json object)\n"
     "      ...     The transactions in the format of the decoderawtransaction RPC, and "
     "\"hex\", the serialized transaction\n"
     "    },\n"
     "    ...\n"
     "  ]\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli getblock "
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"\n"
     "> iop-cli getblock "
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\" 2"},
    {"getblockheader",
     "blockchain",
     rpc_getblockheader,
     {{"blockhash", RPC_ARG_STR, false}, {"verbose", RPC_ARG_BOOL, true}},
     "getblockheader \"blockhash\" ( verbose )\n\n"
     "If verbose is false, returns a string that is serialized, hex-encoded data for "
     "blockheader 'hash'.\n"
     "If verbose is true, returns an Object with information about blockheader <hash>.\n\n"
     "Arguments:\n"
     "1. blockhash    (string, required) The block hash\n"
     "2. verbose      (boolean, optional, default=true) true for a json object, false for the "
     "hex-encoded data\n\n"
     "Result (for verbose = true):\n"
     "{                                 (json object)\n" HELP_HEADER_RESULT "}\n\n"
     "Result (for verbose=false):\n"
     "\"hex\"    (string) A string that is serialized, hex-encoded data for block 'hash'\n\n"
     "Examples:\n"
     "> iop-cli getblockheader "
     "\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\""},
    {"getchaintips",
     "blockchain",
     rpc_getchaintips,
     {{0}},
     "getchaintips\n\n"
     "Return information about all known tips in the block tree, including the main chain "
     "as well as orphaned branches.\n\n"
     "Result:\n"
     "[                        (json array)\n"
     "  {                      (json object)\n"
     "    \"height\" : n,        (numeric) height of the chain tip\n"
     "    \"hash\" : \"hex\",      (string) block hash of the tip\n"
     "    \"branchlen\" : n,     (numeric) zero for main chain, otherwise length of branch "
     "connecting the tip to the main chain\n"
     "    \"status\" : \"str\"     (string) status of the chain, \"active\" for the main "
     "chain\n"
     "                         Possible values for status:\n"
     "                         1.  \"invalid\"               This branch contains at least "
     "one invalid block\n"
     "                         2.  \"headers-only\"          Not all blocks for this branch "
     "are available, but the headers are valid\n"
     "                         3.  \"valid-headers\"         All blocks are available for "
     "this branch, but they were never fully validated\n"
     "                         4.  \"valid-fork\"            This branch is not part of the "
     "active chain, but is fully validated\n"
     "                         5.  \"active\"                This is the tip of the active "
     "main chain, which is certainly valid\n"
     "  },\n"
     "  ...\n"
     "]\n\n"
     "Examples:\n"
     "> iop-cli getchaintips"},
    {"getdifficulty",
     "blockchain",
     rpc_getdifficulty,
     {{0}},
     "getdifficulty\n\n"
     "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.\n\n"
     "Result:\n"
     "n    (numeric) the proof-of-work difficulty as a multiple of the minimum difficulty.\n\n"
     "Examples:\n"
     "> iop-cli getdifficulty"},
    {"getchaintxstats",
     "blockchain",
     rpc_getchaintxstats,
     {{"nblocks", RPC_ARG_NUM, true}, {"blockhash", RPC_ARG_STR, true}},
     "getchaintxstats ( nblocks \"blockhash\" )\n\n"
     "Compute statistics about the total number and rate of transactions in the chain.\n\n"
     "Arguments:\n"
     "1. nblocks      (numeric, optional, default=one month) Size of the window in number of "
     "blocks\n"
     "2. blockhash    (string, optional, default=chain tip) The hash of the block that ends "
     "the window.\n\n"
     "Result:\n"
     "{                                       (json object)\n"
     "  \"time\" : xxx,                         (numeric) The timestamp for the final block in "
     "the window, expressed in UNIX epoch time\n"
     "  \"txcount\" : n,                        (numeric, optional) The total number of "
     "transactions in the chain up to that point, if known\n"
     "  \"window_final_block_hash\" : \"hex\",    (string) The hash of the final block in the "
     "window\n"
     "  \"window_final_block_height\" : n,      (numeric) The height of the final block in "
     "the window.\n"
     "  \"window_block_count\" : n,             (numeric) Size of the window in number of "
     "blocks\n"
     "  \"window_interval\" : n,                (numeric, optional) The elapsed time in the "
     "window in seconds. Only returned if \"window_block_count\" is > 0\n"
     "  \"window_tx_count\" : n,                (numeric, optional) The number of "
     "transactions in the window. Only returned if \"window_block_count\" is > 0\n"
     "  \"txrate\" : n                          (numeric, optional) The average rate of "
     "transactions per second in the window. Only returned if \"window_interval\" is > 0\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli getchaintxstats\n"
     "> iop-cli getchaintxstats 2016"},
    {"gettxout",
     "blockchain",
     rpc_gettxout,
     {{"txid", RPC_ARG_STR, false},
      {"n", RPC_ARG_NUM, false},
      {"include_mempool", RPC_ARG_BOOL, true}},
     "gettxout \"txid\" n ( include_mempool )\n\n"
     "Returns details about an unspent transaction output.\n\n"
     "Arguments:\n"
     "1. txid               (string, required) The transaction id\n"
     "2. n                  (numeric, required) vout number\n"
     "3. include_mempool    (boolean, optional, default=true) Whether to include the "
     "mempool. Note that an unspent output that is spent in the mempool won't appear.\n\n"
     "Result (If the UTXO was not found):\n"
     "null    (json null)\n\n"
     "Result (Otherwise):\n"
     "{                             (json object)\n"
     "  \"bestblock\" : \"hex\",        (string) The hash of the block at the tip of the "
     "chain\n"
     "  \"confirmations\" : n,        (numeric) The number of confirmations\n"
     "  \"value\" : n,                (numeric) The transaction value in IOP\n"
     "  \"scriptPubKey\" : {          (json object)\n"
     "    \"asm\" : \"str\",            (string) Disassembly of the output script\n"
     "    \"desc\" : \"str\",           (string) Inferred descriptor for the output\n"
     "    \"hex\" : \"hex\",            (string) The raw output script bytes, hex-encoded\n"
     "    \"address\" : \"str\",        (string, optional) The IoP address (only if a "
     "well-defined address exists)\n"
     "    \"type\" : \"str\"            (string) The type, eg pubkeyhash\n"
     "  },\n"
     "  \"coinbase\" : true|false     (boolean) Coinbase or not\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli gettxout \"mytxid\" 1"},
    {"gettxoutsetinfo",
     "blockchain",
     rpc_gettxoutsetinfo,
     {{"hash_type", RPC_ARG_STR, true},
      {"hash_or_height", RPC_ARG_ANY, true},
      {"use_index", RPC_ARG_BOOL, true}},
     "gettxoutsetinfo ( \"hash_type\" hash_or_height use_index )\n\n"
     "Returns statistics about the unspent transaction output set.\n"
     "Note this call may take some time.\n\n"
     "Arguments:\n"
     "1. hash_type         (string, optional, default=\"hash_serialized_3\") Which UTXO set "
     "hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), "
     "'none' ('muhash' is not supported by iopd).\n"
     "2. hash_or_height    (string or numeric, optional) Not supported without "
     "coinstatsindex (iopd has none): must be omitted.\n"
     "3. use_index         (boolean, optional, default=true) Ignored (iopd has no "
     "coinstatsindex).\n\n"
     "Result:\n"
     "{                                     (json object)\n"
     "  \"height\" : n,                       (numeric) The block height (index) of the "
     "returned statistics\n"
     "  \"bestblock\" : \"hex\",                (string) The hash of the block at which "
     "these statistics are calculated\n"
     "  \"txouts\" : n,                       (numeric) The number of unspent transaction "
     "outputs\n"
     "  \"bogosize\" : n,                     (numeric) Database-independent, meaningless "
     "metric indicating the UTXO set size\n"
     "  \"hash_serialized_3\" : \"hex\",        (string, optional) The serialized hash (only "
     "present if 'hash_serialized_3' hash_type is chosen)\n"
     "  \"total_amount\" : n,                 (numeric) The total amount of coins in the "
     "UTXO set\n"
     "  \"transactions\" : n,                 (numeric) The number of transactions with "
     "unspent outputs\n"
     "  \"disk_size\" : n                     (numeric) The estimated size of the chainstate "
     "on disk\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli gettxoutsetinfo\n"
     "> iop-cli gettxoutsetinfo \"none\""},
    {"scantxoutset",
     "blockchain",
     rpc_scantxoutset,
     {{"action", RPC_ARG_STR, false}, {"scanobjects", RPC_ARG_ANY, true}},
     "scantxoutset \"action\" ( [scanobjects,...] )\n\n"
     "Scans the unspent transaction output set for entries that match certain output "
     "descriptors.\n"
     "Examples of output descriptors are:\n"
     "    addr(<address>)                      Outputs whose output script corresponds to "
     "the specified address (does not include P2PK)\n"
     "    raw(<hex script>)                    Outputs whose output script equals the "
     "specified hex-encoded bytes\n"
     "    combo(<pubkey>)                      P2PK, P2PKH, P2WPKH, and P2SH-P2WPKH outputs "
     "for the given pubkey\n"
     "    pkh(<pubkey>)                        P2PKH outputs for the given pubkey\n"
     "    sh(multi(<n>,<pubkey>,<pubkey>,...)) P2SH-multisig outputs for the given "
     "threshold and pubkeys\n"
     "    tr(<pubkey>)                         P2TR (key path only)\n"
     "\n"
     "In the above, <pubkey> either refers to a fixed public key in hexadecimal notation, "
     "or to an xpub/xprv optionally followed by one\n"
     "or more path elements separated by \"/\", and optionally ending in \"/*\" "
     "(unhardened), or \"/*'\" or \"/*h\" (hardened) to specify all\n"
     "unhardened or hardened child keys.\n"
     "In the latter case, a range needs to be specified by below if different from 1000.\n"
     "For more information on output descriptors, see doc/rpc.md.\n"
     "A scan runs to completion while it holds the chain lock, so \"status\" always "
     "returns null and \"abort\" false.\n\n"
     "Arguments:\n"
     "1. action        (string, required) The action to execute\n"
     "                  \"start\" for starting a scan\n"
     "                  \"abort\" for aborting the current scan (returns true when abort "
     "was successful)\n"
     "                  \"status\" for progress report (in %) of the current scan\n"
     "2. scanobjects   (json array, optional) Array of scan objects. Required for "
     "\"start\" action\n"
     "                  Every scan object is either a string descriptor or an object:\n"
     "     [\n"
     "       \"descriptor\",             (string) An output descriptor\n"
     "       {                        (json object) An object with output descriptor and "
     "metadata\n"
     "         \"desc\": \"str\",         (string, required) An output descriptor\n"
     "         \"range\": n or [n,n],    (numeric or array, optional, default=1000) The "
     "range of HD chain indexes to explore (either end or [begin,end])\n"
     "       },\n"
     "       ...\n"
     "     ]\n\n"
     "Result (when action=='start'; only returns after scan completes):\n"
     "{                                (json object)\n"
     "  \"success\" : true|false,         (boolean) Whether the scan was completed\n"
     "  \"txouts\" : n,                  (numeric) The number of unspent transaction outputs "
     "scanned\n"
     "  \"height\" : n,                  (numeric) The block height at which the scan was "
     "done\n"
     "  \"bestblock\" : \"hex\",           (string) The hash of the block at the tip of the "
     "chain\n"
     "  \"unspents\" : [                 (json array)\n"
     "    {                             (json object)\n"
     "      \"txid\" : \"hex\",             (string) The transaction id\n"
     "      \"vout\" : n,                 (numeric) The vout value\n"
     "      \"scriptPubKey\" : \"hex\",     (string) The output script\n"
     "      \"desc\" : \"str\",             (string) A specialized descriptor for the matched "
     "output script\n"
     "      \"amount\" : n,               (numeric) The total amount in IOP of the unspent "
     "output\n"
     "      \"coinbase\" : true|false,    (boolean) Whether this is a coinbase output\n"
     "      \"height\" : n,               (numeric) Height of the unspent transaction "
     "output\n"
     "      \"blockhash\" : \"hex\",        (string) Blockhash of the unspent transaction "
     "output\n"
     "      \"confirmations\" : n         (numeric) Number of confirmations of the unspent "
     "transaction output when the scan was done\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"total_amount\" : n             (numeric) The total amount of all found unspent "
     "outputs in IOP\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli scantxoutset start '[\"addr(pXXX)\"]'\n"
     "> iop-cli scantxoutset status"},
    {"verifychain",
     "blockchain",
     rpc_verifychain,
     {{"checklevel", RPC_ARG_NUM, true}, {"nblocks", RPC_ARG_NUM, true}},
     "verifychain ( checklevel nblocks )\n\n"
     "Verifies blockchain database.\n\n"
     "Arguments:\n"
     "1. checklevel    (numeric, optional, default=3, range=0-4) How thorough the block "
     "verification is:\n"
     "                 - level 0 reads the blocks from disk\n"
     "                 - levels 1-4 also check each block's validity (proof of work, merkle "
     "root, transactions)\n"
     "2. nblocks       (numeric, optional, default=6, 0=all) The number of blocks to check.\n\n"
     "Result:\n"
     "true|false    (boolean) Verification finished successfully. If false, check debug.log "
     "for reason.\n\n"
     "Examples:\n"
     "> iop-cli verifychain"},
    {"invalidateblock",
     "blockchain",
     rpc_invalidateblock,
     {{"blockhash", RPC_ARG_STR, false}},
     "invalidateblock \"blockhash\"\n\n"
     "Permanently marks a block as invalid, as if it violated a consensus rule.\n\n"
     "Arguments:\n"
     "1. blockhash    (string, required) the hash of the block to mark as invalid\n\n"
     "Result:\n"
     "null    (json null)\n\n"
     "Examples:\n"
     "> iop-cli invalidateblock \"blockhash\""},
    {"reconsiderblock",
     "blockchain",
     rpc_reconsiderblock,
     {{"blockhash", RPC_ARG_STR, false}},
     "reconsiderblock \"blockhash\"\n\n"
     "Removes invalidity status of a block, its ancestors and its descendants, reconsider "
     "them for activation.\n"
     "This can be used to undo the effects of invalidateblock.\n\n"
     "Arguments:\n"
     "1. blockhash    (string, required) the hash of the block to reconsider\n\n"
     "Result:\n"
     "null    (json null)\n\n"
     "Examples:\n"
     "> iop-cli reconsiderblock \"blockhash\""},
    {"waitfornewblock",
     "blockchain",
     rpc_waitfornewblock,
     {{"timeout", RPC_ARG_NUM, true}},
     "waitfornewblock ( timeout )\n\n"
     "Waits for any new block and returns useful info about it.\n\n"
     "Returns the current block on timeout or exit.\n\n"
     "Make sure to use no RPC timeout (iop-cli -rpcclienttimeout=0)\n\n"
     "Arguments:\n"
     "1. timeout    (numeric, optional, default=0) Time in milliseconds to wait for a "
     "response. 0 indicates no timeout.\n\n"
     "Result:\n"
     "{                       (json object)\n"
     "  \"hash\" : \"hex\",       (string) The blockhash\n"
     "  \"height\" : n          (numeric) Block height\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli waitfornewblock 1000"},
    {"waitforblock",
     "blockchain",
     rpc_waitforblock,
     {{"blockhash", RPC_ARG_STR, false}, {"timeout", RPC_ARG_NUM, true}},
     "waitforblock \"blockhash\" ( timeout )\n\n"
     "Waits for a specific new block and returns useful info about it.\n\n"
     "Returns the current block on timeout or exit.\n\n"
     "Make sure to use no RPC timeout (iop-cli -rpcclienttimeout=0)\n\n"
     "Arguments:\n"
     "1. blockhash    (string, required) Block hash to wait for.\n"
     "2. timeout      (numeric, optional, default=0) Time in milliseconds to wait for a "
     "response. 0 indicates no timeout.\n\n"
     "Result:\n"
     "{                       (json object)\n"
     "  \"hash\" : \"hex\",       (string) The blockhash\n"
     "  \"height\" : n          (numeric) Block height\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli waitforblock "
     "\"0000000000079f8ef3d2c688c244eb7a4570b24c9ed7b4a8c619eb02596f8862\" 1000"},
    {"waitforblockheight",
     "blockchain",
     rpc_waitforblockheight,
     {{"height", RPC_ARG_NUM, false}, {"timeout", RPC_ARG_NUM, true}},
     "waitforblockheight height ( timeout )\n\n"
     "Waits for (at least) block height and returns the height and hash\n"
     "of the current tip.\n\n"
     "Returns the current block on timeout or exit.\n\n"
     "Make sure to use no RPC timeout (iop-cli -rpcclienttimeout=0)\n\n"
     "Arguments:\n"
     "1. height     (numeric, required) Block height to wait for.\n"
     "2. timeout    (numeric, optional, default=0) Time in milliseconds to wait for a "
     "response. 0 indicates no timeout.\n\n"
     "Result:\n"
     "{                       (json object)\n"
     "  \"hash\" : \"hex\",       (string) The blockhash\n"
     "  \"height\" : n          (numeric) Block height\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli waitforblockheight 100 1000"},
};

struct rpc_table chain_rpc_table(struct node_context *node)
{
    struct rpc_table t = {methods, sizeof methods / sizeof methods[0], node};
    return t;
}

/* ---- getrawtransaction (its own table: it needs the transaction index) ---- */

/* Core's GetTransaction: the mempool, then the index; or the given block. On success
 * *tx is a copy (caller clears) and *block_hash the block it is in (zero for the
 * mempool). */
static bool find_tx(struct chain_tx_rpc *c, const uint256 *txid,
                    const struct block_index *in_block, struct tx *tx, uint256 *block_hash,
                    bool *read_error)
{
    struct node_context *n = c->node;
    memset(block_hash, 0, sizeof *block_hash);
    *read_error = false;
    const struct block_index *idx = in_block;
    size_t pos = SIZE_MAX;
    if (!idx) {
        const struct mempool_entry *me = n->mempool ? mempool_get(n->mempool, txid) : NULL;
        if (me) return tx_copy(tx, &me->tx);
        struct txindex_entry e;
        if (!c->index || !txindex_find(c->index, txid, &e)) return false;
        idx = chainstate_lookup(n->chainstate, &e.block_hash);
        if (!idx) return false;
        pos = e.tx_pos;
    }
    struct block b;
    char err[200];
    if (!chainstate_read_block(n->chainstate, idx, &b, err, sizeof err)) {
        *read_error = true;
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < b.tx_count && !found; i++) {
        if (pos != SIZE_MAX && i != pos) continue;
        uint256 h;
        tx_txid(&b.txs[i], &h);
        if (uint256_cmp(&h, txid) == 0) found = tx_copy(tx, &b.txs[i]);
    }
    block_clear(&b);
    if (found) *block_hash = idx->hash;
    return found;
}

/* The spent outputs of tx when it is in block idx and the undo data can be read. */
static bool tx_undo_for(struct node_context *n, const struct block_index *idx,
                        const uint256 *txid, struct block_undo *undo, size_t *which)
{
    char e[200];
    struct block b;
    if (!chainstate_read_block(n->chainstate, idx, &b, e, sizeof e)) return false;
    bool ok = false;
    for (size_t i = 1; i < b.tx_count; i++) {
        uint256 h;
        tx_txid(&b.txs[i], &h);
        if (uint256_cmp(&h, txid) == 0) {
            *which = i - 1;
            ok = true;
            break;
        }
    }
    if (ok)
        ok = chainstate_read_block_undo(n->chainstate, idx, undo, e, sizeof e) &&
             undo->count + 1 == b.tx_count;
    block_clear(&b);
    return ok;
}

static bool rpc_getrawtransaction(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct chain_tx_rpc *c = ctx;
    uint256 txid, bh;
    if (!parse_hash(json_array_get(params, 0), "parameter 1", &txid, err)) return false;
    const json_t *v = param(params, 1);
    json_int_t verbosity = 0;
    if (v) {
        if (json_is_boolean(v))
            verbosity = json_is_true(v) ? 1 : 0;
        else if (is_int32(v))
            verbosity = json_integer_value(v);
        else if (json_is_number(v))
            return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
        else
            return rpc_error_set(err, RPC_TYPE_ERROR,
                                 "JSON value of type %s is not of expected type number",
                                 rpc_json_type_name(v));
    }
    const json_t *bv = param(params, 2);
    if (bv && !parse_hash(bv, "parameter 3", &bh, err)) return false;
    struct node_context *n = lock_node(c->node, err);
    if (!n) return false;
    const struct block_index *idx = NULL;
    if (bv) {
        idx = chainstate_lookup(n->chainstate, &bh);
        if (!idx) {
            pthread_mutex_unlock(&n->lock);
            return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found");
        }
    }
    const struct block_index *genesis = active_chain_at(chainstate_active(n->chainstate), 0);
    if (uint256_cmp(&txid, &genesis->merkle_root) == 0) {
        pthread_mutex_unlock(&n->lock);
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "The genesis block coinbase is not considered an ordinary "
                             "transaction and cannot be retrieved");
    }
    struct tx tx;
    tx_init(&tx);
    uint256 in_block;
    bool read_error;
    if (!find_tx(c, &txid, idx, &tx, &in_block, &read_error)) {
        tx_clear(&tx);
        bool synced = c->index && txindex_synced(c->index);
        pthread_mutex_unlock(&n->lock);
        if (idx && (!(idx->status & BLOCK_HAVE_DATA) || read_error))
            return rpc_error_set(err, RPC_MISC_ERROR, "Block not available");
        const char *msg =
            idx         ? "No such transaction found in the provided block"
            : !c->index ? "No such mempool transaction. Use -txindex or provide a block hash "
                          "to enable blockchain transaction queries"
            : !synced   ? "No such mempool transaction. Blockchain transactions are still in "
                          "the process of being indexed"
                        : "No such mempool or blockchain transaction";
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "%s. Use gettransaction for wallet transactions.", msg);
    }
    struct writer w;
    writer_init(&w);
    tx_serialize(&w, &tx, true);
    json_t *hex = w.failed ? NULL : hex_json(w.data, w.len);
    writer_free(&w);
    json_t *o = NULL;
    if (verbosity <= 0) {
        o = hex;
    } else if (hex) {
        o = json_object();
        if (idx)
            json_object_set_new(
                o, "in_active_chain",
                json_boolean(active_chain_contains(chainstate_active(n->chainstate), idx)));
        const struct block_index *bidx =
            uint256_is_zero(&in_block) ? NULL : chainstate_lookup(n->chainstate, &in_block);
        json_t *t = tx_to_json(&tx, &n->params->addr);
        if (t) {
            json_object_update(o, t);
            json_decref(t);
        }
        json_object_set_new(o, "hex", hex);
        struct block_undo undo;
        block_undo_init(&undo);
        size_t which = 0;
        if (verbosity >= 2 && bidx && !tx_is_coinbase(&tx) &&
            tx_undo_for(n, bidx, &txid, &undo, &which))
            add_undo_details(o, &tx, &undo.txundo[which], &n->params->addr, true);
        block_undo_clear(&undo);
        if (bidx) {
            json_object_set_new(o, "blockhash", hash_json(&bidx->hash));
            const struct active_chain *ac = chainstate_active(n->chainstate);
            if (active_chain_contains(ac, bidx)) {
                json_object_set_new(o, "confirmations",
                                    json_integer(active_chain_height(ac) - bidx->height + 1));
                json_object_set_new(o, "time", json_integer(bidx->time));
                json_object_set_new(o, "blocktime", json_integer(bidx->time));
            } else {
                json_object_set_new(o, "confirmations", json_integer(0));
            }
        }
    }
    pthread_mutex_unlock(&n->lock);
    tx_clear(&tx);
    if (!o) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    *result = o;
    return true;
}

static const struct rpc_method tx_methods[] = {
    {"getrawtransaction",
     "rawtransactions",
     rpc_getrawtransaction,
     {{"txid", RPC_ARG_STR, false},
      {"verbosity", RPC_ARG_ANY, true},
      {"blockhash", RPC_ARG_STR, true}},
     "getrawtransaction \"txid\" ( verbosity \"blockhash\" )\n\n"
     "By default, this call only returns a transaction if it is in the mempool. If -txindex "
     "is enabled and no blockhash argument is passed, it will return the transaction if it "
     "is in the mempool or any block.\n"
     "If a blockhash argument is passed, it will return the transaction if\n"
     "the specified block is available and the transaction is in that block.\n\n"
     "Hint: Use gettransaction for wallet transactions.\n\n"
     "If verbosity is 0 or omitted, returns the serialized transaction as a hex-encoded "
     "string.\n"
     "If verbosity is 1, returns a JSON Object with information about the transaction.\n"
     "If verbosity is 2, returns a JSON Object with information about the transaction, "
     "including fee and prevout information.\n\n"
     "Arguments:\n"
     "1. txid         (string, required) The transaction id\n"
     "2. verbosity    (numeric, optional, default=0) 0 for hex-encoded data, 1 for a JSON "
     "object, and 2 for JSON object with fee and prevout\n"
     "3. blockhash    (string, optional) The block in which to look for the transaction\n\n"
     "Result (if verbosity is not set or set to 0):\n"
     "\"str\"    (string) The serialized transaction as a hex-encoded string for 'txid'\n\n"
     "Result (if verbosity is set to 1):\n"
     "{\n"
     "  \"in_active_chain\" : true|false,   (boolean, optional) Whether specified block is in "
     "the active chain or not (only present with explicit \"blockhash\" argument)\n"
     "  \"blockhash\" : \"hex\",              (string, optional) the block hash\n"
     "  \"confirmations\" : n,              (numeric, optional) The confirmations\n"
     "  \"blocktime\" : xxx,                (numeric, optional) The block time expressed in "
     "UNIX epoch time\n"
     "  \"time\" : n,                       (numeric, optional) Same as \"blocktime\"\n"
     "  \"hex\" : \"hex\",                    (string) The serialized, hex-encoded data for "
     "'txid'\n"
     "  ...                               Same output as decoderawtransaction\n"
     "}\n\n"
     "Result (for verbosity = 2):\n"
     "{\n"
     "  ...,                 Same output as verbosity = 1\n"
     "  \"fee\" : n,           (numeric, optional) transaction fee in IOP, omitted if block "
     "undo data is not available\n"
     "  \"vin\" : [ { ..., \"prevout\" : { \"generated\", \"height\", \"value\", "
     "\"scriptPubKey\" } } ]   (only if undo information is available)\n"
     "}\n\n"
     "Examples:\n"
     "> iop-cli getrawtransaction \"mytxid\"\n"
     "> iop-cli getrawtransaction \"mytxid\" 1\n"
     "> iop-cli getrawtransaction \"mytxid\" 0 \"myblockhash\""},
};

struct rpc_table chain_tx_rpc_table(struct chain_tx_rpc *ctx)
{
    struct rpc_table t = {tx_methods, sizeof tx_methods / sizeof tx_methods[0], ctx};
    return t;
}
