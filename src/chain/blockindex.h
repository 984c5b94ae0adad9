/* The block index: one entry per known header, linked to its parent, with the
 * cumulative chain work, validation status and where the block's data lives.
 *
 * Entries live in a struct block_map, a hash table from block hash to entry (open
 * addressing with linear probing, keyed by SipHash-2-4 under a per-map random key so a
 * peer cannot choose hashes that collide). The map owns every entry; entry pointers stay
 * valid until the map is freed. Each entry also has a skip pointer to an ancestor chosen
 * as in Core (CBlockIndex::BuildSkip) so block_index_ancestor takes O(log n) steps.
 *
 * struct active_chain is the current best chain as a vector indexed by height.
 * struct block_candidates is the set of entries that could become the tip (Core's
 * setBlockIndexCandidates), ordered by block_index_work_cmp.
 *
 * The index is kept in LevelDB (blocks/index) under Core's keys: 'b' + hash -> entry,
 * 'f' + file number (u32 LE) -> struct blockfile_info, 'l' -> last file number (u32 LE),
 * 'R' -> reindexing flag. Values use Core's VARINT encoding. Loading checks every record
 * (bounded parsing, hash of the stored header equal to its key, proof of work, heights
 * consistent with parents) and refuses a corrupt index instead of crashing. */
#ifndef IOP_CHAIN_BLOCKINDEX_H
#define IOP_CHAIN_BLOCKINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/blockstore.h"
#include "chain/dbwrapper.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/pow.h"

#define BI_WU __attribute__((warn_unused_result))

/* Status bits, with Core's values (they are stored on disk). The low three bits are the
 * validity level reached; the others are flags. */
enum {
    BLOCK_VALID_UNKNOWN = 0,
    BLOCK_VALID_RESERVED = 1,     /* parsed, version ok, hash meets its claimed target */
    BLOCK_VALID_TREE = 2,         /* parent known, contextual header checks pass */
    BLOCK_VALID_TRANSACTIONS = 3, /* block data checked context-free */
    BLOCK_VALID_CHAIN = 4,        /* outputs do not overspend, no double spends, BIP30 */
    BLOCK_VALID_SCRIPTS = 5,      /* scripts and signatures verified */
    BLOCK_VALID_MASK = 7,
    BLOCK_HAVE_DATA = 8,  /* full block in blk*.dat */
    BLOCK_HAVE_UNDO = 16, /* undo data in rev*.dat */
    BLOCK_HAVE_MASK = BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO,
    BLOCK_FAILED_VALID = 32, /* this block failed validation */
    BLOCK_FAILED_CHILD = 64, /* an ancestor failed */
    BLOCK_FAILED_MASK = BLOCK_FAILED_VALID | BLOCK_FAILED_CHILD,
    BLOCK_OPT_WITNESS = 128, /* validated with witness data (SegWit active) */
};

struct block_index {
    uint256 hash;
    struct block_index *prev; /* NULL for the genesis block */
    struct block_index *skip; /* an ancestor, for block_index_ancestor */
    int32_t height;
    /* Header fields (the parent hash is prev->hash). */
    int32_t version;
    uint256 merkle_root;
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
    arith256 chain_work; /* total work of the chain up to and including this block */
    uint32_t status;     /* BLOCK_VALID_* level | BLOCK_HAVE_* | BLOCK_FAILED_* */
    uint32_t file;       /* blk/rev file number (valid with HAVE_DATA or HAVE_UNDO) */
    uint32_t data_pos;   /* data position in blk<file>.dat (HAVE_DATA) */
    uint32_t undo_pos;   /* data position in rev<file>.dat (HAVE_UNDO) */
    uint32_t tx_count;   /* transactions in this block (0 until the data is seen) */
    uint64_t chain_tx;   /* transactions up to and including this block, 0 if unknown */
    uint32_t time_max;   /* largest time of this block and its ancestors */
    int32_t sequence_id; /* order in which block data arrived, for ties (Core's) */
    bool dirty;          /* changed since last written to the database */
};

/* ---- Entries ---- */

/* The header of idx (prev_hash from idx->prev, zero for genesis). */
void block_index_header(const struct block_index *idx, struct block_header *out);
/* The ancestor of idx at height (idx itself at its own height), NULL if height is
 * negative or above idx's. O(log n) through the skip pointers. */
struct block_index *block_index_ancestor(const struct block_index *idx, int32_t height);
/* Sets idx->skip from idx->prev's ancestors; prev and its skip pointers must be set. */
void block_index_build_skip(struct block_index *idx);
/* Median of the times of idx and its up to 10 predecessors (BIP113). */
int64_t block_index_median_time_past(const struct block_index *idx);
/* True when idx is not failed and has reached validity level (BLOCK_VALID_*). */
bool block_index_is_valid(const struct block_index *idx, uint32_t level);
/* Raises idx's validity to level unless failed; true if it changed. Marks dirty. */
bool block_index_raise_validity(struct block_index *idx, uint32_t level);
/* The last block a and b have in common, NULL if none (different genesis). */
struct block_index *block_index_fork_point(const struct block_index *a,
                                           const struct block_index *b);
/* Core's CBlockIndexWorkComparator as a sign: <0 when a is a worse tip than b (less
 * work; at equal work, a later sequence id; then the higher address), >0 when better,
 * 0 only for a == b. */
int block_index_work_cmp(const struct block_index *a, const struct block_index *b);

/* The difficulty rules' view of idx (height, time, bits). */
void block_index_pow_block(const struct block_index *idx, struct pow_block *out);
/* A pow_ancestor_fn over the index: ctx is the parent (const struct block_index *) of the
 * block whose bits are wanted. Usage:
 *     pow_next_work_required(&bits, &params->pow, &parent_pb, time,
 *                            block_index_pow_ancestor, (void *)parent); */
bool block_index_pow_ancestor(void *ctx, int32_t height, struct pow_block *out);
/* The bits required of a child of parent (NULL: genesis) with header time block_time. */
BI_WU bool block_index_next_work_required(uint32_t *bits, const struct pow_params *p,
                                          const struct block_index *parent, int64_t block_time);

/* ---- The map ---- */

struct block_map;

/* A new empty map whose hash function is keyed with (k0, k1) (random in the node,
 * fixed in tests). NULL on out of memory. */
struct block_map *block_map_new(uint64_t k0, uint64_t k1);
/* Frees the map and every entry in it; NULL is a no-op. */
void block_map_free(struct block_map *m);
size_t block_map_count(const struct block_map *m);
/* The entry for hash, or NULL. */
struct block_index *block_map_find(const struct block_map *m, const uint256 *hash);
/* The entry for hash, creating a zeroed one (hash set, height -1) if absent; *created
 * (may be NULL) says which. NULL on out of memory. */
struct block_index *block_map_insert(struct block_map *m, const uint256 *hash, bool *created);
/* Iteration in no particular order: start with *cursor = 0; NULL at the end. */
struct block_index *block_map_next(const struct block_map *m, size_t *cursor);

/* Adds a header whose parent is already in the map (or whose parent hash is zero: a
 * genesis block) as Core's AddToBlockIndex: links prev, sets height, skip pointer,
 * chain work, time_max and validity BLOCK_VALID_TREE; marks it dirty. An existing entry
 * is returned as it is. NULL with *err_reason = "prev-blk-not-found" when the parent is
 * unknown, "out of memory" on allocation failure. hash may be NULL (computed). */
struct block_index *block_map_add_header(struct block_map *m, const struct block_header *h,
                                         const uint256 *hash, const char **err_reason);

/* ---- The active chain ---- */

struct active_chain {
    struct block_index **v; /* v[h] is the block at height h; owned array */
    size_t len;             /* tip height + 1, 0 when empty */
    size_t cap;
};

void active_chain_init(struct active_chain *c);
void active_chain_free(struct active_chain *c);
/* Makes tip (NULL: empty) the tip, rewriting only the part after the fork. False on out
 * of memory (the chain is then unchanged). */
BI_WU bool active_chain_set_tip(struct active_chain *c, struct block_index *tip);
struct block_index *active_chain_tip(const struct active_chain *c);
struct block_index *active_chain_genesis(const struct active_chain *c);
/* Height of the tip, -1 when empty. */
int32_t active_chain_height(const struct active_chain *c);
/* The block at height, NULL outside [0, height]. */
struct block_index *active_chain_at(const struct active_chain *c, int32_t height);
bool active_chain_contains(const struct active_chain *c, const struct block_index *idx);
/* The successor of idx in the chain, NULL if idx is the tip or not in the chain. */
struct block_index *active_chain_next(const struct active_chain *c,
                                      const struct block_index *idx);
/* The last block of the chain that is an ancestor of idx (or idx itself), NULL if none. */
struct block_index *active_chain_find_fork(const struct active_chain *c,
                                           const struct block_index *idx);

/* ---- Tip candidates ---- */

struct block_candidates {
    struct block_index **v; /* unordered */
    size_t len, cap;
};

void block_candidates_init(struct block_candidates *s);
void block_candidates_free(struct block_candidates *s);
/* Adds idx unless present. False on out of memory. */
BI_WU bool block_candidates_add(struct block_candidates *s, struct block_index *idx);
void block_candidates_remove(struct block_candidates *s, const struct block_index *idx);
bool block_candidates_contains(const struct block_candidates *s, const struct block_index *idx);
/* The best candidate by block_index_work_cmp, NULL when empty. */
struct block_index *block_candidates_best(const struct block_candidates *s);
/* Drops every candidate worse than tip (Core's PruneBlockIndexCandidates). */
void block_candidates_prune(struct block_candidates *s, const struct block_index *tip);

/* ---- Persistence (blocks/index) ---- */

/* Queue the database writes of one entry, one file's info, the last file number. */
BI_WU bool blockindex_batch_put(struct db_batch *b, const struct block_index *idx);
void blockindex_batch_put_file_info(struct db_batch *b, uint32_t file,
                                    const struct blockfile_info *info);
void blockindex_batch_put_last_file(struct db_batch *b, uint32_t file);
/* Writes every dirty entry of m, the info of every file of bs (may be NULL) and the last
 * file number in one atomic batch, then clears the dirty marks (left set if the write
 * fails). Call blockstore_flush(bs, true, ...) first, so that the index never points at
 * block or undo data that is not yet on disk. */
BI_WU bool blockindex_flush(struct db *db, struct block_map *m, struct blockstore *bs,
                            bool sync, char **err);

/* Loads every 'b' record into the (empty) map, links parents, rebuilds chain work,
 * skip pointers, time_max and chain_tx. pow_limit bounds each header's target. False
 * with *err (malloc'd) on a database error or any malformed or inconsistent record. */
BI_WU bool blockindex_load(struct db *db, struct block_map *m, const uint256 *pow_limit,
                           char **err);
/* Reads the file infos 0..last and the last file number. With no 'l' record (a new
 * index) returns true with *files NULL, *count 0 and *last 0. *files is malloc'd. */
BI_WU bool blockindex_load_files(struct db *db, struct blockfile_info **files, size_t *count,
                                 uint32_t *last, char **err);
/* The 'R' flag Core sets while a reindex is in progress. */
BI_WU bool blockindex_write_reindexing(struct db *db, bool reindexing, char **err);
bool blockindex_is_reindexing(struct db *db);

/* Serialization of one entry and one file info (Core's CDiskBlockIndex and
 * CBlockFileInfo value layouts); exposed for tests and tools. */
BI_WU bool blockindex_encode(const struct block_index *idx, uint8_t **out, size_t *len);
/* Parses a value into the fields of *idx and the parent hash into *prev_hash. */
BI_WU bool blockindex_decode(const uint8_t *data, size_t len, struct block_index *idx,
                             uint256 *prev_hash);

#endif
