/* Hex digits both ways; hashes are shown byte-reversed, as Bitcoin does. */
#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

void hex_encode(char *out, const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex,
                size_t hexlen)
{
    if (hexlen % 2 != 0 || hexlen / 2 > out_cap) return false;
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = hexlen / 2;
    return true;
}

bool hex_decode_alloc(const char *hex, uint8_t **out, size_t *out_len)
{
    size_t n = strlen(hex);
    *out = NULL;
    uint8_t *buf = malloc(n / 2 + 1);
    if (!buf) return false;
    if (!hex_decode(buf, n / 2, out_len, hex, n)) {
        free(buf);
        return false;
    }
    *out = buf;
    return true;
}

void bytes_reverse(uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len / 2; i++) {
        uint8_t t = data[i];
        data[i] = data[len - 1 - i];
        data[len - 1 - i] = t;
    }
}
