/* Caches of verification results, so a transaction checked when it entered the mempool
 * is not checked again when it arrives in a block (Bitcoin Core's SignatureCache and
 * script execution cache).
 *
 * struct sigcache remembers single signatures that verified; struct script_cache
 * remembers whole transactions whose every input passed under a given set of flags.
 * Each entry is a salted SHA-256 of what it stands for, so a peer that does not know the
 * salt cannot aim transactions at chosen slots. Memory is fixed when the cache is made:
 * when full, a new entry replaces a pseudo-randomly chosen one in its bucket.
 *
 * Both are thread-safe (striped mutexes) and keep no global state: the chainstate owns
 * one of each. A cache never makes an invalid spend valid: it is filled only after a
 * verification succeeded, and the interpreter still applies every encoding rule before
 * it asks (see struct sig_cache_hook in consensus/script.h). */
#ifndef IOP_CHAIN_SIGCACHE_H
#define IOP_CHAIN_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/script.h"

/* Bitcoin Core's -maxsigcachesize default (32 MiB), split evenly between the two. */
#define SIGCACHE_DEFAULT_TOTAL_BYTES ((size_t)32 << 20)
#define SIGCACHE_DEFAULT_BYTES       (SIGCACHE_DEFAULT_TOTAL_BYTES / 2)
#define SCRIPT_CACHE_DEFAULT_BYTES   (SIGCACHE_DEFAULT_TOTAL_BYTES / 2)
/* Every entry takes this many bytes of the budget. */
#define SIGCACHE_ENTRY_BYTES 32

/* Counters since creation; each read is a relaxed snapshot. */
struct sigcache_stats {
    uint64_t lookups, hits, inserts, evictions;
    size_t entries;  /* occupied slots now */
    size_t capacity; /* slots in all */
};

/* ---- Signature cache ---- */

struct sigcache;

/* A cache using at most max_bytes for its entries (plus a fixed few KiB of locks);
 * max_bytes below one bucket (256 bytes) gives a cache that stores nothing. salt is 32
 * secret random bytes (random_bytes), copied. NULL on out of memory. */
struct sigcache *sigcache_new(size_t max_bytes, const uint8_t salt[32]);
/* NULL is a no-op. No thread may be using the cache or one of its hooks. */
void sigcache_free(struct sigcache *c);

/* True when the signature is cached. With erase, a hit also removes the entry (block
 * validation: each signature is needed once more at most). */
bool sigcache_contains(struct sigcache *c, enum sig_cache_kind kind, const uint8_t sighash[32],
                       const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                       size_t sig_len, bool erase);
/* Records a signature that verified. */
void sigcache_add(struct sigcache *c, enum sig_cache_kind kind, const uint8_t sighash[32],
                  const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig, size_t sig_len);

/* The hooks to hand the interpreter (script_verify_cached, struct script_check_job).
 * Owned by c, valid until sigcache_free. The mempool hook stores every signature that
 * verifies and keeps entries on a hit; the block hook stores nothing and erases on a
 * hit, as Core does. c NULL gives NULL (no cache). */
const struct sig_cache_hook *sigcache_mempool_hook(struct sigcache *c);
const struct sig_cache_hook *sigcache_block_hook(struct sigcache *c);

/* Bytes allocated for entries: never more than the max_bytes given to sigcache_new. */
size_t sigcache_memory_usage(const struct sigcache *c);
void sigcache_get_stats(const struct sigcache *c, struct sigcache_stats *out);

/* ---- Script execution cache ---- */

/* Whole transactions, keyed by salted SHA-256(wtxid || flags): a transaction that
 * passed all script checks under flags skips them in a block checked with the same
 * flags. Different flags are a different entry (a miss). */
struct script_cache;

/* As sigcache_new. */
struct script_cache *script_cache_new(size_t max_bytes, const uint8_t salt[32]);
void script_cache_free(struct script_cache *c);
/* With erase, a hit also removes the entry (ConnectBlock: Core erases too). */
bool script_cache_contains(struct script_cache *c, const uint256 *wtxid, uint32_t flags,
                           bool erase);
/* Call only after every input of the transaction passed under flags. */
void script_cache_add(struct script_cache *c, const uint256 *wtxid, uint32_t flags);
size_t script_cache_memory_usage(const struct script_cache *c);
void script_cache_get_stats(const struct script_cache *c, struct sigcache_stats *out);

#endif
