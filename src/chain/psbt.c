/* PSBT v0 (see psbt.h).
 *
 * The parser walks the input once with a bounded reader: each key and value is a
 * CompactSize length followed by bytes, and the length is compared with what is left
 * before the bytes are looked at, so nothing is allocated that the input does not hold.
 * Known key types are checked (key length, value shape) as they are met and kept as
 * raw pairs in sorted maps; the serializer writes the maps back in Core's field order.
 * The finalizer builds scriptSig/witness for standard templates from the partial
 * signatures and keeps the result only if the interpreter accepts it. */
#include "chain/psbt.h"

#include <secp256k1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/policy.h"
#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/sighash.h"

static const uint8_t PSBT_MAGIC[5] = {'p', 's', 'b', 't', 0xff};

/* ---- small helpers ---- */

static bool fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, PSBT_ERR_MAX, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Core throws std::ios_base::failure, whose what() libstdc++ suffixes. */
#define IOFAIL(err, msg) fail(err, "%s: iostream error", msg)
#define END_OF_DATA      "DataStream::read(): end of data"

static void bv_free(struct byte_vec *v)
{
    free(v->data);
    v->data = NULL;
    v->len = 0;
}

static bool bv_set(struct byte_vec *v, const uint8_t *data, size_t len)
{
    uint8_t *d = malloc(len ? len : 1);
    if (!d) return false;
    if (len) memcpy(d, data, len);
    free(v->data);
    v->data = d;
    v->len = len;
    return true;
}

static void witness_free(struct byte_vec **items, size_t *count)
{
    for (size_t i = 0; i < *count; i++) free((*items)[i].data);
    free(*items);
    *items = NULL;
    *count = 0;
}

static bool witness_copy(struct byte_vec **dst, size_t *dst_count, const struct byte_vec *src,
                         size_t count)
{
    *dst = NULL;
    *dst_count = 0;
    if (count == 0) return true;
    struct byte_vec *v = calloc(count, sizeof *v);
    if (!v) return false;
    for (size_t i = 0; i < count; i++) {
        if (!bv_set(&v[i], src[i].data, src[i].len)) {
            size_t n = i;
            witness_free(&v, &n);
            return false;
        }
    }
    *dst = v;
    *dst_count = count;
    return true;
}

static bool is_zero32(const uint8_t *b)
{
    for (int i = 0; i < 32; i++)
        if (b[i]) return false;
    return true;
}

/* Core's CPubKey::IsFullyValid: right size for its first byte and on the curve. */
static bool pubkey_fully_valid(const uint8_t *pk, size_t len)
{
    if (!pubkey_is_valid_size(pk, len)) return false;
    secp256k1_pubkey key;
    return secp256k1_ec_pubkey_parse(secp256k1_context_static, &key, pk, len) == 1;
}

/* ---- maps ---- */

static int cmp_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int cmp_origin(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    /* Fingerprint bytes, then the path as a vector of uint32 values. */
    int c = memcmp(a, b, 4);
    if (c) return c;
    size_t na = (alen - 4) / 4, nb = (blen - 4) / 4;
    for (size_t i = 0; i < na && i < nb; i++) {
        uint32_t x = le32_read(a + 4 + 4 * i), y = le32_read(b + 4 + 4 * i);
        if (x != y) return x < y ? -1 : 1;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

static int pair_cmp(enum psbt_order order, const struct psbt_pair *a, const struct psbt_pair *b)
{
    int c;
    switch (order) {
    case PSBT_ORDER_KEYID: {
        uint8_t ha[20], hb[20];
        hash160(a->key + 1, a->key_len - 1, ha);
        hash160(b->key + 1, b->key_len - 1, hb);
        return memcmp(ha, hb, 20);
    }
    case PSBT_ORDER_LEAF:
        c = cmp_bytes(a->value, a->value_len - 1, b->value, b->value_len - 1);
        if (c) return c;
        if (a->value[a->value_len - 1] != b->value[b->value_len - 1])
            return a->value[a->value_len - 1] < b->value[b->value_len - 1] ? -1 : 1;
        return cmp_bytes(a->key, a->key_len, b->key, b->key_len);
    case PSBT_ORDER_ORIGIN:
        c = cmp_origin(a->value, a->value_len, b->value, b->value_len);
        if (c) return c;
        return cmp_bytes(a->key, a->key_len, b->key, b->key_len);
    case PSBT_ORDER_KEY:
    default: return cmp_bytes(a->key, a->key_len, b->key, b->key_len);
    }
}

/* Whether a pair with this key is present. For orders keyed by the key alone a binary
 * search finds it; the others are ordered by value, so they are scanned. */
static bool map_has_key(const struct psbt_map *m, const uint8_t *key, size_t key_len)
{
    if (m->order == PSBT_ORDER_KEY || m->order == PSBT_ORDER_KEYID) {
        struct psbt_pair probe = {(uint8_t *)key, key_len, NULL, 0};
        size_t lo = 0, hi = m->count;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = pair_cmp(m->order, &m->items[mid], &probe);
            if (c == 0) return true;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return false;
    }
    for (size_t i = 0; i < m->count; i++)
        if (m->items[i].key_len == key_len && memcmp(m->items[i].key, key, key_len) == 0)
            return true;
    return false;
}

int psbt_map_insert(struct psbt_map *m, const uint8_t *key, size_t key_len,
                    const uint8_t *value, size_t value_len)
{
    if (map_has_key(m, key, key_len)) return 0;
    struct psbt_pair p = {malloc(key_len ? key_len : 1), key_len,
                          malloc(value_len ? value_len : 1), value_len};
    if (!p.key || !p.value) goto oom;
    if (key_len) memcpy(p.key, key, key_len);
    if (value_len) memcpy(p.value, value, value_len);
    if (m->count == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 4;
        struct psbt_pair *items = realloc(m->items, cap * sizeof *items);
        if (!items) goto oom;
        m->items = items;
        m->cap = cap;
    }
    size_t lo = 0, hi = m->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pair_cmp(m->order, &m->items[mid], &p) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&m->items[lo + 1], &m->items[lo], (m->count - lo) * sizeof *m->items);
    m->items[lo] = p;
    m->count++;
    return 1;
oom:
    free(p.key);
    free(p.value);
    return -1;
}

void psbt_map_clear(struct psbt_map *m)
{
    for (size_t i = 0; i < m->count; i++) {
        free(m->items[i].key);
        free(m->items[i].value);
    }
    free(m->items);
    m->items = NULL;
    m->count = m->cap = 0;
}

/* Adds every pair of src that dst lacks. */
static bool map_merge(struct psbt_map *dst, const struct psbt_map *src)
{
    for (size_t i = 0; i < src->count; i++) {
        const struct psbt_pair *p = &src->items[i];
        if (psbt_map_insert(dst, p->key, p->key_len, p->value, p->value_len) < 0) return false;
    }
    return true;
}

/* ---- init / clear ---- */

static void input_init(struct psbt_input *in)
{
    memset(in, 0, sizeof *in);
    in->partial_sigs.order = PSBT_ORDER_KEYID;
    in->tap_leaf_scripts.order = PSBT_ORDER_LEAF;
}

static void input_clear_signing_data(struct psbt_input *in)
{
    psbt_map_clear(&in->partial_sigs);
    in->has_sighash = false;
    in->sighash = 0;
    bv_free(&in->redeem_script);
    bv_free(&in->witness_script);
    psbt_map_clear(&in->bip32);
    psbt_map_clear(&in->ripemd160);
    psbt_map_clear(&in->sha256);
    psbt_map_clear(&in->hash160);
    psbt_map_clear(&in->hash256);
    bv_free(&in->tap_key_sig);
    psbt_map_clear(&in->tap_script_sigs);
    psbt_map_clear(&in->tap_leaf_scripts);
    psbt_map_clear(&in->tap_bip32);
    in->has_tap_internal_key = false;
    in->has_tap_merkle_root = false;
}

static void input_clear(struct psbt_input *in)
{
    if (in->non_witness_utxo) {
        tx_clear(in->non_witness_utxo);
        free(in->non_witness_utxo);
    }
    free(in->witness_utxo.script_pubkey);
    input_clear_signing_data(in);
    bv_free(&in->final_script_sig);
    witness_free(&in->final_witness, &in->final_witness_count);
    psbt_map_clear(&in->proprietary);
    psbt_map_clear(&in->unknown);
    input_init(in);
}

static void output_init(struct psbt_output *out) { memset(out, 0, sizeof *out); }

static void output_clear(struct psbt_output *out)
{
    bv_free(&out->redeem_script);
    bv_free(&out->witness_script);
    psbt_map_clear(&out->bip32);
    bv_free(&out->tap_tree);
    psbt_map_clear(&out->tap_bip32);
    psbt_map_clear(&out->proprietary);
    psbt_map_clear(&out->unknown);
    output_init(out);
}

void psbt_init(struct psbt *p)
{
    memset(p, 0, sizeof *p);
    tx_init(&p->tx);
    p->xpubs.order = PSBT_ORDER_ORIGIN;
}

void psbt_clear(struct psbt *p)
{
    if (!p) return;
    if (p->inputs)
        for (size_t i = 0; i < p->tx.vin_count; i++) input_clear(&p->inputs[i]);
    if (p->outputs)
        for (size_t i = 0; i < p->tx.vout_count; i++) output_clear(&p->outputs[i]);
    free(p->inputs);
    free(p->outputs);
    psbt_map_clear(&p->xpubs);
    psbt_map_clear(&p->proprietary);
    psbt_map_clear(&p->unknown);
    tx_clear(&p->tx);
    psbt_init(p);
}

/* Allocates the per-input and per-output records for p->tx. */
static bool alloc_io(struct psbt *p)
{
    p->inputs = calloc(p->tx.vin_count ? p->tx.vin_count : 1, sizeof *p->inputs);
    p->outputs = calloc(p->tx.vout_count ? p->tx.vout_count : 1, sizeof *p->outputs);
    if (!p->inputs || !p->outputs) return false;
    for (size_t i = 0; i < p->tx.vin_count; i++) input_init(&p->inputs[i]);
    for (size_t i = 0; i < p->tx.vout_count; i++) output_init(&p->outputs[i]);
    return true;
}

bool psbt_from_tx(struct psbt *p, const struct tx *tx)
{
    psbt_init(p);
    if (!tx_copy(&p->tx, tx)) goto oom;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        struct tx_in *in = &p->tx.vin[i];
        free(in->script_sig);
        in->script_sig = NULL;
        in->script_sig_len = 0;
        tx_in_clear_witness(in);
    }
    if (!alloc_io(p)) goto oom;
    return true;
oom:
    psbt_clear(p);
    return false;
}

/* ---- parser ---- */

static bool rd_compact(struct reader *r, uint64_t *v, char *err)
{
    uint8_t b;
    if (!read_u8(r, &b)) return IOFAIL(err, END_OF_DATA);
    if (b < 253) {
        *v = b;
    } else if (b == 253) {
        uint16_t x;
        if (!read_u16(r, &x)) return IOFAIL(err, END_OF_DATA);
        if (x < 253) return IOFAIL(err, "non-canonical ReadCompactSize()");
        *v = x;
    } else if (b == 254) {
        uint32_t x;
        if (!read_u32(r, &x)) return IOFAIL(err, END_OF_DATA);
        if (x < 0x10000u) return IOFAIL(err, "non-canonical ReadCompactSize()");
        *v = x;
    } else {
        uint64_t x;
        if (!read_u64(r, &x)) return IOFAIL(err, END_OF_DATA);
        if (x < 0x100000000ull) return IOFAIL(err, "non-canonical ReadCompactSize()");
        *v = x;
    }
    if (*v > SER_MAX_SIZE) return IOFAIL(err, "ReadCompactSize(): size too large");
    return true;
}

/* A CompactSize length and that many bytes, borrowed from the reader. */
static bool rd_blob(struct reader *r, const uint8_t **data, size_t *len, char *err)
{
    uint64_t n;
    if (!rd_compact(r, &n, err)) return false;
    if (n > reader_remaining(r) || !read_borrow(r, data, (size_t)n))
        return IOFAIL(err, END_OF_DATA);
    *len = (size_t)n;
    return true;
}

#define VALUE_SIZE_MISMATCH "Size of value was not the stated size"

/* Core's DeserializeKeyOrigin length rule. */
static bool check_origin(size_t len, char *err)
{
    if (len % 4 || len == 0) return IOFAIL(err, "Invalid length for HD key path");
    return true;
}

/* A BIP32 derivation pair: key type||pubkey, value origin. */
static bool parse_bip32(struct psbt_map *m, const uint8_t *key, size_t key_len,
                        const uint8_t *val, size_t val_len, char *err)
{
    if (key_len != PUBKEY_UNCOMPRESSED_SIZE + 1 && key_len != PUBKEY_COMPRESSED_SIZE + 1)
        return IOFAIL(err, "Size of key was not the expected size for the type BIP32 keypath");
    if (!pubkey_fully_valid(key + 1, key_len - 1)) return IOFAIL(err, "Invalid pubkey");
    if (map_has_key(m, key, key_len))
        return IOFAIL(err, "Duplicate Key, pubkey derivation path already provided");
    if (!check_origin(val_len, err)) return false;
    return psbt_map_insert(m, key, key_len, val, val_len) >= 0 || fail(err, "out of memory");
}

bool psbt_tap_bip32_split(const uint8_t *value, size_t len, const uint8_t **hashes,
                          size_t *hash_count, const uint8_t **origin, size_t *origin_len)
{
    struct reader r;
    reader_init(&r, value, len);
    uint64_t n;
    if (!rd_compact(&r, &n, NULL) || n > reader_remaining(&r) / 32) return false;
    *hashes = value + r.pos;
    *hash_count = (size_t)n;
    size_t used = r.pos + 32 * (size_t)n;
    *origin = value + used;
    *origin_len = len - used;
    return true;
}

static int cmp_hash32(const void *a, const void *b) { return memcmp(a, b, 32); }

static bool tap_bip32_key_ok(const struct psbt_map *m, const uint8_t *key, size_t key_len,
                             bool input, char *err)
{
    if (map_has_key(m, key, key_len))
        return IOFAIL(err,
                      input ? "Duplicate Key, input Taproot BIP32 keypath already provided"
                            : "Duplicate Key, output Taproot BIP32 keypath already provided");
    if (key_len != 33)
        return IOFAIL(err, input ? "Input Taproot BIP32 keypath key is not at 33 bytes"
                                 : "Output Taproot BIP32 keypath key is not at 33 bytes");
    return true;
}

static bool parse_tap_bip32(struct psbt_map *m, const uint8_t *key, size_t key_len,
                            const uint8_t *val, size_t val_len, bool input, char *err)
{
    struct reader r;
    reader_init(&r, val, val_len);
    uint64_t n;
    if (!rd_compact(&r, &n, err)) return false;
    if (n > reader_remaining(&r) / 32)
        return IOFAIL(err, input ? "Input Taproot BIP32 keypath has an invalid length"
                                 : "Output Taproot BIP32 keypath has an invalid length");
    size_t used = r.pos + 32 * (size_t)n;
    if (!check_origin(val_len - used, err)) return false;
    /* Core keeps the leaf hashes in a std::set: sorted, duplicates dropped. */
    uint8_t *hashes = malloc(32 * (size_t)n + 1);
    if (!hashes) return fail(err, "out of memory");
    memcpy(hashes, val + r.pos, 32 * (size_t)n);
    qsort(hashes, (size_t)n, 32, cmp_hash32);
    size_t unique = 0;
    for (size_t i = 0; i < (size_t)n; i++)
        if (unique == 0 || memcmp(hashes + 32 * (unique - 1), hashes + 32 * i, 32) != 0)
            memmove(hashes + 32 * unique++, hashes + 32 * i, 32);
    struct writer w;
    writer_init(&w);
    write_compact_size(&w, unique);
    write_bytes(&w, hashes, 32 * unique);
    write_bytes(&w, val + used, val_len - used);
    free(hashes);
    bool ok = !w.failed && psbt_map_insert(m, key, key_len, w.data, w.len) >= 0;
    writer_free(&w);
    return ok || fail(err, "out of memory");
}

bool psbt_proprietary_split(const uint8_t *key, size_t key_len, const uint8_t **ident,
                            size_t *ident_len, uint64_t *subtype, const uint8_t **keydata,
                            size_t *keydata_len)
{
    struct reader r;
    reader_init(&r, key, key_len);
    uint64_t type;
    if (!rd_compact(&r, &type, NULL)) return false;
    if (!rd_blob(&r, ident, ident_len, NULL)) return false;
    if (!rd_compact(&r, subtype, NULL)) return false;
    *keydata = key + r.pos;
    *keydata_len = key_len - r.pos;
    return true;
}

/* Core parses the identifier and subtype out of a proprietary key, then checks for a
 * duplicate, before it reads the value. */
static bool prop_key_ok(const struct psbt_map *m, const uint8_t *key, size_t key_len, char *err)
{
    const uint8_t *ident, *kd;
    size_t ident_len, kd_len;
    uint64_t subtype;
    if (!psbt_proprietary_split(key, key_len, &ident, &ident_len, &subtype, &kd, &kd_len))
        return IOFAIL(err, "SpanReader::read(): end of data");
    if (map_has_key(m, key, key_len))
        return IOFAIL(err, "Duplicate Key, proprietary key already found");
    return true;
}

static bool parse_proprietary(struct psbt_map *m, const uint8_t *key, size_t key_len,
                              const uint8_t *val, size_t val_len, char *err)
{
    return psbt_map_insert(m, key, key_len, val, val_len) >= 0 || fail(err, "out of memory");
}

static bool parse_unknown(struct psbt_map *m, const uint8_t *key, size_t key_len,
                          const uint8_t *val, size_t val_len, char *err)
{
    if (map_has_key(m, key, key_len))
        return IOFAIL(err, "Duplicate Key, key for unknown value already provided");
    return psbt_map_insert(m, key, key_len, val, val_len) >= 0 || fail(err, "out of memory");
}

/* A whole transaction in a value (non-witness UTXO, unsigned tx). */
static bool parse_tx_value(struct tx *tx, const uint8_t *val, size_t len, bool witness,
                           char *err)
{
    struct reader r;
    reader_init(&r, val, len);
    if (!tx_deserialize(&r, tx, witness)) return IOFAIL(err, END_OF_DATA);
    if (reader_remaining(&r) != 0) {
        tx_clear(tx);
        return IOFAIL(err, VALUE_SIZE_MISMATCH);
    }
    return true;
}

/* Reads the key of the next pair; *key_len 0 means the separator. */
static bool rd_key(struct reader *r, const uint8_t **key, size_t *key_len, uint64_t *type,
                   char *err)
{
    if (!rd_blob(r, key, key_len, err)) return false;
    if (*key_len == 0) return true;
    struct reader kr;
    reader_init(&kr, *key, *key_len);
    if (!rd_compact(&kr, type, NULL)) return IOFAIL(err, "SpanReader::read(): end of data");
    return true;
}

/* Duplicate check and one-byte-key check for a field that occurs once. */
static bool single(uint32_t *seen, unsigned bit, size_t key_len, const char *dup,
                   const char *size_msg, char *err)
{
    if (*seen & (1u << bit)) return IOFAIL(err, dup);
    *seen |= 1u << bit;
    if (key_len != 1) return IOFAIL(err, size_msg);
    return true;
}

static bool parse_input(struct reader *r, struct psbt_input *in, char *err)
{
    uint32_t seen = 0;
    while (reader_remaining(r) > 0) {
        const uint8_t *key, *val;
        size_t key_len, val_len;
        uint64_t type;
        if (!rd_key(r, &key, &key_len, &type, err)) return false;
        if (key_len == 0) return true;
        switch (type) {
        case PSBT_IN_NON_WITNESS_UTXO:
            if (!single(&seen, 0, key_len,
                        "Duplicate Key, input non-witness utxo already provided",
                        "Non-witness utxo key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            in->non_witness_utxo = malloc(sizeof *in->non_witness_utxo);
            if (!in->non_witness_utxo) return fail(err, "out of memory");
            tx_init(in->non_witness_utxo);
            if (!parse_tx_value(in->non_witness_utxo, val, val_len, true, err)) {
                free(in->non_witness_utxo);
                in->non_witness_utxo = NULL;
                return false;
            }
            break;
        case PSBT_IN_WITNESS_UTXO: {
            if (!single(&seen, 1, key_len, "Duplicate Key, input witness utxo already provided",
                        "Witness utxo key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            struct reader vr;
            reader_init(&vr, val, val_len);
            int64_t amount;
            const uint8_t *spk;
            size_t spk_len;
            if (!read_i64(&vr, &amount)) return IOFAIL(err, END_OF_DATA);
            if (!rd_blob(&vr, &spk, &spk_len, err)) return false;
            if (reader_remaining(&vr)) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            in->witness_utxo.value = amount;
            if (!tx_set_script_pubkey(&in->witness_utxo, spk, spk_len))
                return fail(err, "out of memory");
            in->has_witness_utxo = true;
            break;
        }
        case PSBT_IN_PARTIAL_SIG:
            if (key_len != PUBKEY_UNCOMPRESSED_SIZE + 1 &&
                key_len != PUBKEY_COMPRESSED_SIZE + 1)
                return IOFAIL(err, "Size of key was not the expected size for the type partial "
                                   "signature pubkey");
            if (!pubkey_fully_valid(key + 1, key_len - 1)) return IOFAIL(err, "Invalid pubkey");
            if (map_has_key(&in->partial_sigs, key, key_len))
                return IOFAIL(
                    err, "Duplicate Key, input partial signature for pubkey already provided");
            if (!rd_blob(r, &val, &val_len, err)) return false;
            if (val_len == 0 || !pubkey_ecdsa_sig_is_strict_der(val, val_len) ||
                !pubkey_ecdsa_sig_has_defined_hashtype(val, val_len))
                return IOFAIL(err, "Signature is not a valid encoding");
            if (psbt_map_insert(&in->partial_sigs, key, key_len, val, val_len) < 0)
                return fail(err, "out of memory");
            break;
        case PSBT_IN_SIGHASH:
            if (!single(&seen, 2, key_len, "Duplicate Key, input sighash type already provided",
                        "Sighash type key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (val_len < 4) return IOFAIL(err, END_OF_DATA);
            if (val_len != 4) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            in->has_sighash = true;
            in->sighash = (int32_t)le32_read(val);
            break;
        case PSBT_IN_REDEEMSCRIPT:
        case PSBT_IN_WITNESSSCRIPT: {
            bool redeem = type == PSBT_IN_REDEEMSCRIPT;
            if (!single(&seen, redeem ? 3 : 4, key_len,
                        redeem ? "Duplicate Key, input redeemScript already provided"
                               : "Duplicate Key, input witnessScript already provided",
                        redeem ? "Input redeemScript key is more than one byte type"
                               : "Input witnessScript key is more than one byte type",
                        err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (!bv_set(redeem ? &in->redeem_script : &in->witness_script, val, val_len))
                return fail(err, "out of memory");
            break;
        }
        case PSBT_IN_BIP32_DERIVATION:
            /* Core checks the key before it reads the value. */
            if (key_len != PUBKEY_UNCOMPRESSED_SIZE + 1 &&
                key_len != PUBKEY_COMPRESSED_SIZE + 1)
                return IOFAIL(
                    err, "Size of key was not the expected size for the type BIP32 keypath");
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_bip32(&in->bip32, key, key_len, val, val_len, err))
                return false;
            break;
        case PSBT_IN_SCRIPTSIG:
            if (!single(&seen, 5, key_len,
                        "Duplicate Key, input final scriptSig already provided",
                        "Final scriptSig key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (!bv_set(&in->final_script_sig, val, val_len)) return fail(err, "out of memory");
            break;
        case PSBT_IN_SCRIPTWITNESS: {
            if (!single(&seen, 6, key_len,
                        "Duplicate Key, input final scriptWitness already provided",
                        "Final scriptWitness key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            struct reader vr;
            reader_init(&vr, val, val_len);
            uint64_t n;
            if (!rd_compact(&vr, &n, err)) return false;
            if (n > reader_remaining(&vr)) return IOFAIL(err, END_OF_DATA);
            witness_free(&in->final_witness, &in->final_witness_count);
            if (n) {
                in->final_witness = calloc((size_t)n, sizeof *in->final_witness);
                if (!in->final_witness) return fail(err, "out of memory");
            }
            for (uint64_t i = 0; i < n; i++) {
                const uint8_t *item;
                size_t item_len;
                if (!rd_blob(&vr, &item, &item_len, err)) return false;
                if (!bv_set(&in->final_witness[i], item, item_len))
                    return fail(err, "out of memory");
                in->final_witness_count = (size_t)i + 1;
            }
            if (reader_remaining(&vr)) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            break;
        }
        case PSBT_IN_RIPEMD160:
        case PSBT_IN_SHA256:
        case PSBT_IN_HASH160:
        case PSBT_IN_HASH256: {
            static const char *names[] = {"ripemd160", "sha256", "hash160", "hash256"};
            unsigned k = (unsigned)(type - PSBT_IN_RIPEMD160);
            size_t hash_len = (type == PSBT_IN_RIPEMD160 || type == PSBT_IN_HASH160) ? 20 : 32;
            struct psbt_map *m = k == 0   ? &in->ripemd160
                                 : k == 1 ? &in->sha256
                                 : k == 2 ? &in->hash160
                                          : &in->hash256;
            if (key_len != hash_len + 1)
                return fail(err,
                            "Size of key was not the expected size for the type %s preimage: "
                            "iostream error",
                            names[k]);
            if (map_has_key(m, key, key_len))
                return fail(err,
                            "Duplicate Key, input %s preimage already provided: iostream error",
                            names[k]);
            if (!rd_blob(r, &val, &val_len, err)) return false;
            if (psbt_map_insert(m, key, key_len, val, val_len) < 0)
                return fail(err, "out of memory");
            break;
        }
        case PSBT_IN_TAP_KEY_SIG:
            if (!single(&seen, 7, key_len,
                        "Duplicate Key, input Taproot key signature already provided",
                        "Input Taproot key signature key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (val_len < 64)
                return IOFAIL(err, "Input Taproot key path signature is shorter than 64 bytes");
            if (val_len > 65)
                return IOFAIL(err, "Input Taproot key path signature is longer than 65 bytes");
            if (!bv_set(&in->tap_key_sig, val, val_len)) return fail(err, "out of memory");
            break;
        case PSBT_IN_TAP_SCRIPT_SIG:
            if (map_has_key(&in->tap_script_sigs, key, key_len))
                return IOFAIL(err,
                              "Duplicate Key, input Taproot script signature already provided");
            if (key_len != 65)
                return IOFAIL(err, "Input Taproot script signature key is not 65 bytes");
            if (!rd_blob(r, &val, &val_len, err)) return false;
            if (val_len < 64)
                return IOFAIL(err,
                              "Input Taproot script path signature is shorter than 64 bytes");
            if (val_len > 65)
                return IOFAIL(err,
                              "Input Taproot script path signature is longer than 65 bytes");
            if (psbt_map_insert(&in->tap_script_sigs, key, key_len, val, val_len) < 0)
                return fail(err, "out of memory");
            break;
        case PSBT_IN_TAP_LEAF_SCRIPT:
            if (map_has_key(&in->tap_leaf_scripts, key, key_len))
                return IOFAIL(err, "Duplicate Key, input Taproot leaf script already provided");
            if (key_len < 34)
                return IOFAIL(err, "Taproot leaf script key is not at least 34 bytes");
            if ((key_len - 2) % 32 != 0)
                return IOFAIL(
                    err, "Input Taproot leaf script key's control block size is not valid");
            if (!rd_blob(r, &val, &val_len, err)) return false;
            if (val_len == 0)
                return IOFAIL(err, "Input Taproot leaf script must be at least 1 byte");
            if (psbt_map_insert(&in->tap_leaf_scripts, key, key_len, val, val_len) < 0)
                return fail(err, "out of memory");
            break;
        case PSBT_IN_TAP_BIP32_DERIVATION:
            if (!tap_bip32_key_ok(&in->tap_bip32, key, key_len, true, err) ||
                !rd_blob(r, &val, &val_len, err) ||
                !parse_tap_bip32(&in->tap_bip32, key, key_len, val, val_len, true, err))
                return false;
            break;
        case PSBT_IN_TAP_INTERNAL_KEY:
        case PSBT_IN_TAP_MERKLE_ROOT: {
            bool ik = type == PSBT_IN_TAP_INTERNAL_KEY;
            if (!single(&seen, ik ? 8 : 9, key_len,
                        ik ? "Duplicate Key, input Taproot internal key already provided"
                           : "Duplicate Key, input Taproot merkle root already provided",
                        ik ? "Input Taproot internal key key is more than one byte type"
                           : "Input Taproot merkle root key is more than one byte type",
                        err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (val_len < 32) return IOFAIL(err, END_OF_DATA);
            if (val_len != 32) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            memcpy(ik ? in->tap_internal_key : in->tap_merkle_root, val, 32);
            if (ik)
                in->has_tap_internal_key = true;
            else
                in->has_tap_merkle_root = true;
            break;
        }
        case PSBT_IN_PROPRIETARY:
            if (!prop_key_ok(&in->proprietary, key, key_len, err)) return false;
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_proprietary(&in->proprietary, key, key_len, val, val_len, err))
                return false;
            break;
        default:
            if (map_has_key(&in->unknown, key, key_len))
                return IOFAIL(err, "Duplicate Key, key for unknown value already provided");
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_unknown(&in->unknown, key, key_len, val, val_len, err))
                return false;
        }
    }
    return IOFAIL(err, "Separator is missing at the end of an input map");
}

/* Core's TaprootBuilder::Add/IsComplete on depths alone: leaves in depth-first order
 * must fill a binary tree exactly. */
static bool tap_tree_valid(const uint8_t *tree, size_t len, char *err)
{
    bool branch[TAPROOT_CONTROL_MAX_NODE_COUNT + 1];
    size_t size = 0; /* branch[0..size) in use */
    bool valid = true;
    uint8_t depth, ver;
    const uint8_t *script;
    size_t script_len;
    if (len == 0) return IOFAIL(err, "Output Taproot tree must not be empty");
    struct reader r;
    reader_init(&r, tree, len);
    while (reader_remaining(&r) > 0) {
        if (!read_u8(&r, &depth) || !read_u8(&r, &ver))
            return IOFAIL(err, "SpanReader::read(): end of data");
        if (!rd_blob(&r, &script, &script_len, NULL))
            return IOFAIL(err, "SpanReader::read(): end of data");
        if (depth > TAPROOT_CONTROL_MAX_NODE_COUNT)
            return IOFAIL(err,
                          "Output Taproot tree has as leaf greater than Taproot maximum depth");
        if ((ver & ~TAPROOT_LEAF_MASK) != 0)
            return IOFAIL(err, "Output Taproot tree has a leaf with an invalid leaf version");
        if (!valid) continue;
        int d = depth;
        if ((size_t)d + 1 < size) {
            valid = false;
            continue;
        }
        while (size > (size_t)d && branch[d]) {
            branch[d] = false;
            size--;
            if (d == 0) {
                valid = false;
                break;
            }
            d--;
        }
        if (!valid) continue;
        while (size <= (size_t)d) branch[size++] = false;
        branch[d] = true;
    }
    if (!valid || !(size == 0 || (size == 1 && branch[0])))
        return IOFAIL(err, "Output Taproot tree is malformed");
    return true;
}

bool psbt_tap_tree_next(const uint8_t *tree, size_t len, size_t *pos, uint8_t *depth,
                        uint8_t *leaf_version, const uint8_t **script, size_t *script_len)
{
    if (*pos >= len) return false;
    struct reader r;
    reader_init(&r, tree, len);
    r.pos = *pos;
    if (!read_u8(&r, depth) || !read_u8(&r, leaf_version) ||
        !rd_blob(&r, script, script_len, NULL))
        return false;
    *pos = r.pos;
    return true;
}

static bool parse_output(struct reader *r, struct psbt_output *out, char *err)
{
    uint32_t seen = 0;
    while (reader_remaining(r) > 0) {
        const uint8_t *key, *val;
        size_t key_len, val_len;
        uint64_t type;
        if (!rd_key(r, &key, &key_len, &type, err)) return false;
        if (key_len == 0) return true;
        switch (type) {
        case PSBT_OUT_REDEEMSCRIPT:
        case PSBT_OUT_WITNESSSCRIPT: {
            bool redeem = type == PSBT_OUT_REDEEMSCRIPT;
            if (!single(&seen, redeem ? 0 : 1, key_len,
                        redeem ? "Duplicate Key, output redeemScript already provided"
                               : "Duplicate Key, output witnessScript already provided",
                        redeem ? "Output redeemScript key is more than one byte type"
                               : "Output witnessScript key is more than one byte type",
                        err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (!bv_set(redeem ? &out->redeem_script : &out->witness_script, val, val_len))
                return fail(err, "out of memory");
            break;
        }
        case PSBT_OUT_BIP32_DERIVATION:
            if (key_len != PUBKEY_UNCOMPRESSED_SIZE + 1 &&
                key_len != PUBKEY_COMPRESSED_SIZE + 1)
                return IOFAIL(
                    err, "Size of key was not the expected size for the type BIP32 keypath");
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_bip32(&out->bip32, key, key_len, val, val_len, err))
                return false;
            break;
        case PSBT_OUT_TAP_INTERNAL_KEY:
            if (!single(&seen, 2, key_len,
                        "Duplicate Key, output Taproot internal key already provided",
                        "Output Taproot internal key key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (val_len < 32) return IOFAIL(err, END_OF_DATA);
            if (val_len != 32) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            memcpy(out->tap_internal_key, val, 32);
            out->has_tap_internal_key = true;
            break;
        case PSBT_OUT_TAP_TREE:
            if (!single(&seen, 3, key_len,
                        "Duplicate Key, output Taproot tree already provided",
                        "Output Taproot tree key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err) || !tap_tree_valid(val, val_len, err))
                return false;
            if (!bv_set(&out->tap_tree, val, val_len)) return fail(err, "out of memory");
            break;
        case PSBT_OUT_TAP_BIP32_DERIVATION:
            if (!tap_bip32_key_ok(&out->tap_bip32, key, key_len, false, err) ||
                !rd_blob(r, &val, &val_len, err) ||
                !parse_tap_bip32(&out->tap_bip32, key, key_len, val, val_len, false, err))
                return false;
            break;
        case PSBT_OUT_PROPRIETARY:
            if (!prop_key_ok(&out->proprietary, key, key_len, err)) return false;
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_proprietary(&out->proprietary, key, key_len, val, val_len, err))
                return false;
            break;
        default:
            if (map_has_key(&out->unknown, key, key_len))
                return IOFAIL(err, "Duplicate Key, key for unknown value already provided");
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_unknown(&out->unknown, key, key_len, val, val_len, err))
                return false;
        }
    }
    return IOFAIL(err, "Separator is missing at the end of an output map");
}

static bool parse_global(struct reader *r, struct psbt *p, bool *have_tx, char *err)
{
    uint32_t seen = 0;
    while (reader_remaining(r) > 0) {
        const uint8_t *key, *val;
        size_t key_len, val_len;
        uint64_t type;
        if (!rd_key(r, &key, &key_len, &type, err)) return false;
        if (key_len == 0) return true;
        switch (type) {
        case PSBT_GLOBAL_UNSIGNED_TX:
            if (!single(&seen, 0, key_len, "Duplicate Key, unsigned tx already provided",
                        "Global unsigned tx key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err) ||
                !parse_tx_value(&p->tx, val, val_len, false, err))
                return false;
            *have_tx = true;
            for (size_t i = 0; i < p->tx.vin_count; i++)
                if (p->tx.vin[i].script_sig_len || p->tx.vin[i].witness_count)
                    return IOFAIL(err, "Unsigned tx does not have empty scriptSigs and "
                                       "scriptWitnesses.");
            break;
        case PSBT_GLOBAL_XPUB:
            if (key_len != 78 + 1)
                return IOFAIL(err,
                              "Size of key was not the expected size for the type global xpub");
            if (!pubkey_fully_valid(key + 1 + 45, 33)) return IOFAIL(err, "Invalid pubkey");
            if (map_has_key(&p->xpubs, key, key_len))
                return IOFAIL(err, "Duplicate key, global xpub already provided");
            if (!rd_blob(r, &val, &val_len, err) || !check_origin(val_len, err)) return false;
            if (psbt_map_insert(&p->xpubs, key, key_len, val, val_len) < 0)
                return fail(err, "out of memory");
            break;
        case PSBT_GLOBAL_VERSION:
            if (!single(&seen, 1, key_len, "Duplicate Key, version already provided",
                        "Global version key is more than one byte type", err) ||
                !rd_blob(r, &val, &val_len, err))
                return false;
            if (val_len < 4) return IOFAIL(err, END_OF_DATA);
            if (val_len != 4) return IOFAIL(err, VALUE_SIZE_MISMATCH);
            p->version = le32_read(val);
            p->has_version = true;
            if (p->version > PSBT_HIGHEST_VERSION)
                return IOFAIL(err, "Unsupported version number");
            break;
        case PSBT_GLOBAL_PROPRIETARY:
            if (!prop_key_ok(&p->proprietary, key, key_len, err)) return false;
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_proprietary(&p->proprietary, key, key_len, val, val_len, err))
                return false;
            break;
        default:
            if (map_has_key(&p->unknown, key, key_len))
                return IOFAIL(err, "Duplicate Key, key for unknown value already provided");
            if (!rd_blob(r, &val, &val_len, err) ||
                !parse_unknown(&p->unknown, key, key_len, val, val_len, err))
                return false;
        }
    }
    return IOFAIL(err, "Separator is missing at the end of the global map");
}

static bool parse_all(struct psbt *p, const uint8_t *data, size_t len, char *err)
{
    struct reader r;
    reader_init(&r, data, len);
    uint8_t magic[5];
    if (!read_bytes(&r, magic, 5)) return IOFAIL(err, END_OF_DATA);
    if (memcmp(magic, PSBT_MAGIC, 5) != 0) return IOFAIL(err, "Invalid PSBT magic bytes");
    bool have_tx = false;
    if (!parse_global(&r, p, &have_tx, err)) return false;
    if (!have_tx) return IOFAIL(err, "No unsigned transaction was provided");
    if (!alloc_io(p)) return fail(err, "out of memory");
    size_t i = 0;
    for (; i < p->tx.vin_count && reader_remaining(&r) > 0; i++) {
        struct psbt_input *in = &p->inputs[i];
        if (!parse_input(&r, in, err)) return false;
        if (in->non_witness_utxo) {
            uint256 txid;
            tx_txid(in->non_witness_utxo, &txid);
            if (uint256_cmp(&txid, &p->tx.vin[i].prevout.hash) != 0)
                return IOFAIL(err, "Non-witness UTXO does not match outpoint hash");
            if (p->tx.vin[i].prevout.n >= in->non_witness_utxo->vout_count)
                return IOFAIL(err, "Input specifies output index that does not exist");
        }
    }
    if (i != p->tx.vin_count)
        return IOFAIL(err,
                      "Inputs provided does not match the number of inputs in transaction.");
    for (i = 0; i < p->tx.vout_count && reader_remaining(&r) > 0; i++)
        if (!parse_output(&r, &p->outputs[i], err)) return false;
    if (i != p->tx.vout_count)
        return IOFAIL(err,
                      "Outputs provided does not match the number of outputs in transaction.");
    if (reader_remaining(&r) != 0) return fail(err, "extra data after PSBT");
    return true;
}

bool psbt_parse(struct psbt *p, const uint8_t *data, size_t len, char err[PSBT_ERR_MAX])
{
    psbt_init(p);
    if (err) err[0] = '\0';
    if (parse_all(p, data, len, err)) return true;
    psbt_clear(p);
    return false;
}

/* ---- serializer ---- */

static void w_pair(struct writer *w, const uint8_t *key, size_t key_len, const uint8_t *val,
                   size_t val_len)
{
    write_var_bytes(w, key, key_len);
    write_var_bytes(w, val, val_len);
}

static void w_type_value(struct writer *w, uint8_t type, const uint8_t *val, size_t val_len)
{
    w_pair(w, &type, 1, val, val_len);
}

static void w_map(struct writer *w, const struct psbt_map *m)
{
    for (size_t i = 0; i < m->count; i++)
        w_pair(w, m->items[i].key, m->items[i].key_len, m->items[i].value,
               m->items[i].value_len);
}

/* A value that is itself a serialized object: build it, then write it as a vector. */
static void w_tx_value(struct writer *w, uint8_t type, const struct tx *tx, bool witness)
{
    struct writer v;
    writer_init(&v);
    tx_serialize(&v, tx, witness);
    if (v.failed) w->failed = true;
    w_type_value(w, type, v.data, v.len);
    writer_free(&v);
}

static void w_input(struct writer *w, const struct psbt_input *in)
{
    if (in->non_witness_utxo)
        w_tx_value(w, PSBT_IN_NON_WITNESS_UTXO, in->non_witness_utxo, true);
    if (in->has_witness_utxo) {
        struct writer v;
        writer_init(&v);
        write_i64(&v, in->witness_utxo.value);
        write_var_bytes(&v, in->witness_utxo.script_pubkey, in->witness_utxo.script_pubkey_len);
        if (v.failed) w->failed = true;
        w_type_value(w, PSBT_IN_WITNESS_UTXO, v.data, v.len);
        writer_free(&v);
    }
    if (!psbt_input_is_final(in)) {
        w_map(w, &in->partial_sigs);
        if (in->has_sighash) {
            uint8_t b[4];
            le32_write(b, (uint32_t)in->sighash);
            w_type_value(w, PSBT_IN_SIGHASH, b, 4);
        }
        if (in->redeem_script.len)
            w_type_value(w, PSBT_IN_REDEEMSCRIPT, in->redeem_script.data,
                         in->redeem_script.len);
        if (in->witness_script.len)
            w_type_value(w, PSBT_IN_WITNESSSCRIPT, in->witness_script.data,
                         in->witness_script.len);
        w_map(w, &in->bip32);
        w_map(w, &in->ripemd160);
        w_map(w, &in->sha256);
        w_map(w, &in->hash160);
        w_map(w, &in->hash256);
        if (in->tap_key_sig.len)
            w_type_value(w, PSBT_IN_TAP_KEY_SIG, in->tap_key_sig.data, in->tap_key_sig.len);
        w_map(w, &in->tap_script_sigs);
        w_map(w, &in->tap_leaf_scripts);
        w_map(w, &in->tap_bip32);
        if (in->has_tap_internal_key && !is_zero32(in->tap_internal_key))
            w_type_value(w, PSBT_IN_TAP_INTERNAL_KEY, in->tap_internal_key, 32);
        if (in->has_tap_merkle_root && !is_zero32(in->tap_merkle_root))
            w_type_value(w, PSBT_IN_TAP_MERKLE_ROOT, in->tap_merkle_root, 32);
    }
    if (in->final_script_sig.len)
        w_type_value(w, PSBT_IN_SCRIPTSIG, in->final_script_sig.data, in->final_script_sig.len);
    if (in->final_witness_count) {
        struct writer v;
        writer_init(&v);
        write_compact_size(&v, in->final_witness_count);
        for (size_t i = 0; i < in->final_witness_count; i++)
            write_var_bytes(&v, in->final_witness[i].data, in->final_witness[i].len);
        if (v.failed) w->failed = true;
        w_type_value(w, PSBT_IN_SCRIPTWITNESS, v.data, v.len);
        writer_free(&v);
    }
    w_map(w, &in->proprietary);
    w_map(w, &in->unknown);
    write_u8(w, 0);
}

static void w_output(struct writer *w, const struct psbt_output *out)
{
    if (out->redeem_script.len)
        w_type_value(w, PSBT_OUT_REDEEMSCRIPT, out->redeem_script.data, out->redeem_script.len);
    if (out->witness_script.len)
        w_type_value(w, PSBT_OUT_WITNESSSCRIPT, out->witness_script.data,
                     out->witness_script.len);
    w_map(w, &out->bip32);
    /* Core writes an output's proprietary pairs here, before the Taproot fields. */
    w_map(w, &out->proprietary);
    if (out->has_tap_internal_key && !is_zero32(out->tap_internal_key))
        w_type_value(w, PSBT_OUT_TAP_INTERNAL_KEY, out->tap_internal_key, 32);
    if (out->tap_tree.len)
        w_type_value(w, PSBT_OUT_TAP_TREE, out->tap_tree.data, out->tap_tree.len);
    w_map(w, &out->tap_bip32);
    w_map(w, &out->unknown);
    write_u8(w, 0);
}

uint8_t *psbt_serialize(const struct psbt *p, size_t *len)
{
    struct writer w;
    writer_init(&w);
    write_bytes(&w, PSBT_MAGIC, 5);
    w_tx_value(&w, PSBT_GLOBAL_UNSIGNED_TX, &p->tx, false);
    w_map(&w, &p->xpubs);
    if (p->has_version && p->version > 0) {
        uint8_t b[4];
        le32_write(b, p->version);
        w_type_value(&w, PSBT_GLOBAL_VERSION, b, 4);
    }
    w_map(&w, &p->proprietary);
    w_map(&w, &p->unknown);
    write_u8(&w, 0);
    for (size_t i = 0; i < p->tx.vin_count; i++) w_input(&w, &p->inputs[i]);
    for (size_t i = 0; i < p->tx.vout_count; i++) w_output(&w, &p->outputs[i]);
    if (w.failed) {
        writer_free(&w);
        return NULL;
    }
    return writer_release(&w, len);
}

bool psbt_copy(struct psbt *dst, const struct psbt *src)
{
    size_t len;
    uint8_t *ser = psbt_serialize(src, &len);
    if (!ser) {
        psbt_init(dst);
        return false;
    }
    /* What the serializer leaves out (signing data of a final input) is not copied; the
     * copy is what another party would receive. */
    bool ok = psbt_parse(dst, ser, len, NULL);
    free(ser);
    return ok;
}

/* ---- base64 ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *psbt_base64_encode(const uint8_t *data, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        size_t left = len - i;
        uint32_t v = (uint32_t)data[i] << 16;
        if (left > 1) v |= (uint32_t)data[i + 1] << 8;
        if (left > 2) v |= data[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = left > 1 ? B64[(v >> 6) & 63] : '=';
        out[o++] = left > 2 ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

uint8_t *psbt_base64_decode(const char *s, size_t *len)
{
    size_t n = strlen(s);
    if (n % 4) return NULL;
    size_t pad = 0;
    if (n && s[n - 1] == '=') pad++;
    if (n > 1 && s[n - 2] == '=') pad++;
    size_t chars = n - pad;
    uint8_t *out = malloc(n / 4 * 3 + 1);
    if (!out) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < chars; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* Left-over bits must be padding zeros, and a full sextet is never left over. */
    if (bits >= 6 || acc != 0) {
        free(out);
        return NULL;
    }
    *len = o;
    return out;
}

bool psbt_from_base64(struct psbt *p, const char *b64, char err[PSBT_ERR_MAX])
{
    size_t len;
    uint8_t *data = psbt_base64_decode(b64, &len);
    if (!data) {
        psbt_init(p);
        return fail(err, "invalid base64");
    }
    bool ok = psbt_parse(p, data, len, err);
    free(data);
    return ok;
}

char *psbt_to_base64(const struct psbt *p)
{
    size_t len;
    uint8_t *ser = psbt_serialize(p, &len);
    if (!ser) return NULL;
    char *s = psbt_base64_encode(ser, len);
    free(ser);
    return s;
}

/* ---- accessors ---- */

void psbt_origin_decode(const uint8_t *data, size_t len, uint8_t fingerprint[4], uint32_t *path)
{
    memcpy(fingerprint, data, 4);
    for (size_t i = 0; 4 + 4 * i + 4 <= len; i++) path[i] = le32_read(data + 4 + 4 * i);
}

const struct tx_out *psbt_input_utxo(const struct psbt *p, size_t index)
{
    const struct psbt_input *in = &p->inputs[index];
    if (in->non_witness_utxo) {
        uint32_t n = p->tx.vin[index].prevout.n;
        return n < in->non_witness_utxo->vout_count ? &in->non_witness_utxo->vout[n] : NULL;
    }
    return in->has_witness_utxo ? &in->witness_utxo : NULL;
}

bool psbt_input_is_final(const struct psbt_input *in)
{
    return in->final_script_sig.len > 0 || in->final_witness_count > 0;
}

int psbt_input_add_partial_sig(struct psbt_input *in, const uint8_t *pubkey, size_t pubkey_len,
                               const uint8_t *sig, size_t sig_len)
{
    uint8_t key[1 + PUBKEY_UNCOMPRESSED_SIZE];
    if (pubkey_len > PUBKEY_UNCOMPRESSED_SIZE) return 0;
    key[0] = PSBT_IN_PARTIAL_SIG;
    memcpy(key + 1, pubkey, pubkey_len);
    return psbt_map_insert(&in->partial_sigs, key, pubkey_len + 1, sig, sig_len);
}

bool psbt_input_set_witness_utxo(struct psbt_input *in, const struct tx_out *out)
{
    if (!tx_set_script_pubkey(&in->witness_utxo, out->script_pubkey, out->script_pubkey_len))
        return false;
    in->witness_utxo.value = out->value;
    in->has_witness_utxo = true;
    return true;
}

void psbt_remove_unnecessary_transactions(struct psbt *p)
{
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        const struct psbt_input *in = &p->inputs[i];
        int version;
        const uint8_t *prog;
        size_t prog_len;
        if (!in->has_witness_utxo ||
            !script_is_witness_program(in->witness_utxo.script_pubkey,
                                       in->witness_utxo.script_pubkey_len, &version, &prog,
                                       &prog_len) ||
            version == 0)
            return;
    }
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        struct psbt_input *in = &p->inputs[i];
        if (in->non_witness_utxo) {
            tx_clear(in->non_witness_utxo);
            free(in->non_witness_utxo);
            in->non_witness_utxo = NULL;
        }
    }
}

/* ---- combiner ---- */

static bool merge_input(struct psbt_input *d, const struct psbt_input *s)
{
    if (!d->non_witness_utxo && s->non_witness_utxo) {
        d->non_witness_utxo = malloc(sizeof *d->non_witness_utxo);
        if (!d->non_witness_utxo) return false;
        tx_init(d->non_witness_utxo);
        if (!tx_copy(d->non_witness_utxo, s->non_witness_utxo)) {
            free(d->non_witness_utxo);
            d->non_witness_utxo = NULL;
            return false;
        }
    }
    if (!d->has_witness_utxo && s->has_witness_utxo &&
        !psbt_input_set_witness_utxo(d, &s->witness_utxo))
        return false;
    if (!map_merge(&d->partial_sigs, &s->partial_sigs) ||
        !map_merge(&d->ripemd160, &s->ripemd160) || !map_merge(&d->sha256, &s->sha256) ||
        !map_merge(&d->hash160, &s->hash160) || !map_merge(&d->hash256, &s->hash256) ||
        !map_merge(&d->bip32, &s->bip32) || !map_merge(&d->unknown, &s->unknown) ||
        !map_merge(&d->tap_script_sigs, &s->tap_script_sigs) ||
        !map_merge(&d->tap_leaf_scripts, &s->tap_leaf_scripts) ||
        !map_merge(&d->tap_bip32, &s->tap_bip32) ||
        !map_merge(&d->proprietary, &s->proprietary))
        return false;
    if (!d->redeem_script.len && s->redeem_script.len &&
        !bv_set(&d->redeem_script, s->redeem_script.data, s->redeem_script.len))
        return false;
    if (!d->witness_script.len && s->witness_script.len &&
        !bv_set(&d->witness_script, s->witness_script.data, s->witness_script.len))
        return false;
    if (!d->final_script_sig.len && s->final_script_sig.len &&
        !bv_set(&d->final_script_sig, s->final_script_sig.data, s->final_script_sig.len))
        return false;
    if (!d->final_witness_count && s->final_witness_count &&
        !witness_copy(&d->final_witness, &d->final_witness_count, s->final_witness,
                      s->final_witness_count))
        return false;
    if (!d->tap_key_sig.len && s->tap_key_sig.len &&
        !bv_set(&d->tap_key_sig, s->tap_key_sig.data, s->tap_key_sig.len))
        return false;
    if ((!d->has_tap_internal_key || is_zero32(d->tap_internal_key)) &&
        s->has_tap_internal_key) {
        memcpy(d->tap_internal_key, s->tap_internal_key, 32);
        d->has_tap_internal_key = true;
    }
    if ((!d->has_tap_merkle_root || is_zero32(d->tap_merkle_root)) && s->has_tap_merkle_root) {
        memcpy(d->tap_merkle_root, s->tap_merkle_root, 32);
        d->has_tap_merkle_root = true;
    }
    return true;
}

static bool merge_output(struct psbt_output *d, const struct psbt_output *s)
{
    if (!d->redeem_script.len && s->redeem_script.len &&
        !bv_set(&d->redeem_script, s->redeem_script.data, s->redeem_script.len))
        return false;
    if (!d->witness_script.len && s->witness_script.len &&
        !bv_set(&d->witness_script, s->witness_script.data, s->witness_script.len))
        return false;
    if ((!d->has_tap_internal_key || is_zero32(d->tap_internal_key)) &&
        s->has_tap_internal_key) {
        memcpy(d->tap_internal_key, s->tap_internal_key, 32);
        d->has_tap_internal_key = true;
    }
    if (!d->tap_tree.len && s->tap_tree.len &&
        !bv_set(&d->tap_tree, s->tap_tree.data, s->tap_tree.len))
        return false;
    return map_merge(&d->bip32, &s->bip32) && map_merge(&d->tap_bip32, &s->tap_bip32) &&
           map_merge(&d->unknown, &s->unknown) && map_merge(&d->proprietary, &s->proprietary);
}

bool psbt_merge(struct psbt *dst, const struct psbt *src, bool *mismatch)
{
    uint256 a, b;
    tx_txid(&dst->tx, &a);
    tx_txid(&src->tx, &b);
    *mismatch = uint256_cmp(&a, &b) != 0;
    if (*mismatch) return false;
    for (size_t i = 0; i < dst->tx.vin_count; i++)
        if (!merge_input(&dst->inputs[i], &src->inputs[i])) return false;
    for (size_t i = 0; i < dst->tx.vout_count; i++)
        if (!merge_output(&dst->outputs[i], &src->outputs[i])) return false;
    return map_merge(&dst->xpubs, &src->xpubs) && map_merge(&dst->unknown, &src->unknown) &&
           map_merge(&dst->proprietary, &src->proprietary);
}

bool psbt_add_input(struct psbt *dst, const struct psbt *src, size_t idx, bool *dup)
{
    const struct outpoint *op = &src->tx.vin[idx].prevout;
    *dup = false;
    for (size_t i = 0; i < dst->tx.vin_count; i++)
        if (dst->tx.vin[i].prevout.n == op->n &&
            uint256_cmp(&dst->tx.vin[i].prevout.hash, &op->hash) == 0) {
            *dup = true;
            return false;
        }
    size_t n = dst->tx.vin_count;
    struct psbt_input *ins = realloc(dst->inputs, (n + 1) * sizeof *ins);
    if (!ins) return false;
    dst->inputs = ins;
    input_init(&ins[n]);
    if (!tx_resize(&dst->tx, n + 1, dst->tx.vout_count)) return false;
    dst->tx.vin[n].prevout = *op;
    dst->tx.vin[n].sequence = src->tx.vin[idx].sequence;
    ins[n].has_sighash = src->inputs[idx].has_sighash;
    ins[n].sighash = src->inputs[idx].sighash;
    return merge_input(&ins[n], &src->inputs[idx]);
}

bool psbt_add_output(struct psbt *dst, const struct psbt *src, size_t idx)
{
    size_t n = dst->tx.vout_count;
    struct psbt_output *outs = realloc(dst->outputs, (n + 1) * sizeof *outs);
    if (!outs) return false;
    dst->outputs = outs;
    output_init(&outs[n]);
    if (!tx_resize(&dst->tx, dst->tx.vin_count, n + 1)) return false;
    const struct tx_out *o = &src->tx.vout[idx];
    dst->tx.vout[n].value = o->value;
    return tx_set_script_pubkey(&dst->tx.vout[n], o->script_pubkey, o->script_pubkey_len) &&
           merge_output(&outs[n], &src->outputs[idx]);
}

bool psbt_merge_globals(struct psbt *dst, const struct psbt *src)
{
    return map_merge(&dst->xpubs, &src->xpubs) && map_merge(&dst->unknown, &src->unknown);
}

bool psbt_merge_unknown(struct psbt *dst, const struct psbt *src)
{
    return map_merge(&dst->unknown, &src->unknown);
}

/* ---- finalizer ---- */

/* A stack of byte vectors under construction (Core's std::vector<valtype>). */
struct stack {
    struct byte_vec items[MAX_PUBKEYS_PER_MULTISIG + 4];
    size_t count;
    bool oom;
};

static void stack_push(struct stack *s, const uint8_t *data, size_t len)
{
    if (s->count == sizeof s->items / sizeof s->items[0]) {
        s->oom = true;
        return;
    }
    s->items[s->count].data = NULL;
    s->items[s->count].len = 0;
    if (!bv_set(&s->items[s->count], data, len)) s->oom = true;
    s->count++;
}

static void stack_free(struct stack *s)
{
    for (size_t i = 0; i < s->count; i++) free(s->items[i].data);
    s->count = 0;
}

/* What is missing to finish an input (Core's SignatureData missing_* fields). */
struct missing {
    uint8_t pubkeys[PSBT_MAX_MISSING][20];
    size_t pubkey_count;
    uint8_t sigs[PSBT_MAX_MISSING][20];
    size_t sig_count;
    bool redeem;
    uint8_t redeem_hash[20];
    bool witness;
    uint8_t witness_hash[32];
};

static void add_id(uint8_t ids[][20], size_t *count, const uint8_t id[20])
{
    for (size_t i = 0; i < *count; i++)
        if (memcmp(ids[i], id, 20) == 0) return;
    if (*count < PSBT_MAX_MISSING) memcpy(ids[(*count)++], id, 20);
}

/* The partial signature made by pubkey, or NULL. */
static const struct psbt_pair *find_sig(const struct psbt_input *in, const uint8_t *pk,
                                        size_t pk_len)
{
    for (size_t i = 0; i < in->partial_sigs.count; i++) {
        const struct psbt_pair *p = &in->partial_sigs.items[i];
        if (p->key_len == pk_len + 1 && memcmp(p->key + 1, pk, pk_len) == 0) return p;
    }
    return NULL;
}

/* A public key whose HASH160 is id, from the partial signatures or derivations. */
static bool find_pubkey(const struct psbt_input *in, const uint8_t id[20], const uint8_t **pk,
                        size_t *pk_len)
{
    const struct psbt_map *maps[2] = {&in->partial_sigs, &in->bip32};
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; i < maps[m]->count; i++) {
            const struct psbt_pair *p = &maps[m]->items[i];
            uint8_t h[20];
            hash160(p->key + 1, p->key_len - 1, h);
            if (memcmp(h, id, 20) == 0) {
                *pk = p->key + 1;
                *pk_len = p->key_len - 1;
                return true;
            }
        }
    return false;
}

static bool sign_key(const struct psbt_input *in, const uint8_t *pk, size_t pk_len,
                     struct stack *out, struct missing *m)
{
    const struct psbt_pair *sig = find_sig(in, pk, pk_len);
    if (sig) {
        stack_push(out, sig->value, sig->value_len);
        return true;
    }
    uint8_t id[20];
    hash160(pk, pk_len, id);
    add_id(m->sigs, &m->sig_count, id);
    return false;
}

/* Core's SignStep for the templates without a nested script: fills out with the
 * satisfying stack (pushes) and *type with the template. */
static bool sign_step(const struct psbt_input *in, const uint8_t *script, size_t len,
                      struct stack *out, enum txout_type *type, struct missing *m)
{
    struct script_solution sol;
    *type = policy_solve(script, len, &sol);
    switch (sol.type) {
    case TXOUT_PUBKEY: return sign_key(in, sol.keys[0], sol.key_lens[0], out, m);
    case TXOUT_PUBKEYHASH:
    case TXOUT_WITNESS_V0_KEYHASH: {
        if (sol.type == TXOUT_WITNESS_V0_KEYHASH) {
            stack_push(out, sol.hash, 20);
            return true;
        }
        const uint8_t *pk;
        size_t pk_len;
        if (!find_pubkey(in, sol.hash, &pk, &pk_len)) {
            add_id(m->pubkeys, &m->pubkey_count, sol.hash);
            return false;
        }
        if (!sign_key(in, pk, pk_len, out, m)) return false;
        stack_push(out, pk, pk_len);
        return true;
    }
    case TXOUT_MULTISIG: {
        stack_push(out, NULL, 0);
        size_t got = 0;
        for (size_t i = 0; i < sol.key_count; i++) {
            struct stack one = {.count = 0};
            if (sign_key(in, sol.keys[i], sol.key_lens[i], &one, m) &&
                got < (size_t)sol.required) {
                stack_push(out, one.items[0].data, one.items[0].len);
                got++;
            }
            stack_free(&one);
        }
        bool ok = got == (size_t)sol.required;
        for (; got < (size_t)sol.required; got++) stack_push(out, NULL, 0);
        return ok;
    }
    case TXOUT_SCRIPTHASH: {
        uint8_t h[20];
        if (in->redeem_script.len) {
            hash160(in->redeem_script.data, in->redeem_script.len, h);
            if (memcmp(h, sol.hash, 20) == 0) {
                stack_push(out, in->redeem_script.data, in->redeem_script.len);
                return true;
            }
        }
        m->redeem = true;
        memcpy(m->redeem_hash, sol.hash, 20);
        return false;
    }
    case TXOUT_WITNESS_V0_SCRIPTHASH: {
        uint8_t h[32];
        if (in->witness_script.len) {
            sha256(in->witness_script.data, in->witness_script.len, h);
            if (memcmp(h, sol.hash, 32) == 0) {
                stack_push(out, in->witness_script.data, in->witness_script.len);
                return true;
            }
        }
        m->witness = true;
        memcpy(m->witness_hash, sol.hash, 32);
        return false;
    }
    case TXOUT_WITNESS_V1_TAPROOT: {
        if (in->tap_key_sig.len) {
            stack_push(out, in->tap_key_sig.data, in->tap_key_sig.len);
            return true;
        }
        /* Script path: a leaf <xonly> OP_CHECKSIG with a signature for it. */
        for (size_t i = 0; i < in->tap_leaf_scripts.count; i++) {
            const struct psbt_pair *leaf = &in->tap_leaf_scripts.items[i];
            size_t slen = leaf->value_len - 1;
            uint8_t ver = leaf->value[slen];
            if (ver != TAPROOT_LEAF_TAPSCRIPT || slen != 34 || leaf->value[0] != 32 ||
                leaf->value[33] != OP_CHECKSIG)
                continue;
            uint8_t sigkey[65];
            uint256 lh;
            taproot_leaf_hash(&lh, ver, leaf->value, slen);
            sigkey[0] = PSBT_IN_TAP_SCRIPT_SIG;
            memcpy(sigkey + 1, leaf->value + 1, 32);
            memcpy(sigkey + 33, lh.b, 32);
            for (size_t j = 0; j < in->tap_script_sigs.count; j++) {
                const struct psbt_pair *s = &in->tap_script_sigs.items[j];
                if (memcmp(s->key, sigkey, 65) != 0) continue;
                stack_push(out, s->value, s->value_len);
                stack_push(out, leaf->value, slen);
                stack_push(out, leaf->key + 1, leaf->key_len - 1);
                return true;
            }
        }
        return false;
    }
    default: return false;
    }
}

/* Core's PushAll: minimal pushes of each item. */
static void push_minimal(struct writer *w, const uint8_t *d, size_t n)
{
    if (n == 0) {
        write_u8(w, OP_0);
    } else if (n == 1 && d[0] >= 1 && d[0] <= 16) {
        write_u8(w, (uint8_t)(OP_1 + d[0] - 1));
    } else if (n == 1 && d[0] == 0x81) {
        write_u8(w, OP_1NEGATE);
    } else {
        if (n < OP_PUSHDATA1) {
            write_u8(w, (uint8_t)n);
        } else if (n <= 0xff) {
            write_u8(w, OP_PUSHDATA1);
            write_u8(w, (uint8_t)n);
        } else if (n <= 0xffff) {
            write_u8(w, OP_PUSHDATA2);
            write_u16(w, (uint16_t)n);
        } else {
            write_u8(w, OP_PUSHDATA4);
            write_u32(w, (uint32_t)n);
        }
        write_bytes(w, d, n);
    }
}

struct solution {
    struct writer script_sig;
    struct stack witness;
};

/* Core's ProduceSignature without a signer: builds the scriptSig and witness from the
 * PSBT's data. True when every template was satisfied (not yet verified). */
static bool produce(const struct psbt_input *in, const struct tx_out *utxo, struct solution *s,
                    struct missing *m)
{
    struct stack result = {.count = 0};
    enum txout_type type;
    bool solved =
        sign_step(in, utxo->script_pubkey, utxo->script_pubkey_len, &result, &type, m);
    bool p2sh = false;
    struct byte_vec subscript = {NULL, 0};
    if (solved && type == TXOUT_SCRIPTHASH) {
        subscript = result.items[0];
        result.count = 0;
        solved = sign_step(in, subscript.data, subscript.len, &result, &type, m) &&
                 type != TXOUT_SCRIPTHASH;
        p2sh = true;
    }
    if (solved && type == TXOUT_WITNESS_V0_KEYHASH) {
        uint8_t pkh[25] = {OP_DUP, OP_HASH160, 20};
        memcpy(pkh + 3, result.items[0].data, 20);
        pkh[23] = OP_EQUALVERIFY;
        pkh[24] = OP_CHECKSIG;
        stack_free(&result);
        enum txout_type sub;
        solved = sign_step(in, pkh, sizeof pkh, &result, &sub, m);
        s->witness = result;
        result.count = 0;
    } else if (solved && type == TXOUT_WITNESS_V0_SCRIPTHASH) {
        struct byte_vec ws = result.items[0];
        result.count = 0;
        enum txout_type sub;
        solved = sign_step(in, ws.data, ws.len, &result, &sub, m) && sub != TXOUT_SCRIPTHASH &&
                 sub != TXOUT_WITNESS_V0_SCRIPTHASH && sub != TXOUT_WITNESS_V0_KEYHASH &&
                 sub != TXOUT_WITNESS_V1_TAPROOT;
        if (result.count < sizeof result.items / sizeof result.items[0]) {
            result.items[result.count++] = ws;
        } else {
            free(ws.data);
            solved = false;
        }
        s->witness = result;
        result.count = 0;
    } else if (type == TXOUT_WITNESS_V1_TAPROOT && !p2sh) {
        if (solved)
            s->witness = result;
        else
            stack_free(&result);
        result.count = 0;
    }
    for (size_t i = 0; i < result.count; i++)
        push_minimal(&s->script_sig, result.items[i].data, result.items[i].len);
    if (p2sh) push_minimal(&s->script_sig, subscript.data, subscript.len);
    stack_free(&result);
    free(subscript.data);
    if (s->witness.oom || result.oom || s->script_sig.failed) return false;
    return solved;
}

/* The outputs spent by every input, when all are known (for Taproot sighashes). */
static struct tx_out *spent_outputs(const struct psbt *p)
{
    struct tx_out *outs = calloc(p->tx.vin_count ? p->tx.vin_count : 1, sizeof *outs);
    if (!outs) return NULL;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        const struct tx_out *u = psbt_input_utxo(p, i);
        if (!u) {
            free(outs);
            return NULL;
        }
        outs[i] = *u; /* shallow: scripts borrowed from p */
    }
    return outs;
}

static bool verify_input(const struct psbt *p, size_t i, const struct tx_out *utxo,
                         const uint8_t *sig, size_t sig_len, const struct byte_vec *wit,
                         size_t wit_count, const struct sighash_precomputed *pre)
{
    struct script_checker checker = {&p->tx, i, utxo->value, pre};
    enum script_error serr;
    return script_verify(sig, sig_len, utxo->script_pubkey, utxo->script_pubkey_len, wit,
                         wit_count, STANDARD_SCRIPT_VERIFY_FLAGS, &checker, &serr);
}

/* Finalizes input i if its data satisfies its script. Returns true when final. */
static bool finalize_input(struct psbt *p, size_t i, const struct sighash_precomputed *pre,
                           struct missing *m)
{
    struct psbt_input *in = &p->inputs[i];
    if (psbt_input_is_final(in)) return true;
    const struct tx_out *utxo = psbt_input_utxo(p, i);
    if (!utxo) return false;
    struct solution s;
    writer_init(&s.script_sig);
    s.witness.count = 0;
    s.witness.oom = false;
    bool ok = produce(in, utxo, &s, m) &&
              verify_input(p, i, utxo, s.script_sig.data, s.script_sig.len, s.witness.items,
                           s.witness.count, pre);
    if (ok) {
        struct byte_vec *wit = NULL;
        size_t wit_count = 0;
        ok = witness_copy(&wit, &wit_count, s.witness.items, s.witness.count) &&
             (s.script_sig.len == 0 ||
              bv_set(&in->final_script_sig, s.script_sig.data, s.script_sig.len));
        if (ok) {
            input_clear_signing_data(in);
            witness_free(&in->final_witness, &in->final_witness_count);
            in->final_witness = wit;
            in->final_witness_count = wit_count;
        } else {
            witness_free(&wit, &wit_count);
        }
    }
    writer_free(&s.script_sig);
    stack_free(&s.witness);
    return ok;
}

bool psbt_finalize(struct psbt *p)
{
    struct tx_out *spent = spent_outputs(p);
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &p->tx, spent);
    bool complete = true;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        struct missing m;
        memset(&m, 0, sizeof m);
        if (!finalize_input(p, i, &pre, &m)) complete = false;
    }
    free(spent);
    return complete;
}

bool psbt_extract(const struct psbt *p, struct tx *tx)
{
    tx_init(tx);
    for (size_t i = 0; i < p->tx.vin_count; i++)
        if (!psbt_input_is_final(&p->inputs[i])) return false;
    if (!tx_copy(tx, &p->tx)) return false;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        const struct psbt_input *in = &p->inputs[i];
        struct tx_in *txin = &tx->vin[i];
        if (!tx_set_script_sig(txin, in->final_script_sig.data, in->final_script_sig.len) ||
            !witness_copy(&txin->witness, &txin->witness_count, in->final_witness,
                          in->final_witness_count)) {
            tx_clear(tx);
            return false;
        }
    }
    return true;
}

/* ---- analysis ---- */

const char *psbt_role_name(enum psbt_role r)
{
    switch (r) {
    case PSBT_ROLE_CREATOR: return "creator";
    case PSBT_ROLE_UPDATER: return "updater";
    case PSBT_ROLE_SIGNER: return "signer";
    case PSBT_ROLE_FINALIZER: return "finalizer";
    case PSBT_ROLE_EXTRACTOR: return "extractor";
    }
    return "unknown";
}

static bool money_range(int64_t v) { return v >= 0 && v <= MAX_MONEY; }

static void set_invalid(struct psbt_analysis *a, const char *msg)
{
    snprintf(a->error, sizeof a->error, "%s", msg);
    a->next = PSBT_ROLE_CREATOR;
    a->has_fee = a->has_vsize = a->has_feerate = false;
    free(a->inputs);
    a->inputs = NULL;
    a->input_count = 0;
}

/* The last push of a scriptSig (the redeem script of a P2SH spend), or NULL. */
static const uint8_t *last_push(const uint8_t *s, size_t len, size_t *n)
{
    size_t pc = 0;
    const uint8_t *last = NULL;
    *n = 0;
    while (pc < len) {
        uint8_t op;
        const uint8_t *d;
        size_t dl;
        if (!script_get_op(s, len, &pc, &op, &d, &dl)) return NULL;
        if (op > OP_16) return NULL;
        last = d;
        *n = dl;
    }
    return last;
}

/* Core's GetTransactionSigOpCost with every spent output known. */
static int64_t sigop_cost(const struct tx *tx, const struct tx_out *spent)
{
    int64_t legacy = 0;
    for (size_t i = 0; i < tx->vin_count; i++)
        legacy += script_sigop_count(tx->vin[i].script_sig, tx->vin[i].script_sig_len, false);
    for (size_t i = 0; i < tx->vout_count; i++)
        legacy +=
            script_sigop_count(tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len, false);
    int64_t cost = legacy * WITNESS_SCALE_FACTOR;
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        if (script_is_p2sh(spent[i].script_pubkey, spent[i].script_pubkey_len)) {
            size_t n;
            const uint8_t *rs = last_push(in->script_sig, in->script_sig_len, &n);
            if (rs) cost += (int64_t)script_sigop_count(rs, n, true) * WITNESS_SCALE_FACTOR;
        }
        cost += script_witness_sigop_count(in->script_sig, in->script_sig_len,
                                           spent[i].script_pubkey, spent[i].script_pubkey_len,
                                           in->witness, in->witness_count,
                                           STANDARD_SCRIPT_VERIFY_FLAGS);
    }
    return cost;
}

bool psbt_analyze(const struct psbt *p, unsigned bytes_per_sigop, struct psbt_analysis *a)
{
    memset(a, 0, sizeof *a);
    a->input_count = p->tx.vin_count;
    a->inputs = calloc(a->input_count ? a->input_count : 1, sizeof *a->inputs);
    if (!a->inputs) return false;
    struct tx_out *spent = spent_outputs(p);
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &p->tx, spent);
    int64_t in_amt = 0;
    bool calc_fee = true;
    for (size_t i = 0; i < p->tx.vin_count; i++) {
        struct psbt_input_analysis *ia = &a->inputs[i];
        const struct psbt_input *in = &p->inputs[i];
        ia->next = PSBT_ROLE_EXTRACTOR;
        const struct tx_out *utxo = psbt_input_utxo(p, i);
        if (utxo) {
            if (!money_range(utxo->value) || !money_range(in_amt + utxo->value)) {
                char msg[PSBT_ERR_MAX];
                snprintf(msg, sizeof msg, "PSBT is not valid. Input %zu has invalid value", i);
                set_invalid(a, msg);
                free(spent);
                return true;
            }
            in_amt += utxo->value;
            ia->has_utxo = true;
        } else {
            if (in->non_witness_utxo &&
                p->tx.vin[i].prevout.n >= in->non_witness_utxo->vout_count) {
                char msg[PSBT_ERR_MAX];
                snprintf(msg, sizeof msg,
                         "PSBT is not valid. Input %zu specifies invalid prevout", i);
                set_invalid(a, msg);
                free(spent);
                return true;
            }
            ia->has_utxo = false;
            ia->is_final = false;
            ia->next = PSBT_ROLE_UPDATER;
            calc_fee = false;
        }
        if (utxo && script_is_unspendable(utxo->script_pubkey, utxo->script_pubkey_len)) {
            char msg[PSBT_ERR_MAX];
            snprintf(msg, sizeof msg, "PSBT is not valid. Input %zu spends unspendable output",
                     i);
            set_invalid(a, msg);
            free(spent);
            return true;
        }
        bool signed_ok =
            psbt_input_is_final(in) && utxo &&
            verify_input(p, i, utxo, in->final_script_sig.data, in->final_script_sig.len,
                         in->final_witness, in->final_witness_count, &pre);
        if (!signed_ok) {
            ia->is_final = false;
            bool complete = psbt_input_is_final(in);
            struct missing m;
            memset(&m, 0, sizeof m);
            if (!complete && utxo) {
                struct solution s;
                writer_init(&s.script_sig);
                s.witness.count = 0;
                s.witness.oom = false;
                complete = produce(in, utxo, &s, &m) &&
                           verify_input(p, i, utxo, s.script_sig.data, s.script_sig.len,
                                        s.witness.items, s.witness.count, &pre);
                writer_free(&s.script_sig);
                stack_free(&s.witness);
            }
            if (!complete) {
                memcpy(ia->missing_pubkeys, m.pubkeys, sizeof m.pubkeys);
                ia->missing_pubkey_count = m.pubkey_count;
                memcpy(ia->missing_sigs, m.sigs, sizeof m.sigs);
                ia->missing_sig_count = m.sig_count;
                ia->missing_redeem_script = m.redeem;
                memcpy(ia->redeem_script_hash, m.redeem_hash, 20);
                ia->missing_witness_script = m.witness;
                memcpy(ia->witness_script_hash, m.witness_hash, 32);
                if (!m.pubkey_count && !m.redeem && !m.witness && m.sig_count)
                    ia->next = PSBT_ROLE_SIGNER;
                else
                    ia->next = PSBT_ROLE_UPDATER;
            } else {
                ia->next = PSBT_ROLE_FINALIZER;
            }
        } else {
            ia->is_final = true;
        }
    }
    a->next = PSBT_ROLE_EXTRACTOR;
    for (size_t i = 0; i < a->input_count; i++)
        if (a->inputs[i].next < a->next) a->next = a->inputs[i].next;

    if (calc_fee) {
        int64_t out_amt = 0;
        for (size_t i = 0; i < p->tx.vout_count; i++) {
            int64_t v = p->tx.vout[i].value;
            if (!money_range(out_amt) || !money_range(v) || !money_range(out_amt + v)) {
                out_amt = -1;
                break;
            }
            out_amt += v;
        }
        if (!money_range(out_amt)) {
            set_invalid(a, "PSBT is not valid. Output amount invalid");
            free(spent);
            return true;
        }
        a->has_fee = true;
        a->fee = in_amt - out_amt;

        /* Size: finalize a copy and measure the network transaction. */
        struct psbt copy;
        struct tx final_tx;
        tx_init(&final_tx);
        if (!psbt_copy(&copy, p)) {
            free(spent);
            psbt_analysis_clear(a);
            return false;
        }
        if (psbt_finalize(&copy) && psbt_extract(&copy, &final_tx) && spent) {
            int64_t weight = (int64_t)tx_weight(&final_tx);
            int64_t sig_w = sigop_cost(&final_tx, spent) * (int64_t)bytes_per_sigop;
            size_t vsize = (size_t)(((weight > sig_w ? weight : sig_w) + 3) / 4);
            a->has_vsize = true;
            a->estimated_vsize = vsize;
            a->has_feerate = true;
            a->feerate = vsize ? a->fee * 1000 / (int64_t)vsize : 0;
        }
        tx_clear(&final_tx);
        psbt_clear(&copy);
    }
    free(spent);
    return true;
}

void psbt_analysis_clear(struct psbt_analysis *a)
{
    free(a->inputs);
    memset(a, 0, sizeof *a);
}
