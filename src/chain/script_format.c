/* Scripts and transactions as Core's RPC shows them (see script_format.h).
 *
 * Text is built in a small growing buffer; every function that allocates reports out
 * of memory by returning NULL, and the JSON builders check each jansson call through
 * one helper so a failed allocation never leaves a half-built object behind. */
#include "chain/script_format.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/policy.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "util/hex.h"
#include "util/rpc_method.h"

/* ---- growing text buffer ---- */

struct sbuf {
    char *data;
    size_t len, cap;
    bool failed;
};

static void sb_reserve(struct sbuf *b, size_t extra)
{
    if (b->failed) return;
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->data = p;
    b->cap = cap;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    if (b->failed) return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_hex(struct sbuf *b, const uint8_t *data, size_t n)
{
    sb_reserve(b, 2 * n);
    if (b->failed) return;
    hex_encode(b->data + b->len, data, n);
    b->len += 2 * n;
}

/* Returns the finished string (never NULL unless out of memory); frees on failure. */
static char *sb_finish(struct sbuf *b)
{
    if (!b->failed) sb_reserve(b, 0);
    if (b->failed) {
        free(b->data);
        return NULL;
    }
    b->data[b->len] = '\0';
    return b->data;
}

/* ---- asm ---- */

/* CScriptNum(vch, false).getint(): little-endian sign-magnitude, at most 4 bytes here
 * so the value always fits an int. */
static long long script_num_value(const uint8_t *d, size_t n)
{
    if (n == 0) return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) v |= (unsigned long long)d[i] << (8 * i);
    if (d[n - 1] & 0x80) {
        v &= ~(0x80ULL << (8 * (n - 1)));
        return -(long long)v;
    }
    return (long long)v;
}

static const char *sighash_name(uint8_t t)
{
    switch (t) {
    case 0x01: return "ALL";
    case 0x81: return "ALL|ANYONECANPAY";
    case 0x02: return "NONE";
    case 0x82: return "NONE|ANYONECANPAY";
    case 0x03: return "SINGLE";
    case 0x83: return "SINGLE|ANYONECANPAY";
    default: return NULL;
    }
}

char *script_to_asm(const uint8_t *script, size_t len, bool decode_sighash)
{
    struct sbuf b = {0};
    sb_reserve(&b, 0);
    bool unspendable = script_is_unspendable(script, len);
    size_t pc = 0;
    while (pc < len) {
        if (b.len) sb_puts(&b, " ");
        uint8_t op;
        const uint8_t *data;
        size_t n;
        if (!script_get_op(script, len, &pc, &op, &data, &n)) {
            sb_puts(&b, "[error]");
            break;
        }
        if (op <= OP_PUSHDATA4) {
            if (n <= 4) {
                char num[24];
                snprintf(num, sizeof num, "%lld", script_num_value(data, n));
                sb_puts(&b, num);
            } else if (decode_sighash && !unspendable &&
                       pubkey_ecdsa_sig_is_strict_der(data, n) &&
                       pubkey_ecdsa_sig_has_defined_hashtype(data, n) &&
                       sighash_name(data[n - 1])) {
                sb_hex(&b, data, n - 1);
                sb_puts(&b, "[");
                sb_puts(&b, sighash_name(data[n - 1]));
                sb_puts(&b, "]");
            } else {
                sb_hex(&b, data, n);
            }
        } else {
            sb_puts(&b, script_op_name(op));
        }
    }
    return sb_finish(&b);
}

/* ---- descriptor checksums (BIP380) ---- */

static const char DESC_INPUT_CHARSET[] = "0123456789()[],'/*abcdefgh@:$%{}"
                                         "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                                         "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
static const char DESC_CHECKSUM_CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint64_t desc_polymod(uint64_t c, unsigned val)
{
    uint8_t c0 = (uint8_t)(c >> 35);
    c = ((c & 0x7ffffffffULL) << 5) ^ val;
    if (c0 & 1) c ^= 0xf5dee51989ULL;
    if (c0 & 2) c ^= 0xa9fdca3312ULL;
    if (c0 & 4) c ^= 0x1bab10e32dULL;
    if (c0 & 8) c ^= 0x3706b1677aULL;
    if (c0 & 16) c ^= 0x644d626ffdULL;
    return c;
}

static bool descriptor_checksum_n(char out[DESCRIPTOR_CHECKSUM_LEN + 1], const char *desc,
                                  size_t len)
{
    uint64_t c = 1;
    unsigned cls = 0, clscount = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len; i++) {
        const char *pos = desc[i] ? strchr(DESC_INPUT_CHARSET, desc[i]) : NULL;
        if (!pos) return false;
        unsigned v = (unsigned)(pos - DESC_INPUT_CHARSET);
        c = desc_polymod(c, v & 31);
        cls = cls * 3 + (v >> 5);
        if (++clscount == 3) {
            c = desc_polymod(c, cls);
            cls = 0;
            clscount = 0;
        }
    }
    if (clscount > 0) c = desc_polymod(c, cls);
    for (int j = 0; j < 8; j++) c = desc_polymod(c, 0);
    c ^= 1;
    for (int j = 0; j < 8; j++) out[j] = DESC_CHECKSUM_CHARSET[(c >> (5 * (7 - j))) & 31];
    out[8] = '\0';
    return true;
}

bool descriptor_checksum(char out[DESCRIPTOR_CHECKSUM_LEN + 1], const char *desc)
{
    return descriptor_checksum_n(out, desc, strlen(desc));
}

bool descriptor_checksum_valid(const char *desc)
{
    const char *hash = strrchr(desc, '#');
    if (!hash || strlen(hash + 1) != DESCRIPTOR_CHECKSUM_LEN) return false;
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (!descriptor_checksum_n(sum, desc, (size_t)(hash - desc))) return false;
    return strcmp(sum, hash + 1) == 0;
}

/* ---- descriptor inference ---- */

static void add_checksum(struct sbuf *b)
{
    char sum[DESCRIPTOR_CHECKSUM_LEN + 1];
    if (b->failed) return;
    if (!descriptor_checksum(sum, b->data)) {
        b->failed = true; /* cannot happen: we only write hex, digits, letters, (),# */
        return;
    }
    sb_puts(b, "#");
    sb_puts(b, sum);
}

char *script_infer_descriptor(const uint8_t *script, size_t len, const struct address_params *p)
{
    struct sbuf b = {0};
    sb_reserve(&b, 0);
    struct script_solution sol;
    enum txout_type t = policy_solve(script, len, &sol);
    char addr[ADDRESS_MAX_LEN + 1];
    if (t == TXOUT_PUBKEY) {
        sb_puts(&b, "pk(");
        sb_hex(&b, sol.keys[0], sol.key_lens[0]);
        sb_puts(&b, ")");
    } else if (t == TXOUT_MULTISIG) {
        char m[8];
        snprintf(m, sizeof m, "%d", sol.required);
        sb_puts(&b, "multi(");
        sb_puts(&b, m);
        for (size_t i = 0; i < sol.key_count; i++) {
            sb_puts(&b, ",");
            sb_hex(&b, sol.keys[i], sol.key_lens[i]);
        }
        sb_puts(&b, ")");
    } else if (t == TXOUT_WITNESS_V1_TAPROOT && pubkey_xonly_is_valid(sol.hash)) {
        sb_puts(&b, "rawtr(");
        sb_hex(&b, sol.hash, sol.hash_len);
        sb_puts(&b, ")");
    } else if (address_encode(addr, p, script, len) == ADDRESS_OK) {
        sb_puts(&b, "addr(");
        sb_puts(&b, addr);
        sb_puts(&b, ")");
    } else {
        sb_puts(&b, "raw(");
        sb_hex(&b, script, len);
        sb_puts(&b, ")");
    }
    add_checksum(&b);
    return sb_finish(&b);
}

/* ---- JSON ---- */

/* Adds value under key to obj, consuming value; records failure in *ok. */
static void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0) *ok = false;
}

/* A JSON string that takes ownership of s (may be NULL). */
static json_t *string_take(char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    free(s);
    return v;
}

static json_t *hex_json(const uint8_t *data, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return NULL;
    hex_encode(s, data, n);
    return string_take(s);
}

json_t *script_to_json(const uint8_t *script, size_t len, const struct address_params *p,
                       bool include_hex, bool include_address)
{
    json_t *o = json_object();
    if (!o) return NULL;
    bool ok = true;
    put(o, "asm", string_take(script_to_asm(script, len, false)), &ok);
    if (include_address)
        put(o, "desc", string_take(script_infer_descriptor(script, len, p)), &ok);
    if (include_hex) put(o, "hex", hex_json(script, len), &ok);
    struct script_solution sol;
    enum txout_type t = policy_solve(script, len, &sol);
    char addr[ADDRESS_MAX_LEN + 1];
    if (include_address && t != TXOUT_PUBKEY &&
        address_encode(addr, p, script, len) == ADDRESS_OK)
        put(o, "address", json_string(addr), &ok);
    put(o, "type", json_string(policy_txout_type_name(t)), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *uint256_json(const uint256 *h)
{
    char s[65];
    uint256_to_hex(s, h);
    return json_string(s);
}

static json_t *tx_in_json(const struct tx *tx, const struct tx_in *in, bool coinbase)
{
    json_t *o = json_object();
    if (!o) return NULL;
    bool ok = true;
    (void)tx;
    if (coinbase) {
        put(o, "coinbase", hex_json(in->script_sig, in->script_sig_len), &ok);
    } else {
        put(o, "txid", uint256_json(&in->prevout.hash), &ok);
        put(o, "vout", json_integer(in->prevout.n), &ok);
        json_t *ss = json_object();
        if (ss) {
            put(ss, "asm", string_take(script_to_asm(in->script_sig, in->script_sig_len, true)),
                &ok);
            put(ss, "hex", hex_json(in->script_sig, in->script_sig_len), &ok);
        }
        put(o, "scriptSig", ss, &ok);
    }
    if (in->witness_count > 0) {
        json_t *w = json_array();
        for (size_t i = 0; w && i < in->witness_count; i++) {
            json_t *item = hex_json(in->witness[i].data, in->witness[i].len);
            if (!item || json_array_append_new(w, item) != 0) ok = false;
        }
        put(o, "txinwitness", w, &ok);
    }
    put(o, "sequence", json_integer(in->sequence), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *tx_out_json(const struct tx_out *out, size_t n, const struct address_params *p)
{
    json_t *o = json_object();
    if (!o) return NULL;
    bool ok = true;
    put(o, "value", amount_to_json(out->value), &ok);
    put(o, "n", json_integer((json_int_t)n), &ok);
    put(o, "scriptPubKey",
        script_to_json(out->script_pubkey, out->script_pubkey_len, p, true, true), &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *tx_to_json(const struct tx *tx, const struct address_params *p)
{
    json_t *o = json_object();
    if (!o) return NULL;
    bool ok = true;
    uint256 h;
    tx_txid(tx, &h);
    put(o, "txid", uint256_json(&h), &ok);
    tx_wtxid(tx, &h);
    put(o, "hash", uint256_json(&h), &ok);
    size_t weight = tx_weight(tx);
    /* Core 28 made the version unsigned. */
    put(o, "version", json_integer((uint32_t)tx->version), &ok);
    put(o, "size", json_integer((json_int_t)tx_size(tx, true)), &ok);
    put(o, "vsize",
        json_integer((json_int_t)((weight + WITNESS_SCALE_FACTOR - 1) / WITNESS_SCALE_FACTOR)),
        &ok);
    put(o, "weight", json_integer((json_int_t)weight), &ok);
    put(o, "locktime", json_integer(tx->locktime), &ok);
    bool coinbase = tx_is_coinbase(tx);
    json_t *vin = json_array();
    for (size_t i = 0; vin && i < tx->vin_count; i++) {
        json_t *in = tx_in_json(tx, &tx->vin[i], coinbase);
        if (!in || json_array_append_new(vin, in) != 0) ok = false;
    }
    put(o, "vin", vin, &ok);
    json_t *vout = json_array();
    for (size_t i = 0; vout && i < tx->vout_count; i++) {
        json_t *out = tx_out_json(&tx->vout[i], i, p);
        if (!out || json_array_append_new(vout, out) != 0) ok = false;
    }
    put(o, "vout", vout, &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- amounts ---- */

void amount_format(char out[AMOUNT_TEXT_MAX], int64_t amount)
{
    int64_t q = amount / COIN, r = amount % COIN;
    if (amount < 0) {
        q = -q;
        r = -r;
    }
    snprintf(out, AMOUNT_TEXT_MAX, "%s%" PRId64 ".%08" PRId64, amount < 0 ? "-" : "", q, r);
}

json_t *amount_to_json(int64_t amount)
{
    char text[AMOUNT_TEXT_MAX];
    amount_format(text, amount);
    /* strtod of the decimal text is the correctly rounded double; amount / 1e8 in
     * floating point may be one ulp off. */
    return json_real(strtod(text, NULL));
}

#define FIXED_UPPER_BOUND (1000000000000000000LL - 1LL)

static bool mantissa_digit(char ch, int64_t *mantissa, int *tzeros)
{
    if (ch == '0') {
        ++*tzeros;
        return true;
    }
    for (int i = 0; i <= *tzeros; ++i) {
        if (*mantissa > FIXED_UPPER_BOUND / 10LL) return false;
        *mantissa *= 10;
    }
    *mantissa += ch - '0';
    *tzeros = 0;
    return true;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool amount_parse(const char *val, int64_t *out)
{
    const int decimals = 8;
    int64_t mantissa = 0, exponent = 0;
    int tzeros = 0, point_ofs = 0;
    bool mantissa_sign = false, exponent_sign = false;
    const char *s = val;
    if (*s == '-') {
        mantissa_sign = true;
        ++s;
    }
    if (*s == '0') {
        ++s;
    } else if (*s >= '1' && *s <= '9') {
        while (is_digit(*s))
            if (!mantissa_digit(*s++, &mantissa, &tzeros)) return false;
    } else {
        return false;
    }
    if (*s == '.') {
        ++s;
        if (!is_digit(*s)) return false;
        while (is_digit(*s)) {
            if (!mantissa_digit(*s++, &mantissa, &tzeros)) return false;
            ++point_ofs;
        }
    }
    if (*s == 'e' || *s == 'E') {
        ++s;
        if (*s == '+') {
            ++s;
        } else if (*s == '-') {
            exponent_sign = true;
            ++s;
        }
        if (!is_digit(*s)) return false;
        while (is_digit(*s)) {
            if (exponent > FIXED_UPPER_BOUND / 10LL) return false;
            exponent = exponent * 10 + (*s++ - '0');
        }
    }
    if (*s != '\0') return false;
    if (exponent_sign) exponent = -exponent;
    exponent = exponent - point_ofs + tzeros;
    if (mantissa_sign) mantissa = -mantissa;
    exponent += decimals;
    if (exponent < 0 || exponent >= 18) return false;
    for (int i = 0; i < exponent; ++i) {
        if (mantissa > FIXED_UPPER_BOUND / 10LL || mantissa < -(FIXED_UPPER_BOUND / 10LL))
            return false;
        mantissa *= 10;
    }
    if (mantissa > FIXED_UPPER_BOUND || mantissa < -FIXED_UPPER_BOUND) return false;
    *out = mantissa;
    return true;
}

/* Core's AmountFromValue. jansson keeps no number text, so a real is rendered with 8
 * decimals and must read back as the same double (more precision is "Invalid amount"). */
bool amount_from_json(const json_t *v, int64_t *out, struct rpc_error *err)
{
    char text[64];
    if (json_is_string(v)) {
        if (!amount_parse(json_string_value(v), out))
            return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount");
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (!amount_parse(text, out))
            return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount");
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || fabs(d) >= 1e10)
            return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount");
        snprintf(text, sizeof text, "%.8f", d);
        if (strtod(text, NULL) != d || !amount_parse(text, out))
            return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid amount");
    } else {
        return rpc_error_set(err, RPC_TYPE_ERROR, "Amount is not a number or string");
    }
    if (*out < 0 || *out > MAX_MONEY)
        return rpc_error_set(err, RPC_TYPE_ERROR, "Amount out of range");
    return true;
}
