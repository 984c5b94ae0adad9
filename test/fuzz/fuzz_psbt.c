/* libFuzzer harness: arbitrary bytes as a PSBT (src/chain/psbt.h). Whatever parses
 * must serialize, parse again and serialize to the same bytes (the serializer's output
 * is canonical); the copy, combiner, analysis and finalizer must run on it without
 * crashing; and the RPC methods that take a PSBT (decodepsbt, analyzepsbt,
 * finalizepsbt, combinepsbt, joinpsbts) must answer with a result or a clean error.
 * The bytes are also tried as base64 text. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "chain/chainparams.h"
#include "chain/policy.h"
#include "chain/psbt.h"
#include "chain/psbt_rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void call(struct psbt_rpc_ctx *ctx, const char *method, json_t *params)
{
    struct rpc_table t = psbt_rpc_table(ctx);
    for (size_t i = 0; i < t.count; i++) {
        if (strcmp(t.methods[i].name, method) != 0) continue;
        json_t *result = NULL;
        struct rpc_error err = {0, NULL};
        if (rpc_method_call(&t.methods[i], ctx, params, &result, &err)) {
            if (!result) abort();
            char *s = json_dumps(result, JSON_ENCODE_ANY);
            if (!s) abort();
            free(s);
            json_decref(result);
        } else {
            if (err.code == 0 || !err.message) abort();
            rpc_error_clear(&err);
        }
    }
    json_decref(params);
}

static void roles(const struct psbt *p)
{
    struct psbt copy;
    if (!psbt_copy(&copy, p)) abort();
    bool mismatch;
    if (!psbt_merge(&copy, p, &mismatch)) abort();
    struct psbt_analysis a;
    if (!psbt_analyze(&copy, DEFAULT_BYTES_PER_SIGOP, &a)) abort();
    psbt_analysis_clear(&a);
    bool complete = psbt_finalize(&copy);
    struct tx tx;
    if (psbt_extract(&copy, &tx) != complete) abort();
    tx_clear(&tx);
    psbt_remove_unnecessary_transactions(&copy);
    psbt_clear(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct psbt p;
    char err[PSBT_ERR_MAX];
    if (psbt_parse(&p, data, size, err)) {
        size_t len;
        uint8_t *ser = psbt_serialize(&p, &len);
        if (!ser) abort();
        struct psbt again;
        if (!psbt_parse(&again, ser, len, err)) abort();
        size_t len2;
        uint8_t *ser2 = psbt_serialize(&again, &len2);
        if (!ser2 || len2 != len || memcmp(ser, ser2, len) != 0) abort();
        roles(&p);

        struct psbt_rpc_ctx ctx = {chainparams_by_name("regtest"), NULL};
        char *b64 = psbt_base64_encode(ser, len);
        if (!b64) abort();
        size_t back_len;
        uint8_t *back = psbt_base64_decode(b64, &back_len);
        if (!back || back_len != len || memcmp(back, ser, len) != 0) abort();
        free(back);
        call(&ctx, "decodepsbt", json_pack("[s]", b64));
        call(&ctx, "analyzepsbt", json_pack("[s]", b64));
        call(&ctx, "finalizepsbt", json_pack("[s,b]", b64, size & 1));
        call(&ctx, "combinepsbt", json_pack("[[s,s]]", b64, b64));
        call(&ctx, "joinpsbts", json_pack("[[s,s]]", b64, b64));
        free(b64);
        free(ser);
        free(ser2);
        psbt_clear(&again);
        psbt_clear(&p);
    } else if (err[0] == '\0') {
        abort(); /* every refusal has a reason */
    }

    /* The same bytes as (probably invalid) base64 text. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (psbt_from_base64(&p, text, err)) psbt_clear(&p);
    free(text);
    return 0;
}
