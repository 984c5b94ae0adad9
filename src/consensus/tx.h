/* Transactions: the in-memory form, Bitcoin's serialization with and without witness
 * (BIP144), txid, wtxid, sizes and weight.
 *
 * A struct tx owns every buffer it points to; tx_clear frees them. Scripts and witness
 * items are separate heap buffers so a transaction can be edited in place by tests and
 * wallets. */
#ifndef IOP_CONSENSUS_TX_H
#define IOP_CONSENSUS_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"

#define COIN 100000000LL
/* No amount may exceed this (Bitcoin's MAX_MONEY; iop's supply stays below it). */
#define MAX_MONEY (21000000LL * COIN)
#define WITNESS_SCALE_FACTOR 4
#define SEQUENCE_FINAL 0xffffffffu

struct byte_vec {
    uint8_t *data;
    size_t len;
};

struct outpoint {
    uint256 hash;
    uint32_t n;
};

struct tx_in {
    struct outpoint prevout;
    uint8_t *script_sig;
    size_t script_sig_len;
    uint32_t sequence;
    struct byte_vec *witness; /* witness stack, bottom first */
    size_t witness_count;
};

struct tx_out {
    int64_t value;
    uint8_t *script_pubkey;
    size_t script_pubkey_len;
};

struct tx {
    int32_t version;
    struct tx_in *vin;
    size_t vin_count;
    struct tx_out *vout;
    size_t vout_count;
    uint32_t locktime;
};

void tx_init(struct tx *tx);
/* Frees everything the transaction owns and re-initializes it; NULL is a no-op. */
void tx_clear(struct tx *tx);
/* Deep copy into dst (which must not own anything). False on out of memory. */
__attribute__((warn_unused_result)) bool tx_copy(struct tx *dst, const struct tx *src);

/* Reads one transaction. allow_witness selects BIP144 parsing (a zero marker byte
 * followed by flags). On failure returns false with *tx cleared and the reader failed.
 * Never allocates more than the bytes present can justify. */
__attribute__((warn_unused_result)) bool tx_deserialize(struct reader *r, struct tx *tx,
                                                        bool allow_witness);
/* Parses a whole buffer: fails if bytes are left over. */
__attribute__((warn_unused_result)) bool tx_from_bytes(struct tx *tx, const uint8_t *data,
                                                       size_t len, bool allow_witness);
/* Writes the transaction; with_witness writes the BIP144 form when any input has one. */
void tx_serialize(struct writer *w, const struct tx *tx, bool with_witness);

bool tx_has_witness(const struct tx *tx);
void tx_txid(const struct tx *tx, uint256 *out);
void tx_wtxid(const struct tx *tx, uint256 *out);
size_t tx_size(const struct tx *tx, bool with_witness);
/* BIP141 weight: 3 * stripped size + total size. */
size_t tx_weight(const struct tx *tx);
bool tx_is_coinbase(const struct tx *tx);
bool outpoint_is_null(const struct outpoint *o);

/* Replaces an input's scriptSig or an output's scriptPubKey with a copy of data. */
__attribute__((warn_unused_result)) bool tx_set_script_sig(struct tx_in *in,
                                                           const uint8_t *data, size_t len);
__attribute__((warn_unused_result)) bool tx_set_script_pubkey(struct tx_out *out,
                                                              const uint8_t *data,
                                                              size_t len);
/* Resizes vin/vout; new entries are zeroed with sequence SEQUENCE_FINAL. */
__attribute__((warn_unused_result)) bool tx_resize(struct tx *tx, size_t vin_count,
                                                   size_t vout_count);
void tx_in_clear_witness(struct tx_in *in);

#endif
