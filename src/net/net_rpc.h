/* The network RPC methods (Bitcoin Core's names, parameters, results and error codes):
 * getnetworkinfo, getconnectioncount, getpeerinfo, addnode, disconnectnode,
 * getaddednodeinfo, getnettotals, ping, setnetworkactive, setban, listbanned,
 * clearbanned, getnodeaddresses. */
#ifndef IOP_NET_NET_RPC_H
#define IOP_NET_NET_RPC_H

#include "net/connman.h"
#include "util/rpc_method.h"

struct net_rpc_ctx {
    struct connman *cm; /* NULL while P2P is off (-networkactive=0 is still a connman) */
    const char *subversion;
};

/* The table; ctx must outlive the dispatcher. */
struct rpc_table net_rpc_table(struct net_rpc_ctx *ctx);

#endif
