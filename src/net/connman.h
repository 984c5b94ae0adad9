/* The connection manager: one libevent thread owns every P2P socket. It listens
 * (-listen, -bind, -port, -whitebind), opens outbound connections (-connect, -addnode,
 * -seednode, the address manager: 8 full-relay and 2 block-relay-only), frames the
 * byte stream into messages (magic, size and checksum checked before the payload is
 * buffered), enforces per-peer buffer limits and time limits, evicts inbound peers when
 * full, and hands each whole message to net_processing on the same thread.
 *
 * Threads and locks: the net thread holds `lock` while it runs any callback; RPC
 * threads take `lock` to read peer state or queue a command, never for long. Lock
 * order: connman lock, then the node context's lock (net_processing takes the latter to
 * touch the chain). Chain and mempool notifications (called with the node context's
 * lock held) never take `lock`: they append to the notification queue under
 * `notify_lock` and wake the net thread. */
#ifndef IOP_NET_CONNMAN_H
#define IOP_NET_CONNMAN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/node_context.h"
#include "consensus/hash.h"
#include "net/addrman.h"
#include "net/banman.h"
#include "net/netaddr.h"
#include "net/protocol.h"

#define CONNMAN_WU __attribute__((warn_unused_result))

/* Core's defaults. */
#define NET_DEFAULT_MAX_CONNECTIONS    125
#define NET_MAX_OUTBOUND_FULL_RELAY    8
#define NET_MAX_BLOCK_RELAY_ONLY       2
#define NET_MAX_ADDNODE_CONNECTIONS    8
#define NET_DEFAULT_MAX_RECEIVE_BUFFER 5000 /* KB, -maxreceivebuffer */
#define NET_DEFAULT_MAX_SEND_BUFFER    1000 /* KB, -maxsendbuffer */
#define NET_DEFAULT_PEER_TIMEOUT       60   /* s, -peertimeout: handshake */
#define NET_TIMEOUT_INTERVAL           (20 * 60) /* s without data either way */
#define NET_PING_INTERVAL              (2 * 60)

/* Permission flags of -whitelist/-whitebind (Core's NetPermissionFlags). */
enum net_permission {
    NET_PERM_BLOOMFILTER = 1 << 1,
    NET_PERM_RELAY = 1 << 3,
    NET_PERM_FORCERELAY = (1 << 2) | (1 << 3),
    NET_PERM_DOWNLOAD = 1 << 6,
    NET_PERM_NOBAN = (1 << 4) | (1 << 6),
    NET_PERM_MEMPOOL = 1 << 5,
    NET_PERM_ADDR = 1 << 7,
    NET_PERM_IMPLICIT = 1 << 31,
};
/* Parses "perm,perm@" prefixes of -whitelist/-whitebind values ("noban@1.2.3.0/24");
 * no prefix means Core's implicit default set. Returns a pointer to what follows. */
const char *net_permissions_parse(const char *s, uint32_t *out, char *err, size_t errlen);
/* Core's names ("noban", "download", ...) of the set flags, as a JSON-ready list
 * written into names[] (at most 8). */
size_t net_permissions_names(uint32_t perms, const char *names[8]);

enum conn_type {
    CONN_INBOUND = 0,
    CONN_OUTBOUND_FULL_RELAY,
    CONN_MANUAL, /* -connect, -addnode, addnode RPC */
    CONN_FEELER,
    CONN_BLOCK_RELAY,
    CONN_ADDR_FETCH, /* -seednode: getaddr then leave */
};
const char *conn_type_name(enum conn_type t); /* Core's getpeerinfo strings */

/* Per-command traffic for getpeerinfo's bytessent_per_msg. */
#define NET_MSG_STATS 32
struct net_msg_stat {
    char command[NET_COMMAND_SIZE + 1];
    uint64_t bytes;
};

struct inflight_block; /* net_processing's */
struct tx_request;     /* net_processing's */
struct partial_block;  /* net_processing's */
struct rolling_set;    /* net_processing's */

/* One connection. Owned by the net thread; RPC threads read it with the connman lock
 * held. */
struct peer {
    int64_t id;
    struct peer *next;
    struct connman *cm;
    struct bufferevent *bev;
    struct net_addr addr;
    char addr_name[96]; /* as dialled or accepted: "127.0.0.1:14877" */
    struct net_addr local; /* our end of the socket */
    enum conn_type type;
    uint32_t perms;
    bool connected;     /* TCP established (outbound: after connect completes) */
    bool disconnect;    /* marked: closed at the end of the current callback */
    bool paused;        /* input processing paused while our replies drain */
    uint64_t local_nonce; /* the nonce of our version message (self-connection check) */
    char dial[96];      /* for manual connections: the string dialled (addnode matching) */
    int64_t open_time;  /* mono µs when the connection was opened or accepted */
    int64_t connected_time; /* UNIX s */
    int64_t last_send, last_recv; /* UNIX s */
    uint64_t bytes_sent, bytes_recv;
    struct net_msg_stat sent_stats[NET_MSG_STATS], recv_stats[NET_MSG_STATS];
    size_t nsent_stats, nrecv_stats;

    /* framing */
    bool have_header;
    struct net_msg_header hdr;

    /* handshake */
    bool version_received, version_sent, verack_received, handshake_done;
    int32_t version;
    uint64_t services;
    char subver[NET_MAX_SUBVERSION_LENGTH + 1];
    int32_t starting_height;
    bool relay_txs;   /* they want transactions (version relay flag, not block-relay) */
    bool wtxid_relay; /* they sent wtxidrelay */
    bool addrv2;      /* they sent sendaddrv2 */
    bool prefer_headers; /* sendheaders */
    bool cmpct_hb;       /* they asked for high-bandwidth compact blocks */
    bool cmpct_ok;       /* they speak compact blocks version 2 */
    int64_t fee_filter;  /* their feefilter, sat/kvB */
    int64_t next_feefilter_send; /* mono µs */
    int64_t sent_fee_filter;
    bool getaddr_answered;
    bool getaddr_sent;
    int64_t addr_token_bucket_ms; /* addr rate limit, in milli-addresses */
    int64_t addr_token_time;      /* mono µs */
    uint64_t addr_processed, addr_rate_limited;
    struct net_addr_info *addr_queue; /* addresses to gossip to them (Core's vAddrToSend) */
    size_t naddr_queue;
    int64_t next_addr_send;           /* UNIX s (mockable), Poisson trickle */
    struct rolling_set *known_addr;   /* addresses they told us or we told them */

    /* ping */
    uint64_t ping_nonce; /* outstanding, 0 when none */
    int64_t ping_start;  /* mono µs */
    int64_t last_ping_us, min_ping_us; /* -1 until measured */
    int64_t next_ping;   /* mono µs */

    /* sync */
    struct block_index *best_known;   /* most-work block we know they have */
    uint256 last_unknown_block;       /* announced but not yet in our index */
    bool have_unknown_block;
    struct block_index *last_common;  /* common ancestor with our best header */
    bool sync_started;                /* we sent them a getheaders as sync peer */
    int64_t headers_sync_timeout;     /* mono µs */
    int unconnecting_headers;
    struct block_index *last_announced; /* the last block we told them about */
    struct inflight_block *inflight;  /* blocks requested from this peer */
    int ninflight;
    int64_t stalling_since;           /* mono µs, 0 when not stalling the window */
    int64_t last_block_time;          /* UNIX s of the last new block from them */
    int64_t last_tx_time;             /* UNIX s of the last new tx from them */

    /* tx relay */
    uint256 *tx_inv;     /* queued announcements (txid or wtxid by wtxid_relay) */
    size_t ntx_inv, tx_inv_cap;
    int64_t next_inv_send; /* mono µs, Poisson trickle */
    struct tx_request *tx_requests; /* in-flight getdata for transactions */
    size_t ntx_requests;
    struct rolling_set *known_tx; /* the last ~2,000 txs they know of (constant time) */

    /* getdata being served, in order (Core's vRecvGetData): no other message of the
     * peer is read until it is done */
    struct net_inv *getdata_q;
    size_t getdata_n, getdata_pos;
    struct partial_block *partial; /* a compact block waiting for blocktxn */

    /* misbehaviour */
    bool should_discourage;
    char misbehaving_reason[256];
};

struct connman_options {
    const struct chain_params *params;
    struct node_context *node;
    const char *datadir; /* the chain's data directory: peers.dat, banlist.json */
    bool listen;
    uint16_t port;
    const char *const *bind; /* -bind values ("addr[:port]"), none: all interfaces */
    size_t nbind;
    const char *const *whitebind; /* "[perms@]addr:port" */
    size_t nwhitebind;
    const char *const *whitelist; /* "[perms@]subnet" */
    size_t nwhitelist;
    const char *const *connect; /* -connect: only these */
    size_t nconnect;
    bool connect_none;          /* -connect=0 / -noconnect: no outbound at all */
    const char *const *addnode;
    size_t naddnode;
    const char *const *seednode;
    size_t nseednode;
    int max_connections;
    size_t max_receive_buffer; /* bytes */
    size_t max_send_buffer;    /* bytes */
    int peer_timeout;          /* s */
    int64_t bantime;           /* s */
    bool network_active;
    bool allow_local_addrs; /* keep loopback/private addresses in addrman (regtest) */
    const char *user_agent; /* "/iopd:0.1.0/" */
};

struct connman;

/* Binds (a failed -bind is an error; a failed default bind only when nothing could be
 * bound), loads peers.dat and banlist.json and starts the net thread. NULL with err. */
CONNMAN_WU struct connman *connman_start(const struct connman_options *opt, char *err,
                                         size_t errlen);
/* Disconnects everyone, stops the thread, saves peers.dat and banlist.json, frees.
 * NULL is a no-op. */
void connman_stop(struct connman *cm);

/* ---- For net_rpc (take the connman lock inside) ---- */

pthread_mutex_t *connman_lock(struct connman *cm);
/* With the lock held: the first peer (walk with ->next). */
struct peer *connman_peers(struct connman *cm);
struct node_context *connman_node(struct connman *cm);
struct banman *connman_banman(struct connman *cm);
struct addrman *connman_addrman(struct connman *cm);
const struct chain_params *connman_params(struct connman *cm);
uint64_t connman_local_services(struct connman *cm);
void connman_totals(struct connman *cm, uint64_t *recv, uint64_t *sent);
size_t connman_count(struct connman *cm, int direction); /* 0 all, 1 inbound, 2 outbound */
bool connman_network_active(struct connman *cm);
void connman_set_network_active(struct connman *cm, bool active);
int connman_max_connections(struct connman *cm);
/* -bantime: the default duration of setban, seconds. */
int64_t connman_bantime(struct connman *cm);
/* Local addresses we listen on, for getnetworkinfo. */
size_t connman_listen_addrs(struct connman *cm, struct net_addr *out, size_t max);
const char *connman_user_agent(struct connman *cm);

/* addnode "add": keeps connecting to addr (false when already added);
 * addnode "remove" (false when not added); addnode "onetry": one attempt now. */
bool connman_addnode_add(struct connman *cm, const char *addr);
bool connman_addnode_remove(struct connman *cm, const char *addr);
bool connman_addnode_onetry(struct connman *cm, const char *addr, char *err, size_t errlen);
/* The added nodes (strings owned by cm, valid until the next change; lock held). */
size_t connman_added_nodes(struct connman *cm, const char ***out);
/* Marks matching peers for disconnection; returns how many. */
size_t connman_disconnect_addr(struct connman *cm, const char *addr);
bool connman_disconnect_id(struct connman *cm, int64_t id);
/* Disconnects peers within a banned subnet (after setban). */
void connman_disconnect_subnet(struct connman *cm, const struct net_subnet *s);
/* Sends a ping to every peer at the next chance (RPC ping). */
void connman_ping_all(struct connman *cm);

/* ---- For net_processing (net thread, lock held) ---- */

/* Queues a message to p (header computed here). */
void connman_send(struct peer *p, const char *command, const uint8_t *payload, size_t len);
/* Sends a message whose payload the writer holds (freed here). */
void connman_send_writer(struct peer *p, const char *command, struct writer *w);
/* Bytes queued to p and not yet written to the socket. */
size_t connman_send_queued(const struct peer *p);
bool connman_send_full(const struct peer *p);
void connman_mark_disconnect(struct peer *p, const char *why);
/* Any misbehaviour: unless the peer has noban permission, discourages its address and
 * disconnects it (Core 28's Misbehaving). Logged with the reason either way. */
void connman_misbehaving(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t connman_local_nonce(struct connman *cm, const struct peer *p);
bool connman_is_local_nonce(struct connman *cm, uint64_t nonce);
int64_t connman_now(struct connman *cm);  /* adjusted UNIX seconds (mocktime aware) */
struct peer *connman_find_peer(struct connman *cm, int64_t id);
/* Resumes reading from a peer whose input was paused (net thread, lock held). */
void connman_resume(struct peer *p);
/* Wakes the net thread (any thread, any locks): it then calls
 * netproc_notifications. */
void connman_wake(struct connman *cm);
/* For net_processing's state hanging off the connman. */
void *connman_processing(struct connman *cm);

#endif
