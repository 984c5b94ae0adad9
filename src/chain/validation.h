/* The chainstate: block files, block index and UTXO set of one data directory, and the
 * validation that moves blocks into it (Bitcoin Core's ChainstateManager/Chainstate in
 * one object).
 *
 * Blocks enter through chainstate_process_block (a block from a peer, a miner or a file)
 * or chainstate_process_header (headers first). Each block goes through Core's stages:
 *   1. header: proof of work, known valid parent, contextual header rules
 *      (bad-diffbits, time-too-old, time-too-new, bad-version(0x...)) -> BLOCK_VALID_TREE;
 *   2. block: check_block and the contextual block rules (bad-txns-nonfinal,
 *      bad-cb-height, witness commitment) -> written to blk*.dat, BLOCK_VALID_TRANSACTIONS;
 *   3. connect (when it is on the most-work chain): BIP30, inputs, sequence locks,
 *      sigops, scripts, coinbase amount -> undo data to rev*.dat, BLOCK_VALID_SCRIPTS.
 * chainstate_activate_best_chain (called by process_block) moves the tip to the
 * most-work valid block, disconnecting to the fork point and connecting forward; a block
 * that fails is marked BLOCK_FAILED_VALID, its descendants BLOCK_FAILED_CHILD, and the
 * chain falls back to the best valid candidate.
 *
 * Durability: block and undo data are appended as blocks arrive; chainstate_flush writes
 * block files (fsync), then the block index, then the coins with their best-block marker
 * (one atomic LevelDB batch each). After a crash at any moment the coins name a block the
 * index knows, and chainstate_open resumes from it and reconnects towards the best chain.
 *
 * Reject reasons are Bitcoin Core 29.0's strings. Nothing here writes to stdout or stderr;
 * progress and events reach the daemon through callbacks. One thread at a time: the
 * caller serialises calls (the daemon's chain lock). */
#ifndef IOP_CHAIN_VALIDATION_H
#define IOP_CHAIN_VALIDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/blockindex.h"
#include "chain/chainparams.h"
#include "chain/coins.h"
#include "consensus/block.h"

#define VAL_WU __attribute__((warn_unused_result))

/* Blocks may be at most this far (seconds) ahead of the node's adjusted time. */
#define MAX_FUTURE_BLOCK_TIME (2 * 60 * 60)
/* -dbcache default and minimum, MiB (Core's). */
#define DEFAULT_DB_CACHE_MIB 450
#define MIN_DB_CACHE_MIB     4

/* ---- Outcome of validating something ---- */

enum validation_kind {
    VALIDATION_OK = 0,
    /* Breaks a consensus rule: the block (hash) is invalid for good and is marked so. */
    VALIDATION_INVALID,
    /* The data did not match its header (merkle root, witness): the hash is not
     * marked invalid, a correct copy may still arrive. */
    VALIDATION_MUTATED,
    /* A header or block whose parent is unknown ("prev-blk-not-found"): not invalid,
     * just early. */
    VALIDATION_MISSING_PREV,
    /* System failure (I/O, out of memory, database corruption): nothing is known about
     * the block; the node should stop. */
    VALIDATION_ERROR,
};

struct validation_state {
    enum validation_kind kind;
    char reason[160]; /* Core's reject string ("bad-cb-amount"); "" when OK */
    char debug[200];  /* detail for logs ("coinbase pays too much (actual=..."); may be "" */
};

/* "" / OK. */
void validation_state_init(struct validation_state *st);

/* ---- Options ---- */

/* Progress of an import: blocks processed so far, the active height, and the rate. */
typedef void (*chainstate_progress_fn)(void *ctx, int32_t height, uint64_t blocks,
                                       double blocks_per_sec);

struct chainstate_options {
    const struct chain_params *params; /* the profile (copied) */
    /* -testactivationheight values ("segwit@300"), applied to the copy. */
    const char *const *test_activation;
    size_t test_activation_count;
    const char *datadir; /* the network's data directory (with its subdirectory) */
    size_t dbcache_mib;  /* -dbcache; 0 means DEFAULT_DB_CACHE_MIB */
    int par;             /* -par: script threads, 0 = one per core, < 0 leaves cores free */
    bool reindex;        /* -reindex: wipe index and chainstate, rebuild from blk files */
    uint32_t max_block_file_size; /* tests: smaller blk files; 0 = 128 MiB */
};

/* ---- Lifetime ---- */

struct chainstate;

/* Opens the data directory (creating datadir, blocks/, blocks/index and chainstate),
 * checks the profile's genesis block, loads the block index, adds and connects the
 * genesis block on first start, puts the tip at the coins' best block and connects
 * towards the best known chain (repairing a crash between flushes). With reindex the
 * block files are parked in blocks/reindex/, the undo files deleted, the index and
 * chainstate wiped; call chainstate_reindex next to rebuild them. Returns NULL
 * with a message in err[errlen] on failure. */
VAL_WU struct chainstate *chainstate_open(const struct chainstate_options *opt, char *err,
                                          size_t errlen);
/* Flushes everything (fsync) and frees; NULL is a no-op. A failed final flush loses only
 * what a crash would lose. */
void chainstate_close(struct chainstate *cs);
/* Makes everything durable in order: block/undo files (fsync when sync), block index,
 * coins with the best-block marker. False with err on an I/O error. */
VAL_WU bool chainstate_flush(struct chainstate *cs, bool sync, char *err, size_t errlen);

/* ---- Accepting data ---- */

/* Core's ProcessNewBlockHeaders for one header. now is the node's adjusted time (UNIX
 * seconds). On success *out (may be NULL) is the index entry. */
VAL_WU bool chainstate_process_header(struct chainstate *cs, const struct block_header *h,
                                      int64_t now, struct block_index **out,
                                      struct validation_state *st);

/* Core's ProcessNewBlock: checks the block, stores it, and activates the best chain.
 * Returns true when the block was accepted (stored; *is_new, may be NULL, says whether
 * it was new). A block that fails to CONNECT is still "accepted" here: st then holds the
 * connect failure, the block is marked failed and the tip stays on the best valid chain.
 * False with st on rejection (invalid, mutated, missing parent) or a system error. */
VAL_WU bool chainstate_process_block(struct chainstate *cs, const struct block *b, int64_t now,
                                     bool *is_new, struct validation_state *st);

/* Core's TestBlockValidity: would b be accepted as the next block on top of the active
 * tip? Runs, without storing or changing anything, the contextual header rules at time
 * now, check_block (proof of work only with check_pow, the merkle root and duplicate
 * transactions only with check_merkle, the witness commitment from SegWit on), the
 * contextual block rules and ConnectBlock against a temporary coins layer over the
 * tip's cache (which may grow by the coins read), and script checks whose signatures
 * are cached as the mempool's are. Nothing is marked failed. True when b is valid;
 * otherwise false with st: VALIDATION_INVALID or VALIDATION_MUTATED with Core's reason,
 * VALIDATION_MISSING_PREV "inconclusive-not-best-prevblk" when b's parent is not the
 * tip, VALIDATION_ERROR on a system error. */
VAL_WU bool chainstate_test_block_validity(struct chainstate *cs, const struct block *b,
                                           int64_t now, bool check_pow, bool check_merkle,
                                           struct validation_state *st);

/* Connects/disconnects until the tip is the most-work valid block with data. st reports
 * the first block that failed to connect (kind INVALID; the function still returns true)
 * or a system error (false). */
VAL_WU bool chainstate_activate_best_chain(struct chainstate *cs, struct validation_state *st);

/* Core's InvalidateBlock: marks idx (by hash) failed and its descendants failed-child,
 * disconnects it if it is in the active chain and activates the best remaining chain.
 * Genesis cannot be invalidated. False with st ("block not found", system error). */
VAL_WU bool chainstate_invalidate_block(struct chainstate *cs, const uint256 *hash,
                                        struct validation_state *st);
/* Core's ReconsiderBlock: clears the failure marks of the block, its descendants and its
 * ancestors, then activates the best chain (which may fail again). */
VAL_WU bool chainstate_reconsider_block(struct chainstate *cs, const uint256 *hash,
                                        struct validation_state *st);

/* Core's LoadExternalBlockFile: imports every block of a file in blk*.dat layout with
 * this network's magic. Blocks whose parent has not been seen are held in memory until
 * it arrives (later in this file, or in a later call); anything between records and
 * records that do not parse are skipped. Invalid blocks do not stop the import.
 * progress (may be NULL) is called about once a second and at the end. False with err
 * only when the file cannot be read or on a system error. */
VAL_WU bool chainstate_load_external_file(struct chainstate *cs, const char *path,
                                          chainstate_progress_fn progress, void *ctx, char *err,
                                          size_t errlen);

/* -reindex, second half: imports the block files chainstate_open(reindex) parked in
 * blocks/reindex/, oldest first, deleting each once its blocks are stored and flushed.
 * Also finishes a reindex that was interrupted (chainstate_reindex_pending). progress as
 * for chainstate_load_external_file. False with err on an I/O or system error. */
VAL_WU bool chainstate_reindex(struct chainstate *cs, chainstate_progress_fn progress,
                               void *ctx, char *err, size_t errlen);
/* True when parked block files are waiting to be reindexed. */
bool chainstate_reindex_pending(const struct chainstate *cs);

/* Shutdown hook: interrupted (may be NULL to clear) is asked before each block of
 * chainstate_load_external_file and chainstate_reindex; when it returns true the import
 * stops cleanly after the last whole block (returning true: what was imported is kept,
 * an interrupted reindex leaves the current file parked and resumes at the next start).
 * The progress callback keeps its signature; the hook is separate so that callers that
 * only report progress are unaffected. */
void chainstate_set_interrupt(struct chainstate *cs, bool (*interrupted)(void *ctx), void *ctx);
/* True when the interrupt hook says stop. */
bool chainstate_interrupted(const struct chainstate *cs);

/* ---- Reading state ---- */

const struct chain_params *chainstate_params(const struct chainstate *cs);
struct block_index *chainstate_tip(const struct chainstate *cs);
int32_t chainstate_height(const struct chainstate *cs);
const struct active_chain *chainstate_active(const struct chainstate *cs);
struct block_map *chainstate_block_map(const struct chainstate *cs);
struct block_index *chainstate_lookup(const struct chainstate *cs, const uint256 *hash);
/* The most-work header not marked failed (Core's m_best_header): the tip, or a header
 * ahead of it whose block is still to be downloaded. Never NULL once open. */
struct block_index *chainstate_best_header(struct chainstate *cs);
/* The UTXO cache at the tip (borrowed; read it, do not modify it). */
struct coins_cache *chainstate_coins(const struct chainstate *cs);
/* Reads idx's block from disk into *out (owning nothing). False with err. */
VAL_WU bool chainstate_read_block(struct chainstate *cs, const struct block_index *idx,
                                  struct block *out, char *err, size_t errlen);
/* Reads idx's undo data (the coins its transactions spent, from rev*.dat) into *out,
 * which the caller frees with block_undo_clear (it owns nothing on failure). False with
 * err when the block has no undo data (genesis, not connected yet, pruned) or on an I/O
 * or parse error. */
struct block_undo;
VAL_WU bool chainstate_read_block_undo(struct chainstate *cs, const struct block_index *idx,
                                       struct block_undo *out, char *err, size_t errlen);
/* The UTXO database, consistent with the tip: the cache is written to it first (without
 * fsync and without emptying the cache), so iterating it sees the whole set at
 * chainstate_tip. Borrowed; valid until the next block is connected. NULL with err when
 * the flush fails. */
VAL_WU struct coins_db *chainstate_coins_db(struct chainstate *cs, char *err, size_t errlen);
/* The script verification flags for a block at idx (Core's GetBlockScriptFlags). */
uint32_t chainstate_script_flags(const struct chainstate *cs, const struct block_index *idx);
/* Script threads in use, the calling thread included (-par resolved as Core: 0 = one
 * per core, negative leaves that many cores free, at most 15). */
int chainstate_par(const struct chainstate *cs);
/* The salted signature and script-execution caches block validation consults
 * (borrowed). The mempool fills them through sigcache_mempool_hook and
 * script_cache_add, so transactions verified at mempool entry are not verified again
 * when a block brings them. */
struct sigcache;
struct script_cache;
struct sigcache *chainstate_sigcache(const struct chainstate *cs);
struct script_cache *chainstate_script_cache(const struct chainstate *cs);

/* ---- Notifications ---- */

struct chainstate_callbacks {
    /* After block (at idx) is connected to the tip / disconnected from it. */
    void (*block_connected)(void *ctx, const struct block *block,
                            const struct block_index *idx);
    void (*block_disconnected)(void *ctx, const struct block *block,
                               const struct block_index *idx);
    /* After activate_best_chain moved the tip (once per call, not per block). */
    void (*tip_updated)(void *ctx, const struct block_index *tip);
    void *ctx;
};

/* Adds a listener (copied); up to 16. False when full. */
VAL_WU bool chainstate_subscribe(struct chainstate *cs, const struct chainstate_callbacks *cb);
/* Removes every listener whose ctx is ctx (one about to be freed). */
void chainstate_unsubscribe(struct chainstate *cs, const void *ctx);

#endif
