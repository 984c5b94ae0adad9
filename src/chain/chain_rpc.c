/* placeholder: the chain methods are being written; the table is empty until then. */
#include "chain/chain_rpc.h"

struct rpc_table chain_rpc_table(struct node_context *node)
{
    struct rpc_table t = {0, 0, node};
    return t;
}
