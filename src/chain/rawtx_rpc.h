/* Chain-independent raw-transaction and utility RPC methods, as Bitcoin Core 28/29
 * shapes them: decoderawtransaction, decodescript, createrawtransaction (category
 * "rawtransactions"), validateaddress, verifymessage and signmessagewithprivkey
 * ("util"). None of them looks at the chain state; they need only the network's
 * address prefixes. Message signatures use the magic "IoP Signed Message:\n". */
#ifndef IOP_CHAIN_RAWTX_RPC_H
#define IOP_CHAIN_RAWTX_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/chainparams.h"
#include "util/rpc_method.h"

/* Prefixed to every signed message before hashing (Core's MESSAGE_MAGIC). */
#define RAWTX_MESSAGE_MAGIC "IoP Signed Message:\n"

struct rawtx_rpc_ctx {
    const struct chain_params *params; /* the active chain: address encoding */
};

/* The table; ctx must outlive the dispatcher. */
struct rpc_table rawtx_rpc_table(struct rawtx_rpc_ctx *ctx);

/* Core's MessageHash: SHA-256d of the magic and the message, each serialized with a
 * CompactSize length. */
void rawtx_message_hash(uint8_t out[32], const char *message, size_t message_len);

#endif
