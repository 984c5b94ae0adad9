/* Script tests in the format of Bitcoin Core's script_assets_test.json: an array of
 * {tx, prevouts, index, flags, comment, success?, failure?, final?} where tx is a
 * hex transaction, prevouts the hex-serialized outputs its inputs spend, and success /
 * failure each give a scriptSig and witness to put on input `index`.
 *
 * As in Core, every valid combination of the consensus flags (P2SH, DERSIG, NULLDUMMY,
 * CHECKLOCKTIMEVERIFY, CHECKSEQUENCEVERIFY, WITNESS, TAPROOT; WITNESS needs P2SH and
 * TAPROOT needs WITNESS) is tried: `success` must verify with every combination that is
 * a subset of the test's flags (every combination when "final" is true), and `failure`
 * must fail with every combination that is a superset of them.
 *
 * Two files: Core's large generated file, read from $DIR_UNIT_TEST_DATA when that is
 * set (skipped with a message otherwise), and our own small test/data file, always. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"
#include "test_util.h"

#define MAX_COMBOS 128

static size_t consensus_flag_combos(uint32_t out[MAX_COMBOS])
{
    static const uint32_t bits[7] = {
        SCRIPT_VERIFY_P2SH,
        SCRIPT_VERIFY_DERSIG,
        SCRIPT_VERIFY_NULLDUMMY,
        SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY,
        SCRIPT_VERIFY_CHECKSEQUENCEVERIFY,
        SCRIPT_VERIFY_WITNESS,
        SCRIPT_VERIFY_TAPROOT,
    };
    size_t n = 0;
    for (unsigned i = 0; i < 128; i++) {
        uint32_t f = 0;
        for (unsigned b = 0; b < 7; b++)
            if (i & (1u << b)) f |= bits[b];
        if ((f & SCRIPT_VERIFY_WITNESS) && !(f & SCRIPT_VERIFY_P2SH)) continue;
        if ((f & SCRIPT_VERIFY_TAPROOT) && !(f & SCRIPT_VERIFY_WITNESS)) continue;
        out[n++] = f;
    }
    return n;
}

/* Replaces input idx's scriptSig and witness with the ones in spend ({scriptSig, witness}). */
static bool apply_spend(struct tx *tx, size_t idx, json_t *spend, const char *where)
{
    const char *sig_hex = json_string_value(json_object_get(spend, "scriptSig"));
    json_t *wit = json_object_get(spend, "witness");
    if (!sig_hex || !json_is_array(wit)) {
        print_error("%s: bad spend object\n", where);
        return false;
    }
    size_t len;
    uint8_t *sig = test_unhex(sig_hex, &len);
    bool ok = tx_set_script_sig(&tx->vin[idx], sig, len);
    free(sig);
    assert_true(ok);

    struct tx_in *in = &tx->vin[idx];
    tx_in_clear_witness(in);
    size_t n = json_array_size(wit);
    if (n == 0) return true;
    in->witness = calloc(n, sizeof(*in->witness));
    assert_non_null(in->witness);
    in->witness_count = n;
    for (size_t i = 0; i < n; i++) {
        const char *h = json_string_value(json_array_get(wit, i));
        if (!h) {
            print_error("%s: witness item %zu is not a string\n", where, i);
            return false;
        }
        in->witness[i].data = test_unhex(h, &in->witness[i].len);
    }
    return true;
}

/* Runs one spend with every relevant flag combination; returns the number of
 * combinations that gave the wrong answer. */
static size_t run_spend(const struct tx *tx, const struct tx_out *prevouts, size_t idx,
                        uint32_t test_flags, bool final, bool expect_success, const char *where)
{
    struct sighash_precomputed pre;
    sighash_precompute(&pre, tx, prevouts);
    struct script_checker checker = {
        .tx = tx, .in_index = idx, .amount = prevouts[idx].value, .pre = &pre};
    const struct tx_in *in = &tx->vin[idx];
    uint32_t combos[MAX_COMBOS];
    size_t n = consensus_flag_combos(combos), wrong = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t f = combos[k];
        bool applies =
            expect_success ? (final || (f & test_flags) == f) : (f & test_flags) == test_flags;
        if (!applies) continue;
        enum script_error err;
        bool ok = script_verify(in->script_sig, in->script_sig_len, prevouts[idx].script_pubkey,
                                prevouts[idx].script_pubkey_len, in->witness, in->witness_count,
                                f, &checker, &err);
        if (ok != expect_success) {
            wrong++;
            print_error("%s: %s %s with flags 0x%06x (%s)\n", where,
                        expect_success ? "success" : "failure",
                        ok ? "verified" : "did not verify", (unsigned)f,
                        script_error_name(err));
        }
    }
    return wrong;
}

static void free_prevouts(struct tx_out *p, size_t n)
{
    if (!p) return;
    for (size_t i = 0; i < n; i++) free(p[i].script_pubkey);
    free(p);
}

/* One test object; returns the number of problems found. */
static size_t asset_test(json_t *t, size_t i)
{
    char where[160];
    const char *comment = json_string_value(json_object_get(t, "comment"));
    snprintf(where, sizeof(where), "test %zu (%s)", i, comment ? comment : "");
    const char *tx_hex = json_string_value(json_object_get(t, "tx"));
    json_t *prev_json = json_object_get(t, "prevouts");
    const char *flags_text = json_string_value(json_object_get(t, "flags"));
    json_t *index_json = json_object_get(t, "index");
    if (!json_is_object(t) || !tx_hex || !json_is_array(prev_json) || !flags_text ||
        !json_is_integer(index_json)) {
        print_error("%s: malformed test\n", where);
        return 1;
    }
    uint32_t test_flags;
    if (!script_flags_from_names(flags_text, &test_flags)) {
        print_error("%s: unknown flags %s\n", where, flags_text);
        return 1;
    }
    bool final = json_is_true(json_object_get(t, "final"));

    size_t raw_len;
    uint8_t *raw = test_unhex(tx_hex, &raw_len);
    struct tx tx;
    tx_init(&tx);
    bool parsed = tx_from_bytes(&tx, raw, raw_len, true);
    free(raw);
    if (!parsed) {
        print_error("%s: transaction does not parse\n", where);
        return 1;
    }
    size_t idx = (size_t)json_integer_value(index_json);
    size_t n_prev = json_array_size(prev_json);
    size_t problems = 0;
    struct tx_out *prevouts = calloc(n_prev ? n_prev : 1, sizeof(*prevouts));
    assert_non_null(prevouts);
    for (size_t k = 0; k < n_prev; k++) {
        const char *h = json_string_value(json_array_get(prev_json, k));
        size_t len = 0;
        uint8_t *b = h ? test_unhex(h, &len) : NULL;
        struct reader r;
        reader_init(&r, b, len);
        if (!b || !read_i64(&r, &prevouts[k].value) ||
            !read_var_bytes(&r, &prevouts[k].script_pubkey, &prevouts[k].script_pubkey_len) ||
            reader_remaining(&r) != 0) {
            print_error("%s: bad prevout %zu\n", where, k);
            problems++;
        }
        free(b);
    }
    if (!problems && (n_prev != tx.vin_count || idx >= tx.vin_count)) {
        print_error("%s: %zu prevouts for %zu inputs, index %zu\n", where, n_prev, tx.vin_count,
                    idx);
        problems++;
    }
    if (!problems) {
        json_t *success = json_object_get(t, "success");
        json_t *failure = json_object_get(t, "failure");
        if (success) {
            if (apply_spend(&tx, idx, success, where))
                problems += run_spend(&tx, prevouts, idx, test_flags, final, true, where);
            else
                problems++;
        }
        if (failure) {
            if (apply_spend(&tx, idx, failure, where))
                problems += run_spend(&tx, prevouts, idx, test_flags, final, false, where);
            else
                problems++;
        }
    }
    free_prevouts(prevouts, n_prev);
    tx_clear(&tx);
    return problems;
}

static void run_assets_file(const char *path, size_t min_count)
{
    json_t *root = test_load_json(path);
    assert_true(json_is_array(root));
    assert_true(json_array_size(root) >= min_count);
    size_t problems = 0, i;
    json_t *t;
    json_array_foreach(root, i, t) problems += asset_test(t, i);
    test_report_count(path, json_array_size(root));
    json_decref(root);
    if (problems) fail_msg("%s: %zu problem(s)", path, problems);
}

/* Core's generated file (see Core's script_assets_test_minimizer). */
static void test_core_script_assets(void **state)
{
    (void)state;
    const char *dir = getenv("DIR_UNIT_TEST_DATA");
    if (!dir || !*dir) {
        printf("script_assets_test: DIR_UNIT_TEST_DATA is not set; skipping Bitcoin Core's "
               "script_assets_test.json\n");
        skip();
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/script_assets_test.json", dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("script_assets_test: %s not found; skipping\n", path);
        skip();
    }
    run_assets_file(path, 1);
}

/* Our own cases: test/data/script_assets_test.json (made by gen_script_assets.py). */
static void test_own_script_assets(void **state)
{
    (void)state;
    run_assets_file(test_data_path("script_assets_test.json"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_script_assets),
        cmocka_unit_test(test_core_script_assets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
