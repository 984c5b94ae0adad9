/* Chain figures for bench_iop:
 *  (a) connecting a regtest block of 2,000 P2WPKH spends (ms per block), against 2,000
 *      raw libsecp256k1 ECDSA verifications spread over the same number of threads as
 *      the chainstate's -par;
 *  (b) importing the 255 real Bitcoin blocks (btc-main) with -loadblock's code path, in
 *      blocks per second.
 * Everything runs in temporary directories that are removed afterwards. */
#define _XOPEN_SOURCE 700
#include "bench_chain.h"

#include <ftw.h>
#include <pthread.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain/chainparams.h"
#include "chain/validation.h"
#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"
#include "consensus/sighash.h"

#define NSPENDS    2000
#define FAR_FUTURE ((int64_t)4000000000LL)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static struct chainstate *open_cs(const char *dir, const char *profile)
{
    struct chainstate_options o = {0};
    o.params = chainparams_by_name(profile);
    o.datadir = dir;
    o.dbcache_mib = 64;
    char err[256];
    struct chainstate *cs = chainstate_open(&o, err, sizeof err);
    if (!cs) printf("  chainstate_open: %s\n", err);
    return cs;
}

/* ---- A minimal block builder (as in test/unit/validation_tests.c) ---- */

struct key {
    secp256k1_context *ctx;
    uint8_t sk[32], pub[33], spk[22];
    uint32_t tag;
};

static void set_witness(struct tx_in *in, const uint8_t *const *items, const size_t *lens,
                        size_t n)
{
    tx_in_clear_witness(in);
    in->witness = calloc(n, sizeof *in->witness);
    for (size_t i = 0; i < n; i++) {
        in->witness[i].data = malloc(lens[i] ? lens[i] : 1);
        memcpy(in->witness[i].data, items[i], lens[i]);
        in->witness[i].len = lens[i];
    }
    in->witness_count = n;
}

static void sign_p2wpkh(struct key *k, struct tx *tx, size_t i, int64_t amount)
{
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, k->spk + 2, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    uint256 h;
    sighash_witness_v0(&h, code, sizeof code, tx, i, SIGHASH_ALL, amount, NULL);
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_sign(k->ctx, &sig, h.b, k->sk, NULL, NULL)) abort();
    uint8_t der[74];
    size_t dl = 72;
    secp256k1_ecdsa_signature_serialize_der(k->ctx, der, &dl, &sig);
    der[dl++] = SIGHASH_ALL;
    const uint8_t *items[2] = {der, k->pub};
    size_t lens[2] = {dl, 33};
    set_witness(&tx->vin[i], items, lens, 2);
}

static bool build_and_process(struct chainstate *cs, struct key *k, struct tx *txs, size_t ntx,
                              int64_t fees, uint256 *hash_out)
{
    const struct chain_params *p = chainstate_params(cs);
    const struct block_index *prev = chainstate_tip(cs);
    int32_t height = prev->height + 1;
    struct block b;
    block_init(&b);
    b.header.version = 0x20000000;
    b.header.prev_hash = prev->hash;
    b.header.time = prev->time + 1;
    b.header.bits = prev->bits;
    b.txs = calloc(ntx + 1, sizeof *b.txs);
    b.tx_count = ntx + 1;
    struct tx *cb = &b.txs[0];
    tx_init(cb);
    if (!tx_resize(cb, 1, 2)) abort();
    cb->version = 2;
    cb->vin[0].prevout.n = 0xffffffff;
    uint8_t s[12];
    size_t n = 0;
    if (height <= 16) {
        s[n++] = (uint8_t)(OP_1 + height - 1);
    } else {
        s[n++] = height < 128 ? 1 : 2;
        s[n++] = (uint8_t)height;
        if (height >= 128) s[n++] = (uint8_t)(height >> 8);
    }
    s[n++] = 4;
    le32_write(s + n, ++k->tag);
    n += 4;
    if (!tx_set_script_sig(&cb->vin[0], s, n)) abort();
    uint8_t zero[32] = {0};
    const uint8_t *items[1] = {zero};
    size_t lens[1] = {32};
    set_witness(&cb->vin[0], items, lens, 1);
    cb->vout[0].value = chainparams_block_subsidy(p, height) + fees;
    if (!tx_set_script_pubkey(&cb->vout[0], k->spk, sizeof k->spk)) abort();
    for (size_t i = 0; i < ntx; i++) {
        b.txs[i + 1] = txs[i];
        tx_init(&txs[i]);
    }
    uint256 wroot, commit;
    if (!block_witness_merkle_root(&wroot, NULL, &b)) abort();
    witness_commitment_hash(&commit, &wroot, zero);
    uint8_t cs_script[38] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    memcpy(cs_script + 6, commit.b, 32);
    if (!tx_set_script_pubkey(&cb->vout[1], cs_script, sizeof cs_script)) abort();
    if (!block_merkle_root(&b.header.merkle_root, NULL, &b)) abort();
    uint256 h;
    for (b.header.nonce = 0;; b.header.nonce++) {
        block_hash(&b, &h);
        if (check_proof_of_work(&h, b.header.bits, &p->pow.pow_limit)) break;
    }
    struct validation_state st;
    bool ok =
        chainstate_process_block(cs, &b, FAR_FUTURE, NULL, &st) && st.kind == VALIDATION_OK;
    if (!ok) printf("  block rejected: %s (%s)\n", st.reason, st.debug);
    block_clear(&b);
    if (hash_out) *hash_out = h;
    return ok;
}

/* ---- Raw verification on par threads ---- */

struct raw_job {
    const secp256k1_ecdsa_signature *sig;
    const uint8_t (*msg)[32];
    const secp256k1_pubkey *pub;
    size_t from, to;
    int ok;
};

static void *raw_worker(void *arg)
{
    struct raw_job *j = arg;
    j->ok = 1;
    for (size_t i = j->from; i < j->to; i++)
        j->ok &=
            secp256k1_ecdsa_verify(secp256k1_context_static, &j->sig[i], j->msg[i], j->pub);
    return NULL;
}

static double raw_verify_seconds(const secp256k1_ecdsa_signature *sigs,
                                 const uint8_t (*msgs)[32], const secp256k1_pubkey *pub,
                                 int threads)
{
    pthread_t th[16];
    struct raw_job jobs[16];
    if (threads > 16) threads = 16;
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct raw_job){sigs,
                                   msgs,
                                   pub,
                                   (size_t)t * NSPENDS / (size_t)threads,
                                   (size_t)(t + 1) * NSPENDS / (size_t)threads,
                                   0};
        if (t > 0 && pthread_create(&th[t], NULL, raw_worker, &jobs[t]) != 0) abort();
    }
    raw_worker(&jobs[0]);
    for (int t = 1; t < threads; t++) pthread_join(th[t], NULL);
    return now_s() - t0;
}

static void bench_connect(double budget)
{
    char dir[] = "/tmp/iop-bench-chain-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("  connect: no temporary directory\n");
        return;
    }
    struct chainstate *cs = open_cs(dir, "regtest");
    if (!cs) {
        rm_rf(dir);
        return;
    }
    struct key k;
    k.ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    memset(k.sk, 0x5a, 32);
    k.tag = 0;
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(k.ctx, &pub, k.sk)) abort();
    size_t pl = 33;
    secp256k1_ec_pubkey_serialize(k.ctx, k.pub, &pl, &pub, SECP256K1_EC_COMPRESSED);
    k.spk[0] = 0;
    k.spk[1] = 20;
    hash160(k.pub, 33, k.spk + 2);

    secp256k1_ecdsa_signature *sigs = calloc(NSPENDS, sizeof *sigs);
    uint8_t(*msgs)[32] = calloc(NSPENDS, 32);
    struct tx *txs = calloc(NSPENDS, sizeof *txs);
    bool ok = sigs && msgs && txs;
    for (int i = 0; ok && i < 101; i++) ok = build_and_process(cs, &k, NULL, 0, 0, NULL);
    /* Fan out the first coinbase into 2,000 P2WPKH outputs. */
    struct tx fan;
    tx_init(&fan);
    uint256 fan_id;
    int64_t cbv = chainparams_block_subsidy(chainstate_params(cs), 1);
    int64_t each = (cbv - 100000) / NSPENDS;
    if (ok) {
        struct block first;
        char err[160];
        ok = chainstate_read_block(cs, active_chain_at(chainstate_active(cs), 1), &first, err,
                                   sizeof err);
        if (ok) {
            if (!tx_resize(&fan, 1, NSPENDS)) abort();
            fan.version = 2;
            tx_txid(&first.txs[0], &fan.vin[0].prevout.hash);
            fan.vin[0].prevout.n = 0;
            for (size_t o = 0; o < NSPENDS; o++) {
                fan.vout[o].value = each;
                if (!tx_set_script_pubkey(&fan.vout[o], k.spk, sizeof k.spk)) abort();
            }
            sign_p2wpkh(&k, &fan, 0, cbv);
            tx_txid(&fan, &fan_id);
            block_clear(&first);
            ok = build_and_process(cs, &k, &fan, 1, cbv - each * NSPENDS, NULL);
        }
    }
    /* The measured block: 2,000 one-in one-out spends. */
    uint256 bench_hash;
    if (ok) {
        for (size_t i = 0; i < NSPENDS; i++) {
            tx_init(&txs[i]);
            if (!tx_resize(&txs[i], 1, 1)) abort();
            txs[i].version = 2;
            txs[i].vin[0].prevout.hash = fan_id;
            txs[i].vin[0].prevout.n = (uint32_t)i;
            txs[i].vout[0].value = each - 500;
            if (!tx_set_script_pubkey(&txs[i].vout[0], k.spk, sizeof k.spk)) abort();
            sign_p2wpkh(&k, &txs[i], 0, each);
            /* Keep the raw pieces for the reference measurement. */
            uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
            memcpy(code + 3, k.spk + 2, 20);
            code[23] = OP_EQUALVERIFY;
            code[24] = OP_CHECKSIG;
            uint256 h;
            sighash_witness_v0(&h, code, sizeof code, &txs[i], 0, SIGHASH_ALL, each, NULL);
            memcpy(msgs[i], h.b, 32);
            const struct byte_vec *w = &txs[i].vin[0].witness[0];
            if (!secp256k1_ecdsa_signature_parse_der(secp256k1_context_static, &sigs[i],
                                                     w->data, w->len - 1))
                abort();
            secp256k1_ecdsa_signature_normalize(secp256k1_context_static, &sigs[i], &sigs[i]);
        }
        double t0 = now_s();
        ok = build_and_process(cs, &k, txs, NSPENDS, (int64_t)NSPENDS * 500, &bench_hash);
        double first = now_s() - t0;
        if (ok)
            printf("  connect 2,000 P2WPKH spends, first arrival (check, store, connect): "
                   "%.1f ms\n",
                   first * 1e3);
    }
    if (ok) {
        /* Disconnect and reconnect (invalidate / reconsider): the reconnect reads the
         * block back from disk and connects it, scripts included. */
        int par = chainstate_par(cs);
        double total = 0, raw = 0, raw1 = 0;
        int rounds = 0;
        double start = now_s();
        /* Interleaved, so that load from other processes hits both sides alike. */
        while (ok && (rounds < 3 || now_s() - start < budget)) {
            struct validation_state st;
            ok = chainstate_invalidate_block(cs, &bench_hash, &st);
            double t0 = now_s();
            ok = ok && chainstate_reconsider_block(cs, &bench_hash, &st) &&
                 st.kind == VALIDATION_OK;
            total += now_s() - t0;
            raw += raw_verify_seconds(sigs, (const uint8_t(*)[32])msgs, &pub, par);
            raw1 += raw_verify_seconds(sigs, (const uint8_t(*)[32])msgs, &pub, 1);
            rounds++;
        }
        double per_block = total / rounds, per_raw = raw / rounds;
        if (ok)
            printf("  connect block of 2,000 P2WPKH spends: %.1f ms/block (-par=%d)\n"
                   "  2,000 raw ECDSA verifies: %.1f ms on %d thread(s), %.1f ms on 1; "
                   "ratio connect/raw %.2f\n",
                   per_block * 1e3, par, per_raw * 1e3, par, raw1 / rounds * 1e3,
                   per_block / per_raw);
    }
    if (!ok) printf("  connect benchmark failed\n");
    for (size_t i = 0; txs && i < NSPENDS; i++) tx_clear(&txs[i]);
    tx_clear(&fan);
    free(txs);
    free(sigs);
    free(msgs);
    secp256k1_context_destroy(k.ctx);
    chainstate_close(cs);
    rm_rf(dir);
}

static void bench_import(double budget)
{
    char path[1024];
    const char *vec = getenv("IOP_VECTORS_DIR");
    if (vec && *vec)
        snprintf(path, sizeof path, "%s/mainnet/blocks-1-255.dat", vec);
    else
        snprintf(path, sizeof path, "%s/../shared/vectors/mainnet/blocks-1-255.dat",
                 IOP_SOURCE_DIR);
    if (access(path, R_OK) != 0) {
        printf("  import: skipped (%s not found)\n", path);
        return;
    }
    double total = 0;
    int rounds = 0;
    double start = now_s();
    while (rounds < 2 || now_s() - start < budget) {
        char dir[] = "/tmp/iop-bench-import-XXXXXX";
        if (!mkdtemp(dir)) return;
        struct chainstate *cs = open_cs(dir, "btc-main");
        if (!cs) {
            rm_rf(dir);
            return;
        }
        char err[256];
        double t0 = now_s();
        bool ok = chainstate_load_external_file(cs, path, NULL, NULL, err, sizeof err);
        total += now_s() - t0;
        rounds++;
        int32_t h = chainstate_height(cs);
        chainstate_close(cs);
        rm_rf(dir);
        if (!ok || h != 255) {
            printf("  import failed at height %d: %s\n", h, ok ? "" : err);
            return;
        }
    }
    printf("  import 255 mainnet blocks (-loadblock): %.0f blocks/s (%.1f ms for the file)\n",
           255.0 * rounds / total, total / rounds * 1e3);
}

void bench_chain(double budget_seconds)
{
    printf("chain:\n");
    bench_connect(budget_seconds);
    bench_import(budget_seconds);
}
