/* Undo data: what a block's transactions took out of the UTXO set, so the block can be
 * disconnected again, and the primitives that move a block into and out of a coins cache.
 *
 * Format (Bitcoin Core's CBlockUndo, stored in rev*.dat by the block store):
 *   block_undo = CompactSize(#tx - 1) || tx_undo for every transaction but the coinbase
 *   tx_undo    = CompactSize(#inputs) || coin_undo for every input, in input order
 *   coin_undo  = VARINT(height*2 + coinbase) || [VARINT(0) if height > 0] ||
 *                compressed txout (coins.h)
 * The VARINT(0) is the transaction version Core once stored there; it is written as 0
 * and ignored on reading.
 *
 * undo_apply_block and undo_disconnect_block do no script, amount or contextual checks:
 * validation runs those first and then calls these to update the set. */
#ifndef IOP_CHAIN_UNDO_H
#define IOP_CHAIN_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/coins.h"
#include "consensus/block.h"
#include "consensus/serialize.h"

#define UNDO_WU __attribute__((warn_unused_result))

/* The coins one transaction spent, in input order. Owns the array and every coin. */
struct tx_undo {
    struct coin *prevout;
    size_t count;
};

/* One tx_undo per non-coinbase transaction of a block, in block order. Owns them. */
struct block_undo {
    struct tx_undo *txundo;
    size_t count;
};

void block_undo_init(struct block_undo *u);
/* Frees everything u owns and re-initializes it; NULL is a no-op. */
void block_undo_clear(struct block_undo *u);

void block_undo_serialize(struct writer *w, const struct block_undo *u);
/* Reads one block_undo into *u (which must own nothing). Counts are checked against the
 * bytes remaining before anything is allocated. False (r failed, *u owning nothing) on
 * truncated or corrupt input. */
UNDO_WU bool block_undo_deserialize(struct reader *r, struct block_undo *u);
/* The checksum Core stores after each undo record in rev*.dat:
 * SHA256d(prev_block_hash || serialized undo). */
void block_undo_checksum(const uint8_t *undo_bytes, size_t len, const uint256 *prev_block_hash,
                         uint256 *out);

/* Connects block (at height) to cache: spends every input of every non-coinbase
 * transaction, recording the spent coins in *undo (which must own nothing; the caller
 * frees it with block_undo_clear), then adds the transaction's outputs (coinbase outputs
 * may overwrite, BIP30) except unspendable ones. Transactions may spend outputs of
 * earlier transactions in the same block. Sets the cache's best block to the block's
 * hash. txids (tx_count entries) may be NULL to have them computed.
 *
 * The block is applied in a child layer and merged at the end, so on any failure the
 * cache is unchanged and *undo is empty. A missing or already spent input gives false
 * with *err "bad-txns-inputs-missingorspent" (static strings throughout, do not free);
 * a read failure of the coins database gives "coins database read error" and
 * coins_cache_error(cache) is set, which validation must treat as a system error, not
 * an invalid block. A non-coinbase output landing on an unspent coin (a duplicate txid
 * that BIP30 checks should have stopped) gives "bad-txns-BIP30"; out of memory gives
 * "out of memory" (a partial merge is then possible). */
UNDO_WU bool undo_apply_block(struct coins_cache *cache, const struct block *block,
                              uint32_t height, const uint256 *txids, struct block_undo *undo,
                              const char **err);

enum disconnect_result {
    DISCONNECT_OK = 0,      /* the set is exactly as before the block */
    DISCONNECT_UNCLEAN = 1, /* restored, but something was not as expected */
    DISCONNECT_FAILED = 2,  /* the undo data does not fit the block; the set is damaged */
};

/* Disconnects block (at height) from cache using its undo data, in reverse: removes
 * every output the block created and puts back every coin its inputs spent, then sets
 * the cache's best block to the block's parent. UNCLEAN when an output was missing or
 * different or a restored coin overwrote an unspent one (as Core: the block can still be
 * disconnected). FAILED when the undo data does not match the block's shape (checked
 * before anything changes), an undo record has height 0, or reading the coins database
 * failed (coins_cache_error). */
enum disconnect_result undo_disconnect_block(struct coins_cache *cache,
                                             const struct block *block, uint32_t height,
                                             const uint256 *txids,
                                             const struct block_undo *undo);

#endif
