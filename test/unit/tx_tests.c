/* Transactions: round trips of every vector transaction, txid/wtxid, weight, and
 * rejection of malformed encodings without over-allocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/tx.h"
#include "test_util.h"

static void parse_hex(struct tx *tx, const char *hex, bool allow_witness, bool expect)
{
    size_t n;
    uint8_t *b = test_unhex(hex, &n);
    assert_int_equal(tx_from_bytes(tx, b, n, allow_witness), expect);
    free(b);
}

static void test_known_txid(void **state)
{
    (void)state;
    /* tx_valid.json names its first transaction's id in the comment before it. */
    json_t *all = test_load_json(test_vector_path("bitcoin-core/tx_valid.json"));
    const char *hex = json_string_value(json_array_get(json_array_get(all, 9), 1));
    assert_non_null(hex);
    struct tx tx;
    parse_hex(&tx, hex, true, true);
    uint256 id;
    tx_txid(&tx, &id);
    char shown[65];
    uint256_to_hex(shown, &id);
    assert_string_equal(shown, "23b397edccd3740a74adb603c9756370fafcde9bcc4483eb271ecad09a94dd63");
    /* No witness: wtxid equals txid and weight is four times the size. */
    uint256 wid;
    tx_wtxid(&tx, &wid);
    assert_memory_equal(id.b, wid.b, 32);
    assert_int_equal(tx_weight(&tx), 4 * tx_size(&tx, true));
    tx_clear(&tx);
    json_decref(all);
}

/* Every transaction of tx_valid.json and tx_invalid.json that deserializes must
 * serialize back to the same bytes; witness ones must also agree on sizes. */
static void test_vector_roundtrips(void **state)
{
    (void)state;
    const char *files[] = {"bitcoin-core/tx_valid.json", "bitcoin-core/tx_invalid.json"};
    size_t parsed = 0, with_witness = 0;
    for (size_t f = 0; f < 2; f++) {
        json_t *all = test_load_json(test_vector_path(files[f]));
        size_t i;
        json_t *c;
        json_array_foreach(all, i, c)
        {
            if (!json_is_array(json_array_get(c, 0))) continue;
            const char *hex = json_string_value(json_array_get(c, 1));
            size_t n;
            uint8_t *b = test_unhex(hex, &n);
            struct tx tx;
            if (!tx_from_bytes(&tx, b, n, true)) {
                free(b);
                continue;
            }
            parsed++;
            struct writer w;
            writer_init(&w);
            tx_serialize(&w, &tx, true);
            assert_int_equal(w.len, n);
            assert_memory_equal(w.data, b, n);
            assert_int_equal(tx_size(&tx, true), n);
            writer_free(&w);
            if (tx_has_witness(&tx)) {
                with_witness++;
                uint256 id, wid;
                tx_txid(&tx, &id);
                tx_wtxid(&tx, &wid);
                assert_memory_not_equal(id.b, wid.b, 32);
                assert_true(tx_size(&tx, false) < tx_size(&tx, true));
                assert_int_equal(tx_weight(&tx), 3 * tx_size(&tx, false) + n);
                /* The stripped form parses on its own and keeps the txid. */
                writer_init(&w);
                tx_serialize(&w, &tx, false);
                struct tx stripped;
                assert_true(tx_from_bytes(&stripped, w.data, w.len, false));
                uint256 id2;
                tx_txid(&stripped, &id2);
                assert_memory_equal(id.b, id2.b, 32);
                tx_clear(&stripped);
                writer_free(&w);
            }
            /* A deep copy serializes identically. */
            struct tx copy;
            assert_true(tx_copy(&copy, &tx));
            writer_init(&w);
            tx_serialize(&w, &copy, true);
            assert_memory_equal(w.data, b, n);
            writer_free(&w);
            tx_clear(&copy);
            tx_clear(&tx);
            free(b);
        }
        json_decref(all);
    }
    test_report_count("transactions round-tripped", parsed);
    test_report_count("of which with witness", with_witness);
    assert_true(parsed >= 200);
    assert_true(with_witness >= 20);
}

static void test_malformed(void **state)
{
    (void)state;
    struct tx tx;
    /* Input count 0x02000000 with nothing behind it: refused, no huge allocation. */
    parse_hex(&tx, "01000000fe00000002", true, false);
    /* Truncated inside an input. */
    parse_hex(&tx, "0100000001aaaa", true, false);
    /* Marker and flag 1 but every witness empty: superfluous witness record. */
    parse_hex(&tx,
              "010000000001"
              "01" "0000000000000000000000000000000000000000000000000000000000000000" "00000000"
              "00" "ffffffff"
              "01" "0000000000000000" "00"
              "00"
              "00000000",
              true, false);
    /* Unknown flag bits. */
    parse_hex(&tx,
              "010000000002"
              "01" "0000000000000000000000000000000000000000000000000000000000000000" "00000000"
              "00" "ffffffff"
              "01" "0000000000000000" "00"
              "00000000",
              true, false);
    /* Trailing garbage after a valid transaction. */
    parse_hex(&tx,
              "01000000"
              "01" "0000000000000000000000000000000000000000000000000000000000000000" "00000000"
              "00" "ffffffff"
              "01" "0000000000000000" "00"
              "00000000" "ff",
              true, false);
    /* Without witness parsing, a zero input count is a plain empty vector. */
    parse_hex(&tx, "01000000" "00" "01" "0000000000000000" "00" "00000000", false, true);
    assert_int_equal(tx.vin_count, 0);
    assert_int_equal(tx.vout_count, 1);
    tx_clear(&tx);
}

static void test_build_and_coinbase(void **state)
{
    (void)state;
    struct tx tx;
    tx_init(&tx);
    assert_true(tx_resize(&tx, 1, 2));
    memset(tx.vin[0].prevout.hash.b, 0, 32);
    tx.vin[0].prevout.n = 0xffffffffu;
    static const uint8_t sig[] = {0x01, 0x02};
    assert_true(tx_set_script_sig(&tx.vin[0], sig, sizeof(sig)));
    tx.vout[0].value = 50 * COIN;
    assert_true(tx_is_coinbase(&tx));
    assert_int_equal(tx.vin[0].sequence, SEQUENCE_FINAL);
    tx.vin[0].prevout.n = 0;
    assert_false(tx_is_coinbase(&tx));
    assert_true(tx_resize(&tx, 2, 1));
    assert_false(tx_is_coinbase(&tx));
    /* Serialized size agrees with what tx_size predicts. */
    struct writer w;
    writer_init(&w);
    tx_serialize(&w, &tx, true);
    assert_int_equal(w.len, tx_size(&tx, true));
    writer_free(&w);
    tx_clear(&tx);
    tx_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_txid),
        cmocka_unit_test(test_vector_roundtrips),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_build_and_coinbase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
