/* The wallet's sending RPC methods (see spend_rpc.h).
 *
 * Parameters, results and errors follow Bitcoin Core 29's rpc/wallet/spend.cpp and
 * coins.cpp. Creation errors are -6 for sendtoaddress and sendmany (Core's SendMoney
 * reports every CreateTransaction failure as RPC_WALLET_INSUFFICIENT_FUNDS) and -4 for
 * send (FundTransaction's RPC_WALLET_ERROR); a locked wallet is -13, a mempool rejection
 * -26 with the mempool's reason. */
#include "wallet/spend_rpc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/address.h"
#include "consensus/script.h"
#include "util/hex.h"
#include "wallet/wallet_psbt.h"

/* Core's estimateMaxBlocks: the estimator answers up to 1008 blocks. */
#define MAX_CONF_TARGET 1008

static const json_t *param(const json_t *params, size_t i)
{
    const json_t *v = json_array_get(params, i);
    return (v && !json_is_null(v)) ? v : NULL;
}

static json_t *hash_json(const uint256 *h)
{
    char hex[65];
    uint256_to_hex(hex, h);
    return json_string(hex);
}

/* Core's ParseHashV / ParseHashO: 64 hex digits. */
static bool parse_txid(const json_t *v, const char *name, uint256 *out, struct rpc_error *err)
{
    if (!json_is_string(v))
        return rpc_error_set(err, RPC_TYPE_ERROR, "%s must be a string", name);
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

static bool parse_address(const struct wallet_rpc_ctx *c, const char *addr, uint8_t *script,
                          size_t *len, struct rpc_error *err)
{
    if (address_decode(script, len, NULL, &c->params->addr, addr) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid IoP address: %s", addr);
    return true;
}

/* An amount to send: AmountFromValue, then more than zero. */
static bool parse_send_amount(const json_t *v, int64_t *out, struct rpc_error *err)
{
    if (!amount_from_json(v, out, err)) return false;
    if (*out <= 0) return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount for send");
    return true;
}

/* A fee rate in sat/vB with at most 3 decimals (Core's AmountFromValue(v, 3)) into
 * sat/kvB. */
static bool parse_fee_rate_sat_vb(const json_t *v, int64_t *out, struct rpc_error *err)
{
    int64_t x;
    if (!amount_from_json(v, &x, err)) return false;
    if (x % 100000 != 0) return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount");
    *out = x / 100000;
    return true;
}

/* Core's SetFeeEstimateMode: fee_rate excludes conf_target and estimate_mode. */
static bool parse_fee_args(const json_t *conf_target, const json_t *estimate_mode,
                           const json_t *fee_rate, bool *has_rate, int64_t *rate, int *target,
                           enum spend_estimate_mode *mode, struct rpc_error *err)
{
    *has_rate = false;
    *target = 0;
    *mode = SPEND_MODE_UNSET;
    if (fee_rate) {
        if (conf_target)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Cannot specify both conf_target and fee_rate. Please provide "
                                 "either a confirmation target in blocks for automatic fee "
                                 "estimation, or an explicit fee rate.");
        if (estimate_mode && (!json_is_string(estimate_mode) ||
                              strcasecmp(json_string_value(estimate_mode), "unset") != 0))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Cannot specify both estimate_mode and fee_rate");
        if (!parse_fee_rate_sat_vb(fee_rate, rate, err)) return false;
        *has_rate = true;
        return true;
    }
    if (estimate_mode) {
        const char *m = json_is_string(estimate_mode) ? json_string_value(estimate_mode) : "";
        if (strcasecmp(m, "unset") == 0)
            *mode = SPEND_MODE_UNSET;
        else if (strcasecmp(m, "economical") == 0)
            *mode = SPEND_MODE_ECONOMICAL;
        else if (strcasecmp(m, "conservative") == 0)
            *mode = SPEND_MODE_CONSERVATIVE;
        else
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid estimate_mode parameter, must be one of: \"unset\", "
                                 "\"economical\", \"conservative\"");
    }
    if (conf_target) {
        if (!json_is_integer(conf_target))
            return rpc_error_set(err, RPC_TYPE_ERROR, "conf_target must be an integer");
        json_int_t t = json_integer_value(conf_target);
        if (t < 1 || t > MAX_CONF_TARGET)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid conf_target, must be between 1 and %d",
                                 MAX_CONF_TARGET);
        *target = (int)t;
    }
    return true;
}

/* Core's GetAvoidReuseFlag. */
static bool avoid_reuse_flag(struct wallet *w, const json_t *v, bool *out,
                             struct rpc_error *err)
{
    bool flag = (wallet_flags(w) & WALLET_FLAG_AVOID_REUSE) != 0;
    bool want = v ? json_is_true(v) : flag;
    if (want && !flag)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "wallet does not have the \"avoid reuse\" feature enabled");
    *out = want;
    return true;
}

/* ---- the common path: lock, create, commit ---- */

struct call {
    struct wallet_rpc_ctx *c;
    struct wallet_rpc_entry *e;
    struct wallet *w;
    struct node_context *node;
};

/* Takes the wallet, node->lock and the wallet's lock, in that order. */
static bool enter(struct wallet_rpc_ctx *c, struct call *k, struct rpc_error *err)
{
    k->c = c;
    k->node = c->node;
    k->e = wallet_rpc_acquire(c, err);
    if (!k->e) return false;
    k->w = wallet_rpc_entry_wallet(k->e);
    pthread_mutex_lock(&k->node->lock);
    if (!k->node->chainstate) {
        pthread_mutex_unlock(&k->node->lock);
        wallet_rpc_release(c, k->e);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    if (!k->node->mempool) {
        pthread_mutex_unlock(&k->node->lock);
        wallet_rpc_release(c, k->e);
        return rpc_error_set(err, RPC_CLIENT_MEMPOOL_DISABLED,
                             "Mempool disabled or instance not found");
    }
    wallet_lock(k->w);
    return true;
}

static void leave(struct call *k)
{
    wallet_unlock(k->w);
    pthread_mutex_unlock(&k->node->lock);
    wallet_rpc_release(k->c, k->e);
}

static bool spend_error(enum spend_error e, int create_code, const char *msg,
                        struct rpc_error *err)
{
    switch (e) {
    case SPEND_ERR_INSUFFICIENT_FUNDS:
    case SPEND_ERR_CREATE: return rpc_error_set(err, create_code, "%s", msg);
    case SPEND_ERR_UNLOCK_NEEDED:
        return rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED,
                             "Error: Please enter the wallet passphrase with walletpassphrase "
                             "first.");
    case SPEND_ERR_REJECTED: return rpc_error_set(err, RPC_VERIFY_REJECTED, "%s", msg);
    case SPEND_ERR_FAILED:
    case SPEND_OK: break;
    }
    return rpc_error_set(err, RPC_WALLET_ERROR, "%s", msg);
}

/* Creates and commits (unless !commit); *res keeps the transaction. */
static bool create_and_commit(struct call *k, const struct spend_request *req, bool commit,
                              int create_code, struct spend_result *res, struct rpc_error *err)
{
    char msg[600];
    msg[0] = 0;
    enum spend_error e = spend_create(k->w, k->node, &k->c->spend, req, res, msg, sizeof msg);
    if (e == SPEND_OK && commit)
        e = spend_commit(k->w, k->node, &k->c->spend, &res->tx, msg, sizeof msg);
    if (e != SPEND_OK) {
        spend_result_clear(res);
        return spend_error(e, create_code, msg, err);
    }
    return true;
}

static json_t *send_result(const struct spend_result *r, bool verbose)
{
    if (!verbose) return hash_json(&r->txid);
    json_t *o = json_object();
    json_object_set_new(o, "txid", hash_json(&r->txid));
    json_object_set_new(o, "fee_reason", json_string(spend_fee_reason_name(r->fee_reason)));
    return o;
}

/* ---- sendtoaddress ---- */

static bool rpc_sendtoaddress(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    struct spend_recipient r;
    memset(&r, 0, sizeof r);
    const char *addr = json_string_value(param(params, 0));
    if (!parse_address(c, addr, r.script, &r.script_len, err)) return false;
    if (!parse_send_amount(param(params, 1), &r.amount, err)) return false;
    r.subtract_fee = param(params, 4) && json_is_true(param(params, 4));
    struct spend_request req;
    memset(&req, 0, sizeof req);
    req.recipients = &r;
    req.nrecipients = 1;
    req.change_position = -1;
    req.change_type = -1;
    req.replaceable = param(params, 5) ? json_is_true(param(params, 5)) : -1;
    if (!parse_fee_args(param(params, 6), param(params, 7), param(params, 9), &req.has_fee_rate,
                        &req.fee_rate, &req.conf_target, &req.estimate_mode, err))
        return false;
    bool verbose = param(params, 10) && json_is_true(param(params, 10));
    struct call k;
    if (!enter(c, &k, err)) return false;
    struct spend_result res;
    bool ok = avoid_reuse_flag(k.w, param(params, 8), &req.avoid_reuse, err) &&
              create_and_commit(&k, &req, true, RPC_WALLET_INSUFFICIENT_FUNDS, &res, err);
    leave(&k);
    if (!ok) return false;
    *result = send_result(&res, verbose);
    spend_result_clear(&res);
    return true;
}

/* ---- sendmany ---- */

/* Core's ParseRecipients for an {address: amount} object; subtract lists addresses. */
static bool parse_amounts(struct wallet_rpc_ctx *c, const json_t *amounts,
                          const json_t *subtract, struct spend_recipient **out, size_t *n,
                          struct rpc_error *err)
{
    *out = NULL;
    *n = 0;
    if (!json_is_object(amounts))
        return rpc_error_set(err, RPC_TYPE_ERROR, "amounts must be an object");
    size_t cap = json_object_size(amounts);
    struct spend_recipient *v = calloc(cap ? cap : 1, sizeof *v);
    if (!v) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)amounts, key, val)
    {
        struct spend_recipient *r = &v[*n];
        if (!parse_address(c, key, r->script, &r->script_len, err)) goto fail;
        for (size_t j = 0; j < *n; j++)
            if (v[j].script_len == r->script_len &&
                memcmp(v[j].script, r->script, r->script_len) == 0) {
                rpc_error_set(err, RPC_INVALID_PARAMETER,
                              "Invalid parameter, duplicated address: %s", key);
                goto fail;
            }
        if (!parse_send_amount(val, &r->amount, err)) goto fail;
        for (size_t j = 0; subtract && j < json_array_size(subtract); j++) {
            const json_t *s = json_array_get(subtract, j);
            if (json_is_string(s) && strcmp(json_string_value(s), key) == 0)
                r->subtract_fee = true;
        }
        (*n)++;
    }
    *out = v;
    return true;
fail:
    free(v);
    *n = 0;
    return false;
}

static bool rpc_sendmany(void *ctx, const json_t *params, json_t **result,
                         struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const json_t *dummy = param(params, 0);
    if (dummy && (!json_is_string(dummy) || json_string_value(dummy)[0]))
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Dummy value must be set to \"\"");
    const json_t *sub = param(params, 4);
    if (sub && !json_is_array(sub))
        return rpc_error_set(err, RPC_TYPE_ERROR, "subtractfeefrom must be an array");
    struct spend_request req;
    memset(&req, 0, sizeof req);
    req.change_position = -1;
    req.change_type = -1;
    const json_t *mc = param(params, 2);
    if (mc && !json_is_integer(mc))
        return rpc_error_set(err, RPC_TYPE_ERROR, "minconf must be an integer");
    req.minconf = mc ? (int)json_integer_value(mc) : 0;
    req.replaceable = param(params, 5) ? json_is_true(param(params, 5)) : -1;
    if (!parse_fee_args(param(params, 6), param(params, 7), param(params, 8), &req.has_fee_rate,
                        &req.fee_rate, &req.conf_target, &req.estimate_mode, err))
        return false;
    bool verbose = param(params, 9) && json_is_true(param(params, 9));
    struct spend_recipient *rcp;
    size_t n;
    if (!parse_amounts(c, param(params, 1), sub, &rcp, &n, err)) return false;
    req.recipients = rcp;
    req.nrecipients = n;
    struct call k;
    if (!enter(c, &k, err)) {
        free(rcp);
        return false;
    }
    struct spend_result res;
    bool ok = avoid_reuse_flag(k.w, NULL, &req.avoid_reuse, err) &&
              create_and_commit(&k, &req, true, RPC_WALLET_INSUFFICIENT_FUNDS, &res, err);
    leave(&k);
    free(rcp);
    if (!ok) return false;
    *result = send_result(&res, verbose);
    spend_result_clear(&res);
    return true;
}

/* ---- send ---- */

static bool parse_outputs(struct wallet_rpc_ctx *c, const json_t *outputs,
                          struct spend_recipient **out, size_t *n, struct rpc_error *err)
{
    /* An array of {address: amount} objects, or one object of them. */
    json_t *merged = json_object();
    if (!merged) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    bool ok = true;
    if (json_is_array(outputs)) {
        size_t i;
        json_t *o;
        json_array_foreach(outputs, i, o)
        {
            if (!json_is_object(o)) {
                ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                                   "Invalid parameter, key-value pair not an object as "
                                   "expected");
                break;
            }
            const char *key;
            json_t *val;
            json_object_foreach(o, key, val)
            {
                if (strcmp(key, "data") == 0) {
                    ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                                       "Data outputs are not supported yet");
                    break;
                }
                if (json_object_get(merged, key)) {
                    ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                                       "Invalid parameter, duplicated address: %s", key);
                    break;
                }
                json_object_set(merged, key, val);
            }
            if (!ok) break;
        }
    } else if (json_is_object(outputs)) {
        if (json_object_get(outputs, "data"))
            ok =
                rpc_error_set(err, RPC_INVALID_PARAMETER, "Data outputs are not supported yet");
        else
            json_object_update(merged, (json_t *)outputs);
    } else {
        ok = rpc_error_set(err, RPC_TYPE_ERROR, "outputs must be an array or an object");
    }
    if (ok && json_object_size(merged) == 0)
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "Invalid parameter, output argument cannot be an empty array");
    ok = ok && parse_amounts(c, merged, NULL, out, n, err);
    json_decref(merged);
    return ok;
}

/* What do_send answers: send's result, or walletcreatefundedpsbt's. */
enum send_mode { SEND_MODE_SEND, SEND_MODE_FUNDED_PSBT };

/* Makes a PSBT of an unsigned funded transaction and runs the wallet's updater on it
 * (and signer with sign). Error codes as Core's PSBT errors. */
static bool wallet_psbt_of(struct wallet *w, const struct tx *tx, bool sign, bool bip32derivs,
                           bool finalize, struct psbt *p, bool *complete, struct rpc_error *err)
{
    psbt_init(p);
    if (!psbt_from_tx(p, tx)) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    char msg[256];
    enum wallet_psbt_error e = wallet_psbt_fill(w, p, sign, SIGHASH_DEFAULT, bip32derivs,
                                                finalize, complete, msg, sizeof msg);
    if (e == WALLET_PSBT_OK) return true;
    psbt_clear(p);
    if (e == WALLET_PSBT_UNLOCK_NEEDED)
        return rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED, "%s", msg);
    if (e == WALLET_PSBT_SIGHASH_MISMATCH)
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "%s", msg);
    return rpc_error_set(err, RPC_WALLET_ERROR, "%s", msg);
}

static json_t *tx_hex_json(const struct tx *tx)
{
    struct writer wr;
    writer_init(&wr);
    tx_serialize(&wr, tx, true);
    char *hex = wr.failed ? NULL : malloc(2 * wr.len + 1);
    json_t *v = NULL;
    if (hex) {
        hex_encode(hex, wr.data, wr.len);
        v = json_string(hex);
        free(hex);
    }
    writer_free(&wr);
    return v;
}

/* send and walletcreatefundedpsbt: outputs, the fee arguments (positional, may be NULL)
 * and send's options (snake_case names). */
static bool do_send(struct wallet_rpc_ctx *c, const json_t *outputs, const json_t *ct,
                    const json_t *em, const json_t *fr, const json_t *opts, enum send_mode mode,
                    bool bip32derivs, json_t **result, struct rpc_error *err)
{
    if (opts && !json_is_object(opts))
        return rpc_error_set(err, RPC_TYPE_ERROR, "options must be an object");
    static const char *const known[] = {"add_inputs",
                                        "include_unsafe",
                                        "add_to_wallet",
                                        "change_address",
                                        "change_position",
                                        "change_type",
                                        "fee_rate",
                                        "conf_target",
                                        "estimate_mode",
                                        "include_watching",
                                        "inputs",
                                        "locktime",
                                        "lock_unspents",
                                        "psbt",
                                        "subtract_fee_from_outputs",
                                        "replaceable",
                                        "solving_data",
                                        "max_tx_weight",
                                        NULL};
    const char *key;
    json_t *val;
    if (opts) json_object_foreach((json_t *)opts, key, val)
        {
            bool ok = false;
            for (size_t i = 0; known[i] && !ok; i++) ok = strcmp(known[i], key) == 0;
            if (!ok) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Unexpected key %s", key);
        }
#define OPT(name)                                                                              \
    (opts ? (json_object_get(opts, name) && !json_is_null(json_object_get(opts, name))         \
                 ? json_object_get(opts, name)                                                 \
                 : NULL)                                                                       \
          : NULL)
    bool psbt_opt = mode == SEND_MODE_FUNDED_PSBT || (OPT("psbt") && json_is_true(OPT("psbt")));
    /* Fee arguments may come positionally or in options, not both (Core). */
    if ((ct && OPT("conf_target")) || (em && OPT("estimate_mode")) || (fr && OPT("fee_rate")))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Pass conf_target, estimate_mode and fee_rate either as arguments "
                             "or in options, not both");
    if (!ct) ct = OPT("conf_target");
    if (!em) em = OPT("estimate_mode");
    if (!fr) fr = OPT("fee_rate");
    struct spend_request req;
    memset(&req, 0, sizeof req);
    req.change_position = -1;
    req.change_type = -1;
    if (OPT("change_type")) {
        enum wallet_addr_type t;
        const char *ts =
            json_is_string(OPT("change_type")) ? json_string_value(OPT("change_type")) : "";
        if (OPT("change_address"))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Cannot specify both change address and address type options");
        if (!wallet_addr_type_parse(ts, &t))
            return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Unknown change type '%s'",
                                 ts);
        req.change_type = (int)t;
    }
    if (!parse_fee_args(ct, em, fr, &req.has_fee_rate, &req.fee_rate, &req.conf_target,
                        &req.estimate_mode, err))
        return false;
    req.replaceable = OPT("replaceable") ? json_is_true(OPT("replaceable")) : -1;
    bool add_to_wallet = !OPT("add_to_wallet") || json_is_true(OPT("add_to_wallet"));
    bool lock_unspents = OPT("lock_unspents") && json_is_true(OPT("lock_unspents"));
    uint8_t change_script[ADDRESS_MAX_SCRIPT_LEN];
    size_t change_len = 0;
    if (OPT("change_address")) {
        if (!json_is_string(OPT("change_address")))
            return rpc_error_set(err, RPC_TYPE_ERROR, "change_address must be a string");
        if (address_decode(change_script, &change_len, NULL, &c->params->addr,
                           json_string_value(OPT("change_address"))) != ADDRESS_OK)
            return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                                 "Change address must be a valid IoP address");
        req.change_script = change_script;
        req.change_script_len = change_len;
    }
    if (OPT("change_position")) {
        if (!json_is_integer(OPT("change_position")))
            return rpc_error_set(err, RPC_TYPE_ERROR, "change_position must be an integer");
        req.change_position = (int)json_integer_value(OPT("change_position"));
    }
    if (OPT("locktime")) {
        if (!json_is_integer(OPT("locktime")) || json_integer_value(OPT("locktime")) < 0 ||
            json_integer_value(OPT("locktime")) > 0xffffffffLL)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, locktime out of range");
        req.has_locktime = true;
        req.locktime = (uint32_t)json_integer_value(OPT("locktime"));
    }
    struct spend_recipient *rcp = NULL;
    size_t n = 0;
    struct outpoint *ins = NULL;
    const json_t *inputs = OPT("inputs");
    if (inputs && !json_is_array(inputs))
        return rpc_error_set(err, RPC_TYPE_ERROR, "inputs must be an array");
    if (!parse_outputs(c, outputs, &rcp, &n, err)) return false;
    const json_t *sffo = OPT("subtract_fee_from_outputs");
    if (sffo && !json_is_array(sffo)) {
        free(rcp);
        return rpc_error_set(err, RPC_TYPE_ERROR, "subtract_fee_from_outputs must be an array");
    }
    for (size_t i = 0; sffo && i < json_array_size(sffo); i++) {
        const json_t *x = json_array_get(sffo, i);
        if (!json_is_integer(x) || json_integer_value(x) < 0 ||
            (size_t)json_integer_value(x) >= n) {
            free(rcp);
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, vout index out of bounds");
        }
        rcp[json_integer_value(x)].subtract_fee = true;
    }
    size_t nin = inputs ? json_array_size(inputs) : 0;
    ins = calloc(nin ? nin : 1, sizeof *ins);
    int64_t *seqs = calloc(nin ? nin : 1, sizeof *seqs); /* -1: the wallet's choice */
    if (!ins || !seqs) {
        free(rcp);
        free(ins);
        free(seqs);
        return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    for (size_t i = 0; i < nin; i++) {
        const json_t *o = json_array_get(inputs, i);
        const json_t *vout = json_is_object(o) ? json_object_get(o, "vout") : NULL;
        if (!json_is_object(o) ||
            !parse_txid(json_object_get(o, "txid"), "txid", &ins[i].hash, err)) {
            if (!json_is_object(o))
                rpc_error_set(err, RPC_TYPE_ERROR, "inputs must be objects");
            free(rcp);
            free(ins);
            return false;
        }
        if (!json_is_integer(vout)) {
            free(rcp);
            free(ins);
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, missing vout key");
        }
        if (json_integer_value(vout) < 0) {
            free(rcp);
            free(ins);
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, vout cannot be negative");
        }
        ins[i].n = (uint32_t)json_integer_value(vout);
        const json_t *seq = json_object_get(o, "sequence");
        seqs[i] = -1;
        if (seq && !json_is_null(seq)) {
            if (!json_is_integer(seq) || json_integer_value(seq) < 0 ||
                json_integer_value(seq) > 0xffffffffLL) {
                free(rcp);
                free(ins);
                free(seqs);
                return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                     "Invalid parameter, sequence number is out of range");
            }
            seqs[i] = json_integer_value(seq);
        }
    }
    req.recipients = rcp;
    req.nrecipients = n;
    req.inputs = ins;
    req.ninputs = nin;
    req.add_inputs = OPT("add_inputs") ? json_is_true(OPT("add_inputs")) : nin == 0;
#undef OPT
    struct call k;
    if (!enter(c, &k, err)) {
        free(rcp);
        free(ins);
        free(seqs);
        return false;
    }
    /* Core's send returns a PSBT when asked to, and when the wallet cannot sign (private
     * keys disabled or locked); walletcreatefundedpsbt never signs. */
    bool can_sign =
        wallet_has_private_keys(k.w) && !wallet_is_blank(k.w) && !wallet_is_locked(k.w);
    req.no_sign = psbt_opt || !can_sign;
    struct spend_result res;
    bool ok =
        avoid_reuse_flag(k.w, NULL, &req.avoid_reuse, err) &&
        create_and_commit(&k, &req, add_to_wallet && !req.no_sign, RPC_WALLET_ERROR, &res, err);
    /* Explicit sequence numbers of preset inputs (walletcreatefundedpsbt's inputs). */
    for (size_t i = 0; ok && req.no_sign && i < nin; i++)
        for (size_t j = 0; seqs[i] >= 0 && j < res.tx.vin_count; j++)
            if (res.tx.vin[j].prevout.n == ins[i].n &&
                memcmp(res.tx.vin[j].prevout.hash.b, ins[i].hash.b, 32) == 0)
                res.tx.vin[j].sequence = (uint32_t)seqs[i];
    json_t *o = NULL;
    if (ok && req.no_sign) {
        struct psbt p;
        bool complete = false;
        bool fill_sign = mode == SEND_MODE_SEND && can_sign;
        bool finalize = mode == SEND_MODE_SEND;
        bool made = wallet_psbt_of(k.w, &res.tx, fill_sign,
                                   mode == SEND_MODE_FUNDED_PSBT && bip32derivs, finalize, &p,
                                   &complete, err);
        ok = made;
        char *b64 = ok ? psbt_to_base64(&p) : NULL;
        if (ok && !b64) ok = rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        if (ok) {
            o = json_object();
            json_object_set_new(o, "psbt", json_string(b64));
            if (mode == SEND_MODE_FUNDED_PSBT) {
                json_object_set_new(o, "fee", amount_to_json(res.fee));
                json_object_set_new(o, "changepos", json_integer(res.change_pos));
            } else {
                struct tx final;
                tx_init(&final);
                if (complete && psbt_extract(&p, &final)) {
                    uint256 txid;
                    tx_txid(&final, &txid);
                    json_object_set_new(o, "txid", hash_json(&txid));
                    json_object_set_new(o, "hex", tx_hex_json(&final));
                }
                tx_clear(&final);
                json_object_set_new(o, "complete", json_boolean(complete));
            }
        }
        free(b64);
        if (made) psbt_clear(&p);
    }
    if (ok && lock_unspents && (!add_to_wallet || req.no_sign)) {
        char msg[256];
        for (size_t i = 0; ok && i < res.tx.vin_count; i++)
            if (!wallet_lock_coin(k.w, &res.tx.vin[i].prevout.hash, res.tx.vin[i].prevout.n,
                                  false, msg, sizeof msg))
                ok = rpc_error_set(err, RPC_WALLET_ERROR, "Locking coin failed");
    }
    leave(&k);
    free(rcp);
    free(ins);
    free(seqs);
    if (!ok) {
        json_decref(o);
        spend_result_clear(&res);
        return false;
    }
    if (!o) {
        o = json_object();
        json_object_set_new(o, "complete", json_true());
        if (add_to_wallet)
            json_object_set_new(o, "txid", hash_json(&res.txid));
        else
            json_object_set_new(o, "hex", tx_hex_json(&res.tx));
    }
    spend_result_clear(&res);
    *result = o;
    return true;
}

static bool rpc_send(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    return do_send(ctx, param(params, 0), param(params, 1), param(params, 2), param(params, 3),
                   param(params, 4), SEND_MODE_SEND, false, result, err);
}

/* ---- walletcreatefundedpsbt / walletprocesspsbt ---- */

/* FundTransaction's camelCase option names and their snake_case twins. */
static const char *const option_aliases[][2] = {
    {"changeAddress", "change_address"},
    {"changePosition", "change_position"},
    {"includeWatching", "include_watching"},
    {"lockUnspents", "lock_unspents"},
    {"subtractFeeFromOutputs", "subtract_fee_from_outputs"},
};

static bool rpc_walletcreatefundedpsbt(void *ctx, const json_t *params, json_t **result,
                                       struct rpc_error *err)
{
    const json_t *inputs = param(params, 0), *outputs = param(params, 1);
    const json_t *locktime = param(params, 2), *opts = param(params, 3);
    const json_t *derivs = param(params, 4);
    if (inputs && !json_is_array(inputs))
        return rpc_error_set(err, RPC_TYPE_ERROR, "inputs must be an array");
    if (opts && !json_is_object(opts))
        return rpc_error_set(err, RPC_TYPE_ERROR, "options must be an object");
    json_t *o = json_object();
    if (!o) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    const char *key;
    json_t *val;
    bool ok = true;
    if (opts) json_object_foreach((json_t *)opts, key, val)
        {
            const char *name = key;
            for (size_t i = 0; i < sizeof option_aliases / sizeof option_aliases[0]; i++)
                if (strcmp(key, option_aliases[i][0]) == 0) name = option_aliases[i][1];
            if (strcmp(key, "psbt") == 0 || strcmp(key, "add_to_wallet") == 0) {
                ok = rpc_error_set(err, RPC_INVALID_PARAMETER, "Unexpected key %s", key);
                break;
            }
            if (strcmp(key, "feeRate") == 0) {
                /* IOP/kvB to send's sat/vB (3 decimals: exact). */
                int64_t kvb;
                if (json_is_null(val)) continue;
                if (!amount_from_json(val, &kvb, err)) {
                    ok = false;
                    break;
                }
                if (json_object_get(opts, "fee_rate")) {
                    ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                                       "Cannot specify both fee_rate (sat/vB) and feeRate "
                                       "(IOP/kvB)");
                    break;
                }
                char rate[48];
                snprintf(rate, sizeof rate, "%lld.%03lld", (long long)(kvb / 1000),
                         (long long)(kvb % 1000));
                json_object_set_new(o, "fee_rate", json_string(rate));
                continue;
            }
            if (json_object_get(o, name)) {
                ok = rpc_error_set(err, RPC_INVALID_PARAMETER, "Duplicate option %s", name);
                break;
            }
            json_object_set(o, name, val);
        }
    if (ok && inputs) json_object_set(o, "inputs", (json_t *)inputs);
    if (ok) {
        /* Core's walletcreatefundedpsbt uses the given locktime, 0 by default. */
        if (locktime && !json_is_integer(locktime))
            ok = rpc_error_set(err, RPC_TYPE_ERROR, "locktime must be a number");
        else
            json_object_set_new(o, "locktime",
                                json_integer(locktime ? json_integer_value(locktime) : 0));
    }
    ok = ok && do_send(ctx, outputs, NULL, NULL, NULL, o, SEND_MODE_FUNDED_PSBT,
                       !derivs || json_is_true(derivs), result, err);
    json_decref(o);
    return ok;
}

static bool rpc_walletprocesspsbt(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *b64 = json_string_value(param(params, 0));
    const json_t *sign_v = param(params, 1), *type_v = param(params, 2);
    const json_t *derivs_v = param(params, 3), *fin_v = param(params, 4);
    bool sign = !sign_v || json_is_true(sign_v);
    bool bip32derivs = !derivs_v || json_is_true(derivs_v);
    bool finalize = !fin_v || json_is_true(fin_v);
    int sighash = SIGHASH_DEFAULT;
    if (type_v && (!json_is_string(type_v) ||
                   !wallet_psbt_parse_sighash(json_string_value(type_v), &sighash)))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "'%s' is not a valid sighash parameter.",
                             json_is_string(type_v) ? json_string_value(type_v) : "");
    struct psbt p;
    char perr[PSBT_ERR_MAX];
    if (!b64 || !psbt_from_base64(&p, b64, perr))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "TX decode failed %s",
                             b64 ? perr : "");
    struct wallet_rpc_entry *e = wallet_rpc_acquire(c, err);
    if (!e) {
        psbt_clear(&p);
        return false;
    }
    struct wallet *w = wallet_rpc_entry_wallet(e);
    wallet_lock(w);
    bool complete = false;
    char msg[256];
    enum wallet_psbt_error pe = wallet_psbt_fill(w, &p, sign, sighash, bip32derivs, finalize,
                                                 &complete, msg, sizeof msg);
    wallet_unlock(w);
    wallet_rpc_release(c, e);
    if (pe != WALLET_PSBT_OK) {
        psbt_clear(&p);
        if (pe == WALLET_PSBT_UNLOCK_NEEDED)
            return rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED, "%s", msg);
        if (pe == WALLET_PSBT_SIGHASH_MISMATCH)
            return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "%s", msg);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", msg);
    }
    char *out = psbt_to_base64(&p);
    if (!out) {
        psbt_clear(&p);
        return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    }
    json_t *o = json_object();
    json_object_set_new(o, "psbt", json_string(out));
    json_object_set_new(o, "complete", json_boolean(complete));
    free(out);
    if (complete && finalize) {
        struct tx final;
        tx_init(&final);
        if (psbt_extract(&p, &final)) json_object_set_new(o, "hex", tx_hex_json(&final));
        tx_clear(&final);
    }
    psbt_clear(&p);
    *result = o;
    return true;
}

/* ---- bumpfee ---- */

static bool rpc_bumpfee(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    uint256 txid;
    if (!parse_txid(param(params, 0), "txid", &txid, err)) return false;
    const json_t *opts = param(params, 1);
    if (opts && !json_is_object(opts))
        return rpc_error_set(err, RPC_TYPE_ERROR, "options must be an object");
    struct bumpfee_request br;
    memset(&br, 0, sizeof br);
    br.replaceable = true;
    const char *key;
    json_t *val;
    if (opts) json_object_foreach((json_t *)opts, key, val)
        {
            if (strcmp(key, "conf_target") && strcmp(key, "fee_rate") &&
                strcmp(key, "replaceable") && strcmp(key, "estimate_mode") &&
                strcmp(key, "outputs") && strcmp(key, "original_change_index"))
                return rpc_error_set(err, RPC_INVALID_PARAMETER, "Unexpected key %s", key);
            if ((!strcmp(key, "outputs") || !strcmp(key, "original_change_index")) &&
                !json_is_null(val))
                return rpc_error_set(err, RPC_INVALID_PARAMETER, "%s is not supported yet",
                                     key);
        }
    const json_t *ct = opts ? json_object_get(opts, "conf_target") : NULL;
    const json_t *em = opts ? json_object_get(opts, "estimate_mode") : NULL;
    const json_t *fr = opts ? json_object_get(opts, "fee_rate") : NULL;
    const json_t *rp = opts ? json_object_get(opts, "replaceable") : NULL;
    if (ct && json_is_null(ct)) ct = NULL;
    if (em && json_is_null(em)) em = NULL;
    if (fr && json_is_null(fr)) fr = NULL;
    if (rp && !json_is_null(rp)) br.replaceable = json_is_true(rp);
    if (!parse_fee_args(ct, em, fr, &br.has_fee_rate, &br.fee_rate, &br.conf_target,
                        &br.estimate_mode, err))
        return false;
    struct call k;
    if (!enter(c, &k, err)) return false;
    struct spend_result res;
    int64_t old_fee = 0;
    char msg[600];
    msg[0] = 0;
    enum bumpfee_error e =
        spend_bump_fee(k.w, k.node, &c->spend, &txid, &br, &res, &old_fee, msg, sizeof msg);
    leave(&k);
    if (e != BUMPFEE_OK) {
        int code = RPC_WALLET_ERROR;
        switch (e) {
        case BUMPFEE_ERR_NOT_FOUND: code = RPC_INVALID_ADDRESS_OR_KEY; break;
        case BUMPFEE_ERR_INVALID: code = RPC_INVALID_PARAMETER; break;
        case BUMPFEE_ERR_UNLOCK_NEEDED: code = RPC_WALLET_UNLOCK_NEEDED; break;
        case BUMPFEE_ERR_INSUFFICIENT: code = RPC_WALLET_INSUFFICIENT_FUNDS; break;
        case BUMPFEE_ERR_REJECTED: code = RPC_VERIFY_REJECTED; break;
        default: break;
        }
        return rpc_error_set(err, code, "%s", msg);
    }
    json_t *o = json_object();
    json_object_set_new(o, "txid", hash_json(&res.txid));
    json_object_set_new(o, "origfee", amount_to_json(old_fee));
    json_object_set_new(o, "fee", amount_to_json(res.fee));
    json_object_set_new(o, "errors", json_array());
    spend_result_clear(&res);
    *result = o;
    return true;
}

/* ---- abandontransaction ---- */

static bool rpc_abandontransaction(void *ctx, const json_t *params, json_t **result,
                                   struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    uint256 txid;
    if (!parse_txid(param(params, 0), "txid", &txid, err)) return false;
    struct wallet_rpc_entry *e = wallet_rpc_acquire(c, err);
    if (!e) return false;
    struct wallet *w = wallet_rpc_entry_wallet(e);
    wallet_lock(w);
    char msg[256];
    enum wallet_abandon_result r = wallet_abandon_tx(w, &txid, msg, sizeof msg);
    wallet_unlock(w);
    wallet_rpc_release(c, e);
    switch (r) {
    case WALLET_ABANDON_OK: *result = json_null(); return true;
    case WALLET_ABANDON_NOT_FOUND:
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "Invalid or non-wallet transaction id");
    case WALLET_ABANDON_NOT_ELIGIBLE:
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "Transaction not eligible for abandonment");
    case WALLET_ABANDON_FAILED: break;
    }
    return rpc_error_set(err, RPC_WALLET_ERROR, "%s", msg);
}

/* ---- lockunspent, listlockunspent ---- */

static bool do_lockunspent(struct wallet *w, const json_t *params, struct rpc_error *err)
{
    bool unlock = json_is_true(json_array_get(params, 0));
    const json_t *list = param(params, 1);
    bool persistent = param(params, 2) && json_is_true(param(params, 2));
    char msg[256];
    if (!list) {
        if (unlock) {
            while (wallet_locked_coin_count(w) > 0) {
                const struct wallet_locked_coin *l = wallet_locked_coin_at(w, 0);
                uint256 id = l->txid;
                if (!wallet_unlock_coin(w, &id, l->n, msg, sizeof msg))
                    return rpc_error_set(err, RPC_WALLET_ERROR, "Unlocking coins failed");
            }
        }
        return true;
    }
    size_t n = json_array_size(list);
    struct outpoint *ops = calloc(n ? n : 1, sizeof *ops);
    if (!ops) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        const json_t *o = json_array_get(list, i);
        if (!json_is_object(o)) {
            ok = rpc_error_set(err, RPC_TYPE_ERROR, "Expected type object, got %s",
                               rpc_json_type_name(o));
            break;
        }
        const json_t *tv = json_object_get(o, "txid"), *vv = json_object_get(o, "vout");
        if (!json_is_string(tv)) {
            ok = rpc_error_set(err, RPC_TYPE_ERROR, "Missing txid");
            break;
        }
        if (!json_is_number(vv)) {
            ok = rpc_error_set(err, RPC_TYPE_ERROR, "Missing vout");
            break;
        }
        if (!parse_txid(tv, "txid", &ops[i].hash, err)) {
            ok = false;
            break;
        }
        json_int_t vout = json_is_integer(vv) ? json_integer_value(vv) : -1;
        if (vout < 0) {
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, vout cannot be negative");
            break;
        }
        ops[i].n = (uint32_t)vout;
        const struct wallet_tx *t = wallet_find_tx(w, &ops[i].hash);
        if (!t)
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, unknown transaction");
        else if (ops[i].n >= t->tx.vout_count)
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, vout index out of bounds");
        else if (wallet_output_is_spent(w, &ops[i].hash, ops[i].n))
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, expected unspent output");
        else if (unlock && !wallet_is_locked_coin(w, &ops[i].hash, ops[i].n))
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, expected locked output");
        else if (!unlock && wallet_is_locked_coin(w, &ops[i].hash, ops[i].n) && !persistent)
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, output already locked");
    }
    for (size_t i = 0; i < n && ok; i++) {
        if (unlock) {
            if (!wallet_unlock_coin(w, &ops[i].hash, ops[i].n, msg, sizeof msg))
                ok = rpc_error_set(err, RPC_WALLET_ERROR, "Unlocking coin failed");
        } else if (!wallet_lock_coin(w, &ops[i].hash, ops[i].n, persistent, msg, sizeof msg)) {
            ok = rpc_error_set(err, RPC_WALLET_ERROR, "Locking coin failed");
        }
    }
    free(ops);
    return ok;
}

static bool rpc_lockunspent(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    struct wallet_rpc_entry *e = wallet_rpc_acquire(c, err);
    if (!e) return false;
    struct wallet *w = wallet_rpc_entry_wallet(e);
    wallet_lock(w);
    bool ok = do_lockunspent(w, params, err);
    wallet_unlock(w);
    wallet_rpc_release(c, e);
    if (ok) *result = json_true();
    return ok;
}

static bool rpc_listlockunspent(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    (void)params;
    struct wallet_rpc_ctx *c = ctx;
    struct wallet_rpc_entry *e = wallet_rpc_acquire(c, err);
    if (!e) return false;
    struct wallet *w = wallet_rpc_entry_wallet(e);
    wallet_lock(w);
    json_t *a = json_array();
    for (size_t i = 0; i < wallet_locked_coin_count(w); i++) {
        const struct wallet_locked_coin *l = wallet_locked_coin_at(w, i);
        json_t *o = json_object();
        json_object_set_new(o, "txid", hash_json(&l->txid));
        json_object_set_new(o, "vout", json_integer(l->n));
        json_array_append_new(a, o);
    }
    wallet_unlock(w);
    wallet_rpc_release(c, e);
    *result = a;
    return true;
}

/* ---- settxfee ---- */

/* CFeeRate::ToString: "0.00001000 IOP/kvB". */
static void fmt_kvb(char *out, size_t cap, int64_t sat_per_kvb)
{
    snprintf(out, cap, "%lld.%08lld IOP/kvB", (long long)(sat_per_kvb / COIN),
             (long long)(sat_per_kvb % COIN));
}

static bool rpc_settxfee(void *ctx, const json_t *params, json_t **result,
                         struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    int64_t rate;
    if (!amount_from_json(param(params, 0), &rate, err)) return false;
    struct wallet_rpc_entry *e = wallet_rpc_acquire(c, err);
    if (!e) return false;
    struct wallet *w = wallet_rpc_entry_wallet(e);
    pthread_mutex_lock(&c->node->lock);
    int64_t relay_min = c->node->policy.min_relay_fee;
    pthread_mutex_unlock(&c->node->lock);
    char a[64];
    bool ok = true;
    if (rate == 0) {
        /* automatic selection */
    } else if (rate < relay_min) {
        fmt_kvb(a, sizeof a, relay_min);
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "txfee cannot be less than min relay tx fee (%s)", a);
    } else if (rate < c->spend.min_tx_fee) {
        fmt_kvb(a, sizeof a, c->spend.min_tx_fee);
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "txfee cannot be less than wallet min fee (%s)", a);
    } else if (rate > c->spend.max_tx_fee) {
        fmt_kvb(a, sizeof a, c->spend.max_tx_fee);
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "txfee cannot be more than wallet max tx fee (%s)", a);
    }
    if (ok) {
        wallet_lock(w);
        wallet_set_pay_tx_fee(w, rate);
        wallet_unlock(w);
        *result = json_true();
    }
    wallet_rpc_release(c, e);
    return ok;
}

/* ---- the table ---- */

#define FEE_ARGS_HELP                                                                          \
    "(numeric, optional, default=wallet -txconfirmtarget) Confirmation target in blocks\n"

static const struct rpc_method spend_methods[] = {
    {"sendtoaddress",
     "wallet",
     rpc_sendtoaddress,
     {{"address", RPC_ARG_STR, false},
      {"amount", RPC_ARG_ANY, false},
      {"comment", RPC_ARG_STR, true},
      {"comment_to", RPC_ARG_STR, true},
      {"subtractfeefromamount", RPC_ARG_BOOL, true},
      {"replaceable", RPC_ARG_BOOL, true},
      {"conf_target", RPC_ARG_NUM, true},
      {"estimate_mode", RPC_ARG_STR, true},
      {"avoid_reuse", RPC_ARG_BOOL, true},
      {"fee_rate", RPC_ARG_ANY, true},
      {"verbose", RPC_ARG_BOOL, true}},
     "sendtoaddress \"address\" amount ( \"comment\" \"comment_to\" subtractfeefromamount "
     "replaceable conf_target \"estimate_mode\" avoid_reuse fee_rate verbose )\n"
     "\n"
     "Send an amount to a given address.\n"
     "Requires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.\n"
     "\n"
     "Arguments:\n"
     "1. address                  (string, required) The IoP address to send to.\n"
     "2. amount                   (numeric or string, required) The amount in IOP to send. "
     "eg 0.1\n"
     "3. comment                  (string, optional) Accepted for compatibility; not stored "
     "yet.\n"
     "4. comment_to               (string, optional) Accepted for compatibility; not stored "
     "yet.\n"
     "5. subtractfeefromamount    (boolean, optional, default=false) The fee will be deducted "
     "from the amount being sent.\n"
     "6. replaceable              (boolean, optional, default=wallet default) Signal that this "
     "transaction can be replaced by a transaction (BIP 125)\n"
     "7. conf_target              " FEE_ARGS_HELP
     "8. estimate_mode            (string, optional, default=\"unset\") The fee estimate mode: "
     "\"unset\", \"economical\", \"conservative\"\n"
     "9. avoid_reuse              (boolean, optional, default=true) (only available if "
     "avoid_reuse wallet flag is set) Avoid spending from dirty addresses.\n"
     "10. fee_rate                (numeric or string, optional) Specify a fee rate in sat/vB.\n"
     "11. verbose                 (boolean, optional, default=false) If true, return extra "
     "information about the transaction.\n"
     "\n"
     "Result (if verbose is not set or set to false):\n"
     "\"hex\"    (string) The transaction id.\n"
     "\n"
     "Result (if verbose is set to true):\n"
     "{                          (json object)\n"
     "  \"txid\" : \"hex\",         (string) The transaction id.\n"
     "  \"fee_reason\" : \"str\"    (string) The transaction fee reason.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli sendtoaddress \"riop1q...\" 0.1\n"
     "> iop-cli -named sendtoaddress address=\"riop1q...\" amount=0.1 fee_rate=25"},
    {"sendmany",
     "wallet",
     rpc_sendmany,
     {{"dummy", RPC_ARG_STR, true},
      {"amounts", RPC_ARG_OBJ, false},
      {"minconf", RPC_ARG_NUM, true},
      {"comment", RPC_ARG_STR, true},
      {"subtractfeefrom", RPC_ARG_ARR, true},
      {"replaceable", RPC_ARG_BOOL, true},
      {"conf_target", RPC_ARG_NUM, true},
      {"estimate_mode", RPC_ARG_STR, true},
      {"fee_rate", RPC_ARG_ANY, true},
      {"verbose", RPC_ARG_BOOL, true}},
     "sendmany \"\" {\"address\":amount,...} ( minconf \"comment\" [\"address\",...] "
     "replaceable conf_target \"estimate_mode\" fee_rate verbose )\n"
     "\n"
     "Send multiple times. Amounts are double-precision floating point numbers.\n"
     "Requires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.\n"
     "\n"
     "Arguments:\n"
     "1. dummy                    (string, optional) Must be set to \"\" for backwards "
     "compatibility.\n"
     "2. amounts                  (json object, required) The addresses and amounts\n"
     "3. minconf                  (numeric, optional) Only use coins with at least this many "
     "confirmations.\n"
     "4. comment                  (string, optional) Accepted for compatibility; not stored "
     "yet.\n"
     "5. subtractfeefrom          (json array, optional) The addresses that pay the fee, in "
     "equal shares.\n"
     "6. replaceable              (boolean, optional, default=wallet default) Signal that this "
     "transaction can be replaced by a transaction (BIP 125)\n"
     "7. conf_target              " FEE_ARGS_HELP
     "8. estimate_mode            (string, optional, default=\"unset\") The fee estimate mode\n"
     "9. fee_rate                 (numeric or string, optional) Specify a fee rate in sat/vB.\n"
     "10. verbose                 (boolean, optional, default=false) If true, return extra "
     "information about the transaction.\n"
     "\n"
     "Result (if verbose is not set or set to false):\n"
     "\"hex\"    (string) The transaction id for the send.\n"
     "\n"
     "Examples:\n"
     "> iop-cli sendmany \"\" \"{\\\"riop1q...\\\":0.01,\\\"riop1q...\\\":0.02}\""},
    {"send",
     "wallet",
     rpc_send,
     {{"outputs", RPC_ARG_ANY, false},
      {"conf_target", RPC_ARG_NUM, true},
      {"estimate_mode", RPC_ARG_STR, true},
      {"fee_rate", RPC_ARG_ANY, true},
      {"options", RPC_ARG_OBJ, true}},
     "send [{\"address\":amount,...},...] ( conf_target \"estimate_mode\" fee_rate options )\n"
     "\n"
     "Send a transaction.\n"
     "\n"
     "Arguments:\n"
     "1. outputs          (json array, required) The outputs, as {\"address\":amount} "
     "objects (data outputs are not supported yet).\n"
     "2. conf_target      " FEE_ARGS_HELP
     "3. estimate_mode    (string, optional, default=\"unset\") The fee estimate mode\n"
     "4. fee_rate         (numeric or string, optional) Specify a fee rate in sat/vB.\n"
     "5. options          (json object, optional) add_inputs, add_to_wallet, change_address, "
     "change_position, fee_rate, conf_target, estimate_mode, inputs ([{\"txid\",\"vout\"}]), "
     "locktime, lock_unspents, psbt (return a PSBT, do not broadcast), replaceable, "
     "subtract_fee_from_outputs "
     "(output indexes).\n"
     "\n"
     "Result:\n"
     "{                 (json object)\n"
     "  \"complete\" : true|false, (boolean) If the transaction has a complete set of "
     "signatures\n"
     "  \"txid\" : \"hex\",          (string, optional) The transaction id for the send.\n"
     "  \"hex\" : \"hex\"            (string, optional) With add_to_wallet false: the signed "
     "raw transaction.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli send '{\"riop1q...\": 0.1}' null \"unset\" 1.1"},
    {"walletcreatefundedpsbt",
     "wallet",
     rpc_walletcreatefundedpsbt,
     {{"inputs", RPC_ARG_ARR, true},
      {"outputs", RPC_ARG_ANY, false},
      {"locktime", RPC_ARG_NUM, true},
      {"options", RPC_ARG_OBJ, true},
      {"bip32derivs", RPC_ARG_BOOL, true}},
     "walletcreatefundedpsbt ( [{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...] ) "
     "[{\"address\":amount},...] ( locktime options bip32derivs )\n"
     "\n"
     "Creates and funds a transaction in the Partially Signed Transaction format.\n"
     "Implements the Creator and Updater roles. The wallet does not sign.\n"
     "\n"
     "Arguments:\n"
     "1. inputs         (json array, optional) Inputs to spend "
     "({\"txid\",\"vout\",\"sequence\"}); "
     "the wallet adds more when needed unless add_inputs is false.\n"
     "2. outputs        (json array, required) The outputs, as {\"address\":amount} objects.\n"
     "3. locktime       (numeric, optional, default=0) Raw locktime.\n"
     "4. options        (json object, optional) add_inputs, changeAddress/change_address, "
     "changePosition/change_position, change_type, lockUnspents/lock_unspents, fee_rate "
     "(sat/vB), feeRate (IOP/kvB), subtractFeeFromOutputs/subtract_fee_from_outputs, "
     "replaceable, conf_target, estimate_mode.\n"
     "5. bip32derivs    (boolean, optional, default=true) Include BIP 32 derivation paths "
     "for public keys if we know them\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"psbt\" : \"str\",    (string) The resulting raw transaction (base64-encoded string)\n"
     "  \"fee\" : n,         (numeric) Fee in IOP the resulting transaction pays\n"
     "  \"changepos\" : n    (numeric) The position of the added change output, or -1\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli walletcreatefundedpsbt \"[]\" \"[{\\\"riop1q...\\\":0.01}]\""},
    {"walletprocesspsbt",
     "wallet",
     rpc_walletprocesspsbt,
     {{"psbt", RPC_ARG_STR, false},
      {"sign", RPC_ARG_BOOL, true},
      {"sighashtype", RPC_ARG_STR, true},
      {"bip32derivs", RPC_ARG_BOOL, true},
      {"finalize", RPC_ARG_BOOL, true}},
     "walletprocesspsbt \"psbt\" ( sign \"sighashtype\" bip32derivs finalize )\n"
     "\n"
     "Update a PSBT with input information from our wallet and then sign inputs\n"
     "that we can sign for.\n"
     "Requires wallet passphrase to be set with walletpassphrase call if wallet is "
     "encrypted.\n"
     "\n"
     "Arguments:\n"
     "1. psbt           (string, required) The transaction base64 string\n"
     "2. sign           (boolean, optional, default=true) Also sign the transaction when "
     "updating (requires wallet to be unlocked)\n"
     "3. sighashtype    (string, optional, default=\"DEFAULT for Taproot, ALL otherwise\") "
     "\"DEFAULT\", \"ALL\", \"NONE\", \"SINGLE\", \"ALL|ANYONECANPAY\", \"NONE|ANYONECANPAY\", "
     "\"SINGLE|ANYONECANPAY\"\n"
     "4. bip32derivs    (boolean, optional, default=true) Include BIP 32 derivation paths "
     "for public keys if we know them\n"
     "5. finalize       (boolean, optional, default=true) Also finalize inputs if possible\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"psbt\" : \"str\",        (string) The base64-encoded partially signed transaction\n"
     "  \"complete\" : true|false, (boolean) If the transaction has a complete set of "
     "signatures\n"
     "  \"hex\" : \"hex\"          (string, optional) The hex-encoded network transaction if "
     "complete\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli walletprocesspsbt \"psbt\""},
    {"bumpfee",
     "wallet",
     rpc_bumpfee,
     {{"txid", RPC_ARG_STR, false}, {"options", RPC_ARG_OBJ, true}},
     "bumpfee \"txid\" ( options )\n"
     "\n"
     "Bumps the fee of a transaction T, replacing it with a new transaction B.\n"
     "A transaction with the given txid must be in the wallet.\n"
     "The command will pay the additional fee by reducing change outputs or adding inputs when "
     "necessary.\n"
     "The new transaction pays at least the old fee rate plus the incremental relay fee.\n"
     "\n"
     "Arguments:\n"
     "1. txid       (string, required) The txid to be bumped\n"
     "2. options    (json object, optional) conf_target, fee_rate (sat/vB), replaceable "
     "(default true), estimate_mode\n"
     "\n"
     "Result:\n"
     "{                    (json object)\n"
     "  \"txid\" : \"hex\",    (string) The id of the new transaction.\n"
     "  \"origfee\" : n,     (numeric) The fee of the replaced transaction.\n"
     "  \"fee\" : n,         (numeric) The fee of the new transaction.\n"
     "  \"errors\" : [ ]     (json array) Errors encountered during processing (may be "
     "empty).\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli bumpfee <txid>"},
    {"abandontransaction",
     "wallet",
     rpc_abandontransaction,
     {{"txid", RPC_ARG_STR, false}},
     "abandontransaction \"txid\"\n"
     "\n"
     "Mark in-wallet transaction <txid> as abandoned\n"
     "This will mark this transaction and all its in-wallet descendants as abandoned which "
     "will "
     "allow for their inputs to be respent.\n"
     "It only works on transactions which are not included in a block and are not currently in "
     "the mempool.\n"
     "\n"
     "Arguments:\n"
     "1. txid    (string, required) The transaction id\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli abandontransaction "
     "\"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\""},
    {"lockunspent",
     "wallet",
     rpc_lockunspent,
     {{"unlock", RPC_ARG_BOOL, false},
      {"transactions", RPC_ARG_ARR, true},
      {"persistent", RPC_ARG_BOOL, true}},
     "lockunspent unlock ( [{\"txid\":\"hex\",\"vout\":n},...] persistent )\n"
     "\n"
     "Updates list of temporarily unspendable outputs.\n"
     "Temporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\n"
     "If no transaction outputs are specified when unlocking then all current locked "
     "transaction outputs are unlocked.\n"
     "A locked transaction output will not be chosen by automatic coin selection.\n"
     "Locks are stored in memory only, unless persistent=true, in which case they will be "
     "written to the wallet database and loaded on node start.\n"
     "\n"
     "Arguments:\n"
     "1. unlock          (boolean, required) Whether to unlock (true) or lock (false) the "
     "specified transactions\n"
     "2. transactions    (json array, optional, default=[]) The transaction outputs and within "
     "each, the txid (string) vout (numeric).\n"
     "3. persistent      (boolean, optional, default=false) Whether to write/erase this lock "
     "in "
     "the wallet database, or keep the change in memory only.\n"
     "\n"
     "Result:\n"
     "true|false    (boolean) Whether the command was successful or not\n"
     "\n"
     "Examples:\n"
     "> iop-cli lockunspent false \"[{\\\"txid\\\":\\\"a08e...\\\",\\\"vout\\\":1}]\""},
    {"listlockunspent",
     "wallet",
     rpc_listlockunspent,
     {{NULL, RPC_ARG_ANY, false}},
     "listlockunspent\n"
     "\n"
     "Returns list of temporarily unspendable outputs.\n"
     "See the lockunspent call to lock and unlock transactions for spending.\n"
     "\n"
     "Result:\n"
     "[                      (json array)\n"
     "  {                    (json object)\n"
     "    \"txid\" : \"hex\",    (string) The transaction id locked\n"
     "    \"vout\" : n         (numeric) The vout value\n"
     "  },\n"
     "  ...\n"
     "]\n"
     "\n"
     "Examples:\n"
     "> iop-cli listlockunspent"},
    {"settxfee",
     "wallet",
     rpc_settxfee,
     {{"amount", RPC_ARG_ANY, false}},
     "settxfee amount\n"
     "\n"
     "Set the transaction fee rate in IOP/kvB for this wallet. Overrides the global -paytxfee "
     "command line parameter.\n"
     "Can be deactivated by passing 0 as the fee. In that case automatic fee selection will be "
     "used by default.\n"
     "\n"
     "Arguments:\n"
     "1. amount    (numeric or string, required) The transaction fee rate in IOP/kvB\n"
     "\n"
     "Result:\n"
     "true|false    (boolean) Returns true if successful\n"
     "\n"
     "Examples:\n"
     "> iop-cli settxfee 0.00001"},
};

struct rpc_table spend_rpc_table(struct wallet_rpc_ctx *c)
{
    struct rpc_table t = {spend_methods, sizeof spend_methods / sizeof spend_methods[0], c};
    return t;
}
