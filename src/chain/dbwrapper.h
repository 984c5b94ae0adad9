/* A small key-value store over LevelDB's C API: open/close, point reads, atomic write
 * batches and ordered iteration. The block index (blocks/index) and the UTXO set
 * (chainstate) are kept in it.
 *
 * Keys and values are opaque byte strings; LevelDB orders keys bytewise (memcmp, then
 * shorter first). Values are XORed on disk with a per-database 8-byte key, as Bitcoin
 * Core does, so that anti-virus scanners do not quarantine files containing byte patterns
 * from the chain. The key is stored unobfuscated under OBFUSCATE_KEY_KEY; a database
 * created empty gets a random key, a database that already held data without one keeps
 * the all-zero key (no obfuscation). Obfuscation is invisible to callers: every function
 * here takes and returns plain values. Keys are never obfuscated.
 *
 * Ownership: a struct db owns its LevelDB handle and options. A batch is independent of
 * any database until db_write; it may be written to several databases or reused after
 * db_write (which leaves it unchanged). An iterator borrows its database, which must
 * outlive it, and sees a consistent snapshot taken when it was created.
 *
 * Errors: functions that can fail return bool and report a malloc'd message through
 * char **err (the caller frees it; it is NULL on success and for "not found"). err may be
 * NULL when the caller does not want the message. Out of memory in this module aborts
 * through LevelDB's own allocation (C++ new); our own allocations are checked. */
#ifndef IOP_CHAIN_DBWRAPPER_H
#define IOP_CHAIN_DBWRAPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_WU __attribute__((warn_unused_result))

/* Where the obfuscation key lives: Core's serialized std::string "\0obfuscate_key"
 * (a CompactSize length 14, then the 14 bytes). Its value is a CompactSize 8 then the
 * 8 key bytes, stored unobfuscated. */
#define OBFUSCATE_KEY_KEY     "\x0e\x00obfuscate_key"
#define OBFUSCATE_KEY_KEY_LEN 15
#define OBFUSCATE_KEY_LEN     8

struct db;
struct db_batch;
struct db_iter;

/* Opens (creating if missing) the LevelDB database in directory path. The parent of path
 * must exist; its last component is created. cache_bytes is split as Bitcoin Core does:
 * half to LevelDB's block cache, a quarter to the write buffer (memtable). wipe destroys
 * any existing database at path first (-reindex). Returns the handle (free with
 * db_close) or NULL with *err set. */
DB_WU struct db *db_open(const char *path, size_t cache_bytes, bool wipe, char **err);
/* Closes the database and frees the handle; NULL is a no-op. Every iterator on it must
 * have been freed. */
void db_close(struct db *db);

/* Reads the value of key. Found: returns true with *val a malloc'd copy (caller frees;
 * non-NULL even when *vlen is 0). Not found: returns false with *val NULL and *err NULL.
 * I/O or corruption error: returns false with *err set. */
DB_WU bool db_read(struct db *db, const void *key, size_t klen, uint8_t **val, size_t *vlen,
                   char **err);
/* True when key is present. A read error counts as absent. */
bool db_exists(struct db *db, const void *key, size_t klen);

/* ---- Write batches: a list of puts and deletes applied atomically by db_write ---- */

/* A new empty batch (free with db_batch_free), or NULL on out of memory. */
struct db_batch *db_batch_new(void);
/* Frees the batch; NULL is a no-op. */
void db_batch_free(struct db_batch *b);
/* Queues key := val (both copied). A later operation on the same key wins. */
void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val,
                  size_t vlen);
/* Queues the removal of key (copied). Deleting an absent key is not an error. */
void db_batch_delete(struct db_batch *b, const void *key, size_t klen);
/* Empties the batch for reuse. */
void db_batch_clear(struct db_batch *b);
/* Bytes the batch occupies in LevelDB's representation (header plus each record),
 * which callers use to split very large writes. */
size_t db_batch_size_estimate(const struct db_batch *b);
/* Number of queued operations. */
size_t db_batch_count(const struct db_batch *b);

/* Applies every operation of b atomically: after a crash either all or none are
 * visible. sync waits for the write to reach stable storage (fsync) before returning;
 * without it a crash of the machine (not of the process) may lose the write, but never
 * half of it. b is left unchanged. False with *err on failure. */
DB_WU bool db_write(struct db *db, struct db_batch *b, bool sync, char **err);

/* ---- Iteration in key order ---- */

/* A new iterator, initially not valid (seek first), or NULL on out of memory. */
struct db_iter *db_iter_new(struct db *db);
/* Frees the iterator; NULL is a no-op. */
void db_iter_free(struct db_iter *it);
/* Positions at the first key >= key. */
void db_iter_seek(struct db_iter *it, const void *key, size_t klen);
void db_iter_seek_to_first(struct db_iter *it);
bool db_iter_valid(const struct db_iter *it);
/* Moves to the next key; the iterator must be valid. */
void db_iter_next(struct db_iter *it);
/* The current key and value (deobfuscated), borrowed: valid until the iterator moves or
 * is freed. The iterator must be valid. db_iter_value returns NULL (and *len 0) only if
 * it cannot allocate the buffer for a deobfuscated copy. */
const uint8_t *db_iter_key(const struct db_iter *it, size_t *len);
const uint8_t *db_iter_value(const struct db_iter *it, size_t *len);
/* An I/O or corruption error met while iterating (a malloc'd message, caller frees),
 * or NULL. An iterator that stops early because of an error is merely not valid, so
 * loops that must see every key check this afterwards. */
char *db_iter_error(const struct db_iter *it);

/* ---- Maintenance ---- */

/* Compacts the key range [begin, end] (NULL for an open end) to reclaim space. */
void db_compact_range(struct db *db, const void *begin, size_t blen, const void *end,
                      size_t elen);
/* Approximate on-disk bytes used by keys in [begin, end). */
uint64_t db_estimate_size(struct db *db, const void *begin, size_t blen, const void *end,
                          size_t elen);
/* True when the database holds no key besides the obfuscation key. */
bool db_is_empty(struct db *db);
/* The 8-byte obfuscation key in use (all zero when none). */
void db_obfuscate_key(const struct db *db, uint8_t out[OBFUSCATE_KEY_LEN]);

#endif
