/* Merkle trees of a block: the txid root in the header, the BIP141 witness root and
 * the witness commitment in the coinbase.
 *
 * Bitcoin's tree pairs an odd last node with itself, so [a, b, c] and [a, b, c, c] have
 * the same root (CVE-2012-2459). The root functions report that through *mutated: it
 * is set when two identical hashes sit side by side as a pair at any level, which a
 * block of distinct transactions can never produce. */
#ifndef IOP_CONSENSUS_MERKLE_H
#define IOP_CONSENSUS_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/hash.h"

/* A witness commitment output script: OP_RETURN, a 36-byte push, this 4-byte tag and
 * the 32-byte commitment; longer scripts still count (BIP141). */
#define WITNESS_COMMITMENT_HEADER_SIZE 6
#define MIN_WITNESS_COMMITMENT_SIZE    38
extern const uint8_t WITNESS_COMMITMENT_HEADER[WITNESS_COMMITMENT_HEADER_SIZE];

/* Root of the tree over hashes[0..count), written to *root (zero for count 0, the
 * single leaf for count 1). Overwrites hashes as scratch space. mutated may be NULL. */
void merkle_root_inplace(uint256 *root, bool *mutated, uint256 *hashes, size_t count);

/* The block's merkle root over its txids (Core's BlockMerkleRoot). False only when out
 * of memory. mutated may be NULL. */
__attribute__((warn_unused_result)) bool block_merkle_root(uint256 *root, bool *mutated,
                                                           const struct block *b);
/* The BIP141 witness root: the tree over wtxids with the coinbase's taken as zero.
 * False only when out of memory. mutated may be NULL. */
__attribute__((warn_unused_result)) bool block_witness_merkle_root(uint256 *root, bool *mutated,
                                                                   const struct block *b);

/* Index of the coinbase output holding the witness commitment: the last output of
 * txs[0] whose script is at least 38 bytes and starts 6a24aa21a9ed. -1 when there is
 * none or the block has no transactions. */
long block_witness_commitment_index(const struct block *b);
/* The commitment value: double SHA-256 of witness_root || nonce, where the nonce is
 * the coinbase input's single 32-byte witness item (the "witness reserved value"). */
void witness_commitment_hash(uint256 *out, const uint256 *witness_root,
                             const uint8_t nonce[32]);

#endif
