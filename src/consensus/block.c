/* See block.h. The transaction count of a block is bounded by the bytes left before
 * the array is allocated, so a forged count costs an attacker as many bytes as it
 * costs us memory (within a constant factor). */
#include "consensus/block.h"

#include <stdlib.h>
#include <string.h>

/* Smallest serialized transaction: version 4, empty input and output counts 1 + 1,
 * lock time 4. */
#define MIN_TX_SIZE 10

void block_header_to_bytes(uint8_t out[BLOCK_HEADER_SIZE], const struct block_header *h)
{
    le32_write(out, (uint32_t)h->version);
    memcpy(out + 4, h->prev_hash.b, 32);
    memcpy(out + 36, h->merkle_root.b, 32);
    le32_write(out + 68, h->time);
    le32_write(out + 72, h->bits);
    le32_write(out + 76, h->nonce);
}

void block_header_from_bytes(struct block_header *h, const uint8_t in[BLOCK_HEADER_SIZE])
{
    h->version = (int32_t)le32_read(in);
    memcpy(h->prev_hash.b, in + 4, 32);
    memcpy(h->merkle_root.b, in + 36, 32);
    h->time = le32_read(in + 68);
    h->bits = le32_read(in + 72);
    h->nonce = le32_read(in + 76);
}

bool block_header_deserialize(struct reader *r, struct block_header *h)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, BLOCK_HEADER_SIZE)) return false;
    block_header_from_bytes(h, p);
    return true;
}

void block_header_serialize(struct writer *w, const struct block_header *h)
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    block_header_to_bytes(buf, h);
    write_bytes(w, buf, sizeof(buf));
}

void block_header_hash(const struct block_header *h, uint256 *out)
{
    uint8_t buf[BLOCK_HEADER_SIZE];
    block_header_to_bytes(buf, h);
    sha256d(buf, sizeof(buf), out->b);
}

void block_init(struct block *b) { memset(b, 0, sizeof(*b)); }

void block_clear(struct block *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->tx_count; i++) tx_clear(&b->txs[i]);
    free(b->txs);
    block_init(b);
}

bool block_deserialize(struct reader *r, struct block *b, bool allow_witness)
{
    block_init(b);
    uint64_t n;
    if (!block_header_deserialize(r, &b->header) || !read_compact_size(r, &n)) goto fail;
    if (n > reader_remaining(r) / MIN_TX_SIZE) goto fail;
    if (n == 0) return true;
    b->txs = calloc((size_t)n, sizeof(*b->txs));
    if (!b->txs) goto fail;
    for (size_t i = 0; i < (size_t)n; i++) {
        if (!tx_deserialize(r, &b->txs[i], allow_witness)) goto fail;
        b->tx_count = i + 1; /* tx_deserialize cleans up a transaction it fails on */
    }
    return true;
fail:
    r->failed = true;
    block_clear(b);
    return false;
}

bool block_from_bytes(struct block *b, const uint8_t *data, size_t len, bool allow_witness)
{
    struct reader r;
    reader_init(&r, data, len);
    if (!block_deserialize(&r, b, allow_witness)) return false;
    if (reader_remaining(&r) != 0) {
        block_clear(b);
        return false;
    }
    return true;
}

void block_serialize(struct writer *w, const struct block *b, bool with_witness)
{
    block_header_serialize(w, &b->header);
    write_compact_size(w, b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++) tx_serialize(w, &b->txs[i], with_witness);
}

size_t block_size(const struct block *b, bool with_witness)
{
    size_t n = BLOCK_HEADER_SIZE + compact_size_len(b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++) n += tx_size(&b->txs[i], with_witness);
    return n;
}

size_t block_weight(const struct block *b)
{
    return block_size(b, false) * (WITNESS_SCALE_FACTOR - 1) + block_size(b, true);
}

void block_hash(const struct block *b, uint256 *out) { block_header_hash(&b->header, out); }
