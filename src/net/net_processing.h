/* The peer logic (Core's PeerManager): the version handshake, headers-first sync with
 * parallel block download from several peers inside a moving window, stall detection,
 * block announcements (headers, inv, BIP152 compact blocks), transaction relay by
 * wtxid with trickling and an orphan pool, address gossip, and the misbehaviour that
 * gets a peer discouraged. Runs on the net thread with the connman lock held; takes the
 * node context's lock to touch the chain and mempool. */
#ifndef IOP_NET_NET_PROCESSING_H
#define IOP_NET_NET_PROCESSING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/node_context.h"
#include "net/connman.h"

/* Core's constants. */
#define NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER 16
#define NP_BLOCK_DOWNLOAD_WINDOW          1024
#define NP_BLOCK_STALLING_TIMEOUT_US      (2 * 1000000LL)
#define NP_MAX_ORPHANS                    100
#define NP_ORPHAN_EXPIRE                  (20 * 60)
#define NP_MAX_PEER_TX_REQUESTS           100
#define NP_TX_REQUEST_TIMEOUT_US          (60 * 1000000LL)
#define NP_INBOUND_INV_INTERVAL_US        (5 * 1000000LL)
#define NP_OUTBOUND_INV_INTERVAL_US       (2 * 1000000LL)
#define NP_MAX_INV_PER_MSG                1000
/* Headers of a side chain that forks more than this far below our tip and does not
 * bring more work than the tip are not stored (our bound on low-work header spam). */
#define NP_MAX_LOW_WORK_FORK_DEPTH        288

struct net_processing;

struct net_processing *netproc_new(struct connman *cm, struct node_context *node);
/* Unsubscribes from the chain (before the connman frees it); the thread is stopped. */
void netproc_shutdown(struct net_processing *np);
void netproc_free(struct net_processing *np);

/* Net thread, connman lock held. */
void netproc_peer_connected(struct net_processing *np, struct peer *p);
void netproc_peer_disconnected(struct net_processing *np, struct peer *p);
void netproc_message(struct net_processing *np, struct peer *p, const char *command,
                     const uint8_t *payload, size_t len);
/* Whether p has getdata left to serve (its input stays paused meanwhile). */
bool netproc_busy(const struct peer *p);
/* Serves queued getdata of p while its send buffer has room. */
void netproc_drain(struct net_processing *np, struct peer *p);
void netproc_tick(struct net_processing *np, int64_t now_us);
void netproc_notifications(struct net_processing *np);

/* getpeerinfo's per-peer sync fields (lock held). */
int32_t netproc_synced_headers(const struct peer *p);
int32_t netproc_synced_blocks(const struct peer *p);
/* Heights of blocks in flight from p into out (at most max); returns the count. */
size_t netproc_inflight(const struct peer *p, int32_t *out, size_t max);

#endif
