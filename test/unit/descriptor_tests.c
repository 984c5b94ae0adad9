/* Output descriptors: BIP380 checksum vectors, scripts of every supported function
 * compared with scripts built here by hand (hash160/sha256 of the keys) or with the
 * BIP381-386 examples, ranged xpub descriptors compared with src/wallet/bip32.c's
 * derivation of the BIP32 test vector 1 keys, Core's error messages, and a loop of
 * mutated strings that must never crash or leak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chainparams.h"
#include "chain/descriptor.h"
#include "chain/script_format.h"
#include "consensus/hash.h"
#include "test_util.h"
#include "util/hex.h"
#include "wallet/bip32.h"

static const struct address_params *btc(void) { return &chainparams_by_name("btc-main")->addr; }

/* Parses text, expands position index and checks the single script against hex. */
static void expect_script(const char *text, uint32_t index, const char *hex)
{
    char err[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, btc(), err);
    if (!d) fail_msg("%s: %s", text, err);
    struct descriptor_scripts s = {0};
    if (!descriptor_expand(d, index, &s, err)) fail_msg("%s: expand: %s", text, err);
    assert_int_equal(s.count, 1);
    const char *got = test_hex(s.items[0].data, s.items[0].len);
    if (strcmp(got, hex) != 0) fail_msg("%s[%u]: got %s want %s", text, index, got, hex);
    /* the normalized text parses back to the same text */
    char *norm = descriptor_to_string(d);
    assert_non_null(norm);
    struct descriptor *d2 = descriptor_parse(norm, btc(), err);
    if (!d2) fail_msg("%s: reparse: %s", norm, err);
    char *norm2 = descriptor_to_string(d2);
    assert_string_equal(norm, norm2);
    free(norm);
    free(norm2);
    descriptor_scripts_clear(&s);
    descriptor_free(d2);
    descriptor_free(d);
}

static void expect_error(const char *text, const char *msg)
{
    char err[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, btc(), err);
    if (d) fail_msg("%s: parsed, want error %s", text, msg);
    if (strcmp(err, msg) != 0) fail_msg("%s: error '%s', want '%s'", text, err, msg);
}

static void test_checksum(void **state)
{
    (void)state;
    char err[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse("raw(deadbeef)#89f8spxm", btc(), err);
    if (!d) fail_msg("%s", err);
    char *s = descriptor_to_string(d);
    assert_string_equal(s, "raw(deadbeef)#89f8spxm");
    free(s);
    descriptor_free(d);
    d = descriptor_parse("raw(deadbeef)", btc(), err);
    assert_non_null(d);
    descriptor_free(d);
    expect_error("raw(deadbeef)#", "Expected 8 character checksum, not 0 characters");
    expect_error("raw(deadbeef)#89f8spxmx", "Expected 8 character checksum, not 9 characters");
    expect_error("raw(deadbeef)#89f8spx", "Expected 8 character checksum, not 7 characters");
    expect_error("raw(deadbeef)#cmfx3ucy",
                 "Provided checksum 'cmfx3ucy' does not match computed checksum '89f8spxm'");
    expect_error("raw(deadbeef)##9f8spxm", "Multiple '#' symbols");
    expect_error("raw(Ü)#00000000", "Invalid characters in payload");
}

#define PK1  "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"
#define PK2  "022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4"
#define PK3  "025cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc"
#define WIF1 "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1"
#define UNC                                                                                    \
    "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c" \
    "7709c0"                                                                                   \
    "2559e3aa73aa03918ba2d492eea75abea235"

static void h160hex(char out[41], const char *pkhex)
{
    size_t n;
    uint8_t *pk = test_unhex(pkhex, &n);
    uint8_t h[20];
    hash160(pk, n, h);
    hex_encode(out, h, 20);
    free(pk);
}

static void test_fixed_keys(void **state)
{
    (void)state;
    char h[41], want[400];
    h160hex(h, PK1);
    expect_script("pk(" PK1 ")", 0, "21" PK1 "ac");
    expect_script("pk(" WIF1 ")", 0, "21" PK1 "ac");
    expect_script("pk(" UNC ")", 0, "41" UNC "ac");
    snprintf(want, sizeof(want), "76a914%s88ac", h);
    expect_script("pkh(" PK1 ")", 0, want);
    expect_script("pkh([deadbeef/1/2'/3h]" PK1 ")", 0, want);
    snprintf(want, sizeof(want), "0014%s", h);
    expect_script("wpkh(" PK1 ")", 0, want);
    /* sh(wpkh) = HASH160 of the P2WPKH script */
    {
        char w[45];
        snprintf(w, sizeof(w), "0014%s", h);
        char hh[41];
        h160hex(hh, w);
        snprintf(want, sizeof(want), "a914%s87", hh);
        expect_script("sh(wpkh(" PK1 "))", 0, want);
    }
    /* wsh(pk) = SHA256 of the pk script */
    {
        size_t n;
        uint8_t *inner = test_unhex("21" PK1 "ac", &n);
        uint8_t sh[32];
        sha256(inner, n, sh);
        free(inner);
        char shx[65];
        hex_encode(shx, sh, 32);
        snprintf(want, sizeof(want), "0020%s", shx);
        expect_script("wsh(pk(" PK1 "))", 0, want);
    }
    expect_script("multi(1," PK2 "," PK3 ")", 0, "5121" PK2 "21" PK3 "52ae");
    expect_script("sortedmulti(1," PK3 "," PK2 ")", 0, "5121" PK2 "21" PK3 "52ae");
    expect_script("multi(1," PK3 "," PK2 ")", 0, "5121" PK3 "21" PK2 "52ae");
    {
        char hh[41];
        h160hex(hh, "5221" PK2 "21" PK3 "52ae");
        snprintf(want, sizeof(want), "a914%s87", hh);
        expect_script("sh(multi(2," PK2 "," PK3 "))", 0, want);
    }
    /* BIP386 */
    expect_script("tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", 0,
                  "512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11");
    expect_script("tr(" WIF1 ")", 0,
                  "512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11");
    expect_script("raw(6a0401020304)", 0, "6a0401020304");
    expect_script("addr(1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2)", 0,
                  "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac");

    /* combo: P2PK, P2PKH, P2WPKH, P2SH-P2WPKH */
    char err[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse("combo(" PK1 ")", btc(), err);
    assert_non_null(d);
    struct descriptor_scripts s = {0};
    assert_true(descriptor_expand(d, 0, &s, err));
    assert_int_equal(s.count, 4);
    descriptor_scripts_clear(&s);
    descriptor_free(d);

    /* properties and the public form */
    d = descriptor_parse("pkh(" WIF1 ")", btc(), err);
    assert_non_null(d);
    assert_true(descriptor_has_private_keys(d));
    assert_true(descriptor_is_solvable(d));
    assert_false(descriptor_is_range(d));
    char *t = descriptor_to_string(d);
    char pub[200];
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    assert_true(descriptor_checksum(sum, "pkh(" PK1 ")"));
    snprintf(pub, sizeof(pub), "pkh(" PK1 ")#%s", sum);
    assert_string_equal(t, pub);
    free(t);
    descriptor_free(d);
    d = descriptor_parse("addr(1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2)", btc(), err);
    assert_false(descriptor_is_solvable(d));
    assert_false(descriptor_has_private_keys(d));
    descriptor_free(d);
}

static void test_xpub_ranged(void **state)
{
    (void)state;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    json_t *root = test_load_json(test_vector_path("bips/bip32-vectors.json"));
    json_t *chains =
        json_object_get(json_array_get(json_object_get(root, "valid"), 0), "chains");
    const char *xpub = json_string_value(json_object_get(json_array_get(chains, 0), "xpub"));
    const char *xprv = json_string_value(json_object_get(json_array_get(chains, 0), "xprv"));
    assert_non_null(xpub);
    assert_non_null(xprv);
    struct bip32_key master, child;
    assert_int_equal(bip32_decode(ctx, &master, btc(), xprv), BIP32_OK);

    char text[400], err[DESCRIPTOR_ERR_MAX];
    snprintf(text, sizeof(text), "wpkh(%s/0/*)", xpub);
    struct descriptor *d = descriptor_parse(text, btc(), err);
    if (!d) fail_msg("%s", err);
    assert_true(descriptor_is_range(d));
    assert_false(descriptor_has_private_keys(d));
    descriptor_free(d);
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t path[2] = {0, i};
        assert_int_equal(bip32_derive_path(ctx, &child, &master, path, 2), BIP32_OK);
        uint8_t h[20];
        hash160(child.pubkey, 33, h);
        char want[64];
        snprintf(want, sizeof(want), "0014%s", test_hex(h, 20));
        expect_script(text, i, want);
        /* hardened steps from the xprv, public form uses the xpub */
        uint32_t hp[3] = {BIP32_HARDENED | 1, 2, BIP32_HARDENED | i};
        assert_int_equal(bip32_derive_path(ctx, &child, &master, hp, 3), BIP32_OK);
        hash160(child.pubkey, 33, h);
        snprintf(want, sizeof(want), "76a914%s88ac", test_hex(h, 20));
        char t2[400];
        snprintf(t2, sizeof(t2), "pkh([00000000/5]%s/1h/2/*')", xprv);
        expect_script(t2, i, want);
    }
    /* the public form of an xprv descriptor names the xpub */
    snprintf(text, sizeof(text), "pkh(%s/1h/2/*')", xprv);
    d = descriptor_parse(text, btc(), err);
    assert_non_null(d);
    assert_true(descriptor_has_private_keys(d));
    char *s = descriptor_to_string(d);
    char want[400];
    snprintf(want, sizeof(want), "pkh(%s/1h/2/*')", xpub);
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    assert_true(descriptor_checksum(sum, want));
    strcat(want, "#");
    strcat(want, sum);
    assert_string_equal(s, want);
    descriptor_free(d);
    /* ... which cannot derive the hardened steps */
    d = descriptor_parse(s, btc(), err);
    assert_non_null(d);
    struct descriptor_scripts sc = {0};
    assert_false(descriptor_expand(d, 0, &sc, err));
    assert_string_equal(err, "Cannot derive script without private keys");
    assert_int_equal(sc.count, 0);
    descriptor_free(d);
    free(s);

    bip32_key_clear(&master);
    bip32_key_clear(&child);
    json_decref(root);
    secp256k1_context_destroy(ctx);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "'' is not a valid descriptor function");
    expect_error("foo(" PK1 ")", "'foo(" PK1 ")' is not a valid descriptor function");
    expect_error("pk(" PK1, "'pk(" PK1 "' is not a valid descriptor function");
    expect_error("pk(03aa)", "Pubkey '03aa' is invalid");
    expect_error("pk(nonsense)", "key 'nonsense' is not valid");
    expect_error("wpkh(" UNC ")", "Uncompressed keys are not allowed");
    expect_error("wsh(pk(" UNC "))", "Uncompressed keys are not allowed");
    expect_error("sh(sh(pk(" PK1 ")))", "Can only have sh() at top level");
    expect_error("wsh(wsh(pk(" PK1 ")))", "Can only have wsh() at top level or inside sh()");
    expect_error("wsh(wpkh(" PK1 "))", "Can only have wpkh() at top level or inside sh()");
    expect_error("sh(addr(1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2))",
                 "Can only have addr() at top level");
    expect_error("sh(raw(00))", "Can only have raw() at top level");
    expect_error("addr(nope)", "Address is not valid");
    expect_error("raw(0g)", "Raw script is not hex");
    expect_error("multi(0," PK2 ")", "Multisig threshold cannot be 0, must be at least 1");
    expect_error(
        "multi(3," PK2 "," PK3 ")",
        "Multisig threshold cannot be larger than the number of keys; threshold is 3 but "
        "only 2 keys specified");
    expect_error("multi(1," PK1 "," PK2 "," PK3 "," PK1 ")",
                 "Cannot have 4 pubkeys in bare multisig; only at most 3 pubkeys");
    expect_error("pkh([deadbee/1]" PK1 ")",
                 "Fingerprint is not 4 bytes (7 characters instead of 8 characters)");
    expect_error("pkh([deadbeeg/1]" PK1 ")", "Fingerprint 'deadbeeg' is not hex");
    expect_error("pkh([deadbeef]]" PK1 ")",
                 "Multiple ']' characters found for a single pubkey");
    expect_error("tr(" PK1 ",pk(" PK2 "))", "tr() with a script tree is not supported");
}

static void test_mutations(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "sh(wsh(multi(1,[deadbeef/1h]" PK2 "," PK3 ")))",
        "combo(" WIF1 ")",
        "tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)",
        "wpkh("
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsef"
        "D"
        "265TMg7usUDFdp6W1EGMcet8/0/*)#",
        "raw(deadbeef)#89f8spxm",
    };
    static const char alphabet[] = "()[],/*'h#0123456789abcdefxpubwshkm ";
    uint64_t rng = 0x1234567u;
    size_t parsed = 0, n = 0;
    for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++) {
        for (int round = 0; round < 400; round++, n++) {
            char buf[512];
            snprintf(buf, sizeof(buf), "%s", seeds[si]);
            int edits = 1 + round % 4;
            for (int e = 0; e < edits; e++) {
                size_t len = strlen(buf);
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                size_t pos = len ? (size_t)(rng >> 33) % len : 0;
                char c = alphabet[(rng >> 20) % (sizeof(alphabet) - 1)];
                switch ((rng >> 12) % 3) {
                case 0: buf[pos] = c; break;
                case 1: memmove(buf + pos, buf + pos + 1, len - pos); break;
                default:
                    if (len + 2 < sizeof(buf)) {
                        memmove(buf + pos + 1, buf + pos, len - pos + 1);
                        buf[pos] = c;
                    }
                }
            }
            char err[DESCRIPTOR_ERR_MAX];
            struct descriptor *d = descriptor_parse(buf, btc(), err);
            if (!d) {
                assert_true(err[0] != 0);
                continue;
            }
            parsed++;
            struct descriptor_scripts s = {0};
            if (descriptor_expand(d, 7, &s, err)) descriptor_scripts_clear(&s);
            free(descriptor_to_string(d));
            descriptor_free(d);
        }
    }
    printf("descriptor mutations: %zu cases, %zu parsed\n", n, parsed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum),    cmocka_unit_test(test_fixed_keys),
        cmocka_unit_test(test_xpub_ranged), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
