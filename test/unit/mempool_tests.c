/* Mempool tests: acceptance and every reject reason, package accounting and limits,
 * replace-by-fee, eviction and the rolling minimum fee, expiry, block connection and
 * reorgs, and mempool.dat persistence including damaged files.
 *
 * Every test builds its own world: a chainstate in a temporary LevelDB with coins the
 * test creates, a 200-block index for lock times, and P2WPKH spends signed with
 * libsecp256k1. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <secp256k1.h>

#include "chain/coins.h"
#include "chain/fees.h"
#include "chain/mempool.h"
#include "chain/sigcache.h"
#include "test_util.h"
#include "chain/policy.h"
#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"

#define CHAIN_LEN 200
#define T0        1700000000

struct fx {
    char dir[64];
    struct coins_db *db;
    struct coins_cache *cache;
    struct block_index *idx;
    struct mempool_chain_tip tip;
    struct mempool *pool;
    secp256k1_context *ctx;
    uint8_t sk[32];
    uint8_t pk[33];
    uint8_t spk[22]; /* P2WPKH of pk */
    uint32_t counter;
    size_t removed[6];
    size_t added, added_valid; /* addition hook calls, those valid for fee estimation */
    uint256 last_added;
};

static void on_added(void *ctx, const struct mempool_entry *e, bool valid_fee_estimate)
{
    struct fx *f = ctx;
    f->added++;
    if (valid_fee_estimate) f->added_valid++;
    f->last_added = e->txid;
}

static void on_removed(void *ctx, const struct mempool_entry *e,
                       enum mempool_removal_reason why)
{
    struct fx *f = ctx;
    (void)e;
    f->removed[why]++;
}

static void set_tip(struct fx *f, int32_t h)
{
    f->tip.height = h;
    f->tip.tip = &f->idx[h];
    f->tip.median_time_past = block_index_median_time_past(&f->idx[h]);
}

static struct mempool *new_pool(struct fx *f, const struct policy_params *p)
{
    struct mempool *pool = mempool_new(p, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
    assert_non_null(pool);
    mempool_set_removal_hook(pool, on_removed, f);
    mempool_set_addition_hook(pool, on_added, f);
    return pool;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f) return -1;
    strcpy(f->dir, "/tmp/iop-mempool-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char *err = NULL;
    f->db = coins_db_open(f->dir, 1 << 20, true, &err);
    if (!f->db) {
        free(err);
        return -1;
    }
    f->cache = coins_cache_new(f->db);
    f->idx = calloc(CHAIN_LEN, sizeof(*f->idx));
    for (int i = 0; i < CHAIN_LEN; i++) {
        f->idx[i].height = i;
        f->idx[i].prev = i ? &f->idx[i - 1] : NULL;
        f->idx[i].time = (uint32_t)(T0 - (CHAIN_LEN - i) * 120);
        f->idx[i].hash.b[0] = (uint8_t)i;
        f->idx[i].hash.b[1] = (uint8_t)(i >> 8);
    }
    set_tip(f, CHAIN_LEN - 1);
    f->tip.now = T0;
    struct policy_params p;
    policy_params_default(&p);
    f->pool = new_pool(f, &p);
    f->ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    for (int i = 0; i < 32; i++) f->sk[i] = (uint8_t)(i + 1);
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(f->ctx, &pub, f->sk)) return -1;
    size_t len = 33;
    secp256k1_ec_pubkey_serialize(f->ctx, f->pk, &len, &pub, SECP256K1_EC_COMPRESSED);
    f->spk[0] = OP_0;
    f->spk[1] = 20;
    hash160(f->pk, 33, f->spk + 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mempool_free(f->pool);
    coins_cache_free(f->cache);
    coins_db_close(f->db);
    secp256k1_context_destroy(f->ctx);
    free(f->idx);
    test_remove_tree(f->dir);
    free(f);
    return 0;
}

/* A chain coin paying value to spk (the test key's P2WPKH when NULL). */
static struct outpoint fund_script(struct fx *f, int64_t value, uint32_t height, bool coinbase,
                                   const uint8_t *spk, size_t spk_len)
{
    struct outpoint op;
    uint32_t c = ++f->counter;
    sha256(&c, sizeof(c), op.hash.b);
    op.hash.b[31] = 0xee;
    op.n = c % 3;
    struct tx_out out = {value, (uint8_t *)(spk ? spk : f->spk),
                         spk ? spk_len : sizeof(f->spk)};
    struct coin coin;
    assert_true(coin_set(&coin, &out, height, coinbase));
    char *err = NULL;
    assert_true(coins_cache_add(f->cache, &op, &coin, false, &err));
    coin_clear(&coin);
    return op;
}

static struct outpoint fund(struct fx *f, int64_t value)
{
    return fund_script(f, value, 10, false, NULL, 0);
}

struct in_spec {
    struct outpoint op;
    int64_t amount;
};

/* Version-2 transaction spending ins (P2WPKH of the test key) to outputs of the given
 * values paying the test key; sequence 0xfffffffd (no lock time, signals RBF). */
static void build(struct fx *f, struct tx *tx, const struct in_spec *ins, size_t nin,
                  const int64_t *outs, size_t nout)
{
    tx_init(tx);
    assert_true(tx_resize(tx, nin, nout));
    tx->version = 2;
    for (size_t i = 0; i < nin; i++) {
        tx->vin[i].prevout = ins[i].op;
        tx->vin[i].sequence = 0xfffffffd;
    }
    for (size_t i = 0; i < nout; i++) {
        tx->vout[i].value = outs[i];
        assert_true(tx_set_script_pubkey(&tx->vout[i], f->spk, sizeof(f->spk)));
    }
}

static void sign_input(struct fx *f, struct tx *tx, size_t i, int64_t amount, const uint8_t *pk,
                       size_t pk_len)
{
    uint8_t h160[20];
    hash160(pk, pk_len, h160);
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, h160, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    struct sighash_precomputed pre;
    sighash_precompute(&pre, tx, NULL);
    uint256 h;
    sighash_witness_v0(&h, code, sizeof(code), tx, i, SIGHASH_ALL, amount, &pre);
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(f->ctx, &sig, h.b, f->sk, NULL, NULL));
    uint8_t der[80];
    size_t der_len = sizeof(der);
    assert_true(secp256k1_ecdsa_signature_serialize_der(f->ctx, der, &der_len, &sig));
    der[der_len++] = SIGHASH_ALL;
    tx_in_clear_witness(&tx->vin[i]);
    tx->vin[i].witness = calloc(2, sizeof(struct byte_vec));
    tx->vin[i].witness_count = 2;
    tx->vin[i].witness[0].data = malloc(der_len);
    memcpy(tx->vin[i].witness[0].data, der, der_len);
    tx->vin[i].witness[0].len = der_len;
    tx->vin[i].witness[1].data = malloc(pk_len);
    memcpy(tx->vin[i].witness[1].data, pk, pk_len);
    tx->vin[i].witness[1].len = pk_len;
}

static void sign(struct fx *f, struct tx *tx, const struct in_spec *ins)
{
    for (size_t i = 0; i < tx->vin_count; i++) sign_input(f, tx, i, ins[i].amount, f->pk, 33);
}

/* Builds and signs a 1-in transaction. */
static void spend1(struct fx *f, struct tx *tx, struct outpoint op, int64_t amount,
                   const int64_t *outs, size_t nout)
{
    struct in_spec in = {op, amount};
    build(f, tx, &in, 1, outs, nout);
    sign(f, tx, &in);
}

static struct outpoint out_of(const struct tx *tx, uint32_t n)
{
    struct outpoint op;
    tx_txid(tx, &op.hash);
    op.n = n;
    return op;
}

static bool accept_opts(struct fx *f, const struct tx *tx,
                        const struct mempool_accept_options *o, struct mempool_accept_result *r)
{
    return mempool_accept(f->pool, tx, &f->tip, f->cache, o, r);
}

static void expect_ok(struct fx *f, const struct tx *tx)
{
    struct mempool_accept_result r;
    bool ok = mempool_accept(f->pool, tx, &f->tip, f->cache, NULL, &r);
    if (!ok) fail_msg("rejected: %s (%s)", r.reason, r.debug);
    mempool_accept_result_clear(&r);
}

static void expect_reject_opts(struct fx *f, const struct tx *tx,
                               const struct mempool_accept_options *o,
                               enum mempool_result_kind kind, const char *reason)
{
    struct mempool_accept_result r;
    size_t before = mempool_size(f->pool);
    bool ok = accept_opts(f, tx, o, &r);
    if (ok) fail_msg("accepted, expected %s", reason);
    if (strcmp(r.reason, reason) != 0)
        fail_msg("got '%s' (%s), expected '%s'", r.reason, r.debug, reason);
    assert_int_equal(r.kind, kind);
    assert_int_equal(mempool_size(f->pool), before);
    mempool_accept_result_clear(&r);
}

static void expect_reject(struct fx *f, const struct tx *tx, enum mempool_result_kind kind,
                          const char *reason)
{
    expect_reject_opts(f, tx, NULL, kind, reason);
}

static void check_consistent(struct fx *f)
{
    char why[128];
    if (!mempool_check_consistency(f->pool, why, sizeof(why)))
        fail_msg("inconsistent: %s", why);
}

/* ------------------------------------------------------------------ tests */

static void test_accept_basic(void **state)
{
    struct fx *f = *state;
    struct outpoint op = fund(f, 100000);
    struct tx tx;
    int64_t outs[] = {99000};
    spend1(f, &tx, op, 100000, outs, 1);

    struct mempool_accept_options o = {0};
    o.test_accept = true;
    struct mempool_accept_result r;
    assert_true(accept_opts(f, &tx, &o, &r));
    assert_int_equal(mempool_size(f->pool), 0);
    assert_int_equal(r.fee, 1000);
    mempool_accept_result_clear(&r);

    assert_true(accept_opts(f, &tx, NULL, &r));
    assert_int_equal(r.kind, MEMPOOL_ACCEPTED);
    assert_string_equal(r.reason, "");
    mempool_accept_result_clear(&r);
    uint256 txid;
    tx_txid(&tx, &txid);
    const struct mempool_entry *e = mempool_get(f->pool, &txid);
    assert_non_null(e);
    assert_int_equal(e->fee, 1000);
    assert_int_equal(e->modified_fee, 1000);
    assert_int_equal(e->weight, (int64_t)tx_weight(&tx));
    assert_int_equal(e->vsize, ((int64_t)tx_weight(&tx) + 3) / 4);
    assert_int_equal(e->time, T0);
    assert_int_equal(e->height, CHAIN_LEN - 1);
    assert_false(e->spends_coinbase);
    assert_int_equal(e->sigop_cost, 1);
    assert_int_equal(e->count_with_ancestors, 1);
    assert_ptr_equal(mempool_get_by_wtxid(f->pool, &e->wtxid), e);
    assert_ptr_equal(mempool_spender(f->pool, &op), e);
    assert_true(mempool_exists(f->pool, &txid));

    struct mempool_info info;
    mempool_get_info(f->pool, T0, &info);
    assert_int_equal(info.size, 1);
    assert_int_equal(info.bytes, e->vsize);
    assert_int_equal(info.total_fee, 1000);
    assert_true(info.usage > 0);
    assert_int_equal(info.max_mempool, 300000000);
    assert_int_equal(info.mempool_min_fee, 1000);
    assert_int_equal(info.min_relay_fee, 1000);

    uint256 *ids;
    size_t n;
    assert_true(mempool_txids(f->pool, &ids, &n));
    assert_int_equal(n, 1);
    assert_memory_equal(ids[0].b, txid.b, 32);
    free(ids);

    /* Coins view over the pool. */
    struct coin c;
    struct outpoint o0 = out_of(&tx, 0);
    assert_true(mempool_view_get_coin(f->pool, f->cache, &o0, &c));
    assert_int_equal(c.out.value, 99000);
    assert_int_equal(c.height, MEMPOOL_HEIGHT);
    coin_clear(&c);
    assert_true(mempool_view_get_coin(f->pool, f->cache, &op, &c));
    assert_int_equal(c.out.value, 100000);
    coin_clear(&c);
    o0.n = 1;
    assert_false(mempool_view_get_coin(f->pool, f->cache, &o0, &c));

    /* Known: same wtxid, then same txid with another witness. */
    expect_reject(f, &tx, MEMPOOL_RESULT_ALREADY_KNOWN, "txn-already-in-mempool");
    struct tx t2;
    assert_true(tx_copy(&t2, &tx));
    t2.vin[0].witness[0].data[5] ^= 1;
    expect_reject(f, &t2, MEMPOOL_RESULT_ALREADY_KNOWN, "txn-same-nonwitness-data-in-mempool");
    tx_clear(&t2);
    check_consistent(f);
    tx_clear(&tx);
}

static void test_reject_reasons(void **state)
{
    struct fx *f = *state;
    struct tx tx;
    int64_t outs[] = {99000};

    /* check_transaction */
    tx_init(&tx);
    assert_true(tx_resize(&tx, 0, 1));
    tx.vout[0].value = 1000;
    assert_true(tx_set_script_pubkey(&tx.vout[0], f->spk, sizeof(f->spk)));
    expect_reject(f, &tx, MEMPOOL_RESULT_CONSENSUS, "bad-txns-vin-empty");
    tx_clear(&tx);

    /* coinbase */
    tx_init(&tx);
    assert_true(tx_resize(&tx, 1, 1));
    memset(&tx.vin[0].prevout.hash, 0, 32);
    tx.vin[0].prevout.n = 0xffffffff;
    uint8_t cbsig[4] = {1, 2, 3, 4};
    assert_true(tx_set_script_sig(&tx.vin[0], cbsig, 4));
    tx.vout[0].value = 1000;
    assert_true(tx_set_script_pubkey(&tx.vout[0], f->spk, sizeof(f->spk)));
    expect_reject(f, &tx, MEMPOOL_RESULT_CONSENSUS, "coinbase");
    tx_clear(&tx);

    /* standardness: version */
    struct outpoint op = fund(f, 100000);
    spend1(f, &tx, op, 100000, outs, 1);
    tx.version = 4;
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "version");
    tx_clear(&tx);

    /* tx-size-small: one OP_RETURN output */
    build(f, &tx, &(struct in_spec){op, 100000}, 1, (int64_t[]){0}, 1);
    uint8_t ret[1] = {OP_RETURN};
    assert_true(tx_set_script_pubkey(&tx.vout[0], ret, 1));
    sign(f, &tx, &(struct in_spec){op, 100000});
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "tx-size-small");
    tx_clear(&tx);

    /* non-final: a height lock must lie below the next block's height */
    build(f, &tx, &(struct in_spec){op, 100000}, 1, outs, 1);
    tx.locktime = CHAIN_LEN;
    tx.vin[0].sequence = 0xfffffffe;
    sign(f, &tx, &(struct in_spec){op, 100000});
    expect_reject(f, &tx, MEMPOOL_RESULT_PREMATURE, "non-final");
    tx.locktime = CHAIN_LEN - 1; /* the tip's height: final */
    sign(f, &tx, &(struct in_spec){op, 100000});
    struct mempool_accept_options test = {0};
    test.test_accept = true;
    struct mempool_accept_result r;
    if (!accept_opts(f, &tx, &test, &r)) fail_msg("%s %s", r.reason, r.debug);
    mempool_accept_result_clear(&r);
    tx_clear(&tx);

    /* missing inputs */
    struct outpoint nowhere = {{{0}}, 7};
    nowhere.hash.b[0] = 0x55;
    spend1(f, &tx, nowhere, 100000, outs, 1);
    assert_false(accept_opts(f, &tx, NULL, &r));
    assert_int_equal(r.kind, MEMPOOL_RESULT_MISSING_INPUTS);
    assert_string_equal(r.reason, "bad-txns-inputs-missingorspent");
    assert_string_equal(mempool_result_rpc_reason(&r), "missing-inputs");
    mempool_accept_result_clear(&r);
    /* ... unless its own outputs are already in the chain's coins */
    struct outpoint own = out_of(&tx, 0);
    struct coin coin;
    assert_true(coin_set(&coin, &tx.vout[0], 150, false));
    char *err = NULL;
    assert_true(coins_cache_add(f->cache, &own, &coin, false, &err));
    coin_clear(&coin);
    expect_reject(f, &tx, MEMPOOL_RESULT_CONFLICT, "txn-already-known");
    tx_clear(&tx);

    /* BIP68: 10-block relative lock on a coin 5 blocks deep */
    struct outpoint young = fund_script(f, 100000, CHAIN_LEN - 5, false, NULL, 0);
    build(f, &tx, &(struct in_spec){young, 100000}, 1, outs, 1);
    tx.vin[0].sequence = 10;
    sign(f, &tx, &(struct in_spec){young, 100000});
    expect_reject(f, &tx, MEMPOOL_RESULT_PREMATURE, "non-BIP68-final");
    tx.vin[0].sequence = 5;
    sign(f, &tx, &(struct in_spec){young, 100000});
    assert_true(accept_opts(f, &tx, &test, &r));
    mempool_accept_result_clear(&r);
    tx_clear(&tx);

    /* immature coinbase */
    struct outpoint cb = fund_script(f, 100000, CHAIN_LEN - 50, true, NULL, 0);
    spend1(f, &tx, cb, 100000, outs, 1);
    expect_reject(f, &tx, MEMPOOL_RESULT_PREMATURE, "bad-txns-premature-spend-of-coinbase");
    tx_clear(&tx);

    /* outputs above inputs */
    spend1(f, &tx, op, 100000, (int64_t[]){100001}, 1);
    expect_reject(f, &tx, MEMPOOL_RESULT_CONSENSUS, "bad-txns-in-belowout");
    tx_clear(&tx);

    /* nonstandard input: a bare OP_TRUE output */
    uint8_t optrue[1] = {OP_TRUE};
    struct outpoint ns = fund_script(f, 100000, 10, false, optrue, 1);
    build(f, &tx, &(struct in_spec){ns, 100000}, 1, outs, 1);
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "bad-txns-nonstandard-inputs");
    tx_clear(&tx);

    /* witness on a P2PKH input */
    uint8_t p2pkh[25] = {OP_DUP, OP_HASH160, 20};
    hash160(f->pk, 33, p2pkh + 3);
    p2pkh[23] = OP_EQUALVERIFY;
    p2pkh[24] = OP_CHECKSIG;
    struct outpoint pkh = fund_script(f, 100000, 10, false, p2pkh, sizeof(p2pkh));
    spend1(f, &tx, pkh, 100000, outs, 1);
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "bad-witness-nonstandard");
    tx_clear(&tx);

    /* too many sigops: 201 bare 1-of-1 multisig outputs (80 sigop cost each) */
    struct outpoint big = fund(f, 10 * COIN);
    int64_t many[201];
    for (int i = 0; i < 201; i++) many[i] = 10000;
    build(f, &tx, &(struct in_spec){big, 10 * COIN}, 1, many, 201);
    uint8_t ms[37] = {OP_1, 33};
    memcpy(ms + 2, f->pk, 33);
    ms[35] = OP_1;
    ms[36] = OP_CHECKMULTISIG;
    for (int i = 0; i < 201; i++)
        assert_true(tx_set_script_pubkey(&tx.vout[i], ms, sizeof(ms)));
    sign(f, &tx, &(struct in_spec){big, 10 * COIN});
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "bad-txns-too-many-sigops");
    tx_clear(&tx);

    /* dust with a fee */
    spend1(f, &tx, op, 100000, (int64_t[]){90000, 100}, 2);
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY, "dust");
    tx_clear(&tx);

    /* fee below the relay minimum */
    spend1(f, &tx, op, 100000, (int64_t[]){99950}, 1);
    expect_reject(f, &tx, MEMPOOL_RESULT_MEMPOOL_POLICY, "min relay fee not met");
    /* ... which bypass_limits skips (test only) */
    struct mempool_accept_options byp = {0};
    byp.bypass_limits = true;
    byp.test_accept = true;
    assert_true(accept_opts(f, &tx, &byp, &r));
    mempool_accept_result_clear(&r);
    /* ... and a prioritisation delta lifts */
    struct mempool_accept_options delta = {0};
    delta.test_accept = true;
    delta.fee_delta = 1000;
    assert_true(accept_opts(f, &tx, &delta, &r));
    assert_int_equal(r.modified_fee, 1050);
    mempool_accept_result_clear(&r);
    tx_clear(&tx);

    /* testmempoolaccept maxfeerate */
    spend1(f, &tx, op, 100000, (int64_t[]){50000}, 1);
    struct mempool_accept_options maxfee = {0};
    maxfee.test_accept = true;
    maxfee.max_fee_rate = 100000; /* 100 sat/vB */
    expect_reject_opts(f, &tx, &maxfee, MEMPOOL_RESULT_MEMPOOL_POLICY, "max-fee-exceeded");
    maxfee.max_fee_rate = 1000000;
    assert_true(accept_opts(f, &tx, &maxfee, &r));
    mempool_accept_result_clear(&r);
    tx_clear(&tx);

    /* a bad signature fails the mandatory flags too */
    build(f, &tx, &(struct in_spec){op, 100000}, 1, outs, 1);
    sign(f, &tx, &(struct in_spec){op, 100001});
    expect_reject(f, &tx, MEMPOOL_RESULT_CONSENSUS,
                  "mandatory-script-verify-flag-failed (Script evaluated without error but "
                  "finished with a false/empty top stack element)");
    tx_clear(&tx);

    /* an uncompressed key in P2WPKH fails only the standard flags */
    secp256k1_pubkey pub;
    assert_true(secp256k1_ec_pubkey_create(f->ctx, &pub, f->sk));
    uint8_t upk[65];
    size_t ul = 65;
    assert_true(
        secp256k1_ec_pubkey_serialize(f->ctx, upk, &ul, &pub, SECP256K1_EC_UNCOMPRESSED));
    uint8_t uspk[22] = {OP_0, 20};
    hash160(upk, 65, uspk + 2);
    struct outpoint un = fund_script(f, 100000, 10, false, uspk, sizeof(uspk));
    build(f, &tx, &(struct in_spec){un, 100000}, 1, outs, 1);
    sign_input(f, &tx, 0, 100000, upk, 65);
    expect_reject(f, &tx, MEMPOOL_RESULT_POLICY,
                  "non-mandatory-script-verify-flag (Using non-compressed keys in segwit)");
    tx_clear(&tx);
    assert_int_equal(mempool_size(f->pool), 0);
}

/* A chain of n transactions, each spending output 0 of the previous, fee 1000 each. */
static void make_chain(struct fx *f, struct tx *txs, size_t n, struct outpoint op,
                       int64_t amount)
{
    for (size_t i = 0; i < n; i++) {
        int64_t out = amount - 1000;
        spend1(f, &txs[i], op, amount, &out, 1);
        op = out_of(&txs[i], 0);
        amount = out;
    }
}

static void test_chain_limits(void **state)
{
    struct fx *f = *state;
    struct tx txs[26];
    make_chain(f, txs, 26, fund(f, 1000000), 1000000);
    for (size_t i = 0; i < 25; i++) expect_ok(f, &txs[i]);
    check_consistent(f);
    uint256 id0, id24;
    tx_txid(&txs[0], &id0);
    tx_txid(&txs[24], &id24);
    const struct mempool_entry *first = mempool_get(f->pool, &id0);
    const struct mempool_entry *last = mempool_get(f->pool, &id24);
    assert_int_equal(first->count_with_descendants, 25);
    assert_int_equal(first->mod_fees_with_descendants, 25000);
    assert_int_equal(last->count_with_ancestors, 25);
    assert_int_equal(last->mod_fees_with_ancestors, 25000);
    assert_int_equal(last->size_with_ancestors, 25 * last->vsize);
    assert_int_equal(last->sigops_with_ancestors, 25);
    const struct mempool_entry **set;
    size_t n;
    assert_true(mempool_ancestors(f->pool, last, &set, &n));
    assert_int_equal(n, 24);
    free(set);
    assert_true(mempool_descendants(f->pool, first, &set, &n));
    assert_int_equal(n, 24);
    free(set);
    assert_true(mempool_sorted_by_ancestor_score(f->pool, &set, &n));
    assert_int_equal(n, 25);
    free(set);

    struct mempool_accept_result r;
    assert_false(accept_opts(f, &txs[25], NULL, &r));
    assert_string_equal(r.reason, "too-long-mempool-chain");
    assert_int_equal(r.kind, MEMPOOL_RESULT_MEMPOOL_POLICY);
    assert_non_null(strstr(r.debug, "limit: 25"));
    mempool_accept_result_clear(&r);

    /* Removing the middle takes its descendants and fixes the totals above it. */
    uint256 id12;
    tx_txid(&txs[12], &id12);
    assert_int_equal(mempool_remove_recursive(f->pool, &id12, MEMPOOL_REMOVED_CONFLICT), 13);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_CONFLICT], 13);
    first = mempool_get(f->pool, &id0);
    assert_int_equal(first->count_with_descendants, 12);
    check_consistent(f);
    for (size_t i = 0; i < 26; i++) tx_clear(&txs[i]);
}

static void test_ancestor_size_limit(void **state)
{
    struct fx *f = *state;
    struct policy_params p;
    policy_params_default(&p);
    p.ancestor_size_kvb = 1; /* 1000 vB: about 9 small transactions */
    p.descendant_size_kvb = 1;
    mempool_free(f->pool);
    f->pool = new_pool(f, &p);
    struct tx txs[12];
    make_chain(f, txs, 12, fund(f, 1000000), 1000000);
    size_t ok = 0;
    struct mempool_accept_result r;
    for (size_t i = 0; i < 12; i++) {
        if (accept_opts(f, &txs[i], NULL, &r)) {
            ok++;
        } else {
            assert_string_equal(r.reason, "too-long-mempool-chain");
            assert_non_null(strstr(r.debug, "size limit"));
            mempool_accept_result_clear(&r);
            break;
        }
        mempool_accept_result_clear(&r);
    }
    assert_true(ok >= 5 && ok < 12);
    for (size_t i = 0; i < 12; i++) tx_clear(&txs[i]);
}

static void test_rbf(void **state)
{
    struct fx *f = *state;
    struct outpoint x = fund(f, 100000);
    struct tx a, b, c, t;
    struct mempool_accept_result r;

    spend1(f, &a, x, 100000, (int64_t[]){99000}, 1);
    expect_ok(f, &a);
    /* Replacement paying more (full RBF: no signalling needed) */
    build(f, &b, &(struct in_spec){x, 100000}, 1, (int64_t[]){97000}, 1);
    b.vin[0].sequence = 0xffffffff;
    sign(f, &b, &(struct in_spec){x, 100000});
    assert_true(accept_opts(f, &b, NULL, &r));
    assert_int_equal(r.replaced_count, 1);
    uint256 aid;
    tx_txid(&a, &aid);
    assert_memory_equal(r.replaced[0].b, aid.b, 32);
    mempool_accept_result_clear(&r);
    assert_false(mempool_exists(f->pool, &aid));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REPLACED], 1);

    /* B gets a child C (fee 5000). */
    spend1(f, &c, out_of(&b, 0), 97000, (int64_t[]){92000}, 1);
    expect_ok(f, &c);

    /* Rule 6: lower fee rate than the direct conflict */
    spend1(f, &t, x, 100000, (int64_t[]){98000}, 1);
    expect_reject(f, &t, MEMPOOL_RESULT_MEMPOOL_POLICY, "insufficient fee");
    tx_clear(&t);
    /* Rule 3: higher rate than B but less than B + C's 8000 */
    spend1(f, &t, x, 100000, (int64_t[]){95000}, 1);
    assert_false(accept_opts(f, &t, NULL, &r));
    assert_string_equal(r.reason, "insufficient fee");
    assert_non_null(strstr(r.debug, "less fees than conflicting txs"));
    mempool_accept_result_clear(&r);
    tx_clear(&t);
    /* Rule 4: 50 sat more than B + C: not enough for its own relay */
    spend1(f, &t, x, 100000, (int64_t[]){91950}, 1);
    assert_false(accept_opts(f, &t, NULL, &r));
    assert_string_equal(r.reason, "insufficient fee");
    assert_non_null(strstr(r.debug, "not enough additional fees"));
    mempool_accept_result_clear(&r);
    tx_clear(&t);

    /* Spending an output of the transaction it replaces */
    struct in_spec two[2] = {{x, 100000}, {out_of(&b, 0), 97000}};
    build(f, &t, two, 2, (int64_t[]){150000}, 1);
    sign(f, &t, two);
    expect_reject(f, &t, MEMPOOL_RESULT_CONSENSUS, "bad-txns-spends-conflicting-tx");
    tx_clear(&t);

    /* Adding a new unconfirmed input */
    struct outpoint y = fund(f, 100000);
    struct tx u;
    spend1(f, &u, y, 100000, (int64_t[]){99000}, 1);
    expect_ok(f, &u);
    struct in_spec xu[2] = {{x, 100000}, {out_of(&u, 0), 99000}};
    build(f, &t, xu, 2, (int64_t[]){100000}, 1);
    sign(f, &t, xu);
    expect_reject(f, &t, MEMPOOL_RESULT_CONSENSUS, "replacement-adds-unconfirmed");
    tx_clear(&t);

    /* A good replacement of B evicts B and C */
    spend1(f, &t, x, 100000, (int64_t[]){80000}, 1);
    assert_true(accept_opts(f, &t, NULL, &r));
    assert_int_equal(r.replaced_count, 2);
    mempool_accept_result_clear(&r);
    assert_int_equal(mempool_size(f->pool), 2);
    check_consistent(f);
    tx_clear(&t);
    tx_clear(&a);
    tx_clear(&b);
    tx_clear(&c);
    tx_clear(&u);
}

static void test_rbf_too_many(void **state)
{
    struct fx *f = *state;
    enum { N = 101 };
    struct in_spec ins[N];
    for (int i = 0; i < N; i++) {
        ins[i].op = fund(f, 100000);
        ins[i].amount = 100000;
        struct tx t;
        spend1(f, &t, ins[i].op, 100000, (int64_t[]){99000}, 1);
        expect_ok(f, &t);
        tx_clear(&t);
    }
    struct tx big;
    build(f, &big, ins, N, (int64_t[]){N * 50000}, 1);
    sign(f, &big, ins);
    struct mempool_accept_result r;
    assert_false(accept_opts(f, &big, NULL, &r));
    assert_string_equal(r.reason, "too many potential replacements");
    assert_int_equal(r.kind, MEMPOOL_RESULT_MEMPOOL_POLICY);
    mempool_accept_result_clear(&r);
    tx_clear(&big);
    /* 100 is allowed */
    build(f, &big, ins, N - 1, (int64_t[]){(N - 1) * 50000}, 1);
    sign(f, &big, ins);
    assert_true(accept_opts(f, &big, NULL, &r));
    assert_int_equal(r.replaced_count, 100);
    mempool_accept_result_clear(&r);
    assert_int_equal(mempool_size(f->pool), 2);
    check_consistent(f);
    tx_clear(&big);
}

static void test_eviction_and_min_fee(void **state)
{
    struct fx *f = *state;
    /* Ten transactions paying 1000..10000 sat. */
    struct tx txs[10];
    for (int i = 0; i < 10; i++) {
        struct outpoint op = fund(f, 100000);
        spend1(f, &txs[i], op, 100000, (int64_t[]){100000 - 1000 * (i + 1)}, 1);
        expect_ok(f, &txs[i]);
    }
    assert_int_equal(mempool_min_fee(f->pool, T0), 0);
    size_t usage = mempool_usage(f->pool);
    /* Trim just below: the cheapest goes, the rolling minimum becomes its rate + 1000. */
    assert_int_equal(mempool_trim_to_size(f->pool, usage - 1), 1);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_SIZELIMIT], 1);
    uint256 id0;
    tx_txid(&txs[0], &id0);
    assert_false(mempool_exists(f->pool, &id0));
    int64_t vsize0 = ((int64_t)tx_weight(&txs[0]) + 3) / 4;
    int64_t expect = feerate_from_fee(1000, vsize0) + 1000;
    assert_int_equal(mempool_min_fee(f->pool, T0), expect);
    struct mempool_info info;
    mempool_get_info(f->pool, T0, &info);
    assert_int_equal(info.mempool_min_fee, expect);
    /* A transaction paying only the relay minimum is now refused. */
    expect_reject(f, &txs[0], MEMPOOL_RESULT_MEMPOOL_POLICY, "mempool min fee not met");
    check_consistent(f);

    /* After a block the minimum decays (quarter half-life: the pool is nearly empty). */
    struct block blk = {0};
    mempool_remove_for_block(f->pool, &blk, CHAIN_LEN, T0);
    assert_int_equal(mempool_min_fee(f->pool, T0 + 5), expect); /* within 10 s: unchanged */
    int64_t later = mempool_min_fee(f->pool, T0 + 3 * 3600);
    assert_true(later >= 1000 && later < expect);
    assert_int_equal(mempool_min_fee(f->pool, T0 + 48 * 3600), 0);

    /* A pool whose limit is 0 bytes takes nothing. */
    struct policy_params p;
    policy_params_default(&p);
    p.max_mempool_mb = 0;
    mempool_free(f->pool);
    f->pool = new_pool(f, &p);
    expect_reject(f, &txs[5], MEMPOOL_RESULT_MEMPOOL_POLICY, "mempool full");
    for (int i = 0; i < 10; i++) tx_clear(&txs[i]);
}

static void test_eviction_packages(void **state)
{
    struct fx *f = *state;
    /* A low-fee parent with a high-fee child outranks a medium lone transaction: the
     * package's descendant score decides. */
    struct tx p, c, m;
    struct outpoint a = fund(f, 100000), b = fund(f, 100000);
    spend1(f, &p, a, 100000, (int64_t[]){99850}, 1);            /* ~1.4 sat/vB */
    spend1(f, &c, out_of(&p, 0), 99850, (int64_t[]){89850}, 1); /* 10000 sat */
    spend1(f, &m, b, 100000, (int64_t[]){97000}, 1);            /* ~27 sat/vB */
    expect_ok(f, &p);
    expect_ok(f, &c);
    expect_ok(f, &m);
    assert_int_equal(mempool_trim_to_size(f->pool, mempool_usage(f->pool) - 1), 1);
    uint256 mid;
    tx_txid(&m, &mid);
    assert_false(mempool_exists(f->pool, &mid));
    /* Trimming further takes the package (parent with its child) at once. */
    assert_int_equal(mempool_trim_to_size(f->pool, 0), 2);
    assert_int_equal(mempool_size(f->pool), 0);
    tx_clear(&p);
    tx_clear(&c);
    tx_clear(&m);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    struct tx old, child, fresh;
    spend1(f, &old, fund(f, 100000), 100000, (int64_t[]){99000}, 1);
    spend1(f, &child, out_of(&old, 0), 99000, (int64_t[]){98000}, 1);
    spend1(f, &fresh, fund(f, 100000), 100000, (int64_t[]){99000}, 1);
    struct mempool_accept_options o = {0};
    o.entry_time = T0 - 337 * 3600;
    struct mempool_accept_result r;
    assert_true(accept_opts(f, &old, &o, &r));
    mempool_accept_result_clear(&r);
    expect_ok(f, &child);
    expect_ok(f, &fresh);
    assert_int_equal(mempool_expire(f->pool, T0 - 3600), 0);
    assert_int_equal(mempool_expire(f->pool, T0), 2);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_EXPIRY], 2);
    assert_int_equal(mempool_size(f->pool), 1);
    check_consistent(f);
    tx_clear(&old);
    tx_clear(&child);
    tx_clear(&fresh);
}

/* Core's mempool sequence: +1 per addition and per removal, whatever the reason; the
 * addition hook hears only transactions that stayed, and says which ones count for fee
 * estimation. */
static void test_sequence_and_addition_hook(void **state)
{
    struct fx *f = *state;
    assert_int_equal(mempool_sequence(f->pool), 1);
    struct tx a, b, c, d;
    spend1(f, &a, fund(f, 100000), 100000, (int64_t[]){99000}, 1);
    spend1(f, &b, out_of(&a, 0), 99000, (int64_t[]){98000}, 1);
    spend1(f, &c, fund(f, 100000), 100000, (int64_t[]){99000}, 1);
    spend1(f, &d, fund(f, 100000), 100000, (int64_t[]){99000}, 1);

    /* A test_accept and a rejection change nothing. */
    struct mempool_accept_options o = {0};
    o.test_accept = true;
    struct mempool_accept_result r;
    assert_true(accept_opts(f, &a, &o, &r));
    mempool_accept_result_clear(&r);
    expect_reject(f, &b, MEMPOOL_RESULT_MISSING_INPUTS, "bad-txns-inputs-missingorspent");
    assert_int_equal(mempool_sequence(f->pool), 1);
    assert_int_equal(f->added, 0);

    expect_ok(f, &a);
    assert_int_equal(mempool_sequence(f->pool), 2);
    assert_int_equal(f->added, 1);
    assert_int_equal(f->added_valid, 1);
    uint256 aid;
    tx_txid(&a, &aid);
    assert_memory_equal(f->last_added.b, aid.b, 32);
    /* A child of a pool transaction is not a fee-estimation sample. */
    expect_ok(f, &b);
    assert_int_equal(mempool_sequence(f->pool), 3);
    assert_int_equal(f->added, 2);
    assert_int_equal(f->added_valid, 1);
    /* Neither is one accepted with bypass_limits (reorg, mempool.dat). */
    o.test_accept = false;
    o.bypass_limits = true;
    assert_true(accept_opts(f, &c, &o, &r));
    mempool_accept_result_clear(&r);
    assert_int_equal(mempool_sequence(f->pool), 4);
    assert_int_equal(f->added, 3);
    assert_int_equal(f->added_valid, 1);
    expect_reject(f, &a, MEMPOOL_RESULT_ALREADY_KNOWN, "txn-already-in-mempool");
    assert_int_equal(mempool_sequence(f->pool), 4);

    /* Removing A takes B along: two removals. */
    assert_int_equal(mempool_remove_recursive(f->pool, &aid, MEMPOOL_REMOVED_CONFLICT), 2);
    assert_int_equal(mempool_sequence(f->pool), 6);
    /* A block confirming C: one more. */
    struct block blk = {0};
    blk.txs = calloc(1, sizeof(struct tx));
    assert_true(tx_copy(&blk.txs[0], &c));
    blk.tx_count = 1;
    mempool_remove_for_block(f->pool, &blk, CHAIN_LEN, T0);
    assert_int_equal(mempool_sequence(f->pool), 7);
    assert_int_equal(mempool_size(f->pool), 0);
    tx_clear(&blk.txs[0]);
    free(blk.txs);

    /* "mempool full": added then trimmed at once; only the removal counts and the
     * addition hook is not called. */
    struct policy_params p;
    policy_params_default(&p);
    p.max_mempool_mb = 0;
    mempool_free(f->pool);
    f->pool = new_pool(f, &p);
    size_t added = f->added, trimmed = f->removed[MEMPOOL_REMOVED_SIZELIMIT];
    expect_reject(f, &d, MEMPOOL_RESULT_MEMPOOL_POLICY, "mempool full");
    assert_int_equal(f->added, added);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_SIZELIMIT], trimmed + 1);
    assert_int_equal(mempool_sequence(f->pool), 2);
    tx_clear(&a);
    tx_clear(&b);
    tx_clear(&c);
    tx_clear(&d);
}

static void test_block_and_reorg(void **state)
{
    struct fx *f = *state;
    struct outpoint x = fund(f, 100000), y = fund(f, 100000);
    struct tx a, b, c, c2, d;
    spend1(f, &a, x, 100000, (int64_t[]){99000}, 1);
    spend1(f, &b, out_of(&a, 0), 99000, (int64_t[]){98000}, 1);
    spend1(f, &c, y, 100000, (int64_t[]){99000}, 1);
    spend1(f, &c2, out_of(&c, 0), 99000, (int64_t[]){98000}, 1);
    spend1(f, &d, y, 100000, (int64_t[]){90000}, 1); /* the block's conflicting spend */
    expect_ok(f, &a);
    expect_ok(f, &b);
    expect_ok(f, &c);
    expect_ok(f, &c2);

    /* Connect a block with A and D (which conflicts with C). */
    struct block blk = {0};
    blk.txs = calloc(2, sizeof(struct tx));
    assert_true(tx_copy(&blk.txs[0], &a));
    assert_true(tx_copy(&blk.txs[1], &d));
    blk.tx_count = 2;
    mempool_remove_for_block(f->pool, &blk, CHAIN_LEN, T0);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_BLOCK], 1);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_CONFLICT], 2);
    assert_int_equal(mempool_size(f->pool), 1);
    uint256 bid;
    tx_txid(&b, &bid);
    const struct mempool_entry *be = mempool_get(f->pool, &bid);
    assert_non_null(be);
    assert_int_equal(be->count_with_ancestors, 1);
    assert_int_equal(be->parent_count, 0);
    check_consistent(f);

    /* The chainstate after the block: A's output exists, X is spent. */
    assert_true(coins_cache_spend(f->cache, &x, NULL));
    assert_true(coins_cache_spend(f->cache, &y, NULL));
    char *err = NULL;
    assert_true(coins_cache_add_tx(f->cache, &a, NULL, CHAIN_LEN, false, &err));
    assert_true(coins_cache_add_tx(f->cache, &d, NULL, CHAIN_LEN, false, &err));

    /* Disconnect it: the chainstate goes back, A is re-added below B. */
    struct outpoint a0 = out_of(&a, 0), d0 = out_of(&d, 0);
    assert_true(coins_cache_spend(f->cache, &a0, NULL));
    assert_true(coins_cache_spend(f->cache, &d0, NULL));
    struct coin coin;
    struct tx_out spk = {100000, f->spk, sizeof(f->spk)};
    assert_true(coin_set(&coin, &spk, 10, false));
    assert_true(coins_cache_add(f->cache, &x, &coin, false, &err));
    assert_true(coins_cache_add(f->cache, &y, &coin, false, &err));
    coin_clear(&coin);
    assert_int_equal(
        mempool_readd_disconnected(f->pool, blk.txs, blk.tx_count, &f->tip, f->cache), 2);
    assert_int_equal(mempool_size(f->pool), 3);
    be = mempool_get(f->pool, &bid);
    assert_int_equal(be->count_with_ancestors, 2);
    assert_int_equal(be->parent_count, 1);
    uint256 aid;
    tx_txid(&a, &aid);
    assert_int_equal(mempool_get(f->pool, &aid)->count_with_descendants, 2);
    check_consistent(f);

    /* A deeper reorg to a lower tip makes a height-locked transaction non-final. */
    struct tx lk;
    struct outpoint z = fund(f, 100000);
    build(f, &lk, &(struct in_spec){z, 100000}, 1, (int64_t[]){99000}, 1);
    lk.locktime = CHAIN_LEN - 1;
    lk.vin[0].sequence = 0xfffffffe;
    sign(f, &lk, &(struct in_spec){z, 100000});
    expect_ok(f, &lk);
    set_tip(f, CHAIN_LEN - 10);
    assert_int_equal(mempool_readd_disconnected(f->pool, NULL, 0, &f->tip, f->cache), 0);
    uint256 lid;
    tx_txid(&lk, &lid);
    assert_false(mempool_exists(f->pool, &lid));
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REORG], 1);
    assert_int_equal(mempool_size(f->pool), 3);
    check_consistent(f);

    /* A disconnected transaction that can no longer be accepted (its input is gone)
     * takes the pool transactions spending it along. */
    struct tx q, rr;
    struct outpoint gone = {{{0}}, 3};
    gone.hash.b[0] = 0x77;
    spend1(f, &q, gone, 100000, (int64_t[]){99000}, 1);
    struct outpoint q0 = out_of(&q, 0);
    struct coin qc;
    assert_true(coin_set(&qc, &q.vout[0], CHAIN_LEN - 20, false));
    assert_true(coins_cache_add(f->cache, &q0, &qc, false, &err));
    coin_clear(&qc);
    spend1(f, &rr, q0, 99000, (int64_t[]){98000}, 1);
    expect_ok(f, &rr);
    assert_true(coins_cache_spend(f->cache, &q0, NULL));
    size_t reorg_before = f->removed[MEMPOOL_REMOVED_REORG];
    assert_int_equal(mempool_readd_disconnected(f->pool, &q, 1, &f->tip, f->cache), 0);
    assert_int_equal(f->removed[MEMPOOL_REMOVED_REORG], reorg_before + 1);
    uint256 rid;
    tx_txid(&rr, &rid);
    assert_false(mempool_exists(f->pool, &rid));
    check_consistent(f);
    tx_clear(&q);
    tx_clear(&rr);

    for (size_t i = 0; i < blk.tx_count; i++) tx_clear(&blk.txs[i]);
    free(blk.txs);
    tx_clear(&a);
    tx_clear(&b);
    tx_clear(&c);
    tx_clear(&c2);
    tx_clear(&d);
    tx_clear(&lk);
}

struct load_ctx {
    struct fx *f;
    struct mempool *pool;
};

static bool load_one(void *ctx, const struct tx *tx, int64_t time, int64_t fee_delta)
{
    struct load_ctx *lc = ctx;
    struct mempool_accept_options o = {0};
    o.bypass_limits = true;
    o.entry_time = time;
    o.fee_delta = fee_delta;
    struct mempool_accept_result r;
    bool ok = mempool_accept(lc->pool, tx, &lc->f->tip, lc->f->cache, &o, &r);
    mempool_accept_result_clear(&r);
    return ok;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void write_all_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_dump_load(void **state)
{
    struct fx *f = *state;
    struct tx txs[3];
    make_chain(f, txs, 3, fund(f, 100000), 100000);
    for (int i = 0; i < 3; i++) {
        struct mempool_accept_options o = {0};
        o.entry_time = T0 - 100 + i;
        o.fee_delta = i == 1 ? 500 : 0;
        struct mempool_accept_result r;
        assert_true(accept_opts(f, &txs[i], &o, &r));
        mempool_accept_result_clear(&r);
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/mempool.dat", f->dir);
    char *err = NULL;
    assert_true(mempool_dump(f->pool, path, &err));

    struct policy_params p;
    policy_params_default(&p);
    struct load_ctx lc = {f, new_pool(f, &p)};
    struct mempool_load_stats st;
    assert_true(mempool_load(path, load_one, &lc, &st, &err));
    assert_null(err);
    assert_int_equal(st.expected, 3);
    assert_int_equal(st.read, 3);
    assert_int_equal(st.accepted, 3);
    assert_false(st.truncated_or_corrupt);
    for (int i = 0; i < 3; i++) {
        uint256 id;
        tx_txid(&txs[i], &id);
        const struct mempool_entry *e = mempool_get(lc.pool, &id);
        assert_non_null(e);
        assert_int_equal(e->time, T0 - 100 + i);
        assert_int_equal(e->modified_fee - e->fee, i == 1 ? 500 : 0);
    }
    mempool_free(lc.pool);

    /* Core's load semantics: the oldest record is past -mempoolexpiry at a later time;
     * its children then lack their inputs. */
    struct mempool *p2 = new_pool(f, &p);
    struct mempool_chain_tip later = f->tip;
    later.now = T0 - 100 + 336 * 3600;
    assert_true(mempool_load_accept(p2, path, &later, f->cache, &st, &err));
    assert_int_equal(st.read, 3);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.accepted, 0);
    mempool_free(p2);
    p2 = new_pool(f, &p);
    assert_true(mempool_load_accept(p2, path, &f->tip, f->cache, &st, &err));
    assert_int_equal(st.accepted, 3);
    assert_int_equal(mempool_size(p2), 3);
    mempool_free(p2);

    /* Every truncation loads a prefix and reports the rest; never crashes. */
    size_t len;
    uint8_t *full = read_all(path, &len);
    char cut[160];
    snprintf(cut, sizeof(cut), "%s/cut.dat", f->dir);
    uint64_t prev = 0;
    for (size_t n = 0; n < len; n++) {
        write_all_file(cut, full, n);
        lc.pool = new_pool(f, &p);
        bool ok = mempool_load(cut, load_one, &lc, &st, &err);
        if (n < 20) {
            assert_false(ok);
        } else {
            assert_true(ok);
            assert_true(st.truncated_or_corrupt);
            assert_true(st.accepted >= prev && st.accepted < 3);
            prev = st.accepted;
        }
        free(err);
        err = NULL;
        mempool_free(lc.pool);
    }
    assert_int_equal(prev, 2);

    /* A flipped byte in the second record: the first loads, the damage is reported. */
    uint32_t l0 = (uint32_t)full[20] | (uint32_t)full[21] << 8 | (uint32_t)full[22] << 16 |
                  (uint32_t)full[23] << 24;
    size_t second = 20 + 4 + l0 + 4;
    full[second + 10] ^= 0x40;
    write_all_file(cut, full, len);
    lc.pool = new_pool(f, &p);
    assert_true(mempool_load(cut, load_one, &lc, &st, &err));
    assert_true(st.truncated_or_corrupt);
    assert_int_equal(st.accepted, 1);
    assert_non_null(err);
    assert_non_null(strstr(err, "corrupt"));
    free(err);
    err = NULL;
    mempool_free(lc.pool);

    /* A wrong version or magic is refused; a missing file is an empty pool. */
    full[second + 10] ^= 0x40;
    full[8] = 9;
    write_all_file(cut, full, len);
    assert_false(mempool_load(cut, load_one, &lc, &st, &err));
    free(err);
    err = NULL;
    snprintf(cut, sizeof(cut), "%s/none.dat", f->dir);
    assert_true(mempool_load(cut, load_one, &lc, &st, &err));
    assert_int_equal(st.read, 0);

    /* The record parser on its own. */
    struct tx t;
    int64_t tm, dl;
    size_t used;
    assert_true(mempool_parse_record(full + 20, len - 20, &t, &tm, &dl, &used));
    assert_int_equal(used, 4 + l0 + 4);
    tx_clear(&t);
    assert_false(mempool_parse_record(full + 20, used - 1, &t, &tm, &dl, &used));
    free(full);

    /* Dumping to an unwritable place fails cleanly. */
    assert_false(mempool_dump(f->pool, "/nonexistent-dir/mempool.dat", &err));
    assert_non_null(err);
    free(err);
    for (int i = 0; i < 3; i++) tx_clear(&txs[i]);
}

static void test_descendant_limit_and_carveout(void **state)
{
    struct fx *f = *state;
    int64_t outs[26];
    for (int i = 0; i < 26; i++) outs[i] = 10000;
    struct tx parent;
    spend1(f, &parent, fund(f, 300000), 300000, outs, 26);
    expect_ok(f, &parent);
    struct tx kids[26];
    for (int i = 0; i < 26; i++)
        spend1(f, &kids[i], out_of(&parent, (uint32_t)i), 10000, (int64_t[]){9000}, 1);
    for (int i = 0; i < 24; i++) expect_ok(f, &kids[i]);
    /* The 25th descendant only fits through the CPFP carve-out (one parent, small). */
    expect_ok(f, &kids[24]);
    uint256 pid;
    tx_txid(&parent, &pid);
    assert_int_equal(mempool_get(f->pool, &pid)->count_with_descendants, 26);
    struct mempool_accept_result r;
    assert_false(accept_opts(f, &kids[25], NULL, &r));
    assert_string_equal(r.reason, "too-long-mempool-chain");
    assert_non_null(strstr(r.debug, "too many descendants"));
    mempool_accept_result_clear(&r);
    check_consistent(f);
    tx_clear(&parent);
    for (int i = 0; i < 26; i++) tx_clear(&kids[i]);
}

static void test_truc(void **state)
{
    struct fx *f = *state;
    struct tx v, n, a, g, b, c, x, y;
    struct outpoint op = fund(f, 100000);
    build(f, &v, &(struct in_spec){op, 100000}, 1, (int64_t[]){49000, 50000}, 2);
    v.version = 3;
    sign(f, &v, &(struct in_spec){op, 100000});
    expect_ok(f, &v);

    /* A non-TRUC child of a TRUC parent */
    spend1(f, &n, out_of(&v, 0), 49000, (int64_t[]){48000}, 1);
    assert_int_equal(n.version, 2);
    struct mempool_accept_result r;
    assert_false(accept_opts(f, &n, NULL, &r));
    assert_string_equal(r.reason, "TRUC-violation");
    assert_non_null(strstr(r.debug, "non-version=3 tx"));
    mempool_accept_result_clear(&r);

    /* A TRUC child is fine; a grandchild is not. */
    struct in_spec ia = {out_of(&v, 0), 49000};
    build(f, &a, &ia, 1, (int64_t[]){48000}, 1);
    a.version = 3;
    sign(f, &a, &ia);
    expect_ok(f, &a);
    struct in_spec ig = {out_of(&a, 0), 48000};
    build(f, &g, &ig, 1, (int64_t[]){47000}, 1);
    g.version = 3;
    sign(f, &g, &ig);
    assert_false(accept_opts(f, &g, NULL, &r));
    assert_string_equal(r.reason, "TRUC-violation");
    assert_non_null(strstr(r.debug, "too many ancestors"));
    mempool_accept_result_clear(&r);

    /* A second child evicts the first when it pays enough (sibling eviction) ... */
    struct in_spec ib = {out_of(&v, 1), 50000};
    build(f, &c, &ib, 1, (int64_t[]){49800}, 1);
    c.version = 3;
    sign(f, &c, &ib);
    expect_reject(f, &c, MEMPOOL_RESULT_MEMPOOL_POLICY,
                  "insufficient fee (including sibling eviction)");
    build(f, &b, &ib, 1, (int64_t[]){47000}, 1);
    b.version = 3;
    sign(f, &b, &ib);
    assert_true(accept_opts(f, &b, NULL, &r));
    assert_int_equal(r.replaced_count, 1);
    uint256 aid;
    tx_txid(&a, &aid);
    assert_memory_equal(r.replaced[0].b, aid.b, 32);
    mempool_accept_result_clear(&r);
    check_consistent(f);

    /* A TRUC child of a non-TRUC parent; and an oversized TRUC child. */
    spend1(f, &x, fund(f, 1000000), 1000000, (int64_t[]){990000}, 1);
    expect_ok(f, &x);
    struct in_spec iy = {out_of(&x, 0), 990000};
    build(f, &y, &iy, 1, (int64_t[]){980000}, 1);
    y.version = 3;
    sign(f, &y, &iy);
    assert_false(accept_opts(f, &y, NULL, &r));
    assert_string_equal(r.reason, "TRUC-violation");
    assert_non_null(strstr(r.debug, "cannot spend from non-version=3"));
    mempool_accept_result_clear(&r);
    tx_clear(&y);
    struct tx big;
    struct outpoint bop = fund(f, 1000000);
    build(f, &big, &(struct in_spec){bop, 1000000}, 1, (int64_t[]){900000}, 1);
    big.version = 3;
    sign(f, &big, &(struct in_spec){bop, 1000000});
    expect_ok(f, &big);
    int64_t many[40];
    for (int i = 0; i < 40; i++) many[i] = 20000;
    struct in_spec ibig = {out_of(&big, 0), 900000};
    build(f, &y, &ibig, 1, many, 40);
    y.version = 3;
    sign(f, &y, &ibig);
    assert_false(accept_opts(f, &y, NULL, &r));
    assert_string_equal(r.reason, "TRUC-violation");
    assert_non_null(strstr(r.debug, "child tx"));
    mempool_accept_result_clear(&r);

    tx_clear(&v);
    tx_clear(&n);
    tx_clear(&a);
    tx_clear(&g);
    tx_clear(&b);
    tx_clear(&c);
    tx_clear(&x);
    tx_clear(&y);
    tx_clear(&big);
}

static void test_ephemeral_dust(void **state)
{
    struct fx *f = *state;
    struct tx e, c, ok;
    struct outpoint op = fund(f, 100000);
    spend1(f, &e, op, 100000, (int64_t[]){100000, 0}, 2);
    /* Zero fee: only a bypass (reorg, load) brings it in. */
    expect_reject(f, &e, MEMPOOL_RESULT_MEMPOOL_POLICY, "min relay fee not met");
    struct mempool_accept_options o = {0};
    o.bypass_limits = true;
    struct mempool_accept_result r;
    assert_true(accept_opts(f, &e, &o, &r));
    mempool_accept_result_clear(&r);
    spend1(f, &c, out_of(&e, 0), 100000, (int64_t[]){98000}, 1);
    expect_reject(f, &c, MEMPOOL_RESULT_MEMPOOL_POLICY, "missing-ephemeral-spends");
    struct in_spec both[2] = {{out_of(&e, 0), 100000}, {out_of(&e, 1), 0}};
    build(f, &ok, both, 2, (int64_t[]){98000}, 1);
    sign(f, &ok, both);
    expect_ok(f, &ok);
    tx_clear(&e);
    tx_clear(&c);
    tx_clear(&ok);
}

static void test_tiny_maxmempool(void **state)
{
    struct fx *f = *state;
    struct policy_params p;
    policy_params_default(&p);
    p.max_mempool_mb = 1;
    mempool_free(f->pool);
    f->pool = new_pool(f, &p);
    int i;
    for (i = 0; i < 5000 && f->removed[MEMPOOL_REMOVED_SIZELIMIT] < 20; i++) {
        struct tx t;
        spend1(f, &t, fund(f, 100000), 100000, (int64_t[]){100000 - 1000 - i}, 1);
        expect_ok(f, &t);
        tx_clear(&t);
        assert_true(mempool_usage(f->pool) <= 1000000);
    }
    assert_true(i < 5000);
    int64_t min = mempool_min_fee(f->pool, T0);
    assert_true(min > 1000);
    struct mempool_info info;
    mempool_get_info(f->pool, T0, &info);
    assert_int_equal(info.max_mempool, 1000000);
    assert_int_equal(info.mempool_min_fee, min);
    struct tx low;
    spend1(f, &low, fund(f, 100000), 100000, (int64_t[]){99000}, 1);
    expect_reject(f, &low, MEMPOOL_RESULT_MEMPOOL_POLICY, "mempool min fee not met");
    tx_clear(&low);
    check_consistent(f);
}

static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random accepts (chains, double spends, replacements), removals, trims, expiry and
 * blocks; every index and total is re-derived after each step. */
static void test_random_consistency(void **state)
{
    struct fx *f = *state;
    enum { MAXO = 3000 };
    struct in_spec *avail = calloc(MAXO, sizeof(*avail));
    size_t navail = 0;
    for (int i = 0; i < 30; i++) {
        avail[navail].op = fund(f, 1000000);
        avail[navail++].amount = 1000000;
    }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t accepted = 0;
    for (int step = 0; step < 400; step++) {
        if (step % 10 == 0 && navail < MAXO) {
            avail[navail].op = fund(f, 1000000);
            avail[navail++].amount = 1000000;
        }
        uint64_t what = rng_next(&x) % 20;
        if (what < 15) {
            size_t nin = 1 + rng_next(&x) % 2;
            struct in_spec ins[2];
            if (navail == 0) continue;
            size_t window = navail > 40 && rng_next(&x) % 4 ? 40 : navail;
            size_t i0 = navail - 1 - rng_next(&x) % window;
            size_t i1 = navail - 1 - rng_next(&x) % window;
            ins[0] = avail[i0];
            ins[1] = avail[i1];
            if (nin == 2 && i0 == i1) nin = 1;
            int64_t total = ins[0].amount + (nin == 2 ? ins[1].amount : 0);
            int64_t fee = 200 + (int64_t)(rng_next(&x) % 5000);
            if (total - fee < 20000) continue;
            size_t nout = 1 + rng_next(&x) % 2;
            int64_t outs[2] = {(total - fee) / (int64_t)nout,
                               (total - fee) - (total - fee) / 2};
            if (nout == 1) outs[0] = total - fee;
            struct tx t;
            build(f, &t, ins, nin, outs, nout);
            sign(f, &t, ins);
            struct mempool_accept_options o = {0};
            o.entry_time =
                f->tip.now - (int64_t)(rng_next(&x) % (rng_next(&x) % 10 ? 36000 : 400 * 3600));
            struct mempool_accept_result r;
            if (accept_opts(f, &t, &o, &r)) {
                accepted++;
                /* Mostly forget the spent outputs; some stay for double spends. */
                if (rng_next(&x) % 6) {
                    size_t hi = i0 > i1 ? i0 : i1, lo = i0 > i1 ? i1 : i0;
                    avail[hi] = avail[--navail];
                    if (nin == 2 && lo != hi) avail[lo] = avail[--navail];
                }
                for (size_t k = 0; k < nout && navail < MAXO; k++) {
                    avail[navail].op = out_of(&t, (uint32_t)k);
                    avail[navail++].amount = outs[k];
                }
            } else if (r.kind == MEMPOOL_RESULT_MISSING_INPUTS) {
                /* Some input really is unknown to the pool's coins view. */
                bool all_found = true;
                for (size_t k = 0; k < nin; k++) {
                    struct coin c;
                    if (mempool_view_get_coin(f->pool, f->cache, &ins[k].op, &c))
                        coin_clear(&c);
                    else
                        all_found = false;
                }
                assert_false(all_found);
            } else if (getenv("MEMPOOL_TEST_VERBOSE")) {
                print_message("step %d: %s\n", step, r.reason);
            }
            mempool_accept_result_clear(&r);
            tx_clear(&t);
        } else if (what == 15 && mempool_size(f->pool)) {
            uint256 *ids;
            size_t n;
            assert_true(mempool_txids(f->pool, &ids, &n));
            mempool_remove_recursive(f->pool, &ids[rng_next(&x) % n], MEMPOOL_REMOVED_CONFLICT);
            free(ids);
        } else if (what == 16) {
            mempool_trim_to_size(f->pool, mempool_usage(f->pool) * 9 / 10);
        } else if (what == 17) {
            mempool_expire(f->pool, f->tip.now);
        } else if (what >= 18 && mempool_size(f->pool)) {
            /* A block confirming the best-scoring entries whose parents are all confirmed
             * (a valid block order): the ancestor-score order puts parents first. */
            const struct mempool_entry **v;
            size_t n;
            assert_true(mempool_sorted_by_ancestor_score(f->pool, &v, &n));
            struct block blk = {0};
            blk.txs = calloc(3, sizeof(struct tx));
            for (size_t k = 0; k < n && blk.tx_count < 3; k++) {
                if (v[k]->count_with_ancestors != 1) continue;
                assert_true(tx_copy(&blk.txs[blk.tx_count++], &v[k]->tx));
            }
            free(v);
            mempool_remove_for_block(f->pool, &blk, CHAIN_LEN, f->tip.now);
            char *err = NULL;
            for (size_t k = 0; k < blk.tx_count; k++) {
                for (size_t j = 0; j < blk.txs[k].vin_count; j++)
                    assert_true(coins_cache_spend(f->cache, &blk.txs[k].vin[j].prevout, NULL));
                assert_true(coins_cache_add_tx(f->cache, &blk.txs[k], NULL, CHAIN_LEN - 1,
                                               false, &err));
                tx_clear(&blk.txs[k]);
            }
            free(blk.txs);
        }
        check_consistent(f);
        f->tip.now += 600;
    }
    print_message("random: %zu accepted, %zu left; removed: %zu block, %zu conflict, %zu "
                  "replaced, %zu size, %zu expiry\n",
                  accepted, mempool_size(f->pool), f->removed[MEMPOOL_REMOVED_BLOCK],
                  f->removed[MEMPOOL_REMOVED_CONFLICT], f->removed[MEMPOOL_REMOVED_REPLACED],
                  f->removed[MEMPOOL_REMOVED_SIZELIMIT], f->removed[MEMPOOL_REMOVED_EXPIRY]);
    assert_true(accepted > 50);
    assert_true(f->removed[MEMPOOL_REMOVED_REPLACED] > 0 &&
                f->removed[MEMPOOL_REMOVED_BLOCK] > 0);
    free(avail);
}

/* Acceptance fills the chainstate's caches: verified signatures, then the wtxid under the
 * next block's consensus flags, so block validation does not verify the scripts again.
 * A test-only acceptance records nothing. */
static void test_fills_script_caches(void **state)
{
    struct fx *f = *state;
    uint8_t salt[32] = {7};
    struct sigcache *sc = sigcache_new(1 << 16, salt);
    struct script_cache *xc = script_cache_new(1 << 16, salt);
    assert_non_null(sc);
    assert_non_null(xc);
    mempool_set_script_caches(f->pool, sigcache_mempool_hook(sc), xc, SCRIPT_VERIFY_CONSENSUS);

    struct outpoint op = fund(f, 100000);
    struct tx tx;
    int64_t outs[] = {99000};
    spend1(f, &tx, op, 100000, outs, 1);
    uint256 wtxid;
    tx_wtxid(&tx, &wtxid);

    struct mempool_accept_options o = {0};
    o.test_accept = true;
    struct mempool_accept_result r;
    assert_true(accept_opts(f, &tx, &o, &r));
    mempool_accept_result_clear(&r);
    assert_false(script_cache_contains(xc, &wtxid, SCRIPT_VERIFY_CONSENSUS, false));

    expect_ok(f, &tx);
    assert_true(script_cache_contains(xc, &wtxid, SCRIPT_VERIFY_CONSENSUS, false));
    /* Other flags are another key: no false hit. */
    assert_false(script_cache_contains(xc, &wtxid, SCRIPT_VERIFY_P2SH, false));
    struct sigcache_stats st;
    sigcache_get_stats(sc, &st);
    assert_true(st.inserts >= 1); /* the signature was stored on the way */

    mempool_set_script_caches(f->pool, NULL, NULL, 0);
    tx_clear(&tx);
    script_cache_free(xc);
    sigcache_free(sc);
}

/* ================================================================== fee estimation
 *
 * src/chain/fees.c, tested here because this binary links libchain (see fees.h). A
 * simulated market: every block, four transactions at each of ten fee rates (1000 ..
 * 10000 sat/kvB) enter the pool, and a transaction of level k (rate 1000 * (k + 1)) is
 * mined exactly 10 - k blocks after it entered, so the right answers are known. */

#define FEE_LEVELS    10
#define FEE_PER_LEVEL 4

struct fee_sim {
    struct fee_estimator *est;
    uint32_t counter;
    struct tx *txs; /* waiting */
    int32_t *due;   /* height of the block that takes it; < 0: evicted at -due */
    size_t n, cap;
    int32_t height;
    bool starve_level0; /* level 0 is never mined, evicted after 30 blocks */
};

static void sim_tx(struct tx *tx, uint32_t id)
{
    tx_init(tx);
    assert_true(tx_resize(tx, 1, 1));
    tx->version = 2;
    memcpy(tx->vin[0].prevout.hash.b, &id, sizeof id);
    tx->vin[0].prevout.hash.b[31] = 0xfe;
    tx->vout[0].value = 1000;
}

static void sim_add(struct fee_sim *sim, int level)
{
    if (sim->n == sim->cap) {
        sim->cap = sim->cap ? sim->cap * 2 : 256;
        sim->txs = realloc(sim->txs, sim->cap * sizeof *sim->txs);
        sim->due = realloc(sim->due, sim->cap * sizeof *sim->due);
        assert_non_null(sim->txs);
        assert_non_null(sim->due);
    }
    struct tx *tx = &sim->txs[sim->n];
    sim_tx(tx, ++sim->counter);
    uint256 txid;
    tx_txid(tx, &txid);
    /* vsize 250, fee chosen so the rate is exactly 1000 * (level + 1) per kvB. */
    fees_tx_added(sim->est, &txid, 250 * (level + 1), 250, sim->height, true);
    sim->due[sim->n] =
        (level == 0 && sim->starve_level0) ? -(sim->height + 30) : sim->height + (10 - level);
    sim->n++;
}

/* Connects the next block: mines what is due, then evicts starved transactions, then
 * the new transactions of this height enter. */
static void sim_block(struct fee_sim *sim)
{
    sim->height++;
    struct block b = {0};
    b.txs = calloc(sim->n + 1, sizeof *b.txs);
    assert_non_null(b.txs);
    tx_init(&b.txs[0]);
    b.tx_count = 1;
    size_t keep = 0;
    struct tx *evicted = calloc(sim->n + 1, sizeof *evicted);
    size_t nev = 0;
    for (size_t i = 0; i < sim->n; i++) {
        if (sim->due[i] == sim->height)
            b.txs[b.tx_count++] = sim->txs[i];
        else if (sim->due[i] == -sim->height)
            evicted[nev++] = sim->txs[i];
        else {
            sim->txs[keep] = sim->txs[i];
            sim->due[keep] = sim->due[i];
            keep++;
        }
    }
    sim->n = keep;
    fees_block_connected(sim->est, sim->height, &b);
    for (size_t i = 0; i < nev; i++) {
        uint256 txid;
        tx_txid(&evicted[i], &txid);
        fees_tx_removed(sim->est, &txid);
        tx_clear(&evicted[i]);
    }
    free(evicted);
    for (size_t i = 0; i < b.tx_count; i++) tx_clear(&b.txs[i]);
    free(b.txs);
    for (int level = 0; level < FEE_LEVELS; level++)
        for (int k = 0; k < FEE_PER_LEVEL; k++) sim_add(sim, level);
}

static void sim_free(struct fee_sim *sim)
{
    for (size_t i = 0; i < sim->n; i++) tx_clear(&sim->txs[i]);
    free(sim->txs);
    free(sim->due);
    fees_free(sim->est);
}

static int64_t smart(const struct fee_estimator *est, int target, bool conservative,
                     int *returned)
{
    return fees_estimate_smart(est, target, conservative, returned);
}

static void test_fees_empty_and_bounds(void **state)
{
    (void)state;
    assert_int_equal(fees_highest_target(FEES_SHORT), 12);
    assert_int_equal(fees_highest_target(FEES_MEDIUM), 48);
    assert_int_equal(fees_highest_target(FEES_LONG), 1008);
    assert_string_equal(fees_horizon_name(FEES_MEDIUM), "medium");
    struct fee_estimator *est = fees_new(1, 2);
    assert_non_null(est);
    int returned = -1;
    /* Nothing observed: no estimate, and the usable target is 0 (Core's "blocks": 0). */
    assert_int_equal(smart(est, 6, false, &returned), 0);
    assert_int_equal(returned, 0);
    assert_int_equal(smart(est, 0, false, &returned), 0);
    assert_int_equal(returned, 0);
    assert_int_equal(smart(est, 1009, true, &returned), 0);
    assert_int_equal(returned, 1009);
    struct fees_estimation e;
    assert_int_equal(fees_estimate_raw(est, 6, 0.95, FEES_SHORT, &e), 0);
    assert_true(e.decay == 0.962);
    assert_int_equal(e.scale, 1);
    assert_true(e.pass.start == -1);
    assert_int_equal(fees_estimate_raw(est, 13, 0.95, FEES_SHORT, NULL), 0);
    assert_int_equal(fees_estimate_raw(est, 6, 1.5, FEES_LONG, NULL), 0);

    /* Only transactions at the best height seen, marked valid, count; once. */
    uint256 a = {{1}}, b = {{2}}, c = {{3}};
    fees_tx_added(est, &a, 1000, 250, 0, true);
    assert_int_equal(fees_tracked(est), 1);
    fees_tx_added(est, &a, 5000, 250, 0, true);
    assert_int_equal(fees_tracked(est), 1);
    fees_tx_added(est, &b, 1000, 250, 5, true); /* not at the best height */
    fees_tx_added(est, &c, 1000, 250, 0, false);
    assert_int_equal(fees_tracked(est), 1);
    fees_tx_removed(est, &b); /* unknown: ignored */
    fees_tx_removed(est, &a);
    assert_int_equal(fees_tracked(est), 0);
    /* Blocks at or below the best height are ignored (reorgs). */
    struct block blk = {0};
    fees_block_connected(est, 3, &blk);
    assert_int_equal(fees_best_height(est), 3);
    fees_block_connected(est, 2, &blk);
    fees_block_connected(est, 3, &blk);
    assert_int_equal(fees_best_height(est), 3);
    fees_tx_added(est, &b, 1000, 250, 3, true);
    fees_tx_added(est, &c, 1000, 250, 3, true);
    assert_int_equal(fees_tracked(est), 2);
    fees_flush_unconfirmed(est);
    assert_int_equal(fees_tracked(est), 0);
    fees_free(est);
    fees_free(NULL);
    /* Without a chainstate the chain is not current. */
    struct node_context node;
    memset(&node, 0, sizeof node);
    assert_false(fees_chain_is_current(&node, T0));
}

static void test_fees_simulated_market(void **state)
{
    (void)state;
    struct fee_sim sim = {0};
    sim.est = fees_new(3, 4);
    assert_non_null(sim.est);
    for (int i = 0; i < 200; i++) sim_block(&sim);
    const struct fee_estimator *est = sim.est;
    assert_int_equal(fees_best_height(est), 200);
    assert_int_equal(fees_tracked(est), sim.n);

    /* Raw estimates: the lowest level mined within the target, per horizon. */
    struct fees_estimation e;
    assert_int_equal(fees_estimate_raw(est, 3, 0.85, FEES_SHORT, &e), 8000);
    assert_true(e.pass.start < 8000 && e.pass.end >= 8000);
    assert_true(e.pass.within_target > 0);
    assert_true(e.fail.end >= 7000 && e.fail.start < 7000);
    assert_true(e.fail.within_target == 0);
    assert_true(e.decay == 0.962);
    assert_int_equal(e.scale, 1);
    assert_int_equal(fees_estimate_raw(est, 1, 0.85, FEES_SHORT, NULL), 10000);
    assert_int_equal(fees_estimate_raw(est, 9, 0.95, FEES_SHORT, NULL), 2000);
    assert_int_equal(fees_estimate_raw(est, 12, 0.95, FEES_SHORT, NULL), 1000);
    /* Medium counts in periods of 2 blocks: target 3 means within 4 blocks. */
    assert_int_equal(fees_estimate_raw(est, 3, 0.85, FEES_MEDIUM, &e), 7000);
    assert_int_equal(e.scale, 2);
    /* Long: periods of 24 blocks, everything is mined within the first. */
    assert_int_equal(fees_estimate_raw(est, 3, 0.85, FEES_LONG, &e), 1000);
    assert_int_equal(e.scale, 24);
    assert_true(e.fail.start == -1); /* every bucket passed */

    /* Smart estimates: the maximum of half the target at 60%, the target at 85% and
     * twice the target at 95%; here the half target decides. */
    static const struct {
        int target, expect;
    } want[] = {{1, 10000}, {2, 10000}, {3, 10000}, {4, 9000},
                {6, 8000},  {10, 6000}, {20, 1000}, {48, 1000}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int returned = 0;
        int64_t r = smart(est, want[i].target, false, &returned);
        if (r != want[i].expect)
            fail_msg("target %d: %lld, expected %d", want[i].target, (long long)r,
                     want[i].expect);
        assert_int_equal(returned, want[i].target == 1 ? 2 : want[i].target);
        int64_t cons = smart(est, want[i].target, true, NULL);
        assert_true(cons >= r);
    }
    /* Targets beyond half the blocks observed are lowered to it (counting started at
     * block 2, the first that mined a tracked transaction). */
    int returned = 0;
    assert_int_equal(smart(est, 1008, false, &returned), 1000);
    assert_int_equal(returned, (200 - 2) / 2);

    /* Now level 0 is never mined: its transactions are evicted after 30 blocks and
     * count as failures, so a 20-block target needs level 1. */
    sim.starve_level0 = true;
    for (int i = 0; i < 80; i++) sim_block(&sim);
    assert_int_equal(smart(sim.est, 20, false, NULL), 2000);
    assert_int_equal(smart(sim.est, 10, false, NULL), 6000);
    assert_int_equal(fees_estimate_raw(sim.est, 20, 0.85, FEES_MEDIUM, &e), 2000);
    assert_true(e.fail.start < 1000 && e.fail.end >= 1000);
    assert_true(e.fail.left_mempool > 0);
    assert_true(e.fail.in_mempool > 0);
    sim_free(&sim);
}

static void test_fees_persistence(void **state)
{
    (void)state;
    struct fee_sim sim = {0};
    sim.est = fees_new(5, 6);
    for (int i = 0; i < 120; i++) sim_block(&sim);
    const int64_t now = 1700000000;
    size_t len = 0;
    uint8_t *img = fees_serialize(sim.est, now, &len);
    assert_non_null(img);
    assert_true(len > 100000);

    /* Read back into a fresh estimator: the same statistics (the image written again
     * below is identical). Waiting transactions are not saved; at 85% in the short and
     * medium horizons none of them counts against a passing bucket here, so those
     * answers are the same. (Elsewhere they can differ: the long horizon counts every
     * transaction waiting at least the target against its bucket although its period
     * is 24 blocks, as Core does.) */
    struct fee_estimator *copy = fees_new(7, 8);
    char *err = NULL;
    if (!fees_parse(copy, img, len, now + 3600, &err)) fail_msg("parse: %s", err);
    assert_null(err);
    assert_int_equal(fees_best_height(copy), 120);
    for (int t = 1; t <= 60; t++) {
        int r1 = 0, r2 = 0;
        assert_int_equal(smart(sim.est, t, false, &r1), smart(copy, t, false, &r2));
        assert_int_equal(r1, r2);
    }
    for (int h = FEES_SHORT; h <= FEES_MEDIUM; h++)
        for (int t = 1; t <= (int)fees_highest_target((enum fees_horizon)h); t++)
            assert_int_equal(fees_estimate_raw(sim.est, t, 0.85, (enum fees_horizon)h, NULL),
                             fees_estimate_raw(copy, t, 0.85, (enum fees_horizon)h, NULL));
    /* Saving the copy keeps the observed range (historical heights). */
    size_t len2 = 0;
    uint8_t *img2 = fees_serialize(copy, now, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(img2, img, len);
    free(img2);

    /* Damage is refused as a whole and leaves the estimator alone. */
    struct fee_estimator *fresh = fees_new(9, 10);
    uint8_t *bad = malloc(len);
    memcpy(bad, img, len);
    bad[len / 2] ^= 0x40;
    assert_false(fees_parse(fresh, bad, len, now, &err));
    assert_non_null(strstr(err, "checksum"));
    free(err);
    assert_false(fees_parse(fresh, img, len - 1, now, &err));
    free(err);
    assert_false(fees_parse(fresh, img, 10, now, &err));
    free(err);
    memcpy(bad, img, len);
    bad[0] = 'X';
    assert_false(fees_parse(fresh, bad, len, now, &err));
    assert_non_null(strstr(err, "not a fee estimates file"));
    free(err);
    /* A well-formed file with another version, or a value that cannot be a count. */
    memcpy(bad, img, len);
    bad[8] = 2;
    sha256(bad, len - 32, bad + len - 32);
    assert_false(fees_parse(fresh, bad, len, now, &err));
    assert_non_null(strstr(err, "version"));
    free(err);
    memcpy(bad, img, len);
    size_t stats0 = 8 + 4 + 8 + 12 + 4 + 8 * 190 + 8 + 8; /* first tx count, short */
    double neg = -1;
    memcpy(bad + stats0, &neg, 8);
    sha256(bad, len - 32, bad + len - 32);
    assert_false(fees_parse(fresh, bad, len, now, &err));
    assert_non_null(strstr(err, "short"));
    free(err);
    /* Too old: more than 60 hours. */
    assert_false(fees_parse(fresh, img, len, now + 60 * 3600 + 1, &err));
    assert_non_null(strstr(err, "60 hours"));
    free(err);
    assert_true(fees_parse(fresh, img, len, now + 60 * 3600, &err));
    free(bad);

    /* Through a file; a missing file is fine. */
    char dir[] = "/tmp/iop-fees-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/fee_estimates.dat", dir);
    struct fee_estimator *loaded = fees_new(1, 1);
    assert_true(fees_load(loaded, path, now, &err));
    assert_null(err);
    assert_int_equal(fees_best_height(loaded), 0);
    assert_true(fees_save(sim.est, path, now, &err));
    assert_true(fees_load(loaded, path, now, &err));
    assert_int_equal(fees_best_height(loaded), 120);
    assert_int_equal(smart(loaded, 6, false, NULL), smart(sim.est, 6, false, NULL));
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 100, SEEK_SET);
    fputc(0x55, fp);
    fclose(fp);
    struct fee_estimator *loaded2 = fees_new(1, 1);
    assert_false(fees_load(loaded2, path, now, &err));
    assert_non_null(err);
    free(err);
    assert_int_equal(fees_best_height(loaded2), 0);
    test_remove_tree(dir);

    fees_free(loaded);
    fees_free(loaded2);
    fees_free(fresh);
    fees_free(copy);
    free(img);
    sim_free(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accept_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fills_script_caches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ancestor_size_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rbf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rbf_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_and_min_fee, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_packages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_and_addition_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_and_reorg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descendant_limit_and_carveout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ephemeral_dust, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiny_maxmempool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_consistency, setup, teardown),
        cmocka_unit_test(test_fees_empty_and_bounds),
        cmocka_unit_test(test_fees_simulated_market),
        cmocka_unit_test(test_fees_persistence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
