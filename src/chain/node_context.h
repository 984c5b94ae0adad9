/* What the daemon shares with the chain's RPC tables: the network parameters, the
 * chainstate, the mempool, and the lock that serializes access to both (Core's
 * cs_main). iopd.c creates it; chain_rpc.c, mining_rpc.c and mempool_rpc.c receive it
 * as their table context.
 *
 * Rules: take `lock` around any use of chainstate or mempool; `chainstate` and `mempool`
 * are NULL while the node is still loading (handlers then answer RPC_IN_WARMUP, -28);
 * `tip_changed` is broadcast (with `lock` held) whenever the active tip moves, for
 * waitfornewblock/waitforblockheight. */
#ifndef IOP_CHAIN_NODE_CONTEXT_H
#define IOP_CHAIN_NODE_CONTEXT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain/chainparams.h"
#include "chain/policy.h"
#include "consensus/hash.h"

struct chainstate;
struct mempool;

struct node_context {
    const struct chain_params *params; /* with -testactivationheight applied */
    struct chainstate *chainstate;     /* NULL while loading */
    struct mempool *mempool;           /* NULL while loading or with the mempool off */
    struct policy_params policy;       /* relay policy in force (-minrelaytxfee, ...) */
    pthread_mutex_t lock;
    pthread_cond_t tip_changed;
    volatile bool shutdown_requested; /* set by stop/SIGTERM; waits end early */
    int64_t (*now)(void);             /* wall clock in seconds (mockable) */
    const char *datadir;              /* the chain's data directory (blocks/ is below it) */
    volatile bool importing; /* -reindex or -loadblock running (Core's LoadingBlocks) */
    bool ibd_done;           /* latch: initial block download is over (lock held) */
    /* Set by the P2P layer once it runs: announces a transaction that is in the mempool
     * to peers (sendrawtransaction). Called with `lock` held; it only queues. */
    void (*relay_tx)(void *relay_ctx, const uint256 *txid, const uint256 *wtxid);
    void *relay_ctx;
};

/* Initializes the lock and condition; params and now must be set by the caller. */
bool node_context_init(struct node_context *n);
void node_context_destroy(struct node_context *n);

/* Core's IsInitialBlockDownload with `lock` held: true while importing, without a tip,
 * or while the tip is more than 24 hours older than now(); once false it stays false. */
bool node_is_initial_block_download(struct node_context *n);

#endif
