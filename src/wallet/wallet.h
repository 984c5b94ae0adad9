/* The descriptor wallet: keys from a BIP39 mnemonic, addresses, and the transactions and
 * coins that belong to them, kept in one walletdb file.
 *
 * Keys. A new wallet turns its mnemonic (generated, 24 words, or given for a restore) and
 * optional BIP39 passphrase into a seed and a BIP32 master key, and stores six active
 * descriptors, one per address type and chain (W stands for the range wildcard '*'):
 *   legacy   pkh([fp/44h/COIN'/0h]XPUB/0/W)  and .../1/W for change   (BIP44)
 *   bech32   wpkh([fp/84h/COIN'/0h]XPUB/0/W) and .../1/W              (BIP84, default)
 *   bech32m  tr([fp/86h/COIN'/0h]XPUB/0/W)   and .../1/W              (BIP86)
 * COIN is the network's SLIP-44 coin type (66 main, 1 test/regtest). The descriptor text
 * stored is the public one with its checksum; its id is SHA-256 of that text. Each one's
 * secret is the 78-byte serialized account xprv; the wallet also stores the mnemonic
 * and the seed. When the wallet is encrypted these are crypter secret records: a
 * descriptor's secret sealed with the descriptor id as associated data, the mnemonic and
 * the seed with their secret names (WALLETDB_SECRET_*).
 *
 * Keypool. Every active descriptor keeps WALLET_KEYPOOL_SIZE scripts derived beyond its
 * next unused index (Core's -keypool default), in walletdb's script cache and in a hash
 * map in memory, so payments to any of them are recognised. When a transaction uses the
 * script at index i, the next index moves past i and the pool is topped up.
 *
 * Tracking. The daemon calls wallet_block_connected / wallet_block_disconnected for
 * every block of the active chain (in order) and wallet_tx_added_to_mempool /
 * wallet_tx_removed_from_mempool for pool changes. Transactions that pay to or spend
 * from the wallet are stored (each block's changes in one walletdb batch, together with
 * the wallet's best block, so after a crash the file is consistent with some block) and
 * kept in memory with the coins they create. A transaction of a disconnected block
 * becomes unconfirmed (a coinbase becomes inactive: it never comes back), one whose
 * input is spent by another transaction of a connected block becomes conflicted, as do
 * its wallet descendants. wallet_sync brings a loaded wallet up to the chain's tip.
 *
 * Threads. A struct wallet is not thread-safe: callers serialise all calls with
 * wallet_lock / wallet_unlock (wallet_rpc.c does). Lock order in the daemon: the node's
 * chain lock first, then a wallet's lock.
 *
 * Secrets. The mnemonic, the BIP39 passphrase, seeds, private keys, the encryption
 * passphrase and the master key never reach a log or an error message; every copy this
 * module makes is wiped before it is freed. While an encrypted wallet is unlocked the
 * master key stays in memory (wiped by wallet_lock_keys or when the timeout passes,
 * checked at every call that needs it and by wallet_check_relock). */
#ifndef IOP_WALLET_WALLET_H
#define IOP_WALLET_WALLET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/chainparams.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/tx.h"
#include "wallet/crypter.h"
#include "wallet/walletdb.h"

#define WALLET_WU __attribute__((warn_unused_result))

/* Core's -keypool default. */
#define WALLET_KEYPOOL_SIZE 1000
/* getwalletinfo "walletversion" (Core's FEATURE_LATEST). */
#define WALLET_VERSION 169900
/* File name inside a wallet's directory. */
#define WALLET_FILE_NAME "wallet.dat"

/* Wallet flags (Core's bit values). */
#define WALLET_FLAG_AVOID_REUSE          (UINT64_C(1) << 0)
#define WALLET_FLAG_DISABLE_PRIVATE_KEYS (UINT64_C(1) << 32)
#define WALLET_FLAG_BLANK_WALLET         (UINT64_C(1) << 33)
#define WALLET_FLAG_DESCRIPTORS          (UINT64_C(1) << 34)

enum wallet_addr_type {
    WALLET_ADDR_LEGACY = 0,  /* pkh, BIP44 */
    WALLET_ADDR_BECH32 = 1,  /* wpkh, BIP84 */
    WALLET_ADDR_BECH32M = 2, /* tr, BIP86 */
};
#define WALLET_ADDR_TYPE_COUNT 3

/* "legacy", "bech32", "bech32m". */
const char *wallet_addr_type_name(enum wallet_addr_type t);
/* Parses a Core address type name; false for anything else ("p2sh-segwit" included). */
bool wallet_addr_type_parse(const char *s, enum wallet_addr_type *out);

struct wallet_create_options {
    bool blank;                /* no descriptors, no seed */
    bool disable_private_keys; /* watch-only: no descriptors, no seed */
    bool avoid_reuse;          /* sets WALLET_FLAG_AVOID_REUSE */
    /* Restoring from an existing mnemonic (true) or generating one (false); a restored
     * wallet's birth height is 0, so wallet_sync scans the whole chain once. */
    bool restored;
    /* Encryption cost for encryptwallet (NULL: crypter's defaults). Tests use small
     * parameters; copied. */
    const struct crypter_params *scrypt;
};

/* A wallet transaction as the wallet keeps it (read-only for callers; valid until the
 * next call that changes the wallet). */
struct wallet_tx {
    uint256 txid;
    uint256 wtxid;
    struct tx tx;
    enum walletdb_tx_state state;
    bool in_mempool;
    bool has_block;     /* confirmed or conflicted: block_hash/height are set */
    uint256 block_hash; /* the block that contains it (or that conflicts with it) */
    int32_t height;     /* -1 when not in a block */
    int32_t position;   /* index in its block, -1 when not in a block */
    int64_t block_time; /* header time of block_hash, 0 when unknown */
    int64_t time_received;
    bool coinbase;
    /* Internal (-walletnotify): the state and block last reported. */
    int notified_state;
    uint256 notified_block;
};

/* Where a script of the wallet comes from. */
struct wallet_script_info {
    enum wallet_addr_type type;
    bool internal;        /* change chain */
    uint32_t index;       /* position on its chain */
    uint8_t pubkey[33];   /* the derived (untweaked) public key */
    uint8_t master_fp[4]; /* fingerprint of the master key */
    uint32_t path[5];     /* purpose', coin', account', change, index */
    char desc[256];       /* Core's getaddressinfo "desc": type([fp/path]KEY)#checksum */
    int64_t created;      /* descriptor creation time */
    /* From an imported descriptor (importdescriptors): only type (by script shape),
     * internal, index, created, desc (the descriptor's public text) and signable are
     * set. */
    bool imported;
    /* Imported with its private key(s) as pkh, wpkh or tr (key path) of one key: the
     * wallet signs for it (wallet_signing_key). */
    bool signable;
};

struct wallet_balances {
    int64_t trusted;
    int64_t untrusted_pending;
    int64_t immature;
};

/* One unspent output of the wallet. */
struct wallet_coin {
    const struct wallet_tx *wtx;
    uint32_t vout;
    int64_t value;
    int depth; /* confirmations; 0 unconfirmed */
    bool safe; /* trusted (Core's "safe") */
    bool coinbase;
    bool reused; /* its script was spent from before (avoid_reuse) */
};

struct wallet;

/* ---- Lifetime ---- */

/* Creates a new wallet file dir/WALLET_FILE_NAME (dir is created, and must not hold a
 * wallet yet) called name, for network params (borrowed; must outlive the wallet).
 * mnemonic NULL generates 24 words; otherwise it must be a valid BIP39 English
 * mnemonic (checked; its errors name positions, never words). bip39_passphrase NULL or
 * "" means none. With opt->blank or opt->disable_private_keys no keys are made and
 * mnemonic must be NULL. Everything is written in one transaction. Returns the wallet
 * in *out (free with wallet_free) or false with a message in err. */
WALLET_WU bool wallet_create(struct wallet **out, const char *dir, const char *name,
                             const struct chain_params *params, const char *mnemonic,
                             const char *bip39_passphrase,
                             const struct wallet_create_options *opt, char *err, size_t errlen);

/* Opens the existing wallet in dir under name: reads descriptors (rebuilding the script
 * map by derivation), the address book and the transactions. False with err (no such
 * file, not a wallet, in use, corrupt, a descriptor it cannot read). */
WALLET_WU bool wallet_load(struct wallet **out, const char *dir, const char *name,
                           const struct chain_params *params, char *err, size_t errlen);

/* Wipes secrets, closes the file and frees; NULL is a no-op. */
void wallet_free(struct wallet *w);

/* backupwallet: writes a consistent copy of the wallet file to dest (a new file, mode
 * 0600) while the wallet stays loaded; the best block is saved first so the copy needs
 * no rescan beyond what the original would. False with err. */
WALLET_WU bool wallet_backup(struct wallet *w, const char *dest, char *err, size_t errlen);

/* -walletnotify: fn(ctx, w, wtx) is called under the wallet's lock, on the thread that
 * changed the wallet, when a wallet transaction appears or its confirmation changes
 * (confirmed in a block, unconfirmed again after a reorg, conflicted): Core's "new or
 * updated" in AddToWallet. Not for transactions read at load, nor for abandoning. fn
 * must not call into the wallet. NULL fn disables. */
typedef void (*wallet_tx_notify_fn)(void *ctx, const struct wallet *w,
                                    const struct wallet_tx *wtx);
void wallet_set_tx_notify(struct wallet *w, wallet_tx_notify_fn fn, void *ctx);

void wallet_lock(struct wallet *w);
void wallet_unlock(struct wallet *w);

/* ---- Properties ---- */

const char *wallet_name(const struct wallet *w);
const struct chain_params *wallet_params(const struct wallet *w);
uint64_t wallet_flags(const struct wallet *w);
bool wallet_has_private_keys(const struct wallet *w); /* not disabled and not blank */
bool wallet_is_blank(const struct wallet *w);
bool wallet_is_encrypted(const struct wallet *w);
/* Encrypted and locked (re-locks first when the unlock timeout has passed). */
bool wallet_is_locked(struct wallet *w);
/* Unix time the unlock ends; 0 when locked or not encrypted. */
int64_t wallet_unlocked_until(struct wallet *w);
int64_t wallet_birth_time(const struct wallet *w);
/* Height and hash of the last block the wallet processed (-1 before any). */
int32_t wallet_tip_height(const struct wallet *w);
const uint256 *wallet_tip_hash(const struct wallet *w);
/* Keys left in the external (receive) and internal (change) pools of the active
 * descriptors. */
void wallet_keypool_sizes(const struct wallet *w, size_t *external, size_t *internal);
/* Sets the time source (seconds) used for received times and unlock timeouts;
 * default time_now. */
void wallet_set_clock(struct wallet *w, int64_t (*now)(void));

/* ---- Addresses ---- */

/* The next unused address of type t on the receive chain (or the change chain with
 * internal) into out; with a label (not NULL, internal false) it enters the address
 * book with purpose "receive" (label "" included). Tops the pool up. False with err:
 * no active descriptor of that type (blank or watch-only wallet: Core's "Error: This
 * wallet has no available keys"), or a write failure. */
WALLET_WU bool wallet_get_new_address(struct wallet *w, enum wallet_addr_type t, bool internal,
                                      const char *label, char out[ADDRESS_MAX_LEN + 1],
                                      char *err, size_t errlen);

/* Looks script up in the script map: true and *info (may be NULL) filled when it
 * belongs to one of the wallet's descriptors. */
bool wallet_script_info(struct wallet *w, const uint8_t *script, size_t len,
                        struct wallet_script_info *info);

/* Address book: label of address (new string, caller frees) or NULL when it has no
 * entry; purpose likewise (may be NULL). */
WALLET_WU bool wallet_get_label(struct wallet *w, const char *address, char **label,
                                char **purpose, char *err, size_t errlen);
/* Sets address's label, keeping its purpose, or "receive"/"send" by ownership. */
WALLET_WU bool wallet_set_label(struct wallet *w, const char *address, const char *label,
                                char *err, size_t errlen);
/* Calls cb for each address book entry (address order) until it returns false. */
WALLET_WU bool wallet_list_address_book(struct wallet *w, walletdb_address_cb cb, void *arg,
                                        char *err, size_t errlen);

/* ---- Chain and mempool notifications ---- */

/* Block at height (header time in block->header) was connected to the tip. */
void wallet_block_connected(struct wallet *w, const struct block *block, int32_t height);
/* Block at height was disconnected (the tip is now its parent). */
void wallet_block_disconnected(struct wallet *w, const struct block *block, int32_t height);
/* tx entered the mempool at time. */
void wallet_tx_added_to_mempool(struct wallet *w, const struct tx *tx, int64_t time);
/* tx left the mempool (not into a block: that is wallet_block_connected). */
void wallet_tx_removed_from_mempool(struct wallet *w, const uint256 *txid);

/* What wallet_sync and wallet_rescan read from the chain: the caller (holding the
 * chain lock) supplies the active chain through these functions. */
struct wallet_chain {
    void *ctx;
    int32_t (*height)(void *ctx);
    /* Hash and time of the active block at height; false when out of range. */
    bool (*block_at)(void *ctx, int32_t height, uint256 *hash, int64_t *time);
    /* Height of the last common block of the active chain and the block hash (which
     * may be on a stale branch); false when the hash is unknown. */
    bool (*fork_height)(void *ctx, const uint256 *hash, int32_t *height);
    /* Reads the active block at height into *out (owning nothing). */
    bool (*read_block)(void *ctx, int32_t height, struct block *out, char *err, size_t errlen);
};

/* Brings the wallet to the chain's tip: blocks of the wallet's best chain no longer
 * active are treated as disconnected (without reading them), then the active blocks from
 * the fork point (or the wallet's birth height) up to the tip are scanned; block times
 * of confirmed transactions are refreshed. False with err when a block cannot be read. */
WALLET_WU bool wallet_sync(struct wallet *w, const struct wallet_chain *chain, char *err,
                           size_t errlen);
/* Re-reads active blocks start..stop (stop < 0: the tip) and records every wallet
 * transaction in them (Core's rescanblockchain). *last is the last height scanned. */
WALLET_WU bool wallet_rescan(struct wallet *w, const struct wallet_chain *chain, int32_t start,
                             int32_t stop, int32_t *last, char *err, size_t errlen);

/* ---- Transactions and coins ---- */

size_t wallet_tx_count(const struct wallet *w);
/* Transactions in the order the wallet first saw them. */
const struct wallet_tx *wallet_tx_at(const struct wallet *w, size_t i);
const struct wallet_tx *wallet_find_tx(const struct wallet *w, const uint256 *txid);
/* Confirmations: tip - height + 1 when confirmed, 0 unconfirmed, minus the depth of the
 * conflicting block when conflicted (Core's GetDepthInMainChain). */
int wallet_tx_depth(const struct wallet *w, const struct wallet_tx *wtx);
/* Coinbase blocks to maturity left (0 when mature or not a coinbase). */
int wallet_tx_blocks_to_maturity(const struct wallet *w, const struct wallet_tx *wtx);
/* Core's CachedTxIsTrusted. */
bool wallet_tx_is_trusted(const struct wallet *w, const struct wallet_tx *wtx);
/* Whether output n of wtx pays the wallet / is spent by a wallet transaction that is
 * not conflicted or abandoned. */
bool wallet_output_is_mine(const struct wallet *w, const struct wallet_tx *wtx, uint32_t n);
bool wallet_output_is_spent(const struct wallet *w, const uint256 *txid, uint32_t n);
/* Value of the inputs of wtx that spend wallet outputs (Core's debit), and whether all
 * inputs do (then the fee is known: *fee set to inputs - outputs). */
int64_t wallet_tx_debit(const struct wallet *w, const struct wallet_tx *wtx, bool *all_mine,
                        int64_t *fee);
/* Sum of outputs of wtx paying the wallet (Core's credit). */
int64_t wallet_tx_credit(const struct wallet *w, const struct wallet_tx *wtx);

/* Core's GetBalance(min_depth, avoid_reuse): trusted counts outputs of trusted
 * transactions with depth >= min_depth. */
void wallet_get_balances(struct wallet *w, int min_depth, bool avoid_reuse,
                         struct wallet_balances *out);
/* Unspent wallet outputs (Core's AvailableCoins without filters): mature (immature
 * coinbase outputs too with include_immature), not spent, not conflicted; unconfirmed ones
 * in the mempool too (safe says whether trusted). *out malloc'd, caller frees; false on
 * out of memory. */
WALLET_WU bool wallet_list_coins(struct wallet *w, bool include_immature,
                                 struct wallet_coin **out, size_t *count);

/* ---- Descriptors and secrets ---- */

struct wallet_descriptor_info {
    char *desc; /* with checksum; with private keys when asked (wipe:
                   wallet_descriptor_infos_free) */
    int64_t timestamp;
    bool active;
    bool internal;
    uint32_t range_start, range_end; /* range_end inclusive, as Core */
    uint32_t next_index;
};

/* The wallet's descriptors (Core's listdescriptors order: by public text). With
 * with_private the xpubs are replaced by their xprvs, which needs the keys: false with
 * *locked true when the wallet is locked, err otherwise. */
WALLET_WU bool wallet_list_descriptors(struct wallet *w, bool with_private,
                                       struct wallet_descriptor_info **out, size_t *count,
                                       bool *locked, char *err, size_t errlen);
void wallet_descriptor_infos_free(struct wallet_descriptor_info *d, size_t count);

/* importdescriptors: one descriptor to add. */
struct wallet_import {
    const char *text;         /* as given, with checksum; may hold private keys */
    uint32_t range_start;     /* ranged: first index */
    uint32_t range_end;       /* ranged: one past the last index to watch */
    uint32_t next_index;      /* ranged: in [range_start, range_end) */
    bool internal;
    int64_t timestamp;        /* creation time (listdescriptors "timestamp") */
};
enum wallet_import_result {
    WALLET_IMPORT_OK = 0,
    WALLET_IMPORT_LOCKED, /* private keys given to an encrypted, locked wallet */
    WALLET_IMPORT_FAILED, /* err says why (parse error, too many descriptors, write) */
};
/* Stores the descriptor (never active; its secret is the text as given, sealed when the
 * wallet is encrypted) and indexes its scripts (the range, plus the keypool beyond
 * next_index when ranged), so payments to them are recognised from now on; the caller
 * rescans for older ones. Importing a descriptor again merges the ranges; importing one
 * of the wallet's own descriptors changes nothing. The caller checks the Core rules
 * (checksum, private keys vs. the wallet's flags, labels). At most 16 descriptors
 * (the wallet's own six included). Importing private keys clears the blank flag. The
 * wallet signs for imported pkh/wpkh/tr descriptors of one private key (WIF, or xprv
 * with a path); other imported scripts are only watched. */
WALLET_WU enum wallet_import_result wallet_import_descriptor(struct wallet *w,
                                                             const struct wallet_import *in,
                                                             char *err, size_t errlen);

/* The mnemonic (NUL-terminated, into out of BIP39_MNEMONIC_MAX bytes; wipe it after use)
 * and whether a BIP39 passphrase was used. False with *locked when locked, or with err
 * when the wallet has none (blank, watch-only). */
WALLET_WU bool wallet_get_mnemonic(struct wallet *w, char *out, size_t cap,
                                   bool *passphrase_protected, bool *locked, char *err,
                                   size_t errlen);

/* ---- Encryption ---- */

enum wallet_crypt_result {
    WALLET_CRYPT_OK = 0,
    WALLET_CRYPT_WRONG_STATE, /* encrypting an encrypted wallet, unlocking a plain one */
    WALLET_CRYPT_BAD_PASSPHRASE,
    WALLET_CRYPT_NO_KEYS, /* nothing to encrypt (private keys disabled) */
    WALLET_CRYPT_FAILED,  /* database or crypto failure (err says which) */
};

/* Encrypts every secret under a new master key sealed with passphrase (not empty), in
 * one batch, then checkpoints so the plain secrets leave the WAL; the wallet ends
 * locked. */
WALLET_WU enum wallet_crypt_result wallet_encrypt(struct wallet *w, const char *passphrase,
                                                  char *err, size_t errlen);
/* Opens the master key with passphrase and keeps it until now + timeout seconds. */
WALLET_WU enum wallet_crypt_result wallet_unlock_keys(struct wallet *w, const char *passphrase,
                                                      int64_t timeout, char *err,
                                                      size_t errlen);
/* Wipes the master key (locks). WRONG_STATE when not encrypted. */
enum wallet_crypt_result wallet_lock_keys(struct wallet *w);
WALLET_WU enum wallet_crypt_result wallet_change_passphrase(struct wallet *w,
                                                            const char *old_passphrase,
                                                            const char *new_passphrase,
                                                            char *err, size_t errlen);
/* Locks when the unlock timeout has passed. */
void wallet_check_relock(struct wallet *w);

/* ---- Sending support (spend.c) ----
 *
 * Locked coins (lockunspent): kept in memory, and in walletdb's locked outpoints when
 * persistent (read back by wallet_load). Coin selection skips them. */
struct wallet_locked_coin {
    uint256 txid;
    uint32_t n;
    bool persistent;
};
/* Locks (txid, n); persistent also writes it to the file. Locking twice is harmless. */
WALLET_WU bool wallet_lock_coin(struct wallet *w, const uint256 *txid, uint32_t n,
                                bool persistent, char *err, size_t errlen);
/* Unlocks (txid, n) (from the file too); unlocking an unlocked coin succeeds. */
WALLET_WU bool wallet_unlock_coin(struct wallet *w, const uint256 *txid, uint32_t n, char *err,
                                  size_t errlen);
bool wallet_is_locked_coin(const struct wallet *w, const uint256 *txid, uint32_t n);
size_t wallet_locked_coin_count(const struct wallet *w);
/* The i-th locked coin (valid until the next lock change), NULL past the end. */
const struct wallet_locked_coin *wallet_locked_coin_at(const struct wallet *w, size_t i);

/* settxfee's rate for this wallet in sat/kvB; -1 when never set (then -paytxfee). */
int64_t wallet_pay_tx_fee(const struct wallet *w);
void wallet_set_pay_tx_fee(struct wallet *w, int64_t sat_per_kvb);

/* Records tx, a transaction the wallet just made and signed, as unconfirmed (not yet in
 * the mempool: wallet_tx_added_to_mempool follows when it enters), durably: when this
 * returns true the record survives kill -9. Locks on the coins it spends are released.
 * A transaction already known is left as it is. False with err on a write failure or
 * when tx does not concern the wallet. */
WALLET_WU bool wallet_add_own_tx(struct wallet *w, const struct tx *tx, char *err,
                                 size_t errlen);

enum wallet_abandon_result {
    WALLET_ABANDON_OK = 0,
    WALLET_ABANDON_NOT_FOUND,    /* not a wallet transaction */
    WALLET_ABANDON_NOT_ELIGIBLE, /* confirmed, conflicted, in the mempool, or a coinbase */
    WALLET_ABANDON_FAILED,       /* write failure (err) */
};
/* Core's AbandonTransaction: marks txid and its wallet descendants that are neither in a
 * block nor in the mempool abandoned, so their inputs can be spent again. Abandoning an
 * abandoned transaction is OK. */
WALLET_WU enum wallet_abandon_result wallet_abandon_tx(struct wallet *w, const uint256 *txid,
                                                       char *err, size_t errlen);

/* Private keys for one signing pass: account keys are unsealed once per descriptor and
 * kept (wiped by wallet_signing_keys_free). Open needs an unlocked wallet with private
 * keys: false with *locked when it is locked, with err otherwise. Use under the wallet's
 * lock and free before releasing it. */
struct wallet_signing_keys;
WALLET_WU bool wallet_signing_keys_open(struct wallet *w, struct wallet_signing_keys **out,
                                        bool *locked, char *err, size_t errlen);
/* The private key (seckey, wipe after use), the compressed untweaked public key and the
 * address type of a wallet scriptPubKey. False when script is not the wallet's or a key
 * cannot be read. */
WALLET_WU bool wallet_signing_key(struct wallet_signing_keys *k, const uint8_t *script,
                                  size_t len, uint8_t seckey[32], uint8_t pubkey[33],
                                  enum wallet_addr_type *type, char *err, size_t errlen);
void wallet_signing_keys_free(struct wallet_signing_keys *k);

#endif
