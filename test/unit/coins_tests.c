/* The LevelDB wrapper, the UTXO set (coin encoding, chainstate table, cache) and undo
 * data.
 *
 * Everything runs against real LevelDB databases in a fresh temporary directory that is
 * removed afterwards. The end-to-end vector is Bitcoin mainnet blocks 1 to 255: connected
 * through undo_apply_block, flushed along the way, then disconnected in reverse with
 * their undo data until the set is empty again. A randomized run (fixed seed) checks
 * the cache against a plain reference model across flushes, dropped caches and reopened
 * databases. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include "chain/coins.h"
#include "chain/dbwrapper.h"
#include "chain/undo.h"
#include "consensus/block.h"
#include "consensus/script.h"
#include "test_util.h"

#define MAINNET_FILE "mainnet/blocks-1-255.dat"
#define GENESIS_HASH "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
#define TIP_255_HASH "00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c"
#define DB_CACHE     (4u << 20)

/* ---- Temporary directories ---- */

static int setup_dir(void **state)
{
    char *tmpl = strdup("/tmp/iop-coins-XXXXXX");
    if (!tmpl || !mkdtemp(tmpl)) {
        free(tmpl);
        return -1;
    }
    *state = tmpl;
    return 0;
}

static int teardown_dir(void **state)
{
    char *dir = *state;
    test_remove_tree(dir);
    free(dir);
    return 0;
}

/* dir/name in a static buffer. */
static const char *sub(void **state, const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", (const char *)*state, name);
    return buf;
}

static struct db *open_db(const char *path, bool wipe)
{
    char *err = NULL;
    struct db *db = db_open(path, DB_CACHE, wipe, &err);
    if (!db) fail_msg("db_open %s: %s", path, err ? err : "?");
    assert_null(err);
    return db;
}

static struct coins_db *open_coins(const char *path, bool wipe)
{
    char *err = NULL;
    struct coins_db *cdb = coins_db_open(path, DB_CACHE, wipe, &err);
    if (!cdb) fail_msg("coins_db_open %s: %s", path, err ? err : "?");
    return cdb;
}

static void put1(struct db *db, const char *k, const char *v)
{
    struct db_batch *b = db_batch_new();
    char *err = NULL;
    db_batch_put(b, k, strlen(k), v, strlen(v));
    assert_true(db_write(db, b, false, &err));
    db_batch_free(b);
}

static void expect_val(struct db *db, const char *k, const char *v)
{
    uint8_t *val = NULL;
    size_t vlen = 0;
    char *err = NULL;
    bool found = db_read(db, k, strlen(k), &val, &vlen, &err);
    assert_null(err);
    if (!v) {
        assert_false(found);
        assert_null(val);
        assert_false(db_exists(db, k, strlen(k)));
        return;
    }
    assert_true(found);
    assert_true(db_exists(db, k, strlen(k)));
    assert_int_equal(vlen, strlen(v));
    assert_memory_equal(val, v, vlen);
    free(val);
}

/* ---- dbwrapper ---- */

static void test_db_roundtrip(void **state)
{
    struct db *db = open_db(sub(state, "db"), false);
    expect_val(db, "missing", NULL);
    put1(db, "alpha", "one");
    put1(db, "beta", "");
    expect_val(db, "alpha", "one");
    expect_val(db, "beta", "");
    put1(db, "alpha", "uno"); /* overwrite */
    expect_val(db, "alpha", "uno");
    /* Binary keys and values with NULs. */
    const uint8_t k[] = {0, 1, 0, 2}, v[] = {0, 0, 0xff, 0};
    struct db_batch *b = db_batch_new();
    char *err = NULL;
    db_batch_put(b, k, sizeof k, v, sizeof v);
    db_batch_delete(b, "alpha", 5);
    db_batch_delete(b, "never-there", 11);
    assert_int_equal(db_batch_count(b), 3);
    assert_true(db_write(db, b, true, &err));
    db_batch_free(b);
    uint8_t *val;
    size_t vlen;
    assert_true(db_read(db, k, sizeof k, &val, &vlen, &err));
    assert_int_equal(vlen, sizeof v);
    assert_memory_equal(val, v, sizeof v);
    free(val);
    expect_val(db, "alpha", NULL);
    expect_val(db, "beta", "");
    db_close(db);
    db_close(NULL);
    db_batch_free(NULL);
    db_iter_free(NULL);
}

static void test_db_batch(void **state)
{
    struct db *db = open_db(sub(state, "db"), false);
    struct db_batch *b = db_batch_new();
    size_t est = db_batch_size_estimate(b);
    assert_int_equal(est, 12);
    char key[32], val[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%04d", i);
        snprintf(val, sizeof val, "v%d", i * 7);
        db_batch_put(b, key, strlen(key), val, strlen(val));
        size_t now = db_batch_size_estimate(b);
        assert_int_equal(now, est + 1 + 1 + strlen(key) + 1 + strlen(val));
        est = now;
    }
    /* A later operation on the same key wins, inside one batch. */
    db_batch_delete(b, "k0005", 5);
    db_batch_put(b, "k0006", 5, "last", 4);
    /* Nothing is visible before the write. */
    expect_val(db, "k0000", NULL);
    char *err = NULL;
    assert_true(db_write(db, b, true, &err));
    expect_val(db, "k0000", "v0");
    expect_val(db, "k0999", "v6993");
    expect_val(db, "k0005", NULL);
    expect_val(db, "k0006", "last");
    /* The batch is unchanged by db_write and can be written again (or elsewhere). */
    assert_int_equal(db_batch_count(b), 1002);
    db_batch_clear(b);
    assert_int_equal(db_batch_count(b), 0);
    assert_int_equal(db_batch_size_estimate(b), 12);
    assert_true(db_write(db, b, false, &err)); /* empty batch */
    db_batch_free(b);

    /* A second handle on an open database fails cleanly with a message (the lock). */
    struct db *again = db_open(sub(state, "db"), DB_CACHE, false, &err);
    assert_null(again);
    assert_non_null(err);
    free(err);
    db_close(db);

    /* A path whose parent does not exist. */
    err = NULL;
    assert_null(db_open(sub(state, "no/such/dir"), DB_CACHE, false, &err));
    assert_non_null(err);
    free(err);
}

static int cmp_keys(const void *a, const void *b)
{
    const uint8_t *x = a, *y = b;
    return memcmp(x, y, 3);
}

static void test_db_iteration(void **state)
{
    struct db *db = open_db(sub(state, "db"), false);
    /* 300 three-byte keys inserted in a scrambled order. */
    uint8_t keys[300][3];
    uint32_t s = 12345;
    struct db_batch *b = db_batch_new();
    for (int i = 0; i < 300; i++) {
        s = s * 1103515245u + 12345u;
        keys[i][0] = (uint8_t)('a' + (s >> 16) % 3);
        keys[i][1] = (uint8_t)i;
        keys[i][2] = (uint8_t)(i >> 8);
        db_batch_put(b, keys[i], 3, &keys[i][1], 2);
    }
    char *err = NULL;
    assert_true(db_write(db, b, false, &err));
    db_batch_free(b);
    qsort(keys, 300, 3, cmp_keys);

    struct db_iter *it = db_iter_new(db);
    assert_false(db_iter_valid(it));
    size_t n = 0;
    db_iter_seek(it, "a", 1);
    for (; db_iter_valid(it); db_iter_next(it), n++) {
        size_t klen, vlen;
        const uint8_t *k = db_iter_key(it, &klen);
        const uint8_t *v = db_iter_value(it, &vlen);
        assert_int_equal(klen, 3);
        assert_int_equal(vlen, 2);
        assert_memory_equal(k, keys[n], 3);
        assert_memory_equal(v, &keys[n][1], 2);
    }
    assert_int_equal(n, 300);
    assert_null(db_iter_error(it));
    /* Seek lands on the first key >= the target. */
    db_iter_seek(it, "b", 1);
    assert_true(db_iter_valid(it));
    size_t klen;
    assert_int_equal(db_iter_key(it, &klen)[0], 'b');
    db_iter_seek(it, "d", 1);
    assert_false(db_iter_valid(it));
    /* The obfuscation key record sorts first of all. */
    db_iter_seek_to_first(it);
    assert_true(db_iter_valid(it));
    const uint8_t *k0 = db_iter_key(it, &klen);
    assert_int_equal(klen, OBFUSCATE_KEY_KEY_LEN);
    assert_memory_equal(k0, OBFUSCATE_KEY_KEY, klen);
    db_iter_free(it);
    db_close(db);
}

/* True when needle occurs in any regular file under dir. */
static bool dir_contains(const char *dir, const uint8_t *needle, size_t nlen)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        uint8_t *data = test_read_file(path, &len);
        if (!data) continue;
        for (size_t i = 0; i + nlen <= len && !found; i++)
            if (memcmp(data + i, needle, nlen) == 0) found = true;
        free(data);
    }
    closedir(d);
    return found;
}

static void test_db_reopen_wipe_obfuscate(void **state)
{
    const char *p = sub(state, "db");
    char path[512];
    snprintf(path, sizeof path, "%s", p);
    static const char secret[] = "a value that must not appear in plain on disk";
    struct db *db = open_db(path, false);
    uint8_t key1[OBFUSCATE_KEY_LEN], key2[OBFUSCATE_KEY_LEN], zero[OBFUSCATE_KEY_LEN] = {0};
    db_obfuscate_key(db, key1);
    assert_memory_not_equal(key1, zero, OBFUSCATE_KEY_LEN);
    assert_true(db_is_empty(db));
    put1(db, "persist", secret);
    assert_false(db_is_empty(db));
    db_close(db);
    assert_false(dir_contains(path, (const uint8_t *)secret, strlen(secret)));
    assert_true(dir_contains(path, (const uint8_t *)"persist", 7)); /* keys are plain */

    /* Reopen: same data, same key. */
    db = open_db(path, false);
    db_obfuscate_key(db, key2);
    assert_memory_equal(key1, key2, OBFUSCATE_KEY_LEN);
    expect_val(db, "persist", secret);
    /* Values come back deobfuscated through iterators too. */
    struct db_iter *it = db_iter_new(db);
    db_iter_seek(it, "persist", 7);
    assert_true(db_iter_valid(it));
    size_t vlen;
    const uint8_t *v = db_iter_value(it, &vlen);
    assert_int_equal(vlen, strlen(secret));
    assert_memory_equal(v, secret, vlen);
    db_iter_free(it);
    db_close(db);

    /* Wipe: empty, with a new key. */
    db = open_db(path, true);
    expect_val(db, "persist", NULL);
    assert_true(db_is_empty(db));
    db_obfuscate_key(db, key2);
    assert_memory_not_equal(key1, key2, OBFUSCATE_KEY_LEN);
    db_close(db);
}

/* A database holding data but no obfuscation key (as an old Core wrote) is read with
 * the zero key; a corrupt key record is an error. */
static void test_db_legacy_and_corrupt_key(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", sub(state, "db"));
    struct db *db = open_db(path, false);
    put1(db, "x", "plain");
    struct db_batch *b = db_batch_new();
    db_batch_delete(b, OBFUSCATE_KEY_KEY, OBFUSCATE_KEY_KEY_LEN);
    char *err = NULL;
    assert_true(db_write(db, b, true, &err));
    db_close(db);
    /* "plain" was stored XORed with the old key; it now reads as raw bytes. */
    db = open_db(path, false);
    uint8_t zero[OBFUSCATE_KEY_LEN] = {0}, k[OBFUSCATE_KEY_LEN];
    db_obfuscate_key(db, k);
    assert_memory_equal(k, zero, OBFUSCATE_KEY_LEN);
    put1(db, "y", "plain");
    expect_val(db, "y", "plain");
    db_batch_clear(b);
    db_batch_put(b, OBFUSCATE_KEY_KEY, OBFUSCATE_KEY_KEY_LEN,
                 "\x07"
                 "1234567",
                 8);
    assert_true(db_write(db, b, true, &err));
    db_batch_free(b);
    db_close(db);
    assert_null(db_open(path, DB_CACHE, false, &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "obfuscation"));
    free(err);
}

/* ---- Encodings ---- */

static void hexbuf(char *out, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
    out[2 * n] = 0;
}

static void test_varint(void **state)
{
    (void)state;
    /* Core's serialize_tests varints_bitpatterns. */
    static const struct {
        uint64_t v;
        const char *hex;
    } cases[] = {
        {0, "00"},
        {0x7f, "7f"},
        {0x80, "8000"},
        {0x1234, "a334"},
        {0xffff, "82fe7f"},
        {0x123456, "c7e756"},
        {0x80123456, "86ffc7e756"},
        {0xffffffff, "8efefefe7f"},
        {0x7fffffffffffffffull, "fefefefefefefefe7f"},
        {0xffffffffffffffffull, "80fefefefefefefefe7f"},
        {3000000000ull, "8a95c0bb00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct writer w;
        writer_init(&w);
        coins_write_varint(&w, cases[i].v);
        char hex[64];
        hexbuf(hex, w.data, w.len);
        assert_string_equal(hex, cases[i].hex);
        struct reader r;
        uint64_t back;
        reader_init(&r, w.data, w.len);
        assert_true(coins_read_varint(&r, &back, UINT64_MAX));
        assert_true(back == cases[i].v);
        assert_int_equal(reader_remaining(&r), 0);
        /* Bounded: a value above max is refused. */
        if (cases[i].v > UINT32_MAX) {
            reader_init(&r, w.data, w.len);
            assert_false(coins_read_varint(&r, &back, UINT32_MAX));
            assert_true(r.failed);
        }
        /* Every strict prefix is truncated. */
        for (size_t n = 0; n < w.len; n++) {
            reader_init(&r, w.data, n);
            assert_false(coins_read_varint(&r, &back, UINT64_MAX));
        }
        writer_free(&w);
    }
    /* Round trip over many values. */
    for (uint64_t v = 0; v < 100000; v += 7) {
        struct writer w;
        writer_init(&w);
        coins_write_varint(&w, v * v * 131);
        struct reader r;
        uint64_t back;
        reader_init(&r, w.data, w.len);
        assert_true(coins_read_varint(&r, &back, UINT64_MAX));
        assert_true(back == v * v * 131);
        writer_free(&w);
    }
    /* An 11-byte run of continuation bytes overflows 64 bits. */
    static const uint8_t longrun[11] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0x7f};
    struct reader r;
    uint64_t back;
    reader_init(&r, longrun, sizeof longrun);
    assert_false(coins_read_varint(&r, &back, UINT64_MAX));
    test_report_count("varint vectors", sizeof cases / sizeof cases[0]);
}

static void test_amount_compression(void **state)
{
    (void)state;
    /* Core's compress_tests: known answers. */
    assert_true(coins_compress_amount(0) == 0);
    assert_true(coins_compress_amount(1) == 1);
    assert_true(coins_compress_amount(1000000) == 7);   /* CENT */
    assert_true(coins_compress_amount(100000000) == 9); /* COIN */
    assert_true(coins_compress_amount(50 * 100000000ull) == 50);
    assert_true(coins_compress_amount(21000000 * 100000000ull) == 21000000);
    assert_true(coins_compress_amount(50000000) == 48); /* half a coin */
    size_t n = 0;
    uint64_t back;
    for (uint64_t i = 1; i <= 100000; i++, n++) {
        assert_true(coins_decompress_amount(coins_compress_amount(i), &back));
        assert_true(back == i);
        assert_true(coins_decompress_amount(i, &back));
        assert_true(coins_compress_amount(back) == i);
    }
    for (uint64_t c = 1; c <= 100000000ull * 21000000ull; c *= 10)
        for (uint64_t m = 1; m < 10; m++, n++) {
            assert_true(coins_decompress_amount(coins_compress_amount(c * m), &back));
            assert_true(back == c * m);
        }
    /* Codes whose amount does not fit in 64 bits are refused, not wrapped. */
    assert_false(coins_decompress_amount(UINT64_MAX, &back));
    assert_false(coins_decompress_amount(UINT64_MAX - 5, &back));
    test_report_count("amount compression round trips", n);
}

/* Secp256k1's generator G, uncompressed: y is even. */
static const char G_UNCOMPRESSED[] =
    "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
/* -G, uncompressed: y = p - y(G) is odd. */
static const char G2_UNCOMPRESSED[] =
    "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    "b7c52588d95c3b9aa25b0403f1eef75702e84bb7597aabe663b82f6f04ef2777";

/* Compresses script, checks the encoding's first byte and length, and reads it back. */
static void script_case(const uint8_t *s, size_t len, int tag, size_t enc_len)
{
    struct writer w;
    writer_init(&w);
    coins_write_script(&w, s, len);
    assert_false(w.failed);
    assert_int_equal(w.len, enc_len);
    if (tag >= 0) assert_int_equal(w.data[0], tag);
    struct reader r;
    reader_init(&r, w.data, w.len);
    uint8_t *back;
    size_t blen;
    assert_true(coins_read_script(&r, &back, &blen));
    assert_int_equal(reader_remaining(&r), 0);
    assert_int_equal(blen, len);
    if (len) assert_memory_equal(back, s, len);
    free(back);
    /* Truncation anywhere is an error, never a crash. */
    for (size_t n = 0; n < w.len; n++) {
        reader_init(&r, w.data, n);
        assert_false(coins_read_script(&r, &back, &blen));
        assert_null(back);
    }
    writer_free(&w);
}

static void test_script_compression(void **state)
{
    (void)state;
    uint8_t s[100];
    /* P2PKH */
    s[0] = OP_DUP, s[1] = OP_HASH160, s[2] = 20;
    memset(s + 3, 0xab, 20);
    s[23] = OP_EQUALVERIFY, s[24] = OP_CHECKSIG;
    script_case(s, 25, 0x00, 21);
    /* P2SH */
    s[0] = OP_HASH160, s[1] = 20, s[22] = OP_EQUAL;
    script_case(s, 23, 0x01, 21);
    /* P2PK with compressed keys (not checked for validity, as Core). */
    s[0] = 33, s[1] = 0x02, s[34] = OP_CHECKSIG;
    memset(s + 2, 0x11, 32);
    script_case(s, 35, 0x02, 33);
    s[1] = 0x03;
    script_case(s, 35, 0x03, 33);
    /* P2PK with valid uncompressed keys: the tag carries y's parity. */
    size_t klen;
    uint8_t *g = test_unhex(G_UNCOMPRESSED, &klen);
    s[0] = 65;
    memcpy(s + 1, g, 65);
    s[66] = OP_CHECKSIG;
    script_case(s, 67, 0x04, 33);
    free(g);
    g = test_unhex(G2_UNCOMPRESSED, &klen);
    memcpy(s + 1, g, 65);
    script_case(s, 67, 0x05, 33);
    /* A 0x04 key off the curve cannot be rebuilt: stored in full. */
    s[40] ^= 1;
    script_case(s, 67, 67 + 6, 68);
    free(g);
    /* Near misses are stored in full: wrong length, hybrid key prefix. */
    s[0] = OP_DUP, s[1] = OP_HASH160, s[2] = 20;
    s[23] = OP_EQUALVERIFY, s[24] = OP_CHECKSIG;
    script_case(s, 26, 26 + 6, 27);
    s[0] = 65, s[1] = 0x06, s[66] = OP_CHECKSIG;
    script_case(s, 67, 67 + 6, 68);
    /* P2WPKH and the empty script. */
    s[0] = 0, s[1] = 20;
    script_case(s, 22, 22 + 6, 23);
    script_case(s, 0, 6, 1);

    /* Special forms: a 0x04/0x05 payload that is no curve x coordinate is corrupt. */
    uint8_t bad[33];
    bad[0] = 0x04;
    memset(bad + 1, 0xff, 32); /* above the field prime */
    struct reader r;
    uint8_t *out;
    size_t olen;
    reader_init(&r, bad, sizeof bad);
    assert_false(coins_read_script(&r, &out, &olen));
    assert_null(out);

    /* An oversized script reads back as OP_RETURN (it was never spendable). */
    size_t big = MAX_SCRIPT_SIZE + 1;
    uint8_t *bs = calloc(1, big);
    struct writer w;
    writer_init(&w);
    coins_write_script(&w, bs, big);
    reader_init(&r, w.data, w.len);
    assert_true(coins_read_script(&r, &out, &olen));
    assert_int_equal(reader_remaining(&r), 0);
    assert_int_equal(olen, 1);
    assert_int_equal(out[0], OP_RETURN);
    free(out);
    writer_free(&w);
    free(bs);
}

static struct coin parse_coin_hex(const char *hex, bool expect_ok)
{
    size_t len;
    uint8_t *d = test_unhex(hex, &len);
    struct reader r;
    reader_init(&r, d, len);
    struct coin c;
    bool ok = coin_deserialize(&r, &c);
    assert_int_equal(ok, expect_ok);
    if (ok) {
        /* Re-serializes to the same bytes. */
        struct writer w;
        writer_init(&w);
        coin_serialize(&w, &c);
        assert_int_equal(w.len, len);
        assert_memory_equal(w.data, d, len);
        writer_free(&w);
    }
    free(d);
    return c;
}

static void test_coin_serialization(void **state)
{
    (void)state;
    /* Core's coins_tests ccoins_serialization. */
    struct coin c =
        parse_coin_hex("97f23c835800816115944e077fe7c803cfa57f29b36bf87c1d35", true);
    assert_false(c.coinbase);
    assert_int_equal(c.height, 203998);
    assert_true(c.out.value == 60000000000LL);
    size_t n;
    uint8_t *want = test_unhex("76a914816115944e077fe7c803cfa57f29b36bf87c1d3588ac", &n);
    assert_int_equal(c.out.script_pubkey_len, n);
    assert_memory_equal(c.out.script_pubkey, want, n);
    free(want);
    coin_clear(&c);

    c = parse_coin_hex("8ddf77bbd123008c988f1a4a4de2161e0f50aac7f17e7f9555caa4", true);
    assert_true(c.coinbase);
    assert_int_equal(c.height, 120891);
    assert_true(c.out.value == 110397);
    want = test_unhex("76a9148c988f1a4a4de2161e0f50aac7f17e7f9555caa488ac", &n);
    assert_int_equal(c.out.script_pubkey_len, n);
    assert_memory_equal(c.out.script_pubkey, want, n);
    free(want);
    coin_clear(&c);

    c = parse_coin_hex("000006", true); /* the smallest coin */
    assert_false(c.coinbase);
    assert_int_equal(c.height, 0);
    assert_true(c.out.value == 0);
    assert_int_equal(c.out.script_pubkey_len, 0);
    coin_clear(&c);

    c = parse_coin_hex("000007", false); /* script runs past the end */
    assert_null(c.out.script_pubkey);
    c = parse_coin_hex("00008a95c0bb00", false); /* 3e9-byte script past the end */
    assert_null(c.out.script_pubkey);
    /* An amount above MAX_MONEY is corrupt. */
    struct writer w;
    writer_init(&w);
    coins_write_varint(&w, 0);
    coins_write_varint(&w, coins_compress_amount((uint64_t)MAX_MONEY + 1));
    coins_write_varint(&w, 6);
    struct reader r;
    reader_init(&r, w.data, w.len);
    assert_false(coin_deserialize(&r, &c));
    writer_free(&w);
}

/* ---- Cache ---- */

static struct outpoint op_of(uint32_t seed, uint32_t n)
{
    struct outpoint op;
    memset(&op, 0, sizeof op);
    uint8_t buf[4];
    le32_write(buf, seed);
    sha256(buf, sizeof buf, op.hash.b);
    op.n = n;
    return op;
}

/* A coin with a P2PKH script derived from seed (owned; coin_clear it). */
static struct coin coin_of(uint32_t seed, int64_t value, uint32_t height, bool cb)
{
    uint8_t s[25] = {OP_DUP, OP_HASH160, 20};
    for (int i = 0; i < 20; i++) s[3 + i] = (uint8_t)(seed + (uint32_t)i);
    s[23] = OP_EQUALVERIFY;
    s[24] = OP_CHECKSIG;
    struct tx_out out = {.value = value, .script_pubkey = s, .script_pubkey_len = 25};
    struct coin c;
    assert_true(coin_set(&c, &out, height, cb));
    return c;
}

static void add_ok(struct coins_cache *cache, const struct outpoint *op, const struct coin *c,
                   bool overwrite)
{
    char *err = NULL;
    if (!coins_cache_add(cache, op, c, overwrite, &err)) fail_msg("add: %s", err);
}

static void flush_ok(struct coins_cache *cache, struct coins_db *cdb, const uint256 *best)
{
    char *err = NULL;
    if (!coins_cache_flush(cache, cdb, best, true, &err)) fail_msg("flush: %s", err);
}

static void test_cache_basics(void **state)
{
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    uint256 best;
    assert_false(coins_db_best_block(cdb, &best));
    struct coins_cache *cache = coins_cache_new(cdb);
    size_t empty_usage = coins_cache_usage(cache);

    struct outpoint a = op_of(1, 0), b = op_of(2, 5), x = op_of(3, 1);
    struct coin ca = coin_of(1, 5000, 10, false), cb = coin_of(2, 7000, 11, true);
    assert_false(coins_cache_have(cache, &a));
    add_ok(cache, &a, &ca, false);
    add_ok(cache, &b, &cb, false);
    assert_true(coins_cache_have(cache, &a));
    assert_true(coins_cache_have_in_cache(cache, &b));
    const struct coin *got = coins_cache_get(cache, &a);
    assert_non_null(got);
    assert_true(coin_equal(got, &ca));
    assert_int_equal(coins_cache_count(cache), 2);
    assert_true(coins_cache_usage(cache) > empty_usage);

    /* Adding over an unspent coin without possible_overwrite is refused. */
    char *err = NULL;
    assert_false(coins_cache_add(cache, &a, &cb, false, &err));
    assert_non_null(err);
    free(err);
    /* With it, the coin is replaced (BIP30 semantics). */
    add_ok(cache, &a, &cb, true);
    assert_true(coin_equal(coins_cache_get(cache, &a), &cb));
    add_ok(cache, &a, &ca, true);

    /* FRESH: x added then spent before any flush leaves no trace. */
    struct coin cx = coin_of(3, 1, 12, false), spent;
    add_ok(cache, &x, &cx, false);
    assert_int_equal(coins_cache_count(cache), 3);
    assert_true(coins_cache_spend(cache, &x, &spent));
    assert_true(coin_equal(&spent, &cx));
    coin_clear(&spent);
    assert_int_equal(coins_cache_count(cache), 2);
    assert_false(coins_cache_spend(cache, &x, NULL));
    assert_false(coins_cache_have(cache, &x));
    assert_null(coins_cache_error(cache));

    /* Unspendable outputs are never added. */
    struct outpoint r = op_of(4, 0);
    uint8_t ret[2] = {OP_RETURN, 0x00};
    struct coin cr = {.out = {.value = 0, .script_pubkey = ret, .script_pubkey_len = 2}};
    add_ok(cache, &r, &cr, false);
    assert_false(coins_cache_have(cache, &r));
    assert_int_equal(coins_cache_count(cache), 2);

    /* Memory accounting follows scripts: a 5,000-byte script adds at least that much. */
    struct outpoint big = op_of(5, 0);
    uint8_t *bigs = calloc(1, 5000);
    struct coin cbig = {.out = {.value = 1, .script_pubkey = bigs, .script_pubkey_len = 5000}};
    size_t before = coins_cache_usage(cache);
    add_ok(cache, &big, &cbig, false);
    assert_true(coins_cache_usage(cache) >= before + 5000);
    assert_true(coins_cache_spend(cache, &big, NULL));
    assert_int_equal(coins_cache_usage(cache), before);
    free(bigs);

    uint256 h1;
    memset(h1.b, 0x42, 32);
    flush_ok(cache, cdb, &h1);
    assert_int_equal(coins_cache_count(cache), 0);
    assert_int_equal(coins_cache_usage(cache), empty_usage);
    assert_true(coins_db_have(cdb, &a));
    assert_true(coins_db_have(cdb, &b));
    assert_false(coins_db_have(cdb, &x));
    assert_true(coins_db_best_block(cdb, &best));
    assert_memory_equal(best.b, h1.b, 32);

    /* A coin read from disk is cached clean; uncache drops it again. */
    got = coins_cache_get(cache, &a);
    assert_non_null(got);
    assert_true(coin_equal(got, &ca));
    assert_int_equal(coins_cache_count(cache), 1);
    coins_cache_uncache(cache, &a);
    assert_int_equal(coins_cache_count(cache), 0);

    /* Spend a disk coin, re-add it (a reorg), spend it again: the deletion must still
     * reach the disk, so the re-added entry must not be FRESH. */
    assert_true(coins_cache_spend(cache, &a, NULL));
    add_ok(cache, &a, &ca, false);
    assert_true(coins_cache_spend(cache, &a, NULL));
    /* DIRTY overwrite of a disk coin. */
    struct coin cb2 = coin_of(9, 9999, 99, false);
    add_ok(cache, &b, &cb2, true);
    /* sync_keep writes but keeps b in memory, clean. */
    assert_true(coins_cache_sync_keep(cache, cdb, NULL, true, &err));
    assert_int_equal(coins_cache_count(cache), 1);
    assert_false(coins_db_have(cdb, &a));
    struct coin disk;
    assert_true(coins_db_get(cdb, &b, &disk, &err));
    assert_true(coin_equal(&disk, &cb2));
    coin_clear(&disk);
    coins_cache_uncache(cache, &b); /* clean now, so it goes */
    assert_int_equal(coins_cache_count(cache), 0);

    /* Flushing to a database the cache is not over is refused. */
    assert_false(coins_cache_flush(cache, NULL, NULL, false, &err));
    free(err);

    coins_cache_free(cache);
    coins_cache_free(NULL);
    coin_clear(&ca);
    coin_clear(&cb);
    coin_clear(&cb2);
    coin_clear(&cx);
    coins_db_close(cdb);
}

static void test_cache_child(void **state)
{
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    struct coins_cache *base = coins_cache_new(cdb);
    struct outpoint a = op_of(1, 0), b = op_of(2, 0), c = op_of(3, 0);
    struct coin ca = coin_of(1, 100, 1, false), cb = coin_of(2, 200, 2, false),
                cc = coin_of(3, 300, 3, false);
    add_ok(base, &a, &ca, false);
    uint256 h;
    memset(h.b, 1, 32);
    flush_ok(base, cdb, &h);
    add_ok(base, &b, &cb, false); /* FRESH in base */

    struct coins_cache *child = coins_cache_new_child(base);
    assert_true(coins_cache_have(child, &a)); /* through base to disk */
    assert_true(coins_cache_spend(child, &a, NULL));
    assert_true(coins_cache_spend(child, &b, NULL));
    add_ok(child, &c, &cc, false);
    struct outpoint d = op_of(4, 0);
    add_ok(child, &d, &cc, false);
    assert_true(coins_cache_spend(child, &d, NULL)); /* never reaches the base */
    /* The base is unchanged until the merge. */
    assert_true(coins_cache_have(base, &a));
    assert_true(coins_cache_have(base, &b));
    assert_false(coins_cache_have(base, &c));
    uint256 h2;
    memset(h2.b, 2, 32);
    coins_cache_set_best_block(child, &h2);
    char *err = NULL;
    assert_true(coins_cache_flush_to_parent(child, &err));
    assert_int_equal(coins_cache_count(child), 0);
    assert_false(coins_cache_have(base, &a));
    assert_false(coins_cache_have(base, &b));
    assert_true(coins_cache_have(base, &c));
    assert_false(coins_cache_have_in_cache(base, &d));
    /* b was FRESH in the base and spent in the child: gone entirely. a is a spent
     * dirty entry (a deletion for the disk); c is new. */
    assert_int_equal(coins_cache_count(base), 2);
    uint256 got;
    coins_cache_best_block(base, &got);
    assert_memory_equal(got.b, h2.b, 32);
    flush_ok(base, cdb, NULL);
    assert_false(coins_db_have(cdb, &a));
    assert_true(coins_db_have(cdb, &c));
    assert_true(coins_db_best_block(cdb, &got));
    assert_memory_equal(got.b, h2.b, 32);
    coins_cache_free(child);
    coins_cache_free(base);
    coin_clear(&ca);
    coin_clear(&cb);
    coin_clear(&cc);
    coins_db_close(cdb);
}

/* Flush, close, reopen: best block and coins agree; a dropped cache loses only what was
 * never flushed; a corrupt record is a read error, not a crash or a missing coin. */
static void test_flush_reopen(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", sub(state, "chainstate"));
    struct coins_db *cdb = open_coins(path, false);
    struct coins_cache *cache = coins_cache_new(cdb);
    struct coin c = coin_of(7, 123456, 77, true);
    for (uint32_t i = 0; i < 500; i++) {
        struct outpoint op = op_of(i, i % 3);
        add_ok(cache, &op, &c, false);
    }
    uint256 h;
    memset(h.b, 0x55, 32);
    flush_ok(cache, cdb, &h);
    for (uint32_t i = 500; i < 600; i++) { /* never flushed */
        struct outpoint op = op_of(i, 0);
        add_ok(cache, &op, &c, false);
    }
    coins_cache_free(cache);
    coins_db_close(cdb);

    cdb = open_coins(path, false);
    uint256 best;
    assert_true(coins_db_best_block(cdb, &best));
    assert_memory_equal(best.b, h.b, 32);
    cache = coins_cache_new(cdb);
    coins_cache_best_block(cache, &best);
    assert_memory_equal(best.b, h.b, 32);
    for (uint32_t i = 0; i < 600; i++) {
        struct outpoint op = op_of(i, i < 500 ? i % 3 : 0);
        const struct coin *got = coins_cache_get(cache, &op);
        if (i < 500) {
            assert_non_null(got);
            assert_true(coin_equal(got, &c));
        } else {
            assert_null(got);
        }
    }
    /* Corrupt one record behind the cache's back. */
    struct outpoint op0 = op_of(0, 0);
    uint8_t key[COINS_DB_KEY_MAX];
    size_t klen = coins_db_key(key, &op0);
    struct db_batch *b = db_batch_new();
    db_batch_put(b, key, klen, "\x00\x00\x07", 3);
    char *err = NULL;
    assert_true(db_write(coins_db_handle(cdb), b, false, &err));
    db_batch_free(b);
    coins_cache_uncache(cache, &op0);
    assert_null(coins_cache_get(cache, &op0));
    assert_non_null(coins_cache_error(cache));
    struct coin tmp;
    assert_false(coins_db_get(cdb, &op0, &tmp, &err));
    assert_non_null(err);
    free(err);
    coins_cache_free(cache);
    coins_db_close(cdb);
    coin_clear(&c);

    /* A chainstate with Core's head-blocks marker is refused. */
    struct db *db = open_db(path, false);
    put1(db, "H", "x");
    db_close(db);
    assert_null(coins_db_open(path, DB_CACHE, false, &err));
    assert_non_null(err);
    free(err);
    /* So is a best-block record that is not 32 bytes. */
    db = open_db(path, false);
    struct db_batch *fix = db_batch_new();
    db_batch_delete(fix, "H", 1);
    db_batch_put(fix, "B", 1, "short", 5);
    assert_true(db_write(db, fix, true, &err));
    db_batch_free(fix);
    db_close(db);
    assert_null(coins_db_open(path, DB_CACHE, false, &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "best-block"));
    free(err);
}

/* ---- Undo data and the 255 mainnet blocks ---- */

struct chain {
    struct block *blocks; /* blocks[0] is block 1 */
    size_t count;
};

static void load_chain(struct chain *ch)
{
    size_t len;
    uint8_t *data = test_read_file(test_vector_path(MAINNET_FILE), &len);
    if (!data) skip();
    ch->blocks = calloc(300, sizeof *ch->blocks);
    ch->count = 0;
    size_t pos = 0;
    while (pos + 8 <= len) {
        assert_memory_equal(data + pos, "\xf9\xbe\xb4\xd9", 4);
        uint32_t blen = le32_read(data + pos + 4);
        assert_true(pos + 8 + blen <= len);
        assert_true(ch->count < 300);
        assert_true(block_from_bytes(&ch->blocks[ch->count], data + pos + 8, blen, true));
        ch->count++;
        pos += 8 + blen;
    }
    free(data);
    assert_int_equal(ch->count, 255);
}

static void free_chain(struct chain *ch)
{
    for (size_t i = 0; i < ch->count; i++) block_clear(&ch->blocks[i]);
    free(ch->blocks);
}

/* The whole stored set as one canonical byte string (keys and values in key order). */
static bool snap_one(void *ctx, const struct outpoint *op, const struct coin *c)
{
    struct writer *w = ctx;
    write_bytes(w, op->hash.b, 32);
    write_u32(w, op->n);
    coin_serialize(w, c);
    return true;
}

static struct writer snapshot(struct coins_db *cdb)
{
    struct writer w;
    writer_init(&w);
    char *err = NULL;
    assert_true(coins_db_for_each(cdb, snap_one, &w, &err));
    return w;
}

static bool count_one(void *ctx, const struct outpoint *op, const struct coin *c)
{
    (void)op;
    (void)c;
    (*(size_t *)ctx)++;
    return true;
}

static size_t count_coins(struct coins_db *cdb)
{
    size_t n = 0;
    char *err = NULL;
    assert_true(coins_db_for_each(cdb, count_one, &n, &err));
    return n;
}

#define USAGE_LIMIT (12u << 10) /* bytes: a tiny -dbcache so the budget is hit */
#define MID_HEIGHT  170         /* block 170 holds the first spend of another coin */

static void test_mainnet_connect_disconnect(void **state)
{
    struct chain ch;
    load_chain(&ch);
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    struct coins_cache *cache = coins_cache_new(cdb);
    struct block_undo *undos = calloc(ch.count, sizeof *undos);
    size_t inputs_spent = 0, usage_flushes = 0, empty_usage = coins_cache_usage(cache);
    struct writer mid;
    writer_init(&mid);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < ch.count; i++) {
        uint32_t height = (uint32_t)(i + 1);
        const char *err = NULL;
        struct block_undo u;
        if (!undo_apply_block(cache, &ch.blocks[i], height, NULL, &u, &err))
            fail_msg("block %u: %s", height, err);
        assert_int_equal(u.count, ch.blocks[i].tx_count - 1);
        for (size_t t = 0; t < u.count; t++) inputs_spent += u.txundo[t].count;
        /* Keep the undo data the way the block store would: serialized. */
        struct writer w;
        writer_init(&w);
        block_undo_serialize(&w, &u);
        struct reader r;
        reader_init(&r, w.data, w.len);
        assert_true(block_undo_deserialize(&r, &undos[i]));
        assert_int_equal(reader_remaining(&r), 0);
        block_undo_clear(&u);
        writer_free(&w);
        /* Flush on a memory budget, the way -dbcache drives it, and at fixed points. */
        if (coins_cache_usage(cache) > USAGE_LIMIT) {
            flush_ok(cache, cdb, NULL);
            assert_int_equal(coins_cache_usage(cache), empty_usage);
            usage_flushes++;
        }
        if (height % 50 == 0 || height == MID_HEIGHT) flush_ok(cache, cdb, NULL);
        if (height == MID_HEIGHT) mid = snapshot(cdb);
    }
    flush_ok(cache, cdb, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("connect 255 mainnet blocks with flushes: %.1f ms (%.0f blocks/s)\n", ms,
           255.0 / (ms / 1e3));
    assert_true(inputs_spent > 0);

    uint256 best, tip;
    assert_true(coins_db_best_block(cdb, &best));
    assert_true(uint256_from_hex(&tip, TIP_255_HASH));
    assert_memory_equal(best.b, tip.b, 32);
    size_t ncoins = count_coins(cdb);
    assert_true(ncoins >= 255 - inputs_spent);
    printf("UTXO set after block 255: %zu coins, %zu inputs spent, %zu flushes on the "
           "memory budget\n",
           ncoins, inputs_spent, usage_flushes);
    assert_true(usage_flushes > 0);

    /* A truncated or corrupt undo record fails to parse at every length. */
    {
        struct writer w;
        writer_init(&w);
        block_undo_serialize(&w, &undos[MID_HEIGHT - 1]);
        for (size_t n = 0; n < w.len; n++) {
            struct reader r;
            struct block_undo u;
            reader_init(&r, w.data, n);
            assert_false(block_undo_deserialize(&r, &u));
            assert_null(u.txundo);
        }
        writer_free(&w);
    }

    /* Undo data that does not fit its block is refused before anything changes. */
    assert_int_equal(
        undo_disconnect_block(cache, &ch.blocks[254], 255, NULL, &undos[MID_HEIGHT - 1]),
        DISCONNECT_FAILED);

    /* Disconnect everything, newest first. */
    for (size_t i = ch.count; i-- > 0;) {
        uint32_t height = (uint32_t)(i + 1);
        enum disconnect_result r =
            undo_disconnect_block(cache, &ch.blocks[i], height, NULL, &undos[i]);
        assert_int_equal(r, DISCONNECT_OK);
        coins_cache_best_block(cache, &best);
        assert_memory_equal(best.b, ch.blocks[i].header.prev_hash.b, 32);
        if (height % 60 == 0) flush_ok(cache, cdb, NULL);
        if (height == MID_HEIGHT + 1) {
            /* The state after disconnecting down to MID_HEIGHT equals the state that
             * connecting up to it produced. */
            flush_ok(cache, cdb, NULL);
            struct writer now = snapshot(cdb);
            assert_int_equal(now.len, mid.len);
            assert_memory_equal(now.data, mid.data, mid.len);
            writer_free(&now);
        }
    }
    flush_ok(cache, cdb, NULL);
    assert_int_equal(count_coins(cdb), 0);
    uint256 genesis;
    assert_true(coins_db_best_block(cdb, &best));
    assert_true(uint256_from_hex(&genesis, GENESIS_HASH));
    assert_memory_equal(best.b, genesis.b, 32);

    /* A fresh replay up to MID_HEIGHT in a new database gives the same set again. */
    coins_cache_free(cache);
    coins_db_close(cdb);
    cdb = open_coins(sub(state, "replay"), false);
    cache = coins_cache_new(cdb);
    for (size_t i = 0; i < MID_HEIGHT; i++) {
        const char *err = NULL;
        struct block_undo u;
        assert_true(undo_apply_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL, &u, &err));
        block_undo_clear(&u);
    }
    flush_ok(cache, cdb, NULL);
    struct writer replay = snapshot(cdb);
    assert_int_equal(replay.len, mid.len);
    assert_memory_equal(replay.data, mid.data, mid.len);
    writer_free(&replay);

    /* Connecting block 170 again now fails: its input is spent. The set is unchanged. */
    const char *err = NULL;
    struct block_undo u;
    assert_false(
        undo_apply_block(cache, &ch.blocks[MID_HEIGHT - 1], MID_HEIGHT, NULL, &u, &err));
    assert_string_equal(err, "bad-txns-inputs-missingorspent");
    assert_null(u.txundo);
    assert_null(coins_cache_error(cache));
    flush_ok(cache, cdb, NULL);
    replay = snapshot(cdb);
    assert_int_equal(replay.len, mid.len);
    assert_memory_equal(replay.data, mid.data, mid.len);
    writer_free(&replay);

    writer_free(&mid);
    for (size_t i = 0; i < ch.count; i++) block_undo_clear(&undos[i]);
    free(undos);
    coins_cache_free(cache);
    coins_db_close(cdb);
    free_chain(&ch);
}

/* Disconnecting when the set is not as the block left it is UNCLEAN, not a failure. */
static void test_disconnect_unclean(void **state)
{
    struct chain ch;
    load_chain(&ch);
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    struct coins_cache *cache = coins_cache_new(cdb);
    struct block_undo u;
    const char *err;
    assert_true(undo_apply_block(cache, &ch.blocks[0], 1, NULL, &u, &err));
    /* Spend block 1's coinbase output behind the block's back. */
    uint256 txid;
    tx_txid(&ch.blocks[0].txs[0], &txid);
    struct outpoint op = {.hash = txid, .n = 0};
    assert_true(coins_cache_spend(cache, &op, NULL));
    assert_int_equal(undo_disconnect_block(cache, &ch.blocks[0], 1, NULL, &u),
                     DISCONNECT_UNCLEAN);
    assert_false(coins_cache_have(cache, &op));
    /* Wrong height recorded for the block's outputs: also unclean. */
    block_undo_clear(&u);
    assert_true(undo_apply_block(cache, &ch.blocks[0], 1, NULL, &u, &err));
    assert_int_equal(undo_disconnect_block(cache, &ch.blocks[0], 2, NULL, &u),
                     DISCONNECT_UNCLEAN);
    block_undo_clear(&u);
    coins_cache_free(cache);
    coins_db_close(cdb);
    free_chain(&ch);
}

/* Flushing after every block, up and down: the stored set at each height is the same
 * whether it was reached by connecting or by disconnecting. */
static void test_every_height(void **state)
{
    struct chain ch;
    load_chain(&ch);
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    struct coins_cache *cache = coins_cache_new(cdb);
    struct writer *snaps = calloc(ch.count + 1, sizeof *snaps);
    struct block_undo *undos = calloc(ch.count, sizeof *undos);
    snaps[0] = snapshot(cdb);
    for (size_t i = 0; i < ch.count; i++) {
        const char *e;
        assert_true(
            undo_apply_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL, &undos[i], &e));
        flush_ok(cache, cdb, NULL);
        snaps[i + 1] = snapshot(cdb);
    }
    for (size_t i = ch.count; i-- > 0;) {
        assert_int_equal(
            undo_disconnect_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL, &undos[i]),
            DISCONNECT_OK);
        flush_ok(cache, cdb, NULL);
        struct writer now = snapshot(cdb);
        if (now.len != snaps[i].len || (now.len && memcmp(now.data, snaps[i].data, now.len)))
            fail_msg("height %zu differs after disconnect: %zu vs %zu bytes", i, now.len,
                     snaps[i].len);
        writer_free(&now);
    }
    for (size_t i = 0; i <= ch.count; i++) writer_free(&snaps[i]);
    for (size_t i = 0; i < ch.count; i++) block_undo_clear(&undos[i]);
    free(snaps);
    free(undos);
    coins_cache_free(cache);
    coins_db_close(cdb);
    free_chain(&ch);
}

/* kill -9 at arbitrary moments while blocks are being connected and flushed: the
 * reopened chainstate must always be exactly the set of some block height, the one its
 * best-block marker names. */
static void test_crash_consistency(void **state)
{
    struct chain ch;
    load_chain(&ch);
    uint256 hashes[256]; /* hashes[h] is the block at height h; 0 is genesis */
    assert_true(uint256_from_hex(&hashes[0], GENESIS_HASH));
    for (size_t i = 0; i < ch.count; i++) block_hash(&ch.blocks[i], &hashes[i + 1]);
    char path[512], ref[512];
    snprintf(path, sizeof path, "%s", sub(state, "chainstate"));
    snprintf(ref, sizeof ref, "%s", sub(state, "reference"));
    size_t kills = 0, heights_seen = 0;
    coins_db_close(open_coins(path, true));
    for (int round = 0; round < 8; round++) {
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        fflush(stdout);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* The victim: connect all blocks, then disconnect them all, flushing after
             * each block (without fsync: a killed process loses no OS buffers), over and
             * over. */
            char *err = NULL;
            struct coins_db *cdb = coins_db_open(path, DB_CACHE, false, &err);
            struct block_undo *undos = calloc(ch.count, sizeof *undos);
            struct coins_cache *cache = cdb ? coins_cache_new(cdb) : NULL;
            if (!cache || !undos) _exit(2);
            if (write(ready[1], "r", 1) != 1) _exit(6);
            for (;;) {
                for (size_t i = 0; i < ch.count; i++) {
                    const char *e;
                    if (!undo_apply_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL,
                                          &undos[i], &e))
                        _exit(3);
                    if (!coins_cache_flush(cache, cdb, NULL, false, &err)) _exit(4);
                }
                for (size_t i = ch.count; i-- > 0;) {
                    if (undo_disconnect_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL,
                                              &undos[i]) != DISCONNECT_OK)
                        _exit(5);
                    block_undo_clear(&undos[i]);
                    if (!coins_cache_flush(cache, cdb, NULL, false, &err)) _exit(4);
                }
            }
        }
        char byte;
        assert_int_equal(read(ready[0], &byte, 1), 1); /* the victim is running */
        close(ready[0]);
        close(ready[1]);
        usleep((useconds_t)(1000 + round * 8000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        kills++;

        struct coins_db *cdb = open_coins(path, false);
        uint256 best;
        size_t height = 0;
        if (coins_db_best_block(cdb, &best)) {
            while (height <= ch.count && memcmp(hashes[height].b, best.b, 32) != 0) height++;
            assert_true(height <= ch.count);
        }
        struct writer got = snapshot(cdb);
        coins_db_close(cdb);
        /* The reference: a clean replay to the same height. */
        cdb = open_coins(ref, true);
        struct coins_cache *cache = coins_cache_new(cdb);
        for (size_t i = 0; i < height; i++) {
            const char *e;
            struct block_undo u;
            assert_true(
                undo_apply_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL, &u, &e));
            block_undo_clear(&u);
        }
        flush_ok(cache, cdb, NULL);
        struct writer want = snapshot(cdb);
        assert_int_equal(got.len, want.len);
        if (got.len) assert_memory_equal(got.data, want.data, got.len);
        if (height) heights_seen++;
        writer_free(&got);
        writer_free(&want);
        coins_cache_free(cache);
        coins_db_close(cdb);
        /* The next victim starts from an empty set again (it keeps no undo data across
         * runs, so it could not walk back from where this one died). */
        coins_db_close(open_coins(path, true));
    }
    printf("crash consistency: %zu kills, %zu at a non-zero height\n", kills, heights_seen);
    free_chain(&ch);
}

/* The undo record layout, byte by byte. */
static void test_undo_format(void **state)
{
    (void)state;
    struct block_undo u;
    block_undo_init(&u);
    u.count = 2;
    u.txundo = calloc(2, sizeof *u.txundo);
    u.txundo[0].count = 1;
    u.txundo[0].prevout = calloc(1, sizeof(struct coin));
    uint8_t p2sh[23] = {OP_HASH160, 20};
    p2sh[22] = OP_EQUAL;
    struct tx_out out = {.value = 100000000, .script_pubkey = p2sh, .script_pubkey_len = 23};
    assert_true(coin_set(&u.txundo[0].prevout[0], &out, 5, true));
    struct writer w;
    writer_init(&w);
    block_undo_serialize(&w, &u);
    /* 2 txs | 1 input | VARINT(5*2+1) | version 0 | amount code 9 | P2SH tag + hash | 0 inputs
     */
    uint8_t want[27] = {0x02, 0x01, 0x0b, 0x00, 0x09, 0x01}; /* then 20 zero bytes */
    want[26] = 0x00;                                         /* second tx: no inputs */
    assert_int_equal(w.len, sizeof want);
    assert_memory_equal(w.data, want, sizeof want);
    struct reader r;
    struct block_undo back;
    reader_init(&r, w.data, w.len);
    assert_true(block_undo_deserialize(&r, &back));
    assert_int_equal(back.count, 2);
    assert_int_equal(back.txundo[1].count, 0);
    assert_true(coin_equal(&back.txundo[0].prevout[0], &u.txundo[0].prevout[0]));
    block_undo_clear(&back);
    /* A coin at height 0 has no version slot. */
    u.txundo[0].prevout[0].height = 0;
    u.txundo[0].prevout[0].coinbase = false;
    w.len = 0;
    block_undo_serialize(&w, &u);
    assert_int_equal(w.len, sizeof want - 1);
    assert_int_equal(w.data[2], 0x00);
    assert_int_equal(w.data[3], 0x09);
    /* A huge claimed count is refused before allocating. */
    static const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0x01, 0x00};
    reader_init(&r, huge, sizeof huge);
    assert_false(block_undo_deserialize(&r, &back));
    writer_free(&w);
    block_undo_clear(&u);
    block_undo_clear(NULL);
    /* The rev*.dat checksum: SHA256d(prev hash || record). */
    uint256 prev, sum;
    uint8_t buf[33];
    memset(prev.b, 0x11, 32);
    memcpy(buf, prev.b, 32);
    buf[32] = 0x00;
    block_undo_checksum(buf + 32, 1, &prev, &sum);
    uint8_t direct[32];
    sha256d(buf, sizeof buf, direct);
    assert_memory_equal(sum.b, direct, 32);
}

/* A read failure under undo_apply_block is reported as such, not as an invalid block. */
static void test_apply_read_error(void **state)
{
    struct chain ch;
    load_chain(&ch);
    struct coins_db *cdb = open_coins(sub(state, "chainstate"), false);
    struct coins_cache *cache = coins_cache_new(cdb);
    for (size_t i = 0; i < 169; i++) {
        const char *e;
        struct block_undo u;
        assert_true(undo_apply_block(cache, &ch.blocks[i], (uint32_t)(i + 1), NULL, &u, &e));
        block_undo_clear(&u);
    }
    flush_ok(cache, cdb, NULL);
    /* Corrupt the coin block 170 spends. */
    const struct outpoint *op = &ch.blocks[169].txs[1].vin[0].prevout;
    uint8_t key[COINS_DB_KEY_MAX];
    size_t klen = coins_db_key(key, op);
    struct db_batch *b = db_batch_new();
    db_batch_put(b, key, klen, "\xff", 1);
    char *err = NULL;
    assert_true(db_write(coins_db_handle(cdb), b, false, &err));
    db_batch_free(b);
    const char *e = NULL;
    struct block_undo u;
    assert_false(undo_apply_block(cache, &ch.blocks[169], 170, NULL, &u, &e));
    assert_string_equal(e, "coins database read error");
    assert_non_null(coins_cache_error(cache));
    assert_int_equal(coins_cache_count(cache), 0);
    coins_cache_free(cache);
    coins_db_close(cdb);
    free_chain(&ch);
}

/* Compaction and size estimates run on a populated database. */
static void test_db_maintenance(void **state)
{
    struct db *db = open_db(sub(state, "db"), false);
    struct db_batch *b = db_batch_new();
    uint8_t val[200];
    memset(val, 0x5a, sizeof val);
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t k[5] = {'C'};
        be32_write(k + 1, i);
        db_batch_put(b, k, sizeof k, val, sizeof val);
    }
    char *err = NULL;
    assert_true(db_write(db, b, false, &err));
    db_batch_free(b);
    db_compact_range(db, NULL, 0, NULL, 0);
    uint64_t size = db_estimate_size(db, "C", 1, "D", 1);
    assert_true(size > 20000u * 100);
    assert_true(size < 20000u * 400);
    db_close(db);
}

/* ---- Randomized: the cache against a reference model ---- */

#define MODEL_SIZE 400

struct model_coin {
    bool present;
    int64_t value;
    uint32_t height;
};

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Damaged records from disk: every mutation either parses or fails cleanly (ASan and
 * LSan watch for the rest), and whatever parses re-serializes to a readable record. */
static void test_corrupt_records(void **state)
{
    (void)state;
    struct chain ch;
    load_chain(&ch);
    /* A record with P2PK scripts from real coinbases and rebuilt uncompressed keys. */
    struct block_undo u;
    block_undo_init(&u);
    u.count = 3;
    u.txundo = calloc(3, sizeof *u.txundo);
    size_t klen;
    uint8_t *g = test_unhex(G_UNCOMPRESSED, &klen);
    uint8_t p2pk[67] = {65};
    memcpy(p2pk + 1, g, 65);
    p2pk[66] = OP_CHECKSIG;
    free(g);
    for (size_t t = 0; t < 3; t++) {
        u.txundo[t].count = 2;
        u.txundo[t].prevout = calloc(2, sizeof(struct coin));
        for (size_t j = 0; j < 2; j++) {
            const struct tx_out *o = &ch.blocks[t * 2 + j].txs[0].vout[0];
            struct tx_out alt = {.value = (int64_t)(t * 1000 + j),
                                 .script_pubkey = p2pk,
                                 .script_pubkey_len = 67};
            assert_true(coin_set(&u.txundo[t].prevout[j], (t + j) % 2 ? o : &alt,
                                 (uint32_t)(t * 7 + j), j == 0));
        }
    }
    struct writer w;
    writer_init(&w);
    block_undo_serialize(&w, &u);
    block_undo_clear(&u);
    rng_state = 42;
    size_t parsed = 0, refused = 0;
    uint8_t *buf = malloc(w.len + 8);
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(buf, w.data, w.len);
        size_t len = w.len;
        int flips = 1 + (int)rnd(4);
        for (int f = 0; f < flips; f++) buf[rnd((uint32_t)len)] ^= (uint8_t)(1u << rnd(8));
        if (rnd(4) == 0) len = rnd((uint32_t)len + 1);
        struct reader r;
        reader_init(&r, buf, len);
        struct block_undo back;
        if (block_undo_deserialize(&r, &back)) {
            parsed++;
            struct writer w2;
            writer_init(&w2);
            block_undo_serialize(&w2, &back);
            struct block_undo again;
            reader_init(&r, w2.data, w2.len);
            assert_true(block_undo_deserialize(&r, &again));
            block_undo_clear(&again);
            writer_free(&w2);
            block_undo_clear(&back);
        } else {
            refused++;
            assert_null(back.txundo);
        }
        /* The same bytes as a single coin record. */
        struct coin c;
        reader_init(&r, buf, len);
        if (coin_deserialize(&r, &c))
            coin_clear(&c);
        else
            assert_null(c.out.script_pubkey);
    }
    free(buf);
    writer_free(&w);
    free_chain(&ch);
    printf("corrupt undo records: %zu parsed, %zu refused\n", parsed, refused);
    assert_true(refused > 0);
}

static void check_against(struct coins_cache *cache, const struct model_coin *m)
{
    for (uint32_t i = 0; i < MODEL_SIZE; i++) {
        struct outpoint op = op_of(i, i & 3);
        const struct coin *c = coins_cache_get(cache, &op);
        if (!m[i].present) {
            assert_null(c);
            continue;
        }
        assert_non_null(c);
        assert_true(c->out.value == m[i].value);
        assert_int_equal(c->height, m[i].height);
    }
    assert_null(coins_cache_error(cache));
}

static void test_randomized(void **state)
{
    char path[512];
    snprintf(path, sizeof path, "%s", sub(state, "chainstate"));
    rng_state = 0x9e3779b97f4a7c15ull;
    struct model_coin model[MODEL_SIZE], flushed[MODEL_SIZE];
    memset(model, 0, sizeof model);
    memset(flushed, 0, sizeof flushed);
    struct coins_db *cdb = open_coins(path, false);
    struct coins_cache *cache = coins_cache_new(cdb);
    struct coins_cache *child = NULL;
    struct model_coin child_model[MODEL_SIZE];
    size_t ops = 0, flushes = 0, reopens = 0, drops = 0, merges = 0;
    for (int step = 0; step < 40000; step++, ops++) {
        struct coins_cache *view = child ? child : cache;
        struct model_coin *mm = child ? child_model : model;
        uint32_t i = rnd(MODEL_SIZE);
        struct outpoint op = op_of(i, i & 3);
        uint32_t action = rnd(100);
        if (action < 40) { /* add */
            bool overwrite = rnd(2);
            struct coin c = coin_of(i + (uint32_t)step, (int64_t)rnd(1000000) + 1,
                                    (uint32_t)step + 1, false);
            char *err = NULL;
            bool in_view = coins_cache_have_in_cache(view, &op);
            bool ok = coins_cache_add(view, &op, &c, overwrite || mm[i].present, &err);
            (void)in_view;
            assert_true(ok);
            mm[i] = (struct model_coin){true, c.out.value, c.height};
            coin_clear(&c);
        } else if (action < 75) { /* spend */
            struct coin c;
            coin_init(&c);
            bool ok = coins_cache_spend(view, &op, &c);
            assert_int_equal(ok, mm[i].present);
            if (ok) {
                assert_true(c.out.value == mm[i].value);
                assert_int_equal(c.height, mm[i].height);
            }
            coin_clear(&c);
            mm[i].present = false;
        } else if (action < 85) { /* look up */
            const struct coin *c = coins_cache_get(view, &op);
            assert_int_equal(c != NULL, mm[i].present);
            if (rnd(2)) coins_cache_uncache(view, &op);
        } else if (action < 89) { /* open or close a child layer */
            if (!child) {
                child = coins_cache_new_child(cache);
                memcpy(child_model, model, sizeof model);
            } else if (rnd(3)) {
                char *err = NULL;
                assert_true(coins_cache_flush_to_parent(child, &err));
                memcpy(model, child_model, sizeof model);
                coins_cache_free(child);
                child = NULL;
                merges++;
            } else { /* thrown away: a block that failed validation */
                coins_cache_free(child);
                child = NULL;
            }
        } else if (action < 95 && !child) { /* flush */
            char *err = NULL;
            uint256 h;
            memset(h.b, (int)(step & 0xff), 32);
            bool ok = rnd(2) ? coins_cache_flush(cache, cdb, &h, false, &err)
                             : coins_cache_sync_keep(cache, cdb, &h, false, &err);
            assert_true(ok);
            memcpy(flushed, model, sizeof model);
            flushes++;
        } else if (action < 97 && !child) { /* drop unflushed changes ("crash") */
            coins_cache_free(cache);
            memcpy(model, flushed, sizeof model);
            if (rnd(2)) { /* and reopen the database */
                coins_db_close(cdb);
                cdb = open_coins(path, false);
                reopens++;
            }
            cache = coins_cache_new(cdb);
            drops++;
        }
        if (step % 2000 == 0) check_against(child ? child : cache, child ? child_model : model);
    }
    if (child) coins_cache_free(child);
    char *err = NULL;
    assert_true(coins_cache_flush(cache, cdb, NULL, true, &err));
    coins_cache_free(cache);
    coins_db_close(cdb);
    /* Reopened, the disk holds exactly the model. */
    cdb = open_coins(path, false);
    cache = coins_cache_new(cdb);
    check_against(cache, model);
    size_t present = 0;
    for (int i = 0; i < MODEL_SIZE; i++) present += model[i].present;
    assert_int_equal(count_coins(cdb), present);
    coins_cache_free(cache);
    coins_db_close(cdb);
    printf("randomized: %zu operations, %zu flushes, %zu dropped caches, %zu reopens, "
           "%zu child merges\n",
           ops, flushes, drops, reopens, merges);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_roundtrip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_db_batch, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_db_iteration, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_db_reopen_wipe_obfuscate, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_db_legacy_and_corrupt_key, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_amount_compression),
        cmocka_unit_test(test_script_compression),
        cmocka_unit_test(test_coin_serialization),
        cmocka_unit_test_setup_teardown(test_cache_basics, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cache_child, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_flush_reopen, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_mainnet_connect_disconnect, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_disconnect_unclean, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_every_height, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_crash_consistency, setup_dir, teardown_dir),
        cmocka_unit_test(test_undo_format),
        cmocka_unit_test_setup_teardown(test_apply_read_error, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_db_maintenance, setup_dir, teardown_dir),
        cmocka_unit_test(test_corrupt_records),
        cmocka_unit_test_setup_teardown(test_randomized, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
