/* -txindex: a LevelDB at <datadir>/indexes/txindex mapping every transaction of the
 * active chain to where it is stored (Bitcoin Core's TxIndex).
 *
 * Records: 't' + txid (32 bytes, internal order) -> block hash (32) || blk file (u32)
 * || block data position (u32) || the transaction's position in the block (u32), all
 * little-endian; 'B' -> the hash of the last block indexed (Core's best block locator,
 * reduced to one hash). Core stores a CDiskTxPos instead of the block hash; keeping the
 * hash lets a lookup find the block's index entry (confirmations, in_active_chain)
 * without a second map.
 *
 * Blocks already in the chain are indexed by a background thread that takes the node's
 * lock for a batch of blocks at a time; once it reaches the tip, blocks connected later
 * are indexed from the chainstate's block_connected notification (called with the lock
 * held). A disconnected block only moves the best-block marker back: its entries stay,
 * as in Core, and are overwritten if the transactions are connected again elsewhere.
 * All functions but txindex_start/txindex_free expect the node's lock to be held. */
#ifndef IOP_CHAIN_TXINDEX_H
#define IOP_CHAIN_TXINDEX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/node_context.h"
#include "consensus/hash.h"
#include "util/rpc_method.h"

#define TXINDEX_WU __attribute__((warn_unused_result))

struct txindex;
struct chainstate;

/* Where a transaction is. */
struct txindex_entry {
    uint256 block_hash;
    uint32_t file, data_pos; /* the block's place in blk<file>.dat */
    uint32_t tx_pos;         /* index of the transaction in the block */
};

/* Opens (creating) <datadir>/indexes/txindex and subscribes to cs's notifications;
 * wipe (-reindex) starts from empty. node's lock serialises the background thread with
 * everything else. NULL with err on failure. */
TXINDEX_WU struct txindex *txindex_open(const char *datadir, struct chainstate *cs,
                                        struct node_context *node, bool wipe, char *err,
                                        size_t errlen);
/* Starts the background sync thread. False when the thread cannot be created. */
TXINDEX_WU bool txindex_start(struct txindex *ti);
/* Stops the thread, unsubscribes from the chainstate and closes; NULL is a no-op.
 * Call it without the node's lock held, once no more blocks can be connected, and
 * before chainstate_close. */
void txindex_free(struct txindex *ti);

/* True once the background thread has caught up with the tip. */
bool txindex_synced(const struct txindex *ti);
/* Looks txid up. False when it is not indexed (or on a read error). */
bool txindex_find(struct txindex *ti, const uint256 *txid, struct txindex_entry *out);

/* getrawtransaction (implemented in chain_rpc.c): its table's context, with index NULL
 * when -txindex is off. */
struct chain_tx_rpc {
    struct node_context *node;
    struct txindex *index;
};
struct rpc_table chain_tx_rpc_table(struct chain_tx_rpc *ctx);

#endif
