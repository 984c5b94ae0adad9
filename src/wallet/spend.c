/* Sending (see spend.h for the contract).
 *
 * spend_create works in three steps: gather candidates (preset inputs and available
 * coins, each with its input weight and fees at the effective and long-term rates),
 * select with coinselection.c, then lay the transaction out (inputs shuffled, outputs in
 * request order with the change inserted), measure it with dummy signatures, settle the
 * fee, and sign. The dummy-signature transaction is the same object as the final one:
 * signing only replaces scriptSigs and witnesses, so the measured weight is an upper
 * bound of the final one. */
#include "wallet/spend.h"

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/fees.h"
#include "chain/mempool.h"
#include "chain/policy.h"
#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "util/log.h"
#include "util/random.h"
#include "wallet/coinselection.h"

/* Sizes with maximum signatures (Core's dummy signer: 72-byte DER + hash type). */
#define ECDSA_DUMMY_LEN 72
#define SCHNORR_LEN     64
/* Core's MAX_STANDARD_TX_WEIGHT budget for inputs: the whole limit minus the rest. */

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

void spend_options_default(struct spend_options *o)
{
    memset(o, 0, sizeof *o);
    o->fallback_fee = SPEND_DEFAULT_FALLBACK_FEE;
    o->pay_tx_fee = 0;
    o->max_tx_fee = SPEND_DEFAULT_MAX_TX_FEE;
    o->discard_fee = SPEND_DEFAULT_DISCARD_FEE;
    o->min_tx_fee = SPEND_DEFAULT_MIN_TX_FEE;
    o->consolidate_fee = SPEND_DEFAULT_CONSOLIDATE_FEE;
    o->confirm_target = SPEND_DEFAULT_CONFIRM_TARGET;
    o->signal_rbf = true;
    o->spend_zero_conf_change = true;
    o->broadcast = true;
    o->change_type = -1;
    o->fee_estimator = NULL;
}

const char *spend_fee_reason_name(enum spend_fee_reason r)
{
    switch (r) {
    case SPEND_FEE_ESTIMATE: return "Target 85% Threshold";
    case SPEND_FEE_MEMPOOL_MIN: return "Mempool Min Fee";
    case SPEND_FEE_PAYTXFEE: return "PayTxFee set";
    case SPEND_FEE_FALLBACK: return "Fallback fee";
    case SPEND_FEE_REQUIRED: return "Minimum Required Fee";
    case SPEND_FEE_NONE: break;
    }
    return "None";
}

void spend_result_clear(struct spend_result *r)
{
    if (!r) return;
    tx_clear(&r->tx);
    memset(r, 0, sizeof *r);
    r->change_pos = -1;
}

int64_t spend_input_weight(enum wallet_addr_type t)
{
    /* outpoint 36 + scriptSig length + sequence 4 = 41 bytes before the scriptSig. */
    switch (t) {
    case WALLET_ADDR_LEGACY: /* scriptSig: push sig, push 33-byte key; empty witness */
        return (41 + 1 + ECDSA_DUMMY_LEN + 1 + 33) * 4 + 1;
    case WALLET_ADDR_BECH32: /* witness: 2 items, sig and key */
        return 41 * 4 + 1 + 1 + ECDSA_DUMMY_LEN + 1 + 33;
    case WALLET_ADDR_BECH32M: /* witness: one 64-byte signature */
        return 41 * 4 + 1 + 1 + SCHNORR_LEN;
    }
    return 0;
}

static int64_t vsize_of_weight(int64_t weight) { return (weight + 3) / 4; }

static int64_t output_size(size_t script_len)
{
    return 8 + (int64_t)compact_size_len(script_len) + (int64_t)script_len;
}

/* Sat/kvB as Core prints sat/vB ("%.3f sat/vB"). */
static void fmt_rate(char *out, size_t cap, int64_t sat_per_kvb)
{
    snprintf(out, cap, "%lld.%03lld sat/vB", (long long)(sat_per_kvb / 1000),
             (long long)(sat_per_kvb % 1000));
}

/* ---- fee rate (Core's GetMinimumFeeRate) ---- */

static enum spend_error fee_rate_for(struct wallet *w, struct node_context *node,
                                     const struct spend_options *opt, bool has_rate,
                                     int64_t rate_in, int conf_target,
                                     enum spend_estimate_mode mode, bool rbf, int64_t *rate,
                                     enum spend_fee_reason *reason, char *err, size_t errlen)
{
    int64_t required = opt->min_tx_fee > node->policy.min_relay_fee
                           ? opt->min_tx_fee
                           : node->policy.min_relay_fee;
    if (has_rate) {
        *rate = rate_in;
        *reason = SPEND_FEE_PAYTXFEE;
        if (rate_in < required) {
            char a[40], b[40];
            fmt_rate(a, sizeof a, rate_in);
            fmt_rate(b, sizeof b, required);
            set_err(err, errlen,
                    "Fee rate (%s) is lower than the minimum fee rate setting (%s)", a, b);
            return SPEND_ERR_CREATE;
        }
        return SPEND_OK;
    }
    int64_t pay = wallet_pay_tx_fee(w) >= 0 ? wallet_pay_tx_fee(w) : opt->pay_tx_fee;
    if (!conf_target && pay > 0) {
        *rate = pay;
        *reason = SPEND_FEE_PAYTXFEE;
    } else {
        int target = conf_target ? conf_target : opt->confirm_target;
        bool conservative = !rbf;
        if (mode == SPEND_MODE_CONSERVATIVE) conservative = true;
        if (mode == SPEND_MODE_ECONOMICAL) conservative = false;
        int64_t est = opt->fee_estimator
                          ? fees_estimate_smart(opt->fee_estimator, target, conservative, NULL)
                          : 0;
        *reason = SPEND_FEE_ESTIMATE;
        if (est <= 0) {
            if (opt->fallback_fee <= 0) {
                set_err(err, errlen,
                        "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or "
                        "enable -fallbackfee.");
                return SPEND_ERR_CREATE;
            }
            est = opt->fallback_fee;
            *reason = SPEND_FEE_FALLBACK;
        }
        int64_t pool_min = mempool_min_fee(node->mempool, node->now());
        if (est < pool_min) {
            est = pool_min;
            *reason = SPEND_FEE_MEMPOOL_MIN;
        }
        *rate = est;
    }
    if (*rate < required) {
        *rate = required;
        *reason = SPEND_FEE_REQUIRED;
    }
    return SPEND_OK;
}

/* ---- candidates ---- */

struct cand {
    uint256 txid;
    uint32_t n;
    int64_t value;
    const uint8_t *script; /* borrowed from the wallet transaction */
    size_t script_len;
    enum wallet_addr_type type;
    int depth;
    bool safe;
    bool preset;
};

/* Core's TransactionChangeType for our descriptors. */
static enum wallet_addr_type change_type_for(const struct spend_request *req)
{
    bool tr = false, wpkh = false, pkh = false;
    for (size_t i = 0; i < req->nrecipients; i++) {
        struct script_solution sol;
        switch (policy_solve(req->recipients[i].script, req->recipients[i].script_len, &sol)) {
        case TXOUT_WITNESS_V1_TAPROOT: tr = true; break;
        case TXOUT_WITNESS_V0_KEYHASH: wpkh = true; break;
        case TXOUT_PUBKEYHASH: pkh = true; break;
        default: break;
        }
    }
    if (tr) return WALLET_ADDR_BECH32M;
    if (wpkh) return WALLET_ADDR_BECH32;
    if (pkh) return WALLET_ADDR_LEGACY;
    return WALLET_ADDR_BECH32M;
}

/* Fills *c for preset input op: an output of a wallet transaction paying one of the
 * wallet's scripts (whether it is still unspent is the mempool's to judge: bumpfee
 * presets the inputs of the transaction it replaces). */
static bool cand_from(struct wallet *w, const struct outpoint *op, struct cand *c)
{
    const struct wallet_tx *t = wallet_find_tx(w, &op->hash);
    if (!t || op->n >= t->tx.vout_count || !wallet_output_is_mine(w, t, op->n)) return false;
    const struct tx_out *o = &t->tx.vout[op->n];
    struct wallet_script_info info;
    if (!wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info) ||
        (info.imported && !info.signable))
        return false;
    c->txid = t->txid;
    c->n = op->n;
    c->value = o->value;
    c->script = o->script_pubkey;
    c->script_len = o->script_pubkey_len;
    c->type = info.type;
    c->depth = wallet_tx_depth(w, t);
    c->safe = wallet_tx_is_trusted(w, t);
    c->preset = true;
    return true;
}

/* ---- building ---- */

static bool set_bytes(uint8_t **dst, size_t *dlen, const uint8_t *src, size_t len)
{
    uint8_t *b = malloc(len ? len : 1);
    if (!b) return false;
    if (len) memcpy(b, src, len);
    free(*dst);
    *dst = b;
    *dlen = len;
    return true;
}

/* Gives input i dummy signatures of maximum size for its type. */
static bool dummy_sign(struct tx_in *in, enum wallet_addr_type t)
{
    uint8_t buf[1 + ECDSA_DUMMY_LEN + 1 + 33];
    memset(buf, 0, sizeof buf);
    for (size_t k = 0; k < in->witness_count; k++) free(in->witness[k].data);
    free(in->witness);
    in->witness = NULL;
    in->witness_count = 0;
    if (t == WALLET_ADDR_LEGACY) {
        buf[0] = ECDSA_DUMMY_LEN;
        buf[1 + ECDSA_DUMMY_LEN] = 33;
        return set_bytes(&in->script_sig, &in->script_sig_len, buf, sizeof buf);
    }
    free(in->script_sig);
    in->script_sig = NULL;
    in->script_sig_len = 0;
    size_t items = t == WALLET_ADDR_BECH32 ? 2 : 1;
    in->witness = calloc(items, sizeof *in->witness);
    if (!in->witness) return false;
    in->witness_count = items;
    if (t == WALLET_ADDR_BECH32)
        return set_bytes(&in->witness[0].data, &in->witness[0].len, buf, ECDSA_DUMMY_LEN) &&
               set_bytes(&in->witness[1].data, &in->witness[1].len, buf, 33);
    return set_bytes(&in->witness[0].data, &in->witness[0].len, buf, SCHNORR_LEN);
}

static bool add_output(struct tx *tx, const uint8_t *script, size_t len, int64_t value)
{
    struct tx_out *v = realloc(tx->vout, (tx->vout_count + 1) * sizeof *v);
    if (!v) return false;
    tx->vout = v;
    struct tx_out *o = &v[tx->vout_count];
    memset(o, 0, sizeof *o);
    if (!set_bytes(&o->script_pubkey, &o->script_pubkey_len, script, len)) return false;
    o->value = value;
    tx->vout_count++;
    return true;
}

/* ---- signing ---- */

/* ECDSA over hash with a low R (Core grinds the nonce with a counter as extra data), DER
 * plus the hash type into sig (at most 73 bytes); returns its length, 0 on failure. */
static size_t sign_ecdsa(const secp256k1_context *ctx, const uint8_t seckey[32],
                         const uint8_t hash[32], uint8_t sig[73])
{
    secp256k1_ecdsa_signature s;
    uint8_t extra[32];
    memset(extra, 0, sizeof extra);
    uint8_t compact[64];
    for (uint32_t counter = 0; counter < 1000; counter++) {
        le32_write(extra, counter);
        if (!secp256k1_ecdsa_sign(ctx, &s, hash, seckey, NULL, counter ? extra : NULL))
            return 0;
        secp256k1_ecdsa_signature_serialize_compact(ctx, compact, &s);
        if (compact[0] < 0x80) break;
    }
    size_t len = 72;
    if (!secp256k1_ecdsa_signature_serialize_der(ctx, sig, &len, &s)) return 0;
    sig[len++] = SIGHASH_ALL;
    return len;
}

static bool push_data(uint8_t *out, size_t *pos, const uint8_t *d, size_t len)
{
    if (len > 75) return false;
    out[(*pos)++] = (uint8_t)len;
    memcpy(out + *pos, d, len);
    *pos += len;
    return true;
}

/* Signs every input of tx (spent[i] is the output input i spends). */
static enum spend_error sign_tx(struct wallet *w, struct tx *tx, const struct tx_out *spent,
                                char *err, size_t errlen)
{
    struct wallet_signing_keys *keys;
    bool locked;
    if (!wallet_signing_keys_open(w, &keys, &locked, err, errlen))
        return locked ? SPEND_ERR_UNLOCK_NEEDED : SPEND_ERR_FAILED;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t rnd[32];
    if (!ctx || !random_bytes(rnd, sizeof rnd) || !secp256k1_context_randomize(ctx, rnd)) {
        if (ctx) secp256k1_context_destroy(ctx);
        wallet_signing_keys_free(keys);
        set_err(err, errlen, "cannot set up signing");
        return SPEND_ERR_FAILED;
    }
    struct sighash_precomputed pre;
    sighash_precompute(&pre, tx, spent);
    enum spend_error rc = SPEND_OK;
    uint8_t seckey[32];
    for (size_t i = 0; i < tx->vin_count && rc == SPEND_OK; i++) {
        uint8_t pub[33];
        enum wallet_addr_type type;
        if (!wallet_signing_key(keys, spent[i].script_pubkey, spent[i].script_pubkey_len,
                                seckey, pub, &type, err, errlen)) {
            rc = wallet_is_locked(w) ? SPEND_ERR_UNLOCK_NEEDED : SPEND_ERR_FAILED;
            break;
        }
        struct tx_in *in = &tx->vin[i];
        uint256 h;
        uint8_t sig[73];
        size_t siglen = 0;
        bool ok = true;
        if (type == WALLET_ADDR_LEGACY) {
            sighash_legacy(&h, spent[i].script_pubkey, spent[i].script_pubkey_len, tx, i,
                           SIGHASH_ALL);
            siglen = sign_ecdsa(ctx, seckey, h.b, sig);
            uint8_t ss[1 + 73 + 1 + 33];
            size_t pos = 0;
            ok = siglen && push_data(ss, &pos, sig, siglen) && push_data(ss, &pos, pub, 33) &&
                 set_bytes(&in->script_sig, &in->script_sig_len, ss, pos);
        } else if (type == WALLET_ADDR_BECH32) {
            uint8_t code[25] = {0x76, 0xa9, 20};
            hash160(pub, 33, code + 3);
            code[23] = 0x88;
            code[24] = 0xac;
            sighash_witness_v0(&h, code, sizeof code, tx, i, SIGHASH_ALL, spent[i].value, &pre);
            siglen = sign_ecdsa(ctx, seckey, h.b, sig);
            ok = siglen && in->witness_count == 2 &&
                 set_bytes(&in->witness[0].data, &in->witness[0].len, sig, siglen) &&
                 set_bytes(&in->witness[1].data, &in->witness[1].len, pub, 33);
        } else {
            struct script_exec_data ed;
            memset(&ed, 0, sizeof ed);
            ed.annex_init = true;
            ed.annex_present = false;
            uint8_t tweak[32], aux[32];
            secp256k1_keypair kp;
            ok = sighash_taproot(&h, tx, i, SIGHASH_DEFAULT, SIGVERSION_TAPROOT, &ed, &pre);
            tagged_hash("TapTweak", pub + 1, 32, tweak);
            ok = ok && random_bytes(aux, sizeof aux) &&
                 secp256k1_keypair_create(ctx, &kp, seckey) &&
                 secp256k1_keypair_xonly_tweak_add(ctx, &kp, tweak) &&
                 secp256k1_schnorrsig_sign32(ctx, sig, h.b, &kp, aux);
            OPENSSL_cleanse(&kp, sizeof kp);
            ok = ok && in->witness_count == 1 &&
                 set_bytes(&in->witness[0].data, &in->witness[0].len, sig, SCHNORR_LEN);
        }
        OPENSSL_cleanse(seckey, sizeof seckey);
        if (!ok) {
            set_err(err, errlen, "Signing transaction failed");
            rc = SPEND_ERR_FAILED;
        }
    }
    OPENSSL_cleanse(seckey, sizeof seckey);
    secp256k1_context_destroy(ctx);
    wallet_signing_keys_free(keys);
    if (rc != SPEND_OK) return rc;
    /* Check every input as the mempool will. */
    sighash_precompute(&pre, tx, spent);
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct script_checker chk = {tx, i, spent[i].value, &pre};
        enum script_error se;
        const struct tx_in *in = &tx->vin[i];
        if (!script_verify(in->script_sig, in->script_sig_len, spent[i].script_pubkey,
                           spent[i].script_pubkey_len, in->witness, in->witness_count,
                           STANDARD_SCRIPT_VERIFY_FLAGS, &chk, &se)) {
            set_err(err, errlen, "Signing transaction failed");
            return SPEND_ERR_FAILED;
        }
    }
    return SPEND_OK;
}

/* ---- creating ---- */

static int cmp_cand_value_desc(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return x->value > y->value ? -1 : x->value < y->value;
}

/* Available coins for selection (not preset, not locked, eligible at tier: 0 confirmed
 * only, 1 also trusted unconfirmed). */
static bool coin_eligible(struct wallet *w, const struct wallet_coin *k,
                          const struct spend_request *req, int tier)
{
    if (wallet_is_locked_coin(w, &k->wtx->txid, k->vout)) return false;
    if (req->avoid_reuse && k->reused) return false;
    if (k->depth < 0) return false;
    if (req->minconf > 0 && k->depth < req->minconf) return false;
    if (k->depth == 0) return tier >= 1 && k->safe;
    return true;
}

enum spend_error spend_create(struct wallet *w, struct node_context *node,
                              const struct spend_options *opt, const struct spend_request *req,
                              struct spend_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    tx_init(&out->tx);
    out->change_pos = -1;
    if (!req->no_sign && (!wallet_has_private_keys(w) || wallet_is_blank(w))) {
        set_err(err, errlen, "Error: Private keys are disabled for this wallet");
        return SPEND_ERR_FAILED; /* -4, as Core */
    }
    if (!req->no_sign && wallet_is_locked(w)) {
        set_err(err, errlen,
                "Error: Please enter the wallet passphrase with walletpassphrase first.");
        return SPEND_ERR_UNLOCK_NEEDED;
    }
    if (req->nrecipients == 0) {
        set_err(err, errlen, "Transaction must have at least one recipient");
        return SPEND_ERR_CREATE;
    }
    int64_t recipients_sum = 0;
    size_t nsffo = 0;
    for (size_t i = 0; i < req->nrecipients; i++) {
        const struct spend_recipient *r = &req->recipients[i];
        if (r->amount < 0 || recipients_sum > MAX_MONEY - r->amount) {
            set_err(err, errlen, "Transaction amounts must not be negative");
            return SPEND_ERR_CREATE;
        }
        recipients_sum += r->amount;
        if (r->subtract_fee) nsffo++;
        struct tx_out o = {r->amount, (uint8_t *)r->script, r->script_len};
        if (!r->subtract_fee && policy_is_dust(&o, node->policy.dust_relay_fee)) {
            set_err(err, errlen, "Transaction amount too small");
            return SPEND_ERR_CREATE;
        }
    }
    bool rbf = req->replaceable < 0 ? (req->has_fee_rate ? true : opt->signal_rbf)
                                    : req->replaceable != 0;
    int64_t rate;
    enum spend_fee_reason reason;
    enum spend_error rc =
        fee_rate_for(w, node, opt, req->has_fee_rate, req->fee_rate, req->conf_target,
                     req->estimate_mode, rbf, &rate, &reason, err, errlen);
    if (rc != SPEND_OK) return rc;

    /* Change. */
    uint8_t change_script[ADDRESS_MAX_SCRIPT_LEN];
    size_t change_len = 0;
    enum wallet_addr_type ctype =
        req->change_type >= 0   ? (enum wallet_addr_type)req->change_type
        : opt->change_type >= 0 ? (enum wallet_addr_type)opt->change_type
                                : change_type_for(req);
    if (req->change_script) {
        if (req->change_script_len > sizeof change_script) {
            set_err(err, errlen, "Change address too long");
            return SPEND_ERR_CREATE;
        }
        memcpy(change_script, req->change_script, req->change_script_len);
        change_len = req->change_script_len;
        struct wallet_script_info info;
        if (wallet_script_info(w, change_script, change_len, &info)) ctype = info.type;
    }
    int64_t change_spend_vsize = vsize_of_weight(spend_input_weight(ctype));
    int64_t change_out_size = output_size(change_len                    ? change_len
                                          : ctype == WALLET_ADDR_LEGACY ? 25
                                          : ctype == WALLET_ADDR_BECH32 ? 22
                                                                        : 34);

    /* Candidates. */
    struct wallet_coin *coins = NULL;
    size_t ncoins = 0;
    if (!wallet_list_coins(w, false, &coins, &ncoins)) {
        set_err(err, errlen, "out of memory");
        return SPEND_ERR_FAILED;
    }
    struct cand *cands = calloc(ncoins + 1, sizeof *cands);
    struct cand *preset = calloc(req->ninputs + 1, sizeof *preset);
    struct coinsel_coin *cs = calloc(ncoins + 1, sizeof *cs);
    struct tx_out *spent = NULL;
    struct coinsel_result sel;
    memset(&sel, 0, sizeof sel);
    if (!cands || !preset || !cs) {
        set_err(err, errlen, "out of memory");
        rc = SPEND_ERR_FAILED;
        goto done;
    }
    for (size_t i = 0; i < req->ninputs; i++) {
        for (size_t j = 0; j < i; j++)
            if (preset[j].n == req->inputs[i].n &&
                uint256_cmp(&preset[j].txid, &req->inputs[i].hash) == 0) {
                set_err(err, errlen, "Invalid parameter, duplicated input");
                rc = SPEND_ERR_CREATE;
                goto done;
            }
        if (!cand_from(w, &req->inputs[i], &preset[i])) {
            char hex[65];
            uint256_to_hex(hex, &req->inputs[i].hash);
            set_err(err, errlen, "Not found pre-selected input %s:%u", hex, req->inputs[i].n);
            rc = SPEND_ERR_CREATE;
            goto done;
        }
    }

    /* What the outputs (without change) and the fixed parts cost, in vbytes: version,
     * locktime, input count, witness marker (Core's 10), output count and outputs. */
    int64_t noinputs = 10 + (int64_t)compact_size_len(req->nrecipients);
    for (size_t i = 0; i < req->nrecipients; i++)
        noinputs += output_size(req->recipients[i].script_len);
    bool sffo = nsffo > 0;
    int64_t not_input_fees = sffo ? 0 : feerate_get_fee(rate, noinputs);
    int64_t target = recipients_sum + not_input_fees;
    int64_t preset_eff = 0, preset_value = 0, preset_weight = 0;
    for (size_t i = 0; i < req->ninputs; i++) {
        int64_t wgt = spend_input_weight(preset[i].type);
        preset_eff += preset[i].value - feerate_get_fee(rate, vsize_of_weight(wgt));
        preset_value += preset[i].value;
        preset_weight += wgt;
    }
    struct coinsel_params p;
    memset(&p, 0, sizeof p);
    p.change_fee = feerate_get_fee(rate, change_out_size);
    p.cost_of_change = feerate_get_fee(opt->discard_fee, change_spend_vsize) + p.change_fee;
    {
        struct tx_out proto = {0, change_script, change_len ? change_len : 22};
        uint8_t fake[34] = {0x00, 20};
        if (!change_len) {
            proto.script_pubkey = fake;
            proto.script_pubkey_len = ctype == WALLET_ADDR_BECH32M ? 34 : 22;
            if (ctype == WALLET_ADDR_BECH32M) fake[0] = 0x51, fake[1] = 32;
        }
        int64_t dust = policy_dust_threshold(&proto, opt->discard_fee);
        int64_t spend_fee = feerate_get_fee(opt->discard_fee, change_spend_vsize);
        p.min_viable_change = spend_fee + 1 > dust ? spend_fee + 1 : dust;
    }
    p.subtract_fee_outputs = sffo;
    p.max_weight = MAX_STANDARD_TX_WEIGHT - noinputs * 4 - change_out_size * 4 - preset_weight;
    if (p.max_weight < 1) p.max_weight = 1; /* 0 would mean "no limit" */
    uint64_t seed;
    if (!random_bytes(&seed, sizeof seed)) seed = (uint64_t)node->now();
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, seed);
    p.min_change_target =
        coinsel_change_target(recipients_sum / (int64_t)req->nrecipients, p.change_fee, &rng);

    int64_t sel_value = preset_value, sel_eff = preset_eff;
    size_t ncand = 0;
    int64_t remaining = target - (sffo ? preset_value : preset_eff);
    if (remaining <= 0 || (req->ninputs && !req->add_inputs)) {
        if (remaining > 0) {
            set_err(err, errlen, "Insufficient funds");
            rc = SPEND_ERR_INSUFFICIENT_FUNDS;
            goto done;
        }
        /* The preset inputs pay for everything. */
        sel.use_effective = !sffo;
        sel.target = target;
        sel.value = preset_value;
        sel.effective_value = preset_eff;
        sel.change = coinsel_change(&sel, &p);
    } else {
        p.target = remaining;
        enum coinsel_status st = COINSEL_NO_SOLUTION;
        for (int tier = 0; tier < 2 && st != COINSEL_OK; tier++) {
            if (tier == 1 && !opt->spend_zero_conf_change) break;
            ncand = 0;
            for (size_t i = 0; i < ncoins; i++) {
                const struct wallet_coin *k = &coins[i];
                bool is_preset = false;
                for (size_t j = 0; j < req->ninputs && !is_preset; j++)
                    is_preset = preset[j].n == k->vout &&
                                uint256_cmp(&preset[j].txid, &k->wtx->txid) == 0;
                if (is_preset || !coin_eligible(w, k, req, tier)) continue;
                if (req->replacing && uint256_cmp(&k->wtx->txid, req->replacing) == 0) continue;
                const struct tx_out *o = &k->wtx->tx.vout[k->vout];
                struct wallet_script_info info;
                if (!wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info) ||
                    (info.imported && !info.signable)) /* watch-only imports */
                    continue;
                struct cand *c = &cands[ncand++];
                c->txid = k->wtx->txid;
                c->n = k->vout;
                c->value = k->value;
                c->script = o->script_pubkey;
                c->script_len = o->script_pubkey_len;
                c->type = info.type;
                c->depth = k->depth;
                c->safe = k->safe;
            }
            qsort(cands, ncand, sizeof *cands, cmp_cand_value_desc);
            for (size_t i = 0; i < ncand; i++) {
                int64_t wgt = spend_input_weight(cands[i].type);
                cs[i].value = cands[i].value;
                cs[i].fee = feerate_get_fee(rate, vsize_of_weight(wgt));
                cs[i].long_term_fee =
                    feerate_get_fee(opt->consolidate_fee, vsize_of_weight(wgt));
                cs[i].weight = wgt;
            }
            coinsel_result_clear(&sel);
            st = coinsel_select(cs, ncand, &p, &rng, &sel);
        }
        if (st == COINSEL_MAX_WEIGHT) {
            set_err(err, errlen,
                    "The inputs size exceeds the maximum weight. Please try sending a smaller "
                    "amount or manually consolidating your wallet's UTXOs");
            rc = SPEND_ERR_CREATE;
            goto done;
        }
        if (st != COINSEL_OK) {
            set_err(err, errlen,
                    st == COINSEL_OUT_OF_MEMORY ? "out of memory" : "Insufficient funds");
            rc = st == COINSEL_OUT_OF_MEMORY ? SPEND_ERR_FAILED : SPEND_ERR_INSUFFICIENT_FUNDS;
            goto done;
        }
        sel_value += sel.value;
        sel_eff += sel.effective_value;
        /* Change over the whole input set (preset ones included). */
        struct coinsel_result all = sel;
        all.value = sel_value;
        all.effective_value = sel_eff;
        all.target = target;
        sel.change = coinsel_change(&all, &p);
    }

    /* Lay the transaction out. */
    size_t nin = req->ninputs + sel.count;
    struct tx *tx = &out->tx;
    tx->version = 2;
    tx->vin = calloc(nin ? nin : 1, sizeof *tx->vin);
    spent = calloc(nin ? nin : 1, sizeof *spent);
    size_t *order = malloc((nin ? nin : 1) * sizeof *order);
    if (!tx->vin || !spent || !order) {
        free(order);
        set_err(err, errlen, "out of memory");
        rc = SPEND_ERR_FAILED;
        goto done;
    }
    for (size_t i = 0; i < nin; i++) order[i] = i;
    for (size_t i = nin; i > 1; i--) {
        size_t j = (size_t)coinsel_rng_range(&rng, i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    tx->vin_count = nin;
    struct cand **inputs_by_pos = malloc((nin ? nin : 1) * sizeof *inputs_by_pos);
    if (!inputs_by_pos) {
        free(order);
        set_err(err, errlen, "out of memory");
        rc = SPEND_ERR_FAILED;
        goto done;
    }
    for (size_t i = 0; i < nin; i++) {
        size_t k = order[i];
        inputs_by_pos[i] =
            k < req->ninputs ? &preset[k] : &cands[sel.selected[k - req->ninputs]];
    }
    free(order);
    for (size_t i = 0; i < nin; i++) {
        const struct cand *c = inputs_by_pos[i];
        struct tx_in *in = &tx->vin[i];
        in->prevout.hash = c->txid;
        in->prevout.n = c->n;
        in->sequence = rbf ? MAX_BIP125_RBF_SEQUENCE : MAX_BIP125_RBF_SEQUENCE + 1;
        spent[i].value = c->value;
        spent[i].script_pubkey = (uint8_t *)c->script;
        spent[i].script_pubkey_len = c->script_len;
        if (!dummy_sign(in, c->type)) {
            free(inputs_by_pos);
            set_err(err, errlen, "out of memory");
            rc = SPEND_ERR_FAILED;
            goto done;
        }
    }
    free(inputs_by_pos);
    if (req->has_locktime) {
        tx->locktime = req->locktime;
    } else {
        /* Core's DiscourageFeeSniping: the tip height, sometimes a little lower, while
         * the chain is current. */
        const struct block_index *tip = chainstate_tip(node->chainstate);
        uint32_t lt = 0;
        if (tip && !node_is_initial_block_download(node)) {
            lt = (uint32_t)tip->height;
            if (coinsel_rng_range(&rng, 10) == 0) {
                uint32_t back = (uint32_t)coinsel_rng_range(&rng, 100);
                lt = back < lt ? lt - back : 0;
            }
        }
        tx->locktime = lt;
    }
    if (sel.change > 0 && !change_len) {
        char addr[ADDRESS_MAX_LEN + 1], e2[256];
        if (!wallet_get_new_address(w, ctype, true, NULL, addr, e2, sizeof e2) ||
            address_decode(change_script, &change_len, NULL, &wallet_params(w)->addr, addr) !=
                ADDRESS_OK) {
            set_err(err, errlen,
                    "Transaction needs a change address, but we can't generate it.");
            rc = SPEND_ERR_CREATE;
            goto done;
        }
    }
    int change_pos = -1;
    if (sel.change > 0) {
        if (req->change_position >= 0) {
            if ((size_t)req->change_position > req->nrecipients) {
                set_err(err, errlen, "Transaction change output index out of range");
                rc = SPEND_ERR_CREATE;
                goto done;
            }
            change_pos = req->change_position;
        } else {
            change_pos = (int)coinsel_rng_range(&rng, req->nrecipients + 1);
        }
    }
    for (size_t i = 0, r = 0; i < req->nrecipients + (change_pos >= 0); i++) {
        bool ok;
        if ((int)i == change_pos)
            ok = add_output(tx, change_script, change_len, sel.change);
        else {
            ok = add_output(tx, req->recipients[r].script, req->recipients[r].script_len,
                            req->recipients[r].amount);
            r++;
        }
        if (!ok) {
            set_err(err, errlen, "out of memory");
            rc = SPEND_ERR_FAILED;
            goto done;
        }
    }

    /* Settle the fee on the measured size. */
    int64_t weight = (int64_t)tx_weight(tx);
    int64_t vsize = vsize_of_weight(weight);
    int64_t fee_needed = feerate_get_fee(rate, vsize);
    int64_t outsum = 0;
    for (size_t i = 0; i < tx->vout_count; i++) outsum += tx->vout[i].value;
    int64_t current = sel_value - outsum;
    if (change_pos >= 0 && fee_needed < current && !sffo) {
        tx->vout[change_pos].value += current - fee_needed;
        current = fee_needed;
    }
    if (sffo) {
        int64_t reduce = fee_needed - current;
        bool first = true;
        for (size_t i = 0, r = 0; i < tx->vout_count; i++) {
            if ((int)i == change_pos) continue;
            const struct spend_recipient *rc2 = &req->recipients[r++];
            if (!rc2->subtract_fee) continue;
            struct tx_out *o = &tx->vout[i];
            o->value -= reduce / (int64_t)nsffo;
            if (first) {
                first = false;
                o->value -= reduce % (int64_t)nsffo;
            }
            if (policy_is_dust(o, node->policy.dust_relay_fee)) {
                set_err(err, errlen,
                        o->value < 0 ? "The transaction amount is too small to pay the fee"
                                     : "The transaction amount is too small to send after the "
                                       "fee has been deducted");
                rc = SPEND_ERR_CREATE;
                goto done;
            }
        }
        outsum = 0;
        for (size_t i = 0; i < tx->vout_count; i++) outsum += tx->vout[i].value;
        current = sel_value - outsum;
    }
    if (fee_needed > current) {
        set_err(err, errlen, "Insufficient funds");
        rc = SPEND_ERR_INSUFFICIENT_FUNDS;
        goto done;
    }
    if (current > opt->max_tx_fee) {
        set_err(err, errlen,
                "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)");
        rc = SPEND_ERR_CREATE;
        goto done;
    }
    if (weight > MAX_STANDARD_TX_WEIGHT) {
        set_err(err, errlen, "Transaction too large");
        rc = SPEND_ERR_CREATE;
        goto done;
    }
    rc = req->no_sign ? SPEND_OK : sign_tx(w, tx, spent, err, errlen);
    if (rc == SPEND_ERR_UNLOCK_NEEDED)
        set_err(err, errlen,
                "Error: Please enter the wallet passphrase with walletpassphrase first.");
    if (rc != SPEND_OK) goto done;
    tx_txid(tx, &out->txid);
    out->fee = current;
    out->fee_rate = rate;
    out->change_pos = change_pos;
    out->fee_reason = reason;
done:
    coinsel_result_clear(&sel);
    free(coins);
    free(cands);
    free(preset);
    free(cs);
    free(spent);
    if (rc != SPEND_OK) {
        tx_clear(&out->tx);
        out->change_pos = -1;
    }
    return rc;
}

/* ---- committing ---- */

static void chain_tip(struct node_context *node, struct mempool_chain_tip *t)
{
    struct block_index *tip = chainstate_tip(node->chainstate);
    t->tip = tip;
    t->height = tip ? tip->height : -1;
    t->median_time_past = tip ? block_index_median_time_past(tip) : 0;
    t->now = node->now();
}

static void reject_message(char *err, size_t errlen, const struct mempool_accept_result *r)
{
    const char *reason = mempool_result_rpc_reason(r);
    if (r->debug[0])
        set_err(err, errlen, "%s, %s", reason ? reason : "", r->debug);
    else
        set_err(err, errlen, "%s", reason ? reason : "");
}

/* Submits tx (wallet lock released around it) and relays it. */
static bool submit(struct wallet *w, struct node_context *node, const struct tx *tx, char *err,
                   size_t errlen)
{
    struct mempool_chain_tip tip;
    chain_tip(node, &tip);
    struct mempool_accept_options ao;
    memset(&ao, 0, sizeof ao);
    struct mempool_accept_result res;
    memset(&res, 0, sizeof res);
    wallet_unlock(w);
    bool ok =
        mempool_accept(node->mempool, tx, &tip, chainstate_coins(node->chainstate), &ao, &res);
    wallet_lock(w);
    if (!ok) reject_message(err, errlen, &res);
    if (ok && node->relay_tx) node->relay_tx(node->relay_ctx, &res.txid, &res.wtxid);
    mempool_accept_result_clear(&res);
    return ok;
}

enum spend_error spend_commit(struct wallet *w, struct node_context *node,
                              const struct spend_options *opt, const struct tx *tx, char *err,
                              size_t errlen)
{
    if (opt->broadcast) {
        struct mempool_chain_tip tip;
        chain_tip(node, &tip);
        struct mempool_accept_options ao;
        memset(&ao, 0, sizeof ao);
        ao.test_accept = true;
        struct mempool_accept_result res;
        memset(&res, 0, sizeof res);
        bool ok = mempool_accept(node->mempool, tx, &tip, chainstate_coins(node->chainstate),
                                 &ao, &res);
        if (!ok) reject_message(err, errlen, &res);
        mempool_accept_result_clear(&res);
        if (!ok) return SPEND_ERR_REJECTED;
    }
    if (!wallet_add_own_tx(w, tx, err, errlen)) return SPEND_ERR_FAILED;
    if (!opt->broadcast) return SPEND_OK;
    char e2[MEMPOOL_DEBUG_SIZE + 100];
    if (!submit(w, node, tx, e2, sizeof e2)) {
        /* Recorded already: it stays in the wallet (Core's "cannot be broadcast
         * immediately"); resubmission or abandontransaction deal with it. */
        uint256 id;
        char hex[65];
        tx_txid(tx, &id);
        uint256_to_hex(hex, &id);
        log_info("wallet %s: transaction %s cannot be broadcast immediately: %s",
                 wallet_name(w), hex, e2);
    }
    return SPEND_OK;
}

size_t spend_resubmit(struct wallet *w, struct node_context *node,
                      const struct spend_options *opt)
{
    if (!opt->broadcast || !node->mempool || !node->chainstate) return 0;
    size_t n = wallet_tx_count(w), done = 0;
    struct tx *todo = calloc(n ? n : 1, sizeof *todo);
    size_t k = 0;
    if (!todo) return 0;
    for (size_t i = 0; i < n; i++) {
        const struct wallet_tx *t = wallet_tx_at(w, i);
        if (t->state != WALLETDB_TX_UNCONFIRMED || t->in_mempool || t->coinbase ||
            wallet_tx_depth(w, t) != 0)
            continue;
        tx_init(&todo[k]);
        if (tx_copy(&todo[k], &t->tx)) k++;
    }
    /* Oldest first, so parents enter before their children. */
    for (size_t i = 0; i < k; i++) {
        char e[MEMPOOL_DEBUG_SIZE + 100];
        if (submit(w, node, &todo[i], e, sizeof e)) {
            /* The mempool hook only reaches registered wallets; a wallet being loaded is
             * not one yet. */
            wallet_tx_added_to_mempool(w, &todo[i], node->now());
            done++;
        } else {
            uint256 id;
            char hex[65];
            tx_txid(&todo[i], &id);
            uint256_to_hex(hex, &id);
            log_debug(LOG_WALLETDB, "wallet %s: resubmitting transaction %s failed: %s",
                      wallet_name(w), hex, e);
        }
        tx_clear(&todo[i]);
    }
    free(todo);
    return done;
}

/* ---- bumpfee ---- */

enum bumpfee_error spend_bump_fee(struct wallet *w, struct node_context *node,
                                  const struct spend_options *opt, const uint256 *txid,
                                  const struct bumpfee_request *req, struct spend_result *out,
                                  int64_t *old_fee, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->change_pos = -1;
    const struct wallet_tx *t = wallet_find_tx(w, txid);
    if (!t) {
        set_err(err, errlen, "Invalid or non-wallet transaction id");
        return BUMPFEE_ERR_NOT_FOUND;
    }
    char hex[65];
    uint256_to_hex(hex, txid);
    /* Core's PreconditionChecks, in its order. */
    size_t n = wallet_tx_count(w);
    for (size_t i = 0; i < n; i++) {
        const struct wallet_tx *o = wallet_tx_at(w, i);
        if (o == t || o->coinbase || o->state == WALLETDB_TX_ABANDONED ||
            o->state == WALLETDB_TX_CONFLICTED)
            continue;
        for (size_t j = 0; j < o->tx.vin_count; j++)
            if (uint256_cmp(&o->tx.vin[j].prevout.hash, txid) == 0) {
                set_err(err, errlen, "Transaction has descendants in the wallet");
                return BUMPFEE_ERR_INVALID;
            }
    }
    const struct mempool_entry *me = mempool_get(node->mempool, txid);
    if (me && me->count_with_descendants > 1) {
        set_err(err, errlen, "Transaction has descendants in the mempool");
        return BUMPFEE_ERR_INVALID;
    }
    if (wallet_tx_depth(w, t) != 0) {
        set_err(err, errlen,
                "Transaction has been mined, or is conflicted with a mined transaction");
        return BUMPFEE_ERR_WALLET;
    }
    if (!policy_signals_rbf(&t->tx)) {
        set_err(err, errlen, "Transaction is not BIP 125 replaceable");
        return BUMPFEE_ERR_WALLET;
    }
    for (size_t i = 0; i < n; i++) {
        const struct wallet_tx *o = wallet_tx_at(w, i);
        if (o == t || o->coinbase || o->state != WALLETDB_TX_UNCONFIRMED || !o->in_mempool)
            continue;
        bool shares = false;
        for (size_t a = 0; a < o->tx.vin_count && !shares; a++)
            for (size_t b = 0; b < t->tx.vin_count && !shares; b++)
                shares =
                    o->tx.vin[a].prevout.n == t->tx.vin[b].prevout.n &&
                    uint256_cmp(&o->tx.vin[a].prevout.hash, &t->tx.vin[b].prevout.hash) == 0;
        if (shares) {
            char h2[65];
            uint256_to_hex(h2, &o->txid);
            set_err(err, errlen,
                    "Cannot bump transaction %s which was already bumped by "
                    "transaction %s",
                    hex, h2);
            return BUMPFEE_ERR_WALLET;
        }
    }
    if (!t->in_mempool || t->state != WALLETDB_TX_UNCONFIRMED) {
        set_err(err, errlen,
                "Transaction has been mined, or is conflicted with a mined transaction");
        return BUMPFEE_ERR_WALLET;
    }
    bool all_mine;
    int64_t fee = 0;
    (void)wallet_tx_debit(w, t, &all_mine, &fee);
    if (!all_mine) {
        set_err(err, errlen, "Transaction contains inputs that don't belong to this wallet");
        return BUMPFEE_ERR_WALLET;
    }
    *old_fee = fee;
    if (wallet_is_locked(w)) {
        set_err(err, errlen,
                "Error: Please enter the wallet passphrase with walletpassphrase first.");
        return BUMPFEE_ERR_UNLOCK_NEEDED;
    }
    /* The new rate: at least the old one plus the incremental relay fee. */
    int64_t old_vsize = me ? me->vsize : vsize_of_weight((int64_t)tx_weight(&t->tx));
    /* Rounded up, so rate x size never falls short of the old fee. */
    int64_t old_rate = old_vsize > 0 ? (fee * 1000 + old_vsize - 1) / old_vsize : 0;
    int64_t min_rate = old_rate + node->policy.incremental_relay_fee;
    int64_t rate;
    enum spend_fee_reason reason;
    if (req->has_fee_rate) {
        /* Core's CheckFeeRate, on the original's size. */
        int64_t new_total = feerate_get_fee(req->fee_rate, old_vsize);
        int64_t incr = feerate_get_fee(node->policy.incremental_relay_fee, old_vsize);
        if (new_total < fee + incr) {
            char a[AMOUNT_TEXT_MAX], b[AMOUNT_TEXT_MAX], o[AMOUNT_TEXT_MAX], d[AMOUNT_TEXT_MAX];
            amount_format(a, new_total);
            amount_format(b, fee + incr);
            amount_format(o, fee);
            amount_format(d, incr);
            set_err(
                err, errlen,
                "Insufficient total fee %s, must be at least %s (oldFee %s + incrementalFee "
                "%s)",
                a, b, o, d);
            return BUMPFEE_ERR_INVALID;
        }
        if (new_total > opt->max_tx_fee) {
            char a[AMOUNT_TEXT_MAX], b[AMOUNT_TEXT_MAX];
            amount_format(a, new_total);
            amount_format(b, opt->max_tx_fee);
            set_err(
                err, errlen,
                "Specified or calculated fee %s is too high (cannot be higher than -maxtxfee "
                "%s)",
                a, b);
            return BUMPFEE_ERR_WALLET;
        }
        rate = req->fee_rate;
    } else {
        if (fee_rate_for(w, node, opt, false, 0, req->conf_target, req->estimate_mode, true,
                         &rate, &reason, err, errlen) != SPEND_OK)
            return BUMPFEE_ERR_WALLET;
        if (rate < min_rate) rate = min_rate;
    }
    /* Recipients: every output but our change; the change goes back to its script. */
    struct spend_recipient *rcp = calloc(t->tx.vout_count + 1, sizeof *rcp);
    struct outpoint *ins = calloc(t->tx.vin_count + 1, sizeof *ins);
    if (!rcp || !ins) {
        free(rcp);
        free(ins);
        set_err(err, errlen, "out of memory");
        return BUMPFEE_ERR_FAILED;
    }
    size_t nr = 0;
    const struct tx_out *change = NULL;
    for (size_t i = 0; i < t->tx.vout_count; i++) {
        const struct tx_out *o = &t->tx.vout[i];
        struct wallet_script_info info;
        if (!change && wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info) &&
            info.internal) {
            change = o;
            continue;
        }
        if (o->script_pubkey_len > sizeof rcp[nr].script) continue;
        memcpy(rcp[nr].script, o->script_pubkey, o->script_pubkey_len);
        rcp[nr].script_len = o->script_pubkey_len;
        rcp[nr].amount = o->value;
        nr++;
    }
    for (size_t i = 0; i < t->tx.vin_count; i++) ins[i] = t->tx.vin[i].prevout;
    struct spend_request sr;
    memset(&sr, 0, sizeof sr);
    sr.recipients = rcp;
    sr.nrecipients = nr;
    sr.has_fee_rate = true;
    sr.fee_rate = rate;
    sr.replaceable = req->replaceable ? 1 : 0;
    sr.inputs = ins;
    sr.ninputs = t->tx.vin_count;
    sr.add_inputs = true;
    sr.change_script = change ? change->script_pubkey : NULL;
    sr.change_script_len = change ? change->script_pubkey_len : 0;
    sr.change_position = -1;
    sr.change_type = -1;
    sr.has_locktime = true;
    sr.locktime = t->tx.locktime;
    sr.replacing = txid;
    enum spend_error rc = spend_create(w, node, opt, &sr, out, err, errlen);
    free(rcp);
    free(ins);
    if (rc == SPEND_ERR_UNLOCK_NEEDED) return BUMPFEE_ERR_UNLOCK_NEEDED;
    if (rc == SPEND_ERR_INSUFFICIENT_FUNDS) return BUMPFEE_ERR_INSUFFICIENT;
    if (rc != SPEND_OK) return BUMPFEE_ERR_WALLET;
    rc = spend_commit(w, node, opt, &out->tx, err, errlen);
    if (rc == SPEND_ERR_REJECTED) {
        spend_result_clear(out);
        return BUMPFEE_ERR_REJECTED;
    }
    if (rc != SPEND_OK) {
        spend_result_clear(out);
        return BUMPFEE_ERR_FAILED;
    }
    return BUMPFEE_OK;
}
