/* Signature hashes: legacy (pre-SegWit), BIP143 (SegWit v0) and BIP341/342 (Taproot),
 * plus the Taproot tree hashes (TapLeaf, TapBranch, TapTweak).
 *
 * The per-transaction parts of BIP143 and BIP341 hashes are computed once by
 * sighash_precompute and reused for every input. */
#ifndef IOP_CONSENSUS_SIGHASH_H
#define IOP_CONSENSUS_SIGHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/tx.h"

struct sighash_precomputed {
    /* BIP143: double SHA-256 of all prevouts, sequences and outputs. */
    bool bip143_ready;
    uint256 hash_prevouts, hash_sequence, hash_outputs;
    /* BIP341: single SHA-256 of the same, plus spent amounts and scripts. Only ready
     * when every spent output is known. */
    bool bip341_ready;
    uint256 prevouts_single, sequences_single, outputs_single;
    uint256 spent_amounts_single, spent_scripts_single;
    /* Borrowed: the outputs each input spends (tx->vin_count entries), or NULL. */
    const struct tx_out *spent_outputs;
};

/* Fills *pre for tx. spent_outputs (borrowed, must outlive *pre) is NULL when unknown:
 * then only the BIP143 part is ready. */
void sighash_precompute(struct sighash_precomputed *pre, const struct tx *tx,
                        const struct tx_out *spent_outputs);

/* Legacy signature hash (Core's SignatureHash with SigVersion::BASE). OP_CODESEPARATORs
 * are removed from script_code. Returns the hash of 1 (0x01 then 31 zeros) for an input
 * index out of range or SIGHASH_SINGLE without a matching output, as Bitcoin does. */
void sighash_legacy(uint256 *out, const uint8_t *script_code, size_t script_code_len,
                    const struct tx *tx, size_t in_index, int32_t hash_type);

/* BIP143 signature hash for SegWit v0. pre may be NULL (computed on the fly). */
void sighash_witness_v0(uint256 *out, const uint8_t *script_code, size_t script_code_len,
                        const struct tx *tx, size_t in_index, int32_t hash_type,
                        int64_t amount, const struct sighash_precomputed *pre);

/* BIP341 signature hash (TapSighash), key path (sigversion SIGVERSION_TAPROOT) or
 * tapscript (SIGVERSION_TAPSCRIPT, which uses execdata's tapleaf hash and code separator
 * position). Returns false for an undefined hash_type, SIGHASH_SINGLE without a
 * matching output, or pre lacking the BIP341 data. */
__attribute__((warn_unused_result)) bool sighash_taproot(
    uint256 *out, const struct tx *tx, size_t in_index, uint8_t hash_type,
    enum sig_version sigversion, const struct script_exec_data *execdata,
    const struct sighash_precomputed *pre);

/* TapLeaf hash of (leaf_version, script). */
void taproot_leaf_hash(uint256 *out, uint8_t leaf_version, const uint8_t *script,
                       size_t script_len);
/* TapBranch hash of two children, sorted as BIP341 requires. */
void taproot_branch_hash(uint256 *out, const uint256 *a, const uint256 *b);
/* TapTweak hash of an x-only internal key and an optional merkle root (NULL: key only). */
void taproot_tweak_hash(uint256 *out, const uint8_t internal_key[32],
                        const uint256 *merkle_root);
/* Merkle root from a control block's path (BIP341): starts from the leaf hash and
 * combines with each 32-byte node of control[33..]. */
void taproot_merkle_root(uint256 *out, const uint8_t *control, size_t control_len,
                         const uint256 *tapleaf_hash);

#endif
