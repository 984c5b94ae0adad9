/* Sending: building, funding, signing and committing wallet transactions (Bitcoin Core's
 * wallet/spend.cpp and feebumper.cpp, for our three descriptor types).
 *
 * spend_create turns recipients into a signed transaction:
 *   1. fee rate: the request's fee_rate, else the wallet's settxfee / -paytxfee, else
 *      the estimator for conf_target (default -txconfirmtarget), else -fallbackfee (0
 *      disables it: "Fee estimation failed"); estimates are raised to the mempool's
 *      minimum, and everything to max(-mintxfee, -minrelaytxfee) ("Minimum Required
 *      Fee"); an explicit fee_rate below that is an error, as in Core;
 *   2. coins: the wallet's unspent, mature, unlocked outputs; confirmed ones first (with
 *      at least minconf confirmations), then, with -spendzeroconfchange, unconfirmed
 *      ones the wallet trusts (its own change in the mempool); preset inputs always;
 *   3. selection by coinselection.h at effective values, with a change output on a
 *      fresh change address of Core's TransactionChangeType (bech32m when a recipient
 *      is P2TR, else bech32 for P2WPKH, legacy for P2PKH, else bech32m), dropped when
 *      below the minimum viable change;
 *   4. size: the transaction is measured with maximum-size dummy signatures (72-byte
 *      ECDSA, 64-byte Schnorr) before signing, the fee is rate x vsize, the change (or,
 *      with subtract_fee, the marked recipients) absorb the difference;
 *   5. signing: P2PKH (legacy sighash), P2WPKH (BIP143), P2TR key path (BIP341 with the
 *      BIP86 tweak, SIGHASH_DEFAULT), keys from the wallet's descriptors, ECDSA ground
 *      to a low R as Core does; every input is then verified under the standard script
 *      flags. Keys are wiped after use.
 * Inputs signal BIP125 replaceability (nSequence 0xfffffffd) unless the request or
 * -walletrbf say otherwise (then 0xfffffffe); nLockTime is the tip height (Core's
 * anti-fee-sniping) unless given; inputs and outputs are shuffled, change at a random
 * position unless one is asked for.
 *
 * spend_commit checks the transaction against the mempool, records it in the wallet
 * (durably, before it is announced), submits it and has node->relay_tx announce it.
 *
 * Locks: the caller holds node->lock, then the wallet's lock (wallet_rpc.h's order).
 * spend_commit and spend_resubmit release the wallet's lock while the mempool accepts the
 * transaction (its hook locks the wallet to record it) and take it again before
 * returning; node->lock stays held throughout, so nothing else can spend the same coins.
 *
 * Errors carry Core's messages; no key or secret ever reaches one. */
#ifndef IOP_WALLET_SPEND_H
#define IOP_WALLET_SPEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/node_context.h"
#include "consensus/address.h"
#include "consensus/tx.h"
#include "wallet/wallet.h"

#define SPEND_WU __attribute__((warn_unused_result))

struct fee_estimator;

/* Core's wallet defaults (sat/kvB unless said otherwise). */
#define SPEND_DEFAULT_FALLBACK_FEE    0
#define SPEND_DEFAULT_DISCARD_FEE     10000
#define SPEND_DEFAULT_MIN_TX_FEE      1000
#define SPEND_DEFAULT_CONSOLIDATE_FEE 10000
#define SPEND_DEFAULT_MAX_TX_FEE      (COIN / 10) /* sat: 0.1 IOP */
#define SPEND_DEFAULT_CONFIRM_TARGET  6
/* Core's HIGH_TX_FEE_PER_KB: -fallbackfee/-paytxfee above it draw a warning. */
#define SPEND_HIGH_TX_FEE_PER_KB (COIN / 100)

/* Node-wide sending options; iopd.c fills them from its options. */
struct spend_options {
    int64_t fallback_fee;    /* -fallbackfee; 0 disables the fallback */
    int64_t pay_tx_fee;      /* -paytxfee; 0: estimate (settxfee overrides per wallet) */
    int64_t max_tx_fee;      /* -maxtxfee, sat: no transaction pays more in fees */
    int64_t discard_fee;     /* -discardfee: change worth less than spending it is dropped */
    int64_t min_tx_fee;      /* -mintxfee: the wallet's floor */
    int64_t consolidate_fee; /* -consolidatefeerate: the long-term rate of coin selection */
    int confirm_target;      /* -txconfirmtarget */
    bool signal_rbf;         /* -walletrbf */
    bool spend_zero_conf_change; /* -spendzeroconfchange */
    bool broadcast;              /* -walletbroadcast: false keeps new transactions local */
    int change_type;             /* -changetype: an enum wallet_addr_type, -1: Core's rule */
    /* The node's estimator (borrowed; read with node->lock held). NULL: no estimates,
     * the fallback fee applies. */
    struct fee_estimator *fee_estimator;
};
/* Core's defaults: fallback 0, paytxfee 0, maxtxfee 0.1, discard 10 sat/vB, mintxfee
 * 1 sat/vB, consolidate 10 sat/vB, target 6, RBF on, zero-conf change on, broadcast on. */
void spend_options_default(struct spend_options *o);

struct spend_recipient {
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t script_len;
    int64_t amount;
    bool subtract_fee; /* pays a share of the fee */
};

enum spend_estimate_mode {
    SPEND_MODE_UNSET = 0,
    SPEND_MODE_ECONOMICAL,
    SPEND_MODE_CONSERVATIVE
};

struct spend_request {
    const struct spend_recipient *recipients;
    size_t nrecipients;
    /* Fee: fee_rate (sat/kvB) when has_fee_rate, else conf_target (0: the default). */
    bool has_fee_rate;
    int64_t fee_rate;
    int conf_target;
    enum spend_estimate_mode estimate_mode;
    int replaceable;  /* -1: -walletrbf (an explicit fee rate means true), 0, 1 */
    int minconf;      /* coins need this many confirmations (0: Core's trusted rules) */
    bool avoid_reuse; /* skip coins of reused addresses */
    /* Preset inputs (send's "inputs", bumpfee): always spent. add_inputs: the wallet may
     * add more. */
    const struct outpoint *inputs;
    size_t ninputs;
    bool add_inputs;
    /* Change script (send's change_address, bumpfee), else a fresh change address. */
    const uint8_t *change_script;
    size_t change_script_len;
    int change_position; /* -1: random */
    int change_type;     /* send's change_type: an enum wallet_addr_type, -1: the option's */
    bool has_locktime;
    uint32_t locktime;
    /* bumpfee: the transaction being replaced; its outputs are not spent. */
    const uint256 *replacing;
    /* walletcreatefundedpsbt: fund and measure but do not sign; the result's inputs then
     * carry maximum-size dummy signatures (psbt_from_tx drops them). Needs neither
     * private keys nor an unlocked wallet. */
    bool no_sign;
};

/* Core's FeeReason strings. */
enum spend_fee_reason {
    SPEND_FEE_NONE = 0,
    SPEND_FEE_ESTIMATE,
    SPEND_FEE_MEMPOOL_MIN,
    SPEND_FEE_PAYTXFEE,
    SPEND_FEE_FALLBACK,
    SPEND_FEE_REQUIRED,
};
const char *spend_fee_reason_name(enum spend_fee_reason r);

struct spend_result {
    struct tx tx; /* signed; owned (spend_result_clear) */
    uint256 txid;
    int64_t fee;
    int64_t fee_rate; /* sat/kvB used */
    int change_pos;   /* -1: no change */
    enum spend_fee_reason fee_reason;
};
void spend_result_clear(struct spend_result *r);

enum spend_error {
    SPEND_OK = 0,
    SPEND_ERR_INSUFFICIENT_FUNDS, /* "Insufficient funds" */
    SPEND_ERR_UNLOCK_NEEDED,      /* the wallet is locked (-13) */
    SPEND_ERR_CREATE,             /* other creation errors: Core's message in err */
    SPEND_ERR_REJECTED,           /* the mempool refused it: reason in err (-26) */
    SPEND_ERR_FAILED,             /* database, out of memory, internal (-4) */
};

/* Builds and signs a transaction for req (see the top). node->lock and the wallet's lock
 * held; node->chainstate and node->mempool must be set. On success *out owns the
 * transaction (which is not yet recorded or broadcast). err gets Core's message. */
SPEND_WU enum spend_error spend_create(struct wallet *w, struct node_context *node,
                                       const struct spend_options *opt,
                                       const struct spend_request *req,
                                       struct spend_result *out, char *err, size_t errlen);

/* Test-accepts tx into the mempool (unless !opt->broadcast), records it in the wallet,
 * then submits and relays it. Locks as described at the top. SPEND_ERR_REJECTED with
 * the mempool's reason ("min relay fee not met, ...") when it would not enter; then
 * nothing is recorded. */
SPEND_WU enum spend_error spend_commit(struct wallet *w, struct node_context *node,
                                       const struct spend_options *opt, const struct tx *tx,
                                       char *err, size_t errlen);

/* Submits the wallet's unconfirmed transactions that are neither in the mempool nor
 * abandoned (after a restart), as Core's ResubmitWalletTransactions; nothing with
 * !opt->broadcast. Locks as spend_commit. Returns how many entered the mempool. */
size_t spend_resubmit(struct wallet *w, struct node_context *node,
                      const struct spend_options *opt);

/* ---- bumpfee ---- */

struct bumpfee_request {
    bool has_fee_rate;
    int64_t fee_rate; /* sat/kvB */
    int conf_target;
    enum spend_estimate_mode estimate_mode;
    bool replaceable;
};

enum bumpfee_error {
    BUMPFEE_OK = 0,
    BUMPFEE_ERR_NOT_FOUND,     /* -5 "Invalid or non-wallet transaction id" */
    BUMPFEE_ERR_INVALID,       /* -8: descendants, fee too low */
    BUMPFEE_ERR_WALLET,        /* -4: mined, not replaceable, already bumped, foreign inputs */
    BUMPFEE_ERR_UNLOCK_NEEDED, /* -13 */
    BUMPFEE_ERR_INSUFFICIENT,  /* -6 */
    BUMPFEE_ERR_REJECTED,      /* -26 */
    BUMPFEE_ERR_FAILED,        /* -4 */
};

/* Core's bumpfee: replaces wallet transaction txid (unconfirmed, in the mempool, all
 * inputs ours, no descendants) by one spending the same inputs (and more if needed)
 * to the same recipients at a higher fee rate (at least the old one plus the
 * incremental relay fee), taking the difference from the change, then commits it. *out
 * gets the replacement; *old_fee the original's fee. Locks as spend_commit. */
SPEND_WU enum bumpfee_error spend_bump_fee(struct wallet *w, struct node_context *node,
                                           const struct spend_options *opt, const uint256 *txid,
                                           const struct bumpfee_request *req,
                                           struct spend_result *out, int64_t *old_fee,
                                           char *err, size_t errlen);

/* ---- sizes (exposed for tests and fee reporting) ---- */

/* Weight of an input spending a wallet output of type t, with maximum-size
 * signatures: legacy 593, bech32 272, bech32m 230 (a legacy input's empty witness counts
 * one unit). */
int64_t spend_input_weight(enum wallet_addr_type t);

#endif
