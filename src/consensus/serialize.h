/* Bitcoin's wire serialization: little-endian integers, CompactSize, byte vectors.
 *
 * A reader walks a borrowed buffer and never reads past its end; every read returns
 * false once the input is exhausted and leaves the reader failed, so a parser can
 * check once at the end. A writer appends to a growing heap buffer it owns. */
#ifndef IOP_CONSENSUS_SERIALIZE_H
#define IOP_CONSENSUS_SERIALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"

#define IOP_WU __attribute__((warn_unused_result))

/* The largest CompactSize any vector may claim (Bitcoin's MAX_SIZE). */
#define SER_MAX_SIZE 0x02000000u

struct reader {
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool failed;
};

static inline void reader_init(struct reader *r, const uint8_t *data, size_t len)
{
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->failed = false;
}
static inline size_t reader_remaining(const struct reader *r) { return r->len - r->pos; }

IOP_WU bool read_bytes(struct reader *r, uint8_t *out, size_t n);
/* Points *out into the reader's buffer instead of copying. */
IOP_WU bool read_borrow(struct reader *r, const uint8_t **out, size_t n);
IOP_WU bool read_u8(struct reader *r, uint8_t *v);
IOP_WU bool read_u16(struct reader *r, uint16_t *v);
IOP_WU bool read_u32(struct reader *r, uint32_t *v);
IOP_WU bool read_u64(struct reader *r, uint64_t *v);
IOP_WU bool read_i32(struct reader *r, int32_t *v);
IOP_WU bool read_i64(struct reader *r, int64_t *v);
/* CompactSize, canonical encoding required, value at most SER_MAX_SIZE. */
IOP_WU bool read_compact_size(struct reader *r, uint64_t *v);
/* A CompactSize length then that many bytes, copied into a new malloc'd buffer
 * (*out, caller frees; non-NULL even for length 0). The length is checked against the
 * bytes remaining before anything is allocated. */
IOP_WU bool read_var_bytes(struct reader *r, uint8_t **out, size_t *len);

/* A growable output buffer, or a hashing sink: a writer made by writer_init_hash feeds
 * every byte to a SHA-256 context and keeps none (len still counts them), so txids and
 * sighashes are computed without building the serialization in memory. */
struct writer {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed; /* set on out of memory; later writes do nothing */
    struct sha256_ctx *hash; /* borrowed; NULL for a buffer writer */
};

void writer_init(struct writer *w);
void writer_init_hash(struct writer *w, struct sha256_ctx *ctx);
void writer_free(struct writer *w);
/* Hands the buffer to the caller (who frees it) and resets the writer. */
uint8_t *writer_release(struct writer *w, size_t *len);
void write_bytes(struct writer *w, const void *data, size_t n);
void write_u8(struct writer *w, uint8_t v);
void write_u16(struct writer *w, uint16_t v);
void write_u32(struct writer *w, uint32_t v);
void write_u64(struct writer *w, uint64_t v);
void write_i32(struct writer *w, int32_t v);
void write_i64(struct writer *w, int64_t v);
void write_compact_size(struct writer *w, uint64_t v);
void write_var_bytes(struct writer *w, const uint8_t *data, size_t n);

/* Bytes a CompactSize takes for v. */
size_t compact_size_len(uint64_t v);

/* Little-endian helpers for fixed buffers. */
static inline uint16_t le16_read(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32_read(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64_read(const uint8_t *p)
{
    return (uint64_t)le32_read(p) | (uint64_t)le32_read(p + 4) << 32;
}
static inline void le16_write(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void le32_write(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le64_write(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t be32_read(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void be32_write(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void be64_write(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}

#endif
