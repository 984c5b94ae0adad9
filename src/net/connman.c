/* The connection manager (see connman.h): sockets, framing, limits, outbound choice,
 * inbound eviction, and the commands RPC threads queue for the net thread. */
#define _GNU_SOURCE
#include "net/connman.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_processing.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"

#define CONNECT_TIMEOUT_US   (5 * 1000000LL) /* Core's nConnectTimeout */
#define TICK_US              100000          /* the housekeeping timer */
#define ADDNODE_RETRY_US     (60 * 1000000LL)
#define OUTBOUND_INTERVAL_US (500000LL)
#define ADDR_FETCH_TIMEOUT   (2 * 60)
#define DUMP_INTERVAL_US     (15 * 60 * 1000000LL)
#define MAX_LISTENERS        16
#define MAX_MESSAGES_PER_READ 256

struct listener {
    struct connman *cm;
    struct evconnlistener *ev;
    struct net_addr addr;
    uint32_t perms; /* -whitebind permissions, 0 for -bind */
};

struct whitelist_entry {
    struct net_subnet subnet;
    uint32_t perms;
};

struct added_node {
    char *addr;
    int64_t last_try; /* mono µs */
};

struct connman {
    struct connman_options opt;
    struct node_context *node;
    const struct chain_params *params;
    struct event_base *base;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    struct listener listeners[MAX_LISTENERS];
    size_t nlisteners;
    struct whitelist_entry *whitelist;
    size_t nwhitelist;
    struct added_node *added; /* -addnode and addnode "add" */
    size_t nadded, added_cap;
    const char **added_view; /* for connman_added_nodes */
    struct added_node *connect; /* -connect */
    size_t nconnect;
    char **onetry; /* queued addnode "onetry" */
    size_t nonetry;
    bool seeds_done;
    struct peer *peers;
    int64_t next_id;
    size_t npeers;
    struct addrman *addrman;
    struct banman *banman;
    char peers_path[4096];
    char banlist_path[4096];
    volatile bool network_active;
    uint64_t total_recv, total_sent;
    struct event *tick_ev;
    struct event *wake_ev;
    int64_t next_outbound; /* mono µs */
    int64_t next_dump;     /* mono µs */
    bool ping_all;
    struct net_processing *np;
    uint64_t services;
    bool stopping;
};

/* ---- Small helpers ---- */

const char *conn_type_name(enum conn_type t)
{
    switch (t) {
    case CONN_INBOUND: return "inbound";
    case CONN_OUTBOUND_FULL_RELAY: return "outbound-full-relay";
    case CONN_MANUAL: return "manual";
    case CONN_FEELER: return "feeler";
    case CONN_BLOCK_RELAY: return "block-relay-only";
    case CONN_ADDR_FETCH: return "addr-fetch";
    }
    return "unknown";
}

static const struct {
    const char *name;
    uint32_t flags;
} perm_names[] = {
    {"bloomfilter", NET_PERM_BLOOMFILTER}, {"noban", NET_PERM_NOBAN},
    {"forcerelay", NET_PERM_FORCERELAY},   {"relay", NET_PERM_RELAY},
    {"mempool", NET_PERM_MEMPOOL},         {"download", NET_PERM_DOWNLOAD},
    {"addr", NET_PERM_ADDR},
};

const char *net_permissions_parse(const char *s, uint32_t *out, char *err, size_t errlen)
{
    const char *at = strchr(s, '@');
    if (!at) {
        /* Core's implicit set for a bare -whitelist/-whitebind. */
        *out = NET_PERM_IMPLICIT | NET_PERM_RELAY | NET_PERM_NOBAN | NET_PERM_MEMPOOL |
               NET_PERM_DOWNLOAD;
        return s;
    }
    uint32_t flags = 0;
    const char *p = s;
    while (p < at) {
        const char *e = memchr(p, ',', (size_t)(at - p));
        if (!e) e = at;
        size_t len = (size_t)(e - p);
        bool found = false;
        for (size_t i = 0; i < sizeof perm_names / sizeof perm_names[0]; i++) {
            if (strlen(perm_names[i].name) == len && memcmp(perm_names[i].name, p, len) == 0) {
                flags |= perm_names[i].flags;
                found = true;
            }
        }
        if (!found && len > 0) {
            snprintf(err, errlen, "Invalid P2P permission: '%.*s'", (int)len, p);
            return NULL;
        }
        p = e + 1;
    }
    *out = flags;
    return at + 1;
}

size_t net_permissions_names(uint32_t perms, const char *names[8])
{
    size_t n = 0;
    if ((perms & NET_PERM_BLOOMFILTER) == NET_PERM_BLOOMFILTER) names[n++] = "bloomfilter";
    if ((perms & NET_PERM_NOBAN) == NET_PERM_NOBAN) names[n++] = "noban";
    if ((perms & NET_PERM_FORCERELAY) == NET_PERM_FORCERELAY) names[n++] = "forcerelay";
    if ((perms & NET_PERM_RELAY) == NET_PERM_RELAY) names[n++] = "relay";
    if ((perms & NET_PERM_MEMPOOL) == NET_PERM_MEMPOOL) names[n++] = "mempool";
    if ((perms & NET_PERM_DOWNLOAD) == NET_PERM_DOWNLOAD) names[n++] = "download";
    if ((perms & NET_PERM_ADDR) == NET_PERM_ADDR) names[n++] = "addr";
    return n;
}

int64_t connman_now(struct connman *cm)
{
    (void)cm;
    return time_now();
}

pthread_mutex_t *connman_lock(struct connman *cm) { return &cm->lock; }
struct peer *connman_peers(struct connman *cm) { return cm->peers; }
struct node_context *connman_node(struct connman *cm) { return cm->node; }
struct banman *connman_banman(struct connman *cm) { return cm->banman; }
struct addrman *connman_addrman(struct connman *cm) { return cm->addrman; }
const struct chain_params *connman_params(struct connman *cm) { return cm->params; }
uint64_t connman_local_services(struct connman *cm) { return cm->services; }
void *connman_processing(struct connman *cm) { return cm->np; }
const char *connman_user_agent(struct connman *cm) { return cm->opt.user_agent; }
int connman_max_connections(struct connman *cm) { return cm->opt.max_connections; }
int64_t connman_bantime(struct connman *cm)
{
    return cm->opt.bantime > 0 ? cm->opt.bantime : BANMAN_DEFAULT_BANTIME;
}
bool connman_network_active(struct connman *cm) { return cm->network_active; }

void connman_totals(struct connman *cm, uint64_t *recv, uint64_t *sent)
{
    pthread_mutex_lock(&cm->lock);
    *recv = cm->total_recv;
    *sent = cm->total_sent;
    pthread_mutex_unlock(&cm->lock);
}

size_t connman_count(struct connman *cm, int direction)
{
    size_t n = 0;
    pthread_mutex_lock(&cm->lock);
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->disconnect || !p->connected) continue;
        bool in = p->type == CONN_INBOUND;
        if (direction == 0 || (direction == 1 && in) || (direction == 2 && !in)) n++;
    }
    pthread_mutex_unlock(&cm->lock);
    return n;
}

size_t connman_listen_addrs(struct connman *cm, struct net_addr *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < cm->nlisteners && n < max; i++) out[n++] = cm->listeners[i].addr;
    return n;
}

static void wake(struct connman *cm)
{
    if (cm->wake_ev) event_active(cm->wake_ev, EV_READ, 0);
}

struct peer *connman_find_peer(struct connman *cm, int64_t id)
{
    for (struct peer *p = cm->peers; p; p = p->next)
        if (p->id == id) return p;
    return NULL;
}

/* ---- Sending ---- */

static void count_stat(struct net_msg_stat *stats, size_t *n, const char *command, uint64_t bytes)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(stats[i].command, command) == 0) {
            stats[i].bytes += bytes;
            return;
        }
    }
    const char *name = command;
    if (*n == NET_MSG_STATS - 1) name = "*other*";
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(stats[i].command, name) == 0) {
            stats[i].bytes += bytes;
            return;
        }
    }
    if (*n >= NET_MSG_STATS) return;
    snprintf(stats[*n].command, sizeof stats[*n].command, "%s", name);
    stats[*n].bytes = bytes;
    (*n)++;
}

void connman_send(struct peer *p, const char *command, const uint8_t *payload, size_t len)
{
    if (p->disconnect || !p->bev) return;
    uint8_t hdr[NET_HEADER_SIZE];
    net_header_encode(hdr, p->cm->params->magic, command, payload, len);
    struct evbuffer *out = bufferevent_get_output(p->bev);
    if (evbuffer_add(out, hdr, sizeof hdr) != 0 || (len && evbuffer_add(out, payload, len) != 0)) {
        connman_mark_disconnect(p, "out of memory queueing a message");
        return;
    }
    p->bytes_sent += NET_HEADER_SIZE + len;
    p->cm->total_sent += NET_HEADER_SIZE + len;
    p->last_send = time_now();
    count_stat(p->sent_stats, &p->nsent_stats, command, NET_HEADER_SIZE + len);
    log_debug(LOG_NET, "sending %s (%zu bytes) peer=%" PRId64, command, len, p->id);
}

void connman_send_writer(struct peer *p, const char *command, struct writer *w)
{
    if (w->failed)
        connman_mark_disconnect(p, "out of memory building a message");
    else
        connman_send(p, command, w->data, w->len);
    writer_free(w);
}

size_t connman_send_queued(const struct peer *p)
{
    return p->bev ? evbuffer_get_length(bufferevent_get_output(p->bev)) : 0;
}

bool connman_send_full(const struct peer *p)
{
    return connman_send_queued(p) >= p->cm->opt.max_send_buffer;
}

void connman_mark_disconnect(struct peer *p, const char *why)
{
    if (!p->disconnect)
        log_debug(LOG_NET, "disconnecting peer=%" PRId64 " (%s): %s", p->id, p->addr_name, why);
    p->disconnect = true;
}

void connman_misbehaving(struct peer *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->misbehaving_reason, sizeof p->misbehaving_reason, "%s", msg);
    if (p->type == CONN_MANUAL) {
        /* Core never disconnects or discourages peers the operator connected by hand. */
        log_info("Misbehaving: peer=%" PRId64 " (%s): %s (manual connection: not punished)",
                 p->id, p->addr_name, msg);
        return;
    }
    if ((p->perms & NET_PERM_NOBAN) == NET_PERM_NOBAN) {
        log_info("Misbehaving: peer=%" PRId64 " (%s): %s (noban permission: not discouraged)",
                 p->id, p->addr_name, msg);
        return;
    }
    log_info("Misbehaving: peer=%" PRId64 " (%s): %s; discouraging and disconnecting", p->id,
             p->addr_name, msg);
    p->should_discourage = true;
    banman_discourage(p->cm->banman, &p->addr);
    p->disconnect = true;
}

uint64_t connman_local_nonce(struct connman *cm, const struct peer *p)
{
    (void)cm;
    return p->local_nonce;
}

bool connman_is_local_nonce(struct connman *cm, uint64_t nonce)
{
    for (struct peer *p = cm->peers; p; p = p->next)
        if (!p->handshake_done && p->type != CONN_INBOUND && p->local_nonce == nonce) return true;
    return false;
}

/* ---- Peer lifetime ---- */

static void read_cb(struct bufferevent *bev, void *arg);
static void process_input(struct peer *p);
static void write_cb(struct bufferevent *bev, void *arg);
static void event_cb(struct bufferevent *bev, short what, void *arg);

static struct peer *peer_new(struct connman *cm, struct bufferevent *bev, const struct net_addr *a,
                             enum conn_type type)
{
    struct peer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->id = cm->next_id++;
    p->cm = cm;
    p->bev = bev;
    p->addr = *a;
    net_addr_format(a, true, p->addr_name, sizeof p->addr_name);
    p->type = type;
    p->connected_time = time_now();
    p->open_time = time_mono_micros();
    p->last_ping_us = p->min_ping_us = -1;
    p->relay_txs = type != CONN_BLOCK_RELAY;
    if (!random_bytes(&p->local_nonce, sizeof p->local_nonce)) p->local_nonce = (uint64_t)p->id;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, p);
    size_t hw = cm->opt.max_receive_buffer;
    if (hw < NET_HEADER_SIZE + NET_MAX_MESSAGE_LENGTH + 1) hw = NET_HEADER_SIZE + NET_MAX_MESSAGE_LENGTH + 1;
    bufferevent_setwatermark(bev, EV_READ, 0, hw);
    bufferevent_setwatermark(bev, EV_WRITE, cm->opt.max_send_buffer / 2, 0);
    p->next = cm->peers;
    cm->peers = p;
    cm->npeers++;
    return p;
}

static void peer_free(struct connman *cm, struct peer *p)
{
    netproc_peer_disconnected(cm->np, p);
    if (p->bev) bufferevent_free(p->bev);
    cm->npeers--;
    free(p);
}

/* Frees every peer marked for disconnection. Called at the end of each callback. */
static void reap(struct connman *cm)
{
    struct peer **pp = &cm->peers;
    while (*pp) {
        struct peer *p = *pp;
        if (p->disconnect) {
            *pp = p->next;
            log_debug(LOG_NET, "disconnected peer=%" PRId64 " (%s)", p->id, p->addr_name);
            if (p->type != CONN_INBOUND && p->handshake_done)
                addrman_connected(cm->addrman, &p->addr, time_now());
            peer_free(cm, p);
        } else {
            pp = &p->next;
        }
    }
}

/* ---- Receiving ---- */

/* Frames and processes what the input buffer holds. */
static void process_input(struct peer *p)
{
    struct connman *cm = p->cm;
    struct evbuffer *in = bufferevent_get_input(p->bev);
    for (int n = 0; n < MAX_MESSAGES_PER_READ && !p->disconnect; n++) {
        if (connman_send_full(p) || netproc_busy(p)) {
            /* Let our replies drain before reading more (Core's fPauseSend). */
            p->paused = true;
            bufferevent_disable(p->bev, EV_READ);
            return;
        }
        size_t avail = evbuffer_get_length(in);
        if (!p->have_header) {
            if (avail < NET_HEADER_SIZE) return;
            uint8_t raw[NET_HEADER_SIZE];
            if (evbuffer_copyout(in, raw, sizeof raw) != (ev_ssize_t)sizeof raw) return;
            enum net_header_result r = net_header_decode(raw, cm->params->magic, &p->hdr);
            if (r == NET_HEADER_BAD_MAGIC) {
                log_info("Header error: Wrong MessageStart %02x%02x%02x%02x received, "
                         "disconnecting peer=%" PRId64,
                         raw[0], raw[1], raw[2], raw[3], p->id);
                p->disconnect = true;
                return;
            }
            if (r == NET_HEADER_OVERSIZED) {
                log_info("Header error: Size too large (%s, %" PRIu32 " bytes), disconnecting "
                         "peer=%" PRId64,
                         p->hdr.command, p->hdr.length, p->id);
                p->disconnect = true;
                return;
            }
            if (r != NET_HEADER_OK) {
                log_info("Header error: Unable to decode the message header, disconnecting "
                         "peer=%" PRId64,
                         p->id);
                p->disconnect = true;
                return;
            }
            p->have_header = true;
        }
        size_t total = NET_HEADER_SIZE + (size_t)p->hdr.length;
        if (avail < total) return;
        const uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)total);
        if (!buf) {
            connman_mark_disconnect(p, "out of memory reading a message");
            return;
        }
        const uint8_t *payload = buf + NET_HEADER_SIZE;
        p->have_header = false;
        p->bytes_recv += total;
        cm->total_recv += total;
        p->last_recv = time_now();
        count_stat(p->recv_stats, &p->nrecv_stats, p->hdr.command, total);
        if (!net_checksum_ok(&p->hdr, payload, p->hdr.length)) {
            log_info("Header error: CHECKSUM ERROR (%s, %" PRIu32 " bytes), disconnecting "
                     "peer=%" PRId64,
                     p->hdr.command, p->hdr.length, p->id);
            p->disconnect = true;
            return;
        }
        log_debug(LOG_NET, "received: %s (%" PRIu32 " bytes) peer=%" PRId64, p->hdr.command,
                  p->hdr.length, p->id);
        netproc_message(cm->np, p, p->hdr.command, payload, p->hdr.length);
        evbuffer_drain(in, total);
    }
}

void connman_resume(struct peer *p)
{
    if (!p->paused || p->disconnect || connman_send_full(p) || netproc_busy(p)) return;
    p->paused = false;
    bufferevent_enable(p->bev, EV_READ);
    process_input(p);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    struct connman *cm = p->cm;
    pthread_mutex_lock(&cm->lock);
    if (!p->paused) process_input(p);
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    struct connman *cm = p->cm;
    pthread_mutex_lock(&cm->lock);
    netproc_drain(cm->np, p);
    connman_resume(p);
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct peer *p = arg;
    struct connman *cm = p->cm;
    pthread_mutex_lock(&cm->lock);
    if (what & BEV_EVENT_CONNECTED) {
        p->connected = true;
        int one = 1;
        setsockopt(bufferevent_getfd(p->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(bufferevent_getfd(p->bev), (struct sockaddr *)&ss, &sl) == 0 &&
            !net_addr_from_sockaddr((struct sockaddr *)&ss, sl, &p->local))
            memset(&p->local, 0, sizeof p->local);
        log_debug(LOG_NET, "connected to %s peer=%" PRId64, p->addr_name, p->id);
        netproc_peer_connected(cm->np, p);
    } else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        if (!p->connected) {
            log_debug(LOG_NET, "connection to %s failed: %s", p->addr_name,
                      evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
            if (p->type != CONN_INBOUND) addrman_attempt(cm->addrman, &p->addr, true, time_now());
        } else if (what & BEV_EVENT_EOF) {
            log_debug(LOG_NET, "socket closed by peer=%" PRId64, p->id);
        } else {
            log_debug(LOG_NET, "socket error, disconnecting peer=%" PRId64, p->id);
        }
        p->disconnect = true;
    }
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

/* ---- Outbound ---- */

static bool already_connected(struct connman *cm, const struct net_addr *a, const char *dial)
{
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->disconnect) continue;
        if (net_addr_equal(&p->addr, a)) return true;
        if (dial && p->dial[0] && strcmp(p->dial, dial) == 0) return true;
    }
    return false;
}

static struct peer *open_connection(struct connman *cm, const struct net_addr *a,
                                    enum conn_type type, const char *dial)
{
    if (already_connected(cm, a, dial)) return NULL;
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(a, &ss);
    if (sl == 0) return NULL;
    struct bufferevent *bev = bufferevent_socket_new(cm->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) return NULL;
    struct peer *p = peer_new(cm, bev, a, type);
    if (!p) {
        bufferevent_free(bev);
        return NULL;
    }
    if (dial) snprintf(p->dial, sizeof p->dial, "%s", dial);
    log_debug(LOG_NET, "trying connection %s (%s) peer=%" PRId64, p->addr_name,
              conn_type_name(type), p->id);
    if (type != CONN_MANUAL) addrman_attempt(cm->addrman, a, false, time_now());
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&ss, (int)sl) != 0) {
        log_debug(LOG_NET, "connect() to %s failed", p->addr_name);
        p->disconnect = true;
        return NULL;
    }
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return p;
}

static bool dial_string(struct connman *cm, const char *s, struct net_addr *a)
{
    return net_addr_parse(s, cm->params->default_port, a);
}

static size_t count_type(struct connman *cm, enum conn_type t)
{
    size_t n = 0;
    for (struct peer *p = cm->peers; p; p = p->next)
        if (!p->disconnect && p->type == t) n++;
    return n;
}

static bool outbound_group_taken(struct connman *cm, const struct net_addr *a)
{
    if (net_addr_is_local(a) || !net_addr_is_routable(a)) return false;
    uint8_t g[8], h[8];
    size_t gl = net_addr_group(a, g);
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->disconnect || p->type == CONN_INBOUND) continue;
        size_t hl = net_addr_group(&p->addr, h);
        if (hl == gl && memcmp(g, h, gl) == 0) return true;
    }
    return false;
}

static void open_outbound(struct connman *cm, int64_t now_us)
{
    if (!cm->network_active) return;
    /* -connect: only those, retried like added nodes. */
    if (cm->nconnect) {
        for (size_t i = 0; i < cm->nconnect; i++) {
            struct added_node *c = &cm->connect[i];
            if (c->last_try && now_us - c->last_try < ADDNODE_RETRY_US / 30) continue;
            struct net_addr a;
            if (!dial_string(cm, c->addr, &a)) continue;
            if (already_connected(cm, &a, c->addr)) continue;
            c->last_try = now_us;
            open_connection(cm, &a, CONN_MANUAL, c->addr);
        }
        return;
    }
    for (size_t i = 0; i < cm->nadded; i++) {
        struct added_node *c = &cm->added[i];
        if (c->last_try && now_us - c->last_try < ADDNODE_RETRY_US) continue;
        if (count_type(cm, CONN_MANUAL) >= NET_MAX_ADDNODE_CONNECTIONS) break;
        struct net_addr a;
        if (!dial_string(cm, c->addr, &a)) continue;
        if (already_connected(cm, &a, c->addr)) continue;
        c->last_try = now_us;
        open_connection(cm, &a, CONN_MANUAL, c->addr);
    }
    /* -connect=0: added nodes only, nothing automatic (Core's -noconnect). */
    if (cm->opt.connect_none) return;
    if (!cm->seeds_done) {
        cm->seeds_done = true;
        if (addrman_size(cm->addrman) == 0) {
            for (size_t i = 0; i < cm->opt.nseednode; i++) {
                struct net_addr a;
                if (dial_string(cm, cm->opt.seednode[i], &a))
                    open_connection(cm, &a, CONN_ADDR_FETCH, cm->opt.seednode[i]);
            }
        }
    }
    if (now_us < cm->next_outbound) return;
    cm->next_outbound = now_us + OUTBOUND_INTERVAL_US;
    enum conn_type want;
    if (count_type(cm, CONN_OUTBOUND_FULL_RELAY) < NET_MAX_OUTBOUND_FULL_RELAY)
        want = CONN_OUTBOUND_FULL_RELAY;
    else if (count_type(cm, CONN_BLOCK_RELAY) < NET_MAX_BLOCK_RELAY_ONLY)
        want = CONN_BLOCK_RELAY;
    else
        return;
    int64_t now = time_now();
    for (int tries = 0; tries < 100; tries++) {
        struct net_addr_info ai;
        if (!addrman_select(cm->addrman, false, now, &ai)) return;
        if (already_connected(cm, &ai.addr, NULL)) continue;
        if (banman_is_banned(cm->banman, &ai.addr, now) ||
            banman_is_discouraged(cm->banman, &ai.addr))
            continue;
        if (outbound_group_taken(cm, &ai.addr)) continue;
        if (!net_addr_is_local(&ai.addr) && ai.addr.port != cm->params->default_port && tries < 50)
            continue; /* prefer the default port, as Core */
        if (net_addr_is_local(&ai.addr) && !cm->opt.allow_local_addrs) continue;
        /* Never dial ourselves. */
        bool self = false;
        for (size_t i = 0; i < cm->nlisteners; i++)
            if (net_addr_equal(&cm->listeners[i].addr, &ai.addr)) self = true;
        if (self) continue;
        open_connection(cm, &ai.addr, want, NULL);
        return;
    }
}

/* ---- Inbound ---- */

/* Core's SelectNodeToEvict: protects peers by network group, ping time, recent useful
 * transactions and blocks, and connection age, then evicts the youngest peer of the
 * group with the most connections. NULL when every candidate is protected. */
struct evict_cand {
    struct peer *p;
    uint8_t group[8];
    size_t group_len;
    bool protect;
};

static int cmp_ping(const void *a, const void *b)
{
    const struct evict_cand *x = a, *y = b;
    int64_t px = x->p->min_ping_us < 0 ? INT64_MAX : x->p->min_ping_us;
    int64_t py = y->p->min_ping_us < 0 ? INT64_MAX : y->p->min_ping_us;
    return px < py ? -1 : px > py;
}
static int cmp_tx(const void *a, const void *b)
{
    const struct evict_cand *x = a, *y = b;
    return x->p->last_tx_time > y->p->last_tx_time ? -1 : x->p->last_tx_time < y->p->last_tx_time;
}
static int cmp_block(const void *a, const void *b)
{
    const struct evict_cand *x = a, *y = b;
    return x->p->last_block_time > y->p->last_block_time
               ? -1
               : x->p->last_block_time < y->p->last_block_time;
}
static int cmp_age(const void *a, const void *b)
{
    const struct evict_cand *x = a, *y = b;
    return x->p->connected_time < y->p->connected_time
               ? -1
               : x->p->connected_time > y->p->connected_time;
}
static int cmp_group(const void *a, const void *b)
{
    const struct evict_cand *x = a, *y = b;
    if (x->group_len != y->group_len) return x->group_len < y->group_len ? -1 : 1;
    return memcmp(x->group, y->group, x->group_len);
}

/* Marks the first k unprotected candidates in the order of cmp as protected. */
static void protect_by(struct evict_cand *c, size_t n, int (*cmp)(const void *, const void *),
                       size_t k)
{
    qsort(c, n, sizeof *c, cmp);
    for (size_t i = 0; i < n && k > 0; i++) {
        if (c[i].protect) continue;
        c[i].protect = true;
        k--;
    }
}

static struct peer *select_to_evict(struct connman *cm)
{
    size_t n = 0;
    for (struct peer *p = cm->peers; p; p = p->next)
        if (p->type == CONN_INBOUND && !p->disconnect) n++;
    if (n == 0) return NULL;
    struct evict_cand *c = calloc(n, sizeof *c);
    if (!c) return NULL;
    size_t k = 0;
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->type != CONN_INBOUND || p->disconnect) continue;
        c[k].p = p;
        c[k].group_len = net_addr_group(&p->addr, c[k].group);
        c[k].protect = (p->perms & NET_PERM_NOBAN) == NET_PERM_NOBAN;
        k++;
    }
    /* 4 by distinct group (one per group, first groups in order), 8 by ping, 4 by
     * recent transactions, 4 by recent blocks, then half of the rest by age. */
    qsort(c, n, sizeof *c, cmp_group);
    size_t prot = 0;
    for (size_t i = 0; i < n && prot < 4; i++) {
        if (i > 0 && cmp_group(&c[i], &c[i - 1]) == 0) continue;
        if (!c[i].protect) {
            c[i].protect = true;
            prot++;
        }
    }
    protect_by(c, n, cmp_ping, 8);
    protect_by(c, n, cmp_tx, 4);
    protect_by(c, n, cmp_block, 4);
    size_t left = 0;
    for (size_t i = 0; i < n; i++) left += !c[i].protect;
    protect_by(c, n, cmp_age, left / 2);
    /* The group with the most unprotected peers; its youngest peer goes. */
    qsort(c, n, sizeof *c, cmp_group);
    struct peer *victim = NULL;
    size_t best = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, cnt = 0;
        struct peer *youngest = NULL;
        while (j < n && cmp_group(&c[i], &c[j]) == 0) {
            if (!c[j].protect) {
                cnt++;
                if (!youngest || c[j].p->connected_time >= youngest->connected_time)
                    youngest = c[j].p;
            }
            j++;
        }
        if (cnt > best) {
            best = cnt;
            victim = youngest;
        }
        i = j;
    }
    free(c);
    return victim;
}

static uint32_t whitelist_perms(struct connman *cm, const struct net_addr *a)
{
    uint32_t perms = 0;
    for (size_t i = 0; i < cm->nwhitelist; i++)
        if (net_subnet_match(&cm->whitelist[i].subnet, a)) perms |= cm->whitelist[i].perms;
    return perms;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
    (void)l;
    struct listener *li = arg;
    struct connman *cm = li->cm;
    pthread_mutex_lock(&cm->lock);
    struct net_addr a;
    if (!net_addr_from_sockaddr(sa, (socklen_t)salen, &a)) {
        evutil_closesocket(fd);
        goto out;
    }
    char name[96];
    net_addr_format(&a, true, name, sizeof name);
    uint32_t perms = li->perms | whitelist_perms(cm, &a);
    bool noban = (perms & NET_PERM_NOBAN) == NET_PERM_NOBAN;
    int64_t now = time_now();
    if (!cm->network_active) {
        log_debug(LOG_NET, "connection from %s dropped (not accepting P2P connections)", name);
        evutil_closesocket(fd);
        goto out;
    }
    if (!noban && banman_is_banned(cm->banman, &a, now)) {
        log_debug(LOG_NET, "connection from %s dropped (banned)", name);
        evutil_closesocket(fd);
        goto out;
    }
    size_t inbound = count_type(cm, CONN_INBOUND);
    size_t outbound_slots = NET_MAX_OUTBOUND_FULL_RELAY + NET_MAX_BLOCK_RELAY_ONLY +
                            NET_MAX_ADDNODE_CONNECTIONS + 1;
    int max_in = cm->opt.max_connections - (int)outbound_slots;
    if (max_in < 0) max_in = 0;
    bool discouraged = !noban && banman_is_discouraged(cm->banman, &a);
    /* Discouraged peers only get a slot that is free anyway (Core). */
    if (discouraged && (int)inbound + 1 >= max_in) {
        log_debug(LOG_NET, "connection from %s dropped (discouraged)", name);
        evutil_closesocket(fd);
        goto out;
    }
    if ((int)inbound >= max_in) {
        struct peer *victim = select_to_evict(cm);
        if (!victim) {
            log_debug(LOG_NET, "failed to find an eviction candidate - connection from %s "
                               "dropped (full)",
                      name);
            evutil_closesocket(fd);
            goto out;
        }
        connman_mark_disconnect(victim, "evicted for an inbound connection");
    }
    evutil_make_socket_nonblocking(fd);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct bufferevent *bev = bufferevent_socket_new(cm->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        goto out;
    }
    struct peer *p = peer_new(cm, bev, &a, CONN_INBOUND);
    if (!p) {
        bufferevent_free(bev);
        goto out;
    }
    p->perms = perms;
    p->connected = true;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        !net_addr_from_sockaddr((struct sockaddr *)&ss, sl, &p->local))
        memset(&p->local, 0, sizeof p->local);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    log_debug(LOG_NET, "connection from %s accepted, peer=%" PRId64, name, p->id);
    netproc_peer_connected(cm->np, p);
out:
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

/* ---- Housekeeping ---- */

static void check_timeouts(struct connman *cm, int64_t now_us)
{
    int64_t now = time_now();
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->disconnect) continue;
        if (!p->connected) {
            if (now_us - p->open_time > CONNECT_TIMEOUT_US) {
                connman_mark_disconnect(p, "connection timeout");
                addrman_attempt(cm->addrman, &p->addr, true, now);
            }
            continue;
        }
        if (!p->handshake_done &&
            now_us - p->open_time > (int64_t)cm->opt.peer_timeout * 1000000) {
            log_info("version handshake timeout, disconnecting peer=%" PRId64 " (%s)", p->id,
                     p->addr_name);
            p->disconnect = true;
            continue;
        }
        if (p->handshake_done) {
            int64_t since = now - (p->last_recv > p->last_send ? p->last_send : p->last_recv);
            if (p->last_recv == 0 || p->last_send == 0) since = now - p->connected_time;
            if (since > NET_TIMEOUT_INTERVAL) {
                log_info("socket inactivity timeout, disconnecting peer=%" PRId64, p->id);
                p->disconnect = true;
                continue;
            }
        }
        if (p->type == CONN_ADDR_FETCH && now - p->connected_time > ADDR_FETCH_TIMEOUT)
            connman_mark_disconnect(p, "addr-fetch connection timeout");
    }
}

static void dump_files(struct connman *cm)
{
    char err[512];
    if (!addrman_save(cm->addrman, cm->peers_path, cm->params->magic, err, sizeof err))
        log_info("Failed to write peers.dat: %s", err);
    if (!banman_save(cm->banman, false, err, sizeof err))
        log_info("Failed to write banlist.json: %s", err);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct connman *cm = arg;
    pthread_mutex_lock(&cm->lock);
    int64_t now_us = time_mono_micros();
    check_timeouts(cm, now_us);
    open_outbound(cm, now_us);
    if (cm->ping_all) {
        cm->ping_all = false;
        for (struct peer *p = cm->peers; p; p = p->next) p->next_ping = 0;
    }
    netproc_tick(cm->np, now_us);
    if (now_us >= cm->next_dump) {
        cm->next_dump = now_us + DUMP_INTERVAL_US;
        dump_files(cm);
    }
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct connman *cm = arg;
    pthread_mutex_lock(&cm->lock);
    if (cm->stopping) {
        for (struct peer *p = cm->peers; p; p = p->next) p->disconnect = true;
        reap(cm);
        for (size_t i = 0; i < cm->nlisteners; i++) {
            evconnlistener_free(cm->listeners[i].ev);
            cm->listeners[i].ev = NULL;
        }
        event_base_loopbreak(cm->base);
        pthread_mutex_unlock(&cm->lock);
        return;
    }
    for (size_t i = 0; i < cm->nonetry; i++) {
        struct net_addr a;
        if (dial_string(cm, cm->onetry[i], &a))
            open_connection(cm, &a, CONN_MANUAL, cm->onetry[i]);
        free(cm->onetry[i]);
    }
    cm->nonetry = 0;
    if (!cm->network_active)
        for (struct peer *p = cm->peers; p; p = p->next) p->disconnect = true;
    netproc_notifications(cm->np);
    reap(cm);
    pthread_mutex_unlock(&cm->lock);
}

static void *net_thread(void *arg)
{
    struct connman *cm = arg;
    event_base_dispatch(cm->base);
    return NULL;
}

/* ---- Binding ---- */

static bool bind_one(struct connman *cm, const struct net_addr *a, uint32_t perms, char *err,
                     size_t errlen)
{
    if (cm->nlisteners >= MAX_LISTENERS) {
        snprintf(err, errlen, "too many listening addresses");
        return false;
    }
    struct sockaddr_storage ss;
    socklen_t sl = net_addr_to_sockaddr(a, &ss);
    char name[96];
    net_addr_format(a, true, name, sizeof name);
    if (sl == 0) {
        snprintf(err, errlen, "Cannot bind to %s: not an IP address", name);
        return false;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0) {
        snprintf(err, errlen, "Unable to bind to %s on this computer (socket: %s)", name,
                 strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE)
            snprintf(err, errlen,
                     "Unable to bind to %s on this computer. iopd is probably already running.",
                     name);
        else
            snprintf(err, errlen, "Unable to bind to %s on this computer (bind returned error %s)",
                     name, strerror(e));
        return false;
    }
    evutil_make_socket_nonblocking(fd);
    struct listener *li = &cm->listeners[cm->nlisteners];
    li->cm = cm;
    li->addr = *a;
    li->perms = perms;
    li->ev = evconnlistener_new(cm->base, accept_cb, li, LEV_OPT_CLOSE_ON_FREE, 128, fd);
    if (!li->ev) {
        close(fd);
        snprintf(err, errlen, "Unable to listen on %s", name);
        return false;
    }
    cm->nlisteners++;
    log_info("Bound to %s", name);
    return true;
}

static bool setup_listeners(struct connman *cm, char *err, size_t errlen)
{
    const struct connman_options *o = &cm->opt;
    for (size_t i = 0; i < o->nwhitebind; i++) {
        uint32_t perms;
        const char *rest = net_permissions_parse(o->whitebind[i], &perms, err, errlen);
        if (!rest) return false;
        struct net_addr a;
        if (!net_addr_parse(rest, 0, &a) || a.port == 0) {
            snprintf(err, errlen, "Need to specify a port with -whitebind: '%s'", rest);
            return false;
        }
        if (!bind_one(cm, &a, perms & ~(uint32_t)NET_PERM_IMPLICIT, err, errlen)) return false;
    }
    if (!o->listen) return true;
    for (size_t i = 0; i < o->nbind; i++) {
        struct net_addr a;
        if (!net_addr_parse(o->bind[i], o->port, &a)) {
            snprintf(err, errlen, "Cannot resolve -bind address: '%s'", o->bind[i]);
            return false;
        }
        if (!bind_one(cm, &a, 0, err, errlen)) return false;
    }
    if (o->nbind == 0 && o->nwhitebind == 0) {
        struct net_addr any6, any4;
        bool ok6 = net_addr_parse("::", o->port, &any6), ok4 = net_addr_parse("0.0.0.0", o->port, &any4);
        char e1[256] = "", e2[256] = "";
        bool b6 = ok6 && bind_one(cm, &any6, 0, e1, sizeof e1);
        bool b4 = ok4 && bind_one(cm, &any4, 0, e2, sizeof e2);
        if (!b6 && !b4) {
            snprintf(err, errlen, "%s", e2[0] ? e2 : e1);
            return false;
        }
    }
    return true;
}

/* ---- Start and stop ---- */

static bool copy_list(struct added_node **out, size_t *n, size_t *cap, const char *const *src,
                      size_t count)
{
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out) return false;
    for (size_t i = 0; i < count; i++) {
        (*out)[i].addr = strdup(src[i]);
        if (!(*out)[i].addr) return false;
        (*n)++;
    }
    if (cap) *cap = count ? count : 1;
    return true;
}

static void free_connman(struct connman *cm)
{
    if (!cm) return;
    for (size_t i = 0; i < cm->nlisteners; i++)
        if (cm->listeners[i].ev) evconnlistener_free(cm->listeners[i].ev);
    while (cm->peers) {
        struct peer *p = cm->peers;
        cm->peers = p->next;
        peer_free(cm, p);
    }
    netproc_free(cm->np);
    if (cm->tick_ev) event_free(cm->tick_ev);
    if (cm->wake_ev) event_free(cm->wake_ev);
    if (cm->base) event_base_free(cm->base);
    addrman_free(cm->addrman);
    banman_free(cm->banman);
    for (size_t i = 0; i < cm->nadded; i++) free(cm->added[i].addr);
    free(cm->added);
    free(cm->added_view);
    for (size_t i = 0; i < cm->nconnect; i++) free(cm->connect[i].addr);
    free(cm->connect);
    for (size_t i = 0; i < cm->nonetry; i++) free(cm->onetry[i]);
    free(cm->onetry);
    free(cm->whitelist);
    pthread_mutex_destroy(&cm->lock);
    free(cm);
}

struct connman *connman_start(const struct connman_options *opt, char *err, size_t errlen)
{
    struct connman *cm = calloc(1, sizeof *cm);
    if (!cm) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    cm->opt = *opt;
    cm->node = opt->node;
    cm->params = opt->params;
    cm->next_id = 0;
    cm->network_active = opt->network_active;
    cm->services = NODE_NETWORK | NODE_WITNESS;
    pthread_mutex_init(&cm->lock, NULL);
    if (evthread_use_pthreads() != 0) {
        snprintf(err, errlen, "libevent threads are not available");
        free_connman(cm);
        return NULL;
    }
    cm->base = event_base_new();
    if (!cm->base) {
        snprintf(err, errlen, "cannot create the network event loop");
        free_connman(cm);
        return NULL;
    }
    if (!fs_join(cm->peers_path, sizeof cm->peers_path, opt->datadir, "peers.dat") ||
        !fs_join(cm->banlist_path, sizeof cm->banlist_path, opt->datadir, "banlist.json")) {
        snprintf(err, errlen, "data directory path too long");
        free_connman(cm);
        return NULL;
    }
    char e2[512] = "";
    bool missing = false;
    cm->addrman = addrman_load(cm->peers_path, cm->params->magic, &missing, e2, sizeof e2);
    if (!cm->addrman) {
        if (!missing) log_info("Invalid or corrupt peers.dat (%s). Starting with an empty "
                               "address table.", e2);
        uint8_t key[32];
        if (!random_bytes(key, sizeof key)) {
            snprintf(err, errlen, "getrandom failed");
            free_connman(cm);
            return NULL;
        }
        cm->addrman = addrman_new(key);
    } else {
        log_info("Loaded %zu addresses from peers.dat", addrman_size(cm->addrman));
    }
    e2[0] = 0;
    cm->banman = banman_open(cm->banlist_path, time_now(), e2, sizeof e2);
    if (e2[0]) log_info("Invalid or corrupt banlist.json (%s): starting with no bans", e2);
    if (!cm->addrman || !cm->banman) {
        snprintf(err, errlen, "out of memory");
        free_connman(cm);
        return NULL;
    }
    if (opt->nwhitelist) {
        cm->whitelist = calloc(opt->nwhitelist, sizeof *cm->whitelist);
        if (!cm->whitelist) {
            snprintf(err, errlen, "out of memory");
            free_connman(cm);
            return NULL;
        }
        for (size_t i = 0; i < opt->nwhitelist; i++) {
            uint32_t perms;
            const char *rest = net_permissions_parse(opt->whitelist[i], &perms, err, errlen);
            if (!rest) {
                free_connman(cm);
                return NULL;
            }
            if (!net_subnet_parse(rest, &cm->whitelist[i].subnet)) {
                snprintf(err, errlen, "Invalid netmask specified in -whitelist: '%s'", rest);
                free_connman(cm);
                return NULL;
            }
            cm->whitelist[i].perms = perms;
            cm->nwhitelist++;
        }
    }
    if (!copy_list(&cm->added, &cm->nadded, &cm->added_cap, opt->addnode, opt->naddnode) ||
        !copy_list(&cm->connect, &cm->nconnect, NULL, opt->connect, opt->nconnect)) {
        snprintf(err, errlen, "out of memory");
        free_connman(cm);
        return NULL;
    }
    cm->np = netproc_new(cm, opt->node);
    if (!cm->np) {
        snprintf(err, errlen, "out of memory");
        free_connman(cm);
        return NULL;
    }
    if (!setup_listeners(cm, err, errlen)) {
        free_connman(cm);
        return NULL;
    }
    cm->tick_ev = event_new(cm->base, -1, EV_PERSIST, tick_cb, cm);
    cm->wake_ev = event_new(cm->base, -1, 0, wake_cb, cm);
    struct timeval tv = {0, TICK_US};
    if (!cm->tick_ev || !cm->wake_ev || event_add(cm->tick_ev, &tv) != 0) {
        snprintf(err, errlen, "cannot create the network timers");
        free_connman(cm);
        return NULL;
    }
    cm->next_dump = time_mono_micros() + DUMP_INTERVAL_US;
    if (pthread_create(&cm->thread, NULL, net_thread, cm) != 0) {
        snprintf(err, errlen, "cannot start the network thread");
        free_connman(cm);
        return NULL;
    }
    cm->thread_started = true;
    return cm;
}

void connman_stop(struct connman *cm)
{
    if (!cm) return;
    if (cm->thread_started) {
        pthread_mutex_lock(&cm->lock);
        cm->stopping = true;
        pthread_mutex_unlock(&cm->lock);
        wake(cm);
        pthread_join(cm->thread, NULL);
    }
    netproc_shutdown(cm->np);
    char err[512];
    if (!addrman_save(cm->addrman, cm->peers_path, cm->params->magic, err, sizeof err))
        log_info("Failed to write peers.dat: %s", err);
    if (!banman_save(cm->banman, true, err, sizeof err))
        log_info("Failed to write banlist.json: %s", err);
    free_connman(cm);
}

/* ---- RPC commands ---- */

bool connman_addnode_add(struct connman *cm, const char *addr)
{
    pthread_mutex_lock(&cm->lock);
    bool ok = true;
    for (size_t i = 0; i < cm->nadded; i++)
        if (strcmp(cm->added[i].addr, addr) == 0) ok = false;
    if (ok && cm->nadded == cm->added_cap) {
        size_t nc = cm->added_cap ? cm->added_cap * 2 : 4;
        void *p = realloc(cm->added, nc * sizeof *cm->added);
        if (!p)
            ok = false;
        else {
            cm->added = p;
            cm->added_cap = nc;
        }
    }
    if (ok) {
        char *s = strdup(addr);
        if (!s)
            ok = false;
        else
            cm->added[cm->nadded++] = (struct added_node){s, 0};
    }
    pthread_mutex_unlock(&cm->lock);
    return ok;
}

bool connman_addnode_remove(struct connman *cm, const char *addr)
{
    pthread_mutex_lock(&cm->lock);
    bool found = false;
    for (size_t i = 0; i < cm->nadded; i++) {
        if (strcmp(cm->added[i].addr, addr) == 0) {
            free(cm->added[i].addr);
            cm->added[i] = cm->added[--cm->nadded];
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&cm->lock);
    return found;
}

bool connman_addnode_onetry(struct connman *cm, const char *addr, char *err, size_t errlen)
{
    struct net_addr a;
    if (!net_addr_parse(addr, cm->params->default_port, &a)) {
        snprintf(err, errlen, "Invalid address: %s (host names are not resolved)", addr);
        return false;
    }
    pthread_mutex_lock(&cm->lock);
    bool ok = false;
    void *p = realloc(cm->onetry, (cm->nonetry + 1) * sizeof *cm->onetry);
    if (p) {
        cm->onetry = p;
        char *s = strdup(addr);
        if (s) {
            cm->onetry[cm->nonetry++] = s;
            ok = true;
        }
    }
    pthread_mutex_unlock(&cm->lock);
    if (!ok) snprintf(err, errlen, "out of memory");
    wake(cm);
    return ok;
}

size_t connman_added_nodes(struct connman *cm, const char ***out)
{
    free(cm->added_view);
    cm->added_view = calloc(cm->nadded ? cm->nadded : 1, sizeof *cm->added_view);
    if (!cm->added_view) {
        *out = NULL;
        return 0;
    }
    for (size_t i = 0; i < cm->nadded; i++) cm->added_view[i] = cm->added[i].addr;
    *out = cm->added_view;
    return cm->nadded;
}

size_t connman_disconnect_addr(struct connman *cm, const char *addr)
{
    struct net_addr a;
    bool parsed = net_addr_parse(addr, cm->params->default_port, &a);
    size_t n = 0;
    pthread_mutex_lock(&cm->lock);
    for (struct peer *p = cm->peers; p; p = p->next) {
        if (p->disconnect) continue;
        if ((parsed && net_addr_equal(&p->addr, &a)) || strcmp(p->addr_name, addr) == 0 ||
            (p->dial[0] && strcmp(p->dial, addr) == 0)) {
            connman_mark_disconnect(p, "disconnectnode");
            n++;
        }
    }
    pthread_mutex_unlock(&cm->lock);
    if (n) wake(cm);
    return n;
}

bool connman_disconnect_id(struct connman *cm, int64_t id)
{
    pthread_mutex_lock(&cm->lock);
    struct peer *p = connman_find_peer(cm, id);
    bool found = p && !p->disconnect;
    if (found) connman_mark_disconnect(p, "disconnectnode");
    pthread_mutex_unlock(&cm->lock);
    if (found) wake(cm);
    return found;
}

void connman_disconnect_subnet(struct connman *cm, const struct net_subnet *s)
{
    pthread_mutex_lock(&cm->lock);
    for (struct peer *p = cm->peers; p; p = p->next)
        if (net_subnet_match(s, &p->addr)) connman_mark_disconnect(p, "banned");
    pthread_mutex_unlock(&cm->lock);
    wake(cm);
}

void connman_ping_all(struct connman *cm)
{
    pthread_mutex_lock(&cm->lock);
    cm->ping_all = true;
    pthread_mutex_unlock(&cm->lock);
}

void connman_set_network_active(struct connman *cm, bool active)
{
    pthread_mutex_lock(&cm->lock);
    if (cm->network_active != active) log_info("SetNetworkActive: %s", active ? "true" : "false");
    cm->network_active = active;
    pthread_mutex_unlock(&cm->lock);
    wake(cm);
}

/* Called by net_processing (any thread, with or without the node lock): wakes the net
 * thread to drain its notification queue. */
void connman_wake(struct connman *cm) { wake(cm); }
