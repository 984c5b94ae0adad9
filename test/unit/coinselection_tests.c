/* Coin selection with hand-computed cases: Branch and Bound finds the one exact subset
 * (also inside the cost_of_change window, and with the waste it should have), fails when
 * no subset lands in the window, respects the weight limit and ends on large pools of
 * equal coins; Knapsack takes an exact single coin, all smaller coins when they sum to the
 * target, the smallest larger coin otherwise; SRD leaves room for change; coinsel_select
 * prefers a changeless BnB match, falls back to a selection with change when BnB has
 * none, skips BnB when the recipients pay the fee, reports insufficient funds, and drops
 * change below min_viable_change to the fee; the change target stays in Core's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wallet/coinselection.h"

#define P2WPKH_IN_WEIGHT 272

static struct coinsel_coin coin(int64_t value, int64_t fee, int64_t ltf)
{
    struct coinsel_coin c = {value, fee, ltf, P2WPKH_IN_WEIGHT};
    return c;
}

static void test_bnb_exact(void **state)
{
    (void)state;
    /* Effective values 99,000 199,000 499,000 999,000: only 499,000 + 199,000 makes
     * 698,000. */
    struct coinsel_coin c[4] = {coin(100000, 1000, 1000), coin(200000, 1000, 1000),
                                coin(500000, 1000, 1000), coin(1000000, 1000, 1000)};
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(coinsel_bnb(c, 4, 698000, 0, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.selected[0], 1);
    assert_int_equal(r.selected[1], 2);
    assert_int_equal(r.value, 700000);
    assert_int_equal(r.effective_value, 698000);
    assert_int_equal(r.algo, COINSEL_BNB);

    /* Target 697,500 with cost_of_change 1,000: the same pair, 500 over. Fees 1,000 at a
     * long-term 400 add 600 per input: waste 2 * 600 + 500 = 1,700. */
    c[1].long_term_fee = c[2].long_term_fee = 400;
    assert_int_equal(coinsel_bnb(c, 4, 697500, 1000, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.effective_value, 698000);
    struct coinsel_params p = {.target = 697500,
                               .cost_of_change = 1000,
                               .change_fee = 500,
                               .min_change_target = 50500,
                               .min_viable_change = 1000};
    assert_int_equal(coinsel_waste(c, &r, &p), 1700);
    assert_int_equal(coinsel_change(&r, &p), 0);
    coinsel_result_clear(&r);
    coinsel_result_clear(&r); /* harmless twice */
}

static void test_bnb_no_match(void **state)
{
    (void)state;
    /* Sums of subsets of {1, 2, 5, 10} x 100,000 never land in [350,000, 351,000]. */
    struct coinsel_coin c[4] = {coin(100000, 0, 0), coin(200000, 0, 0), coin(500000, 0, 0),
                                coin(1000000, 0, 0)};
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(coinsel_bnb(c, 4, 350000, 1000, 0, &r), COINSEL_NO_SOLUTION);
    assert_null(r.selected);
    /* Not enough at all. */
    assert_int_equal(coinsel_bnb(c, 4, 1800001, 1000, 0, &r), COINSEL_NO_SOLUTION);
    /* Exactly everything. */
    assert_int_equal(coinsel_bnb(c, 4, 1800000, 0, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 4);
    /* Coins whose fee eats their value take no part. */
    struct coinsel_coin d[2] = {coin(500, 600, 0), coin(300000, 0, 0)};
    assert_int_equal(coinsel_bnb(d, 2, 300000, 0, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.selected[0], 1);
    coinsel_result_clear(&r);
}

static void test_bnb_weight_and_limits(void **state)
{
    (void)state;
    /* Two coins of 300,000 or one of 600,000: the pair weighs 544 > 400 allowed. */
    struct coinsel_coin c[3] = {coin(300000, 0, 0), coin(300000, 0, 0), coin(600000, 0, 0)};
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(coinsel_bnb(c, 3, 600000, 0, 400, &r), COINSEL_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.selected[0], 2);
    c[2].value = 700000;
    assert_int_equal(coinsel_bnb(c, 3, 600000, 0, 400, &r), COINSEL_MAX_WEIGHT);
    assert_int_equal(coinsel_bnb(c, 3, 600000, 0, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 2);

    /* 40 equal coins and an unreachable odd target: the search ends (equal-coin
     * shortcut and the try limit) without a result. */
    struct coinsel_coin many[40];
    for (int i = 0; i < 40; i++) many[i] = coin(100000, 0, 0);
    assert_int_equal(coinsel_bnb(many, 40, 1550000, 0, 0, &r), COINSEL_NO_SOLUTION);
    assert_int_equal(coinsel_bnb(many, 40, 1500000, 0, 0, &r), COINSEL_OK);
    assert_int_equal(r.count, 15);
    assert_int_equal(coinsel_bnb(NULL, 0, 1, 0, 0, &r), COINSEL_NO_SOLUTION);
    coinsel_result_clear(&r);
}

static void test_knapsack(void **state)
{
    (void)state;
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, 7);
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    /* A coin equal to the target is taken alone. */
    struct coinsel_coin a[3] = {coin(100000, 0, 0), coin(250000, 0, 0), coin(900000, 0, 0)};
    assert_int_equal(coinsel_knapsack(a, 3, 250000, 50000, true, 0, &rng, &r), COINSEL_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.selected[0], 1);
    /* Coins below target + change target summing exactly to the target: all of them. */
    struct coinsel_coin b[3] = {coin(100000, 0, 0), coin(150000, 0, 0), coin(5000000, 0, 0)};
    assert_int_equal(coinsel_knapsack(b, 3, 250000, 50000, true, 0, &rng, &r), COINSEL_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.value, 250000);
    /* The smaller ones are not enough: the smallest larger coin. */
    struct coinsel_coin d[4] = {coin(10000, 0, 0), coin(20000, 0, 0), coin(7000000, 0, 0),
                                coin(3000000, 0, 0)};
    assert_int_equal(coinsel_knapsack(d, 4, 250000, 50000, true, 0, &rng, &r), COINSEL_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.selected[0], 3);
    /* Not enough anywhere. */
    assert_int_equal(coinsel_knapsack(d, 2, 250000, 50000, true, 0, &rng, &r),
                     COINSEL_NO_SOLUTION);
    /* Plain values (the recipients pay the fee): 100,000 matches although its effective
     * value is lower. */
    struct coinsel_coin e[2] = {coin(100000, 3000, 0), coin(400000, 3000, 0)};
    assert_int_equal(coinsel_knapsack(e, 2, 100000, 50000, false, 0, &rng, &r), COINSEL_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.selected[0], 0);
    assert_false(r.use_effective);
    coinsel_result_clear(&r);
}

static void test_srd(void **state)
{
    (void)state;
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, 11);
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    struct coinsel_coin c[5] = {coin(100000, 0, 0), coin(100000, 0, 0), coin(100000, 0, 0),
                                coin(100000, 0, 0), coin(100000, 0, 0)};
    /* 120,000 + 50,000 + 500 needs two coins of 100,000. */
    assert_int_equal(coinsel_srd(c, 5, 120000, 500, 0, &rng, &r), COINSEL_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.algo, COINSEL_SRD);
    /* 450,000 + 50,500 is more than the 500,000 there is. */
    assert_int_equal(coinsel_srd(c, 5, 450000, 500, 0, &rng, &r), COINSEL_NO_SOLUTION);
    /* At most one input fits the weight: the heavier sets are cut back. */
    assert_int_equal(coinsel_srd(c, 5, 120000, 500, P2WPKH_IN_WEIGHT, &rng, &r),
                     COINSEL_MAX_WEIGHT);
    coinsel_result_clear(&r);
}

static struct coinsel_params params(int64_t target)
{
    /* P2WPKH change at 10 sat/vB: 31 vB output = 310, spending it later at the 10 sat/vB
     * discard rate 68 vB = 680, so cost_of_change 990; dust at the discard rate 980. */
    struct coinsel_params p = {.target = target,
                               .cost_of_change = 990,
                               .change_fee = 310,
                               .min_change_target = 310 + 50000,
                               .min_viable_change = 980,
                               .subtract_fee_outputs = false,
                               .max_weight = 0};
    return p;
}

static void test_select(void **state)
{
    (void)state;
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, 3);
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    /* Each input costs 680 at 10 sat/vB (long-term 10 sat/vB too). */
    struct coinsel_coin c[4] = {coin(1000680, 680, 680), coin(2000680, 680, 680),
                                coin(5000680, 680, 680), coin(30000000, 680, 680)};
    /* 3,000,000 + 500 of it within the window: BnB, no change, waste 500. */
    struct coinsel_params p = params(3000000 - 500);
    assert_int_equal(coinsel_select(c, 4, &p, &rng, &r), COINSEL_OK);
    assert_int_equal(r.algo, COINSEL_BNB);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.change, 0);
    assert_int_equal(r.waste, 500);

    /* 4,000,000 has no changeless subset: a fallback with change, which pays its own fee
     * (effective value - target - change fee). */
    p = params(4000000);
    assert_int_equal(coinsel_select(c, 4, &p, &rng, &r), COINSEL_OK);
    assert_int_not_equal(r.algo, COINSEL_BNB);
    assert_true(r.effective_value >= 4000000 + 310 + 980);
    assert_int_equal(r.change, r.effective_value - 4000000 - 310);
    assert_int_equal(r.waste, 990);

    /* Insufficient funds. */
    p = params(38000000);
    assert_int_equal(coinsel_select(c, 4, &p, &rng, &r), COINSEL_NO_SOLUTION);

    /* Recipients paying the fee: no BnB, plain values; the 1,000,680 coin matches. */
    p = params(1000680);
    p.subtract_fee_outputs = true;
    assert_int_equal(coinsel_select(c, 4, &p, &rng, &r), COINSEL_OK);
    assert_int_equal(r.algo, COINSEL_KNAPSACK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.change, 0);
    coinsel_result_clear(&r);
}

static void test_dust_change_dropped(void **state)
{
    (void)state;
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, 5);
    struct coinsel_result r;
    memset(&r, 0, sizeof r);
    /* One coin of effective value 100,000 for a target of 98,500: 1,500 over is outside
     * BnB's 990 window, so Knapsack takes it; change would be 1,500 - 310 = 1,190. */
    struct coinsel_coin c[1] = {coin(100680, 680, 680)};
    struct coinsel_params p = params(98500);
    assert_int_equal(coinsel_select(c, 1, &p, &rng, &r), COINSEL_OK);
    assert_int_equal(r.algo, COINSEL_KNAPSACK);
    assert_int_equal(r.change, 1190);
    /* 99,300: 700 over minus 310 leaves 390, below the 980 minimum: no change, the 700
     * goes to the fee (and is the waste with the inputs' zero extra cost). */
    p = params(99300);
    assert_int_equal(coinsel_select(c, 1, &p, &rng, &r), COINSEL_OK);
    assert_int_equal(r.algo, COINSEL_BNB); /* within the 990 window, BnB matches */
    assert_int_equal(r.change, 0);
    assert_int_equal(r.waste, 700);
    /* Same with BnB out of the picture (window closed): Knapsack, change dropped. */
    p.cost_of_change = 0;
    assert_int_equal(coinsel_select(c, 1, &p, &rng, &r), COINSEL_OK);
    assert_int_equal(r.algo, COINSEL_KNAPSACK);
    assert_int_equal(r.change, 0);
    assert_int_equal(r.waste, 700);
    coinsel_result_clear(&r);
}

static void test_change_target_and_rng(void **state)
{
    (void)state;
    struct coinsel_rng rng;
    coinsel_rng_seed(&rng, 1);
    assert_int_equal(coinsel_change_target(25000, 310, &rng), 50310);
    assert_int_equal(coinsel_change_target(1, 0, &rng), 50000);
    for (int i = 0; i < 1000; i++) {
        int64_t t = coinsel_change_target(60000, 310, &rng);
        assert_true(t >= 50310 && t < 120310);
        t = coinsel_change_target(100000000, 0, &rng);
        assert_true(t >= 50000 && t < 1000000);
        assert_true(coinsel_rng_range(&rng, 3) < 3);
    }
    assert_int_equal(coinsel_rng_range(&rng, 0), 0);
    struct coinsel_rng a, b;
    coinsel_rng_seed(&a, 42);
    coinsel_rng_seed(&b, 42);
    for (int i = 0; i < 10; i++) assert_true(coinsel_rng_next(&a) == coinsel_rng_next(&b));
    assert_string_equal(coinsel_algo_name(COINSEL_BNB), "bnb");
    assert_string_equal(coinsel_algo_name(COINSEL_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bnb_exact),
        cmocka_unit_test(test_bnb_no_match),
        cmocka_unit_test(test_bnb_weight_and_limits),
        cmocka_unit_test(test_knapsack),
        cmocka_unit_test(test_srd),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_dust_change_dropped),
        cmocka_unit_test(test_change_target_and_rng),
    };
    return cmocka_run_group_tests_name("coinselection_tests", tests, NULL, NULL);
}
