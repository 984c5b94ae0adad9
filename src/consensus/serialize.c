/* Readers fail sticky: once a read runs past the end, every later read fails too. */
#include "consensus/serialize.h"

#include <stdlib.h>
#include <string.h>

bool read_bytes(struct reader *r, uint8_t *out, size_t n)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, n)) return false;
    if (n) memcpy(out, p, n);
    return true;
}

bool read_borrow(struct reader *r, const uint8_t **out, size_t n)
{
    if (r->failed || n > r->len - r->pos) {
        r->failed = true;
        return false;
    }
    *out = r->data + r->pos;
    r->pos += n;
    return true;
}

bool read_u8(struct reader *r, uint8_t *v) { return read_bytes(r, v, 1); }

bool read_u16(struct reader *r, uint16_t *v)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, 2)) return false;
    *v = le16_read(p);
    return true;
}

bool read_u32(struct reader *r, uint32_t *v)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, 4)) return false;
    *v = le32_read(p);
    return true;
}

bool read_u64(struct reader *r, uint64_t *v)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, 8)) return false;
    *v = le64_read(p);
    return true;
}

bool read_i32(struct reader *r, int32_t *v)
{
    uint32_t u;
    if (!read_u32(r, &u)) return false;
    *v = (int32_t)u;
    return true;
}

bool read_i64(struct reader *r, int64_t *v)
{
    uint64_t u;
    if (!read_u64(r, &u)) return false;
    *v = (int64_t)u;
    return true;
}

bool read_compact_size(struct reader *r, uint64_t *v)
{
    uint8_t first;
    if (!read_u8(r, &first)) return false;
    uint64_t value;
    uint64_t min;
    if (first < 0xfd) {
        value = first;
        min = 0;
    } else if (first == 0xfd) {
        uint16_t x;
        if (!read_u16(r, &x)) return false;
        value = x;
        min = 0xfd;
    } else if (first == 0xfe) {
        uint32_t x;
        if (!read_u32(r, &x)) return false;
        value = x;
        min = 0x10000;
    } else {
        if (!read_u64(r, &value)) return false;
        min = 0x100000000ull;
    }
    /* Non-canonical encodings and absurd sizes are rejected like Bitcoin Core does. */
    if (value < min || value > SER_MAX_SIZE) {
        r->failed = true;
        return false;
    }
    *v = value;
    return true;
}

bool read_var_bytes(struct reader *r, uint8_t **out, size_t *len)
{
    uint64_t n;
    *out = NULL;
    if (!read_compact_size(r, &n)) return false;
    if (n > reader_remaining(r)) {
        r->failed = true;
        return false;
    }
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        r->failed = true;
        return false;
    }
    if (!read_bytes(r, buf, n)) {
        free(buf);
        return false;
    }
    *out = buf;
    *len = n;
    return true;
}

void writer_init(struct writer *w)
{
    w->data = NULL;
    w->len = w->cap = 0;
    w->failed = false;
    w->hash = NULL;
}

void writer_init_hash(struct writer *w, struct sha256_ctx *ctx)
{
    writer_init(w);
    w->hash = ctx;
}

void writer_free(struct writer *w)
{
    free(w->data);
    writer_init(w);
}

uint8_t *writer_release(struct writer *w, size_t *len)
{
    uint8_t *d = w->data;
    if (len) *len = w->len;
    writer_init(w);
    return d;
}

void write_bytes(struct writer *w, const void *data, size_t n)
{
    if (w->failed) return;
    if (w->hash) {
        sha256_write(w->hash, data, n);
        w->len += n;
        return;
    }
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap - w->len < n) {
            if (cap > SIZE_MAX / 2) {
                w->failed = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *d = realloc(w->data, cap);
        if (!d) {
            w->failed = true;
            return;
        }
        w->data = d;
        w->cap = cap;
    }
    if (n) memcpy(w->data + w->len, data, n);
    w->len += n;
}

void write_u8(struct writer *w, uint8_t v) { write_bytes(w, &v, 1); }
void write_u16(struct writer *w, uint16_t v)
{
    uint8_t b[2];
    le16_write(b, v);
    write_bytes(w, b, 2);
}
void write_u32(struct writer *w, uint32_t v)
{
    uint8_t b[4];
    le32_write(b, v);
    write_bytes(w, b, 4);
}
void write_u64(struct writer *w, uint64_t v)
{
    uint8_t b[8];
    le64_write(b, v);
    write_bytes(w, b, 8);
}
void write_i32(struct writer *w, int32_t v) { write_u32(w, (uint32_t)v); }
void write_i64(struct writer *w, int64_t v) { write_u64(w, (uint64_t)v); }

void write_compact_size(struct writer *w, uint64_t v)
{
    if (v < 0xfd) {
        write_u8(w, (uint8_t)v);
    } else if (v <= 0xffff) {
        write_u8(w, 0xfd);
        write_u16(w, (uint16_t)v);
    } else if (v <= 0xffffffffu) {
        write_u8(w, 0xfe);
        write_u32(w, (uint32_t)v);
    } else {
        write_u8(w, 0xff);
        write_u64(w, v);
    }
}

void write_var_bytes(struct writer *w, const uint8_t *data, size_t n)
{
    write_compact_size(w, n);
    write_bytes(w, data, n);
}

size_t compact_size_len(uint64_t v)
{
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}
