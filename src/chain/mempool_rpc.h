/* The mempool RPC methods (Bitcoin Core's names, parameters, results and errors). */
#ifndef IOP_CHAIN_MEMPOOL_RPC_H
#define IOP_CHAIN_MEMPOOL_RPC_H

#include "chain/node_context.h"
#include "util/rpc_method.h"

/* The method table; node is the handlers' context and must outlive the table. */
struct rpc_table mempool_rpc_table(struct node_context *node);

#endif
