/* Running the profile service inside a daemon: one call to start it on its own thread,
 * one to stop it.
 *
 * profile_daemon_start, in a directory dir (created 0700 if missing):
 *   - loads the server's identity key from dir/identity.key (32 raw secret bytes, mode
 *     0600), or creates it at the first start;
 *   - opens the store dir/profile.sqlite and the TLS certificate dir/tls-*.pem;
 *   - listens on bind:port and runs the server's event loop on a new thread.
 * profile_daemon_stop ends the loop, joins the thread, closes every connection (hosted
 * identities go offline), closes the store and frees everything.
 *
 * The process must have made libevent thread-aware (evthread_use_pthreads) before
 * starting, since the loop is stopped from the caller's thread, and must ignore
 * SIGPIPE (conn.h). */
#ifndef IOP_SERVICES_PROFILE_DAEMON_H
#define IOP_SERVICES_PROFILE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/profile/profile_service.h"

#define PROFILE_IDENTITY_FILE "identity.key"

struct profile_daemon_config {
    const char *dir;          /* store, certificate and identity key; required */
    const char *bind;         /* numeric address; NULL: "0.0.0.0" */
    uint16_t port;            /* 0: any free port (profile_daemon_port tells) */
    size_t max_hosted;        /* 0: PROFILE_DEFAULT_MAX_HOSTED */
    const char *const *plans; /* as in profile_service_config */
    size_t nplans;
    const struct identity_key *operator_key; /* signs probes; NULL: not available */
};

struct profile_daemon;

/* Loads dir/identity.key or creates it (random secret, written atomically, 0600). The
 * caller owns the key. NULL with a message in err on failure, including a file that is
 * not exactly 32 bytes of a valid secret (it is never replaced silently). */
__attribute__((warn_unused_result)) struct identity_key *
profile_identity_load(const char *dir, char *err, size_t errlen);

__attribute__((warn_unused_result)) struct profile_daemon *
profile_daemon_start(const struct profile_daemon_config *cfg, char *err, size_t errlen);

/* The service, for profile_rpc_table; valid until profile_daemon_stop. */
struct profile_service *profile_daemon_service(struct profile_daemon *d);
uint16_t profile_daemon_port(const struct profile_daemon *d);

/* Stops and frees; NULL is a no-op. Call from any thread other than the loop's. */
void profile_daemon_stop(struct profile_daemon *d);

#endif
