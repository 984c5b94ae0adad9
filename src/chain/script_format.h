/* Scripts and transactions as Bitcoin Core's RPC shows them.
 *
 * Core's core_write.cpp and descriptor inference, rewritten for our types: the "asm"
 * text of a script (ScriptToAsmStr), the output descriptor Core infers for a
 * scriptPubKey without any wallet knowledge (InferDescriptor with an empty signing
 * provider) with its BIP380 checksum, the decoded-script object (ScriptToUniv) and the
 * decoded-transaction object (TxToUniv, as decoderawtransaction shows it). Addresses
 * are encoded with the network's struct address_params.
 *
 * Amounts: Core prints them as JSON numbers with exactly 8 decimals ("0.00012345").
 * jansson can only print a real with "%.17g" (JSON_REAL_PRECISION changes the digit
 * count, never the notation), so amount_to_json gives the nearest double, which every
 * JSON parser reads back as the same number, and amount_format gives Core's exact text
 * for code that writes it itself. doc/rpc.md explains the choice. */
#ifndef IOP_CHAIN_SCRIPT_FORMAT_H
#define IOP_CHAIN_SCRIPT_FORMAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/address.h"
#include "consensus/tx.h"
#include "util/rpc_method.h"

/* Length of a descriptor checksum, without the NUL. */
#define DESCRIPTOR_CHECKSUM_LEN 8

/* Longest amount text amount_format writes, with the NUL ("-92233720368.54775808"). */
#define AMOUNT_TEXT_MAX 24

/* Core's ScriptToAsmStr: opcodes by name, pushes of at most 4 bytes as decimal numbers
 * (CScriptNum, not minimally checked), longer pushes in hex, "[error]" at a truncated
 * push. With decode_sighash (used for scriptSigs), a push that is a strictly encoded
 * signature with a defined hash type is shown as hex without its last byte followed by
 * "[ALL]", "[NONE|ANYONECANPAY]", ...; never for an unspendable (OP_RETURN) script.
 * Returns a new string (caller frees) or NULL when out of memory. */
char *script_to_asm(const uint8_t *script, size_t len, bool decode_sighash);

/* BIP380: the checksum of descriptor text desc (without '#'). Writes 8 characters and a
 * NUL to out. False when desc has a character outside the descriptor alphabet. */
__attribute__((warn_unused_result)) bool
descriptor_checksum(char out[DESCRIPTOR_CHECKSUM_LEN + 1], const char *desc);

/* True when desc is "TEXT#CHECKSUM" with the right checksum for TEXT. */
bool descriptor_checksum_valid(const char *desc);

/* The descriptor Core infers for scriptPubKey script without keys or scripts to look
 * up: pk(KEY), multi(M,KEYS...), rawtr(XONLY) for a Taproot output whose key is on the
 * curve, addr(ADDRESS) for every other script with an address, raw(HEX) otherwise;
 * followed by '#' and the checksum. Returns a new string or NULL when out of memory. */
char *script_infer_descriptor(const uint8_t *script, size_t len,
                              const struct address_params *p);

/* Core's ScriptToUniv: {"asm", "desc" (with include_address), "hex" (with
 * include_hex), "address" (when the script has one and is not bare pubkey), "type"}.
 * NULL when out of memory. */
json_t *script_to_json(const uint8_t *script, size_t len, const struct address_params *p,
                       bool include_hex, bool include_address);

/* Core's TxToUniv as decoderawtransaction shows it: txid, hash, version, size, vsize,
 * weight, locktime, vin (coinbase or txid/vout/scriptSig, txinwitness, sequence) and
 * vout (value, n, scriptPubKey). NULL when out of memory. */
json_t *tx_to_json(const struct tx *tx, const struct address_params *p);

/* Core's FormatMoney for RPC (ValueFromAmount): sign, whole coins, '.', 8 digits. */
void amount_format(char out[AMOUNT_TEXT_MAX], int64_t amount);

/* amount as a JSON real (the nearest double to amount / 10^8). */
json_t *amount_to_json(int64_t amount);

/* Core's ParseFixedPoint(text, 8): a decimal number with optional '-', fraction and
 * exponent, at most 8 decimals and below 10^10 in magnitude, into satoshis. */
__attribute__((warn_unused_result)) bool amount_parse(const char *text, int64_t *out);

/* Core's AmountFromValue for RPC arguments: a JSON number or string of at most 8
 * decimals, 0..MAX_MONEY, into satoshis. Fails with -3 "Invalid amount", "Amount is not
 * a number or string" or "Amount out of range". jansson keeps no number text, so a real
 * is rendered with 8 decimals and must read back as the same double. */
__attribute__((warn_unused_result)) bool amount_from_json(const json_t *v, int64_t *out,
                                                          struct rpc_error *err);

#endif
