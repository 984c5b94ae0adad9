/* The wallet RPC methods (Bitcoin Core's names, parameters, results and error codes) and
 * the registry of loaded wallets.
 *
 * Methods: createwallet, loadwallet, unloadwallet, listwallets, listwalletdir,
 * getwalletinfo, getnewaddress, getrawchangeaddress, getaddressinfo, setlabel,
 * listlabels, getaddressesbylabel, getbalance, getbalances, listunspent,
 * listtransactions, listsinceblock, gettransaction, listdescriptors, rescanblockchain,
 * encryptwallet, walletpassphrase, walletlock, walletpassphrasechange, signmessage,
 * backupwallet, restorewallet, and the iop method getmnemonic.
 * doc/wallet.md describes them for users.
 *
 * Which wallet a call uses: the one named by the request path (/wallet/<name>,
 * rpc_call_wallet), else the only loaded one; -18 when none is loaded or the named one
 * is not, -19 when several are and none is named.
 *
 * Wallet files live in <datadir>/<chain>/wallets/<name>/wallet.dat (the wallet named ""
 * directly in wallets/).
 *
 * Locks. Order: the node's lock (node->lock), then the registry lock (lock below), then
 * a wallet's own lock. Notifications arrive with the node lock held, take the registry
 * lock and each wallet's lock in turn. Handlers find their wallet under the registry
 * lock and hold a reference (so unloadwallet waits for running calls) but release the
 * registry lock before locking the wallet; the few that read the chain (load, create,
 * restorewallet, rescanblockchain, listsinceblock) take the node lock before the
 * wallet's. -walletnotify commands are started under a wallet's lock but run on their
 * own detached threads, which touch no wallet. */
#ifndef IOP_WALLET_WALLET_RPC_H
#define IOP_WALLET_WALLET_RPC_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "chain/mempool.h"
#include "chain/node_context.h"
#include "chain/validation.h"
#include "util/rpc_method.h"
#include "wallet/crypter.h"
#include "wallet/spend.h"
#include "wallet/wallet.h"

struct wallet_rpc_entry; /* internal: a loaded wallet and its reference count */
struct wallet_notify_state;

struct wallet_rpc_ctx {
    struct node_context *node;         /* borrowed; lock and chainstate are used */
    const struct chain_params *params; /* borrowed */
    char *wallets_dir;                 /* owned */
    /* scrypt cost for wallets encrypted from now on (NULL: crypter's defaults); tests
     * lower it. Borrowed. */
    const struct crypter_params *scrypt;
    pthread_mutex_t lock; /* the registry */
    pthread_cond_t released;
    struct wallet_rpc_entry **loaded; /* load order */
    size_t nloaded, cap;
    /* Sending options (spend.h): Core's defaults after wallet_rpc_ctx_init; iopd.c sets
     * them from -fallbackfee, -paytxfee, -maxtxfee, ... before serving RPC, and
     * spend.fee_estimator with node->lock held. */
    struct spend_options spend;
    /* -walletnotify=CMD (borrowed; NULL: off). iopd.c sets it after wallet_rpc_ctx_init
     * and before loading wallets: when a wallet transaction appears or its confirmation
     * changes, CMD runs in /bin/sh on its own thread with %s the txid, %w the wallet name
     * (shell-quoted), %b the block hash or "unconfirmed", %h the height or -1.
     * wallet_rpc_ctx_destroy waits (up to 10 s) for running commands. */
    const char *walletnotify;
    struct wallet_notify_state *notify; /* internal */
};

/* Sets up c for node (whose params must be set) with wallets in wallets_dir (created
 * when missing, copied). False with err on failure. */
__attribute__((warn_unused_result)) bool wallet_rpc_ctx_init(struct wallet_rpc_ctx *c,
                                                             struct node_context *node,
                                                             const char *wallets_dir, char *err,
                                                             size_t errlen);
/* Unloads every wallet (closing its file) and frees c's resources. */
void wallet_rpc_ctx_destroy(struct wallet_rpc_ctx *c);

/* The method table (category "wallet"); c must outlive the dispatcher. */
struct rpc_table wallet_rpc_table(struct wallet_rpc_ctx *c);

/* Loads wallet name (the -wallet= option at start-up, after the chainstate is open):
 * opens it, syncs it to the tip and registers it. False with err. */
__attribute__((warn_unused_result)) bool
wallet_rpc_load(struct wallet_rpc_ctx *c, const char *name, char *err, size_t errlen);

/* ---- For the other wallet tables (spend_rpc.c) ---- */

/* The wallet of the running call (rpc_call_wallet, else the only one), with a reference
 * that keeps unloadwallet waiting; NULL with Core's -18/-19 error in err. Release with
 * wallet_rpc_release. Takes and drops the registry lock: call it before node->lock. */
struct wallet_rpc_entry *wallet_rpc_acquire(struct wallet_rpc_ctx *c, struct rpc_error *err);
void wallet_rpc_release(struct wallet_rpc_ctx *c, struct wallet_rpc_entry *e);
struct wallet *wallet_rpc_entry_wallet(struct wallet_rpc_entry *e);

/* ---- Notifications: forward them to every loaded wallet (node lock held) ---- */

/* Chainstate callbacks (struct chainstate_callbacks with ctx = c). */
void wallet_rpc_block_connected(void *c, const struct block *block,
                                const struct block_index *idx);
void wallet_rpc_block_disconnected(void *c, const struct block *block,
                                   const struct block_index *idx);
/* Tip moved: resubmits the wallets' unconfirmed transactions missing from the mempool
 * (spend_resubmit; not during initial block download). */
void wallet_rpc_tip_updated(void *c, const struct block_index *tip);
/* A callbacks value ready for chainstate_subscribe. */
struct chainstate_callbacks wallet_rpc_chain_callbacks(struct wallet_rpc_ctx *c);
/* Mempool hooks (mempool_addition_fn / mempool_removal_fn with ctx = c). */
void wallet_rpc_mempool_added(void *c, const struct mempool_entry *e, bool valid_fee_estimate);
void wallet_rpc_mempool_removed(void *c, const struct mempool_entry *e,
                                enum mempool_removal_reason why);

/* The active chain of cs as a struct wallet_chain (for wallet_sync / wallet_rescan;
 * use with the node lock held). */
void wallet_chain_from_chainstate(struct wallet_chain *out, struct chainstate *cs);

#endif
