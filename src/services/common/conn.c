/* Service connections (see conn.h).
 *
 * Server side, the life of a connection: accept (limits checked on the raw socket), TLS
 * handshake inside the bufferevent, then frames. Each frame is decoded and answered in
 * the read callback. Closing is two-phase: conn_close_gracefully stops reading requests
 * and waits for the output to drain, then sends close_notify and lingers, discarding
 * input, until the peer hangs up; conn_free releases everything at once. Bufferevent
 * callbacks are deferred (BEV_OPT_DEFER_CALLBACKS), so none of them runs inside another
 * and a callback may free its own connection as its last act. */
#include "services/common/conn.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "consensus/pubkey.h"
#include "services/common/frame.h"
#include "services/common/tls.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"

/* ---- Shared helpers ---- */

/* Parses a numeric address and port into ss. */
static bool parse_addr(const char *host, uint16_t port, struct sockaddr_storage *ss,
                       socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (evutil_inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(port);
        *len = sizeof *a4;
        return true;
    }
    if (evutil_inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        *len = sizeof *a6;
        return true;
    }
    return false;
}

static struct timeval ms_to_tv(int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

static bool bytes_field_is(const ProtobufCBinaryData *b, size_t len)
{
    return b->len == len && b->data != NULL;
}

/* ---- Server ---- */

struct svc_server {
    struct event_base *base;
    SSL_CTX *ctx;
    struct evconnlistener *listener;
    uint16_t port;
    const struct identity_key *identity;
    const struct identity_key *operator_key;
    Iop__Common__ServiceType service;
    struct svc_role *roles;
    size_t nroles;
    int idle_timeout_ms;
    int max_conns, max_conns_per_ip;
    svc_request_fn handler;
    svc_close_fn on_close;
    void *handler_arg;
    struct svc_conn *conns; /* doubly linked, newest first */
    size_t nconns;
};

enum conn_phase {
    PHASE_OPEN,   /* reading and answering requests */
    PHASE_DRAIN,  /* no more requests; waiting for the output to be written */
    PHASE_LINGER, /* close_notify sent; discarding input until the peer closes */
};

struct svc_conn {
    struct svc_server *s;
    struct bufferevent *bev;
    struct svc_conn *prev, *next;
    int family;
    uint8_t ip[16];
    char peer[64];
    struct frame_decoder dec;
    enum conn_phase phase;
    bool paused;         /* reading stopped until the output drains */
    bool handshake_done; /* TLS established */
    /* Armed while the TLS handshake or a frame is incomplete: both must finish within
     * the idle timeout, however slowly the bytes trickle in. */
    struct event *slow_timer;
    enum svc_conv_state state;
    uint8_t client_key[IDENTITY_PUBKEY_SIZE];
    uint8_t server_challenge[IDENTITY_CHALLENGE_SIZE];
    void *user;
};

static void conn_free(struct svc_conn *c)
{
    struct svc_server *s = c->s;
    c->phase = PHASE_LINGER; /* no replies from on_close */
    if (s->on_close) s->on_close(c, s->handler_arg);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    frame_decoder_clear(&c->dec);
    if (c->slow_timer) event_free(c->slow_timer);
    if (c->bev) bufferevent_free(c->bev); /* closes the socket and frees the SSL */
    free(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

static void linger_read_cb(struct bufferevent *bev, void *arg)
{
    (void)arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    evbuffer_drain(in, evbuffer_get_length(in));
}

/* Output drained in PHASE_DRAIN: say goodbye at the TLS level and linger. */
static void conn_start_linger(struct svc_conn *c)
{
    c->phase = PHASE_LINGER;
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    /* One-sided: we do not wait for the peer's close_notify, only for it to hang up. */
    if (ssl && SSL_is_init_finished(ssl)) (void)SSL_shutdown(ssl);
    ERR_clear_error();
    struct timeval tv = ms_to_tv(SVC_LINGER_MS);
    bufferevent_set_timeouts(c->bev, &tv, &tv);
    bufferevent_setcb(c->bev, linger_read_cb, NULL, conn_event_cb, c);
    bufferevent_enable(c->bev, EV_READ);
    bufferevent_disable(c->bev, EV_WRITE);
}

/* Stops taking requests; the connection goes once what is queued has been written. The
 * caller must not touch c afterwards unless it returns straight to libevent. */
static void conn_close_gracefully(struct svc_conn *c)
{
    if (c->phase != PHASE_OPEN) return;
    c->phase = PHASE_DRAIN;
    evtimer_del(c->slow_timer);
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) conn_start_linger(c);
    /* else the write callback continues when the output is empty */
}

static bool conn_send(struct svc_conn *c, const Iop__Common__Message *m)
{
    uint8_t *buf;
    size_t len;
    char err[128];
    if (!frame_encode(m, &buf, &len, err, sizeof err)) {
        log_info("services: cannot encode a response to %s: %s", c->peer, err);
        conn_close_gracefully(c);
        return false;
    }
    int rc = bufferevent_write(c->bev, buf, len);
    free(buf);
    if (rc != 0) {
        conn_close_gracefully(c);
        return false;
    }
    return true;
}

bool svc_conn_reply(struct svc_conn *c, uint32_t id, const Iop__Common__Response *resp)
{
    if (c->phase != PHASE_OPEN) return false;
    Iop__Common__Message m = IOP__COMMON__MESSAGE__INIT;
    m.id = id;
    m.kind_case = IOP__COMMON__MESSAGE__KIND_RESPONSE;
    m.response = (Iop__Common__Response *)resp;
    return conn_send(c, &m);
}

bool svc_conn_reply_status(struct svc_conn *c, uint32_t id, Iop__Common__Status status,
                           const char *details)
{
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.status = status;
    r.details = (char *)(details ? details : "");
    return svc_conn_reply(c, id, &r);
}

enum svc_conv_state svc_conn_state(const struct svc_conn *c) { return c->state; }

bool svc_conn_peer_identity(const struct svc_conn *c, uint8_t out[IDENTITY_PUBKEY_SIZE])
{
    if (c->state != SVC_CONV_VERIFIED) return false;
    memcpy(out, c->client_key, IDENTITY_PUBKEY_SIZE);
    return true;
}

const char *svc_conn_peer(const struct svc_conn *c) { return c->peer; }

void svc_conn_set_user(struct svc_conn *c, void *user) { c->user = user; }

void *svc_conn_user(const struct svc_conn *c) { return c->user; }

/* Answers with ERROR_PROTOCOL_VIOLATION (id 0) and closes. */
static void protocol_violation(struct svc_conn *c, const char *why)
{
    log_debug(LOG_SERVICES, "protocol violation by %s: %s", c->peer, why);
    svc_conn_reply_status(c, 0, IOP__COMMON__STATUS__ERROR_PROTOCOL_VIOLATION, why);
    conn_close_gracefully(c);
}

static void handle_ping(struct svc_conn *c, uint32_t id, const Iop__Common__PingRequest *req)
{
    if (req->payload.len > SVC_PING_PAYLOAD_MAX) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE, "payload");
        return;
    }
    Iop__Common__PingResponse p = IOP__COMMON__PING_RESPONSE__INIT;
    p.payload = req->payload;
    p.clock = (uint64_t)(time_now_micros() / 1000);
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.kind_case = IOP__COMMON__RESPONSE__KIND_PING;
    r.ping = &p;
    svc_conn_reply(c, id, &r);
}

static void handle_list_roles(struct svc_conn *c, uint32_t id)
{
    struct svc_server *s = c->s;
    Iop__Common__ServerRole *roles = calloc(s->nroles ? s->nroles : 1, sizeof *roles);
    Iop__Common__ServerRole **ptrs = calloc(s->nroles ? s->nroles : 1, sizeof *ptrs);
    if (!roles || !ptrs) {
        free(roles);
        free(ptrs);
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INTERNAL, "out of memory");
        return;
    }
    for (size_t i = 0; i < s->nroles; i++) {
        iop__common__server_role__init(&roles[i]);
        roles[i].service = s->roles[i].service;
        roles[i].port = s->roles[i].port;
        ptrs[i] = &roles[i];
    }
    Iop__Common__ListRolesResponse lr = IOP__COMMON__LIST_ROLES_RESPONSE__INIT;
    lr.n_roles = s->nroles;
    lr.roles = ptrs;
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.kind_case = IOP__COMMON__RESPONSE__KIND_LIST_ROLES;
    r.list_roles = &lr;
    svc_conn_reply(c, id, &r);
    free(ptrs);
    free(roles);
}

static void handle_probe(struct svc_conn *c, uint32_t id,
                         const Iop__Common__ProbeChallengeRequest *req)
{
    struct svc_server *s = c->s;
    if (!bytes_field_is(&req->challenge, IDENTITY_CHALLENGE_SIZE)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE, "challenge");
        return;
    }
    if (req->service != s->service) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_UNSUPPORTED,
                              "service not served on this port");
        return;
    }
    if (!s->operator_key) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_NOT_AVAILABLE,
                              "no operator key configured");
        return;
    }
    uint8_t pk[IDENTITY_PUBKEY_SIZE], sig[IDENTITY_SIGNATURE_SIZE];
    identity_key_public(s->operator_key, pk);
    if (!identity_sign_probe(s->operator_key, sig, req->challenge.data, (uint8_t)s->service)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INTERNAL, "signing failed");
        return;
    }
    Iop__Common__ProbeChallengeResponse p = IOP__COMMON__PROBE_CHALLENGE_RESPONSE__INIT;
    p.operator_public_key.data = pk;
    p.operator_public_key.len = sizeof pk;
    p.service = s->service;
    p.signature.data = sig;
    p.signature.len = sizeof sig;
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.kind_case = IOP__COMMON__RESPONSE__KIND_PROBE_CHALLENGE;
    r.probe_challenge = &p;
    svc_conn_reply(c, id, &r);
}

static void handle_start_conversation(struct svc_conn *c, uint32_t id,
                                      const Iop__Common__StartConversationRequest *req)
{
    struct svc_server *s = c->s;
    if (c->state != SVC_CONV_NONE) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS,
                              "conversation already started");
        return;
    }
    if (req->n_supported_versions > SVC_MAX_VERSIONS) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE,
                              "supported_versions");
        return;
    }
    if (!bytes_field_is(&req->public_key, IDENTITY_PUBKEY_SIZE) ||
        !pubkey_xonly_is_valid(req->public_key.data)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE, "public_key");
        return;
    }
    if (!bytes_field_is(&req->client_challenge, IDENTITY_CHALLENGE_SIZE)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE,
                              "client_challenge");
        return;
    }
    bool version_ok = false;
    for (size_t i = 0; i < req->n_supported_versions; i++)
        if (req->supported_versions[i] &&
            req->supported_versions[i]->major == SVC_VERSION_MAJOR)
            version_ok = true;
    if (!version_ok) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_UNSUPPORTED,
                              "no supported version");
        return;
    }
    uint8_t exporter[IDENTITY_EXPORTER_SIZE], sig[IDENTITY_SIGNATURE_SIZE];
    uint8_t pk[IDENTITY_PUBKEY_SIZE];
    if (!tls_conversation_exporter(bufferevent_openssl_get_ssl(c->bev), exporter) ||
        !random_bytes(c->server_challenge, sizeof c->server_challenge) ||
        !identity_sign_conversation(s->identity, sig, req->client_challenge.data, exporter)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INTERNAL,
                              "cannot sign the challenge");
        return;
    }
    identity_key_public(s->identity, pk);
    memcpy(c->client_key, req->public_key.data, IDENTITY_PUBKEY_SIZE);
    c->state = SVC_CONV_STARTED;

    Iop__Common__Version v = IOP__COMMON__VERSION__INIT;
    v.major = SVC_VERSION_MAJOR;
    v.minor = SVC_VERSION_MINOR;
    v.patch = SVC_VERSION_PATCH;
    Iop__Common__StartConversationResponse sc = IOP__COMMON__START_CONVERSATION_RESPONSE__INIT;
    sc.version = &v;
    sc.public_key.data = pk;
    sc.public_key.len = sizeof pk;
    sc.server_challenge.data = c->server_challenge;
    sc.server_challenge.len = sizeof c->server_challenge;
    sc.client_challenge = req->client_challenge;
    sc.signature.data = sig;
    sc.signature.len = sizeof sig;
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.kind_case = IOP__COMMON__RESPONSE__KIND_START_CONVERSATION;
    r.start_conversation = &sc;
    svc_conn_reply(c, id, &r);
}

static void handle_verify_identity(struct svc_conn *c, uint32_t id,
                                   const Iop__Common__VerifyIdentityRequest *req)
{
    if (c->state != SVC_CONV_STARTED) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS,
                              c->state == SVC_CONV_NONE ? "no conversation started"
                                                        : "identity already verified");
        return;
    }
    if (!bytes_field_is(&req->signature, IDENTITY_SIGNATURE_SIZE)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_VALUE, "signature");
        return;
    }
    uint8_t exporter[IDENTITY_EXPORTER_SIZE];
    if (!tls_conversation_exporter(bufferevent_openssl_get_ssl(c->bev), exporter)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INTERNAL, "no exporter");
        return;
    }
    if (!identity_verify_conversation(c->client_key, req->signature.data, c->server_challenge,
                                      exporter)) {
        svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_INVALID_SIGNATURE, "signature");
        return;
    }
    c->state = SVC_CONV_VERIFIED;
    Iop__Common__VerifyIdentityResponse vi = IOP__COMMON__VERIFY_IDENTITY_RESPONSE__INIT;
    Iop__Common__Response r = IOP__COMMON__RESPONSE__INIT;
    r.kind_case = IOP__COMMON__RESPONSE__KIND_VERIFY_IDENTITY;
    r.verify_identity = &vi;
    svc_conn_reply(c, id, &r);
}

static void dispatch(struct svc_conn *c, uint32_t id, const Iop__Common__Request *req)
{
    switch (req->kind_case) {
    case IOP__COMMON__REQUEST__KIND_PING: handle_ping(c, id, req->ping); return;
    case IOP__COMMON__REQUEST__KIND_LIST_ROLES: handle_list_roles(c, id); return;
    case IOP__COMMON__REQUEST__KIND_PROBE_CHALLENGE:
        handle_probe(c, id, req->probe_challenge);
        return;
    case IOP__COMMON__REQUEST__KIND_START_CONVERSATION:
        handle_start_conversation(c, id, req->start_conversation);
        return;
    case IOP__COMMON__REQUEST__KIND_VERIFY_IDENTITY:
        handle_verify_identity(c, id, req->verify_identity);
        return;
    default: break;
    }
    if (c->s->handler && c->s->handler(c, id, req, c->s->handler_arg)) return;
    svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_UNSUPPORTED, "unknown request");
}

static void handle_frame(struct svc_conn *c, const uint8_t *payload, size_t len)
{
    char err[128];
    Iop__Common__Message *m;
    if (!frame_decode_message(payload, len, &m, err, sizeof err)) {
        protocol_violation(c, err);
        return;
    }
    if (m->kind_case == IOP__COMMON__MESSAGE__KIND_REQUEST)
        dispatch(c, m->id, m->request);
    else /* this server sends no requests, so nothing may answer one */
        protocol_violation(c, "unexpected response");
    iop__common__message__free_unpacked(m, NULL);
}

/* A frame (or the TLS handshake) has been incomplete for the whole idle timeout. */
static void slow_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct svc_conn *c = arg;
    log_debug(LOG_SERVICES, "%s too slow to complete a %s", c->peer,
              c->handshake_done ? "frame" : "TLS handshake");
    conn_free(c);
}

/* Keeps the slow timer armed exactly while a frame or the handshake is in progress. */
static void update_slow_timer(struct svc_conn *c)
{
    bool busy = c->phase == PHASE_OPEN && (!c->handshake_done || !frame_decoder_idle(&c->dec));
    if (!busy) {
        evtimer_del(c->slow_timer);
    } else if (!evtimer_pending(c->slow_timer, NULL)) {
        struct timeval tv = ms_to_tv(c->s->idle_timeout_ms);
        evtimer_add(c->slow_timer, &tv);
    }
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    struct svc_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer *out = bufferevent_get_output(bev);
    char err[128];
    while (c->phase == PHASE_OPEN && evbuffer_get_length(in) > 0) {
        if (evbuffer_get_length(out) > SVC_MAX_PENDING_OUTPUT) {
            c->paused = true;
            bufferevent_disable(bev, EV_READ);
            break;
        }
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0) break;
        size_t used;
        enum frame_status st =
            frame_decoder_feed(&c->dec, v.iov_base, v.iov_len, &used, err, sizeof err);
        evbuffer_drain(in, used);
        if (st == FRAME_ERROR) {
            protocol_violation(c, err);
            break;
        }
        if (st == FRAME_READY) {
            size_t len;
            const uint8_t *p = frame_decoder_payload(&c->dec, &len);
            handle_frame(c, p, len);
        }
    }
    update_slow_timer(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    struct svc_conn *c = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) != 0) return;
    if (c->phase == PHASE_DRAIN) {
        conn_start_linger(c);
    } else if (c->paused && c->phase == PHASE_OPEN) {
        c->paused = false;
        bufferevent_enable(bev, EV_READ);
        /* Requests may be waiting in the input already. */
        if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) conn_read_cb(bev, c);
    }
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct svc_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) { /* TLS handshake done */
        c->handshake_done = true;
        update_slow_timer(c);
        return;
    }
    if (c->phase == PHASE_OPEN)
        log_debug(LOG_SERVICES, "%s from %s",
                  (what & BEV_EVENT_TIMEOUT) ? "idle timeout"
                  : (what & BEV_EVENT_EOF)   ? "disconnect"
                                             : "connection error",
                  c->peer);
    ERR_clear_error();
    conn_free(c);
}

/* Connections from the same client: the same IPv4 address, or the same IPv6 /64 (one
 * subscriber's usual allocation), IPv4-mapped IPv6 addresses compared whole. */
static size_t count_from_ip(const struct svc_server *s, int family, const uint8_t ip[16])
{
    static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    size_t len = family == AF_INET ? 4 : memcmp(ip, v4_mapped, 12) == 0 ? 16 : 8;
    size_t n = 0;
    for (const struct svc_conn *c = s->conns; c; c = c->next)
        if (c->family == family && memcmp(c->ip, ip, len) == 0) n++;
    return n;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)salen;
    struct svc_server *s = arg;
    int family = sa->sa_family;
    uint8_t ip[16] = {0};
    uint16_t port;
    if (family == AF_INET) {
        memcpy(ip, &((struct sockaddr_in *)sa)->sin_addr, 4);
        port = ntohs(((struct sockaddr_in *)sa)->sin_port);
    } else if (family == AF_INET6) {
        memcpy(ip, &((struct sockaddr_in6 *)sa)->sin6_addr, 16);
        port = ntohs(((struct sockaddr_in6 *)sa)->sin6_port);
    } else {
        evutil_closesocket(fd);
        return;
    }
    char host[INET6_ADDRSTRLEN] = "?";
    evutil_inet_ntop(family, ip, host, sizeof host);
    if (s->nconns >= (size_t)s->max_conns ||
        count_from_ip(s, family, ip) >= (size_t)s->max_conns_per_ip) {
        log_debug(LOG_SERVICES, "refusing %s: connection limit", host);
        evutil_closesocket(fd);
        return;
    }
    /* Responses go out in several writes (TLS records): without TCP_NODELAY Nagle's
     * algorithm and delayed ACKs add tens of milliseconds to a search. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct svc_conn *c = calloc(1, sizeof *c);
    SSL *ssl = c ? SSL_new(s->ctx) : NULL;
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)
            : NULL;
    if (!bev) {
        if (ssl) SSL_free(ssl);
        free(c);
        evutil_closesocket(fd);
        ERR_clear_error();
        log_info("services: cannot set up a connection from %s", host);
        return;
    }
    c->s = s;
    c->bev = bev;
    c->family = family;
    memcpy(c->ip, ip, sizeof ip);
    if (family == AF_INET6)
        snprintf(c->peer, sizeof c->peer, "[%s]:%u", host, port);
    else
        snprintf(c->peer, sizeof c->peer, "%s:%u", host, port);
    frame_decoder_init(&c->dec, FRAME_MAX_SIZE);
    c->slow_timer = evtimer_new(s->base, slow_timer_cb, c);
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;

    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    struct timeval tv = ms_to_tv(s->idle_timeout_ms);
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    if (!c->slow_timer) {
        conn_free(c);
        return;
    }
    update_slow_timer(c);
    log_debug(LOG_SERVICES, "connection from %s", c->peer);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    (void)l;
    (void)arg;
    /* EMFILE and the like: keep listening; the next accept may succeed. */
    log_info("services: accept failed: %s",
             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

struct svc_server *svc_server_new(struct event_base *base, const struct svc_server_config *cfg,
                                  char *err, size_t errlen)
{
    if (!cfg->identity || !cfg->bind || !cfg->cert_dir) {
        snprintf(err, errlen, "server config lacks identity, bind address or cert dir");
        return NULL;
    }
    if ((int)cfg->service < 0 || (int)cfg->service > 255) {
        snprintf(err, errlen, "service type out of range");
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (!parse_addr(cfg->bind, cfg->port, &ss, &sslen)) {
        snprintf(err, errlen, "not a numeric address: %s", cfg->bind);
        return NULL;
    }
    struct svc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->base = base;
    s->identity = cfg->identity;
    s->operator_key = cfg->operator_key;
    s->service = cfg->service;
    s->idle_timeout_ms =
        cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms : SVC_DEFAULT_IDLE_TIMEOUT_MS;
    s->max_conns = cfg->max_conns > 0 ? cfg->max_conns : SVC_DEFAULT_MAX_CONNS;
    s->max_conns_per_ip =
        cfg->max_conns_per_ip > 0 ? cfg->max_conns_per_ip : SVC_DEFAULT_MAX_CONNS_PER_IP;
    s->handler = cfg->handler;
    s->on_close = cfg->on_close;
    s->handler_arg = cfg->handler_arg;
    if (cfg->nroles) {
        s->roles = calloc(cfg->nroles, sizeof *s->roles);
        if (!s->roles) {
            snprintf(err, errlen, "out of memory");
            svc_server_free(s);
            return NULL;
        }
        memcpy(s->roles, cfg->roles, cfg->nroles * sizeof *s->roles);
        s->nroles = cfg->nroles;
    }
    s->ctx = tls_server_ctx_new(cfg->cert_dir, err, errlen);
    if (!s->ctx) {
        svc_server_free(s);
        return NULL;
    }
    s->listener = evconnlistener_new_bind(
        base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        128, (struct sockaddr *)&ss, (int)sslen);
    if (!s->listener) {
        snprintf(err, errlen, "cannot listen on %s port %u: %s", cfg->bind, cfg->port,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        svc_server_free(s);
        return NULL;
    }
    evconnlistener_set_error_cb(s->listener, accept_error_cb);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(evconnlistener_get_fd(s->listener), (struct sockaddr *)&bound, &blen) !=
        0) {
        snprintf(err, errlen, "getsockname failed");
        svc_server_free(s);
        return NULL;
    }
    s->port = bound.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&bound)->sin_port)
                                         : ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    log_info("services: listening on %s port %u", cfg->bind, s->port);
    return s;
}

uint16_t svc_server_port(const struct svc_server *s) { return s->port; }

size_t svc_server_connection_count(const struct svc_server *s) { return s->nconns; }

void svc_server_free(struct svc_server *s)
{
    if (!s) return;
    if (s->listener) evconnlistener_free(s->listener);
    while (s->conns) conn_free(s->conns);
    SSL_CTX_free(s->ctx);
    free(s->roles);
    free(s);
}

/* ---- Client ---- */

struct msg_node {
    Iop__Common__Message *m;
    struct msg_node *next;
};

struct svc_client {
    struct event_base *base;
    SSL_CTX *ctx;
    struct bufferevent *bev;
    struct frame_decoder dec;
    struct msg_node *head, *tail;
    bool connected;
    bool closed;
    char why[160]; /* why it closed */
    int timeout_ms;
    uint32_t next_id;
};

static void client_mark_closed(struct svc_client *cl, const char *why)
{
    if (cl->closed) return;
    cl->closed = true;
    snprintf(cl->why, sizeof cl->why, "%s", why);
    bufferevent_disable(cl->bev, EV_READ | EV_WRITE);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
    struct svc_client *cl = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char err[128];
    while (!cl->closed && evbuffer_get_length(in) > 0) {
        struct evbuffer_iovec v;
        if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0) break;
        size_t used;
        enum frame_status st =
            frame_decoder_feed(&cl->dec, v.iov_base, v.iov_len, &used, err, sizeof err);
        evbuffer_drain(in, used);
        if (st == FRAME_ERROR) {
            client_mark_closed(cl, err);
            break;
        }
        if (st != FRAME_READY) continue;
        size_t len;
        const uint8_t *p = frame_decoder_payload(&cl->dec, &len);
        Iop__Common__Message *m;
        if (!frame_decode_message(p, len, &m, err, sizeof err)) {
            client_mark_closed(cl, "server sent a malformed message");
            break;
        }
        struct msg_node *n = calloc(1, sizeof *n);
        if (!n) {
            iop__common__message__free_unpacked(m, NULL);
            client_mark_closed(cl, "out of memory");
            break;
        }
        n->m = m;
        if (cl->tail)
            cl->tail->next = n;
        else
            cl->head = n;
        cl->tail = n;
    }
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct svc_client *cl = arg;
    if (what & BEV_EVENT_CONNECTED) {
        cl->connected = true;
        return;
    }
    char why[160];
    unsigned long e = ERR_peek_error();
    if (what & BEV_EVENT_EOF)
        snprintf(why, sizeof why, "connection closed");
    else if (e) {
        char buf[120];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(why, sizeof why, "connection closed: %s", buf);
    } else
        snprintf(why, sizeof why, "connection closed: %s",
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    ERR_clear_error();
    client_mark_closed(cl, why);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(bool *)arg = true;
}

/* Runs the loop until done(cl) holds, the connection closes or the timeout passes. */
static bool client_wait(struct svc_client *cl, bool (*done)(const struct svc_client *),
                        char *err, size_t errlen)
{
    bool expired = false;
    struct event *timer = evtimer_new(cl->base, deadline_cb, &expired);
    if (!timer) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    struct timeval tv = ms_to_tv(cl->timeout_ms);
    evtimer_add(timer, &tv);
    while (!done(cl) && !cl->closed && !expired) event_base_loop(cl->base, EVLOOP_ONCE);
    event_free(timer);
    if (done(cl)) return true;
    snprintf(err, errlen, "%s", cl->closed ? cl->why : "timed out");
    return false;
}

static bool client_connected(const struct svc_client *cl) { return cl->connected; }
static bool client_has_message(const struct svc_client *cl) { return cl->head != NULL; }

struct svc_client *svc_client_connect(const char *host, uint16_t port, int timeout_ms,
                                      char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (!parse_addr(host, port, &ss, &sslen)) {
        snprintf(err, errlen, "not a numeric address: %s", host);
        return NULL;
    }
    struct svc_client *cl = calloc(1, sizeof *cl);
    if (!cl) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cl->timeout_ms = timeout_ms > 0 ? timeout_ms : SVC_DEFAULT_IDLE_TIMEOUT_MS;
    cl->next_id = 1;
    frame_decoder_init(&cl->dec, FRAME_MAX_SIZE);
    cl->base = event_base_new();
    if (!cl->base) {
        snprintf(err, errlen, "cannot create an event base");
        goto fail;
    }
    cl->ctx = tls_client_ctx_new(err, errlen);
    if (!cl->ctx) goto fail;
    SSL *ssl = SSL_new(cl->ctx);
    if (!ssl) {
        snprintf(err, errlen, "SSL_new failed");
        goto fail;
    }
    cl->bev = bufferevent_openssl_socket_new(cl->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE);
    if (!cl->bev) {
        SSL_free(ssl);
        snprintf(err, errlen, "cannot create a TLS bufferevent");
        goto fail;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(cl->bev, 1);
    bufferevent_setcb(cl->bev, client_read_cb, NULL, client_event_cb, cl);
    bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(cl->bev, (struct sockaddr *)&ss, (int)sslen) != 0) {
        snprintf(err, errlen, "cannot connect to %s port %u", host, port);
        goto fail;
    }
    {
        int one = 1;
        evutil_socket_t cfd = bufferevent_getfd(cl->bev);
        if (cfd >= 0) setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (!client_wait(cl, client_connected, err, errlen)) goto fail;
    return cl;
fail:
    ERR_clear_error();
    svc_client_free(cl);
    return NULL;
}

bool svc_client_send_raw(struct svc_client *cl, const uint8_t *data, size_t len, char *err,
                         size_t errlen)
{
    if (cl->closed) {
        snprintf(err, errlen, "%s", cl->why);
        return false;
    }
    if (bufferevent_write(cl->bev, data, len) != 0) {
        snprintf(err, errlen, "cannot queue %zu bytes", len);
        return false;
    }
    return true;
}

bool svc_client_receive(struct svc_client *cl, Iop__Common__Message **msg, char *err,
                        size_t errlen)
{
    *msg = NULL;
    if (!client_wait(cl, client_has_message, err, errlen)) return false;
    struct msg_node *n = cl->head;
    cl->head = n->next;
    if (!cl->head) cl->tail = NULL;
    *msg = n->m;
    free(n);
    return true;
}

bool svc_client_call(struct svc_client *cl, const Iop__Common__Request *req,
                     Iop__Common__Message **reply, char *err, size_t errlen)
{
    *reply = NULL;
    Iop__Common__Message m = IOP__COMMON__MESSAGE__INIT;
    m.id = cl->next_id++;
    m.kind_case = IOP__COMMON__MESSAGE__KIND_REQUEST;
    m.request = (Iop__Common__Request *)req;
    uint8_t *buf;
    size_t len;
    if (!frame_encode(&m, &buf, &len, err, errlen)) return false;
    bool sent = svc_client_send_raw(cl, buf, len, err, errlen);
    free(buf);
    if (!sent) return false;
    Iop__Common__Message *r;
    if (!svc_client_receive(cl, &r, err, errlen)) return false;
    if (r->kind_case != IOP__COMMON__MESSAGE__KIND_RESPONSE || r->id != m.id) {
        /* A protocol violation report carries id 0; pass its details on. */
        if (r->kind_case == IOP__COMMON__MESSAGE__KIND_RESPONSE)
            snprintf(err, errlen, "response to id %u instead of %u: %s %s", r->id, m.id,
                     frame_status_code_name(r->response->status), r->response->details);
        else
            snprintf(err, errlen, "server sent a request instead of a response");
        iop__common__message__free_unpacked(r, NULL);
        return false;
    }
    *reply = r;
    return true;
}

bool svc_client_exporter(struct svc_client *cl, uint8_t out[32])
{
    return tls_conversation_exporter(bufferevent_openssl_get_ssl(cl->bev), out);
}

bool svc_client_server_cert_sha256(struct svc_client *cl, uint8_t out[32])
{
    return tls_peer_cert_sha256(bufferevent_openssl_get_ssl(cl->bev), out);
}

/* Checks the status of a reply; false with the status named in err. */
static bool reply_ok(const Iop__Common__Message *r, const char *step, char *err, size_t errlen)
{
    if (r->response->status == IOP__COMMON__STATUS__OK) return true;
    snprintf(err, errlen, "%s: %s %s", step, frame_status_code_name(r->response->status),
             r->response->details ? r->response->details : "");
    return false;
}

bool svc_client_handshake(struct svc_client *cl, const struct identity_key *k,
                          uint8_t server_key[IDENTITY_PUBKEY_SIZE], char *err, size_t errlen)
{
    uint8_t pk[IDENTITY_PUBKEY_SIZE], challenge[IDENTITY_CHALLENGE_SIZE];
    uint8_t exporter[IDENTITY_EXPORTER_SIZE], sig[IDENTITY_SIGNATURE_SIZE];
    if (!svc_client_exporter(cl, exporter) || !random_bytes(challenge, sizeof challenge)) {
        snprintf(err, errlen, "no TLS exporter or no randomness");
        return false;
    }
    identity_key_public(k, pk);

    Iop__Common__Version v = IOP__COMMON__VERSION__INIT;
    v.major = SVC_VERSION_MAJOR;
    v.minor = SVC_VERSION_MINOR;
    v.patch = SVC_VERSION_PATCH;
    Iop__Common__Version *versions[1] = {&v};
    Iop__Common__StartConversationRequest sc = IOP__COMMON__START_CONVERSATION_REQUEST__INIT;
    sc.n_supported_versions = 1;
    sc.supported_versions = versions;
    sc.public_key.data = pk;
    sc.public_key.len = sizeof pk;
    sc.client_challenge.data = challenge;
    sc.client_challenge.len = sizeof challenge;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_START_CONVERSATION;
    req.start_conversation = &sc;
    Iop__Common__Message *r;
    if (!svc_client_call(cl, &req, &r, err, errlen)) return false;
    if (!reply_ok(r, "StartConversation", err, errlen)) goto fail;
    const Iop__Common__StartConversationResponse *scr = r->response->start_conversation;
    if (r->response->kind_case != IOP__COMMON__RESPONSE__KIND_START_CONVERSATION || !scr ||
        !bytes_field_is(&scr->public_key, IDENTITY_PUBKEY_SIZE) ||
        !bytes_field_is(&scr->server_challenge, IDENTITY_CHALLENGE_SIZE) ||
        !bytes_field_is(&scr->signature, IDENTITY_SIGNATURE_SIZE) || !scr->version ||
        scr->version->major != SVC_VERSION_MAJOR) {
        snprintf(err, errlen, "StartConversation: malformed response");
        goto fail;
    }
    if (!bytes_field_is(&scr->client_challenge, IDENTITY_CHALLENGE_SIZE) ||
        memcmp(scr->client_challenge.data, challenge, sizeof challenge) != 0) {
        snprintf(err, errlen, "StartConversation: the server echoed another challenge");
        goto fail;
    }
    if (!identity_verify_conversation(scr->public_key.data, scr->signature.data, challenge,
                                      exporter)) {
        snprintf(err, errlen, "StartConversation: the server's signature is invalid");
        goto fail;
    }
    memcpy(server_key, scr->public_key.data, IDENTITY_PUBKEY_SIZE);
    if (!identity_sign_conversation(k, sig, scr->server_challenge.data, exporter)) {
        snprintf(err, errlen, "cannot sign the server challenge");
        goto fail;
    }
    iop__common__message__free_unpacked(r, NULL);

    Iop__Common__VerifyIdentityRequest vi = IOP__COMMON__VERIFY_IDENTITY_REQUEST__INIT;
    vi.signature.data = sig;
    vi.signature.len = sizeof sig;
    Iop__Common__Request req2 = IOP__COMMON__REQUEST__INIT;
    req2.kind_case = IOP__COMMON__REQUEST__KIND_VERIFY_IDENTITY;
    req2.verify_identity = &vi;
    if (!svc_client_call(cl, &req2, &r, err, errlen)) return false;
    bool ok = reply_ok(r, "VerifyIdentity", err, errlen);
    iop__common__message__free_unpacked(r, NULL);
    return ok;
fail:
    iop__common__message__free_unpacked(r, NULL);
    return false;
}

void svc_client_free(struct svc_client *cl)
{
    if (!cl) return;
    while (cl->head) {
        struct msg_node *n = cl->head;
        cl->head = n->next;
        iop__common__message__free_unpacked(n->m, NULL);
        free(n);
    }
    frame_decoder_clear(&cl->dec);
    if (cl->bev) bufferevent_free(cl->bev);
    SSL_CTX_free(cl->ctx);
    if (cl->base) event_base_free(cl->base);
    free(cl);
}
