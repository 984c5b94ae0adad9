/* LevelDB wrapper: options as Bitcoin Core sets them, obfuscation of values, batches
 * that can be built before the database is known.
 *
 * A batch is a plain leveldb_writebatch_t of unobfuscated values. db_write writes it as
 * it is when the database has no obfuscation key, and otherwise replays it (LevelDB's
 * writebatch_iterate) into a second batch with every value XORed. That costs one copy
 * per write but keeps db_batch_new free of a database argument, and the XOR has to copy
 * anyway since LevelDB's batches are append-only. */
#include "chain/dbwrapper.h"

#include <errno.h>
#include <fcntl.h>
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Core's DBWRAPPER_MAX_FILE_SIZE: fewer, larger table files than LevelDB's 2 MiB. */
#define DB_MAX_FILE_SIZE  (32u << 20)
#define DB_MAX_OPEN_FILES 64
/* LevelDB's WriteBatch header: an 8-byte sequence number and a 4-byte count. */
#define DB_BATCH_HEADER 12

struct db {
    leveldb_t *ldb;
    leveldb_options_t *opts;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *ropts;      /* point reads: checksums verified */
    leveldb_readoptions_t *iter_ropts; /* scans: checksums verified, block cache not filled */
    leveldb_writeoptions_t *wopts;
    leveldb_writeoptions_t *wopts_sync;
    uint8_t xor_key[OBFUSCATE_KEY_LEN];
    bool obfuscated; /* xor_key is not all zero */
};

struct db_batch {
    leveldb_writebatch_t *wb;
    size_t size_estimate;
    size_t count;
};

/* Scratch space for deobfuscated values, kept apart so a const iterator can fill it. */
struct iter_scratch {
    uint8_t *buf;
    size_t cap;
};

struct db_iter {
    const struct db *db;
    leveldb_iterator_t *it;
    struct iter_scratch *scratch;
};

static void set_err(char **err, const char *prefix, const char *msg)
{
    if (!err) return;
    size_t need = strlen(prefix) + strlen(msg) + 3;
    char *s = malloc(need);
    if (s) snprintf(s, need, "%s%s%s", prefix, *prefix ? ": " : "", msg);
    *err = s;
}

/* Takes over a LevelDB error string (freeing it) into *err. */
static void take_ldb_err(char **err, const char *prefix, char *lerr)
{
    set_err(err, prefix, lerr);
    leveldb_free(lerr);
}

static void xor_value(const struct db *db, uint8_t *v, size_t len)
{
    if (!db->obfuscated) return;
    for (size_t i = 0; i < len; i++) v[i] ^= db->xor_key[i % OBFUSCATE_KEY_LEN];
}

static bool random_bytes(uint8_t *out, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(out + got, len - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        got += (size_t)r;
    }
    return true;
}

static void db_free_handles(struct db *db)
{
    if (db->ldb) leveldb_close(db->ldb);
    if (db->opts) leveldb_options_destroy(db->opts);
    if (db->filter) leveldb_filterpolicy_destroy(db->filter);
    if (db->cache) leveldb_cache_destroy(db->cache);
    if (db->ropts) leveldb_readoptions_destroy(db->ropts);
    if (db->iter_ropts) leveldb_readoptions_destroy(db->iter_ropts);
    if (db->wopts) leveldb_writeoptions_destroy(db->wopts);
    if (db->wopts_sync) leveldb_writeoptions_destroy(db->wopts_sync);
    free(db);
}

/* Reads the stored obfuscation key, or creates one if the database is new. */
static bool load_obfuscate_key(struct db *db, char **err)
{
    uint8_t *val = NULL;
    size_t vlen = 0;
    char *lerr = NULL;
    /* The key is stored unobfuscated, so read it before xor_key is set. */
    db->obfuscated = false;
    memset(db->xor_key, 0, sizeof db->xor_key);
    if (db_read(db, OBFUSCATE_KEY_KEY, OBFUSCATE_KEY_KEY_LEN, &val, &vlen, &lerr)) {
        bool ok = vlen == 1 + OBFUSCATE_KEY_LEN && val[0] == OBFUSCATE_KEY_LEN;
        if (ok) memcpy(db->xor_key, val + 1, OBFUSCATE_KEY_LEN);
        free(val);
        if (!ok) {
            set_err(err, "", "corrupt obfuscation key record");
            return false;
        }
    } else if (lerr) {
        set_err(err, "reading obfuscation key", lerr);
        free(lerr);
        return false;
    } else if (db_is_empty(db)) {
        uint8_t rec[1 + OBFUSCATE_KEY_LEN];
        rec[0] = OBFUSCATE_KEY_LEN;
        if (!random_bytes(rec + 1, OBFUSCATE_KEY_LEN)) {
            set_err(err, "", "cannot get random bytes for the obfuscation key");
            return false;
        }
        leveldb_put(db->ldb, db->wopts_sync, OBFUSCATE_KEY_KEY, OBFUSCATE_KEY_KEY_LEN,
                    (const char *)rec, sizeof rec, &lerr);
        if (lerr) {
            take_ldb_err(err, "writing obfuscation key", lerr);
            return false;
        }
        memcpy(db->xor_key, rec + 1, OBFUSCATE_KEY_LEN);
    }
    /* else: an old database with data but no key keeps the zero key. */
    for (size_t i = 0; i < OBFUSCATE_KEY_LEN; i++)
        if (db->xor_key[i]) db->obfuscated = true;
    return true;
}

struct db *db_open(const char *path, size_t cache_bytes, bool wipe, char **err)
{
    if (err) *err = NULL;
    struct db *db = calloc(1, sizeof *db);
    if (!db) {
        set_err(err, "", "out of memory");
        return NULL;
    }
    db->opts = leveldb_options_create();
    db->cache = leveldb_cache_create_lru(cache_bytes / 2);
    db->filter = leveldb_filterpolicy_create_bloom(10);
    leveldb_options_set_cache(db->opts, db->cache);
    leveldb_options_set_filter_policy(db->opts, db->filter);
    /* LevelDB clamps the write buffer to at least 64 KiB itself. */
    leveldb_options_set_write_buffer_size(db->opts, cache_bytes / 4);
    leveldb_options_set_max_file_size(db->opts, DB_MAX_FILE_SIZE);
    leveldb_options_set_max_open_files(db->opts, DB_MAX_OPEN_FILES);
    leveldb_options_set_compression(db->opts, leveldb_no_compression);
    leveldb_options_set_paranoid_checks(db->opts, 1);
    leveldb_options_set_create_if_missing(db->opts, 1);
    db->ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(db->ropts, 1);
    db->iter_ropts = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(db->iter_ropts, 1);
    leveldb_readoptions_set_fill_cache(db->iter_ropts, 0);
    db->wopts = leveldb_writeoptions_create();
    db->wopts_sync = leveldb_writeoptions_create();
    leveldb_writeoptions_set_sync(db->wopts_sync, 1);

    char *lerr = NULL;
    if (wipe) {
        leveldb_destroy_db(db->opts, path, &lerr);
        if (lerr) {
            take_ldb_err(err, "cannot wipe database", lerr);
            db_free_handles(db);
            return NULL;
        }
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        char msg[256];
        snprintf(msg, sizeof msg, "cannot create directory %s: %s", path, strerror(errno));
        set_err(err, "", msg);
        db_free_handles(db);
        return NULL;
    }
    db->ldb = leveldb_open(db->opts, path, &lerr);
    if (!db->ldb) {
        if (lerr)
            take_ldb_err(err, "cannot open database", lerr);
        else
            set_err(err, "cannot open database", path);
        db_free_handles(db);
        return NULL;
    }
    if (!load_obfuscate_key(db, err)) {
        db_free_handles(db);
        return NULL;
    }
    return db;
}

void db_close(struct db *db)
{
    if (db) db_free_handles(db);
}

bool db_read(struct db *db, const void *key, size_t klen, uint8_t **val, size_t *vlen,
             char **err)
{
    char *lerr = NULL;
    size_t len = 0;
    *val = NULL;
    *vlen = 0;
    if (err) *err = NULL;
    char *v = leveldb_get(db->ldb, db->ropts, key, klen, &len, &lerr);
    if (lerr) {
        take_ldb_err(err, "database read error", lerr);
        if (v) leveldb_free(v);
        return false;
    }
    if (!v) return false;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        leveldb_free(v);
        set_err(err, "", "out of memory");
        return false;
    }
    memcpy(copy, v, len);
    leveldb_free(v);
    xor_value(db, copy, len);
    *val = copy;
    *vlen = len;
    return true;
}

bool db_exists(struct db *db, const void *key, size_t klen)
{
    char *lerr = NULL;
    size_t len = 0;
    char *v = leveldb_get(db->ldb, db->ropts, key, klen, &len, &lerr);
    if (lerr) leveldb_free(lerr);
    if (!v) return false;
    leveldb_free(v);
    return true;
}

/* ---- Batches ---- */

static size_t varint32_len(size_t v)
{
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

struct db_batch *db_batch_new(void)
{
    struct db_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->wb = leveldb_writebatch_create();
    b->size_estimate = DB_BATCH_HEADER;
    return b;
}

void db_batch_free(struct db_batch *b)
{
    if (!b) return;
    leveldb_writebatch_destroy(b->wb);
    free(b);
}

void db_batch_put(struct db_batch *b, const void *key, size_t klen, const void *val,
                  size_t vlen)
{
    leveldb_writebatch_put(b->wb, key, klen, val, vlen);
    b->size_estimate += 1 + varint32_len(klen) + klen + varint32_len(vlen) + vlen;
    b->count++;
}

void db_batch_delete(struct db_batch *b, const void *key, size_t klen)
{
    leveldb_writebatch_delete(b->wb, key, klen);
    b->size_estimate += 1 + varint32_len(klen) + klen;
    b->count++;
}

void db_batch_clear(struct db_batch *b)
{
    leveldb_writebatch_clear(b->wb);
    b->size_estimate = DB_BATCH_HEADER;
    b->count = 0;
}

size_t db_batch_size_estimate(const struct db_batch *b) { return b->size_estimate; }
size_t db_batch_count(const struct db_batch *b) { return b->count; }

struct xor_replay {
    const struct db *db;
    leveldb_writebatch_t *out;
    uint8_t *buf;
    size_t cap;
    bool oom;
};

static void replay_put(void *state, const char *k, size_t klen, const char *v, size_t vlen)
{
    struct xor_replay *x = state;
    if (x->oom) return;
    if (vlen > x->cap) {
        size_t cap = vlen > 2 * x->cap ? vlen : 2 * x->cap;
        uint8_t *nb = realloc(x->buf, cap);
        if (!nb) {
            x->oom = true;
            return;
        }
        x->buf = nb;
        x->cap = cap;
    }
    if (vlen) memcpy(x->buf, v, vlen);
    xor_value(x->db, x->buf, vlen);
    leveldb_writebatch_put(x->out, k, klen, (const char *)x->buf, vlen);
}

static void replay_delete(void *state, const char *k, size_t klen)
{
    struct xor_replay *x = state;
    if (!x->oom) leveldb_writebatch_delete(x->out, k, klen);
}

bool db_write(struct db *db, struct db_batch *b, bool sync, char **err)
{
    char *lerr = NULL;
    if (err) *err = NULL;
    leveldb_writeoptions_t *wo = sync ? db->wopts_sync : db->wopts;
    if (!db->obfuscated) {
        leveldb_write(db->ldb, wo, b->wb, &lerr);
    } else {
        struct xor_replay x = {.db = db, .out = leveldb_writebatch_create()};
        leveldb_writebatch_iterate(b->wb, &x, replay_put, replay_delete);
        if (!x.oom) leveldb_write(db->ldb, wo, x.out, &lerr);
        leveldb_writebatch_destroy(x.out);
        free(x.buf);
        if (x.oom) {
            set_err(err, "", "out of memory");
            return false;
        }
    }
    if (lerr) {
        take_ldb_err(err, "database write error", lerr);
        return false;
    }
    return true;
}

/* ---- Iterators ---- */

struct db_iter *db_iter_new(struct db *db)
{
    struct db_iter *it = calloc(1, sizeof *it);
    if (!it) return NULL;
    it->scratch = calloc(1, sizeof *it->scratch);
    if (!it->scratch) {
        free(it);
        return NULL;
    }
    it->db = db;
    it->it = leveldb_create_iterator(db->ldb, db->iter_ropts);
    return it;
}

void db_iter_free(struct db_iter *it)
{
    if (!it) return;
    leveldb_iter_destroy(it->it);
    free(it->scratch->buf);
    free(it->scratch);
    free(it);
}

void db_iter_seek(struct db_iter *it, const void *key, size_t klen)
{
    leveldb_iter_seek(it->it, key, klen);
}

void db_iter_seek_to_first(struct db_iter *it) { leveldb_iter_seek_to_first(it->it); }

bool db_iter_valid(const struct db_iter *it) { return leveldb_iter_valid(it->it) != 0; }

void db_iter_next(struct db_iter *it) { leveldb_iter_next(it->it); }

const uint8_t *db_iter_key(const struct db_iter *it, size_t *len)
{
    return (const uint8_t *)leveldb_iter_key(it->it, len);
}

const uint8_t *db_iter_value(const struct db_iter *it, size_t *len)
{
    size_t vlen = 0;
    const uint8_t *v = (const uint8_t *)leveldb_iter_value(it->it, &vlen);
    *len = vlen;
    if (!it->db->obfuscated) return v;
    struct iter_scratch *s = it->scratch;
    if (vlen > s->cap || !s->buf) {
        size_t cap = vlen > 2 * s->cap ? vlen : 2 * s->cap;
        if (cap == 0) cap = 64;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            *len = 0;
            return NULL;
        }
        s->buf = nb;
        s->cap = cap;
    }
    if (vlen) memcpy(s->buf, v, vlen);
    xor_value(it->db, s->buf, vlen);
    return s->buf;
}

char *db_iter_error(const struct db_iter *it)
{
    char *lerr = NULL;
    leveldb_iter_get_error(it->it, &lerr);
    if (!lerr) return NULL;
    char *out = NULL;
    take_ldb_err(&out, "database iteration error", lerr);
    return out;
}

/* ---- Maintenance ---- */

void db_compact_range(struct db *db, const void *begin, size_t blen, const void *end,
                      size_t elen)
{
    leveldb_compact_range(db->ldb, begin, begin ? blen : 0, end, end ? elen : 0);
}

uint64_t db_estimate_size(struct db *db, const void *begin, size_t blen, const void *end,
                          size_t elen)
{
    const char *starts[1] = {begin};
    const char *limits[1] = {end};
    size_t slens[1] = {blen}, llens[1] = {elen};
    uint64_t sizes[1] = {0};
    leveldb_approximate_sizes(db->ldb, 1, starts, slens, limits, llens, sizes);
    return sizes[0];
}

bool db_is_empty(struct db *db)
{
    leveldb_iterator_t *it = leveldb_create_iterator(db->ldb, db->iter_ropts);
    leveldb_iter_seek_to_first(it);
    size_t klen = 0;
    if (leveldb_iter_valid(it)) {
        const char *k = leveldb_iter_key(it, &klen);
        if (klen == OBFUSCATE_KEY_KEY_LEN && memcmp(k, OBFUSCATE_KEY_KEY, klen) == 0)
            leveldb_iter_next(it);
    }
    bool empty = !leveldb_iter_valid(it);
    leveldb_iter_destroy(it);
    return empty;
}

void db_obfuscate_key(const struct db *db, uint8_t out[OBFUSCATE_KEY_LEN])
{
    memcpy(out, db->xor_key, OBFUSCATE_KEY_LEN);
}
