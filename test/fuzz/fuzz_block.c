/* libFuzzer harness: arbitrary bytes as a block, with and without witness parsing.
 * Whatever parses must serialize back to exactly the input and re-parse to the same
 * block; hashes, sizes, merkle roots, the witness commitment, compact-target
 * arithmetic and check_block must all run without crashing or leaking. The harness
 * also repairs the merkle root and re-checks, so the rules behind it get exercised
 * instead of stopping at "bad-txnmrklroot" every time. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/block.h"
#include "consensus/merkle.h"
#include "consensus/pow.h"
#include "consensus/tx_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *serialize(const struct block *b, bool witness, size_t *len)
{
    struct writer w;
    writer_init(&w);
    block_serialize(&w, b, witness);
    if (w.failed) abort();
    return writer_release(&w, len);
}

static void check_result(bool ok, const struct block_check_result *res)
{
    if (!res->reason) abort();
    if (ok != (res->kind == BLOCK_CHECK_OK)) abort();
    if (ok != (res->reason[0] == '\0')) abort();
    if (strnlen(res->debug, sizeof(res->debug)) >= sizeof(res->debug)) abort();
}

static void check_compact(uint32_t bits)
{
    arith256 v, v2, w;
    bool neg, ovf;
    arith256_set_compact(&v, bits, &neg, &ovf);
    uint32_t c = arith256_get_compact(&v, neg);
    if (!ovf) {
        /* Re-encoding is lossless for anything that fits. */
        bool neg2, ovf2;
        arith256_set_compact(&v2, c, &neg2, &ovf2);
        if (arith256_cmp(&v, &v2) != 0 || neg2 != neg || ovf2) abort();
    }
    pow_block_work(&w, bits);
    if (arith256_is_zero(&w) != (neg || ovf || arith256_is_zero(&v))) abort();
}

static void check_one(const uint8_t *data, size_t size, bool witness)
{
    struct block b;
    if (!block_from_bytes(&b, data, size, witness)) {
        if (b.txs || b.tx_count) abort();
        return;
    }
    size_t len;
    uint8_t *out = serialize(&b, witness, &len);
    if (len != size || memcmp(out, data, size) != 0) abort();
    if (block_size(&b, witness) != size) abort();

    struct block again;
    if (!block_from_bytes(&again, out, len, witness)) abort();
    size_t len2;
    uint8_t *out2 = serialize(&again, witness, &len2);
    if (len2 != len || memcmp(out2, out, len) != 0) abort();

    uint256 h1, h2;
    block_hash(&b, &h1);
    block_hash(&again, &h2);
    if (uint256_cmp(&h1, &h2) != 0) abort();
    size_t weight = block_weight(&b);
    if (weight != 3 * block_size(&b, false) + block_size(&b, true)) abort();

    uint256 root, wroot;
    bool mutated;
    if (block_merkle_root(&root, &mutated, &b)) {
        if (b.tx_count == 0 && (!uint256_is_zero(&root) || mutated)) abort();
    }
    if (block_witness_merkle_root(&wroot, NULL, &b)) {
        long pos = block_witness_commitment_index(&b);
        if (pos >= 0 && b.txs[0].vin_count > 0 && b.txs[0].vin[0].witness_count == 1 &&
            b.txs[0].vin[0].witness[0].len == 32) {
            uint256 c;
            witness_commitment_hash(&c, &wroot, b.txs[0].vin[0].witness[0].data);
        }
    }

    uint256 no_limit;
    memset(no_limit.b, 0xff, 32);
    struct block_check_result res, res2;
    bool ok = check_block(&b, &no_limit, CHECK_BLOCK_ALL, &res);
    check_result(ok, &res);
    bool ok2 = check_block(&again, &no_limit, CHECK_BLOCK_ALL, &res2);
    if (ok != ok2 || strcmp(res.reason, res2.reason) != 0) abort();
    ok = check_block_header(&b.header, &no_limit, &res);
    check_result(ok, &res);
    check_compact(b.header.bits);

    /* With a correct merkle root the later rules are reached. */
    uint256 fixed;
    if (block_merkle_root(&fixed, NULL, &again)) {
        again.header.merkle_root = fixed;
        ok = check_block(&again, NULL, CHECK_BLOCK_MERKLE | CHECK_BLOCK_WITNESS_COMMITMENT,
                         &res);
        check_result(ok, &res);
        if (!ok && strcmp(res.reason, "bad-txnmrklroot") == 0) abort();
        ok = check_block(&again, NULL, CHECK_BLOCK_MERKLE, &res);
        check_result(ok, &res);
        ok = check_block(&again, NULL, 0, &res);
        check_result(ok, &res);
    }
    for (size_t i = 0; i < b.tx_count; i++) {
        const char *why = NULL;
        if (!check_transaction(&b.txs[i], &why) && !why) abort();
    }

    free(out2);
    free(out);
    block_clear(&again);
    block_clear(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one(data, size, true);
    check_one(data, size, false);
    /* The raw bytes as a compact target too. */
    if (size >= 4) check_compact(le32_read(data));
    return 0;
}
