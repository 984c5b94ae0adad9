/* Addresses and WIF secret keys: the text forms users copy around, converted to and
 * from the scriptPubKey (or key) they stand for.
 *
 * Which prefixes a network uses is data, struct address_params, filled in per chain by
 * src/chain/chainparams.c; nothing here knows a network name. Forms, as in Bitcoin Core:
 *
 *   P2PKH   OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG   Base58Check(p2pkh || hash)
 *   P2SH    OP_HASH160 <20> OP_EQUAL                            Base58Check(p2sh || hash)
 *   P2WPKH  OP_0 <20>                                           bech32, witness v0
 *   P2WSH   OP_0 <32>                                           bech32, witness v0
 *   P2TR    OP_1 <32>                                           bech32m, witness v1
 *   future  OP_1..OP_16 <2..40 bytes> (not v1/32)               bech32m, witness v1..16
 *
 * WIF is Base58Check(wif_version || key32 [|| 0x01 if the public key is compressed]).
 *
 * Decoding reports why a string is not an address of this network: the checksum, the
 * length, a character, or ADDRESS_ERR_WRONG_NETWORK for a well-formed string (valid
 * checksum and shape) whose version byte or bech32 prefix is not this network's, e.g. a
 * testnet address given to a mainnet node. */
#ifndef IOP_CONSENSUS_ADDRESS_H
#define IOP_CONSENSUS_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The prefixes of one network. Multi-byte versions are written big-endian. */
struct address_params {
    uint8_t p2pkh_version;    /* Base58Check version byte of P2PKH addresses */
    uint8_t p2sh_version;     /* Base58Check version byte of P2SH addresses */
    uint8_t wif_version;      /* Base58Check version byte of WIF secret keys */
    const char *bech32_hrp;   /* segwit address prefix, lower case ("iop") */
    uint32_t xpub_version;    /* BIP32 serialized public key version */
    uint32_t xprv_version;    /* BIP32 serialized private key version */
    uint32_t bip44_coin_type; /* SLIP-44 coin type, unhardened value */
};

/* Longest address string, without the NUL (a bech32 string). */
#define ADDRESS_MAX_LEN 90
/* Longest scriptPubKey an address stands for: OP_n <40-byte program>. */
#define ADDRESS_MAX_SCRIPT_LEN 42
/* Longest WIF string, without the NUL (a compressed key is 52 characters). */
#define WIF_MAX_LEN 52

enum address_type {
    ADDRESS_NONE = 0,
    ADDRESS_P2PKH,
    ADDRESS_P2SH,
    ADDRESS_P2WPKH,
    ADDRESS_P2WSH,
    ADDRESS_P2TR,
    ADDRESS_WITNESS_UNKNOWN, /* witness v1 with another length than 32, or v2..v16 */
};

enum address_error {
    ADDRESS_OK = 0,
    ADDRESS_ERR_INVALID_CHAR,    /* a character no encoding allows here */
    ADDRESS_ERR_MIXED_CASE,      /* bech32 with upper and lower case */
    ADDRESS_ERR_BAD_CHECKSUM,    /* Base58Check or bech32 checksum mismatch */
    ADDRESS_ERR_BAD_LENGTH,      /* too long, too short, or payload of wrong size */
    ADDRESS_ERR_BAD_FORMAT,      /* bech32 without separator or prefix */
    ADDRESS_ERR_WRONG_NETWORK,   /* well formed, but another network's prefix */
    ADDRESS_ERR_WITNESS_VERSION, /* witness version above 16 */
    ADDRESS_ERR_PROGRAM_LENGTH,  /* witness program not 2..40 bytes (20/32 for v0) */
    ADDRESS_ERR_WRONG_ENCODING,  /* v0 not bech32 or v1+ not bech32m */
    ADDRESS_ERR_PADDING,         /* bech32 data padding invalid */
    ADDRESS_ERR_EMPTY_DATA,      /* bech32 with no witness version */
    ADDRESS_ERR_NO_ADDRESS,      /* encode: the script has no address form */
    ADDRESS_ERR_INVALID_KEY,     /* WIF: key is 0 or not below the group order */
    ADDRESS_ERR_BAD_PARAMS,      /* encode: the params cannot produce an address */
};

/* Short English description of e ("bad checksum", "wrong network", ...); never NULL. */
const char *address_error_string(enum address_error e);

/* Classifies script (script_len bytes) into one of the forms above; ADDRESS_NONE when
 * it has none (bare multisig, OP_RETURN, witness v0 with a program of another size). */
enum address_type address_script_type(const uint8_t *script, size_t script_len);

/* Writes the address of scriptPubKey script under params p into out (NUL-terminated,
 * ADDRESS_MAX_LEN + 1 bytes). Returns ADDRESS_OK, ADDRESS_ERR_NO_ADDRESS when the
 * script has no address form, or ADDRESS_ERR_BAD_PARAMS (unusable HRP); out is empty on
 * failure. */
__attribute__((warn_unused_result)) enum address_error
address_encode(char out[ADDRESS_MAX_LEN + 1], const struct address_params *p,
               const uint8_t *script, size_t script_len);

/* Decodes the NUL-terminated address str under params p into the scriptPubKey it pays:
 * script (ADDRESS_MAX_SCRIPT_LEN bytes) and *script_len. type, if not NULL, receives the
 * form. Returns ADDRESS_OK or why str is not an address of this network; on failure
 * *script_len is 0 and *type ADDRESS_NONE. Base58 strings are case-sensitive; bech32
 * ones may be all upper case. */
__attribute__((warn_unused_result)) enum address_error
address_decode(uint8_t script[ADDRESS_MAX_SCRIPT_LEN], size_t *script_len,
               enum address_type *type, const struct address_params *p, const char *str);

/* Writes the WIF string of the 32-byte secret key under p into out (NUL-terminated,
 * WIF_MAX_LEN + 1 bytes), with the 0x01 suffix when compressed. Returns false (out
 * empty) when key is 0 or not below the secp256k1 group order. Work buffers are wiped;
 * the caller owns and should wipe out. */
__attribute__((warn_unused_result)) bool wif_encode(char out[WIF_MAX_LEN + 1],
                                                    const struct address_params *p,
                                                    const uint8_t key[32], bool compressed);

/* Decodes the WIF string str under p. Outputs key (32 bytes) and *compressed. Returns
 * ADDRESS_OK, ADDRESS_ERR_WRONG_NETWORK (valid WIF of another version byte),
 * ADDRESS_ERR_BAD_LENGTH (payload not 33 bytes, or 34 ending in 0x01),
 * ADDRESS_ERR_INVALID_KEY, or a Base58Check error. On failure key is zeroed. Work
 * buffers are wiped; the caller owns and should wipe key. */
__attribute__((warn_unused_result)) enum address_error
wif_decode(uint8_t key[32], bool *compressed, const struct address_params *p, const char *str);

#endif
