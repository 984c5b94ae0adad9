/* Signature and script execution caches.
 *
 * Both are the same structure underneath: a fixed table of 32-byte keys, each key the
 * salted SHA-256 of what it stands for. The table is split into buckets of eight slots;
 * a key lives in the bucket its first eight bytes pick. Looking up scans one bucket
 * (eight memcmps on one or two cache lines). Inserting into a full bucket replaces the
 * slot picked by another byte of the new key: since keys are salted hashes, that is a
 * random eviction an outsider cannot steer, and it needs no random number generator.
 * An all-zero slot is empty; a key that happens to be all zero is nudged.
 *
 * Buckets are guarded by a fixed array of mutexes (bucket index modulo the stripe
 * count), so threads checking different signatures rarely wait for each other. The
 * salted hasher state is computed once (salt padded to a full 64-byte block) and copied
 * for each key, which saves one compression per key. */
#include "chain/sigcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BUCKET_SLOTS 8
#define BUCKET_BYTES (BUCKET_SLOTS * SIGCACHE_ENTRY_BYTES)
#define LOCK_STRIPES 64

struct bucket {
    uint8_t key[BUCKET_SLOTS][SIGCACHE_ENTRY_BYTES];
};

struct keyset {
    struct bucket *buckets;
    size_t nbuckets;
    struct sha256_ctx salted; /* state after the salt block */
    pthread_mutex_t locks[LOCK_STRIPES];
    atomic_uint_fast64_t lookups, hits, inserts, evictions;
    atomic_size_t entries;
};

static bool keyset_init(struct keyset *s, size_t max_bytes, const uint8_t salt[32])
{
    memset(s, 0, sizeof(*s));
    s->nbuckets = max_bytes / BUCKET_BYTES;
    if (s->nbuckets > 0) {
        s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
        if (!s->buckets) return false;
    }
    uint8_t block[64] = {0};
    memcpy(block, salt, 32);
    sha256_init(&s->salted);
    sha256_write(&s->salted, block, sizeof(block));
    size_t i = 0;
    for (; i < LOCK_STRIPES; i++) {
        if (pthread_mutex_init(&s->locks[i], NULL) != 0) break;
    }
    if (i < LOCK_STRIPES) {
        while (i-- > 0) pthread_mutex_destroy(&s->locks[i]);
        free(s->buckets);
        return false;
    }
    atomic_init(&s->lookups, 0);
    atomic_init(&s->hits, 0);
    atomic_init(&s->inserts, 0);
    atomic_init(&s->evictions, 0);
    atomic_init(&s->entries, 0);
    return true;
}

static void keyset_destroy(struct keyset *s)
{
    for (size_t i = 0; i < LOCK_STRIPES; i++) pthread_mutex_destroy(&s->locks[i]);
    free(s->buckets);
}

static bool key_is_empty(const uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    uint8_t acc = 0;
    for (size_t i = 0; i < SIGCACHE_ENTRY_BYTES; i++) acc |= key[i];
    return acc == 0;
}

/* Finishes a key started with keyset_hasher. */
static void key_finish(struct sha256_ctx *h, uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    sha256_finalize(h, key);
    if (key_is_empty(key)) key[0] = 1; /* all-zero marks an empty slot */
}

static size_t bucket_of(const struct keyset *s, const uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | key[i];
    return (size_t)(v % s->nbuckets);
}

static bool keyset_contains(struct keyset *s, const uint8_t key[SIGCACHE_ENTRY_BYTES],
                            bool erase)
{
    atomic_fetch_add_explicit(&s->lookups, 1, memory_order_relaxed);
    if (s->nbuckets == 0) return false;
    size_t b = bucket_of(s, key);
    struct bucket *bk = &s->buckets[b];
    bool found = false;
    pthread_mutex_lock(&s->locks[b % LOCK_STRIPES]);
    for (size_t i = 0; i < BUCKET_SLOTS; i++) {
        if (memcmp(bk->key[i], key, SIGCACHE_ENTRY_BYTES) == 0) {
            found = true;
            if (erase) {
                memset(bk->key[i], 0, SIGCACHE_ENTRY_BYTES);
                atomic_fetch_sub_explicit(&s->entries, 1, memory_order_relaxed);
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->locks[b % LOCK_STRIPES]);
    if (found) atomic_fetch_add_explicit(&s->hits, 1, memory_order_relaxed);
    return found;
}

static void keyset_add(struct keyset *s, const uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    if (s->nbuckets == 0) return;
    size_t b = bucket_of(s, key);
    struct bucket *bk = &s->buckets[b];
    size_t empty = BUCKET_SLOTS;
    bool present = false;
    pthread_mutex_lock(&s->locks[b % LOCK_STRIPES]);
    for (size_t i = 0; i < BUCKET_SLOTS; i++) {
        if (memcmp(bk->key[i], key, SIGCACHE_ENTRY_BYTES) == 0) {
            present = true;
            break;
        }
        if (empty == BUCKET_SLOTS && key_is_empty(bk->key[i])) empty = i;
    }
    if (!present) {
        if (empty == BUCKET_SLOTS) {
            /* Full: the victim is chosen by a key byte not used for the bucket index. */
            empty = key[8] % BUCKET_SLOTS;
            atomic_fetch_add_explicit(&s->evictions, 1, memory_order_relaxed);
        } else {
            atomic_fetch_add_explicit(&s->entries, 1, memory_order_relaxed);
        }
        memcpy(bk->key[empty], key, SIGCACHE_ENTRY_BYTES);
        atomic_fetch_add_explicit(&s->inserts, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->locks[b % LOCK_STRIPES]);
}

static size_t keyset_memory(const struct keyset *s)
{
    return s->nbuckets * sizeof(struct bucket);
}

static void keyset_stats(const struct keyset *s, struct sigcache_stats *out)
{
    out->lookups = atomic_load_explicit(&s->lookups, memory_order_relaxed);
    out->hits = atomic_load_explicit(&s->hits, memory_order_relaxed);
    out->inserts = atomic_load_explicit(&s->inserts, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&s->evictions, memory_order_relaxed);
    out->entries = atomic_load_explicit(&s->entries, memory_order_relaxed);
    out->capacity = s->nbuckets * BUCKET_SLOTS;
}

/* ---- Signature cache ---- */

struct sigcache {
    struct keyset set;
    struct sig_cache_hook mempool_hook, block_hook;
};

static void sig_key(const struct sigcache *c, enum sig_cache_kind kind,
                    const uint8_t sighash[32], const uint8_t *pubkey, size_t pubkey_len,
                    const uint8_t *sig, size_t sig_len, uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    struct sha256_ctx h = c->set.salted;
    /* Kind and key length up front make the encoding unambiguous. */
    uint8_t head[9] = {(uint8_t)kind};
    for (int i = 0; i < 8; i++) head[1 + i] = (uint8_t)((uint64_t)pubkey_len >> (8 * i));
    sha256_write(&h, head, sizeof(head));
    sha256_write(&h, sighash, 32);
    sha256_write(&h, pubkey, pubkey_len);
    sha256_write(&h, sig, sig_len);
    key_finish(&h, key);
}

bool sigcache_contains(struct sigcache *c, enum sig_cache_kind kind, const uint8_t sighash[32],
                       const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                       size_t sig_len, bool erase)
{
    if (!c) return false;
    uint8_t key[SIGCACHE_ENTRY_BYTES];
    sig_key(c, kind, sighash, pubkey, pubkey_len, sig, sig_len, key);
    return keyset_contains(&c->set, key, erase);
}

void sigcache_add(struct sigcache *c, enum sig_cache_kind kind, const uint8_t sighash[32],
                  const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig, size_t sig_len)
{
    if (!c) return;
    uint8_t key[SIGCACHE_ENTRY_BYTES];
    sig_key(c, kind, sighash, pubkey, pubkey_len, sig, sig_len, key);
    keyset_add(&c->set, key);
}

static bool hook_lookup_keep(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                             const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                             size_t sig_len)
{
    return sigcache_contains(ctx, kind, sighash, pubkey, pubkey_len, sig, sig_len, false);
}

static bool hook_lookup_erase(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                              const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                              size_t sig_len)
{
    return sigcache_contains(ctx, kind, sighash, pubkey, pubkey_len, sig, sig_len, true);
}

static void hook_store(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                       const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                       size_t sig_len)
{
    sigcache_add(ctx, kind, sighash, pubkey, pubkey_len, sig, sig_len);
}

struct sigcache *sigcache_new(size_t max_bytes, const uint8_t salt[32])
{
    struct sigcache *c = malloc(sizeof(*c));
    if (!c) return NULL;
    if (!keyset_init(&c->set, max_bytes, salt)) {
        free(c);
        return NULL;
    }
    c->mempool_hook = (struct sig_cache_hook){
        .lookup = hook_lookup_keep, .store = hook_store, .ctx = c, .store_on_success = true};
    c->block_hook = (struct sig_cache_hook){
        .lookup = hook_lookup_erase, .store = hook_store, .ctx = c, .store_on_success = false};
    return c;
}

void sigcache_free(struct sigcache *c)
{
    if (!c) return;
    keyset_destroy(&c->set);
    free(c);
}

const struct sig_cache_hook *sigcache_mempool_hook(struct sigcache *c)
{
    return c ? &c->mempool_hook : NULL;
}

const struct sig_cache_hook *sigcache_block_hook(struct sigcache *c)
{
    return c ? &c->block_hook : NULL;
}

size_t sigcache_memory_usage(const struct sigcache *c)
{
    return c ? keyset_memory(&c->set) : 0;
}

void sigcache_get_stats(const struct sigcache *c, struct sigcache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (c) keyset_stats(&c->set, out);
}

/* ---- Script execution cache ---- */

struct script_cache {
    struct keyset set;
};

static void script_key(const struct script_cache *c, const uint256 *wtxid, uint32_t flags,
                       uint8_t key[SIGCACHE_ENTRY_BYTES])
{
    struct sha256_ctx h = c->set.salted;
    uint8_t f[4] = {(uint8_t)flags, (uint8_t)(flags >> 8), (uint8_t)(flags >> 16),
                    (uint8_t)(flags >> 24)};
    sha256_write(&h, wtxid->b, 32);
    sha256_write(&h, f, sizeof(f));
    key_finish(&h, key);
}

struct script_cache *script_cache_new(size_t max_bytes, const uint8_t salt[32])
{
    struct script_cache *c = malloc(sizeof(*c));
    if (!c) return NULL;
    if (!keyset_init(&c->set, max_bytes, salt)) {
        free(c);
        return NULL;
    }
    return c;
}

void script_cache_free(struct script_cache *c)
{
    if (!c) return;
    keyset_destroy(&c->set);
    free(c);
}

bool script_cache_contains(struct script_cache *c, const uint256 *wtxid, uint32_t flags,
                           bool erase)
{
    if (!c) return false;
    uint8_t key[SIGCACHE_ENTRY_BYTES];
    script_key(c, wtxid, flags, key);
    return keyset_contains(&c->set, key, erase);
}

void script_cache_add(struct script_cache *c, const uint256 *wtxid, uint32_t flags)
{
    if (!c) return;
    uint8_t key[SIGCACHE_ENTRY_BYTES];
    script_key(c, wtxid, flags, key);
    keyset_add(&c->set, key);
}

size_t script_cache_memory_usage(const struct script_cache *c)
{
    return c ? keyset_memory(&c->set) : 0;
}

void script_cache_get_stats(const struct script_cache *c, struct sigcache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (c) keyset_stats(&c->set, out);
}
