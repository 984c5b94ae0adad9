/* Addresses and WIF (see address.h).
 *
 * Decoding tries bech32 first: its checksum is strict enough that a Base58 string never
 * passes it by accident. When neither encoding accepts the string, the error reported
 * is the one of the encoding the string most resembles, so that a user who mistyped a
 * bech32 address hears "bad checksum" rather than "invalid character". */
#include "consensus/address.h"

#include <secp256k1.h>
#include <string.h>

#include "consensus/base58.h"
#include "consensus/bech32.h"
#include "consensus/script.h"

#define HASH_LEN            20
#define P2PKH_LEN           25
#define P2SH_LEN            23
#define WIF_KEY_LEN         32
#define WIF_COMPRESSED_FLAG 0x01

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

const char *address_error_string(enum address_error e)
{
    switch (e) {
    case ADDRESS_OK: return "ok";
    case ADDRESS_ERR_INVALID_CHAR: return "invalid character";
    case ADDRESS_ERR_MIXED_CASE: return "mixed case";
    case ADDRESS_ERR_BAD_CHECKSUM: return "bad checksum";
    case ADDRESS_ERR_BAD_LENGTH: return "bad length";
    case ADDRESS_ERR_BAD_FORMAT: return "not an address";
    case ADDRESS_ERR_WRONG_NETWORK: return "wrong network";
    case ADDRESS_ERR_WITNESS_VERSION: return "invalid witness version";
    case ADDRESS_ERR_PROGRAM_LENGTH: return "invalid witness program length";
    case ADDRESS_ERR_WRONG_ENCODING:
        return "wrong checksum variant (v0 needs bech32, v1+ bech32m)";
    case ADDRESS_ERR_PADDING: return "invalid padding";
    case ADDRESS_ERR_EMPTY_DATA: return "empty data section";
    case ADDRESS_ERR_NO_ADDRESS: return "script has no address form";
    case ADDRESS_ERR_INVALID_KEY: return "invalid private key";
    case ADDRESS_ERR_BAD_PARAMS: return "unusable address parameters";
    }
    return "unknown error";
}

static enum address_error from_base58(enum base58_result r)
{
    switch (r) {
    case BASE58_OK: return ADDRESS_OK;
    case BASE58_INVALID_CHAR: return ADDRESS_ERR_INVALID_CHAR;
    case BASE58_TOO_LONG:
    case BASE58_TOO_SHORT: return ADDRESS_ERR_BAD_LENGTH;
    case BASE58_BAD_CHECKSUM: return ADDRESS_ERR_BAD_CHECKSUM;
    }
    return ADDRESS_ERR_BAD_FORMAT;
}

static enum address_error from_bech32(enum bech32_error e)
{
    switch (e) {
    case BECH32_OK: return ADDRESS_OK;
    case BECH32_ERR_TOO_LONG:
    case BECH32_ERR_TOO_SHORT: return ADDRESS_ERR_BAD_LENGTH;
    case BECH32_ERR_NO_SEPARATOR:
    case BECH32_ERR_EMPTY_HRP: return ADDRESS_ERR_BAD_FORMAT;
    case BECH32_ERR_HRP_CHAR:
    case BECH32_ERR_DATA_CHAR: return ADDRESS_ERR_INVALID_CHAR;
    case BECH32_ERR_MIXED_CASE: return ADDRESS_ERR_MIXED_CASE;
    case BECH32_ERR_CHECKSUM: return ADDRESS_ERR_BAD_CHECKSUM;
    case BECH32_ERR_WRONG_HRP: return ADDRESS_ERR_WRONG_NETWORK;
    case BECH32_ERR_EMPTY_DATA: return ADDRESS_ERR_EMPTY_DATA;
    case BECH32_ERR_WITNESS_VERSION: return ADDRESS_ERR_WITNESS_VERSION;
    case BECH32_ERR_PADDING: return ADDRESS_ERR_PADDING;
    case BECH32_ERR_PROGRAM_LENGTH:
    case BECH32_ERR_V0_LENGTH: return ADDRESS_ERR_PROGRAM_LENGTH;
    case BECH32_ERR_WRONG_ENCODING: return ADDRESS_ERR_WRONG_ENCODING;
    }
    return ADDRESS_ERR_BAD_FORMAT;
}

/* Errors bech32_decode gives for strings that are not valid bech32 at all; the others
 * come after the checksum matched. */
static bool bech32_string_error(enum bech32_error e)
{
    return e >= BECH32_ERR_TOO_LONG && e <= BECH32_ERR_CHECKSUM;
}

/* If script is a witness program, sets *version and *prog / *prog_len (pointing into
 * script) and returns true. */
static bool witness_program(const uint8_t *script, size_t len, int *version,
                            const uint8_t **prog, size_t *prog_len)
{
    if (len < 2 + BECH32_PROGRAM_MIN || len > 2 + BECH32_PROGRAM_MAX) return false;
    if (script[0] != OP_0 && (script[0] < OP_1 || script[0] > OP_16)) return false;
    if ((size_t)script[1] + 2 != len) return false;
    *version = script[0] == OP_0 ? 0 : script[0] - OP_1 + 1;
    *prog = script + 2;
    *prog_len = len - 2;
    return true;
}

enum address_type address_script_type(const uint8_t *script, size_t len)
{
    if (len == P2PKH_LEN && script[0] == OP_DUP && script[1] == OP_HASH160 &&
        script[2] == HASH_LEN && script[23] == OP_EQUALVERIFY && script[24] == OP_CHECKSIG)
        return ADDRESS_P2PKH;
    if (len == P2SH_LEN && script[0] == OP_HASH160 && script[1] == HASH_LEN &&
        script[22] == OP_EQUAL)
        return ADDRESS_P2SH;
    int version;
    const uint8_t *prog;
    size_t prog_len;
    if (!witness_program(script, len, &version, &prog, &prog_len)) return ADDRESS_NONE;
    if (version == 0) {
        if (prog_len == WITNESS_V0_KEYHASH_SIZE) return ADDRESS_P2WPKH;
        if (prog_len == WITNESS_V0_SCRIPTHASH_SIZE) return ADDRESS_P2WSH;
        return ADDRESS_NONE;
    }
    if (version == 1 && prog_len == WITNESS_V1_TAPROOT_SIZE) return ADDRESS_P2TR;
    return ADDRESS_WITNESS_UNKNOWN;
}

static enum address_error encode_base58(char out[ADDRESS_MAX_LEN + 1], uint8_t version,
                                        const uint8_t hash[HASH_LEN])
{
    uint8_t payload[1 + HASH_LEN];
    payload[0] = version;
    memcpy(payload + 1, hash, HASH_LEN);
    return base58check_encode(out, ADDRESS_MAX_LEN + 1, payload, sizeof(payload))
               ? ADDRESS_OK
               : ADDRESS_ERR_BAD_PARAMS;
}

enum address_error address_encode(char out[ADDRESS_MAX_LEN + 1], const struct address_params *p,
                                  const uint8_t *script, size_t script_len)
{
    out[0] = '\0';
    switch (address_script_type(script, script_len)) {
    case ADDRESS_NONE: return ADDRESS_ERR_NO_ADDRESS;
    case ADDRESS_P2PKH: return encode_base58(out, p->p2pkh_version, script + 3);
    case ADDRESS_P2SH: return encode_base58(out, p->p2sh_version, script + 2);
    case ADDRESS_P2WPKH:
    case ADDRESS_P2WSH:
    case ADDRESS_P2TR:
    case ADDRESS_WITNESS_UNKNOWN: break;
    }
    int version;
    const uint8_t *prog;
    size_t prog_len;
    if (!witness_program(script, script_len, &version, &prog, &prog_len))
        return ADDRESS_ERR_NO_ADDRESS; /* unreachable: classified as witness above */
    if (!p->bech32_hrp || !bech32_segwit_encode(out, p->bech32_hrp, version, prog, prog_len))
        return ADDRESS_ERR_BAD_PARAMS;
    return ADDRESS_OK;
}

/* The scriptPubKey of a valid segwit program. */
static size_t witness_script(uint8_t script[ADDRESS_MAX_SCRIPT_LEN], int version,
                             const uint8_t *prog, size_t prog_len)
{
    script[0] = version == 0 ? OP_0 : (uint8_t)(OP_1 + version - 1);
    script[1] = (uint8_t)prog_len;
    memcpy(script + 2, prog, prog_len);
    return prog_len + 2;
}

/* Lower-case comparison of the start of str with hrp followed by the separator. */
static bool has_hrp_prefix(const char *str, const char *hrp)
{
    size_t n = strlen(hrp);
    for (size_t i = 0; i < n; i++) {
        char c = str[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != hrp[i]) return false; /* also stops at the end of str */
    }
    return str[n] == '1';
}

enum address_error address_decode(uint8_t script[ADDRESS_MAX_SCRIPT_LEN], size_t *script_len,
                                  enum address_type *type, const struct address_params *p,
                                  const char *str)
{
    *script_len = 0;
    if (type) *type = ADDRESS_NONE;
    const char *hrp = p->bech32_hrp ? p->bech32_hrp : "";

    int version;
    uint8_t prog[BECH32_PROGRAM_MAX];
    size_t prog_len;
    enum bech32_error be = bech32_segwit_decode(&version, prog, &prog_len, hrp, str);
    if (be == BECH32_OK) {
        *script_len = witness_script(script, version, prog, prog_len);
        if (type) *type = address_script_type(script, *script_len);
        return ADDRESS_OK;
    }
    if (!bech32_string_error(be)) return from_bech32(be); /* a bech32 string, but wrong */

    uint8_t payload[1 + HASH_LEN + 1];
    size_t len;
    enum base58_result br = base58check_decode(payload, sizeof(payload), &len, str);
    if (br == BASE58_OK) {
        if (len != 1 + HASH_LEN) return ADDRESS_ERR_BAD_LENGTH;
        if (payload[0] == p->p2pkh_version) {
            script[0] = OP_DUP;
            script[1] = OP_HASH160;
            script[2] = HASH_LEN;
            memcpy(script + 3, payload + 1, HASH_LEN);
            script[23] = OP_EQUALVERIFY;
            script[24] = OP_CHECKSIG;
            *script_len = P2PKH_LEN;
            if (type) *type = ADDRESS_P2PKH;
            return ADDRESS_OK;
        }
        if (payload[0] == p->p2sh_version) {
            script[0] = OP_HASH160;
            script[1] = HASH_LEN;
            memcpy(script + 2, payload + 1, HASH_LEN);
            script[22] = OP_EQUAL;
            *script_len = P2SH_LEN;
            if (type) *type = ADDRESS_P2SH;
            return ADDRESS_OK;
        }
        return ADDRESS_ERR_WRONG_NETWORK;
    }

    /* Neither: report the failure of the encoding the string looks like. Our own
     * prefix means bech32; otherwise a string Base58 rejects for its characters but
     * bech32 only for its data or checksum is a damaged bech32 address of any network. */
    if (*hrp && has_hrp_prefix(str, hrp)) return from_bech32(be);
    if (br == BASE58_INVALID_CHAR &&
        (be == BECH32_ERR_TOO_SHORT || be == BECH32_ERR_DATA_CHAR || be == BECH32_ERR_CHECKSUM))
        return from_bech32(be);
    return from_base58(br);
}

bool wif_encode(char out[WIF_MAX_LEN + 1], const struct address_params *p,
                const uint8_t key[32], bool compressed)
{
    out[0] = '\0';
    if (!secp256k1_ec_seckey_verify(secp256k1_context_static, key)) return false;
    uint8_t payload[1 + WIF_KEY_LEN + 1];
    size_t len = 1 + WIF_KEY_LEN;
    payload[0] = p->wif_version;
    memcpy(payload + 1, key, WIF_KEY_LEN);
    if (compressed) payload[len++] = WIF_COMPRESSED_FLAG;
    bool ok = base58check_encode(out, WIF_MAX_LEN + 1, payload, len);
    wipe(payload, sizeof(payload));
    return ok;
}

enum address_error wif_decode(uint8_t key[32], bool *compressed, const struct address_params *p,
                              const char *str)
{
    memset(key, 0, WIF_KEY_LEN);
    *compressed = false;
    uint8_t payload[1 + WIF_KEY_LEN + 1];
    size_t len;
    enum address_error e = from_base58(base58check_decode(payload, sizeof(payload), &len, str));
    if (e != ADDRESS_OK) goto done;
    if (len != 1 + WIF_KEY_LEN &&
        !(len == 2 + WIF_KEY_LEN && payload[1 + WIF_KEY_LEN] == WIF_COMPRESSED_FLAG)) {
        e = ADDRESS_ERR_BAD_LENGTH;
        goto done;
    }
    if (payload[0] != p->wif_version) {
        e = ADDRESS_ERR_WRONG_NETWORK;
        goto done;
    }
    if (!secp256k1_ec_seckey_verify(secp256k1_context_static, payload + 1)) {
        e = ADDRESS_ERR_INVALID_KEY;
        goto done;
    }
    memcpy(key, payload + 1, WIF_KEY_LEN);
    *compressed = len == 2 + WIF_KEY_LEN;
done:
    wipe(payload, sizeof(payload));
    return e;
}
