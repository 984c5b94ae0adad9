/* libFuzzer harness for what RPC clients control: a request body through JSON-RPC
 * dispatch (control methods plus an echo method with typed and named arguments), the
 * Authorization header check, -rpcallowip subnets and conf-file text. The first byte
 * picks the target. Every reply must be a well-formed JSON body or no body with 204. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rpc/auth.h"
#include "rpc/control_rpc.h"
#include "rpc/dispatch.h"
#include "util/args.h"
#include "util/rpc_method.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool h_echo(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    (void)ctx;
    (void)err;
    *result = json_deep_copy(params);
    return true;
}

static const struct rpc_method fuzz_methods[] = {
    {"echo",
     "test",
     h_echo,
     {{"a", RPC_ARG_STR, false},
      {"b", RPC_ARG_NUM, true},
      {"c", RPC_ARG_OBJ, true},
      {"d", RPC_ARG_ARR, true},
      {"e", RPC_ARG_BOOL, true}},
     "echo \"a\" ( b c d e )\n"},
};

static const struct arg_def fuzz_defs[] = {
    {"rpcport", ARG_INT, ARG_NETWORK_ONLY, "", ""},
    {"daemon", ARG_BOOL, 0, "", ""},
    {"rpcuser", ARG_STRING, 0, "", ""},
    {"rpcpassword", ARG_STRING, 0, "", ""},
    {"debug", ARG_LIST, 0, "", ""},
    {"datadir", ARG_STRING, ARG_CMDLINE_ONLY, "", ""},
};

static struct rpc_dispatcher *dispatcher;
static struct control_ctx control;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    if (!dispatcher) {
        dispatcher = rpc_dispatcher_new();
        control = (struct control_ctx){dispatcher, NULL, 0};
        struct rpc_table t = {fuzz_methods, 1, NULL};
        struct rpc_table c = control_rpc_table(&control);
        if (!rpc_dispatcher_add_table(dispatcher, &t) ||
            !rpc_dispatcher_add_table(dispatcher, &c))
            abort();
    }
    uint8_t which = data[0] % 4;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char *text = malloc(len + 1);
    if (!text) return 0;
    memcpy(text, body, len);
    text[len] = '\0';
    switch (which) {
    case 0: {
        struct rpc_reply r;
        rpc_dispatch_body(dispatcher, body, len, NULL, &r);
        if (r.http_status == 204) {
            if (r.body) abort();
        } else {
            json_error_t e;
            json_t *v = r.body ? json_loads(r.body, JSON_DECODE_ANY, &e) : NULL;
            if (!v) abort();
            json_decref(v);
        }
        free(r.body);
        break;
    }
    case 1: {
        struct rpc_auth *a = rpc_auth_new();
        if (!rpc_auth_add_password(a, "__cookie__", "abc") ||
            !rpc_auth_add_rpcauth(
                a, "u:s$bb5b7c2166ad7f5294f9af1e070c4590de81ff9e3ad9846d006d96e2c1c6fcf9"))
            abort();
        char user[64];
        (void)rpc_auth_check_header(a, text, user, sizeof user);
        (void)rpc_auth_add_rpcauth(a, text);
        rpc_auth_free(a);
        break;
    }
    case 2: {
        struct rpc_subnet s;
        uint8_t addr[16] = {0};
        if (rpc_subnet_parse(text, &s)) (void)rpc_subnet_match(&s, s.family, addr);
        break;
    }
    case 3: {
        struct args *a = args_new(fuzz_defs, sizeof fuzz_defs / sizeof fuzz_defs[0]);
        char err[256];
        if (args_read_conf_text(a, text, "fuzz.conf", (len & 1) != 0, err, sizeof err) &&
            args_select_section(a, "regtest")) {
            const char **list;
            (void)args_get(a, "rpcport");
            (void)args_get_bool(a, "daemon", false);
            size_t n = args_get_list(a, "debug", &list);
            (void)n;
            free(list);
        }
        args_free(a);
        break;
    }
    }
    free(text);
    return 0;
}
