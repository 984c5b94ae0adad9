/* The descriptor wallet: key derivation against the BIP44/84/86 vectors, tracking of a
 * real regtest chainstate (maturity, reorgs, conflicts), reopening, restoring from the
 * mnemonic, encryption, and the RPC layer's wallet selection and Core error codes.
 *
 * Chains are built here on regtest (bits 0x207fffff, a block is mined in a couple of
 * tries) in temporary directories, as validation_tests.c does. Encryption uses small
 * scrypt parameters so the tests stay fast; nothing is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <secp256k1.h>

#include "chain/chainparams.h"
#include "chain/descriptor.h"
#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/address.h"
#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "test_util.h"
#include "util/timeutil.h"
#include "wallet/bip32.h"
#include "wallet/bip39.h"
#include "wallet/wallet.h"
#include "wallet/wallet_rpc.h"

/* BIP39's all-zero-entropy mnemonic, used by the BIP44/84/86 test vectors. */
#define VECTOR_MNEMONIC                                                                        \
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon " \
    "about"
#define NOW ((int64_t)4000000000LL)

static const struct crypter_params FAST_SCRYPT = {4, 1, 1};

/* ---- key vectors ---- */

static struct wallet *create_in(const char *dir, const char *profile, const char *mnemonic,
                                const char *pw)
{
    struct wallet *w;
    char err[256];
    struct wallet_create_options opt = {.restored = mnemonic != NULL, .scrypt = &FAST_SCRYPT};
    if (!wallet_create(&w, dir, "t", chainparams_by_name(profile), mnemonic, pw, &opt, err,
                       sizeof err))
        fail_msg("wallet_create: %s", err);
    return w;
}

static void new_address(struct wallet *w, enum wallet_addr_type t, bool internal, char *out)
{
    char err[256];
    if (!wallet_get_new_address(w, t, internal, "", out, err, sizeof err))
        fail_msg("getnewaddress: %s", err);
}

/* Bitcoin's published first addresses of the vector mnemonic (BIP44, BIP84, BIP86),
 * under the btc-main profile (coin type 0). */
static void test_bip_vectors(void **state)
{
    (void)state;
    char *dir = test_make_tmpdir("iop-wallet");
    struct wallet *w = create_in(dir, "btc-main", VECTOR_MNEMONIC, NULL);
    char a[ADDRESS_MAX_LEN + 1];
    new_address(w, WALLET_ADDR_LEGACY, false, a);
    assert_string_equal(a, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA");
    new_address(w, WALLET_ADDR_BECH32, false, a);
    assert_string_equal(a, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu");
    new_address(w, WALLET_ADDR_BECH32M, false, a);
    assert_string_equal(a, "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr");
    /* BIP84's first change address and second receive address. */
    new_address(w, WALLET_ADDR_BECH32, true, a);
    assert_string_equal(a, "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el");
    new_address(w, WALLET_ADDR_BECH32, false, a);
    assert_string_equal(a, "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g");
    /* BIP86's first change address. */
    new_address(w, WALLET_ADDR_BECH32M, true, a);
    assert_string_equal(a, "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7");
    wallet_free(w);
    test_remove_tree(dir);
    free(dir);
}

/* The first regtest BIP84 address, derived here with bip32 and address functions
 * directly along m/84'/1'/0'/0/0, and every descriptor's first script checked against
 * the generic descriptor expander. */
static void test_regtest_first_address(void **state)
{
    (void)state;
    const struct chain_params *p = chainparams_by_name("regtest");
    char err[256];
    uint8_t seed[BIP39_SEED_LEN];
    assert_int_equal(bip39_to_seed(seed, VECTOR_MNEMONIC, "", err, sizeof err), BIP39_OK);
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    struct bip32_key master, k;
    assert_int_equal(bip32_from_seed(ctx, &master, seed, sizeof seed), BIP32_OK);
    uint32_t path[5];
    size_t n;
    assert_int_equal(bip32_parse_path(path, 5, &n, "m/84'/1'/0'/0/0"), BIP32_OK);
    assert_int_equal(bip32_derive_path(ctx, &k, &master, path, n), BIP32_OK);
    uint8_t spk[22] = {0x00, 20};
    hash160(k.pubkey, 33, spk + 2);
    char expect[ADDRESS_MAX_LEN + 1];
    assert_int_equal(address_encode(expect, &p->addr, spk, sizeof spk), ADDRESS_OK);
    assert_memory_equal(expect, "riop1", 5);

    char *dir = test_make_tmpdir("iop-wallet");
    struct wallet *w = create_in(dir, "regtest", VECTOR_MNEMONIC, NULL);
    char a[ADDRESS_MAX_LEN + 1];
    new_address(w, WALLET_ADDR_BECH32, false, a);
    assert_string_equal(a, expect);
    struct wallet_script_info info;
    assert_true(wallet_script_info(w, spk, sizeof spk, &info));
    assert_false(info.internal);
    assert_int_equal(info.index, 0);
    assert_memory_equal(info.pubkey, k.pubkey, 33);

    struct wallet_descriptor_info *d;
    size_t nd;
    bool locked;
    assert_true(wallet_list_descriptors(w, false, &d, &nd, &locked, err, sizeof err));
    assert_int_equal(nd, 6);
    for (size_t i = 0; i < nd; i++) {
        assert_true(descriptor_checksum_valid(d[i].desc));
        struct descriptor *desc = descriptor_parse(d[i].desc, &p->addr, err);
        if (!desc) fail_msg("%s: %s", d[i].desc, err);
        for (uint32_t idx = 0; idx < 3; idx++) {
            struct descriptor_scripts s = {0};
            assert_true(descriptor_expand(desc, idx, &s, err));
            assert_int_equal(s.count, 1);
            assert_true(wallet_script_info(w, s.items[0].data, s.items[0].len, &info));
            assert_int_equal(info.index, idx);
            assert_int_equal(info.internal, d[i].internal);
            descriptor_scripts_clear(&s);
        }
        assert_int_equal(d[i].range_end, WALLET_KEYPOOL_SIZE - 1 + (d[i].next_index));
        descriptor_free(desc);
    }
    wallet_descriptor_infos_free(d, nd);
    size_t ext, in;
    wallet_keypool_sizes(w, &ext, &in);
    assert_int_equal(ext, 3 * WALLET_KEYPOOL_SIZE);
    assert_int_equal(in, 3 * WALLET_KEYPOOL_SIZE);

    /* A bad mnemonic is refused, naming the position only. */
    struct wallet *w2;
    char *dir2 = test_make_tmpdir("iop-wallet");
    assert_false(
        wallet_create(&w2, dir2, "x", p,
                      "abandon abandon abandon abandon abandon abandon abandon abandon "
                      "abandon abandon zzzz about",
                      NULL, NULL, err, sizeof err));
    assert_null(strstr(err, "zzzz"));
    assert_non_null(strstr(err, "11"));
    /* The same mnemonic with a BIP39 passphrase is another wallet. */
    w2 = create_in(dir2, "regtest", VECTOR_MNEMONIC, "TREZOR");
    new_address(w2, WALLET_ADDR_BECH32, false, a);
    assert_string_not_equal(a, expect);
    wallet_free(w2);
    wallet_free(w);
    bip32_key_clear(&k);
    bip32_key_clear(&master);
    secp256k1_context_destroy(ctx);
    test_remove_tree(dir);
    test_remove_tree(dir2);
    free(dir);
    free(dir2);
}

/* ---- a small regtest block builder ---- */

struct chain {
    char *dir;
    struct chainstate *cs;
    const struct chain_params *p;
    struct node_context node;
    struct wallet_rpc_ctx rpc;
    uint32_t tag;
    uint8_t other_spk[22]; /* a script no wallet owns */
};

static int64_t fixed_now(void) { return 1700000000; }

static void chain_open(struct chain *c)
{
    memset(c, 0, sizeof *c);
    c->dir = test_make_tmpdir("iop-wallet-chain");
    struct chainstate_options o = {0};
    o.params = chainparams_by_name("regtest");
    o.datadir = c->dir;
    o.dbcache_mib = 8;
    char err[256];
    c->cs = chainstate_open(&o, err, sizeof err);
    if (!c->cs) fail_msg("chainstate_open: %s", err);
    c->p = chainstate_params(c->cs);
    c->node.params = c->p;
    c->node.now = fixed_now;
    c->node.datadir = c->dir;
    assert_true(node_context_init(&c->node));
    c->node.chainstate = c->cs;
    char wd[4200];
    snprintf(wd, sizeof wd, "%s/wallets", c->dir);
    if (!wallet_rpc_ctx_init(&c->rpc, &c->node, wd, err, sizeof err))
        fail_msg("wallet_rpc_ctx_init: %s", err);
    c->rpc.scrypt = &FAST_SCRYPT;
    struct chainstate_callbacks cb = wallet_rpc_chain_callbacks(&c->rpc);
    assert_true(chainstate_subscribe(c->cs, &cb));
    memset(c->other_spk, 0x55, sizeof c->other_spk);
    c->other_spk[0] = 0;
    c->other_spk[1] = 20;
}

static void chain_close(struct chain *c)
{
    chainstate_unsubscribe(c->cs, &c->rpc);
    wallet_rpc_ctx_destroy(&c->rpc);
    chainstate_close(c->cs);
    node_context_destroy(&c->node);
    test_remove_tree(c->dir);
    free(c->dir);
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

/* Mines a block on the tip whose coinbase pays spk (len bytes) and which contains txs
 * (moved in; count may be 0). Returns the new tip. */
static struct block_index *mine(struct chain *c, const uint8_t *spk, size_t len, struct tx *txs,
                                size_t count, int64_t fees)
{
    const struct block_index *tip = chainstate_tip(c->cs);
    int32_t height = tip->height + 1;
    struct block b;
    block_init(&b);
    b.header.version = 0x20000000;
    b.header.prev_hash = tip->hash;
    b.header.time = tip->time + 1;
    b.header.bits = tip->bits;
    b.txs = calloc(count + 1, sizeof *b.txs);
    assert_non_null(b.txs);
    b.tx_count = count + 1;
    for (size_t i = 0; i < count; i++) {
        b.txs[i + 1] = txs[i];
        tx_init(&txs[i]);
    }
    struct tx *cb = &b.txs[0];
    tx_init(cb);
    assert_true(tx_resize(cb, 1, 2));
    cb->version = 2;
    cb->vin[0].prevout.n = 0xffffffff;
    uint8_t s[16];
    size_t n = 0;
    push_height(s, &n, height);
    s[n++] = 4;
    le32_write(s + n, ++c->tag);
    n += 4;
    assert_true(tx_set_script_sig(&cb->vin[0], s, n));
    cb->vin[0].witness = calloc(1, sizeof *cb->vin[0].witness);
    cb->vin[0].witness[0].data = calloc(1, 32);
    cb->vin[0].witness[0].len = 32;
    cb->vin[0].witness_count = 1;
    cb->vout[0].value = chainparams_block_subsidy(c->p, height) + fees;
    assert_true(tx_set_script_pubkey(&cb->vout[0], spk, len));
    uint256 wroot, commit;
    uint8_t nonce[32] = {0};
    assert_true(block_witness_merkle_root(&wroot, NULL, &b));
    witness_commitment_hash(&commit, &wroot, nonce);
    uint8_t cs[38] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    memcpy(cs + 6, commit.b, 32);
    assert_true(tx_set_script_pubkey(&cb->vout[1], cs, sizeof cs));
    assert_true(block_merkle_root(&b.header.merkle_root, NULL, &b));
    uint256 h;
    for (b.header.nonce = 0;; b.header.nonce++) {
        block_hash(&b, &h);
        if (check_proof_of_work(&h, b.header.bits, &c->p->pow.pow_limit)) break;
    }
    struct validation_state st;
    pthread_mutex_lock(&c->node.lock);
    bool ok = chainstate_process_block(c->cs, &b, NOW, NULL, &st);
    pthread_mutex_unlock(&c->node.lock);
    if (!ok || st.kind != VALIDATION_OK) fail_msg("block rejected: %s %s", st.reason, st.debug);
    block_clear(&b);
    assert_memory_equal(&chainstate_tip(c->cs)->hash, &h, 32);
    return chainstate_tip(c->cs);
}

static void mine_empty(struct chain *c, int n)
{
    for (int i = 0; i < n; i++) mine(c, c->other_spk, sizeof c->other_spk, NULL, 0, 0);
}

static void invalidate(struct chain *c, const uint256 *hash)
{
    struct validation_state st;
    pthread_mutex_lock(&c->node.lock);
    bool ok = chainstate_invalidate_block(c->cs, hash, &st);
    pthread_mutex_unlock(&c->node.lock);
    if (!ok) fail_msg("invalidate: %s", st.reason);
}

static void reconsider(struct chain *c, const uint256 *hash)
{
    struct validation_state st;
    pthread_mutex_lock(&c->node.lock);
    bool ok = chainstate_reconsider_block(c->cs, hash, &st);
    pthread_mutex_unlock(&c->node.lock);
    if (!ok) fail_msg("reconsider: %s", st.reason);
}

/* ---- RPC calls ---- */

static const struct rpc_method *method(struct chain *c, const char *name)
{
    struct rpc_table t = wallet_rpc_table(&c->rpc);
    for (size_t i = 0; i < t.count; i++)
        if (strcmp(t.methods[i].name, name) == 0) return &t.methods[i];
    fail_msg("no method %s", name);
    return NULL;
}

static bool call_raw(struct chain *c, const char *wallet, const char *name, const char *params,
                     json_t **res, struct rpc_error *err)
{
    json_error_t je;
    json_t *p = json_loads(params, 0, &je);
    if (!p) fail_msg("bad params %s", params);
    rpc_call_set_wallet(wallet);
    bool ok = rpc_method_call(method(c, name), &c->rpc, p, res, err);
    rpc_call_set_wallet(NULL);
    json_decref(p);
    return ok;
}

/* Calls name and returns its result (caller decrefs); fails the test on error. */
static json_t *call(struct chain *c, const char *wallet, const char *name, const char *params)
{
    json_t *res = NULL;
    struct rpc_error err = {0};
    if (!call_raw(c, wallet, name, params, &res, &err))
        fail_msg("%s %s: %d %s", name, params, err.code, err.message);
    return res;
}

/* Calls name expecting error code (and message prefix msg when not NULL). */
static void call_fail(struct chain *c, const char *wallet, const char *name, const char *params,
                      int code, const char *msg)
{
    json_t *res = NULL;
    struct rpc_error err = {0};
    if (call_raw(c, wallet, name, params, &res, &err))
        fail_msg("%s %s succeeded, expected %d", name, params, code);
    if (err.code != code)
        fail_msg("%s: expected %d, got %d %s", name, code, err.code, err.message);
    if (msg && strncmp(err.message, msg, strlen(msg)) != 0)
        fail_msg("%s: expected '%s', got '%s'", name, msg, err.message);
    rpc_error_clear(&err);
}

static int64_t sats(const json_t *v)
{
    assert_true(json_is_number(v));
    double d = json_number_value(v) * 1e8;
    return (int64_t)(d + (d >= 0 ? 0.5 : -0.5));
}

static int64_t balance(struct chain *c, const char *wallet, const char *kind)
{
    json_t *b = call(c, wallet, "getbalances", "[]");
    int64_t v = sats(json_object_get(json_object_get(b, "mine"), kind));
    json_decref(b);
    return v;
}

static char *new_addr(struct chain *c, const char *wallet, const char *params)
{
    json_t *r = call(c, wallet, "getnewaddress", params);
    char *s = strdup(json_string_value(r));
    json_decref(r);
    return s;
}

static void addr_script(struct chain *c, const char *addr, uint8_t *spk, size_t *len)
{
    assert_int_equal(address_decode(spk, len, NULL, &c->p->addr, addr), ADDRESS_OK);
}

/* The private key of the wallet's receive address index idx of type 84 (regtest). */
static void wallet_key(secp256k1_context *ctx, uint32_t change, uint32_t idx, uint8_t sk[32],
                       uint8_t pub[33])
{
    uint8_t seed[BIP39_SEED_LEN];
    char err[128];
    assert_int_equal(bip39_to_seed(seed, VECTOR_MNEMONIC, "", err, sizeof err), BIP39_OK);
    struct bip32_key m;
    assert_int_equal(bip32_from_seed(ctx, &m, seed, sizeof seed), BIP32_OK);
    uint32_t path[5] = {84 | BIP32_HARDENED, 1 | BIP32_HARDENED, BIP32_HARDENED, change, idx};
    assert_int_equal(bip32_derive_path(ctx, &m, &m, path, 5), BIP32_OK);
    memcpy(sk, m.seckey, 32);
    memcpy(pub, m.pubkey, 33);
    bip32_key_clear(&m);
}

/* A one-input P2WPKH spend of (txid, 0) worth amount signed with sk, paying out - fee to
 * spk. */
static void make_spend(secp256k1_context *ctx, struct tx *tx, const uint256 *txid,
                       int64_t amount, const uint8_t sk[32], const uint8_t pub[33],
                       const uint8_t *spk, size_t spk_len, int64_t fee)
{
    tx_init(tx);
    assert_true(tx_resize(tx, 1, 1));
    tx->version = 2;
    tx->vin[0].prevout.hash = *txid;
    tx->vin[0].prevout.n = 0;
    tx->vin[0].sequence = 0xfffffffd;
    tx->vout[0].value = amount - fee;
    assert_true(tx_set_script_pubkey(&tx->vout[0], spk, spk_len));
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    hash160(pub, 33, code + 3);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    uint256 h;
    sighash_witness_v0(&h, code, sizeof code, tx, 0, SIGHASH_ALL, amount, NULL);
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(ctx, &sig, h.b, sk, NULL, NULL));
    uint8_t der[74];
    size_t dl = 72;
    secp256k1_ecdsa_signature_serialize_der(ctx, der, &dl, &sig);
    der[dl++] = SIGHASH_ALL;
    struct tx_in *in = &tx->vin[0];
    in->witness = calloc(2, sizeof *in->witness);
    in->witness[0].data = malloc(dl);
    in->witness[1].data = malloc(33);
    memcpy(in->witness[0].data, der, dl);
    memcpy(in->witness[1].data, pub, 33);
    in->witness[0].len = dl;
    in->witness[1].len = 33;
    in->witness_count = 2;
}

/* ---- tracking ---- */

static void test_receive_mature_reorg(void **state)
{
    (void)state;
    struct chain c;
    chain_open(&c);
    json_t *r = call(&c, NULL, "createwallet",
                     "{\"wallet_name\": \"w1\", \"mnemonic\": \"" VECTOR_MNEMONIC "\"}");
    assert_string_equal(json_string_value(json_object_get(r, "name")), "w1");
    json_decref(r);
    char *a0 = new_addr(&c, NULL, "[\"pay\"]");
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    addr_script(&c, a0, spk, &len);
    const int64_t subsidy = chainparams_block_subsidy(c.p, 1);

    /* Block 1 pays the wallet: immature. */
    struct block_index *b1 = mine(&c, spk, len, NULL, 0, 0);
    uint256 b1hash = b1->hash;
    assert_int_equal(balance(&c, NULL, "immature"), subsidy);
    assert_int_equal(balance(&c, NULL, "trusted"), 0);
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(r, "txcount")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "keypoolsize")),
                     3 * WALLET_KEYPOOL_SIZE);
    assert_int_equal(json_integer_value(json_object_get(r, "walletversion")), 169900);
    assert_string_equal(json_string_value(json_object_get(r, "format")), "sqlite");
    assert_true(json_is_true(json_object_get(r, "descriptors")));
    assert_null(json_object_get(r, "unlocked_until"));
    json_decref(r);
    r = call(&c, NULL, "listtransactions", "[]");
    assert_int_equal(json_array_size(r), 1);
    json_t *e = json_array_get(r, 0);
    assert_string_equal(json_string_value(json_object_get(e, "category")), "immature");
    assert_string_equal(json_string_value(json_object_get(e, "label")), "pay");
    assert_string_equal(json_string_value(json_object_get(e, "address")), a0);
    assert_int_equal(sats(json_object_get(e, "amount")), subsidy);
    assert_int_equal(json_integer_value(json_object_get(e, "blockheight")), 1);
    json_decref(r);

    /* Disconnect it: the coinbase leaves. */
    invalidate(&c, &b1hash);
    assert_int_equal(chainstate_height(c.cs), 0);
    assert_int_equal(balance(&c, NULL, "immature"), 0);
    r = call(&c, NULL, "listtransactions", "[]");
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "category")),
                        "orphan");
    json_decref(r);
    reconsider(&c, &b1hash);
    assert_int_equal(chainstate_height(c.cs), 1);
    assert_int_equal(balance(&c, NULL, "immature"), subsidy);

    /* 99 more blocks: depth 100, still immature; the 100th makes it spendable. */
    mine_empty(&c, 99);
    assert_int_equal(balance(&c, NULL, "immature"), subsidy);
    r = call(&c, NULL, "listunspent", "[]");
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    r = call(&c, NULL, "listunspent",
             "[1, 9999999, [], true, {\"include_immature_coinbase\": true}]");
    assert_int_equal(json_array_size(r), 1);
    json_decref(r);
    mine_empty(&c, 1);
    assert_int_equal(balance(&c, NULL, "immature"), 0);
    assert_int_equal(balance(&c, NULL, "trusted"), subsidy);
    r = call(&c, NULL, "getbalance", "[]");
    assert_int_equal(sats(r), subsidy);
    json_decref(r);
    r = call(&c, NULL, "listunspent", "[]");
    assert_int_equal(json_array_size(r), 1);
    e = json_array_get(r, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "confirmations")), 101);
    assert_string_equal(json_string_value(json_object_get(e, "address")), a0);
    assert_true(json_is_true(json_object_get(e, "safe")));
    assert_true(json_is_true(json_object_get(e, "spendable")));
    uint256 cb_txid;
    assert_true(uint256_from_hex(&cb_txid, json_string_value(json_object_get(e, "txid"))));
    json_decref(r);
    r = call(&c, NULL, "listunspent", "[1, 9999999, [], true, {\"minimumAmount\": 1000}]");
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);

    /* Spend it to a wallet address of the change chain (a transaction from the wallet). */
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t sk[32], pub[33];
    wallet_key(ctx, 0, 0, sk, pub);
    r = call(&c, NULL, "getrawchangeaddress", "[]");
    uint8_t change_spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t change_len;
    addr_script(&c, json_string_value(r), change_spk, &change_len);
    json_decref(r);
    struct tx spend, conflict;
    make_spend(ctx, &spend, &cb_txid, subsidy, sk, pub, change_spk, change_len, 1000);
    make_spend(ctx, &conflict, &cb_txid, subsidy, sk, pub, c.other_spk, sizeof c.other_spk,
               2000);
    uint256 spend_txid, conflict_txid;
    tx_txid(&spend, &spend_txid);
    tx_txid(&conflict, &conflict_txid);
    /* In the mempool first: the wallet's own transaction with trusted inputs is trusted,
     * so its change counts at once. */
    struct mempool_entry me;
    memset(&me, 0, sizeof me);
    me.tx = spend;
    me.txid = spend_txid;
    me.time = 1700000001;
    wallet_rpc_mempool_added(&c.rpc, &me, true);
    assert_int_equal(balance(&c, NULL, "trusted"), subsidy - 1000);
    assert_int_equal(balance(&c, NULL, "untrusted_pending"), 0);
    r = call(&c, NULL, "listunspent", "[0]");
    assert_int_equal(json_array_size(r), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "confirmations")),
                     0);
    json_decref(r);
    struct block_index *bs = mine(&c, c.other_spk, sizeof c.other_spk, &spend, 1, 1000);
    uint256 bs_hash = bs->hash;
    assert_int_equal(balance(&c, NULL, "trusted"), subsidy - 1000);
    char hex[65], params[200];
    uint256_to_hex(hex, &spend_txid);
    snprintf(params, sizeof params, "[\"%s\"]", hex);
    r = call(&c, NULL, "gettransaction", params);
    assert_int_equal(sats(json_object_get(r, "fee")), -1000);
    assert_int_equal(sats(json_object_get(r, "amount")), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "confirmations")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "blockheight")), 102);
    assert_non_null(json_object_get(r, "hex"));
    json_decref(r);

    /* Reorg it out: unconfirmed again, then a block spending the same coin elsewhere makes
     * it conflicted. */
    invalidate(&c, &bs_hash);
    r = call(&c, NULL, "gettransaction", params);
    assert_int_equal(json_integer_value(json_object_get(r, "confirmations")), 0);
    assert_null(json_object_get(r, "blockhash"));
    json_decref(r);
    uint256 conflict_block =
        mine(&c, c.other_spk, sizeof c.other_spk, &conflict, 1, 2000)->hash;
    r = call(&c, NULL, "gettransaction", params);
    assert_int_equal(json_integer_value(json_object_get(r, "confirmations")), -1);
    assert_true(json_is_false(json_object_get(r, "trusted")));
    assert_int_equal(json_array_size(json_object_get(r, "walletconflicts")), 1);
    json_decref(r);
    assert_int_equal(balance(&c, NULL, "trusted"), 0);
    assert_int_equal(balance(&c, NULL, "untrusted_pending"), 0);
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(r, "txcount")), 3);
    json_decref(r);

    /* Reopen: the same addresses, history and balance. */
    json_t *descs = call(&c, NULL, "listdescriptors", "[]");
    json_decref(call(&c, NULL, "unloadwallet", "[\"w1\"]"));
    call_fail(&c, NULL, "getbalance", "[]", RPC_WALLET_NOT_FOUND, "No wallet is loaded.");
    json_decref(call(&c, NULL, "loadwallet", "[\"w1\"]"));
    json_t *descs2 = call(&c, NULL, "listdescriptors", "[]");
    assert_true(json_equal(descs, descs2));
    json_decref(descs2);
    snprintf(params, sizeof params, "[\"%s\"]", a0);
    r = call(&c, NULL, "getaddressinfo", params);
    assert_true(json_is_true(json_object_get(r, "ismine")));
    assert_string_equal(json_string_value(json_object_get(r, "hdkeypath")), "m/84h/1h/0h/0/0");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "labels"), 0)),
                        "pay");
    json_decref(r);
    assert_int_equal(balance(&c, NULL, "trusted"), 0);
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(r, "txcount")), 3);
    json_decref(r);

    /* Back to the first branch: the wallet's spend confirms again and the other spend
     * of the same coin is the conflicted one. */
    reconsider(&c, &bs_hash);
    invalidate(&c, &conflict_block);
    assert_memory_equal(&chainstate_tip(c.cs)->hash, &bs_hash, 32);
    uint256_to_hex(hex, &spend_txid);
    snprintf(params, sizeof params, "[\"%s\"]", hex);
    r = call(&c, NULL, "gettransaction", params);
    assert_int_equal(json_integer_value(json_object_get(r, "confirmations")), 1);
    json_decref(r);
    uint256_to_hex(hex, &conflict_txid);
    snprintf(params, sizeof params, "[\"%s\"]", hex);
    r = call(&c, NULL, "gettransaction", params);
    assert_int_equal(json_integer_value(json_object_get(r, "confirmations")), -1);
    assert_int_equal(sats(json_object_get(r, "amount")), -(subsidy - 2000));
    assert_int_equal(sats(json_object_get(r, "fee")), -2000);
    json_decref(r);
    assert_int_equal(balance(&c, NULL, "trusted"), subsidy - 1000);

    /* Restore from the mnemonic in another wallet: the scan finds the same coins. */
    r = call(&c, NULL, "createwallet",
             "{\"wallet_name\": \"restored\", \"mnemonic\": \"" VECTOR_MNEMONIC "\"}");
    json_decref(r);
    call_fail(&c, NULL, "getbalance", "[]", RPC_WALLET_NOT_SPECIFIED, "Multiple wallets");
    assert_int_equal(balance(&c, "restored", "trusted"), subsidy - 1000);
    json_t *u1 = call(&c, "w1", "listunspent", "[]");
    json_t *u2 = call(&c, "restored", "listunspent", "[]");
    assert_int_equal(json_array_size(u1), 1);
    assert_true(json_equal(json_object_get(json_array_get(u1, 0), "txid"),
                           json_object_get(json_array_get(u2, 0), "txid")));
    json_decref(u1);
    json_decref(u2);
    json_t *descs3 = call(&c, "restored", "listdescriptors", "[]");
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(
            json_string_value(json_object_get(
                json_array_get(json_object_get(descs, "descriptors"), i), "desc")),
            json_string_value(json_object_get(
                json_array_get(json_object_get(descs3, "descriptors"), i), "desc")));
    json_decref(descs3);
    json_decref(descs);
    /* rescanblockchain over a range. */
    r = call(&c, "restored", "rescanblockchain", "[1, 5]");
    assert_int_equal(json_integer_value(json_object_get(r, "start_height")), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "stop_height")), 5);
    json_decref(r);
    call_fail(&c, "restored", "rescanblockchain", "[5, 1]", RPC_INVALID_PARAMETER,
              "stop_height must be greater than start_height");
    call_fail(&c, "restored", "rescanblockchain", "[100000]", RPC_INVALID_PARAMETER,
              "Invalid start_height");

    tx_clear(&spend);
    tx_clear(&conflict);
    secp256k1_context_destroy(ctx);
    free(a0);
    chain_close(&c);
}

/* ---- crash ---- */

/* A process records three blocks paying its wallet and is killed (-9) before anything is
 * closed, with or without flushing the chainstate first. Reopened, chain and wallet agree:
 * the wallet shows exactly the coins of the blocks the chain kept. */
static void crash_run(bool flush)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct chain c;
        chain_open(&c);
        json_decref(call(&c, NULL, "createwallet",
                         "{\"wallet_name\": \"k\", \"mnemonic\": \"" VECTOR_MNEMONIC "\"}"));
        char *a = new_addr(&c, NULL, "[]");
        uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
        size_t len;
        addr_script(&c, a, spk, &len);
        for (int i = 0; i < 3; i++) mine(&c, spk, len, NULL, 0, 0);
        char err[256];
        if (flush && !chainstate_flush(c.cs, true, err, sizeof err)) _exit(2);
        /* Hand the directory to the parent, then die without closing anything. */
        size_t dl = strlen(c.dir) + 1;
        if (write(fds[1], c.dir, dl) != (ssize_t)dl) _exit(3);
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fds[1]);
    char *child_dir = calloc(1, 4200);
    assert_non_null(child_dir);
    assert_true(read(fds[0], child_dir, 4199) > 0);
    close(fds[0]);

    struct chain c;
    memset(&c, 0, sizeof c);
    c.dir = child_dir;
    struct chainstate_options o = {0};
    o.params = chainparams_by_name("regtest");
    o.datadir = c.dir;
    o.dbcache_mib = 8;
    char err[256];
    c.cs = chainstate_open(&o, err, sizeof err);
    if (!c.cs) fail_msg("chainstate_open after kill: %s", err);
    c.p = chainstate_params(c.cs);
    c.node.params = c.p;
    c.node.now = fixed_now;
    assert_true(node_context_init(&c.node));
    c.node.chainstate = c.cs;
    char wd[4200];
    snprintf(wd, sizeof wd, "%s/wallets", c.dir);
    assert_true(wallet_rpc_ctx_init(&c.rpc, &c.node, wd, err, sizeof err));
    struct chainstate_callbacks cb = wallet_rpc_chain_callbacks(&c.rpc);
    assert_true(chainstate_subscribe(c.cs, &cb));
    if (!wallet_rpc_load(&c.rpc, "k", err, sizeof err)) fail_msg("load after kill: %s", err);
    int32_t h = chainstate_height(c.cs);
    if (flush) assert_int_equal(h, 3);
    assert_int_equal(balance(&c, NULL, "immature"), h * chainparams_block_subsidy(c.p, 1));
    json_t *r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r, "lastprocessedblock"), "height")),
        h);
    json_decref(r);
    /* And it keeps following the chain. */
    char *a = new_addr(&c, NULL, "[]");
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    addr_script(&c, a, spk, &len);
    mine(&c, spk, len, NULL, 0, 0);
    assert_int_equal(balance(&c, NULL, "immature"),
                     (h + 1) * chainparams_block_subsidy(c.p, 1));
    free(a);
    chain_close(&c);
}

static void test_kill9(void **state)
{
    (void)state;
    crash_run(true);
    crash_run(false);
}

/* ---- the mempool ---- */

static void test_mempool_payment(void **state)
{
    (void)state;
    struct chain c;
    chain_open(&c);
    json_decref(call(&c, NULL, "createwallet", "[\"m\"]"));
    char *a = new_addr(&c, NULL, "[\"in\"]");
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    addr_script(&c, a, spk, &len);
    /* A payment from someone else (its input is not the wallet's). */
    struct mempool_entry e;
    memset(&e, 0, sizeof e);
    tx_init(&e.tx);
    assert_true(tx_resize(&e.tx, 1, 2));
    e.tx.version = 2;
    memset(e.tx.vin[0].prevout.hash.b, 0x33, 32);
    e.tx.vin[0].sequence = 0xffffffff;
    e.tx.vout[0].value = 12345;
    assert_true(tx_set_script_pubkey(&e.tx.vout[0], spk, len));
    e.tx.vout[1].value = 999;
    assert_true(tx_set_script_pubkey(&e.tx.vout[1], c.other_spk, sizeof c.other_spk));
    tx_txid(&e.tx, &e.txid);
    e.time = 1700000002;
    wallet_rpc_mempool_added(&c.rpc, &e, true);
    assert_int_equal(balance(&c, NULL, "untrusted_pending"), 12345);
    assert_int_equal(balance(&c, NULL, "trusted"), 0);
    json_t *r = call(&c, NULL, "listunspent", "[0]");
    assert_int_equal(json_array_size(r), 1);
    assert_true(json_is_false(json_object_get(json_array_get(r, 0), "safe")));
    json_decref(r);
    r = call(&c, NULL, "listunspent", "[0, 9999999, [], false]");
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    r = call(&c, NULL, "listtransactions", "[\"in\"]");
    assert_int_equal(json_array_size(r), 1);
    json_t *t = json_array_get(r, 0);
    assert_string_equal(json_string_value(json_object_get(t, "category")), "receive");
    assert_int_equal(json_integer_value(json_object_get(t, "confirmations")), 0);
    assert_true(json_is_false(json_object_get(t, "trusted")));
    assert_int_equal(json_integer_value(json_object_get(t, "time")), 1700000002);
    json_decref(r);
    r = call(&c, NULL, "listtransactions", "[\"other\"]");
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    /* Leaving the pool (not into a block) takes it out of the pending balance. */
    wallet_rpc_mempool_removed(&c.rpc, &e, MEMPOOL_REMOVED_EXPIRY);
    assert_int_equal(balance(&c, NULL, "untrusted_pending"), 0);
    /* The address is used: the next one differs, and the pool moved on. */
    char *b = new_addr(&c, NULL, "[]");
    assert_string_not_equal(a, b);
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(r, "keypoolsize")),
                     3 * WALLET_KEYPOOL_SIZE);
    assert_int_equal(json_integer_value(json_object_get(r, "txcount")), 1);
    json_decref(r);
    tx_clear(&e.tx);
    free(a);
    free(b);
    chain_close(&c);
}

/* ---- encryption ---- */

/* The descriptor texts of two listdescriptors results are the same. */
static bool same_descs(const json_t *a, const json_t *b)
{
    const json_t *da = json_object_get(a, "descriptors"),
                 *db = json_object_get(b, "descriptors");
    if (json_array_size(da) != json_array_size(db) || json_array_size(da) == 0) return false;
    for (size_t i = 0; i < json_array_size(da); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(da, i), "desc")),
                   json_string_value(json_object_get(json_array_get(db, i), "desc"))) != 0)
            return false;
    return true;
}

static void test_encryption(void **state)
{
    (void)state;
    struct chain c;
    chain_open(&c);
    json_decref(call(&c, NULL, "createwallet",
                     "{\"wallet_name\": \"e\", \"mnemonic\": \"" VECTOR_MNEMONIC "\"}"));
    call_fail(&c, NULL, "walletpassphrase", "[\"x\", 10]", RPC_WALLET_WRONG_ENC_STATE,
              "Error: running with an unencrypted wallet, but walletpassphrase was called.");
    call_fail(&c, NULL, "walletlock", "[]", RPC_WALLET_WRONG_ENC_STATE, NULL);
    call_fail(&c, NULL, "encryptwallet", "[\"\"]", RPC_INVALID_PARAMETER,
              "passphrase cannot be empty");
    json_t *priv = call(&c, NULL, "listdescriptors", "[true]");
    json_t *pub = call(&c, NULL, "listdescriptors", "[]");
    assert_false(same_descs(priv, pub));
    json_decref(pub);
    json_decref(call(&c, NULL, "encryptwallet", "[\"correct horse\"]"));
    call_fail(&c, NULL, "encryptwallet", "[\"again\"]", RPC_WALLET_WRONG_ENC_STATE, NULL);
    json_t *r = call(&c, NULL, "getwalletinfo", "[]");
    assert_int_equal(json_integer_value(json_object_get(r, "unlocked_until")), 0);
    json_decref(r);
    call_fail(&c, NULL, "listdescriptors", "[true]", RPC_WALLET_UNLOCK_NEEDED,
              "Error: Please enter the wallet passphrase with walletpassphrase first.");
    call_fail(&c, NULL, "getmnemonic", "[]", RPC_WALLET_UNLOCK_NEEDED, NULL);
    /* Public data stays readable; new addresses need no key. */
    json_decref(call(&c, NULL, "listdescriptors", "[]"));
    free(new_addr(&c, NULL, "[]"));
    call_fail(&c, NULL, "walletpassphrase", "[\"wrong\", 100]", RPC_WALLET_PASSPHRASE_INCORRECT,
              "Error: The wallet passphrase entered was incorrect.");
    call_fail(&c, NULL, "walletpassphrase", "[\"correct horse\", -1]", RPC_INVALID_PARAMETER,
              "Timeout cannot be negative.");
    json_decref(call(&c, NULL, "walletpassphrase", "[\"correct horse\", 100]"));
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_true(json_integer_value(json_object_get(r, "unlocked_until")) > 0);
    assert_true(json_integer_value(json_object_get(r, "unlocked_until")) <= time_now() + 100);
    json_decref(r);
    r = call(&c, NULL, "listdescriptors", "[true]");
    assert_true(same_descs(r, priv)); /* the same xprvs come out of the sealed records */
    {
        const char *pd = json_string_value(
            json_object_get(json_array_get(json_object_get(r, "descriptors"), 0), "desc"));
        char derr[DESCRIPTOR_ERR_MAX];
        struct descriptor *d = descriptor_parse(pd, &c.p->addr, derr);
        if (!d) fail_msg("private descriptor: %s", derr);
        assert_true(descriptor_has_private_keys(d));
        descriptor_free(d);
    }
    json_decref(r);
    r = call(&c, NULL, "getmnemonic", "[]");
    assert_string_equal(json_string_value(json_object_get(r, "mnemonic")), VECTOR_MNEMONIC);
    assert_true(json_is_false(json_object_get(r, "passphrase_protected")));
    json_decref(r);
    json_decref(call(&c, NULL, "walletlock", "[]"));
    call_fail(&c, NULL, "getmnemonic", "[]", RPC_WALLET_UNLOCK_NEEDED, NULL);
    call_fail(&c, NULL, "walletpassphrasechange", "[\"bad\", \"new one\"]",
              RPC_WALLET_PASSPHRASE_INCORRECT, NULL);
    json_decref(call(&c, NULL, "walletpassphrasechange", "[\"correct horse\", \"new one\"]"));
    call_fail(&c, NULL, "walletpassphrase", "[\"correct horse\", 100]",
              RPC_WALLET_PASSPHRASE_INCORRECT, NULL);
    /* Reloaded, it is still encrypted and locked, and opens with the new passphrase. */
    json_decref(call(&c, NULL, "unloadwallet", "[]"));
    json_decref(call(&c, NULL, "loadwallet", "[\"e\"]"));
    call_fail(&c, NULL, "listdescriptors", "[true]", RPC_WALLET_UNLOCK_NEEDED, NULL);
    json_decref(call(&c, NULL, "walletpassphrase", "[\"new one\", 100]"));
    r = call(&c, NULL, "listdescriptors", "[true]");
    assert_true(same_descs(r, priv));
    json_decref(r);
    json_decref(priv);

    /* createwallet with a passphrase: encrypted from the start, with a warning for "". */
    json_decref(
        call(&c, NULL, "createwallet", "{\"wallet_name\": \"e2\", \"passphrase\": \"pw\"}"));
    call_fail(&c, "e2", "getmnemonic", "[]", RPC_WALLET_UNLOCK_NEEDED, NULL);
    json_decref(call(&c, "e2", "walletpassphrase", "[\"pw\", 50]"));
    r = call(&c, "e2", "getmnemonic", "[]");
    char words[BIP39_MNEMONIC_MAX];
    snprintf(words, sizeof words, "%s", json_string_value(json_object_get(r, "mnemonic")));
    char err[128];
    assert_int_equal(bip39_check(words, err, sizeof err), BIP39_OK);
    json_decref(r);
    r = call(&c, NULL, "createwallet", "{\"wallet_name\": \"e3\", \"passphrase\": \"\"}");
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
    json_decref(r);
    r = call(&c, "e3", "getwalletinfo", "[]");
    assert_null(json_object_get(r, "unlocked_until"));
    json_decref(r);
    chain_close(&c);
}

/* ---- the RPC layer ---- */

static void test_rpc_errors(void **state)
{
    (void)state;
    struct chain c;
    chain_open(&c);
    call_fail(&c, NULL, "getnewaddress", "[]", RPC_WALLET_NOT_FOUND,
              "No wallet is loaded. Load a wallet using loadwallet or create a new one with "
              "createwallet. (Note: A default wallet is no longer automatically created)");
    call_fail(&c, NULL, "createwallet", "{\"wallet_name\": \"x\", \"descriptors\": false}",
              RPC_WALLET_ERROR, "descriptors argument must be set to \"true\"");
    call_fail(&c, NULL, "createwallet",
              "{\"wallet_name\": \"x\", \"mnemonic\": \"abandon abandon\"}",
              RPC_INVALID_PARAMETER, "Invalid mnemonic");
    call_fail(&c, NULL, "loadwallet", "[\"nothere\"]", RPC_WALLET_NOT_FOUND,
              "Wallet file verification failed.");
    json_t *r = call(&c, NULL, "createwallet", "[\"a\"]");
    json_decref(r);
    call_fail(&c, NULL, "createwallet", "[\"a\"]", RPC_WALLET_ALREADY_EXISTS, NULL);
    call_fail(&c, NULL, "loadwallet", "[\"a\"]", RPC_WALLET_ALREADY_LOADED, NULL);
    call_fail(&c, NULL, "getnewaddress", "[\"\", \"foo\"]", RPC_INVALID_ADDRESS_OR_KEY,
              "Unknown address type 'foo'");
    call_fail(&c, NULL, "getnewaddress", "[\"*\"]", RPC_WALLET_INVALID_LABEL_NAME,
              "Invalid label name");
    /* Address types and labels. */
    char *legacy = new_addr(&c, NULL, "[\"l\", \"legacy\"]");
    char *segwit = new_addr(&c, NULL, "[\"s\"]");
    char *taproot = new_addr(&c, NULL, "[\"s\", \"bech32m\"]");
    char buf[300];
    snprintf(buf, sizeof buf, "[\"%s\"]", legacy);
    r = call(&c, NULL, "getaddressinfo", buf);
    assert_true(json_is_false(json_object_get(r, "iswitness")));
    assert_non_null(json_object_get(r, "pubkey"));
    assert_true(json_is_false(json_object_get(r, "ischange")));
    json_decref(r);
    snprintf(buf, sizeof buf, "[\"%s\"]", taproot);
    r = call(&c, NULL, "getaddressinfo", buf);
    assert_int_equal(json_integer_value(json_object_get(r, "witness_version")), 1);
    assert_null(json_object_get(r, "pubkey"));
    assert_string_equal(json_string_value(json_object_get(r, "hdkeypath")), "m/86h/1h/0h/0/0");
    assert_memory_equal(json_string_value(json_object_get(r, "desc")), "tr([", 4);
    json_decref(r);
    r = call(&c, NULL, "getrawchangeaddress", "[\"legacy\"]");
    snprintf(buf, sizeof buf, "[\"%s\"]", json_string_value(r));
    json_decref(r);
    r = call(&c, NULL, "getaddressinfo", buf);
    assert_true(json_is_true(json_object_get(r, "ischange")));
    assert_string_equal(json_string_value(json_object_get(r, "hdkeypath")), "m/44h/1h/0h/1/0");
    json_decref(r);
    r = call(&c, NULL, "listlabels", "[]");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_array_get(r, 0)), "l");
    json_decref(r);
    r = call(&c, NULL, "getaddressesbylabel", "[\"s\"]");
    assert_int_equal(json_object_size(r), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, segwit), "purpose")), "receive");
    json_decref(r);
    call_fail(&c, NULL, "getaddressesbylabel", "[\"none\"]", RPC_WALLET_INVALID_LABEL_NAME,
              "No addresses with label none");
    snprintf(buf, sizeof buf, "[\"%s\", \"renamed\"]", segwit);
    json_decref(call(&c, NULL, "setlabel", buf));
    r = call(&c, NULL, "listlabels", "[]");
    assert_int_equal(json_array_size(r), 3);
    json_decref(r);
    call_fail(&c, NULL, "setlabel", "[\"notanaddress\", \"x\"]", RPC_INVALID_ADDRESS_OR_KEY,
              NULL);
    /* An address of someone else: not mine, no key facts; setlabel makes it a "send"
     * entry. */
    {
        char other[ADDRESS_MAX_LEN + 1];
        assert_int_equal(address_encode(other, &c.p->addr, c.other_spk, sizeof c.other_spk),
                         ADDRESS_OK);
        snprintf(buf, sizeof buf, "[\"%s\"]", other);
        r = call(&c, NULL, "getaddressinfo", buf);
        assert_true(json_is_false(json_object_get(r, "ismine")));
        assert_true(json_is_false(json_object_get(r, "ischange")));
        assert_true(json_is_true(json_object_get(r, "iswitness")));
        assert_null(json_object_get(r, "desc"));
        assert_null(json_object_get(r, "hdkeypath"));
        json_decref(r);
        snprintf(buf, sizeof buf, "[\"%s\", \"friend\"]", other);
        json_decref(call(&c, NULL, "setlabel", buf));
        r = call(&c, NULL, "listlabels", "[\"send\"]");
        assert_int_equal(json_array_size(r), 1);
        assert_string_equal(json_string_value(json_array_get(r, 0)), "friend");
        json_decref(r);
        r = call(&c, NULL, "listlabels", "[\"\"]");
        assert_int_equal(json_array_size(r), 4);
        json_decref(r);
    }
    call_fail(&c, NULL, "gettransaction", "[\"xyz\"]", RPC_INVALID_PARAMETER,
              "txid must be hexadecimal string (not 'xyz')");
    call_fail(&c, NULL, "getbalance", "[\"x\"]", RPC_METHOD_DEPRECATED, NULL);
    call_fail(&c, NULL, "getbalance", "[\"*\", 0, false, true]", RPC_WALLET_ERROR,
              "wallet does not have the \"avoid reuse\" feature enabled");
    call_fail(&c, NULL, "gettransaction",
              "[\"0000000000000000000000000000000000000000000000000000000000000001\"]",
              RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id");

    /* Blank and watch-only wallets have no keys. */
    json_decref(call(&c, NULL, "createwallet", "{\"wallet_name\": \"b\", \"blank\": true}"));
    call_fail(&c, "b", "getnewaddress", "[]", RPC_WALLET_ERROR,
              "Error: This wallet has no available keys");
    call_fail(&c, "b", "getmnemonic", "[]", RPC_WALLET_ERROR, NULL);
    r = call(&c, "b", "getwalletinfo", "[]");
    assert_true(json_is_true(json_object_get(r, "blank")));
    json_decref(r);
    call_fail(
        &c, NULL, "createwallet",
        "{\"wallet_name\": \"wo\", \"disable_private_keys\": true, \"passphrase\": \"x\"}",
        RPC_WALLET_ERROR, "Passphrase provided but private keys are disabled.");

    /* Selection. */
    call_fail(
        &c, NULL, "getwalletinfo", "[]", RPC_WALLET_NOT_SPECIFIED,
        "Multiple wallets are loaded. Please select which wallet to use by requesting the "
        "RPC through the /wallet/<walletname> URI path.");
    call_fail(&c, "nope", "getwalletinfo", "[]", RPC_WALLET_NOT_FOUND,
              "Requested wallet does not exist or is not loaded");
    r = call(&c, NULL, "listwallets", "[]");
    assert_int_equal(json_array_size(r), 2);
    json_decref(r);
    call_fail(&c, "a", "unloadwallet", "[\"b\"]", RPC_INVALID_PARAMETER, NULL);
    json_decref(call(&c, "b", "unloadwallet", "[]"));
    r = call(&c, NULL, "listwalletdir", "[]");
    assert_int_equal(json_array_size(json_object_get(r, "wallets")), 2);
    json_decref(r);
    r = call(&c, NULL, "getwalletinfo", "[]");
    assert_string_equal(json_string_value(json_object_get(r, "walletname")), "a");
    json_decref(r);
    free(legacy);
    free(segwit);
    free(taproot);
    chain_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip_vectors),
        cmocka_unit_test(test_regtest_first_address),
        cmocka_unit_test(test_receive_mature_reorg),
        cmocka_unit_test(test_mempool_payment),
        cmocka_unit_test(test_kill9),
        cmocka_unit_test(test_encryption),
        cmocka_unit_test(test_rpc_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
