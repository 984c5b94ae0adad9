/* Standardness policy: which transactions the node relays and accepts into its mempool,
 * as pure functions.
 *
 * Policy is not consensus. A block may hold any valid transaction; these rules only
 * decide what this node forwards to its peers, so that cheap denial-of-service
 * transactions, unspendable dust and scripts reserved for future soft forks stay out of
 * the network. The rules, defaults and reject reasons are Bitcoin Core 29.0's (see
 * doc/policy.md for the list and for where Core 30 differs). Nothing here touches the
 * mempool, the UTXO set or the clock: the caller passes the outputs being spent, fees
 * and rates, and gets back a verdict and Core's reason string (static, never freed).
 *
 * Amounts are satoshis; fee rates are satoshis per 1,000 virtual bytes (sat/kvB), as in
 * Core's CFeeRate. */
#ifndef IOP_CHAIN_POLICY_H
#define IOP_CHAIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/script.h"
#include "consensus/tx.h"

/* ---- Constants (Bitcoin Core 29.0, src/policy/policy.h and friends) ---- */

/* Highest transaction version relayed (3 = TRUC, BIP431). */
#define TX_MAX_STANDARD_VERSION 3
/* Largest standard transaction weight. */
#define MAX_STANDARD_TX_WEIGHT 400000
/* Smallest standard stripped size: 64-byte transactions look like merkle nodes. */
#define MIN_STANDARD_TX_NONWITNESS_SIZE 65
/* Largest standard scriptSig: a 15-of-15 P2SH multisig spend fits with room to spare. */
#define MAX_STANDARD_SCRIPTSIG_SIZE 1650
/* Most accurate sigops a P2SH redeem script may have. */
#define MAX_P2SH_SIGOPS 15
/* Most sigop cost a standard transaction may have (a fifth of a block). */
#define MAX_STANDARD_TX_SIGOPS_COST 16000
/* P2WSH: witness script size, stack items (without the script) and their size. */
#define MAX_STANDARD_P2WSH_SCRIPT_SIZE     3600
#define MAX_STANDARD_P2WSH_STACK_ITEMS     100
#define MAX_STANDARD_P2WSH_STACK_ITEM_SIZE 80
/* Tapscript (leaf version 0xc0): size of each stack item below script and control. */
#define MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE 80
/* A transaction may carry this many dust outputs (ephemeral dust, then only at 0 fee). */
#define MAX_DUST_OUTPUTS_PER_TX 1
/* -datacarriersize default: a whole OP_RETURN scriptPubKey, 80 bytes of data + 3. */
#define MAX_OP_RETURN_RELAY 83
/* Fee rates, sat/kvB. */
#define DUST_RELAY_TX_FEE             3000
#define DEFAULT_MIN_RELAY_TX_FEE      1000
#define DEFAULT_INCREMENTAL_RELAY_FEE 1000
#define DEFAULT_BLOCK_MIN_TX_FEE      1000
/* -bytespersigop: each sigop is charged at least this many virtual bytes. */
#define DEFAULT_BYTES_PER_SIGOP 20
/* Mempool package limits (-limitancestorcount/-limitancestorsize, descendants alike). */
#define DEFAULT_ANCESTOR_LIMIT            25
#define DEFAULT_ANCESTOR_SIZE_LIMIT_KVB   101
#define DEFAULT_DESCENDANT_LIMIT          25
#define DEFAULT_DESCENDANT_SIZE_LIMIT_KVB 101
/* -maxmempool (MB) and -mempoolexpiry (hours). */
#define DEFAULT_MAX_MEMPOOL_SIZE_MB  300
#define DEFAULT_MEMPOOL_EXPIRY_HOURS 336
/* BIP125: an input with a sequence at most this signals replaceability. */
#define MAX_BIP125_RBF_SEQUENCE 0xfffffffdu
/* Most transactions one replacement may evict. */
#define MAX_BIP125_REPLACEMENT_CANDIDATES 100

/* Script verification flags (Core's MANDATORY_ / STANDARD_SCRIPT_VERIFY_FLAGS). A
 * failure under the mandatory set breaks consensus; a failure only under the standard
 * set is a policy rejection and must not get the sender banned. */
#define MANDATORY_SCRIPT_VERIFY_FLAGS                                                          \
    (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_NULLDUMMY |                     \
     SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY | SCRIPT_VERIFY_CHECKSEQUENCEVERIFY |                   \
     SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT)
#define STANDARD_SCRIPT_VERIFY_FLAGS                                                           \
    (MANDATORY_SCRIPT_VERIFY_FLAGS | SCRIPT_VERIFY_STRICTENC | SCRIPT_VERIFY_MINIMALDATA |     \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS | SCRIPT_VERIFY_CLEANSTACK |                     \
     SCRIPT_VERIFY_MINIMALIF | SCRIPT_VERIFY_NULLFAIL | SCRIPT_VERIFY_LOW_S |                  \
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM | SCRIPT_VERIFY_WITNESS_PUBKEYTYPE |  \
     SCRIPT_VERIFY_CONST_SCRIPTCODE | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION |    \
     SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE)
#define STANDARD_NOT_MANDATORY_VERIFY_FLAGS                                                    \
    (STANDARD_SCRIPT_VERIFY_FLAGS & ~MANDATORY_SCRIPT_VERIFY_FLAGS)

/* ---- Parameters ---- */

/* The node's relay policy. policy_params_default gives Core 29.0's defaults; each field
 * names the Core option that sets it. */
struct policy_params {
    bool accept_datacarrier;         /* -datacarrier: relay OP_RETURN outputs (true) */
    uint32_t max_datacarrier_bytes;  /* -datacarriersize: whole scriptPubKey (83) */
    bool permit_bare_multisig;       /* -permitbaremultisig (true) */
    int64_t dust_relay_fee;          /* -dustrelayfee, sat/kvB (3000) */
    int64_t min_relay_fee;           /* -minrelaytxfee, sat/kvB (1000) */
    int64_t incremental_relay_fee;   /* -incrementalrelayfee, sat/kvB (1000) */
    int64_t block_min_tx_fee;        /* -blockmintxfee, sat/kvB (1000) */
    uint32_t max_standard_tx_weight; /* fixed in Core (400,000) */
    uint32_t bytes_per_sigop;        /* -bytespersigop (20) */
    uint32_t ancestor_limit;         /* -limitancestorcount (25) */
    uint32_t ancestor_size_kvb;      /* -limitancestorsize (101) */
    uint32_t descendant_limit;       /* -limitdescendantcount (25) */
    uint32_t descendant_size_kvb;    /* -limitdescendantsize (101) */
    uint32_t max_mempool_mb;         /* -maxmempool (300) */
    uint32_t mempool_expiry_hours;   /* -mempoolexpiry (336) */
};

/* Fills *p with the defaults above. */
void policy_params_default(struct policy_params *p);

/* ---- Script templates (Core's Solver) ---- */

/* Core's TxoutType; policy_txout_type_name gives the names RPC shows ("pubkeyhash"). */
enum txout_type {
    TXOUT_NONSTANDARD = 0,
    TXOUT_ANCHOR, /* P2A: OP_1 <0x4e73> */
    TXOUT_PUBKEY,
    TXOUT_PUBKEYHASH,
    TXOUT_SCRIPTHASH,
    TXOUT_MULTISIG,
    TXOUT_NULL_DATA, /* OP_RETURN then only pushes */
    TXOUT_WITNESS_V0_SCRIPTHASH,
    TXOUT_WITNESS_V0_KEYHASH,
    TXOUT_WITNESS_V1_TAPROOT,
    TXOUT_WITNESS_UNKNOWN, /* any other witness program of version 1..16 */
};

/* What a scriptPubKey pays to. Pointers borrow the script passed to policy_solve and
 * are valid as long as it is.
 *   PUBKEY: keys[0] (33 or 65 bytes), key_count 1.
 *   PUBKEYHASH, SCRIPTHASH: hash = the 20-byte hash.
 *   WITNESS_V0_KEYHASH/SCRIPTHASH, WITNESS_V1_TAPROOT, WITNESS_UNKNOWN: hash = the
 *     witness program, witness_version its version.
 *   MULTISIG: required (m), key_count (n) and keys.
 *   ANCHOR, NULL_DATA, NONSTANDARD: nothing. */
struct script_solution {
    enum txout_type type;
    int witness_version;
    const uint8_t *hash;
    size_t hash_len;
    int required;
    size_t key_count;
    const uint8_t *keys[MAX_PUBKEYS_PER_MULTISIG];
    size_t key_lens[MAX_PUBKEYS_PER_MULTISIG];
};

/* Classifies a scriptPubKey as Core's Solver does and fills *sol (required). Returns
 * sol->type. Never allocates. */
enum txout_type policy_solve(const uint8_t *script, size_t len, struct script_solution *sol);
/* "nonstandard", "pubkey", "pubkeyhash", "scripthash", "multisig", "nulldata",
 * "witness_v0_keyhash", "witness_v0_scripthash", "witness_v1_taproot",
 * "witness_unknown", "anchor". */
const char *policy_txout_type_name(enum txout_type t);
/* P2A: exactly OP_1 0x02 0x4e 0x73. */
bool policy_script_is_pay_to_anchor(const uint8_t *script, size_t len);

/* ---- Outputs and transactions ---- */

/* Core's IsStandard(scriptPubKey): a known template, bare multisig at most x-of-3, an
 * OP_RETURN output only with accept_datacarrier and at most max_datacarrier_bytes.
 * *type (optional) receives the template. Bare multisig is standard here even when
 * permit_bare_multisig is off; policy_is_standard_tx rejects it as "bare-multisig". */
bool policy_is_standard_script(const struct policy_params *p, const uint8_t *script, size_t len,
                               enum txout_type *type);

/* Core's IsStandardTx, its checks in its order, with its reasons: "version" (outside
 * 1..TX_MAX_STANDARD_VERSION), "tx-size" (weight above max_standard_tx_weight),
 * "scriptsig-size" (above 1650 bytes), "scriptsig-not-pushonly", "scriptpubkey",
 * "bare-multisig", "dust" (more than MAX_DUST_OUTPUTS_PER_TX dust outputs),
 * "multi-op-return". Returns true when standard; otherwise *reason (optional) gets the
 * reason. Inputs' spent outputs and witnesses are not looked at. */
__attribute__((warn_unused_result)) bool
policy_is_standard_tx(const struct policy_params *p, const struct tx *tx, const char **reason);

/* "tx-size-small": stripped size below MIN_STANDARD_TX_NONWITNESS_SIZE (Core's
 * PreChecks). True when the size is fine. */
__attribute__((warn_unused_result)) bool policy_check_tx_size_small(const struct tx *tx,
                                                                    const char **reason);

/* "bad-txns-too-many-sigops": sigop cost above MAX_STANDARD_TX_SIGOPS_COST. */
__attribute__((warn_unused_result)) bool policy_check_sigops(uint64_t sigop_cost,
                                                             const char **reason);

/* ---- Dust ---- */

/* Core's GetDustThreshold: the fee, at dust_relay_fee sat/kvB, of the output plus an
 * input spending it (148 bytes, or 67 virtual bytes for a witness program). 0 for an
 * unspendable output. With 3000 sat/kvB: P2PKH 546, P2SH 540, P2WPKH 294, P2WSH and
 * P2TR 330. */
int64_t policy_dust_threshold(const struct tx_out *out, int64_t dust_relay_fee);
/* value below the dust threshold. */
bool policy_is_dust(const struct tx_out *out, int64_t dust_relay_fee);
/* Number of dust outputs of tx. */
size_t policy_dust_count(const struct tx *tx, int64_t dust_relay_fee);
/* Core's PreCheckEphemeralTx: a transaction with a dust output must pay no fee (base or
 * modified), or "dust". */
__attribute__((warn_unused_result)) bool
policy_check_ephemeral_dust(const struct policy_params *p, const struct tx *tx,
                            int64_t base_fee, int64_t modified_fee, const char **reason);

/* ---- Inputs ---- */

/* Core's AreInputsStandard. spent_outputs has tx->vin_count entries, the output each
 * input spends (borrowed). Fails with "bad-txns-nonstandard-inputs" when an input
 * spends a nonstandard or unknown-witness-version output, or a P2SH output whose
 * scriptSig does not evaluate to a redeem script of at most MAX_P2SH_SIGOPS accurate
 * sigops. A coinbase passes (spent_outputs may then be NULL). Allocates temporaries. */
__attribute__((warn_unused_result)) bool
policy_are_inputs_standard(const struct tx *tx, const struct tx_out *spent_outputs,
                           const char **reason);

/* Core's IsWitnessStandard, failing with "bad-witness-nonstandard": a witness only on
 * witness programs (P2SH-wrapped ones included) and never on P2A; P2WSH scripts of at
 * most 3600 bytes with at most 100 further items of at most 80 bytes; no Taproot annex;
 * tapscript stack items of at most 80 bytes. Inputs without witness are skipped; a
 * coinbase passes. spent_outputs as above. */
__attribute__((warn_unused_result)) bool
policy_is_witness_standard(const struct tx *tx, const struct tx_out *spent_outputs,
                           const char **reason);

/* ---- Sizes and fees ---- */

/* Core's GetVirtualTransactionSize: weight, or sigop_cost * bytes_per_sigop when that
 * is larger, divided by 4 rounding up. */
int64_t policy_virtual_size(int64_t weight, int64_t sigop_cost, uint32_t bytes_per_sigop);
int64_t policy_tx_virtual_size(const struct tx *tx, int64_t sigop_cost,
                               uint32_t bytes_per_sigop);

/* Core's CFeeRate::GetFee: rate (sat/kvB) times size / 1000 rounded up, and at least 1
 * satoshi (-1 for a negative rate) for a non-empty size. Saturates at INT64_MAX /
 * INT64_MIN instead of overflowing. */
int64_t feerate_get_fee(int64_t sat_per_kvb, int64_t size);
/* Core's CFeeRate(fee, size): fee * 1000 / size, truncated; 0 for size 0. */
int64_t feerate_from_fee(int64_t fee, int64_t size);

/* Core's CheckFeeRate: "mempool min fee not met" when fee is below the mempool's
 * current minimum (mempool_min_fee sat/kvB, 0 when the pool is not full) for vsize,
 * then "min relay fee not met" when below p->min_relay_fee. On failure *reason gets the
 * reason and debug (optional, debug_size bytes) Core's detail "<fee> < <required>". */
__attribute__((warn_unused_result)) bool
policy_check_fee_rate(const struct policy_params *p, int64_t mempool_min_fee, int64_t vsize,
                      int64_t fee, const char **reason, char *debug, size_t debug_size);

/* BIP125: some input has a sequence at most 0xfffffffd. */
bool policy_signals_rbf(const struct tx *tx);

/* ---- Script failures ---- */

/* Core's reason for a script failure in the mempool: "mandatory-script-verify-flag-failed
 * (<message>)" when the input also fails under MANDATORY_SCRIPT_VERIFY_FLAGS, else
 * "non-mandatory-script-verify-flag (<message>)", with script_error_string's message.
 * Writes a NUL-terminated string into buf (truncated to size) and returns buf. */
const char *policy_script_error_reason(char *buf, size_t size, bool mandatory,
                                       enum script_error err);

#endif
