/* The script interpreter: Bitcoin Core's EvalScript and VerifyScript with every rule
 * that depends on the verification flags, the signature versions and the witness
 * program kinds (BIP16 P2SH, BIP65/112 lock times, BIP66 DER, BIP141/143 SegWit v0,
 * BIP341/342 Taproot and tapscript).
 *
 * The goal is bit-for-bit agreement with Core, including its historical accidents:
 * FindAndDelete of the signature from the legacy scriptCode, the extra CHECKMULTISIG
 * argument, OP_VERIF failing even in unexecuted branches, error precedence. Where the
 * order of two checks decides which error is reported, the order here is Core's.
 *
 * Memory: the main stack belongs to the caller; the alt stack and any edited copy of
 * the scriptCode are owned by the running call and freed on every exit path. Stack
 * elements are separate heap buffers, so swapping and rotating moves only pointers.
 * Nothing is allocated in proportion to anything but the data being verified. */
#include <stdlib.h>
#include <string.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/serialize.h"
#include "consensus/sighash.h"

/* BIP68 fields of an input's sequence number. */
#define SEQUENCE_LOCKTIME_DISABLE_FLAG (1u << 31)
#define SEQUENCE_LOCKTIME_TYPE_FLAG    (1u << 22)
#define SEQUENCE_LOCKTIME_MASK         0x0000ffffu

/* Numeric operands are at most 4 bytes; lock-time operands may use 5. */
#define SCRIPTNUM_DEFAULT_SIZE  4
#define SCRIPTNUM_LOCKTIME_SIZE 5
/* A serialized int64 script number: 8 magnitude bytes plus a sign byte. */
#define SCRIPTNUM_ENCODED_MAX 9

static bool fail(enum script_error *err, enum script_error e)
{
    if (err) *err = e;
    return false;
}

static bool succeed(enum script_error *err)
{
    if (err) *err = SCRIPT_ERR_OK;
    return true;
}

/* ---- Stack ---- */

void script_stack_init(struct script_stack *s)
{
    s->items = NULL;
    s->count = 0;
    s->cap = 0;
}

void script_stack_free(struct script_stack *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) free(s->items[i].data);
    free(s->items);
    script_stack_init(s);
}

static bool stack_reserve_one(struct script_stack *s)
{
    if (s->count < s->cap) return true;
    size_t cap = s->cap ? s->cap * 2 : 16;
    struct byte_vec *items = realloc(s->items, cap * sizeof(*items));
    if (!items) return false;
    s->items = items;
    s->cap = cap;
    return true;
}

/* A malloc'd copy of data (NULL for an empty element). */
static bool dup_bytes(uint8_t **out, const uint8_t *data, size_t len)
{
    *out = NULL;
    if (len == 0) return true;
    *out = malloc(len);
    if (!*out) return false;
    memcpy(*out, data, len);
    return true;
}

bool script_stack_push(struct script_stack *s, const uint8_t *data, size_t len)
{
    uint8_t *copy;
    if (!dup_bytes(&copy, data, len)) return false;
    if (!stack_reserve_one(s)) {
        free(copy);
        return false;
    }
    s->items[s->count].data = copy;
    s->items[s->count].len = len;
    s->count++;
    return true;
}

/* The i-th element from the top, i >= 1 (Core's stacktop(-i)). */
static struct byte_vec *top(const struct script_stack *s, size_t i)
{
    return &s->items[s->count - i];
}

/* A pointer usable with memcmp/hash functions even for an empty element. */
static const uint8_t *vdata(const struct byte_vec *v)
{
    static const uint8_t empty[1] = {0};
    return v->len ? v->data : empty;
}

static void stack_pop(struct script_stack *s)
{
    s->count--;
    free(s->items[s->count].data);
}

static void stack_erase(struct script_stack *s, size_t idx)
{
    free(s->items[idx].data);
    memmove(&s->items[idx], &s->items[idx + 1], (s->count - idx - 1) * sizeof(s->items[0]));
    s->count--;
}

static void stack_truncate(struct script_stack *s, size_t n)
{
    while (s->count > n) stack_pop(s);
}

static void stack_swap(struct script_stack *s, size_t i, size_t j)
{
    struct byte_vec t = *top(s, i);
    *top(s, i) = *top(s, j);
    *top(s, j) = t;
}

/* Inserts a copy of data so that it ends up at index idx. */
static bool stack_insert(struct script_stack *s, size_t idx, const uint8_t *data, size_t len)
{
    uint8_t *copy;
    if (!dup_bytes(&copy, data, len)) return false;
    if (!stack_reserve_one(s)) {
        free(copy);
        return false;
    }
    memmove(&s->items[idx + 1], &s->items[idx], (s->count - idx) * sizeof(s->items[0]));
    s->items[idx].data = copy;
    s->items[idx].len = len;
    s->count++;
    return true;
}

static bool stack_push_copy_of(struct script_stack *s, size_t i)
{
    /* Element buffers never move when the item array grows, so this pointer stays
     * valid across the push. */
    const struct byte_vec *v = top(s, i);
    return script_stack_push(s, v->data, v->len);
}

/* Moves the top element of src onto dst without copying its bytes. */
static bool stack_move_top(struct script_stack *dst, struct script_stack *src)
{
    if (!stack_reserve_one(dst)) return false;
    dst->items[dst->count++] = src->items[--src->count];
    return true;
}

static bool stack_copy(struct script_stack *dst, const struct script_stack *src)
{
    script_stack_init(dst);
    for (size_t i = 0; i < src->count; i++) {
        if (!script_stack_push(dst, src->items[i].data, src->items[i].len)) {
            script_stack_free(dst);
            return false;
        }
    }
    return true;
}

/* ---- Script numbers (Core's CScriptNum) ---- */

/* Little-endian magnitude with the sign in the top bit of the last byte. Fails for
 * more than max_size bytes and, with require_minimal, for any encoding that has a
 * shorter form (including negative zero). */
static bool num_decode(const struct byte_vec *v, bool require_minimal, size_t max_size,
                       int64_t *out)
{
    size_t n = v->len;
    if (n > max_size) return false;
    if (n == 0) {
        *out = 0;
        return true;
    }
    const uint8_t *d = v->data;
    if (require_minimal && (d[n - 1] & 0x7f) == 0) {
        /* A last byte of 0x00/0x80 is only needed when the byte before it has its
         * top bit set. */
        if (n <= 1 || (d[n - 2] & 0x80) == 0) return false;
    }
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) r |= (uint64_t)d[i] << (8 * i);
    if (d[n - 1] & 0x80) {
        r &= ~((uint64_t)0x80 << (8 * (n - 1)));
        *out = -(int64_t)r;
    } else {
        *out = (int64_t)r;
    }
    return true;
}

static size_t num_encode(int64_t value, uint8_t out[SCRIPTNUM_ENCODED_MAX])
{
    if (value == 0) return 0;
    bool neg = value < 0;
    uint64_t a = neg ? ~(uint64_t)value + 1 : (uint64_t)value;
    size_t n = 0;
    while (a) {
        out[n++] = (uint8_t)(a & 0xff);
        a >>= 8;
    }
    if (out[n - 1] & 0x80)
        out[n++] = neg ? 0x80 : 0x00;
    else if (neg)
        out[n - 1] |= 0x80;
    return n;
}

static bool stack_push_num(struct script_stack *s, int64_t value)
{
    uint8_t buf[SCRIPTNUM_ENCODED_MAX];
    size_t n = num_encode(value, buf);
    return script_stack_push(s, buf, n);
}

static bool stack_push_bool(struct script_stack *s, bool v)
{
    static const uint8_t one = 1;
    return script_stack_push(s, &one, v ? 1 : 0);
}

/* Any non-zero byte is true, except that negative zero (0x80 last) is false. */
static bool cast_to_bool(const struct byte_vec *v)
{
    for (size_t i = 0; i < v->len; i++) {
        if (v->data[i] != 0) return !(i == v->len - 1 && v->data[i] == 0x80);
    }
    return false;
}

/* MINIMALDATA: the push opcode used is the shortest one for the data. */
static bool check_minimal_push(const uint8_t *data, size_t len, uint8_t op)
{
    if (len == 0) return op == OP_0;
    if (len == 1 && data[0] >= 1 && data[0] <= 16) return false; /* OP_1..OP_16 */
    if (len == 1 && data[0] == 0x81) return false;               /* OP_1NEGATE */
    if (len <= 75) return op == len;
    if (len <= 255) return op == OP_PUSHDATA1;
    if (len <= 65535) return op == OP_PUSHDATA2;
    return true;
}

/* Tapscript opcodes that make the whole script succeed unconditionally (BIP342). */
static bool is_op_success(uint8_t op)
{
    return op == 80 || op == 98 || (op >= 126 && op <= 129) || (op >= 131 && op <= 134) ||
           (op >= 137 && op <= 138) || (op >= 141 && op <= 142) || (op >= 149 && op <= 153) ||
           (op >= 187 && op <= 254);
}

/* ---- Condition stack ----
 * Only whether every entry is true matters, plus toggling and popping the top, so the
 * stack is a size and the position of the first false entry (Core's ConditionStack):
 * constant memory however deeply IFs nest. */
#define COND_NO_FALSE SIZE_MAX

struct cond_stack {
    size_t size;
    size_t first_false;
};

static bool cond_all_true(const struct cond_stack *c)
{
    return c->first_false == COND_NO_FALSE;
}

static void cond_push(struct cond_stack *c, bool v)
{
    if (c->first_false == COND_NO_FALSE && !v) c->first_false = c->size;
    c->size++;
}

static void cond_pop(struct cond_stack *c)
{
    c->size--;
    if (c->first_false == c->size) c->first_false = COND_NO_FALSE;
}

static void cond_toggle_top(struct cond_stack *c)
{
    if (c->first_false == COND_NO_FALSE)
        c->first_false = c->size - 1;
    else if (c->first_false == c->size - 1)
        c->first_false = COND_NO_FALSE;
    /* else a false entry below the top keeps everything unexecuted */
}

/* ---- FindAndDelete ---- */

/* The opcode bytes Core's `CScript() << data` writes before data. */
static size_t push_prefix(uint8_t pre[5], size_t n)
{
    if (n < OP_PUSHDATA1) {
        pre[0] = (uint8_t)n;
        return 1;
    }
    if (n <= 0xff) {
        pre[0] = OP_PUSHDATA1;
        pre[1] = (uint8_t)n;
        return 2;
    }
    if (n <= 0xffff) {
        pre[0] = OP_PUSHDATA2;
        le16_write(pre + 1, (uint16_t)n);
        return 3;
    }
    pre[0] = OP_PUSHDATA4;
    le32_write(pre + 1, (uint32_t)n);
    return 5;
}

/* Removes every occurrence of the canonical push of data that starts at an opcode
 * boundary of s (Core's FindAndDelete), writing the result to out, which may be s
 * itself (the output never overtakes the input). With out NULL only counts. Returns the
 * number of occurrences; *out_len gets the new length when out is given. */
static size_t find_and_delete(uint8_t *out, size_t *out_len, const uint8_t *s, size_t len,
                              const uint8_t *data, size_t data_len)
{
    uint8_t pre[5];
    size_t pre_len = push_prefix(pre, data_len);
    size_t total = pre_len + data_len;
    size_t found = 0, w = 0, pc = 0, kept_from = 0;
    for (;;) {
        if (out && pc > kept_from) memmove(out + w, s + kept_from, pc - kept_from);
        w += pc - kept_from;
        while (len - pc >= total && memcmp(s + pc, pre, pre_len) == 0 &&
               (data_len == 0 || memcmp(s + pc + pre_len, data, data_len) == 0)) {
            pc += total;
            found++;
        }
        kept_from = pc;
        uint8_t op;
        if (!script_get_op(s, len, &pc, &op, NULL, NULL)) break;
    }
    /* A malformed tail (or the end) is kept verbatim. */
    if (out) {
        if (len > kept_from) memmove(out + w, s + kept_from, len - kept_from);
        *out_len = w + (len - kept_from);
    }
    return found;
}

/* ---- Signature and lock-time checks against the transaction ---- */

static bool checker_has_input(const struct script_checker *c)
{
    return c && c->tx && c->in_index < c->tx->vin_count;
}

static bool check_ecdsa_signature(const struct script_checker *c,
                                  const struct sig_cache_hook *cache,
                                  const struct byte_vec *sig, const struct byte_vec *pk,
                                  const uint8_t *script_code, size_t code_len,
                                  enum sig_version sv)
{
    if (!checker_has_input(c)) return false;
    if (!pubkey_is_valid_size(pk->data, pk->len)) return false;
    if (sig->len == 0) return false;
    int32_t hash_type = sig->data[sig->len - 1];
    uint256 h;
    if (sv == SIGVERSION_BASE) {
        sighash_legacy(&h, script_code, code_len, c->tx, c->in_index, hash_type);
    } else {
        const struct sighash_precomputed *pre = c->pre && c->pre->bip143_ready ? c->pre : NULL;
        sighash_witness_v0(&h, script_code, code_len, c->tx, c->in_index, hash_type, c->amount,
                           pre);
    }
    /* Only the curve arithmetic is cached; everything above always runs. */
    if (cache && cache->lookup(cache->ctx, SIG_CACHE_ECDSA, h.b, pk->data, pk->len, sig->data,
                               sig->len - 1))
        return true;
    if (!pubkey_ecdsa_verify(pk->data, pk->len, sig->data, sig->len - 1, h.b)) return false;
    if (cache && cache->store_on_success)
        cache->store(cache->ctx, SIG_CACHE_ECDSA, h.b, pk->data, pk->len, sig->data,
                     sig->len - 1);
    return true;
}

/* BIP340/341 signature check (Core's CheckSchnorrSignature); sets *err on failure. */
static bool check_schnorr_signature(const struct script_checker *c,
                                    const struct sig_cache_hook *cache,
                                    const struct byte_vec *sig, const uint8_t pubkey[32],
                                    enum sig_version sv, const struct script_exec_data *ed,
                                    enum script_error *err)
{
    if (sig->len != 64 && sig->len != 65) return fail(err, SCRIPT_ERR_SCHNORR_SIG_SIZE);
    uint8_t hash_type = SIGHASH_DEFAULT;
    if (sig->len == 65) {
        hash_type = sig->data[64];
        /* An explicit default hash type would make the signature malleable. */
        if (hash_type == SIGHASH_DEFAULT) return fail(err, SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    }
    if (!checker_has_input(c)) return fail(err, SCRIPT_ERR_SCHNORR_SIG);
    uint256 h;
    if (!c->pre || !sighash_taproot(&h, c->tx, c->in_index, hash_type, sv, ed, c->pre))
        return fail(err, SCRIPT_ERR_SCHNORR_SIG_HASHTYPE);
    if (cache && cache->lookup(cache->ctx, SIG_CACHE_SCHNORR, h.b, pubkey, 32, sig->data, 64))
        return true;
    if (!pubkey_schnorr_verify(pubkey, sig->data, h.b, 32))
        return fail(err, SCRIPT_ERR_SCHNORR_SIG);
    if (cache && cache->store_on_success)
        cache->store(cache->ctx, SIG_CACHE_SCHNORR, h.b, pubkey, 32, sig->data, 64);
    return true;
}

static bool check_lock_time(const struct script_checker *c, int64_t lock_time)
{
    if (!checker_has_input(c)) return false;
    int64_t tx_lock = c->tx->locktime;
    /* Heights and times are not comparable: both must be of the same kind. */
    if ((tx_lock < LOCKTIME_THRESHOLD) != (lock_time < LOCKTIME_THRESHOLD)) return false;
    if (lock_time > tx_lock) return false;
    /* A final input disables nLockTime, and with it this check. */
    if (c->tx->vin[c->in_index].sequence == SEQUENCE_FINAL) return false;
    return true;
}

static bool check_sequence(const struct script_checker *c, int64_t sequence)
{
    if (!checker_has_input(c)) return false;
    int64_t tx_seq = c->tx->vin[c->in_index].sequence;
    /* BIP68 applies from version 2, compared as unsigned as in Core. */
    if ((uint32_t)c->tx->version < 2) return false;
    if (tx_seq & SEQUENCE_LOCKTIME_DISABLE_FLAG) return false;
    const int64_t mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK;
    int64_t tx_masked = tx_seq & mask;
    int64_t op_masked = sequence & mask;
    if ((tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG) != (op_masked < SEQUENCE_LOCKTIME_TYPE_FLAG))
        return false;
    return op_masked <= tx_masked;
}

/* ---- Encoding rules for CHECKSIG operands ---- */

static bool check_signature_encoding(const struct byte_vec *sig, uint32_t flags,
                                     enum script_error *err)
{
    /* The empty signature is the compact way to fail a CHECK(MULTI)SIG on purpose. */
    if (sig->len == 0) return true;
    if ((flags & (SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_LOW_S | SCRIPT_VERIFY_STRICTENC)) &&
        !pubkey_ecdsa_sig_is_strict_der(sig->data, sig->len))
        return fail(err, SCRIPT_ERR_SIG_DER);
    if ((flags & SCRIPT_VERIFY_LOW_S) && !pubkey_ecdsa_sig_is_low_s(sig->data, sig->len - 1))
        return fail(err, SCRIPT_ERR_SIG_HIGH_S);
    if ((flags & SCRIPT_VERIFY_STRICTENC) &&
        !pubkey_ecdsa_sig_has_defined_hashtype(sig->data, sig->len))
        return fail(err, SCRIPT_ERR_SIG_HASHTYPE);
    return true;
}

static bool check_pubkey_encoding(const struct byte_vec *pk, uint32_t flags,
                                  enum sig_version sv, enum script_error *err)
{
    if ((flags & SCRIPT_VERIFY_STRICTENC) &&
        !pubkey_is_compressed_or_uncompressed(pk->data, pk->len))
        return fail(err, SCRIPT_ERR_PUBKEYTYPE);
    if ((flags & SCRIPT_VERIFY_WITNESS_PUBKEYTYPE) && sv == SIGVERSION_WITNESS_V0 &&
        !pubkey_is_compressed(pk->data, pk->len))
        return fail(err, SCRIPT_ERR_WITNESS_PUBKEYTYPE);
    return true;
}

/* The scriptCode a legacy or v0 signature commits to: the script from the last
 * executed OP_CODESEPARATOR, and for BASE with the signatures' pushes removed. The
 * edited copy, if any, is *owned (caller frees). */
struct script_code {
    const uint8_t *data;
    size_t len;
    uint8_t *owned;
};

static bool script_code_remove_sig(struct script_code *sc, const struct byte_vec *sig,
                                   uint32_t flags, enum script_error *err)
{
    if (find_and_delete(NULL, NULL, sc->data, sc->len, sig->data, sig->len) == 0) return true;
    if (flags & SCRIPT_VERIFY_CONST_SCRIPTCODE) return fail(err, SCRIPT_ERR_SIG_FINDANDDELETE);
    if (!sc->owned) {
        sc->owned = malloc(sc->len); /* non-zero: something was found */
        if (!sc->owned) return fail(err, SCRIPT_ERR_UNKNOWN_ERROR);
        memcpy(sc->owned, sc->data, sc->len);
        sc->data = sc->owned;
    }
    find_and_delete(sc->owned, &sc->len, sc->owned, sc->len, sig->data, sig->len);
    return true;
}

static bool checksig_pre_tapscript(const struct byte_vec *sig, const struct byte_vec *pk,
                                   const uint8_t *code, size_t code_len, uint32_t flags,
                                   const struct script_checker *checker,
                                   const struct sig_cache_hook *cache, enum sig_version sv,
                                   enum script_error *err, bool *success)
{
    struct script_code sc = {code, code_len, NULL};
    bool ok = false;
    if (sv == SIGVERSION_BASE && !script_code_remove_sig(&sc, sig, flags, err)) goto out;
    if (!check_signature_encoding(sig, flags, err) ||
        !check_pubkey_encoding(pk, flags, sv, err))
        goto out;
    *success = check_ecdsa_signature(checker, cache, sig, pk, sc.data, sc.len, sv);
    if (!*success && (flags & SCRIPT_VERIFY_NULLFAIL) && sig->len) {
        fail(err, SCRIPT_ERR_NULLFAIL);
        goto out;
    }
    ok = true;
out:
    free(sc.owned);
    return ok;
}

static bool checksig_tapscript(const struct byte_vec *sig, const struct byte_vec *pk,
                               struct script_exec_data *ed, uint32_t flags,
                               const struct script_checker *checker,
                               const struct sig_cache_hook *cache, enum script_error *err,
                               bool *success)
{
    /* An empty signature is a failed check that costs no validation weight. */
    *success = sig->len != 0;
    if (*success) {
        if (!ed->validation_weight_left_init) return fail(err, SCRIPT_ERR_UNKNOWN_ERROR);
        ed->validation_weight_left -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
        if (ed->validation_weight_left < 0)
            return fail(err, SCRIPT_ERR_TAPSCRIPT_VALIDATION_WEIGHT);
    }
    if (pk->len == 0) return fail(err, SCRIPT_ERR_TAPSCRIPT_EMPTY_PUBKEY);
    if (pk->len == 32) {
        if (*success && !check_schnorr_signature(checker, cache, sig, pk->data,
                                                 SIGVERSION_TAPSCRIPT, ed, err))
            return false;
    } else if (flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE) {
        /* Unknown key types succeed for any non-empty signature (future soft forks). */
        return fail(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_PUBKEYTYPE);
    }
    return true;
}

/* ---- EvalScript ---- */

static bool is_disabled_opcode(uint8_t op)
{
    switch (op) {
    case OP_CAT:
    case OP_SUBSTR:
    case OP_LEFT:
    case OP_RIGHT:
    case OP_INVERT:
    case OP_AND:
    case OP_OR:
    case OP_XOR:
    case OP_2MUL:
    case OP_2DIV:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
    case OP_LSHIFT:
    case OP_RSHIFT: return true;
    default: return false;
    }
}

/* Everything one execution needs besides the main stack; lives on the C stack. */
struct eval {
    struct script_stack *stack;
    struct script_stack alt;
    const uint8_t *script;
    size_t len;
    size_t code_begin; /* scriptCode starts here: after the last OP_CODESEPARATOR */
    uint32_t flags;
    const struct script_checker *checker;
    const struct sig_cache_hook *cache;
    enum sig_version sv;
    struct script_exec_data *ed;
    int op_count;
    bool minimal;
};

#define TRY(cond, code)                                                                        \
    do {                                                                                       \
        if (!(cond)) return fail(err, (code));                                                 \
    } while (0)
#define NEED(n)    TRY(st->count >= (n), SCRIPT_ERR_INVALID_STACK_OPERATION)
#define PUSH(expr) TRY((expr), SCRIPT_ERR_UNKNOWN_ERROR)
#define NUM(i, out)                                                                            \
    TRY(num_decode(top(st, (i)), e->minimal, SCRIPTNUM_DEFAULT_SIZE, (out)),                   \
        SCRIPT_ERR_SCRIPTNUM)

static bool op_checkmultisig(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    if (e->sv == SIGVERSION_TAPSCRIPT) return fail(err, SCRIPT_ERR_TAPSCRIPT_CHECKMULTISIG);

    /* Stack: dummy [sig ...] nsigs [pubkey ...] nkeys; positions count from the top. */
    size_t i = 1;
    int64_t n;
    NEED(i);
    NUM(i, &n);
    if (n < 0 || n > MAX_PUBKEYS_PER_MULTISIG) return fail(err, SCRIPT_ERR_PUBKEY_COUNT);
    size_t keys = (size_t)n;
    e->op_count += (int)keys;
    if (e->op_count > MAX_OPS_PER_SCRIPT) return fail(err, SCRIPT_ERR_OP_COUNT);
    size_t ikey = ++i;
    /* Number of non-signature items still on top during cleanup, for NULLFAIL. */
    size_t ikey2 = keys + 2;
    i += keys;
    NEED(i);
    NUM(i, &n);
    if (n < 0 || (size_t)n > keys) return fail(err, SCRIPT_ERR_SIG_COUNT);
    size_t sigs = (size_t)n;
    size_t isig = ++i;
    i += sigs;
    NEED(i);

    struct script_code sc = {e->script + e->code_begin, e->len - e->code_begin, NULL};
    bool ok = false;
    if (e->sv == SIGVERSION_BASE) {
        for (size_t k = 0; k < sigs; k++) {
            if (!script_code_remove_sig(&sc, top(st, isig + k), e->flags, err)) goto out;
        }
    }

    bool success = true;
    while (success && sigs > 0) {
        const struct byte_vec *sig = top(st, isig);
        const struct byte_vec *pk = top(st, ikey);
        /* Checking both encodings before the signature makes the order of evaluation
         * observable under STRICTENC; Core's order is kept. */
        if (!check_signature_encoding(sig, e->flags, err) ||
            !check_pubkey_encoding(pk, e->flags, e->sv, err))
            goto out;
        if (check_ecdsa_signature(e->checker, e->cache, sig, pk, sc.data, sc.len, e->sv)) {
            isig++;
            sigs--;
        }
        ikey++;
        keys--;
        /* More signatures left than keys: too many have failed already. */
        if (sigs > keys) success = false;
    }

    /* Drop the arguments; after a failure with NULLFAIL every signature must be empty. */
    while (i-- > 1) {
        if (!success && (e->flags & SCRIPT_VERIFY_NULLFAIL) && ikey2 == 0 && top(st, 1)->len) {
            fail(err, SCRIPT_ERR_NULLFAIL);
            goto out;
        }
        if (ikey2 > 0) ikey2--;
        stack_pop(st);
    }
    /* The extra argument consumed by an old off-by-one; NULLDUMMY pins it to empty. */
    if (st->count < 1) {
        fail(err, SCRIPT_ERR_INVALID_STACK_OPERATION);
        goto out;
    }
    if ((e->flags & SCRIPT_VERIFY_NULLDUMMY) && top(st, 1)->len) {
        fail(err, SCRIPT_ERR_SIG_NULLDUMMY);
        goto out;
    }
    stack_pop(st);
    if (!stack_push_bool(st, success)) {
        fail(err, SCRIPT_ERR_UNKNOWN_ERROR);
        goto out;
    }
    if (op == OP_CHECKMULTISIGVERIFY) {
        if (!success) {
            fail(err, SCRIPT_ERR_CHECKMULTISIGVERIFY);
            goto out;
        }
        stack_pop(st);
    }
    ok = true;
out:
    free(sc.owned);
    return ok;
}

static bool op_checksig(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    bool success = true;
    if (op == OP_CHECKSIGADD) {
        if (e->sv == SIGVERSION_BASE || e->sv == SIGVERSION_WITNESS_V0)
            return fail(err, SCRIPT_ERR_BAD_OPCODE);
        /* sig num pubkey -- num+success */
        NEED(3);
        int64_t num;
        NUM(2, &num);
        if (!checksig_tapscript(top(st, 3), top(st, 1), e->ed, e->flags, e->checker, e->cache,
                                err, &success))
            return false;
        stack_pop(st);
        stack_pop(st);
        stack_pop(st);
        PUSH(stack_push_num(st, num + (success ? 1 : 0)));
        return true;
    }

    NEED(2);
    const struct byte_vec *sig = top(st, 2), *pk = top(st, 1);
    if (e->sv == SIGVERSION_TAPSCRIPT) {
        if (!checksig_tapscript(sig, pk, e->ed, e->flags, e->checker, e->cache, err, &success))
            return false;
    } else if (!checksig_pre_tapscript(sig, pk, e->script + e->code_begin,
                                       e->len - e->code_begin, e->flags, e->checker, e->cache,
                                       e->sv, err, &success)) {
        return false;
    }
    stack_pop(st);
    stack_pop(st);
    PUSH(stack_push_bool(st, success));
    if (op == OP_CHECKSIGVERIFY) {
        TRY(success, SCRIPT_ERR_CHECKSIGVERIFY);
        stack_pop(st);
    }
    return true;
}

static bool op_numeric_unary(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    int64_t a;
    NEED(1);
    NUM(1, &a);
    switch (op) {
    case OP_1ADD: a += 1; break;
    case OP_1SUB: a -= 1; break;
    case OP_NEGATE: a = -a; break;
    case OP_ABS: a = a < 0 ? -a : a; break;
    case OP_NOT: a = a == 0; break;
    default: a = a != 0; break; /* OP_0NOTEQUAL */
    }
    stack_pop(st);
    PUSH(stack_push_num(st, a));
    return true;
}

static bool op_numeric_binary(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    int64_t a, b, r;
    NEED(2);
    NUM(2, &a);
    NUM(1, &b);
    switch (op) {
    case OP_ADD: r = a + b; break;
    case OP_SUB: r = a - b; break;
    case OP_BOOLAND: r = a != 0 && b != 0; break;
    case OP_BOOLOR: r = a != 0 || b != 0; break;
    case OP_NUMEQUAL:
    case OP_NUMEQUALVERIFY: r = a == b; break;
    case OP_NUMNOTEQUAL: r = a != b; break;
    case OP_LESSTHAN: r = a < b; break;
    case OP_GREATERTHAN: r = a > b; break;
    case OP_LESSTHANOREQUAL: r = a <= b; break;
    case OP_GREATERTHANOREQUAL: r = a >= b; break;
    case OP_MIN: r = a < b ? a : b; break;
    default: r = a > b ? a : b; break; /* OP_MAX */
    }
    stack_pop(st);
    stack_pop(st);
    PUSH(stack_push_num(st, r));
    if (op == OP_NUMEQUALVERIFY) {
        TRY(cast_to_bool(top(st, 1)), SCRIPT_ERR_NUMEQUALVERIFY);
        stack_pop(st);
    }
    return true;
}

static bool op_hash(struct script_stack *st, uint8_t op, enum script_error *err)
{
    uint8_t h[32];
    size_t n;
    NEED(1);
    const struct byte_vec *v = top(st, 1);
    switch (op) {
    case OP_RIPEMD160:
        ripemd160(vdata(v), v->len, h);
        n = 20;
        break;
    case OP_SHA1:
        sha1(vdata(v), v->len, h);
        n = 20;
        break;
    case OP_SHA256:
        sha256(vdata(v), v->len, h);
        n = 32;
        break;
    case OP_HASH160:
        hash160(vdata(v), v->len, h);
        n = 20;
        break;
    default: /* OP_HASH256 */
        sha256d(vdata(v), v->len, h);
        n = 32;
        break;
    }
    stack_pop(st);
    PUSH(script_stack_push(st, h, n));
    return true;
}

static bool op_lock_time(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    uint32_t enabled = op == OP_CHECKLOCKTIMEVERIFY ? SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY
                                                    : SCRIPT_VERIFY_CHECKSEQUENCEVERIFY;
    if (!(e->flags & enabled)) return true; /* still NOP2/NOP3 */
    NEED(1);
    /* Lock times reach 2^39 - 1 with 5 bytes; the operand stays on the stack. */
    int64_t v;
    TRY(num_decode(top(st, 1), e->minimal, SCRIPTNUM_LOCKTIME_SIZE, &v), SCRIPT_ERR_SCRIPTNUM);
    TRY(v >= 0, SCRIPT_ERR_NEGATIVE_LOCKTIME);
    if (op == OP_CHECKLOCKTIMEVERIFY) {
        TRY(check_lock_time(e->checker, v), SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    } else {
        /* With the disable flag set the operand is reserved for future soft forks. */
        if (v & SEQUENCE_LOCKTIME_DISABLE_FLAG) return true;
        TRY(check_sequence(e->checker, v), SCRIPT_ERR_UNSATISFIED_LOCKTIME);
    }
    return true;
}

/* Stack manipulation opcodes (OP_TOALTSTACK .. OP_TUCK and OP_SIZE). */
static bool op_stack(struct eval *e, uint8_t op, enum script_error *err)
{
    struct script_stack *st = e->stack;
    switch (op) {
    case OP_TOALTSTACK:
        NEED(1);
        PUSH(stack_move_top(&e->alt, st));
        break;
    case OP_FROMALTSTACK:
        TRY(e->alt.count >= 1, SCRIPT_ERR_INVALID_ALTSTACK_OPERATION);
        PUSH(stack_move_top(st, &e->alt));
        break;
    case OP_2DROP:
        NEED(2);
        stack_pop(st);
        stack_pop(st);
        break;
    case OP_2DUP: /* x1 x2 -- x1 x2 x1 x2 */
        NEED(2);
        PUSH(stack_push_copy_of(st, 2));
        PUSH(stack_push_copy_of(st, 2));
        break;
    case OP_3DUP: /* x1 x2 x3 -- x1 x2 x3 x1 x2 x3 */
        NEED(3);
        PUSH(stack_push_copy_of(st, 3));
        PUSH(stack_push_copy_of(st, 3));
        PUSH(stack_push_copy_of(st, 3));
        break;
    case OP_2OVER: /* x1 x2 x3 x4 -- x1 x2 x3 x4 x1 x2 */
        NEED(4);
        PUSH(stack_push_copy_of(st, 4));
        PUSH(stack_push_copy_of(st, 4));
        break;
    case OP_2ROT: { /* x1 x2 x3 x4 x5 x6 -- x3 x4 x5 x6 x1 x2 */
        NEED(6);
        struct byte_vec a = *top(st, 6), b = *top(st, 5);
        size_t base = st->count - 6;
        memmove(&st->items[base], &st->items[base + 2], 4 * sizeof(st->items[0]));
        st->items[base + 4] = a;
        st->items[base + 5] = b;
        break;
    }
    case OP_2SWAP: /* x1 x2 x3 x4 -- x3 x4 x1 x2 */
        NEED(4);
        stack_swap(st, 4, 2);
        stack_swap(st, 3, 1);
        break;
    case OP_IFDUP:
        NEED(1);
        if (cast_to_bool(top(st, 1))) PUSH(stack_push_copy_of(st, 1));
        break;
    case OP_DEPTH: PUSH(stack_push_num(st, (int64_t)st->count)); break;
    case OP_DROP:
        NEED(1);
        stack_pop(st);
        break;
    case OP_DUP:
        NEED(1);
        PUSH(stack_push_copy_of(st, 1));
        break;
    case OP_NIP:
        NEED(2);
        stack_erase(st, st->count - 2);
        break;
    case OP_OVER:
        NEED(2);
        PUSH(stack_push_copy_of(st, 2));
        break;
    case OP_PICK:
    case OP_ROLL: { /* xn ... x0 n -- xn ... x0 xn (ROLL also removes xn) */
        NEED(2);
        int64_t n;
        NUM(1, &n);
        stack_pop(st);
        TRY(n >= 0 && (uint64_t)n < st->count, SCRIPT_ERR_INVALID_STACK_OPERATION);
        size_t idx = st->count - 1 - (size_t)n;
        if (op == OP_ROLL) {
            struct byte_vec v = st->items[idx];
            memmove(&st->items[idx], &st->items[idx + 1],
                    (st->count - idx - 1) * sizeof(st->items[0]));
            st->items[st->count - 1] = v;
        } else {
            PUSH(script_stack_push(st, st->items[idx].data, st->items[idx].len));
        }
        break;
    }
    case OP_ROT: /* x1 x2 x3 -- x2 x3 x1 */
        NEED(3);
        stack_swap(st, 3, 2);
        stack_swap(st, 2, 1);
        break;
    case OP_SWAP:
        NEED(2);
        stack_swap(st, 2, 1);
        break;
    case OP_TUCK: /* x1 x2 -- x2 x1 x2 */
        NEED(2);
        PUSH(stack_insert(st, st->count - 2, top(st, 1)->data, top(st, 1)->len));
        break;
    default: /* OP_SIZE */
        NEED(1);
        PUSH(stack_push_num(st, (int64_t)top(st, 1)->len));
        break;
    }
    return true;
}

/* One executed non-push opcode (or a conditional in an unexecuted branch). */
static bool eval_op(struct eval *e, uint8_t op, size_t pc, uint32_t opcode_pos,
                    struct cond_stack *vf, bool exec, enum script_error *err)
{
    struct script_stack *st = e->stack;
    /* OP_1NEGATE, OP_1..OP_16: the pushed number is minimal by construction. */
    if (op == OP_1NEGATE || (op >= OP_1 && op <= OP_16)) {
        PUSH(stack_push_num(st, (int64_t)op - (OP_1 - 1)));
        return true;
    }
    switch (op) {
    case OP_NOP: return true;

    case OP_CHECKLOCKTIMEVERIFY:
    case OP_CHECKSEQUENCEVERIFY: return op_lock_time(e, op, err);

    case OP_NOP1:
    case OP_NOP4:
    case OP_NOP5:
    case OP_NOP6:
    case OP_NOP7:
    case OP_NOP8:
    case OP_NOP9:
    case OP_NOP10:
        TRY(!(e->flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS),
            SCRIPT_ERR_DISCOURAGE_UPGRADABLE_NOPS);
        return true;

    case OP_IF:
    case OP_NOTIF: {
        bool value = false;
        if (exec) {
            TRY(st->count >= 1, SCRIPT_ERR_INVALID_STACK_OPERATION);
            const struct byte_vec *v = top(st, 1);
            bool minimal = v->len == 0 || (v->len == 1 && v->data[0] == 1);
            /* Consensus in tapscript; policy (MINIMALIF) in witness v0. */
            if (e->sv == SIGVERSION_TAPSCRIPT) TRY(minimal, SCRIPT_ERR_TAPSCRIPT_MINIMALIF);
            if (e->sv == SIGVERSION_WITNESS_V0 && (e->flags & SCRIPT_VERIFY_MINIMALIF))
                TRY(minimal, SCRIPT_ERR_MINIMALIF);
            value = cast_to_bool(v);
            if (op == OP_NOTIF) value = !value;
            stack_pop(st);
        }
        cond_push(vf, value);
        return true;
    }
    case OP_ELSE:
        TRY(vf->size > 0, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
        cond_toggle_top(vf);
        return true;
    case OP_ENDIF:
        TRY(vf->size > 0, SCRIPT_ERR_UNBALANCED_CONDITIONAL);
        cond_pop(vf);
        return true;

    case OP_VERIFY:
        NEED(1);
        TRY(cast_to_bool(top(st, 1)), SCRIPT_ERR_VERIFY);
        stack_pop(st);
        return true;

    case OP_RETURN: return fail(err, SCRIPT_ERR_OP_RETURN);

    case OP_TOALTSTACK:
    case OP_FROMALTSTACK:
    case OP_2DROP:
    case OP_2DUP:
    case OP_3DUP:
    case OP_2OVER:
    case OP_2ROT:
    case OP_2SWAP:
    case OP_IFDUP:
    case OP_DEPTH:
    case OP_DROP:
    case OP_DUP:
    case OP_NIP:
    case OP_OVER:
    case OP_PICK:
    case OP_ROLL:
    case OP_ROT:
    case OP_SWAP:
    case OP_TUCK:
    case OP_SIZE: return op_stack(e, op, err);

    case OP_EQUAL:
    case OP_EQUALVERIFY: {
        NEED(2);
        const struct byte_vec *a = top(st, 2), *b = top(st, 1);
        bool equal = a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
        stack_pop(st);
        stack_pop(st);
        PUSH(stack_push_bool(st, equal));
        if (op == OP_EQUALVERIFY) {
            TRY(equal, SCRIPT_ERR_EQUALVERIFY);
            stack_pop(st);
        }
        return true;
    }

    case OP_1ADD:
    case OP_1SUB:
    case OP_NEGATE:
    case OP_ABS:
    case OP_NOT:
    case OP_0NOTEQUAL: return op_numeric_unary(e, op, err);

    case OP_ADD:
    case OP_SUB:
    case OP_BOOLAND:
    case OP_BOOLOR:
    case OP_NUMEQUAL:
    case OP_NUMEQUALVERIFY:
    case OP_NUMNOTEQUAL:
    case OP_LESSTHAN:
    case OP_GREATERTHAN:
    case OP_LESSTHANOREQUAL:
    case OP_GREATERTHANOREQUAL:
    case OP_MIN:
    case OP_MAX: return op_numeric_binary(e, op, err);

    case OP_WITHIN: { /* x min max -- min <= x < max */
        int64_t x, lo, hi;
        NEED(3);
        NUM(3, &x);
        NUM(2, &lo);
        NUM(1, &hi);
        stack_pop(st);
        stack_pop(st);
        stack_pop(st);
        PUSH(stack_push_bool(st, lo <= x && x < hi));
        return true;
    }

    case OP_RIPEMD160:
    case OP_SHA1:
    case OP_SHA256:
    case OP_HASH160:
    case OP_HASH256: return op_hash(st, op, err);

    case OP_CODESEPARATOR:
        e->code_begin = pc;
        e->ed->codeseparator_pos = opcode_pos;
        return true;

    case OP_CHECKSIG:
    case OP_CHECKSIGVERIFY:
    case OP_CHECKSIGADD: return op_checksig(e, op, err);

    case OP_CHECKMULTISIG:
    case OP_CHECKMULTISIGVERIFY: return op_checkmultisig(e, op, err);

    default: return fail(err, SCRIPT_ERR_BAD_OPCODE);
    }
}

static bool eval_script(struct script_stack *stack, const uint8_t *script, size_t len,
                        uint32_t flags, const struct script_checker *checker,
                        const struct sig_cache_hook *cache, enum sig_version sigversion,
                        struct script_exec_data *execdata, enum script_error *err)
{
    struct script_exec_data local;
    if (!execdata) {
        memset(&local, 0, sizeof(local));
        execdata = &local;
    }
    /* The key path has no script to run. */
    if (sigversion == SIGVERSION_TAPROOT) return fail(err, SCRIPT_ERR_UNKNOWN_ERROR);
    bool legacy_limits = sigversion == SIGVERSION_BASE || sigversion == SIGVERSION_WITNESS_V0;
    if (legacy_limits && len > MAX_SCRIPT_SIZE) return fail(err, SCRIPT_ERR_SCRIPT_SIZE);

    struct eval e = {
        .stack = stack,
        .script = script,
        .len = len,
        .code_begin = 0,
        .flags = flags,
        .checker = checker,
        .cache = cache,
        .sv = sigversion,
        .ed = execdata,
        .op_count = 0,
        .minimal = (flags & SCRIPT_VERIFY_MINIMALDATA) != 0,
    };
    script_stack_init(&e.alt);
    struct cond_stack vf = {0, COND_NO_FALSE};
    execdata->codeseparator_pos = 0xFFFFFFFFu;
    execdata->codeseparator_pos_init = true;

    enum script_error result = SCRIPT_ERR_UNKNOWN_ERROR;
    bool ok = false;
    size_t pc = 0;
    for (uint32_t opcode_pos = 0; pc < len; opcode_pos++) {
        bool exec = cond_all_true(&vf);
        uint8_t op;
        const uint8_t *push;
        size_t push_len;
        if (!script_get_op(script, len, &pc, &op, &push, &push_len)) {
            result = SCRIPT_ERR_BAD_OPCODE;
            goto out;
        }
        if (push_len > MAX_SCRIPT_ELEMENT_SIZE) {
            result = SCRIPT_ERR_PUSH_SIZE;
            goto out;
        }
        /* OP_RESERVED and the pushes do not count towards the limit. */
        if (legacy_limits && op > OP_16 && ++e.op_count > MAX_OPS_PER_SCRIPT) {
            result = SCRIPT_ERR_OP_COUNT;
            goto out;
        }
        /* These fail even in an unexecuted branch (CVE-2010-5137). */
        if (is_disabled_opcode(op)) {
            result = SCRIPT_ERR_DISABLED_OPCODE;
            goto out;
        }
        if (op == OP_CODESEPARATOR && sigversion == SIGVERSION_BASE &&
            (flags & SCRIPT_VERIFY_CONST_SCRIPTCODE)) {
            result = SCRIPT_ERR_OP_CODESEPARATOR;
            goto out;
        }

        if (exec && op <= OP_PUSHDATA4) {
            if (e.minimal && !check_minimal_push(push, push_len, op)) {
                result = SCRIPT_ERR_MINIMALDATA;
                goto out;
            }
            if (!script_stack_push(stack, push, push_len)) goto out;
        } else if (exec || (op >= OP_IF && op <= OP_ENDIF)) {
            if (!eval_op(&e, op, pc, opcode_pos, &vf, exec, &result)) goto out;
        }

        if (stack->count + e.alt.count > MAX_STACK_SIZE) {
            result = SCRIPT_ERR_STACK_SIZE;
            goto out;
        }
    }
    if (vf.size != 0) {
        result = SCRIPT_ERR_UNBALANCED_CONDITIONAL;
        goto out;
    }
    ok = true;
    result = SCRIPT_ERR_OK;
out:
    script_stack_free(&e.alt);
    if (err) *err = result;
    return ok;
}

bool script_eval(struct script_stack *stack, const uint8_t *script, size_t len, uint32_t flags,
                 const struct script_checker *checker, enum sig_version sigversion,
                 struct script_exec_data *execdata, enum script_error *err)
{
    return eval_script(stack, script, len, flags, checker, NULL, sigversion, execdata, err);
}

/* ---- Witness programs ---- */

/* Runs a witness script on a copy of the given items (Core's ExecuteWitnessScript). */
static bool execute_witness_script(const struct byte_vec *items, size_t count,
                                   const uint8_t *script, size_t len, uint32_t flags,
                                   enum sig_version sv, const struct script_checker *checker,
                                   const struct sig_cache_hook *cache,
                                   struct script_exec_data *ed, enum script_error *err)
{
    if (sv == SIGVERSION_TAPSCRIPT) {
        /* An OP_SUCCESSx anywhere decides the outcome before anything else, even
         * before size limits; a malformed push before it is a failure. */
        size_t pc = 0;
        while (pc < len) {
            uint8_t op;
            if (!script_get_op(script, len, &pc, &op, NULL, NULL))
                return fail(err, SCRIPT_ERR_BAD_OPCODE);
            if (is_op_success(op)) {
                if (flags & SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS)
                    return fail(err, SCRIPT_ERR_DISCOURAGE_OP_SUCCESS);
                return succeed(err);
            }
        }
        if (count > MAX_STACK_SIZE) return fail(err, SCRIPT_ERR_STACK_SIZE);
    }
    for (size_t i = 0; i < count; i++) {
        if (items[i].len > MAX_SCRIPT_ELEMENT_SIZE) return fail(err, SCRIPT_ERR_PUSH_SIZE);
    }

    struct script_stack st;
    script_stack_init(&st);
    bool ok = false;
    for (size_t i = 0; i < count; i++) {
        if (!script_stack_push(&st, items[i].data, items[i].len)) {
            fail(err, SCRIPT_ERR_UNKNOWN_ERROR);
            goto out;
        }
    }
    if (!eval_script(&st, script, len, flags, checker, cache, sv, ed, err)) goto out;
    /* Witness scripts must leave exactly one true element (implicit CLEANSTACK). */
    if (st.count != 1) {
        fail(err, SCRIPT_ERR_CLEANSTACK);
        goto out;
    }
    if (!cast_to_bool(top(&st, 1))) {
        fail(err, SCRIPT_ERR_EVAL_FALSE);
        goto out;
    }
    ok = true;
out:
    script_stack_free(&st);
    return ok;
}

static size_t compact_size_encode(uint8_t out[9], uint64_t v)
{
    if (v < 0xfd) {
        out[0] = (uint8_t)v;
        return 1;
    }
    if (v <= 0xffff) {
        out[0] = 0xfd;
        le16_write(out + 1, (uint16_t)v);
        return 3;
    }
    if (v <= 0xffffffffu) {
        out[0] = 0xfe;
        le32_write(out + 1, (uint32_t)v);
        return 5;
    }
    out[0] = 0xff;
    le64_write(out + 1, v);
    return 9;
}

static size_t witness_serialized_size(const struct byte_vec *w, size_t n)
{
    size_t size = compact_size_len(n);
    for (size_t i = 0; i < n; i++) size += compact_size_len(w[i].len) + w[i].len;
    return size;
}

/* BIP341 script path commitment: the control block's internal key, tweaked with the
 * merkle root of the leaf and the path, gives the output key with the stated parity. */
static bool verify_taproot_commitment(const uint8_t *control, size_t control_len,
                                      const uint8_t program[32], const uint256 *leaf)
{
    uint256 root, tweak;
    taproot_merkle_root(&root, control, control_len, leaf);
    taproot_tweak_hash(&tweak, control + 1, &root);
    return pubkey_xonly_tweak_add_check(program, control[0] & 1, control + 1, tweak.b);
}

static bool verify_taproot(const struct byte_vec *witness, size_t count, const uint8_t *program,
                           uint32_t flags, const struct script_checker *checker,
                           const struct sig_cache_hook *cache, enum script_error *err)
{
    struct script_exec_data ed;
    memset(&ed, 0, sizeof(ed));
    size_t n = count;
    if (n == 0) return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY);
    /* With two or more elements, a last one starting 0x50 is the annex: committed to
     * by signatures, otherwise ignored. */
    if (n >= 2 && witness[n - 1].len > 0 && witness[n - 1].data[0] == ANNEX_TAG) {
        /* Hashed as serialized: CompactSize length, then the bytes. */
        struct sha256_ctx c;
        uint8_t prefix[9];
        size_t prefix_len = compact_size_encode(prefix, witness[n - 1].len);
        sha256_init(&c);
        sha256_write(&c, prefix, prefix_len);
        sha256_write(&c, witness[n - 1].data, witness[n - 1].len);
        sha256_finalize(&c, ed.annex_hash.b);
        ed.annex_present = true;
        n--;
    } else {
        ed.annex_present = false;
    }
    ed.annex_init = true;

    if (n == 1) {
        /* Key path: the one element is a signature for the output key itself. */
        if (!check_schnorr_signature(checker, cache, &witness[0], program, SIGVERSION_TAPROOT,
                                     &ed, err))
            return false;
        return succeed(err);
    }

    /* Script path: ... script control_block [annex]. */
    const struct byte_vec *control = &witness[n - 1];
    const struct byte_vec *script = &witness[n - 2];
    if (control->len < TAPROOT_CONTROL_BASE_SIZE || control->len > TAPROOT_CONTROL_MAX_SIZE ||
        (control->len - TAPROOT_CONTROL_BASE_SIZE) % TAPROOT_CONTROL_NODE_SIZE != 0)
        return fail(err, SCRIPT_ERR_TAPROOT_WRONG_CONTROL_SIZE);
    uint8_t leaf_version = control->data[0] & TAPROOT_LEAF_MASK;
    taproot_leaf_hash(&ed.tapleaf_hash, leaf_version, vdata(script), script->len);
    if (!verify_taproot_commitment(control->data, control->len, program, &ed.tapleaf_hash))
        return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
    ed.tapleaf_hash_init = true;
    if (leaf_version == TAPROOT_LEAF_TAPSCRIPT) {
        /* BIP342 sigop budget: the witness size plus 50, 50 per signature checked. */
        ed.validation_weight_left =
            (int64_t)witness_serialized_size(witness, count) + VALIDATION_WEIGHT_OFFSET;
        ed.validation_weight_left_init = true;
        return execute_witness_script(witness, n - 2, vdata(script), script->len, flags,
                                      SIGVERSION_TAPSCRIPT, checker, cache, &ed, err);
    }
    /* Unknown leaf versions succeed (future soft forks). */
    if (flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION)
        return fail(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION);
    return succeed(err);
}

static bool verify_witness_program(const struct byte_vec *witness, size_t count, int version,
                                   const uint8_t *program, size_t program_len, uint32_t flags,
                                   const struct script_checker *checker,
                                   const struct sig_cache_hook *cache, bool is_p2sh,
                                   enum script_error *err)
{
    struct script_exec_data ed;
    memset(&ed, 0, sizeof(ed));
    if (version == 0) {
        if (program_len == WITNESS_V0_SCRIPTHASH_SIZE) {
            /* P2WSH: the last element is the script, committed to by its SHA-256. */
            if (count == 0) return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_WITNESS_EMPTY);
            const struct byte_vec *script = &witness[count - 1];
            uint8_t h[32];
            sha256(vdata(script), script->len, h);
            if (memcmp(h, program, 32) != 0)
                return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
            return execute_witness_script(witness, count - 1, vdata(script), script->len, flags,
                                          SIGVERSION_WITNESS_V0, checker, cache, &ed, err);
        }
        if (program_len == WITNESS_V0_KEYHASH_SIZE) {
            /* P2WPKH: signature and key run through the implied P2PKH script. */
            if (count != 2) return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_MISMATCH);
            uint8_t s[25] = {OP_DUP, OP_HASH160, 20};
            memcpy(s + 3, program, 20);
            s[23] = OP_EQUALVERIFY;
            s[24] = OP_CHECKSIG;
            return execute_witness_script(witness, count, s, sizeof(s), flags,
                                          SIGVERSION_WITNESS_V0, checker, cache, &ed, err);
        }
        return fail(err, SCRIPT_ERR_WITNESS_PROGRAM_WRONG_LENGTH);
    }
    if (version == 1 && program_len == WITNESS_V1_TAPROOT_SIZE && !is_p2sh) {
        if (!(flags & SCRIPT_VERIFY_TAPROOT)) return succeed(err);
        return verify_taproot(witness, count, program, flags, checker, cache, err);
    }
    /* Other versions, lengths and P2SH-wrapped v1 are anyone-can-spend for now. */
    if (flags & SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM)
        return fail(err, SCRIPT_ERR_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM);
    return succeed(err);
}

/* ---- VerifyScript ---- */

bool script_verify_cached(const uint8_t *script_sig, size_t script_sig_len,
                          const uint8_t *script_pubkey, size_t script_pubkey_len,
                          const struct byte_vec *witness, size_t witness_count, uint32_t flags,
                          const struct script_checker *checker,
                          const struct sig_cache_hook *cache, enum script_error *err)
{
    if (!witness) witness_count = 0;
    if ((flags & SCRIPT_VERIFY_SIGPUSHONLY) && !script_is_push_only(script_sig, script_sig_len))
        return fail(err, SCRIPT_ERR_SIG_PUSHONLY);

    struct script_stack stack, copy;
    script_stack_init(&stack);
    script_stack_init(&copy);
    struct byte_vec redeem = {NULL, 0};
    bool had_witness = false, ok = false;
    enum script_error e = SCRIPT_ERR_UNKNOWN_ERROR;
    int version;
    const uint8_t *program;
    size_t program_len;

    /* scriptSig and scriptPubKey run one after the other on the same stack. */
    if (!eval_script(&stack, script_sig, script_sig_len, flags, checker, cache, SIGVERSION_BASE,
                     NULL, &e))
        goto out;
    if ((flags & SCRIPT_VERIFY_P2SH) && !stack_copy(&copy, &stack)) {
        e = SCRIPT_ERR_UNKNOWN_ERROR;
        goto out;
    }
    if (!eval_script(&stack, script_pubkey, script_pubkey_len, flags, checker, cache,
                     SIGVERSION_BASE, NULL, &e))
        goto out;
    if (stack.count == 0 || !cast_to_bool(top(&stack, 1))) {
        e = SCRIPT_ERR_EVAL_FALSE;
        goto out;
    }

    if ((flags & SCRIPT_VERIFY_WITNESS) &&
        script_is_witness_program(script_pubkey, script_pubkey_len, &version, &program,
                                  &program_len)) {
        had_witness = true;
        /* A native witness spend's scriptSig must be empty, or it could be malleated. */
        if (script_sig_len != 0) {
            e = SCRIPT_ERR_WITNESS_MALLEATED;
            goto out;
        }
        if (!verify_witness_program(witness, witness_count, version, program, program_len,
                                    flags, checker, cache, false, &e))
            goto out;
        stack_truncate(&stack, 1); /* the result stands in for CLEANSTACK */
    }

    if ((flags & SCRIPT_VERIFY_P2SH) && script_is_p2sh(script_pubkey, script_pubkey_len)) {
        if (!script_is_push_only(script_sig, script_sig_len)) {
            e = SCRIPT_ERR_SIG_PUSHONLY;
            goto out;
        }
        /* Run the serialized script on the stack as the scriptSig left it. */
        struct script_stack t = stack;
        stack = copy;
        copy = t;
        if (stack.count == 0) { /* cannot happen: the hash check consumed an element */
            e = SCRIPT_ERR_EVAL_FALSE;
            goto out;
        }
        redeem = stack.items[--stack.count]; /* now owned here */
        if (!eval_script(&stack, redeem.data, redeem.len, flags, checker, cache,
                         SIGVERSION_BASE, NULL, &e))
            goto out;
        if (stack.count == 0 || !cast_to_bool(top(&stack, 1))) {
            e = SCRIPT_ERR_EVAL_FALSE;
            goto out;
        }
        if ((flags & SCRIPT_VERIFY_WITNESS) &&
            script_is_witness_program(redeem.data, redeem.len, &version, &program,
                                      &program_len)) {
            had_witness = true;
            /* The scriptSig must be exactly the one canonical push of the program. */
            if (script_sig_len != redeem.len + 1 || script_sig[0] != redeem.len ||
                memcmp(script_sig + 1, redeem.data, redeem.len) != 0) {
                e = SCRIPT_ERR_WITNESS_MALLEATED_P2SH;
                goto out;
            }
            if (!verify_witness_program(witness, witness_count, version, program, program_len,
                                        flags, checker, cache, true, &e))
                goto out;
            stack_truncate(&stack, 1);
        }
    }

    /* Core only uses CLEANSTACK together with P2SH and WITNESS; it is applied as given. */
    if ((flags & SCRIPT_VERIFY_CLEANSTACK) && stack.count != 1) {
        e = SCRIPT_ERR_CLEANSTACK;
        goto out;
    }
    if ((flags & SCRIPT_VERIFY_WITNESS) && !had_witness && witness_count != 0) {
        e = SCRIPT_ERR_WITNESS_UNEXPECTED;
        goto out;
    }
    ok = true;
    e = SCRIPT_ERR_OK;
out:
    free(redeem.data);
    script_stack_free(&stack);
    script_stack_free(&copy);
    if (err) *err = e;
    return ok;
}

/* ---- Sigops ---- */

static unsigned witness_sigops(int version, size_t program_len, const struct byte_vec *witness,
                               size_t count)
{
    if (version == 0) {
        if (program_len == WITNESS_V0_KEYHASH_SIZE) return 1;
        if (program_len == WITNESS_V0_SCRIPTHASH_SIZE && count > 0)
            return script_sigop_count(vdata(&witness[count - 1]), witness[count - 1].len, true);
    }
    return 0;
}

bool script_verify(const uint8_t *script_sig, size_t script_sig_len,
                   const uint8_t *script_pubkey, size_t script_pubkey_len,
                   const struct byte_vec *witness, size_t witness_count, uint32_t flags,
                   const struct script_checker *checker, enum script_error *err)
{
    return script_verify_cached(script_sig, script_sig_len, script_pubkey, script_pubkey_len,
                                witness, witness_count, flags, checker, NULL, err);
}

unsigned script_witness_sigop_count(const uint8_t *script_sig, size_t script_sig_len,
                                    const uint8_t *script_pubkey, size_t script_pubkey_len,
                                    const struct byte_vec *witness, size_t witness_count,
                                    uint32_t flags)
{
    if (!(flags & SCRIPT_VERIFY_WITNESS)) return 0;
    if (!witness) witness_count = 0;
    int version;
    size_t program_len;
    if (script_is_witness_program(script_pubkey, script_pubkey_len, &version, NULL,
                                  &program_len))
        return witness_sigops(version, program_len, witness, witness_count);
    if (script_is_p2sh(script_pubkey, script_pubkey_len) &&
        script_is_push_only(script_sig, script_sig_len)) {
        /* The redeem script is the last push of the scriptSig. */
        const uint8_t *data = NULL;
        size_t data_len = 0, pc = 0;
        while (pc < script_sig_len) {
            uint8_t op;
            if (!script_get_op(script_sig, script_sig_len, &pc, &op, &data, &data_len)) break;
        }
        if (data && script_is_witness_program(data, data_len, &version, NULL, &program_len))
            return witness_sigops(version, program_len, witness, witness_count);
    }
    return 0;
}
