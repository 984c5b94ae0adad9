/* See merkle.h. Each level is computed in place over the previous one: node i of the
 * next level is the hash of nodes 2i and 2i+1, an odd last node being paired with
 * itself. A pair that was already equal before hashing is the mutation signature. */
#include "consensus/merkle.h"

#include <stdlib.h>
#include <string.h>

const uint8_t WITNESS_COMMITMENT_HEADER[WITNESS_COMMITMENT_HEADER_SIZE] = {0x6a, 0x24, 0xaa,
                                                                           0x21, 0xa9, 0xed};

static void hash_pair(uint256 *out, const uint256 *left, const uint256 *right)
{
    uint8_t buf[64];
    memcpy(buf, left->b, 32);
    memcpy(buf + 32, right->b, 32);
    sha256d(buf, sizeof(buf), out->b);
}

void merkle_root_inplace(uint256 *root, bool *mutated, uint256 *hashes, size_t count)
{
    bool mut = false;
    while (count > 1) {
        size_t next = 0;
        for (size_t i = 0; i < count; i += 2) {
            if (i + 1 < count) {
                if (uint256_cmp(&hashes[i], &hashes[i + 1]) == 0) mut = true;
                hash_pair(&hashes[next++], &hashes[i], &hashes[i + 1]);
            } else {
                /* The self-pairing of an odd node is the duplication the flag guards
                 * against, not evidence of it. */
                hash_pair(&hashes[next++], &hashes[i], &hashes[i]);
            }
        }
        count = next;
    }
    if (mutated) *mutated = mut;
    if (count == 0)
        memset(root, 0, sizeof(*root));
    else
        *root = hashes[0];
}

static bool root_of_ids(uint256 *root, bool *mutated, const struct block *b, bool witness)
{
    uint256 *ids = malloc((b->tx_count ? b->tx_count : 1) * sizeof(*ids));
    if (!ids) return false;
    for (size_t i = 0; i < b->tx_count; i++) {
        if (witness && i == 0)
            memset(&ids[0], 0, sizeof(ids[0]));
        else if (witness)
            tx_wtxid(&b->txs[i], &ids[i]);
        else
            tx_txid(&b->txs[i], &ids[i]);
    }
    merkle_root_inplace(root, mutated, ids, b->tx_count);
    free(ids);
    return true;
}

bool block_merkle_root(uint256 *root, bool *mutated, const struct block *b)
{
    return root_of_ids(root, mutated, b, false);
}

bool block_witness_merkle_root(uint256 *root, bool *mutated, const struct block *b)
{
    return root_of_ids(root, mutated, b, true);
}

long block_witness_commitment_index(const struct block *b)
{
    long found = -1;
    if (b->tx_count == 0) return -1;
    const struct tx *cb = &b->txs[0];
    for (size_t i = 0; i < cb->vout_count; i++) {
        const struct tx_out *o = &cb->vout[i];
        if (o->script_pubkey_len >= MIN_WITNESS_COMMITMENT_SIZE &&
            memcmp(o->script_pubkey, WITNESS_COMMITMENT_HEADER,
                   WITNESS_COMMITMENT_HEADER_SIZE) == 0)
            found = (long)i;
    }
    return found;
}

void witness_commitment_hash(uint256 *out, const uint256 *witness_root, const uint8_t nonce[32])
{
    uint8_t buf[64];
    memcpy(buf, witness_root->b, 32);
    memcpy(buf + 32, nonce, 32);
    sha256d(buf, sizeof(buf), out->b);
}
