/* Blocks: the 80-byte header, the block (header plus transactions), their
 * serialization with and without witness data, the header hash, size and weight.
 *
 * A struct block owns its transaction array and every transaction in it; block_clear
 * frees them. Headers are plain values. Parsing reads from a borrowed buffer and copies
 * what it keeps, so the buffer may be freed afterwards. */
#ifndef IOP_CONSENSUS_BLOCK_H
#define IOP_CONSENSUS_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

#define BLOCK_HEADER_SIZE 80
/* BIP141 limits. WITNESS_SCALE_FACTOR is in tx.h. */
#define MAX_BLOCK_WEIGHT          4000000
#define MAX_BLOCK_SERIALIZED_SIZE 4000000
#define MAX_BLOCK_SIGOPS_COST     80000

struct block_header {
    int32_t version;
    uint256 prev_hash;   /* hash of the parent header */
    uint256 merkle_root; /* merkle root of the txids */
    uint32_t time;
    uint32_t bits; /* compact target, see pow.h */
    uint32_t nonce;
};

struct block {
    struct block_header header;
    struct tx *txs; /* owned; tx_count entries */
    size_t tx_count;
};

/* ---- Headers ---- */

/* Writes the 80-byte serialization of h to out. */
void block_header_to_bytes(uint8_t out[BLOCK_HEADER_SIZE], const struct block_header *h);
/* Reads 80 bytes from in; every 80-byte string is a header. */
void block_header_from_bytes(struct block_header *h, const uint8_t in[BLOCK_HEADER_SIZE]);
/* Reads one header from r. False (r failed, *h unspecified) when fewer than 80 bytes
 * remain. */
__attribute__((warn_unused_result)) bool block_header_deserialize(struct reader *r,
                                                                  struct block_header *h);
void block_header_serialize(struct writer *w, const struct block_header *h);
/* The block hash: double SHA-256 of the 80 header bytes, in internal byte order. */
void block_header_hash(const struct block_header *h, uint256 *out);

/* ---- Blocks ---- */

/* Makes *b an empty block (zero header, no transactions) that owns nothing. */
void block_init(struct block *b);
/* Frees the transactions b owns and re-initializes it; NULL is a no-op. */
void block_clear(struct block *b);

/* Reads one block: header, CompactSize transaction count, transactions. allow_witness
 * selects BIP144 parsing of every transaction. The transaction count is checked
 * against the bytes remaining (each transaction takes at least 10) before anything is
 * allocated. On failure returns false with *b cleared (owning nothing) and r failed.
 * *b must not own anything on entry. A block with zero transactions parses (it fails
 * check_block). */
__attribute__((warn_unused_result)) bool block_deserialize(struct reader *r, struct block *b,
                                                           bool allow_witness);
/* Parses a whole buffer: also fails when bytes are left over. */
__attribute__((warn_unused_result)) bool block_from_bytes(struct block *b, const uint8_t *data,
                                                          size_t len, bool allow_witness);
/* Appends the block; with_witness writes BIP144 forms for transactions that have a
 * witness. Out of memory is reported through w->failed. */
void block_serialize(struct writer *w, const struct block *b, bool with_witness);

/* Serialized size in bytes, with or without witness data. */
size_t block_size(const struct block *b, bool with_witness);
/* BIP141 weight: 3 * stripped size + total size. */
size_t block_weight(const struct block *b);
/* The hash of b's header. */
void block_hash(const struct block *b, uint256 *out);

#endif
