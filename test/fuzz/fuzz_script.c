/* libFuzzer harness for the script interpreter.
 *
 * Input layout (every field is cut short when the input runs out):
 *   u32 flags (masked to the known bits), u8 mode, u32 lock time, u32 sequence,
 *   u16 scriptSig length + bytes, u16 scriptPubKey length + bytes,
 *   u8 witness count, then per item u16 length + bytes.
 * Mode bits wrap the scriptPubKey so the fuzzer reaches script execution without
 * finding hash preimages: bit 0 commits to the second-to-last witness item as a
 * single-leaf tapscript (appending its control block), bit 1 makes a P2WSH of the last
 * witness item, bit 2 makes P2SH of the given scriptPubKey (appending its push to the
 * scriptSig). Each input is verified with a checker without a transaction and with a
 * small spending transaction, and the witness sigops are counted. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"

#define MAX_ITEMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint32_t take_uint(struct cursor *c, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n && c->left; i++) {
        v |= (uint32_t)c->p[0] << (8 * i);
        c->p++;
        c->left--;
    }
    return v;
}

static struct byte_vec take_bytes(struct cursor *c)
{
    size_t n = take_uint(c, 2);
    if (n > c->left) n = c->left;
    struct byte_vec v = {(uint8_t *)c->p, n};
    c->p += n;
    c->left -= n;
    return v;
}

/* The generator's x coordinate: the internal key of the tapscript wrapping. */
static const uint8_t G_X[32] = {0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac,
                                0x55, 0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07,
                                0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9,
                                0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98};

static void run(const uint8_t *sig, size_t sig_len, const uint8_t *spk, size_t spk_len,
                const struct byte_vec *w, size_t wn, uint32_t flags, uint32_t lock_time,
                uint32_t sequence)
{
    enum script_error err;
    struct script_checker none = {NULL, 0, 0, NULL};
    bool ok = script_verify(sig, sig_len, spk, spk_len, w, wn, flags, &none, &err);
    if (ok != (err == SCRIPT_ERR_OK)) abort();
    (void)script_witness_sigop_count(sig, sig_len, spk, spk_len, w, wn, flags);
    (void)script_sigop_count(spk, spk_len, true);

    /* A spending transaction whose input carries the fuzzed data. */
    struct tx tx;
    tx_init(&tx);
    if (!tx_resize(&tx, 1, 1)) return;
    tx.version = 2;
    tx.locktime = lock_time;
    tx.vin[0].sequence = sequence;
    tx.vout[0].value = 1000;
    struct tx_out spent = {1000, (uint8_t *)spk, spk_len};
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &tx, &spent);
    struct script_checker checker = {&tx, 0, spent.value, &pre};
    ok = script_verify(sig, sig_len, spk, spk_len, w, wn, flags, &checker, &err);
    if (ok != (err == SCRIPT_ERR_OK)) abort();
    tx_clear(&tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t nothing[1] = {0};
    struct cursor c = {size ? data : nothing, size};
    uint32_t flags = take_uint(&c, 4) & SCRIPT_VERIFY_ALL_KNOWN;
    uint8_t mode = (uint8_t)take_uint(&c, 1);
    uint32_t lock_time = take_uint(&c, 4);
    uint32_t sequence = take_uint(&c, 4);
    struct byte_vec sig = take_bytes(&c);
    struct byte_vec spk = take_bytes(&c);
    struct byte_vec w[MAX_ITEMS + 1];
    size_t wn = take_uint(&c, 1) % (MAX_ITEMS + 1);
    for (size_t i = 0; i < wn; i++) w[i] = take_bytes(&c);

    uint8_t wrapped_spk[35], control[33];
    uint8_t *sig_buf = NULL;
    if ((mode & 1) && wn >= 1) { /* wn <= MAX_ITEMS: room for one more */
        /* Tapscript: ... script, control block. */
        uint256 leaf, tweak;
        int parity;
        const struct byte_vec *script = &w[wn - 1];
        taproot_leaf_hash(&leaf, TAPROOT_LEAF_TAPSCRIPT, script->data, script->len);
        taproot_tweak_hash(&tweak, G_X, &leaf);
        if (pubkey_xonly_tweak_add(wrapped_spk + 2, &parity, G_X, tweak.b)) {
            wrapped_spk[0] = OP_1;
            wrapped_spk[1] = 32;
            control[0] = (uint8_t)(TAPROOT_LEAF_TAPSCRIPT | parity);
            memcpy(control + 1, G_X, 32);
            w[wn].data = control;
            w[wn].len = sizeof(control);
            wn++;
            spk.data = wrapped_spk;
            spk.len = 34;
        }
    } else if ((mode & 2) && wn >= 1) {
        wrapped_spk[0] = OP_0;
        wrapped_spk[1] = 32;
        sha256(w[wn - 1].data, w[wn - 1].len, wrapped_spk + 2);
        spk.data = wrapped_spk;
        spk.len = 34;
    }
    if ((mode & 4) && spk.len <= MAX_SCRIPT_ELEMENT_SIZE) {
        /* P2SH: push the script at the end of the scriptSig. */
        sig_buf = malloc(sig.len + 3 + spk.len);
        if (!sig_buf) return 0;
        size_t n = 0;
        if (sig.len) memcpy(sig_buf, sig.data, sig.len);
        n = sig.len;
        if (spk.len < OP_PUSHDATA1) {
            sig_buf[n++] = (uint8_t)spk.len;
        } else if (spk.len <= 0xff) {
            sig_buf[n++] = OP_PUSHDATA1;
            sig_buf[n++] = (uint8_t)spk.len;
        } else {
            sig_buf[n++] = OP_PUSHDATA2;
            sig_buf[n++] = (uint8_t)(spk.len & 0xff);
            sig_buf[n++] = (uint8_t)(spk.len >> 8);
        }
        if (spk.len) memcpy(sig_buf + n, spk.data, spk.len);
        n += spk.len;
        uint8_t p2sh[23] = {OP_HASH160, 20};
        hash160(spk.data, spk.len, p2sh + 2);
        p2sh[22] = OP_EQUAL;
        run(sig_buf, n, p2sh, sizeof(p2sh), w, wn, flags, lock_time, sequence);
        free(sig_buf);
        return 0;
    }
    run(sig.data, sig.len, spk.data, spk.len, w, wn, flags, lock_time, sequence);
    return 0;
}
