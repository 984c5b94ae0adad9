/* Coin selection: which of the wallet's coins pay for a transaction.
 *
 * The algorithms, constants and tie-breaks are Bitcoin Core's (wallet/coinselection.cpp,
 * Core 25-29): Branch and Bound looks for an input set whose effective value lands in
 * [target, target + cost_of_change], so no change output is needed; Knapsack (Core's
 * legacy stochastic subset sum) and Single Random Draw always leave room for change.
 * coinsel_select runs all that apply and keeps the result with the least waste (more
 * inputs win a tie), then decides the change: below min_viable_change it is dropped and
 * goes to the fee.
 *
 * Amounts are satoshis. A coin's effective value is its value minus the fee its input
 * costs at the transaction's fee rate; targets are in effective terms (the recipients'
 * total plus the fee of everything but the inputs), except with subtract_fee_outputs,
 * where the recipients pay the fees and plain values are used (and BnB is skipped, as
 * Core does).
 *
 * Waste (Core's GetSelectionWaste): for each input, fee - long_term_fee (what spending
 * it now costs over spending it later at the long-term rate), plus cost_of_change when a
 * change output is made, or else the excess given up to the fee.
 *
 * Randomness comes from a struct coinsel_rng the caller seeds, so tests are repeatable;
 * nothing here allocates more than the result's index array, reads the clock or keeps
 * state between calls. */
#ifndef IOP_WALLET_COINSELECTION_H
#define IOP_WALLET_COINSELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COINSEL_WU __attribute__((warn_unused_result))

/* Core's BnB search limit. */
#define COINSEL_BNB_TOTAL_TRIES 100000
/* Core's ApproximateBestSubset iterations. */
#define COINSEL_KNAPSACK_ITERATIONS 1000
/* Core's CHANGE_LOWER and CHANGE_UPPER: bounds of the random change target. */
#define COINSEL_CHANGE_LOWER 50000
#define COINSEL_CHANGE_UPPER 1000000

/* One candidate input. */
struct coinsel_coin {
    int64_t value;         /* the output's value */
    int64_t fee;           /* fee of its input at the effective fee rate */
    int64_t long_term_fee; /* fee of its input at the long-term fee rate */
    int64_t weight;        /* weight of its input (for the max_weight limit) */
};

/* Effective value: value - fee. */
int64_t coinsel_effective_value(const struct coinsel_coin *c);

enum coinsel_algo {
    COINSEL_NONE = 0,
    COINSEL_BNB,
    COINSEL_KNAPSACK,
    COINSEL_SRD,
};
/* "bnb", "knapsack", "srd", "none". */
const char *coinsel_algo_name(enum coinsel_algo a);

enum coinsel_status {
    COINSEL_OK = 0,
    COINSEL_NO_SOLUTION, /* not enough funds, or (BnB) no changeless match */
    COINSEL_MAX_WEIGHT,  /* a solution would exceed max_weight */
    COINSEL_OUT_OF_MEMORY,
};

/* A small fast PRNG (xoshiro256**). Seed with coinsel_rng_seed. */
struct coinsel_rng {
    uint64_t s[4];
};
void coinsel_rng_seed(struct coinsel_rng *rng, uint64_t seed);
uint64_t coinsel_rng_next(struct coinsel_rng *rng);
/* Uniform in [0, range); range 0 gives 0. */
uint64_t coinsel_rng_range(struct coinsel_rng *rng, uint64_t range);

/* A selection: indexes into the caller's coin array, ascending. Release with
 * coinsel_result_clear. */
struct coinsel_result {
    size_t *selected;
    size_t count;
    int64_t value;           /* sum of the selected coins' values */
    int64_t effective_value; /* sum of their effective values */
    int64_t weight;          /* sum of their weights */
    int64_t target;          /* the target it was made for */
    bool use_effective;      /* false with subtract_fee_outputs */
    enum coinsel_algo algo;
    int64_t waste;
    int64_t change; /* change output value chosen by coinsel_select; 0: none */
};
void coinsel_result_clear(struct coinsel_result *r);

/* ---- The algorithms (exposed for tests) ---- */

/* Core's SelectCoinsBnB over coins with positive effective value (others are ignored):
 * depth-first search, largest effective value first, for the subset whose effective
 * value is in [target, target + cost_of_change] with the least waste, giving up after
 * COINSEL_BNB_TOTAL_TRIES steps. Sets subsets heavier than max_weight (0: no limit)
 * aside. *out must be zeroed or cleared. */
COINSEL_WU enum coinsel_status coinsel_bnb(const struct coinsel_coin *coins, size_t n,
                                           int64_t target, int64_t cost_of_change,
                                           int64_t max_weight, struct coinsel_result *out);

/* Core's KnapsackSolver: an exact match by one coin or by all coins below
 * target + change_target, else the best stochastic subset sum reaching target (or
 * target + change_target), or the smallest coin above when that is closer. use_effective
 * false selects by plain value. Coins of any effective value take part. */
COINSEL_WU enum coinsel_status coinsel_knapsack(const struct coinsel_coin *coins, size_t n,
                                                int64_t target, int64_t change_target,
                                                bool use_effective, int64_t max_weight,
                                                struct coinsel_rng *rng,
                                                struct coinsel_result *out);

/* Core's SelectCoinsSRD: coins with positive effective value, in random order, until
 * they reach target + change_fee + COINSEL_CHANGE_LOWER; whenever the set gets heavier
 * than max_weight (0: no limit) its smallest coins are dropped first. */
COINSEL_WU enum coinsel_status coinsel_srd(const struct coinsel_coin *coins, size_t n,
                                           int64_t target, int64_t change_fee,
                                           int64_t max_weight, struct coinsel_rng *rng,
                                           struct coinsel_result *out);

/* Core's GenerateChangeTarget: change_fee + COINSEL_CHANGE_LOWER for payments up to
 * COINSEL_CHANGE_LOWER / 2, else change_fee plus a random amount in
 * [COINSEL_CHANGE_LOWER, min(2 * payment, COINSEL_CHANGE_UPPER)). */
int64_t coinsel_change_target(int64_t payment, int64_t change_fee, struct coinsel_rng *rng);

/* ---- Selecting ---- */

struct coinsel_params {
    int64_t target;            /* recipients + non-input fees (effective terms) */
    int64_t cost_of_change;    /* change_fee + fee to spend the change later */
    int64_t change_fee;        /* fee of the change output at the effective rate */
    int64_t min_change_target; /* coinsel_change_target's result */
    int64_t min_viable_change; /* smaller change is dropped to the fee */
    bool subtract_fee_outputs; /* recipients pay the fee: plain values, no BnB */
    int64_t max_weight;        /* of the inputs; 0: no limit */
};

/* Change of r under p (Core's GetChange): effective value - target - change_fee (or value -
 * target with subtract_fee_outputs), 0 when below min_viable_change. */
int64_t coinsel_change(const struct coinsel_result *r, const struct coinsel_params *p);
/* Waste of r under p (Core's RecalculateWaste); sets r->waste and returns it. */
int64_t coinsel_waste(const struct coinsel_coin *coins, struct coinsel_result *r,
                      const struct coinsel_params *p);

/* Runs BnB (unless subtract_fee_outputs), Knapsack and SRD, keeps the result with the
 * least waste (ties: more inputs) and sets its change. COINSEL_NO_SOLUTION when the
 * coins cannot pay, COINSEL_MAX_WEIGHT when they could only with too heavy an input
 * set. *out must be zeroed or cleared. */
COINSEL_WU enum coinsel_status coinsel_select(const struct coinsel_coin *coins, size_t n,
                                              const struct coinsel_params *p,
                                              struct coinsel_rng *rng,
                                              struct coinsel_result *out);

#endif
