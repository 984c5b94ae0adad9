/* Context-free checks of transactions and blocks (Core's CheckTransaction, CheckBlock
 * and the context-free parts of ContextualCheckBlock), and signature-operation
 * counting.
 *
 * "Context-free" means the checks need nothing but the data itself and the chain's
 * proof-of-work limit: no UTXO set, no height, no time. A block passing check_block can
 * still fail contextual validation (BIP34 height, lock times, spent inputs, scripts,
 * the full sigop cost).
 *
 * Reject reasons are Bitcoin Core's strings ("bad-txns-vin-empty", "bad-txnmrklroot",
 * ...), static and never freed, so the same text can reach logs, RPC and peers. */
#ifndef IOP_CONSENSUS_TX_CHECK_H
#define IOP_CONSENSUS_TX_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/tx.h"

/* ---- Transactions ---- */

/* Context-free transaction check (Core's CheckTransaction): inputs and outputs present,
 * stripped size within the block weight, output values and their sum within MAX_MONEY,
 * no input spent twice, a coinbase scriptSig of 2..100 bytes, no null prevout outside a
 * coinbase. Returns true when tx passes. On failure *reason (if reason is non-NULL)
 * points to Core's reject string ("bad-txns-vin-empty", ...); it is untouched on
 * success. Does not allocate except, for transactions with many inputs, a temporary
 * array for the duplicate check (falling back to a slower scan if that fails). */
bool check_transaction(const struct tx *tx, const char **reason);

/* ---- Signature operations ---- */

/* Legacy sigops (Core's GetLegacySigOpCount): CHECKSIGs and CHECKMULTISIGs (counted as
 * 20) in every scriptSig and scriptPubKey, without execution. */
uint64_t tx_legacy_sigop_count(const struct tx *tx);
/* P2SH sigops (Core's GetP2SHSigOpCount): for each input spending a P2SH output, the
 * accurate sigops of the redeem script (the last push of a push-only scriptSig).
 * spent_outputs holds the output each input spends, tx->vin_count entries (borrowed);
 * it is not read for a coinbase, which counts 0 and may pass NULL. */
uint64_t tx_p2sh_sigop_count(const struct tx *tx, const struct tx_out *spent_outputs);
/* The sigop cost of a transaction in a block (Core's GetTransactionSigOpCost): legacy
 * sigops times WITNESS_SCALE_FACTOR, plus, unless it is a coinbase, P2SH sigops times
 * WITNESS_SCALE_FACTOR when flags has SCRIPT_VERIFY_P2SH and the witness sigops of each
 * input (script_witness_sigop_count, which looks at SCRIPT_VERIFY_WITNESS).
 * spent_outputs as above. The block's total must not exceed MAX_BLOCK_SIGOPS_COST. */
uint64_t tx_sigop_cost(const struct tx *tx, const struct tx_out *spent_outputs, uint32_t flags);

/* ---- Blocks ---- */

/* How a block failed, in Core's terms; decides what the caller may conclude. */
enum block_check_kind {
    BLOCK_CHECK_OK = 0,
    /* The header is invalid (proof of work): the block hash itself is bad. */
    BLOCK_CHECK_INVALID_HEADER,
    /* The transactions do not match the header (merkle root, duplicated transactions,
     * witness data or commitment): the block as received was damaged or forged, but a
     * block with this header may still be valid, so do not mark the hash invalid. */
    BLOCK_CHECK_MUTATED,
    /* The block breaks a consensus rule: its hash is invalid for good. */
    BLOCK_CHECK_CONSENSUS,
    /* Out of memory: nothing is known about the block. */
    BLOCK_CHECK_ERROR,
};

#define BLOCK_CHECK_DEBUG_SIZE 160

/* The outcome of a block check. */
struct block_check_result {
    enum block_check_kind kind;
    /* Core's reject string, static; "" when valid. */
    const char *reason;
    /* Human-readable detail for logs ("hashMerkleRoot mismatch", the failing txid, ...),
     * NUL-terminated; "" when there is none. */
    char debug[BLOCK_CHECK_DEBUG_SIZE];
};

/* Which parts of check_block to run. */
#define CHECK_BLOCK_POW    (1u << 0) /* header hash meets its bits and pow_limit */
#define CHECK_BLOCK_MERKLE (1u << 1) /* merkle root matches, no CVE-2012-2459 mutation */
/* A witness commitment, if present, must match (segwit active). Without this flag any
 * witness data at all is "unexpected-witness". */
#define CHECK_BLOCK_WITNESS_COMMITMENT (1u << 2)
#define CHECK_BLOCK_ALL                (CHECK_BLOCK_POW | CHECK_BLOCK_MERKLE | CHECK_BLOCK_WITNESS_COMMITMENT)

/* Checks only the header's proof of work against pow_limit ("high-hash"). Returns true
 * when valid; res (required) is filled either way. */
__attribute__((warn_unused_result)) bool check_block_header(const struct block_header *h,
                                                            const uint256 *pow_limit,
                                                            struct block_check_result *res);

/* Context-free block check, in Core's order: proof of work ("high-hash"; with
 * CHECK_BLOCK_POW), merkle root ("bad-txnmrklroot", "bad-txns-duplicate"; with
 * CHECK_BLOCK_MERKLE), transaction count and stripped size ("bad-blk-length"),
 * coinbase first and only there ("bad-cb-missing", "bad-cb-multiple"), each
 * transaction (check_transaction's reason; the debug text names the txid), legacy
 * sigops ("bad-blk-sigops"), witness malleation ("bad-witness-nonce-size",
 * "bad-witness-merkle-match", "unexpected-witness") and weight ("bad-blk-weight").
 * pow_limit is the chain's largest allowed target; it is read only with CHECK_BLOCK_POW
 * and may be NULL without it. Returns true when the block passes; res (required) is
 * filled either way. Allocates only temporaries. */
__attribute__((warn_unused_result)) bool check_block(const struct block *b,
                                                     const uint256 *pow_limit, uint32_t flags,
                                                     struct block_check_result *res);

#endif
