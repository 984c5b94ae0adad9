/* Coin selection (see coinselection.h for the contract).
 *
 * Every algorithm works on an array of indexes into the caller's coins, sorted or
 * shuffled as it needs, and hands back the chosen indexes in ascending order. BnB walks
 * the inclusion/omission tree of the coins sorted by descending effective value with an
 * explicit stack of included positions (Core's curr_selection), so its memory is one
 * array of n entries whatever the depth. */
#include "wallet/coinselection.h"

#include <stdlib.h>
#include <string.h>

#define MAX_AMOUNT (21000000LL * 100000000LL)

int64_t coinsel_effective_value(const struct coinsel_coin *c) { return c->value - c->fee; }

static int64_t amount_of(const struct coinsel_coin *c, bool use_effective)
{
    return use_effective ? c->value - c->fee : c->value;
}

const char *coinsel_algo_name(enum coinsel_algo a)
{
    switch (a) {
    case COINSEL_BNB: return "bnb";
    case COINSEL_KNAPSACK: return "knapsack";
    case COINSEL_SRD: return "srd";
    case COINSEL_NONE: break;
    }
    return "none";
}

/* ---- random numbers ---- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void coinsel_rng_seed(struct coinsel_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t coinsel_rng_next(struct coinsel_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

uint64_t coinsel_rng_range(struct coinsel_rng *rng, uint64_t range)
{
    if (range == 0) return 0;
    /* Rejection sampling keeps it uniform. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do x = coinsel_rng_next(rng);
    while (x >= limit);
    return x % range;
}

static void shuffle(size_t *v, size_t n, struct coinsel_rng *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)coinsel_rng_range(rng, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ---- results ---- */

void coinsel_result_clear(struct coinsel_result *r)
{
    if (!r) return;
    free(r->selected);
    memset(r, 0, sizeof *r);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Fills out from the k indexes in idx (copied and sorted). */
static enum coinsel_status make_result(const struct coinsel_coin *coins, const size_t *idx,
                                       size_t k, int64_t target, bool use_effective,
                                       enum coinsel_algo algo, struct coinsel_result *out)
{
    coinsel_result_clear(out);
    out->selected = malloc((k ? k : 1) * sizeof *out->selected);
    if (!out->selected) return COINSEL_OUT_OF_MEMORY;
    memcpy(out->selected, idx, k * sizeof *idx);
    qsort(out->selected, k, sizeof *idx, cmp_size);
    out->count = k;
    for (size_t i = 0; i < k; i++) {
        const struct coinsel_coin *c = &coins[idx[i]];
        out->value += c->value;
        out->effective_value += c->value - c->fee;
        out->weight += c->weight;
    }
    out->target = target;
    out->use_effective = use_effective;
    out->algo = algo;
    return COINSEL_OK;
}

/* ---- Branch and Bound ---- */

/* An index with its sort key (qsort has no context argument, and no globals here). */
struct idx_pair {
    size_t idx;
    int64_t key;
    int64_t fee;
};

static int cmp_desc(const void *a, const void *b)
{
    const struct idx_pair *x = a, *y = b;
    if (x->key != y->key) return x->key > y->key ? -1 : 1;
    /* Core sorts only by amount; keep ties in input order for determinism. */
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

enum coinsel_status coinsel_bnb(const struct coinsel_coin *coins, size_t n, int64_t target,
                                int64_t cost_of_change, int64_t max_weight,
                                struct coinsel_result *out)
{
    struct idx_pair *pool = malloc((n ? n : 1) * sizeof *pool);
    size_t *sel = malloc((n ? n : 1) * sizeof *sel);
    size_t *best = malloc((n ? n : 1) * sizeof *best);
    if (!pool || !sel || !best) {
        free(pool);
        free(sel);
        free(best);
        return COINSEL_OUT_OF_MEMORY;
    }
    size_t m = 0;
    int64_t available = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ev = coinsel_effective_value(&coins[i]);
        if (ev <= 0) continue;
        pool[m].idx = i;
        pool[m].key = ev;
        pool[m].fee = coins[i].fee;
        available += ev;
        m++;
    }
    enum coinsel_status st = COINSEL_NO_SOLUTION;
    size_t nsel = 0, nbest = 0;
    bool found = false, weight_exceeded = false;
    if (m == 0 || available < target) goto done;
    qsort(pool, m, sizeof *pool, cmp_desc);
    int64_t value = 0, waste = 0, weight = 0, best_waste = MAX_AMOUNT;
    const struct coinsel_coin *first = &coins[pool[0].idx];
    bool feerate_high = first->fee > first->long_term_fee;
    size_t pos = 0;
    for (size_t tries = 0; tries < COINSEL_BNB_TOTAL_TRIES; tries++, pos++) {
        bool backtrack = false;
        if (value + available < target || value > target + cost_of_change ||
            (waste > best_waste && feerate_high)) {
            backtrack = true; /* cannot reach the target, or overshot, or worse already */
        } else if (max_weight > 0 && weight > max_weight) {
            weight_exceeded = true;
            backtrack = true;
        } else if (value >= target) {
            /* A match: its waste counts the excess given up to the fee. */
            int64_t w = waste + (value - target);
            if (w <= best_waste) {
                best_waste = w;
                memcpy(best, sel, nsel * sizeof *sel);
                nbest = nsel;
                found = true;
            }
            backtrack = true;
        }
        if (backtrack) {
            if (nsel == 0) break; /* every branch explored */
            /* Positions skipped since the last included one become available again,
             * then the last included one is excluded instead. */
            for (--pos; pos > sel[nsel - 1]; --pos) available += pool[pos].key;
            const struct coinsel_coin *c = &coins[pool[pos].idx];
            value -= pool[pos].key;
            waste -= c->fee - c->long_term_fee;
            weight -= c->weight;
            nsel--;
        } else {
            const struct coinsel_coin *c = &coins[pool[pos].idx];
            available -= pool[pos].key;
            /* Excluding a coin equal to the one just excluded before it explores the same
             * sets again: skip the inclusion branch then. */
            bool same_as_omitted = nsel > 0 && pos - 1 != sel[nsel - 1] &&
                                   pool[pos].key == pool[pos - 1].key &&
                                   pool[pos].fee == pool[pos - 1].fee;
            if (!same_as_omitted) {
                sel[nsel++] = pos;
                value += pool[pos].key;
                waste += c->fee - c->long_term_fee;
                weight += c->weight;
            }
        }
    }
    if (found) {
        for (size_t i = 0; i < nbest; i++) best[i] = pool[best[i]].idx;
        st = make_result(coins, best, nbest, target, true, COINSEL_BNB, out);
    } else if (weight_exceeded) {
        st = COINSEL_MAX_WEIGHT;
    }
done:
    free(pool);
    free(sel);
    free(best);
    return st;
}

/* ---- Knapsack ---- */

/* Core's ApproximateBestSubset over amounts v (descending): random passes keeping the
 * smallest total reaching target; best (n flags) and *best_total in/out. */
static void approximate_best_subset(const int64_t *v, size_t n, int64_t total_lower,
                                    int64_t target, bool *best, int64_t *best_total,
                                    bool *included, struct coinsel_rng *rng)
{
    for (size_t i = 0; i < n; i++) best[i] = true;
    *best_total = total_lower;
    for (int rep = 0; rep < COINSEL_KNAPSACK_ITERATIONS && *best_total != target; rep++) {
        memset(included, 0, n * sizeof *included);
        int64_t total = 0;
        bool reached = false;
        for (int pass = 0; pass < 2 && !reached; pass++) {
            for (size_t i = 0; i < n; i++) {
                bool take = pass == 0 ? (coinsel_rng_next(rng) & 1) != 0 : !included[i];
                if (!take) continue;
                total += v[i];
                included[i] = true;
                if (total >= target) {
                    reached = true;
                    if (total < *best_total) {
                        *best_total = total;
                        memcpy(best, included, n * sizeof *best);
                    }
                    total -= v[i];
                    included[i] = false;
                }
            }
        }
    }
}

enum coinsel_status coinsel_knapsack(const struct coinsel_coin *coins, size_t n, int64_t target,
                                     int64_t change_target, bool use_effective,
                                     int64_t max_weight, struct coinsel_rng *rng,
                                     struct coinsel_result *out)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    struct idx_pair *app = malloc((n ? n : 1) * sizeof *app);
    int64_t *vals = malloc((n ? n : 1) * sizeof *vals);
    bool *best = malloc(n ? n : 1);
    bool *incl = malloc(n ? n : 1);
    size_t *pick = malloc((n ? n : 1) * sizeof *pick);
    enum coinsel_status st = COINSEL_OUT_OF_MEMORY;
    if (!order || !app || !vals || !best || !incl || !pick) goto done;
    for (size_t i = 0; i < n; i++) order[i] = i;
    shuffle(order, n, rng);
    size_t napp = 0, k = 0;
    long lowest_larger = -1;
    int64_t total_lower = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        int64_t a = amount_of(&coins[i], use_effective);
        if (a == target) {
            st = make_result(coins, &i, 1, target, use_effective, COINSEL_KNAPSACK, out);
            goto check_weight;
        } else if (a < target + change_target) {
            app[napp].idx = i;
            app[napp].key = a;
            app[napp].fee = 0;
            napp++;
            total_lower += a;
        } else if (lowest_larger < 0 || a < amount_of(&coins[lowest_larger], use_effective)) {
            lowest_larger = (long)i;
        }
    }
    if (total_lower == target) {
        for (size_t j = 0; j < napp; j++) pick[j] = app[j].idx;
        st = make_result(coins, pick, napp, target, use_effective, COINSEL_KNAPSACK, out);
        goto check_weight;
    }
    if (total_lower < target) {
        if (lowest_larger < 0) {
            st = COINSEL_NO_SOLUTION;
            goto done;
        }
        size_t i = (size_t)lowest_larger;
        st = make_result(coins, &i, 1, target, use_effective, COINSEL_KNAPSACK, out);
        goto check_weight;
    }
    /* Stochastic subset sum over the smaller coins, largest first. */
    qsort(app, napp, sizeof *app, cmp_desc);
    for (size_t j = 0; j < napp; j++) vals[j] = app[j].key;
    int64_t best_total;
    approximate_best_subset(vals, napp, total_lower, target, best, &best_total, incl, rng);
    if (best_total != target && total_lower >= target + change_target)
        approximate_best_subset(vals, napp, total_lower, target + change_target, best,
                                &best_total, incl, rng);
    /* The smallest larger coin wins when the subsets found no exact match and could not
     * leave room for change, or when it is no bigger than the best subset. */
    if (lowest_larger >= 0 && ((best_total != target && best_total < target + change_target) ||
                               amount_of(&coins[lowest_larger], use_effective) <= best_total)) {
        size_t i = (size_t)lowest_larger;
        st = make_result(coins, &i, 1, target, use_effective, COINSEL_KNAPSACK, out);
    } else {
        for (size_t j = 0; j < napp; j++)
            if (best[j]) pick[k++] = app[j].idx;
        st = make_result(coins, pick, k, target, use_effective, COINSEL_KNAPSACK, out);
    }
check_weight:
    if (st == COINSEL_OK && max_weight > 0 && out->weight > max_weight) {
        coinsel_result_clear(out);
        st = COINSEL_MAX_WEIGHT;
    }
done:
    free(order);
    free(app);
    free(vals);
    free(best);
    free(incl);
    free(pick);
    return st;
}

/* ---- Single Random Draw ---- */

enum coinsel_status coinsel_srd(const struct coinsel_coin *coins, size_t n, int64_t target,
                                int64_t change_fee, int64_t max_weight, struct coinsel_rng *rng,
                                struct coinsel_result *out)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *sel = malloc((n ? n : 1) * sizeof *sel);
    if (!order || !sel) {
        free(order);
        free(sel);
        return COINSEL_OUT_OF_MEMORY;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (coinsel_effective_value(&coins[i]) > 0) order[m++] = i;
    shuffle(order, m, rng);
    int64_t goal = target + COINSEL_CHANGE_LOWER + change_fee;
    int64_t value = 0, weight = 0;
    size_t nsel = 0;
    bool weight_exceeded = false;
    enum coinsel_status st = COINSEL_NO_SOLUTION;
    for (size_t j = 0; j < m; j++) {
        size_t i = order[j];
        sel[nsel++] = i;
        value += coinsel_effective_value(&coins[i]);
        weight += coins[i].weight;
        while (max_weight > 0 && weight > max_weight && nsel > 0) {
            /* Drop the selected coin of least effective value. */
            weight_exceeded = true;
            size_t lo = 0;
            for (size_t q = 1; q < nsel; q++)
                if (coinsel_effective_value(&coins[sel[q]]) <
                    coinsel_effective_value(&coins[sel[lo]]))
                    lo = q;
            value -= coinsel_effective_value(&coins[sel[lo]]);
            weight -= coins[sel[lo]].weight;
            sel[lo] = sel[--nsel];
        }
        if (value >= goal) {
            st = make_result(coins, sel, nsel, target, true, COINSEL_SRD, out);
            break;
        }
    }
    if (st == COINSEL_NO_SOLUTION && weight_exceeded) st = COINSEL_MAX_WEIGHT;
    free(order);
    free(sel);
    return st;
}

/* ---- change, waste, selection ---- */

int64_t coinsel_change_target(int64_t payment, int64_t change_fee, struct coinsel_rng *rng)
{
    if (payment <= COINSEL_CHANGE_LOWER / 2) return change_fee + COINSEL_CHANGE_LOWER;
    int64_t upper = payment * 2 < COINSEL_CHANGE_UPPER ? payment * 2 : COINSEL_CHANGE_UPPER;
    return change_fee +
           (int64_t)coinsel_rng_range(rng, (uint64_t)(upper - COINSEL_CHANGE_LOWER)) +
           COINSEL_CHANGE_LOWER;
}

int64_t coinsel_change(const struct coinsel_result *r, const struct coinsel_params *p)
{
    int64_t change = r->use_effective ? r->effective_value - r->target - p->change_fee
                                      : r->value - r->target;
    return change < p->min_viable_change ? 0 : change;
}

int64_t coinsel_waste(const struct coinsel_coin *coins, struct coinsel_result *r,
                      const struct coinsel_params *p)
{
    int64_t waste = 0;
    for (size_t i = 0; i < r->count; i++) {
        const struct coinsel_coin *c = &coins[r->selected[i]];
        waste += c->fee - c->long_term_fee;
    }
    if (coinsel_change(r, p) > 0) {
        waste += p->cost_of_change;
    } else {
        int64_t selected = r->use_effective ? r->effective_value : r->value;
        waste += selected - r->target;
    }
    r->waste = waste;
    return waste;
}

/* Whether a (waste, inputs) is better than b (Core's SelectionResult::operator<). */
static bool better(const struct coinsel_result *a, const struct coinsel_result *b)
{
    return a->waste < b->waste || (a->waste == b->waste && a->count > b->count);
}

enum coinsel_status coinsel_select(const struct coinsel_coin *coins, size_t n,
                                   const struct coinsel_params *p, struct coinsel_rng *rng,
                                   struct coinsel_result *out)
{
    struct coinsel_result res[3];
    memset(res, 0, sizeof res);
    enum coinsel_status st[3] = {COINSEL_NO_SOLUTION, COINSEL_NO_SOLUTION, COINSEL_NO_SOLUTION};
    bool effective = !p->subtract_fee_outputs;
    if (effective)
        st[0] = coinsel_bnb(coins, n, p->target, p->cost_of_change, p->max_weight, &res[0]);
    st[1] = coinsel_knapsack(coins, n, p->target, p->min_change_target, effective,
                             p->max_weight, rng, &res[1]);
    if (effective)
        st[2] = coinsel_srd(coins, n, p->target, p->change_fee, p->max_weight, rng, &res[2]);
    int pick = -1;
    bool weight = false, oom = false;
    for (int i = 0; i < 3; i++) {
        if (st[i] == COINSEL_MAX_WEIGHT) weight = true;
        if (st[i] == COINSEL_OUT_OF_MEMORY) oom = true;
        if (st[i] != COINSEL_OK) continue;
        coinsel_waste(coins, &res[i], p);
        if (pick < 0 || better(&res[i], &res[pick])) pick = i;
    }
    for (int i = 0; i < 3; i++)
        if (i != pick) coinsel_result_clear(&res[i]);
    if (pick < 0)
        return oom ? COINSEL_OUT_OF_MEMORY : weight ? COINSEL_MAX_WEIGHT : COINSEL_NO_SOLUTION;
    coinsel_result_clear(out);
    *out = res[pick];
    out->change = coinsel_change(out, p);
    return COINSEL_OK;
}
