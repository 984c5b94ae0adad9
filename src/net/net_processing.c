/* The peer logic (see net_processing.h). Everything here runs on the net thread with
 * the connman lock held, except the chain and mempool notifications at the top, which
 * only queue under notify_lock and wake the net thread. */
#define _GNU_SOURCE
#include "net/net_processing.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/blockindex.h"
#include "chain/mempool.h"
#include "chain/validation.h"
#include "consensus/pow.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"

#define RECENT_REJECTS        4096 /* per generation: transactions that failed */
#define KNOWN_TX_PER_PEER     1024 /* per generation: transactions a peer knows of */
#define MAX_TX_INFLIGHT       (NP_MAX_PEER_TX_REQUESTS * 256) /* all peers together */
#define MAX_BLOCKTXN_DEPTH    10   /* Core: blocktxn served for the last 10 blocks */
#define MAX_CMPCTBLOCK_DEPTH  5
#define HEADERS_SYNC_TIMEOUT_US (15 * 60 * 1000000LL)
#define BLOCK_DOWNLOAD_TIMEOUT_BASE_US (10 * 60 * 1000000LL)
#define PING_TIMEOUT_US       (20 * 60 * 1000000LL)
#define FEEFILTER_INTERVAL_US (10 * 60 * 1000000LL)
#define MAX_ORPHAN_WEIGHT     400000
#define ADDR_RATE_PER_SEC     0.1
#define MAX_ADDR_TOKENS       1000
#define MAX_BLOCKS_TO_ANNOUNCE 8
#define MAX_GETBLOCKS_RESULTS 500
#define ADDR_RELAY_MAX_ENTRIES 10  /* only small addr messages are gossip (Core) */
#define ADDR_RELAY_MAX_AGE     (10 * 60)
#define ADDR_BROADCAST_INTERVAL 30 /* s, average (Core's AVG_ADDRESS_BROADCAST_INTERVAL) */
#define KNOWN_ADDR_PER_PEER    2500

struct inflight_block {
    uint256 hash;
    struct block_index *idx;
    int64_t requested; /* mono µs */
    struct inflight_block *next;
};

struct tx_request {
    uint256 hash;
    bool wtxid;
    int64_t time; /* mono µs */
};

struct orphan {
    struct tx tx;
    uint256 txid, wtxid;
    int64_t from; /* peer id */
    int64_t expire;
};

struct partial_block {
    struct block_header header;
    uint256 hash;
    struct tx *txs;   /* tx_count slots */
    bool *have;
    size_t tx_count;
    uint32_t *missing;
    size_t nmissing;
};

/* A set of 64-bit keys (salted short hashes, 0 stands for 1) with open addressing and
 * linear probing; at most half full. Lookups are constant time, which matters because a
 * peer may send 50,000 inventory entries in one message. */
struct hset {
    uint64_t *slot;
    size_t cap; /* a power of two */
    size_t n;
};

static bool hset_init(struct hset *h, size_t cap)
{
    h->slot = calloc(cap, sizeof *h->slot);
    h->cap = h->slot ? cap : 0;
    h->n = 0;
    return h->slot != NULL;
}

static void hset_free(struct hset *h)
{
    free(h->slot);
    h->slot = NULL;
    h->cap = h->n = 0;
}

static uint64_t hkey(uint64_t k) { return k ? k : 1; }

static bool hset_has(const struct hset *h, uint64_t k)
{
    if (!h->cap) return false;
    k = hkey(k);
    for (size_t i = (size_t)k & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
        if (h->slot[i] == k) return true;
        if (h->slot[i] == 0) return false;
    }
}

/* False when the set is half full (the caller rolls or refuses). */
static bool hset_add(struct hset *h, uint64_t k)
{
    if (!h->cap || h->n * 2 >= h->cap) return false;
    k = hkey(k);
    size_t i = (size_t)k & (h->cap - 1);
    while (h->slot[i] != 0) {
        if (h->slot[i] == k) return true;
        i = (i + 1) & (h->cap - 1);
    }
    h->slot[i] = k;
    h->n++;
    return true;
}

/* Removes k, shifting later members of its probe run back (no tombstones). */
static void hset_del(struct hset *h, uint64_t k)
{
    if (!h->cap) return;
    k = hkey(k);
    size_t mask = h->cap - 1, i = (size_t)k & mask;
    while (h->slot[i] != k) {
        if (h->slot[i] == 0) return;
        i = (i + 1) & mask;
    }
    h->slot[i] = 0;
    h->n--;
    for (size_t j = (i + 1) & mask; h->slot[j] != 0; j = (j + 1) & mask) {
        size_t home = (size_t)h->slot[j] & mask;
        /* Move slot j into the hole at i when its home is not in (i, j]. */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            h->slot[i] = h->slot[j];
            h->slot[j] = 0;
            i = j;
        }
    }
}

/* Two generations of a set: when the current one is full it becomes the old one and
 * the older is emptied, so the set remembers between per_gen and 2 * per_gen keys. */
struct rolling_set {
    struct hset gen[2];
    int cur;
    size_t per_gen;
};

static struct rolling_set *rolling_new(size_t per_gen)
{
    struct rolling_set *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    size_t cap = 1;
    while (cap < per_gen * 2) cap <<= 1;
    if (!hset_init(&r->gen[0], cap) || !hset_init(&r->gen[1], cap)) {
        hset_free(&r->gen[0]);
        hset_free(&r->gen[1]);
        free(r);
        return NULL;
    }
    r->per_gen = per_gen;
    return r;
}

static void rolling_free(struct rolling_set *r)
{
    if (!r) return;
    hset_free(&r->gen[0]);
    hset_free(&r->gen[1]);
    free(r);
}

static void rolling_add(struct rolling_set *r, uint64_t k)
{
    if (r->gen[r->cur].n >= r->per_gen) {
        r->cur ^= 1;
        memset(r->gen[r->cur].slot, 0, r->gen[r->cur].cap * sizeof(uint64_t));
        r->gen[r->cur].n = 0;
    }
    (void)hset_add(&r->gen[r->cur], k);
}

static bool rolling_has(const struct rolling_set *r, uint64_t k)
{
    return r && (hset_has(&r->gen[0], k) || hset_has(&r->gen[1], k));
}

struct net_processing {
    struct connman *cm;
    struct node_context *node;
    pthread_mutex_t notify_lock;
    bool tip_changed;
    uint256 *relay_txid, *relay_wtxid;
    size_t nrelay, relay_cap;
    bool subscribed;
    struct orphan *orphans;
    size_t norphans;
    struct rolling_set *rejects;  /* wtxids (and txids) that failed: not asked for again */
    struct hset tx_inflight;      /* every tx hash requested from some peer */
    struct hset blocks_inflight;  /* every block hash requested from some peer */
    uint64_t salt0, salt1;
    int nsync_started;
};

static void drop_tx_request(struct net_processing *np, struct peer *p, size_t i);
static int64_t poisson_delay(int64_t mean_us);

/* ---- Notifications (any thread) ---- */

static void on_tip_updated(void *vnp, const struct block_index *tip)
{
    (void)tip;
    struct net_processing *np = vnp;
    pthread_mutex_lock(&np->notify_lock);
    np->tip_changed = true;
    pthread_mutex_unlock(&np->notify_lock);
    connman_wake(np->cm);
}

static void queue_relay(void *vnp, const uint256 *txid, const uint256 *wtxid)
{
    struct net_processing *np = vnp;
    pthread_mutex_lock(&np->notify_lock);
    if (np->nrelay == np->relay_cap) {
        size_t nc = np->relay_cap ? np->relay_cap * 2 : 16;
        uint256 *a = realloc(np->relay_txid, nc * sizeof *a);
        if (a) np->relay_txid = a;
        uint256 *b = realloc(np->relay_wtxid, nc * sizeof *b);
        if (b) np->relay_wtxid = b;
        if (a && b) np->relay_cap = nc;
    }
    if (np->nrelay < np->relay_cap) {
        np->relay_txid[np->nrelay] = *txid;
        np->relay_wtxid[np->nrelay] = *wtxid;
        np->nrelay++;
    }
    pthread_mutex_unlock(&np->notify_lock);
    connman_wake(np->cm);
}

struct net_processing *netproc_new(struct connman *cm, struct node_context *node)
{
    struct net_processing *np = calloc(1, sizeof *np);
    if (!np) return NULL;
    np->cm = cm;
    np->node = node;
    pthread_mutex_init(&np->notify_lock, NULL);
    if (!random_bytes(&np->salt0, sizeof np->salt0) || !random_bytes(&np->salt1, sizeof np->salt1)) {
        pthread_mutex_destroy(&np->notify_lock);
        free(np);
        return NULL;
    }
    np->rejects = rolling_new(RECENT_REJECTS);
    if (!np->rejects || !hset_init(&np->tx_inflight, 2 * MAX_TX_INFLIGHT) ||
        !hset_init(&np->blocks_inflight, 8192)) {
        rolling_free(np->rejects);
        hset_free(&np->tx_inflight);
        pthread_mutex_destroy(&np->notify_lock);
        free(np);
        return NULL;
    }
    pthread_mutex_lock(&node->lock);
    if (node->chainstate) {
        struct chainstate_callbacks cb = {NULL, NULL, on_tip_updated, np};
        np->subscribed = chainstate_subscribe(node->chainstate, &cb);
    }
    node->relay_tx = queue_relay;
    node->relay_ctx = np;
    pthread_mutex_unlock(&node->lock);
    return np;
}

void netproc_shutdown(struct net_processing *np)
{
    if (!np) return;
    pthread_mutex_lock(&np->node->lock);
    if (np->subscribed && np->node->chainstate) chainstate_unsubscribe(np->node->chainstate, np);
    np->subscribed = false;
    if (np->node->relay_ctx == np) {
        np->node->relay_tx = NULL;
        np->node->relay_ctx = NULL;
    }
    pthread_mutex_unlock(&np->node->lock);
}

void netproc_free(struct net_processing *np)
{
    if (!np) return;
    netproc_shutdown(np);
    for (size_t i = 0; i < np->norphans; i++) tx_clear(&np->orphans[i].tx);
    free(np->orphans);
    free(np->relay_txid);
    free(np->relay_wtxid);
    rolling_free(np->rejects);
    hset_free(&np->tx_inflight);
    hset_free(&np->blocks_inflight);
    pthread_mutex_destroy(&np->notify_lock);
    free(np);
}

/* ---- Small helpers ---- */

static uint64_t short_hash(const struct net_processing *np, const uint256 *h)
{
    return siphash24(np->salt0, np->salt1, h->b, 32);
}

static void add_reject(struct net_processing *np, const uint256 *wtxid)
{
    rolling_add(np->rejects, short_hash(np, wtxid));
}

static bool recently_rejected(const struct net_processing *np, const uint256 *h)
{
    return rolling_has(np->rejects, short_hash(np, h));
}

static void mark_known_tx(struct net_processing *np, struct peer *p, const uint256 *h)
{
    if (!p->known_tx) p->known_tx = rolling_new(KNOWN_TX_PER_PEER);
    if (p->known_tx) rolling_add(p->known_tx, short_hash(np, h));
}

static bool peer_knows_tx(const struct net_processing *np, const struct peer *p, const uint256 *h)
{
    return rolling_has(p->known_tx, short_hash(np, h));
}

static bool is_ibd(struct net_processing *np)
{
    return node_is_initial_block_download(np->node);
}

/* A locator from idx back to genesis: 10 steps of one, then doubling. */
static bool build_locator(const struct block_index *idx, struct net_locator *loc)
{
    memset(loc, 0, sizeof *loc);
    loc->version = NET_PROTOCOL_VERSION;
    size_t cap = 64;
    loc->hashes = calloc(cap, sizeof *loc->hashes);
    if (!loc->hashes) return false;
    int32_t step = 1;
    while (idx && loc->count < NET_MAX_LOCATOR_SZ - 1) {
        loc->hashes[loc->count++] = idx->hash;
        if (idx->height == 0) return true;
        int32_t h = idx->height - step;
        if (h < 0) h = 0;
        idx = block_index_ancestor(idx, h);
        if (loc->count > 10) step *= 2;
    }
    return true;
}

/* Sends an inv-shaped message (inv, getdata, notfound) of n entries. */
static void send_inv(struct peer *p, const char *command, const struct net_inv *items, size_t n)
{
    struct writer w;
    writer_init(&w);
    net_inv_encode(&w, items, n);
    connman_send_writer(p, command, &w);
}

static void send_getheaders(struct net_processing *np, struct peer *p,
                            const struct block_index *from, const uint256 *stop)
{
    (void)np;
    struct net_locator loc;
    if (!build_locator(from, &loc)) return;
    if (stop) loc.stop = *stop;
    struct writer w;
    writer_init(&w);
    net_locator_encode(&w, &loc);
    net_locator_clear(&loc);
    connman_send_writer(p, "getheaders", &w);
}

static void send_version(struct net_processing *np, struct peer *p)
{
    struct net_version v;
    memset(&v, 0, sizeof v);
    v.version = NET_PROTOCOL_VERSION;
    v.services = connman_local_services(np->cm);
    v.time = time_now();
    v.recv_services = p->services;
    v.recv = p->addr;
    v.from_services = v.services;
    memset(&v.from, 0, sizeof v.from);
    v.from.net = NET_IPV4;
    v.from.len = 4;
    v.nonce = p->local_nonce;
    snprintf(v.user_agent, sizeof v.user_agent, "%s", connman_user_agent(np->cm));
    pthread_mutex_lock(&np->node->lock);
    v.start_height = np->node->chainstate ? chainstate_height(np->node->chainstate) : 0;
    pthread_mutex_unlock(&np->node->lock);
    v.relay = p->type != CONN_BLOCK_RELAY;
    struct writer w;
    writer_init(&w);
    net_version_encode(&w, &v);
    connman_send_writer(p, "version", &w);
    p->version_sent = true;
}

static bool peer_has_header(const struct peer *p, const struct block_index *idx)
{
    if (p->best_known && block_index_ancestor(p->best_known, idx->height) == idx) return true;
    if (p->last_announced && block_index_ancestor(p->last_announced, idx->height) == idx)
        return true;
    return false;
}

/* Raises p->best_known to idx when it has more work (Core's UpdateBlockAvailability). */
static void update_best_known(struct peer *p, struct block_index *idx)
{
    if (!p->best_known || arith256_cmp(&idx->chain_work, &p->best_known->chain_work) > 0)
        p->best_known = idx;
}

/* A block announced before its header arrived: resolve it once it has. */
static void resolve_unknown_block(struct net_processing *np, struct peer *p)
{
    if (!p->have_unknown_block) return;
    struct block_index *idx = chainstate_lookup(np->node->chainstate, &p->last_unknown_block);
    if (idx && !arith256_is_zero(&idx->chain_work)) {
        update_best_known(p, idx);
        p->have_unknown_block = false;
    }
}

/* ---- Block download bookkeeping ---- */

static struct peer *inflight_owner(struct net_processing *np, const uint256 *hash,
                                   struct inflight_block **out)
{
    for (struct peer *q = connman_peers(np->cm); q; q = q->next)
        for (struct inflight_block *b = q->inflight; b; b = b->next)
            if (memcmp(b->hash.b, hash->b, 32) == 0) {
                if (out) *out = b;
                return q;
            }
    return NULL;
}

/* Removes the block from whichever peer it was requested from; true when it was. */
static bool clear_inflight(struct net_processing *np, const uint256 *hash, struct peer **from)
{
    for (struct peer *q = connman_peers(np->cm); q; q = q->next) {
        for (struct inflight_block **pp = &q->inflight; *pp; pp = &(*pp)->next) {
            if (memcmp((*pp)->hash.b, hash->b, 32) == 0) {
                struct inflight_block *b = *pp;
                *pp = b->next;
                hset_del(&np->blocks_inflight, short_hash(np, &b->hash));
                free(b);
                q->ninflight--;
                q->stalling_since = 0;
                if (from) *from = q;
                return true;
            }
        }
    }
    return false;
}

static bool can_serve_blocks(const struct peer *p)
{
    return (p->services & NODE_NETWORK) != 0 && (p->services & NODE_WITNESS) != 0;
}

/* Core's FindNextBlocksToDownload: up to count blocks on the path to p's best known
 * block, inside the window after the last block we have in common. *staller is set to
 * the peer holding the window's first block when the window is full. */
static size_t next_blocks(struct net_processing *np, struct peer *p, size_t count,
                          struct block_index **out, struct peer **staller)
{
    struct chainstate *cs = np->node->chainstate;
    struct block_index *tip = chainstate_tip(cs);
    *staller = NULL;
    if (count == 0 || !can_serve_blocks(p)) return 0;
    resolve_unknown_block(np, p);
    if (!p->best_known || !tip ||
        arith256_cmp(&p->best_known->chain_work, &tip->chain_work) < 0)
        return 0;
    const struct active_chain *ac = chainstate_active(cs);
    if (!p->last_common) {
        int32_t h = p->best_known->height < tip->height ? p->best_known->height : tip->height;
        p->last_common = active_chain_at(ac, h);
    }
    /* The last common block must be an ancestor of both. */
    p->last_common = block_index_fork_point(p->last_common, p->best_known);
    if (!p->last_common || p->last_common == p->best_known) return 0;
    int32_t window_end = p->last_common->height + NP_BLOCK_DOWNLOAD_WINDOW;
    int32_t max_height = p->best_known->height < window_end + 1 ? p->best_known->height
                                                                 : window_end + 1;
    struct block_index *walk = p->last_common;
    size_t n = 0;
    struct peer *waiting_for = NULL;
    while (walk->height < max_height) {
        int32_t todo = max_height - walk->height;
        if (todo > 128) todo = 128;
        struct block_index *batch[128];
        struct block_index *e = block_index_ancestor(p->best_known, walk->height + todo);
        for (int32_t i = todo - 1; i >= 0; i--) {
            batch[i] = e;
            e = e->prev;
        }
        walk = batch[todo - 1];
        for (int32_t i = 0; i < todo; i++) {
            struct block_index *b = batch[i];
            if (b->status & BLOCK_FAILED_MASK) return n; /* an invalid chain */
            if (!block_index_is_valid(b, BLOCK_VALID_TREE)) return n;
            if ((b->status & BLOCK_HAVE_DATA) || active_chain_contains(ac, b)) {
                if (b->chain_tx || active_chain_contains(ac, b)) p->last_common = b;
                continue;
            }
            if (hset_has(&np->blocks_inflight, short_hash(np, &b->hash))) {
                if (!waiting_for) waiting_for = inflight_owner(np, &b->hash, NULL);
                continue;
            }
            if (b->height > window_end) {
                if (n == 0 && waiting_for && waiting_for != p) *staller = waiting_for;
                return n;
            }
            out[n++] = b;
            if (n == count) return n;
            waiting_for = p; /* blocks we request count as ours */
        }
    }
    return n;
}

static void request_blocks(struct net_processing *np, struct peer *p, int64_t now_us)
{
    if (p->disconnect || !p->handshake_done) return;
    int room = NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER - p->ninflight;
    if (room <= 0) return;
    struct block_index *want[NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER];
    struct peer *staller = NULL;
    size_t n = next_blocks(np, p, (size_t)room, want, &staller);
    if (n == 0) {
        if (staller && staller->stalling_since == 0) {
            staller->stalling_since = now_us;
            log_debug(LOG_NET, "stall started peer=%" PRId64, staller->id);
        }
        return;
    }
    struct net_inv inv[NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER];
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        struct inflight_block *b = calloc(1, sizeof *b);
        if (!b) break;
        if (!hset_add(&np->blocks_inflight, short_hash(np, &want[i]->hash))) {
            free(b);
            break;
        }
        b->hash = want[i]->hash;
        b->idx = want[i];
        b->requested = now_us;
        b->next = p->inflight;
        p->inflight = b;
        p->ninflight++;
        inv[i].type = MSG_WITNESS_BLOCK;
        inv[i].hash = want[i]->hash;
        log_debug(LOG_NET, "Requesting block %d peer=%" PRId64, (int)want[i]->height, p->id);
    }
    if (k == 0) return;
    send_inv(p, "getdata", inv, k);
}

/* ---- Handshake ---- */

void netproc_peer_connected(struct net_processing *np, struct peer *p)
{
    if (p->type != CONN_INBOUND) send_version(np, p);
}

void netproc_peer_disconnected(struct net_processing *np, struct peer *p)
{
    while (p->inflight) {
        struct inflight_block *b = p->inflight;
        p->inflight = b->next;
        hset_del(&np->blocks_inflight, short_hash(np, &b->hash));
        free(b);
    }
    p->ninflight = 0;
    if (p->sync_started) np->nsync_started--;
    p->sync_started = false;
    free(p->tx_inv);
    p->tx_inv = NULL;
    while (p->ntx_requests) drop_tx_request(np, p, 0);
    free(p->tx_requests);
    p->tx_requests = NULL;
    rolling_free(p->known_tx);
    p->known_tx = NULL;
    rolling_free(p->known_addr);
    p->known_addr = NULL;
    free(p->addr_queue);
    p->addr_queue = NULL;
    p->naddr_queue = 0;
    free(p->getdata_q);
    p->getdata_q = NULL;
    if (p->partial) {
        for (size_t i = 0; i < p->partial->tx_count; i++) tx_clear(&p->partial->txs[i]);
        free(p->partial->txs);
        free(p->partial->have);
        free(p->partial->missing);
        free(p->partial);
        p->partial = NULL;
    }
    /* Orphans from this peer go too (Core's EraseForPeer). */
    for (size_t i = 0; i < np->norphans;) {
        if (np->orphans[i].from == p->id) {
            tx_clear(&np->orphans[i].tx);
            np->orphans[i] = np->orphans[--np->norphans];
        } else {
            i++;
        }
    }
}

static void on_version(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    if (p->version_received) {
        log_debug(LOG_NET, "redundant version message from peer=%" PRId64, p->id);
        return;
    }
    struct net_version v;
    char err[128] = "";
    if (!net_version_decode(d, len, &v, err)) {
        connman_misbehaving(p, "malformed version message: %s", err);
        return;
    }
    if (v.version < NET_MIN_PEER_PROTO_VERSION) {
        log_info("peer=%" PRId64 " using obsolete version %d; disconnecting", p->id,
                 (int)v.version);
        p->disconnect = true;
        return;
    }
    if (p->type == CONN_INBOUND && connman_is_local_nonce(np->cm, v.nonce)) {
        log_info("connected to self at %s, disconnecting", p->addr_name);
        p->disconnect = true;
        return;
    }
    if ((p->type == CONN_OUTBOUND_FULL_RELAY || p->type == CONN_BLOCK_RELAY) &&
        ((v.services & NODE_NETWORK) == 0 || (v.services & NODE_WITNESS) == 0)) {
        log_debug(LOG_NET, "peer=%" PRId64 " does not offer the expected services "
                           "(%016" PRIx64 " offered); disconnecting",
                  p->id, v.services);
        p->disconnect = true;
        return;
    }
    p->version_received = true;
    p->version = v.version;
    p->services = v.services;
    snprintf(p->subver, sizeof p->subver, "%s", v.user_agent);
    p->starting_height = v.start_height;
    p->relay_txs = v.relay && p->type != CONN_BLOCK_RELAY;
    if (p->type == CONN_INBOUND) send_version(np, p);
    if (v.version >= NET_WTXID_RELAY_VERSION) {
        connman_send(p, "wtxidrelay", NULL, 0);
        connman_send(p, "sendaddrv2", NULL, 0);
    }
    connman_send(p, "verack", NULL, 0);
    if (p->type != CONN_INBOUND) addrman_set_services(connman_addrman(np->cm), &p->addr, v.services);
}

static void on_verack(struct net_processing *np, struct peer *p, int64_t now_us)
{
    if (!p->version_received || p->verack_received) return;
    p->verack_received = true;
    p->handshake_done = true;
    log_info("New %s peer connected: version: %d, blocks=%d, peer=%" PRId64 "%s%s",
             conn_type_name(p->type), (int)p->version, (int)p->starting_height, p->id,
             p->subver[0] ? ", subver=" : "", p->subver);
    if (p->version >= NET_SENDHEADERS_VERSION) connman_send(p, "sendheaders", NULL, 0);
    if (p->version >= NET_SHORT_IDS_BLOCKS_VERSION) {
        struct net_sendcmpct sc = {false, 2};
        struct writer w;
        writer_init(&w);
        net_sendcmpct_encode(&w, &sc);
        connman_send_writer(p, "sendcmpct", &w);
    }
    p->next_ping = now_us;
    p->next_feefilter_send = now_us;
    p->addr_token_bucket_ms = 1000;
    p->addr_token_time = now_us;
    p->next_addr_send = time_now() + ADDR_BROADCAST_INTERVAL;
    if (p->type == CONN_OUTBOUND_FULL_RELAY || p->type == CONN_ADDR_FETCH ||
        p->type == CONN_MANUAL) {
        connman_send(p, "getaddr", NULL, 0);
        p->getaddr_sent = true;
        /* The answer to our getaddr is not rate-limited (Core). */
        p->addr_token_bucket_ms += (int64_t)NET_MAX_ADDR_TO_SEND * 1000;
    }
    if (p->type != CONN_INBOUND && p->type != CONN_ADDR_FETCH)
        addrman_good(connman_addrman(np->cm), &p->addr, time_now());
}

/* ---- Headers and blocks ---- */

static void on_getheaders(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_locator loc;
    char err[128] = "";
    if (!net_locator_decode(d, len, &loc, err)) {
        connman_misbehaving(p, "malformed getheaders: %s", err);
        return;
    }
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    if (!cs || (is_ibd(np) && (p->perms & NET_PERM_DOWNLOAD) == 0)) {
        log_debug(LOG_NET, "ignoring getheaders from peer=%" PRId64 " (in initial block "
                           "download)",
                  p->id);
        goto out;
    }
    const struct active_chain *ac = chainstate_active(cs);
    struct block_index *start = NULL;
    if (loc.count == 0) {
        struct block_index *s = chainstate_lookup(cs, &loc.stop);
        if (!s || (s->status & BLOCK_FAILED_MASK)) goto out;
        struct block_header h;
        block_index_header(s, &h);
        struct writer w;
        writer_init(&w);
        net_headers_encode(&w, &h, 1);
        connman_send_writer(p, "headers", &w);
        goto out;
    }
    for (size_t i = 0; i < loc.count; i++) {
        struct block_index *e = chainstate_lookup(cs, &loc.hashes[i]);
        if (e && active_chain_contains(ac, e)) {
            start = e;
            break;
        }
    }
    if (!start) start = active_chain_genesis(ac);
    struct block_header *hs = malloc(NET_MAX_HEADERS_RESULTS * sizeof *hs);
    if (!hs) goto out;
    size_t n = 0;
    struct block_index *last = NULL;
    for (struct block_index *e = active_chain_next(ac, start); e && n < NET_MAX_HEADERS_RESULTS;
         e = active_chain_next(ac, e)) {
        block_index_header(e, &hs[n++]);
        last = e;
        if (memcmp(e->hash.b, loc.stop.b, 32) == 0) break;
    }
    struct writer w;
    writer_init(&w);
    net_headers_encode(&w, hs, n);
    free(hs);
    connman_send_writer(p, "headers", &w);
    if (last) p->last_announced = last;
    else p->last_announced = chainstate_tip(cs);
out:
    pthread_mutex_unlock(&np->node->lock);
    net_locator_clear(&loc);
}

static void on_getblocks(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_locator loc;
    char err[128] = "";
    if (!net_locator_decode(d, len, &loc, err)) {
        connman_misbehaving(p, "malformed getblocks: %s", err);
        return;
    }
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    if (cs) {
        const struct active_chain *ac = chainstate_active(cs);
        struct block_index *start = NULL;
        for (size_t i = 0; i < loc.count && !start; i++) {
            struct block_index *e = chainstate_lookup(cs, &loc.hashes[i]);
            if (e && active_chain_contains(ac, e)) start = e;
        }
        if (!start) start = active_chain_genesis(ac);
        struct net_inv inv[MAX_GETBLOCKS_RESULTS];
        size_t n = 0;
        for (struct block_index *e = active_chain_next(ac, start); e && n < MAX_GETBLOCKS_RESULTS;
             e = active_chain_next(ac, e)) {
            if (memcmp(e->hash.b, loc.stop.b, 32) == 0) break;
            inv[n].type = MSG_BLOCK;
            inv[n].hash = e->hash;
            n++;
        }
        if (n) {
            send_inv(p, "inv", inv, n);
        }
    }
    pthread_mutex_unlock(&np->node->lock);
    net_locator_clear(&loc);
}

/* Processes a headers message's contents (also used for a compact block's header). */
static void process_headers(struct net_processing *np, struct peer *p,
                            const struct block_header *hs, size_t n, bool from_headers_msg)
{
    if (n == 0) return;
    for (size_t i = 1; i < n; i++) {
        uint256 prev;
        block_header_hash(&hs[i - 1], &prev);
        if (memcmp(prev.b, hs[i].prev_hash.b, 32) != 0) {
            connman_misbehaving(p, "non-continuous headers sequence");
            return;
        }
    }
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    if (!cs) goto out;
    struct block_index *prev = chainstate_lookup(cs, &hs[0].prev_hash);
    if (!prev) {
        /* Not connecting: ask for what leads to them (Core's unconnecting headers). */
        p->unconnecting_headers++;
        uint256 last;
        block_header_hash(&hs[n - 1], &last);
        p->last_unknown_block = last;
        p->have_unknown_block = true;
        /* Core no longer punishes this: announcements can race a reorg. Ask for the
         * headers that lead to them. */
        send_getheaders(np, p, chainstate_best_header(cs), NULL);
        log_debug(LOG_NET, "received %zu headers that do not connect (%d so far) peer=%" PRId64,
                  n, p->unconnecting_headers, p->id);
        goto out;
    }
    /* Low-work spam bound: a batch forking deep below our tip must bring more work. */
    struct block_index *tip = chainstate_tip(cs);
    const struct active_chain *ac = chainstate_active(cs);
    struct block_index *fork = active_chain_find_fork(ac, prev);
    if (tip && fork && tip->height - fork->height > NP_MAX_LOW_WORK_FORK_DEPTH) {
        arith256 work = prev->chain_work;
        for (size_t i = 0; i < n; i++) {
            arith256 w;
            pow_block_work(&w, hs[i].bits);
            arith256_add(&work, &work, &w);
        }
        if (arith256_cmp(&work, &tip->chain_work) <= 0) {
            log_info("Ignoring %zu low-work headers from peer=%" PRId64 " forking at height %d",
                     n, p->id, (int)fork->height);
            goto out;
        }
    }
    struct block_index *last = NULL;
    for (size_t i = 0; i < n; i++) {
        struct validation_state st;
        struct block_index *e = NULL;
        if (!chainstate_process_header(cs, &hs[i], time_now(), &e, &st)) {
            pthread_mutex_unlock(&np->node->lock);
            if (st.kind == VALIDATION_ERROR)
                log_info("Error processing a header from peer=%" PRId64 ": %s", p->id, st.reason);
            else if (strcmp(st.reason, "duplicate-invalid") == 0 && p->type == CONN_INBOUND)
                /* A block we already hold invalid (perhaps by invalidateblock): Core
                 * punishes only outbound peers for that. */
                log_debug(LOG_NET, "header of a block marked invalid from inbound peer=%" PRId64,
                          p->id);
            else
                connman_misbehaving(p, "invalid header received: %s", st.reason);
            return;
        }
        last = e;
    }
    p->unconnecting_headers = 0;
    if (last) {
        update_best_known(p, last);
        resolve_unknown_block(np, p);
        if (from_headers_msg && n == NET_MAX_HEADERS_RESULTS) {
            /* More to come. */
            send_getheaders(np, p, last, NULL);
        } else if (p->sync_started && from_headers_msg) {
            p->headers_sync_timeout = 0;
        }
    }
out:
    pthread_mutex_unlock(&np->node->lock);
    if (p->handshake_done && !p->disconnect) {
        pthread_mutex_lock(&np->node->lock);
        if (np->node->chainstate) request_blocks(np, p, time_mono_micros());
        pthread_mutex_unlock(&np->node->lock);
    }
}

static void on_headers(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_headers hs;
    char err[128] = "";
    if (!net_headers_decode(d, len, &hs, err)) {
        connman_misbehaving(p, "malformed headers: %s", err);
        return;
    }
    process_headers(np, p, hs.items, hs.count, true);
    net_headers_clear(&hs);
}

/* Hands a whole block to validation; punishes what is invalid. */
static void process_block(struct net_processing *np, struct peer *p, const struct block *b,
                          bool requested)
{
    uint256 hash;
    block_hash(b, &hash);
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    if (!cs) {
        pthread_mutex_unlock(&np->node->lock);
        return;
    }
    if (!requested) {
        /* Unrequested blocks are only worth it when they extend our best chain (Core). */
        struct block_index *idx = chainstate_lookup(cs, &hash);
        struct block_index *prev = chainstate_lookup(cs, &b->header.prev_hash);
        struct block_index *tip = chainstate_tip(cs);
        if (idx && (idx->status & BLOCK_HAVE_DATA)) {
            pthread_mutex_unlock(&np->node->lock);
            return;
        }
        if (prev && tip && prev != tip && arith256_cmp(&prev->chain_work, &tip->chain_work) < 0) {
            log_debug(LOG_NET, "ignoring unrequested block with less work from peer=%" PRId64,
                      p->id);
            pthread_mutex_unlock(&np->node->lock);
            return;
        }
    }
    struct validation_state st;
    bool is_new = false;
    bool ok = chainstate_process_block(cs, b, time_now(), &is_new, &st);
    struct block_index *idx = chainstate_lookup(cs, &hash);
    if (ok && idx) update_best_known(p, idx);
    if (ok && is_new) p->last_block_time = time_now();
    struct block_index *best = chainstate_best_header(cs);
    pthread_mutex_unlock(&np->node->lock);
    if (!ok || st.kind != VALIDATION_OK) {
        switch (st.kind) {
        case VALIDATION_INVALID:
        case VALIDATION_MUTATED:
            connman_misbehaving(p, "invalid block %s: %s", st.reason, st.debug);
            break;
        case VALIDATION_MISSING_PREV:
            pthread_mutex_lock(&np->node->lock);
            send_getheaders(np, p, best, NULL);
            pthread_mutex_unlock(&np->node->lock);
            break;
        case VALIDATION_ERROR:
            log_info("Error processing a block from peer=%" PRId64 ": %s %s", p->id, st.reason,
                     st.debug);
            break;
        case VALIDATION_OK:
            break;
        }
    }
}

static void on_block(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct block b;
    block_init(&b);
    if (!block_from_bytes(&b, d, len, true)) {
        connman_misbehaving(p, "malformed block message");
        return;
    }
    uint256 hash;
    block_hash(&b, &hash);
    bool requested = clear_inflight(np, &hash, NULL);
    process_block(np, p, &b, requested || (p->perms & NET_PERM_NOBAN) == NET_PERM_NOBAN ||
                                 p->type == CONN_MANUAL);
    block_clear(&b);
    pthread_mutex_lock(&np->node->lock);
    if (np->node->chainstate) request_blocks(np, p, time_mono_micros());
    pthread_mutex_unlock(&np->node->lock);
}

/* ---- Compact blocks ---- */

static void free_partial(struct peer *p)
{
    struct partial_block *pb = p->partial;
    if (!pb) return;
    for (size_t i = 0; i < pb->tx_count; i++) tx_clear(&pb->txs[i]);
    free(pb->txs);
    free(pb->have);
    free(pb->missing);
    free(pb);
    p->partial = NULL;
}

/* Builds the block from a finished partial and processes it. */
static void finish_partial(struct net_processing *np, struct peer *p)
{
    struct partial_block *pb = p->partial;
    struct block b;
    block_init(&b);
    b.header = pb->header;
    b.txs = pb->txs;
    b.tx_count = pb->tx_count;
    pb->txs = NULL;
    pb->tx_count = 0;
    uint256 hash = pb->hash;
    free_partial(p);
    /* A short-id collision shows up as a merkle mismatch: fetch the whole block
     * instead of blaming the peer. */
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    struct validation_state st;
    bool is_new = false;
    bool ok = cs && chainstate_process_block(cs, &b, time_now(), &is_new, &st);
    pthread_mutex_unlock(&np->node->lock);
    block_clear(&b);
    clear_inflight(np, &hash, NULL);
    if (cs && (!ok || st.kind != VALIDATION_OK)) {
        if (st.kind == VALIDATION_MUTATED) {
            struct net_inv inv = {MSG_WITNESS_BLOCK, hash};
            send_inv(p, "getdata", &inv, 1);
        } else if (st.kind == VALIDATION_INVALID) {
            connman_misbehaving(p, "invalid compact block %s", st.reason);
        }
    } else if (ok && is_new) {
        p->last_block_time = time_now();
    }
}

static void on_cmpctblock(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_cmpctblock c;
    char err[128] = "";
    if (!net_cmpctblock_decode(d, len, &c, err)) {
        connman_misbehaving(p, "malformed cmpctblock: %s", err);
        return;
    }
    process_headers(np, p, &c.header, 1, false);
    if (p->disconnect) goto out;
    uint256 hash;
    block_header_hash(&c.header, &hash);
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    struct block_index *idx = cs ? chainstate_lookup(cs, &hash) : NULL;
    struct block_index *tip = cs ? chainstate_tip(cs) : NULL;
    bool attempt = idx && !(idx->status & BLOCK_HAVE_DATA) && idx->prev == tip &&
                   !p->partial;
    if (!attempt) {
        pthread_mutex_unlock(&np->node->lock);
        goto out;
    }
    size_t total = c.short_id_count + c.prefilled_count;
    struct partial_block *pb = calloc(1, sizeof *pb);
    if (!pb || total == 0) {
        free(pb);
        pthread_mutex_unlock(&np->node->lock);
        goto out;
    }
    pb->header = c.header;
    pb->hash = hash;
    pb->tx_count = total;
    pb->txs = calloc(total, sizeof *pb->txs);
    pb->have = calloc(total, sizeof *pb->have);
    pb->missing = calloc(total, sizeof *pb->missing);
    p->partial = pb;
    if (!pb->txs || !pb->have || !pb->missing) {
        pthread_mutex_unlock(&np->node->lock);
        free_partial(p);
        goto out;
    }
    for (size_t i = 0; i < total; i++) tx_init(&pb->txs[i]);
    bool bad = false;
    for (size_t i = 0; i < c.prefilled_count; i++) {
        uint32_t at = c.prefilled[i].index;
        if (at >= total || pb->have[at]) {
            bad = true;
            break;
        }
        pb->txs[at] = c.prefilled[i].tx;
        tx_init(&c.prefilled[i].tx);
        pb->have[at] = true;
    }
    if (bad) {
        pthread_mutex_unlock(&np->node->lock);
        free_partial(p);
        connman_misbehaving(p, "invalid prefilled index in cmpctblock");
        goto out;
    }
    /* Slots for short ids, in order, skipping prefilled positions. */
    uint64_t k0, k1;
    net_cmpct_keys(&c.header, c.nonce, &k0, &k1);
    size_t *slot = calloc(c.short_id_count ? c.short_id_count : 1, sizeof *slot);
    if (!slot) {
        pthread_mutex_unlock(&np->node->lock);
        free_partial(p);
        goto out;
    }
    for (size_t i = 0, s = 0; i < total && s < c.short_id_count; i++)
        if (!pb->have[i]) slot[s++] = i;
    struct mempool *pool = np->node->mempool;
    uint256 *ids = NULL;
    size_t nids = 0;
    if (pool && mempool_txids(pool, &ids, &nids)) {
        for (size_t j = 0; j < nids; j++) {
            const struct mempool_entry *e = mempool_get(pool, &ids[j]);
            if (!e) continue;
            uint64_t sid = net_cmpct_short_id(k0, k1, &e->wtxid);
            for (size_t s = 0; s < c.short_id_count; s++) {
                if (c.short_ids[s] != sid || pb->have[slot[s]]) continue;
                if (tx_copy(&pb->txs[slot[s]], &e->tx)) pb->have[slot[s]] = true;
                break;
            }
        }
    }
    free(ids);
    free(slot);
    pthread_mutex_unlock(&np->node->lock);
    pb->nmissing = 0;
    for (size_t i = 0; i < total; i++)
        if (!pb->have[i]) pb->missing[pb->nmissing++] = (uint32_t)i;
    if (pb->nmissing == 0) {
        finish_partial(np, p);
    } else {
        struct net_getblocktxn g = {hash, pb->missing, pb->nmissing};
        struct writer w;
        writer_init(&w);
        net_getblocktxn_encode(&w, &g);
        connman_send_writer(p, "getblocktxn", &w);
    }
out:
    net_cmpctblock_clear(&c);
}

static void on_blocktxn(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_blocktxn bt;
    char err[128] = "";
    if (!net_blocktxn_decode(d, len, &bt, err)) {
        connman_misbehaving(p, "malformed blocktxn: %s", err);
        return;
    }
    struct partial_block *pb = p->partial;
    if (!pb || memcmp(pb->hash.b, bt.block_hash.b, 32) != 0) {
        log_debug(LOG_NET, "peer=%" PRId64 " sent us a blocktxn we did not ask for", p->id);
        net_blocktxn_clear(&bt);
        return;
    }
    if (bt.count != pb->nmissing) {
        net_blocktxn_clear(&bt);
        free_partial(p);
        connman_misbehaving(p, "blocktxn with the wrong number of transactions");
        return;
    }
    for (size_t i = 0; i < bt.count; i++) {
        pb->txs[pb->missing[i]] = bt.txs[i];
        tx_init(&bt.txs[i]);
        pb->have[pb->missing[i]] = true;
    }
    net_blocktxn_clear(&bt);
    finish_partial(np, p);
}

static void on_getblocktxn(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_getblocktxn g;
    char err[128] = "";
    if (!net_getblocktxn_decode(d, len, &g, err)) {
        connman_misbehaving(p, "malformed getblocktxn: %s", err);
        return;
    }
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    struct block_index *idx = cs ? chainstate_lookup(cs, &g.block_hash) : NULL;
    if (!idx || !(idx->status & BLOCK_HAVE_DATA)) {
        pthread_mutex_unlock(&np->node->lock);
        log_debug(LOG_NET, "peer=%" PRId64 " asked for transactions of a block we do not have",
                  p->id);
        net_getblocktxn_clear(&g);
        return;
    }
    struct block b;
    block_init(&b);
    char rerr[256];
    bool read = chainstate_read_block(cs, idx, &b, rerr, sizeof rerr);
    bool recent = chainstate_height(cs) - idx->height < MAX_BLOCKTXN_DEPTH;
    pthread_mutex_unlock(&np->node->lock);
    if (!read) {
        log_info("Cannot read block for getblocktxn: %s", rerr);
        net_getblocktxn_clear(&g);
        return;
    }
    struct writer w;
    writer_init(&w);
    if (!recent) {
        block_serialize(&w, &b, true);
        connman_send_writer(p, "block", &w);
    } else {
        struct net_blocktxn bt = {g.block_hash, NULL, g.count};
        bt.txs = calloc(g.count ? g.count : 1, sizeof *bt.txs);
        bool bad = false;
        for (size_t i = 0; bt.txs && i < g.count; i++) {
            if (g.indexes[i] >= b.tx_count) {
                bad = true;
                break;
            }
            bt.txs[i] = b.txs[g.indexes[i]]; /* borrowed for encoding */
        }
        if (bad) {
            free(bt.txs);
            writer_free(&w);
            block_clear(&b);
            net_getblocktxn_clear(&g);
            connman_misbehaving(p, "getblocktxn with out-of-bounds transaction indexes");
            return;
        }
        if (bt.txs) {
            net_blocktxn_encode(&w, &bt);
            connman_send_writer(p, "blocktxn", &w);
        } else {
            writer_free(&w);
        }
        free(bt.txs);
    }
    block_clear(&b);
    net_getblocktxn_clear(&g);
}

/* ---- getdata ---- */

bool netproc_busy(const struct peer *p) { return p->getdata_pos < p->getdata_n; }

static void send_notfound(struct peer *p, const struct net_inv *items, size_t n)
{
    if (n == 0) return;
    send_inv(p, "notfound", items, n);
}

/* Serves one queued item; false when it could not be served (notfound). */
static bool serve_one(struct net_processing *np, struct peer *p, const struct net_inv *inv)
{
    uint32_t t = inv->type & ~MSG_WITNESS_FLAG;
    bool witness = (inv->type & MSG_WITNESS_FLAG) != 0 || inv->type == MSG_WTX ||
                   inv->type == MSG_CMPCT_BLOCK;
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    if (!cs) {
        pthread_mutex_unlock(&np->node->lock);
        return false;
    }
    if (t == MSG_BLOCK || inv->type == MSG_CMPCT_BLOCK) {
        struct block_index *idx = chainstate_lookup(cs, &inv->hash);
        if (!idx || !(idx->status & BLOCK_HAVE_DATA) || (idx->status & BLOCK_FAILED_MASK)) {
            pthread_mutex_unlock(&np->node->lock);
            return false;
        }
        struct block b;
        block_init(&b);
        char err[256];
        if (!chainstate_read_block(cs, idx, &b, err, sizeof err)) {
            pthread_mutex_unlock(&np->node->lock);
            log_info("Cannot load block %d from disk: %s", (int)idx->height, err);
            return false;
        }
        bool recent = chainstate_height(cs) - idx->height < MAX_CMPCTBLOCK_DEPTH;
        pthread_mutex_unlock(&np->node->lock);
        struct writer w;
        writer_init(&w);
        if (inv->type == MSG_CMPCT_BLOCK && recent) {
            struct net_cmpctblock c;
            uint64_t nonce;
            if (!random_bytes(&nonce, sizeof nonce)) nonce = (uint64_t)time_mono_micros();
            if (net_cmpctblock_from_block(&c, &b, nonce)) {
                net_cmpctblock_encode(&w, &c);
                net_cmpctblock_clear(&c);
                connman_send_writer(p, "cmpctblock", &w);
            } else {
                writer_free(&w);
            }
        } else {
            block_serialize(&w, &b, witness);
            connman_send_writer(p, "block", &w);
        }
        block_clear(&b);
        return true;
    }
    if (t == MSG_TX || t == MSG_WTX) {
        struct mempool *pool = np->node->mempool;
        const struct mempool_entry *e = NULL;
        if (pool)
            e = t == MSG_WTX ? mempool_get_by_wtxid(pool, &inv->hash) : mempool_get(pool, &inv->hash);
        if (!e || !p->relay_txs) {
            pthread_mutex_unlock(&np->node->lock);
            return false;
        }
        struct writer w;
        writer_init(&w);
        tx_serialize(&w, &e->tx, witness);
        pthread_mutex_unlock(&np->node->lock);
        connman_send_writer(p, "tx", &w);
        return true;
    }
    pthread_mutex_unlock(&np->node->lock);
    return false;
}

void netproc_drain(struct net_processing *np, struct peer *p)
{
    struct net_inv nf[64];
    size_t nnf = 0;
    while (p->getdata_pos < p->getdata_n && !p->disconnect && !connman_send_full(p)) {
        const struct net_inv *inv = &p->getdata_q[p->getdata_pos++];
        if (!serve_one(np, p, inv)) {
            nf[nnf++] = *inv;
            if (nnf == 64) {
                send_notfound(p, nf, nnf);
                nnf = 0;
            }
        }
    }
    send_notfound(p, nf, nnf);
    if (p->getdata_pos >= p->getdata_n) {
        free(p->getdata_q);
        p->getdata_q = NULL;
        p->getdata_n = p->getdata_pos = 0;
    }
}

static void on_getdata(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_inv_list l;
    char err[128] = "";
    if (!net_inv_decode(d, len, &l, err)) {
        connman_misbehaving(p, "malformed getdata: %s", err);
        return;
    }
    if (l.count == 0) {
        net_inv_list_clear(&l);
        return;
    }
    /* Append to the queue (only empty here: input pauses while it is not). */
    free(p->getdata_q);
    p->getdata_q = l.items;
    p->getdata_n = l.count;
    p->getdata_pos = 0;
    l.items = NULL;
    net_inv_list_clear(&l);
    netproc_drain(np, p);
}

/* ---- Transactions ---- */

static bool tx_requested_elsewhere(struct net_processing *np, const uint256 *h)
{
    return hset_has(&np->tx_inflight, short_hash(np, h));
}

static bool have_orphan(struct net_processing *np, const uint256 *h)
{
    for (size_t i = 0; i < np->norphans; i++)
        if (memcmp(np->orphans[i].txid.b, h->b, 32) == 0 ||
            memcmp(np->orphans[i].wtxid.b, h->b, 32) == 0)
            return true;
    return false;
}

/* Drops request i of p (and its entry in the in-flight set). */
static void drop_tx_request(struct net_processing *np, struct peer *p, size_t i)
{
    hset_del(&np->tx_inflight, short_hash(np, &p->tx_requests[i].hash));
    p->tx_requests[i] = p->tx_requests[--p->ntx_requests];
}

static void remove_tx_request(struct net_processing *np, struct peer *p, const uint256 *txid,
                              const uint256 *wtxid)
{
    for (size_t i = 0; i < p->ntx_requests;) {
        if (memcmp(p->tx_requests[i].hash.b, txid->b, 32) == 0 ||
            (wtxid && memcmp(p->tx_requests[i].hash.b, wtxid->b, 32) == 0))
            drop_tx_request(np, p, i);
        else
            i++;
    }
}

static bool add_tx_request(struct net_processing *np, struct peer *p, const uint256 *h,
                           bool wtxid, int64_t now_us)
{
    if (p->ntx_requests >= NP_MAX_PEER_TX_REQUESTS) return false;
    if (!p->tx_requests) {
        p->tx_requests = calloc(NP_MAX_PEER_TX_REQUESTS, sizeof *p->tx_requests);
        if (!p->tx_requests) return false;
    }
    if (!hset_add(&np->tx_inflight, short_hash(np, h))) return false; /* all peers full */
    p->tx_requests[p->ntx_requests++] = (struct tx_request){*h, wtxid, now_us};
    return true;
}

static void queue_inv(struct peer *p, const uint256 *h)
{
    if (p->ntx_inv == p->tx_inv_cap) {
        if (p->tx_inv_cap >= 50000) return;
        size_t nc = p->tx_inv_cap ? p->tx_inv_cap * 2 : 64;
        void *q = realloc(p->tx_inv, nc * sizeof *p->tx_inv);
        if (!q) return;
        p->tx_inv = q;
        p->tx_inv_cap = nc;
    }
    p->tx_inv[p->ntx_inv++] = *h;
}

/* Announces a mempool transaction to every peer that wants transactions. */
static void relay_tx(struct net_processing *np, const uint256 *txid, const uint256 *wtxid)
{
    for (struct peer *q = connman_peers(np->cm); q; q = q->next) {
        if (!q->handshake_done || q->disconnect || !q->relay_txs) continue;
        const uint256 *h = q->wtxid_relay ? wtxid : txid;
        if (peer_knows_tx(np, q, h)) continue;
        queue_inv(q, h);
    }
}

static void add_orphan(struct net_processing *np, struct peer *p, const struct tx *tx,
                       const uint256 *txid, const uint256 *wtxid)
{
    if (have_orphan(np, wtxid)) return;
    if (tx_weight(tx) > MAX_ORPHAN_WEIGHT) return;
    if (np->norphans >= NP_MAX_ORPHANS) {
        size_t victim = (size_t)random_range(np->norphans);
        tx_clear(&np->orphans[victim].tx);
        np->orphans[victim] = np->orphans[--np->norphans];
    }
    if (!np->orphans) {
        np->orphans = calloc(NP_MAX_ORPHANS, sizeof *np->orphans);
        if (!np->orphans) return;
    }
    struct orphan *o = &np->orphans[np->norphans];
    tx_init(&o->tx);
    if (!tx_copy(&o->tx, tx)) return;
    o->txid = *txid;
    o->wtxid = *wtxid;
    o->from = p->id;
    o->expire = time_now() + NP_ORPHAN_EXPIRE;
    np->norphans++;
    log_debug(LOG_MEMPOOL, "stored orphan tx (mapsz %zu)", np->norphans);
}

/* Tries one transaction against the mempool (node lock held). Returns the kind. */
static enum mempool_result_kind accept_tx(struct net_processing *np, const struct tx *tx,
                                          struct mempool_accept_result *res)
{
    struct chainstate *cs = np->node->chainstate;
    const struct block_index *tip = chainstate_tip(cs);
    struct mempool_chain_tip t = {
        .height = tip ? tip->height : -1,
        .median_time_past = tip ? block_index_median_time_past(tip) : 0,
        .tip = tip,
        .now = time_now(),
    };
    struct mempool_accept_options opts;
    memset(&opts, 0, sizeof opts);
    memset(res, 0, sizeof *res);
    if (!mempool_accept(np->node->mempool, tx, &t, chainstate_coins(cs), &opts, res))
        return res->kind == MEMPOOL_ACCEPTED ? MEMPOOL_RESULT_ERROR : res->kind;
    return MEMPOOL_ACCEPTED;
}

/* After a transaction is accepted: orphans that spend it may now fit (node lock held). */
static void process_orphans(struct net_processing *np, const uint256 *parent)
{
    uint256 work[64];
    size_t nwork = 0;
    work[nwork++] = *parent;
    while (nwork) {
        uint256 cur = work[--nwork];
        for (size_t i = 0; i < np->norphans;) {
            struct orphan *o = &np->orphans[i];
            bool spends = false;
            for (size_t k = 0; k < o->tx.vin_count && !spends; k++)
                spends = memcmp(o->tx.vin[k].prevout.hash.b, cur.b, 32) == 0;
            if (!spends) {
                i++;
                continue;
            }
            struct mempool_accept_result res;
            enum mempool_result_kind k = accept_tx(np, &o->tx, &res);
            mempool_accept_result_clear(&res);
            if (k == MEMPOOL_RESULT_MISSING_INPUTS) {
                i++;
                continue;
            }
            if (k == MEMPOOL_ACCEPTED) {
                log_debug(LOG_MEMPOOL, "accepted orphan tx");
                relay_tx(np, &o->txid, &o->wtxid);
                if (nwork < 64) work[nwork++] = o->txid;
            } else {
                add_reject(np, &o->wtxid);
            }
            tx_clear(&o->tx);
            np->orphans[i] = np->orphans[--np->norphans];
        }
    }
}

static void on_tx(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    if (!p->relay_txs && (p->perms & NET_PERM_RELAY) == 0) {
        log_debug(LOG_NET, "transaction sent in violation of protocol peer=%" PRId64, p->id);
        p->disconnect = true;
        return;
    }
    struct tx tx;
    tx_init(&tx);
    if (!tx_from_bytes(&tx, d, len, true)) {
        connman_misbehaving(p, "malformed tx message");
        return;
    }
    uint256 txid, wtxid;
    tx_txid(&tx, &txid);
    tx_wtxid(&tx, &wtxid);
    remove_tx_request(np, p, &txid, &wtxid);
    mark_known_tx(np, p, p->wtxid_relay ? &wtxid : &txid);
    pthread_mutex_lock(&np->node->lock);
    if (!np->node->chainstate || !np->node->mempool || is_ibd(np)) goto out;
    if (mempool_get(np->node->mempool, &txid) || recently_rejected(np, &wtxid)) goto out;
    struct mempool_accept_result res;
    enum mempool_result_kind k = accept_tx(np, &tx, &res);
    if (k == MEMPOOL_ACCEPTED) {
        log_debug(LOG_MEMPOOL, "AcceptToMemoryPool: peer=%" PRId64 ": accepted (poolsz %zu txn)",
                  p->id, mempool_size(np->node->mempool));
        p->last_tx_time = time_now();
        relay_tx(np, &txid, &wtxid);
        process_orphans(np, &txid);
    } else if (k == MEMPOOL_RESULT_MISSING_INPUTS) {
        add_orphan(np, p, &tx, &txid, &wtxid);
        /* Ask the sender for the parents we lack. */
        struct net_inv inv[64];
        size_t n = 0;
        for (size_t i = 0; i < tx.vin_count && n < 64; i++) {
            const uint256 *ph = &tx.vin[i].prevout.hash;
            if (mempool_get(np->node->mempool, ph) || recently_rejected(np, ph) ||
                tx_requested_elsewhere(np, ph))
                continue;
            if (!add_tx_request(np, p, ph, false, time_mono_micros())) break;
            inv[n].type = MSG_WITNESS_TX;
            inv[n].hash = *ph;
            n++;
        }
        if (n) {
            send_inv(p, "getdata", inv, n);
        }
    } else if (k != MEMPOOL_RESULT_ALREADY_KNOWN) {
        log_debug(LOG_MEMPOOLREJ, "%s from peer=%" PRId64 " was not accepted: %s %s",
                  "transaction", p->id, res.reason ? res.reason : "", res.debug);
        add_reject(np, &wtxid);
        if (k == MEMPOOL_RESULT_CONSENSUS) {
            pthread_mutex_unlock(&np->node->lock);
            char why[160];
            snprintf(why, sizeof why, "%s", res.reason ? res.reason : "");
            mempool_accept_result_clear(&res);
            tx_clear(&tx);
            connman_misbehaving(p, "invalid transaction: %s", why);
            return;
        }
    }
    mempool_accept_result_clear(&res);
out:
    pthread_mutex_unlock(&np->node->lock);
    tx_clear(&tx);
}

static void on_inv(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    struct net_inv_list l;
    char err[128] = "";
    if (!net_inv_decode(d, len, &l, err)) {
        connman_misbehaving(p, "malformed inv: %s", err);
        return;
    }
    struct net_inv *want = calloc(l.count ? l.count : 1, sizeof *want);
    size_t nwant = 0;
    int64_t now_us = time_mono_micros();
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    bool ibd = is_ibd(np);
    for (size_t i = 0; cs && want && i < l.count && !p->disconnect; i++) {
        const struct net_inv *inv = &l.items[i];
        uint32_t t = inv->type & ~MSG_WITNESS_FLAG;
        if (t == MSG_BLOCK) {
            struct block_index *idx = chainstate_lookup(cs, &inv->hash);
            if (idx) {
                update_best_known(p, idx);
            } else {
                p->last_unknown_block = inv->hash;
                p->have_unknown_block = true;
                if (!ibd || !p->sync_started)
                    send_getheaders(np, p, chainstate_best_header(cs), &inv->hash);
            }
        } else if (t == MSG_TX || t == MSG_WTX) {
            if (!p->relay_txs) {
                pthread_mutex_unlock(&np->node->lock);
                log_debug(LOG_NET, "transaction inv sent in violation of protocol, "
                                   "disconnecting peer=%" PRId64,
                          p->id);
                p->disconnect = true;
                pthread_mutex_lock(&np->node->lock);
                break;
            }
            bool is_w = t == MSG_WTX;
            if (is_w != p->wtxid_relay) continue; /* the kind they agreed not to use */
            mark_known_tx(np, p, &inv->hash);
            if (ibd || !np->node->mempool) continue;
            if ((is_w ? mempool_get_by_wtxid(np->node->mempool, &inv->hash)
                      : mempool_get(np->node->mempool, &inv->hash)) != NULL)
                continue;
            if (recently_rejected(np, &inv->hash) || have_orphan(np, &inv->hash)) continue;
            if (tx_requested_elsewhere(np, &inv->hash)) continue;
            if (!add_tx_request(np, p, &inv->hash, is_w, now_us)) continue;
            want[nwant].type = is_w ? MSG_WTX : MSG_WITNESS_TX;
            want[nwant].hash = inv->hash;
            nwant++;
        }
    }
    if (cs) request_blocks(np, p, now_us);
    pthread_mutex_unlock(&np->node->lock);
    if (nwant) {
        send_inv(p, "getdata", want, nwant);
    }
    free(want);
    net_inv_list_clear(&l);
}

static void on_notfound(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len)
{
    (void)np;
    struct net_inv_list l;
    char err[128] = "";
    if (!net_inv_decode(d, len, &l, err)) {
        connman_misbehaving(p, "malformed notfound: %s", err);
        return;
    }
    for (size_t i = 0; i < l.count; i++) {
        uint32_t t = l.items[i].type & ~MSG_WITNESS_FLAG;
        if (t == MSG_TX || t == MSG_WTX) remove_tx_request(np, p, &l.items[i].hash, NULL);
    }
    net_inv_list_clear(&l);
}

/* ---- Addresses ---- */

static uint64_t addr_key(const struct net_processing *np, const struct net_addr *a)
{
    uint8_t buf[36];
    memcpy(buf, a->bytes, 32);
    buf[32] = a->net;
    buf[33] = (uint8_t)(a->port >> 8);
    buf[34] = (uint8_t)a->port;
    buf[35] = 0x61;
    return siphash24(np->salt0 ^ 0x6164647272656c61ULL, np->salt1, buf, sizeof buf);
}

static void mark_known_addr(const struct net_processing *np, struct peer *p,
                            const struct net_addr *a)
{
    if (!p->known_addr) p->known_addr = rolling_new(KNOWN_ADDR_PER_PEER);
    if (p->known_addr) rolling_add(p->known_addr, addr_key(np, a));
}

static void queue_addr(const struct net_processing *np, struct peer *p,
                       const struct net_addr_info *ai)
{
    if (rolling_has(p->known_addr, addr_key(np, &ai->addr))) return;
    if (!p->addr_queue) {
        p->addr_queue = calloc(NET_MAX_ADDR_TO_SEND, sizeof *p->addr_queue);
        if (!p->addr_queue) return;
    }
    if (p->naddr_queue < NET_MAX_ADDR_TO_SEND) {
        p->addr_queue[p->naddr_queue++] = *ai;
    } else {
        /* Full: replace a random entry (Core keeps the queue bounded the same way). */
        p->addr_queue[random_range(NET_MAX_ADDR_TO_SEND)] = *ai;
    }
}

/* Core's RelayAddress: a fresh address heard in a small addr message goes to two peers
 * chosen by a keyed hash of the address and the day, so every node forwards a given
 * address to the same peers for a day and repeats do not spread it further. */
static void relay_address(struct net_processing *np, struct peer *from,
                          const struct net_addr_info *ai, int64_t now)
{
    struct peer *best[2] = {NULL, NULL};
    uint64_t keys[2] = {UINT64_MAX, UINT64_MAX};
    uint64_t day = (uint64_t)now / (24 * 60 * 60);
    uint64_t base = addr_key(np, &ai->addr) ^ (day * 0x9e3779b97f4a7c15ULL);
    for (struct peer *q = connman_peers(np->cm); q; q = q->next) {
        if (q == from || !q->handshake_done || q->disconnect || q->type == CONN_BLOCK_RELAY ||
            q->type == CONN_ADDR_FETCH)
            continue;
        uint8_t id[16];
        le64_write(id, (uint64_t)q->id);
        le64_write(id + 8, base);
        uint64_t k = siphash24(np->salt0, np->salt1 ^ 0x72656c6179ULL, id, sizeof id);
        if (k < keys[0]) {
            keys[1] = keys[0];
            best[1] = best[0];
            keys[0] = k;
            best[0] = q;
        } else if (k < keys[1]) {
            keys[1] = k;
            best[1] = q;
        }
    }
    for (int i = 0; i < 2; i++)
        if (best[i]) queue_addr(np, best[i], ai);
}

/* Sends the queued gossip of p when its trickle timer is due. */
static void send_addrs(struct net_processing *np, struct peer *p, int64_t now)
{
    if (now < p->next_addr_send) return;
    p->next_addr_send = now + 1 + poisson_delay(ADDR_BROADCAST_INTERVAL * 1000000LL) / 1000000;
    if (p->naddr_queue == 0) return;
    struct net_addr_info *out = calloc(p->naddr_queue, sizeof *out);
    size_t n = 0;
    for (size_t i = 0; out && i < p->naddr_queue; i++) {
        if (rolling_has(p->known_addr, addr_key(np, &p->addr_queue[i].addr))) continue;
        if (!p->addrv2 && p->addr_queue[i].addr.net != NET_IPV4 &&
            p->addr_queue[i].addr.net != NET_IPV6 && p->addr_queue[i].addr.net != NET_CJDNS)
            continue; /* no v1 form */
        mark_known_addr(np, p, &p->addr_queue[i].addr);
        out[n++] = p->addr_queue[i];
    }
    p->naddr_queue = 0;
    if (n) {
        struct writer w;
        writer_init(&w);
        if (p->addrv2) {
            net_addrv2_encode(&w, out, n);
            connman_send_writer(p, "addrv2", &w);
        } else {
            net_addr_encode(&w, out, n);
            connman_send_writer(p, "addr", &w);
        }
    }
    free(out);
}

static void on_addr(struct net_processing *np, struct peer *p, const uint8_t *d, size_t len,
                    bool v2, int64_t now_us)
{
    struct net_addr_list l;
    char err[128] = "";
    bool ok = v2 ? net_addrv2_decode(d, len, &l, err) : net_addr_decode(d, len, &l, err);
    if (!ok) {
        connman_misbehaving(p, "malformed %s: %s", v2 ? "addrv2" : "addr", err);
        return;
    }
    if (p->type == CONN_BLOCK_RELAY) {
        net_addr_list_clear(&l);
        return;
    }
    /* Token bucket: 0.1 addresses a second, unless the peer has the addr permission. */
    int64_t elapsed = now_us - p->addr_token_time;
    p->addr_token_time = now_us;
    p->addr_token_bucket_ms += (int64_t)(elapsed / 1000 * ADDR_RATE_PER_SEC);
    if (p->addr_token_bucket_ms > MAX_ADDR_TOKENS * 1000LL)
        p->addr_token_bucket_ms = MAX_ADDR_TOKENS * 1000LL;
    bool unlimited = (p->perms & NET_PERM_ADDR) == NET_PERM_ADDR;
    struct net_addr_info *keep = calloc(l.count ? l.count : 1, sizeof *keep);
    size_t nkeep = 0;
    int64_t now = time_now();
    for (size_t i = 0; keep && i < l.count; i++) {
        if (!unlimited) {
            if (p->addr_token_bucket_ms < 1000) {
                p->addr_rate_limited++;
                continue;
            }
            p->addr_token_bucket_ms -= 1000;
        }
        p->addr_processed++;
        struct net_addr_info ai = l.items[i];
        mark_known_addr(np, p, &ai.addr);
        if (ai.time <= 100000000 || ai.time > now + 10 * 60) ai.time = (uint32_t)(now - 5 * 24 * 60 * 60);
        keep[nkeep++] = ai;
        if (l.count <= ADDR_RELAY_MAX_ENTRIES && !p->getaddr_sent &&
            (int64_t)ai.time > now - ADDR_RELAY_MAX_AGE && net_addr_is_routable(&ai.addr))
            relay_address(np, p, &ai, now);
    }
    /* The answer to our getaddr has arrived once a message is not a full one. */
    if (l.count < NET_MAX_ADDR_TO_SEND) p->getaddr_sent = false;
    if (nkeep)
        addrman_add(connman_addrman(np->cm), keep, nkeep, &p->addr, 2 * 60 * 60,
                    false, now);
    free(keep);
    net_addr_list_clear(&l);
    if (p->type == CONN_ADDR_FETCH) connman_mark_disconnect(p, "addr-fetch done");
}

static void on_getaddr(struct net_processing *np, struct peer *p)
{
    if (p->type != CONN_INBOUND) {
        log_debug(LOG_NET, "Ignoring \"getaddr\" from %s connection. peer=%" PRId64,
                  conn_type_name(p->type), p->id);
        return;
    }
    if (p->getaddr_answered) return;
    p->getaddr_answered = true;
    struct net_addr_info *out = calloc(NET_MAX_ADDR_TO_SEND, sizeof *out);
    if (!out) return;
    size_t n = addrman_get_addr(connman_addrman(np->cm), NET_MAX_ADDR_TO_SEND, 23, time_now(), out);
    struct writer w;
    writer_init(&w);
    if (p->addrv2) {
        net_addrv2_encode(&w, out, n);
        connman_send_writer(p, "addrv2", &w);
    } else {
        net_addr_encode(&w, out, n);
        connman_send_writer(p, "addr", &w);
    }
    free(out);
}

/* ---- Dispatch ---- */

void netproc_message(struct net_processing *np, struct peer *p, const char *cmd,
                     const uint8_t *d, size_t len)
{
    int64_t now_us = time_mono_micros();
    if (strcmp(cmd, "version") == 0) {
        on_version(np, p, d, len);
        return;
    }
    if (!p->version_received) {
        log_debug(LOG_NET, "non-version message before version handshake. Message \"%s\" from "
                           "peer=%" PRId64,
                  cmd, p->id);
        return;
    }
    if (strcmp(cmd, "verack") == 0) {
        on_verack(np, p, now_us);
        return;
    }
    if (strcmp(cmd, "wtxidrelay") == 0) {
        if (p->verack_received) {
            log_debug(LOG_NET, "wtxidrelay received after verack from peer=%" PRId64
                               "; disconnecting",
                      p->id);
            p->disconnect = true;
        } else if (p->version >= NET_WTXID_RELAY_VERSION) {
            p->wtxid_relay = true;
        }
        return;
    }
    if (strcmp(cmd, "sendaddrv2") == 0) {
        if (p->verack_received) {
            log_debug(LOG_NET, "sendaddrv2 received after verack from peer=%" PRId64
                               "; disconnecting",
                      p->id);
            p->disconnect = true;
        } else {
            p->addrv2 = true;
        }
        return;
    }
    if (!p->verack_received) {
        log_debug(LOG_NET, "Unsupported message \"%s\" prior to verack from peer=%" PRId64, cmd,
                  p->id);
        return;
    }
    if (strcmp(cmd, "ping") == 0) {
        uint64_t nonce;
        char err[64];
        if (!net_u64_decode(d, len, &nonce, err)) {
            connman_misbehaving(p, "malformed ping");
            return;
        }
        uint8_t b[8];
        le64_write(b, nonce);
        connman_send(p, "pong", b, 8);
    } else if (strcmp(cmd, "pong") == 0) {
        uint64_t nonce;
        char err[64];
        if (!net_u64_decode(d, len, &nonce, err)) {
            connman_misbehaving(p, "malformed pong");
            return;
        }
        if (p->ping_nonce && nonce == p->ping_nonce) {
            int64_t rtt = now_us - p->ping_start;
            p->last_ping_us = rtt;
            if (p->min_ping_us < 0 || rtt < p->min_ping_us) p->min_ping_us = rtt;
            p->ping_nonce = 0;
        }
    } else if (strcmp(cmd, "sendheaders") == 0) {
        p->prefer_headers = true;
    } else if (strcmp(cmd, "sendcmpct") == 0) {
        struct net_sendcmpct sc;
        char err[64];
        if (!net_sendcmpct_decode(d, len, &sc, err)) {
            connman_misbehaving(p, "malformed sendcmpct");
            return;
        }
        if (sc.version == 2) {
            p->cmpct_ok = true;
            p->cmpct_hb = sc.announce;
        }
    } else if (strcmp(cmd, "feefilter") == 0) {
        int64_t fee;
        char err[64];
        if (!net_feefilter_decode(d, len, &fee, err)) {
            connman_misbehaving(p, "malformed feefilter: %s", err);
            return;
        }
        p->fee_filter = fee;
    } else if (strcmp(cmd, "getheaders") == 0) {
        on_getheaders(np, p, d, len);
    } else if (strcmp(cmd, "getblocks") == 0) {
        on_getblocks(np, p, d, len);
    } else if (strcmp(cmd, "headers") == 0) {
        on_headers(np, p, d, len);
    } else if (strcmp(cmd, "block") == 0) {
        on_block(np, p, d, len);
    } else if (strcmp(cmd, "getdata") == 0) {
        on_getdata(np, p, d, len);
    } else if (strcmp(cmd, "inv") == 0) {
        on_inv(np, p, d, len);
    } else if (strcmp(cmd, "notfound") == 0) {
        on_notfound(np, p, d, len);
    } else if (strcmp(cmd, "tx") == 0) {
        on_tx(np, p, d, len);
    } else if (strcmp(cmd, "addr") == 0) {
        on_addr(np, p, d, len, false, now_us);
    } else if (strcmp(cmd, "addrv2") == 0) {
        on_addr(np, p, d, len, true, now_us);
    } else if (strcmp(cmd, "getaddr") == 0) {
        on_getaddr(np, p);
    } else if (strcmp(cmd, "cmpctblock") == 0) {
        on_cmpctblock(np, p, d, len);
    } else if (strcmp(cmd, "getblocktxn") == 0) {
        on_getblocktxn(np, p, d, len);
    } else if (strcmp(cmd, "blocktxn") == 0) {
        on_blocktxn(np, p, d, len);
    } else if (strcmp(cmd, "mempool") == 0) {
        log_debug(LOG_NET, "mempool request from peer=%" PRId64 " ignored (BIP35 is off)", p->id);
    } else {
        log_debug(LOG_NET, "Unknown command \"%s\" from peer=%" PRId64, cmd, p->id);
    }
}

/* ---- Announcements ---- */

static void announce_blocks(struct net_processing *np)
{
    struct chainstate *cs = np->node->chainstate;
    if (!cs || is_ibd(np)) return;
    struct block_index *tip = chainstate_tip(cs);
    if (!tip) return;
    /* The compact form of the new tip, built once for every high-bandwidth peer. */
    struct writer cmpct;
    bool have_cmpct = false;
    for (struct peer *p = connman_peers(np->cm); p; p = p->next) {
        if (!p->handshake_done || p->disconnect) continue;
        if (peer_has_header(p, tip)) continue;
        bool sent = false;
        if (p->cmpct_hb && p->cmpct_ok && tip->prev && peer_has_header(p, tip->prev)) {
            /* BIP152 high-bandwidth mode: the block itself, as a cmpctblock, at once. */
            if (!have_cmpct) {
                struct block b;
                block_init(&b);
                char err[256];
                uint64_t nonce;
                struct net_cmpctblock c;
                writer_init(&cmpct);
                if (!random_bytes(&nonce, sizeof nonce)) nonce = (uint64_t)time_mono_micros();
                if (chainstate_read_block(cs, tip, &b, err, sizeof err) &&
                    net_cmpctblock_from_block(&c, &b, nonce)) {
                    net_cmpctblock_encode(&cmpct, &c);
                    net_cmpctblock_clear(&c);
                    have_cmpct = !cmpct.failed;
                }
                block_clear(&b);
                if (!have_cmpct) writer_free(&cmpct);
            }
            if (have_cmpct) {
                connman_send(p, "cmpctblock", cmpct.data, cmpct.len);
                sent = true;
            }
        }
        if (!sent && p->prefer_headers) {
            /* The new blocks since the last one they know, if they connect. */
            struct block_index *list[MAX_BLOCKS_TO_ANNOUNCE];
            size_t n = 0;
            struct block_index *e = tip;
            while (e && !peer_has_header(p, e) && n < MAX_BLOCKS_TO_ANNOUNCE) {
                list[n++] = e;
                e = e->prev;
            }
            if (e && peer_has_header(p, e)) {
                struct block_header hs[MAX_BLOCKS_TO_ANNOUNCE];
                for (size_t i = 0; i < n; i++) block_index_header(list[n - 1 - i], &hs[i]);
                struct writer w;
                writer_init(&w);
                net_headers_encode(&w, hs, n);
                connman_send_writer(p, "headers", &w);
                sent = true;
            }
        }
        if (sent) {
            /* Only headers we sent tell us what they have (Core's pindexBestHeaderSent);
             * after an inv they ask with getheaders, which updates it. */
            p->last_announced = tip;
        } else {
            struct net_inv inv = {MSG_BLOCK, tip->hash};
            send_inv(p, "inv", &inv, 1);
        }
    }
    if (have_cmpct) writer_free(&cmpct);
}

void netproc_notifications(struct net_processing *np)
{
    pthread_mutex_lock(&np->notify_lock);
    bool tip = np->tip_changed;
    np->tip_changed = false;
    size_t n = np->nrelay;
    uint256 *txids = np->relay_txid, *wtxids = np->relay_wtxid;
    np->relay_txid = np->relay_wtxid = NULL;
    np->nrelay = np->relay_cap = 0;
    pthread_mutex_unlock(&np->notify_lock);
    pthread_mutex_lock(&np->node->lock);
    if (tip) announce_blocks(np);
    for (size_t i = 0; i < n; i++) relay_tx(np, &txids[i], &wtxids[i]);
    pthread_mutex_unlock(&np->node->lock);
    free(txids);
    free(wtxids);
}

/* ---- Periodic work ---- */

static int64_t poisson_delay(int64_t mean_us)
{
    /* An exponential delay with the given mean, from 53 random bits. */
    double u = (double)(random_range(1ULL << 53) + 1) / (double)(1ULL << 53);
    double v = -log(u) * (double)mean_us;
    return (int64_t)v;
}

static void send_tx_invs(struct net_processing *np, struct peer *p, int64_t now_us)
{
    if (p->ntx_inv == 0 || now_us < p->next_inv_send) return;
    p->next_inv_send = now_us + poisson_delay(p->type == CONN_INBOUND ? NP_INBOUND_INV_INTERVAL_US
                                                                      : NP_OUTBOUND_INV_INTERVAL_US);
    struct mempool *pool = np->node->mempool;
    if (!pool) {
        p->ntx_inv = 0;
        return;
    }
    struct net_inv *inv = calloc(NP_MAX_INV_PER_MSG, sizeof *inv);
    if (!inv) return;
    size_t n = 0, used = 0;
    for (; used < p->ntx_inv && n < NP_MAX_INV_PER_MSG; used++) {
        const uint256 *h = &p->tx_inv[used];
        const struct mempool_entry *e =
            p->wtxid_relay ? mempool_get_by_wtxid(pool, h) : mempool_get(pool, h);
        if (!e || peer_knows_tx(np, p, h)) continue;
        if (p->fee_filter > 0 && e->vsize > 0 && e->fee * 1000 / e->vsize < p->fee_filter) continue;
        inv[n].type = p->wtxid_relay ? MSG_WTX : MSG_TX;
        inv[n].hash = *h;
        mark_known_tx(np, p, h);
        n++;
    }
    memmove(p->tx_inv, p->tx_inv + used, (p->ntx_inv - used) * sizeof *p->tx_inv);
    p->ntx_inv -= used;
    if (n) {
        send_inv(p, "inv", inv, n);
    }
    free(inv);
}

static void maybe_start_sync(struct net_processing *np, struct peer *p, int64_t now_us)
{
    struct chainstate *cs = np->node->chainstate;
    struct block_index *best = chainstate_best_header(cs);
    if (p->sync_started || !best || !can_serve_blocks(p)) return;
    bool behind = (int64_t)best->time < time_now() - 24 * 60 * 60;
    /* While far behind, one peer at a time (prefer outbound); later every peer. */
    if (behind && np->nsync_started > 0) return;
    if (behind && p->type == CONN_INBOUND && np->nsync_started == 0) {
        for (struct peer *q = connman_peers(np->cm); q; q = q->next)
            if (q != p && q->handshake_done && q->type != CONN_INBOUND && can_serve_blocks(q))
                return;
    }
    p->sync_started = true;
    np->nsync_started++;
    p->headers_sync_timeout = behind ? now_us + HEADERS_SYNC_TIMEOUT_US : 0;
    /* Start one block back so the reply is never empty (Core). */
    send_getheaders(np, p, best->prev ? best->prev : best, NULL);
}

void netproc_tick(struct net_processing *np, int64_t now_us)
{
    int64_t now = time_now();
    pthread_mutex_lock(&np->node->lock);
    struct chainstate *cs = np->node->chainstate;
    /* Orphan expiry. */
    for (size_t i = 0; i < np->norphans;) {
        if (np->orphans[i].expire < now) {
            tx_clear(&np->orphans[i].tx);
            np->orphans[i] = np->orphans[--np->norphans];
        } else {
            i++;
        }
    }
    size_t downloading = 0;
    for (struct peer *p = connman_peers(np->cm); p; p = p->next)
        if (p->ninflight > 0) downloading++;
    for (struct peer *p = connman_peers(np->cm); p; p = p->next) {
        if (!p->handshake_done || p->disconnect) continue;
        /* Pings. */
        if (p->ping_nonce && now_us - p->ping_start > PING_TIMEOUT_US) {
            log_info("ping timeout: %.3fs, disconnecting peer=%" PRId64,
                     (double)(now_us - p->ping_start) / 1e6, p->id);
            p->disconnect = true;
            continue;
        }
        if (!p->ping_nonce && now_us >= p->next_ping) {
            uint64_t nonce = 0;
            while (nonce == 0)
                if (!random_bytes(&nonce, sizeof nonce)) nonce = (uint64_t)now_us;
            p->ping_nonce = nonce;
            p->ping_start = now_us;
            p->next_ping = now_us + NET_PING_INTERVAL * 1000000LL;
            uint8_t b[8];
            le64_write(b, nonce);
            connman_send(p, "ping", b, 8);
        }
        if (!cs) continue;
        /* Headers sync and its timeout. */
        maybe_start_sync(np, p, now_us);
        if (p->sync_started && p->headers_sync_timeout && now_us > p->headers_sync_timeout) {
            struct block_index *best = chainstate_best_header(cs);
            if (best && (int64_t)best->time < now - 24 * 60 * 60 &&
                (p->perms & NET_PERM_NOBAN) != NET_PERM_NOBAN) {
                log_info("Timeout downloading headers from peer=%" PRId64 ", disconnecting",
                         p->id);
                p->disconnect = true;
                continue;
            }
            p->headers_sync_timeout = 0;
        }
        /* Stalling the download window. */
        if (p->stalling_since && now_us - p->stalling_since > NP_BLOCK_STALLING_TIMEOUT_US) {
            log_info("Peer=%" PRId64 " is stalling block download, disconnecting", p->id);
            p->disconnect = true;
            continue;
        }
        /* A block requested long ago. */
        for (struct inflight_block *b = p->inflight; b; b = b->next) {
            int64_t limit = BLOCK_DOWNLOAD_TIMEOUT_BASE_US +
                            (int64_t)(downloading > 1 ? downloading - 1 : 0) * 5 * 60 * 1000000LL;
            if (now_us - b->requested > limit) {
                log_info("Timeout downloading block, disconnecting peer=%" PRId64, p->id);
                p->disconnect = true;
                break;
            }
        }
        if (p->disconnect) continue;
        request_blocks(np, p, now_us);
        /* Transaction requests that were not answered may go to another peer. */
        for (size_t i = 0; i < p->ntx_requests;) {
            if (now_us - p->tx_requests[i].time > NP_TX_REQUEST_TIMEOUT_US)
                drop_tx_request(np, p, i);
            else
                i++;
        }
        if (p->relay_txs) send_tx_invs(np, p, now_us);
        if (p->type != CONN_BLOCK_RELAY) send_addrs(np, p, now);
        /* Our fee filter. */
        if (p->relay_txs && np->node->mempool && p->version >= NET_FEEFILTER_VERSION &&
            now_us >= p->next_feefilter_send && (p->perms & NET_PERM_FORCERELAY) != NET_PERM_FORCERELAY) {
            int64_t minfee = mempool_min_fee(np->node->mempool, now);
            int64_t relay = np->node->policy.min_relay_fee;
            if (minfee < relay) minfee = relay;
            if (is_ibd(np)) minfee = 2100000000000000LL; /* MAX_MONEY: nothing until synced */
            if (minfee != p->sent_fee_filter) {
                uint8_t b[8];
                le64_write(b, (uint64_t)minfee);
                connman_send(p, "feefilter", b, 8);
                p->sent_fee_filter = minfee;
            }
            p->next_feefilter_send = now_us + poisson_delay(FEEFILTER_INTERVAL_US);
        }
    }
    pthread_mutex_unlock(&np->node->lock);
    /* Serve getdata left over and resume paused peers. */
    for (struct peer *p = connman_peers(np->cm); p; p = p->next) {
        if (p->disconnect) continue;
        if (netproc_busy(p)) netproc_drain(np, p);
        connman_resume(p);
    }
}

/* ---- getpeerinfo helpers ---- */

int32_t netproc_synced_headers(const struct peer *p)
{
    return p->best_known ? p->best_known->height : -1;
}

int32_t netproc_synced_blocks(const struct peer *p)
{
    return p->last_common ? p->last_common->height : -1;
}

size_t netproc_inflight(const struct peer *p, int32_t *out, size_t max)
{
    size_t n = 0;
    for (const struct inflight_block *b = p->inflight; b && n < max; b = b->next)
        out[n++] = b->idx ? b->idx->height : -1;
    return n;
}
