/* The HTTP side of the RPC server (see server.h).
 *
 * Threads: one runs the libevent loop and does only cheap work (allow-list, routing,
 * copying the body, queueing); rpcthreads workers pop requests, check authentication
 * (sleeping 250 ms after a wrong password, as Core does, without stalling the loop),
 * dispatch, and hand the finished reply back to the loop with event_base_once, because
 * evhttp objects may only be touched from the loop thread. Shutdown: stop accepting,
 * drain the queue, wait for the replies to be written, then free evhttp in its own
 * thread and leave the loop. */
#include "rpc/server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/log.h"
#include "util/timeutil.h"

struct work_item {
    struct evhttp_request *req;
    enum evhttp_cmd_type method;
    char *body;
    size_t body_len;
    char *auth;   /* Authorization header or NULL */
    char *wallet; /* decoded /wallet/<name>, or NULL */
    char peer[64];
    struct work_item *next;
};

struct reply_item {
    struct rpc_server *s;
    struct evhttp_request *req;
    int status;
    char *body;
    bool json;
    bool www_auth;
};

struct rpc_server {
    struct rpc_dispatcher *d;
    const struct rpc_auth *auth;
    struct event_base *base;
    struct evhttp *http;
    pthread_t loop_thread;
    bool loop_started;
    pthread_t *workers;
    int nworkers;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    struct work_item *head, *tail;
    int queued, max_queue;
    bool stopping;
    atomic_int in_flight;
    struct rpc_subnet *allow;
    size_t nallow;
    bool allow_loopback;
    struct evhttp_bound_socket **bound;
    size_t nbound;
};

static void item_free(struct work_item *w)
{
    if (!w) return;
    free(w->body);
    free(w->auth);
    free(w->wallet);
    free(w);
}

static void on_complete(struct evhttp_request *req, void *arg)
{
    (void)req;
    struct rpc_server *s = arg;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* Runs in the loop thread. */
static void send_reply_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct reply_item *r = arg;
    struct evhttp_request *req = r->req;
    if (!evhttp_request_get_connection(req)) {
        /* The client went away; libevent frees the request and won't call on_complete. */
        atomic_fetch_sub(&r->s->in_flight, 1);
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (r->json) evhttp_add_header(h, "Content-Type", "application/json");
    if (r->www_auth) evhttp_add_header(h, "WWW-Authenticate", "Basic realm=\"jsonrpc\"");
    struct evbuffer *buf = evbuffer_new();
    if (buf && r->body) evbuffer_add(buf, r->body, strlen(r->body));
    const char *reason = r->status == 200   ? "OK"
                         : r->status == 204 ? "No Content"
                         : r->status == 400 ? "Bad Request"
                         : r->status == 401 ? "Unauthorized"
                         : r->status == 403 ? "Forbidden"
                         : r->status == 404 ? "Not Found"
                         : r->status == 405 ? "Method Not Allowed"
                         : r->status == 503 ? "Service Unavailable"
                                            : "Internal Server Error";
    evhttp_send_reply(req, r->status, reason, buf);
    if (buf) evbuffer_free(buf);
    free(r->body);
    free(r);
}

/* Hands a reply to the loop thread (or sends it directly when already on it). */
static void queue_reply(struct rpc_server *s, struct evhttp_request *req, int status,
                        char *body, bool json, bool www_auth, bool on_loop)
{
    struct reply_item *r = calloc(1, sizeof *r);
    if (!r) {
        free(body);
        return; /* the connection times out; nothing better to do without memory */
    }
    r->s = s;
    r->req = req;
    r->status = status;
    r->body = body;
    r->json = json;
    r->www_auth = www_auth;
    if (on_loop)
        send_reply_cb(-1, 0, r);
    else if (event_base_once(s->base, -1, EV_TIMEOUT, send_reply_cb, r, NULL) != 0) {
        free(r->body);
        free(r);
    }
}

static bool client_allowed(const struct rpc_server *s, struct evhttp_connection *conn)
{
    const struct sockaddr *sa = evhttp_connection_get_addr(conn);
    if (!sa) return false;
    int family;
    uint8_t addr[16];
    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        family = AF_INET6;
        memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else {
        return false;
    }
    if (s->allow_loopback) {
        struct rpc_subnet lo4, lo6;
        if (rpc_subnet_parse("127.0.0.0/8", &lo4) && rpc_subnet_match(&lo4, family, addr))
            return true;
        if (rpc_subnet_parse("::1", &lo6) && rpc_subnet_match(&lo6, family, addr)) return true;
    }
    for (size_t i = 0; i < s->nallow; i++)
        if (rpc_subnet_match(&s->allow[i], family, addr)) return true;
    return false;
}

/* The loop thread's request callback. */
static void http_request_cb(struct evhttp_request *req, void *arg)
{
    struct rpc_server *s = arg;
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    char *peer_host = NULL;
    ev_uint16_t peer_port = 0;
    evhttp_connection_get_peer(conn, &peer_host, &peer_port);
    atomic_fetch_add(&s->in_flight, 1);
    evhttp_request_set_on_complete_cb(req, on_complete, s);

    if (!client_allowed(s, conn)) {
        log_debug(LOG_HTTP,
                  "HTTP request from %s rejected: Client network is not allowed RPC "
                  "access",
                  peer_host ? peer_host : "?");
        queue_reply(s, req, 403, NULL, false, false, true);
        return;
    }
    const char *uri = evhttp_request_get_uri(req);
    log_debug(LOG_HTTP, "Received a %s request for %s from %s",
              evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "non-POST",
              uri ? uri : "", peer_host ? peer_host : "?");
    char *wallet = NULL;
    if (!uri) {
        queue_reply(s, req, 404, NULL, false, false, true);
        return;
    }
    if (strcmp(uri, "/") != 0) {
        if (strncmp(uri, "/wallet/", 8) != 0) {
            queue_reply(s, req, 404, NULL, false, false, true);
            return;
        }
        wallet = evhttp_uridecode(uri + 8, 0, NULL);
        if (!wallet) {
            queue_reply(s, req, 404, NULL, false, false, true);
            return;
        }
    }
    struct work_item *w = calloc(1, sizeof *w);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = in ? evbuffer_get_length(in) : 0;
    if (w) w->body = malloc(len + 1);
    if (!w || !w->body) {
        free(wallet);
        item_free(w);
        queue_reply(s, req, 500, NULL, false, false, true);
        return;
    }
    if (len) evbuffer_copyout(in, w->body, len);
    w->body[len] = '\0';
    w->body_len = len;
    w->req = req;
    w->method = evhttp_request_get_command(req);
    w->wallet = wallet;
    const char *auth =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    w->auth = auth ? strdup(auth) : NULL;
    snprintf(w->peer, sizeof w->peer, "%s:%u", peer_host ? peer_host : "?", peer_port);

    pthread_mutex_lock(&s->mutex);
    bool full = s->queued >= s->max_queue || s->stopping;
    if (!full) {
        if (s->tail)
            s->tail->next = w;
        else
            s->head = w;
        s->tail = w;
        s->queued++;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->mutex);
    if (full) {
        log_info("WARNING: request rejected because http work queue depth exceeded, it can "
                 "be increased with the -rpcworkqueue= setting");
        item_free(w);
        queue_reply(s, req, 503, strdup("Work queue depth exceeded"), false, false, true);
    }
}

static void handle_item(struct rpc_server *s, struct work_item *w)
{
    if (w->method != EVHTTP_REQ_POST) {
        queue_reply(s, w->req, 405, strdup("JSONRPC server handles only POST requests"), false,
                    false, false);
        return;
    }
    if (!w->auth) {
        queue_reply(s, w->req, 401, NULL, false, true, false);
        return;
    }
    char user[256];
    if (!rpc_auth_check_header(s->auth, w->auth, user, sizeof user)) {
        log_info("ThreadRPCServer incorrect password attempt from %s", w->peer);
        /* Deter brute-forcing; this thread sleeps, the loop keeps serving. */
        time_sleep_ms(250);
        queue_reply(s, w->req, 401, NULL, false, true, false);
        return;
    }
    struct rpc_reply r;
    rpc_dispatch_body(s->d, w->body, w->body_len, w->wallet, &r);
    queue_reply(s, w->req, r.http_status, r.body, r.body != NULL, false, false);
}

static void *worker_main(void *arg)
{
    struct rpc_server *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->mutex);
        while (!s->head && !s->stopping) pthread_cond_wait(&s->cond, &s->mutex);
        struct work_item *w = s->head;
        if (w) {
            s->head = w->next;
            if (!s->head) s->tail = NULL;
            s->queued--;
        }
        pthread_mutex_unlock(&s->mutex);
        if (!w) break; /* stopping and drained */
        handle_item(s, w);
        item_free(w);
    }
    return NULL;
}

static void *loop_main(void *arg)
{
    struct rpc_server *s = arg;
    event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void libevent_log_cb(int severity, const char *msg)
{
    if (severity >= EVENT_LOG_WARN)
        log_info("libevent: %s", msg);
    else
        log_debug(LOG_LIBEVENT, "libevent: %s", msg);
}

/* Splits "host", "host:port", "[v6]" or "[v6]:port". */
static bool split_host_port(const char *in, uint16_t def_port, char *host, size_t hostlen,
                            uint16_t *port)
{
    *port = def_port;
    const char *colon = NULL;
    if (in[0] == '[') {
        const char *close = strchr(in, ']');
        if (!close || (size_t)(close - in - 1) >= hostlen) return false;
        memcpy(host, in + 1, (size_t)(close - in - 1));
        host[close - in - 1] = '\0';
        if (close[1] == ':')
            colon = close + 1;
        else if (close[1] != '\0')
            return false;
    } else {
        colon = strchr(in, ':');
        if (colon && strchr(colon + 1, ':')) colon = NULL; /* bare IPv6 */
        size_t hl = colon ? (size_t)(colon - in) : strlen(in);
        if (hl >= hostlen) return false;
        memcpy(host, in, hl);
        host[hl] = '\0';
    }
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end != '\0' || p <= 0 || p > 65535) return false;
        *port = (uint16_t)p;
    }
    return host[0] != '\0';
}

static bool threading_ready;

struct rpc_server *rpc_server_start(struct rpc_dispatcher *d, const struct rpc_auth *auth,
                                    const struct rpc_server_config *cfg, char *err,
                                    size_t errlen)
{
    if (!threading_ready) {
        if (evthread_use_pthreads() != 0) {
            snprintf(err, errlen, "libevent threading could not be enabled");
            return NULL;
        }
        event_set_log_callback(libevent_log_cb);
        threading_ready = true;
    }
    struct rpc_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->d = d;
    s->auth = auth;
    s->max_queue = cfg->workqueue > 0 ? cfg->workqueue : 1;
    s->allow_loopback = cfg->allow_loopback;
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (cfg->nallow) {
        s->allow = malloc(cfg->nallow * sizeof *s->allow);
        if (!s->allow) goto fail_mem;
        memcpy(s->allow, cfg->allow, cfg->nallow * sizeof *s->allow);
        s->nallow = cfg->nallow;
    }
    s->base = event_base_new();
    if (!s->base) goto fail_mem;
    s->http = evhttp_new(s->base);
    if (!s->http) goto fail_mem;
    evhttp_set_timeout(s->http, cfg->timeout > 0 ? cfg->timeout : 30);
    evhttp_set_max_headers_size(s->http, 8192);
    evhttp_set_max_body_size(s->http, RPC_MAX_BODY_SIZE);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_gencb(s->http, http_request_cb, s);

    static const char *const loopback[] = {"::1", "127.0.0.1"};
    const char *const *addrs = cfg->nbind ? cfg->bind : loopback;
    size_t naddrs = cfg->nbind ? cfg->nbind : 2;
    s->bound = calloc(naddrs, sizeof *s->bound);
    if (!s->bound) goto fail_mem;
    for (size_t i = 0; i < naddrs; i++) {
        char host[256];
        uint16_t port;
        if (!split_host_port(addrs[i], cfg->port, host, sizeof host, &port)) {
            snprintf(err, errlen, "Invalid -rpcbind address '%s'", addrs[i]);
            goto fail;
        }
        struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(s->http, host, port);
        if (b) {
            s->bound[s->nbound++] = b;
            log_info("Binding RPC on address %s port %u", host, port);
        } else {
            log_info("Binding RPC on address %s port %u failed.", host, port);
        }
    }
    if (s->nbound == 0) {
        snprintf(err, errlen, "Unable to bind any endpoint for RPC server (port %u)",
                 cfg->port);
        goto fail;
    }
    if (pthread_create(&s->loop_thread, NULL, loop_main, s) != 0) {
        snprintf(err, errlen, "cannot start the HTTP thread");
        goto fail;
    }
    s->loop_started = true;
    int nthreads = cfg->threads > 0 ? cfg->threads : 1;
    s->workers = calloc((size_t)nthreads, sizeof *s->workers);
    if (!s->workers) goto fail_mem;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0) break;
        s->nworkers++;
    }
    if (s->nworkers == 0) {
        snprintf(err, errlen, "cannot start RPC worker threads");
        goto fail;
    }
    log_info("HTTP: started %d worker threads, work queue %d", s->nworkers, s->max_queue);
    return s;

fail_mem:
    snprintf(err, errlen, "out of memory starting the RPC server");
fail:
    rpc_server_stop(s);
    return NULL;
}

static void free_http_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rpc_server *s = arg;
    if (s->http) evhttp_free(s->http);
    s->http = NULL;
    event_base_loopbreak(s->base);
}

static void unbind_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct rpc_server *s = arg;
    for (size_t i = 0; i < s->nbound; i++) evhttp_del_accept_socket(s->http, s->bound[i]);
    s->nbound = 0;
}

void rpc_server_stop(struct rpc_server *s)
{
    if (!s) return;
    log_debug(LOG_HTTP, "Stopping HTTP server");
    if (s->loop_started && s->http)
        event_base_once(s->base, -1, EV_TIMEOUT, unbind_cb, s, NULL);
    pthread_mutex_lock(&s->mutex);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mutex);
    for (int i = 0; i < s->nworkers; i++) pthread_join(s->workers[i], NULL);
    if (s->loop_started) {
        /* Let the last replies (e.g. to "stop") reach their clients. */
        for (int i = 0; i < 500 && atomic_load(&s->in_flight) > 0; i++) time_sleep_ms(10);
        event_base_once(s->base, -1, EV_TIMEOUT, free_http_cb, s, NULL);
        pthread_join(s->loop_thread, NULL);
    }
    if (s->http) evhttp_free(s->http);
    if (s->base) event_base_free(s->base);
    for (struct work_item *w = s->head, *n; w; w = n) {
        n = w->next;
        item_free(w);
    }
    pthread_mutex_destroy(&s->mutex);
    pthread_cond_destroy(&s->cond);
    free(s->workers);
    free(s->bound);
    free(s->allow);
    free(s);
}
