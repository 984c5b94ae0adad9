/* The UTXO set: coins, their compact on-disk form, the LevelDB table that holds them
 * (chainstate) and the in-memory cache that validation works against.
 *
 * Formats are Bitcoin Core's, so a chainstate written by iopd reads like Core's:
 *   key   'C' || txid (32 bytes, internal order) || VARINT(n)
 *   value VARINT(height*2 + coinbase) || VARINT(CompressAmount(value)) || compressed script
 *   key   'B' -> the 32-byte hash of the block the set is current to
 * VARINT is Core's base-128 encoding with the "+1 per continuation byte" trick (every
 * value has exactly one encoding). See doc/utxo.md.
 *
 * The cache (struct coins_cache) keeps coins that were read, added or spent since the
 * last flush, each with two flags as in Core's CCoinsViewCache:
 *   DIRTY  the entry differs from the layer below and must be written on flush;
 *   FRESH  the layer below does not have this coin (unspent), so if it is spent before
 *          the flush it is simply forgotten: a coin created and spent between two flushes
 *          never touches the disk.
 * A cache sits over a coins_db, or over another cache (a child used to connect one block
 * and thrown away or merged when the block is valid). coins_cache_flush writes every
 * dirty entry and the best-block marker in ONE LevelDB write batch, so a crash at any
 * moment leaves the database at exactly one flushed state.
 *
 * A cache is not thread-safe: one thread uses it at a time (parallel script checks get
 * the spent coins copied out first). A read failure of the database is sticky
 * (coins_cache_error): the cache then reports every miss as possibly an error, and the
 * node should stop rather than carry on with a set it cannot read. */
#ifndef IOP_CHAIN_COINS_H
#define IOP_CHAIN_COINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

#define COINS_WU __attribute__((warn_unused_result))

/* Database keys. */
#define COINS_DB_COIN        'C'
#define COINS_DB_BEST_BLOCK  'B'
#define COINS_DB_HEAD_BLOCKS 'H' /* Core's multi-batch flush marker; never written by us */
/* 'C' + txid + VARINT(uint32) takes at most this many bytes. */
#define COINS_DB_KEY_MAX (1 + 32 + 5)

/* An unspent output. A coin owns out.script_pubkey (malloc'd, may be NULL when the
 * length is 0). A spent coin has out.value == -1 and no script. */
struct coin {
    struct tx_out out;
    uint32_t height;
    bool coinbase;
};

/* ---- Coins ---- */

void coin_init(struct coin *c);
/* Frees the script and makes the coin spent; NULL is a no-op. */
void coin_clear(struct coin *c);
bool coin_is_spent(const struct coin *c);
/* Deep copy into dst, which must own nothing. False on out of memory. */
COINS_WU bool coin_copy(struct coin *dst, const struct coin *src);
/* Makes dst own a copy of out with the given metadata (dst must own nothing). */
COINS_WU bool coin_set(struct coin *dst, const struct tx_out *out, uint32_t height,
                       bool coinbase);
/* Same value, script, height and coinbase flag. */
bool coin_equal(const struct coin *a, const struct coin *b);

/* ---- Core's compact encodings ---- */

/* Core's VARINT (the MSB-first base-128 form of serialize.h's VarIntMode::DEFAULT). */
void coins_write_varint(struct writer *w, uint64_t v);
/* Reads a VARINT that must fit in max (UINT64_MAX, UINT32_MAX, ...). False (reader
 * failed) when the input ends or the value would exceed max. */
COINS_WU bool coins_read_varint(struct reader *r, uint64_t *v, uint64_t max);

/* Core's CompressAmount/DecompressAmount: factors out powers of ten so round amounts take
 * one or two bytes. decompress returns false for codes whose amount overflows 64 bits. */
uint64_t coins_compress_amount(uint64_t amount);
COINS_WU bool coins_decompress_amount(uint64_t code, uint64_t *amount);

/* Core's ScriptCompression: P2PKH (0x00 + 20), P2SH (0x01 + 20), P2PK with a compressed key
 * (0x02/0x03 + x) or a valid uncompressed key (0x04/0x05 + x, Y parity in the tag) take
 * 21 or 33 bytes; anything else is VARINT(len + 6) then the script. */
void coins_write_script(struct writer *w, const uint8_t *script, size_t len);
/* Reads a compressed script into a new malloc'd buffer (*out, caller frees; NULL when
 * *len is 0). A stored length above MAX_SCRIPT_SIZE is skipped and read back as the
 * one-byte unspendable script OP_RETURN, as Core does. False on truncated or corrupt
 * input (including a 0x04/0x05 key that is not on the curve). */
COINS_WU bool coins_read_script(struct reader *r, uint8_t **out, size_t *len);

/* Compressed amount then compressed script (Core's TxOutCompression). */
void coins_write_txout(struct writer *w, const struct tx_out *out);
/* Reads into *out, which must own nothing; amounts above MAX_MONEY are corrupt. */
COINS_WU bool coins_read_txout(struct reader *r, struct tx_out *out);

/* The chainstate value of an unspent coin. */
void coin_serialize(struct writer *w, const struct coin *c);
/* Reads one coin into *c (which must own nothing). On failure *c owns nothing. */
COINS_WU bool coin_deserialize(struct reader *r, struct coin *c);

/* Writes the chainstate key of op to key[COINS_DB_KEY_MAX]; returns its length. */
size_t coins_db_key(uint8_t key[COINS_DB_KEY_MAX], const struct outpoint *op);

/* ---- The chainstate database ---- */

struct coins_db;
struct db;

/* Opens (creating) the UTXO database in directory path with cache_bytes for LevelDB;
 * wipe starts from empty. NULL with *err (malloc'd) on failure, including a corrupt
 * best-block record and a database left with Core's 'H' marker by an interrupted
 * multi-batch flush. */
COINS_WU struct coins_db *coins_db_open(const char *path, size_t cache_bytes, bool wipe,
                                        char **err);
void coins_db_close(struct coins_db *cdb);
/* The underlying database (borrowed), for iteration and size estimates. */
struct db *coins_db_handle(struct coins_db *cdb);
/* Reads the coin at op into *out (which must own nothing). Not found: false with *err
 * NULL. Read error or corrupt record: false with *err set (malloc'd). */
COINS_WU bool coins_db_get(struct coins_db *cdb, const struct outpoint *op, struct coin *out,
                           char **err);
bool coins_db_have(struct coins_db *cdb, const struct outpoint *op);
/* The block the stored set is current to; false (and *out zeroed) when none was ever
 * written (a new database). Read once at open (an unreadable or malformed record makes
 * coins_db_open fail) and kept current by coins_cache_flush, so it cannot fail. */
bool coins_db_best_block(struct coins_db *cdb, uint256 *out);
/* Calls fn for every stored coin in key order; stops early when fn returns false.
 * Returns false with *err on a read error or corrupt record. */
COINS_WU bool coins_db_for_each(struct coins_db *cdb,
                                bool (*fn)(void *ctx, const struct outpoint *op,
                                           const struct coin *c),
                                void *ctx, char **err);

/* ---- The cache ---- */

struct coins_cache;

/* A new empty cache over a database or over a parent cache (exactly one non-NULL; both
 * are borrowed and must outlive the cache). Its best block starts as the base's. NULL
 * on out of memory. Each cache hashes outpoints with SipHash under its own random key,
 * so peers cannot craft transactions that collide in it. */
struct coins_cache *coins_cache_new(struct coins_db *db);
struct coins_cache *coins_cache_new_child(struct coins_cache *parent);
/* Frees the cache and every coin in it, dropping unflushed changes; NULL is a no-op. */
void coins_cache_free(struct coins_cache *c);

/* The unspent coin at op, looking through to the base and caching it on a miss;
 * borrowed, valid until the cache is next modified. NULL when there is no unspent coin
 * or when reading the base failed: then coins_cache_error() is set. */
const struct coin *coins_cache_get(struct coins_cache *c, const struct outpoint *op);
bool coins_cache_have(struct coins_cache *c, const struct outpoint *op);
/* Like have, but only looks in this cache (no read from the base). */
bool coins_cache_have_in_cache(const struct coins_cache *c, const struct outpoint *op);

/* Adds a copy of coin at op. Unspendable scripts (OP_RETURN-led or longer than
 * MAX_SCRIPT_SIZE) are silently not added. possible_overwrite may replace an unspent coin
 * (BIP30's duplicate coinbases); without it, finding an unspent coin in THIS cache is a
 * logic error (false with *err) -- the base is not consulted, the caller vouches that it
 * holds no such coin. False with *err on out of memory. */
COINS_WU bool coins_cache_add(struct coins_cache *c, const struct outpoint *op,
                              const struct coin *coin, bool possible_overwrite, char **err);
/* Adds every output of tx (txid given, or NULL to compute it) created at height, as
 * Core's AddCoins: coinbase outputs may overwrite; with check, any output may overwrite
 * when an unspent coin already exists. */
COINS_WU bool coins_cache_add_tx(struct coins_cache *c, const struct tx *tx,
                                 const uint256 *txid, uint32_t height, bool check, char **err);
/* Spends the coin at op. If moved_out is non-NULL (owning nothing) it receives the coin.
 * False when there is no unspent coin (see coins_cache_error for a read failure). */
bool coins_cache_spend(struct coins_cache *c, const struct outpoint *op,
                       struct coin *moved_out);
/* Drops an unmodified entry from memory (after a mempool lookup, say). */
void coins_cache_uncache(struct coins_cache *c, const struct outpoint *op);

void coins_cache_set_best_block(struct coins_cache *c, const uint256 *hash);
void coins_cache_best_block(const struct coins_cache *c, uint256 *out);

/* Approximate heap bytes the cache uses (entries, scripts, hash table). The node flushes
 * when this passes -dbcache. */
size_t coins_cache_usage(const struct coins_cache *c);
/* Entries in the cache (unspent and spent-but-dirty). */
size_t coins_cache_count(const struct coins_cache *c);
/* The sticky error of a failed read from the base (borrowed), or NULL. */
const char *coins_cache_error(const struct coins_cache *c);

/* Writes every dirty entry and the best-block marker (best_block, or the cache's own when
 * NULL) to db in one atomic batch; sync makes it durable before returning. The cache must
 * be over db. On success the cache is emptied (flush) or keeps its unspent entries with
 * flags cleared (sync_keep), and returns true. On failure nothing in the cache changes;
 * false with *err. */
COINS_WU bool coins_cache_flush(struct coins_cache *c, struct coins_db *db,
                                const uint256 *best_block, bool sync, char **err);
COINS_WU bool coins_cache_sync_keep(struct coins_cache *c, struct coins_db *db,
                                    const uint256 *best_block, bool sync, char **err);
/* Merges a child cache's changes (and best block) into its parent and empties the child.
 * False with *err on a FRESH-flag inconsistency (a coin the child created as new while
 * the parent holds it unspent: a duplicate txid that BIP30 checks should have caught),
 * detected before anything changes; or on out of memory, after which the parent may be
 * partly updated. */
COINS_WU bool coins_cache_flush_to_parent(struct coins_cache *child, char **err);

#endif
