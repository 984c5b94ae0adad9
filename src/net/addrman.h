/* The address manager (Core's AddrMan): addresses learnt from peers, seeds and the
 * command line, in "new" buckets (heard of) and "tried" buckets (connected to once),
 * placed by a keyed hash of the address group and its source group so that one peer,
 * or one /16, cannot fill the table. Persisted to peers.dat. Thread-safe: every
 * function takes the manager's own lock. Times are UNIX seconds passed by the caller. */
#ifndef IOP_NET_ADDRMAN_H
#define IOP_NET_ADDRMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netaddr.h"

#define ADDRMAN_WU __attribute__((warn_unused_result))

/* Core's sizes: 1024 new buckets and 256 tried buckets of 64 slots. */
#define ADDRMAN_NEW_BUCKET_COUNT             1024
#define ADDRMAN_TRIED_BUCKET_COUNT           256
#define ADDRMAN_BUCKET_SIZE                  64
#define ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP 64
#define ADDRMAN_TRIED_BUCKETS_PER_GROUP      8

struct addrman;

/* A manager keyed by the 32-byte secret (random for a new node; kept in peers.dat). */
ADDRMAN_WU struct addrman *addrman_new(const uint8_t key[32]);
void addrman_free(struct addrman *m);

/* Entries in new and tried (each address once). */
size_t addrman_size(struct addrman *m);
size_t addrman_size_tried(struct addrman *m);

/* Adds addresses heard from source (Core's Add): invalid and unroutable ones are
 * ignored unless allow_local (regtest and tests use loopback), known ones get their
 * time and services refreshed; time_penalty seconds are subtracted from the claimed
 * time. Returns how many were new. */
size_t addrman_add(struct addrman *m, const struct net_addr_info *items, size_t count,
                   const struct net_addr *source, int64_t time_penalty, bool allow_local,
                   int64_t now);
/* A connection to a succeeded and the handshake finished: move it to tried (Core's
 * Good). */
void addrman_good(struct addrman *m, const struct net_addr *a, int64_t now);
/* A connection attempt was made; count_failure when it failed. */
void addrman_attempt(struct addrman *m, const struct net_addr *a, bool count_failure,
                     int64_t now);
/* We were connected to a until now (refreshes its time, at most every 20 minutes). */
void addrman_connected(struct addrman *m, const struct net_addr *a, int64_t now);
/* Updates the services a peer announced in its version message. */
void addrman_set_services(struct addrman *m, const struct net_addr *a, uint64_t services);

/* Picks an address to connect to (Core's Select): from new or tried with even odds
 * unless new_only, preferring addresses not tried recently. False when empty. */
bool addrman_select(struct addrman *m, bool new_only, int64_t now, struct net_addr_info *out);
/* Up to max_count addresses and at most max_pct percent of the table, at random,
 * skipping terrible ones (Core's GetAddr for getaddr replies and getnodeaddresses).
 * Writes into out (room for max_count) and returns the count. */
size_t addrman_get_addr(struct addrman *m, size_t max_count, unsigned max_pct, int64_t now,
                        struct net_addr_info *out);

/* peers.dat in this project's own format (not Core's; layout at the top of addrman.c):
 * magic, format version, the key, the new and tried counts, every entry (address in an
 * addrv2-like form, services, time, last try, last success, attempts, source address,
 * tried flag: its bucket positions' inputs), SHA256d checksum of all that; written
 * atomically (temp file + fsync + rename) with mode 0600. */
ADDRMAN_WU bool addrman_save(struct addrman *m, const char *path, const uint8_t magic[4],
                             char *err, size_t errlen);
/* Loads peers.dat. A missing file is not an error: *missing is set and NULL returned
 * with err empty. A corrupt or foreign file (other magic, other version, bad checksum,
 * impossible counts, bad or duplicate entries, trailing bytes, over 64 MiB): NULL with
 * err; the caller logs it and starts a new manager (as Core does). Entries are placed
 * again from the stored key; one whose slot is already taken is dropped. */
ADDRMAN_WU struct addrman *addrman_load(const char *path, const uint8_t magic[4], bool *missing,
                                        char *err, size_t errlen);

#endif
