/* Bitcoin Core's tx_valid.json and tx_invalid.json, checked the way Core's
 * transaction_tests do:
 *
 * tx_valid: the transaction passes check_transaction; every input verifies with all
 * flags except the listed (excluded) ones; it still verifies with any one more flag
 * off and with random further flags off (flag sets trimmed so WITNESS needs P2SH and
 * CLEANSTACK needs WITNESS); and the excluded list is maximal: turning any excluded
 * flag back on makes some input fail.
 *
 * tx_invalid: "BADTX" exactly when check_transaction fails; otherwise some input
 * fails with the listed flags, still fails with any flag (or random flags) added
 * (filled so CLEANSTACK brings WITNESS and WITNESS brings P2SH), and the list is
 * minimal: dropping any listed flag makes every input verify.
 *
 * Flag sets are confined to the known flags (Core passes the full 32-bit complement;
 * its interpreter ignores unknown bits). The random flag sets come from a fixed seed,
 * so runs are repeatable. Spent outputs without an amount are worth 0, as in Core. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"
#include "consensus/tx_check.h"
#include "script_asm.h"
#include "test_util.h"

#define FLAG_COUNT 21

struct vec_case {
    size_t index;        /* position in the JSON array, for messages */
    const char *comment; /* the last comment line before the case */
    const char *flags_text;
    struct tx tx;
    struct tx_out *spent; /* one per input, scripts owned here */
    struct sighash_precomputed pre;
};

struct prevout_entry {
    uint256 hash;
    uint32_t n;
    uint8_t *script;
    size_t script_len;
    int64_t amount;
};

static size_t verify_calls; /* reported, so a run that checks nothing is visible */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t random_flags(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (uint32_t)z & SCRIPT_VERIFY_ALL_KNOWN;
}

static uint32_t trim_flags(uint32_t flags)
{
    if (!(flags & SCRIPT_VERIFY_P2SH)) flags &= ~SCRIPT_VERIFY_WITNESS;
    if (!(flags & SCRIPT_VERIFY_WITNESS)) flags &= ~SCRIPT_VERIFY_CLEANSTACK;
    return flags;
}

static uint32_t fill_flags(uint32_t flags)
{
    if (flags & SCRIPT_VERIFY_CLEANSTACK) flags |= SCRIPT_VERIFY_WITNESS;
    if (flags & SCRIPT_VERIFY_WITNESS) flags |= SCRIPT_VERIFY_P2SH;
    return flags;
}

static void case_free(struct vec_case *c)
{
    if (c->spent) {
        for (size_t i = 0; i < c->tx.vin_count; i++) free(c->spent[i].script_pubkey);
        free(c->spent);
        c->spent = NULL;
    }
    tx_clear(&c->tx);
}

/* Reads one test row into *c. Prints why and returns false for a malformed row. */
static bool case_load(struct vec_case *c, json_t *row)
{
    json_t *inputs = json_array_get(row, 0);
    const char *tx_hex = json_string_value(json_array_get(row, 1));
    c->flags_text = json_string_value(json_array_get(row, 2));
    tx_init(&c->tx);
    c->spent = NULL;
    if (json_array_size(row) != 3 || !json_is_array(inputs) || !tx_hex || !c->flags_text) {
        print_error("case %zu: bad test row\n", c->index);
        return false;
    }

    size_t n_prev = json_array_size(inputs);
    struct prevout_entry *prev = calloc(n_prev ? n_prev : 1, sizeof(*prev));
    assert_non_null(prev);
    bool ok = true;
    for (size_t i = 0; i < n_prev && ok; i++) {
        json_t *in = json_array_get(inputs, i);
        size_t sz = json_array_size(in);
        const char *hash = json_string_value(json_array_get(in, 0));
        const char *script = json_string_value(json_array_get(in, 2));
        if (sz < 3 || sz > 4 || !hash || !script || !json_is_integer(json_array_get(in, 1)) ||
            !uint256_from_hex(&prev[i].hash, hash)) {
            print_error("case %zu: bad prevout %zu\n", c->index, i);
            ok = false;
            break;
        }
        /* -1 in the JSON is the null outpoint index 0xffffffff */
        prev[i].n = (uint32_t)json_integer_value(json_array_get(in, 1));
        if (!script_asm_parse(script, &prev[i].script, &prev[i].script_len)) {
            print_error("case %zu: bad script %s\n", c->index, script);
            ok = false;
            break;
        }
        prev[i].amount = sz == 4 ? json_integer_value(json_array_get(in, 3)) : 0;
    }

    size_t raw_len;
    uint8_t *raw = ok ? test_unhex(tx_hex, &raw_len) : NULL;
    if (ok && !tx_from_bytes(&c->tx, raw, raw_len, true)) {
        print_error("case %zu: transaction does not parse\n", c->index);
        ok = false;
    }
    free(raw);

    if (ok) {
        c->spent = calloc(c->tx.vin_count ? c->tx.vin_count : 1, sizeof(*c->spent));
        assert_non_null(c->spent);
        for (size_t i = 0; i < c->tx.vin_count && ok; i++) {
            const struct outpoint *o = &c->tx.vin[i].prevout;
            const struct prevout_entry *found = NULL;
            /* Core keeps a map, so a repeated outpoint's last entry wins. */
            for (size_t k = 0; k < n_prev; k++)
                if (prev[k].n == o->n && uint256_cmp(&prev[k].hash, &o->hash) == 0)
                    found = &prev[k];
            if (!found) {
                print_error("case %zu: input %zu spends an unlisted outpoint\n", c->index, i);
                ok = false;
                break;
            }
            c->spent[i].value = found->amount;
            c->spent[i].script_pubkey_len = found->script_len;
            c->spent[i].script_pubkey = malloc(found->script_len ? found->script_len : 1);
            assert_non_null(c->spent[i].script_pubkey);
            if (found->script_len)
                memcpy(c->spent[i].script_pubkey, found->script, found->script_len);
        }
    }
    for (size_t i = 0; i < n_prev; i++) free(prev[i].script);
    free(prev);
    if (!ok) {
        case_free(c);
        return false;
    }
    sighash_precompute(&c->pre, &c->tx, c->spent);
    return true;
}

/* Core's CheckTxScripts: true when the outcome (and its error code) is the expected
 * one. A valid run checks every input; an invalid run stops at the first failure. */
static bool check_scripts(const struct vec_case *c, uint32_t flags, bool expect_valid,
                          enum script_error *err_out)
{
    bool tx_valid = true;
    enum script_error err = expect_valid ? SCRIPT_ERR_UNKNOWN_ERROR : SCRIPT_ERR_OK;
    bool errs_consistent = true;
    for (size_t i = 0; i < c->tx.vin_count && tx_valid; i++) {
        const struct tx_in *in = &c->tx.vin[i];
        struct script_checker checker = {
            .tx = &c->tx, .in_index = i, .amount = c->spent[i].value, .pre = &c->pre};
        verify_calls++;
        tx_valid = script_verify(in->script_sig, in->script_sig_len, c->spent[i].script_pubkey,
                                 c->spent[i].script_pubkey_len, in->witness, in->witness_count,
                                 flags, &checker, &err);
        if (expect_valid) {
            if (tx_valid != (err == SCRIPT_ERR_OK)) errs_consistent = false;
            if (!tx_valid) break;
            err = SCRIPT_ERR_UNKNOWN_ERROR;
        }
    }
    if (!expect_valid && !tx_valid && err == SCRIPT_ERR_OK) errs_consistent = false;
    if (err_out) *err_out = err;
    return tx_valid == expect_valid && errs_consistent;
}

static void report(size_t *failures, const struct vec_case *c, const char *what, uint32_t flags,
                   enum script_error err)
{
    (*failures)++;
    print_error("case %zu [%s] (%s): %s; flags 0x%06x, error %s\n", c->index, c->flags_text,
                c->comment ? c->comment : "", what, (unsigned)flags, script_error_name(err));
}

/* Core's ExcludeIndividualFlags: each distinct trimmed set with one flag removed. */
static size_t exclude_individual_flags(uint32_t flags, uint32_t out[FLAG_COUNT])
{
    size_t n = 0;
    for (unsigned b = 0; b < FLAG_COUNT; b++) {
        uint32_t f = trim_flags(flags & ~(1u << b));
        if (f == flags) continue;
        bool dup = false;
        for (size_t k = 0; k < n; k++) dup |= out[k] == f;
        if (!dup) out[n++] = f;
    }
    return n;
}

static void run_valid_case(struct vec_case *c, size_t *failures)
{
    const char *reason = NULL;
    if (!check_transaction(&c->tx, &reason)) {
        (*failures)++;
        print_error("case %zu (%s): check_transaction fails: %s\n", c->index,
                    c->comment ? c->comment : "", reason ? reason : "?");
    }
    uint32_t excluded;
    if (!script_flags_from_names(c->flags_text, &excluded)) {
        (*failures)++;
        print_error("case %zu: unknown flags %s\n", c->index, c->flags_text);
        return;
    }
    uint32_t all = SCRIPT_VERIFY_ALL_KNOWN;
    uint32_t enabled = ~excluded & all;
    if (enabled != fill_flags(enabled))
        report(failures, c, "bad test flags", enabled, SCRIPT_ERR_OK);

    enum script_error err;
    if (!check_scripts(c, enabled, true, &err))
        report(failures, c, "fails with the test flags", enabled, err);

    for (unsigned b = 0; b < FLAG_COUNT; b++) {
        uint32_t flags = trim_flags(~(excluded | (1u << b)) & all);
        if (!check_scripts(c, flags, true, &err))
            report(failures, c, "fails with one more flag unset", flags, err);
        flags = trim_flags(~(excluded | random_flags()) & all);
        if (!check_scripts(c, flags, true, &err))
            report(failures, c, "fails with random flags unset", flags, err);
    }

    uint32_t combos[FLAG_COUNT];
    size_t n = exclude_individual_flags(excluded, combos);
    for (size_t k = 0; k < n; k++) {
        uint32_t flags = ~combos[k] & all;
        if (!check_scripts(c, flags, false, &err))
            report(failures, c, "still passes with an excluded flag set (too many unset)",
                   flags, err);
    }
}

static void run_invalid_case(struct vec_case *c, size_t *failures)
{
    const char *reason = NULL;
    bool bad_tx = !check_transaction(&c->tx, &reason);
    bool says_bad = strcmp(c->flags_text, "BADTX") == 0;
    if (bad_tx || says_bad) {
        if (bad_tx != says_bad) {
            (*failures)++;
            print_error("case %zu (%s): check_transaction %s (%s) but flags are %s\n", c->index,
                        c->comment ? c->comment : "", bad_tx ? "fails" : "passes",
                        reason ? reason : "", c->flags_text);
        }
        return;
    }
    uint32_t flags_set;
    if (!script_flags_from_names(c->flags_text, &flags_set)) {
        (*failures)++;
        print_error("case %zu: unknown flags %s\n", c->index, c->flags_text);
        return;
    }
    if (flags_set != fill_flags(flags_set))
        report(failures, c, "bad test flags", flags_set, SCRIPT_ERR_OK);

    enum script_error err;
    if (!check_scripts(c, flags_set, false, &err))
        report(failures, c, "passes with the test flags", flags_set, err);

    for (unsigned b = 0; b < FLAG_COUNT; b++) {
        uint32_t flags = fill_flags(flags_set | (1u << b));
        if (!check_scripts(c, flags, false, &err))
            report(failures, c, "passes with one more flag set", flags, err);
        flags = fill_flags(flags_set | random_flags());
        if (!check_scripts(c, flags, false, &err))
            report(failures, c, "passes with random flags set", flags, err);
    }

    uint32_t combos[FLAG_COUNT];
    size_t n = exclude_individual_flags(flags_set, combos);
    for (size_t k = 0; k < n; k++) {
        if (!check_scripts(c, combos[k], true, &err))
            report(failures, c, "still fails with a listed flag unset (too many set)",
                   combos[k], err);
    }
}

static void run_file(const char *relative, bool valid, size_t expected_count)
{
    json_t *root = test_load_json(test_vector_path(relative));
    assert_true(json_is_array(root));
    size_t count = 0, failures = 0, idx;
    const char *comment = NULL;
    verify_calls = 0;
    json_t *row;
    json_array_foreach(root, idx, row)
    {
        json_t *first = json_array_get(row, 0);
        if (!json_is_array(first)) {
            if (json_is_string(first)) comment = json_string_value(first);
            continue;
        }
        struct vec_case c = {.index = idx, .comment = comment};
        count++;
        if (!case_load(&c, row)) {
            failures++;
            continue;
        }
        if (valid)
            run_valid_case(&c, &failures);
        else
            run_invalid_case(&c, &failures);
        case_free(&c);
    }
    json_decref(root);
    test_report_count(relative, count);
    printf("%s: %zu input verifications\n", relative, verify_calls);
    fflush(stdout);
    assert_int_equal(count, expected_count);
    if (failures) fail_msg("%s: %zu check(s) failed", relative, failures);
}

static void test_tx_valid(void **state)
{
    (void)state;
    run_file("bitcoin-core/tx_valid.json", true, 121);
}

static void test_tx_invalid(void **state)
{
    (void)state;
    run_file("bitcoin-core/tx_invalid.json", false, 93);
}

/* The flag helpers behave like Core's TrimFlags/FillFlags/ExcludeIndividualFlags. */
static void test_flag_helpers(void **state)
{
    (void)state;
    assert_int_equal(trim_flags(SCRIPT_VERIFY_CLEANSTACK), 0);
    assert_int_equal(trim_flags(SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK), 0);
    assert_int_equal(
        trim_flags(SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK),
        SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK);
    assert_int_equal(fill_flags(SCRIPT_VERIFY_CLEANSTACK),
                     SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_CLEANSTACK);
    uint32_t combos[FLAG_COUNT];
    /* {SIGPUSHONLY, CLEANSTACK}: CLEANSTACK never survives trimming. */
    size_t n =
        exclude_individual_flags(SCRIPT_VERIFY_SIGPUSHONLY | SCRIPT_VERIFY_CLEANSTACK, combos);
    assert_int_equal(n, 2);
    uint32_t f = 0;
    assert_true(script_flags_from_names("NONE", &f));
    assert_int_equal(f, 0);
    assert_false(script_flags_from_names("BADTX", &f));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_helpers),
        cmocka_unit_test(test_tx_valid),
        cmocka_unit_test(test_tx_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
