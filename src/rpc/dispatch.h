/* JSON-RPC dispatch without HTTP: the method registry and the processing of one request
 * body into one reply, with Bitcoin Core's (>= 28) semantics for JSON-RPC 1.0/1.1 and
 * 2.0, batches and notifications. The HTTP server (server.c) calls rpc_dispatch_body;
 * tests and fuzzers call it directly. */
#ifndef IOP_RPC_DISPATCH_H
#define IOP_RPC_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/rpc_method.h"

struct rpc_dispatcher;

/* A new, empty registry (NULL on out of memory); rpc_dispatcher_free(NULL) is a no-op. */
struct rpc_dispatcher *rpc_dispatcher_new(void);
void rpc_dispatcher_free(struct rpc_dispatcher *d);

/* Adds a module's table (copied; the methods array must outlive d). Fails on a name
 * that is already registered or out of memory. Call before serving. */
__attribute__((warn_unused_result)) bool rpc_dispatcher_add_table(struct rpc_dispatcher *d,
                                                                  const struct rpc_table *t);

/* While in warm-up every call fails with -28 and the status text. */
void rpc_dispatcher_set_warmup(struct rpc_dispatcher *d, bool on, const char *status);

/* Lookup by name; *ctx receives the table's context. NULL if unknown. */
const struct rpc_method *rpc_dispatcher_find(const struct rpc_dispatcher *d, const char *name,
                                             void **ctx);
/* All methods, for help: the i-th in registration order, or NULL past the end. */
const struct rpc_method *rpc_dispatcher_at(const struct rpc_dispatcher *d, size_t i);

/* [{"method": name, "duration": microseconds}, ...] for calls now running. */
json_t *rpc_dispatcher_active_commands(struct rpc_dispatcher *d);

/* Runs one JSON-RPC call (already parsed): warm-up check, lookup, rpc_method_call. */
__attribute__((warn_unused_result)) bool
rpc_dispatcher_execute(struct rpc_dispatcher *d, const char *method, const json_t *params,
                       json_t **result, struct rpc_error *err);

struct rpc_reply {
    int http_status; /* 200, 204, 400, 404, 500 */
    char *body;      /* malloc'd JSON text ending in "\n", or NULL for 204 */
};

/* Processes a request body (any bytes; need not be NUL-terminated) as Core's
 * HTTPReq_JSONRPC does. wallet is the /wallet/<name> part of the path or NULL. */
void rpc_dispatch_body(struct rpc_dispatcher *d, const char *body, size_t len,
                       const char *wallet, struct rpc_reply *out);

#endif
