/* Transaction (de)serialization. The BIP144 extended form is recognised by an empty
 * input vector followed by a non-zero flags byte; flag bit 0 means witnesses follow the
 * outputs. Limits on counts come from the bytes left, so a hostile length field cannot
 * make us allocate more than the input could describe. */
#include "consensus/tx.h"

#include <stdlib.h>
#include <string.h>

/* Smallest serialized input: outpoint 36 + script length 1 + sequence 4. */
#define MIN_TXIN_SIZE 41
/* Smallest serialized output: value 8 + script length 1. */
#define MIN_TXOUT_SIZE 9

static uint8_t *dup_bytes(const uint8_t *data, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p && len) memcpy(p, data, len);
    return p;
}

void tx_init(struct tx *tx)
{
    memset(tx, 0, sizeof(*tx));
    tx->version = 1;
}

void tx_in_clear_witness(struct tx_in *in)
{
    for (size_t i = 0; i < in->witness_count; i++) free(in->witness[i].data);
    free(in->witness);
    in->witness = NULL;
    in->witness_count = 0;
}

void tx_clear(struct tx *tx)
{
    if (!tx) return;
    for (size_t i = 0; i < tx->vin_count; i++) {
        free(tx->vin[i].script_sig);
        tx_in_clear_witness(&tx->vin[i]);
    }
    free(tx->vin);
    for (size_t i = 0; i < tx->vout_count; i++) free(tx->vout[i].script_pubkey);
    free(tx->vout);
    tx_init(tx);
}

bool tx_resize(struct tx *tx, size_t vin_count, size_t vout_count)
{
    for (size_t i = vin_count; i < tx->vin_count; i++) {
        free(tx->vin[i].script_sig);
        tx_in_clear_witness(&tx->vin[i]);
    }
    for (size_t i = vout_count; i < tx->vout_count; i++) free(tx->vout[i].script_pubkey);
    if (vin_count != tx->vin_count) {
        struct tx_in *vin = realloc(tx->vin, (vin_count ? vin_count : 1) * sizeof(*vin));
        if (!vin) return false;
        for (size_t i = tx->vin_count; i < vin_count; i++) {
            memset(&vin[i], 0, sizeof(vin[i]));
            vin[i].sequence = SEQUENCE_FINAL;
        }
        tx->vin = vin;
        tx->vin_count = vin_count;
    }
    if (vout_count != tx->vout_count) {
        struct tx_out *vout =
            realloc(tx->vout, (vout_count ? vout_count : 1) * sizeof(*vout));
        if (!vout) return false;
        for (size_t i = tx->vout_count; i < vout_count; i++) memset(&vout[i], 0, sizeof(vout[i]));
        tx->vout = vout;
        tx->vout_count = vout_count;
    }
    return true;
}

bool tx_set_script_sig(struct tx_in *in, const uint8_t *data, size_t len)
{
    uint8_t *p = dup_bytes(data, len);
    if (!p) return false;
    free(in->script_sig);
    in->script_sig = p;
    in->script_sig_len = len;
    return true;
}

bool tx_set_script_pubkey(struct tx_out *out, const uint8_t *data, size_t len)
{
    uint8_t *p = dup_bytes(data, len);
    if (!p) return false;
    free(out->script_pubkey);
    out->script_pubkey = p;
    out->script_pubkey_len = len;
    return true;
}

bool tx_copy(struct tx *dst, const struct tx *src)
{
    tx_init(dst);
    dst->version = src->version;
    dst->locktime = src->locktime;
    if (!tx_resize(dst, src->vin_count, src->vout_count)) goto fail;
    for (size_t i = 0; i < src->vin_count; i++) {
        const struct tx_in *s = &src->vin[i];
        struct tx_in *d = &dst->vin[i];
        d->prevout = s->prevout;
        d->sequence = s->sequence;
        if (!tx_set_script_sig(d, s->script_sig, s->script_sig_len)) goto fail;
        if (s->witness_count) {
            d->witness = calloc(s->witness_count, sizeof(*d->witness));
            if (!d->witness) goto fail;
            d->witness_count = s->witness_count;
            for (size_t j = 0; j < s->witness_count; j++) {
                d->witness[j].data = dup_bytes(s->witness[j].data, s->witness[j].len);
                if (!d->witness[j].data) goto fail;
                d->witness[j].len = s->witness[j].len;
            }
        }
    }
    for (size_t i = 0; i < src->vout_count; i++) {
        dst->vout[i].value = src->vout[i].value;
        if (!tx_set_script_pubkey(&dst->vout[i], src->vout[i].script_pubkey,
                                  src->vout[i].script_pubkey_len))
            goto fail;
    }
    return true;
fail:
    tx_clear(dst);
    return false;
}

static bool read_inputs(struct reader *r, struct tx *tx)
{
    uint64_t n;
    if (!read_compact_size(r, &n)) return false;
    if (n > reader_remaining(r) / MIN_TXIN_SIZE) {
        r->failed = true;
        return false;
    }
    if (n == 0) return true;
    tx->vin = calloc(n, sizeof(*tx->vin));
    if (!tx->vin) return false;
    for (uint64_t i = 0; i < n; i++) {
        struct tx_in *in = &tx->vin[i];
        tx->vin_count = i + 1; /* so tx_clear frees what was read on failure */
        if (!read_bytes(r, in->prevout.hash.b, 32) || !read_u32(r, &in->prevout.n) ||
            !read_var_bytes(r, &in->script_sig, &in->script_sig_len) ||
            !read_u32(r, &in->sequence))
            return false;
    }
    return true;
}

static bool read_outputs(struct reader *r, struct tx *tx)
{
    uint64_t n;
    if (!read_compact_size(r, &n)) return false;
    if (n > reader_remaining(r) / MIN_TXOUT_SIZE) {
        r->failed = true;
        return false;
    }
    if (n == 0) return true;
    tx->vout = calloc(n, sizeof(*tx->vout));
    if (!tx->vout) return false;
    for (uint64_t i = 0; i < n; i++) {
        struct tx_out *out = &tx->vout[i];
        tx->vout_count = i + 1;
        if (!read_i64(r, &out->value) ||
            !read_var_bytes(r, &out->script_pubkey, &out->script_pubkey_len))
            return false;
    }
    return true;
}

static bool read_witness(struct reader *r, struct tx_in *in)
{
    uint64_t n;
    if (!read_compact_size(r, &n)) return false;
    if (n > reader_remaining(r)) { /* every item takes at least its length byte */
        r->failed = true;
        return false;
    }
    if (n == 0) return true;
    in->witness = calloc(n, sizeof(*in->witness));
    if (!in->witness) return false;
    for (uint64_t i = 0; i < n; i++) {
        in->witness_count = i + 1;
        if (!read_var_bytes(r, &in->witness[i].data, &in->witness[i].len)) return false;
    }
    return true;
}

bool tx_deserialize(struct reader *r, struct tx *tx, bool allow_witness)
{
    tx_init(tx);
    uint8_t flags = 0;
    if (!read_i32(r, &tx->version) || !read_inputs(r, tx)) goto fail;
    if (tx->vin_count == 0 && allow_witness) {
        /* Either a genuinely empty input vector or the BIP144 marker. */
        if (!read_u8(r, &flags)) goto fail;
        if (flags != 0) {
            if (!read_inputs(r, tx) || !read_outputs(r, tx)) goto fail;
        }
    } else if (!read_outputs(r, tx)) {
        goto fail;
    }
    if ((flags & 1) && allow_witness) {
        flags ^= 1;
        bool any = false;
        for (size_t i = 0; i < tx->vin_count; i++) {
            if (!read_witness(r, &tx->vin[i])) goto fail;
            if (tx->vin[i].witness_count) any = true;
        }
        if (!any) goto fail; /* superfluous witness record */
    }
    if (flags) goto fail; /* unknown optional data */
    if (!read_u32(r, &tx->locktime)) goto fail;
    return true;
fail:
    r->failed = true;
    tx_clear(tx);
    return false;
}

bool tx_from_bytes(struct tx *tx, const uint8_t *data, size_t len, bool allow_witness)
{
    struct reader r;
    reader_init(&r, data, len);
    if (!tx_deserialize(&r, tx, allow_witness)) return false;
    if (reader_remaining(&r) != 0) {
        tx_clear(tx);
        return false;
    }
    return true;
}

bool tx_has_witness(const struct tx *tx)
{
    for (size_t i = 0; i < tx->vin_count; i++)
        if (tx->vin[i].witness_count) return true;
    return false;
}

void tx_serialize(struct writer *w, const struct tx *tx, bool with_witness)
{
    bool wit = with_witness && tx_has_witness(tx);
    write_i32(w, tx->version);
    if (wit) {
        write_u8(w, 0);
        write_u8(w, 1);
    }
    write_compact_size(w, tx->vin_count);
    for (size_t i = 0; i < tx->vin_count; i++) {
        const struct tx_in *in = &tx->vin[i];
        write_bytes(w, in->prevout.hash.b, 32);
        write_u32(w, in->prevout.n);
        write_var_bytes(w, in->script_sig, in->script_sig_len);
        write_u32(w, in->sequence);
    }
    write_compact_size(w, tx->vout_count);
    for (size_t i = 0; i < tx->vout_count; i++) {
        write_i64(w, tx->vout[i].value);
        write_var_bytes(w, tx->vout[i].script_pubkey, tx->vout[i].script_pubkey_len);
    }
    if (wit) {
        for (size_t i = 0; i < tx->vin_count; i++) {
            const struct tx_in *in = &tx->vin[i];
            write_compact_size(w, in->witness_count);
            for (size_t j = 0; j < in->witness_count; j++)
                write_var_bytes(w, in->witness[j].data, in->witness[j].len);
        }
    }
    write_u32(w, tx->locktime);
}

size_t tx_size(const struct tx *tx, bool with_witness)
{
    size_t n = 4 + 4 + compact_size_len(tx->vin_count) + compact_size_len(tx->vout_count);
    for (size_t i = 0; i < tx->vin_count; i++)
        n += 36 + compact_size_len(tx->vin[i].script_sig_len) + tx->vin[i].script_sig_len + 4;
    for (size_t i = 0; i < tx->vout_count; i++)
        n += 8 + compact_size_len(tx->vout[i].script_pubkey_len) +
             tx->vout[i].script_pubkey_len;
    if (with_witness && tx_has_witness(tx)) {
        n += 2;
        for (size_t i = 0; i < tx->vin_count; i++) {
            const struct tx_in *in = &tx->vin[i];
            n += compact_size_len(in->witness_count);
            for (size_t j = 0; j < in->witness_count; j++)
                n += compact_size_len(in->witness[j].len) + in->witness[j].len;
        }
    }
    return n;
}

size_t tx_weight(const struct tx *tx)
{
    return tx_size(tx, false) * (WITNESS_SCALE_FACTOR - 1) + tx_size(tx, true);
}

static void hash_serialized(const struct tx *tx, bool with_witness, uint256 *out)
{
    struct sha256_ctx ctx;
    struct writer w;
    sha256_init(&ctx);
    writer_init_hash(&w, &ctx);
    tx_serialize(&w, tx, with_witness);
    uint8_t first[32];
    sha256_finalize(&ctx, first);
    sha256(first, 32, out->b);
}

void tx_txid(const struct tx *tx, uint256 *out) { hash_serialized(tx, false, out); }
void tx_wtxid(const struct tx *tx, uint256 *out) { hash_serialized(tx, true, out); }

bool outpoint_is_null(const struct outpoint *o)
{
    return o->n == 0xffffffffu && uint256_is_zero(&o->hash);
}

bool tx_is_coinbase(const struct tx *tx)
{
    return tx->vin_count == 1 && outpoint_is_null(&tx->vin[0].prevout);
}
