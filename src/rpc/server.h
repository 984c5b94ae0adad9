/* The JSON-RPC HTTP server: libevent's evhttp on one event thread, a bounded work queue
 * and a pool of worker threads that authenticate and dispatch (dispatch.h). It knows no
 * module; methods come in through the dispatcher's tables. */
#ifndef IOP_RPC_SERVER_H
#define IOP_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc/auth.h"
#include "rpc/dispatch.h"

/* Core's MAX_SIZE: the largest request body accepted (bigger ones get HTTP 413). */
#define RPC_MAX_BODY_SIZE 0x02000000

struct rpc_server_config {
    const char *const *bind; /* addresses, optionally with :port ([v6]:port); none: loopback */
    size_t nbind;
    uint16_t port;
    const struct rpc_subnet *allow; /* clients allowed besides loopback */
    size_t nallow;
    bool allow_loopback; /* Core always allows 127.0.0.0/8 and ::1; tests may turn it off */
    int threads;         /* worker threads (-rpcthreads) */
    int workqueue;       /* queued requests before 503 (-rpcworkqueue) */
    int timeout;         /* seconds an idle HTTP connection stays open (-rpcservertimeout) */
};

struct rpc_server;

/* Binds and starts serving. d and auth must outlive the server. NULL with a message in
 * err if no address could be bound or threads could not start. */
struct rpc_server *rpc_server_start(struct rpc_dispatcher *d, const struct rpc_auth *auth,
                                    const struct rpc_server_config *cfg, char *err,
                                    size_t errlen);

/* Stops accepting, lets queued requests finish and their replies go out, joins all
 * threads and frees everything. rpc_server_stop(NULL) is a no-op. */
void rpc_server_stop(struct rpc_server *s);

#endif
