/* Wallet figures:
 *  (a) creating and signing one transaction that spends 500 P2WPKH coins of a wallet
 *      (spend_create: coin selection over the wallet's coins, layout, measuring, fee,
 *      500 BIP143 signatures with low-R grinding, and the script check of every input),
 *      in ms;
 *  (b) rescanning 2,000 blocks (wallet_rescan), in blocks per second. Each block holds a
 *      coinbase and 100 two-output P2WPKH transactions, one of which pays the wallet;
 *      blocks are kept serialized in memory and parsed on every read, as reading them
 *      from disk would, so the figure is parsing plus the wallet's matching and storing.
 * The wallet lives in a temporary directory (a real SQLite file, synced as in use); the
 * node context has no chainstate (the benchmark passes a locktime, so the tip is never
 * asked for). Everything is removed afterwards. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain/chainparams.h"
#include "chain/node_context.h"
#include "chain/policy.h"
#include "consensus/address.h"
#include "consensus/block.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "wallet/spend.h"
#include "wallet/wallet.h"

#define NCOINS        500
#define COIN_VALUE    1000000 /* 0.01 IOP */
#define NBLOCKS       2000
#define TXS_PER_BLOCK 100

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t fixed_now(void) { return 1700000000; }

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* A transaction with one made-up input (tag makes it unique) and outputs to scripts. */
static bool make_tx(struct tx *tx, uint32_t tag, size_t nout, const uint8_t (*spk)[22],
                    int64_t value)
{
    tx_init(tx);
    if (!tx_resize(tx, 1, nout)) return false;
    tx->version = 2;
    memset(tx->vin[0].prevout.hash.b, 0x11, 32);
    le32_write(tx->vin[0].prevout.hash.b, tag);
    tx->vin[0].prevout.n = 0;
    tx->vin[0].sequence = 0xffffffff;
    uint8_t sig[8] = {7, 1, 2, 3, 4, 5, 6, 7};
    if (!tx_set_script_sig(&tx->vin[0], sig, sizeof sig)) return false;
    for (size_t i = 0; i < nout; i++) {
        tx->vout[i].value = value;
        if (!tx_set_script_pubkey(&tx->vout[i], spk[i], 22)) return false;
    }
    return true;
}

static bool wallet_script(struct wallet *w, const struct chain_params *p, uint8_t out[22])
{
    char addr[ADDRESS_MAX_LEN + 1], err[256];
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    if (!wallet_get_new_address(w, WALLET_ADDR_BECH32, false, "", addr, err, sizeof err) ||
        address_decode(spk, &len, NULL, &p->addr, addr) != ADDRESS_OK || len != 22)
        return false;
    memcpy(out, spk, 22);
    return true;
}

static struct wallet *new_wallet(const char *dir, const struct chain_params *p)
{
    struct wallet_create_options o;
    memset(&o, 0, sizeof o);
    struct wallet *w = NULL;
    char err[256];
    if (!wallet_create(&w, dir, "bench", p, NULL, NULL, &o, err, sizeof err)) {
        printf("  wallet_create: %s\n", err);
        return NULL;
    }
    wallet_set_clock(w, fixed_now);
    return w;
}

/* ---- (a) 500 inputs ---- */

static bool bench_spend(const char *tmp, const struct chain_params *p)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/spend", tmp);
    struct wallet *w = new_wallet(dir, p);
    if (!w) return false;
    bool ok = false;
    uint8_t(*spk)[22] = calloc(NCOINS, sizeof *spk);
    struct block b;
    block_init(&b);
    b.txs = calloc(2, sizeof *b.txs);
    if (!spk || !b.txs) goto out;
    for (size_t i = 0; i < NCOINS; i++)
        if (!wallet_script(w, p, spk[i])) goto out;
    /* One funding transaction with 500 outputs to the wallet, confirmed in block 1. */
    uint8_t other[1][22] = {{0,    20,   0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                             0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55}};
    b.tx_count = 2;
    if (!make_tx(&b.txs[0], 0, 1, other, 50 * COIN) ||
        !make_tx(&b.txs[1], 1, NCOINS, (const uint8_t(*)[22])spk, COIN_VALUE))
        goto out;
    b.header.time = 1700000000;
    wallet_block_connected(w, &b, 1);

    struct node_context node;
    memset(&node, 0, sizeof node);
    node.params = p;
    node.now = fixed_now;
    policy_params_default(&node.policy);
    struct spend_options opt;
    spend_options_default(&opt);
    opt.max_tx_fee = COIN;
    struct spend_recipient r;
    memset(&r, 0, sizeof r);
    memcpy(r.script, other[0], 22);
    r.script_len = 22;
    r.amount = (int64_t)NCOINS * COIN_VALUE;
    r.subtract_fee = true; /* every coin is needed */
    struct spend_request req;
    memset(&req, 0, sizeof req);
    req.recipients = &r;
    req.nrecipients = 1;
    req.has_fee_rate = true;
    req.fee_rate = 1000;
    req.replaceable = -1;
    req.change_position = -1;
    req.change_type = -1;
    req.has_locktime = true;
    req.locktime = 1;
    double best = 1e9, total = 0;
    const int runs = 5;
    for (int i = 0; i < runs; i++) {
        struct spend_result res;
        char err[512];
        double t0 = now_s();
        enum spend_error e = spend_create(w, &node, &opt, &req, &res, err, sizeof err);
        double dt = now_s() - t0;
        if (e != SPEND_OK) {
            printf("  spend_create: %s\n", err);
            goto out;
        }
        if (res.tx.vin_count != NCOINS) {
            printf("  spend_create used %zu inputs, not %d\n", res.tx.vin_count, NCOINS);
            spend_result_clear(&res);
            goto out;
        }
        spend_result_clear(&res);
        total += dt;
        if (dt < best) best = dt;
    }
    printf("  create and sign a transaction spending %d P2WPKH inputs: %.1f ms (best of %d; "
           "mean %.1f ms, %.3f ms per input)\n",
           NCOINS, best * 1e3, runs, total / runs * 1e3, best * 1e3 / NCOINS);
    ok = true;
out:
    block_clear(&b);
    free(spk);
    wallet_free(w);
    return ok;
}

/* ---- (b) rescan ---- */

struct mem_chain {
    uint8_t **data;
    size_t *len;
    int32_t n;
};

static int32_t mc_height(void *ctx) { return ((struct mem_chain *)ctx)->n - 1; }

static bool mc_block_at(void *ctx, int32_t h, uint256 *hash, int64_t *time)
{
    struct mem_chain *c = ctx;
    if (h < 0 || h >= c->n) return false;
    struct block_header hd;
    block_header_from_bytes(&hd, c->data[h]);
    block_header_hash(&hd, hash);
    *time = hd.time;
    return true;
}

static bool mc_fork_height(void *ctx, const uint256 *hash, int32_t *height)
{
    (void)ctx;
    (void)hash;
    (void)height;
    return false;
}

static bool mc_read_block(void *ctx, int32_t h, struct block *out, char *err, size_t errlen)
{
    struct mem_chain *c = ctx;
    if (h < 0 || h >= c->n || !block_from_bytes(out, c->data[h], c->len[h], true)) {
        snprintf(err, errlen, "cannot read block %d", h);
        return false;
    }
    return true;
}

static bool bench_rescan(const char *tmp, const struct chain_params *p)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/rescan", tmp);
    struct wallet *w = new_wallet(dir, p);
    if (!w) return false;
    struct mem_chain mc = {calloc(NBLOCKS, sizeof(uint8_t *)), calloc(NBLOCKS, sizeof(size_t)),
                           0};
    bool ok = false;
    uint8_t outs[2][22];
    memset(outs, 0x66, sizeof outs);
    outs[0][0] = outs[1][0] = 0;
    outs[0][1] = outs[1][1] = 20;
    uint32_t tag = 100;
    uint256 prev;
    memset(&prev, 0, sizeof prev);
    if (!mc.data || !mc.len) goto out;
    for (int32_t h = 0; h < NBLOCKS; h++) {
        struct block b;
        block_init(&b);
        b.txs = calloc(TXS_PER_BLOCK + 1, sizeof *b.txs);
        if (!b.txs) goto out;
        b.tx_count = TXS_PER_BLOCK + 1;
        b.header.version = 0x20000000;
        b.header.prev_hash = prev;
        b.header.time = (uint32_t)(1700000000 + h);
        bool built = make_tx(&b.txs[0], tag++, 1, outs, 50 * COIN);
        for (size_t i = 1; built && i <= TXS_PER_BLOCK; i++) {
            uint8_t mine[2][22];
            memcpy(mine, outs, sizeof mine);
            if (i == 1 && !wallet_script(w, p, mine[0])) built = false;
            built = built && make_tx(&b.txs[i], tag++, 2, (const uint8_t(*)[22])mine, 100000);
        }
        struct writer wr;
        writer_init(&wr);
        if (built) block_serialize(&wr, &b, true);
        if (!built || wr.failed) {
            writer_free(&wr);
            block_clear(&b);
            goto out;
        }
        block_hash(&b, &prev);
        mc.data[h] = wr.data; /* taken over */
        mc.len[h] = wr.len;
        mc.n = h + 1;
        block_clear(&b);
    }
    struct wallet_chain chain = {&mc, mc_height, mc_block_at, mc_fork_height, mc_read_block};
    char err[256];
    int32_t last;
    double t0 = now_s();
    if (!wallet_rescan(w, &chain, 0, -1, &last, err, sizeof err)) {
        printf("  rescan: %s\n", err);
        goto out;
    }
    double dt = now_s() - t0;
    if (last != NBLOCKS - 1 || wallet_tx_count(w) != NBLOCKS) {
        printf("  rescan found %zu transactions, not %d\n", wallet_tx_count(w), NBLOCKS);
        goto out;
    }
    printf("  rescan %d blocks of %d transactions (one paying the wallet each): %.0f "
           "blocks/s (%.2f s)\n",
           NBLOCKS, TXS_PER_BLOCK + 1, NBLOCKS / dt, dt);
    ok = true;
out:
    for (int32_t i = 0; i < mc.n; i++) free(mc.data[i]);
    free(mc.data);
    free(mc.len);
    wallet_free(w);
    return ok;
}

int main(void)
{
    const struct chain_params *p = chainparams_by_name("regtest");
    char tmp[] = "/tmp/iop-bench-wallet-XXXXXX";
    if (!p || !mkdtemp(tmp)) {
        printf("wallet: no temporary directory\n");
        return 1;
    }
    printf("wallet:\n");
    bool ok = bench_spend(tmp, p);
    ok = bench_rescan(tmp, p) && ok;
    rm_rf(tmp);
    return ok ? 0 : 1;
}
