/* Raw-transaction and utility RPC methods (see rawtx_rpc.h).
 *
 * Behaviour, error codes and messages follow Bitcoin Core 28/29's rawtransaction.cpp,
 * rawtransaction_util.cpp, util.cpp (RPC), key_io.cpp and message.cpp. Where jansson
 * cannot show what Core's UniValue shows (the original text of a JSON number, duplicate
 * object keys) the nearest behaviour is documented in doc/rpc.md. */
#include "chain/rawtx_rpc.h"

#include <math.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chain/descriptor.h"
#include "chain/policy.h"
#include "chain/script_format.h"
#include "consensus/base58.h"
#include "consensus/bech32.h"
#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "util/hex.h"

#define LOCKTIME_MAX          0xffffffffLL
#define MAX_SEQUENCE_NONFINAL 0xfffffffeu

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

/* Core's IsHex: non-empty, even length, hex digits only. */
static bool is_hex(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2) return false;
    for (size_t i = 0; i < n; i++)
        if (hex_digit(s[i]) < 0) return false;
    return true;
}

/* UniValue's type_error, which Core's server turns into RPC_TYPE_ERROR. */
static bool type_error(struct rpc_error *err, const json_t *v, const char *expected)
{
    return rpc_error_set(err, RPC_TYPE_ERROR,
                         "JSON value of type %s is not of expected type %s",
                         v ? rpc_json_type_name(v) : "null", expected);
}

/* UniValue::getInt<T>: an integral JSON number within [lo, hi], else Core's runtime
 * error (RPC_MISC_ERROR). */
static bool get_int(const json_t *v, long long lo, long long hi, long long *out,
                    struct rpc_error *err)
{
    if (!v || !json_is_number(v)) return type_error(err, v, "number");
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    *out = json_integer_value(v);
    return true;
}

/* Core's CScript::HasValidOps. */
static bool script_has_valid_ops(const uint8_t *s, size_t len)
{
    size_t pc = 0;
    while (pc < len) {
        uint8_t op;
        size_t n;
        if (!script_get_op(s, len, &pc, &op, NULL, &n) || op > OP_NOP10 ||
            n > MAX_SCRIPT_ELEMENT_SIZE)
            return false;
    }
    return true;
}

/* Core's IsOpSuccess (BIP342), for opcodes up to OP_NOP10. */
static bool is_op_success(uint8_t op)
{
    return op == 80 || op == 98 || (op >= 126 && op <= 129) || (op >= 131 && op <= 134) ||
           (op >= 137 && op <= 138) || (op >= 141 && op <= 142) || (op >= 149 && op <= 153) ||
           (op >= 187 && op <= 254);
}

static json_t *hex_string(const uint8_t *data, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return NULL;
    hex_encode(s, data, n);
    json_t *v = json_string(s);
    free(s);
    return v;
}

/* ---- decoderawtransaction ---- */

/* Core's CheckTxScriptsSanity. */
static bool tx_scripts_sane(const struct tx *tx)
{
    if (!tx_is_coinbase(tx))
        for (size_t i = 0; i < tx->vin_count; i++)
            if (tx->vin[i].script_sig_len > MAX_SCRIPT_SIZE ||
                !script_has_valid_ops(tx->vin[i].script_sig, tx->vin[i].script_sig_len))
                return false;
    for (size_t i = 0; i < tx->vout_count; i++)
        if (tx->vout[i].script_pubkey_len > MAX_SCRIPT_SIZE ||
            !script_has_valid_ops(tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len))
            return false;
    return true;
}

/* Core's DecodeTx: try the extended (witness) and legacy forms, prefer one whose
 * scripts are sane, then the extended one. */
static bool decode_tx(struct tx *out, const uint8_t *data, size_t len, bool try_no_witness,
                      bool try_witness)
{
    struct tx ext, leg;
    tx_init(&ext);
    tx_init(&leg);
    bool ok_ext = try_witness && tx_from_bytes(&ext, data, len, true);
    if (ok_ext && tx_scripts_sane(&ext)) {
        *out = ext;
        return true;
    }
    bool ok_leg = try_no_witness && tx_from_bytes(&leg, data, len, false);
    if (ok_leg && (tx_scripts_sane(&leg) || !ok_ext)) {
        tx_clear(&ext);
        *out = leg;
        return true;
    }
    tx_clear(&leg);
    if (ok_ext) {
        *out = ext;
        return true;
    }
    return false;
}

static bool rpc_decoderawtransaction(void *vctx, const json_t *params, json_t **result,
                                     struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const char *hex = json_string_value(json_array_get(params, 0));
    const json_t *w = param(params, 1);
    bool try_witness = w ? json_is_true(w) : true;
    bool try_no_witness = w ? !json_is_true(w) : true;
    if (!is_hex(hex)) return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "TX decode failed");
    uint8_t *data;
    size_t len;
    if (!hex_decode_alloc(hex, &data, &len)) return out_of_memory(err);
    struct tx tx;
    tx_init(&tx);
    bool ok = decode_tx(&tx, data, len, try_no_witness, try_witness);
    free(data);
    if (!ok) return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "TX decode failed");
    *result = tx_to_json(&tx, &ctx->params->addr);
    tx_clear(&tx);
    return *result ? true : out_of_memory(err);
}

/* ---- decodescript ---- */

static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static bool p2sh_address(char out[ADDRESS_MAX_LEN + 1], const struct address_params *p,
                         const uint8_t *script, size_t len)
{
    uint8_t spk[23] = {OP_HASH160, 20};
    hash160(script, len, spk + 2);
    spk[22] = OP_EQUAL;
    return address_encode(out, p, spk, sizeof spk) == ADDRESS_OK;
}

/* Core's can_wrap: may this script be a P2SH redeem script? */
static bool can_wrap_p2sh(enum txout_type t, const uint8_t *s, size_t len)
{
    switch (t) {
    case TXOUT_MULTISIG:
    case TXOUT_NONSTANDARD:
    case TXOUT_PUBKEY:
    case TXOUT_PUBKEYHASH:
    case TXOUT_WITNESS_V0_KEYHASH:
    case TXOUT_WITNESS_V0_SCRIPTHASH: break;
    default: return false;
    }
    if (!script_has_valid_ops(s, len) || len > MAX_SCRIPT_SIZE) return false;
    size_t pc = 0;
    while (pc < len) {
        uint8_t op;
        if (!script_get_op(s, len, &pc, &op, NULL, NULL)) return false;
        if (op == OP_CHECKSIGADD || is_op_success(op)) return false;
    }
    return true;
}

/* Core's can_wrap_P2WSH: may this script be a witness script (or P2WPKH key)? */
static bool can_wrap_segwit(const struct script_solution *sol)
{
    switch (sol->type) {
    case TXOUT_MULTISIG:
    case TXOUT_PUBKEY:
        for (size_t i = 0; i < sol->key_count; i++)
            if (!pubkey_is_compressed(sol->keys[i], sol->key_lens[i])) return false;
        return true;
    case TXOUT_NONSTANDARD:
    case TXOUT_PUBKEYHASH: return true;
    default: return false;
    }
}

/* The "segwit" object: the P2WPKH or P2WSH form of script. */
static json_t *segwit_json(const uint8_t *s, size_t len, const struct script_solution *sol,
                           const struct address_params *p)
{
    uint8_t spk[34];
    size_t spk_len;
    spk[0] = OP_0;
    if (sol->type == TXOUT_PUBKEY || sol->type == TXOUT_PUBKEYHASH) {
        spk[1] = 20;
        if (sol->type == TXOUT_PUBKEY)
            hash160(sol->keys[0], sol->key_lens[0], spk + 2);
        else
            memcpy(spk + 2, sol->hash, 20);
        spk_len = 22;
    } else {
        spk[1] = 32;
        sha256(s, len, spk + 2);
        spk_len = 34;
    }
    json_t *o = script_to_json(spk, spk_len, p, true, true);
    if (!o) return NULL;
    bool ok = true;
    if (sol->type == TXOUT_MULTISIG) {
        /* Core knows the witness script here, so it infers wsh(multi(...)). */
        char *inner = script_infer_descriptor(s, len, p);
        char *desc = inner ? malloc(strlen(inner) + 8) : NULL;
        if (desc) {
            char *hash = strrchr(inner, '#');
            *hash = '\0';
            char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
            sprintf(desc, "wsh(%s)", inner);
            ok = descriptor_checksum(sum, desc);
            strcat(desc, "#");
            strcat(desc, sum);
            ok = ok && put(o, "desc", json_string(desc));
        } else {
            ok = false;
        }
        free(inner);
        free(desc);
    }
    char addr[ADDRESS_MAX_LEN + 1];
    if (ok && p2sh_address(addr, p, spk, spk_len))
        ok = put(o, "p2sh-segwit", json_string(addr));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static bool rpc_decodescript(void *vctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const struct address_params *p = &ctx->params->addr;
    const char *hex = json_string_value(json_array_get(params, 0));
    uint8_t *s = NULL;
    size_t len = 0;
    if (*hex) {
        if (!is_hex(hex))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "argument must be hexadecimal string (not '%s')", hex);
        if (!hex_decode_alloc(hex, &s, &len)) return out_of_memory(err);
    }
    static const uint8_t empty[1] = {0};
    const uint8_t *sp = s ? s : empty; /* never NULL, even for the empty script */
    json_t *r = script_to_json(sp, len, p, false, true);
    bool ok = r != NULL;
    struct script_solution sol;
    policy_solve(sp, len, &sol);
    if (ok && can_wrap_p2sh(sol.type, sp, len)) {
        char addr[ADDRESS_MAX_LEN + 1];
        if (p2sh_address(addr, p, sp, len)) ok = put(r, "p2sh", json_string(addr));
        if (ok && can_wrap_segwit(&sol)) ok = put(r, "segwit", segwit_json(sp, len, &sol, p));
    }
    free(s);
    if (!ok) {
        json_decref(r);
        return out_of_memory(err);
    }
    *result = r;
    return true;
}

/* ---- createrawtransaction ---- */

/* Core's ParseHashV for "txid". */
static bool parse_txid(const json_t *v, uint256 *out, struct rpc_error *err)
{
    const char *s = json_string_value(v);
    if (!s) return type_error(err, v, "string");
    size_t n = strlen(s);
    if (n != 64)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "txid must be of length 64 (not %zu, for '%s')", n, s);
    if (!is_hex(s))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "txid must be hexadecimal string (not '%s')", s);
    return uint256_from_hex(out, s) ||
           rpc_error_set(err, RPC_INVALID_PARAMETER,
                         "txid must be hexadecimal string (not '%s')", s);
}

static bool add_inputs(struct tx *tx, const json_t *inputs, int rbf, struct rpc_error *err)
{
    size_t count = inputs ? json_array_size(inputs) : 0;
    if (!tx_resize(tx, count, 0)) return out_of_memory(err);
    for (size_t i = 0; i < count; i++) {
        const json_t *o = json_array_get(inputs, i);
        if (!json_is_object(o)) return type_error(err, o, "object");
        struct tx_in *in = &tx->vin[i];
        if (!parse_txid(json_object_get(o, "txid"), &in->prevout.hash, err)) return false;
        const json_t *vout = json_object_get(o, "vout");
        if (!json_is_number(vout))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, missing vout key");
        long long n;
        if (!get_int(vout, INT32_MIN, INT32_MAX, &n, err)) return false;
        if (n < 0)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, vout cannot be negative");
        in->prevout.n = (uint32_t)n;
        if (rbf != 0)
            in->sequence = MAX_BIP125_RBF_SEQUENCE;
        else if (tx->locktime)
            in->sequence = MAX_SEQUENCE_NONFINAL;
        else
            in->sequence = SEQUENCE_FINAL;
        const json_t *seq = json_object_get(o, "sequence");
        if (json_is_number(seq)) {
            long long s;
            if (!get_int(seq, INT64_MIN, INT64_MAX, &s, err)) return false;
            if (s < 0 || s > (long long)SEQUENCE_FINAL)
                return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                     "Invalid parameter, sequence number is out of range");
            in->sequence = (uint32_t)s;
        }
    }
    return true;
}

/* Indices of address outputs by script, for Core's duplicate check in linear time: an
 * open-addressing table of 2^k slots, at least twice the number of outputs. */
struct dup_set {
    size_t *slots; /* output index, or SIZE_MAX when empty */
    size_t mask;
};

static uint64_t script_hash(const uint8_t *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h;
}

/* Inserts output idx of tx; false when an earlier output has the same script. */
static bool dup_set_insert(struct dup_set *d, const struct tx *tx, size_t idx)
{
    const struct tx_out *o = &tx->vout[idx];
    size_t i = (size_t)script_hash(o->script_pubkey, o->script_pubkey_len) & d->mask;
    for (;; i = (i + 1) & d->mask) {
        if (d->slots[i] == SIZE_MAX) {
            d->slots[i] = idx;
            return true;
        }
        const struct tx_out *q = &tx->vout[d->slots[i]];
        if (q->script_pubkey_len == o->script_pubkey_len &&
            memcmp(q->script_pubkey, o->script_pubkey, o->script_pubkey_len) == 0)
            return false;
    }
}

/* Output idx (already allocated in tx) from a key ("data" or an address) and its
 * value. */
static bool add_output(struct tx *tx, size_t idx, const char *key, const json_t *value,
                       bool *has_data, struct dup_set *dups, const struct address_params *p,
                       struct rpc_error *err)
{
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t spk_len = 0;
    int64_t amount = 0;
    uint8_t *data_script = NULL;
    if (strcmp(key, "data") == 0) {
        if (*has_data)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid parameter, duplicate key: data");
        *has_data = true;
        /* getValStr: a string's text, a number's digits, "" otherwise. */
        char numtext[64] = "";
        const char *hex = numtext;
        if (json_is_string(value))
            hex = json_string_value(value);
        else if (json_is_integer(value))
            snprintf(numtext, sizeof numtext, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(value));
        if (!is_hex(hex))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Data must be hexadecimal string (not '%s')", hex);
        size_t n = strlen(hex) / 2;
        data_script = malloc(n + 6);
        if (!data_script) return out_of_memory(err);
        size_t pos = 0;
        data_script[pos++] = OP_RETURN;
        if (n < OP_PUSHDATA1) {
            data_script[pos++] = (uint8_t)n;
        } else if (n <= 0xff) {
            data_script[pos++] = OP_PUSHDATA1;
            data_script[pos++] = (uint8_t)n;
        } else if (n <= 0xffff) {
            data_script[pos++] = OP_PUSHDATA2;
            le16_write(data_script + pos, (uint16_t)n);
            pos += 2;
        } else {
            data_script[pos++] = OP_PUSHDATA4;
            le32_write(data_script + pos, (uint32_t)n);
            pos += 4;
        }
        size_t got;
        if (!hex_decode(data_script + pos, n, &got, hex, 2 * n)) {
            free(data_script);
            return out_of_memory(err);
        }
        spk_len = pos + n;
    } else {
        /* Core reads the amount before it checks the address. */
        if (!amount_from_json(value, &amount, err)) return false;
        if (address_decode(spk, &spk_len, NULL, p, key) != ADDRESS_OK)
            return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid IoP address: %s",
                                 key);
    }
    bool is_data = data_script != NULL;
    bool ok = tx_set_script_pubkey(&tx->vout[idx], is_data ? data_script : spk, spk_len);
    free(data_script);
    if (!ok) return out_of_memory(err);
    tx->vout[idx].value = amount;
    if (!is_data && !dup_set_insert(dups, tx, idx))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Invalid parameter, duplicated address: %s", key);
    return true;
}

static bool add_outputs_checked(struct tx *tx, const json_t *outputs, struct dup_set *dups,
                                const struct address_params *p, struct rpc_error *err)
{
    bool has_data = false;
    size_t idx = 0;
    if (json_is_object(outputs)) {
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)outputs, key, value)
        {
            if (!add_output(tx, idx++, key, value, &has_data, dups, p, err)) return false;
        }
        return true;
    }
    size_t i;
    json_t *pair;
    json_array_foreach((json_t *)outputs, i, pair)
    {
        void *it = json_object_iter(pair);
        if (!add_output(tx, idx++, json_object_iter_key(it), json_object_iter_value(it),
                        &has_data, dups, p, err))
            return false;
    }
    return true;
}

static bool add_outputs(struct tx *tx, const json_t *outputs, const struct address_params *p,
                        struct rpc_error *err)
{
    if (!outputs)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Invalid parameter, output argument must be non-null");
    size_t count;
    if (json_is_object(outputs)) {
        count = json_object_size(outputs);
    } else if (json_is_array(outputs)) {
        /* Core first checks every pair, then adds them in order. */
        size_t i;
        json_t *pair;
        json_array_foreach((json_t *)outputs, i, pair)
        {
            if (!json_is_object(pair))
                return rpc_error_set(
                    err, RPC_INVALID_PARAMETER,
                    "Invalid parameter, key-value pair not an object as expected");
            if (json_object_size(pair) != 1)
                return rpc_error_set(
                    err, RPC_INVALID_PARAMETER,
                    "Invalid parameter, key-value pair must contain exactly one key");
        }
        count = json_array_size(outputs);
    } else {
        return type_error(err, outputs, "array");
    }
    size_t cap = 8;
    while (cap < 2 * count) cap *= 2;
    struct dup_set dups = {malloc(cap * sizeof(size_t)), cap - 1};
    if (!dups.slots || !tx_resize(tx, tx->vin_count, count)) {
        free(dups.slots);
        return out_of_memory(err);
    }
    for (size_t i = 0; i < cap; i++) dups.slots[i] = SIZE_MAX;
    bool ok = add_outputs_checked(tx, outputs, &dups, p, err);
    free(dups.slots);
    return ok;
}

static bool rpc_createrawtransaction(void *vctx, const json_t *params, json_t **result,
                                     struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const json_t *inputs = param(params, 0);
    const json_t *outputs = param(params, 1);
    const json_t *locktime = param(params, 2);
    const json_t *replaceable = param(params, 3);
    int rbf = replaceable ? json_is_true(replaceable) : -1; /* -1: not given (true) */
    struct tx tx;
    tx_init(&tx);
    tx.version = 2;
    bool ok = true;
    if (locktime) {
        long long lt;
        ok = get_int(locktime, INT64_MIN, INT64_MAX, &lt, err);
        if (ok && (lt < 0 || lt > LOCKTIME_MAX))
            ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                               "Invalid parameter, locktime out of range");
        if (ok) tx.locktime = (uint32_t)lt;
    }
    ok = ok && add_inputs(&tx, inputs, rbf, err) &&
         add_outputs(&tx, outputs, &ctx->params->addr, err);
    if (ok && rbf == 1 && tx.vin_count > 0 && !policy_signals_rbf(&tx))
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "Invalid parameter combination: Sequence number(s) contradict "
                           "replaceable option");
    if (ok) {
        struct writer w;
        writer_init(&w);
        tx_serialize(&w, &tx, true);
        *result = w.failed ? NULL : hex_string(w.data, w.len);
        writer_free(&w);
        if (!*result) ok = out_of_memory(err);
    }
    tx_clear(&tx);
    return ok;
}

/* ---- bech32 checksum error location ---- */

static uint32_t bech32_step(uint32_t c, uint8_t v)
{
    uint8_t c0 = (uint8_t)(c >> 25);
    c = ((c & 0x1ffffff) << 5) ^ v;
    if (c0 & 1) c ^= 0x3b6a57b2;
    if (c0 & 2) c ^= 0x26508e6d;
    if (c0 & 4) c ^= 0x1ea119fa;
    if (c0 & 8) c ^= 0x3d4233dd;
    if (c0 & 16) c ^= 0x2a1462b3;
    return c;
}

static char lower_ascii(char c) { return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c); }

/* Core's LocateErrors for a string whose only fault is its checksum: at most two wrong
 * data characters are located, for Bech32 and Bech32m, and the encoding needing fewer
 * corrections wins. The checksum is linear in the characters, so a change e at
 * position p (counted from the end) adds contrib(p, e) to the residue; bech32's code
 * distance makes a pattern of at most two changes unique, so searching all of them
 * finds exactly the pattern Core's syndrome decoder computes. Positions go into
 * locations (ascending); returns the message. */
static const char *bech32_locate_checksum_errors(const char *str, size_t sep, json_t *locations)
{
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    size_t len = strlen(str), length = len - 1 - sep;
    uint32_t chk = 1;
    for (size_t i = 0; i < sep; i++)
        chk = bech32_step(chk, (uint8_t)(lower_ascii(str[i]) >> 5));
    chk = bech32_step(chk, 0);
    for (size_t i = 0; i < sep; i++)
        chk = bech32_step(chk, (uint8_t)(lower_ascii(str[i]) & 31));
    for (size_t i = sep + 1; i < len; i++)
        chk = bech32_step(chk, (uint8_t)(strchr(charset, lower_ascii(str[i])) - charset));
    /* contrib[p][e]: the residue change of adding e at position p from the end. */
    uint32_t contrib[BECH32_MAX_LEN][32];
    for (uint8_t e = 1; e < 32; e++) {
        uint32_t c = bech32_step(0, e);
        for (size_t p = 0; p < length; p++) {
            contrib[p][e] = c;
            c = bech32_step(c, 0);
        }
    }
    const uint32_t consts[2] = {1, 0x2bc830a3};
    size_t best[2], nbest = 0;
    int best_enc = -1;
    for (int enc = 0; enc < 2; enc++) {
        uint32_t residue = chk ^ consts[enc];
        size_t found[2] = {0, 0}, nfound = 0;
        if (residue == 0) return "Invalid checksum";
        for (size_t p = 0; p < length && !nfound; p++)
            for (uint8_t e = 1; e < 32 && !nfound; e++)
                if (contrib[p][e] == residue) found[nfound++] = len - p - 1;
        for (size_t p1 = 0; p1 < length && !nfound; p1++)
            for (uint8_t e1 = 1; e1 < 32 && !nfound; e1++) {
                uint32_t want = residue ^ contrib[p1][e1];
                for (size_t p2 = p1 + 1; p2 < length && !nfound; p2++)
                    for (uint8_t e2 = 1; e2 < 32; e2++)
                        if (contrib[p2][e2] == want) {
                            found[0] = len - p2 - 1;
                            found[1] = len - p1 - 1;
                            nfound = 2;
                            break;
                        }
            }
        if (nbest == 0 || (nfound && nfound < nbest)) {
            nbest = nfound;
            memcpy(best, found, sizeof found);
            if (nfound) best_enc = enc;
        }
    }
    for (size_t i = 0; i < nbest; i++)
        json_array_append_new(locations, json_integer((json_int_t)best[i]));
    return best_enc == 1   ? "Invalid Bech32m checksum"
           : best_enc == 0 ? "Invalid Bech32 checksum"
                           : "Invalid checksum";
}

/* ---- validateaddress ---- */

/* Core's DecodeDestination with its error texts. On success fills spk/spk_len. */
static bool decode_destination(const struct address_params *p, const char *str, uint8_t *spk,
                               size_t *spk_len, char *error, size_t cap, json_t *locations)
{
    size_t hrp_len = strlen(p->bech32_hrp);
    bool is_bech32 = strlen(str) >= hrp_len && strncasecmp(str, p->bech32_hrp, hrp_len) == 0;
    *spk_len = 0;
    if (!is_bech32) {
        uint8_t data[BASE58_MAX_STRING];
        size_t n;
        enum base58_result r = base58check_decode(data, sizeof data, &n, str);
        if (r == BASE58_OK && n <= 21) {
            if (n == 21 && (data[0] == p->p2pkh_version || data[0] == p->p2sh_version)) {
                if (address_decode(spk, spk_len, NULL, p, str) == ADDRESS_OK) return true;
                snprintf(error, cap, "Invalid or unsupported Base58-encoded address.");
                return false;
            }
            if (n >= 1 && (data[0] == p->p2pkh_version || data[0] == p->p2sh_version))
                snprintf(error, cap, "Invalid length for Base58 address (P2PKH or P2SH)");
            else
                snprintf(error, cap, "Invalid or unsupported Base58-encoded address.");
            return false;
        }
        if (base58_decode(data, 100, &n, str) != BASE58_OK)
            snprintf(error, cap, "Invalid or unsupported Segwit (Bech32) or Base58 encoding.");
        else
            snprintf(error, cap,
                     "Invalid checksum or length of Base58 address (P2PKH or P2SH)");
        return false;
    }
    /* Core's bech32::LocateErrors, up to the checksum: error positions are reported
     * for these; for a bad checksum the positions are left empty. */
    size_t len = strlen(str);
    if (len > BECH32_MAX_LEN) {
        snprintf(error, cap, "Bech32 string too long");
        for (size_t i = BECH32_MAX_LEN; i < len; i++)
            json_array_append_new(locations, json_integer((json_int_t)i));
        return false;
    }
    bool lower = false, upper = false, bad = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        bool err_here = false;
        if (c >= 'a' && c <= 'z') {
            if (upper)
                err_here = true;
            else
                lower = true;
        } else if (c >= 'A' && c <= 'Z') {
            if (lower)
                err_here = true;
            else
                upper = true;
        } else if (c < 33 || c > 126) {
            err_here = true;
        }
        if (err_here) {
            bad = true;
            json_array_append_new(locations, json_integer((json_int_t)i));
        }
    }
    if (bad) {
        snprintf(error, cap, "Invalid character or mixed case");
        return false;
    }
    const char *sep = strrchr(str, '1');
    if (!sep) {
        snprintf(error, cap, "Missing separator");
        return false;
    }
    size_t pos = (size_t)(sep - str);
    if (pos == 0 || pos + BECH32_CHECKSUM_LEN >= len) {
        snprintf(error, cap, "Invalid separator position");
        json_array_append_new(locations, json_integer((json_int_t)pos));
        return false;
    }
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    for (size_t i = pos + 1; i < len; i++) {
        char c = (char)(str[i] >= 'A' && str[i] <= 'Z' ? str[i] + 32 : str[i]);
        if (!strchr(charset, c) || c == '\0') {
            snprintf(error, cap, "Invalid Base 32 character");
            json_array_append_new(locations, json_integer((json_int_t)i));
            return false;
        }
    }
    char hrp[BECH32_MAX_HRP_LEN + 1];
    uint8_t values[BECH32_MAX_DATA];
    size_t nvalues;
    enum bech32_encoding enc;
    if (bech32_decode(hrp, values, &nvalues, &enc, str) != BECH32_OK) {
        snprintf(error, cap, "%s", bech32_locate_checksum_errors(str, pos, locations));
        return false;
    }
    if (nvalues == 0) {
        snprintf(error, cap, "Empty Bech32 data section");
        return false;
    }
    if (strcmp(hrp, p->bech32_hrp) != 0) {
        snprintf(
            error, cap,
            "Invalid or unsupported prefix for Segwit (Bech32) address (expected %s, got %s).",
            p->bech32_hrp, hrp);
        return false;
    }
    int version = values[0];
    if (version == 0 && enc != BECH32_ENCODING_BECH32) {
        snprintf(error, cap, "Version 0 witness address must use Bech32 checksum");
        return false;
    }
    if (version != 0 && enc != BECH32_ENCODING_BECH32M) {
        snprintf(error, cap, "Version 1+ witness address must use Bech32m checksum");
        return false;
    }
    uint8_t prog[64];
    size_t prog_len;
    if (!bech32_convert_bits(prog, sizeof prog, &prog_len, 8, values + 1, nvalues - 1, 5,
                             false)) {
        snprintf(error, cap, "Invalid padding in Bech32 data section");
        return false;
    }
    if (version == 0 && prog_len != 20 && prog_len != 32) {
        snprintf(error, cap, "Invalid Bech32 v0 address program size (%zu %s), per BIP141",
                 prog_len, prog_len == 1 ? "byte" : "bytes");
        return false;
    }
    if (version > 16) {
        snprintf(error, cap, "Invalid Bech32 address witness version");
        return false;
    }
    if (prog_len < 2 || prog_len > 40) {
        snprintf(error, cap, "Invalid Bech32 address program size (%zu %s)", prog_len,
                 prog_len == 1 ? "byte" : "bytes");
        return false;
    }
    spk[0] = version ? (uint8_t)(OP_1 + version - 1) : OP_0;
    spk[1] = (uint8_t)prog_len;
    memcpy(spk + 2, prog, prog_len);
    *spk_len = prog_len + 2;
    return true;
}

static bool rpc_validateaddress(void *vctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const struct address_params *p = &ctx->params->addr;
    const char *str = json_string_value(json_array_get(params, 0));
    json_t *r = json_object();
    json_t *locations = json_array();
    if (!r || !locations) {
        json_decref(r);
        json_decref(locations);
        return out_of_memory(err);
    }
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t spk_len;
    char error[200] = "";
    bool valid = decode_destination(p, str, spk, &spk_len, error, sizeof error, locations);
    bool ok = put(r, "isvalid", json_boolean(valid));
    if (valid) {
        json_decref(locations);
        char addr[ADDRESS_MAX_LEN + 1];
        ok = ok && address_encode(addr, p, spk, spk_len) == ADDRESS_OK &&
             put(r, "address", json_string(addr)) &&
             put(r, "scriptPubKey", hex_string(spk, spk_len));
        int wv;
        const uint8_t *prog;
        size_t prog_len;
        bool witness = script_is_witness_program(spk, spk_len, &wv, &prog, &prog_len);
        bool anchor = policy_script_is_pay_to_anchor(spk, spk_len);
        enum address_type t = address_script_type(spk, spk_len);
        if (anchor) {
            ok = ok && put(r, "isscript", json_true()) && put(r, "iswitness", json_true());
        } else if (t == ADDRESS_WITNESS_UNKNOWN) {
            ok = ok && put(r, "iswitness", json_true());
        } else {
            bool isscript = t == ADDRESS_P2SH || t == ADDRESS_P2WSH || t == ADDRESS_P2TR;
            ok = ok && put(r, "isscript", json_boolean(isscript)) &&
                 put(r, "iswitness", json_boolean(witness));
        }
        if (witness && !anchor)
            ok = ok && put(r, "witness_version", json_integer(wv)) &&
                 put(r, "witness_program", hex_string(prog, prog_len));
    } else {
        ok = ok && put(r, "error_locations", locations) && put(r, "error", json_string(error));
    }
    if (!ok) {
        json_decref(r);
        return out_of_memory(err);
    }
    *result = r;
    return true;
}

/* ---- messages ---- */

void rawtx_message_hash(uint8_t out[32], const char *message, size_t message_len)
{
    struct writer w;
    struct sha256_ctx h;
    sha256_init(&h);
    writer_init_hash(&w, &h);
    write_var_bytes(&w, (const uint8_t *)RAWTX_MESSAGE_MAGIC, strlen(RAWTX_MESSAGE_MAGIC));
    write_var_bytes(&w, (const uint8_t *)message, message_len);
    uint8_t first[32];
    sha256_finalize(&h, first);
    sha256(first, 32, out);
}

/* Core's DecodeBase64: length a multiple of 4, at most two '=' at the end, zero
 * padding bits. */
static bool base64_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    if (n % 4) return false;
    if (n && s[n - 1] == '=') n--;
    if (n && s[n - 1] == '=') n--;
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        const char *pos = s[i] ? strchr(alphabet, s[i]) : NULL;
        if (!pos) return false;
        acc = (acc << 6) | (uint32_t)(pos - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len == cap) return false;
            out[len++] = (uint8_t)(acc >> bits);
        }
        acc &= (1u << bits) - 1;
    }
    if (bits >= 6 || acc != 0) return false;
    *out_len = len;
    return true;
}

static void base64_encode(char *out, const uint8_t *data, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n) v |= data[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
}

static bool rpc_verifymessage(void *vctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const struct address_params *p = &ctx->params->addr;
    const char *addr = json_string_value(json_array_get(params, 0));
    const char *sig64 = json_string_value(json_array_get(params, 1));
    const json_t *msg = json_array_get(params, 2);
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t spk_len;
    enum address_type type;
    if (address_decode(spk, &spk_len, &type, p, addr) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address");
    if (type != ADDRESS_P2PKH)
        return rpc_error_set(err, RPC_TYPE_ERROR, "Address does not refer to key");
    uint8_t sig[128];
    size_t sig_len;
    if (!base64_decode(sig64, sig, sizeof sig, &sig_len))
        return rpc_error_set(err, RPC_TYPE_ERROR, "Malformed base64 encoding");
    bool verified = false;
    if (sig_len == 65) {
        uint8_t hash[32];
        rawtx_message_hash(hash, json_string_value(msg), json_string_length(msg));
        int header = (int)sig[0] - 27;
        int recid = header & 3;
        bool compressed = (header & 4) != 0;
        secp256k1_context *secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        if (!secp) return out_of_memory(err);
        secp256k1_ecdsa_recoverable_signature rsig;
        secp256k1_pubkey pub;
        if (secp256k1_ecdsa_recoverable_signature_parse_compact(secp, &rsig, sig + 1, recid) &&
            secp256k1_ecdsa_recover(secp, &pub, &rsig, hash)) {
            uint8_t ser[65];
            size_t ser_len = sizeof ser;
            secp256k1_ec_pubkey_serialize(secp, ser, &ser_len, &pub,
                                          compressed ? SECP256K1_EC_COMPRESSED
                                                     : SECP256K1_EC_UNCOMPRESSED);
            uint8_t h160[20];
            hash160(ser, ser_len, h160);
            verified = memcmp(h160, spk + 3, 20) == 0;
        }
        secp256k1_context_destroy(secp);
    }
    *result = json_boolean(verified);
    return true;
}

static bool rpc_signmessagewithprivkey(void *vctx, const json_t *params, json_t **result,
                                       struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const char *wif = json_string_value(json_array_get(params, 0));
    const json_t *msg = json_array_get(params, 1);
    uint8_t key[32];
    bool compressed;
    if (wif_decode(key, &compressed, &ctx->params->addr, wif) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key");
    uint8_t hash[32];
    rawtx_message_hash(hash, json_string_value(msg), json_string_length(msg));
    secp256k1_context *secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    bool ok = false;
    uint8_t sig[65];
    if (secp) {
        secp256k1_ecdsa_recoverable_signature rsig;
        int recid;
        /* RFC6979 nonces without extra entropy: the same signature Core makes. */
        ok = secp256k1_ecdsa_sign_recoverable(secp, &rsig, hash, key, NULL, NULL) &&
             secp256k1_ecdsa_recoverable_signature_serialize_compact(secp, sig + 1, &recid,
                                                                     &rsig);
        sig[0] = (uint8_t)(27 + recid + (compressed ? 4 : 0));
        secp256k1_context_destroy(secp);
    }
    memset(key, 0, sizeof key);
    if (!ok) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Sign failed");
    char text[100];
    base64_encode(text, sig, sizeof sig);
    *result = json_string(text);
    return *result ? true : out_of_memory(err);
}

/* ---- table ---- */

static bool rpc_getdescriptorinfo(void *vctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const char *text = json_string_value(json_array_get(params, 0));
    char error[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, &ctx->params->addr, error);
    if (!d) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", error);
    /* the checksum of the text as given, without any "#..." part */
    size_t body_len = strcspn(text, "#");
    char *body = malloc(body_len + 1);
    char *norm = descriptor_to_string(d);
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1] = "";
    json_t *r = json_object();
    bool ok = body && norm && r;
    if (ok) {
        memcpy(body, text, body_len);
        body[body_len] = 0;
        ok = descriptor_checksum(sum, body);
    }
    ok = ok && put(r, "descriptor", json_string(norm)) &&
         put(r, "checksum", json_string(sum)) &&
         put(r, "isrange", json_boolean(descriptor_is_range(d))) &&
         put(r, "issolvable", json_boolean(descriptor_is_solvable(d))) &&
         put(r, "hasprivatekeys", json_boolean(descriptor_has_private_keys(d)));
    free(body);
    free(norm);
    descriptor_free(d);
    if (!ok) {
        json_decref(r);
        return out_of_memory(err);
    }
    *result = r;
    return true;
}

static bool rpc_deriveaddresses(void *vctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    struct rawtx_rpc_ctx *ctx = vctx;
    const struct address_params *p = &ctx->params->addr;
    const char *text = json_string_value(json_array_get(params, 0));
    const json_t *range = param(params, 1);
    int64_t begin = 0, end = 0;
    if (!strchr(text, '#'))
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Missing checksum");
    char error[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, p, error);
    if (!d) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", error);
    bool ok = true;
    if (!descriptor_is_range(d) && range)
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "Range should not be specified for an un-ranged descriptor");
    else if (descriptor_is_range(d) && !range)
        ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                           "Range must be specified for a ranged descriptor");
    else if (range)
        ok = descriptor_parse_range(range, &begin, &end, err);
    json_t *r = json_array();
    if (!r) ok = ok && out_of_memory(err);
    for (int64_t i = begin; ok && i <= end; i++) {
        struct descriptor_scripts s = {0};
        if (!descriptor_expand(d, (uint32_t)i, &s, error)) {
            ok = rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "%s", error);
            break;
        }
        for (size_t j = 0; ok && j < s.count; j++) {
            char addr[ADDRESS_MAX_LEN + 1];
            if (address_encode(addr, p, s.items[j].data, s.items[j].len) != ADDRESS_OK) {
                /* combo's first script is P2PK, which has no address: skip it as Core */
                if (s.count > 1 && j == 0) continue;
                ok = rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                                   "Descriptor does not have a corresponding address");
            } else if (json_array_append_new(r, json_string(addr)) != 0) {
                ok = out_of_memory(err);
            }
        }
        descriptor_scripts_clear(&s);
    }
    descriptor_free(d);
    if (!ok) {
        json_decref(r);
        return false;
    }
    *result = r;
    return true;
}

static const struct rpc_method rawtx_methods[] = {
    {"createrawtransaction",
     "rawtransactions",
     rpc_createrawtransaction,
     {{"inputs", RPC_ARG_ARR, false},
      {"outputs", RPC_ARG_ANY, false},
      {"locktime", RPC_ARG_NUM, true},
      {"replaceable", RPC_ARG_BOOL, true}},
     "createrawtransaction [{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...] "
     "[{\"address\":amount,...},{\"data\":\"hex\"},...] ( locktime replaceable )\n"
     "\n"
     "Create a transaction spending the given inputs and creating new outputs.\n"
     "Outputs can be addresses or data.\n"
     "Returns hex-encoded raw transaction.\n"
     "Note that the transaction's inputs are not signed, and\n"
     "it is not stored in the wallet or transmitted to the network.\n"
     "\n"
     "Arguments:\n"
     "1. inputs                      (json array, required) The inputs\n"
     "     [\n"
     "       {                       (json object)\n"
     "         \"txid\": \"hex\",          (string, required) The transaction id\n"
     "         \"vout\": n,              (numeric, required) The output number\n"
     "         \"sequence\": n,          (numeric, optional, default=depends on the value of "
     "the 'replaceable' and 'locktime' arguments) The sequence number\n"
     "       },\n"
     "       ...\n"
     "     ]\n"
     "2. outputs                     (json array, required) The outputs specified as "
     "key-value pairs.\n"
     "                               Each key may only appear once, i.e. there can only be "
     "one 'data' output, and no address may be duplicated.\n"
     "                               At least one output of either type must be specified.\n"
     "                               For compatibility reasons, a dictionary, which holds the "
     "key-value pairs directly, is also\n"
     "                               accepted as second parameter.\n"
     "     [\n"
     "       {                       (json object)\n"
     "         \"address\": amount,    (numeric or string, required) A key-value pair. The key "
     "(string) is the IoP address, the value (float or string) is the amount in IOP\n"
     "         ...\n"
     "       },\n"
     "       {                       (json object)\n"
     "         \"data\": \"hex\",          (string, required) A key-value pair. The key must "
     "be "
     "\"data\", the value is hex-encoded data\n"
     "       },\n"
     "       ...\n"
     "     ]\n"
     "3. locktime                    (numeric, optional, default=0) Raw locktime. Non-0 value "
     "also locktime-activates inputs\n"
     "4. replaceable                 (boolean, optional, default=true) Marks this transaction "
     "as BIP125-replaceable.\n"
     "                               Allows this transaction to be replaced by a transaction "
     "with higher fees. If provided, it is an error if explicit sequence numbers are "
     "incompatible.\n"
     "\n"
     "Result:\n"
     "\"hex\"    (string) hex string of the transaction\n"
     "\n"
     "Examples:\n"
     "> iop-cli createrawtransaction \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" "
     "\"[{\\\"address\\\":0.01}]\"\n"
     "> iop-cli createrawtransaction \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" "
     "\"[{\\\"data\\\":\\\"00010203\\\"}]\"\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"createrawtransaction\", \"params\": [[{\"txid\":\"myid\",\"vout\":0}], "
     "[{\"address\":0.01}]]}' -H 'content-type: application/json' http://127.0.0.1:8337/"},
    {"decoderawtransaction",
     "rawtransactions",
     rpc_decoderawtransaction,
     {{"hexstring", RPC_ARG_STR, false}, {"iswitness", RPC_ARG_BOOL, true}},
     "decoderawtransaction \"hexstring\" ( iswitness )\n"
     "\n"
     "Return a JSON object representing the serialized, hex-encoded transaction.\n"
     "\n"
     "Arguments:\n"
     "1. hexstring    (string, required) The transaction hex string\n"
     "2. iswitness    (boolean, optional, default=depends on heuristic tests) Whether the "
     "transaction hex is a serialized witness transaction.\n"
     "                If iswitness is not present, heuristic tests will be used in "
     "decoding.\n"
     "                If true, only witness deserialization will be tried.\n"
     "                If false, only non-witness deserialization will be tried.\n"
     "                This boolean should reflect whether the transaction has inputs\n"
     "                (e.g. fully valid, or on-chain transactions), if known by the caller.\n"
     "\n"
     "Result:\n"
     "{                           (json object)\n"
     "  \"txid\" : \"hex\",           (string) The transaction id\n"
     "  \"hash\" : \"hex\",           (string) The transaction hash (differs from txid for "
     "witness transactions)\n"
     "  \"size\" : n,               (numeric) The serialized transaction size\n"
     "  \"vsize\" : n,              (numeric) The virtual transaction size (differs from size "
     "for witness transactions)\n"
     "  \"weight\" : n,             (numeric) The transaction's weight (between vsize*4-3 and "
     "vsize*4)\n"
     "  \"version\" : n,            (numeric) The version\n"
     "  \"locktime\" : xxx,         (numeric) The lock time\n"
     "  \"vin\" : [                 (json array)\n"
     "    {                       (json object)\n"
     "      \"coinbase\" : \"hex\",   (string, optional) The coinbase value (only if "
     "coinbase transaction)\n"
     "      \"txid\" : \"hex\",       (string, optional) The transaction id (if not coinbase "
     "transaction)\n"
     "      \"vout\" : n,           (numeric, optional) The output number (if not coinbase "
     "transaction)\n"
     "      \"scriptSig\" : {       (json object, optional) The script (if not coinbase "
     "transaction)\n"
     "        \"asm\" : \"str\",      (string) Disassembly of the signature script\n"
     "        \"hex\" : \"hex\"       (string) The raw signature script bytes, hex-encoded\n"
     "      },\n"
     "      \"txinwitness\" : [     (json array, optional)\n"
     "        \"hex\",              (string) hex-encoded witness data (if any)\n"
     "        ...\n"
     "      ],\n"
     "      \"sequence\" : n        (numeric) The script sequence number\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"vout\" : [                (json array)\n"
     "    {                       (json object)\n"
     "      \"value\" : n,          (numeric) The value in IOP\n"
     "      \"n\" : n,              (numeric) index\n"
     "      \"scriptPubKey\" : {    (json object)\n"
     "        \"asm\" : \"str\",      (string) Disassembly of the output script\n"
     "        \"desc\" : \"str\",     (string) Inferred descriptor for the output\n"
     "        \"hex\" : \"hex\",      (string) The raw output script bytes, hex-encoded\n"
     "        \"address\" : \"str\",  (string, optional) The IoP address (only if a "
     "well-defined address exists)\n"
     "        \"type\" : \"str\"      (string) The type (one of: nonstandard, anchor, pubkey, "
     "pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, "
     "witness_v0_keyhash, witness_v1_taproot, witness_unknown)\n"
     "      }\n"
     "    },\n"
     "    ...\n"
     "  ]\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli decoderawtransaction \"hexstring\"\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"decoderawtransaction\", \"params\": [\"hexstring\"]}' -H 'content-type: "
     "application/json' http://127.0.0.1:8337/"},
    {"decodescript",
     "rawtransactions",
     rpc_decodescript,
     {{"hexstring", RPC_ARG_STR, false}},
     "decodescript \"hexstring\"\n"
     "\n"
     "Decode a hex-encoded script.\n"
     "\n"
     "Arguments:\n"
     "1. hexstring    (string, required) the hex-encoded script\n"
     "\n"
     "Result:\n"
     "{                             (json object)\n"
     "  \"asm\" : \"str\",              (string) Disassembly of the script\n"
     "  \"desc\" : \"str\",             (string) Inferred descriptor for the script\n"
     "  \"type\" : \"str\",             (string) The output type (e.g. nonstandard, anchor, "
     "pubkey, pubkeyhash, scripthash, multisig, nulldata, witness_v0_scripthash, "
     "witness_v0_keyhash, witness_v1_taproot, witness_unknown)\n"
     "  \"address\" : \"str\",          (string, optional) The IoP address (only if a "
     "well-defined address exists)\n"
     "  \"p2sh\" : \"str\",             (string, optional) address of P2SH script wrapping "
     "this redeem script (not returned for types that should not be wrapped)\n"
     "  \"segwit\" : {                (json object, optional) Result of a witness output "
     "script wrapping this redeem script (not returned for types that should not be "
     "wrapped)\n"
     "    \"asm\" : \"str\",            (string) String representation of the script public "
     "key\n"
     "    \"hex\" : \"hex\",            (string) Hex string of the script public key\n"
     "    \"type\" : \"str\",           (string) The type of the script public key (e.g. "
     "witness_v0_keyhash or witness_v0_scripthash)\n"
     "    \"address\" : \"str\",        (string, optional) The IoP address (only if a "
     "well-defined address exists)\n"
     "    \"desc\" : \"str\",           (string) Inferred descriptor for the script\n"
     "    \"p2sh-segwit\" : \"str\"     (string) address of the P2SH script wrapping this "
     "witness redeem script\n"
     "  }\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli decodescript \"hexstring\"\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"decodescript\", \"params\": [\"hexstring\"]}' -H 'content-type: "
     "application/json' http://127.0.0.1:8337/"},
    {"getdescriptorinfo",
     "util",
     rpc_getdescriptorinfo,
     {{"descriptor", RPC_ARG_STR, false}},
     "getdescriptorinfo \"descriptor\"\n"
     "\n"
     "Analyses a descriptor.\n"
     "\n"
     "Arguments:\n"
     "1. descriptor    (string, required) The descriptor.\n"
     "\n"
     "Result:\n"
     "{                                   (json object)\n"
     "  \"descriptor\" : \"str\",             (string) The descriptor in canonical form, "
     "without private keys. For a multipath descriptor, only the first will be returned.\n"
     "  \"checksum\" : \"str\",               (string) The checksum for the input descriptor\n"
     "  \"isrange\" : true|false,           (boolean) Whether the descriptor is ranged\n"
     "  \"issolvable\" : true|false,        (boolean) Whether the descriptor is solvable\n"
     "  \"hasprivatekeys\" : true|false     (boolean) Whether the input descriptor contained "
     "at least one private key\n"
     "}\n"
     "\n"
     "Examples:\n"
     "Analyse a descriptor\n"
     "> iop-cli getdescriptorinfo \"wpkh([d34db33f/84h/0h/0h]"
     "0279be667ef9dcbbac55a06295Ce870b07029Bfcdb2dce28d959f2815b16f81798)\"\n"},
    {"deriveaddresses",
     "util",
     rpc_deriveaddresses,
     {{"descriptor", RPC_ARG_STR, false}, {"range", RPC_ARG_ANY, true}},
     "deriveaddresses \"descriptor\" ( range )\n"
     "\n"
     "Derives one or more addresses corresponding to an output descriptor.\n"
     "Examples of output descriptors are:\n"
     "    pkh(<pubkey>)                                     P2PKH outputs for the given "
     "pubkey\n"
     "    wpkh(<pubkey>)                                    Native segwit P2PKH outputs for "
     "the given pubkey\n"
     "    sh(multi(<n>,<pubkey>,<pubkey>,...))              P2SH-multisig outputs for the "
     "given threshold and pubkeys\n"
     "    raw(<hex script>)                                 Outputs whose output script "
     "equals the specified hex-encoded bytes\n"
     "    tr(<pubkey>)                                      P2TR output (key path only)\n"
     "\n"
     "In the above, <pubkey> either refers to a fixed public key in hexadecimal notation, "
     "or to an xpub/xprv optionally followed by one\n"
     "or more path elements separated by \"/\", where \"h\" represents a hardened child "
     "key.\n"
     "\n"
     "Arguments:\n"
     "1. descriptor    (string, required) The descriptor.\n"
     "2. range         (numeric or array, optional) If a ranged descriptor is used, this "
     "specifies the end or the range (in [begin,end] notation) to derive.\n"
     "\n"
     "Result:\n"
     "[           (json array)\n"
     "  \"str\",    (string) the derived addresses\n"
     "  ...\n"
     "]\n"
     "\n"
     "Examples:\n"
     "First three native segwit receive addresses\n"
     "> iop-cli deriveaddresses \"wpkh([d34db33f/84h/0h/0h]xpub.../0/*)#cjjspncu\" "
     "\"[0,2]\"\n"},
    {"signmessagewithprivkey",
     "util",
     rpc_signmessagewithprivkey,
     {{"privkey", RPC_ARG_STR, false}, {"message", RPC_ARG_STR, false}},
     "signmessagewithprivkey \"privkey\" \"message\"\n"
     "\n"
     "Sign a message with the private key of an address\n"
     "\n"
     "Arguments:\n"
     "1. privkey    (string, required) The private key to sign the message with.\n"
     "2. message    (string, required) The message to create a signature of.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The signature of the message encoded in base 64\n"
     "\n"
     "Examples:\n"
     "\n"
     "Create the signature\n"
     "> iop-cli signmessagewithprivkey \"privkey\" \"my message\"\n"
     "\n"
     "Verify the signature\n"
     "> iop-cli verifymessage \"address\" \"signature\" \"my message\"\n"
     "\n"
     "As a JSON-RPC call\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"signmessagewithprivkey\", \"params\": [\"privkey\", \"my message\"]}' -H "
     "'content-type: application/json' http://127.0.0.1:8337/"},
    {"validateaddress",
     "util",
     rpc_validateaddress,
     {{"address", RPC_ARG_STR, false}},
     "validateaddress \"address\"\n"
     "\n"
     "Return information about the given IoP address.\n"
     "\n"
     "Arguments:\n"
     "1. address    (string, required) The IoP address to validate\n"
     "\n"
     "Result:\n"
     "{                               (json object)\n"
     "  \"isvalid\" : true|false,       (boolean) If the address is valid or not\n"
     "  \"address\" : \"str\",            (string, optional) The IoP address validated\n"
     "  \"scriptPubKey\" : \"hex\",       (string, optional) The hex-encoded output script "
     "generated by the address\n"
     "  \"isscript\" : true|false,      (boolean, optional) If the key is a script\n"
     "  \"iswitness\" : true|false,     (boolean, optional) If the address is a witness "
     "address\n"
     "  \"witness_version\" : n,        (numeric, optional) The version number of the "
     "witness program\n"
     "  \"witness_program\" : \"hex\",    (string, optional) The hex value of the witness "
     "program\n"
     "  \"error\" : \"str\",              (string, optional) Error message, if any\n"
     "  \"error_locations\" : [         (json array, optional) Indices of likely error "
     "locations in address, if known (e.g. Bech32 errors)\n"
     "    n,                          (numeric) index of a potential error\n"
     "    ...\n"
     "  ]\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli validateaddress \"riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m\"\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"validateaddress\", \"params\": "
     "[\"riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m\"]}' -H 'content-type: "
     "application/json' http://127.0.0.1:8337/"},
    {"verifymessage",
     "util",
     rpc_verifymessage,
     {{"address", RPC_ARG_STR, false},
      {"signature", RPC_ARG_STR, false},
      {"message", RPC_ARG_STR, false}},
     "verifymessage \"address\" \"signature\" \"message\"\n"
     "\n"
     "Verify a signed message.\n"
     "\n"
     "Arguments:\n"
     "1. address      (string, required) The IoP address to use for the signature.\n"
     "2. signature    (string, required) The signature provided by the signer in base 64 "
     "encoding (see signmessage).\n"
     "3. message      (string, required) The message that was signed.\n"
     "\n"
     "Result:\n"
     "true|false    (boolean) If the signature is verified or not.\n"
     "\n"
     "Examples:\n"
     "\n"
     "Unlock the wallet for 30 seconds\n"
     "> iop-cli walletpassphrase \"mypassphrase\" 30\n"
     "\n"
     "Create the signature\n"
     "> iop-cli signmessage \"pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM\" \"my message\"\n"
     "\n"
     "Verify the signature\n"
     "> iop-cli verifymessage \"pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM\" \"signature\" \"my "
     "message\"\n"
     "\n"
     "As a JSON-RPC call\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"verifymessage\", \"params\": [\"pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM\", "
     "\"signature\", \"my message\"]}' -H 'content-type: application/json' "
     "http://127.0.0.1:8337/"},
};

struct rpc_table rawtx_rpc_table(struct rawtx_rpc_ctx *ctx)
{
    return (struct rpc_table){rawtx_methods, sizeof rawtx_methods / sizeof rawtx_methods[0],
                              ctx};
}
