/* Public key and signature checks over libsecp256k1's static context (see pubkey.h).
 *
 * The static context cannot sign or derive keys from secrets, which is exactly the
 * guarantee consensus code wants; parsing, verification and tweak-adding work with
 * it. No input reaches the library in a form its argument checks would reject, so its
 * illegal-argument callback (which aborts) is never triggered by untrusted data. */
#include "consensus/pubkey.h"

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <string.h>

#define CTX secp256k1_context_static

bool pubkey_is_valid_size(const uint8_t *pk, size_t len)
{
    if (len == 0) return false;
    switch (pk[0]) {
    case 0x02:
    case 0x03: return len == PUBKEY_COMPRESSED_SIZE;
    case 0x04:
    case 0x06:
    case 0x07: return len == PUBKEY_UNCOMPRESSED_SIZE;
    default: return false;
    }
}

bool pubkey_is_compressed_or_uncompressed(const uint8_t *pk, size_t len)
{
    if (len < PUBKEY_COMPRESSED_SIZE) return false;
    if (pk[0] == 0x04) return len == PUBKEY_UNCOMPRESSED_SIZE;
    if (pk[0] == 0x02 || pk[0] == 0x03) return len == PUBKEY_COMPRESSED_SIZE;
    return false;
}

bool pubkey_is_compressed(const uint8_t *pk, size_t len)
{
    return len == PUBKEY_COMPRESSED_SIZE && (pk[0] == 0x02 || pk[0] == 0x03);
}

/* BIP66: 0x30 len 0x02 lenR R 0x02 lenS S hashtype, with minimal positive integers. */
bool pubkey_ecdsa_sig_is_strict_der(const uint8_t *sig, size_t len)
{
    if (len < 9 || len > ECDSA_SIGNATURE_MAX_SIZE) return false;
    if (sig[0] != 0x30) return false;
    if (sig[1] != len - 3) return false; /* the sequence covers all but the hash type */
    size_t len_r = sig[3];
    if (5 + len_r >= len) return false;
    size_t len_s = sig[5 + len_r];
    if (len_r + len_s + 7 != len) return false;

    if (sig[2] != 0x02) return false;
    if (len_r == 0) return false;
    if (sig[4] & 0x80) return false;                                   /* negative */
    if (len_r > 1 && sig[4] == 0x00 && !(sig[5] & 0x80)) return false; /* padded */

    if (sig[len_r + 4] != 0x02) return false;
    if (len_s == 0) return false;
    if (sig[len_r + 6] & 0x80) return false;
    if (len_s > 1 && sig[len_r + 6] == 0x00 && !(sig[len_r + 7] & 0x80)) return false;
    return true;
}

bool pubkey_ecdsa_sig_has_defined_hashtype(const uint8_t *sig, size_t len)
{
    if (len == 0) return false;
    uint8_t t = sig[len - 1] & (uint8_t)~0x80;
    return t >= 1 && t <= 3;
}

/* Reads one DER length at *pos. The long form may have leading zero bytes and at most
 * three significant bytes; the value is not checked against the input here. */
static bool der_read_len(const uint8_t *in, size_t len, size_t *pos, size_t *out)
{
    if (*pos == len) return false;
    size_t b = in[(*pos)++];
    if (!(b & 0x80)) {
        *out = b;
        return true;
    }
    b -= 0x80;
    if (b > len - *pos) return false;
    while (b > 0 && in[*pos] == 0) {
        (*pos)++;
        b--;
    }
    if (b >= 4) return false;
    size_t v = 0;
    while (b > 0) {
        v = (v << 8) | in[(*pos)++];
        b--;
    }
    *out = v;
    return true;
}

/* Copies a big-endian integer (leading zeros stripped) right-aligned into 32 bytes.
 * False if it has more than 32 significant bytes. */
static bool der_int_to_32(uint8_t out[32], const uint8_t *p, size_t n)
{
    while (n > 0 && *p == 0) {
        p++;
        n--;
    }
    if (n > 32) return false;
    memset(out, 0, 32);
    if (n > 0) memcpy(out + 32 - n, p, n);
    return true;
}

bool pubkey_ecdsa_sig_parse_lax(uint8_t out64[64], const uint8_t *sig, size_t len)
{
    size_t pos = 0;
    size_t ints_at[2], ints_len[2];

    /* Sequence tag and a length whose value is ignored (only its bytes are skipped). */
    if (pos == len || sig[pos] != 0x30) return false;
    pos++;
    if (pos == len) return false;
    size_t b = sig[pos++];
    if (b & 0x80) {
        b -= 0x80;
        if (b > len - pos) return false;
        pos += b;
    }
    for (int i = 0; i < 2; i++) {
        if (pos == len || sig[pos] != 0x02) return false;
        pos++;
        size_t n;
        if (!der_read_len(sig, len, &pos, &n)) return false;
        if (n > len - pos) return false;
        ints_at[i] = pos;
        ints_len[i] = n;
        pos += n;
    }
    /* Trailing garbage is ignored, as in Core. */
    bool overflow = !der_int_to_32(out64, sig + ints_at[0], ints_len[0]) ||
                    !der_int_to_32(out64 + 32, sig + ints_at[1], ints_len[1]);
    if (!overflow) {
        secp256k1_ecdsa_signature s;
        overflow = !secp256k1_ecdsa_signature_parse_compact(CTX, &s, out64);
    }
    if (overflow) memset(out64, 0, 64);
    return true;
}

static bool parse_sig_lax(secp256k1_ecdsa_signature *s, const uint8_t *sig, size_t len)
{
    uint8_t rs[64];
    if (!pubkey_ecdsa_sig_parse_lax(rs, sig, len)) return false;
    /* Zero R and S are below the order, so this parse cannot fail. */
    return secp256k1_ecdsa_signature_parse_compact(CTX, s, rs) == 1;
}

bool pubkey_ecdsa_sig_is_low_s(const uint8_t *sig, size_t len)
{
    secp256k1_ecdsa_signature s;
    if (!parse_sig_lax(&s, sig, len)) return false;
    return secp256k1_ecdsa_signature_normalize(CTX, NULL, &s) == 0;
}

bool pubkey_ecdsa_verify(const uint8_t *pk, size_t pk_len, const uint8_t *sig, size_t sig_len,
                         const uint8_t hash32[32])
{
    if (!pubkey_is_valid_size(pk, pk_len)) return false;
    secp256k1_pubkey key;
    if (!secp256k1_ec_pubkey_parse(CTX, &key, pk, pk_len)) return false;
    if (sig_len == 0) return false;
    secp256k1_ecdsa_signature s;
    if (!parse_sig_lax(&s, sig, sig_len)) return false;
    /* libsecp256k1 only accepts low S; Bitcoin accepts both at consensus level. */
    secp256k1_ecdsa_signature_normalize(CTX, &s, &s);
    return secp256k1_ecdsa_verify(CTX, &s, hash32, &key) == 1;
}

bool pubkey_xonly_is_valid(const uint8_t xonly[XONLY_PUBKEY_SIZE])
{
    secp256k1_xonly_pubkey k;
    return secp256k1_xonly_pubkey_parse(CTX, &k, xonly) == 1;
}

bool pubkey_schnorr_verify(const uint8_t xonly[XONLY_PUBKEY_SIZE],
                           const uint8_t sig[SCHNORR_SIGNATURE_SIZE], const uint8_t *msg,
                           size_t msg_len)
{
    secp256k1_xonly_pubkey k;
    if (!secp256k1_xonly_pubkey_parse(CTX, &k, xonly)) return false;
    /* The library wants a non-NULL message pointer even when msg_len is 0. */
    static const uint8_t empty[1] = {0};
    if (msg == NULL) msg = empty;
    return secp256k1_schnorrsig_verify(CTX, sig, msg, msg_len, &k) == 1;
}

bool pubkey_xonly_tweak_add_check(const uint8_t output[XONLY_PUBKEY_SIZE], int parity,
                                  const uint8_t internal[XONLY_PUBKEY_SIZE],
                                  const uint8_t tweak[32])
{
    secp256k1_xonly_pubkey k;
    if (!secp256k1_xonly_pubkey_parse(CTX, &k, internal)) return false;
    return secp256k1_xonly_pubkey_tweak_add_check(CTX, output, parity, &k, tweak) == 1;
}

bool pubkey_xonly_tweak_add(uint8_t output[XONLY_PUBKEY_SIZE], int *parity,
                            const uint8_t internal[XONLY_PUBKEY_SIZE], const uint8_t tweak[32])
{
    secp256k1_xonly_pubkey k, out;
    secp256k1_pubkey full;
    int p;
    if (!secp256k1_xonly_pubkey_parse(CTX, &k, internal)) return false;
    if (!secp256k1_xonly_pubkey_tweak_add(CTX, &full, &k, tweak)) return false;
    if (!secp256k1_xonly_pubkey_from_pubkey(CTX, &out, &p, &full)) return false;
    if (!secp256k1_xonly_pubkey_serialize(CTX, output, &out)) return false;
    *parity = p;
    return true;
}
