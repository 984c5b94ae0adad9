/* -txindex (Bitcoin Core's TxIndex): txid -> where the transaction is stored. The layout
 * and the threading are described in txindex.h. */
#include "chain/txindex.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chain/dbwrapper.h"
#include "chain/validation.h"
#include "consensus/serialize.h"

#define TXINDEX_KEY_TX    't'
#define TXINDEX_KEY_BEST  'B'
#define TXINDEX_VALUE_LEN (32 + 4 + 4 + 4)
/* Blocks indexed per hold of the node's lock by the background thread. */
#define SYNC_BATCH_BLOCKS   64
#define TXINDEX_CACHE_BYTES (8u << 20)

struct txindex {
    struct db *db;
    struct chainstate *cs;
    struct node_context *node;
    const struct block_index *best; /* last block indexed; NULL: none yet */
    bool synced;                    /* lock held */
    volatile bool stop;
    bool thread_started;
    pthread_t thread;
};

static void tx_key(uint8_t key[33], const uint256 *txid)
{
    key[0] = TXINDEX_KEY_TX;
    memcpy(key + 1, txid->b, 32);
}

/* Adds idx's transactions and the best-block marker to batch. False on read errors. */
static bool add_block(struct txindex *ti, struct db_batch *batch, const struct block *b,
                      const struct block_index *idx)
{
    if (idx->height > 0) /* Core leaves out the genesis coinbase (it is unspendable) */
        for (size_t i = 0; i < b->tx_count; i++) {
            uint256 txid;
            tx_txid(&b->txs[i], &txid);
            uint8_t key[33], val[TXINDEX_VALUE_LEN];
            tx_key(key, &txid);
            memcpy(val, idx->hash.b, 32);
            le32_write(val + 32, idx->file);
            le32_write(val + 36, idx->data_pos);
            le32_write(val + 40, (uint32_t)i);
            db_batch_put(batch, key, sizeof key, val, sizeof val);
        }
    uint8_t bk = TXINDEX_KEY_BEST;
    db_batch_put(batch, &bk, 1, idx->hash.b, 32);
    ti->best = idx;
    return true;
}

static void write_best(struct txindex *ti, const struct block_index *best)
{
    struct db_batch *batch = db_batch_new();
    if (!batch) return;
    uint8_t bk = TXINDEX_KEY_BEST;
    if (best)
        db_batch_put(batch, &bk, 1, best->hash.b, 32);
    else
        db_batch_delete(batch, &bk, 1);
    char *e = NULL;
    if (!db_write(ti->db, batch, false, &e)) free(e);
    db_batch_free(batch);
    ti->best = best;
}

static void on_connected(void *v, const struct block *b, const struct block_index *idx)
{
    struct txindex *ti = v;
    if (!ti->synced) return; /* the sync thread will get to it */
    struct db_batch *batch = db_batch_new();
    if (!batch) return;
    char *e = NULL;
    if (add_block(ti, batch, b, idx) && !db_write(ti->db, batch, false, &e)) {
        free(e);
        ti->synced = false; /* the thread is gone: the next start catches up */
    }
    db_batch_free(batch);
}

static void on_disconnected(void *v, const struct block *b, const struct block_index *idx)
{
    struct txindex *ti = v;
    (void)b;
    if (!ti->synced) return;
    write_best(ti, idx->prev);
}

/* The next block of the active chain to index after ti->best, rewinding to the fork
 * point when best left the active chain. NULL when caught up. */
static const struct block_index *next_to_index(struct txindex *ti)
{
    const struct active_chain *ac = chainstate_active(ti->cs);
    if (!ti->best) return active_chain_at(ac, 0);
    if (!active_chain_contains(ac, ti->best)) {
        const struct block_index *fork = active_chain_find_fork(ac, ti->best);
        ti->best = fork;
        if (!fork) return active_chain_at(ac, 0);
    }
    return active_chain_next(ac, ti->best);
}

static void *sync_thread(void *v)
{
    struct txindex *ti = v;
    pthread_mutex_lock(&ti->node->lock);
    while (!ti->stop && !ti->node->shutdown_requested) {
        struct db_batch *batch = db_batch_new();
        if (!batch) break;
        bool fail = false;
        int n = 0;
        const struct block_index *idx = NULL;
        while (n < SYNC_BATCH_BLOCKS && (idx = next_to_index(ti)) != NULL) {
            struct block b;
            char e[200];
            if (!chainstate_read_block(ti->cs, idx, &b, e, sizeof e)) {
                fail = true;
                break;
            }
            (void)add_block(ti, batch, &b, idx);
            block_clear(&b);
            n++;
        }
        char *e = NULL;
        if (!fail && !db_write(ti->db, batch, false, &e)) {
            free(e);
            fail = true;
        }
        db_batch_free(batch);
        if (fail) break;
        if (!idx) {
            ti->synced = true;
            break;
        }
        pthread_mutex_unlock(&ti->node->lock);
        sched_yield();
        pthread_mutex_lock(&ti->node->lock);
    }
    pthread_mutex_unlock(&ti->node->lock);
    return NULL;
}

struct txindex *txindex_open(const char *datadir, struct chainstate *cs,
                             struct node_context *node, bool wipe, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/indexes", datadir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    snprintf(path, sizeof path, "%s/indexes/txindex", datadir);
    struct txindex *ti = calloc(1, sizeof *ti);
    if (!ti) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char *e = NULL;
    ti->db = db_open(path, TXINDEX_CACHE_BYTES, wipe, &e);
    if (!ti->db) {
        snprintf(err, errlen, "opening %s: %s", path, e ? e : "?");
        free(e);
        free(ti);
        return NULL;
    }
    ti->cs = cs;
    ti->node = node;
    uint8_t bk = TXINDEX_KEY_BEST, *val = NULL;
    size_t vlen = 0;
    if (db_read(ti->db, &bk, 1, &val, &vlen, &e) && vlen == 32) {
        uint256 h;
        memcpy(h.b, val, 32);
        ti->best = chainstate_lookup(cs, &h); /* unknown: start over from genesis */
    }
    free(val);
    free(e);
    struct chainstate_callbacks cb = {on_connected, on_disconnected, NULL, ti};
    if (!chainstate_subscribe(cs, &cb)) {
        snprintf(err, errlen, "cannot subscribe to the chain");
        db_close(ti->db);
        free(ti);
        return NULL;
    }
    return ti;
}

bool txindex_start(struct txindex *ti)
{
    if (pthread_create(&ti->thread, NULL, sync_thread, ti) != 0) return false;
    ti->thread_started = true;
    return true;
}

void txindex_free(struct txindex *ti)
{
    if (!ti) return;
    ti->stop = true;
    if (ti->thread_started) pthread_join(ti->thread, NULL);
    chainstate_unsubscribe(ti->cs, ti);
    db_close(ti->db);
    free(ti);
}

bool txindex_synced(const struct txindex *ti) { return ti->synced; }

bool txindex_find(struct txindex *ti, const uint256 *txid, struct txindex_entry *out)
{
    uint8_t key[33], *val = NULL;
    size_t vlen = 0;
    char *e = NULL;
    tx_key(key, txid);
    bool ok = db_read(ti->db, key, sizeof key, &val, &vlen, &e) && vlen == TXINDEX_VALUE_LEN;
    if (ok) {
        memcpy(out->block_hash.b, val, 32);
        out->file = le32_read(val + 32);
        out->data_pos = le32_read(val + 36);
        out->tx_pos = le32_read(val + 40);
    }
    free(val);
    free(e);
    return ok;
}
