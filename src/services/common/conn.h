/* Service connections: the server every service port runs, and a blocking client.
 *
 * Server. One svc_server listens on one address, on an event_base that the caller runs
 * (in one thread; every callback below runs there). It accepts TCP connections, refuses
 * those over the total or per-IP limit (per IPv6 /64) by closing them at once, runs TLS 1.3
 * (tls.h), splits the stream into frames (frame.h) and answers by itself:
 *   Ping, ListRoles, ProbeChallenge   in any conversation state;
 *   StartConversation                 only with no conversation (NONE -> STARTED);
 *   VerifyIdentity                    only in STARTED (-> VERIFIED once the client's
 *                                     signature checks out);
 * and hands every other request to the service's handler. A request in the wrong state
 * gets ERROR_BAD_CONVERSATION_STATUS; a request nobody knows gets ERROR_UNSUPPORTED. A
 * stream that breaks the framing or envelope rules (frame over the limit, bytes that are
 * not a Message) gets one ERROR_PROTOCOL_VIOLATION response with id 0 and is closed: the
 * server flushes it, sends TLS close_notify, then discards input until the peer closes
 * or SVC_LINGER_MS pass (so the kernel does not reset the connection and lose the
 * response). A connection is closed when the client sends nothing for the idle timeout,
 * leaves the server's output unread that long, or takes longer than that to complete the
 * TLS handshake or any one frame (however steadily the bytes trickle in). While a client
 * does not read its responses the server stops reading its requests (at most
 * SVC_MAX_PENDING_OUTPUT bytes queued per connection).
 *
 * Client. svc_client is a blocking client for tools and tests: it owns a private
 * event_base and runs it only inside its calls, so it can be used from any one thread.
 *
 * The process must ignore SIGPIPE (iopd does): OpenSSL writes to sockets with plain
 * write(2), and a peer that hung up would otherwise kill it. The caller must make
 * libevent thread-aware (evthread_use_pthreads) if it stops a loop from another thread.
 * Nothing here keeps global state. */
#ifndef IOP_SERVICES_CONN_H
#define IOP_SERVICES_CONN_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/common/identity.h"
#include "services/proto/iop_common.pb-c.h"

#define SVC_DEFAULT_IDLE_TIMEOUT_MS  60000
#define SVC_DEFAULT_MAX_CONNS        4096
#define SVC_DEFAULT_MAX_CONNS_PER_IP 32
#define SVC_LINGER_MS                2000
#define SVC_MAX_PENDING_OUTPUT       (4u << 20)
#define SVC_PING_PAYLOAD_MAX         1024
#define SVC_MAX_VERSIONS             16
/* The protocol version this build speaks (major.minor.patch). */
#define SVC_VERSION_MAJOR 1
#define SVC_VERSION_MINOR 0
#define SVC_VERSION_PATCH 0

enum svc_conv_state {
    SVC_CONV_NONE,     /* no StartConversation yet */
    SVC_CONV_STARTED,  /* the server has proved its identity; the client has not */
    SVC_CONV_VERIFIED, /* both identities proved; svc_conn_peer_identity is known */
};

/* One accepted connection, owned by its server. A service may keep a pointer to it after
 * a handler call (to answer later, or to reach that client on someone else's behalf)
 * until the server's on_close callback for it returns. */
struct svc_conn;
struct svc_server;

/* Called for a request the server does not answer itself. Answer with svc_conn_reply or
 * svc_conn_reply_status, now or later. Return false if the request is not this
 * service's: the server then answers ERROR_UNSUPPORTED. req and everything in it belong
 * to the caller and are gone after the call. */
typedef bool (*svc_request_fn)(struct svc_conn *c, uint32_t id, const Iop__Common__Request *req,
                               void *arg);

/* Called once for every accepted connection just before it is freed, whatever the
 * reason (disconnect, timeout, protocol violation, svc_server_free). Replies are no
 * longer possible; drop every reference to c. */
typedef void (*svc_close_fn)(struct svc_conn *c, void *arg);

/* A service offered by this node, for ListRoles. */
struct svc_role {
    Iop__Common__ServiceType service;
    uint16_t port;
};

struct svc_server_config {
    const char *bind;                        /* numeric IPv4 or IPv6 address to listen on */
    uint16_t port;                           /* 0: any free port (see svc_server_port) */
    const char *cert_dir;                    /* where the TLS certificate lives (tls.h) */
    const struct identity_key *identity;     /* the server's identity; required */
    const struct identity_key *operator_key; /* signs probes; NULL: ERROR_NOT_AVAILABLE */
    Iop__Common__ServiceType service;        /* what this port serves (probe answers) */
    const struct svc_role *roles;            /* ListRoles answer; copied */
    size_t nroles;
    int idle_timeout_ms;    /* <= 0: SVC_DEFAULT_IDLE_TIMEOUT_MS */
    int max_conns;          /* <= 0: SVC_DEFAULT_MAX_CONNS */
    int max_conns_per_ip;   /* <= 0: SVC_DEFAULT_MAX_CONNS_PER_IP */
    svc_request_fn handler; /* NULL: only the built-in requests */
    svc_close_fn on_close;  /* may be NULL */
    void *handler_arg;      /* passed to both */
};

/* Loads or creates the certificate, binds and starts listening on base. cfg's keys must
 * outlive the server; the rest is copied. NULL with a message in err on failure. */
__attribute__((warn_unused_result)) struct svc_server *
svc_server_new(struct event_base *base, const struct svc_server_config *cfg, char *err,
               size_t errlen);

/* The port the server listens on (the chosen one when cfg->port was 0). */
uint16_t svc_server_port(const struct svc_server *s);

/* Connections currently open, including those being closed. Loop thread only. */
size_t svc_server_connection_count(const struct svc_server *s);

/* Stops listening, closes every connection and frees s. Call from the loop thread or
 * when the loop is not running. NULL is a no-op. */
void svc_server_free(struct svc_server *s);

/* Sends resp as the answer to request id. False if the connection is closing, or if resp
 * cannot be encoded (over 1 MiB; the connection is closed then). */
bool svc_conn_reply(struct svc_conn *c, uint32_t id, const Iop__Common__Response *resp);
/* Sends a response with only a status and details (NULL: none). */
bool svc_conn_reply_status(struct svc_conn *c, uint32_t id, Iop__Common__Status status,
                           const char *details);
enum svc_conv_state svc_conn_state(const struct svc_conn *c);
/* The client's identity once the conversation is VERIFIED; false before. */
bool svc_conn_peer_identity(const struct svc_conn *c, uint8_t out[IDENTITY_PUBKEY_SIZE]);
/* The peer's address as text ("203.0.113.5:52011"). */
const char *svc_conn_peer(const struct svc_conn *c);
/* A pointer the service keeps with the connection (NULL until set). The server never
 * touches it; free what it points to in on_close. */
void svc_conn_set_user(struct svc_conn *c, void *user);
void *svc_conn_user(const struct svc_conn *c);

/* ---- Blocking client ---- */

struct svc_client;

/* Connects to host (numeric IPv4 or IPv6) and port and completes the TLS handshake.
 * timeout_ms bounds this and every later wait. NULL with a message in err on failure
 * (refused, closed by the server, timed out, not TLS 1.3). */
__attribute__((warn_unused_result)) struct svc_client *
svc_client_connect(const char *host, uint16_t port, int timeout_ms, char *err, size_t errlen);

/* Sends req with a new id and waits for the response with that id. On success *reply is
 * the whole message (free with iop__common__message__free_unpacked(*reply, NULL)); its
 * response may carry any status. False, with *reply NULL, if the connection closed, the
 * wait timed out or something other than that response arrived. */
__attribute__((warn_unused_result)) bool svc_client_call(struct svc_client *cl,
                                                         const Iop__Common__Request *req,
                                                         Iop__Common__Message **reply,
                                                         char *err, size_t errlen);

/* Waits for the next message from the server (free as above). False when the connection
 * closed (err says "connection closed" then) or the wait timed out. */
__attribute__((warn_unused_result)) bool
svc_client_receive(struct svc_client *cl, Iop__Common__Message **msg, char *err, size_t errlen);

/* Writes bytes as they are, unframed (tools and tests that speak for broken clients). */
__attribute__((warn_unused_result)) bool svc_client_send_raw(struct svc_client *cl,
                                                             const uint8_t *data, size_t len,
                                                             char *err, size_t errlen);

/* The conversation handshake as a client with identity k: StartConversation, check the
 * server's signature over our challenge and the exporter, VerifyIdentity. On success the
 * server's identity goes to server_key. False with err saying which step failed (a
 * status code other than OK is named). */
__attribute__((warn_unused_result)) bool
svc_client_handshake(struct svc_client *cl, const struct identity_key *k,
                     uint8_t server_key[IDENTITY_PUBKEY_SIZE], char *err, size_t errlen);

/* This connection's exporter value (tls.h). */
__attribute__((warn_unused_result)) bool svc_client_exporter(struct svc_client *cl,
                                                             uint8_t out[32]);
/* SHA-256 of the server's certificate. */
__attribute__((warn_unused_result)) bool svc_client_server_cert_sha256(struct svc_client *cl,
                                                                       uint8_t out[32]);

/* Closes and frees. NULL is a no-op. */
void svc_client_free(struct svc_client *cl);

#endif
