/* Fee estimation (see fees.h): three horizons of decaying confirmation statistics over
 * one set of fee-rate buckets, the table of mempool transactions being tracked, Core's
 * estimate walk, fee_estimates.dat, and the estimatesmartfee/estimaterawfee methods. */
#define _GNU_SOURCE
#include "chain/fees.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/mempool.h"
#include "chain/script_format.h"
#include "chain/validation.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "util/fs.h"

/* 1000 * 1.05^k up to 1e7 (189 bounds) and the infinite one. */
#define FEES_NBUCKETS_MAX 200
/* Largest fee_estimates.dat accepted (the real one is about 250 KB). */
#define FEES_FILE_MAX (8u << 20)

static const char FILE_MAGIC[8] = {'I', 'O', 'P', 'F', 'E', 'E', 'S', 'T'};

/* Per horizon: Core's block periods, scale and decay. */
static const struct {
    unsigned periods, scale;
    double decay;
} HORIZONS[3] = {
    {12, 1, 0.962},
    {24, 2, 0.9952},
    {42, 24, 0.99931},
};

/* One horizon's statistics (Core's TxConfirmStats). Arrays are bucket-minor:
 * conf[period * nb + bucket]. */
struct conf_stats {
    double decay;
    unsigned scale, periods, max_confirms; /* max_confirms = scale * periods */
    size_t nb;
    double *conf;        /* confirmed within period+1 periods, decayed */
    double *fail;        /* left the mempool unconfirmed after period+1 periods, decayed */
    double *tx_ct;       /* confirmed at all, decayed */
    double *feerate_sum; /* sum of their fee rates, decayed */
    int *unconf;         /* waiting, by entry height modulo max_confirms */
    int *old_unconf;     /* waiting longer than max_confirms blocks */
};

/* A mempool transaction being tracked (Core's TxStatsInfo, plus its fee rate, which
 * Core reads back from the mempool entry when the block comes). */
struct tracked {
    uint256 txid;
    uint32_t height;
    uint32_t bucket;
    double feerate;
    struct tracked *next;
};

struct fee_estimator {
    double bounds[FEES_NBUCKETS_MAX];
    size_t nb;
    struct conf_stats st[3];
    uint32_t best_seen;
    uint32_t first_recorded; /* first height a confirmation was counted, 0 = none */
    uint32_t historical_first, historical_best; /* from the file */
    uint64_t k0, k1;
    struct tracked **table;
    size_t table_size, tracked_count;
};

/* ---- statistics of one horizon ---- */

static bool stats_init(struct conf_stats *s, size_t nb, unsigned periods, unsigned scale,
                       double decay)
{
    memset(s, 0, sizeof *s);
    s->decay = decay;
    s->scale = scale;
    s->periods = periods;
    s->max_confirms = scale * periods;
    s->nb = nb;
    s->conf = calloc(periods * nb, sizeof *s->conf);
    s->fail = calloc(periods * nb, sizeof *s->fail);
    s->tx_ct = calloc(nb, sizeof *s->tx_ct);
    s->feerate_sum = calloc(nb, sizeof *s->feerate_sum);
    s->unconf = calloc((size_t)s->max_confirms * nb, sizeof *s->unconf);
    s->old_unconf = calloc(nb, sizeof *s->old_unconf);
    return s->conf && s->fail && s->tx_ct && s->feerate_sum && s->unconf && s->old_unconf;
}

static void stats_free(struct conf_stats *s)
{
    free(s->conf);
    free(s->fail);
    free(s->tx_ct);
    free(s->feerate_sum);
    free(s->unconf);
    free(s->old_unconf);
    memset(s, 0, sizeof *s);
}

static int *unconf_at(const struct conf_stats *s, uint32_t height, size_t bucket)
{
    return &s->unconf[(size_t)(height % s->max_confirms) * s->nb + bucket];
}

/* A transaction entered at height in bucket. */
static void stats_new_tx(struct conf_stats *s, uint32_t height, size_t bucket)
{
    (*unconf_at(s, height, bucket))++;
}

/* A transaction of fee rate val (in bucket) confirmed after blocks blocks (1-based). */
static void stats_record(struct conf_stats *s, int blocks, size_t bucket, double val)
{
    if (blocks < 1) return;
    unsigned first = ((unsigned)blocks + s->scale - 1) / s->scale;
    for (unsigned p = first; p <= s->periods; p++) s->conf[(p - 1) * s->nb + bucket] += 1;
    s->tx_ct[bucket] += 1;
    s->feerate_sum[bucket] += val;
}

static void stats_decay(struct conf_stats *s)
{
    for (size_t i = 0; i < (size_t)s->periods * s->nb; i++) {
        s->conf[i] *= s->decay;
        s->fail[i] *= s->decay;
    }
    for (size_t b = 0; b < s->nb; b++) {
        s->tx_ct[b] *= s->decay;
        s->feerate_sum[b] *= s->decay;
    }
}

/* A new block at height: the slot it reuses holds transactions now too old for the
 * circular buffer; they join the old ones. */
static void stats_clear_current(struct conf_stats *s, uint32_t height)
{
    for (size_t b = 0; b < s->nb; b++) {
        int *slot = unconf_at(s, height, b);
        s->old_unconf[b] += *slot;
        *slot = 0;
    }
}

/* A tracked transaction stops waiting; unless it was confirmed, every full period it
 * waited counts as a failure. best is the estimator's best height (already the new
 * block's when called for a block). */
static void stats_remove(struct conf_stats *s, uint32_t entry_height, uint32_t best,
                         size_t bucket, bool in_block)
{
    int64_t ago = best == 0 ? 0 : (int64_t)best - (int64_t)entry_height;
    if (ago < 0) return;
    int *cell = ago >= (int64_t)s->max_confirms ? &s->old_unconf[bucket]
                                                : unconf_at(s, entry_height, bucket);
    if (*cell > 0) (*cell)--;
    if (!in_block && ago >= (int64_t)s->scale) {
        int64_t periods_ago = ago / s->scale;
        for (int64_t p = 0; p < periods_ago && p < (int64_t)s->periods; p++)
            s->fail[p * (int64_t)s->nb + (int64_t)bucket] += 1;
    }
}

static const struct fees_bucket_range EMPTY_RANGE = {-1, -1, 0, 0, 0, 0};

/* Core's EstimateMedianVal. Going from the highest fee rate down, buckets are gathered
 * into groups holding at least sufficient / (1 - decay) confirmed transactions; a group
 * passes when the share confirmed within target, among those confirmed, failed and
 * still waiting past target, reaches success. The answer is the average fee rate of the
 * bucket with the median transaction of the lowest group in the passing run; -1 when
 * no group passes. */
static double stats_estimate(const struct conf_stats *s, const double *bounds, unsigned target,
                             double sufficient, double success, uint32_t height,
                             struct fees_estimation *out)
{
    const unsigned period = (target + s->scale - 1) / s->scale;
    const double *conf_row = &s->conf[(size_t)(period - 1) * s->nb];
    const double *fail_row = &s->fail[(size_t)(period - 1) * s->nb];
    double conf = 0, total = 0, failed = 0, partial = 0;
    int waiting = 0;
    size_t near = s->nb - 1, far = s->nb - 1, best_near = s->nb - 1, best_far = s->nb - 1;
    bool found = false, passing = true, new_group = true;
    struct fees_bucket_range pass = EMPTY_RANGE, fail = EMPTY_RANGE;
    for (size_t b = s->nb; b-- > 0;) {
        if (new_group) {
            near = b;
            new_group = false;
        }
        far = b;
        conf += conf_row[b];
        partial += s->tx_ct[b];
        total += s->tx_ct[b];
        failed += fail_row[b];
        for (unsigned c = target; c < s->max_confirms; c++)
            waiting += *unconf_at(s, height - c, b); /* unsigned wrap as Core's */
        waiting += s->old_unconf[b];
        if (partial < sufficient / (1 - s->decay)) continue;
        partial = 0;
        if (conf / (total + failed + waiting) < success) {
            if (passing) {
                fail = (struct fees_bucket_range){
                    far ? bounds[far - 1] : 0, bounds[near], conf, total, waiting, failed};
                passing = false;
            }
            continue;
        }
        /* This group passes: it becomes the answer so far and counting restarts. */
        fail = EMPTY_RANGE;
        found = true;
        passing = true;
        pass.within_target = conf;
        pass.total_confirmed = total;
        pass.in_mempool = waiting;
        pass.left_mempool = failed;
        conf = total = failed = 0;
        waiting = 0;
        best_near = near;
        best_far = far;
        new_group = true;
    }
    double median = -1, half = 0;
    for (size_t j = best_far; j <= best_near; j++) half += s->tx_ct[j];
    if (found && half != 0) {
        half /= 2;
        for (size_t j = best_far; j <= best_near; j++) {
            if (s->tx_ct[j] < half) {
                half -= s->tx_ct[j];
            } else {
                median = s->feerate_sum[j] / s->tx_ct[j];
                break;
            }
        }
        pass.start = best_far ? bounds[best_far - 1] : 0;
        pass.end = bounds[best_near];
    }
    /* Still passing but the last buckets were too few to judge: report them as failed. */
    if (passing && !new_group)
        fail = (struct fees_bucket_range){
            far ? bounds[far - 1] : 0, bounds[near], conf, total, waiting, failed};
    if (out) {
        out->pass = pass;
        out->fail = fail;
        out->decay = s->decay;
        out->scale = s->scale;
    }
    return median;
}

/* ---- the estimator ---- */

const char *fees_horizon_name(enum fees_horizon h)
{
    switch (h) {
    case FEES_SHORT: return "short";
    case FEES_MEDIUM: return "medium";
    case FEES_LONG: return "long";
    }
    return "?";
}

unsigned fees_highest_target(enum fees_horizon h)
{
    return HORIZONS[h].periods * HORIZONS[h].scale;
}

static size_t make_bounds(double *bounds)
{
    size_t n = 0;
    for (double b = FEES_MIN_BUCKET_FEERATE; b <= FEES_MAX_BUCKET_FEERATE; b *= FEES_SPACING)
        bounds[n++] = b;
    bounds[n++] = FEES_INF_FEERATE;
    return n;
}

struct fee_estimator *fees_new(uint64_t k0, uint64_t k1)
{
    struct fee_estimator *est = calloc(1, sizeof *est);
    if (!est) return NULL;
    est->k0 = k0;
    est->k1 = k1;
    est->nb = make_bounds(est->bounds);
    bool ok = true;
    for (int h = 0; h < 3; h++)
        ok = stats_init(&est->st[h], est->nb, HORIZONS[h].periods, HORIZONS[h].scale,
                        HORIZONS[h].decay) &&
             ok;
    est->table_size = 64;
    est->table = calloc(est->table_size, sizeof *est->table);
    if (!ok || !est->table) {
        fees_free(est);
        return NULL;
    }
    return est;
}

void fees_free(struct fee_estimator *est)
{
    if (!est) return;
    for (int h = 0; h < 3; h++) stats_free(&est->st[h]);
    for (size_t i = 0; est->table && i < est->table_size; i++) {
        struct tracked *t = est->table[i];
        while (t) {
            struct tracked *next = t->next;
            free(t);
            t = next;
        }
    }
    free(est->table);
    free(est);
}

/* Core's bucketMap.lower_bound: the first bucket whose bound is at least val. */
static size_t bucket_of(const struct fee_estimator *est, double val)
{
    size_t lo = 0, hi = est->nb - 1; /* the last bound is infinite */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (est->bounds[mid] < val)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* CFeeRate(fee, vsize).GetFeePerK(). */
static double fee_per_k(int64_t fee, int64_t vsize)
{
    return vsize > 0 ? (double)(fee * 1000 / vsize) : 0;
}

static struct tracked **find_slot(const struct fee_estimator *est, const uint256 *txid)
{
    size_t i = (size_t)(siphash24(est->k0, est->k1, txid->b, 32) % est->table_size);
    struct tracked **pp = &est->table[i];
    while (*pp && memcmp((*pp)->txid.b, txid->b, 32) != 0) pp = &(*pp)->next;
    return pp;
}

static void grow_table(struct fee_estimator *est)
{
    size_t ns = est->table_size * 2;
    struct tracked **nt = calloc(ns, sizeof *nt);
    if (!nt) return; /* keep the longer chains */
    for (size_t i = 0; i < est->table_size; i++) {
        struct tracked *t = est->table[i];
        while (t) {
            struct tracked *next = t->next;
            size_t j = (size_t)(siphash24(est->k0, est->k1, t->txid.b, 32) % ns);
            t->next = nt[j];
            nt[j] = t;
            t = next;
        }
    }
    free(est->table);
    est->table = nt;
    est->table_size = ns;
}

void fees_tx_added(struct fee_estimator *est, const uint256 *txid, int64_t fee, int64_t vsize,
                   int32_t height, bool valid)
{
    if (*find_slot(est, txid)) return;
    if (height < 0 || (uint32_t)height != est->best_seen || !valid) return;
    struct tracked *t = malloc(sizeof *t);
    if (!t) return;
    t->feerate = fee_per_k(fee, vsize);
    size_t bucket = bucket_of(est, t->feerate);
    t->txid = *txid;
    t->height = (uint32_t)height;
    t->bucket = (uint32_t)bucket;
    struct tracked **slot = find_slot(est, txid);
    t->next = NULL;
    *slot = t;
    est->tracked_count++;
    for (int h = 0; h < 3; h++) stats_new_tx(&est->st[h], t->height, bucket);
    if (est->tracked_count > est->table_size) grow_table(est);
}

/* Stops tracking txid; false when it was not tracked. *height and *feerate (may be
 * NULL) receive what was known. */
static bool untrack(struct fee_estimator *est, const uint256 *txid, bool in_block,
                    uint32_t *height, double *feerate)
{
    struct tracked **slot = find_slot(est, txid);
    struct tracked *t = *slot;
    if (!t) return false;
    for (int h = 0; h < 3; h++)
        stats_remove(&est->st[h], t->height, est->best_seen, t->bucket, in_block);
    if (height) *height = t->height;
    if (feerate) *feerate = t->feerate;
    *slot = t->next;
    free(t);
    est->tracked_count--;
    return true;
}

void fees_tx_removed(struct fee_estimator *est, const uint256 *txid)
{
    untrack(est, txid, false, NULL, NULL);
}

void fees_block_connected(struct fee_estimator *est, int32_t height, const struct block *block)
{
    if (height <= 0 || (uint32_t)height <= est->best_seen) return;
    est->best_seen = (uint32_t)height;
    for (int h = 0; h < 3; h++) {
        stats_clear_current(&est->st[h], est->best_seen);
        stats_decay(&est->st[h]);
    }
    size_t counted = 0;
    /* Nothing tracked (initial download, imports): spare hashing every transaction. */
    for (size_t i = 1; est->tracked_count > 0 && i < block->tx_count; i++) {
        uint256 txid;
        tx_txid(&block->txs[i], &txid);
        uint32_t entry;
        double feerate;
        if (!untrack(est, &txid, true, &entry, &feerate)) continue;
        int64_t blocks = (int64_t)height - (int64_t)entry; /* 1: in the next block */
        if (blocks <= 0) continue;
        size_t bucket = bucket_of(est, feerate);
        for (int h = 0; h < 3; h++) stats_record(&est->st[h], (int)blocks, bucket, feerate);
        counted++;
    }
    if (est->first_recorded == 0 && counted > 0) est->first_recorded = est->best_seen;
}

void fees_flush_unconfirmed(struct fee_estimator *est)
{
    for (size_t i = 0; i < est->table_size; i++)
        while (est->table[i]) untrack(est, &est->table[i]->txid, false, NULL, NULL);
}

uint32_t fees_best_height(const struct fee_estimator *est) { return est->best_seen; }
size_t fees_tracked(const struct fee_estimator *est) { return est->tracked_count; }

/* ---- estimates ---- */

static double horizon_estimate(const struct fee_estimator *est, enum fees_horizon h,
                               unsigned target, double success, struct fees_estimation *out)
{
    double sufficient = h == FEES_SHORT ? FEES_SUFFICIENT_TXS_SHORT : FEES_SUFFICIENT_FEETXS;
    return stats_estimate(&est->st[h], est->bounds, target, sufficient, success, est->best_seen,
                          out);
}

/* Blocks over which this run (or the saved file) counted confirmations. */
static unsigned block_span(const struct fee_estimator *est)
{
    return est->first_recorded == 0 ? 0 : est->best_seen - est->first_recorded;
}

static unsigned historical_span(const struct fee_estimator *est)
{
    if (est->historical_first == 0 || est->historical_best < est->historical_first) return 0;
    return est->historical_best - est->historical_first;
}

/* Core's MaxUsableEstimate: targets above half the blocks observed are not trusted. */
static unsigned max_usable(const struct fee_estimator *est)
{
    unsigned span = block_span(est), hist = historical_span(est);
    unsigned half = (span > hist ? span : hist) / 2;
    unsigned top = fees_highest_target(FEES_LONG);
    return half < top ? half : top;
}

/* Core's estimateCombinedFee: the horizon that fits target; with check_shorter, a lower
 * answer from a shorter horizon's longest target wins (keeps estimates monotonic). */
static double combined(const struct fee_estimator *est, unsigned target, double success,
                       bool check_shorter)
{
    if (target < 1 || target > fees_highest_target(FEES_LONG)) return -1;
    double e;
    if (target <= fees_highest_target(FEES_SHORT))
        e = horizon_estimate(est, FEES_SHORT, target, success, NULL);
    else if (target <= fees_highest_target(FEES_MEDIUM))
        e = horizon_estimate(est, FEES_MEDIUM, target, success, NULL);
    else
        e = horizon_estimate(est, FEES_LONG, target, success, NULL);
    if (check_shorter) {
        if (target > fees_highest_target(FEES_MEDIUM)) {
            double m = horizon_estimate(est, FEES_MEDIUM, fees_highest_target(FEES_MEDIUM),
                                        success, NULL);
            if (m > 0 && (e == -1 || m < e)) e = m;
        }
        if (target > fees_highest_target(FEES_SHORT)) {
            double m = horizon_estimate(est, FEES_SHORT, fees_highest_target(FEES_SHORT),
                                        success, NULL);
            if (m > 0 && (e == -1 || m < e)) e = m;
        }
    }
    return e;
}

/* Core's estimateConservative: 95% within double_target over the longer horizons. */
static double conservative_estimate(const struct fee_estimator *est, unsigned double_target)
{
    double e = -1;
    if (double_target <= fees_highest_target(FEES_SHORT))
        e = horizon_estimate(est, FEES_MEDIUM, double_target, FEES_DOUBLE_SUCCESS_PCT, NULL);
    if (double_target <= fees_highest_target(FEES_MEDIUM)) {
        double l =
            horizon_estimate(est, FEES_LONG, double_target, FEES_DOUBLE_SUCCESS_PCT, NULL);
        if (l > e) e = l;
    }
    return e;
}

int64_t fees_estimate_smart(const struct fee_estimator *est, int conf_target, bool conservative,
                            int *returned_target)
{
    if (returned_target) *returned_target = conf_target;
    if (conf_target <= 0 || (unsigned)conf_target > fees_highest_target(FEES_LONG)) return 0;
    unsigned target = conf_target == 1 ? 2 : (unsigned)conf_target;
    unsigned usable = max_usable(est);
    if (target > usable) target = usable;
    if (returned_target) *returned_target = (int)target;
    if (target <= 1) return 0;
    double median = combined(est, target / 2, FEES_HALF_SUCCESS_PCT, true);
    double full = combined(est, target, FEES_SUCCESS_PCT, true);
    if (full > median) median = full;
    /* Conservative estimates skip the shorter horizons here: they take the maximum
     * over all of them below anyway. */
    double twice = combined(est, 2 * target, FEES_DOUBLE_SUCCESS_PCT, !conservative);
    if (twice > median) median = twice;
    if (conservative || median == -1) {
        double c = conservative_estimate(est, 2 * target);
        if (c > median) median = c;
    }
    if (median < 0) return 0;
    return llround(median);
}

int64_t fees_estimate_raw(const struct fee_estimator *est, int conf_target, double threshold,
                          enum fees_horizon h, struct fees_estimation *out)
{
    if (conf_target <= 0 || (unsigned)conf_target > fees_highest_target(h) || threshold > 1)
        return 0;
    double median = horizon_estimate(est, h, (unsigned)conf_target, threshold, out);
    return median < 0 ? 0 : llround(median);
}

bool fees_chain_is_current(struct node_context *node, int64_t now)
{
    if (!node->chainstate || node_is_initial_block_download(node)) return false;
    const struct block_index *tip = chainstate_tip(node->chainstate);
    if (!tip || (int64_t)tip->time < now - FEES_MAX_TIP_AGE) return false;
    const struct block_index *best = chainstate_best_header(node->chainstate);
    return !(best && tip->height < best->height - 1);
}

/* ---- fee_estimates.dat ---- */

static void write_f64(struct writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    write_u64(w, bits);
}

static bool read_f64(struct reader *r, double *v)
{
    uint64_t bits;
    if (!read_u64(r, &bits)) return false;
    memcpy(v, &bits, sizeof bits);
    return true;
}

static void write_f64s(struct writer *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) write_f64(w, v[i]);
}

uint8_t *fees_serialize(const struct fee_estimator *est, int64_t now, size_t *len)
{
    struct writer w;
    writer_init(&w);
    write_bytes(&w, FILE_MAGIC, sizeof FILE_MAGIC);
    write_u32(&w, FEES_FILE_VERSION);
    write_i64(&w, now);
    write_u32(&w, est->best_seen);
    /* Core keeps whichever observed range is the longer: this run's or the file's. */
    if (block_span(est) > historical_span(est) / 2) {
        write_u32(&w, est->first_recorded);
        write_u32(&w, est->best_seen);
    } else {
        write_u32(&w, est->historical_first);
        write_u32(&w, est->historical_best);
    }
    write_u32(&w, (uint32_t)est->nb);
    write_f64s(&w, est->bounds, est->nb);
    for (int h = 0; h < 3; h++) {
        const struct conf_stats *s = &est->st[h];
        write_f64(&w, s->decay);
        write_u32(&w, s->scale);
        write_u32(&w, s->periods);
        write_f64s(&w, s->tx_ct, s->nb);
        write_f64s(&w, s->feerate_sum, s->nb);
        write_f64s(&w, s->conf, (size_t)s->periods * s->nb);
        write_f64s(&w, s->fail, (size_t)s->periods * s->nb);
    }
    if (w.failed) {
        writer_free(&w);
        return NULL;
    }
    uint8_t sum[32];
    sha256(w.data, w.len, sum);
    write_bytes(&w, sum, sizeof sum);
    if (w.failed) {
        writer_free(&w);
        return NULL;
    }
    return writer_release(&w, len);
}

static bool set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool set_err(char **err, const char *fmt, ...)
{
    if (!err) return false;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0) *err = NULL;
    va_end(ap);
    return false;
}

/* n decayed counts: finite and not negative. */
static bool read_counts(struct reader *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!read_f64(r, &out[i]) || !isfinite(out[i]) || out[i] < 0) return false;
    return true;
}

bool fees_parse(struct fee_estimator *est, const uint8_t *data, size_t len, int64_t now,
                char **err)
{
    if (err) *err = NULL;
    if (len < sizeof FILE_MAGIC + 32 || memcmp(data, FILE_MAGIC, sizeof FILE_MAGIC) != 0)
        return set_err(err, "not a fee estimates file");
    uint8_t sum[32];
    sha256(data, len - 32, sum);
    if (memcmp(sum, data + len - 32, 32) != 0) return set_err(err, "checksum mismatch");
    struct reader r;
    reader_init(&r, data + sizeof FILE_MAGIC, len - sizeof FILE_MAGIC - 32);
    uint32_t version, best, first, hbest, nb;
    int64_t written;
    if (!read_u32(&r, &version)) return set_err(err, "truncated header");
    if (version != FEES_FILE_VERSION) return set_err(err, "unsupported version %u", version);
    if (!read_i64(&r, &written) || !read_u32(&r, &best) || !read_u32(&r, &first) ||
        !read_u32(&r, &hbest) || !read_u32(&r, &nb))
        return set_err(err, "truncated header");
    if (first > hbest || hbest > best)
        return set_err(err, "historical block range for estimates is invalid");
    if (written < now - FEES_MAX_FILE_AGE)
        return set_err(err, "written %lld seconds ago, more than 60 hours: not used",
                       (long long)(now - written));
    if (nb != est->nb) return set_err(err, "%u fee rate buckets, expected %zu", nb, est->nb);
    for (size_t i = 0; i < nb; i++) {
        double b;
        if (!read_f64(&r, &b)) return set_err(err, "truncated bucket bounds");
        if (b != est->bounds[i]) return set_err(err, "different fee rate buckets");
    }
    struct conf_stats tmp[3];
    memset(tmp, 0, sizeof tmp);
    bool ok = true;
    for (int h = 0; ok && h < 3; h++) {
        const struct conf_stats *cur = &est->st[h];
        double decay;
        uint32_t scale, periods;
        if (!read_f64(&r, &decay) || !read_u32(&r, &scale) || !read_u32(&r, &periods)) {
            ok = set_err(err, "truncated %s statistics",
                         fees_horizon_name((enum fees_horizon)h));
            break;
        }
        if (decay != cur->decay || scale != cur->scale || periods != cur->periods) {
            ok = set_err(err, "%s statistics have another layout",
                         fees_horizon_name((enum fees_horizon)h));
            break;
        }
        if (!stats_init(&tmp[h], nb, periods, scale, decay)) {
            ok = set_err(err, "out of memory");
            break;
        }
        size_t cells = (size_t)periods * nb;
        if (!read_counts(&r, tmp[h].tx_ct, nb) || !read_counts(&r, tmp[h].feerate_sum, nb) ||
            !read_counts(&r, tmp[h].conf, cells) || !read_counts(&r, tmp[h].fail, cells))
            ok = set_err(err, "bad or truncated %s statistics",
                         fees_horizon_name((enum fees_horizon)h));
    }
    if (ok && reader_remaining(&r) != 0) ok = set_err(err, "trailing data");
    if (!ok) {
        for (int h = 0; h < 3; h++) stats_free(&tmp[h]);
        return false;
    }
    /* Waiting transactions are not in the file: the buffers start empty, as in Core. */
    for (int h = 0; h < 3; h++) {
        stats_free(&est->st[h]);
        est->st[h] = tmp[h];
    }
    est->best_seen = best;
    est->historical_first = first;
    est->historical_best = hbest;
    return true;
}

bool fees_save(const struct fee_estimator *est, const char *path, int64_t now, char **err)
{
    if (err) *err = NULL;
    size_t len = 0;
    uint8_t *data = fees_serialize(est, now, &len);
    if (!data) return set_err(err, "out of memory");
    char e[256];
    bool ok = fs_write_atomic(path, data, len, 0644, e, sizeof e);
    free(data);
    if (!ok) return set_err(err, "%s", e);
    return true;
}

bool fees_load(struct fee_estimator *est, const char *path, int64_t now, char **err)
{
    if (err) *err = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return true;
        return set_err(err, "cannot open %s: %s", path, strerror(errno));
    }
    uint8_t *buf = malloc(FEES_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, FEES_FILE_MAX + 1, f) : 0;
    bool read_error = ferror(f);
    fclose(f);
    if (!buf) return set_err(err, "out of memory");
    bool ok;
    if (read_error)
        ok = set_err(err, "cannot read %s", path);
    else if (len > FEES_FILE_MAX)
        ok = set_err(err, "%s is too large", path);
    else
        ok = fees_parse(est, buf, len, now, err);
    free(buf);
    return ok;
}

/* ---- RPC ---- */

/* Takes the node lock and checks what the fee methods need; on success the lock is
 * held. Core: -28 while loading, -32603 without an estimator, -33 without a mempool. */
static bool lock_fees(struct fees_rpc_ctx *c, struct rpc_error *err)
{
    pthread_mutex_lock(&c->node->lock);
    if (!c->node->chainstate) {
        pthread_mutex_unlock(&c->node->lock);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    if (!c->est) {
        pthread_mutex_unlock(&c->node->lock);
        return rpc_error_set(err, RPC_INTERNAL_ERROR, "Fee estimation disabled");
    }
    if (!c->node->mempool) {
        pthread_mutex_unlock(&c->node->lock);
        return rpc_error_set(err, RPC_CLIENT_MEMPOOL_DISABLED,
                             "Mempool disabled or instance not found");
    }
    return true;
}

/* Core's ParseConfirmTarget: an int in 1..max. */
static bool parse_conf_target(const json_t *v, unsigned max, int *out, struct rpc_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
        json_integer_value(v) > INT32_MAX)
        return rpc_error_set(err, RPC_MISC_ERROR, "JSON integer out of range");
    json_int_t t = json_integer_value(v);
    if (t < 1 || t > (json_int_t)max)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Invalid conf_target, must be between %u and %u", 1u, max);
    *out = (int)t;
    return true;
}

static bool equals_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

static bool rpc_estimatesmartfee(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct fees_rpc_ctx *c = ctx;
    int target;
    if (!parse_conf_target(json_array_get(params, 0), fees_highest_target(FEES_LONG), &target,
                           err))
        return false;
    const json_t *mode = json_array_get(params, 1);
    bool conservative = false; /* Core 28: "economical" unless asked */
    if (mode && !json_is_null(mode)) {
        const char *m = json_string_value(mode);
        if (equals_nocase(m, "conservative"))
            conservative = true;
        else if (!equals_nocase(m, "unset") && !equals_nocase(m, "economical"))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Invalid estimate_mode parameter, must be one of: \"unset\", "
                                 "\"economical\", \"conservative\"");
    }
    if (!lock_fees(c, err)) return false;
    int returned = 0;
    int64_t rate = fees_estimate_smart(c->est, target, conservative, &returned);
    struct mempool_info info;
    mempool_get_info(c->node->mempool, c->node->now(), &info);
    pthread_mutex_unlock(&c->node->lock);
    json_t *r = json_object();
    if (!r) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    if (rate != 0) {
        /* Never below what this node's mempool would take. */
        if (rate < info.mempool_min_fee) rate = info.mempool_min_fee;
        if (rate < info.min_relay_fee) rate = info.min_relay_fee;
        json_object_set_new(r, "feerate", amount_to_json(rate));
    } else {
        json_t *errors = json_array();
        json_array_append_new(errors, json_string("Insufficient data or no feerate found"));
        json_object_set_new(r, "errors", errors);
    }
    json_object_set_new(r, "blocks", json_integer(returned));
    *result = r;
    return true;
}

/* A number Core prints from a double: an integer when it is one that fits. */
static json_t *number_json(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0) return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *range_json(const struct fees_bucket_range *b)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "startrange", number_json(round(b->start)));
    json_object_set_new(o, "endrange", number_json(round(b->end)));
    json_object_set_new(o, "withintarget",
                        number_json(round(b->within_target * 100.0) / 100.0));
    json_object_set_new(o, "totalconfirmed",
                        number_json(round(b->total_confirmed * 100.0) / 100.0));
    json_object_set_new(o, "inmempool", number_json(round(b->in_mempool * 100.0) / 100.0));
    json_object_set_new(o, "leftmempool", number_json(round(b->left_mempool * 100.0) / 100.0));
    return o;
}

static bool rpc_estimaterawfee(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    struct fees_rpc_ctx *c = ctx;
    int target;
    if (!parse_conf_target(json_array_get(params, 0), fees_highest_target(FEES_LONG), &target,
                           err))
        return false;
    const json_t *tv = json_array_get(params, 1);
    double threshold = 0.95;
    if (tv && !json_is_null(tv)) threshold = json_number_value(tv);
    if (threshold < 0 || threshold > 1)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid threshold");
    if (!lock_fees(c, err)) return false;
    json_t *r = json_object();
    for (int h = 0; r && h < 3; h++) {
        enum fees_horizon hz = (enum fees_horizon)h;
        /* Only the horizons that track the target. */
        if ((unsigned)target > fees_highest_target(hz)) continue;
        struct fees_estimation e;
        memset(&e, 0, sizeof e);
        int64_t rate = fees_estimate_raw(c->est, target, threshold, hz, &e);
        json_t *o = json_object();
        if (!o) break;
        if (rate != 0) {
            json_object_set_new(o, "feerate", amount_to_json(rate));
            json_object_set_new(o, "decay", json_real(e.decay));
            json_object_set_new(o, "scale", json_integer(e.scale));
            json_object_set_new(o, "pass", range_json(&e.pass));
            /* start -1: every bucket passed, there is no failing range. */
            if (e.fail.start != -1) json_object_set_new(o, "fail", range_json(&e.fail));
        } else {
            json_object_set_new(o, "decay", json_real(e.decay));
            json_object_set_new(o, "scale", json_integer(e.scale));
            json_object_set_new(o, "fail", range_json(&e.fail));
            json_t *errors = json_array();
            json_array_append_new(
                errors,
                json_string("Insufficient data or no feerate found which meets threshold"));
            json_object_set_new(o, "errors", errors);
        }
        json_object_set_new(r, fees_horizon_name(hz), o);
    }
    pthread_mutex_unlock(&c->node->lock);
    if (!r) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    *result = r;
    return true;
}

static const struct rpc_method fees_methods[] = {
    {"estimatesmartfee",
     "util",
     rpc_estimatesmartfee,
     {{"conf_target", RPC_ARG_NUM, false}, {"estimate_mode", RPC_ARG_STR, true}},
     "estimatesmartfee conf_target ( \"estimate_mode\" )\n"
     "\n"
     "Estimates the approximate fee per kilobyte needed for a transaction to begin\n"
     "confirmation within conf_target blocks if possible and return the number of blocks\n"
     "for which the estimate is valid. Uses virtual transaction size as defined\n"
     "in BIP 141 (witness data is discounted).\n"
     "\n"
     "Arguments:\n"
     "1. conf_target      (numeric, required) Confirmation target in blocks (1 - 1008)\n"
     "2. estimate_mode    (string, optional, default=\"economical\") The fee estimate mode.\n"
     "                    \"unset\"\n"
     "                    \"economical\"\n"
     "                    \"conservative\"\n"
     "                    unset means economical. Economical estimates react faster to "
     "recent fee changes; conservative ones also require a longer history of success.\n"
     "\n"
     "Result:\n"
     "{                   (json object)\n"
     "  \"feerate\" : n,    (numeric, optional) estimate fee rate in IOP/kvB (only present "
     "if no errors were encountered)\n"
     "  \"errors\" : [      (json array, optional) Errors encountered during processing (if "
     "there are any)\n"
     "    \"str\",          (string) error\n"
     "    ...\n"
     "  ],\n"
     "  \"blocks\" : n      (numeric) block number where estimate was found\n"
     "                    The request target will be clamped between 2 and the highest "
     "target fee estimation is able to return based on how long it has been running.\n"
     "                    An error is returned if not enough transactions and blocks\n"
     "                    have been observed to make an estimate for any number of blocks.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli estimatesmartfee 6"},
    {"estimaterawfee",
     "hidden",
     rpc_estimaterawfee,
     {{"conf_target", RPC_ARG_NUM, false}, {"threshold", RPC_ARG_NUM, true}},
     "estimaterawfee conf_target ( threshold )\n"
     "\n"
     "WARNING: This interface is unstable and may disappear or change!\n"
     "\n"
     "WARNING: This is an advanced API call that is tightly coupled to the specific\n"
     "implementation of fee estimation. The parameters it can be called with\n"
     "and the results it returns will change if the internal implementation changes.\n"
     "\n"
     "Estimates the approximate fee per kilobyte needed for a transaction to begin\n"
     "confirmation within conf_target blocks if possible. Uses virtual transaction size as\n"
     "defined in BIP 141 (witness data is discounted).\n"
     "\n"
     "Arguments:\n"
     "1. conf_target    (numeric, required) Confirmation target in blocks (1 - 1008)\n"
     "2. threshold      (numeric, optional, default=0.95) The proportion of transactions in a "
     "given feerate range that must have been\n"
     "                  confirmed within conf_target in order to consider those feerates as "
     "high enough and proceed to check\n"
     "                  lower buckets.\n"
     "\n"
     "Result:\n"
     "{                       (json object) Results are returned for any horizon which tracks "
     "blocks up to the confirmation target\n"
     "  \"short\" : {           (json object, optional) estimate for short time horizon\n"
     "    \"feerate\" : n,      (numeric, optional) estimate fee rate in IOP/kvB\n"
     "    \"decay\" : n,        (numeric) exponential decay (per block) for historical "
     "moving average of confirmation data\n"
     "    \"scale\" : n,        (numeric) The resolution of confirmation targets at this "
     "time horizon\n"
     "    \"pass\" : {          (json object, optional) information about the lowest range "
     "of feerates to succeed in meeting the threshold\n"
     "      \"startrange\" : n,     (numeric) start of feerate range\n"
     "      \"endrange\" : n,       (numeric) end of feerate range\n"
     "      \"withintarget\" : n,   (numeric) number of txs over history horizon in the "
     "feerate range that were confirmed within target\n"
     "      \"totalconfirmed\" : n, (numeric) number of txs over history horizon in the "
     "feerate range that were confirmed at any point\n"
     "      \"inmempool\" : n,      (numeric) current number of txs in mempool in the "
     "feerate range unconfirmed for at least target blocks\n"
     "      \"leftmempool\" : n     (numeric) number of txs over history horizon in the "
     "feerate range that left mempool unconfirmed after target\n"
     "    },\n"
     "    \"fail\" : { ... },   (json object, optional) information about the highest "
     "range of feerates to fail to meet the threshold\n"
     "    \"errors\" : [ \"str\", ... ] (json array, optional) Errors encountered during "
     "processing (if there are any)\n"
     "  },\n"
     "  \"medium\" : { ... },   (json object, optional) estimate for medium time horizon\n"
     "  \"long\" : { ... }      (json object, optional) estimate for long time horizon\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli estimaterawfee 6 0.9"},
};

struct rpc_table fees_rpc_table(struct fees_rpc_ctx *ctx)
{
    struct rpc_table t = {fees_methods, sizeof fees_methods / sizeof fees_methods[0], ctx};
    return t;
}
