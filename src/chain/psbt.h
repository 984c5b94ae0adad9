/* Partially Signed Bitcoin Transactions, version 0 (BIP174, with the Taproot fields of
 * BIP371): the data model, a parser of untrusted bytes, the serializer, base64, and the
 * roles that need no private key: combiner, finalizer, extractor and the analysis
 * behind Core's analyzepsbt.
 *
 * Model. A struct psbt owns its unsigned transaction and one struct psbt_input /
 * struct psbt_output per input / output of it. Fields that occur at most once are plain
 * members; fields that are maps (partial signatures, derivation paths, preimages,
 * Taproot script signatures, leaf scripts, proprietary and unknown pairs, ...) are kept
 * as a struct psbt_map of raw key-value pairs, each already checked by the parser, in
 * the order Bitcoin Core serializes them. Unknown and proprietary pairs are therefore
 * re-serialized byte for byte.
 *
 * Serialization is Core's: fields in its fixed order, empty optional fields left out,
 * and for an input that has a final scriptSig or witness everything needed only before
 * finalizing (partial signatures, sighash, scripts, derivations, preimages, Taproot
 * signing data) left out. A PSBT that Core wrote therefore round-trips byte-exact.
 *
 * Errors. Parsing reports Core's message ("Duplicate Key, input redeemScript already
 * provided", "Separator is missing at the end of an input map", ...) into a caller's
 * buffer; RPC prefixes it with "TX decode failed ". No function here keeps state. */
#ifndef IOP_CHAIN_PSBT_H
#define IOP_CHAIN_PSBT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/tx.h"

#define PSBT_WU __attribute__((warn_unused_result))

/* Key types (BIP174 / BIP371). */
#define PSBT_GLOBAL_UNSIGNED_TX 0x00
#define PSBT_GLOBAL_XPUB        0x01
#define PSBT_GLOBAL_VERSION     0xfb
#define PSBT_GLOBAL_PROPRIETARY 0xfc

#define PSBT_IN_NON_WITNESS_UTXO     0x00
#define PSBT_IN_WITNESS_UTXO         0x01
#define PSBT_IN_PARTIAL_SIG          0x02
#define PSBT_IN_SIGHASH              0x03
#define PSBT_IN_REDEEMSCRIPT         0x04
#define PSBT_IN_WITNESSSCRIPT        0x05
#define PSBT_IN_BIP32_DERIVATION     0x06
#define PSBT_IN_SCRIPTSIG            0x07
#define PSBT_IN_SCRIPTWITNESS        0x08
#define PSBT_IN_RIPEMD160            0x0a
#define PSBT_IN_SHA256               0x0b
#define PSBT_IN_HASH160              0x0c
#define PSBT_IN_HASH256              0x0d
#define PSBT_IN_TAP_KEY_SIG          0x13
#define PSBT_IN_TAP_SCRIPT_SIG       0x14
#define PSBT_IN_TAP_LEAF_SCRIPT      0x15
#define PSBT_IN_TAP_BIP32_DERIVATION 0x16
#define PSBT_IN_TAP_INTERNAL_KEY     0x17
#define PSBT_IN_TAP_MERKLE_ROOT      0x18
#define PSBT_IN_PROPRIETARY          0xfc

#define PSBT_OUT_REDEEMSCRIPT         0x00
#define PSBT_OUT_WITNESSSCRIPT        0x01
#define PSBT_OUT_BIP32_DERIVATION     0x02
#define PSBT_OUT_TAP_INTERNAL_KEY     0x05
#define PSBT_OUT_TAP_TREE             0x06
#define PSBT_OUT_TAP_BIP32_DERIVATION 0x07
#define PSBT_OUT_PROPRIETARY          0xfc

/* The only PSBT version this module reads and writes. */
#define PSBT_HIGHEST_VERSION 0

/* Room for Core-style error messages. */
#define PSBT_ERR_MAX 160

/* One key-value pair. key is the whole key (type as CompactSize, then key data). */
struct psbt_pair {
    uint8_t *key;
    size_t key_len;
    uint8_t *value;
    size_t value_len;
};

/* How a map orders its pairs (Core's std::map key order for that field). */
enum psbt_order {
    PSBT_ORDER_KEY = 0, /* whole key bytes, lexicographic */
    PSBT_ORDER_KEYID,   /* HASH160 of the key data (partial signatures, keyed by CKeyID) */
    PSBT_ORDER_LEAF,    /* value as (script, leaf version), then key (Taproot leaf scripts) */
    PSBT_ORDER_ORIGIN,  /* value (fingerprint, path), then key (global xpubs) */
};

/* A sorted set of pairs with unique keys. */
struct psbt_map {
    struct psbt_pair *items;
    size_t count;
    size_t cap;
    enum psbt_order order;
};

struct psbt_input {
    struct tx *non_witness_utxo; /* owned, NULL when absent */
    bool has_witness_utxo;
    struct tx_out witness_utxo;   /* owns its script */
    struct psbt_map partial_sigs; /* key 02||pubkey, value DER signature with hash type */
    bool has_sighash;
    int32_t sighash;
    struct byte_vec redeem_script;  /* empty when absent */
    struct byte_vec witness_script; /* empty when absent */
    struct psbt_map bip32;          /* key 06||pubkey, value fingerprint||path */
    struct byte_vec final_script_sig;
    struct byte_vec *final_witness; /* NULL/0 when absent */
    size_t final_witness_count;
    struct psbt_map ripemd160, sha256, hash160, hash256; /* key type||hash, value preimage */
    struct byte_vec tap_key_sig;                         /* 64 or 65 bytes, empty if absent */
    struct psbt_map tap_script_sigs;  /* key 14||xonly||leaf hash, value signature */
    struct psbt_map tap_leaf_scripts; /* key 15||control block, value script||leaf version */
    struct psbt_map tap_bip32; /* key 16||xonly, value leaf hashes (vector) then origin */
    bool has_tap_internal_key;
    uint8_t tap_internal_key[32];
    bool has_tap_merkle_root;
    uint8_t tap_merkle_root[32];
    struct psbt_map proprietary;
    struct psbt_map unknown;
};

struct psbt_output {
    struct byte_vec redeem_script;
    struct byte_vec witness_script;
    struct psbt_map bip32;
    bool has_tap_internal_key;
    uint8_t tap_internal_key[32];
    struct byte_vec tap_tree; /* raw value: (depth, leaf version, script)... checked */
    struct psbt_map tap_bip32;
    struct psbt_map proprietary;
    struct psbt_map unknown;
};

struct psbt {
    struct tx tx;          /* the unsigned transaction: no scriptSig, no witness */
    struct psbt_map xpubs; /* key 01||78-byte xpub, value fingerprint||path */
    bool has_version;
    uint32_t version;
    struct psbt_map proprietary;
    struct psbt_map unknown;
    struct psbt_input *inputs;   /* tx.vin_count entries */
    struct psbt_output *outputs; /* tx.vout_count entries */
};

void psbt_init(struct psbt *p);
/* Frees everything p owns and re-initializes it; NULL is a no-op. */
void psbt_clear(struct psbt *p);

/* Makes p a PSBT for tx with empty maps. tx's scriptSigs and witnesses are dropped (as
 * Core's constructor does). False on out of memory (p then cleared). */
PSBT_WU bool psbt_from_tx(struct psbt *p, const struct tx *tx);

/* Parses a PSBT from untrusted bytes. Every length is checked against the bytes left
 * before anything is allocated. On failure returns false, *p is cleared and err (may
 * be NULL) holds Core's reason. Trailing bytes are an error ("extra data after
 * PSBT"). */
PSBT_WU bool psbt_parse(struct psbt *p, const uint8_t *data, size_t len,
                        char err[PSBT_ERR_MAX]);

/* Serializes p; returns a new buffer (caller frees) and its length, NULL on out of
 * memory. */
uint8_t *psbt_serialize(const struct psbt *p, size_t *len);

/* Deep copy into dst (which must own nothing). False on out of memory. */
PSBT_WU bool psbt_copy(struct psbt *dst, const struct psbt *src);

/* ---- base64 (RFC 4648, with padding) ---- */

/* Returns a new NUL-terminated string, NULL on out of memory. */
char *psbt_base64_encode(const uint8_t *data, size_t len);
/* Strict decoding as Core's DecodeBase64: length a multiple of 4, at most two '='
 * only at the end, zero padding bits, nothing outside the alphabet. Returns a new
 * buffer (caller frees; non-NULL even when empty) or NULL when invalid or out of
 * memory. */
uint8_t *psbt_base64_decode(const char *s, size_t *len);

/* Decodes base64 then parses. err gets "invalid base64" or the parser's reason. */
PSBT_WU bool psbt_from_base64(struct psbt *p, const char *b64, char err[PSBT_ERR_MAX]);
/* Serializes and encodes; NULL on out of memory. */
char *psbt_to_base64(const struct psbt *p);

/* ---- Roles ---- */

/* The output input `index` spends, from the non-witness UTXO (preferred, as Core) or
 * the witness UTXO. Borrowed from p; NULL when neither is present. */
const struct tx_out *psbt_input_utxo(const struct psbt *p, size_t index);

/* Core's PSBTInputSigned: the input has a final scriptSig or witness. */
bool psbt_input_is_final(const struct psbt_input *in);

/* Combiner: merges src into dst (Core's PartiallySignedTransaction::Merge): fields dst
 * lacks are copied, map pairs dst lacks are added. False with *mismatch set when the
 * unsigned transactions differ, false with !*mismatch on out of memory. */
PSBT_WU bool psbt_merge(struct psbt *dst, const struct psbt *src, bool *mismatch);

/* Finalizer for the standard scripts: P2PK, P2PKH, P2WPKH, P2SH-P2WPKH, bare/P2SH/P2WSH/
 * P2SH-P2WSH multisig (and P2PK/P2PKH inside P2SH/P2WSH), P2TR key path, and P2TR script
 * path for a leaf `<xonly> OP_CHECKSIG` with a script signature. An input is finalized
 * only when the result verifies under the standard script flags; then its signing data
 * is dropped. Inputs already final are left alone. Returns true when every input is
 * final afterwards. */
bool psbt_finalize(struct psbt *p);

/* Extractor: the network transaction with the final scriptSigs and witnesses. False
 * when an input is not final or on out of memory (*tx then cleared). */
PSBT_WU bool psbt_extract(const struct psbt *p, struct tx *tx);

/* Core's PSBTRole. */
enum psbt_role {
    PSBT_ROLE_CREATOR = 0,
    PSBT_ROLE_UPDATER,
    PSBT_ROLE_SIGNER,
    PSBT_ROLE_FINALIZER,
    PSBT_ROLE_EXTRACTOR,
};
/* "creator", "updater", "signer", "finalizer", "extractor". */
const char *psbt_role_name(enum psbt_role r);

#define PSBT_MAX_MISSING 20

/* What one input still needs (Core's PSBTInputAnalysis). Key ids are HASH160s of
 * public keys; missing scripts are given by their hash (HASH160 for a redeem script,
 * SHA-256 for a witness script). */
struct psbt_input_analysis {
    bool has_utxo;
    bool is_final;
    enum psbt_role next;
    uint8_t missing_pubkeys[PSBT_MAX_MISSING][20];
    size_t missing_pubkey_count;
    uint8_t missing_sigs[PSBT_MAX_MISSING][20];
    size_t missing_sig_count;
    bool missing_redeem_script;
    uint8_t redeem_script_hash[20];
    bool missing_witness_script;
    uint8_t witness_script_hash[32];
};

/* Core's PSBTAnalysis. inputs has one entry per input unless error is set. */
struct psbt_analysis {
    struct psbt_input_analysis *inputs; /* owned; psbt_analysis_clear frees */
    size_t input_count;
    bool has_vsize;
    size_t estimated_vsize;
    bool has_feerate;
    int64_t feerate; /* sat per 1000 vbytes */
    bool has_fee;
    int64_t fee;
    enum psbt_role next;
    char error[PSBT_ERR_MAX]; /* empty when valid */
};

/* Analyzes p (Core's AnalyzePSBT). bytes_per_sigop is -bytespersigop for the size
 * estimate. False only on out of memory. */
PSBT_WU bool psbt_analyze(const struct psbt *p, unsigned bytes_per_sigop,
                          struct psbt_analysis *out);
void psbt_analysis_clear(struct psbt_analysis *a);

/* ---- Reading map pairs (for RPC output) ---- */

/* The key data after a one-byte type. */
static inline const uint8_t *psbt_pair_keydata(const struct psbt_pair *pr)
{
    return pr->key + 1;
}

/* A key origin (fingerprint and path) from raw bytes: len must be a non-zero multiple
 * of 4; path is written to path[0 .. (len-4)/4). */
void psbt_origin_decode(const uint8_t *data, size_t len, uint8_t fingerprint[4],
                        uint32_t *path);

/* Splits a Taproot BIP32 value into its leaf hashes and origin; false if malformed
 * (never for a value the parser accepted). */
bool psbt_tap_bip32_split(const uint8_t *value, size_t len, const uint8_t **hashes,
                          size_t *hash_count, const uint8_t **origin, size_t *origin_len);

/* Iterates the leaves of a tap tree value: call with *pos = 0 until it returns false.
 * Never reads past len. */
bool psbt_tap_tree_next(const uint8_t *tree, size_t len, size_t *pos, uint8_t *depth,
                        uint8_t *leaf_version, const uint8_t **script, size_t *script_len);

/* Splits a proprietary key (type 0xfc): identifier, subtype and key data. */
bool psbt_proprietary_split(const uint8_t *key, size_t key_len, const uint8_t **ident,
                            size_t *ident_len, uint64_t *subtype, const uint8_t **keydata,
                            size_t *keydata_len);

/* ---- Editing (for RPC and tests) ---- */

/* Inserts a pair (copies key and value). Returns 1 when added, 0 when a pair with an
 * equal key is present (nothing changes), -1 on out of memory. */
int psbt_map_insert(struct psbt_map *m, const uint8_t *key, size_t key_len,
                    const uint8_t *value, size_t value_len);
void psbt_map_clear(struct psbt_map *m);

/* Adds a partial signature for pubkey (33 or 65 bytes); see psbt_map_insert. */
int psbt_input_add_partial_sig(struct psbt_input *in, const uint8_t *pubkey, size_t pubkey_len,
                               const uint8_t *sig, size_t sig_len);

/* Sets the input's witness UTXO (copy). False on out of memory. */
PSBT_WU bool psbt_input_set_witness_utxo(struct psbt_input *in, const struct tx_out *out);

/* Core's AddInput: appends input idx of src (outpoint, sequence and its PSBT record) to
 * dst. False with *dup set when dst already spends that outpoint, false with !*dup on
 * out of memory. */
PSBT_WU bool psbt_add_input(struct psbt *dst, const struct psbt *src, size_t idx, bool *dup);
/* Core's AddOutput: appends output idx of src and its record. False on out of memory. */
PSBT_WU bool psbt_add_output(struct psbt *dst, const struct psbt *src, size_t idx);
/* Adds the global xpubs and unknown pairs of src that dst lacks (joinpsbts). */
PSBT_WU bool psbt_merge_globals(struct psbt *dst, const struct psbt *src);
/* Adds only the global unknown pairs of src that dst lacks. */
PSBT_WU bool psbt_merge_unknown(struct psbt *dst, const struct psbt *src);

/* Core's RemoveUnnecessaryTransactions for SIGHASH_ALL: when every input has a witness
 * UTXO of witness version 1 or higher, drop the non-witness UTXOs. */
void psbt_remove_unnecessary_transactions(struct psbt *p);

#endif
