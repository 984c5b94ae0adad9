/* The profile service: the requests of iop_profile.proto, answered on a svc_server.
 *
 * A profile_service owns the store (profile_store.h) and the per-connection state
 * (check-in, kept search results). It plugs into the common server through the handler
 * and close callbacks (conn.h): profile_service_attach fills them into a
 * svc_server_config. All its callbacks run on the server's loop thread; only
 * profile_service_get_info may be called from another thread (the RPC server's).
 *
 * Lifetime: create the service, then the server with the attached config; free the
 * server first (its close callbacks reach the service), then the service.
 *
 * Which requests need which conversation state and the status codes of each are in
 * doc/services-protocol.md section 9. */
#ifndef IOP_SERVICES_PROFILE_SERVICE_H
#define IOP_SERVICES_PROFILE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/common/conn.h"

#define PROFILE_DEFAULT_PORT       16988
#define PROFILE_DEFAULT_MAX_HOSTED 10000
#define PROFILE_SEARCH_TTL_MS      120000
#define PROFILE_MAX_PLANS          16
#define PROFILE_DEFAULT_PLAN       "free"

struct profile_service;

struct profile_service_config {
    const char *store_dir;    /* directory of profile.sqlite; required */
    size_t max_hosted;        /* 0: PROFILE_DEFAULT_MAX_HOSTED */
    const char *const *plans; /* free hosting plans offered; copied. NULL/0: "free" */
    size_t nplans;            /* at most PROFILE_MAX_PLANS */
    int search_ttl_ms;        /* how long search results are kept; <= 0: 2 minutes */
};

/* Opens the store and prepares the service. NULL with a message in err on failure
 * (store errors, bad plan names). */
__attribute__((warn_unused_result)) struct profile_service *
profile_service_new(const struct profile_service_config *cfg, char *err, size_t errlen);

/* Closes the store and frees. Every server attached to ps must be freed before. NULL is
 * a no-op. */
void profile_service_free(struct profile_service *ps);

/* Sets cfg's handler, on_close and handler_arg to ps, and cfg->service to
 * SERVICE_PROFILE. The rest of cfg is the caller's. */
void profile_service_attach(struct profile_service *ps, struct svc_server_config *cfg);

/* The handler and close callbacks themselves (arg is the service). */
bool profile_service_handle(struct svc_conn *c, uint32_t id, const Iop__Common__Request *req,
                            void *arg);
void profile_service_on_close(struct svc_conn *c, void *arg);

/* Tells the service where it is reachable, for getprofileserverinfo. */
void profile_service_set_endpoint(struct profile_service *ps, uint16_t port,
                                  const uint8_t server_key[IDENTITY_PUBKEY_SIZE]);

/* A snapshot for status reports; safe from any thread. */
struct profile_service_info {
    uint16_t port;
    bool has_key;
    uint8_t server_key[IDENTITY_PUBKEY_SIZE];
    size_t hosted, online, max_hosted;
    size_t nplans;
    char plans[PROFILE_MAX_PLANS][65];
};
void profile_service_get_info(struct profile_service *ps, struct profile_service_info *out);

#endif
