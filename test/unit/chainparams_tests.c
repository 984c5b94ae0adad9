/* Chain profiles: genesis blocks of all five profiles, network fields (ports, magic,
 * data directory), proof-of-work parameters, subsidy schedules and
 * -testactivationheight overrides.
 *
 * With IOP_MINE_GENESIS=1 in the environment the first test instead searches nonces for
 * the genesis blocks of main, test and regtest from nonce 0 and prints the constants to
 * paste into src/chain/chainparams.c (that is how the committed nonces were found). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/tx_check.h"
#include "test_util.h"

static const struct chain_params *profile(const char *name)
{
    const struct chain_params *c = chainparams_by_name(name);
    if (!c) fail_msg("no chain profile %s", name);
    return c;
}

static void mine_genesis(void)
{
    for (size_t i = 0; i < 3; i++) {
        const struct chain_params *p = chainparams_at(i);
        struct block b;
        assert_true(chainparams_genesis_block(p, &b));
        uint256 h;
        for (uint32_t nonce = 0;; nonce++) {
            b.header.nonce = nonce;
            block_header_hash(&b.header, &h);
            if (check_proof_of_work(&h, b.header.bits, &p->pow.pow_limit)) break;
            assert_int_not_equal(nonce, UINT32_MAX);
        }
        char hex[65], root[65];
        uint256_to_hex(hex, &h);
        uint256_to_hex(root, &b.header.merkle_root);
        printf("%s: nonce %u hash %s merkle %s\n", p->name, b.header.nonce, hex, root);
        block_clear(&b);
    }
}

static void test_genesis_all(void **state)
{
    (void)state;
    const char *mine = getenv("IOP_MINE_GENESIS");
    if (mine && strcmp(mine, "1") == 0) mine_genesis();

    const char *why = "unset";
    assert_true(chainparams_check_genesis(NULL, &why));
    assert_null(why);
    for (size_t i = 0; i < chainparams_count(); i++) {
        const struct chain_params *p = chainparams_at(i);
        assert_true(chainparams_check_genesis(p, &why));

        struct block b;
        assert_true(chainparams_genesis_block(p, &b));
        uint256 h, want;
        block_hash(&b, &h);
        chainparams_genesis_hash(p, &want);
        assert_memory_equal(&h, &want, 32);
        assert_true(uint256_is_zero(&b.header.prev_hash));
        assert_int_equal(b.tx_count, 1);
        assert_true(tx_is_coinbase(&b.txs[0]));
        assert_int_equal(b.txs[0].vout[0].value, p->genesis.reward);
        /* The genesis bits are the pow limit's own compact form. */
        arith256 limit;
        arith256_from_uint256(&limit, &p->pow.pow_limit);
        assert_int_equal(b.header.bits, arith256_get_compact(&limit, false));
        /* The block passes every context-free check. */
        struct block_check_result res;
        memset(&res, 0, sizeof(res));
        assert_true(check_block(&b, &p->pow.pow_limit, CHECK_BLOCK_ALL, &res));
        block_clear(&b);
    }
    test_report_count("genesis blocks", chainparams_count());
}

static void test_genesis_known(void **state)
{
    (void)state;
    char hex[65];
    uint256 h;
    static const struct {
        const char *name, *hash;
    } known[] = {
        {"main", "000002307432b2b02c1c753de97bf832d696f1335be8d995f55280c03dbe8abd"},
        {"test", "000009d14edce2d563747d3f158ea5f08accf142ebaf132037c3c223e19a0d49"},
        {"regtest", "3a7467c2014616cb12bebbf122c3b2190fd2632529dd369d5a2bfc0094f5e851"},
        {"btc-main", "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
        {"btc-regtest", "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        chainparams_genesis_hash(profile(known[i].name), &h);
        uint256_to_hex(hex, &h);
        assert_string_equal(hex, known[i].hash);
    }
    /* Bitcoin's genesis serializes to its famous 285 bytes. */
    struct block b;
    assert_true(chainparams_genesis_block(profile("btc-main"), &b));
    assert_int_equal(block_size(&b, false), 285);
    block_clear(&b);
}

static void test_genesis_mismatch(void **state)
{
    (void)state;
    struct chain_params p = *profile("main");
    const char *why = NULL;
    p.genesis.nonce++;
    assert_false(chainparams_check_genesis(&p, &why));
    assert_string_equal(why, "genesis hash does not match");
    p = *profile("main");
    p.genesis.timestamp = "another text";
    assert_false(chainparams_check_genesis(&p, &why));
    assert_string_equal(why, "genesis merkle root does not match");
    p = *profile("regtest");
    p.genesis.hash = "not hex";
    assert_false(chainparams_check_genesis(&p, &why));
    assert_non_null(why);
    /* A correct hash that misses its target: the genesis of regtest checked against
     * main's limit. */
    p = *profile("regtest");
    p.pow.pow_limit = profile("main")->pow.pow_limit;
    assert_false(chainparams_check_genesis(&p, NULL));
}

static void test_network_fields(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint16_t port, rpc;
        const char *subdir;
        uint8_t magic[4];
    } want[] = {
        {"main", 4877, 8337, "", {0xe9, 0xc6, 0xf7, 0xa1}},
        {"test", 7475, 14337, "test", {0xe2, 0xd4, 0xc9, 0xb6}},
        {"regtest", 14877, 18337, "regtest", {0xfc, 0xc3, 0xd8, 0xb2}},
        {"btc-main", 8333, 8332, "btc-main", {0xf9, 0xbe, 0xb4, 0xd9}},
        {"btc-regtest", 18444, 18443, "btc-regtest", {0xfa, 0xbf, 0xb5, 0xda}},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct chain_params *p = profile(want[i].name);
        assert_int_equal(p->default_port, want[i].port);
        assert_int_equal(p->rpc_port, want[i].rpc);
        assert_string_equal(p->data_subdir, want[i].subdir);
        assert_memory_equal(p->magic, want[i].magic, 4);
    }
    /* Magics pairwise distinct, none valid UTF-8 as a 4-byte string (every byte is a
     * lead or invalid byte followed by a non-continuation, or is never valid), none
     * equal to the 2016 IoP chain's (fd b0 bb d3). */
    static const uint8_t old_iop[4] = {0xfd, 0xb0, 0xbb, 0xd3};
    for (size_t i = 0; i < chainparams_count(); i++) {
        const uint8_t *m = chainparams_at(i)->magic;
        assert_memory_not_equal(m, old_iop, 4);
        for (size_t j = 0; j < i; j++) assert_memory_not_equal(m, chainparams_at(j)->magic, 4);
        for (int k = 0; k < 4; k++) assert_true(m[k] >= 0x80);
        assert_false(m[1] >= 0x80 && m[1] <= 0xbf && m[0] >= 0xc2 && m[0] <= 0xdf);
    }
}

static void test_pow_params(void **state)
{
    (void)state;
    const struct chain_params *m = profile("main"), *t = profile("test");
    assert_int_equal(m->pow.algo, POW_ALGO_ASERT);
    assert_int_equal(t->pow.algo, POW_ALGO_ASERT);
    assert_int_equal(m->pow.target_spacing, 120);
    assert_int_equal(m->pow.asert_half_life, 7200);
    assert_int_equal(m->pow.asert_anchor_height, 1);
    assert_int_equal(profile("regtest")->pow.algo, POW_ALGO_NONE);
    assert_true(profile("regtest")->pow.no_retargeting);
    assert_true(profile("regtest")->pow.allow_min_difficulty);
    const struct chain_params *b = profile("btc-main");
    assert_int_equal(b->pow.algo, POW_ALGO_BTC_RETARGET);
    assert_int_equal(b->pow.target_timespan / b->pow.target_spacing, 2016);
    assert_false(b->pow.no_retargeting);
    assert_true(profile("btc-regtest")->pow.no_retargeting);
    for (size_t i = 0; i < chainparams_count(); i++)
        assert_int_equal(chainparams_at(i)->coinbase_maturity, 100);
    assert_int_equal(m->minting.epoch_length, 30);
    assert_int_equal(m->minting.collateral, 1000 * COIN);
    assert_int_equal(profile("regtest")->minting.epoch_length, 10);
    assert_int_equal(profile("regtest")->minting.collateral, 10 * COIN);
    assert_int_equal(m->minting.activation_height, CHAIN_NEVER);
}

static void test_subsidy(void **state)
{
    (void)state;
    const struct chain_params *m = profile("main");
    assert_int_equal(chainparams_block_subsidy(m, 0), 10 * COIN);
    assert_int_equal(chainparams_block_subsidy(m, 1049999), 10 * COIN);
    assert_int_equal(chainparams_block_subsidy(m, 1050000), 5 * COIN);
    assert_int_equal(chainparams_block_subsidy(m, 2100000), 250000000);
    assert_int_equal(chainparams_block_subsidy(m, 1050000 * 64), 0);
    assert_int_equal(chainparams_block_subsidy(m, INT32_MAX), 0);
    assert_int_equal(chainparams_block_subsidy(m, -1), 0);
    /* The whole issuance stays below 21 million. */
    int64_t total = 0;
    for (int32_t era = 0; era < 64; era++)
        total += chainparams_block_subsidy(m, era * 1050000) * 1050000;
    assert_true(total < 21000000 * COIN);
    assert_true(total > 20999999 * COIN);

    const struct chain_params *r = profile("regtest");
    assert_int_equal(chainparams_block_subsidy(r, 149), 10 * COIN);
    assert_int_equal(chainparams_block_subsidy(r, 150), 5 * COIN);
    assert_int_equal(chainparams_block_subsidy(r, 300), 250000000);

    const struct chain_params *b = profile("btc-main");
    assert_int_equal(chainparams_block_subsidy(b, 0), 50 * COIN);
    assert_int_equal(chainparams_block_subsidy(b, 209999), 50 * COIN);
    assert_int_equal(chainparams_block_subsidy(b, 210000), 25 * COIN);
    assert_int_equal(chainparams_block_subsidy(b, 840000), 312500000);
    assert_int_equal(chainparams_block_subsidy(b, 6929999), 1);
    assert_int_equal(chainparams_block_subsidy(b, 6930000), 0);
    assert_int_equal(chainparams_block_subsidy(profile("btc-regtest"), 150), 25 * COIN);
}

static void test_activation(void **state)
{
    (void)state;
    const struct chain_activation *a = &profile("btc-main")->activation;
    assert_int_equal(a->bip16_time, 1333238400);
    assert_int_equal(a->bip34_height, 227931);
    assert_int_equal(a->bip65_height, 388381);
    assert_int_equal(a->bip66_height, 363725);
    assert_int_equal(a->csv_height, 419328);
    assert_int_equal(a->segwit_height, 481824);
    assert_int_equal(a->taproot_height, 709632);
    assert_int_equal(a->bip30_exception_count, 2);
    assert_int_equal(a->bip30_exceptions[0].height, 91842);
    assert_string_equal(a->bip30_exceptions[0].hash,
                        "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec");
    assert_int_equal(a->bip30_exceptions[1].height, 91880);
    assert_string_equal(a->bip30_exceptions[1].hash,
                        "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721");
    for (size_t i = 0; i < 3; i++) {
        const struct chain_activation *c = &chainparams_at(i)->activation;
        assert_int_equal(c->bip16_time, 0);
        assert_int_equal(c->bip34_height, 1);
        assert_int_equal(c->bip66_height, 1);
        assert_int_equal(c->bip65_height, 1);
        assert_int_equal(c->csv_height, 1);
        assert_int_equal(c->segwit_height, 1);
        assert_int_equal(c->taproot_height, 1);
        assert_int_equal(c->bip30_exception_count, 0);
    }
    const struct chain_activation *r = &profile("btc-regtest")->activation;
    assert_int_equal(r->bip34_height, 1);
    assert_int_equal(r->segwit_height, 0);
    assert_int_equal(r->taproot_height, 0);
}

static void test_activation_overrides(void **state)
{
    (void)state;
    char err[200];
    struct chain_params p = *profile("btc-regtest");
    assert_true(chainparams_apply_test_activation(&p, "segwit@500", err, sizeof(err)));
    assert_true(chainparams_apply_test_activation(&p, "bip34@2", err, sizeof(err)));
    assert_true(chainparams_apply_test_activation(&p, "dersig@3", err, sizeof(err)));
    assert_true(chainparams_apply_test_activation(&p, "cltv@4", err, sizeof(err)));
    assert_true(chainparams_apply_test_activation(&p, "csv@432", err, sizeof(err)));
    assert_true(chainparams_apply_test_activation(&p, "taproot@0", err, sizeof(err)));
    assert_int_equal(p.activation.segwit_height, 500);
    assert_int_equal(p.activation.bip34_height, 2);
    assert_int_equal(p.activation.bip66_height, 3);
    assert_int_equal(p.activation.bip65_height, 4);
    assert_int_equal(p.activation.csv_height, 432);
    assert_int_equal(p.activation.taproot_height, 0);
    /* The shared profile is untouched. */
    assert_int_equal(profile("btc-regtest")->activation.segwit_height, 0);

    static const char *bad[] = {"segwit",
                                "segwit@",
                                "segwit@-1",
                                "segwit@x",
                                "segwit@1x",
                                "segwit@2147483647",
                                "segwit@99999999999999999999",
                                "@5",
                                "foo@5",
                                "segwi@5",
                                "segwitt@5",
                                "SEGWIT@5",
                                "segwit@ 5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_false(chainparams_apply_test_activation(&p, bad[i], err, sizeof(err)));
        assert_true(strstr(err, "-testactivationheight=name@height") != NULL);
    }
    assert_false(chainparams_apply_test_activation(&p, NULL, err, sizeof(err)));
    assert_int_equal(p.activation.segwit_height, 500);

    struct chain_params r = *profile("regtest");
    assert_true(chainparams_apply_test_activation(&r, "csv@10", err, sizeof(err)));
    assert_int_equal(r.activation.csv_height, 10);
    struct chain_params m = *profile("main");
    assert_false(chainparams_apply_test_activation(&m, "csv@10", err, sizeof(err)));
    assert_int_equal(m.activation.csv_height, 1);
    struct chain_params b = *profile("btc-main");
    assert_false(chainparams_apply_test_activation(&b, "segwit@1", err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis_all),      cmocka_unit_test(test_genesis_known),
        cmocka_unit_test(test_genesis_mismatch), cmocka_unit_test(test_network_fields),
        cmocka_unit_test(test_pow_params),       cmocka_unit_test(test_subsidy),
        cmocka_unit_test(test_activation),       cmocka_unit_test(test_activation_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
