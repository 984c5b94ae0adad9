/* The wallet store on real SQLite files in temporary directories: every record type
 * survives close and reopen, batches are all-or-nothing (rollback, close mid-batch,
 * failed write inside a batch), a second open of a wallet fails (same process and
 * another process), non-wallet, empty, foreign, newer-schema, truncated and corrupted
 * files are refused with a clear message, and a writer killed with SIGKILL loses none
 * of the writes it had been told were committed. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "test_util.h"
#include "wallet/bip39.h"
#include "wallet/crypter.h"
#include "wallet/walletdb.h"

struct fixture {
    char *dir;
    char path[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    f->dir = test_make_tmpdir("iop-walletdb");
    snprintf(f->path, sizeof(f->path), "%s/wallet.dat", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_remove_tree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static uint256 hash_of(uint8_t fill)
{
    uint256 h;
    memset(h.b, fill, sizeof(h.b));
    h.b[0] = 0x01; /* distinct from the fill in every other byte */
    return h;
}

static struct walletdb *open_ok(const char *path, enum walletdb_mode mode)
{
    struct walletdb *db = NULL;
    char err[512];
    if (!walletdb_open(&db, path, mode, err, sizeof(err))) fail_msg("open %s: %s", path, err);
    assert_non_null(db);
    return db;
}

/* Opening must fail with a message containing want. */
static void open_fails(const char *path, enum walletdb_mode mode, const char *want)
{
    struct walletdb *db = (struct walletdb *)1;
    char err[512] = "";
    bool ok = walletdb_open(&db, path, mode, err, sizeof(err));
    if (ok) {
        walletdb_close(db);
        fail_msg("open %s succeeded, wanted an error containing \"%s\"", path, want);
    }
    assert_null(db);
    if (!strstr(err, want)) fail_msg("error \"%s\" does not contain \"%s\"", err, want);
    print_message("    refused as expected: %s\n", err);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* ---- everything survives a reopen ---- */

static const uint8_t SECRET[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02};
static const uint8_t SCRIPT[] = {0x00, 0x14, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                 10,   11,   12, 13, 14, 15, 16, 17, 18, 19, 20};
static const uint8_t RAWTX[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff};

static void fill_wallet(struct walletdb *db)
{
    char err[512];
    assert_true(walletdb_put_meta(db, WALLETDB_META_NAME, "alice", 5, err, sizeof(err)));
    assert_true(
        walletdb_put_meta_int(db, WALLETDB_META_BIRTH_HEIGHT, 123456, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, WALLETDB_META_FLAGS, -2, err, sizeof(err)));
    assert_true(walletdb_put_meta(db, "empty", "", 0, err, sizeof(err)));

    struct walletdb_descriptor d = {
        .id = hash_of(0xd1),
        .text = "wpkh([d34db33f/84h/66h/0h]xprv.../0/*)#abcdefgh",
        .range_start = 0,
        .range_end = 1000,
        .next_index = 17,
        .active = true,
        .internal = false,
        .created = 1700000000,
        .secret = (uint8_t *)SECRET,
        .secret_len = sizeof(SECRET),
        .secret_encrypted = true,
    };
    assert_true(walletdb_put_descriptor(db, &d, err, sizeof(err)));
    struct walletdb_descriptor w = {
        .id = hash_of(0xd2), .text = "addr(pABC)#12345678", .internal = true, .created = 5};
    assert_true(walletdb_put_descriptor(db, &w, err, sizeof(err)));
    assert_true(walletdb_put_script(db, SCRIPT, sizeof(SCRIPT), &d.id, 16, err, sizeof(err)));

    assert_true(walletdb_put_address(db, "pAddr1", "savings", "receive", err, sizeof(err)));
    assert_true(walletdb_put_address(db, "pAddr2", "", "send", err, sizeof(err)));

    struct walletdb_tx tx = {.txid = hash_of(0x71),
                             .raw = (uint8_t *)RAWTX,
                             .raw_len = sizeof(RAWTX),
                             .has_block = true,
                             .block_hash = hash_of(0xb1),
                             .height = 42,
                             .position = 3,
                             .time_received = 1700000100,
                             .state = WALLETDB_TX_CONFIRMED};
    assert_true(walletdb_put_tx(db, &tx, err, sizeof(err)));
    struct walletdb_tx utx = {.txid = hash_of(0x72),
                              .raw = (uint8_t *)RAWTX,
                              .raw_len = sizeof(RAWTX),
                              .height = -1,
                              .position = -1,
                              .time_received = 1700000200,
                              .state = WALLETDB_TX_UNCONFIRMED};
    assert_true(walletdb_put_tx(db, &utx, err, sizeof(err)));

    uint256 t = hash_of(0x71);
    assert_true(walletdb_lock_outpoint(db, &t, 0, err, sizeof(err)));
    assert_true(walletdb_lock_outpoint(db, &t, 7, err, sizeof(err)));
    assert_true(walletdb_lock_outpoint(db, &t, 7, err, sizeof(err))); /* idempotent */

    uint8_t rec[86];
    memset(rec, 0x5c, sizeof(rec));
    assert_true(walletdb_put_secret(db, WALLETDB_SECRET_MASTER_KEY, rec, sizeof(rec), true, err,
                                    sizeof(err)));
    assert_true(walletdb_put_secret(db, WALLETDB_SECRET_MNEMONIC, (const uint8_t *)"enc-words",
                                    9, true, err, sizeof(err)));
}

struct counter {
    size_t n;
    size_t stop_after;
};

static bool count_desc(void *arg, const struct walletdb_descriptor *d)
{
    struct counter *c = arg;
    assert_non_null(d->text);
    return ++c->n != c->stop_after;
}

static bool count_addr(void *arg, const char *a, const char *l, const char *p)
{
    struct counter *c = arg;
    assert_non_null(a);
    assert_non_null(l);
    assert_non_null(p);
    return ++c->n != c->stop_after;
}

static bool count_tx(void *arg, const struct walletdb_tx *tx)
{
    struct counter *c = arg;
    /* unconfirmed (height -1) first */
    if (c->n == 0) assert_int_equal(tx->height, -1);
    if (c->n == 1) assert_int_equal(tx->height, 42);
    return ++c->n != c->stop_after;
}

static bool count_locked(void *arg, const uint256 *txid, uint32_t vout)
{
    struct counter *c = arg;
    uint256 t = hash_of(0x71);
    assert_memory_equal(txid->b, t.b, 32);
    assert_true(vout == 0 || vout == 7);
    return ++c->n != c->stop_after;
}

static void check_wallet(struct walletdb *db)
{
    char err[512];
    bool found;
    uint8_t *v;
    size_t len;
    int64_t i;
    assert_true(walletdb_get_meta(db, WALLETDB_META_NAME, &v, &len, &found, err, sizeof(err)));
    assert_true(found);
    assert_int_equal(len, 5);
    assert_string_equal((char *)v, "alice");
    free(v);
    assert_true(walletdb_get_meta(db, "empty", &v, &len, &found, err, sizeof(err)));
    assert_true(found);
    assert_int_equal(len, 0);
    free(v);
    assert_true(
        walletdb_get_meta_int(db, WALLETDB_META_BIRTH_HEIGHT, &i, &found, err, sizeof(err)));
    assert_true(found);
    assert_int_equal(i, 123456);
    assert_true(walletdb_get_meta_int(db, WALLETDB_META_FLAGS, &i, &found, err, sizeof(err)));
    assert_int_equal(i, -2);
    assert_true(walletdb_get_meta_int(db, WALLETDB_META_CREATED, &i, &found, err, sizeof(err)));
    assert_true(found);
    assert_true(i > 1600000000);
    assert_true(walletdb_get_meta_int(db, "absent", &i, &found, err, sizeof(err)));
    assert_false(found);
    /* type mismatch is an error, not a silent conversion */
    assert_false(walletdb_get_meta_int(db, WALLETDB_META_NAME, &i, &found, err, sizeof(err)));
    assert_non_null(strstr(err, "not an integer"));
    assert_false(
        walletdb_get_meta(db, WALLETDB_META_FLAGS, &v, &len, &found, err, sizeof(err)));

    struct walletdb_descriptor d;
    uint256 id = hash_of(0xd1);
    assert_true(walletdb_get_descriptor(db, &id, &d, &found, err, sizeof(err)));
    assert_true(found);
    assert_memory_equal(d.id.b, id.b, 32);
    assert_string_equal(d.text, "wpkh([d34db33f/84h/66h/0h]xprv.../0/*)#abcdefgh");
    assert_int_equal(d.range_start, 0);
    assert_int_equal(d.range_end, 1000);
    assert_int_equal(d.next_index, 17);
    assert_true(d.active);
    assert_false(d.internal);
    assert_int_equal(d.created, 1700000000);
    assert_int_equal(d.secret_len, sizeof(SECRET));
    assert_memory_equal(d.secret, SECRET, sizeof(SECRET));
    assert_true(d.secret_encrypted);
    walletdb_descriptor_clear(&d);
    assert_null(d.text);
    id = hash_of(0xd2);
    assert_true(walletdb_get_descriptor(db, &id, &d, &found, err, sizeof(err)));
    assert_true(found);
    assert_null(d.secret);
    assert_false(d.secret_encrypted);
    assert_true(d.internal);
    assert_false(d.active);
    walletdb_descriptor_clear(&d);

    uint256 did;
    uint32_t idx;
    assert_true(
        walletdb_get_script(db, SCRIPT, sizeof(SCRIPT), &did, &idx, &found, err, sizeof(err)));
    assert_true(found);
    id = hash_of(0xd1);
    assert_memory_equal(did.b, id.b, 32);
    assert_int_equal(idx, 16);
    assert_true(walletdb_get_script(db, SCRIPT, sizeof(SCRIPT) - 1, &did, &idx, &found, err,
                                    sizeof(err)));
    assert_false(found);

    char *label, *purpose;
    assert_true(walletdb_get_address(db, "pAddr1", &label, &purpose, &found, err, sizeof(err)));
    assert_true(found);
    assert_string_equal(label, "savings");
    assert_string_equal(purpose, "receive");
    free(label);
    free(purpose);
    assert_true(walletdb_get_address(db, "pAddr3", &label, &purpose, &found, err, sizeof(err)));
    assert_false(found);
    assert_null(label);

    struct walletdb_tx tx;
    uint256 txid = hash_of(0x71), bh = hash_of(0xb1);
    assert_true(walletdb_get_tx(db, &txid, &tx, &found, err, sizeof(err)));
    assert_true(found);
    assert_int_equal(tx.raw_len, sizeof(RAWTX));
    assert_memory_equal(tx.raw, RAWTX, sizeof(RAWTX));
    assert_true(tx.has_block);
    assert_memory_equal(tx.block_hash.b, bh.b, 32);
    assert_int_equal(tx.height, 42);
    assert_int_equal(tx.position, 3);
    assert_int_equal(tx.time_received, 1700000100);
    assert_int_equal(tx.state, WALLETDB_TX_CONFIRMED);
    walletdb_tx_clear(&tx);
    txid = hash_of(0x72);
    assert_true(walletdb_get_tx(db, &txid, &tx, &found, err, sizeof(err)));
    assert_true(found);
    assert_false(tx.has_block);
    assert_int_equal(tx.height, -1);
    walletdb_tx_clear(&tx);

    bool enc;
    assert_true(walletdb_get_secret(db, WALLETDB_SECRET_MASTER_KEY, &v, &len, &enc, &found, err,
                                    sizeof(err)));
    assert_true(found);
    assert_true(enc);
    assert_int_equal(len, 86);
    assert_int_equal(v[85], 0x5c);
    walletdb_free_secret(v, len);
    assert_true(walletdb_get_secret(db, WALLETDB_SECRET_SEED, &v, &len, &enc, &found, err,
                                    sizeof(err)));
    assert_false(found);
    assert_null(v);

    struct counter c = {0, 0};
    assert_true(walletdb_list_descriptors(db, count_desc, &c, err, sizeof(err)));
    assert_int_equal(c.n, 2);
    c = (struct counter){0, 1}; /* the callback can stop the walk */
    assert_true(walletdb_list_descriptors(db, count_desc, &c, err, sizeof(err)));
    assert_int_equal(c.n, 1);
    c = (struct counter){0, 0};
    assert_true(walletdb_list_addresses(db, count_addr, &c, err, sizeof(err)));
    assert_int_equal(c.n, 2);
    c = (struct counter){0, 0};
    assert_true(walletdb_list_txs(db, count_tx, &c, err, sizeof(err)));
    assert_int_equal(c.n, 2);
    c = (struct counter){0, 0};
    assert_true(walletdb_list_locked(db, count_locked, &c, err, sizeof(err)));
    assert_int_equal(c.n, 2);
}

struct lookup {
    struct walletdb *db;
    size_t n;
};

/* A listing callback may call the single-record getters of the same walletdb. */
static bool lookup_addr(void *arg, const char *a, const char *l, const char *p)
{
    struct lookup *lk = arg;
    char *label, *purpose, err[512];
    bool found;
    assert_true(walletdb_get_address(lk->db, a, &label, &purpose, &found, err, sizeof(err)));
    assert_true(found);
    assert_string_equal(label, l);
    assert_string_equal(purpose, p);
    free(label);
    free(purpose);
    lk->n++;
    return true;
}

static void test_create_reopen(void **state)
{
    struct fixture *f = *state;
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    assert_string_equal(walletdb_path(db), f->path);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* it will hold secrets */
    fill_wallet(db);
    check_wallet(db);
    struct lookup lk = {db, 0};
    char e0[512];
    assert_true(walletdb_list_addresses(db, lookup_addr, &lk, e0, sizeof(e0)));
    assert_int_equal(lk.n, 2);
    /* records missing required parts are refused */
    struct walletdb_descriptor notext = {.id = hash_of(0xd3)};
    assert_false(walletdb_put_descriptor(db, &notext, e0, sizeof(e0)));
    struct walletdb_tx noraw = {.txid = hash_of(0x73)};
    assert_false(walletdb_put_tx(db, &noraw, e0, sizeof(e0)));
    walletdb_close(db);

    db = open_ok(f->path, WALLETDB_OPEN);
    check_wallet(db);

    /* updates and erasures also persist */
    char err[512];
    uint256 id = hash_of(0xd1), t = hash_of(0x71), missing = hash_of(0x99);
    assert_true(walletdb_update_descriptor_indexes(db, &id, 2000, 18, err, sizeof(err)));
    assert_false(walletdb_update_descriptor_indexes(db, &missing, 1, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "no such record"));
    assert_true(walletdb_update_descriptor_secret(db, &id, (const uint8_t *)"plain", 5, false,
                                                  err, sizeof(err)));
    assert_true(walletdb_unlock_outpoint(db, &t, 0, err, sizeof(err)));
    assert_true(walletdb_unlock_outpoint(db, &t, 99, err, sizeof(err)));
    assert_true(walletdb_erase_address(db, "pAddr2", err, sizeof(err)));
    assert_true(walletdb_erase_tx(db, &t, err, sizeof(err)));
    assert_true(walletdb_erase_meta(db, WALLETDB_META_NAME, err, sizeof(err)));
    assert_true(walletdb_erase_secret(db, WALLETDB_SECRET_MNEMONIC, err, sizeof(err)));
    /* the schema version is not the caller's to change */
    assert_false(walletdb_put_meta_int(db, "schema_version", 9, err, sizeof(err)));
    assert_non_null(strstr(err, "reserved"));
    assert_true(walletdb_checkpoint(db, err, sizeof(err)));
    walletdb_close(db);

    db = open_ok(f->path, WALLETDB_OPEN_OR_CREATE);
    bool found;
    struct walletdb_descriptor d;
    assert_true(walletdb_get_descriptor(db, &id, &d, &found, err, sizeof(err)));
    assert_int_equal(d.range_end, 2000);
    assert_int_equal(d.next_index, 18);
    assert_int_equal(d.secret_len, 5);
    assert_false(d.secret_encrypted);
    walletdb_descriptor_clear(&d);
    struct counter c = {0, 0};
    assert_true(walletdb_list_locked(db, count_locked, &c, err, sizeof(err))); /* vout 7 */
    assert_int_equal(c.n, 1);
    assert_true(walletdb_put_meta_int(db, "probe", 1, err, sizeof(err)));
    c = (struct counter){0, 0};
    assert_true(walletdb_list_addresses(db, count_addr, &c, err, sizeof(err)));
    assert_int_equal(c.n, 1);
    struct walletdb_tx tx;
    assert_true(walletdb_get_tx(db, &t, &tx, &found, err, sizeof(err)));
    assert_false(found);
    uint8_t *v;
    size_t len;
    assert_true(walletdb_get_meta(db, WALLETDB_META_NAME, &v, &len, &found, err, sizeof(err)));
    assert_false(found);

    /* erasing a descriptor drops its cached scripts */
    uint256 did;
    uint32_t idx;
    assert_true(walletdb_erase_descriptor(db, &id, err, sizeof(err)));
    assert_true(
        walletdb_get_script(db, SCRIPT, sizeof(SCRIPT), &did, &idx, &found, err, sizeof(err)));
    assert_false(found);
    walletdb_close(db);
    walletdb_close(NULL);
}

/* How the wallet layer will use the store with crypter and bip39: the master record,
 * a descriptor secret sealed with its id as associated data, and the mnemonic, all
 * read back after reopening and opened with the passphrase. */
static void test_encrypted_wallet(void **state)
{
    struct fixture *f = *state;
    char err[512];
    const struct crypter_params fast = {10, 1, 1};
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key mk;
    assert_int_equal(crypter_new_master(rec, &mk, "pass phrase", &fast, err, sizeof(err)),
                     CRYPTER_OK);
    char words[BIP39_MNEMONIC_MAX];
    assert_int_equal(bip39_generate(words, sizeof(words), 24), BIP39_OK);
    uint8_t seed[BIP39_SEED_LEN];
    assert_int_equal(bip39_to_seed(seed, words, NULL, err, sizeof(err)), BIP39_OK);

    uint256 id = hash_of(0xe1);
    uint8_t sealed_seed[BIP39_SEED_LEN + CRYPTER_SECRET_OVERHEAD];
    uint8_t sealed_words[BIP39_MNEMONIC_MAX + CRYPTER_SECRET_OVERHEAD];
    size_t seed_len, words_len;
    assert_int_equal(crypter_encrypt_secret(sealed_seed, sizeof(sealed_seed), &seed_len, &mk,
                                            seed, sizeof(seed), id.b, 32, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_encrypt_secret(sealed_words, sizeof(sealed_words), &words_len, &mk,
                                            (const uint8_t *)words, strlen(words),
                                            (const uint8_t *)WALLETDB_SECRET_MNEMONIC,
                                            strlen(WALLETDB_SECRET_MNEMONIC), err, sizeof(err)),
                     CRYPTER_OK);
    crypter_key_clear(&mk);

    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    struct walletdb_descriptor d = {.id = id,
                                    .text = "wpkh(xprv/84h/66h/0h/0/*)",
                                    .range_end = 10,
                                    .active = true,
                                    .secret = sealed_seed,
                                    .secret_len = seed_len,
                                    .secret_encrypted = true};
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_true(walletdb_put_secret(db, WALLETDB_SECRET_MASTER_KEY, rec, sizeof(rec), true, err,
                                    sizeof(err)));
    assert_true(walletdb_put_secret(db, WALLETDB_SECRET_MNEMONIC, sealed_words, words_len, true,
                                    err, sizeof(err)));
    assert_true(walletdb_put_descriptor(db, &d, err, sizeof(err)));
    assert_true(walletdb_commit(db, err, sizeof(err)));
    walletdb_close(db);

    db = open_ok(f->path, WALLETDB_OPEN);
    uint8_t *r, *w;
    size_t rlen, wlen;
    bool enc, found;
    assert_true(walletdb_get_secret(db, WALLETDB_SECRET_MASTER_KEY, &r, &rlen, &enc, &found,
                                    err, sizeof(err)));
    assert_true(found && enc);
    assert_int_equal(crypter_unlock(&mk, r, rlen, "wrong", err, sizeof(err)),
                     CRYPTER_ERR_PASSPHRASE);
    assert_int_equal(crypter_unlock(&mk, r, rlen, "pass phrase", err, sizeof(err)), CRYPTER_OK);
    walletdb_free_secret(r, rlen);

    struct walletdb_descriptor got;
    assert_true(walletdb_get_descriptor(db, &id, &got, &found, err, sizeof(err)));
    assert_true(found && got.secret_encrypted);
    uint8_t plain[BIP39_MNEMONIC_MAX];
    size_t plen;
    assert_int_equal(crypter_decrypt_secret(plain, sizeof(plain), &plen, &mk, got.secret,
                                            got.secret_len, got.id.b, 32, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(plen, sizeof(seed));
    assert_memory_equal(plain, seed, sizeof(seed));
    walletdb_descriptor_clear(&got);

    assert_true(walletdb_get_secret(db, WALLETDB_SECRET_MNEMONIC, &w, &wlen, &enc, &found, err,
                                    sizeof(err)));
    assert_true(found && enc);
    /* sealed for the mnemonic slot: it does not open as a descriptor's secret */
    assert_int_equal(crypter_decrypt_secret(plain, sizeof(plain), &plen, &mk, w, wlen, id.b, 32,
                                            err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
    assert_int_equal(crypter_decrypt_secret(plain, sizeof(plain) - 1, &plen, &mk, w, wlen,
                                            (const uint8_t *)WALLETDB_SECRET_MNEMONIC,
                                            strlen(WALLETDB_SECRET_MNEMONIC), err, sizeof(err)),
                     CRYPTER_OK);
    plain[plen] = 0;
    assert_string_equal((char *)plain, words);
    assert_int_equal(bip39_check((char *)plain, err, sizeof(err)), BIP39_OK);
    walletdb_free_secret(w, wlen);
    crypter_key_clear(&mk);
    walletdb_close(db);
}

static void test_modes(void **state)
{
    struct fixture *f = *state;
    open_fails(f->path, WALLETDB_OPEN, "not found");
    struct walletdb *db = open_ok(f->path, WALLETDB_OPEN_OR_CREATE);
    walletdb_close(db);
    open_fails(f->path, WALLETDB_CREATE, "already exists");
    db = open_ok(f->path, WALLETDB_OPEN);
    walletdb_close(db);
    open_fails(f->dir, WALLETDB_OPEN, "not a regular file");
}

/* ---- batches ---- */

static void test_batches(void **state)
{
    struct fixture *f = *state;
    char err[512];
    bool found;
    int64_t v;
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);

    /* rollback leaves nothing */
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_true(walletdb_in_batch(db));
    assert_false(walletdb_begin(db, err, sizeof(err))); /* no nesting */
    assert_true(walletdb_put_meta_int(db, "a", 1, err, sizeof(err)));
    uint256 t = hash_of(0x33);
    assert_true(walletdb_lock_outpoint(db, &t, 1, err, sizeof(err)));
    assert_true(walletdb_put_address(db, "pX", "l", "receive", err, sizeof(err)));
    /* visible inside the batch */
    assert_true(walletdb_get_meta_int(db, "a", &v, &found, err, sizeof(err)));
    assert_true(found);
    assert_true(walletdb_rollback(db, err, sizeof(err)));
    assert_false(walletdb_in_batch(db));
    assert_true(walletdb_get_meta_int(db, "a", &v, &found, err, sizeof(err)));
    assert_false(found);
    struct counter c = {0, 0};
    assert_true(walletdb_list_locked(db, count_locked, &c, err, sizeof(err)));
    assert_int_equal(c.n, 0);
    assert_true(walletdb_list_addresses(db, count_addr, &c, err, sizeof(err)));
    assert_int_equal(c.n, 0);
    assert_true(walletdb_rollback(db, err, sizeof(err))); /* no batch: no-op */
    assert_false(walletdb_commit(db, err, sizeof(err)));  /* no batch: error */

    /* commit keeps everything */
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, "b", 2, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, "c", 3, err, sizeof(err)));
    assert_true(walletdb_commit(db, err, sizeof(err)));

    /* a failed write poisons the batch: commit rolls it all back */
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, "d", 4, err, sizeof(err)));
    uint256 nodesc = hash_of(0x44);
    assert_false(walletdb_put_script(db, SCRIPT, sizeof(SCRIPT), &nodesc, 0, err, sizeof(err)));
    print_message("    failed write in batch: %s\n", err);
    /* later writes of the poisoned batch are refused */
    assert_false(walletdb_put_meta_int(db, "d2", 4, err, sizeof(err)));
    assert_non_null(strstr(err, "roll it back"));
    assert_false(walletdb_commit(db, err, sizeof(err)));
    assert_non_null(strstr(err, "rolled back"));
    assert_false(walletdb_in_batch(db));
    assert_true(walletdb_get_meta_int(db, "d", &v, &found, err, sizeof(err)));
    assert_false(found);

    /* a write outside a batch that fails leaves nothing either */
    assert_false(walletdb_put_script(db, SCRIPT, sizeof(SCRIPT), &nodesc, 0, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, "e", 5, err, sizeof(err)));

    /* closing in the middle of a batch discards it */
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_true(walletdb_put_meta_int(db, "f", 6, err, sizeof(err)));
    walletdb_close(db);

    db = open_ok(f->path, WALLETDB_OPEN);
    const char *present[] = {"b", "c", "e"}, *absent[] = {"a", "d", "f"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(walletdb_get_meta_int(db, present[i], &v, &found, err, sizeof(err)));
        assert_true(found);
        assert_true(walletdb_get_meta_int(db, absent[i], &v, &found, err, sizeof(err)));
        assert_false(found);
    }
    walletdb_close(db);
}

/* ---- exclusive access ---- */

static void test_second_open(void **state)
{
    struct fixture *f = *state;
    /* The other process is forked before this one opens the wallet, so it shares no
     * SQLite state with it (a connection must not cross fork). It waits for a byte on
     * go[0], tries to open, and exits 0 when refused with the right message. */
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(5);
        struct walletdb *other = NULL;
        char e[512] = "";
        bool ok = walletdb_open(&other, f->path, WALLETDB_OPEN, e, sizeof(e));
        _exit(!ok && strstr(e, "in use by another process") ? 0 : 1);
    }
    close(go[0]);

    /* refused right after open, before this process has written anything */
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    char err[512];
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    assert_true(walletdb_put_meta_int(db, "x", 1, err, sizeof(err)));
    /* same process */
    open_fails(f->path, WALLETDB_OPEN, "in use by another process");
    open_fails(f->path, WALLETDB_OPEN_OR_CREATE, "in use by another process");

    /* a plain sqlite3 connection cannot read it either */
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &raw, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(raw, "SELECT count(*) FROM meta", NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(raw);

    /* the holder still works, and after close the wallet opens again */
    assert_true(walletdb_put_meta_int(db, "y", 2, err, sizeof(err)));
    walletdb_close(db);
    db = open_ok(f->path, WALLETDB_OPEN);
    walletdb_close(db);
}

/* ---- files that are not (healthy) wallets ---- */

static void test_not_a_wallet(void **state)
{
    struct fixture *f = *state;
    uint8_t junk[8192];
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)(i * 131 + 7);
    write_file(f->path, junk, sizeof(junk));
    open_fails(f->path, WALLETDB_OPEN, "not an SQLite database");
    open_fails(f->path, WALLETDB_OPEN_OR_CREATE, "not an SQLite database");
    /* the file was left alone */
    size_t len;
    uint8_t *back = test_read_file(f->path, &len);
    assert_int_equal(len, sizeof(junk));
    assert_memory_equal(back, junk, sizeof(junk));
    free(back);

    const char text[] = "rpcuser=alice\nrpcpassword=x\n";
    write_file(f->path, text, sizeof(text) - 1);
    open_fails(f->path, WALLETDB_OPEN, "not an SQLite database");

    /* an empty file is not adopted by OPEN */
    write_file(f->path, "", 0);
    open_fails(f->path, WALLETDB_OPEN, "empty database");

    /* another application's database */
    unlink(f->path);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(raw, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    open_fails(f->path, WALLETDB_OPEN, "another application");
    open_fails(f->path, WALLETDB_OPEN_OR_CREATE, "another application");
}

static void test_newer_schema(void **state)
{
    struct fixture *f = *state;
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    walletdb_close(db);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "UPDATE meta SET value = 2 WHERE key = 'schema_version'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(raw);
    open_fails(f->path, WALLETDB_OPEN, "newer than this iopd supports");

    assert_int_equal(sqlite3_open(f->path, &raw), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(raw, "DELETE FROM meta WHERE key = 'schema_version'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(raw);
    open_fails(f->path, WALLETDB_OPEN, "no valid schema version");
}

/* A wallet large enough to span many pages, closed cleanly; returns its size. */
static size_t make_big_wallet(const char *path)
{
    struct walletdb *db = open_ok(path, WALLETDB_CREATE);
    char err[512];
    uint8_t raw[400];
    memset(raw, 0xab, sizeof(raw));
    assert_true(walletdb_begin(db, err, sizeof(err)));
    for (int i = 0; i < 300; i++) {
        struct walletdb_tx tx = {.raw = raw,
                                 .raw_len = sizeof(raw),
                                 .height = i,
                                 .position = 0,
                                 .state = WALLETDB_TX_CONFIRMED};
        memset(tx.txid.b, 0, 32);
        memcpy(tx.txid.b, &i, sizeof(i));
        assert_true(walletdb_put_tx(db, &tx, err, sizeof(err)));
    }
    assert_true(walletdb_commit(db, err, sizeof(err)));
    walletdb_close(db);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 100 * 1024);
    return (size_t)st.st_size;
}

static void test_truncated(void **state)
{
    struct fixture *f = *state;
    size_t size = make_big_wallet(f->path);
    assert_int_equal(truncate(f->path, (off_t)(size / 2)), 0);
    open_fails(f->path, WALLETDB_OPEN, "corrupt");
    /* cut inside the header page */
    assert_int_equal(truncate(f->path, 50), 0);
    struct walletdb *db = NULL;
    char err[512];
    assert_false(walletdb_open(&db, f->path, WALLETDB_OPEN, err, sizeof(err)));
    print_message("    50-byte file: %s\n", err);
    assert_true(strstr(err, "corrupt") || strstr(err, "not an SQLite database"));
}

static void test_corrupted(void **state)
{
    struct fixture *f = *state;
    size_t size = make_big_wallet(f->path);
    size_t len;
    uint8_t *orig = test_read_file(f->path, &len);
    assert_int_equal(len, size);
    size_t page = (size_t)orig[16] << 8 | orig[17];
    if (page == 1) page = 65536;
    assert_true(size / page > 10);

    /* garbage over a b-tree page in the middle */
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, orig, len);
    size_t at = (size / page / 2) * page;
    for (size_t i = 0; i < page; i++) bad[at + i] = (uint8_t)(0x5a ^ (i * 7));
    write_file(f->path, bad, len);
    open_fails(f->path, WALLETDB_OPEN, "corrupt");
    {
        struct walletdb *db = NULL;
        char err[512];
        assert_false(walletdb_open(&db, f->path, WALLETDB_OPEN, err, sizeof(err)));
        assert_null(strchr(err, '\n'));
    }

    /* the schema page (page 1 after the 100-byte header) */
    memcpy(bad, orig, len);
    for (size_t i = 100; i < page; i++) bad[i] = 0xee;
    write_file(f->path, bad, len);
    open_fails(f->path, WALLETDB_OPEN, "corrupt");

    /* the untouched copy still opens */
    write_file(f->path, orig, len);
    struct walletdb *db = open_ok(f->path, WALLETDB_OPEN);
    walletdb_close(db);
    free(bad);
    free(orig);
}

/* ---- kill -9 in the middle of committed writes ---- */

#define KILL_AFTER 40

/* Child: writes record i (a meta int and, in the same batch, a locked outpoint) and
 * reports i on the pipe only after the commit returned. Never returns. */
static void writer_child(const char *path, int fd)
{
    struct walletdb *db = NULL;
    char err[512];
    if (!walletdb_open(&db, path, WALLETDB_OPEN, err, sizeof(err))) _exit(2);
    for (uint32_t i = 0;; i++) {
        char key[32];
        snprintf(key, sizeof(key), "k%u", i);
        uint256 t;
        memset(t.b, 0, 32);
        memcpy(t.b, &i, sizeof(i));
        if (!walletdb_begin(db, err, sizeof(err)) ||
            !walletdb_put_meta_int(db, key, (int64_t)i * 3, err, sizeof(err)) ||
            !walletdb_lock_outpoint(db, &t, i, err, sizeof(err)) ||
            !walletdb_commit(db, err, sizeof(err)))
            _exit(3);
        if (write(fd, &i, sizeof(i)) != (ssize_t)sizeof(i)) _exit(4);
    }
}

static bool max_locked(void *arg, const uint256 *txid, uint32_t vout)
{
    uint32_t *n = arg;
    uint32_t i;
    memcpy(&i, txid->b, sizeof(i));
    assert_int_equal(i, vout);
    (*n)++;
    return true;
}

/* backupwallet: a copy made while the wallet is open (and inside its exclusive lock)
 * holds everything committed, including what is still in the WAL, has mode 0600, and
 * opens as a wallet; an existing destination and a batch in progress are refused. */
static void test_backup(void **state)
{
    struct fixture *f = *state;
    char err[512], dest[600];
    snprintf(dest, sizeof dest, "%s/backup.dat", f->dir);
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    assert_true(walletdb_put_meta(db, WALLETDB_META_NAME, "alice", 5, err, sizeof(err)));
    assert_true(walletdb_backup(db, dest, err, sizeof(err)));
    struct stat st;
    assert_int_equal(stat(dest, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* An existing file is not overwritten by this layer (the RPC removes it first). */
    assert_false(walletdb_backup(db, dest, err, sizeof(err)));
    assert_non_null(strstr(err, "Wallet backup failed"));
    /* Not inside a batch. */
    char dest2[640];
    snprintf(dest2, sizeof dest2, "%s/backup2.dat", f->dir);
    assert_true(walletdb_begin(db, err, sizeof(err)));
    assert_false(walletdb_backup(db, dest2, err, sizeof(err)));
    assert_true(walletdb_rollback(db, err, sizeof(err)));
    assert_int_not_equal(access(dest2, F_OK), 0);
    /* The copy is a wallet with the data, while the original stays open. */
    struct walletdb *copy = open_ok(dest, WALLETDB_OPEN);
    uint8_t *v = NULL;
    size_t len = 0;
    bool found = false;
    assert_true(
        walletdb_get_meta(copy, WALLETDB_META_NAME, &v, &len, &found, err, sizeof(err)));
    assert_true(found);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "alice", 5);
    free(v);
    walletdb_close(copy);
    walletdb_close(db);
}

static void test_kill9(void **state)
{
    struct fixture *f = *state;
    struct walletdb *db = open_ok(f->path, WALLETDB_CREATE);
    walletdb_close(db);

    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        writer_child(f->path, p[1]);
    }
    close(p[1]);
    uint32_t acked = 0, i;
    bool any = false;
    while (read(p[0], &i, sizeof(i)) == (ssize_t)sizeof(i)) {
        assert_int_equal(i, any ? acked + 1 : 0);
        acked = i;
        any = true;
        if (acked + 1 == KILL_AFTER) kill(pid, SIGKILL);
    }
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_true(any);
    assert_true(acked + 1 >= KILL_AFTER);
    print_message("    %u writes acknowledged before SIGKILL\n", acked + 1);

    db = open_ok(f->path, WALLETDB_OPEN);
    char err[512];
    for (uint32_t k = 0; k <= acked; k++) {
        char key[32];
        int64_t v;
        bool found;
        snprintf(key, sizeof(key), "k%u", k);
        assert_true(walletdb_get_meta_int(db, key, &v, &found, err, sizeof(err)));
        if (!found) fail_msg("acknowledged write %u lost", k);
        assert_int_equal(v, (int64_t)k * 3);
    }
    /* batches are whole: as many locked outpoints as meta records, each matching */
    uint32_t n_locked = 0, n_meta = 0;
    assert_true(walletdb_list_locked(db, max_locked, &n_locked, err, sizeof(err)));
    for (;; n_meta++) {
        char key[32];
        int64_t v;
        bool found;
        snprintf(key, sizeof(key), "k%u", n_meta);
        assert_true(walletdb_get_meta_int(db, key, &v, &found, err, sizeof(err)));
        if (!found) break;
    }
    assert_int_equal(n_locked, n_meta);
    assert_true(n_meta >= acked + 1);
    assert_true(n_meta <= acked + 2); /* at most the one in flight */
    walletdb_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encrypted_wallet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_wallet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
    };
    return cmocka_run_group_tests_name("walletdb_tests", tests, NULL, NULL);
}
