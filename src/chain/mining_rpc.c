/* placeholder: the mining methods are being written; the table is empty until then. */
#include "chain/mining_rpc.h"

struct rpc_table mining_rpc_table(struct node_context *node)
{
    struct rpc_table t = {0, 0, node};
    return t;
}
