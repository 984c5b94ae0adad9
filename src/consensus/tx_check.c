/* See tx_check.h. The block check follows Core's order of rules so that a block
 * breaking several of them is rejected with the same reason Core would give; peers and
 * tests compare those strings. */
#include "consensus/tx_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/script.h"

/* Up to this many inputs the duplicate check compares every pair; beyond it sorts. */
#define DUP_SCAN_MAX 64

static bool money_range(int64_t v) { return v >= 0 && v <= MAX_MONEY; }

static int outpoint_cmp(const void *pa, const void *pb)
{
    const struct outpoint *a = pa, *b = pb;
    int c = memcmp(a->hash.b, b->hash.b, 32);
    if (c) return c;
    return a->n < b->n ? -1 : a->n > b->n;
}

static bool same_outpoint(const struct outpoint *a, const struct outpoint *b)
{
    return a->n == b->n && memcmp(a->hash.b, b->hash.b, 32) == 0;
}

static bool has_duplicate_scan(const struct tx *tx)
{
    for (size_t i = 1; i < tx->vin_count; i++)
        for (size_t j = 0; j < i; j++)
            if (same_outpoint(&tx->vin[i].prevout, &tx->vin[j].prevout)) return true;
    return false;
}

/* CVE-2018-17144: an input spent twice in one transaction. */
static bool has_duplicate_inputs(const struct tx *tx)
{
    size_t n = tx->vin_count;
    if (n < 2) return false;
    if (n <= DUP_SCAN_MAX) return has_duplicate_scan(tx);
    struct outpoint *sorted = malloc(n * sizeof(*sorted));
    if (!sorted) return has_duplicate_scan(tx); /* slow but still correct */
    for (size_t i = 0; i < n; i++) sorted[i] = tx->vin[i].prevout;
    qsort(sorted, n, sizeof(*sorted), outpoint_cmp);
    bool dup = false;
    for (size_t i = 1; i < n && !dup; i++) dup = same_outpoint(&sorted[i - 1], &sorted[i]);
    free(sorted);
    return dup;
}

static bool reject_tx(const char **reason, const char *why)
{
    if (reason) *reason = why;
    return false;
}

bool check_transaction(const struct tx *tx, const char **reason)
{
    if (tx->vin_count == 0) return reject_tx(reason, "bad-txns-vin-empty");
    if (tx->vout_count == 0) return reject_tx(reason, "bad-txns-vout-empty");
    /* Stripped size only: the witness has not been checked against its commitment. */
    if (tx_size(tx, false) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT)
        return reject_tx(reason, "bad-txns-oversize");
    int64_t total = 0;
    for (size_t i = 0; i < tx->vout_count; i++) {
        int64_t v = tx->vout[i].value;
        if (v < 0) return reject_tx(reason, "bad-txns-vout-negative");
        if (v > MAX_MONEY) return reject_tx(reason, "bad-txns-vout-toolarge");
        total += v; /* both terms are at most MAX_MONEY: no overflow */
        if (!money_range(total)) return reject_tx(reason, "bad-txns-txouttotal-toolarge");
    }
    if (has_duplicate_inputs(tx)) return reject_tx(reason, "bad-txns-inputs-duplicate");
    if (tx_is_coinbase(tx)) {
        size_t len = tx->vin[0].script_sig_len;
        if (len < 2 || len > 100) return reject_tx(reason, "bad-cb-length");
    } else {
        for (size_t i = 0; i < tx->vin_count; i++)
            if (outpoint_is_null(&tx->vin[i].prevout))
                return reject_tx(reason, "bad-txns-prevout-null");
    }
    return true;
}

/* ---- Signature operations ---- */

uint64_t tx_legacy_sigop_count(const struct tx *tx)
{
    uint64_t n = 0;
    for (size_t i = 0; i < tx->vin_count; i++)
        n += script_sigop_count(tx->vin[i].script_sig, tx->vin[i].script_sig_len, false);
    for (size_t i = 0; i < tx->vout_count; i++)
        n +=
            script_sigop_count(tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len, false);
    return n;
}

/* Sigops of the redeem script an input reveals: the last push of its scriptSig, or 0
 * when the scriptSig is not push-only (such a spend fails anyway). */
static unsigned redeem_script_sigops(const uint8_t *script_sig, size_t len)
{
    const uint8_t *last = NULL;
    size_t last_len = 0, pc = 0;
    while (pc < len) {
        uint8_t op;
        const uint8_t *data;
        size_t data_len;
        if (!script_get_op(script_sig, len, &pc, &op, &data, &data_len)) return 0;
        if (op > OP_16) return 0;
        last = data;
        last_len = data_len;
    }
    return last ? script_sigop_count(last, last_len, true) : 0;
}

uint64_t tx_p2sh_sigop_count(const struct tx *tx, const struct tx_out *spent_outputs)
{
    if (tx_is_coinbase(tx)) return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_out *prev = &spent_outputs[i];
        if (script_is_p2sh(prev->script_pubkey, prev->script_pubkey_len))
            n += redeem_script_sigops(tx->vin[i].script_sig, tx->vin[i].script_sig_len);
    }
    return n;
}

uint64_t tx_sigop_cost(const struct tx *tx, const struct tx_out *spent_outputs, uint32_t flags)
{
    uint64_t cost = tx_legacy_sigop_count(tx) * WITNESS_SCALE_FACTOR;
    if (tx_is_coinbase(tx)) return cost;
    if (flags & SCRIPT_VERIFY_P2SH)
        cost += tx_p2sh_sigop_count(tx, spent_outputs) * WITNESS_SCALE_FACTOR;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        cost += script_witness_sigop_count(
            in->script_sig, in->script_sig_len, spent_outputs[i].script_pubkey,
            spent_outputs[i].script_pubkey_len, in->witness, in->witness_count, flags);
    }
    return cost;
}

/* ---- Blocks ---- */

static void result_init(struct block_check_result *res)
{
    res->kind = BLOCK_CHECK_OK;
    res->reason = "";
    res->debug[0] = '\0';
}

__attribute__((format(printf, 4, 5))) static bool reject_block(struct block_check_result *res,
                                                               enum block_check_kind kind,
                                                               const char *reason,
                                                               const char *fmt, ...)
{
    va_list ap;
    res->kind = kind;
    res->reason = reason;
    va_start(ap, fmt);
    vsnprintf(res->debug, sizeof(res->debug), fmt, ap);
    va_end(ap);
    return false;
}

bool check_block_header(const struct block_header *h, const uint256 *pow_limit,
                        struct block_check_result *res)
{
    result_init(res);
    uint256 hash;
    block_header_hash(h, &hash);
    if (!check_proof_of_work(&hash, h->bits, pow_limit))
        return reject_block(res, BLOCK_CHECK_INVALID_HEADER, "high-hash",
                            "proof of work failed");
    return true;
}

/* Core's CheckWitnessMalleation. txids holds every txid when non-NULL and may be
 * overwritten; otherwise ids are computed here. */
static bool check_witness_malleation(const struct block *b, bool expect_commitment,
                                     uint256 *txids, struct block_check_result *res)
{
    long pos = expect_commitment ? block_witness_commitment_index(b) : -1;
    if (pos >= 0) {
        const struct tx_in *cbin = &b->txs[0].vin[0]; /* check_block made sure it exists */
        if (cbin->witness_count != 1 || cbin->witness[0].len != 32)
            return reject_block(res, BLOCK_CHECK_MUTATED, "bad-witness-nonce-size",
                                "invalid witness reserved value size");
        uint256 root, commitment;
        if (txids) {
            /* A transaction without witness has wtxid == txid: only hash the others. */
            memset(&txids[0], 0, sizeof(txids[0]));
            for (size_t i = 1; i < b->tx_count; i++)
                if (tx_has_witness(&b->txs[i])) tx_wtxid(&b->txs[i], &txids[i]);
            merkle_root_inplace(&root, NULL, txids, b->tx_count);
        } else if (!block_witness_merkle_root(&root, NULL, b)) {
            return reject_block(res, BLOCK_CHECK_ERROR, "out-of-memory", "witness merkle root");
        }
        witness_commitment_hash(&commitment, &root, cbin->witness[0].data);
        const uint8_t *spk = b->txs[0].vout[pos].script_pubkey;
        if (memcmp(spk + WITNESS_COMMITMENT_HEADER_SIZE, commitment.b, 32) != 0)
            return reject_block(res, BLOCK_CHECK_MUTATED, "bad-witness-merkle-match",
                                "witness merkle commitment mismatch");
        return true;
    }
    /* Without a commitment, witness data would be unbound extra bytes. */
    for (size_t i = 0; i < b->tx_count; i++)
        if (tx_has_witness(&b->txs[i]))
            return reject_block(res, BLOCK_CHECK_MUTATED, "unexpected-witness",
                                "unexpected witness data found");
    return true;
}

static bool check_block_body(const struct block *b, uint32_t flags, uint256 *txids,
                             struct block_check_result *res)
{
    if (flags & CHECK_BLOCK_MERKLE) {
        /* txids[n..2n) is scratch so the txids themselves survive for the witness root. */
        size_t n = b->tx_count;
        uint256 root;
        bool mutated;
        memcpy(txids + n, txids, n * sizeof(*txids));
        merkle_root_inplace(&root, &mutated, txids + n, n);
        if (uint256_cmp(&root, &b->header.merkle_root) != 0)
            return reject_block(res, BLOCK_CHECK_MUTATED, "bad-txnmrklroot",
                                "hashMerkleRoot mismatch");
        if (mutated)
            return reject_block(res, BLOCK_CHECK_MUTATED, "bad-txns-duplicate",
                                "duplicate transaction");
    }

    if (b->tx_count == 0 || b->tx_count * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT ||
        block_size(b, false) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT)
        return reject_block(res, BLOCK_CHECK_CONSENSUS, "bad-blk-length", "size limits failed");

    if (!tx_is_coinbase(&b->txs[0]))
        return reject_block(res, BLOCK_CHECK_CONSENSUS, "bad-cb-missing",
                            "first tx is not coinbase");
    for (size_t i = 1; i < b->tx_count; i++)
        if (tx_is_coinbase(&b->txs[i]))
            return reject_block(res, BLOCK_CHECK_CONSENSUS, "bad-cb-multiple",
                                "more than one coinbase");

    for (size_t i = 0; i < b->tx_count; i++) {
        const char *why = NULL;
        if (!check_transaction(&b->txs[i], &why)) {
            uint256 id;
            char hex[65];
            tx_txid(&b->txs[i], &id);
            uint256_to_hex(hex, &id);
            return reject_block(res, BLOCK_CHECK_CONSENSUS, why,
                                "Transaction check failed (tx hash %s)", hex);
        }
    }

    uint64_t sigops = 0;
    for (size_t i = 0; i < b->tx_count; i++) sigops += tx_legacy_sigop_count(&b->txs[i]);
    if (sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST)
        return reject_block(res, BLOCK_CHECK_CONSENSUS, "bad-blk-sigops",
                            "out-of-bounds SigOpCount");

    if (!check_witness_malleation(b, (flags & CHECK_BLOCK_WITNESS_COMMITMENT) != 0,
                                  (flags & CHECK_BLOCK_MERKLE) ? txids : NULL, res))
        return false;

    if (block_weight(b) > MAX_BLOCK_WEIGHT)
        return reject_block(res, BLOCK_CHECK_CONSENSUS, "bad-blk-weight",
                            "weight limit failed");
    return true;
}

bool check_block(const struct block *b, const uint256 *pow_limit, uint32_t flags,
                 struct block_check_result *res)
{
    result_init(res);
    if ((flags & CHECK_BLOCK_POW) && !check_block_header(&b->header, pow_limit, res))
        return false;

    uint256 *txids = NULL;
    if (flags & CHECK_BLOCK_MERKLE) {
        /* One txid per transaction plus as much scratch for the tree. */
        txids = malloc((b->tx_count ? 2 * b->tx_count : 1) * sizeof(*txids));
        if (!txids) return reject_block(res, BLOCK_CHECK_ERROR, "out-of-memory", "merkle tree");
        for (size_t i = 0; i < b->tx_count; i++) tx_txid(&b->txs[i], &txids[i]);
    }
    bool ok = check_block_body(b, flags, txids, res);
    free(txids);
    return ok;
}
