/* BIP39: every English vector of bips/bip39-vectors.json (entropy -> mnemonic -> entropy,
 * seed under the passphrase "TREZOR", and the BIP32 master xprv of that seed under the
 * btc-main version bytes), the word list itself, and the error cases of bip39_check:
 * word count, unknown word (reported by position), checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "test_util.h"
#include "wallet/bip32.h"
#include "wallet/bip39.h"

static const char ZERO12[] = "abandon abandon abandon abandon abandon abandon abandon abandon "
                             "abandon abandon abandon about";

static void test_vectors(void **state)
{
    (void)state;
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    assert_non_null(ctx);
    const struct chain_params *btc = chainparams_by_name("btc-main");
    assert_non_null(btc);
    json_t *root = test_load_json(test_vector_path("bips/bip39-vectors.json"));
    json_t *english = json_object_get(root, "english");
    assert_true(json_is_array(english));
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(english, i, v)
    {
        const char *hex = json_string_value(json_array_get(v, 0));
        const char *words = json_string_value(json_array_get(v, 1));
        const char *seed_hex = json_string_value(json_array_get(v, 2));
        const char *xprv = json_string_value(json_array_get(v, 3));
        assert_non_null(hex);
        assert_non_null(words);
        assert_non_null(seed_hex);

        size_t ent_len, want_seed_len;
        uint8_t *ent = test_unhex(hex, &ent_len);
        uint8_t *want_seed = test_unhex(seed_hex, &want_seed_len);
        assert_int_equal(want_seed_len, BIP39_SEED_LEN);

        char m[BIP39_MNEMONIC_MAX];
        assert_int_equal(bip39_from_entropy(m, sizeof(m), ent, ent_len), BIP39_OK);
        assert_string_equal(m, words);

        uint8_t back[BIP39_ENTROPY_MAX];
        size_t back_len;
        char err[128];
        assert_int_equal(bip39_to_entropy(back, &back_len, words, err, sizeof(err)), BIP39_OK);
        assert_int_equal(back_len, ent_len);
        assert_memory_equal(back, ent, ent_len);

        uint8_t seed[BIP39_SEED_LEN];
        assert_int_equal(bip39_to_seed(seed, words, "TREZOR", err, sizeof(err)), BIP39_OK);
        assert_memory_equal(seed, want_seed, BIP39_SEED_LEN);

        if (xprv) {
            struct bip32_key k;
            char enc[BIP32_STRING_MAX + 1];
            assert_int_equal(bip32_from_seed(ctx, &k, seed, sizeof(seed)), BIP32_OK);
            assert_true(bip32_encode(enc, &btc->addr, &k));
            assert_string_equal(enc, xprv);
            bip32_key_clear(&k);
        }
        free(ent);
        free(want_seed);
        n++;
    }
    assert_true(n >= 24);
    test_report_count("bip39 english vectors", n);
    json_decref(root);
    secp256k1_context_destroy(ctx);
}

static void test_wordlist(void **state)
{
    (void)state;
    size_t longest = 0;
    for (unsigned i = 0; i < BIP39_WORDLIST_SIZE; i++) {
        const char *w = bip39_word(i);
        assert_non_null(w);
        size_t len = strlen(w);
        if (len > longest) longest = len;
        assert_int_equal(bip39_word_index(w, len), (int)i);
        if (i > 0) assert_true(strcmp(bip39_word(i - 1), w) < 0); /* binary search needs it */
    }
    assert_int_equal(longest, BIP39_WORD_LEN_MAX);
    assert_null(bip39_word(BIP39_WORDLIST_SIZE));
    assert_string_equal(bip39_word(0), "abandon");
    assert_string_equal(bip39_word(2047), "zoo");
    /* prefixes, extensions and case are not words */
    assert_int_equal(bip39_word_index("aban", 4), -1);
    assert_int_equal(bip39_word_index("abandons", 8), -1);
    assert_int_equal(bip39_word_index("Abandon", 7), -1);
    assert_int_equal(bip39_word_index("", 0), -1);
    assert_int_equal(bip39_word_index("abandonabandon", 14), -1);
    /* length-delimited: the rest of the buffer is ignored */
    assert_int_equal(bip39_word_index("zoo zoo", 3), 2047);
}

static void test_entropy_lengths(void **state)
{
    (void)state;
    uint8_t ent[40];
    char m[BIP39_MNEMONIC_MAX];
    memset(ent, 0x5a, sizeof(ent));
    for (size_t len = 0; len <= sizeof(ent); len++) {
        enum bip39_error e = bip39_from_entropy(m, sizeof(m), ent, len);
        bool valid = len >= 16 && len <= 32 && len % 4 == 0;
        assert_int_equal(e, valid ? BIP39_OK : BIP39_ERR_ENTROPY_LENGTH);
        if (!valid) continue;
        size_t words = 1;
        for (const char *p = m; *p; p++) words += *p == ' ';
        assert_int_equal(words, len * 3 / 4); /* 16 -> 12, 32 -> 24 */
        assert_int_equal(bip39_check(m, NULL, 0), BIP39_OK);
    }
    /* 24 words of "zoo"-length words fit exactly; one byte less does not */
    uint8_t ff[32];
    memset(ff, 0xff, sizeof(ff));
    assert_int_equal(bip39_from_entropy(m, sizeof(m), ff, 32), BIP39_OK);
    char small[12];
    assert_int_equal(bip39_from_entropy(small, sizeof(small), ff, 32), BIP39_ERR_BUFFER);
    assert_int_equal(small[0], '\0');
    size_t need = strlen(m) + 1;
    char *exact = malloc(need);
    assert_non_null(exact);
    assert_int_equal(bip39_from_entropy(exact, need, ff, 32), BIP39_OK);
    assert_int_equal(bip39_from_entropy(exact, need - 1, ff, 32), BIP39_ERR_BUFFER);
    free(exact);
}

static void test_check_errors(void **state)
{
    (void)state;
    char err[160];
    assert_int_equal(bip39_check(ZERO12, err, sizeof(err)), BIP39_OK);

    /* word count */
    assert_int_equal(bip39_check("", err, sizeof(err)), BIP39_ERR_WORD_COUNT);
    assert_int_equal(bip39_check("abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon about",
                                 err, sizeof(err)),
                     BIP39_ERR_WORD_COUNT);
    assert_non_null(strstr(err, "not 11"));
    assert_int_equal(bip39_check("abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon abandon abandon about",
                                 err, sizeof(err)),
                     BIP39_ERR_WORD_COUNT);
    assert_non_null(strstr(err, "not 13"));

    /* unknown word: position given, the word itself never echoed */
    assert_int_equal(bip39_check("abandon abandon abandon abandon abandon abandon abandxn "
                                 "abandon abandon abandon abandon about",
                                 err, sizeof(err)),
                     BIP39_ERR_UNKNOWN_WORD);
    assert_non_null(strstr(err, "word 7 "));
    assert_null(strstr(err, "abandxn"));
    assert_int_equal(bip39_check("Abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon abandon about",
                                 err, sizeof(err)),
                     BIP39_ERR_UNKNOWN_WORD);
    assert_non_null(strstr(err, "word 1 "));

    /* checksum: last word changed to another valid word */
    assert_int_equal(bip39_check("abandon abandon abandon abandon abandon abandon abandon "
                                 "abandon abandon abandon abandon abandon",
                                 err, sizeof(err)),
                     BIP39_ERR_CHECKSUM);
    assert_non_null(strstr(err, "checksum"));
    /* swapping two words breaks it too */
    assert_int_equal(bip39_check("legal winner thank year wave sausage worth useful legal "
                                 "winner yellow thank",
                                 err, sizeof(err)),
                     BIP39_ERR_CHECKSUM);

    /* every single-word substitution in a valid 12-word mnemonic is caught unless the
     * 4 checksum bits happen to match: about 1/16 of the 2047 alternatives per word
     * pass. Count them for the last word, whose low 4 bits are the checksum itself:
     * exactly one of each 16 values of the top 7 bits is valid, so 127 others pass. */
    char m[BIP39_MNEMONIC_MAX];
    size_t pass = 0;
    const char *prefix = "abandon abandon abandon abandon abandon abandon abandon abandon "
                         "abandon abandon abandon ";
    for (unsigned w = 0; w < BIP39_WORDLIST_SIZE; w++) {
        snprintf(m, sizeof(m), "%s%s", prefix, bip39_word(w));
        if (bip39_check(m, NULL, 0) == BIP39_OK) pass++;
    }
    assert_int_equal(pass, 128);

    /* the entropy output is wiped on failure */
    uint8_t ent[BIP39_ENTROPY_MAX];
    size_t len = 99;
    memset(ent, 0xaa, sizeof(ent));
    assert_int_equal(bip39_to_entropy(ent, &len, "zoo zoo", err, sizeof(err)),
                     BIP39_ERR_WORD_COUNT);
    assert_int_equal(len, 0);
    for (size_t i = 0; i < sizeof(ent); i++) assert_int_equal(ent[i], 0);
}

static void test_seed(void **state)
{
    (void)state;
    char err[128];
    uint8_t a[BIP39_SEED_LEN], b[BIP39_SEED_LEN], c[BIP39_SEED_LEN], d[BIP39_SEED_LEN];
    /* whitespace is canonicalized before hashing */
    assert_int_equal(bip39_to_seed(a, ZERO12, "TREZOR", err, sizeof(err)), BIP39_OK);
    assert_int_equal(
        bip39_to_seed(b,
                      "  abandon abandon\tabandon abandon  abandon abandon abandon "
                      "abandon abandon abandon\nabandon about \n",
                      "TREZOR", err, sizeof(err)),
        BIP39_OK);
    assert_memory_equal(a, b, sizeof(a));
    /* NULL and "" are the same empty passphrase, and differ from "TREZOR" */
    assert_int_equal(bip39_to_seed(c, ZERO12, NULL, err, sizeof(err)), BIP39_OK);
    assert_int_equal(bip39_to_seed(d, ZERO12, "", err, sizeof(err)), BIP39_OK);
    assert_memory_equal(c, d, sizeof(c));
    assert_memory_not_equal(a, c, sizeof(a));
    /* BIP39 reference value for this mnemonic with no passphrase (published widely) */
    size_t len;
    uint8_t *want =
        test_unhex("5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc1"
                   "9a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4",
                   &len);
    assert_memory_equal(c, want, 64);
    free(want);
    /* the passphrase is used as given bytes: case matters */
    assert_int_equal(bip39_to_seed(d, ZERO12, "trezor", err, sizeof(err)), BIP39_OK);
    assert_memory_not_equal(a, d, sizeof(a));
    /* invalid mnemonics give no seed */
    memset(d, 0x11, sizeof(d));
    assert_int_equal(bip39_to_seed(d,
                                   "abandon abandon abandon abandon abandon abandon abandon "
                                   "abandon abandon abandon abandon abandon",
                                   "TREZOR", err, sizeof(err)),
                     BIP39_ERR_CHECKSUM);
    for (size_t i = 0; i < sizeof(d); i++) assert_int_equal(d[i], 0);
}

static void test_generate(void **state)
{
    (void)state;
    char a[BIP39_MNEMONIC_MAX], b[BIP39_MNEMONIC_MAX];
    assert_int_equal(bip39_generate(a, sizeof(a), 24), BIP39_OK);
    assert_int_equal(bip39_generate(b, sizeof(b), 24), BIP39_OK);
    assert_int_equal(bip39_check(a, NULL, 0), BIP39_OK);
    assert_int_equal(bip39_check(b, NULL, 0), BIP39_OK);
    assert_string_not_equal(a, b); /* 256 random bits twice */
    size_t words = 1;
    for (const char *p = a; *p; p++) words += *p == ' ';
    assert_int_equal(words, 24);
    uint8_t ent[BIP39_ENTROPY_MAX];
    size_t len;
    assert_int_equal(bip39_to_entropy(ent, &len, a, NULL, 0), BIP39_OK);
    assert_int_equal(len, 32);

    assert_int_equal(bip39_generate(a, sizeof(a), 12), BIP39_OK);
    assert_int_equal(bip39_check(a, NULL, 0), BIP39_OK);
    assert_int_equal(bip39_generate(a, sizeof(a), 13), BIP39_ERR_WORD_COUNT);
    assert_int_equal(bip39_generate(a, sizeof(a), 27), BIP39_ERR_WORD_COUNT);
    assert_int_equal(bip39_generate(a, 10, 24), BIP39_ERR_BUFFER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_wordlist),
        cmocka_unit_test(test_entropy_lengths),
        cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_generate),
    };
    return cmocka_run_group_tests_name("bip39_tests", tests, NULL, NULL);
}
