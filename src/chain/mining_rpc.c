/* The mining RPC methods (see mining_rpc.h): generatetoaddress, generateblock,
 * submitblock, getblocktemplate, getmininginfo and getnetworkhashps, as Bitcoin Core
 * 29's rpc/mining.cpp shapes them.
 *
 * Not here: the peer/IBD checks of getblocktemplate (there is no P2P layer yet). */
#include "chain/mining_rpc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/blockindex.h"
#include "chain/descriptor.h"
#include "chain/mempool.h"
#include "chain/miner.h"
#include "chain/validation.h"
#include "consensus/address.h"
#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "util/hex.h"

/* ---- helpers ---- */

static const json_t *param(const json_t *params, size_t i)
{
    const json_t *v = json_array_get(params, i);
    return (v && !json_is_null(v)) ? v : NULL;
}

static bool out_of_memory(struct rpc_error *err)
{
    return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
}

static bool warming_up(struct rpc_error *err)
{
    return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
}

static bool get_int(const json_t *v, long long lo, long long hi, long long *out,
                    struct rpc_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    *out = json_integer_value(v);
    return true;
}

static json_t *hash_json(const uint256 *h)
{
    char hex[65];
    uint256_to_hex(hex, h);
    return json_string(hex);
}

/* Core's GetDifficulty. */
static double difficulty_from_bits(uint32_t bits)
{
    int shift = (bits >> 24) & 0xff;
    double diff = (double)0x0000ffff / (double)(bits & 0x00ffffff ? bits & 0x00ffffff : 1);
    while (shift < 29) {
        diff *= 256.0;
        shift++;
    }
    while (shift > 29) {
        diff /= 256.0;
        shift--;
    }
    return diff;
}

static json_t *target_json(uint32_t bits)
{
    arith256 t;
    bool neg, over;
    char hex[65];
    arith256_set_compact(&t, bits, &neg, &over);
    arith256_to_hex(hex, &t);
    return json_string(hex);
}

static double arith_to_double(const arith256 *a)
{
    double r = 0, f = 1;
    for (int i = 0; i < 8; i++) {
        r += f * (double)a->w[i];
        f *= 4294967296.0;
    }
    return r;
}

static json_t *serialize_hex(const struct block *b, const struct tx *tx)
{
    struct writer w;
    writer_init(&w);
    if (b)
        block_serialize(&w, b, true);
    else
        tx_serialize(&w, tx, true);
    size_t len = 0;
    uint8_t *data = writer_release(&w, &len);
    if (!data) return NULL;
    char *hex = malloc(2 * len + 1);
    if (!hex) {
        free(data);
        return NULL;
    }
    hex_encode(hex, data, len);
    free(data);
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

/* Core's DecodeHexTx: the witness serialization first, then the legacy one. */
static bool decode_tx_hex(const char *hex, struct tx *tx)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!hex_decode_alloc(hex, &data, &len)) return false;
    bool ok = tx_from_bytes(tx, data, len, true) || tx_from_bytes(tx, data, len, false);
    free(data);
    return ok;
}

/* Core's DecodeHexBlk: hex of a block with witness data into *b (initialised; on
 * failure it owns nothing). */
static bool decode_block_hex(const char *hex, struct block *b)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!hex || !*hex || !hex_decode_alloc(hex, &data, &len)) return false;
    struct reader r;
    reader_init(&r, data, len);
    bool parsed = block_deserialize(&r, b, true);
    free(data);
    return parsed;
}

/* Core's ValidationState::ToString: "reason, debug" or the reason alone. */
static const char *state_text(const struct validation_state *st, char *buf, size_t cap)
{
    if (st->debug[0])
        snprintf(buf, cap, "%s, %s", st->reason, st->debug);
    else
        snprintf(buf, cap, "%s", st->reason);
    return buf;
}

static bool segwit_active_after(const struct chain_params *p, const struct block_index *prev)
{
    return (prev ? prev->height + 1 : 0) >= p->activation.segwit_height;
}

/* Statistics of the last assembled block, for getmininginfo (under node->lock). */
static struct {
    bool set;
    int64_t weight;
    size_t tx;
} last_block;

static void note_template(const struct block_template *t)
{
    last_block.set = true;
    last_block.weight = t->weight;
    last_block.tx = t->block.tx_count - 1;
}

/* ---- generating ---- */

/* Core's GenerateBlock: nonce search, then ProcessNewBlock (when process). Returns
 * false with err set on a failure Core reports; *found says whether a block came out. */
static bool generate_one(struct node_context *node, struct block *b, uint64_t *max_tries,
                         bool process, bool *found, struct rpc_error *err)
{
    *found = false;
    bool exhausted = false;
    const struct chain_params *p = chainstate_params(node->chainstate);
    /* Out of tries (the caller stops) or out of nonces (the caller tries a new
     * template): no block, no error. */
    if (!miner_solve(b, &p->pow.pow_limit, max_tries, &exhausted)) return true;
    *found = true;
    if (!process) return true;
    struct validation_state st;
    validation_state_init(&st);
    bool is_new = false;
    if (!chainstate_process_block(node->chainstate, b, node->now(), &is_new, &st) ||
        st.kind != VALIDATION_OK)
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted: %s",
                             st.reason);
    return true;
}

static bool generate_blocks(struct node_context *node, const uint8_t *script, size_t script_len,
                            long long count, uint64_t max_tries, json_t **result,
                            struct rpc_error *err)
{
    json_t *hashes = json_array();
    if (!hashes) return out_of_memory(err);
    while (count > 0 && !node->shutdown_requested) {
        pthread_mutex_lock(&node->lock);
        if (!node->chainstate) {
            pthread_mutex_unlock(&node->lock);
            json_decref(hashes);
            return warming_up(err);
        }
        struct block_template t;
        block_template_init(&t);
        struct miner_options o;
        miner_options_default(&o);
        o.min_fee_rate = node->policy.block_min_tx_fee;
        char why[128];
        if (!miner_create_block(node->chainstate, node->mempool, script, script_len,
                                node->now(), &o, &t, why, sizeof why)) {
            pthread_mutex_unlock(&node->lock);
            json_decref(hashes);
            return rpc_error_set(err, RPC_INTERNAL_ERROR, "Couldn't create new block: %s", why);
        }
        note_template(&t);
        bool found = false;
        if (!generate_one(node, &t.block, &max_tries, true, &found, err)) {
            pthread_mutex_unlock(&node->lock);
            block_template_clear(&t);
            json_decref(hashes);
            return false;
        }
        pthread_mutex_unlock(&node->lock);
        if (found) {
            uint256 h;
            block_hash(&t.block, &h);
            json_array_append_new(hashes, hash_json(&h));
            count--;
        }
        block_template_clear(&t);
        if (!found && max_tries == 0) break;
    }
    *result = hashes;
    return true;
}

static bool rpc_generatetoaddress(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct node_context *node = ctx;
    long long nblocks = 0, tries = MINER_DEFAULT_MAX_TRIES;
    if (!get_int(json_array_get(params, 0), INT32_MIN, INT32_MAX, &nblocks, err)) return false;
    const json_t *mt = param(params, 2);
    if (mt && !get_int(mt, INT32_MIN, INT32_MAX, &tries, err)) return false;
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t script_len = 0;
    if (address_decode(script, &script_len, NULL, &node->params->addr,
                       json_string_value(json_array_get(params, 1))) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address");
    return generate_blocks(node, script, script_len, nblocks, (uint64_t)tries, result, err);
}

/* Core's getScriptFromDescriptor: the one script of a non-ranged descriptor; for
 * combo, the P2WPKH script when there is one (compressed key) and P2PKH otherwise. */
static bool rpc_generatetodescriptor(void *ctx, const json_t *params, json_t **result,
                                     struct rpc_error *err)
{
    struct node_context *node = ctx;
    long long nblocks = 0, tries = MINER_DEFAULT_MAX_TRIES;
    if (!get_int(json_array_get(params, 0), INT32_MIN, INT32_MAX, &nblocks, err)) return false;
    const json_t *mt = param(params, 2);
    if (mt && !get_int(mt, INT32_MIN, INT32_MAX, &tries, err)) return false;
    char error[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(json_string_value(json_array_get(params, 1)),
                                            &node->params->addr, error);
    if (!d) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", error);
    if (descriptor_is_range(d)) {
        descriptor_free(d);
        return rpc_error_set(
            err, RPC_INVALID_PARAMETER,
            "Ranged descriptor not accepted. Maybe pass through deriveaddresses "
            "first?");
    }
    struct descriptor_scripts s = {0};
    bool ok = descriptor_expand(d, 0, &s, error);
    descriptor_free(d);
    if (!ok || s.count == 0) {
        descriptor_scripts_clear(&s);
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "Cannot derive script without private keys");
    }
    size_t pick = s.count == 1 ? 0 : s.count == 4 ? 2 : 1;
    ok = generate_blocks(node, s.items[pick].data, s.items[pick].len, nblocks, (uint64_t)tries,
                         result, err);
    descriptor_scripts_clear(&s);
    return ok;
}

static bool rpc_generateblock(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    struct node_context *node = ctx;
    const char *output = json_string_value(json_array_get(params, 0));
    const json_t *txs = json_array_get(params, 1);
    const json_t *submit_v = param(params, 2);
    bool submit = submit_v ? json_is_true(submit_v) : true;
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t script_len = 0;
    if (address_decode(script, &script_len, NULL, &node->params->addr, output) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "Error: Invalid address or descriptor");
    size_t ntx = json_array_size(txs);
    for (size_t i = 0; i < ntx; i++)
        if (!json_is_string(json_array_get(txs, i)))
            return rpc_error_set(err, RPC_TYPE_ERROR,
                                 "JSON value of type %s is not of expected type string",
                                 rpc_json_type_name(json_array_get(txs, i)));

    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        return warming_up(err);
    }
    struct block_template t;
    block_template_init(&t);
    struct tx *extra = calloc(ntx ? ntx : 1, sizeof *extra);
    size_t have = 0;
    bool ok = false;
    if (!extra) {
        out_of_memory(err);
        goto done;
    }
    for (size_t i = 0; i < ntx; i++) {
        const char *s = json_string_value(json_array_get(txs, i));
        uint256 id;
        tx_init(&extra[i]);
        if (strlen(s) == 64 && uint256_from_hex(&id, s)) {
            const struct mempool_entry *e =
                node->mempool ? mempool_get(node->mempool, &id) : NULL;
            if (!e) {
                rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Transaction %s not in mempool.",
                              s);
                goto done;
            }
            if (!tx_copy(&extra[i], &e->tx)) {
                out_of_memory(err);
                goto done;
            }
        } else if (!decode_tx_hex(s, &extra[i])) {
            rpc_error_set(err, RPC_DESERIALIZATION_ERROR,
                          "Transaction decode failed for %s. Make sure the tx has at least one "
                          "input.",
                          s);
            goto done;
        }
        have = i + 1;
    }
    struct miner_options o;
    miner_options_default(&o);
    o.use_mempool = false;
    char why[128];
    if (!miner_create_block(node->chainstate, NULL, script, script_len, node->now(), &o, &t,
                            why, sizeof why)) {
        rpc_error_set(err, RPC_INTERNAL_ERROR, "Couldn't create new block: %s", why);
        goto done;
    }
    note_template(&t);
    if (ntx) {
        struct tx *grown = realloc(t.block.txs, (1 + ntx) * sizeof *grown);
        if (!grown) {
            out_of_memory(err);
            goto done;
        }
        t.block.txs = grown;
        memcpy(t.block.txs + 1, extra, ntx * sizeof *extra);
        t.block.tx_count = 1 + ntx;
        have = 0; /* moved into the block */
        if (!miner_regenerate_commitments(&t.block)) {
            out_of_memory(err);
            goto done;
        }
    }
    {
        /* As Core: checked before any work is spent on it, without proof of work or the
         * merkle root (the nonce and commitments are still to come). */
        struct validation_state st;
        if (!chainstate_test_block_validity(node->chainstate, &t.block, node->now(), false,
                                            false, &st)) {
            char text[400];
            rpc_error_set(err, RPC_VERIFY_ERROR, "TestBlockValidity failed: %s",
                          state_text(&st, text, sizeof text));
            goto done;
        }
    }
    uint64_t tries = MINER_DEFAULT_MAX_TRIES;
    bool found = false;
    bool exhausted = false;
    const struct chain_params *p = chainstate_params(node->chainstate);
    found = miner_solve(&t.block, &p->pow.pow_limit, &tries, &exhausted);
    if (!found) {
        rpc_error_set(err, RPC_MISC_ERROR, "Failed to make block.");
        goto done;
    }
    uint256 h;
    block_hash(&t.block, &h);
    if (submit) {
        struct validation_state st;
        validation_state_init(&st);
        bool is_new = false;
        if (!chainstate_process_block(node->chainstate, &t.block, node->now(), &is_new, &st) ||
            st.kind != VALIDATION_OK) {
            rpc_error_set(err, RPC_INTERNAL_ERROR, "ProcessNewBlock, block not accepted");
            goto done;
        }
    }
    *result = json_object();
    if (!*result) {
        out_of_memory(err);
        goto done;
    }
    json_object_set_new(*result, "hash", hash_json(&h));
    if (!submit) {
        json_t *hex = serialize_hex(&t.block, NULL);
        if (!hex) {
            json_decref(*result);
            *result = NULL;
            out_of_memory(err);
            goto done;
        }
        json_object_set_new(*result, "hex", hex);
    }
    ok = true;
done:
    pthread_mutex_unlock(&node->lock);
    for (size_t i = 0; i < have; i++) tx_clear(&extra[i]);
    free(extra);
    block_template_clear(&t);
    return ok;
}

/* ---- submitblock ---- */

static bool rpc_submitblock(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    struct node_context *node = ctx;
    const char *hex = json_string_value(json_array_get(params, 0));
    struct block b;
    block_init(&b);
    if (!decode_block_hex(hex, &b))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "Block decode failed");
    if (b.tx_count == 0 || !tx_is_coinbase(&b.txs[0])) {
        block_clear(&b);
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR,
                             "Block does not start with a coinbase");
    }
    uint256 hash;
    block_hash(&b, &hash);
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        block_clear(&b);
        return warming_up(err);
    }
    struct chainstate *cs = node->chainstate;
    const char *answer = NULL;
    bool ok = true;
    struct block_index *idx = chainstate_lookup(cs, &hash);
    if (idx && block_index_is_valid(idx, BLOCK_VALID_SCRIPTS)) {
        answer = "duplicate";
    } else if (idx && (idx->status & BLOCK_FAILED_MASK)) {
        answer = "duplicate-invalid";
    } else {
        struct block_index *prev = chainstate_lookup(cs, &b.header.prev_hash);
        if (prev &&
            !miner_update_uncommitted(&b, segwit_active_after(chainstate_params(cs), prev))) {
            ok = out_of_memory(err);
            goto done;
        }
        struct validation_state st;
        validation_state_init(&st);
        bool is_new = false;
        bool accepted = chainstate_process_block(cs, &b, node->now(), &is_new, &st);
        if (accepted && !is_new) {
            answer = "duplicate";
        } else if (st.kind == VALIDATION_ERROR) {
            ok = rpc_error_set(err, RPC_VERIFY_ERROR, "%s", st.debug[0] ? st.debug : st.reason);
            goto done;
        } else if (st.kind != VALIDATION_OK) {
            *result = json_string(st.reason[0] ? st.reason : "rejected");
            goto done;
        } else {
            idx = chainstate_lookup(cs, &hash);
            if (!(idx && block_index_is_valid(idx, BLOCK_VALID_SCRIPTS)))
                answer = "inconclusive";
        }
    }
    *result = answer ? json_string(answer) : json_null();
done:
    pthread_mutex_unlock(&node->lock);
    block_clear(&b);
    if (ok && !*result) return out_of_memory(err);
    return ok;
}

/* ---- getblocktemplate ---- */

static json_t *template_tx_json(const struct block_template *t, size_t i)
{
    const struct block *b = &t->block;
    const struct tx *tx = &b->txs[i];
    json_t *o = json_object();
    json_t *deps = json_array();
    json_t *data = serialize_hex(NULL, tx);
    if (!o || !deps || !data) {
        json_decref(o);
        json_decref(deps);
        json_decref(data);
        return NULL;
    }
    uint256 id, wid;
    tx_txid(tx, &id);
    tx_wtxid(tx, &wid);
    for (size_t k = 0; k < tx->vin_count; k++) {
        for (size_t j = 1; j < i; j++) {
            uint256 pid;
            tx_txid(&b->txs[j], &pid);
            if (uint256_cmp(&pid, &tx->vin[k].prevout.hash) == 0) {
                json_array_append_new(deps, json_integer((json_int_t)j));
                break;
            }
        }
    }
    json_object_set_new(o, "data", data);
    json_object_set_new(o, "txid", hash_json(&id));
    json_object_set_new(o, "hash", hash_json(&wid));
    json_object_set_new(o, "depends", deps);
    json_object_set_new(o, "fee", json_integer(t->fees[i]));
    json_object_set_new(o, "sigops", json_integer(t->sigops[i]));
    json_object_set_new(o, "weight", json_integer((json_int_t)tx_weight(tx)));
    return o;
}

/* BIP22 long polling as Core: longpollid is the tip hash the client works on followed
 * by a pool counter (here the pool's size). With node->lock held, waits until the tip
 * moves, or a minute has passed and the pool changed, or shutdown (false). An id that
 * does not parse returns at once. */
static bool wait_long_poll(struct node_context *node, const json_t *lp)
{
    if (!lp || !json_is_string(lp) || json_string_length(lp) < 64) return true;
    char hex[65];
    memcpy(hex, json_string_value(lp), 64);
    hex[64] = 0;
    uint256 watched;
    if (!uint256_from_hex(&watched, hex)) return true;
    unsigned long long last_size = strtoull(json_string_value(lp) + 64, NULL, 10);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 60;
    while (!node->shutdown_requested && node->chainstate &&
           uint256_cmp(&chainstate_tip(node->chainstate)->hash, &watched) == 0) {
        int rc = pthread_cond_timedwait(&node->tip_changed, &node->lock, &deadline);
        if (rc == ETIMEDOUT) {
            size_t size = node->mempool ? mempool_size(node->mempool) : 0;
            if (size != last_size) break;
            deadline.tv_sec += 60;
        }
    }
    return !node->shutdown_requested && node->chainstate;
}

/* BIP23 block proposal (Core's getblocktemplate with mode "proposal"): null when the
 * block would be accepted as the next tip, else why not. Takes the lock. */
static bool block_proposal(struct node_context *node, const json_t *req, json_t **result,
                           struct rpc_error *err)
{
    const json_t *data = json_object_get(req, "data");
    if (!json_is_string(data))
        return rpc_error_set(err, RPC_TYPE_ERROR, "Missing data String key for proposal");
    struct block b;
    block_init(&b);
    if (!decode_block_hex(json_string_value(data), &b))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "Block decode failed");
    uint256 hash;
    block_hash(&b, &hash);
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        block_clear(&b);
        return warming_up(err);
    }
    struct chainstate *cs = node->chainstate;
    const struct block_index *idx = chainstate_lookup(cs, &hash);
    const char *answer = NULL;
    bool ok = true;
    struct validation_state st; /* answer may point into it */
    validation_state_init(&st);
    if (idx) {
        answer = block_index_is_valid(idx, BLOCK_VALID_SCRIPTS) ? "duplicate"
                 : (idx->status & BLOCK_FAILED_MASK)            ? "duplicate-invalid"
                                                                : "duplicate-inconclusive";
    } else if (uint256_cmp(&b.header.prev_hash, &chainstate_tip(cs)->hash) != 0) {
        /* Only a child of the tip can be tested. */
        answer = "inconclusive-not-best-prevblk";
    } else {
        if (!chainstate_test_block_validity(cs, &b, node->now(), false, true, &st)) {
            if (st.kind == VALIDATION_ERROR) {
                char text[400];
                ok = rpc_error_set(err, RPC_VERIFY_ERROR, "%s",
                                   state_text(&st, text, sizeof text));
            } else {
                answer = st.reason[0] ? st.reason : "rejected";
            }
        }
    }
    if (ok) *result = answer ? json_string(answer) : json_null();
    pthread_mutex_unlock(&node->lock);
    block_clear(&b);
    if (ok && !*result) return out_of_memory(err);
    return ok;
}

static bool rpc_getblocktemplate(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct node_context *node = ctx;
    const json_t *req = param(params, 0);
    bool segwit_rule = false;
    if (req) {
        const json_t *mode = json_object_get(req, "mode");
        if (mode && !json_is_null(mode)) {
            if (!json_is_string(mode))
                return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid mode");
            if (strcmp(json_string_value(mode), "proposal") == 0)
                return block_proposal(node, req, result, err);
            if (strcmp(json_string_value(mode), "template") != 0)
                return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid mode");
        }
        const json_t *rules = json_object_get(req, "rules");
        if (rules && !json_is_null(rules)) {
            if (!json_is_array(rules))
                return rpc_error_set(err, RPC_TYPE_ERROR,
                                     "JSON value of type %s for field rules "
                                     "is not of expected type array",
                                     rpc_json_type_name(rules));
            size_t i;
            const json_t *v;
            json_array_foreach(rules, i, v)
            {
                if (!json_is_string(v))
                    return rpc_error_set(err, RPC_TYPE_ERROR,
                                         "JSON value of type %s is not of expected type string",
                                         rpc_json_type_name(v));
                if (strcmp(json_string_value(v), "segwit") == 0) segwit_rule = true;
            }
        }
    }
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        return warming_up(err);
    }
    if (!segwit_rule) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "getblocktemplate must be called with the segwit rule set (call "
                             "with {\"rules\": [\"segwit\"]})");
    }
    if (req && !wait_long_poll(node, json_object_get(req, "longpollid"))) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_CLIENT_NOT_CONNECTED, "Shutting down");
    }
    struct chainstate *cs = node->chainstate;
    const struct chain_params *p = chainstate_params(cs);
    struct block_index *tip = chainstate_tip(cs);
    struct block_template t;
    block_template_init(&t);
    struct miner_options o;
    miner_options_default(&o);
    o.min_fee_rate = node->policy.block_min_tx_fee;
    /* Core builds the template paying to OP_TRUE; the miner replaces the coinbase. */
    static const uint8_t op_true[1] = {0x51};
    char why[128];
    if (!miner_create_block(cs, node->mempool, op_true, 1, node->now(), &o, &t, why,
                            sizeof why)) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "Couldn't create new block: %s", why);
    }
    note_template(&t);
    bool pre_segwit = !segwit_active_after(p, tip);
    json_t *r = json_object();
    json_t *txs = json_array();
    bool ok = r && txs;
    for (size_t i = 1; ok && i < t.block.tx_count; i++) {
        json_t *e = template_tx_json(&t, i);
        if (!e) {
            ok = false;
            break;
        }
        if (pre_segwit) json_object_set_new(e, "sigops", json_integer(t.sigops[i] / 4));
        json_array_append_new(txs, e);
    }
    if (!ok) {
        pthread_mutex_unlock(&node->lock);
        json_decref(r);
        json_decref(txs);
        block_template_clear(&t);
        return out_of_memory(err);
    }
    char buf[128];
    json_t *caps = json_array();
    json_array_append_new(caps, json_string("proposal"));
    json_object_set_new(r, "capabilities", caps);
    json_object_set_new(r, "version", json_integer(t.block.header.version));
    json_t *rules = json_array();
    json_array_append_new(rules, json_string("csv"));
    if (!pre_segwit) {
        json_array_append_new(rules, json_string("!segwit"));
        json_array_append_new(rules, json_string("taproot"));
    }
    json_object_set_new(r, "rules", rules);
    json_object_set_new(r, "vbavailable", json_object());
    json_object_set_new(r, "vbrequired", json_integer(0));
    json_object_set_new(r, "previousblockhash", hash_json(&tip->hash));
    json_object_set_new(r, "transactions", txs);
    json_object_set_new(r, "coinbaseaux", json_object());
    json_object_set_new(r, "coinbasevalue", json_integer(t.block.txs[0].vout[0].value));
    char tiphex[65];
    uint256_to_hex(tiphex, &tip->hash);
    snprintf(buf, sizeof buf, "%s%zu", tiphex, node->mempool ? mempool_size(node->mempool) : 0);
    json_object_set_new(r, "longpollid", json_string(buf));
    json_object_set_new(r, "target", target_json(t.block.header.bits));
    json_object_set_new(r, "mintime", json_integer(block_index_median_time_past(tip) + 1));
    json_t *mut = json_array();
    json_array_append_new(mut, json_string("time"));
    json_array_append_new(mut, json_string("transactions"));
    json_array_append_new(mut, json_string("prevblock"));
    json_object_set_new(r, "mutable", mut);
    json_object_set_new(r, "noncerange", json_string("00000000ffffffff"));
    json_object_set_new(
        r, "sigoplimit",
        json_integer(pre_segwit ? MAX_BLOCK_SIGOPS_COST / 4 : MAX_BLOCK_SIGOPS_COST));
    json_object_set_new(
        r, "sizelimit",
        json_integer(pre_segwit ? MAX_BLOCK_SERIALIZED_SIZE / 4 : MAX_BLOCK_SERIALIZED_SIZE));
    if (!pre_segwit) json_object_set_new(r, "weightlimit", json_integer(MAX_BLOCK_WEIGHT));
    json_object_set_new(r, "curtime", json_integer(t.block.header.time));
    snprintf(buf, sizeof buf, "%08x", t.block.header.bits);
    json_object_set_new(r, "bits", json_string(buf));
    json_object_set_new(r, "height", json_integer(t.height));
    long ci = block_witness_commitment_index(&t.block);
    if (ci >= 0) {
        const struct tx_out *out = &t.block.txs[0].vout[ci];
        char *h = malloc(2 * out->script_pubkey_len + 1);
        if (h) {
            hex_encode(h, out->script_pubkey, out->script_pubkey_len);
            json_object_set_new(r, "default_witness_commitment", json_string(h));
            free(h);
        }
    }
    pthread_mutex_unlock(&node->lock);
    block_template_clear(&t);
    *result = r;
    return true;
}

/* ---- getmininginfo, getnetworkhashps ---- */

/* Core's GetNetworkHashPS. */
static double network_hash_ps(struct chainstate *cs, long long lookup, long long height)
{
    const struct active_chain *c = chainstate_active(cs);
    const struct block_index *pb = chainstate_tip(cs);
    if (height >= 0 && height < active_chain_height(c))
        pb = active_chain_at(c, (int32_t)height);
    if (!pb || pb->height == 0) return 0;
    const struct pow_params *pp = &chainstate_params(cs)->pow;
    if (lookup <= 0) {
        long long interval = pp->target_spacing > 0 && pp->target_timespan > 0
                                 ? pp->target_timespan / pp->target_spacing
                                 : 1;
        if (interval <= 0) interval = 1;
        lookup = pb->height % interval + 1;
    }
    if (lookup > pb->height) lookup = pb->height;
    const struct block_index *pb0 = pb;
    int64_t min_time = pb0->time, max_time = min_time;
    for (long long i = 0; i < lookup; i++) {
        pb0 = pb0->prev;
        int64_t t = pb0->time;
        if (t < min_time) min_time = t;
        if (t > max_time) max_time = t;
    }
    if (min_time == max_time) return 0;
    arith256 work;
    arith256_sub(&work, &pb->chain_work, &pb0->chain_work);
    return arith_to_double(&work) / (double)(max_time - min_time);
}

static bool rpc_getnetworkhashps(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct node_context *node = ctx;
    long long nblocks = 120, height = -1;
    const json_t *a = param(params, 0), *b = param(params, 1);
    if (a && !get_int(a, INT32_MIN, INT32_MAX, &nblocks, err)) return false;
    if (b && !get_int(b, INT32_MIN, INT32_MAX, &height, err)) return false;
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        return warming_up(err);
    }
    if (height < -1 || height > chainstate_height(node->chainstate)) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Block does not exist at specified height");
    }
    double v = network_hash_ps(node->chainstate, nblocks, height);
    pthread_mutex_unlock(&node->lock);
    *result = json_real(v);
    return *result ? true : out_of_memory(err);
}

static bool rpc_getmininginfo(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)params;
    struct node_context *node = ctx;
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        return warming_up(err);
    }
    struct chainstate *cs = node->chainstate;
    const struct chain_params *p = chainstate_params(cs);
    struct block_index *tip = chainstate_tip(cs);
    json_t *r = json_object();
    json_t *next = json_object();
    if (!r || !next) {
        pthread_mutex_unlock(&node->lock);
        json_decref(r);
        json_decref(next);
        return out_of_memory(err);
    }
    char buf[16];
    json_object_set_new(r, "blocks", json_integer(tip->height));
    if (last_block.set) {
        json_object_set_new(r, "currentblockweight", json_integer(last_block.weight));
        json_object_set_new(r, "currentblocktx", json_integer((json_int_t)last_block.tx));
    }
    snprintf(buf, sizeof buf, "%08x", tip->bits);
    json_object_set_new(r, "bits", json_string(buf));
    json_object_set_new(r, "difficulty", json_real(difficulty_from_bits(tip->bits)));
    json_object_set_new(r, "target", target_json(tip->bits));
    json_object_set_new(r, "networkhashps", json_real(network_hash_ps(cs, 120, -1)));
    json_object_set_new(
        r, "pooledtx",
        json_integer(node->mempool ? (json_int_t)mempool_size(node->mempool) : 0));
    json_object_set_new(r, "chain", json_string(p->name));
    int64_t mtp = block_index_median_time_past(tip);
    int64_t now = node->now();
    int64_t t = now > mtp + 1 ? now : mtp + 1;
    uint32_t bits = tip->bits;
    if (!block_index_next_work_required(&bits, &p->pow, tip, t)) bits = tip->bits;
    json_object_set_new(next, "height", json_integer(tip->height + 1));
    snprintf(buf, sizeof buf, "%08x", bits);
    json_object_set_new(next, "bits", json_string(buf));
    json_object_set_new(next, "difficulty", json_real(difficulty_from_bits(bits)));
    json_object_set_new(next, "target", target_json(bits));
    json_object_set_new(r, "next", next);
    json_object_set_new(r, "warnings", json_array());
    pthread_mutex_unlock(&node->lock);
    *result = r;
    return true;
}

/* ---- the table ---- */

static const struct rpc_method mining_methods[] = {
    {"generateblock",
     "generating",
     rpc_generateblock,
     {{"output", RPC_ARG_STR, false},
      {"transactions", RPC_ARG_ARR, false},
      {"submit", RPC_ARG_BOOL, true}},
     "generateblock \"output\" [\"rawtx/txid\",...] ( submit )\n"
     "\n"
     "Mine a set of ordered transactions to a specified address and return the block hash.\n"
     "The coinbase pays the block subsidy only; the fees of the given transactions are not\n"
     "claimed (as in Bitcoin Core).\n"
     "\n"
     "Arguments:\n"
     "1. output          (string, required) The address to send the newly generated coins "
     "to.\n"
     "                   (Output descriptors are not supported yet.)\n"
     "2. transactions    (json array, required) An array of hex strings which are either "
     "txids or raw transactions.\n"
     "                   Txids must reference transactions currently in the mempool.\n"
     "                   All transactions must be valid and in valid order, otherwise the "
     "block will be rejected.\n"
     "3. submit          (boolean, optional, default=true) Whether to submit the block "
     "before the RPC call returns or to return it as hex.\n"
     "\n"
     "Result:\n"
     "{                   (json object)\n"
     "  \"hash\" : \"hex\",   (string) hash of generated block\n"
     "  \"hex\" : \"hex\"     (string, optional) hex of generated block, only present when "
     "submit=false\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli generateblock \"myaddress\" '[\"rawtx\", \"mempool_txid\"]'"},
    {"generatetodescriptor",
     "generating",
     rpc_generatetodescriptor,
     {{"num_blocks", RPC_ARG_NUM, false},
      {"descriptor", RPC_ARG_STR, false},
      {"maxtries", RPC_ARG_NUM, true}},
     "generatetodescriptor num_blocks \"descriptor\" ( maxtries )\n"
     "\n"
     "Mine to a specified descriptor and return the block hashes.\n"
     "\n"
     "Arguments:\n"
     "1. num_blocks    (numeric, required) How many blocks are generated.\n"
     "2. descriptor    (string, required) The descriptor to send the newly generated coins "
     "to.\n"
     "3. maxtries      (numeric, optional, default=1000000) How many iterations to try.\n"
     "\n"
     "Result:\n"
     "[           (json array) hashes of blocks generated\n"
     "  \"hex\",    (string) blockhash\n"
     "  ...\n"
     "]\n"
     "\n"
     "Examples:\n"
     "Generate 11 blocks to mydesc\n"
     "> iop-cli generatetodescriptor 11 \"mydesc\""},
    {"generatetoaddress",
     "generating",
     rpc_generatetoaddress,
     {{"nblocks", RPC_ARG_NUM, false},
      {"address", RPC_ARG_STR, false},
      {"maxtries", RPC_ARG_NUM, true}},
     "generatetoaddress nblocks \"address\" ( maxtries )\n"
     "\n"
     "Mine to a specified address and return the block hashes.\n"
     "\n"
     "Arguments:\n"
     "1. nblocks     (numeric, required) How many blocks are generated.\n"
     "2. address     (string, required) The address to send the newly generated coins to.\n"
     "3. maxtries    (numeric, optional, default=1000000) How many iterations to try.\n"
     "\n"
     "Result:\n"
     "[           (json array) hashes of blocks generated\n"
     "  \"hex\",    (string) blockhash\n"
     "  ...\n"
     "]\n"
     "\n"
     "Examples:\n"
     "Generate 11 blocks to myaddress\n"
     "> iop-cli generatetoaddress 11 \"myaddress\""},
    {"getblocktemplate",
     "mining",
     rpc_getblocktemplate,
     {{"template_request", RPC_ARG_OBJ, true}},
     "getblocktemplate {\"mode\":\"str\",\"capabilities\":[\"str\",...],\"rules\":[\"segwit\","
     "\"str\",...],\"longpollid\":\"str\",\"data\":\"hex\"}\n"
     "\n"
     "If the request parameters include a 'mode' key, that is used to explicitly select "
     "between the default 'template' request or a 'proposal'.\n"
     "It returns data needed to construct a block to work on.\n"
     "For full specification, see BIPs 22, 23, 9, and 145.\n"
     "With longpollid (from an earlier template) the call waits until the tip changes, or "
     "a minute passes and the mempool changed.\n"
     "In 'proposal' mode (BIP 23) the block in 'data' is checked as the next block on the "
     "tip without being stored: the result is null when it would be accepted, otherwise "
     "the reason (\"duplicate\", \"duplicate-invalid\", \"duplicate-inconclusive\", "
     "\"inconclusive-not-best-prevblk\" or a reject reason such as \"bad-txnmrklroot\").\n"
     "\n"
     "Arguments:\n"
     "1. template_request    (json object, required) Format of the template\n"
     "     {\n"
     "       \"mode\": \"str\",                (string, optional) This must be set to "
     "\"template\", \"proposal\" (see BIP 23), or omitted\n"
     "       \"capabilities\": [ \"str\", ... ], (json array, optional) A list of strings\n"
     "       \"rules\": [ \"segwit\", ... ],     (json array, required) A list of strings; "
     "must contain \"segwit\"\n"
     "       \"longpollid\": \"str\",          (string, optional) delay processing request "
     "until the result would vary significantly from the \"longpollid\" of a prior template\n"
     "       \"data\": \"hex\",                (string, optional) proposed block data to "
     "check, encoded in hexadecimal; valid only for mode=\"proposal\"\n"
     "     }\n"
     "\n"
     "Result (If the proposal was accepted with mode=='proposal'):\n"
     "null\n"
     "\n"
     "Result (If the proposal was not accepted with mode=='proposal'):\n"
     "\"str\"    (string) According to BIP22\n"
     "\n"
     "Result (Otherwise):\n"
     "{\n"
     "  \"capabilities\" : [ \"proposal\" ],\n"
     "  \"version\" : n, \"rules\" : [...], \"vbavailable\" : {}, \"vbrequired\" : n,\n"
     "  \"previousblockhash\" : \"hex\",\n"
     "  \"transactions\" : [ { \"data\", \"txid\", \"hash\", \"depends\" : [n,...], \"fee\", "
     "\"sigops\", \"weight\" }, ... ],\n"
     "  \"coinbaseaux\" : {}, \"coinbasevalue\" : n, \"longpollid\" : \"str\",\n"
     "  \"target\" : \"hex\", \"mintime\" : n, \"mutable\" : [...], \"noncerange\" : \"hex\",\n"
     "  \"sigoplimit\" : n, \"sizelimit\" : n, \"weightlimit\" : n, \"curtime\" : n,\n"
     "  \"bits\" : \"hex\", \"height\" : n, \"default_witness_commitment\" : \"hex\"\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getblocktemplate '{\"rules\": [\"segwit\"]}'"},
    {"getmininginfo",
     "mining",
     rpc_getmininginfo,
     {{NULL, RPC_ARG_ANY, false}},
     "getmininginfo\n"
     "\n"
     "Returns a json object containing mining-related information.\n"
     "\n"
     "Result:\n"
     "{                              (json object)\n"
     "  \"blocks\" : n,                (numeric) The current block\n"
     "  \"currentblockweight\" : n,    (numeric, optional) The block weight of the last "
     "assembled block\n"
     "  \"currentblocktx\" : n,        (numeric, optional) The number of block transactions "
     "of the last assembled block\n"
     "  \"bits\" : \"hex\",              (string) The current nBits, compact representation "
     "of the block difficulty target\n"
     "  \"difficulty\" : n,            (numeric) The current difficulty\n"
     "  \"target\" : \"hex\",            (string) The current target\n"
     "  \"networkhashps\" : n,         (numeric) The network hashes per second\n"
     "  \"pooledtx\" : n,              (numeric) The size of the mempool\n"
     "  \"chain\" : \"str\",             (string) current network name\n"
     "  \"next\" : {                   (json object) The next block\n"
     "    \"height\" : n, \"bits\" : \"hex\", \"difficulty\" : n, \"target\" : \"hex\"\n"
     "  },\n"
     "  \"warnings\" : [ \"str\", ... ] (json array) any network and blockchain warnings\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmininginfo"},
    {"getnetworkhashps",
     "mining",
     rpc_getnetworkhashps,
     {{"nblocks", RPC_ARG_NUM, true}, {"height", RPC_ARG_NUM, true}},
     "getnetworkhashps ( nblocks height )\n"
     "\n"
     "Returns the estimated network hashes per second based on the last n blocks.\n"
     "Pass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\n"
     "Pass in [height] to estimate the network speed at the time when a certain block was "
     "found.\n"
     "\n"
     "Arguments:\n"
     "1. nblocks    (numeric, optional, default=120) The number of previous blocks to "
     "calculate estimate from, or -1 for blocks since last difficulty change.\n"
     "2. height     (numeric, optional, default=-1) To estimate at the time of the given "
     "height.\n"
     "\n"
     "Result:\n"
     "n    (numeric) Hashes per second estimated\n"
     "\n"
     "Examples:\n"
     "> iop-cli getnetworkhashps"},
    {"submitblock",
     "mining",
     rpc_submitblock,
     {{"hexdata", RPC_ARG_STR, false}, {"dummy", RPC_ARG_ANY, true}},
     "submitblock \"hexdata\" ( \"dummy\" )\n"
     "\n"
     "Attempts to submit new block to network.\n"
     "See https://en.bitcoin.it/wiki/BIP_0022 for full specification.\n"
     "\n"
     "Arguments:\n"
     "1. hexdata    (string, required) the hex-encoded block data to submit\n"
     "2. dummy      (string, optional, default=ignored) dummy value, for compatibility "
     "with BIP22. This value is ignored.\n"
     "\n"
     "Result:\n"
     "null    (json null) If the block was accepted\n"
     "\"str\"   (string) Otherwise: According to BIP22: \"duplicate\", \"duplicate-invalid\", "
     "\"inconclusive\" or the reject reason\n"
     "\n"
     "Examples:\n"
     "> iop-cli submitblock \"mydata\""},
};

struct rpc_table mining_rpc_table(struct node_context *node)
{
    struct rpc_table t = {mining_methods, sizeof mining_methods / sizeof mining_methods[0],
                          node};
    return t;
}
