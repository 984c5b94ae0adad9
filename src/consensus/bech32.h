/* Bech32 (BIP173) and Bech32m (BIP350) strings, and segwit addresses built on them.
 *
 * A bech32 string is a human-readable part (HRP), the separator '1' (the last '1' in
 * the string), and data characters each carrying 5 bits, the last 6 of which are a BCH
 * checksum over the HRP and data. Bech32 and Bech32m differ only in the constant the
 * checksum is XORed with (1 and 0x2bc830a3). Strings are at most 90 characters, either
 * all lower case or all upper case; we always write lower case.
 *
 * A segwit address carries the witness version (0..16) as its first data value and
 * the witness program (2..40 bytes; 20 or 32 for version 0) regrouped from 8-bit to
 * 5-bit values. Version 0 uses Bech32, versions 1 and up Bech32m (BIP350).
 *
 * Nothing here allocates; all buffers are caller-provided and sized by the constants. */
#ifndef IOP_CONSENSUS_BECH32_H
#define IOP_CONSENSUS_BECH32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BECH32_MAX_LEN      90 /* whole string, without the NUL */
#define BECH32_MAX_HRP_LEN  83
#define BECH32_CHECKSUM_LEN 6
/* Most 5-bit data values a string can carry besides its checksum. */
#define BECH32_MAX_DATA    (BECH32_MAX_LEN - 2 - BECH32_CHECKSUM_LEN)
#define BECH32_PROGRAM_MIN 2
#define BECH32_PROGRAM_MAX 40

enum bech32_encoding {
    BECH32_ENCODING_NONE = 0,
    BECH32_ENCODING_BECH32 = 1,  /* BIP173, checksum constant 1 */
    BECH32_ENCODING_BECH32M = 2, /* BIP350, checksum constant 0x2bc830a3 */
};

enum bech32_error {
    BECH32_OK = 0,
    BECH32_ERR_TOO_LONG,     /* over 90 characters */
    BECH32_ERR_NO_SEPARATOR, /* no '1' */
    BECH32_ERR_EMPTY_HRP,    /* the separator is the first character */
    BECH32_ERR_HRP_CHAR,     /* HRP character outside US-ASCII 33..126 */
    BECH32_ERR_MIXED_CASE,   /* both upper and lower case letters */
    BECH32_ERR_TOO_SHORT,    /* fewer than 6 characters after the separator */
    BECH32_ERR_DATA_CHAR,    /* data character outside the bech32 alphabet */
    BECH32_ERR_CHECKSUM,     /* checksum matches neither Bech32 nor Bech32m */
    /* segwit address rules */
    BECH32_ERR_WRONG_HRP,       /* valid string, but another HRP than expected */
    BECH32_ERR_EMPTY_DATA,      /* no witness version */
    BECH32_ERR_WITNESS_VERSION, /* version above 16 */
    BECH32_ERR_PADDING,         /* more than 4 padding bits or non-zero padding */
    BECH32_ERR_PROGRAM_LENGTH,  /* program not 2..40 bytes */
    BECH32_ERR_V0_LENGTH,       /* version 0 program neither 20 nor 32 bytes */
    BECH32_ERR_WRONG_ENCODING,  /* v0 with Bech32m, or v1+ with Bech32 */
};

/* Short English description of e ("invalid checksum", ...); never NULL. */
const char *bech32_error_string(enum bech32_error e);

/* Writes hrp, '1', the data values and the checksum of encoding enc into out as a
 * NUL-terminated lower-case string; out holds BECH32_MAX_LEN + 1 bytes. hrp must be 1..83
 * characters in 33..126 without upper case letters; every data value must be < 32.
 * Returns false (out empty) on a bad argument or a result over 90 characters. */
__attribute__((warn_unused_result)) bool bech32_encode(char out[BECH32_MAX_LEN + 1],
                                                       const char *hrp, const uint8_t *data,
                                                       size_t data_len,
                                                       enum bech32_encoding enc);

/* Decodes the NUL-terminated string str. Outputs on success: hrp (BECH32_MAX_HRP_LEN + 1
 * bytes) the HRP in lower case, NUL-terminated; data (BECH32_MAX_DATA bytes) the 5-bit
 * values without the checksum and *data_len their count; *enc which checksum matched.
 * Returns BECH32_OK or the first rule str breaks; on failure *data_len is 0, *enc
 * BECH32_ENCODING_NONE and hrp empty. */
__attribute__((warn_unused_result)) enum bech32_error
bech32_decode(char hrp[BECH32_MAX_HRP_LEN + 1], uint8_t data[BECH32_MAX_DATA], size_t *data_len,
              enum bech32_encoding *enc, const char *str);

/* Regroups in_len values of in_bits bits (from in) into values of out_bits bits,
 * written to out (out_cap values); *out_len receives their count. With pad, a last
 * partial group is padded with zero bits; without, leftover bits must be fewer than
 * in_bits and all zero. Returns false on an input value too wide, bad padding or
 * overflow of out_cap. Bits are 1..8. */
__attribute__((warn_unused_result)) bool bech32_convert_bits(uint8_t *out, size_t out_cap,
                                                             size_t *out_len, int out_bits,
                                                             const uint8_t *in, size_t in_len,
                                                             int in_bits, bool pad);

/* Encodes a segwit address for witness version witver (0..16) and program prog
 * (prog_len bytes) with HRP hrp (lower case) into out, NUL-terminated. Picks Bech32 for
 * version 0 and Bech32m above. Returns false (out empty) when the version or program
 * length break the rules above or the HRP is unusable. */
__attribute__((warn_unused_result)) bool bech32_segwit_encode(char out[BECH32_MAX_LEN + 1],
                                                              const char *hrp, int witver,
                                                              const uint8_t *prog,
                                                              size_t prog_len);

/* Decodes the segwit address addr, which must carry the HRP hrp (given in lower case;
 * the address itself may be all upper case, as in QR codes). Outputs *witver, prog
 * (BECH32_PROGRAM_MAX bytes) and *prog_len. Returns BECH32_OK, BECH32_ERR_WRONG_HRP for a valid
 * string of another HRP, or the first rule broken; on failure *witver is -1 and *prog_len 0. */
__attribute__((warn_unused_result)) enum bech32_error
bech32_segwit_decode(int *witver, uint8_t prog[BECH32_PROGRAM_MAX], size_t *prog_len,
                     const char *hrp, const char *addr);

#endif
