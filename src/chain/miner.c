/* The block assembler (see miner.h). Follows Bitcoin Core 29's node/miner.cpp
 * (BlockAssembler::CreateNewBlock, addPackageTxs, GenerateCoinbaseCommitment) without
 * the modified-entry bookkeeping: packages are taken in the pool's ancestor-score order
 * and each is re-measured over its ancestors not yet in the block. */
#include "chain/miner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/blockindex.h"
#include "chain/chainparams.h"
#include "chain/policy.h"
#include "chain/txverify.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"
#include "consensus/tx_check.h"

/* Core stops trying packages after this many consecutive failures once the block is
 * within MINER_COINBASE_WEIGHT_RESERVE of full (MAX_CONSECUTIVE_FAILURES). */
#define MAX_CONSECUTIVE_FAILURES 1000

void miner_options_default(struct miner_options *o)
{
    o->max_weight = MINER_DEFAULT_BLOCK_MAX_WEIGHT;
    o->min_fee_rate = 1000;
    o->use_mempool = true;
    o->extra_nonce = 0;
}

void block_template_init(struct block_template *t)
{
    memset(t, 0, sizeof *t);
    block_init(&t->block);
}

void block_template_clear(struct block_template *t)
{
    block_clear(&t->block);
    free(t->fees);
    free(t->sigops);
    block_template_init(t);
}

/* CScript() << n for a non-negative n: OP_0, OP_1..OP_16, or a minimal CScriptNum push. */
static size_t push_num(uint8_t *out, uint64_t v)
{
    if (v == 0) {
        out[0] = OP_0;
        return 1;
    }
    if (v <= 16) {
        out[0] = (uint8_t)(OP_1 + v - 1);
        return 1;
    }
    uint8_t num[9];
    size_t n = 0;
    while (v) {
        num[n++] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
    if (num[n - 1] & 0x80) num[n++] = 0;
    out[0] = (uint8_t)n;
    memcpy(out + 1, num, n);
    return n + 1;
}

size_t miner_coinbase_script_sig(uint8_t out[18], int32_t height, uint64_t extra_nonce)
{
    size_t n = push_num(out, (uint64_t)(height < 0 ? 0 : height));
    return n + push_num(out + n, extra_nonce);
}

/* ---- witness commitment ---- */

static bool set_reserved_witness(struct tx_in *in)
{
    tx_in_clear_witness(in);
    in->witness = calloc(1, sizeof *in->witness);
    if (!in->witness) return false;
    in->witness[0].data = calloc(32, 1);
    if (!in->witness[0].data) {
        free(in->witness);
        in->witness = NULL;
        return false;
    }
    in->witness[0].len = 32;
    in->witness_count = 1;
    return true;
}

static bool commitment_script(uint8_t out[MIN_WITNESS_COMMITMENT_SIZE], const struct block *b)
{
    uint256 root, commitment;
    if (!block_witness_merkle_root(&root, NULL, b)) return false;
    static const uint8_t zero[32];
    witness_commitment_hash(&commitment, &root, zero);
    /* OP_RETURN, a 36-byte push, aa21a9ed (the header holds all three), commitment. */
    memcpy(out, WITNESS_COMMITMENT_HEADER, WITNESS_COMMITMENT_HEADER_SIZE);
    memcpy(out + WITNESS_COMMITMENT_HEADER_SIZE, commitment.b, 32);
    return true;
}

bool miner_regenerate_commitments(struct block *b)
{
    if (b->tx_count == 0) return true;
    long at = block_witness_commitment_index(b);
    if (at >= 0) {
        uint8_t script[MIN_WITNESS_COMMITMENT_SIZE];
        if (!commitment_script(script, b)) return false;
        if (!tx_set_script_pubkey(&b->txs[0].vout[at], script, sizeof script)) return false;
    }
    return block_merkle_root(&b->header.merkle_root, NULL, b);
}

bool miner_update_uncommitted(struct block *b, bool segwit_active)
{
    if (!segwit_active || b->tx_count == 0 || b->txs[0].vin_count == 0) return true;
    if (block_witness_commitment_index(b) < 0) return true;
    if (b->txs[0].vin[0].witness_count > 0) return true;
    return set_reserved_witness(&b->txs[0].vin[0]);
}

/* ---- a set of entry pointers (open addressing) ---- */

struct ptr_set {
    const void **slots;
    size_t cap; /* power of two */
};

static bool ptr_set_init(struct ptr_set *s, size_t n)
{
    s->cap = 16;
    while (s->cap < 2 * n + 2) s->cap <<= 1;
    s->slots = calloc(s->cap, sizeof *s->slots);
    return s->slots != NULL;
}

static size_t ptr_slot(const struct ptr_set *s, const void *p)
{
    uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 20) & (s->cap - 1);
    while (s->slots[i] && s->slots[i] != p) i = (i + 1) & (s->cap - 1);
    return i;
}

static bool ptr_set_has(const struct ptr_set *s, const void *p)
{
    return s->slots[ptr_slot(s, p)] == p;
}

static void ptr_set_add(struct ptr_set *s, const void *p) { s->slots[ptr_slot(s, p)] = p; }

static int cmp_ancestor_count(const void *a, const void *b)
{
    const struct mempool_entry *x = *(const struct mempool_entry *const *)a;
    const struct mempool_entry *y = *(const struct mempool_entry *const *)b;
    if (x->count_with_ancestors != y->count_with_ancestors)
        return x->count_with_ancestors < y->count_with_ancestors ? -1 : 1;
    return uint256_cmp(&x->txid, &y->txid);
}

/* ---- package selection ---- */

struct selection {
    const struct mempool_entry **v;
    size_t len;
    int64_t weight; /* block weight so far (coinbase reserve included) */
    int64_t sigops; /* sigop cost so far (coinbase reserve included) */
    int64_t fees;
};

static bool select_packages(struct mempool *pool, const struct miner_options *o, int32_t height,
                            int64_t lock_cutoff, struct selection *sel)
{
    const struct mempool_entry **sorted = NULL;
    size_t n = 0;
    if (!mempool_sorted_by_ancestor_score(pool, &sorted, &n)) return false;
    if (n == 0) {
        free(sorted);
        return true;
    }
    struct ptr_set in_block;
    sel->v = malloc(n * sizeof *sel->v);
    const struct mempool_entry **pkg = malloc(n * sizeof *pkg);
    if (!sel->v || !pkg || !ptr_set_init(&in_block, n)) {
        free(sorted);
        free(pkg);
        return false;
    }
    int64_t max_weight = o->max_weight > 0 ? o->max_weight : MINER_DEFAULT_BLOCK_MAX_WEIGHT;
    int failures = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const struct mempool_entry *e = sorted[i];
        if (ptr_set_has(&in_block, e)) continue;
        const struct mempool_entry **anc = NULL;
        size_t anc_n = 0;
        if (!mempool_ancestors(pool, e, &anc, &anc_n)) {
            ok = false;
            break;
        }
        size_t pn = 0;
        int64_t fee = 0, size = 0, sigops = 0;
        for (size_t k = 0; k < anc_n; k++) {
            if (ptr_set_has(&in_block, anc[k])) continue;
            pkg[pn++] = anc[k];
        }
        free(anc);
        pkg[pn++] = e;
        for (size_t k = 0; k < pn; k++) {
            fee += pkg[k]->modified_fee;
            size += pkg[k]->vsize;
            sigops += pkg[k]->sigop_cost;
        }
        if (fee < feerate_get_fee(o->min_fee_rate, size)) continue;
        bool fits = sel->weight + WITNESS_SCALE_FACTOR * size < max_weight &&
                    sel->sigops + sigops < MAX_BLOCK_SIGOPS_COST;
        for (size_t k = 0; fits && k < pn; k++)
            if (!tx_is_final(&pkg[k]->tx, height, lock_cutoff)) fits = false;
        if (!fits) {
            if (++failures > MAX_CONSECUTIVE_FAILURES &&
                sel->weight > max_weight - MINER_COINBASE_WEIGHT_RESERVE)
                break;
            continue;
        }
        failures = 0;
        qsort(pkg, pn, sizeof *pkg, cmp_ancestor_count);
        for (size_t k = 0; k < pn; k++) {
            sel->v[sel->len++] = pkg[k];
            ptr_set_add(&in_block, pkg[k]);
            sel->weight += pkg[k]->weight;
            sel->sigops += pkg[k]->sigop_cost;
            sel->fees += pkg[k]->fee;
        }
    }
    free(in_block.slots);
    free(pkg);
    free(sorted);
    return ok;
}

/* ---- the coinbase ---- */

static bool build_coinbase(struct tx *cb, int32_t height, uint64_t extra_nonce,
                           const uint8_t *script, size_t script_len, int64_t value,
                           bool commitment)
{
    if (!tx_resize(cb, 1, commitment ? 2 : 1)) return false;
    cb->version = 2; /* CMutableTransaction's default */
    cb->locktime = 0;
    memset(&cb->vin[0].prevout.hash, 0, sizeof cb->vin[0].prevout.hash);
    cb->vin[0].prevout.n = 0xffffffffu;
    cb->vin[0].sequence = SEQUENCE_FINAL;
    uint8_t sig[18];
    size_t sig_len = miner_coinbase_script_sig(sig, height, extra_nonce);
    if (!tx_set_script_sig(&cb->vin[0], sig, sig_len)) return false;
    /* MINER_MINTING_HOOK: the proof-of-service minting issue (SYSTEM.md section 5)
     * splits this payment between the miner and the epoch's minting payees once
     * params->minting.activation_height is reached. Until then the whole subsidy and
     * the fees go to the miner's script, as in Bitcoin. */
    cb->vout[0].value = value;
    if (!tx_set_script_pubkey(&cb->vout[0], script, script_len)) return false;
    if (commitment) {
        uint8_t placeholder[MIN_WITNESS_COMMITMENT_SIZE] = {0};
        memcpy(placeholder, WITNESS_COMMITMENT_HEADER, WITNESS_COMMITMENT_HEADER_SIZE);
        cb->vout[1].value = 0;
        if (!tx_set_script_pubkey(&cb->vout[1], placeholder, sizeof placeholder)) return false;
        if (!set_reserved_witness(&cb->vin[0])) return false;
    }
    return true;
}

bool miner_create_block(struct chainstate *cs, struct mempool *pool, const uint8_t *script,
                        size_t script_len, int64_t now, const struct miner_options *opts,
                        struct block_template *out, char *err, size_t errlen)
{
    struct miner_options defaults;
    if (!opts) {
        miner_options_default(&defaults);
        opts = &defaults;
    }
    const struct chain_params *params = chainstate_params(cs);
    struct block_index *tip = chainstate_tip(cs);
    if (!tip) {
        snprintf(err, errlen, "no chain tip");
        return false;
    }
    int32_t height = tip->height + 1;
    int64_t mtp = block_index_median_time_past(tip);
    bool segwit = height >= params->activation.segwit_height;
    /* Core's m_lock_time_cutoff: MTP(tip). Before BIP113 validation compares with the
     * block's own time, which is above MTP, so MTP is the safe side either way. */
    int64_t lock_cutoff = mtp;

    struct selection sel = {NULL, 0, MINER_COINBASE_WEIGHT_RESERVE,
                            MINER_COINBASE_SIGOPS_RESERVE, 0};
    if (pool && opts->use_mempool && !select_packages(pool, opts, height, lock_cutoff, &sel)) {
        free(sel.v);
        snprintf(err, errlen, "out of memory");
        return false;
    }

    struct block *b = &out->block;
    size_t count = 1 + sel.len;
    b->txs = calloc(count, sizeof *b->txs);
    out->fees = calloc(count, sizeof *out->fees);
    out->sigops = calloc(count, sizeof *out->sigops);
    if (!b->txs || !out->fees || !out->sigops) goto oom;
    for (size_t i = 0; i < count; i++) tx_init(&b->txs[i]);
    b->tx_count = 1;
    for (size_t i = 0; i < sel.len; i++) {
        if (!tx_copy(&b->txs[i + 1], &sel.v[i]->tx)) goto oom;
        b->tx_count++;
        out->fees[i + 1] = sel.v[i]->fee;
        out->sigops[i + 1] = sel.v[i]->sigop_cost;
    }
    int64_t value = chainparams_block_subsidy(params, height) + sel.fees;
    if (!build_coinbase(&b->txs[0], height, opts->extra_nonce, script, script_len, value,
                        segwit))
        goto oom;
    out->fees[0] = -sel.fees;
    out->sigops[0] = WITNESS_SCALE_FACTOR * (int64_t)tx_legacy_sigop_count(&b->txs[0]);
    out->height = height;
    out->total_fees = sel.fees;
    out->has_commitment = segwit;

    b->header.version = MINER_BLOCK_VERSION;
    b->header.prev_hash = tip->hash;
    int64_t t = now > mtp + 1 ? now : mtp + 1;
    b->header.time = (uint32_t)t;
    b->header.nonce = 0;
    if (!block_index_next_work_required(&b->header.bits, &params->pow, tip, t)) {
        snprintf(err, errlen, "cannot compute the next work required");
        free(sel.v);
        block_template_clear(out);
        return false;
    }
    if (!miner_regenerate_commitments(b)) goto oom;
    out->weight = (int64_t)block_weight(b);
    out->sigop_cost = sel.sigops - MINER_COINBASE_SIGOPS_RESERVE + out->sigops[0];
    free(sel.v);
    return true;
oom:
    free(sel.v);
    block_template_clear(out);
    snprintf(err, errlen, "out of memory");
    return false;
}

bool miner_solve(struct block *b, const uint256 *pow_limit, uint64_t *max_tries,
                 bool *exhausted_nonce)
{
    /* Core's loop, quirks included: no block when the tries run out, even if the last
     * nonce tried was good, and none at the last nonce. */
    *exhausted_nonce = false;
    uint8_t hdr[BLOCK_HEADER_SIZE];
    uint256 hash;
    block_header_to_bytes(hdr, &b->header);
    while (*max_tries > 0 && b->header.nonce < UINT32_MAX) {
        le32_write(hdr + 76, b->header.nonce);
        sha256d(hdr, sizeof hdr, hash.b);
        if (check_proof_of_work(&hash, b->header.bits, pow_limit)) break;
        b->header.nonce++;
        (*max_tries)--;
    }
    if (*max_tries == 0) return false;
    if (b->header.nonce == UINT32_MAX) {
        *exhausted_nonce = true;
        return false;
    }
    return true;
}
