/* Blocks, merkle trees, proof of work and the context-free checks.
 *
 * The main vector is real data: Bitcoin mainnet blocks 1 to 255, which must parse,
 * re-serialize byte for byte, carry correct merkle roots, meet their targets, pass
 * check_block and link into one chain ending at the known tip. Everything else is built
 * by hand to hit one rule at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"
#include "consensus/tx_check.h"
#include "test_util.h"
#include "util/hex.h"

#define GENESIS_HASH  "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
#define TIP_255_HASH  "00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c"
#define BTC_POW_LIMIT "00000000ffff0000000000000000000000000000000000000000000000000000"
#define MAINNET_FILE  "mainnet/blocks-1-255.dat"

/* Bitcoin's genesis block, as serialized. */
static const char GENESIS_HEX[] =
    "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd"
    "7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c"
    "0101000000010000000000000000000000000000000000000000000000000000000000000000ffff"
    "ffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c"
    "6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73"
    "ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a6"
    "7962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
    "ac00000000";

/* ---- helpers ---- */

static uint256 hash_from_hex(const char *hex)
{
    uint256 h;
    assert_true(uint256_from_hex(&h, hex));
    return h;
}

static void assert_hash_hex(const uint256 *h, const char *want)
{
    char hex[65];
    uint256_to_hex(hex, h);
    assert_string_equal(hex, want);
}

static uint8_t *serialize_block(const struct block *b, bool with_witness, size_t *len)
{
    struct writer w;
    writer_init(&w);
    block_serialize(&w, b, with_witness);
    assert_false(w.failed);
    return writer_release(&w, len);
}

/* One record of the .dat file: borrowed pointer into the file buffer. */
struct raw_block {
    const uint8_t *data;
    size_t len;
};

/* Splits the blk*.dat layout into records; returns the count (at most max). */
static size_t split_dat(const uint8_t *file, size_t file_len, struct raw_block *out, size_t max)
{
    static const uint8_t magic[4] = {0xf9, 0xbe, 0xb4, 0xd9};
    size_t pos = 0, n = 0;
    while (pos < file_len) {
        assert_true(file_len - pos >= 8);
        assert_memory_equal(file + pos, magic, 4);
        uint32_t len = le32_read(file + pos + 4);
        pos += 8;
        assert_true(len <= file_len - pos);
        assert_true(n < max);
        out[n].data = file + pos;
        out[n].len = len;
        n++;
        pos += len;
    }
    return n;
}

static uint8_t *load_mainnet(struct raw_block *out, size_t max, size_t *count)
{
    size_t file_len;
    uint8_t *file = test_read_file(test_vector_path(MAINNET_FILE), &file_len);
    if (!file) fail_msg("cannot read %s", test_vector_path(MAINNET_FILE));
    *count = split_dat(file, file_len, out, max);
    return file;
}

static void set_witness(struct tx_in *in, size_t count, const uint8_t *const *items,
                        const size_t *lens)
{
    tx_in_clear_witness(in);
    if (count == 0) return;
    in->witness = calloc(count, sizeof(*in->witness));
    assert_non_null(in->witness);
    in->witness_count = count;
    for (size_t i = 0; i < count; i++) {
        in->witness[i].data = malloc(lens[i] ? lens[i] : 1);
        assert_non_null(in->witness[i].data);
        if (lens[i]) memcpy(in->witness[i].data, items[i], lens[i]);
        in->witness[i].len = lens[i];
    }
}

static void set_witness_one(struct tx_in *in, const uint8_t *item, size_t len)
{
    set_witness(in, 1, &item, &len);
}

/* A coinbase paying 50 coins to OP_TRUE; tag makes each one distinct. */
static void make_coinbase(struct tx *tx, uint8_t tag)
{
    tx_init(tx);
    assert_true(tx_resize(tx, 1, 1));
    memset(tx->vin[0].prevout.hash.b, 0, 32);
    tx->vin[0].prevout.n = 0xffffffffu;
    const uint8_t sig[3] = {0x02, tag, 0x01};
    assert_true(tx_set_script_sig(&tx->vin[0], sig, sizeof(sig)));
    tx->vout[0].value = 50 * COIN;
    const uint8_t op_true = OP_TRUE;
    assert_true(tx_set_script_pubkey(&tx->vout[0], &op_true, 1));
}

/* A one-input one-output spend of (tag..., n). */
static void make_spend(struct tx *tx, uint8_t tag, uint32_t n, int64_t value)
{
    tx_init(tx);
    assert_true(tx_resize(tx, 1, 1));
    memset(tx->vin[0].prevout.hash.b, tag, 32);
    tx->vin[0].prevout.n = n;
    const uint8_t sig[1] = {OP_TRUE};
    assert_true(tx_set_script_sig(&tx->vin[0], sig, sizeof(sig)));
    tx->vout[0].value = value;
    const uint8_t op_true = OP_TRUE;
    assert_true(tx_set_script_pubkey(&tx->vout[0], &op_true, 1));
}

static void block_with_txs(struct block *b, size_t n)
{
    block_init(b);
    b->header.version = 4;
    b->header.time = 1700000000;
    b->header.bits = 0x207fffff;
    b->txs = calloc(n ? n : 1, sizeof(*b->txs));
    assert_non_null(b->txs);
    b->tx_count = n;
    for (size_t i = 0; i < n; i++) tx_init(&b->txs[i]);
}

static void fix_merkle(struct block *b)
{
    bool mutated;
    assert_true(block_merkle_root(&b->header.merkle_root, &mutated, b));
}

/* Fills the commitment output at index pos of the coinbase from the block's current
 * witness data. */
static void fix_commitment(struct block *b, size_t pos)
{
    uint256 root, c;
    assert_true(block_witness_merkle_root(&root, NULL, b));
    const struct tx_in *cbin = &b->txs[0].vin[0];
    assert_int_equal(cbin->witness_count, 1);
    assert_int_equal(cbin->witness[0].len, 32);
    witness_commitment_hash(&c, &root, cbin->witness[0].data);
    struct tx_out *o = &b->txs[0].vout[pos];
    assert_true(o->script_pubkey_len >= MIN_WITNESS_COMMITMENT_SIZE);
    memcpy(o->script_pubkey, WITNESS_COMMITMENT_HEADER, WITNESS_COMMITMENT_HEADER_SIZE);
    memcpy(o->script_pubkey + WITNESS_COMMITMENT_HEADER_SIZE, c.b, 32);
    fix_merkle(b);
}

static void expect_block_ok(const struct block *b, uint32_t flags)
{
    struct block_check_result res;
    bool ok = check_block(b, NULL, flags & ~CHECK_BLOCK_POW, &res);
    if (!ok) fail_msg("block rejected: %s (%s)", res.reason, res.debug);
    assert_int_equal(res.kind, BLOCK_CHECK_OK);
    assert_string_equal(res.reason, "");
}

static void expect_block_reject(const struct block *b, uint32_t flags, const char *reason,
                                enum block_check_kind kind)
{
    struct block_check_result res;
    assert_false(check_block(b, NULL, flags & ~CHECK_BLOCK_POW, &res));
    assert_string_equal(res.reason, reason);
    assert_int_equal(res.kind, kind);
}

/* ---- genesis ---- */

static void test_genesis(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(GENESIS_HEX, &len);
    assert_int_equal(len, 285);

    struct block b;
    assert_true(block_from_bytes(&b, raw, len, true));
    assert_int_equal(b.tx_count, 1);
    uint256 h;
    block_hash(&b, &h);
    assert_hash_hex(&h, GENESIS_HASH);
    assert_hash_hex(&b.header.merkle_root,
                    "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
    assert_int_equal(b.header.time, 1231006505);
    assert_int_equal(b.header.bits, 0x1d00ffff);
    assert_int_equal(b.header.nonce, 2083236893);
    assert_int_equal(block_size(&b, true), 285);
    assert_int_equal(block_size(&b, false), 285);
    assert_int_equal(block_weight(&b), 4 * 285);

    /* The same block assembled from its parts. */
    struct block g;
    block_with_txs(&g, 1);
    g.header.version = 1;
    g.header.time = 1231006505;
    g.header.bits = 0x1d00ffff;
    g.header.nonce = 2083236893;
    struct tx *cb = &g.txs[0];
    assert_true(tx_resize(cb, 1, 1));
    cb->vin[0].prevout.n = 0xffffffffu;
    const char *text = "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks";
    uint8_t sig[128];
    size_t n = 0;
    const uint8_t prefix[] = {0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, 0x45};
    memcpy(sig, prefix, sizeof(prefix));
    n = sizeof(prefix);
    memcpy(sig + n, text, strlen(text));
    n += strlen(text);
    assert_true(tx_set_script_sig(&cb->vin[0], sig, n));
    cb->vout[0].value = 50 * COIN;
    size_t pk_len;
    uint8_t *pk = test_unhex("4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61"
                             "deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf1"
                             "1d5fac",
                             &pk_len);
    assert_true(tx_set_script_pubkey(&cb->vout[0], pk, pk_len));
    free(pk);
    fix_merkle(&g);
    size_t out_len;
    uint8_t *out = serialize_block(&g, true, &out_len);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, raw, len);
    free(out);

    /* The header alone, through both header paths. */
    uint8_t hdr[BLOCK_HEADER_SIZE];
    block_header_to_bytes(hdr, &g.header);
    assert_memory_equal(hdr, raw, BLOCK_HEADER_SIZE);
    struct block_header gh;
    block_header_from_bytes(&gh, raw);
    block_header_hash(&gh, &h);
    assert_hash_hex(&h, GENESIS_HASH);

    uint256 limit = hash_from_hex(BTC_POW_LIMIT);
    struct block_check_result res;
    assert_true(check_block(&b, &limit, CHECK_BLOCK_ALL, &res));
    assert_true(check_block_header(&b.header, &limit, &res));

    block_clear(&g);
    block_clear(&b);
    block_clear(&b); /* clearing twice is harmless */
    block_clear(NULL);
    free(raw);
}

/* ---- the mainnet vector ---- */

static void test_mainnet_blocks(void **state)
{
    (void)state;
    struct raw_block recs[300];
    size_t count;
    uint8_t *file = load_mainnet(recs, 300, &count);
    assert_int_equal(count, 255);

    uint256 limit = hash_from_hex(BTC_POW_LIMIT);
    uint256 prev = hash_from_hex(GENESIS_HASH);
    arith256 chain_work;
    pow_block_work(&chain_work, 0x1d00ffff); /* the genesis block's */
    size_t total_txs = 0, checked = 0;

    for (size_t i = 0; i < count; i++) {
        for (int witness = 0; witness <= 1; witness++) {
            struct block b;
            if (!block_from_bytes(&b, recs[i].data, recs[i].len, witness))
                fail_msg("block %zu does not parse", i + 1);
            size_t len;
            uint8_t *out = serialize_block(&b, witness, &len);
            assert_int_equal(len, recs[i].len);
            assert_memory_equal(out, recs[i].data, len);
            free(out);
            assert_int_equal(block_size(&b, true), recs[i].len);
            assert_int_equal(block_weight(&b), 4 * recs[i].len);

            /* Merkle root and mutation flag. */
            uint256 root;
            bool mutated = true;
            assert_true(block_merkle_root(&root, &mutated, &b));
            assert_memory_equal(root.b, b.header.merkle_root.b, 32);
            assert_false(mutated);

            /* Proof of work: its own target and Bitcoin's limit. */
            uint256 h, own;
            arith256 target;
            bool neg, ovf;
            block_hash(&b, &h);
            arith256_set_compact(&target, b.header.bits, &neg, &ovf);
            assert_false(neg);
            assert_false(ovf);
            arith256_to_uint256(&own, &target);
            assert_true(check_proof_of_work(&h, b.header.bits, &own));
            assert_true(check_proof_of_work(&h, b.header.bits, &limit));
            assert_int_equal(arith256_get_compact(&target, false), b.header.bits);

            struct block_check_result res;
            if (!check_block(&b, &limit, CHECK_BLOCK_ALL, &res))
                fail_msg("block %zu rejected: %s (%s)", i + 1, res.reason, res.debug);
            for (size_t t = 0; t < b.tx_count; t++) {
                const char *why = NULL;
                assert_true(check_transaction(&b.txs[t], &why));
                assert_null(why);
            }
            checked++;

            if (witness) {
                /* Linking: each block's parent is the previous one. */
                assert_memory_equal(b.header.prev_hash.b, prev.b, 32);
                prev = h;
                arith256 w;
                pow_block_work(&w, b.header.bits);
                arith256_add(&chain_work, &chain_work, &w);
                total_txs += b.tx_count;
            }
            block_clear(&b);
        }
    }
    assert_hash_hex(&prev, TIP_255_HASH);
    /* All 256 blocks (genesis included) have bits 0x1d00ffff: 0x100010001 work each. */
    arith256 want;
    arith256_set_u64(&want, 256ull * 0x100010001ull);
    assert_int_equal(arith256_cmp(&chain_work, &want), 0);
    assert_true(total_txs > count);
    free(file);
    test_report_count(
        "mainnet blocks 1-255 (parsed, round-tripped, merkle, pow, checked, linked)", count);
    assert_int_equal(checked, 2 * count);
}

/* ---- truncation and trailing garbage ---- */

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    struct raw_block recs[300];
    size_t count;
    uint8_t *file = load_mainnet(recs, 300, &count);
    /* Block 170 carries the first non-coinbase transaction: two transactions. */
    const struct raw_block *r = &recs[169];
    struct block b;
    assert_true(block_from_bytes(&b, r->data, r->len, true));
    assert_int_equal(b.tx_count, 2);
    block_clear(&b);

    size_t cases = 0;
    for (size_t cut = 0; cut < r->len; cut++) {
        for (int witness = 0; witness <= 1; witness++) {
            assert_false(block_from_bytes(&b, r->data, cut, witness));
            assert_int_equal(b.tx_count, 0);
            assert_null(b.txs);
            struct reader rd;
            reader_init(&rd, r->data, cut);
            assert_false(block_deserialize(&rd, &b, witness));
            assert_true(rd.failed);
            assert_null(b.txs);
            cases++;
        }
    }

    uint8_t *longer = malloc(r->len + 1);
    assert_non_null(longer);
    memcpy(longer, r->data, r->len);
    longer[r->len] = 0x00;
    assert_false(block_from_bytes(&b, longer, r->len + 1, true));
    assert_null(b.txs);
    struct reader rd;
    reader_init(&rd, longer, r->len + 1);
    assert_true(block_deserialize(&rd, &b, true));
    assert_int_equal(reader_remaining(&rd), 1);
    block_clear(&b);
    free(longer);

    /* A header claiming far more transactions than bytes follow. */
    uint8_t forged[80 + 5 + 20];
    memcpy(forged, r->data, 80);
    forged[80] = 0xfe;
    le32_write(forged + 81, 0x01000000);
    memset(forged + 85, 0, 20);
    assert_false(block_from_bytes(&b, forged, sizeof(forged), true));
    assert_null(b.txs);

    /* Header plus a zero count parses but is no block. */
    memcpy(forged, r->data, 80);
    forged[80] = 0;
    assert_true(block_from_bytes(&b, forged, 81, true));
    assert_int_equal(b.tx_count, 0);
    memset(b.header.merkle_root.b, 0, 32);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-blk-length", BLOCK_CHECK_CONSENSUS);
    block_clear(&b);

    /* The header path on short input. */
    struct block_header h;
    reader_init(&rd, r->data, 79);
    assert_false(block_header_deserialize(&rd, &h));
    free(file);
    test_report_count("truncated blocks rejected", cases);
}

/* ---- merkle trees ---- */

static void leaves(uint256 *out, size_t n)
{
    for (size_t i = 0; i < n; i++) sha256(&i, sizeof(i), out[i].b);
}

static void test_merkle_tree(void **state)
{
    (void)state;
    uint256 h[16], root, root2;
    bool mutated = true;

    merkle_root_inplace(&root, &mutated, h, 0);
    assert_true(uint256_is_zero(&root));
    assert_false(mutated);

    leaves(h, 1);
    uint256 one = h[0];
    merkle_root_inplace(&root, &mutated, h, 1);
    assert_memory_equal(root.b, one.b, 32);
    assert_false(mutated);

    /* Two leaves: sha256d(a || b). */
    leaves(h, 2);
    uint8_t cat[64];
    memcpy(cat, h[0].b, 32);
    memcpy(cat + 32, h[1].b, 32);
    uint256 want;
    sha256d(cat, 64, want.b);
    merkle_root_inplace(&root, &mutated, h, 2);
    assert_memory_equal(root.b, want.b, 32);
    assert_false(mutated);

    /* [a b c] and [a b c c] share a root; only the second is flagged. */
    leaves(h, 3);
    merkle_root_inplace(&root, &mutated, h, 3);
    assert_false(mutated);
    leaves(h, 3);
    h[3] = h[2];
    merkle_root_inplace(&root2, &mutated, h, 4);
    assert_memory_equal(root.b, root2.b, 32);
    assert_true(mutated);

    /* The same one level up: [a..f] and [a..f e f]. */
    leaves(h, 6);
    merkle_root_inplace(&root, &mutated, h, 6);
    assert_false(mutated);
    leaves(h, 6);
    h[6] = h[4];
    h[7] = h[5];
    merkle_root_inplace(&root2, &mutated, h, 8);
    assert_memory_equal(root.b, root2.b, 32);
    assert_true(mutated);

    /* Equal neighbours that are not a pair ([a b b c] pairs as (a,b), (b,c)) are no
     * mutation. */
    leaves(h, 4);
    h[2] = h[1];
    merkle_root_inplace(&root, &mutated, h, 4);
    assert_false(mutated);
    /* A NULL flag pointer is accepted. */
    leaves(h, 5);
    merkle_root_inplace(&root, NULL, h, 5);
}

static void test_merkle_mutation_block(void **state)
{
    (void)state;
    struct block b;
    block_with_txs(&b, 3);
    make_coinbase(&b.txs[0], 1);
    make_spend(&b.txs[1], 0x11, 0, COIN);
    make_spend(&b.txs[2], 0x22, 0, COIN);
    fix_merkle(&b);
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* CVE-2012-2459: duplicate the last transaction; the root does not change. */
    uint256 root_before = b.header.merkle_root;
    struct tx *txs = realloc(b.txs, 4 * sizeof(*txs));
    assert_non_null(txs);
    b.txs = txs;
    assert_true(tx_copy(&b.txs[3], &b.txs[2]));
    b.tx_count = 4;
    uint256 root;
    bool mutated = false;
    assert_true(block_merkle_root(&root, &mutated, &b));
    assert_memory_equal(root.b, root_before.b, 32);
    assert_true(mutated);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-txns-duplicate", BLOCK_CHECK_MUTATED);
    struct block_check_result res;
    assert_false(check_block(&b, NULL, CHECK_BLOCK_MERKLE, &res));
    assert_string_equal(res.debug, "duplicate transaction");
    /* Without the merkle check the duplicate is not seen here (the tx is valid alone). */
    expect_block_ok(&b, 0);

    /* A wrong root is a different failure. */
    b.tx_count = 3;
    tx_clear(&b.txs[3]);
    b.header.merkle_root.b[0] ^= 1;
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-txnmrklroot", BLOCK_CHECK_MUTATED);
    block_clear(&b);
}

/* ---- check_transaction ---- */

static void expect_tx_reason(const struct tx *tx, const char *want)
{
    const char *why = NULL;
    bool ok = check_transaction(tx, &why);
    if (!want) {
        if (!ok) fail_msg("unexpected rejection: %s", why);
        return;
    }
    assert_false(ok);
    assert_non_null(why);
    assert_string_equal(why, want);
    /* NULL reason pointer is allowed. */
    assert_false(check_transaction(tx, NULL));
}

static void test_check_transaction(void **state)
{
    (void)state;
    struct tx tx;
    make_spend(&tx, 0x33, 1, COIN);
    expect_tx_reason(&tx, NULL);

    /* vin empty / vout empty. */
    struct tx t2;
    assert_true(tx_copy(&t2, &tx));
    assert_true(tx_resize(&t2, 0, 1));
    expect_tx_reason(&t2, "bad-txns-vin-empty");
    assert_true(tx_resize(&t2, 0, 0));
    expect_tx_reason(&t2, "bad-txns-vin-empty");
    tx_clear(&t2);
    assert_true(tx_copy(&t2, &tx));
    assert_true(tx_resize(&t2, 1, 0));
    expect_tx_reason(&t2, "bad-txns-vout-empty");
    tx_clear(&t2);

    /* Oversize: the stripped size times 4 above the block weight. */
    assert_true(tx_copy(&t2, &tx));
    size_t big = MAX_BLOCK_WEIGHT / WITNESS_SCALE_FACTOR;
    uint8_t *junk = calloc(big, 1);
    assert_non_null(junk);
    assert_true(tx_set_script_pubkey(&t2.vout[0], junk, big - 100));
    expect_tx_reason(&t2, NULL);
    assert_true(tx_set_script_pubkey(&t2.vout[0], junk, big));
    expect_tx_reason(&t2, "bad-txns-oversize");
    free(junk);
    tx_clear(&t2);

    /* Values. */
    assert_true(tx_copy(&t2, &tx));
    t2.vout[0].value = -1;
    expect_tx_reason(&t2, "bad-txns-vout-negative");
    t2.vout[0].value = MAX_MONEY + 1;
    expect_tx_reason(&t2, "bad-txns-vout-toolarge");
    t2.vout[0].value = MAX_MONEY;
    expect_tx_reason(&t2, NULL);
    t2.vout[0].value = 0;
    expect_tx_reason(&t2, NULL);
    assert_true(tx_resize(&t2, 1, 2));
    t2.vout[0].value = MAX_MONEY;
    t2.vout[1].value = 1;
    expect_tx_reason(&t2, "bad-txns-txouttotal-toolarge");
    t2.vout[0].value = MAX_MONEY - 1;
    expect_tx_reason(&t2, NULL);
    t2.vout[0].value = MAX_MONEY;
    t2.vout[1].value = MAX_MONEY;
    expect_tx_reason(&t2, "bad-txns-txouttotal-toolarge");
    /* The first bad output decides: negative after a too-large total is still found
     * in order. */
    t2.vout[0].value = 5;
    t2.vout[1].value = -5;
    expect_tx_reason(&t2, "bad-txns-vout-negative");
    tx_clear(&t2);

    /* Duplicate inputs, on the pairwise path (2 inputs) and the sorting path (200). */
    assert_true(tx_copy(&t2, &tx));
    assert_true(tx_resize(&t2, 2, 1));
    t2.vin[1].prevout = t2.vin[0].prevout;
    expect_tx_reason(&t2, "bad-txns-inputs-duplicate");
    t2.vin[1].prevout.n++;
    expect_tx_reason(&t2, NULL);
    assert_true(tx_resize(&t2, 200, 1));
    for (size_t i = 0; i < 200; i++) {
        memset(t2.vin[i].prevout.hash.b, 0x44, 32);
        t2.vin[i].prevout.hash.b[0] = (uint8_t)(i * 7);
        t2.vin[i].prevout.n = (uint32_t)(i / 256);
    }
    expect_tx_reason(&t2, NULL);
    t2.vin[150].prevout = t2.vin[3].prevout;
    expect_tx_reason(&t2, "bad-txns-inputs-duplicate");
    tx_clear(&t2);

    /* Coinbase scriptSig length 2..100. */
    make_coinbase(&t2, 9);
    expect_tx_reason(&t2, NULL);
    uint8_t s[101];
    memset(s, 0x51, sizeof(s));
    assert_true(tx_set_script_sig(&t2.vin[0], s, 1));
    expect_tx_reason(&t2, "bad-cb-length");
    assert_true(tx_set_script_sig(&t2.vin[0], s, 0));
    expect_tx_reason(&t2, "bad-cb-length");
    assert_true(tx_set_script_sig(&t2.vin[0], s, 2));
    expect_tx_reason(&t2, NULL);
    assert_true(tx_set_script_sig(&t2.vin[0], s, 100));
    expect_tx_reason(&t2, NULL);
    assert_true(tx_set_script_sig(&t2.vin[0], s, 101));
    expect_tx_reason(&t2, "bad-cb-length");
    tx_clear(&t2);

    /* A null prevout outside a coinbase. */
    assert_true(tx_copy(&t2, &tx));
    assert_true(tx_resize(&t2, 2, 1));
    t2.vin[1].prevout.n = 0xffffffffu;
    memset(t2.vin[1].prevout.hash.b, 0, 32);
    expect_tx_reason(&t2, "bad-txns-prevout-null");
    /* Index 0xffffffff with a non-zero hash, or hash zero with another index, is not
     * null. */
    t2.vin[1].prevout.hash.b[5] = 1;
    expect_tx_reason(&t2, NULL);
    t2.vin[1].prevout.hash.b[5] = 0;
    t2.vin[1].prevout.n = 0;
    expect_tx_reason(&t2, NULL);
    tx_clear(&t2);

    tx_clear(&tx);
}

/* ---- sigops ---- */

static void test_sigops(void **state)
{
    (void)state;
    /* Legacy counting: CHECKSIG 1, CHECKMULTISIG 20 regardless of the OP_N before it. */
    struct tx tx;
    make_spend(&tx, 0x55, 0, COIN);
    const uint8_t spk[] = {OP_DUP, OP_CHECKSIG, OP_2, OP_CHECKMULTISIG, OP_CHECKSIGVERIFY};
    assert_true(tx_set_script_pubkey(&tx.vout[0], spk, sizeof(spk)));
    const uint8_t ss[] = {OP_CHECKSIG};
    assert_true(tx_set_script_sig(&tx.vin[0], ss, sizeof(ss)));
    assert_int_equal(tx_legacy_sigop_count(&tx), 23);

    /* P2SH: the redeem script 2-of-3 multisig counts 3 (accurately), only when the spent
     * output is P2SH and the scriptSig is push-only. */
    uint8_t redeem[1 + 3 * 34 + 2];
    size_t rl = 0;
    redeem[rl++] = OP_2;
    for (int k = 0; k < 3; k++) {
        redeem[rl++] = 33;
        memset(redeem + rl, 0x02 + k, 33);
        rl += 33;
    }
    redeem[rl++] = OP_3;
    redeem[rl++] = OP_CHECKMULTISIG;
    uint8_t sig[1 + 2 + sizeof(redeem)];
    size_t sl = 0;
    sig[sl++] = OP_0;
    sig[sl++] = OP_PUSHDATA1;
    sig[sl++] = (uint8_t)rl;
    memcpy(sig + sl, redeem, rl);
    sl += rl;
    struct tx spend;
    make_spend(&spend, 0x66, 0, COIN);
    assert_true(tx_set_script_sig(&spend.vin[0], sig, sl));

    uint8_t p2sh[23] = {OP_HASH160, 20};
    hash160(redeem, rl, p2sh + 2);
    p2sh[22] = OP_EQUAL;
    struct tx_out prev = {.value = COIN, .script_pubkey = p2sh, .script_pubkey_len = 23};
    assert_int_equal(tx_legacy_sigop_count(&spend), 0);
    assert_int_equal(tx_p2sh_sigop_count(&spend, &prev), 3);
    uint8_t notp2sh[1] = {OP_TRUE};
    struct tx_out prev2 = {.value = COIN, .script_pubkey = notp2sh, .script_pubkey_len = 1};
    assert_int_equal(tx_p2sh_sigop_count(&spend, &prev2), 0);
    /* A scriptSig that is not push-only reveals nothing. */
    sig[0] = OP_NOP;
    assert_true(tx_set_script_sig(&spend.vin[0], sig, sl));
    assert_int_equal(tx_p2sh_sigop_count(&spend, &prev), 0);
    sig[0] = OP_0;
    assert_true(tx_set_script_sig(&spend.vin[0], sig, sl));

    /* Cost: legacy and P2SH scaled by 4 (non-witness spend: no witness sigops). */
    assert_int_equal(tx_sigop_cost(&spend, &prev, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS),
                     12);
    assert_int_equal(tx_sigop_cost(&spend, &prev, 0), 0);

    /* P2WPKH: one witness sigop, not scaled. */
    uint8_t p2wpkh[22] = {OP_0, 20};
    memset(p2wpkh + 2, 0x77, 20);
    struct tx_out prev3 = {.value = COIN, .script_pubkey = p2wpkh, .script_pubkey_len = 22};
    assert_true(tx_set_script_sig(&spend.vin[0], NULL, 0));
    const uint8_t *items[2] = {(const uint8_t *)"sig", (const uint8_t *)"pubkey"};
    const size_t lens[2] = {3, 6};
    set_witness(&spend.vin[0], 2, items, lens);
    assert_int_equal(tx_sigop_cost(&spend, &prev3, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS),
                     1);

    /* A coinbase costs only its legacy sigops, and needs no spent outputs. */
    struct tx cb;
    make_coinbase(&cb, 3);
    assert_true(tx_set_script_pubkey(&cb.vout[0], spk, sizeof(spk)));
    assert_int_equal(tx_sigop_cost(&cb, NULL, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS),
                     22 * 4);
    assert_int_equal(tx_p2sh_sigop_count(&cb, NULL), 0);

    tx_clear(&cb);
    tx_clear(&spend);
    tx_clear(&tx);
}

/* ---- witness commitment ---- */

/* coinbase (nonce witness, payout, commitment) + one witness spend + one legacy spend. */
static void make_segwit_block(struct block *b)
{
    block_with_txs(b, 3);
    make_coinbase(&b->txs[0], 7);
    assert_true(tx_resize(&b->txs[0], 1, 2));
    uint8_t commit[MIN_WITNESS_COMMITMENT_SIZE] = {0};
    assert_true(tx_set_script_pubkey(&b->txs[0].vout[1], commit, sizeof(commit)));
    uint8_t nonce[32] = {0};
    set_witness_one(&b->txs[0].vin[0], nonce, 32);
    make_spend(&b->txs[1], 0x88, 0, COIN);
    assert_true(tx_set_script_sig(&b->txs[1].vin[0], NULL, 0));
    const uint8_t item[4] = {0xab, 0xcd, 0xef, 0x01};
    set_witness_one(&b->txs[1].vin[0], item, sizeof(item));
    make_spend(&b->txs[2], 0x99, 0, COIN);
    fix_commitment(b, 1);
}

static void test_witness_commitment(void **state)
{
    (void)state;
    struct block b;
    make_segwit_block(&b);
    assert_int_equal(block_witness_commitment_index(&b), 1);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    /* The witness makes the block heavier than 4 x its stripped size. */
    assert_true(block_weight(&b) > 4 * block_size(&b, false));
    assert_int_equal(block_weight(&b), 3 * block_size(&b, false) + block_size(&b, true));

    /* Round trip with witness. */
    size_t len;
    uint8_t *raw = serialize_block(&b, true, &len);
    struct block c;
    assert_true(block_from_bytes(&c, raw, len, true));
    assert_true(tx_has_witness(&c.txs[1]));
    expect_block_ok(&c, CHECK_BLOCK_ALL);
    size_t len2;
    uint8_t *raw2 = serialize_block(&c, true, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(raw, raw2, len);
    free(raw2);
    block_clear(&c);
    free(raw);
    /* The stripped form has the same merkle root but no witness: fine without a
     * commitment check, and with one the (now unmatched) commitment fails. */
    raw = serialize_block(&b, false, &len);
    assert_true(block_from_bytes(&c, raw, len, false));
    expect_block_ok(&c, CHECK_BLOCK_MERKLE);
    expect_block_reject(&c, CHECK_BLOCK_ALL, "bad-witness-nonce-size", BLOCK_CHECK_MUTATED);
    block_clear(&c);
    free(raw);

    /* The commitment check also works without the merkle check (no txids to reuse). */
    expect_block_ok(&b, CHECK_BLOCK_WITNESS_COMMITMENT);

    /* Without the commitment flag any witness is unexpected. */
    expect_block_reject(&b, CHECK_BLOCK_MERKLE, "unexpected-witness", BLOCK_CHECK_MUTATED);

    /* A changed witness item: same merkle root, commitment mismatch. */
    b.txs[1].vin[0].witness[0].data[0] ^= 1;
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-merkle-match", BLOCK_CHECK_MUTATED);
    expect_block_reject(&b, CHECK_BLOCK_WITNESS_COMMITMENT, "bad-witness-merkle-match",
                        BLOCK_CHECK_MUTATED);
    b.txs[1].vin[0].witness[0].data[0] ^= 1;
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* A changed commitment (the merkle root follows the coinbase). */
    b.txs[0].vout[1].script_pubkey[10] ^= 1;
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-merkle-match", BLOCK_CHECK_MUTATED);
    b.txs[0].vout[1].script_pubkey[10] ^= 1;
    fix_merkle(&b);
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* Another nonce of the right size: mismatch. Wrong sizes and counts: nonce-size. */
    uint8_t nonce[33] = {0};
    nonce[0] = 1;
    set_witness_one(&b.txs[0].vin[0], nonce, 32);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-merkle-match", BLOCK_CHECK_MUTATED);
    nonce[0] = 0;
    set_witness_one(&b.txs[0].vin[0], nonce, 31);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-nonce-size", BLOCK_CHECK_MUTATED);
    set_witness_one(&b.txs[0].vin[0], nonce, 33);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-nonce-size", BLOCK_CHECK_MUTATED);
    const uint8_t *two[2] = {nonce, nonce};
    const size_t two_len[2] = {32, 32};
    set_witness(&b.txs[0].vin[0], 2, two, two_len);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-nonce-size", BLOCK_CHECK_MUTATED);
    set_witness(&b.txs[0].vin[0], 0, NULL, NULL);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-nonce-size", BLOCK_CHECK_MUTATED);
    set_witness_one(&b.txs[0].vin[0], nonce, 32);
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* A non-zero nonce committed properly is fine. */
    memset(nonce, 0x5a, 32);
    set_witness_one(&b.txs[0].vin[0], nonce, 32);
    fix_commitment(&b, 1);
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* Longer commitment scripts count; the last matching output is the one used. */
    assert_true(tx_resize(&b.txs[0], 1, 3));
    uint8_t longer[45] = {0};
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[2], longer, sizeof(longer)));
    fix_commitment(&b, 2);
    assert_int_equal(block_witness_commitment_index(&b), 2);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    /* Output 1 still has the header but a stale value: ignored. Break output 2. */
    b.txs[0].vout[2].script_pubkey[20] ^= 1;
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-witness-merkle-match", BLOCK_CHECK_MUTATED);
    /* A 37-byte script with the header is not a commitment: output 1 is again. */
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[2], longer, 37));
    memcpy(b.txs[0].vout[2].script_pubkey, WITNESS_COMMITMENT_HEADER,
           WITNESS_COMMITMENT_HEADER_SIZE);
    fix_commitment(&b, 1);
    assert_int_equal(block_witness_commitment_index(&b), 1);
    expect_block_ok(&b, CHECK_BLOCK_ALL);

    /* No commitment at all while witnesses are present. */
    assert_true(tx_resize(&b.txs[0], 1, 1));
    fix_merkle(&b);
    assert_int_equal(block_witness_commitment_index(&b), -1);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "unexpected-witness", BLOCK_CHECK_MUTATED);
    /* ...and fine once every witness is gone. */
    for (size_t i = 0; i < b.tx_count; i++)
        for (size_t k = 0; k < b.txs[i].vin_count; k++) tx_in_clear_witness(&b.txs[i].vin[k]);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    block_clear(&b);

    /* Witness root: the coinbase counts as zero, others by wtxid. */
    make_segwit_block(&b);
    uint256 ids[3], root, want;
    memset(&ids[0], 0, 32);
    tx_wtxid(&b.txs[1], &ids[1]);
    tx_wtxid(&b.txs[2], &ids[2]);
    merkle_root_inplace(&want, NULL, ids, 3);
    assert_true(block_witness_merkle_root(&root, NULL, &b));
    assert_memory_equal(root.b, want.b, 32);
    block_clear(&b);
}

/* ---- the other block rules ---- */

static void test_block_rules(void **state)
{
    (void)state;
    struct block b;

    /* bad-cb-missing: first transaction not a coinbase. */
    block_with_txs(&b, 2);
    make_spend(&b.txs[0], 0x10, 0, COIN);
    make_spend(&b.txs[1], 0x20, 0, COIN);
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-cb-missing", BLOCK_CHECK_CONSENSUS);
    block_clear(&b);

    /* bad-cb-multiple. */
    block_with_txs(&b, 2);
    make_coinbase(&b.txs[0], 1);
    make_coinbase(&b.txs[1], 2);
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-cb-multiple", BLOCK_CHECK_CONSENSUS);
    block_clear(&b);

    /* A failing transaction passes its reason on and names itself in the debug text. */
    block_with_txs(&b, 2);
    make_coinbase(&b.txs[0], 1);
    make_spend(&b.txs[1], 0x20, 0, -1);
    fix_merkle(&b);
    struct block_check_result res;
    assert_false(check_block(&b, NULL, CHECK_BLOCK_MERKLE, &res));
    assert_string_equal(res.reason, "bad-txns-vout-negative");
    assert_int_equal(res.kind, BLOCK_CHECK_CONSENSUS);
    uint256 id;
    char hex[65];
    tx_txid(&b.txs[1], &id);
    uint256_to_hex(hex, &id);
    assert_non_null(strstr(res.debug, "Transaction check failed (tx hash "));
    assert_non_null(strstr(res.debug, hex));
    /* Coinbase scriptSig too short. */
    b.txs[1].vout[0].value = 1;
    assert_true(tx_set_script_sig(&b.txs[0].vin[0], (const uint8_t *)"\x01", 1));
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-cb-length", BLOCK_CHECK_CONSENSUS);
    block_clear(&b);

    /* bad-blk-sigops: 20,000 legacy sigops are the limit (x4 = 80,000). */
    block_with_txs(&b, 1);
    make_coinbase(&b.txs[0], 1);
    uint8_t *many = malloc(20001);
    assert_non_null(many);
    memset(many, OP_CHECKSIG, 20001);
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[0], many, 20000));
    fix_merkle(&b);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[0], many, 20001));
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-blk-sigops", BLOCK_CHECK_CONSENSUS);
    free(many);
    block_clear(&b);

    /* bad-blk-length: stripped size over 1,000,000 bytes (checked before the
     * transactions, so not reported as bad-txns-oversize). */
    block_with_txs(&b, 1);
    make_coinbase(&b.txs[0], 1);
    uint8_t *big = calloc(MAX_BLOCK_WEIGHT / 4, 1);
    assert_non_null(big);
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[0], big, MAX_BLOCK_WEIGHT / 4 - 200));
    fix_merkle(&b);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    assert_true(tx_set_script_pubkey(&b.txs[0].vout[0], big, MAX_BLOCK_WEIGHT / 4));
    fix_merkle(&b);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-blk-length", BLOCK_CHECK_CONSENSUS);
    free(big);
    block_clear(&b);

    /* bad-blk-weight: witness data pushes the weight over 4,000,000 while the stripped
     * size is small and the commitment is right. */
    make_segwit_block(&b);
    size_t wlen = MAX_BLOCK_WEIGHT - 3 * block_size(&b, false) - block_size(&b, true);
    uint8_t *wit = calloc(wlen, 1);
    assert_non_null(wit);
    /* Exactly at the limit (the item's length prefix grows the block a little, so aim
     * below and step up). */
    size_t item = wlen - 16;
    set_witness_one(&b.txs[2].vin[0], wit, item);
    size_t w = block_weight(&b);
    assert_true(w <= MAX_BLOCK_WEIGHT);
    item += MAX_BLOCK_WEIGHT - w;
    set_witness_one(&b.txs[2].vin[0], wit, item);
    assert_int_equal(block_weight(&b), MAX_BLOCK_WEIGHT);
    fix_commitment(&b, 1);
    expect_block_ok(&b, CHECK_BLOCK_ALL);
    set_witness_one(&b.txs[2].vin[0], wit, item + 1);
    fix_commitment(&b, 1);
    assert_int_equal(block_weight(&b), MAX_BLOCK_WEIGHT + 1);
    expect_block_reject(&b, CHECK_BLOCK_ALL, "bad-blk-weight", BLOCK_CHECK_CONSENSUS);
    free(wit);
    block_clear(&b);
}

static void test_block_pow(void **state)
{
    (void)state;
    struct raw_block recs[300];
    size_t count;
    uint8_t *file = load_mainnet(recs, 300, &count);
    struct block b;
    assert_true(block_from_bytes(&b, recs[0].data, recs[0].len, true));
    uint256 limit = hash_from_hex(BTC_POW_LIMIT);
    struct block_check_result res;
    assert_true(check_block(&b, &limit, CHECK_BLOCK_ALL, &res));

    /* Another nonce misses the target (by 2^-32 odds it would not). */
    b.header.nonce++;
    assert_false(check_block(&b, &limit, CHECK_BLOCK_ALL, &res));
    assert_string_equal(res.reason, "high-hash");
    assert_int_equal(res.kind, BLOCK_CHECK_INVALID_HEADER);
    assert_false(check_block_header(&b.header, &limit, &res));
    assert_string_equal(res.reason, "high-hash");
    /* Without the PoW flag the rest still passes. */
    assert_true(
        check_block(&b, &limit, CHECK_BLOCK_MERKLE | CHECK_BLOCK_WITNESS_COMMITMENT, &res));
    b.header.nonce--;

    /* A target above the chain's limit fails even though the hash meets it. */
    uint256 h, small_limit;
    block_hash(&b, &h);
    arith256 a;
    arith256_set_compact(&a, 0x1c00ffff, NULL, NULL);
    arith256_to_uint256(&small_limit, &a);
    assert_false(check_proof_of_work(&h, b.header.bits, &small_limit));
    /* Negative, zero and overflowing bits never pass. */
    uint256 max;
    memset(max.b, 0xff, 32);
    uint256 zero_hash;
    memset(zero_hash.b, 0, 32);
    assert_true(check_proof_of_work(&zero_hash, 0x1d00ffff, &max));
    assert_false(check_proof_of_work(&zero_hash, 0x1d80ffff, &max));
    assert_false(check_proof_of_work(&zero_hash, 0x1d000000, &max));
    assert_false(check_proof_of_work(&zero_hash, 0, &max));
    assert_false(check_proof_of_work(&zero_hash, 0xff123456, &max));
    /* The hash is compared as a little-endian number: a top byte set is huge. */
    uint256 high = zero_hash;
    high.b[31] = 1;
    assert_false(check_proof_of_work(&high, 0x1d00ffff, &max));
    uint256 low = zero_hash;
    low.b[0] = 0xff;
    assert_true(check_proof_of_work(&low, 0x1d00ffff, &max));
    /* Exactly the target passes, one more fails. */
    arith256 t;
    arith256_set_compact(&t, 0x1d00ffff, NULL, NULL);
    uint256 eq;
    arith256_to_uint256(&eq, &t);
    assert_true(check_proof_of_work(&eq, 0x1d00ffff, &max));
    arith256 one, t1;
    arith256_set_u64(&one, 1);
    arith256_add(&t1, &t, &one);
    arith256_to_uint256(&eq, &t1);
    assert_false(check_proof_of_work(&eq, 0x1d00ffff, &max));
    block_clear(&b);
    free(file);
}

/* ---- compact bits and the 256-bit helper (Core's arith_uint256 cases) ---- */

struct compact_case {
    uint32_t in;
    const char *value; /* 64 hex digits, most significant first */
    uint32_t out;      /* GetCompact(negative) */
    bool negative, overflow;
};

static void test_compact(void **state)
{
    (void)state;
    static const char Z[] = "0000000000000000000000000000000000000000000000000000000000000000";
    const struct compact_case cases[] = {
        {0x00000000, Z, 0, false, false},
        {0x00123456, Z, 0, false, false},
        {0x01003456, Z, 0, false, false},
        {0x02000056, Z, 0, false, false},
        {0x03000000, Z, 0, false, false},
        {0x04000000, Z, 0, false, false},
        {0x00923456, Z, 0, false, false},
        {0x01803456, Z, 0, false, false},
        {0x02800056, Z, 0, false, false},
        {0x03800000, Z, 0, false, false},
        {0x04800000, Z, 0, false, false},
        {0x01123456, "0000000000000000000000000000000000000000000000000000000000000012",
         0x01120000, false, false},
        {0x01fedcba, "000000000000000000000000000000000000000000000000000000000000007e",
         0x01fe0000, true, false},
        {0x02123456, "0000000000000000000000000000000000000000000000000000000000001234",
         0x02123400, false, false},
        {0x03123456, "0000000000000000000000000000000000000000000000000000000000123456",
         0x03123456, false, false},
        {0x04123456, "0000000000000000000000000000000000000000000000000000000012345600",
         0x04123456, false, false},
        {0x04923456, "0000000000000000000000000000000000000000000000000000000012345600",
         0x04923456, true, false},
        {0x05009234, "0000000000000000000000000000000000000000000000000000000092340000",
         0x05009234, false, false},
        {0x20123456, "1234560000000000000000000000000000000000000000000000000000000000",
         0x20123456, false, false},
        {0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000",
         0x1d00ffff, false, false},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct compact_case *c = &cases[i];
        arith256 a;
        bool neg = !c->negative, ovf = !c->overflow;
        arith256_set_compact(&a, c->in, &neg, &ovf);
        char hex[65];
        arith256_to_hex(hex, &a);
        if (strcmp(hex, c->value) != 0) fail_msg("%08x: %s != %s", c->in, hex, c->value);
        assert_int_equal(neg, c->negative);
        assert_int_equal(ovf, c->overflow);
        assert_int_equal(arith256_get_compact(&a, neg), c->out);
        n++;
    }
    /* 0x80 needs a leading zero byte so bit 23 stays the sign. */
    arith256 a;
    arith256_set_u64(&a, 0x80);
    assert_int_equal(arith256_get_compact(&a, false), 0x02008000);
    /* A negative zero is just zero. */
    arith256_set_u64(&a, 0);
    assert_int_equal(arith256_get_compact(&a, true), 0);

    /* Overflow: the value does not fit in 256 bits. */
    const uint32_t overflows[] = {0xff123456, 0x23000001, 0x22000100, 0x21010000};
    for (size_t i = 0; i < sizeof(overflows) / sizeof(overflows[0]); i++) {
        bool neg, ovf;
        arith256_set_compact(&a, overflows[i], &neg, &ovf);
        if (!ovf) fail_msg("%08x should overflow", overflows[i]);
        n++;
    }
    /* ...and the largest that still fit. */
    const uint32_t fits[] = {0x220000ff, 0x2100ffff, 0x207fffff, 0x22000001};
    for (size_t i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
        bool neg, ovf;
        arith256_set_compact(&a, fits[i], &neg, &ovf);
        if (ovf) fail_msg("%08x should not overflow", fits[i]);
        n++;
    }
    /* A zero mantissa never overflows or is negative. */
    bool neg, ovf;
    arith256_set_compact(&a, 0xff800000, &neg, &ovf);
    assert_false(neg);
    assert_false(ovf);
    assert_true(arith256_is_zero(&a));
    test_report_count("compact target cases", n);
}

static void test_arith_and_work(void **state)
{
    (void)state;
    arith256 a, b, c, d;
    char hex[65];

    /* Difficulty-1 work: 2^256 / (0xffff * 2^208 + 1) = 0x100010001. */
    pow_block_work(&a, 0x1d00ffff);
    arith256_set_u64(&b, 0x100010001ull);
    assert_int_equal(arith256_cmp(&a, &b), 0);
    /* Regtest's easiest target 0x207fffff: 2 hashes per block. */
    pow_block_work(&a, 0x207fffff);
    arith256_set_u64(&b, 2);
    assert_int_equal(arith256_cmp(&a, &b), 0);
    /* Invalid bits carry no work. */
    pow_block_work(&a, 0x04923456);
    assert_true(arith256_is_zero(&a));
    pow_block_work(&a, 0xff123456);
    assert_true(arith256_is_zero(&a));
    pow_block_work(&a, 0);
    assert_true(arith256_is_zero(&a));
    /* Target 1 (bits 0x01010000): 2^255. */
    pow_block_work(&a, 0x01010000);
    arith256_set_u64(&b, 1);
    arith256_shl(&b, &b, 255);
    assert_int_equal(arith256_cmp(&a, &b), 0);
    assert_int_equal(arith256_bits(&a), 256);

    /* Division, shifts and carries across limbs. */
    arith256_set_u64(&a, 0xffffffffffffffffull);
    arith256_shl(&a, &a, 100);
    arith256_to_hex(hex, &a);
    assert_string_equal(hex,
                        "00000000000000000000000ffffffffffffffff0000000000000000000000000");
    arith256_shr(&b, &a, 100);
    arith256_set_u64(&c, 0xffffffffffffffffull);
    assert_int_equal(arith256_cmp(&b, &c), 0);
    arith256_set_u64(&c, 1000);
    assert_true(arith256_div(&d, &a, &c));
    arith256_mul_u32(&b, &d, 1000);
    arith256_sub(&c, &a, &b); /* remainder < 1000 */
    arith256_set_u64(&b, 1000);
    assert_true(arith256_cmp(&c, &b) < 0);
    arith256_set_u64(&c, 0);
    assert_false(arith256_div(&d, &a, &c));
    arith256_set_u64(&c, 7);
    arith256_set_u64(&b, 3);
    assert_true(arith256_div(&d, &b, &c)); /* 3 / 7 */
    assert_true(arith256_is_zero(&d));
    assert_true(arith256_div(&d, &c, &c));
    arith256_set_u64(&b, 1);
    assert_int_equal(arith256_cmp(&d, &b), 0);
    /* Wrap-around. */
    arith256_set_u64(&a, 0);
    arith256_sub(&a, &a, &b);
    arith256_to_hex(hex, &a);
    assert_string_equal(hex,
                        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    arith256_add(&a, &a, &b);
    assert_true(arith256_is_zero(&a));
    arith256_shl(&a, &b, 256);
    assert_true(arith256_is_zero(&a));
    arith256_shr(&a, &b, 300);
    assert_true(arith256_is_zero(&a));
    /* uint256 round trip keeps the little-endian reading. */
    uint256 u = hash_from_hex(BTC_POW_LIMIT), u2;
    arith256_from_uint256(&a, &u);
    arith256_to_uint256(&u2, &a);
    assert_memory_equal(u.b, u2.b, 32);
    assert_int_equal(arith256_bits(&a), 224);
    assert_int_equal(arith256_get_compact(&a, false), 0x1d00ffff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_mainnet_blocks),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_merkle_tree),
        cmocka_unit_test(test_merkle_mutation_block),
        cmocka_unit_test(test_check_transaction),
        cmocka_unit_test(test_sigops),
        cmocka_unit_test(test_witness_commitment),
        cmocka_unit_test(test_block_rules),
        cmocka_unit_test(test_block_pow),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_arith_and_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
