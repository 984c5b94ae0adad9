/* Wallet encryption: master record round trip, wrong passphrase, every altered byte of a
 * master record and of a secret record rejected, salts and nonces fresh per record,
 * passphrase change keeping secrets readable, parameters in the record honoured, and
 * the parameter bounds. scrypt runs with N = 2^10 (and r = 1 where only the logic is
 * tested) so the whole program takes well under a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wallet/crypter.h"

static const struct crypter_params FAST = {10, 8, 1};
static const struct crypter_params FASTEST = {10, 1, 1};

static void assert_no_secret_in(const char *err, const char *secret)
{
    assert_null(strstr(err, secret));
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key made, opened;
    char err[200];
    assert_int_equal(crypter_new_master(rec, &made, "correct horse", &FAST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(rec[0], CRYPTER_VERSION);
    assert_int_equal(
        crypter_unlock(&opened, rec, sizeof(rec), "correct horse", err, sizeof(err)),
        CRYPTER_OK);
    assert_memory_equal(made.k, opened.k, CRYPTER_KEY_LEN);
    /* the key is not all zero and not stored in clear in the record */
    uint8_t zero[CRYPTER_KEY_LEN] = {0};
    assert_memory_not_equal(made.k, zero, CRYPTER_KEY_LEN);
    for (size_t i = 0; i + CRYPTER_KEY_LEN <= sizeof(rec); i++)
        assert_memory_not_equal(rec + i, made.k, CRYPTER_KEY_LEN);

    /* the record remembers its parameters */
    struct crypter_params p;
    assert_int_equal(crypter_record_params(&p, rec, sizeof(rec)), CRYPTER_OK);
    assert_int_equal(p.log2_n, 10);
    assert_int_equal(p.r, 8);
    assert_int_equal(p.p, 1);

    /* a NULL master output is allowed */
    assert_int_equal(crypter_new_master(rec, NULL, "x", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_unlock(&opened, rec, sizeof(rec), "x", err, sizeof(err)),
                     CRYPTER_OK);
    crypter_key_clear(&opened);
    assert_memory_equal(opened.k, zero, CRYPTER_KEY_LEN);
    crypter_key_clear(NULL);
}

static void test_wrong_passphrase(void **state)
{
    (void)state;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key k;
    char err[200];
    assert_int_equal(crypter_new_master(rec, NULL, "hunter2", &FAST, err, sizeof(err)),
                     CRYPTER_OK);
    const char *wrong[] = {"hunter3", "Hunter2", "hunter2 ", "hunter", "", NULL};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        memset(k.k, 0x77, sizeof(k.k));
        err[0] = '\0';
        assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), wrong[i], err, sizeof(err)),
                         CRYPTER_ERR_PASSPHRASE);
        assert_non_null(strstr(err, "passphrase"));
        assert_no_secret_in(err, "hunter");
        for (size_t j = 0; j < sizeof(k.k); j++) assert_int_equal(k.k[j], 0);
    }
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "hunter2", err, sizeof(err)),
                     CRYPTER_OK);
}

/* Flipping any single bit of the record makes unlock fail; every byte and every bit
 * position within it is tried once (byte i gets bit i % 8). */
static void test_tampered_master(void **state)
{
    (void)state;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN], bad[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key k;
    char err[200];
    assert_int_equal(crypter_new_master(rec, NULL, "pw", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    size_t n_pass = 0, n_params = 0, n_format = 0;
    for (size_t i = 0; i < sizeof(rec); i++) {
        memcpy(bad, rec, sizeof(rec));
        bad[i] ^= (uint8_t)(1u << (i % 8));
        enum crypter_error e = crypter_unlock(&k, bad, sizeof(bad), "pw", err, sizeof(err));
        assert_int_not_equal(e, CRYPTER_OK);
        if (e == CRYPTER_ERR_PASSPHRASE) n_pass++;
        if (e == CRYPTER_ERR_PARAMS) n_params++;
        if (e == CRYPTER_ERR_FORMAT) n_format++;
    }
    assert_int_equal(n_format, 1); /* the version byte */
    assert_true(n_params >= 1);
    /* salt, nonce, ciphertext and tag flips are all caught by the tag */
    assert_true(n_pass >=
                CRYPTER_SALT_LEN + CRYPTER_NONCE_LEN + CRYPTER_KEY_LEN + CRYPTER_TAG_LEN);
    /* explicitly: salt, nonce, tag */
    size_t where[] = {10, 10 + CRYPTER_SALT_LEN, CRYPTER_MASTER_RECORD_LEN - 1};
    for (size_t i = 0; i < 3; i++) {
        memcpy(bad, rec, sizeof(rec));
        bad[where[i]] ^= 0x80;
        assert_int_equal(crypter_unlock(&k, bad, sizeof(bad), "pw", err, sizeof(err)),
                         CRYPTER_ERR_PASSPHRASE);
    }
    /* lengths */
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec) - 1, "pw", err, sizeof(err)),
                     CRYPTER_ERR_FORMAT);
    assert_int_equal(crypter_unlock(&k, rec, 0, "pw", err, sizeof(err)), CRYPTER_ERR_FORMAT);
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "pw", err, sizeof(err)), CRYPTER_OK);
}

static void test_fresh_salts(void **state)
{
    (void)state;
    uint8_t a[CRYPTER_MASTER_RECORD_LEN], b[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key ka, kb;
    char err[200];
    assert_int_equal(crypter_new_master(a, &ka, "same", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_new_master(b, &kb, "same", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_not_equal(a + 10, b + 10, CRYPTER_SALT_LEN);
    assert_memory_not_equal(a + 10 + CRYPTER_SALT_LEN, b + 10 + CRYPTER_SALT_LEN,
                            CRYPTER_NONCE_LEN);
    assert_memory_not_equal(ka.k, kb.k, CRYPTER_KEY_LEN);
    /* records are not interchangeable: a's salt with b's ciphertext fails */
    uint8_t mix[CRYPTER_MASTER_RECORD_LEN];
    memcpy(mix, b, sizeof(mix));
    memcpy(mix + 10, a + 10, CRYPTER_SALT_LEN);
    struct crypter_key k;
    assert_int_equal(crypter_unlock(&k, mix, sizeof(mix), "same", err, sizeof(err)),
                     CRYPTER_ERR_PASSPHRASE);
}

static void test_secrets(void **state)
{
    (void)state;
    struct crypter_key mk, other;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    char err[200];
    assert_int_equal(crypter_new_master(rec, &mk, "pw", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_new_master(rec, &other, "pw", &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);

    const uint8_t secret[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    const uint8_t ad[33] = {0x02, 0xaa, 0xbb};
    uint8_t ct[32 + CRYPTER_SECRET_OVERHEAD], ct2[32 + CRYPTER_SECRET_OVERHEAD];
    uint8_t pt[64];
    size_t ct_len, ct2_len, pt_len;
    assert_int_equal(crypter_encrypt_secret(ct, sizeof(ct), &ct_len, &mk, secret,
                                            sizeof(secret), ad, sizeof(ad), err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(ct_len, sizeof(ct));
    assert_memory_not_equal(ct + 1 + CRYPTER_NONCE_LEN, secret, sizeof(secret));
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, ct, ct_len, ad,
                                            sizeof(ad), err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(pt_len, sizeof(secret));
    assert_memory_equal(pt, secret, sizeof(secret));

    /* same secret twice: different nonce and ciphertext */
    assert_int_equal(crypter_encrypt_secret(ct2, sizeof(ct2), &ct2_len, &mk, secret,
                                            sizeof(secret), ad, sizeof(ad), err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_not_equal(ct, ct2, ct_len);

    /* every altered bit fails, and the output is wiped */
    uint8_t bad[sizeof(ct)];
    for (size_t i = 0; i < ct_len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, ct, ct_len);
            bad[i] ^= (uint8_t)(1u << bit);
            memset(pt, 0x55, sizeof(pt));
            enum crypter_error e = crypter_decrypt_secret(
                pt, sizeof(pt), &pt_len, &mk, bad, ct_len, ad, sizeof(ad), err, sizeof(err));
            assert_int_equal(e, i == 0 ? CRYPTER_ERR_FORMAT : CRYPTER_ERR_AUTH);
            assert_int_equal(pt_len, 0);
            if (i > 0)
                for (size_t j = 0; j < sizeof(pt); j++) assert_int_equal(pt[j], 0);
        }
    }
    /* wrong key, wrong or missing associated data, truncation */
    uint8_t ad2[33];
    memcpy(ad2, ad, sizeof(ad2));
    ad2[32] ^= 1;
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &other, ct, ct_len, ad,
                                            sizeof(ad), err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, ct, ct_len, ad2,
                                            sizeof(ad2), err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, ct, ct_len, NULL, 0,
                                            err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, ct, ct_len - 1, ad,
                                            sizeof(ad), err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, ct,
                                            CRYPTER_SECRET_OVERHEAD - 1, ad, sizeof(ad), err,
                                            sizeof(err)),
                     CRYPTER_ERR_FORMAT);
    /* buffers too small */
    assert_int_equal(crypter_decrypt_secret(pt, 31, &pt_len, &mk, ct, ct_len, ad, sizeof(ad),
                                            err, sizeof(err)),
                     CRYPTER_ERR_ARG);
    assert_int_equal(crypter_encrypt_secret(ct2, sizeof(ct2) - 1, &ct2_len, &mk, secret,
                                            sizeof(secret), ad, sizeof(ad), err, sizeof(err)),
                     CRYPTER_ERR_ARG);

    /* the empty secret still authenticates its associated data */
    uint8_t e0[CRYPTER_SECRET_OVERHEAD];
    size_t e0_len;
    assert_int_equal(crypter_encrypt_secret(e0, sizeof(e0), &e0_len, &mk, NULL, 0, ad,
                                            sizeof(ad), err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, e0, e0_len, ad,
                                            sizeof(ad), err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(pt_len, 0);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &mk, e0, e0_len, ad2,
                                            sizeof(ad2), err, sizeof(err)),
                     CRYPTER_ERR_AUTH);
}

static void test_change_passphrase(void **state)
{
    (void)state;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN], rec2[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key mk, k;
    char err[200];
    assert_int_equal(crypter_new_master(rec, &mk, "old pass", &FAST, err, sizeof(err)),
                     CRYPTER_OK);
    const uint8_t secret[] = "a private key";
    uint8_t ct[sizeof(secret) + CRYPTER_SECRET_OVERHEAD], pt[sizeof(secret)];
    size_t ct_len, pt_len;
    assert_int_equal(crypter_encrypt_secret(ct, sizeof(ct), &ct_len, &mk, secret,
                                            sizeof(secret), (const uint8_t *)"id7", 3, err,
                                            sizeof(err)),
                     CRYPTER_OK);

    /* wrong old passphrase: refused, output wiped */
    memset(rec2, 0x33, sizeof(rec2));
    assert_int_equal(crypter_change_passphrase(rec2, rec, sizeof(rec), "not it", "new pass",
                                               NULL, err, sizeof(err)),
                     CRYPTER_ERR_PASSPHRASE);
    for (size_t i = 0; i < sizeof(rec2); i++) assert_int_equal(rec2[i], 0);
    /* empty new passphrase: refused */
    assert_int_equal(crypter_change_passphrase(rec2, rec, sizeof(rec), "old pass", "", NULL,
                                               err, sizeof(err)),
                     CRYPTER_ERR_ARG);

    assert_int_equal(crypter_change_passphrase(rec2, rec, sizeof(rec), "old pass", "new pass",
                                               NULL, err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_not_equal(rec + 10, rec2 + 10, CRYPTER_SALT_LEN); /* fresh salt */
    assert_int_equal(crypter_unlock(&k, rec2, sizeof(rec2), "old pass", err, sizeof(err)),
                     CRYPTER_ERR_PASSPHRASE);
    assert_int_equal(crypter_unlock(&k, rec2, sizeof(rec2), "new pass", err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_equal(k.k, mk.k, CRYPTER_KEY_LEN);
    assert_int_equal(crypter_decrypt_secret(pt, sizeof(pt), &pt_len, &k, ct, ct_len,
                                            (const uint8_t *)"id7", 3, err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_equal(pt, secret, sizeof(secret));
    /* parameters kept when NULL */
    struct crypter_params p;
    assert_int_equal(crypter_record_params(&p, rec2, sizeof(rec2)), CRYPTER_OK);
    assert_int_equal(p.log2_n, FAST.log2_n);
    assert_int_equal(p.r, FAST.r);

    /* in place, with new parameters */
    assert_int_equal(crypter_change_passphrase(rec2, rec2, sizeof(rec2), "new pass", "third",
                                               &FASTEST, err, sizeof(err)),
                     CRYPTER_OK);
    assert_int_equal(crypter_record_params(&p, rec2, sizeof(rec2)), CRYPTER_OK);
    assert_int_equal(p.r, 1);
    assert_int_equal(crypter_unlock(&k, rec2, sizeof(rec2), "third", err, sizeof(err)),
                     CRYPTER_OK);
    assert_memory_equal(k.k, mk.k, CRYPTER_KEY_LEN);
}

/* The parameters are read from the record: the same passphrase and salt under other
 * parameters is another key, so rewriting the parameter bytes (and fixing nothing
 * else) fails, while records made with each parameter set open. */
static void test_params_honoured(void **state)
{
    (void)state;
    const struct crypter_params sets[] = {{10, 1, 1}, {11, 1, 1}, {10, 2, 1}, {10, 1, 2}};
    char err[200];
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
        struct crypter_key mk, k;
        assert_int_equal(crypter_new_master(rec, &mk, "pw", &sets[i], err, sizeof(err)),
                         CRYPTER_OK);
        struct crypter_params p;
        assert_int_equal(crypter_record_params(&p, rec, sizeof(rec)), CRYPTER_OK);
        assert_int_equal(p.log2_n, sets[i].log2_n);
        assert_int_equal(p.r, sets[i].r);
        assert_int_equal(p.p, sets[i].p);
        assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "pw", err, sizeof(err)),
                         CRYPTER_OK);
        assert_memory_equal(k.k, mk.k, CRYPTER_KEY_LEN);
        for (size_t j = 0; j < sizeof(sets) / sizeof(sets[0]); j++) {
            if (j == i) continue;
            uint8_t other[CRYPTER_MASTER_RECORD_LEN];
            memcpy(other, rec, sizeof(rec));
            other[1] = sets[j].log2_n;
            other[2] = (uint8_t)sets[j].r;
            other[6] = (uint8_t)sets[j].p;
            assert_int_equal(crypter_unlock(&k, other, sizeof(other), "pw", err, sizeof(err)),
                             CRYPTER_ERR_PASSPHRASE);
        }
    }
}

static void test_param_bounds(void **state)
{
    (void)state;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    struct crypter_key k;
    char err[200];
    const struct crypter_params bad[] = {
        {0, 8, 1},  {21, 8, 1},  {10, 0, 1}, {10, 33, 1},
        {10, 8, 0}, {10, 8, 17}, {20, 9, 1}, /* 128 * 9 * 2^20 > 1 GiB */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(crypter_new_master(rec, &k, "pw", &bad[i], err, sizeof(err)),
                         CRYPTER_ERR_PARAMS);
        for (size_t j = 0; j < sizeof(rec); j++) assert_int_equal(rec[j], 0);
    }
    assert_int_equal(crypter_new_master(rec, &k, "", &FASTEST, err, sizeof(err)),
                     CRYPTER_ERR_ARG);
    assert_int_equal(crypter_new_master(rec, &k, NULL, &FASTEST, err, sizeof(err)),
                     CRYPTER_ERR_ARG);

    /* a record edited to demand 2^40 memory is refused before scrypt runs */
    assert_int_equal(crypter_new_master(rec, &k, "pw", &FASTEST, err, sizeof(err)), CRYPTER_OK);
    rec[1] = 40;
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "pw", err, sizeof(err)),
                     CRYPTER_ERR_PARAMS);
    rec[1] = 10;
    rec[5] = 0x80; /* r = 2^31 + 1 */
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "pw", err, sizeof(err)),
                     CRYPTER_ERR_PARAMS);
    rec[5] = 0;
    assert_int_equal(crypter_unlock(&k, rec, sizeof(rec), "pw", err, sizeof(err)), CRYPTER_OK);

    /* the defaults (32 MiB) work once: OpenSSL's own memory cap is below them, so this
     * checks that the cap is raised */
    struct crypter_key k2;
    struct crypter_params d = crypter_default_params();
    assert_int_equal(crypter_new_master(rec, &k, "pw", NULL, err, sizeof(err)), CRYPTER_OK);
    assert_int_equal(crypter_unlock(&k2, rec, sizeof(rec), "pw", err, sizeof(err)), CRYPTER_OK);
    assert_memory_equal(k.k, k2.k, CRYPTER_KEY_LEN);
    assert_int_equal(crypter_record_params(&d, rec, sizeof(rec)), CRYPTER_OK);
    assert_int_equal(d.log2_n, 15);
    assert_int_equal(d.r, 8);
    assert_int_equal(d.p, 1);
    d = crypter_default_params();
    assert_int_equal(d.log2_n, CRYPTER_DEFAULT_LOG2_N);
    for (int e = CRYPTER_OK; e <= CRYPTER_ERR_INTERNAL; e++)
        assert_non_null(crypter_error_string((enum crypter_error)e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_wrong_passphrase),
        cmocka_unit_test(test_tampered_master), cmocka_unit_test(test_fresh_salts),
        cmocka_unit_test(test_secrets),         cmocka_unit_test(test_change_passphrase),
        cmocka_unit_test(test_params_honoured), cmocka_unit_test(test_param_bounds),
    };
    return cmocka_run_group_tests_name("crypter_tests", tests, NULL, NULL);
}
