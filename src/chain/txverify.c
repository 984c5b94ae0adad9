/* Contextual transaction checks; see txverify.h. Behaviour and reject strings follow
 * Bitcoin Core's IsFinalTx, Consensus::CheckTxInputs, CalculateSequenceLocks and
 * EvaluateSequenceLocks. */
#include "chain/txverify.h"

#include "consensus/script.h"

bool tx_is_final(const struct tx *tx, int32_t block_height, int64_t block_time)
{
    if (tx->locktime == 0) return true;
    int64_t ref = tx->locktime < LOCKTIME_THRESHOLD ? (int64_t)block_height : block_time;
    if ((int64_t)tx->locktime < ref) return true;
    /* A lock time in the future is still final when no input can be replaced. */
    for (size_t i = 0; i < tx->vin_count; i++)
        if (tx->vin[i].sequence != SEQUENCE_FINAL) return false;
    return true;
}

bool check_tx_inputs(const struct tx *tx, struct coins_cache *cache, int32_t spend_height,
                     int64_t *fee, const char **reason)
{
    const char *dummy;
    if (!reason) reason = &dummy;
    /* Core checks that every input exists before looking at any of them. */
    for (size_t i = 0; i < tx->vin_count; i++) {
        if (!coins_cache_have(cache, &tx->vin[i].prevout)) {
            *reason = "bad-txns-inputs-missingorspent";
            return false;
        }
    }
    int64_t value_in = 0;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct coin *c = coins_cache_get(cache, &tx->vin[i].prevout);
        if (!c) {
            *reason = "bad-txns-inputs-missingorspent";
            return false;
        }
        if (c->coinbase && (int64_t)spend_height - (int64_t)c->height < COINBASE_MATURITY) {
            *reason = "bad-txns-premature-spend-of-coinbase";
            return false;
        }
        if (!money_range(c->out.value) || value_in > MAX_MONEY - c->out.value) {
            *reason = "bad-txns-inputvalues-outofrange";
            return false;
        }
        value_in += c->out.value;
    }
    int64_t value_out = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        /* check_transaction bounds each value and the sum; stay safe if it was skipped. */
        int64_t v = tx->vout[i].value;
        if (!money_range(v) || value_out > MAX_MONEY - v) {
            *reason = "bad-txns-txouttotal-toolarge";
            return false;
        }
        value_out += v;
    }
    if (value_in < value_out) {
        *reason = "bad-txns-in-belowout";
        return false;
    }
    int64_t f = value_in - value_out;
    if (!money_range(f)) {
        *reason = "bad-txns-fee-outofrange";
        return false;
    }
    if (fee) *fee = f;
    return true;
}

bool tx_get_spent_outputs(const struct tx *tx, struct coins_cache *cache,
                          struct tx_out *out_array)
{
    /* Fetch everything first: a later lookup may grow the cache, but entries are
     * separately allocated so earlier script pointers stay put (coins.c keeps each
     * coin's script in its own heap buffer). */
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct coin *c = coins_cache_get(cache, &tx->vin[i].prevout);
        if (!c) return false;
        out_array[i] = c->out;
    }
    return true;
}

/* The ancestor of block at height, reached through prev so that a stack entry built
 * by the mempool (no skip pointer) works too. */
static const struct block_index *ancestor_of(const struct block_index *block, int32_t height)
{
    if (height == block->height) return block;
    if (height > block->height || !block->prev) return NULL;
    return block_index_ancestor(block->prev, height);
}

bool tx_calculate_sequence_locks(const struct tx *tx, int flags, int32_t *prev_heights,
                                 const struct block_index *block, int32_t *min_height,
                                 int64_t *min_time)
{
    int32_t mh = -1;
    int64_t mt = -1;
    bool enforce = tx->version >= 2 && (flags & LOCKTIME_VERIFY_SEQUENCE);
    if (enforce) {
        for (size_t i = 0; i < tx->vin_count; i++) {
            uint32_t seq = tx->vin[i].sequence;
            if (seq & SEQUENCE_LOCKTIME_DISABLE_FLAG) {
                prev_heights[i] = 0;
                continue;
            }
            int32_t coin_height = prev_heights[i];
            if (seq & SEQUENCE_LOCKTIME_TYPE_FLAG) {
                int32_t h = coin_height - 1 > 0 ? coin_height - 1 : 0;
                const struct block_index *anc = ancestor_of(block, h);
                if (!anc) {
                    *min_height = mh;
                    *min_time = mt;
                    return false;
                }
                int64_t coin_time = block_index_median_time_past(anc);
                int64_t t =
                    coin_time +
                    ((int64_t)(seq & SEQUENCE_LOCKTIME_MASK) << SEQUENCE_LOCKTIME_GRANULARITY) -
                    1;
                if (t > mt) mt = t;
            } else {
                int32_t hh = coin_height + (int32_t)(seq & SEQUENCE_LOCKTIME_MASK) - 1;
                if (hh > mh) mh = hh;
            }
        }
    }
    *min_height = mh;
    *min_time = mt;
    return true;
}

bool tx_evaluate_sequence_locks(const struct block_index *block, int32_t min_height,
                                int64_t min_time)
{
    if (!block->prev) return min_height < block->height && min_time < 0;
    int64_t block_time = block_index_median_time_past(block->prev);
    return !(min_height >= block->height || min_time >= block_time);
}
