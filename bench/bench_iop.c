/* bench_iop: figures for the consensus core.
 *
 *   SHA-256d on 64-byte inputs (merkle nodes) and on a 1 MiB buffer
 *   transaction deserialization (a 2-input, 2-output P2WPKH transaction)
 *   ECDSA (P2WPKH) and Schnorr (P2TR key path) verification through the script
 *   interpreter, against the raw libsecp256k1 verify call on the same signature;
 *   the ratio is what the interpreter (sighash, parsing, stack) adds.
 *
 * Each figure runs for about half a second (BENCH_SECONDS overrides) and prints the mean. */
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "consensus/tx.h"
#include "bench_chain.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double budget_seconds(void)
{
    const char *s = getenv("BENCH_SECONDS");
    double v = s ? atof(s) : 0.5;
    return v > 0 ? v : 0.5;
}

/* Runs fn in doubling batches until the budget is spent; returns seconds per call. */
typedef void (*bench_fn)(void *ctx);
static double measure(bench_fn fn, void *ctx)
{
    double budget = budget_seconds();
    unsigned long batch = 1, total = 0;
    double start = now_seconds(), elapsed = 0;
    while (elapsed < budget) {
        for (unsigned long i = 0; i < batch; i++) fn(ctx);
        total += batch;
        elapsed = now_seconds() - start;
        if (batch < (1ul << 20)) batch *= 2;
    }
    return elapsed / (double)total;
}

static volatile uint8_t sink;

static void run_sha256d_64(void *ctx)
{
    uint8_t *buf = ctx, out[32];
    sha256d(buf, 64, out);
    buf[0] = out[0]; /* chain so the compiler cannot hoist the call */
}

static void run_sha256d_1m(void *ctx)
{
    uint8_t out[32];
    sha256d(ctx, 1 << 20, out);
    sink = out[0];
}

struct deser_ctx {
    uint8_t *bytes;
    size_t len;
};

static void run_deserialize(void *arg)
{
    struct deser_ctx *c = arg;
    struct tx tx;
    if (!tx_from_bytes(&tx, c->bytes, c->len, true)) abort();
    sink = (uint8_t)tx.vin_count;
    tx_clear(&tx);
}

struct verify_ctx {
    struct tx tx;
    struct tx_out spent;
    struct sighash_precomputed pre;
    uint32_t flags;
    /* raw call inputs */
    secp256k1_ecdsa_signature ecdsa_sig;
    secp256k1_pubkey pubkey;
    uint8_t schnorr_sig[64];
    secp256k1_xonly_pubkey xonly;
    uint8_t msg[32];
    uint8_t key_bytes[33]; /* serialized key, for the parse+verify figure */
    uint8_t sig_der[73];
    size_t sig_der_len;
};

static void run_interpreter(void *arg)
{
    struct verify_ctx *c = arg;
    struct script_checker chk = {&c->tx, 0, c->spent.value, &c->pre};
    enum script_error err;
    if (!script_verify(c->tx.vin[0].script_sig, c->tx.vin[0].script_sig_len,
                       c->spent.script_pubkey, c->spent.script_pubkey_len,
                       c->tx.vin[0].witness, c->tx.vin[0].witness_count, c->flags, &chk, &err)) {
        fprintf(stderr, "bench_iop: interpreter rejected the bench spend: %s\n",
                script_error_name(err));
        exit(1);
    }
}

static void run_raw_ecdsa(void *arg)
{
    struct verify_ctx *c = arg;
    if (!secp256k1_ecdsa_verify(secp256k1_context_static, &c->ecdsa_sig, c->msg, &c->pubkey))
        abort();
}

/* The bare call plus the parsing any verifier must do: public key (a square root
 * for decompression) and, for ECDSA, the DER signature. */
static void run_raw_ecdsa_parse(void *arg)
{
    struct verify_ctx *c = arg;
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, c->key_bytes, 33) ||
        !secp256k1_ecdsa_signature_parse_der(secp256k1_context_static, &sig, c->sig_der,
                                             c->sig_der_len) ||
        !secp256k1_ecdsa_verify(secp256k1_context_static, &sig, c->msg, &pk))
        abort();
}

static void run_raw_schnorr_parse(void *arg)
{
    struct verify_ctx *c = arg;
    secp256k1_xonly_pubkey pk;
    if (!secp256k1_xonly_pubkey_parse(secp256k1_context_static, &pk, c->key_bytes) ||
        !secp256k1_schnorrsig_verify(secp256k1_context_static, c->schnorr_sig, c->msg, 32, &pk))
        abort();
}

static void run_raw_schnorr(void *arg)
{
    struct verify_ctx *c = arg;
    if (!secp256k1_schnorrsig_verify(secp256k1_context_static, c->schnorr_sig, c->msg, 32,
                                     &c->xonly))
        abort();
}

/* A one-input, one-output spend of `spent`, ready for a witness. */
static void make_spend(struct verify_ctx *c, const uint8_t *spk, size_t spk_len)
{
    memset(c, 0, sizeof(*c));
    tx_init(&c->tx);
    c->tx.version = 2;
    if (!tx_resize(&c->tx, 1, 1)) abort();
    memset(c->tx.vin[0].prevout.hash.b, 0x42, 32);
    c->tx.vin[0].prevout.n = 1;
    c->tx.vout[0].value = 49000;
    static const uint8_t out_spk[22] = {0x00, 0x14};
    if (!tx_set_script_pubkey(&c->tx.vout[0], out_spk, sizeof(out_spk))) abort();
    c->spent.value = 50000;
    c->spent.script_pubkey = malloc(spk_len);
    memcpy(c->spent.script_pubkey, spk, spk_len);
    c->spent.script_pubkey_len = spk_len;
    c->flags = SCRIPT_VERIFY_CONSENSUS;
}

static void set_witness(struct tx_in *in, const uint8_t *const *items, const size_t *lens,
                        size_t n)
{
    in->witness = calloc(n, sizeof(*in->witness));
    in->witness_count = n;
    for (size_t i = 0; i < n; i++) {
        in->witness[i].data = malloc(lens[i]);
        memcpy(in->witness[i].data, items[i], lens[i]);
        in->witness[i].len = lens[i];
    }
}

static void free_spend(struct verify_ctx *c)
{
    tx_clear(&c->tx);
    free(c->spent.script_pubkey);
}

static void setup_p2wpkh(secp256k1_context *ctx, struct verify_ctx *c)
{
    uint8_t seckey[32];
    memset(seckey, 0x11, 32);
    secp256k1_pubkey pub;
    if (!secp256k1_ec_pubkey_create(ctx, &pub, seckey)) abort();
    uint8_t pub33[33];
    size_t publen = 33;
    secp256k1_ec_pubkey_serialize(ctx, pub33, &publen, &pub, SECP256K1_EC_COMPRESSED);
    uint8_t spk[22] = {0x00, 0x14};
    hash160(pub33, 33, spk + 2);
    make_spend(c, spk, sizeof(spk));
    uint8_t code[25] = {OP_DUP, OP_HASH160, 20};
    memcpy(code + 3, spk + 2, 20);
    code[23] = OP_EQUALVERIFY;
    code[24] = OP_CHECKSIG;
    sighash_precompute(&c->pre, &c->tx, &c->spent);
    uint256 h;
    sighash_witness_v0(&h, code, sizeof(code), &c->tx, 0, SIGHASH_ALL, c->spent.value, &c->pre);
    memcpy(c->msg, h.b, 32);
    secp256k1_ecdsa_signature sig;
    if (!secp256k1_ecdsa_sign(ctx, &sig, c->msg, seckey, NULL, NULL)) abort();
    uint8_t der[73];
    size_t derlen = 72;
    secp256k1_ecdsa_signature_serialize_der(ctx, der, &derlen, &sig);
    der[derlen++] = SIGHASH_ALL;
    const uint8_t *items[2] = {der, pub33};
    size_t lens[2] = {derlen, 33};
    set_witness(&c->tx.vin[0], items, lens, 2);
    c->ecdsa_sig = sig;
    c->pubkey = pub;
    memcpy(c->key_bytes, pub33, 33);
    memcpy(c->sig_der, der, derlen - 1);
    c->sig_der_len = derlen - 1;
}

static void setup_p2tr(secp256k1_context *ctx, struct verify_ctx *c)
{
    uint8_t seckey[32];
    memset(seckey, 0x22, 32);
    secp256k1_keypair kp;
    if (!secp256k1_keypair_create(ctx, &kp, seckey)) abort();
    secp256k1_xonly_pubkey internal;
    if (!secp256k1_keypair_xonly_pub(ctx, &internal, NULL, &kp)) abort();
    uint8_t internal32[32];
    secp256k1_xonly_pubkey_serialize(ctx, internal32, &internal);
    uint256 tweak;
    taproot_tweak_hash(&tweak, internal32, NULL);
    if (!secp256k1_keypair_xonly_tweak_add(ctx, &kp, tweak.b)) abort();
    if (!secp256k1_keypair_xonly_pub(ctx, &c->xonly, NULL, &kp)) abort();
    uint8_t spk[34] = {OP_1, 32};
    secp256k1_xonly_pubkey_serialize(ctx, spk + 2, &c->xonly);
    secp256k1_xonly_pubkey saved = c->xonly;
    make_spend(c, spk, sizeof(spk));
    c->xonly = saved;
    memcpy(c->key_bytes, spk + 2, 32);
    sighash_precompute(&c->pre, &c->tx, &c->spent);
    struct script_exec_data exec;
    memset(&exec, 0, sizeof(exec));
    exec.annex_init = true;
    uint256 h;
    if (!sighash_taproot(&h, &c->tx, 0, SIGHASH_DEFAULT, SIGVERSION_TAPROOT, &exec, &c->pre))
        abort();
    memcpy(c->msg, h.b, 32);
    uint8_t aux[32] = {0};
    if (!secp256k1_schnorrsig_sign32(ctx, c->schnorr_sig, c->msg, &kp, aux)) abort();
    const uint8_t *items[1] = {c->schnorr_sig};
    size_t lens[1] = {64};
    set_witness(&c->tx.vin[0], items, lens, 1);
}

int main(void)
{
    printf("bench_iop: each figure is the mean over ~%.1f s\n", budget_seconds());

    uint8_t node[64] = {1};
    double t = measure(run_sha256d_64, node);
    printf("sha256d 64-byte input:        %8.1f ns   (%.1f M hashes/s)\n", t * 1e9, 1e-6 / t);
    uint8_t *big = calloc(1, 1 << 20);
    t = measure(run_sha256d_1m, big);
    printf("sha256d 1 MiB buffer:         %8.1f us   (%.0f MB/s)\n", t * 1e6,
           (double)(1 << 20) / t / 1e6);
    free(big);

    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);

    struct verify_ctx wpkh;
    setup_p2wpkh(ctx, &wpkh);
    struct deser_ctx d;
    struct writer w;
    writer_init(&w);
    /* Two inputs and two outputs, as a typical wallet payment. */
    struct tx two;
    if (!tx_copy(&two, &wpkh.tx) || !tx_resize(&two, 2, 2)) abort();
    two.vin[1].prevout = two.vin[0].prevout;
    two.vin[1].prevout.n = 7;
    {
        const uint8_t *items[2] = {wpkh.tx.vin[0].witness[0].data, wpkh.tx.vin[0].witness[1].data};
        size_t lens[2] = {wpkh.tx.vin[0].witness[0].len, wpkh.tx.vin[0].witness[1].len};
        set_witness(&two.vin[1], items, lens, 2);
    }
    two.vout[1].value = 1000;
    if (!tx_set_script_pubkey(&two.vout[1], wpkh.spent.script_pubkey,
                              wpkh.spent.script_pubkey_len))
        abort();
    tx_serialize(&w, &two, true);
    tx_clear(&two);
    d.bytes = w.data;
    d.len = w.len;
    t = measure(run_deserialize, &d);
    printf("tx deserialize (%zu bytes):   %8.1f ns\n", d.len, t * 1e9);
    writer_free(&w);

    double interp = measure(run_interpreter, &wpkh);
    double raw = measure(run_raw_ecdsa, &wpkh);
    double raw_parse = measure(run_raw_ecdsa_parse, &wpkh);
    printf("ECDSA P2WPKH via interpreter: %8.1f us   raw secp256k1 verify %.1f us   ratio %.2f\n",
           interp * 1e6, raw * 1e6, interp / raw);
    printf("  raw parse key+sig and verify: %.1f us   interpreter overhead ratio %.2f\n",
           raw_parse * 1e6, interp / raw_parse);
    free_spend(&wpkh);

    struct verify_ctx tr;
    setup_p2tr(ctx, &tr);
    interp = measure(run_interpreter, &tr);
    raw = measure(run_raw_schnorr, &tr);
    raw_parse = measure(run_raw_schnorr_parse, &tr);
    printf("Schnorr P2TR via interpreter: %8.1f us   raw secp256k1 verify %.1f us   ratio %.2f\n",
           interp * 1e6, raw * 1e6, interp / raw);
    printf("  raw parse key and verify:     %.1f us   interpreter overhead ratio %.2f\n",
           raw_parse * 1e6, interp / raw_parse);
    free_spend(&tr);

    secp256k1_context_destroy(ctx);
    bench_chain(budget_seconds());
    return 0;
}
