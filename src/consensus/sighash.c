/* Signature hashes for the three signature versions, and the Taproot tree hashes.
 *
 * Every hash is fed straight into a SHA-256 context rather than serializing a modified
 * copy of the transaction: the legacy algorithm describes a transaction with some
 * fields blanked, and writing those fields as we go gives the same bytes without an
 * allocation. The legacy quirks are kept on purpose, since consensus depends on them:
 * a hash of 1 for an out-of-range input or SIGHASH_SINGLE without a matching output,
 * the full 32-bit hash type in the preimage, and OP_CODESEPARATOR removal that stops
 * parsing at the first malformed push and copies the rest verbatim. */
#include "consensus/sighash.h"

#include <string.h>

#include "consensus/serialize.h"

static void hash_u8(struct sha256_ctx *c, uint8_t v) { sha256_write(c, &v, 1); }

static void hash_u32(struct sha256_ctx *c, uint32_t v)
{
    uint8_t b[4];
    le32_write(b, v);
    sha256_write(c, b, 4);
}

static void hash_i64(struct sha256_ctx *c, int64_t v)
{
    uint8_t b[8];
    le64_write(b, (uint64_t)v);
    sha256_write(c, b, 8);
}

static void hash_compact_size(struct sha256_ctx *c, uint64_t v)
{
    uint8_t b[9];
    size_t n;
    if (v < 0xfd) {
        b[0] = (uint8_t)v;
        n = 1;
    } else if (v <= 0xffff) {
        b[0] = 0xfd;
        le16_write(b + 1, (uint16_t)v);
        n = 3;
    } else if (v <= 0xffffffffu) {
        b[0] = 0xfe;
        le32_write(b + 1, (uint32_t)v);
        n = 5;
    } else {
        b[0] = 0xff;
        le64_write(b + 1, v);
        n = 9;
    }
    sha256_write(c, b, n);
}

static void hash_var_bytes(struct sha256_ctx *c, const uint8_t *data, size_t len)
{
    hash_compact_size(c, len);
    if (len) sha256_write(c, data, len);
}

static void hash_outpoint(struct sha256_ctx *c, const struct outpoint *o)
{
    sha256_write(c, o->hash.b, 32);
    hash_u32(c, o->n);
}

static void hash_tx_out(struct sha256_ctx *c, const struct tx_out *o)
{
    hash_i64(c, o->value);
    hash_var_bytes(c, o->script_pubkey, o->script_pubkey_len);
}

static void finish_single(struct sha256_ctx *c, uint256 *out) { sha256_finalize(c, out->b); }

static void finish_double(struct sha256_ctx *c, uint256 *out)
{
    uint8_t first[32];
    sha256_finalize(c, first);
    sha256(first, 32, out->b);
}

static void hash_of_one(uint256 *out)
{
    memset(out->b, 0, 32);
    out->b[0] = 1;
}

/* ---- Precomputation ---- */

void sighash_precompute(struct sighash_precomputed *pre, const struct tx *tx,
                        const struct tx_out *spent_outputs)
{
    struct sha256_ctx c;
    memset(pre, 0, sizeof(*pre));

    sha256_init(&c);
    for (size_t i = 0; i < tx->vin_count; i++) hash_outpoint(&c, &tx->vin[i].prevout);
    finish_single(&c, &pre->prevouts_single);

    sha256_init(&c);
    for (size_t i = 0; i < tx->vin_count; i++) hash_u32(&c, tx->vin[i].sequence);
    finish_single(&c, &pre->sequences_single);

    sha256_init(&c);
    for (size_t i = 0; i < tx->vout_count; i++) hash_tx_out(&c, &tx->vout[i]);
    finish_single(&c, &pre->outputs_single);

    /* BIP143 uses double SHA-256 of the same data: hash the single hashes once more. */
    sha256(pre->prevouts_single.b, 32, pre->hash_prevouts.b);
    sha256(pre->sequences_single.b, 32, pre->hash_sequence.b);
    sha256(pre->outputs_single.b, 32, pre->hash_outputs.b);
    pre->bip143_ready = true;

    pre->spent_outputs = spent_outputs;
    if (!spent_outputs) return;
    sha256_init(&c);
    for (size_t i = 0; i < tx->vin_count; i++) hash_i64(&c, spent_outputs[i].value);
    finish_single(&c, &pre->spent_amounts_single);
    sha256_init(&c);
    for (size_t i = 0; i < tx->vin_count; i++)
        hash_var_bytes(&c, spent_outputs[i].script_pubkey, spent_outputs[i].script_pubkey_len);
    finish_single(&c, &pre->spent_scripts_single);
    pre->bip341_ready = true;
}

/* ---- Legacy ---- */

/* Writes script_code as a serialized script with every OP_CODESEPARATOR left out. */
static void hash_script_code_legacy(struct sha256_ctx *c, const uint8_t *s, size_t len)
{
    size_t pc = 0, seps = 0;
    uint8_t op;
    while (script_get_op(s, len, &pc, &op, NULL, NULL))
        if (op == OP_CODESEPARATOR) seps++;
    hash_compact_size(c, len - seps);

    size_t begin = 0;
    pc = 0;
    while (script_get_op(s, len, &pc, &op, NULL, NULL)) {
        if (op == OP_CODESEPARATOR) {
            sha256_write(c, s + begin, pc - 1 - begin);
            begin = pc;
        }
    }
    if (len > begin) sha256_write(c, s + begin, len - begin);
}

void sighash_legacy(uint256 *out, const uint8_t *script_code, size_t script_code_len,
                    const struct tx *tx, size_t in_index, int32_t hash_type)
{
    int base = hash_type & 0x1f;
    bool anyone_can_pay = (hash_type & SIGHASH_ANYONECANPAY) != 0;
    bool none = base == SIGHASH_NONE, single = base == SIGHASH_SINGLE;

    if (in_index >= tx->vin_count || (single && in_index >= tx->vout_count)) {
        hash_of_one(out);
        return;
    }

    struct sha256_ctx c;
    sha256_init(&c);
    hash_u32(&c, (uint32_t)tx->version);

    size_t n_in = anyone_can_pay ? 1 : tx->vin_count;
    hash_compact_size(&c, n_in);
    for (size_t k = 0; k < n_in; k++) {
        size_t i = anyone_can_pay ? in_index : k;
        const struct tx_in *in = &tx->vin[i];
        hash_outpoint(&c, &in->prevout);
        if (i == in_index)
            hash_script_code_legacy(&c, script_code, script_code_len);
        else
            hash_compact_size(&c, 0);
        hash_u32(&c, (i != in_index && (none || single)) ? 0 : in->sequence);
    }

    size_t n_out = none ? 0 : single ? in_index + 1 : tx->vout_count;
    hash_compact_size(&c, n_out);
    for (size_t i = 0; i < n_out; i++) {
        if (single && i != in_index) {
            hash_i64(&c, -1);
            hash_compact_size(&c, 0);
        } else {
            hash_tx_out(&c, &tx->vout[i]);
        }
    }
    hash_u32(&c, tx->locktime);
    hash_u32(&c, (uint32_t)hash_type);
    finish_double(&c, out);
}

/* ---- BIP143 ---- */

void sighash_witness_v0(uint256 *out, const uint8_t *script_code, size_t script_code_len,
                        const struct tx *tx, size_t in_index, int32_t hash_type, int64_t amount,
                        const struct sighash_precomputed *pre)
{
    if (in_index >= tx->vin_count) { /* a caller bug; never reached from the interpreter */
        hash_of_one(out);
        return;
    }
    struct sighash_precomputed local;
    if (!pre || !pre->bip143_ready) {
        sighash_precompute(&local, tx, NULL);
        pre = &local;
    }
    int base = hash_type & 0x1f;
    bool anyone_can_pay = (hash_type & SIGHASH_ANYONECANPAY) != 0;
    bool none = base == SIGHASH_NONE, single = base == SIGHASH_SINGLE;

    uint256 hash_prevouts = {{0}}, hash_sequence = {{0}}, hash_outputs = {{0}};
    if (!anyone_can_pay) hash_prevouts = pre->hash_prevouts;
    if (!anyone_can_pay && !single && !none) hash_sequence = pre->hash_sequence;
    if (!single && !none) {
        hash_outputs = pre->hash_outputs;
    } else if (single && in_index < tx->vout_count) {
        struct sha256_ctx o;
        sha256_init(&o);
        hash_tx_out(&o, &tx->vout[in_index]);
        finish_double(&o, &hash_outputs);
    }

    const struct tx_in *in = &tx->vin[in_index];
    struct sha256_ctx c;
    sha256_init(&c);
    hash_u32(&c, (uint32_t)tx->version);
    sha256_write(&c, hash_prevouts.b, 32);
    sha256_write(&c, hash_sequence.b, 32);
    hash_outpoint(&c, &in->prevout);
    hash_var_bytes(&c, script_code, script_code_len);
    hash_i64(&c, amount);
    hash_u32(&c, in->sequence);
    sha256_write(&c, hash_outputs.b, 32);
    hash_u32(&c, tx->locktime);
    hash_u32(&c, (uint32_t)hash_type);
    finish_double(&c, out);
}

/* ---- BIP341 / BIP342 ---- */

bool sighash_taproot(uint256 *out, const struct tx *tx, size_t in_index, uint8_t hash_type,
                     enum sig_version sigversion, const struct script_exec_data *execdata,
                     const struct sighash_precomputed *pre)
{
    uint8_t ext_flag;
    if (sigversion == SIGVERSION_TAPROOT)
        ext_flag = 0;
    else if (sigversion == SIGVERSION_TAPSCRIPT)
        ext_flag = 1;
    else
        return false;
    if (in_index >= tx->vin_count || !pre || !pre->bip341_ready || !pre->spent_outputs)
        return false;
    if (!(hash_type <= 0x03 || (hash_type >= 0x81 && hash_type <= 0x83))) return false;

    uint8_t output_type =
        hash_type == SIGHASH_DEFAULT ? SIGHASH_ALL : (hash_type & SIGHASH_OUTPUT_MASK);
    bool anyone_can_pay = (hash_type & SIGHASH_INPUT_MASK) == SIGHASH_ANYONECANPAY;
    if (output_type == SIGHASH_SINGLE && in_index >= tx->vout_count) return false;
    bool annex = execdata && execdata->annex_present;
    if (annex && !execdata->annex_init) return false;
    if (ext_flag == 1 && (!execdata || !execdata->tapleaf_hash_init)) return false;

    struct sha256_ctx c;
    sha256_tagged_init(&c, "TapSighash");
    hash_u8(&c, 0); /* epoch */
    hash_u8(&c, hash_type);
    hash_u32(&c, (uint32_t)tx->version);
    hash_u32(&c, tx->locktime);
    if (!anyone_can_pay) {
        sha256_write(&c, pre->prevouts_single.b, 32);
        sha256_write(&c, pre->spent_amounts_single.b, 32);
        sha256_write(&c, pre->spent_scripts_single.b, 32);
        sha256_write(&c, pre->sequences_single.b, 32);
    }
    if (output_type == SIGHASH_ALL) sha256_write(&c, pre->outputs_single.b, 32);

    hash_u8(&c, (uint8_t)((ext_flag << 1) | (annex ? 1 : 0)));
    if (anyone_can_pay) {
        const struct tx_in *in = &tx->vin[in_index];
        hash_outpoint(&c, &in->prevout);
        hash_tx_out(&c, &pre->spent_outputs[in_index]);
        hash_u32(&c, in->sequence);
    } else {
        hash_u32(&c, (uint32_t)in_index);
    }
    if (annex) sha256_write(&c, execdata->annex_hash.b, 32);

    if (output_type == SIGHASH_SINGLE) {
        struct sha256_ctx o;
        uint256 single_output;
        sha256_init(&o);
        hash_tx_out(&o, &tx->vout[in_index]);
        finish_single(&o, &single_output);
        sha256_write(&c, single_output.b, 32);
    }

    if (ext_flag == 1) {
        sha256_write(&c, execdata->tapleaf_hash.b, 32);
        hash_u8(&c, 0); /* key_version */
        hash_u32(&c,
                 execdata->codeseparator_pos_init ? execdata->codeseparator_pos : 0xffffffffu);
    }
    finish_single(&c, out);
    return true;
}

/* ---- Taproot tree ---- */

void taproot_leaf_hash(uint256 *out, uint8_t leaf_version, const uint8_t *script,
                       size_t script_len)
{
    struct sha256_ctx c;
    sha256_tagged_init(&c, "TapLeaf");
    hash_u8(&c, leaf_version);
    hash_var_bytes(&c, script, script_len);
    finish_single(&c, out);
}

void taproot_branch_hash(uint256 *out, const uint256 *a, const uint256 *b)
{
    struct sha256_ctx c;
    sha256_tagged_init(&c, "TapBranch");
    if (memcmp(a->b, b->b, 32) < 0) {
        sha256_write(&c, a->b, 32);
        sha256_write(&c, b->b, 32);
    } else {
        sha256_write(&c, b->b, 32);
        sha256_write(&c, a->b, 32);
    }
    finish_single(&c, out);
}

void taproot_tweak_hash(uint256 *out, const uint8_t internal_key[32],
                        const uint256 *merkle_root)
{
    struct sha256_ctx c;
    sha256_tagged_init(&c, "TapTweak");
    sha256_write(&c, internal_key, 32);
    if (merkle_root) sha256_write(&c, merkle_root->b, 32);
    finish_single(&c, out);
}

void taproot_merkle_root(uint256 *out, const uint8_t *control, size_t control_len,
                         const uint256 *tapleaf_hash)
{
    uint256 k = *tapleaf_hash;
    size_t nodes = control_len < TAPROOT_CONTROL_BASE_SIZE
                       ? 0
                       : (control_len - TAPROOT_CONTROL_BASE_SIZE) / TAPROOT_CONTROL_NODE_SIZE;
    for (size_t i = 0; i < nodes; i++) {
        uint256 node, next;
        memcpy(node.b, control + TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * i, 32);
        taproot_branch_hash(&next, &k, &node);
        k = next;
    }
    *out = k;
}
