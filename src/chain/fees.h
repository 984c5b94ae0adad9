/* Fee estimation: how high a fee rate a transaction needs to be confirmed within N
 * blocks, learnt from the transactions this node saw enter its mempool and the blocks
 * that confirmed them (Bitcoin Core's CBlockPolicyEstimator, same parameters, same
 * answers for the same history).
 *
 * Fee rates (sat/kvB) are grouped into 190 buckets whose bounds grow by 5% from 1,000
 * to 10,000,000 sat/kvB, plus one bucket above. Three sets of statistics, the horizons,
 * are kept over the same buckets, each counting per bucket, with exponential decay at
 * every block: how many transactions were confirmed within k periods, how many left
 * the mempool unconfirmed after k periods, how many were confirmed at all and the sum
 * of their fee rates; plus the transactions still waiting, by entry height.
 *
 *   horizon   periods x scale = targets   decay per block (half-life)
 *   short     12 x 1  =   12 blocks       0.962    (18 blocks)
 *   medium    24 x 2  =   48 blocks       0.9952   (144 blocks)
 *   long      42 x 24 = 1008 blocks       0.99931  (1008 blocks)
 *
 * An estimate for a target walks the buckets from the highest fee rate down, merging
 * buckets until each group has enough samples, and keeps the lowest group whose share
 * of transactions confirmed within the target stays above the success threshold (60%
 * for half the target, 85% for the target, 95% for twice the target); the answer is
 * the average fee rate of the bucket holding that group's median transaction.
 *
 * Feeding (the daemon calls these with its node lock held; nothing here locks, reads
 * the clock or logs): fees_tx_added for each transaction entering the mempool,
 * fees_block_connected when a block is connected (before the mempool drops the block's
 * transactions), fees_tx_removed for each transaction leaving the mempool for any
 * reason (a no-op for those the block already accounted for). Only transactions that
 * entered while the chain was current (fees_chain_is_current), at the estimator's
 * best height, without in-pool parents and not re-added from a reorg or mempool.dat
 * count. Blocks at or below the best height seen (reorgs) are ignored, as in Core.
 *
 * Persistence (fee_estimates.dat in the chain's data directory), little-endian:
 *   "IOPFEEST", u32 version (1), i64 time written, u32 best height,
 *   u32 historical first height, u32 historical best height, u32 bucket count,
 *   f64 bucket bounds...,
 *   per horizon (short, medium, long): f64 decay, u32 scale, u32 periods,
 *     f64 tx count per bucket, f64 fee rate sum per bucket,
 *     f64 confirmed[period][bucket], f64 failed[period][bucket],
 *   then the SHA-256 of everything before it (32 bytes).
 * Doubles are IEEE-754 bit patterns. Waiting transactions are not saved (Core's
 * FlushUnconfirmed counts them as failed before a save). A file that does not parse,
 * has another layout or fails its checksum is refused as a whole; one older than 60
 * hours is not used (Core's MAX_FILE_AGE). */
#ifndef IOP_CHAIN_FEES_H
#define IOP_CHAIN_FEES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/node_context.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "util/rpc_method.h"

#define FEES_WU __attribute__((warn_unused_result))

/* Core's constants. */
#define FEES_MIN_BUCKET_FEERATE 1000.0
#define FEES_MAX_BUCKET_FEERATE 1e7
#define FEES_SPACING            1.05
#define FEES_INF_FEERATE        1e99
#define FEES_HALF_SUCCESS_PCT   0.6
#define FEES_SUCCESS_PCT        0.85
#define FEES_DOUBLE_SUCCESS_PCT 0.95
/* Samples a group of buckets needs, in units of (1 - decay) (medium/long; short). */
#define FEES_SUFFICIENT_FEETXS    0.1
#define FEES_SUFFICIENT_TXS_SHORT 0.5
/* A saved file older than this (seconds) is not used. */
#define FEES_MAX_FILE_AGE (60 * 60 * 60)
/* The chain counts as current for estimation while its tip is at most this old. */
#define FEES_MAX_TIP_AGE (3 * 60 * 60)
/* Version of fee_estimates.dat written by fees_save. */
#define FEES_FILE_VERSION 1

enum fees_horizon {
    FEES_SHORT = 0,
    FEES_MEDIUM = 1,
    FEES_LONG = 2,
};
/* "short", "medium", "long". */
const char *fees_horizon_name(enum fees_horizon h);
/* The largest confirmation target a horizon answers for: 12, 48, 1008. */
unsigned fees_highest_target(enum fees_horizon h);

/* A range of buckets and what was counted in it (Core's EstimatorBucket). start and end
 * are fee rates in sat/kvB; start is -1 when the range is unused. */
struct fees_bucket_range {
    double start, end;
    double within_target, total_confirmed, in_mempool, left_mempool;
};

/* How an estimate was reached (Core's EstimationResult). */
struct fees_estimation {
    struct fees_bucket_range pass, fail;
    double decay;
    unsigned scale;
};

struct fee_estimator;

/* A new empty estimator; (k0, k1) keys the SipHash of its transaction table (random in
 * the node). NULL on out of memory. */
FEES_WU struct fee_estimator *fees_new(uint64_t k0, uint64_t k1);
/* NULL is a no-op. */
void fees_free(struct fee_estimator *est);

/* ---- Feeding ---- */

/* A transaction entered the mempool at chain height height, paying fee (sat) for vsize
 * virtual bytes. valid: it may count (the mempool's valid_fee_estimate and the chain
 * being current). Counted only when valid and height is the best height seen; a txid
 * already tracked is ignored. Out of memory only loses the sample. */
void fees_tx_added(struct fee_estimator *est, const uint256 *txid, int64_t fee, int64_t vsize,
                   int32_t height, bool valid);
/* A transaction left the mempool unconfirmed (evicted, replaced, expired, conflicted):
 * counted as failing for the targets it waited past. Unknown txids are ignored. */
void fees_tx_removed(struct fee_estimator *est, const uint256 *txid);
/* block was connected at height: ages the statistics one block and records, for each of
 * its tracked transactions, that it confirmed after (height - entry height) blocks. Call
 * it before the mempool removes the block's transactions. Heights at or below the best
 * seen are ignored (reorgs, side chains). */
void fees_block_connected(struct fee_estimator *est, int32_t height, const struct block *block);
/* Counts every transaction still waiting as failed and forgets it (Core's
 * FlushUnconfirmed, before saving at shutdown). */
void fees_flush_unconfirmed(struct fee_estimator *est);

/* Core's IsCurrentForFeeEstimation: not in initial download, the tip at most
 * FEES_MAX_TIP_AGE older than now and at most one block behind the best header. Call
 * with node->lock held; false while the chainstate is not open. */
bool fees_chain_is_current(struct node_context *node, int64_t now);

/* ---- Estimates ---- */

/* Core's estimateSmartFee: the fee rate (sat/kvB, rounded) to be confirmed within
 * conf_target blocks, 0 when there is not enough data. *returned_target (may be NULL)
 * is the target actually used: 1 becomes 2, and targets beyond half the blocks observed
 * (at most 1008) are lowered; conf_target itself when it is out of 1..1008 (then the
 * result is 0, as Core's estimateSmartFee leaves feeCalc). conservative adds
 * Core's conservative estimate (95% over twice the target in the longer horizons). */
int64_t fees_estimate_smart(const struct fee_estimator *est, int conf_target, bool conservative,
                            int *returned_target);
/* Core's estimateRawFee: the fee rate (sat/kvB) meeting threshold (0..1) within
 * conf_target in horizon h, 0 when none does or the target is outside 1..
 * fees_highest_target(h); *out (may be NULL) describes the pass and fail ranges. */
int64_t fees_estimate_raw(const struct fee_estimator *est, int conf_target, double threshold,
                          enum fees_horizon h, struct fees_estimation *out);
/* The best height seen (the last block counted). */
uint32_t fees_best_height(const struct fee_estimator *est);
/* Transactions currently tracked (in the mempool and counting). */
size_t fees_tracked(const struct fee_estimator *est);

/* ---- Persistence ---- */

/* Writes the statistics to path atomically (temporary file, fsync, rename), stamped
 * with now. False with *err (malloc'd) on an I/O error or out of memory. */
FEES_WU bool fees_save(const struct fee_estimator *est, const char *path, int64_t now,
                       char **err);
/* Replaces est's statistics by the file's (call it before feeding: the waiting counts
 * restart from zero). A missing file is not an error (true, est unchanged). False with *err
 * (malloc'd) when the file cannot be read, is corrupt (bad magic, version, layout, checksum,
 * values), or was written more than FEES_MAX_FILE_AGE before now; est is then unchanged. */
FEES_WU bool fees_load(struct fee_estimator *est, const char *path, int64_t now, char **err);
/* The file image fees_save writes (malloc'd, *len bytes) and its parser, for tests and
 * fuzzing; fees_parse leaves est unchanged on failure. */
FEES_WU uint8_t *fees_serialize(const struct fee_estimator *est, int64_t now, size_t *len);
FEES_WU bool fees_parse(struct fee_estimator *est, const uint8_t *data, size_t len, int64_t now,
                        char **err);

/* ---- RPC ----
 *
 * estimatesmartfee and estimaterawfee. The table's context is a struct fees_rpc_ctx:
 * est is set (with node->lock held) once the estimator exists and cleared before it is
 * freed; calls made without it get -32603 "Fee estimation disabled". */
struct fees_rpc_ctx {
    struct node_context *node;
    struct fee_estimator *est;
};
struct rpc_table fees_rpc_table(struct fees_rpc_ctx *ctx);

#endif
