/* Scripts and transactions as RPC shows them (src/chain/script_format.h): asm strings
 * against known Bitcoin Core outputs, BIP380 descriptor checksums, inferred descriptors
 * for each standard type, the decoded-script object, amount text and parsing, and the
 * decoded-transaction object of a known mainnet transaction. Then the raw-transaction
 * RPC table (src/chain/rawtx_rpc.h) is called directly for its error paths and the
 * message-signing round trip, so the sanitizer builds exercise them too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "chain/rawtx_rpc.h"
#include "chain/script_format.h"
#include "consensus/bech32.h"
#include "test_util.h"

static const struct address_params *regtest(void)
{
    return &chainparams_by_name("regtest")->addr;
}

static void check_asm(const char *hex, bool decode, const char *want)
{
    size_t len;
    uint8_t *s = test_unhex(hex, &len);
    char *got = script_to_asm(s, len, decode);
    assert_non_null(got);
    if (strcmp(got, want) != 0) fail_msg("asm of %s:\n got  %s\n want %s", hex, got, want);
    free(got);
    free(s);
}

#define KEY1C  "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define XONLY1 "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define HASH1  "751e76e8199196d454941c45d1b3a323f1433bd6"
/* Signature from Core's rpc_decodescript.py / decoderawtransaction sighash test. */
#define SIG_ALL                                                                                \
    "304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c"  \
    "5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb"

static void test_asm(void **state)
{
    (void)state;
    check_asm("76a914" HASH1 "88ac", false,
              "OP_DUP OP_HASH160 " HASH1 " OP_EQUALVERIFY OP_CHECKSIG");
    check_asm("a914" HASH1 "87", false, "OP_HASH160 " HASH1 " OP_EQUAL");
    check_asm("0014" HASH1, false, "0 " HASH1);
    check_asm("21" KEY1C "ac", false, KEY1C " OP_CHECKSIG");
    check_asm("5121" KEY1C "51ae", false, "1 " KEY1C " 1 OP_CHECKMULTISIG");
    check_asm("", false, "");
    /* Numbers: pushes of up to 4 bytes as CScriptNum, OP_N, OP_1NEGATE. */
    check_asm("00", false, "0");
    check_asm("4f", false, "-1");
    check_asm("60", false, "16");
    check_asm("0101", false, "1");
    check_asm("0181", false, "-1");
    check_asm("0180", false, "0");
    check_asm("02e803", false, "1000");
    check_asm("04ffffff7f", false, "2147483647");
    check_asm("04ffffffff", false, "-2147483647");
    check_asm("050000000080", false, "0000000080");
    check_asm("4c0107", false, "7");
    check_asm("b175", false, "OP_CHECKLOCKTIMEVERIFY OP_DROP");
    check_asm("ba", false, "OP_CHECKSIGADD");
    check_asm("bb", false, "OP_UNKNOWN");
    /* Truncated pushes. */
    check_asm("51"
              "4c",
              false, "1 [error]");
    check_asm("0501020304", false, "[error]");
    check_asm("6a0b68656c6c6f20776f726c64", false, "OP_RETURN 68656c6c6f20776f726c64");
    /* Signatures in scriptSigs: the hash type is decoded only when asked. */
    check_asm("47" SIG_ALL "01", true, SIG_ALL "[ALL]");
    check_asm("47" SIG_ALL "01", false, SIG_ALL "01");
    check_asm("47" SIG_ALL "81", true, SIG_ALL "[ALL|ANYONECANPAY]");
    check_asm("47" SIG_ALL "02", true, SIG_ALL "[NONE]");
    check_asm("47" SIG_ALL "83", true, SIG_ALL "[SINGLE|ANYONECANPAY]");
    /* Undefined hash type: plain hex. */
    check_asm("47" SIG_ALL "04", true, SIG_ALL "04");
    /* Not in an unspendable script. */
    check_asm("6a47" SIG_ALL "01", true, "OP_RETURN " SIG_ALL "01");
    /* Core's full scriptSig from its decoderawtransaction_asm_sighashtype test. */
    check_asm("47" SIG_ALL "01"
              "4104d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9"
              "a48f2828a15a09e84043001f27cc80d162cb95404e1210161536",
              true,
              SIG_ALL "[ALL] 04d3f898e6487787910a690410b7a917ef198905c27fb9d3b0a42da12aceae0544"
                      "fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb95404e1210161536");
}

static void test_checksum(void **state)
{
    (void)state;
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    /* BIP380 test vectors. */
    assert_true(descriptor_checksum(sum, "raw(deadbeef)"));
    assert_string_equal(sum, "89f8spxm");
    assert_true(descriptor_checksum_valid("raw(deadbeef)#89f8spxm"));
    assert_false(descriptor_checksum_valid("raw(deadbeef)#89f8spxmx"));
    assert_false(descriptor_checksum_valid("raw(deadbeef)#89f8spx"));
    assert_false(descriptor_checksum_valid("raw(deadbeef)#89f8spxn"));
    assert_false(descriptor_checksum_valid("raw(deedbeef)#89f8spxm"));
    assert_false(descriptor_checksum_valid("raw(deadbeef)"));
    assert_false(descriptor_checksum(sum, "raw(\xc3\x9c)"));
    assert_false(descriptor_checksum_valid("raw(\xc3\x9c)#00000000"));
    /* Core's doc/descriptors.md example. */
    assert_true(descriptor_checksum(sum, "pk(" KEY1C ")"));
    assert_string_equal(sum, "gn28ywm7");
    /* Computed with BIP380's Python reference (descsum_create). */
    assert_true(descriptor_checksum(sum, "addr(riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m)"));
    assert_string_equal(sum, "kkcr2j6w");
    assert_true(descriptor_checksum(sum, "addr(uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq)"));
    assert_string_equal(sum, "g4x49ppd");
    assert_true(descriptor_checksum(sum, "raw()"));
    assert_string_equal(sum, "58lrscpx");
    /* Round trip: every checksum we make validates, and changing one character of the
     * payload breaks it (the code detects every single-character error). */
    const char *samples[] = {"addr(riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m)", "raw()",
                             "multi(1," KEY1C ")", "wsh(pk(" KEY1C "))"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char buf[200];
        assert_true(descriptor_checksum(sum, samples[i]));
        snprintf(buf, sizeof buf, "%s#%s", samples[i], sum);
        assert_true(descriptor_checksum_valid(buf));
        buf[5] = buf[5] == 'a' ? 'b' : 'a';
        assert_false(descriptor_checksum_valid(buf));
    }
}

static void check_desc(const char *hex, const char *want_body)
{
    size_t len;
    uint8_t *s = test_unhex(hex, &len);
    char *got = script_infer_descriptor(s, len, regtest());
    assert_non_null(got);
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    assert_true(descriptor_checksum(sum, want_body));
    char want[400];
    snprintf(want, sizeof want, "%s#%s", want_body, sum);
    if (strcmp(got, want) != 0) fail_msg("desc of %s:\n got  %s\n want %s", hex, got, want);
    assert_true(descriptor_checksum_valid(got));
    free(got);
    free(s);
}

static void test_descriptors(void **state)
{
    (void)state;
    check_desc("76a914" HASH1 "88ac", "addr(uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq)");
    check_desc("0014" HASH1, "addr(riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m)");
    check_desc("21" KEY1C "ac", "pk(" KEY1C ")");
    check_desc("5121" KEY1C "21" KEY1C "52ae", "multi(1," KEY1C "," KEY1C ")");
    check_desc("5120" XONLY1, "rawtr(" XONLY1 ")");
    /* x = p + 1 is not on the curve: Core falls back to the address. */
    size_t len;
    uint8_t *s = test_unhex(
        "5120ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &len);
    char *d = script_infer_descriptor(s, len, regtest());
    assert_non_null(d);
    assert_memory_equal(d, "addr(riop1p", 11);
    assert_true(descriptor_checksum_valid(d));
    free(d);
    free(s);
    check_desc("6a0401020304", "raw(6a0401020304)");
    check_desc("", "raw()");
    check_desc("51", "raw(51)");
    /* P2A and future witness versions have addresses. */
    s = test_unhex("51024e73", &len);
    d = script_infer_descriptor(s, len, regtest());
    assert_memory_equal(d, "addr(riop1p", 11);
    free(d);
    free(s);
}

static void test_script_json(void **state)
{
    (void)state;
    size_t len;
    uint8_t *s = test_unhex("76a914" HASH1 "88ac", &len);
    json_t *o = script_to_json(s, len, regtest(), true, true);
    assert_non_null(o);
    const char *keys[] = {"asm", "desc", "hex", "address", "type"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) assert_string_equal(k, keys[i++]);
    assert_int_equal(i, 5);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "pubkeyhash");
    assert_string_equal(json_string_value(json_object_get(o, "address")),
                        "uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq");
    json_decref(o);
    free(s);
    /* Bare pubkey: no address; without include_address no desc either. */
    s = test_unhex("21" KEY1C "ac", &len);
    o = script_to_json(s, len, regtest(), false, true);
    assert_null(json_object_get(o, "address"));
    assert_null(json_object_get(o, "hex"));
    assert_string_equal(json_string_value(json_object_get(o, "type")), "pubkey");
    json_decref(o);
    o = script_to_json(s, len, regtest(), true, false);
    assert_null(json_object_get(o, "desc"));
    json_decref(o);
    free(s);
}

static void check_amount(int64_t v, const char *want)
{
    char buf[AMOUNT_TEXT_MAX];
    amount_format(buf, v);
    assert_string_equal(buf, want);
    /* The JSON real is the double nearest to the text, and parses back exactly. */
    json_t *j = amount_to_json(v);
    assert_true(json_real_value(j) == strtod(want, NULL));
    json_decref(j);
    int64_t back;
    if (v >= -999999999999999999LL && v <= 999999999999999999LL) {
        assert_true(amount_parse(buf, &back));
        assert_true(back == v);
    }
}

static void test_amounts(void **state)
{
    (void)state;
    check_amount(0, "0.00000000");
    check_amount(1, "0.00000001");
    check_amount(12345, "0.00012345");
    check_amount(COIN, "1.00000000");
    check_amount(MAX_MONEY, "21000000.00000000");
    check_amount(MAX_MONEY - 1, "20999999.99999999");
    check_amount(-1, "-0.00000001");
    check_amount(-150000000, "-1.50000000");
    check_amount(INT64_MIN, "-92233720368.54775808");
    check_amount(INT64_MAX, "92233720368.54775807");
    int64_t v;
    assert_true(amount_parse("1", &v) && v == COIN);
    assert_true(amount_parse("1e-8", &v) && v == 1);
    assert_true(amount_parse("0.1", &v) && v == 10000000);
    assert_true(amount_parse("-0.5", &v) && v == -50000000);
    assert_true(amount_parse("21000000", &v) && v == MAX_MONEY);
    assert_true(amount_parse("1.00000000000", &v) && v == COIN);
    assert_false(amount_parse("0.000000001", &v));
    assert_false(amount_parse("10000000000", &v));
    assert_false(amount_parse("", &v));
    assert_false(amount_parse("-", &v));
    assert_false(amount_parse("1.", &v));
    assert_false(amount_parse(".5", &v));
    assert_false(amount_parse("01", &v));
    assert_false(amount_parse("1e", &v));
    assert_false(amount_parse("abc", &v));
    assert_false(amount_parse("1 ", &v));
}

/* Core's decoderawtransaction_asm_sighashtype transaction (mainnet, P2PKH). */
#define TX_SIGHASH                                                                             \
    "0100000001696a20784a2c70143f634e95227dbdfdf0ecd51647052e70854512235f5986ca010000008a47"   \
    "304402207174775824bec6c2700023309a168231ec80b82c6069282f5133e6f11cbb04460220570edc55c7c"  \
    "5da2ca687ebd0372d3546ebc3f810516a002350cac72dfe192dfb014104d3f898e6487787910a690410b7a9"  \
    "17ef198905c27fb9d3b0a42da12aceae0544fc7088d239d9a48f2828a15a09e84043001f27cc80d162cb954"  \
    "04e1210161536ffffffff0100e1f505000000001976a914eb6c6e0cdb2d256a32d97b8df1fc75d1920d9bca"  \
    "88ac00000000"

static void test_tx_json(void **state)
{
    (void)state;
    size_t len;
    uint8_t *raw = test_unhex(TX_SIGHASH, &len);
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_from_bytes(&tx, raw, len, true));
    json_t *o = tx_to_json(&tx, regtest());
    assert_non_null(o);
    const char *keys[] = {"txid",   "hash",     "version", "size", "vsize",
                          "weight", "locktime", "vin",     "vout"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) assert_string_equal(k, keys[i++]);
    assert_int_equal(i, 9);
    assert_int_equal(json_integer_value(json_object_get(o, "size")), len);
    assert_int_equal(json_integer_value(json_object_get(o, "vsize")), len);
    assert_int_equal(json_integer_value(json_object_get(o, "weight")), 4 * len);
    json_t *in = json_array_get(json_object_get(o, "vin"), 0);
    assert_string_equal(json_string_value(json_object_get(in, "txid")),
                        "ca86595f23124585702e054716d5ecf0fdbd7d22954e633f14702c4a78206a69");
    assert_int_equal(json_integer_value(json_object_get(in, "vout")), 1);
    assert_int_equal(json_integer_value(json_object_get(in, "sequence")), 4294967295LL);
    assert_null(json_object_get(in, "txinwitness"));
    const char *sasm =
        json_string_value(json_object_get(json_object_get(in, "scriptSig"), "asm"));
    assert_non_null(strstr(sasm, "dfb[ALL] 04d3f8"));
    json_t *out = json_array_get(json_object_get(o, "vout"), 0);
    assert_true(json_real_value(json_object_get(out, "value")) == 1.0);
    assert_int_equal(json_integer_value(json_object_get(out, "n")), 0);
    json_decref(o);
    tx_clear(&tx);
    free(raw);
}

/* ---- the RPC table, called directly ---- */

static const struct rpc_method *method(const struct rpc_table *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->methods[i].name, name) == 0) return &t->methods[i];
    fail_msg("no method %s", name);
    return NULL;
}

/* Calls name with params (JSON text); returns the result (caller decrefs) or NULL with
 * the error code in *code. */
static json_t *call(const char *name, const char *params, int *code, char *msg, size_t msgcap)
{
    struct rawtx_rpc_ctx ctx = {chainparams_by_name("regtest")};
    struct rpc_table t = rawtx_rpc_table(&ctx);
    json_error_t jerr;
    json_t *p = json_loads(params, 0, &jerr);
    assert_non_null(p);
    json_t *result = NULL;
    struct rpc_error err = {0};
    bool ok = rpc_method_call(method(&t, name), t.ctx, p, &result, &err);
    json_decref(p);
    *code = ok ? 0 : err.code;
    if (msg) snprintf(msg, msgcap, "%s", err.message ? err.message : "");
    rpc_error_clear(&err);
    return result;
}

static void expect_error(const char *name, const char *params, int code, const char *substr)
{
    int got;
    char msg[512];
    json_t *r = call(name, params, &got, msg, sizeof msg);
    if (r || got != code || !strstr(msg, substr))
        fail_msg("%s %s: code %d '%s', wanted %d '%s'", name, params, got, msg, code, substr);
}

static void test_rpc_errors(void **state)
{
    (void)state;
    const char *txid = "\""
                       "a3b807410df0b60fcb9736768df5823938b2f838694939ba45f3c0a1bff150ed"
                       "\"";
    char buf[512];
    expect_error("decoderawtransaction", "[\"\"]", -22, "TX decode failed");
    expect_error("decoderawtransaction", "[\"zz\"]", -22, "TX decode failed");
    expect_error("decoderawtransaction", "[\"0100\"]", -22, "TX decode failed");
    expect_error("decodescript", "[\"0g\"]", -8, "argument must be hexadecimal string");
    expect_error("createrawtransaction", "[[\"foo\"], {}]", -3,
                 "JSON value of type string is not of expected type object");
    expect_error("createrawtransaction", "[[{}], {}]", -3,
                 "JSON value of type null is not of expected type string");
    expect_error("createrawtransaction", "[[{\"txid\": \"foo\"}], {}]", -8,
                 "txid must be of length 64 (not 3, for 'foo')");
    snprintf(buf, sizeof buf, "[[{\"txid\": %s}], {}]", txid);
    expect_error("createrawtransaction", buf, -8, "Invalid parameter, missing vout key");
    snprintf(buf, sizeof buf, "[[{\"txid\": %s, \"vout\": -1}], {}]", txid);
    expect_error("createrawtransaction", buf, -8, "Invalid parameter, vout cannot be negative");
    snprintf(buf, sizeof buf, "[[{\"txid\": %s, \"vout\": 0, \"sequence\": 4294967296}], {}]",
             txid);
    expect_error("createrawtransaction", buf, -8, "sequence number is out of range");
    expect_error("createrawtransaction", "[[], {\"data\": \"foo\"}]", -8,
                 "Data must be hexadecimal string (not 'foo')");
    expect_error("createrawtransaction", "[[], {\"foo\": 0}]", -5, "Invalid IoP address: foo");
    expect_error("createrawtransaction",
                 "[[], {\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": \"x\"}]", -3, "Invalid amount");
    expect_error("createrawtransaction", "[[], {\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": -1}]",
                 -3, "Amount out of range");
    expect_error("createrawtransaction",
                 "[[], {\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": 0.000000001}]", -3,
                 "Invalid amount");
    expect_error("createrawtransaction",
                 "[[], [{\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": 1}, "
                 "{\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": 1}]]",
                 -8, "duplicated address: uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq");
    expect_error("createrawtransaction", "[[], [{\"data\": \"aa\"}, {\"data\": \"bb\"}]]", -8,
                 "Invalid parameter, duplicate key: data");
    expect_error("createrawtransaction", "[[], [{\"a\": 1, \"b\": 2}]]", -8,
                 "key-value pair must contain exactly one key");
    expect_error("createrawtransaction", "[[], [[\"x\"]]]", -8,
                 "key-value pair not an object as expected");
    expect_error("createrawtransaction", "[[], {}, -1]", -8, "locktime out of range");
    expect_error("createrawtransaction", "[[], {}, 4294967296]", -8, "locktime out of range");
    snprintf(buf, sizeof buf,
             "[[{\"txid\": %s, \"vout\": 0, \"sequence\": 4294967294}], {}, 0, true]", txid);
    expect_error("createrawtransaction", buf, -8, "contradict replaceable option");
    expect_error("verifymessage", "[\"foo\", \"AA==\", \"m\"]", -5, "Invalid address");
    expect_error("verifymessage",
                 "[\"riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m\", \"AA==\", \"m\"]", -3,
                 "Address does not refer to key");
    expect_error("verifymessage", "[\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\", \"A\", \"m\"]", -3,
                 "Malformed base64 encoding");
    expect_error("signmessagewithprivkey", "[\"foo\", \"m\"]", -5, "Invalid private key");
}

static void test_rpc_results(void **state)
{
    (void)state;
    int code;
    /* createrawtransaction: version 2, default sequence 0xfffffffd, data output. */
    json_t *r = call(
        "createrawtransaction",
        "[[{\"txid\": \"a3b807410df0b60fcb9736768df5823938b2f838694939ba45f3c0a1bff150ed\","
        " \"vout\": 1}], [{\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\": \"0.00012345\"},"
        " {\"data\": \"00010203\"}], 7]",
        &code, NULL, 0);
    assert_non_null(r);
    const char *hex = json_string_value(r);
    assert_non_null(strstr(hex, "02000000"
                                "01"
                                "ed50f1bfa1c0f345ba3949"));
    assert_non_null(strstr(hex, "fdffffff"
                                "02"
                                "3930000000000000"
                                "1976a914" HASH1 "88ac"
                                "0000000000000000"
                                "066a0400010203"
                                "07000000"));
    json_decref(r);
    /* Message signing round trip with the key 1. */
    char wif[WIF_MAX_LEN + 1];
    uint8_t key[32] = {0};
    key[31] = 1;
    assert_true(wif_encode(wif, regtest(), key, true));
    char params[256];
    snprintf(params, sizeof params, "[\"%s\", \"hello\"]", wif);
    r = call("signmessagewithprivkey", params, &code, NULL, 0);
    assert_non_null(r);
    char sig[100];
    snprintf(sig, sizeof sig, "%s", json_string_value(r));
    json_decref(r);
    assert_int_equal(strlen(sig), 88);
    snprintf(params, sizeof params,
             "[\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\", \"%s\", \"hello\"]", sig);
    r = call("verifymessage", params, &code, NULL, 0);
    assert_true(json_is_true(r));
    json_decref(r);
    snprintf(params, sizeof params,
             "[\"uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQfq\", \"%s\", \"hellO\"]", sig);
    r = call("verifymessage", params, &code, NULL, 0);
    assert_true(json_is_false(r));
    json_decref(r);
    /* validateaddress of a bech32 typo reports Core's checks. */
    r = call("validateaddress", "[\"riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260n\"]", &code,
             NULL, 0);
    assert_true(json_is_false(json_object_get(r, "isvalid")));
    assert_string_equal(json_string_value(json_object_get(r, "error")),
                        "Invalid Bech32 checksum");
    assert_int_equal(json_array_size(json_object_get(r, "error_locations")), 1);
    assert_int_equal(
        json_integer_value(json_array_get(json_object_get(r, "error_locations"), 0)), 43);
    json_decref(r);
    r = call("validateaddress", "[\"riop1qw508d6qejxtdg4y5r3zarvary0c5xw7k5t260m\"]", &code,
             NULL, 0);
    assert_true(json_is_true(json_object_get(r, "isvalid")));
    assert_int_equal(json_integer_value(json_object_get(r, "witness_version")), 0);
    assert_string_equal(json_string_value(json_object_get(r, "witness_program")), HASH1);
    json_decref(r);
}

/* Every transaction of Core's tx_valid/tx_invalid vectors and every prefix of one of
 * them through decoderawtransaction, and pseudo-random scripts through decodescript and
 * validateaddress-like strings: results or Core's error, never a crash (ASan build). */
static void test_rpc_robustness(void **state)
{
    (void)state;
    const char *files[] = {"bitcoin-core/tx_valid.json", "bitcoin-core/tx_invalid.json"};
    size_t decoded = 0, calls = 0;
    int code;
    for (size_t f = 0; f < 2; f++) {
        json_t *vectors = test_load_json(test_vector_path(files[f]));
        size_t i;
        json_t *e;
        json_array_foreach(vectors, i, e)
        {
            const char *hex = json_string_value(json_array_get(e, 1));
            if (!json_is_array(json_array_get(e, 0)) || !hex) continue;
            json_t *p = json_pack("[s]", hex);
            char *text = json_dumps(p, 0);
            json_t *r = call("decoderawtransaction", text, &code, NULL, 0);
            calls++;
            if (r)
                decoded++;
            else
                assert_int_equal(code, -22);
            json_decref(r);
            free(text);
            json_decref(p);
            if (f == 0 && decoded == 1) {
                size_t n = strlen(hex);
                char *cut = malloc(n + 1);
                for (size_t k = 0; k < n; k += 2) {
                    memcpy(cut, hex, k);
                    cut[k] = '\0';
                    p = json_pack("[s]", cut);
                    text = json_dumps(p, 0);
                    r = call("decoderawtransaction", text, &code, NULL, 0);
                    calls++;
                    assert_true(r != NULL || code == -22);
                    json_decref(r);
                    free(text);
                    json_decref(p);
                }
                free(cut);
            }
        }
        json_decref(vectors);
    }
    assert_true(decoded > 100);
    /* Empty scriptSig and scriptPubKey (NULL buffers inside struct tx). */
    json_t *empty = call("decoderawtransaction",
                         "[\"0100000001"
                         "1111111111111111111111111111111111111111111111111111111111111111"
                         "0000000000ffffffff0100000000000000000000000000\"]",
                         &code, NULL, 0);
    assert_non_null(empty);
    json_t *spk =
        json_object_get(json_array_get(json_object_get(empty, "vout"), 0), "scriptPubKey");
    assert_string_equal(json_string_value(json_object_get(spk, "asm")), "");
    assert_string_equal(json_string_value(json_object_get(spk, "type")), "nonstandard");
    assert_true(descriptor_checksum_valid(json_string_value(json_object_get(spk, "desc"))));
    json_decref(empty);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 3000; i++) {
        char hex[2 * 64 + 1];
        char params[2 * 64 + 8];
        size_t n = (size_t)(i % 64);
        for (size_t k = 0; k < n; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Bias towards pushes, small numbers and known templates' opcodes. */
            static const uint8_t common[] = {0x00, 0x14, 0x20, 0x4c, 0x4d, 0x4e, 0x51, 0x52,
                                             0x76, 0xa9, 0x88, 0xac, 0xae, 0x87, 0x6a, 0xba};
            uint8_t b = (x >> 8) & 1 ? common[(x >> 16) % sizeof common] : (uint8_t)(x >> 24);
            snprintf(hex + 2 * k, 3, "%02x", b);
        }
        hex[2 * n] = '\0';
        snprintf(params, sizeof params, "[\"%s\"]", hex);
        json_t *r = call("decodescript", params, &code, NULL, 0);
        assert_non_null(r);
        json_decref(r);
        r = call("decoderawtransaction", params, &code, NULL, 0);
        json_decref(r);
        calls += 2;
    }
    const char *addrs[] = {"",
                           "1",
                           "riop1",
                           "RIOP1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7K5T260M",
                           "riop1qqqqqqqqqqqqqq",
                           "riop1zzzzzzzzzzzzzzzzzzzzz",
                           "uVcgZGe4fX6fTfKFQKQks9oFwgwBSjMQf",
                           "11111111111111111111111111",
                           "riop1pqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
                           "qqqqqqqqqqqqqqqqqqqqqqq"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        char params[200];
        snprintf(params, sizeof params, "[\"%s\"]", addrs[i]);
        json_t *r = call("validateaddress", params, &code, NULL, 0);
        assert_non_null(r);
        assert_non_null(json_object_get(r, "isvalid"));
        json_decref(r);
        calls++;
    }
    test_report_count("raw-transaction RPC robustness calls", calls);
}

/* Many outputs: the duplicate check is linear, and finds a duplicate at the very end. */
static void test_rpc_many_outputs(void **state)
{
    (void)state;
    const size_t n = 20000;
    json_t *outputs = json_array();
    for (size_t i = 0; i <= n; i++) {
        uint8_t prog[32] = {0};
        prog[0] = (uint8_t)(i % n);
        prog[1] = (uint8_t)((i % n) >> 8);
        char addr[ADDRESS_MAX_LEN + 1];
        assert_true(bech32_segwit_encode(addr, "riop", 0, prog, sizeof prog));
        json_array_append_new(outputs, json_pack("{s:i}", addr, 1));
    }
    json_t *p = json_pack("[[],O]", outputs);
    char *text = json_dumps(p, 0);
    int code;
    char msg[256];
    json_t *r = call("createrawtransaction", text, &code, msg, sizeof msg);
    assert_null(r);
    assert_int_equal(code, -8);
    assert_non_null(strstr(msg, "duplicated address"));
    free(text);
    json_decref(p);
    /* Without the last (duplicate) one it succeeds. */
    assert_int_equal(json_array_remove(outputs, n), 0);
    p = json_pack("[[],O]", outputs);
    text = json_dumps(p, 0);
    r = call("createrawtransaction", text, &code, msg, sizeof msg);
    assert_non_null(r);
    assert_true(strlen(json_string_value(r)) > n * 2 * 43);
    json_decref(r);
    free(text);
    json_decref(p);
    json_decref(outputs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asm),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_script_json),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_tx_json),
        cmocka_unit_test(test_rpc_errors),
        cmocka_unit_test(test_rpc_results),
        cmocka_unit_test(test_rpc_robustness),
        cmocka_unit_test(test_rpc_many_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
