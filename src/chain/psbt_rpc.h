/* PSBT RPC methods, as Bitcoin Core 28/29 shapes them (category "rawtransactions"):
 * createpsbt, converttopsbt, decodepsbt, combinepsbt, finalizepsbt, analyzepsbt,
 * joinpsbts and utxoupdatepsbt.
 *
 * All but utxoupdatepsbt need only the network's address prefixes. utxoupdatepsbt
 * reads the UTXO set and the mempool through the node context under its lock; with
 * node NULL (or while loading) it answers -28 like the other chain methods. Errors are
 * Core's: -22 "TX decode failed <reason>" for a PSBT that does not decode, -8 for bad
 * parameters, -25 "PSBTs not compatible (different transactions)". */
#ifndef IOP_CHAIN_PSBT_RPC_H
#define IOP_CHAIN_PSBT_RPC_H

#include "chain/chainparams.h"
#include "chain/node_context.h"
#include "util/rpc_method.h"

struct psbt_rpc_ctx {
    const struct chain_params *params; /* address encoding, xpub version */
    struct node_context *node;         /* for utxoupdatepsbt; may be NULL */
};

/* The table; ctx must outlive the dispatcher. */
struct rpc_table psbt_rpc_table(struct psbt_rpc_ctx *ctx);

#endif
