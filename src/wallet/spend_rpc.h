/* The wallet's sending RPC methods (Bitcoin Core's names, parameters, results and error
 * codes): sendtoaddress, sendmany, send, walletcreatefundedpsbt, walletprocesspsbt,
 * bumpfee, abandontransaction, lockunspent, listlockunspent and settxfee. doc/wallet.md
 * describes them for users.
 *
 * They share wallet_rpc.h's registry and take the call's wallet the same way (-18/-19);
 * the sending options (-fallbackfee, -paytxfee, -maxtxfee, the fee estimator, ...) are the
 * registry's `spend` field. Lock order as wallet_rpc.h: a reference to the wallet is
 * taken first (registry lock, released), then node->lock, then the wallet's lock.
 *
 * send returns Core's {psbt, complete} with psbt=true or when the wallet cannot sign
 * (locked, no private keys); walletcreatefundedpsbt funds exactly as send but never
 * signs (wallet_psbt.h fills the PSBT). Not supported: data outputs in send, and the
 * comment/comment_to metadata (accepted, not stored). */
#ifndef IOP_WALLET_SPEND_RPC_H
#define IOP_WALLET_SPEND_RPC_H

#include "util/rpc_method.h"
#include "wallet/wallet_rpc.h"

/* The method table (category "wallet"); c must outlive the dispatcher. */
struct rpc_table spend_rpc_table(struct wallet_rpc_ctx *c);

#endif
