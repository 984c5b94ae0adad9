/* Contextual transaction checks: lock-time finality, the inputs' coins (Core's
 * Consensus::CheckTxInputs) and BIP68 relative lock times (sequence locks).
 *
 * These sit between the context-free check_transaction (consensus/tx_check.h) and the
 * script checks: they need the UTXO set (a coins cache) and the block index, but they
 * write nothing. Block validation (validation.c) and the mempool both call them, so
 * the reject reasons are Bitcoin Core's strings (static, never freed) and reach the
 * log, the RPC error and the peer unchanged. */
#ifndef IOP_CHAIN_TXVERIFY_H
#define IOP_CHAIN_TXVERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/blockindex.h"
#include "chain/coins.h"
#include "consensus/tx.h"

#define TXV_WU __attribute__((warn_unused_result))

/* Blocks a coinbase output must wait before it can be spent (all profiles). */
#define COINBASE_MATURITY 100

/* Flags for tx_calculate_sequence_locks (Core's consensus/consensus.h values). */
#define LOCKTIME_VERIFY_SEQUENCE (1 << 0)

/* BIP68 fields of an input's nSequence. */
#define SEQUENCE_LOCKTIME_DISABLE_FLAG (1u << 31)
#define SEQUENCE_LOCKTIME_TYPE_FLAG    (1u << 22)
#define SEQUENCE_LOCKTIME_MASK         0x0000ffffu
#define SEQUENCE_LOCKTIME_GRANULARITY  9 /* time locks count units of 512 s */

/* True when amount is within [0, MAX_MONEY] (Core's MoneyRange). */
static inline bool money_range(int64_t amount) { return amount >= 0 && amount <= MAX_MONEY; }

/* Core's IsFinalTx: true when tx may be in a block at block_height whose lock-time
 * reference is block_time. A lock time below LOCKTIME_THRESHOLD (500,000,000) is a
 * height, otherwise a UNIX time; the transaction is final when its lock time is 0, lies
 * strictly below the reference, or every input has sequence SEQUENCE_FINAL. Block
 * validation passes the block's height and its parent's median time past (BIP113);
 * the mempool passes tip height + 1 and the tip's median time past. */
bool tx_is_final(const struct tx *tx, int32_t block_height, int64_t block_time);

/* Core's Consensus::CheckTxInputs for a non-coinbase transaction spending from cache at
 * spend_height (the height of the block that would contain it). Checks, in Core's
 * order, and stops at the first failure with *reason:
 *   "bad-txns-inputs-missingorspent"      an input's coin is not in cache (unspent);
 *   "bad-txns-premature-spend-of-coinbase" a coinbase output younger than
 *                                          COINBASE_MATURITY blocks;
 *   "bad-txns-inputvalues-outofrange"     a coin value or the running sum outside
 *                                          money_range;
 *   "bad-txns-in-belowout"                inputs worth less than the outputs;
 *   "bad-txns-fee-outofrange"             the fee outside money_range.
 * Output values must already have passed check_transaction. On success *fee (may be
 * NULL) is inputs minus outputs and *reason is untouched. Lookups may pull coins into
 * the cache (nothing is modified otherwise). A database read failure shows up as a
 * missing input: callers must test coins_cache_error(cache) before treating
 * "bad-txns-inputs-missingorspent" as the transaction's fault. reason may be NULL. */
TXV_WU bool check_tx_inputs(const struct tx *tx, struct coins_cache *cache,
                            int32_t spend_height, int64_t *fee, const char **reason);

/* Fills out_array[0..tx->vin_count) with shallow copies of the outputs tx's inputs
 * spend (value and a pointer to the script inside the cache's coin: BORROWED, valid
 * only until the cache is next modified). For tx_sigop_cost, sighash_precompute and
 * script checks that run before the block's coins are spent. Returns false (out_array
 * partly filled) when an input's coin is missing. Not for a coinbase. */
TXV_WU bool tx_get_spent_outputs(const struct tx *tx, struct coins_cache *cache,
                                 struct tx_out *out_array);

/* Core's CalculateSequenceLocks (BIP68). block is the block the transaction would be
 * in: the block being connected, or for the mempool a stack entry with prev = tip,
 * height = tip height + 1 (only its height and prev are read; its ancestors are
 * reached through prev, so it needs no skip pointer or hash). prev_heights[i] is, on
 * entry, the height of the coin input i spends; inputs whose sequence has the disable
 * flag are set to 0 on return (as Core). With flags lacking LOCKTIME_VERIFY_SEQUENCE or
 * a transaction version below 2 nothing is enforced. On return *min_height and
 * *min_time are the last height and median time past that do NOT yet satisfy the
 * locks (-1 for none). Returns false only when an ancestor is missing from the index
 * (a coin height above block's height: a caller bug or a corrupt coin), true
 * otherwise. */
TXV_WU bool tx_calculate_sequence_locks(const struct tx *tx, int flags, int32_t *prev_heights,
                                        const struct block_index *block, int32_t *min_height,
                                        int64_t *min_time);

/* Core's EvaluateSequenceLocks: true when block (prev must be set) satisfies the locks
 * computed above, i.e. min_height < block height and min_time < the median time past
 * of block->prev. */
bool tx_evaluate_sequence_locks(const struct block_index *block, int32_t min_height,
                                int64_t min_time);

#endif
