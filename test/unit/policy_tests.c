/* Standardness policy (src/chain/policy.h): the template solver, IsStandardTx and its
 * reasons at each boundary, dust, input and witness standardness, virtual size, fee
 * rounding, RBF signalling and script-failure reasons; then every transaction of
 * Core's tx_valid.json through the policy functions, which must not crash and must give
 * the same answer twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/policy.h"
#include "consensus/script.h"
#include "consensus/tx.h"
#include "script_asm.h"
#include "test_util.h"

/* ---- Builders ---- */

struct script {
    uint8_t b[12000];
    size_t n;
};

static void s_op(struct script *s, uint8_t op)
{
    assert_true(s->n < sizeof(s->b));
    s->b[s->n++] = op;
}

/* Minimal push of len bytes of data (len > 0). */
static void s_push(struct script *s, const uint8_t *data, size_t len)
{
    assert_true(s->n + len + 3 <= sizeof(s->b));
    if (len < OP_PUSHDATA1) {
        s_op(s, (uint8_t)len);
    } else if (len <= 0xff) {
        s_op(s, OP_PUSHDATA1);
        s_op(s, (uint8_t)len);
    } else {
        s_op(s, OP_PUSHDATA2);
        s_op(s, (uint8_t)(len & 0xff));
        s_op(s, (uint8_t)(len >> 8));
    }
    memcpy(s->b + s->n, data, len);
    s->n += len;
}

static void s_push_fill(struct script *s, uint8_t byte, size_t len)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memset(buf, byte, len);
    s_push(s, buf, len);
    free(buf);
}

static void make_key(uint8_t *key, size_t len, uint8_t fill)
{
    memset(key, fill, len);
    key[0] = len == 33 ? 0x02 : 0x04;
}

static void s_p2pkh(struct script *s)
{
    s->n = 0;
    s_op(s, OP_DUP);
    s_op(s, OP_HASH160);
    s_push_fill(s, 0xab, 20);
    s_op(s, OP_EQUALVERIFY);
    s_op(s, OP_CHECKSIG);
}

static void s_p2sh(struct script *s)
{
    s->n = 0;
    s_op(s, OP_HASH160);
    s_push_fill(s, 0xcd, 20);
    s_op(s, OP_EQUAL);
}

static void s_witness(struct script *s, int version, size_t program_len)
{
    s->n = 0;
    s_op(s, version == 0 ? OP_0 : script_encode_op_n(version));
    s_push_fill(s, 0xee, program_len);
}

static void s_p2a(struct script *s)
{
    static const uint8_t anchor[] = {0x4e, 0x73};
    s->n = 0;
    s_op(s, OP_1);
    s_push(s, anchor, 2);
}

/* m-of-n bare multisig with compressed keys, counts as OP_N. */
static void s_multisig(struct script *s, int m, int n)
{
    s->n = 0;
    s_op(s, script_encode_op_n(m));
    for (int i = 0; i < n; i++) {
        uint8_t key[33];
        make_key(key, 33, (uint8_t)(0x10 + i));
        s_push(s, key, 33);
    }
    s_op(s, script_encode_op_n(n));
    s_op(s, OP_CHECKMULTISIG);
}

/* OP_RETURN followed by one minimal push, total scriptPubKey size total (1, 3..77,
 * 79..258 or 260 and up). */
static void s_op_return(struct script *s, size_t total)
{
    s->n = 0;
    s_op(s, OP_RETURN);
    if (total == 1) return;
    size_t data = total <= 77 ? total - 2 : total <= 258 ? total - 3 : total - 4;
    s_push_fill(s, 0x42, data);
    assert_int_equal(s->n, total);
}

static void set_spk(struct tx_out *out, const struct script *s)
{
    assert_true(tx_set_script_pubkey(out, s->b, s->n));
}

static void set_sig(struct tx_in *in, const struct script *s)
{
    assert_true(tx_set_script_sig(in, s->b, s->n));
}

static void push_witness(struct tx_in *in, uint8_t fill, size_t len)
{
    struct byte_vec *w = realloc(in->witness, (in->witness_count + 1) * sizeof(*w));
    assert_non_null(w);
    in->witness = w;
    w[in->witness_count].data = malloc(len ? len : 1);
    assert_non_null(w[in->witness_count].data);
    memset(w[in->witness_count].data, fill, len);
    w[in->witness_count].len = len;
    in->witness_count++;
}

/* Gives witness item j a new length (contents 0x01). */
static void resize_item(struct tx_in *in, size_t j, size_t len)
{
    uint8_t *d = realloc(in->witness[j].data, len ? len : 1);
    assert_non_null(d);
    memset(d, 0x01, len);
    in->witness[j].data = d;
    in->witness[j].len = len;
}

static void push_witness_bytes(struct tx_in *in, const uint8_t *data, size_t len)
{
    push_witness(in, 0, len);
    memcpy(in->witness[in->witness_count - 1].data, data, len);
}

/* A standard version-2 transaction: nin inputs with empty scriptSigs and distinct
 * prevouts, nout P2WPKH outputs of 10,000 sat. */
static void make_tx(struct tx *tx, size_t nin, size_t nout)
{
    tx_init(tx);
    tx->version = 2;
    assert_true(tx_resize(tx, nin, nout));
    struct script s;
    s_witness(&s, 0, 20);
    for (size_t i = 0; i < nin; i++) {
        memset(&tx->vin[i].prevout.hash, (int)(i + 1), sizeof(tx->vin[i].prevout.hash));
        tx->vin[i].prevout.n = (uint32_t)i;
    }
    for (size_t i = 0; i < nout; i++) {
        tx->vout[i].value = 10000;
        set_spk(&tx->vout[i], &s);
    }
}

static void set_out(struct tx_out *out, int64_t value, const struct script *s)
{
    out->value = value;
    set_spk(out, s);
}

static void free_out(struct tx_out *out)
{
    free(out->script_pubkey);
    out->script_pubkey = NULL;
    out->script_pubkey_len = 0;
}

static void expect_tx(const struct policy_params *p, const struct tx *tx, const char *want)
{
    const char *reason = NULL;
    bool ok = policy_is_standard_tx(p, tx, &reason);
    if (!want) {
        if (!ok) fail_msg("expected standard, got \"%s\"", reason);
    } else {
        assert_false(ok);
        assert_non_null(reason);
        assert_string_equal(reason, want);
    }
}

/* ---- Solver ---- */

static void test_solver_templates(void **state)
{
    struct script s;
    struct script_solution sol;

    uint8_t ckey[33], ukey[65];
    make_key(ckey, 33, 0x21);
    make_key(ukey, 65, 0x22);
    s.n = 0;
    s_push(&s, ckey, 33);
    s_op(&s, OP_CHECKSIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_PUBKEY);
    assert_int_equal(sol.key_count, 1);
    assert_int_equal(sol.key_lens[0], 33);
    assert_ptr_equal(sol.keys[0], s.b + 1);
    s.n = 0;
    s_push(&s, ukey, 65);
    s_op(&s, OP_CHECKSIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_PUBKEY);
    assert_int_equal(sol.key_lens[0], 65);
    assert_memory_equal(sol.keys[0], ukey, 65);
    /* hybrid keys (06/07) have the right size; 05 does not */
    s.b[1] = 0x06;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_PUBKEY);
    s.b[1] = 0x05;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    /* compressed-size key with an uncompressed prefix */
    s.n = 0;
    ckey[0] = 0x04;
    s_push(&s, ckey, 33);
    s_op(&s, OP_CHECKSIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    s_p2pkh(&s);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_PUBKEYHASH);
    assert_int_equal(sol.hash_len, 20);
    assert_ptr_equal(sol.hash, s.b + 3);
    s.b[24] = OP_CHECKSIGVERIFY;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    s_p2sh(&s);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_SCRIPTHASH);
    assert_int_equal(sol.hash_len, 20);
    assert_ptr_equal(sol.hash, s.b + 2);

    s_witness(&s, 0, 20);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_V0_KEYHASH);
    assert_int_equal(sol.witness_version, 0);
    assert_int_equal(sol.hash_len, 20);
    assert_ptr_equal(sol.hash, s.b + 2);
    s_witness(&s, 0, 32);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_V0_SCRIPTHASH);
    assert_int_equal(sol.hash_len, 32);
    s_witness(&s, 0, 21);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s_witness(&s, 1, 32);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_V1_TAPROOT);
    assert_int_equal(sol.witness_version, 1);
    assert_int_equal(sol.hash_len, 32);
    s_witness(&s, 1, 20);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_UNKNOWN);
    assert_int_equal(sol.witness_version, 1);
    assert_int_equal(sol.hash_len, 20);
    s_witness(&s, 16, 40);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_UNKNOWN);
    assert_int_equal(sol.witness_version, 16);
    assert_int_equal(sol.hash_len, 40);
    s_witness(&s, 16, 41); /* too long for a witness program, and no other template */
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    s_p2a(&s);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_ANCHOR);
    assert_null(sol.hash);
    s.b[3] = 0x74; /* another 2-byte v1 program */
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_WITNESS_UNKNOWN);
    s.b[0] = OP_0;
    s.b[3] = 0x73; /* v0 with the anchor program */
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    /* NULL_DATA: OP_RETURN then anything push-only (OP_RESERVED counts, as in Core) */
    s.n = 0;
    s_op(&s, OP_RETURN);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NULL_DATA);
    s_op(&s, OP_RESERVED);
    s_op(&s, OP_16);
    s_push_fill(&s, 1, 300);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NULL_DATA);
    s_op(&s, OP_NOP);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s.n = 0;
    s_op(&s, OP_RETURN);
    s_op(&s, 5); /* truncated push */
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    assert_int_equal(policy_solve(s.b, 0, &sol), TXOUT_NONSTANDARD);
    s.n = 0;
    s_op(&s, OP_TRUE);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    assert_string_equal(policy_txout_type_name(TXOUT_NONSTANDARD), "nonstandard");
    assert_string_equal(policy_txout_type_name(TXOUT_PUBKEY), "pubkey");
    assert_string_equal(policy_txout_type_name(TXOUT_PUBKEYHASH), "pubkeyhash");
    assert_string_equal(policy_txout_type_name(TXOUT_SCRIPTHASH), "scripthash");
    assert_string_equal(policy_txout_type_name(TXOUT_MULTISIG), "multisig");
    assert_string_equal(policy_txout_type_name(TXOUT_NULL_DATA), "nulldata");
    assert_string_equal(policy_txout_type_name(TXOUT_WITNESS_V0_KEYHASH), "witness_v0_keyhash");
    assert_string_equal(policy_txout_type_name(TXOUT_WITNESS_V0_SCRIPTHASH),
                        "witness_v0_scripthash");
    assert_string_equal(policy_txout_type_name(TXOUT_WITNESS_V1_TAPROOT), "witness_v1_taproot");
    assert_string_equal(policy_txout_type_name(TXOUT_WITNESS_UNKNOWN), "witness_unknown");
    assert_string_equal(policy_txout_type_name(TXOUT_ANCHOR), "anchor");
}

static void test_solver_multisig(void **state)
{
    struct script s;
    struct script_solution sol;

    s_multisig(&s, 2, 3);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_MULTISIG);
    assert_int_equal(sol.required, 2);
    assert_int_equal(sol.key_count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sol.key_lens[i], 33);
        assert_ptr_equal(sol.keys[i], s.b + 2 + 34 * i);
    }
    s_multisig(&s, 1, 1);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_MULTISIG);
    assert_int_equal(sol.required, 1);
    assert_int_equal(sol.key_count, 1);
    s_multisig(&s, 16, 16);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_MULTISIG);

    /* m > n, m = 0, wrong n, trailing opcode, no CHECKMULTISIG */
    s_multisig(&s, 3, 2);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s_multisig(&s, 1, 2);
    s.b[0] = OP_0;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s_multisig(&s, 1, 2);
    s.b[s.n - 2] = OP_3;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s_multisig(&s, 1, 2);
    s.b[s.n - 1] = OP_NOP;
    s_op(&s, OP_CHECKMULTISIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    s_multisig(&s, 1, 2);
    s.b[s.n - 1] = OP_CHECKMULTISIGVERIFY;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    /* 17..20 keys: counts are minimal one-byte pushes; 1-of-20 and 20-of-20 */
    for (int m = 1; m <= 20; m += 19) {
        s.n = 0;
        if (m == 1) {
            s_op(&s, OP_1);
        } else {
            uint8_t v = (uint8_t)m;
            s_push(&s, &v, 1);
        }
        uint8_t key[65];
        for (int i = 0; i < 20; i++) {
            make_key(key, i % 2 ? 33 : 65, (uint8_t)i);
            s_push(&s, key, i % 2 ? 33 : 65);
        }
        uint8_t twenty = 20;
        s_push(&s, &twenty, 1);
        s_op(&s, OP_CHECKMULTISIG);
        assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_MULTISIG);
        assert_int_equal(sol.required, m);
        assert_int_equal(sol.key_count, 20);
        assert_int_equal(sol.key_lens[0], 65);
        assert_int_equal(sol.key_lens[19], 33);
    }
    /* 21 keys: the count 21 is out of range */
    s.n = 0;
    s_op(&s, OP_1);
    uint8_t key[33];
    make_key(key, 33, 1);
    for (int i = 0; i < 21; i++) s_push(&s, key, 33);
    uint8_t c21 = 21;
    s_push(&s, &c21, 1);
    s_op(&s, OP_CHECKMULTISIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    /* counts must be minimal: a one-byte push of 2 instead of OP_2 fails */
    s.n = 0;
    uint8_t two = 2;
    s_push(&s, &two, 1);
    s_push(&s, key, 33);
    s_push(&s, key, 33);
    s_op(&s, OP_2);
    s_op(&s, OP_CHECKMULTISIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
    /* ... and so must the push of the count: OP_PUSHDATA1 for one byte fails */
    s.n = 0;
    s_op(&s, OP_2);
    s_push(&s, key, 33);
    s_push(&s, key, 33);
    s_op(&s, OP_PUSHDATA1);
    s_op(&s, 1);
    s_op(&s, 2);
    s_op(&s, OP_CHECKMULTISIG);
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);

    /* a key with a bad size ends the key list early, so the count no longer matches */
    s_multisig(&s, 1, 2);
    s.b[1 + 34] = 0x05;
    assert_int_equal(policy_solve(s.b, s.n, &sol), TXOUT_NONSTANDARD);
}

/* ---- IsStandard ---- */

static void test_is_standard_script(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    struct script s;
    enum txout_type t;

    for (int n = 1; n <= 3; n++)
        for (int m = 1; m <= n; m++) {
            s_multisig(&s, m, n);
            assert_true(policy_is_standard_script(&p, s.b, s.n, &t));
            assert_int_equal(t, TXOUT_MULTISIG);
        }
    s_multisig(&s, 1, 4);
    assert_false(policy_is_standard_script(&p, s.b, s.n, &t));
    assert_int_equal(t, TXOUT_MULTISIG);

    s_op_return(&s, 83);
    assert_true(policy_is_standard_script(&p, s.b, s.n, &t));
    assert_int_equal(t, TXOUT_NULL_DATA);
    s_op_return(&s, 84);
    assert_false(policy_is_standard_script(&p, s.b, s.n, &t));
    s_op_return(&s, 1);
    assert_true(policy_is_standard_script(&p, s.b, s.n, NULL));
    p.accept_datacarrier = false;
    assert_false(policy_is_standard_script(&p, s.b, s.n, NULL));
    p.accept_datacarrier = true;
    p.max_datacarrier_bytes = 100000;
    s_op_return(&s, 10000);
    assert_true(policy_is_standard_script(&p, s.b, s.n, NULL));
    policy_params_default(&p);

    s_witness(&s, 2, 32);
    assert_true(policy_is_standard_script(&p, s.b, s.n, &t));
    assert_int_equal(t, TXOUT_WITNESS_UNKNOWN);
    s_p2a(&s);
    assert_true(policy_is_standard_script(&p, s.b, s.n, &t));
    assert_int_equal(t, TXOUT_ANCHOR);
    s_witness(&s, 0, 21);
    assert_false(policy_is_standard_script(&p, s.b, s.n, &t));
    assert_int_equal(t, TXOUT_NONSTANDARD);
}

static void test_defaults(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    assert_true(p.accept_datacarrier);
    assert_int_equal(p.max_datacarrier_bytes, 83);
    assert_true(p.permit_bare_multisig);
    assert_int_equal(p.dust_relay_fee, 3000);
    assert_int_equal(p.min_relay_fee, 1000);
    assert_int_equal(p.incremental_relay_fee, 1000);
    assert_int_equal(p.block_min_tx_fee, 1000);
    assert_int_equal(p.max_standard_tx_weight, 400000);
    assert_int_equal(p.bytes_per_sigop, 20);
    assert_int_equal(p.ancestor_limit, 25);
    assert_int_equal(p.descendant_size_kvb, 101);
    assert_int_equal(p.max_mempool_mb, 300);
    assert_int_equal(p.mempool_expiry_hours, 336);
}

/* ---- IsStandardTx ---- */

static void test_tx_version(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    struct tx tx;
    make_tx(&tx, 1, 1);
    static const int32_t bad[] = {-1, 0, 4, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tx.version = bad[i];
        expect_tx(&p, &tx, "version");
    }
    for (int32_t v = 1; v <= TX_MAX_STANDARD_VERSION; v++) {
        tx.version = v;
        expect_tx(&p, &tx, NULL);
    }
    tx_clear(&tx);
}

static void test_tx_weight(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    struct tx tx;
    make_tx(&tx, 1, 1);
    push_witness(&tx.vin[0], 0x77, 100000);
    size_t w = tx_weight(&tx);
    size_t len = 100000 + (MAX_STANDARD_TX_WEIGHT - w);
    tx_in_clear_witness(&tx.vin[0]);
    push_witness(&tx.vin[0], 0x77, len);
    assert_int_equal(tx_weight(&tx), 400000);
    expect_tx(&p, &tx, NULL);
    tx_in_clear_witness(&tx.vin[0]);
    push_witness(&tx.vin[0], 0x77, len + 1);
    assert_int_equal(tx_weight(&tx), 400001);
    expect_tx(&p, &tx, "tx-size");
    /* version is checked first */
    tx.version = 5;
    expect_tx(&p, &tx, "version");
    tx_clear(&tx);

    /* a witness-free transaction of 100,000 bytes is exactly at the limit */
    make_tx(&tx, 1, 1);
    struct script s;
    s_op_return(&s, 1);
    set_out(&tx.vout[0], 0, &s);
    size_t base = tx_size(&tx, false);
    /* grow the OP_RETURN output (datacarrier limit lifted) to fill 100,000 bytes */
    p.max_datacarrier_bytes = 200000;
    size_t spk = 1 + (100000 - base) - 4; /* compact size grows from 1 to 5 bytes */
    uint8_t *big = malloc(spk);
    assert_non_null(big);
    memset(big, OP_1, spk); /* OP_RETURN then OP_1s: push-only */
    big[0] = OP_RETURN;
    assert_true(tx_set_script_pubkey(&tx.vout[0], big, spk));
    assert_int_equal(tx_weight(&tx), 400000);
    expect_tx(&p, &tx, NULL);
    big = realloc(big, spk + 1);
    assert_non_null(big);
    big[spk] = OP_1;
    assert_true(tx_set_script_pubkey(&tx.vout[0], big, spk + 1));
    assert_int_equal(tx_weight(&tx), 400004);
    expect_tx(&p, &tx, "tx-size");
    free(big);
    tx_clear(&tx);
}

static void test_tx_scriptsig(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    struct tx tx;
    make_tx(&tx, 2, 1);
    struct script s = {.n = 0};
    s_push_fill(&s, 0x30, 1647); /* OP_PUSHDATA2 + 2 + 1647 = 1650 */
    assert_int_equal(s.n, 1650);
    set_sig(&tx.vin[1], &s);
    expect_tx(&p, &tx, NULL);
    s.n = 0;
    s_push_fill(&s, 0x30, 1648);
    assert_int_equal(s.n, 1651);
    set_sig(&tx.vin[1], &s);
    expect_tx(&p, &tx, "scriptsig-size");

    /* push-only: OP_0..OP_16, OP_1NEGATE and OP_RESERVED are pushes; OP_NOP is not */
    s.n = 0;
    s_op(&s, OP_0);
    s_op(&s, OP_1NEGATE);
    s_op(&s, OP_RESERVED);
    s_op(&s, OP_16);
    set_sig(&tx.vin[1], &s);
    expect_tx(&p, &tx, NULL);
    s_op(&s, OP_NOP);
    set_sig(&tx.vin[0], &s);
    expect_tx(&p, &tx, "scriptsig-not-pushonly");
    /* a truncated push is not push-only either */
    s.n = 0;
    s_op(&s, OP_PUSHDATA1);
    set_sig(&tx.vin[0], &s);
    expect_tx(&p, &tx, "scriptsig-not-pushonly");
    /* size is checked before push-only, input by input */
    s.n = 0;
    s_push_fill(&s, 0x30, 1648);
    set_sig(&tx.vin[1], &s);
    expect_tx(&p, &tx, "scriptsig-not-pushonly");
    tx_clear(&tx);
}

static void test_tx_outputs(void **state)
{
    struct policy_params p;
    policy_params_default(&p);
    struct tx tx;
    struct script s;

    /* every standard output type in one transaction */
    make_tx(&tx, 1, 9);
    s_p2pkh(&s);
    set_out(&tx.vout[0], 546, &s);
    s_p2sh(&s);
    set_out(&tx.vout[1], 540, &s);
    s_witness(&s, 0, 32);
    set_out(&tx.vout[2], 330, &s);
    s_witness(&s, 1, 32);
    set_out(&tx.vout[3], 330, &s);
    s_witness(&s, 3, 10);
    set_out(&tx.vout[4], 1000, &s);
    s_p2a(&s);
    set_out(&tx.vout[5], 240, &s);
    s_multisig(&s, 2, 3);
    set_out(&tx.vout[6], 10000, &s);
    s_op_return(&s, 83);
    set_out(&tx.vout[7], 0, &s);
    uint8_t key[33];
    make_key(key, 33, 9);
    s.n = 0;
    s_push(&s, key, 33);
    s_op(&s, OP_CHECKSIG);
    set_out(&tx.vout[8], 10000, &s);
    expect_tx(&p, &tx, NULL);

    /* bare multisig: allowed by default, "bare-multisig" when not permitted */
    p.permit_bare_multisig = false;
    expect_tx(&p, &tx, "bare-multisig");
    p.permit_bare_multisig = true;
    s_multisig(&s, 1, 4);
    set_out(&tx.vout[6], 10000, &s);
    expect_tx(&p, &tx, "scriptpubkey");
    p.permit_bare_multisig = false; /* x-of-4 is "scriptpubkey" either way */
    expect_tx(&p, &tx, "scriptpubkey");
    p.permit_bare_multisig = true;
    s_multisig(&s, 1, 3);
    set_out(&tx.vout[6], 10000, &s);

    /* OP_RETURN size and count */
    s_op_return(&s, 84);
    set_out(&tx.vout[7], 0, &s);
    expect_tx(&p, &tx, "scriptpubkey");
    s_op_return(&s, 83);
    set_out(&tx.vout[7], 0, &s);
    s_op_return(&s, 3);
    set_out(&tx.vout[4], 0, &s);
    expect_tx(&p, &tx, "multi-op-return");
    p.accept_datacarrier = false;
    expect_tx(&p, &tx, "scriptpubkey");
    p.accept_datacarrier = true;
    s_witness(&s, 3, 10);
    set_out(&tx.vout[4], 1000, &s);
    expect_tx(&p, &tx, NULL);

    /* nonstandard outputs */
    s.n = 0;
    s_op(&s, OP_TRUE);
    set_out(&tx.vout[8], 10000, &s);
    expect_tx(&p, &tx, "scriptpubkey");
    s.n = 0;
    set_out(&tx.vout[8], 10000, &s);
    expect_tx(&p, &tx, "scriptpubkey");
    s_p2pkh(&s);
    set_out(&tx.vout[8], 10000, &s);
    expect_tx(&p, &tx, NULL);

    /* dust: one dust output is allowed (ephemeral dust), two are not */
    tx.vout[0].value = 545;
    expect_tx(&p, &tx, NULL);
    tx.vout[1].value = 539;
    expect_tx(&p, &tx, "dust");
    /* dust is checked before multi-op-return, after the outputs */
    s_op_return(&s, 3);
    set_out(&tx.vout[4], 0, &s);
    expect_tx(&p, &tx, "dust");
    tx.vout[1].value = 540;
    expect_tx(&p, &tx, "multi-op-return");
    s.n = 0;
    s_op(&s, OP_NOP);
    set_out(&tx.vout[2], 100000, &s);
    expect_tx(&p, &tx, "scriptpubkey");
    tx_clear(&tx);
}

static void test_tx_size_small_and_sigops(void **state)
{
    struct tx tx;
    struct script s;
    const char *reason = NULL;
    make_tx(&tx, 1, 1);
    /* 4 + 1 + 41 + 1 + 8 + 1 + spk + 4 = 60 + spk */
    s_op_return(&s, 4);
    set_out(&tx.vout[0], 0, &s);
    assert_int_equal(tx_size(&tx, false), 64);
    assert_false(policy_check_tx_size_small(&tx, &reason));
    assert_string_equal(reason, "tx-size-small");
    /* witness data does not count */
    push_witness(&tx.vin[0], 1, 100);
    assert_false(policy_check_tx_size_small(&tx, NULL));
    s_op_return(&s, 5);
    set_out(&tx.vout[0], 0, &s);
    assert_true(policy_check_tx_size_small(&tx, &reason));
    tx_clear(&tx);

    reason = NULL;
    assert_true(policy_check_sigops(16000, &reason));
    assert_null(reason);
    assert_false(policy_check_sigops(16001, &reason));
    assert_string_equal(reason, "bad-txns-too-many-sigops");
}

/* ---- Dust ---- */

static void test_dust(void **state)
{
    struct script s;
    struct tx_out out = {0};
    const int64_t fee = DUST_RELAY_TX_FEE;
    struct {
        int kind;
        int64_t threshold;
    } cases[] = {{0, 546}, {1, 540}, {2, 294}, {3, 330}, {4, 330}, {5, 240}, {6, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        switch (cases[i].kind) {
        case 0: s_p2pkh(&s); break;
        case 1: s_p2sh(&s); break;
        case 2: s_witness(&s, 0, 20); break;
        case 3: s_witness(&s, 0, 32); break;
        case 4: s_witness(&s, 1, 32); break;
        case 5: s_p2a(&s); break;
        default: s_op_return(&s, 40); break;
        }
        set_out(&out, 0, &s);
        assert_int_equal(policy_dust_threshold(&out, fee), cases[i].threshold);
        out.value = cases[i].threshold;
        assert_false(policy_is_dust(&out, fee));
        if (cases[i].threshold > 0) {
            out.value = cases[i].threshold - 1;
            assert_true(policy_is_dust(&out, fee));
        }
        free_out(&out);
    }
    /* P2PK (compressed): 8 + 1 + 35 + 148 = 192 bytes -> 576 */
    uint8_t key[33];
    make_key(key, 33, 3);
    s.n = 0;
    s_push(&s, key, 33);
    s_op(&s, OP_CHECKSIG);
    set_out(&out, 0, &s);
    assert_int_equal(policy_dust_threshold(&out, fee), 576);
    /* Core's odd-rate check: P2PKH at 3702 sat/kvB is 182 * 3.702 = 673.764 -> 674 */
    {
        struct tx_out p2pkh = {0};
        struct script k;
        s_p2pkh(&k);
        set_out(&p2pkh, 673, &k);
        assert_int_equal(policy_dust_threshold(&p2pkh, 3702), 674);
        assert_true(policy_is_dust(&p2pkh, 3702));
        p2pkh.value = 674;
        assert_false(policy_is_dust(&p2pkh, 3702));
        free_out(&p2pkh);
    }
    /* other rates: ceil, and no dust at all at rate 0 */
    assert_int_equal(policy_dust_threshold(&out, 1000), 192);
    assert_int_equal(policy_dust_threshold(&out, 1), 1);
    assert_int_equal(policy_dust_threshold(&out, 0), 0);
    free_out(&out);
    /* an oversized script is unspendable, so never dust */
    uint8_t *huge = calloc(MAX_SCRIPT_SIZE + 1, 1);
    assert_non_null(huge);
    assert_true(tx_set_script_pubkey(&out, huge, MAX_SCRIPT_SIZE + 1));
    assert_int_equal(policy_dust_threshold(&out, fee), 0);
    free(huge);
    free_out(&out);

    /* ephemeral dust: only in a transaction paying no fee */
    struct policy_params p;
    policy_params_default(&p);
    struct tx tx;
    const char *reason = NULL;
    make_tx(&tx, 1, 2);
    assert_int_equal(policy_dust_count(&tx, fee), 0);
    assert_true(policy_check_ephemeral_dust(&p, &tx, 1000, 1000, &reason));
    tx.vout[1].value = 293;
    assert_int_equal(policy_dust_count(&tx, fee), 1);
    assert_true(policy_check_ephemeral_dust(&p, &tx, 0, 0, &reason));
    assert_null(reason);
    assert_false(policy_check_ephemeral_dust(&p, &tx, 1, 0, &reason));
    assert_string_equal(reason, "dust");
    reason = NULL;
    assert_false(policy_check_ephemeral_dust(&p, &tx, 0, 5, &reason));
    assert_string_equal(reason, "dust");
    tx_clear(&tx);
}

/* ---- Inputs ---- */

static void spent_free(struct tx_out *spent, size_t n)
{
    for (size_t i = 0; i < n; i++) free_out(&spent[i]);
}

static void test_inputs_standard(void **state)
{
    struct tx tx;
    struct tx_out spent[2] = {{0}};
    struct script s, redeem;
    const char *reason = NULL;
    make_tx(&tx, 2, 1);

    s_p2pkh(&s);
    set_out(&spent[0], 1000, &s);
    s_witness(&s, 1, 32);
    set_out(&spent[1], 1000, &s);
    assert_true(policy_are_inputs_standard(&tx, spent, &reason));
    assert_null(reason);

    /* every standard template is spendable; nonstandard and unknown witness are not */
    s_p2a(&s);
    set_out(&spent[1], 0, &s);
    assert_true(policy_are_inputs_standard(&tx, spent, NULL));
    s_multisig(&s, 1, 3);
    set_out(&spent[1], 0, &s);
    assert_true(policy_are_inputs_standard(&tx, spent, NULL));
    s_op_return(&s, 10);
    set_out(&spent[1], 0, &s);
    assert_true(policy_are_inputs_standard(&tx, spent, NULL));
    s_witness(&s, 2, 32);
    set_out(&spent[1], 0, &s);
    assert_false(policy_are_inputs_standard(&tx, spent, &reason));
    assert_string_equal(reason, "bad-txns-nonstandard-inputs");
    s.n = 0;
    s_op(&s, OP_TRUE);
    set_out(&spent[1], 0, &s);
    reason = NULL;
    assert_false(policy_are_inputs_standard(&tx, spent, &reason));
    assert_string_equal(reason, "bad-txns-nonstandard-inputs");

    /* P2SH: at most 15 accurate sigops in the redeem script */
    s_p2sh(&s);
    set_out(&spent[1], 0, &s);
    struct {
        int checksigs;
        int multisig_n; /* 0: none; else OP_n CHECKMULTISIG */
        bool ok;
    } cases[] = {{15, 0, true},  {16, 0, false}, {0, 15, true},
                 {0, 16, false}, {14, 1, true},  {15, 1, false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        redeem.n = 0;
        for (int k = 0; k < cases[i].checksigs; k++) s_op(&redeem, OP_CHECKSIG);
        if (cases[i].multisig_n) {
            s_op(&redeem, script_encode_op_n(cases[i].multisig_n));
            s_op(&redeem, OP_CHECKMULTISIG);
        }
        s.n = 0;
        s_op(&s, OP_0);
        s_push(&s, redeem.b, redeem.n);
        set_sig(&tx.vin[1], &s);
        assert_int_equal(policy_are_inputs_standard(&tx, spent, NULL), cases[i].ok);
    }
    /* a CHECKMULTISIG without a small-number count is counted as 20 */
    redeem.n = 0;
    s_op(&redeem, OP_CHECKMULTISIG);
    s.n = 0;
    s_push(&s, redeem.b, redeem.n);
    set_sig(&tx.vin[1], &s);
    assert_false(policy_are_inputs_standard(&tx, spent, NULL));
    /* an empty scriptSig leaves no redeem script; a failing one neither */
    s.n = 0;
    set_sig(&tx.vin[1], &s);
    assert_false(policy_are_inputs_standard(&tx, spent, NULL));
    s_op(&s, OP_RETURN);
    set_sig(&tx.vin[1], &s);
    assert_false(policy_are_inputs_standard(&tx, spent, NULL));
    /* a redeem script with no sigops */
    s.n = 0;
    s_op(&s, OP_1);
    set_sig(&tx.vin[1], &s);
    assert_true(policy_are_inputs_standard(&tx, spent, NULL));

    spent_free(spent, 2);
    tx_clear(&tx);

    /* a coinbase is not looked at */
    make_tx(&tx, 1, 1);
    memset(&tx.vin[0].prevout.hash, 0, sizeof(tx.vin[0].prevout.hash));
    tx.vin[0].prevout.n = 0xffffffffu;
    assert_true(policy_are_inputs_standard(&tx, NULL, NULL));
    assert_true(policy_is_witness_standard(&tx, NULL, NULL));
    tx_clear(&tx);
}

static bool witness_ok(const struct tx *tx, const struct tx_out *spent)
{
    const char *reason = NULL;
    bool ok = policy_is_witness_standard(tx, spent, &reason);
    if (!ok)
        assert_string_equal(reason, "bad-witness-nonstandard");
    else
        assert_null(reason);
    return ok;
}

/* P2WSH witness: items of item_len bytes, then a script of script_len bytes. */
static void p2wsh_witness(struct tx_in *in, size_t items, size_t item_len, size_t script_len)
{
    tx_in_clear_witness(in);
    for (size_t i = 0; i < items; i++) push_witness(in, 0x01, item_len);
    push_witness(in, OP_TRUE, script_len);
}

static void test_witness_standard(void **state)
{
    struct tx tx;
    struct tx_out spent[1] = {{0}};
    struct script s;
    make_tx(&tx, 1, 1);
    struct tx_in *in = &tx.vin[0];

    /* P2WSH limits */
    s_witness(&s, 0, 32);
    set_out(&spent[0], 1000, &s);
    p2wsh_witness(in, 2, 72, 3600);
    assert_true(witness_ok(&tx, spent));
    p2wsh_witness(in, 2, 72, 3601);
    assert_false(witness_ok(&tx, spent));
    p2wsh_witness(in, 100, 80, 100);
    assert_true(witness_ok(&tx, spent));
    p2wsh_witness(in, 101, 1, 100);
    assert_false(witness_ok(&tx, spent));
    p2wsh_witness(in, 3, 80, 100);
    resize_item(in, 1, 81);
    assert_false(witness_ok(&tx, spent));
    p2wsh_witness(in, 0, 0, 0); /* just an empty script: size limits only */
    assert_true(witness_ok(&tx, spent));

    /* no witness: skipped whatever the spent output is */
    tx_in_clear_witness(in);
    s_p2pkh(&s);
    set_out(&spent[0], 1000, &s);
    assert_true(witness_ok(&tx, spent));
    /* a witness on a non-witness output */
    push_witness(in, 1, 10);
    assert_false(witness_ok(&tx, spent));
    /* P2WPKH has no policy limits of its own here */
    s_witness(&s, 0, 20);
    set_out(&spent[0], 1000, &s);
    push_witness(in, 2, 33);
    assert_true(witness_ok(&tx, spent));
    /* unknown versions: nothing to check */
    s_witness(&s, 5, 20);
    set_out(&spent[0], 1000, &s);
    assert_true(witness_ok(&tx, spent));

    /* P2A: witness stuffing */
    s_p2a(&s);
    set_out(&spent[0], 0, &s);
    assert_false(witness_ok(&tx, spent));
    tx_in_clear_witness(in);
    assert_true(witness_ok(&tx, spent));

    /* Taproot */
    s_witness(&s, 1, 32);
    set_out(&spent[0], 1000, &s);
    push_witness(in, 0x11, 64); /* key path */
    assert_true(witness_ok(&tx, spent));
    push_witness(in, ANNEX_TAG, 10); /* annex */
    assert_false(witness_ok(&tx, spent));
    tx_in_clear_witness(in);
    push_witness(in, ANNEX_TAG, 1); /* a lone 0x50 item is a key-path signature */
    assert_true(witness_ok(&tx, spent));

    uint8_t control[33];
    memset(control, 0x02, sizeof(control));
    control[0] = TAPROOT_LEAF_TAPSCRIPT;
    tx_in_clear_witness(in);
    push_witness(in, 1, 80);
    push_witness(in, 1, 80);
    push_witness(in, OP_TRUE, 200); /* the script itself may be larger */
    push_witness_bytes(in, control, sizeof(control));
    assert_true(witness_ok(&tx, spent));
    resize_item(in, 1, 81);
    assert_false(witness_ok(&tx, spent));
    control[0] = TAPROOT_LEAF_TAPSCRIPT | 1; /* parity bit: still tapscript */
    memcpy(in->witness[3].data, control, sizeof(control));
    assert_false(witness_ok(&tx, spent));
    control[0] = 0xc2; /* unknown leaf version: item sizes unchecked */
    memcpy(in->witness[3].data, control, sizeof(control));
    assert_true(witness_ok(&tx, spent));
    push_witness(in, ANNEX_TAG, 5); /* annex after the control block */
    assert_false(witness_ok(&tx, spent));
    tx_in_clear_witness(in);
    push_witness(in, OP_TRUE, 1);
    push_witness(in, 0, 0); /* empty control block */
    assert_false(witness_ok(&tx, spent));

    /* P2SH-wrapped witness programs */
    s_p2sh(&s);
    set_out(&spent[0], 1000, &s);
    struct script redeem, sig;
    s_witness(&redeem, 0, 32);
    sig.n = 0;
    s_push(&sig, redeem.b, redeem.n);
    set_sig(in, &sig);
    p2wsh_witness(in, 100, 80, 3600);
    assert_true(witness_ok(&tx, spent));
    p2wsh_witness(in, 101, 80, 3600);
    assert_false(witness_ok(&tx, spent));
    p2wsh_witness(in, 100, 81, 3600);
    assert_false(witness_ok(&tx, spent));
    /* P2SH-wrapped v1: not Taproot, so an "annex" is not looked at */
    s_witness(&redeem, 1, 32);
    sig.n = 0;
    s_push(&sig, redeem.b, redeem.n);
    set_sig(in, &sig);
    tx_in_clear_witness(in);
    push_witness(in, 1, 64);
    push_witness(in, ANNEX_TAG, 3);
    assert_true(witness_ok(&tx, spent));
    /* redeem script that is not a witness program, and no redeem script at all */
    sig.n = 0;
    s_op(&sig, OP_1);
    set_sig(in, &sig);
    assert_false(witness_ok(&tx, spent));
    sig.n = 0;
    set_sig(in, &sig);
    assert_false(witness_ok(&tx, spent));

    spent_free(spent, 1);
    tx_clear(&tx);
}

/* ---- Sizes, fees, RBF, flags ---- */

static void test_vsize_and_fees(void **state)
{
    assert_int_equal(policy_virtual_size(400, 0, 20), 100);
    assert_int_equal(policy_virtual_size(401, 0, 20), 101);
    assert_int_equal(policy_virtual_size(403, 0, 20), 101);
    assert_int_equal(policy_virtual_size(404, 0, 20), 101);
    assert_int_equal(policy_virtual_size(405, 0, 20), 102);
    /* sigops dominate: 30 * 20 = 600 weight units */
    assert_int_equal(policy_virtual_size(400, 30, 20), 150);
    assert_int_equal(policy_virtual_size(400, 20, 20), 100);
    assert_int_equal(policy_virtual_size(400, 21, 20), 105);
    assert_int_equal(policy_virtual_size(400, 21, 0), 100);
    assert_int_equal(policy_virtual_size(0, 0, 20), 0);

    struct tx tx;
    make_tx(&tx, 1, 1);
    int64_t w = (int64_t)tx_weight(&tx);
    assert_int_equal(policy_tx_virtual_size(&tx, 0, 20), (w + 3) / 4);
    assert_int_equal(policy_tx_virtual_size(&tx, 80, 20), 400);
    tx_clear(&tx);

    /* CFeeRate::GetFee: ceil, minimum 1 (or -1) */
    assert_int_equal(feerate_get_fee(1000, 250), 250);
    assert_int_equal(feerate_get_fee(1000, 0), 0);
    assert_int_equal(feerate_get_fee(0, 1000), 0);
    assert_int_equal(feerate_get_fee(1, 1), 1);
    assert_int_equal(feerate_get_fee(1, 1000), 1);
    assert_int_equal(feerate_get_fee(1, 1001), 2);
    assert_int_equal(feerate_get_fee(1234, 3), 4);   /* 3.702 up */
    assert_int_equal(feerate_get_fee(-1234, 3), -3); /* -3.702 up */
    assert_int_equal(feerate_get_fee(-1, 1), -1);    /* -0.001 -> 0 -> -1 */
    assert_int_equal(feerate_get_fee(3000, 182), 546);
    assert_int_equal(feerate_get_fee(1500, 141), 212); /* 211.5 up */
    assert_int_equal(feerate_get_fee(999, 1), 1);
    assert_int_equal(feerate_get_fee(1001, 1), 2);
    assert_int_equal(feerate_get_fee(100000, 400000), 40000000);
    assert_int_equal(feerate_get_fee(INT64_MAX, 1000000), INT64_MAX);
    assert_int_equal(feerate_get_fee(INT64_MIN, 1000000), INT64_MIN);
    assert_int_equal(feerate_get_fee(1, INT64_MAX), INT64_MAX / 1000 + 1);

    assert_int_equal(feerate_from_fee(250, 100), 2500);
    assert_int_equal(feerate_from_fee(1, 3), 333);
    assert_int_equal(feerate_from_fee(100, 0), 0);
    assert_int_equal(feerate_from_fee(-1, 3), -333);

    /* CheckFeeRate */
    struct policy_params p;
    policy_params_default(&p);
    const char *reason = NULL;
    char debug[64] = "";
    assert_true(policy_check_fee_rate(&p, 0, 200, 200, &reason, debug, sizeof(debug)));
    assert_false(policy_check_fee_rate(&p, 0, 200, 199, &reason, debug, sizeof(debug)));
    assert_string_equal(reason, "min relay fee not met");
    assert_string_equal(debug, "199 < 200");
    /* the required fee rounds up: 1.5 sat/vB for 141 vB is 211.5 -> 212 */
    p.min_relay_fee = 1500;
    assert_false(policy_check_fee_rate(&p, 0, 141, 211, &reason, debug, sizeof(debug)));
    assert_string_equal(reason, "min relay fee not met");
    assert_string_equal(debug, "211 < 212");
    assert_true(policy_check_fee_rate(&p, 0, 141, 212, NULL, NULL, 0));
    p.min_relay_fee = DEFAULT_MIN_RELAY_TX_FEE;
    /* a full mempool's minimum is checked first */
    assert_false(policy_check_fee_rate(&p, 5000, 200, 999, &reason, debug, sizeof(debug)));
    assert_string_equal(reason, "mempool min fee not met");
    assert_string_equal(debug, "999 < 1000");
    assert_true(policy_check_fee_rate(&p, 5000, 200, 1000, &reason, NULL, 0));
    /* a mempool minimum below the relay minimum still leaves the relay check */
    assert_false(policy_check_fee_rate(&p, 10, 200, 150, &reason, NULL, 0));
    assert_string_equal(reason, "min relay fee not met");
    /* a zero-fee package-style check with min relay fee 0 */
    p.min_relay_fee = 0;
    assert_true(policy_check_fee_rate(&p, 0, 200, 0, &reason, NULL, 0));
}

static void test_rbf(void **state)
{
    struct tx tx;
    make_tx(&tx, 3, 1);
    assert_false(policy_signals_rbf(&tx));
    tx.vin[1].sequence = 0xfffffffeu;
    assert_false(policy_signals_rbf(&tx));
    tx.vin[2].sequence = 0xfffffffdu;
    assert_true(policy_signals_rbf(&tx));
    tx.vin[2].sequence = 0;
    assert_true(policy_signals_rbf(&tx));
    tx_clear(&tx);
}

static void test_flags_and_reasons(void **state)
{
    assert_int_equal(MANDATORY_SCRIPT_VERIFY_FLAGS, SCRIPT_VERIFY_CONSENSUS);
    assert_int_equal(STANDARD_SCRIPT_VERIFY_FLAGS & MANDATORY_SCRIPT_VERIFY_FLAGS,
                     MANDATORY_SCRIPT_VERIFY_FLAGS);
    /* every known flag but SIGPUSHONLY (IsStandardTx checks push-only itself) */
    assert_int_equal(STANDARD_SCRIPT_VERIFY_FLAGS,
                     SCRIPT_VERIFY_ALL_KNOWN & ~SCRIPT_VERIFY_SIGPUSHONLY);
    assert_int_equal(STANDARD_NOT_MANDATORY_VERIFY_FLAGS & MANDATORY_SCRIPT_VERIFY_FLAGS, 0);
    assert_true(STANDARD_NOT_MANDATORY_VERIFY_FLAGS & SCRIPT_VERIFY_LOW_S);

    char buf[160];
    assert_string_equal(
        policy_script_error_reason(buf, sizeof(buf), true, SCRIPT_ERR_EVAL_FALSE),
        "mandatory-script-verify-flag-failed (Script evaluated without error "
        "but finished with a false/empty top stack element)");
    assert_string_equal(
        policy_script_error_reason(buf, sizeof(buf), false, SCRIPT_ERR_SIG_HIGH_S),
        "non-mandatory-script-verify-flag (Non-canonical signature: S value is "
        "unnecessarily high)");
    assert_string_equal(
        policy_script_error_reason(buf, sizeof(buf), false,
                                   SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS),
        "non-mandatory-script-verify-flag (NOPx reserved for soft-fork upgrades)");
    char small[12];
    assert_string_equal(policy_script_error_reason(small, sizeof(small), true, SCRIPT_ERR_OK),
                        "mandatory-s");
}

/* ---- tx_valid.json ---- */

struct prevout_entry {
    uint256 hash;
    uint32_t n;
    uint8_t *script;
    size_t script_len;
    int64_t amount;
};

struct run_result {
    bool std_tx, inputs, witness, small;
    const char *r_tx, *r_inputs, *r_witness;
    int64_t dust_total;
    unsigned types;
};

static void run_policy(const struct policy_params *p, const struct tx *tx,
                       const struct tx_out *spent, struct run_result *r)
{
    memset(r, 0, sizeof(*r));
    r->std_tx = policy_is_standard_tx(p, tx, &r->r_tx);
    r->inputs = policy_are_inputs_standard(tx, spent, &r->r_inputs);
    r->witness = policy_is_witness_standard(tx, spent, &r->r_witness);
    r->small = policy_check_tx_size_small(tx, NULL);
    for (size_t i = 0; i < tx->vout_count; i++) {
        struct script_solution sol;
        enum txout_type t =
            policy_solve(tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len, &sol);
        enum txout_type t2;
        policy_is_standard_script(p, tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len,
                                  &t2);
        assert_int_equal(t, t2);
        assert_int_equal(sol.type, t);
        r->types = r->types * 11 + (unsigned)t;
        r->dust_total += policy_dust_threshold(&tx->vout[i], p->dust_relay_fee);
    }
    for (size_t i = 0; i < tx->vin_count; i++) {
        struct script_solution sol;
        enum txout_type t =
            policy_solve(spent[i].script_pubkey, spent[i].script_pubkey_len, &sol);
        /* solutions point inside the script */
        if (sol.hash)
            assert_true(sol.hash >= spent[i].script_pubkey &&
                        sol.hash + sol.hash_len <=
                            spent[i].script_pubkey + spent[i].script_pubkey_len);
        for (size_t k = 0; k < sol.key_count; k++)
            assert_true(sol.keys[k] >= spent[i].script_pubkey &&
                        sol.keys[k] + sol.key_lens[k] <=
                            spent[i].script_pubkey + spent[i].script_pubkey_len);
        r->types = r->types * 11 + (unsigned)t;
    }
    assert_true(r->std_tx || r->r_tx);
    assert_true(r->inputs || r->r_inputs);
    assert_true(r->witness || r->r_witness);
}

/* Runs every transaction of a Core vector file through the policy functions. In
 * tx_invalid.json some rows do not parse or spend unlisted outpoints; those are
 * counted as skipped there and are failures in tx_valid.json. */
static void run_vector_file(const char *name, bool strict)
{
    json_t *root = test_load_json(test_vector_path(name));
    struct policy_params p;
    policy_params_default(&p);
    size_t cases = 0, skipped = 0, standard = 0, inputs_std = 0, witness_std = 0;
    for (size_t idx = 0; idx < json_array_size(root); idx++) {
        json_t *row = json_array_get(root, idx);
        json_t *inputs = json_array_get(row, 0);
        const char *tx_hex = json_string_value(json_array_get(row, 1));
        if (!json_is_array(inputs) || !tx_hex) continue; /* comment */

        size_t n_prev = json_array_size(inputs);
        struct prevout_entry *prev = calloc(n_prev ? n_prev : 1, sizeof(*prev));
        assert_non_null(prev);
        for (size_t i = 0; i < n_prev; i++) {
            json_t *in = json_array_get(inputs, i);
            assert_true(
                uint256_from_hex(&prev[i].hash, json_string_value(json_array_get(in, 0))));
            prev[i].n = (uint32_t)json_integer_value(json_array_get(in, 1));
            assert_true(script_asm_parse(json_string_value(json_array_get(in, 2)),
                                         &prev[i].script, &prev[i].script_len));
            prev[i].amount =
                json_array_size(in) == 4 ? json_integer_value(json_array_get(in, 3)) : 0;
        }
        size_t raw_len;
        uint8_t *raw = test_unhex(tx_hex, &raw_len);
        struct tx tx;
        tx_init(&tx);
        bool ok = tx_from_bytes(&tx, raw, raw_len, true);
        free(raw);
        struct tx_out *spent = calloc(tx.vin_count ? tx.vin_count : 1, sizeof(*spent));
        assert_non_null(spent);
        for (size_t i = 0; ok && i < tx.vin_count; i++) {
            const struct prevout_entry *found = NULL;
            for (size_t k = 0; k < n_prev; k++)
                if (prev[k].n == tx.vin[i].prevout.n &&
                    uint256_cmp(&prev[k].hash, &tx.vin[i].prevout.hash) == 0)
                    found = &prev[k];
            if (!found) {
                ok = false;
                break;
            }
            spent[i].value = found->amount;
            spent[i].script_pubkey = found->script; /* borrowed */
            spent[i].script_pubkey_len = found->script_len;
        }
        if (!ok) {
            if (strict) fail_msg("%s row %zu: unusable", name, idx);
            skipped++;
        } else {
            struct run_result a, b;
            run_policy(&p, &tx, spent, &a);
            run_policy(&p, &tx, spent, &b);
            assert_int_equal(a.std_tx, b.std_tx);
            assert_ptr_equal(a.r_tx, b.r_tx);
            assert_int_equal(a.inputs, b.inputs);
            assert_int_equal(a.witness, b.witness);
            assert_int_equal(a.small, b.small);
            assert_int_equal(a.types, b.types);
            assert_int_equal(a.dust_total, b.dust_total);
            cases++;
            standard += a.std_tx;
            inputs_std += a.inputs;
            witness_std += a.witness;
        }

        free(spent);
        tx_clear(&tx);
        for (size_t i = 0; i < n_prev; i++) free(prev[i].script);
        free(prev);
    }
    json_decref(root);
    char what[96];
    snprintf(what, sizeof(what), "%s through policy", name);
    test_report_count(what, cases);
    printf("  standard %zu, standard inputs %zu, standard witness %zu, skipped %zu\n", standard,
           inputs_std, witness_std, skipped);
    assert_true(cases > 50);
}

static void test_tx_valid_vectors(void **state)
{
    run_vector_file("bitcoin-core/tx_valid.json", true);
}

static void test_tx_invalid_vectors(void **state)
{
    run_vector_file("bitcoin-core/tx_invalid.json", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_solver_templates),
        cmocka_unit_test(test_solver_multisig),
        cmocka_unit_test(test_is_standard_script),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_tx_version),
        cmocka_unit_test(test_tx_weight),
        cmocka_unit_test(test_tx_scriptsig),
        cmocka_unit_test(test_tx_outputs),
        cmocka_unit_test(test_tx_size_small_and_sigops),
        cmocka_unit_test(test_dust),
        cmocka_unit_test(test_inputs_standard),
        cmocka_unit_test(test_witness_standard),
        cmocka_unit_test(test_vsize_and_fees),
        cmocka_unit_test(test_rbf),
        cmocka_unit_test(test_flags_and_reasons),
        cmocka_unit_test(test_tx_valid_vectors),
        cmocka_unit_test(test_tx_invalid_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
