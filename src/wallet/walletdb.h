/* The wallet store: one SQLite file per wallet.
 *
 * Durability. The file runs in WAL mode with synchronous=FULL, and every write happens
 * inside a transaction (BEGIN IMMEDIATE .. COMMIT): when a write function returns true,
 * the write is on disk and survives kill -9 or power loss. A batch
 * (walletdb_begin .. walletdb_commit) groups several writes into one transaction, so a
 * send can record its transaction, lock its inputs and advance the change index
 * atomically: after a crash either all of them are there or none is.
 *
 * Exclusive access. The connection uses locking_mode=EXCLUSIVE and takes the write
 * lock while opening and keeps it until walletdb_close, so a second walletdb_open of the
 * same file, from this process or another one (iopd, the sqlite3 shell), fails with
 * "... is in use by another process ...". In exclusive mode SQLite keeps the WAL index
 * in process memory: there is no -shm file, and the -wal file is folded back into the
 * main file on close.
 *
 * Recognising a wallet. A wallet file carries PRAGMA application_id WALLETDB_APP_ID and a
 * meta row "schema_version". walletdb_open refuses, with a message that says which:
 * files that are not SQLite databases, SQLite databases of other applications, wallets
 * of a newer schema than WALLETDB_SCHEMA_VERSION (written by a newer iopd), and files
 * that fail PRAGMA quick_check (truncated or corrupted). Every SQL statement is
 * prepared with placeholders; no data is ever pasted into SQL text.
 *
 * Secrets. Secret blobs (descriptor keys, seed, mnemonic, the master key record) are
 * stored as given: the wallet layer encrypts them with crypter first when the wallet is
 * encrypted, and says so in the "encrypted" flags. secure_delete is on, so deleted rows
 * are zeroed in the main file; call walletdb_checkpoint after replacing plain secrets
 * with encrypted ones so the old pages leave the WAL as well. Buffers returned holding
 * secrets must be released with walletdb_free_secret, which wipes them. Error messages
 * carry SQLite's description and never data values.
 *
 * Threads. A struct walletdb is used by one thread at a time (the wallet's lock).
 * Iteration callbacks must not write to the same walletdb. */
#ifndef IOP_WALLET_WALLETDB_H
#define IOP_WALLET_WALLETDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"

/* "iopw" */
#define WALLETDB_APP_ID         0x696f7077
#define WALLETDB_SCHEMA_VERSION 1

/* Meta keys the wallet uses. "schema_version" is reserved to walletdb. */
#define WALLETDB_META_NAME           "name"         /* text */
#define WALLETDB_META_WALLET_VERSION "version"      /* integer: wallet feature version */
#define WALLETDB_META_CREATED        "created"      /* integer: Unix time, set by create */
#define WALLETDB_META_BIRTH_HEIGHT   "birth_height" /* integer: first block to scan */
#define WALLETDB_META_FLAGS          "flags"        /* integer: wallet flags bit set */

/* Secret names (walletdb_put_secret). */
#define WALLETDB_SECRET_MASTER_KEY "master_key" /* crypter master record */
#define WALLETDB_SECRET_SEED       "seed"       /* BIP39 seed (64 bytes) or BIP32 seed */
#define WALLETDB_SECRET_MNEMONIC   "mnemonic"   /* BIP39 sentence */

struct walletdb;

enum walletdb_mode {
    WALLETDB_OPEN,           /* the file must exist and be a wallet */
    WALLETDB_CREATE,         /* the file must not exist; a new wallet is made */
    WALLETDB_OPEN_OR_CREATE, /* open when it exists, else create */
};

/* Opens or creates the wallet at path according to mode; *out receives the handle
 * (close with walletdb_close). On failure *out is NULL and err (errlen bytes) says why:
 * missing file, file already exists, in use by another process, not an SQLite database,
 * not an iop wallet, newer schema version, corrupt. A new wallet gets the schema, its
 * schema_version row and a "created" meta row in one transaction. */
__attribute__((warn_unused_result)) bool walletdb_open(struct walletdb **out, const char *path,
                                                       enum walletdb_mode mode, char *err,
                                                       size_t errlen);

/* Rolls back an unfinished batch, folds the WAL back into the file and releases the
 * lock. NULL is a no-op. */
void walletdb_close(struct walletdb *db);

/* The path the wallet was opened with (owned by db). */
const char *walletdb_path(const struct walletdb *db);

/* Batches. walletdb_begin starts one (BEGIN IMMEDIATE); until walletdb_commit or
 * walletdb_rollback every write joins it instead of committing on its own. Batches do
 * not nest: begin inside a batch fails. If any write inside the batch failed,
 * walletdb_commit rolls the whole batch back and returns false, so a batch is never
 * committed half done. walletdb_rollback on no batch is a harmless no-op returning
 * true. */
__attribute__((warn_unused_result)) bool walletdb_begin(struct walletdb *db, char *err,
                                                        size_t errlen);
__attribute__((warn_unused_result)) bool walletdb_commit(struct walletdb *db, char *err,
                                                         size_t errlen);
bool walletdb_rollback(struct walletdb *db, char *err, size_t errlen);
bool walletdb_in_batch(const struct walletdb *db);

/* Copies the WAL into the main file and truncates the WAL (not inside a batch). */
__attribute__((warn_unused_result)) bool walletdb_checkpoint(struct walletdb *db, char *err,
                                                             size_t errlen);

/* Writes a consistent copy of the whole database to dest (which must not exist) with
 * VACUUM INTO, while the wallet stays open (not inside a batch). The copy gets mode
 * 0600. False with err (names the destination, never any content). */
__attribute__((warn_unused_result)) bool walletdb_backup(struct walletdb *db, const char *dest,
                                                         char *err, size_t errlen);

/* Wipes and frees a buffer returned by a walletdb getter. NULL is a no-op. */
void walletdb_free_secret(void *p, size_t len);

/* ---- meta: key/value pairs ---- */

/* Sets key to the len-byte value (stored as a blob; text callers pass strlen bytes). */
__attribute__((warn_unused_result)) bool walletdb_put_meta(struct walletdb *db, const char *key,
                                                           const void *value, size_t len,
                                                           char *err, size_t errlen);
/* Sets key to an integer. */
__attribute__((warn_unused_result)) bool walletdb_put_meta_int(struct walletdb *db,
                                                               const char *key, int64_t value,
                                                               char *err, size_t errlen);
/* Reads a blob/text value: *value a new buffer of *len bytes plus a NUL (caller frees),
 * or NULL with *found false when key is absent. Fails if the value is an integer. */
__attribute__((warn_unused_result)) bool walletdb_get_meta(struct walletdb *db, const char *key,
                                                           uint8_t **value, size_t *len,
                                                           bool *found, char *err,
                                                           size_t errlen);
/* Reads an integer value (*found false when absent). Fails if the value is not one. */
__attribute__((warn_unused_result)) bool walletdb_get_meta_int(struct walletdb *db,
                                                               const char *key, int64_t *value,
                                                               bool *found, char *err,
                                                               size_t errlen);
__attribute__((warn_unused_result)) bool
walletdb_erase_meta(struct walletdb *db, const char *key, char *err, size_t errlen);

/* ---- descriptors ---- */

struct walletdb_descriptor {
    uint256 id;           /* the wallet's id for it (SHA-256 of the descriptor text) */
    char *text;           /* descriptor with checksum; NUL-terminated */
    uint32_t range_start; /* first index of the range (0 when unranged) */
    uint32_t range_end;   /* one past the last index generated so far */
    uint32_t next_index;  /* next index to hand out */
    bool active;          /* used for new addresses */
    bool internal;        /* change (internal) chain */
    int64_t created;      /* Unix time */
    uint8_t *secret;      /* private key material, NULL for watch-only */
    size_t secret_len;
    bool secret_encrypted; /* secret is a crypter secret record */
};

/* Inserts d, or replaces the descriptor with the same id (including its secret). */
__attribute__((warn_unused_result)) bool
walletdb_put_descriptor(struct walletdb *db, const struct walletdb_descriptor *d, char *err,
                        size_t errlen);
/* Reads descriptor id into *out (fields allocated; release with
 * walletdb_descriptor_clear), *found false when absent. */
__attribute__((warn_unused_result)) bool
walletdb_get_descriptor(struct walletdb *db, const uint256 *id, struct walletdb_descriptor *out,
                        bool *found, char *err, size_t errlen);
/* Updates the range end and next index of descriptor id (address generation). Fails if
 * there is no such descriptor. */
__attribute__((warn_unused_result)) bool
walletdb_update_descriptor_indexes(struct walletdb *db, const uint256 *id, uint32_t range_end,
                                   uint32_t next_index, char *err, size_t errlen);
/* Replaces the secret of descriptor id (when encrypting the wallet). */
__attribute__((warn_unused_result)) bool
walletdb_update_descriptor_secret(struct walletdb *db, const uint256 *id, const uint8_t *secret,
                                  size_t secret_len, bool encrypted, char *err, size_t errlen);
/* Deletes descriptor id and its cached scripts. Deleting a missing one succeeds. */
__attribute__((warn_unused_result)) bool
walletdb_erase_descriptor(struct walletdb *db, const uint256 *id, char *err, size_t errlen);
/* Calls cb for each descriptor in id order, until cb returns false. d is valid during
 * the call only. */
typedef bool (*walletdb_descriptor_cb)(void *arg, const struct walletdb_descriptor *d);
__attribute__((warn_unused_result)) bool walletdb_list_descriptors(struct walletdb *db,
                                                                   walletdb_descriptor_cb cb,
                                                                   void *arg, char *err,
                                                                   size_t errlen);
/* Frees (wiping the secret) the fields of d and zeroes it. NULL is a no-op. */
void walletdb_descriptor_clear(struct walletdb_descriptor *d);

/* ---- script cache: scriptPubKey -> (descriptor, index) ---- */

/* Records that descriptor desc_id (which must exist) produces script at index. */
__attribute__((warn_unused_result)) bool
walletdb_put_script(struct walletdb *db, const uint8_t *script, size_t len,
                    const uint256 *desc_id, uint32_t index, char *err, size_t errlen);
__attribute__((warn_unused_result)) bool
walletdb_get_script(struct walletdb *db, const uint8_t *script, size_t len, uint256 *desc_id,
                    uint32_t *index, bool *found, char *err, size_t errlen);

/* ---- address book ---- */

/* Sets the label and purpose ("receive", "send", ...) of address. */
__attribute__((warn_unused_result)) bool
walletdb_put_address(struct walletdb *db, const char *address, const char *label,
                     const char *purpose, char *err, size_t errlen);
/* *label and *purpose: new strings (caller frees), NULL with *found false if absent. */
__attribute__((warn_unused_result)) bool walletdb_get_address(struct walletdb *db,
                                                              const char *address, char **label,
                                                              char **purpose, bool *found,
                                                              char *err, size_t errlen);
__attribute__((warn_unused_result)) bool
walletdb_erase_address(struct walletdb *db, const char *address, char *err, size_t errlen);
typedef bool (*walletdb_address_cb)(void *arg, const char *address, const char *label,
                                    const char *purpose);
__attribute__((warn_unused_result)) bool walletdb_list_addresses(struct walletdb *db,
                                                                 walletdb_address_cb cb,
                                                                 void *arg, char *err,
                                                                 size_t errlen);

/* ---- transactions ---- */

enum walletdb_tx_state {
    WALLETDB_TX_UNCONFIRMED = 0, /* in the mempool or not yet broadcast */
    WALLETDB_TX_CONFIRMED = 1,   /* in block block_hash at height, position */
    WALLETDB_TX_CONFLICTED = 2,  /* a conflicting transaction is in block block_hash */
    WALLETDB_TX_ABANDONED = 3,   /* abandontransaction */
    WALLETDB_TX_INACTIVE = 4,    /* was in a block that got disconnected */
};

struct walletdb_tx {
    uint256 txid;
    uint8_t *raw; /* serialized transaction (with witness) */
    size_t raw_len;
    bool has_block; /* block_hash is set (confirmed or conflicted) */
    uint256 block_hash;
    int32_t height;   /* -1 when not in a block */
    int32_t position; /* index in the block, -1 when not in a block */
    int64_t time_received;
    enum walletdb_tx_state state;
};

/* Inserts or replaces transaction tx->txid. */
__attribute__((warn_unused_result)) bool
walletdb_put_tx(struct walletdb *db, const struct walletdb_tx *tx, char *err, size_t errlen);
/* Reads txid into *out (raw allocated; release with walletdb_tx_clear). */
__attribute__((warn_unused_result)) bool walletdb_get_tx(struct walletdb *db,
                                                         const uint256 *txid,
                                                         struct walletdb_tx *out, bool *found,
                                                         char *err, size_t errlen);
__attribute__((warn_unused_result)) bool
walletdb_erase_tx(struct walletdb *db, const uint256 *txid, char *err, size_t errlen);
/* Calls cb for each transaction in (height, position) order, unconfirmed (height -1)
 * first, until cb returns false. */
typedef bool (*walletdb_tx_cb)(void *arg, const struct walletdb_tx *tx);
__attribute__((warn_unused_result)) bool
walletdb_list_txs(struct walletdb *db, walletdb_tx_cb cb, void *arg, char *err, size_t errlen);
void walletdb_tx_clear(struct walletdb_tx *tx);

/* ---- locked outpoints (lockunspent with persistent=true) ---- */

__attribute__((warn_unused_result)) bool walletdb_lock_outpoint(struct walletdb *db,
                                                                const uint256 *txid,
                                                                uint32_t vout, char *err,
                                                                size_t errlen);
/* Unlocking an outpoint that is not locked succeeds. */
__attribute__((warn_unused_result)) bool walletdb_unlock_outpoint(struct walletdb *db,
                                                                  const uint256 *txid,
                                                                  uint32_t vout, char *err,
                                                                  size_t errlen);
typedef bool (*walletdb_outpoint_cb)(void *arg, const uint256 *txid, uint32_t vout);
__attribute__((warn_unused_result)) bool walletdb_list_locked(struct walletdb *db,
                                                              walletdb_outpoint_cb cb,
                                                              void *arg, char *err,
                                                              size_t errlen);

/* ---- secrets: master key record, seed, mnemonic ---- */

/* Stores the len-byte blob under name (WALLETDB_SECRET_*), replacing any previous one;
 * encrypted says whether it is a crypter record. */
__attribute__((warn_unused_result)) bool
walletdb_put_secret(struct walletdb *db, const char *name, const uint8_t *value, size_t len,
                    bool encrypted, char *err, size_t errlen);
/* *value: new buffer (release with walletdb_free_secret(*value, *len)), NULL with
 * *found false when absent. encrypted may be NULL. */
__attribute__((warn_unused_result)) bool
walletdb_get_secret(struct walletdb *db, const char *name, uint8_t **value, size_t *len,
                    bool *encrypted, bool *found, char *err, size_t errlen);
__attribute__((warn_unused_result)) bool
walletdb_erase_secret(struct walletdb *db, const char *name, char *err, size_t errlen);

#endif
