/* Bitcoin's P2P wire protocol (version 70016): the 24-byte message header and the
 * payloads of every message iopd speaks, as plain structs with decoders that check
 * every length against the bytes present before allocating, and encoders that append to
 * a writer. No I/O and no state: the connection manager frames, net_processing acts.
 *
 * Decoders return false on malformed input with a short reason in err (may be NULL,
 * at least 64 bytes) and leave *out owning nothing. Trailing bytes after a complete
 * payload are accepted (as Core does), except where noted. */
#ifndef IOP_NET_PROTOCOL_H
#define IOP_NET_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "net/netaddr.h"

#define PROTO_WU __attribute__((warn_unused_result))

#define NET_PROTOCOL_VERSION       70016
#define NET_MIN_PEER_PROTO_VERSION 31800 /* Core's MIN_PEER_PROTO_VERSION */
#define NET_WTXID_RELAY_VERSION    70016
#define NET_SENDHEADERS_VERSION    70012
#define NET_FEEFILTER_VERSION      70013
#define NET_SHORT_IDS_BLOCKS_VERSION 70014

#define NET_HEADER_SIZE            24
#define NET_COMMAND_SIZE           12
#define NET_MAX_MESSAGE_LENGTH     (4 * 1000 * 1000) /* MAX_PROTOCOL_MESSAGE_LENGTH */
#define NET_MAX_INV_SZ             50000
#define NET_MAX_LOCATOR_SZ         101
#define NET_MAX_HEADERS_RESULTS    2000
#define NET_MAX_ADDR_TO_SEND       1000
#define NET_MAX_SUBVERSION_LENGTH  256
#define NET_MAX_ADDRV2_ADDR_SIZE   512

/* Service bits. NODE_IOP_SERVICES (bit 24, in the range Bitcoin leaves to experiments)
 * marks a node whose operator runs iop services. */
#define NODE_NONE            0
#define NODE_NETWORK         (1ULL << 0)
#define NODE_BLOOM           (1ULL << 2)
#define NODE_WITNESS         (1ULL << 3)
#define NODE_COMPACT_FILTERS (1ULL << 6)
#define NODE_NETWORK_LIMITED (1ULL << 10)
#define NODE_P2P_V2          (1ULL << 11)
#define NODE_IOP_SERVICES    (1ULL << 24)

/* Inventory types. */
#define MSG_TX             1u
#define MSG_BLOCK          2u
#define MSG_FILTERED_BLOCK 3u
#define MSG_CMPCT_BLOCK    4u
#define MSG_WTX            5u
#define MSG_WITNESS_FLAG   (1u << 30)
#define MSG_WITNESS_TX     (MSG_TX | MSG_WITNESS_FLAG)
#define MSG_WITNESS_BLOCK  (MSG_BLOCK | MSG_WITNESS_FLAG)

/* ---- Message header ---- */

struct net_msg_header {
    uint8_t magic[4];
    char command[NET_COMMAND_SIZE + 1]; /* NUL-terminated */
    uint32_t length;
    uint8_t checksum[4]; /* first 4 bytes of SHA256d(payload) */
};

enum net_header_result {
    NET_HEADER_OK = 0,
    NET_HEADER_BAD_MAGIC,   /* not this network's magic */
    NET_HEADER_BAD_COMMAND, /* not printable ASCII followed only by NULs */
    NET_HEADER_OVERSIZED,   /* length > NET_MAX_MESSAGE_LENGTH */
};

/* Decodes the 24 header bytes; on a result other than OK, *out is still filled as far
 * as it could be (for the log line). */
enum net_header_result net_header_decode(const uint8_t in[NET_HEADER_SIZE],
                                         const uint8_t magic[4], struct net_msg_header *out);
/* Writes the header for payload (computing its checksum). command has at most 12 chars. */
void net_header_encode(uint8_t out[NET_HEADER_SIZE], const uint8_t magic[4], const char *command,
                       const uint8_t *payload, size_t len);
/* Whether the payload matches the header's checksum. */
bool net_checksum_ok(const struct net_msg_header *h, const uint8_t *payload, size_t len);
/* A whole message (header + payload) appended to w. */
void net_message_write(struct writer *w, const uint8_t magic[4], const char *command,
                       const uint8_t *payload, size_t len);

/* ---- version ---- */

struct net_version {
    int32_t version;
    uint64_t services;
    int64_t time;
    uint64_t recv_services; /* addr_recv */
    struct net_addr recv;
    uint64_t from_services; /* addr_from */
    struct net_addr from;
    uint64_t nonce;
    char user_agent[NET_MAX_SUBVERSION_LENGTH + 1]; /* NUL-terminated; may hold any byte
                                                       but NUL (decoder refuses NULs) */
    int32_t start_height;
    bool relay; /* fRelay; true when absent */
};

/* Fields from version on are optional for old peers as in Core: a message that ends
 * after addr_from gets nonce 0, empty agent, height 0, relay true. A user agent longer
 * than 256 bytes is an error. */
PROTO_WU bool net_version_decode(const uint8_t *p, size_t len, struct net_version *out, char *err);
/* Writes every field, relay included. An address without a 16-byte form (TORv3, I2P) is
 * written as 16 zero bytes; CJDNS as the IPv6 address it is. */
void net_version_encode(struct writer *w, const struct net_version *v);

/* ---- addr / addrv2 ---- */

struct net_addr_list {
    struct net_addr_info *items; /* owned */
    size_t count;
};
void net_addr_list_clear(struct net_addr_list *l);

/* addr (v1): at most 1000 entries, each time, services, 16-byte address, port (big
 * endian). */
PROTO_WU bool net_addr_decode(const uint8_t *p, size_t len, struct net_addr_list *out, char *err);
/* Entries without a v1 form are skipped. */
void net_addr_encode(struct writer *w, const struct net_addr_info *items, size_t count);
/* addrv2 (BIP155): at most 1000 entries; services as CompactSize; address length at
 * most 512. Entries of unknown networks and of TORV2 are skipped (not an error); a known
 * network with the wrong address length is an error. Also skipped, as Core treats them as
 * invalid: IPv6 entries inside ::ffff:0:0/96 (IPv4), fd87:d87e:eb43::/48 (old TORv2) or
 * fd6b:88c0:8724::/48 (internal), and CJDNS entries outside fc00::/8. */
PROTO_WU bool net_addrv2_decode(const uint8_t *p, size_t len, struct net_addr_list *out, char *err);
/* Entries of TORV2 and of unknown networks are skipped. */
void net_addrv2_encode(struct writer *w, const struct net_addr_info *items, size_t count);

/* ---- inv / getdata / notfound ---- */

struct net_inv {
    uint32_t type;
    uint256 hash;
};
struct net_inv_list {
    struct net_inv *items; /* owned */
    size_t count;
};
void net_inv_list_clear(struct net_inv_list *l);
/* At most NET_MAX_INV_SZ entries (more is an error). */
PROTO_WU bool net_inv_decode(const uint8_t *p, size_t len, struct net_inv_list *out, char *err);
void net_inv_encode(struct writer *w, const struct net_inv *items, size_t count);

/* ---- getheaders / getblocks ---- */

struct net_locator {
    uint32_t version;
    uint256 *hashes; /* owned */
    size_t count;    /* at most NET_MAX_LOCATOR_SZ (more is an error) */
    uint256 stop;
};
void net_locator_clear(struct net_locator *l);
PROTO_WU bool net_locator_decode(const uint8_t *p, size_t len, struct net_locator *out, char *err);
void net_locator_encode(struct writer *w, const struct net_locator *l);

/* ---- headers ---- */

struct net_headers {
    struct block_header *items; /* owned */
    size_t count;               /* at most NET_MAX_HEADERS_RESULTS (more is an error) */
};
void net_headers_clear(struct net_headers *h);
/* Each header is followed by a CompactSize transaction count, which must be 0. */
PROTO_WU bool net_headers_decode(const uint8_t *p, size_t len, struct net_headers *out, char *err);
void net_headers_encode(struct writer *w, const struct block_header *items, size_t count);

/* ---- small messages ---- */

/* ping/pong: the 8-byte nonce (a ping with no payload, from very old peers, is an error
 * here). */
PROTO_WU bool net_u64_decode(const uint8_t *p, size_t len, uint64_t *out, char *err);
/* feefilter: int64 sat/kvB; negative or above 21e14 is an error. */
PROTO_WU bool net_feefilter_decode(const uint8_t *p, size_t len, int64_t *out, char *err);

struct net_sendcmpct {
    bool announce;
    uint64_t version;
};
PROTO_WU bool net_sendcmpct_decode(const uint8_t *p, size_t len, struct net_sendcmpct *out,
                                   char *err);
void net_sendcmpct_encode(struct writer *w, const struct net_sendcmpct *s);

/* ---- BIP152 compact blocks ---- */

struct net_prefilled_tx {
    uint32_t index; /* absolute index in the block */
    struct tx tx;
};

struct net_cmpctblock {
    struct block_header header;
    uint64_t nonce;
    uint64_t *short_ids; /* owned, 48-bit values */
    size_t short_id_count;
    struct net_prefilled_tx *prefilled; /* owned */
    size_t prefilled_count;
};
void net_cmpctblock_clear(struct net_cmpctblock *c);
/* Differential prefilled indexes are turned into absolute ones; an index overflowing
 * 16 bits or short_id_count + prefilled_count > 65535 (Core's limit) is an error, as is a
 * prefilled transaction that does not parse (witness allowed). */
PROTO_WU bool net_cmpctblock_decode(const uint8_t *p, size_t len, struct net_cmpctblock *out,
                                    char *err);
/* Prefilled indexes must be strictly increasing (as the decoder returns them). */
void net_cmpctblock_encode(struct writer *w, const struct net_cmpctblock *c);
/* Builds a compact block of b with the given nonce: the coinbase prefilled, every
 * other transaction as a short id of its wtxid. False on out of memory. */
PROTO_WU bool net_cmpctblock_from_block(struct net_cmpctblock *out, const struct block *b,
                                        uint64_t nonce);
/* The SipHash keys of a compact block: SHA256(header || nonce LE), first two LE64s. */
void net_cmpct_keys(const struct block_header *h, uint64_t nonce, uint64_t *k0, uint64_t *k1);
/* The 6-byte short id of a wtxid under those keys. */
uint64_t net_cmpct_short_id(uint64_t k0, uint64_t k1, const uint256 *wtxid);

struct net_getblocktxn {
    uint256 block_hash;
    uint32_t *indexes; /* owned, absolute, strictly increasing */
    size_t count;
};
void net_getblocktxn_clear(struct net_getblocktxn *g);
/* Differential indexes become absolute; overflow beyond 16 bits is an error. */
PROTO_WU bool net_getblocktxn_decode(const uint8_t *p, size_t len, struct net_getblocktxn *out,
                                     char *err);
void net_getblocktxn_encode(struct writer *w, const struct net_getblocktxn *g);

struct net_blocktxn {
    uint256 block_hash;
    struct tx *txs; /* owned */
    size_t count;
};
void net_blocktxn_clear(struct net_blocktxn *b);
PROTO_WU bool net_blocktxn_decode(const uint8_t *p, size_t len, struct net_blocktxn *out,
                                  char *err);
void net_blocktxn_encode(struct writer *w, const struct net_blocktxn *b);

#endif
