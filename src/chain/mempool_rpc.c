/* The mempool RPC methods (see mempool_rpc.h): getmempoolinfo, getrawmempool,
 * getmempoolentry, getmempoolancestors, getmempooldescendants, testmempoolaccept and
 * sendrawtransaction, as Bitcoin Core 29's rpc/mempool.cpp and node/transaction.cpp
 * shape them.
 *
 * Differences: testmempoolaccept checks several transactions one by one against the
 * chain and the pool (Core evaluates them as a package, so a child of an earlier listed
 * transaction is "missing-inputs" here); sendrawtransaction relays through the P2P
 * layer. */
#include "chain/mempool_rpc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/blockindex.h"
#include "chain/coins.h"
#include "chain/mempool.h"
#include "chain/policy.h"
#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/script.h"
#include "consensus/tx.h"
#include "util/hex.h"

/* Core's MAX_PACKAGE_COUNT. */
#define MAX_PACKAGE_COUNT 25
/* Core's DEFAULT_MAX_RAW_TX_FEE_RATE: 0.10 BTC/kvB. */
#define DEFAULT_MAX_RAW_TX_FEE_RATE (COIN / 10)
#define MAX_SCRIPT_SIZE_POLICY      10000

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

static json_t *hash_json(const uint256 *h)
{
    char hex[65];
    uint256_to_hex(hex, h);
    return json_string(hex);
}

/* Takes node->lock and checks the chainstate and the pool are there (-28, -33). On
 * success the lock is held. */
static bool lock_pool(struct node_context *node, struct rpc_error *err)
{
    pthread_mutex_lock(&node->lock);
    if (!node->chainstate) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    if (!node->mempool) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_CLIENT_MEMPOOL_DISABLED,
                             "Mempool disabled or instance not found");
    }
    return true;
}

/* Core's ParseHashV: 64 hex digits. */
static bool parse_txid(const json_t *v, const char *name, uint256 *out, struct rpc_error *err)
{
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (hex_digit(s[i]) < 0)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "%s must be hexadecimal string (not '%s')", name, s);
    if (n != 64)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "%s must be of length 64 (not %zu, for '%s')", name, n, s);
    if (!uint256_from_hex(out, s))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "%s must be hexadecimal string (not '%s')", name, s);
    return true;
}

/* Core's ParseFeeRate: BTC/kvB into sat/kvB, below 1 BTC/kvB. Absent: the default. */
static bool parse_fee_rate(const json_t *v, int64_t *out, struct rpc_error *err)
{
    if (!v) {
        *out = DEFAULT_MAX_RAW_TX_FEE_RATE;
        return true;
    }
    if (!amount_from_json(v, out, err)) return false;
    if (*out >= COIN)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Fee rates larger than or equal to 1BTC/kvB are not accepted");
    return true;
}

/* Core's DecodeHexTx: the witness serialization first, then the legacy one. */
static bool decode_tx_hex(const char *hex, struct tx *tx)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!*hex || !hex_decode_alloc(hex, &data, &len)) return false;
    bool ok = tx_from_bytes(tx, data, len, true) || tx_from_bytes(tx, data, len, false);
    free(data);
    return ok;
}

static void chain_tip(struct node_context *node, struct mempool_chain_tip *t)
{
    struct block_index *tip = chainstate_tip(node->chainstate);
    t->tip = tip;
    t->height = tip ? tip->height : -1;
    t->median_time_past = tip ? block_index_median_time_past(tip) : 0;
    t->now = node->now();
}

/* TxValidationState::ToString: reason, then ", debug" when there is one. */
static void state_string(char *out, size_t size, const struct mempool_accept_result *r)
{
    if (r->debug[0])
        snprintf(out, size, "%s, %s", r->reason ? r->reason : "", r->debug);
    else
        snprintf(out, size, "%s", r->reason ? r->reason : "");
}

/* ---- entries ---- */

/* Core's IsRBFOptIn: the transaction or one of its in-pool ancestors signals BIP125. */
static bool rbf_opt_in(struct mempool *pool, const struct mempool_entry *e)
{
    if (policy_signals_rbf(&e->tx)) return true;
    const struct mempool_entry **anc = NULL;
    size_t n = 0;
    if (!mempool_ancestors(pool, e, &anc, &n)) return false;
    bool r = false;
    for (size_t i = 0; i < n && !r; i++) r = policy_signals_rbf(&anc[i]->tx);
    free(anc);
    return r;
}

static int cmp_hex(const void *a, const void *b) { return strcmp(a, b); }

/* Core's entryToJSON. */
static json_t *entry_json(struct mempool *pool, const struct mempool_entry *e)
{
    json_t *o = json_object();
    json_t *fees = json_object();
    json_t *depends = json_array();
    json_t *spentby = json_array();
    if (!o || !fees || !depends || !spentby) {
        json_decref(o);
        json_decref(fees);
        json_decref(depends);
        json_decref(spentby);
        return NULL;
    }
    json_object_set_new(o, "vsize", json_integer(e->vsize));
    json_object_set_new(o, "weight", json_integer(e->weight));
    json_object_set_new(o, "time", json_integer(e->time));
    json_object_set_new(o, "height", json_integer(e->height));
    json_object_set_new(o, "descendantcount",
                        json_integer((json_int_t)e->count_with_descendants));
    json_object_set_new(o, "descendantsize", json_integer(e->size_with_descendants));
    json_object_set_new(o, "ancestorcount", json_integer((json_int_t)e->count_with_ancestors));
    json_object_set_new(o, "ancestorsize", json_integer(e->size_with_ancestors));
    json_object_set_new(o, "wtxid", hash_json(&e->wtxid));
    json_object_set_new(fees, "base", amount_to_json(e->fee));
    json_object_set_new(fees, "modified", amount_to_json(e->modified_fee));
    json_object_set_new(fees, "ancestor", amount_to_json(e->mod_fees_with_ancestors));
    json_object_set_new(fees, "descendant", amount_to_json(e->mod_fees_with_descendants));
    json_object_set_new(o, "fees", fees);
    /* Parents in txid order, as Core's std::set<std::string>. */
    char(*ids)[65] = NULL;
    size_t n = e->parent_count > e->child_count ? e->parent_count : e->child_count;
    if (n && !(ids = malloc(n * sizeof *ids))) {
        json_decref(o);
        json_decref(depends);
        json_decref(spentby);
        return NULL;
    }
    for (int pass = 0; pass < 2 && ids; pass++) {
        size_t cnt = pass == 0 ? e->parent_count : e->child_count;
        struct mempool_entry *const *list = pass == 0 ? e->parents : e->children;
        json_t *arr = pass == 0 ? depends : spentby;
        for (size_t i = 0; i < cnt; i++) uint256_to_hex(ids[i], &list[i]->txid);
        qsort(ids, cnt, sizeof *ids, cmp_hex);
        for (size_t i = 0; i < cnt; i++) json_array_append_new(arr, json_string(ids[i]));
    }
    free(ids);
    json_object_set_new(o, "depends", depends);
    json_object_set_new(o, "spentby", spentby);
    json_object_set_new(o, "bip125-replaceable", json_boolean(rbf_opt_in(pool, e)));
    json_object_set_new(o, "unbroadcast", json_false());
    return o;
}

/* ---- getmempoolinfo ---- */

static bool rpc_getmempoolinfo(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    (void)params;
    struct node_context *node = ctx;
    if (!lock_pool(node, err)) return false;
    struct mempool_info info;
    mempool_get_info(node->mempool, node->now(), &info);
    pthread_mutex_unlock(&node->lock);
    json_t *o = json_object();
    if (!o) return out_of_memory(err);
    json_object_set_new(o, "loaded", json_true());
    json_object_set_new(o, "size", json_integer((json_int_t)info.size));
    json_object_set_new(o, "bytes", json_integer(info.bytes));
    json_object_set_new(o, "usage", json_integer((json_int_t)info.usage));
    json_object_set_new(o, "total_fee", amount_to_json(info.total_fee));
    json_object_set_new(o, "maxmempool", json_integer((json_int_t)info.max_mempool));
    json_object_set_new(o, "mempoolminfee", amount_to_json(info.mempool_min_fee));
    json_object_set_new(o, "minrelaytxfee", amount_to_json(info.min_relay_fee));
    json_object_set_new(o, "incrementalrelayfee", amount_to_json(info.incremental_relay_fee));
    json_object_set_new(o, "unbroadcastcount", json_integer(0));
    json_object_set_new(o, "fullrbf", json_true());
    *result = o;
    return true;
}

/* ---- getrawmempool, ancestors, descendants ---- */

/* An array of txids or (verbose) an object txid -> entry over entries[0..n). */
static json_t *entries_json(struct mempool *pool, const struct mempool_entry *const *entries,
                            size_t n, bool verbose)
{
    json_t *r = verbose ? json_object() : json_array();
    if (!r) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (verbose) {
            char hex[65];
            json_t *e = entry_json(pool, entries[i]);
            if (!e) {
                json_decref(r);
                return NULL;
            }
            uint256_to_hex(hex, &entries[i]->txid);
            json_object_set_new(r, hex, e);
        } else {
            json_array_append_new(r, hash_json(&entries[i]->txid));
        }
    }
    return r;
}

static bool rpc_getrawmempool(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    struct node_context *node = ctx;
    const json_t *v = param(params, 0), *seq = param(params, 1);
    bool verbose = v && json_is_true(v);
    bool with_seq = seq && json_is_true(seq);
    if (verbose && with_seq)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Verbose results cannot contain mempool sequence values.");
    if (!lock_pool(node, err)) return false;
    const struct mempool_entry **all = NULL;
    size_t n = 0;
    bool ok = mempool_sorted_by_ancestor_score(node->mempool, &all, &n);
    json_t *r = ok ? entries_json(node->mempool, all, n, verbose) : NULL;
    if (r && with_seq) {
        json_t *o = json_object();
        if (o) {
            json_object_set_new(o, "txids", r);
            json_object_set_new(o, "mempool_sequence",
                                json_integer((json_int_t)mempool_sequence(node->mempool)));
        } else {
            json_decref(r);
        }
        r = o;
    }
    pthread_mutex_unlock(&node->lock);
    free(all);
    if (!r) return out_of_memory(err);
    *result = r;
    return true;
}

static bool rpc_getmempoolentry(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    struct node_context *node = ctx;
    uint256 id;
    if (!parse_txid(json_array_get(params, 0), "txid", &id, err)) return false;
    if (!lock_pool(node, err)) return false;
    const struct mempool_entry *e = mempool_get(node->mempool, &id);
    if (!e) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    }
    json_t *r = entry_json(node->mempool, e);
    pthread_mutex_unlock(&node->lock);
    if (!r) return out_of_memory(err);
    *result = r;
    return true;
}

static bool relatives(void *ctx, const json_t *params, json_t **result, struct rpc_error *err,
                      bool ancestors)
{
    struct node_context *node = ctx;
    uint256 id;
    if (!parse_txid(json_array_get(params, 0), "txid", &id, err)) return false;
    const json_t *v = param(params, 1);
    bool verbose = v && json_is_true(v);
    if (!lock_pool(node, err)) return false;
    const struct mempool_entry *e = mempool_get(node->mempool, &id);
    if (!e) {
        pthread_mutex_unlock(&node->lock);
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool");
    }
    const struct mempool_entry **list = NULL;
    size_t n = 0;
    bool ok = ancestors ? mempool_ancestors(node->mempool, e, &list, &n)
                        : mempool_descendants(node->mempool, e, &list, &n);
    json_t *r = ok ? entries_json(node->mempool, list, n, verbose) : NULL;
    pthread_mutex_unlock(&node->lock);
    free(list);
    if (!r) return out_of_memory(err);
    *result = r;
    return true;
}

static bool rpc_getmempoolancestors(void *ctx, const json_t *params, json_t **result,
                                    struct rpc_error *err)
{
    return relatives(ctx, params, result, err, true);
}

static bool rpc_getmempooldescendants(void *ctx, const json_t *params, json_t **result,
                                      struct rpc_error *err)
{
    return relatives(ctx, params, result, err, false);
}

/* ---- testmempoolaccept ---- */

static bool rpc_testmempoolaccept(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct node_context *node = ctx;
    const json_t *raw = json_array_get(params, 0);
    size_t n = json_array_size(raw);
    if (n < 1 || n > MAX_PACKAGE_COUNT)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Array must contain between 1 and %d transactions.",
                             MAX_PACKAGE_COUNT);
    int64_t max_rate = 0;
    if (!parse_fee_rate(param(params, 1), &max_rate, err)) return false;
    struct tx *txs = calloc(n, sizeof *txs);
    if (!txs) return out_of_memory(err);
    size_t have = 0;
    bool ok = false;
    json_t *r = NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *h = json_array_get(raw, i);
        if (!json_is_string(h)) {
            rpc_error_set(err, RPC_TYPE_ERROR,
                          "JSON value of type %s is not of expected type string",
                          rpc_json_type_name(h));
            goto done;
        }
        tx_init(&txs[i]);
        if (!decode_tx_hex(json_string_value(h), &txs[i])) {
            rpc_error_set(err, RPC_DESERIALIZATION_ERROR,
                          "TX decode failed: %s Make sure the tx has at least one input.",
                          json_string_value(h));
            goto done;
        }
        have = i + 1;
    }
    if (!lock_pool(node, err)) goto done;
    r = json_array();
    if (!r) {
        pthread_mutex_unlock(&node->lock);
        out_of_memory(err);
        goto done;
    }
    struct mempool_chain_tip tip;
    chain_tip(node, &tip);
    bool exit_early = false;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        uint256 id, wid;
        tx_txid(&txs[i], &id);
        tx_wtxid(&txs[i], &wid);
        json_object_set_new(o, "txid", hash_json(&id));
        json_object_set_new(o, "wtxid", hash_json(&wid));
        json_array_append_new(r, o);
        if (exit_early) continue;
        struct mempool_accept_options opts = {0};
        opts.test_accept = true;
        struct mempool_accept_result res;
        memset(&res, 0, sizeof res);
        bool accepted = mempool_accept(node->mempool, &txs[i], &tip,
                                       chainstate_coins(node->chainstate), &opts, &res);
        if (accepted) {
            int64_t max_fee = feerate_get_fee(max_rate, res.vsize);
            if (max_rate && res.fee > max_fee) {
                json_object_set_new(o, "allowed", json_false());
                json_object_set_new(o, "reject-reason", json_string("max-fee-exceeded"));
                exit_early = true;
            } else {
                json_object_set_new(o, "allowed", json_true());
                json_object_set_new(o, "vsize", json_integer(res.vsize));
                json_t *fees = json_object();
                json_t *inc = json_array();
                json_object_set_new(fees, "base", amount_to_json(res.fee));
                json_object_set_new(
                    fees, "effective-feerate",
                    amount_to_json(feerate_from_fee(res.modified_fee, res.vsize)));
                json_array_append_new(inc, hash_json(&wid));
                json_object_set_new(fees, "effective-includes", inc);
                json_object_set_new(o, "fees", fees);
            }
        } else {
            json_object_set_new(o, "allowed", json_false());
            if (res.kind == MEMPOOL_RESULT_MISSING_INPUTS) {
                json_object_set_new(o, "reject-reason", json_string("missing-inputs"));
            } else {
                char details[MEMPOOL_DEBUG_SIZE + 200];
                state_string(details, sizeof details, &res);
                json_object_set_new(o, "reject-reason",
                                    json_string(mempool_result_rpc_reason(&res)));
                json_object_set_new(o, "reject-details", json_string(details));
            }
            if (n > 1) exit_early = true;
        }
        mempool_accept_result_clear(&res);
    }
    pthread_mutex_unlock(&node->lock);
    *result = r;
    r = NULL;
    ok = true;
done:
    json_decref(r);
    for (size_t i = 0; i < have; i++) tx_clear(&txs[i]);
    free(txs);
    return ok;
}

/* ---- sendrawtransaction ---- */

/* Core's CScript::HasValidOps: every opcode parses and is at most OP_NOP10 (0xb9). */
static bool script_has_valid_ops(const uint8_t *s, size_t len)
{
    size_t pc = 0;
    while (pc < len) {
        uint8_t op = s[pc++];
        size_t n = 0;
        if (op <= OP_PUSHDATA4) {
            if (op < OP_PUSHDATA1) {
                n = op;
            } else if (op == OP_PUSHDATA1) {
                if (len - pc < 1) return false;
                n = s[pc++];
            } else if (op == OP_PUSHDATA2) {
                if (len - pc < 2) return false;
                n = (size_t)s[pc] | (size_t)s[pc + 1] << 8;
                pc += 2;
            } else {
                if (len - pc < 4) return false;
                n = (size_t)s[pc] | (size_t)s[pc + 1] << 8 | (size_t)s[pc + 2] << 16 |
                    (size_t)s[pc + 3] << 24;
                pc += 4;
            }
            if (len - pc < n) return false;
            pc += n;
        } else if (op > 0xb9) {
            return false;
        }
    }
    return true;
}

static bool rpc_sendrawtransaction(void *ctx, const json_t *params, json_t **result,
                                   struct rpc_error *err)
{
    struct node_context *node = ctx;
    int64_t max_burn = 0, max_rate = 0;
    const json_t *burn = param(params, 2);
    if (burn && !amount_from_json(burn, &max_burn, err)) return false;
    struct tx tx;
    tx_init(&tx);
    if (!decode_tx_hex(json_string_value(json_array_get(params, 0)), &tx))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR,
                             "TX decode failed. Make sure the tx has at least one input.");
    for (size_t i = 0; i < tx.vout_count; i++) {
        const struct tx_out *o = &tx.vout[i];
        bool unspendable = (o->script_pubkey_len > 0 && o->script_pubkey[0] == OP_RETURN) ||
                           o->script_pubkey_len > MAX_SCRIPT_SIZE_POLICY;
        if ((unspendable || !script_has_valid_ops(o->script_pubkey, o->script_pubkey_len)) &&
            o->value > max_burn) {
            tx_clear(&tx);
            return rpc_error_set(err, RPC_VERIFY_ERROR,
                                 "Unspendable output exceeds maximum configured by user "
                                 "(maxburnamount)");
        }
    }
    if (!parse_fee_rate(param(params, 1), &max_rate, err)) {
        tx_clear(&tx);
        return false;
    }
    uint256 id;
    tx_txid(&tx, &id);
    if (!lock_pool(node, err)) {
        tx_clear(&tx);
        return false;
    }
    bool ok = true;
    struct coins_cache *coins = chainstate_coins(node->chainstate);
    for (size_t i = 0; i < tx.vout_count; i++) {
        struct outpoint op = {id, (uint32_t)i};
        if (coins_cache_have(coins, &op)) {
            ok = rpc_error_set(err, RPC_VERIFY_ALREADY_IN_CHAIN,
                               "Transaction outputs already in utxo set");
            goto done;
        }
    }
    if (!mempool_get(node->mempool, &id)) {
        struct mempool_chain_tip tip;
        chain_tip(node, &tip);
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 0 && max_rate == 0) continue;
            struct mempool_accept_options opts = {0};
            opts.test_accept = pass == 0;
            struct mempool_accept_result res;
            memset(&res, 0, sizeof res);
            bool accepted = mempool_accept(node->mempool, &tx, &tip, coins, &opts, &res);
            if (!accepted) {
                char msg[MEMPOOL_DEBUG_SIZE + 200];
                state_string(msg, sizeof msg, &res);
                int code = res.kind == MEMPOOL_RESULT_MISSING_INPUTS ? RPC_VERIFY_ERROR
                           : res.kind == MEMPOOL_RESULT_ERROR        ? RPC_VERIFY_ERROR
                                                                     : RPC_VERIFY_REJECTED;
                ok = rpc_error_set(err, code, "%s", msg);
            } else if (pass == 0 && res.fee > feerate_get_fee(max_rate, res.vsize)) {
                ok = rpc_error_set(err, RPC_VERIFY_ERROR,
                                   "Fee exceeds maximum configured by user (e.g. -maxtxfee, "
                                   "maxfeerate)");
            }
            mempool_accept_result_clear(&res);
            if (!ok) goto done;
        }
    }
    if (node->relay_tx) {
        const struct mempool_entry *e = mempool_get(node->mempool, &id);
        if (e) node->relay_tx(node->relay_ctx, &id, &e->wtxid);
    }
    *result = hash_json(&id);
done:
    pthread_mutex_unlock(&node->lock);
    tx_clear(&tx);
    if (ok && !*result) return out_of_memory(err);
    return ok;
}

/* ---- the table ---- */

#define ENTRY_RESULT                                                                           \
    "{                               (json object)\n"                                          \
    "  \"vsize\" : n,                  (numeric) virtual transaction size as defined in "      \
    "BIP 141\n"                                                                                \
    "  \"weight\" : n,                 (numeric) transaction weight as defined in BIP 141\n"   \
    "  \"time\" : xxx,                 (numeric) local time transaction entered pool in "      \
    "seconds since 1 Jan 1970 GMT\n"                                                           \
    "  \"height\" : n,                 (numeric) block height when transaction entered "       \
    "pool\n"                                                                                   \
    "  \"descendantcount\" : n,        (numeric) number of in-mempool descendant "             \
    "transactions (including this one)\n"                                                      \
    "  \"descendantsize\" : n,         (numeric) virtual transaction size of in-mempool "      \
    "descendants (including this one)\n"                                                       \
    "  \"ancestorcount\" : n,          (numeric) number of in-mempool ancestor "               \
    "transactions (including this one)\n"                                                      \
    "  \"ancestorsize\" : n,           (numeric) virtual transaction size of in-mempool "      \
    "ancestors (including this one)\n"                                                         \
    "  \"wtxid\" : \"hex\",              (string) hash of serialized transaction, "            \
    "including witness data\n"                                                                 \
    "  \"fees\" : {                    (json object)\n"                                        \
    "    \"base\" : n,                 (numeric) transaction fee, denominated in IOP\n"        \
    "    \"modified\" : n,             (numeric) transaction fee with fee deltas used for "    \
    "mining priority\n"                                                                        \
    "    \"ancestor\" : n,             (numeric) transaction fees of in-mempool ancestors "    \
    "(including this one)\n"                                                                   \
    "    \"descendant\" : n            (numeric) transaction fees of in-mempool "              \
    "descendants (including this one)\n"                                                       \
    "  },\n"                                                                                   \
    "  \"depends\" : [ \"hex\", ... ],   (json array) unconfirmed transactions used as "       \
    "inputs for this transaction\n"                                                            \
    "  \"spentby\" : [ \"hex\", ... ],   (json array) unconfirmed transactions spending "      \
    "outputs from this transaction\n"                                                          \
    "  \"bip125-replaceable\" : true|false, (boolean) Whether this transaction signals "       \
    "BIP125 replaceability or has an unconfirmed ancestor signaling BIP125 "                   \
    "replaceability.\n"                                                                        \
    "  \"unbroadcast\" : true|false    (boolean) Whether this transaction is currently "       \
    "unbroadcast (always false until the P2P layer)\n"                                         \
    "}"

static const struct rpc_method mempool_methods[] = {
    {"getmempoolancestors",
     "blockchain",
     rpc_getmempoolancestors,
     {{"txid", RPC_ARG_STR, false}, {"verbose", RPC_ARG_BOOL, true}},
     "getmempoolancestors \"txid\" ( verbose )\n"
     "\n"
     "If txid is in the mempool, returns all in-mempool ancestors.\n"
     "\n"
     "Arguments:\n"
     "1. txid       (string, required) The transaction id (must be in mempool)\n"
     "2. verbose    (boolean, optional, default=false) True for a json object, false for "
     "array of transaction ids\n"
     "\n"
     "Result (for verbose = false):\n"
     "[ \"hex\", ... ]    (json array) The transaction ids of in-mempool ancestors\n"
     "\n"
     "Result: (for verbose = true)\n"
     "{ \"transactionid\" : " ENTRY_RESULT ", ... }\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmempoolancestors \"mytxid\""},
    {"getmempooldescendants",
     "blockchain",
     rpc_getmempooldescendants,
     {{"txid", RPC_ARG_STR, false}, {"verbose", RPC_ARG_BOOL, true}},
     "getmempooldescendants \"txid\" ( verbose )\n"
     "\n"
     "If txid is in the mempool, returns all in-mempool descendants.\n"
     "\n"
     "Arguments:\n"
     "1. txid       (string, required) The transaction id (must be in mempool)\n"
     "2. verbose    (boolean, optional, default=false) True for a json object, false for "
     "array of transaction ids\n"
     "\n"
     "Result (for verbose = false):\n"
     "[ \"hex\", ... ]    (json array) The transaction ids of in-mempool descendants\n"
     "\n"
     "Result: (for verbose = true)\n"
     "{ \"transactionid\" : " ENTRY_RESULT ", ... }\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmempooldescendants \"mytxid\""},
    {"getmempoolentry",
     "blockchain",
     rpc_getmempoolentry,
     {{"txid", RPC_ARG_STR, false}},
     "getmempoolentry \"txid\"\n"
     "\n"
     "Returns mempool data for given transaction\n"
     "\n"
     "Arguments:\n"
     "1. txid    (string, required) The transaction id (must be in mempool)\n"
     "\n"
     "Result:\n" ENTRY_RESULT "\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmempoolentry \"mytxid\""},
    {"getmempoolinfo",
     "blockchain",
     rpc_getmempoolinfo,
     {{NULL, RPC_ARG_ANY, false}},
     "getmempoolinfo\n"
     "\n"
     "Returns details on the active state of the TX memory pool.\n"
     "\n"
     "Result:\n"
     "{                            (json object)\n"
     "  \"loaded\" : true|false,     (boolean) True if the initial load attempt of the "
     "persisted mempool finished\n"
     "  \"size\" : n,                (numeric) Current tx count\n"
     "  \"bytes\" : n,               (numeric) Sum of all virtual transaction sizes as "
     "defined in BIP 141\n"
     "  \"usage\" : n,               (numeric) Total memory usage for the mempool\n"
     "  \"total_fee\" : n,           (numeric) Total fees for the mempool in IOP, ignoring "
     "modified fees through prioritisetransaction\n"
     "  \"maxmempool\" : n,          (numeric) Maximum memory usage for the mempool\n"
     "  \"mempoolminfee\" : n,       (numeric) Minimum fee rate in IOP/kvB for tx to be "
     "accepted\n"
     "  \"minrelaytxfee\" : n,       (numeric) Current minimum relay fee for transactions\n"
     "  \"incrementalrelayfee\" : n, (numeric) minimum fee rate increment for mempool "
     "limiting or replacement in IOP/kvB\n"
     "  \"unbroadcastcount\" : n,    (numeric) Current number of transactions that haven't "
     "passed initial broadcast yet\n"
     "  \"fullrbf\" : true|false     (boolean) True if the mempool accepts RBF without "
     "replaceability signaling inspection (always true)\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmempoolinfo"},
    {"getrawmempool",
     "blockchain",
     rpc_getrawmempool,
     {{"verbose", RPC_ARG_BOOL, true}, {"mempool_sequence", RPC_ARG_BOOL, true}},
     "getrawmempool ( verbose mempool_sequence )\n"
     "\n"
     "Returns all transaction ids in memory pool as a json array of string transaction "
     "ids.\n"
     "\n"
     "Hint: use getmempoolentry to fetch a specific transaction from the mempool.\n"
     "\n"
     "Arguments:\n"
     "1. verbose             (boolean, optional, default=false) True for a json object, "
     "false for array of transaction ids\n"
     "2. mempool_sequence    (boolean, optional, default=false) If verbose=false, returns a "
     "json object with transaction list and mempool sequence number attached.\n"
     "\n"
     "Result: (for verbose = false)\n"
     "[ \"hex\", ... ]    (json array) The transaction ids\n"
     "\n"
     "Result: (for verbose = true)\n"
     "{ \"transactionid\" : " ENTRY_RESULT ", ... }\n"
     "\n"
     "Result: (for verbose = false and mempool_sequence = true)\n"
     "{\n"
     "  \"txids\" : [ \"hex\", ... ],  (json array) The transaction ids\n"
     "  \"mempool_sequence\" : n      (numeric) The mempool sequence value.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getrawmempool true"},
    {"sendrawtransaction",
     "rawtransactions",
     rpc_sendrawtransaction,
     {{"hexstring", RPC_ARG_STR, false},
      {"maxfeerate", RPC_ARG_ANY, true},
      {"maxburnamount", RPC_ARG_ANY, true}},
     "sendrawtransaction \"hexstring\" ( maxfeerate maxburnamount )\n"
     "\n"
     "Submit a raw transaction (serialized, hex-encoded) to the local node's mempool.\n"
     "\n"
     "The transaction will be sent unconditionally to all peers once the P2P layer exists; "
     "until then it only enters this node's mempool (no relay).\n"
     "\n"
     "A specific exception, RPC_TRANSACTION_ALREADY_IN_UTXO_SET, may throw if the "
     "transaction cannot be added to the mempool.\n"
     "\n"
     "Related RPCs: createrawtransaction\n"
     "\n"
     "Arguments:\n"
     "1. hexstring        (string, required) The hex string of the raw transaction\n"
     "2. maxfeerate       (numeric or string, optional, default=\"0.10\") Reject "
     "transactions whose fee rate is higher than the specified value, expressed in IOP/kvB.\n"
     "                    Fee rates larger than 1IOP/kvB are rejected.\n"
     "                    Set to 0 to accept any fee rate.\n"
     "3. maxburnamount    (numeric or string, optional, default=\"0\") Reject transactions "
     "with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN "
     "opcode) greater than the specified value, expressed in IOP.\n"
     "\n"
     "Result:\n"
     "\"hex\"    (string) The transaction hash in hex\n"
     "\n"
     "Examples:\n"
     "> iop-cli sendrawtransaction \"signedhex\""},
    {"testmempoolaccept",
     "rawtransactions",
     rpc_testmempoolaccept,
     {{"rawtxs", RPC_ARG_ARR, false}, {"maxfeerate", RPC_ARG_ANY, true}},
     "testmempoolaccept [\"rawtx\",...] ( maxfeerate )\n"
     "\n"
     "Returns result of mempool acceptance tests indicating if raw transaction(s) "
     "(serialized, hex-encoded) would be accepted by mempool.\n"
     "\n"
     "If multiple transactions are passed in, each is tested on its own against the chain "
     "and the mempool, in order, stopping at the first failure (package evaluation is not "
     "supported yet).\n"
     "\n"
     "This checks if transactions violate the consensus or policy rules.\n"
     "\n"
     "Arguments:\n"
     "1. rawtxs        (json array, required) An array of hex strings of raw transactions.\n"
     "2. maxfeerate    (numeric or string, optional, default=\"0.10\") Reject transactions "
     "whose fee rate is higher than the specified value, expressed in IOP/kvB.\n"
     "\n"
     "Result:\n"
     "[                               (json array) The result of the mempool acceptance "
     "test for each raw transaction in the input array.\n"
     "  {                             (json object)\n"
     "    \"txid\" : \"hex\",             (string) The transaction hash in hex\n"
     "    \"wtxid\" : \"hex\",            (string) The transaction witness hash in hex\n"
     "    \"allowed\" : true|false,     (boolean, optional) Whether this tx would be "
     "accepted to the mempool and pass client-specified maxfeerate.\n"
     "    \"vsize\" : n,                (numeric, optional) Virtual transaction size as "
     "defined in BIP 141. Only present when 'allowed' is true.\n"
     "    \"fees\" : {                  (json object, optional) Transaction fees (only "
     "present if 'allowed' is true)\n"
     "      \"base\" : n,               (numeric) transaction fee in IOP\n"
     "      \"effective-feerate\" : n,  (numeric) the effective feerate in IOP per KvB.\n"
     "      \"effective-includes\" : [ \"hex\", ... ] (json array) wtxids of the "
     "transactions whose fees and vsizes are included in effective-feerate.\n"
     "    },\n"
     "    \"reject-reason\" : \"str\",    (string, optional) Rejection reason (only present "
     "when 'allowed' is false)\n"
     "    \"reject-details\" : \"str\"    (string, optional) Rejection details (only "
     "present when 'allowed' is false and rejection details exist)\n"
     "  },\n"
     "  ...\n"
     "]\n"
     "\n"
     "Examples:\n"
     "> iop-cli testmempoolaccept '[\"signedhex\"]'"},
};

struct rpc_table mempool_rpc_table(struct node_context *node)
{
    struct rpc_table t = {mempool_methods, sizeof mempool_methods / sizeof mempool_methods[0],
                          node};
    return t;
}
