/* The chain RPC methods (Bitcoin Core's names, parameters, results and errors). */
#ifndef IOP_CHAIN_CHAIN_RPC_H
#define IOP_CHAIN_CHAIN_RPC_H

#include <stddef.h>

#include "chain/node_context.h"
#include "util/rpc_method.h"

/* The method table; node is the handlers' context and must outlive the table. */
struct rpc_table chain_rpc_table(struct node_context *node);

/* verifychain's work (also run at start-up): re-reads the last nblocks blocks of the
 * active chain (0 or more than the height: all but genesis) and, with level >= 1, checks
 * each context-free. Caller holds the node's lock. False with err naming the block. */
__attribute__((warn_unused_result)) bool
chain_verify_blocks(struct chainstate *cs, int level, int nblocks, char *err, size_t errlen);

#endif
