/* Signature hash tests: Bitcoin Core's sighash.json (legacy hashes), the BIP341 wallet
 * vectors (Taproot output construction, key-path signature hashes and signatures made
 * with libsecp256k1), the Taproot tree helpers, and the test script-notation parser
 * shared with the other vector tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"
#include "consensus/tx_check.h"
#include "script_asm.h"
#include "test_util.h"
#include "util/hex.h"

static void expect_hex(const uint8_t *got, size_t len, const char *want, const char *what)
{
    char buf[1025];
    assert_true(len <= 512);
    hex_encode(buf, got, len);
    if (strcmp(buf, want) != 0) fail_msg("%s: got %s want %s", what, buf, want);
}

/* ---- Script notation parser ---- */

static void expect_asm(const char *text, const char *want_hex)
{
    uint8_t *s;
    size_t n;
    if (!script_asm_parse(text, &s, &n)) fail_msg("asm rejected: %s", text);
    assert_non_null(s);
    expect_hex(s, n, want_hex, text);
    free(s);
}

static void expect_asm_bad(const char *text)
{
    uint8_t *s = (uint8_t *)"x";
    size_t n = 7;
    if (script_asm_parse(text, &s, &n)) fail_msg("asm accepted: %s", text);
    assert_null(s);
}

static void test_script_asm(void **state)
{
    (void)state;
    expect_asm("", "");
    expect_asm(" \t\n ", "");
    expect_asm("0 -1 1 16", "004f5160");
    expect_asm("-0", "00");
    expect_asm("17 -17 127 128 255 -128 -255 256",
               "01110191017f02800002ff0002808002ff80020001");
    expect_asm("4294967295 -4294967295", "05ffffffff0005ffffffff80");
    expect_asm("DUP OP_HASH160 0x14 0x0102030405060708090a0b0c0d0e0f1011121314 EQUALVERIFY "
               "OP_CHECKSIG",
               "76a9140102030405060708090a0b0c0d0e0f101112131488ac");
    expect_asm("'abc' ''", "0361626300");
    expect_asm("RESERVED OP_RESERVED NOP OP_NOP1 CHECKLOCKTIMEVERIFY CHECKSEQUENCEVERIFY "
               "NOP10 CHECKSIGADD OP_RESERVED1 VER",
               "505061b0b1b2b9ba8962");
    expect_asm("0xAbCd", "abcd");
    /* A 'string' of 75, 76 and 256 bytes takes a direct push, PUSHDATA1 and PUSHDATA2. */
    char big[300];
    char want[700];
    static const size_t lens[] = {75, 76, 255, 256};
    static const char *const prefixes[] = {"4b", "4c4c", "4cff", "4d0001"};
    for (size_t k = 0; k < 4; k++) {
        size_t len = lens[k];
        big[0] = '\'';
        memset(big + 1, 'a', len);
        big[len + 1] = '\'';
        big[len + 2] = 0;
        strcpy(want, prefixes[k]);
        for (size_t i = 0; i < len; i++) strcat(want, "61");
        expect_asm(big, want);
    }
    expect_asm_bad("4294967296");
    expect_asm_bad("-4294967296");
    expect_asm_bad("99999999999999999999999");
    expect_asm_bad("NOP2"); /* Core names 0xb1 only CHECKLOCKTIMEVERIFY */
    expect_asm_bad("OP_0"); /* push opcodes are not names */
    expect_asm_bad("TRUE");
    expect_asm_bad("PUSHDATA1");
    expect_asm_bad("1NEGATE");
    expect_asm_bad("OP_UNKNOWN");
    expect_asm_bad("INVALIDOPCODE");
    expect_asm_bad("0x");
    expect_asm_bad("0x1");
    expect_asm_bad("0xzz");
    expect_asm_bad("'");
    expect_asm_bad("-");
    expect_asm_bad("1 FOO 2");
    expect_asm_bad("dup");
}

/* ---- sighash.json ---- */

static void test_sighash_json(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bitcoin-core/sighash.json"));
    size_t count = 0, idx;
    json_t *row;
    json_array_foreach(root, idx, row)
    {
        if (json_array_size(row) == 1) continue; /* header comment */
        assert_int_equal(json_array_size(row), 5);
        const char *raw_hex = json_string_value(json_array_get(row, 0));
        const char *script_hex = json_string_value(json_array_get(row, 1));
        json_int_t in_index = json_integer_value(json_array_get(row, 2));
        json_int_t hash_type = json_integer_value(json_array_get(row, 3));
        const char *want = json_string_value(json_array_get(row, 4));
        assert_non_null(raw_hex);
        assert_non_null(script_hex);
        assert_non_null(want);

        size_t raw_len, script_len;
        uint8_t *raw = test_unhex(raw_hex, &raw_len);
        uint8_t *script = test_unhex(script_hex, &script_len);
        struct tx tx;
        tx_init(&tx);
        if (!tx_from_bytes(&tx, raw, raw_len, true)) fail_msg("case %zu: tx parse", idx);
        const char *reason = NULL;
        if (!check_transaction(&tx, &reason))
            fail_msg("case %zu: check_transaction: %s", idx, reason ? reason : "?");

        uint256 got, expected;
        assert_true(uint256_from_hex(&expected, want));
        sighash_legacy(&got, script, script_len, &tx, (size_t)in_index, (int32_t)hash_type);
        if (uint256_cmp(&got, &expected) != 0) {
            char g[65];
            uint256_to_hex(g, &got);
            fail_msg("case %zu: sighash %s want %s", idx, g, want);
        }
        count++;
        tx_clear(&tx);
        free(raw);
        free(script);
    }
    json_decref(root);
    assert_int_equal(count, 500);
    test_report_count("sighash.json", count);
}

/* The legacy algorithm's edge cases: the hash of 1 and code separator removal. */
static void test_sighash_legacy_edges(void **state)
{
    (void)state;
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_resize(&tx, 2, 1));
    tx.version = 1;
    uint256 h, one = {{1}};
    const uint8_t script[] = {OP_1, OP_CODESEPARATOR, OP_2, OP_CODESEPARATOR};
    sighash_legacy(&h, script, sizeof(script), &tx, 2, SIGHASH_ALL);
    assert_memory_equal(h.b, one.b, 32);
    sighash_legacy(&h, script, sizeof(script), &tx, 1, SIGHASH_SINGLE);
    assert_memory_equal(h.b, one.b, 32);
    sighash_legacy(&h, script, sizeof(script), &tx, 0, SIGHASH_SINGLE);
    assert_memory_not_equal(h.b, one.b, 32);

    /* Separators are dropped: the same as hashing the script without them. */
    const uint8_t stripped[] = {OP_1, OP_2};
    uint256 h2;
    sighash_legacy(&h, script, sizeof(script), &tx, 0, SIGHASH_ALL);
    sighash_legacy(&h2, stripped, sizeof(stripped), &tx, 0, SIGHASH_ALL);
    assert_memory_equal(h.b, h2.b, 32);
    /* ...but only up to a malformed push, after which bytes are kept verbatim. */
    const uint8_t bad[] = {OP_CODESEPARATOR, OP_PUSHDATA1, 5, OP_CODESEPARATOR};
    const uint8_t bad_stripped[] = {OP_PUSHDATA1, 5, OP_CODESEPARATOR};
    sighash_legacy(&h, bad, sizeof(bad), &tx, 0, SIGHASH_ALL);
    sighash_legacy(&h2, bad_stripped, sizeof(bad_stripped), &tx, 0, SIGHASH_ALL);
    assert_memory_equal(h.b, h2.b, 32);
    tx_clear(&tx);
}

/* ---- BIP341 wallet vectors ---- */

static void hex32(uint8_t out[32], const char *hex)
{
    size_t n;
    assert_non_null(hex);
    assert_true(hex_decode(out, 32, &n, hex, strlen(hex)));
    assert_int_equal(n, 32);
}

#define MAX_LEAVES 16
#define MAX_DEPTH  16

struct leaf_info {
    int id;
    uint8_t version;
    uint256 hash;
    uint256 path[MAX_DEPTH];
    size_t depth;
};

struct tree_walk {
    struct leaf_info leaves[MAX_LEAVES];
    size_t count;
};

/* Hash of a script tree node: a leaf object or a two-element array. Records each leaf
 * and, on the way back up, the sibling hashes that form its control block path. */
static void tree_hash(struct tree_walk *w, json_t *node, uint256 *out)
{
    if (json_is_object(node)) {
        assert_true(w->count < MAX_LEAVES);
        struct leaf_info *l = &w->leaves[w->count++];
        size_t len;
        uint8_t *script = test_unhex(json_string_value(json_object_get(node, "script")), &len);
        l->id = (int)json_integer_value(json_object_get(node, "id"));
        l->version = (uint8_t)json_integer_value(json_object_get(node, "leafVersion"));
        l->depth = 0;
        taproot_leaf_hash(&l->hash, l->version, script, len);
        free(script);
        *out = l->hash;
        return;
    }
    assert_true(json_is_array(node));
    assert_int_equal(json_array_size(node), 2);
    size_t first = w->count;
    uint256 left, right;
    tree_hash(w, json_array_get(node, 0), &left);
    size_t mid = w->count;
    tree_hash(w, json_array_get(node, 1), &right);
    for (size_t i = first; i < w->count; i++) {
        struct leaf_info *l = &w->leaves[i];
        assert_true(l->depth < MAX_DEPTH);
        l->path[l->depth++] = i < mid ? right : left;
    }
    taproot_branch_hash(out, &left, &right);
}

static void test_bip341_script_pubkey(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bips/bip341-wallet-vectors.json"));
    json_t *cases = json_object_get(root, "scriptPubKey");
    assert_true(json_is_array(cases));
    const secp256k1_context *ctx = secp256k1_context_static;
    size_t count = 0, idx;
    json_t *c;
    json_array_foreach(cases, idx, c)
    {
        json_t *given = json_object_get(c, "given");
        json_t *inter = json_object_get(c, "intermediary");
        json_t *expected = json_object_get(c, "expected");
        uint8_t internal[32];
        hex32(internal, json_string_value(json_object_get(given, "internalPubkey")));

        struct tree_walk walk = {.count = 0};
        json_t *tree = json_object_get(given, "scriptTree");
        uint256 root_hash;
        bool have_root = !json_is_null(tree);
        if (have_root) {
            tree_hash(&walk, tree, &root_hash);
            json_t *leaf_hashes = json_object_get(inter, "leafHashes");
            assert_int_equal(json_array_size(leaf_hashes), walk.count);
            for (size_t i = 0; i < walk.count; i++) {
                /* leafHashes is indexed by leaf id */
                size_t id = (size_t)walk.leaves[i].id;
                expect_hex(walk.leaves[i].hash.b, 32,
                           json_string_value(json_array_get(leaf_hashes, id)), "leaf hash");
            }
            expect_hex(root_hash.b, 32, json_string_value(json_object_get(inter, "merkleRoot")),
                       "merkle root");
        } else {
            assert_true(json_is_null(json_object_get(inter, "merkleRoot")));
        }

        uint256 tweak;
        taproot_tweak_hash(&tweak, internal, have_root ? &root_hash : NULL);
        expect_hex(tweak.b, 32, json_string_value(json_object_get(inter, "tweak")), "tweak");

        secp256k1_xonly_pubkey xonly, out_xonly;
        secp256k1_pubkey tweaked;
        int parity;
        uint8_t out_key[32];
        assert_true(secp256k1_xonly_pubkey_parse(ctx, &xonly, internal));
        assert_true(secp256k1_xonly_pubkey_tweak_add(ctx, &tweaked, &xonly, tweak.b));
        assert_true(secp256k1_xonly_pubkey_from_pubkey(ctx, &out_xonly, &parity, &tweaked));
        assert_true(secp256k1_xonly_pubkey_serialize(ctx, out_key, &out_xonly));
        expect_hex(out_key, 32, json_string_value(json_object_get(inter, "tweakedPubkey")),
                   "tweaked key");

        uint8_t spk[34] = {OP_1, 32};
        memcpy(spk + 2, out_key, 32);
        expect_hex(spk, 34, json_string_value(json_object_get(expected, "scriptPubKey")),
                   "scriptPubKey");
        int version;
        const uint8_t *prog;
        size_t prog_len;
        assert_true(script_is_witness_program(spk, 34, &version, &prog, &prog_len));
        assert_int_equal(version, 1);

        /* Control blocks, listed by leaf id; each must also lead back to the root. */
        json_t *blocks = json_object_get(expected, "scriptPathControlBlocks");
        assert_int_equal(json_array_size(blocks), walk.count);
        for (size_t i = 0; i < walk.count; i++) {
            const struct leaf_info *l = &walk.leaves[i];
            uint8_t cb[TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * MAX_DEPTH];
            cb[0] = (uint8_t)(l->version | (parity ? 1 : 0));
            memcpy(cb + 1, internal, 32);
            for (size_t d = 0; d < l->depth; d++) memcpy(cb + 33 + 32 * d, l->path[d].b, 32);
            size_t cb_len = 33 + 32 * l->depth;
            expect_hex(cb, cb_len, json_string_value(json_array_get(blocks, (size_t)l->id)),
                       "control block");
            uint256 from_cb;
            taproot_merkle_root(&from_cb, cb, cb_len, &l->hash);
            assert_memory_equal(from_cb.b, root_hash.b, 32);
        }
        count++;
    }
    json_decref(root);
    assert_int_equal(count, 7);
    test_report_count("bip341 scriptPubKey", count);
}

static void test_bip341_key_path(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bips/bip341-wallet-vectors.json"));
    json_t *cases = json_object_get(root, "keyPathSpending");
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    assert_non_null(ctx);
    size_t count = 0, idx;
    json_t *c;
    json_array_foreach(cases, idx, c)
    {
        json_t *given = json_object_get(c, "given");
        size_t raw_len;
        uint8_t *raw =
            test_unhex(json_string_value(json_object_get(given, "rawUnsignedTx")), &raw_len);
        struct tx tx;
        tx_init(&tx);
        assert_true(tx_from_bytes(&tx, raw, raw_len, true));
        free(raw);

        json_t *utxos = json_object_get(given, "utxosSpent");
        assert_int_equal(json_array_size(utxos), tx.vin_count);
        struct tx_out *spent = calloc(tx.vin_count, sizeof(*spent));
        assert_non_null(spent);
        for (size_t i = 0; i < tx.vin_count; i++) {
            json_t *u = json_array_get(utxos, i);
            spent[i].value = json_integer_value(json_object_get(u, "amountSats"));
            spent[i].script_pubkey =
                test_unhex(json_string_value(json_object_get(u, "scriptPubKey")),
                           &spent[i].script_pubkey_len);
        }
        struct sighash_precomputed pre;
        sighash_precompute(&pre, &tx, spent);
        assert_true(pre.bip341_ready);
        json_t *inter = json_object_get(c, "intermediary");
        expect_hex(pre.spent_amounts_single.b, 32,
                   json_string_value(json_object_get(inter, "hashAmounts")), "hashAmounts");
        expect_hex(pre.outputs_single.b, 32,
                   json_string_value(json_object_get(inter, "hashOutputs")), "hashOutputs");
        expect_hex(pre.prevouts_single.b, 32,
                   json_string_value(json_object_get(inter, "hashPrevouts")), "hashPrevouts");
        expect_hex(pre.spent_scripts_single.b, 32,
                   json_string_value(json_object_get(inter, "hashScriptPubkeys")),
                   "hashScriptPubkeys");
        expect_hex(pre.sequences_single.b, 32,
                   json_string_value(json_object_get(inter, "hashSequences")), "hashSequences");

        size_t j;
        json_t *in;
        json_array_foreach(json_object_get(c, "inputSpending"), j, in)
        {
            json_t *ig = json_object_get(in, "given");
            json_t *ii = json_object_get(in, "intermediary");
            size_t in_index = (size_t)json_integer_value(json_object_get(ig, "txinIndex"));
            uint8_t hash_type = (uint8_t)json_integer_value(json_object_get(ig, "hashType"));
            uint8_t priv[32];
            hex32(priv, json_string_value(json_object_get(ig, "internalPrivkey")));
            json_t *mr = json_object_get(ig, "merkleRoot");
            uint256 merkle_root;
            if (!json_is_null(mr)) hex32(merkle_root.b, json_string_value(mr));

            secp256k1_keypair kp;
            secp256k1_xonly_pubkey xonly;
            uint8_t internal[32], tweaked_priv[32];
            assert_true(secp256k1_keypair_create(ctx, &kp, priv));
            assert_true(secp256k1_keypair_xonly_pub(ctx, &xonly, NULL, &kp));
            assert_true(secp256k1_xonly_pubkey_serialize(ctx, internal, &xonly));
            expect_hex(internal, 32, json_string_value(json_object_get(ii, "internalPubkey")),
                       "internal pubkey");
            uint256 tweak;
            taproot_tweak_hash(&tweak, internal, json_is_null(mr) ? NULL : &merkle_root);
            expect_hex(tweak.b, 32, json_string_value(json_object_get(ii, "tweak")), "tweak");
            assert_true(secp256k1_keypair_xonly_tweak_add(ctx, &kp, tweak.b));
            assert_true(secp256k1_keypair_sec(ctx, tweaked_priv, &kp));
            expect_hex(tweaked_priv, 32,
                       json_string_value(json_object_get(ii, "tweakedPrivkey")),
                       "tweaked privkey");

            struct script_exec_data exec;
            memset(&exec, 0, sizeof(exec));
            exec.annex_init = true;
            exec.annex_present = false;
            uint256 sighash;
            assert_true(sighash_taproot(&sighash, &tx, in_index, hash_type, SIGVERSION_TAPROOT,
                                        &exec, &pre));
            expect_hex(sighash.b, 32, json_string_value(json_object_get(ii, "sigHash")),
                       "sigHash");
            /* The message is the preimage of the tagged hash. */
            size_t msg_len;
            uint8_t *msg =
                test_unhex(json_string_value(json_object_get(ii, "sigMsg")), &msg_len);
            uint8_t check[32];
            tagged_hash("TapSighash", msg, msg_len, check);
            assert_memory_equal(check, sighash.b, 32);
            free(msg);

            /* BIP341's reference signs with all-zero auxiliary randomness. */
            uint8_t sig[65], aux[32] = {0};
            assert_true(secp256k1_schnorrsig_sign32(ctx, sig, sighash.b, &kp, aux));
            size_t sig_len = 64;
            if (hash_type != SIGHASH_DEFAULT) sig[sig_len++] = hash_type;
            json_t *wit = json_object_get(json_object_get(in, "expected"), "witness");
            assert_int_equal(json_array_size(wit), 1);
            expect_hex(sig, sig_len, json_string_value(json_array_get(wit, 0)), "witness");

            /* The key spent must be the one the UTXO commits to. */
            secp256k1_xonly_pubkey out_key;
            uint8_t out_ser[32];
            assert_true(secp256k1_keypair_xonly_pub(ctx, &out_key, NULL, &kp));
            assert_true(secp256k1_xonly_pubkey_serialize(ctx, out_ser, &out_key));
            assert_int_equal(spent[in_index].script_pubkey_len, 34);
            assert_memory_equal(spent[in_index].script_pubkey + 2, out_ser, 32);
            count++;
        }

        /* Undefined hash types and SINGLE without an output have no hash. */
        struct script_exec_data exec;
        memset(&exec, 0, sizeof(exec));
        exec.annex_init = true;
        uint256 h;
        assert_false(sighash_taproot(&h, &tx, 0, 0x04, SIGVERSION_TAPROOT, &exec, &pre));
        assert_false(sighash_taproot(&h, &tx, 0, 0x80, SIGVERSION_TAPROOT, &exec, &pre));
        assert_false(sighash_taproot(&h, &tx, 0, 0x84, SIGVERSION_TAPROOT, &exec, &pre));
        assert_true(tx.vout_count < tx.vin_count);
        assert_false(sighash_taproot(&h, &tx, tx.vout_count, SIGHASH_SINGLE, SIGVERSION_TAPROOT,
                                     &exec, &pre));
        assert_true(sighash_taproot(&h, &tx, tx.vout_count, SIGHASH_ALL, SIGVERSION_TAPROOT,
                                    &exec, &pre));
        /* Without the spent outputs there is no BIP341 data. */
        struct sighash_precomputed no_spent;
        sighash_precompute(&no_spent, &tx, NULL);
        assert_false(no_spent.bip341_ready);
        assert_true(no_spent.bip143_ready);
        assert_false(
            sighash_taproot(&h, &tx, 0, SIGHASH_ALL, SIGVERSION_TAPROOT, &exec, &no_spent));

        for (size_t i = 0; i < tx.vin_count; i++) free(spent[i].script_pubkey);
        free(spent);
        tx_clear(&tx);
    }
    secp256k1_context_destroy(ctx);
    json_decref(root);
    assert_int_equal(count, 7);
    test_report_count("bip341 keyPathSpending inputs", count);
}

/* Tapscript hashes commit to the leaf, key version and code separator position, and
 * an annex changes the spend type. */
static void test_taproot_ext(void **state)
{
    (void)state;
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_resize(&tx, 1, 1));
    tx.version = 2;
    struct tx_out spent = {.value = 1000, .script_pubkey = NULL, .script_pubkey_len = 0};
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &tx, &spent);

    struct script_exec_data e;
    memset(&e, 0, sizeof(e));
    e.annex_init = true;
    uint256 key, script1, script2, script3, annexed;
    assert_true(sighash_taproot(&key, &tx, 0, 0, SIGVERSION_TAPROOT, &e, &pre));
    /* Tapscript needs the leaf hash. */
    assert_false(sighash_taproot(&script1, &tx, 0, 0, SIGVERSION_TAPSCRIPT, &e, &pre));
    e.tapleaf_hash_init = true;
    taproot_leaf_hash(&e.tapleaf_hash, TAPROOT_LEAF_TAPSCRIPT, (const uint8_t *)"\x51", 1);
    e.codeseparator_pos_init = true;
    e.codeseparator_pos = 0xffffffffu;
    assert_true(sighash_taproot(&script1, &tx, 0, 0, SIGVERSION_TAPSCRIPT, &e, &pre));
    e.codeseparator_pos = 3;
    assert_true(sighash_taproot(&script2, &tx, 0, 0, SIGVERSION_TAPSCRIPT, &e, &pre));
    e.codeseparator_pos = 0xffffffffu;
    e.tapleaf_hash.b[0] ^= 1;
    assert_true(sighash_taproot(&script3, &tx, 0, 0, SIGVERSION_TAPSCRIPT, &e, &pre));
    e.annex_present = true;
    assert_true(sighash_taproot(&annexed, &tx, 0, 0, SIGVERSION_TAPSCRIPT, &e, &pre));
    assert_memory_not_equal(key.b, script1.b, 32);
    assert_memory_not_equal(script1.b, script2.b, 32);
    assert_memory_not_equal(script1.b, script3.b, 32);
    assert_memory_not_equal(script3.b, annexed.b, 32);
    /* Legacy and witness v0 versions are not Taproot. */
    assert_false(sighash_taproot(&key, &tx, 0, 0, SIGVERSION_BASE, &e, &pre));
    assert_false(sighash_taproot(&key, &tx, 1, 0, SIGVERSION_TAPROOT, &e, &pre));
    tx_clear(&tx);
}

/* BIP143's native P2WPKH example (second input). */
static void test_bip143_p2wpkh(void **state)
{
    (void)state;
    static const char *unsigned_tx =
        "0100000002fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000"
        "00eeffffffef51e1b804cc89d182d279655c3aa89e815b1b309fe287d9b2b55d57b90ec68a01000000"
        "00ffffffff02202cb206000000001976a9148280b37df378db99f66f85c95a783a76ac7a6d5988ac90"
        "93510d000000001976a9143bde42dbee7e4dbe6a21b2d50ce2f0167faa815988ac11000000";
    size_t len;
    uint8_t *raw = test_unhex(unsigned_tx, &len);
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_from_bytes(&tx, raw, len, true));
    free(raw);
    size_t code_len;
    uint8_t *code = test_unhex("76a9141d0f172a0ecb48aee1be1f2687d2963ae33f71a188ac", &code_len);
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &tx, NULL);
    expect_hex(pre.hash_prevouts.b, 32,
               "96b827c8483d4e9b96712b6713a7b68d6e8003a781feba36c31143470b4efd37",
               "hashPrevouts");
    expect_hex(pre.hash_sequence.b, 32,
               "52b0a642eea2fb7ae638c36f6252b6750293dbe574a806984b8e4d8548339a3b",
               "hashSequence");
    expect_hex(pre.hash_outputs.b, 32,
               "863ef3e1a92afbfdb97f31ad0fc7683ee943e9abcf2501590ff8f6551f47e5e5",
               "hashOutputs");
    uint256 h, h2;
    sighash_witness_v0(&h, code, code_len, &tx, 1, SIGHASH_ALL, 600000000, &pre);
    expect_hex(h.b, 32, "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670",
               "sighash");
    sighash_witness_v0(&h2, code, code_len, &tx, 1, SIGHASH_ALL, 600000000, NULL);
    assert_memory_equal(h.b, h2.b, 32);
    free(code);
    tx_clear(&tx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_asm),
        cmocka_unit_test(test_sighash_json),
        cmocka_unit_test(test_sighash_legacy_edges),
        cmocka_unit_test(test_bip341_script_pubkey),
        cmocka_unit_test(test_bip341_key_path),
        cmocka_unit_test(test_taproot_ext),
        cmocka_unit_test(test_bip143_p2wpkh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
