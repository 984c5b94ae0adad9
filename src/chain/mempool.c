/* The transaction memory pool (see mempool.h for the contract, doc/mempool.md for the
 * rules).
 *
 * Design in plain words. Each entry owns its transaction and knows its direct in-pool
 * parents and children. Ancestor and descendant totals are kept up to date on every
 * change: adding an entry adds it to each ancestor's descendant totals; removing a set of
 * entries ("staged" removal, as Core's RemoveStaged) subtracts each removed entry from
 * its ancestors' descendant totals and, when the removed entries' descendants stay (a
 * block confirmed them), from those descendants' ancestor totals. Walks over ancestors
 * or descendants mark visited entries with a per-pool epoch number, so a walk costs the
 * size of the set it visits.
 *
 * Three hash maps (txid, wtxid, outpoint spent) use chaining with SipHash under the
 * pool's key; the tables double when their load passes one. Eviction order is a
 * binary min-heap on descendant score, re-keyed whenever an entry's descendant totals
 * change. */
#include "chain/mempool.h"
#include "chain/sigcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/txverify.h"
#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/sighash.h"
#include "consensus/tx_check.h"

struct mempool_spend {
    struct outpoint op;
    struct mempool_entry *entry;
    struct mempool_spend *next;
};

struct entry_vec {
    struct mempool_entry **v;
    size_t len, cap;
};

struct mempool {
    struct policy_params policy;
    uint64_t k0, k1;
    /* txid and wtxid maps share one bucket count. */
    struct mempool_entry **by_txid, **by_wtxid;
    size_t tx_buckets;
    struct mempool_spend **by_spend;
    size_t spend_buckets, spend_count;
    /* Descendant-score min-heap: heap[0] is evicted first. */
    struct mempool_entry **heap;
    size_t count, heap_cap;
    uint64_t epoch;
    size_t usage; /* sum of entry usage */
    int64_t total_vsize;
    int64_t total_fee;
    /* Core's rolling minimum fee state. */
    double rolling_min_fee;
    int64_t last_rolling_update;
    bool block_since_bump;
    mempool_removal_fn on_removed;
    void *hook_ctx;
    mempool_addition_fn on_added;
    void *added_ctx;
    /* Core's m_sequence_number: starts at 1, +1 per addition and per removal. */
    uint64_t sequence;
    /* A script failure's reason is built here; results point in until the next call. */
    char script_reason[160];
    /* Optional chainstate caches (mempool_set_script_caches); borrowed. */
    const struct sig_cache_hook *sig_hook;
    struct script_cache *script_cache;
    uint32_t consensus_flags;
};

/* ---------------------------------------------------------------- small helpers */

/* 2^-x for x >= 0 without libm: halvings for the integer part, a series for the rest. */
static double pow2_neg(double x)
{
    if (!(x > 0)) return 1.0;
    if (x > 1100) return 0.0;
    double r = 1.0;
    while (x >= 1.0) {
        r *= 0.5;
        x -= 1.0;
    }
    /* e^(-x ln 2), |x ln 2| < 0.7: 25 terms are far past double precision. */
    double t = -x * 0.69314718055994530942, term = 1.0, sum = 1.0;
    for (int k = 1; k < 25; k++) {
        term *= t / k;
        sum += term;
    }
    return r * sum;
}

/* llround for non-negative values. */
static int64_t round_rate(double x) { return x <= 0 ? 0 : (int64_t)(x + 0.5); }

/* Core's memusage::MallocUsage on 64-bit platforms. */
static size_t malloc_usage(size_t n) { return n ? ((n + 31) >> 4) << 4 : 0; }

static size_t tx_usage(const struct tx *tx)
{
    size_t u = malloc_usage(tx->vin_count * sizeof(struct tx_in)) +
               malloc_usage(tx->vout_count * sizeof(struct tx_out));
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        u += malloc_usage(in->script_sig_len);
        u += malloc_usage(in->witness_count * sizeof(struct byte_vec));
        for (size_t j = 0; j < in->witness_count; j++) u += malloc_usage(in->witness[j].len);
    }
    for (size_t i = 0; i < tx->vout_count; i++)
        u += malloc_usage(tx->vout[i].script_pubkey_len);
    return u;
}

static bool vec_push(struct entry_vec *v, struct mempool_entry *e)
{
    if (v->len == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        struct mempool_entry **nv = realloc(v->v, nc * sizeof(*nv));
        if (!nv) return false;
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->len++] = e;
    return true;
}

static void vec_free(struct entry_vec *v)
{
    free(v->v);
    v->v = NULL;
    v->len = v->cap = 0;
}

static bool ptr_reserve(struct mempool_entry ***arr, size_t *cap, size_t need)
{
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 2;
    while (nc < need) nc *= 2;
    struct mempool_entry **n = realloc(*arr, nc * sizeof(*n));
    if (!n) return false;
    *arr = n;
    *cap = nc;
    return true;
}

static void ptr_remove(struct mempool_entry **arr, size_t *count, const struct mempool_entry *e)
{
    for (size_t i = 0; i < *count; i++) {
        if (arr[i] == e) {
            arr[i] = arr[--*count];
            return;
        }
    }
}

static bool ptr_contains(struct mempool_entry *const *arr, size_t count,
                         const struct mempool_entry *e)
{
    for (size_t i = 0; i < count; i++)
        if (arr[i] == e) return true;
    return false;
}

static void hex_of(char out[65], const uint256 *h) { uint256_to_hex(out, h); }

/* ---------------------------------------------------------------- hash maps */

static size_t hash_key(const struct mempool *pool, const uint256 *h, size_t buckets)
{
    return (size_t)(siphash24(pool->k0, pool->k1, h->b, 32) & (buckets - 1));
}

static size_t hash_outpoint(const struct mempool *pool, const struct outpoint *op,
                            size_t buckets)
{
    uint8_t buf[36];
    memcpy(buf, op->hash.b, 32);
    buf[32] = (uint8_t)op->n;
    buf[33] = (uint8_t)(op->n >> 8);
    buf[34] = (uint8_t)(op->n >> 16);
    buf[35] = (uint8_t)(op->n >> 24);
    return (size_t)(siphash24(pool->k0, pool->k1, buf, sizeof(buf)) & (buckets - 1));
}

static bool outpoint_eq(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && memcmp(a->hash.b, b->hash.b, 32) == 0;
}

/* Grows the txid/wtxid tables so that count+1 entries keep a load of at most one. */
static bool tx_maps_reserve(struct mempool *pool)
{
    if (pool->count + 1 <= pool->tx_buckets) return true;
    size_t nb = pool->tx_buckets * 2;
    struct mempool_entry **nt = calloc(nb, sizeof(*nt));
    struct mempool_entry **nw = calloc(nb, sizeof(*nw));
    if (!nt || !nw) {
        free(nt);
        free(nw);
        return false;
    }
    for (size_t i = 0; i < pool->tx_buckets; i++) {
        struct mempool_entry *e = pool->by_txid[i];
        while (e) {
            struct mempool_entry *next = e->next_txid;
            size_t b = hash_key(pool, &e->txid, nb);
            e->next_txid = nt[b];
            nt[b] = e;
            e = next;
        }
        e = pool->by_wtxid[i];
        while (e) {
            struct mempool_entry *next = e->next_wtxid;
            size_t b = hash_key(pool, &e->wtxid, nb);
            e->next_wtxid = nw[b];
            nw[b] = e;
            e = next;
        }
    }
    free(pool->by_txid);
    free(pool->by_wtxid);
    pool->by_txid = nt;
    pool->by_wtxid = nw;
    pool->tx_buckets = nb;
    return true;
}

static bool spend_map_reserve(struct mempool *pool, size_t extra)
{
    if (pool->spend_count + extra <= pool->spend_buckets) return true;
    size_t nb = pool->spend_buckets;
    while (nb < pool->spend_count + extra) nb *= 2;
    struct mempool_spend **n = calloc(nb, sizeof(*n));
    if (!n) return false;
    for (size_t i = 0; i < pool->spend_buckets; i++) {
        struct mempool_spend *s = pool->by_spend[i];
        while (s) {
            struct mempool_spend *next = s->next;
            size_t b = hash_outpoint(pool, &s->op, nb);
            s->next = n[b];
            n[b] = s;
            s = next;
        }
    }
    free(pool->by_spend);
    pool->by_spend = n;
    pool->spend_buckets = nb;
    return true;
}

static struct mempool_entry *find_txid(const struct mempool *pool, const uint256 *txid)
{
    struct mempool_entry *e = pool->by_txid[hash_key(pool, txid, pool->tx_buckets)];
    while (e && memcmp(e->txid.b, txid->b, 32) != 0) e = e->next_txid;
    return e;
}

static struct mempool_entry *find_wtxid(const struct mempool *pool, const uint256 *wtxid)
{
    struct mempool_entry *e = pool->by_wtxid[hash_key(pool, wtxid, pool->tx_buckets)];
    while (e && memcmp(e->wtxid.b, wtxid->b, 32) != 0) e = e->next_wtxid;
    return e;
}

static struct mempool_entry *find_spender(const struct mempool *pool, const struct outpoint *op)
{
    struct mempool_spend *s = pool->by_spend[hash_outpoint(pool, op, pool->spend_buckets)];
    while (s && !outpoint_eq(&s->op, op)) s = s->next;
    return s ? s->entry : NULL;
}

/* ---------------------------------------------------------------- scores and heap */

/* Core's descendant score: the higher of the entry's own fee rate and its package's. */
static void desc_score(const struct mempool_entry *e, double *fee, double *size)
{
    double f1 = (double)e->mod_fees_with_descendants * (double)e->vsize;
    double f2 = (double)e->modified_fee * (double)e->size_with_descendants;
    if (f1 > f2) {
        *fee = (double)e->mod_fees_with_descendants;
        *size = (double)e->size_with_descendants;
    } else {
        *fee = (double)e->modified_fee;
        *size = (double)e->vsize;
    }
}

/* True when a is evicted before b (lower score; newer first on a tie). */
static bool evict_before(const struct mempool_entry *a, const struct mempool_entry *b)
{
    double af, as, bf, bs;
    desc_score(a, &af, &as);
    desc_score(b, &bf, &bs);
    double f1 = af * bs, f2 = as * bf;
    if (f1 == f2) return a->time >= b->time;
    return f1 < f2;
}

static void heap_set(struct mempool *pool, size_t i, struct mempool_entry *e)
{
    pool->heap[i] = e;
    e->heap_pos = i;
}

static void heap_up(struct mempool *pool, size_t i)
{
    struct mempool_entry *e = pool->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!evict_before(e, pool->heap[p])) break;
        heap_set(pool, i, pool->heap[p]);
        i = p;
    }
    heap_set(pool, i, e);
}

static void heap_down(struct mempool *pool, size_t i)
{
    struct mempool_entry *e = pool->heap[i];
    size_t n = pool->count;
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        struct mempool_entry *bv = e;
        if (l < n && evict_before(pool->heap[l], bv)) {
            best = l;
            bv = pool->heap[l];
        }
        if (l + 1 < n && evict_before(pool->heap[l + 1], bv)) {
            best = l + 1;
            bv = pool->heap[l + 1];
        }
        if (best == i) break;
        heap_set(pool, i, bv);
        i = best;
    }
    heap_set(pool, i, e);
}

static void heap_fix(struct mempool *pool, struct mempool_entry *e)
{
    heap_up(pool, e->heap_pos);
    heap_down(pool, e->heap_pos);
}

static void heap_remove(struct mempool *pool, struct mempool_entry *e)
{
    size_t i = e->heap_pos;
    struct mempool_entry *last = pool->heap[pool->count - 1];
    pool->count--;
    if (i == pool->count) return;
    heap_set(pool, i, last);
    heap_fix(pool, last);
}

/* ---------------------------------------------------------------- walks */

/* In-pool ancestors of the entries in start (a set of parents), start included, each
 * once. Uses the epoch mark. */
static bool collect_up(struct mempool *pool, struct mempool_entry *const *start, size_t n,
                       struct entry_vec *out)
{
    uint64_t ep = ++pool->epoch;
    for (size_t i = 0; i < n; i++) {
        if (start[i]->epoch == ep) continue;
        start[i]->epoch = ep;
        if (!vec_push(out, start[i])) return false;
    }
    for (size_t k = 0; k < out->len; k++) {
        struct mempool_entry *a = out->v[k];
        for (size_t j = 0; j < a->parent_count; j++) {
            struct mempool_entry *p = a->parents[j];
            if (p->epoch == ep) continue;
            p->epoch = ep;
            if (!vec_push(out, p)) return false;
        }
    }
    return true;
}

/* e's descendants (e excluded) appended to out. */
static bool collect_down(struct mempool *pool, struct mempool_entry *e, struct entry_vec *out)
{
    uint64_t ep = ++pool->epoch;
    e->epoch = ep;
    size_t first = out->len;
    for (size_t j = 0; j < e->child_count; j++) {
        e->children[j]->epoch = ep;
        if (!vec_push(out, e->children[j])) return false;
    }
    for (size_t k = first; k < out->len; k++) {
        struct mempool_entry *d = out->v[k];
        for (size_t j = 0; j < d->child_count; j++) {
            struct mempool_entry *c = d->children[j];
            if (c->epoch == ep) continue;
            c->epoch = ep;
            if (!vec_push(out, c)) return false;
        }
    }
    return true;
}

/* Adds e and all its descendants to stage (marking them staged). */
static bool stage_with_descendants(struct mempool *pool, struct mempool_entry *e,
                                   struct entry_vec *stage)
{
    if (e->staged) return true;
    struct entry_vec d = {0};
    if (!collect_down(pool, e, &d)) {
        vec_free(&d);
        return false;
    }
    bool ok = true;
    if (!e->staged) {
        ok = vec_push(stage, e);
        if (ok) e->staged = true;
    }
    for (size_t i = 0; ok && i < d.len; i++) {
        if (d.v[i]->staged) continue;
        ok = vec_push(stage, d.v[i]);
        if (ok) d.v[i]->staged = true;
    }
    vec_free(&d);
    return ok;
}

/* ---------------------------------------------------------------- pool life */

struct mempool *mempool_new(const struct policy_params *p, uint64_t k0, uint64_t k1)
{
    struct mempool *pool = calloc(1, sizeof(*pool));
    if (!pool) return NULL;
    pool->policy = *p;
    pool->k0 = k0;
    pool->k1 = k1;
    pool->sequence = 1;
    pool->tx_buckets = 64;
    pool->spend_buckets = 64;
    pool->by_txid = calloc(pool->tx_buckets, sizeof(*pool->by_txid));
    pool->by_wtxid = calloc(pool->tx_buckets, sizeof(*pool->by_wtxid));
    pool->by_spend = calloc(pool->spend_buckets, sizeof(*pool->by_spend));
    if (!pool->by_txid || !pool->by_wtxid || !pool->by_spend) {
        mempool_free(pool);
        return NULL;
    }
    return pool;
}

static void entry_free(struct mempool_entry *e)
{
    if (!e) return;
    tx_clear(&e->tx);
    free(e->parents);
    free(e->children);
    free(e->spends);
    free(e);
}

void mempool_free(struct mempool *pool)
{
    if (!pool) return;
    for (size_t i = 0; i < pool->count; i++) entry_free(pool->heap[i]);
    free(pool->heap);
    free(pool->by_txid);
    free(pool->by_wtxid);
    free(pool->by_spend);
    free(pool);
}

void mempool_set_removal_hook(struct mempool *pool, mempool_removal_fn fn, void *ctx)
{
    pool->on_removed = fn;
    pool->hook_ctx = ctx;
}

void mempool_set_addition_hook(struct mempool *pool, mempool_addition_fn fn, void *ctx)
{
    pool->on_added = fn;
    pool->added_ctx = ctx;
}

uint64_t mempool_sequence(const struct mempool *pool) { return pool->sequence; }

const struct policy_params *mempool_policy(const struct mempool *pool) { return &pool->policy; }

const char *mempool_removal_reason_name(enum mempool_removal_reason r)
{
    switch (r) {
    case MEMPOOL_REMOVED_EXPIRY: return "expiry";
    case MEMPOOL_REMOVED_SIZELIMIT: return "sizelimit";
    case MEMPOOL_REMOVED_REORG: return "reorg";
    case MEMPOOL_REMOVED_BLOCK: return "block";
    case MEMPOOL_REMOVED_CONFLICT: return "conflict";
    case MEMPOOL_REMOVED_REPLACED: return "replaced";
    }
    return "unknown";
}

/* Fixed overhead charged per entry for its index nodes and heap slot. */
static size_t entry_overhead(const struct mempool_entry *e)
{
    return malloc_usage(sizeof(*e)) +
           malloc_usage(e->tx.vin_count * sizeof(struct mempool_spend)) + 4 * sizeof(void *) +
           malloc_usage(2 * sizeof(void *)) * 2;
}

/* ---------------------------------------------------------------- insertion */

/* Links a fully built entry into the pool. parents are its distinct in-pool parents,
 * ancestors all its in-pool ancestors (parents included). All allocation happens before
 * anything changes: false leaves the pool untouched. */
static bool entry_insert(struct mempool *pool, struct mempool_entry *e,
                         const struct entry_vec *parents, const struct entry_vec *ancestors)
{
    if (!tx_maps_reserve(pool) || !spend_map_reserve(pool, e->tx.vin_count)) return false;
    if (pool->count == pool->heap_cap) {
        size_t nc = pool->heap_cap ? pool->heap_cap * 2 : 64;
        struct mempool_entry **nh = realloc(pool->heap, nc * sizeof(*nh));
        if (!nh) return false;
        pool->heap = nh;
        pool->heap_cap = nc;
    }
    if (parents->len && !ptr_reserve(&e->parents, &e->parent_cap, parents->len)) return false;
    for (size_t i = 0; i < parents->len; i++) {
        struct mempool_entry *p = parents->v[i];
        if (!ptr_reserve(&p->children, &p->child_cap, p->child_count + 1)) return false;
    }
    e->spends = calloc(e->tx.vin_count ? e->tx.vin_count : 1, sizeof(*e->spends));
    if (!e->spends) return false;

    e->count_with_ancestors = 1;
    e->size_with_ancestors = e->vsize;
    e->mod_fees_with_ancestors = e->modified_fee;
    e->sigops_with_ancestors = e->sigop_cost;
    e->count_with_descendants = 1;
    e->size_with_descendants = e->vsize;
    e->mod_fees_with_descendants = e->modified_fee;
    for (size_t i = 0; i < ancestors->len; i++) {
        struct mempool_entry *a = ancestors->v[i];
        e->count_with_ancestors++;
        e->size_with_ancestors += a->vsize;
        e->mod_fees_with_ancestors += a->modified_fee;
        e->sigops_with_ancestors += a->sigop_cost;
    }
    for (size_t i = 0; i < parents->len; i++) {
        struct mempool_entry *p = parents->v[i];
        e->parents[e->parent_count++] = p;
        p->children[p->child_count++] = e;
    }
    size_t tb = hash_key(pool, &e->txid, pool->tx_buckets);
    e->next_txid = pool->by_txid[tb];
    pool->by_txid[tb] = e;
    size_t wb = hash_key(pool, &e->wtxid, pool->tx_buckets);
    e->next_wtxid = pool->by_wtxid[wb];
    pool->by_wtxid[wb] = e;
    for (size_t i = 0; i < e->tx.vin_count; i++) {
        struct mempool_spend *s = &e->spends[i];
        s->op = e->tx.vin[i].prevout;
        s->entry = e;
        size_t b = hash_outpoint(pool, &s->op, pool->spend_buckets);
        s->next = pool->by_spend[b];
        pool->by_spend[b] = s;
    }
    pool->spend_count += e->tx.vin_count;
    pool->heap[pool->count] = e;
    e->heap_pos = pool->count;
    pool->count++;
    heap_up(pool, e->heap_pos);
    for (size_t i = 0; i < ancestors->len; i++) {
        struct mempool_entry *a = ancestors->v[i];
        a->count_with_descendants++;
        a->size_with_descendants += e->vsize;
        a->mod_fees_with_descendants += e->modified_fee;
        heap_fix(pool, a);
    }
    e->usage = entry_overhead(e) + tx_usage(&e->tx);
    pool->usage += e->usage;
    pool->total_vsize += e->vsize;
    pool->total_fee += e->fee;
    return true;
}

/* ---------------------------------------------------------------- removal */

static void unlink_maps(struct mempool *pool, struct mempool_entry *e)
{
    struct mempool_entry **pp = &pool->by_txid[hash_key(pool, &e->txid, pool->tx_buckets)];
    while (*pp && *pp != e) pp = &(*pp)->next_txid;
    if (*pp) *pp = e->next_txid;
    pp = &pool->by_wtxid[hash_key(pool, &e->wtxid, pool->tx_buckets)];
    while (*pp && *pp != e) pp = &(*pp)->next_wtxid;
    if (*pp) *pp = e->next_wtxid;
    for (size_t i = 0; i < e->tx.vin_count; i++) {
        struct mempool_spend *s = &e->spends[i];
        struct mempool_spend **sp =
            &pool->by_spend[hash_outpoint(pool, &s->op, pool->spend_buckets)];
        while (*sp && *sp != s) sp = &(*sp)->next;
        if (*sp) *sp = s->next;
    }
    pool->spend_count -= e->tx.vin_count;
}

/* Core's RemoveStaged. Every staged entry has staged set. With update_descendants,
 * descendants outside the stage stay and lose the removed entries from their ancestor
 * totals (block confirmation); otherwise the stage must be closed under descendants.
 * Walks that fail for lack of memory leave totals stale; the links stay consistent. */
static void remove_staged(struct mempool *pool, struct entry_vec *stage,
                          bool update_descendants, enum mempool_removal_reason why)
{
    /* Out of the heap first, while their keys are still the ones it was ordered by. */
    for (size_t i = 0; i < stage->len; i++) heap_remove(pool, stage->v[i]);
    struct entry_vec tmp = {0};
    for (size_t i = 0; i < stage->len; i++) {
        struct mempool_entry *e = stage->v[i];
        if (update_descendants) {
            tmp.len = 0;
            if (collect_down(pool, e, &tmp)) {
                for (size_t k = 0; k < tmp.len; k++) {
                    struct mempool_entry *d = tmp.v[k];
                    if (d->staged) continue;
                    d->count_with_ancestors--;
                    d->size_with_ancestors -= e->vsize;
                    d->mod_fees_with_ancestors -= e->modified_fee;
                    d->sigops_with_ancestors -= e->sigop_cost;
                }
            }
        }
        tmp.len = 0;
        if (e->parent_count && collect_up(pool, e->parents, e->parent_count, &tmp)) {
            for (size_t k = 0; k < tmp.len; k++) {
                struct mempool_entry *a = tmp.v[k];
                a->count_with_descendants--;
                a->size_with_descendants -= e->vsize;
                a->mod_fees_with_descendants -= e->modified_fee;
                if (!a->staged) heap_fix(pool, a);
            }
        }
    }
    vec_free(&tmp);
    for (size_t i = 0; i < stage->len; i++) {
        struct mempool_entry *e = stage->v[i];
        for (size_t j = 0; j < e->parent_count; j++)
            ptr_remove(e->parents[j]->children, &e->parents[j]->child_count, e);
        for (size_t j = 0; j < e->child_count; j++)
            ptr_remove(e->children[j]->parents, &e->children[j]->parent_count, e);
        e->parent_count = e->child_count = 0;
        unlink_maps(pool, e);
        pool->usage -= e->usage;
        pool->total_vsize -= e->vsize;
        pool->total_fee -= e->fee;
    }
    for (size_t i = 0; i < stage->len; i++) {
        struct mempool_entry *e = stage->v[i];
        pool->sequence++;
        if (pool->on_removed) pool->on_removed(pool->hook_ctx, e, why);
        entry_free(e);
    }
    stage->len = 0;
}

size_t mempool_remove_recursive(struct mempool *pool, const uint256 *txid,
                                enum mempool_removal_reason why)
{
    struct mempool_entry *e = find_txid(pool, txid);
    if (!e) return 0;
    struct entry_vec stage = {0};
    if (!stage_with_descendants(pool, e, &stage)) {
        for (size_t i = 0; i < stage.len; i++) stage.v[i]->staged = false;
        vec_free(&stage);
        return 0;
    }
    size_t n = stage.len;
    remove_staged(pool, &stage, false, why);
    vec_free(&stage);
    return n;
}

/* ---------------------------------------------------------------- min fee, trim, expiry */

static size_t max_bytes(const struct mempool *pool)
{
    return (size_t)pool->policy.max_mempool_mb * 1000000u;
}

int64_t mempool_min_fee(struct mempool *pool, int64_t now)
{
    if (!pool->block_since_bump || pool->rolling_min_fee == 0)
        return round_rate(pool->rolling_min_fee);
    if (now > pool->last_rolling_update + 10) {
        double halflife = MEMPOOL_ROLLING_FEE_HALFLIFE;
        size_t limit = max_bytes(pool);
        size_t usage = mempool_usage(pool);
        if (usage < limit / 4)
            halflife /= 4;
        else if (usage < limit / 2)
            halflife /= 2;
        pool->rolling_min_fee *= pow2_neg((double)(now - pool->last_rolling_update) / halflife);
        pool->last_rolling_update = now;
        if (pool->rolling_min_fee < (double)pool->policy.incremental_relay_fee / 2) {
            pool->rolling_min_fee = 0;
            return 0;
        }
    }
    int64_t r = round_rate(pool->rolling_min_fee);
    return r > pool->policy.incremental_relay_fee ? r : pool->policy.incremental_relay_fee;
}

size_t mempool_trim_to_size(struct mempool *pool, size_t limit_bytes)
{
    size_t removed = 0;
    struct entry_vec stage = {0};
    while (pool->count > 0 && mempool_usage(pool) > limit_bytes) {
        struct mempool_entry *worst = pool->heap[0];
        /* Core's trackPackageRemoved: the package's rate plus the incremental fee. */
        double rate = (double)feerate_from_fee(worst->mod_fees_with_descendants,
                                               worst->size_with_descendants) +
                      (double)pool->policy.incremental_relay_fee;
        if (rate > pool->rolling_min_fee) {
            pool->rolling_min_fee = rate;
            pool->block_since_bump = false;
        }
        if (!stage_with_descendants(pool, worst, &stage)) {
            for (size_t i = 0; i < stage.len; i++) stage.v[i]->staged = false;
            break;
        }
        removed += stage.len;
        remove_staged(pool, &stage, false, MEMPOOL_REMOVED_SIZELIMIT);
    }
    vec_free(&stage);
    return removed;
}

size_t mempool_expire(struct mempool *pool, int64_t now)
{
    int64_t cutoff = now - (int64_t)pool->policy.mempool_expiry_hours * 3600;
    struct entry_vec stage = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < pool->count; i++)
        if (pool->heap[i]->time < cutoff)
            ok = stage_with_descendants(pool, pool->heap[i], &stage);
    if (!ok) {
        for (size_t i = 0; i < stage.len; i++) stage.v[i]->staged = false;
        vec_free(&stage);
        return 0;
    }
    size_t n = stage.len;
    remove_staged(pool, &stage, false, MEMPOOL_REMOVED_EXPIRY);
    vec_free(&stage);
    return n;
}

/* ---------------------------------------------------------------- acceptance */

void mempool_accept_result_clear(struct mempool_accept_result *r)
{
    if (!r) return;
    free(r->replaced);
    r->replaced = NULL;
    r->replaced_count = 0;
}

const char *mempool_result_rpc_reason(const struct mempool_accept_result *r)
{
    if (r->kind == MEMPOOL_RESULT_MISSING_INPUTS) return "missing-inputs";
    return r->reason;
}

static bool fail(struct mempool_accept_result *res, enum mempool_result_kind kind,
                 const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(struct mempool_accept_result *res, enum mempool_result_kind kind,
                 const char *reason, const char *fmt, ...)
{
    res->kind = kind;
    res->reason = reason;
    res->debug[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->debug, sizeof(res->debug), fmt, ap);
        va_end(ap);
    }
    return false;
}

bool mempool_view_get_coin(struct mempool *pool, struct coins_cache *chain,
                           const struct outpoint *op, struct coin *out)
{
    coin_init(out);
    const struct mempool_entry *e = find_txid(pool, &op->hash);
    if (e) {
        if (op->n >= e->tx.vout_count) return false;
        return coin_set(out, &e->tx.vout[op->n], MEMPOOL_HEIGHT, false);
    }
    const struct coin *c = coins_cache_get(chain, op);
    if (!c) return false;
    return coin_copy(out, c);
}

struct package_limits {
    uint64_t ancestor_count, ancestor_size, descendant_count, descendant_size;
};

/* Core's CalculateAncestorsAndCheckLimits. */
static bool check_ancestors(struct mempool *pool, const struct entry_vec *parents,
                            int64_t vsize, const struct package_limits *lim,
                            struct entry_vec *ancestors, char *err, size_t err_size)
{
    ancestors->len = 0;
    if (parents->len + 1 > lim->ancestor_count) {
        snprintf(err, err_size, "too many unconfirmed parents [limit: %llu]",
                 (unsigned long long)lim->ancestor_count);
        return false;
    }
    if (!collect_up(pool, parents->v, parents->len, ancestors)) {
        snprintf(err, err_size, "out of memory");
        return false;
    }
    int64_t total = vsize;
    char hex[65];
    for (size_t i = 0; i < ancestors->len; i++) {
        const struct mempool_entry *a = ancestors->v[i];
        total += a->vsize;
        if ((uint64_t)(a->size_with_descendants + vsize) > lim->descendant_size) {
            hex_of(hex, &a->txid);
            snprintf(err, err_size, "exceeds descendant size limit for tx %s [limit: %llu]",
                     hex, (unsigned long long)lim->descendant_size);
            return false;
        }
        if (a->count_with_descendants + 1 > lim->descendant_count) {
            hex_of(hex, &a->txid);
            snprintf(err, err_size, "too many descendants for tx %s [limit: %llu]", hex,
                     (unsigned long long)lim->descendant_count);
            return false;
        }
        if ((uint64_t)total > lim->ancestor_size) {
            snprintf(err, err_size, "exceeds ancestor size limit [limit: %llu]",
                     (unsigned long long)lim->ancestor_size);
            return false;
        }
    }
    if (ancestors->len + 1 > lim->ancestor_count) {
        snprintf(err, err_size, "too many unconfirmed ancestors [limit: %llu]",
                 (unsigned long long)lim->ancestor_count);
        return false;
    }
    return true;
}

void mempool_set_script_caches(struct mempool *pool, const struct sig_cache_hook *sig_hook,
                               struct script_cache *script_cache, uint32_t consensus_flags)
{
    pool->sig_hook = sig_hook;
    pool->script_cache = script_cache;
    pool->consensus_flags = consensus_flags;
}

/* Script checks with the standard flags (storing verified signatures in the pool's
 * signature cache); on failure, the mandatory flags decide between a consensus and a
 * policy rejection. When the pool has a script cache and this is a real acceptance, the
 * transaction is checked once more with the next block's consensus flags and then
 * recorded, so block validation can skip it. */
static bool check_scripts(const struct mempool *pool, const struct tx *tx,
                          const struct tx_out *spent, bool record,
                          struct mempool_accept_result *res, char *reason_buf,
                          size_t reason_size)
{
    struct sighash_precomputed pre;
    sighash_precompute(&pre, tx, spent);
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        struct script_checker chk = {tx, i, spent[i].value, &pre};
        enum script_error err = SCRIPT_ERR_OK;
        if (script_verify_cached(in->script_sig, in->script_sig_len, spent[i].script_pubkey,
                                 spent[i].script_pubkey_len, in->witness, in->witness_count,
                                 STANDARD_SCRIPT_VERIFY_FLAGS, &chk, pool->sig_hook, &err))
            continue;
        enum script_error merr = SCRIPT_ERR_OK;
        bool mandatory =
            !script_verify(in->script_sig, in->script_sig_len, spent[i].script_pubkey,
                           spent[i].script_pubkey_len, in->witness, in->witness_count,
                           MANDATORY_SCRIPT_VERIFY_FLAGS, &chk, &merr);
        policy_script_error_reason(reason_buf, reason_size, mandatory, mandatory ? merr : err);
        char hex[65];
        hex_of(hex, &res->txid);
        return fail(res, mandatory ? MEMPOOL_RESULT_CONSENSUS : MEMPOOL_RESULT_POLICY,
                    reason_buf, "input %zu of %s", i, hex);
    }
    if (record && pool->script_cache) {
        for (size_t i = 0; i < tx->vin_count; i++) {
            const struct tx_in *in = &tx->vin[i];
            struct script_checker chk = {tx, i, spent[i].value, &pre};
            enum script_error err = SCRIPT_ERR_OK;
            /* Standard flags passed, so this fails only on a flag mismatch; then the
             * transaction is simply not recorded. */
            if (!script_verify_cached(in->script_sig, in->script_sig_len,
                                      spent[i].script_pubkey, spent[i].script_pubkey_len,
                                      in->witness, in->witness_count, pool->consensus_flags,
                                      &chk, pool->sig_hook, &err))
                return true;
        }
        script_cache_add(pool->script_cache, &res->wtxid, pool->consensus_flags);
    }
    return true;
}

/* Core 29's SingleTRUCChecks: false with *err on a violation; *sibling is then set when
 * the violation is a second child of a TRUC parent that may instead be evicted. */
static bool truc_checks(const struct tx *tx, const uint256 *txid, const uint256 *wtxid,
                        const struct entry_vec *ancestors, const struct entry_vec *conflicts,
                        int64_t vsize, char *err, size_t err_size,
                        struct mempool_entry **sibling)
{
    char h[65], w[65], ph[65], pw[65];
    *sibling = NULL;
    hex_of(h, txid);
    hex_of(w, wtxid);
    for (size_t i = 0; i < ancestors->len; i++) {
        const struct mempool_entry *a = ancestors->v[i];
        bool av3 = a->tx.version == MEMPOOL_TRUC_VERSION;
        if ((tx->version == MEMPOOL_TRUC_VERSION) != av3) {
            hex_of(ph, &a->txid);
            hex_of(pw, &a->wtxid);
            snprintf(err, err_size, "%s tx %s (wtxid=%s) cannot spend from %s tx %s (wtxid=%s)",
                     av3 ? "non-version=3" : "version=3", h, w,
                     av3 ? "version=3" : "non-version=3", ph, pw);
            return false;
        }
    }
    if (tx->version != MEMPOOL_TRUC_VERSION) return true;
    if (vsize > MEMPOOL_TRUC_MAX_VSIZE) {
        snprintf(err, err_size,
                 "version=3 tx %s (wtxid=%s) is too big: %lld > %d virtual bytes", h, w,
                 (long long)vsize, MEMPOOL_TRUC_MAX_VSIZE);
        return false;
    }
    if (ancestors->len + 1 > 2) {
        snprintf(err, err_size, "tx %s (wtxid=%s) would have too many ancestors", h, w);
        return false;
    }
    if (ancestors->len == 0) return true;
    if (vsize > MEMPOOL_TRUC_CHILD_MAX_VSIZE) {
        snprintf(err, err_size,
                 "version=3 child tx %s (wtxid=%s) is too big: %lld > %d virtual bytes", h, w,
                 (long long)vsize, MEMPOOL_TRUC_CHILD_MAX_VSIZE);
        return false;
    }
    struct mempool_entry *parent = ancestors->v[0];
    bool child_replaced = false;
    for (size_t i = 0; i < parent->child_count && !child_replaced; i++)
        child_replaced = ptr_contains(conflicts->v, conflicts->len, parent->children[i]);
    if (parent->count_with_descendants + 1 > 2 && !child_replaced) {
        hex_of(ph, &parent->txid);
        hex_of(pw, &parent->wtxid);
        snprintf(err, err_size, "tx %s (wtxid=%s) would exceed descendant count limit", ph, pw);
        if (parent->count_with_descendants == 2 && parent->child_count == 1 &&
            parent->children[0]->count_with_ancestors == 2)
            *sibling = parent->children[0];
        return false;
    }
    return true;
}

/* State of one acceptance, freed in one place. */
struct accept_ws {
    struct coins_cache *view;
    struct tx_out *spent;
    int32_t *prev_heights;
    struct entry_vec parents, ancestors, conflicts, all_conflicts;
    struct mempool_entry *entry;
};

static void ws_free(struct accept_ws *ws)
{
    coins_cache_free(ws->view);
    free(ws->spent);
    free(ws->prev_heights);
    vec_free(&ws->parents);
    vec_free(&ws->ancestors);
    vec_free(&ws->conflicts);
    for (size_t i = 0; i < ws->all_conflicts.len; i++) ws->all_conflicts.v[i]->staged = false;
    vec_free(&ws->all_conflicts);
    entry_free(ws->entry);
}

static bool accept_inner(struct mempool *pool, const struct tx *tx,
                         const struct mempool_chain_tip *tip, struct coins_cache *chain,
                         const struct mempool_accept_options *opts,
                         struct mempool_accept_result *res, struct accept_ws *ws)
{
    const struct policy_params *pol = &pool->policy;
    const char *reason = NULL;
    char hex[65];
    tx_txid(tx, &res->txid);
    tx_wtxid(tx, &res->wtxid);
    hex_of(hex, &res->txid);

    if (!check_transaction(tx, &reason))
        return fail(res, MEMPOOL_RESULT_CONSENSUS, reason, NULL);
    if (tx_is_coinbase(tx)) return fail(res, MEMPOOL_RESULT_CONSENSUS, "coinbase", NULL);
    if (!policy_is_standard_tx(pol, tx, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, NULL);
    if (!policy_check_tx_size_small(tx, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, NULL);
    if (!tx_is_final(tx, tip->height + 1, tip->median_time_past))
        return fail(res, MEMPOOL_RESULT_PREMATURE, "non-final", NULL);
    if (find_wtxid(pool, &res->wtxid))
        return fail(res, MEMPOOL_RESULT_ALREADY_KNOWN, "txn-already-in-mempool", NULL);
    if (find_txid(pool, &res->txid))
        return fail(res, MEMPOOL_RESULT_ALREADY_KNOWN, "txn-same-nonwitness-data-in-mempool",
                    NULL);

    /* Direct conflicts: full RBF (Core 29 default), no signalling required. */
    uint64_t ep = ++pool->epoch;
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct mempool_entry *c = find_spender(pool, &tx->vin[i].prevout);
        if (c && c->epoch != ep) {
            c->epoch = ep;
            if (!vec_push(&ws->conflicts, c))
                return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
        }
    }

    /* The view: pool outputs this transaction spends on top of the chain's coins. */
    ws->view = coins_cache_new_child(chain);
    if (!ws->view) return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
    ep = ++pool->epoch;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct outpoint *op = &tx->vin[i].prevout;
        struct mempool_entry *p = find_txid(pool, &op->hash);
        if (p) {
            if (op->n >= p->tx.vout_count) continue; /* missing: reported below */
            if (p->epoch != ep) {
                p->epoch = ep;
                if (!vec_push(&ws->parents, p))
                    return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
            }
            if (coins_cache_have_in_cache(ws->view, op)) continue;
            struct coin c;
            char *err = NULL;
            if (!coin_set(&c, &p->tx.vout[op->n], MEMPOOL_HEIGHT, false))
                return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
            bool ok = coins_cache_add(ws->view, op, &c, false, &err);
            coin_clear(&c);
            free(err);
            if (!ok) return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
        }
    }
    for (size_t i = 0; i < tx->vin_count; i++) {
        if (coins_cache_have(ws->view, &tx->vin[i].prevout)) continue;
        if (coins_cache_error(chain))
            return fail(res, MEMPOOL_RESULT_ERROR, "coins-read-error", "%s",
                        coins_cache_error(chain));
        for (uint32_t o = 0; o < tx->vout_count; o++) {
            struct outpoint own = {res->txid, o};
            if (coins_cache_have_in_cache(chain, &own))
                return fail(res, MEMPOOL_RESULT_CONFLICT, "txn-already-known", NULL);
        }
        return fail(res, MEMPOOL_RESULT_MISSING_INPUTS, "bad-txns-inputs-missingorspent", NULL);
    }

    /* BIP68 at the next block. */
    ws->prev_heights = calloc(tx->vin_count, sizeof(*ws->prev_heights));
    ws->spent = calloc(tx->vin_count, sizeof(*ws->spent));
    if (!ws->prev_heights || !ws->spent)
        return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
    bool spends_coinbase = false;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct coin *c = coins_cache_get(ws->view, &tx->vin[i].prevout);
        if (!c) return fail(res, MEMPOOL_RESULT_ERROR, "coins-read-error", NULL);
        ws->prev_heights[i] =
            c->height == MEMPOOL_HEIGHT ? tip->height + 1 : (int32_t)c->height;
        if (c->coinbase) spends_coinbase = true;
    }
    struct block_index next;
    memset(&next, 0, sizeof(next));
    next.prev = (struct block_index *)tip->tip;
    next.height = tip->height + 1;
    int32_t min_height = -1;
    int64_t min_time = -1;
    if (tip->tip) {
        if (!tx_calculate_sequence_locks(tx, LOCKTIME_VERIFY_SEQUENCE, ws->prev_heights, &next,
                                         &min_height, &min_time) ||
            !tx_evaluate_sequence_locks(&next, min_height, min_time))
            return fail(res, MEMPOOL_RESULT_PREMATURE, "non-BIP68-final", NULL);
    }

    int64_t fee = 0;
    if (!check_tx_inputs(tx, ws->view, tip->height + 1, &fee, &reason)) {
        bool premature = strcmp(reason, "bad-txns-premature-spend-of-coinbase") == 0;
        return fail(res, premature ? MEMPOOL_RESULT_PREMATURE : MEMPOOL_RESULT_CONSENSUS,
                    reason, "%s", hex);
    }
    res->fee = fee;
    res->modified_fee = fee + opts->fee_delta;
    if (!tx_get_spent_outputs(tx, ws->view, ws->spent))
        return fail(res, MEMPOOL_RESULT_ERROR, "coins-read-error", NULL);
    if (!policy_are_inputs_standard(tx, ws->spent, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, NULL);
    if (!policy_is_witness_standard(tx, ws->spent, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, NULL);

    int64_t sigops = (int64_t)tx_sigop_cost(tx, ws->spent, STANDARD_SCRIPT_VERIFY_FLAGS);
    int64_t weight = (int64_t)tx_weight(tx);
    int64_t vsize = policy_virtual_size(weight, sigops, pol->bytes_per_sigop);
    res->vsize = vsize;

    if (!policy_check_ephemeral_dust(pol, tx, fee, res->modified_fee, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, NULL);
    if (!policy_check_sigops((uint64_t)sigops, &reason))
        return fail(res, MEMPOOL_RESULT_POLICY, reason, "%lld", (long long)sigops);
    if (!opts->bypass_limits &&
        !policy_check_fee_rate(pol, mempool_min_fee(pool, tip->now), vsize, res->modified_fee,
                               &reason, res->debug, sizeof(res->debug))) {
        char keep[MEMPOOL_DEBUG_SIZE];
        memcpy(keep, res->debug, sizeof(keep));
        return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, reason, "%s", keep);
    }

    /* Package limits, with Core's single-conflict RBF allowance and CPFP carve-out. */
    struct package_limits lim = {pol->ancestor_limit, (uint64_t)pol->ancestor_size_kvb * 1000,
                                 pol->descendant_limit,
                                 (uint64_t)pol->descendant_size_kvb * 1000};
    if (ws->conflicts.len == 1) {
        lim.descendant_count += 1;
        lim.descendant_size += (uint64_t)ws->conflicts.v[0]->size_with_descendants;
    }
    char err[MEMPOOL_DEBUG_SIZE];
    if (!check_ancestors(pool, &ws->parents, vsize, &lim, &ws->ancestors, err, sizeof(err))) {
        if (vsize > MEMPOOL_CARVEOUT_MAX_VSIZE || tx->version == MEMPOOL_TRUC_VERSION)
            return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "too-long-mempool-chain", "%s",
                        err);
        struct package_limits carve = {2, lim.ancestor_size, lim.descendant_count + 1,
                                       lim.descendant_size + MEMPOOL_CARVEOUT_MAX_VSIZE};
        char err2[MEMPOOL_DEBUG_SIZE];
        if (!check_ancestors(pool, &ws->parents, vsize, &carve, &ws->ancestors, err2,
                             sizeof(err2)))
            return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "too-long-mempool-chain", "%s",
                        err);
    }

    /* TRUC (version 3, BIP431) topology rules, Core 29's SingleTRUCChecks. */
    bool sibling_eviction = false;
    {
        char terr[MEMPOOL_DEBUG_SIZE];
        struct mempool_entry *sibling = NULL;
        if (!truc_checks(tx, &res->txid, &res->wtxid, &ws->ancestors, &ws->conflicts, vsize,
                         terr, sizeof(terr), &sibling)) {
            if (!sibling)
                return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "TRUC-violation", "%s", terr);
            if (!vec_push(&ws->conflicts, sibling))
                return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
            sibling_eviction = true;
        }
    }

    /* Spending an output of a transaction it replaces. */
    if (ws->conflicts.len) {
        ep = ++pool->epoch;
        for (size_t i = 0; i < ws->conflicts.len; i++) ws->conflicts.v[i]->epoch = ep;
        for (size_t i = 0; i < ws->ancestors.len; i++) {
            if (ws->ancestors.v[i]->epoch == ep) {
                char ahex[65];
                hex_of(ahex, &ws->ancestors.v[i]->txid);
                return fail(res, MEMPOOL_RESULT_CONSENSUS, "bad-txns-spends-conflicting-tx",
                            "%s spends conflicting transaction %s", hex, ahex);
            }
        }
    }

    /* BIP125 replacement rules, as Core 29's ReplacementChecks. */
    const char *insufficient =
        sibling_eviction ? "insufficient fee (including sibling eviction)" : "insufficient fee";
    if (ws->conflicts.len) {
        int64_t new_rate = feerate_from_fee(res->modified_fee, vsize);
        for (size_t i = 0; i < ws->conflicts.len; i++) {
            const struct mempool_entry *c = ws->conflicts.v[i];
            int64_t old_rate = feerate_from_fee(c->modified_fee, c->vsize);
            if (new_rate <= old_rate) {
                char chex[65];
                hex_of(chex, &c->txid);
                return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, insufficient,
                            "rejecting replacement %s; new feerate %lld <= old feerate %lld",
                            hex, (long long)new_rate, (long long)old_rate);
            }
        }
        uint64_t n = 0;
        for (size_t i = 0; i < ws->conflicts.len; i++)
            n += ws->conflicts.v[i]->count_with_descendants;
        if (n > MAX_BIP125_REPLACEMENT_CANDIDATES)
            return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY,
                        sibling_eviction
                            ? "too many potential replacements (including sibling eviction)"
                            : "too many potential replacements",
                        "rejecting replacement %s; too many potential replacements (%llu > %d)",
                        hex, (unsigned long long)n, MAX_BIP125_REPLACEMENT_CANDIDATES);
        for (size_t i = 0; i < ws->conflicts.len; i++)
            if (!stage_with_descendants(pool, ws->conflicts.v[i], &ws->all_conflicts))
                return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
        /* No new unconfirmed inputs: every in-pool input must already be spent by (be a
         * parent of) something being replaced. */
        ep = ++pool->epoch;
        for (size_t i = 0; i < ws->all_conflicts.len; i++) {
            const struct mempool_entry *c = ws->all_conflicts.v[i];
            for (size_t j = 0; j < c->tx.vin_count; j++) {
                struct mempool_entry *p = find_txid(pool, &c->tx.vin[j].prevout.hash);
                if (p) p->epoch = ep;
            }
        }
        for (size_t i = 0; i < tx->vin_count; i++) {
            struct mempool_entry *p = find_txid(pool, &tx->vin[i].prevout.hash);
            if (p && p->epoch != ep)
                return fail(res, MEMPOOL_RESULT_CONSENSUS, "replacement-adds-unconfirmed",
                            "replacement %s adds unconfirmed input, idx %zu", hex, i);
        }
        int64_t old_fees = 0, old_size = 0;
        for (size_t i = 0; i < ws->all_conflicts.len; i++) {
            old_fees += ws->all_conflicts.v[i]->modified_fee;
            old_size += ws->all_conflicts.v[i]->vsize;
        }
        (void)old_size;
        if (res->modified_fee < old_fees)
            return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, insufficient,
                        "rejecting replacement %s, less fees than conflicting txs; %lld < %lld",
                        hex, (long long)res->modified_fee, (long long)old_fees);
        int64_t extra = res->modified_fee - old_fees;
        int64_t need = feerate_get_fee(pol->incremental_relay_fee, vsize);
        if (extra < need)
            return fail(
                res, MEMPOOL_RESULT_MEMPOOL_POLICY, "insufficient fee",
                "rejecting replacement %s, not enough additional fees to relay; %lld < %lld",
                hex, (long long)extra, (long long)need);
    }

    /* Dust of an in-pool parent must be spent by its child (Core's CheckEphemeralSpends). */
    for (size_t i = 0; i < ws->parents.len; i++) {
        const struct mempool_entry *p = ws->parents.v[i];
        for (uint32_t o = 0; o < p->tx.vout_count; o++) {
            if (!policy_is_dust(&p->tx.vout[o], pol->dust_relay_fee)) continue;
            bool spent = false;
            for (size_t j = 0; !spent && j < tx->vin_count; j++)
                spent = tx->vin[j].prevout.n == o &&
                        memcmp(tx->vin[j].prevout.hash.b, p->txid.b, 32) == 0;
            if (!spent) {
                char phex[65];
                hex_of(phex, &p->txid);
                return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "missing-ephemeral-spends",
                            "tx %s did not spend parent's ephemeral dust (parent %s)", hex,
                            phex);
            }
        }
    }

    if (!check_scripts(pool, tx, ws->spent, !opts->test_accept, res, pool->script_reason,
                       sizeof(pool->script_reason)))
        return false;

    /* testmempoolaccept's maxfeerate. */
    if (opts->max_fee_rate > 0 && fee > feerate_get_fee(opts->max_fee_rate, vsize))
        return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "max-fee-exceeded", "%lld > %lld",
                    (long long)fee, (long long)feerate_get_fee(opts->max_fee_rate, vsize));

    if (ws->all_conflicts.len) {
        res->replaced = malloc(ws->all_conflicts.len * sizeof(uint256));
        if (!res->replaced) return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
        for (size_t i = 0; i < ws->all_conflicts.len; i++)
            res->replaced[i] = ws->all_conflicts.v[i]->txid;
        res->replaced_count = ws->all_conflicts.len;
    }
    if (opts->test_accept) {
        res->kind = MEMPOOL_ACCEPTED;
        res->reason = "";
        return true;
    }

    /* Build and insert the entry; replaced transactions go first. */
    struct mempool_entry *e = calloc(1, sizeof(*e));
    if (!e) return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
    ws->entry = e;
    tx_init(&e->tx);
    if (!tx_copy(&e->tx, tx)) return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
    e->txid = res->txid;
    e->wtxid = res->wtxid;
    e->fee = fee;
    e->modified_fee = res->modified_fee;
    e->vsize = vsize;
    e->weight = weight;
    e->time = opts->entry_time ? opts->entry_time : tip->now;
    e->height = tip->height;
    e->spends_coinbase = spends_coinbase;
    e->sigop_cost = sigops;
    if (ws->all_conflicts.len)
        remove_staged(pool, &ws->all_conflicts, false, MEMPOOL_REMOVED_REPLACED);
    if (!entry_insert(pool, e, &ws->parents, &ws->ancestors))
        return fail(res, MEMPOOL_RESULT_ERROR, "out of memory", NULL);
    ws->entry = NULL;
    if (!opts->bypass_limits) {
        mempool_trim_to_size(pool, max_bytes(pool));
        if (!find_txid(pool, &res->txid))
            return fail(res, MEMPOOL_RESULT_MEMPOOL_POLICY, "mempool full", NULL);
    }
    /* Counted (and announced) only once it stayed, as Core's TransactionAddedToMempool. */
    pool->sequence++;
    if (pool->on_added)
        pool->on_added(pool->added_ctx, e, !opts->bypass_limits && e->parent_count == 0);
    res->kind = MEMPOOL_ACCEPTED;
    res->reason = "";
    return true;
}

bool mempool_accept(struct mempool *pool, const struct tx *tx,
                    const struct mempool_chain_tip *tip, struct coins_cache *chain,
                    const struct mempool_accept_options *opts,
                    struct mempool_accept_result *res)
{
    static const struct mempool_accept_options defaults;
    memset(res, 0, sizeof(*res));
    res->reason = "";
    if (!opts) opts = &defaults;
    struct accept_ws ws;
    memset(&ws, 0, sizeof(ws));
    bool ok = accept_inner(pool, tx, tip, chain, opts, res, &ws);
    ws_free(&ws);
    if (!ok) {
        free(res->replaced);
        res->replaced = NULL;
        res->replaced_count = 0;
    }
    return ok;
}

/* ---------------------------------------------------------------- blocks */

void mempool_remove_for_block(struct mempool *pool, const struct block *block, int32_t height,
                              int64_t now)
{
    (void)height;
    struct entry_vec stage = {0};
    for (size_t i = 0; i < block->tx_count; i++) {
        const struct tx *tx = &block->txs[i];
        uint256 txid;
        tx_txid(tx, &txid);
        struct mempool_entry *e = find_txid(pool, &txid);
        if (e) {
            e->staged = true;
            stage.len = 0;
            if (vec_push(&stage, e))
                remove_staged(pool, &stage, true, MEMPOOL_REMOVED_BLOCK);
            else
                e->staged = false;
        }
        if (tx_is_coinbase(tx)) continue;
        for (size_t j = 0; j < tx->vin_count; j++) {
            struct mempool_entry *c = find_spender(pool, &tx->vin[j].prevout);
            if (c) mempool_remove_recursive(pool, &c->txid, MEMPOOL_REMOVED_CONFLICT);
        }
    }
    vec_free(&stage);
    pool->last_rolling_update = now;
    pool->block_since_bump = true;
}

/* Recomputes e's ancestor and descendant totals from its links. */
static bool recompute_totals(struct mempool *pool, struct mempool_entry *e)
{
    struct entry_vec v = {0};
    if (e->parent_count && !collect_up(pool, e->parents, e->parent_count, &v)) {
        vec_free(&v);
        return false;
    }
    e->count_with_ancestors = 1 + v.len;
    e->size_with_ancestors = e->vsize;
    e->mod_fees_with_ancestors = e->modified_fee;
    e->sigops_with_ancestors = e->sigop_cost;
    for (size_t i = 0; i < v.len; i++) {
        e->size_with_ancestors += v.v[i]->vsize;
        e->mod_fees_with_ancestors += v.v[i]->modified_fee;
        e->sigops_with_ancestors += v.v[i]->sigop_cost;
    }
    v.len = 0;
    if (!collect_down(pool, e, &v)) {
        vec_free(&v);
        return false;
    }
    e->count_with_descendants = 1 + v.len;
    e->size_with_descendants = e->vsize;
    e->mod_fees_with_descendants = e->modified_fee;
    for (size_t i = 0; i < v.len; i++) {
        e->size_with_descendants += v.v[i]->vsize;
        e->mod_fees_with_descendants += v.v[i]->modified_fee;
    }
    vec_free(&v);
    heap_fix(pool, e);
    return true;
}

/* Is e still valid at the new tip (Core's removeForReorg filter)? */
static bool still_valid_at_tip(struct mempool *pool, const struct mempool_entry *e,
                               const struct mempool_chain_tip *tip, struct coins_cache *chain)
{
    const struct tx *tx = &e->tx;
    if (!tx_is_final(tx, tip->height + 1, tip->median_time_past)) return false;
    int32_t *heights = calloc(tx->vin_count ? tx->vin_count : 1, sizeof(*heights));
    if (!heights) return true;
    bool ok = true;
    for (size_t i = 0; ok && i < tx->vin_count; i++) {
        const struct outpoint *op = &tx->vin[i].prevout;
        if (find_txid(pool, &op->hash)) {
            heights[i] = tip->height + 1;
            continue;
        }
        const struct coin *c = coins_cache_get(chain, op);
        if (!c) {
            ok = false;
            break;
        }
        heights[i] = (int32_t)c->height;
        if (c->coinbase && tip->height + 1 - (int32_t)c->height < COINBASE_MATURITY) ok = false;
    }
    if (ok && tip->tip) {
        struct block_index next;
        memset(&next, 0, sizeof(next));
        next.prev = (struct block_index *)tip->tip;
        next.height = tip->height + 1;
        int32_t mh = -1;
        int64_t mt = -1;
        ok = tx_calculate_sequence_locks(tx, LOCKTIME_VERIFY_SEQUENCE, heights, &next, &mh,
                                         &mt) &&
             tx_evaluate_sequence_locks(&next, mh, mt);
    }
    free(heights);
    return ok;
}

size_t mempool_readd_disconnected(struct mempool *pool, const struct tx *txs, size_t count,
                                  const struct mempool_chain_tip *tip,
                                  struct coins_cache *chain)
{
    size_t readded = 0;
    struct mempool_accept_options opts = {0};
    opts.bypass_limits = true;
    for (size_t i = 0; i < count; i++) {
        const struct tx *tx = &txs[i];
        if (tx_is_coinbase(tx)) continue;
        struct mempool_accept_result res;
        bool ok = mempool_accept(pool, tx, tip, chain, &opts, &res);
        mempool_accept_result_clear(&res);
        if (!ok) {
            if (res.kind == MEMPOOL_RESULT_ALREADY_KNOWN) continue;
            /* Pool transactions spending it can no longer be valid. */
            for (uint32_t o = 0; o < tx->vout_count; o++) {
                struct outpoint op = {res.txid, o};
                struct mempool_entry *s = find_spender(pool, &op);
                if (s) mempool_remove_recursive(pool, &s->txid, MEMPOOL_REMOVED_REORG);
            }
            continue;
        }
        readded++;
        /* Link pool transactions that already spent its outputs (they entered while the
         * output was confirmed), then re-derive the totals of everything above and below:
         * at most the package limits' worth of entries. */
        struct mempool_entry *e = find_txid(pool, &res.txid);
        bool linked = false;
        for (uint32_t o = 0; e && o < e->tx.vout_count; o++) {
            struct outpoint op = {e->txid, o};
            struct mempool_entry *s = find_spender(pool, &op);
            if (!s || ptr_contains(s->parents, s->parent_count, e)) continue;
            if (!ptr_reserve(&s->parents, &s->parent_cap, s->parent_count + 1) ||
                !ptr_reserve(&e->children, &e->child_cap, e->child_count + 1))
                continue;
            s->parents[s->parent_count++] = e;
            e->children[e->child_count++] = s;
            linked = true;
        }
        if (!linked) continue;
        struct entry_vec fix = {0};
        if (collect_up(pool, &e, 1, &fix) && collect_down(pool, e, &fix))
            for (size_t k = 0; k < fix.len; k++) (void)recompute_totals(pool, fix.v[k]);
        vec_free(&fix);
    }

    /* Drop what the new tip no longer allows. */
    struct entry_vec stage = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < pool->count; i++) {
        struct mempool_entry *e = pool->heap[i];
        if (e->staged) continue;
        if (!still_valid_at_tip(pool, e, tip, chain))
            ok = stage_with_descendants(pool, e, &stage);
    }
    if (ok) {
        remove_staged(pool, &stage, false, MEMPOOL_REMOVED_REORG);
    } else {
        for (size_t i = 0; i < stage.len; i++) stage.v[i]->staged = false;
    }
    vec_free(&stage);
    mempool_trim_to_size(pool, max_bytes(pool));
    return readded;
}

/* ---------------------------------------------------------------- queries */

void mempool_get_info(struct mempool *pool, int64_t now, struct mempool_info *info)
{
    info->size = pool->count;
    info->bytes = pool->total_vsize;
    info->usage = mempool_usage(pool);
    info->total_fee = pool->total_fee;
    info->max_mempool = max_bytes(pool);
    int64_t m = mempool_min_fee(pool, now);
    info->mempool_min_fee = m > pool->policy.min_relay_fee ? m : pool->policy.min_relay_fee;
    info->min_relay_fee = pool->policy.min_relay_fee;
    info->incremental_relay_fee = pool->policy.incremental_relay_fee;
}

size_t mempool_size(const struct mempool *pool) { return pool->count; }

size_t mempool_usage(const struct mempool *pool)
{
    return pool->usage + malloc_usage(pool->tx_buckets * sizeof(void *)) * 2 +
           malloc_usage(pool->spend_buckets * sizeof(void *)) +
           malloc_usage(pool->heap_cap * sizeof(void *));
}

const struct mempool_entry *mempool_get(const struct mempool *pool, const uint256 *txid)
{
    return find_txid(pool, txid);
}

const struct mempool_entry *mempool_get_by_wtxid(const struct mempool *pool,
                                                 const uint256 *wtxid)
{
    return find_wtxid(pool, wtxid);
}

bool mempool_exists(const struct mempool *pool, const uint256 *txid)
{
    return find_txid(pool, txid) != NULL;
}

const struct mempool_entry *mempool_spender(const struct mempool *pool,
                                            const struct outpoint *op)
{
    return find_spender(pool, op);
}

bool mempool_txids(const struct mempool *pool, uint256 **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!pool->count) return true;
    uint256 *v = malloc(pool->count * sizeof(*v));
    if (!v) return false;
    for (size_t i = 0; i < pool->count; i++) v[i] = pool->heap[i]->txid;
    *out = v;
    *count = pool->count;
    return true;
}

static bool vec_out(struct entry_vec *v, const struct mempool_entry ***out, size_t *count)
{
    *out = (const struct mempool_entry **)v->v;
    *count = v->len;
    return true;
}

bool mempool_ancestors(struct mempool *pool, const struct mempool_entry *e,
                       const struct mempool_entry ***out, size_t *count)
{
    struct entry_vec v = {0};
    if (e->parent_count && !collect_up(pool, e->parents, e->parent_count, &v)) {
        vec_free(&v);
        return false;
    }
    return vec_out(&v, out, count);
}

bool mempool_descendants(struct mempool *pool, const struct mempool_entry *e,
                         const struct mempool_entry ***out, size_t *count)
{
    struct entry_vec v = {0};
    if (!collect_down(pool, (struct mempool_entry *)e, &v)) {
        vec_free(&v);
        return false;
    }
    return vec_out(&v, out, count);
}

static void anc_score(const struct mempool_entry *e, double *fee, double *size)
{
    double f1 = (double)e->mod_fees_with_ancestors * (double)e->vsize;
    double f2 = (double)e->modified_fee * (double)e->size_with_ancestors;
    if (f1 < f2) {
        *fee = (double)e->mod_fees_with_ancestors;
        *size = (double)e->size_with_ancestors;
    } else {
        *fee = (double)e->modified_fee;
        *size = (double)e->vsize;
    }
}

static int cmp_anc_score(const void *pa, const void *pb)
{
    const struct mempool_entry *a = *(const struct mempool_entry *const *)pa;
    const struct mempool_entry *b = *(const struct mempool_entry *const *)pb;
    double af, as, bf, bs;
    anc_score(a, &af, &as);
    anc_score(b, &bf, &bs);
    double f1 = af * bs, f2 = bf * as;
    if (f1 == f2) return uint256_cmp(&a->txid, &b->txid);
    return f1 > f2 ? -1 : 1;
}

bool mempool_sorted_by_ancestor_score(const struct mempool *pool,
                                      const struct mempool_entry ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!pool->count) return true;
    const struct mempool_entry **v = malloc(pool->count * sizeof(*v));
    if (!v) return false;
    for (size_t i = 0; i < pool->count; i++) v[i] = pool->heap[i];
    qsort(v, pool->count, sizeof(*v), cmp_anc_score);
    *out = v;
    *count = pool->count;
    return true;
}

bool mempool_check_consistency(struct mempool *pool, char *why, size_t why_size)
{
    size_t usage = 0;
    int64_t vs = 0, fees = 0;
    size_t spends = 0;
    for (size_t i = 0; i < pool->count; i++) {
        struct mempool_entry *e = pool->heap[i];
        if (e->heap_pos != i) return snprintf(why, why_size, "heap position"), false;
        if (i && evict_before(e, pool->heap[(i - 1) / 2]) &&
            !evict_before(pool->heap[(i - 1) / 2], e))
            return snprintf(why, why_size, "heap order"), false;
        if (find_txid(pool, &e->txid) != e || find_wtxid(pool, &e->wtxid) != e)
            return snprintf(why, why_size, "tx index"), false;
        for (size_t j = 0; j < e->tx.vin_count; j++) {
            if (find_spender(pool, &e->tx.vin[j].prevout) != e)
                return snprintf(why, why_size, "spend index"), false;
            struct mempool_entry *p = find_txid(pool, &e->tx.vin[j].prevout.hash);
            if (p && !ptr_contains(e->parents, e->parent_count, p))
                return snprintf(why, why_size, "missing parent link"), false;
        }
        spends += e->tx.vin_count;
        for (size_t j = 0; j < e->parent_count; j++)
            if (!ptr_contains(e->parents[j]->children, e->parents[j]->child_count, e))
                return snprintf(why, why_size, "asymmetric link"), false;
        struct mempool_entry saved = *e;
        if (!recompute_totals(pool, e)) return snprintf(why, why_size, "oom"), false;
        if (saved.count_with_ancestors != e->count_with_ancestors ||
            saved.size_with_ancestors != e->size_with_ancestors ||
            saved.mod_fees_with_ancestors != e->mod_fees_with_ancestors ||
            saved.sigops_with_ancestors != e->sigops_with_ancestors ||
            saved.count_with_descendants != e->count_with_descendants ||
            saved.size_with_descendants != e->size_with_descendants ||
            saved.mod_fees_with_descendants != e->mod_fees_with_descendants) {
            char hex[65];
            hex_of(hex, &e->txid);
            snprintf(why, why_size, "totals of %s", hex);
            return false;
        }
        usage += e->usage;
        vs += e->vsize;
        fees += e->fee;
    }
    if (usage != pool->usage || vs != pool->total_vsize || fees != pool->total_fee ||
        spends != pool->spend_count)
        return snprintf(why, why_size, "pool totals"), false;
    return true;
}

/* ---------------------------------------------------------------- persistence */

static const uint8_t dump_magic[8] = {'I', 'O', 'P', 'M', 'P', 'O', 'O', 'L'};
/* Largest record accepted: a transaction of MAX_STANDARD_TX_WEIGHT is at most 400 kB;
 * consensus allows up to 4 MB. */
#define MEMPOOL_MAX_RECORD (4000000u + 16u)

bool mempool_parse_record(const uint8_t *data, size_t len, struct tx *tx, int64_t *time,
                          int64_t *fee_delta, size_t *consumed)
{
    tx_init(tx);
    struct reader r;
    reader_init(&r, data, len);
    uint32_t rl = 0;
    if (!read_u32(&r, &rl) || rl > MEMPOOL_MAX_RECORD || rl < 16) return false;
    if (reader_remaining(&r) < (size_t)rl + 4) return false;
    const uint8_t *body = data + 4;
    uint8_t h[32];
    sha256d(body, rl, h);
    if (memcmp(h, body + rl, 4) != 0) return false;
    struct reader b;
    reader_init(&b, body, rl);
    if (!tx_deserialize(&b, tx, true)) return false;
    if (!read_i64(&b, time) || !read_i64(&b, fee_delta) || reader_remaining(&b) != 0) {
        tx_clear(tx);
        return false;
    }
    *consumed = 4 + (size_t)rl + 4;
    return true;
}

/* Parents before children: entries ordered by ancestor count (a parent always has
 * fewer in-pool ancestors than its child). */
static int cmp_anc_count(const void *pa, const void *pb)
{
    const struct mempool_entry *a = *(const struct mempool_entry *const *)pa;
    const struct mempool_entry *b = *(const struct mempool_entry *const *)pb;
    if (a->count_with_ancestors != b->count_with_ancestors)
        return a->count_with_ancestors < b->count_with_ancestors ? -1 : 1;
    return uint256_cmp(&a->txid, &b->txid);
}

static bool set_errf(char **err, const char *fmt, const char *a, const char *b)
{
    if (err) {
        size_t n = strlen(fmt) + (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + 1;
        *err = malloc(n);
        if (*err) snprintf(*err, n, fmt, a ? a : "", b ? b : "");
    }
    return false;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool mempool_dump(const struct mempool *pool, const char *path, char **err)
{
    if (err) *err = NULL;
    const struct mempool_entry **v = NULL;
    if (pool->count) {
        v = malloc(pool->count * sizeof(*v));
        if (!v) return set_errf(err, "out of memory%s%s", NULL, NULL);
        for (size_t i = 0; i < pool->count; i++) v[i] = pool->heap[i];
        qsort(v, pool->count, sizeof(*v), cmp_anc_count);
    }
    struct writer w;
    writer_init(&w);
    write_bytes(&w, dump_magic, sizeof(dump_magic));
    write_u32(&w, MEMPOOL_DUMP_VERSION);
    write_u64(&w, pool->count);
    struct writer rec;
    writer_init(&rec);
    for (size_t i = 0; i < pool->count; i++) {
        rec.len = 0;
        tx_serialize(&rec, &v[i]->tx, true);
        write_i64(&rec, v[i]->time);
        write_i64(&rec, v[i]->modified_fee - v[i]->fee);
        if (rec.failed) break;
        uint8_t h[32];
        sha256d(rec.data, rec.len, h);
        write_u32(&w, (uint32_t)rec.len);
        write_bytes(&w, rec.data, rec.len);
        write_bytes(&w, h, 4);
    }
    bool oom = rec.failed || w.failed;
    writer_free(&rec);
    free(v);
    if (oom) {
        writer_free(&w);
        return set_errf(err, "out of memory%s%s", NULL, NULL);
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp) {
        writer_free(&w);
        return set_errf(err, "out of memory%s%s", NULL, NULL);
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".new", 5);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0 && write_all(fd, w.data, w.len) && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    writer_free(&w);
    if (!ok) {
        unlink(tmp);
        set_errf(err, "cannot write %s: %s", tmp, strerror(saved));
        free(tmp);
        return false;
    }
    free(tmp);
    /* Make the rename durable. */
    char *dir = strdup(path);
    if (dir) {
        char *slash = strrchr(dir, '/');
        const char *d = ".";
        if (slash == dir)
            d = "/";
        else if (slash) {
            *slash = '\0';
            d = dir;
        }
        int dfd = open(d, O_RDONLY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return true;
}

bool mempool_load(const char *path, mempool_load_fn fn, void *ctx,
                  struct mempool_load_stats *stats, char **err)
{
    memset(stats, 0, sizeof(*stats));
    if (err) *err = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return true;
        return set_errf(err, "cannot open %s: %s", path, strerror(errno));
    }
    uint8_t hdr[20];
    if (fread(hdr, 1, sizeof(hdr), f) != sizeof(hdr) || memcmp(hdr, dump_magic, 8) != 0) {
        fclose(f);
        return set_errf(err, "%s: not a mempool file%s", path, NULL);
    }
    uint32_t ver = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 |
                   (uint32_t)hdr[11] << 24;
    if (ver != MEMPOOL_DUMP_VERSION) {
        fclose(f);
        return set_errf(err, "%s: unknown mempool file version%s", path, NULL);
    }
    uint64_t count = 0;
    for (int i = 7; i >= 0; i--) count = count << 8 | hdr[12 + i];
    stats->expected = count;
    uint8_t *buf = NULL;
    size_t cap = 0;
    const char *problem = NULL;
    for (uint64_t k = 0; k < count; k++) {
        uint8_t lb[4];
        if (fread(lb, 1, 4, f) != 4) {
            problem = "truncated";
            break;
        }
        uint32_t rl = (uint32_t)lb[0] | (uint32_t)lb[1] << 8 | (uint32_t)lb[2] << 16 |
                      (uint32_t)lb[3] << 24;
        if (rl > MEMPOOL_MAX_RECORD || rl < 16) {
            problem = "corrupt record length";
            break;
        }
        size_t need = (size_t)rl + 8;
        if (need > cap) {
            uint8_t *nb = realloc(buf, need);
            if (!nb) {
                problem = "out of memory";
                break;
            }
            buf = nb;
            cap = need;
        }
        memcpy(buf, lb, 4);
        if (fread(buf + 4, 1, (size_t)rl + 4, f) != (size_t)rl + 4) {
            problem = "truncated";
            break;
        }
        struct tx tx;
        int64_t time = 0, delta = 0;
        size_t used = 0;
        if (!mempool_parse_record(buf, need, &tx, &time, &delta, &used)) {
            problem = "corrupt record";
            break;
        }
        stats->read++;
        if (fn(ctx, &tx, time, delta))
            stats->accepted++;
        else
            stats->failed++;
        tx_clear(&tx);
    }
    free(buf);
    fclose(f);
    if (problem) {
        stats->truncated_or_corrupt = true;
        char at[64];
        snprintf(at, sizeof(at), "%llu", (unsigned long long)stats->read);
        set_errf(err, "mempool.dat: %s after record %s", problem, at);
    }
    return true;
}

struct load_accept_ctx {
    struct mempool *pool;
    const struct mempool_chain_tip *tip;
    struct coins_cache *chain;
    uint64_t expired;
};

static bool load_accept_one(void *ctx, const struct tx *tx, int64_t time, int64_t fee_delta)
{
    struct load_accept_ctx *lc = ctx;
    int64_t cutoff = lc->tip->now - (int64_t)lc->pool->policy.mempool_expiry_hours * 3600;
    if (time <= cutoff) {
        lc->expired++;
        return false;
    }
    struct mempool_accept_options o = {0};
    o.bypass_limits = true;
    o.entry_time = time;
    o.fee_delta = fee_delta;
    struct mempool_accept_result r;
    bool ok = mempool_accept(lc->pool, tx, lc->tip, lc->chain, &o, &r);
    mempool_accept_result_clear(&r);
    return ok;
}

bool mempool_load_accept(struct mempool *pool, const char *path,
                         const struct mempool_chain_tip *tip, struct coins_cache *chain,
                         struct mempool_load_stats *stats, char **err)
{
    struct load_accept_ctx lc = {pool, tip, chain, 0};
    bool ok = mempool_load(path, load_accept_one, &lc, stats, err);
    stats->expired = lc.expired;
    return ok;
}
