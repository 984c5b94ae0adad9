/* Script interpreter tests.
 *
 * First every case of Bitcoin Core's script_tests.json, run the way Core's test runs
 * them: a crediting transaction whose only output carries the scriptPubKey, spent by a
 * transaction carrying the scriptSig and witness, verified with the given flags and
 * compared by error name. Then focused tests for what the vectors cover thinly: number
 * encodings, lock-time success paths, tapscript signatures and the validation weight
 * budget, CHECKSIGADD, OP_SUCCESSx, the annex, key path spends, lax DER parsing and
 * witness sigop counting. Signatures are made here with a signing context of our own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"
#include "script_asm.h"
#include "test_util.h"
#include "util/hex.h"

/* ---- Transactions as Core's script test builds them ---- */

struct spend {
    struct tx credit, tx;
    struct sighash_precomputed pre;
    struct script_checker checker;
};

static uint8_t *parse_asm(const char *text, size_t *len)
{
    uint8_t *out;
    if (!script_asm_parse(text, &out, len)) fail_msg("bad script: %s", text);
    return out;
}

static void copy_witness(struct tx_in *in, const struct byte_vec *w, size_t n)
{
    tx_in_clear_witness(in);
    if (n == 0) return;
    in->witness = calloc(n, sizeof(*in->witness));
    assert_non_null(in->witness);
    for (size_t i = 0; i < n; i++) {
        in->witness[i].len = w[i].len;
        in->witness[i].data = malloc(w[i].len ? w[i].len : 1);
        assert_non_null(in->witness[i].data);
        if (w[i].len) memcpy(in->witness[i].data, w[i].data, w[i].len);
    }
    in->witness_count = n;
}

/* Recomputes the precomputed hashes after the spending transaction changed. */
static void spend_refresh(struct spend *s)
{
    sighash_precompute(&s->pre, &s->tx, &s->credit.vout[0]);
    s->checker.tx = &s->tx;
    s->checker.in_index = 0;
    s->checker.amount = s->credit.vout[0].value;
    s->checker.pre = &s->pre;
}

static void spend_build(struct spend *s, const uint8_t *script_sig, size_t sig_len,
                        const uint8_t *spk, size_t spk_len, const struct byte_vec *w, size_t wn,
                        int64_t amount)
{
    static const uint8_t two_zeros[2] = {OP_0, OP_0};
    tx_init(&s->credit);
    tx_init(&s->tx);
    assert_true(tx_resize(&s->credit, 1, 1));
    s->credit.version = 1;
    memset(s->credit.vin[0].prevout.hash.b, 0, 32);
    s->credit.vin[0].prevout.n = 0xffffffffu;
    assert_true(tx_set_script_sig(&s->credit.vin[0], two_zeros, 2));
    s->credit.vin[0].sequence = SEQUENCE_FINAL;
    s->credit.vout[0].value = amount;
    assert_true(tx_set_script_pubkey(&s->credit.vout[0], spk, spk_len));
    s->credit.locktime = 0;

    assert_true(tx_resize(&s->tx, 1, 1));
    s->tx.version = 1;
    tx_txid(&s->credit, &s->tx.vin[0].prevout.hash);
    s->tx.vin[0].prevout.n = 0;
    assert_true(tx_set_script_sig(&s->tx.vin[0], script_sig, sig_len));
    copy_witness(&s->tx.vin[0], w, wn);
    s->tx.vin[0].sequence = SEQUENCE_FINAL;
    s->tx.vout[0].value = amount;
    assert_true(tx_set_script_pubkey(&s->tx.vout[0], NULL, 0));
    s->tx.locktime = 0;
    spend_refresh(s);
}

static void spend_free(struct spend *s)
{
    tx_clear(&s->credit);
    tx_clear(&s->tx);
}

static enum script_error spend_verify(const struct spend *s, uint32_t flags)
{
    const struct tx_in *in = &s->tx.vin[0];
    enum script_error err = SCRIPT_ERR_UNKNOWN_ERROR;
    bool ok = script_verify(in->script_sig, in->script_sig_len, s->credit.vout[0].script_pubkey,
                            s->credit.vout[0].script_pubkey_len, in->witness, in->witness_count,
                            flags, &s->checker, &err);
    /* The boolean and the error kind must always agree. */
    assert_int_equal(ok, err == SCRIPT_ERR_OK);
    return err;
}

/* ---- Keys: private key 1 is the internal key of every Taproot vector ---- */

static secp256k1_context *sign_ctx(void)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    assert_non_null(ctx);
    return ctx;
}

static void key_of(uint8_t sk[32], unsigned n)
{
    memset(sk, 0, 32);
    sk[31] = (uint8_t)n;
}

static void xonly_of(secp256k1_context *ctx, unsigned n, uint8_t out[32])
{
    uint8_t sk[32];
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xo;
    key_of(sk, n);
    assert_true(secp256k1_keypair_create(ctx, &kp, sk));
    assert_true(secp256k1_keypair_xonly_pub(ctx, &xo, NULL, &kp));
    assert_true(secp256k1_xonly_pubkey_serialize(ctx, out, &xo));
}

/* Output key and control block of a tree with the one tapscript leaf `script`. */
static void taproot_single_leaf(const uint8_t internal[32], const uint8_t *script, size_t len,
                                uint8_t out_key[32], uint8_t control[33])
{
    uint256 leaf, tweak;
    int parity = 0;
    taproot_leaf_hash(&leaf, TAPROOT_LEAF_TAPSCRIPT, script, len);
    /* A one-leaf tree's merkle root is the leaf hash. */
    taproot_tweak_hash(&tweak, internal, &leaf);
    assert_true(pubkey_xonly_tweak_add(out_key, &parity, internal, tweak.b));
    control[0] = (uint8_t)(TAPROOT_LEAF_TAPSCRIPT | parity);
    memcpy(control + 1, internal, 32);
}

/* ---- script_tests.json ---- */

static bool parse_witness_item(secp256k1_context *ctx, const char *s, struct byte_vec *out,
                               const struct byte_vec *prev, uint8_t tap_out[32], bool *have_tap)
{
    static const char script_flag[] = "#SCRIPT#";
    if (strncmp(s, script_flag, strlen(script_flag)) == 0) {
        out->data = parse_asm(s + strlen(script_flag), &out->len);
        return true;
    }
    if (strcmp(s, "#CONTROLBLOCK#") == 0) {
        /* Control block for the script just before it, internal key of private key 1. */
        if (!prev) return false;
        uint8_t internal[32];
        xonly_of(ctx, 1, internal);
        out->data = malloc(33);
        assert_non_null(out->data);
        out->len = 33;
        taproot_single_leaf(internal, prev->data, prev->len, tap_out, out->data);
        *have_tap = true;
        return true;
    }
    return hex_decode_alloc(s, &out->data, &out->len);
}

static void free_items(struct byte_vec *w, size_t n)
{
    for (size_t i = 0; i < n; i++) free(w[i].data);
    free(w);
}

/* Every flag only adds restrictions (soft forks and policy), so as in Core's test a
 * passing case must still pass with flags removed and a failing case still fail with
 * flags added. Flag sets Core never uses (CLEANSTACK without P2SH and WITNESS, WITNESS
 * without P2SH) are skipped. */
static bool check_flag_monotonicity(const struct spend *s, uint32_t flags, bool expect,
                                    size_t index, uint64_t *prng)
{
    for (int i = 0; i < 16; i++) {
        *prng ^= *prng << 13;
        *prng ^= *prng >> 7;
        *prng ^= *prng << 17;
        uint32_t extra = (uint32_t)*prng & SCRIPT_VERIFY_ALL_KNOWN;
        uint32_t f = expect ? flags & ~extra : flags | extra;
        if ((f & SCRIPT_VERIFY_CLEANSTACK) &&
            (~f & (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS)))
            continue;
        if ((f & SCRIPT_VERIFY_WITNESS) && !(f & SCRIPT_VERIFY_P2SH)) continue;
        enum script_error got = spend_verify(s, f);
        if ((got == SCRIPT_ERR_OK) != expect) {
            print_message("vector %zu: flags 0x%x gave %s\n", index, f, script_error_name(got));
            return false;
        }
    }
    return true;
}

/* Runs one vector; returns false (after printing why) on a mismatch. */
static bool run_vector(secp256k1_context *ctx, size_t index, json_t *test, uint64_t *prng)
{
    size_t pos = 0, wn = 0;
    struct byte_vec *w = NULL;
    int64_t amount = 0;
    uint8_t tap_out[32];
    bool have_tap = false;

    if (json_is_array(json_array_get(test, 0))) {
        json_t *wj = json_array_get(test, 0);
        size_t n = json_array_size(wj);
        assert_true(n >= 1);
        w = calloc(n, sizeof(*w));
        assert_non_null(w);
        for (size_t i = 0; i + 1 < n; i++) {
            const char *item = json_string_value(json_array_get(wj, i));
            assert_non_null(item);
            if (!parse_witness_item(ctx, item, &w[wn], wn ? &w[wn - 1] : NULL, tap_out,
                                    &have_tap))
                fail_msg("vector %zu: bad witness item %s", index, item);
            wn++;
        }
        /* Amounts are in coins; round to satoshis without libm. */
        double coins = json_number_value(json_array_get(wj, n - 1));
        amount = (int64_t)(coins * 1e8 + (coins < 0 ? -0.5 : 0.5));
        pos++;
    }
    const char *sig_asm = json_string_value(json_array_get(test, pos++));
    const char *spk_asm = json_string_value(json_array_get(test, pos++));
    const char *flag_names = json_string_value(json_array_get(test, pos++));
    const char *expected = json_string_value(json_array_get(test, pos++));
    assert_non_null(sig_asm);
    assert_non_null(spk_asm);
    assert_non_null(flag_names);
    assert_non_null(expected);

    size_t sig_len, spk_len;
    uint8_t *sig = parse_asm(sig_asm, &sig_len);
    uint8_t *spk;
    if (strcmp(spk_asm, "0x51 0x20 #TAPROOTOUTPUT#") == 0) {
        if (!have_tap) fail_msg("vector %zu: #TAPROOTOUTPUT# without a control block", index);
        spk = malloc(34);
        assert_non_null(spk);
        spk[0] = OP_1;
        spk[1] = 32;
        memcpy(spk + 2, tap_out, 32);
        spk_len = 34;
    } else {
        spk = parse_asm(spk_asm, &spk_len);
    }
    uint32_t flags;
    if (!script_flags_from_names(flag_names, &flags))
        fail_msg("vector %zu: bad flags %s", index, flag_names);
    enum script_error want;
    if (!script_error_from_name(expected, &want))
        fail_msg("vector %zu: unknown error name %s", index, expected);

    struct spend s;
    spend_build(&s, sig, sig_len, spk, spk_len, w, wn, amount);
    enum script_error got = spend_verify(&s, flags);
    bool ok = got == want;
    if (!ok) {
        char *dump = json_dumps(test, JSON_COMPACT);
        print_message("vector %zu: got %s, want %s: %s\n", index, script_error_name(got),
                      expected, dump ? dump : "?");
        free(dump);
    }
    if (ok) ok = check_flag_monotonicity(&s, flags, want == SCRIPT_ERR_OK, index, prng);
    spend_free(&s);
    free(sig);
    free(spk);
    free_items(w, wn);
    return ok;
}

static void test_core_vectors(void **state)
{
    (void)state;
    json_t *root = test_load_json(test_vector_path("bitcoin-core/script_tests.json"));
    secp256k1_context *ctx = sign_ctx();
    size_t cases = 0, failures = 0;
    uint64_t prng = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < json_array_size(root); i++) {
        json_t *test = json_array_get(root, i);
        /* Shorter entries are comments. */
        if (json_array_size(test) < 4) continue;
        cases++;
        if (!run_vector(ctx, i, test, &prng)) failures++;
    }
    secp256k1_context_destroy(ctx);
    json_decref(root);
    test_report_count("script_tests.json", cases);
    assert_int_equal(cases, 1222);
    assert_int_equal(failures, 0);
}

/* ---- Helpers for the focused tests ---- */

/* Verifies scriptSig/scriptPubKey given in Core's notation, no witness. */
static enum script_error run_asm(const char *sig_asm, const char *spk_asm, uint32_t flags)
{
    size_t sig_len, spk_len;
    uint8_t *sig = parse_asm(sig_asm, &sig_len);
    uint8_t *spk = parse_asm(spk_asm, &spk_len);
    struct spend s;
    spend_build(&s, sig, sig_len, spk, spk_len, NULL, 0, 0);
    enum script_error err = spend_verify(&s, flags);
    spend_free(&s);
    free(sig);
    free(spk);
    return err;
}

/* Runs a script in Core's notation on an empty stack (BASE) and returns the top
 * element's hex, or the error name when it fails. */
static const char *eval_top(const char *text, uint32_t flags)
{
    static char out[128];
    size_t len;
    uint8_t *script = parse_asm(text, &len);
    struct script_stack st;
    script_stack_init(&st);
    enum script_error err;
    if (!script_eval(&st, script, len, flags, NULL, SIGVERSION_BASE, NULL, &err)) {
        snprintf(out, sizeof(out), "%s", script_error_name(err));
    } else {
        assert_true(st.count > 0);
        const struct byte_vec *t = &st.items[st.count - 1];
        assert_true(t->len < 60);
        hex_encode(out, t->data ? t->data : (const uint8_t *)"", t->len);
    }
    script_stack_free(&st);
    free(script);
    return out;
}

/* ---- Numbers ---- */

static void test_scriptnum_encoding(void **state)
{
    (void)state;
    /* Results are serialized minimally, sign in the top bit of the last byte. */
    assert_string_equal(eval_top("0 0 ADD", 0), "");
    assert_string_equal(eval_top("1 0 ADD", 0), "01");
    assert_string_equal(eval_top("-1 0 ADD", 0), "81");
    assert_string_equal(eval_top("127 0 ADD", 0), "7f");
    assert_string_equal(eval_top("128 0 ADD", 0), "8000");
    assert_string_equal(eval_top("-128 0 ADD", 0), "8080");
    assert_string_equal(eval_top("255 0 ADD", 0), "ff00");
    assert_string_equal(eval_top("256 0 ADD", 0), "0001");
    assert_string_equal(eval_top("-255 0 ADD", 0), "ff80");
    assert_string_equal(eval_top("32767 1 ADD", 0), "008000");
    assert_string_equal(eval_top("2147483647 0 ADD", 0), "ffffff7f");
    assert_string_equal(eval_top("-2147483647 0 ADD", 0), "ffffffff");
    /* Results may exceed 4 bytes; only operands are limited. */
    assert_string_equal(eval_top("2147483647 DUP ADD", 0), "feffffff00");
    assert_string_equal(eval_top("-2147483647 DUP ADD", 0), "feffffff80");
    assert_string_equal(eval_top("2147483647 DUP ADD 0 ADD", 0), "SCRIPTNUM");
    assert_string_equal(eval_top("-2147483647 1SUB", 0), "0000008080");
    /* Negative zero and padded zeros are zero unless MINIMALDATA applies. */
    assert_string_equal(eval_top("0x01 0x80 0 ADD", 0), "");
    assert_string_equal(eval_top("0x01 0x80 0 ADD", SCRIPT_VERIFY_MINIMALDATA), "SCRIPTNUM");
    assert_string_equal(eval_top("0x04 0x01000000 0 ADD", 0), "01");
    assert_string_equal(eval_top("0x04 0x01000000 0 ADD", SCRIPT_VERIFY_MINIMALDATA),
                        "SCRIPTNUM");
    /* A padding byte is minimal when the value's top bit needs it. */
    assert_string_equal(eval_top("0x02 0x8000 0 ADD", SCRIPT_VERIFY_MINIMALDATA), "8000");
    assert_string_equal(eval_top("0x02 0xff80 0 ADD", SCRIPT_VERIFY_MINIMALDATA), "ff80");
    assert_string_equal(eval_top("0x05 0x0100000000 0 ADD", 0), "SCRIPTNUM");
    /* Boolean results are empty or 0x01; negative zero is false. */
    assert_string_equal(eval_top("0x01 0x80 NOT", 0), "01");
    assert_string_equal(eval_top("0x02 0x0080 IF 1 ELSE 2 ENDIF", 0), "02");
    assert_string_equal(eval_top("0x02 0x0180 IF 1 ELSE 2 ENDIF", 0), "01");
    assert_string_equal(eval_top("5 3 7 WITHIN", 0), "01");
    assert_string_equal(eval_top("7 3 7 WITHIN", 0), "");
    assert_string_equal(eval_top("-5 ABS 3 MAX -9 MIN", 0), "89");
    /* PICK and ROLL take the index from a number. */
    assert_string_equal(eval_top("7 8 9 2 PICK", 0), "07");
    assert_string_equal(eval_top("7 8 9 -1 PICK", 0), "INVALID_STACK_OPERATION");
    assert_string_equal(eval_top("7 8 9 3 ROLL", 0), "INVALID_STACK_OPERATION");
    /* Lock-time operands may be 5 bytes, but not 6. */
    assert_string_equal(
        eval_top("0x05 0xffffffff7f CHECKLOCKTIMEVERIFY", SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY),
        "UNSATISFIED_LOCKTIME");
    assert_string_equal(
        eval_top("0x06 0xffffffffff00 CHECKLOCKTIMEVERIFY", SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY),
        "SCRIPTNUM");
    assert_string_equal(eval_top("-1 CHECKSEQUENCEVERIFY", SCRIPT_VERIFY_CHECKSEQUENCEVERIFY),
                        "NEGATIVE_LOCKTIME");
}

static void test_stack_limits(void **state)
{
    (void)state;
    /* 1000 elements across both stacks is the limit, checked after every opcode. */
    char *text = malloc(4000);
    assert_non_null(text);
    text[0] = 0;
    for (int i = 0; i < 500; i++) strcat(text, "1 ");
    strcat(text, "TOALTSTACK ");
    for (int i = 0; i < 500; i++) strcat(text, "2 ");
    assert_string_equal(eval_top(text, 0), "02");
    strcat(text, "3");
    assert_string_equal(eval_top(text, 0), "STACK_SIZE");
    free(text);
    /* 520-byte pushes are fine, 521 are not, even unexecuted. */
    char push[1200] = "0 IF 0x4d 0x0902 0x";
    for (int i = 0; i < 521; i++) strcat(push, "00");
    strcat(push, " ENDIF 1");
    assert_string_equal(eval_top(push, 0), "PUSH_SIZE");
    /* Deep IF nesting costs no memory and unbalanced ones are caught at the end. */
    assert_string_equal(eval_top("1 IF 0 IF ELSE 1 IF 5 ENDIF ENDIF ENDIF", 0), "05");
    assert_string_equal(eval_top("1 IF 0 ELSE", 0), "UNBALANCED_CONDITIONAL");
    assert_string_equal(eval_top("0 IF VERIF ENDIF 1", 0), "BAD_OPCODE");
    assert_string_equal(eval_top("0 IF CAT ENDIF 1", 0), "DISABLED_OPCODE");
    assert_string_equal(eval_top("0 IF RESERVED ENDIF 1", 0), "01");
}

/* ---- Lock times against a transaction ---- */

static enum script_error run_locktime(const char *spk_asm, int32_t version, uint32_t locktime,
                                      uint32_t sequence)
{
    size_t spk_len;
    uint8_t *spk = parse_asm(spk_asm, &spk_len);
    struct spend s;
    spend_build(&s, NULL, 0, spk, spk_len, NULL, 0, 0);
    s.tx.version = version;
    s.tx.locktime = locktime;
    s.tx.vin[0].sequence = sequence;
    spend_refresh(&s);
    enum script_error err =
        spend_verify(&s, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY |
                             SCRIPT_VERIFY_CHECKSEQUENCEVERIFY | SCRIPT_VERIFY_MINIMALDATA);
    spend_free(&s);
    free(spk);
    return err;
}

static void test_locktime_checks(void **state)
{
    (void)state;
    /* BIP65 */
    assert_int_equal(run_locktime("100 CHECKLOCKTIMEVERIFY", 1, 100, 0), SCRIPT_ERR_OK);
    assert_int_equal(run_locktime("99 CHECKLOCKTIMEVERIFY", 1, 100, 0), SCRIPT_ERR_OK);
    assert_int_equal(run_locktime("101 CHECKLOCKTIMEVERIFY", 1, 100, 0),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run_locktime("100 CHECKLOCKTIMEVERIFY", 1, 100, SEQUENCE_FINAL),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run_locktime("500000000 CHECKLOCKTIMEVERIFY", 1, 499999999, 0),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run_locktime("500000000 CHECKLOCKTIMEVERIFY", 1, 500000001, 0),
                     SCRIPT_ERR_OK);
    assert_int_equal(run_locktime("100 CHECKLOCKTIMEVERIFY", 1, 500000001, 0),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    /* BIP112 */
    assert_int_equal(run_locktime("10 CHECKSEQUENCEVERIFY", 2, 0, 10), SCRIPT_ERR_OK);
    assert_int_equal(run_locktime("11 CHECKSEQUENCEVERIFY", 2, 0, 10),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run_locktime("10 CHECKSEQUENCEVERIFY", 1, 0, 10),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    /* Versions compare as unsigned: a negative version counts as large. */
    assert_int_equal(run_locktime("10 CHECKSEQUENCEVERIFY", -1, 0, 10), SCRIPT_ERR_OK);
    /* Bits outside the type flag and the 16-bit value are ignored on both sides. */
    assert_int_equal(run_locktime("0x03 0x0a0001 CHECKSEQUENCEVERIFY", 2, 0, 10 | 1u << 20),
                     SCRIPT_ERR_OK);
    /* Time-based against height-based fails either way. */
    assert_int_equal(run_locktime("0x03 0x0a0040 CHECKSEQUENCEVERIFY", 2, 0, 10),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(run_locktime("0x03 0x0a0040 CHECKSEQUENCEVERIFY", 2, 0, 10 | 1u << 22),
                     SCRIPT_ERR_OK);
    /* The input's own disable flag fails the check; the operand's makes it a NOP. */
    assert_int_equal(run_locktime("10 CHECKSEQUENCEVERIFY", 2, 0, 10 | 1u << 31),
                     SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    assert_int_equal(
        run_locktime("0x05 0x0a00008000 CHECKSEQUENCEVERIFY", 1, 0, SEQUENCE_FINAL),
        SCRIPT_ERR_OK);
}

/* ---- Tapscript ---- */

struct tap {
    secp256k1_context *ctx;
    secp256k1_keypair kp;
    uint8_t internal[32], xonly[32];
    uint8_t *script;
    size_t script_len;
    uint8_t out_key[32], control[33];
    struct spend s;
};

/* A Taproot output committing to one tapscript leaf; the signing key is key 2. */
static void tap_init(struct tap *t, const uint8_t *script, size_t len)
{
    uint8_t sk[32], spk[34];
    t->ctx = sign_ctx();
    xonly_of(t->ctx, 1, t->internal);
    xonly_of(t->ctx, 2, t->xonly);
    key_of(sk, 2);
    assert_true(secp256k1_keypair_create(t->ctx, &t->kp, sk));
    t->script = malloc(len ? len : 1);
    assert_non_null(t->script);
    if (len) memcpy(t->script, script, len);
    t->script_len = len;
    taproot_single_leaf(t->internal, script, len, t->out_key, t->control);
    spk[0] = OP_1;
    spk[1] = 32;
    memcpy(spk + 2, t->out_key, 32);
    spend_build(&t->s, NULL, 0, spk, sizeof(spk), NULL, 0, 12345);
}

static void tap_free(struct tap *t)
{
    spend_free(&t->s);
    free(t->script);
    secp256k1_context_destroy(t->ctx);
}

/* A BIP342 signature of the spend by key 2 (hash_type appended unless DEFAULT). */
static void tap_sign(struct tap *t, uint8_t hash_type, const uint8_t *annex, size_t annex_len,
                     struct byte_vec *sig)
{
    struct script_exec_data ed;
    memset(&ed, 0, sizeof(ed));
    taproot_leaf_hash(&ed.tapleaf_hash, TAPROOT_LEAF_TAPSCRIPT, t->script, t->script_len);
    ed.tapleaf_hash_init = true;
    ed.codeseparator_pos = 0xffffffffu;
    ed.codeseparator_pos_init = true;
    ed.annex_init = true;
    ed.annex_present = annex != NULL;
    if (annex) {
        uint8_t buf[300];
        assert_true(annex_len < 0xfd);
        buf[0] = (uint8_t)annex_len;
        memcpy(buf + 1, annex, annex_len);
        sha256(buf, annex_len + 1, ed.annex_hash.b);
    }
    uint256 h;
    assert_true(
        sighash_taproot(&h, &t->s.tx, 0, hash_type, SIGVERSION_TAPSCRIPT, &ed, &t->s.pre));
    sig->data = malloc(65);
    assert_non_null(sig->data);
    assert_true(secp256k1_schnorrsig_sign32(t->ctx, sig->data, h.b, &t->kp, NULL));
    sig->len = 64;
    if (hash_type != SIGHASH_DEFAULT) sig->data[sig->len++] = hash_type;
}

/* Spends with witness = stack items, script, control block[, annex]. */
static enum script_error tap_run(struct tap *t, const struct byte_vec *items, size_t n,
                                 const uint8_t *annex, size_t annex_len, uint32_t flags)
{
    struct byte_vec w[16];
    assert_true(n + 3 <= 16);
    for (size_t i = 0; i < n; i++) w[i] = items[i];
    w[n].data = t->script;
    w[n].len = t->script_len;
    w[n + 1].data = t->control;
    w[n + 1].len = 33;
    size_t wn = n + 2;
    if (annex) {
        w[wn].data = (uint8_t *)annex;
        w[wn].len = annex_len;
        wn++;
    }
    copy_witness(&t->s.tx.vin[0], w, wn);
    return spend_verify(&t->s, flags);
}

#define TAP_FLAGS (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT)

static size_t put_push32(uint8_t *p, const uint8_t k[32])
{
    p[0] = 32;
    memcpy(p + 1, k, 32);
    return 33;
}

static void test_tapscript_checksig(void **state)
{
    (void)state;
    uint8_t xonly[32], script[200];
    secp256k1_context *ctx = sign_ctx();
    xonly_of(ctx, 2, xonly);
    secp256k1_context_destroy(ctx);

    /* <k> CHECKSIG <k> CHECKSIGADD <k> CHECKSIGADD 2 NUMEQUAL */
    size_t n = 0;
    n += put_push32(script + n, xonly);
    script[n++] = OP_CHECKSIG;
    n += put_push32(script + n, xonly);
    script[n++] = OP_CHECKSIGADD;
    n += put_push32(script + n, xonly);
    script[n++] = OP_CHECKSIGADD;
    script[n++] = OP_2;
    script[n++] = OP_NUMEQUAL;

    struct tap t;
    tap_init(&t, script, n);
    struct byte_vec sig, sig_all, items[3];
    tap_sign(&t, SIGHASH_DEFAULT, NULL, 0, &sig);
    tap_sign(&t, SIGHASH_ALL, NULL, 0, &sig_all);
    struct byte_vec empty = {NULL, 0};

    /* Two of three: an empty signature adds nothing and costs nothing. */
    items[0] = sig;
    items[1] = empty;
    items[2] = sig_all;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    items[1] = sig;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_EVAL_FALSE);
    items[0] = empty;
    items[1] = empty;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_EVAL_FALSE);

    /* A wrong non-empty signature is an error, not a false result (no NULLFAIL needed). */
    sig.data[10] ^= 1;
    items[0] = sig;
    items[1] = empty;
    items[2] = sig_all;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG);
    sig.data[10] ^= 1;
    /* An explicit SIGHASH_DEFAULT byte, an undefined type and bad sizes. */
    sig_all.data[64] = SIGHASH_DEFAULT;
    items[2] = sig_all;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    sig_all.data[64] = 0x04;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    sig_all.len = 63;
    items[2] = sig_all;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG_SIZE);
    /* The wrong annex changes the sighash. */
    static const uint8_t annex[3] = {ANNEX_TAG, 1, 2};
    items[2] = sig;
    assert_int_equal(tap_run(&t, items, 3, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    assert_int_equal(tap_run(&t, items, 3, annex, sizeof(annex), TAP_FLAGS),
                     SCRIPT_ERR_SCHNORR_SIG);
    struct byte_vec sig_annex;
    tap_sign(&t, SIGHASH_DEFAULT, annex, sizeof(annex), &sig_annex);
    items[0] = sig_annex;
    items[1] = empty;
    items[2] = sig_annex;
    assert_int_equal(tap_run(&t, items, 3, annex, sizeof(annex), TAP_FLAGS), SCRIPT_ERR_OK);
    /* Without TAPROOT the output is anyone-can-spend. */
    assert_int_equal(tap_run(&t, items, 0, NULL, 0, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS),
                     SCRIPT_ERR_OK);
    /* Not in BASE or witness v0. */
    assert_int_equal(run_asm("0 0 0", "CHECKSIGADD", SCRIPT_VERIFY_P2SH),
                     SCRIPT_ERR_BAD_OPCODE);

    free(sig.data);
    free(sig_all.data);
    free(sig_annex.data);
    tap_free(&t);
}

/* count x (DUP <k> CHECKSIGVERIFY), then <k> CHECKSIG: count+1 signature checks of the
 * one signature in the witness. */
static enum script_error run_weight(unsigned count)
{
    uint8_t xonly[32];
    secp256k1_context *ctx = sign_ctx();
    xonly_of(ctx, 2, xonly);
    secp256k1_context_destroy(ctx);
    uint8_t *script = malloc(35 * (count + 1));
    assert_non_null(script);
    size_t n = 0;
    for (unsigned i = 0; i < count; i++) {
        script[n++] = OP_DUP;
        n += put_push32(script + n, xonly);
        script[n++] = OP_CHECKSIGVERIFY;
    }
    n += put_push32(script + n, xonly);
    script[n++] = OP_CHECKSIG;
    struct tap t;
    tap_init(&t, script, n);
    struct byte_vec sig;
    tap_sign(&t, SIGHASH_DEFAULT, NULL, 0, &sig);
    enum script_error err = tap_run(&t, &sig, 1, NULL, 0, TAP_FLAGS);
    free(sig.data);
    free(script);
    tap_free(&t);
    return err;
}

static void test_tapscript_validation_weight(void **state)
{
    (void)state;
    /* Budget = witness size + 50, 50 per non-empty signature checked. With 9 repeats the
     * witness is 1 + 65 + (3 + 349) + 34 = 452 bytes: 502 against 10 checks, 2 left. With
     * 10 it is 487: 537 against 11 checks (550). */
    assert_int_equal(run_weight(9), SCRIPT_ERR_OK);
    assert_int_equal(run_weight(10), SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT);
}

static void test_tapscript_pubkey_types(void **state)
{
    (void)state;
    /* Unknown key sizes accept any non-empty signature unless discouraged. */
    uint8_t script[40];
    size_t n = 0;
    script[n++] = 33;
    memset(script + n, 0x02, 33);
    n += 33;
    script[n++] = OP_CHECKSIG;
    struct tap t;
    tap_init(&t, script, n);
    uint8_t junk = 0x77;
    struct byte_vec sig = {&junk, 1}, empty = {NULL, 0};
    assert_int_equal(tap_run(&t, &sig, 1, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    assert_int_equal(tap_run(&t, &empty, 1, NULL, 0, TAP_FLAGS), SCRIPT_ERR_EVAL_FALSE);
    assert_int_equal(tap_run(&t, &sig, 1, NULL, 0,
                             TAP_FLAGS | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE),
                     SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE);
    tap_free(&t);

    /* An empty key fails even with an empty signature. */
    uint8_t s2[2] = {OP_0, OP_CHECKSIG};
    tap_init(&t, s2, sizeof(s2));
    assert_int_equal(tap_run(&t, &empty, 1, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_TAPSCRIPT_EMPTY_PUBKEY);
    tap_free(&t);

    /* CHECKMULTISIG is gone, and IF arguments must be minimal without any flag. */
    uint8_t s3[] = {OP_0, OP_0, OP_0, OP_CHECKMULTISIG};
    tap_init(&t, s3, sizeof(s3));
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG);
    tap_free(&t);
    uint8_t s4[] = {OP_IF, OP_1, OP_ENDIF};
    tap_init(&t, s4, sizeof(s4));
    uint8_t two = 2;
    struct byte_vec arg = {&two, 1};
    assert_int_equal(tap_run(&t, &arg, 1, NULL, 0, TAP_FLAGS), SCRIPT_ERR_TAPSCRIPT_MINIMALIF);
    tap_free(&t);
}

static void test_op_success(void **state)
{
    (void)state;
    static const uint8_t success_ops[] = {80,  98,  126, 127, 128, 129, 131, 132,
                                          133, 134, 137, 138, 141, 142, 149, 150,
                                          151, 152, 153, 187, 200, 254};
    for (size_t i = 0; i < sizeof(success_ops); i++) {
        /* OP_RETURN after it does not matter: nothing is executed. */
        uint8_t script[2] = {success_ops[i], OP_RETURN};
        struct tap t;
        tap_init(&t, script, sizeof(script));
        assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
        assert_int_equal(
            tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS | SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS),
            SCRIPT_ERR_DISCOURAGE_OP_SUCCESS);
        tap_free(&t);
    }
    /* Not OP_SUCCESS: 0xba, 0xff, OP_VERIF. */
    static const uint8_t plain[] = {OP_CHECKSIGADD, OP_INVALIDOPCODE, OP_VERIF};
    for (size_t i = 0; i < sizeof(plain); i++) {
        uint8_t script[1] = {plain[i]};
        struct tap t;
        tap_init(&t, script, 1);
        assert_int_not_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
        tap_free(&t);
    }
    /* A malformed push before it is an error; one after it is never reached. */
    uint8_t bad_first[] = {OP_PUSHDATA1, 5, 1, 80};
    uint8_t bad_after[] = {80, OP_PUSHDATA1, 5, 1};
    struct tap t;
    tap_init(&t, bad_first, sizeof(bad_first));
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_BAD_OPCODE);
    tap_free(&t);
    tap_init(&t, bad_after, sizeof(bad_after));
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    /* It even overrides the element size and stack size limits. */
    struct byte_vec big = {calloc(1, 600), 600};
    assert_non_null(big.data);
    assert_int_equal(tap_run(&t, &big, 1, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    tap_free(&t);
    uint8_t plain_script[] = {OP_DROP, OP_1};
    tap_init(&t, plain_script, sizeof(plain_script));
    assert_int_equal(tap_run(&t, &big, 1, NULL, 0, TAP_FLAGS), SCRIPT_ERR_PUSH_SIZE);
    tap_free(&t);
    free(big.data);
}

static void test_annex_and_control_block(void **state)
{
    (void)state;
    uint8_t script[] = {OP_1};
    struct tap t;
    tap_init(&t, script, sizeof(script));
    static const uint8_t annex[] = {ANNEX_TAG};
    static const uint8_t not_annex[] = {0x51};
    assert_int_equal(tap_run(&t, NULL, 0, annex, sizeof(annex), TAP_FLAGS), SCRIPT_ERR_OK);
    /* Without the 0x50 tag the last element is the control block. */
    assert_int_equal(tap_run(&t, NULL, 0, not_annex, sizeof(not_annex), TAP_FLAGS),
                     SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE);
    /* One element plus an annex is a key path spend. */
    struct byte_vec w[2] = {{t.control, 1}, {(uint8_t *)annex, 1}};
    copy_witness(&t.s.tx.vin[0], w, 2);
    assert_int_equal(spend_verify(&t.s, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG_SIZE);
    /* A lone 0x50 element is not an annex either. */
    copy_witness(&t.s.tx.vin[0], w + 1, 1);
    assert_int_equal(spend_verify(&t.s, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG_SIZE);
    /* Wrong parity bit or wrong leaf version breaks the commitment. */
    t.control[0] ^= 1;
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    t.control[0] ^= 1;
    t.control[0] ^= 2;
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS),
                     SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    t.control[0] ^= 2;
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    tap_free(&t);

    /* An unknown leaf version committed properly succeeds unless discouraged. */
    tap_init(&t, script, sizeof(script));
    uint256 leaf, tweak;
    int parity;
    taproot_leaf_hash(&leaf, 0xc2, script, sizeof(script));
    taproot_tweak_hash(&tweak, t.internal, &leaf);
    uint8_t spk[34] = {OP_1, 32};
    assert_true(pubkey_xonly_tweak_add(spk + 2, &parity, t.internal, tweak.b));
    assert_true(tx_set_script_pubkey(&t.s.credit.vout[0], spk, sizeof(spk)));
    t.control[0] = (uint8_t)(0xc2 | parity);
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0, TAP_FLAGS), SCRIPT_ERR_OK);
    assert_int_equal(tap_run(&t, NULL, 0, NULL, 0,
                             TAP_FLAGS | SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION),
                     SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION);
    tap_free(&t);
}

static void test_taproot_key_path(void **state)
{
    (void)state;
    secp256k1_context *ctx = sign_ctx();
    uint8_t sk[32], internal[32], out_key[32], spk[34] = {OP_1, 32};
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xo;
    int parity;
    key_of(sk, 3);
    assert_true(secp256k1_keypair_create(ctx, &kp, sk));
    assert_true(secp256k1_keypair_xonly_pub(ctx, &xo, NULL, &kp));
    assert_true(secp256k1_xonly_pubkey_serialize(ctx, internal, &xo));
    /* Key-only commitment: the tweak hashes the internal key alone. */
    uint256 tweak;
    taproot_tweak_hash(&tweak, internal, NULL);
    assert_true(pubkey_xonly_tweak_add(out_key, &parity, internal, tweak.b));
    assert_true(pubkey_xonly_tweak_add_check(out_key, parity, internal, tweak.b));
    assert_false(pubkey_xonly_tweak_add_check(out_key, !parity, internal, tweak.b));
    assert_true(secp256k1_keypair_xonly_tweak_add(ctx, &kp, tweak.b));
    memcpy(spk + 2, out_key, 32);

    struct spend s;
    spend_build(&s, NULL, 0, spk, sizeof(spk), NULL, 0, 5000);
    struct script_exec_data ed;
    memset(&ed, 0, sizeof(ed));
    ed.annex_init = true;
    uint256 h;
    assert_true(
        sighash_taproot(&h, &s.tx, 0, SIGHASH_DEFAULT, SIGVERSION_TAPROOT, &ed, &s.pre));
    uint8_t sig[65];
    assert_true(secp256k1_schnorrsig_sign32(ctx, sig, h.b, &kp, NULL));
    struct byte_vec w = {sig, 64};
    copy_witness(&s.tx.vin[0], &w, 1);
    assert_int_equal(spend_verify(&s, TAP_FLAGS), SCRIPT_ERR_OK);
    /* The checker needs the spent outputs for BIP341 hashes. */
    s.checker.pre = NULL;
    assert_int_equal(spend_verify(&s, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    s.checker.pre = &s.pre;
    /* A different amount spent changes the hash. */
    s.credit.vout[0].value = 5001;
    spend_refresh(&s);
    assert_int_equal(spend_verify(&s, TAP_FLAGS), SCRIPT_ERR_SCHNORR_SIG);
    /* Empty witness, and P2SH-wrapped v1 is not Taproot. */
    copy_witness(&s.tx.vin[0], NULL, 0);
    assert_int_equal(spend_verify(&s, TAP_FLAGS), SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY);
    /* Without a transaction every signature check fails. */
    struct script_checker none = {NULL, 0, 0, NULL};
    enum script_error err;
    copy_witness(&s.tx.vin[0], &w, 1);
    assert_false(script_verify(NULL, 0, spk, sizeof(spk), &w, 1, TAP_FLAGS, &none, &err));
    assert_int_equal(err, SCRIPT_ERR_SCHNORR_SIG);
    spend_free(&s);
    secp256k1_context_destroy(ctx);
}

/* ---- ECDSA encodings ---- */

static const uint8_t ORDER[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                                  0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
                                  0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

/* DER of (r, s), each 32 big-endian bytes, minimally encoded. */
static size_t der_encode(uint8_t *out, const uint8_t r[32], const uint8_t s[32])
{
    size_t n = 2;
    const uint8_t *ints[2] = {r, s};
    for (int i = 0; i < 2; i++) {
        const uint8_t *v = ints[i];
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0 && !(v[skip + 1] & 0x80)) skip++;
        bool pad = v[skip] & 0x80;
        out[n++] = 0x02;
        out[n++] = (uint8_t)(32 - skip + pad);
        if (pad) out[n++] = 0;
        memcpy(out + n, v + skip, 32 - skip);
        n += 32 - skip;
    }
    out[0] = 0x30;
    out[1] = (uint8_t)(n - 2);
    return n;
}

static void test_ecdsa_lax_der(void **state)
{
    (void)state;
    secp256k1_context *ctx = sign_ctx();
    uint8_t sk[32], hash[32], pk[33], rs[64], got[64], der[80], alt[90];
    size_t pk_len = 33;
    secp256k1_pubkey pub;
    secp256k1_ecdsa_signature sig;
    key_of(sk, 7);
    memset(hash, 0x5a, 32);
    assert_true(secp256k1_ec_pubkey_create(ctx, &pub, sk));
    assert_true(secp256k1_ec_pubkey_serialize(ctx, pk, &pk_len, &pub, SECP256K1_EC_COMPRESSED));
    assert_true(secp256k1_ecdsa_sign(ctx, &sig, hash, sk, NULL, NULL));
    assert_true(secp256k1_ecdsa_signature_serialize_compact(ctx, rs, &sig));

    size_t n = der_encode(der, rs, rs + 32);
    assert_true(pubkey_ecdsa_verify(pk, 33, der, n, hash));
    der[n] = SIGHASH_ALL;
    assert_true(pubkey_ecdsa_sig_is_strict_der(der, n + 1));
    assert_true(pubkey_ecdsa_sig_is_low_s(der, n));
    assert_true(pubkey_ecdsa_sig_parse_lax(got, der, n));
    assert_memory_equal(got, rs, 64);

    /* High S: still valid at consensus level (normalized), but not low. */
    uint8_t high[32];
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = ORDER[i] - rs[32 + i] - borrow;
        borrow = d < 0;
        high[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    size_t hn = der_encode(alt, rs, high);
    assert_true(pubkey_ecdsa_verify(pk, 33, alt, hn, hash));
    assert_false(pubkey_ecdsa_sig_is_low_s(alt, hn));

    /* Needless zero padding of R and a long-form sequence length: lax only. */
    size_t rlen = der[3];
    alt[0] = 0x30;
    alt[1] = 0x81;
    alt[2] = (uint8_t)(n - 2 + 1);
    alt[3] = 0x02;
    alt[4] = (uint8_t)(rlen + 1);
    alt[5] = 0x00;
    memcpy(alt + 6, der + 4, n - 4);
    size_t an = n + 2;
    assert_true(pubkey_ecdsa_verify(pk, 33, alt, an, hash));
    alt[an] = SIGHASH_ALL;
    assert_false(pubkey_ecdsa_sig_is_strict_der(alt, an + 1));
    /* Long-form integer length with leading zero bytes, and trailing garbage. */
    memcpy(alt, der, 3);
    alt[1] = (uint8_t)(n - 2 + 3);
    alt[3] = 0x83;
    alt[4] = 0;
    alt[5] = 0;
    alt[6] = (uint8_t)rlen;
    memcpy(alt + 7, der + 4, n - 4);
    an = n + 3;
    alt[an] = 0xee;
    assert_true(pubkey_ecdsa_verify(pk, 33, alt, an + 1, hash));
    /* A length running past the input is refused. */
    alt[3] = 0x84;
    assert_false(pubkey_ecdsa_sig_parse_lax(got, alt, an + 1));

    /* R with 33 significant bytes overflows: parses to the zero signature. */
    uint8_t over[] = {0x30, 0x26, 0x02, 0x21, 0x01};
    uint8_t big[45];
    memcpy(big, over, sizeof(over));
    memset(big + 5, 0x11, 32);
    big[37] = 0x02;
    big[38] = 0x01;
    big[39] = 0x01;
    assert_true(pubkey_ecdsa_sig_parse_lax(got, big, 40));
    uint8_t zero[64] = {0};
    assert_memory_equal(got, zero, 64);
    assert_false(pubkey_ecdsa_verify(pk, 33, big, 40, hash));
    /* R equal to the order overflows too. */
    n = der_encode(alt, ORDER, rs + 32);
    assert_true(pubkey_ecdsa_sig_parse_lax(got, alt, n));
    assert_memory_equal(got, zero, 64);

    /* Not a signature at all. */
    static const uint8_t junk1[] = {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
    static const uint8_t junk2[] = {0x30, 0x06, 0x02, 0x05, 0x01};
    static const uint8_t junk3[] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x03, 0x01, 0x01};
    assert_false(pubkey_ecdsa_sig_parse_lax(got, junk1, sizeof(junk1)));
    assert_false(pubkey_ecdsa_sig_parse_lax(got, junk2, sizeof(junk2)));
    assert_false(pubkey_ecdsa_sig_parse_lax(got, junk3, sizeof(junk3)));
    assert_false(pubkey_ecdsa_sig_parse_lax(got, junk1, 0));
    assert_false(pubkey_ecdsa_verify(pk, 33, der, 0, hash));

    /* Key encodings. */
    assert_true(pubkey_is_compressed(pk, 33));
    assert_true(pubkey_is_valid_size(pk, 33));
    assert_false(pubkey_is_valid_size(pk, 32));
    assert_false(pubkey_ecdsa_verify(pk, 32, der, n, hash));
    uint8_t hybrid[65];
    size_t hl = 65;
    assert_true(
        secp256k1_ec_pubkey_serialize(ctx, hybrid, &hl, &pub, SECP256K1_EC_UNCOMPRESSED));
    assert_true(pubkey_is_compressed_or_uncompressed(hybrid, 65));
    hybrid[0] = (uint8_t)(0x06 | (hybrid[64] & 1));
    assert_false(pubkey_is_compressed_or_uncompressed(hybrid, 65));
    /* Hybrid keys still verify when STRICTENC is off. */
    n = der_encode(der, rs, rs + 32);
    assert_true(pubkey_ecdsa_verify(hybrid, 65, der, n, hash));
    secp256k1_context_destroy(ctx);
}

/* ---- Legacy and v0 spends with real signatures ---- */

static void test_p2wpkh_and_findanddelete(void **state)
{
    (void)state;
    secp256k1_context *ctx = sign_ctx();
    uint8_t sk[32], pk[33], h160[20];
    size_t pk_len = 33;
    secp256k1_pubkey pub;
    key_of(sk, 9);
    assert_true(secp256k1_ec_pubkey_create(ctx, &pub, sk));
    assert_true(secp256k1_ec_pubkey_serialize(ctx, pk, &pk_len, &pub, SECP256K1_EC_COMPRESSED));
    hash160(pk, 33, h160);

    /* P2WPKH: the implied script signs with the BIP143 hash over the amount. */
    uint8_t spk[22] = {OP_0, 20};
    memcpy(spk + 2, h160, 20);
    struct spend s;
    spend_build(&s, NULL, 0, spk, sizeof(spk), NULL, 0, 777);
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, h160, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    uint256 h;
    sighash_witness_v0(&h, code, sizeof(code), &s.tx, 0, SIGHASH_ALL, 777, &s.pre);
    secp256k1_ecdsa_signature sig;
    uint8_t der[80];
    size_t der_len = sizeof(der);
    assert_true(secp256k1_ecdsa_sign(ctx, &sig, h.b, sk, NULL, NULL));
    assert_true(secp256k1_ecdsa_signature_serialize_der(ctx, der, &der_len, &sig));
    der[der_len++] = SIGHASH_ALL;
    struct byte_vec w[2] = {{der, der_len}, {pk, 33}};
    copy_witness(&s.tx.vin[0], w, 2);
    uint32_t flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_STRICTENC |
                     SCRIPT_VERIFY_LOW_S | SCRIPT_VERIFY_NULLFAIL;
    assert_int_equal(spend_verify(&s, flags), SCRIPT_ERR_OK);
    assert_int_equal(script_witness_sigop_count(NULL, 0, spk, sizeof(spk), w, 2, flags), 1);
    s.credit.vout[0].value = 778;
    spend_refresh(&s);
    assert_int_equal(spend_verify(&s, flags), SCRIPT_ERR_NULLFAIL);
    assert_int_equal(spend_verify(&s, flags & ~SCRIPT_VERIFY_NULLFAIL), SCRIPT_ERR_EVAL_FALSE);
    spend_free(&s);

    /* Legacy: a scriptPubKey that contains the signature's own push still verifies,
     * because the push is removed from the scriptCode before hashing, unless
     * CONST_SCRIPTCODE forbids it. scriptPubKey: <sig> DROP <pk> CHECKSIG, so sign the
     * hash of "DROP <pk> CHECKSIG" ... with the push deleted. */
    uint8_t legacy_code[40];
    size_t lc = 0;
    legacy_code[lc++] = OP_DROP;
    legacy_code[lc++] = 33;
    memcpy(legacy_code + lc, pk, 33);
    lc += 33;
    legacy_code[lc++] = OP_CHECKSIG;
    /* The signature cannot commit to a script containing itself, but the legacy hash
     * does not cover the spent script, and the checker does not look at whether the
     * prevout is really the crediting transaction: sign first, then set the script. */
    struct spend s2;
    spend_build(&s2, NULL, 0, legacy_code, lc, NULL, 0, 0);
    sighash_legacy(&h, legacy_code, lc, &s2.tx, 0, SIGHASH_ALL);
    der_len = sizeof(der);
    assert_true(secp256k1_ecdsa_sign(ctx, &sig, h.b, sk, NULL, NULL));
    assert_true(secp256k1_ecdsa_signature_serialize_der(ctx, der, &der_len, &sig));
    der[der_len++] = SIGHASH_ALL;
    uint8_t full[160], script_sig[80];
    size_t fl = 0;
    full[fl++] = (uint8_t)der_len;
    memcpy(full + fl, der, der_len);
    fl += der_len;
    memcpy(full + fl, legacy_code, lc);
    fl += lc;
    script_sig[0] = (uint8_t)der_len;
    memcpy(script_sig + 1, der, der_len);
    assert_true(tx_set_script_pubkey(&s2.credit.vout[0], full, fl));
    assert_true(tx_set_script_sig(&s2.tx.vin[0], script_sig, der_len + 1));
    spend_refresh(&s2);
    assert_int_equal(spend_verify(&s2, SCRIPT_VERIFY_P2SH), SCRIPT_ERR_OK);
    assert_int_equal(spend_verify(&s2, SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_CONST_SCRIPTCODE),
                     SCRIPT_ERR_SIG_FINDANDDELETE);
    spend_free(&s2);
    secp256k1_context_destroy(ctx);
}

static void test_witness_sigops(void **state)
{
    (void)state;
    uint32_t flags = SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS;
    /* P2WSH counts the witness script accurately; P2SH-wrapped the same. */
    uint8_t ws[] = {OP_2, OP_CHECKMULTISIG, OP_CHECKSIG, OP_CHECKMULTISIGVERIFY};
    struct byte_vec w = {ws, sizeof(ws)};
    uint8_t prog[34] = {OP_0, 32};
    sha256(ws, sizeof(ws), prog + 2);
    assert_int_equal(script_witness_sigop_count(NULL, 0, prog, sizeof(prog), &w, 1, flags),
                     2 + 1 + 20);
    assert_int_equal(script_witness_sigop_count(NULL, 0, prog, sizeof(prog), &w, 1, 0), 0);
    assert_int_equal(script_witness_sigop_count(NULL, 0, prog, sizeof(prog), NULL, 0, flags),
                     0);
    uint8_t p2sh[23] = {OP_HASH160, 20};
    p2sh[22] = OP_EQUAL;
    hash160(prog, sizeof(prog), p2sh + 2);
    uint8_t sig[35] = {34};
    memcpy(sig + 1, prog, 34);
    assert_int_equal(
        script_witness_sigop_count(sig, sizeof(sig), p2sh, sizeof(p2sh), &w, 1, flags), 23);
    /* Taproot and unknown versions count nothing here. */
    uint8_t tr[34] = {OP_1, 32};
    assert_int_equal(script_witness_sigop_count(NULL, 0, tr, sizeof(tr), &w, 1, flags), 0);
}

static void test_stack_api(void **state)
{
    (void)state;
    struct script_stack st;
    script_stack_init(&st);
    assert_true(script_stack_push(&st, (const uint8_t *)"ab", 2));
    assert_true(script_stack_push(&st, NULL, 0));
    assert_int_equal(st.count, 2);
    /* DUP TOALTSTACK ... the alt stack is freed on every exit, including errors. */
    static const uint8_t s[] = {OP_DUP, OP_TOALTSTACK, OP_DUP, OP_TOALTSTACK, OP_RETURN};
    enum script_error err;
    assert_false(script_eval(&st, s, sizeof(s), 0, NULL, SIGVERSION_BASE, NULL, &err));
    assert_int_equal(err, SCRIPT_ERR_OP_RETURN);
    /* Key path is not something to evaluate. */
    assert_false(script_eval(&st, s, 0, 0, NULL, SIGVERSION_TAPROOT, NULL, &err));
    script_stack_free(&st);
    script_stack_free(&st);
    script_stack_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_vectors),
        cmocka_unit_test(test_scriptnum_encoding),
        cmocka_unit_test(test_stack_limits),
        cmocka_unit_test(test_locktime_checks),
        cmocka_unit_test(test_tapscript_checksig),
        cmocka_unit_test(test_tapscript_validation_weight),
        cmocka_unit_test(test_tapscript_pubkey_types),
        cmocka_unit_test(test_op_success),
        cmocka_unit_test(test_annex_and_control_block),
        cmocka_unit_test(test_taproot_key_path),
        cmocka_unit_test(test_ecdsa_lax_der),
        cmocka_unit_test(test_p2wpkh_and_findanddelete),
        cmocka_unit_test(test_witness_sigops),
        cmocka_unit_test(test_stack_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
