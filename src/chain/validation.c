/* The chainstate: accepting headers and blocks, connecting and disconnecting them
 * against the UTXO set, choosing the most-work chain, flushing in a crash-safe order,
 * and importing block files. Behaviour and reject strings follow Bitcoin Core 29.0's
 * validation.cpp; see validation.h for the contract and doc/chain.md for the rules.
 *
 * Layout of the work:
 *   accept_header  -> ContextualCheckBlockHeader, add to the block map (VALID_TREE)
 *   accept_block   -> check_block, ContextualCheckBlock, write to blk*.dat, link into
 *                     chain_tx and the tip candidates (VALID_TRANSACTIONS)
 *   connect_block  -> BIP30, inputs, sequence locks, sigops, coinbase amount, scripts,
 *                     undo data (VALID_SCRIPTS), all in a child coins cache that is
 *                     merged only when the block is valid
 *   activate_best_chain -> disconnect to the fork, connect forward, fall back when a
 *                     block fails.
 * Script checks run after every other check of the block, as Core's check queue does,
 * so a block breaking several rules reports the same reason whatever -par is. */
#include "chain/validation.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain/blockstore.h"
#include "chain/checkqueue.h"
#include "chain/dbwrapper.h"
#include "chain/sigcache.h"
#include "chain/txverify.h"
#include "chain/undo.h"
#include "consensus/merkle.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx_check.h"

#define MAX_CALLBACKS 16
/* Blocks held for a missing parent during an import, at most this many bytes. */
#define MAX_HELD_BYTES (256u * 1024 * 1024)
/* Core's BIP34_IMPLIES_BIP30_LIMIT. */
#define BIP34_IMPLIES_BIP30_LIMIT 1983702
/* Write the coins at least this often even when the cache is small (Core: ~1 h). */
#define PERIODIC_FLUSH_SECONDS 3600

struct held_block {
    uint256 prev;
    uint8_t *data;
    size_t len;
};

struct bip30_exception {
    int32_t height;
    uint256 hash;
};

struct chainstate {
    struct chain_params params;
    char *datadir;
    char *blocks_dir;
    struct blockstore *bs;
    struct db *index_db;
    struct coins_db *coins_db;
    struct coins_cache *coins;
    size_t coins_budget;
    struct block_map *map;
    struct active_chain chain;
    struct block_candidates cand;
    /* The most-work header not marked failed; NULL means "find it again" (after a
     * failure mark or reconsider). */
    struct block_index *best_header;
    /* Blocks with data whose parent's data has not arrived yet (Core's
     * m_blocks_unlinked). */
    struct block_index **unlinked;
    size_t unlinked_len, unlinked_cap;
    int32_t next_seq;
    int par;
    struct checkqueue *queue; /* NULL when checking on the calling thread only */
    struct sigcache *sigcache;
    struct script_cache *script_cache;
    struct chainstate_callbacks cbs[MAX_CALLBACKS];
    size_t ncbs;
    struct held_block *held;
    size_t held_len, held_cap, held_bytes;
    time_t last_flush;
    struct bip30_exception *bip30;
    size_t bip30_count;
    uint256 genesis_hash;
    /* Asked between blocks of an import; true stops it (shutdown). */
    bool (*interrupted)(void *ctx);
    void *interrupt_ctx;
};

/* ---- Small helpers ---- */

void validation_state_init(struct validation_state *st)
{
    st->kind = VALIDATION_OK;
    st->reason[0] = 0;
    st->debug[0] = 0;
}

__attribute__((format(printf, 4, 5))) static bool fail(struct validation_state *st,
                                                       enum validation_kind kind,
                                                       const char *reason, const char *fmt, ...)
{
    st->kind = kind;
    snprintf(st->reason, sizeof st->reason, "%s", reason);
    st->debug[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->debug, sizeof st->debug, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool sys_error(struct validation_state *st, const char *what)
{
    return fail(st, VALIDATION_ERROR, "system-error", "%s", what);
}

static void hash_hex(char out[65], const uint256 *h) { uint256_to_hex(out, h); }

static bool make_dir(const char *path) { return mkdir(path, 0700) == 0 || errno == EEXIST; }

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

static void set_err(char *err, size_t errlen, const char *what, const char *detail)
{
    snprintf(err, errlen, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static bool active_at(int32_t height, int32_t activation) { return height >= activation; }

uint32_t chainstate_script_flags(const struct chainstate *cs, const struct block_index *idx)
{
    const struct chain_activation *a = &cs->params.activation;
    uint32_t f = 0;
    if (idx->time >= a->bip16_time) f |= SCRIPT_VERIFY_P2SH;
    if (active_at(idx->height, a->bip66_height)) f |= SCRIPT_VERIFY_DERSIG;
    if (active_at(idx->height, a->bip65_height)) f |= SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY;
    if (active_at(idx->height, a->csv_height)) f |= SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
    if (active_at(idx->height, a->segwit_height))
        f |= SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_NULLDUMMY;
    if (active_at(idx->height, a->taproot_height)) f |= SCRIPT_VERIFY_TAPROOT;
    return f;
}

static bool is_bip30_exception(const struct chainstate *cs, const struct block_index *idx)
{
    for (size_t i = 0; i < cs->bip30_count; i++)
        if (cs->bip30[i].height == idx->height &&
            uint256_cmp(&cs->bip30[i].hash, &idx->hash) == 0)
            return true;
    return false;
}

static void notify_connected(struct chainstate *cs, const struct block *b,
                             const struct block_index *idx)
{
    for (size_t i = 0; i < cs->ncbs; i++)
        if (cs->cbs[i].block_connected) cs->cbs[i].block_connected(cs->cbs[i].ctx, b, idx);
}

static void notify_disconnected(struct chainstate *cs, const struct block *b,
                                const struct block_index *idx)
{
    for (size_t i = 0; i < cs->ncbs; i++)
        if (cs->cbs[i].block_disconnected)
            cs->cbs[i].block_disconnected(cs->cbs[i].ctx, b, idx);
}

static void notify_tip(struct chainstate *cs)
{
    const struct block_index *tip = active_chain_tip(&cs->chain);
    for (size_t i = 0; i < cs->ncbs; i++)
        if (cs->cbs[i].tip_updated) cs->cbs[i].tip_updated(cs->cbs[i].ctx, tip);
}

bool chainstate_subscribe(struct chainstate *cs, const struct chainstate_callbacks *cb)
{
    if (cs->ncbs >= MAX_CALLBACKS) return false;
    cs->cbs[cs->ncbs++] = *cb;
    return true;
}

void chainstate_unsubscribe(struct chainstate *cs, const void *ctx)
{
    size_t j = 0;
    for (size_t i = 0; i < cs->ncbs; i++)
        if (cs->cbs[i].ctx != ctx) cs->cbs[j++] = cs->cbs[i];
    cs->ncbs = j;
}

/* ---- Accessors ---- */

const struct chain_params *chainstate_params(const struct chainstate *cs)
{
    return &cs->params;
}
struct block_index *chainstate_tip(const struct chainstate *cs)
{
    return active_chain_tip(&cs->chain);
}
/* The header scan behind chainstate_best_header: the most-work header not marked
 * failed (the first one seen wins a tie, as in Core). */
static void find_best_header(struct chainstate *cs)
{
    struct block_index *best = active_chain_tip(&cs->chain);
    size_t cur = 0;
    struct block_index *e;
    while ((e = block_map_next(cs->map, &cur)) != NULL) {
        if (e->height < 0 || (e->status & BLOCK_FAILED_MASK)) continue;
        if (!best || arith256_cmp(&e->chain_work, &best->chain_work) > 0) best = e;
    }
    cs->best_header = best;
}

static void note_header(struct chainstate *cs, struct block_index *e)
{
    if (cs->best_header && !(cs->best_header->status & BLOCK_FAILED_MASK) &&
        !(e->status & BLOCK_FAILED_MASK) &&
        arith256_cmp(&e->chain_work, &cs->best_header->chain_work) > 0)
        cs->best_header = e;
}

struct block_index *chainstate_best_header(struct chainstate *cs)
{
    if (!cs->best_header || (cs->best_header->status & BLOCK_FAILED_MASK)) find_best_header(cs);
    return cs->best_header;
}

int32_t chainstate_height(const struct chainstate *cs)
{
    return active_chain_height(&cs->chain);
}
const struct active_chain *chainstate_active(const struct chainstate *cs) { return &cs->chain; }
struct block_map *chainstate_block_map(const struct chainstate *cs) { return cs->map; }
struct block_index *chainstate_lookup(const struct chainstate *cs, const uint256 *hash)
{
    struct block_index *e = block_map_find(cs->map, hash);
    return e && e->height >= 0 ? e : NULL;
}
struct coins_cache *chainstate_coins(const struct chainstate *cs) { return cs->coins; }
int chainstate_par(const struct chainstate *cs) { return cs->par; }
struct sigcache *chainstate_sigcache(const struct chainstate *cs) { return cs->sigcache; }
struct script_cache *chainstate_script_cache(const struct chainstate *cs)
{
    return cs->script_cache;
}

bool chainstate_read_block(struct chainstate *cs, const struct block_index *idx,
                           struct block *out, char *err, size_t errlen)
{
    if (!(idx->status & BLOCK_HAVE_DATA)) {
        snprintf(err, errlen, "block data not available");
        return false;
    }
    struct blockstore_pos pos = {idx->file, idx->data_pos};
    uint8_t *data = NULL;
    size_t len = 0;
    if (!blockstore_read_block(cs->bs, &pos, &data, &len, err, errlen)) return false;
    block_init(out);
    bool ok = block_from_bytes(out, data, len, true);
    free(data);
    if (!ok) {
        snprintf(err, errlen, "block at blk%05u.dat offset %u does not parse", idx->file,
                 idx->data_pos);
        return false;
    }
    uint256 h;
    block_hash(out, &h);
    if (uint256_cmp(&h, &idx->hash) != 0) {
        block_clear(out);
        snprintf(err, errlen, "block at blk%05u.dat offset %u has the wrong hash", idx->file,
                 idx->data_pos);
        return false;
    }
    return true;
}

static bool flush_state(struct chainstate *cs, bool sync, bool erase, char *err, size_t errlen);

bool chainstate_read_block_undo(struct chainstate *cs, const struct block_index *idx,
                                struct block_undo *out, char *err, size_t errlen)
{
    block_undo_init(out);
    if (!(idx->status & BLOCK_HAVE_UNDO) || !idx->prev) {
        snprintf(err, errlen, "Undo data not available");
        return false;
    }
    struct blockstore_pos pos = {idx->file, idx->undo_pos};
    uint8_t *data = NULL;
    size_t len = 0;
    if (!blockstore_read_undo(cs->bs, &pos, &idx->prev->hash, &data, &len, err, errlen))
        return false;
    struct reader r;
    reader_init(&r, data, len);
    bool ok = block_undo_deserialize(&r, out) && reader_remaining(&r) == 0;
    free(data);
    if (!ok) {
        block_undo_clear(out);
        snprintf(err, errlen, "undo data at rev%05u.dat offset %u does not parse", idx->file,
                 idx->undo_pos);
    }
    return ok;
}

struct coins_db *chainstate_coins_db(struct chainstate *cs, char *err, size_t errlen)
{
    char e[200];
    if (!flush_state(cs, false, false, e, sizeof e)) {
        snprintf(err, errlen, "%s", e);
        return NULL;
    }
    return cs->coins_db;
}

void chainstate_set_interrupt(struct chainstate *cs, bool (*interrupted)(void *ctx), void *ctx)
{
    cs->interrupted = interrupted;
    cs->interrupt_ctx = ctx;
}

bool chainstate_interrupted(const struct chainstate *cs)
{
    return cs->interrupted && cs->interrupted(cs->interrupt_ctx);
}

/* ---- Candidates and failure marks ---- */

static bool descends_from(const struct block_index *e, const struct block_index *anc)
{
    return e->height >= anc->height && block_index_ancestor(e, anc->height) == anc;
}

static bool is_candidate_worthy(const struct chainstate *cs, const struct block_index *e)
{
    const struct block_index *tip = active_chain_tip(&cs->chain);
    return e->height >= 0 && e->chain_tx != 0 &&
           block_index_is_valid(e, BLOCK_VALID_TRANSACTIONS) &&
           (!tip || block_index_work_cmp(e, tip) >= 0);
}

/* Every block that could become the tip, as Core rebuilds them after invalidation. */
static bool rebuild_candidates(struct chainstate *cs)
{
    size_t cur = 0;
    struct block_index *e;
    while ((e = block_map_next(cs->map, &cur)) != NULL)
        if (is_candidate_worthy(cs, e) && !block_candidates_add(&cs->cand, e)) return false;
    struct block_index *tip = active_chain_tip(&cs->chain);
    if (tip && !block_candidates_add(&cs->cand, tip)) return false;
    return true;
}

static void mark_failed(struct chainstate *cs, struct block_index *idx)
{
    idx->status |= BLOCK_FAILED_VALID;
    idx->dirty = true;
    block_candidates_remove(&cs->cand, idx);
    size_t cur = 0;
    struct block_index *e;
    while ((e = block_map_next(cs->map, &cur)) != NULL) {
        if (e != idx && e->height > idx->height && descends_from(e, idx)) {
            e->status |= BLOCK_FAILED_CHILD;
            e->dirty = true;
            block_candidates_remove(&cs->cand, e);
        }
    }
}

/* Core's ReceivedBlockTransactions: chain_tx for idx and any waiting descendants. */
static bool received_transactions(struct chainstate *cs, struct block_index *idx)
{
    idx->sequence_id = cs->next_seq++;
    idx->dirty = true;
    if (idx->prev && idx->prev->chain_tx == 0) {
        if (cs->unlinked_len == cs->unlinked_cap) {
            size_t nc = cs->unlinked_cap ? cs->unlinked_cap * 2 : 16;
            void *p = realloc(cs->unlinked, nc * sizeof *cs->unlinked);
            if (!p) return false;
            cs->unlinked = p;
            cs->unlinked_cap = nc;
        }
        cs->unlinked[cs->unlinked_len++] = idx;
        return true;
    }
    /* idx and then every unlinked block that now connects, breadth first. */
    struct block_index **queue = malloc(sizeof *queue);
    size_t qlen = 0, qcap = 1;
    if (!queue) return false;
    queue[qlen++] = idx;
    for (size_t qi = 0; qi < qlen; qi++) {
        struct block_index *p = queue[qi];
        p->chain_tx = (p->prev ? p->prev->chain_tx : 0) + p->tx_count;
        p->dirty = true;
        if (is_candidate_worthy(cs, p) && !block_candidates_add(&cs->cand, p)) {
            free(queue);
            return false;
        }
        for (size_t i = 0; i < cs->unlinked_len;) {
            if (cs->unlinked[i]->prev == p) {
                if (qlen == qcap) {
                    void *q = realloc(queue, qcap * 2 * sizeof *queue);
                    if (!q) {
                        free(queue);
                        return false;
                    }
                    queue = q;
                    qcap *= 2;
                }
                queue[qlen++] = cs->unlinked[i];
                cs->unlinked[i] = cs->unlinked[--cs->unlinked_len];
            } else {
                i++;
            }
        }
    }
    free(queue);
    return true;
}

/* ---- Header acceptance ---- */

static bool contextual_check_header(const struct chainstate *cs, const struct block_header *h,
                                    const struct block_index *prev, int64_t now,
                                    struct validation_state *st)
{
    int32_t height = prev->height + 1;
    uint32_t bits;
    if (!block_index_next_work_required(&bits, &cs->params.pow, prev, h->time))
        return sys_error(st, "difficulty calculation failed");
    if (h->bits != bits)
        return fail(st, VALIDATION_INVALID, "bad-diffbits", "incorrect proof of work");
    if ((int64_t)h->time <= block_index_median_time_past(prev))
        return fail(st, VALIDATION_INVALID, "time-too-old", "block's timestamp is too early");
    if ((int64_t)h->time > now + MAX_FUTURE_BLOCK_TIME)
        return fail(st, VALIDATION_INVALID, "time-too-new",
                    "block timestamp too far in the future");
    const struct chain_activation *a = &cs->params.activation;
    if ((h->version < 2 && active_at(height, a->bip34_height)) ||
        (h->version < 3 && active_at(height, a->bip66_height)) ||
        (h->version < 4 && active_at(height, a->bip65_height))) {
        char reason[32];
        snprintf(reason, sizeof reason, "bad-version(0x%08x)", (uint32_t)h->version);
        return fail(st, VALIDATION_INVALID, reason, "rejected nVersion=0x%08x block",
                    (uint32_t)h->version);
    }
    return true;
}

static bool accept_header(struct chainstate *cs, const struct block_header *h,
                          const uint256 *hash, int64_t now, struct block_index **out,
                          struct validation_state *st)
{
    struct block_index *e = chainstate_lookup(cs, hash);
    if (e) {
        *out = e;
        if (e->status & BLOCK_FAILED_MASK)
            return fail(st, VALIDATION_INVALID, "duplicate-invalid", "block is marked invalid");
        return true;
    }
    struct block_check_result res;
    if (!check_block_header(h, &cs->params.pow.pow_limit, &res))
        return fail(st, VALIDATION_INVALID, res.reason, "%s", res.debug);
    struct block_index *prev = chainstate_lookup(cs, &h->prev_hash);
    if (!prev)
        return fail(st, VALIDATION_MISSING_PREV, "prev-blk-not-found", "prev block not found");
    if (prev->status & BLOCK_FAILED_MASK)
        return fail(st, VALIDATION_INVALID, "bad-prevblk", "previous block invalid");
    if (!contextual_check_header(cs, h, prev, now, st)) return false;
    const char *why = NULL;
    e = block_map_add_header(cs->map, h, hash, &why);
    if (!e) return sys_error(st, why ? why : "out of memory");
    note_header(cs, e);
    *out = e;
    return true;
}

bool chainstate_process_header(struct chainstate *cs, const struct block_header *h, int64_t now,
                               struct block_index **out, struct validation_state *st)
{
    validation_state_init(st);
    uint256 hash;
    block_header_hash(h, &hash);
    struct block_index *e = NULL;
    if (!accept_header(cs, h, &hash, now, &e, st)) return false;
    if (out) *out = e;
    return true;
}

/* ---- Block acceptance ---- */

/* The start of a scriptSig that commits to height (CScript() << height). */
static size_t bip34_prefix(uint8_t out[9], int32_t height)
{
    if (height == 0) {
        out[0] = OP_0;
        return 1;
    }
    if (height >= 1 && height <= 16) {
        out[0] = (uint8_t)(OP_1 + height - 1);
        return 1;
    }
    /* CScriptNum: little-endian magnitude, sign bit in the top byte. */
    uint8_t num[5];
    size_t n = 0;
    uint64_t v = (uint64_t)(height < 0 ? -(int64_t)height : height);
    while (v) {
        num[n++] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    if (num[n - 1] & 0x80)
        num[n++] = height < 0 ? 0x80 : 0;
    else if (height < 0)
        num[n - 1] |= 0x80;
    out[0] = (uint8_t)n;
    memcpy(out + 1, num, n);
    return n + 1;
}

static bool contextual_check_block(const struct chainstate *cs, const struct block *b,
                                   const struct block_index *prev, int32_t height,
                                   struct validation_state *st)
{
    const struct chain_activation *a = &cs->params.activation;
    int64_t cutoff = (prev && active_at(height, a->csv_height))
                         ? block_index_median_time_past(prev)
                         : (int64_t)b->header.time;
    for (size_t i = 0; i < b->tx_count; i++) {
        if (!tx_is_final(&b->txs[i], height, cutoff)) {
            uint256 id;
            char hex[65];
            tx_txid(&b->txs[i], &id);
            hash_hex(hex, &id);
            return fail(st, VALIDATION_INVALID, "bad-txns-nonfinal", "non-final transaction %s",
                        hex);
        }
    }
    if (active_at(height, a->bip34_height) && b->tx_count > 0 && b->txs[0].vin_count > 0) {
        uint8_t expect[9];
        size_t n = bip34_prefix(expect, height);
        const struct tx_in *in = &b->txs[0].vin[0];
        if (in->script_sig_len < n || memcmp(in->script_sig, expect, n) != 0)
            return fail(st, VALIDATION_INVALID, "bad-cb-height",
                        "block height mismatch in coinbase");
    }
    return true;
}

static uint32_t check_block_flags(const struct chainstate *cs, int32_t height)
{
    uint32_t f = CHECK_BLOCK_POW | CHECK_BLOCK_MERKLE;
    if (active_at(height, cs->params.activation.segwit_height))
        f |= CHECK_BLOCK_WITNESS_COMMITMENT;
    return f;
}

static bool accept_block(struct chainstate *cs, const struct block *b, const uint256 *hash,
                         int64_t now, struct block_index **out, bool *is_new,
                         struct validation_state *st)
{
    *is_new = false;
    struct block_index *idx = NULL;
    if (!accept_header(cs, &b->header, hash, now, &idx, st)) return false;
    *out = idx;
    if (idx->status & BLOCK_HAVE_DATA) return true;
    struct block_check_result res;
    if (!check_block(b, &cs->params.pow.pow_limit, check_block_flags(cs, idx->height), &res)) {
        switch (res.kind) {
        case BLOCK_CHECK_MUTATED:
            return fail(st, VALIDATION_MUTATED, res.reason, "%s", res.debug);
        case BLOCK_CHECK_ERROR: return sys_error(st, "out of memory checking block");
        default:
            mark_failed(cs, idx);
            return fail(st, VALIDATION_INVALID, res.reason, "%s", res.debug);
        }
    }
    if (!contextual_check_block(cs, b, idx->prev, idx->height, st)) {
        mark_failed(cs, idx);
        return false;
    }
    struct writer w;
    writer_init(&w);
    block_serialize(&w, b, true);
    if (w.failed) {
        writer_free(&w);
        return sys_error(st, "out of memory serializing block");
    }
    size_t len = 0;
    uint8_t *data = writer_release(&w, &len);
    struct blockstore_pos pos;
    char err[160];
    bool ok = blockstore_write_block(cs->bs, data, len, idx->height, idx->time, &pos, err,
                                     sizeof err);
    free(data);
    if (!ok) return sys_error(st, err);
    idx->file = pos.file;
    idx->data_pos = pos.offset;
    idx->status |= BLOCK_HAVE_DATA;
    if (active_at(idx->height, cs->params.activation.segwit_height))
        idx->status |= BLOCK_OPT_WITNESS;
    idx->tx_count = (uint32_t)b->tx_count;
    block_index_raise_validity(idx, BLOCK_VALID_TRANSACTIONS);
    idx->dirty = true;
    if (!received_transactions(cs, idx)) return sys_error(st, "out of memory");
    *is_new = true;
    return true;
}

/* ---- Connecting and disconnecting ---- */

/* One transaction's script work: the outputs it spends (borrowed from the undo data). */
struct script_job {
    const struct tx *tx;
    const uint256 *txid;
    struct tx_out *spent;
};

/* Verifies every input of jobs[0..n) (Core's CheckInputScripts for a block, through the
 * check queue when -par allows). Transactions the script cache has seen pass under the
 * same flags are skipped (and their entry erased, as Core does, unless just_check: a
 * block that is only tested keeps the caches as they are, and its signatures are
 * cached like the mempool's). On failure *bad_job and *bad_input name the lowest
 * failing input and *serr its error; false with *bad_job == n on out of memory. */
static bool run_script_checks(struct chainstate *cs, struct script_job *jobs, size_t n,
                              uint32_t flags, bool just_check, size_t *bad_job,
                              size_t *bad_input, enum script_error *serr)
{
    size_t ninputs = 0;
    for (size_t j = 0; j < n; j++) ninputs += jobs[j].tx->vin_count;
    struct sighash_precomputed *pre = calloc(n ? n : 1, sizeof *pre);
    struct script_check_job *checks = calloc(ninputs ? ninputs : 1, sizeof *checks);
    size_t *owner = calloc(ninputs ? ninputs : 1, sizeof *owner);
    bool ok = false;
    *bad_job = n;
    *bad_input = 0;
    *serr = SCRIPT_ERR_UNKNOWN_ERROR;
    if (!pre || !checks || !owner) goto out;
    const struct sig_cache_hook *hook =
        just_check ? sigcache_mempool_hook(cs->sigcache) : sigcache_block_hook(cs->sigcache);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        const struct tx *tx = jobs[j].tx;
        if (cs->script_cache) {
            uint256 wtxid;
            tx_wtxid(tx, &wtxid);
            if (script_cache_contains(cs->script_cache, &wtxid, flags, !just_check)) continue;
        }
        sighash_precompute(&pre[j], tx, jobs[j].spent);
        for (size_t i = 0; i < tx->vin_count; i++) {
            checks[k] =
                (struct script_check_job){tx, i, &jobs[j].spent[i], flags, &pre[j], hook};
            owner[k] = j;
            k++;
        }
    }
    size_t failed = CHECKQUEUE_NO_INDEX;
    enum script_error e = SCRIPT_ERR_OK;
    if (cs->queue) {
        checkqueue_begin(cs->queue);
        bool added = checkqueue_add(cs->queue, checks, k);
        ok = checkqueue_wait(cs->queue, &failed, &e) && added;
    } else {
        ok = true;
        for (size_t c = 0; c < k && ok; c++) {
            if (!script_check_job_run(&checks[c], &e)) {
                ok = false;
                failed = c;
            }
        }
    }
    if (!ok && failed != CHECKQUEUE_NO_INDEX && failed < k) {
        *bad_job = owner[failed];
        *bad_input = checks[failed].in_index;
        *serr = e;
    }
out:
    free(pre);
    free(checks);
    free(owner);
    return ok;
}

/* Core's ConnectBlock against a child of cs->coins; on success the child is merged and
 * undo data written. INVALID results leave cs->coins untouched. With just_check (Core's
 * fJustCheck) nothing is written or merged and idx is not touched: idx may then be a
 * dummy entry outside the map. */
static bool connect_block(struct chainstate *cs, const struct block *b, struct block_index *idx,
                          bool just_check, struct validation_state *st)
{
    if (idx->height == 0 || !idx->prev) {
        /* The genesis coinbase is not added to the set (Core). */
        coins_cache_set_best_block(cs->coins, &idx->hash);
        block_index_raise_validity(idx, BLOCK_VALID_SCRIPTS);
        return true;
    }
    const struct chain_activation *a = &cs->params.activation;
    int32_t height = idx->height;
    size_t ntx = b->tx_count;
    bool ok = false;
    char hex[65];
    uint256 *txids = calloc(ntx, sizeof *txids);
    struct script_job *jobs = calloc(ntx, sizeof *jobs);
    struct block_undo undo;
    block_undo_init(&undo);
    struct coins_cache *view = coins_cache_new_child(cs->coins);
    size_t njobs = 0;
    if (!txids || !jobs || !view || ntx == 0) {
        sys_error(st, "out of memory connecting block");
        goto out;
    }
    undo.txundo = calloc(ntx > 1 ? ntx - 1 : 1, sizeof *undo.txundo);
    if (!undo.txundo) {
        sys_error(st, "out of memory connecting block");
        goto out;
    }
    for (size_t i = 0; i < ntx; i++) tx_txid(&b->txs[i], &txids[i]);

    /* BIP30: no transaction may overwrite an unspent output. BIP34 makes coinbases
     * unique, so Core skips the lookups once it is active, until the height where old
     * coinbases could collide with new ones. */
    bool enforce_bip30 = !is_bip30_exception(cs, idx) && !(height > a->bip34_height);
    if (enforce_bip30 || height >= BIP34_IMPLIES_BIP30_LIMIT) {
        for (size_t i = 0; i < ntx; i++) {
            for (uint32_t o = 0; o < b->txs[i].vout_count; o++) {
                struct outpoint op = {txids[i], o};
                if (coins_cache_have(view, &op)) {
                    fail(st, VALIDATION_INVALID, "bad-txns-BIP30",
                         "tried to overwrite transaction");
                    goto out;
                }
            }
        }
        if (coins_cache_error(view) || coins_cache_error(cs->coins)) {
            sys_error(st, "coins database read error");
            goto out;
        }
    }

    uint32_t flags = chainstate_script_flags(cs, idx);
    int lock_flags = active_at(height, a->csv_height) ? LOCKTIME_VERIFY_SEQUENCE : 0;
    int64_t fees = 0;
    uint64_t sigops = 0;
    for (size_t i = 0; i < ntx; i++) {
        const struct tx *tx = &b->txs[i];
        bool coinbase = i == 0;
        struct tx_out *spent = NULL;
        if (!coinbase) {
            int64_t fee = 0;
            const char *reason = NULL;
            if (!check_tx_inputs(tx, view, height, &fee, &reason)) {
                if (coins_cache_error(view) || coins_cache_error(cs->coins)) {
                    sys_error(st, "coins database read error");
                    goto out;
                }
                hash_hex(hex, &txids[i]);
                fail(st, VALIDATION_INVALID, reason, "in transaction %s", hex);
                goto out;
            }
            fees += fee;
            if (!money_range(fees)) {
                fail(st, VALIDATION_INVALID, "bad-txns-accumulated-fee-outofrange",
                     "accumulated fee in the block out of range");
                goto out;
            }
            struct tx_undo *tu = &undo.txundo[undo.count++];
            tu->prevout = calloc(tx->vin_count, sizeof *tu->prevout);
            spent = calloc(tx->vin_count, sizeof *spent);
            int32_t *prev_heights = calloc(tx->vin_count, sizeof *prev_heights);
            if (!tu->prevout || !spent || !prev_heights) {
                free(prev_heights);
                free(spent);
                sys_error(st, "out of memory connecting block");
                goto out;
            }
            jobs[njobs].spent = spent;
            jobs[njobs].tx = tx;
            jobs[njobs].txid = &txids[i];
            njobs++;
            for (size_t j = 0; j < tx->vin_count; j++) {
                coin_init(&tu->prevout[j]);
                tu->count = j + 1;
                if (!coins_cache_spend(view, &tx->vin[j].prevout, &tu->prevout[j])) {
                    free(prev_heights);
                    sys_error(st, "coin vanished while connecting");
                    goto out;
                }
                prev_heights[j] = (int32_t)tu->prevout[j].height;
                spent[j] = tu->prevout[j].out;
            }
            int32_t min_h;
            int64_t min_t;
            bool seq_ok = tx_calculate_sequence_locks(tx, lock_flags, prev_heights, idx, &min_h,
                                                      &min_t) &&
                          tx_evaluate_sequence_locks(idx, min_h, min_t);
            free(prev_heights);
            if (!seq_ok) {
                hash_hex(hex, &txids[i]);
                fail(st, VALIDATION_INVALID, "bad-txns-nonfinal",
                     "contains a non-BIP68-final transaction %s", hex);
                goto out;
            }
        }
        sigops += tx_sigop_cost(tx, spent, flags);
        if (sigops > MAX_BLOCK_SIGOPS_COST) {
            fail(st, VALIDATION_INVALID, "bad-blk-sigops", "too many sigops");
            goto out;
        }
        char *err = NULL;
        if (!coins_cache_add_tx(view, tx, &txids[i], (uint32_t)height, false, &err)) {
            sys_error(st, err ? err : "adding outputs failed");
            free(err);
            goto out;
        }
    }

    int64_t cb_out = 0;
    for (size_t o = 0; o < b->txs[0].vout_count; o++)
        cb_out += b->txs[0].vout[o].value; /* bounded by check_transaction */
    int64_t limit = fees + chainparams_block_subsidy(&cs->params, height);
    if (cb_out > limit) {
        fail(st, VALIDATION_INVALID, "bad-cb-amount",
             "coinbase pays too much (actual=%lld vs limit=%lld)", (long long)cb_out,
             (long long)limit);
        goto out;
    }

    size_t bad_job = 0, bad_input = 0;
    enum script_error serr = SCRIPT_ERR_OK;
    if (!run_script_checks(cs, jobs, njobs, flags, just_check, &bad_job, &bad_input, &serr)) {
        if (bad_job >= njobs) {
            sys_error(st, "out of memory checking scripts");
            goto out;
        }
        char reason[160];
        snprintf(reason, sizeof reason, "mandatory-script-verify-flag-failed (%s)",
                 script_error_string(serr));
        hash_hex(hex, jobs[bad_job].txid);
        fail(st, VALIDATION_INVALID, reason, "input %zu of transaction %s", bad_input, hex);
        goto out;
    }
    if (just_check) {
        ok = true;
        goto out;
    }

    /* Undo data, checksummed with the parent's hash as Core does. */
    {
        struct writer w;
        writer_init(&w);
        block_undo_serialize(&w, &undo);
        if (w.failed) {
            writer_free(&w);
            sys_error(st, "out of memory writing undo data");
            goto out;
        }
        size_t len = 0;
        uint8_t *data = writer_release(&w, &len);
        struct blockstore_pos pos;
        char err[160];
        bool wok = blockstore_write_undo(cs->bs, idx->file, &idx->prev->hash, data, len, &pos,
                                         err, sizeof err);
        free(data);
        if (!wok) {
            sys_error(st, err);
            goto out;
        }
        idx->undo_pos = pos.offset;
        idx->status |= BLOCK_HAVE_UNDO;
    }
    block_index_raise_validity(idx, BLOCK_VALID_SCRIPTS);
    idx->dirty = true;
    coins_cache_set_best_block(view, &idx->hash);
    {
        char *err = NULL;
        if (!coins_cache_flush_to_parent(view, &err)) {
            sys_error(st, err ? err : "merging coins failed");
            free(err);
            goto out;
        }
    }
    ok = true;
out:
    coins_cache_free(view);
    block_undo_clear(&undo);
    if (jobs)
        for (size_t j = 0; j < njobs; j++) free(jobs[j].spent);
    free(jobs);
    free(txids);
    return ok;
}

static bool disconnect_block(struct chainstate *cs, const struct block *b,
                             const struct block_index *idx, struct validation_state *st)
{
    if (!(idx->status & BLOCK_HAVE_UNDO) || !idx->prev)
        return sys_error(st, "no undo data for block");
    struct blockstore_pos pos = {idx->file, idx->undo_pos};
    uint8_t *data = NULL;
    size_t len = 0;
    char err[160];
    if (!blockstore_read_undo(cs->bs, &pos, &idx->prev->hash, &data, &len, err, sizeof err))
        return sys_error(st, err);
    struct reader r;
    reader_init(&r, data, len);
    struct block_undo undo;
    block_undo_init(&undo);
    bool parsed = block_undo_deserialize(&r, &undo) && reader_remaining(&r) == 0;
    free(data);
    if (!parsed) {
        block_undo_clear(&undo);
        return sys_error(st, "undo data does not parse");
    }
    struct coins_cache *view = coins_cache_new_child(cs->coins);
    if (!view) {
        block_undo_clear(&undo);
        return sys_error(st, "out of memory");
    }
    enum disconnect_result dr =
        undo_disconnect_block(view, b, (uint32_t)idx->height, NULL, &undo);
    block_undo_clear(&undo);
    if (dr != DISCONNECT_OK) {
        /* Core's DisconnectTip refuses an unclean disconnect too. */
        coins_cache_free(view);
        return sys_error(st, dr == DISCONNECT_UNCLEAN ? "unclean disconnect of block"
                                                      : "disconnecting block failed");
    }
    char *merr = NULL;
    bool ok = coins_cache_flush_to_parent(view, &merr);
    coins_cache_free(view);
    if (!ok) {
        sys_error(st, merr ? merr : "merging coins failed");
        free(merr);
        return false;
    }
    return true;
}

/* ---- Flushing ---- */

static bool flush_state(struct chainstate *cs, bool sync, bool erase, char *err, size_t errlen)
{
    if (!blockstore_flush(cs->bs, sync, err, errlen)) return false;
    char *e = NULL;
    if (!blockindex_flush(cs->index_db, cs->map, cs->bs, sync, &e)) {
        snprintf(err, errlen, "writing the block index: %s", e ? e : "?");
        free(e);
        return false;
    }
    bool ok = erase ? coins_cache_flush(cs->coins, cs->coins_db, NULL, sync, &e)
                    : coins_cache_sync_keep(cs->coins, cs->coins_db, NULL, sync, &e);
    if (!ok) {
        snprintf(err, errlen, "writing the chainstate: %s", e ? e : "?");
        free(e);
        return false;
    }
    cs->last_flush = time(NULL);
    return true;
}

bool chainstate_flush(struct chainstate *cs, bool sync, char *err, size_t errlen)
{
    return flush_state(cs, sync, false, err, errlen);
}

/* Core's FlushStateToDisk(IF_NEEDED / PERIODIC). */
static bool flush_if_needed(struct chainstate *cs, struct validation_state *st)
{
    char err[200];
    bool full = coins_cache_usage(cs->coins) > cs->coins_budget;
    bool periodic = time(NULL) - cs->last_flush >= PERIODIC_FLUSH_SECONDS;
    if (!full && !periodic) return true;
    if (!flush_state(cs, true, full, err, sizeof err)) return sys_error(st, err);
    return true;
}

/* ---- Moving the tip ---- */

static bool connect_tip(struct chainstate *cs, struct block_index *idx,
                        struct validation_state *st)
{
    struct block b;
    char err[160];
    if (!chainstate_read_block(cs, idx, &b, err, sizeof err)) return sys_error(st, err);
    if (!connect_block(cs, &b, idx, false, st)) {
        if (st->kind == VALIDATION_INVALID) mark_failed(cs, idx);
        block_clear(&b);
        return false;
    }
    if (!active_chain_set_tip(&cs->chain, idx)) {
        block_clear(&b);
        return sys_error(st, "out of memory");
    }
    notify_connected(cs, &b, idx);
    block_clear(&b);
    return true;
}

static bool disconnect_tip(struct chainstate *cs, struct validation_state *st)
{
    struct block_index *tip = active_chain_tip(&cs->chain);
    struct block b;
    char err[160];
    if (!tip || !tip->prev) return sys_error(st, "cannot disconnect the genesis block");
    if (!chainstate_read_block(cs, tip, &b, err, sizeof err)) return sys_error(st, err);
    if (!disconnect_block(cs, &b, tip, st)) {
        block_clear(&b);
        return false;
    }
    if (!active_chain_set_tip(&cs->chain, tip->prev)) {
        block_clear(&b);
        return sys_error(st, "out of memory");
    }
    notify_disconnected(cs, &b, tip);
    block_clear(&b);
    return true;
}

/* Core's FindMostWorkChain: the best candidate whose blocks back to the active chain
 * all have data and none failed. Candidates that cannot be reached are dropped. */
static struct block_index *find_most_work_chain(struct chainstate *cs)
{
    for (;;) {
        struct block_index *best = block_candidates_best(&cs->cand);
        if (!best) return NULL;
        bool usable = true;
        for (struct block_index *p = best; p && !active_chain_contains(&cs->chain, p);
             p = p->prev) {
            if ((p->status & BLOCK_FAILED_MASK) || !(p->status & BLOCK_HAVE_DATA)) {
                usable = false;
                if (p->status & BLOCK_FAILED_MASK) {
                    for (struct block_index *q = best; q != p; q = q->prev) {
                        q->status |= BLOCK_FAILED_CHILD;
                        q->dirty = true;
                    }
                }
                break;
            }
        }
        if (usable) return best;
        block_candidates_remove(&cs->cand, best);
    }
}

bool chainstate_activate_best_chain(struct chainstate *cs, struct validation_state *st)
{
    validation_state_init(st);
    struct block_index *start_tip = active_chain_tip(&cs->chain);
    struct validation_state tmp;
    bool reported = false;
    for (;;) {
        struct block_index *best = find_most_work_chain(cs);
        struct block_index *tip = active_chain_tip(&cs->chain);
        if (!best || best == tip) break;
        if (tip && block_index_work_cmp(best, tip) <= 0) break;
        struct block_index *fork = active_chain_find_fork(&cs->chain, best);
        while (active_chain_tip(&cs->chain) != fork) {
            validation_state_init(&tmp);
            if (!disconnect_tip(cs, &tmp)) {
                *st = tmp;
                return false;
            }
        }
        /* The path fork -> best, connected in order. */
        int32_t from = fork ? fork->height + 1 : 0;
        size_t n = (size_t)(best->height - from + 1);
        struct block_index **path = malloc(n * sizeof *path);
        if (!path) return sys_error(st, "out of memory");
        struct block_index *p = best;
        for (size_t i = n; i-- > 0; p = p->prev) path[i] = p;
        bool invalid = false;
        for (size_t i = 0; i < n; i++) {
            validation_state_init(&tmp);
            if (!connect_tip(cs, path[i], &tmp)) {
                if (tmp.kind != VALIDATION_INVALID) {
                    free(path);
                    *st = tmp;
                    return false;
                }
                if (!reported) {
                    *st = tmp;
                    reported = true;
                }
                invalid = true;
                break;
            }
            if (!flush_if_needed(cs, &tmp)) {
                free(path);
                *st = tmp;
                return false;
            }
        }
        free(path);
        if (invalid) {
            if (!rebuild_candidates(cs)) return sys_error(st, "out of memory");
            continue;
        }
        block_candidates_prune(&cs->cand, active_chain_tip(&cs->chain));
    }
    if (active_chain_tip(&cs->chain) != start_tip) notify_tip(cs);
    validation_state_init(&tmp);
    if (!flush_if_needed(cs, &tmp)) {
        *st = tmp;
        return false;
    }
    return true;
}

bool chainstate_process_block(struct chainstate *cs, const struct block *b, int64_t now,
                              bool *is_new, struct validation_state *st)
{
    validation_state_init(st);
    uint256 hash;
    block_hash(b, &hash);
    struct block_index *idx = NULL;
    bool fresh = false;
    if (is_new) *is_new = false;
    if (!accept_block(cs, b, &hash, now, &idx, &fresh, st)) return false;
    if (is_new) *is_new = fresh;
    return chainstate_activate_best_chain(cs, st);
}

bool chainstate_test_block_validity(struct chainstate *cs, const struct block *b, int64_t now,
                                    bool check_pow, bool check_merkle,
                                    struct validation_state *st)
{
    validation_state_init(st);
    struct block_index *tip = active_chain_tip(&cs->chain);
    if (!tip || uint256_cmp(&b->header.prev_hash, &tip->hash) != 0)
        return fail(st, VALIDATION_MISSING_PREV, "inconclusive-not-best-prevblk",
                    "block is not built on the active tip");
    /* Core's indexDummy: an entry for the block that the map never sees. */
    struct block_index dummy;
    memset(&dummy, 0, sizeof dummy);
    block_hash(b, &dummy.hash);
    dummy.prev = tip;
    dummy.height = tip->height + 1;
    dummy.version = b->header.version;
    dummy.merkle_root = b->header.merkle_root;
    dummy.time = b->header.time;
    dummy.bits = b->header.bits;
    dummy.nonce = b->header.nonce;
    dummy.time_max = tip->time_max > b->header.time ? tip->time_max : b->header.time;
    block_index_build_skip(&dummy);
    if (!contextual_check_header(cs, &b->header, tip, now, st)) return false;
    uint32_t flags =
        check_block_flags(cs, dummy.height) & ~(CHECK_BLOCK_POW | CHECK_BLOCK_MERKLE);
    if (check_pow) flags |= CHECK_BLOCK_POW;
    if (check_merkle) flags |= CHECK_BLOCK_MERKLE;
    struct block_check_result res;
    if (!check_block(b, &cs->params.pow.pow_limit, flags, &res)) {
        switch (res.kind) {
        case BLOCK_CHECK_MUTATED:
            return fail(st, VALIDATION_MUTATED, res.reason, "%s", res.debug);
        case BLOCK_CHECK_ERROR: return sys_error(st, "out of memory checking block");
        default: return fail(st, VALIDATION_INVALID, res.reason, "%s", res.debug);
        }
    }
    if (!contextual_check_block(cs, b, tip, dummy.height, st)) return false;
    return connect_block(cs, b, &dummy, true, st);
}

bool chainstate_invalidate_block(struct chainstate *cs, const uint256 *hash,
                                 struct validation_state *st)
{
    validation_state_init(st);
    struct block_index *idx = chainstate_lookup(cs, hash);
    if (!idx) return fail(st, VALIDATION_ERROR, "block not found", NULL);
    if (!idx->prev)
        return fail(st, VALIDATION_ERROR, "cannot invalidate the genesis block", NULL);
    struct block_index *start_tip = active_chain_tip(&cs->chain);
    while (active_chain_contains(&cs->chain, idx)) {
        struct block_index *tip = active_chain_tip(&cs->chain);
        if (!disconnect_tip(cs, st)) return false;
        if (tip != idx) {
            tip->status |= BLOCK_FAILED_CHILD;
            tip->dirty = true;
        }
    }
    mark_failed(cs, idx);
    block_candidates_remove(&cs->cand, idx);
    /* Blocks that lost out to the invalidated chain may be candidates again. */
    for (size_t i = 0; i < cs->cand.len;) {
        if (cs->cand.v[i]->status & BLOCK_FAILED_MASK)
            block_candidates_remove(&cs->cand, cs->cand.v[i]);
        else
            i++;
    }
    if (!rebuild_candidates(cs)) return sys_error(st, "out of memory");
    if (active_chain_tip(&cs->chain) != start_tip) notify_tip(cs);
    return chainstate_activate_best_chain(cs, st);
}

bool chainstate_reconsider_block(struct chainstate *cs, const uint256 *hash,
                                 struct validation_state *st)
{
    validation_state_init(st);
    struct block_index *idx = chainstate_lookup(cs, hash);
    if (!idx) return fail(st, VALIDATION_ERROR, "block not found", NULL);
    size_t cur = 0;
    struct block_index *e;
    while ((e = block_map_next(cs->map, &cur)) != NULL) {
        if (e->height >= 0 && descends_from(e, idx) && (e->status & BLOCK_FAILED_MASK)) {
            e->status &= ~(uint32_t)BLOCK_FAILED_MASK;
            e->dirty = true;
        }
    }
    for (struct block_index *p = idx->prev; p; p = p->prev) {
        if (p->status & BLOCK_FAILED_MASK) {
            p->status &= ~(uint32_t)BLOCK_FAILED_MASK;
            p->dirty = true;
        }
    }
    if (!rebuild_candidates(cs)) return sys_error(st, "out of memory");
    cs->best_header = NULL;
    return chainstate_activate_best_chain(cs, st);
}

/* ---- Import ---- */

static bool hold_block(struct chainstate *cs, const uint256 *prev, uint8_t *data, size_t len)
{
    if (cs->held_bytes + len > MAX_HELD_BYTES) return false;
    if (cs->held_len == cs->held_cap) {
        size_t nc = cs->held_cap ? cs->held_cap * 2 : 16;
        void *p = realloc(cs->held, nc * sizeof *cs->held);
        if (!p) return false;
        cs->held = p;
        cs->held_cap = nc;
    }
    cs->held[cs->held_len].prev = *prev;
    cs->held[cs->held_len].data = data;
    cs->held[cs->held_len].len = len;
    cs->held_len++;
    cs->held_bytes += len;
    return true;
}

/* Processes one parsed block from a file; false only on a system error. */
static bool import_one(struct chainstate *cs, const struct block *b, uint64_t *count,
                       struct validation_state *st)
{
    struct validation_state vs;
    bool is_new = false;
    if (!chainstate_process_block(cs, b, (int64_t)time(NULL), &is_new, &vs) &&
        vs.kind == VALIDATION_ERROR) {
        *st = vs;
        return false;
    }
    (*count)++;
    return true;
}

/* Processes held blocks whose parent is now known, repeatedly. */
static bool import_held(struct chainstate *cs, uint64_t *count, struct validation_state *st)
{
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t i = 0; i < cs->held_len;) {
            if (!chainstate_lookup(cs, &cs->held[i].prev)) {
                i++;
                continue;
            }
            struct held_block hb = cs->held[i];
            cs->held[i] = cs->held[--cs->held_len];
            cs->held_bytes -= hb.len;
            struct block b;
            block_init(&b);
            bool parsed = block_from_bytes(&b, hb.data, hb.len, true);
            free(hb.data);
            if (parsed) {
                bool ok = import_one(cs, &b, count, st);
                block_clear(&b);
                if (!ok) return false;
            }
            progress = true;
        }
    }
    return true;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool chainstate_load_external_file(struct chainstate *cs, const char *path,
                                   chainstate_progress_fn progress, void *ctx, char *err,
                                   size_t errlen)
{
    struct blockfile_reader *r = blockfile_reader_open(path, cs->params.magic, err, errlen);
    if (!r) return false;
    double t0 = now_seconds(), last_report = t0;
    uint64_t count = 0;
    bool ok = true;
    struct validation_state st;
    validation_state_init(&st);
    for (;;) {
        if (chainstate_interrupted(cs)) break;
        uint8_t *data = NULL;
        size_t len = 0;
        uint64_t off = 0;
        int rc = blockfile_reader_next(r, &data, &len, &off, err, errlen);
        if (rc == 0) break;
        if (rc < 0) {
            ok = false;
            break;
        }
        struct block b;
        block_init(&b);
        if (!block_from_bytes(&b, data, len, true)) {
            free(data);
            blockfile_reader_resync(r);
            continue;
        }
        uint256 hash;
        block_hash(&b, &hash);
        struct block_index *known = chainstate_lookup(cs, &hash);
        if (known && (known->status & BLOCK_HAVE_DATA)) {
            free(data);
        } else if (!chainstate_lookup(cs, &b.header.prev_hash)) {
            /* Parent not seen yet: keep the block until it is (Core's
             * mapBlocksUnknownParent). Dropped when over the memory bound. */
            if (!hold_block(cs, &b.header.prev_hash, data, len)) free(data);
        } else {
            free(data);
            if (!import_one(cs, &b, &count, &st)) {
                block_clear(&b);
                snprintf(err, errlen, "%s: %s", st.reason, st.debug);
                ok = false;
                break;
            }
        }
        block_clear(&b);
        if (!import_held(cs, &count, &st)) {
            snprintf(err, errlen, "%s: %s", st.reason, st.debug);
            ok = false;
            break;
        }
        double now = now_seconds();
        if (progress && now - last_report >= 1.0) {
            last_report = now;
            progress(ctx, chainstate_height(cs), count,
                     count / (now - t0 > 0 ? now - t0 : 1e-9));
        }
    }
    blockfile_reader_free(r);
    if (progress) {
        double el = now_seconds() - t0;
        progress(ctx, chainstate_height(cs), count, el > 0 ? count / el : 0);
    }
    return ok;
}

/* ---- Reindex ----
 *
 * -reindex moves the block files into blocks/reindex/ (named "<time>-blkNNNNN.dat" so
 * that later generations sort after earlier ones), deletes the undo files, wipes the
 * index and the chainstate, and then imports the parked files one by one as if they
 * were -loadblock files, deleting each once its blocks are stored and flushed. A
 * reindex that is interrupted leaves the rest of the parked files in place; the next
 * start sees them (chainstate_reindex_pending) and carries on, skipping blocks it
 * already has. */

#define REINDEX_SUBDIR "reindex"

static bool park_block_files(const char *blocks_dir, char *err, size_t errlen)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/" REINDEX_SUBDIR, blocks_dir);
    DIR *d = make_dir(blocks_dir) && make_dir(dir) ? opendir(blocks_dir) : NULL;
    if (!d) {
        snprintf(err, errlen, "reindex: cannot prepare %s: %s", dir, strerror(errno));
        return false;
    }
    long stamp = (long)time(NULL);
    struct dirent *de;
    bool ok = true;
    while (ok && (de = readdir(d)) != NULL) {
        unsigned num;
        char tail[8];
        char from[4096], to[4096];
        if (sscanf(de->d_name, "blk%5u.da%1s", &num, tail) == 2 && strlen(de->d_name) == 12) {
            snprintf(from, sizeof from, "%s/%s", blocks_dir, de->d_name);
            int w = snprintf(to, sizeof to, "%s/%010ld-%s", dir, stamp, de->d_name);
            ok = w > 0 && (size_t)w < sizeof to && rename(from, to) == 0;
        } else if (sscanf(de->d_name, "rev%5u.da%1s", &num, tail) == 2 &&
                   strlen(de->d_name) == 12) {
            snprintf(from, sizeof from, "%s/%s", blocks_dir, de->d_name);
            ok = unlink(from) == 0;
        }
    }
    closedir(d);
    if (!ok) snprintf(err, errlen, "reindex: cannot move block files: %s", strerror(errno));
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The parked files in import order; *n entries, each malloc'd. */
static char **list_parked(const struct chainstate *cs, size_t *n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/" REINDEX_SUBDIR, cs->blocks_dir);
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !strstr(de->d_name, "-blk")) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) break;
            v = nv;
        }
        v[*n] = path_join(dir, de->d_name);
        if (v[*n]) (*n)++;
    }
    closedir(d);
    if (*n) qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

bool chainstate_reindex_pending(const struct chainstate *cs)
{
    size_t n = 0;
    char **v = list_parked(cs, &n);
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
    return n > 0;
}

bool chainstate_reindex(struct chainstate *cs, chainstate_progress_fn progress, void *ctx,
                        char *err, size_t errlen)
{
    size_t n = 0;
    char **v = list_parked(cs, &n);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        if (ok)
            ok = chainstate_load_external_file(cs, v[i], progress, ctx, err, errlen) &&
                 flush_state(cs, true, false, err, errlen);
        /* Interrupted: the file stays parked and the reindex resumes at the next start. */
        if (ok && chainstate_interrupted(cs)) {
            free(v[i]);
            for (size_t j = i + 1; j < n; j++) free(v[j]);
            free(v);
            return true;
        }
        if (ok && unlink(v[i]) != 0) {
            snprintf(err, errlen, "reindex: cannot remove %s: %s", v[i], strerror(errno));
            ok = false;
        }
        free(v[i]);
    }
    free(v);
    if (ok) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/" REINDEX_SUBDIR, cs->blocks_dir);
        rmdir(dir);
    }
    return ok;
}

/* ---- Open and close ---- */

static bool add_genesis(struct chainstate *cs, char *err, size_t errlen)
{
    struct block g;
    block_init(&g);
    if (!chainparams_genesis_block(&cs->params, &g)) {
        set_err(err, errlen, "out of memory building the genesis block", NULL);
        return false;
    }
    const char *why = NULL;
    struct block_index *idx = block_map_add_header(cs->map, &g.header, &cs->genesis_hash, &why);
    struct validation_state st;
    validation_state_init(&st);
    bool ok = idx != NULL;
    if (ok) {
        struct writer w;
        writer_init(&w);
        block_serialize(&w, &g, true);
        size_t len = 0;
        uint8_t *data = w.failed ? NULL : writer_release(&w, &len);
        writer_free(&w);
        struct blockstore_pos pos;
        ok = data && blockstore_write_block(cs->bs, data, len, 0, idx->time, &pos, err, errlen);
        free(data);
        if (ok) {
            idx->file = pos.file;
            idx->data_pos = pos.offset;
            idx->status |= BLOCK_HAVE_DATA;
            if (active_at(0, cs->params.activation.segwit_height))
                idx->status |= BLOCK_OPT_WITNESS;
            idx->tx_count = (uint32_t)g.tx_count;
            block_index_raise_validity(idx, BLOCK_VALID_TRANSACTIONS);
            ok = received_transactions(cs, idx);
        }
    }
    block_clear(&g);
    if (!ok && err[0] == 0) set_err(err, errlen, "adding the genesis block failed", why);
    return ok;
}

/* Releases everything a chainstate owns, without flushing; used by a failed open and by
 * close, so both free the same list. Parts not yet created are NULL or empty. */
static void chainstate_free_parts(struct chainstate *cs)
{
    blockstore_close(cs->bs);
    coins_cache_free(cs->coins);
    coins_db_close(cs->coins_db);
    db_close(cs->index_db);
    block_map_free(cs->map);
    active_chain_free(&cs->chain);
    block_candidates_free(&cs->cand);
    checkqueue_free(cs->queue);
    sigcache_free(cs->sigcache);
    script_cache_free(cs->script_cache);
    for (size_t i = 0; i < cs->held_len; i++) free(cs->held[i].data);
    free(cs->held);
    free(cs->unlinked);
    free(cs->bip30);
    free(cs->datadir);
    free(cs->blocks_dir);
    free(cs);
}

struct chainstate *chainstate_open(const struct chainstate_options *opt, char *err,
                                   size_t errlen)
{
    err[0] = 0;
    struct chainstate *cs = calloc(1, sizeof *cs);
    if (!cs) {
        set_err(err, errlen, "out of memory", NULL);
        return NULL;
    }
    cs->params = *opt->params;
    active_chain_init(&cs->chain);
    block_candidates_init(&cs->cand);
    cs->next_seq = 1;
    cs->last_flush = time(NULL);
    for (size_t i = 0; i < opt->test_activation_count; i++) {
        if (!chainparams_apply_test_activation(&cs->params, opt->test_activation[i], err,
                                               errlen))
            goto fail;
    }
    const char *why = NULL;
    if (!chainparams_check_genesis(&cs->params, &why)) {
        set_err(err, errlen, "genesis block check failed", why);
        goto fail;
    }
    chainparams_genesis_hash(&cs->params, &cs->genesis_hash);
    const struct chain_activation *a = &cs->params.activation;
    if (a->bip30_exception_count) {
        cs->bip30 = calloc(a->bip30_exception_count, sizeof *cs->bip30);
        if (!cs->bip30) goto oom;
        for (size_t i = 0; i < a->bip30_exception_count; i++) {
            cs->bip30[i].height = a->bip30_exceptions[i].height;
            if (!uint256_from_hex(&cs->bip30[i].hash, a->bip30_exceptions[i].hash)) {
                set_err(err, errlen, "bad BIP30 exception hash in the profile", NULL);
                goto fail;
            }
        }
        cs->bip30_count = a->bip30_exception_count;
    }
    /* -par: 0 = one per core; negative leaves that many cores free (Core). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    cs->par = checkqueue_resolve_par(opt->par, (int)(cores < 1024 ? cores : 1024));
    if (cs->par > 1) {
        cs->queue = checkqueue_new(cs->par);
        if (!cs->queue) goto oom;
    }
    {
        uint8_t salt[32];
        if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) {
            set_err(err, errlen, "no randomness for the signature cache salt", NULL);
            goto fail;
        }
        cs->sigcache = sigcache_new(SIGCACHE_DEFAULT_BYTES, salt);
        if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) {
            set_err(err, errlen, "no randomness for the script cache salt", NULL);
            goto fail;
        }
        cs->script_cache = script_cache_new(SCRIPT_CACHE_DEFAULT_BYTES, salt);
        if (!cs->sigcache || !cs->script_cache) goto oom;
    }

    /* -dbcache split as Core's CalculateCacheSizes. */
    size_t total = (opt->dbcache_mib ? opt->dbcache_mib : DEFAULT_DB_CACHE_MIB);
    if (total < MIN_DB_CACHE_MIB) total = MIN_DB_CACHE_MIB;
    total <<= 20;
    size_t index_cache = total / 8 < (2u << 20) ? total / 8 : (2u << 20);
    total -= index_cache;
    size_t coins_db_cache =
        total / 2 < total / 4 + (8u << 20) ? total / 2 : total / 4 + (8u << 20);
    total -= coins_db_cache;
    cs->coins_budget = total;

    cs->datadir = strdup(opt->datadir);
    cs->blocks_dir = path_join(opt->datadir, "blocks");
    char *index_dir = path_join(opt->datadir, "blocks/index");
    char *coins_dir = path_join(opt->datadir, "chainstate");
    if (!cs->datadir || !cs->blocks_dir || !index_dir || !coins_dir) {
        free(index_dir);
        free(coins_dir);
        goto oom;
    }
    if (!make_dir(opt->datadir) || !make_dir(cs->blocks_dir)) {
        set_err(err, errlen, "cannot create the data directory", strerror(errno));
        free(index_dir);
        free(coins_dir);
        goto fail;
    }
    if (opt->reindex && !park_block_files(cs->blocks_dir, err, errlen)) {
        free(index_dir);
        free(coins_dir);
        goto fail;
    }
    char *e = NULL;
    cs->index_db = db_open(index_dir, index_cache, opt->reindex, &e);
    free(index_dir);
    if (!cs->index_db) {
        set_err(err, errlen, "opening blocks/index", e);
        free(e);
        free(coins_dir);
        goto fail;
    }
    cs->coins_db = coins_db_open(coins_dir, coins_db_cache, opt->reindex, &e);
    free(coins_dir);
    if (!cs->coins_db) {
        set_err(err, errlen, "opening chainstate", e);
        free(e);
        goto fail;
    }
    uint64_t k[2] = {0, 0};
    if (getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
        k[0] = (uint64_t)time(NULL);
        k[1] = (uint64_t)getpid();
    }
    cs->map = block_map_new(k[0], k[1]);
    cs->coins = coins_cache_new(cs->coins_db);
    if (!cs->map || !cs->coins) goto oom;
    if (!blockindex_load(cs->index_db, cs->map, &cs->params.pow.pow_limit, &e)) {
        set_err(err, errlen, "loading the block index", e);
        free(e);
        goto fail;
    }
    struct blockfile_info *files = NULL;
    size_t nfiles = 0;
    uint32_t last = 0;
    if (!blockindex_load_files(cs->index_db, &files, &nfiles, &last, &e)) {
        set_err(err, errlen, "loading the block file list", e);
        free(e);
        goto fail;
    }
    cs->bs =
        blockstore_open(cs->blocks_dir, cs->params.magic, files, nfiles, last, err, errlen);
    free(files);
    if (!cs->bs) goto fail;
    if (opt->max_block_file_size)
        blockstore_set_max_file_size(cs->bs, opt->max_block_file_size);

    if (block_map_count(cs->map) == 0) {
        if (!add_genesis(cs, err, errlen)) goto fail;
    } else {
        struct block_index *g = chainstate_lookup(cs, &cs->genesis_hash);
        if (!g || g->prev) {
            set_err(err, errlen,
                    "the block index does not contain this network's genesis block "
                    "(wrong -chain or data directory?)",
                    NULL);
            goto fail;
        }
    }
    /* Blocks that have data but whose parent lost it wait in the unlinked list;
     * give loaded blocks sequence ids in height order of arrival unknown: all 0. */
    {
        size_t cur = 0;
        struct block_index *x;
        while ((x = block_map_next(cs->map, &cur)) != NULL) {
            x->sequence_id = 0;
            if ((x->status & BLOCK_HAVE_DATA) && x->chain_tx == 0 && x->prev) {
                if (cs->unlinked_len == cs->unlinked_cap) {
                    size_t nc = cs->unlinked_cap ? cs->unlinked_cap * 2 : 16;
                    void *p = realloc(cs->unlinked, nc * sizeof *cs->unlinked);
                    if (!p) goto oom;
                    cs->unlinked = p;
                    cs->unlinked_cap = nc;
                }
                cs->unlinked[cs->unlinked_len++] = x;
            }
        }
    }
    /* The tip is where the coins are. */
    uint256 best;
    if (coins_db_best_block(cs->coins_db, &best) && !uint256_is_zero(&best)) {
        struct block_index *t = chainstate_lookup(cs, &best);
        if (!t) {
            set_err(err, errlen,
                    "the chainstate's best block is not in the block index; restart with "
                    "-reindex",
                    NULL);
            goto fail;
        }
        if (!active_chain_set_tip(&cs->chain, t)) goto oom;
    }
    if (!rebuild_candidates(cs)) goto oom;
    struct validation_state st;
    if (!chainstate_activate_best_chain(cs, &st)) {
        set_err(err, errlen, "connecting the best chain", st.debug);
        goto fail;
    }
    if (!active_chain_tip(&cs->chain)) {
        set_err(err, errlen, "the genesis block could not be connected", st.debug);
        goto fail;
    }
    return cs;
oom:
    set_err(err, errlen, "out of memory", NULL);
fail:
    /* Free without flushing: nothing was changed that a flush should keep. */
    chainstate_free_parts(cs);
    return NULL;
}

void chainstate_close(struct chainstate *cs)
{
    if (!cs) return;
    char err[200];
    (void)flush_state(cs, true, true, err, sizeof err);
    chainstate_free_parts(cs);
}
