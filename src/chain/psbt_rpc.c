/* PSBT RPC methods (see psbt_rpc.h).
 *
 * Result shapes, defaults, error codes and messages follow Bitcoin Core 28/29's
 * rpc/rawtransaction.cpp (decodepsbt, combinepsbt, finalizepsbt, createpsbt,
 * converttopsbt, utxoupdatepsbt, joinpsbts, analyzepsbt). createpsbt builds its
 * transaction through this node's createrawtransaction handler, so both accept exactly
 * the same inputs and outputs. */
#include "chain/psbt_rpc.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/coins.h"
#include "chain/mempool.h"
#include "chain/psbt.h"
#include "chain/rawtx_rpc.h"
#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/base58.h"
#include "consensus/script.h"
#include "util/hex.h"
#include "util/random.h"

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

static json_t *hex_json(const uint8_t *data, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return NULL;
    hex_encode(s, data, n);
    json_t *v = json_string(s);
    free(s);
    return v;
}

/* Adds v under key; a NULL v (out of memory) marks *ok false. */
static void put(json_t *obj, const char *key, json_t *v, bool *ok)
{
    if (!v || json_object_set_new(obj, key, v) != 0) *ok = false;
}

static void append(json_t *arr, json_t *v, bool *ok)
{
    if (!v || json_array_append_new(arr, v) != 0) *ok = false;
}

/* Core's DecodeBase64PSBT with the RPC error it becomes. */
static bool decode_psbt(struct psbt *p, const json_t *v, struct rpc_error *err)
{
    char why[PSBT_ERR_MAX];
    const char *s = json_string_value(v);
    if (!s) return rpc_error_set(err, RPC_TYPE_ERROR, "Expected type string");
    if (!psbt_from_base64(p, s, why))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "TX decode failed %s", why);
    return true;
}

static bool psbt_result(const struct psbt *p, json_t **result, struct rpc_error *err)
{
    char *b64 = psbt_to_base64(p);
    if (!b64) return out_of_memory(err);
    *result = json_string(b64);
    free(b64);
    return *result ? true : out_of_memory(err);
}

/* Core's WriteHDKeypath: "m/44h/1h/0h/0/5". */
static json_t *keypath_json(const uint8_t *origin, size_t len)
{
    size_t n = (len - 4) / 4;
    char *s = malloc(2 + n * 12 + 1);
    if (!s) return NULL;
    size_t o = 0;
    s[o++] = 'm';
    for (size_t i = 0; i < n; i++) {
        uint32_t v = le32_read(origin + 4 + 4 * i);
        o += (size_t)sprintf(s + o, "/%" PRIu32 "%s", v & 0x7fffffffu, v >> 31 ? "h" : "");
    }
    s[o] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *fingerprint_json(const uint8_t *origin)
{
    char s[9];
    hex_encode(s, origin, 4);
    return json_string(s);
}

/* Core's SighashToStr. */
static const char *sighash_name(int32_t t)
{
    switch (t) {
    case SIGHASH_DEFAULT: return "DEFAULT";
    case SIGHASH_ALL: return "ALL";
    case SIGHASH_NONE: return "NONE";
    case SIGHASH_SINGLE: return "SINGLE";
    case SIGHASH_ALL | SIGHASH_ANYONECANPAY: return "ALL|ANYONECANPAY";
    case SIGHASH_NONE | SIGHASH_ANYONECANPAY: return "NONE|ANYONECANPAY";
    case SIGHASH_SINGLE | SIGHASH_ANYONECANPAY: return "SINGLE|ANYONECANPAY";
    default: return "";
    }
}

static json_t *bip32_json(const struct psbt_map *m, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < m->count; i++) {
        const struct psbt_pair *pr = &m->items[i];
        json_t *o = json_object();
        if (!o) {
            *ok = false;
            break;
        }
        put(o, "pubkey", hex_json(pr->key + 1, pr->key_len - 1), ok);
        put(o, "master_fingerprint", fingerprint_json(pr->value), ok);
        put(o, "path", keypath_json(pr->value, pr->value_len), ok);
        append(arr, o, ok);
    }
    return arr;
}

static json_t *tap_bip32_json(const struct psbt_map *m, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < m->count; i++) {
        const struct psbt_pair *pr = &m->items[i];
        const uint8_t *hashes, *origin;
        size_t count, origin_len;
        if (!psbt_tap_bip32_split(pr->value, pr->value_len, &hashes, &count, &origin,
                                  &origin_len))
            continue;
        json_t *o = json_object();
        json_t *leaves = json_array();
        if (!o || !leaves) {
            json_decref(o);
            json_decref(leaves);
            *ok = false;
            break;
        }
        put(o, "pubkey", hex_json(pr->key + 1, 32), ok);
        put(o, "master_fingerprint", fingerprint_json(origin), ok);
        put(o, "path", keypath_json(origin, origin_len), ok);
        for (size_t j = 0; j < count; j++) append(leaves, hex_json(hashes + 32 * j, 32), ok);
        put(o, "leaf_hashes", leaves, ok);
        append(arr, o, ok);
    }
    return arr;
}

static json_t *proprietary_json(const struct psbt_map *m, bool *ok)
{
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (size_t i = 0; i < m->count; i++) {
        const struct psbt_pair *pr = &m->items[i];
        const uint8_t *ident, *kd;
        size_t ident_len, kd_len;
        uint64_t subtype;
        if (!psbt_proprietary_split(pr->key, pr->key_len, &ident, &ident_len, &subtype, &kd,
                                    &kd_len))
            continue;
        json_t *o = json_object();
        if (!o) {
            *ok = false;
            break;
        }
        put(o, "identifier", hex_json(ident, ident_len), ok);
        put(o, "subtype", json_integer((json_int_t)subtype), ok);
        put(o, "key", hex_json(pr->key, pr->key_len), ok);
        put(o, "value", hex_json(pr->value, pr->value_len), ok);
        append(arr, o, ok);
    }
    return arr;
}

/* A map shown as {hex(key part): hex(value)}; skip bytes of the key are left out. */
static json_t *hexmap_json(const struct psbt_map *m, size_t skip, bool *ok)
{
    json_t *o = json_object();
    if (!o) return NULL;
    for (size_t i = 0; i < m->count; i++) {
        const struct psbt_pair *pr = &m->items[i];
        char *k = malloc(2 * (pr->key_len - skip) + 1);
        if (!k) {
            *ok = false;
            break;
        }
        hex_encode(k, pr->key + skip, pr->key_len - skip);
        put(o, k, hex_json(pr->value, pr->value_len), ok);
        free(k);
    }
    return o;
}

/* ---- decodepsbt ---- */

static json_t *input_json(const struct psbt *p, size_t i, const struct address_params *ap,
                          int64_t *total_in, bool *have_all, bool *ok)
{
    const struct psbt_input *in = &p->inputs[i];
    json_t *o = json_object();
    if (!o) return NULL;
    bool have_utxo = false;
    const struct tx_out *txout = NULL;
    if (in->has_witness_utxo) {
        txout = &in->witness_utxo;
        json_t *u = json_object();
        if (u) {
            put(u, "amount", amount_to_json(txout->value), ok);
            put(u, "scriptPubKey",
                script_to_json(txout->script_pubkey, txout->script_pubkey_len, ap, true, true),
                ok);
        }
        put(o, "witness_utxo", u, ok);
        have_utxo = true;
    }
    if (in->non_witness_utxo) {
        txout = &in->non_witness_utxo->vout[p->tx.vin[i].prevout.n];
        put(o, "non_witness_utxo", tx_to_json(in->non_witness_utxo, ap), ok);
        have_utxo = true;
    }
    if (have_utxo) {
        if (txout->value >= 0 && txout->value <= MAX_MONEY &&
            *total_in + txout->value <= MAX_MONEY)
            *total_in += txout->value;
        else
            *have_all = false;
    } else {
        *have_all = false;
    }
    if (in->partial_sigs.count)
        put(o, "partial_signatures", hexmap_json(&in->partial_sigs, 1, ok), ok);
    if (in->has_sighash) put(o, "sighash", json_string(sighash_name(in->sighash & 0xff)), ok);
    if (in->redeem_script.len)
        put(o, "redeem_script",
            script_to_json(in->redeem_script.data, in->redeem_script.len, ap, true, false), ok);
    if (in->witness_script.len)
        put(o, "witness_script",
            script_to_json(in->witness_script.data, in->witness_script.len, ap, true, false),
            ok);
    if (in->bip32.count) put(o, "bip32_derivs", bip32_json(&in->bip32, ok), ok);
    if (in->final_script_sig.len) {
        json_t *s = json_object();
        if (s) {
            char *asm_text =
                script_to_asm(in->final_script_sig.data, in->final_script_sig.len, true);
            put(s, "asm", asm_text ? json_string(asm_text) : NULL, ok);
            free(asm_text);
            put(s, "hex", hex_json(in->final_script_sig.data, in->final_script_sig.len), ok);
        }
        put(o, "final_scriptSig", s, ok);
    }
    if (in->final_witness_count) {
        json_t *w = json_array();
        for (size_t k = 0; w && k < in->final_witness_count; k++)
            append(w, hex_json(in->final_witness[k].data, in->final_witness[k].len), ok);
        put(o, "final_scriptwitness", w, ok);
    }
    if (in->ripemd160.count)
        put(o, "ripemd160_preimages", hexmap_json(&in->ripemd160, 1, ok), ok);
    if (in->sha256.count) put(o, "sha256_preimages", hexmap_json(&in->sha256, 1, ok), ok);
    if (in->hash160.count) put(o, "hash160_preimages", hexmap_json(&in->hash160, 1, ok), ok);
    if (in->hash256.count) put(o, "hash256_preimages", hexmap_json(&in->hash256, 1, ok), ok);
    if (in->tap_key_sig.len)
        put(o, "taproot_key_path_sig", hex_json(in->tap_key_sig.data, in->tap_key_sig.len), ok);
    if (in->tap_script_sigs.count) {
        json_t *arr = json_array();
        for (size_t k = 0; arr && k < in->tap_script_sigs.count; k++) {
            const struct psbt_pair *pr = &in->tap_script_sigs.items[k];
            json_t *s = json_object();
            if (s) {
                put(s, "pubkey", hex_json(pr->key + 1, 32), ok);
                put(s, "leaf_hash", hex_json(pr->key + 33, 32), ok);
                put(s, "sig", hex_json(pr->value, pr->value_len), ok);
            }
            append(arr, s, ok);
        }
        put(o, "taproot_script_path_sigs", arr, ok);
    }
    if (in->tap_leaf_scripts.count) {
        /* Core groups the control blocks of one (script, leaf version). */
        json_t *arr = json_array();
        json_t *cur = NULL, *controls = NULL;
        const struct psbt_pair *prev = NULL;
        for (size_t k = 0; arr && k < in->tap_leaf_scripts.count; k++) {
            const struct psbt_pair *pr = &in->tap_leaf_scripts.items[k];
            if (!prev || prev->value_len != pr->value_len ||
                memcmp(prev->value, pr->value, pr->value_len) != 0) {
                cur = json_object();
                controls = json_array();
                if (cur && controls) {
                    put(cur, "script", hex_json(pr->value, pr->value_len - 1), ok);
                    put(cur, "leaf_ver", json_integer(pr->value[pr->value_len - 1]), ok);
                    put(cur, "control_blocks", json_incref(controls), ok);
                    json_decref(controls);
                }
                append(arr, cur, ok);
            }
            if (controls) append(controls, hex_json(pr->key + 1, pr->key_len - 1), ok);
            prev = pr;
        }
        put(o, "taproot_scripts", arr, ok);
    }
    if (in->tap_bip32.count)
        put(o, "taproot_bip32_derivs", tap_bip32_json(&in->tap_bip32, ok), ok);
    if (in->has_tap_internal_key)
        put(o, "taproot_internal_key", hex_json(in->tap_internal_key, 32), ok);
    if (in->has_tap_merkle_root)
        put(o, "taproot_merkle_root", hex_json(in->tap_merkle_root, 32), ok);
    if (in->proprietary.count)
        put(o, "proprietary", proprietary_json(&in->proprietary, ok), ok);
    if (in->unknown.count) put(o, "unknown", hexmap_json(&in->unknown, 0, ok), ok);
    return o;
}

static json_t *output_json(const struct psbt *p, size_t i, const struct address_params *ap,
                           int64_t *total_out, bool *have_all, bool *ok)
{
    const struct psbt_output *out = &p->outputs[i];
    json_t *o = json_object();
    if (!o) return NULL;
    if (out->redeem_script.len)
        put(o, "redeem_script",
            script_to_json(out->redeem_script.data, out->redeem_script.len, ap, true, false),
            ok);
    if (out->witness_script.len)
        put(o, "witness_script",
            script_to_json(out->witness_script.data, out->witness_script.len, ap, true, false),
            ok);
    if (out->bip32.count) put(o, "bip32_derivs", bip32_json(&out->bip32, ok), ok);
    if (out->has_tap_internal_key)
        put(o, "taproot_internal_key", hex_json(out->tap_internal_key, 32), ok);
    if (out->tap_tree.len) {
        json_t *arr = json_array();
        size_t pos = 0;
        uint8_t depth, ver;
        const uint8_t *script;
        size_t script_len;
        while (arr && psbt_tap_tree_next(out->tap_tree.data, out->tap_tree.len, &pos, &depth,
                                         &ver, &script, &script_len)) {
            json_t *leaf = json_object();
            if (leaf) {
                put(leaf, "depth", json_integer(depth), ok);
                put(leaf, "leaf_ver", json_integer(ver), ok);
                put(leaf, "script", hex_json(script, script_len), ok);
            }
            append(arr, leaf, ok);
        }
        put(o, "taproot_tree", arr, ok);
    }
    if (out->tap_bip32.count)
        put(o, "taproot_bip32_derivs", tap_bip32_json(&out->tap_bip32, ok), ok);
    if (out->proprietary.count)
        put(o, "proprietary", proprietary_json(&out->proprietary, ok), ok);
    if (out->unknown.count) put(o, "unknown", hexmap_json(&out->unknown, 0, ok), ok);
    int64_t v = p->tx.vout[i].value;
    if (v >= 0 && v <= MAX_MONEY && *total_out + v <= MAX_MONEY)
        *total_out += v;
    else
        *have_all = false;
    return o;
}

/* The decodepsbt object for p (exported for the fuzz harness through the table). */
static json_t *psbt_json(const struct psbt *p, const struct address_params *ap)
{
    bool ok = true;
    json_t *r = json_object();
    if (!r) return NULL;
    put(r, "tx", tx_to_json(&p->tx, ap), &ok);
    json_t *xpubs = json_array();
    for (size_t i = 0; xpubs && i < p->xpubs.count; i++) {
        const struct psbt_pair *pr = &p->xpubs.items[i];
        uint8_t ser[78];
        memcpy(ser, pr->key + 1, 78);
        be32_write(ser, ap->xpub_version);
        char text[200];
        json_t *o = json_object();
        if (!o || !base58check_encode(text, sizeof text, ser, sizeof ser)) {
            json_decref(o);
            ok = false;
            break;
        }
        put(o, "xpub", json_string(text), &ok);
        put(o, "master_fingerprint", fingerprint_json(pr->value), &ok);
        put(o, "path", keypath_json(pr->value, pr->value_len), &ok);
        append(xpubs, o, &ok);
    }
    put(r, "global_xpubs", xpubs, &ok);
    put(r, "psbt_version", json_integer(p->has_version ? p->version : 0), &ok);
    put(r, "proprietary", proprietary_json(&p->proprietary, &ok), &ok);
    put(r, "unknown", hexmap_json(&p->unknown, 0, &ok), &ok);
    bool have_all = true;
    int64_t total_in = 0, total_out = 0;
    json_t *ins = json_array();
    for (size_t i = 0; ins && i < p->tx.vin_count; i++)
        append(ins, input_json(p, i, ap, &total_in, &have_all, &ok), &ok);
    put(r, "inputs", ins, &ok);
    json_t *outs = json_array();
    for (size_t i = 0; outs && i < p->tx.vout_count; i++)
        append(outs, output_json(p, i, ap, &total_out, &have_all, &ok), &ok);
    put(r, "outputs", outs, &ok);
    if (have_all) put(r, "fee", amount_to_json(total_in - total_out), &ok);
    if (!ok) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static bool rpc_decodepsbt(void *vctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    struct psbt_rpc_ctx *ctx = vctx;
    struct psbt p;
    if (!decode_psbt(&p, json_array_get(params, 0), err)) return false;
    *result = psbt_json(&p, &ctx->params->addr);
    psbt_clear(&p);
    return *result ? true : out_of_memory(err);
}

/* ---- combinepsbt ---- */

static bool rpc_combinepsbt(void *vctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)vctx;
    const json_t *txs = json_array_get(params, 0);
    if (json_array_size(txs) == 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Parameter 'txs' cannot be empty");
    struct psbt merged;
    if (!decode_psbt(&merged, json_array_get(txs, 0), err)) return false;
    bool ok = true;
    for (size_t i = 1; ok && i < json_array_size(txs); i++) {
        struct psbt other;
        if (!decode_psbt(&other, json_array_get(txs, i), err)) {
            ok = false;
            break;
        }
        bool mismatch;
        if (!psbt_merge(&merged, &other, &mismatch))
            ok = mismatch ? rpc_error_set(err, RPC_VERIFY_ERROR,
                                          "PSBTs not compatible (different transactions)")
                          : out_of_memory(err);
        psbt_clear(&other);
    }
    ok = ok && psbt_result(&merged, result, err);
    psbt_clear(&merged);
    return ok;
}

/* ---- finalizepsbt ---- */

static bool rpc_finalizepsbt(void *vctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    (void)vctx;
    struct psbt p;
    if (!decode_psbt(&p, json_array_get(params, 0), err)) return false;
    const json_t *e = param(params, 1);
    bool extract = e ? json_is_true(e) : true;
    bool complete = psbt_finalize(&p);
    json_t *r = json_object();
    bool ok = r != NULL;
    if (ok && complete && extract) {
        struct tx tx;
        if (!psbt_extract(&p, &tx)) {
            ok = false;
        } else {
            struct writer w;
            writer_init(&w);
            tx_serialize(&w, &tx, true);
            put(r, "hex", w.failed ? NULL : hex_json(w.data, w.len), &ok);
            writer_free(&w);
            tx_clear(&tx);
        }
    } else if (ok) {
        char *b64 = psbt_to_base64(&p);
        put(r, "psbt", b64 ? json_string(b64) : NULL, &ok);
        free(b64);
    }
    if (ok) put(r, "complete", json_boolean(complete), &ok);
    psbt_clear(&p);
    if (!ok) {
        json_decref(r);
        return out_of_memory(err);
    }
    *result = r;
    return true;
}

/* ---- createpsbt / converttopsbt ---- */

static bool rpc_createpsbt(void *vctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    struct psbt_rpc_ctx *ctx = vctx;
    struct rawtx_rpc_ctx rctx = {ctx->params};
    struct rpc_table t = rawtx_rpc_table(&rctx);
    const struct rpc_method *m = NULL;
    for (size_t i = 0; i < t.count; i++)
        if (strcmp(t.methods[i].name, "createrawtransaction") == 0) m = &t.methods[i];
    if (!m) return rpc_error_set(err, RPC_INTERNAL_ERROR, "createrawtransaction missing");
    json_t *hex = NULL;
    if (!m->handler(&rctx, params, &hex, err)) return false;
    uint8_t *raw;
    size_t len;
    bool ok = hex_decode_alloc(json_string_value(hex), &raw, &len);
    json_decref(hex);
    if (!ok) return out_of_memory(err);
    struct tx tx;
    tx_init(&tx);
    ok = tx_from_bytes(&tx, raw, len, true);
    free(raw);
    if (!ok) return rpc_error_set(err, RPC_INTERNAL_ERROR, "createrawtransaction output");
    struct psbt p;
    ok = psbt_from_tx(&p, &tx) ? psbt_result(&p, result, err) : out_of_memory(err);
    psbt_clear(&p);
    tx_clear(&tx);
    return ok;
}

/* Core's CheckTxScriptsSanity / HasValidOps, for the decoding heuristic. */
static bool script_ops_valid(const uint8_t *s, size_t len)
{
    size_t pc = 0;
    while (pc < len) {
        uint8_t op;
        const uint8_t *d;
        size_t n;
        if (!script_get_op(s, len, &pc, &op, &d, &n) || op > OP_NOP10 ||
            n > MAX_SCRIPT_ELEMENT_SIZE)
            return false;
    }
    return true;
}

static bool tx_sane(const struct tx *tx)
{
    if (!tx_is_coinbase(tx))
        for (size_t i = 0; i < tx->vin_count; i++)
            if (tx->vin[i].script_sig_len > MAX_SCRIPT_SIZE ||
                !script_ops_valid(tx->vin[i].script_sig, tx->vin[i].script_sig_len))
                return false;
    for (size_t i = 0; i < tx->vout_count; i++)
        if (tx->vout[i].script_pubkey_len > MAX_SCRIPT_SIZE ||
            !script_ops_valid(tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len))
            return false;
    return true;
}

/* Core's DecodeHexTx. */
static bool decode_hex_tx(struct tx *out, const char *hex, bool try_no_witness,
                          bool try_witness)
{
    size_t n = strlen(hex);
    if (n == 0 || n % 2) return false;
    for (size_t i = 0; i < n; i++)
        if (hex_digit(hex[i]) < 0) return false;
    uint8_t *data;
    size_t len;
    if (!hex_decode_alloc(hex, &data, &len)) return false;
    struct tx ext, leg;
    tx_init(&ext);
    tx_init(&leg);
    bool ok_ext = try_witness && tx_from_bytes(&ext, data, len, true);
    bool ok_leg = false;
    bool done = false;
    if (ok_ext && tx_sane(&ext)) {
        *out = ext;
        done = true;
    } else {
        ok_leg = try_no_witness && tx_from_bytes(&leg, data, len, false);
        if (ok_leg && (tx_sane(&leg) || !ok_ext)) {
            tx_clear(&ext);
            *out = leg;
            done = true;
        } else {
            tx_clear(&leg);
            if (ok_ext) {
                *out = ext;
                done = true;
            }
        }
    }
    free(data);
    return done;
}

static bool rpc_converttopsbt(void *vctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)vctx;
    const char *hex = json_string_value(json_array_get(params, 0));
    const json_t *perm = param(params, 1);
    const json_t *isw = param(params, 2);
    bool permitsigdata = perm ? json_is_true(perm) : false;
    bool try_witness = isw ? json_is_true(isw) : true;
    bool try_no_witness = isw ? !json_is_true(isw) : true;
    struct tx tx;
    tx_init(&tx);
    if (!hex || !decode_hex_tx(&tx, hex, try_no_witness, try_witness))
        return rpc_error_set(err, RPC_DESERIALIZATION_ERROR, "TX decode failed");
    for (size_t i = 0; i < tx.vin_count; i++)
        if ((tx.vin[i].script_sig_len || tx.vin[i].witness_count) && !permitsigdata) {
            tx_clear(&tx);
            return rpc_error_set(err, RPC_DESERIALIZATION_ERROR,
                                 "Inputs must not have scriptSigs and scriptWitnesses");
        }
    struct psbt p;
    bool ok = psbt_from_tx(&p, &tx) ? psbt_result(&p, result, err) : out_of_memory(err);
    psbt_clear(&p);
    tx_clear(&tx);
    return ok;
}

/* ---- analyzepsbt ---- */

static json_t *ids_json(const uint8_t ids[][20], size_t n, bool *ok)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) append(arr, hex_json(ids[i], 20), ok);
    return arr;
}

static bool rpc_analyzepsbt(void *vctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    struct psbt_rpc_ctx *ctx = vctx;
    struct psbt p;
    if (!decode_psbt(&p, json_array_get(params, 0), err)) return false;
    unsigned bytes_per_sigop =
        ctx->node ? ctx->node->policy.bytes_per_sigop : DEFAULT_BYTES_PER_SIGOP;
    struct psbt_analysis a;
    bool ok = psbt_analyze(&p, bytes_per_sigop, &a);
    psbt_clear(&p);
    if (!ok) return out_of_memory(err);
    json_t *r = json_object();
    if (!r) ok = false;
    json_t *ins = json_array();
    for (size_t i = 0; ok && ins && i < a.input_count; i++) {
        const struct psbt_input_analysis *ia = &a.inputs[i];
        json_t *o = json_object();
        json_t *missing = json_object();
        if (!o || !missing) {
            json_decref(o);
            json_decref(missing);
            ok = false;
            break;
        }
        put(o, "has_utxo", json_boolean(ia->has_utxo), &ok);
        put(o, "is_final", json_boolean(ia->is_final), &ok);
        put(o, "next", json_string(psbt_role_name(ia->next)), &ok);
        if (ia->missing_pubkey_count)
            put(missing, "pubkeys",
                ids_json(ia->missing_pubkeys, ia->missing_pubkey_count, &ok), &ok);
        if (ia->missing_redeem_script)
            put(missing, "redeemscript", hex_json(ia->redeem_script_hash, 20), &ok);
        if (ia->missing_witness_script)
            put(missing, "witnessscript", hex_json(ia->witness_script_hash, 32), &ok);
        if (ia->missing_sig_count)
            put(missing, "signatures", ids_json(ia->missing_sigs, ia->missing_sig_count, &ok),
                &ok);
        if (json_object_size(missing))
            put(o, "missing", missing, &ok);
        else
            json_decref(missing);
        append(ins, o, &ok);
    }
    if (ok && json_array_size(ins))
        put(r, "inputs", ins, &ok);
    else
        json_decref(ins);
    if (ok && a.has_vsize)
        put(r, "estimated_vsize", json_integer((json_int_t)a.estimated_vsize), &ok);
    if (ok && a.has_feerate) put(r, "estimated_feerate", amount_to_json(a.feerate), &ok);
    if (ok && a.has_fee) put(r, "fee", amount_to_json(a.fee), &ok);
    if (ok) put(r, "next", json_string(psbt_role_name(a.next)), &ok);
    if (ok && a.error[0]) put(r, "error", json_string(a.error), &ok);
    psbt_analysis_clear(&a);
    if (!ok) {
        json_decref(r);
        return out_of_memory(err);
    }
    *result = r;
    return true;
}

/* ---- joinpsbts ---- */

static bool rpc_joinpsbts(void *vctx, const json_t *params, json_t **result,
                          struct rpc_error *err)
{
    (void)vctx;
    const json_t *txs = json_array_get(params, 0);
    size_t count = json_array_size(txs);
    if (count <= 1)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "At least two PSBTs are required to join PSBTs.");
    struct psbt *all = calloc(count, sizeof *all);
    if (!all) return out_of_memory(err);
    size_t decoded = 0;
    bool ok = true;
    uint32_t best_version = 1, best_locktime = 0xffffffffu;
    for (; decoded < count; decoded++) {
        if (!decode_psbt(&all[decoded], json_array_get(txs, decoded), err)) {
            ok = false;
            break;
        }
        if ((uint32_t)all[decoded].tx.version > best_version)
            best_version = (uint32_t)all[decoded].tx.version;
        if (all[decoded].tx.locktime < best_locktime) best_locktime = all[decoded].tx.locktime;
    }
    struct psbt merged, shuffled;
    psbt_init(&merged);
    psbt_init(&shuffled);
    merged.tx.version = shuffled.tx.version = (int32_t)best_version;
    merged.tx.locktime = shuffled.tx.locktime = best_locktime;
    for (size_t k = 0; ok && k < count; k++) {
        const struct psbt *src = &all[k];
        for (size_t i = 0; ok && i < src->tx.vin_count; i++) {
            bool dup = false;
            if (!psbt_add_input(&merged, src, i, &dup)) {
                if (dup) {
                    char txid[65];
                    uint256_to_hex(txid, &src->tx.vin[i].prevout.hash);
                    ok = rpc_error_set(err, RPC_INVALID_PARAMETER,
                                       "Input %s:%" PRIu32 " exists in multiple PSBTs", txid,
                                       src->tx.vin[i].prevout.n);
                } else {
                    ok = out_of_memory(err);
                }
            }
        }
        for (size_t i = 0; ok && i < src->tx.vout_count; i++)
            if (!psbt_add_output(&merged, src, i)) ok = out_of_memory(err);
        if (ok && !psbt_merge_globals(&merged, src)) ok = out_of_memory(err);
    }
    /* Shuffle inputs and outputs so the join does not tell who brought what. */
    size_t nin = merged.tx.vin_count, nout = merged.tx.vout_count;
    size_t *order = ok ? malloc((nin + nout + 1) * sizeof *order) : NULL;
    if (ok && !order) ok = out_of_memory(err);
    if (ok) {
        for (size_t i = 0; i < nin; i++) order[i] = i;
        for (size_t i = 0; i < nout; i++) order[nin + i] = i;
        for (size_t i = nin; i > 1; i--) {
            size_t j = (size_t)random_range(i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = nout; i > 1; i--) {
            size_t j = (size_t)random_range(i), t = order[nin + i - 1];
            order[nin + i - 1] = order[nin + j];
            order[nin + j] = t;
        }
        bool dup;
        for (size_t i = 0; ok && i < nin; i++)
            if (!psbt_add_input(&shuffled, &merged, order[i], &dup)) ok = out_of_memory(err);
        for (size_t i = 0; ok && i < nout; i++)
            if (!psbt_add_output(&shuffled, &merged, order[nin + i])) ok = out_of_memory(err);
        /* Core carries the unknown global pairs over, not the xpubs. */
        if (ok && !psbt_merge_unknown(&shuffled, &merged)) ok = out_of_memory(err);
    }
    free(order);
    ok = ok && psbt_result(&shuffled, result, err);
    psbt_clear(&shuffled);
    psbt_clear(&merged);
    for (size_t k = 0; k < decoded; k++) psbt_clear(&all[k]);
    free(all);
    return ok;
}

/* ---- utxoupdatepsbt ---- */

static bool is_segwit_output(const struct psbt_input *in, const struct tx_out *o)
{
    int version;
    const uint8_t *prog;
    size_t prog_len;
    if (script_is_witness_program(o->script_pubkey, o->script_pubkey_len, &version, &prog,
                                  &prog_len))
        return true;
    if (script_is_p2sh(o->script_pubkey, o->script_pubkey_len) && in->redeem_script.len) {
        uint8_t h[20];
        hash160(in->redeem_script.data, in->redeem_script.len, h);
        return memcmp(h, o->script_pubkey + 2, 20) == 0 &&
               script_is_witness_program(in->redeem_script.data, in->redeem_script.len,
                                         &version, &prog, &prog_len);
    }
    return false;
}

static bool rpc_utxoupdatepsbt(void *vctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    struct psbt_rpc_ctx *ctx = vctx;
    struct psbt p;
    if (!decode_psbt(&p, json_array_get(params, 0), err)) return false;
    const json_t *descs = param(params, 1);
    if (descs && json_array_size(descs) > 0) {
        psbt_clear(&p);
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "descriptors are not supported by this node's utxoupdatepsbt yet");
    }
    struct node_context *n = ctx->node;
    if (!n) {
        psbt_clear(&p);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    pthread_mutex_lock(&n->lock);
    if (!n->chainstate) {
        pthread_mutex_unlock(&n->lock);
        psbt_clear(&p);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    struct coins_cache *coins = chainstate_coins(n->chainstate);
    bool ok = true;
    for (size_t i = 0; ok && i < p.tx.vin_count; i++) {
        struct psbt_input *in = &p.inputs[i];
        if (in->non_witness_utxo || in->has_witness_utxo) continue;
        const struct outpoint *op = &p.tx.vin[i].prevout;
        struct coin c;
        coin_init(&c);
        bool found;
        if (n->mempool) {
            found = mempool_view_get_coin(n->mempool, coins, op, &c);
        } else {
            const struct coin *cc = coins_cache_get(coins, op);
            found = cc && coin_copy(&c, cc);
        }
        if (found && is_segwit_output(in, &c.out)) ok = psbt_input_set_witness_utxo(in, &c.out);
        coin_clear(&c);
    }
    pthread_mutex_unlock(&n->lock);
    if (ok) psbt_remove_unnecessary_transactions(&p);
    ok = ok ? psbt_result(&p, result, err) : out_of_memory(err);
    psbt_clear(&p);
    return ok;
}

/* ---- table ---- */

#define EXAMPLE_PREFIX                                                                         \
    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
#define EXAMPLE_SUFFIX "' -H 'content-type: application/json' http://127.0.0.1:8337/"

static const struct rpc_method psbt_methods[] = {
    {"analyzepsbt",
     "rawtransactions",
     rpc_analyzepsbt,
     {{"psbt", RPC_ARG_STR, false}},
     "analyzepsbt \"psbt\"\n"
     "\n"
     "Analyzes and provides information about the current status of a PSBT and its inputs\n"
     "\n"
     "Arguments:\n"
     "1. psbt    (string, required) A base64 string of a PSBT\n"
     "\n"
     "Result:\n"
     "{                                   (json object)\n"
     "  \"inputs\" : [                      (json array, optional)\n"
     "    {                               (json object)\n"
     "      \"has_utxo\" : true|false,      (boolean) Whether a UTXO is provided\n"
     "      \"is_final\" : true|false,      (boolean) Whether the input is finalized\n"
     "      \"missing\" : {                 (json object, optional) Things that are missing "
     "that are required to complete this input\n"
     "        \"pubkeys\" : [ \"hex\", ... ],   (json array, optional) Public key ID, hash160 "
     "of the public key, of a public key whose BIP 32 derivation path is missing\n"
     "        \"signatures\" : [ \"hex\", ... ], (json array, optional) Public key ID, hash160 "
     "of the public key, of a public key whose signature is missing\n"
     "        \"redeemscript\" : \"hex\",     (string, optional) Hash160 of the redeem script "
     "that is missing\n"
     "        \"witnessscript\" : \"hex\"     (string, optional) SHA256 of the witness script "
     "that is missing\n"
     "      },\n"
     "      \"next\" : \"str\"              (string, optional) Role of the next person that "
     "this input needs to go to\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"estimated_vsize\" : n,          (numeric, optional) Estimated vsize of the final "
     "signed transaction\n"
     "  \"estimated_feerate\" : n,        (numeric, optional) Estimated feerate of the final "
     "signed transaction in IOP/kvB. Shown only if all UTXO slots in the PSBT have been "
     "filled\n"
     "  \"fee\" : n,                      (numeric, optional) The transaction fee paid. "
     "Shown only if all UTXO slots in the PSBT have been filled\n"
     "  \"next\" : \"str\",                 (string) Role of the next person that this psbt "
     "needs to go to\n"
     "  \"error\" : \"str\"                 (string, optional) Error message (if there is "
     "one)\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli analyzepsbt \"psbt\"\n" EXAMPLE_PREFIX
     "\"method\": \"analyzepsbt\", \"params\": [\"psbt\"]}" EXAMPLE_SUFFIX},
    {"combinepsbt",
     "rawtransactions",
     rpc_combinepsbt,
     {{"txs", RPC_ARG_ARR, false}},
     "combinepsbt [\"psbt\",...]\n"
     "\n"
     "Combine multiple partially signed transactions into one transaction.\n"
     "Implements the Combiner role.\n"
     "\n"
     "Arguments:\n"
     "1. txs            (json array, required) The base64 strings of partially signed "
     "transactions\n"
     "     [\n"
     "       \"psbt\",    (string) A base64 string of a PSBT\n"
     "       ...\n"
     "     ]\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The base64-encoded partially signed transaction\n"
     "\n"
     "Examples:\n"
     "> iop-cli combinepsbt '[\"mybase64_1\", \"mybase64_2\", \"mybase64_3\"]'\n" EXAMPLE_PREFIX
     "\"method\": \"combinepsbt\", \"params\": [[\"mybase64_1\", "
     "\"mybase64_2\"]]}" EXAMPLE_SUFFIX},
    {"converttopsbt",
     "rawtransactions",
     rpc_converttopsbt,
     {{"hexstring", RPC_ARG_STR, false},
      {"permitsigdata", RPC_ARG_BOOL, true},
      {"iswitness", RPC_ARG_BOOL, true}},
     "converttopsbt \"hexstring\" ( permitsigdata iswitness )\n"
     "\n"
     "Converts a network serialized transaction to a PSBT. This should be used only with "
     "createrawtransaction and fundrawtransaction\n"
     "createpsbt and walletcreatefundedpsbt should be used for new applications.\n"
     "\n"
     "Arguments:\n"
     "1. hexstring        (string, required) The hex string of a raw transaction\n"
     "2. permitsigdata    (boolean, optional, default=false) If true, any signatures in the "
     "input will be discarded and conversion will continue. If false, RPC will fail if any "
     "signatures are present.\n"
     "3. iswitness        (boolean, optional, default=depends on heuristic tests) Whether the "
     "transaction hex is a serialized witness transaction.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The resulting raw transaction (base64-encoded string)\n"
     "\n"
     "Examples:\n"
     "> iop-cli converttopsbt \"rawtransaction\"\n" EXAMPLE_PREFIX
     "\"method\": \"converttopsbt\", \"params\": [\"rawtransaction\"]}" EXAMPLE_SUFFIX},
    {"createpsbt",
     "rawtransactions",
     rpc_createpsbt,
     {{"inputs", RPC_ARG_ARR, false},
      {"outputs", RPC_ARG_ANY, false},
      {"locktime", RPC_ARG_NUM, true},
      {"replaceable", RPC_ARG_BOOL, true}},
     "createpsbt [{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...] "
     "[{\"address\":amount,...},{\"data\":\"hex\"},...] ( locktime replaceable )\n"
     "\n"
     "Creates a transaction in the Partially Signed Transaction format.\n"
     "Implements the Creator role.\n"
     "Note that the transaction's inputs are not signed, and\n"
     "it is not stored in the wallet or transmitted to the network.\n"
     "\n"
     "Arguments:\n"
     "1. inputs                      (json array, required) The inputs, as in "
     "createrawtransaction\n"
     "2. outputs                     (json array, required) The outputs specified as "
     "key-value pairs, as in createrawtransaction\n"
     "3. locktime                    (numeric, optional, default=0) Raw locktime. Non-0 value "
     "also locktime-activates inputs\n"
     "4. replaceable                 (boolean, optional, default=true) Marks this transaction "
     "as BIP125-replaceable.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The resulting raw transaction (base64-encoded string)\n"
     "\n"
     "Examples:\n"
     "> iop-cli createpsbt \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" "
     "\"[{\\\"data\\\":\\\"00010203\\\"}]\"\n" EXAMPLE_PREFIX
     "\"method\": \"createpsbt\", \"params\": [[{\"txid\":\"myid\",\"vout\":0}], "
     "[{\"data\":\"00010203\"}]]}" EXAMPLE_SUFFIX},
    {"decodepsbt",
     "rawtransactions",
     rpc_decodepsbt,
     {{"psbt", RPC_ARG_STR, false}},
     "decodepsbt \"psbt\"\n"
     "\n"
     "Return a JSON object representing the serialized, base64-encoded partially signed "
     "transaction.\n"
     "\n"
     "Arguments:\n"
     "1. psbt    (string, required) The PSBT base64 string\n"
     "\n"
     "Result:\n"
     "{                          (json object)\n"
     "  \"tx\" : {...},            (json object) The decoded network-serialized unsigned "
     "transaction, as decoderawtransaction shows it\n"
     "  \"global_xpubs\" : [...],  (json array) xpub, master_fingerprint, path\n"
     "  \"psbt_version\" : n,      (numeric) The PSBT version number\n"
     "  \"proprietary\" : [...],   (json array) identifier, subtype, key, value\n"
     "  \"unknown\" : {...},       (json object) The unknown global fields\n"
     "  \"inputs\" : [...],        (json array) non_witness_utxo, witness_utxo, "
     "partial_signatures, sighash, redeem_script, witness_script, bip32_derivs, "
     "final_scriptSig, final_scriptwitness, ripemd160_preimages, sha256_preimages, "
     "hash160_preimages, hash256_preimages, taproot_key_path_sig, "
     "taproot_script_path_sigs, taproot_scripts, taproot_bip32_derivs, "
     "taproot_internal_key, taproot_merkle_root, proprietary, unknown\n"
     "  \"outputs\" : [...],       (json array) redeem_script, witness_script, "
     "bip32_derivs, taproot_internal_key, taproot_tree, taproot_bip32_derivs, proprietary, "
     "unknown\n"
     "  \"fee\" : n                (numeric, optional) The transaction fee paid if all UTXOs "
     "slots in the PSBT have been filled.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli decodepsbt \"psbt\"\n" EXAMPLE_PREFIX
     "\"method\": \"decodepsbt\", \"params\": [\"psbt\"]}" EXAMPLE_SUFFIX},
    {"finalizepsbt",
     "rawtransactions",
     rpc_finalizepsbt,
     {{"psbt", RPC_ARG_STR, false}, {"extract", RPC_ARG_BOOL, true}},
     "finalizepsbt \"psbt\" ( extract )\n"
     "\n"
     "Finalize the inputs of a PSBT. If the transaction is fully signed, it will produce a\n"
     "network serialized transaction which can be broadcast with sendrawtransaction. "
     "Otherwise a PSBT will be\n"
     "created which has the final_scriptSig and final_scriptwitness fields filled for inputs "
     "that are complete.\n"
     "Implements the Finalizer and Extractor roles.\n"
     "\n"
     "Arguments:\n"
     "1. psbt       (string, required) A base64 string of a PSBT\n"
     "2. extract    (boolean, optional, default=true) If true and the transaction is "
     "complete,\n"
     "              extract and return the complete transaction in normal network "
     "serialization instead of the PSBT.\n"
     "\n"
     "Result:\n"
     "{                             (json object)\n"
     "  \"psbt\" : \"str\",             (string, optional) The base64-encoded partially "
     "signed transaction if not extracted\n"
     "  \"hex\" : \"hex\",              (string, optional) The hex-encoded network "
     "transaction if extracted\n"
     "  \"complete\" : true|false     (boolean) If the transaction has a complete set of "
     "signatures\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli finalizepsbt \"psbt\"\n" EXAMPLE_PREFIX
     "\"method\": \"finalizepsbt\", \"params\": [\"psbt\"]}" EXAMPLE_SUFFIX},
    {"joinpsbts",
     "rawtransactions",
     rpc_joinpsbts,
     {{"txs", RPC_ARG_ARR, false}},
     "joinpsbts [\"psbt\",...]\n"
     "\n"
     "Joins multiple distinct PSBTs with different inputs and outputs into one PSBT with "
     "inputs and outputs from all of the PSBTs\n"
     "No input in any of the PSBTs can be in more than one of the PSBTs.\n"
     "\n"
     "Arguments:\n"
     "1. txs            (json array, required) The base64 strings of partially signed "
     "transactions\n"
     "     [\n"
     "       \"psbt\",    (string, required) A base64 string of a PSBT\n"
     "       ...\n"
     "     ]\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The base64-encoded partially signed transaction\n"
     "\n"
     "Examples:\n"
     "> iop-cli joinpsbts \"psbt\"\n" EXAMPLE_PREFIX
     "\"method\": \"joinpsbts\", \"params\": [\"psbt\"]}" EXAMPLE_SUFFIX},
    {"utxoupdatepsbt",
     "rawtransactions",
     rpc_utxoupdatepsbt,
     {{"psbt", RPC_ARG_STR, false}, {"descriptors", RPC_ARG_ARR, true}},
     "utxoupdatepsbt \"psbt\" ( [\"\",{\"desc\":\"str\",\"range\":n or [n,n]},...] )\n"
     "\n"
     "Updates all segwit inputs and outputs in a PSBT with data from output descriptors, the "
     "UTXO set or the mempool.\n"
     "\n"
     "Arguments:\n"
     "1. psbt                          (string, required) A base64 string of a PSBT\n"
     "2. descriptors                   (json array, optional) An array of either strings or "
     "objects (not supported yet: must be empty)\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The base64-encoded partially signed transaction with inputs "
     "updated\n"
     "\n"
     "Examples:\n"
     "> iop-cli utxoupdatepsbt \"psbt\"\n" EXAMPLE_PREFIX
     "\"method\": \"utxoupdatepsbt\", \"params\": [\"psbt\"]}" EXAMPLE_SUFFIX},
};

struct rpc_table psbt_rpc_table(struct psbt_rpc_ctx *ctx)
{
    return (struct rpc_table){psbt_methods, sizeof psbt_methods / sizeof psbt_methods[0], ctx};
}
