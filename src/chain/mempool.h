/* The transaction memory pool: unconfirmed transactions that passed the node's
 * consensus and relay-policy checks, waiting to be mined.
 *
 * Behaviour, defaults and reject reasons are Bitcoin Core 29.0's (doc/mempool.md lists
 * them). The pool keeps, for every entry, its in-pool parents and children and the
 * ancestor and descendant totals (count, virtual size, modified fees, sigop cost),
 * maintained incrementally on every insertion and removal. Indexes:
 *   - by txid and by wtxid: chained hash maps keyed with SipHash under a key given at
 *     creation (so peers cannot craft collisions);
 *   - by outpoint spent: outpoint -> spending entry, for conflicts and RBF;
 *   - by descendant score: a binary min-heap (O(log n) insert, remove and re-key) that
 *     names the package to evict first when the pool is over -maxmempool;
 *   - by ancestor score: computed on demand (mempool_sorted_by_ancestor_score, O(n log n))
 *     for block templates.
 * Ancestor and descendant walks are breadth-first with a per-pool epoch mark, so each is
 * linear in the size of the set walked; acceptance bounds those sets by the package
 * limits (25 transactions by default).
 *
 * A pool is not thread-safe: the caller holds its lock (Core's cs_main + mempool.cs)
 * around every call. Nothing here reads the clock: the caller passes the time. */
#ifndef IOP_CHAIN_MEMPOOL_H
#define IOP_CHAIN_MEMPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/blockindex.h"
#include "chain/coins.h"
#include "chain/policy.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/tx.h"

#define MEMPOOL_WU __attribute__((warn_unused_result))

/* Height given to coins created by pool transactions (Core's MEMPOOL_HEIGHT). */
#define MEMPOOL_HEIGHT 0x7fffffff
/* Version of mempool.dat written by mempool_dump. */
#define MEMPOOL_DUMP_VERSION 1
/* Core's EXTRA_DESCENDANT_TX_SIZE_LIMIT: largest transaction the CPFP carve-out admits. */
#define MEMPOOL_CARVEOUT_MAX_VSIZE 10000
/* TRUC (BIP431): version, largest transaction, largest child of an unconfirmed parent. */
#define MEMPOOL_TRUC_VERSION         3
#define MEMPOOL_TRUC_MAX_VSIZE       10000
#define MEMPOOL_TRUC_CHILD_MAX_VSIZE 1000
/* Core's ROLLING_FEE_HALFLIFE, seconds. */
#define MEMPOOL_ROLLING_FEE_HALFLIFE (60 * 60 * 12)

struct mempool;
struct mempool_spend; /* internal: outpoint index node */

/* One pool transaction. Everything is read-only for callers; the pool owns the entry
 * and frees it on removal, so pointers are valid until the pool is next modified. */
struct mempool_entry {
    struct tx tx; /* owned */
    uint256 txid;
    uint256 wtxid;
    int64_t fee;          /* inputs minus outputs */
    int64_t modified_fee; /* fee plus the prioritisation delta */
    int64_t vsize;        /* sigop-adjusted virtual size */
    int64_t weight;
    int64_t time;   /* entry time, UNIX seconds */
    int32_t height; /* chain height when it entered */
    bool spends_coinbase;
    int64_t sigop_cost;
    size_t usage; /* estimated heap bytes of the entry and its index nodes */
    /* Totals over the entry and all its in-pool ancestors / descendants. */
    uint64_t count_with_ancestors;
    int64_t size_with_ancestors;
    int64_t mod_fees_with_ancestors;
    int64_t sigops_with_ancestors;
    uint64_t count_with_descendants;
    int64_t size_with_descendants;
    int64_t mod_fees_with_descendants;
    /* Internal links: direct in-pool parents and children. */
    struct mempool_entry **parents;
    size_t parent_count, parent_cap;
    struct mempool_entry **children;
    size_t child_count, child_cap;
    /* Internal bookkeeping. */
    uint64_t epoch;
    size_t heap_pos;
    bool staged;
    struct mempool_entry *next_txid, *next_wtxid;
    struct mempool_spend *spends; /* one per input */
};

/* Why entries left the pool (Core's MemPoolRemovalReason). */
enum mempool_removal_reason {
    MEMPOOL_REMOVED_EXPIRY,
    MEMPOOL_REMOVED_SIZELIMIT,
    MEMPOOL_REMOVED_REORG,
    MEMPOOL_REMOVED_BLOCK,
    MEMPOOL_REMOVED_CONFLICT,
    MEMPOOL_REMOVED_REPLACED,
};
/* "expiry", "sizelimit", "reorg", "block", "conflict", "replaced". */
const char *mempool_removal_reason_name(enum mempool_removal_reason r);

/* Called for each entry leaving the pool, before it is freed (fee estimation, wallet
 * notifications, logging). Must not modify the pool. */
typedef void (*mempool_removal_fn)(void *ctx, const struct mempool_entry *e,
                                   enum mempool_removal_reason why);

/* A new empty pool with policy *p (copied; policy_params_default for Core's defaults)
 * and the SipHash key (k0, k1) of its indexes (random per node). NULL on out of
 * memory. */
struct mempool *mempool_new(const struct policy_params *p, uint64_t k0, uint64_t k1);
/* Frees the pool and every entry (no removal callbacks); NULL is a no-op. */
void mempool_free(struct mempool *pool);
/* Sets (or clears, fn NULL) the removal callback. */
void mempool_set_removal_hook(struct mempool *pool, mempool_removal_fn fn, void *ctx);

/* Called for each transaction mempool_accept added (not with test_accept), once it
 * stayed in the pool (after trimming), with the entry. valid_fee_estimate is Core's
 * validForFeeEstimation without the chain part: false for bypass_limits (reorg re-adds,
 * mempool.dat) and for transactions with in-pool parents; the caller adds "the chain is
 * current". Must not modify the pool. */
typedef void (*mempool_addition_fn)(void *ctx, const struct mempool_entry *e,
                                    bool valid_fee_estimate);
/* Sets (or clears, fn NULL) the addition callback. */
void mempool_set_addition_hook(struct mempool *pool, mempool_addition_fn fn, void *ctx);

/* Core's mempool sequence number (getrawmempool mempool_sequence): 1 for a new pool,
 * then one more for every transaction added and every one removed, whatever the reason
 * (block, conflict, eviction, ...). */
uint64_t mempool_sequence(const struct mempool *pool);

struct sig_cache_hook;
struct script_cache;
/* Lets acceptance fill the chainstate's caches so a transaction verified here is not
 * verified again when a block confirms it: signatures go through sig_hook (use
 * sigcache_mempool_hook), and after a second check with consensus_flags (the flags the
 * next block will be validated with; Core's ConsensusScriptChecks) the wtxid is added to
 * script_cache. Any argument may be NULL. Borrowed: they must outlive the pool. Flags
 * that later differ from a block's only cost cache misses, never a wrong verdict. */
void mempool_set_script_caches(struct mempool *pool, const struct sig_cache_hook *sig_hook,
                               struct script_cache *script_cache, uint32_t consensus_flags);
/* The pool's policy (borrowed). */
const struct policy_params *mempool_policy(const struct mempool *pool);

/* ---- Acceptance ---- */

/* The chain the pool is checked against. tip is the active tip (read for BIP68 sequence
 * locks: its height, prev links and times); height is tip's height; median_time_past
 * tip's MTP (lock-time reference, BIP113); now the current time (entry time, rolling
 * minimum fee). tip may be NULL only when no input has a BIP68 relative lock time. */
struct mempool_chain_tip {
    int32_t height;
    int64_t median_time_past;
    const struct block_index *tip;
    int64_t now;
};

struct mempool_accept_options {
    bool bypass_limits; /* skip fee minimums and size trimming (reorg re-adds, loads) */
    bool test_accept;   /* check everything, change nothing (testmempoolaccept) */
    /* testmempoolaccept's maxfeerate, sat/kvB: a transaction that passes every check but
     * pays more is "max-fee-exceeded". 0: no limit. */
    int64_t max_fee_rate;
    int64_t fee_delta;  /* prioritisetransaction delta added to the modified fee */
    int64_t entry_time; /* 0: tip->now */
};

/* How a transaction failed (Core's TxValidationResult, reduced). */
enum mempool_result_kind {
    MEMPOOL_ACCEPTED = 0,
    MEMPOOL_RESULT_CONSENSUS,      /* invalid under consensus rules */
    MEMPOOL_RESULT_POLICY,         /* nonstandard (TX_NOT_STANDARD) */
    MEMPOOL_RESULT_MISSING_INPUTS, /* inputs unknown: may be an orphan */
    MEMPOOL_RESULT_PREMATURE,      /* not final yet, BIP68, immature coinbase spend */
    MEMPOOL_RESULT_ALREADY_KNOWN,  /* already in the pool */
    MEMPOOL_RESULT_CONFLICT,       /* outputs already in the chain's coins */
    MEMPOOL_RESULT_MEMPOOL_POLICY, /* fees, chain limits, RBF rules, pool full */
    MEMPOOL_RESULT_ERROR,          /* out of memory or a coins database read error */
};

#define MEMPOOL_DEBUG_SIZE 400

struct mempool_accept_result {
    enum mempool_result_kind kind;
    /* Core's reject string, "" when accepted. Static, except a script failure's reason,
     * which lives in the pool until its next mempool_accept call. */
    const char *reason;
    /* Core's detail ("tx ... spends ...", "<fee> < <min>"), may be "". */
    char debug[MEMPOOL_DEBUG_SIZE];
    uint256 txid, wtxid;
    int64_t vsize;        /* set once known (also on late failures) */
    int64_t fee;          /* base fee, set once inputs were found */
    int64_t modified_fee; /* fee + delta */
    /* Transactions this one replaced (or would, with test_accept): malloc'd, free with
     * mempool_accept_result_clear. */
    uint256 *replaced;
    size_t replaced_count;
};

void mempool_accept_result_clear(struct mempool_accept_result *r);
/* What testmempoolaccept shows as reject-reason: "missing-inputs" for
 * MEMPOOL_RESULT_MISSING_INPUTS (Core's RPC wording), else r->reason. */
const char *mempool_result_rpc_reason(const struct mempool_accept_result *r);

/* Core's AcceptToMemoryPool for a single transaction (copied on success), checked in
 * Core's order against the pool and chain's coins (whose cache may grow by the coins
 * looked up). Returns true when accepted (or would be, with test_accept); *res
 * (required) is filled either way, and must be cleared with
 * mempool_accept_result_clear. Accepting may evict replaced transactions and, unless
 * bypass_limits, trims the pool to -maxmempool, which may evict the transaction itself
 * ("mempool full"). */
MEMPOOL_WU bool mempool_accept(struct mempool *pool, const struct tx *tx,
                               const struct mempool_chain_tip *tip, struct coins_cache *chain,
                               const struct mempool_accept_options *opts,
                               struct mempool_accept_result *res);

/* ---- Coins view over the pool (Core's CCoinsViewMemPool) ---- */

/* The unspent output at op as the pool sees it: an output of a pool transaction
 * (height MEMPOOL_HEIGHT, not coinbase), else the chain's coin. Outputs spent by pool
 * transactions are still returned (as Core). *out must own nothing; true when found
 * (then *out owns a copy). */
MEMPOOL_WU bool mempool_view_get_coin(struct mempool *pool, struct coins_cache *chain,
                                      const struct outpoint *op, struct coin *out);

/* ---- Size limit, minimum fee, expiry ---- */

/* Core's GetMinFee: the rolling minimum fee rate (sat/kvB) a transaction must pay to
 * enter, 0 when the pool has not been full recently. Decays with a 12-hour half-life
 * (shorter while the pool is below half / a quarter of the limit) after a block. */
int64_t mempool_min_fee(struct mempool *pool, int64_t now);
/* Evicts lowest-descendant-score packages until the usage is at most limit_bytes,
 * raising the rolling minimum fee; returns the number of transactions removed. */
size_t mempool_trim_to_size(struct mempool *pool, size_t limit_bytes);
/* Removes transactions (with their descendants) that entered before
 * now - -mempoolexpiry hours; returns how many were removed. */
size_t mempool_expire(struct mempool *pool, int64_t now);

/* ---- Blocks ---- */

/* A block was connected at height: removes its transactions (their in-pool children
 * stay, with ancestor totals updated), then pool transactions that conflict with it
 * (with descendants). Lets the rolling minimum fee decay from now on. */
void mempool_remove_for_block(struct mempool *pool, const struct block *block, int32_t height,
                              int64_t now);

/* Blocks were disconnected (Core's MaybeUpdateMempoolForReorg). txs are their
 * transactions, parents before children (oldest disconnected block first, each in block
 * order); coinbases are skipped. Each is re-accepted with bypass_limits (a failure
 * removes pool transactions spending it), in-pool descendants are re-linked, then
 * entries no longer final, not BIP68-final or spending immature coinbase outputs at the
 * new tip are removed, and the pool is trimmed to size. tip, chain: the new tip and its
 * coins. Returns the number of transactions re-added. */
size_t mempool_readd_disconnected(struct mempool *pool, const struct tx *txs, size_t count,
                                  const struct mempool_chain_tip *tip,
                                  struct coins_cache *chain);

/* Removes txid and all its descendants (reason given); returns the number removed. */
size_t mempool_remove_recursive(struct mempool *pool, const uint256 *txid,
                                enum mempool_removal_reason why);

/* ---- Queries ---- */

struct mempool_info {
    size_t size;                   /* transactions */
    int64_t bytes;                 /* sum of virtual sizes */
    size_t usage;                  /* estimated memory use */
    int64_t total_fee;             /* sum of base fees, sat */
    size_t max_mempool;            /* -maxmempool, bytes */
    int64_t mempool_min_fee;       /* max(rolling minimum, -minrelaytxfee), sat/kvB */
    int64_t min_relay_fee;         /* sat/kvB */
    int64_t incremental_relay_fee; /* sat/kvB */
};
void mempool_get_info(struct mempool *pool, int64_t now, struct mempool_info *info);

size_t mempool_size(const struct mempool *pool);
size_t mempool_usage(const struct mempool *pool);
const struct mempool_entry *mempool_get(const struct mempool *pool, const uint256 *txid);
const struct mempool_entry *mempool_get_by_wtxid(const struct mempool *pool,
                                                 const uint256 *wtxid);
bool mempool_exists(const struct mempool *pool, const uint256 *txid);
/* The pool transaction spending op, or NULL. */
const struct mempool_entry *mempool_spender(const struct mempool *pool,
                                            const struct outpoint *op);
/* All txids (malloc'd array, caller frees; NULL with *count 0 when empty). False on out
 * of memory. */
MEMPOOL_WU bool mempool_txids(const struct mempool *pool, uint256 **out, size_t *count);
/* In-pool ancestors / descendants of e, e excluded (malloc'd array of borrowed
 * pointers, caller frees). False on out of memory. */
MEMPOOL_WU bool mempool_ancestors(struct mempool *pool, const struct mempool_entry *e,
                                  const struct mempool_entry ***out, size_t *count);
MEMPOOL_WU bool mempool_descendants(struct mempool *pool, const struct mempool_entry *e,
                                    const struct mempool_entry ***out, size_t *count);
/* Every entry, best ancestor score first (Core's CompareTxMemPoolEntryByAncestorFee:
 * min(own fee rate, ancestor package fee rate), ties by txid), for block templates.
 * O(n log n). Malloc'd array of borrowed pointers, caller frees. */
MEMPOOL_WU bool mempool_sorted_by_ancestor_score(const struct mempool *pool,
                                                 const struct mempool_entry ***out,
                                                 size_t *count);
/* Checks every index and total against a recomputation (tests; O(n * package)). */
bool mempool_check_consistency(struct mempool *pool, char *why, size_t why_size);

/* ---- Persistence (mempool.dat) ----
 *
 * Format (little-endian): "IOPMPOOL" (8 bytes), u32 version (1), u64 record count, then
 * per record: u32 length L, L bytes of record (the transaction serialized with witness,
 * i64 entry time, i64 fee delta), u32 checksum (first 4 bytes of SHA256d of the record).
 * Written to <path>.new, fsynced, renamed over path, and the directory fsynced. */

/* Writes every entry in pool (dependency order: parents first). False with *err
 * (malloc'd) on an I/O error; an existing file is then untouched. */
MEMPOOL_WU bool mempool_dump(const struct mempool *pool, const char *path, char **err);

/* Parses one record starting at data[0..len): on success *tx (owning nothing on entry)
 * owns the transaction, *time and *fee_delta are set and *consumed is the record's
 * total size (length, body and checksum). False on truncated, oversized, mis-checksummed
 * or unparsable input (then *tx owns nothing). For fuzzing. */
MEMPOOL_WU bool mempool_parse_record(const uint8_t *data, size_t len, struct tx *tx,
                                     int64_t *time, int64_t *fee_delta, size_t *consumed);

/* Called for each loaded transaction; returns whether it was accepted. */
typedef bool (*mempool_load_fn)(void *ctx, const struct tx *tx, int64_t time,
                                int64_t fee_delta);

struct mempool_load_stats {
    uint64_t expected; /* count in the header */
    uint64_t read;     /* records parsed */
    uint64_t accepted;
    uint64_t failed;           /* parsed but not accepted */
    uint64_t expired;          /* mempool_load_accept: older than -mempoolexpiry, skipped */
    bool truncated_or_corrupt; /* stopped early on a bad record */
};

/* Reads path and hands each record to fn (which usually calls mempool_accept with
 * bypass_limits and the record's time and delta, dropping expired ones). A missing file
 * is not an error (true, all zero). A bad header is false with *err; a corrupt or
 * truncated body stops there: true with stats->truncated_or_corrupt and *err (malloc'd)
 * describing where. Never trusts the header's count for allocation. */
MEMPOOL_WU bool mempool_load(const char *path, mempool_load_fn fn, void *ctx,
                             struct mempool_load_stats *stats, char **err);

/* Core's LoadMempool on top of mempool_load: each record younger than -mempoolexpiry at
 * tip->now is accepted into pool with bypass_limits, its entry time and fee delta;
 * older ones count as expired (and failed). Same return and *err as mempool_load. */
MEMPOOL_WU bool mempool_load_accept(struct mempool *pool, const char *path,
                                    const struct mempool_chain_tip *tip,
                                    struct coins_cache *chain, struct mempool_load_stats *stats,
                                    char **err);

#endif
