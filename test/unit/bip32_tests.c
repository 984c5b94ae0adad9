/* BIP32: the four test vectors of bips/bip32-vectors.json (every path, xprv and xpub,
 * under the btc-main profile's version bytes), public derivation agreeing with private
 * derivation, the invalid extended keys, path parsing, and the iop version bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "consensus/base58.h"
#include "test_util.h"
#include "wallet/bip32.h"

static int setup(void **state)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) return -1;
    *state = ctx;
    return 0;
}

static int teardown(void **state)
{
    secp256k1_context_destroy(*state);
    return 0;
}

static const struct address_params *params(const char *name)
{
    const struct chain_params *c = chainparams_by_name(name);
    if (!c) fail_msg("no chain profile %s", name);
    return &c->addr;
}

static void assert_same_key(const struct bip32_key *a, const struct bip32_key *b)
{
    assert_int_equal(a->depth, b->depth);
    assert_memory_equal(a->parent_fingerprint, b->parent_fingerprint, 4);
    assert_int_equal(a->child_number, b->child_number);
    assert_memory_equal(a->chain_code, b->chain_code, 32);
    assert_memory_equal(a->pubkey, b->pubkey, 33);
    assert_int_equal(a->has_private, b->has_private);
    assert_memory_equal(a->seckey, b->seckey, 32);
}

static void test_vectors(void **state)
{
    const secp256k1_context *ctx = *state;
    const struct address_params *btc = params("btc-main");
    json_t *root = test_load_json(test_vector_path("bips/bip32-vectors.json"));
    size_t vi, nvec = 0, nkeys = 0, npub = 0;
    json_t *vec;
    json_array_foreach(json_object_get(root, "valid"), vi, vec)
    {
        size_t seed_len;
        uint8_t *seed = test_unhex(json_string_value(json_object_get(vec, "seed")), &seed_len);
        struct bip32_key master;
        assert_int_equal(bip32_from_seed(ctx, &master, seed, seed_len), BIP32_OK);
        assert_int_equal(master.depth, 0);
        assert_true(master.has_private);

        size_t ci;
        json_t *entry;
        json_array_foreach(json_object_get(vec, "chains"), ci, entry)
        {
            const char *path_str = json_string_value(json_object_get(entry, "path"));
            const char *want_xprv = json_string_value(json_object_get(entry, "xprv"));
            const char *want_xpub = json_string_value(json_object_get(entry, "xpub"));
            uint32_t path[BIP32_MAX_DEPTH];
            size_t n;
            assert_int_equal(bip32_parse_path(path, BIP32_MAX_DEPTH, &n, path_str), BIP32_OK);

            struct bip32_key key, pub, parsed;
            assert_int_equal(bip32_derive_path(ctx, &key, &master, path, n), BIP32_OK);
            assert_int_equal(key.depth, n);
            char s[BIP32_STRING_MAX + 1];
            assert_true(bip32_encode(s, btc, &key));
            assert_string_equal(s, want_xprv);
            bip32_neuter(&pub, &key);
            assert_true(bip32_encode(s, btc, &pub));
            assert_string_equal(s, want_xpub);

            /* Both strings parse back to the same keys. */
            assert_int_equal(bip32_decode(ctx, &parsed, btc, want_xprv), BIP32_OK);
            assert_same_key(&parsed, &key);
            assert_int_equal(bip32_decode(ctx, &parsed, btc, want_xpub), BIP32_OK);
            assert_same_key(&parsed, &pub);

            if (n > 0) {
                struct bip32_key parent;
                assert_int_equal(bip32_derive_path(ctx, &parent, &master, path, n - 1),
                                 BIP32_OK);
                uint8_t fp[4];
                bip32_fingerprint(&parent, fp);
                assert_memory_equal(key.parent_fingerprint, fp, 4);
                assert_int_equal(key.child_number, path[n - 1]);
                /* A normal child comes out the same from the parent's xpub alone; a
                 * hardened one cannot. */
                struct bip32_key parent_pub, child_pub;
                bip32_neuter(&parent_pub, &parent);
                enum bip32_error e = bip32_derive(ctx, &child_pub, &parent_pub, path[n - 1]);
                if (path[n - 1] & BIP32_HARDENED) {
                    assert_int_equal(e, BIP32_ERR_HARDENED_PUBLIC);
                } else {
                    assert_int_equal(e, BIP32_OK);
                    assert_same_key(&child_pub, &pub);
                    npub++;
                }
                bip32_key_clear(&parent);
            }
            bip32_key_clear(&key);
            bip32_key_clear(&parsed);
            nkeys++;
        }
        bip32_key_clear(&master);
        free(seed);
        nvec++;
    }
    assert_int_equal(nvec, 4);
    test_report_count("bip32 vectors", nvec);
    test_report_count("bip32 derived keys (xprv + xpub each)", nkeys);
    test_report_count("bip32 public derivations matching private", npub);
    json_decref(root);
}

static void test_invalid_keys(void **state)
{
    const secp256k1_context *ctx = *state;
    const struct address_params *btc = params("btc-main");
    json_t *root = test_load_json(test_vector_path("bips/bip32-vectors.json"));
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(json_object_get(root, "invalid"), i, v)
    {
        const char *key = json_string_value(json_object_get(v, "key"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        struct bip32_key k;
        memset(&k, 0x55, sizeof(k));
        enum bip32_error e = bip32_decode(ctx, &k, btc, key);
        if (e == BIP32_OK) fail_msg("accepted invalid key %s (%s)", key, reason);
        /* The output is wiped, not left half-filled. */
        struct bip32_key zero;
        memset(&zero, 0, sizeof(zero));
        assert_memory_equal(&k, &zero, sizeof(k));

        enum bip32_error want = BIP32_OK;
        if (strstr(reason, "pubkey version / prvkey mismatch") ||
            strstr(reason, "invalid pubkey"))
            want = BIP32_ERR_PUBLIC_KEY;
        else if (strstr(reason, "prvkey version / pubkey mismatch") ||
                 strstr(reason, "invalid prvkey prefix"))
            want = BIP32_ERR_PRIVATE_PREFIX;
        else if (strstr(reason, "non-zero parent fingerprint"))
            want = BIP32_ERR_ZERO_DEPTH_PARENT;
        else if (strstr(reason, "non-zero index"))
            want = BIP32_ERR_ZERO_DEPTH_INDEX;
        else if (strstr(reason, "unknown extended key version"))
            want = BIP32_ERR_VERSION;
        else if (strstr(reason, "private key"))
            want = BIP32_ERR_PRIVATE_KEY;
        else if (strstr(reason, "checksum"))
            want = BIP32_ERR_CHECKSUM;
        else
            fail_msg("unexpected reason in vectors: %s", reason);
        if (e != want) fail_msg("%s (%s): got \"%s\"", key, reason, bip32_error_string(e));
        n++;
    }
    assert_int_equal(n, 16);
    test_report_count("bip32 invalid keys", n);
    json_decref(root);

    /* Base58 and length errors. */
    struct bip32_key k;
    assert_int_equal(bip32_decode(ctx, &k, btc, ""), BIP32_ERR_LENGTH);
    assert_int_equal(bip32_decode(ctx, &k, btc, "xpub0"), BIP32_ERR_ENCODING);
    assert_int_equal(bip32_decode(ctx, &k, btc, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
                     BIP32_ERR_LENGTH);
    uint8_t raw[BIP32_SERIALIZED_LEN + 1] = {0};
    char s[BASE58_MAX_STRING + 1];
    assert_true(base58check_encode(s, sizeof(s), raw, sizeof(raw)));
    assert_int_equal(bip32_decode(ctx, &k, btc, s), BIP32_ERR_LENGTH);
    assert_true(base58check_encode(s, sizeof(s), raw, sizeof(raw) - 2));
    assert_int_equal(bip32_decode(ctx, &k, btc, s), BIP32_ERR_LENGTH);
    for (int e = BIP32_OK; e <= BIP32_ERR_PATH; e++)
        assert_string_not_equal(bip32_error_string((enum bip32_error)e), "unknown error");
}

static void test_paths(void **state)
{
    (void)state;
    uint32_t path[300];
    size_t n;
    const struct {
        const char *str;
        size_t n;
        uint32_t steps[4];
    } good[] = {
        {"m", 0, {0}},
        {"m/0'/1/2h", 3, {BIP32_HARDENED, 1, BIP32_HARDENED | 2}},
        {"m/44H/66'/0'/0", 4, {BIP32_HARDENED | 44, BIP32_HARDENED | 66, BIP32_HARDENED, 0}},
        {"m/2147483647'", 1, {0xffffffffu}},
        {"m/2147483647", 1, {0x7fffffffu}},
        {"0'/1", 2, {BIP32_HARDENED, 1}},
        {"7", 1, {7}},
        {"m/007", 1, {7}},
    };
    size_t count = 0;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        enum bip32_error e = bip32_parse_path(path, 300, &n, good[i].str);
        if (e != BIP32_OK) fail_msg("%s: %s", good[i].str, bip32_error_string(e));
        assert_int_equal(n, good[i].n);
        if (n) assert_memory_equal(path, good[i].steps, n * sizeof(uint32_t));
        count++;
    }
    const char *bad[] = {
        "",      "m/",   "/",    "/0",   "m//1",   "m/1/",         "M/1",
        "m/1'h", "m/-1", "m/ 1", "m/1 ", "m/0x10", "m/2147483648", "m/99999999999",
        "m/1/m", "mm",   "m1",   "1//2", "m/1''",  "m/+1",         "m/1\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = 42;
        if (bip32_parse_path(path, 300, &n, bad[i]) != BIP32_ERR_PATH)
            fail_msg("accepted bad path \"%s\"", bad[i]);
        assert_int_equal(n, 0);
        count++;
    }
    /* 255 steps fit, 256 do not; neither does a path longer than the caller's array. */
    char longpath[2 + 2 * 256 + 1];
    size_t pos = 0;
    longpath[pos++] = 'm';
    for (int i = 0; i < 256; i++) {
        longpath[pos++] = '/';
        longpath[pos++] = '1';
    }
    longpath[pos] = '\0';
    assert_int_equal(bip32_parse_path(path, 300, &n, longpath), BIP32_ERR_PATH);
    longpath[pos - 2] = '\0';
    assert_int_equal(bip32_parse_path(path, 300, &n, longpath), BIP32_OK);
    assert_int_equal(n, 255);
    assert_int_equal(bip32_parse_path(path, 2, &n, "m/1/2/3"), BIP32_ERR_PATH);
    assert_int_equal(bip32_parse_path(path, 3, &n, "m/1/2/3"), BIP32_OK);
    count += 4;

    /* Formatting. */
    char out[64];
    uint32_t p[3] = {BIP32_HARDENED | 44, 1, 0xffffffffu};
    assert_true(bip32_format_path(out, sizeof(out), p, 3, '\''));
    assert_string_equal(out, "m/44'/1/2147483647'");
    assert_true(bip32_format_path(out, sizeof(out), p, 3, 'h'));
    assert_string_equal(out, "m/44h/1/2147483647h");
    assert_int_equal(bip32_parse_path(path, 300, &n, out), BIP32_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(path, p, sizeof(p));
    assert_true(bip32_format_path(out, 2, p, 0, 'h'));
    assert_string_equal(out, "m");
    assert_false(bip32_format_path(out, 8, p, 3, 'h'));
    assert_string_equal(out, "");
    assert_false(bip32_format_path(out, 1, p, 0, 'h'));
    count += 6;
    test_report_count("bip32 path cases", count);
}

static void test_derivation_limits(void **state)
{
    const secp256k1_context *ctx = *state;
    uint8_t seed[BIP32_SEED_MAX + 1];
    memset(seed, 0x42, sizeof(seed));
    struct bip32_key k, c;
    assert_int_equal(bip32_from_seed(ctx, &k, seed, BIP32_SEED_MIN - 1), BIP32_ERR_SEED_LENGTH);
    assert_int_equal(bip32_from_seed(ctx, &k, seed, BIP32_SEED_MAX + 1), BIP32_ERR_SEED_LENGTH);
    assert_int_equal(bip32_from_seed(ctx, &k, seed, BIP32_SEED_MIN), BIP32_OK);
    assert_int_equal(bip32_from_seed(ctx, &k, seed, BIP32_SEED_MAX), BIP32_OK);

    /* In-place derivation equals derivation into another key. */
    assert_int_equal(bip32_derive(ctx, &c, &k, 5), BIP32_OK);
    struct bip32_key inplace = k;
    assert_int_equal(bip32_derive(ctx, &inplace, &inplace, 5), BIP32_OK);
    assert_same_key(&inplace, &c);

    /* Depth is one byte. */
    k.depth = BIP32_MAX_DEPTH - 1;
    assert_int_equal(bip32_derive(ctx, &c, &k, 1), BIP32_OK);
    assert_int_equal(c.depth, BIP32_MAX_DEPTH);
    assert_int_equal(bip32_derive(ctx, &c, &c, 1), BIP32_ERR_DEPTH);
    struct bip32_key zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&c, &zero, sizeof(c));
    k.depth = 0;

    /* Hardened from public fails, and clears the output. */
    struct bip32_key pub;
    bip32_neuter(&pub, &k);
    assert_false(pub.has_private);
    assert_memory_equal(pub.seckey, zero.seckey, 32);
    memset(&c, 0x55, sizeof(c));
    assert_int_equal(bip32_derive(ctx, &c, &pub, BIP32_HARDENED), BIP32_ERR_HARDENED_PUBLIC);
    assert_memory_equal(&c, &zero, sizeof(c));
    uint32_t path[2] = {1, BIP32_HARDENED | 1};
    assert_int_equal(bip32_derive_path(ctx, &c, &pub, path, 2), BIP32_ERR_HARDENED_PUBLIC);
    assert_memory_equal(&c, &zero, sizeof(c));
    assert_int_equal(bip32_derive_path(ctx, &c, &pub, path, 1), BIP32_OK);
    assert_int_equal(bip32_derive_path(ctx, &c, &k, path, 0), BIP32_OK);
    assert_same_key(&c, &k);

    /* Heap keys are wiped and freed; free(NULL) is fine. */
    struct bip32_key *h = bip32_key_new();
    assert_non_null(h);
    assert_memory_equal(h, &zero, sizeof(*h));
    assert_int_equal(bip32_from_seed(ctx, h, seed, 32), BIP32_OK);
    bip32_key_free(h);
    bip32_key_free(NULL);
    bip32_key_clear(&k);
    assert_memory_equal(&k, &zero, sizeof(k));
    bip32_key_clear(&c);
    bip32_key_clear(&inplace);
    bip32_key_clear(NULL);
}

static void test_iop_versions(void **state)
{
    const secp256k1_context *ctx = *state;
    static const uint8_t seed[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct bip32_key m, pub, parsed;
    assert_int_equal(bip32_from_seed(ctx, &m, seed, sizeof(seed)), BIP32_OK);
    bip32_neuter(&pub, &m);
    const struct {
        const char *chain, *xpub_prefix, *xprv_prefix;
    } chains[] = {
        {"main", "9PPHA", "dywPw"},      {"test", "gpPfU", "AEbGg"},
        {"regtest", "gpPfU", "AEbGg"},   {"btc-main", "xpub", "xprv"},
        {"btc-regtest", "tpub", "tprv"},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
        const struct address_params *p = params(chains[i].chain);
        char xprv[BIP32_STRING_MAX + 1], xpub[BIP32_STRING_MAX + 1];
        assert_true(bip32_encode(xprv, p, &m));
        assert_true(bip32_encode(xpub, p, &pub));
        assert_true(strlen(xprv) <= BIP32_STRING_MAX && strlen(xpub) <= BIP32_STRING_MAX);
        assert_memory_equal(xprv, chains[i].xprv_prefix, strlen(chains[i].xprv_prefix));
        assert_memory_equal(xpub, chains[i].xpub_prefix, strlen(chains[i].xpub_prefix));
        assert_int_equal(bip32_decode(ctx, &parsed, p, xprv), BIP32_OK);
        assert_same_key(&parsed, &m);
        assert_int_equal(bip32_decode(ctx, &parsed, p, xpub), BIP32_OK);
        assert_same_key(&parsed, &pub);
        n += 2;
        /* Another network's keys are refused by version, except test and regtest,
         * which share theirs. */
        for (size_t j = 0; j < sizeof(chains) / sizeof(chains[0]); j++) {
            if (i == j) continue;
            const struct address_params *q = params(chains[j].chain);
            bool shared = q->xpub_version == p->xpub_version;
            assert_int_equal(bip32_decode(ctx, &parsed, q, xprv),
                             shared ? BIP32_OK : BIP32_ERR_VERSION);
            assert_int_equal(bip32_decode(ctx, &parsed, q, xpub),
                             shared ? BIP32_OK : BIP32_ERR_VERSION);
            n += 2;
        }
    }
    /* The raw form: version bytes big-endian at the front. */
    uint8_t raw[BIP32_SERIALIZED_LEN];
    bip32_serialize(raw, params("main"), &pub);
    assert_int_equal(raw[0], 0x27);
    assert_int_equal(raw[3], 0x5F);
    assert_int_equal(bip32_deserialize(ctx, &parsed, params("main"), raw), BIP32_OK);
    bip32_serialize(raw, params("main"), &m);
    assert_int_equal(raw[0], 0xAE);
    assert_int_equal(raw[45], 0);
    assert_int_equal(bip32_deserialize(ctx, &parsed, params("main"), raw), BIP32_OK);
    assert_same_key(&parsed, &m);
    bip32_key_clear(&m);
    bip32_key_clear(&parsed);
    test_report_count("iop extended key cases", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),      cmocka_unit_test(test_invalid_keys),
        cmocka_unit_test(test_paths),        cmocka_unit_test(test_derivation_limits),
        cmocka_unit_test(test_iop_versions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
