/* The address manager (see addrman.h for the contract).
 *
 * Design in plain words. Every known address is one entry in a growing array, found by
 * address through an open-addressing hash table (linear probing, backward-shift
 * deletion, SipHash under a per-manager key) and listed in a dense id array for random
 * picks. The "new" table (1024 buckets of 64 slots) holds ids of addresses heard of;
 * an address may sit in up to ADDRMAN_NEW_BUCKETS_PER_ADDRESS new slots (ref_count).
 * The "tried" table (256 x 64) holds each connected-to address in exactly one slot.
 *
 * Placement is Core's: with H(x) the first 8 bytes (little endian) of SHA256d(x) and
 * groups written with a length byte in front,
 *   new bucket   = H(key || src_group || H(key || group || src_group) % 64) % 1024
 *   tried bucket = H(key || group || H(key || addr) % 8) % 256
 *   slot         = H(key || 'N'/'K' || bucket || addr) % 64
 * so one source group reaches at most 64 new buckets and one address group at most 8
 * tried buckets, whatever the attacker sends. A slot already taken keeps its entry
 * unless that entry is terrible (Core's IsTerrible) or also sits in other new buckets.
 * Moving an entry to tried when its tried slot is taken keeps the occupant if it was
 * connected to within the last four hours (the outcome of Core's test-before-evict,
 * without the test connection); otherwise the occupant goes back to a new slot.
 *
 * peers.dat is this project's own format, not Core's:
 *   magic[4] | version u8 (1) | key[32] | new_count u32 | tried_count u32 |
 *   entries | SHA256d(everything before)[32]
 * with each entry
 *   addr | services u64 | time u32 | last_try i64 | last_success i64 | attempts i32 |
 *   source addr | tried u8
 * and addr = network id u8 | length u8 | bytes | port u16 (big endian), as in addrv2.
 * Integers are little endian except ports. Buckets are not stored: they are computed
 * again from the key, the address and its source on load. */
#include "net/addrman.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "util/fs.h"
#include "util/random.h"

#define NEW_BUCKETS_PER_ADDRESS 8
#define HORIZON_SECONDS         (30 * 24 * 60 * 60) /* entries older than this are terrible */
#define RETRIES                 3                   /* failures with no success ever */
#define MAX_FAILURES            10                  /* failures ... */
#define MIN_FAIL_SECONDS        (7 * 24 * 60 * 60)  /* ... in this long since a success */
#define REPLACEMENT_SECONDS     (4 * 60 * 60)       /* tried occupants this fresh stay */

#define MAX_ENTRIES                                                                            \
    (ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE +                                          \
     ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE)
#define MAP_MIN_CAP 1024u /* doubles whenever it would be over half full */

#define FILE_VERSION       1
#define FILE_HEADER_LEN    (4 + 1 + 32 + 4 + 4)
#define FILE_MIN_ENTRY_LEN (8 + 8 + 4 + 8 + 8 + 4 + 8 + 1) /* two 4-byte addrs */
#define FILE_MAX_LEN       (64u << 20)

struct entry {
    struct net_addr_info info;
    struct net_addr source;
    int64_t last_success;
    int64_t last_try;
    int64_t last_count_attempt;
    int32_t attempts;
    int ref_count; /* new slots holding this entry */
    bool in_tried;
    bool used;          /* false: on the free list */
    int32_t random_pos; /* index in m->random */
    int32_t next_free;
};

struct addrman {
    pthread_mutex_t lock;
    uint8_t key[32];
    uint64_t sip_k0, sip_k1;
    uint64_t rng[4]; /* xoshiro256** for picks; not secret-critical */

    struct entry *entries;
    int32_t entries_len, entries_cap;
    int32_t free_head;

    int32_t *map; /* map_cap (a power of two) ids, -1 empty */
    uint32_t map_cap;
    int32_t *random; /* entries_cap ids */
    int32_t random_len;

    /* Slots hold id + 1, so 0 is empty and calloc's zero pages need no writing. */
    uint32_t new_table[ADDRMAN_NEW_BUCKET_COUNT][ADDRMAN_BUCKET_SIZE];
    uint32_t tried_table[ADDRMAN_TRIED_BUCKET_COUNT][ADDRMAN_BUCKET_SIZE];
    uint16_t new_fill[ADDRMAN_NEW_BUCKET_COUNT];
    uint16_t tried_fill[ADDRMAN_TRIED_BUCKET_COUNT];
    size_t n_new, n_tried;
    int64_t last_good;
};

/* The id in a table slot, -1 when empty. */
#define SLOT(x) ((int32_t)(x)-1)

/* ---- randomness ---- */

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(struct addrman *m)
{
    uint64_t *s = m->rng;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Uniform in [0, n), n > 0 (rejection sampling). */
static uint64_t rng_range(struct addrman *m, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t v = rng_next(m);
        if (v < limit) return v % n;
    }
}

/* ---- hashing and placement ---- */

static size_t addr_key_bytes(const struct net_addr *a, uint8_t out[36])
{
    out[0] = a->net;
    memcpy(out + 1, a->bytes, a->len);
    out[1 + a->len] = (uint8_t)(a->port >> 8);
    out[2 + a->len] = (uint8_t)a->port;
    return 3u + a->len;
}

static uint64_t cheap_hash(const uint8_t *data, size_t len)
{
    uint8_t h[32];
    sha256d(data, len, h);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | h[i];
    return v;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int new_bucket(const struct addrman *m, const struct net_addr *a,
                      const struct net_addr *src)
{
    /* Groups go in with a length byte each (as Core's serialized vectors), so two
     * different pairs never hash the same bytes. */
    uint8_t g[8], sg[8], buf[32 + 9 + 9 + 8];
    size_t gl = net_addr_group(a, g), sgl = net_addr_group(src, sg), n = 0;
    memcpy(buf, m->key, 32);
    n = 32;
    buf[n++] = (uint8_t)gl;
    memcpy(buf + n, g, gl);
    n += gl;
    buf[n++] = (uint8_t)sgl;
    memcpy(buf + n, sg, sgl);
    n += sgl;
    uint64_t h1 = cheap_hash(buf, n) % ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP;
    n = 32;
    buf[n++] = (uint8_t)sgl;
    memcpy(buf + n, sg, sgl);
    n += sgl;
    put_u64(buf + n, h1);
    n += 8;
    return (int)(cheap_hash(buf, n) % ADDRMAN_NEW_BUCKET_COUNT);
}

static int tried_bucket(const struct addrman *m, const struct net_addr *a)
{
    uint8_t buf[32 + 36 + 8];
    memcpy(buf, m->key, 32);
    size_t n = 32 + addr_key_bytes(a, buf + 32);
    uint64_t h1 = cheap_hash(buf, n) % ADDRMAN_TRIED_BUCKETS_PER_GROUP;
    uint8_t g[8];
    size_t gl = net_addr_group(a, g);
    n = 32;
    buf[n++] = (uint8_t)gl;
    memcpy(buf + n, g, gl);
    n += gl;
    put_u64(buf + n, h1);
    n += 8;
    return (int)(cheap_hash(buf, n) % ADDRMAN_TRIED_BUCKET_COUNT);
}

static int bucket_pos(const struct addrman *m, bool is_new, int bucket,
                      const struct net_addr *a)
{
    uint8_t buf[32 + 1 + 4 + 36];
    memcpy(buf, m->key, 32);
    buf[32] = is_new ? 'N' : 'K';
    uint32_t b = (uint32_t)bucket;
    for (int i = 0; i < 4; i++) buf[33 + i] = (uint8_t)(b >> (8 * i));
    size_t n = 37 + addr_key_bytes(a, buf + 37);
    return (int)(cheap_hash(buf, n) % ADDRMAN_BUCKET_SIZE);
}

/* ---- the address map ---- */

static uint32_t map_slot(const struct addrman *m, const struct net_addr *a)
{
    uint8_t k[36];
    size_t n = addr_key_bytes(a, k);
    return (uint32_t)siphash24(m->sip_k0, m->sip_k1, k, n) & (m->map_cap - 1);
}

static int32_t map_find(const struct addrman *m, const struct net_addr *a)
{
    for (uint32_t i = map_slot(m, a);; i = (i + 1) & (m->map_cap - 1)) {
        int32_t id = m->map[i];
        if (id < 0) return -1;
        if (net_addr_equal(&m->entries[id].info.addr, a)) return id;
    }
}

static void map_insert(struct addrman *m, int32_t id)
{
    uint32_t i = map_slot(m, &m->entries[id].info.addr);
    while (m->map[i] >= 0) i = (i + 1) & (m->map_cap - 1);
    m->map[i] = id;
}

static void map_remove(struct addrman *m, int32_t id)
{
    uint32_t i = map_slot(m, &m->entries[id].info.addr);
    while (m->map[i] != id) i = (i + 1) & (m->map_cap - 1);
    /* Backward shift: pull later members of the run into the hole when their home
     * slot does not lie strictly between the hole and them. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & (m->map_cap - 1); m->map[j] >= 0;
         j = (j + 1) & (m->map_cap - 1)) {
        uint32_t home = map_slot(m, &m->entries[m->map[j]].info.addr);
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            m->map[hole] = m->map[j];
            hole = j;
        }
    }
    m->map[hole] = -1;
}

/* Makes room for one more id in the map, doubling (and rehashing) past half full. */
static bool map_reserve(struct addrman *m)
{
    if (((uint64_t)m->random_len + 1) * 2 <= m->map_cap) return true;
    uint32_t cap = m->map_cap * 2;
    int32_t *n = malloc((size_t)cap * sizeof(int32_t));
    if (!n) return false;
    memset(n, 0xff, (size_t)cap * sizeof(int32_t));
    free(m->map);
    m->map = n;
    m->map_cap = cap;
    for (int32_t i = 0; i < m->random_len; i++) map_insert(m, m->random[i]);
    return true;
}

/* ---- entries ---- */

static int32_t entry_create(struct addrman *m, const struct net_addr_info *info,
                            const struct net_addr *source)
{
    if (!map_reserve(m)) return -1;
    int32_t id;
    if (m->free_head >= 0) {
        id = m->free_head;
        m->free_head = m->entries[id].next_free;
    } else {
        if (m->entries_len == m->entries_cap) {
            int32_t cap = m->entries_cap ? m->entries_cap * 2 : 256;
            struct entry *n = realloc(m->entries, (size_t)cap * sizeof(*n));
            if (!n) return -1;
            m->entries = n;
            int32_t *r = realloc(m->random, (size_t)cap * sizeof(*r));
            if (!r) return -1;
            m->random = r;
            m->entries_cap = cap;
        }
        id = m->entries_len++;
    }
    struct entry *e = &m->entries[id];
    memset(e, 0, sizeof(*e));
    e->info = *info;
    e->source = *source;
    e->used = true;
    e->random_pos = m->random_len;
    m->random[m->random_len++] = id;
    map_insert(m, id);
    return id;
}

static void entry_delete(struct addrman *m, int32_t id)
{
    struct entry *e = &m->entries[id];
    map_remove(m, id);
    int32_t last = m->random[m->random_len - 1];
    m->random[e->random_pos] = last;
    m->entries[last].random_pos = e->random_pos;
    m->random_len--;
    e->used = false;
    e->next_free = m->free_head;
    m->free_head = id;
}

static bool entry_is_terrible(const struct entry *e, int64_t now)
{
    if (e->last_try && e->last_try >= now - 60) return false; /* tried in the last minute */
    if ((int64_t)e->info.time > now + 10 * 60) return true;   /* from the future */
    if (now - (int64_t)e->info.time > HORIZON_SECONDS) return true;
    if (e->last_success == 0 && e->attempts >= RETRIES) return true;
    if (now - e->last_success > MIN_FAIL_SECONDS && e->attempts >= MAX_FAILURES) return true;
    return false;
}

static double entry_chance(const struct entry *e, int64_t now)
{
    double c = 1.0;
    if (now - e->last_try < 10 * 60) c *= 0.01; /* tried very recently */
    for (int32_t i = 0; i < e->attempts && i < 8; i++) c *= 0.66;
    return c;
}

/* Empties one new slot, deleting its entry when no other slot holds it. */
static void clear_new(struct addrman *m, int bucket, int pos)
{
    int32_t id = SLOT(m->new_table[bucket][pos]);
    if (id < 0) return;
    struct entry *e = &m->entries[id];
    m->new_table[bucket][pos] = 0;
    m->new_fill[bucket]--;
    e->ref_count--;
    if (e->ref_count == 0) {
        entry_delete(m, id);
        m->n_new--;
    }
}

static void set_new(struct addrman *m, int bucket, int pos, int32_t id)
{
    m->new_table[bucket][pos] = (uint32_t)id + 1;
    m->new_fill[bucket]++;
    m->entries[id].ref_count++;
}

static struct entry *find_exact(struct addrman *m, const struct net_addr *a, int32_t *id_out)
{
    int32_t id = map_find(m, a);
    if (id < 0) return NULL;
    if (id_out) *id_out = id;
    return &m->entries[id];
}

/* ---- public ---- */

static struct addrman *addrman_alloc(const uint8_t key[32])
{
    struct addrman *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->map_cap = MAP_MIN_CAP;
    m->map = malloc(MAP_MIN_CAP * sizeof(int32_t));
    uint8_t seed[48];
    if (!m->map || !random_bytes(seed, sizeof(seed)) ||
        pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m->map);
        free(m);
        return NULL;
    }
    memcpy(m->key, key, 32);
    memcpy(&m->sip_k0, seed, 8);
    memcpy(&m->sip_k1, seed + 8, 8);
    memcpy(m->rng, seed + 16, 32);
    if ((m->rng[0] | m->rng[1] | m->rng[2] | m->rng[3]) == 0) m->rng[0] = 1;
    memset(m->map, 0xff, MAP_MIN_CAP * sizeof(int32_t));
    m->free_head = -1;
    m->last_good = 1;
    return m;
}

struct addrman *addrman_new(const uint8_t key[32]) { return addrman_alloc(key); }

void addrman_free(struct addrman *m)
{
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    free(m->entries);
    free(m->map);
    free(m->random);
    free(m);
}

size_t addrman_size(struct addrman *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n_new + m->n_tried;
    pthread_mutex_unlock(&m->lock);
    return n;
}

size_t addrman_size_tried(struct addrman *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->n_tried;
    pthread_mutex_unlock(&m->lock);
    return n;
}

static bool add_one(struct addrman *m, const struct net_addr_info *item,
                    const struct net_addr *source, int64_t penalty, bool allow_local,
                    int64_t now)
{
    const struct net_addr *a = &item->addr;
    if (!net_addr_is_valid(a)) return false;
    if (!net_addr_is_routable(a) && !(allow_local && net_addr_is_local(a))) return false;
    if (net_addr_same_host(a, source)) penalty = 0; /* a peer announcing itself */
    if (penalty < 0) penalty = 0;

    int32_t id;
    struct entry *e = find_exact(m, a, &id);
    bool is_new = false;
    if (e) {
        /* Refresh the time now and then: hourly while the address is fresh. */
        bool online = now - (int64_t)item->time < 24 * 60 * 60;
        int64_t interval = online ? 60 * 60 : 24 * 60 * 60;
        if (item->time && (int64_t)e->info.time < (int64_t)item->time - interval - penalty) {
            int64_t t = (int64_t)item->time - penalty;
            e->info.time = (uint32_t)(t < 0 ? 0 : t);
        }
        e->info.services |= item->services;
        if (!item->time || (e->info.time && item->time <= e->info.time)) return false;
        if (e->in_tried) return false;
        if (e->ref_count >= NEW_BUCKETS_PER_ADDRESS) return false;
        /* Each extra copy is half as likely as the one before. */
        uint64_t factor = 1ull << e->ref_count;
        if (factor > 1 && rng_range(m, factor) != 0) return false;
    } else {
        if (m->random_len >= MAX_ENTRIES) return false;
        struct net_addr_info fresh = *item;
        int64_t t = (int64_t)item->time - penalty;
        fresh.time = (uint32_t)(t < 0 ? 0 : t);
        id = entry_create(m, &fresh, source);
        if (id < 0) return false;
        e = &m->entries[id];
        m->n_new++;
        is_new = true;
    }

    int b = new_bucket(m, a, source);
    int p = bucket_pos(m, true, b, a);
    int32_t cur = SLOT(m->new_table[b][p]);
    if (cur == id) return false;
    bool insert = cur < 0;
    if (!insert) {
        const struct entry *old = &m->entries[cur];
        if (entry_is_terrible(old, now) || (old->ref_count > 1 && e->ref_count == 0))
            insert = true;
    }
    if (insert) {
        clear_new(m, b, p);
        set_new(m, b, p, id);
    } else if (e->ref_count == 0) {
        entry_delete(m, id);
        m->n_new--;
    }
    return insert && is_new;
}

size_t addrman_add(struct addrman *m, const struct net_addr_info *items, size_t count,
                   const struct net_addr *source, int64_t time_penalty, bool allow_local,
                   int64_t now)
{
    size_t added = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < count; i++)
        if (add_one(m, &items[i], source, time_penalty, allow_local, now)) added++;
    pthread_mutex_unlock(&m->lock);
    return added;
}

/* Puts id back into a new slot chosen from its own source (its tried slot is gone). */
static void demote_to_new(struct addrman *m, int32_t id)
{
    struct entry *e = &m->entries[id];
    e->in_tried = false;
    m->n_tried--;
    int b = new_bucket(m, &e->info.addr, &e->source);
    int p = bucket_pos(m, true, b, &e->info.addr);
    m->n_new++;
    clear_new(m, b, p);
    set_new(m, b, p, id);
}

static void make_tried(struct addrman *m, int32_t id, int64_t now)
{
    struct entry *e = &m->entries[id];
    int b = tried_bucket(m, &e->info.addr);
    int p = bucket_pos(m, false, b, &e->info.addr);
    int32_t occupant = SLOT(m->tried_table[b][p]);
    if (occupant >= 0 && now - m->entries[occupant].last_success < REPLACEMENT_SECONDS)
        return; /* the occupant works and was seen recently: keep it */

    /* Out of every new slot. */
    for (int nb = 0; nb < ADDRMAN_NEW_BUCKET_COUNT && e->ref_count > 0; nb++) {
        int np = bucket_pos(m, true, nb, &e->info.addr);
        if (SLOT(m->new_table[nb][np]) == id) {
            m->new_table[nb][np] = 0;
            m->new_fill[nb]--;
            e->ref_count--;
        }
    }
    m->n_new--;
    if (occupant >= 0) {
        m->tried_table[b][p] = 0;
        m->tried_fill[b]--;
        demote_to_new(m, occupant);
    }
    m->tried_table[b][p] = (uint32_t)id + 1;
    m->tried_fill[b]++;
    e->in_tried = true;
    m->n_tried++;
}

void addrman_good(struct addrman *m, const struct net_addr *a, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    int32_t id;
    struct entry *e = find_exact(m, a, &id);
    if (e) {
        m->last_good = now;
        e->last_success = now;
        e->last_try = now;
        e->attempts = 0;
        if (!e->in_tried) make_tried(m, id, now);
    }
    pthread_mutex_unlock(&m->lock);
}

void addrman_attempt(struct addrman *m, const struct net_addr *a, bool count_failure,
                     int64_t now)
{
    pthread_mutex_lock(&m->lock);
    struct entry *e = find_exact(m, a, NULL);
    if (e) {
        e->last_try = now;
        /* One failure per round of successes elsewhere, so a network outage does not
         * make every address look bad. */
        if (count_failure && e->last_count_attempt < m->last_good) {
            e->last_count_attempt = now;
            if (e->attempts < INT32_MAX) e->attempts++;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void addrman_connected(struct addrman *m, const struct net_addr *a, int64_t now)
{
    pthread_mutex_lock(&m->lock);
    struct entry *e = find_exact(m, a, NULL);
    if (e && now - (int64_t)e->info.time > 20 * 60 && now >= 0 && now <= UINT32_MAX)
        e->info.time = (uint32_t)now;
    pthread_mutex_unlock(&m->lock);
}

void addrman_set_services(struct addrman *m, const struct net_addr *a, uint64_t services)
{
    pthread_mutex_lock(&m->lock);
    struct entry *e = find_exact(m, a, NULL);
    if (e) e->info.services = services;
    pthread_mutex_unlock(&m->lock);
}

/* One random occupied slot of a table, buckets drawn uniformly (so a crowded bucket is
 * no likelier than a sparse one). The caller knows the table is not empty. */
static int32_t pick_slot(struct addrman *m, bool tried)
{
    int nbuckets = tried ? ADDRMAN_TRIED_BUCKET_COUNT : ADDRMAN_NEW_BUCKET_COUNT;
    for (;;) {
        int b = (int)rng_range(m, (uint64_t)nbuckets);
        if ((tried ? m->tried_fill[b] : m->new_fill[b]) == 0) continue;
        int start = (int)rng_range(m, ADDRMAN_BUCKET_SIZE);
        for (int i = 0; i < ADDRMAN_BUCKET_SIZE; i++) {
            int p = (start + i) % ADDRMAN_BUCKET_SIZE;
            int32_t id = tried ? SLOT(m->tried_table[b][p]) : SLOT(m->new_table[b][p]);
            if (id >= 0) return id;
        }
    }
}

bool addrman_select(struct addrman *m, bool new_only, int64_t now, struct net_addr_info *out)
{
    pthread_mutex_lock(&m->lock);
    bool ok = false;
    if (m->n_new + m->n_tried > 0 && !(new_only && m->n_new == 0)) {
        bool tried = !new_only && m->n_tried > 0 && (m->n_new == 0 || (rng_next(m) & 1));
        double factor = 1.0;
        for (;;) {
            int32_t id = pick_slot(m, tried);
            const struct entry *e = &m->entries[id];
            double chance = factor * entry_chance(e, now);
            if ((double)(rng_next(m) >> 34) < chance * (double)(1u << 30)) {
                *out = e->info;
                ok = true;
                break;
            }
            factor *= 1.2;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

size_t addrman_get_addr(struct addrman *m, size_t max_count, unsigned max_pct, int64_t now,
                        struct net_addr_info *out)
{
    pthread_mutex_lock(&m->lock);
    size_t total = (size_t)m->random_len;
    size_t want = total;
    if (max_pct != 0) want = (size_t)max_pct * total / 100;
    if (want > max_count) want = max_count;
    size_t got = 0;
    /* A partial Fisher-Yates shuffle of the id array (its order does not matter). */
    for (size_t i = 0; i < total && got < want; i++) {
        size_t j = i + (size_t)rng_range(m, total - i);
        int32_t a = m->random[i], b = m->random[j];
        m->random[i] = b;
        m->random[j] = a;
        m->entries[b].random_pos = (int32_t)i;
        m->entries[a].random_pos = (int32_t)j;
        const struct entry *e = &m->entries[b];
        if (entry_is_terrible(e, now)) continue;
        out[got++] = e->info;
    }
    pthread_mutex_unlock(&m->lock);
    return got;
}

/* ---- peers.dat ---- */

static void write_addr(struct writer *w, const struct net_addr *a)
{
    write_u8(w, a->net);
    write_u8(w, a->len);
    write_bytes(w, a->bytes, a->len);
    write_u8(w, (uint8_t)(a->port >> 8));
    write_u8(w, (uint8_t)a->port);
}

static bool read_addr(struct reader *r, struct net_addr *a)
{
    uint8_t net, len, p[2];
    memset(a, 0, sizeof(*a));
    if (!read_u8(r, &net) || !read_u8(r, &len)) return false;
    size_t want = net_network_addr_len(net);
    if (want == 0 || net == NET_TORV2 || len != want) return false;
    if (!read_bytes(r, a->bytes, len) || !read_bytes(r, p, 2)) return false;
    a->net = net;
    a->len = len;
    a->port = (uint16_t)((p[0] << 8) | p[1]);
    if (net == NET_CJDNS && a->bytes[0] != 0xfc) return false;
    if (net == NET_IPV6) {
        /* Mapped IPv4 is always stored as IPv4. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a->bytes, mapped, 12) == 0) return false;
    }
    return true;
}

static void write_entry(struct writer *w, const struct entry *e)
{
    write_addr(w, &e->info.addr);
    write_u64(w, e->info.services);
    write_u32(w, e->info.time);
    write_i64(w, e->last_try);
    write_i64(w, e->last_success);
    write_i32(w, e->attempts);
    write_addr(w, &e->source);
    write_u8(w, e->in_tried ? 1 : 0);
}

bool addrman_save(struct addrman *m, const char *path, const uint8_t magic[4], char *err,
                  size_t errlen)
{
    struct writer w;
    writer_init(&w);
    pthread_mutex_lock(&m->lock);
    write_bytes(&w, magic, 4);
    write_u8(&w, FILE_VERSION);
    write_bytes(&w, m->key, 32);
    write_u32(&w, (uint32_t)m->n_new);
    write_u32(&w, (uint32_t)m->n_tried);
    for (int pass = 0; pass < 2; pass++)
        for (int32_t i = 0; i < m->random_len; i++) {
            const struct entry *e = &m->entries[m->random[i]];
            if (e->in_tried == (pass == 1)) write_entry(&w, e);
        }
    pthread_mutex_unlock(&m->lock);
    if (w.failed) {
        writer_free(&w);
        snprintf(err, errlen, "out of memory writing %s", path);
        return false;
    }
    uint8_t sum[32];
    sha256d(w.data, w.len, sum);
    write_bytes(&w, sum, 32);
    if (w.failed) {
        writer_free(&w);
        snprintf(err, errlen, "out of memory writing %s", path);
        return false;
    }
    bool ok = fs_write_atomic(path, w.data, w.len, 0600, err, errlen);
    writer_free(&w);
    return ok;
}

/* Places one loaded entry; false when the file is inconsistent. A slot collision (the
 * same key puts two entries in one slot) drops the later entry, as Core does. */
static bool load_entry(struct addrman *m, const struct net_addr_info *info,
                       const struct net_addr *source, int64_t last_try, int64_t last_success,
                       int32_t attempts, bool tried, char *err, size_t errlen)
{
    if (map_find(m, &info->addr) >= 0) {
        snprintf(err, errlen, "duplicate address");
        return false;
    }
    int b, p;
    if (tried) {
        b = tried_bucket(m, &info->addr);
        p = bucket_pos(m, false, b, &info->addr);
        if (SLOT(m->tried_table[b][p]) >= 0) return true;
    } else {
        b = new_bucket(m, &info->addr, source);
        p = bucket_pos(m, true, b, &info->addr);
        if (SLOT(m->new_table[b][p]) >= 0) return true;
    }
    int32_t id = entry_create(m, info, source);
    if (id < 0) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct entry *e = &m->entries[id];
    e->last_try = last_try;
    e->last_success = last_success;
    e->attempts = attempts;
    if (tried) {
        e->in_tried = true;
        m->tried_table[b][p] = (uint32_t)id + 1;
        m->tried_fill[b]++;
        m->n_tried++;
    } else {
        set_new(m, b, p, id);
        m->n_new++;
    }
    return true;
}

static struct addrman *parse_file(const uint8_t *data, size_t len, const uint8_t magic[4],
                                  char *err, size_t errlen)
{
    if (len < FILE_HEADER_LEN + 32) {
        snprintf(err, errlen, "file too short (%zu bytes)", len);
        return NULL;
    }
    if (memcmp(data, magic, 4) != 0) {
        snprintf(err, errlen, "wrong network magic");
        return NULL;
    }
    uint8_t sum[32];
    sha256d(data, len - 32, sum);
    if (memcmp(sum, data + len - 32, 32) != 0) {
        snprintf(err, errlen, "checksum mismatch");
        return NULL;
    }
    struct reader r;
    reader_init(&r, data + 4, len - 4 - 32);
    uint8_t version, key[32];
    uint32_t n_new, n_tried;
    if (!read_u8(&r, &version) || !read_bytes(&r, key, 32) || !read_u32(&r, &n_new) ||
        !read_u32(&r, &n_tried)) {
        snprintf(err, errlen, "truncated header");
        return NULL;
    }
    if (version != FILE_VERSION) {
        snprintf(err, errlen, "unsupported version %u", version);
        return NULL;
    }
    if (n_new > ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE ||
        n_tried > ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE ||
        ((uint64_t)n_new + n_tried) * FILE_MIN_ENTRY_LEN > reader_remaining(&r)) {
        snprintf(err, errlen, "impossible entry counts (%u new, %u tried)", n_new, n_tried);
        return NULL;
    }
    struct addrman *m = addrman_alloc(key);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    uint64_t total = (uint64_t)n_new + n_tried;
    for (uint64_t i = 0; i < total; i++) {
        struct net_addr_info info;
        struct net_addr source;
        int64_t last_try, last_success;
        int32_t attempts;
        uint8_t tried;
        memset(&info, 0, sizeof(info));
        if (!read_addr(&r, &info.addr) || !read_u64(&r, &info.services) ||
            !read_u32(&r, &info.time) || !read_i64(&r, &last_try) ||
            !read_i64(&r, &last_success) || !read_i32(&r, &attempts) ||
            !read_addr(&r, &source) || !read_u8(&r, &tried)) {
            snprintf(err, errlen, "entry %llu is malformed", (unsigned long long)i);
            goto fail;
        }
        bool want_tried = i >= n_new;
        if (tried > 1 || (tried == 1) != want_tried || attempts < 0) {
            snprintf(err, errlen, "entry %llu has bad fields", (unsigned long long)i);
            goto fail;
        }
        char why[64];
        if (!load_entry(m, &info, &source, last_try, last_success, attempts, tried, why,
                        sizeof(why))) {
            snprintf(err, errlen, "entry %llu: %s", (unsigned long long)i, why);
            goto fail;
        }
    }
    if (reader_remaining(&r) != 0) {
        snprintf(err, errlen, "%zu bytes after the last entry", reader_remaining(&r));
        goto fail;
    }
    return m;
fail:
    addrman_free(m);
    return NULL;
}

struct addrman *addrman_load(const char *path, const uint8_t magic[4], bool *missing, char *err,
                             size_t errlen)
{
    if (errlen) err[0] = '\0';
    *missing = false;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) {
            *missing = true;
            return NULL;
        }
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    if (!fs_read_file(path, FILE_MAX_LEN, &buf, &len)) {
        snprintf(err, errlen, "cannot read %s (unreadable or over %u bytes)", path,
                 FILE_MAX_LEN);
        return NULL;
    }
    char why[200];
    struct addrman *m = parse_file((const uint8_t *)buf, len, magic, why, sizeof(why));
    free(buf);
    if (!m) snprintf(err, errlen, "%s is corrupt: %s", path, why);
    return m;
}
