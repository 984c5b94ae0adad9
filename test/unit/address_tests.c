/* Base58(Check), bech32/bech32m, segwit addresses, address encode/decode per chain
 * profile and WIF.
 *
 * Vectors: bips/bech32-vectors.json (BIP173/BIP350, Bitcoin HRPs "bc"/"tb", passed
 * explicitly), the scriptPubKey/address pairs of bips/bip341-wallet-vectors.json, and
 * well-known Bitcoin strings. The iop known answers were computed with an independent
 * implementation of the encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "consensus/address.h"
#include "consensus/base58.h"
#include "consensus/bech32.h"
#include "test_util.h"
#include "util/hex.h"

static const struct address_params *params(const char *name)
{
    const struct chain_params *c = chainparams_by_name(name);
    if (!c) fail_msg("no chain profile %s", name);
    return &c->addr;
}

static void lower(char *dst, const char *src)
{
    while (*src) {
        char c = *src++;
        *dst++ = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    *dst = '\0';
}

/* ---- Base58 ---------------------------------------------------------------------- */

static const struct {
    const char *hex, *b58;
} BASE58_KNOWN[] = {
    {"", ""},
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647",
     "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
    {"572e4794", "3EFU7m"},
    {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
    {"10c8511e", "Rt5zm"},
    {"00000000000000000000", "1111111111"},
    {"00", "1"},
    {"0000", "11"},
};

static void test_base58_known(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(BASE58_KNOWN) / sizeof(BASE58_KNOWN[0]); i++) {
        uint8_t bin[64], back[64];
        size_t len, back_len;
        assert_true(hex_decode(bin, sizeof(bin), &len, BASE58_KNOWN[i].hex,
                               strlen(BASE58_KNOWN[i].hex)));
        char str[BASE58_MAX_STRING + 1];
        assert_true(base58_encode(str, sizeof(str), bin, len));
        assert_string_equal(str, BASE58_KNOWN[i].b58);
        assert_int_equal(base58_decode(back, sizeof(back), &back_len, BASE58_KNOWN[i].b58),
                         BASE58_OK);
        assert_int_equal(back_len, len);
        assert_memory_equal(back, bin, len);
        n++;
    }
    test_report_count("base58 known answers", n);
}

static void test_base58_errors(void **state)
{
    (void)state;
    uint8_t out[256];
    size_t len;
    /* Characters outside the alphabet, including whitespace and look-alikes. */
    const char *bad[] = {"0", "O", "I", "l", " 2g", "2g ", "2g\n", "+", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(base58_decode(out, sizeof(out), &len, bad[i]), BASE58_INVALID_CHAR);
        assert_int_equal(len, 0);
    }
    /* Too long input, and a result larger than the buffer. */
    char longstr[BASE58_MAX_STRING + 2];
    memset(longstr, '2', sizeof(longstr) - 1);
    longstr[sizeof(longstr) - 1] = '\0';
    assert_int_equal(base58_decode(out, sizeof(out), &len, longstr), BASE58_TOO_LONG);
    longstr[BASE58_MAX_STRING] = '\0';
    assert_int_equal(base58_decode(out, sizeof(out), &len, longstr), BASE58_OK);
    assert_int_equal(base58_decode(out, 4, &len, "a3gVa3gV"), BASE58_TOO_LONG);
    assert_int_equal(base58_decode(out, 3, &len, "a3gV"), BASE58_OK);
    /* Encoder bounds: data over the limit, and an output buffer one byte short. */
    uint8_t big[BASE58_MAX_DATA + 1];
    memset(big, 0xff, sizeof(big));
    char s[300];
    assert_false(base58_encode(s, sizeof(s), big, sizeof(big)));
    assert_true(base58_encode(s, sizeof(s), big, BASE58_MAX_DATA));
    assert_true(strlen(s) <= BASE58_ENCODED_MAX(BASE58_MAX_DATA));
    assert_false(base58_encode(s, 3, (const uint8_t *)"bbb", 3)); /* "a3gV" needs 5 */
    assert_string_equal(s, "");
    assert_true(base58_encode(s, 5, (const uint8_t *)"bbb", 3));
    /* Base58Check: too short and bad checksum. */
    assert_int_equal(base58check_decode(out, sizeof(out), &len, ""), BASE58_TOO_SHORT);
    assert_int_equal(base58check_decode(out, sizeof(out), &len, "2g"), BASE58_TOO_SHORT);
    assert_int_equal(
        base58check_decode(out, sizeof(out), &len, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
        BASE58_BAD_CHECKSUM);
    assert_int_equal(base58check_decode(out, 20, &len, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
                     BASE58_TOO_LONG);
    assert_string_not_equal(base58_result_string(BASE58_BAD_CHECKSUM), "");
}

static void test_base58check_roundtrip(void **state)
{
    (void)state;
    /* Every length 0..BASE58_MAX_DATA-4, with leading zeros and without. */
    size_t n = 0;
    for (size_t len = 0; len <= BASE58_MAX_DATA - 4; len++) {
        for (int variant = 0; variant < 3; variant++) {
            uint8_t data[BASE58_MAX_DATA], back[BASE58_MAX_DATA];
            for (size_t i = 0; i < len; i++)
                data[i] = variant == 0 ? 0 : variant == 1 ? 0xff : (uint8_t)(i * 37 + len);
            if (variant == 2 && len > 2) data[0] = data[1] = 0;
            char str[BASE58_MAX_STRING + 1];
            size_t back_len;
            assert_true(base58check_encode(str, sizeof(str), data, len));
            assert_int_equal(base58check_decode(back, sizeof(back), &back_len, str), BASE58_OK);
            assert_int_equal(back_len, len);
            if (len) assert_memory_equal(back, data, len);
            n++;
        }
    }
    test_report_count("base58check round trips", n);
}

/* ---- bech32 / bech32m vectors ---------------------------------------------------- */

static void check_valid_strings(json_t *list, enum bech32_encoding want, size_t *count,
                                size_t *mutations)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        char hrp[BECH32_MAX_HRP_LEN + 1], lowered[BECH32_MAX_LEN + 2],
            again[BECH32_MAX_LEN + 1];
        uint8_t data[BECH32_MAX_DATA];
        size_t n;
        enum bech32_encoding enc;
        enum bech32_error e = bech32_decode(hrp, data, &n, &enc, s);
        if (e != BECH32_OK) fail_msg("%s: %s", s, bech32_error_string(e));
        assert_int_equal(enc, want);
        assert_true(bech32_encode(again, hrp, data, n, enc));
        lower(lowered, s);
        assert_string_equal(again, lowered);
        (*count)++;

        /* Any single substituted data character breaks the checksum. */
        size_t sep = strlen(lowered);
        while (lowered[sep - 1] != '1') sep--;
        for (size_t pos = sep; pos < strlen(lowered); pos++) {
            char copy[BECH32_MAX_LEN + 2];
            strcpy(copy, lowered);
            copy[pos] = copy[pos] == 'q' ? 'p' : 'q';
            assert_int_equal(bech32_decode(hrp, data, &n, &enc, copy), BECH32_ERR_CHECKSUM);
            assert_int_equal(enc, BECH32_ENCODING_NONE);
            (*mutations)++;
        }
    }
}

static void check_invalid_strings(json_t *list, size_t *count)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(json_object_get(v, "string"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        char hrp[BECH32_MAX_HRP_LEN + 1];
        uint8_t data[BECH32_MAX_DATA];
        size_t n = 99;
        enum bech32_encoding enc;
        enum bech32_error e = bech32_decode(hrp, data, &n, &enc, s);
        if (e == BECH32_OK) fail_msg("accepted invalid string %s (%s)", s, reason);
        assert_int_equal(n, 0);
        assert_string_equal(hrp, "");
        /* The reason we give matches the vector's. */
        if (strstr(reason, "HRP character")) assert_int_equal(e, BECH32_ERR_HRP_CHAR);
        if (strstr(reason, "max length")) assert_int_equal(e, BECH32_ERR_TOO_LONG);
        if (strstr(reason, "No separator")) assert_int_equal(e, BECH32_ERR_NO_SEPARATOR);
        if (strstr(reason, "mpty HRP")) assert_int_equal(e, BECH32_ERR_EMPTY_HRP);
        if (strstr(reason, "Invalid data character") || strstr(reason, "character in checksum"))
            assert_int_equal(e, BECH32_ERR_DATA_CHAR);
        if (strstr(reason, "Too short")) assert_int_equal(e, BECH32_ERR_TOO_SHORT);
        if (strstr(reason, "uppercase form")) assert_int_equal(e, BECH32_ERR_CHECKSUM);
        (*count)++;
    }
}

/* Decodes addr with whichever of the vector HRPs it carries. */
static enum bech32_error segwit_decode_any(int *ver, uint8_t *prog, size_t *len,
                                           const char *addr)
{
    enum bech32_error e = bech32_segwit_decode(ver, prog, len, "bc", addr);
    if (e == BECH32_ERR_WRONG_HRP) e = bech32_segwit_decode(ver, prog, len, "tb", addr);
    return e;
}

/* BIP173's list predates BIP350: its witness v1+ addresses use the Bech32 checksum,
 * which BIP350 makes invalid for v1+. They must still decode as bech32 strings holding
 * the vector's program, and be refused as addresses for the checksum variant. */
static void check_superseded_address(const char *addr, const uint8_t *spk, size_t spk_len)
{
    char hrp[BECH32_MAX_HRP_LEN + 1];
    uint8_t data[BECH32_MAX_DATA], prog[BECH32_MAX_DATA];
    size_t n, prog_len;
    enum bech32_encoding enc;
    assert_int_equal(bech32_decode(hrp, data, &n, &enc, addr), BECH32_OK);
    assert_int_equal(enc, BECH32_ENCODING_BECH32);
    assert_true(n >= 1);
    assert_int_equal(spk[0], 0x50 + data[0]);
    assert_true(
        bech32_convert_bits(prog, sizeof(prog), &prog_len, 8, data + 1, n - 1, 5, false));
    assert_int_equal(prog_len + 2, spk_len);
    assert_memory_equal(prog, spk + 2, prog_len);

    int ver;
    uint8_t p[BECH32_PROGRAM_MAX];
    size_t p_len;
    assert_int_equal(bech32_segwit_decode(&ver, p, &p_len, hrp, addr),
                     BECH32_ERR_WRONG_ENCODING);
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    enum address_error want =
        strcmp(hrp, "bc") == 0 ? ADDRESS_ERR_WRONG_ENCODING : ADDRESS_ERR_WRONG_NETWORK;
    assert_int_equal(
        address_decode(script, &len, NULL, &chainparams_by_name("btc-main")->addr, addr), want);
    /* Encoding the script gives the BIP350 form instead. */
    char again[ADDRESS_MAX_LEN + 1];
    assert_true(bech32_segwit_encode(again, hrp, data[0], prog, prog_len));
    assert_int_equal(bech32_decode(hrp, data, &n, &enc, again), BECH32_OK);
    assert_int_equal(enc, BECH32_ENCODING_BECH32M);
}

static void check_valid_addresses(json_t *list, bool bip173_list, size_t *count,
                                  size_t *superseded)
{
    size_t i;
    json_t *v;
    const struct address_params *btc = params("btc-main");
    json_array_foreach(list, i, v)
    {
        const char *addr = json_string_value(json_object_get(v, "address"));
        const char *spk_hex = json_string_value(json_object_get(v, "scriptPubKey"));
        size_t spk_len;
        uint8_t *spk = test_unhex(spk_hex, &spk_len);
        if (bip173_list && spk[0] != 0) {
            check_superseded_address(addr, spk, spk_len);
            free(spk);
            (*superseded)++;
            continue;
        }

        int ver;
        uint8_t prog[BECH32_PROGRAM_MAX];
        size_t prog_len;
        enum bech32_error e = segwit_decode_any(&ver, prog, &prog_len, addr);
        if (e != BECH32_OK) fail_msg("%s: %s", addr, bech32_error_string(e));
        uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
        script[0] = ver == 0 ? 0 : (uint8_t)(0x50 + ver);
        script[1] = (uint8_t)prog_len;
        memcpy(script + 2, prog, prog_len);
        assert_int_equal(prog_len + 2, spk_len);
        assert_memory_equal(script, spk, spk_len);

        char lowered[BECH32_MAX_LEN + 1], again[BECH32_MAX_LEN + 1], hrp[3];
        lower(lowered, addr);
        memcpy(hrp, lowered, 2);
        hrp[2] = '\0';
        assert_true(bech32_segwit_encode(again, hrp, ver, prog, prog_len));
        assert_string_equal(again, lowered);

        /* Through the address layer with the btc-main profile ("bc"). */
        size_t len;
        enum address_type type;
        enum address_error ae = address_decode(script, &len, &type, btc, addr);
        if (strcmp(hrp, "bc") == 0) {
            assert_int_equal(ae, ADDRESS_OK);
            assert_int_equal(len, spk_len);
            assert_memory_equal(script, spk, spk_len);
            assert_int_equal(type, address_script_type(spk, spk_len));
            assert_int_equal(address_encode(again, btc, spk, spk_len), ADDRESS_OK);
            assert_string_equal(again, lowered);
        } else {
            assert_int_equal(ae, ADDRESS_ERR_WRONG_NETWORK);
            assert_int_equal(len, 0);
            assert_int_equal(type, ADDRESS_NONE);
        }
        free(spk);
        (*count)++;
    }
}

static void check_invalid_addresses(json_t *list, size_t *count)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *addr = json_string_value(json_object_get(v, "address"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        int ver;
        uint8_t prog[BECH32_PROGRAM_MAX];
        size_t prog_len = 99;
        enum bech32_error e = segwit_decode_any(&ver, prog, &prog_len, addr);
        if (e == BECH32_OK) fail_msg("accepted invalid address %s (%s)", addr, reason);
        assert_int_equal(ver, -1);
        assert_int_equal(prog_len, 0);
        if (strstr(reason, "human-readable")) assert_int_equal(e, BECH32_ERR_WRONG_HRP);
        if (strstr(reason, "Bech32 instead of Bech32m") ||
            strstr(reason, "Bech32m instead of Bech32"))
            assert_int_equal(e, BECH32_ERR_WRONG_ENCODING);
        if (strcmp(reason, "Invalid checksum") == 0) assert_int_equal(e, BECH32_ERR_CHECKSUM);
        if (strcmp(reason, "Invalid witness version") == 0)
            assert_int_equal(e, BECH32_ERR_WITNESS_VERSION);
        if (strstr(reason, "Invalid program length (") ||
            strcmp(reason, "Invalid program length") == 0)
            assert_int_equal(e, BECH32_ERR_PROGRAM_LENGTH);
        if (strstr(reason, "per BIP141")) assert_int_equal(e, BECH32_ERR_V0_LENGTH);
        if (strstr(reason, "Mixed case")) assert_int_equal(e, BECH32_ERR_MIXED_CASE);
        if (strstr(reason, "padding")) assert_int_equal(e, BECH32_ERR_PADDING);
        if (strstr(reason, "Empty data")) assert_int_equal(e, BECH32_ERR_EMPTY_DATA);

        /* The address layer rejects them as well, under every profile. */
        for (size_t c = 0; c < chainparams_count(); c++) {
            uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
            size_t len;
            assert_int_not_equal(
                address_decode(script, &len, NULL, &chainparams_at(c)->addr, addr), ADDRESS_OK);
        }
        (*count)++;
    }
}

static void test_bech32_vectors(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bips/bech32-vectors.json"));
    const char *sections[] = {"bech32", "bech32m"};
    for (int k = 0; k < 2; k++) {
        json_t *sec = json_object_get(root, sections[k]);
        assert_non_null(sec);
        size_t nvs = 0, nmut = 0, nis = 0, nva = 0, nia = 0, nsup = 0;
        check_valid_strings(json_object_get(sec, "valid_strings"),
                            k == 0 ? BECH32_ENCODING_BECH32 : BECH32_ENCODING_BECH32M, &nvs,
                            &nmut);
        check_invalid_strings(json_object_get(sec, "invalid_strings"), &nis);
        check_valid_addresses(json_object_get(sec, "valid_addresses"), k == 0, &nva, &nsup);
        check_invalid_addresses(json_object_get(sec, "invalid_addresses"), &nia);
        assert_true(nvs > 0 && nis > 0 && nva > 0 && nia > 0);
        char what[80];
        snprintf(what, sizeof(what), "%s valid strings", sections[k]);
        test_report_count(what, nvs);
        snprintf(what, sizeof(what), "%s one-character mutations rejected", sections[k]);
        test_report_count(what, nmut);
        snprintf(what, sizeof(what), "%s invalid strings", sections[k]);
        test_report_count(what, nis);
        snprintf(what, sizeof(what), "%s valid segwit addresses", sections[k]);
        test_report_count(what, nva);
        snprintf(what, sizeof(what), "%s invalid segwit addresses", sections[k]);
        test_report_count(what, nia);
        if (k == 0) test_report_count("bech32 v1+ addresses superseded by BIP350", nsup);
    }
    json_decref(root);
}

static void test_bip341_addresses(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bips/bip341-wallet-vectors.json"));
    const struct address_params *btc = params("btc-main");
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(json_object_get(root, "scriptPubKey"), i, v)
    {
        json_t *exp = json_object_get(v, "expected");
        const char *spk_hex = json_string_value(json_object_get(exp, "scriptPubKey"));
        const char *want = json_string_value(json_object_get(exp, "bip350Address"));
        size_t spk_len, len;
        uint8_t *spk = test_unhex(spk_hex, &spk_len);
        char addr[ADDRESS_MAX_LEN + 1];
        assert_int_equal(address_script_type(spk, spk_len), ADDRESS_P2TR);
        assert_int_equal(address_encode(addr, btc, spk, spk_len), ADDRESS_OK);
        assert_string_equal(addr, want);
        uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
        enum address_type type;
        assert_int_equal(address_decode(script, &len, &type, btc, want), ADDRESS_OK);
        assert_int_equal(type, ADDRESS_P2TR);
        assert_int_equal(len, spk_len);
        assert_memory_equal(script, spk, len);
        free(spk);
        n++;
    }
    assert_true(n > 0);
    test_report_count("bip341 taproot addresses", n);
    json_decref(root);
}

static void test_bech32_edges(void **state)
{
    (void)state;
    char out[BECH32_MAX_LEN + 1];
    uint8_t data[BECH32_MAX_DATA] = {0};
    /* Encoder refuses what the decoder would refuse. */
    assert_false(bech32_encode(out, "", data, 1, BECH32_ENCODING_BECH32));
    assert_false(bech32_encode(out, "BC", data, 1, BECH32_ENCODING_BECH32));
    assert_false(bech32_encode(out, "b c", data, 1, BECH32_ENCODING_BECH32));
    assert_false(bech32_encode(out, "bc", data, 1, BECH32_ENCODING_NONE));
    data[0] = 32;
    assert_false(bech32_encode(out, "bc", data, 1, BECH32_ENCODING_BECH32));
    data[0] = 0;
    assert_true(
        bech32_encode(out, "bc", data, BECH32_MAX_LEN - 3 - 6, BECH32_ENCODING_BECH32M));
    assert_int_equal(strlen(out), BECH32_MAX_LEN);
    assert_false(
        bech32_encode(out, "bc", data, BECH32_MAX_LEN - 2 - 6, BECH32_ENCODING_BECH32M));
    assert_string_equal(out, "");
    /* Segwit encoder rules. */
    uint8_t prog[41] = {0};
    assert_false(bech32_segwit_encode(out, "bc", 0, prog, 21));
    assert_false(bech32_segwit_encode(out, "bc", 1, prog, 1));
    assert_false(bech32_segwit_encode(out, "bc", 1, prog, 41));
    assert_false(bech32_segwit_encode(out, "bc", 17, prog, 20));
    assert_false(bech32_segwit_encode(out, "bc", -1, prog, 20));
    assert_true(bech32_segwit_encode(out, "bc", 16, prog, 40));
    assert_true(bech32_segwit_encode(out, "bc", 2, prog, 2));
    /* convert_bits: value too wide, output overflow. */
    size_t n;
    uint8_t wide = 0x20;
    assert_false(bech32_convert_bits(data, sizeof(data), &n, 8, &wide, 1, 5, false));
    assert_false(bech32_convert_bits(data, 1, &n, 5, prog, 2, 8, true));
    assert_false(bech32_convert_bits(data, sizeof(data), &n, 0, prog, 2, 8, true));
    assert_true(bech32_convert_bits(data, sizeof(data), &n, 5, prog, 2, 8, true));
    assert_int_equal(n, 4);
    /* Case: all upper case decodes, hrp comes back lower case. */
    char hrp[BECH32_MAX_HRP_LEN + 1];
    enum bech32_encoding enc;
    assert_int_equal(bech32_decode(hrp, data, &n, &enc, "A12UEL5L"), BECH32_OK);
    assert_string_equal(hrp, "a");
    assert_int_equal(bech32_decode(hrp, data, &n, &enc, "a12UEL5L"), BECH32_ERR_MIXED_CASE);
    for (int e = BECH32_OK; e <= BECH32_ERR_WRONG_ENCODING; e++)
        assert_string_not_equal(bech32_error_string((enum bech32_error)e), "unknown error");
}

/* ---- Addresses of known Bitcoin strings ------------------------------------------ */

static void expect_address(const struct address_params *p, const char *addr,
                           const char *spk_hex, enum address_type want_type)
{
    size_t spk_len, len;
    uint8_t *spk = test_unhex(spk_hex, &spk_len);
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    enum address_type type;
    enum address_error e = address_decode(script, &len, &type, p, addr);
    if (e != ADDRESS_OK) fail_msg("%s: %s", addr, address_error_string(e));
    assert_int_equal(type, want_type);
    assert_int_equal(len, spk_len);
    assert_memory_equal(script, spk, len);
    char again[ADDRESS_MAX_LEN + 1];
    assert_int_equal(address_encode(again, p, spk, spk_len), ADDRESS_OK);
    char lowered[ADDRESS_MAX_LEN + 1];
    lower(lowered, addr);
    /* Base58 is case-sensitive; bech32 comes back in lower case. */
    assert_string_equal(again, type <= ADDRESS_P2SH ? addr : lowered);
    free(spk);
}

static void test_bitcoin_addresses(void **state)
{
    (void)state;
    const struct address_params *btc = params("btc-main");
    const struct address_params *btcrt = params("btc-regtest");
    expect_address(btc, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
                   "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac", ADDRESS_P2PKH);
    expect_address(btc, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
                   "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87", ADDRESS_P2SH);
    /* HASH160 of the compressed public key of private key 1, as P2PKH and P2WPKH. */
    expect_address(btc, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH",
                   "76a914751e76e8199196d454941c45d1b3a323f1433bd688ac", ADDRESS_P2PKH);
    expect_address(btc, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                   "0014751e76e8199196d454941c45d1b3a323f1433bd6", ADDRESS_P2WPKH);
    expect_address(btc, "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                   "0014751e76e8199196d454941c45d1b3a323f1433bd6", ADDRESS_P2WPKH);
    expect_address(btc, "BC1SW50QGDZ25J", "6002751e", ADDRESS_WITNESS_UNKNOWN);
    /* Pay-to-anchor, a v1 program of 2 bytes. */
    expect_address(btc, "bc1pfeessrawgf", "51024e73", ADDRESS_WITNESS_UNKNOWN);

    /* Networks: a mainnet address is not a regtest one and vice versa. */
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    assert_int_equal(
        address_decode(script, &len, NULL, btcrt, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
        ADDRESS_ERR_WRONG_NETWORK);
    assert_int_equal(
        address_decode(script, &len, NULL, btcrt, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
        ADDRESS_ERR_WRONG_NETWORK);
    test_report_count("known bitcoin addresses", 7);
}

static void test_address_errors(void **state)
{
    (void)state;
    const struct address_params *main_p = params("main");
    const struct address_params *btc = params("btc-main");
    uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    enum address_type type;
    const struct {
        const struct address_params *p;
        const char *addr;
        enum address_error want;
    } cases[] = {
        /* Last character changed. */
        {btc, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", ADDRESS_ERR_BAD_CHECKSUM},
        {main_p, "pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfN", ADDRESS_ERR_BAD_CHECKSUM},
        {main_p, "iop1qw508d6qejxtdg4y5r3zarvary0c5xw7kx4gfvb", ADDRESS_ERR_INVALID_CHAR},
        {main_p, "iop1qw508d6qejxtdg4y5r3zarvary0c5xw7kx4gfvq", ADDRESS_ERR_BAD_CHECKSUM},
        /* A damaged bech32 address of another network still reads as bech32. */
        {main_p, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ADDRESS_ERR_BAD_CHECKSUM},
        /* Characters no encoding allows. */
        {btc, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0", ADDRESS_ERR_INVALID_CHAR},
        {btc, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVNI", ADDRESS_ERR_INVALID_CHAR},
        {btc, " 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", ADDRESS_ERR_INVALID_CHAR},
        {btc, "hello world", ADDRESS_ERR_INVALID_CHAR},
        /* Mixed case bech32 of our own prefix. */
        {main_p, "iop1qw508d6qejxtdg4y5r3zarvary0c5xw7kX4gfv0", ADDRESS_ERR_MIXED_CASE},
        /* Valid Base58Check of the wrong size: a WIF key and a bare hash. */
        {btc, "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", ADDRESS_ERR_BAD_LENGTH},
        {btc, "", ADDRESS_ERR_BAD_LENGTH},
        /* Bech32 rules on our prefix. */
        {main_p, "iop1", ADDRESS_ERR_BAD_LENGTH},
        /* Wrong networks. */
        {main_p, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", ADDRESS_ERR_WRONG_NETWORK},
        {main_p, "bc1p2wsldez5mud2yam29q22wgfh9439spgduvct83k3pm50fcxa5dps59h4z5",
         ADDRESS_ERR_WRONG_NETWORK},
        {btc, "pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM", ADDRESS_ERR_WRONG_NETWORK},
        /* A P2WSH (v0, 32 bytes) on our prefix is fine. */
        {main_p, "iop1q2wsldez5mud2yam29q22wgfh9439spgduvct83k3pm50fcxa5dpsx4xapa", ADDRESS_OK},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum address_error e = address_decode(script, &len, &type, cases[i].p, cases[i].addr);
        if (e != cases[i].want)
            fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].addr, address_error_string(e),
                     address_error_string(cases[i].want));
        if (e != ADDRESS_OK) {
            assert_int_equal(len, 0);
            assert_int_equal(type, ADDRESS_NONE);
        }
        n++;
    }

    /* Hand-made bech32 strings on our prefix that break the segwit rules. */
    char s[BECH32_MAX_LEN + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t dn;
    uint8_t prog[32];
    memset(prog, 7, sizeof(prog));
    data[0] = 0;
    assert_true(bech32_convert_bits(data + 1, sizeof(data) - 1, &dn, 5, prog, 20, 8, true));
    assert_true(bech32_encode(s, "iop", data, dn + 1, BECH32_ENCODING_BECH32M));
    assert_int_equal(address_decode(script, &len, NULL, main_p, s), ADDRESS_ERR_WRONG_ENCODING);
    data[0] = 1;
    assert_true(bech32_encode(s, "iop", data, dn + 1, BECH32_ENCODING_BECH32));
    assert_int_equal(address_decode(script, &len, NULL, main_p, s), ADDRESS_ERR_WRONG_ENCODING);
    data[0] = 17;
    assert_true(bech32_encode(s, "iop", data, dn + 1, BECH32_ENCODING_BECH32M));
    assert_int_equal(address_decode(script, &len, NULL, main_p, s),
                     ADDRESS_ERR_WITNESS_VERSION);
    data[0] = 0;
    assert_true(bech32_convert_bits(data + 1, sizeof(data) - 1, &dn, 5, prog, 21, 8, true));
    assert_true(bech32_encode(s, "iop", data, dn + 1, BECH32_ENCODING_BECH32));
    assert_int_equal(address_decode(script, &len, NULL, main_p, s), ADDRESS_ERR_PROGRAM_LENGTH);
    assert_true(bech32_encode(s, "iop", data, 0, BECH32_ENCODING_BECH32));
    assert_int_equal(address_decode(script, &len, NULL, main_p, s), ADDRESS_ERR_EMPTY_DATA);
    n += 5;

    /* Scripts without an address form. */
    const char *no_address[] = {
        "",
        "6a0474657374",                                       /* OP_RETURN */
        "0015751e76e8199196d454941c45d1b3a323f1433bd6aa",     /* v0, 21 bytes */
        "0001aa",                                             /* 1-byte program */
        "76a914751e76e8199196d454941c45d1b3a323f1433bd688ad", /* P2PKH typo */
        "21031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078fac", /* P2PK */
        "4c14751e76e8199196d454941c45d1b3a323f1433bd6", /* PUSHDATA1 program */
    };
    for (size_t i = 0; i < sizeof(no_address) / sizeof(no_address[0]); i++) {
        size_t spk_len;
        uint8_t *spk = test_unhex(no_address[i], &spk_len);
        char out[ADDRESS_MAX_LEN + 1];
        assert_int_equal(address_script_type(spk, spk_len), ADDRESS_NONE);
        assert_int_equal(address_encode(out, main_p, spk, spk_len), ADDRESS_ERR_NO_ADDRESS);
        assert_string_equal(out, "");
        free(spk);
        n++;
    }
    /* A 41-byte program is one too long for any version. */
    uint8_t long_prog[43];
    memset(long_prog, 0x75, sizeof(long_prog));
    long_prog[0] = 0x51;
    long_prog[1] = 41;
    char out[ADDRESS_MAX_LEN + 1];
    assert_int_equal(address_script_type(long_prog, sizeof(long_prog)), ADDRESS_NONE);
    assert_int_equal(address_encode(out, main_p, long_prog, sizeof(long_prog)),
                     ADDRESS_ERR_NO_ADDRESS);
    long_prog[1] = 40; /* 40 bytes plus one stray byte is not a witness program either */
    assert_int_equal(address_script_type(long_prog, sizeof(long_prog)), ADDRESS_NONE);
    assert_int_equal(address_script_type(long_prog, sizeof(long_prog) - 1),
                     ADDRESS_WITNESS_UNKNOWN);
    n += 3;
    for (int e = ADDRESS_OK; e <= ADDRESS_ERR_BAD_PARAMS; e++)
        assert_string_not_equal(address_error_string((enum address_error)e), "unknown error");
    test_report_count("address error cases", n);
}

/* ---- iop chain profiles ---------------------------------------------------------- */

static void test_chainparams(void **state)
{
    (void)state;
    assert_int_equal(chainparams_count(), 5);
    const char *names[] = {"main", "test", "regtest", "btc-main", "btc-regtest"};
    for (size_t i = 0; i < 5; i++) {
        assert_ptr_equal(chainparams_at(i), chainparams_by_name(names[i]));
        assert_string_equal(chainparams_at(i)->name, names[i]);
    }
    assert_null(chainparams_at(5));
    assert_null(chainparams_by_name("Main"));
    assert_null(chainparams_by_name("testnet"));
    assert_null(chainparams_by_name(""));
    assert_null(chainparams_by_name(NULL));

    const struct address_params *m = params("main"), *t = params("test"),
                                *r = params("regtest");
    assert_int_equal(m->p2pkh_version, 117);
    assert_int_equal(m->p2sh_version, 174);
    assert_int_equal(m->wif_version, 49);
    assert_int_equal(m->xpub_version, 0x2780915F);
    assert_int_equal(m->xprv_version, 0xAE3416F6);
    assert_string_equal(m->bech32_hrp, "iop");
    assert_int_equal(m->bip44_coin_type, 66);
    const struct address_params *tr[] = {t, r};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tr[i]->p2pkh_version, 130);
        assert_int_equal(tr[i]->p2sh_version, 49);
        assert_int_equal(tr[i]->wif_version, 76);
        assert_int_equal(tr[i]->xpub_version, 0xBB8F4852);
        assert_int_equal(tr[i]->xprv_version, 0x2B7FA42A);
        assert_int_equal(tr[i]->bip44_coin_type, 1);
    }
    assert_string_equal(t->bech32_hrp, "tiop");
    assert_string_equal(r->bech32_hrp, "riop");
    const struct address_params *b = params("btc-main"), *br = params("btc-regtest");
    assert_int_equal(b->p2pkh_version, 0);
    assert_int_equal(b->p2sh_version, 5);
    assert_int_equal(b->wif_version, 128);
    assert_int_equal(b->xpub_version, 0x0488B21E);
    assert_int_equal(b->xprv_version, 0x0488ADE4);
    assert_string_equal(b->bech32_hrp, "bc");
    assert_int_equal(b->bip44_coin_type, 0);
    assert_int_equal(br->p2pkh_version, 111);
    assert_int_equal(br->p2sh_version, 196);
    assert_int_equal(br->wif_version, 239);
    assert_int_equal(br->xpub_version, 0x043587CF);
    assert_int_equal(br->xprv_version, 0x04358394);
    assert_string_equal(br->bech32_hrp, "bcrt");
    assert_int_equal(br->bip44_coin_type, 1);
}

static const struct {
    const char *chain;
    /* Addresses of HASH160 751e76e8...3bd6 (P2PKH, P2SH, P2WPKH) and of the taproot
     * output key 53a1f6e4...a343. */
    const char *p2pkh, *p2sh, *p2wpkh, *p2tr;
    char p2pkh_first;       /* every P2PKH address of the chain starts with this */
    const char *p2sh_first; /* P2SH addresses start with one of these */
} IOP_KNOWN[] = {
    {"main", "pGDqkrmKSB5Gq2W85s5cZXG2m8avFNfHfM", "2DCVDt3kjuTVDSjT4Un4nCfmsdtGgnNCq2h",
     "iop1qw508d6qejxtdg4y5r3zarvary0c5xw7kx4gfv0",
     "iop1p2wsldez5mud2yam29q22wgfh9439spgduvct83k3pm50fcxa5dpsvzx5ep", 'p', "2"},
    {"test", "uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq", "LuEpoUVj9uZhDZ2ERLRwazkXxq4mvF7gXS",
     "tiop1qw508d6qejxtdg4y5r3zarvary0c5xw7k38tql9",
     "tiop1p2wsldez5mud2yam29q22wgfh9439spgduvct83k3pm50fcxa5dps8dz2x5", 'u', "LM"},
    {"regtest", "uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq", "LuEpoUVj9uZhDZ2ERLRwazkXxq4mvF7gXS",
     "riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m",
     "riop1p2wsldez5mud2yam29q22wgfh9439spgduvct83k3pm50fcxa5dpsa57jru", 'u', "LM"},
};

static void test_iop_addresses(void **state)
{
    (void)state;
    const char *h = "751e76e8199196d454941c45d1b3a323f1433bd6";
    const char *tweaked = "53a1f6e454df1aa2776a2814a721372d6258050de330b3c6d10ee8f4e0dda343";
    char spk_p2pkh[80], spk_p2sh[80], spk_p2wpkh[80], spk_p2tr[80];
    snprintf(spk_p2pkh, sizeof(spk_p2pkh), "76a914%s88ac", h);
    snprintf(spk_p2sh, sizeof(spk_p2sh), "a914%s87", h);
    snprintf(spk_p2wpkh, sizeof(spk_p2wpkh), "0014%s", h);
    snprintf(spk_p2tr, sizeof(spk_p2tr), "5120%s", tweaked);
    size_t n = 0;
    for (size_t i = 0; i < sizeof(IOP_KNOWN) / sizeof(IOP_KNOWN[0]); i++) {
        const struct address_params *p = params(IOP_KNOWN[i].chain);
        expect_address(p, IOP_KNOWN[i].p2pkh, spk_p2pkh, ADDRESS_P2PKH);
        expect_address(p, IOP_KNOWN[i].p2sh, spk_p2sh, ADDRESS_P2SH);
        expect_address(p, IOP_KNOWN[i].p2wpkh, spk_p2wpkh, ADDRESS_P2WPKH);
        expect_address(p, IOP_KNOWN[i].p2tr, spk_p2tr, ADDRESS_P2TR);
        n += 4;

        /* Leading characters hold over the whole hash range. */
        for (int fill = 0; fill < 3; fill++) {
            uint8_t script[25] = {0x76, 0xa9, 0x14};
            memset(script + 3, fill == 0 ? 0x00 : fill == 1 ? 0xff : 0x5a, 20);
            script[23] = 0x88;
            script[24] = 0xac;
            char addr[ADDRESS_MAX_LEN + 1];
            assert_int_equal(address_encode(addr, p, script, 25), ADDRESS_OK);
            assert_int_equal(addr[0], IOP_KNOWN[i].p2pkh_first);
            uint8_t p2sh[23] = {0xa9, 0x14};
            memcpy(p2sh + 2, script + 3, 20);
            p2sh[22] = 0x87;
            assert_int_equal(address_encode(addr, p, p2sh, 23), ADDRESS_OK);
            assert_non_null(strchr(IOP_KNOWN[i].p2sh_first, addr[0]));
            n += 2;
        }
    }
    assert_int_equal(IOP_KNOWN[0].p2sh[1], 'D'); /* main P2SH: "2D..." */

    /* Every address of every profile is rejected by the other profiles as the wrong
     * network, except that test and regtest share their Base58 prefixes (as Bitcoin's
     * testnet and regtest do) and differ only in the bech32 prefix. */
    for (size_t c = 0; c < chainparams_count(); c++) {
        const struct chain_params *other = chainparams_at(c);
        for (size_t i = 0; i < sizeof(IOP_KNOWN) / sizeof(IOP_KNOWN[0]); i++) {
            const char *own = IOP_KNOWN[i].chain;
            if (strcmp(other->name, own) == 0) continue;
            bool shared58 =
                (strcmp(own, "test") == 0 || strcmp(own, "regtest") == 0) &&
                (strcmp(other->name, "test") == 0 || strcmp(other->name, "regtest") == 0);
            const char *addrs[] = {IOP_KNOWN[i].p2pkh, IOP_KNOWN[i].p2sh, IOP_KNOWN[i].p2wpkh,
                                   IOP_KNOWN[i].p2tr};
            for (int a = 0; a < 4; a++) {
                uint8_t script[ADDRESS_MAX_SCRIPT_LEN];
                size_t len;
                enum address_error e =
                    address_decode(script, &len, NULL, &other->addr, addrs[a]);
                enum address_error want =
                    shared58 && a < 2 ? ADDRESS_OK : ADDRESS_ERR_WRONG_NETWORK;
                if (e != want)
                    fail_msg("%s under %s: %s", addrs[a], other->name, address_error_string(e));
                n++;
            }
        }
    }
    test_report_count("iop chain addresses", n);
}

/* ---- WIF ------------------------------------------------------------------------- */

static void test_wif(void **state)
{
    (void)state;
    uint8_t one[32] = {0};
    one[31] = 1;
    uint8_t classic[32];
    size_t len;
    assert_true(hex_decode(classic, 32, &len,
                           "0c28fca386c7a227600b2fe50b7cae11ec86d3bf1fbe471be89827e19d72aa1d",
                           64));
    const struct {
        const char *chain;
        const uint8_t *key;
        bool compressed;
        const char *wif;
    } known[] = {
        {"btc-main", one, true, "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"},
        {"btc-main", one, false, "5HpHagT65TZzG1PH3CSu63k8DbpvD8s5ip4nEB3kEsreAnchuDf"},
        {"btc-main", classic, false, "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"},
        {"btc-regtest", one, true, "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA"},
        {"main", one, true, "8FQu1uf5aXtjkMee6iLm1XdsCHqxuWHcyeXPRFye4SvsoikDSfDQ"},
        {"main", one, false, "2eFUeMzZkr96cCUZRQQxjiNwsbBBrWHuZKUGxLhvi7L1BcvkqKD"},
        {"test", one, true, "CF4vTGPNJgdT4L1P2kzsWEC1v2GaSocFNaLuXXLCKNH6QfBkaaDo"},
        {"test", one, false, "3YjaQd7RmLQDFMAbu4AwVNZrbfoaQX3YoaPBYPH8YoWUWTDRQ7G"},
        {"regtest", one, true, "CF4vTGPNJgdT4L1P2kzsWEC1v2GaSocFNaLuXXLCKNH6QfBkaaDo"},
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        const struct address_params *p = params(known[i].chain);
        char wif[WIF_MAX_LEN + 1];
        assert_true(wif_encode(wif, p, known[i].key, known[i].compressed));
        assert_string_equal(wif, known[i].wif);
        uint8_t key[32];
        bool compressed;
        assert_int_equal(wif_decode(key, &compressed, p, known[i].wif), ADDRESS_OK);
        assert_memory_equal(key, known[i].key, 32);
        assert_int_equal(compressed, known[i].compressed);
        n++;
    }

    /* Wrong network, bad checksum, wrong length and flag, invalid keys. */
    uint8_t key[32];
    bool compressed = true;
    assert_int_equal(wif_decode(key, &compressed, params("main"), known[0].wif),
                     ADDRESS_ERR_WRONG_NETWORK);
    assert_false(compressed);
    assert_int_equal(wif_decode(key, &compressed, params("btc-main"), known[4].wif),
                     ADDRESS_ERR_WRONG_NETWORK);
    assert_int_equal(wif_decode(key, &compressed, params("main"), known[6].wif),
                     ADDRESS_ERR_WRONG_NETWORK);
    assert_int_equal(wif_decode(key, &compressed, params("btc-main"),
                                "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWo"),
                     ADDRESS_ERR_BAD_CHECKSUM);
    assert_int_equal(
        wif_decode(key, &compressed, params("btc-main"), "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
        ADDRESS_ERR_BAD_LENGTH);
    assert_int_equal(wif_decode(key, &compressed, params("btc-main"), "0"),
                     ADDRESS_ERR_INVALID_CHAR);
    n += 6;
    const struct address_params *btc = params("btc-main");
    uint8_t payload[35];
    char s[BASE58_MAX_STRING + 1];
    payload[0] = 128;
    memcpy(payload + 1, one, 32);
    payload[33] = 0x02; /* compression flag must be 0x01 */
    assert_true(base58check_encode(s, sizeof(s), payload, 34));
    assert_int_equal(wif_decode(key, &compressed, btc, s), ADDRESS_ERR_BAD_LENGTH);
    payload[33] = 0x01;
    payload[34] = 0x01;
    assert_true(base58check_encode(s, sizeof(s), payload, 35));
    assert_int_equal(wif_decode(key, &compressed, btc, s), ADDRESS_ERR_BAD_LENGTH);
    memset(payload + 1, 0, 32); /* key 0 */
    assert_true(base58check_encode(s, sizeof(s), payload, 33));
    assert_int_equal(wif_decode(key, &compressed, btc, s), ADDRESS_ERR_INVALID_KEY);
    static const uint8_t order[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                      0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                      0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    memcpy(payload + 1, order, 32); /* key n */
    assert_true(base58check_encode(s, sizeof(s), payload, 33));
    assert_int_equal(wif_decode(key, &compressed, btc, s), ADDRESS_ERR_INVALID_KEY);
    uint8_t zero[32] = {0};
    assert_memory_equal(key, zero, 32);
    char w[WIF_MAX_LEN + 1];
    assert_false(wif_encode(w, btc, zero, true));
    assert_false(wif_encode(w, btc, order, true));
    assert_string_equal(w, "");
    n += 6;

    /* Round trips with leading characters per chain. */
    for (size_t c = 0; c < 3; c++) {
        const struct chain_params *cp = chainparams_at(c);
        for (int fill = 1; fill < 4; fill++) {
            uint8_t k[32], back[32];
            memset(k, fill == 1 ? 0x01 : fill == 2 ? 0x7f : 0xee, 32);
            for (int comp = 0; comp < 2; comp++) {
                assert_true(wif_encode(w, &cp->addr, k, comp));
                char first = w[0];
                if (c == 0)
                    assert_int_equal(first, comp ? '8' : '2');
                else
                    assert_int_equal(first, comp ? 'C' : '3');
                assert_int_equal(wif_decode(back, &compressed, &cp->addr, w), ADDRESS_OK);
                assert_memory_equal(back, k, 32);
                assert_int_equal(compressed, comp);
                n++;
            }
        }
    }
    test_report_count("WIF cases", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base58_known),
        cmocka_unit_test(test_base58_errors),
        cmocka_unit_test(test_base58check_roundtrip),
        cmocka_unit_test(test_bech32_vectors),
        cmocka_unit_test(test_bip341_addresses),
        cmocka_unit_test(test_bech32_edges),
        cmocka_unit_test(test_bitcoin_addresses),
        cmocka_unit_test(test_address_errors),
        cmocka_unit_test(test_chainparams),
        cmocka_unit_test(test_iop_addresses),
        cmocka_unit_test(test_wif),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
