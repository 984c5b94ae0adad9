/* Bech32 / Bech32m and segwit addresses (see bech32.h, BIP173 and BIP350).
 *
 * The checksum is the remainder of the data, seen as a polynomial over GF(32), modulo
 * the degree-6 generator of BIP173. polymod() keeps that remainder in the low 30 bits
 * of a word; each step shifts in one 5-bit value and folds the 5 bits that fall out
 * back in with the generator's precomputed multiples. The HRP takes part "expanded":
 * the high 3 bits of each character, a zero, then the low 5 bits of each character. */
#include "consensus/bech32.h"

#include <string.h>

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static const uint32_t CONST_BECH32 = 1;
static const uint32_t CONST_BECH32M = 0x2bc830a3;

static uint32_t polymod_step(uint32_t chk, uint8_t value)
{
    static const uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= GEN[i];
    return chk;
}

/* Checksum state after the expanded hrp (hrp_len characters) and data. */
static uint32_t polymod_hrp_data(const char *hrp, size_t hrp_len, const uint8_t *data,
                                 size_t data_len)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++) chk = polymod_step(chk, (uint8_t)hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hrp_len; i++) chk = polymod_step(chk, (uint8_t)hrp[i] & 31);
    for (size_t i = 0; i < data_len; i++) chk = polymod_step(chk, data[i]);
    return chk;
}

static int charset_value(char c)
{
    if (c == '\0') return -1;
    const char *at = memchr(CHARSET, c, sizeof(CHARSET) - 1);
    return at ? (int)(at - CHARSET) : -1;
}

static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static char to_lower(char c) { return is_upper(c) ? (char)(c - 'A' + 'a') : c; }

const char *bech32_error_string(enum bech32_error e)
{
    switch (e) {
    case BECH32_OK: return "ok";
    case BECH32_ERR_TOO_LONG: return "bech32 string too long";
    case BECH32_ERR_NO_SEPARATOR: return "missing bech32 separator";
    case BECH32_ERR_EMPTY_HRP: return "empty bech32 prefix";
    case BECH32_ERR_HRP_CHAR: return "invalid character in bech32 prefix";
    case BECH32_ERR_MIXED_CASE: return "mixed case";
    case BECH32_ERR_TOO_SHORT: return "bech32 checksum too short";
    case BECH32_ERR_DATA_CHAR: return "invalid bech32 data character";
    case BECH32_ERR_CHECKSUM: return "invalid checksum";
    case BECH32_ERR_WRONG_HRP: return "wrong bech32 prefix";
    case BECH32_ERR_EMPTY_DATA: return "empty bech32 data section";
    case BECH32_ERR_WITNESS_VERSION: return "invalid witness version";
    case BECH32_ERR_PADDING: return "invalid padding in bech32 data section";
    case BECH32_ERR_PROGRAM_LENGTH: return "invalid witness program length";
    case BECH32_ERR_V0_LENGTH: return "invalid witness v0 program length";
    case BECH32_ERR_WRONG_ENCODING:
        return "wrong checksum variant (v0 needs bech32, v1+ bech32m)";
    }
    return "unknown error";
}

bool bech32_encode(char out[BECH32_MAX_LEN + 1], const char *hrp, const uint8_t *data,
                   size_t data_len, enum bech32_encoding enc)
{
    out[0] = '\0';
    if (enc != BECH32_ENCODING_BECH32 && enc != BECH32_ENCODING_BECH32M) return false;
    size_t hrp_len = strnlen(hrp, BECH32_MAX_HRP_LEN + 1);
    if (hrp_len == 0 || hrp_len > BECH32_MAX_HRP_LEN) return false;
    if (hrp_len + 1 + data_len + BECH32_CHECKSUM_LEN > BECH32_MAX_LEN) return false;
    for (size_t i = 0; i < hrp_len; i++) {
        unsigned char c = (unsigned char)hrp[i];
        if (c < 33 || c > 126 || is_upper((char)c)) return false;
    }
    for (size_t i = 0; i < data_len; i++)
        if (data[i] >= 32) return false;

    uint32_t chk = polymod_hrp_data(hrp, hrp_len, data, data_len);
    for (int i = 0; i < BECH32_CHECKSUM_LEN; i++) chk = polymod_step(chk, 0);
    chk ^= enc == BECH32_ENCODING_BECH32 ? CONST_BECH32 : CONST_BECH32M;

    char *p = out;
    memcpy(p, hrp, hrp_len);
    p += hrp_len;
    *p++ = '1';
    for (size_t i = 0; i < data_len; i++) *p++ = CHARSET[data[i]];
    for (int i = 0; i < BECH32_CHECKSUM_LEN; i++)
        *p++ = CHARSET[(chk >> (5 * (BECH32_CHECKSUM_LEN - 1 - i))) & 31];
    *p = '\0';
    return true;
}

enum bech32_error bech32_decode(char hrp[BECH32_MAX_HRP_LEN + 1], uint8_t data[BECH32_MAX_DATA],
                                size_t *data_len, enum bech32_encoding *enc, const char *str)
{
    hrp[0] = '\0';
    *data_len = 0;
    *enc = BECH32_ENCODING_NONE;

    size_t len = strnlen(str, BECH32_MAX_LEN + 1);
    if (len > BECH32_MAX_LEN) return BECH32_ERR_TOO_LONG;
    const char *sep = NULL;
    for (size_t i = 0; i < len; i++)
        if (str[i] == '1') sep = str + i;
    if (!sep) return BECH32_ERR_NO_SEPARATOR;
    size_t hrp_len = (size_t)(sep - str);
    if (hrp_len == 0) return BECH32_ERR_EMPTY_HRP;

    bool lower = false, upper = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)str[i];
        if (i < hrp_len && (c < 33 || c > 126)) return BECH32_ERR_HRP_CHAR;
        lower |= is_lower((char)c);
        upper |= is_upper((char)c);
    }
    if (lower && upper) return BECH32_ERR_MIXED_CASE;

    size_t ndata = len - hrp_len - 1;
    if (ndata < BECH32_CHECKSUM_LEN) return BECH32_ERR_TOO_SHORT;
    uint8_t values[BECH32_MAX_LEN];
    for (size_t i = 0; i < ndata; i++) {
        int v = charset_value(to_lower(sep[1 + i]));
        if (v < 0) return BECH32_ERR_DATA_CHAR;
        values[i] = (uint8_t)v;
    }

    char lhrp[BECH32_MAX_HRP_LEN + 1];
    for (size_t i = 0; i < hrp_len; i++) lhrp[i] = to_lower(str[i]);
    lhrp[hrp_len] = '\0';
    uint32_t chk = polymod_hrp_data(lhrp, hrp_len, values, ndata);
    if (chk == CONST_BECH32)
        *enc = BECH32_ENCODING_BECH32;
    else if (chk == CONST_BECH32M)
        *enc = BECH32_ENCODING_BECH32M;
    else
        return BECH32_ERR_CHECKSUM;

    memcpy(hrp, lhrp, hrp_len + 1);
    memcpy(data, values, ndata - BECH32_CHECKSUM_LEN);
    *data_len = ndata - BECH32_CHECKSUM_LEN;
    return BECH32_OK;
}

bool bech32_convert_bits(uint8_t *out, size_t out_cap, size_t *out_len, int out_bits,
                         const uint8_t *in, size_t in_len, int in_bits, bool pad)
{
    *out_len = 0;
    if (in_bits < 1 || in_bits > 8 || out_bits < 1 || out_bits > 8) return false;
    const uint32_t out_mask = (1u << out_bits) - 1;
    uint32_t acc = 0; /* holds fewer than in_bits + out_bits <= 16 meaningful bits */
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < in_len; i++) {
        if (in[i] >> in_bits) return false;
        acc = ((acc << in_bits) | in[i]) & 0xffffu;
        bits += in_bits;
        while (bits >= out_bits) {
            bits -= out_bits;
            if (n == out_cap) return false;
            out[n++] = (uint8_t)((acc >> bits) & out_mask);
        }
    }
    if (pad) {
        if (bits > 0) {
            if (n == out_cap) return false;
            out[n++] = (uint8_t)((acc << (out_bits - bits)) & out_mask);
        }
    } else if (bits >= in_bits || ((acc << (out_bits - bits)) & out_mask) != 0) {
        return false;
    }
    *out_len = n;
    return true;
}

/* The segwit rules on version and program length shared by encode and decode. */
static enum bech32_error check_program(int witver, size_t prog_len)
{
    if (witver < 0 || witver > 16) return BECH32_ERR_WITNESS_VERSION;
    if (prog_len < BECH32_PROGRAM_MIN || prog_len > BECH32_PROGRAM_MAX)
        return BECH32_ERR_PROGRAM_LENGTH;
    if (witver == 0 && prog_len != 20 && prog_len != 32) return BECH32_ERR_V0_LENGTH;
    return BECH32_OK;
}

bool bech32_segwit_encode(char out[BECH32_MAX_LEN + 1], const char *hrp, int witver,
                          const uint8_t *prog, size_t prog_len)
{
    out[0] = '\0';
    if (check_program(witver, prog_len) != BECH32_OK) return false;
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    data[0] = (uint8_t)witver;
    if (!bech32_convert_bits(data + 1, sizeof(data) - 1, &n, 5, prog, prog_len, 8, true))
        return false;
    return bech32_encode(out, hrp, data, n + 1,
                         witver == 0 ? BECH32_ENCODING_BECH32 : BECH32_ENCODING_BECH32M);
}

enum bech32_error bech32_segwit_decode(int *witver, uint8_t prog[BECH32_PROGRAM_MAX],
                                       size_t *prog_len, const char *hrp, const char *addr)
{
    *witver = -1;
    *prog_len = 0;
    char got_hrp[BECH32_MAX_HRP_LEN + 1];
    uint8_t data[BECH32_MAX_DATA];
    size_t n;
    enum bech32_encoding enc;
    enum bech32_error e = bech32_decode(got_hrp, data, &n, &enc, addr);
    if (e != BECH32_OK) return e;
    if (strcmp(got_hrp, hrp) != 0) return BECH32_ERR_WRONG_HRP;
    if (n < 1) return BECH32_ERR_EMPTY_DATA;
    if (data[0] > 16) return BECH32_ERR_WITNESS_VERSION;

    /* 40 bytes fill 64 values; a longer data part cannot be a valid program, and the
     * room left in the buffer lets it fail as a length error rather than overflow. */
    uint8_t buf[BECH32_MAX_DATA];
    size_t len;
    if (!bech32_convert_bits(buf, sizeof(buf), &len, 8, data + 1, n - 1, 5, false))
        return BECH32_ERR_PADDING;
    e = check_program(data[0], len);
    if (e != BECH32_OK) return e;
    if ((data[0] == 0) != (enc == BECH32_ENCODING_BECH32)) return BECH32_ERR_WRONG_ENCODING;

    *witver = data[0];
    memcpy(prog, buf, len);
    *prog_len = len;
    return BECH32_OK;
}
