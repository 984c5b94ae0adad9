/* BIP340 Schnorr signatures: every row of the BIP's test vector file is verified with
 * pubkey_schnorr_verify, and rows with a secret key are re-signed with libsecp256k1
 * (using the row's aux_rand) and must reproduce the signature byte for byte. */
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

#include "consensus/pubkey.h"
#include "test_util.h"
#include "util/hex.h"

#define FIELDS 8

/* Splits line (modified in place) at commas into exactly FIELDS fields. */
static bool split_csv(char *line, char *fields[FIELDS])
{
    size_t n = 0;
    char *p = line;
    fields[n++] = p;
    for (; *p; p++) {
        if (*p == ',') {
            *p = 0;
            if (n == FIELDS) return false;
            fields[n++] = p + 1;
        }
    }
    return n == FIELDS;
}

static void unhex_fixed(const char *hex, uint8_t *out, size_t want)
{
    size_t len;
    if (!hex_decode(out, want, &len, hex, strlen(hex)) || len != want)
        fail_msg("bad hex field: %s", hex);
}

/* Signs msg with the row's key and aux_rand exactly as BIP340's reference does. */
static void sign_row(secp256k1_context *ctx, const uint8_t sk[32], const uint8_t aux[32],
                     const uint8_t *msg, size_t msg_len, const uint8_t pub[32], uint8_t sig[64])
{
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xo;
    uint8_t derived[32];
    assert_true(secp256k1_keypair_create(ctx, &kp, sk));
    assert_true(secp256k1_keypair_xonly_pub(ctx, &xo, NULL, &kp));
    assert_true(secp256k1_xonly_pubkey_serialize(ctx, derived, &xo));
    assert_memory_equal(derived, pub, 32);
    if (msg_len == 32) {
        assert_true(secp256k1_schnorrsig_sign32(ctx, sig, msg, &kp, aux));
    } else {
        /* Other message lengths (added to BIP340 later) need the custom interface. */
        secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
        params.ndata = (unsigned char *)aux;
        assert_true(secp256k1_schnorrsig_sign_custom(ctx, sig, msg, msg_len, &kp, &params));
    }
}

static void test_bip340_vectors(void **state)
{
    (void)state;
    size_t len;
    char *text =
        (char *)test_read_file(test_vector_path("bips/bip340-schnorr-vectors.csv"), &len);
    assert_non_null(text);
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    assert_non_null(ctx);

    size_t rows = 0, signed_rows = 0;
    bool header = true;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (ll == 0) continue;
        if (header) { /* index,secret key,public key,... */
            header = false;
            continue;
        }
        char *f[FIELDS];
        if (!split_csv(line, f)) fail_msg("bad CSV row: %s", line);
        const char *index = f[0], *sk_hex = f[1], *pub_hex = f[2], *aux_hex = f[3];
        const char *msg_hex = f[4], *sig_hex = f[5], *result = f[6];

        uint8_t pub[32], sig[64], *msg;
        size_t msg_len;
        unhex_fixed(pub_hex, pub, 32);
        unhex_fixed(sig_hex, sig, 64);
        assert_true(hex_decode_alloc(msg_hex, &msg, &msg_len));
        bool expect = strcmp(result, "TRUE") == 0;
        assert_true(expect || strcmp(result, "FALSE") == 0);

        bool got = pubkey_schnorr_verify(pub, sig, msg, msg_len);
        if (got != expect)
            fail_msg("row %s: verify gave %d, want %d (%s)", index, got, expect, f[7]);
        if (expect) assert_true(pubkey_xonly_is_valid(pub));

        if (*sk_hex) {
            uint8_t sk[32], aux[32], mine[64];
            unhex_fixed(sk_hex, sk, 32);
            unhex_fixed(aux_hex, aux, 32);
            sign_row(ctx, sk, aux, msg, msg_len, pub, mine);
            if (memcmp(mine, sig, 64) != 0) fail_msg("row %s: signature differs", index);
            signed_rows++;
        }
        free(msg);
        rows++;
    }
    free(text);
    secp256k1_context_destroy(ctx);
    test_report_count("bip340-schnorr-vectors.csv", rows);
    test_report_count("bip340 signing rows", signed_rows);
    assert_int_equal(rows, 19);
    assert_true(signed_rows >= 4);
}

static void test_xonly_keys(void **state)
{
    (void)state;
    uint8_t k[32];
    /* Vector 5's key is not on the curve; vector 14's exceeds the field size. */
    unhex_fixed("EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34", k, 32);
    assert_false(pubkey_xonly_is_valid(k));
    unhex_fixed("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30", k, 32);
    assert_false(pubkey_xonly_is_valid(k));
    /* The generator's x coordinate. */
    unhex_fixed("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798", k, 32);
    assert_true(pubkey_xonly_is_valid(k));

    /* Tweaking by zero gives the key itself with even Y (x-only keys are even). */
    uint8_t zero[32] = {0}, out[32], order[32];
    int parity = -1;
    assert_true(pubkey_xonly_tweak_add(out, &parity, k, zero));
    assert_memory_equal(out, k, 32);
    assert_int_equal(parity, 0);
    assert_true(pubkey_xonly_tweak_add_check(out, 0, k, zero));
    assert_false(pubkey_xonly_tweak_add_check(out, 1, k, zero));
    /* A tweak not below the group order is refused. */
    unhex_fixed("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", order, 32);
    assert_false(pubkey_xonly_tweak_add(out, &parity, k, order));
    assert_false(pubkey_xonly_tweak_add_check(out, 0, k, order));
    /* An invalid internal key is refused by both. */
    memset(k, 0xff, 32);
    assert_false(pubkey_xonly_tweak_add(out, &parity, k, zero));
    assert_false(pubkey_xonly_tweak_add_check(out, 0, k, zero));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip340_vectors),
        cmocka_unit_test(test_xonly_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
