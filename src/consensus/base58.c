/* Base58 / Base58Check (see base58.h).
 *
 * Both directions are schoolbook radix conversion: for every input digit, multiply the
 * accumulated number (kept as big-endian digits of the output radix) by the input radix
 * and add the digit. The number of output digits needed is bounded by the ratio of the
 * logarithms of the radixes (log 256 / log 58 < 1.38, log 58 / log 256 < 0.733), so the
 * work arrays are fixed-size and sized from the input bounds. */
#include "consensus/base58.h"

#include <string.h>

#include "consensus/hash.h"

static const char ALPHABET[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

#define CHECKSUM_LEN 4
/* Output digits for the largest inputs; see the ratios above. */
#define B58_DIGITS_MAX  BASE58_ENCODED_MAX(BASE58_MAX_DATA)
#define B256_DIGITS_MAX ((BASE58_MAX_STRING * 733) / 1000 + 1)

/* Overwrites n bytes in a way the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

static int digit_value(char c)
{
    if (c == '\0') return -1;
    const char *at = memchr(ALPHABET, c, sizeof(ALPHABET) - 1);
    return at ? (int)(at - ALPHABET) : -1;
}

const char *base58_result_string(enum base58_result r)
{
    switch (r) {
    case BASE58_OK: return "ok";
    case BASE58_INVALID_CHAR: return "invalid character";
    case BASE58_TOO_LONG: return "too long";
    case BASE58_TOO_SHORT: return "too short";
    case BASE58_BAD_CHECKSUM: return "bad checksum";
    }
    return "unknown error";
}

bool base58_encode(char *out, size_t out_cap, const uint8_t *data, size_t len)
{
    if (out_cap > 0) out[0] = '\0';
    if (len > BASE58_MAX_DATA) return false;

    size_t zeros = 0;
    while (zeros < len && data[zeros] == 0) zeros++;

    uint8_t digits[B58_DIGITS_MAX];
    size_t ndigits = BASE58_ENCODED_MAX(len - zeros);
    size_t used = 0; /* significant digits at the end of digits[0..ndigits) */
    memset(digits, 0, ndigits);
    for (size_t i = zeros; i < len; i++) {
        unsigned carry = data[i];
        size_t j = 0;
        for (size_t k = ndigits; k-- > 0 && (carry != 0 || j < used); j++) {
            carry += 256u * digits[k];
            digits[k] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        used = j;
    }

    size_t total = zeros + used;
    if (total + 1 > out_cap) {
        wipe(digits, ndigits);
        return false;
    }
    memset(out, '1', zeros);
    for (size_t i = 0; i < used; i++) out[zeros + i] = ALPHABET[digits[ndigits - used + i]];
    out[total] = '\0';
    wipe(digits, ndigits);
    return true;
}

enum base58_result base58_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *str)
{
    *out_len = 0;
    size_t len = strnlen(str, BASE58_MAX_STRING + 1);
    if (len > BASE58_MAX_STRING) return BASE58_TOO_LONG;

    size_t zeros = 0;
    while (zeros < len && str[zeros] == '1') zeros++;

    uint8_t b256[B256_DIGITS_MAX];
    size_t nbytes = ((len - zeros) * 733) / 1000 + 1;
    size_t used = 0;
    memset(b256, 0, nbytes);
    enum base58_result r = BASE58_OK;
    for (size_t i = zeros; i < len; i++) {
        int d = digit_value(str[i]);
        if (d < 0) {
            r = BASE58_INVALID_CHAR;
            goto done;
        }
        unsigned carry = (unsigned)d;
        size_t j = 0;
        for (size_t k = nbytes; k-- > 0 && (carry != 0 || j < used); j++) {
            carry += 58u * b256[k];
            b256[k] = (uint8_t)(carry & 0xff);
            carry >>= 8;
        }
        used = j;
    }

    if (zeros + used > out_cap) {
        r = BASE58_TOO_LONG;
        goto done;
    }
    if (zeros + used > 0) {
        memset(out, 0, zeros);
        memcpy(out + zeros, b256 + nbytes - used, used);
    }
    *out_len = zeros + used;
done:
    wipe(b256, nbytes);
    return r;
}

bool base58check_encode(char *out, size_t out_cap, const uint8_t *payload, size_t len)
{
    if (out_cap > 0) out[0] = '\0';
    if (len > BASE58_MAX_DATA - CHECKSUM_LEN) return false;
    uint8_t buf[BASE58_MAX_DATA];
    uint8_t hash[32];
    if (len > 0) memcpy(buf, payload, len);
    sha256d(payload, len, hash);
    memcpy(buf + len, hash, CHECKSUM_LEN);
    bool ok = base58_encode(out, out_cap, buf, len + CHECKSUM_LEN);
    wipe(buf, sizeof(buf));
    return ok;
}

enum base58_result base58check_decode(uint8_t *out, size_t out_cap, size_t *out_len,
                                      const char *str)
{
    *out_len = 0;
    uint8_t buf[BASE58_MAX_STRING];
    size_t n;
    enum base58_result r = base58_decode(buf, sizeof(buf), &n, str);
    if (r != BASE58_OK) goto done;
    if (n < CHECKSUM_LEN) {
        r = BASE58_TOO_SHORT;
        goto done;
    }
    uint8_t hash[32];
    sha256d(buf, n - CHECKSUM_LEN, hash);
    if (memcmp(hash, buf + n - CHECKSUM_LEN, CHECKSUM_LEN) != 0) {
        r = BASE58_BAD_CHECKSUM;
        goto done;
    }
    if (n - CHECKSUM_LEN > out_cap) {
        r = BASE58_TOO_LONG;
        goto done;
    }
    if (n > CHECKSUM_LEN) memcpy(out, buf, n - CHECKSUM_LEN);
    *out_len = n - CHECKSUM_LEN;
done:
    wipe(buf, sizeof(buf));
    return r;
}
