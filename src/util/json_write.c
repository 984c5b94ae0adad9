/* See json_write.h. A small recursive writer into a growing buffer. */
#include "util/json_write.h"

#include <math.h> /* isfinite only: a macro, no libm */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
    char *buf;
    size_t len, cap;
    bool failed;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->failed) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1) cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

static void put_string(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            put(o, s + i - run, run);
            run = 0;
            puts_(o, esc);
        } else {
            run++;
        }
    }
    put(o, s + n - run, run);
    put(o, "\"", 1);
}

static void put_real(struct out *o, double v)
{
    char b[64];
    if (!isfinite(v)) { /* JSON has no NaN or infinity; Core writes null */
        puts_(o, "null");
        return;
    }
    double mag = v < 0 ? -v : v;
    if (mag < 1e11) {
        /* Rounded by hand so the library needs no libm. */
        double sats = v * 1e8;
        long long s = (long long)(sats < 0 ? sats - 0.5 : sats + 0.5);
        double diff = sats - (double)s;
        if (diff < 0) diff = -diff;
        if (diff >= 1e-3) goto general;
        unsigned long long a = (unsigned long long)(s < 0 ? -s : s);
        snprintf(b, sizeof(b), "%s%llu.%08llu", s < 0 ? "-" : "", a / 100000000ull,
                 a % 100000000ull);
        puts_(o, b);
        return;
    }
general:
    /* As Core's UniValue::setFloat (setprecision(16)): regtest's difficulty reads
     * 4.656542373906925e-10 there, although 17 digits would be needed to round-trip. */
    snprintf(b, sizeof(b), "%.16g", v);
    puts_(o, b);
}

static void newline(struct out *o, int indent, int depth)
{
    if (indent <= 0) return;
    put(o, "\n", 1);
    for (int i = 0; i < indent * depth; i++) put(o, " ", 1);
}

static void write_value(struct out *o, const json_t *v, int indent, int depth)
{
    char b[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            puts_(o, "{}");
            break;
        }
        puts_(o, "{");
        const char *key;
        json_t *item;
        bool first = true;
        json_object_foreach((json_t *)v, key, item)
        {
            if (!first) puts_(o, ",");
            first = false;
            newline(o, indent, depth + 1);
            put_string(o, key, strlen(key));
            puts_(o, indent > 0 ? ": " : ":");
            write_value(o, item, indent, depth + 1);
        }
        newline(o, indent, depth);
        puts_(o, "}");
        break;
    }
    case JSON_ARRAY: {
        if (json_array_size(v) == 0) {
            puts_(o, "[]");
            break;
        }
        puts_(o, "[");
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) puts_(o, ",");
            newline(o, indent, depth + 1);
            write_value(o, json_array_get(v, i), indent, depth + 1);
        }
        newline(o, indent, depth);
        puts_(o, "]");
        break;
    }
    case JSON_STRING: put_string(o, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        puts_(o, b);
        break;
    case JSON_REAL: put_real(o, json_real_value(v)); break;
    case JSON_TRUE: puts_(o, "true"); break;
    case JSON_FALSE: puts_(o, "false"); break;
    case JSON_NULL: puts_(o, "null"); break;
    }
}

char *json_write(const json_t *value, int indent)
{
    struct out o = {0};
    if (!value) return NULL;
    write_value(&o, value, indent, 0);
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    return o.buf;
}
