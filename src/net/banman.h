/* Bans and discouragement (Core's BanMan). Bans cover subnets until a time and are
 * kept in banlist.json (Core's format: {"banned_nets": [{"version": 1, "ban_created",
 * "banned_until", "address"}]}); discouragement is a bounded in-memory set of addresses
 * of peers that misbehaved, which may still connect inbound only when slots are free.
 * Thread-safe: every function takes the ban manager's own lock. */
#ifndef IOP_NET_BANMAN_H
#define IOP_NET_BANMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/netaddr.h"

#define BANMAN_WU __attribute__((warn_unused_result))

#define BANMAN_DEFAULT_BANTIME (60 * 60 * 24) /* -bantime default: 24 hours */
#define BANMAN_DISCOURAGED_MAX 50000          /* entries before the oldest are forgotten */

struct ban_entry {
    struct net_subnet subnet;
    int64_t created; /* UNIX seconds */
    int64_t until;   /* UNIX seconds */
};

struct banman;

/* Reads path (banlist.json) when it exists, dropping expired entries. A malformed file
 * (not JSON, no "banned_nets" array, a mistyped field, a bad subnet string) is reported
 * in err (for the log) and the manager starts empty; entries of a version other than 1
 * are skipped, as Core does. err is empty when nothing went wrong (a missing file is
 * not an error). path NULL gives a manager that never reads or writes a file. Never
 * NULL except on out of memory. */
BANMAN_WU struct banman *banman_open(const char *path, int64_t now, char *err, size_t errlen);
void banman_free(struct banman *b);

/* Bans s until `until` (replacing an existing ban of the same subnet only when the new
 * one lasts longer). False when s is already banned for at least as long, or is not
 * valid. */
bool banman_ban(struct banman *b, const struct net_subnet *s, int64_t until, int64_t now);
/* Removes the ban of exactly s; false when there was none. */
bool banman_unban(struct banman *b, const struct net_subnet *s);
void banman_clear(struct banman *b);
/* Whether a lies in a subnet banned past now. */
bool banman_is_banned(struct banman *b, const struct net_addr *a, int64_t now);
/* Whether exactly s is banned past now. */
bool banman_is_subnet_banned(struct banman *b, const struct net_subnet *s, int64_t now);

/* Discouragement is by host (the port is ignored). */
void banman_discourage(struct banman *b, const struct net_addr *a);
bool banman_is_discouraged(struct banman *b, const struct net_addr *a);

/* The current bans (expired ones are swept first), in a new array the caller frees
 * (*out is NULL when there are none). */
size_t banman_list(struct banman *b, int64_t now, struct ban_entry **out);
/* Writes banlist.json atomically when something changed since the last save (or
 * always when force). False with err on an I/O error. */
BANMAN_WU bool banman_save(struct banman *b, bool force, char *err, size_t errlen);

#endif
