/* Contextual validation, connecting blocks, chain selection, reorgs and import.
 *
 * Real LevelDB in temporary directories. The 255 Bitcoin mainnet blocks are imported
 * with the btc-main profile; everything else runs on hand-built regtest chains (bits
 * 0x207fffff, so a block is mined in a couple of tries) whose coinbases pay a P2WPKH
 * key generated here, so later blocks can spend them with real signatures. Each rule
 * gets a block that breaks it and the reject reason is checked. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <secp256k1.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain/chainparams.h"
#include "chain/coins.h"
#include "chain/txverify.h"
#include "chain/validation.h"
#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "test_util.h"

#define MAINNET_FILE "mainnet/blocks-1-255.dat"
#define TIP_255_HASH "00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c"
/* Far enough ahead that no test block is "too new". */
#define NOW ((int64_t)4000000000LL)

/* ---- Temporary directories ---- */

static char *tmpdir_new(void)
{
    char *t = strdup("/tmp/iop-valtest-XXXXXX");
    assert_non_null(t);
    assert_non_null(mkdtemp(t));
    return t;
}

static void tmpdir_free(char *dir)
{
    test_remove_tree(dir);
    free(dir);
}

static int g_par;      /* -par for the chainstates the tests open */
static bool g_reindex; /* -reindex for the next open */

static struct chainstate *open_cs(const char *dir, const char *profile)
{
    struct chainstate_options o = {0};
    o.params = chainparams_by_name(profile);
    o.datadir = dir;
    o.dbcache_mib = 8;
    o.par = g_par;
    o.reindex = g_reindex;
    char err[256];
    struct chainstate *cs = chainstate_open(&o, err, sizeof err);
    if (!cs) fail_msg("chainstate_open: %s", err);
    return cs;
}

/* ---- Mainnet import ---- */

static int progress_calls;
static void on_progress(void *ctx, int32_t height, uint64_t blocks, double bps)
{
    (void)ctx;
    (void)height;
    (void)blocks;
    (void)bps;
    progress_calls++;
}

static void test_import_mainnet(void **state)
{
    (void)state;
    const char *path = test_vector_path(MAINNET_FILE);
    if (access(path, R_OK) != 0) skip();
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "btc-main");
    assert_int_equal(chainstate_height(cs), 0);
    char err[256];
    progress_calls = 0;
    if (!chainstate_load_external_file(cs, path, on_progress, NULL, err, sizeof err))
        fail_msg("import: %s", err);
    assert_true(progress_calls >= 1);
    assert_int_equal(chainstate_height(cs), 255);
    char hex[65];
    uint256_to_hex(hex, &chainstate_tip(cs)->hash);
    assert_string_equal(hex, TIP_255_HASH);
    /* Importing the same file again changes nothing. */
    assert_true(chainstate_load_external_file(cs, path, NULL, NULL, err, sizeof err));
    assert_int_equal(chainstate_height(cs), 255);
    chainstate_close(cs);
    cs = open_cs(dir, "btc-main");
    assert_int_equal(chainstate_height(cs), 255);
    uint256_to_hex(hex, &chainstate_tip(cs)->hash);
    assert_string_equal(hex, TIP_255_HASH);
    chainstate_close(cs);

    /* -reindex: rebuilt from our own block files. */
    g_reindex = true;
    cs = open_cs(dir, "btc-main");
    g_reindex = false;
    assert_int_equal(chainstate_height(cs), 0);
    assert_true(chainstate_reindex_pending(cs));
    if (!chainstate_reindex(cs, NULL, NULL, err, sizeof err)) fail_msg("reindex: %s", err);
    assert_false(chainstate_reindex_pending(cs));
    assert_int_equal(chainstate_height(cs), 255);
    chainstate_close(cs);
    cs = open_cs(dir, "btc-main");
    assert_int_equal(chainstate_height(cs), 255);
    uint256_to_hex(hex, &chainstate_tip(cs)->hash);
    assert_string_equal(hex, TIP_255_HASH);
    chainstate_close(cs);
    tmpdir_free(dir);
}

/* ---- A small block builder ---- */

struct miner {
    secp256k1_context *ctx;
    uint8_t sk[32];
    uint8_t pub[33];
    uint8_t spk[22]; /* P2WPKH of pub */
    uint32_t tag;    /* makes coinbases unique across forks */
};

static void miner_init(struct miner *m)
{
    m->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    memset(m->sk, 0x42, 32);
    secp256k1_pubkey pk;
    assert_true(secp256k1_ec_pubkey_create(m->ctx, &pk, m->sk));
    size_t n = 33;
    secp256k1_ec_pubkey_serialize(m->ctx, m->pub, &n, &pk, SECP256K1_EC_COMPRESSED);
    m->spk[0] = 0x00;
    m->spk[1] = 0x14;
    hash160(m->pub, 33, m->spk + 2);
    m->tag = 0;
}

static void miner_free(struct miner *m) { secp256k1_context_destroy(m->ctx); }

static void set_witness2(struct tx_in *in, const uint8_t *a, size_t alen, const uint8_t *b,
                         size_t blen)
{
    tx_in_clear_witness(in);
    in->witness = calloc(2, sizeof *in->witness);
    assert_non_null(in->witness);
    in->witness[0].data = malloc(alen);
    in->witness[1].data = malloc(blen);
    memcpy(in->witness[0].data, a, alen);
    memcpy(in->witness[1].data, b, blen);
    in->witness[0].len = alen;
    in->witness[1].len = blen;
    in->witness_count = 2;
}

/* Signs input i of tx, spending a P2WPKH output of m worth amount. */
static void sign_input(struct miner *m, struct tx *tx, size_t i, int64_t amount, bool corrupt)
{
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, m->spk + 2, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    uint256 h;
    sighash_witness_v0(&h, code, sizeof code, tx, i, SIGHASH_ALL, amount, NULL);
    if (corrupt) h.b[0] ^= 1;
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(m->ctx, &sig, h.b, m->sk, NULL, NULL));
    uint8_t der[74];
    size_t dl = 72;
    secp256k1_ecdsa_signature_serialize_der(m->ctx, der, &dl, &sig);
    der[dl++] = SIGHASH_ALL;
    set_witness2(&tx->vin[i], der, dl, m->pub, 33);
}

/* A one-input one-output spend of (txid, n) worth amount, paying amount - fee to m. */
static void make_spend(struct miner *m, struct tx *tx, const uint256 *txid, uint32_t n,
                       int64_t amount, int64_t fee)
{
    tx_init(tx);
    assert_true(tx_resize(tx, 1, 1));
    tx->version = 2;
    tx->vin[0].prevout.hash = *txid;
    tx->vin[0].prevout.n = n;
    tx->vin[0].sequence = SEQUENCE_FINAL;
    tx->vout[0].value = amount - fee;
    assert_true(tx_set_script_pubkey(&tx->vout[0], m->spk, sizeof m->spk));
    sign_input(m, tx, 0, amount, false);
}

/* Starts a block on prev: header and an empty coinbase slot. */
static void block_begin(struct block *b, const struct block_index *prev)
{
    block_init(b);
    b->header.version = 0x20000000;
    b->header.prev_hash = prev->hash;
    b->header.time = prev->time + 1;
    b->header.bits = prev->bits;
    b->txs = calloc(64, sizeof *b->txs);
    assert_non_null(b->txs);
    b->tx_count = 1;
    tx_init(&b->txs[0]);
}

/* Appends tx (moved into the block). */
static void block_add(struct block *b, struct tx *tx)
{
    assert_true(b->tx_count < 64);
    b->txs[b->tx_count++] = *tx;
    tx_init(tx);
}

static void push_height(uint8_t *s, size_t *n, int32_t height)
{
    if (height >= 1 && height <= 16) {
        s[(*n)++] = (uint8_t)(OP_1 + height - 1);
        return;
    }
    uint8_t num[4];
    size_t k = 0;
    for (uint32_t v = (uint32_t)height; v; v >>= 8) num[k++] = (uint8_t)v;
    if (num[k - 1] & 0x80) num[k++] = 0;
    s[(*n)++] = (uint8_t)k;
    memcpy(s + *n, num, k);
    *n += k;
}

/* Fills the coinbase (BIP34 height, value, witness commitment), the merkle root, and
 * mines. cb_value < 0 means subsidy + fees. */
static void block_finish(struct miner *m, const struct chain_params *p, struct block *b,
                         int32_t height, int64_t fees, int64_t cb_value)
{
    struct tx *cb = &b->txs[0];
    tx_clear(cb);
    assert_true(tx_resize(cb, 1, 2));
    cb->version = 2;
    memset(&cb->vin[0].prevout.hash, 0, sizeof cb->vin[0].prevout.hash);
    cb->vin[0].prevout.n = 0xffffffff;
    uint8_t s[16];
    size_t n = 0;
    push_height(s, &n, height);
    s[n++] = 4;
    le32_write(s + n, ++m->tag);
    n += 4;
    assert_true(tx_set_script_sig(&cb->vin[0], s, n));
    uint8_t nonce[32] = {0};
    cb->vin[0].witness = calloc(1, sizeof *cb->vin[0].witness);
    cb->vin[0].witness[0].data = calloc(1, 32);
    cb->vin[0].witness[0].len = 32;
    cb->vin[0].witness_count = 1;
    cb->vout[0].value = cb_value >= 0 ? cb_value : chainparams_block_subsidy(p, height) + fees;
    assert_true(tx_set_script_pubkey(&cb->vout[0], m->spk, sizeof m->spk));
    cb->vout[1].value = 0;
    uint256 wroot, commit;
    assert_true(block_witness_merkle_root(&wroot, NULL, b));
    witness_commitment_hash(&commit, &wroot, nonce);
    uint8_t cs[38] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    memcpy(cs + 6, commit.b, 32);
    assert_true(tx_set_script_pubkey(&cb->vout[1], cs, sizeof cs));
    assert_true(block_merkle_root(&b->header.merkle_root, NULL, b));
    uint256 h;
    for (b->header.nonce = 0;; b->header.nonce++) {
        block_hash(b, &h);
        if (check_proof_of_work(&h, b->header.bits, &p->pow.pow_limit)) break;
    }
}

/* Mines an empty block on the tip and processes it. */
static struct block_index *mine_empty(struct chainstate *cs, struct miner *m)
{
    struct block b;
    const struct block_index *tip = chainstate_tip(cs);
    block_begin(&b, tip);
    block_finish(m, chainstate_params(cs), &b, tip->height + 1, 0, -1);
    struct validation_state st;
    if (!chainstate_process_block(cs, &b, NOW, NULL, &st) || st.kind != VALIDATION_OK)
        fail_msg("mine_empty: %s %s", st.reason, st.debug);
    uint256 h;
    block_hash(&b, &h);
    block_clear(&b);
    assert_memory_equal(&chainstate_tip(cs)->hash, &h, 32);
    return chainstate_tip(cs);
}

/* The coinbase txid of the active block at height. */
static void coinbase_txid(struct chainstate *cs, int32_t height, uint256 *out)
{
    struct block b;
    char err[128];
    assert_true(chainstate_read_block(cs, active_chain_at(chainstate_active(cs), height), &b,
                                      err, sizeof err));
    tx_txid(&b.txs[0], out);
    block_clear(&b);
}

/* Processes b and expects reason (either a rejection or a failed connect); the tip must
 * not move. */
static void expect_reject(struct chainstate *cs, struct block *b, const char *reason)
{
    struct block_index *tip = chainstate_tip(cs);
    struct validation_state st;
    bool ok = chainstate_process_block(cs, b, NOW, NULL, &st);
    if (ok && st.kind == VALIDATION_OK) fail_msg("block accepted, expected %s", reason);
    if (strncmp(st.reason, reason, strlen(reason)) != 0)
        fail_msg("expected %s, got %s (%s)", reason, st.reason, st.debug);
    assert_ptr_equal(chainstate_tip(cs), tip);
    block_clear(b);
}

static void expect_accept(struct chainstate *cs, struct block *b)
{
    struct validation_state st;
    if (!chainstate_process_block(cs, b, NOW, NULL, &st) || st.kind != VALIDATION_OK)
        fail_msg("rejected: %s (%s)", st.reason, st.debug);
    uint256 h;
    block_hash(b, &h);
    assert_memory_equal(&chainstate_tip(cs)->hash, &h, 32);
    block_clear(b);
}

#define SUBSIDY(cs, h) chainparams_block_subsidy(chainstate_params(cs), (h))

static void test_regtest_rules(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "regtest");
    const struct chain_params *p = chainstate_params(cs);
    struct miner m;
    miner_init(&m);
    for (int i = 0; i < 110; i++) mine_empty(cs, &m);
    assert_int_equal(chainstate_height(cs), 110);
    struct block b;
    struct tx tx;
    uint256 cb1, cb2, cb3, cb50;
    coinbase_txid(cs, 1, &cb1);
    coinbase_txid(cs, 2, &cb2);
    coinbase_txid(cs, 3, &cb3);
    coinbase_txid(cs, 50, &cb50);
    int32_t h = chainstate_height(cs) + 1;
    const struct block_index *tip = chainstate_tip(cs);

    /* bad-cb-amount: one satoshi too many. */
    block_begin(&b, tip);
    block_finish(&m, p, &b, h, 0, SUBSIDY(cs, h) + 1);
    expect_reject(cs, &b, "bad-cb-amount");

    /* bad-cb-amount with fees: the coinbase may take the fee but not more. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 0, SUBSIDY(cs, h) + 1001);
    expect_reject(cs, &b, "bad-cb-amount");

    /* premature spend of a coinbase (block 50 at height 111: depth 61). */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb50, 0, SUBSIDY(cs, 50), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_reject(cs, &b, "bad-txns-premature-spend-of-coinbase");

    /* double spend inside a block. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 2000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 3000, -1);
    expect_reject(cs, &b, "bad-txns-inputs-missingorspent");

    /* missing input. */
    block_begin(&b, tip);
    uint256 nowhere;
    memset(&nowhere, 0x77, sizeof nowhere);
    make_spend(&m, &tx, &nowhere, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_reject(cs, &b, "bad-txns-inputs-missingorspent");

    /* inputs worth less than outputs. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1) + 5, 0);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 0, -1);
    expect_reject(cs, &b, "bad-txns-in-belowout");

    /* bad-cb-height. */
    block_begin(&b, tip);
    block_finish(&m, p, &b, h + 1, 0, SUBSIDY(cs, h));
    expect_reject(cs, &b, "bad-cb-height");

    /* bad-txns-nonfinal: absolute lock time in the future. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    tx.locktime = (uint32_t)h + 5;
    tx.vin[0].sequence = 0;
    sign_input(&m, &tx, 0, SUBSIDY(cs, 1), false);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_reject(cs, &b, "bad-txns-nonfinal");

    /* bad-txns-nonfinal: BIP68 relative height lock of 200 blocks on a coin at height 2. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb2, 0, SUBSIDY(cs, 2), 1000);
    tx.vin[0].sequence = 200;
    sign_input(&m, &tx, 0, SUBSIDY(cs, 2), false);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_reject(cs, &b, "bad-txns-nonfinal");

    /* bad script: signature over the wrong hash. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    sign_input(&m, &tx, 0, SUBSIDY(cs, 1), true);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_reject(cs, &b, "mandatory-script-verify-flag-failed (");

    /* time-too-old: equal to the median time past. */
    block_begin(&b, tip);
    b.header.time = (uint32_t)block_index_median_time_past(tip);
    block_finish(&m, p, &b, h, 0, -1);
    expect_reject(cs, &b, "time-too-old");

    /* time-too-new. */
    {
        block_begin(&b, tip);
        block_finish(&m, p, &b, h, 0, -1);
        struct validation_state st;
        assert_false(chainstate_process_block(cs, &b, (int64_t)tip->time - 10000, NULL, &st));
        assert_string_equal(st.reason, "time-too-new");
        block_clear(&b);
    }

    /* bad-diffbits: regtest keeps the limit; a (harder) different target is wrong. */
    block_begin(&b, tip);
    b.header.bits = 0x207ffffe;
    block_finish(&m, p, &b, h, 0, -1);
    expect_reject(cs, &b, "bad-diffbits");

    /* bad-version once BIP34/65/66 are active. */
    block_begin(&b, tip);
    b.header.version = 3;
    block_finish(&m, p, &b, h, 0, -1);
    expect_reject(cs, &b, "bad-version(0x00000003)");

    /* unexpected witness data without a commitment. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    b.txs[0].vout[1].script_pubkey[5] ^= 0xff; /* breaks the commitment header */
    assert_true(block_merkle_root(&b.header.merkle_root, NULL, &b));
    for (b.header.nonce = 0;; b.header.nonce++) {
        uint256 hh;
        block_hash(&b, &hh);
        if (check_proof_of_work(&hh, b.header.bits, &p->pow.pow_limit)) break;
    }
    {
        struct validation_state st;
        assert_false(chainstate_process_block(cs, &b, NOW, NULL, &st));
        assert_string_equal(st.reason, "unexpected-witness");
        assert_int_equal(st.kind, VALIDATION_MUTATED);
        block_clear(&b);
    }

    /* A child of an invalid block: bad-prevblk. */
    {
        block_begin(&b, tip);
        block_finish(&m, p, &b, h, 0, SUBSIDY(cs, h) + 1);
        struct block_index fake = *tip;
        block_hash(&b, &fake.hash);
        fake.height = h;
        fake.time = b.header.time;
        expect_reject(cs, &b, "bad-cb-amount");
        struct block c;
        block_begin(&c, &fake);
        block_finish(&m, p, &c, h + 1, 0, -1);
        expect_reject(cs, &c, "bad-prevblk");
    }

    /* Finally valid spends: three inputs, a relative lock that is satisfied, fees. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    make_spend(&m, &tx, &cb2, 0, SUBSIDY(cs, 2), 2000);
    tx.vin[0].sequence = 50;
    sign_input(&m, &tx, 0, SUBSIDY(cs, 2), false);
    block_add(&b, &tx);
    make_spend(&m, &tx, &cb3, 0, SUBSIDY(cs, 3), 3000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 6000, -1);
    expect_accept(cs, &b);
    assert_int_equal(chainstate_height(cs), h);
    struct outpoint op = {cb1, 0};
    assert_false(coins_cache_have(chainstate_coins(cs), &op));

    /* Spending an output created earlier in the same block is fine. */
    tip = chainstate_tip(cs);
    h++;
    uint256 cb4, mid;
    coinbase_txid(cs, 4, &cb4);
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb4, 0, SUBSIDY(cs, 4), 1000);
    tx_txid(&tx, &mid);
    block_add(&b, &tx);
    make_spend(&m, &tx, &mid, 0, SUBSIDY(cs, 4) - 1000, 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 2000, -1);
    expect_accept(cs, &b);

    chainstate_close(cs);
    miner_free(&m);
    tmpdir_free(dir);
}

/* ---- chainstate_test_block_validity (Core's TestBlockValidity) ---- */

/* Tests b on the tip and expects reason; nothing may change: the tip, the block map
 * (the block stays unknown) and, when spent is given, that coin. */
static void expect_test_reject(struct chainstate *cs, const struct block *b, bool check_pow,
                               bool check_merkle, const char *reason, enum validation_kind kind)
{
    struct block_index *tip = chainstate_tip(cs);
    size_t known = block_map_count(chainstate_block_map(cs));
    struct validation_state st;
    if (chainstate_test_block_validity(cs, b, NOW, check_pow, check_merkle, &st))
        fail_msg("block passed, expected %s", reason);
    if (strncmp(st.reason, reason, strlen(reason)) != 0)
        fail_msg("expected %s, got %s (%s)", reason, st.reason, st.debug);
    assert_int_equal(st.kind, kind);
    assert_ptr_equal(chainstate_tip(cs), tip);
    assert_int_equal(block_map_count(chainstate_block_map(cs)), known);
    uint256 h;
    block_hash(b, &h);
    assert_null(chainstate_lookup(cs, &h));
}

static void test_block_validity_dry_run(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "regtest");
    const struct chain_params *p = chainstate_params(cs);
    struct miner m;
    miner_init(&m);
    for (int i = 0; i < 110; i++) mine_empty(cs, &m);
    uint256 cb1, cb2, cb50;
    coinbase_txid(cs, 1, &cb1);
    coinbase_txid(cs, 2, &cb2);
    coinbase_txid(cs, 50, &cb50);
    struct block_index *tip = chainstate_tip(cs);
    int32_t h = tip->height + 1;
    struct block b;
    struct tx tx;
    struct validation_state st;
    struct outpoint op1 = {cb1, 0};

    /* A valid block with spends passes and leaves everything as it was. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000);
    block_add(&b, &tx);
    make_spend(&m, &tx, &cb2, 0, SUBSIDY(cs, 2), 2000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 3000, -1);
    size_t known = block_map_count(chainstate_block_map(cs));
    if (!chainstate_test_block_validity(cs, &b, NOW, true, true, &st))
        fail_msg("valid block failed: %s (%s)", st.reason, st.debug);
    assert_int_equal(st.kind, VALIDATION_OK);
    assert_ptr_equal(chainstate_tip(cs), tip);
    assert_int_equal(block_map_count(chainstate_block_map(cs)), known);
    assert_true(coins_cache_have(chainstate_coins(cs), &op1));
    /* Twice: the first run left no trace in the caches that changes the verdict. */
    assert_true(chainstate_test_block_validity(cs, &b, NOW, true, true, &st));

    /* Proof of work is checked only when asked (proposals are unsolved). */
    {
        struct block u;
        block_init(&u);
        struct writer w;
        writer_init(&w);
        block_serialize(&w, &b, true);
        size_t len = 0;
        uint8_t *raw = writer_release(&w, &len);
        assert_true(block_from_bytes(&u, raw, len, true));
        free(raw);
        uint256 hh;
        for (u.header.nonce = 0;; u.header.nonce++) {
            block_hash(&u, &hh);
            if (!check_proof_of_work(&hh, u.header.bits, &p->pow.pow_limit)) break;
        }
        assert_true(chainstate_test_block_validity(cs, &u, NOW, false, true, &st));
        expect_test_reject(cs, &u, true, true, "high-hash", VALIDATION_INVALID);
        /* The merkle root likewise (generateblock tests before it is final). */
        u.header.merkle_root.b[0] ^= 1;
        expect_test_reject(cs, &u, false, true, "bad-txnmrklroot", VALIDATION_MUTATED);
        assert_true(chainstate_test_block_validity(cs, &u, NOW, false, false, &st));
        block_clear(&u);
    }
    /* The real thing: the same block connects. */
    expect_accept(cs, &b);
    assert_false(coins_cache_have(chainstate_coins(cs), &op1));

    /* Rejections with Core's reasons, none of them stored or marked. */
    tip = chainstate_tip(cs);
    h = tip->height + 1;
    struct outpoint op50 = {cb50, 0};
    block_begin(&b, tip);
    block_finish(&m, p, &b, h, 0, SUBSIDY(cs, h) + 1);
    expect_test_reject(cs, &b, true, true, "bad-cb-amount", VALIDATION_INVALID);
    block_clear(&b);

    block_begin(&b, tip);
    make_spend(&m, &tx, &cb1, 0, SUBSIDY(cs, 1), 1000); /* spent by the last block */
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_test_reject(cs, &b, true, true, "bad-txns-inputs-missingorspent",
                       VALIDATION_INVALID);
    block_clear(&b);

    block_begin(&b, tip);
    make_spend(&m, &tx, &cb50, 0, SUBSIDY(cs, 50), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_test_reject(cs, &b, true, true, "bad-txns-premature-spend-of-coinbase",
                       VALIDATION_INVALID);
    block_clear(&b);
    assert_true(coins_cache_have(chainstate_coins(cs), &op50));

    uint256 cb3;
    coinbase_txid(cs, 3, &cb3);
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb3, 0, SUBSIDY(cs, 3), 1000);
    sign_input(&m, &tx, 0, SUBSIDY(cs, 3), true);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    expect_test_reject(cs, &b, true, true, "mandatory-script-verify-flag-failed (",
                       VALIDATION_INVALID);
    block_clear(&b);

    block_begin(&b, tip);
    b.header.time = (uint32_t)block_index_median_time_past(tip);
    block_finish(&m, p, &b, h, 0, -1);
    expect_test_reject(cs, &b, true, true, "time-too-old", VALIDATION_INVALID);
    block_clear(&b);

    block_begin(&b, tip);
    b.header.bits = 0x207ffffe;
    block_finish(&m, p, &b, h, 0, -1);
    expect_test_reject(cs, &b, true, true, "bad-diffbits", VALIDATION_INVALID);
    block_clear(&b);

    block_begin(&b, tip);
    block_finish(&m, p, &b, h + 1, 0, SUBSIDY(cs, h));
    expect_test_reject(cs, &b, true, true, "bad-cb-height", VALIDATION_INVALID);
    block_clear(&b);

    /* Only a child of the tip can be tested. */
    block_begin(&b, tip->prev);
    block_finish(&m, p, &b, h - 1, 0, -1);
    expect_test_reject(cs, &b, true, true, "inconclusive-not-best-prevblk",
                       VALIDATION_MISSING_PREV);
    block_clear(&b);

    /* Nothing was marked: a valid block spending cb3 still connects. */
    block_begin(&b, tip);
    make_spend(&m, &tx, &cb3, 0, SUBSIDY(cs, 3), 1000);
    block_add(&b, &tx);
    block_finish(&m, p, &b, h, 1000, -1);
    assert_true(chainstate_test_block_validity(cs, &b, NOW, true, true, &st));
    expect_accept(cs, &b);

    chainstate_close(cs);
    miner_free(&m);
    tmpdir_free(dir);
}

/* ---- Reorgs ---- */

struct saved_chain {
    uint8_t **data;
    size_t *len;
    size_t n, cap;
};

static void save_block(struct saved_chain *s, const struct block *b)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->data = realloc(s->data, s->cap * sizeof *s->data);
        s->len = realloc(s->len, s->cap * sizeof *s->len);
    }
    struct writer w;
    writer_init(&w);
    block_serialize(&w, b, true);
    s->data[s->n] = writer_release(&w, &s->len[s->n]);
    s->n++;
}

static void saved_free(struct saved_chain *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->data[i]);
    free(s->data);
    free(s->len);
    memset(s, 0, sizeof *s);
}

static bool replay(struct chainstate *cs, const struct saved_chain *s, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        struct block b;
        block_init(&b);
        assert_true(block_from_bytes(&b, s->data[i], s->len[i], true));
        struct validation_state st;
        bool ok = chainstate_process_block(cs, &b, NOW, NULL, &st);
        block_clear(&b);
        if (!ok) return false;
    }
    return true;
}

/* Builds a block on prev (any block, not only the tip) with optional spends of coinbase
 * outputs cbs[0..ncb) (each worth value), processes it and saves it. */
static struct block_index *build_on(struct chainstate *cs, struct miner *m,
                                    const struct block_index *prev, const uint256 *cbs,
                                    size_t ncb, int64_t value, int64_t extra_cb,
                                    struct saved_chain *save)
{
    struct block b;
    struct tx tx;
    block_begin(&b, prev);
    for (size_t i = 0; i < ncb; i++) {
        make_spend(m, &tx, &cbs[i], 0, value, 1000);
        block_add(&b, &tx);
    }
    int32_t h = prev->height + 1;
    block_finish(m, chainstate_params(cs), &b, h, (int64_t)ncb * 1000,
                 extra_cb ? SUBSIDY(cs, h) + (int64_t)ncb * 1000 + extra_cb : -1);
    if (save) save_block(save, &b);
    struct validation_state st;
    bool accepted = chainstate_process_block(cs, &b, NOW, NULL, &st);
    (void)accepted; /* the caller looks at the index entry */
    uint256 hh;
    block_hash(&b, &hh);
    block_clear(&b);
    return chainstate_lookup(cs, &hh);
}

struct coin_list {
    size_t n;
    uint64_t sum;
    uint256 acc;
};

static bool collect_coin(void *ctx, const struct outpoint *op, const struct coin *c)
{
    struct coin_list *l = ctx;
    l->n++;
    l->sum += (uint64_t)c->out.value * 31 + c->height;
    uint8_t buf[32 + 32 + 4 + 8];
    memcpy(buf, l->acc.b, 32);
    memcpy(buf + 32, op->hash.b, 32);
    le32_write(buf + 64, op->n);
    le64_write(buf + 68, (uint64_t)c->out.value);
    sha256(buf, sizeof buf, l->acc.b);
    return true;
}

static void digest_dir(const char *dir, struct coin_list *out, uint256 *best)
{
    char path[512];
    snprintf(path, sizeof path, "%s/chainstate", dir);
    char *e = NULL;
    struct coins_db *db = coins_db_open(path, 1 << 20, false, &e);
    assert_non_null(db);
    memset(out, 0, sizeof *out);
    assert_true(coins_db_for_each(db, collect_coin, out, &e));
    assert_true(coins_db_best_block(db, best));
    coins_db_close(db);
}

struct counts {
    int connected, disconnected, tips;
};
static void on_connected(void *ctx, const struct block *b, const struct block_index *idx)
{
    (void)b;
    (void)idx;
    ((struct counts *)ctx)->connected++;
}
static void on_disconnected(void *ctx, const struct block *b, const struct block_index *idx)
{
    (void)b;
    (void)idx;
    ((struct counts *)ctx)->disconnected++;
}
static void on_tip(void *ctx, const struct block_index *tip)
{
    (void)tip;
    ((struct counts *)ctx)->tips++;
}

static void test_reorg_20(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "regtest");
    struct miner m;
    miner_init(&m);
    struct saved_chain common = {0}, fork_b = {0};
    for (int i = 0; i < 105; i++) build_on(cs, &m, chainstate_tip(cs), NULL, 0, 0, 0, &common);
    assert_int_equal(chainstate_height(cs), 105);
    struct block_index *fork = chainstate_tip(cs);
    uint256 cbs[5];
    for (int i = 0; i < 5; i++) coinbase_txid(cs, 1 + i, &cbs[i]);
    int64_t v = SUBSIDY(cs, 1);
    /* Chain A: 10 blocks, spending coinbases 1 and 2. */
    struct block_index *a = fork;
    for (int i = 0; i < 10; i++)
        a = build_on(cs, &m, a, i == 0 ? cbs : NULL, i == 0 ? 2 : 0, v, 0, NULL);
    assert_ptr_equal(chainstate_tip(cs), a);
    /* Restart in between: the reorg then undoes blocks connected by the last run. */
    uint256 fork_hash = fork->hash;
    chainstate_close(cs);
    cs = open_cs(dir, "regtest");
    assert_int_equal(chainstate_height(cs), 115);
    fork = chainstate_lookup(cs, &fork_hash);
    assert_non_null(fork);
    struct counts cnt = {0};
    struct chainstate_callbacks cb = {on_connected, on_disconnected, on_tip, &cnt};
    assert_true(chainstate_subscribe(cs, &cb));
    /* Chain B: 20 blocks from the fork, spending coinbases 2, 3 and 4. */
    struct block_index *bt = fork;
    for (int i = 0; i < 20; i++)
        bt = build_on(cs, &m, bt, i == 3 ? cbs + 1 : NULL, i == 3 ? 3 : 0, v, 0, &fork_b);
    assert_ptr_equal(chainstate_tip(cs), bt);
    assert_int_equal(chainstate_height(cs), 125);
    assert_int_equal(cnt.disconnected, 10);
    assert_int_equal(cnt.connected, 20);
    assert_true(cnt.tips >= 1);
    struct outpoint op = {cbs[0], 0};
    assert_true(coins_cache_have(chainstate_coins(cs), &op)); /* A's spend undone */
    struct coin_list l1, l2;
    uint256 b1, b2;
    chainstate_close(cs);
    digest_dir(dir, &l1, &b1);

    /* A fresh replay of the winning chain gives the same set. */
    char *dir2 = tmpdir_new();
    cs = open_cs(dir2, "regtest");
    assert_true(replay(cs, &common, 0, common.n));
    assert_true(replay(cs, &fork_b, 0, fork_b.n));
    assert_int_equal(chainstate_height(cs), 125);
    chainstate_close(cs);
    digest_dir(dir2, &l2, &b2);
    assert_memory_equal(&b1, &b2, 32);
    assert_int_equal(l1.n, l2.n);
    assert_int_equal(l1.sum, l2.sum);
    assert_memory_equal(&l1.acc, &l2.acc, 32);

    /* Reopening the reorganised directory keeps the tip. */
    cs = open_cs(dir, "regtest");
    assert_int_equal(chainstate_height(cs), 125);
    assert_memory_equal(&chainstate_tip(cs)->hash, &b1, 32);
    chainstate_close(cs);

    saved_free(&common);
    saved_free(&fork_b);
    miner_free(&m);
    tmpdir_free(dir);
    tmpdir_free(dir2);
}

static void test_reorg_invalid_fallback(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "regtest");
    struct miner m;
    miner_init(&m);
    for (int i = 0; i < 10; i++) mine_empty(cs, &m);
    struct block_index *fork = active_chain_at(chainstate_active(cs), 8);
    struct block_index *a_tip = chainstate_tip(cs);
    /* Fork B from height 8: three blocks, the second pays itself too much. Stored fine;
     * when B3 overtakes A the reorg fails at B2 and the node goes back to A. */
    struct block_index *bt = fork, *b2 = NULL;
    for (int i = 0; i < 3; i++) {
        bt = build_on(cs, &m, bt, NULL, 0, 0, i == 1 ? 1 : 0, NULL);
        assert_non_null(bt);
        if (i == 1) b2 = bt;
    }
    assert_ptr_equal(chainstate_tip(cs), a_tip);
    assert_true(b2->status & BLOCK_FAILED_VALID);
    assert_true(bt->status & BLOCK_FAILED_CHILD);
    /* A child of the failed fork is refused outright. */
    assert_null(build_on(cs, &m, bt, NULL, 0, 0, 0, NULL));
    /* A keeps growing normally. */
    mine_empty(cs, &m);
    assert_int_equal(chainstate_height(cs), 11);

    /* invalidateblock / reconsiderblock. */
    struct block_index *t11 = chainstate_tip(cs);
    struct block_index *t9 = active_chain_at(chainstate_active(cs), 9);
    struct validation_state st;
    assert_true(chainstate_invalidate_block(cs, &t9->hash, &st));
    /* The best remaining chain is fork B's first (valid) block at height 9. */
    assert_int_equal(chainstate_height(cs), 9);
    assert_ptr_equal(chainstate_tip(cs)->prev, fork);
    assert_ptr_not_equal(chainstate_tip(cs), t9);
    assert_true(t9->status & BLOCK_FAILED_VALID);
    assert_true(t11->status & BLOCK_FAILED_CHILD);
    /* A new block on it is accepted and becomes the tip. */
    struct block_index *n10 = mine_empty(cs, &m);
    assert_int_equal(n10->height, 10);
    assert_true(chainstate_reconsider_block(cs, &t9->hash, &st));
    assert_ptr_equal(chainstate_tip(cs), t11);
    assert_false(t9->status & BLOCK_FAILED_MASK);
    /* Reconsidering the bad fork re-fails it and leaves the tip. */
    assert_true(chainstate_reconsider_block(cs, &b2->hash, &st));
    assert_string_equal(st.reason, "bad-cb-amount");
    assert_ptr_equal(chainstate_tip(cs), t11);
    assert_false(
        chainstate_invalidate_block(cs, &active_chain_at(chainstate_active(cs), 0)->hash, &st));
    chainstate_close(cs);
    miner_free(&m);
    tmpdir_free(dir);
}

/* ---- kill -9 in the middle of connecting ---- */

static void test_kill9(void **state)
{
    (void)state;
    /* Build 60 blocks (with spends after maturity) once, in a scratch directory. */
    char *scratch = tmpdir_new();
    struct chainstate *cs = open_cs(scratch, "regtest");
    struct miner m;
    miner_init(&m);
    struct saved_chain chain = {0};
    for (int i = 0; i < 130; i++) {
        uint256 cb;
        bool spend = i >= 101 && i % 3 == 0;
        if (spend) coinbase_txid(cs, i - 100, &cb);
        build_on(cs, &m, chainstate_tip(cs), spend ? &cb : NULL, spend ? 1 : 0,
                 SUBSIDY(cs, i - 100), 0, &chain);
    }
    assert_int_equal(chainstate_height(cs), 130);
    uint256 final_tip = chainstate_tip(cs)->hash;
    chainstate_close(cs);
    tmpdir_free(scratch);

    /* The child reports each connected block through a pipe; the parent kills it once
     * it has seen `after` blocks, plus a varying few hundred microseconds so the kill
     * lands at different points inside the next connect or flush. */
    const size_t kill_after[] = {0, 3, 20, 57, 101, 126};
    for (size_t k = 0; k < sizeof kill_after / sizeof kill_after[0]; k++) {
        char *dir = tmpdir_new();
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            struct chainstate *c = open_cs(dir, "regtest");
            for (size_t i = 0; i < chain.n; i++) {
                if (!replay(c, &chain, i, i + 1)) _exit(2);
                char err[200];
                if (i % 7 == 0 && !chainstate_flush(c, i % 14 == 0, err, sizeof err)) _exit(3);
                char byte = 1;
                if (write(fds[1], &byte, 1) != 1) _exit(4);
            }
            chainstate_close(c);
            _exit(0);
        }
        close(fds[1]);
        char byte;
        for (size_t seen = 0; seen < kill_after[k] && read(fds[0], &byte, 1) == 1; seen++) {
        }
        usleep((useconds_t)(100 * k));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        close(fds[0]);
        cs = open_cs(dir, "regtest");
        /* The tip is where the coins are, and the chain continues from there. */
        uint256 best;
        coins_cache_best_block(chainstate_coins(cs), &best);
        assert_memory_equal(&best, &chainstate_tip(cs)->hash, 32);
        int32_t hgt = chainstate_height(cs);
        assert_true(hgt >= 0 && hgt <= 130);
        assert_true(replay(cs, &chain, 0, chain.n));
        assert_int_equal(chainstate_height(cs), 130);
        assert_memory_equal(&chainstate_tip(cs)->hash, &final_tip, 32);
        chainstate_close(cs);
        tmpdir_free(dir);
    }
    saved_free(&chain);
    miner_free(&m);
}

/* ---- Sequence locks directly ---- */

static void test_sequence_locks(void **state)
{
    (void)state;
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_resize(&tx, 2, 1));
    tx.version = 2;
    tx.vin[0].sequence = 10;                              /* 10 blocks */
    tx.vin[1].sequence = SEQUENCE_LOCKTIME_TYPE_FLAG | 2; /* 1024 s */
    struct block_index chain[30];
    memset(chain, 0, sizeof chain);
    for (int i = 0; i < 30; i++) {
        chain[i].height = i;
        chain[i].time = 1000 + 600 * (uint32_t)i;
        chain[i].prev = i ? &chain[i - 1] : NULL;
        block_index_build_skip(&chain[i]);
    }
    int32_t heights[2] = {5, 5};
    int32_t mh;
    int64_t mt;
    assert_true(tx_calculate_sequence_locks(&tx, LOCKTIME_VERIFY_SEQUENCE, heights, &chain[20],
                                            &mh, &mt));
    assert_int_equal(mh, 14);
    assert_int_equal(mt, block_index_median_time_past(&chain[4]) + 1024 - 1);
    assert_false(tx_evaluate_sequence_locks(&chain[14], mh, mt));
    assert_true(tx_evaluate_sequence_locks(&chain[15], mh, mt));
    /* Version 1 or no flag: nothing enforced. */
    assert_true(tx_calculate_sequence_locks(&tx, 0, heights, &chain[20], &mh, &mt));
    assert_int_equal(mh, -1);
    assert_int_equal(mt, -1);
    /* Disable flag zeroes the height. */
    tx.vin[0].sequence |= SEQUENCE_LOCKTIME_DISABLE_FLAG;
    heights[0] = 5;
    assert_true(tx_calculate_sequence_locks(&tx, LOCKTIME_VERIFY_SEQUENCE, heights, &chain[20],
                                            &mh, &mt));
    assert_int_equal(heights[0], 0);
    assert_int_equal(mh, -1);
    /* tx_is_final */
    tx.locktime = 100;
    tx.vin[0].sequence = 0;
    assert_false(tx_is_final(&tx, 100, 0));
    assert_true(tx_is_final(&tx, 101, 0));
    tx.locktime = LOCKTIME_THRESHOLD + 5;
    assert_false(tx_is_final(&tx, 1, LOCKTIME_THRESHOLD + 5));
    assert_true(tx_is_final(&tx, 1, LOCKTIME_THRESHOLD + 6));
    tx.vin[0].sequence = tx.vin[1].sequence = SEQUENCE_FINAL;
    assert_true(tx_is_final(&tx, 1, 0));
    tx_clear(&tx);
}

/* BIP30: before BIP34, a coinbase identical to an unspent one is refused. */
static void test_bip30(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate_options o = {0};
    o.params = chainparams_by_name("regtest");
    o.datadir = dir;
    o.dbcache_mib = 8;
    const char *act[] = {"bip34@1000"};
    o.test_activation = act;
    o.test_activation_count = 1;
    char err[256];
    struct chainstate *cs = chainstate_open(&o, err, sizeof err);
    if (!cs) fail_msg("open: %s", err);
    struct miner m;
    miner_init(&m);
    mine_empty(cs, &m);
    mine_empty(cs, &m);
    struct block first, b;
    assert_true(chainstate_read_block(cs, active_chain_at(chainstate_active(cs), 1), &first,
                                      err, sizeof err));
    block_begin(&b, chainstate_tip(cs));
    tx_clear(&b.txs[0]);
    assert_true(tx_copy(&b.txs[0], &first.txs[0]));
    block_clear(&first);
    assert_true(block_merkle_root(&b.header.merkle_root, NULL, &b));
    for (b.header.nonce = 0;; b.header.nonce++) {
        uint256 hh;
        block_hash(&b, &hh);
        if (check_proof_of_work(&hh, b.header.bits, &chainstate_params(cs)->pow.pow_limit))
            break;
    }
    expect_reject(cs, &b, "bad-txns-BIP30");
    chainstate_close(cs);
    miner_free(&m);
    tmpdir_free(dir);
}

static void copy_dir(const char *from, const char *to)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
    assert_int_equal(system(cmd), 0);
}

/* The state a crash between the index write and the coins write leaves: the index ahead
 * of the coins, or knowing a better fork than the one the coins are on. Made here by
 * putting back an older copy of chainstate/ after a clean close. */
static void test_recover_stale_coins(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char coins[512], saved[512];
    snprintf(coins, sizeof coins, "%s/chainstate", dir);
    snprintf(saved, sizeof saved, "%s/chainstate.saved", dir);
    struct chainstate *cs = open_cs(dir, "regtest");
    struct miner m;
    miner_init(&m);
    for (int i = 0; i < 10; i++) mine_empty(cs, &m);
    uint256 fork_hash = chainstate_tip(cs)->hash;
    struct block_index *a = chainstate_tip(cs);
    for (int i = 0; i < 3; i++) a = build_on(cs, &m, a, NULL, 0, 0, 0, NULL);
    uint256 a_tip = a->hash;
    chainstate_close(cs);
    copy_dir(coins, saved); /* coins at A's tip, height 13 */

    cs = open_cs(dir, "regtest");
    struct block_index *bt = chainstate_lookup(cs, &fork_hash);
    for (int i = 0; i < 6; i++) bt = build_on(cs, &m, bt, NULL, 0, 0, 0, NULL);
    uint256 b_tip = bt->hash;
    assert_int_equal(chainstate_height(cs), 16);
    chainstate_close(cs);

    /* Coins back on the losing fork A: reopening rewinds A and connects B. */
    copy_dir(saved, coins);
    cs = open_cs(dir, "regtest");
    assert_int_equal(chainstate_height(cs), 16);
    assert_memory_equal(&chainstate_tip(cs)->hash, &b_tip, 32);
    uint256 best;
    coins_cache_best_block(chainstate_coins(cs), &best);
    assert_memory_equal(&best, &b_tip, 32);
    assert_false(chainstate_lookup(cs, &a_tip)->status & BLOCK_FAILED_MASK);
    mine_empty(cs, &m);
    assert_int_equal(chainstate_height(cs), 17);
    chainstate_close(cs);

    /* Coins behind on the same chain: reopening connects forward. */
    cs = open_cs(dir, "regtest");
    for (int i = 0; i < 2; i++) mine_empty(cs, &m);
    chainstate_close(cs);
    copy_dir(coins, saved); /* height 19 */
    cs = open_cs(dir, "regtest");
    for (int i = 0; i < 4; i++) mine_empty(cs, &m);
    uint256 tip23 = chainstate_tip(cs)->hash;
    chainstate_close(cs);
    copy_dir(saved, coins);
    cs = open_cs(dir, "regtest");
    assert_int_equal(chainstate_height(cs), 23);
    assert_memory_equal(&chainstate_tip(cs)->hash, &tip23, 32);
    chainstate_close(cs);
    miner_free(&m);
    tmpdir_free(dir);
}

/* With a small -dbcache the coins are written when the cache outgrows its share, without
 * any explicit flush: a process killed afterwards restarts well past genesis. */
static void test_dbcache_flush(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct chainstate_options o = {0};
        o.params = chainparams_by_name("regtest");
        o.datadir = dir;
        o.dbcache_mib = MIN_DB_CACHE_MIB; /* about 1.75 MiB of coins */
        char err[256];
        struct chainstate *cs = chainstate_open(&o, err, sizeof err);
        if (!cs) _exit(2);
        struct miner m;
        miner_init(&m);
        for (int i = 0; i < 100; i++) mine_empty(cs, &m);
        /* Twelve fan-outs of 1,500 outputs: ~18,000 coins, several MiB of cache. */
        for (int f = 0; f < 12; f++) {
            uint256 cb;
            coinbase_txid(cs, f + 1, &cb);
            int64_t v = SUBSIDY(cs, f + 1);
            struct tx tx;
            tx_init(&tx);
            assert_true(tx_resize(&tx, 1, 1500));
            tx.version = 2;
            tx.vin[0].prevout.hash = cb;
            for (size_t o2 = 0; o2 < 1500; o2++) {
                tx.vout[o2].value = v / 2000;
                assert_true(tx_set_script_pubkey(&tx.vout[o2], m.spk, sizeof m.spk));
            }
            sign_input(&m, &tx, 0, v, false);
            struct block b;
            block_begin(&b, chainstate_tip(cs));
            block_add(&b, &tx);
            int32_t h = chainstate_height(cs) + 1;
            block_finish(&m, chainstate_params(cs), &b, h, v - (v / 2000) * 1500, -1);
            expect_accept(cs, &b);
        }
        raise(SIGKILL);
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    struct chainstate *cs = open_cs(dir, "regtest");
    assert_true(chainstate_height(cs) > 100);
    chainstate_close(cs);
    tmpdir_free(dir);
}

/* Mines a header on prev with the given bits (about a million tries at main's limit). */
static void mine_header(struct block_header *h, const struct block_index *prev, uint32_t time,
                        uint32_t bits, const uint256 *pow_limit)
{
    memset(h, 0, sizeof *h);
    h->version = 0x20000000;
    h->prev_hash = prev->hash;
    memset(&h->merkle_root, 0x33, sizeof h->merkle_root);
    h->time = time;
    h->bits = bits;
    uint256 hh;
    for (h->nonce = 0;; h->nonce++) {
        block_header_hash(h, &hh);
        if (check_proof_of_work(&hh, bits, pow_limit)) return;
    }
}

/* bad-diffbits on a retargeting chain: main's ASERT, headers only. Block 3 follows a
 * block 2 that came 119 s early, so its target is below the limit and the limit's bits
 * are wrong for it. */
static void test_asert_diffbits(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct chainstate *cs = open_cs(dir, "main");
    const struct chain_params *p = chainstate_params(cs);
    arith256 lim;
    arith256_from_uint256(&lim, &p->pow.pow_limit);
    uint32_t limit = arith256_get_compact(&lim, false);
    struct validation_state st;
    struct block_header h;
    struct block_index *g = chainstate_tip(cs), *i1, *i2, *i3;
    mine_header(&h, g, g->time + 120, limit, &p->pow.pow_limit);
    assert_true(chainstate_process_header(cs, &h, NOW, &i1, &st));
    mine_header(&h, i1, i1->time + 1, limit, &p->pow.pow_limit);
    assert_true(chainstate_process_header(cs, &h, NOW, &i2, &st));
    uint32_t want;
    assert_true(block_index_next_work_required(&want, &p->pow, i2, i2->time + 120));
    assert_true(want != limit);
    mine_header(&h, i2, i2->time + 120, limit, &p->pow.pow_limit);
    assert_false(chainstate_process_header(cs, &h, NOW, &i3, &st));
    assert_string_equal(st.reason, "bad-diffbits");
    mine_header(&h, i2, i2->time + 120, want, &p->pow.pow_limit);
    assert_true(chainstate_process_header(cs, &h, NOW, &i3, &st));
    assert_int_equal(i3->height, 3);
    chainstate_close(cs);
    tmpdir_free(dir);
}

static void test_regtest_rules_par1(void **state)
{
    g_par = 1;
    test_regtest_rules(state);
    g_par = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_locks), cmocka_unit_test(test_import_mainnet),
        cmocka_unit_test(test_regtest_rules),  cmocka_unit_test(test_regtest_rules_par1),
        cmocka_unit_test(test_bip30),          cmocka_unit_test(test_recover_stale_coins),
        cmocka_unit_test(test_dbcache_flush),  cmocka_unit_test(test_asert_diffbits),
        cmocka_unit_test(test_reorg_20),       cmocka_unit_test(test_reorg_invalid_fallback),
        cmocka_unit_test(test_kill9),          cmocka_unit_test(test_block_validity_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
