/* The RPC method type shared by the server and every module.
 *
 * A module describes each method it offers in a struct rpc_method (name, category,
 * argument names and types, Core-style help text, handler) and exports a table of them;
 * iopd.c hands the tables to src/rpc, which serves HTTP and dispatches. Nothing here
 * knows about HTTP: rpc_method_call takes params as JSON (an array, or an object of
 * named arguments), maps names to positions, checks counts and types the way Bitcoin
 * Core's RPCHelpMan does, and runs the handler. Error codes are Core's (protocol.h). */
#ifndef IOP_UTIL_RPC_METHOD_H
#define IOP_UTIL_RPC_METHOD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Bitcoin Core's RPC error codes. */
enum rpc_error_code {
    /* Standard JSON-RPC 2.0 errors */
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_PARSE_ERROR = -32700,
    /* General application defined errors */
    RPC_MISC_ERROR = -1,
    RPC_TYPE_ERROR = -3,
    RPC_INVALID_ADDRESS_OR_KEY = -5,
    RPC_OUT_OF_MEMORY = -7,
    RPC_INVALID_PARAMETER = -8,
    RPC_DATABASE_ERROR = -20,
    RPC_DESERIALIZATION_ERROR = -22,
    RPC_VERIFY_ERROR = -25,
    RPC_VERIFY_REJECTED = -26,
    RPC_VERIFY_ALREADY_IN_CHAIN = -27,
    RPC_IN_WARMUP = -28,
    RPC_METHOD_DEPRECATED = -32,
    /* P2P client errors */
    RPC_CLIENT_NOT_CONNECTED = -9,
    RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10,
    RPC_CLIENT_NODE_ALREADY_ADDED = -23,
    RPC_CLIENT_NODE_NOT_ADDED = -24,
    RPC_CLIENT_NODE_NOT_CONNECTED = -29,
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30,
    RPC_CLIENT_P2P_DISABLED = -31,
    RPC_CLIENT_NODE_CAPACITY_REACHED = -34,
    /* Chain errors */
    RPC_CLIENT_MEMPOOL_DISABLED = -33,
    /* Wallet errors */
    RPC_WALLET_ERROR = -4,
    RPC_WALLET_INSUFFICIENT_FUNDS = -6,
    RPC_WALLET_INVALID_LABEL_NAME = -11,
    RPC_WALLET_KEYPOOL_RAN_OUT = -12,
    RPC_WALLET_UNLOCK_NEEDED = -13,
    RPC_WALLET_PASSPHRASE_INCORRECT = -14,
    RPC_WALLET_WRONG_ENC_STATE = -15,
    RPC_WALLET_ENCRYPTION_FAILED = -16,
    RPC_WALLET_ALREADY_UNLOCKED = -17,
    RPC_WALLET_NOT_FOUND = -18,
    RPC_WALLET_NOT_SPECIFIED = -19,
    RPC_WALLET_ALREADY_LOADED = -35,
    RPC_WALLET_ALREADY_EXISTS = -36,
};

/* An error a handler reports: a Core error code and a message (malloc'd, owned by the
 * struct; release with rpc_error_clear). Zero-initialise before use. */
struct rpc_error {
    int code;
    char *message;
};

/* Sets code and a printf-formatted message (replacing any previous one). Returns false
 * so handlers can write `return rpc_error_set(err, ...)`. */
bool rpc_error_set(struct rpc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rpc_error_clear(struct rpc_error *err);

/* What a handler returns true or false for. params is always a JSON array here (named
 * parameters are already mapped to positions; missing optional ones are absent or null).
 * On success *result is set to a new reference (json_null() for "no result"). On failure
 * err is set and *result left NULL. ctx is the table's context pointer. */
typedef bool (*rpc_handler)(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err);

enum rpc_arg_type {
    RPC_ARG_ANY = 0, /* no type check */
    RPC_ARG_STR,
    RPC_ARG_NUM,
    RPC_ARG_BOOL,
    RPC_ARG_OBJ,
    RPC_ARG_ARR,
};

struct rpc_arg {
    const char *name; /* NULL ends the list */
    enum rpc_arg_type type;
    bool optional;
};

#define RPC_MAX_ARGS 12

struct rpc_method {
    const char *name;
    const char *category; /* "control", "blockchain", ...; "hidden" is left out of help */
    rpc_handler handler;
    struct rpc_arg args[RPC_MAX_ARGS];
    /* Core-style help: the usage line, a blank line, the description, Arguments,
     * Result and Examples sections. The first line is what "help" lists. */
    const char *help;
};

/* A module's methods and the context passed to their handlers. */
struct rpc_table {
    const struct rpc_method *methods;
    size_t count;
    void *ctx;
};

/* Maps named params (a JSON object) to a positional array by m's argument names, leaving
 * null in gaps. An array is returned as a new reference unchanged. Unknown name: -8
 * "Unknown named parameter NAME". Returns NULL with err set on failure. */
json_t *rpc_method_positional(const struct rpc_method *m, const json_t *params,
                              struct rpc_error *err);

/* Runs m: named-to-positional mapping, argument count (-1 with the help text when wrong,
 * as Core), type checks (-3 "Wrong type passed: ..."), then the handler. */
__attribute__((warn_unused_result)) bool rpc_method_call(const struct rpc_method *m, void *ctx,
                                                         const json_t *params, json_t **result,
                                                         struct rpc_error *err);

/* Core's name for a JSON type ("null", "bool", "object", "array", "number", "string"). */
const char *rpc_json_type_name(const json_t *v);

/* The wallet named by the request path (/wallet/<name>), or NULL for "/". Valid only on
 * the thread running a handler; the server sets it around each call. */
const char *rpc_call_wallet(void);
void rpc_call_set_wallet(const char *wallet);

#endif
