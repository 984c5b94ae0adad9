/* Standardness policy (Bitcoin Core 29.0's defaults and reasons).
 *
 * The template solver comes first because everything else is built on it: an output is
 * standard when it matches a template, an input is standard when the output it spends
 * does, and dust is priced by the size of the input a template needs. The transaction
 * checks then follow Core's order so the first failing rule, and so the reason string a
 * peer or RPC client sees, is the same as Core's. */
#include "chain/policy.h"

#include <stdio.h>
#include <string.h>

#include "consensus/tx_check.h"

void policy_params_default(struct policy_params *p)
{
    memset(p, 0, sizeof(*p));
    p->accept_datacarrier = true;
    p->max_datacarrier_bytes = MAX_OP_RETURN_RELAY;
    p->permit_bare_multisig = true;
    p->dust_relay_fee = DUST_RELAY_TX_FEE;
    p->min_relay_fee = DEFAULT_MIN_RELAY_TX_FEE;
    p->incremental_relay_fee = DEFAULT_INCREMENTAL_RELAY_FEE;
    p->block_min_tx_fee = DEFAULT_BLOCK_MIN_TX_FEE;
    p->max_standard_tx_weight = MAX_STANDARD_TX_WEIGHT;
    p->bytes_per_sigop = DEFAULT_BYTES_PER_SIGOP;
    p->ancestor_limit = DEFAULT_ANCESTOR_LIMIT;
    p->ancestor_size_kvb = DEFAULT_ANCESTOR_SIZE_LIMIT_KVB;
    p->descendant_limit = DEFAULT_DESCENDANT_LIMIT;
    p->descendant_size_kvb = DEFAULT_DESCENDANT_SIZE_LIMIT_KVB;
    p->max_mempool_mb = DEFAULT_MAX_MEMPOOL_SIZE_MB;
    p->mempool_expiry_hours = DEFAULT_MEMPOOL_EXPIRY_HOURS;
}

/* ---- Solver ---- */

static void set_reason(const char **reason, const char *text)
{
    if (reason) *reason = text;
}

const char *policy_txout_type_name(enum txout_type t)
{
    switch (t) {
    case TXOUT_NONSTANDARD: return "nonstandard";
    case TXOUT_ANCHOR: return "anchor";
    case TXOUT_PUBKEY: return "pubkey";
    case TXOUT_PUBKEYHASH: return "pubkeyhash";
    case TXOUT_SCRIPTHASH: return "scripthash";
    case TXOUT_MULTISIG: return "multisig";
    case TXOUT_NULL_DATA: return "nulldata";
    case TXOUT_WITNESS_V0_SCRIPTHASH: return "witness_v0_scripthash";
    case TXOUT_WITNESS_V0_KEYHASH: return "witness_v0_keyhash";
    case TXOUT_WITNESS_V1_TAPROOT: return "witness_v1_taproot";
    case TXOUT_WITNESS_UNKNOWN: return "witness_unknown";
    }
    return "nonstandard";
}

bool policy_script_is_pay_to_anchor(const uint8_t *script, size_t len)
{
    return len == 4 && script[0] == OP_1 && script[1] == 0x02 && script[2] == 0x4e &&
           script[3] == 0x73;
}

/* CPubKey::ValidSize: the length the first byte announces (33 or 65) matches. */
static bool pubkey_valid_size(const uint8_t *data, size_t len)
{
    if (len == 0) return false;
    switch (data[0]) {
    case 2:
    case 3: return len == 33;
    case 4:
    case 6:
    case 7: return len == 65;
    default: return false;
    }
}

static bool match_pay_to_pubkey(const uint8_t *s, size_t len, struct script_solution *sol)
{
    if ((len == 67 && s[0] == 65) || (len == 35 && s[0] == 33)) {
        if (s[len - 1] != OP_CHECKSIG || !pubkey_valid_size(s + 1, len - 2)) return false;
        sol->keys[0] = s + 1;
        sol->key_lens[0] = len - 2;
        sol->key_count = 1;
        return true;
    }
    return false;
}

static bool match_pay_to_pubkey_hash(const uint8_t *s, size_t len, struct script_solution *sol)
{
    if (len != 25 || s[0] != OP_DUP || s[1] != OP_HASH160 || s[2] != 20 ||
        s[23] != OP_EQUALVERIFY || s[24] != OP_CHECKSIG)
        return false;
    sol->hash = s + 3;
    sol->hash_len = 20;
    return true;
}

/* Core's CheckMinimalPush for a push opcode and its data. */
static bool minimal_push(uint8_t op, const uint8_t *data, size_t len)
{
    if (len == 0) return op == OP_0;
    if (len == 1 && data[0] >= 1 && data[0] <= 16) return false;
    if (len == 1 && data[0] == 0x81) return false;
    if (len <= 75) return op == len;
    if (len <= 255) return op == OP_PUSHDATA1;
    if (len <= 65535) return op == OP_PUSHDATA2;
    return true;
}

/* A small number as the multisig template accepts it: OP_1..OP_16, or a minimal push of
 * a minimally encoded number of at most 4 bytes, within [min, max]. */
static bool script_number(uint8_t op, const uint8_t *data, size_t len, int min, int max,
                          int *out)
{
    int64_t v;
    if (op >= OP_1 && op <= OP_16) {
        v = script_decode_op_n(op);
    } else if (op > OP_0 && op <= OP_PUSHDATA4) {
        if (!minimal_push(op, data, len) || len > 4) return false;
        if (len > 0 && (data[len - 1] & 0x7f) == 0 && (len <= 1 || (data[len - 2] & 0x80) == 0))
            return false;
        uint64_t mag = 0;
        for (size_t i = 0; i < len; i++) mag |= (uint64_t)data[i] << (8 * i);
        if (len > 0 && (data[len - 1] & 0x80)) {
            mag &= ~((uint64_t)0x80 << (8 * (len - 1)));
            v = -(int64_t)mag;
        } else {
            v = (int64_t)mag;
        }
    } else {
        return false;
    }
    if (v < min || v > max) return false;
    *out = (int)v;
    return true;
}

static bool match_multisig(const uint8_t *s, size_t len, struct script_solution *sol)
{
    if (len < 1 || s[len - 1] != OP_CHECKMULTISIG) return false;
    size_t pc = 0;
    uint8_t op;
    const uint8_t *data;
    size_t data_len;
    if (!script_get_op(s, len, &pc, &op, &data, &data_len)) return false;
    int required;
    if (!script_number(op, data, data_len, 1, MAX_PUBKEYS_PER_MULTISIG, &required))
        return false;
    size_t keys = 0;
    for (;;) {
        if (!script_get_op(s, len, &pc, &op, &data, &data_len)) {
            op = OP_INVALIDOPCODE;
            data = NULL;
            data_len = 0;
            break;
        }
        if (!pubkey_valid_size(data, data_len)) break;
        /* More than 20 keys can never match the count that must follow. */
        if (keys == MAX_PUBKEYS_PER_MULTISIG) return false;
        sol->keys[keys] = data;
        sol->key_lens[keys] = data_len;
        keys++;
    }
    int n;
    if (!script_number(op, data, data_len, required, MAX_PUBKEYS_PER_MULTISIG, &n))
        return false;
    if ((size_t)n != keys) return false;
    if (pc + 1 != len) return false;
    sol->required = required;
    sol->key_count = keys;
    return true;
}

enum txout_type policy_solve(const uint8_t *s, size_t len, struct script_solution *sol)
{
    memset(sol, 0, sizeof(*sol));
    sol->type = TXOUT_NONSTANDARD;

    if (script_is_p2sh(s, len)) {
        sol->hash = s + 2;
        sol->hash_len = 20;
        return sol->type = TXOUT_SCRIPTHASH;
    }

    int version;
    const uint8_t *program;
    size_t program_len;
    if (script_is_witness_program(s, len, &version, &program, &program_len)) {
        enum txout_type t = TXOUT_NONSTANDARD;
        if (version == 0 && program_len == WITNESS_V0_KEYHASH_SIZE)
            t = TXOUT_WITNESS_V0_KEYHASH;
        else if (version == 0 && program_len == WITNESS_V0_SCRIPTHASH_SIZE)
            t = TXOUT_WITNESS_V0_SCRIPTHASH;
        else if (version == 1 && program_len == WITNESS_V1_TAPROOT_SIZE)
            t = TXOUT_WITNESS_V1_TAPROOT;
        else if (policy_script_is_pay_to_anchor(s, len))
            return sol->type = TXOUT_ANCHOR;
        else if (version != 0)
            t = TXOUT_WITNESS_UNKNOWN;
        if (t == TXOUT_NONSTANDARD) return t;
        sol->witness_version = version;
        sol->hash = program;
        sol->hash_len = program_len;
        return sol->type = t;
    }

    if (len >= 1 && s[0] == OP_RETURN && script_is_push_only(s + 1, len - 1))
        return sol->type = TXOUT_NULL_DATA;

    if (match_pay_to_pubkey(s, len, sol)) return sol->type = TXOUT_PUBKEY;
    if (match_pay_to_pubkey_hash(s, len, sol)) return sol->type = TXOUT_PUBKEYHASH;
    if (match_multisig(s, len, sol)) return sol->type = TXOUT_MULTISIG;

    memset(sol, 0, sizeof(*sol));
    sol->type = TXOUT_NONSTANDARD;
    return TXOUT_NONSTANDARD;
}

/* ---- Outputs and transactions ---- */

bool policy_is_standard_script(const struct policy_params *p, const uint8_t *script, size_t len,
                               enum txout_type *type)
{
    struct script_solution sol;
    enum txout_type t = policy_solve(script, len, &sol);
    if (type) *type = t;
    switch (t) {
    case TXOUT_NONSTANDARD: return false;
    case TXOUT_MULTISIG:
        /* Bare multisig up to x-of-3 only. */
        return sol.key_count >= 1 && sol.key_count <= 3 && sol.required >= 1 &&
               (size_t)sol.required <= sol.key_count;
    case TXOUT_NULL_DATA: return p->accept_datacarrier && len <= p->max_datacarrier_bytes;
    default: return true;
    }
}

bool policy_is_standard_tx(const struct policy_params *p, const struct tx *tx,
                           const char **reason)
{
    if (tx->version > TX_MAX_STANDARD_VERSION || tx->version < 1) {
        set_reason(reason, "version");
        return false;
    }
    /* Signature hashing is O(inputs * size): bounding the weight bounds the work. */
    if (tx_weight(tx) > p->max_standard_tx_weight) {
        set_reason(reason, "tx-size");
        return false;
    }
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        if (in->script_sig_len > MAX_STANDARD_SCRIPTSIG_SIZE) {
            set_reason(reason, "scriptsig-size");
            return false;
        }
        if (!script_is_push_only(in->script_sig, in->script_sig_len)) {
            set_reason(reason, "scriptsig-not-pushonly");
            return false;
        }
    }
    size_t data_outputs = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        const struct tx_out *out = &tx->vout[i];
        enum txout_type t;
        if (!policy_is_standard_script(p, out->script_pubkey, out->script_pubkey_len, &t)) {
            set_reason(reason, "scriptpubkey");
            return false;
        }
        if (t == TXOUT_NULL_DATA) {
            data_outputs++;
        } else if (t == TXOUT_MULTISIG && !p->permit_bare_multisig) {
            set_reason(reason, "bare-multisig");
            return false;
        }
    }
    if (policy_dust_count(tx, p->dust_relay_fee) > MAX_DUST_OUTPUTS_PER_TX) {
        set_reason(reason, "dust");
        return false;
    }
    if (data_outputs > 1) {
        set_reason(reason, "multi-op-return");
        return false;
    }
    return true;
}

bool policy_check_tx_size_small(const struct tx *tx, const char **reason)
{
    if (tx_size(tx, false) < MIN_STANDARD_TX_NONWITNESS_SIZE) {
        set_reason(reason, "tx-size-small");
        return false;
    }
    return true;
}

bool policy_check_sigops(uint64_t sigop_cost, const char **reason)
{
    if (sigop_cost > MAX_STANDARD_TX_SIGOPS_COST) {
        set_reason(reason, "bad-txns-too-many-sigops");
        return false;
    }
    return true;
}

/* ---- Dust ---- */

int64_t policy_dust_threshold(const struct tx_out *out, int64_t dust_relay_fee)
{
    const uint8_t *s = out->script_pubkey;
    size_t len = out->script_pubkey_len;
    if (script_is_unspendable(s, len)) return 0;
    /* The output itself plus the input that will spend it: outpoint 36, scriptSig length
     * 1, sequence 4, and a 107-byte signature and key (P2PKH's 148 bytes in all), the
     * signature and key counted at a quarter for witness programs. Taproot's smaller
     * spend is deliberately not used, to keep the threshold where it was. */
    int64_t size = 8 + (int64_t)compact_size_len(len) + (int64_t)len;
    if (script_is_witness_program(s, len, NULL, NULL, NULL))
        size += 32 + 4 + 1 + 107 / WITNESS_SCALE_FACTOR + 4;
    else
        size += 32 + 4 + 1 + 107 + 4;
    return feerate_get_fee(dust_relay_fee, size);
}

bool policy_is_dust(const struct tx_out *out, int64_t dust_relay_fee)
{
    return out->value < policy_dust_threshold(out, dust_relay_fee);
}

size_t policy_dust_count(const struct tx *tx, int64_t dust_relay_fee)
{
    size_t n = 0;
    for (size_t i = 0; i < tx->vout_count; i++)
        if (policy_is_dust(&tx->vout[i], dust_relay_fee)) n++;
    return n;
}

bool policy_check_ephemeral_dust(const struct policy_params *p, const struct tx *tx,
                                 int64_t base_fee, int64_t modified_fee, const char **reason)
{
    /* A fee would reward mining the parent without the child that sweeps the dust. */
    if ((base_fee != 0 || modified_fee != 0) && policy_dust_count(tx, p->dust_relay_fee) > 0) {
        set_reason(reason, "dust");
        return false;
    }
    return true;
}

/* ---- Inputs ---- */

/* Runs a scriptSig with no flags and no signature checker, as Core does to find a P2SH
 * redeem script without verifying anything. On success the stack is non-empty and the
 * caller frees it. */
static bool scriptsig_top(const struct tx_in *in, struct script_stack *stack)
{
    struct script_checker none = {0};
    enum script_error err;
    script_stack_init(stack);
    if (!script_eval(stack, in->script_sig, in->script_sig_len, SCRIPT_VERIFY_NONE, &none,
                     SIGVERSION_BASE, NULL, &err) ||
        stack->count == 0) {
        script_stack_free(stack);
        return false;
    }
    return true;
}

bool policy_are_inputs_standard(const struct tx *tx, const struct tx_out *spent_outputs,
                                const char **reason)
{
    if (tx_is_coinbase(tx)) return true;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_out *prev = &spent_outputs[i];
        struct script_solution sol;
        enum txout_type t = policy_solve(prev->script_pubkey, prev->script_pubkey_len, &sol);
        bool ok = true;
        if (t == TXOUT_NONSTANDARD || t == TXOUT_WITNESS_UNKNOWN) {
            ok = false;
        } else if (t == TXOUT_SCRIPTHASH) {
            struct script_stack stack;
            if (!scriptsig_top(&tx->vin[i], &stack)) {
                ok = false;
            } else {
                const struct byte_vec *redeem = &stack.items[stack.count - 1];
                ok = script_sigop_count(redeem->data, redeem->len, true) <= MAX_P2SH_SIGOPS;
                script_stack_free(&stack);
            }
        }
        if (!ok) {
            set_reason(reason, "bad-txns-nonstandard-inputs");
            return false;
        }
    }
    return true;
}

/* One input's witness against the script it spends; false when nonstandard. */
static bool input_witness_standard(const struct tx_in *in, const struct tx_out *prev)
{
    const uint8_t *script = prev->script_pubkey;
    size_t script_len = prev->script_pubkey_len;

    /* Witness stuffing: P2A is spent with an empty witness. */
    if (policy_script_is_pay_to_anchor(script, script_len)) return false;

    struct script_stack stack = {0};
    bool p2sh = false;
    if (script_is_p2sh(script, script_len)) {
        if (!scriptsig_top(in, &stack)) return false;
        script = stack.items[stack.count - 1].data;
        script_len = stack.items[stack.count - 1].len;
        p2sh = true;
    }

    bool ok = true;
    int version;
    size_t program_len;
    if (!script_is_witness_program(script, script_len, &version, NULL, &program_len)) {
        ok = false; /* a witness on a script that cannot use one */
    } else if (version == 0 && program_len == WITNESS_V0_SCRIPTHASH_SIZE) {
        size_t items = in->witness_count - 1;
        if (in->witness[items].len > MAX_STANDARD_P2WSH_SCRIPT_SIZE ||
            items > MAX_STANDARD_P2WSH_STACK_ITEMS) {
            ok = false;
        } else {
            for (size_t j = 0; j < items; j++)
                if (in->witness[j].len > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE) ok = false;
        }
    } else if (version == 1 && program_len == WITNESS_V1_TAPROOT_SIZE && !p2sh) {
        size_t n = in->witness_count;
        const struct byte_vec *w = in->witness;
        /* Annexes are nonstandard until they are given a meaning. */
        if (n >= 2 && w[n - 1].len > 0 && w[n - 1].data[0] == ANNEX_TAG) {
            ok = false;
        } else if (n >= 2) {
            const struct byte_vec *control = &w[n - 1];
            if (control->len == 0) {
                ok = false;
            } else if ((control->data[0] & TAPROOT_LEAF_MASK) == TAPROOT_LEAF_TAPSCRIPT) {
                for (size_t j = 0; j + 2 < n; j++)
                    if (w[j].len > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE) ok = false;
            }
        } else if (n == 0) {
            ok = false;
        }
    }
    if (p2sh) script_stack_free(&stack);
    return ok;
}

bool policy_is_witness_standard(const struct tx *tx, const struct tx_out *spent_outputs,
                                const char **reason)
{
    if (tx_is_coinbase(tx)) return true;
    for (size_t i = 0; i < tx->vin_count; i++) {
        /* An empty witness cannot be bloated; a missing one is caught by validation. */
        if (tx->vin[i].witness_count == 0) continue;
        if (!input_witness_standard(&tx->vin[i], &spent_outputs[i])) {
            set_reason(reason, "bad-witness-nonstandard");
            return false;
        }
    }
    return true;
}

/* ---- Sizes and fees ---- */

int64_t policy_virtual_size(int64_t weight, int64_t sigop_cost, uint32_t bytes_per_sigop)
{
    int64_t sigop_weight = sigop_cost * (int64_t)bytes_per_sigop;
    int64_t w = weight > sigop_weight ? weight : sigop_weight;
    return (w + WITNESS_SCALE_FACTOR - 1) / WITNESS_SCALE_FACTOR;
}

int64_t policy_tx_virtual_size(const struct tx *tx, int64_t sigop_cost,
                               uint32_t bytes_per_sigop)
{
    return policy_virtual_size((int64_t)tx_weight(tx), sigop_cost, bytes_per_sigop);
}

int64_t feerate_get_fee(int64_t rate, int64_t size)
{
    if (size <= 0) return 0;
    /* ceil(rate * size / 1000) computed as whole thousands plus a remainder, so only the
     * first product can overflow; it saturates. */
    int64_t q = rate / 1000, r = rate % 1000;
    int64_t whole;
    if (q != 0) {
        uint64_t mag = q > 0 ? (uint64_t)q : (uint64_t)(-(q + 1)) + 1;
        if ((uint64_t)size > (uint64_t)INT64_MAX / mag) return q > 0 ? INT64_MAX : INT64_MIN;
    }
    whole = q * size;
    int64_t part;
    if (size <= INT64_MAX / 1000) {
        int64_t rs = r * size;
        part = rs >= 0 ? (rs + 999) / 1000 : rs / 1000; /* C truncation is ceil below 0 */
    } else {
        /* |r| < 1000: split size too so r * size never overflows. */
        int64_t sq = size / 1000, sr = size % 1000;
        int64_t rs = r * sr;
        part = r * sq + (rs >= 0 ? (rs + 999) / 1000 : rs / 1000);
    }
    if (part > 0 && whole > INT64_MAX - part) return INT64_MAX;
    if (part < 0 && whole < INT64_MIN - part) return INT64_MIN;
    int64_t fee = whole + part;
    if (fee == 0) {
        if (rate > 0) fee = 1;
        if (rate < 0) fee = -1;
    }
    return fee;
}

int64_t feerate_from_fee(int64_t fee, int64_t size)
{
    if (size <= 0) return 0;
    if (fee > INT64_MAX / 1000) return INT64_MAX / size;
    if (fee < INT64_MIN / 1000) return INT64_MIN / size;
    return fee * 1000 / size;
}

bool policy_check_fee_rate(const struct policy_params *p, int64_t mempool_min_fee,
                           int64_t vsize, int64_t fee, const char **reason, char *debug,
                           size_t debug_size)
{
    int64_t need = feerate_get_fee(mempool_min_fee, vsize);
    if (need > 0 && fee < need) {
        set_reason(reason, "mempool min fee not met");
        if (debug && debug_size)
            snprintf(debug, debug_size, "%lld < %lld", (long long)fee, (long long)need);
        return false;
    }
    need = feerate_get_fee(p->min_relay_fee, vsize);
    if (fee < need) {
        set_reason(reason, "min relay fee not met");
        if (debug && debug_size)
            snprintf(debug, debug_size, "%lld < %lld", (long long)fee, (long long)need);
        return false;
    }
    return true;
}

bool policy_signals_rbf(const struct tx *tx)
{
    for (size_t i = 0; i < tx->vin_count; i++)
        if (tx->vin[i].sequence <= MAX_BIP125_RBF_SEQUENCE) return true;
    return false;
}

const char *policy_script_error_reason(char *buf, size_t size, bool mandatory,
                                       enum script_error err)
{
    if (!buf || size == 0) return buf;
    snprintf(buf, size, "%s (%s)",
             mandatory ? "mandatory-script-verify-flag-failed"
                       : "non-mandatory-script-verify-flag",
             script_error_string(err));
    return buf;
}
