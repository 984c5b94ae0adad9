/* Difficulty adjustment: Bitcoin's 2016-block retarget (Core's pow_tests known answers),
 * aserti3-2d (Bitcoin Cash reference vectors with their 600 s / 2-day parameters, then
 * iop's 120 s / 2-hour parameters; those answers were computed with an independent
 * big-integer implementation of the specification), the dispatcher over a synthetic
 * chain, and edge cases (pow_limit clamps, target floor of 1, negative time deltas). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain/chainparams.h"
#include "consensus/pow.h"
#include "test_util.h"

static const struct pow_params *btc(void) { return &chainparams_by_name("btc-main")->pow; }
static const struct pow_params *iop(void) { return &chainparams_by_name("main")->pow; }

static uint32_t limit_bits(const struct pow_params *p)
{
    arith256 l;
    arith256_from_uint256(&l, &p->pow_limit);
    return arith256_get_compact(&l, false);
}

/* Core's pow_tests: real mainnet retargets. */
static void test_btc_retarget_known(void **state)
{
    (void)state;
    static const struct {
        int64_t first, last;
        uint32_t bits, want;
    } cases[] = {
        {1261130161, 1262152739, 0x1d00ffff, 0x1d00d86a}, /* block 32256 */
        {1231006505, 1233061996, 0x1d00ffff, 0x1d00ffff}, /* capped at pow_limit */
        {1279008237, 1279297671, 0x1c05a3f4, 0x1c0168fd}, /* actual < timespan / 4 */
        {1263163443, 1269211443, 0x1c387f6f, 0x1d00e1fd}, /* actual > timespan * 4 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(pow_btc_retarget(btc(), cases[i].bits, cases[i].last, cases[i].first),
                         cases[i].want);
    /* no_retargeting keeps the bits. */
    assert_int_equal(pow_btc_retarget(&chainparams_by_name("btc-regtest")->pow, 0x1d00ffff,
                                      1262152739, 1261130161),
                     0x1d00ffff);
    test_report_count("retarget known answers", sizeof(cases) / sizeof(cases[0]));
}

/* A synthetic chain for the dispatcher: block h has time base + h * step (or times[h])
 * and bits bits[h] (or default_bits). */
struct fake_chain {
    int64_t base, step;
    uint32_t default_bits;
    const int64_t *times;
    const uint32_t *bits;
    int32_t len;
    int calls;
};

static bool fake_ancestor(void *ctx, int32_t height, struct pow_block *out)
{
    struct fake_chain *c = ctx;
    c->calls++;
    if (height < 0 || height >= c->len) return false;
    out->height = height;
    out->time = c->times ? c->times[height] : c->base + (int64_t)height * c->step;
    out->bits = c->bits ? c->bits[height] : c->default_bits;
    return true;
}

static struct pow_block tip_of(struct fake_chain *c)
{
    struct pow_block b;
    assert_true(fake_ancestor(c, c->len - 1, &b));
    return b;
}

static void test_btc_dispatch(void **state)
{
    (void)state;
    uint32_t bits = 0;
    /* Genesis gets the limit. */
    assert_true(pow_next_work_required(&bits, btc(), NULL, 0, fake_ancestor, NULL));
    assert_int_equal(bits, 0x1d00ffff);

    /* Block 32256: first of a window; the window's first block is 30240. */
    struct fake_chain c = {.len = 32256, .default_bits = 0x1d00ffff, .step = 0};
    int64_t times[32256];
    memset(times, 0, sizeof(times));
    times[30240] = 1261130161;
    times[32255] = 1262152739;
    c.times = times;
    struct pow_block tip = tip_of(&c);
    assert_true(pow_next_work_required(&bits, btc(), &tip, 1262153000, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d00d86a);

    /* Inside a window the parent's bits carry over, whatever the times. */
    c.len = 32255;
    tip = tip_of(&c);
    tip.bits = 0x1c05a3f4;
    assert_true(pow_next_work_required(&bits, btc(), &tip, 0, fake_ancestor, &c));
    assert_int_equal(bits, 0x1c05a3f4);

    /* A missing ancestor is reported, not guessed. */
    struct fake_chain short_chain = {.len = 10, .default_bits = 0x1d00ffff};
    struct pow_block fake_tip = {.height = 4031, .time = 1, .bits = 0x1d00ffff};
    assert_false(
        pow_next_work_required(&bits, btc(), &fake_tip, 0, fake_ancestor, &short_chain));
}

static void test_btc_min_difficulty(void **state)
{
    (void)state;
    /* Bitcoin testnet's rule, on a copy of btc-main's parameters. */
    struct pow_params p = *btc();
    p.allow_min_difficulty = true;
    uint32_t real[12];
    for (int i = 0; i < 12; i++) real[i] = 0x1c0fffff;
    real[9] = real[10] = real[11] = 0x1d00ffff; /* three minimum-difficulty blocks */
    struct fake_chain c = {.len = 12, .base = 1000000, .step = 600, .bits = real};
    struct pow_block tip = tip_of(&c);
    uint32_t bits;
    /* More than 20 minutes after the parent: minimum difficulty. */
    assert_true(pow_next_work_required(&bits, &p, &tip, tip.time + 1201, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d00ffff);
    /* Otherwise the last block that was not at minimum difficulty. */
    assert_true(pow_next_work_required(&bits, &p, &tip, tip.time + 1200, fake_ancestor, &c));
    assert_int_equal(bits, 0x1c0fffff);
    /* The walk stops at height 0 (and at window boundaries). */
    for (int i = 0; i < 12; i++) real[i] = 0x1d00ffff;
    assert_true(pow_next_work_required(&bits, &p, &tip, tip.time + 10, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d00ffff);
    /* Regtest profiles: bits never move. */
    const struct pow_params *r = &chainparams_by_name("btc-regtest")->pow;
    struct fake_chain rc = {.len = 2016, .base = 0, .step = 1, .default_bits = 0x207fffff};
    tip = tip_of(&rc);
    assert_true(pow_next_work_required(&bits, r, &tip, tip.time + 1, fake_ancestor, &rc));
    assert_int_equal(bits, 0x207fffff);
    const struct pow_params *ir = &chainparams_by_name("regtest")->pow;
    assert_true(pow_next_work_required(&bits, ir, &tip, 0, fake_ancestor, &rc));
    assert_int_equal(bits, 0x207fffff);
    assert_true(pow_next_work_required(&bits, ir, NULL, 0, fake_ancestor, &rc));
    assert_int_equal(bits, 0x207fffff);
}

/* Bitcoin Cash's published aserti3-2d vectors: anchor height 1, anchor parent time 0,
 * spacing 600 s, half-life 2 days, limit 0x1d00ffff. Each case gives the evaluated block
 * (the parent of the new one) and the expected bits. */
static void test_asert_bch_vectors(void **state)
{
    (void)state;
    const uint256 *limit = &btc()->pow_limit;
    struct vec {
        uint32_t anchor_bits;
        int64_t height, time;
        uint32_t want;
    };
    static const struct vec v[] = {
        /* run01: on schedule, nothing moves */
        {0x1d00ffff, 2, 1200, 0x1d00ffff},
        {0x1d00ffff, 11, 6600, 0x1d00ffff},
        /* run04: the smallest target doubles after a half-life late */
        {0x01010000, 2, 174000, 0x01020000},
        /* run05: blocks with time 0 */
        {0x1d00ffff, 2, 0, 0x1d00fec5},
        {0x1d00ffff, 290, 0, 0x1c7f62c0},
        /* run06: irregular times */
        {0x1802aee8, 2, 1200, 0x1802aee8},
        {0x1802aee8, 3, 1310, 0x1802ad91},
        {0x1802aee8, 4, 1327, 0x1802abf8},
        {0x1802aee8, 5, 1739, 0x1802ab73},
        {0x1802aee8, 6, 2219, 0x1802ab20},
        {0x1802aee8, 7, 2604, 0x1802aa89},
        {0x1802aee8, 8, 2746, 0x1802a94b},
        {0x1802aee8, 9, 7099, 0x1802b39c},
        {0x1802aee8, 10, 7099, 0x1802b1f2},
        {0x1802aee8, 11, 7657, 0x1802b1d4},
        {0x1802aee8, 12, 8626, 0x1802b2db},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint32_t got = pow_asert_next_bits(v[i].anchor_bits, v[i].time - 0, v[i].height - 1,
                                           600, 2 * 24 * 3600, limit);
        if (got != v[i].want)
            fail_msg("case %zu: got %08x want %08x", i, (unsigned)got, (unsigned)v[i].want);
    }
    test_report_count("aserti3-2d BCH vectors", sizeof(v) / sizeof(v[0]));
}

/* iop's parameters: 120 s spacing, 2-hour half-life, limit 2^236 - 1. */
static void test_asert_iop(void **state)
{
    (void)state;
    const uint256 *limit = &iop()->pow_limit;
    static const struct {
        uint32_t anchor_bits;
        int64_t time_diff, height_diff;
        uint32_t want;
    } v[] = {
        {0x1d00ffff, 120 * 11 + 3600, 10, 0x1d016a00},   /* half an half-life late: x sqrt 2 */
        {0x1d00ffff, 120 * 11 - 3600, 10, 0x1d00b500},   /* half a half-life early */
        {0x1d00ffff, 120 * 101 + 7200, 100, 0x1d01fffe}, /* one half-life late: x 2 */
        {0x1d00ffff, 120 * 2 - 7200 * 3, 1, 0x1c1fffe0}, /* three early: / 8 */
        {0x1c123456, 120 * 5000 + 1234, 4999, 0x1c1480a3},
        {0x1e0fffff, 120 * 3 + 100, 2, 0x1e0fffff},             /* never above the limit */
        {0x1d00ffff, -5000, 3, 0x1d00970d},                     /* negative time delta */
        {0x1e0fffff, 120 * 1000 - 7200 * 300, 999, 0x01010000}, /* floor: target 1 */
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint32_t got = pow_asert_next_bits(v[i].anchor_bits, v[i].time_diff, v[i].height_diff,
                                           120, 7200, limit);
        if (got != v[i].want)
            fail_msg("case %zu: got %08x want %08x", i, (unsigned)got, (unsigned)v[i].want);
    }
    /* Symmetry and monotonicity: later never gives a smaller target. */
    arith256 prev, cur;
    arith256_set_u64(&prev, 0);
    for (int64_t late = -50000; late <= 50000; late += 97) {
        uint32_t b = pow_asert_next_bits(0x1c0fffff, 120 * 51 + late, 50, 120, 7200, limit);
        arith256_set_compact(&cur, b, NULL, NULL);
        assert_true(arith256_cmp(&cur, &prev) >= 0);
        prev = cur;
    }
    /* Huge drifts clamp rather than overflow. */
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, INT64_C(1) << 38, 0, 120, 7200, limit),
                     limit_bits(iop()));
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, -(INT64_C(1) << 38), 0, 120, 7200, limit),
                     0x01010000);
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 0, (INT64_C(1) << 31), 120, 7200, limit),
                     0x01010000);
    /* Extremes of every argument stay defined (UBSan) and saturate. */
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, INT64_MAX, INT64_MIN, 120, 7200, limit),
                     limit_bits(iop()));
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, INT64_MIN, INT64_MAX, 120, 7200, limit),
                     0x01010000);
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 0, INT64_MAX, 120, 1, limit), 0x01010000);
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, INT64_MAX, 0, 120, 1, limit),
                     limit_bits(iop()));
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 0, 0, 120, INT64_MAX, limit), 0x1c0fffff);
    /* Parameter errors leave the anchor's bits. */
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 5000, 3, 0, 7200, limit), 0x1c0fffff);
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 5000, 3, 120, 0, limit), 0x1c0fffff);
    assert_int_equal(pow_asert_next_bits(0x1c0fffff, 5000, 3, INT64_MAX, 7200, limit),
                     0x1c0fffff);
    test_report_count("aserti3-2d iop vectors", sizeof(v) / sizeof(v[0]));
}

static void test_asert_dispatch(void **state)
{
    (void)state;
    const struct pow_params *p = iop();
    uint32_t lb = limit_bits(p), bits = 0;
    /* Genesis and block 1 (the anchor) get the limit. */
    assert_true(pow_next_work_required(&bits, p, NULL, 0, fake_ancestor, NULL));
    assert_int_equal(bits, lb);
    struct pow_block genesis = {.height = 0, .time = 1795478400, .bits = lb};
    assert_true(pow_next_work_required(&bits, p, &genesis, 0, fake_ancestor, NULL));
    assert_int_equal(bits, lb);

    /* An anchor months after genesis: the genesis time plays no part. Anchor bits below
     * the limit so both directions show. */
    uint32_t chain_bits[200];
    int64_t times[200];
    times[0] = 1795478400;
    for (int i = 0; i < 200; i++) chain_bits[i] = 0x1d00ffff;
    for (int i = 1; i < 200; i++) times[i] = 1800000000 + (int64_t)(i - 1) * 120;
    struct fake_chain c = {.len = 200, .times = times, .bits = chain_bits};
    struct pow_block tip = tip_of(&c);
    assert_true(pow_next_work_required(&bits, p, &tip, 0, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d00ffff); /* exactly on schedule */
    c.len = 2;
    tip = tip_of(&c); /* the anchor itself is the parent */
    c.calls = 0;
    assert_true(pow_next_work_required(&bits, p, &tip, 0, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d00ffff);
    assert_int_equal(c.calls, 0);
    /* Two hours behind schedule at height 100: the target doubles. */
    c.len = 101;
    times[100] += 7200;
    tip = tip_of(&c);
    assert_true(pow_next_work_required(&bits, p, &tip, 0, fake_ancestor, &c));
    assert_int_equal(bits, 0x1d01fffe);
    /* Ancestor lookup failure. */
    struct fake_chain none = {.len = 0};
    assert_false(pow_next_work_required(&bits, p, &tip, 0, fake_ancestor, &none));
    /* Bad parameters are refused, not divided by. */
    struct pow_params bad = *p;
    bad.asert_half_life = 0;
    assert_false(pow_next_work_required(&bits, &bad, &tip, 0, fake_ancestor, &c));
    bad = *btc();
    bad.target_spacing = 0;
    bad.target_timespan = 0;
    assert_false(pow_next_work_required(&bits, &bad, &tip, 0, fake_ancestor, &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_btc_retarget_known), cmocka_unit_test(test_btc_dispatch),
        cmocka_unit_test(test_btc_min_difficulty), cmocka_unit_test(test_asert_bch_vectors),
        cmocka_unit_test(test_asert_iop),          cmocka_unit_test(test_asert_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
