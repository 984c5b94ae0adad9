/* See blockindex.h. The map is a power-of-two table of entry pointers kept at most half
 * full; entries are allocated one by one so their addresses never move. The on-disk
 * format follows Core's so that the same keys and value layouts can be inspected with
 * the usual tools: VARINT is Core's MSB-first base-128 with the "+1 per continuation"
 * twist, which makes every number's encoding unique. */
#include "chain/blockindex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/serialize.h"

#define DB_BLOCK_INDEX  'b'
#define DB_BLOCK_FILES  'f'
#define DB_LAST_FILE    'l'
#define DB_REINDEX_FLAG 'R'
/* The "client version" field Core writes first in each entry; read and ignored. */
#define INDEX_CLIENT_VERSION 10000
#define MAX_BLOCK_FILES      BLOCKSTORE_MAX_FILES

/* ---- Entries ---- */

void block_index_header(const struct block_index *idx, struct block_header *out)
{
    out->version = idx->version;
    if (idx->prev)
        out->prev_hash = idx->prev->hash;
    else
        memset(&out->prev_hash, 0, sizeof(out->prev_hash));
    out->merkle_root = idx->merkle_root;
    out->time = idx->time;
    out->bits = idx->bits;
    out->nonce = idx->nonce;
}

static int32_t invert_lowest_one(int32_t n) { return n & (n - 1); }

/* The height the skip pointer of a block at height points to (Core's GetSkipHeight):
 * any height below works, this choice makes ancestor walks logarithmic. */
static int32_t skip_height(int32_t height)
{
    if (height < 2) return 0;
    return (height & 1) ? invert_lowest_one(invert_lowest_one(height - 1)) + 1
                        : invert_lowest_one(height);
}

struct block_index *block_index_ancestor(const struct block_index *idx, int32_t height)
{
    if (!idx || height > idx->height || height < 0) return NULL;
    const struct block_index *walk = idx;
    int32_t hw = idx->height;
    while (hw > height) {
        int32_t hs = skip_height(hw), hs_prev = skip_height(hw - 1);
        /* Take the skip unless it overshoots, or the parent's skip would land closer
         * to the target without overshooting. */
        if (walk->skip &&
            (hs == height || (hs > height && !(hs_prev < hs - 2 && hs_prev >= height)))) {
            walk = walk->skip;
            hw = hs;
        } else {
            walk = walk->prev;
            hw--;
        }
        if (!walk) return NULL; /* a broken link: never for a consistent index */
    }
    return (struct block_index *)walk;
}

void block_index_build_skip(struct block_index *idx)
{
    idx->skip = idx->prev ? block_index_ancestor(idx->prev, skip_height(idx->height)) : NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t block_index_median_time_past(const struct block_index *idx)
{
    int64_t t[11];
    size_t n = 0;
    for (; idx && n < 11; idx = idx->prev) t[n++] = idx->time;
    if (n == 0) return 0;
    qsort(t, n, sizeof(t[0]), cmp_i64);
    return t[n / 2];
}

bool block_index_is_valid(const struct block_index *idx, uint32_t level)
{
    if (idx->status & BLOCK_FAILED_MASK) return false;
    return (idx->status & BLOCK_VALID_MASK) >= level;
}

bool block_index_raise_validity(struct block_index *idx, uint32_t level)
{
    if (idx->status & BLOCK_FAILED_MASK) return false;
    if ((idx->status & BLOCK_VALID_MASK) >= level) return false;
    idx->status = (idx->status & ~(uint32_t)BLOCK_VALID_MASK) | level;
    idx->dirty = true;
    return true;
}

struct block_index *block_index_fork_point(const struct block_index *a,
                                           const struct block_index *b)
{
    if (!a || !b) return NULL;
    if (a->height > b->height)
        a = block_index_ancestor(a, b->height);
    else if (b->height > a->height)
        b = block_index_ancestor(b, a->height);
    while (a != b && a && b) {
        a = a->prev;
        b = b->prev;
    }
    return (struct block_index *)a;
}

int block_index_work_cmp(const struct block_index *a, const struct block_index *b)
{
    int c = arith256_cmp(&a->chain_work, &b->chain_work);
    if (c) return c;
    if (a->sequence_id != b->sequence_id) return a->sequence_id < b->sequence_id ? 1 : -1;
    if (a == b) return 0;
    return (uintptr_t)a < (uintptr_t)b ? 1 : -1;
}

void block_index_pow_block(const struct block_index *idx, struct pow_block *out)
{
    out->height = idx->height;
    out->time = idx->time;
    out->bits = idx->bits;
}

bool block_index_pow_ancestor(void *ctx, int32_t height, struct pow_block *out)
{
    const struct block_index *a = block_index_ancestor(ctx, height);
    if (!a) return false;
    block_index_pow_block(a, out);
    return true;
}

bool block_index_next_work_required(uint32_t *bits, const struct pow_params *p,
                                    const struct block_index *parent, int64_t block_time)
{
    if (!parent) return pow_next_work_required(bits, p, NULL, block_time, NULL, NULL);
    struct pow_block pb;
    block_index_pow_block(parent, &pb);
    return pow_next_work_required(bits, p, &pb, block_time, block_index_pow_ancestor,
                                  (void *)parent);
}

/* ---- The map ---- */

struct block_map {
    struct block_index **slots;
    size_t cap; /* power of two */
    size_t count;
    uint64_t k0, k1;
};

static size_t slot_of(const struct block_map *m, const uint256 *hash)
{
    return (size_t)siphash24(m->k0, m->k1, hash->b, 32) & (m->cap - 1);
}

struct block_map *block_map_new(uint64_t k0, uint64_t k1)
{
    struct block_map *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->cap = 1024;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->k0 = k0;
    m->k1 = k1;
    return m;
}

void block_map_free(struct block_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->slots[i]);
    free(m->slots);
    free(m);
}

size_t block_map_count(const struct block_map *m) { return m->count; }

struct block_index *block_map_find(const struct block_map *m, const uint256 *hash)
{
    for (size_t i = slot_of(m, hash);; i = (i + 1) & (m->cap - 1)) {
        struct block_index *e = m->slots[i];
        if (!e) return NULL;
        if (memcmp(e->hash.b, hash->b, 32) == 0) return e;
    }
}

static bool grow(struct block_map *m)
{
    size_t cap = m->cap * 2;
    struct block_index **slots = calloc(cap, sizeof(*slots));
    if (!slots) return false;
    struct block_index **old = m->slots;
    size_t old_cap = m->cap;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i]) continue;
        size_t j = slot_of(m, &old[i]->hash);
        while (m->slots[j]) j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
    return true;
}

struct block_index *block_map_insert(struct block_map *m, const uint256 *hash, bool *created)
{
    if (created) *created = false;
    struct block_index *e = block_map_find(m, hash);
    if (e) return e;
    if ((m->count + 1) * 2 > m->cap && !grow(m)) return NULL;
    e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->hash = *hash;
    e->height = -1;
    size_t i = slot_of(m, hash);
    while (m->slots[i]) i = (i + 1) & (m->cap - 1);
    m->slots[i] = e;
    m->count++;
    if (created) *created = true;
    return e;
}

struct block_index *block_map_next(const struct block_map *m, size_t *cursor)
{
    while (*cursor < m->cap) {
        struct block_index *e = m->slots[(*cursor)++];
        if (e) return e;
    }
    return NULL;
}

/* Fills the fields that follow from the parent: chain work, skip, time_max, chain_tx. */
static void link_entry(struct block_index *e)
{
    arith256 work;
    pow_block_work(&work, e->bits);
    if (e->prev) {
        arith256_add(&e->chain_work, &e->prev->chain_work, &work);
        e->time_max = e->prev->time_max > e->time ? e->prev->time_max : e->time;
        e->chain_tx = e->prev->chain_tx && e->tx_count ? e->prev->chain_tx + e->tx_count : 0;
    } else {
        e->chain_work = work;
        e->time_max = e->time;
        e->chain_tx = e->tx_count;
    }
    block_index_build_skip(e);
}

struct block_index *block_map_add_header(struct block_map *m, const struct block_header *h,
                                         const uint256 *hash, const char **err_reason)
{
    uint256 hh;
    if (!hash) {
        block_header_hash(h, &hh);
        hash = &hh;
    }
    struct block_index *e = block_map_find(m, hash);
    if (e && e->height >= 0) return e;
    struct block_index *prev = NULL;
    if (!uint256_is_zero(&h->prev_hash)) {
        prev = block_map_find(m, &h->prev_hash);
        if (!prev || prev->height < 0) {
            *err_reason = "prev-blk-not-found";
            return NULL;
        }
    }
    e = block_map_insert(m, hash, NULL);
    if (!e) {
        *err_reason = "out of memory";
        return NULL;
    }
    e->prev = prev;
    e->height = prev ? prev->height + 1 : 0;
    e->version = h->version;
    e->merkle_root = h->merkle_root;
    e->time = h->time;
    e->bits = h->bits;
    e->nonce = h->nonce;
    link_entry(e);
    block_index_raise_validity(e, BLOCK_VALID_TREE);
    e->dirty = true;
    return e;
}

/* ---- The active chain ---- */

void active_chain_init(struct active_chain *c) { memset(c, 0, sizeof(*c)); }

void active_chain_free(struct active_chain *c)
{
    if (!c) return;
    free(c->v);
    memset(c, 0, sizeof(*c));
}

bool active_chain_set_tip(struct active_chain *c, struct block_index *tip)
{
    if (!tip) {
        c->len = 0;
        return true;
    }
    size_t need = (size_t)tip->height + 1;
    if (need > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap < need) cap *= 2;
        struct block_index **v = realloc(c->v, cap * sizeof(*v));
        if (!v) return false;
        c->v = v;
        c->cap = cap;
    }
    size_t old_len = c->len;
    c->len = need;
    /* Walk back from the tip until the entry is already in place; slots at or past the
     * old length hold stale pointers from a longer chain and are always rewritten. */
    for (struct block_index *e = tip;
         e && ((size_t)e->height >= old_len || c->v[e->height] != e); e = e->prev)
        c->v[e->height] = e;
    return true;
}

struct block_index *active_chain_tip(const struct active_chain *c)
{
    return c->len ? c->v[c->len - 1] : NULL;
}

struct block_index *active_chain_genesis(const struct active_chain *c)
{
    return c->len ? c->v[0] : NULL;
}

int32_t active_chain_height(const struct active_chain *c) { return (int32_t)c->len - 1; }

struct block_index *active_chain_at(const struct active_chain *c, int32_t height)
{
    if (height < 0 || (size_t)height >= c->len) return NULL;
    return c->v[height];
}

bool active_chain_contains(const struct active_chain *c, const struct block_index *idx)
{
    return idx && active_chain_at(c, idx->height) == idx;
}

struct block_index *active_chain_next(const struct active_chain *c,
                                      const struct block_index *idx)
{
    return active_chain_contains(c, idx) ? active_chain_at(c, idx->height + 1) : NULL;
}

struct block_index *active_chain_find_fork(const struct active_chain *c,
                                           const struct block_index *idx)
{
    if (!idx) return NULL;
    if (idx->height > active_chain_height(c))
        idx = block_index_ancestor(idx, active_chain_height(c));
    while (idx && !active_chain_contains(c, idx)) idx = idx->prev;
    return (struct block_index *)idx;
}

/* ---- Tip candidates ---- */

void block_candidates_init(struct block_candidates *s) { memset(s, 0, sizeof(*s)); }

void block_candidates_free(struct block_candidates *s)
{
    if (!s) return;
    free(s->v);
    memset(s, 0, sizeof(*s));
}

bool block_candidates_contains(const struct block_candidates *s, const struct block_index *idx)
{
    for (size_t i = 0; i < s->len; i++)
        if (s->v[i] == idx) return true;
    return false;
}

bool block_candidates_add(struct block_candidates *s, struct block_index *idx)
{
    if (block_candidates_contains(s, idx)) return true;
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct block_index **v = realloc(s->v, cap * sizeof(*v));
        if (!v) return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->len++] = idx;
    return true;
}

void block_candidates_remove(struct block_candidates *s, const struct block_index *idx)
{
    for (size_t i = 0; i < s->len; i++) {
        if (s->v[i] == idx) {
            s->v[i] = s->v[--s->len];
            return;
        }
    }
}

struct block_index *block_candidates_best(const struct block_candidates *s)
{
    struct block_index *best = NULL;
    for (size_t i = 0; i < s->len; i++)
        if (!best || block_index_work_cmp(s->v[i], best) > 0) best = s->v[i];
    return best;
}

void block_candidates_prune(struct block_candidates *s, const struct block_index *tip)
{
    for (size_t i = 0; i < s->len;) {
        if (block_index_work_cmp(s->v[i], tip) < 0)
            s->v[i] = s->v[--s->len];
        else
            i++;
    }
}

/* ---- Serialization ---- */

static void write_varint(struct writer *w, uint64_t n)
{
    uint8_t tmp[10];
    size_t len = 0;
    for (;;) {
        tmp[len] = (uint8_t)((n & 0x7f) | (len ? 0x80 : 0x00));
        if (n <= 0x7f) break;
        n = (n >> 7) - 1;
        len++;
    }
    do write_u8(w, tmp[len]);
    while (len--);
}

static bool read_varint(struct reader *r, uint64_t max, uint64_t *out)
{
    uint64_t n = 0;
    for (;;) {
        uint8_t c;
        if (!read_u8(r, &c)) return false;
        if (n > (UINT64_MAX >> 7)) return false;
        n = (n << 7) | (c & 0x7f);
        if (c & 0x80) {
            if (n == UINT64_MAX) return false;
            n++;
        } else {
            break;
        }
    }
    if (n > max) return false;
    *out = n;
    return true;
}

bool blockindex_encode(const struct block_index *idx, uint8_t **out, size_t *len)
{
    struct writer w;
    writer_init(&w);
    write_varint(&w, INDEX_CLIENT_VERSION);
    write_varint(&w, (uint64_t)(idx->height < 0 ? 0 : idx->height));
    write_varint(&w, idx->status);
    write_varint(&w, idx->tx_count);
    if (idx->status & BLOCK_HAVE_MASK) write_varint(&w, idx->file);
    if (idx->status & BLOCK_HAVE_DATA) write_varint(&w, idx->data_pos);
    if (idx->status & BLOCK_HAVE_UNDO) write_varint(&w, idx->undo_pos);
    struct block_header h;
    block_index_header(idx, &h);
    block_header_serialize(&w, &h);
    if (w.failed) {
        writer_free(&w);
        return false;
    }
    *out = writer_release(&w, len);
    return *out != NULL;
}

bool blockindex_decode(const uint8_t *data, size_t len, struct block_index *idx,
                       uint256 *prev_hash)
{
    struct reader r;
    reader_init(&r, data, len);
    uint64_t version, height, status, tx_count, file = 0, data_pos = 0, undo_pos = 0;
    if (!read_varint(&r, INT32_MAX, &version) || !read_varint(&r, INT32_MAX - 1, &height) ||
        !read_varint(&r, UINT32_MAX, &status) || !read_varint(&r, UINT32_MAX, &tx_count))
        return false;
    if ((status & BLOCK_HAVE_MASK) && !read_varint(&r, MAX_BLOCK_FILES, &file)) return false;
    if ((status & BLOCK_HAVE_DATA) && !read_varint(&r, UINT32_MAX, &data_pos)) return false;
    if ((status & BLOCK_HAVE_UNDO) && !read_varint(&r, UINT32_MAX, &undo_pos)) return false;
    struct block_header h;
    if (!block_header_deserialize(&r, &h) || reader_remaining(&r) != 0) return false;
    idx->height = (int32_t)height;
    idx->status = (uint32_t)status;
    idx->tx_count = (uint32_t)tx_count;
    idx->file = (uint32_t)file;
    idx->data_pos = (uint32_t)data_pos;
    idx->undo_pos = (uint32_t)undo_pos;
    idx->version = h.version;
    idx->merkle_root = h.merkle_root;
    idx->time = h.time;
    idx->bits = h.bits;
    idx->nonce = h.nonce;
    *prev_hash = h.prev_hash;
    return true;
}

static void file_info_encode(struct writer *w, const struct blockfile_info *fi)
{
    write_varint(w, fi->blocks);
    write_varint(w, fi->size);
    write_varint(w, fi->undo_size);
    write_varint(w, (uint64_t)(fi->height_first < 0 ? 0 : fi->height_first));
    write_varint(w, (uint64_t)(fi->height_last < 0 ? 0 : fi->height_last));
    write_varint(w, fi->time_first);
    write_varint(w, fi->time_last);
}

static bool file_info_decode(const uint8_t *data, size_t len, struct blockfile_info *fi)
{
    struct reader r;
    reader_init(&r, data, len);
    uint64_t v[7];
    static const uint64_t max[7] = {UINT32_MAX, UINT32_MAX, UINT32_MAX, INT32_MAX,
                                    INT32_MAX,  UINT32_MAX, UINT32_MAX};
    for (int i = 0; i < 7; i++)
        if (!read_varint(&r, max[i], &v[i])) return false;
    if (reader_remaining(&r) != 0) return false;
    fi->blocks = (uint32_t)v[0];
    fi->size = (uint32_t)v[1];
    fi->undo_size = (uint32_t)v[2];
    fi->height_first = (int32_t)v[3];
    fi->height_last = (int32_t)v[4];
    fi->time_first = (uint32_t)v[5];
    fi->time_last = (uint32_t)v[6];
    return true;
}

/* ---- Persistence ---- */

static void set_errf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_errf(char **err, const char *fmt, ...)
{
    if (!err) return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    free(*err);
    *err = strdup(buf);
}

bool blockindex_batch_put(struct db_batch *b, const struct block_index *idx)
{
    uint8_t key[33];
    key[0] = DB_BLOCK_INDEX;
    memcpy(key + 1, idx->hash.b, 32);
    uint8_t *val;
    size_t len;
    if (!blockindex_encode(idx, &val, &len)) return false;
    db_batch_put(b, key, sizeof(key), val, len);
    free(val);
    return true;
}

void blockindex_batch_put_file_info(struct db_batch *b, uint32_t file,
                                    const struct blockfile_info *info)
{
    uint8_t key[5];
    key[0] = DB_BLOCK_FILES;
    le32_write(key + 1, file);
    struct writer w;
    writer_init(&w);
    file_info_encode(&w, info);
    if (!w.failed) db_batch_put(b, key, sizeof(key), w.data, w.len);
    writer_free(&w);
}

void blockindex_batch_put_last_file(struct db_batch *b, uint32_t file)
{
    uint8_t key = DB_LAST_FILE, val[4];
    le32_write(val, file);
    db_batch_put(b, &key, 1, val, sizeof(val));
}

bool blockindex_flush(struct db *db, struct block_map *m, struct blockstore *bs, bool sync,
                      char **err)
{
    struct db_batch *b = db_batch_new();
    if (!b) {
        set_errf(err, "out of memory");
        return false;
    }
    size_t cursor = 0;
    struct block_index *e;
    while ((e = block_map_next(m, &cursor))) {
        if (!e->dirty || e->height < 0) continue;
        if (!blockindex_batch_put(b, e)) {
            db_batch_free(b);
            set_errf(err, "out of memory");
            return false;
        }
    }
    if (bs) {
        /* Every file's info (a few thousand small records at most): simpler and as
         * cheap as tracking which ones a failed write left unsaved. */
        for (size_t i = 0; i < blockstore_file_count(bs); i++)
            blockindex_batch_put_file_info(b, (uint32_t)i,
                                           blockstore_file_info(bs, (uint32_t)i));
        blockindex_batch_put_last_file(b, blockstore_last_file(bs));
    }
    bool ok = db_write(db, b, sync, err);
    db_batch_free(b);
    if (!ok) return false;
    cursor = 0;
    while ((e = block_map_next(m, &cursor))) e->dirty = false;
    if (bs) {
        uint32_t tmp[64];
        while (blockstore_take_dirty(bs, tmp, 64) == 64) {
        }
    }
    return true;
}

static int cmp_height(const void *a, const void *b)
{
    const struct block_index *x = *(struct block_index *const *)a;
    const struct block_index *y = *(struct block_index *const *)b;
    return (x->height > y->height) - (x->height < y->height);
}

bool blockindex_load(struct db *db, struct block_map *m, const uint256 *pow_limit, char **err)
{
    if (err) *err = NULL;
    struct db_iter *it = db_iter_new(db);
    if (!it) {
        set_errf(err, "out of memory");
        return false;
    }
    bool ok = false;
    char hex[65];
    uint8_t start = DB_BLOCK_INDEX;
    size_t loaded = 0;
    for (db_iter_seek(it, &start, 1); db_iter_valid(it); db_iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *key = db_iter_key(it, &klen);
        if (klen < 1 || key[0] != DB_BLOCK_INDEX) break;
        const uint8_t *val = db_iter_value(it, &vlen);
        if (klen != 33) {
            set_errf(err, "corrupt block index: key of %zu bytes", klen);
            goto out;
        }
        uint256 hash, prev_hash, computed;
        memcpy(hash.b, key + 1, 32);
        uint256_to_hex(hex, &hash);
        struct block_index tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (!blockindex_decode(val, vlen, &tmp, &prev_hash)) {
            set_errf(err, "corrupt block index entry %s", hex);
            goto out;
        }
        struct block_header h = {tmp.version, prev_hash, tmp.merkle_root,
                                 tmp.time,    tmp.bits,  tmp.nonce};
        block_header_hash(&h, &computed);
        if (uint256_cmp(&computed, &hash) != 0) {
            set_errf(err, "corrupt block index: entry %s holds another header", hex);
            goto out;
        }
        if (!check_proof_of_work(&hash, h.bits, pow_limit)) {
            set_errf(err, "corrupt block index: %s fails its proof of work", hex);
            goto out;
        }
        /* LevelDB keys are unique, so each hash comes once; the entry may already
         * exist as a placeholder created for a child's parent link. */
        struct block_index *e = block_map_insert(m, &hash, NULL);
        if (!e) {
            set_errf(err, "out of memory");
            goto out;
        }
        struct block_index *prev = NULL;
        if (!uint256_is_zero(&prev_hash)) {
            prev = block_map_insert(m, &prev_hash, NULL);
            if (!prev) {
                set_errf(err, "out of memory");
                goto out;
            }
        }
        tmp.hash = hash;
        tmp.prev = prev;
        *e = tmp;
        loaded++;
    }
    char *ierr = db_iter_error(it);
    if (ierr) {
        set_errf(err, "reading block index: %s", ierr);
        free(ierr);
        goto out;
    }

    /* Every referenced parent must have its own record; then link in height order. */
    struct block_index **all = malloc((m->count ? m->count : 1) * sizeof(*all));
    if (!all) {
        set_errf(err, "out of memory");
        goto out;
    }
    size_t n = 0, cursor = 0;
    struct block_index *e;
    while ((e = block_map_next(m, &cursor))) all[n++] = e;
    if (n != loaded) {
        free(all);
        set_errf(err, "corrupt block index: %zu parents have no entry", n - loaded);
        goto out;
    }
    qsort(all, n, sizeof(*all), cmp_height);
    for (size_t i = 0; i < n; i++) {
        e = all[i];
        if ((e->prev && e->prev->height != e->height - 1) || (!e->prev && e->height != 0)) {
            uint256_to_hex(hex, &e->hash);
            free(all);
            set_errf(err, "corrupt block index: height of %s does not follow its parent", hex);
            goto out;
        }
        link_entry(e);
        e->dirty = false;
    }
    free(all);
    ok = true;
out:
    db_iter_free(it);
    return ok;
}

bool blockindex_load_files(struct db *db, struct blockfile_info **files, size_t *count,
                           uint32_t *last, char **err)
{
    if (err) *err = NULL;
    *files = NULL;
    *count = 0;
    *last = 0;
    uint8_t lkey = DB_LAST_FILE, *val = NULL;
    size_t vlen;
    if (!db_read(db, &lkey, 1, &val, &vlen, err)) return err == NULL || *err == NULL;
    if (vlen != 4 || le32_read(val) >= MAX_BLOCK_FILES) {
        free(val);
        set_errf(err, "corrupt block index: bad last file record");
        return false;
    }
    uint32_t l = le32_read(val);
    free(val);
    struct blockfile_info *fi = calloc((size_t)l + 1, sizeof(*fi));
    if (!fi) {
        set_errf(err, "out of memory");
        return false;
    }
    for (uint32_t i = 0; i <= l; i++) {
        uint8_t key[5];
        key[0] = DB_BLOCK_FILES;
        le32_write(key + 1, i);
        if (!db_read(db, key, sizeof(key), &val, &vlen, err)) {
            if (err && *err) {
                free(fi);
                return false;
            }
            continue; /* a file without a record holds nothing yet */
        }
        bool good = file_info_decode(val, vlen, &fi[i]);
        free(val);
        if (!good) {
            free(fi);
            set_errf(err, "corrupt block index: bad info for file %u", (unsigned)i);
            return false;
        }
    }
    *files = fi;
    *count = (size_t)l + 1;
    *last = l;
    return true;
}

bool blockindex_write_reindexing(struct db *db, bool reindexing, char **err)
{
    struct db_batch *b = db_batch_new();
    if (!b) {
        set_errf(err, "out of memory");
        return false;
    }
    uint8_t key = DB_REINDEX_FLAG, one = '1';
    if (reindexing)
        db_batch_put(b, &key, 1, &one, 1);
    else
        db_batch_delete(b, &key, 1);
    bool ok = db_write(db, b, true, err);
    db_batch_free(b);
    return ok;
}

bool blockindex_is_reindexing(struct db *db)
{
    uint8_t key = DB_REINDEX_FLAG;
    return db_exists(db, &key, 1);
}
