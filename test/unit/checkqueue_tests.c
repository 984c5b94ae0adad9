/* The script check queue (chain/checkqueue.h) and the signature and script execution
 * caches (chain/sigcache.h).
 *
 * The spends are real: P2WPKH and P2TR key-path inputs signed here with libsecp256k1
 * over the sighashes of consensus/sighash.h, so every check runs the interpreter and a
 * curve operation. One set of 1,000 spends is built for the whole group. */
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "chain/checkqueue.h"
#include "chain/sigcache.h"
#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"

#define NSPENDS 1000

/* n one-input transactions; even indexes spend P2WPKH, odd ones P2TR by key path. */
struct spendset {
    size_t n;
    struct tx *txs;
    struct tx_out *spent;
    struct sighash_precomputed *pre;
    struct script_check_job *jobs;
};

static struct spendset g_set;
static secp256k1_context *g_secp;

static void set_witness(struct tx_in *in, const uint8_t *const *items, const size_t *lens,
                        size_t n)
{
    tx_in_clear_witness(in);
    in->witness = calloc(n, sizeof(*in->witness));
    assert_non_null(in->witness);
    in->witness_count = n;
    for (size_t i = 0; i < n; i++) {
        in->witness[i].data = malloc(lens[i] ? lens[i] : 1);
        assert_non_null(in->witness[i].data);
        if (lens[i]) memcpy(in->witness[i].data, items[i], lens[i]);
        in->witness[i].len = lens[i];
    }
}

static void seckey_for(uint8_t seckey[32], size_t i)
{
    uint8_t seed[9] = {'k'};
    for (int b = 0; b < 8; b++) seed[1 + b] = (uint8_t)(i >> (8 * b));
    sha256(seed, sizeof(seed), seckey);
}

/* Signs input 0 of txs[i]. With wrong_msg the signature is well formed but signs some
 * other message, so only the curve check can reject it. */
static void sign_p2wpkh(struct spendset *s, size_t i, bool wrong_msg)
{
    uint8_t seckey[32], pub33[33];
    seckey_for(seckey, i);
    secp256k1_pubkey pub;
    assert_true(secp256k1_ec_pubkey_create(g_secp, &pub, seckey));
    size_t publen = 33;
    secp256k1_ec_pubkey_serialize(g_secp, pub33, &publen, &pub, SECP256K1_EC_COMPRESSED);
    uint8_t spk[22] = {0x00, 0x14};
    hash160(pub33, 33, spk + 2);
    assert_true(tx_set_script_pubkey(&s->spent[i], spk, sizeof(spk)));
    sighash_precompute(&s->pre[i], &s->txs[i], &s->spent[i]);
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, spk + 2, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    uint256 h;
    sighash_witness_v0(&h, code, sizeof(code), &s->txs[i], 0, SIGHASH_ALL, s->spent[i].value,
                       &s->pre[i]);
    if (wrong_msg) h.b[0] ^= 1;
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(g_secp, &sig, h.b, seckey, NULL, NULL));
    uint8_t der[73];
    size_t derlen = 72;
    assert_true(secp256k1_ecdsa_signature_serialize_der(g_secp, der, &derlen, &sig));
    der[derlen++] = SIGHASH_ALL;
    const uint8_t *items[2] = {der, pub33};
    size_t lens[2] = {derlen, 33};
    set_witness(&s->txs[i].vin[0], items, lens, 2);
}

static void sign_p2tr(struct spendset *s, size_t i, bool wrong_msg)
{
    uint8_t seckey[32], internal32[32];
    seckey_for(seckey, i);
    secp256k1_keypair kp;
    assert_true(secp256k1_keypair_create(g_secp, &kp, seckey));
    secp256k1_xonly_pubkey xonly;
    assert_true(secp256k1_keypair_xonly_pub(g_secp, &xonly, NULL, &kp));
    secp256k1_xonly_pubkey_serialize(g_secp, internal32, &xonly);
    uint256 tweak;
    taproot_tweak_hash(&tweak, internal32, NULL);
    assert_true(secp256k1_keypair_xonly_tweak_add(g_secp, &kp, tweak.b));
    assert_true(secp256k1_keypair_xonly_pub(g_secp, &xonly, NULL, &kp));
    uint8_t spk[34] = {OP_1, 32};
    secp256k1_xonly_pubkey_serialize(g_secp, spk + 2, &xonly);
    assert_true(tx_set_script_pubkey(&s->spent[i], spk, sizeof(spk)));
    sighash_precompute(&s->pre[i], &s->txs[i], &s->spent[i]);
    struct script_exec_data exec;
    memset(&exec, 0, sizeof(exec));
    exec.annex_init = true;
    uint256 h;
    assert_true(sighash_taproot(&h, &s->txs[i], 0, SIGHASH_DEFAULT, SIGVERSION_TAPROOT, &exec,
                                &s->pre[i]));
    if (wrong_msg) h.b[0] ^= 1;
    uint8_t sig[64], aux[32] = {0};
    assert_true(secp256k1_schnorrsig_sign32(g_secp, sig, h.b, &kp, aux));
    const uint8_t *items[1] = {sig};
    size_t lens[1] = {64};
    set_witness(&s->txs[i].vin[0], items, lens, 1);
}

static void sign_spend(struct spendset *s, size_t i, bool wrong_msg)
{
    if (i % 2 == 0)
        sign_p2wpkh(s, i, wrong_msg);
    else
        sign_p2tr(s, i, wrong_msg);
}

static void spendset_build(struct spendset *s, size_t n)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->txs = calloc(n, sizeof(*s->txs));
    s->spent = calloc(n, sizeof(*s->spent));
    s->pre = calloc(n, sizeof(*s->pre));
    s->jobs = calloc(n, sizeof(*s->jobs));
    assert_true(s->txs && s->spent && s->pre && s->jobs);
    static const uint8_t out_spk[22] = {0x00, 0x14, 0x55};
    for (size_t i = 0; i < n; i++) {
        struct tx *tx = &s->txs[i];
        tx_init(tx);
        tx->version = 2;
        assert_true(tx_resize(tx, 1, 1));
        memset(tx->vin[0].prevout.hash.b, 0x42, 32);
        memcpy(tx->vin[0].prevout.hash.b, &i, sizeof(i));
        tx->vin[0].prevout.n = (uint32_t)(i % 3);
        tx->vout[0].value = 40000 + (int64_t)i;
        assert_true(tx_set_script_pubkey(&tx->vout[0], out_spk, sizeof(out_spk)));
        s->spent[i].value = 50000 + (int64_t)i;
        sign_spend(s, i, false);
        s->jobs[i] = (struct script_check_job){
            .tx = tx,
            .in_index = 0,
            .spent = &s->spent[i],
            .flags = SCRIPT_VERIFY_CONSENSUS,
            .pre = &s->pre[i],
            .cache = NULL,
        };
    }
}

static void spendset_free(struct spendset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tx_clear(&s->txs[i]);
        free(s->spent[i].script_pubkey);
    }
    free(s->txs);
    free(s->spent);
    free(s->pre);
    free(s->jobs);
    memset(s, 0, sizeof(*s));
}

static int group_setup(void **state)
{
    (void)state;
    g_secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!g_secp) return -1;
    spendset_build(&g_set, NSPENDS);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    spendset_free(&g_set);
    secp256k1_context_destroy(g_secp);
    return 0;
}

/* Jobs of the shared set with a given cache hook, in a new array the caller frees. */
static struct script_check_job *jobs_with(const struct sig_cache_hook *hook)
{
    struct script_check_job *jobs = malloc(g_set.n * sizeof(*jobs));
    assert_non_null(jobs);
    for (size_t i = 0; i < g_set.n; i++) {
        jobs[i] = g_set.jobs[i];
        jobs[i].cache = hook;
    }
    return jobs;
}

/* ---- A hook that counts, answering from a fixed verdict ---- */

struct counting_hook {
    struct sig_cache_hook hook;
    atomic_uint lookups, stores;
    bool answer;
    long delay_ns; /* each lookup sleeps this long: makes every check slow */
};

static bool count_lookup(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                         const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                         size_t sig_len)
{
    struct counting_hook *h = ctx;
    atomic_fetch_add(&h->lookups, 1);
    if (h->delay_ns) {
        struct timespec ts = {0, h->delay_ns};
        nanosleep(&ts, NULL);
    }
    return h->answer;
}

static void count_store(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                        const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                        size_t sig_len)
{
    struct counting_hook *h = ctx;
    atomic_fetch_add(&h->stores, 1);
}

static void counting_hook_init(struct counting_hook *h, bool answer, bool store)
{
    h->hook = (struct sig_cache_hook){
        .lookup = count_lookup, .store = count_store, .ctx = h, .store_on_success = store};
    atomic_init(&h->lookups, 0);
    atomic_init(&h->stores, 0);
    h->answer = answer;
    h->delay_ns = 0;
}

/* ---- Check queue ---- */

static void test_resolve_par(void **state)
{
    (void)state;
    assert_int_equal(checkqueue_resolve_par(0, 2), 2);
    assert_int_equal(checkqueue_resolve_par(-1, 2), 1);
    assert_int_equal(checkqueue_resolve_par(-5, 2), 1);
    assert_int_equal(checkqueue_resolve_par(1, 8), 1);
    assert_int_equal(checkqueue_resolve_par(3, 2), 3);
    assert_int_equal(checkqueue_resolve_par(-2, 8), 6);
    assert_int_equal(checkqueue_resolve_par(100, 8), CHECKQUEUE_MAX_THREADS);
    assert_int_equal(checkqueue_resolve_par(0, 64), CHECKQUEUE_MAX_THREADS);
    assert_int_equal(checkqueue_resolve_par(0, 0), 1);
}

static void test_job_run_alone(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        enum script_error err = SCRIPT_ERR_UNKNOWN_ERROR;
        assert_true(script_check_job_run(&g_set.jobs[i], &err));
        assert_int_equal(err, SCRIPT_ERR_OK);
    }
}

static void run_all_pass(int par)
{
    struct checkqueue *q = checkqueue_new(par);
    assert_non_null(q);
    assert_int_equal(checkqueue_threads(q), par);
    checkqueue_begin(q);
    /* In pieces, as validation adds a transaction at a time; workers start at once. */
    for (size_t i = 0; i < g_set.n; i += 7) {
        size_t n = g_set.n - i < 7 ? g_set.n - i : 7;
        assert_true(checkqueue_add(q, g_set.jobs + i, n));
    }
    size_t idx = 0;
    enum script_error err = SCRIPT_ERR_UNKNOWN_ERROR;
    assert_true(checkqueue_wait(q, &idx, &err));
    assert_int_equal(err, SCRIPT_ERR_OK);
    assert_true(idx == CHECKQUEUE_NO_INDEX);
    checkqueue_free(q);
}

static void test_all_pass_1(void **state)
{
    (void)state;
    run_all_pass(1);
}
static void test_all_pass_2(void **state)
{
    (void)state;
    run_all_pass(2);
}
static void test_all_pass_4(void **state)
{
    (void)state;
    run_all_pass(4);
}

/* Replaces the signature of spend bad with a well-formed wrong one, runs the set on par
 * threads and expects exactly that index and error back. */
static void run_one_bad(int par, size_t bad, enum script_error want)
{
    sign_spend(&g_set, bad, true);
    struct checkqueue *q = checkqueue_new(par);
    assert_non_null(q);
    checkqueue_begin(q);
    assert_true(checkqueue_add(q, g_set.jobs, g_set.n));
    size_t idx = 0;
    enum script_error err = SCRIPT_ERR_OK;
    assert_false(checkqueue_wait(q, &idx, &err));
    assert_int_equal(idx, bad);
    assert_int_equal(err, want);
    checkqueue_free(q);
    sign_spend(&g_set, bad, false);
}

static void test_one_bad_in_1000(void **state)
{
    (void)state;
    int pars[] = {1, 2, 4};
    for (size_t k = 0; k < sizeof(pars) / sizeof(pars[0]); k++) {
        /* P2TR: the key-path check reports the Schnorr failure itself. */
        run_one_bad(pars[k], 777, SCRIPT_ERR_SCHNORR_SIG);
        /* P2WPKH: CHECKSIG pushes false (no NULLFAIL among consensus flags). */
        run_one_bad(pars[k], 998, SCRIPT_ERR_EVAL_FALSE);
        run_one_bad(pars[k], 0, SCRIPT_ERR_EVAL_FALSE);
    }
}

/* The first failure stops the batch: with a bad job first, one thread checks nothing
 * after it, and two threads check far fewer than all. Every check is made to take 1 ms
 * so that the other thread cannot race through the batch while the failure is found. */
static void test_failure_stops_early(void **state)
{
    (void)state;
    sign_spend(&g_set, 0, true);
    struct counting_hook ch;
    int pars[] = {1, 2, 4};
    for (size_t k = 0; k < sizeof(pars) / sizeof(pars[0]); k++) {
        counting_hook_init(&ch, false, false);
        ch.delay_ns = 1000000;
        struct script_check_job *jobs = jobs_with(&ch.hook);
        struct checkqueue *q = checkqueue_new(pars[k]);
        assert_non_null(q);
        checkqueue_begin(q);
        assert_true(checkqueue_add(q, jobs, g_set.n));
        size_t idx;
        enum script_error err;
        assert_false(checkqueue_wait(q, &idx, &err));
        assert_int_equal(idx, 0);
        unsigned checked = atomic_load(&ch.lookups);
        if (pars[k] == 1)
            assert_int_equal(checked, 1);
        else
            assert_true(checked < g_set.n / 10);
        checkqueue_free(q);
        free(jobs);
    }
    sign_spend(&g_set, 0, false);
}

static void test_repeated_batches(void **state)
{
    (void)state;
    struct checkqueue *q = checkqueue_new(2);
    assert_non_null(q);
    sign_spend(&g_set, 13, true);
    for (int round = 0; round < 60; round++) {
        /* Rounds alternate between a clean window and one holding the bad spend. */
        size_t start = round % 2 ? 0 : 20 + (size_t)round * 10;
        size_t n = 20;
        checkqueue_begin(q);
        assert_true(checkqueue_add(q, g_set.jobs + start, n));
        size_t idx;
        enum script_error err;
        bool ok = checkqueue_wait(q, &idx, &err);
        if (round % 2) {
            assert_false(ok);
            assert_int_equal(idx, 13);
            assert_int_equal(err, SCRIPT_ERR_SCHNORR_SIG);
        } else {
            assert_true(ok);
        }
    }
    /* An empty batch passes. */
    checkqueue_begin(q);
    size_t idx;
    assert_true(checkqueue_wait(q, &idx, NULL));
    checkqueue_free(q);
    sign_spend(&g_set, 13, false);
}

static void test_destroy_without_work(void **state)
{
    (void)state;
    int pars[] = {1, 2, 4, 0, -1, 99};
    for (size_t k = 0; k < sizeof(pars) / sizeof(pars[0]); k++) {
        struct checkqueue *q = checkqueue_new(pars[k]);
        assert_non_null(q);
        assert_true(checkqueue_threads(q) >= 1 &&
                    checkqueue_threads(q) <= CHECKQUEUE_MAX_THREADS);
        checkqueue_free(q);
    }
    checkqueue_free(NULL);
}

/* ---- Signature cache ---- */

static void fixed_salt(uint8_t salt[32], uint8_t v) { memset(salt, v, 32); }

/* Mempool entry stores each verified signature; the block check then finds them all,
 * erases them, and a second block check has to verify again. */
static void test_mempool_then_block(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 7);
    struct sigcache *c = sigcache_new(SIGCACHE_DEFAULT_BYTES, salt);
    assert_non_null(c);
    struct sigcache_stats st;

    struct script_check_job *mem = jobs_with(sigcache_mempool_hook(c));
    for (size_t i = 0; i < g_set.n; i++) {
        enum script_error err;
        assert_true(script_check_job_run(&mem[i], &err));
    }
    sigcache_get_stats(c, &st);
    assert_int_equal(st.inserts, g_set.n);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.entries, g_set.n);

    /* Re-entering the mempool (no erase) hits and keeps the entries. */
    for (size_t i = 0; i < 10; i++) {
        enum script_error err;
        assert_true(script_check_job_run(&mem[i], &err));
    }
    sigcache_get_stats(c, &st);
    assert_int_equal(st.hits, 10);
    assert_int_equal(st.entries, g_set.n);

    struct script_check_job *blk = jobs_with(sigcache_block_hook(c));
    struct checkqueue *q = checkqueue_new(2);
    assert_non_null(q);
    checkqueue_begin(q);
    assert_true(checkqueue_add(q, blk, g_set.n));
    assert_true(checkqueue_wait(q, NULL, NULL));
    sigcache_get_stats(c, &st);
    assert_int_equal(st.hits, 10 + g_set.n);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.inserts, g_set.n); /* the block hook stores nothing */

    /* Erased on the hit: the same block checked again verifies everything itself. */
    checkqueue_begin(q);
    assert_true(checkqueue_add(q, blk, g_set.n));
    assert_true(checkqueue_wait(q, NULL, NULL));
    sigcache_get_stats(c, &st);
    assert_int_equal(st.hits, 10 + g_set.n);

    checkqueue_free(q);
    free(mem);
    free(blk);
    sigcache_free(c);
}

/* A hit replaces the curve check and only that: a hook that says yes to everything
 * makes a wrong signature pass, but encoding rules still run first. */
static void test_hit_skips_only_the_curve_check(void **state)
{
    (void)state;
    struct counting_hook yes;
    counting_hook_init(&yes, true, true);
    enum script_error err;
    for (size_t bad = 100; bad < 102; bad++) { /* one P2WPKH, one P2TR */
        sign_spend(&g_set, bad, true);
        struct script_check_job job = g_set.jobs[bad];
        assert_false(script_check_job_run(&job, &err));
        job.cache = &yes.hook;
        assert_true(script_check_job_run(&job, &err));
        sign_spend(&g_set, bad, false);
    }
    assert_int_equal(atomic_load(&yes.lookups), 2);
    assert_int_equal(atomic_load(&yes.stores), 0); /* hits are not stored again */

    /* A signature that is not strict DER fails SIG_DER before the cache is asked. */
    struct tx_in *in = &g_set.txs[100].vin[0];
    uint8_t saved = in->witness[0].data[0];
    in->witness[0].data[0] = 0x31;
    struct script_check_job job = g_set.jobs[100];
    job.cache = &yes.hook;
    assert_false(script_check_job_run(&job, &err));
    assert_int_equal(err, SCRIPT_ERR_SIG_DER);
    assert_int_equal(atomic_load(&yes.lookups), 2);
    in->witness[0].data[0] = saved;

    /* A miss falls through to the real check, which stores on success. */
    struct counting_hook no;
    counting_hook_init(&no, false, true);
    job.cache = &no.hook;
    assert_true(script_check_job_run(&job, &err));
    assert_int_equal(atomic_load(&no.lookups), 1);
    assert_int_equal(atomic_load(&no.stores), 1);
}

/* ---- The other places the interpreter checks a signature ---- */

/* A one-input spend of an output with script spk, built in place. */
struct one_spend {
    struct tx tx;
    struct tx_out spent;
    struct sighash_precomputed pre;
};

static void one_spend_init(struct one_spend *o, const uint8_t *spk, size_t spk_len)
{
    tx_init(&o->tx);
    o->tx.version = 2;
    assert_true(tx_resize(&o->tx, 1, 1));
    memset(o->tx.vin[0].prevout.hash.b, 0x99, 32);
    o->tx.vout[0].value = 1000;
    static const uint8_t out_spk[1] = {OP_TRUE};
    assert_true(tx_set_script_pubkey(&o->tx.vout[0], out_spk, 1));
    memset(&o->spent, 0, sizeof(o->spent));
    o->spent.value = 7000;
    assert_true(tx_set_script_pubkey(&o->spent, spk, spk_len));
    sighash_precompute(&o->pre, &o->tx, &o->spent);
}

static void one_spend_free(struct one_spend *o)
{
    tx_clear(&o->tx);
    free(o->spent.script_pubkey);
}

static size_t ecdsa_sign_der(uint8_t der[73], const uint8_t seckey[32], const uint256 *h)
{
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(g_secp, &sig, h->b, seckey, NULL, NULL));
    size_t len = 72;
    assert_true(secp256k1_ecdsa_signature_serialize_der(g_secp, der, &len, &sig));
    der[len++] = SIGHASH_ALL;
    return len;
}

static void pubkey33(uint8_t out[33], const uint8_t seckey[32])
{
    secp256k1_pubkey pub;
    assert_true(secp256k1_ec_pubkey_create(g_secp, &pub, seckey));
    size_t len = 33;
    secp256k1_ec_pubkey_serialize(g_secp, out, &len, &pub, SECP256K1_EC_COMPRESSED);
}

/* Legacy P2PKH: OP_CHECKSIG under SIGVERSION_BASE. */
static void build_p2pkh(struct one_spend *o)
{
    uint8_t sk[32], pk[33];
    seckey_for(sk, 5001);
    pubkey33(pk, sk);
    uint8_t spk[25] = {OP_DUP, OP_HASH160, 20};
    hash160(pk, 33, spk + 3);
    spk[23] = OP_EQUALVERIFY;
    spk[24] = OP_CHECKSIG;
    one_spend_init(o, spk, sizeof(spk));
    uint256 h;
    sighash_legacy(&h, spk, sizeof(spk), &o->tx, 0, SIGHASH_ALL);
    uint8_t ss[1 + 73 + 1 + 33];
    size_t n = ecdsa_sign_der(ss + 1, sk, &h);
    ss[0] = (uint8_t)n;
    ss[1 + n] = 33;
    memcpy(ss + 2 + n, pk, 33);
    free(o->tx.vin[0].script_sig);
    o->tx.vin[0].script_sig = malloc(2 + n + 33);
    assert_non_null(o->tx.vin[0].script_sig);
    memcpy(o->tx.vin[0].script_sig, ss, 2 + n + 33);
    o->tx.vin[0].script_sig_len = 2 + n + 33;
}

/* P2WSH 1-of-1 CHECKMULTISIG: the multisig loop under SIGVERSION_WITNESS_V0. */
static void build_p2wsh_multisig(struct one_spend *o)
{
    uint8_t sk[32], pk[33];
    seckey_for(sk, 5002);
    pubkey33(pk, sk);
    uint8_t ws[37] = {OP_1, 33};
    memcpy(ws + 2, pk, 33);
    ws[35] = OP_1;
    ws[36] = OP_CHECKMULTISIG;
    uint8_t spk[34] = {OP_0, 32};
    sha256(ws, sizeof(ws), spk + 2);
    one_spend_init(o, spk, sizeof(spk));
    uint256 h;
    sighash_witness_v0(&h, ws, sizeof(ws), &o->tx, 0, SIGHASH_ALL, o->spent.value, &o->pre);
    uint8_t der[73];
    size_t n = ecdsa_sign_der(der, sk, &h);
    const uint8_t *items[3] = {NULL, der, ws};
    size_t lens[3] = {0, n, sizeof(ws)};
    set_witness(&o->tx.vin[0], items, lens, 3);
}

/* Taproot script path, leaf <key> OP_CHECKSIG: CHECKSIG under SIGVERSION_TAPSCRIPT. */
static void build_tapscript(struct one_spend *o)
{
    uint8_t sk_internal[32], sk_leaf[32], internal[32], leaf_key[32];
    seckey_for(sk_internal, 5003);
    seckey_for(sk_leaf, 5004);
    secp256k1_keypair kp_internal, kp_leaf;
    secp256k1_xonly_pubkey x;
    assert_true(secp256k1_keypair_create(g_secp, &kp_internal, sk_internal));
    assert_true(secp256k1_keypair_xonly_pub(g_secp, &x, NULL, &kp_internal));
    secp256k1_xonly_pubkey_serialize(g_secp, internal, &x);
    assert_true(secp256k1_keypair_create(g_secp, &kp_leaf, sk_leaf));
    assert_true(secp256k1_keypair_xonly_pub(g_secp, &x, NULL, &kp_leaf));
    secp256k1_xonly_pubkey_serialize(g_secp, leaf_key, &x);

    uint8_t script[34] = {32};
    memcpy(script + 1, leaf_key, 32);
    script[33] = OP_CHECKSIG;
    uint256 leaf, tweak;
    taproot_leaf_hash(&leaf, TAPROOT_LEAF_TAPSCRIPT, script, sizeof(script));
    taproot_tweak_hash(&tweak, internal, &leaf); /* one leaf: the root is the leaf */
    uint8_t spk[34] = {OP_1, 32};
    int parity;
    assert_true(pubkey_xonly_tweak_add(spk + 2, &parity, internal, tweak.b));
    one_spend_init(o, spk, sizeof(spk));

    struct script_exec_data ed;
    memset(&ed, 0, sizeof(ed));
    ed.annex_init = true;
    ed.tapleaf_hash_init = true;
    ed.tapleaf_hash = leaf;
    ed.codeseparator_pos_init = true;
    ed.codeseparator_pos = 0xFFFFFFFFu;
    uint256 h;
    assert_true(
        sighash_taproot(&h, &o->tx, 0, SIGHASH_DEFAULT, SIGVERSION_TAPSCRIPT, &ed, &o->pre));
    uint8_t sig[64], aux[32] = {0};
    assert_true(secp256k1_schnorrsig_sign32(g_secp, sig, h.b, &kp_leaf, aux));
    uint8_t control[33];
    control[0] = (uint8_t)(TAPROOT_LEAF_TAPSCRIPT | parity);
    memcpy(control + 1, internal, 32);
    const uint8_t *items[3] = {sig, script, control};
    size_t lens[3] = {64, sizeof(script), sizeof(control)};
    set_witness(&o->tx.vin[0], items, lens, 3);
}

/* Every call site consults the hook once and stores once on success; a real cache
 * filled at "mempool entry" then answers the "block" check. */
static void test_cache_at_every_call_site(void **state)
{
    (void)state;
    void (*builders[])(struct one_spend *) = {build_p2pkh, build_p2wsh_multisig,
                                              build_tapscript};
    uint8_t salt[32];
    fixed_salt(salt, 0x3c);
    for (size_t b = 0; b < sizeof(builders) / sizeof(builders[0]); b++) {
        struct one_spend o;
        builders[b](&o);
        struct script_check_job job = {&o.tx,  0,   &o.spent, SCRIPT_VERIFY_CONSENSUS,
                                       &o.pre, NULL};
        enum script_error err = SCRIPT_ERR_UNKNOWN_ERROR;
        assert_true(script_check_job_run(&job, &err));

        struct counting_hook ch;
        counting_hook_init(&ch, false, true);
        job.cache = &ch.hook;
        assert_true(script_check_job_run(&job, &err));
        assert_int_equal(atomic_load(&ch.lookups), 1);
        assert_int_equal(atomic_load(&ch.stores), 1);

        struct sigcache *c = sigcache_new(1 << 12, salt);
        assert_non_null(c);
        job.cache = sigcache_mempool_hook(c);
        assert_true(script_check_job_run(&job, &err));
        job.cache = sigcache_block_hook(c);
        assert_true(script_check_job_run(&job, &err));
        struct sigcache_stats st;
        sigcache_get_stats(c, &st);
        assert_int_equal(st.inserts, 1);
        assert_int_equal(st.hits, 1);
        assert_int_equal(st.entries, 0);
        sigcache_free(c);
        one_spend_free(&o);
    }
}

/* Whatever a cache holds, a signature it never saw is checked: a real cache filled from
 * good spends does not let a bad one through. */
static void test_cache_never_admits_bad(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 9);
    struct sigcache *c = sigcache_new(1 << 16, salt);
    assert_non_null(c);
    enum script_error err;
    for (size_t i = 200; i < 202; i++) {
        struct script_check_job job = g_set.jobs[i];
        job.cache = sigcache_mempool_hook(c);
        assert_true(script_check_job_run(&job, &err));
        sign_spend(&g_set, i, true);
        assert_false(script_check_job_run(&job, &err));
        sign_spend(&g_set, i, false);
    }
    sigcache_free(c);
}

static void test_sigcache_kinds_and_fields(void **state)
{
    (void)state;
    uint8_t salt[32], h[32], pk[33], sig[64];
    fixed_salt(salt, 1);
    memset(h, 0xaa, 32);
    memset(pk, 0x02, 33);
    memset(sig, 0x30, 64);
    struct sigcache *c = sigcache_new(1 << 16, salt);
    assert_non_null(c);
    sigcache_add(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64);
    assert_true(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64, false));
    assert_false(sigcache_contains(c, SIG_CACHE_SCHNORR, h, pk, 33, sig, 64, false));
    assert_false(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 32, sig, 64, false));
    /* The same bytes split differently between key and signature are another entry. */
    assert_false(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 63, false));
    h[31] ^= 1;
    assert_false(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64, false));
    h[31] ^= 1;
    assert_true(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64, true));
    assert_false(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64, false));
    sigcache_free(c);
    sigcache_free(NULL);
    assert_null(sigcache_block_hook(NULL));
}

/* Which entries survive in a one-bucket cache depends on the keys, so it shows the
 * salt: the same salt gives the same survivors, another salt different ones. */
static uint64_t survivors(const uint8_t salt[32])
{
    struct sigcache *c = sigcache_new(256, salt);
    assert_non_null(c);
    uint8_t h[32] = {0}, pk[32] = {0}, sig[64] = {0};
    for (int i = 0; i < 64; i++) {
        h[0] = (uint8_t)i;
        sigcache_add(c, SIG_CACHE_SCHNORR, h, pk, 32, sig, 64);
    }
    uint64_t mask = 0;
    for (int i = 0; i < 64; i++) {
        h[0] = (uint8_t)i;
        if (sigcache_contains(c, SIG_CACHE_SCHNORR, h, pk, 32, sig, 64, false))
            mask |= (uint64_t)1 << i;
    }
    struct sigcache_stats st;
    sigcache_get_stats(c, &st);
    assert_int_equal(st.capacity, 8);
    assert_int_equal(st.entries, 8);
    sigcache_free(c);
    return mask;
}

static void test_salt_changes_keys(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    fixed_salt(a, 0x11);
    fixed_salt(b, 0x11);
    b[31] ^= 1;
    uint64_t sa = survivors(a);
    assert_int_equal(__builtin_popcountll(sa), 8);
    assert_true(sa == survivors(a));
    /* Different salts could pick the same 8 of 64 by chance: about 1 in 4e9. */
    assert_true(sa != survivors(b));
}

static void test_eviction_bounds_memory(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 3);
    size_t sizes[] = {0, 100, 256, 1000, 1 << 16, (1 << 20) + 77};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        struct sigcache *c = sigcache_new(sizes[k], salt);
        assert_non_null(c);
        size_t mem = sigcache_memory_usage(c);
        assert_true(mem <= sizes[k]);
        assert_true(mem + 256 > sizes[k]); /* rounded down to whole buckets only */
        struct sigcache_stats st;
        sigcache_get_stats(c, &st);
        size_t cap = st.capacity;
        assert_int_equal(cap * SIGCACHE_ENTRY_BYTES, mem);
        uint8_t h[32] = {0}, pk[33] = {2}, sig[70] = {0x30};
        size_t total = cap * 10 + 50;
        for (size_t i = 0; i < total; i++) {
            memcpy(h, &i, sizeof(i));
            sigcache_add(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 70);
            /* The newest entry is always there. */
            if (cap)
                assert_true(sigcache_contains(c, SIG_CACHE_ECDSA, h, pk, 33, sig, 70, false));
        }
        sigcache_get_stats(c, &st);
        assert_true(st.entries <= cap);
        assert_int_equal(st.inserts, cap ? total : 0);
        if (cap) {
            assert_true(st.evictions >= total - cap);
            /* Eight-slot buckets fill almost completely before anything is evicted. */
            assert_true(st.entries * 10 >= cap * 9);
        }
        assert_int_equal(sigcache_memory_usage(c), mem);
        sigcache_free(c);
    }
}

struct stress_arg {
    struct sigcache *c;
    int id;
    uint64_t hits;
};

static void *stress_thread(void *p)
{
    struct stress_arg *a = p;
    uint8_t h[32] = {0}, pk[33] = {3}, sig[64] = {0};
    h[8] = (uint8_t)a->id;
    for (uint32_t i = 0; i < 20000; i++) {
        /* Writers and readers overlap on a small key space so buckets are shared. */
        uint32_t k = (i * 2654435761u) % 3000;
        memcpy(h, &k, sizeof(k));
        h[8] = (uint8_t)(i % 3);
        if (a->id % 2 == 0) {
            sigcache_add(a->c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64);
        } else if (sigcache_contains(a->c, SIG_CACHE_ECDSA, h, pk, 33, sig, 64, i % 4 == 0)) {
            a->hits++;
        }
    }
    return NULL;
}

static void test_concurrent_readers_writers(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 5);
    struct sigcache *c = sigcache_new(64 * 256, salt); /* 512 slots: constant eviction */
    assert_non_null(c);
    pthread_t th[6];
    struct stress_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (struct stress_arg){c, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, stress_thread, &args[i]), 0);
    }
    uint64_t hits = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        hits += args[i].hits;
    }
    struct sigcache_stats st;
    sigcache_get_stats(c, &st);
    assert_int_equal(st.lookups, 3 * 20000);
    assert_int_equal(st.hits, hits);
    assert_true(st.entries <= st.capacity);
    sigcache_free(c);
}

/* ---- Script execution cache ---- */

static void test_script_cache(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 0x5c);
    struct script_cache *c = script_cache_new(SCRIPT_CACHE_DEFAULT_BYTES, salt);
    assert_non_null(c);
    assert_true(script_cache_memory_usage(c) <= SCRIPT_CACHE_DEFAULT_BYTES);
    uint256 w1, w2;
    memset(w1.b, 0x01, 32);
    memset(w2.b, 0x01, 32);
    w2.b[0] = 2;
    const uint32_t f = SCRIPT_VERIFY_CONSENSUS;
    assert_false(script_cache_contains(c, &w1, f, false));
    script_cache_add(c, &w1, f);
    assert_true(script_cache_contains(c, &w1, f, false));
    assert_false(script_cache_contains(c, &w1, f | SCRIPT_VERIFY_LOW_S, false));
    assert_false(script_cache_contains(c, &w1, SCRIPT_VERIFY_P2SH, false));
    assert_false(script_cache_contains(c, &w2, f, false));
    assert_true(script_cache_contains(c, &w1, f, true)); /* block: erase on hit */
    assert_false(script_cache_contains(c, &w1, f, false));
    struct sigcache_stats st;
    script_cache_get_stats(c, &st);
    assert_int_equal(st.lookups, 7);
    assert_int_equal(st.hits, 2);
    script_cache_free(c);
    script_cache_free(NULL);

    /* A zero budget stores nothing and finds nothing. */
    c = script_cache_new(0, salt);
    assert_non_null(c);
    script_cache_add(c, &w1, f);
    assert_false(script_cache_contains(c, &w1, f, false));
    assert_int_equal(script_cache_memory_usage(c), 0);
    script_cache_free(c);
}

/* Mempool → block through the script cache: a transaction accepted whole skips every
 * check; the wtxid is the same but the block's flags differ, so that is a miss. */
static void test_script_cache_whole_tx(void **state)
{
    (void)state;
    uint8_t salt[32];
    fixed_salt(salt, 0x77);
    struct script_cache *c = script_cache_new(1 << 16, salt);
    assert_non_null(c);
    uint256 wtxid;
    tx_wtxid(&g_set.txs[5], &wtxid);
    enum script_error err;
    const uint32_t mempool_flags = SCRIPT_VERIFY_CONSENSUS | SCRIPT_VERIFY_LOW_S;
    struct script_check_job job = g_set.jobs[5];
    job.flags = mempool_flags;
    assert_true(script_check_job_run(&job, &err));
    script_cache_add(c, &wtxid, mempool_flags);
    assert_true(script_cache_contains(c, &wtxid, mempool_flags, false));
    assert_false(script_cache_contains(c, &wtxid, SCRIPT_VERIFY_CONSENSUS, false));
    script_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_par),
        cmocka_unit_test(test_job_run_alone),
        cmocka_unit_test(test_all_pass_1),
        cmocka_unit_test(test_all_pass_2),
        cmocka_unit_test(test_all_pass_4),
        cmocka_unit_test(test_one_bad_in_1000),
        cmocka_unit_test(test_failure_stops_early),
        cmocka_unit_test(test_repeated_batches),
        cmocka_unit_test(test_destroy_without_work),
        cmocka_unit_test(test_mempool_then_block),
        cmocka_unit_test(test_hit_skips_only_the_curve_check),
        cmocka_unit_test(test_cache_never_admits_bad),
        cmocka_unit_test(test_cache_at_every_call_site),
        cmocka_unit_test(test_sigcache_kinds_and_fields),
        cmocka_unit_test(test_salt_changes_keys),
        cmocka_unit_test(test_eviction_bounds_memory),
        cmocka_unit_test(test_concurrent_readers_writers),
        cmocka_unit_test(test_script_cache),
        cmocka_unit_test(test_script_cache_whole_tx),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
