/* The wallet's PSBT updater and signer (see wallet_psbt.h for the contract).
 *
 * One pass over the inputs adds what the wallet knows (UTXOs, key origins), a second
 * signs, so that Taproot inputs, whose signature hash commits to every spent output,
 * see the UTXOs the first pass added. */
#include "wallet/wallet_psbt.h"

#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/sighash.h"
#include "util/random.h"

bool wallet_psbt_parse_sighash(const char *s, int *out)
{
    static const struct {
        const char *name;
        int value;
    } names[] = {
        {"DEFAULT", SIGHASH_DEFAULT},
        {"ALL", SIGHASH_ALL},
        {"NONE", SIGHASH_NONE},
        {"SINGLE", SIGHASH_SINGLE},
        {"ALL|ANYONECANPAY", SIGHASH_ALL | SIGHASH_ANYONECANPAY},
        {"NONE|ANYONECANPAY", SIGHASH_NONE | SIGHASH_ANYONECANPAY},
        {"SINGLE|ANYONECANPAY", SIGHASH_SINGLE | SIGHASH_ANYONECANPAY},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].value;
            return true;
        }
    return false;
}

/* A SegWit output script (version byte then one push of 2..40 bytes). */
static bool is_witness_program(const uint8_t *s, size_t len)
{
    if (len < 4 || len > 42) return false;
    if (s[0] != 0x00 && (s[0] < 0x51 || s[0] > 0x60)) return false;
    return (size_t)s[1] + 2 == len;
}

/* fingerprint || path as little-endian 32-bit words (BIP174's key origin). */
static size_t origin_bytes(const struct wallet_script_info *info, uint8_t out[24])
{
    memcpy(out, info->master_fp, 4);
    for (size_t i = 0; i < 5; i++) le32_write(out + 4 + 4 * i, info->path[i]);
    return 24;
}

/* Adds the key origin of a wallet script to a BIP32 map (ECDSA key: type||pubkey) or,
 * for Taproot, to a Taproot BIP32 map (type||xonly, value: no leaf hashes, origin) and
 * sets the internal key. Returns false on out of memory. */
static bool add_origin(const struct wallet_script_info *info, uint8_t ecdsa_type,
                       struct psbt_map *bip32, uint8_t tap_type, struct psbt_map *tap_bip32,
                       bool *has_internal, uint8_t internal[32])
{
    uint8_t origin[24];
    origin_bytes(info, origin);
    if (info->type != WALLET_ADDR_BECH32M) {
        uint8_t key[34];
        key[0] = ecdsa_type;
        memcpy(key + 1, info->pubkey, 33);
        return psbt_map_insert(bip32, key, sizeof key, origin, sizeof origin) >= 0;
    }
    uint8_t key[33], value[25];
    key[0] = tap_type;
    memcpy(key + 1, info->pubkey + 1, 32);
    value[0] = 0; /* no leaf hashes: key path only */
    memcpy(value + 1, origin, sizeof origin);
    if (psbt_map_insert(tap_bip32, key, sizeof key, value, sizeof value) < 0) return false;
    if (!*has_internal) {
        memcpy(internal, info->pubkey + 1, 32);
        *has_internal = true;
    }
    return true;
}

/* Adds UTXOs and key origins to input i (not final). */
static bool update_input(struct wallet *w, struct psbt *p, size_t i, bool bip32derivs)
{
    struct psbt_input *in = &p->inputs[i];
    const struct outpoint *op = &p->tx.vin[i].prevout;
    const struct wallet_tx *wtx = wallet_find_tx(w, &op->hash);
    if (wtx && op->n < wtx->tx.vout_count) {
        const struct tx_out *o = &wtx->tx.vout[op->n];
        if (!in->non_witness_utxo) {
            struct tx *copy = malloc(sizeof *copy);
            if (!copy) return false;
            tx_init(copy);
            if (!tx_copy(copy, &wtx->tx)) {
                free(copy);
                return false;
            }
            in->non_witness_utxo = copy;
        }
        if (!in->has_witness_utxo &&
            is_witness_program(o->script_pubkey, o->script_pubkey_len) &&
            !psbt_input_set_witness_utxo(in, o))
            return false;
    }
    const struct tx_out *utxo = psbt_input_utxo(p, i);
    struct wallet_script_info info;
    if (bip32derivs && utxo &&
        wallet_script_info(w, utxo->script_pubkey, utxo->script_pubkey_len, &info) &&
        !info.imported)
        return add_origin(&info, PSBT_IN_BIP32_DERIVATION, &in->bip32,
                          PSBT_IN_TAP_BIP32_DERIVATION, &in->tap_bip32,
                          &in->has_tap_internal_key, in->tap_internal_key);
    return true;
}

static bool update_output(struct wallet *w, struct psbt *p, size_t i)
{
    const struct tx_out *o = &p->tx.vout[i];
    struct psbt_output *out = &p->outputs[i];
    struct wallet_script_info info;
    if (!wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info) || info.imported)
        return true;
    return add_origin(&info, PSBT_OUT_BIP32_DERIVATION, &out->bip32,
                      PSBT_OUT_TAP_BIP32_DERIVATION, &out->tap_bip32,
                      &out->has_tap_internal_key, out->tap_internal_key);
}

/* ECDSA with a low R (the nonce ground with a counter as extra data, as Core does);
 * DER plus hash_type into sig; returns its length, 0 on failure. */
static size_t ecdsa_sign_low_r(const secp256k1_context *ctx, const uint8_t seckey[32],
                               const uint8_t hash[32], uint8_t hash_type, uint8_t sig[73])
{
    secp256k1_ecdsa_signature s;
    uint8_t extra[32] = {0}, compact[64];
    for (uint32_t counter = 0;; counter++) {
        le32_write(extra, counter);
        if (!secp256k1_ecdsa_sign(ctx, &s, hash, seckey, NULL, counter ? extra : NULL))
            return 0;
        secp256k1_ecdsa_signature_serialize_compact(ctx, compact, &s);
        if (compact[0] < 0x80 || counter >= 1000) break;
    }
    size_t len = 72;
    if (!secp256k1_ecdsa_signature_serialize_der(ctx, sig, &len, &s)) return 0;
    sig[len++] = hash_type;
    return len;
}

/* Signs input i with the wallet's key for its UTXO, if it has one. *signed_one is set
 * when a signature was added. */
static enum wallet_psbt_error sign_input(struct wallet_signing_keys *keys,
                                         const secp256k1_context *ctx, struct psbt *p, size_t i,
                                         int sighash, const struct sighash_precomputed *pre,
                                         char *err, size_t errlen)
{
    struct psbt_input *in = &p->inputs[i];
    const struct tx_out *utxo = psbt_input_utxo(p, i);
    if (!utxo) return WALLET_PSBT_OK;
    uint8_t seckey[32], pub[33];
    enum wallet_addr_type type;
    char kerr[128];
    if (!wallet_signing_key(keys, utxo->script_pubkey, utxo->script_pubkey_len, seckey, pub,
                            &type, kerr, sizeof kerr))
        return WALLET_PSBT_OK; /* not ours */
    if (in->has_sighash && in->sighash != sighash) {
        OPENSSL_cleanse(seckey, sizeof seckey);
        snprintf(err, errlen, "Specified sighash value does not match value stored in PSBT");
        return WALLET_PSBT_SIGHASH_MISMATCH;
    }
    enum wallet_psbt_error rc = WALLET_PSBT_OK;
    uint8_t ecdsa_type = (uint8_t)(sighash == SIGHASH_DEFAULT ? SIGHASH_ALL : sighash);
    uint256 h;
    uint8_t sig[73];
    size_t siglen = 0;
    if (type == WALLET_ADDR_LEGACY) {
        /* Core signs non-SegWit inputs only against the full previous transaction. */
        if (in->non_witness_utxo) {
            sighash_legacy(&h, utxo->script_pubkey, utxo->script_pubkey_len, &p->tx, i,
                           ecdsa_type);
            siglen = ecdsa_sign_low_r(ctx, seckey, h.b, ecdsa_type, sig);
            if (!siglen || psbt_input_add_partial_sig(in, pub, 33, sig, siglen) < 0)
                rc = WALLET_PSBT_FAILED;
        }
    } else if (type == WALLET_ADDR_BECH32) {
        uint8_t code[25] = {0x76, 0xa9, 20};
        hash160(pub, 33, code + 3);
        code[23] = 0x88;
        code[24] = 0xac;
        sighash_witness_v0(&h, code, sizeof code, &p->tx, i, ecdsa_type, utxo->value, pre);
        siglen = ecdsa_sign_low_r(ctx, seckey, h.b, ecdsa_type, sig);
        if (!siglen || psbt_input_add_partial_sig(in, pub, 33, sig, siglen) < 0)
            rc = WALLET_PSBT_FAILED;
    } else if (in->tap_key_sig.len == 0 && pre->bip341_ready) {
        struct script_exec_data ed;
        memset(&ed, 0, sizeof ed);
        ed.annex_init = true;
        uint8_t tweak[32], aux[32];
        secp256k1_keypair kp;
        bool ok =
            sighash_taproot(&h, &p->tx, i, (uint8_t)sighash, SIGVERSION_TAPROOT, &ed, pre);
        tagged_hash("TapTweak", pub + 1, 32, tweak);
        ok = ok && random_bytes(aux, sizeof aux) &&
             secp256k1_keypair_create(ctx, &kp, seckey) &&
             secp256k1_keypair_xonly_tweak_add(ctx, &kp, tweak) &&
             secp256k1_schnorrsig_sign32(ctx, sig, h.b, &kp, aux);
        OPENSSL_cleanse(&kp, sizeof kp);
        siglen = 64;
        if (sighash != SIGHASH_DEFAULT) sig[siglen++] = (uint8_t)sighash;
        if (ok) {
            uint8_t *copy = malloc(siglen);
            if (copy) {
                memcpy(copy, sig, siglen);
                in->tap_key_sig.data = copy;
                in->tap_key_sig.len = siglen;
            } else {
                ok = false;
            }
        }
        if (!ok) rc = WALLET_PSBT_FAILED;
    }
    OPENSSL_cleanse(seckey, sizeof seckey);
    if (rc != WALLET_PSBT_OK) snprintf(err, errlen, "Signing transaction failed");
    return rc;
}

static enum wallet_psbt_error sign_all(struct wallet *w, struct psbt *p, int sighash, char *err,
                                       size_t errlen)
{
    struct wallet_signing_keys *keys;
    bool locked;
    if (!wallet_signing_keys_open(w, &keys, &locked, err, errlen)) {
        if (locked) {
            snprintf(err, errlen,
                     "Error: Please enter the wallet passphrase with walletpassphrase first.");
            return WALLET_PSBT_UNLOCK_NEEDED;
        }
        return WALLET_PSBT_FAILED;
    }
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t rnd[32];
    struct tx_out *spent = calloc(p->tx.vin_count ? p->tx.vin_count : 1, sizeof *spent);
    if (!ctx || !spent || !random_bytes(rnd, sizeof rnd) ||
        !secp256k1_context_randomize(ctx, rnd)) {
        if (ctx) secp256k1_context_destroy(ctx);
        free(spent);
        wallet_signing_keys_free(keys);
        snprintf(err, errlen, "Signing transaction failed");
        return WALLET_PSBT_FAILED;
    }
    /* The BIP341 part of the precomputation needs every spent output. */
    bool all_known = true;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        const struct tx_out *u = psbt_input_utxo(p, i);
        if (u)
            spent[i] = *u; /* borrowed */
        else
            all_known = false;
    }
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &p->tx, all_known ? spent : NULL);
    enum wallet_psbt_error rc = WALLET_PSBT_OK;
    for (size_t i = 0; i < p->tx.vin_count && rc == WALLET_PSBT_OK; i++)
        if (!psbt_input_is_final(&p->inputs[i]))
            rc = sign_input(keys, ctx, p, i, sighash, &pre, err, errlen);
    secp256k1_context_destroy(ctx);
    free(spent);
    wallet_signing_keys_free(keys);
    return rc;
}

enum wallet_psbt_error wallet_psbt_fill(struct wallet *w, struct psbt *p, bool sign,
                                        int sighash, bool bip32derivs, bool finalize,
                                        bool *complete, char *err, size_t errlen)
{
    *complete = false;
    if (sign && wallet_is_locked(w)) {
        snprintf(err, errlen,
                 "Error: Please enter the wallet passphrase with walletpassphrase first.");
        return WALLET_PSBT_UNLOCK_NEEDED;
    }
    for (size_t i = 0; i < p->tx.vin_count; i++)
        if (!psbt_input_is_final(&p->inputs[i]) && !update_input(w, p, i, bip32derivs)) {
            snprintf(err, errlen, "Out of memory");
            return WALLET_PSBT_FAILED;
        }
    if (sign && wallet_has_private_keys(w)) {
        enum wallet_psbt_error rc = sign_all(w, p, sighash, err, errlen);
        if (rc != WALLET_PSBT_OK) return rc;
    }
    if (!(sighash & SIGHASH_ANYONECANPAY)) psbt_remove_unnecessary_transactions(p);
    if (bip32derivs)
        for (size_t i = 0; i < p->tx.vout_count; i++)
            if (!update_output(w, p, i)) {
                snprintf(err, errlen, "Out of memory");
                return WALLET_PSBT_FAILED;
            }
    if (finalize) {
        *complete = psbt_finalize(p);
        return WALLET_PSBT_OK;
    }
    struct psbt copy;
    psbt_init(&copy);
    if (!psbt_copy(&copy, p)) {
        snprintf(err, errlen, "Out of memory");
        return WALLET_PSBT_FAILED;
    }
    *complete = psbt_finalize(&copy);
    psbt_clear(&copy);
    return WALLET_PSBT_OK;
}
