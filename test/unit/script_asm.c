/* Parser for Bitcoin Core's script notation in its test vectors (core_read's
 * ParseScript). Words are separated by spaces, tabs or newlines; each word is a decimal
 * number (pushed as Core's CScript << int64 does), 0x-prefixed hex inserted verbatim, a
 * 'quoted' string pushed as data, or an opcode name with or without OP_. Like Core, the
 * names known are those of OP_RESERVED and of OP_NOP through OP_CHECKSIGADD; the other
 * small opcodes (pushes, OP_N) and OP_UNKNOWN are not names. */
#include "script_asm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/script.h"

struct buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
};

static void buf_put(struct buf *b, const uint8_t *p, size_t n)
{
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_byte(struct buf *b, uint8_t v) { buf_put(b, &v, 1); }

/* CScript << vector: the shortest push opcode for the length, then the bytes. */
static void push_data(struct buf *b, const uint8_t *p, size_t n)
{
    if (n < OP_PUSHDATA1) {
        buf_byte(b, (uint8_t)n);
    } else if (n <= 0xff) {
        buf_byte(b, OP_PUSHDATA1);
        buf_byte(b, (uint8_t)n);
    } else if (n <= 0xffff) {
        uint8_t l[2] = {(uint8_t)n, (uint8_t)(n >> 8)};
        buf_byte(b, OP_PUSHDATA2);
        buf_put(b, l, 2);
    } else {
        uint8_t l[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        buf_byte(b, OP_PUSHDATA4);
        buf_put(b, l, 4);
    }
    buf_put(b, p, n);
}

/* CScript << int64: OP_1NEGATE, OP_0, OP_1..OP_16, else the CScriptNum encoding. */
static void push_int(struct buf *b, int64_t v)
{
    if (v == -1 || (v >= 1 && v <= 16)) {
        buf_byte(b, (uint8_t)(v + (OP_1 - 1)));
        return;
    }
    if (v == 0) {
        buf_byte(b, OP_0);
        return;
    }
    uint8_t num[9];
    size_t n = 0;
    bool neg = v < 0;
    uint64_t a = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    while (a) {
        num[n++] = (uint8_t)(a & 0xff);
        a >>= 8;
    }
    if (num[n - 1] & 0x80)
        num[n++] = neg ? 0x80 : 0x00;
    else if (neg)
        num[n - 1] |= 0x80;
    push_data(b, num, n);
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool lookup_opcode(const char *w, size_t n, uint8_t *op)
{
    for (unsigned o = 0; o <= OP_CHECKSIGADD; o++) {
        if (o < OP_NOP && o != OP_RESERVED) continue;
        const char *name = script_op_name((uint8_t)o);
        if (strcmp(name, "OP_UNKNOWN") == 0) continue;
        if ((strlen(name) == n && memcmp(name, w, n) == 0) ||
            (strlen(name) == n + 3 && memcmp(name + 3, w, n) == 0)) {
            *op = (uint8_t)o;
            return true;
        }
    }
    return false;
}

static bool parse_word(struct buf *b, const char *w, size_t n)
{
    size_t digits_from = (n > 1 && w[0] == '-') ? 1 : 0;
    bool all_digits = true;
    for (size_t i = digits_from; i < n; i++)
        if (!isdigit((unsigned char)w[i])) all_digits = false;
    if (all_digits) {
        /* Core accepts only -0xFFFFFFFF..0xFFFFFFFF. */
        int64_t v = 0;
        for (size_t i = digits_from; i < n; i++) {
            v = v * 10 + (w[i] - '0');
            if (v > 0xffffffffLL) return false;
        }
        push_int(b, digits_from ? -v : v);
        return true;
    }
    if (n > 2 && w[0] == '0' && w[1] == 'x') {
        size_t hn = n - 2;
        if (hn % 2) return false;
        for (size_t i = 0; i < hn; i += 2) {
            int hi = hex_val(w[2 + i]), lo = hex_val(w[3 + i]);
            if (hi < 0 || lo < 0) return false;
            buf_byte(b, (uint8_t)(hi << 4 | lo));
        }
        return true;
    }
    if (n >= 2 && w[0] == '\'' && w[n - 1] == '\'') {
        push_data(b, (const uint8_t *)w + 1, n - 2);
        return true;
    }
    uint8_t op;
    if (!lookup_opcode(w, n, &op)) return false;
    buf_byte(b, op);
    return true;
}

bool script_asm_parse(const char *text, uint8_t **out, size_t *out_len)
{
    struct buf b = {0};
    buf_put(&b, NULL, 0);
    bool ok = true;
    const char *p = text;
    while (ok && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
        if (p > start) ok = parse_word(&b, start, (size_t)(p - start));
    }
    if (!b.data && !b.failed) {
        b.data = malloc(1);
        if (!b.data) b.failed = true;
    }
    if (!ok || b.failed) {
        free(b.data);
        *out = NULL;
        *out_len = 0;
        return false;
    }
    *out = b.data;
    *out_len = b.len;
    return true;
}
