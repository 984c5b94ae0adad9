/* The server's own methods: stop, uptime, getrpcinfo, logging, help. */
#ifndef IOP_RPC_CONTROL_RPC_H
#define IOP_RPC_CONTROL_RPC_H

#include <stdint.h>

#include "rpc/dispatch.h"
#include "util/rpc_method.h"

struct control_ctx {
    struct rpc_dispatcher *dispatcher; /* for help */
    void (*request_shutdown)(void);    /* called by stop; must be thread-safe */
    int64_t start_time;                /* time_now() at start, for uptime */
};

/* The control table; ctx must outlive the dispatcher. */
struct rpc_table control_rpc_table(struct control_ctx *ctx);

/* Core's "help" listing or one method's help (unknown: "help: unknown command: NAME").
 * Returns a new string the caller frees. */
char *control_help_text(const struct rpc_dispatcher *d, const char *command);

#endif
