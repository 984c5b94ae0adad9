/* The wallet as a BIP174 updater and signer (Bitcoin Core's FillPSBT for our three
 * descriptor types), used by walletcreatefundedpsbt, walletprocesspsbt and send with
 * psbt=true.
 *
 * For every input whose previous transaction the wallet knows, wallet_psbt_fill adds the
 * UTXO (the whole previous transaction as non-witness UTXO, and the spent output as
 * witness UTXO for SegWit scripts; non-witness UTXOs are then dropped when every input
 * is Taproot, as Core does). For inputs and outputs paying the wallet's scripts it adds,
 * with bip32derivs, the key origin: PSBT_IN/OUT_BIP32_DERIVATION (pubkey -> fingerprint
 * and path) for pkh and wpkh, PSBT_IN/OUT_TAP_BIP32_DERIVATION (x-only key, no leaf
 * hashes) and the Taproot internal key for tr. With sign it signs the inputs it can:
 * ECDSA partial signatures for P2PKH (legacy sighash) and P2WPKH (BIP143), a key-path
 * Schnorr signature for P2TR (BIP341 with the BIP86 tweak; needs every input's UTXO).
 * Inputs that are already final are left alone. With finalize the standard finalizer
 * runs afterwards.
 *
 * Locks: the caller holds the wallet's lock. No key leaves this module; copies are
 * wiped. */
#ifndef IOP_WALLET_WALLET_PSBT_H
#define IOP_WALLET_WALLET_PSBT_H

#include <stdbool.h>
#include <stddef.h>

#include "chain/psbt.h"
#include "wallet/wallet.h"

enum wallet_psbt_error {
    WALLET_PSBT_OK = 0,
    WALLET_PSBT_UNLOCK_NEEDED,    /* sign asked on a locked wallet (-13) */
    WALLET_PSBT_SIGHASH_MISMATCH, /* an input asks for another sighash type (-22) */
    WALLET_PSBT_FAILED,           /* out of memory, key derivation or signing failure */
};

/* Parses Core's sighashtype names: "DEFAULT", "ALL", "NONE", "SINGLE", and the last three
 * with "|ANYONECANPAY". False for anything else. */
bool wallet_psbt_parse_sighash(const char *s, int *out);

/* Updates (and with sign, signs; with finalize, finalizes) p as described at the top.
 * sighash is the type to sign with (SIGHASH_DEFAULT signs ECDSA inputs with
 * SIGHASH_ALL). *complete is true when every input is final or could be finalized now.
 * err gets a message on failure (never key material). */
__attribute__((warn_unused_result)) enum wallet_psbt_error
wallet_psbt_fill(struct wallet *w, struct psbt *p, bool sign, int sighash, bool bip32derivs,
                 bool finalize, bool *complete, char *err, size_t errlen);

#endif
