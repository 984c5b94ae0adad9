/* The UTXO set: compact coin encoding, the chainstate table and the write-back cache.
 *
 * The cache is a chained hash table of individually allocated entries keyed by
 * outpoint. Each entry holds a coin and DIRTY/FRESH flags with Core's meaning (see
 * coins.h). Spending a FRESH coin deletes the entry outright, which is what keeps
 * short-lived outputs off the disk. A flush turns the dirty entries into one LevelDB
 * batch (puts for unspent coins, deletes for spent ones) plus the best-block record and
 * writes it; only after the write succeeds does the cache forget anything, so a failed
 * flush can simply be retried. */
#include "chain/coins.h"

#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "chain/dbwrapper.h"
#include "consensus/script.h"

/* ---- Coins ---- */

void coin_init(struct coin *c)
{
    memset(c, 0, sizeof *c);
    c->out.value = -1;
}

void coin_clear(struct coin *c)
{
    if (!c) return;
    free(c->out.script_pubkey);
    coin_init(c);
}

bool coin_is_spent(const struct coin *c) { return c->out.value == -1; }

bool coin_set(struct coin *dst, const struct tx_out *out, uint32_t height, bool coinbase)
{
    coin_init(dst);
    if (out->script_pubkey_len) {
        dst->out.script_pubkey = malloc(out->script_pubkey_len);
        if (!dst->out.script_pubkey) return false;
        memcpy(dst->out.script_pubkey, out->script_pubkey, out->script_pubkey_len);
    }
    dst->out.script_pubkey_len = out->script_pubkey_len;
    dst->out.value = out->value;
    dst->height = height;
    dst->coinbase = coinbase;
    return true;
}

bool coin_copy(struct coin *dst, const struct coin *src)
{
    return coin_set(dst, &src->out, src->height, src->coinbase);
}

static bool txout_equal(const struct tx_out *a, const struct tx_out *b)
{
    return a->value == b->value && a->script_pubkey_len == b->script_pubkey_len &&
           (a->script_pubkey_len == 0 ||
            memcmp(a->script_pubkey, b->script_pubkey, a->script_pubkey_len) == 0);
}

bool coin_equal(const struct coin *a, const struct coin *b)
{
    return txout_equal(&a->out, &b->out) && a->height == b->height &&
           a->coinbase == b->coinbase;
}

/* ---- VARINT ---- */

/* Encodes v into out (at most 10 bytes) and returns the length. */
static size_t varint_encode(uint8_t out[10], uint64_t v)
{
    uint8_t tmp[10];
    size_t len = 0;
    for (;;) {
        tmp[len] = (uint8_t)((v & 0x7f) | (len ? 0x80 : 0x00));
        if (v <= 0x7f) break;
        v = (v >> 7) - 1;
        len++;
    }
    for (size_t i = 0; i <= len; i++) out[i] = tmp[len - i];
    return len + 1;
}

void coins_write_varint(struct writer *w, uint64_t v)
{
    uint8_t buf[10];
    write_bytes(w, buf, varint_encode(buf, v));
}

bool coins_read_varint(struct reader *r, uint64_t *v, uint64_t max)
{
    uint64_t n = 0;
    for (;;) {
        uint8_t b;
        if (!read_u8(r, &b)) return false;
        if (n > (max >> 7)) goto bad;
        n = (n << 7) | (b & 0x7f);
        if (!(b & 0x80)) break;
        if (n == max) goto bad;
        n++;
    }
    *v = n;
    return true;
bad:
    r->failed = true;
    return false;
}

/* ---- Amounts ---- */

uint64_t coins_compress_amount(uint64_t n)
{
    if (n == 0) return 0;
    unsigned e = 0;
    while (n % 10 == 0 && e < 9) {
        n /= 10;
        e++;
    }
    if (e < 9) {
        uint64_t d = n % 10; /* 1..9: the last non-zero digit */
        n /= 10;
        return 1 + (n * 9 + d - 1) * 10 + e;
    }
    return 1 + (n - 1) * 10 + 9;
}

bool coins_decompress_amount(uint64_t x, uint64_t *amount)
{
    if (x == 0) {
        *amount = 0;
        return true;
    }
    x--;
    unsigned e = (unsigned)(x % 10);
    x /= 10;
    uint64_t n;
    if (e < 9) {
        uint64_t d = x % 9 + 1;
        x /= 9;
        if (x > (UINT64_MAX - d) / 10) return false;
        n = x * 10 + d;
    } else {
        if (x == UINT64_MAX) return false;
        n = x + 1;
    }
    while (e--) {
        if (n > UINT64_MAX / 10) return false;
        n *= 10;
    }
    *amount = n;
    return true;
}

/* ---- Scripts ---- */

#define SPECIAL_SCRIPTS 6

static size_t special_script_size(uint64_t tag) { return tag < 2 ? 20 : 32; }

/* Fills out[33] with the special form of script and returns true when it has one. */
static bool compress_script(uint8_t out[33], size_t *out_len, const uint8_t *s, size_t len)
{
    if (len == 25 && s[0] == OP_DUP && s[1] == OP_HASH160 && s[2] == 20 &&
        s[23] == OP_EQUALVERIFY && s[24] == OP_CHECKSIG) {
        out[0] = 0x00;
        memcpy(out + 1, s + 3, 20);
        *out_len = 21;
        return true;
    }
    if (len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL) {
        out[0] = 0x01;
        memcpy(out + 1, s + 2, 20);
        *out_len = 21;
        return true;
    }
    if (len == 35 && s[0] == 33 && s[34] == OP_CHECKSIG && (s[1] == 0x02 || s[1] == 0x03)) {
        out[0] = s[1];
        memcpy(out + 1, s + 2, 32);
        *out_len = 33;
        return true;
    }
    if (len == 67 && s[0] == 65 && s[66] == OP_CHECKSIG && s[1] == 0x04) {
        /* Only a key on the curve can be rebuilt from its x coordinate. */
        secp256k1_pubkey pk;
        if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, s + 1, 65)) return false;
        out[0] = (uint8_t)(0x04 | (s[65] & 0x01));
        memcpy(out + 1, s + 2, 32);
        *out_len = 33;
        return true;
    }
    return false;
}

void coins_write_script(struct writer *w, const uint8_t *script, size_t len)
{
    uint8_t special[33];
    size_t slen;
    if (compress_script(special, &slen, script, len)) {
        write_bytes(w, special, slen);
        return;
    }
    coins_write_varint(w, (uint64_t)len + SPECIAL_SCRIPTS);
    if (len) write_bytes(w, script, len);
}

/* Rebuilds the script of special form tag from its payload; false for a bad key. */
static bool decompress_script(uint8_t *out, size_t *out_len, uint64_t tag, const uint8_t *p)
{
    switch (tag) {
    case 0x00:
        out[0] = OP_DUP;
        out[1] = OP_HASH160;
        out[2] = 20;
        memcpy(out + 3, p, 20);
        out[23] = OP_EQUALVERIFY;
        out[24] = OP_CHECKSIG;
        *out_len = 25;
        return true;
    case 0x01:
        out[0] = OP_HASH160;
        out[1] = 20;
        memcpy(out + 2, p, 20);
        out[22] = OP_EQUAL;
        *out_len = 23;
        return true;
    case 0x02:
    case 0x03:
        out[0] = 33;
        out[1] = (uint8_t)tag;
        memcpy(out + 2, p, 32);
        out[34] = OP_CHECKSIG;
        *out_len = 35;
        return true;
    default: { /* 0x04, 0x05 */
        uint8_t comp[33];
        comp[0] = (uint8_t)(tag - 2);
        memcpy(comp + 1, p, 32);
        secp256k1_pubkey pk;
        if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, comp, 33)) return false;
        size_t n = 65;
        out[0] = 65;
        secp256k1_ec_pubkey_serialize(secp256k1_context_static, out + 1, &n, &pk,
                                      SECP256K1_EC_UNCOMPRESSED);
        out[66] = OP_CHECKSIG;
        *out_len = 67;
        return true;
    }
    }
}

bool coins_read_script(struct reader *r, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    uint64_t n;
    if (!coins_read_varint(r, &n, UINT32_MAX)) return false;
    if (n < SPECIAL_SCRIPTS) {
        const uint8_t *p;
        uint8_t buf[67];
        size_t blen;
        if (!read_borrow(r, &p, special_script_size(n))) return false;
        if (!decompress_script(buf, &blen, n, p)) {
            r->failed = true;
            return false;
        }
        *out = malloc(blen);
        if (!*out) {
            r->failed = true;
            return false;
        }
        memcpy(*out, buf, blen);
        *len = blen;
        return true;
    }
    n -= SPECIAL_SCRIPTS;
    if (n > MAX_SCRIPT_SIZE) {
        /* Core never stores such scripts in full; it keeps them as OP_RETURN. */
        const uint8_t *skip;
        if (!read_borrow(r, &skip, (size_t)n)) return false;
        *out = malloc(1);
        if (!*out) {
            r->failed = true;
            return false;
        }
        (*out)[0] = OP_RETURN;
        *len = 1;
        return true;
    }
    const uint8_t *p;
    if (!read_borrow(r, &p, (size_t)n)) return false;
    if (n) {
        *out = malloc((size_t)n);
        if (!*out) {
            r->failed = true;
            return false;
        }
        memcpy(*out, p, (size_t)n);
    }
    *len = (size_t)n;
    return true;
}

void coins_write_txout(struct writer *w, const struct tx_out *out)
{
    coins_write_varint(w, coins_compress_amount((uint64_t)out->value));
    coins_write_script(w, out->script_pubkey, out->script_pubkey_len);
}

bool coins_read_txout(struct reader *r, struct tx_out *out)
{
    uint64_t code, amount;
    out->script_pubkey = NULL;
    out->script_pubkey_len = 0;
    if (!coins_read_varint(r, &code, UINT64_MAX)) return false;
    if (!coins_decompress_amount(code, &amount) || amount > (uint64_t)MAX_MONEY) {
        r->failed = true;
        return false;
    }
    out->value = (int64_t)amount;
    return coins_read_script(r, &out->script_pubkey, &out->script_pubkey_len);
}

void coin_serialize(struct writer *w, const struct coin *c)
{
    coins_write_varint(w, (uint64_t)c->height * 2 + (c->coinbase ? 1 : 0));
    coins_write_txout(w, &c->out);
}

bool coin_deserialize(struct reader *r, struct coin *c)
{
    uint64_t code;
    coin_init(c);
    if (!coins_read_varint(r, &code, UINT32_MAX)) return false;
    if (!coins_read_txout(r, &c->out)) {
        coin_init(c);
        return false;
    }
    c->height = (uint32_t)(code >> 1);
    c->coinbase = code & 1;
    return true;
}

size_t coins_db_key(uint8_t key[COINS_DB_KEY_MAX], const struct outpoint *op)
{
    uint8_t v[10];
    size_t n = varint_encode(v, op->n);
    key[0] = COINS_DB_COIN;
    memcpy(key + 1, op->hash.b, 32);
    memcpy(key + 33, v, n);
    return 33 + n;
}

/* ---- The chainstate database ---- */

struct coins_db {
    struct db *db;
    uint256 best; /* read at open, updated by every flush */
    bool have_best;
};

static void set_err(char **err, const char *fmt, const char *arg)
{
    if (!err) return;
    size_t need = strlen(fmt) + (arg ? strlen(arg) : 0) + 1;
    char *s = malloc(need);
    if (s) snprintf(s, need, fmt, arg ? arg : "");
    *err = s;
}

static bool load_best_block(struct coins_db *cdb, char **err);

struct coins_db *coins_db_open(const char *path, size_t cache_bytes, bool wipe, char **err)
{
    if (err) *err = NULL;
    struct coins_db *cdb = calloc(1, sizeof *cdb);
    if (!cdb) {
        set_err(err, "out of memory%s", NULL);
        return NULL;
    }
    cdb->db = db_open(path, cache_bytes, wipe, err);
    if (!cdb->db) {
        free(cdb);
        return NULL;
    }
    if (!load_best_block(cdb, err)) {
        coins_db_close(cdb);
        return NULL;
    }
    uint8_t h = COINS_DB_HEAD_BLOCKS;
    if (db_exists(cdb->db, &h, 1)) {
        set_err(err,
                "chainstate %s was left by an interrupted multi-batch flush; "
                "restart with -reindex-chainstate",
                path);
        coins_db_close(cdb);
        return NULL;
    }
    return cdb;
}

void coins_db_close(struct coins_db *cdb)
{
    if (!cdb) return;
    db_close(cdb->db);
    free(cdb);
}

struct db *coins_db_handle(struct coins_db *cdb) { return cdb->db; }

static bool parse_coin_record(const uint8_t *val, size_t vlen, struct coin *out)
{
    struct reader r;
    reader_init(&r, val, vlen);
    if (!coin_deserialize(&r, out)) return false;
    if (reader_remaining(&r) != 0) {
        coin_clear(out);
        return false;
    }
    return true;
}

bool coins_db_get(struct coins_db *cdb, const struct outpoint *op, struct coin *out, char **err)
{
    uint8_t key[COINS_DB_KEY_MAX];
    size_t klen = coins_db_key(key, op);
    uint8_t *val;
    size_t vlen;
    coin_init(out);
    if (!db_read(cdb->db, key, klen, &val, &vlen, err)) return false;
    bool ok = parse_coin_record(val, vlen, out);
    free(val);
    if (!ok) {
        char hex[65];
        uint256_to_hex(hex, &op->hash);
        set_err(err, "corrupt coin record for %s in the chainstate", hex);
    }
    return ok;
}

bool coins_db_have(struct coins_db *cdb, const struct outpoint *op)
{
    uint8_t key[COINS_DB_KEY_MAX];
    size_t klen = coins_db_key(key, op);
    return db_exists(cdb->db, key, klen);
}

/* Reads 'B' at open: absent is fine (a new database), unreadable or malformed is not. */
static bool load_best_block(struct coins_db *cdb, char **err)
{
    uint8_t k = COINS_DB_BEST_BLOCK;
    uint8_t *val;
    size_t vlen;
    memset(&cdb->best, 0, sizeof cdb->best);
    cdb->have_best = false;
    char *rerr = NULL;
    if (!db_read(cdb->db, &k, 1, &val, &vlen, &rerr)) {
        if (!rerr) return true; /* not found */
        if (err)
            *err = rerr;
        else
            free(rerr);
        return false;
    }
    bool ok = vlen == 32;
    if (ok) memcpy(cdb->best.b, val, 32);
    free(val);
    if (!ok) {
        set_err(err, "corrupt best-block record in the chainstate%s", NULL);
        return false;
    }
    cdb->have_best = true;
    return true;
}

bool coins_db_best_block(struct coins_db *cdb, uint256 *out)
{
    *out = cdb->best;
    return cdb->have_best;
}

bool coins_db_for_each(struct coins_db *cdb,
                       bool (*fn)(void *ctx, const struct outpoint *op, const struct coin *c),
                       void *ctx, char **err)
{
    if (err) *err = NULL;
    struct db_iter *it = db_iter_new(cdb->db);
    if (!it) {
        set_err(err, "out of memory%s", NULL);
        return false;
    }
    uint8_t start = COINS_DB_COIN;
    bool ok = true;
    for (db_iter_seek(it, &start, 1); db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        if (klen < 1 || k[0] != COINS_DB_COIN) break;
        const uint8_t *v = db_iter_value(it, &vlen);
        struct outpoint op;
        struct reader kr;
        uint64_t n = 0;
        reader_init(&kr, k + 1, klen - 1);
        struct coin c;
        if (!v || !read_bytes(&kr, op.hash.b, 32) || !coins_read_varint(&kr, &n, UINT32_MAX) ||
            reader_remaining(&kr) != 0 || !parse_coin_record(v, vlen, &c)) {
            set_err(err, "corrupt coin record in the chainstate%s", NULL);
            ok = false;
            break;
        }
        op.n = (uint32_t)n;
        bool more = fn(ctx, &op, &c);
        coin_clear(&c);
        if (!more) break;
    }
    if (ok) {
        char *ie = db_iter_error(it);
        if (ie) {
            if (err)
                *err = ie;
            else
                free(ie);
            ok = false;
        }
    }
    db_iter_free(it);
    return ok;
}

/* ---- The cache ---- */

enum { ENTRY_DIRTY = 1, ENTRY_FRESH = 2 };

struct entry {
    struct entry *next;
    struct outpoint key;
    struct coin coin;
    uint8_t flags;
};

struct coins_cache {
    struct coins_db *db;        /* base when over the database */
    struct coins_cache *parent; /* base when a child */
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    size_t script_usage; /* malloc usage of every script held */
    uint64_t k0, k1;
    uint256 best_block;
    char *error;
};

#define INITIAL_BUCKETS 1024

/* What malloc really takes for n bytes on 64-bit glibc (Core's MallocUsage). */
static size_t malloc_usage(size_t n) { return n ? ((n + 31) >> 4) << 4 : 0; }

static size_t coin_script_usage(const struct coin *c)
{
    return malloc_usage(c->out.script_pubkey_len);
}

static uint64_t entry_hash(const struct coins_cache *c, const struct outpoint *op)
{
    uint8_t buf[36];
    memcpy(buf, op->hash.b, 32);
    le32_write(buf + 32, op->n);
    return siphash24(c->k0, c->k1, buf, sizeof buf);
}

static bool outpoint_eq(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && memcmp(a->hash.b, b->hash.b, 32) == 0;
}

static struct coins_cache *cache_alloc(void)
{
    struct coins_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->buckets = calloc(INITIAL_BUCKETS, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    c->nbuckets = INITIAL_BUCKETS;
    uint64_t k[2];
    size_t got = 0;
    while (got < sizeof k) {
        ssize_t r = getrandom((uint8_t *)k + got, sizeof k - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (got < sizeof k) { /* no entropy: still works, only loses collision resistance */
        k[0] = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ull;
        k[1] = (uint64_t)(uintptr_t)&k ^ 0x6a09e667f3bcc908ull;
    }
    c->k0 = k[0];
    c->k1 = k[1];
    return c;
}

struct coins_cache *coins_cache_new(struct coins_db *db)
{
    struct coins_cache *c = cache_alloc();
    if (!c) return NULL;
    c->db = db;
    coins_db_best_block(db, &c->best_block);
    return c;
}

struct coins_cache *coins_cache_new_child(struct coins_cache *parent)
{
    struct coins_cache *c = cache_alloc();
    if (!c) return NULL;
    c->parent = parent;
    c->best_block = parent->best_block;
    return c;
}

static void cache_clear_all(struct coins_cache *c)
{
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i];
        while (e) {
            struct entry *next = e->next;
            coin_clear(&e->coin);
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    c->count = 0;
    c->script_usage = 0;
}

void coins_cache_free(struct coins_cache *c)
{
    if (!c) return;
    cache_clear_all(c);
    free(c->buckets);
    free(c->error);
    free(c);
}

static struct entry *find_entry(const struct coins_cache *c, const struct outpoint *op,
                                struct entry ***link_out)
{
    size_t b = (size_t)entry_hash(c, op) & (c->nbuckets - 1);
    struct entry **link = &c->buckets[b];
    for (struct entry *e = *link; e; link = &e->next, e = e->next) {
        if (outpoint_eq(&e->key, op)) {
            if (link_out) *link_out = link;
            return e;
        }
    }
    return NULL;
}

static void maybe_grow(struct coins_cache *c)
{
    if (c->count < c->nbuckets) return;
    size_t nb = c->nbuckets * 2;
    struct entry **nbk = calloc(nb, sizeof *nbk);
    if (!nbk) return; /* keep the longer chains; still correct */
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i];
        while (e) {
            struct entry *next = e->next;
            size_t b = (size_t)entry_hash(c, &e->key) & (nb - 1);
            e->next = nbk[b];
            nbk[b] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = nbk;
    c->nbuckets = nb;
}

/* Inserts a new entry owning *coin (moved in). NULL on out of memory (coin untouched). */
static struct entry *insert_entry(struct coins_cache *c, const struct outpoint *op,
                                  struct coin *coin, uint8_t flags)
{
    struct entry *e = malloc(sizeof *e);
    if (!e) return NULL;
    maybe_grow(c);
    e->key = *op;
    e->coin = *coin;
    coin_init(coin);
    e->flags = flags;
    size_t b = (size_t)entry_hash(c, op) & (c->nbuckets - 1);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
    c->script_usage += coin_script_usage(&e->coin);
    return e;
}

static void remove_entry(struct coins_cache *c, struct entry *e, struct entry **link)
{
    *link = e->next;
    c->script_usage -= coin_script_usage(&e->coin);
    coin_clear(&e->coin);
    free(e);
    c->count--;
}

static void set_error(struct coins_cache *c, const char *msg)
{
    if (c->error) return;
    c->error = strdup(msg ? msg : "coins database read error");
}

/* Reads op from the base into *out (owning nothing on entry): true when an unspent coin
 * was found. A read error is recorded in c->error. */
static bool base_get(struct coins_cache *c, const struct outpoint *op, struct coin *out)
{
    if (c->parent) {
        const struct coin *pc = coins_cache_get(c->parent, op);
        if (!pc) {
            if (c->parent->error) set_error(c, c->parent->error);
            coin_init(out);
            return false;
        }
        if (!coin_copy(out, pc)) {
            set_error(c, "out of memory");
            coin_clear(out);
            return false;
        }
        return true;
    }
    char *err = NULL;
    if (coins_db_get(c->db, op, out, &err)) return true;
    if (err) {
        set_error(c, err);
        free(err);
    }
    return false;
}

/* The entry for op, fetched from the base if needed; NULL when the base has no unspent
 * coin (nothing is cached for a miss) or on error. */
static struct entry *fetch(struct coins_cache *c, const struct outpoint *op)
{
    struct entry *e = find_entry(c, op, NULL);
    if (e) return e;
    struct coin coin;
    if (!base_get(c, op, &coin)) return NULL;
    e = insert_entry(c, op, &coin, 0);
    if (!e) {
        coin_clear(&coin);
        set_error(c, "out of memory");
    }
    return e;
}

const struct coin *coins_cache_get(struct coins_cache *c, const struct outpoint *op)
{
    struct entry *e = fetch(c, op);
    if (!e || coin_is_spent(&e->coin)) return NULL;
    return &e->coin;
}

bool coins_cache_have(struct coins_cache *c, const struct outpoint *op)
{
    return coins_cache_get(c, op) != NULL;
}

bool coins_cache_have_in_cache(const struct coins_cache *c, const struct outpoint *op)
{
    struct entry *e = find_entry(c, op, NULL);
    return e && !coin_is_spent(&e->coin);
}

bool coins_cache_add(struct coins_cache *c, const struct outpoint *op, const struct coin *coin,
                     bool possible_overwrite, char **err)
{
    if (err) *err = NULL;
    if (script_is_unspendable(coin->out.script_pubkey, coin->out.script_pubkey_len))
        return true;
    struct coin copy;
    if (!coin_copy(&copy, coin)) {
        coin_clear(&copy);
        set_err(err, "out of memory%s", NULL);
        return false;
    }
    struct entry *e = find_entry(c, op, NULL);
    if (!e) {
        /* Not in this cache: FRESH unless the caller says the base may hold it. */
        if (!insert_entry(c, op, &copy, ENTRY_DIRTY | (possible_overwrite ? 0 : ENTRY_FRESH))) {
            coin_clear(&copy);
            set_err(err, "out of memory%s", NULL);
            return false;
        }
        return true;
    }
    bool fresh = false;
    if (!possible_overwrite) {
        if (!coin_is_spent(&e->coin)) {
            coin_clear(&copy);
            set_err(err,
                    "Attempted to overwrite an unspent coin (when possible_overwrite "
                    "is false)%s",
                    NULL);
            return false;
        }
        /* A spent entry that is still DIRTY carries a deletion the base has not seen yet;
         * marking it FRESH would lose that deletion if the coin is spent again. */
        fresh = !(e->flags & ENTRY_DIRTY);
    }
    c->script_usage -= coin_script_usage(&e->coin);
    coin_clear(&e->coin);
    e->coin = copy;
    c->script_usage += coin_script_usage(&e->coin);
    e->flags |= ENTRY_DIRTY | (fresh ? ENTRY_FRESH : 0);
    return true;
}

bool coins_cache_add_tx(struct coins_cache *c, const struct tx *tx, const uint256 *txid,
                        uint32_t height, bool check, char **err)
{
    uint256 id;
    if (txid)
        id = *txid;
    else
        tx_txid(tx, &id);
    bool coinbase = tx_is_coinbase(tx);
    for (size_t i = 0; i < tx->vout_count; i++) {
        struct outpoint op = {.hash = id, .n = (uint32_t)i};
        bool overwrite = check ? coins_cache_have(c, &op) : coinbase;
        struct coin coin = {.out = tx->vout[i], .height = height, .coinbase = coinbase};
        if (!coins_cache_add(c, &op, &coin, overwrite, err)) return false;
    }
    return true;
}

bool coins_cache_spend(struct coins_cache *c, const struct outpoint *op, struct coin *moved_out)
{
    struct entry *e = fetch(c, op);
    if (!e || coin_is_spent(&e->coin)) return false;
    c->script_usage -= coin_script_usage(&e->coin);
    if (moved_out) {
        *moved_out = e->coin;
        coin_init(&e->coin);
    } else {
        coin_clear(&e->coin);
    }
    if (e->flags & ENTRY_FRESH) {
        struct entry **link;
        find_entry(c, op, &link);
        remove_entry(c, e, link);
    } else {
        e->flags |= ENTRY_DIRTY;
    }
    return true;
}

void coins_cache_uncache(struct coins_cache *c, const struct outpoint *op)
{
    struct entry **link;
    struct entry *e = find_entry(c, op, &link);
    if (e && e->flags == 0) remove_entry(c, e, link);
}

void coins_cache_set_best_block(struct coins_cache *c, const uint256 *hash)
{
    c->best_block = *hash;
}

void coins_cache_best_block(const struct coins_cache *c, uint256 *out) { *out = c->best_block; }

size_t coins_cache_usage(const struct coins_cache *c)
{
    return malloc_usage(sizeof(struct coins_cache)) +
           malloc_usage(c->nbuckets * sizeof(struct entry *)) +
           c->count * malloc_usage(sizeof(struct entry)) + c->script_usage;
}

size_t coins_cache_count(const struct coins_cache *c) { return c->count; }

const char *coins_cache_error(const struct coins_cache *c) { return c->error; }

/* After a successful write: forget everything (erase) or keep unspent coins clean. */
static void after_write(struct coins_cache *c, bool erase)
{
    if (erase) {
        cache_clear_all(c);
        /* Give back a table grown for a big cache (Core's ReallocateCache). */
        if (c->nbuckets > INITIAL_BUCKETS) {
            struct entry **nb = calloc(INITIAL_BUCKETS, sizeof *nb);
            if (nb) {
                free(c->buckets);
                c->buckets = nb;
                c->nbuckets = INITIAL_BUCKETS;
            }
        }
        return;
    }
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry **link = &c->buckets[i];
        while (*link) {
            struct entry *e = *link;
            if (coin_is_spent(&e->coin)) {
                remove_entry(c, e, link);
            } else {
                e->flags = 0;
                link = &e->next;
            }
        }
    }
}

/* Sort record: the first 8 key bytes inline, so the sort rarely touches the entries. */
struct sort_rec {
    uint64_t prefix;
    struct entry *e;
};

static int sort_rec_cmp(const void *a, const void *b)
{
    const struct sort_rec *x = a, *y = b;
    if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
    int r = memcmp(x->e->key.hash.b, y->e->key.hash.b, 32);
    if (r) return r;
    return x->e->key.n < y->e->key.n ? -1 : x->e->key.n > y->e->key.n;
}

static uint64_t be64_of(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static bool flush_impl(struct coins_cache *c, struct coins_db *db, const uint256 *best_block,
                       bool sync, bool erase, char **err)
{
    if (err) *err = NULL;
    if (c->db != db || !db) {
        set_err(err, "coins cache flushed to a database it is not over%s", NULL);
        return false;
    }
    uint256 best = best_block ? *best_block : c->best_block;
    struct db_batch *batch = db_batch_new();
    struct writer w;
    writer_init(&w);
    if (!batch) goto oom;
    /* Key order makes LevelDB's memtable inserts cache-friendly: several times faster
     * for a big flush than the hash table's random order. Unsorted if out of memory. */
    size_t ndirty = 0, k = 0;
    for (size_t i = 0; i < c->nbuckets; i++)
        for (struct entry *e = c->buckets[i]; e; e = e->next)
            if (e->flags & ENTRY_DIRTY) ndirty++;
    struct sort_rec *order = ndirty ? malloc(ndirty * sizeof *order) : NULL;
    if (order) {
        for (size_t i = 0; i < c->nbuckets; i++)
            for (struct entry *e = c->buckets[i]; e; e = e->next)
                if (e->flags & ENTRY_DIRTY)
                    order[k++] = (struct sort_rec){be64_of(e->key.hash.b), e};
        qsort(order, ndirty, sizeof *order, sort_rec_cmp);
    }
    struct entry *walk = NULL;
    size_t bucket = 0;
    for (k = 0;; k++) {
        struct entry *e;
        if (order) {
            if (k == ndirty) break;
            e = order[k].e;
        } else { /* hash table order */
            walk = walk ? walk->next : NULL;
            while (!walk && bucket < c->nbuckets) walk = c->buckets[bucket++];
            if (!walk) break;
            e = walk;
            if (!(e->flags & ENTRY_DIRTY)) continue;
        }
        uint8_t key[COINS_DB_KEY_MAX];
        size_t klen = coins_db_key(key, &e->key);
        if (coin_is_spent(&e->coin)) {
            db_batch_delete(batch, key, klen);
        } else {
            w.len = 0;
            coin_serialize(&w, &e->coin);
            if (w.failed) {
                free(order);
                goto oom;
            }
            db_batch_put(batch, key, klen, w.data, w.len);
        }
    }
    free(order);
    uint8_t bk = COINS_DB_BEST_BLOCK;
    db_batch_put(batch, &bk, 1, best.b, 32);
    bool ok = db_write(db->db, batch, sync, err);
    db_batch_free(batch);
    writer_free(&w);
    if (!ok) return false;
    c->best_block = best;
    db->best = best;
    db->have_best = true;
    after_write(c, erase);
    return true;
oom:
    db_batch_free(batch);
    writer_free(&w);
    set_err(err, "out of memory%s", NULL);
    return false;
}

bool coins_cache_flush(struct coins_cache *c, struct coins_db *db, const uint256 *best_block,
                       bool sync, char **err)
{
    return flush_impl(c, db, best_block, sync, true, err);
}

bool coins_cache_sync_keep(struct coins_cache *c, struct coins_db *db,
                           const uint256 *best_block, bool sync, char **err)
{
    return flush_impl(c, db, best_block, sync, false, err);
}

/* Applies one dirty child entry to the parent (Core's CCoinsViewCache::BatchWrite). The
 * child's coin is moved out. */
static bool merge_entry(struct coins_cache *p, struct entry *ce, char **err)
{
    struct entry **link;
    struct entry *pe = find_entry(p, &ce->key, &link);
    bool child_fresh = ce->flags & ENTRY_FRESH;
    if (!pe) {
        /* A FRESH coin spent in the child never existed for the parent either. */
        if (child_fresh && coin_is_spent(&ce->coin)) return true;
        if (!insert_entry(p, &ce->key, &ce->coin,
                          ENTRY_DIRTY | (child_fresh ? ENTRY_FRESH : 0))) {
            set_err(err, "out of memory%s", NULL);
            return false;
        }
        return true;
    }
    if (child_fresh && !coin_is_spent(&pe->coin)) {
        set_err(err, "FRESH flag misapplied to coin that exists in parent cache%s", NULL);
        return false;
    }
    if ((pe->flags & ENTRY_FRESH) && coin_is_spent(&ce->coin)) {
        /* The grandparent never had it: drop it altogether. */
        remove_entry(p, pe, link);
        return true;
    }
    p->script_usage -= coin_script_usage(&pe->coin);
    coin_clear(&pe->coin);
    pe->coin = ce->coin;
    coin_init(&ce->coin);
    p->script_usage += coin_script_usage(&pe->coin);
    pe->flags |= ENTRY_DIRTY;
    return true;
}

bool coins_cache_flush_to_parent(struct coins_cache *child, char **err)
{
    if (err) *err = NULL;
    if (!child->parent) {
        set_err(err, "coins cache has no parent%s", NULL);
        return false;
    }
    /* Check first so an inconsistency leaves the parent untouched. */
    for (size_t i = 0; i < child->nbuckets; i++) {
        for (struct entry *e = child->buckets[i]; e; e = e->next) {
            if ((e->flags & (ENTRY_DIRTY | ENTRY_FRESH)) != (ENTRY_DIRTY | ENTRY_FRESH))
                continue;
            struct entry *pe = find_entry(child->parent, &e->key, NULL);
            if (pe && !coin_is_spent(&pe->coin)) {
                set_err(err, "FRESH flag misapplied to coin that exists in parent cache%s",
                        NULL);
                return false;
            }
        }
    }
    bool ok = true;
    for (size_t i = 0; i < child->nbuckets && ok; i++)
        for (struct entry *e = child->buckets[i]; e && ok; e = e->next)
            if (e->flags & ENTRY_DIRTY) ok = merge_entry(child->parent, e, err);
    if (!ok) return false;
    child->parent->best_block = child->best_block;
    cache_clear_all(child);
    return true;
}
